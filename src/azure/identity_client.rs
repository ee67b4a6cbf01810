//! The user-assigned managed identity and its federated identity credentials, through
//! azure_mgmt_msi 0.21 at api-version 2024-11-30 (the endpoint's query overrides the crate's
//! 2023-01-31, azure.md §9.4), over kwif's transport and credential bridge.

use std::sync::Arc;

use azure_mgmt_msi::package_2023_01_31::{Client, models};
use futures::StreamExt;
use serde_json::json;
use uuid::Uuid;

use crate::azure::arm::ArmClient;
use crate::azure::bridge::Bridge;
use crate::azure::credential::CredentialError;
use crate::azure::error::AzureError;

/// The latest stable ManagedIdentity API (azure.md §1).
pub const MANAGED_IDENTITY_API_VERSION: &str = "2024-11-30";

/// Where the identity lives: subscription, resource group, name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityRef {
    pub subscription: Uuid,
    pub resource_group: String,
    pub name: String,
}

impl IdentityRef {
    /// The ARM resource id (`/subscriptions/…/userAssignedIdentities/NAME`).
    pub fn resource_id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{}",
            self.subscription, self.resource_group, self.name
        )
    }
}

/// The ids Azure gave the identity: what the workload, the role assignments and the token
/// exchange need. All three are read-only GUIDs (azure.md §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IdentityIds {
    /// `AZURE_CLIENT_ID`, the `client_id` of the token exchange.
    pub client_id: Uuid,
    /// The service principal's object id: what role assignments name.
    pub principal_id: Uuid,
    pub tenant_id: Uuid,
}

/// A managed identity as Resource Manager shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManagedIdentity {
    pub id: String,
    pub location: String,
    pub ids: IdentityIds,
}

/// A federated identity credential of the identity (azure.md §3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FederatedCredential {
    pub name: String,
    pub issuer: String,
    pub subject: String,
    pub audiences: Vec<String>,
}

/// Operations on one subscription's managed identities.
#[derive(Clone)]
pub struct IdentityClient {
    msi: Client,
}

impl IdentityClient {
    pub fn new(arm: &ArmClient) -> Result<IdentityClient, AzureError> {
        let mut endpoint = arm.cloud().resource_manager().clone();
        endpoint.set_query(Some(&format!("api-version={MANAGED_IDENTITY_API_VERSION}")));
        let transport: Arc<dyn azure_core_old::HttpClient> = arm.transport().clone();
        let msi = Client::builder(Arc::new(Bridge::new(arm.credential().clone())))
            .endpoint(endpoint)
            .scopes(&[&arm.cloud().management_scope()])
            // kwif's transport retries (honouring Retry-After); the SDK's own retries would double them.
            .retry(azure_core_old::RetryOptions::none())
            .transport(azure_core_old::TransportOptions::new(transport))
            .build()
            .map_err(|error| old_error("setting up the managed identity client", error))?;
        Ok(IdentityClient { msi })
    }

    /// The identity, or `None` when it does not exist.
    pub async fn get(&self, identity: &IdentityRef) -> Result<Option<ManagedIdentity>, AzureError> {
        let operation = format!("reading managed identity {}", identity.name);
        let result = self
            .msi
            .user_assigned_identities_client()
            .get(
                identity.subscription.to_string(),
                &identity.resource_group,
                &identity.name,
            )
            .await;
        match result {
            Ok(model) => Ok(Some(managed_identity(&operation, model)?)),
            Err(error) => match old_error(&operation, error) {
                error if error.is_not_found() => Ok(None),
                error => Err(error),
            },
        }
    }

    /// Creates the identity (or updates its tags); `true` when Azure answered 201 Created.
    pub async fn create(
        &self,
        identity: &IdentityRef,
        location: &str,
    ) -> Result<(ManagedIdentity, bool), AzureError> {
        let operation = format!("creating managed identity {}", identity.name);
        let mut tracked = models::TrackedResource::new(location.to_string());
        tracked.tags = Some(json!({"created-by": "kwif"}));
        let response = self
            .msi
            .user_assigned_identities_client()
            .create_or_update(
                identity.subscription.to_string(),
                &identity.resource_group,
                &identity.name,
                models::Identity::new(tracked),
            )
            .send()
            .await
            .map_err(|error| old_error(&operation, error))?;
        let created = u16::from(response.as_raw_response().status()) == 201;
        let model = response
            .into_body()
            .await
            .map_err(|error| old_error(&operation, error))?;
        Ok((managed_identity(&operation, model)?, created))
    }

    /// Every federated credential of the identity, all pages.
    pub async fn federated_credentials(
        &self,
        identity: &IdentityRef,
    ) -> Result<Vec<FederatedCredential>, AzureError> {
        let operation = format!("listing the federated credentials of {}", identity.name);
        let mut pages = self
            .msi
            .federated_identity_credentials_client()
            .list(
                identity.subscription.to_string(),
                &identity.resource_group,
                &identity.name,
            )
            .into_stream();
        let mut credentials = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| old_error(&operation, error))?;
            credentials.extend(page.value.into_iter().filter_map(federated_credential));
        }
        Ok(credentials)
    }

    /// Creates or updates one federated credential.
    pub async fn put_federated_credential(
        &self,
        identity: &IdentityRef,
        credential: &FederatedCredential,
    ) -> Result<FederatedCredential, AzureError> {
        let operation = format!(
            "writing federated credential {} of {}",
            credential.name, identity.name
        );
        let mut model = models::FederatedIdentityCredential::new();
        model.properties = Some(models::FederatedIdentityCredentialProperties::new(
            credential.issuer.clone(),
            credential.subject.clone(),
            credential.audiences.clone(),
        ));
        let written = self
            .msi
            .federated_identity_credentials_client()
            .create_or_update(
                identity.subscription.to_string(),
                &identity.resource_group,
                &identity.name,
                &credential.name,
                model,
            )
            .await
            .map_err(|error| old_error(&operation, error))?;
        federated_credential(written).ok_or_else(|| AzureError::Unexpected {
            operation,
            message: "the answer has no properties.issuer/subject/audiences".to_string(),
        })
    }

    /// Deletes one federated credential; an absent one is fine.
    pub async fn delete_federated_credential(
        &self,
        identity: &IdentityRef,
        name: &str,
    ) -> Result<(), AzureError> {
        let operation = format!("deleting federated credential {name} of {}", identity.name);
        let result = self
            .msi
            .federated_identity_credentials_client()
            .delete(
                identity.subscription.to_string(),
                &identity.resource_group,
                &identity.name,
                name,
            )
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) => match old_error(&operation, error) {
                error if error.is_not_found() => Ok(()),
                error => Err(error),
            },
        }
    }
}

fn managed_identity(
    operation: &str,
    model: models::Identity,
) -> Result<ManagedIdentity, AzureError> {
    let properties = model.properties.unwrap_or_default();
    let id = |value: Option<String>, field: &str| {
        value
            .as_deref()
            .and_then(|text| Uuid::try_parse(text).ok())
            .ok_or_else(|| AzureError::Unexpected {
                operation: operation.to_string(),
                message: format!("the answer has no properties.{field} GUID"),
            })
    };
    Ok(ManagedIdentity {
        id: model.tracked_resource.resource.id.unwrap_or_default(),
        location: model.tracked_resource.location,
        ids: IdentityIds {
            client_id: id(properties.client_id, "clientId")?,
            principal_id: id(properties.principal_id, "principalId")?,
            tenant_id: id(properties.tenant_id, "tenantId")?,
        },
    })
}

fn federated_credential(model: models::FederatedIdentityCredential) -> Option<FederatedCredential> {
    let properties = model.properties?;
    Some(FederatedCredential {
        name: model.proxy_resource.resource.name?,
        issuer: properties.issuer,
        subject: properties.subject,
        audiences: properties.audiences,
    })
}

/// An azure_core 0.21 error as kwif's: the credential's own error, an ARM answer, or a lost request.
fn old_error(operation: &str, error: azure_core_old::Error) -> AzureError {
    if let Some(credential) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<CredentialError>())
    {
        return AzureError::Credential(credential.clone());
    }
    if let Some(http) = error.as_http_error() {
        return AzureError::http(
            operation,
            u16::from(http.status()),
            http.error_code().map(str::to_string),
            http.error_message().unwrap_or("no message").to_string(),
        );
    }
    if let azure_core_old::error::ErrorKind::HttpResponse { status, error_code } = error.kind() {
        return AzureError::http(
            operation,
            u16::from(*status),
            error_code.clone(),
            "no message",
        );
    }
    if let Some(network) = crate::network::find_network_error(&error) {
        return AzureError::unreachable(operation, "Resource Manager", network.clone());
    }
    match error.kind() {
        azure_core_old::error::ErrorKind::Io => AzureError::Unexpected {
            operation: operation.to_string(),
            message: format!(
                "Resource Manager did not answer: {}",
                crate::azure::arm::innermost(&error)
            ),
        },
        _ => AzureError::Unexpected {
            operation: operation.to_string(),
            message: error.to_string(),
        },
    }
}
