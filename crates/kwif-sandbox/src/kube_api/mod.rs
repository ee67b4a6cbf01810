//! A Kubernetes API server that runs in-process on loopback, posing as one of nine distributions,
//! for `kwif demo`, screenshots and tests. kwif (through kube-rs) and kubectl reach it exactly as
//! they reach a real cluster; it follows kube-apiserver's behaviour, not kwif's needs.

mod admission;
mod authentication;
mod cluster;
mod controller;
mod decoder;
mod defaults;
mod distribution;
mod field_path;
mod flags;
mod jobs;
mod kubeconfig;
mod managed_fields;
mod node_config;
mod objects;
mod oidc_endpoints;
mod openapi;
mod patch;
mod protobuf;
mod request_record;
mod resources;
mod schema;
mod selector;
mod server;
mod signing;
mod status;
mod store;
mod table;
mod token;
mod typed_value;
mod validation;
mod version;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use distribution::{ApiServerPod, Distribution, Tells};
pub use flags::ApiServerFlags;
pub use node_config::config_path as node_config_path;
pub use request_record::RequestRecord;
pub use version::KubernetesVersion;

use crate::SandboxError;
use crate::randomness;
use crate::tls::SandboxCa;
use cluster::Cluster;
use node_config::NodeConfig;
use objects::{Query, Target, Write};
use server::{SharedCluster, lock};
use store::ObjectKey;

/// How the sandbox's cluster is installed and configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KubeSandboxOptions {
    pub distribution: Distribution,
    /// The upstream Kubernetes version, such as `1.33.2`.
    pub version: String,
    /// `--service-account-issuer` values; empty means the distribution's default issuer.
    pub issuers: Vec<String>,
    /// `--service-account-jwks-uri`; `None` keeps the distribution's default.
    pub jwks_uri: Option<String>,
    /// `--anonymous-auth`; `None` keeps the distribution's default (off for k0s, k3s, RKE2).
    pub anonymous_auth: Option<bool>,
    /// `--api-audiences`; `None` keeps the distribution's default.
    pub api_audiences: Option<Vec<String>>,
    /// The control-plane node's filesystem root (k3s and RKE2 only): the server reads
    /// `{root}/etc/rancher/k3s/config.yaml` (or `rke2`), drop-ins included, for its
    /// `kube-apiserver-arg` flags, and restarts with them whenever the files change.
    pub node_root: Option<PathBuf>,
    /// How long every answer waits before it is sent (a slow network); default none.
    pub latency: Duration,
}

impl KubeSandboxOptions {
    /// A fresh install of `distribution` at Kubernetes 1.33.2 with its default flags.
    pub fn new(distribution: Distribution) -> KubeSandboxOptions {
        KubeSandboxOptions {
            distribution,
            version: KubernetesVersion::default().to_string(),
            issuers: Vec::new(),
            jwks_uri: None,
            anonymous_auth: None,
            api_audiences: None,
            node_root: None,
            latency: Duration::ZERO,
        }
    }

    /// Reads the flags from the node's k3s or RKE2 configuration below `root` (see `node_root`).
    pub fn with_node_root(mut self, root: impl Into<PathBuf>) -> Self {
        self.node_root = Some(root.into());
        self
    }

    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    pub fn with_issuers<I: Into<String>>(mut self, issuers: impl IntoIterator<Item = I>) -> Self {
        self.issuers = issuers.into_iter().map(Into::into).collect();
        self
    }

    pub fn with_jwks_uri(mut self, jwks_uri: impl Into<String>) -> Self {
        self.jwks_uri = Some(jwks_uri.into());
        self
    }

    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    pub fn with_anonymous_auth(mut self, enabled: bool) -> Self {
        self.anonymous_auth = Some(enabled);
        self
    }

    /// The kube-apiserver flags these options amount to, distribution defaults filled in.
    pub fn flags(&self) -> ApiServerFlags {
        let mut flags = ApiServerFlags::defaults_for(self.distribution);
        if !self.issuers.is_empty() {
            flags.service_account_issuers = self.issuers.clone();
        }
        if let Some(jwks_uri) = &self.jwks_uri {
            flags.service_account_jwks_uri = Some(jwks_uri.clone());
        }
        if let Some(anonymous_auth) = self.anonymous_auth {
            flags.anonymous_auth = anonymous_auth;
        }
        if let Some(audiences) = &self.api_audiences {
            flags.api_audiences = Some(audiences.clone());
        }
        flags
    }
}

/// A running sandbox API server. It stops when dropped.
pub struct KubeSandbox {
    cluster: SharedCluster,
    address: SocketAddr,
    ca_pem: String,
    kubeconfig: String,
    context: String,
    shutdown: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl KubeSandbox {
    /// Starts the server on `127.0.0.1` with a fresh CA, seeded like a new cluster of the
    /// distribution. Must run inside a tokio runtime.
    pub async fn start(options: KubeSandboxOptions) -> Result<KubeSandbox, SandboxError> {
        let ca = SandboxCa::new("kwif sandbox kube-apiserver CA")?;
        KubeSandbox::start_with_ca(options, &ca).await
    }

    /// Starts the server with a certificate from `ca`, for a sandbox whose servers share one CA.
    pub async fn start_with_ca(
        options: KubeSandboxOptions,
        ca: &SandboxCa,
    ) -> Result<KubeSandbox, SandboxError> {
        let version = KubernetesVersion::parse(&options.version)?;
        let flags = options.flags();
        flags.validate()?;
        let node = match &options.node_root {
            Some(root) => Some(NodeConfig::new(root, options.distribution)?),
            None => None,
        };
        let keys = signing::ServiceAccountKeys::demo()?;
        let tls = ca.server_config(&["127.0.0.1", "localhost", "kubernetes.default.svc"])?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .map_err(SandboxError::Listen)?;
        let address = listener.local_addr().map_err(SandboxError::Listen)?;
        let ca_pem = ca.certificate_pem();
        let admin_token = URL_SAFE_NO_PAD.encode(randomness::random_bytes::<32>());
        let distribution = options.distribution;
        let mut cluster = Cluster::new(
            distribution,
            version,
            flags,
            keys,
            address,
            admin_token.clone(),
            ca_pem.clone(),
        );
        cluster.node = node;
        cluster.sync_node();
        if let Some(failure) = cluster.node_failure.take() {
            return Err(SandboxError::Flags(failure));
        }
        let cluster: SharedCluster = Arc::new(Mutex::new(cluster));
        let context = distribution.name().to_string();
        let kubeconfig = kubeconfig::kubeconfig_yaml(
            &format!("https://{address}"),
            &ca_pem,
            &admin_token,
            &context,
        );
        let (shutdown, receiver) = watch::channel(false);
        let task = tokio::spawn(server::serve(
            listener,
            tls,
            cluster.clone(),
            receiver,
            options.latency,
        ));
        Ok(KubeSandbox {
            cluster,
            address,
            ca_pem,
            kubeconfig,
            context,
            shutdown,
            task: Some(task),
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("https://{}", self.address)
    }

    /// The PEM of the CA that signed the server certificate.
    pub fn ca_certificate_pem(&self) -> &str {
        &self.ca_pem
    }

    pub fn kubeconfig_yaml(&self) -> String {
        self.kubeconfig.clone()
    }

    /// The same kubeconfig with its context (and cluster and user entries) named `context`.
    pub fn kubeconfig_with_context(&self, context: &str) -> String {
        kubeconfig::kubeconfig_yaml(&self.url(), &self.ca_pem, &self.admin_token(), context)
    }

    /// The kubeconfig context, named after the distribution (`k3s`, `kubeadm`, …).
    pub fn context_name(&self) -> &str {
        &self.context
    }

    /// A kube-rs client built from the kubeconfig, as kwif builds one for a real cluster.
    pub async fn client(&self) -> Result<::kube::Client, SandboxError> {
        let kubeconfig = ::kube::config::Kubeconfig::from_yaml(&self.kubeconfig)
            .map_err(|error| SandboxError::Kubeconfig(error.to_string()))?;
        let config = ::kube::Config::from_custom_kubeconfig(
            kubeconfig,
            &::kube::config::KubeConfigOptions::default(),
        )
        .await
        .map_err(|error| SandboxError::Kubeconfig(error.to_string()))?;
        ::kube::Client::try_from(config)
            .map_err(|error| SandboxError::Kubeconfig(error.to_string()))
    }

    pub fn distribution(&self) -> Distribution {
        lock(&self.cluster).distribution
    }

    /// The kube-apiserver flags in force (after a restart the node's configuration asks for).
    pub fn flags(&self) -> ApiServerFlags {
        let mut cluster = lock(&self.cluster);
        cluster.sync_node();
        cluster.flags.clone()
    }

    /// Why the API server is down after a change to the node's configuration, if it is.
    pub fn node_failure(&self) -> Option<String> {
        let mut cluster = lock(&self.cluster);
        cluster.sync_node();
        cluster.node_failure.clone()
    }

    /// The admin bearer token of the kubeconfig (`system:masters`).
    pub fn admin_token(&self) -> String {
        lock(&self.cluster).admin_token.clone()
    }

    /// Restarts kube-apiserver with new options, as an admin would after editing its config:
    /// objects and keys survive; tokens keep verifying while their issuer is still accepted.
    /// Flags kube-apiserver would refuse leave the running server as it was.
    pub fn restart(&self, options: KubeSandboxOptions) -> Result<(), SandboxError> {
        let mut cluster = lock(&self.cluster);
        if options.distribution != cluster.distribution {
            return Err(SandboxError::DistributionChange {
                running: cluster.distribution.name(),
                requested: options.distribution.name(),
            });
        }
        let version = KubernetesVersion::parse(&options.version)?;
        let flags = options.flags();
        flags.validate()?;
        cluster.base_flags = flags.clone();
        if let Some(node) = cluster.node.as_mut() {
            node.forget();
        }
        cluster.restart(version, flags);
        cluster.sync_node();
        Ok(())
    }

    /// A restart that changes only `--service-account-issuer` and `--service-account-jwks-uri`;
    /// `None` leaves the jwks-uri to the distribution (k0s and OpenShift set their own).
    pub fn set_issuers(
        &self,
        issuers: Vec<String>,
        jwks_uri: Option<String>,
    ) -> Result<(), SandboxError> {
        let mut cluster = lock(&self.cluster);
        let mut flags = cluster.flags.clone();
        flags.service_account_issuers = issuers;
        let default_jwks_uri = cluster.distribution.tells().jwks_uri.map(str::to_string);
        flags.service_account_jwks_uri = jwks_uri.or(default_jwks_uri);
        flags.validate()?;
        let version = cluster.version;
        cluster.restart(version, flags);
        Ok(())
    }

    /// A new signing key whose public half joins the key file; the old key keeps verifying.
    /// Returns the new `kid`.
    pub fn rotate_signing_key(&self) -> Result<String, SandboxError> {
        lock(&self.cluster).keys.rotate()
    }

    /// Removes a key from the key file; tokens it signed no longer verify.
    pub fn remove_verification_key(&self, kid: &str) -> bool {
        lock(&self.cluster).keys.remove_verification_key(kid)
    }

    /// The `kid` new tokens carry.
    pub fn signing_kid(&self) -> String {
        lock(&self.cluster).keys.signing_kid().to_string()
    }

    /// The JWKS `/openid/v1/jwks` serves (also when the endpoint itself is disabled).
    pub fn jwks(&self) -> Value {
        lock(&self.cluster).keys.jwks()
    }

    /// The discovery document `/.well-known/openid-configuration` serves, as `kubectl get --raw`
    /// shows it; `None` while kube-apiserver would not serve one.
    pub fn discovery_document(&self) -> Option<Value> {
        let mut cluster = lock(&self.cluster);
        cluster.sync_node();
        let body = cluster.discovery_document()?;
        serde_json::from_slice(&body).ok()
    }

    /// Stores an object as a user's `kubectl apply` would have (field manager
    /// `kubectl-client-side-apply`), through defaults, admission and validation; an existing
    /// object is replaced, a missing namespace created. Returns the stored object.
    pub fn insert(&self, object: Value) -> Result<Value, SandboxError> {
        self.insert_as("kubectl-client-side-apply", object)
    }

    /// Like [`KubeSandbox::insert`], as field manager `manager` (`kubectl-edit` for a hand edit).
    pub fn insert_as(&self, manager: &str, object: Value) -> Result<Value, SandboxError> {
        let mut cluster = lock(&self.cluster);
        let (mut target, exists) = place_for_write(&mut cluster, &object)?;
        if !exists {
            // A create is a POST to the collection.
            target.name = None;
        }
        let query = Query::parse(&format!("fieldManager={}", query_value(manager)));
        let body = object.to_string().into_bytes();
        let write = Write {
            target: &target,
            query: &query,
            body: &body,
            content_type: "application/json",
            user_agent: None,
        };
        let reply = match exists {
            true => cluster.replace_object(&write),
            false => cluster.create_object(&write),
        };
        reply.map(|(_, stored)| stored).map_err(rejected)
    }

    /// Server-side apply of `object` as field manager `manager`, forced (conflicts are taken
    /// over), as `kubectl apply --server-side --force-conflicts` sends it; a missing namespace is
    /// created. Returns the stored object.
    pub fn apply(&self, manager: &str, object: Value) -> Result<Value, SandboxError> {
        let mut cluster = lock(&self.cluster);
        let (target, _) = place_for_write(&mut cluster, &object)?;
        let query = Query::parse(&format!("fieldManager={}&force=true", query_value(manager)));
        let body = object.to_string().into_bytes();
        let write = Write {
            target: &target,
            query: &query,
            body: &body,
            content_type: "application/apply-patch+yaml",
            user_agent: None,
        };
        cluster
            .patch_object(&write)
            .map(|(_, stored)| stored)
            .map_err(rejected)
    }

    /// The stored object, if any (`namespace` is ignored for cluster-scoped kinds).
    pub fn object(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        let resource = resources::by_kind(api_version, kind)?;
        lock(&self.cluster)
            .store
            .get(&ObjectKey::new(resource, namespace, name))
            .cloned()
    }

    /// The stored objects of a kind, in one namespace or all.
    pub fn objects(&self, api_version: &str, kind: &str, namespace: Option<&str>) -> Vec<Value> {
        let Some(resource) = resources::by_kind(api_version, kind) else {
            return Vec::new();
        };
        lock(&self.cluster)
            .store
            .list(resource, namespace)
            .into_iter()
            .map(|(_, object)| object.clone())
            .collect()
    }

    /// Every request answered so far, oldest first.
    pub fn request_log(&self) -> Vec<RequestRecord> {
        lock(&self.cluster).log.clone()
    }

    pub fn clear_request_log(&self) {
        lock(&self.cluster).log.clear();
    }

    /// Stops the server now (dropping the sandbox does the same).
    pub fn shutdown(self) {}

    /// Stops accepting and waits until the listener is closed; open connections end too.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            // The accept loop returns on the signal; a panic in it is not the caller's concern.
            let _ = task.await;
        }
    }
}

fn rejected(error: status::ApiError) -> SandboxError {
    SandboxError::Rejected {
        code: error.code,
        message: error.message,
    }
}

/// A query value with the characters that would end it escaped.
fn query_value(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The object's resource, namespace and name as a named target, whether it exists already, and
/// its namespace created when missing (as the sandbox's owner means it to be there).
fn place_for_write(cluster: &mut Cluster, object: &Value) -> Result<(Target, bool), SandboxError> {
    let text = |pointer: &str| object.pointer(pointer).and_then(Value::as_str);
    let api_version = text("/apiVersion").unwrap_or_default();
    let kind = text("/kind").unwrap_or_default();
    let resource = resources::by_kind(api_version, kind).ok_or_else(|| SandboxError::Rejected {
        code: 404,
        message: format!("the sandbox serves no kind {kind:?} in {api_version:?}"),
    })?;
    let name = text("/metadata/name").unwrap_or_default().to_string();
    let namespace = resource
        .namespaced
        .then(|| text("/metadata/namespace").unwrap_or("default").to_string());
    if let Some(namespace) = &namespace
        && !cluster.namespace_exists(namespace)
    {
        cluster.seed_object(serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}));
        cluster.reconcile();
    }
    let exists = cluster
        .store
        .contains(&ObjectKey::new(resource, namespace.as_deref(), &name));
    let target = Target {
        resource,
        namespace,
        name: Some(name),
        subresource: None,
    };
    Ok((target, exists))
}

impl Drop for KubeSandbox {
    fn drop(&mut self) {
        // No receiver left means the server already stopped.
        let _ = self.shutdown.send(true);
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}
