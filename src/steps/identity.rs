//! The `identity` step: each identity of the profile — a user-assigned managed identity, or an
//! app registration with its service principal — created or found (its ids shared with the
//! later steps and the caller), its Azure RBAC role assignments by role name, and its Cosmos DB
//! data-plane roles. Check only reads; apply is safe to rerun.

mod removal;

use crate::engine::Actionable as _;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use futures::future::join_all;
use uuid::Uuid;

use crate::azure::application_client::{KWIF_TAG, ReplicationWait};
use crate::azure::arm::ArmClient;
use crate::azure::cosmos::{self, PollPolicy};
use crate::azure::directory::{IdentityDirectory, IdentityTarget, Presence, not_owned};
use crate::azure::error::AzureError;
use crate::azure::identity_client::{IdentityIds, IdentityRef};
use crate::azure::roles::{self, PrincipalWait, RoleDefinition, WaitNotice};
use crate::azure::session::AzureSession;
use crate::engine::progress;
use crate::engine::{Change, Check, Facts, Finding, Plan, Step, StepError, StepFuture, StepId};
use crate::profile::{CosmosAccountId, Identity, IdentityKind, Profile, RoleAssignment, RoleScope};

/// What Azure said of an identity when the round's facts were resolved.
#[derive(Clone, Debug)]
pub enum IdentityLookup {
    Exists(IdentityIds),
    Missing,
    /// It could not be read: the steps that need its ids say so rather than guess.
    Failed(AzureError),
}

/// The identities of the profile by name, as resolved before the checks or learned by the
/// identity step's apply: how the federation, workload and verify steps learn their ids.
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

/// What this round's resolve read of each managed identity, by name, so the identity step's
/// check does not read it again (Resource Manager shows a managed identity at once; an app
/// registration is read again with its known ids, since Graph may lag behind a creation).
#[derive(Clone, Debug, Default)]
struct ResolvedPresences(BTreeMap<String, Presence>);

/// Each role of the profile's identities as this round's resolve found its definition: read
/// once per round, by the identity step's check and plan and by verify.
#[derive(Clone, Debug, Default)]
struct ResolvedRoles(HashMap<RoleAssignment, Result<ResolvedRole, AzureError>>);

/// What an observation may take from this round's resolve instead of reading it again.
#[derive(Clone, Copy, Default)]
struct Resolved<'a> {
    presences: Option<&'a ResolvedPresences>,
    roles: Option<&'a ResolvedRoles>,
}

/// The definition of Azure role `role` at `scope` as this round resolved it; `None` when the
/// round did not (the caller reads it itself).
pub fn resolved_role_definition(
    facts: &Facts,
    scope: &RoleScope,
    role: &crate::profile::RoleName,
) -> Option<Result<RoleDefinition, AzureError>> {
    let key = RoleAssignment::Azure {
        role: role.clone(),
        scope: scope.clone(),
    };
    match facts.get::<ResolvedRoles>()?.0.get(&key)? {
        Ok(ResolvedRole::Azure { definition, .. }) => Some(Ok(definition.clone())),
        Ok(ResolvedRole::Cosmos { .. }) => None,
        Err(error) => Some(Err(error.clone())),
    }
}

/// The ids of `name` in `facts`, if the round resolved them.
pub fn known_ids(facts: &Facts, name: &str) -> Option<IdentityIds> {
    facts.get::<KnownIdentities>()?.ids(name)
}

/// `profile` with the ids a run learned, for each identity whose ids differ from the ones it
/// holds: what `apply` and the wizard save into kwif.yaml. `None` when there is nothing new.
pub fn with_learned_ids(profile: &Profile, learned: &Facts) -> Option<Profile> {
    let known = learned.get::<KnownIdentities>()?;
    let mut updated = profile.clone();
    let mut changed = false;
    for identity in &mut updated.identities {
        let Some(ids) = known.ids(identity.name.as_str()) else {
            continue;
        };
        if (identity.client_id, identity.principal_id)
            != (Some(ids.client_id), Some(ids.principal_id))
        {
            identity.client_id = Some(ids.client_id);
            identity.principal_id = Some(ids.principal_id);
            changed = true;
        }
        if updated.azure.tenant != Some(ids.tenant_id) {
            updated.azure.tenant = Some(ids.tenant_id);
            changed = true;
        }
    }
    changed.then_some(updated)
}

/// Where `identity` of `profile` lives, in the session's subscription and tenant.
pub fn identity_target(
    session: &AzureSession,
    profile: &Profile,
    identity: &Identity,
) -> IdentityTarget {
    match identity.kind {
        IdentityKind::ManagedIdentity => IdentityTarget::Managed(IdentityRef {
            subscription: session.subscription,
            resource_group: profile.azure.resource_group.as_str().to_string(),
            name: identity.name.as_str().to_string(),
        }),
        IdentityKind::Application => IdentityTarget::Application {
            name: identity.name.as_str().to_string(),
            saved_client_id: identity.client_id,
        },
    }
}

/// One identity as the steps handle it: where it lives, its roles and the ids kwif.yaml saved.
#[derive(Clone, Debug)]
pub struct IdentitySpec {
    pub target: IdentityTarget,
    pub roles: Vec<RoleAssignment>,
    /// The ids the profile had saved, to notice an identity that was deleted and recreated.
    pub saved: (Option<Uuid>, Option<Uuid>),
}

impl IdentitySpec {
    /// Every identity of `profile`, in profile order.
    pub fn all(session: &AzureSession, profile: &Profile) -> Vec<IdentitySpec> {
        profile
            .identities
            .iter()
            .map(|identity| IdentitySpec {
                target: identity_target(session, profile, identity),
                roles: identity.roles.clone(),
                saved: (identity.client_id, identity.principal_id),
            })
            .collect()
    }

    pub fn name(&self) -> &str {
        self.target.name()
    }
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

/// What Azure holds of one identity today.
struct Observed {
    presence: Presence,
    roles: Vec<(RoleAssignment, RoleState)>,
}

impl Observed {
    fn principal(&self) -> Option<Uuid> {
        match self.presence {
            Presence::Ready(ids) => Some(ids.principal_id),
            _ => None,
        }
    }
}

pub struct IdentityStep {
    arm: ArmClient,
    directory: IdentityDirectory,
    identities: Vec<IdentitySpec>,
    location: String,
    principal_wait: PrincipalWait,
    poll: PollPolicy,
}

impl IdentityStep {
    /// The step for every identity of `profile`, in the session's subscription and tenant.
    pub fn from_profile(
        session: &AzureSession,
        profile: &Profile,
    ) -> Result<IdentityStep, AzureError> {
        Ok(IdentityStep {
            arm: session.arm.clone(),
            directory: IdentityDirectory::new(session)?,
            identities: IdentitySpec::all(session, profile),
            location: profile.azure.location.as_str().to_string(),
            principal_wait: PrincipalWait::default(),
            poll: PollPolicy::default(),
        })
    }

    /// How long to wait for a fresh principal to replicate, and for an accepted Cosmos write.
    pub fn with_waits(mut self, principal_wait: PrincipalWait, poll: PollPolicy) -> IdentityStep {
        self.principal_wait = principal_wait;
        self.poll = poll;
        self
    }

    /// How long Graph's 404s right after an app registration's creation are retried.
    pub fn with_replication_wait(mut self, wait: ReplicationWait) -> IdentityStep {
        self.directory = self.directory.with_replication_wait(wait);
        self
    }

    /// The facts this step hands on: each identity as Azure shows it now.
    fn known(lookups: impl IntoIterator<Item = (String, IdentityLookup)>) -> Facts {
        let known = lookups
            .into_iter()
            .fold(KnownIdentities::default(), |known, (name, lookup)| {
                known.with(name, lookup)
            });
        Facts::new().with(known)
    }

    /// Every identity as Azure shows it, in profile order, with the role definitions this
    /// round resolved. `reuse_presence`: the identities as resolve read them stand instead of
    /// reading them again (a check; a plan reads them anew, as it may come long after).
    async fn observe_all(
        &self,
        facts: &Facts,
        reuse_presence: bool,
    ) -> Vec<Result<Observed, AzureError>> {
        let presences = facts.get::<ResolvedPresences>().filter(|_| reuse_presence);
        let resolved = Resolved {
            presences,
            roles: facts.get::<ResolvedRoles>(),
        };
        join_all(
            self.identities
                .iter()
                .map(|spec| self.observe(spec, known_ids(facts, spec.name()), resolved)),
        )
        .await
    }

    async fn observe(
        &self,
        spec: &IdentitySpec,
        known: Option<IdentityIds>,
        resolved: Resolved<'_>,
    ) -> Result<Observed, AzureError> {
        let read = resolved
            .presences
            .and_then(|presences| presences.0.get(spec.name()))
            .cloned();
        let presence = match read {
            Some(presence) => presence,
            None => self.directory.lookup(&spec.target, known).await?,
        };
        let principal = match presence {
            Presence::Ready(ids) => Some(ids.principal_id),
            _ => None,
        };
        let roles = resolved.roles;
        let roles = join_all(spec.roles.iter().map(|role| async move {
            let definition = roles.and_then(|roles| roles.0.get(role)).cloned();
            (
                role.clone(),
                self.role_state(role, definition, principal).await,
            )
        }))
        .await;
        Ok(Observed { presence, roles })
    }

    async fn role_state(
        &self,
        role: &RoleAssignment,
        definition: Option<Result<ResolvedRole, AzureError>>,
        principal: Option<Uuid>,
    ) -> RoleState {
        let definition = match definition {
            Some(definition) => definition,
            None => self.resolve_role(role).await,
        };
        let resolved = match definition {
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

    async fn resolve_role(&self, role: &RoleAssignment) -> Result<ResolvedRole, AzureError> {
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

    fn findings(&self, spec: &IdentitySpec, observed: &Observed) -> (Vec<Finding>, bool) {
        let mut findings = Vec::new();
        let mut drifted = false;
        match &observed.presence {
            Presence::Ready(ids) => findings.extend(changed_ids(spec, ids)),
            Presence::Missing => {
                drifted = true;
                findings.push(Finding::warning(
                    "IDENTITY_MISSING",
                    missing_message(&spec.target),
                    "`kwif apply --step identity` creates it",
                ));
            }
            Presence::WithoutPrincipal { client_id } => {
                drifted = true;
                findings.push(Finding::warning(
                    "IDENTITY_PRINCIPAL_MISSING",
                    format!(
                        "app registration {} (appId {client_id}) has no service principal in the tenant: it can \
                         neither sign in nor receive roles",
                        spec.name()
                    ),
                    "`kwif apply --step identity` creates the service principal",
                ));
            }
            Presence::NotOwned(others) => {
                findings.push(
                    not_owned(spec.name(), others).to_finding("IDENTITY_APPLICATION_NOT_KWIFS"),
                );
            }
        }
        for (role, state) in &observed.roles {
            if let RoleAssignment::Azure { scope, role: name } = role
                && roles::is_whole_subscription(scope)
            {
                findings.push(Finding::warning(
                    "IDENTITY_ROLE_SUBSCRIPTION_SCOPE",
                    format!(
                        "{name:?} is assigned to {} on the whole subscription {scope}: its workloads may use every \
                         resource in it",
                        spec.name()
                    ),
                    "narrow the scope to the resource group or the resource the workload uses",
                ));
            }
            match state {
                RoleState::Present => {}
                RoleState::Missing(_) if observed.principal().is_none() => {}
                RoleState::Missing(_) => {
                    drifted = true;
                    findings.push(Finding::warning(
                        "IDENTITY_ROLE_MISSING",
                        format!("{} does not have {}", spec.name(), describe(role)),
                        "`kwif apply --step identity` assigns it",
                    ));
                }
                RoleState::Failed(error) => findings.push(error.to_finding(role_error_code(error))),
            }
        }
        let findings = findings
            .into_iter()
            .map(|finding| finding.with_identity(spec.name()))
            .collect();
        (findings, drifted)
    }

    fn changes(&self, spec: &IdentitySpec, observed: &Observed) -> Vec<Change> {
        let mut changes = Vec::new();
        if let Some(change) = self.identity_change(spec, &observed.presence) {
            changes.push(change);
        }
        let principal = observed.principal().map(|id| id.to_string());
        let principal = principal
            .as_deref()
            .unwrap_or("(the new identity's principalId)");
        for (role, state) in &observed.roles {
            if let RoleState::Missing(resolved) = state {
                changes.push(Change::new(
                    role_target(spec, role),
                    format!(
                        "assign {} to {} (principal {principal})",
                        describe(role),
                        spec.name()
                    ),
                    "",
                    role_manifest(role, resolved, principal),
                ));
            }
        }
        changes
    }

    /// The creation `presence` calls for, if any.
    fn identity_change(&self, spec: &IdentitySpec, presence: &Presence) -> Option<Change> {
        let target = creation_target(&spec.target, presence)?;
        Some(match (&spec.target, presence) {
            (IdentityTarget::Managed(identity), _) => Change::new(
                target,
                format!(
                    "create user-assigned managed identity {} in {} ({})",
                    identity.name, identity.resource_group, self.location
                ),
                "",
                format!(
                    "id: {}\nlocation: {}\ntags:\n  created-by: kwif\n",
                    identity.resource_id(),
                    self.location
                ),
            ),
            (
                IdentityTarget::Application { name, .. },
                Presence::WithoutPrincipal { client_id },
            ) => Change::new(
                target,
                format!(
                    "create the service principal of app registration {name} (appId {client_id}) through \
                         Microsoft Graph"
                ),
                "",
                format!("servicePrincipal:\n  appId: {client_id}\n  tags:\n    - {KWIF_TAG}\n"),
            ),
            (IdentityTarget::Application { name, .. }, _) => Change::new(
                target,
                format!(
                    "create app registration {name} (single tenant, tagged {KWIF_TAG}) and its service principal \
                     through Microsoft Graph"
                ),
                "",
                format!(
                    "application:\n  displayName: {name}\n  signInAudience: AzureADMyOrg\n  tags:\n    - {KWIF_TAG}\n\
                     servicePrincipal:\n  appId: (the new application's appId)\n"
                ),
            ),
        })
    }

    /// The principal wait, telling the front end (through the facts) what is left of it.
    fn replication_wait(&self, facts: &Facts, identity: &str) -> PrincipalWait {
        let facts = facts.clone();
        let waiting_for = format!(
            "waiting for Azure to replicate {identity}'s service principal before assigning its roles"
        );
        self.principal_wait
            .clone()
            .with_notice(WaitNotice(Arc::new(move |left| {
                progress::report(&facts, StepId::Identity, &waiting_for, Some(left));
            })))
    }

    async fn assign(
        &self,
        resolved: &ResolvedRole,
        principal: Uuid,
        wait: &PrincipalWait,
    ) -> Result<(), AzureError> {
        match resolved {
            ResolvedRole::Azure { scope, definition } => {
                roles::create_assignment(&self.arm, scope, principal, definition, wait)
                    .await
                    .map(drop)
            }
            ResolvedRole::Cosmos {
                account,
                definition_id,
            } => cosmos::create_sql_role_assignment(
                &self.arm,
                account,
                principal,
                definition_id,
                wait,
                &self.poll,
            )
            .await
            .map(drop),
        }
    }

    /// Makes `spec` match the planned changes; what Azure holds of it afterwards.
    async fn apply_one(
        &self,
        facts: &Facts,
        spec: &IdentitySpec,
        plan: &Plan,
        known: Option<IdentityIds>,
    ) -> Result<IdentityLookup, AzureError> {
        let planned = |target: &str| plan.changes.iter().any(|change| change.target == target);
        let observed = self.observe(spec, known, Resolved::default()).await?;
        let ids = match &observed.presence {
            Presence::Ready(ids) => *ids,
            Presence::NotOwned(others) => return Err(not_owned(spec.name(), others)),
            presence => match creation_target(&spec.target, presence) {
                Some(target) if planned(&target) => {
                    self.directory
                        .create(&spec.target, &self.location, presence)
                        .await?
                }
                _ => return Ok(IdentityLookup::Missing),
            },
        };
        // Assignments are independent: made concurrently, so replication waits overlap; the
        // front end shows what is left of the window.
        let wait = self.replication_wait(facts, spec.name());
        let wait = &wait;
        let planned_roles = observed
            .roles
            .iter()
            .filter(|(role, _)| planned(&role_target(spec, role)));
        let results = join_all(planned_roles.map(|(_, state)| async move {
            match state {
                RoleState::Missing(resolved) => self.assign(resolved, ids.principal_id, wait).await,
                RoleState::Present => Ok(()),
                RoleState::Failed(error) => Err(error.clone()),
            }
        }))
        .await;
        results
            .into_iter()
            .collect::<Result<Vec<()>, AzureError>>()?;
        Ok(IdentityLookup::Exists(ids))
    }
}

/// A warning when the identity's ids differ from those saved in the profile.
fn changed_ids(spec: &IdentitySpec, ids: &IdentityIds) -> Option<Finding> {
    let (client_id, principal_id) = spec.saved;
    let changed = client_id.is_some_and(|id| id != ids.client_id)
        || principal_id.is_some_and(|id| id != ids.principal_id);
    changed.then(|| {
        Finding::warning(
            "IDENTITY_IDS_CHANGED",
            format!(
                "{} now has clientId {} and principalId {}, not the ids kwif.yaml saved: it was deleted and recreated",
                spec.target.describe(),
                ids.client_id,
                ids.principal_id
            ),
            "save the new ids (`kwif apply` does), then `kwif apply --step workload --step federation` rewires the pods",
        )
    })
}

fn missing_message(target: &IdentityTarget) -> String {
    match target {
        IdentityTarget::Managed(identity) => format!(
            "managed identity {} does not exist in resource group {} (subscription {})",
            identity.name, identity.resource_group, identity.subscription
        ),
        IdentityTarget::Application { name, .. } => format!(
            "app registration {name} does not exist: kwif found no application of that display name with the tag \
             {KWIF_TAG}"
        ),
    }
}

/// The change target of creating what `presence` lacks, if it lacks anything kwif creates.
fn creation_target(target: &IdentityTarget, presence: &Presence) -> Option<String> {
    match (target, presence) {
        (_, Presence::Ready(_) | Presence::NotOwned(_)) => None,
        (IdentityTarget::Managed(identity), _) => {
            Some(format!("managed identity {}", identity.name))
        }
        (IdentityTarget::Application { name, .. }, Presence::WithoutPrincipal { .. }) => {
            Some(format!("service principal of {name}"))
        }
        (IdentityTarget::Application { name, .. }, _) => Some(format!("app registration {name}")),
    }
}

/// A role change's target, unique per identity: two identities may get the same role.
fn role_target(spec: &IdentitySpec, role: &RoleAssignment) -> String {
    match role {
        RoleAssignment::Azure { role, scope } => {
            format!("role {role} at {scope} for {}", spec.name())
        }
        RoleAssignment::CosmosData { role, account } => {
            format!("Cosmos DB role {role} on {account} for {}", spec.name())
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
            let identities = join_all(self.identities.iter().map(|spec| async move {
                let presence = self.directory.lookup(&spec.target, None).await;
                (spec, presence)
            }));
            // The role definitions do not depend on the identity: read alongside it, once.
            let mut distinct: Vec<&RoleAssignment> = Vec::new();
            for role in self.identities.iter().flat_map(|spec| &spec.roles) {
                if !distinct.contains(&role) {
                    distinct.push(role);
                }
            }
            let definitions = join_all(
                distinct
                    .into_iter()
                    .map(|role| async move { (role.clone(), self.resolve_role(role).await) }),
            );
            let (identities, definitions) = futures::join!(identities, definitions);
            let mut presences = ResolvedPresences::default();
            let mut lookups = Vec::new();
            for (spec, presence) in identities {
                if let (IdentityTarget::Managed(_), Ok(presence)) = (&spec.target, &presence) {
                    presences
                        .0
                        .insert(spec.name().to_string(), presence.clone());
                }
                let lookup = match presence {
                    Ok(Presence::Ready(ids)) => IdentityLookup::Exists(ids),
                    Ok(_) => IdentityLookup::Missing,
                    Err(error) => IdentityLookup::Failed(error),
                };
                lookups.push((spec.name().to_string(), lookup));
            }
            IdentityStep::known(lookups)
                .with(presences)
                .with(ResolvedRoles(definitions.into_iter().collect()))
        })
    }

    fn check<'a>(&'a self, facts: &'a Facts) -> StepFuture<'a, Check> {
        Box::pin(async move {
            let mut findings = Vec::new();
            let mut drifted = false;
            let observed = self.observe_all(facts, true).await;
            for (spec, observed) in self.identities.iter().zip(observed) {
                match observed {
                    Ok(observed) => {
                        let (found, drift) = self.findings(spec, &observed);
                        findings.extend(found);
                        drifted |= drift;
                    }
                    Err(error) => findings.push(
                        error
                            .to_finding("IDENTITY_AZURE")
                            .with_identity(spec.name()),
                    ),
                }
            }
            Check::from_findings(findings, drifted)
        })
    }

    fn plan<'a>(&'a self, facts: &'a Facts) -> StepFuture<'a, Result<Plan, StepError>> {
        Box::pin(async move {
            let mut changes = Vec::new();
            let observed = self.observe_all(facts, false).await;
            for (spec, observed) in self.identities.iter().zip(observed) {
                let observed = observed.map_err(|error| error.to_step_error())?;
                if let Presence::NotOwned(others) = &observed.presence {
                    return Err(not_owned(spec.name(), others).to_step_error());
                }
                if let Some((_, RoleState::Failed(error))) = observed
                    .roles
                    .iter()
                    .find(|(_, state)| matches!(state, RoleState::Failed(_)))
                {
                    return Err(error.to_step_error());
                }
                changes.extend(self.changes(spec, &observed));
            }
            Ok(Plan {
                step: StepId::Identity,
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
            // Identities are independent of each other: made concurrently.
            let results = join_all(self.identities.iter().map(|spec| async move {
                let lookup = self
                    .apply_one(facts, spec, plan, known_ids(facts, spec.name()))
                    .await;
                (spec.name().to_string(), lookup)
            }))
            .await;
            let mut lookups = Vec::new();
            for (name, result) in results {
                lookups.push((name, result.map_err(|error| error.to_step_error())?));
            }
            Ok(IdentityStep::known(lookups))
        })
    }

    fn plan_removal<'a>(&'a self, facts: &'a Facts) -> StepFuture<'a, Result<Plan, StepError>> {
        Box::pin(async move {
            Ok(Plan {
                step: StepId::Identity,
                changes: self
                    .plan_removal_changes(facts)
                    .await
                    .map_err(|error| error.to_step_error())?,
            })
        })
    }

    fn remove<'a>(
        &'a self,
        plan: &'a Plan,
        facts: &'a Facts,
    ) -> StepFuture<'a, Result<(), StepError>> {
        Box::pin(async move {
            self.remove_planned(plan, facts)
                .await
                .map_err(|error| error.to_step_error())
        })
    }
}
