//! The access tokens sandbox Entra hands out: RS256 JWTs signed with jsonwebtoken and an RSA key
//! made at start, whose public half is served as the tenant's JWKS. Tokens are returned, never logged.

use serde_json::{Value, json};

use crate::SandboxError;
use crate::jwt::{self, VerifiedToken, VerifyError};
use crate::rsa_signing_key::RsaSigningKey;

/// The sandbox tenant's token-signing key.
pub struct AccessTokenSigner {
    key: RsaSigningKey,
}

impl AccessTokenSigner {
    /// A fresh RSA 2048 key.
    pub fn generate() -> Result<AccessTokenSigner, SandboxError> {
        Ok(AccessTokenSigner {
            key: RsaSigningKey::generate()?,
        })
    }

    /// `{"keys":[…]}`, as `/{tenant}/discovery/v2.0/keys` serves it.
    pub fn jwks(&self) -> Value {
        json!({ "keys": [self.key.jwk()] })
    }

    /// A JWS compact token over `claims` with header `{"typ":"JWT","alg":"RS256","kid":…}`.
    pub fn sign(&self, claims: &Value) -> Result<String, String> {
        self.key.sign(claims, true)
    }

    /// The token, when this tenant's key signed it. Claims are the caller's to judge.
    pub fn verify(&self, token: &str) -> Result<VerifiedToken, VerifyError> {
        let keys =
            jwt::jwk_set(self.jwks().to_string().as_bytes()).ok_or(VerifyError::Malformed)?;
        jwt::verify(token, &keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_with_the_published_key() {
        let signer = AccessTokenSigner::generate().unwrap();
        let token = signer
            .sign(&json!({"aud": "https://management.azure.com"}))
            .unwrap();
        let verified = signer.verify(&token).unwrap();
        assert_eq!(verified.header.typ.as_deref(), Some("JWT"));
        assert_eq!(
            verified.claims.audiences(),
            ["https://management.azure.com"]
        );
        let other = AccessTokenSigner::generate().unwrap();
        assert!(other.verify(&token).is_err());
    }
}
