//! Service-account tokens (JWS compact JWTs): parsing, claim accessors and signature checks
//! against a JWKS. Checks the signature only; issuer, audience and time are the doctor's job.
//! A token is a credential: nothing here prints its text or signature.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::input::nesting::{MAX_NESTING, check_json};
use crate::oidc::jwks::{JwkSet, PublishedKey};
use crate::oidc::key::{KeyType, printable};

/// Why a text is not a JWT. Messages never contain the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("the token is empty")]
    Empty,
    #[error("expected three parts separated by '.', found {found}")]
    PartCount { found: usize },
    #[error("the header is not base64url JSON")]
    Header,
    #[error("the header is not a JSON object")]
    HeaderNotObject,
    #[error("the header has no \"alg\" string")]
    NoAlg,
    #[error("the header's \"{member}\" is not a string")]
    HeaderMemberNotString { member: &'static str },
    #[error("the claims are not base64url JSON")]
    Claims,
    #[error("the claims are not a JSON object")]
    ClaimsNotObject,
    #[error("the signature is not base64url")]
    Signature,
    #[error(
        "the {part} nest deeper than {MAX_NESTING} levels; a service-account token's nest 3: pass the \
         token the cluster minted"
    )]
    TooDeep { part: &'static str },
}

/// Why a token's signature does not check out against a JWKS.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the JWKS has no key with kid \"{kid}\"")]
    KidNotFound { kid: String },
    #[error("the token has no kid and the JWKS has no single key that fits its alg")]
    NoKid,
    #[error(
        "the token is signed with {alg} but its key is {key_type} with alg {}",
        key_alg.as_deref().unwrap_or("unset")
    )]
    AlgorithmMismatch {
        alg: String,
        key_type: KeyType,
        key_alg: Option<String>,
    },
    #[error(
        "the token's alg \"{alg}\" is not supported; kube-apiserver signs with RS256 (the one \
         Entra ID documents), ES256, ES384 or ES512"
    )]
    AlgorithmUnsupported { alg: String },
    #[error("the signature does not verify with key {}", kid.as_deref().unwrap_or("(no kid)"))]
    SignatureInvalid { kid: Option<String> },
}

/// The JOSE header of a token.
#[derive(Clone, Debug, PartialEq)]
pub struct JwtHeader {
    /// The JWS algorithm, such as `RS256`.
    pub alg: String,
    /// The signing key's id; kube-apiserver sets it since 1.16.
    pub kid: Option<String>,
    pub typ: Option<String>,
    /// Every header member, `alg` and `kid` included.
    pub members: Map<String, Value>,
}

impl JwtHeader {
    pub fn alg(&self) -> &str {
        &self.alg
    }

    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    pub fn typ(&self) -> Option<&str> {
        self.typ.as_deref()
    }

    /// Every header member, `alg` and `kid` included.
    pub fn members(&self) -> &Map<String, Value> {
        &self.members
    }

    fn from_members(members: Map<String, Value>) -> Result<JwtHeader, JwtError> {
        let alg = match members.get("alg") {
            Some(Value::String(alg)) => alg.clone(),
            _ => return Err(JwtError::NoAlg),
        };
        Ok(JwtHeader {
            alg,
            kid: header_string(&members, "kid")?,
            typ: header_string(&members, "typ")?,
            members,
        })
    }
}

/// A parsed JWS compact token. The signature and raw text stay private and out of `Debug`.
#[derive(Clone)]
pub struct Jwt {
    header: JwtHeader,
    claims: Map<String, Value>,
    /// `base64url(header) . base64url(claims)`, the bytes the signature covers.
    signing_input: String,
    signature: Vec<u8>,
}

impl Jwt {
    /// Parses a token, ignoring surrounding whitespace (token files end in a newline).
    pub fn parse(text: &str) -> Result<Jwt, JwtError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(JwtError::Empty);
        }
        let parts: Vec<&str> = text.split('.').collect();
        let [header, claims, signature] = parts.as_slice() else {
            return Err(JwtError::PartCount { found: parts.len() });
        };
        let header = json_object(
            header,
            "header",
            JwtError::Header,
            JwtError::HeaderNotObject,
        )?;
        let claims_map = json_object(
            claims,
            "claims",
            JwtError::Claims,
            JwtError::ClaimsNotObject,
        )?;
        Ok(Jwt {
            header: JwtHeader::from_members(header)?,
            claims: claims_map,
            signing_input: text
                .rsplit_once('.')
                .map(|(signed, _)| signed.to_owned())
                .unwrap_or_default(),
            signature: URL_SAFE_NO_PAD
                .decode(signature)
                .map_err(|_| JwtError::Signature)?,
        })
    }

    pub fn header(&self) -> &JwtHeader {
        &self.header
    }

    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// `iss`; Entra compares it byte for byte with the federated credential's issuer.
    pub fn issuer(&self) -> Option<&str> {
        self.claims.get("iss").and_then(Value::as_str)
    }

    /// `sub`, `system:serviceaccount:<namespace>:<name>` for a service-account token.
    pub fn subject(&self) -> Option<&str> {
        self.claims.get("sub").and_then(Value::as_str)
    }

    /// `aud`, which RFC 7519 §4.1.3 allows as one string or an array of strings.
    pub fn audiences(&self) -> Vec<String> {
        match self.claims.get("aud") {
            Some(Value::String(audience)) => vec![audience.clone()],
            Some(Value::Array(audiences)) => audiences
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        }
    }

    pub fn expires_at(&self) -> Option<SystemTime> {
        self.numeric_date("exp")
    }

    pub fn not_before(&self) -> Option<SystemTime> {
        self.numeric_date("nbf")
    }

    pub fn issued_at(&self) -> Option<SystemTime> {
        self.numeric_date("iat")
    }

    /// A time claim (`exp`, `nbf`, `iat`) as a date a person can read, or why it is not one;
    /// `None` when the token does not carry the claim.
    pub fn date_claim(&self, claim: &str) -> Option<DateClaim> {
        self.claims.get(claim).map(DateClaim::of)
    }

    /// Checks the signature with the JWKS key the token names. Signature only: no issuer,
    /// audience or time checks.
    pub fn verify<'k>(&self, jwks: &'k JwkSet) -> Result<&'k PublishedKey, VerifyError> {
        let alg = self.header.alg.as_str();
        if KeyType::for_alg(alg).is_none() {
            return Err(VerifyError::AlgorithmUnsupported {
                alg: printable(alg, 32),
            });
        }
        let key = self.signing_key(jwks)?;
        if !key.fits(alg) {
            return Err(VerifyError::AlgorithmMismatch {
                alg: alg.to_owned(),
                key_type: key.key_type(),
                key_alg: key.alg().map(|key_alg| printable(key_alg, 32)),
            });
        }
        match key.verifies(self.signing_input.as_bytes(), &self.signature) {
            true => Ok(key),
            false => Err(VerifyError::SignatureInvalid {
                kid: key.kid().map(|kid| printable(kid, 64)),
            }),
        }
    }

    /// The key named by `kid`; without a `kid`, the set's only key, or its only key that fits.
    fn signing_key<'k>(&self, jwks: &'k JwkSet) -> Result<&'k PublishedKey, VerifyError> {
        if let Some(kid) = self.header.kid.as_deref() {
            return jwks.find(kid).ok_or_else(|| VerifyError::KidNotFound {
                kid: printable(kid, 64),
            });
        }
        if let [only] = jwks.keys() {
            return Ok(only);
        }
        let mut fitting = jwks.keys().iter().filter(|key| key.fits(&self.header.alg));
        match (fitting.next(), fitting.next()) {
            (Some(key), None) => Ok(key),
            _ => Err(VerifyError::NoKid),
        }
    }

    fn numeric_date(&self, claim: &str) -> Option<SystemTime> {
        self.claims.get(claim).and_then(numeric_date)
    }
}

impl fmt::Debug for Jwt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jwt")
            .field("header", &self.header)
            .field("claims", &self.claims)
            .finish_non_exhaustive()
    }
}

/// The last second an RFC 3339 date can write: 9999-12-31T23:59:59Z. Token times are outside
/// data; one beyond it (or before 1970) is reported, never formatted (humantime panics on it).
pub const LATEST_DATE_SECONDS: u64 = 253_402_300_799;

/// A token's time claim as kwif reads it for people: a date between 1970 and 9999, or the
/// reason it is not one. No real service-account token carries anything but a date.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DateClaim {
    /// A date from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
    Date(SystemTime),
    /// A negative NumericDate: before 1970-01-01.
    BeforeEpoch,
    /// After 9999-12-31T23:59:59Z.
    AfterYear9999,
    /// Not a JSON number.
    NotANumber,
}

impl DateClaim {
    fn of(value: &Value) -> DateClaim {
        let Some(seconds) = value.as_f64() else {
            return DateClaim::NotANumber;
        };
        if seconds < 0.0 {
            return DateClaim::BeforeEpoch;
        }
        // The fraction of the last second still writes as 9999-12-31T23:59:59Z.
        if seconds >= (LATEST_DATE_SECONDS + 1) as f64 {
            return DateClaim::AfterYear9999;
        }
        match Duration::try_from_secs_f64(seconds)
            .ok()
            .and_then(|offset| UNIX_EPOCH.checked_add(offset))
        {
            Some(time) => DateClaim::Date(time),
            None => DateClaim::AfterYear9999,
        }
    }

    /// Why the claim is not a date, for messages; `None` for a date.
    pub fn problem(&self) -> Option<&'static str> {
        match self {
            DateClaim::Date(_) => None,
            DateClaim::BeforeEpoch => Some("is before 1970-01-01, which no real token carries"),
            DateClaim::AfterYear9999 => Some("is after the year 9999, which no real token carries"),
            DateClaim::NotANumber => {
                Some("is not a number of seconds since 1970 (RFC 7519 NumericDate)")
            }
        }
    }
}

/// `2027-01-15T09:00:00Z`; a time outside 1970–9999, which humantime cannot write (it panics),
/// is said to be before or after that range.
pub fn rfc3339(time: SystemTime) -> String {
    let latest = UNIX_EPOCH + Duration::from_secs(LATEST_DATE_SECONDS);
    if time < UNIX_EPOCH {
        "before 1970-01-01".to_string()
    } else if time > latest {
        "after 9999-12-31".to_string()
    } else {
        humantime::format_rfc3339_seconds(time).to_string()
    }
}

/// A NumericDate (RFC 7519 §2): seconds since the epoch, possibly fractional or negative. Values
/// a `SystemTime` cannot hold give `None`.
fn numeric_date(value: &Value) -> Option<SystemTime> {
    let seconds = value.as_f64()?;
    let offset = Duration::try_from_secs_f64(seconds.abs()).ok()?;
    match seconds.is_sign_negative() {
        true => UNIX_EPOCH.checked_sub(offset),
        false => UNIX_EPOCH.checked_add(offset),
    }
}

fn json_object(
    segment: &str,
    part: &'static str,
    not_json: JwtError,
    not_object: JwtError,
) -> Result<Map<String, Value>, JwtError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| not_json.clone())?;
    check_json(&bytes).map_err(|_| JwtError::TooDeep { part })?;
    match serde_json::from_slice(&bytes).map_err(|_| not_json)? {
        Value::Object(members) => Ok(members),
        _ => Err(not_object),
    }
}

fn header_string(
    members: &Map<String, Value>,
    member: &'static str,
) -> Result<Option<String>, JwtError> {
    match members.get(member) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(JwtError::HeaderMemberNotString { member }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn segment(value: &Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
    }

    fn token(header: Value, claims: Value) -> String {
        format!("{}.{}.c2lnbmF0dXJl", segment(&header), segment(&claims))
    }

    #[test]
    fn parse_trims_the_newline_of_a_token_file() {
        let text = token(
            json!({ "alg": "RS256", "kid": "k" }),
            json!({ "iss": "https://i" }),
        );
        let jwt = Jwt::parse(&format!("{text}\n")).unwrap();
        assert_eq!(jwt.header().alg(), "RS256");
        assert_eq!(jwt.header().kid(), Some("k"));
        assert_eq!(jwt.header().typ, None);
        assert_eq!(jwt.issuer(), Some("https://i"));
    }

    #[test]
    fn errors_say_which_part_is_bad_and_never_hold_the_token() {
        let good = segment(&json!({ "alg": "RS256" }));
        let cases = [
            ("", "the token is empty"),
            ("a.b", "expected three parts separated by '.', found 2"),
            (
                "a.b.c.d.e",
                "expected three parts separated by '.', found 5",
            ),
            ("not+base64.e30.", "the header is not base64url JSON"),
            ("bm90IGpzb24.e30.", "the header is not base64url JSON"),
            ("WzFd.e30.", "the header is not a JSON object"),
            ("e30.e30.", "the header has no \"alg\" string"),
        ];
        for (text, message) in cases {
            assert_eq!(Jwt::parse(text).unwrap_err().to_string(), message);
        }
        let secret_claims = "c2VjcmV0LWNsYWltcw";
        let error = Jwt::parse(&format!("{good}.{secret_claims}.")).unwrap_err();
        assert_eq!(error.to_string(), "the claims are not base64url JSON");
        let error = Jwt::parse(&format!("{good}.e30.%%%")).unwrap_err();
        assert_eq!(error.to_string(), "the signature is not base64url");
        let kid = segment(&json!({ "alg": "RS256", "kid": 1 }));
        assert_eq!(
            Jwt::parse(&format!("{kid}.e30.")).unwrap_err().to_string(),
            "the header's \"kid\" is not a string"
        );
    }

    #[test]
    fn claims_nested_deeper_than_any_token_are_refused_before_parsing() {
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
        let text = format!(
            "{}.{}.",
            segment(&json!({ "alg": "RS256" })),
            URL_SAFE_NO_PAD.encode(deep)
        );
        assert_eq!(
            Jwt::parse(&text).unwrap_err().to_string(),
            "the claims nest deeper than 64 levels; a service-account token's nest 3: pass the token \
             the cluster minted"
        );
    }

    #[test]
    fn debug_omits_the_signature_and_raw_text() {
        let text = token(json!({ "alg": "RS256" }), json!({ "sub": "s" }));
        let shown = format!("{:?}", Jwt::parse(&text).unwrap());
        assert!(shown.contains("\"sub\""));
        assert!(!shown.contains("c2lnbmF0dXJl") && !shown.contains("signature"));
        assert!(!shown.contains(&text[..10]));
    }

    #[test]
    fn audiences_may_be_a_string_or_an_array() {
        let one = Jwt::parse(&token(json!({ "alg": "RS256" }), json!({ "aud": "a" }))).unwrap();
        assert_eq!(one.audiences(), ["a"]);
        let many = json!({ "aud": ["a", 1, "b"] });
        let many = Jwt::parse(&token(json!({ "alg": "RS256" }), many)).unwrap();
        assert_eq!(many.audiences(), ["a", "b"]);
    }

    #[test]
    fn numeric_dates_may_be_floats_and_never_panic() {
        let claims = json!({ "exp": 1700000000.5, "nbf": -1, "iat": 1e300 });
        let jwt = Jwt::parse(&token(json!({ "alg": "RS256" }), claims)).unwrap();
        assert_eq!(
            jwt.expires_at(),
            UNIX_EPOCH.checked_add(Duration::from_millis(1_700_000_000_500))
        );
        assert_eq!(
            jwt.not_before(),
            UNIX_EPOCH.checked_sub(Duration::from_secs(1))
        );
        assert_eq!(jwt.issued_at(), None);
        for huge in [
            json!(u64::MAX),
            json!(i64::MIN),
            json!(-1e300),
            json!("1700000000"),
        ] {
            let jwt = Jwt::parse(&token(json!({ "alg": "RS256" }), json!({ "exp": huge })));
            let _ = jwt.unwrap().expires_at();
        }
    }

    #[test]
    fn date_claims_say_why_a_time_is_not_a_date() {
        let claims = json!({
            "exp": 253_402_300_799_u64, "nbf": -1, "iat": 253_402_300_800_u64,
            "a": 0, "b": "1700000000", "c": 1e300, "d": -0.5, "e": 253_402_300_799.9,
        });
        let jwt = Jwt::parse(&token(json!({ "alg": "RS256" }), claims)).unwrap();
        let latest = UNIX_EPOCH + Duration::from_secs(LATEST_DATE_SECONDS);
        assert_eq!(jwt.date_claim("exp"), Some(DateClaim::Date(latest)));
        assert_eq!(jwt.date_claim("nbf"), Some(DateClaim::BeforeEpoch));
        assert_eq!(jwt.date_claim("iat"), Some(DateClaim::AfterYear9999));
        assert_eq!(jwt.date_claim("a"), Some(DateClaim::Date(UNIX_EPOCH)));
        assert_eq!(jwt.date_claim("b"), Some(DateClaim::NotANumber));
        assert_eq!(jwt.date_claim("c"), Some(DateClaim::AfterYear9999));
        assert_eq!(jwt.date_claim("d"), Some(DateClaim::BeforeEpoch));
        assert!(matches!(jwt.date_claim("e"), Some(DateClaim::Date(_))));
        assert_eq!(jwt.date_claim("missing"), None);
        assert_eq!(rfc3339(latest), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339(latest + Duration::from_secs(1)), "after 9999-12-31");
        assert_eq!(
            rfc3339(UNIX_EPOCH - Duration::from_secs(1)),
            "before 1970-01-01"
        );
    }

    proptest::proptest! {
        /// Any number a token may carry as a time is a date that formats, or a reason.
        #[test]
        fn every_number_is_a_formattable_date_or_a_reason(seconds in proptest::num::f64::ANY) {
            let jwt = Jwt::parse(&token(json!({ "alg": "RS256" }), json!({ "exp": seconds }))).unwrap();
            match jwt.date_claim("exp") {
                Some(DateClaim::Date(time)) => {
                    let shown = rfc3339(time);
                    proptest::prop_assert!(!shown.starts_with("before") && !shown.starts_with("after"));
                }
                Some(other) => proptest::prop_assert!(other.problem().is_some()),
                None => proptest::prop_assert!(false, "the claim is there"),
            }
        }
    }

    #[test]
    fn unsupported_algorithms_are_refused_before_any_key_is_used() {
        for alg in ["none", "HS256", "PS256", "RS384"] {
            let jwt = Jwt::parse(&token(json!({ "alg": alg }), json!({}))).unwrap();
            assert_eq!(
                jwt.verify(&JwkSet::default()).unwrap_err(),
                VerifyError::AlgorithmUnsupported { alg: alg.into() }
            );
        }
        let jwt = Jwt::parse(&token(json!({ "alg": "RS256" }), json!({}))).unwrap();
        assert_eq!(
            jwt.verify(&JwkSet::default()).unwrap_err(),
            VerifyError::NoKid
        );
    }
}
