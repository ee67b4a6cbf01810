//! `kwif check`, `plan` and `apply` over a profile, run as the real binary against the sandbox
//! API server through a kubeconfig file, exactly as a user would run them against a cluster.

use crate::support::{Kwif, Run};
use kwif_sandbox::{Distribution, KubeSandbox, KubeSandboxOptions};
use serde_json::json;

struct Setup {
    sandbox: KubeSandbox,
    dir: tempfile::TempDir,
}

impl Setup {
    async fn new() -> Setup {
        let sandbox = KubeSandbox::start(KubeSandboxOptions::new(Distribution::K3s))
            .await
            .unwrap();
        sandbox
            .insert(
                json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"application1"}}),
            )
            .unwrap();
        sandbox
            .insert(json!({"apiVersion":"apps/v1","kind":"Deployment",
                "metadata":{"name":"web-server","namespace":"application1"},
                "spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},
                    "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx"}]}}}}))
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("kubeconfig"), sandbox.kubeconfig_yaml()).unwrap();
        std::fs::write(
            dir.path().join("kwif.yaml"),
            "issuer: https://oidc.example.com/cluster1\nhosting:\n  kind: directory\n  directory: { path: ./public }\n\
             azure:\n  tenant: b6c948ef-f6b5-4384-8354-da3a15eca969\n  resourceGroup: rg-application1\n  location: westeurope\n\
             identity:\n  name: id-application1\n  clientId: 4024ab25-56a8-4370-aea6-6389221caf29\n\
             workloads:\n  - namespace: application1\n    serviceAccount: application1-sa\n    name: web-server\n",
        )
        .unwrap();
        Setup { sandbox, dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// Runs kwif with the profile and kubeconfig, off the async runtime that serves the sandbox.
    async fn kwif(&self, args: &[&str]) -> Run {
        let mut all: Vec<String> = args.iter().map(std::string::ToString::to_string).collect();
        all.extend([
            "--profile".into(),
            self.path("kwif.yaml"),
            "--kubeconfig".into(),
            self.path("kubeconfig"),
        ]);
        tokio::task::spawn_blocking(move || Kwif::new().args(all).run())
            .await
            .unwrap()
    }
}

fn statuses(run: &Run) -> Vec<(String, String)> {
    run.json()["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_string(),
                s["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reports_all_six_steps_each_with_its_reason() {
    let setup = Setup::new().await;
    let run = setup.kwif(&["check", "--output", "json"]).await;
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let expected = [
        ("issuer", "drift"),
        ("hosting", "error"),
        ("identity", "error"),
        ("federation", "error"),
        ("workload", "drift"),
        ("verify", "error"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(statuses(&run), expected);
    let report = run.json();
    let codes = |index: usize| -> Vec<String> {
        report["steps"][index]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect()
    };
    // No Azure login on this machine: the Azure steps say so and how to log in.
    assert_eq!(codes(2), ["AZURE_LOGIN"]);
    assert!(
        report["steps"][2]["findings"][0]["fix"]
            .as_str()
            .unwrap()
            .contains("az login"),
        "{}",
        run.stdout
    );
    // The public issuer does not exist: the hosting step's doctor says it cannot reach it.
    assert!(
        codes(1).contains(&"DISCOVERY_UNREACHABLE".to_string()),
        "{:?}",
        codes(1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_shows_diffs_and_apply_of_the_workload_step_converges() {
    let setup = Setup::new().await;
    let plan = setup.kwif(&["plan"]).await;
    assert_eq!(
        plan.code, 1,
        "changes are planned: {}{}",
        plan.stdout, plan.stderr
    );
    assert!(
        plan.stdout.contains("Deployment application1/web-server"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("+          - name: AZURE_FEDERATED_TOKEN_FILE")
            || plan.stdout.contains("AZURE_FEDERATED_TOKEN_FILE")
    );
    assert!(
        plan.stdout.contains("/etc/rancher/k3s/config.yaml"),
        "the issuer change is shown: {}",
        plan.stdout
    );

    let yaml = setup.kwif(&["plan", "--output", "yaml"]).await;
    assert!(
        yaml.stdout.contains("kind: ServiceAccount") && yaml.stdout.contains("kind: Deployment"),
        "{}",
        yaml.stdout
    );

    let apply = setup
        .kwif(&["apply", "--yes", "--step", "workload", "--output", "json"])
        .await;
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    assert_eq!(
        statuses(&apply),
        [("workload".to_string(), "ok".to_string())]
    );
    let deployment = setup
        .sandbox
        .object("apps/v1", "Deployment", Some("application1"), "web-server")
        .unwrap();
    assert_eq!(
        deployment["spec"]["template"]["spec"]["serviceAccountName"],
        "application1-sa"
    );

    let again = setup.kwif(&["plan", "--output", "json"]).await;
    let plans = again.json();
    let workload = plans["plans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["step"] == "workload")
        .unwrap()
        .clone();
    assert_eq!(
        workload["changes"],
        json!([]),
        "a rerun plans nothing for the workload"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_without_yes_off_a_terminal_changes_nothing() {
    let setup = Setup::new().await;
    let run = setup.kwif(&["apply"]).await;
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--yes"), "{}", run.stderr);
    let deployment = setup
        .sandbox
        .object("apps/v1", "Deployment", Some("application1"), "web-server")
        .unwrap();
    assert!(deployment["spec"]["template"]["spec"]["serviceAccountName"].is_null());
}

#[test]
fn a_missing_or_invalid_profile_is_bad_input() {
    let run = Kwif::new()
        .args(["check", "--profile", "/no/such/kwif.yaml"])
        .run();
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("/no/such/kwif.yaml"), "{}", run.stderr);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kwif.yaml");
    std::fs::write(&path, "issuer: http://oidc.example.com\n").unwrap();
    let run = Kwif::new()
        .args(["check", "--profile", path.to_str().unwrap()])
        .run();
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("issuer: \"http://oidc.example.com\""),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unreachable_cluster_is_an_error_finding_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("kwif.yaml");
    std::fs::write(
        &profile,
        "issuer: https://oidc.example.com/c\nhosting: { kind: directory, directory: { path: ./p } }\n\
         azure: { resourceGroup: rg, location: westeurope }\nidentity: { name: id-app }\n\
         workloads: [ { namespace: a, serviceAccount: s, name: w } ]\n",
    )
    .unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n",
    )
    .unwrap();
    let run = Kwif::new()
        .args([
            "check",
            "--output",
            "json",
            "--profile",
            profile.to_str().unwrap(),
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
        ])
        .run();
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("CLUSTER_UNREACHABLE"), "{}", run.stdout);
}
