//! JWTs as the tests read them, through jsonwebtoken alone: header and claims, a signature check
//! against a published JWK set, and the kids a set holds. The sandbox's own JWT code is not used.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Header, Validation};
use serde_json::Value;

/// A parsed, not yet verified, JWT.
pub struct Token {
    text: String,
    header: Header,
    claims: Value,
}

impl Token {
    pub fn parse(text: &str) -> Token {
        let header = jsonwebtoken::decode_header(text).expect("a JWS header");
        let claims = jsonwebtoken::dangerous::insecure_decode::<Value>(text)
            .expect("JSON claims")
            .claims;
        Token {
            text: text.to_string(),
            header,
            claims,
        }
    }

    pub fn kid(&self) -> Option<&str> {
        self.header.kid.as_deref()
    }

    pub fn typ(&self) -> Option<&str> {
        self.header.typ.as_deref()
    }

    pub fn claims(&self) -> &Value {
        &self.claims
    }

    pub fn issuer(&self) -> Option<&str> {
        self.claims["iss"].as_str()
    }

    pub fn subject(&self) -> Option<&str> {
        self.claims["sub"].as_str()
    }

    pub fn audiences(&self) -> Vec<String> {
        match &self.claims["aud"] {
            Value::String(one) => vec![one.clone()],
            Value::Array(many) => many
                .iter()
                .map(|a| a.as_str().unwrap().to_string())
                .collect(),
            _ => Vec::new(),
        }
    }

    fn time(&self, claim: &str) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.claims[claim].as_u64().expect(claim))
    }

    pub fn issued_at(&self) -> SystemTime {
        self.time("iat")
    }

    pub fn expires_at(&self) -> SystemTime {
        self.time("exp")
    }

    /// The signature checked with the key of `keys` the header's kid names (claims unchecked).
    /// Returns that kid.
    pub fn verify(&self, keys: &JwkSet) -> Result<String, String> {
        let kid = self.kid().ok_or("no kid")?;
        let jwk = keys.find(kid).ok_or_else(|| format!("no key {kid}"))?;
        let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
        let mut validation = Validation::new(self.header.alg);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_aud = false;
        jsonwebtoken::decode::<Value>(&self.text, &key, &validation)
            .map(|_| kid.to_string())
            .map_err(|e| e.to_string())
    }
}

/// A JWK set document.
pub fn jwk_set(document: &[u8]) -> JwkSet {
    serde_json::from_slice(document).expect("a JWK set")
}

/// The kids of a set, in order.
pub fn kids(keys: &JwkSet) -> Vec<String> {
    keys.keys
        .iter()
        .map(|key| key.common.key_id.clone().unwrap_or_default())
        .collect()
}
