//! The Entra ID token exchange a federated workload makes: client credentials with the
//! projected service-account token as the client assertion, through azure_identity 1.x's
//! `ClientAssertionCredential` (the same code path as the workload's SDK, azure.md §7).

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::ClientMethodOptions;
use uuid::Uuid;

use crate::azure::aadsts::{self, Explanation};
use crate::azure::cloud::AzureCloud;
use crate::azure::transport::RetryingTransport;
use crate::oidc::jwt::Jwt;

/// Exchanges assertions at one authority host (the cloud's, or a custom one).
#[derive(Clone, Debug)]
pub struct TokenExchange {
    cloud: AzureCloud,
    transport: Arc<RetryingTransport>,
}

/// What the access token says about the identity, read from its claims (never printed whole).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccessTokenClaims {
    pub audience: Option<String>,
    /// `oid`: the service principal the token is for.
    pub object_id: Option<String>,
    /// `appid` / `azp`: the client id.
    pub app_id: Option<String>,
    pub tenant_id: Option<String>,
    pub roles: Vec<String>,
}

/// A token Entra ID issued. The token itself is reachable only through [`access_token`](Self::access_token).
#[derive(Clone)]
pub struct ExchangedToken {
    token: Secret,
    pub expires_on: SystemTime,
    pub claims: AccessTokenClaims,
}

impl ExchangedToken {
    /// For calling the target resource; never log it.
    pub fn access_token(&self) -> &Secret {
        &self.token
    }
}

impl fmt::Debug for ExchangedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExchangedToken")
            .field(
                "expires_on",
                &humantime::format_rfc3339_seconds(self.expires_on),
            )
            .field("claims", &self.claims)
            .finish_non_exhaustive()
    }
}

/// Why the exchange gave no token.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExchangeError {
    /// Entra ID answered with an error: its `error`, `error_codes` and description.
    #[error("Entra ID refused the exchange ({status} {error}): {description}")]
    Refused {
        status: u16,
        error: String,
        codes: Vec<u32>,
        description: String,
    },
    /// The token endpoint gave no answer; the fix fits the cause (refused, certificate, timeout).
    #[error("the Entra token endpoint {endpoint} did not answer: {message}")]
    Unreachable {
        endpoint: String,
        message: String,
        fix: String,
    },
    /// The request could not be made (bad tenant, authority host not https, …).
    #[error("the token exchange could not be made: {message}")]
    Setup { message: String },
}

impl ExchangeError {
    /// The AADSTS codes of a refusal.
    pub fn codes(&self) -> &[u32] {
        match self {
            ExchangeError::Refused { codes, .. } => codes,
            _ => &[],
        }
    }

    /// The catalogue's explanation of the first code it knows.
    pub fn explanation(&self) -> Option<&'static Explanation> {
        self.codes().iter().find_map(|code| aadsts::explain(*code))
    }
}

/// The projected service-account token handed to azure_identity; `Debug` hides it.
struct Assertion(Secret);

impl fmt::Debug for Assertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Assertion")
    }
}

#[async_trait::async_trait]
impl azure_identity::ClientAssertion for Assertion {
    async fn secret(
        &self,
        _options: Option<ClientMethodOptions<'_>>,
    ) -> azure_core::Result<String> {
        Ok(self.0.secret().to_string())
    }
}

impl TokenExchange {
    pub fn new(cloud: AzureCloud, transport: Arc<RetryingTransport>) -> TokenExchange {
        TokenExchange { cloud, transport }
    }

    pub fn authority_host(&self) -> &url::Url {
        self.cloud.authority_host()
    }

    /// The token endpoint of `tenant`, as shown in messages.
    pub fn endpoint(&self, tenant: Uuid) -> String {
        format!(
            "{}/{tenant}/oauth2/v2.0/token",
            self.authority_host().as_str().trim_end_matches('/')
        )
    }

    /// Exchanges `assertion` (a service-account token with audience `api://AzureADTokenExchange`)
    /// for an access token of `client_id` in `tenant`, for `scope` (`…/.default`).
    pub async fn exchange(
        &self,
        tenant: Uuid,
        client_id: Uuid,
        assertion: &str,
        scope: &str,
    ) -> Result<ExchangedToken, ExchangeError> {
        let recorder = Arc::new(ErrorRecorder {
            inner: self.transport.clone(),
            answer: Mutex::new(None),
        });
        let options = azure_identity::ClientAssertionCredentialOptions {
            client_options: azure_core::http::ClientOptions {
                transport: Some(azure_core::http::Transport::new(recorder.clone())),
                retry: azure_core::http::RetryOptions::none(),
                cloud: Some(Arc::new(self.cloud.configuration())),
                ..Default::default()
            },
        };
        let credential = azure_identity::ClientAssertionCredential::new(
            tenant.to_string(),
            client_id.to_string(),
            Assertion(Secret::new(assertion.to_string())),
            Some(options),
        )
        .map_err(|error| ExchangeError::Setup {
            message: scrub(&error.to_string(), assertion),
        })?;
        match credential.get_token(&[scope], None).await {
            Ok(token) => Ok(ExchangedToken {
                claims: claims_of(token.token.secret()),
                expires_on: SystemTime::from(token.expires_on),
                token: token.token,
            }),
            Err(error) => {
                // azure_identity 1.0 cannot parse an Entra error whose description has escapes
                // (every real one: "\r\nTrace ID: …"), so the answer is read from the recording.
                let recorded = recorder
                    .answer
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                match recorded {
                    Some((status, body)) => {
                        let body = serde_json::from_slice(&body).unwrap_or_default();
                        Err(refusal(status, None, &body, assertion))
                    }
                    None => Err(self.classify(tenant, &error, assertion)),
                }
            }
        }
    }

    fn classify(&self, tenant: Uuid, error: &azure_core::Error, assertion: &str) -> ExchangeError {
        if let Some(network) = crate::network::find_network_error(error) {
            return ExchangeError::Unreachable {
                endpoint: self.endpoint(tenant),
                message: network.failure.to_string(),
                fix: crate::azure::error::unreachable_fix(network, "Entra ID"),
            };
        }
        if let Some(answer) = crate::azure::transport::unavailable_answer(error)
            && !has_entra_error_body(error)
        {
            return ExchangeError::Unreachable {
                endpoint: self.endpoint(tenant),
                message: format!("it answered {answer}"),
                fix: "Entra ID failed on its side or is throttling: rerun in a few minutes".into(),
            };
        }
        for cause in causes(error) {
            match cause.kind() {
                azure_core::error::ErrorKind::HttpResponse {
                    status,
                    error_code,
                    raw_response,
                } => {
                    let body: serde_json::Value = raw_response
                        .as_ref()
                        .and_then(|raw| serde_json::from_slice(raw.body().as_ref()).ok())
                        .unwrap_or_default();
                    return refusal(u16::from(*status), error_code.as_deref(), &body, assertion);
                }
                azure_core::error::ErrorKind::Connection | azure_core::error::ErrorKind::Io => {
                    return ExchangeError::Unreachable {
                        endpoint: self.endpoint(tenant),
                        message: scrub(&crate::azure::arm::innermost(cause), assertion),
                        fix: "check the network path to the authority host; a private CA goes into SSL_CERT_FILE"
                            .to_string(),
                    };
                }
                _ => {}
            }
        }
        ExchangeError::Setup {
            message: scrub(&error.to_string(), assertion),
        }
    }
}

/// Passes requests to kwif's transport and keeps the last error answer of the token endpoint.
#[derive(Debug)]
struct ErrorRecorder {
    inner: Arc<RetryingTransport>,
    answer: Mutex<Option<(u16, Vec<u8>)>>,
}

#[async_trait::async_trait]
impl azure_core::http::HttpClient for ErrorRecorder {
    async fn execute_request(
        &self,
        request: &azure_core::http::Request,
    ) -> azure_core::Result<azure_core::http::AsyncRawResponse> {
        let response = self.inner.execute_request(request).await?;
        let status = u16::from(response.status());
        if (200..300).contains(&status) {
            return Ok(response);
        }
        let (status_code, headers, body) = response.deconstruct();
        let bytes = body.collect().await?;
        *self.answer.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((status, bytes.to_vec()));
        Ok(azure_core::http::AsyncRawResponse::from_bytes(
            status_code,
            headers,
            bytes,
        ))
    }
}

/// The error and every azure_core error it wraps, outermost first.
fn causes(error: &azure_core::Error) -> Vec<&azure_core::Error> {
    let mut found = vec![error];
    let mut current: &(dyn std::error::Error + 'static) = error;
    while let Some(source) = current.source() {
        if let Some(inner) = source.downcast_ref::<azure_core::Error>() {
            found.push(inner);
        }
        current = source;
    }
    found
}

/// Whether an error answer carries Entra's own error body (`error`, `error_codes`), which says
/// more than its status.
fn has_entra_error_body(error: &azure_core::Error) -> bool {
    causes(error).into_iter().any(|cause| match cause.kind() {
        azure_core::error::ErrorKind::HttpResponse {
            raw_response: Some(raw),
            ..
        } => serde_json::from_slice::<serde_json::Value>(raw.body().as_ref())
            .is_ok_and(|body| body.get("error").is_some()),
        _ => false,
    })
}

/// A refusal from Entra's error body (azure.md §7): `error`, `error_codes`, `error_description`
/// cut before its trace ids.
fn refusal(
    status: u16,
    error_code: Option<&str>,
    body: &serde_json::Value,
    assertion: &str,
) -> ExchangeError {
    let description = body["error_description"].as_str().unwrap_or_default();
    let description = description.split("\r\n").next().unwrap_or_default();
    let description = description
        .split(" Trace ID:")
        .next()
        .unwrap_or_default()
        .trim();
    let mut codes: Vec<u32> = body["error_codes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(serde_json::Value::as_u64)
        .filter_map(|code| u32::try_from(code).ok())
        .collect();
    if codes.is_empty() {
        codes = error_code
            .into_iter()
            .flat_map(|codes| codes.split(','))
            .filter_map(|code| code.trim().parse().ok())
            .collect();
    }
    if codes.is_empty() {
        codes = aadsts::codes_in(description);
    }
    ExchangeError::Refused {
        status,
        error: body["error"]
            .as_str()
            .unwrap_or("unknown_error")
            .to_string(),
        codes,
        description: scrub(
            if description.is_empty() {
                "no description"
            } else {
                description
            },
            assertion,
        ),
    }
}

/// Removes the assertion from a message, should a server ever echo it.
fn scrub(message: &str, assertion: &str) -> String {
    if assertion.len() < 16 {
        message.to_string()
    } else {
        message.replace(assertion, "[assertion]")
    }
}

fn claims_of(token: &str) -> AccessTokenClaims {
    let Ok(jwt) = Jwt::parse(token) else {
        return AccessTokenClaims::default();
    };
    let claims = jwt.claims();
    let text = |name: &str| {
        claims
            .get(name)
            .and_then(|value| value.as_str())
            .map(str::to_string)
    };
    AccessTokenClaims {
        audience: jwt.audiences().first().cloned(),
        object_id: text("oid"),
        app_id: text("appid").or_else(|| text("azp")),
        tenant_id: text("tid"),
        roles: claims
            .get("roles")
            .and_then(|roles| roles.as_array())
            .map(|roles| {
                roles
                    .iter()
                    .filter_map(|role| role.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_entra_error_body_becomes_codes_and_a_description_without_trace_ids() {
        let body = json!({
            "error": "invalid_request",
            "error_description": "AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: 'https://a/'.\r\nTrace ID: 1\r\nCorrelation ID: 2",
            "error_codes": [70021],
        });
        let refused = refusal(400, None, &body, "eyJhbGciOiJSUzI1NiJ9.e30.signature-part");
        assert_eq!(refused.codes(), [70021]);
        let ExchangeError::Refused {
            description, error, ..
        } = &refused
        else {
            panic!()
        };
        assert_eq!(error, "invalid_request");
        assert!(
            description.ends_with("Assertion Issuer: 'https://a/'."),
            "{description}"
        );
        assert!(refused.explanation().unwrap().propagation);
    }

    #[test]
    fn an_echoed_assertion_is_scrubbed() {
        let assertion = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
        let body = json!({"error": "invalid_client", "error_description": format!("AADSTS50027: bad {assertion}")});
        let refused = refusal(401, Some("50027"), &body, assertion);
        assert!(!refused.to_string().contains(assertion), "{refused}");
        assert_eq!(refused.codes(), [50027]);
    }
}
