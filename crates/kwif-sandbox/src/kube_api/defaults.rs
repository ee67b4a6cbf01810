//! Defaulting, as the apiserver applies it to every object it stores (pkg/apis/*/v1/defaults.go):
//! the values that show up in `kubectl get -o yaml` though nobody wrote them.

use serde_json::{Map, Value, json};

use super::resources::ResourceType;

/// Sets the defaults of `resource` on `object`, leaving every value already present.
pub fn apply(resource: &ResourceType, object: &mut Value) {
    let Some(root) = object.as_object_mut() else {
        return;
    };
    match resource.kind {
        "Deployment" => {
            let spec = child(root, "spec");
            set(spec, "replicas", json!(1));
            set(spec, "revisionHistoryLimit", json!(10));
            set(spec, "progressDeadlineSeconds", json!(600));
            let strategy = child(spec, "strategy");
            set(strategy, "type", json!("RollingUpdate"));
            if strategy.get("type").and_then(Value::as_str) == Some("RollingUpdate") {
                let rolling = child(strategy, "rollingUpdate");
                set(rolling, "maxUnavailable", json!("25%"));
                set(rolling, "maxSurge", json!("25%"));
            }
            pod_template(spec);
        }
        "StatefulSet" => {
            let spec = child(root, "spec");
            set(spec, "replicas", json!(1));
            set(spec, "podManagementPolicy", json!("OrderedReady"));
            set(spec, "revisionHistoryLimit", json!(10));
            set(
                spec,
                "updateStrategy",
                json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}),
            );
            set(
                spec,
                "persistentVolumeClaimRetentionPolicy",
                json!({"whenDeleted": "Retain", "whenScaled": "Retain"}),
            );
            pod_template(spec);
        }
        "DaemonSet" => {
            let spec = child(root, "spec");
            set(spec, "revisionHistoryLimit", json!(10));
            set(
                spec,
                "updateStrategy",
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}),
            );
            pod_template(spec);
        }
        "ReplicaSet" => {
            let spec = child(root, "spec");
            set(spec, "replicas", json!(1));
            pod_template(spec);
        }
        "Job" => {
            let spec = child(root, "spec");
            job_spec(spec);
            // SetDefaults_Job (pkg/apis/batch/v1/defaults.go): manualSelector false since 1.29
            // (kubernetes/kubernetes#120206); the template's labels label a Job that has none.
            set(spec, "manualSelector", json!(false));
            copy_template_labels(root);
        }
        "CronJob" => {
            let spec = child(root, "spec");
            set(spec, "concurrencyPolicy", json!("Allow"));
            set(spec, "suspend", json!(false));
            set(spec, "successfulJobsHistoryLimit", json!(3));
            set(spec, "failedJobsHistoryLimit", json!(1));
            job_spec(child(child(spec, "jobTemplate"), "spec"));
        }
        "Pod" => pod_spec(child(root, "spec"), true),
        "Service" => service_spec(child(root, "spec")),
        "Namespace" => {
            set(child(root, "spec"), "finalizers", json!(["kubernetes"]));
        }
        _ => {}
    }
}

/// The template's labels as the Job's own when it has none (SetDefaults_Job). The apiserver
/// defaults again when it reads a Job back, so a Job created without labels shows the labels
/// its selector generation put on the template.
pub fn copy_template_labels(job: &mut Map<String, Value>) {
    let template_labels = job
        .get("spec")
        .and_then(|spec| spec.pointer("/template/metadata/labels"))
        .filter(|labels| labels.as_object().is_some_and(|labels| !labels.is_empty()))
        .cloned();
    let metadata = child(job, "metadata");
    let unlabelled = metadata
        .get("labels")
        .and_then(Value::as_object)
        .is_none_or(serde_json::Map::is_empty);
    if let (Some(labels), true) = (template_labels, unlabelled) {
        metadata.insert("labels".into(), labels);
    }
}

fn job_spec(spec: &mut Map<String, Value>) {
    set(spec, "backoffLimit", json!(6));
    set(spec, "completionMode", json!("NonIndexed"));
    set(spec, "completions", json!(1));
    set(spec, "parallelism", json!(1));
    set(spec, "suspend", json!(false));
    set(spec, "podReplacementPolicy", json!("TerminatingOrFailed"));
    let template = child(spec, "template");
    pod_spec(child(template, "spec"), false);
}

fn pod_template(spec: &mut Map<String, Value>) {
    let template = child(spec, "template");
    pod_spec(child(template, "spec"), true);
}

/// `SetDefaults_PodSpec` and the container defaults; `restart_always` is false for job
/// templates, which must name their policy.
fn pod_spec(spec: &mut Map<String, Value>, restart_always: bool) {
    if restart_always {
        set(spec, "restartPolicy", json!("Always"));
    }
    set(spec, "dnsPolicy", json!("ClusterFirst"));
    set(spec, "schedulerName", json!("default-scheduler"));
    set(spec, "securityContext", json!({}));
    set(spec, "terminationGracePeriodSeconds", json!(30));
    for list in ["initContainers", "containers"] {
        if let Some(Value::Array(containers)) = spec.get_mut(list) {
            containers
                .iter_mut()
                .filter_map(Value::as_object_mut)
                .for_each(container);
        }
    }
    if let Some(Value::Array(volumes)) = spec.get_mut("volumes") {
        volumes
            .iter_mut()
            .filter_map(Value::as_object_mut)
            .for_each(volume);
    }
}

fn container(container: &mut Map<String, Value>) {
    let image = container
        .get("image")
        .and_then(Value::as_str)
        .unwrap_or_default();
    // `:latest` or no tag pulls always (SetDefaults_Container); digests count as tags.
    let last = image.rsplit('/').next().unwrap_or(image);
    let pull = match last.contains(':') || last.contains('@') {
        true if !last.ends_with(":latest") => "IfNotPresent",
        _ => "Always",
    };
    set(container, "imagePullPolicy", json!(pull));
    set(
        container,
        "terminationMessagePath",
        json!("/dev/termination-log"),
    );
    set(container, "terminationMessagePolicy", json!("File"));
    set(container, "resources", json!({}));
    if let Some(Value::Array(ports)) = container.get_mut("ports") {
        for port in ports.iter_mut().filter_map(Value::as_object_mut) {
            set(port, "protocol", json!("TCP"));
        }
    }
    if let Some(Value::Array(env)) = container.get_mut("env") {
        for field_ref in env
            .iter_mut()
            .filter_map(|var| var.pointer_mut("/valueFrom/fieldRef"))
        {
            if let Some(field_ref) = field_ref.as_object_mut() {
                set(field_ref, "apiVersion", json!("v1"));
            }
        }
    }
}

fn volume(volume: &mut Map<String, Value>) {
    for source in ["configMap", "secret", "projected", "downwardAPI"] {
        if let Some(Value::Object(source)) = volume.get_mut(source) {
            set(source, "defaultMode", json!(420));
        }
    }
    if let Some(Value::Array(sources)) = volume
        .get_mut("projected")
        .and_then(|p| p.get_mut("sources"))
    {
        for token in sources
            .iter_mut()
            .filter_map(|s| s.get_mut("serviceAccountToken"))
        {
            if let Some(token) = token.as_object_mut() {
                set(token, "expirationSeconds", json!(3600));
            }
        }
    }
}

fn service_spec(spec: &mut Map<String, Value>) {
    set(spec, "type", json!("ClusterIP"));
    set(spec, "sessionAffinity", json!("None"));
    set(spec, "internalTrafficPolicy", json!("Cluster"));
    set(spec, "ipFamilies", json!(["IPv4"]));
    set(spec, "ipFamilyPolicy", json!("SingleStack"));
    if let Some(Value::Array(ports)) = spec.get_mut("ports") {
        for port in ports.iter_mut().filter_map(Value::as_object_mut) {
            set(port, "protocol", json!("TCP"));
            if let Some(number) = port.get("port").cloned() {
                set(port, "targetPort", number);
            }
        }
    }
}

fn set(map: &mut Map<String, Value>, name: &str, value: Value) {
    if map.get(name).is_none_or(Value::is_null) {
        map.insert(name.to_string(), value);
    }
}

/// The object at `name`, created (or replaced, when not an object) as needed.
fn child<'m>(map: &'m mut Map<String, Value>, name: &str) -> &'m mut Map<String, Value> {
    let entry = map.entry(name.to_string()).or_insert_with(|| json!({}));
    if !entry.is_object() {
        *entry = json!({});
    }
    match entry {
        Value::Object(object) => object,
        _ => unreachable!("made an object above"),
    }
}
