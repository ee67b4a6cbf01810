//! Objects as the user reads them in a diff: YAML without the fields the server owns, so two
//! reads of one object compare by content. Shared by every step that shows Kubernetes changes.

use serde_json::Value;

/// The label kwif puts on the objects it creates (ServiceAccounts, the nginx site, the
/// apiserver's binding), and only then: `destroy` deletes only objects that carry it, so an
/// object of the same name that someone else made stays.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const MANAGED_BY_KWIF: &str = "kwif";

/// Whether `object` (as the API server holds it) carries kwif's managed-by label.
pub fn created_by_kwif(object: &Value) -> bool {
    object["metadata"]["labels"][MANAGED_BY_LABEL].as_str() == Some(MANAGED_BY_KWIF)
}

/// The metadata fields the API server sets; they differ between reads of the same content.
const SERVER_OWNED_METADATA: [&str; 5] = [
    "managedFields",
    "resourceVersion",
    "generation",
    "uid",
    "creationTimestamp",
];

/// `object` as YAML without server-owned metadata and status.
pub fn comparable_yaml(object: &Value) -> String {
    let mut object = object.clone();
    if let Some(metadata) = object["metadata"].as_object_mut() {
        for key in SERVER_OWNED_METADATA {
            metadata.remove(key);
        }
    }
    if let Some(map) = object.as_object_mut() {
        map.remove("status");
    }
    to_yaml(&object)
}

pub fn to_yaml(value: &Value) -> String {
    serde_yaml::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn comparable_yaml_ignores_server_owned_fields() {
        let a = json!({"metadata":{"name":"x","resourceVersion":"1","managedFields":[1]},"spec":{"a":1},"status":{"b":2}});
        let b = json!({"metadata":{"name":"x","resourceVersion":"7"},"spec":{"a":1}});
        assert_eq!(comparable_yaml(&a), comparable_yaml(&b));
        assert!(!comparable_yaml(&a).contains("status"));
    }

    #[test]
    fn only_an_object_labelled_by_kwif_counts_as_kwifs() {
        let kwifs = json!({"metadata": {"labels": {MANAGED_BY_LABEL: "kwif"}}});
        let users = json!({"metadata": {"labels": {MANAGED_BY_LABEL: "helm"}}});
        assert!(created_by_kwif(&kwifs));
        assert!(!created_by_kwif(&users));
        assert!(!created_by_kwif(&json!({"metadata": {}})));
    }
}
