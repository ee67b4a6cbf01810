//! A storage account key as Azure hands it out (base64): what Resource Manager's `listKeys`
//! returns and Shared Key authorization signs with. The key is never printed: its `Debug`
//! shows nothing of it.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The environment variable the Azure CLI reads the account key from.
pub const STORAGE_KEY_VARIABLE: &str = "AZURE_STORAGE_KEY";

/// A storage account key (base64 in the portal and `az storage account keys list`).
#[derive(Clone)]
pub struct StorageKey(Vec<u8>);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the storage account key is not base64: copy it from `az storage account keys list`")]
pub struct InvalidStorageKey;

impl StorageKey {
    /// The key's bytes, for signing (Shared Key authorization); never shown.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn parse(text: &str) -> Result<StorageKey, InvalidStorageKey> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| InvalidStorageKey)?;
        if bytes.is_empty() {
            return Err(InvalidStorageKey);
        }
        Ok(StorageKey(bytes))
    }

    /// The key in `AZURE_STORAGE_KEY`, when set.
    pub fn from_env() -> Result<Option<StorageKey>, InvalidStorageKey> {
        match std::env::var(STORAGE_KEY_VARIABLE) {
            Ok(text) if !text.trim().is_empty() => StorageKey::parse(&text).map(Some),
            _ => Ok(None),
        }
    }
}

impl fmt::Debug for StorageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StorageKey(hidden)")
    }
}
