//! The Resource Manager front door: bearer check and caller, injected faults, path and
//! api-version routing, then the provider handlers. Checks run in ARM's order, and a fault or a
//! front-door error leaves the state untouched.

use std::time::Instant;

use http::{HeaderMap, Method, header};
use serde_json::{Value, json};

use super::access_token::AccessTokenSigner;
use super::arm_error::ArmError;
use super::arm_path::{self, ArmTarget, query_param};
use super::faults::Fault;
use super::reply::Reply;
use super::server::Shared;
use super::state::AzureState;
use super::{
    cosmos_role_assignments, federated_credentials, identities, permissions, resource_groups,
    role_assignments, role_definitions, storage_accounts,
};
use crate::oidc::jwks::JwkSet;
use crate::oidc::jwt::Jwt;
use crate::randomness;

/// Who sent an ARM request. Only the permissions list looks: the sandbox enforces no RBAC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    /// A token the sandbox's Entra signed: the identity's object id, its `oid` claim (empty
    /// when the token has none, which names nobody).
    Principal(String),
    /// Any other bearer token, such as the fixed ones of tests: the signed-in administrator.
    Administrator,
}

impl Caller {
    /// The `oid` of a token that verifies against the sandbox tenant's JWKS, else the
    /// administrator. The token itself is never kept.
    fn of(token: &str, tenant_jwks: &Value) -> Caller {
        let Ok(jwt) = Jwt::parse(token) else {
            return Caller::Administrator;
        };
        let signed_here = JwkSet::parse(tenant_jwks.to_string().as_bytes())
            .is_ok_and(|keys| jwt.verify(&keys).is_ok());
        match signed_here {
            true => Caller::Principal(
                jwt.claims()
                    .get("oid")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            ),
            false => Caller::Administrator,
        }
    }
}

/// A routed ARM request, as the provider handlers see it.
pub struct ArmRequest<'a> {
    pub method: &'a Method,
    pub target: ArmTarget,
    pub path: &'a str,
    pub query: &'a str,
    pub api_version: String,
    pub body: &'a [u8],
    /// `https://127.0.0.1:PORT`, for `nextLink` and operation URLs.
    pub base_url: &'a str,
    pub now: Instant,
    /// The bearer token as sent, to tell the caller by; never kept beyond the request.
    pub bearer: &'a str,
    /// The sandbox tenant's token signer, whose tokens name a principal.
    pub signer: &'a AccessTokenSigner,
}

impl ArmRequest<'_> {
    /// Who sent the request. Worked out only by the routes that look (the permissions list):
    /// it verifies the token's signature.
    pub fn caller(&self) -> Caller {
        Caller::of(self.bearer, &self.signer.jwks())
    }

    /// The body as a JSON object, or ARM's `InvalidRequestContent`.
    pub fn json_body(&self) -> Result<serde_json::Map<String, Value>, ArmError> {
        match serde_json::from_slice::<Value>(self.body) {
            Ok(Value::Object(members)) => Ok(members),
            Ok(_) => Err(ArmError::invalid_request_content(
                "the request body must be a JSON object",
            )),
            Err(error) => Err(ArmError::invalid_request_content(&error.to_string())),
        }
    }

    /// One page of `items`, with a `nextLink` when more follow. `$top` (when the operation has
    /// it) overrides the page size; `$skipToken` is the offset the previous page handed out.
    pub fn page(
        &self,
        items: Vec<Value>,
        page_size: usize,
        top_allowed: bool,
    ) -> Result<Reply, ArmError> {
        let top = match query_param(self.query, "$top").filter(|_| top_allowed) {
            Some(top) => match top.parse::<usize>() {
                Ok(top) if top >= 1 => top,
                _ => {
                    return Err(ArmError::bad_request(
                        "InvalidParameter",
                        format!(
                            "The value '{top}' of $top is invalid; it must be an integer of at least 1."
                        ),
                    ));
                }
            },
            None => page_size,
        };
        let skip = query_param(self.query, "$skipToken")
            .and_then(|token| token.parse::<usize>().ok())
            .unwrap_or(0);
        let end = skip.saturating_add(top).min(items.len());
        let value: Vec<Value> = items
            .get(skip..end)
            .map(<[Value]>::to_vec)
            .unwrap_or_default();
        let mut body = json!({ "value": value });
        if end < items.len() {
            let top_param = match top_allowed && query_param(self.query, "$top").is_some() {
                true => format!("&$top={top}"),
                false => String::new(),
            };
            body["nextLink"] = json!(format!(
                "{}{}?api-version={}{top_param}&$skipToken={end}",
                self.base_url, self.path, self.api_version
            ));
        }
        Ok(Reply::json(200, body))
    }
}

/// Answers one Resource Manager request.
pub async fn handle(
    shared: &Shared,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Reply {
    let token = match authenticate(headers) {
        Ok(token) => token,
        Err(error) => {
            return Reply::from(error).with_header(
                header::WWW_AUTHENTICATE,
                "Bearer authorization_uri=\"https://login.windows.net/\", error=\"invalid_token\", \
                 error_description=\"The authentication failed because of missing 'Authorization' header.\"",
            );
        }
    };
    if let Some(fault) = shared.draw_fault() {
        return fault_reply(fault, &shared.subscription_id);
    }
    let Some(target) = arm_path::parse(path) else {
        return ArmError::unknown_resource_type(path).into();
    };
    let api_version = match query_param(query, "api-version") {
        None => return ArmError::missing_api_version().into(),
        Some(version) if !target.api_versions().contains(&version.as_str()) => {
            return ArmError::unsupported_api_version(&version, target.api_versions()).into();
        }
        Some(version) => version,
    };
    let request = ArmRequest {
        method,
        target,
        path,
        query,
        api_version,
        body,
        base_url: &shared.base_url,
        now: Instant::now(),
        bearer: token,
        signer: &shared.signer,
    };
    let result = match (&request.target, method) {
        (ArmTarget::FederatedCredential(..), &Method::PUT | &Method::DELETE) => {
            federated_credentials::write(shared, &request).await
        }
        _ => route(&mut shared.lock_state(), &request),
    };
    result.unwrap_or_else(Reply::from)
}

/// ARM accepts any well-formed bearer token here: the sandbox checks that one is sent and hands
/// it on to tell the caller, but enforces no permissions with it.
fn authenticate(headers: &HeaderMap) -> Result<&str, ArmError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ArmError::missing_authorization());
    };
    let value = value
        .to_str()
        .map_err(|_| ArmError::invalid_authorization())?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("Bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim())
        }
        _ => Err(ArmError::invalid_authorization()),
    }
}

fn fault_reply(fault: Fault, subscription: &str) -> Reply {
    match fault {
        Fault::Throttled {
            retry_after_seconds,
        } => Reply::from(ArmError::throttled())
            .with_header(header::RETRY_AFTER, retry_after_seconds.to_string()),
        Fault::ServerError => ArmError::internal_error(subscription, &randomness::uid()).into(),
    }
}

fn route(state: &mut AzureState, request: &ArmRequest) -> Result<Reply, ArmError> {
    if let Some(subscription) = request
        .target
        .subscription()
        .filter(|subscription| !state.is_subscription(subscription))
    {
        return Err(ArmError::subscription_not_found(subscription));
    }
    match &request.target {
        ArmTarget::ResourceGroup { .. } => resource_groups::handle(state, request),
        ArmTarget::IdentityList { .. } | ArmTarget::Identity(_) => {
            identities::handle(state, request)
        }
        ArmTarget::FederatedCredentialList(_) | ArmTarget::FederatedCredential(..) => {
            federated_credentials::read(state, request)
        }
        ArmTarget::RoleDefinitions { .. } => role_definitions::handle(state, request),
        ArmTarget::RoleAssignments { .. } => role_assignments::handle(state, request),
        ArmTarget::Permissions { .. } => permissions::handle(state, request),
        ArmTarget::CosmosAccount(_)
        | ArmTarget::CosmosRoleAssignments(..)
        | ArmTarget::CosmosRoleDefinitions(..)
        | ArmTarget::CosmosOperation { .. } => cosmos_role_assignments::handle(state, request),
        ArmTarget::StorageAccount(_)
        | ArmTarget::StorageAccountKeys(_)
        | ArmTarget::StorageNameAvailability { .. }
        | ArmTarget::StorageOperation { .. } => storage_accounts::handle(state, request),
    }
}

/// The resource group must exist for anything inside it.
pub fn require_resource_group<'s>(
    state: &'s AzureState,
    resource_group: &str,
) -> Result<&'s str, ArmError> {
    state
        .resource_group(resource_group)
        .map(|entry| entry.name.as_str())
        .ok_or_else(|| ArmError::resource_group_not_found(resource_group))
}

/// ARM's location names: `West Europe` → `westeurope`.
pub fn normalise_location(location: &str) -> String {
    location
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}
