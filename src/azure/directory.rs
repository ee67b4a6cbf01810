//! Where the profile's identities live, behind one interface for the steps: user-assigned managed
//! identities through Resource Manager, app registrations (with their service principals) through
//! Microsoft Graph. Lookups, creation and federated credentials; no step logic.

use uuid::Uuid;

use crate::azure::application_client::{
    AppLookup, AppRegistration, ApplicationClient, ReplicationWait,
};
use crate::azure::error::AzureError;
use crate::azure::graph::GraphClient;
use crate::azure::identity_client::{
    FederatedCredential, IdentityClient, IdentityIds, IdentityRef,
};
use crate::azure::session::AzureSession;

/// One identity of the profile, as Azure addresses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentityTarget {
    /// A user-assigned managed identity in a resource group.
    Managed(IdentityRef),
    /// kwif's app registration of this display name; the client id the profile saved finds it
    /// again if its display name changed.
    Application {
        name: String,
        saved_client_id: Option<Uuid>,
    },
}

impl IdentityTarget {
    /// The profile's name of the identity.
    pub fn name(&self) -> &str {
        match self {
            IdentityTarget::Managed(identity) => &identity.name,
            IdentityTarget::Application { name, .. } => name,
        }
    }

    /// `managed identity id-web` or `app registration id-web`.
    pub fn describe(&self) -> String {
        match self {
            IdentityTarget::Managed(identity) => format!("managed identity {}", identity.name),
            IdentityTarget::Application { name, .. } => format!("app registration {name}"),
        }
    }

    pub fn is_application(&self) -> bool {
        matches!(self, IdentityTarget::Application { .. })
    }
}

/// What Azure holds of one identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Presence {
    /// It exists, with every id the other steps need.
    Ready(IdentityIds),
    /// kwif's app registration exists but has no service principal in the tenant yet, so it
    /// can neither be given roles nor sign in.
    WithoutPrincipal {
        client_id: Uuid,
    },
    Missing,
    /// Only app registrations of that name kwif did not create exist; kwif changes none of them.
    NotOwned(Vec<AppRegistration>),
}

/// The managed identities and app registrations of one subscription and tenant. Cheap to clone.
#[derive(Clone)]
pub struct IdentityDirectory {
    managed: IdentityClient,
    /// `None` when the cloud names no Graph root (then no identity is an app registration).
    applications: Option<ApplicationClient>,
    tenant: Uuid,
}

impl IdentityDirectory {
    pub fn new(session: &AzureSession) -> Result<IdentityDirectory, AzureError> {
        let graph = GraphClient::new(
            session.arm.cloud(),
            session.arm.credential().clone(),
            session.arm.transport().clone(),
        );
        Ok(IdentityDirectory {
            managed: session.identity_client()?,
            applications: graph.map(ApplicationClient::new),
            tenant: session.tenant,
        })
    }

    /// How long Graph's 404s right after a creation are retried.
    #[must_use]
    pub fn with_replication_wait(mut self, wait: ReplicationWait) -> IdentityDirectory {
        self.applications = self
            .applications
            .map(|applications| applications.with_wait(wait));
        self
    }

    fn applications(&self) -> Result<&ApplicationClient, AzureError> {
        self.applications.as_ref().ok_or_else(|| AzureError::Setup {
            message: "app registrations are managed through Microsoft Graph, and this cloud names no Graph endpoint"
                .to_string(),
            fix: "set azure.endpoints.graph in kwif.yaml (e.g. \"https://graph.microsoft.com/\")".to_string(),
        })
    }

    /// What Azure holds of `target`. `known`: its ids as this run resolved or created them, so
    /// Graph not showing a new app registration yet is waited out instead of read as missing.
    pub async fn lookup(
        &self,
        target: &IdentityTarget,
        known: Option<IdentityIds>,
    ) -> Result<Presence, AzureError> {
        match target {
            IdentityTarget::Managed(identity) => Ok(match self.managed.get(identity).await? {
                Some(found) => Presence::Ready(found.ids),
                None => Presence::Missing,
            }),
            IdentityTarget::Application {
                name,
                saved_client_id,
            } => {
                let applications = self.applications()?;
                let app = match known {
                    Some(ids) => applications.get_known(ids.client_id).await?,
                    None => match applications.find(name, *saved_client_id).await? {
                        AppLookup::Owned(app) => Some(app),
                        AppLookup::Missing => None,
                        AppLookup::NotOwned(others) => return Ok(Presence::NotOwned(others)),
                    },
                };
                let Some(app) = app.filter(AppRegistration::is_kwifs) else {
                    return Ok(Presence::Missing);
                };
                let principal = match known {
                    Some(_) => applications.service_principal_known(app.app_id).await?,
                    None => applications.service_principal(app.app_id).await?,
                };
                Ok(match principal {
                    Some(principal) => Presence::Ready(IdentityIds {
                        client_id: app.app_id,
                        principal_id: principal.object_id,
                        tenant_id: self.tenant,
                    }),
                    None => Presence::WithoutPrincipal {
                        client_id: app.app_id,
                    },
                })
            }
        }
    }

    /// Creates what `target` lacks, as `presence` found it: the managed identity in `location`,
    /// or the app registration and its service principal (or only the service principal).
    pub async fn create(
        &self,
        target: &IdentityTarget,
        location: &str,
        presence: &Presence,
    ) -> Result<IdentityIds, AzureError> {
        match (target, presence) {
            (_, Presence::Ready(ids)) => Ok(*ids),
            (_, Presence::NotOwned(others)) => Err(not_owned(target.name(), others)),
            (IdentityTarget::Managed(identity), _) => {
                Ok(self.managed.create(identity, location).await?.0.ids)
            }
            (IdentityTarget::Application { name, .. }, _) => {
                let applications = self.applications()?;
                let client_id = match presence {
                    Presence::WithoutPrincipal { client_id } => *client_id,
                    _ => applications.create(name).await?.app_id,
                };
                let principal = applications.create_service_principal(client_id).await?;
                Ok(IdentityIds {
                    client_id,
                    principal_id: principal.object_id,
                    tenant_id: self.tenant,
                })
            }
        }
    }

    /// Every federated credential of `target`, or `None` when it does not exist (yet).
    pub async fn federated_credentials(
        &self,
        target: &IdentityTarget,
        known: Option<IdentityIds>,
    ) -> Result<Option<Vec<FederatedCredential>>, AzureError> {
        match target {
            IdentityTarget::Managed(identity) => {
                match self.managed.federated_credentials(identity).await {
                    Ok(credentials) => Ok(Some(credentials)),
                    Err(error) if error.is_not_found() => Ok(None),
                    Err(error) => Err(error),
                }
            }
            IdentityTarget::Application { .. } => {
                let Some(client_id) = self.application_id(target, known).await? else {
                    return Ok(None);
                };
                self.applications()?
                    .federated_credentials(client_id, known.is_some())
                    .await
            }
        }
    }

    /// Creates `credential`, or corrects the one of its name (`exists`).
    pub async fn write_federated_credential(
        &self,
        target: &IdentityTarget,
        known: Option<IdentityIds>,
        credential: &FederatedCredential,
        exists: bool,
    ) -> Result<(), AzureError> {
        match target {
            IdentityTarget::Managed(identity) => self
                .managed
                .put_federated_credential(identity, credential)
                .await
                .map(drop),
            IdentityTarget::Application { .. } => {
                let client_id = self.existing_application_id(target, known).await?;
                let applications = self.applications()?;
                match exists {
                    true => {
                        applications
                            .update_federated_credential(client_id, credential)
                            .await
                    }
                    false => {
                        applications
                            .create_federated_credential(client_id, credential)
                            .await
                    }
                }
            }
        }
    }

    /// Deletes the federated credential `name` of `target`; an absent one is fine.
    pub async fn delete_federated_credential(
        &self,
        target: &IdentityTarget,
        known: Option<IdentityIds>,
        name: &str,
    ) -> Result<(), AzureError> {
        match target {
            IdentityTarget::Managed(identity) => {
                self.managed
                    .delete_federated_credential(identity, name)
                    .await
            }
            IdentityTarget::Application { .. } => {
                let client_id = self.existing_application_id(target, known).await?;
                self.applications()?
                    .delete_federated_credential(client_id, name)
                    .await
            }
        }
    }

    /// kwif's own app registration for `target` (tagged `created-by:kwif`), or `None`: a managed
    /// identity, an app registration someone else made, or none at all.
    pub async fn kwifs_application(
        &self,
        target: &IdentityTarget,
        known: Option<IdentityIds>,
    ) -> Result<Option<AppRegistration>, AzureError> {
        let IdentityTarget::Application {
            name,
            saved_client_id,
        } = target
        else {
            return Ok(None);
        };
        let applications = self.applications()?;
        let app = match known {
            Some(ids) => applications.get(ids.client_id).await?,
            None => match applications.find(name, *saved_client_id).await? {
                AppLookup::Owned(app) => Some(app),
                AppLookup::Missing | AppLookup::NotOwned(_) => None,
            },
        };
        Ok(app.filter(AppRegistration::is_kwifs))
    }

    /// Deletes kwif's app registration (its service principal and credentials go with it).
    pub async fn delete_application(&self, app: &AppRegistration) -> Result<(), AzureError> {
        if !app.is_kwifs() {
            return Ok(());
        }
        self.applications()?.delete(app).await
    }

    /// The client id of kwif's app registration for `target`: the known one, else looked up.
    async fn application_id(
        &self,
        target: &IdentityTarget,
        known: Option<IdentityIds>,
    ) -> Result<Option<Uuid>, AzureError> {
        if let Some(ids) = known {
            return Ok(Some(ids.client_id));
        }
        let IdentityTarget::Application {
            name,
            saved_client_id,
        } = target
        else {
            return Ok(None);
        };
        Ok(
            match self.applications()?.find(name, *saved_client_id).await? {
                AppLookup::Owned(app) => Some(app.app_id),
                AppLookup::Missing | AppLookup::NotOwned(_) => None,
            },
        )
    }

    async fn existing_application_id(
        &self,
        target: &IdentityTarget,
        known: Option<IdentityIds>,
    ) -> Result<Uuid, AzureError> {
        self.application_id(target, known)
            .await?
            .ok_or_else(|| AzureError::Setup {
                message: format!("{} does not exist", target.describe()),
                fix: "apply the identity step first: `kwif apply --step identity`".to_string(),
            })
    }
}

/// Why kwif will not use an app registration it did not create.
pub fn not_owned(name: &str, others: &[AppRegistration]) -> AzureError {
    let ids: Vec<String> = others.iter().map(|app| app.app_id.to_string()).collect();
    AzureError::Setup {
        message: format!(
            "app registration {name} exists (appId {}) without the tag {}: kwif never changes an application it did not create",
            ids.join(", "),
            crate::azure::application_client::KWIF_TAG
        ),
        fix: format!(
            "give the identity another name in kwif.yaml; or, if that application is meant for kwif, add the tag {} \
             to it (`az ad app update --id APPID --set tags=...` keeps the others only if you list them)",
            crate::azure::application_client::KWIF_TAG
        ),
    }
}
