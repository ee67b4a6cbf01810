//! Service-principal login with a certificate (`AZURE_CLIENT_CERTIFICATE_PATH`, a PEM holding
//! the certificate and its RSA key): a fresh PS256 JWT with the `x5t#S256` thumbprint as client
//! assertion, as Entra's certificate credentials expect. The key never leaves this module.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use azure_core::http::ClientMethodOptions;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use sha2::{Digest, Sha256};

/// Entra accepts an assertion for a short while; ten minutes is what the SDKs use.
const LIFETIME_SECONDS: u64 = 600;

/// Signs client assertions for one service principal at one token endpoint.
pub struct CertificateAssertion {
    client_id: String,
    token_endpoint: String,
    thumbprint: String,
    key: EncodingKey,
    counter: AtomicU64,
}

impl fmt::Debug for CertificateAssertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateAssertion")
            .field("x5t#S256", &self.thumbprint)
            .finish_non_exhaustive()
    }
}

impl CertificateAssertion {
    /// From a PEM with one `CERTIFICATE` and one RSA `PRIVATE KEY` (PKCS#8 or PKCS#1) block.
    pub fn from_pem(
        text: &str,
        client_id: &str,
        token_endpoint: String,
    ) -> Result<CertificateAssertion, String> {
        let blocks = pem::parse_many(text).map_err(|error| format!("is not PEM ({error})"))?;
        let certificate = blocks
            .iter()
            .find(|block| block.tag() == "CERTIFICATE")
            .ok_or("holds no CERTIFICATE block (a PFX file must be converted: `openssl pkcs12 -in cert.pfx -out cert.pem -nodes`)")?;
        let key = blocks
            .iter()
            .find(|block| matches!(block.tag(), "PRIVATE KEY" | "RSA PRIVATE KEY"))
            .ok_or("holds no unencrypted RSA PRIVATE KEY block")?;
        let key = EncodingKey::from_rsa_pem(pem::encode(key).as_bytes())
            .map_err(|error| format!("has a key kwif cannot use ({error})"))?;
        Ok(CertificateAssertion {
            client_id: client_id.to_string(),
            token_endpoint,
            thumbprint: URL_SAFE_NO_PAD.encode(Sha256::digest(certificate.contents())),
            key,
            counter: AtomicU64::new(0),
        })
    }

    /// A new signed assertion (each with its own `jti`).
    pub fn sign(&self) -> Result<String, jsonwebtoken::errors::Error> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let mut header = Header::new(Algorithm::PS256);
        header.typ = Some("JWT".to_string());
        header.x5t_s256 = Some(self.thumbprint.clone());
        let unique = format!(
            "{}|{}|{}",
            self.client_id,
            now.as_nanos(),
            self.counter.fetch_add(1, Ordering::Relaxed)
        );
        let jti = URL_SAFE_NO_PAD.encode(&Sha256::digest(unique.as_bytes())[..16]);
        let claims = json!({
            "aud": self.token_endpoint,
            "iss": self.client_id,
            "sub": self.client_id,
            "jti": jti,
            "nbf": now.as_secs(),
            "iat": now.as_secs(),
            "exp": now.as_secs() + LIFETIME_SECONDS,
        });
        jsonwebtoken::encode(&header, &claims, &self.key)
    }
}

#[async_trait::async_trait]
impl azure_identity::ClientAssertion for CertificateAssertion {
    async fn secret(
        &self,
        _options: Option<ClientMethodOptions<'_>>,
    ) -> azure_core::Result<String> {
        self.sign().map_err(|error| {
            azure_core::Error::with_message(
                azure_core::error::ErrorKind::Credential,
                format!("signing the certificate assertion failed: {error}"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::jwt::Jwt;

    fn pem() -> String {
        let root = env!("CARGO_MANIFEST_DIR");
        let certificate =
            std::fs::read_to_string(format!("{root}/tests/fixtures/keys/self-signed.crt")).unwrap();
        let key = std::fs::read_to_string(format!("{root}/tests/fixtures/keys/rsa-2048.pkcs8.key"))
            .unwrap();
        format!("{certificate}{key}")
    }

    #[test]
    fn assertions_carry_the_thumbprint_and_name_the_client_and_the_endpoint() {
        let endpoint = "https://login.microsoftonline.com/t/oauth2/v2.0/token".to_string();
        let assertion =
            CertificateAssertion::from_pem(&pem(), "client-1", endpoint.clone()).unwrap();
        let (first, second) = (assertion.sign().unwrap(), assertion.sign().unwrap());
        let jwt = Jwt::parse(&first).unwrap();
        assert_eq!(jwt.header().alg(), "PS256");
        assert_eq!(
            jwt.header().members()["x5t#S256"].as_str().unwrap().len(),
            43
        );
        assert_eq!(jwt.audiences(), [endpoint]);
        assert_eq!(
            (jwt.issuer(), jwt.subject()),
            (Some("client-1"), Some("client-1"))
        );
        assert_ne!(
            Jwt::parse(&second).unwrap().claims()["jti"],
            jwt.claims()["jti"]
        );
        assert!(!format!("{assertion:?}").contains("PRIVATE"));
    }

    #[test]
    fn a_pem_without_a_key_says_what_is_missing() {
        let root = env!("CARGO_MANIFEST_DIR");
        let certificate =
            std::fs::read_to_string(format!("{root}/tests/fixtures/keys/self-signed.crt")).unwrap();
        let error = CertificateAssertion::from_pem(&certificate, "c", String::new()).unwrap_err();
        assert_eq!(error, "holds no unencrypted RSA PRIVATE KEY block");
    }
}
