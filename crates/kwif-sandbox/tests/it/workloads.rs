//! Every workload kind as kube-apiserver treats it, through kube-rs: what an update of a Job,
//! StatefulSet or CronJob may change, a Job's generated selector, the controllers bringing
//! StatefulSets, DaemonSets and Jobs to their real status, and deletes that take a Job's pods.

use k8s_openapi::api::apps::v1::{DaemonSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
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

    /// The pods in the namespace whose controller is the object with `owner_uid`.
    fn pods_of(&self, owner_uid: &str) -> Vec<Value> {
        self.sandbox
            .objects("v1", "Pod", Some(NAMESPACE))
            .into_iter()
            .filter(|pod| controller_uid(pod) == Some(owner_uid))
            .collect()
    }
}

fn controller_uid(object: &Value) -> Option<&str> {
    object["metadata"]["ownerReferences"]
        .as_array()?
        .iter()
        .find(|owner| owner["controller"] == true)?["uid"]
        .as_str()
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
    assert_eq!(
        job_labels, generated,
        "a Job without labels shows its template's"
    );

    let mut manual = job(json!({"app": "migrate"}));
    manual["metadata"]["name"] = json!("manual");
    manual["spec"]["manualSelector"] = json!(true);
    manual["spec"]["selector"] = json!({"matchLabels": {"app": "migrate"}});
    let manual: Job = cluster.create(manual).await.unwrap();
    let labels = manual
        .spec
        .unwrap()
        .template
        .metadata
        .unwrap()
        .labels
        .unwrap();
    assert_eq!(labels.len(), 1, "no generated labels: {labels:?}");

    let mut chosen = job(json!({"app": "migrate"}));
    chosen["metadata"]["name"] = json!("chosen");
    chosen["spec"]["selector"] = json!({"matchLabels": {"app": "migrate"}});
    let refused = status_of(cluster.create::<Job>(chosen).await.unwrap_err());
    assert_eq!((refused.code, refused.reason.as_str()), (422, "Invalid"));
    assert_eq!(
        causes(&refused),
        [pair("FieldValueInvalid", "spec.selector")]
    );
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
    cluster
        .create::<Job>(job(json!({"app": "migrate"})))
        .await
        .unwrap();

    // kwif's server-side apply of its env var: the template changes, which a Job refuses.
    let refused = status_of(
        cluster
            .apply::<Job>("kwif", kwif_env("batch/v1", "Job", "once", "migrate"))
            .await
            .unwrap_err(),
    );
    assert_eq!((refused.code, refused.reason.as_str()), (422, "Invalid"));
    assert_eq!(
        causes(&refused),
        [pair("FieldValueInvalid", "spec.template")]
    );
    assert!(
        refused.message.starts_with(
            "Job.batch \"once\" is invalid: spec.template: Invalid value: core.PodTemplateSpec{ObjectMeta:v1.ObjectMeta{"
        ) && refused.message.ends_with("}: field is immutable"),
        "{}",
        refused.message
    );
    let details = refused.details.unwrap();
    assert_eq!(
        (
            details.name.as_str(),
            details.group.as_str(),
            details.kind.as_str()
        ),
        ("once", "batch", "Job")
    );

    // A replace with the manifest as first written lacks the generated selector and labels.
    let current = cluster.api::<Job>().get("once").await.unwrap();
    let mut replaced = job(json!({"app": "migrate"}));
    replaced["metadata"]["resourceVersion"] = json!(current.metadata.resource_version);
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
    assert_eq!(
        causes(&refused),
        [pair("FieldValueInvalid", "spec.template")]
    );
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
    let container = &applied
        .spec
        .unwrap()
        .job_template
        .spec
        .unwrap()
        .template
        .spec
        .unwrap()
        .containers[0];
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
        refused
            .message
            .ends_with(": `selector` will be auto-generated"),
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
async fn a_statefulset_may_change_its_template_and_replicas_but_not_its_claims_selector_or_service()
{
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
        assert_eq!(
            (refused.code, refused.message.as_str()),
            (422, STATEFULSET_FORBIDDEN),
            "{change}"
        );
        assert_eq!(
            causes(&refused),
            [pair("FieldValueForbidden", "spec")],
            "{change}"
        );
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

/// The value at `pointer` of an object's status, as JSON.
fn status(object: &impl serde::Serialize) -> Value {
    serde_json::to_value(object).unwrap()["status"].clone()
}

#[tokio::test]
async fn a_statefulset_runs_its_pods_with_their_claims_and_reports_its_real_status() {
    let cluster = Cluster::start().await;
    let created: StatefulSet = cluster.create(stateful_set()).await.unwrap();
    let uid = created.metadata.uid.unwrap();
    let set: StatefulSet = cluster.api().get("db").await.unwrap();
    let first = status(&set);
    let revision = first["currentRevision"].as_str().unwrap().to_string();
    assert!(revision.starts_with("db-"), "{first}");
    assert_eq!(
        first,
        json!({"observedGeneration": 1, "readyReplicas": 2, "currentReplicas": 2, "updatedReplicas": 2,
               "currentRevision": revision, "updateRevision": revision,
               "replicas": 2, "availableReplicas": 2, "collisionCount": 0})
    );
    let mut pods = cluster.pods_of(&uid);
    pods.sort_by_key(|pod| pod["metadata"]["name"].as_str().unwrap().to_string());
    let names: Vec<&str> = pods
        .iter()
        .map(|pod| pod["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["db-0", "db-1"]);
    assert_eq!(pods[1]["spec"]["hostname"], "db-1");
    assert_eq!(pods[1]["spec"]["subdomain"], "db");
    assert!(
        pods[1]["spec"]["volumes"].as_array().unwrap().contains(
            &json!({"name": "data", "persistentVolumeClaim": {"claimName": "data-db-1"}})
        ),
        "{}",
        pods[1]["spec"]["volumes"]
    );
    assert!(pods.iter().all(|pod| pod["status"]["phase"] == "Running"));

    let applied: StatefulSet = cluster
        .apply("kwif", kwif_env("apps/v1", "StatefulSet", "db", "postgres"))
        .await
        .unwrap();
    assert_eq!(applied.metadata.generation, Some(2));
    let rolled = status(&cluster.api::<StatefulSet>().get("db").await.unwrap());
    assert_eq!(rolled["observedGeneration"], 2);
    assert_ne!(rolled["updateRevision"], json!(revision));
    assert_eq!(rolled["currentRevision"], rolled["updateRevision"]);
    assert_eq!(
        (
            rolled["updatedReplicas"].as_i64(),
            rolled["readyReplicas"].as_i64()
        ),
        (Some(2), Some(2))
    );
    for pod in cluster.pods_of(&uid) {
        let env = &pod["spec"]["containers"][0]["env"];
        assert_eq!(
            env[0]["name"], "AZURE_CLIENT_ID",
            "{}",
            pod["metadata"]["name"]
        );
        assert_eq!(
            pod["metadata"]["labels"]["controller-revision-hash"],
            rolled["updateRevision"]
        );
    }
}

#[tokio::test]
async fn a_daemonset_runs_one_pod_on_the_node_and_rolls_it_when_its_template_changes() {
    let cluster = Cluster::start().await;
    let daemon_set = json!({
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "agent", "namespace": NAMESPACE},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {"metadata": {"labels": {"app": "agent"}},
                         "spec": {"containers": [{"name": "agent", "image": "ghcr.io/example/agent:3.1"}]}},
        },
    });
    let created: DaemonSet = cluster.create(daemon_set).await.unwrap();
    let uid = created.metadata.uid.unwrap();
    let first = status(&cluster.api::<DaemonSet>().get("agent").await.unwrap());
    assert_eq!(
        first,
        json!({"currentNumberScheduled": 1, "desiredNumberScheduled": 1, "numberAvailable": 1,
               "numberMisscheduled": 0, "numberReady": 1, "observedGeneration": 1, "updatedNumberScheduled": 1})
    );
    let before = cluster.pods_of(&uid);
    assert_eq!(before.len(), 1);
    cluster
        .apply::<DaemonSet>("kwif", kwif_env("apps/v1", "DaemonSet", "agent", "agent"))
        .await
        .unwrap();
    let after = cluster.pods_of(&uid);
    assert_eq!(after.len(), 1);
    assert_ne!(after[0]["metadata"]["name"], before[0]["metadata"]["name"]);
    assert_eq!(
        after[0]["spec"]["containers"][0]["env"][0]["name"],
        "AZURE_CLIENT_ID"
    );
    let rolled = status(&cluster.api::<DaemonSet>().get("agent").await.unwrap());
    assert_eq!(
        (
            rolled["observedGeneration"].as_i64(),
            rolled["updatedNumberScheduled"].as_i64(),
            rolled["numberAvailable"].as_i64()
        ),
        (Some(2), Some(1), Some(1))
    );
}

#[tokio::test]
async fn a_job_runs_its_pods_to_completion_and_reports_complete() {
    let cluster = Cluster::start().await;
    let mut two = job(json!({"app": "migrate"}));
    two["spec"]["completions"] = json!(2);
    let created: Job = cluster.create(two).await.unwrap();
    let uid = created.metadata.uid.unwrap();
    let finished = status(&cluster.api::<Job>().get("once").await.unwrap());
    assert_eq!(finished["succeeded"], 2, "{finished}");
    assert_eq!(
        (finished["ready"].as_i64(), finished["terminating"].as_i64()),
        (Some(0), Some(0))
    );
    assert!(
        finished.get("active").is_none(),
        "no active pods: {finished}"
    );
    assert!(finished["startTime"].is_string() && finished["completionTime"].is_string());
    let conditions: Vec<(&str, &str, &str)> = finished["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["type"].as_str().unwrap(),
                c["status"].as_str().unwrap(),
                c["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        conditions,
        [
            ("SuccessCriteriaMet", "True", "CompletionsReached"),
            ("Complete", "True", "CompletionsReached")
        ]
    );
    let pods = cluster.pods_of(&uid);
    assert_eq!(pods.len(), 2);
    for pod in &pods {
        assert_eq!(pod["status"]["phase"], "Succeeded");
        assert_eq!(
            pod["metadata"]["labels"]["batch.kubernetes.io/job-name"],
            "once"
        );
        assert_eq!(pod["metadata"]["ownerReferences"][0]["kind"], "Job");
        assert_eq!(
            pod["status"]["containerStatuses"][0]["state"]["terminated"]["reason"],
            "Completed"
        );
    }

    // A deleted succeeded pod stays counted: the Job is done.
    let pod_name = pods[0]["metadata"]["name"].as_str().unwrap().to_string();
    cluster
        .api::<Pod>()
        .delete(&pod_name, &DeleteParams::default())
        .await
        .unwrap();
    assert_eq!(cluster.pods_of(&uid).len(), 1);
    assert_eq!(
        status(&cluster.api::<Job>().get("once").await.unwrap())["succeeded"],
        2
    );
}

#[tokio::test]
async fn deleting_a_job_in_the_background_or_foreground_takes_its_pods_and_frees_the_name() {
    let cluster = Cluster::start().await;
    let jobs = cluster.api::<Job>();
    for params in [DeleteParams::background(), DeleteParams::foreground()] {
        let created: Job = cluster
            .create(job(json!({"app": "migrate"})))
            .await
            .unwrap();
        let uid = created.metadata.uid.unwrap();
        assert_eq!(cluster.pods_of(&uid).len(), 1);
        let answer = jobs.delete("once", &params).await.unwrap();
        match params.propagation_policy {
            // Deleted at once: a Status says so.
            Some(kube::api::PropagationPolicy::Background) => {
                let status = answer.right().expect("a Status");
                assert_eq!(
                    status.status,
                    Some(kube::core::response::StatusSummary::Success)
                );
            }
            // Held by its finalizer until the pods are gone: the object.
            _ => {
                let deleting = answer.left().expect("the Job");
                assert_eq!(
                    deleting.metadata.finalizers,
                    Some(vec!["foregroundDeletion".to_string()])
                );
                assert!(deleting.metadata.deletion_timestamp.is_some());
            }
        }
        assert!(
            cluster.pods_of(&uid).is_empty(),
            "{:?}",
            params.propagation_policy
        );
        assert!(
            cluster
                .sandbox
                .objects("v1", "Pod", Some(NAMESPACE))
                .is_empty(),
            "no pod is left behind"
        );
        let gone = status_of(jobs.get("once").await.unwrap_err());
        assert_eq!(gone.code, 404);
        // The name is free: the Job as first written is created anew, with a new uid.
        let again: Job = cluster
            .create(job(json!({"app": "migrate"})))
            .await
            .unwrap();
        assert_ne!(again.metadata.uid.unwrap(), uid);
        jobs.delete("once", &DeleteParams::background())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn deleting_a_job_without_a_policy_orphans_its_pods_as_batch_v1_does() {
    let cluster = Cluster::start().await;
    let created: Job = cluster
        .create(job(json!({"app": "migrate"})))
        .await
        .unwrap();
    let uid = created.metadata.uid.unwrap();
    let answer = cluster
        .api::<Job>()
        .delete("once", &DeleteParams::default())
        .await
        .unwrap();
    let deleting = answer
        .left()
        .expect("an orphaning delete answers the object");
    assert_eq!(
        deleting.metadata.finalizers,
        Some(vec!["orphan".to_string()])
    );
    let pods = cluster.sandbox.objects("v1", "Pod", Some(NAMESPACE));
    assert_eq!(pods.len(), 1, "the pod stays");
    assert!(
        pods[0]["metadata"].get("ownerReferences").is_none(),
        "{}",
        pods[0]
    );
    assert_eq!(
        pods[0]["metadata"]["labels"]["batch.kubernetes.io/controller-uid"],
        uid.as_str()
    );

    let raw =
        http::Request::delete("/api/v1/namespaces/default/pods/x?propagationPolicy=Sometimes")
            .body(Vec::new())
            .unwrap();
    let refused = status_of(cluster.client.request::<Value>(raw).await.unwrap_err());
    assert_eq!(
        (refused.code, refused.message.as_str()),
        (
            422,
            "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"Sometimes\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\""
        )
    );
    let both = json!({"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background", "orphanDependents": true});
    let raw = http::Request::delete("/api/v1/namespaces/default/pods/x")
        .header("content-type", "application/json")
        .body(both.to_string().into_bytes())
        .unwrap();
    let refused = status_of(cluster.client.request::<Value>(raw).await.unwrap_err());
    assert_eq!(
        refused.message,
        "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Invalid value: \"Background\": orphanDependents and deletionPropagation cannot be both set"
    );
}
