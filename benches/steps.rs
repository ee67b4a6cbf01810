//! Benchmarks of the steps' checks against the sandbox servers, reported as medians against the
//! issues' targets: issuer + workload checks (< 200 ms), and a profile with 200 workloads
//! (< 3 s, bounded concurrency). Run with `cargo bench --bench steps`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kwif::engine::{Runner, Step};
use kwif::oidc::issuer::IssuerUrl;
use kwif::profile::Profile;
use kwif::sandbox::{Distribution, KubeSandbox, KubeSandboxOptions};
use kwif::steps::issuer::{IssuerStep, LocalNode};
use kwif::steps::workload::{FederationIds, WorkloadStep};
use serde_json::json;

const ISSUER: &str = "https://oidc.example.com/cluster1";

fn profile_with(workloads: usize) -> Profile {
    let mut yaml = format!(
        "issuer: {ISSUER}\nhosting: {{ kind: directory, directory: {{ path: ./p }} }}\n\
         azure: {{ resourceGroup: rg, location: westeurope }}\nidentity: {{ name: id-app }}\nworkloads:\n"
    );
    for index in 0..workloads {
        yaml.push_str(&format!(
            "  - {{ namespace: app, serviceAccount: sa{}, name: web{index} }}\n",
            index % 20
        ));
    }
    Profile::from_yaml(&yaml).expect("bench profile is valid")
}

fn seed(sandbox: &KubeSandbox, workloads: usize) {
    sandbox
        .insert(json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"app"}}))
        .unwrap();
    for index in 0..workloads {
        sandbox
            .insert(json!({"apiVersion":"apps/v1","kind":"Deployment",
                "metadata":{"name": format!("web{index}"),"namespace":"app"},
                "spec":{"replicas":1,"selector":{"matchLabels":{"app": format!("web{index}")}},
                    "template":{"metadata":{"labels":{"app": format!("web{index}")}},
                        "spec":{"containers":[{"name":"web","image":"nginx"}]}}}}))
            .unwrap();
    }
}

async fn median_check(runner: &Runner, runs: usize) -> (Duration, Duration) {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let report = runner.check_all().await;
        // A check that failed fast would flatter the figures: every step must really have run.
        for step in &report.steps {
            assert_eq!(
                step.status,
                kwif::engine::Status::Drift,
                "{:?}",
                step.findings
            );
        }
        times.push(start.elapsed());
    }
    times.sort();
    (times[runs / 2], times[runs * 9 / 10])
}

fn report(name: &str, (median, p90): (Duration, Duration), target: Duration) {
    let verdict = if median < target { "within" } else { "OVER" };
    println!(
        "{name:<36} median {median:>9.2?}  p90 {p90:>9.2?}  target {target:?}  {verdict} target"
    );
}

fn steps(
    sandbox_client: kube::Client,
    profile: &Profile,
    node: Arc<LocalNode>,
) -> Vec<Box<dyn Step>> {
    let ids = FederationIds {
        client_id: None,
        tenant_id: None,
        authority_host: "https://login.microsoftonline.com/".into(),
    };
    vec![
        Box::new(IssuerStep::new(
            sandbox_client.clone(),
            IssuerUrl::parse(ISSUER).unwrap(),
            None,
            node,
        )),
        Box::new(WorkloadStep::new(
            sandbox_client,
            profile.workloads.clone(),
            ids,
        )),
    ]
}

fn main() {
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let node = Arc::new(LocalNode::new(std::env::temp_dir().join("kwif-bench-node")));
        let sandbox = KubeSandbox::start(KubeSandboxOptions::new(Distribution::K3s))
            .await
            .unwrap();
        seed(&sandbox, 200);
        let client = sandbox.client().await.unwrap();

        let one = Runner::new(steps(client.clone(), &profile_with(1), node.clone()));
        report(
            "issuer + workload checks (1 workload)",
            median_check(&one, 30).await,
            Duration::from_millis(200),
        );

        let many = Runner::new(steps(client, &profile_with(200), node));
        report(
            "issuer + workload checks (200)",
            median_check(&many, 5).await,
            Duration::from_secs(3),
        );
    });
}
