//! The command-line contract: `kwif jwks`, `kwif discovery`, `kwif token decode`, usage errors
//! (exit 2 with a message naming the field), and the commands that are not built yet.

use crate::support::Kwif;

const KEYID_VECTOR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/kubernetes/keyid-vector.json"
);

fn keyid_vector() -> (String, String) {
    let vector: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(KEYID_VECTOR).unwrap()).unwrap();
    (
        vector["public_key_pem"].as_str().unwrap().into(),
        vector["expected_kid"].as_str().unwrap().into(),
    )
}

#[test]
fn jwks_computes_the_kid_kube_apiserver_computes() {
    let (pem, expected_kid) = keyid_vector();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sa.pub");
    std::fs::write(&path, pem).unwrap();
    let run = Kwif::new()
        .args(["jwks", "--key", path.to_str().unwrap()])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let jwks = run.json();
    let key = &jwks["keys"][0];
    assert_eq!(key["kid"], expected_kid.as_str());
    assert_eq!(key["alg"], "RS256");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["e"], "AQAB");
}

#[test]
fn jwks_takes_several_files_and_every_key_form_of_one_key_gives_one_key() {
    let run = Kwif::new()
        .args([
            "jwks",
            "--key",
            "tests/fixtures/keys/rsa-2048.pkcs1.key",
            "--key",
            "tests/fixtures/keys/rsa-2048.pub.pem",
        ])
        .args(["--key", "tests/fixtures/keys/ec-p384.sec1.key"])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let keys = run.json()["keys"].as_array().unwrap().clone();
    let algs: Vec<&str> = keys.iter().map(|k| k["alg"].as_str().unwrap()).collect();
    assert_eq!(algs, ["RS256", "ES384"]);
    assert!(
        !run.stdout.contains("\"d\""),
        "no private member is ever written"
    );
}

#[test]
fn jwks_writes_the_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("jwks.json");
    let run = Kwif::new()
        .args([
            "jwks",
            "--key",
            "tests/fixtures/keys/ec-p521.pub.pem",
            "--output",
            out.to_str().unwrap(),
        ])
        .run();
    assert_eq!(run.code, 0);
    assert!(run.stdout.is_empty());
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    assert_eq!(written["keys"][0]["crv"], "P-521");
}

#[test]
fn jwks_on_a_file_that_is_not_a_key_exits_2_naming_the_file_and_what_was_found() {
    let run = Kwif::new()
        .args(["jwks", "--key", "tests/fixtures/keys/self-signed.crt"])
        .run();
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("self-signed.crt"), "{}", run.stderr);
    assert!(
        run.stderr.contains("is a certificate, not a key"),
        "{}",
        run.stderr
    );
    let run = Kwif::new().args(["jwks", "--key", "Cargo.toml"]).run();
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("Cargo.toml"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"));
}

#[test]
fn discovery_prints_the_five_fields_and_keeps_the_trailing_slash() {
    let run = Kwif::new()
        .args([
            "discovery",
            "--issuer",
            "https://st1.blob.core.windows.net/oidc/",
        ])
        .run();
    assert_eq!(run.code, 0);
    let document = run.json();
    assert_eq!(
        document["issuer"],
        "https://st1.blob.core.windows.net/oidc/"
    );
    assert_eq!(
        document["jwks_uri"],
        "https://st1.blob.core.windows.net/oidc/openid/v1/jwks"
    );
    assert_eq!(document.as_object().unwrap().len(), 5);
}

#[test]
fn discovery_with_an_http_issuer_exits_2_with_the_reason() {
    let run = Kwif::new()
        .args(["discovery", "--issuer", "http://oidc.example.com"])
        .run();
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("--issuer \"http://oidc.example.com\" must use https"),
        "{}",
        run.stderr
    );
    let run = Kwif::new()
        .args([
            "discovery",
            "--issuer",
            "https://a.example",
            "--jwks-uri",
            "http://a.example/k",
        ])
        .run();
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--jwks-uri"));
}

fn b64(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

#[test]
fn token_decode_shows_claims_and_dates_but_never_the_signature() {
    let signature = b64("this-is-the-signature");
    let token = format!(
        "{}.{}.{signature}",
        b64(r#"{"alg":"RS256","kid":"k1"}"#),
        b64(
            r#"{"iss":"https://oidc.example.com","sub":"system:serviceaccount:a:b","exp":4102444800}"#
        )
    );
    let run = Kwif::new()
        .args(["token", "decode", "-"])
        .stdin(&format!("{token}\n"))
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("sub  system:serviceaccount:a:b"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("2100-01-01T00:00:00Z (expires in"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains(&signature));
}

#[test]
fn token_decode_of_garbage_exits_2_without_echoing_it() {
    let run = Kwif::new()
        .args(["token", "decode", "-"])
        .stdin("secret-looking.garbage")
        .run();
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("not a JWT"), "{}", run.stderr);
    assert!(!run.stderr.contains("secret-looking"));
    let run = Kwif::new().args(["token", "decode", "/no/such/file"]).run();
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("/no/such/file"));
}

#[test]
fn without_a_terminal_the_wizard_prints_the_check_table_instead_of_hanging() {
    let empty = tempfile::tempdir().unwrap();
    let run = Kwif::new().current_dir(empty.path()).run();
    assert_eq!(run.code, 2, "no kwif.yaml and no terminal: {}", run.stderr);
    assert!(run.stderr.contains("no kwif.yaml here"), "{}", run.stderr);
    let run = Kwif::new().args(["demo"]).run();
    assert_eq!(run.code, 1, "the fresh demo has drift: {}", run.stderr);
    assert!(run.stdout.contains("~ drift     issuer"), "{}", run.stdout);
    assert!(run.stdout.contains("0 of 6 steps ok"), "{}", run.stdout);
}

#[test]
fn every_contract_command_parses() {
    for args in [
        vec!["check", "--profile", "p.yaml", "--output", "json", "--help"],
        vec![
            "apply",
            "--demo",
            "--scenario",
            "drifted",
            "--yes",
            "--help",
        ],
        vec!["doctor", "--help"],
        vec![
            "cluster-config",
            "--distribution",
            "kubeadm-manifest",
            "--help",
        ],
    ] {
        let run = Kwif::new().args(&args).run();
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    }
}

#[test]
fn usage_errors_exit_2_and_name_the_flag() {
    let run = Kwif::new().args(["apply", "--step", "identiy"]).run();
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unknown step \"identiy\""),
        "{}",
        run.stderr
    );
    let run = Kwif::new().args(["doctor"]).run();
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--issuer"));
    let run = Kwif::new().args(["check", "--scenario", "drifted"]).run();
    assert_eq!(run.code, 2, "--scenario requires --demo");
}

#[test]
fn version_and_completions_work() {
    let run = Kwif::new().args(["--version"]).run();
    assert_eq!(
        run.stdout.trim(),
        format!("kwif {}", env!("CARGO_PKG_VERSION"))
    );
    let run = Kwif::new().args(["completions", "bash"]).run();
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("doctor") && run.stdout.contains("--ca-file"));
}

#[test]
fn cluster_config_prints_the_k3s_change_with_the_old_issuer_kept() {
    let run = Kwif::new()
        .args([
            "cluster-config",
            "--distribution",
            "k3s",
            "--issuer",
            "https://oidc.example.com/c1",
        ])
        .args([
            "--keep-issuer",
            "https://kubernetes.default.svc.cluster.local",
        ])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let config: serde_yaml::Value = serde_yaml::from_str(&run.stdout).unwrap();
    let args: Vec<&str> = config["kube-apiserver-arg"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(
        args.contains(&"service-account-issuer-=https://oidc.example.com/c1"),
        "{args:?}"
    );
    assert!(
        args.contains(&"service-account-jwks-uri=https://oidc.example.com/c1/openid/v1/jwks"),
        "{args:?}"
    );
    assert!(
        run.stdout.contains("systemctl restart k3s"),
        "{}",
        run.stdout
    );
}

#[test]
fn cluster_config_with_an_http_issuer_exits_2() {
    let run = Kwif::new()
        .args([
            "cluster-config",
            "--distribution",
            "k0s",
            "--issuer",
            "http://oidc.example.com",
        ])
        .run();
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("https"), "{}", run.stderr);
}

#[test]
fn apply_on_the_demo_sets_up_all_six_steps() {
    let run = Kwif::new()
        .args(["apply", "--demo", "--yes", "--output", "json"])
        .run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let report = run.json();
    let statuses: Vec<&str> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["ok"; 6]);
    assert!(
        run.stderr.contains("Deployment application1/web-server"),
        "the diffs are shown before applying"
    );
}

#[test]
fn check_on_the_drifted_demo_finds_the_three_drifts() {
    let run = Kwif::new()
        .args([
            "check",
            "--demo",
            "--scenario",
            "drifted",
            "--output",
            "json",
        ])
        .run();
    assert_eq!(run.code, 1);
    let text = run.stdout;
    for code in [
        "HOSTING_KEY_NOT_PUBLISHED",
        "FEDERATION_MISMATCH",
        "WORKLOAD_ENV",
    ] {
        assert!(text.contains(code), "{code} missing:\n{text}");
    }
}
