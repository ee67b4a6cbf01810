//! Sandbox Azure: Resource Manager (identities, federated credentials, roles, assignments and the
//! caller's permissions, Cosmos DB SQL role assignments, storage accounts) and the Entra token
//! endpoint on one loopback HTTPS server. It follows the real services (azure.md), not kwif's needs.
//! Resource Manager accepts only the access tokens its own Entra issued.

mod access_token;
mod arm_error;
mod arm_path;
mod cosmos_role_assignments;
mod entra_error;
mod entra_login;
mod faults;
mod federated_credentials;
#[path = "../graph/mod.rs"]
mod graph;
mod identities;
mod issuer_trust;
mod locations;
mod permissions;
mod reply;
mod request_record;
mod resource_groups;
mod resource_manager;
mod role_assignments;
mod role_definitions;
mod server;
mod service_principal_login;
mod state;
mod storage_accounts;
mod subscriptions;

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use faults::Faults;
pub use graph::{
    GraphApplication, GraphFederatedCredential, GraphServicePrincipal, READ_ALL, READ_WRITE_ALL,
    READ_WRITE_OWNED_BY,
};
pub use request_record::AzureRequestRecord;
pub use service_principal_login::ServicePrincipalLogin;
pub use state::{
    CosmosAccount, CosmosRoleAssignment, CustomRole, DirectoryNames, FederatedCredential,
    RoleAssignment, StorageAccount, StorageDataPlane, UserAssignedIdentity,
};

use crate::SandboxError;
use crate::clock::Clock;
use crate::randomness;
use crate::tls::SandboxCa;
use arm_error::ArmError;
use arm_path::IdentityPath;
use entra_login::Principal;
use server::Shared;
use state::{ApplicationEntry, AzureState, StorageSettings, Timings};

/// The tenant of a default sandbox (the placeholder of DESIGN.md's profile sketch).
pub const DEFAULT_TENANT_ID: &str = "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb";
/// The subscription of a default sandbox.
pub const DEFAULT_SUBSCRIPTION_ID: &str = "cccccccc-cccc-cccc-cccc-cccccccccccc";
/// The resource group a default sandbox starts with.
pub const DEFAULT_RESOURCE_GROUP: &str = "rg-application1";

/// What the sandbox's Azure looks like at start and how eventually consistent it is.
#[derive(Clone, Debug)]
pub struct AzureSandboxOptions {
    /// Default [`DEFAULT_TENANT_ID`].
    pub tenant_id: String,
    /// Default [`DEFAULT_SUBSCRIPTION_ID`]. Requests for other subscriptions get 404 `SubscriptionNotFound`.
    pub subscription_id: String,
    /// Where seeded resources are; default `westeurope`.
    pub location: String,
    /// Resource groups that exist at start; default `[rg-application1]`.
    pub resource_groups: Vec<String>,
    /// Cosmos DB accounts that exist at start (their resource groups too); default none.
    pub cosmos_accounts: Vec<CosmosAccount>,
    /// How long a new identity's principal is unknown to role assignments; default 3 s.
    pub principal_replication_delay: Duration,
    /// How long Entra ignores a new or changed federated credential (AADSTS70021); default 0.
    pub credential_propagation: Duration,
    /// How long a federated credential write keeps its identity busy (409 for overlapping
    /// writes); default 50 ms.
    pub credential_write_hold: Duration,
    /// How long a Cosmos DB SQL role assignment stays invisible unless its operation is
    /// polled; default 500 ms.
    pub cosmos_provisioning_delay: Duration,
    /// Injected 429s and 500s on ARM requests; default none.
    pub faults: Faults,
    /// CA certificates (PEM) the token endpoint trusts, besides the system's, when it fetches
    /// an issuer's discovery document and JWKS.
    pub extra_ca_pems: Vec<String>,
    /// CA files, likewise.
    pub extra_ca_files: Vec<PathBuf>,
    /// Items per page of ARM lists before a `nextLink`; default 100.
    pub page_size: usize,
    /// Storage accounts that exist at start (their resource groups too); default none.
    pub storage_accounts: Vec<StorageAccount>,
    /// Storage account names taken in other subscriptions; default none.
    pub taken_storage_account_names: Vec<String>,
    /// Endpoints and key1 of every storage account; default Azure's endpoints, random keys.
    pub storage_data_plane: Option<StorageDataPlane>,
    /// Polls of a storage account create's `Location` that answer 202 before the 200; default 1.
    pub storage_provisioning_polls: u32,
    /// How long a role assignment created over ARM grants nothing yet: the permissions list
    /// leaves it out until then (real Azure takes up to minutes); default 0.
    pub role_assignment_propagation: Duration,
    /// The time every delay above and every token lifetime is measured by; a test moves it on
    /// with [`Clock::advance`] instead of sleeping. Default: real time.
    pub clock: Clock,
    /// How long every answer waits before it is sent (a slow network); default none.
    pub latency: Duration,
    /// Custom role definitions of the subscription at start; default none.
    pub custom_roles: Vec<CustomRole>,
    /// The subscription's and the tenant's display names and the tenant's domain, as the
    /// subscription and tenant lists show them; default `kwif sandbox`.
    pub directory: DirectoryNames,
}

impl Default for AzureSandboxOptions {
    fn default() -> AzureSandboxOptions {
        AzureSandboxOptions {
            tenant_id: DEFAULT_TENANT_ID.to_string(),
            subscription_id: DEFAULT_SUBSCRIPTION_ID.to_string(),
            location: "westeurope".to_string(),
            resource_groups: vec![DEFAULT_RESOURCE_GROUP.to_string()],
            cosmos_accounts: Vec::new(),
            principal_replication_delay: Duration::from_secs(3),
            credential_propagation: Duration::ZERO,
            credential_write_hold: Duration::from_millis(50),
            cosmos_provisioning_delay: Duration::from_millis(500),
            faults: Faults::none(),
            extra_ca_pems: Vec::new(),
            extra_ca_files: Vec::new(),
            page_size: 100,
            storage_accounts: Vec::new(),
            taken_storage_account_names: Vec::new(),
            storage_data_plane: None,
            storage_provisioning_polls: 1,
            role_assignment_propagation: Duration::ZERO,
            clock: Clock::new(),
            latency: Duration::ZERO,
            custom_roles: Vec::new(),
            directory: DirectoryNames::default(),
        }
    }
}

impl AzureSandboxOptions {
    pub fn with_faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    pub fn with_extra_ca_pem(mut self, pem: impl Into<String>) -> Self {
        self.extra_ca_pems.push(pem.into());
        self
    }

    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    pub fn with_extra_ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.extra_ca_files.push(path.into());
        self
    }

    pub fn with_cosmos_account(mut self, resource_group: &str, name: &str) -> Self {
        let location = self.location.clone();
        self.cosmos_accounts.push(CosmosAccount {
            resource_group: resource_group.into(),
            name: name.into(),
            location,
        });
        self
    }

    /// A custom role existing at start (see [`CustomRole::new`]).
    pub fn with_custom_role(mut self, role: CustomRole) -> Self {
        self.custom_roles.push(role);
        self
    }

    pub fn with_storage_data_plane(mut self, data_plane: StorageDataPlane) -> Self {
        self.storage_data_plane = Some(data_plane);
        self
    }

    /// An account existing at start (its resource group too), with allowBlobPublicAccess as
    /// given: StorageV2, Standard_LRS, in the sandbox's location.
    pub fn with_storage_account(
        mut self,
        resource_group: &str,
        name: &str,
        allow_blob_public_access: bool,
    ) -> Self {
        let account = StorageAccount::existing(
            resource_group,
            name,
            &self.location,
            allow_blob_public_access,
        );
        self.storage_accounts.push(account);
        self
    }

    /// Names taken by someone else: checkNameAvailability says AlreadyExists, PUT gets 409
    /// StorageAccountAlreadyTaken.
    pub fn with_taken_storage_account_name(mut self, name: &str) -> Self {
        self.taken_storage_account_names.push(name.to_string());
        self
    }

    fn storage_settings(&self) -> StorageSettings {
        StorageSettings {
            data_plane: self.storage_data_plane.clone(),
            provisioning_polls: self.storage_provisioning_polls,
            taken_names: self
                .taken_storage_account_names
                .iter()
                .map(|name| name.to_ascii_lowercase())
                .collect(),
        }
    }

    fn timings(&self) -> Timings {
        Timings {
            principal_replication: self.principal_replication_delay,
            credential_propagation: self.credential_propagation,
            credential_write_hold: self.credential_write_hold,
            cosmos_provisioning: self.cosmos_provisioning_delay,
            role_assignment_propagation: self.role_assignment_propagation,
        }
    }
}

/// A running sandbox Azure. It stops when dropped.
///
/// Entra's token endpoint signs access tokens (RS256, a key made at start, published at
/// `/{tenant}/discovery/v2.0/keys`) for managed identities through the federated exchange and
/// for the administrator, a service principal made at start that signs in with a client secret
/// and owns the subscription. Resource Manager accepts no other bearer token; the permissions
/// list answers for the principal the token names (`oid`).
pub struct AzureSandbox {
    shared: Arc<Shared>,
    address: SocketAddr,
    ca_pem: String,
    location: String,
    admin: ServicePrincipalLogin,
    admin_object_id: String,
    trust: Mutex<(Vec<PathBuf>, Vec<String>)>,
    shutdown: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// While held, federated credential writes wait after they have marked their identity busy, so a
/// test can send an overlapping write at leisure; dropping it lets them finish.
#[must_use = "writes resume as soon as this is dropped"]
pub struct CredentialWritesPaused {
    shared: Arc<Shared>,
}

impl Drop for CredentialWritesPaused {
    fn drop(&mut self) {
        self.shared.credential_writes_paused.send_replace(false);
    }
}

impl AzureSandbox {
    /// Starts the server on `127.0.0.1` with a fresh CA. Must run inside a tokio runtime.
    pub async fn start(options: AzureSandboxOptions) -> Result<AzureSandbox, SandboxError> {
        let ca = SandboxCa::new("kwif sandbox Azure CA")?;
        AzureSandbox::start_with_ca(options, &ca).await
    }

    /// Starts the server with a certificate from `ca`, for a sandbox whose servers share one CA.
    pub async fn start_with_ca(
        options: AzureSandboxOptions,
        ca: &SandboxCa,
    ) -> Result<AzureSandbox, SandboxError> {
        let tls = ca.server_config(&["127.0.0.1", "localhost"])?;
        let issuer_client =
            issuer_trust::issuer_client(&options.extra_ca_files, &options.extra_ca_pems)?;
        let signer = access_token::AccessTokenSigner::generate()?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .map_err(SandboxError::Listen)?;
        let address = listener.local_addr().map_err(SandboxError::Listen)?;
        let mut state = AzureState::new(
            options.tenant_id.clone(),
            options.subscription_id.clone(),
            options.timings(),
            options.page_size,
        );
        for resource_group in &options.resource_groups {
            state.add_resource_group(resource_group, &options.location);
        }
        for account in &options.cosmos_accounts {
            state.add_cosmos_account(account.clone());
        }
        state.storage = options.storage_settings();
        state.custom_roles = options
            .custom_roles
            .iter()
            .map(|role| role.clone().completed(&options.subscription_id))
            .collect();
        state.directory = options.directory.clone();
        for account in &options.storage_accounts {
            storage_accounts::insert(&mut state, account.clone());
        }
        let (admin, admin_object_id) = add_administrator(&mut state);
        let shared = Arc::new(Shared::new(
            state,
            options.faults,
            issuer_client,
            signer,
            options.clock,
            format!("https://{address}"),
        ));
        let (shutdown, receiver) = watch::channel(false);
        let task = tokio::spawn(server::serve(
            listener,
            tls,
            shared.clone(),
            receiver,
            options.latency,
        ));
        Ok(AzureSandbox {
            shared,
            address,
            ca_pem: ca.certificate_pem(),
            location: options.location,
            admin,
            admin_object_id,
            trust: Mutex::new((options.extra_ca_files, options.extra_ca_pems)),
            shutdown,
            task: Some(task),
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `https://127.0.0.1:PORT/`, the Resource Manager endpoint.
    pub fn resource_manager_url(&self) -> String {
        format!("https://{}/", self.address)
    }

    /// `https://127.0.0.1:PORT/`, the Entra authority host (same server).
    pub fn authority_host(&self) -> String {
        format!("https://{}/", self.address)
    }

    /// `https://127.0.0.1:PORT/{tenant}/oauth2/v2.0/token`.
    pub fn token_endpoint(&self) -> String {
        format!(
            "https://{}/{}/oauth2/v2.0/token",
            self.address, self.shared.tenant_id
        )
    }

    /// The scope a client asks Entra for to call this Resource Manager: `{endpoint}/.default`.
    pub fn management_scope(&self) -> String {
        format!("https://{}/.default", self.address)
    }

    /// The administrator's client-secret login: a service principal that owns the subscription.
    pub fn admin_login(&self) -> &ServicePrincipalLogin {
        &self.admin
    }

    /// The administrator service principal's object id, the principal of its Owner assignment.
    pub fn admin_principal_id(&self) -> &str {
        &self.admin_object_id
    }

    /// A valid Resource Manager access token for the administrator, minted as the token endpoint
    /// mints one after a client-secret login (lifetime one hour of the sandbox's clock). Empty
    /// only if signing failed, which Resource Manager then refuses like any malformed header.
    pub fn admin_access_token(&self) -> String {
        let principal = Principal {
            client_id: self.admin.client_id.clone(),
            object_id: self.admin_object_id.clone(),
            resource_id: None,
        };
        let resource = format!("https://{}", self.address);
        entra_login::mint(&self.shared, &principal, &resource)
            .ok()
            .and_then(|answer| answer["access_token"].as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// The clock every delay and token lifetime of this sandbox is measured by.
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// Holds federated credential writes after they mark their identity busy, until the guard
    /// is dropped: a deterministic way to make two writes overlap.
    pub fn pause_credential_writes(&self) -> CredentialWritesPaused {
        self.shared.credential_writes_paused.send_replace(true);
        CredentialWritesPaused {
            shared: self.shared.clone(),
        }
    }

    /// How many identities have a federated credential write in progress.
    pub fn credential_writes_in_progress(&self) -> usize {
        self.shared
            .lock_state()
            .identities
            .values()
            .filter(|entry| entry.writing)
            .count()
    }

    /// The PEM of the CA that signed the server certificate.
    pub fn ca_certificate_pem(&self) -> &str {
        &self.ca_pem
    }

    pub fn tenant_id(&self) -> &str {
        &self.shared.tenant_id
    }

    pub fn subscription_id(&self) -> &str {
        &self.shared.subscription_id
    }

    /// The JWKS that verifies the access tokens the token endpoint issues.
    pub fn access_token_jwks(&self) -> Value {
        self.shared.signer.jwks()
    }

    /// Every request answered so far, oldest first. No bodies, headers or tokens.
    pub fn request_log(&self) -> Vec<AzureRequestRecord> {
        self.shared.request_log()
    }

    pub fn clear_request_log(&self) {
        self.shared.clear_request_log();
    }

    /// Replaces the injected faults (the generator restarts from the new seed).
    pub fn set_faults(&self, faults: Faults) {
        self.shared.set_faults(faults);
    }

    /// How long Entra ignores credentials written from now on.
    pub fn set_credential_propagation(&self, propagation: Duration) {
        self.shared.lock_state().timings.credential_propagation = propagation;
    }

    /// How long role assignments created over ARM grant nothing yet, counted from their creation
    /// (so setting it to zero makes every one effective at once).
    pub fn set_role_assignment_propagation(&self, propagation: Duration) {
        self.shared.lock_state().timings.role_assignment_propagation = propagation;
    }

    /// How long principals of identities created from now on stay unknown to role assignments.
    pub fn set_principal_replication_delay(&self, delay: Duration) {
        self.shared.lock_state().timings.principal_replication = delay;
    }

    /// Trusts one more CA when fetching issuers (for a static host started after the sandbox).
    pub fn trust_ca_pem(&self, pem: &str) -> Result<(), SandboxError> {
        let mut trust = self
            .trust
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut pems = trust.1.clone();
        pems.push(pem.to_string());
        let client = issuer_trust::issuer_client(&trust.0, &pems)?;
        self.shared.set_issuer_client(client);
        trust.1 = pems;
        Ok(())
    }

    pub fn identities(&self) -> Vec<UserAssignedIdentity> {
        self.shared.lock_state().identities()
    }

    pub fn identity(&self, resource_group: &str, name: &str) -> Option<UserAssignedIdentity> {
        let path = self.identity_path(resource_group, name);
        self.shared
            .lock_state()
            .identity(&path)
            .map(|entry| entry.identity.clone())
    }

    /// The federated credentials of an identity, in creation order (empty if it does not exist).
    pub fn federated_credentials(
        &self,
        resource_group: &str,
        identity: &str,
    ) -> Vec<FederatedCredential> {
        let path = self.identity_path(resource_group, identity);
        let state = self.shared.lock_state();
        let credentials = state
            .identity(&path)
            .map(|entry| entry.credentials.as_slice())
            .unwrap_or_default();
        credentials
            .iter()
            .map(|entry| entry.credential.clone())
            .collect()
    }

    pub fn role_assignments(&self) -> Vec<RoleAssignment> {
        self.shared.lock_state().role_assignments()
    }

    pub fn cosmos_role_assignments(&self) -> Vec<CosmosRoleAssignment> {
        self.shared
            .lock_state()
            .cosmos_role_assignments(self.shared.clock.now())
    }

    /// Every storage account, provisioned or still being created, by resource group and name.
    pub fn storage_accounts(&self) -> Vec<StorageAccount> {
        self.shared.lock_state().storage_accounts()
    }

    pub fn storage_account(&self, resource_group: &str, name: &str) -> Option<StorageAccount> {
        self.shared
            .lock_state()
            .storage_account(resource_group, name)
            .map(|entry| entry.account.clone())
    }

    /// Sets allowBlobPublicAccess as someone else would in the portal; does nothing when the
    /// account does not exist.
    pub fn set_storage_account_public_access(&self, resource_group: &str, name: &str, allow: bool) {
        if let Some(entry) = self
            .shared
            .lock_state()
            .storage_account_mut(resource_group, name)
        {
            entry.account.allow_blob_public_access = Some(allow);
        }
    }

    /// Adds a resource group in the sandbox's location; returns whether it was new.
    pub fn insert_resource_group(&self, name: &str) -> bool {
        self.shared
            .lock_state()
            .add_resource_group(name, &self.location)
    }

    /// Adds a custom role (an empty id becomes a random GUID, empty assignable scopes the
    /// whole subscription); returns it as stored.
    pub fn insert_custom_role(&self, role: CustomRole) -> CustomRole {
        let role = role.completed(&self.shared.subscription_id);
        self.shared.lock_state().custom_roles.push(role.clone());
        role
    }

    /// The subscription's custom roles, in creation order.
    pub fn custom_roles(&self) -> Vec<CustomRole> {
        self.shared.lock_state().custom_roles.clone()
    }

    /// The Cosmos DB accounts, by resource group and name, with their resource ids.
    pub fn cosmos_accounts(&self) -> Vec<(CosmosAccount, String)> {
        self.shared
            .lock_state()
            .accounts
            .values()
            .map(|entry| (entry.account.clone(), entry.id.clone()))
            .collect()
    }

    /// Adds a Cosmos DB account (and its resource group); returns its resource id.
    pub fn insert_cosmos_account(&self, resource_group: &str, name: &str) -> String {
        let account = CosmosAccount {
            resource_group: resource_group.into(),
            name: name.into(),
            location: self.location.clone(),
        };
        self.shared.lock_state().add_cosmos_account(account)
    }

    /// An identity that existed before the scenario began: its resource group is created if
    /// missing and its principal is already replicated. An existing identity is returned as is.
    pub fn insert_identity(
        &self,
        resource_group: &str,
        name: &str,
    ) -> Result<UserAssignedIdentity, SandboxError> {
        identities::check_name(name).map_err(rejected)?;
        let mut state = self.shared.lock_state();
        state.add_resource_group(resource_group, &self.location);
        if let Some(entry) = state.identity(&self.identity_path(resource_group, name)) {
            return Ok(entry.identity.clone());
        }
        let resource_group = state
            .resource_group(resource_group)
            .map_or(resource_group.to_string(), |entry| entry.name.clone());
        Ok(identities::create(
            &mut state,
            &resource_group,
            name,
            &self.location,
            Default::default(),
            self.shared.clock.now(),
        ))
    }

    /// Creates or replaces a federated credential under ARM's rules (name, one audience,
    /// unique issuer+subject, at most 20), already in use by Entra.
    pub fn insert_federated_credential(
        &self,
        resource_group: &str,
        identity: &str,
        name: &str,
        issuer: &str,
        subject: &str,
        audience: &str,
    ) -> Result<FederatedCredential, SandboxError> {
        let path = self.identity_path(resource_group, identity);
        let body = json!({ "properties": { "issuer": issuer, "subject": subject, "audiences": [audience] } });
        let Value::Object(body) = body else {
            return Err(rejected(ArmError::invalid_request_content("not an object")));
        };
        let mut state = self.shared.lock_state();
        let now = self.shared.clock.now();
        federated_credentials::put(&mut state, &path, name, &body, now)
            .map(|(_, credential)| credential)
            .map_err(rejected)
    }

    /// A role assignment that existed before the scenario began, under a random name; it grants
    /// its role at once, whatever the propagation time.
    pub fn insert_role_assignment(
        &self,
        scope: &str,
        role_definition_id: &str,
        principal_id: &str,
    ) -> RoleAssignment {
        let scope = arm_path::normalise_scope(scope);
        let name = randomness::uid();
        let mut state = self.shared.lock_state();
        let principal_type = match state.is_service_principal(principal_id) {
            true => "ServicePrincipal",
            false => "User",
        };
        let assignment = RoleAssignment {
            id: format!(
                "{}/providers/Microsoft.Authorization/roleAssignments/{name}",
                scope.trim_end_matches('/')
            ),
            name,
            scope,
            role_definition_id: role_definition_id.to_string(),
            principal_id: principal_id.to_string(),
            principal_type: principal_type.to_string(),
        };
        state.add_role_assignment(assignment.clone(), None);
        assignment
    }

    fn identity_path(&self, resource_group: &str, name: &str) -> IdentityPath {
        IdentityPath {
            subscription: self.shared.subscription_id.clone(),
            resource_group: resource_group.to_string(),
            name: name.to_string(),
        }
    }

    /// Stops the server now (dropping the sandbox does the same).
    pub fn shutdown(self) {}

    /// Stops accepting and waits until the listener is closed; open connections end too.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            // The accept loop returns on the signal; a panic in it is not the caller's concern.
            let _ = task.await;
        }
    }
}

/// The administrator: an application's service principal with a random client id and secret,
/// Owner of the subscription since before the scenario began.
fn add_administrator(state: &mut AzureState) -> (ServicePrincipalLogin, String) {
    use base64::Engine as _;
    let secret =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(randomness::random_bytes::<30>());
    let login = ServicePrincipalLogin {
        tenant_id: state.tenant_id.clone(),
        client_id: randomness::uid(),
        client_secret: secret,
    };
    let object_id = randomness::uid();
    state.applications.push(ApplicationEntry {
        client_id: login.client_id.clone(),
        object_id: object_id.clone(),
        secret_sha256: Sha256::digest(login.client_secret.as_bytes()).into(),
    });
    let scope = format!("/subscriptions/{}", state.subscription_id);
    let name = randomness::uid();
    let owner = RoleAssignment {
        id: format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"),
        name,
        role_definition_id: format!(
            "{scope}/providers/Microsoft.Authorization/roleDefinitions/{}",
            role_definitions::OWNER_ROLE_ID
        ),
        scope,
        principal_id: object_id.clone(),
        principal_type: "ServicePrincipal".to_string(),
    };
    state.add_role_assignment(owner, None);
    (login, object_id)
}

fn rejected(error: ArmError) -> SandboxError {
    SandboxError::Rejected {
        code: error.status,
        message: error.message,
    }
}

/// Shows the whole state; storage account keys are redacted.
impl fmt::Debug for AzureSandbox {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("AzureSandbox")
            .field("address", &self.address)
            .field("state", &*self.shared.lock_state())
            .finish_non_exhaustive()
    }
}

impl Drop for AzureSandbox {
    fn drop(&mut self) {
        // No receiver left means the server already stopped.
        let _ = self.shutdown.send(true);
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}
