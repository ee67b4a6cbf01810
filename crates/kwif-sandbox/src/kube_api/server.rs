//! The HTTPS front of the sandbox's kube-apiserver: TLS, routing by path and method,
//! authentication and authorization, watches, and the request log. Request handling itself is
//! in `objects.rs`, `token.rs` and `oidc_endpoints.rs`.

use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use http::{HeaderMap, Method, Request, Response, StatusCode, header};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Bytes, Frame, Incoming};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};

use super::authentication::{DISCOVERY_PATHS, Identity};
use super::cluster::Cluster;
use super::objects::{Query, Target, Write, watch_selectors};
use super::oidc_endpoints::{CACHE_CONTROL, DISCOVERY_CONTENT_TYPE, JWKS_CONTENT_TYPE};
use super::openapi;
use super::request_record::RequestRecord;
use super::resources::{self, AGGREGATED_DISCOVERY};
use super::selector::{FieldSelector, LabelSelector};
use super::status::ApiError;
use super::store::{ObjectKey, WatchEvent};
use super::table;

type Body = BoxBody<Bytes, Infallible>;

pub type SharedCluster = Arc<Mutex<Cluster>>;

/// Locks the cluster; a panic in another request does not take the sandbox down with it.
pub fn lock(cluster: &SharedCluster) -> MutexGuard<'_, Cluster> {
    cluster
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Accepts connections until `shutdown` turns true.
pub async fn serve(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    cluster: SharedCluster,
    shutdown: watch::Receiver<bool>,
    latency: Duration,
) {
    let handler = move |request| handle(cluster.clone(), request);
    crate::https::serve_tls(listener, tls, handler, shutdown, latency).await;
}

/// What a route produced.
enum Answer {
    Json(u16, Value),
    Raw {
        status: u16,
        content_type: &'static str,
        body: Vec<u8>,
        cache_control: bool,
    },
    NotFoundText,
    Text(&'static str),
    Watch(WatchPlan),
}

impl From<ApiError> for Answer {
    fn from(error: ApiError) -> Answer {
        Answer::Json(error.code, error.to_status())
    }
}

impl From<Result<(u16, Value), ApiError>> for Answer {
    fn from(reply: Result<(u16, Value), ApiError>) -> Answer {
        match reply {
            Ok((status, body)) => Answer::Json(status, body),
            Err(error) => error.into(),
        }
    }
}

/// A watch: events already due, then live ones that pass the filters.
struct WatchPlan {
    initial: Vec<Value>,
    events: broadcast::Receiver<WatchEvent>,
    resource: &'static resources::ResourceType,
    namespace: Option<String>,
    labels: LabelSelector,
    fields: FieldSelector,
    timeout: Duration,
}

/// The parts of a request a route looks at.
struct Received {
    method: Method,
    path: String,
    query: String,
    headers: HeaderMap,
    body: Bytes,
}

/// The API server process is not running: the connection ends without an answer, as when
/// k3s fails to start after a configuration change (clients see the connection drop, not a
/// status they would retry).
#[derive(Debug, thiserror::Error)]
#[error("kube-apiserver is not running: {0}")]
pub struct ApiServerDown(String);

async fn handle(
    cluster: SharedCluster,
    request: Request<Incoming>,
) -> Result<Response<Body>, ApiServerDown> {
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let incoming = Received {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or_default().to_string(),
        headers: parts.headers,
        body,
    };
    let (answer, warnings) = {
        let mut guard = lock(&cluster);
        guard.sync_node();
        if let Some(failure) = guard.node_failure.clone() {
            return Err(ApiServerDown(failure));
        }
        guard.warnings.clear();
        let answer = route(&mut guard, &incoming);
        (answer, std::mem::take(&mut guard.warnings))
    };
    let mut response = respond(answer);
    for warning in warnings {
        // RFC 7234 §5.5 warn-code 299 with agent "-", as kube-apiserver writes them.
        let value = format!("299 - {}", serde_json::Value::String(warning));
        if let Ok(value) = header::HeaderValue::from_str(&value) {
            response.headers_mut().append(header::WARNING, value);
        }
    }
    lock(&cluster).log.push(RequestRecord {
        method: incoming.method.to_string(),
        path: incoming.path,
        query: incoming.query,
        status: response.status().as_u16(),
    });
    Ok(response)
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

fn route(cluster: &mut Cluster, request: &Received) -> Answer {
    let identity = match cluster.authenticate(header_text(&request.headers, header::AUTHORIZATION))
    {
        Ok(identity) => identity,
        Err(error) => return error.into(),
    };
    let path = match request.path.len() > 1 {
        true => request.path.trim_end_matches('/'),
        false => request.path.as_str(),
    };
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        ["api" | "apis", ..] => {}
        _ => return non_resource(cluster, &identity, request, path),
    }
    if request.method != Method::GET
        && segments.len() <= 3
        && (segments[0] == "apis" || segments.len() <= 2)
    {
        return ApiError::method_not_allowed().into();
    }
    let aggregated = header_text(&request.headers, header::ACCEPT)
        .is_some_and(|accept| accept.contains("as=APIGroupDiscoveryList"));
    let distribution = cluster.distribution;
    let discovery = match segments.as_slice() {
        ["api"] if aggregated => Some(Some(resources::aggregated(distribution, true))),
        ["api"] => Some(Some(resources::core_versions(&cluster.address.to_string()))),
        ["apis"] if aggregated => Some(Some(resources::aggregated(distribution, false))),
        ["apis"] => Some(Some(resources::group_list(distribution))),
        ["api", version] => Some(resources::resource_list(distribution, "", version)),
        ["apis", group] => Some(resources::group(distribution, group)),
        ["apis", group, version] => Some(resources::resource_list(distribution, group, version)),
        _ => None,
    };
    if let Some(document) = discovery {
        if identity == Identity::Anonymous {
            return ApiError::forbidden_path(&identity.user_name(), "get", path).into();
        }
        return match document {
            Some(document) if aggregated && segments.len() == 1 => Answer::Raw {
                status: 200,
                content_type: AGGREGATED_DISCOVERY,
                body: document.to_string().into_bytes(),
                cache_control: false,
            },
            Some(document) => Answer::Json(200, document),
            None => Answer::NotFoundText,
        };
    }
    let (group, version, rest) = match segments.as_slice() {
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return Answer::NotFoundText,
    };
    let Some(target) = parse_target(cluster, group, version, rest) else {
        return ApiError::no_such_resource().into();
    };
    if identity != Identity::Admin {
        let verb = verb(&request.method, target.name.is_some(), &request.query);
        return ApiError::forbidden_resource(
            &identity.user_name(),
            verb,
            target.resource,
            target.namespace.as_deref(),
            target.name.as_deref(),
        )
        .into();
    }
    resource_request(cluster, request, &target)
}

fn non_resource(cluster: &Cluster, identity: &Identity, request: &Received, path: &str) -> Answer {
    let openapi = path
        .strip_prefix("/openapi/v3")
        .filter(|rest| rest.is_empty() || rest.starts_with('/'))
        .map(|rest| rest.trim_start_matches('/'));
    let known = matches!(path, "/version" | "/healthz" | "/livez" | "/readyz")
        || DISCOVERY_PATHS.contains(&path)
        || openapi.is_some();
    if !known {
        return Answer::NotFoundText;
    }
    if request.method != Method::GET {
        return ApiError::method_not_allowed().into();
    }
    if !cluster.may_read_path(identity, path) {
        return ApiError::forbidden_path(&identity.user_name(), "get", path).into();
    }
    match (path, openapi) {
        (_, Some("")) => Answer::Json(200, openapi::root(cluster.distribution)),
        (_, Some(group_version)) => match openapi::document(cluster.distribution, group_version) {
            Some(document) => Answer::Json(200, document),
            None => Answer::NotFoundText,
        },
        ("/version", _) => Answer::Json(200, cluster.distribution.version_info(&cluster.version)),
        ("/.well-known/openid-configuration", _) => match cluster.discovery_document() {
            Some(body) => Answer::Raw {
                status: 200,
                content_type: DISCOVERY_CONTENT_TYPE,
                body,
                cache_control: true,
            },
            None => Answer::NotFoundText,
        },
        ("/openid/v1/jwks", _) => match cluster.jwks_document() {
            Some(body) => Answer::Raw {
                status: 200,
                content_type: JWKS_CONTENT_TYPE,
                body,
                cache_control: true,
            },
            None => Answer::NotFoundText,
        },
        _ => Answer::Text("ok"),
    }
}

/// `…/{plural}[/{name}[/{subresource}]]`, or `namespaces/{ns}/{plural}[/…]` for namespaced kinds.
fn parse_target(cluster: &Cluster, group: &str, version: &str, rest: &[&str]) -> Option<Target> {
    let served = |plural: &str| {
        resources::find(group, version, plural).filter(|resource| {
            resources::served(cluster.distribution).any(|served| std::ptr::eq(served, *resource))
        })
    };
    let (resource, namespace, tail) = match rest {
        ["namespaces", namespace, plural, tail @ ..]
            if served(plural).is_some_and(|r| r.namespaced) =>
        {
            (served(plural)?, Some(namespace.to_string()), tail)
        }
        [plural, tail @ ..] => (served(plural)?, None, tail),
        [] => return None,
    };
    if tail.len() > 2 {
        return None;
    }
    Some(Target {
        resource,
        namespace,
        name: tail.first().map(std::string::ToString::to_string),
        subresource: tail.get(1).map(std::string::ToString::to_string),
    })
}

fn verb(method: &Method, named: bool, query: &str) -> &'static str {
    match *method {
        Method::GET if named => "get",
        Method::GET
            if Query::parse(query)
                .get("watch")
                .is_some_and(|w| w == "true" || w == "1") =>
        {
            "watch"
        }
        Method::GET => "list",
        Method::POST => "create",
        Method::PUT => "update",
        Method::PATCH => "patch",
        Method::DELETE if named => "delete",
        Method::DELETE => "deletecollection",
        _ => "get",
    }
}

fn resource_request(cluster: &mut Cluster, request: &Received, target: &Target) -> Answer {
    let query = Query::parse(&request.query);
    let write = Write {
        target,
        query: &query,
        body: &request.body,
        content_type: header_text(&request.headers, header::CONTENT_TYPE)
            .unwrap_or("application/json"),
        user_agent: header_text(&request.headers, header::USER_AGENT),
    };
    let subresource = target.subresource.as_deref();
    let token = target.resource.plural == "serviceaccounts" && subresource == Some("token");
    let table_wanted = table::wanted(header_text(&request.headers, header::ACCEPT));
    match (&request.method, target.name.is_some(), subresource) {
        (&Method::GET, false, _) if matches!(query.get("watch"), Some("true" | "1")) => {
            watch(cluster, target, &query)
        }
        (&Method::GET, false, _) if table_wanted => {
            tabulated(cluster.list_objects(target, &query), target, &query, true)
        }
        (&Method::GET, false, _) => cluster.list_objects(target, &query).into(),
        (&Method::GET, true, None) if table_wanted => {
            tabulated(cluster.get_object(target), target, &query, false)
        }
        (&Method::GET, true, None) => cluster.get_object(target).into(),
        (&Method::GET, true, Some("status")) if target.resource.status_subresource => {
            cluster.get_object(target).into()
        }
        (&Method::POST, false, _) => cluster.create_object(&write).into(),
        (&Method::POST, true, _) if token => cluster.token_request(&write).into(),
        (_, true, _) if token => ApiError::method_not_allowed().into(),
        (&Method::PUT, true, _) => cluster.replace_object(&write).into(),
        (&Method::PATCH, true, _) => cluster.patch_object(&write).into(),
        (&Method::DELETE, true, None) => cluster.delete_object(&write).into(),
        (_, true, Some(_)) if !target.resource.status_subresource => {
            ApiError::no_such_resource().into()
        }
        _ => ApiError::method_not_allowed().into(),
    }
}

/// A list's or an object's reply as the Table a client asked for.
fn tabulated(
    reply: Result<(u16, Value), ApiError>,
    target: &Target,
    query: &Query,
    list: bool,
) -> Answer {
    let (status, body) = match reply {
        Ok(reply) => reply,
        Err(error) => return error.into(),
    };
    let (objects, metadata) = match list {
        true => (
            body["items"].as_array().cloned().unwrap_or_default(),
            body["metadata"].clone(),
        ),
        false => (
            vec![body.clone()],
            json!({"resourceVersion": body.pointer("/metadata/resourceVersion").cloned().unwrap_or(json!(""))}),
        ),
    };
    let include = table::IncludeObject::parse(query.get("includeObject"));
    let table = table::table(
        target.resource,
        &objects,
        metadata,
        include,
        std::time::SystemTime::now(),
    );
    Answer::Json(status, table)
}

/// A watch from now; with no resourceVersion or `0`, the current objects come first as ADDED,
/// as kube-apiserver does. The sandbox keeps no history, so a watch from an older
/// resourceVersion starts from now.
fn watch(cluster: &Cluster, target: &Target, query: &Query) -> Answer {
    let (labels, fields) = match watch_selectors(target.resource, query) {
        Ok(selectors) => selectors,
        Err(error) => return error.into(),
    };
    let events = cluster.store.subscribe();
    let from_scratch = matches!(query.get("resourceVersion"), None | Some("" | "0"))
        || query.get("sendInitialEvents") == Some("true");
    let initial = match from_scratch {
        false => Vec::new(),
        true => cluster
            .store
            .list(target.resource, target.namespace.as_deref())
            .into_iter()
            .filter(|(key, object)| {
                target.name.as_deref().is_none_or(|name| key.name == name)
                    && labels.matches(object)
                    && fields.matches(target.resource.kind, object)
            })
            .map(|(_, object)| json!({"type": "ADDED", "object": object}))
            .collect(),
    };
    let timeout = query
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .unwrap_or(1800);
    Answer::Watch(WatchPlan {
        initial,
        events,
        resource: target.resource,
        namespace: target.namespace.clone(),
        labels,
        fields,
        timeout: Duration::from_secs(timeout),
    })
}

impl WatchPlan {
    fn wants(&self, key: &ObjectKey, object: &Value) -> bool {
        key.is_of(self.resource)
            && self
                .namespace
                .as_deref()
                .is_none_or(|namespace| key.namespace == namespace)
            && self.labels.matches(object)
            && self.fields.matches(self.resource.kind, object)
    }
}

fn respond(answer: Answer) -> Response<Body> {
    let (status, content_type, body, cache_control): (u16, &str, Body, bool) = match answer {
        Answer::Json(status, value) => (
            status,
            "application/json",
            full(value.to_string().into_bytes()),
            false,
        ),
        Answer::Raw {
            status,
            content_type,
            body,
            cache_control,
        } => (status, content_type, full(body), cache_control),
        Answer::NotFoundText => (
            404,
            "text/plain; charset=utf-8",
            full(b"404 page not found\n".to_vec()),
            false,
        ),
        Answer::Text(text) => (
            200,
            "text/plain; charset=utf-8",
            full(text.as_bytes().to_vec()),
            false,
        ),
        Answer::Watch(plan) => (200, "application/json", watch_body(plan), false),
    };
    let mut response = Response::new(body);
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(value) = header::HeaderValue::from_str(content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    if cache_control {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static(CACHE_CONTROL),
        );
    }
    response
}

fn full(bytes: Vec<u8>) -> Body {
    Full::new(Bytes::from(bytes)).boxed()
}

fn watch_body(plan: WatchPlan) -> Body {
    let deadline = tokio::time::Instant::now() + plan.timeout;
    let initial: std::collections::VecDeque<Value> = plan.initial.iter().cloned().collect();
    let stream =
        futures::stream::unfold((plan, initial), move |(mut plan, mut initial)| async move {
            if let Some(event) = initial.pop_front() {
                return Some((line(&event), (plan, initial)));
            }
            loop {
                let received = tokio::time::timeout_at(deadline, plan.events.recv()).await;
                match received {
                    Ok(Ok(event)) if plan.wants(&event.key, &event.object) => {
                        let line = line(&json!({"type": event.kind, "object": event.object}));
                        return Some((line, (plan, initial)));
                    }
                    Ok(Ok(_)) => continue,
                    // Timed out, sandbox gone, or the watcher fell too far behind: end the watch,
                    // as kube-apiserver ends one whose window expired.
                    _ => return None,
                }
            }
        });
    let frames = futures::StreamExt::map(stream, |bytes| Ok::<_, Infallible>(Frame::data(bytes)));
    StreamBody::new(frames).boxed()
}

fn line(event: &Value) -> Bytes {
    let mut text = event.to_string();
    text.push('\n');
    Bytes::from(text)
}
