//! The kube-apiserver flags the sandbox honours (issuers, jwks-uri, API audiences, anonymous
//! auth, token lifetimes) and the checks kube-apiserver makes before it agrees to start.

use std::time::Duration;

use url::Url;

use super::distribution::Distribution;
use crate::SandboxError;

/// The effective flags of the sandbox's kube-apiserver, distribution defaults included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiServerFlags {
    /// `--service-account-issuer`, in order: the first signs, all are accepted.
    pub service_account_issuers: Vec<String>,
    /// `--service-account-jwks-uri`; unset serves `https://<address>/openid/v1/jwks`.
    pub service_account_jwks_uri: Option<String>,
    /// `--api-audiences`; unset means the issuers.
    pub api_audiences: Option<Vec<String>>,
    /// `--anonymous-auth`.
    pub anonymous_auth: bool,
    /// `--service-account-max-token-expiration`; unset means no cap.
    pub service_account_max_token_expiration: Option<Duration>,
    /// `--service-account-extend-token-expiration`.
    pub service_account_extend_token_expiration: bool,
}

impl ApiServerFlags {
    /// The flags a fresh install of `distribution` runs with.
    pub fn defaults_for(distribution: Distribution) -> ApiServerFlags {
        let tells = distribution.tells();
        ApiServerFlags {
            service_account_issuers: vec![tells.default_issuer.to_string()],
            service_account_jwks_uri: tells.jwks_uri.map(str::to_string),
            api_audiences: match tells.api_audiences {
                [] => None,
                audiences => Some(
                    audiences
                        .iter()
                        .map(std::string::ToString::to_string)
                        .collect(),
                ),
            },
            anonymous_auth: tells.anonymous_auth,
            service_account_max_token_expiration: None,
            service_account_extend_token_expiration: true,
        }
    }

    /// The audiences API tokens carry and the server accepts: `--api-audiences`, or the issuers.
    pub fn effective_api_audiences(&self) -> Vec<String> {
        self.api_audiences
            .clone()
            .unwrap_or_else(|| self.service_account_issuers.clone())
    }

    /// kube-apiserver's start-up validation (pkg/kubeapiserver/options/authentication.go); the
    /// error carries the message it logs before exiting.
    pub fn validate(&self) -> Result<(), SandboxError> {
        let mut errors = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for issuer in &self.service_account_issuers {
            if issuer.contains(':')
                && let Err(error) = Url::parse(issuer)
            {
                errors.push(format!("service-account-issuer {issuer:?} contained a ':' but was not a valid URL: {error}"));
                continue;
            }
            if issuer.is_empty() {
                errors.push("service-account-issuer should not be an empty string".to_string());
            } else if seen.contains(&issuer.as_str()) {
                errors.push(format!(
                    "service-account-issuer {issuer:?} is already specified"
                ));
            } else {
                seen.push(issuer);
            }
        }
        if self.service_account_issuers.is_empty() {
            errors.push("service-account-issuer is a required flag".to_string());
        }
        if let Some(jwks_uri) = &self.service_account_jwks_uri {
            match Url::parse(jwks_uri) {
                Err(error) => errors.push(format!(
                    "service-account-jwks-uri must be a valid URL: {error}"
                )),
                Ok(url) if url.scheme() != "https" => {
                    errors.push(format!(
                        "service-account-jwks-uri requires https scheme, parsed as: {url}"
                    ));
                }
                Ok(_) => {}
            }
        }
        if let Some(max) = self.service_account_max_token_expiration {
            if max < Duration::from_secs(3600) {
                errors.push(
                    "service-account-max-token-expiration cannot be less than 1 hour".to_string(),
                );
            } else if max > Duration::from_secs(1 << 32) {
                errors.push(
                    "service-account-max-token-expiration cannot be more than 2^32 seconds"
                        .to_string(),
                );
            }
        }
        match errors.is_empty() {
            true => Ok(()),
            false => Err(SandboxError::Flags(errors.join(", "))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_up_checks_reject_what_kube_apiserver_rejects() {
        let mut flags = ApiServerFlags::defaults_for(Distribution::Kubeadm);
        assert!(flags.validate().is_ok());
        flags.service_account_issuers =
            vec!["https://a.example".into(), "https://a.example".into()];
        assert!(
            flags
                .validate()
                .unwrap_err()
                .to_string()
                .contains("is already specified")
        );
        flags.service_account_issuers = Vec::new();
        assert!(
            flags
                .validate()
                .unwrap_err()
                .to_string()
                .contains("service-account-issuer is a required flag")
        );
        let mut flags = ApiServerFlags::defaults_for(Distribution::K3s);
        flags.service_account_jwks_uri = Some("http://keys.example/jwks".into());
        assert!(
            flags
                .validate()
                .unwrap_err()
                .to_string()
                .contains("requires https scheme")
        );
    }

    #[test]
    fn api_audiences_default_to_the_issuers_unless_the_distribution_sets_them() {
        let kubeadm = ApiServerFlags::defaults_for(Distribution::Kubeadm);
        assert_eq!(
            kubeadm.effective_api_audiences(),
            kubeadm.service_account_issuers
        );
        let k3s = ApiServerFlags::defaults_for(Distribution::K3s);
        assert_eq!(
            k3s.effective_api_audiences(),
            ["https://kubernetes.default.svc.cluster.local", "k3s"]
        );
    }
}
