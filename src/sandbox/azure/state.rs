//! What sandbox Azure holds: resource groups, identities with their federated credentials, role
//! assignments and Cosmos DB accounts, plus the timings that make ARM and Entra eventually
//! consistent. Plain data behind one lock; the HTTP handlers live in their own modules.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::arm_path::{AccountPath, IdentityPath};

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

/// A Cosmos DB database account to seed (the sandbox does not create accounts over ARM).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CosmosAccount {
    pub resource_group: String,
    pub name: String,
    pub location: String,
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
}

pub(super) struct ResourceGroupEntry {
    pub name: String,
    pub location: String,
}

pub(super) struct IdentityEntry {
    pub identity: UserAssignedIdentity,
    /// Role assignments find the principal from then on.
    pub replicated_at: Instant,
    pub credentials: Vec<CredentialEntry>,
    /// A federated credential write is in progress.
    pub writing: bool,
}

#[derive(Clone)]
pub(super) struct CredentialEntry {
    pub credential: FederatedCredential,
    /// Entra uses the credential from then on.
    pub effective_at: Instant,
}

pub(super) struct AccountEntry {
    pub account: CosmosAccount,
    pub id: String,
    pub assignments: Vec<CosmosEntry>,
}

pub(super) struct CosmosEntry {
    pub assignment: CosmosRoleAssignment,
    pub visible_at: Instant,
    pub operation: String,
    pub polled: bool,
}

impl CosmosEntry {
    pub fn visible(&self, now: Instant) -> bool {
        self.polled || now >= self.visible_at
    }
}

/// Everything behind the sandbox's lock. Map keys are lower-cased: ARM names are case-insensitive.
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
    pub(super) accounts: BTreeMap<(String, String), AccountEntry>,
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
            accounts: BTreeMap::new(),
        }
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

    pub fn identities(&self) -> Vec<UserAssignedIdentity> {
        self.identities
            .values()
            .map(|entry| entry.identity.clone())
            .collect()
    }

    pub fn role_assignments(&self) -> Vec<RoleAssignment> {
        self.role_assignments.clone()
    }

    pub fn cosmos_role_assignments(&self, now: Instant) -> Vec<CosmosRoleAssignment> {
        let entries = self
            .accounts
            .values()
            .flat_map(|account| account.assignments.iter());
        entries
            .map(|entry| CosmosRoleAssignment {
                provisioned: entry.visible(now),
                ..entry.assignment.clone()
            })
            .collect()
    }
}
