//! One HTTP transport for every Azure call: kwif's own Resource Manager client, azure_core 0.21
//! (azure_mgmt_msi) and azure_core 1.x (azure_identity) all send through kwif's HTTPS client,
//! with kwif's bounded retries, a fresh `x-ms-client-request-id` and kwif's `User-Agent` on
//! every request. The SDK pipelines' own retries are switched off so nothing doubles.

use std::sync::Arc;

use crate::azure::retry::RetryPolicy;
use crate::network::{CLIENT_REQUEST_ID, HttpClient, NetworkError, TransportFailure, USER_AGENT};

/// The trusting client plus the retry policy, as an `HttpClient` of either SDK generation.
#[derive(Clone, Debug)]
pub struct RetryingTransport {
    client: HttpClient,
    retry: RetryPolicy,
}

/// What came back, read whole: Resource Manager and Entra answers are small JSON documents.
struct Answer {
    target: String,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Set when kwif did not wait as long as the server asked before trying again.
    declined_wait: Option<String>,
}

/// An answer that is neither a success nor a refusal to reason about: throttling (429) or a
/// failure on the server's side (5xx), after kwif's retries. The SDK would try to read it as
/// a token answer and say "EOF while parsing"; this says the status and the wait it asked for.
#[derive(Debug, thiserror::Error)]
#[error("{status} {reason} from {target}{}", .declined_wait.as_deref().map(|note| format!("; {note}")).unwrap_or_default())]
pub struct UnavailableAnswer {
    pub target: String,
    pub status: u16,
    pub reason: String,
    pub declined_wait: Option<String>,
}

impl RetryingTransport {
    pub fn new(client: HttpClient, retry: RetryPolicy) -> RetryingTransport {
        RetryingTransport { client, retry }
    }

    pub fn client(&self) -> &HttpClient {
        &self.client
    }

    /// Sends one Azure request with kwif's retries, after stamping what makes it traceable:
    /// `x-ms-client-request-id` (a fresh GUID, unless the SDK set one; the same for every retry
    /// of this request) and `User-Agent: kwif/0.1.0`, followed by the SDK's own when it set one.
    pub async fn execute(
        &self,
        mut request: reqwest::Request,
    ) -> Result<reqwest::Response, NetworkError> {
        stamp(request.headers_mut());
        self.retry.send(&self.client, request).await
    }

    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// Options for azure_identity 1.x credentials: this transport, no SDK retries, the cloud.
    pub fn client_options(
        self: &Arc<Self>,
        cloud: azure_core::cloud::CloudConfiguration,
    ) -> azure_core::http::ClientOptions {
        azure_core::http::ClientOptions {
            transport: Some(azure_core::http::Transport::new(self.clone())),
            retry: azure_core::http::RetryOptions::none(),
            cloud: Some(Arc::new(cloud)),
            ..Default::default()
        }
    }

    async fn send(
        &self,
        method: &str,
        url: url::Url,
        headers: Vec<(String, String)>,
        body: Option<Vec<u8>>,
    ) -> Result<Answer, NetworkError> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut builder = self.client.request(method, url.clone());
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = body {
            builder = builder.body(body);
        }
        let request = builder
            .build()
            .map_err(|error| NetworkError::new(&url, TransportFailure::Other(error.to_string())))?;
        let started = std::time::Instant::now();
        let response = self.execute(request).await?;
        let status = response.status().as_u16();
        let declined_wait = self.retry.declined_wait(response.headers());
        let headers = response
            .headers()
            .iter()
            .filter_map(|(name, value)| {
                Some((name.as_str().to_string(), value.to_str().ok()?.to_string()))
            })
            .collect();
        let body = response
            .bytes()
            .await
            .map_err(|error| {
                NetworkError::new(&url, self.client.failure_of(&error, started.elapsed()))
            })?
            .to_vec();
        Ok(Answer {
            target: crate::network::origin(&url),
            status,
            headers,
            body,
            declined_wait,
        })
    }
}

/// A 429 or 5xx answer this transport handed an SDK as an error, anywhere in an error chain.
pub fn unavailable_answer<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a UnavailableAnswer> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = current {
        if let Some(found) = cause.downcast_ref::<UnavailableAnswer>() {
            return Some(found);
        }
        current = cause.source();
    }
    None
}

/// Adds the request id and kwif's `User-Agent` (keeping an SDK's after it).
fn stamp(headers: &mut reqwest::header::HeaderMap) {
    use reqwest::header::{HeaderValue, USER_AGENT as USER_AGENT_HEADER};
    if !headers.contains_key(CLIENT_REQUEST_ID)
        && let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
    {
        headers.insert(CLIENT_REQUEST_ID, id);
    }
    let agent = match headers
        .get(USER_AGENT_HEADER)
        .and_then(|value| value.to_str().ok())
    {
        Some(sdk) if !sdk.starts_with(USER_AGENT) => format!("{USER_AGENT} {sdk}"),
        _ => USER_AGENT.to_string(),
    };
    if let Ok(agent) = HeaderValue::from_str(&agent) {
        headers.insert(USER_AGENT_HEADER, agent);
    }
}

#[async_trait::async_trait]
impl azure_core_old::HttpClient for RetryingTransport {
    async fn execute_request(
        &self,
        request: &azure_core_old::Request,
    ) -> azure_core_old::Result<azure_core_old::Response> {
        use azure_core_old::error::{Error, ErrorKind};
        let body = match request.body() {
            azure_core_old::Body::Bytes(bytes) => Some(bytes.to_vec()),
            azure_core_old::Body::SeekableStream(_) => {
                return Err(Error::message(
                    ErrorKind::Other,
                    "kwif's transport sends byte bodies only",
                ));
            }
        };
        let headers = request
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str().to_string(), value.as_str().to_string()))
            .collect();
        let answer = self
            .send(
                request.method().as_ref(),
                request.url().clone(),
                headers,
                body,
            )
            .await
            .map_err(|error| {
                let message = error.to_string();
                Error::full(ErrorKind::Io, error, message)
            })?;
        let status = azure_core_old::StatusCode::try_from(answer.status).map_err(|_| {
            Error::message(
                ErrorKind::DataConversion,
                format!("invalid status code {}", answer.status),
            )
        })?;
        let mut headers = azure_core_old::headers::Headers::new();
        for (name, value) in answer.headers {
            headers.insert(name, value);
        }
        let chunk: azure_core_old::Result<_> = Ok(answer.body.into());
        Ok(azure_core_old::Response::new(
            status,
            headers,
            Box::pin(futures::stream::iter([chunk])),
        ))
    }
}

#[async_trait::async_trait]
impl azure_core::http::HttpClient for RetryingTransport {
    async fn execute_request(
        &self,
        request: &azure_core::http::Request,
    ) -> azure_core::Result<azure_core::http::AsyncRawResponse> {
        use azure_core::error::{Error, ErrorKind};
        let body = match request.body() {
            azure_core::http::Body::Bytes(bytes) => Some(bytes.to_vec()),
            _ => {
                return Err(Error::with_message(
                    ErrorKind::Other,
                    "kwif's transport sends byte bodies only",
                ));
            }
        };
        let headers = request
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str().to_string(), value.as_str().to_string()))
            .collect();
        let answer = self
            .send(
                request.method().as_str(),
                request.url().clone(),
                headers,
                body,
            )
            .await
            .map_err(|error| {
                let kind = match error.failure {
                    TransportFailure::Refused
                    | TransportFailure::NameNotResolved
                    | TransportFailure::Tls(_) => ErrorKind::Connection,
                    _ => ErrorKind::Io,
                };
                let message = error.to_string();
                Error::with_error(kind, error, message)
            })?;
        let mut headers = azure_core::http::headers::Headers::new();
        for (name, value) in answer.headers {
            headers.insert(name, value);
        }
        if answer.status == 429 || answer.status >= 500 {
            let unavailable = UnavailableAnswer {
                target: answer.target,
                status: answer.status,
                reason: reqwest::StatusCode::from_u16(answer.status)
                    .ok()
                    .and_then(|status| status.canonical_reason())
                    .unwrap_or_default()
                    .to_string(),
                declined_wait: answer.declined_wait,
            };
            let raw = azure_core::http::RawResponse::from_bytes(
                answer.status.into(),
                headers,
                answer.body,
            );
            let kind = ErrorKind::HttpResponse {
                status: answer.status.into(),
                error_code: None,
                raw_response: Some(Box::new(raw)),
            };
            let message = unavailable.to_string();
            return Err(Error::with_error(kind, unavailable, message));
        }
        Ok(azure_core::http::AsyncRawResponse::from_bytes(
            answer.status.into(),
            headers,
            answer.body,
        ))
    }
}
