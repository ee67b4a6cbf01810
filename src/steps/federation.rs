//! The `federation` step: per identity, one federated identity credential per distinct service
//! account of its workloads, with the issuer copied byte for byte from the profile, subject
//! `system:serviceaccount:NS:SA` and the cloud's token-exchange audience — on a managed identity
//! through Resource Manager, on an app registration through Microsoft Graph. Near misses are
//! corrected; the writes of one identity go one at a time.

use crate::engine::Actionable as _;
use std::time::{Duration, Instant};

use futures::future::join_all;

use crate::azure::application_client::ReplicationWait;
use crate::azure::directory::{IdentityDirectory, IdentityTarget};
use crate::azure::error::AzureError;
use crate::azure::identity_client::{FederatedCredential, IdentityIds};
use crate::azure::session::AzureSession;
use crate::engine::{Change, Check, Facts, Finding, Plan, Step, StepError, StepFuture, StepId};
use crate::oidc::issuer::{IssuerUrl, describe_difference};
use crate::profile::{MAX_FEDERATED_CREDENTIALS, Profile, Workload};
use crate::steps::identity::{identity_target, known_ids};

/// Concurrent writes on one managed identity answer 409 (azure.md §3); another writer may be busy.
const CONFLICT_RETRIES: u32 = 5;
const CONFLICT_DELAY: Duration = Duration::from_secs(2);

/// What to do with the identity's credentials to match the profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialAction {
    Create(FederatedCredential),
    /// Same name, other content: corrected in place (the name is immutable, the rest is not).
    Update {
        before: FederatedCredential,
        after: FederatedCredential,
    },
    /// A near miss of `replaced_by` under another name: deleted once the right one exists.
    Delete {
        near_miss: FederatedCredential,
        replaced_by: String,
    },
}

impl CredentialAction {
    /// The change's target, unique per action of `identity` (credential names are unique per
    /// identity only).
    pub fn target(&self, identity: &str) -> String {
        match self {
            CredentialAction::Create(credential) => {
                format!("federated credential {} on {identity}", credential.name)
            }
            CredentialAction::Update { after, .. } => {
                format!("federated credential {} on {identity}", after.name)
            }
            CredentialAction::Delete { near_miss, .. } => {
                format!(
                    "federated credential {} on {identity} (near miss)",
                    near_miss.name
                )
            }
        }
    }
}

/// The credential the profile wants for each distinct service account of `workloads` (those of
/// one identity), named per the profile.
pub fn desired_credentials<'a>(
    issuer: &IssuerUrl,
    audience: &str,
    workloads: impl IntoIterator<Item = &'a Workload>,
) -> Vec<FederatedCredential> {
    let mut desired: Vec<FederatedCredential> = Vec::new();
    for workload in workloads {
        let subject = workload.subject();
        if desired
            .iter()
            .any(|credential| credential.subject == subject)
        {
            continue;
        }
        desired.push(FederatedCredential {
            name: workload
                .federated_credential_name_or_default()
                .as_str()
                .to_string(),
            // Entra compares the issuer byte for byte with the token's `iss` (azure.md §3).
            issuer: issuer.as_str().to_string(),
            subject,
            audiences: vec![audience.to_string()],
        });
    }
    desired
}

fn exact(found: &FederatedCredential, wanted: &FederatedCredential) -> bool {
    found.issuer == wanted.issuer
        && found.subject == wanted.subject
        && found.audiences == wanted.audiences
}

fn loose(text: &str) -> String {
    text.trim().trim_end_matches('/').to_ascii_lowercase()
}

/// `system:serviceaccount:NS:SA` split into namespace and service account.
fn service_account_of(subject: &str) -> Option<(&str, &str)> {
    let rest = subject.trim().strip_prefix("system:serviceaccount:")?;
    rest.split_once(':')
}

/// Almost the wanted credential: an issuer differing only in a trailing `/`, whitespace or case,
/// and a subject differing only in whitespace or case, or naming the same service account in
/// another namespace. Entra rejects each of these (AADSTS70021, case-sensitive since 2024).
pub fn is_near_miss(found: &FederatedCredential, wanted: &FederatedCredential) -> bool {
    let issuer_near = loose(&found.issuer) == loose(&wanted.issuer);
    let subject_near = found.subject.trim().eq_ignore_ascii_case(&wanted.subject)
        || matches!(
            (service_account_of(&found.subject), service_account_of(&wanted.subject)),
            (Some((_, found_account)), Some((_, wanted_account))) if found_account == wanted_account
        );
    issuer_near && subject_near && !exact(found, wanted)
}

/// The actions that make `existing` hold every `desired` credential: nothing when one matches
/// exactly (under any name), an update in place when the name matches, else a creation plus
/// the deletion of near misses that no other wanted credential matches.
pub fn reconcile(
    existing: &[FederatedCredential],
    desired: &[FederatedCredential],
) -> Vec<CredentialAction> {
    let mut actions = Vec::new();
    let wanted_elsewhere = |found: &FederatedCredential| {
        desired
            .iter()
            .any(|wanted| wanted.name == found.name || exact(found, wanted))
    };
    for wanted in desired {
        if existing.iter().any(|found| exact(found, wanted)) {
            continue;
        }
        if let Some(found) = existing.iter().find(|found| found.name == wanted.name) {
            actions.push(CredentialAction::Update {
                before: found.clone(),
                after: wanted.clone(),
            });
            continue;
        }
        actions.push(CredentialAction::Create(wanted.clone()));
        for found in existing
            .iter()
            .filter(|found| is_near_miss(found, wanted) && !wanted_elsewhere(found))
        {
            let already = actions.iter().any(|action| matches!(action, CredentialAction::Delete { near_miss, .. } if near_miss.name == found.name));
            if !already {
                actions.push(CredentialAction::Delete {
                    near_miss: found.clone(),
                    replaced_by: wanted.name.clone(),
                });
            }
        }
    }
    actions
}

/// How many credentials the identity holds after `actions`.
fn count_after(existing: usize, actions: &[CredentialAction]) -> usize {
    let created = actions
        .iter()
        .filter(|action| matches!(action, CredentialAction::Create(_)))
        .count();
    let deleted = actions
        .iter()
        .filter(|action| matches!(action, CredentialAction::Delete { .. }))
        .count();
    existing + created - deleted
}

fn manifest(credential: &FederatedCredential) -> String {
    format!(
        "name: {}\nissuer: {}\nsubject: {}\naudiences:\n{}",
        credential.name,
        credential.issuer,
        credential.subject,
        credential
            .audiences
            .iter()
            .map(|audience| format!("  - {audience}\n"))
            .collect::<String>()
    )
}

/// In words, how a credential differs from the wanted one.
fn difference(found: &FederatedCredential, wanted: &FederatedCredential) -> String {
    let mut parts = Vec::new();
    if found.issuer != wanted.issuer {
        parts.push(format!(
            "issuer {:?} ≠ {:?} ({})",
            found.issuer,
            wanted.issuer,
            describe_difference(&wanted.issuer, &found.issuer)
        ));
    }
    if found.subject != wanted.subject {
        parts.push(format!(
            "subject {:?} ≠ {:?}",
            found.subject, wanted.subject
        ));
    }
    if found.audiences != wanted.audiences {
        parts.push(format!(
            "audiences {:?} ≠ {:?}",
            found.audiences, wanted.audiences
        ));
    }
    parts.join("; ")
}

/// The credentials one identity should hold.
struct Federation {
    target: IdentityTarget,
    desired: Vec<FederatedCredential>,
}

pub struct FederationStep {
    directory: IdentityDirectory,
    identities: Vec<Federation>,
}

/// When this run last wrote a federated credential: the token exchange may fail with
/// AADSTS70021 for minutes afterwards (azure.md §3), so verify waits instead of failing.
#[derive(Clone, Copy, Debug)]
pub struct CredentialWritten(pub Instant);

impl FederationStep {
    /// The step for `profile`: its issuer and, per identity, the distinct service accounts of
    /// the workloads that use it. An identity no workload uses needs no credential.
    pub fn from_profile(
        session: &AzureSession,
        profile: &Profile,
    ) -> Result<FederationStep, AzureError> {
        let identities = profile
            .identities
            .iter()
            .filter(|identity| profile.workloads_of(identity).next().is_some())
            .map(|identity| Federation {
                target: identity_target(session, profile, identity),
                desired: desired_credentials(
                    &profile.issuer,
                    profile.azure.audience(),
                    profile.workloads_of(identity),
                ),
            })
            .collect();
        Ok(FederationStep {
            directory: IdentityDirectory::new(session)?,
            identities,
        })
    }

    /// How long Graph's 404s right after an app registration's creation are retried.
    pub fn with_replication_wait(mut self, wait: ReplicationWait) -> FederationStep {
        self.directory = self.directory.with_replication_wait(wait);
        self
    }

    /// The identity's credentials, or `None` when the identity does not exist yet.
    async fn existing(
        &self,
        federation: &Federation,
        known: Option<IdentityIds>,
    ) -> Result<Option<Vec<FederatedCredential>>, AzureError> {
        self.directory
            .federated_credentials(&federation.target, known)
            .await
    }

    fn findings(
        &self,
        federation: &Federation,
        existing: Option<&[FederatedCredential]>,
    ) -> (Vec<Finding>, bool) {
        let Some(existing) = existing else {
            return (
                vec![Finding::warning(
                    "FEDERATION_IDENTITY_MISSING",
                    format!(
                        "{} does not exist yet, so it has no federated credentials",
                        federation.target.describe()
                    ),
                    "`kwif apply` creates the identity, then its credentials",
                )],
                true,
            );
        };
        let actions = reconcile(existing, &federation.desired);
        let mut findings: Vec<Finding> = actions
            .iter()
            .map(|action| finding(federation, action))
            .collect();
        let total = count_after(existing.len(), &actions);
        if total > MAX_FEDERATED_CREDENTIALS {
            findings.push(limit_finding(&federation.target, existing.len(), total));
        }
        (findings, !actions.is_empty())
    }

    /// One write, retried while another writer holds the managed identity (409).
    async fn write(
        &self,
        federation: &Federation,
        known: Option<IdentityIds>,
        action: &CredentialAction,
    ) -> Result<(), AzureError> {
        let target = &federation.target;
        let mut attempt = 0;
        loop {
            let result = match action {
                CredentialAction::Create(credential) => {
                    self.directory
                        .write_federated_credential(target, known, credential, false)
                        .await
                }
                CredentialAction::Update { after, .. } => {
                    self.directory
                        .write_federated_credential(target, known, after, true)
                        .await
                }
                CredentialAction::Delete { near_miss, .. } => {
                    self.directory
                        .delete_federated_credential(target, known, &near_miss.name)
                        .await
                }
            };
            // Graph's 409 is a name taken, not a busy identity: only Resource Manager's is retried.
            match result {
                Err(error)
                    if error.status() == Some(409)
                        && !target.is_application()
                        && attempt < CONFLICT_RETRIES =>
                {
                    attempt += 1;
                    tokio::time::sleep(CONFLICT_DELAY * attempt).await;
                }
                other => return other,
            }
        }
    }

    async fn plan_one(
        &self,
        federation: &Federation,
        known: Option<IdentityIds>,
    ) -> Result<Vec<Change>, StepError> {
        let existing = self
            .existing(federation, known)
            .await
            .map_err(|error| error.to_step_error())?
            .unwrap_or_default();
        let actions = reconcile(&existing, &federation.desired);
        let total = count_after(existing.len(), &actions);
        if total > MAX_FEDERATED_CREDENTIALS {
            let finding = limit_finding(&federation.target, existing.len(), total);
            return Err(StepError::new(finding.message, finding.fix));
        }
        Ok(actions
            .iter()
            .map(|action| change(federation, action))
            .collect())
    }

    /// The planned writes of one identity, one at a time: parallel writes on one managed
    /// identity answer 409 (azure.md §3).
    async fn apply_one(
        &self,
        federation: &Federation,
        plan: &Plan,
        known: Option<IdentityIds>,
    ) -> Result<bool, AzureError> {
        let Some(existing) = self.existing(federation, known).await? else {
            return Err(AzureError::Setup {
                message: format!("{} does not exist", federation.target.describe()),
                fix: "apply the identity step first: `kwif apply --step identity`".to_string(),
            });
        };
        let name = federation.target.name();
        let planned = reconcile(&existing, &federation.desired)
            .into_iter()
            .filter(|action| {
                plan.changes
                    .iter()
                    .any(|change| change.target == action.target(name))
            })
            .collect();
        let mut wrote = false;
        for action in ordered(existing.len(), planned) {
            self.write(federation, known, &action).await?;
            wrote = true;
        }
        Ok(wrote)
    }
}

impl FederationStep {
    /// The credentials of `federation`'s identity that `destroy` removes: those with the
    /// profile's issuer and one of its subjects, under any name (kwif's or a near miss's fix).
    async fn removable(
        &self,
        federation: &Federation,
        known: Option<IdentityIds>,
    ) -> Result<Vec<FederatedCredential>, AzureError> {
        let existing = self.existing(federation, known).await?.unwrap_or_default();
        Ok(existing
            .into_iter()
            .filter(|found| {
                federation
                    .desired
                    .iter()
                    .any(|wanted| found.issuer == wanted.issuer && found.subject == wanted.subject)
            })
            .collect())
    }

    async fn plan_removal_changes(&self, facts: &Facts) -> Result<Vec<Change>, StepError> {
        let mut changes = Vec::new();
        for federation in &self.identities {
            let known = known_ids(facts, federation.target.name());
            let removable = self
                .removable(federation, known)
                .await
                .map_err(|error| error.to_step_error())?;
            for credential in removable {
                changes.push(Change::new(
                    removal_target(federation, &credential),
                    format!(
                        "delete federated credential {} of {}: its issuer and subject are the profile's",
                        credential.name,
                        federation.target.describe()
                    ),
                    manifest(&credential),
                    "",
                ));
            }
        }
        Ok(changes)
    }

    async fn remove_planned(&self, plan: &Plan, facts: &Facts) -> Result<(), AzureError> {
        for federation in &self.identities {
            let known = known_ids(facts, federation.target.name());
            for credential in self.removable(federation, known).await? {
                let target = removal_target(federation, &credential);
                if !plan.changes.iter().any(|change| change.target == target) {
                    continue;
                }
                let near_miss = CredentialAction::Delete {
                    near_miss: credential,
                    replaced_by: String::new(),
                };
                self.write(federation, known, &near_miss).await?;
            }
        }
        Ok(())
    }
}

fn removal_target(federation: &Federation, credential: &FederatedCredential) -> String {
    format!(
        "federated credential {} on {}",
        credential.name,
        federation.target.name()
    )
}

fn finding(federation: &Federation, action: &CredentialAction) -> Finding {
    let identity = federation.target.name();
    let fix = "`kwif apply --step federation` corrects it";
    let finding = match action {
        CredentialAction::Create(wanted) => Finding::warning(
            "FEDERATION_MISSING",
            format!(
                "no federated credential of {identity} admits {} from issuer {}",
                wanted.subject, wanted.issuer
            ),
            "`kwif apply --step federation` creates it",
        ),
        CredentialAction::Update { before, after } => Finding::warning(
            "FEDERATION_MISMATCH",
            format!(
                "federated credential {} of {identity} does not match: {}; Entra compares byte for byte (AADSTS70021)",
                before.name,
                difference(before, after)
            ),
            fix,
        ),
        CredentialAction::Delete {
            near_miss,
            replaced_by,
        } => {
            let wanted = federation
                .desired
                .iter()
                .find(|credential| &credential.name == replaced_by);
            Finding::warning(
                "FEDERATION_NEAR_MISS",
                format!(
                    "federated credential {} of {identity} almost matches {replaced_by}: {}; it admits no token and counts against the limit of {MAX_FEDERATED_CREDENTIALS}",
                    near_miss.name,
                    wanted
                        .map(|wanted| difference(near_miss, wanted))
                        .unwrap_or_default()
                ),
                "`kwif apply --step federation` creates the right one and deletes this one",
            )
        }
    };
    finding.with_identity(identity)
}

fn change(federation: &Federation, action: &CredentialAction) -> Change {
    let identity = federation.target.name();
    match action {
        CredentialAction::Create(wanted) => Change::new(
            action.target(identity),
            format!(
                "create federated credential {} on {identity} for {}",
                wanted.name, wanted.subject
            ),
            "",
            manifest(wanted),
        ),
        CredentialAction::Update { before, after } => Change::new(
            action.target(identity),
            format!(
                "correct federated credential {} on {identity}: {}",
                before.name,
                difference(before, after)
            ),
            manifest(before),
            manifest(after),
        ),
        CredentialAction::Delete {
            near_miss,
            replaced_by,
        } => Change::new(
            action.target(identity),
            format!(
                "delete near-miss federated credential {} on {identity}, replaced by {replaced_by}",
                near_miss.name
            ),
            manifest(near_miss),
            "",
        ),
    }
}

fn limit_finding(target: &IdentityTarget, existing: usize, total: usize) -> Finding {
    let list = match target {
        IdentityTarget::Managed(identity) => format!(
            "az identity federated-credential list --identity-name {} -g {}",
            identity.name, identity.resource_group
        ),
        IdentityTarget::Application { .. } => {
            "az ad app federated-credential list --id APPID".to_string()
        }
    };
    Finding::error(
        "FEDERATION_LIMIT",
        format!(
            "{} has {existing} federated credentials and would need {total}: one identity holds at most {MAX_FEDERATED_CREDENTIALS}",
            target.name()
        ),
        format!(
            "delete unused ones (`{list}`), or give some of its workloads another identity (identities:)"
        ),
    )
    .with_identity(target.name())
}

/// Deletions go first when creating first would pass the limit; else last, so that a working
/// credential is never removed before its replacement exists.
fn ordered(existing: usize, actions: Vec<CredentialAction>) -> Vec<CredentialAction> {
    let creates = actions
        .iter()
        .filter(|action| matches!(action, CredentialAction::Create(_)))
        .count();
    let (deletes, writes): (Vec<_>, Vec<_>) = actions
        .into_iter()
        .partition(|action| matches!(action, CredentialAction::Delete { .. }));
    if existing + creates > MAX_FEDERATED_CREDENTIALS {
        deletes.into_iter().chain(writes).collect()
    } else {
        writes.into_iter().chain(deletes).collect()
    }
}

impl Step for FederationStep {
    fn id(&self) -> StepId {
        StepId::Federation
    }

    fn check<'a>(&'a self, facts: &'a Facts) -> StepFuture<'a, Check> {
        Box::pin(async move {
            let existing = join_all(self.identities.iter().map(|federation| {
                self.existing(federation, known_ids(facts, federation.target.name()))
            }))
            .await;
            let mut findings = Vec::new();
            let mut drifted = false;
            for (federation, existing) in self.identities.iter().zip(existing) {
                match existing {
                    Ok(existing) => {
                        let (found, drift) = self.findings(federation, existing.as_deref());
                        findings.extend(
                            found
                                .into_iter()
                                .map(|finding| finding.with_identity(federation.target.name())),
                        );
                        drifted |= drift;
                    }
                    Err(error) => findings.push(
                        error
                            .to_finding("FEDERATION_AZURE")
                            .with_identity(federation.target.name()),
                    ),
                }
            }
            Check::from_findings(findings, drifted)
        })
    }

    fn plan<'a>(&'a self, facts: &'a Facts) -> StepFuture<'a, Result<Plan, StepError>> {
        Box::pin(async move {
            let mut changes = Vec::new();
            for federation in &self.identities {
                let known = known_ids(facts, federation.target.name());
                changes.extend(self.plan_one(federation, known).await?);
            }
            Ok(Plan {
                step: StepId::Federation,
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
            // Identities are independent: their writes may overlap, each identity's go in turn.
            let results = join_all(self.identities.iter().map(|federation| {
                self.apply_one(federation, plan, known_ids(facts, federation.target.name()))
            }))
            .await;
            let mut learned = Facts::new();
            for result in results {
                if result.map_err(|error| error.to_step_error())? {
                    learned.insert(CredentialWritten(Instant::now()));
                }
            }
            Ok(learned)
        })
    }

    fn plan_removal<'a>(&'a self, facts: &'a Facts) -> StepFuture<'a, Result<Plan, StepError>> {
        Box::pin(async move {
            Ok(Plan {
                step: StepId::Federation,
                changes: self.plan_removal_changes(facts).await?,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::AZURE_AUDIENCE;

    #[test]
    fn desired_credentials_carry_the_profiles_audience() {
        let profile = crate::profile::Profile::example();
        let desired = desired_credentials(
            &profile.issuer,
            "api://AzureADTokenExchangeUSGov",
            &profile.workloads,
        );
        assert_eq!(desired[0].audiences, ["api://AzureADTokenExchangeUSGov"]);
        assert_eq!(desired[0].issuer, profile.issuer.as_str());
    }

    const ISSUER: &str = "https://oidc.example.com/cluster1";

    fn credential(name: &str, issuer: &str, subject: &str) -> FederatedCredential {
        FederatedCredential {
            name: name.into(),
            issuer: issuer.into(),
            subject: subject.into(),
            audiences: vec![AZURE_AUDIENCE.into()],
        }
    }

    fn wanted() -> FederatedCredential {
        credential(
            "kwif-app-app-sa",
            ISSUER,
            "system:serviceaccount:app:app-sa",
        )
    }

    #[test]
    fn an_exact_credential_under_any_name_needs_nothing() {
        let existing = [credential(
            "made-by-hand",
            ISSUER,
            "system:serviceaccount:app:app-sa",
        )];
        assert!(reconcile(&existing, &[wanted()]).is_empty());
    }

    #[test]
    fn a_same_named_credential_with_a_trailing_slash_is_updated_in_place() {
        let existing = [credential(
            "kwif-app-app-sa",
            "https://oidc.example.com/cluster1/",
            "system:serviceaccount:app:app-sa",
        )];
        let actions = reconcile(&existing, &[wanted()]);
        assert_eq!(
            actions,
            [CredentialAction::Update {
                before: existing[0].clone(),
                after: wanted()
            }]
        );
        assert!(
            difference(&existing[0], &wanted()).contains("trailing slash"),
            "{}",
            difference(&existing[0], &wanted())
        );
    }

    #[test]
    fn near_misses_under_other_names_are_replaced_then_deleted() {
        let existing = [
            credential(
                "slash",
                "https://oidc.example.com/cluster1/",
                "system:serviceaccount:app:app-sa",
            ),
            credential("case", ISSUER, "system:serviceaccount:App:app-sa"),
            credential("namespace", ISSUER, "system:serviceaccount:default:app-sa"),
            credential("unrelated", ISSUER, "system:serviceaccount:other:worker"),
            credential(
                "other-issuer",
                "https://elsewhere.example.com",
                "system:serviceaccount:app:app-sa",
            ),
        ];
        let actions = reconcile(&existing, &[wanted()]);
        let targets: Vec<String> = actions
            .iter()
            .map(|action| action.target("id-app"))
            .collect();
        assert_eq!(
            targets,
            [
                "federated credential kwif-app-app-sa on id-app",
                "federated credential slash on id-app (near miss)",
                "federated credential case on id-app (near miss)",
                "federated credential namespace on id-app (near miss)",
            ]
        );
        let ordered: Vec<String> = ordered(existing.len(), actions)
            .iter()
            .map(|action| action.target("id-app"))
            .collect();
        assert_eq!(
            ordered[0], "federated credential kwif-app-app-sa on id-app",
            "the replacement is created before deletions"
        );
    }

    #[test]
    fn a_near_miss_wanted_by_another_workload_is_kept() {
        let other = credential(
            "kwif-default-app-sa",
            ISSUER,
            "system:serviceaccount:default:app-sa",
        );
        let actions = reconcile(std::slice::from_ref(&other), &[wanted(), other.clone()]);
        assert_eq!(actions, [CredentialAction::Create(wanted())]);
    }

    #[test]
    fn deletions_go_first_only_when_the_limit_requires_it() {
        let existing: Vec<FederatedCredential> = (0..20)
            .map(|index| {
                credential(
                    &format!("c{index}"),
                    ISSUER,
                    &format!("system:serviceaccount:ns{index}:sa"),
                )
            })
            .collect();
        let actions = vec![
            CredentialAction::Create(wanted()),
            CredentialAction::Delete {
                near_miss: existing[0].clone(),
                replaced_by: wanted().name,
            },
        ];
        assert_eq!(count_after(existing.len(), &actions), 20);
        assert!(matches!(
            ordered(existing.len(), actions)[0],
            CredentialAction::Delete { .. }
        ));
    }
}
