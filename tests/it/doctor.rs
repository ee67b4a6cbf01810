//! `kwif doctor` against a real nginx with real TLS (test CA and certificates from rcgen):
//! every finding code of DESIGN.md, the exit codes, and both output formats.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::support::{Kwif, Nginx, Run, Site, SiteSpec};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

const ISSUER_PATH: &str = "/cluster1";
const RSA_KEY: &str = "tests/fixtures/keys/rsa-2048.pkcs1.key";
const OTHER_RSA_KEY: &str = "tests/fixtures/keys/rsa-2048-other.pkcs1.key";
const EC_KEY: &str = "tests/fixtures/keys/ec-p256.pkcs8.key";

fn fixture(path: &str) -> String {
    std::fs::read_to_string(path).unwrap()
}

fn key(path: &str) -> kwif::oidc::key::ServiceAccountKey {
    kwif::oidc::key::parse_pem_keys(&fixture(path))
        .unwrap()
        .remove(0)
}

fn jwks_of(paths: &[&str]) -> String {
    let keys: Vec<_> = paths.iter().map(|path| key(path)).collect();
    kwif::oidc::jwks::jwks_document(&keys).to_string()
}

fn discovery_for(issuer: &str, jwks_uri: &str) -> Value {
    json!({
        "issuer": issuer,
        "jwks_uri": jwks_uri,
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    })
}

/// Publishes a correct discovery document and JWKS for `{origin}/cluster1` on `site`.
fn publish_good(site: &Site) -> String {
    let issuer = format!("{}{ISSUER_PATH}", site.origin());
    let jwks_uri = format!("{issuer}/openid/v1/jwks");
    site.put(
        "cluster1/.well-known/openid-configuration",
        &discovery_for(&issuer, &jwks_uri).to_string(),
    );
    site.put("cluster1/openid/v1/jwks", &jwks_of(&[RSA_KEY]));
    issuer
}

fn doctor(nginx: &Nginx, issuer: &str, extra: &[&str]) -> Run {
    Kwif::new()
        .args([
            "doctor",
            "--issuer",
            issuer,
            "--ca-file",
            &nginx.ca_file(),
            "--output",
            "json",
        ])
        .args(extra)
        .run()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn claims(issuer: &str) -> Value {
    json!({
        "iss": issuer,
        "sub": "system:serviceaccount:application1:application1-sa",
        "aud": ["api://AzureADTokenExchange"],
        "iat": now() - 60,
        "nbf": now() - 60,
        "exp": now() + 3600,
    })
}

fn sign(claims: &Value, key_path: &str, kid: &str, algorithm: Algorithm) -> String {
    let mut header = Header::new(algorithm);
    header.kid = Some(kid.to_string());
    let pem = fixture(key_path);
    let key = match algorithm {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
        _ => EncodingKey::from_ec_pem(pem.as_bytes()).unwrap(),
    };
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

fn token_file(token: &str) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), format!("{token}\n")).unwrap();
    file
}

fn doctor_with_token(nginx: &Nginx, issuer: &str, token: &str) -> Run {
    let file = token_file(token);
    doctor(nginx, issuer, &["--token", file.path().to_str().unwrap()])
}

fn errors(run: &Run) -> Vec<String> {
    let value = run.json();
    value["steps"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_correct_hosting_passes_with_only_the_loopback_warning() {
    let nginx = Nginx::start(vec![SiteSpec::json()]);
    let issuer = publish_good(nginx.site(0));
    let run = doctor(&nginx, &issuer, &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.codes(), ["ISSUER_PRIVATE_ADDRESS"]);
    assert_eq!(run.json()["steps"][0]["id"], "hosting");
    assert_eq!(run.json()["steps"][0]["status"], "ok");
}

#[test]
fn a_valid_token_signed_by_the_published_key_passes() {
    let nginx = Nginx::start(vec![SiteSpec::json()]);
    let issuer = publish_good(nginx.site(0));
    let token = sign(
        &claims(&issuer),
        RSA_KEY,
        key(RSA_KEY).kid(),
        Algorithm::RS256,
    );
    let run = doctor_with_token(&nginx, &issuer, &token);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(errors(&run).is_empty());
    assert!(
        !run.stdout.contains(&token),
        "the token must never be printed"
    );
}

#[test]
fn documents_served_as_text_plain() {
    let nginx = Nginx::start(vec![SiteSpec::with_type("text/plain")]);
    let issuer = publish_good(nginx.site(0));
    let run = doctor(&nginx, &issuer, &[]);
    assert_eq!(
        run.codes(),
        [
            "ISSUER_PRIVATE_ADDRESS",
            "DISCOVERY_CONTENT_TYPE",
            "JWKS_CONTENT_TYPE"
        ]
    );
    let finding = run.finding("DISCOVERY_CONTENT_TYPE");
    assert_eq!(finding["severity"], "warning");
    assert!(finding["message"].as_str().unwrap().contains("text/plain"));
    assert!(
        finding["fix"]
            .as_str()
            .unwrap()
            .contains("default_type application/json")
    );
    assert_eq!(run.code, 0, "content type alone is a warning");
}

#[test]
fn discovery_document_hosted_at_well_known_oidc_configuration() {
    let nginx = Nginx::start(vec![SiteSpec::with_type("text/plain")]);
    let site = nginx.site(0);
    let issuer = publish_good(site);
    std::fs::rename(
        site.root.join("cluster1/.well-known/openid-configuration"),
        site.root.join("cluster1/.well-known/oidc-configuration"),
    )
    .unwrap();
    let run = doctor(&nginx, &issuer, &[]);
    assert_eq!(run.code, 1);
    let finding = run.finding("DISCOVERY_HTTP_STATUS");
    let expected_url = format!("{issuer}/.well-known/openid-configuration");
    assert!(
        finding["message"].as_str().unwrap().contains(&expected_url),
        "{finding}"
    );
    assert!(finding["message"].as_str().unwrap().contains("404"));
    assert_eq!(
        finding["fix"],
        format!(
            "the discovery URL is {expected_url}, you serve {issuer}/.well-known/oidc-configuration: move it there"
        )
    );
    // The near-miss document is still examined, so the story's second problem shows in the same run.
    assert!(run.codes().contains(&"DISCOVERY_CONTENT_TYPE".to_string()));
}

#[test]
fn discovery_document_missing_well_known_is_found_as_a_near_miss() {
    let nginx = Nginx::start(vec![SiteSpec::json()]);
    let site = nginx.site(0);
    let issuer = publish_good(site);
    std::fs::rename(
        site.root.join("cluster1/.well-known/openid-configuration"),
        site.root.join("cluster1/openid-configuration"),
    )
    .unwrap();
    let run = doctor(&nginx, &issuer, &[]);
    assert!(
        run.finding("DISCOVERY_HTTP_STATUS")["fix"]
            .as_str()
            .unwrap()
            .contains("/cluster1/openid-configuration")
    );
}

#[test]
fn missing_discovery_document_names_the_url_fetched() {
    let nginx = Nginx::start(vec![SiteSpec::json()]);
    let issuer = format!("{}/nothing-here/", nginx.site(0).origin());
    let run = doctor(&nginx, &issuer, &[]);
    assert_eq!(errors(&run), ["DISCOVERY_HTTP_STATUS"]);
    let finding = run.finding("DISCOVERY_HTTP_STATUS");
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("/nothing-here/.well-known/openid-configuration answered 404")
    );
    assert!(finding["fix"].as_str().unwrap().contains("kwif discovery"));
}

#[test]
fn http_issuer_is_rejected_without_fetching() {
    let run = Kwif::new()
        .args([
            "doctor",
            "--issuer",
            "http://127.0.0.1:9/x",
            "--output",
            "json",
        ])
        .run();
    assert_eq!(run.code, 1);
    assert_eq!(run.codes(), ["ISSUER_NOT_HTTPS"]);
}

#[test]
fn issuer_with_query_or_fragment_is_an_error() {
    let run = Kwif::new()
        .args([
            "doctor",
            "--issuer",
            "https://127.0.0.1:9/x?tenant=1",
            "--output",
            "json",
        ])
        .run();
    assert_eq!(run.codes(), ["ISSUER_QUERY_OR_FRAGMENT"]);
    assert_eq!(run.code, 1);
}

#[test]
fn issuer_with_whitespace_is_an_error_and_the_rest_is_still_checked() {
    let nginx = Nginx::start(vec![SiteSpec::json()]);
    let issuer = publish_good(nginx.site(0));
    let run = doctor(&nginx, &format!(" {issuer}"), &[]);
    assert_eq!(errors(&run), ["ISSUER_WHITESPACE"]);
    assert!(run.codes().contains(&"ISSUER_PRIVATE_ADDRESS".to_string()));
}

#[test]
fn unreachable_host_is_reported() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let run = Kwif::new()
        .args([
            "doctor",
            "--issuer",
            &format!("https://127.0.0.1:{port}/x"),
            "--output",
            "json",
        ])
        .run();
    assert_eq!(errors(&run), ["DISCOVERY_UNREACHABLE"]);
}

#[test]
fn untrusted_certificate_is_never_ignored() {
    let nginx = Nginx::start(vec![SiteSpec::json()]);
    let issuer = publish_good(nginx.site(0));
    let run = Kwif::new()
        .args(["doctor", "--issuer", &issuer, "--output", "json"])
        .run();
    assert_eq!(
        errors(&run),
        ["DISCOVERY_TLS"],
        "{}{}",
        run.stdout,
        run.stderr
    );
    assert!(
        run.finding("DISCOVERY_TLS")["message"]
            .as_str()
            .unwrap()
            .contains("not signed by a trusted CA")
    );
}

#[test]
fn certificate_for_another_name_is_reported() {
    let nginx = Nginx::start(vec![SiteSpec::json()]);
    publish_good(nginx.site(0));
    let issuer = format!("https://127.0.0.1:{}{ISSUER_PATH}", nginx.site(0).port);
    let run = doctor(&nginx, &issuer, &[]);
    assert_eq!(
        errors(&run),
        ["DISCOVERY_TLS"],
        "{}{}",
        run.stdout,
        run.stderr
    );
    assert!(
        run.finding("DISCOVERY_TLS")["message"]
            .as_str()
            .unwrap()
            .contains("not valid for this host name")
    );
}

#[test]
fn expired_certificate_is_reported() {
    let nginx = Nginx::start(vec![SiteSpec::expired()]);
    let issuer = publish_good(nginx.site(0));
    let run = doctor(&nginx, &issuer, &[]);
    assert_eq!(
        errors(&run),
        ["DISCOVERY_TLS"],
        "{}{}",
        run.stdout,
        run.stderr
    );
    assert!(
        run.finding("DISCOVERY_TLS")["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
}

#[test]
fn discovery_that_is_not_a_json_object_is_invalid() {
    let nginx = Nginx::start(vec![SiteSpec::json()]);
    let issuer = publish_good(nginx.site(0));
    nginx.site(0).put(
        "cluster1/.well-known/openid-configuration",
        "<html>hello</html>",
    );
    assert_eq!(
        errors(&doctor(&nginx, &issuer, &[])),
        ["DISCOVERY_INVALID_JSON"]
    );
    nginx
        .site(0)
        .put("cluster1/.well-known/openid-configuration", "[1,2]");
    assert_eq!(
        errors(&doctor(&nginx, &issuer, &[])),
        ["DISCOVERY_INVALID_JSON"]
    );
}

#[test]
fn each_missing_discovery_field_is_named() {
    let nginx = Nginx::start(vec![SiteSpec::json()]);
    let issuer = publish_good(nginx.site(0));
    let mut document = discovery_for(&issuer, &format!("{issuer}/openid/v1/jwks"));
    document
        .as_object_mut()
        .unwrap()
        .remove("subject_types_supported");
    document
        .as_object_mut()
        .unwrap()
        .remove("response_types_supported");
    nginx.site(0).put(
        "cluster1/.well-known/openid-configuration",
        &document.to_string(),
    );
    let run = doctor(&nginx, &issuer, &[]);
    assert_eq!(
        errors(&run),
        ["DISCOVERY_MISSING_FIELD", "DISCOVERY_MISSING_FIELD"]
    );
    assert!(
        run.stdout.contains("`response_types_supported`")
            && run.stdout.contains("`subject_types_supported`")
    );
}

#[test]
fn issuer_differing_by_a_trailing_slash_is_a_mismatch() {
    let nginx = Nginx::start(vec![SiteSpec::json()]);
    let issuer = publish_good(nginx.site(0));
    let run = doctor(&nginx, &format!("{issuer}/"), &[]);
    assert_eq!(errors(&run), ["DISCOVERY_ISSUER_MISMATCH"]);
    let finding = run.finding("DISCOVERY_ISSUER_MISMATCH");
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("lacks the trailing slash"),
        "{finding}"
    );
}

#[test]
fn discovery_without_rs256_is_a_warning() {
    let nginx = Nginx::start(vec![SiteSpec::json()]);
    let issuer = publish_good(nginx.site(0));
    let mut document = discovery_for(&issuer, &format!("{issuer}/openid/v1/jwks"));
    document["id_token_signing_alg_values_supported"] = json!(["ES256"]);
    nginx.site(0).put(
        "cluster1/.well-known/openid-configuration",
        &document.to_string(),
    );
    let run = doctor(&nginx, &issuer, &[]);
    assert_eq!(
        run.finding("DISCOVERY_RS256_MISSING")["severity"],
        "warning"
    );
    assert_eq!(run.code, 0);
}

fn with_jwks_uri(nginx: &Nginx, jwks_uri: &str) -> String {
    let issuer = publish_good(nginx.site(0));
    nginx.site(0).put(
        "cluster1/.well-known/openid-configuration",
        &discovery_for(&issuer, jwks_uri).to_string(),
    );
    issuer
}

#[test]
fn jwks_uri_over_http_is_an_error() {
    let nginx = Nginx::start(vec![SiteSpec::json()]);
    let issuer = with_jwks_uri(&nginx, "http://localhost/openid/v1/jwks");
    assert_eq!(
        errors(&doctor(&nginx, &issuer, &[])),
        ["JWKS_URI_NOT_HTTPS"]
    );
}

#[test]
fn unreachable_jwks_is_reported() {
    let nginx = Nginx::start(vec![SiteSpec::json()]);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let issuer = with_jwks_uri(&nginx, &format!("https://localhost:{port}/openid/v1/jwks"));
    assert_eq!(errors(&doctor(&nginx, &issuer, &[])), ["JWKS_UNREACHABLE"]);
}

#[test]
fn jwks_behind_an_expired_certificate_is_reported() {
    let nginx = Nginx::start(vec![SiteSpec::json(), SiteSpec::expired()]);
    let expired = nginx.site(1);
    expired.put("openid/v1/jwks", &jwks_of(&[RSA_KEY]));
    let issuer = with_jwks_uri(&nginx, &format!("{}/openid/v1/jwks", expired.origin()));
    assert_eq!(errors(&doctor(&nginx, &issuer, &[])), ["JWKS_TLS"]);
}

#[test]
fn missing_jwks_is_reported_with_its_url() {
    let nginx = Nginx::start(vec![SiteSpec::json()]);
    let issuer = publish_good(nginx.site(0));
    std::fs::remove_file(nginx.site(0).root.join("cluster1/openid/v1/jwks")).unwrap();
    let run = doctor(&nginx, &issuer, &[]);
    assert_eq!(errors(&run), ["JWKS_HTTP_STATUS"]);
    assert!(
        run.finding("JWKS_HTTP_STATUS")["message"]
            .as_str()
            .unwrap()
            .contains("/cluster1/openid/v1/jwks answered 404")
    );
}

#[test]
fn jwks_served_as_text_plain_is_a_warning() {
    let nginx = Nginx::start(vec![SiteSpec::json(), SiteSpec::with_type("text/plain")]);
    nginx.site(1).put("openid/v1/jwks", &jwks_of(&[RSA_KEY]));
    let issuer = with_jwks_uri(
        &nginx,
        &format!("{}/openid/v1/jwks", nginx.site(1).origin()),
    );
    let run = doctor(&nginx, &issuer, &[]);
    assert_eq!(run.finding("JWKS_CONTENT_TYPE")["severity"], "warning");
    assert!(errors(&run).is_empty());
}

#[test]
fn jwks_with_an_unusable_key_is_invalid() {
    let nginx = Nginx::start(vec![SiteSpec::json()]);
    let issuer = publish_good(nginx.site(0));
    nginx.site(0).put(
        "cluster1/openid/v1/jwks",
        r#"{"keys":[{"kty":"RSA","n":"!!","e":"AQAB"}]}"#,
    );
    assert_eq!(errors(&doctor(&nginx, &issuer, &[])), ["JWKS_INVALID"]);
    nginx.site(0).put("cluster1/openid/v1/jwks", "not json");
    assert_eq!(errors(&doctor(&nginx, &issuer, &[])), ["JWKS_INVALID"]);
}

#[test]
fn a_jwks_over_1_mib_is_reported_as_cut_at_the_limit_not_as_not_json() {
    let nginx = Nginx::start(vec![SiteSpec::json()]);
    let issuer = publish_good(nginx.site(0));
    let padding = "x".repeat(2 * 1024 * 1024);
    let big = jwks_of(&[RSA_KEY]).replacen('{', &format!("{{\"padding\":\"{padding}\","), 1);
    nginx.site(0).put("cluster1/openid/v1/jwks", &big);
    let run = doctor(&nginx, &issuer, &[]);
    assert_eq!(run.code, 1);
    let finding = run.finding("JWKS_INVALID");
    let message = finding["message"].as_str().unwrap();
    assert!(
        message.ends_with(
            "/cluster1/openid/v1/jwks is over 1 MiB, the most kwif reads: it was cut at the limit"
        ),
        "{message}"
    );
    assert!(finding["fix"].as_str().unwrap().contains("a few kilobytes"));
}

#[test]
fn jwks_without_an_rsa_key_is_a_warning() {
    let nginx = Nginx::start(vec![SiteSpec::json()]);
    let issuer = publish_good(nginx.site(0));
    nginx
        .site(0)
        .put("cluster1/openid/v1/jwks", &jwks_of(&[EC_KEY]));
    let run = doctor(&nginx, &issuer, &[]);
    assert_eq!(run.finding("JWKS_NO_RSA_KEY")["severity"], "warning");
    assert_eq!(run.code, 0);
}

#[test]
fn a_file_that_is_not_a_jwt_is_token_invalid() {
    let nginx = Nginx::start(vec![SiteSpec::json()]);
    let issuer = publish_good(nginx.site(0));
    let run = doctor_with_token(&nginx, &issuer, "this is not a token");
    assert_eq!(errors(&run), ["TOKEN_INVALID"]);
    assert!(!run.stdout.contains("this is not a token"));
}

#[test]
fn token_from_the_default_issuer_is_an_issuer_mismatch() {
    let nginx = Nginx::start(vec![SiteSpec::json()]);
    let issuer = publish_good(nginx.site(0));
    let mut claims = claims(&issuer);
    claims["iss"] = json!("https://kubernetes.default.svc.cluster.local");
    let run = doctor_with_token(
        &nginx,
        &issuer,
        &sign(&claims, RSA_KEY, key(RSA_KEY).kid(), Algorithm::RS256),
    );
    assert_eq!(errors(&run), ["TOKEN_ISSUER_MISMATCH"]);
    assert!(
        run.finding("TOKEN_ISSUER_MISMATCH")["fix"]
            .as_str()
            .unwrap()
            .contains("--service-account-issuer")
    );
}

#[test]
fn token_for_the_api_server_audience_is_an_audience_mismatch() {
    let nginx = Nginx::start(vec![SiteSpec::json()]);
    let issuer = publish_good(nginx.site(0));
    let mut claims = claims(&issuer);
    claims["aud"] = json!("https://kubernetes.default.svc");
    let run = doctor_with_token(
        &nginx,
        &issuer,
        &sign(&claims, RSA_KEY, key(RSA_KEY).kid(), Algorithm::RS256),
    );
    assert_eq!(errors(&run), ["TOKEN_AUDIENCE_MISMATCH"]);
}

#[test]
fn expired_and_not_yet_valid_tokens_show_the_skew() {
    let nginx = Nginx::start(vec![SiteSpec::json()]);
    let issuer = publish_good(nginx.site(0));
    let kid = key(RSA_KEY).kid().to_string();
    let mut expired = claims(&issuer);
    expired["exp"] = json!(now() - 7200);
    let run = doctor_with_token(
        &nginx,
        &issuer,
        &sign(&expired, RSA_KEY, &kid, Algorithm::RS256),
    );
    assert_eq!(errors(&run), ["TOKEN_EXPIRED"]);
    assert!(
        run.finding("TOKEN_EXPIRED")["message"]
            .as_str()
            .unwrap()
            .contains("expired 2h"),
        "{}",
        run.stdout
    );
    let mut early = claims(&issuer);
    early["nbf"] = json!(now() + 600);
    let run = doctor_with_token(
        &nginx,
        &issuer,
        &sign(&early, RSA_KEY, &kid, Algorithm::RS256),
    );
    assert_eq!(errors(&run), ["TOKEN_NOT_YET_VALID"]);
    assert!(
        run.finding("TOKEN_NOT_YET_VALID")["message"]
            .as_str()
            .unwrap()
            .contains("valid only in 9m")
    );
}

#[test]
fn token_signed_by_an_unpublished_key_is_kid_not_in_jwks() {
    let nginx = Nginx::start(vec![SiteSpec::json()]);
    let issuer = publish_good(nginx.site(0));
    let other = key(OTHER_RSA_KEY);
    let run = doctor_with_token(
        &nginx,
        &issuer,
        &sign(
            &claims(&issuer),
            OTHER_RSA_KEY,
            other.kid(),
            Algorithm::RS256,
        ),
    );
    assert_eq!(errors(&run), ["TOKEN_KID_NOT_IN_JWKS"]);
    assert!(
        run.finding("TOKEN_KID_NOT_IN_JWKS")["message"]
            .as_str()
            .unwrap()
            .contains(other.kid())
    );
}

#[test]
fn token_whose_kid_is_published_with_another_key_has_an_invalid_signature() {
    let nginx = Nginx::start(vec![SiteSpec::json()]);
    let issuer = publish_good(nginx.site(0));
    let published_kid = key(RSA_KEY).kid().to_string();
    let run = doctor_with_token(
        &nginx,
        &issuer,
        &sign(
            &claims(&issuer),
            OTHER_RSA_KEY,
            &published_kid,
            Algorithm::RS256,
        ),
    );
    assert_eq!(errors(&run), ["TOKEN_SIGNATURE_INVALID"]);
}

#[test]
fn es256_token_is_a_warning_but_verifies() {
    let nginx = Nginx::start(vec![SiteSpec::json()]);
    let issuer = publish_good(nginx.site(0));
    nginx
        .site(0)
        .put("cluster1/openid/v1/jwks", &jwks_of(&[RSA_KEY, EC_KEY]));
    let run = doctor_with_token(
        &nginx,
        &issuer,
        &sign(
            &claims(&issuer),
            EC_KEY,
            key(EC_KEY).kid(),
            Algorithm::ES256,
        ),
    );
    assert_eq!(run.finding("TOKEN_ALG_UNSUPPORTED")["severity"], "warning");
    assert!(errors(&run).is_empty(), "{}", run.stdout);
    assert_eq!(run.code, 0);
}

#[test]
fn text_output_groups_findings_with_one_fix_line_each() {
    let nginx = Nginx::start(vec![SiteSpec::with_type("text/plain")]);
    let issuer = publish_good(nginx.site(0));
    nginx.site(0).put("cluster1/openid/v1/jwks", "{}");
    let run = Kwif::new()
        .args(["doctor", "--issuer", &issuer, "--ca-file", &nginx.ca_file()])
        .run();
    assert_eq!(run.code, 1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines[0].starts_with("✗ error")
            && lines[0].contains("hosting")
            && lines[0].contains(&issuer),
        "{}",
        run.stdout
    );
    assert!(
        lines[1].contains("✗ error") && lines[1].contains("JWKS_INVALID"),
        "errors come first:\n{}",
        run.stdout
    );
    assert_eq!(run.stdout.matches("fix: ").count(), 4, "{}", run.stdout);
    assert!(!run.stdout.contains('\u{1b}'), "NO_COLOR turns colours off");
    assert!(
        run.stdout
            .trim_end()
            .ends_with("1 error, 3 warnings — 0 of 1 steps ok"),
        "{}",
        run.stdout
    );
}

#[test]
fn unusable_ca_file_is_bad_input() {
    let run = Kwif::new()
        .args([
            "doctor",
            "--issuer",
            "https://localhost/x",
            "--ca-file",
            "/nonexistent.pem",
        ])
        .run();
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("--ca-file /nonexistent.pem"),
        "{}",
        run.stderr
    );
    let run = Kwif::new()
        .args([
            "doctor",
            "--issuer",
            "https://localhost/x",
            "--ca-file",
            RSA_KEY,
        ])
        .run();
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no PEM CERTIFICATE"), "{}", run.stderr);
}

#[test]
fn issuer_that_is_not_a_url_is_bad_input() {
    let run = Kwif::new()
        .args(["doctor", "--issuer", "oidc.example.com"])
        .run();
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("--issuer \"oidc.example.com\" is not a URL"),
        "{}",
        run.stderr
    );
}
