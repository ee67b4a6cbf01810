//! The Kubernetes objects a publisher owns: diffs from a server-side dry run, and server-side
//! apply as field manager `kwif`, like the workload step. Objects are plain manifests (JSON).

use crate::kube::manifest::{comparable_yaml, to_yaml};
use ::kube::Client;
use ::kube::api::{Api, DynamicObject};
use serde_json::Value;

use super::HostingError;
use crate::engine::Change;
use crate::kube as cluster;

/// `Kind namespace/name`, or `Kind name` for cluster-scoped objects.
pub fn target(object: &Value) -> String {
    let kind = object["kind"].as_str().unwrap_or_default();
    let name = object["metadata"]["name"].as_str().unwrap_or_default();
    match object["metadata"]["namespace"].as_str() {
        Some(namespace) => format!("{kind} {namespace}/{name}"),
        None => format!("{kind} {name}"),
    }
}

fn name(object: &Value) -> &str {
    object["metadata"]["name"].as_str().unwrap_or_default()
}

/// The API of an object's kind: namespaced when the manifest names a namespace.
fn api_for(client: &Client, object: &Value) -> Api<DynamicObject> {
    let api_version = object["apiVersion"].as_str().unwrap_or_default();
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let resource =
        cluster::api_resource(group, version, object["kind"].as_str().unwrap_or_default());
    match object["metadata"]["namespace"].as_str() {
        Some(namespace) => cluster::dynamic_api(client, &resource, namespace),
        None => Api::all_with(client.clone(), &resource),
    }
}

/// The live object, `None` when it does not exist.
pub async fn live(client: &Client, object: &Value) -> Result<Option<Value>, HostingError> {
    Ok(cluster::get_object(&api_for(client, object), name(object)).await?)
}

/// One change per object that a server-side apply would alter, with the dry run's result as
/// `after`. Objects in a namespace that is itself still to be created cannot be dry-run (the API
/// server answers 404), so their manifest is shown instead.
pub async fn plan(client: &Client, objects: &[Value]) -> Result<Vec<Change>, HostingError> {
    let mut changes = Vec::new();
    let mut new_namespaces: Vec<String> = Vec::new();
    for object in objects {
        let before = live(client, object).await?;
        let in_new_namespace = object["metadata"]["namespace"]
            .as_str()
            .is_some_and(|namespace| new_namespaces.iter().any(|n| n == namespace));
        let after = if in_new_namespace {
            object.clone()
        } else {
            cluster::apply(&api_for(client, object), name(object), object, true).await?
        };
        if before.is_none() && object["kind"] == "Namespace" {
            new_namespaces.push(name(object).to_string());
        }
        let before_text = before.as_ref().map(comparable_yaml).unwrap_or_default();
        let after_text = comparable_yaml(&after);
        if before_text == after_text {
            continue;
        }
        let summary = match before {
            None => format!("create {}", target(object)),
            Some(_) => format!("server-side apply {} as field manager kwif", target(object)),
        };
        changes.push(
            Change::new(target(object), summary, before_text, after_text)
                .with_manifest(to_yaml(object)),
        );
    }
    Ok(changes)
}

/// Server-side apply of every object, in order.
pub async fn apply(client: &Client, objects: &[Value]) -> Result<(), HostingError> {
    for object in objects {
        cluster::apply(&api_for(client, object), name(object), object, false).await?;
    }
    Ok(())
}

/// Deletes the object `object` names; one already gone is fine.
pub async fn delete(client: &Client, object: &Value) -> Result<(), HostingError> {
    let api = api_for(client, object);
    match api.delete(name(object), &Default::default()).await {
        Ok(_) => Ok(()),
        Err(::kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(error) => Err(HostingError::Kube(cluster::KubeError::from_kube(
            format!("deleting {}", target(object)),
            error,
        ))),
    }
}
