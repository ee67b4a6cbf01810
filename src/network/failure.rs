//! Why a request got no HTTP answer, read from the error chain of reqwest, hyper or kube:
//! refused, the name did not resolve, timed out after N s, which certificate problem. The
//! messages say what happened; each caller adds the fix that fits its server.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use super::Timeouts;

/// What was wrong with the server's certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsProblem {
    /// Not signed by a CA kwif trusts (rustls: `UnknownIssuer`, `BadSignature`).
    NotTrusted,
    Expired {
        /// When it expired, RFC 3339, when rustls said.
        not_after: Option<String>,
    },
    NotYetValid,
    /// Issued for other names than the one kwif connected to.
    WrongName {
        expected: Option<String>,
        presented: Vec<String>,
    },
    Revoked,
    Other(String),
}

impl TlsProblem {
    /// What is wrong, in one clause.
    pub fn describe(&self) -> String {
        match self {
            TlsProblem::NotTrusted => "the certificate is not signed by a trusted CA".into(),
            TlsProblem::Expired { not_after: None } => "the certificate has expired".into(),
            TlsProblem::Expired {
                not_after: Some(when),
            } => format!("the certificate has expired (on {when})"),
            TlsProblem::NotYetValid => "the certificate is not valid yet (check the clock)".into(),
            TlsProblem::WrongName {
                expected,
                presented,
            } => {
                let mut text = "the certificate is not valid for this host name".to_string();
                if let Some(expected) = expected {
                    text.push_str(&format!(" ({expected})"));
                }
                if !presented.is_empty() {
                    text.push_str(&format!("; it names {}", presented.join(", ")));
                }
                text
            }
            TlsProblem::Revoked => "the certificate has been revoked".into(),
            TlsProblem::Other(detail) => format!("the TLS handshake failed: {detail}"),
        }
    }

    /// The doctor's fix for a public issuer host: Entra ID trusts public CAs only.
    pub fn fix(&self, host: &str) -> String {
        match self {
            TlsProblem::NotTrusted => format!(
                "serve a certificate for {host} from a public CA (e.g. Let's Encrypt via cert-manager); Entra ID trusts only public CAs (for a private test CA, pass --ca-file)"
            ),
            TlsProblem::Expired { .. } | TlsProblem::NotYetValid => {
                format!("renew the certificate for {host} (cert-manager renews automatically)")
            }
            TlsProblem::WrongName { .. } => format!(
                "issue the certificate for {host}: its subject alternative names must include that host"
            ),
            TlsProblem::Revoked => format!("issue a new certificate for {host}"),
            TlsProblem::Other(_) => {
                format!("serve TLS 1.2 or 1.3 with a valid certificate for {host}")
            }
        }
    }

    fn from_rustls(error: &rustls::Error) -> TlsProblem {
        use rustls::CertificateError as C;
        let rustls::Error::InvalidCertificate(certificate) = error else {
            return TlsProblem::Other(error.to_string());
        };
        match certificate {
            C::UnknownIssuer | C::BadSignature | C::UnhandledCriticalExtension => {
                TlsProblem::NotTrusted
            }
            C::Expired => TlsProblem::Expired { not_after: None },
            C::ExpiredContext { not_after, .. } => TlsProblem::Expired {
                not_after: Some(rfc3339(not_after.as_secs())),
            },
            C::NotValidYet | C::NotValidYetContext { .. } => TlsProblem::NotYetValid,
            C::NotValidForName => TlsProblem::WrongName {
                expected: None,
                presented: Vec::new(),
            },
            C::NotValidForNameContext {
                expected,
                presented,
            } => TlsProblem::WrongName {
                expected: Some(expected.to_str().into_owned()),
                presented: presented.iter().map(|name| presented_name(name)).collect(),
            },
            C::Revoked => TlsProblem::Revoked,
            // webpki's words for a self-signed CA certificate served as the server's own.
            other if format!("{other:?}").contains("CaUsedAsEndEntity") => TlsProblem::Other(
                "the server presents a CA certificate as its own; serve a server certificate issued by the CA".into(),
            ),
            other => TlsProblem::Other(format!("{other:?}")),
        }
    }
}

/// rustls shows a presented name as `DnsName("localhost")`; the name alone reads better.
fn presented_name(name: &str) -> String {
    name.split_once('(').map_or_else(
        || name.to_string(),
        |(_, rest)| rest.trim_end_matches(')').trim_matches('"').to_string(),
    )
}

fn rfc3339(seconds: u64) -> String {
    let when = std::time::UNIX_EPOCH + Duration::from_secs(seconds);
    humantime::format_rfc3339_seconds(when).to_string()
}

/// Which wait ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waiting {
    /// For the TCP connection and the TLS handshake.
    Connection,
    /// For the answer, once connected.
    Answer,
}

/// Why there was no HTTP answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransportFailure {
    /// Nothing listens there (or a firewall rejects).
    Refused,
    /// DNS gave no address.
    NameNotResolved,
    /// The server closed the connection without answering.
    Dropped,
    TimedOut {
        after: Duration,
        waiting: Waiting,
    },
    Tls(TlsProblem),
    Other(String),
}

impl fmt::Display for TransportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportFailure::Refused => f.write_str("the connection was refused"),
            TransportFailure::NameNotResolved => f.write_str("the host name does not resolve"),
            TransportFailure::Dropped => {
                f.write_str("the server closed the connection without an answer")
            }
            TransportFailure::TimedOut { after, waiting } => {
                let what = match waiting {
                    Waiting::Connection => "no connection (TCP and TLS handshake)",
                    Waiting::Answer => "connected, but no answer",
                };
                write!(f, "timed out after {}: {what}", seconds(*after))
            }
            TransportFailure::Tls(problem) => f.write_str(&problem.describe()),
            TransportFailure::Other(message) => f.write_str(message),
        }
    }
}

/// `1 s`, `2.5 s`: how long a wait was, as the messages show it.
pub fn seconds(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{:.1} s", duration.as_secs_f64())
    }
}

impl TransportFailure {
    /// Reads the cause from an error chain. `timeouts` are the client's (the chain does not
    /// say which timer fired); `elapsed`, when known, tells a read timeout from the total one.
    pub fn from_error(
        error: &(dyn StdError + 'static),
        timeouts: &Timeouts,
        elapsed: Option<Duration>,
    ) -> TransportFailure {
        let connecting = is_connect_phase(error);
        let mut timed_out = false;
        let mut current: Option<&(dyn StdError + 'static)> = Some(error);
        let mut innermost = error.to_string();
        while let Some(cause) = current {
            if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
                return TransportFailure::Tls(TlsProblem::from_rustls(tls));
            }
            if let Some(io) = cause.downcast_ref::<std::io::Error>() {
                use std::io::ErrorKind as K;
                match io.kind() {
                    K::ConnectionRefused => return TransportFailure::Refused,
                    K::TimedOut => timed_out = true,
                    K::ConnectionReset
                    | K::ConnectionAborted
                    | K::UnexpectedEof
                    | K::BrokenPipe => return TransportFailure::Dropped,
                    _ => {}
                }
            }
            let text = cause.to_string();
            if text.contains("dns error") || text.contains("failed to lookup address") {
                return TransportFailure::NameNotResolved;
            }
            if text.contains("timed out") || text.contains("deadline has elapsed") {
                timed_out = true;
            }
            if text.contains("connection closed before message completed")
                || text.contains("IncompleteMessage")
            {
                return TransportFailure::Dropped;
            }
            innermost = text;
            current = next_cause(cause);
        }
        if timed_out {
            return timeouts.failure(connecting, elapsed);
        }
        TransportFailure::Other(innermost)
    }

    pub fn is_timeout(&self) -> bool {
        matches!(self, TransportFailure::TimedOut { .. })
    }
}

/// Whether the chain says the failure came while connecting (reqwest and hyper both know).
fn is_connect_phase(error: &(dyn StdError + 'static)) -> bool {
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(cause) = current {
        if let Some(error) = cause.downcast_ref::<reqwest::Error>() {
            return error.is_connect();
        }
        if let Some(error) = cause.downcast_ref::<hyper_util::client::legacy::Error>() {
            return error.is_connect();
        }
        current = next_cause(cause);
    }
    false
}

/// The next error in the chain. `io::Error::source` skips the error an `io::Error` wraps (and
/// hyper wraps rustls' error in two of them), so look inside explicitly.
pub fn next_cause<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a (dyn StdError + 'static)> {
    if let Some(inner) = error
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
    {
        return Some(inner);
    }
    error.source()
}

/// A request that got no answer: where it went and why. Never holds a query string.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{target}: {failure}")]
pub struct NetworkError {
    /// `https://host:port`, the origin the request went to.
    pub target: String,
    pub failure: TransportFailure,
}

impl NetworkError {
    pub fn new(url: &url::Url, failure: TransportFailure) -> NetworkError {
        NetworkError {
            target: origin(url),
            failure,
        }
    }
}

/// The [`NetworkError`] somewhere in an error chain: an SDK error kwif's transport failed.
pub fn find_network_error<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a NetworkError> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(cause) = current {
        if let Some(found) = cause.downcast_ref::<NetworkError>() {
            return Some(found);
        }
        current = cause.source();
    }
    None
}

/// `https://host:port` of a URL, without path, query or credentials.
pub fn origin(url: &url::Url) -> String {
    url.origin().ascii_serialization()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_in_whole_or_tenth_seconds() {
        assert_eq!(seconds(Duration::from_secs(1)), "1 s");
        assert_eq!(seconds(Duration::from_millis(2500)), "2.5 s");
    }

    #[test]
    fn an_io_timeout_deep_in_the_chain_is_a_timeout_with_the_configured_wait() {
        let io = std::io::Error::new(std::io::ErrorKind::TimedOut, "read timed out");
        let failure =
            TransportFailure::from_error(&io, &Timeouts::uniform(Duration::from_secs(3)), None);
        assert_eq!(
            failure.to_string(),
            "timed out after 3 s: connected, but no answer"
        );
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(
            TransportFailure::from_error(&refused, &Timeouts::default(), None),
            TransportFailure::Refused
        );
    }

    #[test]
    fn a_wrong_name_says_which_names_the_certificate_has() {
        let problem = TlsProblem::WrongName {
            expected: Some("127.0.0.1".into()),
            presented: vec![presented_name("DnsName(\"localhost\")")],
        };
        assert_eq!(
            problem.describe(),
            "the certificate is not valid for this host name (127.0.0.1); it names localhost"
        );
    }
}
