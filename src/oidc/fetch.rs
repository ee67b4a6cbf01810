//! Fetches public documents over HTTPS the way Entra ID would, and says precisely why a fetch
//! failed (DNS, connection, timeout, which certificate problem). TLS verification is never
//! turned off: extra trust comes only from CA files the user names.

use std::error::Error as StdError;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// Documents larger than this are not discovery documents or key sets; stop reading.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The user's extra CA file could not be used. This is bad input (exit 2), not a finding.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("--ca-file {path}: cannot read it ({source})")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "--ca-file {path}: holds no PEM CERTIFICATE block; give the CA certificate in PEM form"
    )]
    NoCertificate { path: PathBuf },
    #[error("--ca-file {path}: certificate {index} cannot be used as a trust anchor ({reason})")]
    BadCertificate {
        path: PathBuf,
        index: usize,
        reason: String,
    },
    #[error("cannot set up TLS: {0}")]
    Tls(String),
}

/// A fetched document, whatever its status.
#[derive(Clone, Debug)]
pub struct Fetched {
    /// The URL that answered, after redirects.
    pub url: String,
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

    pub fn status_line(&self) -> String {
        let reason = reqwest::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|status| status.canonical_reason())
            .unwrap_or("");
        format!("{} {reason}", self.status).trim_end().to_string()
    }
}

/// What went wrong with a certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsProblem {
    NotTrusted,
    Expired,
    NotYetValid,
    WrongName,
    Revoked,
    Other(String),
}

impl TlsProblem {
    pub fn describe(&self) -> String {
        match self {
            TlsProblem::NotTrusted => "the certificate is not signed by a trusted CA".into(),
            TlsProblem::Expired => "the certificate has expired".into(),
            TlsProblem::NotYetValid => "the certificate is not valid yet (check the clock)".into(),
            TlsProblem::WrongName => "the certificate is not valid for this host name".into(),
            TlsProblem::Revoked => "the certificate has been revoked".into(),
            TlsProblem::Other(detail) => format!("the TLS handshake failed: {detail}"),
        }
    }

    pub fn fix(&self, host: &str) -> String {
        match self {
            TlsProblem::NotTrusted => format!(
                "serve a certificate for {host} from a public CA (e.g. Let's Encrypt via cert-manager); Entra ID trusts only public CAs (for a private test CA, pass --ca-file)"
            ),
            TlsProblem::Expired | TlsProblem::NotYetValid => {
                format!("renew the certificate for {host} (cert-manager renews automatically)")
            }
            TlsProblem::WrongName => {
                format!(
                    "issue the certificate for {host}: its subject alternative names must include that host"
                )
            }
            TlsProblem::Revoked => format!("issue a new certificate for {host}"),
            TlsProblem::Other(_) => {
                format!("serve TLS 1.2 or 1.3 with a valid certificate for {host}")
            }
        }
    }
}

/// Why a fetch produced no HTTP answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchFailure {
    /// DNS, refused or reset connection, or a timeout.
    Unreachable(String),
    Tls(TlsProblem),
    /// Not an http(s) URL or otherwise unusable.
    BadUrl(String),
}

#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
}

impl Fetcher {
    /// A fetcher trusting the system's CAs (and `SSL_CERT_FILE`) plus every CA in `extra_ca_files`.
    pub fn new(extra_ca_files: &[PathBuf]) -> Result<Fetcher, TrustError> {
        Fetcher::with_timeout(extra_ca_files, DEFAULT_TIMEOUT)
    }

    pub fn with_timeout(
        extra_ca_files: &[PathBuf],
        timeout: Duration,
    ) -> Result<Fetcher, TrustError> {
        let mut roots = rustls::RootCertStore::empty();
        // Unreadable system certificates are not fatal: a private CA may be all the user needs.
        let _ = roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        for path in extra_ca_files {
            add_ca_file(&mut roots, path)?;
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|error| TrustError::Tls(error.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(config)
            .timeout(timeout)
            .connect_timeout(timeout)
            .no_proxy()
            .user_agent(concat!("kwif/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| TrustError::Tls(error.to_string()))?;
        Ok(Fetcher { client })
    }

    /// GETs `url` and reads at most [`MAX_DOCUMENT_BYTES`] of the body.
    pub async fn get(&self, url: &str) -> Result<Fetched, FetchFailure> {
        let parsed =
            reqwest::Url::parse(url).map_err(|error| FetchFailure::BadUrl(error.to_string()))?;
        let mut response = self.client.get(parsed).send().await.map_err(classify)?;
        let mut fetched = Fetched {
            url: response.url().to_string(),
            status: response.status().as_u16(),
            content_type: response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .map(str::to_string),
            body: Vec::new(),
            truncated: false,
        };
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
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

fn add_ca_file(roots: &mut rustls::RootCertStore, path: &Path) -> Result<(), TrustError> {
    let text = std::fs::read(path).map_err(|source| TrustError::Unreadable {
        path: path.into(),
        source,
    })?;
    let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&text)
        .filter_map(Result::ok)
        .collect();
    if certificates.is_empty() {
        return Err(TrustError::NoCertificate { path: path.into() });
    }
    for (index, certificate) in certificates.into_iter().enumerate() {
        roots
            .add(certificate)
            .map_err(|error| TrustError::BadCertificate {
                path: path.into(),
                index: index + 1,
                reason: error.to_string(),
            })?;
    }
    Ok(())
}

/// Turns a reqwest error into what the user needs to know: a certificate problem, or why the
/// host could not be reached.
fn classify(error: reqwest::Error) -> FetchFailure {
    if let Some(problem) = find_tls_problem(&error) {
        return FetchFailure::Tls(problem);
    }
    if error.is_timeout() {
        return FetchFailure::Unreachable("timed out".into());
    }
    FetchFailure::Unreachable(innermost_message(&error))
}

fn find_tls_problem(error: &(dyn StdError + 'static)) -> Option<TlsProblem> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(error) = current {
        if let Some(tls) = error.downcast_ref::<rustls::Error>() {
            return Some(tls_problem(tls));
        }
        current = next_cause(error);
    }
    None
}

/// The next error in the chain. `io::Error::source` skips the error an `io::Error` wraps (and
/// hyper wraps rustls' error in two of them), so look inside explicitly.
fn next_cause<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a (dyn StdError + 'static)> {
    if let Some(inner) = error
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
    {
        return Some(inner);
    }
    error.source()
}

fn tls_problem(error: &rustls::Error) -> TlsProblem {
    use rustls::CertificateError as C;
    match error {
        rustls::Error::InvalidCertificate(certificate) => match certificate {
            C::UnknownIssuer | C::BadSignature | C::UnhandledCriticalExtension => TlsProblem::NotTrusted,
            C::Expired | C::ExpiredContext { .. } => TlsProblem::Expired,
            C::NotValidYet | C::NotValidYetContext { .. } => TlsProblem::NotYetValid,
            C::NotValidForName | C::NotValidForNameContext { .. } => TlsProblem::WrongName,
            C::Revoked => TlsProblem::Revoked,
            // webpki's words for a self-signed CA certificate served as the server's own.
            other if format!("{other:?}").contains("CaUsedAsEndEntity") => TlsProblem::Other(
                "the server presents a CA certificate as its own; serve a server certificate issued by the CA".into(),
            ),
            other => TlsProblem::Other(format!("{other:?}")),
        },
        other => TlsProblem::Other(other.to_string()),
    }
}

fn innermost_message(error: &(dyn StdError + 'static)) -> String {
    let mut message = error.to_string();
    let mut current = next_cause(error);
    while let Some(inner) = current {
        message = inner.to_string();
        current = next_cause(inner);
    }
    message
}
