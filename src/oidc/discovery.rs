//! The OIDC discovery document kwif publishes: the five fields kube-apiserver serves, in its
//! order (kubernetes.md §3.1). Checking a hosted document is the doctor's job, not this module's.

use serde_json::{Value, json};

use super::issuer::IssuerUrl;

/// The fields Entra ID needs in a discovery document (OpenID Connect Discovery 1.0 §3, minus
/// `authorization_endpoint`, which Kubernetes and Azure's sample omit).
pub const REQUIRED_FIELDS: [&str; 5] = [
    "issuer",
    "jwks_uri",
    "response_types_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
];

/// The discovery document for `issuer`, its keys at `jwks_uri` (default `{issuer}/openid/v1/jwks`),
/// signed with `algorithms` (sorted and deduplicated, like kube-apiserver; RS256 when empty).
pub fn discovery_document(
    issuer: &IssuerUrl,
    jwks_uri: Option<&str>,
    algorithms: &[&str],
) -> Value {
    let mut algorithms: Vec<&str> = if algorithms.is_empty() {
        vec!["RS256"]
    } else {
        algorithms.to_vec()
    };
    algorithms.sort_unstable();
    algorithms.dedup();
    json!({
        "issuer": issuer.as_str(),
        "jwks_uri": jwks_uri.map_or_else(|| issuer.default_jwks_uri(), str::to_string),
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": algorithms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_has_the_five_fields_in_kubernetes_order_and_keeps_the_issuer_exactly() {
        let issuer = IssuerUrl::parse("https://st1.blob.core.windows.net/oidc/").unwrap();
        let document = discovery_document(&issuer, None, &[]);
        let keys: Vec<&String> = document.as_object().unwrap().keys().collect();
        assert_eq!(keys, REQUIRED_FIELDS);
        assert_eq!(
            document["issuer"],
            "https://st1.blob.core.windows.net/oidc/"
        );
        assert_eq!(
            document["jwks_uri"],
            "https://st1.blob.core.windows.net/oidc/openid/v1/jwks"
        );
        assert_eq!(
            document["id_token_signing_alg_values_supported"],
            json!(["RS256"])
        );
    }

    #[test]
    fn algorithms_are_sorted_and_unique() {
        let issuer = IssuerUrl::parse("https://oidc.example.com").unwrap();
        let document = discovery_document(
            &issuer,
            Some("https://keys.example.com/jwks"),
            &["RS256", "ES256", "RS256"],
        );
        assert_eq!(
            document["id_token_signing_alg_values_supported"],
            json!(["ES256", "RS256"])
        );
        assert_eq!(document["jwks_uri"], "https://keys.example.com/jwks");
    }
}
