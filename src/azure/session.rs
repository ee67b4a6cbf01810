//! Everything the Azure steps share for one run: the cloud, the credential, the trusting
//! transport, the tenant and subscription to work in. Built once by the front end (or the
//! sandbox) and handed to the steps, which never build clients themselves.

use std::sync::Arc;

use uuid::Uuid;

use crate::azure::arm::ArmClient;
use crate::azure::cloud::AzureCloud;
use crate::azure::credential::{self, AzureCredential, CredentialChoice, ServicePrincipalSecret};
use crate::azure::error::AzureError;
use crate::azure::identity_client::IdentityClient;
use crate::azure::retry::RetryPolicy;
use crate::azure::token_exchange::TokenExchange;
use crate::azure::transport::RetryingTransport;
use crate::network::{HttpClient, Timeouts};

/// How kwif logs in to Azure.
#[derive(Clone, Debug)]
pub enum AzureLogin {
    /// What this machine offers: `AZURE_*` variables or the Azure CLI login, as the choice says.
    Ambient(CredentialChoice),
    /// A service principal's secret given in full (the sandbox's).
    ServicePrincipal(ServicePrincipalSecret),
}

/// The Azure side of one kwif run.
#[derive(Clone, Debug)]
pub struct AzureSession {
    pub arm: ArmClient,
    pub exchange: TokenExchange,
    pub tenant: Uuid,
    pub subscription: Uuid,
}

impl AzureSession {
    /// For the profile's Azure block: its cloud, its tenant and subscription (else the Azure
    /// CLI's defaults), the `login`, CAs from `SSL_CERT_FILE` plus `extra_ca_pems`, and how
    /// long to wait for Azure.
    pub async fn connect(
        azure: &crate::profile::Azure,
        login: &AzureLogin,
        extra_ca_pems: &[String],
        timeouts: Timeouts,
    ) -> Result<AzureSession, AzureError> {
        let cloud = AzureCloud::from_profile(&azure.cloud);
        let transport = transport(extra_ca_pems, RetryPolicy::default(), timeouts)?;
        let (tenant, subscription) =
            credential::resolve_tenant_and_subscription(azure.tenant, azure.subscription).await?;
        let credential = match login {
            AzureLogin::Ambient(choice) => {
                AzureCredential::new(*choice, &cloud, Some(tenant), &transport)?
            }
            AzureLogin::ServicePrincipal(secret) => {
                AzureCredential::service_principal_secret(&cloud, secret, &transport)?
            }
        };
        Ok(AzureSession::assemble(
            cloud,
            credential,
            transport,
            tenant,
            subscription,
        ))
    }

    /// A Resource Manager client for listing what exists (the wizard's pickers): the cloud and
    /// the login only; no subscription needs to be known yet.
    pub fn arm_for_listing(
        cloud: &crate::profile::Cloud,
        tenant: Option<Uuid>,
        login: &AzureLogin,
        extra_ca_pems: &[String],
        timeouts: Timeouts,
    ) -> Result<ArmClient, AzureError> {
        let cloud = AzureCloud::from_profile(cloud);
        let transport = transport(extra_ca_pems, RetryPolicy::default(), timeouts)?;
        let credential = match login {
            AzureLogin::Ambient(choice) => {
                AzureCredential::new(*choice, &cloud, tenant, &transport)?
            }
            AzureLogin::ServicePrincipal(secret) => {
                AzureCredential::service_principal_secret(&cloud, secret, &transport)?
            }
        };
        Ok(ArmClient::new(cloud, credential, transport))
    }

    /// With an explicit credential, tenant and subscription: the sandbox and tests.
    pub fn with_credential(
        cloud: AzureCloud,
        credential: AzureCredential,
        tenant: Uuid,
        subscription: Uuid,
        extra_ca_pems: &[String],
        retry: RetryPolicy,
    ) -> Result<AzureSession, AzureError> {
        let transport = transport(extra_ca_pems, retry, Timeouts::default())?;
        Ok(AzureSession::assemble(
            cloud,
            credential,
            transport,
            tenant,
            subscription,
        ))
    }

    fn assemble(
        cloud: AzureCloud,
        credential: AzureCredential,
        transport: Arc<RetryingTransport>,
        tenant: Uuid,
        subscription: Uuid,
    ) -> AzureSession {
        let exchange = TokenExchange::new(cloud.clone(), transport.clone());
        AzureSession {
            arm: ArmClient::new(cloud, credential, transport),
            exchange,
            tenant,
            subscription,
        }
    }

    /// The managed identity client over this session.
    pub fn identity_client(&self) -> Result<IdentityClient, AzureError> {
        IdentityClient::new(&self.arm)
    }

    /// The default scope of the verification exchange: the cloud's Resource Manager.
    pub fn management_scope(&self) -> String {
        self.arm.cloud().management_scope()
    }
}

fn transport(
    extra_ca_pems: &[String],
    retry: RetryPolicy,
    timeouts: Timeouts,
) -> Result<Arc<RetryingTransport>, AzureError> {
    let client = HttpClient::builder()
        .timeouts(timeouts)
        .trust_pems(extra_ca_pems)
        .build()
        .map_err(|error| AzureError::Setup {
            message: error.to_string(),
            fix: "fix or unset SSL_CERT_FILE; CA certificates must be PEM".to_string(),
        })?;
    Ok(Arc::new(RetryingTransport::new(client, retry)))
}
