//! The parts of the OpenAPI schema that server-side apply and strategic merge depend on, for the
//! kinds the sandbox serves. Lists not named here are atomic, as they are for unknown schemas.

use serde_json::Value;

use super::field_path::PathElement;

/// How a list merges (the `x-kubernetes-list-type` of the real schema).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListType {
    /// Replaced as a whole.
    Atomic,
    /// Scalar items, merged as a set (`finalizers`).
    Set,
    /// Items merged by these key fields (`+listType=map +listMapKey=…`).
    Map(&'static [&'static str]),
}

/// The list type of field `field` of the object at `parent`. Container ports and Service ports
/// share a name; a container is always a list item, a Service spec never is.
pub fn list_type(parent: &[PathElement], field: &str) -> ListType {
    let in_list_item = matches!(parent.last(), Some(PathElement::Key(_)));
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "resourceClaims"
        | "schedulingGates"
        | "secrets" => ListType::Map(&["name"]),
        "volumeMounts" => ListType::Map(&["mountPath"]),
        "volumeDevices" => ListType::Map(&["devicePath"]),
        "ports" if in_list_item => ListType::Map(&["containerPort", "protocol"]),
        "ports" => ListType::Map(&["port", "protocol"]),
        "hostAliases" => ListType::Map(&["ip"]),
        "topologySpreadConstraints" => ListType::Map(&["topologyKey", "whenUnsatisfiable"]),
        "ownerReferences" => ListType::Map(&["uid"]),
        "conditions" => ListType::Map(&["type"]),
        "finalizers" => ListType::Set,
        _ => ListType::Atomic,
    }
}

/// Maps and structs that merge as one value (`+mapType=atomic`, `+structType=atomic`):
/// label selectors, the pod's `nodeSelector` and the env value references.
pub fn is_atomic_object(field: &str) -> bool {
    matches!(
        field,
        "selector"
            | "nodeSelector"
            | "configMapKeyRef"
            | "secretKeyRef"
            | "fieldRef"
            | "resourceFieldRef"
    )
}

/// The default of a key field an item may omit; only a port's `protocol` has one.
pub fn key_default(key: &str) -> Option<Value> {
    (key == "protocol").then(|| Value::String("TCP".to_string()))
}

/// The patch merge key strategic merge patch uses for a list (`patchMergeKey`), or `None` when the
/// list is replaced. `finalizers` merge as primitives.
pub fn strategic_merge_key(parent_is_list_item: bool, field: &str) -> Option<&'static str> {
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "secrets"
        | "resourceClaims"
        | "schedulingGates" => Some("name"),
        "volumeMounts" => Some("mountPath"),
        "volumeDevices" => Some("devicePath"),
        "ports" if parent_is_list_item => Some("containerPort"),
        "ports" => Some("port"),
        "hostAliases" => Some("ip"),
        "topologySpreadConstraints" => Some("topologyKey"),
        "ownerReferences" => Some("uid"),
        "conditions" => Some("type"),
        _ => None,
    }
}

/// Lists whose items strategic merge patch unions as primitives (`patchStrategy:"merge"`).
pub fn strategic_merges_primitives(field: &str) -> bool {
    field == "finalizers"
}

/// Fields Go always serializes (non-pointer structs and lists without `omitempty`), so an
/// Update never "adds" them: their managedFields entries carry no `.` of their own.
pub fn present_in_zero_value(field: &str) -> bool {
    matches!(
        field,
        "metadata" | "spec" | "template" | "status" | "strategy" | "containers"
    )
}
