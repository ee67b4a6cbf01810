//! Validation: the raw profile turned into typed values, every broken rule collected with its
//! field path rather than only the first. Each block's rules, cross-field ones too, sit in its file.

mod azure;
mod hosting;
mod identities;
mod workloads;

use crate::oidc::issuer::{IssuerUrl, issuer_problems, shown};

use super::error::{FieldError, InvalidValue, ProfileError, quoted};
use super::raw::{RawCluster, RawProfile};
use super::{
    AppLanguage, AppSettings, Cluster, DistributionChoice, KubeContext, NODE_ROOT, Profile,
};
use std::path::PathBuf;

use azure::check_azure;
use hosting::check_hosting;
use identities::{check_identities, graph_user, identity_entries};
use workloads::check_workloads;

/// Collects field errors while the raw profile is turned into typed values.
#[derive(Default)]
struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    fn fail(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    fn check<T>(&mut self, field: &str, result: Result<T, InvalidValue>) -> Option<T> {
        result
            .map_err(|InvalidValue(message)| self.fail(field, message))
            .ok()
    }

    /// A present value, parsed; a missing one is an error whose fix is `missing`.
    fn required<T>(
        &mut self,
        field: &str,
        raw: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, InvalidValue>,
        missing: &str,
    ) -> Option<T> {
        match raw {
            None => {
                self.fail(field, format!("is missing: {missing}"));
                None
            }
            Some(raw) => self.check(field, parse(raw)),
        }
    }

    /// A value that may be absent; an invalid one is recorded and read as absent.
    fn optional<T>(
        &mut self,
        field: &str,
        raw: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, InvalidValue>,
    ) -> Option<T> {
        raw.and_then(|raw| self.check(field, parse(raw)))
    }

    /// A value with a default; an invalid one is recorded and read as the default.
    fn or_default<T: Default>(
        &mut self,
        field: &str,
        raw: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, InvalidValue>,
    ) -> T {
        self.optional(field, raw, parse).unwrap_or_default()
    }
}

impl RawProfile {
    pub(in crate::profile) fn validate(self) -> Result<Profile, ProfileError> {
        let mut checker = Checker::default();
        let cluster = check_cluster(&mut checker, self.cluster.unwrap_or_default());
        let issuer = check_issuer(&mut checker, self.issuer.as_deref());
        let hosting = check_hosting(
            &mut checker,
            self.hosting.unwrap_or_default(),
            issuer.as_ref(),
        );
        let entries = identity_entries(&mut checker, self.identity, self.identities);
        let azure = check_azure(
            &mut checker,
            self.azure.unwrap_or_default(),
            graph_user(&entries).as_ref(),
        );
        let identities = check_identities(&mut checker, entries);
        let workloads = check_workloads(&mut checker, self.workloads, identities.as_deref());
        let app = AppSettings {
            language: checker.optional(
                "app.language",
                self.app.and_then(|app| app.language).as_deref(),
                AppLanguage::parse,
            ),
        };
        match (issuer, hosting, azure, identities) {
            (Some(issuer), Some(hosting), Some(azure), Some(identities))
                if checker.errors.is_empty() =>
            {
                Ok(Profile {
                    cluster,
                    issuer,
                    hosting,
                    azure,
                    identities,
                    workloads,
                    app,
                })
            }
            _ => {
                if checker.errors.is_empty() {
                    checker.fail(
                        "profile",
                        "is incomplete: this is a bug in kwif, please report it",
                    );
                }
                Err(ProfileError::Invalid(checker.errors))
            }
        }
    }
}

fn check_cluster(checker: &mut Checker, raw: RawCluster) -> Cluster {
    Cluster {
        context: checker.optional(
            "cluster.context",
            raw.context.as_deref(),
            KubeContext::parse,
        ),
        distribution: checker.or_default(
            "cluster.distribution",
            raw.distribution.as_deref(),
            DistributionChoice::parse,
        ),
        node_root: checker
            .optional(
                "cluster.nodeRoot",
                raw.node_root.as_deref(),
                parse_node_root,
            )
            .unwrap_or_else(|| PathBuf::from(NODE_ROOT)),
    }
}

/// An absolute directory: a relative one would depend on where kwif happens to be started.
fn parse_node_root(text: &str) -> Result<PathBuf, InvalidValue> {
    let path = PathBuf::from(text);
    if text.trim().is_empty() || !path.is_absolute() || text.contains('\0') {
        return Err(InvalidValue(format!(
            "{} must be an absolute directory: where the control-plane node's filesystem is, \
             \"/\" when kwif runs on the node, e.g. \"/mnt/node\"",
            quoted(text)
        )));
    }
    Ok(path)
}

fn check_issuer(checker: &mut Checker, raw: Option<&str>) -> Option<IssuerUrl> {
    let Some(raw) = raw else {
        checker.fail(
            "issuer",
            "is missing: add the https URL that will host the discovery document, \
             e.g. \"https://oidc.example.com/cluster1\"",
        );
        return None;
    };
    let problems = issuer_problems(raw);
    for problem in &problems {
        checker.fail("issuer", format!("{} {problem}", shown(raw)));
    }
    if !problems.is_empty() {
        return None;
    }
    let issuer =
        IssuerUrl::parse(raw).map_err(|problem| InvalidValue(format!("{} {problem}", shown(raw))));
    checker.check("issuer", issuer)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use crate::profile::Profile;
    use crate::profile::tests::{errors, example_with, only_error};

    #[test]
    fn an_empty_file_reports_every_required_field() {
        let fields: Vec<String> = match Profile::from_yaml("") {
            Err(error) => error
                .errors()
                .iter()
                .map(|e| e.field().to_string())
                .collect(),
            Ok(_) => panic!("an empty profile is not valid"),
        };
        assert_eq!(
            fields,
            [
                "issuer",
                "hosting.kind",
                "azure.resourceGroup",
                "azure.location",
                "identity.name",
                "workloads"
            ]
        );
    }

    #[test]
    fn three_typos_give_three_lines() {
        let text = example_with("namespace: application1", "namespace: Application1")
            .replacen("location: westeurope", "location: West Europe", 1)
            .replacen(
                "tokenExpirationSeconds: 3600",
                "tokenExpirationSeconds: 60",
                1,
            );
        let errors = errors(&text);
        assert_eq!(errors.len(), 3, "{errors:#?}");
        assert!(errors[0].starts_with("azure.location: "));
        assert!(errors[1].starts_with("workloads[0].namespace: "));
        assert!(errors[2].starts_with("workloads[0].tokenExpirationSeconds: "));
    }

    #[test]
    fn http_issuer_is_rejected_with_the_https_rule() {
        let text = example_with(
            "issuer: https://oidc.example.com/cluster1",
            "issuer: http://oidc.example.com",
        );
        let errors = errors(&text);
        assert_eq!(
            errors[0],
            "issuer: \"http://oidc.example.com\" must use https, not http: Entra ID only fetches https issuers"
        );
    }

    #[test]
    fn issuer_with_query_is_rejected_naming_the_field() {
        let text = example_with("/cluster1", "/cluster1?x=1");
        assert_eq!(
            only_error(&text),
            "issuer: \"https://oidc.example.com/cluster1?x=1\" must not have a query or fragment ('?' or '#'): \
             OIDC discovery forbids them"
        );
    }

    #[test]
    fn quoted_issuer_with_whitespace_is_rejected() {
        let text = example_with(
            "issuer: https://oidc.example.com/cluster1",
            "issuer: \" https://oidc.example.com/cluster1\"",
        );
        assert_eq!(
            only_error(&text),
            "issuer: \" https://oidc.example.com/cluster1\" has leading or trailing whitespace: Entra ID compares \
             the issuer byte for byte"
        );
    }

    #[test]
    fn issuer_breaking_several_rules_reports_each() {
        let text = example_with(
            "issuer: https://oidc.example.com/cluster1",
            "issuer: \"http://oidc.example.com/#\t\"",
        );
        let issuer_lines: Vec<String> = errors(&text)
            .into_iter()
            .filter(|e| e.starts_with("issuer: "))
            .collect();
        assert_eq!(issuer_lines.len(), 3, "{issuer_lines:#?}");
    }

    #[test]
    fn issuer_trailing_slash_is_kept_byte_for_byte() {
        let text = example_with("/cluster1", "/cluster1/");
        let profile = Profile::from_yaml(&text).unwrap();
        assert_eq!(
            profile.issuer.as_str(),
            "https://oidc.example.com/cluster1/"
        );
        assert_eq!(
            Profile::from_yaml(&profile.to_yaml())
                .unwrap()
                .issuer
                .as_str(),
            "https://oidc.example.com/cluster1/"
        );
    }

    #[test]
    fn issuer_longer_than_600_characters_is_rejected() {
        let long = format!("/{}", "a".repeat(600));
        let message = only_error(&example_with("/cluster1", &long));
        assert!(
            message.starts_with("issuer: \"https://oidc.example.com/aaa"),
            "{message}"
        );
        assert!(
            message.ends_with(
                "has 625 characters, but Entra ID accepts at most 600: use a shorter URL"
            ),
            "{message}"
        );
    }

    #[test]
    fn missing_issuer_is_reported_with_an_example() {
        let text = example_with("issuer: https://oidc.example.com/cluster1\n", "");
        assert_eq!(
            errors(&text)[0],
            "issuer: is missing: add the https URL that will host the discovery document, \
             e.g. \"https://oidc.example.com/cluster1\""
        );
    }

    #[test]
    fn node_root_defaults_to_the_root_and_must_be_absolute() {
        let profile =
            Profile::from_yaml(&example_with("distribution: auto", "distribution: auto")).unwrap();
        assert_eq!(profile.cluster.node_root, PathBuf::from("/"));
        assert!(
            !profile.to_yaml().contains("nodeRoot"),
            "the default is not written"
        );
        let text = example_with(
            "distribution: auto",
            "distribution: auto\n  nodeRoot: /mnt/node",
        );
        let profile = Profile::from_yaml(&text).unwrap();
        assert_eq!(profile.cluster.node_root, PathBuf::from("/mnt/node"));
        assert!(profile.to_yaml().contains("nodeRoot: /mnt/node"));
        assert_eq!(
            only_error(&example_with(
                "distribution: auto",
                "distribution: auto\n  nodeRoot: mnt/node"
            )),
            "cluster.nodeRoot: \"mnt/node\" must be an absolute directory: where the control-plane \
             node's filesystem is, \"/\" when kwif runs on the node, e.g. \"/mnt/node\""
        );
    }
}
