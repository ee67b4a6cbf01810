//! The `workload` step: the ServiceAccount and the workload's pod template wired for federation,
//! in one of three modes (patch: server-side apply as `kwif`; webhook: the AWI label and
//! annotations; export: kustomize patches). It never removes or replaces the user's own fields.

mod kind;
mod listing;
mod removal;
mod template;

use std::collections::BTreeMap;
use std::time::Duration;

use ::kube::Client;
use ::kube::api::{Api, DeleteParams, DynamicObject, ListParams, PostParams};
use k8s_openapi::api::core::v1::Pod;
use serde_json::{Value, json};

use crate::engine::{Change, Check, Facts, Finding, Plan, Step, StepError, StepFuture, StepId};
use crate::kube::manifest::{comparable_yaml, to_yaml};
use crate::kube::{self as cluster, FIELD_MANAGER, KubeError};
use crate::oidc::AZURE_AUDIENCE;
use crate::profile::{Workload, WorkloadMode};
use kind::shape;
use listing::Listing;
use template::{Wiring, labels, parse_template, pod_is_wired};

pub use template::{TOKEN_FILE, TOKEN_MOUNT_PATH, TOKEN_VOLUME, WEBHOOK_LABEL};

pub const CLIENT_ID_ANNOTATION: &str = "azure.workload.identity/client-id";
pub const TENANT_ID_ANNOTATION: &str = "azure.workload.identity/tenant-id";
pub const TOKEN_EXPIRATION_ANNOTATION: &str =
    "azure.workload.identity/service-account-token-expiration";
/// The AWI webhook's configuration (anchors.md §2); its presence means the webhook is installed.
pub const WEBHOOK_CONFIGURATION: &str = "azure-wi-webhook-mutating-webhook-configuration";
/// How many workloads are checked or planned at once, and how many lists are read at once.
const CONCURRENCY: usize = 16;
/// How long a recreated Job's old object may take to go away.
const DELETION_TIMEOUT: Duration = Duration::from_secs(60);
/// Labels and selector the Job controller generates; a recreated Job gets new ones.
const JOB_GENERATED_LABELS: [&str; 4] = [
    "controller-uid",
    "job-name",
    "batch.kubernetes.io/controller-uid",
    "batch.kubernetes.io/job-name",
];

/// What the pods need to know about their identity; unknown until the identity step has run.
#[derive(Clone, Debug, Default)]
pub struct FederationIds {
    pub client_id: Option<String>,
    pub tenant_id: Option<String>,
    /// `AZURE_AUTHORITY_HOST`, the cloud's login endpoint.
    pub authority_host: String,
}

pub struct WorkloadStep {
    client: Client,
    workloads: Vec<Workload>,
    /// The ids known at start for a workload whose identity the round's facts and
    /// `saved_client_ids` say nothing of.
    ids: FederationIds,
    /// The client id kwif.yaml saved for each identity, by name; the ids a round resolves for
    /// the workload's identity win over them.
    saved_client_ids: BTreeMap<String, String>,
    /// The projected token's audience (the cloud's token-exchange audience).
    audience: String,
    rollout_timeout: Duration,
}

fn label(workload: &Workload) -> String {
    format!(
        "{} {}/{}",
        workload.kind.as_str(),
        workload.namespace,
        workload.name
    )
}

impl WorkloadStep {
    pub fn new(client: Client, workloads: Vec<Workload>, ids: FederationIds) -> WorkloadStep {
        WorkloadStep {
            client,
            workloads,
            ids,
            saved_client_ids: BTreeMap::new(),
            audience: AZURE_AUDIENCE.to_string(),
            rollout_timeout: Duration::from_secs(300),
        }
    }

    /// The client ids kwif.yaml saved, by identity name (for workloads whose identity the
    /// round's facts do not know).
    pub fn with_saved_client_ids(
        mut self,
        saved: impl IntoIterator<Item = (String, String)>,
    ) -> WorkloadStep {
        self.saved_client_ids.extend(saved);
        self
    }

    /// The audience the projected token is minted for (default `api://AzureADTokenExchange`).
    pub fn with_audience(mut self, audience: impl Into<String>) -> WorkloadStep {
        self.audience = audience.into();
        self
    }

    pub fn with_rollout_timeout(mut self, timeout: Duration) -> WorkloadStep {
        self.rollout_timeout = timeout;
        self
    }

    /// The ids of `workload`'s identity as known in this round: resolved or learned, else
    /// saved in kwif.yaml, else given at construction.
    fn current_ids(&self, facts: &Facts, workload: &Workload) -> FederationIds {
        let name = workload.identity.as_str();
        match super::identity::known_ids(facts, name) {
            Some(ids) => FederationIds {
                client_id: Some(ids.client_id.hyphenated().to_string()),
                tenant_id: Some(ids.tenant_id.hyphenated().to_string()),
                authority_host: self.ids.authority_host.clone(),
            },
            None => FederationIds {
                client_id: self
                    .saved_client_ids
                    .get(name)
                    .cloned()
                    .or_else(|| self.ids.client_id.clone()),
                ..self.ids.clone()
            },
        }
    }

    /// What `workload`'s pod template must hold, with the ids known now.
    fn wiring(&self, workload: &Workload, ids: &FederationIds) -> Wiring {
        Wiring {
            service_account: workload.service_account.as_str().to_string(),
            audience: self.audience.clone(),
            expiration_seconds: i64::from(workload.token_expiration.seconds()),
            env: vec![
                ("AZURE_CLIENT_ID", ids.client_id.clone()),
                ("AZURE_TENANT_ID", ids.tenant_id.clone()),
                ("AZURE_FEDERATED_TOKEN_FILE", Some(TOKEN_FILE.to_string())),
                ("AZURE_AUTHORITY_HOST", Some(ids.authority_host.clone())),
            ],
        }
    }

    fn workload_api(&self, workload: &Workload) -> Api<DynamicObject> {
        let shape = shape(workload.kind);
        let resource = cluster::api_resource(shape.group, "v1", workload.kind.as_str());
        cluster::dynamic_api(&self.client, &resource, workload.namespace.as_str())
    }

    fn service_account_api(&self, workload: &Workload) -> Api<DynamicObject> {
        let resource = cluster::api_resource("", "v1", "ServiceAccount");
        cluster::dynamic_api(&self.client, &resource, workload.namespace.as_str())
    }

    async fn check_one(
        &self,
        workload: &Workload,
        ids: &FederationIds,
        listing: &Listing,
    ) -> (Vec<Finding>, bool) {
        let (findings, drifted) = match self.inspect(workload, ids, listing).await {
            Ok(result) => result,
            Err(error) => (
                vec![Finding::error(
                    "WORKLOAD_API",
                    error.to_string(),
                    api_fix(&error),
                )],
                false,
            ),
        };
        let identity = workload.identity.as_str();
        let findings = findings
            .into_iter()
            .map(|finding| finding.with_identity(identity))
            .collect();
        (findings, drifted)
    }

    async fn inspect(
        &self,
        workload: &Workload,
        ids: &FederationIds,
        listing: &Listing,
    ) -> Result<(Vec<Finding>, bool), KubeError> {
        // What the namespace's list holds, else (the list was refused) the object itself.
        let object = match listing.workload(workload) {
            Some(listed) => listed,
            None => {
                cluster::get_object(&self.workload_api(workload), workload.name.as_str()).await?
            }
        };
        let Some(object) = object else {
            return Ok((vec![not_found(workload)], false));
        };
        let service_account = match listing.service_account(workload) {
            Some(listed) => listed,
            None => {
                cluster::get_object(
                    &self.service_account_api(workload),
                    workload.service_account.as_str(),
                )
                .await?
            }
        };
        let mut findings = Vec::new();
        if service_account.is_none() {
            findings.push(Finding::warning(
                "WORKLOAD_SERVICE_ACCOUNT_MISSING",
                format!(
                    "ServiceAccount {}/{} does not exist",
                    workload.namespace, workload.service_account
                ),
                "kwif apply --step workload creates it",
            ));
        }
        let template = match parse_template(at_path(&object, shape(workload.kind).template_path)) {
            Ok(template) => template,
            Err(problem) => {
                findings.push(Finding::error(
                    "WORKLOAD_TEMPLATE_INVALID",
                    format!("{}: {problem}", label(workload)),
                    "fix the workload's manifest; kwif reads it as the API server stores it",
                ));
                return Ok((findings, false));
            }
        };
        match workload.mode {
            WorkloadMode::Patch | WorkloadMode::Export => {
                let fix = drift_fix(workload);
                findings.extend(
                    self.wiring(workload, ids)
                        .problems(&label(workload), &template)
                        .into_iter()
                        .map(|problem| Finding::warning(problem.code, problem.message, fix)),
                );
            }
            WorkloadMode::Webhook => {
                self.webhook_findings(
                    workload,
                    &template,
                    service_account.as_ref(),
                    ids,
                    &mut findings,
                )
                .await?;
            }
        }
        let drifted = !findings.is_empty();
        if !drifted && shape(workload.kind).rolls_out {
            self.rollout_findings(workload, &object, listing, &mut findings)
                .await?;
        }
        Ok((findings, drifted))
    }

    async fn webhook_findings(
        &self,
        workload: &Workload,
        template: &k8s_openapi::api::core::v1::PodTemplateSpec,
        service_account: Option<&Value>,
        ids: &FederationIds,
        findings: &mut Vec<Finding>,
    ) -> Result<(), KubeError> {
        let who = label(workload);
        let fix = drift_fix(workload);
        if labels(template).get(WEBHOOK_LABEL).map(String::as_str) != Some("true") {
            findings.push(Finding::warning(
                "WORKLOAD_WEBHOOK_LABEL",
                format!("{who}: the pod template lacks the label {WEBHOOK_LABEL}: \"true\""),
                fix,
            ));
        }
        let runs_as = template
            .spec
            .as_ref()
            .and_then(|spec| spec.service_account_name.as_deref());
        if runs_as != Some(workload.service_account.as_str()) {
            findings.push(Finding::warning(
                "WORKLOAD_SERVICE_ACCOUNT",
                format!("{who} does not run as {}", workload.service_account),
                fix,
            ));
        }
        let annotations = service_account.map(|sa| &sa["metadata"]["annotations"]);
        for (key, expected) in Self::service_account_annotations(workload, ids) {
            if annotations.map(|a| a[key].as_str()) != Some(Some(expected.as_str())) {
                findings.push(Finding::warning(
                    "WORKLOAD_SA_ANNOTATION",
                    format!(
                        "ServiceAccount {}/{} lacks {key}: {expected}",
                        workload.namespace, workload.service_account
                    ),
                    fix,
                ));
            }
        }
        let resource = cluster::api_resource(
            "admissionregistration.k8s.io",
            "v1",
            "MutatingWebhookConfiguration",
        );
        let configurations: Api<DynamicObject> = Api::all_with(self.client.clone(), &resource);
        if cluster::get_object(&configurations, WEBHOOK_CONFIGURATION)
            .await?
            .is_none()
        {
            findings.push(Finding::error(
                "WORKLOAD_WEBHOOK_NOT_INSTALLED",
                "webhook mode needs the Azure Workload Identity webhook, which is not installed",
                "helm install workload-identity-webhook azure-workload-identity/workload-identity-webhook -n azure-workload-identity-system --create-namespace --set azureTenantID=TENANT, or use mode: patch",
            ));
        }
        Ok(())
    }

    fn service_account_annotations(
        workload: &Workload,
        ids: &FederationIds,
    ) -> Vec<(&'static str, String)> {
        let mut annotations = Vec::new();
        if let Some(client_id) = &ids.client_id {
            annotations.push((CLIENT_ID_ANNOTATION, client_id.clone()));
        }
        if let Some(tenant_id) = &ids.tenant_id {
            annotations.push((TENANT_ID_ANNOTATION, tenant_id.clone()));
        }
        let seconds = i64::from(workload.token_expiration.seconds());
        if seconds != 3600 {
            annotations.push((TOKEN_EXPIRATION_ANNOTATION, seconds.to_string()));
        }
        annotations
    }

    async fn rollout_findings(
        &self,
        workload: &Workload,
        object: &Value,
        listing: &Listing,
        findings: &mut Vec<Finding>,
    ) -> Result<(), KubeError> {
        let kind = workload.kind.as_str().to_lowercase();
        if let Err(reason) = cluster::rollout_state(object) {
            findings.push(Finding::warning(
                "WORKLOAD_ROLLOUT_PENDING",
                format!("{}: the rollout is not finished: {reason}", label(workload)),
                format!(
                    "kubectl rollout status {kind} {} -n {}",
                    workload.name, workload.namespace
                ),
            ));
            return Ok(());
        }
        let pods = self.running_pods(workload, object, listing).await?;
        let unwired: Vec<&str> = pods
            .iter()
            .filter(|pod| !pod_is_wired(pod, &self.audience))
            .filter_map(|pod| pod.metadata.name.as_deref())
            .collect();
        if !unwired.is_empty() {
            findings.push(Finding::warning(
                "WORKLOAD_POD_NOT_WIRED",
                format!(
                    "{}: running pod(s) {} lack the token volume or AZURE_* variables",
                    label(workload),
                    unwired.join(", ")
                ),
                format!(
                    "restart them: kubectl rollout restart {kind} {} -n {}",
                    workload.name, workload.namespace
                ),
            ));
        }
        Ok(())
    }

    async fn running_pods(
        &self,
        workload: &Workload,
        object: &Value,
        listing: &Listing,
    ) -> Result<Vec<Pod>, KubeError> {
        let Some(labels) = object["spec"]["selector"]["matchLabels"].as_object() else {
            return Ok(Vec::new());
        };
        let pairs: Vec<(String, String)> = labels
            .iter()
            .map(|(key, value)| (key.clone(), value.as_str().unwrap_or_default().to_string()))
            .collect();
        let pods = match listing.pods(workload.namespace.as_str(), &pairs) {
            Some(listed) => listed
                .into_iter()
                .filter_map(|pod| serde_json::from_value::<Pod>(pod).ok())
                .collect(),
            None => {
                let selector: Vec<String> = pairs
                    .iter()
                    .map(|(key, value)| format!("{key}={value}"))
                    .collect();
                let api: Api<Pod> =
                    Api::namespaced(self.client.clone(), workload.namespace.as_str());
                api.list(&ListParams::default().labels(&selector.join(",")))
                    .await
                    .map_err(|error| {
                        KubeError::from_kube(format!("listing pods of {}", label(workload)), error)
                    })?
                    .items
            }
        };
        Ok(pods
            .into_iter()
            .filter(|pod| {
                pod.status
                    .as_ref()
                    .and_then(|status| status.phase.as_deref())
                    == Some("Running")
            })
            .collect())
    }

    /// The objects kwif applies for `workload`: its ServiceAccount, then the workload itself
    /// (whose live object is read here already, for its containers).
    async fn desired(
        &self,
        workload: &Workload,
        ids: &FederationIds,
    ) -> Result<Vec<Desired>, StepError> {
        let api = self.workload_api(workload);
        let live = cluster::get_object(&api, workload.name.as_str())
            .await
            .map_err(step_error)?
            .ok_or_else(|| {
                let finding = not_found(workload);
                StepError::new(finding.message, finding.fix)
            })?;
        let live_template = at_path(&live, shape(workload.kind).template_path);
        let template = parse_template(live_template).map_err(|problem| {
            StepError::new(
                format!("{}: {problem}", label(workload)),
                "fix the workload's manifest; kwif reads it as the API server stores it",
            )
        })?;
        let wiring = self.wiring(workload, ids);
        let recreate = shape(workload.kind).template_immutable
            && workload.mode != WorkloadMode::Webhook
            && !wiring.problems(&label(workload), &template).is_empty();
        let object = if recreate {
            recreated(&live, &wiring.merged_into(live_template))
        } else {
            let patch = match workload.mode {
                WorkloadMode::Webhook => json!({
                    "metadata": {"labels": {WEBHOOK_LABEL: "true"}},
                    "spec": {"serviceAccountName": workload.service_account.as_str()},
                }),
                _ => wiring.patch(&template),
            };
            let mut object = json!({
                "apiVersion": live["apiVersion"],
                "kind": workload.kind.as_str(),
                "metadata": {"name": workload.name.as_str(), "namespace": workload.namespace.as_str()},
            });
            set_path(&mut object, shape(workload.kind).template_path, patch);
            object
        };
        let mut service_account = json!({
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": workload.service_account.as_str(), "namespace": workload.namespace.as_str()},
        });
        // A ServiceAccount kwif creates carries kwif's label, so that `destroy` deletes it and
        // only it; kwif keeps listing the label on its own ServiceAccounts (else the next apply
        // would drop it) and never adds it to one the user made.
        let service_account_api = self.service_account_api(workload);
        let live_service_account =
            cluster::get_object(&service_account_api, workload.service_account.as_str())
                .await
                .map_err(step_error)?;
        if live_service_account
            .as_ref()
            .is_none_or(crate::kube::manifest::created_by_kwif)
        {
            service_account["metadata"]["labels"] = json!({ crate::kube::manifest::MANAGED_BY_LABEL: crate::kube::manifest::MANAGED_BY_KWIF });
        }
        if workload.mode == WorkloadMode::Webhook {
            let annotations: serde_json::Map<String, Value> =
                Self::service_account_annotations(workload, ids)
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), Value::from(v)))
                    .collect();
            service_account["metadata"]["annotations"] = Value::Object(annotations);
        }
        Ok(vec![
            Desired {
                api: service_account_api,
                name: workload.service_account.to_string(),
                object: service_account,
                live: live_service_account,
                recreate: false,
            },
            Desired {
                api,
                name: workload.name.to_string(),
                object,
                live: Some(live),
                recreate,
            },
        ])
    }

    /// What `apply` makes of each workload, in full whatever the cluster holds now, as a GitOps
    /// repository takes it (`kwif export`): the ServiceAccount, the workload's live object
    /// (without server-owned fields) and the patch of the fields kwif owns, at its template path.
    /// A Job gets the same patch; a GitOps engine recreates it, kwif's apply would too.
    pub async fn export(&self, facts: &Facts) -> Result<Vec<ExportedWorkload>, StepError> {
        let mut exported = Vec::new();
        for workload in &self.workloads {
            let ids = self.current_ids(facts, workload);
            let mut desired = self.desired(workload, &ids).await?.into_iter();
            let (Some(service_account), Some(object)) = (desired.next(), desired.next()) else {
                continue;
            };
            let live = object.live.unwrap_or_default();
            let live_template = at_path(&live, shape(workload.kind).template_path);
            let patch = match (workload.mode, parse_template(live_template)) {
                (WorkloadMode::Webhook, _) | (_, Err(_)) => object.object,
                (_, Ok(template)) => {
                    let mut patch = json!({
                        "apiVersion": live["apiVersion"],
                        "kind": workload.kind.as_str(),
                        "metadata": {"name": workload.name.as_str(), "namespace": workload.namespace.as_str()},
                    });
                    set_path(
                        &mut patch,
                        shape(workload.kind).template_path,
                        self.wiring(workload, &ids).patch(&template),
                    );
                    patch
                }
            };
            exported.push(ExportedWorkload {
                workload: workload.clone(),
                service_account: service_account.object,
                live,
                patch,
                client_id_known: ids.client_id.is_some(),
            });
        }
        Ok(exported)
    }

    async fn plan_one(
        &self,
        workload: &Workload,
        ids: &FederationIds,
    ) -> Result<Vec<Change>, StepError> {
        let mut changes = Vec::new();
        for desired in self.desired(workload, ids).await? {
            let Desired {
                api,
                name,
                object,
                live,
                recreate,
            } = desired;
            let live = match live {
                Some(live) => Some(live),
                None => cluster::get_object(&api, &name).await.map_err(step_error)?,
            };
            let kind = object["kind"].as_str().unwrap_or_default();
            let target = format!("{kind} {}/{name}", workload.namespace);
            let before = live.as_ref().map(comparable_yaml).unwrap_or_default();
            let after = if recreate {
                comparable_yaml(&object)
            } else {
                let after = cluster::apply(&api, &name, &object, true)
                    .await
                    .map_err(step_error)?;
                comparable_yaml(&after)
            };
            if before == after {
                continue;
            }
            let summary = match (workload.mode, live.is_some(), recreate) {
                (WorkloadMode::Export, _, _) => {
                    format!("kustomize patch for {target} (commit it to your GitOps repository)")
                }
                (_, _, true) => format!(
                    "recreate {target}: a Job's pod template cannot change, so kwif deletes the Job \
                     and creates it again with the identity wired (its pods run again)"
                ),
                (_, false, _) => format!("create {target}"),
                (_, true, _) => format!("server-side apply {target} as field manager kwif"),
            };
            let (before_text, after_text) = if workload.mode == WorkloadMode::Export {
                (String::new(), to_yaml(&object))
            } else {
                (before, after)
            };
            changes.push(
                Change::new(target, summary, before_text, after_text)
                    .with_manifest(to_yaml(&object)),
            );
        }
        Ok(changes)
    }

    async fn apply_one(&self, workload: &Workload, ids: &FederationIds) -> Result<(), StepError> {
        if workload.mode == WorkloadMode::Export {
            return Err(StepError::new(
                format!(
                    "{} is in export mode: kwif does not write it to the cluster",
                    label(workload)
                ),
                "commit the patches from `kwif plan --output yaml` to your GitOps repository",
            ));
        }
        for Desired {
            api,
            name,
            object,
            recreate,
            ..
        } in self.desired(workload, ids).await?
        {
            if recreate {
                recreate_object(&api, &name, &object)
                    .await
                    .map_err(step_error)?;
            } else {
                cluster::apply(&api, &name, &object, false)
                    .await
                    .map_err(step_error)?;
            }
        }
        if shape(workload.kind).rolls_out {
            cluster::wait_for_rollout(
                &self.workload_api(workload),
                workload.name.as_str(),
                Duration::from_millis(200),
                self.rollout_timeout,
            )
            .await
            .map_err(|error| {
                StepError::new(
                    error.to_string(),
                    "kubectl describe the workload's pods to see why they do not start",
                )
            })?;
        }
        Ok(())
    }
}

/// One workload as `kwif export` writes it.
#[derive(Clone, Debug)]
pub struct ExportedWorkload {
    pub workload: Workload,
    pub service_account: Value,
    /// The object as the API server holds it now.
    pub live: Value,
    /// The fields kwif owns, as a patch of `live` (a strategic-merge patch to kustomize).
    pub patch: Value,
    /// Whether `AZURE_CLIENT_ID` is in the patch (the identity exists).
    pub client_id_known: bool,
}

/// One object kwif applies: where, its name, the fields kwif owns (or, to recreate, the whole
/// object), and the live object when it was read already (`None`: not read yet).
struct Desired {
    api: Api<DynamicObject>,
    name: String,
    object: Value,
    live: Option<Value>,
    /// The object must be deleted and created again (a Job whose pod template changes).
    recreate: bool,
}

/// A Job to create anew from `live` with `template`: without what the server and the Job
/// controller set (ids, status, the generated selector and its labels), which a new Job gets
/// anew unless the user chose the selector (`manualSelector`).
fn recreated(live: &Value, template: &Value) -> Value {
    let mut object = live.clone();
    if let Some(metadata) = object["metadata"].as_object_mut() {
        for key in [
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "managedFields",
            "generation",
            "selfLink",
            "deletionTimestamp",
        ] {
            metadata.remove(key);
        }
    }
    if let Some(map) = object.as_object_mut() {
        map.remove("status");
    }
    object["spec"]["template"] = template.clone();
    if object["spec"]["manualSelector"] != true {
        if let Some(spec) = object["spec"].as_object_mut() {
            spec.remove("selector");
        }
        for pointer in ["/metadata/labels", "/spec/template/metadata/labels"] {
            if let Some(labels) = object.pointer_mut(pointer).and_then(Value::as_object_mut) {
                for key in JOB_GENERATED_LABELS {
                    labels.remove(key);
                }
            }
        }
    }
    object
}

/// Deletes `name`, waits until it is gone, and creates `object` in its place as kwif.
async fn recreate_object(
    api: &Api<DynamicObject>,
    name: &str,
    object: &Value,
) -> Result<(), KubeError> {
    let request =
        |what: String| move |error: ::kube::Error| KubeError::from_kube(what.clone(), error);
    // Background: the old Job's pods go with it, the name is free as soon as the Job is.
    api.delete(name, &DeleteParams::background())
        .await
        .map_err(request(format!("deleting {name} to recreate it")))?;
    let deadline = tokio::time::Instant::now() + DELETION_TIMEOUT;
    while cluster::get_object(api, name).await?.is_some() {
        if tokio::time::Instant::now() >= deadline {
            return Err(KubeError::Request {
                what: format!("recreating {name}"),
                message: format!(
                    "the old object was still there after {} s (a finalizer?)",
                    DELETION_TIMEOUT.as_secs()
                ),
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let created: DynamicObject =
        serde_json::from_value(object.clone()).map_err(|error| KubeError::Failed {
            what: format!("recreating {name}"),
            source: Box::new(error),
        })?;
    let params = PostParams {
        field_manager: Some(FIELD_MANAGER.to_string()),
        ..PostParams::default()
    };
    api.create(&params, &created)
        .await
        .map_err(request(format!("creating {name} again")))?;
    Ok(())
}

impl Step for WorkloadStep {
    fn id(&self) -> StepId {
        StepId::Workload
    }

    fn check<'a>(&'a self, facts: &'a Facts) -> StepFuture<'a, Check> {
        Box::pin(async move {
            // One list per kind and namespace rather than a read per workload: a round trip
            // or two whatever the number of workloads.
            let listing = Listing::read(&self.client, &self.workloads).await;
            let listing = &listing;
            // Bounded, so a profile with hundreds of workloads does not flood the API server.
            let permits = tokio::sync::Semaphore::new(CONCURRENCY);
            let results = futures::future::join_all(self.workloads.iter().map(|workload| async {
                let _permit = permits.acquire().await;
                self.check_one(workload, &self.current_ids(facts, workload), listing)
                    .await
            }))
            .await;
            let drifted = results.iter().any(|(_, drifted)| *drifted);
            let mut findings: Vec<Finding> = results
                .into_iter()
                .flat_map(|(findings, _)| findings)
                .collect();
            findings.extend(self.unknown_identities(facts));
            Check::from_findings(findings, drifted)
        })
    }

    fn plan<'a>(&'a self, facts: &'a Facts) -> StepFuture<'a, Result<Plan, StepError>> {
        Box::pin(async move {
            // The dry runs of different workloads are independent: at most CONCURRENCY at a
            // time; the changes stay in the profile's order, the first failure in that order wins.
            let permits = tokio::sync::Semaphore::new(CONCURRENCY);
            let results = futures::future::join_all(self.workloads.iter().map(|workload| async {
                let _permit = permits.acquire().await;
                self.plan_one(workload, &self.current_ids(facts, workload))
                    .await
            }))
            .await;
            let planned = results.into_iter().collect::<Result<Vec<_>, _>>()?;
            Ok(Plan {
                step: StepId::Workload,
                changes: planned.into_iter().flatten().collect(),
            })
        })
    }

    fn apply<'a>(
        &'a self,
        plan: &'a Plan,
        facts: &'a Facts,
    ) -> StepFuture<'a, Result<Facts, StepError>> {
        Box::pin(async move {
            for workload in &self.workloads {
                let targets = [
                    label(workload),
                    format!(
                        "ServiceAccount {}/{}",
                        workload.namespace, workload.service_account
                    ),
                ];
                if plan
                    .changes
                    .iter()
                    .any(|change| targets.contains(&change.target))
                {
                    self.apply_one(workload, &self.current_ids(facts, workload))
                        .await?;
                }
            }
            Ok(Facts::new())
        })
    }

    fn plan_removal<'a>(&'a self, _facts: &'a Facts) -> StepFuture<'a, Result<Plan, StepError>> {
        Box::pin(async move { Ok(removal::plan(self.plan_removal_changes().await?)) })
    }

    fn remove<'a>(
        &'a self,
        plan: &'a Plan,
        _facts: &'a Facts,
    ) -> StepFuture<'a, Result<(), StepError>> {
        Box::pin(async move { self.remove_planned(plan).await })
    }
}

impl WorkloadStep {
    /// One warning per identity whose client id is not known yet, naming its workloads.
    fn unknown_identities(&self, facts: &Facts) -> Vec<Finding> {
        let mut unknown: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for workload in &self.workloads {
            if self.current_ids(facts, workload).client_id.is_none() {
                unknown
                    .entry(workload.identity.as_str())
                    .or_default()
                    .push(label(workload));
            }
        }
        unknown
            .into_iter()
            .map(|(identity, workloads)| {
                let message = format!(
                    "the client id of identity {identity} is not known yet, so AZURE_CLIENT_ID of {} is not checked",
                    workloads.join(", ")
                );
                Finding::warning(
                    "WORKLOAD_IDENTITY_UNKNOWN",
                    message,
                    "run the identity step first (kwif apply --step identity)",
                )
                .with_identity(identity)
            })
            .collect()
    }
}

/// The fix of a drift finding: a Job is recreated, everything else patched in place.
fn drift_fix(workload: &Workload) -> &'static str {
    if shape(workload.kind).template_immutable {
        "kwif apply --step workload recreates the Job with the identity wired (a Job's pod template cannot change in place)"
    } else {
        "kwif apply --step workload wires it (server-side apply as field manager kwif)"
    }
}

fn not_found(workload: &Workload) -> Finding {
    Finding::error(
        "WORKLOAD_NOT_FOUND",
        format!("{} does not exist", label(workload)),
        "deploy the workload first, or correct its kind, namespace and name under workloads: in kwif.yaml",
    )
}

/// A cluster error as a step error, with the fix its status calls for.
fn step_error(error: KubeError) -> StepError {
    StepError::new(error.to_string(), api_fix(&error))
}

fn api_fix(error: &KubeError) -> String {
    if let Some(fix) = error.unreachable_fix() {
        return fix;
    }
    match error.code() {
        Some(401) => "log in to the cluster again (the kubeconfig's credentials were refused)".into(),
        Some(403) => "kwif needs get/patch on the workload and its ServiceAccount: bind a Role that allows it".into(),
        Some(409) => "another field manager owns these fields: resolve the conflict, then apply again".into(),
        Some(422) => "the API server refused the change as invalid: its message names the field".into(),
        _ => "check that the cluster is reachable with the chosen kubeconfig and context".into(),
    }
}

fn at_path<'v>(value: &'v Value, path: &[&str]) -> &'v Value {
    path.iter().fold(value, |value, key| &value[*key])
}

fn set_path(value: &mut Value, path: &[&str], leaf: Value) {
    let mut current = value;
    for key in path {
        current = &mut current[*key];
    }
    *current = leaf;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recreated_job_loses_what_the_server_and_the_controller_generated() {
        let live = json!({"apiVersion":"batch/v1","kind":"Job",
            "metadata":{"name":"migrate","namespace":"app","uid":"u","resourceVersion":"9",
                "labels":{"team":"data","batch.kubernetes.io/job-name":"migrate","controller-uid":"u"}},
            "spec":{"selector":{"matchLabels":{"batch.kubernetes.io/controller-uid":"u"}},
                "template":{"metadata":{"labels":{"batch.kubernetes.io/controller-uid":"u","job-name":"migrate","app":"m"}},
                    "spec":{"containers":[{"name":"run"}]}}},
            "status":{"succeeded":1}});
        let template = at_path(&live, &["spec", "template"]).clone();
        let job = recreated(&live, &template);
        assert_eq!(job["metadata"]["labels"], json!({"team":"data"}));
        assert_eq!(
            job["spec"]["template"]["metadata"]["labels"],
            json!({"app":"m"})
        );
        assert!(job["spec"].get("selector").is_none());
        assert!(job.get("status").is_none() && job["metadata"].get("uid").is_none());
        let mut manual = live.clone();
        manual["spec"]["manualSelector"] = json!(true);
        assert!(
            recreated(&manual, &template)["spec"]
                .get("selector")
                .is_some()
        );
    }
}
