//! Who is asking, and may they: the admin bearer token of the kubeconfig, service-account tokens
//! the sandbox minted (checked like kube-apiserver's JWT authenticator), and anonymous requests.
//! Authorization follows the bootstrap RBAC roles for non-resource URLs only.

use std::time::SystemTime;

use serde_json::Value;

use super::cluster::{Cluster, resource};
use super::status::ApiError;
use super::store::ObjectKey;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identity {
    /// The kubeconfig's user: `system:masters`, may do anything.
    Admin,
    ServiceAccount {
        namespace: String,
        name: String,
    },
    Anonymous,
}

impl Identity {
    pub fn user_name(&self) -> String {
        match self {
            Identity::Admin => "kubernetes-admin".to_string(),
            Identity::ServiceAccount { namespace, name } => {
                format!("system:serviceaccount:{namespace}:{name}")
            }
            Identity::Anonymous => "system:anonymous".to_string(),
        }
    }
}

/// Paths `system:public-info-viewer` opens to everyone, authenticated or not.
const PUBLIC_PATHS: [&str; 4] = ["/version", "/healthz", "/livez", "/readyz"];
/// The issuer discovery documents (`system:service-account-issuer-discovery`).
pub const DISCOVERY_PATHS: [&str; 2] = ["/.well-known/openid-configuration", "/openid/v1/jwks"];

impl Cluster {
    /// Authenticates a request from its `Authorization` header; a bad credential is a 401 even
    /// when anonymous requests are allowed, as in kube-apiserver.
    pub fn authenticate(&self, authorization: Option<&str>) -> Result<Identity, ApiError> {
        let Some(header) = authorization else {
            return match self.flags.anonymous_auth {
                true => Ok(Identity::Anonymous),
                false => Err(ApiError::unauthorized()),
            };
        };
        let token = match header.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ => return Err(ApiError::unauthorized()),
        };
        if token == self.admin_token {
            return Ok(Identity::Admin);
        }
        self.service_account_identity(token)
            .ok_or_else(ApiError::unauthorized)
    }

    /// kube-apiserver's service-account JWT checks: signature by a key-file key, an accepted
    /// issuer, an API audience, the time window, and a service account (and pod) that still exist.
    fn service_account_identity(&self, token: &str) -> Option<Identity> {
        let jwt = self.keys.verify(token)?.claims;
        let issuer = jwt.issuer()?;
        if !self
            .flags
            .service_account_issuers
            .iter()
            .any(|accepted| accepted == issuer)
        {
            return None;
        }
        let accepted = self.flags.effective_api_audiences();
        if !jwt
            .audiences()
            .iter()
            .any(|audience| accepted.contains(audience))
        {
            return None;
        }
        let now = SystemTime::now();
        if jwt.expires_at().is_none_or(|exp| exp <= now)
            || jwt
                .not_before()
                .is_some_and(|nbf| nbf > now + std::time::Duration::from_secs(60))
        {
            return None;
        }
        let subject = jwt.subject()?;
        let mut parts = subject
            .strip_prefix("system:serviceaccount:")?
            .splitn(2, ':');
        let (namespace, name) = (parts.next()?.to_string(), parts.next()?.to_string());
        let claims = jwt.get("kubernetes.io")?;
        let account = self.store.get(&ObjectKey::new(
            resource("", "serviceaccounts")?,
            Some(&namespace),
            &name,
        ))?;
        if claims.pointer("/serviceaccount/uid") != account.pointer("/metadata/uid") {
            return None;
        }
        if let Some(pod) = claims.get("pod") {
            let name = pod.get("name").and_then(Value::as_str)?;
            let stored = self.store.get(&ObjectKey::new(
                resource("", "pods")?,
                Some(&namespace),
                name,
            ))?;
            if pod.get("uid") != stored.pointer("/metadata/uid") {
                return None;
            }
        }
        Some(Identity::ServiceAccount { namespace, name })
    }

    /// Whether `identity` may GET a non-resource path.
    pub fn may_read_path(&self, identity: &Identity, path: &str) -> bool {
        match identity {
            Identity::Admin => true,
            _ if PUBLIC_PATHS.contains(&path) => true,
            Identity::ServiceAccount { .. } => true,
            Identity::Anonymous => {
                DISCOVERY_PATHS.contains(&path) && self.issuer_discovery_is_public()
            }
        }
    }

    /// Whether someone bound `system:service-account-issuer-discovery` to unauthenticated users
    /// (`kubectl create clusterrolebinding oidc-reviewer … --group=system:unauthenticated`).
    fn issuer_discovery_is_public(&self) -> bool {
        let Some(bindings) = resource("rbac.authorization.k8s.io", "clusterrolebindings") else {
            return false;
        };
        self.store
            .list(bindings, None)
            .into_iter()
            .any(|(_, binding)| {
                let role = binding.pointer("/roleRef/name").and_then(Value::as_str);
                let subjects = binding.get("subjects").and_then(Value::as_array);
                role == Some("system:service-account-issuer-discovery")
                    && subjects.into_iter().flatten().any(|subject| {
                        let kind = subject.get("kind").and_then(Value::as_str);
                        let name = subject.get("name").and_then(Value::as_str);
                        matches!(
                            (kind, name),
                            (Some("Group"), Some("system:unauthenticated"))
                                | (Some("User"), Some("system:anonymous"))
                        )
                    })
            })
    }
}
