//! `-v`: one line on standard error per outbound request (method, URL without query secrets,
//! status, request id, duration). Never a header value other than the request id, never a
//! body: tokens, keys, client assertions and SAS signatures stay out of logs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use url::Url;

static VERBOSE: AtomicBool = AtomicBool::new(false);

/// Query parameters whose values are shown; every other value is replaced by `***` (a SAS
/// `sig`, `se`, `sv`, an OAuth `code`, anything kwif does not know).
const SHOWN_PARAMETERS: [&str; 7] = [
    "api-version",
    "restype",
    "comp",
    "$filter",
    "$top",
    "timeout",
    "prefix",
];

/// Turns the log on for the rest of the process (`-v`).
pub fn set_verbose(verbose: bool) {
    VERBOSE.store(verbose, Ordering::Relaxed);
}

pub fn verbose() -> bool {
    VERBOSE.load(Ordering::Relaxed)
}

/// The URL as the log shows it: no user or password, and only harmless query values.
pub fn redacted(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_fragment(None);
    if url.query() == Some("") {
        shown.set_query(None);
    } else if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(name, value)| {
                let value = if SHOWN_PARAMETERS
                    .iter()
                    .any(|known| known.eq_ignore_ascii_case(&name))
                {
                    value.into_owned()
                } else {
                    "***".to_string()
                };
                (name.into_owned(), value)
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    shown.to_string()
}

/// What one request came to, for the log line.
pub(crate) enum Outcome<'a> {
    Answered { status: reqwest::StatusCode },
    Failed { reason: &'a str },
    NotSent { reason: &'a str },
}

/// Writes the line when `-v` is on.
pub(crate) fn record(
    method: &reqwest::Method,
    url: &Url,
    outcome: Outcome<'_>,
    request_id: Option<&str>,
    elapsed: Duration,
) {
    if !verbose() {
        return;
    }
    let result = match outcome {
        Outcome::Answered { status } => format!(
            "{} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or_default()
        )
        .trim_end()
        .to_string(),
        Outcome::Failed { reason } => format!("no answer: {reason}"),
        Outcome::NotSent { reason } => format!("not sent: {reason}"),
    };
    let id = request_id
        .map(|id| format!(", request id {id}"))
        .unwrap_or_default();
    eprintln!(
        "kwif: {method} {} → {result} in {} ms{id}",
        redacted(url),
        elapsed.as_millis()
    );
}

/// Writes a line for a wait on Azure's replication when `-v` is on, so the log shows where a
/// run's time went besides its requests: `kwif: waited 2000 ms for …`.
pub fn record_wait(what: &str, waited: Duration) {
    if verbose() {
        eprintln!("kwif: waited {} ms for {what}", waited.as_millis());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_in_the_query_and_credentials_never_reach_the_log() {
        let url = Url::parse(
            "https://user:pass@st1.blob.core.windows.net/oidc/jwks?sv=2025-01-05&se=2030-01-01&sig=c2VjcmV0&comp=list&api-version=2023-01-31&code=abc",
        )
        .unwrap();
        let shown = redacted(&url);
        assert_eq!(
            shown,
            "https://st1.blob.core.windows.net/oidc/jwks?sv=***&se=***&sig=***&comp=list&api-version=2023-01-31&code=***"
        );
    }

    #[test]
    fn a_url_without_a_query_is_shown_as_it_is() {
        let url = Url::parse("https://login.microsoftonline.com/t/oauth2/v2.0/token").unwrap();
        assert_eq!(
            redacted(&url),
            "https://login.microsoftonline.com/t/oauth2/v2.0/token"
        );
    }
}
