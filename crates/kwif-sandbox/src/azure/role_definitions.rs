//! Built-in Azure RBAC role definitions, looked up by name with `$filter=roleName eq '…'` or
//! read by id. A handful of real roles with their real ids; custom roles do not exist here.

use http::Method;
use serde_json::{Value, json};

use super::arm_error::ArmError;
use super::arm_path::{ArmTarget, Scope, query_param};
use super::reply::Reply;
use super::resource_manager::{ArmRequest, require_resource_group};
use super::state::AzureState;

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
            .map(|role| Reply::json(200, definition_json(role, scope)))
            .ok_or_else(|| {
                ArmError::new(
                    404,
                    "RoleDefinitionDoesNotExist",
                    format!("The specified role definition with ID '{id}' does not exist."),
                )
            }),
        None => {
            let wanted =
                query_param(request.query, "$filter").and_then(|filter| role_name_filter(&filter));
            let value: Vec<Value> = BUILT_IN_ROLES
                .iter()
                .filter(|role| {
                    wanted
                        .as_deref()
                        .is_none_or(|name| role.name.eq_ignore_ascii_case(name))
                })
                .map(|role| definition_json(role, scope))
                .collect();
            Ok(Reply::json(200, json!({ "value": value })))
        }
    }
}

/// `roleName eq 'Storage Blob Data Reader'` → the name; other filters select everything.
fn role_name_filter(filter: &str) -> Option<String> {
    let (field, rest) = filter.trim().split_once(' ')?;
    let value = rest.trim().strip_prefix("eq")?.trim();
    let value = value.strip_prefix('\'')?.strip_suffix('\'')?;
    field
        .eq_ignore_ascii_case("roleName")
        .then(|| value.replace("''", "'"))
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
    fn the_role_name_filter_is_read() {
        assert_eq!(
            role_name_filter("roleName eq 'Reader'").as_deref(),
            Some("Reader")
        );
        assert_eq!(
            role_name_filter("rolename eq 'Storage Blob Data Reader'").as_deref(),
            Some("Storage Blob Data Reader")
        );
        assert_eq!(role_name_filter("type eq 'BuiltInRole'"), None);
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
