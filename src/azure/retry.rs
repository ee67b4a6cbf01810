//! Bounded retries of transient Azure answers: 429 after its `Retry-After` (at most 30 s; a
//! server asking for more gets its answer reported instead), 408/500/502/503/504 and refused or
//! dropped connections with exponential backoff (azure.md §2, §9.6). Anything else is final.

use std::time::{Duration, SystemTime};

use crate::network::{HttpClient, NetworkError, TransportFailure, seconds};

/// How often and how long to retry one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    pub initial_delay: Duration,
    pub max_delay: Duration,
    /// The longest `Retry-After` kwif waits for; an answer asking for longer is final, so one
    /// answer (503 with `Retry-After: 3600`) cannot stall kwif.
    pub max_retry_after: Duration,
    /// Connection failures are retried at most this often: a wrong host should fail fast.
    pub max_connection_retries: u32,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_retries: 8,
            initial_delay: Duration::from_millis(400),
            max_delay: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(30),
            max_connection_retries: 2,
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> RetryPolicy {
        RetryPolicy {
            max_retries: 0,
            max_connection_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// Short delays for tests against the sandbox; `Retry-After` is still honoured.
    pub fn fast() -> RetryPolicy {
        RetryPolicy {
            max_retries: 12,
            initial_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(100),
            ..RetryPolicy::default()
        }
    }

    /// The wait before retry number `retry` (1-based): the server's `Retry-After` when it gave
    /// one, else exponential backoff with a little jitter so parallel clients spread out.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_retry_after);
        }
        let exponent = retry.saturating_sub(1).min(16);
        let base = self
            .initial_delay
            .saturating_mul(1 << exponent)
            .min(self.max_delay);
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos();
        let jitter = base.mul_f64(f64::from(nanos % 200) / 1000.0);
        (base + jitter).min(self.max_delay)
    }

    /// Sends `request`, retrying transient answers within the policy's bounds. The last answer
    /// (even a 429) is returned when the retries are used up, or at once when the server asks
    /// for a longer wait than [`RetryPolicy::max_retry_after`]: the caller reports its status.
    /// Only the transport fails with `Err`; a refused or dropped connection is tried again, a
    /// timeout is not (the wait would only repeat).
    pub async fn send(
        &self,
        client: &HttpClient,
        request: reqwest::Request,
    ) -> Result<reqwest::Response, NetworkError> {
        let mut attempt = request;
        let mut retries = 0;
        let mut connection_retries = 0;
        loop {
            // Bodies here are bytes, so a copy is kept for the next attempt; a streaming body
            // cannot be replayed and is sent once.
            let Some(next) = attempt.try_clone() else {
                return client.execute(attempt).await;
            };
            match client.execute(attempt).await {
                Ok(response)
                    if is_transient(response.status().as_u16()) && retries < self.max_retries =>
                {
                    let asked = retry_after(response.headers());
                    if asked.is_some_and(|wait| wait > self.max_retry_after) {
                        return Ok(response);
                    }
                    retries += 1;
                    let wait = self.delay(retries, asked);
                    drop(response);
                    tokio::time::sleep(wait).await;
                }
                Ok(response) => return Ok(response),
                Err(error)
                    if retried_connection(&error.failure)
                        && connection_retries < self.max_connection_retries =>
                {
                    connection_retries += 1;
                    tokio::time::sleep(self.delay(connection_retries, None)).await;
                }
                Err(error) => return Err(error),
            }
            attempt = next;
        }
    }

    /// The note for an answer kwif gave up on because the server asked for a longer wait than
    /// kwif allows: "asked to retry after 3600 s; kwif waits at most 30 s".
    pub fn declined_wait(&self, headers: &reqwest::header::HeaderMap) -> Option<String> {
        let asked = retry_after(headers).filter(|wait| *wait > self.max_retry_after)?;
        Some(format!(
            "it asked to retry after {}; kwif waits at most {}",
            seconds(asked),
            seconds(self.max_retry_after)
        ))
    }
}

/// A connection that was refused or dropped may work a moment later (a restarting server); a
/// timeout, a certificate or a name that does not resolve will not.
fn retried_connection(failure: &TransportFailure) -> bool {
    matches!(
        failure,
        TransportFailure::Refused | TransportFailure::Dropped
    )
}

/// Whether a status is worth another try: throttling and server-side failures (azure.md §9.6).
pub fn is_transient(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// `Retry-After` (seconds or an HTTP date), `retry-after-ms` or `x-ms-retry-after-ms`.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
    };
    for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(millis) = text(name).and_then(|value| value.parse::<u64>().ok()) {
            return Some(Duration::from_millis(millis));
        }
    }
    let value = text("retry-after")?;
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = humantime::parse_rfc3339_weak(value)
        .ok()
        .or_else(|| http_date(value))?;
    Some(when.duration_since(SystemTime::now()).unwrap_or_default())
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form `Retry-After` dates take.
fn http_date(text: &str) -> Option<SystemTime> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts[..] else {
        return None;
    };
    let month = MONTHS.iter().position(|name| *name == month)? + 1;
    let stamp = format!("{year}-{month:02}-{:02}T{time}Z", day.parse::<u32>().ok()?);
    humantime::parse_rfc3339(&stamp).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_and_server_errors_are_transient_and_client_errors_are_not() {
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(is_transient(status), "{status}");
        }
        for status in [200, 201, 202, 400, 401, 403, 404, 409, 412] {
            assert!(!is_transient(status), "{status}");
        }
    }

    #[test]
    fn retry_after_is_read_in_seconds_milliseconds_and_dates() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("retry-after", "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert("x-ms-retry-after-ms", "250".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(250)));
        let mut past = reqwest::header::HeaderMap::new();
        past.insert(
            "retry-after",
            "Sun, 06 Nov 1994 08:49:37 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&past), Some(Duration::ZERO));
        assert_eq!(
            http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            humantime::parse_rfc3339("1994-11-06T08:49:37Z").ok()
        );
    }

    #[test]
    fn backoff_grows_to_its_cap_and_retry_after_wins_up_to_its_own_cap() {
        let policy = RetryPolicy::default();
        assert!(policy.delay(1, None) >= Duration::from_millis(400));
        assert!(policy.delay(2, None) >= Duration::from_millis(800));
        assert_eq!(policy.delay(30, None), Duration::from_secs(20));
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(3600))),
            Duration::from_secs(30)
        );
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("retry-after", "3600".parse().unwrap());
        assert_eq!(
            policy.declined_wait(&headers).as_deref(),
            Some("it asked to retry after 3600 s; kwif waits at most 30 s")
        );
    }
}
