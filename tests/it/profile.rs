//! Integration tests of the profile: fixture files with their expected errors, and properties
//! (no input panics; a profile of random valid values survives `to_yaml` → `from_yaml`).

use std::path::{Path, PathBuf};

use kwif::distro::Distribution;
use kwif::oidc::issuer::IssuerUrl;
use kwif::profile::{
    BlobMode, Cloud, ContainerName, CosmosAccountId, DistributionChoice, FederatedCredentialName,
    HostName, Hosting, IdentityName, Location, Namespace, NginxHosting, ObjectName, Profile,
    ResourceGroupName, RoleAssignment, RoleName, RoleScope, ServiceAccountName, StorageAccountName,
    TokenExpiration, Workload, WorkloadKind, WorkloadMode, WorkloadName,
};
use proptest::prelude::*;
use proptest::sample::select;
use serde_yaml::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/profiles")
}

/// A fixture `<name>.yaml`; when `<name>.errors` exists it holds the exact error text expected,
/// otherwise the profile must be valid and survive a round trip.
struct Fixture {
    yaml: PathBuf,
}

impl Fixture {
    fn named(name: &str) -> Fixture {
        Fixture {
            yaml: fixtures().join(format!("{name}.yaml")),
        }
    }

    fn expected_errors(&self) -> Option<String> {
        std::fs::read_to_string(self.yaml.with_extension("errors")).ok()
    }

    fn check(&self) {
        let result = Profile::load(&self.yaml);
        match (self.expected_errors(), result) {
            (None, Ok(profile)) => {
                let again = Profile::from_yaml(&profile.to_yaml());
                assert_eq!(
                    again.as_ref().ok(),
                    Some(&profile),
                    "{}: round trip",
                    self.yaml.display()
                );
            }
            (None, Err(error)) => panic!("{}: expected valid, got\n{error}", self.yaml.display()),
            (Some(expected), Ok(_)) => {
                panic!("{}: expected errors\n{expected}", self.yaml.display())
            }
            (Some(expected), Err(error)) => {
                assert_eq!(
                    error.to_string(),
                    expected.trim_end(),
                    "{}",
                    self.yaml.display()
                );
            }
        }
    }
}

#[test]
fn every_fixture_parses_or_fails_exactly_as_its_errors_file_says() {
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter_map(|file| file.strip_suffix(".yaml").map(str::to_string))
        .collect();
    names.sort();
    assert!(names.len() >= 5, "{names:?}");
    for name in names {
        Fixture::named(&name).check();
    }
}

#[test]
fn example_fixture_is_the_built_in_example() {
    let loaded = Profile::load(&fixtures().join("example.yaml")).unwrap();
    assert_eq!(loaded, Profile::example());
}

#[test]
fn fixture_values_arrive_typed() {
    let profile = Profile::load(&fixtures().join("azure-blob-static-website.yaml")).unwrap();
    assert_eq!(profile.azure.cloud, Cloud::UsGov);
    let Hosting::AzureBlob(blob) = &profile.hosting else {
        panic!("azure-blob expected")
    };
    assert_eq!(blob.mode, BlobMode::StaticWebsite);
    let workload = &profile.workloads[0];
    assert_eq!(workload.kind, WorkloadKind::CronJob);
    assert_eq!(workload.mode, WorkloadMode::Export);
    assert_eq!(workload.token_expiration.seconds(), 86_400);
    assert_eq!(
        workload.federated_credential_name_or_default().as_str(),
        "kwif-batch-nightly-report"
    );

    let profile = Profile::load(&fixtures().join("custom-cloud-directory.yaml")).unwrap();
    assert_eq!(
        profile.cluster.distribution,
        DistributionChoice::Known(Distribution::Talos)
    );
    assert_eq!(
        profile.azure.cloud.endpoints().authority_host().as_str(),
        "https://login.example.net/"
    );
    assert_eq!(profile.azure.resource_group.as_str(), "Gruppe-Ünïcode_(1)");
    assert_eq!(
        profile.workloads[0]
            .federated_credential_name_or_default()
            .as_str(),
        "worker-queue"
    );
}

// --- properties ---

const KEYS: &[&str] = &[
    "cluster",
    "context",
    "distribution",
    "issuer",
    "hosting",
    "kind",
    "nginx",
    "host",
    "ingressClass",
    "clusterIssuer",
    "namespace",
    "azureBlob",
    "storageAccount",
    "container",
    "mode",
    "directory",
    "path",
    "azure",
    "cloud",
    "endpoints",
    "resourceManager",
    "authorityHost",
    "tenant",
    "subscription",
    "resourceGroup",
    "location",
    "identity",
    "name",
    "roles",
    "role",
    "scope",
    "cosmosDataRole",
    "account",
    "workloads",
    "serviceAccount",
    "tokenExpirationSeconds",
    "federatedCredentialName",
];

const WORDS: &[&str] = &[
    "nginx",
    "azure-blob",
    "directory",
    "apiserver",
    "custom",
    "public",
    "static-website",
    "Deployment",
    "CronJob",
    "patch",
    "https://oidc.example.com/c",
    "oidc.example.com",
    "cccccccc-cccc-cccc-cccc-cccccccccccc",
    "/subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc",
    "",
    " ",
    "a",
    "westeurope",
    "3600",
];

/// Nested mappings and lists built mostly from the profile's own keys and words.
fn yamlish() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| Value::Number(n.into())),
        any::<f64>().prop_map(|n| Value::Number(n.into())),
        select(WORDS).prop_map(|word| Value::String(word.to_string())),
        any::<String>().prop_map(Value::String),
    ];
    let key = prop_oneof![4 => select(KEYS).prop_map(str::to_string), 1 => "[a-zA-Z_.]{0,12}"];
    leaf.prop_recursive(5, 96, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Sequence),
            prop::collection::vec((key.clone(), inner), 0..8).prop_map(|entries| {
                Value::Mapping(
                    entries
                        .into_iter()
                        .map(|(k, v)| (Value::String(k), v))
                        .collect(),
                )
            }),
        ]
    })
}

/// Every error, whatever the input, reads `<field>: <message>` with both parts present.
fn assert_well_formed(text: &str) -> Result<(), TestCaseError> {
    if let Err(error) = Profile::from_yaml(text) {
        prop_assert!(!error.errors().is_empty());
        for field_error in error.errors() {
            prop_assert!(!field_error.field().is_empty(), "{field_error}");
            prop_assert!(!field_error.message().is_empty(), "{field_error}");
        }
        prop_assert!(!error.to_string().is_empty());
    }
    Ok(())
}

proptest! {
    // Failures are added to the unit tests by hand rather than persisted in a regressions file.
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        assert_well_formed(&text)?;
    }

    #[test]
    fn yaml_shaped_input_never_panics(value in yamlish()) {
        let text = serde_yaml::to_string(&value).unwrap();
        assert_well_formed(&text)?;
    }

    #[test]
    fn the_example_with_a_random_edit_never_panics(
        position in 0usize..2000,
        cut in 0usize..40,
        insert in prop_oneof![Just(String::new()), "[ :\\-\\[\\]{}\"'#\t\n]{1,3}", any::<String>()],
    ) {
        let example = Profile::example().to_yaml();
        let mut start = position.min(example.len());
        while !example.is_char_boundary(start) { start -= 1; }
        let mut end = (start + cut).min(example.len());
        while !example.is_char_boundary(end) { end -= 1; }
        let text = format!("{}{insert}{}", &example[..start], &example[end..]);
        assert_well_formed(&text)?;
    }

    #[test]
    fn a_profile_of_random_valid_values_round_trips(profile in valid_profile()) {
        let text = profile.to_yaml();
        let again = Profile::from_yaml(&text);
        prop_assert_eq!(again.as_ref().map_err(ToString::to_string), Ok(&profile), "{}", text);
    }
}

// --- generators of valid values ---

const LABEL: &str = "[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?";

fn subdomain() -> impl Strategy<Value = String> {
    prop::collection::vec(LABEL, 1..4).prop_map(|labels| labels.join("."))
}

fn host() -> impl Strategy<Value = String> {
    prop::collection::vec("[a-z]([a-z0-9-]{0,10}[a-z0-9])?", 2..4)
        .prop_map(|labels| labels.join("."))
        .prop_filter("IDNA treats '--' specially", |host| !host.contains("--"))
}

fn uuid() -> impl Strategy<Value = uuid::Uuid> {
    any::<u128>().prop_map(uuid::Uuid::from_u128)
}

fn role() -> impl Strategy<Value = RoleAssignment> {
    let role_name = "[A-Za-z0-9][A-Za-z0-9 ]{0,30}[A-Za-z0-9]";
    let resource_group = "[\\p{L}0-9_().-]{0,20}[\\p{L}0-9_()-]";
    prop_oneof![
        (role_name, uuid(), prop::option::of(resource_group)).prop_map(|(role, subscription, group)| {
            let scope = match group {
                Some(group) => format!("/subscriptions/{subscription}/resourceGroups/{group}"),
                None => format!("/subscriptions/{subscription}"),
            };
            RoleAssignment::Azure { role: RoleName::parse(&role).unwrap(), scope: RoleScope::parse(&scope).unwrap() }
        }),
        (role_name, uuid(), resource_group, "[a-z0-9]([a-z0-9-]{1,20}[a-z0-9])").prop_map(
            |(role, subscription, group, account)| {
                let id = format!(
                    "/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.DocumentDB/databaseAccounts/{account}"
                );
                RoleAssignment::CosmosData {
                    role: RoleName::parse(&role).unwrap(),
                    account: CosmosAccountId::parse(&id).unwrap(),
                }
            }
        ),
    ]
}

fn workload(index: usize) -> impl Strategy<Value = Workload> {
    (
        LABEL,
        subdomain(),
        select(
            &[
                WorkloadKind::Deployment,
                WorkloadKind::StatefulSet,
                WorkloadKind::DaemonSet,
                WorkloadKind::CronJob,
                WorkloadKind::Job,
            ][..],
        ),
        "[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?",
        select(
            &[
                WorkloadMode::Patch,
                WorkloadMode::Webhook,
                WorkloadMode::Export,
            ][..],
        ),
        600i64..=86_400,
        any::<bool>(),
    )
        .prop_map(
            move |(namespace, service_account, kind, name, mode, seconds, named)| {
                // A distinct suffix keeps service accounts, objects and credential names apart.
                let service_account =
                    ServiceAccountName::parse(&format!("{service_account}-w{index}")).unwrap();
                let namespace = Namespace::parse(&namespace).unwrap();
                let federated_credential_name = named
                    .then(|| FederatedCredentialName::parse(&format!("fic-w{index}")).unwrap());
                Workload {
                    namespace,
                    service_account,
                    kind,
                    name: WorkloadName::parse(&format!("{name}-{index}")).unwrap(),
                    mode,
                    token_expiration: TokenExpiration::from_seconds(seconds).unwrap(),
                    federated_credential_name,
                    identity: IdentityName::parse("id-application1").unwrap(),
                }
            },
        )
}

fn workloads() -> impl Strategy<Value = Vec<Workload>> {
    (1usize..6).prop_flat_map(|count| (0..count).map(workload).collect::<Vec<_>>())
}

fn valid_profile() -> impl Strategy<Value = Profile> {
    let hosting_choice = 0u8..4;
    (
        host(),
        "(/[a-z0-9]{1,8}){0,3}/?",
        hosting_choice,
        (
            "[a-z0-9]{3,24}",
            "[a-z0-9](-?[a-z0-9]){2,20}",
            any::<bool>(),
        ),
        (
            prop::option::of(uuid()),
            prop::option::of(uuid()),
            select(&[Cloud::Public, Cloud::China, Cloud::UsGov][..]),
        ),
        (
            "[\\p{L}0-9_().-]{0,89}[\\p{L}0-9_()-]",
            "[a-z0-9]{1,20}",
            "[A-Za-z0-9][A-Za-z0-9_-]{2,60}",
        ),
        prop::collection::vec(role(), 0..4),
        workloads(),
        (
            prop::option::of("[a-zA-Z0-9@:_./-]{1,40}"),
            select(DistributionChoice::ALL),
        ),
    )
        .prop_map(
            |(host, path, hosting_choice, blob, azure, names, mut roles, workloads, cluster)| {
                let mut profile = Profile::example();
                let (storage, container, static_website) = blob;
                let issuer = match hosting_choice {
                    3 if static_website => format!("https://{storage}.z6.web.core.windows.net/"),
                    3 => format!("https://{storage}.blob.core.windows.net/{container}/"),
                    _ => format!("https://{host}{path}"),
                };
                profile.issuer = IssuerUrl::parse(&issuer).unwrap();
                profile.hosting = match hosting_choice {
                    0 => Hosting::Nginx(NginxHosting {
                        host: HostName::parse(&host).unwrap(),
                        ingress_class: ObjectName::parse("traefik").unwrap(),
                        cluster_issuer: None,
                        namespace: Namespace::parse("oidc").unwrap(),
                    }),
                    1 => Hosting::ApiServer,
                    2 => Hosting::Directory {
                        path: PathBuf::from(format!("./{host}")),
                    },
                    _ => Hosting::AzureBlob(kwif::profile::AzureBlobHosting {
                        storage_account: StorageAccountName::parse(&storage).unwrap(),
                        mode: if static_website {
                            BlobMode::StaticWebsite
                        } else {
                            BlobMode::PublicContainer(ContainerName::parse(&container).unwrap())
                        },
                        resource_group: None,
                    }),
                };
                let (tenant, subscription, cloud) = azure;
                profile.azure.tenant = tenant;
                profile.azure.subscription = subscription;
                profile.azure.cloud = cloud;
                let (resource_group, location, identity) = names;
                profile.azure.resource_group = ResourceGroupName::parse(&resource_group).unwrap();
                profile.azure.location = Location::parse(&location).unwrap();
                profile.identities[0].name = IdentityName::parse(&identity).unwrap();
                roles.dedup();
                let mut distinct = Vec::new();
                for role in roles {
                    if !distinct.contains(&role) {
                        distinct.push(role);
                    }
                }
                profile.identities[0].roles = distinct;
                profile.workloads = workloads
                    .into_iter()
                    .map(|workload| Workload {
                        identity: profile.identities[0].name.clone(),
                        ..workload
                    })
                    .collect();
                let (context, distribution) = cluster;
                profile.cluster.context =
                    context.map(|context| kwif::profile::KubeContext::parse(&context).unwrap());
                profile.cluster.distribution = distribution;
                profile
            },
        )
}
