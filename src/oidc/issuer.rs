//! The service-account issuer URL and the rules Entra ID applies to it. The issuer is kept
//! byte for byte as the user wrote it: Entra compares it exactly with the token's `iss` and
//! the federated credential's `issuer`, trailing slash included (kubernetes.md §0, §10).

use std::fmt;

use url::Url;

/// Entra ID refuses a federated credential whose issuer is longer (azure.md §3).
pub const MAX_ISSUER_LENGTH: usize = 600;

/// Why an issuer string cannot be used. Each message says what is wrong and why it matters.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IssuerProblem {
    #[error("is empty: the issuer is the https URL that hosts the discovery document")]
    Empty,
    #[error("has leading or trailing whitespace: Entra ID compares the issuer byte for byte")]
    Whitespace,
    #[error(
        "has {length} characters, but Entra ID accepts at most {MAX_ISSUER_LENGTH}: use a shorter URL"
    )]
    TooLong { length: usize },
    #[error(
        "holds the control character {shown} at character {position}: a URL is one line of visible \
         text, and kwif writes it into config files and flags; retype it"
    )]
    ControlCharacter { shown: String, position: usize },
    #[error(
        "holds a blank at character {position}: a URL has no whitespace inside; remove it \
         (or write a space in a path as %20)"
    )]
    InnerWhitespace { position: usize },
    #[error("is not a URL ({0}): write it as https://host/path")]
    NotAUrl(String),
    #[error("must use https, not {0}: Entra ID only fetches https issuers")]
    NotHttps(String),
    #[error(
        "holds a user name or password before '@': Entra ID fetches the issuer anonymously and \
         every token carries it; remove the part between :// and @"
    )]
    Userinfo,
    #[error("must not have a query or fragment ('?' or '#'): OIDC discovery forbids them")]
    QueryOrFragment,
    #[error("has no host: write it as https://host/path")]
    NoHost,
}

impl IssuerProblem {
    /// The rules every URL kwif writes into a file, a flag or a document must meet, whatever
    /// else it is used for: these keep a value from adding a line, a flag or a secret.
    fn is_about_safety(&self) -> bool {
        !matches!(
            self,
            IssuerProblem::NotHttps(_) | IssuerProblem::QueryOrFragment
        )
    }
}

/// Characters that change how text reads without being seen: C0/C1 controls and DEL (a line
/// break could add a flag line to a config file) and the invisible format characters (zero-width,
/// bidirectional overrides), which make two different issuers look the same.
fn is_control(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{ad}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206f}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
        )
}

/// Every rule the raw issuer string breaks, most fundamental first. Whitespace is reported
/// together with whatever the trimmed value breaks, so one run shows every problem; a value
/// over the length limit is reported for that alone.
pub fn issuer_problems(raw: &str) -> Vec<IssuerProblem> {
    let mut problems = Vec::new();
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return vec![IssuerProblem::Empty];
    }
    if trimmed.len() != raw.len() {
        problems.push(IssuerProblem::Whitespace);
    }
    let length = trimmed.chars().count();
    if length > MAX_ISSUER_LENGTH {
        problems.push(IssuerProblem::TooLong { length });
        return problems;
    }
    if let Some((index, c)) = trimmed.chars().enumerate().find(|(_, c)| is_control(*c)) {
        problems.push(IssuerProblem::ControlCharacter {
            shown: format!("U+{:04X}", u32::from(c)),
            position: index + 1,
        });
    }
    if let Some(index) = trimmed.chars().position(char::is_whitespace) {
        problems.push(IssuerProblem::InnerWhitespace {
            position: index + 1,
        });
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
            // `Url` drops an empty user name (`https://@host`), so look at the text itself.
            if authority(trimmed).contains('@') {
                problems.push(IssuerProblem::Userinfo);
            }
            // `Url` drops an empty `?` or `#`, so look at the text itself.
            if trimmed.contains('?') || trimmed.contains('#') {
                problems.push(IssuerProblem::QueryOrFragment);
            }
        }
    }
    problems
}

/// The `user:password@host:port` part of a URL's text (empty when it has no `://`).
fn authority(text: &str) -> &str {
    let Some((_, rest)) = text.split_once("://") else {
        return "";
    };
    let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    &rest[..end]
}

/// A URL from the user as messages show it: quoted with escapes (a line break shows as `\n`),
/// any password or user name replaced by `…`, and cut at 80 characters.
pub fn shown(raw: &str) -> String {
    const SHOWN: usize = 80;
    let mut text = raw.to_string();
    let userinfo = authority(raw).rfind('@');
    if let (Some(at), Some((scheme, _))) = (userinfo, raw.split_once("://")) {
        let start = scheme.len() + 3;
        text.replace_range(start..start + at, "…");
    }
    if text.chars().count() > SHOWN {
        let head: String = text.chars().take(SHOWN - 1).collect();
        return format!("{:?}", format!("{head}…"));
    }
    format!("{text:?}")
}

/// The JWKS URL (`--jwks-uri`, the discovery document's `jwks_uri`) meets the issuer's rules:
/// Entra ID fetches it the same way, and kwif writes it into the same flags and files.
pub fn jwks_uri_problem(raw: &str) -> Option<String> {
    let problem = issuer_problems(raw).into_iter().next()?;
    Some(match problem {
        IssuerProblem::Empty => "is empty: write the https URL of the JWKS".to_string(),
        IssuerProblem::NotHttps(_) => {
            "must be an https URL: Entra ID fetches the JWKS over https only".to_string()
        }
        IssuerProblem::QueryOrFragment => {
            "must not have a query or fragment ('?' or '#'): publish the JWKS at a plain path"
                .to_string()
        }
        IssuerProblem::Whitespace => "has leading or trailing blanks: remove them".to_string(),
        IssuerProblem::Userinfo => {
            "holds a user name or password before '@': Entra ID fetches the JWKS anonymously; \
             remove the part between :// and @"
                .to_string()
        }
        other => other.to_string(),
    })
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

    /// An issuer the API server should go on accepting (`--keep-issuer`): it is never fetched by
    /// Entra ID, so `http` and a query are fine, but it is written into the same config files,
    /// so every other rule holds.
    pub fn parse_old(raw: &str) -> Result<IssuerUrl, IssuerProblem> {
        if let Some(problem) = issuer_problems(raw)
            .into_iter()
            .find(IssuerProblem::is_about_safety)
        {
            return Err(problem);
        }
        IssuerUrl::unchecked(raw)
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

    /// Any text as an issuer, breaking every rule: only for tests that hand a writer a value
    /// the parser would refuse, to show the writer alone cannot be made to add a line or a flag.
    #[cfg(test)]
    pub(crate) fn unvalidated_for_tests(raw: &str) -> IssuerUrl {
        let url = Url::parse(raw)
            .or_else(|_| Url::parse("https://unparsable.invalid/"))
            .expect("a fixed URL parses");
        IssuerUrl {
            text: raw.to_string(),
            url,
        }
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
    fn nothing_that_could_add_a_line_a_flag_or_a_secret_passes() {
        let rules = |raw: &str| issuer_problems(raw);
        assert_eq!(
            rules("https://oidc.example.com/c1\n--anonymous-auth=true"),
            vec![
                IssuerProblem::ControlCharacter {
                    shown: "U+000A".into(),
                    position: 28
                },
                IssuerProblem::InnerWhitespace { position: 28 },
            ]
        );
        for raw in [
            "https://oidc.example.com/c\t1",
            "https://oidc.example.com/c\u{0}1",
            "https://oidc.example.com/c\u{1b}[2J",
            "https://oidc.example.com/c\u{7f}",
            "https://oidc.example.com/c\u{85}1",
            "https://oidc.example.com/c\u{202e}1",
            "https://oidc.example.com/c\u{200b}1",
        ] {
            assert!(
                matches!(rules(raw)[0], IssuerProblem::ControlCharacter { .. }),
                "{raw:?}: {:?}",
                rules(raw)
            );
        }
        for raw in [
            "https://oidc.example.com/c 1",
            "https://oidc.example.com/c\u{a0}1",
            "https://oidc.example.com/c\u{2028}1",
        ] {
            assert_eq!(
                rules(raw),
                vec![IssuerProblem::InnerWhitespace { position: 27 }],
                "{raw:?}"
            );
        }
        for raw in [
            "https://user:pass@host/",
            "https://@host/",
            "https://u@host",
        ] {
            assert_eq!(rules(raw), vec![IssuerProblem::Userinfo], "{raw}");
        }
        assert!(rules("https://host/a@b").is_empty());
        let long = format!("https://oidc.example.com/{}", "a".repeat(600));
        assert_eq!(rules(&long), vec![IssuerProblem::TooLong { length: 625 }]);
        let limit = format!("https://oidc.example.com/{}", "a".repeat(575));
        assert!(rules(&limit).is_empty());
    }

    #[test]
    fn messages_show_a_value_escaped_short_and_without_its_password() {
        assert_eq!(shown("https://x/c1\n--a"), r#""https://x/c1\n--a""#);
        assert_eq!(shown("https://user:pass@host/"), r#""https://…@host/""#);
        let long = shown(&format!("https://x/{}", "a".repeat(100_000)));
        assert!(long.ends_with("aaa…\""), "{long}");
        assert!(long.len() < 90);
        assert_eq!(
            IssuerProblem::TooLong { length: 601 }.to_string(),
            "has 601 characters, but Entra ID accepts at most 600: use a shorter URL"
        );
    }

    #[test]
    fn an_old_issuer_may_be_http_but_never_unsafe() {
        assert!(IssuerUrl::parse_old("http://kubernetes.default.svc").is_ok());
        assert!(IssuerUrl::parse_old("https://k/?a").is_ok());
        assert!(matches!(
            IssuerUrl::parse_old("http://k\n--a=b"),
            Err(IssuerProblem::ControlCharacter { .. })
        ));
        assert_eq!(
            IssuerUrl::parse_old("http://u:p@k"),
            Err(IssuerProblem::Userinfo)
        );
    }

    #[test]
    fn the_jwks_uri_meets_the_same_rules_in_its_own_words() {
        assert_eq!(jwks_uri_problem("https://x/openid/v1/jwks"), None);
        assert_eq!(
            jwks_uri_problem("http://x/j").as_deref(),
            Some("must be an https URL: Entra ID fetches the JWKS over https only")
        );
        assert!(
            jwks_uri_problem("https://x/j\n- --anonymous-auth=true")
                .is_some_and(|problem| problem.contains("control character U+000A"))
        );
        assert!(jwks_uri_problem("https://a:b@x/j").is_some());
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
