//! Cosmos DB data-plane role assignments (SQL RBAC, api-version 2025-10-15, azure.md §5), which
//! the portal cannot make: built-in roles by name, deterministic assignment GUIDs, and the
//! long-running PUT (202 Accepted) polled until the assignment reads back.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::azure::arm::ArmClient;
use crate::azure::error::AzureError;
use crate::azure::roles::{AssignmentOutcome, PrincipalWait, assignment_name};
use crate::profile::{CosmosAccountId, RoleName};

pub const COSMOS_API_VERSION: &str = "2025-10-15";

/// The built-in data-plane roles (learn.microsoft.com …/reference-data-plane-roles).
pub const BUILT_IN_ROLES: [(&str, &str); 2] = [
    (
        "Cosmos DB Built-in Data Reader",
        "00000000-0000-0000-0000-000000000001",
    ),
    (
        "Cosmos DB Built-in Data Contributor",
        "00000000-0000-0000-0000-000000000002",
    ),
];

pub use crate::azure::arm::PollPolicy;

/// The full id of the SQL role definition `role` names on `account`: a built-in by its name,
/// any role by its GUID, else a custom role looked up by `roleName`.
pub async fn find_sql_role_definition(
    arm: &ArmClient,
    account: &CosmosAccountId,
    role: &RoleName,
) -> Result<String, AzureError> {
    let definition_id = |guid: &str| format!("{}/sqlRoleDefinitions/{guid}", account.as_str());
    if let Some((_, guid)) = BUILT_IN_ROLES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(role.as_str()))
    {
        return Ok(definition_id(guid));
    }
    if let Ok(guid) = Uuid::try_parse(role.as_str()) {
        return Ok(definition_id(&guid.to_string()));
    }
    let operation = format!(
        "looking up Cosmos DB role {role:?} on {}",
        account.account()
    );
    let path = format!("{}/sqlRoleDefinitions", account.as_str());
    let definitions = arm
        .list(&operation, &path, COSMOS_API_VERSION, None)
        .await?;
    definitions
        .iter()
        .find(|value| value["properties"]["roleName"].as_str() == Some(role.as_str()))
        .and_then(|value| value["id"].as_str())
        .map(str::to_string)
        .ok_or_else(|| {
            AzureError::http(
                operation,
                404,
                Some("RoleDefinitionNotFound".to_string()),
                format!(
                    "account {} has no data-plane role named {:?}; the built-in ones are \"{}\" and \"{}\"",
                    account.account(),
                    role.as_str(),
                    BUILT_IN_ROLES[0].0,
                    BUILT_IN_ROLES[1].0
                ),
            )
        })
}

fn last_segment(id: &str) -> String {
    id.rsplit('/').next().unwrap_or(id).to_ascii_lowercase()
}

/// Whether `value` assigns the role to the principal on the whole account.
fn assigns(
    value: &Value,
    account: &CosmosAccountId,
    principal_id: Uuid,
    role_definition_id: &str,
) -> bool {
    let properties = &value["properties"];
    properties["principalId"]
        .as_str()
        .is_some_and(|found| found.eq_ignore_ascii_case(&principal_id.to_string()))
        && properties["roleDefinitionId"]
            .as_str()
            .is_some_and(|found| last_segment(found) == last_segment(role_definition_id))
        && properties["scope"].as_str().is_none_or(|found| {
            found
                .trim_end_matches('/')
                .eq_ignore_ascii_case(account.as_str())
        })
}

fn assignment_path(
    account: &CosmosAccountId,
    principal_id: Uuid,
    role_definition_id: &str,
) -> String {
    let name = assignment_name(
        account.as_str(),
        principal_id,
        &last_segment(role_definition_id),
    );
    format!("{}/sqlRoleAssignments/{name}", account.as_str())
}

/// The assignment's id under kwif's own deterministic name: one kwif made. Removal deletes
/// only these, never one the user made with another name.
pub async fn find_own_sql_role_assignment(
    arm: &ArmClient,
    account: &CosmosAccountId,
    principal_id: Uuid,
    role_definition_id: &str,
) -> Result<Option<String>, AzureError> {
    let operation = format!(
        "reading the Cosmos DB data-plane roles of {}",
        account.account()
    );
    let path = assignment_path(account, principal_id, role_definition_id);
    let found = arm.get(&operation, &path, COSMOS_API_VERSION).await?;
    Ok(found
        .filter(|found| assigns(found, account, principal_id, role_definition_id))
        .map(|found| found["id"].as_str().unwrap_or(&path).to_string()))
}

/// The assignment's id when the principal has the role on the account, under any name.
pub async fn find_sql_role_assignment(
    arm: &ArmClient,
    account: &CosmosAccountId,
    principal_id: Uuid,
    role_definition_id: &str,
) -> Result<Option<String>, AzureError> {
    if let Some(own) =
        find_own_sql_role_assignment(arm, account, principal_id, role_definition_id).await?
    {
        return Ok(Some(own));
    }
    let operation = format!(
        "reading the Cosmos DB data-plane roles of {}",
        account.account()
    );
    let listed = arm
        .list(
            &operation,
            &format!("{}/sqlRoleAssignments", account.as_str()),
            COSMOS_API_VERSION,
            None,
        )
        .await?;
    Ok(listed
        .iter()
        .find(|value| assigns(value, account, principal_id, role_definition_id))
        .and_then(|value| value["id"].as_str())
        .map(str::to_string))
}

/// Assigns the data-plane role on the whole account; an accepted (202) write is polled until
/// the assignment reads back.
pub async fn create_sql_role_assignment(
    arm: &ArmClient,
    account: &CosmosAccountId,
    principal_id: Uuid,
    role_definition_id: &str,
    wait: &PrincipalWait,
    poll: &PollPolicy,
) -> Result<AssignmentOutcome, AzureError> {
    let operation = format!(
        "assigning a Cosmos DB data-plane role on {}",
        account.account()
    );
    let path = assignment_path(account, principal_id, role_definition_id);
    let body = json!({"properties": {
        "roleDefinitionId": role_definition_id,
        "scope": account.as_str(),
        "principalId": principal_id.to_string(),
    }});
    // A principal that has not replicated is refused either at once (PrincipalNotFound) or,
    // by Cosmos DB, after accepting the write: its operation then fails with BadRequest. Both
    // are retried with the same write in the same window (azure.md §4).
    let target = Target {
        path: &path,
        account,
        principal_id,
        role_definition_id,
    };
    let started = tokio::time::Instant::now();
    let mut delay = wait.initial_delay;
    loop {
        match write_sql_role_assignment(arm, &operation, &target, &body, poll).await {
            Err(error) if error.is_principal_not_replicated() => {
                if !wait.pause(started, &mut delay).await {
                    return Err(error);
                }
            }
            other => return other,
        }
    }
}

/// The assignment a write makes: where it lives and what it grants.
struct Target<'a> {
    path: &'a str,
    account: &'a CosmosAccountId,
    principal_id: Uuid,
    role_definition_id: &'a str,
}

/// One PUT of the assignment and, when Azure accepts it (202), its operation followed to the
/// end: the write's own outcome.
async fn write_sql_role_assignment(
    arm: &ArmClient,
    operation: &str,
    target: &Target<'_>,
    body: &serde_json::Value,
    poll: &PollPolicy,
) -> Result<AssignmentOutcome, AzureError> {
    let answer = arm
        .put(operation, target.path, COSMOS_API_VERSION, body)
        .await?;
    if answer.status != 202 {
        return Ok(if answer.status == 201 {
            AssignmentOutcome::Created
        } else {
            AssignmentOutcome::AlreadyExisted
        });
    }
    let deadline = tokio::time::Instant::now() + poll.timeout;
    let mut interval = answer.retry_after.unwrap_or(poll.interval);
    loop {
        tokio::time::sleep(interval.min(poll.timeout)).await;
        if finished(arm, operation, target, answer.async_operation.as_deref()).await? {
            return Ok(AssignmentOutcome::Created);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(AzureError::Unexpected {
                operation: operation.to_string(),
                message: format!(
                    "Azure accepted the assignment but it did not finish within {}s; rerun to check",
                    poll.timeout.as_secs()
                ),
            });
        }
        interval = poll.interval;
    }
}

/// Whether an accepted assignment is done: its `Azure-AsyncOperation` status when Azure gave
/// one (`Succeeded`; `Failed` or `Canceled` end in an error), else whether it reads back.
async fn finished(
    arm: &ArmClient,
    operation: &str,
    target: &Target<'_>,
    async_operation: Option<&str>,
) -> Result<bool, AzureError> {
    if let Some(url) = async_operation {
        let status = arm.get_url(operation, url).await?.body;
        return match status["status"].as_str().unwrap_or_default() {
            "Succeeded" => Ok(true),
            "Failed" | "Canceled" => Err(AzureError::OperationFailed {
                operation: operation.to_string(),
                code: status["error"]["code"].as_str().map(str::to_string),
                // Cosmos DB appends "\r\nActivityId: …" and its build: the first line says it.
                message: status["error"]["message"]
                    .as_str()
                    .and_then(|message| message.lines().next())
                    .unwrap_or("the operation failed")
                    .to_string(),
            }),
            _ => Ok(false),
        };
    }
    Ok(arm
        .get(operation, target.path, COSMOS_API_VERSION)
        .await?
        .is_some_and(|found| {
            assigns(
                &found,
                target.account,
                target.principal_id,
                target.role_definition_id,
            )
        }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_roles_resolve_by_name_without_a_call() {
        let account = CosmosAccountId::parse(
            "/subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/resourceGroups/rg/providers/Microsoft.DocumentDB/databaseAccounts/cosmos1",
        )
        .unwrap();
        let path = assignment_path(
            &account,
            Uuid::from_u128(5),
            &format!("{account}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002"),
        );
        assert!(
            path.starts_with(&format!("{account}/sqlRoleAssignments/")),
            "{path}"
        );
        let same = assignment_path(
            &account,
            Uuid::from_u128(5),
            "00000000-0000-0000-0000-000000000002",
        );
        assert_eq!(
            path, same,
            "the name depends on the role's GUID, not on how its id is written"
        );
    }
}
