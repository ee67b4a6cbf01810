//! Fetches public documents over HTTPS the way Entra ID would, through kwif's one HTTPS client
//! (proxy, timeouts, `-v` log), and says precisely why a fetch failed (DNS, connection, timeout,
//! which certificate problem). Redirects are followed here, one hop at a time, so each is
//! reported; a redirect from https to http is never followed. TLS verification is never turned
//! off: extra trust comes only from CA files the user names.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::network::{HttpClient, Timeouts};
pub use crate::network::{TlsProblem, TransportFailure, TrustError};

/// Documents larger than this are not discovery documents or key sets; stop reading.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
/// Browsers and curl stop after about this many redirects; a document further away is lost.
const MAX_REDIRECTS: usize = 10;

/// One redirect on the way to a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    pub from: String,
    pub status: u16,
    pub to: String,
    /// `false`: not followed, because it leaves https.
    pub followed: bool,
}

/// A fetched document, whatever its status.
#[derive(Clone, Debug)]
pub struct Fetched {
    /// The URL that answered, after the redirects followed.
    pub url: String,
    /// Every redirect met, in order; the last one is not followed when it leaves https.
    pub redirects: Vec<Redirect>,
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    /// The body was longer than [`MAX_DOCUMENT_BYTES`] and was cut.
    pub truncated: bool,
}

impl Fetched {
    /// The media type without parameters, lowercased: `application/json; charset=utf-8` → `application/json`.
    pub fn media_type(&self) -> Option<String> {
        let content_type = self.content_type.as_deref()?;
        let media = content_type.split(';').next().unwrap_or_default().trim();
        Some(media.to_ascii_lowercase())
    }

    /// The redirect that would have left https, which was not followed.
    pub fn downgrade(&self) -> Option<&Redirect> {
        self.redirects.iter().find(|redirect| !redirect.followed)
    }

    pub fn status_line(&self) -> String {
        let reason = reqwest::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|status| status.canonical_reason())
            .unwrap_or("");
        format!("{} {reason}", self.status).trim_end().to_string()
    }
}

/// Why a fetch produced no HTTP answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchFailure {
    /// DNS, refused or reset connection, or a timeout.
    Unreachable(TransportFailure),
    Tls(TlsProblem),
    /// Not an http(s) URL or otherwise unusable.
    BadUrl(String),
}

#[derive(Clone)]
pub struct Fetcher {
    client: HttpClient,
}

impl Fetcher {
    /// A fetcher trusting the system's CAs (and `SSL_CERT_FILE`) plus every CA in `extra_ca_files`.
    pub fn new(extra_ca_files: &[PathBuf]) -> Result<Fetcher, TrustError> {
        Fetcher::with_timeouts(extra_ca_files, Timeouts::default())
    }

    /// With `timeout` for connecting and for answering.
    pub fn with_timeout(
        extra_ca_files: &[PathBuf],
        timeout: Duration,
    ) -> Result<Fetcher, TrustError> {
        Fetcher::with_timeouts(extra_ca_files, Timeouts::uniform(timeout))
    }

    pub fn with_timeouts(
        extra_ca_files: &[PathBuf],
        timeouts: Timeouts,
    ) -> Result<Fetcher, TrustError> {
        let client = HttpClient::builder()
            .timeouts(timeouts)
            .trust_files(extra_ca_files, "--ca-file")
            .build()?;
        Ok(Fetcher { client })
    }

    /// GETs `url`, following redirects within https, and reads at most [`MAX_DOCUMENT_BYTES`]
    /// of the body.
    pub async fn get(&self, url: &str) -> Result<Fetched, FetchFailure> {
        let mut current =
            url::Url::parse(url).map_err(|error| FetchFailure::BadUrl(error.to_string()))?;
        let mut redirects = Vec::new();
        loop {
            let started = Instant::now();
            let request = self
                .client
                .request(reqwest::Method::GET, current.clone())
                .build()
                .map_err(|error| FetchFailure::BadUrl(error.to_string()))?;
            let response = self
                .client
                .execute(request)
                .await
                .map_err(|error| classify(error.failure))?;
            let next =
                redirect_target(&current, &response).filter(|_| redirects.len() < MAX_REDIRECTS);
            let Some(next) = next else {
                return self.read(current, redirects, response, started).await;
            };
            // Entra fetches https only; following a redirect to http would judge a document
            // that traveled unprotected, so kwif stops there and says so.
            let followed = !(current.scheme() == "https" && next.scheme() != "https");
            redirects.push(Redirect {
                from: current.to_string(),
                status: response.status().as_u16(),
                to: next.to_string(),
                followed,
            });
            if !followed {
                return self.read(current, redirects, response, started).await;
            }
            current = next;
        }
    }

    async fn read(
        &self,
        url: url::Url,
        redirects: Vec<Redirect>,
        mut response: reqwest::Response,
        started: Instant,
    ) -> Result<Fetched, FetchFailure> {
        let mut fetched = Fetched {
            url: url.to_string(),
            redirects,
            status: response.status().as_u16(),
            content_type: response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .map(str::to_string),
            body: Vec::new(),
            truncated: false,
        };
        let cut_off =
            |error: reqwest::Error| classify(self.client.failure_of(&error, started.elapsed()));
        while let Some(chunk) = response.chunk().await.map_err(cut_off)? {
            let room = MAX_DOCUMENT_BYTES - fetched.body.len();
            if chunk.len() > room {
                fetched.body.extend_from_slice(&chunk[..room]);
                fetched.truncated = true;
                break;
            }
            fetched.body.extend_from_slice(&chunk);
        }
        Ok(fetched)
    }
}

/// Where a 3xx answer points, resolved against the URL that gave it.
fn redirect_target(current: &url::Url, response: &reqwest::Response) -> Option<url::Url> {
    if !response.status().is_redirection() {
        return None;
    }
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)?
        .to_str()
        .ok()?;
    current.join(location).ok()
}

/// A certificate problem, or why the host could not be reached.
fn classify(failure: TransportFailure) -> FetchFailure {
    match failure {
        TransportFailure::Tls(problem) => FetchFailure::Tls(problem),
        other => FetchFailure::Unreachable(other),
    }
}
