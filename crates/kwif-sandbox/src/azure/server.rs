//! The HTTPS front of sandbox Azure: one loopback listener for both Resource Manager and the
//! Entra login endpoint (told apart by path), the shared state, and the request log. Request
//! handling itself lives in `resource_manager.rs` and `entra_login.rs`.

use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use http::{Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::access_token::AccessTokenSigner;
use super::arm_error::ArmError;
use super::arm_path::{self, query_param};
use super::entra_login;
use super::faults::{Fault, FaultInjector, Faults};
use super::reply::Reply;
use super::request_record::AzureRequestRecord;
use super::resource_manager;
use super::state::AzureState;
use crate::clock::Clock;

/// ARM refuses request bodies above 4 MB.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Locks a mutex; a panic in another request does not take the sandbox down with it.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What every request handler shares.
pub struct Shared {
    state: Mutex<AzureState>,
    faults: Mutex<FaultInjector>,
    log: Mutex<Vec<AzureRequestRecord>>,
    issuer_client: Mutex<reqwest::Client>,
    pub signer: AccessTokenSigner,
    pub clock: Clock,
    /// Microsoft Graph's directory: applications, service principals, their credentials.
    pub graph: Mutex<super::graph::Directory>,
    /// While true, federated credential writes wait after marking their identity busy.
    pub credential_writes_paused: watch::Sender<bool>,
    /// `https://127.0.0.1:PORT`, without a trailing slash.
    pub base_url: String,
    pub tenant_id: String,
    pub subscription_id: String,
}

impl Shared {
    pub fn new(
        state: AzureState,
        faults: Faults,
        issuer_client: reqwest::Client,
        signer: AccessTokenSigner,
        clock: Clock,
        base_url: String,
    ) -> Shared {
        Shared {
            tenant_id: state.tenant_id.clone(),
            subscription_id: state.subscription_id.clone(),
            graph: Mutex::new(super::graph::Directory::new(&state)),
            state: Mutex::new(state),
            faults: Mutex::new(FaultInjector::new(faults)),
            log: Mutex::new(Vec::new()),
            issuer_client: Mutex::new(issuer_client),
            signer,
            clock,
            credential_writes_paused: watch::channel(false).0,
            base_url,
        }
    }

    pub fn lock_state(&self) -> MutexGuard<'_, AzureState> {
        lock(&self.state)
    }

    pub fn draw_fault(&self) -> Option<Fault> {
        lock(&self.faults).draw()
    }

    pub fn set_faults(&self, faults: Faults) {
        *lock(&self.faults) = FaultInjector::new(faults);
    }

    /// The client Entra fetches issuer documents with (cheap to clone: it is shared inside).
    pub fn issuer_client(&self) -> reqwest::Client {
        lock(&self.issuer_client).clone()
    }

    pub fn set_issuer_client(&self, client: reqwest::Client) {
        *lock(&self.issuer_client) = client;
    }

    pub fn request_log(&self) -> Vec<AzureRequestRecord> {
        lock(&self.log).clone()
    }

    pub fn clear_request_log(&self) {
        lock(&self.log).clear();
    }
}

/// Accepts connections until `shutdown` turns true.
pub async fn serve(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    shared: Arc<Shared>,
    shutdown: watch::Receiver<bool>,
    latency: Duration,
) {
    let handler = move |request| handle(shared.clone(), request);
    crate::https::serve_tls(listener, tls, handler, shutdown, latency).await;
}

async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or_default().to_string();
    let reply = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Err(_) => ArmError::new(
            413,
            "RequestEntityTooLarge",
            "The request content size exceeds the maximum of 4 MB.",
        )
        .into(),
        Ok(collected) => {
            let body = collected.to_bytes();
            match arm_path::is_resource_manager(&path) {
                _ if super::graph::is_graph(&path) => super::graph::handle(
                    &shared,
                    &parts.method,
                    &path,
                    &query,
                    &parts.headers,
                    &body,
                ),
                true => {
                    resource_manager::handle(
                        &shared,
                        &parts.method,
                        &path,
                        &query,
                        &parts.headers,
                        &body,
                    )
                    .await
                }
                false => {
                    entra_login::handle(&shared, &parts.method, &path, &parts.headers, &body).await
                }
            }
        }
    };
    lock(&shared.log).push(AzureRequestRecord {
        method: parts.method.to_string(),
        path,
        api_version: query_param(&query, "api-version"),
        status: reply.status,
    });
    Ok(respond(reply))
}

fn respond(reply: Reply) -> Response<Full<Bytes>> {
    let body = reply
        .body
        .as_ref()
        .map(std::string::ToString::to_string)
        .unwrap_or_default();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    if reply.body.is_some() {
        headers.insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/json; charset=utf-8"),
        );
    }
    for (name, value) in reply.headers {
        if let Ok(value) = header::HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}
