//! The validation the sandbox shares with kube-apiserver: object names, workload selectors and
//! pod specs (containers, volumes, mounts, projected token lifetimes), what an update of a
//! workload may not change, with the same messages. Jobs have their own rules in `jobs.rs`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::jobs;
use super::resources::ResourceType;
use super::status::{ApiError, Cause};
use super::version::KubernetesVersion;

const DNS1123_SUBDOMAIN: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1123_LABEL: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/// Validates an object about to be stored; `old` is the stored version on updates, `version`
/// the cluster's (some rules changed between releases).
pub fn validate(
    resource: &ResourceType,
    object: &Value,
    old: Option<&Value>,
    version: KubernetesVersion,
) -> Result<(), ApiError> {
    let name = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut causes = Vec::new();
    name_causes(resource, name, &mut causes);
    match resource.kind {
        "Deployment" | "ReplicaSet" | "DaemonSet" => {
            workload_causes(object, true, &mut causes);
            if let Some(old) = old {
                immutable_selector(object, old, &mut causes);
            }
        }
        "StatefulSet" => {
            // ValidatePodTemplateSpecForStatefulSet leaves the pod spec to pod creation: its
            // mounts may name volumeClaimTemplates, which are no volumes of the template.
            workload_causes(object, false, &mut causes);
            if let Some(old) = old {
                statefulset_update_causes(object, old, version, &mut causes);
            }
        }
        "Job" => jobs::causes(object, old, &mut causes),
        "CronJob" => {
            if object
                .pointer("/spec/schedule")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                causes.push(Cause::required("spec.schedule", ""));
            }
            // The job template is validated like a Job's spec, but its selector is generated
            // for each Job (ValidateJobTemplateSpec); it stays mutable (CronJob updates
            // validate the new spec only).
            jobs::template_causes(object.pointer("/spec/jobTemplate/spec"), &mut causes);
        }
        "Pod" => pod_spec_causes(object.get("spec"), "spec", &mut causes),
        _ => {}
    }
    match causes.is_empty() {
        true => Ok(()),
        false => Err(ApiError::invalid(
            resource.group,
            resource.kind,
            name,
            causes,
        )),
    }
}

fn name_causes(resource: &ResourceType, name: &str, causes: &mut Vec<Cause>) {
    if name.is_empty() {
        causes.push(Cause::required(
            "metadata.name",
            "name or generateName is required",
        ));
        return;
    }
    let label_only = matches!(resource.kind, "Namespace" | "Service");
    let (valid, message) = match label_only {
        true => (name.len() <= 63 && is_dns_label(name), DNS1123_LABEL),
        false => (
            name.len() <= 253 && name.split('.').all(is_dns_label),
            DNS1123_SUBDOMAIN,
        ),
    };
    if !valid {
        causes.push(Cause::invalid(
            "metadata.name",
            &format!("{name:?}"),
            message,
        ));
    }
}

fn is_dns_label(label: &str) -> bool {
    let bytes = label.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
}

/// The selector and template rules of apps/v1 workloads; `pod_spec`: whether the template's
/// pod spec is validated too.
fn workload_causes(object: &Value, pod_spec: bool, causes: &mut Vec<Cause>) {
    let selector = object.pointer("/spec/selector");
    let template_labels = object.pointer("/spec/template/metadata/labels");
    match selector
        .and_then(|s| s.get("matchLabels"))
        .and_then(Value::as_object)
    {
        None if selector.and_then(|s| s.get("matchExpressions")).is_none() => {
            causes.push(Cause::required("spec.selector", ""));
        }
        Some(match_labels) => {
            let labels = template_labels.and_then(Value::as_object);
            let matches = match_labels
                .iter()
                .all(|(key, value)| labels.and_then(|labels| labels.get(key)) == Some(value));
            if !matches {
                causes.push(Cause::invalid(
                    "spec.template.metadata.labels",
                    &go_string_map(template_labels),
                    "`selector` does not match template `labels`",
                ));
            }
        }
        None => {}
    }
    let spec = object.pointer("/spec/template/spec");
    if pod_spec {
        pod_spec_causes(spec, "spec.template.spec", causes);
    }
    always_restart(spec, causes);
}

/// `spec.selector` of Deployments, ReplicaSets and DaemonSets cannot change after creation.
fn immutable_selector(object: &Value, old: &Value, causes: &mut Vec<Cause>) {
    let selector = object.pointer("/spec/selector");
    if !same(selector, old.pointer("/spec/selector")) {
        causes.push(Cause::invalid(
            "spec.selector",
            &go_label_selector(selector),
            FIELD_IMMUTABLE,
        ));
    }
}

/// `apivalidation.FieldImmutableErrorMsg`.
pub const FIELD_IMMUTABLE: &str = "field is immutable";

/// The StatefulSet spec fields an update may change (ValidateStatefulSetUpdate,
/// pkg/apis/apps/validation): the selector, serviceName, volumeClaimTemplates,
/// podManagementPolicy and the rest may not. Kubernetes 1.35 adds revisionHistoryLimit
/// (seen in reports from 1.35 clusters; kubernetes/kubernetes#130263 shows 1.31 refusing it;
/// 1.34 is unverified and treated like 1.33).
fn statefulset_update_causes(
    object: &Value,
    old: &Value,
    version: KubernetesVersion,
    causes: &mut Vec<Cause>,
) {
    let history_mutable = (version.major, version.minor) >= (1, 35);
    let mut mutable = vec![
        "replicas",
        "ordinals",
        "template",
        "updateStrategy",
        "persistentVolumeClaimRetentionPolicy",
        "minReadySeconds",
    ];
    if history_mutable {
        mutable.push("revisionHistoryLimit");
    }
    let fixed = |object: &Value| {
        let mut spec = object.get("spec").cloned().unwrap_or(Value::Null);
        if let Some(spec) = spec.as_object_mut() {
            spec.retain(|name, _| !mutable.contains(&name.as_str()));
        }
        spec
    };
    if !same(Some(&fixed(object)), Some(&fixed(old))) {
        let detail = match history_mutable {
            true => {
                "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', \
                 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and \
                 'minReadySeconds' are forbidden"
            }
            false => {
                "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', \
                 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
            }
        };
        causes.push(Cause::forbidden("spec", detail));
    }
}

/// `apiequality.Semantic.DeepEqual` of two values as the apiserver holds them: a missing
/// field, `null`, an empty list, map or string are all Go's zero value and compare equal.
pub fn same(a: Option<&Value>, b: Option<&Value>) -> bool {
    let normal = |value: Option<&Value>| value.map_or(Value::Null, zero_free);
    normal(a) == normal(b)
}

/// The value without members or items that are Go zero values (`null`, `""`, `[]`, `{}`).
fn zero_free(value: &Value) -> Value {
    let is_zero = |value: &Value| match value {
        Value::Null => true,
        Value::String(text) => text.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(members) => members.is_empty(),
        _ => false,
    };
    match value {
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(name, value)| (name.clone(), zero_free(value)))
                .filter(|(_, value)| !is_zero(value))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(zero_free).collect()),
        other => other.clone(),
    }
}

/// A `*metav1.LabelSelector` as Go's `%#v` shows the struct it points to, or `"null"`.
pub fn go_label_selector(selector: Option<&Value>) -> String {
    let Some(selector) = selector.filter(|selector| !selector.is_null()) else {
        return "\"null\"".to_string();
    };
    let expressions: Vec<String> = selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|expression| {
            let values: Vec<String> = expression
                .get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|value| format!("{:?}", value.as_str().unwrap_or_default()))
                .collect();
            let values = match expression.get("values").and_then(Value::as_array) {
                None => "[]string(nil)".to_string(),
                Some(_) => format!("[]string{{{}}}", values.join(", ")),
            };
            format!(
                "v1.LabelSelectorRequirement{{Key:{:?}, Operator:{:?}, Values:{values}}}",
                expression["key"].as_str().unwrap_or_default(),
                expression["operator"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    let expressions = match selector.get("matchExpressions").and_then(Value::as_array) {
        None => "[]v1.LabelSelectorRequirement(nil)".to_string(),
        Some(_) => format!(
            "[]v1.LabelSelectorRequirement{{{}}}",
            expressions.join(", ")
        ),
    };
    format!(
        "v1.LabelSelector{{MatchLabels:{}, MatchExpressions:{expressions}}}",
        go_string_map(selector.get("matchLabels"))
    )
}

/// Pods of apps/v1 workloads restart in place: `restartPolicy` must be `Always`.
fn always_restart(spec: Option<&Value>, causes: &mut Vec<Cause>) {
    let policy = spec
        .and_then(|spec| spec.get("restartPolicy"))
        .and_then(Value::as_str);
    if let Some(policy) = policy.filter(|policy| *policy != "Always") {
        causes.push(Cause::not_supported(
            "spec.template.spec.restartPolicy",
            policy,
            &["Always"],
        ));
    }
}

pub fn pod_spec_causes(spec: Option<&Value>, path: &str, causes: &mut Vec<Cause>) {
    let volumes = spec
        .and_then(|spec| spec.get("volumes"))
        .and_then(Value::as_array);
    let mut volume_names: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, volume) in volumes.into_iter().flatten().enumerate() {
        let field = format!("{path}.volumes[{index}]");
        match volume.get("name").and_then(Value::as_str) {
            None | Some("") => causes.push(Cause::required(&format!("{field}.name"), "")),
            Some(name) if volume_names.contains_key(name) => {
                causes.push(Cause::duplicate(&format!("{field}.name"), name));
            }
            Some(name) => {
                volume_names.insert(name, index);
            }
        }
        projected_token_causes(volume, &field, causes);
    }
    let containers = spec
        .and_then(|spec| spec.get("containers"))
        .and_then(Value::as_array);
    if containers.is_none_or(Vec::is_empty) {
        causes.push(Cause::required(&format!("{path}.containers"), ""));
    }
    for list in ["initContainers", "containers"] {
        let mut names: Vec<&str> = Vec::new();
        let items = spec
            .and_then(|spec| spec.get(list))
            .and_then(Value::as_array);
        for (index, container) in items.into_iter().flatten().enumerate() {
            let field = format!("{path}.{list}[{index}]");
            match container.get("name").and_then(Value::as_str) {
                None | Some("") => causes.push(Cause::required(&format!("{field}.name"), "")),
                Some(name) if names.contains(&name) => {
                    causes.push(Cause::duplicate(&format!("{field}.name"), name));
                }
                Some(name) => names.push(name),
            }
            if container
                .get("image")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                causes.push(Cause::required(&format!("{field}.image"), ""));
            }
            mount_causes(container, &field, &volume_names, causes);
        }
    }
}

fn mount_causes(
    container: &Value,
    field: &str,
    volumes: &BTreeMap<&str, usize>,
    causes: &mut Vec<Cause>,
) {
    let mounts = container.get("volumeMounts").and_then(Value::as_array);
    for (index, mount) in mounts.into_iter().flatten().enumerate() {
        let mount_field = format!("{field}.volumeMounts[{index}]");
        match mount.get("name").and_then(Value::as_str) {
            None | Some("") => causes.push(Cause::required(&format!("{mount_field}.name"), "")),
            Some(name) if !volumes.contains_key(name) => {
                causes.push(Cause::not_found(&format!("{mount_field}.name"), name));
            }
            Some(_) => {}
        }
        if mount
            .get("mountPath")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            causes.push(Cause::required(&format!("{mount_field}.mountPath"), ""));
        }
    }
}

/// `ServiceAccountTokenProjection` rules (kubernetes.md §7): a path, and 600 ≤ lifetime ≤ 2^32.
fn projected_token_causes(volume: &Value, field: &str, causes: &mut Vec<Cause>) {
    let sources = volume
        .pointer("/projected/sources")
        .and_then(Value::as_array);
    for (index, source) in sources.into_iter().flatten().enumerate() {
        let Some(token) = source.get("serviceAccountToken") else {
            continue;
        };
        let token_field = format!("{field}.projected.sources[{index}].serviceAccountToken");
        if token
            .get("path")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            causes.push(Cause::required(&format!("{token_field}.path"), ""));
        }
        if let Some(seconds) = token.get("expirationSeconds").and_then(Value::as_i64)
            && let Some(detail) = token_lifetime_problem(seconds)
        {
            causes.push(Cause::invalid(
                &format!("{token_field}.expirationSeconds"),
                &seconds.to_string(),
                detail,
            ));
        }
    }
}

/// Why a token lifetime is out of bounds, in kube-apiserver's words.
pub fn token_lifetime_problem(seconds: i64) -> Option<&'static str> {
    if seconds < 600 {
        Some("may not specify a duration less than 10 minutes")
    } else if seconds > 1 << 32 {
        Some("may not specify a duration larger than 2^32 seconds")
    } else {
        None
    }
}

/// A string map as Go's `%#v` prints it: `map[string]string{"app":"web"}`.
pub fn go_string_map(map: Option<&Value>) -> String {
    let entries: Vec<String> = map
        .and_then(Value::as_object)
        .map(|map| {
            let sorted: BTreeMap<&String, &Value> = map.iter().collect();
            sorted
                .into_iter()
                .map(|(key, value)| format!("{key:?}:{value}"))
                .collect()
        })
        .unwrap_or_default();
    match map {
        None | Some(Value::Null) => "map[string]string(nil)".to_string(),
        _ => format!("map[string]string{{{}}}", entries.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::resources;
    use super::*;

    fn deployments() -> &'static ResourceType {
        resources::find("apps", "v1", "deployments").unwrap()
    }

    #[test]
    fn a_mount_of_a_missing_volume_and_a_short_token_are_invalid() {
        let deployment = json!({"metadata": {"name": "web"}, "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                "restartPolicy": "Always",
                "containers": [{"name": "app", "image": "nginx", "volumeMounts": [{"name": "token", "mountPath": "/t"}]}],
                "volumes": [{"name": "other", "projected": {"sources": [{"serviceAccountToken": {"path": "t", "expirationSeconds": 599}}]}}]
            }}
        }});
        let error = validate(
            deployments(),
            &deployment,
            None,
            KubernetesVersion::default(),
        )
        .unwrap_err();
        assert_eq!(error.code, 422);
        assert!(
            error
                .message
                .starts_with("Deployment.apps \"web\" is invalid: ["),
            "{}",
            error.message
        );
        assert!(error.message.contains(
            "spec.template.spec.containers[0].volumeMounts[0].name: Not found: \"token\""
        ));
        assert!(
            error
                .message
                .contains("Invalid value: 599: may not specify a duration less than 10 minutes")
        );
    }

    #[test]
    fn names_must_be_dns_subdomains() {
        let error = validate(
            deployments(),
            &json!({"metadata": {"name": "Web"}}),
            None,
            KubernetesVersion::default(),
        )
        .unwrap_err();
        assert!(
            error
                .message
                .contains("metadata.name: Invalid value: \"Web\": a lowercase RFC 1123 subdomain")
        );
    }
}
