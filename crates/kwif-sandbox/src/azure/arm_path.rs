//! Resource Manager request paths: which resource a path names, matched the way ARM does
//! (fixed segments case-insensitively, empty segments ignored, so a scope with or without a
//! leading slash works), and which api-versions each provider accepts.

/// api-versions of Microsoft.ManagedIdentity the sandbox serves (azure.md §1).
pub const MANAGED_IDENTITY_VERSIONS: &[&str] = &["2024-11-30", "2023-01-31"];
/// api-versions of Microsoft.Authorization role definitions and assignments.
pub const AUTHORIZATION_VERSIONS: &[&str] = &["2022-04-01"];
/// api-versions of Microsoft.DocumentDB SQL role resources (azure.md §1).
pub const COSMOS_VERSIONS: &[&str] = &["2025-10-15", "2025-04-15", "2024-11-15"];
/// api-versions of Microsoft.Resources resource groups.
pub const RESOURCE_GROUP_VERSIONS: &[&str] = &["2021-04-01", "2022-09-01", "2024-03-01"];
/// api-versions of Microsoft.Resources subscriptions, tenants and locations (the
/// SubscriptionClient of specification/resources/…/subscriptions/stable).
pub const SUBSCRIPTION_VERSIONS: &[&str] =
    &["2022-12-01", "2021-01-01", "2020-01-01", "2016-06-01"];
/// api-versions of Microsoft.Storage storage accounts (azure.md §1).
pub const STORAGE_VERSIONS: &[&str] = &["2025-06-01"];

/// A user-assigned identity's place: `/subscriptions/{sub}/resourceGroups/{rg}/…/{name}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityPath {
    pub subscription: String,
    pub resource_group: String,
    pub name: String,
}

/// A Cosmos DB or storage account's place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountPath {
    pub subscription: String,
    pub resource_group: String,
    pub name: String,
}

/// An RBAC scope: `/`, a subscription, a resource group or a resource below one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    /// With one leading slash and no trailing one, casing as sent.
    pub text: String,
    pub subscription: Option<String>,
    pub resource_group: Option<String>,
}

impl Scope {
    fn from_segments(segments: &[&str]) -> Scope {
        let text = format!("/{}", segments.join("/"));
        let subscription = match segments {
            [word, subscription, ..] if is(word, "subscriptions") => Some(subscription.to_string()),
            _ => None,
        };
        let resource_group = match segments {
            [_, _, word, resource_group, ..]
                if subscription.is_some() && is(word, "resourceGroups") =>
            {
                Some(resource_group.to_string())
            }
            _ => None,
        };
        Scope {
            text,
            subscription,
            resource_group,
        }
    }

    /// Scopes compare case-insensitively, as ARM resource ids do.
    pub fn same_as(&self, other: &str) -> bool {
        self.text.eq_ignore_ascii_case(&normalise_scope(other))
    }
}

/// `subscriptions/x/` → `/subscriptions/x`.
pub fn normalise_scope(scope: &str) -> String {
    let segments: Vec<&str> = scope
        .split('/')
        .filter(|segment| !segment.is_empty())
        .collect();
    format!("/{}", segments.join("/"))
}

/// Whether `scope` is `ancestor` or lies below it.
pub fn scope_within(scope: &str, ancestor: &str) -> bool {
    let scope = normalise_scope(scope).to_ascii_lowercase();
    let ancestor = normalise_scope(ancestor).to_ascii_lowercase();
    ancestor == "/" || scope == ancestor || scope.starts_with(&format!("{ancestor}/"))
}

/// What an ARM path names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArmTarget {
    /// `GET /subscriptions` (Subscriptions_List).
    Subscriptions,
    /// `GET /subscriptions/{id}` (Subscriptions_Get).
    Subscription {
        subscription: String,
    },
    /// `GET /tenants` (Tenants_List).
    Tenants,
    /// `GET /subscriptions/{id}/locations` (Subscriptions_ListLocations).
    Locations {
        subscription: String,
    },
    /// `GET /subscriptions/{id}/resourcegroups` (ResourceGroups_List).
    ResourceGroupList {
        subscription: String,
    },
    ResourceGroup {
        subscription: String,
        resource_group: String,
    },
    IdentityList {
        subscription: String,
        resource_group: Option<String>,
    },
    Identity(IdentityPath),
    FederatedCredentialList(IdentityPath),
    FederatedCredential(IdentityPath, String),
    RoleDefinitions {
        scope: Scope,
        id: Option<String>,
    },
    RoleAssignments {
        scope: Scope,
        name: Option<String>,
    },
    /// `GET {scope}/providers/Microsoft.Authorization/permissions`: what the caller may do at a
    /// subscription, a resource group or a resource.
    Permissions {
        scope: Scope,
    },
    CosmosAccount(AccountPath),
    /// DatabaseAccounts_List, or DatabaseAccounts_ListByResourceGroup with a resource group.
    CosmosAccountList {
        subscription: String,
        resource_group: Option<String>,
    },
    CosmosRoleAssignments(AccountPath, Option<String>),
    CosmosRoleDefinitions(AccountPath, Option<String>),
    /// The `Azure-AsyncOperation` (`result: false`) or `Location` (`result: true`) URL of a
    /// Cosmos DB long-running operation.
    CosmosOperation {
        subscription: String,
        operation: String,
        result: bool,
    },
    StorageAccount(AccountPath),
    /// StorageAccounts_List, or StorageAccounts_ListByResourceGroup with a resource group.
    StorageAccountList {
        subscription: String,
        resource_group: Option<String>,
    },
    /// `POST …/storageAccounts/{name}/listKeys`.
    StorageAccountKeys(AccountPath),
    /// `POST /subscriptions/{sub}/providers/Microsoft.Storage/checkNameAvailability`.
    StorageNameAvailability {
        subscription: String,
    },
    /// The `Location` URL of a storage account create:
    /// `/subscriptions/{sub}/providers/Microsoft.Storage/locations/{location}/asyncoperations/{id}`.
    StorageOperation {
        subscription: String,
        operation: String,
    },
}

impl ArmTarget {
    pub fn api_versions(&self) -> &'static [&'static str] {
        match self {
            ArmTarget::Subscriptions
            | ArmTarget::Subscription { .. }
            | ArmTarget::Tenants
            | ArmTarget::Locations { .. } => SUBSCRIPTION_VERSIONS,
            ArmTarget::ResourceGroup { .. } | ArmTarget::ResourceGroupList { .. } => {
                RESOURCE_GROUP_VERSIONS
            }
            ArmTarget::IdentityList { .. }
            | ArmTarget::Identity(_)
            | ArmTarget::FederatedCredentialList(_)
            | ArmTarget::FederatedCredential(..) => MANAGED_IDENTITY_VERSIONS,
            ArmTarget::RoleDefinitions { .. }
            | ArmTarget::RoleAssignments { .. }
            | ArmTarget::Permissions { .. } => AUTHORIZATION_VERSIONS,
            ArmTarget::CosmosAccount(_)
            | ArmTarget::CosmosAccountList { .. }
            | ArmTarget::CosmosRoleAssignments(..)
            | ArmTarget::CosmosRoleDefinitions(..)
            | ArmTarget::CosmosOperation { .. } => COSMOS_VERSIONS,
            ArmTarget::StorageAccount(_)
            | ArmTarget::StorageAccountList { .. }
            | ArmTarget::StorageAccountKeys(_)
            | ArmTarget::StorageNameAvailability { .. }
            | ArmTarget::StorageOperation { .. } => STORAGE_VERSIONS,
        }
    }

    /// The subscription in the path, when it has one.
    pub fn subscription(&self) -> Option<&str> {
        match self {
            ArmTarget::Subscriptions | ArmTarget::Tenants => None,
            ArmTarget::Subscription { subscription }
            | ArmTarget::Locations { subscription }
            | ArmTarget::ResourceGroupList { subscription }
            | ArmTarget::CosmosAccountList { subscription, .. }
            | ArmTarget::StorageAccountList { subscription, .. }
            | ArmTarget::ResourceGroup { subscription, .. }
            | ArmTarget::IdentityList { subscription, .. }
            | ArmTarget::CosmosOperation { subscription, .. }
            | ArmTarget::StorageNameAvailability { subscription }
            | ArmTarget::StorageOperation { subscription, .. } => Some(subscription),
            ArmTarget::Identity(identity)
            | ArmTarget::FederatedCredentialList(identity)
            | ArmTarget::FederatedCredential(identity, _) => Some(&identity.subscription),
            ArmTarget::CosmosAccount(account)
            | ArmTarget::CosmosRoleAssignments(account, _)
            | ArmTarget::CosmosRoleDefinitions(account, _)
            | ArmTarget::StorageAccount(account)
            | ArmTarget::StorageAccountKeys(account) => Some(&account.subscription),
            ArmTarget::RoleDefinitions { scope, .. }
            | ArmTarget::RoleAssignments { scope, .. }
            | ArmTarget::Permissions { scope } => scope.subscription.as_deref(),
        }
    }
}

/// Whether a path belongs to Resource Manager rather than to the Entra login endpoint.
pub fn is_resource_manager(path: &str) -> bool {
    let first = path
        .split('/')
        .find(|segment| !segment.is_empty())
        .unwrap_or_default();
    is(first, "subscriptions") || is(first, "providers") || is(first, "tenants")
}

fn is(segment: &str, word: &str) -> bool {
    segment.eq_ignore_ascii_case(word)
}

/// The resource a path names, or `None` for a path the sandbox does not serve.
pub fn parse(path: &str) -> Option<ArmTarget> {
    let segments: Vec<&str> = path
        .split('/')
        .filter(|segment| !segment.is_empty())
        .collect();
    if let Some(target) = authorization(&segments) {
        return Some(target);
    }
    let owned = |segment: &&str| segment.to_string();
    match segments.as_slice() {
        [s] if is(s, "subscriptions") => Some(ArmTarget::Subscriptions),
        [t] if is(t, "tenants") => Some(ArmTarget::Tenants),
        [s, subscription] if is(s, "subscriptions") => Some(ArmTarget::Subscription {
            subscription: owned(subscription),
        }),
        [s, subscription, l] if is(s, "subscriptions") && is(l, "locations") => {
            Some(ArmTarget::Locations {
                subscription: owned(subscription),
            })
        }
        [s, subscription, r] if is(s, "subscriptions") && is(r, "resourceGroups") => {
            Some(ArmTarget::ResourceGroupList {
                subscription: owned(subscription),
            })
        }
        [s, subscription, p, namespace, kind]
            if is(s, "subscriptions")
                && is(p, "providers")
                && is(namespace, "Microsoft.DocumentDB")
                && is(kind, "databaseAccounts") =>
        {
            Some(ArmTarget::CosmosAccountList {
                subscription: owned(subscription),
                resource_group: None,
            })
        }
        [s, subscription, p, namespace, kind]
            if is(s, "subscriptions")
                && is(p, "providers")
                && is(namespace, "Microsoft.Storage")
                && is(kind, "storageAccounts") =>
        {
            Some(ArmTarget::StorageAccountList {
                subscription: owned(subscription),
                resource_group: None,
            })
        }
        [s, subscription, r, resource_group]
            if is(s, "subscriptions") && is(r, "resourceGroups") =>
        {
            Some(ArmTarget::ResourceGroup {
                subscription: owned(subscription),
                resource_group: owned(resource_group),
            })
        }
        [s, subscription, p, namespace, kind]
            if is(s, "subscriptions")
                && is(p, "providers")
                && is(namespace, "Microsoft.ManagedIdentity")
                && is(kind, "userAssignedIdentities") =>
        {
            Some(ArmTarget::IdentityList {
                subscription: owned(subscription),
                resource_group: None,
            })
        }
        [s, subscription, p, namespace, action]
            if is(s, "subscriptions")
                && is(p, "providers")
                && is(namespace, "Microsoft.Storage")
                && is(action, "checkNameAvailability") =>
        {
            Some(ArmTarget::StorageNameAvailability {
                subscription: owned(subscription),
            })
        }
        [s, subscription, p, namespace, l, _location, kind, operation]
            if is(s, "subscriptions")
                && is(p, "providers")
                && is(namespace, "Microsoft.Storage")
                && is(l, "locations")
                && is(kind, "asyncoperations") =>
        {
            Some(ArmTarget::StorageOperation {
                subscription: owned(subscription),
                operation: owned(operation),
            })
        }
        [s, subscription, p, namespace, l, _location, kind, operation]
            if is(s, "subscriptions")
                && is(p, "providers")
                && is(namespace, "Microsoft.DocumentDB")
                && is(l, "locations")
                && (is(kind, "operationsStatus") || is(kind, "operationResults")) =>
        {
            Some(ArmTarget::CosmosOperation {
                subscription: owned(subscription),
                operation: owned(operation),
                result: is(kind, "operationResults"),
            })
        }
        [s, subscription, r, resource_group, p, namespace, rest @ ..]
            if is(s, "subscriptions") && is(r, "resourceGroups") && is(p, "providers") =>
        {
            let (subscription, resource_group) = (owned(subscription), owned(resource_group));
            if is(namespace, "Microsoft.ManagedIdentity") {
                managed_identity(subscription, resource_group, rest)
            } else if is(namespace, "Microsoft.DocumentDB") {
                cosmos(subscription, resource_group, rest)
            } else if is(namespace, "Microsoft.Storage") {
                storage(subscription, resource_group, rest)
            } else {
                None
            }
        }
        _ => None,
    }
}

fn managed_identity(
    subscription: String,
    resource_group: String,
    rest: &[&str],
) -> Option<ArmTarget> {
    let identity = |name: &str| IdentityPath {
        subscription: subscription.clone(),
        resource_group: resource_group.clone(),
        name: name.to_string(),
    };
    match rest {
        [kind] if is(kind, "userAssignedIdentities") => Some(ArmTarget::IdentityList {
            subscription: subscription.clone(),
            resource_group: Some(resource_group.clone()),
        }),
        [kind, name] if is(kind, "userAssignedIdentities") => {
            Some(ArmTarget::Identity(identity(name)))
        }
        [kind, name, fics]
            if is(kind, "userAssignedIdentities") && is(fics, "federatedIdentityCredentials") =>
        {
            Some(ArmTarget::FederatedCredentialList(identity(name)))
        }
        [kind, name, fics, fic]
            if is(kind, "userAssignedIdentities") && is(fics, "federatedIdentityCredentials") =>
        {
            Some(ArmTarget::FederatedCredential(
                identity(name),
                fic.to_string(),
            ))
        }
        _ => None,
    }
}

fn cosmos(subscription: String, resource_group: String, rest: &[&str]) -> Option<ArmTarget> {
    let account = |name: &str| AccountPath {
        subscription: subscription.clone(),
        resource_group: resource_group.clone(),
        name: name.to_string(),
    };
    match rest {
        [kind] if is(kind, "databaseAccounts") => Some(ArmTarget::CosmosAccountList {
            subscription: subscription.clone(),
            resource_group: Some(resource_group.clone()),
        }),
        [kind, name] if is(kind, "databaseAccounts") => {
            Some(ArmTarget::CosmosAccount(account(name)))
        }
        [kind, name, child, tail @ ..] if is(kind, "databaseAccounts") && tail.len() <= 1 => {
            let id = tail.first().map(std::string::ToString::to_string);
            if is(child, "sqlRoleAssignments") {
                Some(ArmTarget::CosmosRoleAssignments(account(name), id))
            } else if is(child, "sqlRoleDefinitions") {
                Some(ArmTarget::CosmosRoleDefinitions(account(name), id))
            } else {
                None
            }
        }
        _ => None,
    }
}

fn storage(subscription: String, resource_group: String, rest: &[&str]) -> Option<ArmTarget> {
    if let [kind] = rest
        && is(kind, "storageAccounts")
    {
        return Some(ArmTarget::StorageAccountList {
            subscription,
            resource_group: Some(resource_group),
        });
    }
    let account = |name: &str| AccountPath {
        subscription,
        resource_group,
        name: name.to_string(),
    };
    match rest {
        [kind, name] if is(kind, "storageAccounts") => {
            Some(ArmTarget::StorageAccount(account(name)))
        }
        [kind, name, action] if is(kind, "storageAccounts") && is(action, "listKeys") => {
            Some(ArmTarget::StorageAccountKeys(account(name)))
        }
        _ => None,
    }
}

/// `{scope}/providers/Microsoft.Authorization/roleAssignments[/{name}]` (or `roleDefinitions`,
/// or `permissions`). The scope may itself hold `providers` segments, so the last
/// Microsoft.Authorization wins.
fn authorization(segments: &[&str]) -> Option<ArmTarget> {
    let index = (0..segments.len().saturating_sub(2)).rev().find(|&index| {
        is(segments[index], "providers") && is(segments[index + 1], "Microsoft.Authorization")
    })?;
    let scope = Scope::from_segments(&segments[..index]);
    match &segments[index + 2..] {
        [kind] if is(kind, "permissions") && is_permissions_scope(&segments[..index]) => {
            Some(ArmTarget::Permissions { scope })
        }
        [kind, tail @ ..] if tail.len() <= 1 && is(kind, "roleAssignments") => {
            Some(ArmTarget::RoleAssignments {
                scope,
                name: tail.first().map(std::string::ToString::to_string),
            })
        }
        [kind, tail @ ..] if tail.len() <= 1 && is(kind, "roleDefinitions") => {
            Some(ArmTarget::RoleDefinitions {
                scope,
                id: tail.first().map(std::string::ToString::to_string),
            })
        }
        _ => None,
    }
}

/// Where Resource Manager answers the permissions list: a subscription (served though absent from
/// the spec, azure-rest-api-specs issue #19473), a resource group (`Permissions_ListForResourceGroup`)
/// or a resource, as `{namespace}/{type}/{name}` pairs below a group
/// (`Permissions_ListForResource`) or below the subscription (azure-sdk-for-net issue #2521).
fn is_permissions_scope(segments: &[&str]) -> bool {
    let resource = |namespace_and_pairs: &[&str]| match namespace_and_pairs {
        [_namespace, pairs @ ..] => !pairs.is_empty() && pairs.len() % 2 == 0,
        [] => false,
    };
    match segments {
        [s, _] => is(s, "subscriptions"),
        [s, _, r, _] => is(s, "subscriptions") && is(r, "resourceGroups"),
        [s, _, r, _, p, rest @ ..] if is(r, "resourceGroups") => {
            is(s, "subscriptions") && is(p, "providers") && resource(rest)
        }
        [s, _, p, rest @ ..] => is(s, "subscriptions") && is(p, "providers") && resource(rest),
        _ => false,
    }
}

/// A query parameter, percent-decoded; names compare case-insensitively as ARM's do.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_paths_match_case_insensitively() {
        let target = parse(
            "/subscriptions/s/resourcegroups/rg/providers/microsoft.managedidentity/userassignedidentities/id1",
        );
        assert_eq!(
            target,
            Some(ArmTarget::Identity(IdentityPath {
                subscription: "s".into(),
                resource_group: "rg".into(),
                name: "id1".into()
            }))
        );
        let fic = parse(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1/federatedIdentityCredentials/f1/",
        );
        assert!(matches!(fic, Some(ArmTarget::FederatedCredential(_, name)) if name == "f1"));
    }

    #[test]
    fn role_assignment_scopes_keep_their_providers_and_tolerate_a_missing_slash() {
        let path = "subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1/providers/Microsoft.Authorization/roleAssignments/0b5fe924-9a61-425c-96af-cfe6e287ca2d";
        let Some(ArmTarget::RoleAssignments { scope, name }) = parse(&format!("//{path}")) else {
            panic!("not a role assignment");
        };
        assert_eq!(
            scope.text,
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1"
        );
        assert_eq!(scope.resource_group.as_deref(), Some("rg"));
        assert_eq!(
            name.as_deref(),
            Some("0b5fe924-9a61-425c-96af-cfe6e287ca2d")
        );
        let Some(ArmTarget::RoleDefinitions { scope, id: None }) =
            parse("/providers/Microsoft.Authorization/roleDefinitions")
        else {
            panic!("not a role definition list");
        };
        assert_eq!(scope.text, "/");
    }

    #[test]
    fn storage_paths_name_accounts_keys_and_operations() {
        let account = AccountPath {
            subscription: "s".into(),
            resource_group: "rg".into(),
            name: "st1".into(),
        };
        assert_eq!(
            parse(
                "/subscriptions/s/resourcegroups/rg/providers/microsoft.storage/storageaccounts/st1"
            ),
            Some(ArmTarget::StorageAccount(account.clone()))
        );
        assert_eq!(
            parse(
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1/listKeys"
            ),
            Some(ArmTarget::StorageAccountKeys(account))
        );
        assert_eq!(
            parse(
                "/subscriptions/s/providers/Microsoft.Storage/locations/eastus/asyncoperations/op1"
            ),
            Some(ArmTarget::StorageOperation {
                subscription: "s".into(),
                operation: "op1".into()
            })
        );
        let check = parse("/subscriptions/s/providers/Microsoft.Storage/checkNameAvailability");
        assert_eq!(
            check.as_ref().map(ArmTarget::api_versions),
            Some(STORAGE_VERSIONS)
        );
    }

    #[test]
    fn permissions_are_served_for_subscriptions_groups_and_resources_only() {
        let permissions = |scope: &str| match parse(&format!(
            "{scope}/providers/Microsoft.Authorization/permissions"
        )) {
            Some(ArmTarget::Permissions { scope }) => Some(scope.text),
            _ => None,
        };
        let account =
            "/subscriptions/s/resourcegroups/rg/providers/Microsoft.Storage/storageAccounts/st1";
        assert_eq!(permissions(account).as_deref(), Some(account));
        let container = format!("{account}/blobServices/default/containers/c1");
        assert_eq!(permissions(&container), Some(container.clone()));
        assert_eq!(
            permissions("/subscriptions/s/resourceGroups/rg").as_deref(),
            Some("/subscriptions/s/resourceGroups/rg")
        );
        assert_eq!(
            permissions("/subscriptions/s").as_deref(),
            Some("/subscriptions/s")
        );
        for unserved in [
            "",
            "/providers/Microsoft.Management/managementGroups/mg1",
            "/subscriptions/s/resourceGroups",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts",
        ] {
            assert_eq!(permissions(unserved), None, "{unserved:?}");
        }
    }

    #[test]
    fn list_paths_name_what_they_list() {
        let some = |subscription: &str| subscription.to_string();
        assert_eq!(parse("/subscriptions"), Some(ArmTarget::Subscriptions));
        assert_eq!(parse("/Tenants/"), Some(ArmTarget::Tenants));
        assert!(is_resource_manager("/tenants") && !is_resource_manager("/t1/oauth2/v2.0/token"));
        assert_eq!(
            parse("/subscriptions/s"),
            Some(ArmTarget::Subscription {
                subscription: some("s")
            })
        );
        assert_eq!(
            parse("/subscriptions/s/locations"),
            Some(ArmTarget::Locations {
                subscription: some("s")
            })
        );
        assert_eq!(
            parse("/subscriptions/s/resourcegroups"),
            Some(ArmTarget::ResourceGroupList {
                subscription: some("s")
            })
        );
        assert_eq!(
            parse("/subscriptions/s/providers/Microsoft.DocumentDB/databaseAccounts"),
            Some(ArmTarget::CosmosAccountList {
                subscription: some("s"),
                resource_group: None
            })
        );
        assert_eq!(
            parse(
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DocumentDB/databaseAccounts"
            ),
            Some(ArmTarget::CosmosAccountList {
                subscription: some("s"),
                resource_group: Some(some("rg"))
            })
        );
        assert_eq!(
            parse("/subscriptions/s/providers/microsoft.storage/storageaccounts"),
            Some(ArmTarget::StorageAccountList {
                subscription: some("s"),
                resource_group: None
            })
        );
        assert_eq!(
            parse("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts"),
            Some(ArmTarget::StorageAccountList {
                subscription: some("s"),
                resource_group: Some(some("rg"))
            })
        );
    }

    #[test]
    fn scopes_nest() {
        assert!(scope_within(
            "/subscriptions/S/resourceGroups/rg",
            "subscriptions/s"
        ));
        assert!(!scope_within(
            "/subscriptions/s/resourceGroups/rg2",
            "/subscriptions/s/resourceGroups/rg"
        ));
        assert!(scope_within("/subscriptions/s", "/"));
    }

    #[test]
    fn query_values_are_decoded() {
        let query =
            "$filter=roleName%20eq%20'Storage%20Blob%20Data%20Reader'&api-version=2022-04-01";
        assert_eq!(
            query_param(query, "$filter").as_deref(),
            Some("roleName eq 'Storage Blob Data Reader'")
        );
        assert_eq!(
            query_param(query, "API-VERSION").as_deref(),
            Some("2022-04-01")
        );
    }
}
