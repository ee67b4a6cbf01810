//! The Resource Manager front door: bearer check and caller, injected faults, path and
//! api-version routing, then the provider handlers. Checks run in ARM's order, and a fault or a
//! front-door error leaves the state untouched.

use std::time::{Duration, Instant};

use http::{HeaderMap, Method, header};
use serde_json::{Value, json};

use super::arm_error::ArmError;
use super::arm_path::{self, ArmTarget, query_param};
use super::entra_login::token_issuer;
use super::faults::Fault;
use super::reply::Reply;
use super::server::Shared;
use super::state::AzureState;
use super::{
    cosmos_role_assignments, federated_credentials, identities, locations, permissions,
    resource_groups, role_assignments, role_definitions, storage_accounts, subscriptions,
};
use crate::randomness;

/// Microsoft.IdentityModel's default clock skew, applied to `exp` and `nbf` (unverified for ARM).
const CLOCK_SKEW: Duration = Duration::from_secs(300);

/// Public Azure's Resource Manager audiences, which ARM lists in its audience error; the sandbox
/// also accepts its own endpoint, with and without the trailing slash, as a sovereign cloud does.
const PUBLIC_AUDIENCES: [&str; 4] = [
    "https://management.core.windows.net/",
    "https://management.core.windows.net",
    "https://management.azure.com/",
    "https://management.azure.com",
];

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
    /// The object id (`oid`) of the principal whose token the request carries.
    pub caller: String,
}

impl ArmRequest<'_> {
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
    /// it) overrides the page size; `$skipToken` is the offset the previous page handed out,
    /// and the next link keeps every other parameter (a `$filter` too).
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
            // The next page's request is this one's — filters, `$top` and all, as sent — from
            // `end` on.
            let mut query: Vec<&str> = self
                .query
                .split('&')
                .filter(|pair| !pair.is_empty())
                .filter(|pair| {
                    let name = pair.split_once('=').map_or(*pair, |(name, _)| name);
                    !(name.eq_ignore_ascii_case("$skipToken")
                        || name.eq_ignore_ascii_case("%24skipToken"))
                })
                .collect();
            let skip = format!("$skipToken={end}");
            query.push(&skip);
            body["nextLink"] = json!(format!(
                "{}{}?{}",
                self.base_url,
                self.path,
                query.join("&")
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
    let caller = match authenticate(shared, headers) {
        Ok(caller) => caller,
        Err(error) => {
            let challenge = format!(
                "Bearer authorization_uri=\"{}/\", error=\"invalid_token\", error_description=\"{}\"",
                shared.base_url,
                error.message.replace('"', "'")
            );
            return Reply::from(error).with_header(header::WWW_AUTHENTICATE, challenge);
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
        now: shared.clock.now(),
        caller,
    };
    let result = match (&request.target, method) {
        (ArmTarget::FederatedCredential(..), &Method::PUT | &Method::DELETE) => {
            federated_credentials::write(shared, &request).await
        }
        _ => route(&mut shared.lock_state(), &request),
    };
    result.unwrap_or_else(Reply::from)
}

/// Resource Manager accepts only access tokens its tenant's Entra issued for it: RS256 with the
/// tenant's key, `iss` the tenant, `aud` Resource Manager, within `exp`, naming a principal
/// (`oid`). Returns the principal's object id; the token itself is not kept.
fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<String, ArmError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ArmError::missing_authorization());
    };
    let value = value
        .to_str()
        .map_err(|_| ArmError::invalid_authorization())?;
    let token = match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("Bearer") && !token.trim().is_empty() =>
        {
            token.trim()
        }
        _ => return Err(ArmError::invalid_authorization()),
    };
    let claims = shared
        .signer
        .verify(token)
        .map_err(|_| ArmError::invalid_token())?
        .claims;
    let tenant_issuer = token_issuer(&shared.tenant_id);
    let issuer = claims.issuer().unwrap_or_default();
    if issuer != tenant_issuer {
        return Err(ArmError::wrong_tenant(
            issuer,
            &tenant_issuer,
            &shared.tenant_id,
        ));
    }
    let allowed = allowed_audiences(&shared.base_url);
    let audiences = claims.audiences();
    if !audiences.iter().any(|audience| allowed.contains(audience)) {
        let audience = audiences.first().map(String::as_str).unwrap_or_default();
        return Err(ArmError::wrong_audience(audience, &allowed));
    }
    let now = shared.clock.system_now();
    let expires = claims.expires_at().ok_or_else(ArmError::invalid_token)?;
    if expires + CLOCK_SKEW < now {
        return Err(ArmError::expired_token(expires, now));
    }
    if claims
        .not_before()
        .is_some_and(|nbf| nbf > now + CLOCK_SKEW)
    {
        return Err(ArmError::invalid_token());
    }
    match claims.get("oid").and_then(Value::as_str) {
        Some(oid) if !oid.is_empty() => Ok(oid.to_string()),
        _ => Err(ArmError::no_principal_claim()),
    }
}

/// The audiences Resource Manager accepts: public Azure's and the sandbox's own endpoint.
pub fn allowed_audiences(base_url: &str) -> Vec<String> {
    let mut allowed: Vec<String> = PUBLIC_AUDIENCES
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
    allowed.push(format!("{base_url}/"));
    allowed.push(base_url.to_string());
    allowed
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
        ArmTarget::Subscriptions | ArmTarget::Subscription { .. } | ArmTarget::Tenants => {
            subscriptions::handle(state, request)
        }
        ArmTarget::Locations { .. } => locations::handle(state, request),
        ArmTarget::ResourceGroup { .. } | ArmTarget::ResourceGroupList { .. } => {
            resource_groups::handle(state, request)
        }
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
        | ArmTarget::CosmosAccountList { .. }
        | ArmTarget::CosmosRoleAssignments(..)
        | ArmTarget::CosmosRoleDefinitions(..)
        | ArmTarget::CosmosOperation { .. } => cosmos_role_assignments::handle(state, request),
        ArmTarget::StorageAccount(_)
        | ArmTarget::StorageAccountList { .. }
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
