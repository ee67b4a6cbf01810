//! What sandbox Azure holds: resource groups, identities with their federated credentials, role
//! assignments, Cosmos DB and storage accounts, plus the timings that make ARM and Entra
//! eventually consistent. Plain data behind one lock; the HTTP handlers live in their own modules.
//! Debug output never shows a storage account key.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Map, Value};

use super::arm_path::{AccountPath, IdentityPath};
use crate::randomness;

/// A user-assigned managed identity as ARM returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserAssignedIdentity {
    /// `/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}`
    /// (lower-case `resourcegroups`, as the managed identity provider writes it).
    pub id: String,
    pub resource_group: String,
    pub name: String,
    pub location: String,
    pub tags: Map<String, Value>,
    /// `AZURE_CLIENT_ID` of the workload.
    pub client_id: String,
    /// The service principal's object id, the one role assignments name.
    pub principal_id: String,
    pub tenant_id: String,
    /// `None` or `Regional` (2024-11-30 only).
    pub isolation_scope: String,
}

/// A federated identity credential of a user-assigned identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FederatedCredential {
    pub id: String,
    pub name: String,
    pub issuer: String,
    pub subject: String,
    pub audiences: Vec<String>,
}

/// An Azure RBAC role assignment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleAssignment {
    pub id: String,
    /// A GUID.
    pub name: String,
    /// With a leading slash, casing as first sent.
    pub scope: String,
    pub role_definition_id: String,
    pub principal_id: String,
    pub principal_type: String,
}

/// A Cosmos DB data-plane (SQL) role assignment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CosmosRoleAssignment {
    pub id: String,
    pub name: String,
    /// The database account's resource id.
    pub account_id: String,
    pub role_definition_id: String,
    pub scope: String,
    pub principal_id: String,
    /// Whether the long-running create has finished (a GET finds it).
    pub provisioned: bool,
}

/// A custom Azure RBAC role definition of the subscription (built-in roles are fixed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomRole {
    /// The definition's GUID, its `name`; empty for a random one.
    pub id: String,
    /// `properties.roleName`, what `$filter=roleName eq '…'` finds.
    pub role_name: String,
    pub description: String,
    /// Where it may be assigned: the subscription, resource groups or resources in it; empty
    /// for the whole subscription.
    pub assignable_scopes: Vec<String>,
    pub actions: Vec<String>,
    pub data_actions: Vec<String>,
}

impl CustomRole {
    /// A role with these permissions, assignable in the whole subscription, with a random GUID.
    pub fn new(
        role_name: &str,
        description: &str,
        actions: &[&str],
        data_actions: &[&str],
    ) -> CustomRole {
        let text = |items: &[&str]| items.iter().map(std::string::ToString::to_string).collect();
        CustomRole {
            id: String::new(),
            role_name: role_name.to_string(),
            description: description.to_string(),
            assignable_scopes: Vec::new(),
            actions: text(actions),
            data_actions: text(data_actions),
        }
    }

    /// The role as stored: a GUID and assignable scopes filled in when left empty.
    pub(super) fn completed(mut self, subscription: &str) -> CustomRole {
        if self.id.is_empty() {
            self.id = randomness::uid();
        }
        if self.assignable_scopes.is_empty() {
            self.assignable_scopes = vec![format!("/subscriptions/{subscription}")];
        }
        self
    }
}

/// A Cosmos DB database account to seed (the sandbox does not create accounts over ARM).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CosmosAccount {
    pub resource_group: String,
    pub name: String,
    pub location: String,
}

/// A storage account as ARM describes it. Its keys stay inside the sandbox (`listKeys`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageAccount {
    pub name: String,
    pub resource_group: String,
    pub location: String,
    /// `sku.name`, such as `Standard_LRS`.
    pub sku: String,
    /// `StorageV2`, `Storage`, `BlobStorage`, `BlockBlobStorage` or `FileStorage`.
    pub kind: String,
    pub allow_blob_public_access: Option<bool>,
    /// `None` (not set) means shared keys are allowed.
    pub allow_shared_key_access: Option<bool>,
    pub minimum_tls_version: String,
    pub supports_https_traffic_only: bool,
    /// `Creating` until its create operation finishes, then `Succeeded`.
    pub provisioning_state: String,
}

impl StorageAccount {
    /// An account that existed before the scenario began: StorageV2, Standard_LRS, with the
    /// defaults a 2025-06-01 create gives (TLS 1.2, HTTPS only, shared keys not set).
    pub fn existing(
        resource_group: &str,
        name: &str,
        location: &str,
        allow_blob_public_access: bool,
    ) -> StorageAccount {
        StorageAccount {
            name: name.to_string(),
            resource_group: resource_group.to_string(),
            location: location.to_string(),
            sku: "Standard_LRS".to_string(),
            kind: "StorageV2".to_string(),
            allow_blob_public_access: Some(allow_blob_public_access),
            allow_shared_key_access: None,
            minimum_tls_version: "TLS1_2".to_string(),
            supports_https_traffic_only: true,
            provisioning_state: "Succeeded".to_string(),
        }
    }
}

/// Where the blob data plane of every storage account lives, and its account key; default:
/// `https://{account}.blob.core.windows.net/`, `https://{account}.z6.web.core.windows.net/`,
/// random keys.
#[derive(Clone, PartialEq, Eq)]
pub struct StorageDataPlane {
    /// `primaryEndpoints.blob`, with `{account}` standing for the account name.
    pub blob_endpoint: String,
    /// `primaryEndpoints.web`, likewise.
    pub web_endpoint: String,
    /// key1 of every account, base64.
    pub key: String,
}

/// Endpoint templates of Azure's public cloud (the `z6` web zone is one of several Azure picks).
pub const DEFAULT_BLOB_ENDPOINT: &str = "https://{account}.blob.core.windows.net/";
pub const DEFAULT_WEB_ENDPOINT: &str = "https://{account}.z6.web.core.windows.net/";

impl Default for StorageDataPlane {
    fn default() -> StorageDataPlane {
        StorageDataPlane {
            blob_endpoint: DEFAULT_BLOB_ENDPOINT.to_string(),
            web_endpoint: DEFAULT_WEB_ENDPOINT.to_string(),
            key: StorageKeys::random_key(),
        }
    }
}

impl fmt::Debug for StorageDataPlane {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("StorageDataPlane")
            .field("blob_endpoint", &self.blob_endpoint)
            .field("web_endpoint", &self.web_endpoint)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// key1 and key2 of a storage account, base64 of 64 bytes as Azure's are. Debug redacts them.
#[derive(Clone, PartialEq, Eq)]
pub struct StorageKeys {
    pub key1: String,
    pub key2: String,
}

impl StorageKeys {
    /// key1 from the data plane when one is configured, everything else random.
    pub fn new(data_plane: Option<&StorageDataPlane>) -> StorageKeys {
        StorageKeys {
            key1: data_plane.map_or_else(StorageKeys::random_key, |plane| plane.key.clone()),
            key2: StorageKeys::random_key(),
        }
    }

    pub fn random_key() -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(randomness::random_bytes::<64>())
    }
}

impl fmt::Debug for StorageKeys {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("StorageKeys(<redacted>)")
    }
}

/// How the sandbox's Microsoft.Storage behaves.
#[derive(Debug, Default)]
pub struct StorageSettings {
    /// Endpoints and key1 of every account; `None` for Azure's endpoints and random keys.
    pub data_plane: Option<StorageDataPlane>,
    /// Polls of a create's `Location` that still answer 202.
    pub provisioning_polls: u32,
    /// Names taken in other subscriptions, lower-cased.
    pub taken_names: Vec<String>,
}

/// How long the eventually consistent parts of Azure take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timings {
    /// A new identity's principal is unknown to role assignments (`PrincipalNotFound`) this long.
    pub principal_replication: Duration,
    /// A new or changed federated credential is not used by Entra (AADSTS70021) this long.
    pub credential_propagation: Duration,
    /// How long a federated credential write keeps its identity busy (409 for overlapping writes).
    pub credential_write_hold: Duration,
    /// How long a Cosmos DB role assignment stays invisible unless its operation is polled.
    pub cosmos_provisioning: Duration,
    /// How long a new role assignment grants nothing (the permissions list leaves it out).
    pub role_assignment_propagation: Duration,
}

/// A service principal of an application registration that signs in with a client secret, such
/// as the administrator's (the sandbox keeps a hash of the secret, never the secret).
#[derive(Clone)]
pub(super) struct ApplicationEntry {
    /// The application (client) id.
    pub client_id: String,
    /// The service principal's object id, the `oid` of its tokens and the principal of its roles.
    pub object_id: String,
    pub secret_sha256: [u8; 32],
}

impl fmt::Debug for ApplicationEntry {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("ApplicationEntry")
            .field("client_id", &self.client_id)
            .field("object_id", &self.object_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
pub(super) struct ResourceGroupEntry {
    pub name: String,
    pub location: String,
}

#[derive(Debug)]
pub(super) struct IdentityEntry {
    pub identity: UserAssignedIdentity,
    /// Role assignments find the principal from then on.
    pub replicated_at: Instant,
    pub credentials: Vec<CredentialEntry>,
    /// A federated credential write is in progress.
    pub writing: bool,
}

#[derive(Clone, Debug)]
pub(super) struct CredentialEntry {
    pub credential: FederatedCredential,
    /// Entra uses the credential from then on.
    pub effective_at: Instant,
}

#[derive(Debug)]
pub(super) struct AccountEntry {
    pub account: CosmosAccount,
    pub id: String,
    pub assignments: Vec<CosmosEntry>,
}

#[derive(Debug)]
pub(super) struct CosmosEntry {
    pub assignment: CosmosRoleAssignment,
    pub visible_at: Instant,
    pub operation: String,
    pub polled: bool,
    /// Why the long-running create failed (the error message of its operation); a failed
    /// assignment never becomes visible.
    pub failure: Option<String>,
}

/// A storage account with what ARM echoes back and what only the sandbox knows.
#[derive(Debug)]
pub(super) struct StorageEntry {
    pub account: StorageAccount,
    pub id: String,
    pub tags: Map<String, Value>,
    /// As created; it cannot change afterwards.
    pub extended_location: Option<Value>,
    /// `accessTier` as last sent.
    pub access_tier: Option<String>,
    /// `encryption` and `networkAcls` as last sent; defaults fill in what they leave out.
    pub encryption: Option<Value>,
    pub network_acls: Option<Value>,
    /// Other writable `properties` as last sent, echoed back as the provider does.
    pub settings: Map<String, Value>,
    pub created_at: SystemTime,
    pub keys: StorageKeys,
    /// The id of the create operation and how many of its polls still answer 202.
    pub operation: String,
    pub polls_remaining: u32,
}

impl CosmosEntry {
    pub fn visible(&self, now: Instant) -> bool {
        self.failure.is_none() && (self.polled || now >= self.visible_at)
    }
}

/// Everything behind the sandbox's lock. Map keys are lower-cased: ARM names are case-insensitive.
#[derive(Debug)]
pub struct AzureState {
    pub tenant_id: String,
    pub subscription_id: String,
    pub timings: Timings,
    /// Items per page of a list before ARM adds a `nextLink`.
    pub page_size: usize,
    pub(super) resource_groups: BTreeMap<String, ResourceGroupEntry>,
    pub(super) identities: BTreeMap<(String, String), IdentityEntry>,
    /// Principals of deleted identities: the directory no longer knows them.
    pub(super) deleted_principals: Vec<String>,
    pub(super) role_assignments: Vec<RoleAssignment>,
    /// When each role assignment starts to grant its role, by lower-cased assignment id.
    /// When each role assignment was created; `None`: it existed before the scenario began.
    pub(super) role_assignments_created_at: BTreeMap<String, Option<Instant>>,
    pub(super) accounts: BTreeMap<(String, String), AccountEntry>,
    pub(super) storage_accounts: BTreeMap<(String, String), StorageEntry>,
    pub storage: StorageSettings,
    /// Service principals that sign in with a client secret.
    pub(super) applications: Vec<ApplicationEntry>,
    /// Custom role definitions, in creation order.
    pub(super) custom_roles: Vec<CustomRole>,
    /// How Subscriptions_List and Tenants_List name the subscription and its tenant.
    pub directory: DirectoryNames,
}

/// The display names of the sandbox's subscription and tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryNames {
    pub subscription: String,
    pub tenant: String,
    /// The tenant's default (and only) domain.
    pub tenant_domain: String,
}

impl Default for DirectoryNames {
    fn default() -> DirectoryNames {
        DirectoryNames {
            subscription: "kwif sandbox".to_string(),
            tenant: "kwif sandbox".to_string(),
            tenant_domain: "kwifsandbox.onmicrosoft.com".to_string(),
        }
    }
}

pub(super) fn key(resource_group: &str, name: &str) -> (String, String) {
    (
        resource_group.to_ascii_lowercase(),
        name.to_ascii_lowercase(),
    )
}

impl AzureState {
    pub fn new(
        tenant_id: String,
        subscription_id: String,
        timings: Timings,
        page_size: usize,
    ) -> AzureState {
        AzureState {
            tenant_id,
            subscription_id,
            timings,
            page_size: page_size.max(1),
            resource_groups: BTreeMap::new(),
            identities: BTreeMap::new(),
            deleted_principals: Vec::new(),
            role_assignments: Vec::new(),
            role_assignments_created_at: BTreeMap::new(),
            accounts: BTreeMap::new(),
            storage_accounts: BTreeMap::new(),
            storage: StorageSettings::default(),
            applications: Vec::new(),
            custom_roles: Vec::new(),
            directory: DirectoryNames::default(),
        }
    }

    pub(super) fn application(&self, client_id: &str) -> Option<&ApplicationEntry> {
        self.applications
            .iter()
            .find(|entry| entry.client_id.eq_ignore_ascii_case(client_id))
    }

    /// Whether the directory knows `principal_id` as a service principal (an identity's or an
    /// application's).
    pub(super) fn is_service_principal(&self, principal_id: &str) -> bool {
        self.identity_by_principal(principal_id).is_some()
            || self
                .applications
                .iter()
                .any(|entry| entry.object_id.eq_ignore_ascii_case(principal_id))
    }

    pub fn is_subscription(&self, subscription: &str) -> bool {
        self.subscription_id.eq_ignore_ascii_case(subscription)
    }

    pub(super) fn resource_group(&self, name: &str) -> Option<&ResourceGroupEntry> {
        self.resource_groups.get(&name.to_ascii_lowercase())
    }

    /// Adds a resource group unless one of that name exists; returns whether it was added.
    pub fn add_resource_group(&mut self, name: &str, location: &str) -> bool {
        let key = name.to_ascii_lowercase();
        if self.resource_groups.contains_key(&key) {
            return false;
        }
        self.resource_groups.insert(
            key,
            ResourceGroupEntry {
                name: name.to_string(),
                location: location.to_string(),
            },
        );
        true
    }

    pub(super) fn identity(&self, path: &IdentityPath) -> Option<&IdentityEntry> {
        self.identities.get(&key(&path.resource_group, &path.name))
    }

    pub(super) fn identity_mut(&mut self, path: &IdentityPath) -> Option<&mut IdentityEntry> {
        self.identities
            .get_mut(&key(&path.resource_group, &path.name))
    }

    pub(super) fn identity_by_client_id(&self, client_id: &str) -> Option<&IdentityEntry> {
        self.identities
            .values()
            .find(|entry| entry.identity.client_id.eq_ignore_ascii_case(client_id))
    }

    /// Whether the directory does not (yet, or any more) know this principal: an identity
    /// whose principal is still replicating, or one that was deleted. Principals the sandbox
    /// did not create are taken as existing users or groups.
    pub(super) fn principal_unknown(&self, principal_id: &str, now: Instant) -> bool {
        match self.identity_by_principal(principal_id) {
            Some(entry) => now < entry.replicated_at,
            None => self
                .deleted_principals
                .iter()
                .any(|deleted| deleted.eq_ignore_ascii_case(principal_id)),
        }
    }

    pub(super) fn identity_by_principal(&self, principal_id: &str) -> Option<&IdentityEntry> {
        self.identities.values().find(|entry| {
            entry
                .identity
                .principal_id
                .eq_ignore_ascii_case(principal_id)
        })
    }

    pub(super) fn account(&self, path: &AccountPath) -> Option<&AccountEntry> {
        self.accounts.get(&key(&path.resource_group, &path.name))
    }

    pub(super) fn account_mut(&mut self, path: &AccountPath) -> Option<&mut AccountEntry> {
        self.accounts
            .get_mut(&key(&path.resource_group, &path.name))
    }

    pub fn add_cosmos_account(&mut self, account: CosmosAccount) -> String {
        self.add_resource_group(&account.resource_group, &account.location);
        let id = format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.DocumentDB/databaseAccounts/{}",
            self.subscription_id, account.resource_group, account.name
        );
        let key = key(&account.resource_group, &account.name);
        self.accounts.entry(key).or_insert(AccountEntry {
            account,
            id: id.clone(),
            assignments: Vec::new(),
        });
        id
    }

    pub(super) fn storage_account(
        &self,
        resource_group: &str,
        name: &str,
    ) -> Option<&StorageEntry> {
        self.storage_accounts.get(&key(resource_group, name))
    }

    pub(super) fn storage_account_mut(
        &mut self,
        resource_group: &str,
        name: &str,
    ) -> Option<&mut StorageEntry> {
        self.storage_accounts.get_mut(&key(resource_group, name))
    }

    pub fn storage_accounts(&self) -> Vec<StorageAccount> {
        self.storage_accounts
            .values()
            .map(|entry| entry.account.clone())
            .collect()
    }

    pub fn identities(&self) -> Vec<UserAssignedIdentity> {
        self.identities
            .values()
            .map(|entry| entry.identity.clone())
            .collect()
    }

    pub fn role_assignments(&self) -> Vec<RoleAssignment> {
        self.role_assignments.clone()
    }

    /// Adds an assignment created at `created`; `None`: it existed before the scenario began and
    /// grants its role already.
    pub(super) fn add_role_assignment(
        &mut self,
        assignment: RoleAssignment,
        created: Option<Instant>,
    ) {
        self.role_assignments_created_at
            .insert(assignment.id.to_ascii_lowercase(), created);
        self.role_assignments.push(assignment);
    }

    /// Removes the assignment at `index` with its creation time, so a name deleted and created
    /// again propagates afresh.
    pub(super) fn remove_role_assignment(&mut self, index: usize) -> RoleAssignment {
        let assignment = self.role_assignments.remove(index);
        self.role_assignments_created_at
            .remove(&assignment.id.to_ascii_lowercase());
        assignment
    }

    /// Whether the role assignment grants its role by `now`: the propagation time (as it is set
    /// now) has passed since it was created; unstamped and pre-existing ones do.
    pub(super) fn role_assignment_effective(
        &self,
        assignment: &RoleAssignment,
        now: Instant,
    ) -> bool {
        match self
            .role_assignments_created_at
            .get(&assignment.id.to_ascii_lowercase())
        {
            Some(Some(created)) => *created + self.timings.role_assignment_propagation <= now,
            _ => true,
        }
    }

    pub fn cosmos_role_assignments(&self, now: Instant) -> Vec<CosmosRoleAssignment> {
        let entries = self
            .accounts
            .values()
            .flat_map(|account| account.assignments.iter());
        entries
            .filter(|entry| entry.failure.is_none())
            .map(|entry| CosmosRoleAssignment {
                provisioned: entry.visible(now),
                ..entry.assignment.clone()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_a_storage_key() {
        let plane = StorageDataPlane::default();
        let keys = StorageKeys::new(Some(&plane));
        assert_eq!(keys.key1, plane.key);
        assert_ne!(keys.key2, plane.key);
        let shown = format!("{plane:?} {keys:?}");
        assert!(!shown.contains(&plane.key), "{shown}");
        assert!(!shown.contains(&keys.key2), "{shown}");
    }

    #[test]
    fn a_new_role_assignment_grants_its_role_after_the_propagation_time() {
        let timings = Timings {
            principal_replication: Duration::ZERO,
            credential_propagation: Duration::ZERO,
            credential_write_hold: Duration::ZERO,
            cosmos_provisioning: Duration::ZERO,
            role_assignment_propagation: Duration::from_secs(60),
        };
        let mut state = AzureState::new("t".into(), "s".into(), timings, 10);
        let assignment = RoleAssignment {
            id: "/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/A".into(),
            name: "A".into(),
            scope: "/subscriptions/s".into(),
            role_definition_id: String::new(),
            principal_id: "p".into(),
            principal_type: "User".into(),
        };
        let start = Instant::now();
        state.add_role_assignment(assignment.clone(), Some(start));
        assert!(!state.role_assignment_effective(&assignment, start + Duration::from_secs(59)));
        assert!(state.role_assignment_effective(&assignment, start + Duration::from_secs(60)));
        state.remove_role_assignment(0);
        state.add_role_assignment(assignment.clone(), Some(start + Duration::from_secs(62)));
        assert!(
            !state.role_assignment_effective(&assignment, start + Duration::from_secs(100)),
            "created again, it propagates afresh"
        );
    }

    #[test]
    fn keys_are_base64_of_64_bytes() {
        use base64::Engine as _;
        let keys = StorageKeys::new(None);
        for key in [&keys.key1, &keys.key2] {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(key)
                .unwrap();
            assert_eq!(bytes.len(), 64);
        }
        assert_ne!(keys.key1, keys.key2);
    }
}
