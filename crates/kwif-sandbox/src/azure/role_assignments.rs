//! Azure RBAC role assignments (azure.md §4): PUT with ARM's real answers — 201, 200 for the
//! same body again, 409 `RoleAssignmentExists`, 400 `PrincipalNotFound` while a new principal
//! replicates, 400 `RoleAssignmentUpdateNotPermitted` — plus GET, DELETE and list for a scope.

use http::Method;
use serde_json::{Value, json};

use super::arm_error::ArmError;
use super::arm_path::{ArmTarget, Scope, query_param, scope_within};
use super::reply::Reply;
use super::resource_manager::{ArmRequest, require_resource_group};
use super::state::{AzureState, RoleAssignment};

const RESOURCE_TYPE: &str = "Microsoft.Authorization/roleAssignments";
const PRINCIPAL_TYPES: &[&str] = &[
    "User",
    "Group",
    "ServicePrincipal",
    "ForeignGroup",
    "Device",
];

pub fn handle(state: &mut AzureState, request: &ArmRequest) -> Result<Reply, ArmError> {
    let ArmTarget::RoleAssignments { scope, name } = &request.target else {
        return Err(ArmError::unknown_resource_type(request.path));
    };
    if let Some(resource_group) = &scope.resource_group {
        require_resource_group(state, resource_group)?;
    }
    match (request.method, name) {
        (&Method::PUT, Some(name)) => put(state, request, scope, name),
        (&Method::GET, Some(name)) => find(state, scope, name)
            .map(|assignment| Reply::json(200, assignment_json(assignment)))
            .ok_or_else(|| not_found(name)),
        (&Method::DELETE, Some(name)) => Ok(delete(state, scope, name)),
        (&Method::GET, None) => Ok(list(state, request, scope)),
        (method, _) => Err(ArmError::method_not_allowed(method.as_str())),
    }
}

fn not_found(name: &str) -> ArmError {
    ArmError::new(
        404,
        "RoleAssignmentNotFound",
        format!("The role assignment '{name}' is not found."),
    )
}

fn find<'s>(state: &'s AzureState, scope: &Scope, name: &str) -> Option<&'s RoleAssignment> {
    state.role_assignments.iter().find(|assignment| {
        assignment.name.eq_ignore_ascii_case(name) && scope.same_as(&assignment.scope)
    })
}

pub fn assignment_json(assignment: &RoleAssignment) -> Value {
    json!({
        "properties": {
            "roleDefinitionId": assignment.role_definition_id,
            "principalId": assignment.principal_id,
            "principalType": assignment.principal_type,
            "scope": assignment.scope,
        },
        "id": assignment.id,
        "type": RESOURCE_TYPE,
        "name": assignment.name,
    })
}

/// The GUID at the end of `/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}`
/// (or the tenant-level `/providers/…` form).
fn role_definition_guid(role_definition_id: &str) -> Option<String> {
    let segments: Vec<&str> = role_definition_id
        .split('/')
        .filter(|segment| !segment.is_empty())
        .collect();
    let tail = match segments.as_slice() {
        [s, _, rest @ ..] if s.eq_ignore_ascii_case("subscriptions") => rest,
        rest => rest,
    };
    match tail {
        [p, namespace, kind, guid]
            if p.eq_ignore_ascii_case("providers")
                && namespace.eq_ignore_ascii_case("Microsoft.Authorization")
                && kind.eq_ignore_ascii_case("roleDefinitions")
                && uuid::Uuid::parse_str(guid).is_ok() =>
        {
            Some(guid.to_ascii_lowercase())
        }
        _ => None,
    }
}

/// The properties of a PUT body.
struct AssignmentBody {
    role_definition_id: String,
    role_guid: String,
    principal_id: String,
    principal_type: Option<String>,
}

fn parse_body(request: &ArmRequest) -> Result<AssignmentBody, ArmError> {
    let body = request.json_body()?;
    let Some(Value::Object(properties)) = body.get("properties") else {
        return Err(ArmError::invalid_request_content(
            "Required property 'properties' not found in JSON",
        ));
    };
    let text = |member: &str| {
        properties
            .get(member)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let role_definition_id = text("roleDefinitionId").ok_or_else(|| {
        ArmError::invalid_request_content("Required property 'roleDefinitionId' not found in JSON")
    })?;
    let role_guid = role_definition_guid(&role_definition_id).ok_or_else(|| {
        ArmError::bad_request(
            "InvalidRoleDefinitionId",
            format!("The role definition ID '{role_definition_id}' is not valid."),
        )
    })?;
    let principal_id = text("principalId")
        .filter(|id| uuid::Uuid::parse_str(id).is_ok())
        .ok_or_else(|| {
            ArmError::bad_request(
                "InvalidPrincipalId",
                "A valid principal ID must be provided for role assignment.",
            )
        })?;
    let principal_type = match properties.get("principalType") {
        None | Some(Value::Null) => None,
        Some(Value::String(kind)) if PRINCIPAL_TYPES.contains(&kind.as_str()) => Some(kind.clone()),
        Some(other) => {
            return Err(ArmError::invalid_request_content(&format!(
                "Error converting value {other} to type 'PrincipalType'"
            )));
        }
    };
    Ok(AssignmentBody {
        role_definition_id,
        role_guid,
        principal_id,
        principal_type,
    })
}

fn put(
    state: &mut AzureState,
    request: &ArmRequest,
    scope: &Scope,
    name: &str,
) -> Result<Reply, ArmError> {
    if uuid::Uuid::parse_str(name).is_err() {
        return Err(ArmError::bad_request(
            "InvalidRoleAssignmentId",
            format!(
                "The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID."
            ),
        ));
    }
    let body = parse_body(request)?;
    if state.principal_unknown(&body.principal_id, request.now) {
        // Even with principalType set: replication can still lag (azure.md §4, AgentBaker PR #8251).
        return Err(ArmError::bad_request(
            "PrincipalNotFound",
            format!(
                "Principal {} does not exist in the directory {}. Check that you have the correct principal ID. If you \
                 are creating this principal and then immediately assigning a role, this error might be related to a \
                 replication delay. In this case, set the role assignment principalType property to a value, such as \
                 ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype",
                body.principal_id.replace('-', ""),
                state.tenant_id
            ),
        ));
    }
    let same = |assignment: &RoleAssignment| {
        assignment
            .principal_id
            .eq_ignore_ascii_case(&body.principal_id)
            && role_definition_guid(&assignment.role_definition_id).as_deref()
                == Some(body.role_guid.as_str())
            && scope.same_as(&assignment.scope)
    };
    if let Some(existing) = state
        .role_assignments
        .iter()
        .find(|assignment| assignment.name.eq_ignore_ascii_case(name))
    {
        return match same(existing) {
            true => Ok(Reply::json(200, assignment_json(existing))),
            false => Err(ArmError::bad_request(
                "RoleAssignmentUpdateNotPermitted",
                "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
            )),
        };
    }
    if state.role_assignments.iter().any(same) {
        return Err(ArmError::new(
            409,
            "RoleAssignmentExists",
            "The role assignment already exists.",
        ));
    }
    let principal_type = body.principal_type.unwrap_or_else(|| {
        match state.is_service_principal(&body.principal_id) {
            true => "ServicePrincipal".to_string(),
            false => "User".to_string(),
        }
    });
    let assignment = RoleAssignment {
        id: format!(
            "{}/providers/{RESOURCE_TYPE}/{name}",
            scope.text.trim_end_matches('/')
        ),
        name: name.to_string(),
        scope: scope.text.clone(),
        role_definition_id: body.role_definition_id,
        principal_id: body.principal_id,
        principal_type,
    };
    let reply = Reply::json(201, assignment_json(&assignment));
    state.add_role_assignment(assignment, Some(request.now));
    Ok(reply)
}

/// 200 with the deleted assignment, or 204 when there was none.
fn delete(state: &mut AzureState, scope: &Scope, name: &str) -> Reply {
    let position = state.role_assignments.iter().position(|assignment| {
        assignment.name.eq_ignore_ascii_case(name) && scope.same_as(&assignment.scope)
    });
    match position {
        Some(index) => Reply::json(200, assignment_json(&state.remove_role_assignment(index))),
        None => Reply::empty(204),
    }
}

/// Assignments at, above and below the scope; `$filter=atScope()` keeps those at or above,
/// `principalId eq '…'` those of one principal (both may be combined with `and`).
fn list(state: &AzureState, request: &ArmRequest, scope: &Scope) -> Reply {
    let filter = query_param(request.query, "$filter").unwrap_or_default();
    let at_scope = filter.to_ascii_lowercase().contains("atscope()");
    let principal = principal_filter(&filter);
    let value: Vec<Value> = state
        .role_assignments
        .iter()
        .filter(|assignment| {
            let above = scope_within(&scope.text, &assignment.scope);
            let below = scope_within(&assignment.scope, &scope.text);
            above || (below && !at_scope)
        })
        .filter(|assignment| {
            principal
                .as_deref()
                .is_none_or(|id| assignment.principal_id.eq_ignore_ascii_case(id))
        })
        .map(assignment_json)
        .collect();
    Reply::json(200, json!({ "value": value }))
}

fn principal_filter(filter: &str) -> Option<String> {
    let lower = filter.to_ascii_lowercase();
    let start = lower.find("principalid eq '")? + "principalid eq '".len();
    let rest = &filter[start..];
    rest.find('\'').map(|end| rest[..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_definition_ids_come_in_two_forms() {
        let guid = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
        let subscription_form =
            format!("/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/{guid}");
        assert_eq!(
            role_definition_guid(&subscription_form).as_deref(),
            Some(guid)
        );
        let tenant_form = format!(
            "/providers/Microsoft.Authorization/roleDefinitions/{}",
            guid.to_uppercase()
        );
        assert_eq!(role_definition_guid(&tenant_form).as_deref(), Some(guid));
        assert_eq!(role_definition_guid("Storage Blob Data Reader"), None);
    }

    #[test]
    fn principal_filters_are_read() {
        assert_eq!(
            principal_filter("atScope() and principalId eq 'abc'").as_deref(),
            Some("abc")
        );
        assert_eq!(principal_filter("atScope()"), None);
    }
}
