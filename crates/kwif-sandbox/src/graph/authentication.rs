//! Who calls Graph: the bearer token must be one sandbox Entra issued for Graph — RS256 with the
//! tenant's key, `iss` the tenant, `aud` Graph's root (or Graph's application id), within `exp`
//! — naming a principal (`oid`). Answers 401 `InvalidAuthenticationToken` in Graph's words
//! otherwise. The token itself is never kept or logged.

use std::time::Duration;

use http::{HeaderMap, header};
use serde_json::Value;

use super::graph_error::GraphError;
use crate::azure::entra_login::token_issuer;
use crate::azure::server::Shared;

/// Microsoft Graph's application id, which Entra also accepts as its audience.
const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
/// Microsoft.IdentityModel's default clock skew.
const CLOCK_SKEW: Duration = Duration::from_secs(300);

/// The object id of the principal the request's token names.
pub fn caller(shared: &Shared, root: &str, headers: &HeaderMap) -> Result<String, GraphError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let token = match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("Bearer") && !token.trim().is_empty() =>
        {
            token.trim()
        }
        _ => return Err(GraphError::token("Access token is empty.")),
    };
    let claims = shared
        .signer
        .verify(token)
        .map_err(|_| GraphError::token("Access token validation failure."))?
        .claims;
    if claims.issuer() != Some(token_issuer(&shared.tenant_id).as_str()) {
        return Err(GraphError::token(
            "Access token validation failure. Invalid issuer.",
        ));
    }
    let audiences = claims.audiences();
    let accepted = [root.trim_end_matches('/'), GRAPH_APP_ID];
    if !audiences
        .iter()
        .any(|audience| accepted.contains(&audience.trim_end_matches('/')))
    {
        return Err(GraphError::token(
            "Access token validation failure. Invalid audience.",
        ));
    }
    let now = shared.clock.system_now();
    let expired = claims
        .expires_at()
        .is_none_or(|expires| expires + CLOCK_SKEW < now);
    if expired {
        return Err(GraphError::token(
            "Lifetime validation failed, the token is expired.",
        ));
    }
    match claims.get("oid").and_then(Value::as_str) {
        Some(oid) if !oid.is_empty() => Ok(oid.to_string()),
        _ => Err(GraphError::token("Access token validation failure.")),
    }
}
