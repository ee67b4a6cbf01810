//! The service-account issuer URL and the rules Entra ID applies to it. The issuer is kept
//! byte for byte as the user wrote it: Entra compares it exactly with the token's `iss` and
//! the federated credential's `issuer`, trailing slash included (kubernetes.md §0, §10).

use std::fmt;

use url::Url;

/// Why an issuer string cannot be used. Each message says what is wrong and why it matters.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IssuerProblem {
    #[error("is empty: the issuer is the https URL that hosts the discovery document")]
    Empty,
    #[error("has leading or trailing whitespace: Entra ID compares the issuer byte for byte")]
    Whitespace,
    #[error("is not a URL ({0}): write it as https://host/path")]
    NotAUrl(String),
    #[error("must use https, not {0}: Entra ID only fetches https issuers")]
    NotHttps(String),
    #[error("must not have a query or fragment ('?' or '#'): OIDC discovery forbids them")]
    QueryOrFragment,
    #[error("has no host: write it as https://host/path")]
    NoHost,
}

/// Every rule the raw issuer string breaks, most fundamental first. Whitespace is reported
/// together with whatever the trimmed value breaks, so one run shows every problem.
pub fn issuer_problems(raw: &str) -> Vec<IssuerProblem> {
    let mut problems = Vec::new();
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return vec![IssuerProblem::Empty];
    }
    if trimmed.len() != raw.len() {
        problems.push(IssuerProblem::Whitespace);
    }
    match Url::parse(trimmed) {
        Err(error) => problems.push(IssuerProblem::NotAUrl(error.to_string())),
        Ok(url) => {
            if url.scheme() != "https" {
                problems.push(IssuerProblem::NotHttps(url.scheme().to_string()));
            }
            if url.host_str().is_none_or(str::is_empty) {
                problems.push(IssuerProblem::NoHost);
            }
            // `Url` drops an empty `?` or `#`, so look at the text itself.
            if trimmed.contains('?') || trimmed.contains('#') {
                problems.push(IssuerProblem::QueryOrFragment);
            }
        }
    }
    problems
}

/// An issuer that passed every rule. Its text is exactly what the user wrote.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IssuerUrl {
    text: String,
    url: Url,
}

impl IssuerUrl {
    /// Accepts the issuer only when it breaks no rule; otherwise returns the first problem.
    pub fn parse(raw: &str) -> Result<IssuerUrl, IssuerProblem> {
        if let Some(problem) = issuer_problems(raw).into_iter().next() {
            return Err(problem);
        }
        let url = Url::parse(raw).map_err(|error| IssuerProblem::NotAUrl(error.to_string()))?;
        Ok(IssuerUrl {
            text: raw.to_string(),
            url,
        })
    }

    /// Keeps a URL that breaks the https or query rules, for diagnosis only (the doctor still
    /// checks a token against it). Fails only when the text is not a URL at all.
    pub fn unchecked(raw: &str) -> Result<IssuerUrl, IssuerProblem> {
        let url = Url::parse(raw).map_err(|error| IssuerProblem::NotAUrl(error.to_string()))?;
        Ok(IssuerUrl {
            text: raw.to_string(),
            url,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn host(&self) -> &str {
        self.url.host_str().unwrap_or_default()
    }

    pub fn port_or_default(&self) -> u16 {
        self.url.port_or_known_default().unwrap_or(443)
    }

    /// `{issuer}/.well-known/openid-configuration` after removing any terminating `/`
    /// (OpenID Connect Discovery 1.0 §4, not RFC 8414's insertion rule).
    pub fn discovery_url(&self) -> String {
        format!(
            "{}/.well-known/openid-configuration",
            self.text.trim_end_matches('/')
        )
    }

    /// Where Kubernetes and Azure's guide put the JWKS: `{issuer}/openid/v1/jwks`.
    pub fn default_jwks_uri(&self) -> String {
        format!("{}/openid/v1/jwks", self.text.trim_end_matches('/'))
    }

    /// The same issuer under another path below it (used to probe near-miss document paths).
    pub fn below(&self, path: &str) -> String {
        format!(
            "{}/{}",
            self.text.trim_end_matches('/'),
            path.trim_start_matches('/')
        )
    }
}

impl fmt::Display for IssuerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Describes how two issuer strings differ, for messages about a byte-for-byte mismatch.
pub fn describe_difference(expected: &str, actual: &str) -> String {
    if expected == actual {
        return "they are identical".to_string();
    }
    if expected.trim_end_matches('/') == actual.trim_end_matches('/') {
        return if expected.ends_with('/') {
            "it lacks the trailing slash".to_string()
        } else {
            "it has a trailing slash the issuer does not".to_string()
        };
    }
    if expected.trim() == actual.trim() {
        return "they differ only in whitespace".to_string();
    }
    if expected.eq_ignore_ascii_case(actual) {
        return "they differ in upper/lower case, and the match is case-sensitive".to_string();
    }
    let common = expected
        .bytes()
        .zip(actual.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    format!("they differ from byte {} on", common + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_slash_is_kept_exactly() {
        let with = IssuerUrl::parse("https://a.blob.core.windows.net/c/").unwrap();
        let without = IssuerUrl::parse("https://a.blob.core.windows.net/c").unwrap();
        assert_eq!(with.as_str(), "https://a.blob.core.windows.net/c/");
        assert_ne!(with, without);
        assert_eq!(with.discovery_url(), without.discovery_url());
        assert_eq!(
            with.discovery_url(),
            "https://a.blob.core.windows.net/c/.well-known/openid-configuration"
        );
    }

    #[test]
    fn bare_host_issuer_is_not_normalised_with_a_slash() {
        let issuer = IssuerUrl::parse("https://oidc.example.com").unwrap();
        assert_eq!(issuer.as_str(), "https://oidc.example.com");
        assert_eq!(
            issuer.default_jwks_uri(),
            "https://oidc.example.com/openid/v1/jwks"
        );
    }

    #[test]
    fn every_rule_is_reported() {
        assert_eq!(issuer_problems(""), vec![IssuerProblem::Empty]);
        assert_eq!(
            issuer_problems(" http://x/?a "),
            vec![
                IssuerProblem::Whitespace,
                IssuerProblem::NotHttps("http".into()),
                IssuerProblem::QueryOrFragment
            ]
        );
        assert_eq!(
            issuer_problems("https://x/#"),
            vec![IssuerProblem::QueryOrFragment]
        );
        assert!(matches!(
            issuer_problems("oidc.example.com")[0],
            IssuerProblem::NotAUrl(_)
        ));
        assert!(issuer_problems("https://oidc.example.com/cluster1").is_empty());
    }

    #[test]
    fn differences_are_named() {
        assert_eq!(
            describe_difference("https://x/", "https://x"),
            "it lacks the trailing slash"
        );
        assert_eq!(
            describe_difference("https://x", "https://x/"),
            "it has a trailing slash the issuer does not"
        );
        assert!(describe_difference("https://x/A", "https://x/a").contains("case"));
    }
}
