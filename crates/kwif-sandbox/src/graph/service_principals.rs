//! `/v1.0/servicePrincipals`: list (with `$filter` on appId, displayName), create for an
//! application (which must be visible: right after the application's creation Graph answers
//! that the appId "does not reference a valid application object"), and one by id or `appId`.

use serde_json::{Value, json};

use super::GraphRequest;
use super::directory::{Access, Directory, GraphServicePrincipal, PrincipalEntry};
use super::graph_error::GraphError;
use super::odata::equals_filter;
use crate::azure::reply::Reply;
use crate::randomness;

/// How a request addresses a service principal.
pub(super) enum PrincipalKey {
    Id(String),
    AppId(String),
}

/// GET (list) or POST (create) on the collection.
pub(super) fn collection(
    directory: &mut Directory,
    request: &GraphRequest<'_>,
) -> Result<Reply, GraphError> {
    let access = directory.access(&request.caller);
    match request.method.as_str() {
        "GET" => {
            if !access.reads_anything() {
                return Err(GraphError::denied());
            }
            let filter = request
                .filter()
                .map(|filter| equals_filter(&filter, &["appId", "displayName"], "ServicePrincipal"))
                .transpose()?;
            let value: Vec<Value> = directory
                .principals
                .iter()
                .filter(|entry| entry.visible_at <= request.now)
                .filter(|entry| readable(directory, access, request, &entry.principal))
                .filter(|entry| {
                    filter
                        .as_ref()
                        .is_none_or(|clause| match clause.property.as_str() {
                            "appId" => entry.principal.app_id.eq_ignore_ascii_case(&clause.value),
                            _ => entry.principal.display_name == clause.value,
                        })
                })
                .map(|entry| to_json(request, &entry.principal))
                .collect();
            Ok(Reply::json(
                200,
                json!({"@odata.context": request.context("servicePrincipals"), "value": value}),
            ))
        }
        "POST" => create(directory, request, access),
        _ => Err(GraphError::method_not_allowed()),
    }
}

fn create(
    directory: &mut Directory,
    request: &GraphRequest<'_>,
    access: Access,
) -> Result<Reply, GraphError> {
    let body = request.object()?;
    for property in body.keys() {
        if !["appId", "tags", "accountEnabled"].contains(&property.as_str()) {
            return Err(GraphError::unknown_property(property, "servicePrincipal"));
        }
    }
    let app_id = body
        .get("appId")
        .and_then(Value::as_str)
        .ok_or_else(|| GraphError::invalid_value("appId", "ServicePrincipal"))?;
    let tags = match body.get("tags") {
        None => Vec::new(),
        Some(tags) => tags
            .as_array()
            .and_then(|tags| {
                tags.iter()
                    .map(|tag| tag.as_str().map(str::to_string))
                    .collect()
            })
            .ok_or_else(|| GraphError::invalid_value("tags", "ServicePrincipal"))?,
    };
    let Some(index) = directory.applications.iter().position(|entry| {
        entry.visible_at <= request.now && entry.application.app_id.eq_ignore_ascii_case(app_id)
    }) else {
        // Also what Graph answers while a new application is not replicated yet.
        return Err(GraphError::bad_request(format!(
            "The appId '{app_id}' of the service principal does not reference a valid application object."
        )));
    };
    let application = &directory.applications[index].application;
    if !access.can_write(directory.owns(&request.caller, app_id)) {
        return Err(GraphError::denied());
    }
    if directory
        .principals
        .iter()
        .any(|entry| entry.principal.app_id.eq_ignore_ascii_case(app_id))
    {
        return Err(GraphError::new(
            409,
            "Request_MultipleObjectsWithSameKeyValue",
            "Another object with the same value for property servicePrincipalNames already exists.",
        ));
    }
    let principal = GraphServicePrincipal {
        id: randomness::uid(),
        app_id: application.app_id.clone(),
        display_name: application.display_name.clone(),
        tags,
    };
    directory.principals.push(PrincipalEntry {
        principal: principal.clone(),
        visible_at: request.now + request.replication_delay,
    });
    let mut value = to_json(request, &principal);
    value["@odata.context"] = json!(request.context("servicePrincipals/$entity"));
    Ok(Reply::json(201, value))
}

/// GET or DELETE of one service principal.
pub(super) fn item(
    directory: &mut Directory,
    request: &GraphRequest<'_>,
    key: &PrincipalKey,
) -> Result<Reply, GraphError> {
    let access = directory.access(&request.caller);
    let (text, index) = match key {
        PrincipalKey::Id(id) => (
            id,
            directory.principals.iter().position(|entry| {
                entry.visible_at <= request.now && entry.principal.id.eq_ignore_ascii_case(id)
            }),
        ),
        PrincipalKey::AppId(app_id) => (
            app_id,
            directory.principals.iter().position(|entry| {
                entry.visible_at <= request.now
                    && entry.principal.app_id.eq_ignore_ascii_case(app_id)
            }),
        ),
    };
    let index = index.ok_or_else(|| GraphError::not_found(text))?;
    let principal = directory.principals[index].principal.clone();
    match request.method.as_str() {
        "GET" if readable(directory, access, request, &principal) => {
            let mut value = to_json(request, &principal);
            value["@odata.context"] = json!(request.context("servicePrincipals/$entity"));
            Ok(Reply::json(200, value))
        }
        "DELETE" if access.can_write(directory.owns(&request.caller, &principal.app_id)) => {
            directory.principals.remove(index);
            Ok(Reply::empty(204))
        }
        "GET" | "DELETE" => Err(GraphError::denied()),
        _ => Err(GraphError::method_not_allowed()),
    }
}

/// A caller reads the service principals of the applications it may read.
fn readable(
    directory: &Directory,
    access: Access,
    request: &GraphRequest<'_>,
    principal: &GraphServicePrincipal,
) -> bool {
    access.can_read(directory.owns(&request.caller, &principal.app_id))
}

fn to_json(request: &GraphRequest<'_>, principal: &GraphServicePrincipal) -> Value {
    json!({
        "id": principal.id,
        "deletedDateTime": null,
        "accountEnabled": true,
        "appId": principal.app_id,
        "appOwnerOrganizationId": request.tenant_id,
        "displayName": principal.display_name,
        "servicePrincipalNames": [principal.app_id],
        "servicePrincipalType": "Application",
        "signInAudience": "AzureADMyOrg",
        "tags": principal.tags,
    })
}
