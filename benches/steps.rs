//! Benchmarks of the steps' checks against the sandbox servers, reported as medians against the
//! issues' targets: issuer + workload checks (< 200 ms), and a profile with 200 workloads
//! (< 3 s, bounded concurrency). Run with `cargo bench --bench steps`.

#![allow(clippy::unwrap_used)] // a panic in a test or benchmark is its failure message

use std::sync::Arc;
use std::time::Duration;

use kwif::engine::{Runner, Status, Step};
use kwif::oidc::issuer::IssuerUrl;
use kwif::profile::Profile;
use kwif::steps::issuer::{IssuerStep, LocalNode};
use kwif::steps::workload::{FederationIds, WorkloadStep};
use kwif_sandbox::{Distribution, KubeSandbox, KubeSandboxOptions};
use serde_json::json;

#[path = "support/measure.rs"]
mod measure;
use measure::{report, timed_checks};

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
    measure::runtime().block_on(async {
        let node = Arc::new(LocalNode::new(std::env::temp_dir().join("kwif-bench-node")));
        let sandbox = KubeSandbox::start(KubeSandboxOptions::new(Distribution::K3s))
            .await
            .unwrap();
        seed(&sandbox, 200);
        let client = sandbox.client().await.unwrap();

        let one = Runner::new(steps(client.clone(), &profile_with(1), node.clone()));
        report(
            "issuer + workload checks (1 workload)",
            timed_checks(&one, 30, Status::Drift).await,
            Duration::from_millis(200),
        );

        let many = Runner::new(steps(client, &profile_with(200), node));
        report(
            "issuer + workload checks (200)",
            timed_checks(&many, 5, Status::Drift).await,
            Duration::from_secs(3),
        );
    });
}
