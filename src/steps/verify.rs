//! The `verify` step: mints a token for each service account with the Azure audience, exchanges
//! it at Entra ID exactly as the workload's SDK would — as the client id of the identity the
//! workload uses, a managed identity's or an app registration's — and reports the expiry or the
//! AADSTS code in words (running the doctor for hosting codes), then asks Resource Manager, as
//! each identity, whether each role's operations are in effect at its scope. Read-only: it plans
//! and applies nothing.

use crate::engine::Actionable as _;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use ::kube::Client;
use futures::future::join_all;

use azure_core::credentials::Secret;

use crate::azure::aadsts::{self, Explanation};
use crate::azure::application_client::ReplicationWait;
use crate::azure::arm::ArmClient;
use crate::azure::credential::AzureCredential;
use crate::azure::directory::{IdentityDirectory, IdentityTarget, Presence};
use crate::azure::error::AzureError;
use crate::azure::identity_client::IdentityIds;
use crate::azure::permissions::{PermissionBlock, caller_permissions, missing_operations};
use crate::azure::roles::find_role_definition;
use crate::azure::session::AzureSession;
use crate::azure::token_exchange::{AccessTokenClaims, ExchangeError, TokenExchange};
use crate::engine::progress;
use crate::engine::{Check, Facts, Finding, Plan, Step, StepError, StepFuture, StepId};
use crate::kube::{self as cluster, KubeError};
use crate::oidc::doctor::{Doctor, Examination};
use crate::oidc::fetch::Fetcher;
use crate::oidc::issuer::{IssuerUrl, describe_difference};
use crate::oidc::jwt::Jwt;
use crate::profile::{Profile, RoleAssignment, RoleName, RoleScope};
use crate::steps::federation::CredentialWritten;
use crate::steps::identity::{
    IdentityLookup, KnownIdentities, identity_target, resolved_role_definition,
};

/// The shortest token TokenRequest accepts (kubernetes.md §9): the token is used once, at once.
const TOKEN_SECONDS: i64 = 600;

/// How long a fresh federated credential may answer AADSTS70021 ("several minutes", azure.md §3)
/// and how often verify retries meanwhile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PropagationWait {
    pub window: Duration,
    pub interval: Duration,
}

impl Default for PropagationWait {
    fn default() -> PropagationWait {
        PropagationWait {
            window: Duration::from_secs(300),
            interval: Duration::from_secs(10),
        }
    }
}

/// What verify is doing, for a front end to show (a countdown while waiting for propagation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyProgress {
    Exchanging {
        service_account: String,
    },
    /// Entra refused with a code expected while a new credential propagates; retrying.
    Waiting {
        service_account: String,
        code: u32,
        remaining: Duration,
    },
    Verified {
        service_account: String,
        expires_on: SystemTime,
    },
    Refused {
        service_account: String,
        codes: Vec<u32>,
    },
}

impl fmt::Display for VerifyProgress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyProgress::Exchanging { service_account } => {
                write!(f, "{service_account}: exchanging a token at Entra ID")
            }
            VerifyProgress::Waiting {
                service_account,
                code,
                remaining,
            } => write!(
                f,
                "{service_account}: AADSTS{code}, the new federated credential is still propagating; retrying for {}s more",
                remaining.as_secs()
            ),
            VerifyProgress::Verified {
                service_account,
                expires_on,
            } => {
                write!(
                    f,
                    "{service_account}: token issued, expires {}",
                    humantime::format_rfc3339_seconds(*expires_on)
                )
            }
            VerifyProgress::Refused {
                service_account,
                codes,
            } => write!(f, "{service_account}: refused with AADSTS {codes:?}"),
        }
    }
}

pub type ProgressCallback = Arc<dyn Fn(&VerifyProgress) + Send + Sync>;

/// The result of one exchange, without the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyOutcome {
    /// `namespace/serviceAccount`.
    pub service_account: String,
    pub result: Result<IssuedToken, String>,
}

/// What an issued token says: when it expires and who it is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedToken {
    pub expires_on: SystemTime,
    pub claims: AccessTokenClaims,
}

/// One identity verify exchanges tokens as: where it lives, its roles, its workloads' accounts.
struct VerifiedIdentity {
    target: IdentityTarget,
    roles: Vec<RoleAssignment>,
    /// `(namespace, serviceAccount)` of its workloads, distinct.
    service_accounts: Vec<(String, String)>,
}

pub struct VerifyStep {
    kube: Client,
    exchange: TokenExchange,
    directory: IdentityDirectory,
    /// Every identity some workload uses, in profile order.
    identities: Vec<VerifiedIdentity>,
    issuer: IssuerUrl,
    /// The audience tokens are minted for and the doctor checks: the profile's.
    audience: String,
    scope: String,
    /// The session's Resource Manager scope: only a token for it can prove roles.
    management_scope: String,
    /// kwif's own login, to read role definitions; and the cloud and transport for the
    /// identity's calls.
    arm: ArmClient,
    doctor: Option<Fetcher>,
    propagation: PropagationWait,
    progress: Option<ProgressCallback>,
    outcomes: Mutex<Vec<VerifyOutcome>>,
}

impl VerifyStep {
    /// The step for `profile`: the service accounts of each identity's workloads, exchanged for
    /// a Resource Manager token of the session's cloud. `doctor` fetches the hosted documents
    /// when a code points at them.
    pub fn from_profile(
        session: &AzureSession,
        kube: Client,
        profile: &Profile,
        doctor: Option<Fetcher>,
    ) -> Result<VerifyStep, crate::azure::error::AzureError> {
        let identities = profile
            .identities
            .iter()
            .filter_map(|identity| {
                let mut service_accounts: Vec<(String, String)> = Vec::new();
                for workload in profile.workloads_of(identity) {
                    let pair = (
                        workload.namespace.as_str().to_string(),
                        workload.service_account.as_str().to_string(),
                    );
                    if !service_accounts.contains(&pair) {
                        service_accounts.push(pair);
                    }
                }
                (!service_accounts.is_empty()).then(|| VerifiedIdentity {
                    target: identity_target(session, profile, identity),
                    roles: identity.roles.clone(),
                    service_accounts,
                })
            })
            .collect();
        Ok(VerifyStep {
            kube,
            exchange: session.exchange.clone(),
            directory: IdentityDirectory::new(session)?,
            identities,
            issuer: profile.issuer.clone(),
            audience: profile.azure.audience().to_string(),
            scope: session.management_scope(),
            management_scope: session.management_scope(),
            arm: session.arm.clone(),
            doctor,
            propagation: PropagationWait::default(),
            progress: None,
            outcomes: Mutex::new(Vec::new()),
        })
    }

    /// Exchange for another scope (one resource's `…/.default`).
    pub fn with_scope(mut self, scope: impl Into<String>) -> VerifyStep {
        self.scope = scope.into();
        self
    }

    pub fn with_propagation_wait(mut self, wait: PropagationWait) -> VerifyStep {
        self.propagation = wait;
        self
    }

    /// How long Graph's 404s right after an app registration's creation are retried.
    pub fn with_replication_wait(mut self, wait: ReplicationWait) -> VerifyStep {
        self.directory = self.directory.with_replication_wait(wait);
        self
    }

    /// Called with every progress event, from the task running the check (never blocks it).
    pub fn on_progress(mut self, callback: ProgressCallback) -> VerifyStep {
        self.progress = Some(callback);
        self
    }

    /// The outcomes of the last check, one per service account.
    pub fn outcomes(&self) -> Vec<VerifyOutcome> {
        self.outcomes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn report(&self, event: VerifyProgress) {
        if let Some(callback) = &self.progress {
            callback(&event);
        }
    }

    /// The identity's ids: as the round resolved them, else read from Azure (a run without
    /// the identity step).
    async fn ids(
        &self,
        facts: &Facts,
        identity: &VerifiedIdentity,
    ) -> Result<Option<IdentityIds>, Finding> {
        let name = identity.target.name();
        let resolved = facts
            .get::<KnownIdentities>()
            .and_then(|known| known.lookup(name));
        let lookup = match resolved {
            Some(lookup) => lookup.clone(),
            None => match self.directory.lookup(&identity.target, None).await {
                Ok(Presence::Ready(ids)) => IdentityLookup::Exists(ids),
                Ok(_) => IdentityLookup::Missing,
                Err(error) => IdentityLookup::Failed(error),
            },
        };
        match lookup {
            IdentityLookup::Exists(ids) => Ok(Some(ids)),
            IdentityLookup::Missing => Ok(None),
            IdentityLookup::Failed(error) => {
                Err(error.to_finding("VERIFY_AZURE").with_identity(name))
            }
        }
    }

    /// Until when a refusal may be propagation: the window after this run's last credential write.
    fn propagation_deadline(&self, facts: &Facts) -> Option<Instant> {
        let CredentialWritten(written) = *facts.get::<CredentialWritten>()?;
        let deadline = written + self.propagation.window;
        (deadline > Instant::now()).then_some(deadline)
    }

    /// How findings name a service account: with the identity when several are verified.
    fn who(&self, identity: &str, namespace: &str, service_account: &str) -> String {
        match self.identities.len() {
            1 => format!("{namespace}/{service_account}"),
            _ => format!("{namespace}/{service_account} as {identity}"),
        }
    }

    async fn verify_one(
        &self,
        facts: &Facts,
        identity: &str,
        ids: IdentityIds,
        propagation_deadline: Option<Instant>,
        namespace: &str,
        service_account: &str,
    ) -> (Vec<Finding>, VerifyOutcome, Option<Secret>) {
        let who = self.who(identity, namespace, service_account);
        let token = match cluster::mint_token(
            &self.kube,
            namespace,
            service_account,
            &self.audience,
            TOKEN_SECONDS,
        )
        .await
        {
            Ok(token) => token,
            Err(error) => {
                let finding = mint_finding(&who, &self.audience, &error);
                let outcome = VerifyOutcome {
                    service_account: who,
                    result: Err(finding.message.clone()),
                };
                return (vec![finding], outcome, None);
            }
        };
        self.report(VerifyProgress::Exchanging {
            service_account: who.clone(),
        });
        let result = self
            .exchange_with_patience(facts, &who, ids, propagation_deadline, &token)
            .await;
        match result {
            Ok((issued, access_token)) => {
                self.report(VerifyProgress::Verified {
                    service_account: who.clone(),
                    expires_on: issued.expires_on,
                });
                let outcome = VerifyOutcome {
                    service_account: who,
                    result: Ok(issued),
                };
                (Vec::new(), outcome, Some(access_token))
            }
            Err(error) => {
                self.report(VerifyProgress::Refused {
                    service_account: who.clone(),
                    codes: error.codes().to_vec(),
                });
                let findings = self.refusal_findings(&who, ids, &token, &error).await;
                let outcome = VerifyOutcome {
                    service_account: who,
                    result: Err(error.to_string()),
                };
                (findings, outcome, None)
            }
        }
    }

    /// The exchange, retried with a countdown while a refusal may be a fresh credential propagating.
    async fn exchange_with_patience(
        &self,
        facts: &Facts,
        who: &str,
        ids: IdentityIds,
        propagation_deadline: Option<Instant>,
        token: &str,
    ) -> Result<(IssuedToken, Secret), ExchangeError> {
        loop {
            match self
                .exchange
                .exchange(ids.tenant_id, ids.client_id, token, &self.scope)
                .await
            {
                Ok(issued) => {
                    let access_token = issued.access_token().clone();
                    let issued = IssuedToken {
                        expires_on: issued.expires_on,
                        claims: issued.claims,
                    };
                    return Ok((issued, access_token));
                }
                Err(error) => {
                    let propagating = error
                        .explanation()
                        .is_some_and(|explanation| explanation.propagation);
                    let Some(deadline) = propagation_deadline
                        .filter(|deadline| propagating && *deadline > Instant::now())
                    else {
                        return Err(error);
                    };
                    let code = error.codes().first().copied().unwrap_or_default();
                    self.count_down(
                        facts,
                        who,
                        code,
                        deadline.min(Instant::now() + self.propagation.interval),
                        deadline,
                    )
                    .await;
                }
            }
        }
    }

    /// Sleeps until `until`, reporting the time left before `deadline` every second, to the
    /// step's own listener and to the front end's progress sink.
    async fn count_down(
        &self,
        facts: &Facts,
        who: &str,
        code: u32,
        until: Instant,
        deadline: Instant,
    ) {
        loop {
            let now = Instant::now();
            if now >= until {
                return;
            }
            let remaining = deadline.saturating_duration_since(now);
            self.report(VerifyProgress::Waiting {
                service_account: who.to_string(),
                code,
                remaining,
            });
            progress::report(
                facts,
                StepId::Verify,
                &format!(
                    "{who}: waiting for Entra to see the new federated credential (AADSTS{code})"
                ),
                Some(remaining),
            );
            let pause = until
                .saturating_duration_since(now)
                .min(Duration::from_secs(1));
            tokio::time::sleep(pause).await;
            crate::network::record_wait("Entra to see a new federated credential", pause);
        }
    }

    async fn refusal_findings(
        &self,
        who: &str,
        ids: IdentityIds,
        token: &str,
        error: &ExchangeError,
    ) -> Vec<Finding> {
        let (codes, description) = match error {
            ExchangeError::Refused {
                codes, description, ..
            } => (codes, description),
            ExchangeError::Unreachable { fix, .. } => {
                return vec![Finding::error(
                    "VERIFY_ENTRA_UNREACHABLE",
                    format!("{who}: {error}"),
                    fix.clone(),
                )];
            }
            ExchangeError::Setup { .. } => {
                let fix = "check azure.tenant and the authority host (https) in kwif.yaml";
                return vec![Finding::error(
                    "VERIFY_EXCHANGE_FAILED",
                    format!("{who}: {error}"),
                    fix,
                )];
            }
        };
        let explanation = error.explanation();
        let mut findings = vec![refusal_finding(
            who,
            codes,
            description,
            explanation,
            ids,
            &self.issuer,
        )];
        if codes
            .iter()
            .any(|code| matches!(code, 70021 | 700211 | 700213 | 7002137 | 7002138))
        {
            findings.extend(self.mismatch_findings(who, token));
        }
        if explanation.is_some_and(|explanation| explanation.hosting) {
            findings.extend(self.doctor_findings(token).await);
        }
        findings
    }

    /// Where the minted token differs from what the federated credential expects.
    fn mismatch_findings(&self, who: &str, token: &str) -> Vec<Finding> {
        let Ok(jwt) = Jwt::parse(token) else {
            return Vec::new();
        };
        let mut findings = Vec::new();
        if let Some(issuer) = jwt
            .issuer()
            .filter(|issuer| *issuer != self.issuer.as_str())
        {
            findings.push(Finding::error(
                "VERIFY_TOKEN_ISSUER",
                format!(
                    "{who}: the cluster signs tokens with iss {issuer:?}, the federated credential expects {:?}: {}",
                    self.issuer.as_str(),
                    describe_difference(self.issuer.as_str(), issuer)
                ),
                "make the cluster's --service-account-issuer the profile's issuer: `kwif apply --step issuer`",
            ));
        }
        findings
    }

    async fn doctor_findings(&self, token: &str) -> Vec<Finding> {
        let Some(fetcher) = &self.doctor else {
            return Vec::new();
        };
        let exam = Examination {
            issuer: self.issuer.as_str(),
            token: Some(token),
            audience: &self.audience,
            now: SystemTime::now(),
        };
        match Doctor::new(fetcher.clone()).examine(&exam).await {
            Ok(findings) if findings.is_empty() => vec![Finding::warning(
                "VERIFY_DOCTOR_CLEAN",
                format!(
                    "the doctor finds the documents of {} fine from here, yet Entra could not use them",
                    self.issuer
                ),
                "Entra fetches from the internet: check firewalls, storage network rules and DNS as seen from outside",
            )],
            Ok(findings) => findings,
            Err(error) => vec![Finding::error(
                "VERIFY_DOCTOR",
                error.to_string(),
                "fix the issuer in kwif.yaml",
            )],
        }
    }

    /// Whether each Azure role is in effect for `verified` at its scope, asked once per check
    /// of Resource Manager with the identity's own token (its service accounts are all the same
    /// identity); Cosmos DB data roles are said to be unproven.
    async fn role_findings(
        &self,
        facts: &Facts,
        verified: &VerifiedIdentity,
        access_token: &Secret,
    ) -> Vec<Finding> {
        let identity = verified.target.name();
        let mut findings = Vec::new();
        let cosmos: Vec<String> = verified
            .roles
            .iter()
            .filter_map(|role| match role {
                RoleAssignment::CosmosData { role, account } => {
                    Some(format!("{role} on {account}"))
                }
                RoleAssignment::Azure { .. } => None,
            })
            .collect();
        if !cosmos.is_empty() {
            findings.push(Finding::warning(
                "VERIFY_TARGET_NOT_CALLED",
                format!(
                    "identity {identity}: the token exchange works; the Cosmos DB data roles ({}) are checked as \
                     assignments, kwif does not call the account's data plane to prove them",
                    cosmos.join(", ")
                ),
                "prove them from a pod: read one item with the SDK and DefaultAzureCredential",
            ));
        }
        let azure: Vec<(&RoleName, &RoleScope)> = verified
            .roles
            .iter()
            .filter_map(|role| match role {
                RoleAssignment::Azure { role, scope } => Some((role, scope)),
                RoleAssignment::CosmosData { .. } => None,
            })
            .collect();
        if azure.is_empty() {
            return findings;
        }
        if self.scope != self.management_scope {
            findings.push(Finding::warning(
                "VERIFY_ROLES_NOT_PROVEN",
                format!(
                    "identity {identity}: the token is for {}, not Resource Manager, so kwif cannot ask whether the roles are in effect",
                    self.scope
                ),
                "verify with the default scope to prove the roles",
            ));
            return findings;
        }
        let as_identity = ArmClient::new(
            self.arm.cloud().clone(),
            AzureCredential::issued(
                format!("identity {identity}"),
                "rerun `kwif check --step verify`",
                access_token.secret(),
            ),
            self.arm.transport().clone(),
        );
        // One permissions call per distinct scope, all at once.
        let mut scopes: Vec<&RoleScope> = azure.iter().map(|(_, scope)| *scope).collect();
        scopes.sort_by_key(|scope| scope.as_str().to_ascii_lowercase());
        scopes.dedup_by_key(|scope| scope.as_str().to_ascii_lowercase());
        let held: Vec<_> = join_all(
            scopes
                .iter()
                .map(|scope| caller_permissions(&as_identity, scope.as_str())),
        )
        .await;
        let checks = azure.into_iter().map(|(role, scope)| {
            let at = scopes
                .iter()
                .position(|known| known.as_str().eq_ignore_ascii_case(scope.as_str()))
                .and_then(|index| held.get(index));
            self.role_in_effect(facts, identity, role, scope, at)
        });
        findings.extend(join_all(checks).await.into_iter().flatten());
        findings
    }

    /// `None` when every operation `role` grants is allowed to the identity at `scope`, by the
    /// permissions `held` there.
    async fn role_in_effect(
        &self,
        facts: &Facts,
        identity: &str,
        role: &RoleName,
        scope: &RoleScope,
        held: Option<&Result<Vec<PermissionBlock>, AzureError>>,
    ) -> Option<Finding> {
        let not_checked = |message: String, fix: String| {
            Some(Finding::warning("VERIFY_ROLE_NOT_CHECKED", message, fix))
        };
        // The identity step's resolve read the definition this round; read it here otherwise.
        let definition = match resolved_role_definition(facts, scope, role) {
            Some(definition) => definition,
            None => find_role_definition(&self.arm, scope, role).await,
        };
        let definition = match definition {
            Ok(definition) => definition,
            // An unknown role is the identity step's finding; nothing to prove here.
            Err(error) if error.is_not_found() => return None,
            Err(error) => {
                return not_checked(
                    format!(
                        "identity {identity}: kwif could not read role {role} to prove it on {scope}: {error}"
                    ),
                    error.fix(),
                );
            }
        };
        let held = match held? {
            Ok(held) => held,
            // Reading one's own permissions may need Microsoft.Authorization/permissions/read,
            // which data roles do not grant: the role may well work, kwif just cannot tell.
            Err(error) if error.status() == Some(403) => {
                return not_checked(
                    format!(
                        "identity {identity}: Resource Manager would not list its permissions on {scope} (403), \
                         so kwif cannot prove {role} from here"
                    ),
                    "prove it from a pod with the SDK and DefaultAzureCredential; the assignment itself is checked by the identity step".into(),
                );
            }
            Err(error) if error.status() == Some(401) => {
                return not_checked(
                    format!(
                        "identity {identity}: Resource Manager refused the token Entra ID had just issued to it (401): {error}"
                    ),
                    "check azure.cloud and azure.tenant in kwif.yaml: the token must come from the tenant of the subscription"
                        .into(),
                );
            }
            Err(error) => {
                return not_checked(
                    format!(
                        "identity {identity}: kwif could not ask whether {role} is in effect on {scope}: {error}"
                    ),
                    error.fix(),
                );
            }
        };
        let missing = missing_operations(held, &definition.permissions);
        let first = missing.first()?;
        let more = match missing.len() {
            1 => String::new(),
            n => format!(" and {} more", n - 1),
        };
        Some(Finding::warning(
            "VERIFY_ROLE_NOT_IN_EFFECT",
            format!(
                "identity {identity}: Resource Manager does not yet allow what {role} grants on {scope} ({first}{more})"
            ),
            "a new role assignment takes up to 10 minutes to apply: rerun `kwif check --step verify`; \
             if it persists, `kwif check --step identity` shows whether the assignment exists",
        ))
    }
}

/// What verify found for one identity.
enum IdentityVerification {
    /// The identity does not exist yet.
    NotReady(Finding),
    /// Its ids could not be read.
    Failed(Finding),
    Verified {
        findings: Vec<Finding>,
        outcomes: Vec<VerifyOutcome>,
    },
}

impl VerifyStep {
    /// Every service account of `identity` exchanged, then its roles proven with one token.
    async fn check_one(
        &self,
        facts: &Facts,
        identity: &VerifiedIdentity,
        propagation_deadline: Option<Instant>,
    ) -> IdentityVerification {
        let name = identity.target.name();
        let ids = match self.ids(facts, identity).await {
            Ok(Some(ids)) => ids,
            Ok(None) => return IdentityVerification::NotReady(not_ready(&identity.target)),
            Err(finding) => return IdentityVerification::Failed(finding),
        };
        let results = join_all(identity.service_accounts.iter().map(
            |(namespace, service_account)| {
                self.verify_one(
                    facts,
                    name,
                    ids,
                    propagation_deadline,
                    namespace,
                    service_account,
                )
            },
        ))
        .await;
        let mut findings = Vec::new();
        let mut outcomes = Vec::new();
        let mut token = None;
        for (found, outcome, issued) in results {
            findings.extend(found);
            outcomes.push(outcome);
            token = token.or(issued);
        }
        if let Some(token) = token {
            findings.extend(self.role_findings(facts, identity, &token).await);
        }
        IdentityVerification::Verified {
            findings: findings
                .into_iter()
                .map(|finding| finding.with_identity(name))
                .collect(),
            outcomes,
        }
    }
}

fn mint_finding(who: &str, audience: &str, error: &KubeError) -> Finding {
    if error.code() == Some(404) {
        return Finding::error(
            "VERIFY_SERVICE_ACCOUNT_MISSING",
            format!("ServiceAccount {who} does not exist, so no token can be minted for it"),
            "`kwif apply --step workload` creates it",
        );
    }
    Finding::error(
        "VERIFY_TOKEN_REQUEST",
        format!("minting a token for {who} with audience {audience} failed: {error}"),
        error.unreachable_fix().unwrap_or_else(|| {
            "check that your kubeconfig user may create serviceaccounts/token (`kubectl create token`)"
                .to_string()
        }),
    )
}

/// The refusal in words: the code, its meaning, Entra's own description, the usual cause, the fix.
fn refusal_finding(
    who: &str,
    codes: &[u32],
    description: &str,
    explanation: Option<&'static Explanation>,
    ids: IdentityIds,
    issuer: &IssuerUrl,
) -> Finding {
    let code = codes.first().copied();
    let shown = code.map_or_else(
        || "an error without a code".to_string(),
        |code| format!("AADSTS{code}"),
    );
    let lookup = code.map(aadsts::lookup_url).unwrap_or_default();
    match explanation {
        Some(explanation) => Finding::error(
            explanation.finding,
            format!(
                "{who}: Entra ID refused the token exchange for client {} with {shown}: {}.\nEntra said: {description}\nUsual cause: {}.\n{lookup}",
                ids.client_id, explanation.meaning, explanation.cause
            ),
            explanation.fix.replace("ISSUER", issuer.as_str()),
        ),
        None => Finding::error(
            "AADSTS_UNKNOWN",
            format!(
                "{who}: Entra ID refused the token exchange for client {} with {shown}.\nEntra said: {description}\n{lookup}",
                ids.client_id
            ),
            "look the code up at the address above",
        ),
    }
}

fn not_ready(identity: &IdentityTarget) -> Finding {
    Finding::warning(
        "VERIFY_NOT_READY",
        format!(
            "{} does not exist yet: there is nothing to exchange a token for",
            identity.describe()
        ),
        "`kwif apply` creates it; verify runs after the other steps",
    )
    .with_identity(identity.name())
}

impl Step for VerifyStep {
    fn id(&self) -> StepId {
        StepId::Verify
    }

    /// Right after a credential write, the check waits out the propagation window.
    fn patience(&self, facts: &Facts) -> Duration {
        self.propagation_deadline(facts)
            .map(|deadline| deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_default()
    }

    fn check<'a>(&'a self, facts: &'a Facts) -> StepFuture<'a, Check> {
        Box::pin(async move {
            let propagation_deadline = self.propagation_deadline(facts);
            let results = join_all(
                self.identities
                    .iter()
                    .map(|identity| self.check_one(facts, identity, propagation_deadline)),
            )
            .await;
            let mut findings = Vec::new();
            let mut outcomes = Vec::new();
            let mut not_ready = Vec::new();
            for result in results {
                match result {
                    IdentityVerification::NotReady(finding) => not_ready.push(finding),
                    IdentityVerification::Failed(finding) => findings.push(finding),
                    IdentityVerification::Verified {
                        findings: found,
                        outcomes: done,
                    } => {
                        findings.extend(found);
                        outcomes.extend(done);
                    }
                }
            }
            *self.outcomes.lock().unwrap_or_else(PoisonError::into_inner) = outcomes;
            // Nothing exists to verify yet: the step is skipped, as for one identity.
            if findings.is_empty()
                && !not_ready.is_empty()
                && not_ready.len() == self.identities.len()
            {
                return Check {
                    status: crate::engine::Status::Skipped,
                    findings: not_ready,
                };
            }
            let drifted = !not_ready.is_empty();
            findings.extend(not_ready);
            Check::from_findings(findings, drifted)
        })
    }

    fn plan<'a>(&'a self, _facts: &'a Facts) -> StepFuture<'a, Result<Plan, StepError>> {
        Box::pin(async move {
            Ok(Plan {
                step: StepId::Verify,
                changes: Vec::new(),
            })
        })
    }

    fn apply<'a>(
        &'a self,
        _plan: &'a Plan,
        _facts: &'a Facts,
    ) -> StepFuture<'a, Result<Facts, StepError>> {
        Box::pin(async move { Ok(Facts::new()) })
    }
}
