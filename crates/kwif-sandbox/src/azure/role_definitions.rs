//! Azure RBAC role definitions (RoleDefinitions_List and _Get, 2022-04-01): a handful of real
//! built-in roles with their real ids, and the subscription's custom roles. A list at a scope
//! holds those applicable at it and above, filtered by `roleName eq '…'` and `type eq '…'`.

use http::Method;
use serde_json::{Value, json};

use super::arm_error::ArmError;
use super::arm_path::{ArmTarget, Scope, query_param, scope_within};
use super::reply::Reply;
use super::resource_manager::{ArmRequest, require_resource_group};
use super::state::{AzureState, CustomRole};

/// One built-in role: name, id, description, control-plane actions, data actions.
pub struct BuiltInRole {
    pub name: &'static str,
    pub id: &'static str,
    description: &'static str,
    actions: &'static [&'static str],
    data_actions: &'static [&'static str],
}

impl BuiltInRole {
    /// The role's permission block, as its definition and the permissions list show it.
    pub fn permission_json(&self) -> Value {
        json!({
            "actions": self.actions,
            "notActions": [],
            "dataActions": self.data_actions,
            "notDataActions": [],
        })
    }
}

/// The built-in Owner role, which the sandbox's administrator holds on the subscription.
pub const OWNER_ROLE_ID: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";

/// The built-in roles the sandbox knows (ids from learn.microsoft.com's built-in roles list).
pub const BUILT_IN_ROLES: &[BuiltInRole] = &[
    BuiltInRole {
        name: "Storage Blob Data Reader",
        id: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
        description: "Allows for read access to Azure Storage blob containers and data",
        actions: &[
            "Microsoft.Storage/storageAccounts/blobServices/containers/read",
            "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
        ],
        data_actions: &["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
    },
    BuiltInRole {
        name: "Storage Blob Data Contributor",
        id: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
        description: "Allows for read, write and delete access to Azure Storage blob containers and data",
        actions: &[
            "Microsoft.Storage/storageAccounts/blobServices/containers/delete",
            "Microsoft.Storage/storageAccounts/blobServices/containers/read",
            "Microsoft.Storage/storageAccounts/blobServices/containers/write",
            "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
        ],
        data_actions: &[
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete",
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/move/action",
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action",
        ],
    },
    BuiltInRole {
        name: "Key Vault Secrets User",
        id: "4633458b-17de-408a-b874-0445c86b69e6",
        description: "Read secret contents. Only works for key vaults that use the 'Azure role-based access control' permission model.",
        actions: &[],
        data_actions: &[
            "Microsoft.KeyVault/vaults/secrets/getSecret/action",
            "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
        ],
    },
    BuiltInRole {
        name: "Owner",
        id: OWNER_ROLE_ID,
        description: "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
        actions: &["*"],
        data_actions: &[],
    },
    BuiltInRole {
        name: "Reader",
        id: "acdd72a7-3c48-4bf8-b2b9-4a4ae4ac2bce",
        description: "View all resources, but does not allow you to make any changes.",
        actions: &["*/read"],
        data_actions: &[],
    },
    BuiltInRole {
        name: "Contributor",
        id: "b24988ac-6180-42a0-ab88-20f7382dd24c",
        description: "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, \
                      manage assignments in Azure Blueprints, or share image galleries.",
        actions: &["*"],
        data_actions: &[],
    },
    BuiltInRole {
        name: "DocumentDB Account Contributor",
        id: "5bd9cd88-fe45-4216-938b-f97437e15450",
        description: "Lets you manage DocumentDB accounts, but not access to them.",
        actions: &[
            "Microsoft.Authorization/*/read",
            "Microsoft.DocumentDb/databaseAccounts/*",
            "Microsoft.Insights/alertRules/*",
            "Microsoft.ResourceHealth/availabilityStatuses/read",
            "Microsoft.Resources/deployments/*",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
        ],
        data_actions: &[],
    },
];

/// The built-in role with this GUID.
pub fn by_id(id: &str) -> Option<&'static BuiltInRole> {
    BUILT_IN_ROLES
        .iter()
        .find(|role| role.id.eq_ignore_ascii_case(id))
}

/// The built-in role a role definition id names, in the subscription form
/// `/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}` or the
/// tenant form `/providers/…`.
pub fn by_definition_id(role_definition_id: &str) -> Option<&'static BuiltInRole> {
    let mut segments = role_definition_id
        .rsplit('/')
        .filter(|segment| !segment.is_empty());
    let (guid, kind) = (segments.next()?, segments.next()?);
    match kind.eq_ignore_ascii_case("roleDefinitions") {
        true => by_id(guid),
        false => None,
    }
}

pub fn handle(state: &mut AzureState, request: &ArmRequest) -> Result<Reply, ArmError> {
    let ArmTarget::RoleDefinitions { scope, id } = &request.target else {
        return Err(ArmError::unknown_resource_type(request.path));
    };
    if request.method != Method::GET {
        return Err(ArmError::method_not_allowed(request.method.as_str()));
    }
    if let Some(resource_group) = &scope.resource_group {
        require_resource_group(state, resource_group)?;
    }
    match id {
        Some(id) => by_id(id)
            .map(|role| definition_json(role, scope))
            .or_else(|| {
                custom_role(state, id).map(|role| custom_json(role, &state.subscription_id))
            })
            .map(|definition| Reply::json(200, definition))
            .ok_or_else(|| {
                ArmError::new(
                    404,
                    "RoleDefinitionDoesNotExist",
                    format!("The specified role definition with ID '{id}' does not exist."),
                )
            }),
        None => {
            let filter = query_param(request.query, "$filter")
                .map(|filter| Filter::parse(&filter))
                .unwrap_or_default();
            let built_in = BUILT_IN_ROLES
                .iter()
                .filter(|role| filter.selects(role.name, "BuiltInRole"))
                .map(|role| definition_json(role, scope));
            let custom = state
                .custom_roles
                .iter()
                .filter(|role| filter.selects(&role.role_name, "CustomRole"))
                .filter(|role| applicable(role, scope, filter.at_scope_and_below))
                .map(|role| custom_json(role, &state.subscription_id));
            let value: Vec<Value> = built_in.chain(custom).collect();
            request.page(value, state.page_size, false)
        }
    }
}

/// The custom role with this GUID.
fn custom_role<'s>(state: &'s AzureState, id: &str) -> Option<&'s CustomRole> {
    state
        .custom_roles
        .iter()
        .find(|role| role.id.eq_ignore_ascii_case(id))
}

/// The permission block of the role a role definition id names, built-in or custom.
pub fn permission_json(state: &AzureState, role_definition_id: &str) -> Option<Value> {
    if let Some(role) = by_definition_id(role_definition_id) {
        return Some(role.permission_json());
    }
    let guid = role_definition_id
        .rsplit('/')
        .find(|segment| !segment.is_empty())?;
    custom_role(state, guid).map(|role| {
        json!({"actions": role.actions, "notActions": [], "dataActions": role.data_actions, "notDataActions": []})
    })
}

/// "All role definitions that are applicable at scope and above" (RoleDefinitions_List): a
/// custom role assignable at the scope or above it; with `atScopeAndBelow()` also one only
/// assignable below it.
fn applicable(role: &CustomRole, scope: &Scope, at_scope_and_below: bool) -> bool {
    role.assignable_scopes.iter().any(|assignable| {
        scope_within(&scope.text, assignable)
            || (at_scope_and_below && scope_within(assignable, &scope.text))
    })
}

/// The `$filter` of RoleDefinitions_List (its RoleDefinitionFilter: `roleName`, `type`),
/// clauses joined with `and`; `atScopeAndBelow()` widens the scope. Other clauses select all.
#[derive(Debug, Default, PartialEq, Eq)]
struct Filter {
    role_name: Option<String>,
    role_type: Option<String>,
    at_scope_and_below: bool,
}

impl Filter {
    fn parse(filter: &str) -> Filter {
        let mut parsed = Filter::default();
        for clause in split_and(filter) {
            if clause.trim().eq_ignore_ascii_case("atScopeAndBelow()") {
                parsed.at_scope_and_below = true;
            } else if let Some(name) = equals_clause(clause, "roleName") {
                parsed.role_name = Some(name);
            } else if let Some(kind) = equals_clause(clause, "type") {
                parsed.role_type = Some(kind);
            }
        }
        parsed
    }

    fn selects(&self, role_name: &str, role_type: &str) -> bool {
        let name_ok = self
            .role_name
            .as_deref()
            .is_none_or(|name| role_name.eq_ignore_ascii_case(name));
        let type_ok = self
            .role_type
            .as_deref()
            .is_none_or(|kind| role_type.eq_ignore_ascii_case(kind));
        name_ok && type_ok
    }
}

/// The clauses of a filter joined by ` and ` (any case), outside quoted values.
fn split_and(filter: &str) -> Vec<&str> {
    let bytes = filter.as_bytes();
    let mut clauses = Vec::new();
    let (mut start, mut index, mut quoted) = (0, 0, false);
    while index < bytes.len() {
        let rest = &bytes[index..];
        if rest[0] == b'\'' {
            quoted = !quoted;
        } else if !quoted && rest.len() >= 5 && rest[..5].eq_ignore_ascii_case(b" and ") {
            clauses.push(&filter[start..index]);
            index += 5;
            start = index;
            continue;
        }
        index += 1;
    }
    clauses.push(&filter[start..]);
    clauses
}

/// `field eq 'value'` → the value (with `''` read as a quote).
fn equals_clause(clause: &str, field: &str) -> Option<String> {
    let (name, rest) = clause.trim().split_once(' ')?;
    let value = rest.trim().strip_prefix("eq")?.trim();
    let value = value.strip_prefix('\'')?.strip_suffix('\'')?;
    name.eq_ignore_ascii_case(field)
        .then(|| value.replace("''", "'"))
}

/// A custom role as ARM returns it: defined in the subscription, wherever it is listed.
pub fn custom_json(role: &CustomRole, subscription: &str) -> Value {
    json!({
        "id": format!("/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{}", role.id),
        "name": role.id,
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": role.role_name,
            "type": "CustomRole",
            "description": role.description,
            "assignableScopes": role.assignable_scopes,
            "permissions": [{"actions": role.actions, "notActions": [], "dataActions": role.data_actions, "notDataActions": []}],
            "createdOn": "2025-03-04T09:12:41.2104855Z",
            "updatedOn": "2025-03-04T09:12:41.2104855Z",
            "createdBy": null,
            "updatedBy": null,
        },
    })
}

/// A built-in role as ARM returns it below `scope`: ids carry the subscription when there is one.
pub fn definition_json(role: &BuiltInRole, scope: &Scope) -> Value {
    let prefix = scope
        .subscription
        .as_ref()
        .map(|subscription| format!("/subscriptions/{subscription}"))
        .unwrap_or_default();
    json!({
        "id": format!("{prefix}/providers/Microsoft.Authorization/roleDefinitions/{}", role.id),
        "name": role.id,
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": role.name,
            "type": "BuiltInRole",
            "description": role.description,
            "assignableScopes": ["/"],
            "permissions": [role.permission_json()],
            "createdOn": "2015-02-02T21:55:09.8806423Z",
            "updatedOn": "2021-11-11T20:13:54.4382155Z",
            "createdBy": null,
            "updatedBy": null,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_is_read() {
        let filter = Filter::parse("roleName eq 'Reader'");
        assert_eq!(filter.role_name.as_deref(), Some("Reader"));
        assert!(filter.selects("reader", "BuiltInRole"));
        let filter = Filter::parse("rolename eq 'Ops and ''Dev''' and type eq 'CustomRole'");
        assert_eq!(filter.role_name.as_deref(), Some("Ops and 'Dev'"));
        assert_eq!(filter.role_type.as_deref(), Some("CustomRole"));
        assert!(!filter.selects("Ops and 'Dev'", "BuiltInRole"));
        assert!(Filter::parse("atScopeAndBelow()").at_scope_and_below);
        assert_eq!(Filter::parse("typo eq 'x'"), Filter::default());
        assert_eq!(
            by_id("BA92F5B4-2D11-453D-A403-E96B0029C9FE").map(|role| role.name),
            Some("Storage Blob Data Contributor")
        );
        assert_eq!(
            by_definition_id("/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1")
                .map(|role| role.name),
            Some("Storage Blob Data Reader")
        );
        assert_eq!(
            by_definition_id("/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3c48-4bf8-b2b9-4a4ae4ac2bce/")
                .map(|role| role.name),
            Some("Reader")
        );
        assert!(by_definition_id("acdd72a7-3c48-4bf8-b2b9-4a4ae4ac2bce").is_none());
    }
}
