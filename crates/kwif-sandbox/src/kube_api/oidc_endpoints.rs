//! `/.well-known/openid-configuration` and `/openid/v1/jwks` exactly as kube-apiserver serves
//! them (kubernetes.md §3): the five discovery fields, the key-file keys, and silence (404) when
//! the first issuer is not an https URL or there is no key.

use crate::oidc::discovery::discovery_document;
use crate::oidc::issuer::IssuerUrl;

use super::cluster::Cluster;

pub const DISCOVERY_CONTENT_TYPE: &str = "application/json";
pub const JWKS_CONTENT_TYPE: &str = "application/jwk-set+json";
pub const CACHE_CONTROL: &str = "public, max-age=3600";

impl Cluster {
    /// The discovery document, or `None` when kube-apiserver would not enable the endpoints.
    pub fn discovery_document(&self) -> Option<Vec<u8>> {
        let issuer = self.discovery_issuer()?;
        let algorithms: Vec<&str> = self
            .keys
            .verification_keys()
            .iter()
            .map(|key| key.alg())
            .collect();
        let document = discovery_document(&issuer, Some(&self.jwks_uri()), &algorithms);
        serde_json::to_vec(&document).ok()
    }

    /// The JWKS, under the same conditions as the discovery document.
    pub fn jwks_document(&self) -> Option<Vec<u8>> {
        self.discovery_issuer()?;
        serde_json::to_vec(&self.keys.jwks()).ok()
    }

    /// `NewOpenIDMetadataProvider`'s checks: an https issuer without query or fragment, and at
    /// least one verification key.
    fn discovery_issuer(&self) -> Option<IssuerUrl> {
        let first = self.flags.service_account_issuers.first()?;
        let issuer = IssuerUrl::parse(first).ok()?;
        (!self.keys.verification_keys().is_empty()).then_some(issuer)
    }
}
