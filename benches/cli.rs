//! Benchmarks of the command line against the targets in the issues, reported as medians:
//! `kwif --version` (target < 10 ms) and `kwif doctor` against a real nginx on loopback
//! (target < 100 ms). Run with `cargo bench`; needs nginx (`bash scripts/test.sh` installs it).

#![allow(clippy::unwrap_used)] // a panic in a test or benchmark is its failure message

#[path = "support/measure.rs"]
mod measure;
#[path = "../tests/support/mod.rs"]
mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{Nginx, SiteSpec};

const RUNS: usize = 40;

fn median_of_runs(args: &[&str]) -> (Duration, Duration) {
    let times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            let status = Command::new(env!("CARGO_BIN_EXE_kwif"))
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("kwif runs");
            assert!(
                status.code().is_some_and(|code| code <= 1),
                "kwif {args:?} failed: {status}"
            );
            start.elapsed()
        })
        .collect();
    measure::percentiles(times)
}

fn report(name: &str, args: &[&str], target: Duration) {
    measure::report(name, median_of_runs(args), target);
}

fn main() {
    // `cargo bench -- <filter>` passes extra arguments; a plain `cargo test` run of benches passes --bench.
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    report("kwif --version", &["--version"], Duration::from_millis(10));

    let nginx = Nginx::start(vec![SiteSpec::json()]);
    let site = nginx.site(0);
    let issuer = format!("{}/cluster1", site.origin());
    let jwks_uri = format!("{issuer}/openid/v1/jwks");
    let discovery = serde_json::json!({
        "issuer": issuer, "jwks_uri": jwks_uri,
        "response_types_supported": ["id_token"], "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    });
    site.put(
        "cluster1/.well-known/openid-configuration",
        &discovery.to_string(),
    );
    let keys = kwif::oidc::key::parse_pem_keys(
        &std::fs::read_to_string("tests/fixtures/keys/rsa-2048.pub.pem").unwrap(),
    )
    .unwrap();
    site.put(
        "cluster1/openid/v1/jwks",
        &kwif::oidc::jwks::jwks_document(&keys).to_string(),
    );
    let ca = nginx.ca_file();
    report(
        "kwif doctor (loopback nginx)",
        &["doctor", "--issuer", &issuer, "--ca-file", &ca],
        Duration::from_millis(100),
    );
    report(
        "kwif doctor --output json",
        &[
            "doctor",
            "--issuer",
            &issuer,
            "--ca-file",
            &ca,
            "--output",
            "json",
        ],
        Duration::from_millis(100),
    );
}
