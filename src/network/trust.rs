//! Which CAs kwif's HTTPS clients trust: the system's (which `SSL_CERT_FILE` / `SSL_CERT_DIR`
//! replace, as for OpenSSL), `SSL_CERT_FILE` read explicitly so a bad one is an error, and the
//! CAs a caller adds (`--ca-file`, the sandbox's). Verification is never turned off.

use std::path::{Path, PathBuf};

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// A CA could not be trusted; the message names where it came from.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("{origin}: cannot read it ({source}){hint}")]
    Unreadable {
        origin: String,
        source: std::io::Error,
        hint: &'static str,
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

/// The trust anchors being collected for one client.
pub(super) struct Roots {
    store: rustls::RootCertStore,
}

impl Roots {
    /// The system's roots and `SSL_CERT_FILE`.
    pub(super) fn system() -> Result<Roots, TrustError> {
        let mut store = rustls::RootCertStore::empty();
        // Unreadable system certificates are not fatal: a private CA may be all the user needs.
        let _ = store.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        let mut roots = Roots { store };
        if let Some(path) = std::env::var_os("SSL_CERT_FILE").filter(|path| !path.is_empty()) {
            let path = PathBuf::from(path);
            let origin = format!("SSL_CERT_FILE={}", path.display());
            let text = std::fs::read(&path).map_err(|source| TrustError::Unreadable {
                origin: origin.clone(),
                source,
                hint: "; point it at a PEM file of CA certificates or unset it",
            })?;
            roots.add_pem(&text, &origin)?;
        }
        Ok(roots)
    }

    /// The CAs of a PEM file; `label` names the file in errors (`--ca-file`).
    pub(super) fn add_file(&mut self, path: &Path, label: &str) -> Result<(), TrustError> {
        let origin = format!("{label} {}", path.display());
        let text = std::fs::read(path).map_err(|source| TrustError::Unreadable {
            origin: origin.clone(),
            source,
            hint: "",
        })?;
        self.add_pem(&text, &origin)
    }

    pub(super) fn add_pem(&mut self, pem: &[u8], origin: &str) -> Result<(), TrustError> {
        let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
            .filter_map(Result::ok)
            .collect();
        if certificates.is_empty() {
            return Err(TrustError::NoCertificate {
                origin: origin.to_string(),
            });
        }
        for (index, certificate) in certificates.into_iter().enumerate() {
            self.store
                .add(certificate)
                .map_err(|error| TrustError::BadCertificate {
                    origin: origin.to_string(),
                    index: index + 1,
                    reason: error.to_string(),
                })?;
        }
        Ok(())
    }

    pub(super) fn into_tls_config(self) -> Result<rustls::ClientConfig, TrustError> {
        let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        Ok(rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|error| TrustError::Tls(error.to_string()))?
            .with_root_certificates(self.store)
            .with_no_client_auth())
    }
}
