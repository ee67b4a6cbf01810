//! The service-account keys: the private key tokens are signed with (`--service-account-signing-
//! key-file`) and the public keys that verify them and are published (`--service-account-key-file`).
//! The keys under `keys/` are demo-only and public; they make start-up instant.

use std::sync::Arc;

use jsonwebtoken::jwk::JwkSet;
use serde_json::{Value, json};

use crate::SandboxError;
use crate::jwt::{self, VerifiedToken};
use crate::rsa_signing_key::RsaSigningKey;

/// Demo-only RSA keys, used in order: the first signs at start, rotations take the next ones.
const DEMO_KEYS: [&str; 3] = [
    include_str!("../../keys/demo-only-service-account-1.key"),
    include_str!("../../keys/demo-only-service-account-2.key"),
    include_str!("../../keys/demo-only-service-account-3.key"),
];

/// The signing key and the verification keys, as the key flags of kube-apiserver hold them.
pub struct ServiceAccountKeys {
    signing: Arc<RsaSigningKey>,
    verification: Vec<Arc<RsaSigningKey>>,
    demo_keys_used: usize,
}

impl ServiceAccountKeys {
    /// The first demo key, signing and published.
    pub fn demo() -> Result<ServiceAccountKeys, SandboxError> {
        let signing = Arc::new(RsaSigningKey::from_pem(DEMO_KEYS[0])?);
        Ok(ServiceAccountKeys {
            verification: vec![signing.clone()],
            signing,
            demo_keys_used: 1,
        })
    }

    /// A new signing key whose public half joins the key file; the old keys stay there, so
    /// tokens they signed still verify. Returns the new `kid`.
    pub fn rotate(&mut self) -> Result<String, SandboxError> {
        let signing = match DEMO_KEYS.get(self.demo_keys_used) {
            Some(pem) => RsaSigningKey::from_pem(pem)?,
            None => RsaSigningKey::generate()?,
        };
        self.demo_keys_used += 1;
        let signing = Arc::new(signing);
        self.verification.push(signing.clone());
        self.signing = signing;
        Ok(self.signing.kid().to_string())
    }

    /// Drops a key from the key file (the last phase of a rotation); tokens it signed stop
    /// verifying. Returns whether the key was there.
    pub fn remove_verification_key(&mut self, kid: &str) -> bool {
        let before = self.verification.len();
        self.verification.retain(|key| key.kid() != kid);
        before != self.verification.len()
    }

    pub fn signing_kid(&self) -> &str {
        self.signing.kid()
    }

    /// The `alg` of every key of the key file: RSA keys sign RS256 only (kubernetes.md §4).
    pub fn algorithms(&self) -> Vec<&'static str> {
        self.verification.iter().map(|_| "RS256").collect()
    }

    pub fn has_verification_keys(&self) -> bool {
        !self.verification.is_empty()
    }

    /// The JWKS `/openid/v1/jwks` serves: the key file's keys, not the signing key as such.
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = self.verification.iter().map(|key| key.jwk()).collect();
        json!({ "keys": keys })
    }

    /// A JWS compact token over `claims`, header `{"alg":"RS256","kid":…}` like kube-apiserver's
    /// (go-jose writes no `typ`).
    pub fn sign(&self, claims: &Value) -> Result<String, String> {
        self.signing.sign(claims, false)
    }

    /// The token, when its signature verifies with a key of the key file.
    pub fn verify(&self, token: &str) -> Option<VerifiedToken> {
        let keys: JwkSet = jwt::jwk_set(self.jwks().to_string().as_bytes())?;
        jwt::verify(token, &keys).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_tokens_verify_and_carry_the_kubernetes_kid() {
        let keys = ServiceAccountKeys::demo().unwrap();
        let token = keys
            .sign(&json!({"iss": "https://issuer.example"}))
            .unwrap();
        let verified = keys.verify(&token).unwrap();
        assert_eq!(verified.header.kid.as_deref(), Some(keys.signing_kid()));
        assert_eq!(verified.header.typ, None, "no typ, like kube-apiserver");
        assert_eq!(keys.signing_kid().len(), 43);
    }

    #[test]
    fn rotation_keeps_the_old_key_for_verification() {
        let mut keys = ServiceAccountKeys::demo().unwrap();
        let old = keys.sign(&json!({"sub": "a"})).unwrap();
        let old_kid = keys.signing_kid().to_string();
        let new_kid = keys.rotate().unwrap();
        assert_ne!(old_kid, new_kid);
        assert!(keys.verify(&old).is_some());
        assert_eq!(keys.jwks()["keys"].as_array().unwrap().len(), 2);
        assert!(keys.remove_verification_key(&old_kid));
        assert!(keys.verify(&old).is_none());
    }
}
