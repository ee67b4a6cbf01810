//! The admission plugins every pod passes through before it is stored: ServiceAccount (the
//! account must exist; the `kube-api-access-*` token volume is mounted) and the default
//! tolerations and priority.

use serde_json::{Value, json};

use super::resources;
use super::store::{ObjectKey, Store};
use crate::randomness;

/// Where every container finds its API token (the ServiceAccount admission plugin).
const TOKEN_MOUNT_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// Admits a pod, or says why the ServiceAccount plugin forbids it (the message after
/// `pods "x" is forbidden: `).
pub fn admit_pod(store: &Store, pod: &mut Value) -> Result<(), String> {
    let namespace = pod
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("default")
        .to_string();
    let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else {
        return Ok(());
    };
    let account = spec
        .get("serviceAccountName")
        .or_else(|| spec.get("serviceAccount"))
        .and_then(Value::as_str)
        .filter(|name| !name.is_empty())
        .unwrap_or("default")
        .to_string();
    spec.insert("serviceAccountName".into(), json!(account));
    spec.insert("serviceAccount".into(), json!(account));
    let Some(service_accounts) = resources::find("", "v1", "serviceaccounts") else {
        return Ok(());
    };
    let key = ObjectKey::new(service_accounts, Some(&namespace), &account);
    let Some(service_account) = store.get(&key) else {
        return Err(format!(
            "error looking up service account {namespace}/{account}: serviceaccount {account:?} not found"
        ));
    };
    let automount = spec
        .get("automountServiceAccountToken")
        .or_else(|| service_account.get("automountServiceAccountToken"))
        .and_then(Value::as_bool)
        .unwrap_or(true);
    if automount {
        mount_api_token(spec);
    }
    let tolerations = spec.entry("tolerations").or_insert_with(|| json!([]));
    if let Some(tolerations) = tolerations.as_array_mut() {
        for taint in [
            "node.kubernetes.io/not-ready",
            "node.kubernetes.io/unreachable",
        ] {
            if !tolerations
                .iter()
                .any(|t| t.get("key").and_then(Value::as_str) == Some(taint))
            {
                tolerations.push(json!({"key": taint, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}));
            }
        }
    }
    spec.entry("enableServiceLinks").or_insert(json!(true));
    spec.entry("preemptionPolicy")
        .or_insert(json!("PreemptLowerPriority"));
    spec.entry("priority").or_insert(json!(0));
    Ok(())
}

/// Adds the projected `kube-api-access-*` volume and mounts it read-only in every container,
/// unless a container already mounts something there.
fn mount_api_token(spec: &mut serde_json::Map<String, Value>) {
    let already = ["containers", "initContainers"].iter().any(|list| {
        spec.get(*list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|container| {
                container
                    .get("volumeMounts")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .any(|mount| {
                        mount.get("mountPath").and_then(Value::as_str) == Some(TOKEN_MOUNT_PATH)
                    })
            })
    });
    if already {
        return;
    }
    let name = format!("kube-api-access-{}", randomness::name_suffix(5));
    let volume = json!({"name": name, "projected": {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
    ]}});
    if let Some(volumes) = spec
        .entry("volumes")
        .or_insert_with(|| json!([]))
        .as_array_mut()
    {
        volumes.push(volume);
    }
    for list in ["containers", "initContainers"] {
        let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) else {
            continue;
        };
        for container in containers.iter_mut().filter_map(Value::as_object_mut) {
            let mounts = container.entry("volumeMounts").or_insert_with(|| json!([]));
            if let Some(mounts) = mounts.as_array_mut() {
                mounts.push(json!({"name": name, "readOnly": true, "mountPath": TOKEN_MOUNT_PATH}));
            }
        }
    }
}
