//! kube-rs helpers the cluster steps share: connecting with a kubeconfig and context (with
//! connect and read timeouts and bounded retries), minting a token through TokenRequest, reading
//! the apiserver's discovery documents, server-side apply (with a server-side dry run for diffs)
//! and rollout status. Errors say why the API server did not answer. No step logic lives here.

use std::path::Path;
use std::time::Duration;

use ::kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use ::kube::core::{ApiResource, GroupVersionKind};
use ::kube::{Client, Config};
use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::ServiceAccount;
use serde_json::Value;

pub mod detect;
pub mod manifest;
mod request_layer;

use crate::network::{NetworkError, Timeouts, TlsProblem, TransportFailure, seconds};

/// The field manager kwif applies with; the user's own managers are never overridden.
pub const FIELD_MANAGER: &str = "kwif";

#[derive(Debug, thiserror::Error)]
pub enum KubeError {
    /// The kubeconfig could not be read or used; `path` when kwif was given one.
    #[error("kubeconfig: {}{source}", .path.as_ref().map(|path| format!("{}: ", path.display())).unwrap_or_default())]
    Kubeconfig {
        path: Option<std::path::PathBuf>,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("{what}: the API server answered {code} {reason}: {message}")]
    Api {
        what: String,
        code: u16,
        reason: String,
        message: String,
    },
    /// The API server gave no answer: refused, certificate, timeout.
    #[error("{what}: {} (the API server) did not answer: {}", .error.target, .error.failure)]
    Unreachable { what: String, error: NetworkError },
    /// The request failed on kwif's side of the wire (the client, or reading the answer).
    #[error("{what}: {source}")]
    Failed {
        what: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The API server answered, but not what kwif needs (kwif's own words).
    #[error("{what}: {message}")]
    Request { what: String, message: String },
}

impl KubeError {
    /// The HTTP status the API server answered, when it answered.
    pub fn code(&self) -> Option<u16> {
        match self {
            KubeError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// When the API server gave no answer, what to do about it, by cause; `None` for an answer
    /// (the caller knows what a 403 or 404 means for its request).
    pub fn unreachable_fix(&self) -> Option<String> {
        let KubeError::Unreachable { error, .. } = self else {
            return None;
        };
        let server = &error.target;
        Some(match &error.failure {
            TransportFailure::Refused => format!(
                "is the API server running at {server}? check the kubeconfig's server \
                 (`kubectl config view --minify`) and that its port is open"
            ),
            TransportFailure::NameNotResolved => {
                format!("{server} does not resolve: check the kubeconfig's server address")
            }
            TransportFailure::TimedOut { after, .. } => format!(
                "nothing answered within {}: a firewall or a stopped server (or a VPN that is down); \
                 check `kubectl get --raw /version`, or wait longer with --timeout SECONDS",
                seconds(*after)
            ),
            TransportFailure::Tls(TlsProblem::NotTrusted) => format!(
                "the kubeconfig's certificate-authority-data does not match the certificate {server} \
                 presents: take the cluster's CA from its own kubeconfig (admin.conf, k3s.yaml)"
            ),
            TransportFailure::Tls(TlsProblem::WrongName { presented, .. }) => format!(
                "the API server's certificate is not issued for {server}{}: use a name it is issued \
                 for in the kubeconfig's server, or add this one to the apiserver certificate's SANs",
                if presented.is_empty() {
                    String::new()
                } else {
                    format!(" (it names {})", presented.join(", "))
                }
            ),
            TransportFailure::Tls(TlsProblem::Expired { .. } | TlsProblem::NotYetValid) => {
                "the API server's certificate is out of its validity: renew the cluster's certificates \
                 (kubeadm: `kubeadm certs renew all`) or fix this machine's clock"
                    .to_string()
            }
            TransportFailure::Tls(_) | TransportFailure::Dropped | TransportFailure::Other(_) => {
                "check that `kubectl get --raw /version` works with the same kubeconfig and context"
                    .to_string()
            }
        })
    }

    pub(crate) fn from_kube(what: impl Into<String>, error: ::kube::Error) -> KubeError {
        let what = what.into();
        if let Some(network) = crate::network::find_network_error(&error) {
            return KubeError::Unreachable {
                what,
                error: network.clone(),
            };
        }
        match error {
            ::kube::Error::Api(status) => KubeError::Api {
                what,
                code: status.code,
                reason: status.reason.clone(),
                message: status.message.clone(),
            },
            other => KubeError::Failed {
                what,
                source: Box::new(other),
            },
        }
    }
}

/// A client for `kubeconfig` (default: $KUBECONFIG or ~/.kube/config) and `context`
/// (default: the current one), with the default timeouts.
pub async fn connect(
    kubeconfig: Option<&Path>,
    context: Option<&str>,
) -> Result<Client, KubeError> {
    connect_with(kubeconfig, context, &Timeouts::default()).await
}

/// The same with `timeouts`: kube sets none for answers, so a server that completes TLS and
/// then says nothing would hang kwif.
pub async fn connect_with(
    kubeconfig: Option<&Path>,
    context: Option<&str>,
    timeouts: &Timeouts,
) -> Result<Client, KubeError> {
    let options = ::kube::config::KubeConfigOptions {
        context: context.map(str::to_string),
        ..Default::default()
    };
    let config = match kubeconfig {
        Some(path) => {
            let file = ::kube::config::Kubeconfig::read_from(path).map_err(|error| {
                KubeError::Kubeconfig {
                    path: Some(path.to_path_buf()),
                    source: Box::new(error),
                }
            })?;
            Config::from_custom_kubeconfig(file, &options).await
        }
        None => Config::from_kubeconfig(&options).await,
    }
    .map_err(|error| KubeError::Kubeconfig {
        path: None,
        source: Box::new(error),
    })?;
    client_for(config, timeouts)
}

fn client_for(mut config: Config, timeouts: &Timeouts) -> Result<Client, KubeError> {
    config.connect_timeout = Some(timeouts.connect);
    config.read_timeout = Some(timeouts.answer);
    config.write_timeout = Some(timeouts.answer);
    // kube's own retries wait for any `Retry-After` (a 503 asking for an hour hangs kwif for an
    // hour); kwif's calls to the API server are few and a rerun is cheap, so it asks once.
    config.default_retry = false;
    let server = config.cluster_url.to_string();
    let client = ::kube::client::ClientBuilder::try_from(config)
        .map_err(|error| KubeError::Kubeconfig {
            path: None,
            source: Box::new(error),
        })?
        .with_layer(&request_layer::RequestLayer::new(server, *timeouts))
        .build();
    Ok(client)
}

/// Mints a token for `namespace/service_account` with `audience`, as `kubectl create token` does.
pub async fn mint_token(
    client: &Client,
    namespace: &str,
    service_account: &str,
    audience: &str,
    expiration_seconds: i64,
) -> Result<String, KubeError> {
    let api: Api<ServiceAccount> = Api::namespaced(client.clone(), namespace);
    let request = TokenRequest {
        spec: TokenRequestSpec {
            audiences: vec![audience.to_string()],
            expiration_seconds: Some(expiration_seconds),
            ..Default::default()
        },
        ..Default::default()
    };
    let what = format!("TokenRequest for {namespace}/{service_account}");
    let response = api
        .create_token_request(service_account, &PostParams::default(), &request)
        .await
        .map_err(|error| KubeError::from_kube(what.clone(), error))?;
    response
        .status
        .map(|status| status.token)
        .ok_or_else(|| KubeError::Request {
            what,
            message: "the answer has no status.token".into(),
        })
}

/// A raw authenticated GET, like `kubectl get --raw PATH`.
pub async fn get_raw(client: &Client, path: &str) -> Result<String, KubeError> {
    let request = http::Request::get(path)
        .body(Vec::new())
        .map_err(|error| KubeError::Failed {
            what: path.to_string(),
            source: Box::new(error),
        })?;
    client
        .request_text(request)
        .await
        .map_err(|error| KubeError::from_kube(path, error))
}

/// The API resource of a built-in kind, e.g. `("apps", "v1", "Deployment")`.
pub fn api_resource(group: &str, version: &str, kind: &str) -> ApiResource {
    ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, kind))
}

/// A namespaced dynamic API for `resource`.
pub fn dynamic_api(client: &Client, resource: &ApiResource, namespace: &str) -> Api<DynamicObject> {
    Api::namespaced_with(client.clone(), namespace, resource)
}

/// Reads an object; `None` when it does not exist.
pub async fn get_object(api: &Api<DynamicObject>, name: &str) -> Result<Option<Value>, KubeError> {
    match api.get_opt(name).await {
        Ok(object) => Ok(object.map(|object| serde_json::to_value(object).unwrap_or(Value::Null))),
        Err(error) => Err(KubeError::from_kube(format!("reading {name}"), error)),
    }
}

/// Server-side apply of `object` as kwif; with `dry_run` the server computes the result without
/// storing it (that result is what the diff shows).
pub async fn apply(
    api: &Api<DynamicObject>,
    name: &str,
    object: &Value,
    dry_run: bool,
) -> Result<Value, KubeError> {
    let mut params = PatchParams::apply(FIELD_MANAGER);
    params.dry_run = dry_run;
    let applied = api
        .patch(name, &params, &Patch::Apply(object))
        .await
        .map_err(|error| KubeError::from_kube(format!("applying {name}"), error))?;
    Ok(serde_json::to_value(applied).unwrap_or(Value::Null))
}

/// Whether the rollout of `object` (a Deployment, StatefulSet or DaemonSet, told by its `kind`)
/// is complete, with a sentence saying why not: each kind reports progress in its own status
/// fields, read as `kubectl rollout status` reads them.
pub fn rollout_state(object: &Value) -> Result<(), String> {
    let status = &object["status"];
    let number = |field: &str| status[field].as_i64().unwrap_or(0);
    let generation = object["metadata"]["generation"].as_i64().unwrap_or(0);
    let observed = number("observedGeneration");
    if observed < generation {
        return Err(format!(
            "the controller has not seen generation {generation} yet (observed {observed})"
        ));
    }
    match object["kind"].as_str().unwrap_or_default() {
        "DaemonSet" => {
            let desired = number("desiredNumberScheduled");
            let updated = number("updatedNumberScheduled");
            if updated < desired {
                return Err(format!(
                    "{updated} of {desired} nodes run the new pod template"
                ));
            }
            let available = number("numberAvailable");
            if available < desired {
                return Err(format!(
                    "{available} of {desired} daemon pods are available"
                ));
            }
            Ok(())
        }
        "StatefulSet" => {
            let desired = object["spec"]["replicas"].as_i64().unwrap_or(1);
            let partition = object["spec"]["updateStrategy"]["rollingUpdate"]["partition"]
                .as_i64()
                .unwrap_or(0);
            let updated = number("updatedReplicas");
            if updated < desired - partition {
                return Err(format!(
                    "{updated} of {} replicas run the new pod template",
                    desired - partition
                ));
            }
            let ready = number("readyReplicas");
            if ready < desired {
                return Err(format!("{ready} of {desired} replicas are ready"));
            }
            let revision = |field: &str| status[field].as_str().unwrap_or_default();
            if partition == 0 && revision("currentRevision") != revision("updateRevision") {
                return Err("the old revision's pods are still being replaced".to_string());
            }
            Ok(())
        }
        _ => {
            let desired = object["spec"]["replicas"].as_i64().unwrap_or(1);
            let updated = number("updatedReplicas");
            if updated < desired {
                return Err(format!(
                    "{updated} of {desired} replicas run the new pod template"
                ));
            }
            let total = number("replicas");
            if total > updated {
                return Err(format!(
                    "{} old replicas are pending termination",
                    total - updated
                ));
            }
            let available = number("availableReplicas");
            if available < desired {
                return Err(format!("{available} of {desired} replicas are available"));
            }
            Ok(())
        }
    }
}

/// Waits for a rollout to finish, polling every `interval`, for at most `timeout`.
pub async fn wait_for_rollout(
    api: &Api<DynamicObject>,
    name: &str,
    interval: Duration,
    timeout: Duration,
) -> Result<(), KubeError> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let object = get_object(api, name).await?.unwrap_or(Value::Null);
        let state = rollout_state(&object);
        match state {
            Ok(()) => return Ok(()),
            Err(reason) if tokio::time::Instant::now() >= deadline => {
                return Err(KubeError::Request {
                    what: format!("rollout of {name}"),
                    message: format!("not finished after {} s: {reason}", timeout.as_secs()),
                });
            }
            Err(_) => tokio::time::sleep(interval).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_deployment_is_done_when_every_replica_is_updated_available_and_no_old_one_is_left() {
        let done = json!({"kind":"Deployment","metadata":{"generation":2},"spec":{"replicas":2},
            "status":{"observedGeneration":2,"replicas":2,"updatedReplicas":2,"availableReplicas":2}});
        assert_eq!(rollout_state(&done), Ok(()));
        let pending = json!({"metadata":{"generation":3},"spec":{"replicas":2},
            "status":{"observedGeneration":2,"updatedReplicas":2,"availableReplicas":2}});
        assert!(
            rollout_state(&pending)
                .unwrap_err()
                .contains("generation 3")
        );
        let surging = json!({"metadata":{"generation":2},"spec":{"replicas":2},
            "status":{"observedGeneration":2,"replicas":3,"updatedReplicas":2,"availableReplicas":2}});
        assert_eq!(
            rollout_state(&surging).unwrap_err(),
            "1 old replicas are pending termination"
        );
    }

    #[test]
    fn a_daemonset_counts_nodes_not_replicas() {
        let done = json!({"kind":"DaemonSet","metadata":{"generation":1},"spec":{},
            "status":{"observedGeneration":1,"desiredNumberScheduled":3,"updatedNumberScheduled":3,"numberAvailable":3}});
        assert_eq!(rollout_state(&done), Ok(()));
        let rolling = json!({"kind":"DaemonSet","metadata":{"generation":1},"spec":{},
            "status":{"observedGeneration":1,"desiredNumberScheduled":3,"updatedNumberScheduled":1,"numberAvailable":3}});
        assert_eq!(
            rollout_state(&rolling).unwrap_err(),
            "1 of 3 nodes run the new pod template"
        );
    }

    #[test]
    fn a_statefulset_is_done_when_its_revisions_agree() {
        let done = json!({"kind":"StatefulSet","metadata":{"generation":2},"spec":{"replicas":2},
            "status":{"observedGeneration":2,"updatedReplicas":2,"readyReplicas":2,
                "currentRevision":"web-2","updateRevision":"web-2"}});
        assert_eq!(rollout_state(&done), Ok(()));
        let old = json!({"kind":"StatefulSet","metadata":{"generation":2},"spec":{"replicas":2},
            "status":{"observedGeneration":2,"updatedReplicas":2,"readyReplicas":2,
                "currentRevision":"web-1","updateRevision":"web-2"}});
        assert!(rollout_state(&old).is_err());
    }
}
