//! Microsoft.ManagedIdentity user-assigned identities: PUT (201 create, 200 update), GET, PATCH,
//! DELETE and the two lists, in the shapes of IdentityCreate.json and IdentityGet.json.
//! A new identity's principal replicates to the directory only after a delay.

use std::time::Instant;

use http::Method;
use serde_json::{Map, Value, json};

use super::arm_error::ArmError;
use super::arm_path::{ArmTarget, IdentityPath};
use super::reply::Reply;
use super::resource_manager::{ArmRequest, normalise_location, require_resource_group};
use super::state::{AzureState, IdentityEntry, UserAssignedIdentity, key};
use crate::randomness;

pub const RESOURCE_TYPE: &str = "Microsoft.ManagedIdentity/userAssignedIdentities";

pub fn handle(state: &mut AzureState, request: &ArmRequest) -> Result<Reply, ArmError> {
    match (&request.target, request.method) {
        (ArmTarget::IdentityList { resource_group, .. }, &Method::GET) => {
            list(state, request, resource_group.as_deref())
        }
        (ArmTarget::Identity(path), &Method::PUT) => put(state, request, path),
        (ArmTarget::Identity(path), &Method::PATCH) => patch(state, request, path),
        (ArmTarget::Identity(path), &Method::GET) => {
            require_resource_group(state, &path.resource_group)?;
            let entry = state.identity(path).ok_or_else(|| not_found(path))?;
            Ok(Reply::json(
                200,
                identity_json(&entry.identity, &request.api_version),
            ))
        }
        (ArmTarget::Identity(path), &Method::DELETE) => {
            require_resource_group(state, &path.resource_group)?;
            Ok(Reply::empty(if delete(state, path) { 200 } else { 204 }))
        }
        (_, method) => Err(ArmError::method_not_allowed(method.as_str())),
    }
}

pub fn not_found(path: &IdentityPath) -> ArmError {
    ArmError::resource_not_found(RESOURCE_TYPE, &path.name, &path.resource_group)
}

/// The ARM body; `isolationScope` exists from api-version 2024-11-30 on.
pub fn identity_json(identity: &UserAssignedIdentity, api_version: &str) -> Value {
    let mut properties = json!({
        "clientId": identity.client_id,
        "principalId": identity.principal_id,
        "tenantId": identity.tenant_id,
    });
    if api_version >= "2024-11-30" {
        properties["isolationScope"] = json!(identity.isolation_scope);
    }
    json!({
        "id": identity.id,
        "location": identity.location,
        "name": identity.name,
        "properties": properties,
        "tags": identity.tags,
        "type": RESOURCE_TYPE,
    })
}

/// 3–128 letters, digits, hyphens and underscores, starting with a letter or digit
/// (ManagedIdentity.json's `resourceName`; the message is unverified).
pub fn check_name(name: &str) -> Result<(), ArmError> {
    let first_ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    match first_ok && rest_ok && (3..=128).contains(&name.len()) {
        true => Ok(()),
        false => Err(ArmError::bad_request(
            "InvalidResourceName",
            format!(
                "Resource name '{name}' is invalid. The name can contain only letters, numbers, hyphens and \
                 underscores, must start with a letter or a number, and must be 3 to 128 characters long."
            ),
        )),
    }
}

/// What a PUT or PATCH body says.
struct IdentityBody {
    location: Option<String>,
    tags: Option<Map<String, Value>>,
    isolation_scope: Option<String>,
}

fn parse_body(request: &ArmRequest) -> Result<IdentityBody, ArmError> {
    let body = request.json_body()?;
    let location = match body.get("location") {
        None | Some(Value::Null) => None,
        Some(Value::String(location)) => Some(normalise_location(location)),
        Some(_) => {
            return Err(ArmError::invalid_request_content(
                "location must be a string",
            ));
        }
    };
    let tags = match body.get("tags") {
        None | Some(Value::Null) => None,
        Some(Value::Object(tags)) if tags.values().all(Value::is_string) => Some(tags.clone()),
        Some(_) => {
            return Err(ArmError::invalid_request_content(
                "tags must be an object of strings",
            ));
        }
    };
    let isolation_scope = match body
        .get("properties")
        .and_then(|properties| properties.get("isolationScope"))
    {
        None | Some(Value::Null) => None,
        Some(Value::String(scope)) if scope == "None" || scope == "Regional" => Some(scope.clone()),
        Some(other) => {
            return Err(ArmError::bad_request(
                "InvalidRequestContent",
                format!(
                    "The value {other} of isolationScope is invalid; it must be 'None' or 'Regional'."
                ),
            ));
        }
    };
    Ok(IdentityBody {
        location,
        tags,
        isolation_scope,
    })
}

fn put(
    state: &mut AzureState,
    request: &ArmRequest,
    path: &IdentityPath,
) -> Result<Reply, ArmError> {
    let resource_group = require_resource_group(state, &path.resource_group)?.to_string();
    check_name(&path.name)?;
    let body = parse_body(request)?;
    let Some(location) = body.location.filter(|location| !location.is_empty()) else {
        return Err(ArmError::location_required());
    };
    if let Some(entry) = state.identity_mut(path) {
        if entry.identity.location != location {
            return Err(ArmError::bad_request(
                "InvalidResourceLocation",
                format!(
                    "The resource '{}' already exists in location '{}' in resource group '{}'. A resource with the \
                     same name cannot be created in location '{location}'. Please select a new resource name.",
                    entry.identity.name, entry.identity.location, resource_group
                ),
            ));
        }
        // A PUT replaces the resource: tags not sent are removed.
        entry.identity.tags = body.tags.unwrap_or_default();
        if let Some(scope) = body.isolation_scope {
            entry.identity.isolation_scope = scope;
        }
        return Ok(Reply::json(
            200,
            identity_json(&entry.identity, &request.api_version),
        ));
    }
    let replicated_at = request.now + state.timings.principal_replication;
    create(
        state,
        &resource_group,
        &path.name,
        &location,
        body.tags.unwrap_or_default(),
        replicated_at,
    );
    let entry = state.identity_mut(path).ok_or_else(|| not_found(path))?;
    if let Some(scope) = body.isolation_scope {
        entry.identity.isolation_scope = scope;
    }
    Ok(Reply::json(
        201,
        identity_json(&entry.identity, &request.api_version),
    ))
}

/// Adds a new identity with fresh ids. The caller has checked the resource group and name.
pub fn create(
    state: &mut AzureState,
    resource_group: &str,
    name: &str,
    location: &str,
    tags: Map<String, Value>,
    replicated_at: Instant,
) -> UserAssignedIdentity {
    let identity = UserAssignedIdentity {
        id: format!(
            "/subscriptions/{}/resourcegroups/{resource_group}/providers/{RESOURCE_TYPE}/{name}",
            state.subscription_id
        ),
        resource_group: resource_group.to_string(),
        name: name.to_string(),
        location: location.to_string(),
        tags,
        client_id: randomness::uid(),
        principal_id: randomness::uid(),
        tenant_id: state.tenant_id.clone(),
        isolation_scope: "None".to_string(),
    };
    let entry = IdentityEntry {
        identity: identity.clone(),
        replicated_at,
        credentials: Vec::new(),
        writing: false,
    };
    state.identities.insert(key(resource_group, name), entry);
    identity
}

fn patch(
    state: &mut AzureState,
    request: &ArmRequest,
    path: &IdentityPath,
) -> Result<Reply, ArmError> {
    require_resource_group(state, &path.resource_group)?;
    let body = parse_body(request)?;
    let entry = state.identity_mut(path).ok_or_else(|| not_found(path))?;
    if let Some(tags) = body.tags {
        entry.identity.tags = tags;
    }
    if let Some(scope) = body.isolation_scope {
        entry.identity.isolation_scope = scope;
    }
    Ok(Reply::json(
        200,
        identity_json(&entry.identity, &request.api_version),
    ))
}

/// Removes the identity and its federated credentials; its principal leaves the directory, so
/// role assignments to it fail with `PrincipalNotFound` from then on. Role assignments already
/// made stay, as in Azure.
pub fn delete(state: &mut AzureState, path: &IdentityPath) -> bool {
    match state
        .identities
        .remove(&key(&path.resource_group, &path.name))
    {
        Some(entry) => {
            state.deleted_principals.push(entry.identity.principal_id);
            true
        }
        None => false,
    }
}

fn list(
    state: &AzureState,
    request: &ArmRequest,
    resource_group: Option<&str>,
) -> Result<Reply, ArmError> {
    if let Some(resource_group) = resource_group {
        require_resource_group(state, resource_group)?;
    }
    let items: Vec<Value> = state
        .identities
        .values()
        .filter(|entry| {
            resource_group.is_none_or(|rg| entry.identity.resource_group.eq_ignore_ascii_case(rg))
        })
        .map(|entry| identity_json(&entry.identity, &request.api_version))
        .collect();
    request.page(items, state.page_size, false)
}
