//! `/v1.0/applications`: list (with `$filter` on appId, displayName, uniqueName), create, and one
//! application by id, `appId` or `uniqueName` — read, update (the upsert by `uniqueName` with
//! `Prefer: create-if-missing` too) and delete. Each call is judged by the caller's permissions;
//! a new application is invisible to reads until Graph's replication delay has passed.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::GraphRequest;
use super::directory::{ApplicationEntry, ApplicationKey, Directory, GraphApplication};
use super::graph_error::GraphError;
use super::odata::equals_filter;
use crate::azure::reply::Reply;
use crate::randomness;

/// The properties a create or update may set (the stand-in's part of the application type).
const WRITABLE: &[&str] = &[
    "displayName",
    "description",
    "notes",
    "signInAudience",
    "tags",
    "identifierUris",
];
const SIGN_IN_AUDIENCES: &[&str] = &[
    "AzureADMyOrg",
    "AzureADMultipleOrgs",
    "AzureADandPersonalMicrosoftAccount",
    "PersonalMicrosoftAccount",
];

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
                .map(|filter| {
                    equals_filter(
                        &filter,
                        &["appId", "displayName", "uniqueName"],
                        "Application",
                    )
                })
                .transpose()?;
            let value: Vec<Value> = directory
                .applications
                .iter()
                .filter(|entry| entry.visible_at <= request.now)
                .filter(|entry| access.can_read(entry.owners.contains(&request.caller_key())))
                .filter(|entry| {
                    filter.as_ref().is_none_or(|clause| {
                        let app = &entry.application;
                        match clause.property.as_str() {
                            "appId" => app.app_id.eq_ignore_ascii_case(&clause.value),
                            "displayName" => app.display_name == clause.value,
                            _ => app.unique_name.as_deref() == Some(clause.value.as_str()),
                        }
                    })
                })
                .map(|entry| to_json(&entry.application))
                .collect();
            Ok(Reply::json(
                200,
                json!({"@odata.context": request.context("applications"), "value": value}),
            ))
        }
        "POST" => {
            if !access.can_create() {
                return Err(GraphError::denied());
            }
            let body = request.object()?;
            let application = create(request, &body, None)?;
            directory
                .applications
                .push(entry(request, application.clone()));
            Ok(Reply::json(201, created_json(request, &application)))
        }
        _ => Err(GraphError::method_not_allowed()),
    }
}

/// GET, PATCH or DELETE of one application; PATCH by `uniqueName` with `Prefer:
/// create-if-missing` creates it.
pub(super) fn item(
    directory: &mut Directory,
    request: &GraphRequest<'_>,
    key: &ApplicationKey,
) -> Result<Reply, GraphError> {
    let access = directory.access(&request.caller);
    let Some(index) = directory.application_index(key, request.now) else {
        return match (request.method.as_str(), key) {
            ("PATCH", ApplicationKey::UniqueName(name)) if request.create_if_missing() => {
                if !access.can_create() {
                    return Err(GraphError::denied());
                }
                if directory
                    .applications
                    .iter()
                    .any(|entry| entry.application.unique_name.as_deref() == Some(name))
                {
                    // Created moments ago and not replicated yet: the key is taken all the same.
                    return Err(conflict("uniqueName"));
                }
                let body = request.object()?;
                let application = create(request, &body, Some(name.clone()))?;
                directory
                    .applications
                    .push(entry(request, application.clone()));
                Ok(Reply::json(201, created_json(request, &application)))
            }
            _ => Err(GraphError::not_found(key.text())),
        };
    };
    let owned = directory.applications[index]
        .owners
        .contains(&request.caller_key());
    match request.method.as_str() {
        "GET" if access.can_read(owned) => Ok(Reply::json(
            200,
            created_json(request, &directory.applications[index].application),
        )),
        "PATCH" if access.can_write(owned) => {
            let body = request.object()?;
            let application = &mut directory.applications[index].application;
            update(application, &body)?;
            Ok(Reply::empty(204))
        }
        "DELETE" if access.can_write(owned) => {
            let removed = directory.applications.remove(index);
            // Deleting an application deletes its service principal with it.
            directory.principals.retain(|principal| {
                !principal
                    .principal
                    .app_id
                    .eq_ignore_ascii_case(&removed.application.app_id)
            });
            Ok(Reply::empty(204))
        }
        "GET" | "PATCH" | "DELETE" => Err(GraphError::denied()),
        _ => Err(GraphError::method_not_allowed()),
    }
}

/// A new application (not yet in the directory) from a create's body.
fn create(
    request: &GraphRequest<'_>,
    body: &Map<String, Value>,
    unique_name: Option<String>,
) -> Result<GraphApplication, GraphError> {
    let mut application = GraphApplication {
        id: randomness::uid(),
        app_id: randomness::uid(),
        display_name: String::new(),
        unique_name,
        // Graph's default for v1.0 creates.
        sign_in_audience: "AzureADandPersonalMicrosoftAccount".to_string(),
        tags: Vec::new(),
        notes: None,
        created: request.system_now,
        federated_credentials: Vec::new(),
    };
    update(&mut application, body)?;
    if application.display_name.trim().is_empty() {
        return Err(GraphError::invalid_value("displayName", "Application"));
    }
    Ok(application)
}

/// The directory entry of a new application: owned by its creator, visible after the delay.
pub(super) fn entry(request: &GraphRequest<'_>, application: GraphApplication) -> ApplicationEntry {
    ApplicationEntry {
        application,
        owners: BTreeSet::from([request.caller_key()]),
        visible_at: request.now + request.replication_delay,
        effective_at: BTreeMap::new(),
    }
}

fn update(application: &mut GraphApplication, body: &Map<String, Value>) -> Result<(), GraphError> {
    for (property, value) in body {
        if !WRITABLE.contains(&property.as_str()) {
            return Err(GraphError::unknown_property(property, "application"));
        }
        let invalid = || GraphError::invalid_value(property, "Application");
        match property.as_str() {
            "displayName" => {
                let name = value
                    .as_str()
                    .filter(|name| (1..=256).contains(&name.chars().count()));
                application.display_name = name.ok_or_else(invalid)?.to_string();
            }
            "signInAudience" => {
                let audience = value
                    .as_str()
                    .filter(|audience| SIGN_IN_AUDIENCES.contains(audience))
                    .ok_or_else(invalid)?;
                application.sign_in_audience = audience.to_string();
            }
            "tags" => {
                let tags = value.as_array().ok_or_else(invalid)?;
                application.tags = tags
                    .iter()
                    .map(|tag| tag.as_str().map(str::to_string).ok_or_else(invalid))
                    .collect::<Result<_, _>>()?;
            }
            "notes" => application.notes = value.as_str().map(str::to_string),
            _ => {}
        }
    }
    Ok(())
}

fn conflict(property: &str) -> GraphError {
    GraphError::new(
        409,
        "Request_MultipleObjectsWithSameKeyValue",
        format!("Another object with the same value for property {property} already exists."),
    )
}

/// One application as Graph returns it.
pub(super) fn to_json(application: &GraphApplication) -> Value {
    json!({
        "id": application.id,
        "deletedDateTime": null,
        "appId": application.app_id,
        "createdDateTime": humantime::format_rfc3339_seconds(application.created).to_string(),
        "displayName": application.display_name,
        "description": null,
        "identifierUris": [],
        "notes": application.notes,
        "signInAudience": application.sign_in_audience,
        "tags": application.tags,
        "uniqueName": application.unique_name,
        "keyCredentials": [],
        "passwordCredentials": [],
        "requiredResourceAccess": [],
    })
}

fn created_json(request: &GraphRequest<'_>, application: &GraphApplication) -> Value {
    let mut value = to_json(application);
    value["@odata.context"] = json!(request.context("applications/$entity"));
    value
}
