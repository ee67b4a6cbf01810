//! The two documents kwif publishes for an issuer, built from the cluster's own keys (its
//! `/openid/v1/jwks`, or key files); and the key union that keeps a rotated-out key published.
//! Keys are compared by `kid` only (kubernetes.md §4: the kid is the hash of the public key).

use std::path::PathBuf;

use ::kube::Client;
use serde_json::{Value, json};

use super::retired_keys::RetiredKeys;
use super::{HostingError, pretty};
use crate::oidc::discovery::discovery_document;
use crate::oidc::issuer::IssuerUrl;
use crate::oidc::jwks::{JwkProblem, JwkSet, JwksError, jwks_document};
use crate::oidc::key::{KeyType, load_key_files};

/// The discovery document and the JWKS, as they are to be published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Documents {
    pub discovery: Value,
    pub jwks: Value,
    /// When each stale key in the JWKS was retired: stored by the publisher beside the JWKS.
    pub retired: RetiredKeys,
}

impl Documents {
    /// The documents for `issuer` publishing `keys` (JWKs, in order); the discovery document
    /// lists the algorithms of those keys, as kube-apiserver does (kubernetes.md §3.1).
    pub fn for_keys(issuer: &IssuerUrl, keys: &[Value]) -> Documents {
        let algorithms: Vec<&str> = keys.iter().filter_map(algorithm_of).collect();
        Documents {
            discovery: discovery_document(issuer, None, &algorithms),
            jwks: json!({ "keys": keys }),
            retired: RetiredKeys::default(),
        }
    }

    /// The same documents, stored with the retirement record `retired`.
    #[must_use]
    pub fn with_retired_keys(mut self, retired: RetiredKeys) -> Documents {
        self.retired = retired;
        self
    }

    pub fn discovery_text(&self) -> String {
        pretty(&self.discovery)
    }

    pub fn jwks_text(&self) -> String {
        pretty(&self.jwks)
    }

    /// The `kid`s of the keys to publish, in order.
    pub fn kids(&self) -> Vec<String> {
        jwk_entries(&self.jwks)
            .iter()
            .filter_map(|key| kid_of(key).map(str::to_string))
            .collect()
    }
}

/// Where the cluster's keys come from.
pub enum KeySource {
    /// The API server's `/openid/v1/jwks`, read with the kubeconfig's credentials
    /// (`kubectl get --raw`), so it works where anonymous reads are off (kubernetes.md §3.3).
    Cluster(Client),
    /// Public or private key files (PEM), as `kwif jwks --key` reads them.
    KeyFiles(Vec<PathBuf>),
}

impl KeySource {
    pub fn describe(&self) -> String {
        match self {
            KeySource::Cluster(_) => "the cluster's /openid/v1/jwks".to_string(),
            KeySource::KeyFiles(paths) => {
                let names: Vec<String> = paths
                    .iter()
                    .map(|path| path.display().to_string())
                    .collect();
                format!("the key files {}", names.join(", "))
            }
        }
    }

    /// The cluster's current keys as JWKs, each with a `kid`.
    pub async fn keys(&self) -> Result<Vec<Value>, HostingError> {
        let jwks = match self {
            KeySource::Cluster(client) => {
                let text = crate::kube::get_raw(client, "/openid/v1/jwks")
                    .await
                    .map_err(|error| {
                        HostingError::Keys(format!("cannot read the cluster's keys: {error}"))
                    })?;
                check_key_sizes(&text)?;
                serde_json::from_str::<Value>(&text).map_err(|_| {
                    HostingError::Keys("the cluster's /openid/v1/jwks is not JSON".into())
                })?
            }
            KeySource::KeyFiles(paths) => {
                let keys =
                    load_key_files(paths).map_err(|error| HostingError::Keys(error.to_string()))?;
                jwks_document(&keys)
            }
        };
        let keys = jwk_entries(&jwks);
        if keys.is_empty() {
            return Err(HostingError::Keys(format!(
                "{} lists no key",
                self.describe()
            )));
        }
        if let Some(index) = keys.iter().position(|key| kid_of(key).is_none()) {
            return Err(HostingError::Keys(format!(
                "key {index} of {} has no kid, so it cannot be matched with tokens",
                self.describe()
            )));
        }
        Ok(keys)
    }
}

/// The cluster's keys meet the size rule every key meets in kwif (PEM files, a hosted JWKS):
/// publishing a key Entra ID or kube-apiserver will not use only hides the problem.
fn check_key_sizes(jwks: &str) -> Result<(), HostingError> {
    let Ok((_, skipped)) = JwkSet::parse_skipping_bad_keys(jwks.as_bytes()) else {
        return Ok(());
    };
    let rejected = skipped.into_iter().find(|error| {
        matches!(
            error,
            JwksError::Key {
                problem: JwkProblem::RsaKeySize { .. },
                ..
            }
        )
    });
    match rejected {
        None => Ok(()),
        Some(error) => Err(HostingError::KeyRejected {
            message: format!("the cluster's /openid/v1/jwks: {error}"),
            fix: error.fix(),
        }),
    }
}

/// The keys of a JWK set (`{"keys":[…]}`); none when it is not one.
pub fn jwk_entries(jwks: &Value) -> Vec<Value> {
    jwks["keys"].as_array().cloned().unwrap_or_default()
}

pub fn kid_of(jwk: &Value) -> Option<&str> {
    jwk["kid"].as_str()
}

/// The JWS algorithm a key signs with: its `alg`, else what its type implies (kubernetes.md §4).
fn algorithm_of(jwk: &Value) -> Option<&str> {
    if let Some(alg) = jwk["alg"].as_str() {
        return Some(alg);
    }
    match jwk["kty"].as_str()? {
        "RSA" => Some("RS256"),
        "EC" => KeyType::for_crv(jwk["crv"].as_str()?).map(KeyType::alg),
        _ => None,
    }
}

/// The keys to publish: the published ones in their order (the cluster's copy of each it still
/// has; the others unless `pruned` says so), then the cluster's keys not yet published. A key
/// leaves the JWKS only once every token it signed has expired (`retired_keys`), so no token the
/// cluster signed fails at Entra meanwhile; keeping the order means a rerun rewrites nothing.
pub fn keys_to_publish(
    cluster: &[Value],
    published: &[Value],
    pruned: impl Fn(&str) -> bool,
) -> Vec<Value> {
    let in_cluster = |kid: &str| cluster.iter().find(|key| kid_of(key) == Some(kid));
    let mut keys: Vec<Value> = Vec::new();
    for key in published {
        let Some(kid) = kid_of(key) else { continue };
        let kept = match in_cluster(kid) {
            Some(current) => Some(current),
            None if !pruned(kid) => Some(key),
            None => None,
        };
        if let Some(kept) = kept.filter(|_| !keys.iter().any(|known| kid_of(known) == Some(kid))) {
            keys.push(kept.clone());
        }
    }
    for key in cluster {
        if !keys.iter().any(|known| kid_of(known) == kid_of(key)) {
            keys.push(key.clone());
        }
    }
    keys
}

/// How the published keys stand against the cluster's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyComparison {
    /// Cluster keys missing from the published JWKS: their tokens fail (AADSTS7000272).
    pub unpublished: Vec<String>,
    /// Published keys the cluster no longer has: harmless for 24 h, then to be removed.
    pub stale: Vec<String>,
}

pub fn compare_keys(cluster: &[Value], published: &[Value]) -> KeyComparison {
    let cluster_kids: Vec<&str> = cluster.iter().filter_map(kid_of).collect();
    let published_kids: Vec<&str> = published.iter().filter_map(kid_of).collect();
    let missing_from = |kids: &[&str], other: &[&str]| -> Vec<String> {
        kids.iter()
            .filter(|kid| !other.contains(kid))
            .map(std::string::ToString::to_string)
            .collect()
    };
    KeyComparison {
        unpublished: missing_from(&cluster_kids, &published_kids),
        stale: missing_from(&published_kids, &cluster_kids),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kid: &str) -> Value {
        json!({"use":"sig","kty":"RSA","kid":kid,"alg":"RS256","n":"AQAB","e":"AQAB"})
    }

    #[test]
    fn a_rotation_publishes_the_union_keeping_the_published_order() {
        let published = [key("old")];
        let cluster = [key("new")];
        let kids: Vec<Value> = keys_to_publish(&cluster, &published, |_| false);
        assert_eq!(
            kids.iter().filter_map(kid_of).collect::<Vec<_>>(),
            ["old", "new"]
        );
        let reordered = keys_to_publish(&[key("b"), key("a")], &[key("a"), key("b")], |_| false);
        assert_eq!(
            reordered.iter().filter_map(kid_of).collect::<Vec<_>>(),
            ["a", "b"]
        );
        let pruned = keys_to_publish(&cluster, &published, |_| true);
        assert_eq!(
            pruned.iter().filter_map(kid_of).collect::<Vec<_>>(),
            ["new"]
        );
    }

    #[test]
    fn a_key_the_cluster_still_lists_is_never_dropped_even_when_pruning() {
        let both = [key("new"), key("old")];
        let kept = keys_to_publish(&both, &[key("old")], |_| true);
        assert_eq!(
            kept.iter().filter_map(kid_of).collect::<Vec<_>>(),
            ["old", "new"]
        );
    }

    #[test]
    fn comparison_names_unpublished_and_stale_kids() {
        let comparison = compare_keys(&[key("a"), key("b")], &[key("b"), key("c")]);
        assert_eq!(comparison.unpublished, ["a"]);
        assert_eq!(comparison.stale, ["c"]);
    }

    #[test]
    fn a_cluster_key_outside_1024_to_8192_bits_is_rejected_with_its_size() {
        use base64::Engine as _;
        let n = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([0xc1u8; 64]);
        let jwks = json!({"keys": [{"kty": "RSA", "kid": "small", "n": n, "e": "AQAB"}]});
        let error = check_key_sizes(&jwks.to_string()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the cluster's /openid/v1/jwks: keys[0] is an RSA key of 512 bits; kube-apiserver and \
             kwif accept 1024 to 8192 bits"
        );
        assert!(error.fix().contains("openssl genrsa"), "{}", error.fix());
        let n = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([0xc1u8; 256]);
        let jwks = json!({"keys": [{"kty": "RSA", "kid": "fine", "n": n, "e": "AQAB"}]});
        assert!(check_key_sizes(&jwks.to_string()).is_ok());
    }

    #[test]
    fn discovery_lists_the_algorithms_of_the_published_keys() {
        let issuer = IssuerUrl::parse("https://oidc.example.com/cluster1").unwrap();
        let ec = json!({"kty":"EC","crv":"P-256","kid":"ec","x":"","y":""});
        let documents = Documents::for_keys(&issuer, &[key("a"), ec]);
        assert_eq!(
            documents.discovery["id_token_signing_alg_values_supported"],
            json!(["ES256", "RS256"])
        );
        assert_eq!(
            documents.discovery["jwks_uri"],
            "https://oidc.example.com/cluster1/openid/v1/jwks"
        );
        assert_eq!(documents.kids(), ["a", "ec"]);
    }
}
