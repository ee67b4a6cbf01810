//! Federated identity credentials of a user-assigned identity (azure.md §3): PUT, GET, DELETE
//! and list, with the managed identity provider's rules — the name pattern, one audience,
//! unique issuer+subject, at most 20 — and 409 for overlapping writes on one identity.

use std::time::{Duration, Instant};

use http::Method;
use serde_json::{Map, Value, json};

use super::arm_error::ArmError;
use super::arm_path::{ArmTarget, IdentityPath};
use super::identities;
use super::reply::Reply;
use super::resource_manager::{ArmRequest, require_resource_group};
use super::server::Shared;
use super::state::{AzureState, CredentialEntry, FederatedCredential};

pub const RESOURCE_TYPE: &str =
    "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials";
/// Credentials one identity may hold (azure.md §3, "Count").
pub const LIMIT: usize = 20;
/// Longest issuer, subject or audience (azure.md §3).
const MAX_LENGTH: usize = 600;

/// GET of one credential or of the list.
pub fn read(state: &mut AzureState, request: &ArmRequest) -> Result<Reply, ArmError> {
    match (&request.target, request.method) {
        (ArmTarget::FederatedCredentialList(path), &Method::GET) => {
            let credentials = parent(state, path)?;
            let items: Vec<Value> = credentials
                .iter()
                .map(|entry| credential_json(&entry.credential))
                .collect();
            request.page(items, state.page_size, true)
        }
        (ArmTarget::FederatedCredential(path, name), &Method::GET) => {
            let credentials = parent(state, path)?;
            credentials
                .iter()
                .find(|entry| entry.credential.name.eq_ignore_ascii_case(name))
                .map(|entry| Reply::json(200, credential_json(&entry.credential)))
                .ok_or_else(|| credential_not_found(path, name))
        }
        (_, method) => Err(ArmError::method_not_allowed(method.as_str())),
    }
}

fn parent<'s>(
    state: &'s AzureState,
    path: &IdentityPath,
) -> Result<&'s [CredentialEntry], ArmError> {
    require_resource_group(state, &path.resource_group)?;
    state
        .identity(path)
        .map(|entry| entry.credentials.as_slice())
        .ok_or_else(parent_not_found)
}

fn parent_not_found() -> ArmError {
    ArmError::new(
        404,
        "ParentResourceNotFound",
        "The parent user-assigned identity doesn't exist.",
    )
}

fn credential_not_found(path: &IdentityPath, name: &str) -> ArmError {
    let resource_type = format!(
        "{}/{}/federatedIdentityCredentials",
        identities::RESOURCE_TYPE,
        path.name
    );
    ArmError::resource_not_found(&resource_type, name, &path.resource_group)
}

pub fn credential_json(credential: &FederatedCredential) -> Value {
    json!({
        "id": credential.id,
        "name": credential.name,
        "properties": {
            "issuer": credential.issuer,
            "subject": credential.subject,
            "audiences": credential.audiences,
        },
        "type": RESOURCE_TYPE,
    })
}

/// Clears the identity's busy mark when a write ends, however it ends (a client that hangs up
/// drops the request's future).
struct WriteInProgress<'a> {
    shared: &'a Shared,
    path: IdentityPath,
}

impl Drop for WriteInProgress<'_> {
    fn drop(&mut self) {
        if let Some(entry) = self.shared.lock_state().identity_mut(&self.path) {
            entry.writing = false;
        }
    }
}

/// PUT or DELETE. The identity stays busy for the configured hold; a write that arrives
/// meanwhile gets the managed identity provider's 409 (azure.md §3, "Status").
pub async fn write(shared: &Shared, request: &ArmRequest<'_>) -> Result<Reply, ArmError> {
    let ArmTarget::FederatedCredential(path, name) = &request.target else {
        return Err(ArmError::unknown_resource_type(request.path));
    };
    let hold = begin_write(shared, path)?;
    let in_progress = WriteInProgress {
        shared,
        path: path.clone(),
    };
    let mut paused = shared.credential_writes_paused.subscribe();
    // An error means the sandbox is shutting down: finish the write.
    let _ = paused.wait_for(|paused| !paused).await;
    if !hold.is_zero() {
        tokio::time::sleep(hold).await;
    }
    let result = {
        let mut state = shared.lock_state();
        let now = shared.clock.now();
        match *request.method {
            Method::PUT => request.json_body().and_then(|body| {
                let effective_at = now + state.timings.credential_propagation;
                put(&mut state, path, name, &body, effective_at)
                    .map(|(status, credential)| Reply::json(status, credential_json(&credential)))
            }),
            _ => Ok(Reply::empty(if delete(&mut state, path, name) {
                200
            } else {
                204
            })),
        }
    };
    drop(in_progress);
    result
}

/// Front checks, then marks the identity busy. Returns how long to hold it.
fn begin_write(shared: &Shared, path: &IdentityPath) -> Result<Duration, ArmError> {
    let mut state = shared.lock_state();
    if !state.is_subscription(&path.subscription) {
        return Err(ArmError::subscription_not_found(&path.subscription));
    }
    require_resource_group(&state, &path.resource_group)?;
    let hold = state.timings.credential_write_hold;
    let entry = state.identity_mut(path).ok_or_else(parent_not_found)?;
    if entry.writing {
        return Err(ArmError::new(
            409,
            "ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity",
            format!(
                "Too many Federated Identity Credentials are written concurrently for the managed identity '{}'. \
                 Concurrent Federated Identity Credentials writes under the same managed identity are not supported.",
                entry.identity.id.to_ascii_lowercase()
            ),
        ));
    }
    entry.writing = true;
    Ok(hold)
}

/// `^[a-zA-Z0-9]{1}[a-zA-Z0-9-_]{2,119}$` (ManagedIdentity.json).
fn name_is_valid(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && (3..=120).contains(&name.len())
}

fn bad_request(message: impl Into<String>) -> ArmError {
    // The provider's code for these validation failures is unverified; the messages in
    // azure.md §3 are the real ones where it lists them.
    ArmError::bad_request("BadRequest", message)
}

/// What the PUT body says, checked field by field.
struct CredentialBody {
    issuer: String,
    subject: String,
    audiences: Vec<String>,
}

fn parse_body(name: &str, body: &Map<String, Value>) -> Result<CredentialBody, ArmError> {
    if !name_is_valid(name) {
        return Err(bad_request(format!(
            "Federated Identity Credential name '{name}' is invalid."
        )));
    }
    let Some(Value::Object(properties)) = body.get("properties") else {
        return Err(bad_request(
            "The federated identity credential properties are required.",
        ));
    };
    let text = |member: &str| -> Result<String, ArmError> {
        match properties.get(member) {
            Some(Value::String(value)) if !value.is_empty() => {
                match value.chars().count() <= MAX_LENGTH {
                    true => Ok(value.clone()),
                    false => Err(bad_request(format!(
                        "The federated identity credential {member} is longer than {MAX_LENGTH} characters."
                    ))),
                }
            }
            _ => Err(bad_request(format!(
                "The federated identity credential {member} is required."
            ))),
        }
    };
    let issuer = text("issuer")?;
    let subject = text("subject")?;
    check_issuer(&issuer)?;
    let audiences = match properties.get("audiences") {
        Some(Value::Array(audiences)) => audiences
            .iter()
            .map(|a| a.as_str().map(str::to_string))
            .collect::<Option<Vec<String>>>(),
        _ => None,
    };
    let audiences = match audiences {
        Some(audiences) if audiences.len() == 1 && !audiences[0].is_empty() => audiences,
        _ => {
            return Err(bad_request(
                "Federated identity credentials must have exactly one audience.",
            ));
        }
    };
    if audiences[0].chars().count() > MAX_LENGTH {
        return Err(bad_request(format!(
            "The federated identity credential audience is longer than {MAX_LENGTH} characters."
        )));
    }
    Ok(CredentialBody {
        issuer,
        subject,
        audiences,
    })
}

/// The managed identity provider's rules for an issuer: an absolute https URL without user
/// information, query or fragment (OpenID Connect Discovery §3 forbids the last two). It is
/// stored byte for byte, surrounding whitespace included: Entra's exact comparison fails on it
/// later (azure.md §3), ARM does not refuse it.
fn check_issuer(issuer: &str) -> Result<(), ArmError> {
    let invalid = |why: &str| {
        bad_request(format!(
            "The federated identity credential issuer '{issuer}' is invalid: {why}."
        ))
    };
    let url = url::Url::parse(issuer.trim()).map_err(|_| invalid("it is not a URL"))?;
    if url.scheme() != "https" {
        return Err(invalid("it must use the https scheme"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("it has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("it must not contain user information"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it must not contain a query or a fragment"));
    }
    Ok(())
}

/// Creates (201) or updates (200) a credential. Entra uses it from `effective_at` on.
pub fn put(
    state: &mut AzureState,
    path: &IdentityPath,
    name: &str,
    body: &Map<String, Value>,
    effective_at: Instant,
) -> Result<(u16, FederatedCredential), ArmError> {
    let parsed = parse_body(name, body)?;
    let entry = state.identity_mut(path).ok_or_else(parent_not_found)?;
    let existing = entry
        .credentials
        .iter()
        .position(|c| c.credential.name.eq_ignore_ascii_case(name));
    let duplicate = entry.credentials.iter().enumerate().any(|(index, c)| {
        Some(index) != existing
            && c.credential.issuer == parsed.issuer
            && c.credential.subject == parsed.subject
    });
    if duplicate {
        return Err(bad_request(
            "Issuer and subject combination already exists for this Managed Identity.",
        ));
    }
    if existing.is_none() && entry.credentials.len() >= LIMIT {
        // Unverified wording; the limit itself is documented (azure.md §3).
        return Err(bad_request(format!(
            "The managed identity already has the maximum number of federated identity credentials ({LIMIT})."
        )));
    }
    let stored_name = existing
        .map_or(name, |index| {
            entry.credentials[index].credential.name.as_str()
        })
        .to_string();
    let credential = FederatedCredential {
        id: format!(
            "{}/federatedIdentityCredentials/{stored_name}",
            entry.identity.id
        ),
        name: stored_name,
        issuer: parsed.issuer,
        subject: parsed.subject,
        audiences: parsed.audiences,
    };
    let new_entry = CredentialEntry {
        credential: credential.clone(),
        effective_at,
    };
    match existing {
        Some(index) => {
            entry.credentials[index] = new_entry;
            Ok((200, credential))
        }
        None => {
            entry.credentials.push(new_entry);
            Ok((201, credential))
        }
    }
}

fn delete(state: &mut AzureState, path: &IdentityPath, name: &str) -> bool {
    let Some(entry) = state.identity_mut(path) else {
        return false;
    };
    let before = entry.credentials.len();
    entry
        .credentials
        .retain(|c| !c.credential.name.eq_ignore_ascii_case(name));
    before != entry.credentials.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_must_be_plain_https_urls() {
        for good in [
            "https://oidc.example.com/cluster1",
            "https://stoidc1.blob.core.windows.net/oidc/",
            " https://oidc.example.com ",
        ] {
            assert!(check_issuer(good).is_ok(), "{good}");
        }
        for bad in [
            "oidc.example.com",
            "http://oidc.example.com",
            "https://user:pass@oidc.example.com",
            "https://oidc.example.com/?a=b",
            "https://oidc.example.com/#x",
            "https://",
        ] {
            assert!(check_issuer(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_follow_the_provider_pattern() {
        for good in ["abc", "kwif-application1_sa", "0ab", &"a".repeat(120)] {
            assert!(name_is_valid(good), "{good}");
        }
        for bad in ["ab", "-abc", "_abc", "a.b.c", "ab c", &"a".repeat(121), ""] {
            assert!(!name_is_valid(bad), "{bad}");
        }
    }
}
