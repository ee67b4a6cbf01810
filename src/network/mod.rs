//! The one HTTPS client every outbound call is made with (the doctor, Entra ID, Resource
//! Manager, the blob data plane, verify): the same trust (system CAs, `SSL_CERT_FILE`, added
//! CAs), the same proxy (`HTTPS_PROXY` / `NO_PROXY`), the same timeouts, the `-v` request log,
//! and failures that say what happened. It never follows a redirect by itself and never turns
//! TLS verification off.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

pub mod failure;
pub(crate) mod request_log;
mod trust;

pub use failure::{
    NetworkError, TlsProblem, TransportFailure, Waiting, find_network_error, origin, seconds,
};
pub use request_log::{record_wait, redacted, set_verbose, verbose};
pub use trust::TrustError;

/// `kwif/0.1.0`: the `User-Agent` of every request (an SDK's own part follows it on Azure calls).
pub const USER_AGENT: &str = concat!("kwif/", env!("CARGO_PKG_VERSION"));
/// The header Azure services echo back and log, so a request can be found on both sides.
pub const CLIENT_REQUEST_ID: &str = "x-ms-client-request-id";

/// How long kwif waits. `--timeout N` (or `KWIF_TIMEOUT`) sets them all from one number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// For the TCP connection and the TLS handshake.
    pub connect: Duration,
    /// For each read of the answer once connected (a server that went silent).
    pub answer: Duration,
    /// For a whole request, answer body included (a server that trickles).
    pub request: Duration,
    /// For a whole step's check or plan, whatever it waits for.
    pub step: Duration,
}

impl Default for Timeouts {
    /// 10 s to connect and to answer: a check of a dead endpoint answers within 30 s.
    fn default() -> Timeouts {
        Timeouts::uniform(Duration::from_secs(10))
    }
}

impl Timeouts {
    /// Every wait from one: `wait` to connect and to answer, three times that for a request
    /// (retries excluded), six times that for a step.
    pub fn uniform(wait: Duration) -> Timeouts {
        Timeouts {
            connect: wait,
            answer: wait,
            request: wait.saturating_mul(3),
            step: wait.saturating_mul(6),
        }
    }

    /// The failure for a timer that fired: the connect timer while connecting, else the read
    /// timer, or the request's when that much time had passed.
    pub fn failure(&self, connecting: bool, elapsed: Option<Duration>) -> TransportFailure {
        let (after, waiting) = if connecting {
            (self.connect, Waiting::Connection)
        } else if elapsed.is_some_and(|elapsed| elapsed + Duration::from_millis(50) >= self.request)
        {
            (self.request, Waiting::Answer)
        } else {
            (self.answer, Waiting::Answer)
        };
        TransportFailure::TimedOut { after, waiting }
    }
}

/// Builds an [`HttpClient`]: the trust to add and the timeouts.
#[derive(Clone, Debug, Default)]
pub struct HttpClientBuilder {
    timeouts: Timeouts,
    /// `(file, how it is named in errors)`.
    ca_files: Vec<(PathBuf, String)>,
    ca_pems: Vec<String>,
}

impl HttpClientBuilder {
    pub fn timeouts(mut self, timeouts: Timeouts) -> HttpClientBuilder {
        self.timeouts = timeouts;
        self
    }

    /// Also trusts the CAs in these PEM files; `label` names them in errors (`--ca-file`).
    pub fn trust_files(mut self, files: &[PathBuf], label: &str) -> HttpClientBuilder {
        self.ca_files
            .extend(files.iter().map(|file| (file.clone(), label.to_string())));
        self
    }

    /// Also trusts these CA certificates (PEM text), e.g. the sandbox's.
    pub fn trust_pems(mut self, pems: &[String]) -> HttpClientBuilder {
        self.ca_pems.extend(pems.iter().cloned());
        self
    }

    pub fn build(self) -> Result<HttpClient, TrustError> {
        let mut roots = trust::Roots::system()?;
        for (file, label) in &self.ca_files {
            roots.add_file(file, label)?;
        }
        for (index, pem) in self.ca_pems.iter().enumerate() {
            roots.add_pem(
                pem.as_bytes(),
                &format!("extra CA certificate {}", index + 1),
            )?;
        }
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(roots.into_tls_config()?)
            .connect_timeout(self.timeouts.connect)
            .read_timeout(self.timeouts.answer)
            .timeout(self.timeouts.request)
            // Resource Manager, Entra and Storage never redirect a client (REST API guidelines);
            // the doctor follows redirects itself, to report each one.
            .redirect(reqwest::redirect::Policy::none())
            // No `.no_proxy()`: HTTPS_PROXY and NO_PROXY are honoured like every other tool does.
            .user_agent(USER_AGENT)
            .build()
            .map_err(|error| TrustError::Tls(error.to_string()))?;
        Ok(HttpClient {
            client,
            timeouts: self.timeouts,
            unanswered: Arc::default(),
        })
    }
}

/// A host that did not answer in time, remembered so that the next requests of the same run
/// fail at once with the same cause instead of waiting again.
type Unanswered = HashMap<String, (Instant, TransportFailure)>;

/// kwif's HTTPS client. Cheap to clone; clones share the connection pool and what they learnt
/// about hosts that do not answer.
#[derive(Clone, Debug)]
pub struct HttpClient {
    client: reqwest::Client,
    timeouts: Timeouts,
    unanswered: Arc<Mutex<Unanswered>>,
}

impl HttpClient {
    pub fn builder() -> HttpClientBuilder {
        HttpClientBuilder::default()
    }

    pub fn timeouts(&self) -> &Timeouts {
        &self.timeouts
    }

    /// A request to build; send it with [`HttpClient::execute`] (or `send`, which does).
    pub fn request(&self, method: reqwest::Method, url: url::Url) -> reqwest::RequestBuilder {
        self.client.request(method, url)
    }

    /// Builds and sends: the request log and failures as [`execute`](Self::execute).
    pub async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, NetworkError> {
        let request = request.build().map_err(|error| NetworkError {
            target: error
                .url()
                .map_or_else(|| "the request".into(), failure::origin),
            failure: TransportFailure::Other(error.to_string()),
        })?;
        self.execute(request).await
    }

    /// Sends one request: logged with `-v`, and a failure read into what happened. A host that
    /// timed out within the last [`Timeouts::request`] is not asked again.
    pub async fn execute(
        &self,
        request: reqwest::Request,
    ) -> Result<reqwest::Response, NetworkError> {
        let method = request.method().clone();
        let url = request.url().clone();
        let sent_id = request
            .headers()
            .get(CLIENT_REQUEST_ID)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string);
        let target = failure::origin(&url);
        let started = Instant::now();
        if let Some(failure) = self.recently_unanswered(&target) {
            let reason = format!("{failure} (earlier in this run)");
            let outcome = request_log::Outcome::NotSent { reason: &reason };
            request_log::record(
                &method,
                &url,
                outcome,
                sent_id.as_deref(),
                started.elapsed(),
            );
            return Err(NetworkError::new(&url, failure));
        }
        match self.client.execute(request).await {
            Ok(response) => {
                let id = sent_id.or_else(|| {
                    ["x-ms-request-id", "x-request-id"].iter().find_map(|name| {
                        response
                            .headers()
                            .get(*name)
                            .and_then(|value| value.to_str().ok())
                            .map(str::to_string)
                    })
                });
                let outcome = request_log::Outcome::Answered {
                    status: response.status(),
                };
                request_log::record(&method, &url, outcome, id.as_deref(), started.elapsed());
                Ok(response)
            }
            Err(error) => {
                let failure = self.failure_of(&error, started.elapsed());
                if failure.is_timeout() {
                    self.remember(&target, &failure);
                }
                let reason = failure.to_string();
                let outcome = request_log::Outcome::Failed { reason: &reason };
                request_log::record(
                    &method,
                    &url,
                    outcome,
                    sent_id.as_deref(),
                    started.elapsed(),
                );
                Err(NetworkError::new(&url, failure))
            }
        }
    }

    /// What a reqwest error (a body cut off, a timeout while reading) means.
    pub fn failure_of(&self, error: &reqwest::Error, elapsed: Duration) -> TransportFailure {
        TransportFailure::from_error(error, &self.timeouts, Some(elapsed))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Unanswered> {
        self.unanswered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn recently_unanswered(&self, target: &str) -> Option<TransportFailure> {
        let mut unanswered = self.lock();
        match unanswered.get(target) {
            Some((when, failure)) if when.elapsed() < self.timeouts.request => {
                Some(failure.clone())
            }
            Some(_) => {
                unanswered.remove(target);
                None
            }
            None => None,
        }
    }

    fn remember(&self, target: &str, failure: &TransportFailure) {
        self.lock()
            .insert(target.to_string(), (Instant::now(), failure.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pem_without_certificates_is_named_in_the_error() {
        let error = HttpClient::builder()
            .trust_pems(&["not a certificate".to_string()])
            .build()
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "extra CA certificate 1: holds no PEM CERTIFICATE block; give the CA certificate in PEM form"
        );
    }

    #[test]
    fn one_number_sets_every_wait() {
        let timeouts = Timeouts::uniform(Duration::from_secs(2));
        assert_eq!(timeouts.connect, Duration::from_secs(2));
        assert_eq!(timeouts.request, Duration::from_secs(6));
        assert_eq!(
            timeouts.failure(false, Some(Duration::from_secs(6))),
            TransportFailure::TimedOut {
                after: Duration::from_secs(6),
                waiting: Waiting::Answer
            }
        );
    }
}
