//! The pod template as the workload step wants it: read into k8s-openapi types for checking
//! (service account, projected token volume, mounts and `AZURE_*` variables in every container
//! and init container), and the fields kwif owns as a server-side-apply patch (JSON).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, Pod, PodSpec, PodTemplateSpec};
use serde_json::{Value, json};

pub const TOKEN_VOLUME: &str = "azure-identity-token";
pub const TOKEN_MOUNT_PATH: &str = "/var/run/secrets/azure/tokens";
pub const TOKEN_FILE: &str = "/var/run/secrets/azure/tokens/azure-identity-token";
pub const WEBHOOK_LABEL: &str = "azure.workload.identity/use";

/// A projected token lives an hour unless the pod asks otherwise (the Kubernetes default).
const DEFAULT_EXPIRATION_SECONDS: i64 = 3600;

/// One thing wrong with a pod template: the stable code and the sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub code: &'static str,
    pub message: String,
}

/// What a wired pod template holds for one workload.
#[derive(Clone, Debug)]
pub struct Wiring {
    pub service_account: String,
    /// The projected token's audience: what Entra expects in this cloud.
    pub audience: String,
    pub expiration_seconds: i64,
    /// The `AZURE_*` variables; a `None` value is not known yet and only checked for presence.
    pub env: Vec<(&'static str, Option<String>)>,
}

/// The pod template found at a workload's template path, typed.
pub fn parse_template(value: &Value) -> Result<PodTemplateSpec, String> {
    serde_json::from_value(value.clone())
        .map_err(|error| format!("its pod template cannot be read: {error}"))
}

/// Every container the pod runs, init containers first, with the word that names its kind.
fn all_containers(spec: &PodSpec) -> impl Iterator<Item = (&'static str, &Container)> {
    let init = spec.init_containers.iter().flatten();
    init.map(|container| ("init container", container)).chain(
        spec.containers
            .iter()
            .map(|container| ("container", container)),
    )
}

impl Wiring {
    /// What is missing or wrong in `template`, one problem each; `who` names the workload.
    pub fn problems(&self, who: &str, template: &PodTemplateSpec) -> Vec<Problem> {
        let mut problems = Vec::new();
        let default_spec = PodSpec::default();
        let spec = template.spec.as_ref().unwrap_or(&default_spec);
        let service_account = spec.service_account_name.as_deref().unwrap_or("default");
        if service_account != self.service_account {
            problems.push(Problem {
                code: "WORKLOAD_SERVICE_ACCOUNT",
                message: format!(
                    "{who} runs as ServiceAccount {service_account:?}, not {:?}",
                    self.service_account
                ),
            });
        }
        if let Some(problem) = self.token_volume_problem(spec) {
            problems.push(Problem {
                code: "WORKLOAD_TOKEN_VOLUME",
                message: format!("{who}: {problem}"),
            });
        }
        for (what, container) in all_containers(spec) {
            let name = &container.name;
            if !has_token_mount(container) {
                problems.push(Problem {
                    code: "WORKLOAD_TOKEN_MOUNT",
                    message: format!(
                        "{who}: {what} {name} does not mount the token read-only at {TOKEN_MOUNT_PATH}"
                    ),
                });
            }
            for (variable, expected) in &self.env {
                if let Some(problem) = env_problem(container, variable, expected.as_deref()) {
                    problems.push(Problem {
                        code: "WORKLOAD_ENV",
                        message: format!("{who}: {what} {name} {problem}"),
                    });
                }
            }
        }
        problems
    }

    fn token_volume_problem(&self, spec: &PodSpec) -> Option<String> {
        let volume = spec
            .volumes
            .iter()
            .flatten()
            .find(|volume| volume.name == TOKEN_VOLUME);
        let Some(volume) = volume else {
            return Some(format!(
                "the pod template has no projected token volume {TOKEN_VOLUME}"
            ));
        };
        let token = volume
            .projected
            .iter()
            .flat_map(|projected| projected.sources.iter().flatten())
            .find_map(|source| source.service_account_token.as_ref());
        let Some(token) = token else {
            return Some(format!(
                "volume {TOKEN_VOLUME} does not project a service-account token"
            ));
        };
        let audience = token.audience.as_deref().unwrap_or("(the API server's)");
        if audience != self.audience {
            return Some(format!(
                "the projected token's audience is {audience:?}, not {:?} (AADSTS700212)",
                self.audience
            ));
        }
        if token.path != TOKEN_VOLUME {
            return Some(format!(
                "the projected token's path is {:?}, not {TOKEN_VOLUME:?}",
                token.path
            ));
        }
        let seconds = token
            .expiration_seconds
            .unwrap_or(DEFAULT_EXPIRATION_SECONDS);
        (seconds != self.expiration_seconds).then(|| {
            format!(
                "the projected token lives {seconds} s, the profile asks for {} s",
                self.expiration_seconds
            )
        })
    }

    /// The `AZURE_*` variables whose value is known, as env entries.
    fn env_entries(&self) -> Vec<Value> {
        self.env
            .iter()
            .filter_map(|(name, value)| {
                value
                    .as_ref()
                    .map(|value| json!({"name": name, "value": value}))
            })
            .collect()
    }

    fn volume(&self) -> Value {
        json!({"name": TOKEN_VOLUME, "projected": {"sources": [{"serviceAccountToken": {
            "path": TOKEN_VOLUME,
            "audience": self.audience,
            "expirationSeconds": self.expiration_seconds,
        }}]}})
    }

    fn mount() -> Value {
        json!({"name": TOKEN_VOLUME, "mountPath": TOKEN_MOUNT_PATH, "readOnly": true})
    }

    /// The fields kwif owns in the pod template, as a server-side-apply patch: the API server
    /// merges containers, init containers, env and volumes by name and mounts by path, so the
    /// user's own entries stay.
    pub fn patch(&self, template: &PodTemplateSpec) -> Value {
        let env = self.env_entries();
        let wire = |container: &Container| json!({"name": container.name, "env": env, "volumeMounts": [Wiring::mount()]});
        let default_spec = PodSpec::default();
        let spec = template.spec.as_ref().unwrap_or(&default_spec);
        let containers: Vec<Value> = spec.containers.iter().map(wire).collect();
        let mut patch = json!({"spec": {
            "serviceAccountName": self.service_account,
            "volumes": [self.volume()],
            "containers": containers,
        }});
        let init: Vec<Value> = spec.init_containers.iter().flatten().map(wire).collect();
        if !init.is_empty() {
            patch["spec"]["initContainers"] = Value::Array(init);
        }
        patch
    }

    /// The live template (JSON) with kwif's fields merged in as the API server would merge the
    /// patch: for a Job, whose template cannot change in place and is created anew.
    pub fn merged_into(&self, live_template: &Value) -> Value {
        let mut template = live_template.clone();
        let spec = &mut template["spec"];
        spec["serviceAccountName"] = json!(self.service_account);
        upsert(spec, "volumes", "name", self.volume());
        let env = self.env_entries();
        for list in ["initContainers", "containers"] {
            let Some(containers) = spec[list].as_array_mut() else {
                continue;
            };
            for container in containers {
                for entry in &env {
                    upsert(container, "env", "name", entry.clone());
                }
                upsert(container, "volumeMounts", "mountPath", Wiring::mount());
            }
        }
        template
    }
}

/// Replaces the entry of `object[list]` whose `key` equals `entry`'s, or appends `entry`.
fn upsert(object: &mut Value, list: &str, key: &str, entry: Value) {
    if !object[list].is_array() {
        object[list] = Value::Array(Vec::new());
    }
    let Some(items) = object[list].as_array_mut() else {
        return;
    };
    match items.iter_mut().find(|item| item[key] == entry[key]) {
        Some(item) => *item = entry,
        None => items.push(entry),
    }
}

fn has_token_mount(container: &Container) -> bool {
    container.volume_mounts.iter().flatten().any(|mount| {
        mount.name == TOKEN_VOLUME
            && mount.mount_path == TOKEN_MOUNT_PATH
            && mount.read_only == Some(true)
    })
}

fn env_problem(container: &Container, variable: &str, expected: Option<&str>) -> Option<String> {
    let entry = container
        .env
        .iter()
        .flatten()
        .find(|entry| entry.name == variable);
    let Some(entry) = entry else {
        return Some(format!("lacks {variable}"));
    };
    let actual = entry.value.as_deref();
    match expected {
        Some(expected) if actual != Some(expected) => Some(format!(
            "has {variable}={}, expected {expected}",
            actual.unwrap_or("(from a reference)")
        )),
        _ => None,
    }
}

/// Whether a running pod has the token volume for `audience` and `AZURE_FEDERATED_TOKEN_FILE`
/// in every container. In every mode a wired pod has both (the webhook injects them at
/// admission); a pod without them predates the change.
pub fn pod_is_wired(pod: &Pod, audience: &str) -> bool {
    let Some(spec) = pod.spec.as_ref() else {
        return false;
    };
    let has_volume = spec.volumes.iter().flatten().any(|volume| {
        volume
            .projected
            .iter()
            .flat_map(|projected| projected.sources.iter().flatten())
            .filter_map(|source| source.service_account_token.as_ref())
            .any(|token| token.audience.as_deref() == Some(audience))
    });
    let has_env = spec.containers.iter().all(|container| {
        container
            .env
            .iter()
            .flatten()
            .any(|entry| entry.name == "AZURE_FEDERATED_TOKEN_FILE")
    });
    has_volume && has_env
}

/// The pod template's labels, for the webhook mode's label check.
pub fn labels(template: &PodTemplateSpec) -> BTreeMap<String, String> {
    template
        .metadata
        .as_ref()
        .and_then(|metadata| metadata.labels.clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUDIENCE: &str = "api://AzureADTokenExchange";

    fn wiring() -> Wiring {
        Wiring {
            service_account: "app-sa".into(),
            audience: AUDIENCE.into(),
            expiration_seconds: 3600,
            env: vec![
                ("AZURE_CLIENT_ID", Some("new".into())),
                ("AZURE_TENANT_ID", None),
            ],
        }
    }

    fn template(value: Value) -> PodTemplateSpec {
        parse_template(&value).unwrap()
    }

    fn codes(problems: &[Problem]) -> Vec<&str> {
        problems.iter().map(|problem| problem.code).collect()
    }

    #[test]
    fn a_wired_template_has_no_problem_and_each_gap_is_named() {
        let wired = json!({"spec":{"serviceAccountName":"app-sa",
            "volumes":[{"name":TOKEN_VOLUME,"projected":{"sources":[{"serviceAccountToken":
                {"path":TOKEN_VOLUME,"audience":AUDIENCE,"expirationSeconds":3600}}]}}],
            "containers":[{"name":"web","env":[{"name":"AZURE_CLIENT_ID","value":"new"},{"name":"AZURE_TENANT_ID","value":"t"}],
                "volumeMounts":[{"name":TOKEN_VOLUME,"mountPath":TOKEN_MOUNT_PATH,"readOnly":true}]}]}});
        assert_eq!(wiring().problems("w", &template(wired.clone())), vec![]);
        let mut other_audience = wired.clone();
        other_audience["spec"]["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"]["audience"] =
            json!("https://kubernetes.default.svc");
        let problems = wiring().problems("w", &template(other_audience));
        assert!(problems[0].message.contains("AADSTS700212"), "{problems:?}");
        let mut old_client = wired;
        old_client["spec"]["containers"][0]["env"][0]["value"] = json!("old");
        assert_eq!(
            wiring().problems("w", &template(old_client))[0].message,
            "w: container web has AZURE_CLIENT_ID=old, expected new"
        );
        assert_eq!(
            codes(&wiring().problems(
                "w",
                &template(json!({"spec":{"containers":[{"name":"web"}]}}))
            )),
            [
                "WORKLOAD_SERVICE_ACCOUNT",
                "WORKLOAD_TOKEN_VOLUME",
                "WORKLOAD_TOKEN_MOUNT",
                "WORKLOAD_ENV",
                "WORKLOAD_ENV"
            ]
        );
    }

    #[test]
    fn init_containers_are_checked_and_patched_too() {
        let live =
            json!({"spec":{"initContainers":[{"name":"migrate"}],"containers":[{"name":"web"}]}});
        let problems = wiring().problems("w", &template(live.clone()));
        assert!(
            problems
                .iter()
                .any(|problem| problem.message == "w: init container migrate lacks AZURE_TENANT_ID"),
            "{problems:?}"
        );
        let patch = wiring().patch(&template(live));
        assert_eq!(patch["spec"]["initContainers"][0]["name"], "migrate");
        assert_eq!(
            patch["spec"]["initContainers"][0]["volumeMounts"][0]["mountPath"],
            TOKEN_MOUNT_PATH
        );
        assert_eq!(patch["spec"]["containers"][0]["env"][0]["value"], "new");
        assert_eq!(
            patch["spec"]["containers"][0]["env"]
                .as_array()
                .unwrap()
                .len(),
            1,
            "an unknown value is not written"
        );
    }

    #[test]
    fn merging_keeps_the_users_entries_and_replaces_kwifs_by_name_and_path() {
        let live = json!({"metadata":{"labels":{"app":"batch"}},"spec":{
            "volumes":[{"name":"data","emptyDir":{}}],
            "containers":[{"name":"run","env":[{"name":"MODE","value":"x"},{"name":"AZURE_CLIENT_ID","value":"old"}],
                "volumeMounts":[{"name":"data","mountPath":"/data"}]}]}});
        let merged = wiring().merged_into(&live);
        assert_eq!(merged["metadata"]["labels"]["app"], "batch");
        assert_eq!(merged["spec"]["serviceAccountName"], "app-sa");
        assert_eq!(merged["spec"]["volumes"].as_array().unwrap().len(), 2);
        let env = &merged["spec"]["containers"][0]["env"];
        assert_eq!(env[0], json!({"name":"MODE","value":"x"}));
        assert_eq!(env[1], json!({"name":"AZURE_CLIENT_ID","value":"new"}));
        assert_eq!(
            merged["spec"]["containers"][0]["volumeMounts"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            wiring().problems("w", &template(merged)).len(),
            1,
            "only the unknown tenant"
        );
    }

    #[test]
    fn a_pod_is_wired_when_it_has_the_volume_and_the_token_file_variable() {
        let pod: Pod = serde_json::from_value(json!({"spec":{
            "volumes":[{"name":TOKEN_VOLUME,"projected":{"sources":[{"serviceAccountToken":{"path":TOKEN_VOLUME,"audience":AUDIENCE}}]}}],
            "containers":[{"name":"web","env":[{"name":"AZURE_FEDERATED_TOKEN_FILE","value":TOKEN_FILE}]}]}}))
        .unwrap();
        assert!(pod_is_wired(&pod, AUDIENCE));
        assert!(!pod_is_wired(&pod, "api://AzureADTokenExchangeUSGov"));
        assert!(!pod_is_wired(&Pod::default(), AUDIENCE));
    }
}
