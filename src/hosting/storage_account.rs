//! The storage account behind the `azure-blob` publisher, managed through Resource Manager:
//! what is wrong with it (missing, name taken, anonymous reads off, account key refused), the
//! changes that fix it, and making them. The blob data plane stays in azure_blob.rs.

use crate::azure::storage::{
    NEW_ACCOUNT_KIND, NEW_ACCOUNT_SKU, NameAvailability, StorageAccount, StorageAccountClient,
};
use crate::engine::{Change, Finding};

use super::HostingError;

/// The account does not exist yet; apply creates it.
pub const ACCOUNT_MISSING: &str = "HOSTING_STORAGE_ACCOUNT_MISSING";
/// The name belongs to an account elsewhere (names are global), or is not a valid name.
pub const ACCOUNT_NAME_UNAVAILABLE: &str = "HOSTING_STORAGE_ACCOUNT_NAME_UNAVAILABLE";
/// `allowBlobPublicAccess: false` overrides the container: Entra ID gets 409 PublicAccessNotPermitted.
pub const PUBLIC_ACCESS_DISABLED: &str = "HOSTING_BLOB_PUBLIC_ACCESS_DISABLED";
/// `allowSharedKeyAccess: false`: the account key kwif uploads with is refused.
pub const SHARED_KEY_DISABLED: &str = "HOSTING_STORAGE_SHARED_KEY_DISABLED";

/// A storage account kwif may create and configure.
#[derive(Clone, Debug)]
pub struct ManagedAccount {
    pub client: StorageAccountClient,
    /// Where a new account goes (`azure.location`).
    pub location: String,
}

/// What Resource Manager says about the account.
#[derive(Clone, Debug)]
pub enum AccountState {
    Missing(NameAvailability),
    Present(StorageAccount),
}

impl ManagedAccount {
    pub async fn state(&self) -> Result<AccountState, HostingError> {
        match self.client.get().await? {
            Some(account) => Ok(AccountState::Present(account)),
            None => Ok(AccountState::Missing(
                self.client.name_availability().await?,
            )),
        }
    }

    fn name(&self) -> &str {
        self.client.name()
    }

    fn where_(&self) -> String {
        format!(
            "storage account {} in resource group {}",
            self.name(),
            self.client.resource_group()
        )
    }

    /// The findings for the account itself; `key_given`: the user gave the key, so kwif does
    /// not depend on reading it.
    pub fn findings(
        &self,
        state: &AccountState,
        public_container: bool,
        key_given: bool,
    ) -> Vec<Finding> {
        let mut findings = Vec::new();
        match state {
            AccountState::Missing(NameAvailability::Available) => findings.push(Finding::warning(
                ACCOUNT_MISSING,
                format!("{} does not exist", self.where_()),
                format!(
                    "kwif apply --step hosting creates it in {} ({NEW_ACCOUNT_KIND}, {NEW_ACCOUNT_SKU})",
                    self.location
                ),
            )),
            AccountState::Missing(NameAvailability::Unavailable { reason, message }) => {
                findings.push(self.unavailable(reason, message).into_finding())
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
                if !account.allow_shared_key_access && !key_given {
                    findings.push(self.shared_key_disabled().into_finding());
                }
            }
        }
        findings
    }

    /// The changes to the account that come before any upload.
    pub fn changes(
        &self,
        state: &AccountState,
        public_container: bool,
        key_given: bool,
        issuer: &str,
    ) -> Result<Vec<Change>, HostingError> {
        match state {
            AccountState::Missing(NameAvailability::Available) => {
                let access = if public_container {
                    ", anonymous blob reads allowed"
                } else {
                    ""
                };
                Ok(vec![Change::new(
                    self.where_(),
                    format!(
                        "create it in {}: {NEW_ACCOUNT_KIND}, {NEW_ACCOUNT_SKU}, HTTPS only, TLS 1.2{access}; the issuer is {issuer}",
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
            AccountState::Missing(NameAvailability::Unavailable { reason, message }) => {
                Err(self.unavailable(reason, message).into_error())
            }
            AccountState::Present(account) => {
                if !account.allow_shared_key_access && !key_given {
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

    /// Creates or opens the account as the changes said; the account as it is afterwards.
    pub async fn ensure(
        &self,
        state: AccountState,
        public_container: bool,
        key_given: bool,
    ) -> Result<StorageAccount, HostingError> {
        let account = match state {
            AccountState::Present(account) => account,
            AccountState::Missing(NameAvailability::Available) => {
                self.client.create(&self.location, public_container).await?
            }
            AccountState::Missing(NameAvailability::Unavailable { reason, message }) => {
                return Err(self.unavailable(&reason, &message).into_error());
            }
        };
        if !account.allow_shared_key_access && !key_given {
            return Err(self.shared_key_disabled().into_error());
        }
        if public_container && !account.allow_blob_public_access {
            return Ok(self.client.allow_blob_public_access().await?);
        }
        Ok(account)
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
                self.where_()
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
            message: self.message,
            fix: self.fix,
        }
    }
}
