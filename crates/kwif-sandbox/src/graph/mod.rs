//! Sandbox Microsoft Graph (v1.0): applications, service principals and their federated identity
//! credentials, shaped after the Graph v1.0 reference — Graph's validation and error bodies,
//! `$filter` on appId, displayName and uniqueName, Authorization_RequestDenied for a token
//! without the permission, and eventual consistency (a new application or service principal is
//! not found for a clock-driven replication delay). It serves below `{sandbox}/graph/` on the
//! sandbox's one HTTPS listener, accepts only tokens sandbox Entra issued for that root, and
//! shares its directory with Entra so an application's credentials work at the token endpoint.

mod applications;
mod authentication;
mod directory;
mod federated_credentials;
mod graph_error;
mod odata;
mod service_principals;
#[cfg(test)]
mod tests;

use std::sync::MutexGuard;
use std::time::{Duration, Instant, SystemTime};

use http::{HeaderMap, HeaderName, Method};
use serde_json::{Map, Value};

use super::AzureSandbox;
use super::entra_login::Principal;
use super::reply::Reply;
use super::server::Shared;
use super::state::{CredentialEntry, FederatedCredential};
use directory::ApplicationKey;
use federated_credentials::CredentialKey;
use graph_error::GraphError;
use odata::{decode_segment, key_segment};
use service_principals::PrincipalKey;

pub use directory::{
    Directory, GraphApplication, GraphFederatedCredential, GraphServicePrincipal, READ_ALL,
    READ_WRITE_ALL, READ_WRITE_OWNED_BY,
};

/// The first path segment of every Graph request: Graph's root is `{sandbox}/graph/`.
const PREFIX: &str = "graph";
/// The only Graph version served.
const VERSION: &str = "v1.0";

/// Whether `path` is a Graph request (below `/graph/`).
pub fn is_graph(path: &str) -> bool {
    path.split('/')
        .find(|segment| !segment.is_empty())
        .is_some_and(|first| first.eq_ignore_ascii_case(PREFIX))
}

/// `https://127.0.0.1:PORT/graph/`: Graph's root, what a client names as `endpoints.graph`.
fn root(shared: &Shared) -> String {
    format!("{}/{PREFIX}/", shared.base_url)
}

fn directory(shared: &Shared) -> MutexGuard<'_, Directory> {
    shared
        .graph
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One Graph request, as every handler sees it.
pub(super) struct GraphRequest<'a> {
    method: &'a Method,
    query: &'a str,
    headers: &'a HeaderMap,
    body: &'a [u8],
    /// The object id of the calling principal.
    caller: String,
    now: Instant,
    system_now: SystemTime,
    root: String,
    tenant_id: String,
    replication_delay: Duration,
    credential_propagation: Duration,
}

impl GraphRequest<'_> {
    fn caller_key(&self) -> String {
        self.caller.to_ascii_lowercase()
    }

    fn filter(&self) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .find(|(name, _)| name == "$filter")
            .map(|(_, value)| value.into_owned())
    }

    /// `Prefer: create-if-missing`, which turns an update by key into an upsert.
    fn create_if_missing(&self) -> bool {
        self.headers
            .get_all(HeaderName::from_static("prefer"))
            .iter()
            .filter_map(|value| value.to_str().ok())
            .any(|value| {
                value
                    .split(',')
                    .any(|part| part.trim().eq_ignore_ascii_case("create-if-missing"))
            })
    }

    /// The body as a JSON object.
    fn object(&self) -> Result<Map<String, Value>, GraphError> {
        match serde_json::from_slice(self.body) {
            Ok(Value::Object(object)) => Ok(object),
            _ => Err(GraphError::new(
                400,
                "BadRequest",
                "Empty Payload. JSON content expected.",
            )),
        }
    }

    /// `@odata.context`: `{root}v1.0/$metadata#{what}`.
    fn context(&self, what: &str) -> String {
        format!("{}{VERSION}/$metadata#{what}", self.root)
    }
}

/// Answers a request below `/graph/`.
pub fn handle(
    shared: &Shared,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Reply {
    let client_request_id = headers
        .get(HeaderName::from_static("client-request-id"))
        .and_then(|value| value.to_str().ok())
        .map(str::to_string);
    let request_id = crate::randomness::uid();
    match route(shared, method, path, query, headers, body) {
        Ok(reply) => reply,
        Err(error) => Reply::json(
            error.status,
            error.body(client_request_id.as_deref(), shared.clock.system_now()),
        ),
    }
    .with_header(HeaderName::from_static("request-id"), request_id)
}

fn route(
    shared: &Shared,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Reply, GraphError> {
    let segments: Vec<String> = path
        .split('/')
        .filter(|segment| !segment.is_empty())
        .skip(1)
        .map(decode_segment)
        .collect();
    let Some((version, rest)) = segments.split_first() else {
        return Err(GraphError::new(400, "BadRequest", "Invalid version"));
    };
    if version != VERSION {
        return Err(GraphError::new(
            400,
            "BadRequest",
            format!("Invalid version: {version}"),
        ));
    }
    let root = root(shared);
    let caller = authentication::caller(shared, &root, headers)?;
    let credential_propagation = shared.lock_state().timings.credential_propagation;
    let mut directory = directory(shared);
    let request = GraphRequest {
        method,
        query,
        headers,
        body,
        caller,
        now: shared.clock.now(),
        system_now: shared.clock.system_now(),
        root,
        tenant_id: shared.tenant_id.clone(),
        replication_delay: directory.replication_delay,
        credential_propagation,
    };
    let Some((first, tail)) = rest.split_first() else {
        return Err(GraphError::unknown_segment(VERSION));
    };
    match key_segment(first) {
        ("applications", None) => match tail.split_first() {
            None => applications::collection(&mut directory, &request),
            Some((id, tail)) => application(
                &mut directory,
                &request,
                &ApplicationKey::Id(id.clone()),
                tail,
            ),
        },
        ("applications", Some((key, value))) => {
            let key = match key.as_str() {
                "appId" => ApplicationKey::AppId(value),
                "uniqueName" => ApplicationKey::UniqueName(value),
                _ => return Err(GraphError::unknown_segment(first)),
            };
            application(&mut directory, &request, &key, tail)
        }
        ("servicePrincipals", None) => match tail {
            [] => service_principals::collection(&mut directory, &request),
            [id] => {
                service_principals::item(&mut directory, &request, &PrincipalKey::Id(id.clone()))
            }
            _ => Err(GraphError::unknown_segment(&tail[1])),
        },
        ("servicePrincipals", Some((key, value))) if key == "appId" && tail.is_empty() => {
            service_principals::item(&mut directory, &request, &PrincipalKey::AppId(value))
        }
        _ => Err(GraphError::unknown_segment(first)),
    }
}

/// One application, or its federated credentials (`tail`).
fn application(
    directory: &mut Directory,
    request: &GraphRequest<'_>,
    key: &ApplicationKey,
    tail: &[String],
) -> Result<Reply, GraphError> {
    let Some((first, rest)) = tail.split_first() else {
        return applications::item(directory, request, key);
    };
    let index = directory
        .application_index(key, request.now)
        .ok_or_else(|| GraphError::not_found(key.text()))?;
    let access = directory.access(&request.caller);
    let entry = &mut directory.applications[index];
    let owned = entry.owners.contains(&request.caller_key());
    let (read, write) = (access.can_read(owned), access.can_write(owned));
    match (key_segment(first), rest) {
        (("federatedIdentityCredentials", None), []) => {
            federated_credentials::collection(entry, request, read, write)
        }
        (("federatedIdentityCredentials", None), [id]) => federated_credentials::item(
            entry,
            request,
            &CredentialKey::IdOrName(id.clone()),
            read,
            write,
        ),
        (("federatedIdentityCredentials", Some((key, name))), []) if key == "name" => {
            federated_credentials::item(entry, request, &CredentialKey::Name(name), read, write)
        }
        _ => Err(GraphError::unknown_segment(first)),
    }
}

/// For Entra's token endpoint: the application `client_id` names, when it is replicated and has
/// a service principal, as the principal its tokens name and its federated credentials.
pub fn federated_client(
    shared: &Shared,
    client_id: &str,
) -> Option<(Principal, Vec<CredentialEntry>)> {
    let now = shared.clock.now();
    let directory = directory(shared);
    let index = directory.application_index(&ApplicationKey::AppId(client_id.to_string()), now)?;
    let entry = &directory.applications[index];
    let principal = directory.principal_of(&entry.application.app_id, now)?;
    let credentials = entry
        .application
        .federated_credentials
        .iter()
        .map(|credential| CredentialEntry {
            credential: FederatedCredential {
                id: credential.id.clone(),
                name: credential.name.clone(),
                issuer: credential.issuer.clone(),
                subject: credential.subject.clone(),
                audiences: credential.audiences.clone(),
            },
            effective_at: entry
                .effective_at
                .get(&credential.id)
                .copied()
                .unwrap_or(now),
        })
        .collect();
    Some((
        Principal {
            client_id: entry.application.app_id.clone(),
            object_id: principal.principal.id.clone(),
            resource_id: None,
        },
        credentials,
    ))
}

/// The sandbox's Graph, as tests and `kwif sandbox serve` see it.
impl AzureSandbox {
    /// `https://127.0.0.1:PORT/graph/`, Microsoft Graph's root (`azure.endpoints.graph`).
    pub fn graph_root(&self) -> String {
        root(&self.shared)
    }

    /// Every application, replicated or not, in creation order.
    pub fn applications(&self) -> Vec<GraphApplication> {
        directory(&self.shared)
            .applications
            .iter()
            .map(|entry| entry.application.clone())
            .collect()
    }

    /// Every service principal of an application, replicated or not, in creation order.
    pub fn service_principals(&self) -> Vec<GraphServicePrincipal> {
        directory(&self.shared)
            .principals
            .iter()
            .map(|entry| entry.principal.clone())
            .collect()
    }

    /// Grants exactly `permissions` (e.g. [`READ_WRITE_OWNED_BY`]) to the principal with object
    /// id `principal_id`; an empty list takes every Graph permission away.
    pub fn set_graph_permissions(&self, principal_id: &str, permissions: &[&str]) {
        directory(&self.shared).grants.insert(
            principal_id.to_ascii_lowercase(),
            permissions
                .iter()
                .map(std::string::ToString::to_string)
                .collect(),
        );
    }

    /// How long applications and service principals created from now on stay invisible.
    pub fn set_graph_replication_delay(&self, delay: Duration) {
        directory(&self.shared).replication_delay = delay;
    }

    /// An application someone else made before the scenario began (replicated, no owner, no
    /// service principal): a client must leave it alone.
    pub fn insert_application(&self, display_name: &str, tags: &[&str]) -> GraphApplication {
        let application = GraphApplication {
            id: crate::randomness::uid(),
            app_id: crate::randomness::uid(),
            display_name: display_name.to_string(),
            unique_name: None,
            sign_in_audience: "AzureADMyOrg".to_string(),
            tags: tags.iter().map(std::string::ToString::to_string).collect(),
            notes: None,
            created: self.shared.clock.system_now(),
            federated_credentials: Vec::new(),
        };
        directory(&self.shared)
            .applications
            .push(directory::ApplicationEntry {
                application: application.clone(),
                owners: Default::default(),
                visible_at: self.shared.clock.now(),
                effective_at: Default::default(),
            });
        application
    }
}
