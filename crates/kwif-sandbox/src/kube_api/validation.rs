//! The validation the sandbox shares with kube-apiserver: object names, workload selectors and
//! pod specs (containers, volumes, mounts, projected token lifetimes), with the same messages.

use std::collections::BTreeMap;

use serde_json::Value;

use super::resources::ResourceType;
use super::status::{ApiError, Cause};

const DNS1123_SUBDOMAIN: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1123_LABEL: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/// Validates an object about to be stored; `old` is the stored version on updates.
pub fn validate(
    resource: &ResourceType,
    object: &Value,
    old: Option<&Value>,
) -> Result<(), ApiError> {
    let name = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut causes = Vec::new();
    name_causes(resource, name, &mut causes);
    match resource.kind {
        "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" => {
            workload_causes(object, &mut causes);
            if let Some(old) = old {
                immutable_selector(object, old, &mut causes);
            }
        }
        "Job" => {
            let spec = object.pointer("/spec/template/spec");
            pod_spec_causes(spec, "spec.template.spec", &mut causes);
            restart_policy(
                spec,
                "spec.template.spec",
                &["OnFailure", "Never"],
                &mut causes,
            );
        }
        "CronJob" => {
            let spec = object.pointer("/spec/jobTemplate/spec/template/spec");
            pod_spec_causes(spec, "spec.jobTemplate.spec.template.spec", &mut causes);
            if object
                .pointer("/spec/schedule")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                causes.push(Cause::required("spec.schedule", ""));
            }
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

fn workload_causes(object: &Value, causes: &mut Vec<Cause>) {
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
    pod_spec_causes(spec, "spec.template.spec", causes);
    restart_policy(spec, "spec.template.spec", &["Always"], causes);
}

/// `spec.selector` of apps/v1 workloads cannot change after creation.
fn immutable_selector(object: &Value, old: &Value, causes: &mut Vec<Cause>) {
    if object.pointer("/spec/selector") != old.pointer("/spec/selector") {
        let labels = object.pointer("/spec/selector/matchLabels");
        causes.push(Cause::invalid(
            "spec.selector",
            &format!("v1.LabelSelector{{MatchLabels:{}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}}", go_string_map(labels)),
            "field is immutable",
        ));
    }
}

fn restart_policy(spec: Option<&Value>, path: &str, allowed: &[&str], causes: &mut Vec<Cause>) {
    let field = format!("{path}.restartPolicy");
    match spec
        .and_then(|spec| spec.get("restartPolicy"))
        .and_then(Value::as_str)
    {
        Some(policy) if allowed.contains(&policy) => {}
        Some(policy) => causes.push(Cause::not_supported(&field, policy, allowed)),
        None if allowed.len() > 1 => causes.push(Cause::required(
            &field,
            "valid values: \"OnFailure\", \"Never\"",
        )),
        None => {}
    }
}

fn pod_spec_causes(spec: Option<&Value>, path: &str, causes: &mut Vec<Cause>) {
    let volumes = spec
        .and_then(|spec| spec.get("volumes"))
        .and_then(Value::as_array);
    let mut volume_names: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, volume) in volumes.into_iter().flatten().enumerate() {
        let field = format!("{path}.volumes[{index}]");
        match volume.get("name").and_then(Value::as_str) {
            None | Some("") => causes.push(Cause::required(&format!("{field}.name"), "")),
            Some(name) if volume_names.contains_key(name) => {
                causes.push(Cause::duplicate(&format!("{field}.name"), name))
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
                    causes.push(Cause::duplicate(&format!("{field}.name"), name))
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
                causes.push(Cause::not_found(&format!("{mount_field}.name"), name))
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
fn go_string_map(map: Option<&Value>) -> String {
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
        let error = validate(deployments(), &deployment, None).unwrap_err();
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
        let error =
            validate(deployments(), &json!({"metadata": {"name": "Web"}}), None).unwrap_err();
        assert!(
            error
                .message
                .contains("metadata.name: Invalid value: \"Web\": a lowercase RFC 1123 subdomain")
        );
    }
}
