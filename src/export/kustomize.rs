//! `DIR/kubernetes/`: a kustomization that renders what `kwif apply` makes of the cluster: the
//! ServiceAccounts, the nginx hosting objects, each workload (its live object as the base) and
//! one strategic-merge patch per workload with the fields kwif owns. Text only; reads nothing.

use serde_json::{Value, json};

use crate::kube::manifest::to_yaml;
use crate::steps::workload::ExportedWorkload;

/// Metadata the API server sets or a controller writes: not part of a GitOps base.
const SERVER_METADATA: [&str; 6] = [
    "managedFields",
    "resourceVersion",
    "generation",
    "uid",
    "creationTimestamp",
    "selfLink",
];
const SERVER_ANNOTATIONS: [&str; 2] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
];

/// The files of `kubernetes/`, paths relative to it.
pub fn files(workloads: &[ExportedWorkload], hosting: &[Value]) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut resources = Vec::new();
    let mut patches = Vec::new();
    let service_accounts: Vec<&Value> = workloads.iter().map(|w| &w.service_account).collect();
    files.push((
        "service-accounts.yaml".to_string(),
        documents(service_accounts),
    ));
    resources.push(json!("service-accounts.yaml"));
    if !hosting.is_empty() {
        files.push((
            "hosting.yaml".to_string(),
            documents(hosting.iter().collect()),
        ));
        resources.push(json!("hosting.yaml"));
    }
    for exported in workloads {
        let workload = &exported.workload;
        let file = format!(
            "{}-{}-{}.yaml",
            workload.kind.as_str().to_ascii_lowercase(),
            workload.namespace,
            workload.name
        );
        files.push((format!("workloads/{file}"), to_yaml(&base(&exported.live))));
        resources.push(json!(format!("workloads/{file}")));
        files.push((format!("patches/{file}"), to_yaml(&exported.patch)));
        patches.push(json!({
            "path": format!("patches/{file}"),
            "target": {
                "kind": workload.kind.as_str(),
                "namespace": workload.namespace.as_str(),
                "name": workload.name.as_str(),
            },
        }));
    }
    let kustomization = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": resources,
        "patches": patches,
    });
    let header = "# Written by `kwif export`: what `kwif apply` makes of the cluster, for a GitOps repository.\n\
                  # workloads/ holds each workload as the cluster has it now, so this renders on its own\n\
                  # (`kubectl kustomize`). Where your repository already has the workload, drop its file from\n\
                  # resources and keep its patch: the patch targets the workload by kind, namespace and name.\n";
    files.push((
        "kustomization.yaml".to_string(),
        format!("{header}{}", to_yaml(&kustomization)),
    ));
    files.sort();
    files
}

/// Several objects as one YAML stream.
fn documents(objects: Vec<&Value>) -> String {
    objects
        .into_iter()
        .map(to_yaml)
        .collect::<Vec<_>>()
        .join("---\n")
}

/// The live object without what the server and controllers set.
fn base(live: &Value) -> Value {
    let mut object = live.clone();
    if let Some(metadata) = object["metadata"].as_object_mut() {
        for key in SERVER_METADATA {
            metadata.remove(key);
        }
        if let Some(annotations) = metadata
            .get_mut("annotations")
            .and_then(Value::as_object_mut)
        {
            for key in SERVER_ANNOTATIONS {
                annotations.remove(key);
            }
            if annotations.is_empty() {
                metadata.remove("annotations");
            }
        }
    }
    if let Some(map) = object.as_object_mut() {
        map.remove("status");
    }
    object
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_loses_what_the_server_set_and_keeps_the_users_fields() {
        let live = json!({"apiVersion":"apps/v1","kind":"Deployment",
            "metadata":{"name":"web","namespace":"app","uid":"u","resourceVersion":"7",
                "annotations":{"deployment.kubernetes.io/revision":"2","team":"shop"}},
            "spec":{"replicas":2},"status":{"readyReplicas":2}});
        let base = base(&live);
        assert_eq!(
            base["metadata"],
            json!({"name":"web","namespace":"app","annotations":{"team":"shop"}})
        );
        assert!(base.get("status").is_none());
        assert_eq!(base["spec"]["replicas"], 2);
    }
}
