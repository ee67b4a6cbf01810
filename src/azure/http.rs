//! The HTTPS client every Azure call goes through: the system's CAs, the CAs in `SSL_CERT_FILE`
//! and any CA PEM the caller adds (the sandbox's, in tests). TLS verification is never turned off.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A CA could not be trusted; the message names where it came from.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error(
        "SSL_CERT_FILE={path}: cannot read it ({source}); point it at a PEM file of CA certificates or unset it"
    )]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{origin}: holds no PEM CERTIFICATE block; give the CA certificate in PEM form")]
    NoCertificate { origin: String },
    #[error("{origin}: certificate {index} cannot be used as a trust anchor ({reason})")]
    BadCertificate {
        origin: String,
        index: usize,
        reason: String,
    },
    #[error("cannot set up TLS: {0}")]
    Tls(String),
}

/// Builds the client: system roots, then `SSL_CERT_FILE`, then `extra_ca_pems`.
pub fn https_client(extra_ca_pems: &[String]) -> Result<reqwest::Client, TrustError> {
    let mut roots = rustls::RootCertStore::empty();
    // Unreadable system certificates are not fatal: a private CA may be all the user needs.
    let _ = roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    if let Some(path) = std::env::var_os("SSL_CERT_FILE").filter(|path| !path.is_empty()) {
        let path = PathBuf::from(path);
        let text = std::fs::read(&path).map_err(|source| TrustError::Unreadable {
            path: path.clone(),
            source,
        })?;
        add_pem(
            &mut roots,
            &text,
            &format!("SSL_CERT_FILE={}", path.display()),
        )?;
    }
    for (index, pem) in extra_ca_pems.iter().enumerate() {
        add_pem(
            &mut roots,
            pem.as_bytes(),
            &format!("extra CA certificate {}", index + 1),
        )?;
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| TrustError::Tls(error.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        // Resource Manager and Entra never redirect a client (REST API guidelines).
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("kwif/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| TrustError::Tls(error.to_string()))
}

fn add_pem(roots: &mut rustls::RootCertStore, pem: &[u8], origin: &str) -> Result<(), TrustError> {
    let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
        .filter_map(Result::ok)
        .collect();
    if certificates.is_empty() {
        return Err(TrustError::NoCertificate {
            origin: origin.to_string(),
        });
    }
    for (index, certificate) in certificates.into_iter().enumerate() {
        roots
            .add(certificate)
            .map_err(|error| TrustError::BadCertificate {
                origin: origin.to_string(),
                index: index + 1,
                reason: error.to_string(),
            })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pem_without_certificates_is_named_in_the_error() {
        let error = https_client(&["not a certificate".to_string()]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "extra CA certificate 1: holds no PEM CERTIFICATE block; give the CA certificate in PEM form"
        );
    }
}
