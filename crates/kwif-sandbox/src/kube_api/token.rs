//! TokenRequest (`POST …/serviceaccounts/{name}/token`): validation, defaults and claims exactly
//! as kube-apiserver mints them (pkg/serviceaccount/claims.go, kubernetes.md §8–9).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use super::cluster::{Cluster, resource};
use super::decoder;
use super::status::{ApiError, Cause};
use super::store::ObjectKey;
use super::validation::token_lifetime_problem;
use crate::randomness;

/// The lifetime kubelets ask for; such pod-bound API tokens are extended to a year.
const KUBELET_TOKEN_SECONDS: i64 = 3607;
const EXTENDED_SECONDS: i64 = 365 * 24 * 3600;

impl Cluster {
    /// Mints a token for `namespace/name` as the `token` subresource does. `body` is the
    /// TokenRequest; the reply is the same request with `status.token` filled in.
    pub fn create_token(
        &mut self,
        namespace: &str,
        name: &str,
        body: &Value,
    ) -> Result<Value, ApiError> {
        let accounts = resource("", "serviceaccounts").ok_or_else(ApiError::no_such_resource)?;
        let account = self
            .store
            .get(&ObjectKey::new(accounts, Some(namespace), name))
            .cloned()
            .ok_or_else(|| ApiError::not_found(accounts, name))?;
        decoder::check_token_request(body)?;
        let spec = match body.get("spec") {
            Some(Value::Object(spec)) => Value::Object(spec.clone()),
            _ => json!({}),
        };
        let requested = match spec.get("expirationSeconds") {
            None | Some(Value::Null) => 3600,
            Some(value) => value
                .as_i64()
                .ok_or_else(|| ApiError::bad_request("spec.expirationSeconds is not an integer"))?,
        };
        if let Some(problem) = token_lifetime_problem(requested) {
            let cause = Cause::invalid("spec.expirationSeconds", &requested.to_string(), problem);
            return Err(ApiError::invalid(
                "authentication.k8s.io",
                "TokenRequest",
                name,
                vec![cause],
            ));
        }
        let audiences: Vec<String> = match spec.get("audiences").and_then(Value::as_array) {
            Some(audiences) if !audiences.is_empty() => audiences
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            _ => self.flags.effective_api_audiences(),
        };
        let bound = self.bound_object(namespace, name, spec.get("boundObjectRef"))?;
        let capped = match self.flags.service_account_max_token_expiration {
            Some(max) => requested.min(i64::try_from(max.as_secs()).unwrap_or(i64::MAX)),
            None => requested,
        };
        let issued = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let issued = i64::try_from(issued).unwrap_or(0);
        let extended = self.flags.service_account_extend_token_expiration
            && bound.pod.is_some()
            && requested == KUBELET_TOKEN_SECONDS
            && audiences == self.flags.effective_api_audiences();
        let lifetime = if extended { EXTENDED_SECONDS } else { capped };
        let claims = self.claims(
            namespace,
            &account,
            &audiences,
            issued,
            lifetime,
            &bound,
            extended.then_some(issued + requested),
        );
        let token = self
            .keys
            .sign(&claims)
            .map_err(|error| ApiError::internal(&error))?;
        let expires =
            UNIX_EPOCH + Duration::from_secs(u64::try_from(issued + lifetime).unwrap_or(0));
        let mut reply_spec = spec.clone();
        reply_spec["audiences"] = json!(audiences);
        reply_spec["expirationSeconds"] = json!(capped);
        if reply_spec.get("boundObjectRef").is_none() {
            reply_spec["boundObjectRef"] = Value::Null;
        }
        Ok(json!({
            "kind": "TokenRequest",
            "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"name": name, "namespace": namespace, "creationTimestamp": null},
            "spec": reply_spec,
            "status": {"token": token, "expirationTimestamp": humantime::format_rfc3339_seconds(expires).to_string()},
        }))
    }

    /// Checks `boundObjectRef` like the token REST storage: the object must exist with the
    /// given uid, and a pod must run as the same service account.
    fn bound_object(
        &self,
        namespace: &str,
        account: &str,
        reference: Option<&Value>,
    ) -> Result<Binding, ApiError> {
        let Some(reference) = reference.filter(|r| !r.is_null()) else {
            return Ok(Binding::default());
        };
        let kind = reference
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let name = reference
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let uid = reference
            .get("uid")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let plural = match kind {
            "Pod" => "pods",
            "Secret" => "secrets",
            "Node" => "nodes",
            other => {
                let cause = Cause::not_supported(
                    "spec.boundObjectRef.kind",
                    other,
                    &["Pod", "Secret", "Node"],
                );
                return Err(ApiError::invalid(
                    "authentication.k8s.io",
                    "TokenRequest",
                    account,
                    vec![cause],
                ));
            }
        };
        let target = resource("", plural).ok_or_else(ApiError::no_such_resource)?;
        let object = self
            .store
            .get(&ObjectKey::new(target, Some(namespace), name))
            .ok_or_else(|| ApiError::not_found(target, name))?;
        let actual_uid = object
            .pointer("/metadata/uid")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !uid.is_empty() && uid != actual_uid {
            return Err(ApiError::conflict(
                target,
                name,
                format!(
                    "the UID in the bound object reference ({uid}) does not match the UID in record. The object might have been deleted and then recreated"
                ),
            ));
        }
        let reference = json!({"name": name, "uid": actual_uid});
        let mut binding = Binding::default();
        match kind {
            "Pod" => {
                let runs_as = object
                    .pointer("/spec/serviceAccountName")
                    .and_then(Value::as_str)
                    .unwrap_or("default");
                if runs_as != account {
                    return Err(ApiError::bad_request(format!(
                        "cannot bind token for serviceaccount {account:?} to pod running with different serviceaccount name."
                    )));
                }
                binding.node = self.node_reference(object);
                binding.pod = Some(reference);
            }
            "Secret" => binding.secret = Some(reference),
            _ => binding.node = Some(reference),
        }
        Ok(binding)
    }

    /// The node a pod runs on, which pod-bound tokens name since 1.30 (ServiceAccountTokenPodNodeInfo).
    fn node_reference(&self, pod: &Value) -> Option<Value> {
        if self.version.minor < 30 {
            return None;
        }
        let node_name = pod.pointer("/spec/nodeName").and_then(Value::as_str)?;
        let node = self
            .store
            .get(&ObjectKey::new(resource("", "nodes")?, None, node_name))?;
        Some(
            json!({"name": node_name, "uid": node.pointer("/metadata/uid").cloned().unwrap_or(json!(""))}),
        )
    }

    /// The claims, members sorted as go-jose serializes them.
    #[allow(clippy::too_many_arguments)]
    fn claims(
        &self,
        namespace: &str,
        account: &Value,
        audiences: &[String],
        issued: i64,
        lifetime: i64,
        bound: &Binding,
        warn_after: Option<i64>,
    ) -> Value {
        let account_name = account
            .pointer("/metadata/name")
            .cloned()
            .unwrap_or(json!(""));
        let account_uid = account
            .pointer("/metadata/uid")
            .cloned()
            .unwrap_or(json!(""));
        let mut kubernetes = Map::new();
        kubernetes.insert("namespace".into(), json!(namespace));
        if let Some(node) = &bound.node {
            kubernetes.insert("node".into(), node.clone());
        }
        if let Some(pod) = &bound.pod {
            kubernetes.insert("pod".into(), pod.clone());
        }
        if let Some(secret) = &bound.secret {
            kubernetes.insert("secret".into(), secret.clone());
        }
        kubernetes.insert(
            "serviceaccount".into(),
            json!({"name": account_name, "uid": account_uid}),
        );
        if let Some(warn_after) = warn_after {
            kubernetes.insert("warnafter".into(), json!(warn_after));
        }
        let mut claims = Map::new();
        claims.insert("aud".into(), json!(audiences));
        claims.insert("exp".into(), json!(issued + lifetime));
        claims.insert("iat".into(), json!(issued));
        claims.insert(
            "iss".into(),
            json!(
                self.flags
                    .service_account_issuers
                    .first()
                    .cloned()
                    .unwrap_or_default()
            ),
        );
        // ServiceAccountTokenJTI is on by default since 1.30.
        if self.version.minor >= 30 {
            claims.insert("jti".into(), json!(randomness::uid()));
        }
        claims.insert("kubernetes.io".into(), Value::Object(kubernetes));
        claims.insert("nbf".into(), json!(issued));
        claims.insert(
            "sub".into(),
            json!(format!(
                "system:serviceaccount:{namespace}:{}",
                account_name.as_str().unwrap_or_default()
            )),
        );
        Value::Object(claims)
    }
}

/// The objects a token is bound to, as `kubernetes.io` claims.
#[derive(Default)]
struct Binding {
    pod: Option<Value>,
    secret: Option<Value>,
    node: Option<Value>,
}
