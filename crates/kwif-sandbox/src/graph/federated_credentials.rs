//! `/v1.0/applications/{key}/federatedIdentityCredentials`: list, create, and one credential by
//! id or name — read, update (the upsert `(name='…')` with `Prefer: create-if-missing` too) and
//! delete — under Graph's own rules: a URL-friendly name of at most 120 characters, issuer,
//! subject and one audience of at most 600 each, issuer + subject unique on the application, a
//! name unique on it (409), at most 20 (azure.md §3, §10.3). Entra uses a credential from
//! `credential_propagation` after its write on.

use serde_json::{Map, Value, json};

use super::GraphRequest;
use super::directory::{ApplicationEntry, GraphFederatedCredential};
use super::graph_error::GraphError;
use crate::azure::reply::Reply;
use crate::randomness;

/// At most this many credentials per application (azure.md §3).
pub const MAX_CREDENTIALS: usize = 20;
const RESOURCE: &str = "FederatedIdentityCredential";

/// How a request addresses one credential: its id or name, or the `(name='…')` key.
pub(super) enum CredentialKey {
    IdOrName(String),
    Name(String),
}

/// GET (list) or POST (create) on an application's credentials. Permissions are judged by the
/// caller (`read`/`write`: what it may do with this application).
pub(super) fn collection(
    entry: &mut ApplicationEntry,
    request: &GraphRequest<'_>,
    read: bool,
    write: bool,
) -> Result<Reply, GraphError> {
    match request.method.as_str() {
        "GET" if read => {
            let value: Vec<Value> = entry
                .application
                .federated_credentials
                .iter()
                .map(to_json)
                .collect();
            let context = request.context(&format!(
                "applications('{}')/federatedIdentityCredentials",
                entry.application.id
            ));
            Ok(Reply::json(
                200,
                json!({"@odata.context": context, "value": value}),
            ))
        }
        "POST" if write => {
            let body = request.object()?;
            let name = body
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| GraphError::invalid_value("name", RESOURCE))?
                .to_string();
            let credential = create(entry, request, &name, &body)?;
            Ok(Reply::json(201, created_json(entry, request, &credential)))
        }
        "GET" | "POST" => Err(GraphError::denied()),
        _ => Err(GraphError::method_not_allowed()),
    }
}

/// GET, PATCH or DELETE of one credential.
pub(super) fn item(
    entry: &mut ApplicationEntry,
    request: &GraphRequest<'_>,
    key: &CredentialKey,
    read: bool,
    write: bool,
) -> Result<Reply, GraphError> {
    let credentials = &entry.application.federated_credentials;
    let index = match key {
        CredentialKey::IdOrName(text) => credentials.iter().position(|credential| {
            credential.id.eq_ignore_ascii_case(text) || credential.name == *text
        }),
        CredentialKey::Name(name) => credentials
            .iter()
            .position(|credential| credential.name == *name),
    };
    let text = match key {
        CredentialKey::IdOrName(text) | CredentialKey::Name(text) => text.clone(),
    };
    let Some(index) = index else {
        return match (request.method.as_str(), key) {
            ("PATCH", CredentialKey::Name(name)) if write && request.create_if_missing() => {
                let body = request.object()?;
                let credential = create(entry, request, name, &body)?;
                Ok(Reply::json(201, created_json(entry, request, &credential)))
            }
            ("GET" | "PATCH" | "DELETE", _) if !read => Err(GraphError::denied()),
            _ => Err(GraphError::not_found(&text)),
        };
    };
    match request.method.as_str() {
        "GET" if read => {
            let credential = entry.application.federated_credentials[index].clone();
            Ok(Reply::json(200, created_json(entry, request, &credential)))
        }
        "PATCH" if write => {
            let body = request.object()?;
            let mut updated = entry.application.federated_credentials[index].clone();
            merge(&mut updated, &body)?;
            validate(&updated)?;
            check_unique(
                &entry.application.federated_credentials,
                &updated,
                Some(index),
            )?;
            entry.effective_at.insert(
                updated.id.clone(),
                request.now + request.credential_propagation,
            );
            entry.application.federated_credentials[index] = updated;
            Ok(Reply::empty(204))
        }
        "DELETE" if write => {
            let removed = entry.application.federated_credentials.remove(index);
            entry.effective_at.remove(&removed.id);
            Ok(Reply::empty(204))
        }
        "GET" | "PATCH" | "DELETE" => Err(GraphError::denied()),
        _ => Err(GraphError::method_not_allowed()),
    }
}

fn create(
    entry: &mut ApplicationEntry,
    request: &GraphRequest<'_>,
    name: &str,
    body: &Map<String, Value>,
) -> Result<GraphFederatedCredential, GraphError> {
    let mut credential = GraphFederatedCredential {
        id: randomness::uid(),
        name: name.to_string(),
        issuer: String::new(),
        subject: String::new(),
        audiences: Vec::new(),
        description: None,
    };
    merge(&mut credential, body)?;
    validate(&credential)?;
    let credentials = &entry.application.federated_credentials;
    if credentials
        .iter()
        .any(|known| known.name == credential.name)
    {
        // Graph's words (Azure/azure-dev#1482).
        return Err(GraphError::new(
            409,
            "Request_MultipleObjectsWithSameKeyValue",
            format!(
                "FederatedIdentityCredential with name {} already exists.",
                credential.name
            ),
        ));
    }
    check_unique(credentials, &credential, None)?;
    if credentials.len() >= MAX_CREDENTIALS {
        // The limit is documented; this wording is the stand-in's.
        return Err(GraphError::bad_request(format!(
            "The application already has the maximum number of {MAX_CREDENTIALS} federated identity credentials."
        )));
    }
    entry.effective_at.insert(
        credential.id.clone(),
        request.now + request.credential_propagation,
    );
    entry
        .application
        .federated_credentials
        .push(credential.clone());
    Ok(credential)
}

/// Copies the body's properties onto `credential`; the name is immutable once created.
fn merge(
    credential: &mut GraphFederatedCredential,
    body: &Map<String, Value>,
) -> Result<(), GraphError> {
    for (property, value) in body {
        let invalid = || GraphError::invalid_value(property, RESOURCE);
        match property.as_str() {
            "name" => {
                if value.as_str() != Some(credential.name.as_str()) {
                    return Err(GraphError::bad_request(
                        "The name of a federated identity credential cannot be changed.",
                    ));
                }
            }
            "issuer" => credential.issuer = value.as_str().ok_or_else(invalid)?.to_string(),
            "subject" => credential.subject = value.as_str().ok_or_else(invalid)?.to_string(),
            "description" => credential.description = value.as_str().map(str::to_string),
            "audiences" => {
                credential.audiences = value
                    .as_array()
                    .and_then(|audiences| {
                        audiences
                            .iter()
                            .map(|audience| audience.as_str().map(str::to_string))
                            .collect()
                    })
                    .ok_or_else(invalid)?;
            }
            _ => {
                return Err(GraphError::unknown_property(
                    property,
                    "federatedIdentityCredential",
                ));
            }
        }
    }
    Ok(())
}

/// Graph's rules for one credential's values.
fn validate(credential: &GraphFederatedCredential) -> Result<(), GraphError> {
    let url_friendly = |c: char| c.is_ascii_alphanumeric() || "-_.~".contains(c);
    let name = &credential.name;
    if name.is_empty() || name.chars().count() > 120 || !name.chars().all(url_friendly) {
        return Err(GraphError::invalid_value("name", RESOURCE));
    }
    let issuer_is_url = url::Url::parse(&credential.issuer).is_ok_and(|url| url.has_host());
    if !issuer_is_url || credential.issuer.chars().count() > 600 {
        return Err(GraphError::invalid_value("issuer", RESOURCE));
    }
    if credential.subject.is_empty() || credential.subject.chars().count() > 600 {
        return Err(GraphError::invalid_value("subject", RESOURCE));
    }
    match credential.audiences.as_slice() {
        [audience] if !audience.is_empty() && audience.chars().count() <= 600 => Ok(()),
        [audience] if audience.chars().count() > 600 => {
            Err(GraphError::invalid_value("audiences", RESOURCE))
        }
        _ => Err(GraphError::bad_request(
            "Federated identity credentials must have exactly 1 audience.",
        )),
    }
}

/// Issuer + subject are unique on an application (Azure/azure-workload-identity#434's words).
fn check_unique(
    credentials: &[GraphFederatedCredential],
    credential: &GraphFederatedCredential,
    except: Option<usize>,
) -> Result<(), GraphError> {
    let clash = credentials.iter().enumerate().any(|(index, known)| {
        Some(index) != except
            && known.issuer == credential.issuer
            && known.subject == credential.subject
    });
    match clash {
        false => Ok(()),
        true => Err(GraphError::bad_request(format!(
            "The combination of issuer and subject must be unique for the application. Issuer {} and Subject: {} \
             already exist. paramName: FederatedIdentityCredential.Subject, paramValue: {}, objectType: \
             Microsoft.Online.DirectoryServices.Application",
            credential.issuer, credential.subject, credential.subject
        ))),
    }
}

fn to_json(credential: &GraphFederatedCredential) -> Value {
    json!({
        "id": credential.id,
        "name": credential.name,
        "issuer": credential.issuer,
        "subject": credential.subject,
        "description": credential.description,
        "audiences": credential.audiences,
    })
}

fn created_json(
    entry: &ApplicationEntry,
    request: &GraphRequest<'_>,
    credential: &GraphFederatedCredential,
) -> Value {
    let mut value = to_json(credential);
    value["@odata.context"] = json!(request.context(&format!(
        "applications('{}')/federatedIdentityCredentials/$entity",
        entry.application.id
    )));
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credential(
        name: &str,
        issuer: &str,
        subject: &str,
        audiences: &[&str],
    ) -> GraphFederatedCredential {
        GraphFederatedCredential {
            id: "i".into(),
            name: name.into(),
            issuer: issuer.into(),
            subject: subject.into(),
            audiences: audiences
                .iter()
                .map(std::string::ToString::to_string)
                .collect(),
            description: None,
        }
    }

    #[test]
    fn graph_rules_for_names_issuers_subjects_and_audiences() {
        let audience = ["api://AzureADTokenExchange"];
        let good = credential(
            "kwif-app-sa",
            "https://oidc.example.com",
            "system:serviceaccount:a:b",
            &audience,
        );
        assert_eq!(validate(&good), Ok(()));
        for bad in [
            credential("a b", "https://oidc.example.com", "s", &audience),
            credential(&"n".repeat(121), "https://oidc.example.com", "s", &audience),
            credential("n", "not a url", "s", &audience),
            credential("n", "https://oidc.example.com", "", &audience),
        ] {
            assert_eq!(
                validate(&bad).unwrap_err().code,
                "Request_BadRequest",
                "{bad:?}"
            );
        }
        let two = credential("n", "https://oidc.example.com", "s", &["a", "b"]);
        assert_eq!(
            validate(&two).unwrap_err().message,
            "Federated identity credentials must have exactly 1 audience."
        );
        let clash = check_unique(std::slice::from_ref(&good), &good, None).unwrap_err();
        assert!(
            clash
                .message
                .starts_with("The combination of issuer and subject must be unique")
        );
        assert_eq!(
            check_unique(std::slice::from_ref(&good), &good, Some(0)),
            Ok(())
        );
    }
}
