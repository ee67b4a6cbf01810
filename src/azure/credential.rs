//! Who kwif is at Azure: the credential (Azure CLI login by default; a client secret or a
//! workload identity from `AZURE_*` variables; a managed identity), tokens cached per scope, and
//! the CLI's default tenant and subscription. Errors name the credential tried and how to log in.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use azure_core::credentials::{AccessToken, Secret, TokenCredential};
use azure_core::time::{Duration as TimeDuration, OffsetDateTime};
use serde::Deserialize;
use uuid::Uuid;

use crate::azure::cloud::AzureCloud;
use crate::azure::transport::RetryingTransport;

/// A token is renewed this long before it expires, so no request carries an expiring one.
const RENEW_BEFORE_SECONDS: i64 = 300;

/// Which credential the user asked for (`--credential`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CredentialChoice {
    /// `AZURE_CLIENT_SECRET`, else `AZURE_CLIENT_CERTIFICATE_PATH`, else
    /// `AZURE_FEDERATED_TOKEN_FILE`, else the Azure CLI login.
    #[default]
    Auto,
    AzureCli,
    ClientSecret,
    ClientCertificate,
    WorkloadIdentity,
    ManagedIdentity,
}

impl CredentialChoice {
    pub const ALL: [CredentialChoice; 6] = [
        CredentialChoice::Auto,
        CredentialChoice::AzureCli,
        CredentialChoice::ClientSecret,
        CredentialChoice::ClientCertificate,
        CredentialChoice::WorkloadIdentity,
        CredentialChoice::ManagedIdentity,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CredentialChoice::Auto => "auto",
            CredentialChoice::AzureCli => "azure-cli",
            CredentialChoice::ClientSecret => "client-secret",
            CredentialChoice::ClientCertificate => "client-certificate",
            CredentialChoice::WorkloadIdentity => "workload-identity",
            CredentialChoice::ManagedIdentity => "managed-identity",
        }
    }

    pub fn parse(text: &str) -> Option<CredentialChoice> {
        CredentialChoice::ALL
            .into_iter()
            .find(|choice| choice.as_str() == text)
    }
}

/// How the user logs in with each credential: the fix of every credential error.
fn login_hint(choice: CredentialChoice) -> &'static str {
    match choice {
        CredentialChoice::Auto | CredentialChoice::AzureCli => {
            "run `az login` (add `--tenant TENANT` for another directory), or set AZURE_TENANT_ID, \
             AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a service principal"
        }
        CredentialChoice::ClientSecret => {
            "set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET of a service principal \
             (`az ad sp create-for-rbac`), or unset them and run `az login`"
        }
        CredentialChoice::ClientCertificate => {
            "set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_CERTIFICATE_PATH (a PEM with the \
             certificate and its unencrypted RSA key), or unset them and run `az login`"
        }
        CredentialChoice::WorkloadIdentity => {
            "set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE (as in a federated pod), \
             or unset AZURE_FEDERATED_TOKEN_FILE and run `az login`"
        }
        CredentialChoice::ManagedIdentity => {
            "run kwif on an Azure VM or App Service with a managed identity (AZURE_CLIENT_ID picks a \
             user-assigned one), or use `--credential azure-cli` after `az login`"
        }
    }
}

/// A service principal's tenant, client id and secret. Debug never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ServicePrincipalSecret {
    pub tenant: String,
    pub client_id: String,
    pub secret: String,
}

impl fmt::Debug for ServicePrincipalSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServicePrincipalSecret")
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// A credential could not give a token, or could not be set up.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{credential}: {reason}")]
pub struct CredentialError {
    /// Which credential was tried, in words: `Azure CLI login (az)`.
    pub credential: String,
    pub reason: String,
    /// How to log in.
    pub fix: String,
}

struct Cached {
    token: Secret,
    expires_on: OffsetDateTime,
}

/// A credential with its name, its login hint and a per-scope token cache (the Azure CLI
/// credential caches nothing and runs `az` on every call otherwise). Cheap to clone.
#[derive(Clone)]
pub struct AzureCredential {
    inner: Arc<dyn TokenCredential>,
    label: String,
    fix: String,
    cache: Arc<Mutex<HashMap<String, Cached>>>,
}

impl fmt::Debug for AzureCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureCredential")
            .field("credential", &self.label)
            .finish_non_exhaustive()
    }
}

/// An `AZURE_*` variable, if set and not empty.
fn variable(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

impl AzureCredential {
    /// The credential `choice` names. `tenant` is the profile's, used when `AZURE_TENANT_ID` is
    /// not set; `transport` carries kwif's CAs and retries to Entra ID.
    pub fn new(
        choice: CredentialChoice,
        cloud: &AzureCloud,
        tenant: Option<Uuid>,
        transport: &Arc<RetryingTransport>,
    ) -> Result<AzureCredential, CredentialError> {
        match choice {
            CredentialChoice::Auto if variable("AZURE_CLIENT_SECRET").is_some() => {
                AzureCredential::client_secret(cloud, tenant, transport)
            }
            CredentialChoice::Auto if variable("AZURE_CLIENT_CERTIFICATE_PATH").is_some() => {
                AzureCredential::client_certificate(cloud, tenant, transport)
            }
            CredentialChoice::Auto if variable("AZURE_FEDERATED_TOKEN_FILE").is_some() => {
                AzureCredential::workload_identity(cloud, tenant, transport)
            }
            CredentialChoice::Auto | CredentialChoice::AzureCli => {
                AzureCredential::azure_cli(tenant)
            }
            CredentialChoice::ClientSecret => {
                AzureCredential::client_secret(cloud, tenant, transport)
            }
            CredentialChoice::ClientCertificate => {
                AzureCredential::client_certificate(cloud, tenant, transport)
            }
            CredentialChoice::WorkloadIdentity => {
                AzureCredential::workload_identity(cloud, tenant, transport)
            }
            CredentialChoice::ManagedIdentity => AzureCredential::managed_identity(transport),
        }
    }

    /// The Azure CLI's login (`az account get-access-token`), in `tenant` when given.
    pub fn azure_cli(tenant: Option<Uuid>) -> Result<AzureCredential, CredentialError> {
        let label = "Azure CLI login (az)";
        let options = azure_identity::AzureCliCredentialOptions {
            tenant_id: tenant.map(|tenant| tenant.to_string()),
            ..Default::default()
        };
        let credential = azure_identity::AzureCliCredential::new(Some(options))
            .map_err(|error| setup_error(label, CredentialChoice::AzureCli, error))?;
        Ok(AzureCredential::from_token_credential(
            label,
            login_hint(CredentialChoice::AzureCli),
            credential,
        ))
    }

    /// A service principal's secret from `AZURE_CLIENT_ID` / `AZURE_CLIENT_SECRET`.
    pub fn client_secret(
        cloud: &AzureCloud,
        tenant: Option<Uuid>,
        transport: &Arc<RetryingTransport>,
    ) -> Result<AzureCredential, CredentialError> {
        let choice = CredentialChoice::ClientSecret;
        let label = "service principal secret (AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)";
        let missing = |name: &str| missing_variable(label, choice, name);
        let tenant = variable("AZURE_TENANT_ID")
            .or(tenant.map(|tenant| tenant.to_string()))
            .ok_or_else(|| missing("AZURE_TENANT_ID"))?;
        let client_id = variable("AZURE_CLIENT_ID").ok_or_else(|| missing("AZURE_CLIENT_ID"))?;
        let secret =
            variable("AZURE_CLIENT_SECRET").ok_or_else(|| missing("AZURE_CLIENT_SECRET"))?;
        AzureCredential::service_principal_secret(
            cloud,
            &ServicePrincipalSecret {
                tenant,
                client_id,
                secret,
            },
            transport,
        )
    }

    /// A service principal's secret given in full (the sandbox's login), not read from variables.
    pub fn service_principal_secret(
        cloud: &AzureCloud,
        login: &ServicePrincipalSecret,
        transport: &Arc<RetryingTransport>,
    ) -> Result<AzureCredential, CredentialError> {
        let choice = CredentialChoice::ClientSecret;
        let label = "service principal secret (AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)";
        let options = azure_identity::ClientSecretCredentialOptions {
            client_options: transport.client_options(cloud.configuration()),
        };
        let credential = azure_identity::ClientSecretCredential::new(
            &login.tenant,
            login.client_id.clone(),
            Secret::new(login.secret.clone()),
            Some(options),
        )
        .map_err(|error| setup_error(label, choice, error))?;
        Ok(AzureCredential::from_token_credential(
            label,
            login_hint(choice),
            credential,
        ))
    }

    /// A service principal's certificate from `AZURE_CLIENT_ID` / `AZURE_CLIENT_CERTIFICATE_PATH`.
    pub fn client_certificate(
        cloud: &AzureCloud,
        tenant: Option<Uuid>,
        transport: &Arc<RetryingTransport>,
    ) -> Result<AzureCredential, CredentialError> {
        let choice = CredentialChoice::ClientCertificate;
        let label =
            "service principal certificate (AZURE_CLIENT_ID, AZURE_CLIENT_CERTIFICATE_PATH)";
        let missing = |name: &str| missing_variable(label, choice, name);
        let tenant = variable("AZURE_TENANT_ID")
            .or(tenant.map(|tenant| tenant.to_string()))
            .ok_or_else(|| missing("AZURE_TENANT_ID"))?;
        let client_id = variable("AZURE_CLIENT_ID").ok_or_else(|| missing("AZURE_CLIENT_ID"))?;
        let path = variable("AZURE_CLIENT_CERTIFICATE_PATH")
            .ok_or_else(|| missing("AZURE_CLIENT_CERTIFICATE_PATH"))?;
        let fail = |reason: String| CredentialError {
            credential: label.to_string(),
            reason,
            fix: login_hint(choice).to_string(),
        };
        let text = std::fs::read_to_string(&path).map_err(|error| {
            fail(format!(
                "AZURE_CLIENT_CERTIFICATE_PATH={path} cannot be read ({error})"
            ))
        })?;
        let endpoint = format!(
            "{}/{tenant}/oauth2/v2.0/token",
            cloud.authority_host().as_str().trim_end_matches('/')
        );
        let assertion =
            crate::azure::certificate::CertificateAssertion::from_pem(&text, &client_id, endpoint)
                .map_err(|reason| fail(format!("AZURE_CLIENT_CERTIFICATE_PATH={path} {reason}")))?;
        let options = azure_identity::ClientAssertionCredentialOptions {
            client_options: transport.client_options(cloud.configuration()),
        };
        let credential = azure_identity::ClientAssertionCredential::new(
            tenant,
            client_id,
            assertion,
            Some(options),
        )
        .map_err(|error| setup_error(label, choice, error))?;
        Ok(AzureCredential::from_token_credential(
            label,
            login_hint(choice),
            credential,
        ))
    }

    /// A federated token file, as in a pod: `AZURE_CLIENT_ID` and `AZURE_FEDERATED_TOKEN_FILE`.
    pub fn workload_identity(
        cloud: &AzureCloud,
        tenant: Option<Uuid>,
        transport: &Arc<RetryingTransport>,
    ) -> Result<AzureCredential, CredentialError> {
        let choice = CredentialChoice::WorkloadIdentity;
        let label = "workload identity (AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE)";
        let missing = |name: &str| missing_variable(label, choice, name);
        let options = azure_identity::WorkloadIdentityCredentialOptions {
            credential_options: azure_identity::ClientAssertionCredentialOptions {
                client_options: transport.client_options(cloud.configuration()),
            },
            tenant_id: Some(
                variable("AZURE_TENANT_ID")
                    .or(tenant.map(|tenant| tenant.to_string()))
                    .ok_or_else(|| missing("AZURE_TENANT_ID"))?,
            ),
            client_id: Some(variable("AZURE_CLIENT_ID").ok_or_else(|| missing("AZURE_CLIENT_ID"))?),
            token_file_path: Some(PathBuf::from(
                variable("AZURE_FEDERATED_TOKEN_FILE")
                    .ok_or_else(|| missing("AZURE_FEDERATED_TOKEN_FILE"))?,
            )),
        };
        let credential = azure_identity::WorkloadIdentityCredential::new(Some(options))
            .map_err(|error| setup_error(label, choice, error))?;
        Ok(AzureCredential::from_token_credential(
            label,
            login_hint(choice),
            credential,
        ))
    }

    /// The managed identity of the machine kwif runs on; `AZURE_CLIENT_ID` picks a user-assigned one.
    pub fn managed_identity(
        transport: &Arc<RetryingTransport>,
    ) -> Result<AzureCredential, CredentialError> {
        let choice = CredentialChoice::ManagedIdentity;
        let label = "managed identity of this machine";
        let mut options = azure_identity::ManagedIdentityCredentialOptions {
            user_assigned_id: variable("AZURE_CLIENT_ID")
                .map(azure_identity::UserAssignedId::ClientId),
            ..Default::default()
        };
        options.client_options.transport =
            Some(azure_core::http::Transport::new(transport.clone()));
        let credential = azure_identity::ManagedIdentityCredential::new(Some(options))
            .map_err(|error| setup_error(label, choice, error))?;
        Ok(AzureCredential::from_token_credential(
            label,
            login_hint(choice),
            credential,
        ))
    }

    /// Any azure_identity 1.x credential, named for messages.
    pub fn from_token_credential(
        label: impl Into<String>,
        fix: impl Into<String>,
        credential: Arc<dyn TokenCredential>,
    ) -> AzureCredential {
        AzureCredential {
            inner: credential,
            label: label.into(),
            fix: fix.into(),
            cache: Arc::default(),
        }
    }

    /// A fixed bearer token: the sandbox (which accepts any) and tests. Never for real Azure.
    pub fn fixed_token(label: impl Into<String>, token: impl Into<String>) -> AzureCredential {
        AzureCredential::issued(label, "no login is needed for the sandbox", token)
    }

    /// A token issued elsewhere, used as it is: a workload identity's exchanged token.
    pub fn issued(
        label: impl Into<String>,
        fix: impl Into<String>,
        token: impl Into<String>,
    ) -> AzureCredential {
        let credential = Arc::new(FixedToken(Secret::new(token.into())));
        AzureCredential::from_token_credential(label, fix, credential)
    }

    /// Which credential this is, in words.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// How to log in with it.
    pub fn login_hint(&self) -> &str {
        &self.fix
    }

    /// A token for `scope`, from the cache while it has five minutes left.
    pub async fn token(&self, scope: &str) -> Result<AccessToken, CredentialError> {
        let now = OffsetDateTime::now_utc();
        if let Some(cached) = self
            .lock()
            .get(scope)
            .filter(|cached| cached.expires_on - now > TimeDuration::seconds(RENEW_BEFORE_SECONDS))
        {
            return Ok(AccessToken::new(cached.token.clone(), cached.expires_on));
        }
        let token = self
            .inner
            .get_token(&[scope], None)
            .await
            .map_err(|error| self.token_error(scope, &error))?;
        self.lock().insert(
            scope.to_string(),
            Cached {
                token: token.token.clone(),
                expires_on: token.expires_on,
            },
        );
        Ok(token)
    }

    /// Why no token came, with the fix that fits: a login problem gets the login hint; no answer
    /// from Entra ID, or an answer that is not a refusal (503, 429), gets a fix for that instead.
    fn token_error(&self, scope: &str, error: &azure_core::Error) -> CredentialError {
        let failed = |reason: String, fix: String| CredentialError {
            credential: self.label.clone(),
            reason: format!("could not get a token for {scope}: {reason}"),
            fix,
        };
        if let Some(network) = crate::network::find_network_error(error) {
            return failed(
                format!(
                    "{} (Entra ID) did not answer: {}",
                    network.target, network.failure
                ),
                crate::azure::error::unreachable_fix(network, "Entra ID"),
            );
        }
        if let Some(answer) = crate::azure::transport::unavailable_answer(error) {
            return failed(
                format!("Entra ID answered {answer}"),
                "Entra ID failed on its side or is throttling: rerun in a few minutes; \
                 kwif picks up where it stopped"
                    .to_string(),
            );
        }
        failed(first_lines(&error.to_string()), self.fix.clone())
    }

    /// Forgets every cached token (after a 401).
    pub fn clear_cache(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Cached>> {
        // A panic while holding the lock leaves a plain map behind: still usable.
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The SDK's message without its troubleshooting link and trailing blank lines.
fn first_lines(message: &str) -> String {
    message
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with("To troubleshoot, visit"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn setup_error(label: &str, choice: CredentialChoice, error: azure_core::Error) -> CredentialError {
    CredentialError {
        credential: label.to_string(),
        reason: format!("cannot be set up: {}", first_lines(&error.to_string())),
        fix: login_hint(choice).to_string(),
    }
}

fn missing_variable(label: &str, choice: CredentialChoice, name: &str) -> CredentialError {
    CredentialError {
        credential: label.to_string(),
        reason: format!("{name} is not set"),
        fix: login_hint(choice).to_string(),
    }
}

/// A token handed in from outside; its `Debug` shows nothing of it.
struct FixedToken(Secret);

impl fmt::Debug for FixedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FixedToken")
    }
}

#[async_trait::async_trait]
impl TokenCredential for FixedToken {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<azure_core::credentials::TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        Ok(AccessToken::new(
            self.0.clone(),
            OffsetDateTime::now_utc() + TimeDuration::hours(1),
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// The Azure CLI's default account
// ---------------------------------------------------------------------------------------------

/// The subscription the Azure CLI uses by default, and its tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CliAccount {
    pub subscription: Uuid,
    pub tenant: Uuid,
    /// The subscription's display name.
    pub name: String,
}

#[derive(Deserialize)]
struct CliProfile {
    #[serde(default)]
    subscriptions: Vec<CliSubscription>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CliSubscription {
    id: String,
    tenant_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    is_default: bool,
    /// The cloud the subscription belongs to (`AzureCloud`, `AzureUSGovernment`, a custom name).
    #[serde(default)]
    environment_name: Option<String>,
}

impl CliSubscription {
    fn account(&self) -> Option<CliAccount> {
        Some(CliAccount {
            subscription: Uuid::try_parse(&self.id).ok()?,
            tenant: Uuid::try_parse(&self.tenant_id).ok()?,
            name: self.name.clone(),
        })
    }
}

/// The CLI's default account, read from its profile (`$AZURE_CONFIG_DIR/azureProfile.json`),
/// else from `az account show`.
pub async fn cli_account() -> Result<CliAccount, CredentialError> {
    let fail = |reason: String| CredentialError {
        credential: "Azure CLI login (az)".to_string(),
        reason,
        fix: "run `az login`, then `az account set --subscription ID`, or write azure.tenant and \
              azure.subscription into kwif.yaml"
            .to_string(),
    };
    if let Some(account) = cli_profile_account() {
        return Ok(account);
    }
    let output = tokio::task::spawn_blocking(|| {
        std::process::Command::new("az")
            .args(["account", "show", "-o", "json"])
            .output()
    })
    .await
    .map_err(|error| fail(format!("`az account show` did not finish: {error}")))?
    .map_err(|error| {
        fail(format!(
            "cannot run `az` ({error}); is the Azure CLI installed?"
        ))
    })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(fail(format!(
            "`az account show` failed: {}",
            first_lines(&stderr)
        )));
    }
    serde_json::from_slice::<CliSubscription>(&output.stdout)
        .ok()
        .and_then(|subscription| subscription.account())
        .ok_or_else(|| {
            fail("`az account show` printed no subscription id and tenant id".to_string())
        })
}

/// The CLI's default account in its active cloud, from its `azureProfile.json` alone (no `az`
/// process: instant).
pub fn cli_profile_account() -> Option<CliAccount> {
    let directory = super::cli_config::config_dir()?;
    let text = std::fs::read_to_string(directory.join("azureProfile.json")).ok()?;
    let cloud = super::cli_config::CliConfig::read().cloud_name;
    default_account(&text, &cloud)
}

/// The default subscription of `cloud` (`AzureCloud`…) in an `azureProfile.json` (which the CLI
/// writes with a BOM). The CLI keeps a default per cloud; an entry that names no cloud counts
/// for any.
fn default_account(text: &str, cloud: &str) -> Option<CliAccount> {
    let profile: CliProfile = serde_json::from_str(text.trim_start_matches('\u{feff}')).ok()?;
    profile
        .subscriptions
        .iter()
        .filter(|subscription| {
            subscription
                .environment_name
                .as_deref()
                .is_none_or(|name| name == cloud)
        })
        .find(|subscription| subscription.is_default)?
        .account()
}

/// The tenant and subscription to work in: the profile's when it names them, else the CLI's.
pub async fn resolve_tenant_and_subscription(
    tenant: Option<Uuid>,
    subscription: Option<Uuid>,
) -> Result<(Uuid, Uuid), CredentialError> {
    if let (Some(tenant), Some(subscription)) = (tenant, subscription) {
        return Ok((tenant, subscription));
    }
    let account = cli_account().await?;
    Ok((
        tenant.unwrap_or(account.tenant),
        subscription.unwrap_or(account.subscription),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_subscription_is_read_from_the_cli_profile_despite_its_bom() {
        let text = "\u{feff}{\"installationId\":\"x\",\"subscriptions\":[\
            {\"id\":\"11111111-1111-1111-1111-111111111111\",\"tenantId\":\"22222222-2222-2222-2222-222222222222\",\"name\":\"other\",\"isDefault\":false},\
            {\"id\":\"cccccccc-cccc-cccc-cccc-cccccccccccc\",\"tenantId\":\"bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb\",\"name\":\"Pay-As-You-Go\",\"isDefault\":true}]}";
        let account = default_account(text, "AzureCloud").unwrap();
        assert_eq!(
            account.subscription.to_string(),
            "cccccccc-cccc-cccc-cccc-cccccccccccc"
        );
        assert_eq!(
            account.tenant.to_string(),
            "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"
        );
        assert_eq!(account.name, "Pay-As-You-Go");
        assert_eq!(
            default_account("{\"subscriptions\":[]}", "AzureCloud"),
            None
        );
    }

    #[test]
    fn the_default_subscription_is_the_active_clouds() {
        // `az cloud set` keeps each cloud's own default: the public one must not stand in for
        // the government cloud's.
        let text = "{\"subscriptions\":[\
            {\"id\":\"11111111-1111-1111-1111-111111111111\",\"tenantId\":\"22222222-2222-2222-2222-222222222222\",\"isDefault\":true,\"environmentName\":\"AzureCloud\"},\
            {\"id\":\"33333333-3333-3333-3333-333333333333\",\"tenantId\":\"44444444-4444-4444-4444-444444444444\",\"isDefault\":true,\"environmentName\":\"AzureUSGovernment\"}]}";
        let government = default_account(text, "AzureUSGovernment").unwrap();
        assert_eq!(
            government.subscription.to_string(),
            "33333333-3333-3333-3333-333333333333"
        );
        let public = default_account(text, "AzureCloud").unwrap();
        assert_eq!(
            public.subscription.to_string(),
            "11111111-1111-1111-1111-111111111111"
        );
        assert_eq!(default_account(text, "AzureChinaCloud"), None);
    }

    #[test]
    fn credential_choices_round_trip_through_their_flag_words() {
        for choice in CredentialChoice::ALL {
            assert_eq!(CredentialChoice::parse(choice.as_str()), Some(choice));
        }
        assert_eq!(CredentialChoice::parse("default"), None);
    }

    #[tokio::test]
    async fn a_fixed_token_is_cached_and_never_printed() {
        let credential = AzureCredential::fixed_token("sandbox", "very-secret-token");
        let token = credential
            .token("https://management.azure.com/.default")
            .await
            .unwrap();
        assert_eq!(token.token.secret(), "very-secret-token");
        let shown = format!("{credential:?} {token:?}");
        assert!(!shown.contains("very-secret-token"), "{shown}");
    }
}
