//! `kwif destroy` for the identity step: the profile's role assignments of each identity's
//! principal, then the managed identity (tag `created-by: kwif`) or app registration (tag
//! `created-by:kwif`) itself, only when kwif created it and `--keep-identity` was not given.

use serde_json::Value;

use super::{IdentitySpec, IdentityStep, ResolvedRole, describe};
use crate::azure::application_client::{AppRegistration, KWIF_TAG};
use crate::azure::cosmos::{self, COSMOS_API_VERSION};
use crate::azure::directory::{IdentityTarget, Presence};
use crate::azure::error::AzureError;
use crate::azure::identity_client::{IdentityRef, MANAGED_IDENTITY_API_VERSION};
use crate::azure::roles::{self, AUTHORIZATION_API_VERSION};
use crate::engine::{Change, Facts, Plan, RemovalOptions};

/// The tag kwif puts on a managed identity it creates (`IdentityClient::create`).
const CREATED_BY_TAG: (&str, &str) = ("created-by", "kwif");

/// One thing of an identity `destroy` deletes: its change and the resource to delete.
struct Removable {
    change: Change,
    resource: Resource,
}

/// What deleting a [`Removable`] deletes.
enum Resource {
    /// An ARM resource id and the api-version to delete it with.
    Arm(String, &'static str),
    /// kwif's app registration, through Graph (its service principal goes with it).
    Application(AppRegistration),
}

impl IdentityStep {
    async fn removable(
        &self,
        spec: &IdentitySpec,
        facts: &Facts,
    ) -> Result<Vec<Removable>, AzureError> {
        let known = super::known_ids(facts, spec.name());
        let Presence::Ready(ids) = self.directory.lookup(&spec.target, known).await? else {
            return Ok(Vec::new());
        };
        let mut removable = Vec::new();
        for role in &spec.roles {
            let found = match self.resolve_role(role).await? {
                ResolvedRole::Azure { scope, definition } => {
                    // Only kwif's own (its deterministic name): an assignment of the same role
                    // the user made under another name is theirs, and stays.
                    roles::find_own_assignment(&self.arm, &scope, ids.principal_id, &definition)
                        .await?
                        .map(|id| (id, AUTHORIZATION_API_VERSION))
                }
                ResolvedRole::Cosmos {
                    account,
                    definition_id,
                } => cosmos::find_own_sql_role_assignment(
                    &self.arm,
                    &account,
                    ids.principal_id,
                    &definition_id,
                )
                .await?
                .map(|id| (id, COSMOS_API_VERSION)),
            };
            if let Some((id, api_version)) = found {
                removable.push(Removable {
                    change: Change::new(
                        super::role_target(spec, role),
                        format!(
                            "remove {} from {} (principal {})",
                            describe(role),
                            spec.name(),
                            ids.principal_id
                        ),
                        format!("id: {id}\n"),
                        "",
                    ),
                    resource: Resource::Arm(id, api_version),
                });
            }
        }
        let keep = facts
            .get::<RemovalOptions>()
            .is_some_and(|options| options.keep_identity);
        if let (IdentityTarget::Managed(identity), false) = (&spec.target, keep)
            && let Some(tags) = self.created_by_kwif(identity).await?
        {
            removable.push(Removable {
                change: Change::new(
                    format!("managed identity {}", identity.name),
                    format!(
                        "delete managed identity {} in {}: kwif created it (tag created-by: kwif); \
                         --keep-identity keeps it",
                        identity.name, identity.resource_group
                    ),
                    format!(
                        "id: {}\nclientId: {}\nprincipalId: {}\ntags: {tags}\n",
                        identity.resource_id(),
                        ids.client_id,
                        ids.principal_id
                    ),
                    "",
                ),
                resource: Resource::Arm(identity.resource_id(), MANAGED_IDENTITY_API_VERSION),
            });
        }
        if !keep
            && let Some(app) = self
                .directory
                .kwifs_application(&spec.target, known)
                .await?
        {
            removable.push(Removable {
                change: Change::new(
                    spec.target.describe(),
                    format!(
                        "delete app registration {} with its service principal and federated \
                         credentials: kwif created it (tag {KWIF_TAG}); --keep-identity keeps it",
                        app.display_name
                    ),
                    format!(
                        "id: {}\nappId: {}\nprincipalId: {}\ntags: [{}]\n",
                        app.object_id,
                        app.app_id,
                        ids.principal_id,
                        app.tags.join(", ")
                    ),
                    "",
                ),
                resource: Resource::Application(app),
            });
        }
        Ok(removable)
    }

    /// The identity's tags when they say kwif created it; `None` for an identity made by
    /// someone else (kwif leaves it alone) or one already gone.
    async fn created_by_kwif(&self, identity: &IdentityRef) -> Result<Option<Value>, AzureError> {
        let operation = format!("reading the tags of managed identity {}", identity.name);
        let Some(found) = self
            .arm
            .get(
                &operation,
                &identity.resource_id(),
                MANAGED_IDENTITY_API_VERSION,
            )
            .await?
        else {
            return Ok(None);
        };
        let (key, value) = CREATED_BY_TAG;
        Ok((found["tags"][key].as_str() == Some(value)).then(|| found["tags"].clone()))
    }

    pub(super) async fn plan_removal_changes(
        &self,
        facts: &Facts,
    ) -> Result<Vec<Change>, AzureError> {
        let mut changes = Vec::new();
        for spec in &self.identities {
            changes.extend(
                self.removable(spec, facts)
                    .await?
                    .into_iter()
                    .map(|removable| removable.change),
            );
        }
        Ok(changes)
    }

    /// Deletes what the plan lists, role assignments before their identity (deleting an
    /// identity leaves its assignments behind as "Identity not found" entries).
    pub(super) async fn remove_planned(
        &self,
        plan: &Plan,
        facts: &Facts,
    ) -> Result<(), AzureError> {
        for spec in &self.identities {
            for removable in self.removable(spec, facts).await? {
                let target = &removable.change.target;
                if !plan.changes.iter().any(|change| &change.target == target) {
                    continue;
                }
                match &removable.resource {
                    Resource::Arm(id, api_version) => {
                        self.arm
                            .delete(&format!("deleting {target}"), id, api_version)
                            .await?;
                    }
                    Resource::Application(app) => self.directory.delete_application(app).await?,
                }
            }
        }
        Ok(())
    }
}
