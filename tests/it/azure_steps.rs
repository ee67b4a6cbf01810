//! The `identity`, `federation` and `verify` steps end to end against the sandbox Azure (and,
//! for verify, the sandbox API server as the issuer), through the same clients as real Azure.

use crate::support::codes;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kwif::azure::cloud::AzureCloud;
use kwif::azure::cosmos::PollPolicy;
use kwif::azure::credential::AzureCredential;
use kwif::azure::identity_client::IdentityIds;
use kwif::azure::retry::RetryPolicy;
use kwif::azure::roles::{self, AssignmentOutcome, PrincipalWait};
use kwif::azure::session::AzureSession;
use kwif::engine::{Facts, Plan, Runner, Status, Step};
use kwif::profile::{Profile, RoleAssignment};
use kwif::steps::federation::{CredentialWritten, FederationStep};
use kwif::steps::identity::{IdentityStep, known_ids};
use kwif::steps::verify::{PropagationWait, VerifyProgress, VerifyStep};
use kwif_sandbox::azure::{AzureSandbox, AzureSandboxOptions, Faults};
use kwif_sandbox::{Distribution, KubeSandbox, KubeSandboxOptions};
use serde_json::json;

const ISSUER: &str = "https://oidc.example.com/cluster1";
const SUBSCRIPTION: &str = "cccccccc-cccc-cccc-cccc-cccccccccccc";
const GROUP: &str = "rg-application1";
const IDENTITY: &str = "id-application1";
/// One role line of the profile's `identity.roles`.
fn reader_role(scope: &str) -> String {
    format!("    - role: Storage Blob Data Reader\n      scope: {scope}\n")
}

fn group_scope() -> String {
    format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}")
}

fn cosmos_account() -> String {
    format!(
        "/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos1"
    )
}

fn cosmos_role() -> String {
    format!(
        "    - cosmosDataRole: Cosmos DB Built-in Data Contributor\n      account: {}\n",
        cosmos_account()
    )
}

fn workload(namespace: &str, service_account: &str, name: &str) -> String {
    format!(
        "  - namespace: {namespace}\n    serviceAccount: {service_account}\n    kind: Deployment\n    name: {name}\n    mode: patch\n"
    )
}

/// A small builder over the sandbox Azure and a profile pointing at it.
struct Setup {
    options: AzureSandboxOptions,
    issuer: String,
    resource_group: String,
    roles: Vec<String>,
    workloads: Vec<String>,
    retry: RetryPolicy,
}

impl Setup {
    fn new() -> Setup {
        let mut options = AzureSandboxOptions::default().with_cosmos_account(GROUP, "cosmos1");
        options.principal_replication_delay = Duration::from_millis(300);
        options.cosmos_provisioning_delay = Duration::from_millis(100);
        Setup {
            options,
            issuer: ISSUER.to_string(),
            resource_group: GROUP.to_string(),
            roles: vec![reader_role(&group_scope()), cosmos_role()],
            workloads: vec![workload("application1", "application1-sa", "web-server")],
            retry: RetryPolicy::fast(),
        }
    }

    fn roles(mut self, roles: Vec<String>) -> Setup {
        self.roles = roles;
        self
    }

    fn workloads(mut self, workloads: Vec<String>) -> Setup {
        self.workloads = workloads;
        self
    }

    fn options(mut self, change: impl FnOnce(&mut AzureSandboxOptions)) -> Setup {
        change(&mut self.options);
        self
    }

    fn issuer(mut self, issuer: &str) -> Setup {
        self.issuer = issuer.to_string();
        self
    }

    fn retry(mut self, retry: RetryPolicy) -> Setup {
        self.retry = retry;
        self
    }

    fn resource_group(mut self, group: &str) -> Setup {
        self.resource_group = group.to_string();
        self
    }

    async fn start(self) -> Azure {
        let sandbox = AzureSandbox::start(self.options)
            .await
            .expect("sandbox Azure starts");
        let roles = if self.roles.is_empty() {
            "  roles: []\n".to_string()
        } else {
            format!("  roles:\n{}", self.roles.concat())
        };
        let yaml = format!(
            "cluster: {{ distribution: kubeadm }}\nissuer: {}\nhosting: {{ kind: apiserver }}\nazure:\n  cloud: custom\n  endpoints:\n    resourceManager: {}\n    authorityHost: {}\n  tenant: {}\n  subscription: {}\n  resourceGroup: {}\n  location: westeurope\nidentity:\n  name: {IDENTITY}\n{roles}workloads:\n{}",
            self.issuer,
            sandbox.resource_manager_url(),
            sandbox.authority_host(),
            sandbox.tenant_id(),
            sandbox.subscription_id(),
            self.resource_group,
            self.workloads.concat(),
        );
        let profile = Profile::from_yaml(&yaml).unwrap_or_else(|error| panic!("{error}\n{yaml}"));
        let session = AzureSession::with_credential(
            AzureCloud::from_profile(&profile.azure.cloud),
            AzureCredential::fixed_token("sandbox login", sandbox.admin_access_token()),
            sandbox.tenant_id().parse().unwrap(),
            sandbox.subscription_id().parse().unwrap(),
            &[sandbox.ca_certificate_pem().to_string()],
            self.retry,
        )
        .unwrap();
        Azure {
            sandbox,
            profile,
            session,
            learned: std::sync::Mutex::new(Facts::new()),
        }
    }
}

struct Azure {
    sandbox: AzureSandbox,
    profile: Profile,
    session: AzureSession,
    /// What `apply_all` learned, as `kwif apply` would pass it on to the later steps.
    learned: std::sync::Mutex<Facts>,
}

impl Azure {
    fn identity_step(&self) -> IdentityStep {
        IdentityStep::from_profile(&self.session, &self.profile)
            .unwrap()
            .with_waits(PrincipalWait::fast(), PollPolicy::fast())
    }

    fn federation_step(&self) -> FederationStep {
        FederationStep::from_profile(&self.session, &self.profile).unwrap()
    }

    fn steps(&self) -> Vec<Box<dyn Step>> {
        vec![
            Box::new(self.identity_step()),
            Box::new(self.federation_step()),
        ]
    }

    /// Plans and applies the identity and federation steps in order, like `kwif apply --yes`.
    async fn apply_all(&self) -> kwif::engine::ApplyOutcome {
        let runner = Runner::new(self.steps());
        let outcome = runner.apply_all(|_| true).await;
        *self.learned.lock().unwrap() = runner.learned();
        outcome
    }

    /// A managed identity created through Resource Manager, as the identity step creates it:
    /// its service principal is still replicating.
    async fn created_identity(&self) -> IdentityIds {
        let identity = kwif::azure::identity_client::IdentityRef {
            subscription: self.session.subscription,
            resource_group: self.profile.azure.resource_group.as_str().to_string(),
            name: self.profile.identities[0].name.as_str().to_string(),
        };
        let (created, _) = self
            .session
            .identity_client()
            .unwrap()
            .create(&identity, "westeurope")
            .await
            .unwrap();
        created.ids
    }

    /// The facts the last `apply_all` learned.
    fn learned(&self) -> Facts {
        self.learned.lock().unwrap().clone()
    }

    /// What was sent: `METHOD path?api-version status`, one line per request.
    fn requests(&self) -> Vec<String> {
        self.sandbox
            .request_log()
            .iter()
            .map(|record| {
                format!(
                    "{} {} {} {}",
                    record.method,
                    record.path,
                    record.api_version.as_deref().unwrap_or("-"),
                    record.status
                )
            })
            .collect()
    }

    fn sandbox_ids(&self) -> IdentityIds {
        let identity = self
            .sandbox
            .identity(GROUP, IDENTITY)
            .expect("the identity exists");
        IdentityIds {
            client_id: identity.client_id.parse().unwrap(),
            principal_id: identity.principal_id.parse().unwrap(),
            tenant_id: identity.tenant_id.parse().unwrap(),
        }
    }
}

fn targets(plan: &Plan) -> Vec<String> {
    plan.changes
        .iter()
        .map(|change| change.target.clone())
        .collect()
}

// ------------------------------------------------------------------------------ identity

#[tokio::test]
async fn identity_roles_and_cosmos_role_are_created_and_a_rerun_plans_nothing() {
    let azure = Setup::new()
        .options(|options| options.principal_replication_delay = Duration::from_secs(1))
        .start()
        .await;
    let step = azure.identity_step();

    let check = step.check(&Facts::new()).await;
    assert_eq!(
        (check.status, codes(&check)),
        (Status::Drift, vec!["IDENTITY_MISSING"]),
        "{check:?}"
    );
    let plan = step.plan(&Facts::new()).await.unwrap();
    assert_eq!(
        targets(&plan),
        [
            format!("managed identity {IDENTITY}"),
            format!(
                "role Storage Blob Data Reader at {} for {IDENTITY}",
                group_scope()
            ),
            format!(
                "Cosmos DB role Cosmos DB Built-in Data Contributor on {} for {IDENTITY}",
                cosmos_account()
            ),
        ]
    );
    assert!(
        plan.changes[0].diff().contains("+location: westeurope"),
        "{}",
        plan.changes[0].diff()
    );
    assert!(plan.changes[1].diff().contains("+roleDefinitionId: /subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"));

    let learned = step.apply(&plan, &Facts::new()).await.unwrap();
    let ids = azure.sandbox_ids();
    assert_eq!(
        known_ids(&learned, IDENTITY),
        Some(ids),
        "the apply hands the ids on, for the later steps and for the caller to save"
    );
    let assignments = azure.sandbox.role_assignments();
    let ours: Vec<_> = assignments
        .iter()
        .filter(|a| {
            a.principal_id
                .eq_ignore_ascii_case(&ids.principal_id.to_string())
        })
        .collect();
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0].principal_type, "ServicePrincipal");
    assert_eq!(azure.sandbox.cosmos_role_assignments().len(), 1);

    let requests = azure.requests();
    let has = |needle: &str| requests.iter().any(|line| line.contains(needle));
    assert!(
        has(
            "PUT /subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/resourceGroups/rg-application1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-application1 2024-11-30 201"
        ),
        "{requests:#?}"
    );
    assert!(
        has("roleAssignments/") && has("2022-04-01 400"),
        "the fresh principal was not found at first: {requests:#?}"
    );
    assert!(
        has("2022-04-01 201"),
        "then the assignment was made: {requests:#?}"
    );
    assert!(
        has("sqlRoleAssignments/") && has("2025-10-15 202"),
        "Cosmos accepted the write: {requests:#?}"
    );
    assert!(
        has("/operationsStatus/"),
        "and its Azure-AsyncOperation was polled: {requests:#?}"
    );

    let check = step.check(&Facts::new()).await;
    assert_eq!(
        (check.status, codes(&check)),
        (Status::Ok, vec![]),
        "{check:?}"
    );
    assert!(
        step.plan(&Facts::new()).await.unwrap().is_empty(),
        "a rerun plans nothing"
    );
}

#[tokio::test]
async fn an_existing_identity_is_found_and_its_ids_are_shared() {
    let azure = Setup::new().roles(vec![]).start().await;
    let existing = azure.sandbox.insert_identity(GROUP, IDENTITY).unwrap();
    let check = azure.identity_step().check(&Facts::new()).await;
    assert_eq!(check.status, Status::Ok, "{check:?}");
    let resolved = azure.identity_step().resolve().await;
    assert_eq!(
        known_ids(&resolved, IDENTITY)
            .unwrap()
            .client_id
            .to_string(),
        existing.client_id
    );
    assert!(
        azure
            .identity_step()
            .plan(&Facts::new())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn an_assignment_made_by_hand_under_another_name_counts_and_a_repeat_put_is_success() {
    let azure = Setup::new()
        .roles(vec![reader_role(&group_scope())])
        .start()
        .await;
    let identity = azure.sandbox.insert_identity(GROUP, IDENTITY).unwrap();
    let role_id = format!(
        "/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
    );
    azure
        .sandbox
        .insert_role_assignment(&group_scope(), &role_id, &identity.principal_id);

    let check = azure.identity_step().check(&Facts::new()).await;
    assert_eq!(check.status, Status::Ok, "{check:?}");
    assert!(
        azure
            .identity_step()
            .plan(&Facts::new())
            .await
            .unwrap()
            .is_empty()
    );

    // Creating it again under kwif's name: ARM answers 409 RoleAssignmentExists, which is success.
    let RoleAssignment::Azure { role, scope } = &azure.profile.identities[0].roles[0] else {
        panic!()
    };
    let definition = roles::find_role_definition(&azure.session.arm, scope, role)
        .await
        .unwrap();
    let principal = identity.principal_id.parse().unwrap();
    let outcome = roles::create_assignment(
        &azure.session.arm,
        scope,
        principal,
        &definition,
        &PrincipalWait::fast(),
    )
    .await
    .unwrap();
    assert_eq!(outcome, AssignmentOutcome::AlreadyExisted);
    assert!(
        azure
            .requests()
            .iter()
            .any(|line| line.ends_with("2022-04-01 409")),
        "{:#?}",
        azure.requests()
    );
    let of_identity = azure
        .sandbox
        .role_assignments()
        .into_iter()
        .filter(|assignment| assignment.principal_id == identity.principal_id)
        .count();
    assert_eq!(of_identity, 1, "nothing duplicated");
}

#[tokio::test]
async fn a_whole_subscription_scope_is_warned_about() {
    let azure = Setup::new()
        .roles(vec![reader_role(&format!("/subscriptions/{SUBSCRIPTION}"))])
        .start()
        .await;
    azure.sandbox.insert_identity(GROUP, IDENTITY).unwrap();
    let check = azure.identity_step().check(&Facts::new()).await;
    assert!(
        codes(&check).contains(&"IDENTITY_ROLE_SUBSCRIPTION_SCOPE"),
        "{check:?}"
    );
    assert!(
        codes(&check).contains(&"IDENTITY_ROLE_MISSING"),
        "{check:?}"
    );
}

#[tokio::test]
async fn a_misspelt_role_is_an_error_that_says_how_to_find_the_name() {
    let azure = Setup::new()
        .roles(vec![format!(
            "    - role: Storage Blob Data Raeder\n      scope: {}\n",
            group_scope()
        )])
        .start()
        .await;
    azure.sandbox.insert_identity(GROUP, IDENTITY).unwrap();
    let step = azure.identity_step();
    let check = step.check(&Facts::new()).await;
    assert_eq!(
        (check.status, codes(&check)),
        (Status::Error, vec!["IDENTITY_ROLE_UNKNOWN"]),
        "{check:?}"
    );
    assert!(
        check.findings[0]
            .message
            .contains("Storage Blob Data Raeder"),
        "{:?}",
        check.findings[0]
    );
    assert!(
        check.findings[0].fix.contains("az role definition list"),
        "{:?}",
        check.findings[0]
    );
    assert!(
        step.plan(&Facts::new()).await.is_err(),
        "nothing is planned around an unknown role"
    );
}

#[tokio::test]
async fn a_missing_resource_group_is_explained_with_the_command_that_creates_it() {
    let azure = Setup::new()
        .resource_group("rg-missing")
        .roles(vec![])
        .start()
        .await;
    let check = azure.identity_step().check(&Facts::new()).await;
    assert_eq!(
        (check.status, codes(&check)),
        (Status::Error, vec!["IDENTITY_AZURE"]),
        "{check:?}"
    );
    assert!(
        check.findings[0].message.contains("ResourceGroupNotFound"),
        "{:?}",
        check.findings[0]
    );
    assert!(
        check.findings[0].fix.contains("az group create"),
        "{:?}",
        check.findings[0]
    );
}

#[tokio::test]
async fn a_credential_error_names_the_credential_and_how_to_log_in() {
    #[derive(Debug)]
    struct LoggedOut;
    #[async_trait::async_trait]
    impl azure_core::credentials::TokenCredential for LoggedOut {
        async fn get_token(
            &self,
            _: &[&str],
            _: Option<azure_core::credentials::TokenRequestOptions<'_>>,
        ) -> azure_core::Result<azure_core::credentials::AccessToken> {
            Err(azure_core::Error::with_message(
                azure_core::error::ErrorKind::Credential,
                "ERROR: Please run 'az login' to setup account.",
            ))
        }
    }
    let azure = Setup::new().start().await;
    let credential = AzureCredential::from_token_credential(
        "Azure CLI login (az)",
        "run `az login`",
        Arc::new(LoggedOut),
    );
    let session = AzureSession::with_credential(
        azure.session.arm.cloud().clone(),
        credential,
        azure.session.tenant,
        azure.session.subscription,
        &[azure.sandbox.ca_certificate_pem().to_string()],
        RetryPolicy::fast(),
    )
    .unwrap();
    let check = IdentityStep::from_profile(&session, &azure.profile)
        .unwrap()
        .check(&Facts::new())
        .await;
    assert_eq!(check.status, Status::Error);
    let finding = &check.findings[0];
    assert!(
        finding
            .message
            .starts_with("Azure CLI login (az): could not get a token"),
        "{finding:?}"
    );
    assert!(
        finding.message.contains("Please run 'az login'"),
        "{finding:?}"
    );
    assert_eq!(finding.fix, "run `az login`");
    assert!(
        azure.requests().is_empty(),
        "nothing is sent without a token"
    );
}

// ------------------------------------------------------------------------------ federation

#[tokio::test]
async fn the_federated_credential_copies_the_issuer_byte_for_byte_and_a_rerun_plans_nothing() {
    let azure = Setup::new()
        .issuer("https://oidc.example.com/cluster1/")
        .roles(vec![])
        .start()
        .await;
    let check = azure.federation_step().check(&Facts::new()).await;
    assert_eq!(codes(&check), ["FEDERATION_IDENTITY_MISSING"]);
    let outcome = azure.apply_all().await;
    assert!(outcome.failed.is_none(), "{:?}", outcome.failed);
    let credentials = azure.sandbox.federated_credentials(GROUP, IDENTITY);
    assert_eq!(credentials.len(), 1);
    assert_eq!(credentials[0].name, "kwif-application1-application1-sa");
    assert_eq!(
        credentials[0].issuer, "https://oidc.example.com/cluster1/",
        "trailing slash kept"
    );
    assert_eq!(
        credentials[0].subject,
        "system:serviceaccount:application1:application1-sa"
    );
    assert_eq!(credentials[0].audiences, ["api://AzureADTokenExchange"]);
    assert!(azure.requests().iter().any(|line| line.contains(
        "federatedIdentityCredentials/kwif-application1-application1-sa 2024-11-30 201"
    )));
    assert!(
        outcome
            .report
            .steps
            .iter()
            .all(|step| step.status == Status::Ok),
        "{:?}",
        outcome.report
    );
    assert!(
        azure
            .federation_step()
            .plan(&Facts::new())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_deliberately_wrong_subject_is_found_and_fixed_in_place() {
    let azure = Setup::new().roles(vec![]).start().await;
    azure.sandbox.insert_identity(GROUP, IDENTITY).unwrap();
    azure
        .sandbox
        .insert_federated_credential(
            GROUP,
            IDENTITY,
            "kwif-application1-application1-sa",
            ISSUER,
            "system:serviceaccount:default:application1-sa",
            "api://AzureADTokenExchange",
        )
        .unwrap();
    let step = azure.federation_step();
    let check = step.check(&Facts::new()).await;
    assert_eq!(
        (check.status, codes(&check)),
        (Status::Drift, vec!["FEDERATION_MISMATCH"]),
        "{check:?}"
    );
    assert!(check.findings[0].message.contains("\"system:serviceaccount:default:application1-sa\" ≠ \"system:serviceaccount:application1:application1-sa\""), "{:?}", check.findings[0]);
    let plan = step.plan(&Facts::new()).await.unwrap();
    assert_eq!(
        targets(&plan),
        [format!(
            "federated credential kwif-application1-application1-sa on {IDENTITY}"
        )]
    );
    let diff = plan.changes[0].diff();
    assert!(
        diff.contains("-subject: system:serviceaccount:default:application1-sa")
            && diff.contains("+subject: system:serviceaccount:application1:application1-sa"),
        "{diff}"
    );
    let learned = step.apply(&plan, &Facts::new()).await.unwrap();
    let credentials = azure.sandbox.federated_credentials(GROUP, IDENTITY);
    assert_eq!(credentials.len(), 1);
    assert_eq!(
        credentials[0].subject,
        "system:serviceaccount:application1:application1-sa"
    );
    assert_eq!(step.check(&Facts::new()).await.status, Status::Ok);
    assert!(
        learned.get::<CredentialWritten>().is_some(),
        "verify learns that a credential was just written"
    );
}

#[tokio::test]
async fn a_near_miss_under_another_name_is_replaced_then_deleted() {
    let azure = Setup::new().roles(vec![]).start().await;
    azure.sandbox.insert_identity(GROUP, IDENTITY).unwrap();
    let sandbox = &azure.sandbox;
    sandbox
        .insert_federated_credential(
            GROUP,
            IDENTITY,
            "by-hand",
            &format!("{ISSUER}/"),
            "system:serviceaccount:application1:application1-sa",
            "api://AzureADTokenExchange",
        )
        .unwrap();
    sandbox
        .insert_federated_credential(
            GROUP,
            IDENTITY,
            "other-team",
            ISSUER,
            "system:serviceaccount:other:worker",
            "api://AzureADTokenExchange",
        )
        .unwrap();
    let step = azure.federation_step();
    let check = step.check(&Facts::new()).await;
    assert_eq!(
        codes(&check),
        ["FEDERATION_MISSING", "FEDERATION_NEAR_MISS"],
        "{check:?}"
    );
    assert!(
        check.findings[1].message.contains("trailing slash"),
        "{:?}",
        check.findings[1]
    );
    let plan = step.plan(&Facts::new()).await.unwrap();
    assert_eq!(
        targets(&plan),
        [
            format!("federated credential kwif-application1-application1-sa on {IDENTITY}"),
            format!("federated credential by-hand on {IDENTITY} (near miss)")
        ]
    );
    step.apply(&plan, &Facts::new()).await.unwrap();
    let names: Vec<String> = sandbox
        .federated_credentials(GROUP, IDENTITY)
        .into_iter()
        .map(|credential| credential.name)
        .collect();
    assert_eq!(
        names,
        ["other-team", "kwif-application1-application1-sa"],
        "the unrelated credential is kept"
    );
    assert!(step.plan(&Facts::new()).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_limit_of_twenty_credentials_stops_the_plan_before_any_write() {
    // Seven per page: the list is read across three pages (nextLink).
    let azure = Setup::new()
        .roles(vec![])
        .options(|options| options.page_size = 7)
        .start()
        .await;
    azure.sandbox.insert_identity(GROUP, IDENTITY).unwrap();
    for index in 0..20 {
        let subject = format!("system:serviceaccount:team{index}:worker");
        azure
            .sandbox
            .insert_federated_credential(
                GROUP,
                IDENTITY,
                &format!("team{index}"),
                ISSUER,
                &subject,
                "api://AzureADTokenExchange",
            )
            .unwrap();
    }
    let step = azure.federation_step();
    let check = step.check(&Facts::new()).await;
    assert_eq!(
        (check.status, codes(&check)),
        (
            Status::Error,
            vec!["FEDERATION_MISSING", "FEDERATION_LIMIT"]
        ),
        "{check:?}"
    );
    assert!(
        check.findings[1]
            .message
            .contains("has 20 federated credentials and would need 21"),
        "{:?}",
        check.findings[1]
    );
    let error = step.plan(&Facts::new()).await.unwrap_err();
    assert!(
        error.fix.contains("az identity federated-credential list"),
        "{error:?}"
    );
    assert!(!azure.requests().iter().any(|line| line.starts_with("PUT")));
    let pages = azure
        .requests()
        .iter()
        .filter(|line| line.starts_with("GET") && line.contains("/federatedIdentityCredentials "))
        .count();
    assert!(pages >= 3, "{:#?}", azure.requests());
}

#[tokio::test]
async fn one_credential_per_distinct_service_account_is_written_one_at_a_time() {
    let azure = Setup::new()
        .roles(vec![])
        .workloads(vec![
            workload("application1", "application1-sa", "web-server"),
            workload("application1", "application1-sa", "worker"),
            workload("application2", "api", "api"),
            workload("batch", "jobs", "nightly"),
        ])
        .options(|options| options.credential_write_hold = Duration::from_millis(200))
        .start()
        .await;
    let outcome = azure.apply_all().await;
    assert!(outcome.failed.is_none(), "{:?}", outcome.failed);
    let subjects: Vec<String> = azure
        .sandbox
        .federated_credentials(GROUP, IDENTITY)
        .into_iter()
        .map(|credential| credential.subject)
        .collect();
    assert_eq!(
        subjects,
        [
            "system:serviceaccount:application1:application1-sa",
            "system:serviceaccount:application2:api",
            "system:serviceaccount:batch:jobs"
        ]
    );
    assert!(
        !azure.requests().iter().any(|line| line.ends_with(" 409")),
        "no overlapping writes: {:#?}",
        azure.requests()
    );
}

// ------------------------------------------------------------------------------ retries and faults

#[tokio::test]
async fn throttled_requests_wait_for_retry_after_then_succeed() {
    let azure = Setup::new()
        .roles(vec![])
        .options(|options| {
            options.faults = Faults {
                throttle_probability: 0.5,
                server_error_probability: 0.0,
                retry_after_seconds: 1,
                seed: 7,
            }
        })
        .start()
        .await;
    let started = Instant::now();
    let check = azure.identity_step().check(&Facts::new()).await;
    assert_eq!(codes(&check), ["IDENTITY_MISSING"], "{check:?}");
    let throttled = azure
        .requests()
        .iter()
        .filter(|line| line.ends_with(" 429"))
        .count();
    if throttled > 0 {
        assert!(
            started.elapsed() >= Duration::from_secs(throttled as u64),
            "each 429 waited its Retry-After"
        );
    }
    assert!(
        azure.requests().last().unwrap().ends_with(" 404"),
        "{:#?}",
        azure.requests()
    );
}

#[tokio::test]
async fn random_429s_and_500s_on_every_call_still_end_in_the_complete_setup_on_rerun() {
    let azure = Setup::new()
        .workloads(vec![
            workload("application1", "application1-sa", "web-server"),
            workload("application2", "api", "api"),
        ])
        .options(|options| {
            options.faults = Faults {
                throttle_probability: 0.25,
                server_error_probability: 0.25,
                retry_after_seconds: 0,
                seed: 42,
            }
        })
        .start()
        .await;
    let mut runs = 0;
    let report = loop {
        runs += 1;
        let outcome = azure.apply_all().await;
        if outcome.failed.is_none()
            && outcome
                .report
                .steps
                .iter()
                .all(|step| step.status == Status::Ok)
        {
            break outcome.report;
        }
        assert!(
            runs < 6,
            "no convergence after {runs} runs: {:?}",
            outcome.failed
        );
    };
    assert!(
        report.steps.iter().all(|step| step.findings.is_empty()),
        "{report:?}"
    );
    let requests = azure.requests();
    assert!(
        requests.iter().any(|line| line.ends_with(" 429"))
            && requests.iter().any(|line| line.ends_with(" 500")),
        "faults were injected"
    );

    assert_eq!(azure.sandbox.identities().len(), 1);
    let principal = azure.sandbox_ids().principal_id.to_string();
    let assignments = azure
        .sandbox
        .role_assignments()
        .into_iter()
        .filter(|a| a.principal_id.eq_ignore_ascii_case(&principal))
        .count();
    assert_eq!(assignments, 1);
    assert_eq!(azure.sandbox.cosmos_role_assignments().len(), 1);
    assert_eq!(
        azure.sandbox.federated_credentials(GROUP, IDENTITY).len(),
        2
    );
    azure.sandbox.set_faults(Faults::none());
    let plans = Runner::new(azure.steps()).plan_all().await;
    assert!(
        plans
            .iter()
            .all(|(_, plan)| plan.as_ref().unwrap().is_empty()),
        "{plans:?}"
    );
}

#[tokio::test]
async fn runs_cut_short_by_faults_converge_on_rerun_without_duplicates() {
    // Two retries only: most runs stop at some failed call, and the next run picks up there.
    let retry = RetryPolicy {
        max_retries: 2,
        ..RetryPolicy::fast()
    };
    let azure = Setup::new()
        .retry(retry)
        .options(|options| {
            options.faults = Faults {
                throttle_probability: 0.3,
                server_error_probability: 0.3,
                retry_after_seconds: 0,
                seed: 3,
            }
        })
        .start()
        .await;
    let mut failures = 0;
    for _ in 0..30 {
        let outcome = azure.apply_all().await;
        if outcome.failed.is_none()
            && outcome
                .report
                .steps
                .iter()
                .all(|step| step.status == Status::Ok)
        {
            break;
        }
        failures += 1;
    }
    azure.sandbox.set_faults(Faults::none());
    let report = Runner::new(azure.steps()).check_all().await;
    assert!(failures > 0, "the faults interrupted at least one run");
    assert!(
        report.steps.iter().all(|step| step.status == Status::Ok),
        "after {failures} interrupted runs: {report:?}"
    );
    assert_eq!(azure.sandbox.identities().len(), 1);
    let principal = azure.sandbox_ids().principal_id.to_string();
    assert_eq!(
        azure
            .sandbox
            .role_assignments()
            .iter()
            .filter(|a| a.principal_id.eq_ignore_ascii_case(&principal))
            .count(),
        1
    );
    assert_eq!(azure.sandbox.cosmos_role_assignments().len(), 1);
    assert_eq!(
        azure.sandbox.federated_credentials(GROUP, IDENTITY).len(),
        1
    );
}

// ------------------------------------------------------------------------------ verify

/// A kubeadm sandbox whose API server is the issuer, publishing its documents anonymously (as
/// `kubectl create clusterrolebinding oidc-reviewer … --group=system:unauthenticated` does).
struct Cluster {
    kube: KubeSandbox,
    issuer: String,
    ca_file: tempfile::NamedTempFile,
}

impl Cluster {
    async fn start() -> Cluster {
        let kube = KubeSandbox::start(
            KubeSandboxOptions::new(Distribution::Kubeadm).with_anonymous_auth(true),
        )
        .await
        .unwrap();
        let issuer = kube.url();
        kube.set_issuers(vec![issuer.clone()], None).unwrap();
        kube.insert(json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "oidc-reviewer"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:service-account-issuer-discovery"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:unauthenticated"}],
        }))
        .unwrap();
        let namespace =
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "application1"}});
        kube.insert(namespace).unwrap();
        let service_account = json!({"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "application1-sa", "namespace": "application1"}});
        kube.insert(service_account).unwrap();
        let ca_file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(ca_file.path(), kube.ca_certificate_pem()).unwrap();
        Cluster {
            kube,
            issuer,
            ca_file,
        }
    }

    fn fetcher(&self) -> kwif::oidc::fetch::Fetcher {
        kwif::oidc::fetch::Fetcher::new(&[self.ca_file.path().to_path_buf()]).unwrap()
    }
}

async fn federated(cluster: &Cluster, setup: Setup) -> Azure {
    let azure = setup
        .issuer(&cluster.issuer)
        .options(|options| {
            options
                .extra_ca_pems
                .push(cluster.kube.ca_certificate_pem().to_string());
        })
        .start()
        .await;
    let outcome = azure.apply_all().await;
    assert!(outcome.failed.is_none(), "{:?}", outcome.failed);
    azure
}

async fn verify_step(azure: &Azure, cluster: &Cluster) -> VerifyStep {
    VerifyStep::from_profile(
        &azure.session,
        cluster.kube.client().await.unwrap(),
        &azure.profile,
        Some(cluster.fetcher()),
    )
    .unwrap()
    .with_propagation_wait(PropagationWait {
        window: Duration::from_secs(10),
        interval: Duration::from_millis(300),
    })
}

#[tokio::test]
async fn verify_proves_a_real_token_exchange_and_reports_the_expiry() {
    let cluster = Cluster::start().await;
    let azure = federated(&cluster, Setup::new().roles(vec![])).await;
    let step = verify_step(&azure, &cluster).await;
    let check = step.check(&Facts::new()).await;
    assert_eq!(
        (check.status, codes(&check)),
        (Status::Ok, vec![]),
        "{check:?}"
    );
    let outcomes = step.outcomes();
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].service_account, "application1/application1-sa");
    let issued = outcomes[0].result.as_ref().unwrap();
    assert!(
        issued.expires_on > std::time::SystemTime::now() + Duration::from_secs(600),
        "{issued:?}"
    );
    assert_eq!(
        issued.claims.object_id.as_deref(),
        Some(azure.sandbox_ids().principal_id.to_string().as_str()),
        "{issued:?}"
    );
    assert!(azure.requests().iter().any(|line| line.starts_with("POST ")
        && line.contains("/oauth2/v2.0/token")
        && line.ends_with(" 200")));
    assert!(
        step.plan(&Facts::new()).await.unwrap().is_empty(),
        "verify never changes anything"
    );
}

#[tokio::test]
async fn verify_asks_resource_manager_as_the_identity_whether_each_role_is_in_effect() {
    let cluster = Cluster::start().await;
    let worker = json!({"apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": {"name": "worker-sa", "namespace": "application1"}});
    cluster.kube.insert(worker).unwrap();
    let setup = Setup::new()
        .workloads(vec![
            workload("application1", "application1-sa", "web-server"),
            workload("application1", "worker-sa", "worker"),
        ])
        .options(|options| {
            options.role_assignment_propagation = Duration::from_secs(3600);
        });
    let azure = federated(&cluster, setup).await;
    let step = verify_step(&azure, &cluster).await;

    azure.sandbox.clear_request_log();
    let check = step.check(&Facts::new()).await;
    let permission_calls = |azure: &Azure| {
        azure
            .requests()
            .iter()
            .filter(|line| line.contains("/providers/Microsoft.Authorization/permissions "))
            .count()
    };
    assert_eq!(
        permission_calls(&azure),
        1,
        "two service accounts are one identity: its roles are proven once"
    );
    assert_eq!(
        (check.status, codes(&check)),
        (
            Status::Ok,
            vec!["VERIFY_TARGET_NOT_CALLED", "VERIFY_ROLE_NOT_IN_EFFECT"]
        ),
        "a fresh assignment is not in effect yet: {check:?}"
    );
    let pending = &check.findings[1];
    assert!(
        pending.message.contains(&format!(
            "Storage Blob Data Reader grants on {}",
            group_scope()
        )) && pending
            .message
            .contains("(Microsoft.Storage/storageAccounts/blobServices/"),
        "names the role, the scope and an operation: {pending:?}"
    );
    assert!(pending.fix.contains("10 minutes"), "{pending:?}");
    assert!(
        check.findings[0]
            .message
            .contains("Cosmos DB Built-in Data Contributor"),
        "Cosmos DB data roles are said to be unproven: {:?}",
        check.findings[0]
    );

    azure
        .sandbox
        .set_role_assignment_propagation(Duration::ZERO);
    let check = step.check(&Facts::new()).await;
    assert_eq!(
        codes(&check),
        ["VERIFY_TARGET_NOT_CALLED"],
        "the role is in effect once it has propagated: {check:?}"
    );
    assert!(
        azure.requests().iter().any(|line| line.starts_with("GET ")
            && line.ends_with("/providers/Microsoft.Authorization/permissions 2022-04-01 200")),
        "{:#?}",
        azure.requests()
    );
}

#[tokio::test]
async fn verify_explains_a_subject_mismatch_in_words() {
    let cluster = Cluster::start().await;
    let azure = federated(&cluster, Setup::new().roles(vec![])).await;
    // Someone points the credential at another namespace behind kwif's back.
    azure
        .sandbox
        .insert_federated_credential(
            GROUP,
            IDENTITY,
            "kwif-application1-application1-sa",
            &cluster.issuer,
            "system:serviceaccount:default:application1-sa",
            "api://AzureADTokenExchange",
        )
        .unwrap();
    let check = verify_step(&azure, &cluster)
        .await
        .check(&Facts::new())
        .await;
    assert_eq!(check.status, Status::Error, "{check:?}");
    let finding = &check.findings[0];
    assert!(
        finding.code.starts_with("AADSTS700213") || finding.code == "AADSTS70021",
        "{finding:?}"
    );
    assert!(
        finding
            .message
            .contains("application1/application1-sa: Entra ID refused the token exchange"),
        "{}",
        finding.message
    );
    assert!(
        finding.message.contains("Usual cause:"),
        "{}",
        finding.message
    );
    assert!(
        finding
            .message
            .contains("https://login.microsoftonline.com/error?code="),
        "{}",
        finding.message
    );
    assert!(finding.fix.contains("kwif"), "{}", finding.fix);
}

#[tokio::test]
async fn verify_runs_the_doctor_when_entra_cannot_fetch_the_discovery_document() {
    let cluster = Cluster::start().await;
    let azure = federated(&cluster, Setup::new().roles(vec![])).await;
    // Anonymous discovery switched off again: Entra's fetch gets 403.
    let bindings = cluster
        .kube
        .objects("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", None);
    assert!(
        bindings
            .iter()
            .any(|binding| binding["metadata"]["name"] == "oidc-reviewer")
    );
    cluster
        .kube
        .restart(
            KubeSandboxOptions::new(Distribution::Kubeadm)
                .with_anonymous_auth(false)
                .with_issuers([cluster.issuer.clone()]),
        )
        .unwrap();
    let check = verify_step(&azure, &cluster)
        .await
        .check(&Facts::new())
        .await;
    assert_eq!(check.status, Status::Error, "{check:?}");
    assert_eq!(check.findings[0].code, "AADSTS90061", "{check:?}");
    assert!(
        codes(&check)
            .iter()
            .any(|code| code.starts_with("DISCOVERY_")),
        "the doctor pinpoints the hosting cause: {check:?}"
    );
}

#[tokio::test]
async fn verify_waits_with_a_countdown_while_a_new_credential_propagates() {
    let cluster = Cluster::start().await;
    let azure = federated(
        &cluster,
        Setup::new()
            .roles(vec![])
            .options(|options| options.credential_propagation = Duration::from_secs(2)),
    )
    .await;
    let events: Arc<Mutex<Vec<VerifyProgress>>> = Arc::default();
    let seen = events.clone();
    let step = verify_step(&azure, &cluster)
        .await
        .on_progress(Arc::new(move |event| {
            seen.lock().unwrap().push(event.clone());
        }));
    let check = step.check(&azure.learned()).await;
    assert_eq!(check.status, Status::Ok, "{check:?}");
    let events = events.lock().unwrap().clone();
    let waits: Vec<Duration> = events
        .iter()
        .filter_map(|event| match event {
            VerifyProgress::Waiting {
                code: 70021,
                remaining,
                ..
            } => Some(*remaining),
            _ => None,
        })
        .collect();
    assert!(waits.len() >= 2, "{events:?}");
    assert!(
        waits.windows(2).all(|pair| pair[0] >= pair[1]),
        "the countdown goes down: {waits:?}"
    );
    assert!(
        matches!(events.last(), Some(VerifyProgress::Verified { .. })),
        "{events:?}"
    );
    assert!(events.iter().any(|event| {
        event
            .to_string()
            .contains("still propagating; retrying for")
    }));
}

#[tokio::test]
async fn no_token_or_assertion_appears_in_any_output_or_log() {
    let cluster = Cluster::start().await;
    let azure = federated(&cluster, Setup::new().roles(vec![])).await;
    let events: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = events.clone();
    let step = verify_step(&azure, &cluster)
        .await
        .on_progress(Arc::new(move |event| {
            seen.lock().unwrap().push(format!("{event} {event:?}"));
        }));
    let good = step.check(&Facts::new()).await;
    let outcomes = format!("{:?}", step.outcomes());
    // And a failing exchange, whose error text comes from Entra.
    azure
        .sandbox
        .insert_federated_credential(
            GROUP,
            IDENTITY,
            "kwif-application1-application1-sa",
            &cluster.issuer,
            "system:serviceaccount:x:y",
            "api://AzureADTokenExchange",
        )
        .unwrap();
    let bad = step.check(&Facts::new()).await;
    let mut printed = vec![
        format!("{good:?} {bad:?} {outcomes} {:?}", step.outcomes()),
        kwif::engine::render::render_text(
            &kwif::engine::Report::single(kwif::engine::StepId::Verify, bad),
            None,
        ),
        format!("{:?}", azure.session),
        format!("{:?}", azure.requests()),
        format!("{:?}", azure.sandbox.request_log()),
    ];
    printed.extend(events.lock().unwrap().iter().cloned());
    for plan in Runner::new(azure.steps()).plan_all().await {
        printed.push(format!("{plan:?}"));
    }
    let minted = kwif::kube::mint_token(
        &cluster.kube.client().await.unwrap(),
        "application1",
        "application1-sa",
        "api://AzureADTokenExchange",
        600,
    )
    .await
    .unwrap();
    let header = minted.split('.').next().unwrap().to_string();
    for text in printed {
        assert!(
            !text.contains(&azure.sandbox.admin_access_token()[..40]),
            "the ARM token leaked: {text}"
        );
        assert!(
            !text.contains(&header),
            "a service-account token (its JWT header) leaked: {text}"
        );
        assert!(!text.contains("eyJ"), "something JWT-shaped leaked: {text}");
    }
}

#[tokio::test]
async fn a_rerun_checks_all_three_azure_steps_ok() {
    let cluster = Cluster::start().await;
    let azure = federated(&cluster, Setup::new()).await;
    let mut steps = azure.steps();
    steps.push(Box::new(verify_step(&azure, &cluster).await));
    let runner = Runner::new(steps);
    runner.check_all().await;
    let report = runner.check_all().await;
    assert!(
        report.steps.iter().all(|step| step.status == Status::Ok),
        "{report:?}"
    );
}

#[tokio::test]
async fn verify_waits_for_the_identity_and_names_a_missing_service_account() {
    let cluster = Cluster::start().await;
    let setup = Setup::new().roles(vec![]).workloads(vec![workload(
        "application1",
        "ghost-sa",
        "web-server",
    )]);
    let azure = setup
        .issuer(&cluster.issuer)
        .options(|options| {
            options
                .extra_ca_pems
                .push(cluster.kube.ca_certificate_pem().to_string());
        })
        .start()
        .await;
    let check = verify_step(&azure, &cluster)
        .await
        .check(&Facts::new())
        .await;
    assert_eq!(
        (check.status, codes(&check)),
        (Status::Skipped, vec!["VERIFY_NOT_READY"]),
        "{check:?}"
    );

    let outcome = azure.apply_all().await;
    assert!(outcome.failed.is_none(), "{:?}", outcome.failed);
    let check = verify_step(&azure, &cluster)
        .await
        .check(&Facts::new())
        .await;
    assert_eq!(
        (check.status, codes(&check)),
        (Status::Error, vec!["VERIFY_SERVICE_ACCOUNT_MISSING"]),
        "{check:?}"
    );
    assert!(
        check.findings[0].message.contains("application1/ghost-sa"),
        "{:?}",
        check.findings[0]
    );
    assert!(
        check.findings[0].fix.contains("--step workload"),
        "{:?}",
        check.findings[0]
    );
}

#[tokio::test]
async fn a_cosmos_role_for_a_principal_still_replicating_is_written_again_in_the_window_with_a_countdown()
 {
    let azure = Setup::new().roles(vec![]).start().await;
    let identity = azure.created_identity().await;
    let account = kwif::profile::CosmosAccountId::parse(&cosmos_account()).unwrap();
    let role = kwif::profile::RoleName::parse("Cosmos DB Built-in Data Contributor").unwrap();
    let definition =
        kwif::azure::cosmos::find_sql_role_definition(&azure.session.arm, &account, &role)
            .await
            .unwrap();
    let left: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let seen = left.clone();
    let wait = PrincipalWait::fast().with_notice(kwif::azure::roles::WaitNotice(Arc::new(
        move |remaining| seen.lock().unwrap().push(remaining),
    )));
    let outcome = kwif::azure::cosmos::create_sql_role_assignment(
        &azure.session.arm,
        &account,
        identity.principal_id,
        &definition,
        &wait,
        &PollPolicy::fast(),
    )
    .await
    .expect("written once the principal replicated");
    assert_eq!(outcome, AssignmentOutcome::Created);
    let left = left.lock().unwrap().clone();
    assert!(!left.is_empty(), "the wait was announced with what is left");
    assert!(left.windows(2).all(|pair| pair[0] >= pair[1]), "{left:?}");
    let puts = azure
        .requests()
        .iter()
        .filter(|line| line.starts_with("PUT") && line.contains("sqlRoleAssignments/"))
        .count();
    assert!(puts >= 2, "the same write again: {:#?}", azure.requests());
    assert_eq!(azure.sandbox.cosmos_role_assignments().len(), 1);
}

#[tokio::test]
async fn a_cosmos_write_that_fails_for_good_reports_the_writes_outcome_not_the_polls_200() {
    let azure = Setup::new()
        .roles(vec![])
        .options(|options| options.principal_replication_delay = Duration::from_secs(3600))
        .start()
        .await;
    let identity = azure.created_identity().await;
    let account = kwif::profile::CosmosAccountId::parse(&cosmos_account()).unwrap();
    let role = kwif::profile::RoleName::parse("Cosmos DB Built-in Data Contributor").unwrap();
    let definition =
        kwif::azure::cosmos::find_sql_role_definition(&azure.session.arm, &account, &role)
            .await
            .unwrap();
    let short = PrincipalWait {
        window: Duration::from_millis(300),
        ..PrincipalWait::fast()
    };
    let error = kwif::azure::cosmos::create_sql_role_assignment(
        &azure.session.arm,
        &account,
        identity.principal_id,
        &definition,
        &short,
        &PollPolicy::fast(),
    )
    .await
    .unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("Azure accepted the write, then its operation failed with BadRequest")
            && text.contains("was not found"),
        "{text}"
    );
    assert!(!text.contains("200"), "not the status poll's code: {text}");
    assert!(
        error.fix().contains("rerun `kwif apply` in a few minutes"),
        "{}",
        error.fix()
    );
}
