//! An RSA key that signs RS256 JWTs through jsonwebtoken and publishes its public half as a JWK
//! (RFC 7517, RFC 7518 §6.3) under kube-apiserver's key id. The private key never leaves it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePublicKey};
use rsa::traits::PublicKeyParts;
use rsa::{PrivateKey as RsaPrivateKey, PublicKey as RsaPublicKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::SandboxError;

/// kube-apiserver's key id (pkg/serviceaccount/jwt.go, `keyIDFromPublicKey`): unpadded base64url
/// of the SHA-256 of the DER SubjectPublicKeyInfo, never of the PEM text.
pub fn key_id(subject_public_key_info_der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(subject_public_key_info_der))
}

/// The key id of a `PUBLIC KEY` (SubjectPublicKeyInfo) PEM.
pub fn key_id_of_public_pem(pem: &str) -> Result<String, SandboxError> {
    let public = RsaPublicKey::from_public_key_pem(pem).map_err(key_error)?;
    let der = public.to_public_key_der().map_err(key_error)?;
    Ok(key_id(der.as_bytes()))
}

fn key_error(error: impl std::fmt::Display) -> SandboxError {
    SandboxError::Key(error.to_string())
}

/// An RSA private key ready to sign, with its public JWK.
pub struct RsaSigningKey {
    encoding: EncodingKey,
    public: RsaPublicKey,
    kid: String,
}

impl RsaSigningKey {
    /// A key from PEM: PKCS#1 (`RSA PRIVATE KEY`) or PKCS#8 (`PRIVATE KEY`).
    pub fn from_pem(pem: &str) -> Result<RsaSigningKey, SandboxError> {
        let private = match RsaPrivateKey::from_pkcs1_pem(pem) {
            Ok(private) => private,
            Err(_) => RsaPrivateKey::from_pkcs8_pem(pem).map_err(key_error)?,
        };
        RsaSigningKey::from_private(&private)
    }

    /// A fresh RSA 2048 key. aws-lc (behind rcgen) makes it in milliseconds, even in debug builds.
    pub fn generate() -> Result<RsaSigningKey, SandboxError> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)
            .map_err(SandboxError::Certificate)?;
        let private = RsaPrivateKey::from_pkcs8_der(&key.serialize_der()).map_err(key_error)?;
        RsaSigningKey::from_private(&private)
    }

    fn from_private(private: &RsaPrivateKey) -> Result<RsaSigningKey, SandboxError> {
        let pkcs1 = private.to_pkcs1_der().map_err(key_error)?;
        let public = private.to_public_key();
        let spki = public.to_public_key_der().map_err(key_error)?;
        Ok(RsaSigningKey {
            encoding: EncodingKey::from_rsa_der(pkcs1.as_bytes()),
            kid: key_id(spki.as_bytes()),
            public,
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK with exactly the members Azure's sample JWKS has:
    /// `use`, `kty`, `kid`, `alg`, `n`, `e` (big-endian, unsigned, base64url).
    pub fn jwk(&self) -> Value {
        json!({
            "use": "sig",
            "kty": "RSA",
            "kid": self.kid,
            "alg": "RS256",
            "n": URL_SAFE_NO_PAD.encode(self.public.n_bytes()),
            "e": URL_SAFE_NO_PAD.encode(self.public.e_bytes()),
        })
    }

    /// An RS256 JWS over `claims` with header `{"alg":"RS256","kid":…}`, plus `"typ":"JWT"`
    /// when `typ` is set (Entra writes it, kube-apiserver does not).
    pub fn sign(&self, claims: &Value, typ: bool) -> Result<String, String> {
        let mut header = Header::new(Algorithm::RS256);
        header.typ = typ.then(|| "JWT".to_string());
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).map_err(|error| error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_id_hashes_the_der_public_key() {
        let key = RsaSigningKey::generate().unwrap();
        let der = key.public.to_public_key_der().unwrap();
        assert_eq!(key.kid(), key_id(der.as_bytes()));
        assert_eq!(key.kid().len(), 43);
        let jwk = key.jwk();
        assert_eq!(jwk["e"], "AQAB");
        assert_eq!(jwk["kid"], key.kid());
    }
}
