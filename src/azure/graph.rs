//! Microsoft Graph v1.0 REST calls (app registrations, service principals, their federated
//! credentials): a bearer token for the cloud's Graph root, kwif's transport and retries, Graph's
//! error bodies read. The token is sent to Graph's origin only, never to a `nextLink` elsewhere.

use std::sync::Arc;

use serde_json::Value;
use url::Url;

use crate::azure::cloud::AzureCloud;
use crate::azure::credential::AzureCredential;
use crate::azure::error::AzureError;
use crate::azure::transport::RetryingTransport;

/// The Graph version kwif speaks (azure.md §10.3).
pub const GRAPH_VERSION: &str = "v1.0";

/// What the operations of this module call Graph in their errors.
const SERVICE: &str = "Microsoft Graph";

/// Lists longer than this many pages are not lists kwif makes; stop following `@odata.nextLink`.
const MAX_PAGES: usize = 20;

/// Everything a Graph call needs. Cheap to clone.
#[derive(Clone, Debug)]
pub struct GraphClient {
    /// `https://graph.microsoft.com/`, always with a trailing `/`.
    root: Url,
    scope: String,
    credential: AzureCredential,
    transport: Arc<RetryingTransport>,
}

impl GraphClient {
    /// A client for `cloud`'s Graph, or `None` when the cloud names no Graph root.
    pub fn new(
        cloud: &AzureCloud,
        credential: AzureCredential,
        transport: Arc<RetryingTransport>,
    ) -> Option<GraphClient> {
        let mut root = cloud.graph()?.clone();
        if !root.path().ends_with('/') {
            let path = format!("{}/", root.path());
            root.set_path(&path);
        }
        Some(GraphClient {
            scope: cloud.graph_scope()?,
            root,
            credential,
            transport,
        })
    }

    /// Graph's root, as the profile names it.
    pub fn root(&self) -> &Url {
        &self.root
    }

    /// `{root}v1.0/{path}`, with `$filter` (and other query options) encoded as Graph reads them.
    pub fn url(&self, path: &str, query: &[(&str, &str)]) -> Url {
        let mut url = self.root.clone();
        let full = format!(
            "{}{GRAPH_VERSION}/{}",
            self.root.path(),
            path.trim_start_matches('/')
        );
        url.set_path(&full);
        let query: Vec<String> = query
            .iter()
            .map(|(name, value)| format!("{name}={}", encode_query_value(value)))
            .collect();
        url.set_query((!query.is_empty()).then(|| query.join("&")).as_deref());
        url
    }

    /// GET one object; `None` for 404.
    pub async fn get(&self, operation: &str, path: &str) -> Result<Option<Value>, AzureError> {
        match self
            .send(operation, reqwest::Method::GET, self.url(path, &[]), None)
            .await
        {
            Ok(body) => Ok(Some(body)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// GET a collection, `$filter` applied, following `@odata.nextLink` on Graph's origin.
    pub async fn list(
        &self,
        operation: &str,
        path: &str,
        filter: Option<&str>,
    ) -> Result<Vec<Value>, AzureError> {
        let query: Vec<(&str, &str)> = filter
            .map(|filter| ("$filter", filter))
            .into_iter()
            .collect();
        let mut url = self.url(path, &query);
        let mut items = Vec::new();
        for _ in 0..MAX_PAGES {
            let body = self
                .send(operation, reqwest::Method::GET, url.clone(), None)
                .await?;
            items.extend(body["value"].as_array().cloned().unwrap_or_default());
            match body["@odata.nextLink"]
                .as_str()
                .and_then(|next| self.same_origin(next))
            {
                Some(next) => url = next,
                None => break,
            }
        }
        Ok(items)
    }

    /// POST a JSON body; the created object.
    pub async fn post(
        &self,
        operation: &str,
        path: &str,
        body: &Value,
    ) -> Result<Value, AzureError> {
        self.send(
            operation,
            reqwest::Method::POST,
            self.url(path, &[]),
            Some(body),
        )
        .await
    }

    /// PATCH the properties `body` names (Graph answers 204 No Content).
    pub async fn patch(&self, operation: &str, path: &str, body: &Value) -> Result<(), AzureError> {
        self.send(
            operation,
            reqwest::Method::PATCH,
            self.url(path, &[]),
            Some(body),
        )
        .await
        .map(drop)
    }

    /// DELETE; an object already gone (404) is fine.
    pub async fn delete(&self, operation: &str, path: &str) -> Result<(), AzureError> {
        match self
            .send(
                operation,
                reqwest::Method::DELETE,
                self.url(path, &[]),
                None,
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(error) if error.is_not_found() => Ok(()),
            Err(error) => Err(error),
        }
    }

    fn same_origin(&self, next: &str) -> Option<Url> {
        let next = Url::parse(next).ok()?;
        (next.origin() == self.root.origin()).then_some(next)
    }

    async fn send(
        &self,
        operation: &str,
        method: reqwest::Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<Value, AzureError> {
        let mut refreshed = false;
        loop {
            let token = self.credential.token(&self.scope).await?;
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
            let response = self
                .transport
                .execute(request)
                .await
                .map_err(|error| AzureError::unreachable(operation, SERVICE, error))?;
            let declined_wait = self.transport.retry().declined_wait(response.headers());
            let status = response.status().as_u16();
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
                let error = AzureError::from_answer(operation, status, None, &bytes);
                return Err(match declined_wait {
                    Some(note) => error.with_note(&note),
                    None => error,
                });
            }
            if bytes.is_empty() {
                return Ok(Value::Null);
            }
            return serde_json::from_slice(&bytes).map_err(|error| {
                unexpected(operation, format!("the answer is not JSON: {error}"))
            });
        }
    }
}

/// A string literal of an OData `$filter`: single-quoted, a quote inside doubled.
pub fn odata_string(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A query value percent-encoded for Graph: spaces as `%20` (OData does not read `+` as a
/// space); the url crate encodes the quotes of string literals as `%27` on its own.
fn encode_query_value(value: &str) -> String {
    let mut encoded = String::new();
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => encoded.push(char::from(byte)),
            b'-' | b'.' | b'_' | b'~' | b'\'' | b'(' | b')' | b',' | b':' | b'/' => {
                encoded.push(char::from(byte));
            }
            other => encoded.push_str(&format!("%{other:02X}")),
        }
    }
    encoded
}

fn unexpected(operation: &str, message: String) -> AzureError {
    AzureError::Unexpected {
        operation: operation.to_string(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::retry::RetryPolicy;
    use crate::network::HttpClient;

    fn client(root: &str) -> GraphClient {
        let cloud = AzureCloud::custom(
            Url::parse("https://arm.test/").unwrap(),
            Url::parse("https://login.test/").unwrap(),
        )
        .with_graph(Url::parse(root).unwrap());
        let transport = Arc::new(RetryingTransport::new(
            HttpClient::builder().build().unwrap(),
            RetryPolicy::none(),
        ));
        GraphClient::new(
            &cloud,
            AzureCredential::fixed_token("test", "token"),
            transport,
        )
        .unwrap()
    }

    #[test]
    fn urls_sit_below_the_root_and_filters_keep_their_quotes() {
        let graph = client("https://graph.microsoft.com/");
        assert_eq!(
            graph
                .url(
                    "applications",
                    &[(
                        "$filter",
                        &format!("displayName eq {}", odata_string("id-web"))
                    )]
                )
                .as_str(),
            "https://graph.microsoft.com/v1.0/applications?$filter=displayName%20eq%20%27id-web%27"
        );
        let sandbox = client("https://127.0.0.1:8443/graph");
        assert_eq!(
            sandbox
                .url("applications(appId='a')/federatedIdentityCredentials", &[])
                .as_str(),
            "https://127.0.0.1:8443/graph/v1.0/applications(appId='a')/federatedIdentityCredentials"
        );
        assert_eq!(odata_string("it's"), "'it''s'");
    }
}
