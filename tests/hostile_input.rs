//! Hostile and broken input on the command line (issue 11): token times outside 1970–9999,
//! issuers that try to add a flag, keys of the wrong size, huge, endless or deeply nested files.
//! Every case ends with exit 2 (or a finding) and a message naming the field or file and the fix,
//! never a panic (exit 101).

mod support;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use support::Kwif;

/// An unsigned token with these claims (the signature is a placeholder).
fn token(claims: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"k"}"#);
    format!("{header}.{}.c2ln", URL_SAFE_NO_PAD.encode(claims))
}

fn token_file(dir: &tempfile::TempDir, claims: &str) -> String {
    let path = dir.path().join("token.jwt");
    std::fs::write(&path, token(claims)).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn token_decode_of_times_before_1970_or_after_9999_says_so_instead_of_panicking() {
    for (claims, line) in [
        (
            r#"{"exp":-1}"#,
            "exp  -1  (not a date: exp is before 1970-01-01",
        ),
        (
            r#"{"exp":253402300800}"#,
            "exp  253402300800  (not a date: exp is after the year 9999",
        ),
        (
            r#"{"nbf":-5,"iat":-7.5}"#,
            "iat  -7.5  (not a date: iat is before 1970-01-01",
        ),
    ] {
        let run = Kwif::new()
            .args(["token", "decode", "-"])
            .stdin(&token(claims))
            .run();
        assert_eq!(run.code, 0, "{claims}: {}", run.stderr);
        assert!(run.stdout.contains(line), "{claims}:\n{}", run.stdout);
    }
}

#[test]
fn doctor_reports_a_token_time_outside_1970_to_9999_as_token_invalid() {
    let dir = tempfile::tempdir().unwrap();
    for (claims, claim) in [
        (r#"{"exp":-1}"#, "exp"),
        (r#"{"exp":4000000000,"nbf":253402300800}"#, "nbf"),
    ] {
        // An http issuer is not fetched: the run stays offline and still checks the token.
        let run = Kwif::new()
            .args(["doctor", "--issuer", "http://oidc.example.com"])
            .args(["--token", &token_file(&dir, claims), "--output", "json"])
            .run();
        assert_eq!(run.code, 1, "{claims}: {}", run.stderr);
        let finding = run.finding("TOKEN_INVALID");
        let message = finding["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("the token's {claim} claim (")),
            "{message}"
        );
        assert!(
            finding["fix"]
                .as_str()
                .unwrap()
                .contains("kubectl create token")
        );
    }
}
