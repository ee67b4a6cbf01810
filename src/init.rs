//! `kwif init`: a profile (kwif.yaml) from command-line flags, for scripts. It builds the YAML,
//! validates it with the profile loader itself (so it accepts exactly what a rerun accepts), and
//! names the flag behind any refused field. It reads nothing live; the caller passes what the
//! kubeconfig and the Azure CLI say.

use serde_yaml::{Mapping, Value};

use crate::azure::credential::CliAccount;
use crate::profile::{FieldError, Profile, ProfileError};

/// The flags of `kwif init`, as typed.
#[derive(Clone, Debug, Default)]
pub struct InitFlags {
    pub issuer: String,
    /// `NS/SA`, `NS/SA/NAME` or `NS/SA/KIND/NAME`.
    pub workloads: Vec<String>,
    pub identity: Option<String>,
    /// `ROLE@SCOPE`.
    pub roles: Vec<String>,
    /// `ROLE@ACCOUNT_ID`.
    pub cosmos_roles: Vec<String>,
    pub hosting: Option<String>,
    pub nginx_host: Option<String>,
    pub ingress_class: Option<String>,
    pub cluster_issuer: Option<String>,
    pub nginx_namespace: Option<String>,
    pub storage_account: Option<String>,
    pub container: Option<String>,
    pub blob_mode: Option<String>,
    pub blob_resource_group: Option<String>,
    pub directory: Option<String>,
    pub resource_group: Option<String>,
    pub location: Option<String>,
    pub subscription: Option<String>,
    pub tenant: Option<String>,
    pub cloud: Option<String>,
    pub resource_manager: Option<String>,
    pub authority_host: Option<String>,
    pub audience: Option<String>,
    pub context: Option<String>,
    pub distribution: Option<String>,
    pub node_root: Option<String>,
}

/// What this machine says, for the values no flag gives.
#[derive(Clone, Debug, Default)]
pub struct Ambient {
    /// The kubeconfig's current context.
    pub context: Option<String>,
    /// The Azure CLI's default subscription and its tenant.
    pub cli_account: Option<CliAccount>,
    /// `az config set defaults.group=…` (the CLI's `[defaults] group`).
    pub cli_resource_group: Option<String>,
    /// `az config set defaults.location=…`.
    pub cli_location: Option<String>,
}

impl Ambient {
    /// The Azure CLI's `[defaults]` group and location (`crate::azure::cli_config`).
    pub fn read_cli_defaults(&mut self) {
        let config = crate::azure::cli_config::CliConfig::read();
        self.cli_resource_group = config.resource_group;
        self.cli_location = config.location;
    }
}

/// A profile made from flags, and the defaults it took from elsewhere (for standard error).
#[derive(Clone, Debug)]
pub struct Init {
    pub profile: Profile,
    pub defaults: Vec<String>,
}

/// Why `kwif init` writes nothing: each line names the flag, its value and the fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.join("\n"))]
pub struct InitError(pub Vec<String>);

/// Builds and validates the profile.
pub fn build(flags: &InitFlags, ambient: &Ambient) -> Result<Init, InitError> {
    let mut defaults = Vec::new();
    let (yaml, syntax) = document(flags, ambient, &mut defaults)?;
    let text = serde_yaml::to_string(&yaml).map_err(|error| InitError(vec![error.to_string()]))?;
    let refused = match Profile::from_yaml(&text) {
        Ok(profile) if syntax.problems.is_empty() => return Ok(Init { profile, defaults }),
        Ok(_) => Vec::new(),
        Err(error) => flag_errors(flags, &error, &syntax),
    };
    Err(InitError(
        syntax.problems.into_iter().chain(refused).collect(),
    ))
}

fn document(
    flags: &InitFlags,
    ambient: &Ambient,
    defaults: &mut Vec<String>,
) -> Result<(Value, Syntax), InitError> {
    let mut syntax = Syntax::default();
    if flags.workloads.is_empty() {
        return Err(InitError(vec![
            "--workload is required: give NS/SA or NS/SA/KIND/NAME, e.g. --workload application1/application1-sa/Deployment/web-server".to_string(),
        ]));
    }
    // A value that cannot be split keeps its place as an empty entry, so that the loader's
    // positions (`workloads[2]`) still match the flags; its own errors are then left out.
    let workloads: Vec<Value> = flags
        .workloads
        .iter()
        .enumerate()
        .map(|(index, text)| {
            workload(text).unwrap_or_else(|problem| {
                syntax.problems.push(format!(
                    "--workload {text:?} ({}): {problem}",
                    ordinal(index)
                ));
                syntax.workloads.push(index);
                Value::Mapping(Mapping::new())
            })
        })
        .collect();
    let mut roles = Vec::new();
    let role_forms = [
        (
            "--role",
            &flags.roles,
            ["role", "scope"],
            "ROLE@SCOPE, e.g. 'Storage Blob Data Reader@/subscriptions/ID/resourceGroups/RG/providers/Microsoft.Storage/storageAccounts/st1'",
        ),
        (
            "--cosmos-role",
            &flags.cosmos_roles,
            ["cosmosDataRole", "account"],
            "ROLE@ACCOUNT_ID, e.g. 'Cosmos DB Built-in Data Contributor@/subscriptions/ID/resourceGroups/RG/providers/Microsoft.DocumentDB/databaseAccounts/cosmos1'",
        ),
    ];
    for (flag, values, [first, second], form) in role_forms {
        for (index, text) in values.iter().enumerate() {
            match text.split_once('@') {
                Some((role, target)) => roles.push(map([(first, role), (second, target)])),
                None => {
                    syntax.problems.push(format!(
                        "{flag} {text:?} ({}): write it as {form}",
                        ordinal(index)
                    ));
                    syntax.roles.push(roles.len());
                    roles.push(Value::Mapping(Mapping::new()));
                }
            }
        }
    }

    let mut root = Mapping::new();
    root.insert("cluster".into(), cluster(flags, ambient, defaults));
    root.insert("issuer".into(), flags.issuer.clone().into());
    root.insert("hosting".into(), hosting(flags, defaults));
    root.insert("azure".into(), azure(flags, ambient, defaults));
    let identity_name = flags.identity.clone().unwrap_or_else(|| {
        let namespace = flags.workloads[0].split('/').next().unwrap_or_default();
        let name = format!("id-{namespace}");
        defaults.push(format!(
            "identity.name {name} (from the first workload's namespace; --identity NAME to choose)"
        ));
        name
    });
    let mut identity = Mapping::new();
    identity.insert("name".into(), identity_name.into());
    if !roles.is_empty() {
        identity.insert("roles".into(), Value::Sequence(roles));
    }
    root.insert("identity".into(), Value::Mapping(identity));
    root.insert("workloads".into(), Value::Sequence(workloads));
    Ok((Value::Mapping(root), syntax))
}

/// Flag values that could not be split into fields, and the list positions they hold.
#[derive(Default)]
struct Syntax {
    problems: Vec<String>,
    workloads: Vec<usize>,
    roles: Vec<usize>,
}

impl Syntax {
    /// Whether a loader error is about an entry already reported as unsplittable.
    fn covers(&self, field: &str) -> bool {
        let at = |list: &str, positions: &[usize]| {
            indexed(field, list).is_some_and(|(index, _)| positions.contains(&index))
        };
        at("workloads", &self.workloads) || at("identity.roles", &self.roles)
    }
}

fn map<const N: usize>(entries: [(&str, &str); N]) -> Value {
    Value::Mapping(
        entries
            .into_iter()
            .map(|(key, value)| (key.into(), value.into()))
            .collect(),
    )
}

/// `NS/SA`, `NS/SA/NAME` (a Deployment) or `NS/SA/KIND/NAME`.
fn workload(text: &str) -> Result<Value, String> {
    let parts: Vec<&str> = text.split('/').collect();
    let (namespace, service_account, kind, name) = match parts.as_slice() {
        [namespace, service_account] => {
            (*namespace, *service_account, "Deployment", *service_account)
        }
        [namespace, service_account, name] => (*namespace, *service_account, "Deployment", *name),
        [namespace, service_account, kind, name] => (*namespace, *service_account, *kind, *name),
        _ => {
            return Err(
                "write it as NS/SA, NS/SA/NAME (a Deployment) or NS/SA/KIND/NAME, e.g. application1/application1-sa/Deployment/web-server"
                    .to_string(),
            );
        }
    };
    Ok(map([
        ("namespace", namespace),
        ("serviceAccount", service_account),
        ("kind", kind),
        ("name", name),
    ]))
}

fn cluster(flags: &InitFlags, ambient: &Ambient, defaults: &mut Vec<String>) -> Value {
    let mut cluster = Mapping::new();
    let context = flags.context.clone().or_else(|| {
        let context = ambient.context.clone()?;
        defaults.push(format!(
            "cluster.context {context} (the kubeconfig's current context)"
        ));
        Some(context)
    });
    insert(&mut cluster, "context", context);
    insert(&mut cluster, "distribution", flags.distribution.clone());
    insert(&mut cluster, "nodeRoot", flags.node_root.clone());
    Value::Mapping(cluster)
}

fn insert(mapping: &mut Mapping, key: &str, value: Option<String>) {
    if let Some(value) = value {
        mapping.insert(key.into(), value.into());
    }
}

/// The hosting block of the chosen kind; what the issuer implies is filled in and said.
fn hosting(flags: &InitFlags, defaults: &mut Vec<String>) -> Value {
    let issuer_url = url::Url::parse(flags.issuer.trim()).ok();
    let issuer_host = issuer_url
        .as_ref()
        .and_then(|url| url.host_str())
        .map(str::to_string);
    let kind = flags.hosting.clone().unwrap_or_else(|| {
        defaults.push(
            "hosting.kind nginx (--hosting nginx|azure-blob|directory|apiserver to choose)"
                .to_string(),
        );
        "nginx".to_string()
    });
    let mut hosting = Mapping::new();
    hosting.insert("kind".into(), kind.clone().into());
    match kind.as_str() {
        "nginx" => {
            let mut nginx = Mapping::new();
            let host = flags.nginx_host.clone().or_else(|| {
                defaults.push(format!(
                    "hosting.nginx.host {} (the issuer's host)",
                    issuer_host.as_deref()?
                ));
                issuer_host.clone()
            });
            insert(&mut nginx, "host", host);
            insert(&mut nginx, "ingressClass", flags.ingress_class.clone());
            insert(&mut nginx, "clusterIssuer", flags.cluster_issuer.clone());
            insert(&mut nginx, "namespace", flags.nginx_namespace.clone());
            hosting.insert("nginx".into(), Value::Mapping(nginx));
        }
        "azure-blob" => {
            let mut blob = Mapping::new();
            let implied = issuer_url.as_ref().and_then(implied_blob);
            let account = flags.storage_account.clone().or_else(|| {
                let (account, _) = implied.clone()?;
                defaults.push(format!(
                    "hosting.azureBlob.storageAccount {account} (from the issuer)"
                ));
                Some(account)
            });
            insert(&mut blob, "storageAccount", account);
            let static_website = flags.blob_mode.as_deref() == Some("static-website")
                || (flags.blob_mode.is_none() && matches!(&implied, Some((_, None))));
            if !static_website {
                let container = flags.container.clone().or_else(|| {
                    let container = implied.clone()?.1?;
                    defaults.push(format!(
                        "hosting.azureBlob.container {container} (from the issuer)"
                    ));
                    Some(container)
                });
                insert(&mut blob, "container", container);
            } else {
                insert(&mut blob, "container", flags.container.clone());
            }
            let mode = flags
                .blob_mode
                .clone()
                .or_else(|| static_website.then(|| "static-website".to_string()));
            insert(&mut blob, "mode", mode);
            insert(
                &mut blob,
                "resourceGroup",
                flags.blob_resource_group.clone(),
            );
            hosting.insert("azureBlob".into(), Value::Mapping(blob));
        }
        "directory" => {
            let mut directory = Mapping::new();
            insert(&mut directory, "path", flags.directory.clone());
            hosting.insert("directory".into(), Value::Mapping(directory));
        }
        _ => {}
    }
    Value::Mapping(hosting)
}

/// The storage account and container (`None`: the static website) an Azure Storage issuer names.
fn implied_blob(issuer: &url::Url) -> Option<(String, Option<String>)> {
    let host = issuer.host_str()?;
    let (account, rest) = host.split_once('.')?;
    if rest.starts_with("blob.") {
        let container = issuer
            .path_segments()?
            .find(|segment| !segment.is_empty())?;
        Some((account.to_string(), Some(container.to_string())))
    } else if rest.contains(".web.") {
        Some((account.to_string(), None))
    } else {
        None
    }
}

fn azure(flags: &InitFlags, ambient: &Ambient, defaults: &mut Vec<String>) -> Value {
    let mut azure = Mapping::new();
    insert(&mut azure, "cloud", flags.cloud.clone());
    if flags.resource_manager.is_some() || flags.authority_host.is_some() {
        let mut endpoints = Mapping::new();
        insert(
            &mut endpoints,
            "resourceManager",
            flags.resource_manager.clone(),
        );
        insert(
            &mut endpoints,
            "authorityHost",
            flags.authority_host.clone(),
        );
        azure.insert("endpoints".into(), Value::Mapping(endpoints));
    }
    let account = ambient.cli_account.as_ref();
    let from_cli = |what: &str, value: String, defaults: &mut Vec<String>| {
        let name = account
            .map(|account| account.name.as_str())
            .unwrap_or_default();
        defaults.push(format!(
            "azure.{what} {value} (the Azure CLI's default subscription {name:?})"
        ));
        value
    };
    let tenant = flags
        .tenant
        .clone()
        .or_else(|| Some(from_cli("tenant", account?.tenant.to_string(), defaults)));
    insert(&mut azure, "tenant", tenant);
    let subscription = flags.subscription.clone().or_else(|| {
        Some(from_cli(
            "subscription",
            account?.subscription.to_string(),
            defaults,
        ))
    });
    insert(&mut azure, "subscription", subscription);
    let resource_group = flags.resource_group.clone().or_else(|| {
        let group = ambient.cli_resource_group.clone()?;
        defaults.push(format!(
            "azure.resourceGroup {group} (the Azure CLI's defaults.group)"
        ));
        Some(group)
    });
    insert(&mut azure, "resourceGroup", resource_group);
    let location = flags.location.clone().or_else(|| {
        let location = ambient.cli_location.clone()?;
        defaults.push(format!(
            "azure.location {location} (the Azure CLI's defaults.location)"
        ));
        Some(location)
    });
    insert(&mut azure, "location", location);
    insert(&mut azure, "audience", flags.audience.clone());
    Value::Mapping(azure)
}

/// `1st`, `2nd`, … for messages about repeated flags.
fn ordinal(index: usize) -> String {
    let n = index + 1;
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// The flag that sets each profile field (`None`: no flag, the field is derived).
const FLAGS: &[(&str, &str)] = &[
    ("issuer", "--issuer"),
    ("cluster.context", "--context"),
    ("cluster.distribution", "--distribution"),
    ("cluster.nodeRoot", "--node-root"),
    ("hosting.kind", "--hosting"),
    ("hosting.nginx.host", "--nginx-host"),
    ("hosting.nginx.ingressClass", "--ingress-class"),
    ("hosting.nginx.clusterIssuer", "--cluster-issuer"),
    ("hosting.nginx.namespace", "--nginx-namespace"),
    ("hosting.nginx", "--nginx-host"),
    ("hosting.azureBlob.storageAccount", "--storage-account"),
    ("hosting.azureBlob.container", "--container"),
    ("hosting.azureBlob.mode", "--blob-mode"),
    ("hosting.azureBlob.resourceGroup", "--blob-resource-group"),
    ("hosting.azureBlob", "--storage-account"),
    ("hosting.directory.path", "--directory"),
    ("hosting.directory", "--directory"),
    ("hosting", "--hosting"),
    ("azure.cloud", "--cloud"),
    ("azure.endpoints.resourceManager", "--resource-manager"),
    ("azure.endpoints.authorityHost", "--authority-host"),
    ("azure.endpoints", "--resource-manager and --authority-host"),
    ("azure.tenant", "--tenant"),
    ("azure.subscription", "--subscription"),
    ("azure.resourceGroup", "--resource-group"),
    ("azure.location", "--location"),
    ("azure.audience", "--audience"),
    ("identity.name", "--identity"),
    ("identity.roles", "--role"),
    ("workloads", "--workload"),
];

/// Each refused field as `FLAG VALUE: message (kwif.yaml field)`.
fn flag_errors(flags: &InitFlags, error: &ProfileError, syntax: &Syntax) -> Vec<String> {
    let errors = error.errors();
    if errors.is_empty() {
        return vec![error.to_string()];
    }
    errors
        .iter()
        .filter(|field| !syntax.covers(field.field()))
        .map(|field| flag_error(flags, field))
        .collect()
}

fn flag_error(flags: &InitFlags, error: &FieldError) -> String {
    let field = error.field();
    let message = error.message();
    if let Some((index, rest)) = indexed(field, "workloads") {
        let value = flags
            .workloads
            .get(index)
            .map(|v| format!(" {v:?}"))
            .unwrap_or_default();
        return format!(
            "--workload{value} ({}): {rest}: {message} (kwif.yaml field {field})",
            ordinal(index)
        );
    }
    if let Some((index, rest)) = indexed(field, "identity.roles") {
        let (flag, values, position) = if index < flags.roles.len() {
            ("--role", &flags.roles, index)
        } else {
            (
                "--cosmos-role",
                &flags.cosmos_roles,
                index - flags.roles.len(),
            )
        };
        let value = values
            .get(position)
            .map(|v| format!(" {v:?}"))
            .unwrap_or_default();
        return format!(
            "{flag}{value} ({}): {rest}: {message} (kwif.yaml field {field})",
            ordinal(position)
        );
    }
    let flag = FLAGS
        .iter()
        .find(|(path, _)| field == *path || field.starts_with(&format!("{path}.")))
        .map(|(_, flag)| *flag);
    match flag {
        Some(flag) => format!("{flag}: {message} (kwif.yaml field {field})"),
        None => format!("{field}: {message}"),
    }
}

/// `workloads[2].name` → (2, "name").
fn indexed<'a>(field: &'a str, list: &str) -> Option<(usize, &'a str)> {
    let rest = field.strip_prefix(list)?.strip_prefix('[')?;
    let (index, rest) = rest.split_once(']')?;
    Some((index.parse().ok()?, rest.trim_start_matches('.')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags() -> InitFlags {
        InitFlags {
            issuer: "https://oidc.example.com/cluster1".into(),
            workloads: vec!["application1/application1-sa/Deployment/web-server".into()],
            resource_group: Some("rg-application1".into()),
            location: Some("westeurope".into()),
            ..InitFlags::default()
        }
    }

    fn errors(flags: &InitFlags) -> Vec<String> {
        build(flags, &Ambient::default()).unwrap_err().0
    }

    #[test]
    fn minimal_flags_make_a_valid_profile_with_nginx_on_the_issuers_host() {
        let init = build(&flags(), &Ambient::default()).unwrap();
        let yaml = init.profile.to_yaml();
        assert!(yaml.contains("host: oidc.example.com"), "{yaml}");
        assert!(yaml.contains("name: id-application1"), "{yaml}");
        assert!(
            init.defaults
                .iter()
                .any(|d| d.starts_with("hosting.kind nginx")),
            "{:?}",
            init.defaults
        );
        assert_eq!(Profile::from_yaml(&yaml).unwrap(), init.profile);
    }

    #[test]
    fn the_kubeconfig_and_the_azure_cli_fill_what_no_flag_gives_and_say_so() {
        let ambient = Ambient {
            context: Some("my-k0s".into()),
            cli_account: Some(CliAccount {
                subscription: "cccccccc-cccc-cccc-cccc-cccccccccccc".parse().unwrap(),
                tenant: "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb".parse().unwrap(),
                name: "Pay-As-You-Go".into(),
            }),
            cli_resource_group: Some("rg-default".into()),
            cli_location: Some("northeurope".into()),
        };
        let mut flags = flags();
        flags.resource_group = None;
        let init = build(&flags, &ambient).unwrap();
        let profile = &init.profile;
        assert_eq!(profile.cluster.context.as_ref().unwrap().as_str(), "my-k0s");
        assert_eq!(profile.azure.resource_group.as_str(), "rg-default");
        assert_eq!(profile.azure.location.as_str(), "westeurope", "a flag wins");
        assert_eq!(
            profile.azure.subscription.unwrap().to_string(),
            "cccccccc-cccc-cccc-cccc-cccccccccccc"
        );
        let said = init.defaults.join("\n");
        for default in [
            "cluster.context my-k0s (the kubeconfig's current context)",
            "azure.tenant bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb (the Azure CLI's default subscription \"Pay-As-You-Go\")",
            "azure.resourceGroup rg-default (the Azure CLI's defaults.group)",
        ] {
            assert!(said.contains(default), "{default:?} not in\n{said}");
        }
        assert!(!said.contains("northeurope"), "{said}");
    }

    #[test]
    fn workload_forms_and_their_defaults() {
        let mut flags = flags();
        flags.workloads = vec![
            "app/app-sa".into(),
            "app/worker-sa/worker".into(),
            "batch/job-sa/CronJob/nightly".into(),
        ];
        let profile = build(&flags, &Ambient::default()).unwrap().profile;
        let names: Vec<String> = profile
            .workloads
            .iter()
            .map(|w| {
                format!(
                    "{} {}/{} {}",
                    w.kind.as_str(),
                    w.namespace,
                    w.name,
                    w.service_account
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                "Deployment app/app-sa app-sa",
                "Deployment app/worker worker-sa",
                "CronJob batch/nightly job-sa"
            ]
        );
    }

    #[test]
    fn an_azure_storage_issuer_implies_the_account_and_container() {
        let mut flags = flags();
        flags.issuer = "https://stoidc1.blob.core.windows.net/oidc/".into();
        flags.hosting = Some("azure-blob".into());
        let init = build(&flags, &Ambient::default()).unwrap();
        let yaml = init.profile.to_yaml();
        assert!(
            yaml.contains("storageAccount: stoidc1") && yaml.contains("container: oidc"),
            "{yaml}"
        );
        flags.issuer = "https://stoidc1.z6.web.core.windows.net/".into();
        let yaml = build(&flags, &Ambient::default())
            .unwrap()
            .profile
            .to_yaml();
        assert!(yaml.contains("mode: static-website"), "{yaml}");
    }

    #[test]
    fn every_refused_field_names_its_flag_and_value() {
        type Case = (Box<dyn Fn(&mut InitFlags)>, &'static str);
        let cases: Vec<Case> = vec![
            (
                Box::new(|f| f.issuer = "http://oidc.example.com".into()),
                "--issuer: ",
            ),
            (
                Box::new(|f| f.workloads = vec!["App/app-sa".into()]),
                "--workload \"App/app-sa\" (1st): namespace: ",
            ),
            (
                Box::new(|f| f.workloads.push("app/x/Pod/web".into())),
                "--workload \"app/x/Pod/web\" (2nd): kind: ",
            ),
            (
                Box::new(|f| f.workloads = vec!["a/b/c/d/e".into()]),
                "--workload \"a/b/c/d/e\" (1st): write it as NS/SA",
            ),
            (Box::new(|f| f.workloads.clear()), "--workload is required"),
            (
                Box::new(|f| f.roles = vec!["Reader".into()]),
                "--role \"Reader\" (1st): write it as ROLE@SCOPE",
            ),
            (
                Box::new(|f| f.roles = vec!["Reader@not-a-scope".into()]),
                "--role \"Reader@not-a-scope\" (1st): scope: ",
            ),
            (
                Box::new(|f| f.cosmos_roles = vec!["Cosmos DB Built-in Data Reader@/x".into()]),
                "--cosmos-role \"Cosmos DB Built-in Data Reader@/x\" (1st): account: ",
            ),
            (
                Box::new(|f| f.identity = Some("-bad".into())),
                "--identity: ",
            ),
            (Box::new(|f| f.resource_group = None), "--resource-group: "),
            (Box::new(|f| f.location = None), "--location: "),
            (Box::new(|f| f.tenant = Some("nope".into())), "--tenant: "),
            (
                Box::new(|f| f.subscription = Some("nope".into())),
                "--subscription: ",
            ),
            (Box::new(|f| f.cloud = Some("mars".into())), "--cloud: "),
            (
                Box::new(|f| f.cloud = Some("custom".into())),
                "--resource-manager: is missing",
            ),
            (
                Box::new(|f| {
                    f.cloud = Some("custom".into());
                    f.resource_manager = Some("http://x/".into());
                    f.authority_host = Some("https://x/".into());
                }),
                "--resource-manager: ",
            ),
            (Box::new(|f| f.hosting = Some("ftp".into())), "--hosting: "),
            (
                Box::new(|f| f.nginx_host = Some("other.example.com".into())),
                "--nginx-host: ",
            ),
            (
                Box::new(|f| f.hosting = Some("directory".into())),
                "--directory: ",
            ),
            (
                Box::new(|f| f.hosting = Some("azure-blob".into())),
                "--storage-account: ",
            ),
            (
                Box::new(|f| f.context = Some(" my-k0s".into())),
                "--context: ",
            ),
            (
                Box::new(|f| f.distribution = Some("ubuntu".into())),
                "--distribution: ",
            ),
            (Box::new(|f| f.audience = Some(" ".into())), "--audience: "),
        ];
        for (change, expected) in cases {
            let mut flags = flags();
            change(&mut flags);
            let errors = errors(&flags);
            assert!(
                errors.iter().any(|error| error.starts_with(expected)),
                "expected an error starting {expected:?}, got {errors:#?}"
            );
        }
    }

    #[test]
    fn the_azure_cli_defaults_are_read_from_its_ini_file() {
        let text = "[cloud]\nname = AzureCloud\n[defaults]\ngroup = rg-app\nlocation =\n";
        assert_eq!(
            crate::azure::cli_config::ini_section(text, "defaults"),
            [("group".to_string(), "rg-app".to_string())]
        );
    }
}
