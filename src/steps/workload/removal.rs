//! `kwif destroy` for the workload step: releases exactly the fields kwif owns on each workload
//! (server-side apply of an empty patch as field manager `kwif`) and deletes only the
//! ServiceAccounts kwif created (labelled `app.kubernetes.io/managed-by: kwif`).

use ::kube::api::{Api, DeleteParams, DynamicObject};
use serde_json::{Value, json};

use super::kind::shape;
use super::{WorkloadStep, step_error};
use crate::engine::{Change, Plan, StepError, StepId};
use crate::kube::manifest::comparable_yaml;
use crate::kube::{self as cluster, KubeError};
use crate::profile::{Workload, WorkloadMode};

/// The label kwif puts on a ServiceAccount it creates, and only then: `destroy` deletes only
/// ServiceAccounts that carry it (a user's own ServiceAccount merely loses kwif's fields).
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const MANAGED_BY_KWIF: &str = "kwif";

/// Whether `service_account` (as the API server holds it) was created by kwif.
pub fn created_by_kwif(service_account: &Value) -> bool {
    service_account["metadata"]["labels"][MANAGED_BY_LABEL].as_str() == Some(MANAGED_BY_KWIF)
}

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
        for (api, kind, name, workload) in self.removal_targets() {
            let Some(live) = cluster::get_object(&api, &name).await.map_err(step_error)? else {
                continue;
            };
            let target = format!("{kind} {}/{name}", workload.namespace);
            let before = comparable_yaml(&live);
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
            let after = cluster::apply(&api, &name, &patch, true)
                .await
                .map_err(step_error)?;
            let after = comparable_yaml(&after);
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
                Removal::Delete => delete(&api, &name).await.map_err(step_error)?,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_service_account_labelled_by_kwif_counts_as_kwifs() {
        let kwifs = json!({"metadata": {"labels": {MANAGED_BY_LABEL: "kwif"}}});
        let users = json!({"metadata": {"labels": {MANAGED_BY_LABEL: "helm"}}});
        assert!(created_by_kwif(&kwifs));
        assert!(!created_by_kwif(&users));
        assert!(!created_by_kwif(&json!({"metadata": {}})));
    }
}
