//! The Entra login endpoint: the client-credentials token exchange with a federated assertion,
//! validated in Entra's order (azure.md §7–§8) with kwif's own OIDC code — HTTPS fetch of the
//! issuer's documents, JWKS, signature — and the tenant's signing keys. No assertion or token
//! is logged or put into an error.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{HeaderMap, HeaderName, Method, header};
use serde_json::{Value, json};

use super::entra_error::EntraError;
use super::reply::Reply;
use super::server::Shared;
use super::state::{CredentialEntry, UserAssignedIdentity};
use crate::oidc::fetch::Fetcher;
use crate::oidc::issuer::IssuerUrl;
use crate::oidc::jwks::JwkSet;
use crate::oidc::jwt::{Jwt, VerifyError};
use crate::randomness;

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Access tokens live an hour, as `expires_in` says.
const LIFETIME_SECONDS: u64 = 3599;
/// Microsoft.IdentityModel's default clock skew for `exp` and `nbf`.
const CLOCK_SKEW: Duration = Duration::from_secs(300);

/// Answers a request to the login host.
pub async fn handle(
    shared: &Shared,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Reply {
    let segments: Vec<&str> = path
        .split('/')
        .filter(|segment| !segment.is_empty())
        .collect();
    match segments.as_slice() {
        [tenant, "oauth2", "v2.0", "token"] => match *method {
            Method::POST => token(shared, tenant, headers, body).await,
            _ => entra_error(headers, EntraError::post_only(method.as_str())),
        },
        [tenant, "discovery", "v2.0", "keys"] | [tenant, "discovery", "keys"]
            if known_tenant(shared, tenant) =>
        {
            Reply::json(200, shared.signer.jwks())
        }
        [tenant, "v2.0", ".well-known", "openid-configuration"] if known_tenant(shared, tenant) => {
            Reply::json(
                200,
                openid_configuration(&shared.base_url, &shared.tenant_id),
            )
        }
        _ => Reply::empty(404),
    }
}

fn known_tenant(shared: &Shared, tenant: &str) -> bool {
    shared.tenant_id.eq_ignore_ascii_case(tenant)
}

fn openid_configuration(base_url: &str, tenant: &str) -> Value {
    json!({
        "token_endpoint": format!("{base_url}/{tenant}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{base_url}/{tenant}/discovery/v2.0/keys"),
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "issuer": format!("{base_url}/{tenant}/v2.0"),
    })
}

/// Entra echoes the caller's `client-request-id` as the correlation id.
fn correlation_id(headers: &HeaderMap) -> String {
    headers
        .get(HeaderName::from_static("client-request-id"))
        .and_then(|value| value.to_str().ok())
        .filter(|value| uuid::Uuid::parse_str(value).is_ok())
        .map_or_else(randomness::uid, str::to_string)
}

fn entra_error(headers: &HeaderMap, error: EntraError) -> Reply {
    let body = error.body(&correlation_id(headers), SystemTime::now());
    no_store(Reply::json(error.status(), body))
}

fn no_store(reply: Reply) -> Reply {
    reply
        .with_header(header::CACHE_CONTROL, "no-store, no-cache")
        .with_header(header::PRAGMA, "no-cache")
}

async fn token(shared: &Shared, tenant: &str, headers: &HeaderMap, body: &[u8]) -> Reply {
    match exchange(shared, tenant, body).await {
        Ok(answer) => no_store(Reply::json(200, answer)),
        Err(error) => entra_error(headers, error),
    }
}

/// The form parameters; the first of repeated names wins.
fn form(body: &[u8]) -> HashMap<String, String> {
    let mut parameters = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(body) {
        parameters
            .entry(name.into_owned())
            .or_insert_with(|| value.into_owned());
    }
    parameters
}

/// The resource of a client-credentials scope: exactly one value, `{resource}/.default`.
fn resource_of(scope: &str) -> Result<String, EntraError> {
    let values: Vec<&str> = scope.split_whitespace().collect();
    match values.as_slice() {
        [only] => match only.strip_suffix("/.default") {
            Some(resource) if !resource.is_empty() => Ok(resource.to_string()),
            _ => Err(EntraError::invalid_scope(scope)),
        },
        _ => Err(EntraError::invalid_scope(scope)),
    }
}

async fn exchange(shared: &Shared, tenant: &str, body: &[u8]) -> Result<Value, EntraError> {
    if !known_tenant(shared, tenant) {
        return Err(EntraError::tenant_not_found(tenant));
    }
    let parameters = form(body);
    let parameter = |name: &str| {
        parameters
            .get(name)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    };
    let grant_type =
        parameter("grant_type").ok_or_else(|| EntraError::missing_parameter("grant_type"))?;
    if grant_type != "client_credentials" {
        return Err(EntraError::unsupported_grant_type(grant_type));
    }
    let client_id =
        parameter("client_id").ok_or_else(|| EntraError::missing_parameter("client_id"))?;
    let scope = parameter("scope").ok_or_else(|| EntraError::missing_parameter("scope"))?;
    let resource = resource_of(scope)?;
    let (identity, credentials) = {
        let state = shared.lock_state();
        let entry = state
            .identity_by_client_id(client_id)
            .ok_or_else(|| EntraError::application_not_found(client_id, &shared.tenant_id))?;
        (entry.identity.clone(), entry.credentials.clone())
    };
    let assertion = match (
        parameter("client_assertion_type"),
        parameter("client_assertion"),
    ) {
        (Some(JWT_BEARER), Some(assertion)) => assertion,
        _ => return Err(EntraError::missing_client_assertion()),
    };
    let jwt = Jwt::parse(assertion).map_err(|_| EntraError::malformed_assertion())?;
    match_credential(shared, &jwt, credentials).await?;
    mint(shared, &identity, &resource)
}

/// Entra's checks from the issuer to the audience and the credential's propagation.
async fn match_credential(
    shared: &Shared,
    jwt: &Jwt,
    credentials: Vec<CredentialEntry>,
) -> Result<(), EntraError> {
    // Entra compares the issuer byte for byte, trailing slash included (azure.md §3).
    let issuer = jwt.issuer().unwrap_or_default().to_string();
    let with_issuer: Vec<CredentialEntry> = credentials
        .into_iter()
        .filter(|entry| entry.credential.issuer == issuer)
        .collect();
    if with_issuer.is_empty() {
        return Err(EntraError::issuer_not_matched(&issuer));
    }
    let keys = signing_keys(&shared.fetcher(), &issuer)
        .await
        .ok_or_else(EntraError::external_oidc_failed)?;
    check_signature(jwt, &keys, &issuer)?;
    check_time(jwt, SystemTime::now())?;
    let subject = jwt.subject().unwrap_or_default();
    let with_subject: Vec<&CredentialEntry> = with_issuer
        .iter()
        .filter(|entry| entry.credential.subject == subject)
        .collect();
    if with_subject.is_empty() {
        return match with_issuer
            .iter()
            .any(|entry| entry.credential.subject.to_lowercase() == subject.to_lowercase())
        {
            true => Err(EntraError::subject_matches_only_ignoring_case(subject)),
            false => Err(EntraError::subject_not_matched(subject)),
        };
    }
    let audiences = jwt.audiences();
    let with_audience: Vec<&CredentialEntry> = with_subject
        .into_iter()
        .filter(|entry| {
            entry
                .credential
                .audiences
                .iter()
                .any(|audience| audiences.contains(audience))
        })
        .collect();
    let audience = audiences.first().cloned().unwrap_or_default();
    if with_audience.is_empty() {
        return Err(EntraError::audience_not_matched(&audience));
    }
    let now = Instant::now();
    match with_audience.iter().any(|entry| entry.effective_at <= now) {
        true => Ok(()),
        false => Err(EntraError::no_matching_record(&issuer, subject, &audience)),
    }
}

/// The issuer's JWKS through its discovery document, both over verified HTTPS. Any failure —
/// DNS, TLS, status, JSON — is the same AADSTS90061 at Entra. Keys Entra cannot read are
/// skipped, as Microsoft.IdentityModel does. Not cached: a fix to the hosting shows at once.
async fn signing_keys(fetcher: &Fetcher, issuer: &str) -> Option<JwkSet> {
    if !issuer.starts_with("https://") {
        return None;
    }
    let issuer = IssuerUrl::unchecked(issuer).ok()?;
    let discovery = fetcher
        .get(&issuer.discovery_url())
        .await
        .ok()
        .filter(|fetched| fetched.status == 200)?;
    let document: Value = serde_json::from_slice(&discovery.body).ok()?;
    let jwks_uri = document.get("jwks_uri")?.as_str()?;
    if !jwks_uri.starts_with("https://") {
        return None;
    }
    let jwks = fetcher
        .get(jwks_uri)
        .await
        .ok()
        .filter(|fetched| fetched.status == 200)?;
    JwkSet::parse_skipping_bad_keys(&jwks.body)
        .ok()
        .map(|(keys, _skipped)| keys)
}

/// Entra accepts RS256 signatures only (azure.md §3, "Other").
fn check_signature(jwt: &Jwt, keys: &JwkSet, issuer: &str) -> Result<(), EntraError> {
    match jwt.verify(keys) {
        Ok(_) if jwt.header().alg() == "RS256" => Ok(()),
        Err(VerifyError::KidNotFound { kid }) => {
            Err(EntraError::signing_key_not_found(&kid, issuer))
        }
        Err(VerifyError::NoKid) => Err(EntraError::signing_key_not_found("", issuer)),
        Ok(_) | Err(_) => Err(EntraError::signature_invalid(issuer)),
    }
}

fn check_time(jwt: &Jwt, now: SystemTime) -> Result<(), EntraError> {
    let expires = jwt
        .expires_at()
        .ok_or_else(EntraError::malformed_assertion)?;
    let not_before = jwt.not_before();
    let expired = expires + CLOCK_SKEW < now;
    let early = not_before.is_some_and(|not_before| not_before > now + CLOCK_SKEW);
    match expired || early {
        true => Err(EntraError::outside_time_range(now, not_before, expires)),
        false => Ok(()),
    }
}

/// An app-only access token for `resource`, like the v1 tokens ARM receives.
fn mint(
    shared: &Shared,
    identity: &UserAssignedIdentity,
    resource: &str,
) -> Result<Value, EntraError> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let issuer = format!("https://sts.windows.net/{}/", shared.tenant_id);
    let claims = json!({
        "aud": resource,
        "iss": issuer,
        "iat": now,
        "nbf": now,
        "exp": now + LIFETIME_SECONDS,
        "appid": identity.client_id,
        "appidacr": "2",
        "idp": issuer,
        "idtyp": "app",
        "oid": identity.principal_id,
        "sub": identity.principal_id,
        "tid": shared.tenant_id,
        "uti": URL_SAFE_NO_PAD.encode(randomness::random_bytes::<16>()),
        "ver": "1.0",
        "xms_mirid": identity.id,
    });
    let access_token = shared
        .signer
        .sign(&claims)
        .map_err(|_| EntraError::service_error())?;
    Ok(json!({
        "token_type": "Bearer",
        "expires_in": LIFETIME_SECONDS,
        "ext_expires_in": LIFETIME_SECONDS,
        "access_token": access_token,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_credentials_scope_names_one_resource_with_default() {
        assert_eq!(
            resource_of("https://management.azure.com/.default").unwrap(),
            "https://management.azure.com"
        );
        for bad in [
            "https://management.azure.com",
            "https://a/.default https://b/.default",
            "/.default",
            "   ",
        ] {
            assert_eq!(resource_of(bad).unwrap_err().code, 70011, "{bad}");
        }
    }
}
