//! `/.well-known/openid-configuration` and `/openid/v1/jwks` exactly as kube-apiserver serves
//! them (pkg/serviceaccount/openidmetadata.go, kubernetes.md §3): the five discovery fields in
//! their order, the key-file keys, and silence (404) when the first issuer is not an https URL
//! without query or fragment, or there is no key.

use serde_json::json;
use url::Url;

use super::cluster::Cluster;

pub const DISCOVERY_CONTENT_TYPE: &str = "application/json";
/// RFC 7517 §8.5.1.
pub const JWKS_CONTENT_TYPE: &str = "application/jwk-set+json";
pub const CACHE_CONTROL: &str = "public, max-age=3600";

impl Cluster {
    /// The discovery document, or `None` when kube-apiserver would not enable the endpoints.
    pub fn discovery_document(&self) -> Option<Vec<u8>> {
        let issuer = self.discovery_issuer()?;
        // A sorted set of the keys' algorithms (openidmetadata.go).
        let mut algorithms = self.keys.algorithms();
        algorithms.sort_unstable();
        algorithms.dedup();
        let document = json!({
            "issuer": issuer,
            "jwks_uri": self.jwks_uri(),
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": algorithms,
        });
        serde_json::to_vec(&document).ok()
    }

    /// The JWKS, under the same conditions as the discovery document.
    pub fn jwks_document(&self) -> Option<Vec<u8>> {
        self.discovery_issuer()?;
        serde_json::to_vec(&self.keys.jwks()).ok()
    }

    /// `NewOpenIDMetadataProvider`'s checks: the first issuer is an https URL without query or
    /// fragment, and there is at least one verification key. The issuer is served as configured.
    fn discovery_issuer(&self) -> Option<&str> {
        let first = self.flags.service_account_issuers.first()?;
        let url = Url::parse(first).ok()?;
        let acceptable = url.scheme() == "https"
            && url.query().is_none()
            && url.fragment().is_none()
            && !first.contains('?')
            && !first.contains('#');
        (acceptable && self.keys.has_verification_keys()).then_some(first.as_str())
    }
}
