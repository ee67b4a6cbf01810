//! What the stand-in's Graph holds: applications with their owners and federated credentials,
//! service principals, the application permissions granted to each principal, and when each new
//! object becomes visible — Graph's replication delay, measured by the sandbox's clock. Plain data
//! behind one lock; the HTTP handlers live beside it.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant, SystemTime};

use crate::azure::state::AzureState;

/// Graph's application permissions the stand-in knows (Microsoft Graph permissions reference).
pub const READ_WRITE_ALL: &str = "Application.ReadWrite.All";
pub const READ_WRITE_OWNED_BY: &str = "Application.ReadWrite.OwnedBy";
pub const READ_ALL: &str = "Application.Read.All";

/// How long a new application or service principal stays invisible to reads by default: long
/// enough for a client's 404 retry to show, short enough for a demo.
pub const DEFAULT_REPLICATION_DELAY: Duration = Duration::from_secs(2);

/// An application object (app registration) as Graph returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphApplication {
    /// The object id.
    pub id: String,
    /// The application (client) id.
    pub app_id: String,
    pub display_name: String,
    /// Set only through the upsert by `uniqueName`.
    pub unique_name: Option<String>,
    pub sign_in_audience: String,
    pub tags: Vec<String>,
    pub notes: Option<String>,
    pub created: SystemTime,
    pub federated_credentials: Vec<GraphFederatedCredential>,
}

/// A federated identity credential of an application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphFederatedCredential {
    pub id: String,
    pub name: String,
    pub issuer: String,
    pub subject: String,
    pub audiences: Vec<String>,
    pub description: Option<String>,
}

/// The service principal of an application in the tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphServicePrincipal {
    pub id: String,
    pub app_id: String,
    pub display_name: String,
    pub tags: Vec<String>,
}

#[derive(Debug)]
pub(super) struct ApplicationEntry {
    pub application: GraphApplication,
    /// Principals (object ids, lower-cased) that own it: its creator.
    pub owners: BTreeSet<String>,
    pub visible_at: Instant,
    /// When Entra starts using each credential, by credential id.
    pub effective_at: BTreeMap<String, Instant>,
}

#[derive(Debug)]
pub(super) struct PrincipalEntry {
    pub principal: GraphServicePrincipal,
    pub visible_at: Instant,
}

/// The directory's applications and service principals.
#[derive(Debug)]
pub struct Directory {
    pub(super) applications: Vec<ApplicationEntry>,
    pub(super) principals: Vec<PrincipalEntry>,
    /// Application permissions by principal object id (lower-cased).
    pub(super) grants: BTreeMap<String, BTreeSet<String>>,
    pub(super) replication_delay: Duration,
}

/// What a caller may do with applications, from the permissions granted to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Access {
    /// Application.ReadWrite.All: every application.
    All,
    /// Application.Read.All, perhaps with OwnedBy: read every application, write owned ones.
    ReadAll {
        write_owned: bool,
    },
    /// Application.ReadWrite.OwnedBy: create applications, read and write those it owns.
    OwnedBy,
    None,
}

impl Access {
    pub(super) fn can_read(self, owned: bool) -> bool {
        match self {
            Access::All | Access::ReadAll { .. } => true,
            Access::OwnedBy => owned,
            Access::None => false,
        }
    }

    pub(super) fn can_write(self, owned: bool) -> bool {
        match self {
            Access::All => true,
            Access::ReadAll { write_owned } => write_owned && owned,
            Access::OwnedBy => owned,
            Access::None => false,
        }
    }

    pub(super) fn can_create(self) -> bool {
        matches!(
            self,
            Access::All | Access::OwnedBy | Access::ReadAll { write_owned: true }
        )
    }

    /// Any read at all (lists answer 403 without one).
    pub(super) fn reads_anything(self) -> bool {
        self != Access::None
    }
}

impl Directory {
    /// Empty, with the service principals that sign in with a secret at start (the
    /// administrator) holding Application.ReadWrite.OwnedBy, as `azwi` asks of its caller.
    pub fn new(state: &AzureState) -> Directory {
        let grants = state
            .applications
            .iter()
            .map(|entry| {
                (
                    entry.object_id.to_ascii_lowercase(),
                    BTreeSet::from([READ_WRITE_OWNED_BY.to_string()]),
                )
            })
            .collect();
        Directory {
            applications: Vec::new(),
            principals: Vec::new(),
            grants,
            replication_delay: DEFAULT_REPLICATION_DELAY,
        }
    }

    pub(super) fn access(&self, caller: &str) -> Access {
        let granted = self.grants.get(&caller.to_ascii_lowercase());
        let has = |permission: &str| granted.is_some_and(|set| set.contains(permission));
        if has(READ_WRITE_ALL) {
            Access::All
        } else if has(READ_ALL) {
            Access::ReadAll {
                write_owned: has(READ_WRITE_OWNED_BY),
            }
        } else if has(READ_WRITE_OWNED_BY) {
            Access::OwnedBy
        } else {
            Access::None
        }
    }

    /// The application an id, `appId` or `uniqueName` names, visible at `now`.
    pub(super) fn application_index(&self, key: &ApplicationKey, now: Instant) -> Option<usize> {
        self.applications.iter().position(|entry| {
            entry.visible_at <= now
                && match key {
                    ApplicationKey::Id(id) => entry.application.id.eq_ignore_ascii_case(id),
                    ApplicationKey::AppId(app_id) => {
                        entry.application.app_id.eq_ignore_ascii_case(app_id)
                    }
                    ApplicationKey::UniqueName(name) => {
                        entry.application.unique_name.as_deref() == Some(name.as_str())
                    }
                }
        })
    }

    /// The service principal of `app_id`, visible at `now`.
    pub(super) fn principal_of(&self, app_id: &str, now: Instant) -> Option<&PrincipalEntry> {
        self.principals.iter().find(|entry| {
            entry.visible_at <= now && entry.principal.app_id.eq_ignore_ascii_case(app_id)
        })
    }

    /// Whether `caller` owns the application `app_id`.
    pub(super) fn owns(&self, caller: &str, app_id: &str) -> bool {
        self.applications.iter().any(|entry| {
            entry.application.app_id.eq_ignore_ascii_case(app_id)
                && entry.owners.contains(&caller.to_ascii_lowercase())
        })
    }
}

/// How a request addresses an application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum ApplicationKey {
    Id(String),
    AppId(String),
    UniqueName(String),
}

impl ApplicationKey {
    pub(super) fn text(&self) -> &str {
        match self {
            ApplicationKey::Id(text)
            | ApplicationKey::AppId(text)
            | ApplicationKey::UniqueName(text) => text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_decide_what_a_caller_reads_and_writes() {
        assert!(Access::All.can_write(false));
        assert!(Access::OwnedBy.can_create());
        assert!(Access::OwnedBy.can_write(true) && !Access::OwnedBy.can_write(false));
        assert!(!Access::OwnedBy.can_read(false));
        assert!(Access::ReadAll { write_owned: false }.can_read(false));
        assert!(!Access::ReadAll { write_owned: false }.can_create());
        assert!(!Access::None.reads_anything() && !Access::None.can_create());
    }
}
