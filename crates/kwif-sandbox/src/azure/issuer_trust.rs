//! The HTTPS client sandbox Entra fetches issuers' discovery documents and JWKS with: the
//! system's trust roots plus the extra CAs the sandbox's owner names (a test web server, the
//! sandbox's own static host). Verification is never turned off; an untrusted issuer fails as it
//! would at Entra.

use std::path::PathBuf;
use std::time::Duration;

use crate::SandboxError;

/// How long one fetch may take before Entra gives up (AADSTS90061 either way).
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// A client trusting the system's roots, every CA file in `files` and every PEM text in `pems`.
/// Redirects are not followed: the documents must be at the exact URLs (unverified for Entra,
/// which documents no redirect handling).
pub fn issuer_client(files: &[PathBuf], pems: &[String]) -> Result<reqwest::Client, SandboxError> {
    let failed = |what: String| SandboxError::Tls(rustls::Error::General(what));
    let mut roots = Vec::new();
    for file in files {
        let pem = std::fs::read(file).map_err(|error| {
            failed(format!(
                "cannot read the CA file {}: {error}",
                file.display()
            ))
        })?;
        roots.extend(bundle(&pem).map_err(|error| failed(format!("{}: {error}", file.display())))?);
    }
    for pem in pems {
        roots.extend(bundle(pem.as_bytes()).map_err(failed)?);
    }
    reqwest::Client::builder()
        .tls_certs_merge(roots)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(FETCH_TIMEOUT)
        .no_proxy()
        .build()
        .map_err(|error| failed(format!("cannot build the issuer client: {error}")))
}

fn bundle(pem: &[u8]) -> Result<Vec<reqwest::Certificate>, String> {
    let certificates = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| e.to_string())?;
    match certificates.is_empty() {
        true => Err("no certificate in the PEM text".to_string()),
        false => Ok(certificates),
    }
}
