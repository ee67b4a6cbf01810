//! One HTTP transport for both Azure SDK generations: azure_core 0.21 (azure_mgmt_msi) and
//! azure_core 1.x (azure_identity) both send through kwif's trusting reqwest client, with
//! kwif's bounded retries. The SDK pipelines' own retries are switched off so nothing doubles.

use std::sync::Arc;

use crate::azure::retry::RetryPolicy;

/// The trusting client plus the retry policy, as an `HttpClient` of either SDK generation.
#[derive(Clone, Debug)]
pub struct RetryingTransport {
    client: reqwest::Client,
    retry: RetryPolicy,
}

/// What came back, read whole: Resource Manager and Entra answers are small JSON documents.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RetryingTransport {
    pub fn new(client: reqwest::Client, retry: RetryPolicy) -> RetryingTransport {
        RetryingTransport { client, retry }
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
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
    ) -> Result<Answer, (bool, reqwest::Error)> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut builder = self.client.request(method, url);
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = body {
            builder = builder.body(body);
        }
        let request = builder.build().map_err(|error| (false, error))?;
        let response = self
            .retry
            .send(&self.client, request)
            .await
            .map_err(|error| (error.is_connect(), error))?;
        let status = response.status().as_u16();
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
            .map_err(|error| (false, error))?
            .to_vec();
        Ok(Answer {
            status,
            headers,
            body,
        })
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
            .map_err(|(_, error)| {
                Error::full(ErrorKind::Io, error, "the request did not reach Azure")
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
            .map_err(|(connect, error)| {
                let kind = if connect {
                    ErrorKind::Connection
                } else {
                    ErrorKind::Io
                };
                Error::with_error(kind, error, "the request did not reach Entra ID")
            })?;
        let mut headers = azure_core::http::headers::Headers::new();
        for (name, value) in answer.headers {
            headers.insert(name, value);
        }
        Ok(azure_core::http::AsyncRawResponse::from_bytes(
            answer.status.into(),
            headers,
            answer.body,
        ))
    }
}
