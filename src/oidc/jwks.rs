//! JWK sets: the document `kwif jwks` prints for service-account keys, and the parsing of a
//! published JWKS, which is untrusted input: it must never panic, and errors name the key at fault.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use p521::ecdsa::signature::Verifier as _;
use serde_json::{Map, Value, json};

use crate::input::nesting::{MAX_NESTING, check_json};
use crate::oidc::key::{
    KeyType, RSA_SIZE_FIX, RSA_SIZE_RULE, ServiceAccountKey, printable, rsa_size_outside_the_rule,
};

/// The JWKS document for service-account keys: `{"keys":[…]}`, as kube-apiserver serves it at
/// `/openid/v1/jwks`.
pub fn jwks_document(keys: &[ServiceAccountKey]) -> Value {
    json!({ "keys": keys.iter().map(ServiceAccountKey::to_jwk).collect::<Vec<_>>() })
}

/// Why a published JWKS cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwksError {
    #[error("the JWKS is not JSON")]
    NotJson,
    #[error("the JWKS nests deeper than {MAX_NESTING} levels; a JWK set nests 3")]
    TooDeep,
    #[error("the JWKS is not a JSON object with a \"keys\" array")]
    NoKeysArray,
    #[error("{}", describe(*index, problem))]
    Key { index: usize, problem: JwkProblem },
}

/// What is wrong with one key of a JWKS; `JwksError::Key` says which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwkProblem {
    NotAnObject,
    Missing {
        member: &'static str,
    },
    NotAString {
        member: &'static str,
    },
    NotBase64Url {
        member: &'static str,
    },
    /// A private JWK: `d` is published for everyone to read.
    PrivateKeyPublished,
    /// `use` is present and is not `sig`.
    NotForSignatures {
        key_use: String,
    },
    /// `oct` (a shared secret) or a `kty` kwif does not read, such as `OKP`.
    KeyTypeUnsupported {
        kty: String,
    },
    CurveUnsupported {
        crv: String,
    },
    /// An EC coordinate that is not full length (RFC 7518 §6.2.1.2; the P-521 pitfall).
    CoordinateLength {
        member: &'static str,
        crv: &'static str,
        expected: usize,
        found: usize,
    },
    PointNotOnCurve {
        crv: &'static str,
    },
    RsaKeyInvalid,
    /// An RSA key outside kwif's size rule ([`crate::oidc::key::RSA_MIN_BITS`] to
    /// [`crate::oidc::key::RSA_MAX_BITS`]), with its size.
    RsaKeySize {
        bits: usize,
    },
}

impl JwksError {
    /// The fix for this error: a key of the wrong size needs a new key, anything else the
    /// cluster's keys published again.
    pub fn fix(&self) -> &'static str {
        match self {
            JwksError::Key {
                problem: JwkProblem::RsaKeySize { .. },
                ..
            } => RSA_SIZE_FIX,
            _ => {
                "publish the cluster's keys as a JWK set: `kubectl get --raw /openid/v1/jwks` or `kwif jwks --key sa.pub`"
            }
        }
    }
}

fn describe(index: usize, problem: &JwkProblem) -> String {
    let at = format!("keys[{index}]");
    match problem {
        JwkProblem::NotAnObject => format!("{at} is not a JSON object"),
        JwkProblem::Missing { member } => format!("{at} has no \"{member}\""),
        JwkProblem::NotAString { member } => format!("{at}.{member} is not a string"),
        JwkProblem::NotBase64Url { member } => format!("{at}.{member} is not base64url"),
        JwkProblem::PrivateKeyPublished => format!(
            "{at} holds private key material (\"d\"); remove it from the published JWKS and \
             replace the key"
        ),
        JwkProblem::NotForSignatures { key_use } => {
            format!("{at}: use \"{key_use}\" is not \"sig\"")
        }
        JwkProblem::KeyTypeUnsupported { kty } if kty == "oct" => {
            format!("{at}: kty \"oct\" is not a public signing key")
        }
        JwkProblem::KeyTypeUnsupported { kty } => {
            format!("{at}: kty \"{kty}\" is not supported; kube-apiserver publishes RSA or EC keys")
        }
        JwkProblem::CurveUnsupported { crv } => {
            format!("{at}: crv \"{crv}\" is not P-256, P-384 or P-521")
        }
        JwkProblem::CoordinateLength {
            member,
            crv,
            expected,
            found,
        } => format!(
            "{at}.{member} is {found} bytes; {crv} needs {expected} (left-padded with zeros)"
        ),
        JwkProblem::PointNotOnCurve { crv } => format!("{at}: x, y is not a point on {crv}"),
        JwkProblem::RsaKeyInvalid => format!(
            "{at}: n and e are not a usable RSA public key (1024 to 8192 bits, odd n, e ≥ 3)"
        ),
        JwkProblem::RsaKeySize { bits } => {
            format!("{at} is an RSA key of {bits} bits; {RSA_SIZE_RULE}")
        }
    }
}

/// A published JWK set. Parsed strictly by [`JwkSet::parse`]: one bad key fails the document, so
/// the doctor can name it. Microsoft.IdentityModel (Entra) skips keys it cannot read
/// (`JsonWebKeySet.SkipUnresolvedJsonWebKeys`, default true) and RFC 7517 §5 says unknown `kty`
/// SHOULD be ignored; [`JwkSet::parse_skipping_bad_keys`] does that and reports what it skipped.
#[derive(Clone, Debug, Default)]
pub struct JwkSet {
    keys: Vec<PublishedKey>,
}

impl JwkSet {
    /// Parses a JWKS; any key that is not a usable public signing key is an error.
    pub fn parse(body: &[u8]) -> Result<JwkSet, JwksError> {
        let keys = key_entries(body)?
            .iter()
            .enumerate()
            .map(|(index, entry)| {
                PublishedKey::from_jwk(entry).map_err(|problem| JwksError::Key { index, problem })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(JwkSet { keys })
    }

    /// Parses a JWKS keeping the good keys, as Entra does; returns the errors of the keys skipped.
    pub fn parse_skipping_bad_keys(body: &[u8]) -> Result<(JwkSet, Vec<JwksError>), JwksError> {
        let mut set = JwkSet::default();
        let mut skipped = Vec::new();
        for (index, entry) in key_entries(body)?.iter().enumerate() {
            match PublishedKey::from_jwk(entry) {
                Ok(key) => set.keys.push(key),
                Err(problem) => skipped.push(JwksError::Key { index, problem }),
            }
        }
        Ok((set, skipped))
    }

    pub fn keys(&self) -> &[PublishedKey] {
        &self.keys
    }

    /// The first key with this `kid`.
    pub fn find(&self, kid: &str) -> Option<&PublishedKey> {
        self.keys.iter().find(|key| key.kid() == Some(kid))
    }

    /// The `kid`s of the keys that have one, in order.
    pub fn kids(&self) -> Vec<&str> {
        self.keys.iter().filter_map(PublishedKey::kid).collect()
    }

    /// Whether some key can verify RS256, the one algorithm OIDC requires and Entra documents:
    /// an RSA key whose `alg` is absent or `RS256`.
    pub fn has_rs256_key(&self) -> bool {
        self.keys.iter().any(|key| key.fits("RS256"))
    }
}

fn key_entries(body: &[u8]) -> Result<Vec<Value>, JwksError> {
    check_json(body).map_err(|_| JwksError::TooDeep)?;
    let document: Value = serde_json::from_slice(body).map_err(|_| JwksError::NotJson)?;
    match document {
        Value::Object(mut members) => match members.remove("keys") {
            Some(Value::Array(entries)) => Ok(entries),
            _ => Err(JwksError::NoKeysArray),
        },
        _ => Err(JwksError::NoKeysArray),
    }
}

/// One key of a published JWKS, able to verify JWS signatures.
#[derive(Clone)]
pub struct PublishedKey {
    kid: Option<String>,
    alg: Option<String>,
    key_type: KeyType,
    verifier: SignatureVerifier,
}

/// jsonwebtoken verifies RS256, ES256 and ES384; it has no ES512, so P-521 keys use p521's ECDSA.
#[derive(Clone)]
enum SignatureVerifier {
    Jsonwebtoken(DecodingKey),
    P521(p521::ecdsa::VerifyingKey),
}

impl PublishedKey {
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The key's declared `alg`, if any.
    pub fn alg(&self) -> Option<&str> {
        self.alg.as_deref()
    }

    /// `RSA` or `EC`.
    pub fn kty(&self) -> &'static str {
        self.key_type.kty()
    }

    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// Whether this key may verify a token signed with JWS `alg`: the key type signs with that
    /// algorithm and the key's `alg`, when present, is the same.
    pub fn fits(&self, alg: &str) -> bool {
        KeyType::for_alg(alg) == Some(self.key_type) && self.alg.as_deref().is_none_or(|a| a == alg)
    }

    /// Checks a JWS signature over `signing_input` (`header.payload`) with this key's algorithm.
    pub(crate) fn verifies(&self, signing_input: &[u8], signature: &[u8]) -> bool {
        match (&self.verifier, jsonwebtoken_algorithm(self.key_type)) {
            (SignatureVerifier::Jsonwebtoken(key), Some(algorithm)) => {
                let signature = URL_SAFE_NO_PAD.encode(signature);
                jsonwebtoken::crypto::verify(&signature, signing_input, key, algorithm)
                    .unwrap_or(false)
            }
            (SignatureVerifier::P521(key), _) => p521::ecdsa::Signature::from_slice(signature)
                .and_then(|signature| key.verify(signing_input, &signature))
                .is_ok(),
            (SignatureVerifier::Jsonwebtoken(_), None) => false,
        }
    }

    fn from_jwk(entry: &Value) -> Result<PublishedKey, JwkProblem> {
        let jwk = entry.as_object().ok_or(JwkProblem::NotAnObject)?;
        if jwk.contains_key("d") {
            return Err(JwkProblem::PrivateKeyPublished);
        }
        let kid = optional_string(jwk, "kid")?;
        let alg = optional_string(jwk, "alg")?;
        if let Some(key_use) = optional_string(jwk, "use")?.filter(|key_use| key_use != "sig") {
            return Err(JwkProblem::NotForSignatures {
                key_use: printable(&key_use, 32),
            });
        }
        let (key_type, verifier) = match required_string(jwk, "kty")? {
            "RSA" => (KeyType::Rsa, rsa_verifier(jwk)?),
            "EC" => ec_verifier(jwk)?,
            other => {
                return Err(JwkProblem::KeyTypeUnsupported {
                    kty: printable(other, 32),
                });
            }
        };
        Ok(PublishedKey {
            kid,
            alg,
            key_type,
            verifier,
        })
    }
}

impl fmt::Debug for PublishedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublishedKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("key_type", &self.key_type)
            .finish_non_exhaustive()
    }
}

fn jsonwebtoken_algorithm(key_type: KeyType) -> Option<Algorithm> {
    match key_type {
        KeyType::Rsa => Some(Algorithm::RS256),
        KeyType::P256 => Some(Algorithm::ES256),
        KeyType::P384 => Some(Algorithm::ES384),
        KeyType::P521 => None,
    }
}

/// Longest RSA modulus accepted, in bytes (rsa's limit of 8192 bits); checked before any
/// arithmetic so a hostile JWKS cannot make kwif work on huge numbers.
const RSA_MAX_MODULUS_BYTES: usize = 8192 / 8;

fn rsa_verifier(jwk: &Map<String, Value>) -> Result<SignatureVerifier, JwkProblem> {
    let n = base64url_member(jwk, "n")?;
    let e = base64url_member(jwk, "e")?;
    let n = n.strip_prefix(&[0]).unwrap_or(&n);
    if n.is_empty() || e.is_empty() || e.len() > 8 {
        return Err(JwkProblem::RsaKeyInvalid);
    }
    // The same size rule as for PEM keys, checked on the bytes before any arithmetic.
    if let Some(bits) = rsa_size_outside_the_rule(n) {
        return Err(JwkProblem::RsaKeySize { bits });
    }
    if n.len() > RSA_MAX_MODULUS_BYTES {
        return Err(JwkProblem::RsaKeyInvalid);
    }
    rsa::PublicKey::new(
        rsa::BoxedUint::from_be_slice_vartime(n),
        rsa::BoxedUint::from_be_slice_vartime(&e),
    )
    .map_err(|_| JwkProblem::RsaKeyInvalid)?;
    Ok(SignatureVerifier::Jsonwebtoken(
        DecodingKey::from_rsa_raw_components(n, &e),
    ))
}

fn ec_verifier(jwk: &Map<String, Value>) -> Result<(KeyType, SignatureVerifier), JwkProblem> {
    let crv = required_string(jwk, "crv")?;
    let (key_type, crv, len) = KeyType::for_crv(crv)
        .and_then(|key_type| Some((key_type, key_type.crv()?, key_type.coordinate_len()?)))
        .ok_or_else(|| JwkProblem::CurveUnsupported {
            crv: printable(crv, 32),
        })?;
    let x = coordinate(jwk, "x", crv, len)?;
    let y = coordinate(jwk, "y", crv, len)?;
    let point = [&[0x04], x.as_slice(), y.as_slice()].concat();
    let verifier = match key_type {
        KeyType::P256 if p256::PublicKey::from_sec1_bytes(&point).is_ok() => {
            jsonwebtoken_ec_key(&x, &y, crv)
        }
        KeyType::P384 if p384::PublicKey::from_sec1_bytes(&point).is_ok() => {
            jsonwebtoken_ec_key(&x, &y, crv)
        }
        KeyType::P521 => p521::ecdsa::VerifyingKey::from_sec1_bytes(&point)
            .map(SignatureVerifier::P521)
            .map_err(|_| JwkProblem::PointNotOnCurve { crv }),
        // Not on the curve; `for_crv` never yields RSA.
        _ => Err(JwkProblem::PointNotOnCurve { crv }),
    };
    verifier.map(|verifier| (key_type, verifier))
}

/// A full-length EC coordinate (RFC 7518 §6.2.1.2).
fn coordinate(
    jwk: &Map<String, Value>,
    member: &'static str,
    crv: &'static str,
    expected: usize,
) -> Result<Vec<u8>, JwkProblem> {
    let coordinate = base64url_member(jwk, member)?;
    match coordinate.len() == expected {
        true => Ok(coordinate),
        false => Err(JwkProblem::CoordinateLength {
            member,
            crv,
            expected,
            found: coordinate.len(),
        }),
    }
}

fn jsonwebtoken_ec_key(
    x: &[u8],
    y: &[u8],
    crv: &'static str,
) -> Result<SignatureVerifier, JwkProblem> {
    DecodingKey::from_ec_components(&URL_SAFE_NO_PAD.encode(x), &URL_SAFE_NO_PAD.encode(y))
        .map(SignatureVerifier::Jsonwebtoken)
        .map_err(|_| JwkProblem::PointNotOnCurve { crv })
}

fn optional_string(
    jwk: &Map<String, Value>,
    member: &'static str,
) -> Result<Option<String>, JwkProblem> {
    match jwk.get(member) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(JwkProblem::NotAString { member }),
    }
}

fn required_string<'a>(
    jwk: &'a Map<String, Value>,
    member: &'static str,
) -> Result<&'a str, JwkProblem> {
    match jwk.get(member) {
        None => Err(JwkProblem::Missing { member }),
        Some(Value::String(text)) => Ok(text),
        Some(_) => Err(JwkProblem::NotAString { member }),
    }
}

fn base64url_member(jwk: &Map<String, Value>, member: &'static str) -> Result<Vec<u8>, JwkProblem> {
    URL_SAFE_NO_PAD
        .decode(required_string(jwk, member)?)
        .map_err(|_| JwkProblem::NotBase64Url { member })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Leading bytes of a real RSA 2048 modulus and P-256 point (tests/fixtures/keys).
    const N: &str = "4IIRCkv3RZt83vnaGA8a9zf9k9VL-5YkqX65ALS4HOVXQHgGwr3RBCXVsd8YDFhBcD_9vwX506frWgoz6hoLZtachnfcSKWtQuw1U8OE_3qfgK6lObKYs9HlMMjTwtNNjBibHWRWvvb2af0Vquod3pQ73OaKVq5YgUhptztXjDcMWVF3jhURFuARIPizI6v53VpUEvUjV-PBsiEnBu9Yd0NbFATTnBwinMXMu3zNBN5tHMMZA8HNw82zPWv7WvpDS_ww2aJa86QJecHX2pVxWb5nzzAhzb5QKF2VruaUWkuwn-LM1Rpqdo5NaJFE1TrF0sOxvM4JUrJ4zdZgSmDlKw";

    fn rsa_jwk(extra: Value) -> Value {
        let mut jwk = json!({ "kty": "RSA", "kid": "a", "n": N, "e": "AQAB" });
        if let (Some(jwk), Value::Object(extra)) = (jwk.as_object_mut(), extra) {
            jwk.extend(extra);
        }
        jwk
    }

    fn error_of(keys: Value) -> String {
        let body = serde_json::to_vec(&json!({ "keys": keys })).unwrap();
        JwkSet::parse(&body).unwrap_err().to_string()
    }

    #[test]
    fn the_document_must_be_an_object_with_a_keys_array() {
        assert_eq!(JwkSet::parse(b"<html>").unwrap_err(), JwksError::NotJson);
        for body in [&b"[]"[..], b"{}", b"{\"keys\":{}}", b"null"] {
            assert_eq!(JwkSet::parse(body).unwrap_err(), JwksError::NoKeysArray);
        }
        assert!(JwkSet::parse(b"{\"keys\":[]}").unwrap().keys().is_empty());
        let deep = format!("{{\"keys\":{}{}}}", "[".repeat(70), "]".repeat(70));
        assert_eq!(
            JwkSet::parse(deep.as_bytes()).unwrap_err(),
            JwksError::TooDeep
        );
    }

    #[test]
    fn errors_name_the_key_and_the_member() {
        let oct = json!({ "kty": "oct", "k": "c2VjcmV0" });
        assert_eq!(
            error_of(json!([rsa_jwk(json!({})), oct])),
            "keys[1]: kty \"oct\" is not a public signing key"
        );
        assert_eq!(
            error_of(json!([rsa_jwk(json!({ "n": "a+b/" }))])),
            "keys[0].n is not base64url"
        );
        assert_eq!(
            error_of(json!([rsa_jwk(json!({ "kid": 7 }))])),
            "keys[0].kid is not a string"
        );
        assert_eq!(error_of(json!(["RSA"])), "keys[0] is not a JSON object");
        assert_eq!(error_of(json!([{ "n": N }])), "keys[0] has no \"kty\"");
        assert_eq!(
            error_of(json!([rsa_jwk(json!({ "use": "enc" }))])),
            "keys[0]: use \"enc\" is not \"sig\""
        );
    }

    #[test]
    fn a_published_private_key_is_reported_without_its_value() {
        let message = error_of(json!([rsa_jwk(json!({ "d": "c2VjcmV0LWV4cG9uZW50" }))]));
        assert!(message.starts_with("keys[0] holds private key material"));
        assert!(!message.contains("c2VjcmV0"));
    }

    #[test]
    fn rsa_keys_must_be_usable() {
        for (n, e) in [("", "AQAB"), (N, ""), ("AA", "AQAB"), (N, "AQ")] {
            assert!(
                error_of(json!([rsa_jwk(json!({ "n": n, "e": e }))])).contains("not a usable RSA"),
                "n={n:.8} e={e}"
            );
        }
    }

    #[test]
    fn rsa_keys_outside_1024_to_8192_bits_are_named_by_their_size() {
        let rule = "kube-apiserver and kwif accept 1024 to 8192 bits";
        for (modulus, bits) in [
            ([&[0xc1u8][..], &[0xff; 63]].concat(), 512),
            (vec![0x7f; 128], 1023),
            ([&[0x01u8][..], &[0xff; 1024]].concat(), 8193),
            ([&[0u8][..], &[0xff; 64]].concat(), 512),
        ] {
            let n = URL_SAFE_NO_PAD.encode(&modulus);
            let body =
                serde_json::to_vec(&json!({ "keys": [rsa_jwk(json!({ "n": n }))] })).unwrap();
            let error = JwkSet::parse(&body).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!("keys[0] is an RSA key of {bits} bits; {rule}")
            );
            assert!(error.fix().contains("openssl genrsa"));
        }
        assert!(JwksError::NotJson.fix().contains("kubectl get --raw"));
    }

    #[test]
    fn ec_coordinates_must_be_full_length_and_on_the_curve() {
        let short = URL_SAFE_NO_PAD.encode([1u8; 65]);
        let full = URL_SAFE_NO_PAD.encode([1u8; 66]);
        let p521 = json!({ "kty": "EC", "crv": "P-521", "x": short, "y": full });
        assert_eq!(
            error_of(json!([p521])),
            "keys[0].x is 65 bytes; P-521 needs 66 (left-padded with zeros)"
        );
        let off_curve = json!({ "kty": "EC", "crv": "P-521", "x": full, "y": full });
        assert_eq!(
            error_of(json!([off_curve])),
            "keys[0]: x, y is not a point on P-521"
        );
        let secp256k1 = json!({ "kty": "EC", "crv": "secp256k1", "x": "AA", "y": "AA" });
        assert_eq!(
            error_of(json!([secp256k1])),
            "keys[0]: crv \"secp256k1\" is not P-256, P-384 or P-521"
        );
    }

    #[test]
    fn lenient_parse_keeps_good_keys_and_reports_the_rest() {
        let body =
            json!({ "keys": [{ "kty": "OKP", "crv": "Ed25519", "x": "AA" }, rsa_jwk(json!({}))] });
        let (set, skipped) =
            JwkSet::parse_skipping_bad_keys(&serde_json::to_vec(&body).unwrap()).unwrap();
        assert_eq!(set.kids(), ["a"]);
        assert_eq!(
            skipped.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["keys[0]: kty \"OKP\" is not supported; kube-apiserver publishes RSA or EC keys"]
        );
    }

    #[test]
    fn rs256_needs_an_rsa_key_whose_alg_is_absent_or_rs256() {
        let set = |alg: Value| {
            let body = json!({ "keys": [rsa_jwk(json!({ "alg": alg }))] });
            JwkSet::parse(&serde_json::to_vec(&body).unwrap()).unwrap()
        };
        assert!(set(json!("RS256")).has_rs256_key());
        assert!(!set(json!("PS256")).has_rs256_key());
        let absent = json!({ "keys": [rsa_jwk(json!({}))] });
        let absent = JwkSet::parse(&serde_json::to_vec(&absent).unwrap()).unwrap();
        assert!(absent.has_rs256_key());
        assert_eq!(absent.find("a").map(PublishedKey::kty), Some("RSA"));
        assert!(absent.find("b").is_none());
    }
}
