//! The Entra login endpoint: the client-credentials grant (azure.md §7) with a client secret or a
//! federated client assertion, checked in Entra's order (azure.md §3, §8): the assertion's issuer
//! against the federated credentials byte for byte, the issuer's discovery document and JWKS
//! fetched over verified HTTPS, the RS256 signature, the time window, subject and audience. No
//! secret, assertion or token is logged or put into an error.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{HeaderMap, HeaderName, Method, header};
use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::JwkSet;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::entra_error::EntraError;
use super::reply::Reply;
use super::server::Shared;
use super::state::CredentialEntry;
use crate::jwt::{self, Claims, VerifyError};
use crate::randomness;

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Access tokens live an hour, as `expires_in` says.
const LIFETIME_SECONDS: u64 = 3599;
/// Microsoft.IdentityModel's default clock skew for `exp` and `nbf`.
const CLOCK_SKEW: Duration = Duration::from_secs(300);

/// Who a token is for: the principal Resource Manager will see.
pub struct Principal {
    pub client_id: String,
    /// The service principal's object id (`oid`).
    pub object_id: String,
    /// A managed identity's resource id (`xms_mirid`); applications have none.
    pub resource_id: Option<String>,
}

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
            _ => entra_error(shared, headers, EntraError::post_only(method.as_str())),
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

fn entra_error(shared: &Shared, headers: &HeaderMap, error: EntraError) -> Reply {
    let body = error.body(&correlation_id(headers), shared.clock.system_now());
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
        Err(error) => entra_error(shared, headers, error),
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

/// The client a `client_id` names: a managed identity (federated credentials only) or an
/// application with a client secret.
enum Client {
    ManagedIdentity {
        principal: Principal,
        credentials: Vec<CredentialEntry>,
    },
    Application {
        principal: Principal,
        secret_sha256: [u8; 32],
    },
    /// An app registration of sandbox Graph: federated credentials only.
    RegisteredApplication {
        principal: Principal,
        credentials: Vec<CredentialEntry>,
    },
}

fn client(shared: &Shared, client_id: &str) -> Result<Client, EntraError> {
    if let Some((principal, credentials)) = super::graph::federated_client(shared, client_id) {
        return Ok(Client::RegisteredApplication {
            principal,
            credentials,
        });
    }
    let state = shared.lock_state();
    if let Some(entry) = state.identity_by_client_id(client_id) {
        return Ok(Client::ManagedIdentity {
            principal: Principal {
                client_id: entry.identity.client_id.clone(),
                object_id: entry.identity.principal_id.clone(),
                resource_id: Some(entry.identity.id.clone()),
            },
            credentials: entry.credentials.clone(),
        });
    }
    match state.application(client_id) {
        Some(entry) => Ok(Client::Application {
            principal: Principal {
                client_id: entry.client_id.clone(),
                object_id: entry.object_id.clone(),
                resource_id: None,
            },
            secret_sha256: entry.secret_sha256,
        }),
        None => Err(EntraError::application_not_found(
            client_id,
            &shared.tenant_id,
        )),
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
    let client = client(shared, client_id)?;
    let assertion = match parameter("client_assertion_type") {
        Some(JWT_BEARER) => parameter("client_assertion"),
        _ => None,
    };
    let principal = match (assertion, parameter("client_secret"), client) {
        (Some(assertion), _, client) => {
            let credentials = match &client {
                Client::ManagedIdentity { credentials, .. }
                | Client::RegisteredApplication { credentials, .. } => credentials.clone(),
                // The sandbox's applications have no federated credentials.
                Client::Application { .. } => Vec::new(),
            };
            match_credential(shared, assertion, credentials).await?;
            client.into_principal()
        }
        (
            None,
            Some(secret),
            Client::Application {
                principal,
                secret_sha256,
            },
        ) => {
            // Compared as hashes, so the time taken says nothing about the secret.
            match Sha256::digest(secret.as_bytes()).as_slice() == secret_sha256.as_slice() {
                true => principal,
                false => return Err(EntraError::invalid_client_secret(&principal.client_id)),
            }
        }
        // A managed identity (or a registered application here) has no client secret: any is wrong.
        (
            None,
            Some(_),
            Client::ManagedIdentity { principal, .. }
            | Client::RegisteredApplication { principal, .. },
        ) => {
            return Err(EntraError::invalid_client_secret(&principal.client_id));
        }
        (None, None, _) => return Err(EntraError::missing_client_assertion()),
    };
    mint(shared, &principal, &resource)
}

impl Client {
    fn into_principal(self) -> Principal {
        match self {
            Client::ManagedIdentity { principal, .. }
            | Client::Application { principal, .. }
            | Client::RegisteredApplication { principal, .. } => principal,
        }
    }
}

/// Entra's checks of a federated assertion, from the issuer to the credential's propagation.
async fn match_credential(
    shared: &Shared,
    assertion: &str,
    credentials: Vec<CredentialEntry>,
) -> Result<(), EntraError> {
    let claims =
        jwt::unverified_claims(assertion).map_err(|_| EntraError::malformed_assertion())?;
    // Entra compares the issuer byte for byte, trailing slash included (azure.md §3).
    let issuer = claims.issuer().unwrap_or_default().to_string();
    let with_issuer: Vec<CredentialEntry> = credentials
        .into_iter()
        .filter(|entry| entry.credential.issuer == issuer)
        .collect();
    if with_issuer.is_empty() {
        return Err(EntraError::issuer_not_matched(&issuer));
    }
    let keys = signing_keys(&shared.issuer_client(), &issuer)
        .await
        .ok_or_else(EntraError::external_oidc_failed)?;
    check_signature(assertion, &keys, &issuer)?;
    check_time(&claims, shared.clock.system_now())?;
    let subject = claims.subject().unwrap_or_default();
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
    let audiences = claims.audiences();
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
    let now = shared.clock.now();
    match with_audience.iter().any(|entry| entry.effective_at <= now) {
        true => Ok(()),
        false => Err(EntraError::no_matching_record(&issuer, subject, &audience)),
    }
}

/// `{issuer}/.well-known/openid-configuration`, "any terminating /" of the issuer removed
/// (OpenID Connect Discovery 1.0 §4).
fn discovery_url(issuer: &str) -> String {
    let base = issuer.strip_suffix('/').unwrap_or(issuer);
    format!("{base}/.well-known/openid-configuration")
}

/// The issuer's JWKS through its discovery document, both over verified HTTPS. Any failure —
/// DNS, TLS, status, JSON — is the same AADSTS90061 at Entra; the content type is not looked at.
/// Not cached: a fix to the hosting shows at once.
async fn signing_keys(client: &reqwest::Client, issuer: &str) -> Option<JwkSet> {
    if !issuer.starts_with("https://") {
        return None;
    }
    let discovery = fetch(client, &discovery_url(issuer)).await?;
    let document: Value = serde_json::from_slice(&discovery).ok()?;
    let jwks_uri = document.get("jwks_uri")?.as_str()?;
    if !jwks_uri.starts_with("https://") {
        return None;
    }
    jwt::jwk_set(&fetch(client, jwks_uri).await?)
}

/// The body of a 200 answer to a GET of `url`.
async fn fetch(client: &reqwest::Client, url: &str) -> Option<Vec<u8>> {
    let response = client.get(url).send().await.ok()?;
    if response.status() != reqwest::StatusCode::OK {
        return None;
    }
    response.bytes().await.ok().map(|body| body.to_vec())
}

/// Entra accepts RS256 signatures only (azure.md §3, "Other").
fn check_signature(assertion: &str, keys: &JwkSet, issuer: &str) -> Result<(), EntraError> {
    match jwt::verify(assertion, keys) {
        Ok(verified) if verified.header.alg == Algorithm::RS256 => Ok(()),
        Err(VerifyError::KidNotFound(kid)) => Err(EntraError::signing_key_not_found(&kid, issuer)),
        Err(VerifyError::NoKid) => Err(EntraError::signing_key_not_found("", issuer)),
        Ok(_) | Err(_) => Err(EntraError::signature_invalid(issuer)),
    }
}

fn check_time(claims: &Claims, now: SystemTime) -> Result<(), EntraError> {
    let expires = claims
        .expires_at()
        .ok_or_else(EntraError::malformed_assertion)?;
    let not_before = claims.not_before();
    let expired = expires + CLOCK_SKEW < now;
    let early = not_before.is_some_and(|not_before| not_before > now + CLOCK_SKEW);
    match expired || early {
        true => Err(EntraError::outside_time_range(now, not_before, expires)),
        false => Ok(()),
    }
}

/// An app-only access token for `resource`, like the v1 tokens Resource Manager receives.
pub fn mint(shared: &Shared, principal: &Principal, resource: &str) -> Result<Value, EntraError> {
    let now = shared
        .clock
        .system_now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let issuer = token_issuer(&shared.tenant_id);
    let mut claims = json!({
        "aud": resource,
        "iss": issuer,
        "iat": now,
        "nbf": now,
        "exp": now + LIFETIME_SECONDS,
        "appid": principal.client_id,
        "appidacr": "1",
        "idp": issuer,
        "idtyp": "app",
        "oid": principal.object_id,
        "sub": principal.object_id,
        "tid": shared.tenant_id,
        "uti": URL_SAFE_NO_PAD.encode(randomness::random_bytes::<16>()),
        "ver": "1.0",
    });
    if let Some(resource_id) = &principal.resource_id {
        // Managed identities sign in with a credential (appidacr 2) and carry their resource id.
        claims["appidacr"] = json!("2");
        claims["xms_mirid"] = json!(resource_id);
    }
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

/// The `iss` of the tenant's v1 access tokens.
pub fn token_issuer(tenant_id: &str) -> String {
    format!("https://sts.windows.net/{tenant_id}/")
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

    #[test]
    fn the_discovery_url_drops_one_terminating_slash() {
        assert_eq!(
            discovery_url("https://a.example/c/"),
            "https://a.example/c/.well-known/openid-configuration"
        );
        assert_eq!(
            discovery_url("https://a.example/c"),
            "https://a.example/c/.well-known/openid-configuration"
        );
    }
}
