//! `kwif sandbox serve` driven as a user would from a second shell: `. D/env`, then the headless
//! commands and the real kubectl against the long-lived sandbox, whose state lasts across them.

use crate::support::{Served, kubectl};

#[test]
fn apply_then_check_and_plan_in_other_processes_converge_and_kubectl_sees_the_patch() {
    let served = Served::start("fresh");
    let profile = served.path("kwif.yaml");
    let profile = profile.to_str().unwrap();
    assert_eq!(
        served.ready_line,
        format!(
            "ready: . {} && kwif check --profile {profile}",
            served.path("env").display()
        )
    );
    for file in ["kubeconfig", "kwif.yaml", "ca.pem", "env", "node", "site"] {
        assert!(served.path(file).exists(), "{file} is written");
    }

    let before = served.kwif().args(["check", "--profile", profile]).run();
    assert_eq!(before.code, 1, "nothing is set up yet:\n{}", before.stdout);

    let apply = served
        .kwif()
        .args(["apply", "--yes", "--profile", profile])
        .run();
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert!(
        apply
            .stderr
            .contains("saved the identity's client and principal ids"),
        "{}",
        apply.stderr
    );

    let check = served.kwif().args(["check", "--profile", profile]).run();
    assert_eq!(check.code, 0, "{}", check.stdout);
    let plan = served.kwif().args(["plan", "--profile", profile]).run();
    assert_eq!(plan.code, 0, "{}", plan.stdout);
    assert!(plan.stdout.contains("0 changes planned"), "{}", plan.stdout);

    let output = kubectl()
        .args(["--kubeconfig"])
        .arg(served.path("kubeconfig"))
        .args(["get", "deployment", "-A", "-o", "json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let list: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let deployment = &list["items"][0];
    assert_eq!(deployment["metadata"]["name"], "web-server");
    let template = &deployment["spec"]["template"]["spec"];
    assert_eq!(template["serviceAccountName"], "application1-sa");
    let env: Vec<&str> = template["containers"][0]["env"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|entry| entry["name"].as_str())
        .collect();
    for variable in [
        "COSMOS_ENDPOINT",
        "AZURE_CLIENT_ID",
        "AZURE_TENANT_ID",
        "AZURE_FEDERATED_TOKEN_FILE",
    ] {
        assert!(env.contains(&variable), "{variable} in {env:?}");
    }
    let table = kubectl()
        .args(["--kubeconfig"])
        .arg(served.path("kubeconfig"))
        .args(["get", "deployment", "-A"])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.contains("application1") && table.contains("web-server"),
        "{table}"
    );

    assert_eq!(served.stop(), 0, "Ctrl-C/SIGTERM ends the sandbox cleanly");
}

#[test]
fn the_drifted_sandbox_shows_its_story_to_the_headless_check() {
    let served = Served::start("drifted");
    let profile = served.path("kwif.yaml");
    let run = served
        .kwif()
        .args([
            "check",
            "--output",
            "json",
            "--profile",
            profile.to_str().unwrap(),
        ])
        .run();
    assert_eq!(run.code, 1, "{}", run.stdout);
    let report = run.json();
    let codes = |step: &str| -> Vec<String> {
        report["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|entry| entry["id"] == step)
            .unwrap()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|finding| finding["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(codes("hosting").contains(&"HOSTING_KEY_NOT_PUBLISHED".to_string()));
    assert!(codes("workload").contains(&"WORKLOAD_ENV".to_string()));
    assert!(!codes("federation").is_empty());
}

#[test]
fn apply_counts_down_on_stderr_while_entra_does_not_see_the_new_credential_yet() {
    let served = Served::start_with("fresh", &["--propagation-delay", "2s"]);
    let profile = served.path("kwif.yaml");
    let apply = served
        .kwif()
        .args(["apply", "--yes", "--profile", profile.to_str().unwrap()])
        .run();
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let countdown = apply
        .stderr
        .lines()
        .find(|line| {
            line.starts_with("verify: ")
                && line
                    .contains("waiting for Entra to see the new federated credential (AADSTS70021)")
        })
        .unwrap_or_else(|| panic!("no countdown on stderr:\n{}", apply.stderr));
    assert!(countdown.ends_with(" s left"), "{countdown}");
}
