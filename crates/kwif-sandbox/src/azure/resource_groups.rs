//! Microsoft.Resources resource groups: create, read, probe and list them (ResourceGroups_List
//! pages with `nextLink` and takes `$top`), because everything else in the sandbox lives in a
//! resource group that must exist.

use http::Method;
use serde_json::{Value, json};

use super::arm_error::ArmError;
use super::arm_path::ArmTarget;
use super::reply::Reply;
use super::resource_manager::{ArmRequest, normalise_location};
use super::state::AzureState;

pub fn handle(state: &mut AzureState, request: &ArmRequest) -> Result<Reply, ArmError> {
    if let ArmTarget::ResourceGroupList { .. } = &request.target {
        if request.method != Method::GET {
            return Err(ArmError::method_not_allowed(request.method.as_str()));
        }
        // Ordered by name; `$filter` (tag filters) is not served and selects everything.
        let value: Vec<Value> = state
            .resource_groups
            .values()
            .map(|entry| body(&state.subscription_id, &entry.name, &entry.location))
            .collect();
        return request.page(value, state.page_size, true);
    }
    let ArmTarget::ResourceGroup { resource_group, .. } = &request.target else {
        return Err(ArmError::unknown_resource_type(request.path));
    };
    match *request.method {
        Method::PUT => put(state, request, resource_group),
        Method::GET => match state.resource_group(resource_group) {
            Some(entry) => Ok(Reply::json(
                200,
                body(&state.subscription_id, &entry.name, &entry.location),
            )),
            None => Err(ArmError::resource_group_not_found(resource_group)),
        },
        // ResourceGroups_CheckExistence: 204 or 404, no body.
        Method::HEAD => Ok(Reply::empty(
            if state.resource_group(resource_group).is_some() {
                204
            } else {
                404
            },
        )),
        ref other => Err(ArmError::method_not_allowed(other.as_str())),
    }
}

fn put(
    state: &mut AzureState,
    request: &ArmRequest,
    resource_group: &str,
) -> Result<Reply, ArmError> {
    let body = request.json_body()?;
    let location = match body.get("location") {
        Some(Value::String(location)) if !location.trim().is_empty() => {
            normalise_location(location)
        }
        _ => {
            return Err(ArmError::location_required());
        }
    };
    if let Some(existing) = state.resource_group(resource_group) {
        if existing.location != location {
            return Err(ArmError::new(
                409,
                "InvalidResourceGroupLocation",
                format!(
                    "Invalid resource group location '{location}'. The Resource group already exists in location '{}'.",
                    existing.location
                ),
            ));
        }
        return Ok(Reply::json(
            200,
            self::body(&state.subscription_id, &existing.name, &existing.location),
        ));
    }
    state.add_resource_group(resource_group, &location);
    Ok(Reply::json(
        201,
        self::body(&state.subscription_id, resource_group, &location),
    ))
}

fn body(subscription: &str, name: &str, location: &str) -> Value {
    json!({
        "id": format!("/subscriptions/{subscription}/resourceGroups/{name}"),
        "name": name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": location,
        "properties": { "provisioningState": "Succeeded" },
    })
}
