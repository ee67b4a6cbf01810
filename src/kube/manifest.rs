//! Objects as the user reads them in a diff: YAML without the fields the server owns, so two
//! reads of one object compare by content. Shared by every step that shows Kubernetes changes.

use serde_json::Value;

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
}
