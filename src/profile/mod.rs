//! The setup profile (kwif.yaml): what the user wants, parsed and validated once into typed values
//! that the rest of kwif trusts. It holds names and ids only, never a secret, and touches nothing
//! but the one file it is asked to read.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use url::Url;
use uuid::Uuid;

use crate::oidc::issuer::{IssuerUrl, issuer_problems};

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// One rule one field breaks. Displays as `<field path>: <what is wrong with the value> <the fix>`,
/// the path written as the user writes it in YAML (`workloads[1].serviceAccount`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    field: String,
    message: String,
    line_column: Option<(usize, usize)>,
}

impl FieldError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
            line_column: None,
        }
    }

    /// The YAML path of the field, e.g. `hosting.nginx.host` or `identity.roles[0].scope`.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// What is wrong and how to fix it, without the field path.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where serde_yaml found a syntax, type or unknown-field error (1-based line and column).
    pub fn line_column(&self) -> Option<(usize, usize)> {
        self.line_column
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Why a profile cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The file could not be read (missing, unreadable, not UTF-8).
    #[error("{}: cannot be read ({source}): check the path, or run `kwif` to write a new profile", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A YAML syntax error, an unknown field or a value of the wrong type. serde_yaml stops at
    /// the first one, so there is exactly one.
    #[error("{0}")]
    Yaml(FieldError),
    /// Every rule the values break, one per line.
    #[error("{}", lines(.0))]
    Invalid(Vec<FieldError>),
}

fn lines(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(FieldError::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

impl ProfileError {
    /// The YAML path of the (first) field at fault; `None` when the file itself is unreadable.
    pub fn field(&self) -> Option<&str> {
        self.errors().first().map(FieldError::field)
    }

    /// Every field error, in document order.
    pub fn errors(&self) -> &[FieldError] {
        match self {
            ProfileError::Read { .. } => &[],
            ProfileError::Yaml(error) => std::slice::from_ref(error),
            ProfileError::Invalid(errors) => errors,
        }
    }
}

/// Why one value is rejected, without its field path: the value, the rule it breaks, the fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(String);

/// The value as shown in messages: quoted with escapes (so whitespace shows), cut at 80 characters.
fn quoted(raw: &str) -> String {
    const SHOWN: usize = 80;
    if raw.chars().count() <= SHOWN {
        return format!("{raw:?}");
    }
    let head: String = raw.chars().take(SHOWN - 1).collect();
    format!("{:?}", format!("{head}…"))
}

// ---------------------------------------------------------------------------------------------
// Name rules: one table row per kind of name
// ---------------------------------------------------------------------------------------------

/// A character-class rule for a name, with the words used to explain it.
struct NameRule {
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

const COSMOS_ACCOUNT: NameRule = NameRule {
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
    fn problem(&self, raw: &str) -> Option<String> {
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
        pub struct $name(String);

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

/// A tenant or subscription id: a GUID in its hyphenated 36-character form.
fn parse_guid(raw: &str) -> Option<Uuid> {
    if raw.len() != 36 {
        return None;
    }
    Uuid::try_parse(raw).ok()
}

fn guid(raw: &str, fix: &str) -> Result<Uuid, InvalidValue> {
    parse_guid(raw).ok_or_else(|| {
        InvalidValue(format!(
            "{} is not a GUID in the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx: {fix}",
            quoted(raw)
        ))
    })
}

/// `raw` without `prefix`, comparing ASCII case-insensitively (ARM path segments are).
fn strip_prefix_ignore_case<'a>(raw: &'a str, prefix: &str) -> Option<&'a str> {
    let head = raw.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &raw[prefix.len()..])
}

/// The scope of an Azure RBAC role assignment: `/subscriptions/<id>` with an optional resource
/// group or resource path below it (azure.md §4).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RoleScope {
    text: String,
    subscription: Uuid,
}

impl RoleScope {
    pub fn parse(raw: &str) -> Result<RoleScope, InvalidValue> {
        let fail = |reason: &str| {
            InvalidValue(format!(
                "{} is not a role assignment scope ({reason}): write /subscriptions/<subscription id>, \
                 optionally followed by /resourceGroups/<group> and /providers/<resource>, \
                 e.g. \"/subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/resourceGroups/rg-application1\"",
                quoted(raw)
            ))
        };
        let Some(rest) = strip_prefix_ignore_case(raw, "/subscriptions/") else {
            return Err(fail("it does not start with /subscriptions/"));
        };
        let (id, below) = rest.split_once('/').unwrap_or((rest, ""));
        let Some(subscription) = parse_guid(id) else {
            return Err(fail("the subscription id is not a GUID"));
        };
        if raw.ends_with('/') || (rest.contains('/') && below.split('/').any(str::is_empty)) {
            return Err(fail("it has an empty segment or a trailing '/'"));
        }
        if raw
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '?' || c == '#')
        {
            return Err(fail("it contains whitespace, '?' or '#'"));
        }
        Ok(RoleScope {
            text: raw.to_string(),
            subscription,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn subscription(&self) -> Uuid {
        self.subscription
    }
}

impl fmt::Display for RoleScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The resource id of a Cosmos DB account, the scope of its data-plane role assignments
/// (azure.md §5): `/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.DocumentDB/databaseAccounts/<name>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CosmosAccountId {
    text: String,
    subscription: Uuid,
    resource_group: ResourceGroupName,
    account: String,
}

impl CosmosAccountId {
    pub fn parse(raw: &str) -> Result<CosmosAccountId, InvalidValue> {
        let fail = |reason: String| {
            InvalidValue(format!(
                "{} is not a Cosmos DB account id ({reason}): write \
                 /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.DocumentDB/databaseAccounts/<account>, \
                 as the account's JSON view in the portal shows it",
                quoted(raw)
            ))
        };
        let segments: Vec<&str> = raw.strip_prefix('/').unwrap_or(raw).split('/').collect();
        let [
            subscriptions,
            id,
            groups,
            group,
            providers,
            namespace,
            accounts,
            account,
        ] = segments[..]
        else {
            return Err(fail(format!(
                "it has {} path segments, not 8",
                segments.len()
            )));
        };
        let fixed = [
            (subscriptions, "subscriptions"),
            (groups, "resourceGroups"),
            (providers, "providers"),
            (namespace, "Microsoft.DocumentDB"),
            (accounts, "databaseAccounts"),
        ];
        if !raw.starts_with('/') {
            return Err(fail("it does not start with '/'".to_string()));
        }
        if let Some((found, expected)) = fixed
            .iter()
            .find(|(found, expected)| !found.eq_ignore_ascii_case(expected))
        {
            return Err(fail(format!(
                "it has {} where {expected:?} belongs",
                quoted(found)
            )));
        }
        let Some(subscription) = parse_guid(id) else {
            return Err(fail(format!("{} is not a subscription GUID", quoted(id))));
        };
        let resource_group = ResourceGroupName::parse(group)
            .map_err(|_| fail(format!("{} is not a resource group name", quoted(group))))?;
        if let Some(reason) = COSMOS_ACCOUNT.problem(account) {
            return Err(fail(format!(
                "the account name {}: {reason}",
                quoted(account)
            )));
        }
        Ok(CosmosAccountId {
            text: raw.to_string(),
            subscription,
            resource_group,
            account: account.to_string(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn subscription(&self) -> Uuid {
        self.subscription
    }

    pub fn resource_group(&self) -> &ResourceGroupName {
        &self.resource_group
    }

    /// The account name, the last segment of the id.
    pub fn account(&self) -> &str {
        &self.account
    }
}

impl fmt::Display for CosmosAccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The lifetime of the projected service-account token, in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TokenExpiration(u32);

impl TokenExpiration {
    /// Kubernetes refuses less: "may not specify a duration less than 10 minutes" (kubernetes.md §7).
    pub const MIN_SECONDS: u32 = 600;
    /// The azure-workload-identity webhook caps the projected token at 24 hours.
    pub const MAX_SECONDS: u32 = 86_400;
    pub const DEFAULT_SECONDS: u32 = 3_600;

    pub fn from_seconds(seconds: i64) -> Result<TokenExpiration, InvalidValue> {
        match u32::try_from(seconds) {
            Ok(seconds) if (Self::MIN_SECONDS..=Self::MAX_SECONDS).contains(&seconds) => {
                Ok(TokenExpiration(seconds))
            }
            _ => Err(InvalidValue(format!(
                "{seconds} is out of range: use 600 to 86400 seconds (Kubernetes refuses less than \
                 10 minutes, the workload identity webhook caps at 24 hours), e.g. 3600"
            ))),
        }
    }

    pub fn seconds(self) -> u32 {
        self.0
    }
}

impl Default for TokenExpiration {
    fn default() -> Self {
        TokenExpiration(Self::DEFAULT_SECONDS)
    }
}

/// Parses an `https` URL of an Azure endpoint (Resource Manager, authority host).
fn endpoint_url(raw: &str) -> Result<Url, InvalidValue> {
    let fail = |problem: String| InvalidValue(format!("{} {problem}", quoted(raw)));
    if raw.trim() != raw {
        return Err(fail(
            "has leading or trailing whitespace: remove it".to_string(),
        ));
    }
    let url = Url::parse(raw)
        .map_err(|error| fail(format!("is not a URL ({error}): write it as https://host/")))?;
    if url.scheme() != "https" {
        return Err(fail(format!(
            "must use https, not {}: kwif talks to Azure over TLS only",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) || raw.contains('?') || raw.contains('#') {
        return Err(fail(
            "must be a plain https://host/ URL without query or fragment".to_string(),
        ));
    }
    Ok(url)
}

// ---------------------------------------------------------------------------------------------
// Choices: the enumerated values, each a table
// ---------------------------------------------------------------------------------------------

macro_rules! choice {
    (
        $(#[$attr:meta])* $vis:vis $name:ident, $what:literal,
        { $($(#[$variant_attr:meta])* $variant:ident => $text:literal),+ $(,)? }
    ) => {
        $(#[$attr])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $name { $($(#[$variant_attr])* $variant),+ }

        impl $name {
            const CHOICES: &'static [(&'static str, $name)] = &[$(($text, $name::$variant)),+];

            /// The word kwif.yaml uses for this value.
            $vis fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Accepts exactly one of the words kwif.yaml uses (case-sensitive).
            $vis fn parse(raw: &str) -> Result<$name, InvalidValue> {
                parse_choice(raw, $what, Self::CHOICES)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

choice!(
    /// The Kubernetes distribution, which decides where the issuer flag lives (kubernetes.md §5).
    #[derive(Default)]
    pub Distribution, "distribution", {
        #[default]
        Auto => "auto", K0s => "k0s", K3s => "k3s", Rke2 => "rke2", Kubeadm => "kubeadm",
        MicroK8s => "microk8s", Kind => "kind", Minikube => "minikube", Talos => "talos",
        OpenShift => "openshift",
    }
);
choice!(
    /// The kind of object that runs the workload's pods.
    #[derive(Default)]
    pub WorkloadKind, "workload kind", {
        #[default]
        Deployment => "Deployment", StatefulSet => "StatefulSet", DaemonSet => "DaemonSet",
        CronJob => "CronJob", Job => "Job",
    }
);
choice!(
    /// How kwif wires the workload: server-side apply, the AWI webhook's label, or patches to export.
    #[derive(Default)]
    pub WorkloadMode, "workload mode", { #[default] Patch => "patch", Webhook => "webhook", Export => "export" }
);
choice!(HostingKind, "hosting kind", {
    Nginx => "nginx", AzureBlob => "azure-blob", Directory => "directory", ApiServer => "apiserver",
});
choice!(BlobModeName, "blob hosting mode", {
    PublicContainer => "public-container", StaticWebsite => "static-website",
});
choice!(CloudName, "Azure cloud", { Public => "public", China => "china", UsGov => "usgov", Custom => "custom" });

fn parse_choice<T: Copy>(
    raw: &str,
    what: &str,
    choices: &[(&'static str, T)],
) -> Result<T, InvalidValue> {
    if let Some((_, value)) = choices.iter().find(|(text, _)| *text == raw) {
        return Ok(*value);
    }
    let names: Vec<&str> = choices.iter().map(|(text, _)| *text).collect();
    let hint = closest(raw, &names)
        .map(|name| format!(" (did you mean {name:?}?)"))
        .unwrap_or_default();
    Err(InvalidValue(format!(
        "{} is not a known {what}: use one of {}{hint}",
        quoted(raw),
        names.join(", ")
    )))
}

/// The candidate `raw` most likely misspells: same letters ignoring case and `-`/`_`, or at most
/// two edits away.
fn closest<'a>(raw: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let normal = |text: &str| -> String {
        text.chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .flat_map(char::to_lowercase)
            .collect()
    };
    if raw.len() > 64 {
        return None;
    }
    let wanted = normal(raw);
    candidates
        .iter()
        .map(|candidate| (edit_distance(&wanted, &normal(candidate)), *candidate))
        .filter(|(distance, _)| *distance <= 2 && *distance < wanted.chars().count())
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

// ---------------------------------------------------------------------------------------------
// The typed profile
// ---------------------------------------------------------------------------------------------

/// The validated setup profile. Every field holds a checked value; cross-field rules (hosting
/// block matches its kind, nginx host equals the issuer's host, …) hold for a profile that came
/// from [`Profile::from_yaml`]. Code that edits a profile re-checks it with
/// `Profile::from_yaml(&profile.to_yaml())`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    pub cluster: Cluster,
    /// Copied byte for byte into every federated credential.
    pub issuer: IssuerUrl,
    pub hosting: Hosting,
    pub azure: Azure,
    pub identity: Identity,
    /// At least one; at most 20 distinct service accounts.
    pub workloads: Vec<Workload>,
}

/// Which cluster, and how its issuer is configured.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cluster {
    /// `None`: the kubeconfig's current context.
    pub context: Option<KubeContext>,
    pub distribution: Distribution,
}

/// Where the discovery document and JWKS are published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hosting {
    /// In-cluster nginx behind an Ingress, with a cert-manager certificate.
    Nginx(NginxHosting),
    AzureBlob(AzureBlobHosting),
    /// Written to a local directory for any static host.
    Directory {
        path: PathBuf,
    },
    /// The API server itself serves them publicly.
    ApiServer,
}

impl Hosting {
    /// The `kind` word of kwif.yaml.
    pub fn kind(&self) -> &'static str {
        self.hosting_kind().as_str()
    }

    fn hosting_kind(&self) -> HostingKind {
        match self {
            Hosting::Nginx(_) => HostingKind::Nginx,
            Hosting::AzureBlob(_) => HostingKind::AzureBlob,
            Hosting::Directory { .. } => HostingKind::Directory,
            Hosting::ApiServer => HostingKind::ApiServer,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NginxHosting {
    /// Equals the issuer's host.
    pub host: HostName,
    /// Default `nginx`.
    pub ingress_class: ObjectName,
    /// cert-manager ClusterIssuer for the certificate; `None`: the user provides TLS.
    pub cluster_issuer: Option<ObjectName>,
    /// Default `kwif-oidc`.
    pub namespace: Namespace,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AzureBlobHosting {
    pub storage_account: StorageAccountName,
    pub mode: BlobMode,
    /// Where the account is, or is created; `None`: `azure.resourceGroup`.
    pub resource_group: Option<ResourceGroupName>,
}

/// How the storage account serves the documents (azure.md §6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlobMode {
    /// A container with anonymous blob reads: `https://<account>.blob.core.windows.net/<container>/`.
    PublicContainer(ContainerName),
    /// The `$web` container of the static website: `https://<account>.z<NN>.web.core.windows.net/`.
    StaticWebsite,
}

/// The Azure side: cloud, subscription, and where the identity lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Azure {
    pub cloud: Cloud,
    /// `None`: read from the Azure CLI later.
    pub tenant: Option<Uuid>,
    /// `None`: read from the Azure CLI later.
    pub subscription: Option<Uuid>,
    pub resource_group: ResourceGroupName,
    pub location: Location,
}

/// The Azure cloud, which decides the Resource Manager and login endpoints.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Cloud {
    #[default]
    Public,
    China,
    UsGov,
    /// A sovereign or test cloud with explicit endpoints.
    Custom(CloudEndpoints),
}

impl Cloud {
    /// The `cloud` word of kwif.yaml.
    pub fn as_str(&self) -> &'static str {
        self.cloud_name().as_str()
    }

    fn cloud_name(&self) -> CloudName {
        match self {
            Cloud::Public => CloudName::Public,
            Cloud::China => CloudName::China,
            Cloud::UsGov => CloudName::UsGov,
            Cloud::Custom(_) => CloudName::Custom,
        }
    }

    /// Resource Manager and authority host of this cloud.
    pub fn endpoints(&self) -> CloudEndpoints {
        let (resource_manager, authority_host) = match self {
            Cloud::Public => (
                "https://management.azure.com/",
                "https://login.microsoftonline.com/",
            ),
            Cloud::China => (
                "https://management.chinacloudapi.cn/",
                "https://login.chinacloudapi.cn/",
            ),
            Cloud::UsGov => (
                "https://management.usgovcloudapi.net/",
                "https://login.microsoftonline.us/",
            ),
            Cloud::Custom(endpoints) => return endpoints.clone(),
        };
        // Constants, covered by a test: never user data.
        let known = |text: &str| Url::parse(text).expect("built-in Azure endpoints are valid URLs");
        CloudEndpoints {
            resource_manager: known(resource_manager),
            authority_host: known(authority_host),
        }
    }
}

/// The https endpoints of an Azure cloud.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloudEndpoints {
    resource_manager: Url,
    authority_host: Url,
}

impl CloudEndpoints {
    pub fn resource_manager(&self) -> &Url {
        &self.resource_manager
    }

    pub fn authority_host(&self) -> &Url {
        &self.authority_host
    }
}

/// The user-assigned managed identity and what it may do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub name: IdentityName,
    pub roles: Vec<RoleAssignment>,
    /// Resolved state: the identity's client id once created or found (written back by kwif).
    pub client_id: Option<Uuid>,
    /// Resolved state: the identity's service principal object id (for role assignments).
    pub principal_id: Option<Uuid>,
}

/// One role the identity receives.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RoleAssignment {
    /// An Azure RBAC role on a scope.
    Azure { role: RoleName, scope: RoleScope },
    /// A Cosmos DB data-plane role on an account (not assignable in the portal).
    CosmosData {
        role: RoleName,
        account: CosmosAccountId,
    },
}

/// A workload whose pods authenticate as the identity through their service account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workload {
    pub namespace: Namespace,
    pub service_account: ServiceAccountName,
    pub kind: WorkloadKind,
    pub name: WorkloadName,
    pub mode: WorkloadMode,
    pub token_expiration: TokenExpiration,
    /// `None`: [`FederatedCredentialName::derived`].
    pub federated_credential_name: Option<FederatedCredentialName>,
}

impl Workload {
    /// The federated credential's subject: `system:serviceaccount:<namespace>:<serviceAccount>`.
    pub fn subject(&self) -> String {
        format!(
            "system:serviceaccount:{}:{}",
            self.namespace, self.service_account
        )
    }

    /// The name given in the profile, else the derived one.
    pub fn federated_credential_name_or_default(&self) -> FederatedCredentialName {
        self.federated_credential_name.clone().unwrap_or_else(|| {
            FederatedCredentialName::derived(&self.namespace, &self.service_account)
        })
    }
}

/// One managed identity holds at most 20 federated credentials (azure.md §3).
pub const MAX_FEDERATED_CREDENTIALS: usize = 20;

/// Entra ID rejects longer issuers in a federated credential (azure.md §3).
const MAX_ISSUER_LENGTH: usize = 600;

const EXAMPLE_YAML: &str = "\
cluster:
  context: my-k0s
  distribution: auto
issuer: https://oidc.example.com/cluster1
hosting:
  kind: nginx
  nginx: { host: oidc.example.com, ingressClass: nginx, clusterIssuer: letsencrypt-prod, namespace: kwif-oidc }
azure:
  cloud: public
  tenant: bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb
  subscription: cccccccc-cccc-cccc-cccc-cccccccccccc
  resourceGroup: rg-application1
  location: westeurope
identity:
  name: id-application1
  roles:
    - role: Storage Blob Data Reader
      scope: /subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/resourceGroups/rg-application1/providers/Microsoft.Storage/storageAccounts/st1
    - cosmosDataRole: Cosmos DB Built-in Data Contributor
      account: /subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/resourceGroups/rg-application1/providers/Microsoft.DocumentDB/databaseAccounts/cosmos1
workloads:
  - namespace: application1
    serviceAccount: application1-sa
    kind: Deployment
    name: web-server
    mode: patch
    tokenExpirationSeconds: 3600
";

impl Profile {
    /// Parses kwif.yaml and validates every field, reporting all broken rules at once.
    pub fn from_yaml(text: &str) -> Result<Profile, ProfileError> {
        let raw: RawProfile = serde_yaml::from_str(text)
            .map_err(|error| ProfileError::Yaml(yaml_error(text, &error)))?;
        raw.validate()
    }

    /// Reads and parses a profile file; an unreadable file is named in the error.
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Profile::from_yaml(&text)
    }

    /// The profile as kwif.yaml, defaults written out. `from_yaml(p.to_yaml()) == p`.
    pub fn to_yaml(&self) -> String {
        // Plain structs of strings and integers: serde_yaml cannot fail on them.
        let body =
            serde_yaml::to_string(&RawProfile::from(self)).expect("a profile always serializes");
        format!("# kwif setup profile: names and ids only, never a secret.\n{body}")
    }

    /// A valid sample (nginx hosting, one Deployment, an RBAC and a Cosmos DB role), used by the
    /// wizard and the demo.
    pub fn example() -> Profile {
        // A constant, covered by a test: never user data.
        Profile::from_yaml(EXAMPLE_YAML).expect("the built-in example profile is valid")
    }
}

// ---------------------------------------------------------------------------------------------
// The raw serde layer
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawProfile {
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster: Option<RawCluster>,
    #[serde(skip_serializing_if = "Option::is_none")]
    issuer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hosting: Option<RawHosting>,
    #[serde(skip_serializing_if = "Option::is_none")]
    azure: Option<RawAzure>,
    #[serde(skip_serializing_if = "Option::is_none")]
    identity: Option<RawIdentity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    workloads: Option<Vec<RawWorkload>>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawCluster {
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    distribution: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawHosting {
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nginx: Option<RawNginx>,
    #[serde(skip_serializing_if = "Option::is_none")]
    azure_blob: Option<RawAzureBlob>,
    #[serde(skip_serializing_if = "Option::is_none")]
    directory: Option<RawDirectory>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawNginx {
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ingress_class: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster_issuer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawAzureBlob {
    #[serde(skip_serializing_if = "Option::is_none")]
    storage_account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    container: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_group: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawDirectory {
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawAzure {
    #[serde(skip_serializing_if = "Option::is_none")]
    cloud: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoints: Option<RawEndpoints>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subscription: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawEndpoints {
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_manager: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    authority_host: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawIdentity {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    roles: Option<Vec<RawRole>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal_id: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawRole {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cosmos_data_role: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawWorkload {
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_expiration_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    federated_credential_name: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Validation: raw → typed, collecting every error
// ---------------------------------------------------------------------------------------------

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
    fn validate(self) -> Result<Profile, ProfileError> {
        let mut checker = Checker::default();
        let cluster = check_cluster(&mut checker, self.cluster.unwrap_or_default());
        let issuer = check_issuer(&mut checker, self.issuer.as_deref());
        let hosting = check_hosting(
            &mut checker,
            self.hosting.unwrap_or_default(),
            issuer.as_ref(),
        );
        let azure = check_azure(&mut checker, self.azure.unwrap_or_default());
        let identity = check_identity(&mut checker, self.identity.unwrap_or_default());
        let workloads = check_workloads(&mut checker, self.workloads);
        match (issuer, hosting, azure, identity) {
            (Some(issuer), Some(hosting), Some(azure), Some(identity))
                if checker.errors.is_empty() =>
            {
                Ok(Profile {
                    cluster,
                    issuer,
                    hosting,
                    azure,
                    identity,
                    workloads,
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
            Distribution::parse,
        ),
    }
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
        checker.fail("issuer", format!("{} {problem}", quoted(raw)));
    }
    let length = raw.chars().count();
    if length > MAX_ISSUER_LENGTH {
        checker.fail(
            "issuer",
            format!(
                "{} has {length} characters, but Entra ID accepts at most {MAX_ISSUER_LENGTH}: use a shorter URL",
                quoted(raw)
            ),
        );
    }
    if !problems.is_empty() || length > MAX_ISSUER_LENGTH {
        return None;
    }
    let issuer =
        IssuerUrl::parse(raw).map_err(|problem| InvalidValue(format!("{} {problem}", quoted(raw))));
    checker.check("issuer", issuer)
}

fn check_hosting(
    checker: &mut Checker,
    raw: RawHosting,
    issuer: Option<&IssuerUrl>,
) -> Option<Hosting> {
    let kind = checker.required(
        "hosting.kind",
        raw.kind.as_deref(),
        HostingKind::parse,
        "add one of nginx, azure-blob, directory, apiserver",
    )?;
    let blocks = [
        ("nginx", raw.nginx.is_some(), HostingKind::Nginx),
        (
            "azureBlob",
            raw.azure_blob.is_some(),
            HostingKind::AzureBlob,
        ),
        ("directory", raw.directory.is_some(), HostingKind::Directory),
    ];
    for (block, present, owner) in blocks {
        if present && owner != kind {
            checker.fail(
                format!("hosting.{block}"),
                format!("is only read when kind is {owner}, but kind is {kind}: remove it, or set kind: {owner}"),
            );
        }
    }
    match kind {
        HostingKind::Nginx => {
            check_nginx(checker, raw.nginx.unwrap_or_default(), issuer).map(Hosting::Nginx)
        }
        HostingKind::AzureBlob => {
            check_azure_blob(checker, raw.azure_blob.unwrap_or_default(), issuer)
                .map(Hosting::AzureBlob)
        }
        HostingKind::Directory => {
            let path = raw.directory.unwrap_or_default().path;
            let parse = |text: &str| match text.trim() {
                "" => Err(InvalidValue(format!(
                    "{} is empty: give the directory the static host serves, e.g. \"./public\"",
                    quoted(text)
                ))),
                _ => Ok(PathBuf::from(text)),
            };
            checker
                .required(
                    "hosting.directory.path",
                    path.as_deref(),
                    parse,
                    "give the directory to write to, e.g. \"./public\"",
                )
                .map(|path| Hosting::Directory { path })
        }
        HostingKind::ApiServer => Some(Hosting::ApiServer),
    }
}

fn check_nginx(
    checker: &mut Checker,
    raw: RawNginx,
    issuer: Option<&IssuerUrl>,
) -> Option<NginxHosting> {
    let issuer_host = issuer.map_or("oidc.example.com", IssuerUrl::host);
    let host = checker.required(
        "hosting.nginx.host",
        raw.host.as_deref(),
        HostName::parse,
        &format!("add the issuer's host name, e.g. {issuer_host:?}"),
    );
    let ingress_class = checker.optional(
        "hosting.nginx.ingressClass",
        raw.ingress_class.as_deref(),
        ObjectName::parse,
    );
    let cluster_issuer = checker.optional(
        "hosting.nginx.clusterIssuer",
        raw.cluster_issuer.as_deref(),
        ObjectName::parse,
    );
    let namespace = checker.optional(
        "hosting.nginx.namespace",
        raw.namespace.as_deref(),
        Namespace::parse,
    );
    let host = host?;
    if let Some(issuer) = issuer
        && host.as_str() != issuer.host()
    {
        checker.fail(
            "hosting.nginx.host",
            format!(
                "{} differs from the host of issuer {} ({:?}): nginx serves the documents at the issuer URL, \
                 so use the same host in both",
                quoted(host.as_str()),
                quoted(issuer.as_str()),
                issuer.host()
            ),
        );
    }
    Some(NginxHosting {
        host,
        ingress_class: ingress_class.unwrap_or_else(|| ObjectName("nginx".to_string())),
        cluster_issuer,
        namespace: namespace.unwrap_or_else(|| Namespace("kwif-oidc".to_string())),
    })
}

fn check_azure_blob(
    checker: &mut Checker,
    raw: RawAzureBlob,
    issuer: Option<&IssuerUrl>,
) -> Option<AzureBlobHosting> {
    let storage_account = checker.required(
        "hosting.azureBlob.storageAccount",
        raw.storage_account.as_deref(),
        StorageAccountName::parse,
        "add the storage account that serves the documents, e.g. \"stoidc1\"",
    );
    let mode = checker
        .optional(
            "hosting.azureBlob.mode",
            raw.mode.as_deref(),
            BlobModeName::parse,
        )
        .unwrap_or(BlobModeName::PublicContainer);
    let mode = match mode {
        BlobModeName::PublicContainer => checker
            .required(
                "hosting.azureBlob.container",
                raw.container.as_deref(),
                ContainerName::parse,
                "add the container that serves the documents, e.g. \"oidc\"",
            )
            .map(BlobMode::PublicContainer),
        BlobModeName::StaticWebsite => {
            if raw
                .container
                .as_deref()
                .is_some_and(|container| container != "$web")
            {
                checker.fail(
                    "hosting.azureBlob.container",
                    "is not used with mode static-website, which always serves the $web container: remove it",
                );
            }
            Some(BlobMode::StaticWebsite)
        }
    };
    let resource_group = checker.optional(
        "hosting.azureBlob.resourceGroup",
        raw.resource_group.as_deref(),
        ResourceGroupName::parse,
    );
    let hosting = AzureBlobHosting {
        storage_account: storage_account?,
        mode: mode?,
        resource_group,
    };
    if let Some(issuer) = issuer {
        check_blob_issuer(checker, &hosting, issuer);
    }
    Some(hosting)
}

/// When the issuer uses a storage endpoint (`<account>.blob.…` or `<account>[.zNN].web.…`), its
/// account and container must be the ones kwif uploads to. Other hosts (a CDN) are not checked.
fn check_blob_issuer(checker: &mut Checker, hosting: &AzureBlobHosting, issuer: &IssuerUrl) {
    let host = issuer.host();
    let Some((account, _)) = host.split_once('.') else {
        return;
    };
    let service = if matches!(hosting.mode, BlobMode::PublicContainer(_)) {
        ".blob."
    } else {
        ".web."
    };
    if !host.contains(service) {
        return;
    }
    if account != hosting.storage_account.as_str() {
        checker.fail(
            "hosting.azureBlob.storageAccount",
            format!(
                "{} differs from the account in issuer {} ({account:?}): the documents are uploaded to this \
                 account, so the issuer must name it too",
                quoted(hosting.storage_account.as_str()),
                quoted(issuer.as_str())
            ),
        );
    }
    let BlobMode::PublicContainer(container) = &hosting.mode else {
        return;
    };
    let path = issuer.as_str().split("://").nth(1).unwrap_or_default();
    let in_issuer = path.split('/').nth(1).unwrap_or_default();
    if in_issuer != container.as_str() {
        checker.fail(
            "hosting.azureBlob.container",
            format!(
                "{} differs from the container in issuer {} ({in_issuer:?}): the issuer must be \
                 https://{host}/{container}/",
                quoted(container.as_str()),
                quoted(issuer.as_str())
            ),
        );
    }
}

fn check_azure(checker: &mut Checker, raw: RawAzure) -> Option<Azure> {
    let cloud_name = checker
        .optional("azure.cloud", raw.cloud.as_deref(), CloudName::parse)
        .unwrap_or(CloudName::Public);
    let cloud = check_cloud(checker, cloud_name, raw.endpoints);
    let subscription_fix = "copy it from `az account show --query id`";
    let tenant_fix = "copy it from `az account show --query tenantId`";
    let tenant = checker.optional("azure.tenant", raw.tenant.as_deref(), |text| {
        guid(text, tenant_fix)
    });
    let subscription =
        checker.optional("azure.subscription", raw.subscription.as_deref(), |text| {
            guid(text, subscription_fix)
        });
    let resource_group = checker.required(
        "azure.resourceGroup",
        raw.resource_group.as_deref(),
        ResourceGroupName::parse,
        "add the resource group of the managed identity, e.g. \"rg-application1\"",
    );
    let location = checker.required(
        "azure.location",
        raw.location.as_deref(),
        Location::parse,
        "add the region of the managed identity, e.g. \"westeurope\"",
    );
    Some(Azure {
        cloud: cloud?,
        tenant,
        subscription,
        resource_group: resource_group?,
        location: location?,
    })
}

fn check_cloud(
    checker: &mut Checker,
    name: CloudName,
    endpoints: Option<RawEndpoints>,
) -> Option<Cloud> {
    if name != CloudName::Custom {
        if endpoints.is_some() {
            checker.fail(
                "azure.endpoints",
                format!("is only read when cloud is custom, but cloud is {name}: remove it, or set cloud: custom"),
            );
        }
        return Some(match name {
            CloudName::China => Cloud::China,
            CloudName::UsGov => Cloud::UsGov,
            _ => Cloud::Public,
        });
    }
    let endpoints = endpoints.unwrap_or_default();
    let resource_manager = checker.required(
        "azure.endpoints.resourceManager",
        endpoints.resource_manager.as_deref(),
        endpoint_url,
        "cloud custom needs the Resource Manager URL, e.g. \"https://management.azure.com/\"",
    );
    let authority_host = checker.required(
        "azure.endpoints.authorityHost",
        endpoints.authority_host.as_deref(),
        endpoint_url,
        "cloud custom needs the login URL, e.g. \"https://login.microsoftonline.com/\"",
    );
    Some(Cloud::Custom(CloudEndpoints {
        resource_manager: resource_manager?,
        authority_host: authority_host?,
    }))
}

fn check_identity(checker: &mut Checker, raw: RawIdentity) -> Option<Identity> {
    let name = checker.required(
        "identity.name",
        raw.name.as_deref(),
        IdentityName::parse,
        "add the name of the managed identity to create or reuse, e.g. \"id-application1\"",
    );
    let mut roles: Vec<(usize, RoleAssignment)> = Vec::new();
    for (index, raw_role) in raw.roles.unwrap_or_default().into_iter().enumerate() {
        let path = format!("identity.roles[{index}]");
        let Some(role) = check_role(checker, &path, raw_role) else {
            continue;
        };
        if let Some((earlier, _)) = roles.iter().find(|(_, known)| *known == role) {
            checker.fail(
                path,
                format!("repeats identity.roles[{earlier}]: remove one of them"),
            );
            continue;
        }
        roles.push((index, role));
    }
    let resolved_fix = "kwif writes it after the identity step; copy it from `az identity show --query clientId` or remove it";
    let client_id = checker.optional("identity.clientId", raw.client_id.as_deref(), |text| {
        guid(text, resolved_fix)
    });
    let principal_id = checker.optional(
        "identity.principalId",
        raw.principal_id.as_deref(),
        |text| guid(text, resolved_fix),
    );
    Some(Identity {
        name: name?,
        roles: roles.into_iter().map(|(_, role)| role).collect(),
        client_id,
        principal_id,
    })
}

fn check_role(checker: &mut Checker, path: &str, raw: RawRole) -> Option<RoleAssignment> {
    let stray = |checker: &mut Checker, field: &str, present: bool, owner: &str| {
        if present {
            checker.fail(
                format!("{path}.{field}"),
                format!("is only read together with {owner}: remove it"),
            );
        }
    };
    match (raw.role.as_deref(), raw.cosmos_data_role.as_deref()) {
        (Some(role), None) => {
            stray(checker, "account", raw.account.is_some(), "cosmosDataRole");
            let role = checker.check(&format!("{path}.role"), RoleName::parse(role));
            let scope = checker.required(
                &format!("{path}.scope"),
                raw.scope.as_deref(),
                RoleScope::parse,
                "add the resource id the role applies to, starting with /subscriptions/",
            );
            Some(RoleAssignment::Azure {
                role: role?,
                scope: scope?,
            })
        }
        (None, Some(role)) => {
            stray(checker, "scope", raw.scope.is_some(), "role");
            let role = checker.check(&format!("{path}.cosmosDataRole"), RoleName::parse(role));
            let account = checker.required(
                &format!("{path}.account"),
                raw.account.as_deref(),
                CosmosAccountId::parse,
                "add the resource id of the Cosmos DB account",
            );
            Some(RoleAssignment::CosmosData {
                role: role?,
                account: account?,
            })
        }
        (Some(_), Some(_)) => {
            checker.fail(
                path,
                "has both role and cosmosDataRole: write each role as its own list entry",
            );
            None
        }
        (None, None) => {
            checker.fail(
                path,
                "names no role: add role: with scope: for an Azure role, or cosmosDataRole: with account: \
                 for a Cosmos DB data role",
            );
            None
        }
    }
}

fn check_workloads(checker: &mut Checker, raw: Option<Vec<RawWorkload>>) -> Vec<Workload> {
    let raw = raw.unwrap_or_default();
    if raw.is_empty() {
        checker.fail(
            "workloads",
            "is empty: add at least one workload with namespace, serviceAccount and name",
        );
    }
    let checked: Vec<(usize, Workload)> = raw
        .into_iter()
        .enumerate()
        .filter_map(|(index, raw)| {
            check_workload(checker, index, raw).map(|workload| (index, workload))
        })
        .collect();
    check_workload_set(checker, &checked);
    checked.into_iter().map(|(_, workload)| workload).collect()
}

fn check_workload(checker: &mut Checker, index: usize, raw: RawWorkload) -> Option<Workload> {
    let path = |field: &str| format!("workloads[{index}].{field}");
    let namespace = checker.required(
        &path("namespace"),
        raw.namespace.as_deref(),
        Namespace::parse,
        "add the namespace of the workload, e.g. \"application1\"",
    );
    let service_account = checker.required(
        &path("serviceAccount"),
        raw.service_account.as_deref(),
        ServiceAccountName::parse,
        "add the ServiceAccount the pods run as, e.g. \"application1-sa\"",
    );
    let kind = checker.or_default(&path("kind"), raw.kind.as_deref(), WorkloadKind::parse);
    let name = checker.required(
        &path("name"),
        raw.name.as_deref(),
        WorkloadName::parse,
        "add the name of the Deployment (or other kind), e.g. \"web-server\"",
    );
    let mode = checker.or_default(&path("mode"), raw.mode.as_deref(), WorkloadMode::parse);
    let token_expiration = raw
        .token_expiration_seconds
        .and_then(|seconds| {
            checker.check(
                &path("tokenExpirationSeconds"),
                TokenExpiration::from_seconds(seconds),
            )
        })
        .unwrap_or_default();
    let federated_credential_name = checker.optional(
        &path("federatedCredentialName"),
        raw.federated_credential_name.as_deref(),
        FederatedCredentialName::parse,
    );
    let name = name?;
    // Kubernetes refuses longer CronJob names: each Job appends an 11-character suffix.
    let length = name.as_str().len();
    if kind == WorkloadKind::CronJob && length > 52 {
        checker.fail(
            path("name"),
            format!(
                "{} has {length} characters, but a CronJob name may have at most 52: shorten it",
                quoted(name.as_str())
            ),
        );
    }
    Some(Workload {
        namespace: namespace?,
        service_account: service_account?,
        kind,
        name,
        mode,
        token_expiration,
        federated_credential_name,
    })
}

/// Rules across workloads: no workload twice, one credential name per service account and one
/// service account per credential name, at most 20 service accounts per identity.
fn check_workload_set(checker: &mut Checker, workloads: &[(usize, Workload)]) {
    let mut objects: BTreeMap<(&str, &str, &str), usize> = BTreeMap::new();
    let mut by_account: BTreeMap<(&str, &str), (usize, FederatedCredentialName)> = BTreeMap::new();
    let mut by_name: BTreeMap<FederatedCredentialName, (usize, String)> = BTreeMap::new();
    for (index, workload) in workloads {
        let object = (
            workload.kind.as_str(),
            workload.namespace.as_str(),
            workload.name.as_str(),
        );
        if let Some(first) = objects.get(&object) {
            checker.fail(
                format!("workloads[{index}]"),
                format!(
                    "{} {}/{} is listed twice (first as workloads[{first}]): remove one entry",
                    workload.kind, workload.namespace, workload.name
                ),
            );
            continue;
        }
        objects.insert(object, *index);
        let credential = workload.federated_credential_name_or_default();
        let account = (
            workload.namespace.as_str(),
            workload.service_account.as_str(),
        );
        let field = format!("workloads[{index}].federatedCredentialName");
        if let Some((first, known)) = by_account.get(&account) {
            if *known != credential {
                checker.fail(
                    field,
                    format!(
                        "{} differs from {} used by workloads[{first}] for the same service account {}/{}: \
                         one federated credential serves a service account, so give both the same name",
                        quoted(credential.as_str()),
                        quoted(known.as_str()),
                        account.0,
                        account.1
                    ),
                );
            }
            continue;
        }
        if let Some((first, subject)) = by_name.get(&credential) {
            checker.fail(
                field,
                format!(
                    "{} is already the credential of workloads[{first}] ({subject}): names are unique per \
                     identity, so set a different federatedCredentialName here",
                    quoted(credential.as_str())
                ),
            );
            continue;
        }
        by_account.insert(account, (*index, credential.clone()));
        by_name.insert(credential, (*index, workload.subject()));
    }
    if by_account.len() > MAX_FEDERATED_CREDENTIALS {
        checker.fail(
            "workloads",
            format!(
                "use {} distinct service accounts, but one managed identity holds at most \
                 {MAX_FEDERATED_CREDENTIALS} federated credentials: split them across profiles with separate identities",
                by_account.len()
            ),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Typed → raw, for to_yaml
// ---------------------------------------------------------------------------------------------

impl From<&Profile> for RawProfile {
    fn from(profile: &Profile) -> RawProfile {
        RawProfile {
            cluster: Some(RawCluster {
                context: profile
                    .cluster
                    .context
                    .as_ref()
                    .map(|context| context.0.clone()),
                distribution: Some(profile.cluster.distribution.as_str().to_string()),
            }),
            issuer: Some(profile.issuer.as_str().to_string()),
            hosting: Some(RawHosting::from(&profile.hosting)),
            azure: Some(RawAzure::from(&profile.azure)),
            identity: Some(RawIdentity {
                name: Some(profile.identity.name.0.clone()),
                roles: Some(profile.identity.roles.iter().map(RawRole::from).collect()),
                client_id: profile
                    .identity
                    .client_id
                    .map(|id| id.hyphenated().to_string()),
                principal_id: profile
                    .identity
                    .principal_id
                    .map(|id| id.hyphenated().to_string()),
            }),
            workloads: Some(profile.workloads.iter().map(RawWorkload::from).collect()),
        }
    }
}

impl From<&Hosting> for RawHosting {
    fn from(hosting: &Hosting) -> RawHosting {
        let mut raw = RawHosting {
            kind: Some(hosting.kind().to_string()),
            ..RawHosting::default()
        };
        match hosting {
            Hosting::Nginx(nginx) => {
                raw.nginx = Some(RawNginx {
                    host: Some(nginx.host.0.clone()),
                    ingress_class: Some(nginx.ingress_class.0.clone()),
                    cluster_issuer: nginx.cluster_issuer.as_ref().map(|issuer| issuer.0.clone()),
                    namespace: Some(nginx.namespace.0.clone()),
                });
            }
            Hosting::AzureBlob(blob) => {
                let (container, mode) = match &blob.mode {
                    BlobMode::PublicContainer(container) => {
                        (Some(container.0.clone()), BlobModeName::PublicContainer)
                    }
                    BlobMode::StaticWebsite => (None, BlobModeName::StaticWebsite),
                };
                raw.azure_blob = Some(RawAzureBlob {
                    storage_account: Some(blob.storage_account.0.clone()),
                    container,
                    mode: Some(mode.as_str().to_string()),
                    resource_group: blob.resource_group.as_ref().map(|group| group.0.clone()),
                });
            }
            Hosting::Directory { path } => {
                raw.directory = Some(RawDirectory {
                    path: Some(path.to_string_lossy().into_owned()),
                });
            }
            Hosting::ApiServer => {}
        }
        raw
    }
}

impl From<&Azure> for RawAzure {
    fn from(azure: &Azure) -> RawAzure {
        let endpoints = match &azure.cloud {
            Cloud::Custom(endpoints) => Some(RawEndpoints {
                resource_manager: Some(endpoints.resource_manager.to_string()),
                authority_host: Some(endpoints.authority_host.to_string()),
            }),
            _ => None,
        };
        RawAzure {
            cloud: Some(azure.cloud.as_str().to_string()),
            endpoints,
            tenant: azure.tenant.map(|tenant| tenant.hyphenated().to_string()),
            subscription: azure
                .subscription
                .map(|subscription| subscription.hyphenated().to_string()),
            resource_group: Some(azure.resource_group.0.clone()),
            location: Some(azure.location.0.clone()),
        }
    }
}

impl From<&RoleAssignment> for RawRole {
    fn from(role: &RoleAssignment) -> RawRole {
        match role {
            RoleAssignment::Azure { role, scope } => RawRole {
                role: Some(role.0.clone()),
                scope: Some(scope.text.clone()),
                ..RawRole::default()
            },
            RoleAssignment::CosmosData { role, account } => RawRole {
                cosmos_data_role: Some(role.0.clone()),
                account: Some(account.text.clone()),
                ..RawRole::default()
            },
        }
    }
}

impl From<&Workload> for RawWorkload {
    fn from(workload: &Workload) -> RawWorkload {
        RawWorkload {
            namespace: Some(workload.namespace.0.clone()),
            service_account: Some(workload.service_account.0.clone()),
            kind: Some(workload.kind.as_str().to_string()),
            name: Some(workload.name.0.clone()),
            mode: Some(workload.mode.as_str().to_string()),
            token_expiration_seconds: Some(i64::from(workload.token_expiration.seconds())),
            federated_credential_name: workload
                .federated_credential_name
                .as_ref()
                .map(|name| name.0.clone()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// serde_yaml errors → field errors
// ---------------------------------------------------------------------------------------------

/// Rewrites a serde_yaml error as `<field>: <problem> (line L, column C): <fix>`.
fn yaml_error(text: &str, error: &serde_yaml::Error) -> FieldError {
    let line_column = error
        .location()
        .map(|location| (location.line(), location.column()));
    let mut detail = error.to_string();
    let mut at = String::new();
    if let Some((line, column)) = line_column {
        detail = detail.replacen(&format!(" at line {line} column {column}"), "", 1);
        at = format!(" (line {line}, column {column})");
    }
    let (path, detail) = split_path(&detail);
    let within = |name: &str| {
        // A key that is not a plain word is quoted, so the path stays readable.
        let plain = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || "_-".contains(c));
        let name = if plain {
            name.to_string()
        } else {
            quoted(name)
        };
        path.map_or_else(|| name.clone(), |path| format!("{path}.{name}"))
    };
    let (field, message) = if let Some(rest) = detail.strip_prefix("unknown field `") {
        let (name, expected) = rest
            .rsplit_once("`, expected ")
            .or_else(|| {
                rest.rsplit_once("`, there are no fields")
                    .map(|(name, _)| (name, ""))
            })
            .unwrap_or((rest, ""));
        (
            within(name),
            format!(
                "is not a known field{at}: {}",
                known_fields_fix(name, expected)
            ),
        )
    } else if let Some(rest) = detail.strip_prefix("duplicate field `") {
        let name = rest.strip_suffix('`').unwrap_or(rest);
        (within(name), format!("appears twice{at}: keep one"))
    } else if detail.starts_with("invalid type: ") || detail.starts_with("invalid value: ") {
        (
            path.unwrap_or("profile").to_string(),
            format!("{}{at}", type_problem(detail)),
        )
    } else if detail.contains("more than one document") {
        (
            "profile".to_string(),
            "holds more than one YAML document: keep a single profile, without '---'".to_string(),
        )
    } else {
        // An unterminated quote is found where the file ends; the field is where the quote opened.
        let opened = detail
            .split_once("while scanning a quoted scalar at line ")
            .and_then(|(_, rest)| rest.split(' ').next()?.parse().ok());
        let line = opened.or(line_column.map(|(line, _)| line));
        let field = path
            .map(str::to_string)
            .or_else(|| line.and_then(|line| field_at_line(text, line)))
            .unwrap_or_else(|| "profile".to_string());
        let fix = "fix the YAML there: indent with spaces, and quote values that contain ': ' or start with a special character";
        (field, format!("{detail}{at}: {fix}"))
    };
    FieldError {
        field,
        message,
        line_column,
    }
}

/// serde_yaml writes `path.to[0].field: message`; the path has no spaces.
fn split_path(detail: &str) -> (Option<&str>, &str) {
    match detail.split_once(": ") {
        Some((head, rest))
            if !head.is_empty()
                && head
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._[]".contains(c)) =>
        {
            (Some(head), rest)
        }
        _ => (None, detail),
    }
}

fn known_fields_fix(name: &str, expected: &str) -> String {
    let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    if known.is_empty() {
        return "remove it".to_string();
    }
    let hint = closest(name, &known)
        .map(|close| format!("did you mean {close}? "))
        .unwrap_or_default();
    format!("{hint}the fields here are {}", known.join(", "))
}

/// `invalid type: string "abc", expected i64` → `should be a whole number, not string "abc"`.
fn type_problem(detail: &str) -> String {
    let detail = detail
        .trim_start_matches("invalid type: ")
        .trim_start_matches("invalid value: ");
    let Some((found, expected)) = detail.rsplit_once(", expected ") else {
        return detail.to_string();
    };
    let expected = match expected {
        "i64" | "u64" | "i32" | "u32" => "a whole number",
        "a sequence" => "a list of '- ' items",
        "a string" => "a single text value",
        other if other.starts_with("struct ") => "a mapping of `key: value` lines",
        other => other,
    };
    format!("should be {expected}, not {found}")
}

/// The dotted path of the key on `line` (1-based), or of the last key opened before it, read
/// from indentation alone. Names the field of a YAML syntax error, which serde_yaml reports by
/// position only.
fn field_at_line(text: &str, line: usize) -> Option<String> {
    struct Frame {
        indent: usize,
        segment: String,
        is_item: bool,
        /// A key with its value on the same line: it cannot be the parent of what follows.
        is_leaf: bool,
        items: usize,
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut top_items = 0;
    for text_line in text.lines().take(line) {
        let mut column = text_line.len() - text_line.trim_start_matches(' ').len();
        let mut rest = &text_line[column..];
        if rest.is_empty() || rest.starts_with('#') {
            continue;
        }
        if (rest == "-" || rest.starts_with("- ") || key_of(rest).is_some())
            && stack.last().is_some_and(|top| top.is_leaf)
        {
            stack.pop();
        }
        while rest == "-" || rest.starts_with("- ") {
            while stack
                .last()
                .is_some_and(|top| top.indent > column || (top.indent == column && top.is_item))
            {
                stack.pop();
            }
            let counter = stack
                .last_mut()
                .map_or(&mut top_items, |parent| &mut parent.items);
            let segment = format!("[{counter}]");
            *counter += 1;
            stack.push(Frame {
                indent: column,
                segment,
                is_item: true,
                is_leaf: false,
                items: 0,
            });
            let after = &rest[1..];
            let spaces = after.len() - after.trim_start_matches(' ').len();
            column += 1 + spaces;
            rest = &after[spaces..];
        }
        if let Some(key) = key_of(rest) {
            while stack.last().is_some_and(|top| top.indent >= column) {
                stack.pop();
            }
            let value = rest[key.len() + 1..].trim_start();
            let is_leaf = value.chars().next().is_some_and(|c| !"{[|>&!#".contains(c));
            stack.push(Frame {
                indent: column,
                segment: key.to_string(),
                is_item: false,
                is_leaf,
                items: 0,
            });
        }
    }
    let mut path = String::new();
    for frame in &stack {
        if !frame.is_item && !path.is_empty() {
            path.push('.');
        }
        path.push_str(&frame.segment);
    }
    (!path.is_empty()).then_some(path)
}

/// The plain key at the start of a YAML line (`key:` or `key: value`).
fn key_of(rest: &str) -> Option<&str> {
    let (key, after) = rest.split_once(':')?;
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || "_-.".contains(c));
    (plain && (after.is_empty() || after.starts_with(' '))).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example profile with one piece of text replaced (the piece must be there).
    fn example_with(from: &str, to: &str) -> String {
        assert!(EXAMPLE_YAML.contains(from), "the example has no {from:?}");
        EXAMPLE_YAML.replacen(from, to, 1)
    }

    /// Every error line `from_yaml` reports for `text`.
    fn errors(text: &str) -> Vec<String> {
        match Profile::from_yaml(text) {
            Ok(_) => Vec::new(),
            Err(error) => error.to_string().lines().map(str::to_string).collect(),
        }
    }

    fn only_error(text: &str) -> String {
        let errors = errors(text);
        assert_eq!(errors.len(), 1, "expected one error, got {errors:#?}");
        errors[0].clone()
    }

    const MINIMAL: &str = "\
issuer: https://oidc.example.com
hosting: { kind: apiserver }
azure: { resourceGroup: rg1, location: westeurope }
identity: { name: id-app }
workloads:
  - { namespace: app, serviceAccount: app-sa, name: web }
";

    // --- the whole profile ---

    #[test]
    fn example_profile_is_valid_and_holds_the_design_sample() {
        let profile = Profile::example();
        assert_eq!(profile.issuer.as_str(), "https://oidc.example.com/cluster1");
        assert_eq!(
            profile.cluster.context.as_ref().map(KubeContext::as_str),
            Some("my-k0s")
        );
        let Hosting::Nginx(nginx) = &profile.hosting else {
            panic!("nginx hosting expected")
        };
        assert_eq!(nginx.host.as_str(), "oidc.example.com");
        assert_eq!(
            nginx.cluster_issuer.as_ref().map(ObjectName::as_str),
            Some("letsencrypt-prod")
        );
        assert_eq!(
            profile.azure.tenant.map(|t| t.to_string()).as_deref(),
            Some("bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb")
        );
        assert_eq!(profile.identity.roles.len(), 2);
        assert_eq!(
            profile.workloads[0].subject(),
            "system:serviceaccount:application1:application1-sa"
        );
    }

    #[test]
    fn example_round_trips_through_yaml() {
        let profile = Profile::example();
        let text = profile.to_yaml();
        assert_eq!(Profile::from_yaml(&text).unwrap(), profile, "{text}");
    }

    #[test]
    fn absent_fields_take_their_documented_defaults() {
        let profile = Profile::from_yaml(MINIMAL).unwrap();
        assert_eq!(
            profile.cluster,
            Cluster {
                context: None,
                distribution: Distribution::Auto
            }
        );
        assert_eq!(profile.azure.cloud, Cloud::Public);
        assert_eq!(profile.azure.tenant, None);
        let workload = &profile.workloads[0];
        assert_eq!(workload.kind, WorkloadKind::Deployment);
        assert_eq!(workload.mode, WorkloadMode::Patch);
        assert_eq!(workload.token_expiration.seconds(), 3600);
        assert_eq!(
            workload.federated_credential_name_or_default().as_str(),
            "kwif-app-app-sa"
        );
    }

    #[test]
    fn to_yaml_writes_defaults_out_and_leaves_absent_optionals_out() {
        let text = Profile::from_yaml(MINIMAL).unwrap().to_yaml();
        for written in [
            "distribution: auto",
            "cloud: public",
            "kind: Deployment",
            "mode: patch",
            "tokenExpirationSeconds: 3600",
        ] {
            assert!(text.contains(written), "{written:?} missing from\n{text}");
        }
        for absent in [
            "context",
            "tenant",
            "subscription",
            "federatedCredentialName",
            "null",
        ] {
            assert!(!text.contains(absent), "{absent:?} in\n{text}");
        }
    }

    #[test]
    fn nginx_defaults_fill_ingress_class_and_namespace() {
        let text = example_with(
            ", ingressClass: nginx, clusterIssuer: letsencrypt-prod, namespace: kwif-oidc",
            "",
        );
        let Hosting::Nginx(nginx) = Profile::from_yaml(&text).unwrap().hosting else {
            panic!()
        };
        assert_eq!(nginx.ingress_class.as_str(), "nginx");
        assert_eq!(nginx.namespace.as_str(), "kwif-oidc");
        assert_eq!(nginx.cluster_issuer, None);
    }

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
    fn error_field_accessor_names_the_first_field() {
        let error =
            Profile::from_yaml(&example_with("name: id-application1", "name: -x")).unwrap_err();
        assert_eq!(error.field(), Some("identity.name"));
        assert_eq!(error.errors().len(), 1);
    }

    // --- YAML syntax, unknown fields, types ---

    #[test]
    fn unknown_field_is_named_with_line_column_and_a_suggestion() {
        let text =
            "issuer: https://x.example\nworkloads:\n  - namespace: a\n    serviceAcount: b\n";
        let error = Profile::from_yaml(text).unwrap_err();
        assert!(matches!(error, ProfileError::Yaml(_)));
        assert_eq!(error.field(), Some("workloads[0].serviceAcount"));
        assert_eq!(error.errors()[0].line_column(), Some((4, 5)));
        assert_eq!(
            error.to_string(),
            "workloads[0].serviceAcount: is not a known field (line 4, column 5): did you mean serviceAccount? \
             the fields here are namespace, serviceAccount, kind, name, mode, tokenExpirationSeconds, \
             federatedCredentialName"
        );
    }

    #[test]
    fn unknown_top_level_field_in_snake_case_suggests_the_camel_case_one() {
        let message = only_error("resource_group: x\n");
        assert!(
            message.starts_with("resource_group: is not a known field (line 1, column 1): "),
            "{message}"
        );
        let message = only_error("azure:\n  resource_group: x\n");
        assert!(message.starts_with("azure.resource_group: is not a known field (line 2, column 3): did you mean resourceGroup?"), "{message}");
    }

    #[test]
    fn yaml_syntax_error_names_the_nearest_field_and_the_position() {
        let text = "hosting:\n  kind: nginx\n  nginx: { host: a, \n";
        let message = only_error(text);
        assert!(
            message.starts_with(
                "hosting.nginx: did not find expected node content, while parsing a flow node (line 4, column 1)"
            ),
            "{message}"
        );
        assert!(message.contains("fix the YAML there"), "{message}");
    }

    #[test]
    fn tab_indentation_is_reported_under_its_parent_field() {
        let message = only_error("hosting:\n\tkind: nginx\n");
        assert!(
            message.starts_with(
                "hosting: found character that cannot start any token, while scanning for the next token (line 2, column 1)"
            ),
            "{message}"
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_names_the_field_and_the_expected_type() {
        let text = example_with("tokenExpirationSeconds: 3600", "tokenExpirationSeconds: 1h");
        let message = only_error(&text);
        assert!(
            message.starts_with("workloads[0].tokenExpirationSeconds: should be a whole number, not string \"1h\" (line "),
            "{message}"
        );
        let message = only_error("hosting: [nginx]\n");
        assert_eq!(
            message,
            "hosting: should be a mapping of `key: value` lines, not sequence (line 1, column 10)"
        );
        let message = only_error("- a\n");
        assert_eq!(
            message,
            "profile: should be a mapping of `key: value` lines, not sequence (line 1, column 1)"
        );
    }

    #[test]
    fn an_unknown_key_that_is_not_a_word_is_quoted_in_the_path() {
        assert!(
            only_error("\"\": 1\n").starts_with("\"\": is not a known field (line 1, column 1): ")
        );
        let message = only_error("hosting:\n  \"my `key`, x\": 1\n");
        assert!(
            message.starts_with("hosting.\"my `key`, x\": is not a known field (line 2, column 3): the fields here are kind,"),
            "{message}"
        );
    }

    #[test]
    fn a_field_written_twice_is_reported() {
        let message = only_error("hosting: {kind: nginx, kind: directory}\n");
        assert_eq!(
            message,
            "hosting.kind: appears twice (line 1, column 10): keep one"
        );
    }

    #[test]
    fn several_documents_in_one_file_are_rejected() {
        assert_eq!(
            only_error("issuer: a\n---\nissuer: b\n"),
            "profile: holds more than one YAML document: keep a single profile, without '---'"
        );
    }

    #[test]
    fn field_at_line_follows_indentation_and_list_items() {
        let text =
            "a:\n  b: 1\nworkloads:\n- x: 1\n  y: 2\n- x: 3\n  nested:\n    - q: 1\n    - r: 2\n";
        assert_eq!(field_at_line(text, 2).as_deref(), Some("a.b"));
        assert_eq!(field_at_line(text, 5).as_deref(), Some("workloads[0].y"));
        assert_eq!(field_at_line(text, 6).as_deref(), Some("workloads[1].x"));
        assert_eq!(
            field_at_line(text, 9).as_deref(),
            Some("workloads[1].nested[1].r")
        );
        assert_eq!(field_at_line("", 3), None);
    }

    #[test]
    fn a_key_indented_below_a_value_is_named_as_its_sibling() {
        let message = only_error("hosting:\n  kind: nginx\n   nginx: x\n");
        assert!(
            message.starts_with(
                "hosting.nginx: mapping values are not allowed in this context (line 3, column 9)"
            ),
            "{message}"
        );
        let text = "a:\n  b: {\n    c: 1,\n";
        assert_eq!(field_at_line(text, 3).as_deref(), Some("a.b.c"));
    }

    // --- issuer ---

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

    // --- Kubernetes names ---

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
    fn cronjob_names_longer_than_52_characters_are_rejected() {
        let long = "c".repeat(53);
        let text = example_with(
            "kind: Deployment\n    name: web-server",
            &format!("kind: CronJob\n    name: {long}"),
        );
        assert_eq!(
            only_error(&text),
            format!(
                "workloads[0].name: \"{long}\" has 53 characters, but a CronJob name may have at most 52: shorten it"
            )
        );
        let text = example_with("name: web-server", &format!("name: {long}"));
        assert!(
            Profile::from_yaml(&text).is_ok(),
            "a Deployment may have a long name"
        );
    }

    #[test]
    fn workload_kind_in_the_wrong_case_suggests_the_right_one() {
        let text = example_with("kind: Deployment", "kind: deployment");
        assert_eq!(
            only_error(&text),
            "workloads[0].kind: \"deployment\" is not a known workload kind: use one of Deployment, StatefulSet, \
             DaemonSet, CronJob, Job (did you mean \"Deployment\"?)"
        );
    }

    #[test]
    fn unknown_distribution_lists_the_known_ones() {
        let text = example_with("distribution: auto", "distribution: k8s");
        assert_eq!(
            only_error(&text),
            "cluster.distribution: \"k8s\" is not a known distribution: use one of auto, k0s, k3s, rke2, kubeadm, \
             microk8s, kind, minikube, talos, openshift (did you mean \"k0s\"?)"
        );
        for (text, _) in Distribution::CHOICES {
            assert_eq!(Distribution::parse(text).unwrap().as_str(), *text);
        }
    }

    #[test]
    fn token_expiration_must_be_between_600_and_86400_seconds() {
        for seconds in [600, 3600, 86_400] {
            assert_eq!(
                TokenExpiration::from_seconds(seconds).unwrap().seconds() as i64,
                seconds
            );
        }
        for seconds in [599, 86_401, -1, 0, i64::MAX] {
            assert!(TokenExpiration::from_seconds(seconds).is_err(), "{seconds}");
        }
        let text = example_with(
            "tokenExpirationSeconds: 3600",
            "tokenExpirationSeconds: 300",
        );
        assert_eq!(
            only_error(&text),
            "workloads[0].tokenExpirationSeconds: 300 is out of range: use 600 to 86400 seconds (Kubernetes refuses \
             less than 10 minutes, the workload identity webhook caps at 24 hours), e.g. 3600"
        );
    }

    // --- hosting ---

    #[test]
    fn nginx_host_must_equal_the_issuer_host_naming_both() {
        let text = example_with("host: oidc.example.com", "host: oidc.example.org");
        assert_eq!(
            only_error(&text),
            "hosting.nginx.host: \"oidc.example.org\" differs from the host of issuer \
             \"https://oidc.example.com/cluster1\" (\"oidc.example.com\"): nginx serves the documents at the issuer \
             URL, so use the same host in both"
        );
    }

    #[test]
    fn kind_nginx_without_its_block_asks_for_the_issuer_host() {
        let text = example_with(
            "  nginx: { host: oidc.example.com, ingressClass: nginx, clusterIssuer: letsencrypt-prod, namespace: kwif-oidc }\n",
            "",
        );
        assert_eq!(
            only_error(&text),
            "hosting.nginx.host: is missing: add the issuer's host name, e.g. \"oidc.example.com\""
        );
    }

    #[test]
    fn a_hosting_block_for_another_kind_is_rejected() {
        let text = example_with(
            "  kind: nginx\n",
            "  kind: nginx\n  directory: { path: ./public }\n",
        );
        assert_eq!(
            only_error(&text),
            "hosting.directory: is only read when kind is directory, but kind is nginx: remove it, or set kind: directory"
        );
    }

    #[test]
    fn a_misspelt_hosting_kind_suggests_the_right_one() {
        let message = only_error(&example_with("kind: nginx", "kind: azureblob"));
        assert!(
            message.ends_with("(did you mean \"azure-blob\"?)"),
            "{message}"
        );
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

    const BLOB: &str = "\
issuer: https://stoidc1.blob.core.windows.net/oidc/
hosting:
  kind: azure-blob
  azureBlob: { storageAccount: stoidc1, container: oidc }
azure: { resourceGroup: rg1, location: westeurope }
identity: { name: id-app }
workloads:
  - { namespace: app, serviceAccount: app-sa, name: web }
";

    #[test]
    fn azure_blob_defaults_to_a_public_container() {
        let profile = Profile::from_yaml(BLOB).unwrap();
        let Hosting::AzureBlob(blob) = &profile.hosting else {
            panic!()
        };
        assert_eq!(
            blob.mode,
            BlobMode::PublicContainer(ContainerName::parse("oidc").unwrap())
        );
        assert_eq!(Profile::from_yaml(&profile.to_yaml()).unwrap(), profile);
    }

    #[test]
    fn azure_blob_takes_the_account_resource_group_when_it_differs() {
        let text = BLOB.replacen(
            "container: oidc }",
            "container: oidc, resourceGroup: rg-shared }",
            1,
        );
        let profile = Profile::from_yaml(&text).unwrap();
        let Hosting::AzureBlob(blob) = &profile.hosting else {
            panic!()
        };
        assert_eq!(
            blob.resource_group.as_ref().map(ResourceGroupName::as_str),
            Some("rg-shared")
        );
        assert_eq!(Profile::from_yaml(&profile.to_yaml()).unwrap(), profile);
        let bad = BLOB.replacen(
            "container: oidc }",
            "container: oidc, resourceGroup: \"rg/x\" }",
            1,
        );
        assert!(
            only_error(&bad).starts_with("hosting.azureBlob.resourceGroup: "),
            "{}",
            only_error(&bad)
        );
    }

    #[test]
    fn azure_blob_account_and_container_must_match_the_issuer() {
        let text = BLOB.replacen(
            "storageAccount: stoidc1, container: oidc",
            "storageAccount: stoidc2, container: keys",
            1,
        );
        assert_eq!(
            errors(&text),
            [
                "hosting.azureBlob.storageAccount: \"stoidc2\" differs from the account in issuer \
                 \"https://stoidc1.blob.core.windows.net/oidc/\" (\"stoidc1\"): the documents are uploaded to this \
                 account, so the issuer must name it too",
                "hosting.azureBlob.container: \"keys\" differs from the container in issuer \
                 \"https://stoidc1.blob.core.windows.net/oidc/\" (\"oidc\"): the issuer must be \
                 https://stoidc1.blob.core.windows.net/keys/",
            ]
        );
    }

    #[test]
    fn azure_blob_behind_a_custom_domain_is_not_compared() {
        let text = BLOB.replacen(
            "stoidc1.blob.core.windows.net/oidc/",
            "oidc.example.com/",
            1,
        );
        assert!(Profile::from_yaml(&text).is_ok());
    }

    #[test]
    fn static_website_needs_no_container_and_rejects_another_one() {
        let website = BLOB
            .replacen(
                "https://stoidc1.blob.core.windows.net/oidc/",
                "https://stoidc1.z6.web.core.windows.net/",
                1,
            )
            .replacen("container: oidc", "mode: static-website", 1);
        let profile = Profile::from_yaml(&website).unwrap();
        let Hosting::AzureBlob(blob) = &profile.hosting else {
            panic!()
        };
        assert_eq!(blob.mode, BlobMode::StaticWebsite);
        assert_eq!(Profile::from_yaml(&profile.to_yaml()).unwrap(), profile);
        let with_container = website.replacen(
            "mode: static-website",
            "mode: static-website, container: oidc",
            1,
        );
        assert_eq!(
            only_error(&with_container),
            "hosting.azureBlob.container: is not used with mode static-website, which always serves the $web \
             container: remove it"
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
    fn directory_hosting_needs_a_path() {
        let text = MINIMAL.replacen(
            "{ kind: apiserver }",
            "{ kind: directory, directory: { path: ./public } }",
            1,
        );
        let profile = Profile::from_yaml(&text).unwrap();
        assert_eq!(
            profile.hosting,
            Hosting::Directory {
                path: PathBuf::from("./public")
            }
        );
        assert_eq!(Profile::from_yaml(&profile.to_yaml()).unwrap(), profile);
        let text = MINIMAL.replacen("{ kind: apiserver }", "{ kind: directory }", 1);
        assert_eq!(
            only_error(&text),
            "hosting.directory.path: is missing: give the directory to write to, e.g. \"./public\""
        );
    }

    // --- azure ---

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
    fn tenant_and_subscription_must_be_hyphenated_guids() {
        let text = example_with(
            "tenant: bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb",
            "tenant: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        );
        assert_eq!(
            only_error(&text),
            "azure.tenant: \"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\" is not a GUID in the form \
             xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx: copy it from `az account show --query tenantId`"
        );
        let text = example_with("subscription: cccccccc", "subscription: {cccccccc")
            .replacen("cccc\n", "cccc}\n", 1);
        assert!(only_error(&text).starts_with("azure.subscription: "));
        let upper = example_with("tenant: bbbbbbbb-bbbb", "tenant: BBBBBBBB-BBBB");
        assert_eq!(
            Profile::from_yaml(&upper).unwrap(),
            Profile::example(),
            "GUIDs compare case-insensitively"
        );
    }

    #[test]
    fn custom_cloud_requires_https_endpoints() {
        let text = example_with("cloud: public", "cloud: custom");
        assert_eq!(
            errors(&text),
            [
                "azure.endpoints.resourceManager: is missing: cloud custom needs the Resource Manager URL, \
                 e.g. \"https://management.azure.com/\"",
                "azure.endpoints.authorityHost: is missing: cloud custom needs the login URL, \
                 e.g. \"https://login.microsoftonline.com/\"",
            ]
        );
        let text = example_with(
            "cloud: public",
            "cloud: custom\n  endpoints: { resourceManager: \"http://127.0.0.1:8443/\", authorityHost: \"https://login.test/\" }",
        );
        assert_eq!(
            only_error(&text),
            "azure.endpoints.resourceManager: \"http://127.0.0.1:8443/\" must use https, not http: kwif talks to \
             Azure over TLS only"
        );
        let text = text.replacen("http://127", "https://127", 1);
        let profile = Profile::from_yaml(&text).unwrap();
        assert_eq!(
            profile.azure.cloud.endpoints().resource_manager().as_str(),
            "https://127.0.0.1:8443/"
        );
        assert_eq!(Profile::from_yaml(&profile.to_yaml()).unwrap(), profile);
    }

    #[test]
    fn endpoints_are_rejected_for_a_known_cloud() {
        let text = example_with(
            "cloud: public",
            "cloud: china\n  endpoints: { resourceManager: \"https://a/\", authorityHost: \"https://b/\" }",
        );
        assert_eq!(
            only_error(&text),
            "azure.endpoints: is only read when cloud is custom, but cloud is china: remove it, or set cloud: custom"
        );
    }

    #[test]
    fn known_clouds_have_https_endpoints() {
        for cloud in [Cloud::Public, Cloud::China, Cloud::UsGov] {
            let endpoints = cloud.endpoints();
            assert_eq!(endpoints.resource_manager().scheme(), "https");
            assert_eq!(endpoints.authority_host().scheme(), "https");
        }
        assert_eq!(
            Cloud::UsGov.endpoints().authority_host().as_str(),
            "https://login.microsoftonline.us/"
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

    // --- roles ---

    #[test]
    fn role_scope_must_start_with_a_subscription_guid() {
        let scope = RoleScope::parse(
            "/subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/resourceGroups/rg",
        )
        .unwrap();
        assert_eq!(
            scope.subscription().to_string(),
            "cccccccc-cccc-cccc-cccc-cccccccccccc"
        );
        assert!(RoleScope::parse("/subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc").is_ok());
        for (invalid, reason) in [
            ("subscriptions/x", "it does not start with /subscriptions/"),
            (
                "/subscriptions/my-sub/resourceGroups/rg",
                "the subscription id is not a GUID",
            ),
            (
                "/subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/",
                "trailing '/'",
            ),
            (
                "/subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc//rg",
                "empty segment",
            ),
            (
                "/subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/resourceGroups/my rg",
                "whitespace",
            ),
        ] {
            let message = RoleScope::parse(invalid).unwrap_err().to_string();
            assert!(message.contains(reason), "{invalid}: {message}");
        }
    }

    #[test]
    fn role_scope_error_names_the_list_entry() {
        let text = example_with("scope: /subscriptions/", "scope: /subscription/");
        let message = only_error(&text);
        assert!(
            message.starts_with(
                "identity.roles[0].scope: \"/subscription/cccccccc-cccc-cccc-cccc-cccccccccccc/reso"
            ),
            "{message}"
        );
        assert!(message.contains(
            "(it does not start with /subscriptions/): write /subscriptions/<subscription id>"
        ));
    }

    #[test]
    fn cosmos_account_id_compares_fixed_segments_without_case() {
        let id = CosmosAccountId::parse(
            "/SUBSCRIPTIONS/cccccccc-cccc-cccc-cccc-cccccccccccc/resourcegroups/rg-1/providers/microsoft.documentdb/databaseaccounts/cosmos1",
        )
        .unwrap();
        assert_eq!(id.account(), "cosmos1");
        assert_eq!(id.resource_group().as_str(), "rg-1");
        let wrong_provider = "/subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1";
        assert!(
            CosmosAccountId::parse(wrong_provider)
                .unwrap_err()
                .to_string()
                .contains("(it has \"Microsoft.Storage\" where \"Microsoft.DocumentDB\" belongs)")
        );
        let no_account = wrong_provider.replace("/storageAccounts/st1", "/databaseAccounts");
        assert!(
            CosmosAccountId::parse(&no_account)
                .unwrap_err()
                .to_string()
                .contains("(it has 7 path segments, not 8)")
        );
        let bad_account = "/subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/resourceGroups/rg/providers/Microsoft.DocumentDB/databaseAccounts/Cosmos";
        assert!(
            CosmosAccountId::parse(bad_account)
                .unwrap_err()
                .to_string()
                .contains("the account name \"Cosmos\"")
        );
    }

    #[test]
    fn a_role_entry_names_exactly_one_role() {
        let both = example_with(
            "- role: Storage Blob Data Reader",
            "- role: Storage Blob Data Reader\n      cosmosDataRole: x",
        );
        assert_eq!(
            only_error(&both),
            "identity.roles[0]: has both role and cosmosDataRole: write each role as its own list entry"
        );
        let neither = example_with("- role: Storage Blob Data Reader\n", "- ");
        assert!(only_error(&neither).starts_with("identity.roles[0]: names no role: "));
        let stray = example_with(
            "- role: Storage Blob Data Reader",
            "- role: Storage Blob Data Reader\n      account: x",
        );
        assert_eq!(
            only_error(&stray),
            "identity.roles[0].account: is only read together with cosmosDataRole: remove it"
        );
    }

    #[test]
    fn a_repeated_role_is_rejected() {
        let text = EXAMPLE_YAML.replacen(
            "    - cosmosDataRole",
            "    - role: Storage Blob Data Reader\n      scope: /subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/resourceGroups/rg-application1/providers/Microsoft.Storage/storageAccounts/st1\n    - cosmosDataRole",
            1,
        );
        assert_eq!(
            only_error(&text),
            "identity.roles[1]: repeats identity.roles[0]: remove one of them"
        );
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

    // --- workloads and federated credentials ---

    fn workloads_yaml(entries: &[&str]) -> String {
        let list: String = entries
            .iter()
            .map(|entry| format!("  - {entry}\n"))
            .collect();
        MINIMAL.replacen(
            "  - { namespace: app, serviceAccount: app-sa, name: web }\n",
            &list,
            1,
        )
    }

    #[test]
    fn several_workloads_may_share_a_service_account() {
        let text = workloads_yaml(&[
            "{ namespace: app, serviceAccount: app-sa, name: web }",
            "{ namespace: app, serviceAccount: app-sa, name: worker, kind: StatefulSet }",
        ]);
        assert_eq!(Profile::from_yaml(&text).unwrap().workloads.len(), 2);
    }

    #[test]
    fn the_same_workload_twice_is_rejected() {
        let text = workloads_yaml(&[
            "{ namespace: app, serviceAccount: app-sa, name: web }",
            "{ namespace: app, serviceAccount: other-sa, name: web, kind: Deployment }",
        ]);
        assert_eq!(
            only_error(&text),
            "workloads[1]: Deployment app/web is listed twice (first as workloads[0]): remove one entry"
        );
    }

    #[test]
    fn no_workloads_is_an_error() {
        let text = workloads_yaml(&[]).replacen("workloads:\n", "workloads: []\n", 1);
        assert_eq!(
            only_error(&text),
            "workloads: is empty: add at least one workload with namespace, serviceAccount and name"
        );
    }

    #[test]
    fn more_than_20_service_accounts_exceed_the_federated_credential_limit() {
        let entries: Vec<String> = (0..21)
            .map(|i| format!("{{ namespace: app, serviceAccount: sa{i}, name: web{i} }}"))
            .collect();
        let refs: Vec<&str> = entries.iter().map(String::as_str).collect();
        assert!(Profile::from_yaml(&workloads_yaml(&refs[..20])).is_ok());
        assert_eq!(
            only_error(&workloads_yaml(&refs)),
            "workloads: use 21 distinct service accounts, but one managed identity holds at most 20 federated \
             credentials: split them across profiles with separate identities"
        );
    }

    #[test]
    fn one_service_account_cannot_have_two_credential_names() {
        let text = workloads_yaml(&[
            "{ namespace: app, serviceAccount: app-sa, name: web }",
            "{ namespace: app, serviceAccount: app-sa, name: job, federatedCredentialName: fic-app }",
        ]);
        assert_eq!(
            only_error(&text),
            "workloads[1].federatedCredentialName: \"fic-app\" differs from \"kwif-app-app-sa\" used by workloads[0] \
             for the same service account app/app-sa: one federated credential serves a service account, so give \
             both the same name"
        );
    }

    #[test]
    fn two_service_accounts_cannot_share_a_credential_name() {
        let text = workloads_yaml(&[
            "{ namespace: app, serviceAccount: a-sa, name: web, federatedCredentialName: fic-app }",
            "{ namespace: app, serviceAccount: b-sa, name: job, federatedCredentialName: fic-app }",
        ]);
        assert_eq!(
            only_error(&text),
            "workloads[1].federatedCredentialName: \"fic-app\" is already the credential of workloads[0] \
             (system:serviceaccount:app:a-sa): names are unique per identity, so set a different \
             federatedCredentialName here"
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

    // --- loading ---

    #[test]
    fn load_names_an_unreadable_file() {
        let error = Profile::load(Path::new("/nonexistent/kwif.yaml")).unwrap_err();
        assert_eq!(error.field(), None);
        let message = error.to_string();
        assert!(
            message.starts_with("/nonexistent/kwif.yaml: cannot be read ("),
            "{message}"
        );
        assert!(
            message.ends_with("): check the path, or run `kwif` to write a new profile"),
            "{message}"
        );
    }

    #[test]
    fn load_reads_a_profile_file() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("kwif.yaml");
        std::fs::write(&path, Profile::example().to_yaml()).unwrap();
        assert_eq!(Profile::load(&path).unwrap(), Profile::example());
    }

    // --- messages ---

    #[test]
    fn long_values_are_cut_in_messages() {
        let shown = quoted(&"x".repeat(500));
        assert_eq!(shown.chars().count(), 82);
        assert!(shown.ends_with("x…\""));
        assert_eq!(quoted("a\tb"), "\"a\\tb\"");
    }

    #[test]
    fn suggestions_fall_back_to_the_example_when_nothing_close_is_valid() {
        assert_eq!(DNS_LABEL.suggestion("___"), "application1");
        assert_eq!(DNS_LABEL.suggestion("My_Namespace"), "my-namespace");
        assert_eq!(LOCATION.suggestion("West Europe"), "westeurope");
        assert_eq!(STORAGE_ACCOUNT.suggestion("st"), "stoidc1");
    }
}
