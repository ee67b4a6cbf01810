//! The resources the sandbox serves and the discovery documents that describe them (`/api`,
//! `/apis`, each group version, and aggregated discovery v2), as kube-apiserver lists them.

use serde_json::{Value, json};

use super::distribution::Distribution;

/// One REST resource.
#[derive(Debug, PartialEq, Eq)]
pub struct ResourceType {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    /// Served with a `status` subresource: writes to the main resource leave status alone.
    pub status_subresource: bool,
    /// `metadata.generation` is kept and bumped when the spec changes.
    pub generation: bool,
    /// Only OpenShift serves it.
    pub openshift_only: bool,
}

impl ResourceType {
    /// `apps/v1`, or `v1` for the core group.
    pub fn api_version(&self) -> String {
        match self.group {
            "" => self.version.to_string(),
            group => format!("{group}/{}", self.version),
        }
    }

    /// `deployments.apps`, or `configmaps` for the core group: how errors name the resource.
    pub fn group_resource(&self) -> String {
        match self.group {
            "" => self.plural.to_string(),
            group => format!("{}.{group}", self.plural),
        }
    }

    pub fn list_kind(&self) -> String {
        format!("{}List", self.kind)
    }

    fn verbs(&self) -> &'static [&'static str] {
        match self.plural {
            "namespaces" => &[
                "create", "delete", "get", "list", "patch", "update", "watch",
            ],
            _ => &[
                "create",
                "delete",
                "deletecollection",
                "get",
                "list",
                "patch",
                "update",
                "watch",
            ],
        }
    }

    fn served_by(&self, distribution: Distribution) -> bool {
        !self.openshift_only || distribution == Distribution::OpenShift
    }
}

const fn resource(
    group: &'static str,
    kind: &'static str,
    plural: &'static str,
    singular: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
) -> ResourceType {
    ResourceType {
        group,
        version: "v1",
        kind,
        plural,
        singular,
        namespaced,
        short_names,
        status_subresource: false,
        generation: false,
        openshift_only: false,
    }
}

/// A resource with a status subresource whose spec changes bump `metadata.generation`.
const fn workload(resource: ResourceType) -> ResourceType {
    ResourceType {
        status_subresource: true,
        generation: true,
        ..resource
    }
}

const fn with_status(resource: ResourceType) -> ResourceType {
    ResourceType {
        status_subresource: true,
        ..resource
    }
}

pub static RESOURCES: &[ResourceType] = &[
    with_status(resource(
        "",
        "Namespace",
        "namespaces",
        "namespace",
        false,
        &["ns"],
    )),
    resource(
        "",
        "ServiceAccount",
        "serviceaccounts",
        "serviceaccount",
        true,
        &["sa"],
    ),
    resource("", "ConfigMap", "configmaps", "configmap", true, &["cm"]),
    resource("", "Secret", "secrets", "secret", true, &[]),
    with_status(resource(
        "",
        "Service",
        "services",
        "service",
        true,
        &["svc"],
    )),
    with_status(resource("", "Pod", "pods", "pod", true, &["po"])),
    with_status(resource("", "Node", "nodes", "node", false, &["no"])),
    workload(resource(
        "apps",
        "Deployment",
        "deployments",
        "deployment",
        true,
        &["deploy"],
    )),
    workload(resource(
        "apps",
        "StatefulSet",
        "statefulsets",
        "statefulset",
        true,
        &["sts"],
    )),
    workload(resource(
        "apps",
        "DaemonSet",
        "daemonsets",
        "daemonset",
        true,
        &["ds"],
    )),
    workload(resource(
        "apps",
        "ReplicaSet",
        "replicasets",
        "replicaset",
        true,
        &["rs"],
    )),
    workload(resource("batch", "Job", "jobs", "job", true, &[])),
    workload(resource(
        "batch",
        "CronJob",
        "cronjobs",
        "cronjob",
        true,
        &["cj"],
    )),
    workload(resource(
        "networking.k8s.io",
        "Ingress",
        "ingresses",
        "ingress",
        true,
        &["ing"],
    )),
    resource(
        "rbac.authorization.k8s.io",
        "ClusterRole",
        "clusterroles",
        "clusterrole",
        false,
        &[],
    ),
    resource(
        "rbac.authorization.k8s.io",
        "ClusterRoleBinding",
        "clusterrolebindings",
        "clusterrolebinding",
        false,
        &[],
    ),
    resource(
        "rbac.authorization.k8s.io",
        "Role",
        "roles",
        "role",
        true,
        &[],
    ),
    resource(
        "rbac.authorization.k8s.io",
        "RoleBinding",
        "rolebindings",
        "rolebinding",
        true,
        &[],
    ),
    resource(
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        "mutatingwebhookconfiguration",
        false,
        &[],
    ),
    ResourceType {
        openshift_only: true,
        ..with_status(resource(
            "config.openshift.io",
            "Authentication",
            "authentications",
            "authentication",
            false,
            &[],
        ))
    },
];

/// The resource at `/api[s]/{group}/{version}/{plural}`.
pub fn find(group: &str, version: &str, plural: &str) -> Option<&'static ResourceType> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// The resource of objects with this `apiVersion` and `kind`.
pub fn by_kind(api_version: &str, kind: &str) -> Option<&'static ResourceType> {
    RESOURCES
        .iter()
        .find(|r| r.api_version() == api_version && r.kind == kind)
}

pub fn served(distribution: Distribution) -> impl Iterator<Item = &'static ResourceType> {
    RESOURCES.iter().filter(move |r| r.served_by(distribution))
}

/// The API groups in the order `/apis` lists them (core excluded).
fn groups(distribution: Distribution) -> Vec<&'static str> {
    let mut groups: Vec<&'static str> = Vec::new();
    for resource in served(distribution) {
        if !resource.group.is_empty() && !groups.contains(&resource.group) {
            groups.push(resource.group);
        }
    }
    groups.push("authentication.k8s.io");
    groups
}

/// Groups served without resources of their own here (TokenRequest is a core subresource).
fn group_version_exists(distribution: Distribution, group: &str, version: &str) -> bool {
    version == "v1" && (group == "authentication.k8s.io" || groups(distribution).contains(&group))
}

/// `GET /api`.
pub fn core_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    })
}

fn group_version_entry(group: &str) -> Value {
    json!({"groupVersion": format!("{group}/v1"), "version": "v1"})
}

fn group_entry(group: &str) -> Value {
    json!({"name": group, "versions": [group_version_entry(group)], "preferredVersion": group_version_entry(group)})
}

/// `GET /apis`.
pub fn group_list(distribution: Distribution) -> Value {
    let groups: Vec<Value> = groups(distribution).into_iter().map(group_entry).collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `GET /apis/{group}`, or `None` when the group is not served.
pub fn group(distribution: Distribution, group: &str) -> Option<Value> {
    groups(distribution).contains(&group).then(|| {
        let mut entry = group_entry(group);
        entry["kind"] = json!("APIGroup");
        entry["apiVersion"] = json!("v1");
        entry
    })
}

/// `GET /api/v1` or `/apis/{group}/{version}`, or `None` when not served.
pub fn resource_list(distribution: Distribution, group: &str, version: &str) -> Option<Value> {
    if group.is_empty() && version != "v1" {
        return None;
    }
    if !group.is_empty() && !group_version_exists(distribution, group, version) {
        return None;
    }
    let mut resources = Vec::new();
    for resource in served(distribution).filter(|r| r.group == group && r.version == version) {
        resources.push(resource_entry(resource));
        if resource.status_subresource {
            resources.push(json!({
                "name": format!("{}/status", resource.plural), "singularName": "",
                "namespaced": resource.namespaced, "kind": resource.kind, "verbs": ["get", "patch", "update"],
            }));
        }
        if resource.plural == "serviceaccounts" {
            resources.push(json!({
                "name": "serviceaccounts/token", "singularName": "", "namespaced": true,
                "group": "authentication.k8s.io", "version": "v1", "kind": "TokenRequest", "verbs": ["create"],
            }));
        }
    }
    let mut list = json!({"kind": "APIResourceList"});
    if !group.is_empty() {
        list["apiVersion"] = json!("v1");
    }
    list["groupVersion"] = json!(match group {
        "" => version.to_string(),
        group => format!("{group}/{version}"),
    });
    list["resources"] = Value::Array(resources);
    Some(list)
}

fn resource_entry(resource: &ResourceType) -> Value {
    let mut entry = json!({
        "name": resource.plural,
        "singularName": resource.singular,
        "namespaced": resource.namespaced,
        "kind": resource.kind,
        "verbs": resource.verbs(),
    });
    if !resource.short_names.is_empty() {
        entry["shortNames"] = json!(resource.short_names);
    }
    entry
}

/// The media type of aggregated discovery, which clients ask for in `Accept`.
pub const AGGREGATED_DISCOVERY: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// Aggregated discovery (`apidiscovery.k8s.io/v2`) for `/api` (`core`) or `/apis`.
pub fn aggregated(distribution: Distribution, core: bool) -> Value {
    let group_names: Vec<&str> = match core {
        true => vec![""],
        false => groups(distribution),
    };
    let items: Vec<Value> = group_names
        .into_iter()
        .map(|group| {
            let resources: Vec<Value> = served(distribution)
                .filter(|r| r.group == group)
                .map(aggregated_resource)
                .collect();
            json!({
                "metadata": {"name": group, "creationTimestamp": null},
                "versions": [{"version": "v1", "resources": resources, "freshness": "Current"}],
            })
        })
        .collect();
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items})
}

fn aggregated_resource(resource: &ResourceType) -> Value {
    let response_kind =
        json!({"group": resource.group, "version": resource.version, "kind": resource.kind});
    let mut subresources = Vec::new();
    if resource.status_subresource {
        subresources.push(json!({"subresource": "status", "responseKind": response_kind, "verbs": ["get", "patch", "update"]}));
    }
    if resource.plural == "serviceaccounts" {
        subresources.push(json!({
            "subresource": "token",
            "responseKind": {"group": "authentication.k8s.io", "version": "v1", "kind": "TokenRequest"},
            "verbs": ["create"],
        }));
    }
    let mut entry = json!({
        "resource": resource.plural,
        "responseKind": response_kind,
        "scope": if resource.namespaced { "Namespaced" } else { "Cluster" },
        "singularResource": resource.singular,
        "verbs": resource.verbs(),
    });
    if !resource.short_names.is_empty() {
        entry["shortNames"] = json!(resource.short_names);
    }
    if !subresources.is_empty() {
        entry["subresources"] = Value::Array(subresources);
    }
    entry
}
