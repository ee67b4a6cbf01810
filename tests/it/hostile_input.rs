//! Hostile and broken input on the command line (issue 11): token times outside 1970–9999,
//! issuers that try to add a flag, keys of the wrong size, huge, endless or deeply nested files.
//! Every case ends with exit 2 (or a finding) and a message naming the field or file and the fix,
//! never a panic (exit 101).

use crate::support::Kwif;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

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

const INJECTED: &str = "https://oidc.example.com/c1\n--anonymous-auth=true";

/// A run refused as bad input: exit 2, nothing on stdout, the flag or field named in stderr.
fn assert_refused(run: &crate::support::Run, names: &str, says: &str) {
    assert_eq!(
        run.code, 2,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(run.stdout.is_empty(), "nothing is written: {}", run.stdout);
    assert!(run.stderr.contains(names), "names {names}: {}", run.stderr);
    assert!(run.stderr.contains(says), "says {says:?}: {}", run.stderr);
}

#[test]
fn an_issuer_with_a_line_break_adds_no_flag_to_any_distribution() {
    for distribution in [
        "k0s",
        "k3s",
        "rke2",
        "kubeadm",
        "kubeadm-manifest",
        "microk8s",
        "kind",
        "minikube",
        "talos",
        "openshift",
    ] {
        let run = Kwif::new()
            .args(["cluster-config", "--distribution", distribution])
            .args(["--issuer", INJECTED])
            .run();
        assert_refused(
            &run,
            r#"--issuer "https://oidc.example.com/c1\n--anonymous-auth=true""#,
            "holds the control character U+000A at character 28",
        );
    }
}

#[test]
fn keep_issuer_and_jwks_uri_follow_the_same_rules() {
    let base = ["cluster-config", "--distribution", "microk8s", "--issuer"];
    let run = Kwif::new()
        .args(base)
        .args(["https://oidc.example.com/c1", "--keep-issuer", INJECTED])
        .run();
    assert_refused(&run, "--keep-issuer", "control character U+000A");
    let run = Kwif::new()
        .args(base)
        .args(["https://oidc.example.com/c1", "--jwks-uri"])
        .args(["https://oidc.example.com/j\n- --anonymous-auth=true"])
        .run();
    assert_refused(&run, "--jwks-uri", "control character U+000A");
    let run = Kwif::new()
        .args(["discovery", "--issuer", "https://oidc.example.com/c1"])
        .args(["--jwks-uri", "https://oidc.example.com/j\t1"])
        .run();
    assert_refused(&run, "--jwks-uri", "control character U+0009");
}

#[test]
fn discovery_refuses_a_line_break_a_blank_and_a_password_in_the_issuer() {
    for (issuer, says) in [
        (INJECTED, "control character U+000A"),
        (
            "https://oidc.example.com/c 1",
            "holds a blank at character 27",
        ),
        (
            "https://user:secret@oidc.example.com/",
            "holds a user name or password",
        ),
    ] {
        let run = Kwif::new().args(["discovery", "--issuer", issuer]).run();
        assert_refused(&run, "--issuer", says);
        assert!(
            !run.stderr.contains("secret"),
            "the password is not echoed: {}",
            run.stderr
        );
    }
}

#[test]
fn a_profile_whose_issuer_holds_a_control_character_or_a_blank_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (issuer, says) in [
        (
            r#""https://oidc.example.com/c1\n--x""#,
            "control character U+000A",
        ),
        (
            r#""https://oidc.example.com/c\t1""#,
            "control character U+0009",
        ),
        (
            r#""https://oidc.example.com/c\u00001""#,
            "control character U+0000",
        ),
        (r#""https://oidc.example.com/c 1""#, "holds a blank"),
        (
            r#""https://user:pass@oidc.example.com/""#,
            "user name or password",
        ),
    ] {
        let path = dir.path().join("kwif.yaml");
        std::fs::write(&path, profile_with_issuer(issuer)).unwrap();
        let run = Kwif::new()
            .args(["plan", "--profile", path.to_str().unwrap()])
            .run();
        assert_refused(&run, "issuer: \"https://", says);
        assert!(!run.stderr.contains("pass@"), "{}", run.stderr);
    }
}

fn profile_with_issuer(issuer: &str) -> String {
    format!(
        "issuer: {issuer}\nhosting: {{ kind: apiserver }}\nazure: {{ resourceGroup: rg1, location: westeurope }}\n\
         identity: {{ name: id-app }}\nworkloads:\n  - {{ namespace: app, serviceAccount: app-sa, name: web }}\n"
    )
}

#[test]
fn a_100_kb_issuer_is_refused_for_its_length_not_fetched() {
    let issuer = format!("https://oidc.example.com/{}", "a".repeat(100_000));
    let run = Kwif::new()
        .args(["doctor", "--issuer", &issuer, "--output", "json"])
        .run();
    assert_refused(
        &run,
        "--issuer \"https://oidc.example.com/aaa",
        "has 100025 characters, but Entra ID accepts at most 600: use a shorter URL",
    );
    assert!(!run.stderr.contains("DISCOVERY_UNREACHABLE"));
    assert!(run.stderr.len() < 400, "the value is cut: {}", run.stderr);
}

#[test]
fn jwks_refuses_an_rsa_key_outside_1024_to_8192_bits_in_every_form_naming_its_size() {
    for (file, bits) in [
        ("rsa-512.pub.pem", 512),
        ("rsa-512.pkcs1.pub.pem", 512),
        ("rsa-512.pkcs1.key", 512),
        ("rsa-512.pkcs8.key", 512),
        ("rsa-8200.pkcs1.key", 8200),
        ("rsa-8200.pub.pem", 8200),
    ] {
        let path = format!("tests/fixtures/keys/{file}");
        let run = Kwif::new().args(["jwks", "--key", &path]).run();
        assert_refused(
            &run,
            &format!("{path}: PEM block 1 ("),
            &format!(
                "is an RSA key of {bits} bits; kube-apiserver and kwif accept 1024 to 8192 bits"
            ),
        );
        assert!(
            run.stderr.contains("openssl genrsa -out sa.key 2048"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn screenshots_into_a_directory_that_cannot_be_made_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let under_a_file = file.join("shots");
    for out in ["/proc/nope", under_a_file.to_str().unwrap()] {
        let run = Kwif::new().args(["screenshots", "--out", out]).run();
        assert_refused(
            &run,
            &format!("--out {out}: cannot create the directory ("),
            "pass a directory you can write to",
        );
    }
}

/// A sparse file of `bytes` (no disk used), as a too-large input.
fn large_file(dir: &tempfile::TempDir, name: &str, bytes: u64) -> String {
    let path = dir.path().join(name);
    std::fs::File::create(&path)
        .unwrap()
        .set_len(bytes)
        .unwrap();
    path.to_str().unwrap().to_string()
}

const TWO_MIB: u64 = 2 * 1024 * 1024;

#[test]
fn a_2_mib_input_of_any_kind_is_refused_naming_the_file_its_size_and_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let file = large_file(&dir, "big", TWO_MIB);
    let cases: [(&[&str], &str); 5] = [
        (&["check", "--profile"], "a profile"),
        (&["jwks", "--key"], "a key file"),
        (&["token", "decode"], "a token"),
        (
            &["doctor", "--issuer", "http://oidc.example.com", "--token"],
            "a token",
        ),
        (
            &[
                "cluster-config",
                "--distribution",
                "k0s",
                "--issuer",
                "https://oidc.example.com/c1",
                "--file",
            ],
            "a config file",
        ),
    ];
    for (args, kind) in cases {
        let run = Kwif::new().args(args).args([&file]).run();
        assert_refused(
            &run,
            &format!("{file} is 2.1 MB; {kind} is at most 1 MiB"),
            "pass the right file",
        );
    }
}

#[test]
fn dev_zero_ends_at_the_limit_for_every_input() {
    let cases: [(&[&str], &str); 4] = [
        (&["check", "--profile"], "a profile"),
        (&["jwks", "--key"], "a key file"),
        (&["token", "decode"], "a token"),
        (
            &[
                "cluster-config",
                "--distribution",
                "k3s",
                "--issuer",
                "https://oidc.example.com/c1",
                "--file",
            ],
            "a config file",
        ),
    ];
    for (args, kind) in cases {
        let run = Kwif::new().args(args).args(["/dev/zero"]).run();
        assert_refused(
            &run,
            "/dev/zero is over 1 MiB (kwif stopped reading there)",
            &format!("{kind} is at most 1 MiB"),
        );
    }
}

#[test]
fn an_endless_standard_input_ends_at_the_limit() {
    let mut endless = std::process::Command::new("cat")
        .arg("/dev/zero")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kwif"))
        .args(["token", "decode", "-"])
        .stdin(endless.stdout.take().unwrap())
        .output()
        .unwrap();
    // `cat` ends on the closed pipe; reap it either way.
    let _ = endless.kill();
    let _ = endless.wait();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "standard input is over 1 MiB (kwif stopped reading there); a token is at most 1 MiB"
        ),
        "{stderr}"
    );
}

#[test]
fn deeply_nested_yaml_and_json_are_refused_before_parsing_naming_the_file_and_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("kwif.yaml");
    std::fs::write(
        &profile,
        format!("issuer: {}{}\n", "[".repeat(50_000), "]".repeat(50_000)),
    )
    .unwrap();
    let run = Kwif::new()
        .args(["check", "--profile", profile.to_str().unwrap()])
        .run();
    assert_refused(
        &run,
        &format!("{} is not a valid profile", profile.display()),
        "nests deeper than 64 levels (line 1)",
    );

    let config = dir.path().join("k0s.yaml");
    let mut text = String::new();
    for level in 0..1_000 {
        text.push_str(&format!("{}k{level}:\n", " ".repeat(level)));
    }
    std::fs::write(&config, text).unwrap();
    let run = Kwif::new()
        .args(["cluster-config", "--distribution", "k0s"])
        .args(["--issuer", "https://oidc.example.com/c1", "--file"])
        .args([config.to_str().unwrap()])
        .run();
    assert_refused(
        &run,
        &format!(
            "--file {} nests deeper than 64 levels (line 65)",
            config.display()
        ),
        "remove the extra brackets or indentation",
    );

    let claims = format!("{{\"a\":{}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
    let run = Kwif::new()
        .args(["token", "decode", "-"])
        .stdin(&token(&claims))
        .run();
    assert_refused(
        &run,
        "standard input: not a JWT",
        "the claims nest deeper than 64 levels",
    );
}

#[test]
fn a_profile_that_is_not_utf8_says_to_save_it_as_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kwif.yaml");
    std::fs::write(&path, b"# kwif\nissuer: https://oidc.example.com/caf\xe9\n").unwrap();
    let run = Kwif::new()
        .args(["check", "--profile", path.to_str().unwrap()])
        .run();
    assert_refused(
        &run,
        &format!("{} is not UTF-8 text (line 2", path.display()),
        "save it as UTF-8",
    );
    assert!(!run.stderr.contains("check the path"), "{}", run.stderr);
}
