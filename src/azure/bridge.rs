//! The adapter from an azure_identity 1.x credential to azure_core 0.21's `TokenCredential`,
//! which azure_mgmt_msi 0.21 takes (azure.md §9.5). Tokens come from kwif's per-scope cache.

use azure_core_old::auth::{AccessToken, Secret, TokenCredential};
use azure_core_old::error::{Error, ErrorKind};

use crate::azure::credential::AzureCredential;

/// An [`AzureCredential`] seen through the old trait.
#[derive(Clone, Debug)]
pub struct Bridge(AzureCredential);

impl Bridge {
    pub fn new(credential: AzureCredential) -> Bridge {
        Bridge(credential)
    }
}

#[async_trait::async_trait]
impl TokenCredential for Bridge {
    async fn get_token(&self, scopes: &[&str]) -> azure_core_old::Result<AccessToken> {
        let Some(scope) = scopes.first() else {
            return Err(Error::message(
                ErrorKind::Credential,
                "no scope was asked for",
            ));
        };
        let token = self
            .0
            .token(scope)
            .await
            .map_err(|error| Error::new(ErrorKind::Credential, error))?;
        Ok(AccessToken::new(
            Secret::new(token.token.secret().to_owned()),
            token.expires_on,
        ))
    }

    async fn clear_cache(&self) -> azure_core_old::Result<()> {
        self.0.clear_cache();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_bridge_hands_the_same_token_to_the_old_sdk() {
        let bridge = Bridge::new(AzureCredential::fixed_token("sandbox", "token-1"));
        let token = bridge
            .get_token(&["https://management.azure.com/.default"])
            .await
            .unwrap();
        assert_eq!(token.token.secret(), "token-1");
        assert!(!format!("{bridge:?} {token:?}").contains("token-1"));
    }
}
