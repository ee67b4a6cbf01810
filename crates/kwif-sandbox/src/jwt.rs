//! JWS signature checks with jsonwebtoken against a JWK set, and the registered claims of RFC 7519
//! §4.1 read from the payload. Time, issuer and audience rules belong to each server, not here.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde_json::Value;

/// Why a token's signature was not accepted, in the order the checks run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyError {
    /// Not three base64url parts with a JSON header and payload.
    Malformed,
    /// The header names no `kid`.
    NoKid,
    /// No key of the set has the header's `kid`.
    KidNotFound(String),
    /// The key is there but the signature does not verify with it (or the algorithm does not fit it).
    BadSignature,
}

/// A token whose signature verified: its header and its claims.
#[derive(Clone, Debug)]
pub struct VerifiedToken {
    pub header: Header,
    pub claims: Claims,
}

/// The JWK set of `document` (`{"keys":[…]}`); keys jsonwebtoken cannot read are skipped, as
/// Microsoft.IdentityModel skips them. `None` when the document is not a JWK set at all.
pub fn jwk_set(document: &[u8]) -> Option<JwkSet> {
    let value: Value = serde_json::from_slice(document).ok()?;
    let keys = value.get("keys")?.as_array()?;
    let keys: Vec<Jwk> = keys
        .iter()
        .filter_map(|key| serde_json::from_value::<Jwk>(key.clone()).ok())
        .filter(|key| DecodingKey::from_jwk(key).is_ok())
        .collect();
    Some(JwkSet { keys })
}

/// The claims without any check, for a token whose signature is judged elsewhere or not at all.
pub fn unverified_claims(token: &str) -> Result<Claims, VerifyError> {
    jsonwebtoken::decode_header(token).map_err(|_| VerifyError::Malformed)?;
    jsonwebtoken::dangerous::insecure_decode::<Value>(token)
        .map(|data| Claims(data.claims))
        .map_err(|_| VerifyError::Malformed)
}

/// Checks the signature of `token` with the key of `keys` its `kid` names. Claims are not
/// validated (no `exp`, `nbf`, `aud`, `iss`): the caller applies its own service's rules.
pub fn verify(token: &str, keys: &JwkSet) -> Result<VerifiedToken, VerifyError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| VerifyError::Malformed)?;
    unverified_claims(token)?;
    let kid = header.kid.clone().ok_or(VerifyError::NoKid)?;
    let jwk = keys
        .find(&kid)
        .ok_or_else(|| VerifyError::KidNotFound(kid.clone()))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| VerifyError::BadSignature)?;
    let data = jsonwebtoken::decode::<Value>(token, &key, &signature_only(header.alg))
        .map_err(|_| VerifyError::BadSignature)?;
    Ok(VerifiedToken {
        header,
        claims: Claims(data.claims),
    })
}

/// A validation that checks the signature with `algorithm` and nothing else.
fn signature_only(algorithm: Algorithm) -> Validation {
    let mut validation = Validation::new(algorithm);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation
}

/// A JWT payload.
#[derive(Clone, Debug, PartialEq)]
pub struct Claims(pub Value);

impl Claims {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    fn text(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }

    pub fn issuer(&self) -> Option<&str> {
        self.text("iss")
    }

    pub fn subject(&self) -> Option<&str> {
        self.text("sub")
    }

    /// `aud` is a string or an array of strings (RFC 7519 §4.1.3).
    pub fn audiences(&self) -> Vec<String> {
        match self.0.get("aud") {
            Some(Value::String(audience)) => vec![audience.clone()],
            Some(Value::Array(audiences)) => audiences
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        }
    }

    fn time(&self, name: &str) -> Option<SystemTime> {
        let seconds = self.0.get(name)?;
        let seconds = seconds
            .as_u64()
            .or_else(|| seconds.as_f64().filter(|s| *s >= 0.0).map(|s| s as u64))?;
        UNIX_EPOCH.checked_add(Duration::from_secs(seconds))
    }

    pub fn expires_at(&self) -> Option<SystemTime> {
        self.time("exp")
    }

    pub fn not_before(&self) -> Option<SystemTime> {
        self.time("nbf")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rsa_signing_key::RsaSigningKey;
    use serde_json::json;

    fn set_of(keys: &[&RsaSigningKey]) -> JwkSet {
        let document = json!({"keys": keys.iter().map(|key| key.jwk()).collect::<Vec<_>>()});
        jwk_set(document.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn a_signed_token_verifies_with_its_key_and_no_other() {
        let key = RsaSigningKey::generate().unwrap();
        let other = RsaSigningKey::generate().unwrap();
        let token = key
            .sign(&json!({"iss": "https://a", "aud": "x", "exp": 1}), false)
            .unwrap();
        let verified = verify(&token, &set_of(&[&key])).unwrap();
        assert_eq!(verified.claims.issuer(), Some("https://a"));
        assert_eq!(verified.claims.audiences(), ["x"]);
        assert_eq!(verified.header.typ, None);
        let elsewhere = verify(&token, &set_of(&[&other])).unwrap_err();
        assert_eq!(elsewhere, VerifyError::KidNotFound(key.kid().to_string()));
        assert_eq!(
            verify("a.b", &set_of(&[&key])).unwrap_err(),
            VerifyError::Malformed
        );
    }

    #[test]
    fn unreadable_keys_are_skipped() {
        let key = RsaSigningKey::generate().unwrap();
        let document = json!({"keys": [{"kty": "nope"}, key.jwk()]});
        assert_eq!(
            jwk_set(document.to_string().as_bytes()).unwrap().keys.len(),
            1
        );
        assert!(jwk_set(b"[]").is_none());
    }
}
