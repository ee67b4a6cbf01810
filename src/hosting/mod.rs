//! Publishers of the discovery document and JWKS: in-cluster nginx, Azure Blob Storage, a local
//! directory for any static host, or the API server itself. Each one reads what it published,
//! plans changes as diffs and publishes; none of them decides which keys to publish.

use std::path::PathBuf;

use serde_json::Value;

use crate::engine::{Change, Finding, StepError};
use crate::kube::KubeError;

pub mod apiserver;
pub mod azure_blob;
pub mod directory;
pub mod documents;
pub mod manifests;
pub mod nginx;
mod removal;
pub mod retired_keys;
pub mod shared_key;
pub mod storage_account;

pub use apiserver::ApiServerPublisher;
pub use azure_blob::{AzureBlobPublisher, BlobEndpoint};
pub use directory::DirectoryPublisher;
pub use documents::{Documents, KeySource};
pub use nginx::{NginxPublisher, NginxSite};
pub use shared_key::StorageKey;

/// Why publishing (or reading what is published) failed, and what the user can do about it.
#[derive(Debug, thiserror::Error)]
pub enum HostingError {
    #[error(transparent)]
    Kube(#[from] KubeError),
    /// The storage account answered with an error (`code` is Azure's `x-ms-error-code`).
    #[error("{what}: the storage account answered {status} {code}: {message}")]
    Storage {
        what: String,
        status: u16,
        code: String,
        message: String,
    },
    /// The blob endpoint could not be reached at all.
    #[error("{what}: {message}")]
    StorageUnreachable { what: String, message: String },
    #[error("no storage account key: kwif signs blob requests with the account key (Shared Key)")]
    StorageKeyMissing { account: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The cluster's keys could not be read or are not a JWK set.
    #[error("{0}")]
    Keys(String),
    /// A cluster key breaks a rule kwif holds every key to (an RSA key of 512 bits).
    #[error("{message}")]
    KeyRejected { message: String, fix: &'static str },
    /// The issuer cannot be served by this publisher as it is written.
    #[error("{0}")]
    Issuer(String),
    /// Resource Manager refused or failed a storage account operation.
    #[error(transparent)]
    Azure(#[from] crate::azure::error::AzureError),
    /// The storage account cannot be used as it is.
    #[error("{message}")]
    Account {
        code: &'static str,
        message: String,
        fix: String,
    },
}

impl HostingError {
    /// The stable finding code for this failure.
    pub fn code(&self) -> &'static str {
        match self {
            HostingError::Kube(_) => "HOSTING_KUBE_API",
            HostingError::Storage { status: 403, .. } => "HOSTING_STORAGE_AUTH",
            HostingError::Storage { .. } => "HOSTING_STORAGE_ERROR",
            HostingError::StorageUnreachable { .. } => "HOSTING_STORAGE_UNREACHABLE",
            HostingError::StorageKeyMissing { .. } => "HOSTING_STORAGE_KEY_MISSING",
            HostingError::Io { .. } => "HOSTING_DIRECTORY_IO",
            HostingError::Keys(_) => "HOSTING_CLUSTER_KEYS_UNREADABLE",
            HostingError::KeyRejected { .. } => "HOSTING_CLUSTER_KEY_REJECTED",
            HostingError::Issuer(_) => "HOSTING_ISSUER_UNSERVABLE",
            HostingError::Azure(_) => "HOSTING_STORAGE_ACCOUNT",
            HostingError::Account { code, .. } => code,
        }
    }

    /// One line: what to do.
    pub fn fix(&self) -> String {
        match self {
            HostingError::Kube(error) if error.unreachable_fix().is_some() => {
                error.unreachable_fix().unwrap_or_default()
            }
            HostingError::Kube(error) => match error.code() {
                Some(401) => "log in to the cluster again (the kubeconfig's credentials were refused)".into(),
                Some(403) => "kwif needs get/patch on the hosting objects: use a kubeconfig with those rights".into(),
                Some(409) => "another field manager owns these fields: resolve the conflict, then apply again".into(),
                _ => "check that the cluster is reachable with the chosen kubeconfig and context".into(),
            },
            HostingError::Storage { status: 403, .. } => {
                "check the account key (AZURE_STORAGE_KEY): `az storage account keys list -n ACCOUNT --query [0].value -o tsv`"
                    .into()
            }
            HostingError::Storage { code, .. } if code == "PublicAccessNotPermitted" => {
                "allow anonymous blob reads on the account: `az storage account update -n ACCOUNT --allow-blob-public-access true`, or use mode: static-website".into()
            }
            HostingError::Storage { .. } => "see the storage account's message above".into(),
            HostingError::StorageUnreachable { .. } => {
                "check the storage account name and the network; logged in to Azure (`az login`), kwif reads the account's endpoint through Resource Manager and creates a missing account".into()
            }
            HostingError::StorageKeyMissing { account } => format!(
                "export AZURE_STORAGE_KEY=$(az storage account keys list -n {account} --query [0].value -o tsv), \
                 or log in (`az login`) so kwif reads it through Resource Manager"
            ),
            HostingError::Io { .. } => "check that the directory can be written by the user running kwif".into(),
            HostingError::Keys(_) => {
                "kwif reads the keys with `kubectl get --raw /openid/v1/jwks`; or give the public key files (kwif jwks --key PEM…)".into()
            }
            HostingError::KeyRejected { fix, .. } => (*fix).into(),
            HostingError::Issuer(_) => "change the issuer in kwif.yaml, or choose another hosting kind".into(),
            HostingError::Azure(error) => error.fix(),
            HostingError::Account { fix, .. } => fix.clone(),
        }
    }

    pub fn to_finding(&self) -> Finding {
        Finding::error(self.code(), self.to_string(), self.fix())
    }

    pub fn to_step_error(&self) -> StepError {
        StepError::new(self.to_string(), self.fix())
    }
}

/// What a publisher holds now: each document's text as stored (`None`: not published), and where.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Published {
    pub discovery: Option<String>,
    pub jwks: Option<String>,
    /// Where the documents live, in the user's words: `ConfigMap kwif-oidc/oidc-documents`.
    pub location: String,
    /// When each stale key in the JWKS was retired, as the publisher recorded it.
    pub retired: retired_keys::RetiredKeys,
}

impl Published {
    /// The keys of the published JWKS; none when it is missing or not a JWK set.
    pub fn jwks_keys(&self) -> Vec<Value> {
        self.jwks
            .as_deref()
            .and_then(|text| serde_json::from_str::<Value>(text).ok())
            .map(|jwks| documents::jwk_entries(&jwks))
            .unwrap_or_default()
    }
}

/// The publisher the profile chose.
pub enum Publisher {
    Nginx(NginxPublisher),
    AzureBlob(AzureBlobPublisher),
    Directory(DirectoryPublisher),
    ApiServer(ApiServerPublisher),
}

impl Publisher {
    /// What publishes, in the user's words.
    pub fn describe(&self) -> String {
        match self {
            Publisher::Nginx(nginx) => nginx.describe(),
            Publisher::AzureBlob(blob) => blob.describe(),
            Publisher::Directory(directory) => directory.describe(),
            Publisher::ApiServer(apiserver) => apiserver.describe(),
        }
    }

    /// Findings that hold whatever is published: warnings about the choice itself.
    pub fn notes(&self) -> Vec<Finding> {
        match self {
            Publisher::Nginx(nginx) => nginx.notes(),
            Publisher::AzureBlob(blob) => blob.notes(),
            Publisher::Directory(directory) => directory.notes(),
            Publisher::ApiServer(apiserver) => apiserver.notes(),
        }
    }

    /// The documents as published now.
    pub async fn read(&self) -> Result<Published, HostingError> {
        match self {
            Publisher::Nginx(nginx) => nginx.read().await,
            Publisher::AzureBlob(blob) => blob.read().await,
            Publisher::Directory(directory) => directory.read(),
            Publisher::ApiServer(apiserver) => apiserver.read().await,
        }
    }

    /// What differs from `documents` published right, read-only; empty when nothing does.
    pub async fn drift(&self, documents: &Documents) -> Result<Vec<Finding>, HostingError> {
        match self {
            Publisher::Nginx(nginx) => nginx.drift(documents).await,
            Publisher::AzureBlob(blob) => blob.drift(documents).await,
            Publisher::Directory(directory) => Ok(directory.drift(documents)),
            Publisher::ApiServer(apiserver) => apiserver.drift().await,
        }
    }

    /// The changes publishing `documents` would make, each with a diff.
    pub async fn plan(&self, documents: &Documents) -> Result<Vec<Change>, HostingError> {
        match self {
            Publisher::Nginx(nginx) => nginx.plan(documents).await,
            Publisher::AzureBlob(blob) => blob.plan(documents).await,
            Publisher::Directory(directory) => Ok(directory.plan(documents)),
            Publisher::ApiServer(apiserver) => apiserver.plan().await,
        }
    }

    /// Publishes `documents`; safe to run again.
    pub async fn publish(&self, documents: &Documents) -> Result<(), HostingError> {
        match self {
            Publisher::Nginx(nginx) => nginx.publish(documents).await,
            Publisher::AzureBlob(blob) => blob.publish(documents).await,
            Publisher::Directory(directory) => directory.publish(documents),
            Publisher::ApiServer(apiserver) => apiserver.publish().await,
        }
    }
}

/// The fix of every "not published as planned" finding.
pub(crate) const PUBLISH_FIX: &str = "kwif apply --step hosting publishes it";

/// A finding when the stored `document` (named `what`, stored at `location`) is missing or
/// differs from `wanted`; `None` when it matches.
pub(crate) fn document_drift(
    what: &str,
    location: &str,
    stored: Option<&str>,
    wanted: &Value,
) -> Option<Finding> {
    match stored {
        None => Some(Finding::warning(
            "HOSTING_DOCUMENT_MISSING",
            format!("the {what} is not published at {location}"),
            PUBLISH_FIX,
        )),
        Some(_) if same_json(stored, wanted) => None,
        Some(_) => Some(Finding::warning(
            "HOSTING_DOCUMENT_OUTDATED",
            format!("the {what} at {location} differs from the one for the cluster's current keys"),
            PUBLISH_FIX,
        )),
    }
}

/// Two stored texts hold the same JSON document (formatting aside).
pub(crate) fn same_json(stored: Option<&str>, wanted: &Value) -> bool {
    stored
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
        .as_ref()
        == Some(wanted)
}

/// The issuer's path without the terminating `/`, percent-decoded: `""` or `/cluster1`. The two
/// documents live below it (OpenID Connect Discovery 1.0 §4 removes any terminating `/`).
pub(crate) fn issuer_path(issuer: &crate::oidc::issuer::IssuerUrl) -> Result<String, HostingError> {
    let url = url::Url::parse(issuer.as_str())
        .map_err(|error| HostingError::Issuer(error.to_string()))?;
    let decoded = percent_decode(url.path()).ok_or_else(|| {
        HostingError::Issuer(format!(
            "the issuer path {:?} is not valid UTF-8 once decoded",
            url.path()
        ))
    })?;
    let trimmed = decoded.trim_end_matches('/');
    if trimmed.chars().any(char::is_control) {
        return Err(HostingError::Issuer(format!(
            "the issuer path {trimmed:?} holds control characters"
        )));
    }
    Ok(trimmed.to_string())
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = |at: usize| bytes.get(at).and_then(|b| (*b as char).to_digit(16));
        match (bytes[index], hex(index + 1), hex(index + 2)) {
            (b'%', Some(high), Some(low)) => {
                decoded.push((high * 16 + low) as u8);
                index += 3;
            }
            (byte, _, _) => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8(decoded).ok()
}

/// A JSON document as kwif stores and diffs it: pretty, with a final newline.
pub(crate) fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// A stored document as shown in a diff: pretty when it is JSON, as stored otherwise.
pub(crate) fn shown(stored: Option<&str>) -> String {
    match stored {
        None => String::new(),
        Some(text) => serde_json::from_str::<Value>(text)
            .map_or_else(|_| text.to_string(), |value| pretty(&value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::issuer::IssuerUrl;

    #[test]
    fn issuer_paths_lose_the_terminating_slash_and_are_decoded() {
        let path = |raw: &str| issuer_path(&IssuerUrl::parse(raw).unwrap()).unwrap();
        assert_eq!(path("https://oidc.example.com"), "");
        assert_eq!(path("https://oidc.example.com/"), "");
        assert_eq!(path("https://oidc.example.com/cluster1"), "/cluster1");
        assert_eq!(path("https://st1.blob.core.windows.net/oidc/"), "/oidc");
        assert_eq!(path("https://oidc.example.com/a%20b/"), "/a b");
    }

    #[test]
    fn same_json_ignores_formatting_only() {
        let wanted = serde_json::json!({"keys": []});
        assert!(same_json(Some("{ \"keys\" : [ ] }\n"), &wanted));
        assert!(!same_json(Some("{\"keys\":[1]}"), &wanted));
        assert!(!same_json(None, &wanted));
        assert!(!same_json(Some("not json"), &wanted));
    }
}
