//! The profile's name types (namespace, service account, identity, storage account, …), each
//! checked by one row of the `NameRule` table, so every error names the rule, the fix and an example.

use std::fmt;

use sha2::{Digest, Sha256};

use super::error::{InvalidValue, quoted};

/// A character-class rule for a name, with the words used to explain it.
pub(super) struct NameRule {
    what: &'static str,
    min: usize,
    max: usize,
    allowed: fn(char) -> bool,
    first: fn(char) -> bool,
    last: fn(char) -> bool,
    extra: fn(&str) -> Option<&'static str>,
    fix: &'static str,
    example: &'static str,
}

fn lower_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}
fn lower_alnum_hyphen(c: char) -> bool {
    lower_alnum(c) || c == '-'
}
fn lower_alnum_hyphen_dot(c: char) -> bool {
    lower_alnum_hyphen(c) || c == '.'
}
fn ascii_alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}
fn ascii_alnum_hyphen_underscore(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}
fn resource_group_char(c: char) -> bool {
    c.is_alphanumeric() || "_-.()".contains(c)
}
fn not_dot(c: char) -> bool {
    c != '.'
}
fn any_char(_: char) -> bool {
    true
}
fn printable(c: char) -> bool {
    !c.is_control()
}
fn not_whitespace(c: char) -> bool {
    !c.is_whitespace()
}

fn no_extra_rule(_: &str) -> Option<&'static str> {
    None
}

/// DNS-1123 subdomain: every part between dots is itself a label.
fn dns_parts(raw: &str) -> Option<&'static str> {
    raw.split('.')
        .any(|part| part.is_empty() || part.starts_with('-') || part.ends_with('-'))
        .then_some("a part between dots is empty or starts or ends with '-'")
}

/// An Ingress host is a DNS name with labels of at most 63 characters, never an IP address.
fn host_parts(raw: &str) -> Option<&'static str> {
    if let Some(problem) = dns_parts(raw) {
        return Some(problem);
    }
    if raw.split('.').any(|part| part.len() > 63) {
        return Some("a part between dots is longer than 63 characters");
    }
    let top = raw.rsplit('.').next().unwrap_or(raw);
    top.chars()
        .all(|c| c.is_ascii_digit())
        .then_some("it is an IP address, and an Ingress host must be a DNS name")
}

fn no_double_hyphen(raw: &str) -> Option<&'static str> {
    raw.contains("--").then_some("it contains '--'")
}

const DNS_LABEL: NameRule = NameRule {
    what: "Kubernetes namespace",
    min: 1,
    max: 63,
    allowed: lower_alnum_hyphen,
    first: lower_alnum,
    last: lower_alnum,
    extra: no_extra_rule,
    fix: "use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit (DNS-1123 label)",
    example: "application1",
};

const DNS_SUBDOMAIN: NameRule = NameRule {
    what: "Kubernetes name",
    min: 1,
    max: 253,
    allowed: lower_alnum_hyphen_dot,
    first: lower_alnum,
    last: lower_alnum,
    extra: dns_parts,
    fix: "use at most 253 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (DNS-1123 subdomain)",
    example: "application1-sa",
};

const HOST_NAME: NameRule = NameRule {
    what: "host name",
    min: 1,
    max: 253,
    allowed: lower_alnum_hyphen_dot,
    first: lower_alnum,
    last: lower_alnum,
    extra: host_parts,
    fix: "use the issuer's DNS name in lowercase letters, digits, '-' and '.'",
    example: "oidc.example.com",
};

const RESOURCE_GROUP: NameRule = NameRule {
    what: "resource group name",
    min: 1,
    max: 90,
    allowed: resource_group_char,
    first: any_char,
    last: not_dot,
    extra: no_extra_rule,
    fix: "use 1 to 90 letters, digits, '_', '-', '.', '(' and ')', not ending with '.'",
    example: "rg-application1",
};

const IDENTITY_NAME: NameRule = NameRule {
    what: "managed identity name",
    min: 3,
    max: 128,
    allowed: ascii_alnum_hyphen_underscore,
    first: ascii_alnum,
    last: any_char,
    extra: no_extra_rule,
    fix: "use 3 to 128 letters, digits, '-' and '_', starting with a letter or digit",
    example: "id-application1",
};

const LOCATION: NameRule = NameRule {
    what: "Azure location",
    min: 1,
    max: 64,
    allowed: lower_alnum,
    first: any_char,
    last: any_char,
    extra: no_extra_rule,
    fix: "use the short name, lowercase letters and digits without spaces",
    example: "westeurope",
};

/// azure.md §3: `^[a-zA-Z0-9]{1}[a-zA-Z0-9-_]{2,119}$` (ManagedIdentity.json).
const FEDERATED_CREDENTIAL: NameRule = NameRule {
    what: "federated credential name",
    min: 3,
    max: 120,
    allowed: ascii_alnum_hyphen_underscore,
    first: ascii_alnum,
    last: any_char,
    extra: no_extra_rule,
    fix: "use 3 to 120 letters, digits, '-' and '_', starting with a letter or digit",
    example: "kwif-application1-application1-sa",
};

const STORAGE_ACCOUNT: NameRule = NameRule {
    what: "storage account name",
    min: 3,
    max: 24,
    allowed: lower_alnum,
    first: any_char,
    last: any_char,
    extra: no_extra_rule,
    fix: "use 3 to 24 lowercase letters and digits",
    example: "stoidc1",
};

const CONTAINER: NameRule = NameRule {
    what: "blob container name",
    min: 3,
    max: 63,
    allowed: lower_alnum_hyphen,
    first: lower_alnum,
    last: lower_alnum,
    extra: no_double_hyphen,
    fix: "use 3 to 63 lowercase letters, digits and single '-', starting and ending with a letter or digit",
    example: "oidc",
};

pub(super) const COSMOS_ACCOUNT: NameRule = NameRule {
    what: "Cosmos DB account name",
    min: 3,
    max: 44,
    allowed: lower_alnum_hyphen,
    first: lower_alnum,
    last: lower_alnum,
    extra: no_extra_rule,
    fix: "use 3 to 44 lowercase letters, digits and '-', starting and ending with a letter or digit",
    example: "cosmos1",
};

const ROLE_NAME: NameRule = NameRule {
    what: "role name",
    min: 1,
    max: 512,
    allowed: printable,
    first: not_whitespace,
    last: not_whitespace,
    extra: no_extra_rule,
    fix: "write the role as Azure names it (or its GUID), without surrounding spaces",
    example: "Storage Blob Data Reader",
};

const KUBE_CONTEXT: NameRule = NameRule {
    what: "kubeconfig context",
    min: 1,
    max: 1024,
    allowed: printable,
    first: not_whitespace,
    last: not_whitespace,
    extra: no_extra_rule,
    fix: "write the name as `kubectl config get-contexts` shows it",
    example: "my-k0s",
};

impl NameRule {
    /// The first way `raw` breaks this rule, as a short clause ("it contains '_'").
    pub(super) fn problem(&self, raw: &str) -> Option<String> {
        let length = raw.chars().count();
        let (Some(first), Some(last)) = (raw.chars().next(), raw.chars().last()) else {
            return Some("it is empty".to_string());
        };
        let has = format!(
            "it has {length} character{}",
            if length == 1 { "" } else { "s" }
        );
        if length < self.min {
            return Some(format!("{has}, at least {} are needed", self.min));
        }
        if length > self.max {
            return Some(format!("{has}, at most {} are allowed", self.max));
        }
        if let Some(c) = raw.chars().find(|&c| !(self.allowed)(c)) {
            let uppercase = c.is_ascii_uppercase() && (self.allowed)(c.to_ascii_lowercase());
            return Some(format!(
                "it contains {}{c:?}",
                if uppercase { "uppercase " } else { "" }
            ));
        }
        if !(self.first)(first) {
            return Some(format!("it starts with {first:?}"));
        }
        if !(self.last)(last) {
            return Some(format!("it ends with {last:?}"));
        }
        (self.extra)(raw).map(str::to_string)
    }

    fn check(&self, raw: &str) -> Result<(), InvalidValue> {
        match self.problem(raw) {
            None => Ok(()),
            Some(reason) => Err(InvalidValue(format!(
                "{} is not a valid {} ({reason}): {}, e.g. {:?}",
                quoted(raw),
                self.what,
                self.fix,
                self.suggestion(raw)
            ))),
        }
    }

    /// A valid name close to `raw` ("App_SA" → "app-sa"), or the rule's example.
    fn suggestion(&self, raw: &str) -> String {
        let lowercase = !(self.allowed)('A') && (self.allowed)('a');
        let mut mapped = String::new();
        for c in raw.chars().take(4 * self.max) {
            let c = if lowercase { c.to_ascii_lowercase() } else { c };
            let c = if (self.allowed)(c) {
                c
            } else if (self.allowed)('-') {
                '-'
            } else {
                continue;
            };
            if !(c == '-' && mapped.ends_with('-')) {
                mapped.push(c);
            }
        }
        let mut suggestion: String = mapped
            .trim_start_matches(|c| !(self.first)(c))
            .chars()
            .take(self.max)
            .collect();
        while suggestion.chars().last().is_some_and(|c| !(self.last)(c)) {
            suggestion.pop();
        }
        if self.problem(&suggestion).is_none() {
            suggestion
        } else {
            self.example.to_string()
        }
    }
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $rule:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub(super) String);

        impl $name {
            /// Accepts the value only when it follows the rule; the error names the rule and a fix.
            pub fn parse(raw: &str) -> Result<$name, InvalidValue> {
                $rule.check(raw).map(|()| $name(raw.to_string()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

name_type!(
    /// A Kubernetes namespace: a DNS-1123 label (≤ 63 characters).
    Namespace,
    DNS_LABEL
);
name_type!(
    /// A ServiceAccount name: a DNS-1123 subdomain (≤ 253 characters, dots allowed).
    ServiceAccountName,
    DNS_SUBDOMAIN
);
name_type!(
    /// The name of a Deployment, StatefulSet, DaemonSet, CronJob or Job: a DNS-1123 subdomain.
    WorkloadName,
    DNS_SUBDOMAIN
);
name_type!(
    /// Any other Kubernetes object name (IngressClass, cert-manager ClusterIssuer): a DNS-1123 subdomain.
    ObjectName,
    DNS_SUBDOMAIN
);
name_type!(
    /// A DNS host name as an Ingress accepts it: lowercase, no IP address, no wildcard.
    HostName,
    HOST_NAME
);
name_type!(
    /// An Azure resource group name: 1–90 letters (Unicode too), digits, `_-.()`, not ending in `.`.
    ResourceGroupName,
    RESOURCE_GROUP
);
name_type!(
    /// A user-assigned managed identity name: 3–128 characters, `[A-Za-z0-9][A-Za-z0-9_-]*`.
    IdentityName,
    IDENTITY_NAME
);
name_type!(
    /// An Azure region's short name (`westeurope`, not `West Europe`).
    Location,
    LOCATION
);
name_type!(
    /// A federated identity credential name: 3–120 characters, `^[a-zA-Z0-9][a-zA-Z0-9-_]{2,119}$`.
    FederatedCredentialName,
    FEDERATED_CREDENTIAL
);
name_type!(
    /// A storage account name: 3–24 lowercase letters and digits.
    StorageAccountName,
    STORAGE_ACCOUNT
);
name_type!(
    /// A blob container name: 3–63 lowercase letters, digits and single hyphens.
    ContainerName,
    CONTAINER
);
name_type!(
    /// An Azure RBAC or Cosmos DB data-plane role, by name or GUID.
    RoleName,
    ROLE_NAME
);
name_type!(
    /// A kubeconfig context name.
    KubeContext,
    KUBE_CONTEXT
);

impl FederatedCredentialName {
    /// The name kwif gives the credential of a service account when the profile names none:
    /// `kwif-<namespace>-<serviceAccount>`, each `.` of the service account turned into `-`
    /// (Azure allows only letters, digits, `-` and `_`). A result longer than Azure's 120
    /// characters keeps its first 111 and ends with `-` and 8 hex digits of the SHA-256 of
    /// `<namespace>/<serviceAccount>`, so two long service accounts never collide by truncation.
    /// Rare pairs derive the same name (`a-b`/`c` and `a`/`b-c`); validation reports that and
    /// asks for an explicit `federatedCredentialName`.
    pub fn derived(
        namespace: &Namespace,
        service_account: &ServiceAccountName,
    ) -> FederatedCredentialName {
        let full = format!(
            "kwif-{}-{}",
            namespace,
            service_account.as_str().replace('.', "-")
        );
        if full.len() <= FEDERATED_CREDENTIAL.max {
            return FederatedCredentialName(full);
        }
        let digest = Sha256::digest(format!("{namespace}/{service_account}"));
        let hash: String = digest
            .iter()
            .take(4)
            .map(|byte| format!("{byte:02x}"))
            .collect();
        // Every character is ASCII, so slicing at 111 bytes is slicing at 111 characters.
        FederatedCredentialName(format!("{}-{hash}", &full[..111]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::tests::{example_with, only_error};

    #[test]
    fn service_account_with_uppercase_and_underscore_is_rejected_with_a_suggestion() {
        let text = example_with("serviceAccount: application1-sa", "serviceAccount: App_SA");
        assert_eq!(
            only_error(&text),
            "workloads[0].serviceAccount: \"App_SA\" is not a valid Kubernetes name (it contains uppercase 'A'): \
             use at most 253 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit \
             (DNS-1123 subdomain), e.g. \"app-sa\""
        );
    }

    #[test]
    fn namespace_is_a_dns_label_so_dots_are_rejected() {
        assert!(
            Namespace::parse("team.a")
                .unwrap_err()
                .to_string()
                .contains("(DNS-1123 label)")
        );
        assert!(ServiceAccountName::parse("team.a").is_ok());
        assert!(Namespace::parse(&"a".repeat(63)).is_ok());
        assert_eq!(
            Namespace::parse(&"a".repeat(64)).unwrap_err().to_string(),
            format!(
                "{:?} is not a valid Kubernetes namespace (it has 64 characters, at most 63 are allowed): use at most \
                 63 lowercase letters, digits and '-', starting and ending with a letter or digit (DNS-1123 label), \
                 e.g. {:?}",
                "a".repeat(64),
                "a".repeat(63)
            )
        );
    }

    #[test]
    fn subdomain_names_follow_every_dns_1123_rule() {
        for valid in ["a", "web-server", "a.b.c", "0abc", &"a".repeat(253)] {
            assert!(WorkloadName::parse(valid).is_ok(), "{valid}");
        }
        for (invalid, reason) in [
            ("", "it is empty"),
            ("-web", "it starts with '-'"),
            ("web.", "it ends with '.'"),
            ("a..b", "a part between dots is empty"),
            (
                "a.-b",
                "a part between dots is empty or starts or ends with '-'",
            ),
            ("web server", "it contains ' '"),
            ("Web", "it contains uppercase 'W'"),
        ] {
            let message = WorkloadName::parse(invalid).unwrap_err().to_string();
            assert!(message.contains(reason), "{invalid:?}: {message}");
        }
        assert!(WorkloadName::parse(&"a".repeat(254)).is_err());
    }

    #[test]
    fn nginx_host_must_be_a_lowercase_dns_name() {
        assert!(HostName::parse("oidc.example.com").is_ok());
        assert!(
            HostName::parse("Oidc.example.com")
                .unwrap_err()
                .to_string()
                .contains("uppercase 'O'")
        );
        assert!(
            HostName::parse("10.0.0.1")
                .unwrap_err()
                .to_string()
                .contains("IP address")
        );
        assert!(HostName::parse("*.example.com").is_err());
        assert!(
            HostName::parse(&format!("{}.com", "a".repeat(64)))
                .unwrap_err()
                .to_string()
                .contains("longer than 63")
        );
    }

    #[test]
    fn storage_account_and_container_names_follow_azure_rules() {
        assert!(StorageAccountName::parse("stoidc1").is_ok());
        assert!(StorageAccountName::parse("st").is_err());
        assert!(
            StorageAccountName::parse("st-oidc")
                .unwrap_err()
                .to_string()
                .contains("e.g. \"stoidc\"")
        );
        assert!(StorageAccountName::parse(&"s".repeat(25)).is_err());
        assert!(ContainerName::parse("oidc-keys").is_ok());
        assert!(
            ContainerName::parse("oidc--keys")
                .unwrap_err()
                .to_string()
                .contains("it contains '--'")
        );
        assert!(ContainerName::parse("$web").is_err());
        assert!(ContainerName::parse("-oidc").is_err());
    }

    #[test]
    fn location_with_spaces_suggests_the_short_name() {
        let text = example_with("location: westeurope", "location: West Europe");
        assert_eq!(
            only_error(&text),
            "azure.location: \"West Europe\" is not a valid Azure location (it contains uppercase 'W'): use the short \
             name, lowercase letters and digits without spaces, e.g. \"westeurope\""
        );
        assert!(
            Location::parse("west europe")
                .unwrap_err()
                .to_string()
                .contains("(it contains ' ')")
        );
    }

    #[test]
    fn resource_group_allows_unicode_letters_and_parentheses_but_not_a_final_dot() {
        assert!(ResourceGroupName::parse("rg-ünïcode_(1).x").is_ok());
        assert!(
            ResourceGroupName::parse("rg.")
                .unwrap_err()
                .to_string()
                .contains("it ends with '.'")
        );
        assert!(ResourceGroupName::parse("rg/x").is_err());
        assert!(ResourceGroupName::parse(&"r".repeat(90)).is_ok());
        assert!(ResourceGroupName::parse(&"r".repeat(91)).is_err());
    }

    #[test]
    fn identity_name_starts_with_a_letter_or_digit() {
        assert!(IdentityName::parse("id_app-1").is_ok());
        assert!(IdentityName::parse("Id1").is_ok());
        assert!(
            IdentityName::parse("-id")
                .unwrap_err()
                .to_string()
                .contains("it starts with '-'")
        );
        assert!(
            IdentityName::parse("id")
                .unwrap_err()
                .to_string()
                .contains("at least 3 are needed")
        );
        assert!(IdentityName::parse("id.app").is_err());
        assert!(IdentityName::parse(&"i".repeat(129)).is_err());
    }

    #[test]
    fn role_name_must_not_have_surrounding_whitespace() {
        let text = example_with(
            "role: Storage Blob Data Reader",
            "role: \" Storage Blob Data Reader\"",
        );
        assert_eq!(
            only_error(&text),
            "identity.roles[0].role: \" Storage Blob Data Reader\" is not a valid role name (it starts with ' '): \
             write the role as Azure names it (or its GUID), without surrounding spaces, e.g. \"Storage Blob Data Reader\""
        );
    }

    #[test]
    fn federated_credential_name_follows_the_azure_pattern() {
        for valid in ["abc", "A_b-1", &"f".repeat(120)] {
            assert!(FederatedCredentialName::parse(valid).is_ok(), "{valid}");
        }
        for invalid in ["ab", "_abc", "-abc", "a.bc", "a bc", &"f".repeat(121)] {
            assert!(
                FederatedCredentialName::parse(invalid).is_err(),
                "{invalid}"
            );
        }
        let text = example_with(
            "tokenExpirationSeconds: 3600",
            "tokenExpirationSeconds: 3600\n    federatedCredentialName: fic.app",
        );
        assert_eq!(
            only_error(&text),
            "workloads[0].federatedCredentialName: \"fic.app\" is not a valid federated credential name (it contains \
             '.'): use 3 to 120 letters, digits, '-' and '_', starting with a letter or digit, e.g. \"fic-app\""
        );
    }

    #[test]
    fn derived_credential_name_replaces_dots_of_the_service_account() {
        let namespace = Namespace::parse("app").unwrap();
        let service_account = ServiceAccountName::parse("team.app.sa").unwrap();
        let derived = FederatedCredentialName::derived(&namespace, &service_account);
        assert_eq!(derived.as_str(), "kwif-app-team-app-sa");
    }

    #[test]
    fn derived_credential_name_of_long_names_is_cut_and_hashed_to_stay_valid_and_distinct() {
        let namespace = Namespace::parse(&"n".repeat(63)).unwrap();
        let first = ServiceAccountName::parse(&format!("{}.a", "s".repeat(200))).unwrap();
        let second = ServiceAccountName::parse(&format!("{}.b", "s".repeat(200))).unwrap();
        let first = FederatedCredentialName::derived(&namespace, &first);
        let second = FederatedCredentialName::derived(&namespace, &second);
        assert_eq!(first.as_str().len(), 120);
        assert!(FederatedCredentialName::parse(first.as_str()).is_ok());
        assert_eq!(first.as_str()[..111], second.as_str()[..111]);
        assert_ne!(first, second);
        let again = FederatedCredentialName::derived(
            &namespace,
            &ServiceAccountName::parse(&format!("{}.a", "s".repeat(200))).unwrap(),
        );
        assert_eq!(first, again, "the rule is deterministic");
    }

    #[test]
    fn suggestions_fall_back_to_the_example_when_nothing_close_is_valid() {
        assert_eq!(DNS_LABEL.suggestion("___"), "application1");
        assert_eq!(DNS_LABEL.suggestion("My_Namespace"), "my-namespace");
        assert_eq!(LOCATION.suggestion("West Europe"), "westeurope");
        assert_eq!(STORAGE_ACCOUNT.suggestion("st"), "stoidc1");
    }
}
