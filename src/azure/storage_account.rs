//! Storage accounts through Resource Manager (Microsoft.Storage, api-version 2025-06-01,
//! azure.md §6): read one, tell whether its name is free, create it (a long-running PUT polled
//! through `Location`), allow anonymous blob reads, and read its key for the blob data plane
//! (src/hosting/azure_blob.rs), so nobody has to copy a key by hand.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use url::Url;
use uuid::Uuid;

use crate::azure::arm::{ArmAnswer, ArmClient, PollPolicy};
use crate::azure::error::AzureError;
use crate::azure::storage_key::StorageKey;
use crate::profile::{ResourceGroupName, StorageAccountName};

pub const STORAGE_API_VERSION: &str = "2025-06-01";
/// What kwif creates: general purpose v2, locally redundant; the cheapest account that serves
/// blobs and a static website.
pub const NEW_ACCOUNT_SKU: &str = "Standard_LRS";
pub const NEW_ACCOUNT_KIND: &str = "StorageV2";
/// The provisioning state of an account ready for use.
pub const SUCCEEDED: &str = "Succeeded";
/// The shortest wait between polls, whatever `Retry-After` says.
const MIN_POLL: Duration = Duration::from_millis(500);

/// A storage account as Resource Manager describes it; only what hosting needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageAccount {
    pub provisioning_state: String,
    /// `false` (the default of new accounts) overrides every container's access level.
    pub allow_blob_public_access: bool,
    /// `false`: the account key is refused on the data plane.
    pub allow_shared_key_access: bool,
    /// `primaryEndpoints.blob`.
    pub blob_endpoint: Option<Url>,
    /// `primaryEndpoints.web`, the static website.
    pub web_endpoint: Option<Url>,
}

impl StorageAccount {
    fn from_json(account: &Value) -> StorageAccount {
        let properties = &account["properties"];
        let endpoint = |name: &str| {
            properties["primaryEndpoints"][name]
                .as_str()
                .and_then(|url| Url::parse(url).ok())
        };
        StorageAccount {
            provisioning_state: properties["provisioningState"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            allow_blob_public_access: properties["allowBlobPublicAccess"]
                .as_bool()
                .unwrap_or(false),
            allow_shared_key_access: properties["allowSharedKeyAccess"].as_bool().unwrap_or(true),
            blob_endpoint: endpoint("blob"),
            web_endpoint: endpoint("web"),
        }
    }

    /// Provisioned: its keys and endpoints can be used.
    pub fn is_ready(&self) -> bool {
        self.provisioning_state.eq_ignore_ascii_case(SUCCEEDED)
    }
}

/// Whether a name can be used for a new account (names are global across Azure).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NameAvailability {
    Available,
    /// `reason` is `AlreadyExists` or `AccountNameInvalid`; `message` is Azure's.
    Unavailable {
        reason: String,
        message: String,
    },
    /// The login may not ask (the check is subscription-wide); creating the account will tell.
    Unverified {
        message: String,
    },
}

/// One storage account's Resource Manager operations.
#[derive(Clone, Debug)]
pub struct StorageAccountClient {
    arm: ArmClient,
    subscription: Uuid,
    resource_group: ResourceGroupName,
    name: StorageAccountName,
    poll: PollPolicy,
}

impl StorageAccountClient {
    pub fn new(
        arm: ArmClient,
        subscription: Uuid,
        resource_group: ResourceGroupName,
        name: StorageAccountName,
    ) -> StorageAccountClient {
        StorageAccountClient {
            arm,
            subscription,
            resource_group,
            name,
            poll: PollPolicy::default(),
        }
    }

    pub fn name(&self) -> &str {
        self.name.as_str()
    }

    pub fn resource_group(&self) -> &str {
        self.resource_group.as_str()
    }

    fn path(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Storage/storageAccounts/{}",
            self.subscription,
            self.resource_group.as_str(),
            self.name.as_str()
        )
    }

    /// The account; `None` when it does not exist in this resource group.
    pub async fn get(&self) -> Result<Option<StorageAccount>, AzureError> {
        let operation = format!("reading storage account {}", self.name());
        let found = self
            .arm
            .get(&operation, &self.path(), STORAGE_API_VERSION)
            .await?;
        Ok(found.as_ref().map(StorageAccount::from_json))
    }

    /// Whether the name is free for a new account; asked only when the account is not here.
    pub async fn name_availability(&self) -> Result<NameAvailability, AzureError> {
        let operation = format!("checking the storage account name {}", self.name());
        let path = format!(
            "/subscriptions/{}/providers/Microsoft.Storage/checkNameAvailability",
            self.subscription
        );
        let body = json!({ "name": self.name(), "type": "Microsoft.Storage/storageAccounts" });
        let answer = match self
            .arm
            .call(
                &operation,
                Method::POST,
                &path,
                STORAGE_API_VERSION,
                Some(&body),
            )
            .await
        {
            Ok(answer) => answer,
            Err(error) if error.status() == Some(403) => {
                return Ok(NameAvailability::Unverified {
                    message: error.to_string(),
                });
            }
            Err(error) => return Err(error),
        };
        Ok(match answer.body["nameAvailable"].as_bool() {
            Some(true) => NameAvailability::Available,
            _ => NameAvailability::Unavailable {
                reason: answer.body["reason"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                message: answer.body["message"]
                    .as_str()
                    .unwrap_or("the name is not available")
                    .to_string(),
            },
        })
    }

    /// The body kwif creates an account with: HTTPS only, TLS 1.2 at least, anonymous blob
    /// reads only when the documents are served from a public container.
    pub fn new_account_body(location: &str, allow_blob_public_access: bool) -> Value {
        json!({
            "location": location,
            "sku": { "name": NEW_ACCOUNT_SKU },
            "kind": NEW_ACCOUNT_KIND,
            "properties": {
                "allowBlobPublicAccess": allow_blob_public_access,
                "minimumTlsVersion": "TLS1_2",
                "supportsHttpsTrafficOnly": true,
            }
        })
    }

    /// Creates the account and waits until Azure has provisioned it.
    pub async fn create(
        &self,
        location: &str,
        allow_blob_public_access: bool,
    ) -> Result<StorageAccount, AzureError> {
        let operation = format!(
            "creating storage account {} in resource group {}",
            self.name(),
            self.resource_group()
        );
        let body = Self::new_account_body(location, allow_blob_public_access);
        let answer = self
            .arm
            .put(&operation, &self.path(), STORAGE_API_VERSION, &body)
            .await?;
        let deadline = tokio::time::Instant::now() + self.poll.timeout;
        match self.wait(&operation, answer, deadline).await? {
            Some(account) if account.is_ready() => Ok(account),
            _ => self.until_ready(&operation, deadline).await,
        }
    }

    /// Reads the account until it is provisioned (an account created by an earlier run that
    /// was interrupted, or one whose operation ended without its body).
    pub async fn wait_until_ready(&self) -> Result<StorageAccount, AzureError> {
        let operation = format!("waiting for storage account {} to be created", self.name());
        self.until_ready(&operation, tokio::time::Instant::now() + self.poll.timeout)
            .await
    }

    async fn until_ready(
        &self,
        operation: &str,
        deadline: tokio::time::Instant,
    ) -> Result<StorageAccount, AzureError> {
        loop {
            match self.get().await? {
                Some(account) if account.is_ready() => return Ok(account),
                Some(_) => {}
                None => {
                    return Err(AzureError::Unexpected {
                        operation: operation.to_string(),
                        message: "Azure accepted the account but it does not read back".into(),
                    });
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(self.timed_out(operation));
            }
            tokio::time::sleep(self.poll.interval.max(MIN_POLL)).await;
        }
    }

    fn timed_out(&self, operation: &str) -> AzureError {
        AzureError::Unexpected {
            operation: operation.to_string(),
            message: format!(
                "Azure accepted it but did not finish within {} s; rerun to pick it up",
                self.poll.timeout.as_secs()
            ),
        }
    }

    /// Follows an accepted (202) operation's `Location` until it answers 200; the account when
    /// the last answer carries it.
    async fn wait(
        &self,
        operation: &str,
        mut answer: ArmAnswer,
        deadline: tokio::time::Instant,
    ) -> Result<Option<StorageAccount>, AzureError> {
        let mut location = answer.location.clone();
        while answer.status == 202 {
            let Some(url) = location.clone() else {
                return Ok(None);
            };
            if tokio::time::Instant::now() >= deadline {
                return Err(self.timed_out(operation));
            }
            let interval = answer
                .retry_after
                .unwrap_or(self.poll.interval)
                .clamp(MIN_POLL, Duration::from_secs(30));
            tokio::time::sleep(interval).await;
            answer = self.arm.get_url(operation, &url).await?;
            location = answer.location.clone().or(location);
        }
        Ok(answer
            .body
            .get("properties")
            .map(|_| StorageAccount::from_json(&answer.body)))
    }

    /// Lets containers allow anonymous blob reads (`allowBlobPublicAccess: true`).
    pub async fn allow_blob_public_access(&self) -> Result<StorageAccount, AzureError> {
        let operation = format!(
            "allowing anonymous blob reads on storage account {}",
            self.name()
        );
        let body = json!({ "properties": { "allowBlobPublicAccess": true } });
        let answer = self
            .arm
            .call(
                &operation,
                Method::PATCH,
                &self.path(),
                STORAGE_API_VERSION,
                Some(&body),
            )
            .await?;
        Ok(StorageAccount::from_json(&answer.body))
    }

    /// The account's first key with full permissions (`listKeys`). Never shown anywhere.
    pub async fn key(&self) -> Result<StorageKey, AzureError> {
        let operation = format!("reading the keys of storage account {}", self.name());
        let answer = self
            .arm
            .call(
                &operation,
                Method::POST,
                &format!("{}/listKeys", self.path()),
                STORAGE_API_VERSION,
                None,
            )
            .await?;
        let keys = answer.body["keys"].as_array().cloned().unwrap_or_default();
        let full = keys.iter().find(|key| {
            key["permissions"]
                .as_str()
                .is_some_and(|permissions| permissions.eq_ignore_ascii_case("full"))
        });
        full.and_then(|key| key["value"].as_str())
            .and_then(|value| StorageKey::parse(value).ok())
            .ok_or_else(|| AzureError::Unexpected {
                operation,
                message: "Azure listed no usable key with full permissions".into(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_read_the_properties_hosting_needs_with_azure_defaults() {
        let account = json!({
            "location": "westeurope",
            "properties": {
                "provisioningState": "Succeeded",
                "primaryEndpoints": {
                    "blob": "https://stoidc1.blob.core.windows.net/",
                    "web": "https://stoidc1.z6.web.core.windows.net/"
                }
            }
        });
        let account = StorageAccount::from_json(&account);
        assert!(
            !account.allow_blob_public_access,
            "absent means not allowed"
        );
        assert!(account.allow_shared_key_access, "absent means allowed");
        assert_eq!(
            account.web_endpoint.unwrap().as_str(),
            "https://stoidc1.z6.web.core.windows.net/"
        );
    }

    #[test]
    fn new_accounts_are_https_only_with_tls_1_2() {
        let body = StorageAccountClient::new_account_body("westeurope", true);
        assert_eq!(body["properties"]["minimumTlsVersion"], "TLS1_2");
        assert_eq!(body["properties"]["supportsHttpsTrafficOnly"], true);
        assert_eq!(body["properties"]["allowBlobPublicAccess"], true);
        assert_eq!(body["kind"], "StorageV2");
    }
}
