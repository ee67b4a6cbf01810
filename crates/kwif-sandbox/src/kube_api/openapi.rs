//! The OpenAPI v3 documents kube-apiserver serves at `/openapi/v3` (a root listing one document
//! per group version, each at a `?hash=` URL), reduced to what clients read: every resource's
//! operations with `x-kubernetes-group-version-kind`, `x-kubernetes-action` and query parameters.
//! kubectl looks for `fieldValidation` on PATCH there to leave field validation to the server
//! (k8s.io/cli-runtime `query_param_verifier_v3.go`); schemas are left out.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::distribution::Distribution;
use super::resources::{self, ResourceType};

/// The group versions with a document: `api/v1` and `apis/{group}/v1`.
fn group_versions(distribution: Distribution) -> Vec<String> {
    let mut paths = vec!["api/v1".to_string()];
    for resource in resources::served(distribution) {
        let path = format!("apis/{}/{}", resource.group, resource.version);
        if !resource.group.is_empty() && !paths.contains(&path) {
            paths.push(path);
        }
    }
    paths
}

/// `GET /openapi/v3`: each group version's document URL, its hash naming the content.
pub fn root(distribution: Distribution) -> Value {
    let mut paths = Map::new();
    for group_version in group_versions(distribution) {
        if let Some(document) = document(distribution, &group_version) {
            let hash = hex_upper(&Sha256::digest(document.to_string().as_bytes()));
            paths.insert(
                group_version.clone(),
                json!({"serverRelativeURL": format!("/openapi/v3/{group_version}?hash={hash}")}),
            );
        }
    }
    json!({ "paths": paths })
}

/// `GET /openapi/v3/{group_version}`, or `None` for a group version the server does not serve.
pub fn document(distribution: Distribution, group_version: &str) -> Option<Value> {
    let served: Vec<&ResourceType> = resources::served(distribution)
        .filter(|resource| prefix(resource) == format!("/{group_version}"))
        .collect();
    if served.is_empty() {
        return None;
    }
    let mut paths = Map::new();
    for resource in served {
        let (collection, item) = resource_paths(resource);
        paths.insert(
            collection,
            json!({
                "get": operation(resource, "list", &["labelSelector", "fieldSelector", "limit", "continue", "watch"]),
                "post": operation(resource, "post", &["dryRun", "fieldManager", "fieldValidation"]),
            }),
        );
        paths.insert(
            item,
            json!({
                "get": operation(resource, "get", &[]),
                "put": operation(resource, "put", &["dryRun", "fieldManager", "fieldValidation"]),
                "patch": operation(resource, "patch", &["dryRun", "fieldManager", "fieldValidation", "force"]),
                "delete": operation(resource, "delete", &["dryRun", "gracePeriodSeconds", "propagationPolicy"]),
            }),
        );
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "unversioned"},
        "paths": paths,
        "components": {},
    }))
}

/// `/api/v1` or `/apis/{group}/{version}`.
fn prefix(resource: &ResourceType) -> String {
    match resource.group {
        "" => format!("/api/{}", resource.version),
        group => format!("/apis/{group}/{}", resource.version),
    }
}

/// The collection's and one object's path templates.
fn resource_paths(resource: &ResourceType) -> (String, String) {
    let base = match resource.namespaced {
        true => format!(
            "{}/namespaces/{{namespace}}/{}",
            prefix(resource),
            resource.plural
        ),
        false => format!("{}/{}", prefix(resource), resource.plural),
    };
    let item = format!("{base}/{{name}}");
    (base, item)
}

fn operation(resource: &ResourceType, action: &str, query: &[&str]) -> Value {
    let mut parameters: Vec<Value> = query
        .iter()
        .map(|name| {
            let kind = match *name {
                "force" | "watch" => "boolean",
                "limit" | "gracePeriodSeconds" => "integer",
                _ => "string",
            };
            json!({"name": name, "in": "query", "schema": {"type": kind, "uniqueItems": true}})
        })
        .collect();
    if resource.namespaced {
        parameters.push(path_parameter("namespace"));
    }
    if matches!(action, "get" | "put" | "patch" | "delete") {
        parameters.push(path_parameter("name"));
    }
    json!({
        "operationId": format!("{action}{}", resource.kind),
        "parameters": parameters,
        "responses": {"200": {"description": "OK"}, "401": {"description": "Unauthorized"}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": resource.group, "version": resource.version, "kind": resource.kind},
    })
}

fn path_parameter(name: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": {"type": "string", "uniqueItems": true}})
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_group_version_has_a_hashed_document_with_field_validation_on_patch() {
        let root = root(Distribution::K3s);
        let url = root["paths"]["apis/apps/v1"]["serverRelativeURL"]
            .as_str()
            .unwrap();
        assert!(url.starts_with("/openapi/v3/apis/apps/v1?hash="), "{url}");
        let apps = document(Distribution::K3s, "apis/apps/v1").unwrap();
        let patch =
            &apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
        assert_eq!(
            patch["x-kubernetes-group-version-kind"],
            json!({"group": "apps", "version": "v1", "kind": "Deployment"})
        );
        assert!(
            patch["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|parameter| parameter["name"] == "fieldValidation")
        );
        let core = document(Distribution::K3s, "api/v1").unwrap();
        assert!(core["paths"].get("/api/v1/namespaces/{name}").is_some());
        assert!(document(Distribution::K3s, "apis/nope/v1").is_none());
    }
}
