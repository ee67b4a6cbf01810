//! The `federation` step: one federated identity credential per distinct service account, with
//! the issuer copied byte for byte from the profile, subject `system:serviceaccount:NS:SA` and
//! audience `api://AzureADTokenExchange`. Near misses are corrected; writes go one at a time.

use std::time::{Duration, Instant};

use crate::azure::error::AzureError;
use crate::azure::identity_client::{FederatedCredential, IdentityClient, IdentityRef};
use crate::azure::session::AzureSession;
use crate::engine::{Change, Check, Facts, Finding, Plan, Step, StepError, StepFuture, StepId};
use crate::oidc::issuer::{IssuerUrl, describe_difference};
use crate::profile::{MAX_FEDERATED_CREDENTIALS, Profile, Workload};
use crate::steps::identity::identity_ref;

/// Concurrent writes on one identity answer 409 (azure.md §3); another writer may be busy.
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
    /// The change's target, unique per action.
    pub fn target(&self) -> String {
        match self {
            CredentialAction::Create(credential) => {
                format!("federated credential {}", credential.name)
            }
            CredentialAction::Update { after, .. } => {
                format!("federated credential {}", after.name)
            }
            CredentialAction::Delete { near_miss, .. } => {
                format!("federated credential {} (near miss)", near_miss.name)
            }
        }
    }
}

/// The credential the profile wants for each distinct service account, named per the profile.
pub fn desired_credentials(
    issuer: &IssuerUrl,
    audience: &str,
    workloads: &[Workload],
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
        })
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

pub struct FederationStep {
    identities: IdentityClient,
    identity: IdentityRef,
    desired: Vec<FederatedCredential>,
}

/// When this run last wrote a federated credential: the token exchange may fail with
/// AADSTS70021 for minutes afterwards (azure.md §3), so verify waits instead of failing.
#[derive(Clone, Copy, Debug)]
pub struct CredentialWritten(pub Instant);

impl FederationStep {
    pub fn new(
        identities: IdentityClient,
        identity: IdentityRef,
        desired: Vec<FederatedCredential>,
    ) -> FederationStep {
        FederationStep {
            identities,
            identity,
            desired,
        }
    }

    /// The step for `profile`: its issuer and the distinct service accounts of its workloads.
    pub fn from_profile(
        session: &AzureSession,
        profile: &Profile,
    ) -> Result<FederationStep, AzureError> {
        Ok(FederationStep::new(
            session.identity_client()?,
            identity_ref(session, profile),
            desired_credentials(
                &profile.issuer,
                profile.azure.audience(),
                &profile.workloads,
            ),
        ))
    }

    /// The identity's credentials, or `None` when the identity does not exist yet.
    async fn existing(&self) -> Result<Option<Vec<FederatedCredential>>, AzureError> {
        match self.identities.federated_credentials(&self.identity).await {
            Ok(credentials) => Ok(Some(credentials)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    fn findings(&self, existing: Option<&[FederatedCredential]>) -> (Vec<Finding>, bool) {
        let Some(existing) = existing else {
            return (
                vec![Finding::warning(
                    "FEDERATION_IDENTITY_MISSING",
                    format!(
                        "managed identity {} does not exist yet, so it has no federated credentials",
                        self.identity.name
                    ),
                    "`kwif apply` creates the identity, then its credentials",
                )],
                true,
            );
        };
        let actions = reconcile(existing, &self.desired);
        let mut findings: Vec<Finding> =
            actions.iter().map(|action| self.finding(action)).collect();
        let total = count_after(existing.len(), &actions);
        if total > MAX_FEDERATED_CREDENTIALS {
            findings.push(limit_finding(&self.identity, existing.len(), total));
        }
        (findings, !actions.is_empty())
    }

    fn finding(&self, action: &CredentialAction) -> Finding {
        let fix = "`kwif apply --step federation` corrects it";
        match action {
            CredentialAction::Create(wanted) => Finding::warning(
                "FEDERATION_MISSING",
                format!(
                    "no federated credential of {} admits {} from issuer {}",
                    self.identity.name, wanted.subject, wanted.issuer
                ),
                "`kwif apply --step federation` creates it",
            ),
            CredentialAction::Update { before, after } => Finding::warning(
                "FEDERATION_MISMATCH",
                format!(
                    "federated credential {} does not match: {}; Entra compares byte for byte (AADSTS70021)",
                    before.name,
                    difference(before, after)
                ),
                fix,
            ),
            CredentialAction::Delete {
                near_miss,
                replaced_by,
            } => {
                let wanted = self
                    .desired
                    .iter()
                    .find(|credential| &credential.name == replaced_by);
                Finding::warning(
                    "FEDERATION_NEAR_MISS",
                    format!(
                        "federated credential {} almost matches {replaced_by}: {}; it admits no token and counts against the limit of {MAX_FEDERATED_CREDENTIALS}",
                        near_miss.name,
                        wanted
                            .map(|wanted| difference(near_miss, wanted))
                            .unwrap_or_default()
                    ),
                    "`kwif apply --step federation` creates the right one and deletes this one",
                )
            }
        }
    }

    fn change(&self, action: &CredentialAction) -> Change {
        let identity = &self.identity.name;
        match action {
            CredentialAction::Create(wanted) => Change::new(
                action.target(),
                format!(
                    "create federated credential {} on {identity} for {}",
                    wanted.name, wanted.subject
                ),
                "",
                manifest(wanted),
            ),
            CredentialAction::Update { before, after } => Change::new(
                action.target(),
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
                action.target(),
                format!(
                    "delete near-miss federated credential {} on {identity}, replaced by {replaced_by}",
                    near_miss.name
                ),
                manifest(near_miss),
                "",
            ),
        }
    }

    /// One write, retried while another writer holds the identity (409).
    async fn write(&self, action: &CredentialAction) -> Result<(), AzureError> {
        let mut attempt = 0;
        loop {
            let result = match action {
                CredentialAction::Create(credential)
                | CredentialAction::Update {
                    after: credential, ..
                } => self
                    .identities
                    .put_federated_credential(&self.identity, credential)
                    .await
                    .map(drop),
                CredentialAction::Delete { near_miss, .. } => {
                    self.identities
                        .delete_federated_credential(&self.identity, &near_miss.name)
                        .await
                }
            };
            match result {
                Err(error) if error.status() == Some(409) && attempt < CONFLICT_RETRIES => {
                    attempt += 1;
                    tokio::time::sleep(CONFLICT_DELAY * attempt).await;
                }
                other => return other,
            }
        }
    }
}

fn limit_finding(identity: &IdentityRef, existing: usize, total: usize) -> Finding {
    Finding::error(
        "FEDERATION_LIMIT",
        format!(
            "{} has {existing} federated credentials and would need {total}: one identity holds at most {MAX_FEDERATED_CREDENTIALS}",
            identity.name
        ),
        format!(
            "delete unused ones (`az identity federated-credential list --identity-name {} -g {}`), or split the workloads over two identities",
            identity.name, identity.resource_group
        ),
    )
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

    fn check<'a>(&'a self, _facts: &'a Facts) -> StepFuture<'a, Check> {
        Box::pin(async move {
            match self.existing().await {
                Ok(existing) => {
                    let (findings, drifted) = self.findings(existing.as_deref());
                    Check::from_findings(findings, drifted)
                }
                Err(error) => {
                    Check::from_findings(vec![error.to_finding("FEDERATION_AZURE")], false)
                }
            }
        })
    }

    fn plan<'a>(&'a self, _facts: &'a Facts) -> StepFuture<'a, Result<Plan, StepError>> {
        Box::pin(async move {
            let existing = self
                .existing()
                .await
                .map_err(|error| error.to_step_error())?
                .unwrap_or_default();
            let actions = reconcile(&existing, &self.desired);
            let total = count_after(existing.len(), &actions);
            if total > MAX_FEDERATED_CREDENTIALS {
                let finding = limit_finding(&self.identity, existing.len(), total);
                return Err(StepError::new(finding.message, finding.fix));
            }
            Ok(Plan {
                step: StepId::Federation,
                changes: actions.iter().map(|action| self.change(action)).collect(),
            })
        })
    }

    fn apply<'a>(
        &'a self,
        plan: &'a Plan,
        _facts: &'a Facts,
    ) -> StepFuture<'a, Result<Facts, StepError>> {
        Box::pin(async move {
            let existing = self
                .existing()
                .await
                .map_err(|error| error.to_step_error())?
                .ok_or_else(|| {
                    StepError::new(
                        format!("managed identity {} does not exist", self.identity.name),
                        "apply the identity step first: `kwif apply --step identity`",
                    )
                })?;
            let actions = reconcile(&existing, &self.desired);
            let planned = actions
                .into_iter()
                .filter(|action| {
                    plan.changes
                        .iter()
                        .any(|change| change.target == action.target())
                })
                .collect();
            // One write at a time: parallel writes on one identity answer 409 (azure.md §3).
            let mut learned = Facts::new();
            for action in ordered(existing.len(), planned) {
                self.write(&action)
                    .await
                    .map_err(|error| error.to_step_error())?;
                learned.insert(CredentialWritten(Instant::now()));
            }
            Ok(learned)
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
        let targets: Vec<String> = actions.iter().map(CredentialAction::target).collect();
        assert_eq!(
            targets,
            [
                "federated credential kwif-app-app-sa",
                "federated credential slash (near miss)",
                "federated credential case (near miss)",
                "federated credential namespace (near miss)",
            ]
        );
        let ordered: Vec<String> = ordered(existing.len(), actions)
            .iter()
            .map(CredentialAction::target)
            .collect();
        assert_eq!(
            ordered[0], "federated credential kwif-app-app-sa",
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
