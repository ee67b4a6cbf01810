//! The state behind the sandbox's kube-apiserver (flags, keys, objects, request log), seeded like
//! a fresh install of the chosen distribution, and the restart that changes its flags.

use std::net::SocketAddr;
use std::time::SystemTime;

use serde_json::{Value, json};

use super::distribution::Distribution;
use super::flags::ApiServerFlags;
use super::node_config::{NodeConfig, Restart};
use super::request_record::RequestRecord;
use super::resources::{self, ResourceType};
use super::signing::ServiceAccountKeys;
use super::store::{ObjectKey, Store, metadata_of};
use super::version::KubernetesVersion;

pub struct Cluster {
    pub distribution: Distribution,
    pub version: KubernetesVersion,
    pub flags: ApiServerFlags,
    pub keys: ServiceAccountKeys,
    pub store: Store,
    pub address: SocketAddr,
    pub admin_token: String,
    pub ca_pem: String,
    pub log: Vec<RequestRecord>,
    /// The node's k3s/RKE2 configuration files, when the server reads its flags from them.
    pub node: Option<NodeConfig>,
    /// The flags before the node configuration's `kube-apiserver-arg`s apply.
    pub base_flags: ApiServerFlags,
    /// Why the server is down after the node configuration changed, if it is.
    pub node_failure: Option<String>,
    /// Warnings for the answer being made (`Warning: 299 - "…"` headers), drained per request.
    pub warnings: Vec<String>,
}

/// The current time as Kubernetes writes it: RFC 3339, whole seconds, UTC.
pub fn now() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

/// The resource of a known core or group resource; the table is static, so a miss is a bug in
/// the sandbox, reported by skipping the write rather than by a panic.
pub fn resource(group: &str, plural: &str) -> Option<&'static ResourceType> {
    resources::find(group, "v1", plural)
}

impl Cluster {
    pub fn new(
        distribution: Distribution,
        version: KubernetesVersion,
        flags: ApiServerFlags,
        keys: ServiceAccountKeys,
        address: SocketAddr,
        admin_token: String,
        ca_pem: String,
    ) -> Cluster {
        let mut cluster = Cluster {
            distribution,
            version,
            base_flags: flags.clone(),
            flags,
            keys,
            store: Store::new(),
            address,
            admin_token,
            ca_pem,
            log: Vec::new(),
            node: None,
            node_failure: None,
            warnings: Vec::new(),
        };
        cluster.seed();
        cluster
    }

    /// What `kubeadm init`, `k3s server` or their peers leave behind: system namespaces, the node,
    /// the `kubernetes` Service, the issuer-discovery RBAC and the distribution's own objects.
    fn seed(&mut self) {
        let mut namespaces = vec!["default", "kube-system", "kube-public", "kube-node-lease"];
        if self.distribution == Distribution::OpenShift {
            namespaces.extend(["openshift-config", "openshift-kube-apiserver"]);
        }
        for namespace in namespaces {
            self.seed_object(
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}),
            );
        }
        let now = now();
        self.seed_object(self.distribution.node(&self.version, &now));
        self.seed_object(json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "kubernetes", "namespace": "default", "labels": {"component": "apiserver", "provider": "kubernetes"}},
            "spec": {"clusterIP": "10.96.0.1", "clusterIPs": ["10.96.0.1"], "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]},
        }));
        // Bootstrap policy: issuer discovery for service accounts only, not for anonymous users
        // (plugin/pkg/auth/authorizer/rbac/bootstrappolicy, kubernetes.md §3.3).
        self.seed_object(json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "system:service-account-issuer-discovery", "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}},
            "rules": [{"nonResourceURLs": ["/.well-known/openid-configuration", "/.well-known/openid-configuration/", "/openid/v1/jwks", "/openid/v1/jwks/"], "verbs": ["get"]}],
        }));
        self.seed_object(json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "system:service-account-issuer-discovery", "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:service-account-issuer-discovery"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:serviceaccounts"}],
        }));
        if let Some(config) = self.distribution.kubeadm_config(&self.version, &self.flags) {
            self.seed_object(config);
        }
        self.refresh_control_plane();
        self.reconcile();
    }

    /// Stores an object as the cluster's own components would, bypassing admission: server
    /// metadata is filled in, defaults are applied, an existing object is replaced.
    pub fn seed_object(&mut self, mut object: Value) -> Option<Value> {
        let api_version = object
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let kind = object
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let resource = resources::by_kind(api_version, kind)?;
        let metadata = metadata_of(&mut object);
        let name = metadata
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let namespace = match resource.namespaced {
            true => {
                let namespace = metadata
                    .get("namespace")
                    .and_then(Value::as_str)
                    .unwrap_or("default")
                    .to_string();
                metadata.insert("namespace".into(), json!(namespace));
                Some(namespace)
            }
            false => None,
        };
        super::defaults::apply(resource, &mut object);
        if resource.kind == "Namespace" {
            seed_namespace(&mut object, &name);
        }
        let key = ObjectKey::new(resource, namespace.as_deref(), &name);
        let stored = match self.store.get(&key).cloned() {
            Some(old) => match self.store.prepare_update(resource, &old, object) {
                Some(new) => self.store.update(key, new),
                None => old,
            },
            None => {
                self.store.prepare_create(resource, &mut object, &now());
                self.store.create(key, object)
            }
        };
        Some(stored)
    }

    /// (Re)writes what shows the flags in force: the static kube-apiserver pod (recreated, as
    /// the kubelet does when its manifest changes) and OpenShift's operator-rendered config.
    fn refresh_control_plane(&mut self) {
        let now = now();
        let node_uid = self.node_uid();
        if let Some(pod) =
            self.distribution
                .apiserver_pod(&self.version, &self.flags, &node_uid, &now)
        {
            if let Some(pods) = resource("", "pods") {
                let name = pod
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let namespace = pod.pointer("/metadata/namespace").and_then(Value::as_str);
                let key = ObjectKey::new(pods, namespace, name);
                if self
                    .store
                    .get(&key)
                    .is_some_and(|old| old.get("spec") != pod.get("spec"))
                {
                    self.store.delete(&key);
                }
            }
            self.seed_object(pod);
        }
        if self.distribution == Distribution::OpenShift {
            for object in self.openshift_objects(&node_uid, &now) {
                self.seed_object(object);
            }
        }
    }

    /// OpenShift keeps the issuer in `authentications.config.openshift.io/cluster` and renders
    /// the kube-apiserver arguments into `openshift-kube-apiserver/config`.
    fn openshift_objects(&self, node_uid: &str, now: &str) -> Vec<Value> {
        let issuers = &self.flags.service_account_issuers;
        let configured = match issuers.first().map(String::as_str) {
            Some("https://kubernetes.default.svc") | None => "",
            Some(issuer) => issuer,
        };
        let mut arguments = json!({"service-account-issuer": issuers});
        if let Some(jwks_uri) = &self.flags.service_account_jwks_uri {
            arguments["service-account-jwks-uri"] = json!([jwks_uri]);
        }
        if let Some(audiences) = &self.flags.api_audiences {
            arguments["api-audiences"] = json!(audiences);
        }
        let config = json!({"apiVersion": "kubecontrolplane.config.openshift.io/v1", "kind": "KubeAPIServerConfig", "apiServerArguments": arguments});
        let node = self.distribution.tells().node_name;
        vec![
            json!({
                "apiVersion": "config.openshift.io/v1", "kind": "Authentication",
                "metadata": {"name": "cluster"},
                "spec": {"serviceAccountIssuer": configured, "type": "IntegratedOAuth"},
                "status": {"integratedOAuthMetadata": {"name": "oauth-openshift"}},
            }),
            json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "config", "namespace": "openshift-kube-apiserver"},
                "data": {"config.yaml": config.to_string()},
            }),
            json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {
                    "name": format!("kube-apiserver-{node}"), "namespace": "openshift-kube-apiserver",
                    "labels": {"apiserver": "true", "app": "openshift-kube-apiserver", "revision": "7"},
                    "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": node, "uid": node_uid, "controller": true}],
                },
                "spec": {
                    "nodeName": node, "hostNetwork": true, "priorityClassName": "system-node-critical",
                    "containers": [{
                        "name": "kube-apiserver",
                        "image": "quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:5b1c7a9d3e",
                        "command": ["/bin/bash", "-euxo", "pipefail", "-c"],
                        "args": ["exec hyperkube kube-apiserver --openshift-config=/etc/kubernetes/static-pod-resources/configmaps/config/config.yaml --advertise-address=${HOST_IP} -v=2 --permit-address-sharing"],
                    }],
                },
                "status": {"phase": "Running", "startTime": now},
            }),
        ]
    }

    pub fn node_uid(&self) -> String {
        resource("", "nodes")
            .and_then(|nodes| {
                self.store.get(&ObjectKey::new(
                    nodes,
                    None,
                    self.distribution.tells().node_name,
                ))
            })
            .and_then(|node| node.pointer("/metadata/uid"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    }

    /// A restart with new flags (and possibly a new version, as after an upgrade): objects and
    /// keys survive, what reflects the flags is rewritten.
    pub fn restart(&mut self, version: KubernetesVersion, flags: ApiServerFlags) {
        let version_changed = version != self.version;
        self.version = version;
        self.flags = flags;
        if version_changed {
            self.seed_object(self.distribution.node(&self.version, &now()));
        }
        self.refresh_control_plane();
        self.reconcile();
    }

    /// Restarts with the node configuration's flags when its files changed since the last
    /// look, as `systemctl restart k3s` after an edit would; a configuration k3s refuses leaves
    /// the server down until it is fixed.
    pub fn sync_node(&mut self) {
        let Some(node) = self.node.as_mut() else {
            return;
        };
        match node.restart_if_changed(&self.base_flags) {
            None => {}
            Some(Restart::Flags(flags)) => {
                self.node_failure = None;
                let version = self.version;
                self.restart(version, flags);
            }
            Some(Restart::Refused(message)) => self.node_failure = Some(message),
        }
    }

    /// `jwks_uri` of the discovery document: the flag, or `https://<address>/openid/v1/jwks`.
    pub fn jwks_uri(&self) -> String {
        self.flags
            .service_account_jwks_uri
            .clone()
            .unwrap_or_else(|| format!("https://{}/openid/v1/jwks", self.address))
    }

    pub fn namespace_exists(&self, namespace: &str) -> bool {
        resource("", "namespaces").is_some_and(|namespaces| {
            self.store
                .contains(&ObjectKey::new(namespaces, None, namespace))
        })
    }
}

/// The namespace lifecycle fields the apiserver sets on create.
pub fn seed_namespace(object: &mut Value, name: &str) {
    let metadata = metadata_of(object);
    let labels = metadata.entry("labels").or_insert_with(|| json!({}));
    if let Some(labels) = labels.as_object_mut() {
        labels.insert("kubernetes.io/metadata.name".into(), json!(name));
    }
    if let Some(object) = object.as_object_mut() {
        object.insert("status".into(), json!({"phase": "Active"}));
    }
}
