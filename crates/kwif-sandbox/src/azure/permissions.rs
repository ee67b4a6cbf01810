//! Microsoft.Authorization permissions: what the caller may do at a scope, one permission block
//! per role assignment of the caller (the `oid` of its token) at that scope or above it, once the
//! assignment has propagated. It reads role assignments and never changes them.

use http::Method;
use serde_json::Value;

use super::arm_error::ArmError;
use super::arm_path::{ArmTarget, Scope, scope_within};
use super::reply::Reply;
use super::resource_manager::{ArmRequest, require_resource_group};
use super::role_definitions;
use super::state::AzureState;

/// `GET {scope}/providers/Microsoft.Authorization/permissions`: 200 `{"value":[…]}`, empty for
/// a caller without assignments. A resource group in the scope must exist; a resource below it
/// need not, since Microsoft.Authorization answers from assignments, not from the resource.
pub fn handle(state: &AzureState, request: &ArmRequest) -> Result<Reply, ArmError> {
    let ArmTarget::Permissions { scope } = &request.target else {
        return Err(ArmError::unknown_resource_type(request.path));
    };
    if request.method != Method::GET {
        return Err(ArmError::method_not_allowed(request.method.as_str()));
    }
    if let Some(resource_group) = &scope.resource_group {
        require_resource_group(state, resource_group)?;
    }
    let value = principal_permissions(state, request, scope, &request.caller);
    request.page(value, state.page_size, false)
}

/// One block per effective assignment of the principal at the scope or above it, in creation
/// order. An assignment of a role the sandbox does not know grants nothing it could describe.
fn principal_permissions(
    state: &AzureState,
    request: &ArmRequest,
    scope: &Scope,
    principal_id: &str,
) -> Vec<Value> {
    state
        .role_assignments
        .iter()
        .filter(|assignment| assignment.principal_id.eq_ignore_ascii_case(principal_id))
        .filter(|assignment| scope_within(&scope.text, &assignment.scope))
        .filter(|assignment| state.role_assignment_effective(assignment, request.now))
        .filter_map(|assignment| {
            role_definitions::permission_json(state, &assignment.role_definition_id)
        })
        .collect()
}
