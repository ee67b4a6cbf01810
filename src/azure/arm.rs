//! Direct Resource Manager REST calls (role definitions and assignments, Cosmos DB SQL role
//! assignments): bearer token from the credential, kwif's transport and retries, ARM errors read.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use url::Url;

use crate::azure::cloud::AzureCloud;
use crate::azure::credential::AzureCredential;
use crate::azure::error::AzureError;
use crate::azure::transport::RetryingTransport;

/// Lists longer than this many pages are not lists kwif makes; stop following `nextLink`.
const MAX_PAGES: usize = 50;

/// How long to poll a long-running operation (202 Accepted) before giving up for this run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PollPolicy {
    pub interval: Duration,
    pub timeout: Duration,
}

impl Default for PollPolicy {
    fn default() -> PollPolicy {
        PollPolicy {
            interval: Duration::from_secs(2),
            timeout: Duration::from_secs(300),
        }
    }
}

impl PollPolicy {
    pub fn fast() -> PollPolicy {
        PollPolicy {
            interval: Duration::from_millis(50),
            timeout: Duration::from_secs(30),
        }
    }
}

/// An answer Resource Manager gave with a success status. Its `Debug` leaves the body out: some
/// bodies are secrets (`listKeys`).
#[derive(Clone)]
pub struct ArmAnswer {
    pub status: u16,
    /// The JSON body; `Null` when empty (202 Accepted).
    pub body: Value,
    /// `Retry-After`, for polling a long-running operation.
    pub retry_after: Option<Duration>,
    /// `Azure-AsyncOperation`: where a long-running operation's status is polled.
    pub async_operation: Option<String>,
    /// `Location`: where a long-running operation's result is polled (202 until done).
    pub location: Option<String>,
}

impl fmt::Debug for ArmAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArmAnswer")
            .field("status", &self.status)
            .field("retry_after", &self.retry_after)
            .field("async_operation", &self.async_operation)
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

/// Everything a Resource Manager call needs. Cheap to clone.
#[derive(Clone, Debug)]
pub struct ArmClient {
    cloud: AzureCloud,
    credential: AzureCredential,
    transport: Arc<RetryingTransport>,
}

impl ArmClient {
    pub fn new(
        cloud: AzureCloud,
        credential: AzureCredential,
        transport: Arc<RetryingTransport>,
    ) -> ArmClient {
        ArmClient {
            cloud,
            credential,
            transport,
        }
    }

    pub fn cloud(&self) -> &AzureCloud {
        &self.cloud
    }

    pub fn credential(&self) -> &AzureCredential {
        &self.credential
    }

    pub fn transport(&self) -> &Arc<RetryingTransport> {
        &self.transport
    }

    /// GET; `None` for 404.
    pub async fn get(
        &self,
        operation: &str,
        path: &str,
        api_version: &str,
    ) -> Result<Option<Value>, AzureError> {
        match self
            .send(
                operation,
                reqwest::Method::GET,
                self.cloud.resource_url(path, api_version),
                None,
            )
            .await
        {
            Ok(answer) => Ok(Some(answer.body)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// GET of a list, following `nextLink` on the same host; the items of every page.
    pub async fn list(
        &self,
        operation: &str,
        path: &str,
        api_version: &str,
        filter: Option<&str>,
    ) -> Result<Vec<Value>, AzureError> {
        let mut url = self.cloud.resource_url(path, api_version);
        if let Some(filter) = filter {
            url.query_pairs_mut().append_pair("$filter", filter);
        }
        let mut items = Vec::new();
        for _ in 0..MAX_PAGES {
            let answer = self
                .send(operation, reqwest::Method::GET, url.clone(), None)
                .await?;
            items.extend(answer.body["value"].as_array().cloned().unwrap_or_default());
            match answer.body["nextLink"]
                .as_str()
                .and_then(|next| self.same_origin(next))
            {
                Some(next) => url = next,
                None => break,
            }
        }
        Ok(items)
    }

    /// GET of an absolute URL Resource Manager handed out (an operation status), same origin only.
    pub async fn get_url(&self, operation: &str, url: &str) -> Result<ArmAnswer, AzureError> {
        let url = self.same_origin(url).ok_or_else(|| {
            unexpected(
                operation,
                format!(
                    "Azure pointed at {url}, outside {}",
                    self.cloud.resource_manager()
                ),
            )
        })?;
        self.send(operation, reqwest::Method::GET, url, None).await
    }

    /// PUT a JSON body.
    pub async fn put(
        &self,
        operation: &str,
        path: &str,
        api_version: &str,
        body: &Value,
    ) -> Result<ArmAnswer, AzureError> {
        self.call(
            operation,
            reqwest::Method::PUT,
            path,
            api_version,
            Some(body),
        )
        .await
    }

    /// Any method on a resource path: PATCH (only the properties named change), POST of an
    /// action (`listKeys`, `checkNameAvailability`), with a JSON body when it takes one.
    pub async fn call(
        &self,
        operation: &str,
        method: reqwest::Method,
        path: &str,
        api_version: &str,
        body: Option<&Value>,
    ) -> Result<ArmAnswer, AzureError> {
        self.send(
            operation,
            method,
            self.cloud.resource_url(path, api_version),
            body,
        )
        .await
    }

    /// DELETE; an absent resource (204, 404) is fine.
    pub async fn delete(
        &self,
        operation: &str,
        path: &str,
        api_version: &str,
    ) -> Result<(), AzureError> {
        match self
            .send(
                operation,
                reqwest::Method::DELETE,
                self.cloud.resource_url(path, api_version),
                None,
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(error) if error.is_not_found() => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// The bearer token is sent only to the Resource Manager origin, never to a `nextLink` elsewhere.
    fn same_origin(&self, next: &str) -> Option<Url> {
        let next = Url::parse(next).ok()?;
        (next.origin() == self.cloud.resource_manager().origin()).then_some(next)
    }

    async fn send(
        &self,
        operation: &str,
        method: reqwest::Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<ArmAnswer, AzureError> {
        let scope = self.cloud.management_scope();
        let mut refreshed = false;
        loop {
            let token = self.credential.token(&scope).await?;
            let mut request = self
                .transport
                .client()
                .request(method.clone(), url.clone())
                .bearer_auth(token.token.secret());
            if let Some(body) = body {
                request = request
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.to_string());
            }
            let request = request
                .build()
                .map_err(|error| unexpected(operation, error.to_string()))?;
            let started = std::time::Instant::now();
            let response =
                self.transport.execute(request).await.map_err(|error| {
                    AzureError::unreachable(operation, "Resource Manager", error)
                })?;
            let declined_wait = self.transport.retry().declined_wait(response.headers());
            let status = response.status().as_u16();
            let retry_after = crate::azure::retry::retry_after(response.headers());
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|value| value.to_str().ok())
                    .map(str::to_string)
            };
            let header_code = header("x-ms-error-code");
            let async_operation = header("azure-asyncoperation");
            let location = header("location");
            let bytes = response.bytes().await.map_err(|error| {
                let failure = self
                    .transport
                    .client()
                    .failure_of(&error, started.elapsed());
                unexpected(operation, format!("the answer was cut off: {failure}"))
            })?;
            // A 401 with a cached token: the token may have been revoked; fetch a new one once.
            if status == 401 && !refreshed {
                refreshed = true;
                self.credential.clear_cache();
                continue;
            }
            if !(200..300).contains(&status) {
                let error =
                    AzureError::from_answer(operation, status, header_code.as_deref(), &bytes);
                return Err(match declined_wait {
                    Some(note) => error.with_note(&note),
                    None => error,
                });
            }
            let body = if bytes.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&bytes).map_err(|error| {
                    unexpected(operation, format!("the answer is not JSON: {error}"))
                })?
            };
            return Ok(ArmAnswer {
                status,
                body,
                retry_after,
                async_operation,
                location,
            });
        }
    }
}

fn unexpected(operation: &str, message: String) -> AzureError {
    AzureError::Unexpected {
        operation: operation.to_string(),
        message,
    }
}

/// The innermost cause of a transport error: "connection refused", "invalid peer certificate: UnknownIssuer".
pub(crate) fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}
