//! The `issuer` and `workload` steps end to end against the sandbox API server, through kube-rs
//! exactly as against a real cluster: detection, check, plan (diffs), apply, rerun.

use crate::support::codes;
use std::sync::Arc;

use kwif::engine::{Facts, Runner, Status, Step};
use kwif::oidc::issuer::IssuerUrl;
use kwif::profile::Profile;
use kwif::steps::issuer::{IssuerStep, LocalNode};
use kwif::steps::workload::{FederationIds, TOKEN_FILE, WorkloadStep};
use kwif_sandbox::{Distribution, KubeSandbox, KubeSandboxOptions};
use serde_json::{Value, json};

const ISSUER: &str = "https://oidc.example.com/cluster1";
const CLIENT_ID: &str = "4024ab25-56a8-4370-aea6-6389221caf29";
const TENANT_ID: &str = "b6c948ef-f6b5-4384-8354-da3a15eca969";

async fn sandbox(distribution: Distribution) -> KubeSandbox {
    KubeSandbox::start(KubeSandboxOptions::new(distribution))
        .await
        .expect("sandbox starts")
}

// ---------------------------------------------------------------- issuer

fn k0s_config() -> &'static str {
    "apiVersion: k0s.k0sproject.io/v1beta1\nkind: ClusterConfig\nmetadata:\n  name: k0s\nspec:\n  api:\n    # the public address\n    address: 192.168.1.10\n    port: 6443\n"
}

/// A control-plane node's file system below a temporary root, with k0s' config in place.
fn k0s_node() -> (tempfile::TempDir, Arc<LocalNode>) {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("etc/k0s")).unwrap();
    std::fs::write(root.path().join("etc/k0s/k0s.yaml"), k0s_config()).unwrap();
    let node = Arc::new(LocalNode::new(root.path()));
    (root, node)
}

async fn issuer_step(sandbox: &KubeSandbox, node: Arc<LocalNode>) -> IssuerStep {
    IssuerStep::new(
        sandbox.client().await.unwrap(),
        IssuerUrl::parse(ISSUER).unwrap(),
        None,
        node,
    )
}

#[tokio::test]
async fn issuer_check_reads_the_default_issuer_from_a_minted_token() {
    let sandbox = sandbox(Distribution::K0s).await;
    let (_root, node) = k0s_node();
    let check = issuer_step(&sandbox, node).await.check(&Facts::new()).await;
    assert_eq!(check.status, Status::Drift, "{check:?}");
    assert_eq!(
        codes(&check),
        ["ISSUER_NOT_CONFIGURED", "ISSUER_JWKS_URI_NOT_PUBLIC"]
    );
    let message = &check.findings[0].message;
    assert!(
        message.contains("\"https://kubernetes.default.svc\""),
        "{message}"
    );
    assert!(
        check.findings[0].fix.contains("k0s stop"),
        "the fix names the restart: {}",
        check.findings[0].fix
    );
}

#[tokio::test]
async fn issuer_apply_writes_the_k0s_config_keeping_the_old_issuer_and_the_restart_confirms_it() {
    let sandbox = sandbox(Distribution::K0s).await;
    let (root, node) = k0s_node();
    let step = issuer_step(&sandbox, node).await;
    let plan = step.plan(&Facts::new()).await.unwrap();
    assert_eq!(plan.changes.len(), 1);
    let change = &plan.changes[0];
    assert_eq!(change.target, "/etc/k0s/k0s.yaml");
    assert!(change.summary.contains("k0s stop"), "{}", change.summary);
    let diff = change.diff();
    assert!(
        diff.contains(&format!("+        service-account-issuer: {ISSUER}"))
            || diff.contains(ISSUER),
        "{diff}"
    );
    step.apply(&plan, &Facts::new()).await.unwrap();

    let written = std::fs::read_to_string(root.path().join("etc/k0s/k0s.yaml")).unwrap();
    assert!(
        written.contains("# the public address"),
        "comments survive:\n{written}"
    );
    let config: Value = serde_yaml::from_str(&written).unwrap();
    assert_eq!(
        config["spec"]["api"]["extraArgs"]["service-account-issuer"],
        ISSUER
    );
    assert_eq!(
        config["spec"]["api"]["rawArgs"][0],
        "--service-account-issuer=https://kubernetes.default.svc"
    );
    let mut files: Vec<String> = std::fs::read_dir(root.path().join("etc/k0s"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(
        files.len(),
        2,
        "the old file is kept as a backup: {files:?}"
    );
    // Hidden, as a kubelet ignores hidden files of a static-pod directory and reads the rest.
    assert!(
        files[0].starts_with(".k0s.yaml.kwif-backup-") && files[1] == "k0s.yaml",
        "{files:?}"
    );

    // The user runs `k0s stop && k0s start`: the apiserver comes back with the new flags.
    sandbox
        .set_issuers(
            vec![
                ISSUER.to_string(),
                "https://kubernetes.default.svc".to_string(),
            ],
            Some(format!("{ISSUER}/openid/v1/jwks")),
        )
        .unwrap();
    let check = step.check(&Facts::new()).await;
    assert_eq!(check.status, Status::Ok, "{check:?}");
    assert!(
        step.plan(&Facts::new()).await.unwrap().is_empty(),
        "a rerun plans nothing"
    );
}

#[tokio::test]
async fn issuer_apply_off_the_node_explains_what_to_do() {
    let sandbox = sandbox(Distribution::K3s).await;
    let empty = tempfile::tempdir().unwrap();
    let step = issuer_step(&sandbox, Arc::new(LocalNode::new(empty.path()))).await;
    let plan = step.plan(&Facts::new()).await.unwrap();
    assert!(
        plan.changes[0]
            .summary
            .contains("cannot read /etc/rancher/k3s/config.yaml"),
        "{}",
        plan.changes[0].summary
    );
    assert!(
        plan.changes[0].after.contains("service-account-issuer-="),
        "{}",
        plan.changes[0].after
    );
    let error = step.apply(&plan, &Facts::new()).await.unwrap_err();
    assert!(
        error.message.contains("not on the control-plane node"),
        "{error:?}"
    );
}

#[tokio::test]
async fn every_sandbox_distribution_is_detected() {
    for (distribution, id) in [
        (Distribution::K0s, "k0s"),
        (Distribution::K3s, "k3s"),
        (Distribution::Rke2, "rke2"),
        (Distribution::Kubeadm, "kubeadm"),
        (Distribution::MicroK8s, "microk8s"),
        (Distribution::Kind, "kind"),
        (Distribution::Minikube, "minikube"),
        (Distribution::Talos, "talos"),
        (Distribution::OpenShift, "openshift"),
    ] {
        let sandbox = sandbox(distribution).await;
        let facts = kwif::kube::detect::gather(&sandbox.client().await.unwrap())
            .await
            .unwrap();
        assert_eq!(
            facts.detect().map(|d| d.distribution.as_str()),
            Some(id),
            "{distribution:?}: {facts:?}"
        );
    }
}

// ---------------------------------------------------------------- workload

fn profile(mode: &str, kind: &str, name: &str) -> Profile {
    let yaml = format!(
        "issuer: {ISSUER}\nhosting:\n  kind: directory\n  directory: {{ path: ./public }}\nazure:\n  tenant: {TENANT_ID}\n  resourceGroup: rg-application1\n  location: westeurope\nidentity:\n  name: id-application1\n  clientId: {CLIENT_ID}\nworkloads:\n  - namespace: application1\n    serviceAccount: application1-sa\n    kind: {kind}\n    name: {name}\n    mode: {mode}\n"
    );
    Profile::from_yaml(&yaml).unwrap_or_else(|error| panic!("{error}"))
}

fn ids() -> FederationIds {
    FederationIds {
        client_id: Some(CLIENT_ID.into()),
        tenant_id: Some(TENANT_ID.into()),
        authority_host: "https://login.microsoftonline.com/".into(),
    }
}

fn seed_application(sandbox: &KubeSandbox) {
    sandbox
        .insert(json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"application1"}}))
        .unwrap();
    sandbox
        .insert(json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web-server", "namespace": "application1", "labels": {"team": "blue"}},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web-server"}},
                "template": {
                    "metadata": {"labels": {"app": "web-server"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
                        "env": [{"name": "USER_SETTING", "value": "keep-me"}]}]}
                }
            }
        }))
        .unwrap();
}

async fn workload_step(sandbox: &KubeSandbox, profile: &Profile) -> WorkloadStep {
    WorkloadStep::new(
        sandbox.client().await.unwrap(),
        profile.workloads.clone(),
        ids(),
    )
}

fn deployment(sandbox: &KubeSandbox) -> Value {
    sandbox
        .object("apps/v1", "Deployment", Some("application1"), "web-server")
        .unwrap()
}

#[tokio::test]
async fn workload_patch_wires_the_deployment_and_keeps_the_users_fields() {
    let sandbox = sandbox(Distribution::K3s).await;
    seed_application(&sandbox);
    let profile = profile("patch", "Deployment", "web-server");
    let step = workload_step(&sandbox, &profile).await;

    let check = step.check(&Facts::new()).await;
    assert_eq!(check.status, Status::Drift);
    let found = codes(&check);
    for code in [
        "WORKLOAD_SERVICE_ACCOUNT_MISSING",
        "WORKLOAD_SERVICE_ACCOUNT",
        "WORKLOAD_TOKEN_VOLUME",
        "WORKLOAD_TOKEN_MOUNT",
        "WORKLOAD_ENV",
    ] {
        assert!(found.contains(&code), "{code} missing from {found:?}");
    }

    let plan = step.plan(&Facts::new()).await.unwrap();
    let targets: Vec<&str> = plan.changes.iter().map(|c| c.target.as_str()).collect();
    assert_eq!(
        targets,
        [
            "ServiceAccount application1/application1-sa",
            "Deployment application1/web-server"
        ]
    );
    let diff = plan.changes[1].diff();
    assert!(
        diff.contains("+              value: /var/run/secrets/azure/tokens/azure-identity-token")
            || diff.contains(TOKEN_FILE),
        "{diff}"
    );
    assert!(
        sandbox
            .object(
                "v1",
                "ServiceAccount",
                Some("application1"),
                "application1-sa"
            )
            .is_none(),
        "planning is a dry run"
    );

    step.apply(&plan, &Facts::new()).await.unwrap();
    let live = deployment(&sandbox);
    let spec = &live["spec"]["template"]["spec"];
    assert_eq!(spec["serviceAccountName"], "application1-sa");
    let env: Vec<&str> = spec["containers"][0]["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        env,
        [
            "USER_SETTING",
            "AZURE_CLIENT_ID",
            "AZURE_TENANT_ID",
            "AZURE_FEDERATED_TOKEN_FILE",
            "AZURE_AUTHORITY_HOST"
        ]
    );
    assert_eq!(live["metadata"]["labels"]["team"], "blue");
    assert_eq!(
        spec["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"]["audience"],
        "api://AzureADTokenExchange"
    );

    let check = step.check(&Facts::new()).await;
    assert_eq!(check.status, Status::Ok, "{check:?}");
    assert!(
        step.plan(&Facts::new()).await.unwrap().is_empty(),
        "a rerun plans nothing"
    );
}

#[tokio::test]
async fn a_user_edit_after_apply_survives_the_next_apply() {
    let sandbox = sandbox(Distribution::Kubeadm).await;
    seed_application(&sandbox);
    let profile = profile("patch", "Deployment", "web-server");
    let step = workload_step(&sandbox, &profile).await;
    step.apply(&step.plan(&Facts::new()).await.unwrap(), &Facts::new())
        .await
        .unwrap();

    // The user adds an env var and a label with their own tool (another field manager).
    let client = sandbox.client().await.unwrap();
    let api: kube::Api<k8s_openapi::api::apps::v1::Deployment> =
        kube::Api::namespaced(client, "application1");
    let edit = json!({"metadata":{"labels":{"owner":"me"}},"spec":{"template":{"spec":{"containers":[
        {"name":"web","env":[{"name":"EXTRA","value":"1"}]}]}}}});
    api.patch("web-server", &kube::api::PatchParams::apply("kubectl").force(), &kube::api::Patch::Apply(&json!({
        "apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web-server","namespace":"application1","labels":{"owner":"me"}},
        "spec": edit["spec"],
    })))
    .await
    .unwrap();

    // kwif's own variable drifts (someone changed the client id): the apply repairs only that.
    let drifted = Runner::new(vec![Box::new(WorkloadStep::new(
        sandbox.client().await.unwrap(),
        profile.workloads.clone(),
        FederationIds {
            client_id: Some("00000000-0000-0000-0000-000000000001".into()),
            ..ids()
        },
    ))]);
    let outcome = drifted.apply_all(|_| true).await;
    assert!(outcome.failed.is_none(), "{:?}", outcome.failed);
    let live = deployment(&sandbox);
    let env = live["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap()
        .clone();
    let value = |name: &str| {
        env.iter()
            .find(|e| e["name"] == name)
            .map(|e| e["value"].clone())
    };
    assert_eq!(value("EXTRA"), Some(json!("1")));
    assert_eq!(value("USER_SETTING"), Some(json!("keep-me")));
    assert_eq!(
        value("AZURE_CLIENT_ID"),
        Some(json!("00000000-0000-0000-0000-000000000001"))
    );
    assert_eq!(live["metadata"]["labels"]["owner"], "me");
}

#[tokio::test]
async fn pods_carry_the_token_volume_after_the_rollout() {
    let sandbox = sandbox(Distribution::K0s).await;
    seed_application(&sandbox);
    let profile = profile("patch", "Deployment", "web-server");
    let step = workload_step(&sandbox, &profile).await;
    step.apply(&step.plan(&Facts::new()).await.unwrap(), &Facts::new())
        .await
        .unwrap();
    let pods = sandbox.objects("v1", "Pod", Some("application1"));
    assert!(!pods.is_empty());
    for pod in pods
        .iter()
        .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
    {
        assert_eq!(
            pod["spec"]["serviceAccountName"], "application1-sa",
            "{pod}"
        );
        let env = pod["spec"]["containers"][0]["env"].to_string();
        assert!(env.contains("AZURE_FEDERATED_TOKEN_FILE"), "{env}");
    }
}

#[tokio::test]
async fn a_missing_workload_is_an_error_that_names_it() {
    let sandbox = sandbox(Distribution::K0s).await;
    let profile = profile("patch", "StatefulSet", "db");
    let check = workload_step(&sandbox, &profile)
        .await
        .check(&Facts::new())
        .await;
    assert_eq!(check.status, Status::Error);
    assert!(
        check.findings[0]
            .message
            .contains("StatefulSet application1/db does not exist"),
        "{check:?}"
    );
}

#[tokio::test]
async fn webhook_mode_needs_the_webhook_and_then_sets_label_and_annotations() {
    let sandbox = sandbox(Distribution::K3s).await;
    seed_application(&sandbox);
    let profile = profile("webhook", "Deployment", "web-server");
    let step = workload_step(&sandbox, &profile).await;
    let check = step.check(&Facts::new()).await;
    assert!(
        codes(&check).contains(&"WORKLOAD_WEBHOOK_NOT_INSTALLED"),
        "{check:?}"
    );
    sandbox
        .insert(json!({"apiVersion":"admissionregistration.k8s.io/v1","kind":"MutatingWebhookConfiguration",
            "metadata":{"name":"azure-wi-webhook-mutating-webhook-configuration"},"webhooks":[]}))
        .unwrap();
    step.apply(&step.plan(&Facts::new()).await.unwrap(), &Facts::new())
        .await
        .unwrap();
    let live = deployment(&sandbox);
    assert_eq!(
        live["spec"]["template"]["metadata"]["labels"]["azure.workload.identity/use"],
        "true"
    );
    let sa = sandbox
        .object(
            "v1",
            "ServiceAccount",
            Some("application1"),
            "application1-sa",
        )
        .unwrap();
    assert_eq!(
        sa["metadata"]["annotations"]["azure.workload.identity/client-id"],
        CLIENT_ID
    );
    assert!(
        live["spec"]["template"]["spec"]["containers"][0]["env"]
            .to_string()
            .contains("USER_SETTING")
    );
}

#[tokio::test]
async fn export_mode_plans_patches_and_never_writes() {
    let sandbox = sandbox(Distribution::K3s).await;
    seed_application(&sandbox);
    let profile = profile("export", "Deployment", "web-server");
    let step = workload_step(&sandbox, &profile).await;
    let plan = step.plan(&Facts::new()).await.unwrap();
    let yaml = kwif::engine::render::render_plans_yaml(std::slice::from_ref(&plan));
    assert!(
        yaml.contains("kind: Deployment") && yaml.contains("AZURE_FEDERATED_TOKEN_FILE"),
        "{yaml}"
    );
    assert!(step.apply(&plan, &Facts::new()).await.is_err());
    assert!(deployment(&sandbox)["spec"]["template"]["spec"]["serviceAccountName"].is_null());
}
