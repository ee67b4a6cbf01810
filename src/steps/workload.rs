//! The `workload` step: the ServiceAccount and the workload's pod template wired for federation,
//! in one of three modes (patch: server-side apply as `kwif`; webhook: the AWI label and
//! annotations; export: kustomize patches). It never removes or replaces the user's own fields.

use std::time::Duration;

use ::kube::Client;
use ::kube::api::{Api, DynamicObject, ListParams};
use serde_json::{Value, json};

use crate::engine::{Change, Check, Facts, Finding, Plan, Step, StepError, StepFuture, StepId};
use crate::kube::{self as cluster, KubeError};
use crate::oidc::AZURE_AUDIENCE;
use crate::profile::{Workload, WorkloadKind, WorkloadMode};

pub const TOKEN_VOLUME: &str = "azure-identity-token";
pub const TOKEN_MOUNT_PATH: &str = "/var/run/secrets/azure/tokens";
pub const TOKEN_FILE: &str = "/var/run/secrets/azure/tokens/azure-identity-token";
pub const WEBHOOK_LABEL: &str = "azure.workload.identity/use";
pub const CLIENT_ID_ANNOTATION: &str = "azure.workload.identity/client-id";
pub const TENANT_ID_ANNOTATION: &str = "azure.workload.identity/tenant-id";
pub const TOKEN_EXPIRATION_ANNOTATION: &str =
    "azure.workload.identity/service-account-token-expiration";
/// The AWI webhook's configuration (anchors.md §2); its presence means the webhook is installed.
pub const WEBHOOK_CONFIGURATION: &str = "azure-wi-webhook-mutating-webhook-configuration";
/// How many workloads are checked at once.
const CONCURRENCY: usize = 16;

/// What the pods need to know about the identity; unknown until the identity step has run.
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
    ids: FederationIds,
    /// The managed identity whose ids the pods get; its ids resolved in a round win over
    /// those known at start.
    identity_name: Option<String>,
    rollout_timeout: Duration,
}

/// Where a kind keeps its pod template, and whether it rolls out.
struct KindShape {
    group: &'static str,
    template_path: &'static [&'static str],
    rolls_out: bool,
}

fn shape(kind: WorkloadKind) -> KindShape {
    const TEMPLATE: &[&str] = &["spec", "template"];
    match kind {
        WorkloadKind::Deployment | WorkloadKind::StatefulSet | WorkloadKind::DaemonSet => {
            KindShape {
                group: "apps",
                template_path: TEMPLATE,
                rolls_out: true,
            }
        }
        WorkloadKind::Job => KindShape {
            group: "batch",
            template_path: TEMPLATE,
            rolls_out: false,
        },
        WorkloadKind::CronJob => KindShape {
            group: "batch",
            template_path: &["spec", "jobTemplate", "spec", "template"],
            rolls_out: false,
        },
    }
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
            identity_name: None,
            rollout_timeout: Duration::from_secs(300),
        }
    }

    /// Takes the ids of managed identity `name` from the round's facts when they are known.
    pub fn with_identity(mut self, name: impl Into<String>) -> WorkloadStep {
        self.identity_name = Some(name.into());
        self
    }

    /// The ids as known in this round: resolved or learned, else given at construction.
    fn current_ids(&self, facts: &Facts) -> FederationIds {
        let learned = self
            .identity_name
            .as_deref()
            .and_then(|name| super::identity::known_ids(facts, name));
        match learned {
            Some(ids) => FederationIds {
                client_id: Some(ids.client_id.hyphenated().to_string()),
                tenant_id: Some(ids.tenant_id.hyphenated().to_string()),
                authority_host: self.ids.authority_host.clone(),
            },
            None => self.ids.clone(),
        }
    }

    pub fn with_rollout_timeout(mut self, timeout: Duration) -> WorkloadStep {
        self.rollout_timeout = timeout;
        self
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

    /// The environment every container gets: what the Azure SDKs read for workload identity.
    fn environment(ids: &FederationIds) -> Vec<(&'static str, Option<String>)> {
        let ids = ids.clone();
        vec![
            ("AZURE_CLIENT_ID", ids.client_id),
            ("AZURE_TENANT_ID", ids.tenant_id),
            ("AZURE_FEDERATED_TOKEN_FILE", Some(TOKEN_FILE.to_string())),
            ("AZURE_AUTHORITY_HOST", Some(ids.authority_host)),
        ]
    }

    async fn check_one(&self, workload: &Workload, ids: &FederationIds) -> (Vec<Finding>, bool) {
        match self.inspect(workload, ids).await {
            Ok(result) => result,
            Err(error) => (
                vec![Finding::error(
                    "WORKLOAD_API",
                    error.to_string(),
                    api_fix(&error),
                )],
                false,
            ),
        }
    }

    async fn inspect(
        &self,
        workload: &Workload,
        ids: &FederationIds,
    ) -> Result<(Vec<Finding>, bool), KubeError> {
        let Some(object) =
            cluster::get_object(&self.workload_api(workload), workload.name.as_str()).await?
        else {
            return Ok((vec![not_found(workload)], false));
        };
        let service_account = cluster::get_object(
            &self.service_account_api(workload),
            workload.service_account.as_str(),
        )
        .await?;
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
        let template = at_path(&object, shape(workload.kind).template_path);
        match workload.mode {
            WorkloadMode::Patch | WorkloadMode::Export => {
                Self::template_findings(workload, template, ids, &mut findings);
            }
            WorkloadMode::Webhook => {
                self.webhook_findings(
                    workload,
                    template,
                    service_account.as_ref(),
                    ids,
                    &mut findings,
                )
                .await?;
            }
        }
        let drifted = !findings.is_empty();
        if !drifted && shape(workload.kind).rolls_out {
            self.rollout_findings(workload, &object, &mut findings)
                .await?;
        }
        Ok((findings, drifted))
    }

    fn template_findings(
        workload: &Workload,
        template: &Value,
        ids: &FederationIds,
        findings: &mut Vec<Finding>,
    ) {
        let who = label(workload);
        let spec = &template["spec"];
        let service_account = spec["serviceAccountName"].as_str().unwrap_or("default");
        if service_account != workload.service_account.as_str() {
            findings.push(drift(
                "WORKLOAD_SERVICE_ACCOUNT",
                format!(
                    "{who} runs as ServiceAccount {service_account:?}, not {:?}",
                    workload.service_account.as_str()
                ),
            ));
        }
        if let Some(problem) =
            token_volume_problem(spec, i64::from(workload.token_expiration.seconds()))
        {
            findings.push(drift("WORKLOAD_TOKEN_VOLUME", format!("{who}: {problem}")));
        }
        for container in spec["containers"].as_array().into_iter().flatten() {
            let name = container["name"].as_str().unwrap_or("?");
            if !has_token_mount(container) {
                findings.push(drift(
                    "WORKLOAD_TOKEN_MOUNT",
                    format!("{who}: container {name} does not mount the token read-only at {TOKEN_MOUNT_PATH}"),
                ));
            }
            for (variable, expected) in Self::environment(ids) {
                if let Some(problem) = env_problem(container, variable, expected.as_deref()) {
                    findings.push(drift(
                        "WORKLOAD_ENV",
                        format!("{who}: container {name} {problem}"),
                    ));
                }
            }
        }
    }

    async fn webhook_findings(
        &self,
        workload: &Workload,
        template: &Value,
        service_account: Option<&Value>,
        ids: &FederationIds,
        findings: &mut Vec<Finding>,
    ) -> Result<(), KubeError> {
        let who = label(workload);
        if template["metadata"]["labels"][WEBHOOK_LABEL] != "true" {
            findings.push(drift(
                "WORKLOAD_WEBHOOK_LABEL",
                format!("{who}: the pod template lacks the label {WEBHOOK_LABEL}: \"true\""),
            ));
        }
        if template["spec"]["serviceAccountName"].as_str()
            != Some(workload.service_account.as_str())
        {
            findings.push(drift(
                "WORKLOAD_SERVICE_ACCOUNT",
                format!("{who} does not run as {}", workload.service_account),
            ));
        }
        let annotations = service_account.map(|sa| &sa["metadata"]["annotations"]);
        for (key, expected) in Self::service_account_annotations(workload, ids) {
            if annotations.map(|a| a[key].as_str()) != Some(Some(expected.as_str())) {
                findings.push(drift(
                    "WORKLOAD_SA_ANNOTATION",
                    format!(
                        "ServiceAccount {}/{} lacks {key}: {expected}",
                        workload.namespace, workload.service_account
                    ),
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
        findings: &mut Vec<Finding>,
    ) -> Result<(), KubeError> {
        if let Err(reason) = cluster::rollout_state(object) {
            findings.push(Finding::warning(
                "WORKLOAD_ROLLOUT_PENDING",
                format!("{}: the rollout is not finished: {reason}", label(workload)),
                format!(
                    "kubectl rollout status {} {} -n {}",
                    workload.kind.as_str().to_lowercase(),
                    workload.name,
                    workload.namespace
                ),
            ));
            return Ok(());
        }
        let pods = self.running_pods(workload, object).await?;
        let unwired: Vec<&str> = pods
            .iter()
            .filter(|pod| !pod_is_wired(pod))
            .filter_map(|pod| pod["metadata"]["name"].as_str())
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
                    "restart them: kubectl rollout restart {} {} -n {}",
                    workload.kind.as_str().to_lowercase(),
                    workload.name,
                    workload.namespace
                ),
            ));
        }
        Ok(())
    }

    async fn running_pods(
        &self,
        workload: &Workload,
        object: &Value,
    ) -> Result<Vec<Value>, KubeError> {
        let Some(labels) = object["spec"]["selector"]["matchLabels"].as_object() else {
            return Ok(Vec::new());
        };
        let selector: Vec<String> = labels
            .iter()
            .map(|(key, value)| format!("{key}={}", value.as_str().unwrap_or_default()))
            .collect();
        let resource = cluster::api_resource("", "v1", "Pod");
        let api = cluster::dynamic_api(&self.client, &resource, workload.namespace.as_str());
        let pods = api
            .list(&ListParams::default().labels(&selector.join(",")))
            .await
            .map_err(|error| KubeError::Request {
                what: format!("listing pods of {}", label(workload)),
                message: error.to_string(),
            })?;
        Ok(pods
            .items
            .into_iter()
            .map(|pod| serde_json::to_value(pod).unwrap_or(Value::Null))
            .filter(|pod| pod["status"]["phase"] == "Running")
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
        let template = Self::template_patch(
            workload,
            at_path(&live, shape(workload.kind).template_path),
            ids,
        );
        let mut object = json!({
            "apiVersion": live["apiVersion"],
            "kind": workload.kind.as_str(),
            "metadata": {"name": workload.name.as_str(), "namespace": workload.namespace.as_str()},
        });
        set_path(&mut object, shape(workload.kind).template_path, template);
        let mut service_account = json!({
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": workload.service_account.as_str(), "namespace": workload.namespace.as_str()},
        });
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
                api: self.service_account_api(workload),
                name: workload.service_account.to_string(),
                object: service_account,
                live: None,
            },
            Desired {
                api,
                name: workload.name.to_string(),
                object,
                live: Some(live),
            },
        ])
    }

    /// Only the fields kwif owns in the pod template; server-side apply merges them with the
    /// user's (containers, env and volumes are merged by name, volume mounts by path).
    fn template_patch(workload: &Workload, live_template: &Value, ids: &FederationIds) -> Value {
        let service_account = workload.service_account.as_str();
        if workload.mode == WorkloadMode::Webhook {
            return json!({
                "metadata": {"labels": {WEBHOOK_LABEL: "true"}},
                "spec": {"serviceAccountName": service_account},
            });
        }
        let env: Vec<Value> = Self::environment(ids)
            .into_iter()
            .filter_map(|(name, value)| value.map(|value| json!({"name": name, "value": value})))
            .collect();
        let containers: Vec<Value> = live_template["spec"]["containers"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|container| {
                json!({
                    "name": container["name"],
                    "env": env,
                    "volumeMounts": [{"name": TOKEN_VOLUME, "mountPath": TOKEN_MOUNT_PATH, "readOnly": true}],
                })
            })
            .collect();
        json!({"spec": {
            "serviceAccountName": service_account,
            "volumes": [{"name": TOKEN_VOLUME, "projected": {"sources": [{"serviceAccountToken": {
                "path": TOKEN_VOLUME,
                "audience": AZURE_AUDIENCE,
                "expirationSeconds": i64::from(workload.token_expiration.seconds()),
            }}]}}],
            "containers": containers,
        }})
    }

    async fn plan_one(
        &self,
        workload: &Workload,
        ids: &FederationIds,
    ) -> Result<Vec<Change>, StepError> {
        let mut changes = Vec::new();
        for Desired {
            api,
            name,
            object,
            live,
        } in self.desired(workload, ids).await?
        {
            let live = match live {
                Some(live) => Some(live),
                None => cluster::get_object(&api, &name).await.map_err(step_error)?,
            };
            let after = cluster::apply(&api, &name, &object, true)
                .await
                .map_err(step_error)?;
            let before = live.as_ref().map(comparable_yaml).unwrap_or_default();
            let after = comparable_yaml(&after);
            if before == after {
                continue;
            }
            let kind = object["kind"].as_str().unwrap_or_default();
            let target = format!("{kind} {}/{name}", workload.namespace);
            let summary = match (workload.mode, live.is_some()) {
                (WorkloadMode::Export, _) => {
                    format!("kustomize patch for {target} (commit it to your GitOps repository)")
                }
                (_, false) => format!("create {target}"),
                (_, true) => format!("server-side apply {target} as field manager kwif"),
            };
            let after_text = if workload.mode == WorkloadMode::Export {
                to_yaml(&object)
            } else {
                after
            };
            let before_text = if workload.mode == WorkloadMode::Export {
                String::new()
            } else {
                before
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
            api, name, object, ..
        } in self.desired(workload, ids).await?
        {
            cluster::apply(&api, &name, &object, false)
                .await
                .map_err(step_error)?;
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

/// One object kwif applies: where, its name, the fields kwif owns, and the live object when
/// it was read already (`None`: not read yet).
struct Desired {
    api: Api<DynamicObject>,
    name: String,
    object: Value,
    live: Option<Value>,
}

impl Step for WorkloadStep {
    fn id(&self) -> StepId {
        StepId::Workload
    }

    fn check<'a>(&'a self, facts: &'a Facts) -> StepFuture<'a, Check> {
        Box::pin(async move {
            let ids = &self.current_ids(facts);
            // Bounded, so a profile with hundreds of workloads does not flood the API server.
            let permits = tokio::sync::Semaphore::new(CONCURRENCY);
            let results = futures::future::join_all(self.workloads.iter().map(|workload| async {
                let _permit = permits.acquire().await;
                self.check_one(workload, ids).await
            }))
            .await;
            let drifted = results.iter().any(|(_, drifted)| *drifted);
            let mut findings: Vec<Finding> = results
                .into_iter()
                .flat_map(|(findings, _)| findings)
                .collect();
            if ids.client_id.is_none() {
                findings.push(Finding::warning(
                    "WORKLOAD_IDENTITY_UNKNOWN",
                    "the managed identity's client id is not known yet, so AZURE_CLIENT_ID is not checked",
                    "run the identity step first (kwif apply --step identity)",
                ));
            }
            Check::from_findings(findings, drifted)
        })
    }

    fn plan<'a>(&'a self, facts: &'a Facts) -> StepFuture<'a, Result<Plan, StepError>> {
        Box::pin(async move {
            let ids = &self.current_ids(facts);
            let mut changes = Vec::new();
            for workload in &self.workloads {
                changes.extend(self.plan_one(workload, ids).await?);
            }
            Ok(Plan {
                step: StepId::Workload,
                changes,
            })
        })
    }

    fn apply<'a>(
        &'a self,
        plan: &'a Plan,
        facts: &'a Facts,
    ) -> StepFuture<'a, Result<Facts, StepError>> {
        Box::pin(async move {
            let ids = &self.current_ids(facts);
            for workload in &self.workloads {
                let targets = [
                    format!(
                        "{} {}/{}",
                        workload.kind.as_str(),
                        workload.namespace,
                        workload.name
                    ),
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
                    self.apply_one(workload, ids).await?;
                }
            }
            Ok(Facts::new())
        })
    }
}

fn drift(code: &'static str, message: String) -> Finding {
    Finding::warning(
        code,
        message,
        "kwif apply --step workload wires it (server-side apply as field manager kwif)",
    )
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
        _ => "check that the cluster is reachable with the chosen kubeconfig and context".into(),
    }
}

fn token_volume_problem(spec: &Value, expiration: i64) -> Option<String> {
    let volumes = spec["volumes"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let Some(volume) = volumes.iter().find(|v| v["name"] == TOKEN_VOLUME) else {
        return Some(format!(
            "the pod template has no projected token volume {TOKEN_VOLUME}"
        ));
    };
    let sources = volume["projected"]["sources"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let Some(token) = sources
        .iter()
        .map(|s| &s["serviceAccountToken"])
        .find(|t| t.is_object())
    else {
        return Some(format!(
            "volume {TOKEN_VOLUME} does not project a service-account token"
        ));
    };
    if token["audience"] != AZURE_AUDIENCE {
        return Some(format!(
            "the projected token's audience is {}, not {AZURE_AUDIENCE} (AADSTS700212)",
            token["audience"]
        ));
    }
    if token["path"] != TOKEN_VOLUME {
        return Some(format!(
            "the projected token's path is {}, not {TOKEN_VOLUME}",
            token["path"]
        ));
    }
    let seconds = token["expirationSeconds"].as_i64().unwrap_or(3600);
    (seconds != expiration).then(|| {
        format!("the projected token lives {seconds} s, the profile asks for {expiration} s")
    })
}

fn has_token_mount(container: &Value) -> bool {
    container["volumeMounts"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|mount| {
            mount["name"] == TOKEN_VOLUME
                && mount["mountPath"] == TOKEN_MOUNT_PATH
                && mount["readOnly"] == true
        })
}

fn env_problem(container: &Value, variable: &str, expected: Option<&str>) -> Option<String> {
    let env = container["env"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let Some(entry) = env.iter().find(|e| e["name"] == variable) else {
        return Some(format!("lacks {variable}"));
    };
    let actual = entry["value"].as_str();
    match expected {
        Some(expected) if actual != Some(expected) => Some(format!(
            "has {variable}={}, expected {expected}",
            actual.unwrap_or("(from a reference)")
        )),
        _ => None,
    }
}

fn pod_is_wired(pod: &Value) -> bool {
    let spec = &pod["spec"];
    let has_volume = spec["volumes"].as_array().into_iter().flatten().any(|v| {
        v["projected"]["sources"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|s| s["serviceAccountToken"]["audience"] == AZURE_AUDIENCE)
    });
    let has_env = spec["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|c| {
            c["env"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|e| e["name"] == "AZURE_FEDERATED_TOKEN_FILE")
        });
    // In every mode a wired pod has both (the webhook injects them at admission); a pod without
    // them predates the change.
    has_volume && has_env
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

/// An object as YAML without the fields the server owns, so two reads compare by content.
fn comparable_yaml(object: &Value) -> String {
    let mut object = object.clone();
    if let Some(metadata) = object["metadata"].as_object_mut() {
        for key in [
            "managedFields",
            "resourceVersion",
            "generation",
            "uid",
            "creationTimestamp",
        ] {
            metadata.remove(key);
        }
    }
    if let Some(map) = object.as_object_mut() {
        map.remove("status");
    }
    to_yaml(&object)
}

fn to_yaml(value: &Value) -> String {
    serde_yaml::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wired_template_has_no_token_volume_problem() {
        let spec = json!({"volumes":[{"name":TOKEN_VOLUME,"projected":{"sources":[{"serviceAccountToken":
            {"path":TOKEN_VOLUME,"audience":AZURE_AUDIENCE,"expirationSeconds":3600}}]}}]});
        assert_eq!(token_volume_problem(&spec, 3600), None);
        assert!(
            token_volume_problem(&spec, 7200)
                .unwrap()
                .contains("lives 3600 s")
        );
        let wrong = json!({"volumes":[{"name":TOKEN_VOLUME,"projected":{"sources":[{"serviceAccountToken":
            {"path":TOKEN_VOLUME,"audience":"https://kubernetes.default.svc"}}]}}]});
        assert!(
            token_volume_problem(&wrong, 3600)
                .unwrap()
                .contains("AADSTS700212")
        );
        assert!(
            token_volume_problem(&json!({}), 3600)
                .unwrap()
                .contains("no projected token volume")
        );
    }

    #[test]
    fn env_problems_name_the_variable() {
        let container = json!({"env":[{"name":"AZURE_CLIENT_ID","value":"old"}]});
        assert_eq!(
            env_problem(&container, "AZURE_TENANT_ID", None).as_deref(),
            Some("lacks AZURE_TENANT_ID")
        );
        assert_eq!(
            env_problem(&container, "AZURE_CLIENT_ID", Some("new")).as_deref(),
            Some("has AZURE_CLIENT_ID=old, expected new")
        );
        assert_eq!(env_problem(&container, "AZURE_CLIENT_ID", None), None);
    }

    #[test]
    fn comparable_yaml_ignores_server_owned_fields() {
        let a = json!({"metadata":{"name":"x","resourceVersion":"1","managedFields":[1]},"spec":{"a":1},"status":{"b":2}});
        let b = json!({"metadata":{"name":"x","resourceVersion":"7"},"spec":{"a":1}});
        assert_eq!(comparable_yaml(&a), comparable_yaml(&b));
    }

    #[test]
    fn cronjobs_keep_their_pod_template_under_the_job_template() {
        let cronjob = json!({"spec":{"jobTemplate":{"spec":{"template":{"spec":{"serviceAccountName":"sa"}}}}}});
        assert_eq!(
            at_path(&cronjob, shape(WorkloadKind::CronJob).template_path)["spec"]["serviceAccountName"],
            "sa"
        );
    }
}
