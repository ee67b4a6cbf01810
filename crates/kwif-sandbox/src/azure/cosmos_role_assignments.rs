//! Cosmos DB data-plane (SQL) role assignments (azure.md §5): PUT is long-running — 202 with
//! an empty body and an `Azure-AsyncOperation` header — and the assignment shows on GET once
//! its operation is polled or a short delay has passed. Also the account and built-in roles.

use http::{HeaderName, Method, header};
use serde_json::{Value, json};

use super::arm_error::ArmError;
use super::arm_path::{AccountPath, ArmTarget, scope_within};
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
            let before = account.assignments.len();
            account
                .assignments
                .retain(|entry| !entry.assignment.name.eq_ignore_ascii_case(id));
            Ok(Reply::empty(if account.assignments.len() < before {
                200
            } else {
                204
            }))
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

fn assignment_not_found(id: &str) -> ArmError {
    // Unverified wording of the provider's message.
    ArmError::new(
        404,
        "NotFound",
        format!("The Sql Role Assignment with id '{id}' does not exist."),
    )
}

fn account_json(account: &AccountEntry) -> Value {
    json!({
        "id": account.id,
        "name": account.account.name,
        "type": ACCOUNT_TYPE,
        "location": account.account.location,
        "kind": "GlobalDocumentDB",
        "properties": {
            "provisioningState": "Succeeded",
            "documentEndpoint": format!("https://{}.documents.azure.com:443/", account.account.name.to_ascii_lowercase()),
            "databaseAccountOfferType": "Standard",
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

/// A poll of a long-running PUT finishes it: the assignment is visible from then on.
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
    match result {
        true => Ok(Reply::json(200, assignment_json(&entry.assignment))),
        false => Ok(Reply::json(
            200,
            json!({ "id": operation, "name": operation, "status": "Succeeded" }),
        )),
    }
}
