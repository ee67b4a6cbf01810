//! `kwif destroy` for the workload step: releases exactly the fields kwif owns on each workload
//! (server-side apply of an empty patch as field manager `kwif`) and deletes only the
//! ServiceAccounts kwif created (labelled `app.kubernetes.io/managed-by: kwif`).

use ::kube::api::{Api, DeleteParams, DynamicObject};
use serde_json::{Value, json};

use super::kind::shape;
use super::{WorkloadStep, step_error};
use crate::engine::note_left;
use crate::engine::{Change, Plan, StepError, StepId};
use crate::kube::manifest::{MANAGED_BY_KWIF, MANAGED_BY_LABEL, comparable_yaml, created_by_kwif};
use crate::kube::{self as cluster, KubeError};
use crate::profile::{Workload, WorkloadMode};

/// How one object's removal is carried out.
enum Removal {
    /// Server-side apply of nothing as `kwif`: the API server drops the fields only kwif owns.
    Release,
    /// Delete the whole object (a ServiceAccount kwif created).
    Delete,
}

/// The object an empty apply as `kwif` sends: its identity and nothing else. Under server-side
/// apply a manager that stops listing a field gives it up; a field nobody else owns goes.
fn empty_patch(live: &Value, kind: &str, namespace: &str, name: &str) -> Value {
    json!({
        "apiVersion": live["apiVersion"],
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
    })
}

impl WorkloadStep {
    /// Every object of the profile's workloads kwif would remove or release, once each (two
    /// workloads may share a ServiceAccount), workloads before their ServiceAccounts.
    fn removal_targets(&self) -> Vec<(Api<DynamicObject>, &'static str, String, &Workload)> {
        let mut targets = Vec::new();
        let mut seen = Vec::new();
        // Export mode never wrote to the cluster; a Job's pod template cannot change (and the
        // Job has run), so kwif leaves both as they are.
        let written = self.workloads.iter().filter(|workload| {
            workload.mode != WorkloadMode::Export && !shape(workload.kind).template_immutable
        });
        for workload in written.clone() {
            targets.push((
                self.workload_api(workload),
                workload.kind.as_str(),
                workload.name.to_string(),
                workload,
            ));
        }
        for workload in written {
            let key = (
                workload.namespace.to_string(),
                workload.service_account.to_string(),
            );
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            targets.push((
                self.service_account_api(workload),
                "ServiceAccount",
                workload.service_account.to_string(),
                workload,
            ));
        }
        targets
    }

    pub(super) async fn plan_removal_changes(&self) -> Result<Vec<Change>, StepError> {
        let mut changes = Vec::new();
        // The ServiceAccount each workload's pod template names once kwif's fields are gone
        // (namespace, name): a real API server copies the deprecated `serviceAccount` back into
        // an emptied `serviceAccountName`, and Jobs and export-mode workloads are not released.
        let mut still_named: Vec<(String, String)> = Vec::new();
        for workload in &self.workloads {
            if workload.mode == WorkloadMode::Export || shape(workload.kind).template_immutable {
                let api = self.workload_api(workload);
                if let Some(live) = cluster::get_object(&api, workload.name.as_str())
                    .await
                    .map_err(step_error)?
                {
                    still_named.extend(named_service_account(&live, workload));
                }
            }
        }
        for (api, kind, name, workload) in self.removal_targets() {
            let Some(live) = cluster::get_object(&api, &name).await.map_err(step_error)? else {
                continue;
            };
            let target = format!("{kind} {}/{name}", workload.namespace);
            let before = comparable_yaml(&live);
            let named = still_named.contains(&(workload.namespace.to_string(), name.clone()));
            if kind == "ServiceAccount" && created_by_kwif(&live) && named {
                let left = format!(
                    "{target} (kwif created it, but a workload's pod template still names it once                      kwif's fields are gone: set that template's serviceAccountName, then delete it)"
                );
                changes = note_left(changes, &left);
                continue;
            }
            if kind == "ServiceAccount" && created_by_kwif(&live) {
                changes.push(Change::new(
                    target.clone(),
                    format!("delete {target}: kwif created it (label {MANAGED_BY_LABEL}: {MANAGED_BY_KWIF})"),
                    before,
                    "",
                ));
                continue;
            }
            let patch = empty_patch(&live, kind, workload.namespace.as_str(), &name);
            let released = cluster::apply(&api, &name, &patch, true)
                .await
                .map_err(step_error)?;
            if kind != "ServiceAccount" {
                still_named.extend(named_service_account(&released, workload));
            }
            let after = comparable_yaml(&released);
            if after != before {
                changes.push(Change::new(
                    target.clone(),
                    format!(
                        "remove the fields kwif set on {target} (server-side apply of an empty patch as \
                         field manager kwif); the fields of other managers stay"
                    ),
                    before,
                    after,
                ));
            }
        }
        Ok(changes)
    }

    pub(super) async fn remove_planned(&self, plan: &Plan) -> Result<(), StepError> {
        for (api, kind, name, workload) in self.removal_targets() {
            let target = format!("{kind} {}/{name}", workload.namespace);
            let Some(change) = plan.changes.iter().find(|change| change.target == target) else {
                continue;
            };
            let removal = if change.after.is_empty() {
                Removal::Delete
            } else {
                Removal::Release
            };
            match removal {
                Removal::Delete => {
                    // The plan may be a while old (the wizard's D): delete only while the
                    // object still carries kwif's label.
                    let live = cluster::get_object(&api, &name).await.map_err(step_error)?;
                    if live.as_ref().is_some_and(created_by_kwif) {
                        delete(&api, &name).await.map_err(step_error)?;
                    }
                }
                Removal::Release => {
                    let Some(live) = cluster::get_object(&api, &name).await.map_err(step_error)?
                    else {
                        continue;
                    };
                    let patch = empty_patch(&live, kind, workload.namespace.as_str(), &name);
                    cluster::apply(&api, &name, &patch, false)
                        .await
                        .map_err(step_error)?;
                }
            }
        }
        Ok(())
    }
}

/// The ServiceAccount `object`'s pod template names, with its namespace: `serviceAccountName`,
/// or the deprecated `serviceAccount` the API server keeps beside it.
fn named_service_account(object: &Value, workload: &Workload) -> Option<(String, String)> {
    let spec = &super::at_path(object, shape(workload.kind).template_path)["spec"];
    let name = spec["serviceAccountName"]
        .as_str()
        .filter(|name| !name.is_empty())
        .or_else(|| spec["serviceAccount"].as_str())
        .filter(|name| !name.is_empty())?;
    Some((workload.namespace.to_string(), name.to_string()))
}

/// Deletes `name`; one already gone is fine.
async fn delete(api: &Api<DynamicObject>, name: &str) -> Result<(), KubeError> {
    match api.delete(name, &DeleteParams::default()).await {
        Ok(_) => Ok(()),
        Err(::kube::Error::Api(response)) if response.code == 404 => Ok(()),
        Err(error) => Err(KubeError::from_kube(format!("deleting {name}"), error)),
    }
}

/// The removal plan's step id (kept next to the code that fills it).
pub(super) fn plan(changes: Vec<Change>) -> Plan {
    Plan {
        step: StepId::Workload,
        changes,
    }
}
