//! The identities workloads authenticate as — a user-assigned managed identity or an app
//! registration, each with its roles and the ids kwif resolved — and how kwif.yaml names them
//! (`identity:` for one, `identities:` for several). Types only: the rules are in validate/.

use uuid::Uuid;

use super::choice::IdentityKind;
use super::names::IdentityName;
use super::{CosmosAccountId, Profile, RoleName, RoleScope, Workload};

/// One identity of the profile and what it may do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// Unique in the profile: the managed identity's name in the resource group, or the app
    /// registration's display name.
    pub name: IdentityName,
    pub kind: IdentityKind,
    pub roles: Vec<RoleAssignment>,
    /// Resolved state: the client id once created or found (written back by kwif); for an app
    /// registration its `appId`.
    pub client_id: Option<Uuid>,
    /// Resolved state: the service principal's object id (for role assignments).
    pub principal_id: Option<Uuid>,
}

impl Identity {
    /// A managed identity named `name`, without roles or resolved ids.
    pub fn managed(name: IdentityName) -> Identity {
        Identity {
            name,
            kind: IdentityKind::ManagedIdentity,
            roles: Vec::new(),
            client_id: None,
            principal_id: None,
        }
    }

    /// `managed identity id-web` or `app registration id-web`, as messages name it.
    pub fn describe(&self) -> String {
        format!("{} {}", self.kind.noun(), self.name)
    }
}

/// One role an identity receives.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RoleAssignment {
    /// An Azure RBAC role on a scope.
    Azure { role: RoleName, scope: RoleScope },
    /// A Cosmos DB data-plane role on an account (not assignable in the portal).
    CosmosData {
        role: RoleName,
        account: CosmosAccountId,
    },
}

impl Profile {
    /// The identity named `name`.
    pub fn identity(&self, name: &str) -> Option<&Identity> {
        self.identities
            .iter()
            .find(|identity| identity.name.as_str() == name)
    }

    /// The identity `workload`'s pods authenticate as (every workload of a validated profile has one).
    pub fn identity_of(&self, workload: &Workload) -> Option<&Identity> {
        self.identity(workload.identity.as_str())
    }

    /// The workloads whose pods authenticate as `identity`, in profile order.
    pub fn workloads_of<'a>(
        &'a self,
        identity: &'a Identity,
    ) -> impl Iterator<Item = &'a Workload> {
        self.workloads
            .iter()
            .filter(move |workload| workload.identity == identity.name)
    }

    /// Whether an identity is an app registration, which kwif manages through Microsoft Graph.
    pub fn needs_graph(&self) -> bool {
        self.identities
            .iter()
            .any(|identity| identity.kind == IdentityKind::Application)
    }

    /// The kwif.yaml path of the identity at `index`: `identity` when the profile has one (as
    /// kwif writes it), `identities[index]` when it has several.
    pub fn identity_field(&self, index: usize) -> String {
        identity_field(self.identities.len(), index)
    }
}

/// The kwif.yaml path of identity `index` of `count`: one identity is written as `identity:`.
pub(super) fn identity_field(count: usize, index: usize) -> String {
    match count {
        1 => "identity".to_string(),
        _ => format!("identities[{index}]"),
    }
}
