//! Every workload kind against the sandbox API server, which enforces kube-apiserver's update
//! rules: a StatefulSet, a DaemonSet and a CronJob are patched in place (init containers too);
//! a Job, whose pod template cannot change, is planned as a recreate and recreated.

use k8s_openapi::api::batch::v1::Job;
use kube::api::{Api, PostParams};
use kwif::engine::{Facts, Status, Step};
use kwif::profile::Profile;
use kwif::steps::workload::{FederationIds, TOKEN_FILE, WorkloadStep};
use kwif_sandbox::{Distribution, KubeSandbox, KubeSandboxOptions};
use serde_json::{Value, json};

const CLIENT_ID: &str = "4024ab25-56a8-4370-aea6-6389221caf29";
const TENANT_ID: &str = "b6c948ef-f6b5-4384-8354-da3a15eca969";

fn profile(kind: &str, name: &str) -> Profile {
    let yaml = format!(
        "issuer: https://oidc.example.com/cluster1\nhosting:\n  kind: directory\n  directory: {{ path: ./public }}\nazure:\n  tenant: {TENANT_ID}\n  resourceGroup: rg-application1\n  location: westeurope\nidentity:\n  name: id-application1\n  clientId: {CLIENT_ID}\nworkloads:\n  - namespace: batch1\n    serviceAccount: batch1-sa\n    kind: {kind}\n    name: {name}\n    mode: patch\n"
    );
    Profile::from_yaml(&yaml).unwrap_or_else(|error| panic!("{error}"))
}

/// The cluster with namespace `batch1` and `object` created through the API, as kubectl would.
async fn cluster_with(object: Value) -> KubeSandbox {
    let sandbox = KubeSandbox::start(KubeSandboxOptions::new(Distribution::K3s))
        .await
        .expect("sandbox starts");
    sandbox
        .insert(json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"batch1"}}))
        .unwrap();
    let client = sandbox.client().await.unwrap();
    let kind = object["kind"].as_str().unwrap().to_string();
    let (group, version) = object["apiVersion"]
        .as_str()
        .unwrap()
        .split_once('/')
        .unwrap();
    let resource = kwif::kube::api_resource(group, version, &kind);
    let api: Api<kube::api::DynamicObject> = Api::namespaced_with(client, "batch1", &resource);
    api.create(
        &PostParams::default(),
        &serde_json::from_value(object).unwrap(),
    )
    .await
    .unwrap_or_else(|error| panic!("creating the {kind}: {error}"));
    sandbox
}

async fn step(sandbox: &KubeSandbox, profile: &Profile) -> WorkloadStep {
    WorkloadStep::new(
        sandbox.client().await.unwrap(),
        profile.workloads.clone(),
        FederationIds {
            client_id: Some(CLIENT_ID.into()),
            tenant_id: Some(TENANT_ID.into()),
            authority_host: "https://login.microsoftonline.com/".into(),
        },
    )
}

/// A pod template; `restart` is `Always` for the kinds that keep pods running, as the API
/// server demands, `OnFailure` for the batch kinds.
fn pod_spec(restart: &str, containers: Value) -> Value {
    json!({
        "metadata": {"labels": {"app": "worker"}},
        "spec": {
            "restartPolicy": restart,
            "initContainers": [{"name": "migrate", "image": "migrate:1"}],
            "containers": containers,
        }
    })
}

fn user_container() -> Value {
    json!([{"name": "work", "image": "worker:2", "env": [{"name": "USER_SETTING", "value": "keep-me"}]}])
}

fn names(container: &Value, list: &str, key: &str) -> Vec<String> {
    container[list]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| entry[key].as_str().map(str::to_string))
        .collect()
}

/// Check (drift) → plan → apply → check (ok) and a rerun plans nothing; the live pod template
/// (at `template`) keeps the user's variable and wires every container and init container.
async fn converges(sandbox: &KubeSandbox, kind: &str, name: &str, template: &str) -> Value {
    let profile = profile(kind, name);
    let step = step(sandbox, &profile).await;
    let before = step.check(&Facts::new()).await;
    assert_eq!(before.status, Status::Drift, "{before:?}");
    let plan = step.plan(&Facts::new()).await.unwrap();
    step.apply(&plan, &Facts::new())
        .await
        .unwrap_or_else(|error| panic!("{kind} apply: {} (fix: {})", error.message, error.fix));
    let after = step.check(&Facts::new()).await;
    assert_eq!(after.status, Status::Ok, "{after:?}");
    assert!(
        step.plan(&Facts::new()).await.unwrap().is_empty(),
        "a rerun plans nothing"
    );
    let (api_version, plural_kind) = match kind {
        "Job" | "CronJob" => ("batch/v1", kind),
        _ => ("apps/v1", kind),
    };
    let live = sandbox
        .object(api_version, plural_kind, Some("batch1"), name)
        .unwrap();
    let spec = live.pointer(template).unwrap();
    assert_eq!(spec["serviceAccountName"], "batch1-sa");
    let work = &spec["containers"][0];
    let env = names(work, "env", "name");
    for variable in [
        "USER_SETTING",
        "AZURE_CLIENT_ID",
        "AZURE_FEDERATED_TOKEN_FILE",
    ] {
        assert!(
            env.contains(&variable.to_string()),
            "{kind}: {variable} in {env:?}"
        );
    }
    let init = &spec["initContainers"][0];
    assert!(
        names(init, "env", "name").contains(&"AZURE_TENANT_ID".to_string()),
        "{kind}: the init container is wired too: {init}"
    );
    assert!(
        names(init, "volumeMounts", "mountPath")
            .contains(&"/var/run/secrets/azure/tokens".to_string())
    );
    let file = work["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["name"] == "AZURE_FEDERATED_TOKEN_FILE")
        .unwrap();
    assert_eq!(file["value"], TOKEN_FILE);
    live
}

#[tokio::test]
async fn a_statefulset_is_patched_in_place_and_rolls_out() {
    let sandbox = cluster_with(json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "store", "namespace": "batch1"},
        "spec": {
            "serviceName": "store", "replicas": 2,
            "selector": {"matchLabels": {"app": "worker"}},
            "template": pod_spec("Always", user_container()),
            "volumeClaimTemplates": [{"metadata": {"name": "data"},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]
        }
    }))
    .await;
    let live = converges(&sandbox, "StatefulSet", "store", "/spec/template/spec").await;
    assert_eq!(
        live["spec"]["serviceName"], "store",
        "the immutable fields are left alone"
    );
}

#[tokio::test]
async fn a_daemonset_is_patched_in_place_and_rolls_out() {
    let sandbox = cluster_with(json!({
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "agent", "namespace": "batch1"},
        "spec": {
            "selector": {"matchLabels": {"app": "worker"}},
            "template": pod_spec("Always", user_container()),
        }
    }))
    .await;
    converges(&sandbox, "DaemonSet", "agent", "/spec/template/spec").await;
}

#[tokio::test]
async fn a_cronjobs_job_template_is_patched_in_place() {
    let sandbox = cluster_with(json!({
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": "nightly", "namespace": "batch1"},
        "spec": {
            "schedule": "0 2 * * *",
            "jobTemplate": {"spec": {"template": pod_spec("OnFailure", user_container())}}
        }
    }))
    .await;
    converges(
        &sandbox,
        "CronJob",
        "nightly",
        "/spec/jobTemplate/spec/template/spec",
    )
    .await;
}

#[tokio::test]
async fn a_job_is_planned_as_a_recreate_and_recreated_with_a_new_identity() {
    let sandbox = cluster_with(json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "migrate", "namespace": "batch1", "labels": {"team": "data"}},
        "spec": {"template": pod_spec("OnFailure", user_container())}
    }))
    .await;
    let jobs: Api<Job> = Api::namespaced(sandbox.client().await.unwrap(), "batch1");
    let before = jobs.get("migrate").await.unwrap();
    let profile = profile("Job", "migrate");
    let plan = step(&sandbox, &profile)
        .await
        .plan(&Facts::new())
        .await
        .unwrap();
    let change = plan
        .changes
        .iter()
        .find(|change| change.target == "Job batch1/migrate")
        .expect("the Job is planned");
    assert!(
        change
            .summary
            .starts_with("recreate Job batch1/migrate: a Job's pod template cannot change"),
        "{}",
        change.summary
    );
    assert!(
        change.diff().contains("+        - name: AZURE_CLIENT_ID"),
        "{}",
        change.diff()
    );
    let live = converges(&sandbox, "Job", "migrate", "/spec/template/spec").await;
    let after = jobs.get("migrate").await.unwrap();
    assert_ne!(
        after.metadata.uid, before.metadata.uid,
        "a new Job, made by the API server"
    );
    assert_eq!(
        live["metadata"]["labels"]["team"], "data",
        "the user's labels stay"
    );
}
