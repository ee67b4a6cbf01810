//! The `apiserver` publisher: the API server serves its own discovery document and JWKS, and a
//! ClusterRoleBinding lets anonymous users read them (kubernetes.md §3.3). It publishes no
//! document itself, so its keys always match the cluster's; what it exposes is said plainly.

use ::kube::Client;
use serde_json::{Value, json};

use super::{HostingError, PUBLISH_FIX, Published, manifests};
use crate::engine::{Change, Finding};
use crate::kube as cluster;
use crate::kube::manifest::{MANAGED_BY_KWIF, MANAGED_BY_LABEL};

/// The binding kwif creates; the built-in one of the same role binds service accounts only.
pub const BINDING: &str = "kwif-service-account-issuer-discovery";
/// The built-in ClusterRole allowing `get` on both discovery URLs.
pub const DISCOVERY_ROLE: &str = "system:service-account-issuer-discovery";
pub const UNAUTHENTICATED: &str = "system:unauthenticated";

pub struct ApiServerPublisher {
    client: Client,
}

impl ApiServerPublisher {
    pub fn new(client: Client) -> ApiServerPublisher {
        ApiServerPublisher { client }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn describe(&self) -> String {
        "the API server itself, readable anonymously".to_string()
    }

    /// The ClusterRoleBinding of the discovery role to every unauthenticated user.
    pub fn binding(&self) -> Value {
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {
                "name": BINDING,
                "labels": {"app.kubernetes.io/part-of": "kwif", MANAGED_BY_LABEL: MANAGED_BY_KWIF},
            },
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": DISCOVERY_ROLE},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": UNAUTHENTICATED}],
        })
    }

    pub fn notes(&self) -> Vec<Finding> {
        vec![Finding::warning(
            "HOSTING_APISERVER_PUBLIC",
            "the API server is the issuer: anyone who reaches it can read /.well-known/openid-configuration and \
             /openid/v1/jwks without credentials (public keys only), and Entra ID needs it reachable from the \
             internet, which exposes the whole API server to attacks; k0s, k3s and RKE2 run it with \
             --anonymous-auth=false, so there the binding alone changes nothing",
            "prefer hosting the documents elsewhere (kind: nginx, azure-blob or directory); keep the API server private",
        )]
    }

    pub async fn read(&self) -> Result<Published, HostingError> {
        let (discovery, jwks) = tokio::join!(
            cluster::get_raw(&self.client, "/.well-known/openid-configuration"),
            cluster::get_raw(&self.client, "/openid/v1/jwks"),
        );
        Ok(Published {
            discovery: discovery.ok(),
            jwks: jwks.ok(),
            location: "the API server".to_string(),
            // The API server serves its own keys: none is ever stale, none to record.
            retired: super::retired_keys::RetiredKeys::default(),
        })
    }

    pub async fn drift(&self) -> Result<Vec<Finding>, HostingError> {
        let binding = self.binding();
        let live = manifests::live(&self.client, &binding).await?;
        let bound = live.as_ref().is_some_and(|live| {
            live["roleRef"] == binding["roleRef"] && live["subjects"] == binding["subjects"]
        });
        if bound {
            return Ok(Vec::new());
        }
        Ok(vec![Finding::warning(
            "HOSTING_ANONYMOUS_DISCOVERY_NOT_BOUND",
            format!(
                "ClusterRoleBinding {BINDING} does not grant {DISCOVERY_ROLE} to {UNAUTHENTICATED}"
            ),
            PUBLISH_FIX,
        )])
    }

    pub async fn plan(&self) -> Result<Vec<Change>, HostingError> {
        manifests::plan(&self.client, &[self.binding()]).await
    }

    pub async fn publish(&self) -> Result<(), HostingError> {
        manifests::apply(&self.client, &[self.binding()]).await
    }
}
