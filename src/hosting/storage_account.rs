//! The storage account behind the `azure-blob` publisher, managed through Resource Manager:
//! what is wrong with it (missing, name taken, still being created, anonymous reads off, account
//! key refused), the changes that fix it, and making them. The blob data plane stays in
//! azure_blob.rs.

use std::sync::{Mutex, PoisonError};

use crate::azure::error::AzureError;
use crate::azure::storage_account::{
    NEW_ACCOUNT_KIND, NEW_ACCOUNT_SKU, NameAvailability, StorageAccount, StorageAccountClient,
};
use crate::engine::{Change, Finding};

use super::HostingError;
use super::shared_key::StorageKey;

/// The account does not exist yet; apply creates it.
pub const ACCOUNT_MISSING: &str = "HOSTING_STORAGE_ACCOUNT_MISSING";
/// The name belongs to an account elsewhere (names are global), or is not a valid name.
pub const ACCOUNT_NAME_UNAVAILABLE: &str = "HOSTING_STORAGE_ACCOUNT_NAME_UNAVAILABLE";
/// The account exists but Azure is still provisioning it.
pub const ACCOUNT_CREATING: &str = "HOSTING_STORAGE_ACCOUNT_CREATING";
/// `allowBlobPublicAccess: false` overrides the container: Entra ID gets 409 PublicAccessNotPermitted.
pub const PUBLIC_ACCESS_DISABLED: &str = "HOSTING_BLOB_PUBLIC_ACCESS_DISABLED";
/// `allowSharedKeyAccess: false`: the account key kwif uploads with is refused.
pub const SHARED_KEY_DISABLED: &str = "HOSTING_STORAGE_SHARED_KEY_DISABLED";
/// Resource Manager refused the login, so the account is used with the given key only.
pub const ACCOUNT_NOT_CHECKED: &str = "HOSTING_STORAGE_ACCOUNT_NOT_CHECKED";
/// The static website Azure gave the new account is not the issuer in kwif.yaml.
pub const WEB_ENDPOINT_NOT_ISSUER: &str = "HOSTING_WEB_ENDPOINT_NOT_ISSUER";

/// A storage account kwif may create and configure.
#[derive(Debug)]
pub struct ManagedAccount {
    client: StorageAccountClient,
    /// Where a new account goes (`azure.location`).
    location: String,
    /// The key `listKeys` gave, kept for the run: every read of it is in the activity log.
    key: Mutex<Option<StorageKey>>,
}

/// What Resource Manager says about the account.
#[derive(Clone, Debug)]
pub enum AccountState {
    Missing(NameAvailability),
    Present(StorageAccount),
}

impl AccountState {
    /// Provisioned, so its keys and data plane can be used.
    pub fn ready(&self) -> Option<&StorageAccount> {
        match self {
            AccountState::Present(account) if account.is_ready() => Some(account),
            _ => None,
        }
    }
}

/// Whether Resource Manager refused the login itself (not logged in, token refused, no right
/// to read the account), rather than answering about the account.
pub fn login_refused(error: &AzureError) -> bool {
    matches!(error, AzureError::Credential(_)) || matches!(error.status(), Some(401 | 403))
}

impl ManagedAccount {
    pub fn new(client: StorageAccountClient, location: impl Into<String>) -> ManagedAccount {
        ManagedAccount {
            client,
            location: location.into(),
            key: Mutex::new(None),
        }
    }

    pub fn name(&self) -> &str {
        self.client.name()
    }

    pub async fn state(&self) -> Result<AccountState, AzureError> {
        match self.client.get().await? {
            Some(account) => Ok(AccountState::Present(account)),
            None => Ok(AccountState::Missing(
                self.client.name_availability().await?,
            )),
        }
    }

    /// The account key: read once through `listKeys`, then kept.
    pub async fn key(&self) -> Result<StorageKey, HostingError> {
        if let Some(key) = self
            .key
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
        {
            return Ok(key);
        }
        let key = self.client.key().await?;
        *self.key.lock().unwrap_or_else(PoisonError::into_inner) = Some(key.clone());
        Ok(key)
    }

    fn described(&self) -> String {
        format!(
            "storage account {} in resource group {}",
            self.name(),
            self.client.resource_group()
        )
    }

    /// The findings for the account itself.
    pub fn findings(&self, state: &AccountState, public_container: bool) -> Vec<Finding> {
        let mut findings = Vec::new();
        match state {
            AccountState::Missing(NameAvailability::Unavailable { reason, message }) => {
                findings.push(self.unavailable(reason, message).into_finding());
            }
            AccountState::Missing(availability) => {
                let unchecked = match availability {
                    NameAvailability::Unverified { .. } => {
                        " (whether the name is free could not be checked with this login)"
                    }
                    _ => "",
                };
                findings.push(Finding::warning(
                    ACCOUNT_MISSING,
                    format!("{} does not exist{unchecked}", self.described()),
                    format!(
                        "kwif apply --step hosting creates it in {} ({NEW_ACCOUNT_KIND}, {NEW_ACCOUNT_SKU})",
                        self.location
                    ),
                ));
            }
            AccountState::Present(account) if !account.is_ready() => {
                findings.push(Finding::warning(
                    ACCOUNT_CREATING,
                    format!(
                        "{} is still being created (provisioningState {})",
                        self.described(),
                        account.provisioning_state
                    ),
                    "kwif apply --step hosting waits for it, then publishes",
                ));
            }
            AccountState::Present(account) => {
                if public_container && !account.allow_blob_public_access {
                    findings.push(Finding::error(
                        PUBLIC_ACCESS_DISABLED,
                        format!(
                            "storage account {} does not allow anonymous blob reads (allowBlobPublicAccess is false), \
                             so Entra ID cannot fetch the documents (AADSTS90061)",
                            self.name()
                        ),
                        "kwif apply --step hosting allows them on the account; only the container it serves opens up",
                    ));
                }
                if !account.allow_shared_key_access {
                    findings.push(self.shared_key_disabled().into_finding());
                }
            }
        }
        findings
    }

    /// The changes to the account that come before any upload; `issuer` is what the plan
    /// says the documents will be served at.
    pub fn changes(
        &self,
        state: &AccountState,
        public_container: bool,
        issuer: &str,
    ) -> Result<Vec<Change>, HostingError> {
        match state {
            AccountState::Missing(NameAvailability::Unavailable { reason, message }) => {
                Err(self.unavailable(reason, message).into_error())
            }
            AccountState::Missing(availability) => {
                let access = if public_container {
                    ", anonymous blob reads allowed"
                } else {
                    ""
                };
                let unchecked = match availability {
                    NameAvailability::Unverified { .. } => {
                        " (the name could not be checked in advance: creating it will tell)"
                    }
                    _ => "",
                };
                Ok(vec![Change::new(
                    self.described(),
                    format!(
                        "create it in {}: {NEW_ACCOUNT_KIND}, {NEW_ACCOUNT_SKU}, HTTPS only, TLS 1.2{access}{unchecked}; the issuer is {issuer}",
                        self.location
                    ),
                    "",
                    format!(
                        "location: {}\nsku: {NEW_ACCOUNT_SKU}\nkind: {NEW_ACCOUNT_KIND}\nallowBlobPublicAccess: {public_container}\n\
                         minimumTlsVersion: TLS1_2\nsupportsHttpsTrafficOnly: true\n",
                        self.location
                    ),
                )])
            }
            AccountState::Present(account) => {
                if !account.allow_shared_key_access {
                    return Err(self.shared_key_disabled().into_error());
                }
                if public_container && !account.allow_blob_public_access {
                    return Ok(vec![Change::new(
                        format!("storage account {}", self.name()),
                        format!(
                            "allow anonymous blob reads on the account, so the container can serve the documents at {issuer}"
                        ),
                        "allowBlobPublicAccess: false\n",
                        "allowBlobPublicAccess: true\n",
                    )]);
                }
                Ok(Vec::new())
            }
        }
    }

    /// Creates or opens the account as the changes said; the account, provisioned, afterwards.
    pub async fn ensure(
        &self,
        state: AccountState,
        public_container: bool,
    ) -> Result<StorageAccount, HostingError> {
        let account = match state {
            AccountState::Present(account) if account.is_ready() => account,
            AccountState::Present(_) => self.client.wait_until_ready().await?,
            AccountState::Missing(NameAvailability::Unavailable { reason, message }) => {
                return Err(self.unavailable(&reason, &message).into_error());
            }
            AccountState::Missing(_) => {
                self.client.create(&self.location, public_container).await?
            }
        };
        if !account.allow_shared_key_access {
            return Err(self.shared_key_disabled().into_error());
        }
        if public_container && !account.allow_blob_public_access {
            return Ok(self.client.allow_blob_public_access().await?);
        }
        Ok(account)
    }

    /// Resource Manager was not used: why, and what it costs.
    pub fn not_checked(&self, error: &AzureError) -> Finding {
        Finding::warning(
            ACCOUNT_NOT_CHECKED,
            format!(
                "{} was not checked through Resource Manager ({error}); kwif uses it with the given key and cannot create or configure it",
                self.described()
            ),
            "log in with an account that may read it (`az login`) to let kwif check it; the key alone is enough to publish",
        )
    }

    /// The static website Azure gave the account is not the issuer: stop before uploading.
    pub fn web_endpoint_not_issuer(&self, endpoint: &str, issuer: &str) -> HostingError {
        Problem {
            code: WEB_ENDPOINT_NOT_ISSUER,
            message: format!(
                "the static website of storage account {} is {endpoint}, but the issuer in kwif.yaml is {issuer}; \
                 nothing was uploaded",
                self.name()
            ),
            fix: format!(
                "set `issuer: {endpoint}` in kwif.yaml (Azure picks the zone in the host), then apply again"
            ),
        }
        .into_error()
    }

    fn unavailable(&self, reason: &str, message: &str) -> Problem {
        let fix = if reason.eq_ignore_ascii_case("AlreadyExists") {
            format!(
                "if the account is yours, set hosting.azureBlob.resourceGroup to its resource group \
                 (`az storage account show -n {} --query resourceGroup`); else choose another \
                 hosting.azureBlob.storageAccount and change the issuer with it",
                self.name()
            )
        } else {
            "a storage account name is 3 to 24 lowercase letters and digits: correct hosting.azureBlob.storageAccount"
                .to_string()
        };
        Problem {
            code: ACCOUNT_NAME_UNAVAILABLE,
            message: format!(
                "{} does not exist and cannot be created: {message}",
                self.described()
            ),
            fix,
        }
    }

    fn shared_key_disabled(&self) -> Problem {
        Problem {
            code: SHARED_KEY_DISABLED,
            message: format!(
                "storage account {} refuses its account key (allowSharedKeyAccess is false), and kwif uploads with it",
                self.name()
            ),
            fix: format!(
                "allow it: `az storage account update -n {} -g {} --allow-shared-key-access true`, or use \
                 hosting kind directory and upload the two files yourself",
                self.name(),
                self.client.resource_group()
            ),
        }
    }
}

/// An account problem, as a finding in a check or an error in a plan.
struct Problem {
    code: &'static str,
    message: String,
    fix: String,
}

impl Problem {
    fn into_finding(self) -> Finding {
        Finding::error(self.code, self.message, self.fix)
    }

    fn into_error(self) -> HostingError {
        HostingError::Account {
            code: self.code,
            message: self.message,
            fix: self.fix,
        }
    }
}
