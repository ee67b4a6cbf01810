//! Cosmos DB data-plane (SQL) role assignments (azure.md §5): PUT is long-running — 202 with
//! an empty body and an `Azure-AsyncOperation` header — and the assignment shows on GET once
//! its operation is polled or a short delay has passed. A principal still replicating is not
//! refused by the PUT: its operation ends `Failed` (azure.md §10.2). Also the accounts (read
//! and listed, unpaged as DatabaseAccounts_List is) and the built-in data-plane roles.

use http::{HeaderName, Method, header};
use serde_json::{Value, json};

use super::arm_error::ArmError;
use super::arm_path::{AccountPath, ArmTarget, scope_within};
use super::locations;
use super::reply::Reply;
use super::resource_manager::{ArmRequest, require_resource_group};
use super::state::{AccountEntry, AzureState, CosmosEntry, CosmosRoleAssignment};
use crate::randomness;

const ACCOUNT_TYPE: &str = "Microsoft.DocumentDB/databaseAccounts";
const ASSIGNMENT_TYPE: &str = "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments";
const DEFINITION_TYPE: &str = "Microsoft.DocumentDB/databaseAccounts/sqlRoleDefinitions";

/// The two built-in data-plane roles: id suffix, name, data actions.
const BUILT_IN_ROLES: &[(&str, &str, &[&str])] = &[
    (
        "00000000-0000-0000-0000-000000000001",
        "Cosmos DB Built-in Data Reader",
        &[
            "Microsoft.DocumentDB/databaseAccounts/readMetadata",
            "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/executeQuery",
            "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/readChangeFeed",
            "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/read",
        ],
    ),
    (
        "00000000-0000-0000-0000-000000000002",
        "Cosmos DB Built-in Data Contributor",
        &[
            "Microsoft.DocumentDB/databaseAccounts/readMetadata",
            "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/*",
            "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/*",
        ],
    ),
];

pub fn handle(state: &mut AzureState, request: &ArmRequest) -> Result<Reply, ArmError> {
    match (&request.target, request.method) {
        (
            ArmTarget::CosmosOperation {
                operation, result, ..
            },
            &Method::GET,
        ) => poll(state, operation, *result),
        (ArmTarget::CosmosAccountList { resource_group, .. }, &Method::GET) => {
            if let Some(resource_group) = resource_group {
                require_resource_group(state, resource_group)?;
            }
            let value: Vec<Value> = state
                .accounts
                .values()
                .filter(|entry| {
                    resource_group.as_deref().is_none_or(|group| {
                        entry.account.resource_group.eq_ignore_ascii_case(group)
                    })
                })
                .map(account_json)
                .collect();
            // `x-ms-pageable` with `nextLinkName: null` (cosmos-db.json): one page, no nextLink.
            Ok(Reply::json(200, json!({ "value": value })))
        }
        (ArmTarget::CosmosAccount(path), &Method::GET) => {
            let account = account(state, path)?;
            Ok(Reply::json(200, account_json(account)))
        }
        (ArmTarget::CosmosRoleDefinitions(path, id), &Method::GET) => {
            let account = account(state, path)?;
            role_definitions(account, id.as_deref())
        }
        (ArmTarget::CosmosRoleAssignments(path, None), &Method::GET) => {
            let account = account(state, path)?;
            let value: Vec<Value> = account
                .assignments
                .iter()
                .filter(|entry| entry.visible(request.now))
                .map(|entry| assignment_json(&entry.assignment))
                .collect();
            Ok(Reply::json(200, json!({ "value": value })))
        }
        (ArmTarget::CosmosRoleAssignments(path, Some(id)), &Method::GET) => {
            let account = account(state, path)?;
            account
                .assignments
                .iter()
                .find(|entry| {
                    entry.assignment.name.eq_ignore_ascii_case(id) && entry.visible(request.now)
                })
                .map(|entry| Reply::json(200, assignment_json(&entry.assignment)))
                .ok_or_else(|| assignment_not_found(id))
        }
        (ArmTarget::CosmosRoleAssignments(path, Some(id)), &Method::PUT) => {
            put(state, request, path, id)
        }
        (ArmTarget::CosmosRoleAssignments(path, Some(id)), &Method::DELETE) => {
            let account = account_mut(state, path)?;
            let existed = account.assignments.iter().any(|entry| {
                entry.assignment.name.eq_ignore_ascii_case(id) && entry.failure.is_none()
            });
            account
                .assignments
                .retain(|entry| !entry.assignment.name.eq_ignore_ascii_case(id));
            Ok(Reply::empty(if existed { 200 } else { 204 }))
        }
        (_, method) => Err(ArmError::method_not_allowed(method.as_str())),
    }
}

fn account<'s>(state: &'s AzureState, path: &AccountPath) -> Result<&'s AccountEntry, ArmError> {
    require_resource_group(state, &path.resource_group)?;
    state
        .account(path)
        .ok_or_else(|| ArmError::resource_not_found(ACCOUNT_TYPE, &path.name, &path.resource_group))
}

fn account_mut<'s>(
    state: &'s mut AzureState,
    path: &AccountPath,
) -> Result<&'s mut AccountEntry, ArmError> {
    account(state, path)?;
    state
        .account_mut(path)
        .ok_or_else(|| ArmError::resource_not_found(ACCOUNT_TYPE, &path.name, &path.resource_group))
}

/// The provider's 404 for an assignment that does not exist, as a read after a failed create
/// answered it in pulumi/pulumi-azure-native#2816 ("Unable to find a SQL Role Assignment with
/// ID [...]", then the Cosmos DB gateway's activity id and version).
fn assignment_not_found(id: &str) -> ArmError {
    ArmError::new(
        404,
        "NotFound",
        format!(
            "Unable to find a SQL Role Assignment with ID [{id}].\r\nActivityId: {}, {DOCUMENTS_VERSION}",
            randomness::uid()
        ),
    )
}

/// The Cosmos DB gateway's version, which its error messages end with (the reports below).
const DOCUMENTS_VERSION: &str = "Microsoft.Azure.Documents.Common/2.14.0";

/// Why the long-running create of an assignment for a principal the directory does not know
/// yet ends `Failed`: code `BadRequest`, message as pulumi/pulumi-azure-native#2816,
/// hashicorp/terraform-provider-azurerm#28070 and Azure/ARO-HCP#5321 report it (the gateway's
/// version repeated once per hop, six times in #2816).
fn principal_not_in_tenant(principal_id: &str, tenant_id: &str) -> String {
    format!(
        "The provided principal ID [{principal_id}] was not found in the AAD tenant(s) [{tenant_id}] which are \
         associated with the customer's subscription.\r\nActivityId: {}, {}",
        randomness::uid(),
        [DOCUMENTS_VERSION; 6].join(", ")
    )
}

/// An account as DatabaseAccounts_Get and _List show it (CosmosDBDatabaseAccountList.json): the
/// provider writes the location by its display name, and one region holds every role.
fn account_json(account: &AccountEntry) -> Value {
    let name = account.account.name.to_ascii_lowercase();
    let location = locations::display_name(&account.account.location)
        .map_or_else(|| account.account.location.clone(), str::to_string);
    let region = account.account.location.to_ascii_lowercase();
    let site = json!({
        "id": format!("{name}-{region}"),
        "locationName": location,
        "documentEndpoint": format!("https://{name}-{region}.documents.azure.com:443/"),
        "provisioningState": "Succeeded",
        "failoverPriority": 0,
    });
    json!({
        "id": account.id,
        "name": account.account.name,
        "location": location,
        "type": ACCOUNT_TYPE,
        "kind": "GlobalDocumentDB",
        "tags": {},
        "properties": {
            "provisioningState": "Succeeded",
            "documentEndpoint": format!("https://{name}.documents.azure.com:443/"),
            "databaseAccountOfferType": "Standard",
            "consistencyPolicy": {"defaultConsistencyLevel": "Session", "maxIntervalInSeconds": 5, "maxStalenessPrefix": 100},
            "writeLocations": [site],
            "readLocations": [site],
            "locations": [site],
            "failoverPolicies": [{"id": format!("{name}-{region}"), "locationName": location, "failoverPriority": 0}],
            "enableFreeTier": false,
        },
    })
}

/// The shape of CosmosDBSqlRoleAssignmentGet.json.
pub fn assignment_json(assignment: &CosmosRoleAssignment) -> Value {
    json!({
        "id": assignment.id,
        "name": assignment.name,
        "type": ASSIGNMENT_TYPE,
        "properties": {
            "roleDefinitionId": assignment.role_definition_id,
            "scope": assignment.scope,
            "principalId": assignment.principal_id,
        },
    })
}

fn role_definitions(account: &AccountEntry, id: Option<&str>) -> Result<Reply, ArmError> {
    let definition = |(guid, name, data_actions): &(&str, &str, &[&str])| {
        json!({
            "id": format!("{}/sqlRoleDefinitions/{guid}", account.id),
            "name": guid,
            "type": DEFINITION_TYPE,
            "properties": {
                "roleName": name,
                "type": "BuiltInRole",
                "assignableScopes": [account.id],
                "permissions": [{ "dataActions": data_actions, "notDataActions": [] }],
            },
        })
    };
    match id {
        None => Ok(Reply::json(
            200,
            json!({ "value": BUILT_IN_ROLES.iter().map(definition).collect::<Vec<_>>() }),
        )),
        Some(id) => BUILT_IN_ROLES
            .iter()
            .find(|(guid, ..)| guid.eq_ignore_ascii_case(id))
            .map(|role| Reply::json(200, definition(role)))
            .ok_or_else(|| {
                ArmError::new(
                    404,
                    "NotFound",
                    format!("The Sql Role Definition with id '{id}' does not exist."),
                )
            }),
    }
}

/// `properties` of a PUT body: roleDefinitionId, scope and principalId, all required.
fn parse_body(request: &ArmRequest) -> Result<[String; 3], ArmError> {
    let body = request.json_body()?;
    let properties = body.get("properties").and_then(Value::as_object);
    let text = |member: &str| {
        properties
            .and_then(|properties| properties.get(member))
            .and_then(Value::as_str)
            .filter(|value| !value.is_empty())
            .map(str::to_string)
            .ok_or_else(|| {
                ArmError::bad_request(
                    "BadRequest",
                    format!("The SQL role assignment property '{member}' is required."),
                )
            })
    };
    Ok([
        text("roleDefinitionId")?,
        text("scope")?,
        text("principalId")?,
    ])
}

fn put(
    state: &mut AzureState,
    request: &ArmRequest,
    path: &AccountPath,
    id: &str,
) -> Result<Reply, ArmError> {
    let [role_definition_id, scope, principal_id] = parse_body(request)?;
    let delay = state.timings.cosmos_provisioning;
    // Cosmos DB looks the principal up while the operation runs, not before it accepts the
    // PUT: in RBAC's replication window the PUT is still 202 and the operation fails.
    let failure = state
        .principal_unknown(&principal_id, request.now)
        .then(|| principal_not_in_tenant(&principal_id, &state.tenant_id));
    let account = account_mut(state, path)?;
    if !scope_within(&scope, &account.id) {
        return Err(ArmError::bad_request(
            "BadRequest",
            format!(
                "The provided scope '{scope}' is not valid: it must be the database account, or a database or container in it."
            ),
        ));
    }
    let assignment = CosmosRoleAssignment {
        id: format!("{}/sqlRoleAssignments/{id}", account.id),
        name: id.to_string(),
        account_id: account.id.clone(),
        role_definition_id,
        scope,
        principal_id,
        provisioned: false,
    };
    let existing = account
        .assignments
        .iter()
        .position(|entry| entry.assignment.name.eq_ignore_ascii_case(id));
    if let Some(index) = existing {
        let entry = &account.assignments[index];
        let unchanged = CosmosRoleAssignment {
            id: entry.assignment.id.clone(),
            name: entry.assignment.name.clone(),
            provisioned: false,
            ..assignment.clone()
        };
        if entry.visible(request.now) && entry.assignment == unchanged {
            return Ok(Reply::json(200, assignment_json(&entry.assignment)));
        }
        account.assignments.remove(index);
    }
    let operation = randomness::uid();
    account.assignments.push(CosmosEntry {
        assignment,
        visible_at: request.now + delay,
        operation: operation.clone(),
        polled: false,
        failure,
    });
    let operations = format!(
        "{}/subscriptions/{}/providers/Microsoft.DocumentDB/locations/{}",
        request.base_url, path.subscription, account.account.location
    );
    let version = &request.api_version;
    Ok(Reply::empty(202)
        .with_header(
            HeaderName::from_static("azure-asyncoperation"),
            format!("{operations}/operationsStatus/{operation}?api-version={version}"),
        )
        .with_header(
            header::LOCATION,
            format!("{operations}/operationResults/{operation}?api-version={version}"),
        ))
}

/// A poll of a long-running PUT finishes it: the assignment is visible from then on. A failed
/// operation's status is still 200 — the status of reading the status — with `status: Failed`
/// and the error; its `Location` answers what the PUT would have answered synchronously
/// (Azure/azure-resource-manager-rpc, v1.0/async-api-reference.md).
fn poll(state: &mut AzureState, operation: &str, result: bool) -> Result<Reply, ArmError> {
    let entry = state
        .accounts
        .values_mut()
        .flat_map(|account| account.assignments.iter_mut())
        .find(|entry| entry.operation == operation)
        .ok_or_else(|| {
            ArmError::new(
                404,
                "NotFound",
                format!("The operation '{operation}' was not found."),
            )
        })?;
    entry.polled = true;
    if let Some(message) = &entry.failure {
        return match result {
            true => Err(ArmError::bad_request("BadRequest", message.clone())),
            false => Ok(Reply::json(
                200,
                json!({
                    "id": operation, "name": operation, "status": "Failed",
                    "error": { "code": "BadRequest", "message": message },
                }),
            )),
        };
    }
    match result {
        true => Ok(Reply::json(200, assignment_json(&entry.assignment))),
        false => Ok(Reply::json(
            200,
            json!({ "id": operation, "name": operation, "status": "Succeeded" }),
        )),
    }
}
