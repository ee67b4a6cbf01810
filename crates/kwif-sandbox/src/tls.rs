//! The sandbox's test PKI: a CA made fresh at start and loopback server certificates signed by
//! it, so clients verify TLS for real. The CA is trusted only where the sandbox hands it out.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use super::SandboxError;

/// A certificate authority that exists only for one sandbox run.
pub struct SandboxCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl SandboxCa {
    /// A new CA named `common_name` (ECDSA P-256, quick to make).
    pub fn new(common_name: &str) -> Result<SandboxCa, SandboxError> {
        let mut params =
            CertificateParams::new(Vec::<String>::new()).map_err(SandboxError::Certificate)?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        let key = KeyPair::generate().map_err(SandboxError::Certificate)?;
        let issuer =
            CertifiedIssuer::self_signed(params, key).map_err(SandboxError::Certificate)?;
        Ok(SandboxCa { issuer })
    }

    /// The CA certificate in PEM, for a kubeconfig's `certificate-authority-data` or a trust store.
    pub fn certificate_pem(&self) -> String {
        self.issuer.pem()
    }

    /// A rustls server configuration for `names` (IP addresses become IP SANs), HTTP/1.1 only.
    pub fn server_config(&self, names: &[&str]) -> Result<Arc<rustls::ServerConfig>, SandboxError> {
        let names: Vec<String> = names.iter().map(std::string::ToString::to_string).collect();
        let mut params = CertificateParams::new(names).map_err(SandboxError::Certificate)?;
        params
            .distinguished_name
            .push(DnType::CommonName, "kube-apiserver");
        let key = KeyPair::generate().map_err(SandboxError::Certificate)?;
        let certificate = params
            .signed_by(&key, &self.issuer)
            .map_err(SandboxError::Certificate)?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(SandboxError::Tls)?
            .with_no_client_auth()
            .with_single_cert(
                vec![certificate.der().clone(), self.issuer.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .map_err(SandboxError::Tls)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}
