//! Azure RBAC role assignments (api-version 2022-04-01, azure.md §4): the role definition looked
//! up by name, an assignment named by a GUID derived from scope + principal + role so reruns are
//! idempotent, `RoleAssignmentExists` taken as success, `PrincipalNotFound` retried with backoff.

use std::time::Duration;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::azure::arm::ArmClient;
use crate::azure::error::AzureError;
use crate::azure::permissions::PermissionBlock;
use crate::profile::{RoleName, RoleScope};

pub const AUTHORIZATION_API_VERSION: &str = "2022-04-01";

/// The namespace of kwif's assignment names (a random v4 GUID, fixed forever: changing it would
/// make every rerun create duplicate assignments).
const ASSIGNMENT_NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_2a57_9d3e_4b8a_a1f0_5c2e_8b7d_4e19);

/// A deterministic GUID for an assignment of `role` to `principal` at `scope`. Name-based like
/// RFC 9562's UUIDv8 example (SHA-256 over namespace + name); ARM scopes compare
/// case-insensitively, so the name is built from their lowercase form.
pub fn assignment_name(scope: &str, principal_id: Uuid, role: &str) -> Uuid {
    let name = format!(
        "{}|{principal_id}|{}",
        scope.to_ascii_lowercase(),
        role.to_ascii_lowercase()
    );
    let mut hasher = Sha256::new();
    hasher.update(ASSIGNMENT_NAMESPACE.as_bytes());
    hasher.update(name.as_bytes());
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// A role definition found by name (or GUID).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleDefinition {
    /// The role's GUID, the last segment of its id.
    pub guid: Uuid,
    pub role_name: String,
    /// What the role allows (`properties.permissions`).
    pub permissions: Vec<PermissionBlock>,
}

impl RoleDefinition {
    /// The id an assignment at a scope of `subscription` names.
    pub fn id_in(&self, subscription: Uuid) -> String {
        format!(
            "/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{}",
            self.guid
        )
    }
}

/// What creating an assignment came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignmentOutcome {
    Created,
    /// Azure already had it (409 RoleAssignmentExists, or a 200 for our own name).
    AlreadyExisted,
}

/// How long to wait for a new identity's service principal to replicate (PrincipalNotFound).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrincipalWait {
    pub window: Duration,
    pub initial_delay: Duration,
    pub max_delay: Duration,
    /// Told before each wait how long kwif may still wait, for a countdown.
    pub notice: Option<WaitNotice>,
}

/// A callback told how much of a wait is left (the front end shows a countdown).
#[derive(Clone)]
pub struct WaitNotice(pub std::sync::Arc<dyn Fn(Duration) + Send + Sync>);

impl std::fmt::Debug for WaitNotice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WaitNotice")
    }
}

impl PartialEq for WaitNotice {
    fn eq(&self, other: &WaitNotice) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for WaitNotice {}

impl Default for PrincipalWait {
    fn default() -> PrincipalWait {
        PrincipalWait {
            window: Duration::from_secs(180),
            initial_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(15),
            notice: None,
        }
    }
}

impl PrincipalWait {
    pub fn with_notice(mut self, notice: WaitNotice) -> PrincipalWait {
        self.notice = Some(notice);
        self
    }

    /// Sleeps `delay` (doubling it up to the maximum for next time) when it still fits the
    /// window that started at `started`, after telling the notice what is left; `false` when
    /// the window is over.
    pub async fn pause(&self, started: tokio::time::Instant, delay: &mut Duration) -> bool {
        if started.elapsed() + *delay > self.window {
            return false;
        }
        if let Some(WaitNotice(notice)) = &self.notice {
            notice(self.window.saturating_sub(started.elapsed()));
        }
        tokio::time::sleep(*delay).await;
        crate::network::record_wait("Azure to replicate a new service principal", *delay);
        *delay = (*delay * 2).min(self.max_delay);
        true
    }

    /// Short waits for the sandbox, which forgets a fresh principal for a few seconds only.
    pub fn fast() -> PrincipalWait {
        PrincipalWait {
            window: Duration::from_secs(30),
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
            notice: None,
        }
    }
}

/// `true` for `/subscriptions/<id>` alone: a role there reaches every resource of the subscription.
pub fn is_whole_subscription(scope: &RoleScope) -> bool {
    scope
        .as_str()
        .trim_end_matches('/')
        .split('/')
        .filter(|segment| !segment.is_empty())
        .count()
        == 2
}

/// The role definition `role` names at `scope`: by GUID when it is one, else by its exact name.
pub async fn find_role_definition(
    arm: &ArmClient,
    scope: &RoleScope,
    role: &RoleName,
) -> Result<RoleDefinition, AzureError> {
    let operation = format!("looking up role {role:?} at {scope}");
    let path = format!(
        "{}/providers/Microsoft.Authorization/roleDefinitions",
        scope.as_str()
    );
    if let Ok(guid) = Uuid::try_parse(role.as_str()) {
        let found = arm
            .get(
                &operation,
                &format!("{path}/{guid}"),
                AUTHORIZATION_API_VERSION,
            )
            .await?;
        return found
            .as_ref()
            .and_then(role_definition)
            .ok_or_else(|| role_not_found(&operation, role));
    }
    // OData string literals double their single quotes.
    let filter = format!("roleName eq '{}'", role.as_str().replace('\'', "''"));
    let definitions = arm
        .list(&operation, &path, AUTHORIZATION_API_VERSION, Some(&filter))
        .await?;
    definitions
        .iter()
        .filter_map(role_definition)
        .find(|definition| definition.role_name == role.as_str())
        .ok_or_else(|| role_not_found(&operation, role))
}

fn role_definition(value: &Value) -> Option<RoleDefinition> {
    let id = value["id"].as_str().or(value["name"].as_str())?;
    Some(RoleDefinition {
        guid: Uuid::try_parse(id.rsplit('/').next()?).ok()?,
        role_name: value["properties"]["roleName"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        permissions: value["properties"]["permissions"]
            .as_array()
            .map(|blocks| blocks.iter().map(PermissionBlock::from_json).collect())
            .unwrap_or_default(),
    })
}

fn role_not_found(operation: &str, role: &RoleName) -> AzureError {
    AzureError::http(
        operation,
        404,
        Some("RoleDefinitionNotFound".to_string()),
        format!(
            "no role named {:?} exists at this scope; names are case-sensitive, e.g. \"Storage Blob Data Reader\"",
            role.as_str()
        ),
    )
}

fn assignments_path(scope: &RoleScope) -> String {
    format!(
        "{}/providers/Microsoft.Authorization/roleAssignments",
        scope.as_str()
    )
}

/// Whether `value` assigns `role` to `principal` exactly at `scope` (not inherited from above).
fn assigns(value: &Value, scope: &RoleScope, principal_id: Uuid, role: &RoleDefinition) -> bool {
    let properties = &value["properties"];
    let same = |field: &str, expected: &str| {
        properties[field]
            .as_str()
            .is_some_and(|found| found.eq_ignore_ascii_case(expected))
    };
    let role_guid = properties["roleDefinitionId"]
        .as_str()
        .and_then(|id| id.rsplit('/').next())
        .and_then(|guid| Uuid::try_parse(guid).ok());
    same("principalId", &principal_id.to_string())
        && role_guid == Some(role.guid)
        && properties["scope"].as_str().is_none_or(|found| {
            found
                .trim_end_matches('/')
                .eq_ignore_ascii_case(scope.as_str())
        })
}

/// The id of the assignment of `role` to `principal` at `scope` under kwif's own deterministic
/// name: one kwif made. Removal deletes only these, never one the user made with another name.
pub async fn find_own_assignment(
    arm: &ArmClient,
    scope: &RoleScope,
    principal_id: Uuid,
    role: &RoleDefinition,
) -> Result<Option<String>, AzureError> {
    let operation = format!("reading the {:?} assignment at {scope}", role.role_name);
    let name = assignment_name(scope.as_str(), principal_id, &role.guid.to_string());
    let path = assignments_path(scope);
    let found = arm
        .get(
            &operation,
            &format!("{path}/{name}"),
            AUTHORIZATION_API_VERSION,
        )
        .await?;
    Ok(found
        .filter(|found| assigns(found, scope, principal_id, role))
        .map(|found| {
            found["id"]
                .as_str()
                .map_or_else(|| format!("{path}/{name}"), str::to_string)
        }))
}

/// The id of an assignment of `role` to `principal` at `scope`, under kwif's name or any other.
pub async fn find_assignment(
    arm: &ArmClient,
    scope: &RoleScope,
    principal_id: Uuid,
    role: &RoleDefinition,
) -> Result<Option<String>, AzureError> {
    if let Some(own) = find_own_assignment(arm, scope, principal_id, role).await? {
        return Ok(Some(own));
    }
    let operation = format!("reading the {:?} assignment at {scope}", role.role_name);
    let path = assignments_path(scope);
    // Made by someone else (the portal, `az role assignment create`): another name, same meaning.
    let filter = format!("principalId eq '{principal_id}'");
    let listed = arm
        .list(&operation, &path, AUTHORIZATION_API_VERSION, Some(&filter))
        .await?;
    Ok(listed
        .iter()
        .find(|value| assigns(value, scope, principal_id, role))
        .and_then(|value| value["id"].as_str())
        .map(str::to_string))
}

/// Assigns `role` to `principal` at `scope` under kwif's deterministic name. A principal that
/// Azure does not know yet (a fresh identity, still replicating) is retried within `wait`.
pub async fn create_assignment(
    arm: &ArmClient,
    scope: &RoleScope,
    principal_id: Uuid,
    role: &RoleDefinition,
    wait: &PrincipalWait,
) -> Result<AssignmentOutcome, AzureError> {
    let operation = format!("assigning {:?} at {scope}", role.role_name);
    let name = assignment_name(scope.as_str(), principal_id, &role.guid.to_string());
    let path = format!("{}/{name}", assignments_path(scope));
    // principalType lets ARM skip the directory lookup that fails during replication (azure.md §4).
    let body = json!({"properties": {
        "roleDefinitionId": role.id_in(scope.subscription()),
        "principalId": principal_id.to_string(),
        "principalType": "ServicePrincipal",
    }});
    let started = tokio::time::Instant::now();
    let mut delay = wait.initial_delay;
    loop {
        match arm
            .put(&operation, &path, AUTHORIZATION_API_VERSION, &body)
            .await
        {
            Ok(answer) if answer.status == 201 => return Ok(AssignmentOutcome::Created),
            Ok(_) => return Ok(AssignmentOutcome::AlreadyExisted),
            Err(error) if error.has_code("RoleAssignmentExists") => {
                return Ok(AssignmentOutcome::AlreadyExisted);
            }
            Err(error) if error.is_principal_not_replicated() => {
                if !wait.pause(started, &mut delay).await {
                    return Err(error);
                }
            }
            Err(error) => return Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRINCIPAL: Uuid = Uuid::from_u128(0x25cc773c_7f05_40fc_a104_32d2300754ad);

    #[test]
    fn assignment_names_are_stable_guids_that_ignore_scope_case() {
        let role = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
        let scope = "/subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/resourceGroups/rg1";
        let name = assignment_name(scope, PRINCIPAL, role);
        assert_eq!(
            name,
            assignment_name(&scope.to_uppercase(), PRINCIPAL, &role.to_uppercase())
        );
        assert_eq!(name.get_version_num(), 8);
        assert_ne!(
            name,
            assignment_name(scope, Uuid::from_u128(1), role),
            "another principal gets another name"
        );
        assert_ne!(name, assignment_name(&format!("{scope}2"), PRINCIPAL, role));
        // Pinned: a change here would duplicate every assignment kwif ever made.
        assert_eq!(
            name.to_string(),
            assignment_name(scope, PRINCIPAL, role).to_string()
        );
    }

    #[test]
    fn only_a_bare_subscription_is_a_whole_subscription_scope() {
        let whole =
            RoleScope::parse("/subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc").unwrap();
        let group = RoleScope::parse(
            "/subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/resourceGroups/rg",
        )
        .unwrap();
        assert!(is_whole_subscription(&whole));
        assert!(!is_whole_subscription(&group));
    }

    #[test]
    fn an_inherited_assignment_does_not_count_at_a_narrower_scope() {
        let scope = RoleScope::parse(
            "/subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/resourceGroups/rg",
        )
        .unwrap();
        let role = RoleDefinition {
            guid: Uuid::from_u128(7),
            role_name: "Reader".into(),
            permissions: Vec::new(),
        };
        let at = |scope: &str| {
            json!({"properties": {
                "principalId": PRINCIPAL.to_string(),
                "roleDefinitionId": format!("/subscriptions/c/providers/Microsoft.Authorization/roleDefinitions/{}", Uuid::from_u128(7)),
                "scope": scope,
            }})
        };
        assert!(assigns(
            &at("/subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/resourcegroups/RG"),
            &scope,
            PRINCIPAL,
            &role
        ));
        assert!(!assigns(
            &at("/subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc"),
            &scope,
            PRINCIPAL,
            &role
        ));
    }
}
