//! Service-account keys, JWKS and tokens end to end: kids against kube-apiserver's test vector and
//! openssl, JWKs, signatures made by jsonwebtoken and p521, and no panics on hostile input.
//! Every key used here is a test-only fixture (tests/fixtures/keys/README.md).

use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use kwif::oidc::jwks::{JwkSet, jwks_document};
use kwif::oidc::jwt::{Jwt, VerifyError};
use kwif::oidc::key::{
    KeyError, KeyFileError, KeyType, ServiceAccountKey, load_key_files, parse_pem_keys,
};
use p521::ecdsa::signature::Signer as _;
use p521::pkcs8::DecodePrivateKey as _;
use proptest::prelude::*;
use serde_json::{Value, json};

const KEYID_VECTOR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/kubernetes/keyid-vector.json"
);

// Expected kids, computed with openssl 3.0 from the fixtures:
//   openssl pkey [-pubin] -in FILE -pubout -outform DER \
//     | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '='
const RSA_2048_KID: &str = "mT1HL_E_cyM0otZkH6I-t2l5qFTyceFzn0L7N0hCaN0";
const RSA_2048_OTHER_KID: &str = "z-anGrawlfv86U9NYzv72XrZ-igNidcIe31SGK3R0ic";
const RSA_3000_KID: &str = "-jarp3NLwpy6z4UE0yEP20UQ28EvNd_HIAcfYAdWRvI";
const P256_KID: &str = "4E1ToxxEM0OvMHj36NncYO7FjD2RuiOkSPje-3QFdjw";
const P256_WITH_PARAMS_KID: &str = "tWkfSZdaBTV7smA3xYT9vZhkYjboWzZr8rMM3oB8zKU";
const P256_LEADING_ZERO_KID: &str = "6IPsGbySIK2lQqjTfNfqfFsffg8MATlpa-x-3W1wO5Q";
const P384_KID: &str = "Gik6Zlp_G3BjJdvTkHQgQ0LEPglq0uN1NyN3ixADN74";
const P521_KID: &str = "Ly30UWyaQa-f8m68ZhkITeweK1dyLQB77DgE0LU4YQs";

fn fixture_path(name: &str) -> PathBuf {
    crate::support::fixture_path(&format!("keys/{name}"))
}

fn fixture(name: &str) -> String {
    crate::support::fixture(&format!("keys/{name}"))
}

fn keys_of(name: &str) -> Vec<ServiceAccountKey> {
    parse_pem_keys(&fixture(name)).unwrap_or_else(|error| panic!("{name}: {error}"))
}

fn kid_of(name: &str) -> String {
    let keys = keys_of(name);
    assert_eq!(keys.len(), 1, "{name}");
    keys[0].kid().to_owned()
}

fn error_of(name: &str) -> KeyError {
    parse_pem_keys(&fixture(name)).unwrap_err()
}

fn jwk_set(names: &[&str]) -> JwkSet {
    let keys: Vec<ServiceAccountKey> = names.iter().flat_map(|name| keys_of(name)).collect();
    JwkSet::parse(&serde_json::to_vec(&jwks_document(&keys)).unwrap()).unwrap()
}

// ---- kid ------------------------------------------------------------------------------------

#[test]
fn kid_matches_kube_apiserver_test_vector_in_pkix_and_pkcs1() {
    let vector: Value =
        serde_json::from_str(&std::fs::read_to_string(KEYID_VECTOR).unwrap()).unwrap();
    let pem = vector["public_key_pem"].as_str().unwrap();
    let expected = vector["expected_kid"].as_str().unwrap();
    assert_eq!(parse_pem_keys(pem).unwrap()[0].kid(), expected);
    assert_eq!(kid_of("keyid-vector.pkcs1.pub.pem"), expected);
}

#[test]
fn every_form_of_one_key_gives_the_kid_openssl_computes() {
    let forms = [
        (
            RSA_2048_KID,
            &[
                "rsa-2048.pkcs1.key",
                "rsa-2048.pkcs8.key",
                "rsa-2048.pub.pem",
                "rsa-2048.pkcs1.pub.pem",
            ][..],
        ),
        (RSA_3000_KID, &["rsa-3000.pkcs8.key", "rsa-3000.pub.pem"]),
        (
            P256_KID,
            &["ec-p256.sec1.key", "ec-p256.pkcs8.key", "ec-p256.pub.pem"],
        ),
        (
            P384_KID,
            &["ec-p384.sec1.key", "ec-p384.pkcs8.key", "ec-p384.pub.pem"],
        ),
        (
            P521_KID,
            &["ec-p521.sec1.key", "ec-p521.pkcs8.key", "ec-p521.pub.pem"],
        ),
        (P256_LEADING_ZERO_KID, &["ec-p256-leading-zero.pub.pem"]),
        (RSA_2048_OTHER_KID, &["rsa-2048-other.pkcs1.key"]),
    ];
    for (expected, names) in forms {
        for name in names {
            assert_eq!(kid_of(name), expected, "{name}");
        }
    }
}

#[test]
fn alg_follows_the_key_type() {
    let algs: Vec<&str> = [
        "rsa-3000.pub.pem",
        "ec-p256.pub.pem",
        "ec-p384.pub.pem",
        "ec-p521.pub.pem",
    ]
    .iter()
    .map(|name| keys_of(name)[0].alg())
    .collect();
    assert_eq!(algs, ["RS256", "ES256", "ES384", "ES512"]);
}

#[test]
fn a_file_may_hold_several_keys_in_order() {
    let kids: Vec<String> = keys_of("multi.pem")
        .iter()
        .map(|key| key.kid().to_owned())
        .collect();
    assert_eq!(kids, [RSA_2048_KID, P256_WITH_PARAMS_KID, P384_KID]);
}

// ---- JWK ------------------------------------------------------------------------------------

#[test]
fn rsa_jwk_has_azure_member_order_and_unsigned_modulus() {
    let jwk = keys_of("rsa-2048.pkcs1.key")[0].to_jwk();
    let members: Vec<&str> = jwk
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(members, ["use", "kty", "kid", "alg", "n", "e"]);
    assert_eq!(jwk["use"], "sig");
    assert_eq!(jwk["kty"], "RSA");
    assert_eq!(jwk["kid"], RSA_2048_KID);
    assert_eq!(jwk["alg"], "RS256");
    assert_eq!(jwk["e"], "AQAB");
    // openssl rsa -pubin -in rsa-2048.pub.pem -modulus -noout | cut -d= -f2 | xxd -r -p | base64url
    assert_eq!(
        jwk["n"],
        "4IIRCkv3RZt83vnaGA8a9zf9k9VL-5YkqX65ALS4HOVXQHgGwr3RBCXVsd8YDFhBcD_9vwX506frWgoz6hoLZtachnfcSKWtQuw1U8OE_3qfgK6lObKYs9HlMMjTwtNNjBibHWRWvvb2af0Vquod3pQ73OaKVq5YgUhptztXjDcMWVF3jhURFuARIPizI6v53VpUEvUjV-PBsiEnBu9Yd0NbFATTnBwinMXMu3zNBN5tHMMZA8HNw82zPWv7WvpDS_ww2aJa86QJecHX2pVxWb5nzzAhzb5QKF2VruaUWkuwn-LM1Rpqdo5NaJFE1TrF0sOxvM4JUrJ4zdZgSmDlKw"
    );
}

#[test]
fn ec_jwk_coordinates_are_full_length() {
    for (name, crv, len) in [
        ("ec-p256.sec1.key", "P-256", 32),
        ("ec-p384.sec1.key", "P-384", 48),
        ("ec-p521.sec1.key", "P-521", 66),
    ] {
        let jwk = keys_of(name)[0].to_jwk();
        let members: Vec<&str> = jwk
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(members, ["use", "kty", "kid", "alg", "crv", "x", "y"]);
        assert_eq!(jwk["crv"], crv);
        for coordinate in ["x", "y"] {
            let bytes = URL_SAFE_NO_PAD
                .decode(jwk[coordinate].as_str().unwrap())
                .unwrap();
            assert_eq!(bytes.len(), len, "{name} {coordinate}");
        }
    }
    // openssl pkey -pubin -in ec-p521.pub.pem -outform DER | tail -c 132 | head -c 66 | base64url
    let p521 = keys_of("ec-p521.pub.pem")[0].to_jwk();
    assert_eq!(
        p521["x"],
        "AXX7H8jf-pCqlVoh6rTp-AK-_o1NFqbAiBOVBmRNM6uE4vzFZOfUqlATxNPYhG8R974a5OTLBIhVjhMBA8P0ABT2"
    );
    // The point of ec-p256-leading-zero.pub.pem is 04 00 24 94 dc …: x keeps its zero byte.
    let leading_zero = keys_of("ec-p256-leading-zero.pub.pem")[0].to_jwk();
    assert_eq!(
        leading_zero["x"],
        "ACSU3C0fyMOM_aEp41DLts4NxpHoLS5wi59sKXfuRrg"
    );
}

#[test]
fn jwks_document_round_trips_kids_through_parse() {
    let names = [
        "rsa-2048.pub.pem",
        "ec-p256.pub.pem",
        "ec-p384.pub.pem",
        "ec-p521.pub.pem",
        "rsa-3000.pub.pem",
    ];
    let set = jwk_set(&names);
    assert_eq!(
        set.kids(),
        [RSA_2048_KID, P256_KID, P384_KID, P521_KID, RSA_3000_KID]
    );
    let types: Vec<KeyType> = set
        .keys()
        .iter()
        .map(kwif::oidc::jwks::PublishedKey::key_type)
        .collect();
    assert_eq!(
        types,
        [
            KeyType::Rsa,
            KeyType::P256,
            KeyType::P384,
            KeyType::P521,
            KeyType::Rsa
        ]
    );
    assert!(set.has_rs256_key());
    assert!(!jwk_set(&["ec-p256.pub.pem"]).has_rs256_key());
}

// ---- key errors -----------------------------------------------------------------------------

#[test]
fn other_curves_are_refused_like_kubernetes() {
    for name in [
        "ec-secp256k1.sec1.key",
        "ec-secp256k1.pkcs8.key",
        "ec-secp256k1.pub.pem",
    ] {
        let error = error_of(name);
        assert!(
            matches!(error, KeyError::UnknownCurve { .. }),
            "{name}: {error:?}"
        );
        assert!(
            error
                .to_string()
                .ends_with("unknown curve, must be P-256, P-384 or P-521")
        );
    }
}

#[test]
fn a_certificate_says_how_to_extract_its_key() {
    let error = error_of("self-signed.crt");
    assert_eq!(error, KeyError::Certificate { block: 1 });
    assert!(
        error
            .to_string()
            .contains("openssl x509 -in FILE -pubkey -noout")
    );
}

#[test]
fn encrypted_keys_are_refused() {
    for name in [
        "rsa-2048.encrypted.pkcs8.key",
        "rsa-2048.encrypted.pkcs1.key",
    ] {
        assert!(
            matches!(error_of(name), KeyError::Encrypted { block: 1, .. }),
            "{name}"
        );
    }
    let message = error_of("rsa-2048.encrypted.pkcs8.key").to_string();
    assert!(
        message.contains("(ENCRYPTED PRIVATE KEY) is encrypted"),
        "{message}"
    );
}

#[test]
fn ed25519_is_not_a_key_kube_apiserver_accepts() {
    for name in ["ed25519.pkcs8.key", "ed25519.pub.pem"] {
        assert!(
            matches!(error_of(name), KeyError::UnsupportedKeyType { .. }),
            "{name}"
        );
    }
}

#[test]
fn errors_never_show_key_material() {
    let names = [
        "ec-secp256k1.sec1.key",
        "ec-secp256k1.pkcs8.key",
        "self-signed.crt",
        "rsa-2048.encrypted.pkcs1.key",
        "ed25519.pkcs8.key",
    ];
    for name in names {
        let text = fixture(name);
        let message = format!("{} {:?}", error_of(name), error_of(name));
        let body_lines = text
            .lines()
            .filter(|line| !line.starts_with("-----") && !line.contains(':'));
        for line in body_lines.filter(|line| line.len() >= 16) {
            assert!(!message.contains(&line[..16]), "{name}: {message}");
        }
    }
}

// ---- key files ------------------------------------------------------------------------------

#[test]
fn the_same_key_in_several_files_appears_once() {
    let paths = [
        "rsa-2048.pub.pem",
        "ec-p256.sec1.key",
        "rsa-2048.pkcs1.key",
        "multi.pem",
    ]
    .map(fixture_path);
    let kids: Vec<String> = load_key_files(&paths)
        .unwrap()
        .iter()
        .map(|key| key.kid().to_owned())
        .collect();
    assert_eq!(
        kids,
        [RSA_2048_KID, P256_KID, P256_WITH_PARAMS_KID, P384_KID]
    );
}

#[test]
fn a_file_that_is_not_a_key_is_named_with_what_was_found() {
    let folder = tempfile::tempdir().unwrap();
    let notes = folder.path().join("notes.txt");
    std::fs::write(&notes, "not a key\n").unwrap();
    let paths = [fixture_path("rsa-2048.pub.pem"), notes.clone()];
    let error = load_key_files(&paths).unwrap_err();
    assert!(matches!(error, KeyFileError::NotAKey { ref path, .. } if *path == notes));
    let message = error.to_string();
    assert!(
        message.starts_with(&notes.display().to_string()) && message.contains("no PEM block"),
        "{message}"
    );

    let certificate = load_key_files(&[fixture_path("self-signed.crt")])
        .unwrap_err()
        .to_string();
    assert!(
        certificate.contains("self-signed.crt") && certificate.contains("certificate"),
        "{certificate}"
    );

    let missing = folder.path().join("missing.pem");
    let error = load_key_files(&[missing]).unwrap_err();
    assert!(matches!(error, KeyFileError::Unreadable { .. }));
    assert!(error.to_string().contains("missing.pem"));
}

// ---- tokens ---------------------------------------------------------------------------------

fn segment(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

fn claims(subject: &str) -> Value {
    json!({
        "aud": ["api://AzureADTokenExchange"],
        "exp": 1_900_000_000,
        "iss": "https://oidc.example.com/cluster/",
        "sub": format!("system:serviceaccount:default:{subject}"),
    })
}

/// A token with `header`, `claims` and the signature of `signer` over `header.claims`.
fn token(header: &Value, claims: &Value, signer: &dyn Fn(&[u8]) -> String) -> String {
    let signing_input = format!("{}.{}", segment(header), segment(claims));
    let signature = signer(signing_input.as_bytes());
    format!("{signing_input}.{signature}\n")
}

/// A signer with jsonwebtoken, which signs RS256, ES256 and ES384.
fn jsonwebtoken_signer(name: &str, algorithm: Algorithm) -> impl Fn(&[u8]) -> String {
    let pem = fixture(name);
    let key = match algorithm {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(pem.as_bytes()),
        _ => EncodingKey::from_ec_pem(pem.as_bytes()),
    }
    .unwrap();
    move |message| jsonwebtoken::crypto::sign(message, &key, algorithm).unwrap()
}

/// An ES512 signer with p521: a JWS ECDSA signature is raw r ‖ s (132 bytes), not DER.
fn es512_signer() -> impl Fn(&[u8]) -> String {
    let key = p521::ecdsa::SigningKey::from_pkcs8_pem(&fixture("ec-p521.pkcs8.key")).unwrap();
    move |message| {
        let signature: p521::ecdsa::Signature = key.sign(message);
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    }
}

/// Signs a JWS signing input and returns the base64url signature.
type Signer = Box<dyn Fn(&[u8]) -> String>;

struct Case {
    alg: &'static str,
    kid: &'static str,
    public_key: &'static str,
    signer: Signer,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            alg: "RS256",
            kid: RSA_2048_KID,
            public_key: "rsa-2048.pub.pem",
            signer: Box::new(jsonwebtoken_signer("rsa-2048.pkcs1.key", Algorithm::RS256)),
        },
        Case {
            alg: "ES256",
            kid: P256_KID,
            public_key: "ec-p256.pub.pem",
            signer: Box::new(jsonwebtoken_signer("ec-p256.pkcs8.key", Algorithm::ES256)),
        },
        Case {
            alg: "ES384",
            kid: P384_KID,
            public_key: "ec-p384.pub.pem",
            signer: Box::new(jsonwebtoken_signer("ec-p384.pkcs8.key", Algorithm::ES384)),
        },
        Case {
            alg: "ES512",
            kid: P521_KID,
            public_key: "ec-p521.pub.pem",
            signer: Box::new(es512_signer()),
        },
    ]
}

#[test]
fn tokens_signed_by_each_key_type_verify_with_the_published_key() {
    let everything = jwk_set(&[
        "rsa-2048.pub.pem",
        "ec-p256.pub.pem",
        "ec-p384.pub.pem",
        "ec-p521.pub.pem",
    ]);
    for case in cases() {
        let header = json!({ "alg": case.alg, "kid": case.kid });
        let jwt = Jwt::parse(&token(&header, &claims("app"), &*case.signer)).unwrap();
        let key = jwt
            .verify(&everything)
            .unwrap_or_else(|error| panic!("{}: {error}", case.alg));
        assert_eq!(key.kid(), Some(case.kid));
        let alone = jwk_set(&[case.public_key]);
        let without_kid = Jwt::parse(&token(
            &json!({ "alg": case.alg }),
            &claims("app"),
            &*case.signer,
        ))
        .unwrap();
        assert!(
            without_kid.verify(&alone).is_ok(),
            "{} without kid",
            case.alg
        );
    }
}

#[test]
fn a_key_missing_from_the_jwks_is_kid_not_found() {
    let only_p384 = jwk_set(&["ec-p384.pub.pem"]);
    for case in cases().into_iter().filter(|case| case.alg != "ES384") {
        let header = json!({ "alg": case.alg, "kid": case.kid });
        let jwt = Jwt::parse(&token(&header, &claims("app"), &*case.signer)).unwrap();
        assert_eq!(
            jwt.verify(&only_p384).unwrap_err(),
            VerifyError::KidNotFound {
                kid: case.kid.into()
            }
        );
    }
}

#[test]
fn a_changed_payload_byte_breaks_the_signature() {
    let everything = jwk_set(&[
        "rsa-2048.pub.pem",
        "ec-p256.pub.pem",
        "ec-p384.pub.pem",
        "ec-p521.pub.pem",
    ]);
    for case in cases() {
        let header = json!({ "alg": case.alg, "kid": case.kid });
        let signed = token(&header, &claims("app"), &*case.signer);
        let signature = signed.trim().rsplit('.').next().unwrap();
        let tampered = format!(
            "{}.{}.{signature}",
            segment(&header),
            segment(&claims("apq"))
        );
        let error = Jwt::parse(&tampered)
            .unwrap()
            .verify(&everything)
            .unwrap_err();
        assert_eq!(
            error,
            VerifyError::SignatureInvalid {
                kid: Some(case.kid.into())
            },
            "{}",
            case.alg
        );
    }
}

#[test]
fn another_key_under_the_same_kid_is_signature_invalid() {
    let mut document = jwks_document(&keys_of("rsa-2048-other.pkcs1.key"));
    document["keys"][0]["kid"] = json!(RSA_2048_KID);
    let impostor = JwkSet::parse(&serde_json::to_vec(&document).unwrap()).unwrap();
    let case = cases().into_iter().next().unwrap();
    let jwt = Jwt::parse(&token(
        &json!({ "alg": "RS256", "kid": RSA_2048_KID }),
        &claims("app"),
        &*case.signer,
    ))
    .unwrap();
    assert!(matches!(
        jwt.verify(&impostor),
        Err(VerifyError::SignatureInvalid { .. })
    ));
}

#[test]
fn alg_none_and_a_wrong_key_type_are_refused() {
    let everything = jwk_set(&["rsa-2048.pub.pem", "ec-p256.pub.pem"]);
    let none = Jwt::parse(&format!(
        "{}.{}.",
        segment(&json!({ "alg": "none", "kid": RSA_2048_KID })),
        segment(&claims("app"))
    ))
    .unwrap();
    assert_eq!(
        none.verify(&everything).unwrap_err(),
        VerifyError::AlgorithmUnsupported { alg: "none".into() }
    );

    let es256 = cases().into_iter().nth(1).unwrap();
    let header = json!({ "alg": "ES256", "kid": RSA_2048_KID });
    let mismatched = Jwt::parse(&token(&header, &claims("app"), &*es256.signer)).unwrap();
    assert!(matches!(
        mismatched.verify(&everything),
        Err(VerifyError::AlgorithmMismatch {
            key_type: KeyType::Rsa,
            ..
        })
    ));
}

// ---- no panics on outside input -------------------------------------------------------------

fn pem_label() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "PUBLIC KEY",
        "RSA PUBLIC KEY",
        "RSA PRIVATE KEY",
        "PRIVATE KEY",
        "EC PRIVATE KEY",
        "CERTIFICATE",
        "EC PARAMETERS",
    ])
}

fn base64url_segment() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<u8>(), 0..96).prop_map(|bytes| URL_SAFE_NO_PAD.encode(bytes))
}

/// Random bytes, often exactly as long as a P-256, P-384 or P-521 coordinate.
fn coordinate() -> impl Strategy<Value = String> {
    prop_oneof![Just(32usize), Just(48), Just(66), 0..80usize]
        .prop_flat_map(|len| prop::collection::vec(any::<u8>(), len))
        .prop_map(|bytes| URL_SAFE_NO_PAD.encode(bytes))
}

/// A JWK built from random members, so the key checks past JSON parsing are reached.
fn random_jwk() -> impl Strategy<Value = Value> {
    let kty = prop::sample::select(vec!["RSA", "EC", "oct", "OKP"]);
    let crv = prop::sample::select(vec!["P-256", "P-384", "P-521", "X25519"]);
    let n =
        prop::collection::vec(any::<u8>(), 0..600).prop_map(|bytes| URL_SAFE_NO_PAD.encode(bytes));
    (kty, crv, n, base64url_segment(), coordinate(), coordinate()).prop_map(
        |(kty, crv, n, e, x, y)| json!({ "kty": kty, "crv": crv, "n": n, "e": e, "x": x, "y": y }),
    )
}

proptest! {
    #[test]
    fn parse_pem_keys_never_panics_on_text(text in ".*") {
        let _ = parse_pem_keys(&text);
    }

    #[test]
    fn parse_pem_keys_never_panics_on_bytes_in_a_key_frame(label in pem_label(), bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let body = base64::engine::general_purpose::STANDARD.encode(&bytes);
        let text = format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n");
        prop_assert!(parse_pem_keys(&text).is_err());
    }

    #[test]
    fn jwk_set_parse_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = JwkSet::parse(&bytes);
        let _ = JwkSet::parse_skipping_bad_keys(&bytes);
    }

    #[test]
    fn jwk_set_parse_never_panics_on_random_keys(keys in prop::collection::vec(random_jwk(), 0..4)) {
        let body = serde_json::to_vec(&json!({ "keys": keys })).unwrap();
        let _ = JwkSet::parse(&body);
    }

    #[test]
    fn jwt_parse_never_panics_on_text(text in ".*") {
        let _ = Jwt::parse(&text);
    }

    #[test]
    fn jwt_parse_and_verify_never_panic_on_base64url_segments(segments in prop::collection::vec(base64url_segment(), 0..5)) {
        let jwks = jwk_set(&["rsa-2048.pub.pem", "ec-p521.pub.pem"]);
        if let Ok(jwt) = Jwt::parse(&segments.join(".")) {
            let _ = (jwt.verify(&jwks), jwt.audiences(), jwt.expires_at(), format!("{jwt:?}"));
        }
    }

    #[test]
    fn random_signatures_never_verify(alg in prop::sample::select(vec!["RS256", "ES256", "ES384", "ES512"]), signature in base64url_segment()) {
        let jwks = jwk_set(&["rsa-2048.pub.pem", "ec-p256.pub.pem", "ec-p384.pub.pem", "ec-p521.pub.pem"]);
        let text = format!("{}.{}.{signature}", segment(&json!({ "alg": alg })), segment(&claims("app")));
        let jwt = Jwt::parse(&text).unwrap();
        prop_assert!(jwt.verify(&jwks).is_err());
    }
}
