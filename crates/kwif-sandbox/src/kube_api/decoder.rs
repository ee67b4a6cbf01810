//! Decoding into the built-in types, as kube-apiserver's decoder does before anything else: a
//! body whose fields have the wrong JSON types (a string where a list belongs) is a 400, and
//! fields the type does not have are unknown — refused under `fieldValidation=Strict`, dropped
//! with a warning under `Warn` (the default) and silently under `Ignore`.

use k8s_openapi::api::{
    admissionregistration, apps, authentication, batch, core, networking, rbac,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::resources::ResourceType;
use super::status::ApiError;

/// The `fieldValidation` query parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldValidation {
    Ignore,
    Warn,
    Strict,
}

impl FieldValidation {
    /// The directive, `Warn` when absent (kube-apiserver's default since 1.23); an unknown
    /// value is the apiserver's 400.
    pub fn parse(value: Option<&str>) -> Result<FieldValidation, ApiError> {
        match value {
            None | Some("" | "Warn") => Ok(FieldValidation::Warn),
            Some("Ignore") => Ok(FieldValidation::Ignore),
            Some("Strict") => Ok(FieldValidation::Strict),
            Some(other) => Err(ApiError::bad_request(format!(
                "fieldValidation must be one of Ignore, Warn or Strict, not {other:?}"
            ))),
        }
    }
}

/// Checks that `object` decodes as the resource's type; the message is worded like the
/// apiserver's (`Deployment in version "v1" cannot be handled as a Deployment: …`).
pub fn check(resource: &ResourceType, object: &Value) -> Result<(), ApiError> {
    round_trip(resource, object).map(|_| ())
}

/// Decodes `object` under `validation`: unknown fields are an error (Strict) or removed from
/// it (Warn, Ignore). Returns the warnings to send, one per dropped field under Warn.
pub fn decode(
    resource: &ResourceType,
    object: &mut Value,
    validation: FieldValidation,
) -> Result<Vec<String>, ApiError> {
    let Some(known) = round_trip(resource, object)? else {
        return Ok(Vec::new());
    };
    let mut unknown = Vec::new();
    unknown_fields(object, &known, String::new(), &mut unknown);
    if unknown.is_empty() {
        return Ok(Vec::new());
    }
    let named: Vec<String> = unknown
        .iter()
        .map(|(path, _)| format!("unknown field {path:?}"))
        .collect();
    match validation {
        FieldValidation::Strict => Err(cannot_handle(
            resource,
            &format!("strict decoding error: {}", named.join(", ")),
        )),
        FieldValidation::Warn | FieldValidation::Ignore => {
            for (_, pointer) in unknown.iter().rev() {
                remove(object, pointer);
            }
            Ok(match validation {
                FieldValidation::Warn => named,
                _ => Vec::new(),
            })
        }
    }
}

fn cannot_handle(resource: &ResourceType, detail: &str) -> ApiError {
    ApiError::bad_request(format!(
        "{kind} in version {version:?} cannot be handled as a {kind}: {detail}",
        kind = resource.kind,
        version = resource.version,
    ))
}

/// The object as its Rust type writes it back (what the type knows of it), or `None` when the
/// type cannot be built (a required field missing, which validation reports later).
fn round_trip(resource: &ResourceType, object: &Value) -> Result<Option<Value>, ApiError> {
    let decoded = match resource.kind {
        "Namespace" => decodes::<core::v1::Namespace>(object),
        "ServiceAccount" => decodes::<core::v1::ServiceAccount>(object),
        "ConfigMap" => decodes::<core::v1::ConfigMap>(object),
        "Secret" => decodes::<core::v1::Secret>(object),
        "Service" => decodes::<core::v1::Service>(object),
        "Pod" => decodes::<core::v1::Pod>(object),
        "Node" => decodes::<core::v1::Node>(object),
        "Deployment" => decodes::<apps::v1::Deployment>(object),
        "StatefulSet" => decodes::<apps::v1::StatefulSet>(object),
        "DaemonSet" => decodes::<apps::v1::DaemonSet>(object),
        "ReplicaSet" => decodes::<apps::v1::ReplicaSet>(object),
        "Job" => decodes::<batch::v1::Job>(object),
        "CronJob" => decodes::<batch::v1::CronJob>(object),
        "Ingress" => decodes::<networking::v1::Ingress>(object),
        "ClusterRole" => decodes::<rbac::v1::ClusterRole>(object),
        "ClusterRoleBinding" => decodes::<rbac::v1::ClusterRoleBinding>(object),
        "Role" => decodes::<rbac::v1::Role>(object),
        "RoleBinding" => decodes::<rbac::v1::RoleBinding>(object),
        "MutatingWebhookConfiguration" => {
            decodes::<admissionregistration::v1::MutatingWebhookConfiguration>(object)
        }
        _ => metadata_only(object).map(|()| None),
    };
    decoded.map_err(|error| cannot_handle(resource, &error))
}

/// Checks a TokenRequest body.
pub fn check_token_request(body: &Value) -> Result<(), ApiError> {
    decodes::<authentication::v1::TokenRequest>(body)
        .map(|_| ())
        .map_err(|error| {
            ApiError::bad_request(format!(
                "TokenRequest in version \"v1\" cannot be handled as a TokenRequest: {error}"
            ))
        })
}

/// Whether the object decodes, and what the type makes of it. Go's decoder never requires a
/// field (validation reports missing ones, with their paths), so the Rust types' "missing
/// field" errors do not count.
fn decodes<T: DeserializeOwned + Serialize>(object: &Value) -> Result<Option<Value>, String> {
    match serde_json::from_value::<T>(object.clone()) {
        Ok(decoded) => Ok(serde_json::to_value(decoded).ok()),
        Err(error) if error.to_string().starts_with("missing field") => Ok(None),
        Err(error) => Err(error.to_string()),
    }
}

/// Kinds without a Rust type here still need an object `metadata` with string-map labels.
fn metadata_only(object: &Value) -> Result<(), String> {
    match object.get("metadata") {
        None => Ok(()),
        Some(metadata) => serde_json::from_value::<
            k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
        >(metadata.clone())
        .map(|_| ())
        .map_err(|error| error.to_string()),
    }
}

/// Members of `sent` that `known` lacks, as the field path the apiserver names
/// (`spec.template.spec.containers[0].foo`) and a JSON pointer to remove them by. A member sent
/// as `null` is not unknown: the types leave unset fields out.
fn unknown_fields(sent: &Value, known: &Value, path: String, unknown: &mut Vec<(String, String)>) {
    match (sent, known) {
        (Value::Object(sent), Value::Object(known)) => {
            for (name, value) in sent {
                let field = match path.is_empty() {
                    true => name.clone(),
                    false => format!("{path}.{name}"),
                };
                match known.get(name) {
                    Some(known) => unknown_fields(value, known, field, unknown),
                    None if value.is_null() => {}
                    None => unknown.push((field.clone(), pointer_of(&field))),
                }
            }
        }
        (Value::Array(sent), Value::Array(known)) => {
            for (index, (value, known)) in sent.iter().zip(known).enumerate() {
                unknown_fields(value, known, format!("{path}[{index}]"), unknown);
            }
        }
        _ => {}
    }
}

/// `spec.containers[0].foo` → `/spec/containers/0/foo` (names escaped per RFC 6901).
fn pointer_of(field: &str) -> String {
    let mut pointer = String::new();
    let mut name = String::new();
    let flush = |name: &mut String, pointer: &mut String| {
        if !name.is_empty() {
            pointer.push('/');
            pointer.push_str(&name.replace('~', "~0").replace('/', "~1"));
            name.clear();
        }
    };
    for character in field.chars() {
        match character {
            '.' => flush(&mut name, &mut pointer),
            '[' => flush(&mut name, &mut pointer),
            ']' => {
                pointer.push('/');
                pointer.push_str(&name);
                name.clear();
            }
            other => name.push(other),
        }
    }
    flush(&mut name, &mut pointer);
    pointer
}

/// Removes the member a JSON pointer names.
fn remove(object: &mut Value, pointer: &str) {
    let Some((parent, name)) = pointer.rsplit_once('/') else {
        return;
    };
    let name = name.replace("~1", "/").replace("~0", "~");
    if let Some(Value::Object(members)) = object.pointer_mut(parent) {
        members.shift_remove(&name);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::resources;
    use super::*;

    #[test]
    fn unknown_fields_are_refused_warned_about_or_dropped() {
        let configmaps = resources::find("", "v1", "configmaps").unwrap();
        let typo = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labelz": {}}, "datta": {"a": "1"}, "data": {"b": "2"}});
        let strict = decode(configmaps, &mut typo.clone(), FieldValidation::Strict).unwrap_err();
        assert_eq!(
            strict.message,
            "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: unknown field \"metadata.labelz\", unknown field \"datta\""
        );
        let mut warned = typo.clone();
        let warnings = decode(configmaps, &mut warned, FieldValidation::Warn).unwrap();
        assert_eq!(
            warnings,
            [
                "unknown field \"metadata.labelz\"",
                "unknown field \"datta\""
            ]
        );
        assert_eq!(
            warned,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"b": "2"}})
        );
        let mut ignored = typo;
        assert!(
            decode(configmaps, &mut ignored, FieldValidation::Ignore)
                .unwrap()
                .is_empty()
        );
        assert_eq!(ignored, warned);
    }

    #[test]
    fn fields_inside_lists_are_named_with_their_index() {
        let deployments = resources::find("apps", "v1", "deployments").unwrap();
        let mut object = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "creationTimestamp": null},
            "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [
                {"name": "a", "image": "x"}, {"name": "b", "image": "y", "imagePullPolice": "Always"}]}}}});
        let warnings = decode(deployments, &mut object, FieldValidation::Warn).unwrap();
        assert_eq!(
            warnings,
            ["unknown field \"spec.template.spec.containers[1].imagePullPolice\""]
        );
        assert!(
            object
                .pointer("/spec/template/spec/containers/1/imagePullPolice")
                .is_none()
        );
        assert_eq!(
            object.pointer("/spec/template/spec/containers/1/image"),
            Some(&json!("y"))
        );
    }

    #[test]
    fn wrong_json_types_are_a_bad_request() {
        let deployments = resources::find("apps", "v1", "deployments").unwrap();
        let object = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "annotations": "x"}});
        let error = check(deployments, &object).unwrap_err();
        assert_eq!(error.code, 400);
        assert!(
            error
                .message
                .starts_with("Deployment in version \"v1\" cannot be handled as a Deployment: ")
        );
        let fine =
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}});
        assert!(check(deployments, &fine).is_ok());
    }
}
