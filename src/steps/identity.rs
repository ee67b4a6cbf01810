//! The `identity` step: the user-assigned managed identity (created or found, its ids shared
//! with the later steps and the caller), its Azure RBAC role assignments by role name, and its
//! Cosmos DB data-plane roles. Check only reads; apply is safe to rerun.

use std::collections::BTreeMap;

use futures::future::join_all;
use uuid::Uuid;

use crate::azure::arm::ArmClient;
use crate::azure::cosmos::{self, PollPolicy};
use crate::azure::error::AzureError;
use crate::azure::identity_client::{IdentityClient, IdentityIds, IdentityRef, ManagedIdentity};
use crate::azure::roles::{self, PrincipalWait, RoleDefinition};
use crate::azure::session::AzureSession;
use crate::engine::{Change, Check, Facts, Finding, Plan, Step, StepError, StepFuture, StepId};
use crate::profile::{CosmosAccountId, Profile, RoleAssignment, RoleScope};

/// What Resource Manager said of a managed identity when the round's facts were resolved.
#[derive(Clone, Debug)]
pub enum IdentityLookup {
    Exists(IdentityIds),
    Missing,
    /// It could not be read: the steps that need its ids say so rather than guess.
    Failed(AzureError),
}

/// The managed identities of the profile by name, as resolved before the checks or learned by
/// the identity step's apply: how the federation, workload and verify steps learn their ids.
#[derive(Clone, Debug, Default)]
pub struct KnownIdentities(BTreeMap<String, IdentityLookup>);

impl KnownIdentities {
    pub fn with(mut self, name: impl Into<String>, lookup: IdentityLookup) -> KnownIdentities {
        self.0.insert(name.into(), lookup);
        self
    }

    pub fn lookup(&self, name: &str) -> Option<&IdentityLookup> {
        self.0.get(name)
    }

    /// clientId, principalId and tenantId of `name`, once it exists.
    pub fn ids(&self, name: &str) -> Option<IdentityIds> {
        match self.0.get(name) {
            Some(IdentityLookup::Exists(ids)) => Some(*ids),
            _ => None,
        }
    }

    /// Every identity known to exist, by name.
    pub fn existing(&self) -> impl Iterator<Item = (&str, IdentityIds)> {
        self.0.iter().filter_map(|(name, lookup)| match lookup {
            IdentityLookup::Exists(ids) => Some((name.as_str(), *ids)),
            _ => None,
        })
    }
}

/// The ids of `name` in `facts`, if the round resolved them.
pub fn known_ids(facts: &Facts, name: &str) -> Option<IdentityIds> {
    facts.get::<KnownIdentities>()?.ids(name)
}

/// `profile` with the managed identity's ids a run learned, when they differ from the ones it
/// holds: what `apply` and the wizard save into kwif.yaml. `None` when there is nothing new.
pub fn with_learned_ids(profile: &Profile, learned: &Facts) -> Option<Profile> {
    let ids = learned
        .get::<KnownIdentities>()?
        .ids(profile.identities[0].name.as_str())?;
    let known = (
        profile.identities[0].client_id,
        profile.identities[0].principal_id,
        profile.azure.tenant,
    );
    if known
        == (
            Some(ids.client_id),
            Some(ids.principal_id),
            Some(ids.tenant_id),
        )
    {
        return None;
    }
    let mut updated = profile.clone();
    updated.identities[0].client_id = Some(ids.client_id);
    updated.identities[0].principal_id = Some(ids.principal_id);
    updated.azure.tenant = Some(ids.tenant_id);
    Some(updated)
}

/// A role of the profile, with what Azure calls it.
#[derive(Clone, Debug)]
enum ResolvedRole {
    Azure {
        scope: RoleScope,
        definition: RoleDefinition,
    },
    Cosmos {
        account: CosmosAccountId,
        definition_id: String,
    },
}

/// One role of the profile as Azure shows it today.
#[derive(Clone, Debug)]
enum RoleState {
    Present,
    /// Not assigned yet (or the identity does not exist yet).
    Missing(ResolvedRole),
    /// The role could not be looked up or read.
    Failed(AzureError),
}

/// What Azure holds today.
struct Observed {
    identity: Option<ManagedIdentity>,
    roles: Vec<(RoleAssignment, RoleState)>,
}

pub struct IdentityStep {
    arm: ArmClient,
    identities: IdentityClient,
    identity: IdentityRef,
    location: String,
    roles: Vec<RoleAssignment>,
    /// The ids the profile had saved, to notice an identity that was deleted and recreated.
    saved: (Option<Uuid>, Option<Uuid>),
    principal_wait: PrincipalWait,
    poll: PollPolicy,
}

impl IdentityStep {
    pub fn new(
        arm: ArmClient,
        identity: IdentityRef,
        location: impl Into<String>,
        roles: Vec<RoleAssignment>,
    ) -> Result<IdentityStep, AzureError> {
        Ok(IdentityStep {
            identities: IdentityClient::new(&arm)?,
            arm,
            identity,
            location: location.into(),
            roles,
            saved: (None, None),
            principal_wait: PrincipalWait::default(),
            poll: PollPolicy::default(),
        })
    }

    /// The step for `profile` in the session's subscription.
    pub fn from_profile(
        session: &AzureSession,
        profile: &Profile,
    ) -> Result<IdentityStep, AzureError> {
        let mut step = IdentityStep::new(
            session.arm.clone(),
            identity_ref(session, profile),
            profile.azure.location.as_str(),
            profile.identities[0].roles.clone(),
        )?;
        step.saved = (
            profile.identities[0].client_id,
            profile.identities[0].principal_id,
        );
        Ok(step)
    }

    /// How long to wait for a fresh principal to replicate, and for an accepted Cosmos write.
    pub fn with_waits(mut self, principal_wait: PrincipalWait, poll: PollPolicy) -> IdentityStep {
        self.principal_wait = principal_wait;
        self.poll = poll;
        self
    }

    /// The facts this step hands on: the identity as Resource Manager shows it now.
    fn known(&self, lookup: IdentityLookup) -> Facts {
        Facts::new().with(KnownIdentities::default().with(self.identity.name.clone(), lookup))
    }

    async fn observe(&self) -> Result<Observed, AzureError> {
        let identity = self.identities.get(&self.identity).await?;
        let principal = identity.as_ref().map(|found| found.ids.principal_id);
        let roles = join_all(
            self.roles
                .iter()
                .map(|role| async move { (role.clone(), self.role_state(role, principal).await) }),
        )
        .await;
        Ok(Observed { identity, roles })
    }

    async fn role_state(&self, role: &RoleAssignment, principal: Option<Uuid>) -> RoleState {
        let resolved = match self.resolve(role).await {
            Ok(resolved) => resolved,
            Err(error) => return RoleState::Failed(error),
        };
        let Some(principal) = principal else {
            return RoleState::Missing(resolved);
        };
        let found = match &resolved {
            ResolvedRole::Azure { scope, definition } => {
                roles::find_assignment(&self.arm, scope, principal, definition).await
            }
            ResolvedRole::Cosmos {
                account,
                definition_id,
            } => {
                cosmos::find_sql_role_assignment(&self.arm, account, principal, definition_id).await
            }
        };
        match found {
            Ok(Some(_)) => RoleState::Present,
            Ok(None) => RoleState::Missing(resolved),
            Err(error) => RoleState::Failed(error),
        }
    }

    async fn resolve(&self, role: &RoleAssignment) -> Result<ResolvedRole, AzureError> {
        match role {
            RoleAssignment::Azure { role, scope } => {
                let definition = roles::find_role_definition(&self.arm, scope, role).await?;
                Ok(ResolvedRole::Azure {
                    scope: scope.clone(),
                    definition,
                })
            }
            RoleAssignment::CosmosData { role, account } => {
                let definition_id =
                    cosmos::find_sql_role_definition(&self.arm, account, role).await?;
                Ok(ResolvedRole::Cosmos {
                    account: account.clone(),
                    definition_id,
                })
            }
        }
    }

    fn findings(&self, observed: &Observed) -> (Vec<Finding>, bool) {
        let mut findings = Vec::new();
        let mut drifted = false;
        match &observed.identity {
            None => {
                drifted = true;
                findings.push(Finding::warning(
                    "IDENTITY_MISSING",
                    format!(
                        "managed identity {} does not exist in resource group {} (subscription {})",
                        self.identity.name,
                        self.identity.resource_group,
                        self.identity.subscription
                    ),
                    "`kwif apply --step identity` creates it",
                ));
            }
            Some(found) => findings.extend(self.changed_ids(found)),
        }
        for (role, state) in &observed.roles {
            if let RoleAssignment::Azure { scope, role: name } = role
                && roles::is_whole_subscription(scope)
            {
                findings.push(Finding::warning(
                    "IDENTITY_ROLE_SUBSCRIPTION_SCOPE",
                    format!("{name:?} is assigned on the whole subscription {scope}: the workload may use every resource in it"),
                    "narrow the scope to the resource group or the resource the workload uses",
                ));
            }
            match state {
                RoleState::Present => {}
                RoleState::Missing(_) if observed.identity.is_none() => {}
                RoleState::Missing(_) => {
                    drifted = true;
                    findings.push(Finding::warning(
                        "IDENTITY_ROLE_MISSING",
                        format!("{} does not have {}", self.identity.name, describe(role)),
                        "`kwif apply --step identity` assigns it",
                    ));
                }
                RoleState::Failed(error) => findings.push(error.to_finding(role_error_code(error))),
            }
        }
        (findings, drifted)
    }

    /// A warning when the identity's ids differ from those saved in the profile.
    fn changed_ids(&self, found: &ManagedIdentity) -> Option<Finding> {
        let (client_id, principal_id) = self.saved;
        let changed = client_id.is_some_and(|id| id != found.ids.client_id)
            || principal_id.is_some_and(|id| id != found.ids.principal_id);
        changed.then(|| {
            Finding::warning(
                "IDENTITY_IDS_CHANGED",
                format!(
                    "managed identity {} now has clientId {} and principalId {}, not the ids kwif.yaml saved: it was deleted and recreated",
                    self.identity.name, found.ids.client_id, found.ids.principal_id
                ),
                "save the new ids (`kwif apply` does), then `kwif apply --step workload --step federation` rewires the pods",
            )
        })
    }

    fn changes(&self, observed: &Observed) -> Vec<Change> {
        let mut changes = Vec::new();
        if observed.identity.is_none() {
            changes.push(Change::new(
                identity_target(&self.identity),
                format!(
                    "create user-assigned managed identity {} in {} ({})",
                    self.identity.name, self.identity.resource_group, self.location
                ),
                "",
                format!(
                    "id: {}\nlocation: {}\ntags:\n  created-by: kwif\n",
                    self.identity.resource_id(),
                    self.location
                ),
            ));
        }
        let principal = observed
            .identity
            .as_ref()
            .map(|found| found.ids.principal_id.to_string());
        let principal = principal
            .as_deref()
            .unwrap_or("(the new identity's principalId)");
        for (role, state) in &observed.roles {
            if let RoleState::Missing(resolved) = state {
                changes.push(Change::new(
                    role_target(role),
                    format!(
                        "assign {} to {} (principal {principal})",
                        describe(role),
                        self.identity.name
                    ),
                    "",
                    role_manifest(role, resolved, principal),
                ));
            }
        }
        changes
    }

    async fn create_identity(&self) -> Result<IdentityIds, AzureError> {
        let (created, _) = self
            .identities
            .create(&self.identity, &self.location)
            .await?;
        Ok(created.ids)
    }

    async fn assign(&self, resolved: &ResolvedRole, principal: Uuid) -> Result<(), AzureError> {
        match resolved {
            ResolvedRole::Azure { scope, definition } => roles::create_assignment(
                &self.arm,
                scope,
                principal,
                definition,
                &self.principal_wait,
            )
            .await
            .map(drop),
            ResolvedRole::Cosmos {
                account,
                definition_id,
            } => cosmos::create_sql_role_assignment(
                &self.arm,
                account,
                principal,
                definition_id,
                &self.principal_wait,
                &self.poll,
            )
            .await
            .map(drop),
        }
    }
}

/// The identity of `profile` in the session's subscription.
pub fn identity_ref(session: &AzureSession, profile: &Profile) -> IdentityRef {
    IdentityRef {
        subscription: session.subscription,
        resource_group: profile.azure.resource_group.as_str().to_string(),
        name: profile.identities[0].name.as_str().to_string(),
    }
}

fn identity_target(identity: &IdentityRef) -> String {
    format!("managed identity {}", identity.name)
}

fn role_target(role: &RoleAssignment) -> String {
    match role {
        RoleAssignment::Azure { role, scope } => format!("role {role} at {scope}"),
        RoleAssignment::CosmosData { role, account } => {
            format!("Cosmos DB role {role} on {account}")
        }
    }
}

fn describe(role: &RoleAssignment) -> String {
    match role {
        RoleAssignment::Azure { role, scope } => format!("role {:?} at {scope}", role.as_str()),
        RoleAssignment::CosmosData { role, account } => {
            format!(
                "Cosmos DB data-plane role {:?} on account {}",
                role.as_str(),
                account.account()
            )
        }
    }
}

fn role_manifest(role: &RoleAssignment, resolved: &ResolvedRole, principal: &str) -> String {
    let name = match role {
        RoleAssignment::Azure { role, .. } | RoleAssignment::CosmosData { role, .. } => role,
    };
    match resolved {
        ResolvedRole::Azure { scope, definition } => format!(
            "scope: {scope}\nrole: {name}\nroleDefinitionId: {}\nprincipalId: {principal}\nprincipalType: ServicePrincipal\n",
            definition.id_in(scope.subscription())
        ),
        ResolvedRole::Cosmos {
            account,
            definition_id,
        } => {
            format!(
                "account: {account}\nrole: {name}\nroleDefinitionId: {definition_id}\nscope: {account}\nprincipalId: {principal}\n"
            )
        }
    }
}

/// The finding code of a role that could not be read or looked up.
fn role_error_code(error: &AzureError) -> &'static str {
    if error.has_code("RoleDefinitionNotFound") {
        "IDENTITY_ROLE_UNKNOWN"
    } else {
        "IDENTITY_AZURE"
    }
}

impl Step for IdentityStep {
    fn id(&self) -> StepId {
        StepId::Identity
    }

    fn resolve(&self) -> StepFuture<'_, Facts> {
        Box::pin(async move {
            let lookup = match self.identities.get(&self.identity).await {
                Ok(Some(found)) => IdentityLookup::Exists(found.ids),
                Ok(None) => IdentityLookup::Missing,
                Err(error) => IdentityLookup::Failed(error),
            };
            self.known(lookup)
        })
    }

    fn check<'a>(&'a self, _facts: &'a Facts) -> StepFuture<'a, Check> {
        Box::pin(async move {
            match self.observe().await {
                Ok(observed) => {
                    let (findings, drifted) = self.findings(&observed);
                    Check::from_findings(findings, drifted)
                }
                Err(error) => Check::from_findings(vec![error.to_finding("IDENTITY_AZURE")], false),
            }
        })
    }

    fn plan<'a>(&'a self, _facts: &'a Facts) -> StepFuture<'a, Result<Plan, StepError>> {
        Box::pin(async move {
            let observed = self
                .observe()
                .await
                .map_err(|error| error.to_step_error())?;
            if let Some((_, RoleState::Failed(error))) = observed
                .roles
                .iter()
                .find(|(_, state)| matches!(state, RoleState::Failed(_)))
            {
                return Err(error.to_step_error());
            }
            Ok(Plan {
                step: StepId::Identity,
                changes: self.changes(&observed),
            })
        })
    }

    fn apply<'a>(
        &'a self,
        plan: &'a Plan,
        _facts: &'a Facts,
    ) -> StepFuture<'a, Result<Facts, StepError>> {
        Box::pin(async move {
            let planned = |target: &str| plan.changes.iter().any(|change| change.target == target);
            let observed = self
                .observe()
                .await
                .map_err(|error| error.to_step_error())?;
            let ids = match &observed.identity {
                Some(found) => Some(found.ids),
                None if planned(&identity_target(&self.identity)) => Some(
                    self.create_identity()
                        .await
                        .map_err(|error| error.to_step_error())?,
                ),
                None => None,
            };
            let Some(ids) = ids else {
                return Ok(self.known(IdentityLookup::Missing));
            };
            let principal = ids.principal_id;
            // Assignments are independent: made concurrently, so replication waits overlap.
            let planned_roles = observed
                .roles
                .iter()
                .filter(|(role, _)| planned(&role_target(role)));
            let results = join_all(planned_roles.map(|(_, state)| async move {
                match state {
                    RoleState::Missing(resolved) => self.assign(resolved, principal).await,
                    RoleState::Present => Ok(()),
                    RoleState::Failed(error) => Err(error.clone()),
                }
            }))
            .await;
            results
                .into_iter()
                .collect::<Result<Vec<()>, AzureError>>()
                .map_err(|error| error.to_step_error())?;
            Ok(self.known(IdentityLookup::Exists(ids)))
        })
    }
}
