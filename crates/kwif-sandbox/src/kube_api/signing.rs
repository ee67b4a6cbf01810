//! The service-account keys: the private key tokens are signed with (`--service-account-signing-
//! key-file`) and the public keys that verify them and are published (`--service-account-key-file`).
//! The keys under `src/sandbox/keys/` are demo-only and public; they make start-up instant.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rustls::pki_types::PrivateKeyDer;
use rustls::pki_types::pem::PemObject;
use serde_json::{Value, json};

use crate::oidc::jwks::{JwkSet, jwks_document};
use crate::oidc::jwt::Jwt;
use crate::oidc::key::{ServiceAccountKey, parse_pem_keys};
use crate::SandboxError;

/// Demo-only RSA keys, used in order: the first signs at start, rotations take the next ones.
const DEMO_KEYS: [&str; 3] = [
    include_str!("../../keys/demo-only-service-account-1.key"),
    include_str!("../../keys/demo-only-service-account-2.key"),
    include_str!("../../keys/demo-only-service-account-3.key"),
];

struct SigningKey {
    public: ServiceAccountKey,
    signer: Arc<dyn rustls::sign::SigningKey>,
}

impl SigningKey {
    fn from_pem(pem: &str) -> Result<SigningKey, SandboxError> {
        let public = parse_pem_keys(pem)
            .map_err(|error| SandboxError::Key(error.to_string()))?
            .into_iter()
            .next()
            .ok_or_else(|| SandboxError::Key("no key in the PEM text".into()))?;
        let der = PrivateKeyDer::from_pem_slice(pem.as_bytes())
            .map_err(|error| SandboxError::Key(error.to_string()))?;
        let signer = rustls::crypto::aws_lc_rs::sign::any_supported_type(&der)
            .map_err(|error| SandboxError::Key(error.to_string()))?;
        Ok(SigningKey { public, signer })
    }
}

/// The signing key and the verification keys, as the key flags of kube-apiserver hold them.
pub struct ServiceAccountKeys {
    signing: SigningKey,
    verification: Vec<ServiceAccountKey>,
    demo_keys_used: usize,
}

impl ServiceAccountKeys {
    /// The first demo key, signing and published.
    pub fn demo() -> Result<ServiceAccountKeys, SandboxError> {
        let signing = SigningKey::from_pem(DEMO_KEYS[0])?;
        let verification = vec![signing.public.clone()];
        Ok(ServiceAccountKeys {
            signing,
            verification,
            demo_keys_used: 1,
        })
    }

    /// A new signing key whose public half joins the key file; the old keys stay there, so
    /// tokens they signed still verify. Returns the new `kid`.
    pub fn rotate(&mut self) -> Result<String, SandboxError> {
        let signing = match DEMO_KEYS.get(self.demo_keys_used) {
            Some(pem) => SigningKey::from_pem(pem)?,
            None => {
                let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)
                    .map_err(SandboxError::Certificate)?;
                SigningKey::from_pem(&key.serialize_pem())?
            }
        };
        self.demo_keys_used += 1;
        self.verification.push(signing.public.clone());
        self.signing = signing;
        Ok(self.signing.public.kid().to_string())
    }

    /// Drops a key from the key file (the last phase of a rotation); tokens it signed stop
    /// verifying. Returns whether the key was there.
    pub fn remove_verification_key(&mut self, kid: &str) -> bool {
        let before = self.verification.len();
        self.verification.retain(|key| key.kid() != kid);
        before != self.verification.len()
    }

    pub fn signing_kid(&self) -> &str {
        self.signing.public.kid()
    }

    pub fn verification_keys(&self) -> &[ServiceAccountKey] {
        &self.verification
    }

    /// The JWKS `/openid/v1/jwks` serves: the key file's keys, not the signing key as such.
    pub fn jwks(&self) -> Value {
        jwks_document(&self.verification)
    }

    /// A JWS compact token over `claims`, header `{"alg":"RS256","kid":…}` like kube-apiserver's.
    pub fn sign(&self, claims: &Value) -> Result<String, String> {
        let header = json!({"alg": self.signing.public.alg(), "kid": self.signing.public.kid()});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signer = self
            .signing
            .signer
            .choose_scheme(&[rustls::SignatureScheme::RSA_PKCS1_SHA256])
            .ok_or("the signing key cannot sign RS256")?;
        let signature = signer
            .sign(signing_input.as_bytes())
            .map_err(|error| error.to_string())?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }

    /// The token, parsed, when its signature verifies with a key of the key file.
    pub fn verify(&self, token: &str) -> Option<Jwt> {
        let jwt = Jwt::parse(token).ok()?;
        let keys = JwkSet::parse(self.jwks().to_string().as_bytes()).ok()?;
        jwt.verify(&keys).ok()?;
        Some(jwt)
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
        let jwt = keys.verify(&token).unwrap();
        assert_eq!(jwt.header().kid(), Some(keys.signing_kid()));
        assert_eq!(
            jwt.header().members().len(),
            2,
            "no typ, like kube-apiserver"
        );
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
