//! Every workload kind as kube-apiserver treats it, through kube-rs: what an update of a Job,
//! StatefulSet or CronJob may change, a Job's generated selector, the controllers bringing
//! StatefulSets, DaemonSets and Jobs to their real status, and deletes that take a Job's pods.

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::{Client, Error};
use kwif_sandbox::{Distribution, KubeSandbox, KubeSandboxOptions};
use serde_json::{Value, json};

const NAMESPACE: &str = "default";

/// A running API server and a kube-rs client for it.
struct Cluster {
    sandbox: KubeSandbox,
    client: Client,
}

impl Cluster {
    async fn start() -> Cluster {
        Cluster::with(KubeSandboxOptions::new(Distribution::K3s)).await
    }

    async fn with(options: KubeSandboxOptions) -> Cluster {
        let sandbox = KubeSandbox::start(options).await.expect("sandbox starts");
        let client = sandbox.client().await.expect("client from the kubeconfig");
        Cluster { sandbox, client }
    }

    fn api<K>(&self) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
        <K as kube::Resource>::DynamicType: Default,
    {
        Api::namespaced(self.client.clone(), NAMESPACE)
    }

    /// Creates `object` (JSON of kind `K`) with a POST, as `kubectl create` does.
    async fn create<K>(&self, object: Value) -> Result<K, Error>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
            + Clone
            + serde::de::DeserializeOwned
            + serde::Serialize
            + std::fmt::Debug,
        <K as kube::Resource>::DynamicType: Default,
    {
        let typed: K = serde_json::from_value(object).unwrap();
        self.api::<K>().create(&PostParams::default(), &typed).await
    }

    /// Server-side apply of `object` as field manager `manager`, not forced.
    async fn apply<K>(&self, manager: &str, object: Value) -> Result<K, Error>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
            + Clone
            + serde::de::DeserializeOwned
            + std::fmt::Debug,
        <K as kube::Resource>::DynamicType: Default,
    {
        let name = object["metadata"]["name"].as_str().unwrap().to_string();
        self.api::<K>()
            .patch(&name, &PatchParams::apply(manager), &Patch::Apply(object))
            .await
    }
}

fn status_of(error: Error) -> kube::core::Status {
    match error {
        Error::Api(status) => *status,
        other => panic!("expected a Status, got {other:?}"),
    }
}

/// The `details.causes` of an Invalid status as (reason, field) pairs.
fn causes(status: &kube::core::Status) -> Vec<(String, String)> {
    status
        .details
        .as_ref()
        .map(|details| {
            details
                .causes
                .iter()
                .map(|cause| (cause.reason.clone(), cause.field.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn pair(reason: &str, field: &str) -> (String, String) {
    (reason.to_string(), field.to_string())
}

/// A Job `once` as its team writes it: no selector, restartPolicy Never.
fn job(labels: Value) -> Value {
    json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "once", "namespace": NAMESPACE},
        "spec": {"template": {
            "metadata": {"labels": labels},
            "spec": {"restartPolicy": "Never", "containers": [{"name": "migrate", "image": "ghcr.io/example/migrate:2.0"}]},
        }},
    })
}

/// What kwif applies to a workload's pod template: one env var on its container.
fn kwif_env(api_version: &str, kind: &str, name: &str, container: &str) -> Value {
    json!({
        "apiVersion": api_version, "kind": kind, "metadata": {"name": name},
        "spec": {"template": {"spec": {"containers": [{"name": container, "env": [
            {"name": "AZURE_CLIENT_ID", "value": "00000000-0000-0000-0000-00000000000a"}
        ]}]}}},
    })
}

#[tokio::test]
async fn a_job_gets_a_generated_selector_and_labels_at_creation_unless_it_picks_its_own() {
    let cluster = Cluster::start().await;
    let created: Job = cluster.create(job(json!(null))).await.unwrap();
    let uid = created.metadata.uid.clone().unwrap();
    let spec = created.spec.unwrap();
    assert_eq!(spec.manual_selector, Some(false));
    let selector = serde_json::to_value(spec.selector.unwrap()).unwrap();
    assert_eq!(
        selector,
        json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}})
    );
    let generated = json!({
        "batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": "once",
        "controller-uid": uid, "job-name": "once",
    });
    let template_labels = serde_json::to_value(spec.template.metadata.unwrap().labels).unwrap();
    assert_eq!(template_labels, generated);
    let job_labels = serde_json::to_value(created.metadata.labels).unwrap();
    assert_eq!(job_labels, generated, "a Job without labels shows its template's");

    let mut manual = job(json!({"app": "migrate"}));
    manual["metadata"]["name"] = json!("manual");
    manual["spec"]["manualSelector"] = json!(true);
    manual["spec"]["selector"] = json!({"matchLabels": {"app": "migrate"}});
    let manual: Job = cluster.create(manual).await.unwrap();
    let labels = manual.spec.unwrap().template.metadata.unwrap().labels.unwrap();
    assert_eq!(labels.len(), 1, "no generated labels: {labels:?}");

    let mut chosen = job(json!({"app": "migrate"}));
    chosen["metadata"]["name"] = json!("chosen");
    chosen["spec"]["selector"] = json!({"matchLabels": {"app": "migrate"}});
    let refused = status_of(cluster.create::<Job>(chosen).await.unwrap_err());
    assert_eq!((refused.code, refused.reason.as_str()), (422, "Invalid"));
    assert_eq!(causes(&refused), [pair("FieldValueInvalid", "spec.selector")]);
    // generateSelector adds the uid to the selector given; it still selects `app`.
    assert!(
        refused.message.starts_with(
            "Job.batch \"chosen\" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"migrate\", \"batch.kubernetes.io/controller-uid\":"
        ) && refused.message.ends_with(": `selector` not auto-generated"),
        "{}",
        refused.message
    );
}

#[tokio::test]
async fn an_existing_jobs_template_and_selector_are_immutable() {
    let cluster = Cluster::start().await;
    let created: Job = cluster.create(job(json!({"app": "migrate"}))).await.unwrap();

    // kwif's server-side apply of its env var: the template changes, which a Job refuses.
    let refused = status_of(
        cluster
            .apply::<Job>("kwif", kwif_env("batch/v1", "Job", "once", "migrate"))
            .await
            .unwrap_err(),
    );
    assert_eq!((refused.code, refused.reason.as_str()), (422, "Invalid"));
    assert_eq!(causes(&refused), [pair("FieldValueInvalid", "spec.template")]);
    assert!(
        refused.message.starts_with(
            "Job.batch \"once\" is invalid: spec.template: Invalid value: core.PodTemplateSpec{ObjectMeta:v1.ObjectMeta{"
        ) && refused.message.ends_with("}: field is immutable"),
        "{}",
        refused.message
    );
    let details = refused.details.unwrap();
    assert_eq!(
        (details.name.as_str(), details.group.as_str(), details.kind.as_str()),
        ("once", "batch", "Job")
    );

    // A replace with the manifest as first written lacks the generated selector and labels.
    let mut replaced = job(json!({"app": "migrate"}));
    replaced["metadata"]["resourceVersion"] = json!(created.metadata.resource_version);
    let typed: Job = serde_json::from_value(replaced).unwrap();
    let refused = status_of(
        cluster
            .api::<Job>()
            .replace("once", &PostParams::default(), &typed)
            .await
            .unwrap_err(),
    );
    assert_eq!(
        causes(&refused),
        [
            pair("FieldValueRequired", "spec.selector"),
            pair("FieldValueInvalid", "spec.selector"),
            pair("FieldValueInvalid", "spec.template"),
        ]
    );
    assert!(
        refused
            .message
            .contains("spec.selector: Invalid value: \"null\": field is immutable"),
        "{}",
        refused.message
    );

    let relabelled = json!({"spec": {"selector": {"matchLabels": {"app": "migrate"}}}});
    let refused = status_of(
        cluster
            .api::<Job>()
            .patch("once", &PatchParams::default(), &Patch::Merge(relabelled))
            .await
            .unwrap_err(),
    );
    assert!(
        causes(&refused).contains(&pair("FieldValueInvalid", "spec.selector")),
        "{refused:?}"
    );
    // What may change does: the job's own labels.
    let labelled = json!({"metadata": {"labels": {"team": "payments"}}});
    cluster
        .api::<Job>()
        .patch("once", &PatchParams::default(), &Patch::Merge(labelled))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_suspended_job_that_never_ran_may_change_its_scheduling_but_not_its_containers() {
    let cluster = Cluster::start().await;
    let mut suspended = job(json!({"app": "migrate"}));
    suspended["spec"]["suspend"] = json!(true);
    cluster.create::<Job>(suspended).await.unwrap();
    let scheduling = json!({"spec": {"template": {
        "metadata": {"labels": {"queue": "night"}},
        "spec": {"nodeSelector": {"disk": "ssd"}},
    }}});
    cluster
        .api::<Job>()
        .patch("once", &PatchParams::default(), &Patch::Merge(scheduling))
        .await
        .unwrap();
    let refused = status_of(
        cluster
            .apply::<Job>("kwif", kwif_env("batch/v1", "Job", "once", "migrate"))
            .await
            .unwrap_err(),
    );
    assert_eq!(causes(&refused), [pair("FieldValueInvalid", "spec.template")]);
}

#[tokio::test]
async fn a_cronjobs_job_template_is_mutable_and_its_selector_is_left_to_each_job() {
    let cluster = Cluster::start().await;
    let cron_job = json!({
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": "nightly", "namespace": NAMESPACE},
        "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {"spec": {
            "restartPolicy": "OnFailure",
            "containers": [{"name": "report", "image": "ghcr.io/example/report:1.0"}],
        }}}}},
    });
    cluster.create::<CronJob>(cron_job.clone()).await.unwrap();
    let change = json!({
        "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly"},
        "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "report", "env": [
            {"name": "AZURE_CLIENT_ID", "value": "00000000-0000-0000-0000-00000000000a"}
        ]}]}}}}},
    });
    let applied: CronJob = cluster.apply("kwif", change).await.unwrap();
    assert_eq!(applied.metadata.generation, Some(2));
    let container = &applied.spec.unwrap().job_template.spec.unwrap().template.spec.unwrap().containers[0];
    assert_eq!(container.env.as_ref().unwrap()[0].name, "AZURE_CLIENT_ID");

    let mut selected = cron_job;
    selected["metadata"]["name"] = json!("selected");
    selected["spec"]["jobTemplate"]["spec"]["selector"] = json!({"matchLabels": {"app": "report"}});
    let refused = status_of(cluster.create::<CronJob>(selected).await.unwrap_err());
    assert_eq!(
        causes(&refused),
        [pair("FieldValueInvalid", "spec.jobTemplate.spec.selector")]
    );
    assert!(
        refused.message.ends_with(": `selector` will be auto-generated"),
        "{}",
        refused.message
    );
}

/// A StatefulSet `db` with a claim template, as a team writes it.
fn stateful_set() -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": NAMESPACE},
        "spec": {
            "serviceName": "db",
            "replicas": 2,
            "selector": {"matchLabels": {"app": "db"}},
            "template": {
                "metadata": {"labels": {"app": "db"}},
                "spec": {"containers": [{"name": "postgres", "image": "postgres:17",
                    "volumeMounts": [{"name": "data", "mountPath": "/var/lib/postgresql/data"}]}]},
            },
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
            }}],
        },
    })
}

const STATEFULSET_FORBIDDEN: &str = "StatefulSet.apps \"db\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

#[tokio::test]
async fn a_statefulset_may_change_its_template_and_replicas_but_not_its_claims_selector_or_service() {
    let cluster = Cluster::start().await;
    cluster.create::<StatefulSet>(stateful_set()).await.unwrap();
    let applied: StatefulSet = cluster
        .apply("kwif", kwif_env("apps/v1", "StatefulSet", "db", "postgres"))
        .await
        .unwrap();
    assert_eq!(applied.metadata.generation, Some(2));
    let scaled = json!({"spec": {"replicas": 3, "minReadySeconds": 5}});
    cluster
        .api::<StatefulSet>()
        .patch("db", &PatchParams::default(), &Patch::Merge(scaled))
        .await
        .unwrap();

    let changes = [
        json!({"spec": {"volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
            "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "5Gi"}}}}]}}),
        json!({"spec": {"serviceName": "db-headless"}}),
        json!({"spec": {"selector": {"matchLabels": {"app": "db", "tier": "data"}},
                        "template": {"metadata": {"labels": {"tier": "data"}}}}}),
        json!({"spec": {"podManagementPolicy": "Parallel"}}),
        json!({"spec": {"revisionHistoryLimit": 3}}),
    ];
    for change in changes {
        let refused = status_of(
            cluster
                .api::<StatefulSet>()
                .patch("db", &PatchParams::default(), &Patch::Merge(change.clone()))
                .await
                .unwrap_err(),
        );
        assert_eq!((refused.code, refused.message.as_str()), (422, STATEFULSET_FORBIDDEN), "{change}");
        assert_eq!(causes(&refused), [pair("FieldValueForbidden", "spec")], "{change}");
    }
}

#[tokio::test]
async fn kubernetes_1_35_lets_a_statefulset_change_its_revision_history_limit() {
    let cluster =
        Cluster::with(KubeSandboxOptions::new(Distribution::K3s).with_version("1.35.0")).await;
    cluster.create::<StatefulSet>(stateful_set()).await.unwrap();
    let history = json!({"spec": {"revisionHistoryLimit": 3}});
    cluster
        .api::<StatefulSet>()
        .patch("db", &PatchParams::default(), &Patch::Merge(history))
        .await
        .unwrap();
    let service = json!({"spec": {"serviceName": "db-headless"}});
    let refused = status_of(
        cluster
            .api::<StatefulSet>()
            .patch("db", &PatchParams::default(), &Patch::Merge(service))
            .await
            .unwrap_err(),
    );
    assert!(
        refused.message.ends_with("'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"),
        "{}",
        refused.message
    );
}
