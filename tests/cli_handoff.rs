//! The commands that start a setup and hand it over: `kwif init` (a profile from flags),
//! `kwif explain` (a code's meaning), `kwif export` (kustomize, Terraform, node files) and
//! `kwif snippet` (the application's side), run as the real binary, against the sandbox.

mod support;

use support::Kwif;

#[test]
fn explain_answers_aadsts_codes_with_or_without_the_prefix_in_any_case() {
    for code in ["AADSTS700213", "700213", "aadsts700213"] {
        let run = Kwif::new().args(["explain", code]).run();
        assert_eq!(run.code, 0, "{code}: {}", run.stderr);
        assert!(
            run.stdout.starts_with("AADSTS700213  ✗ error"),
            "{}",
            run.stdout
        );
        assert!(
            run.stdout.contains("matches the assertion's subject"),
            "{}",
            run.stdout
        );
        assert!(run.stdout.contains("fix:"), "{}", run.stdout);
    }
}

#[test]
fn explain_answers_finding_codes() {
    let run = Kwif::new().args(["explain", "workload_env"]).run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("WORKLOAD_ENV  ! warning, reported by workload"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("usual reason:"), "{}", run.stdout);
}

#[test]
fn explain_of_an_unknown_code_exits_2_with_the_closest_codes() {
    let run = Kwif::new().args(["explain", "DISCOVERY_CONTENTTYPE"]).run();
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("\"DISCOVERY_CONTENTTYPE\" is not a code kwif knows; the closest are DISCOVERY_CONTENT_TYPE"),
        "{}",
        run.stderr
    );
    let run = Kwif::new().args(["explain", "AADSTS99999999"]).run();
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("the closest are AADSTS"),
        "{}",
        run.stderr
    );
}
