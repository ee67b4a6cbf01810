//! App registrations kwif owns, through Microsoft Graph (what azwi makes instead of a managed
//! identity): found by display name and kwif's tag — an application without the tag is someone
//! else's and is never changed — created with their service principal, and their federated
//! credentials. Graph is eventually consistent (azure.md §10.3): an object created moments ago
//! may answer 404, or 400 for its service principal, so where kwif knows the object exists those
//! answers are retried for a bounded time.

use std::future::Future;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use uuid::Uuid;

use crate::azure::error::AzureError;
use crate::azure::graph::{GraphClient, odata_string};
use crate::azure::identity_client::FederatedCredential;

/// The tag kwif gives the applications it creates; only applications with it are kwif's to change.
pub const KWIF_TAG: &str = "created-by:kwif";

/// An application object (app registration) as Graph shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppRegistration {
    /// The object id (`id`).
    pub object_id: String,
    /// The application (client) id (`appId`): `AZURE_CLIENT_ID` of the workloads.
    pub app_id: Uuid,
    pub display_name: String,
    pub tags: Vec<String>,
}

impl AppRegistration {
    /// Whether kwif created it (it carries [`KWIF_TAG`]).
    pub fn is_kwifs(&self) -> bool {
        self.tags.iter().any(|tag| tag == KWIF_TAG)
    }
}

/// The service principal of an application in this tenant: what roles are assigned to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServicePrincipal {
    pub object_id: Uuid,
    pub app_id: Uuid,
}

/// What Graph shows under a display name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppLookup {
    /// kwif's application of that name.
    Owned(AppRegistration),
    Missing,
    /// Only applications of that name kwif did not create: kwif leaves them alone.
    NotOwned(Vec<AppRegistration>),
}

/// How long kwif keeps retrying what Graph does not show yet right after a creation, and how
/// often. Graph documents no bound; seconds are usual, a minute is generous.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicationWait {
    pub window: Duration,
    pub interval: Duration,
}

impl Default for ReplicationWait {
    fn default() -> ReplicationWait {
        ReplicationWait {
            window: Duration::from_secs(60),
            interval: Duration::from_secs(2),
        }
    }
}

impl ReplicationWait {
    /// Short waits for tests against the sandbox.
    pub fn fast() -> ReplicationWait {
        ReplicationWait {
            window: Duration::from_secs(15),
            interval: Duration::from_millis(50),
        }
    }
}

/// Operations on the app registrations of one tenant.
#[derive(Clone, Debug)]
pub struct ApplicationClient {
    graph: GraphClient,
    wait: ReplicationWait,
}

/// `applications(appId='…')`: Graph addresses an application by its client id too.
fn by_app_id(app_id: Uuid) -> String {
    format!("applications(appId='{app_id}')")
}

impl ApplicationClient {
    pub fn new(graph: GraphClient) -> ApplicationClient {
        ApplicationClient {
            graph,
            wait: ReplicationWait::default(),
        }
    }

    #[must_use]
    pub fn with_wait(mut self, wait: ReplicationWait) -> ApplicationClient {
        self.wait = wait;
        self
    }

    /// The application named `name` that kwif owns. A kwif application whose display name was
    /// changed is still found by the client id the profile saved.
    pub async fn find(&self, name: &str, saved: Option<Uuid>) -> Result<AppLookup, AzureError> {
        let operation = format!("looking up app registration {name}");
        let filter = format!("displayName eq {}", odata_string(name));
        let found: Vec<AppRegistration> = self
            .graph
            .list(&operation, "applications", Some(&filter))
            .await?
            .iter()
            .filter_map(app_registration)
            .collect();
        if let Some(owned) = found.iter().find(|app| app.is_kwifs()) {
            return Ok(AppLookup::Owned(owned.clone()));
        }
        if let Some(saved) = saved
            && let Some(app) = self.get(saved).await?
            && app.is_kwifs()
        {
            return Ok(AppLookup::Owned(app));
        }
        Ok(match found.is_empty() {
            true => AppLookup::Missing,
            false => AppLookup::NotOwned(found),
        })
    }

    /// The application with client id `app_id`, or `None`.
    pub async fn get(&self, app_id: Uuid) -> Result<Option<AppRegistration>, AzureError> {
        let operation = format!("reading app registration {app_id}");
        let found = self.graph.get(&operation, &by_app_id(app_id)).await?;
        Ok(found.as_ref().and_then(app_registration))
    }

    /// The application with client id `app_id`, which this run knows to exist: a 404 is Graph
    /// not showing it yet, retried within the replication wait.
    pub async fn get_known(&self, app_id: Uuid) -> Result<Option<AppRegistration>, AzureError> {
        self.until_replicated(|| self.get(app_id), Option::is_some)
            .await
    }

    /// The service principal of `app_id` in this tenant, or `None`.
    pub async fn service_principal(
        &self,
        app_id: Uuid,
    ) -> Result<Option<ServicePrincipal>, AzureError> {
        let operation = format!("looking up the service principal of {app_id}");
        let filter = format!("appId eq {}", odata_string(&app_id.to_string()));
        let found = self
            .graph
            .list(&operation, "servicePrincipals", Some(&filter))
            .await?;
        Ok(found.iter().find_map(service_principal))
    }

    /// The service principal this run knows to exist, retried while Graph does not list it yet.
    pub async fn service_principal_known(
        &self,
        app_id: Uuid,
    ) -> Result<Option<ServicePrincipal>, AzureError> {
        self.until_replicated(|| self.service_principal(app_id), Option::is_some)
            .await
    }

    /// Creates kwif's application `name`: single tenant, tagged as kwif's.
    pub async fn create(&self, name: &str) -> Result<AppRegistration, AzureError> {
        let operation = format!("creating app registration {name}");
        let body = json!({
            "displayName": name,
            "signInAudience": "AzureADMyOrg",
            "tags": [KWIF_TAG],
            "notes": "Created by kwif for workload identity federation from Kubernetes.",
        });
        let created = self.graph.post(&operation, "applications", &body).await?;
        app_registration(&created).ok_or_else(|| unreadable(&operation))
    }

    /// Creates the service principal of `app_id`. Right after the application's creation Graph
    /// may not know it yet ("does not reference a valid application object", or 404): retried.
    pub async fn create_service_principal(
        &self,
        app_id: Uuid,
    ) -> Result<ServicePrincipal, AzureError> {
        let operation = format!("creating the service principal of {app_id}");
        let body = json!({"appId": app_id.to_string(), "tags": [KWIF_TAG]});
        let deadline = Instant::now() + self.wait.window;
        loop {
            match self
                .graph
                .post(&operation, "servicePrincipals", &body)
                .await
            {
                Ok(created) => {
                    return service_principal(&created).ok_or_else(|| unreadable(&operation));
                }
                // It exists already (an earlier run, or a retry whose answer was lost).
                Err(error) if error.status() == Some(409) => {
                    if let Some(found) = self.service_principal_known(app_id).await? {
                        return Ok(found);
                    }
                    return Err(error);
                }
                Err(error) if not_replicated(&error) && Instant::now() < deadline => {
                    self.pause().await;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Every federated credential of the application `app_id`; `None` when it does not exist.
    /// `known`: this run knows it exists, so a 404 is retried within the replication wait.
    pub async fn federated_credentials(
        &self,
        app_id: Uuid,
        known: bool,
    ) -> Result<Option<Vec<FederatedCredential>>, AzureError> {
        let operation = format!("listing the federated credentials of app registration {app_id}");
        let path = format!("{}/federatedIdentityCredentials", by_app_id(app_id));
        let list = || async {
            match self.graph.list(&operation, &path, None).await {
                Ok(items) => Ok(Some(
                    items.iter().filter_map(federated_credential).collect(),
                )),
                Err(error) if error.is_not_found() => Ok(None),
                Err(error) => Err(error),
            }
        };
        match known {
            true => self.until_replicated(list, Option::is_some).await,
            false => list().await,
        }
    }

    /// Creates one federated credential (Graph: POST, 201).
    pub async fn create_federated_credential(
        &self,
        app_id: Uuid,
        credential: &FederatedCredential,
    ) -> Result<(), AzureError> {
        let operation = format!(
            "creating federated credential {} of app registration {app_id}",
            credential.name
        );
        let path = format!("{}/federatedIdentityCredentials", by_app_id(app_id));
        let body = json!({
            "name": credential.name,
            "issuer": credential.issuer,
            "subject": credential.subject,
            "audiences": credential.audiences,
        });
        self.retry_not_found(|| self.graph.post(&operation, &path, &body))
            .await
            .map(drop)
    }

    /// Corrects one federated credential in place, addressed by its (immutable) name.
    pub async fn update_federated_credential(
        &self,
        app_id: Uuid,
        credential: &FederatedCredential,
    ) -> Result<(), AzureError> {
        let operation = format!(
            "correcting federated credential {} of app registration {app_id}",
            credential.name
        );
        let path = format!(
            "{}/federatedIdentityCredentials/{}",
            by_app_id(app_id),
            credential.name
        );
        let body = json!({
            "issuer": credential.issuer,
            "subject": credential.subject,
            "audiences": credential.audiences,
        });
        self.retry_not_found(|| self.graph.patch(&operation, &path, &body))
            .await
    }

    /// Deletes one federated credential by name; an absent one is fine.
    pub async fn delete_federated_credential(
        &self,
        app_id: Uuid,
        name: &str,
    ) -> Result<(), AzureError> {
        let operation =
            format!("deleting federated credential {name} of app registration {app_id}");
        let path = format!("{}/federatedIdentityCredentials/{name}", by_app_id(app_id));
        self.graph.delete(&operation, &path).await
    }

    /// Deletes the application by object id (`DELETE /v1.0/applications/{id}`): Graph deletes
    /// its service principal and federated credentials with it. An absent one is fine. Only for
    /// an application kwif created ([`AppRegistration::is_kwifs`]); the caller checks.
    pub async fn delete(&self, app: &AppRegistration) -> Result<(), AzureError> {
        let operation = format!(
            "deleting app registration {} ({})",
            app.display_name, app.app_id
        );
        let path = format!("applications/{}", app.object_id);
        self.graph.delete(&operation, &path).await
    }

    /// One interval of the replication wait.
    async fn pause(&self) {
        tokio::time::sleep(self.wait.interval).await;
        crate::network::record_wait(
            "Microsoft Graph to replicate a new app registration",
            self.wait.interval,
        );
    }

    /// `call` again while `done` is false of its answer, within the replication wait.
    async fn until_replicated<T, F, Fut>(
        &self,
        call: F,
        done: impl Fn(&T) -> bool,
    ) -> Result<T, AzureError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, AzureError>>,
    {
        let deadline = Instant::now() + self.wait.window;
        loop {
            let answer = call().await?;
            if done(&answer) || Instant::now() >= deadline {
                return Ok(answer);
            }
            self.pause().await;
        }
    }

    /// `call` again while it answers 404, within the replication wait: a write to an object this
    /// run created moments ago.
    async fn retry_not_found<T, F, Fut>(&self, call: F) -> Result<T, AzureError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, AzureError>>,
    {
        let deadline = Instant::now() + self.wait.window;
        loop {
            match call().await {
                Err(error) if error.is_not_found() && Instant::now() < deadline => {
                    self.pause().await;
                }
                other => return other,
            }
        }
    }
}

/// Graph's answers while a new application is not replicated yet: 404, or creating its service
/// principal fails with "The appId '…' of the service principal does not reference a valid
/// application object." (400, also seen as `NoBackingApplicationObject` in its details).
fn not_replicated(error: &AzureError) -> bool {
    error.is_not_found()
        || (error.status() == Some(400)
            && error
                .to_string()
                .contains("does not reference a valid application object"))
}

fn unreadable(operation: &str) -> AzureError {
    AzureError::Unexpected {
        operation: operation.to_string(),
        message: "the answer has no id/appId".to_string(),
    }
}

fn uuid_of(value: &Value) -> Option<Uuid> {
    value.as_str().and_then(|text| Uuid::try_parse(text).ok())
}

fn app_registration(value: &Value) -> Option<AppRegistration> {
    Some(AppRegistration {
        object_id: value["id"].as_str()?.to_string(),
        app_id: uuid_of(&value["appId"])?,
        display_name: value["displayName"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        tags: value["tags"]
            .as_array()
            .map(|tags| {
                tags.iter()
                    .filter_map(|tag| tag.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
    })
}

fn service_principal(value: &Value) -> Option<ServicePrincipal> {
    Some(ServicePrincipal {
        object_id: uuid_of(&value["id"])?,
        app_id: uuid_of(&value["appId"])?,
    })
}

fn federated_credential(value: &Value) -> Option<FederatedCredential> {
    Some(FederatedCredential {
        name: value["name"].as_str()?.to_string(),
        issuer: value["issuer"].as_str()?.to_string(),
        subject: value["subject"].as_str()?.to_string(),
        audiences: value["audiences"]
            .as_array()?
            .iter()
            .filter_map(|audience| audience.as_str().map(str::to_string))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_applications_with_kwifs_tag_are_kwifs() {
        let app = |tags: Value| {
            app_registration(&json!({"id": "o", "appId": Uuid::nil().to_string(), "displayName": "id-app", "tags": tags}))
                .unwrap()
        };
        assert!(app(json!(["other", KWIF_TAG])).is_kwifs());
        assert!(!app(json!(["kwif"])).is_kwifs());
        assert!(!app(Value::Null).is_kwifs());
    }

    #[test]
    fn the_service_principal_race_is_recognised_as_replication() {
        let body = br#"{"error":{"code":"Request_BadRequest","message":"The appId 'x' of the service principal does not reference a valid application object."}}"#;
        assert!(not_replicated(&AzureError::from_answer(
            "x", 400, None, body
        )));
        assert!(not_replicated(&AzureError::from_answer(
            "x", 404, None, b""
        )));
        assert!(!not_replicated(&AzureError::from_answer(
            "x", 400, None, b"{}"
        )));
    }
}
