//! Jobs as kube-apiserver treats them (pkg/registry/batch/job/strategy.go and
//! pkg/apis/batch/validation/validation.go): the selector and labels generated at creation, the
//! rules of a Job's spec, and what an update may not change — the pod template above all.

use serde_json::{Value, json};

use super::status::Cause;
use super::store::set_at;
use super::validation::{FIELD_IMMUTABLE, go_label_selector, go_string_map, pod_spec_causes, same};

/// The labels `generateSelector` puts on the pod template: the legacy pair and, since
/// Kubernetes 1.27, the prefixed pair (batch.LegacyJobNameLabel, batch.JobNameLabel, …).
pub const LEGACY_JOB_NAME: &str = "job-name";
pub const JOB_NAME: &str = "batch.kubernetes.io/job-name";
pub const LEGACY_CONTROLLER_UID: &str = "controller-uid";
pub const CONTROLLER_UID: &str = "batch.kubernetes.io/controller-uid";

/// Whether the Job asks to pick its own selector (`spec.manualSelector: true`).
fn manual_selector(job: &Value) -> bool {
    job.pointer("/spec/manualSelector").and_then(Value::as_bool) == Some(true)
}

/// `generateSelector` on create, unless the selector is manual: the template gets the four
/// labels (values the user already set are kept, for validation to judge), the selector
/// matches `batch.kubernetes.io/controller-uid`. Needs the uid the Job is stored with.
pub fn generate_selector(job: &mut Value) {
    if manual_selector(job) {
        return;
    }
    let text = |pointer: &str| {
        job.pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let (name, uid) = (text("/metadata/name"), text("/metadata/uid"));
    let generated = [
        (LEGACY_JOB_NAME, &name),
        (JOB_NAME, &name),
        (LEGACY_CONTROLLER_UID, &uid),
        (CONTROLLER_UID, &uid),
    ];
    for (label, value) in generated {
        if job
            .pointer(&format!("/spec/template/metadata/labels/{}", escape(label)))
            .is_none()
        {
            set_at(
                job,
                &["spec", "template", "metadata", "labels", label],
                json!(value),
            );
        }
    }
    if job
        .pointer(&format!(
            "/spec/selector/matchLabels/{}",
            escape(CONTROLLER_UID)
        ))
        .is_none()
    {
        set_at(
            job,
            &["spec", "selector", "matchLabels", CONTROLLER_UID],
            json!(uid),
        );
    }
}

/// A JSON pointer token for a label key (`/` is `~1`).
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// ValidateJob, then on an update ValidateJobUpdate, in the order their errors appear.
pub fn causes(job: &Value, old: Option<&Value>, causes: &mut Vec<Cause>) {
    // The prefixed labels are required of Jobs that have them already (all Jobs created by
    // Kubernetes 1.27 on): validationOptionsForJob's RequirePrefixedLabels.
    let prefixed = old.is_none_or(|old| {
        let labels = old.pointer("/spec/template/metadata/labels");
        [JOB_NAME, CONTROLLER_UID]
            .iter()
            .all(|label| labels.and_then(|labels| labels.get(label)).is_some())
    });
    generated_selector_causes(job, prefixed, causes);
    spec_causes(job.get("spec"), causes);
    if let Some(old) = old {
        update_causes(job, old, causes);
    }
}

/// validateGeneratedSelector: with a generated selector, the template carries the generated
/// labels with the Job's own name and uid, and the selector selects them.
fn generated_selector_causes(job: &Value, prefixed: bool, causes: &mut Vec<Cause>) {
    let selector = job.pointer("/spec/selector");
    if manual_selector(job) || selector.is_none_or(Value::is_null) {
        return;
    }
    let text = |pointer: &str| job.pointer(pointer).and_then(Value::as_str).unwrap_or("");
    let (name, uid) = (text("/metadata/name"), text("/metadata/uid"));
    if uid.is_empty() {
        causes.push(Cause::required("metadata.uid", ""));
    }
    let labels = job.pointer("/spec/template/metadata/labels");
    let mut expected = vec![(LEGACY_CONTROLLER_UID, uid), (LEGACY_JOB_NAME, name)];
    if prefixed {
        expected.extend([(CONTROLLER_UID, uid), (JOB_NAME, name)]);
    }
    for (label, value) in &expected {
        has_label(labels, label, value, causes);
    }
    let expected_labels: serde_json::Map<String, Value> = expected
        .iter()
        .map(|(label, value)| (label.to_string(), json!(value)))
        .collect();
    if !selects(selector, Some(&Value::Object(expected_labels))) {
        causes.push(Cause::invalid(
            "spec.selector",
            &go_label_selector(selector),
            "`selector` not auto-generated",
        ));
    }
}

/// ValidateHasLabel (pkg/apis/core/validation).
fn has_label(labels: Option<&Value>, label: &str, expected: &str, causes: &mut Vec<Cause>) {
    let field = format!("spec.template.metadata.labels[{label}]");
    match labels
        .and_then(|labels| labels.get(label))
        .and_then(Value::as_str)
    {
        None => causes.push(Cause::required(&field, &format!("must be '{expected}'"))),
        Some(actual) if actual != expected => causes.push(Cause::invalid(
            &field,
            &go_string_map(labels),
            &format!("must be '{expected}'"),
        )),
        Some(_) => {}
    }
}

/// ValidateJobSpec: the pod template, a restart policy a Job can use, a selector, and the
/// selector matching the template's labels.
fn spec_causes(spec: Option<&Value>, causes: &mut Vec<Cause>) {
    let pod_spec = spec.and_then(|spec| spec.pointer("/template/spec"));
    pod_spec_causes(pod_spec, "spec.template.spec", causes);
    restart_policy_causes(pod_spec, "spec.template.spec.restartPolicy", causes);
    let selector = spec.and_then(|spec| spec.get("selector"));
    let labels = spec.and_then(|spec| spec.pointer("/template/metadata/labels"));
    match selector.filter(|selector| !selector.is_null()) {
        None => causes.push(Cause::required("spec.selector", "")),
        Some(selector) if !selects(Some(selector), labels) => causes.push(Cause::invalid(
            "spec.template.metadata.labels",
            &go_string_map(labels),
            "`selector` does not match template `labels`",
        )),
        Some(_) => {}
    }
}

/// A Job's pods never restart in place: `Always` (or nothing, which a pod template would be
/// defaulted to) is required to be `OnFailure` or `Never`.
fn restart_policy_causes(pod_spec: Option<&Value>, field: &str, causes: &mut Vec<Cause>) {
    match pod_spec
        .and_then(|spec| spec.get("restartPolicy"))
        .and_then(Value::as_str)
    {
        None | Some("" | "Always") => causes.push(Cause::required(
            field,
            "valid values: \"OnFailure\", \"Never\"",
        )),
        Some("OnFailure" | "Never") => {}
        Some(other) => causes.push(Cause::not_supported(field, other, &["OnFailure", "Never"])),
    }
}

/// ValidateJobTemplateSpec, for a CronJob's `jobTemplate.spec`: the spec rules without a
/// selector, which every Job the CronJob creates generates for itself.
pub fn template_causes(spec: Option<&Value>, causes: &mut Vec<Cause>) {
    let pod_spec = spec.and_then(|spec| spec.pointer("/template/spec"));
    let path = "spec.jobTemplate.spec.template.spec";
    pod_spec_causes(pod_spec, path, causes);
    restart_policy_causes(pod_spec, &format!("{path}.restartPolicy"), causes);
    let selector = spec.and_then(|spec| spec.get("selector"));
    if selector.is_some_and(|selector| !selector.is_null()) {
        causes.push(Cause::invalid(
            "spec.jobTemplate.spec.selector",
            &go_label_selector(selector),
            "`selector` will be auto-generated",
        ));
    }
    if spec
        .and_then(|spec| spec.get("manualSelector"))
        .and_then(Value::as_bool)
        == Some(true)
    {
        causes.push(Cause::not_supported(
            "spec.jobTemplate.spec.manualSelector",
            "true",
            &["nil", "false"],
        ));
    }
}

/// ValidateJobSpecUpdate: completions, selector, pod template, completion mode and the
/// failure and success policies stay as created.
fn update_causes(job: &Value, old: &Value, causes: &mut Vec<Cause>) {
    let new_spec = |member: &str| job.pointer(&format!("/spec/{member}"));
    let old_spec = |member: &str| old.pointer(&format!("/spec/{member}"));
    if !same(new_spec("completions"), old_spec("completions")) {
        causes.push(Cause::invalid(
            "spec.completions",
            &go_scalar(new_spec("completions")),
            FIELD_IMMUTABLE,
        ));
    }
    if !same(new_spec("selector"), old_spec("selector")) {
        causes.push(Cause::invalid(
            "spec.selector",
            &go_label_selector(new_spec("selector")),
            FIELD_IMMUTABLE,
        ));
    }
    template_update_causes(job, old, causes);
    for member in [
        "completionMode",
        "podFailurePolicy",
        "backoffLimitPerIndex",
        "managedBy",
        "successPolicy",
    ] {
        if !same(new_spec(member), old_spec(member)) {
            causes.push(Cause::invalid(
                &format!("spec.{member}"),
                &go_scalar(new_spec(member)),
                FIELD_IMMUTABLE,
            ));
        }
    }
}

/// validatePodTemplateUpdate: the template is immutable, except that a Job suspended since
/// its creation (never started) may change its scheduling directives, labels and annotations.
fn template_update_causes(job: &Value, old: &Value, causes: &mut Vec<Cause>) {
    let template = job
        .pointer("/spec/template")
        .cloned()
        .unwrap_or(Value::Null);
    let mut old_template = old
        .pointer("/spec/template")
        .cloned()
        .unwrap_or(Value::Null);
    let suspended = old.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true);
    let never_started = old.pointer("/status/startTime").is_none_or(Value::is_null);
    if suspended && never_started {
        for pointer in [
            "/metadata/labels",
            "/metadata/annotations",
            "/spec/nodeSelector",
            "/spec/tolerations",
            "/spec/schedulingGates",
            "/spec/affinity/nodeAffinity",
        ] {
            let path: Vec<&str> = pointer.split('/').skip(1).collect();
            let value = template.pointer(pointer).cloned().unwrap_or(Value::Null);
            set_at(&mut old_template, &path, value);
        }
    }
    if !same(Some(&template), Some(&old_template)) {
        causes.push(Cause::invalid(
            "spec.template",
            &go_pod_template(&template),
            FIELD_IMMUTABLE,
        ));
    }
}

/// A scalar as field errors print it: numbers and booleans bare, strings quoted, nothing
/// as `"null"`; anything else as JSON.
fn go_scalar(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "\"null\"".to_string(),
        Some(Value::String(text)) => format!("{text:?}"),
        Some(other) => other.to_string(),
    }
}

/// The template as Go's `%#v` starts printing the internal `core.PodTemplateSpec` (the
/// metadata as kubernetes/kubernetes#118645 shows it for 1.27 on); the pod spec, several
/// kilobytes there, is abbreviated — clients match the field and `field is immutable`.
fn go_pod_template(template: &Value) -> String {
    let text = |pointer: &str| {
        template
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    format!(
        "core.PodTemplateSpec{{ObjectMeta:v1.ObjectMeta{{Name:{:?}, GenerateName:{:?}, Namespace:{:?}, \
         SelfLink:\"\", UID:\"\", ResourceVersion:\"\", Generation:0, CreationTimestamp:time.Date(1, \
         time.January, 1, 0, 0, 0, 0, time.UTC), DeletionTimestamp:<nil>, \
         DeletionGracePeriodSeconds:(*int64)(nil), Labels:{}, Annotations:{}, \
         OwnerReferences:[]v1.OwnerReference(nil), Finalizers:[]string(nil), \
         ManagedFields:[]v1.ManagedFieldsEntry(nil)}}, Spec:core.PodSpec{{…}}}}",
        text("/metadata/name"),
        text("/metadata/generateName"),
        text("/metadata/namespace"),
        go_string_map(template.pointer("/metadata/labels")),
        go_string_map(template.pointer("/metadata/annotations")),
    )
}

/// Whether a `metav1.LabelSelector` selects a label set (LabelSelectorAsSelector): all
/// `matchLabels` equal, every expression holds; a selector without requirements selects all.
pub fn selects(selector: Option<&Value>, labels: Option<&Value>) -> bool {
    let Some(selector) = selector.filter(|selector| !selector.is_null()) else {
        return false;
    };
    let label = |key: &str| {
        labels
            .and_then(|labels| labels.get(key))
            .and_then(Value::as_str)
    };
    let match_labels = selector
        .get("matchLabels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .all(|(key, value)| label(key) == value.as_str());
    let expressions = selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .all(|expression| {
            let key = expression["key"].as_str().unwrap_or_default();
            let values: Vec<&str> = expression["values"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            match expression["operator"].as_str().unwrap_or_default() {
                "In" => label(key).is_some_and(|value| values.contains(&value)),
                "NotIn" => label(key).is_none_or(|value| !values.contains(&value)),
                "Exists" => label(key).is_some(),
                "DoesNotExist" => label(key).is_none(),
                _ => false,
            }
        });
    match_labels && expressions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_selector_keeps_labels_the_user_set() {
        let mut job = json!({"metadata": {"name": "once", "uid": "u1"}, "spec": {"template": {"metadata": {"labels": {"job-name": "mine"}}}}});
        generate_selector(&mut job);
        let labels = &job["spec"]["template"]["metadata"]["labels"];
        assert_eq!(labels["job-name"], "mine");
        assert_eq!(labels[JOB_NAME], "once");
        assert_eq!(labels[CONTROLLER_UID], "u1");
        assert_eq!(
            job["spec"]["selector"],
            json!({"matchLabels": {CONTROLLER_UID: "u1"}})
        );
        let mut manual = json!({"metadata": {"name": "m"}, "spec": {"manualSelector": true}});
        generate_selector(&mut manual);
        assert!(manual["spec"].get("selector").is_none());
    }

    #[test]
    fn selectors_match_labels_and_expressions() {
        let labels = json!({"app": "web", "tier": "front"});
        let selector = json!({"matchLabels": {"app": "web"}, "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["front", "back"]},
            {"key": "gone", "operator": "DoesNotExist"}]});
        assert!(selects(Some(&selector), Some(&labels)));
        assert!(!selects(
            Some(&json!({"matchLabels": {"app": "db"}})),
            Some(&labels)
        ));
        assert!(selects(Some(&json!({})), Some(&labels)));
        assert!(!selects(None, Some(&labels)));
    }
}
