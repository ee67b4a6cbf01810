//! The access tokens sandbox Entra hands out: RS256 JWTs signed with an RSA key made at start,
//! whose public half is served as the tenant's JWKS. Tokens are returned, never logged.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{Value, json};

use crate::oidc::jwks::jwks_document;
use crate::oidc::key::{ServiceAccountKey, parse_pem_keys};
use crate::SandboxError;

/// The sandbox tenant's token-signing key.
pub struct AccessTokenSigner {
    public: ServiceAccountKey,
    signer: Arc<dyn rustls::sign::SigningKey>,
}

impl AccessTokenSigner {
    /// A fresh RSA 2048 key (aws-lc makes one in well under a second).
    pub fn generate() -> Result<AccessTokenSigner, SandboxError> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)
            .map_err(SandboxError::Certificate)?;
        let public = parse_pem_keys(&key.public_key_pem())
            .map_err(|error| SandboxError::Key(error.to_string()))?
            .into_iter()
            .next()
            .ok_or_else(|| SandboxError::Key("no key in the generated PEM".into()))?;
        let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let signer =
            rustls::crypto::aws_lc_rs::sign::any_supported_type(&der).map_err(SandboxError::Tls)?;
        Ok(AccessTokenSigner { public, signer })
    }

    /// `{"keys":[…]}`, as `/{tenant}/discovery/v2.0/keys` serves it.
    pub fn jwks(&self) -> Value {
        jwks_document(std::slice::from_ref(&self.public))
    }

    /// A JWS compact token over `claims` with header `{"typ":"JWT","alg":"RS256","kid":…}`.
    pub fn sign(&self, claims: &Value) -> Result<String, String> {
        let header = json!({"typ": "JWT", "alg": "RS256", "kid": self.public.kid()});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signer = self
            .signer
            .choose_scheme(&[rustls::SignatureScheme::RSA_PKCS1_SHA256])
            .ok_or("the token-signing key cannot sign RS256")?;
        let signature = signer
            .sign(signing_input.as_bytes())
            .map_err(|error| error.to_string())?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::jwks::JwkSet;
    use crate::oidc::jwt::Jwt;

    #[test]
    fn tokens_verify_with_the_published_key() {
        let signer = AccessTokenSigner::generate().unwrap();
        let token = signer
            .sign(&json!({"aud": "https://management.azure.com"}))
            .unwrap();
        let jwks = JwkSet::parse(signer.jwks().to_string().as_bytes()).unwrap();
        let jwt = Jwt::parse(&token).unwrap();
        assert!(jwt.verify(&jwks).is_ok());
        assert_eq!(jwt.audiences(), ["https://management.azure.com"]);
    }
}
