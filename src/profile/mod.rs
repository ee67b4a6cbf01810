//! The setup profile (kwif.yaml): what the user wants, parsed and validated once into typed values
//! that the rest of kwif trusts. It holds names and ids only, never a secret, and touches nothing
//! but the one file it is asked to read.

mod choice;
mod cloud;
mod error;
mod identity;
mod ids;
mod names;
mod raw;
mod validate;
mod yaml_error;

use std::path::{Path, PathBuf};

use uuid::Uuid;

use crate::input::nesting::check_yaml;
use crate::input::{InputError, InputKind, read_text};
use crate::oidc::issuer::IssuerUrl;

pub use choice::{
    AppLanguage, BlobModeName, CloudName, DistributionChoice, HostingKind, IdentityKind,
    WorkloadKind, WorkloadMode,
};
pub use cloud::{Cloud, CloudEndpoints};
pub use error::{FieldError, InvalidValue, ProfileError};
pub use identity::{Identity, RoleAssignment};
pub use ids::{CosmosAccountId, RoleScope};
pub use names::{
    ContainerName, FederatedCredentialName, HostName, IdentityName, KubeContext, Location,
    Namespace, ObjectName, ResourceGroupName, RoleName, ServiceAccountName, StorageAccountName,
    WorkloadName,
};

use raw::RawProfile;
use yaml_error::yaml_error;

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
    /// At least one, names unique. kwif.yaml's single `identity:` is a list of one.
    pub identities: Vec<Identity>,
    /// At least one; at most 20 distinct service accounts per identity.
    pub workloads: Vec<Workload>,
    /// The application's side: what the wizard shows once verify is ok.
    pub app: AppSettings,
}

/// `app:`: how the workload's own code is shown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppSettings {
    /// The language of the snippet in the verify step's "your application" pane; `None`: the
    /// pane's default (Python) until one is chosen.
    pub language: Option<AppLanguage>,
}

/// Which cluster, and how its issuer is configured.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cluster {
    /// `None`: the kubeconfig's current context.
    pub context: Option<KubeContext>,
    pub distribution: DistributionChoice,
    /// Where the control-plane node's filesystem is: `/` when kwif runs on the node, a mount
    /// point when it runs beside one (the sandbox's `D/node`). The issuer step reads and writes
    /// the distribution's config file below it.
    pub node_root: PathBuf,
}

/// The default `cluster.nodeRoot`: kwif runs on the node itself.
pub const NODE_ROOT: &str = "/";

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
    /// The token-exchange audience when it must differ from the cloud's (`azure.audience`).
    pub audience: Option<String>,
}

impl Azure {
    /// The audience of every projected token and federated credential: `azure.audience`, else
    /// the one Entra expects in this cloud.
    pub fn audience(&self) -> &str {
        self.audience
            .as_deref()
            .unwrap_or_else(|| self.cloud.default_audience())
    }
}

/// A workload whose pods authenticate as one of the identities through their service account.
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
    /// The identity its pods authenticate as: one of the profile's (`workloads[].identity`,
    /// default the only one).
    pub identity: IdentityName,
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

/// One managed identity or app registration holds at most 20 federated credentials (azure.md §3).
pub const MAX_FEDERATED_CREDENTIALS: usize = 20;

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
        check_yaml(text).map_err(ProfileError::TooDeep)?;
        let raw: RawProfile = serde_yaml::from_str(text)
            .map_err(|error| ProfileError::Yaml(yaml_error(text, &error)))?;
        raw.validate()
    }

    /// Reads and parses a profile file (at most 1 MiB of UTF-8); an unreadable file is named
    /// in the error.
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let text = read_text(path, InputKind::Profile).map_err(|error| match error {
            InputError::Unreadable { source, .. } => ProfileError::Read {
                path: path.to_path_buf(),
                source,
            },
            other => ProfileError::Input(other),
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

#[cfg(test)]
mod tests {
    //! The tests of `Profile` itself, and the sample texts and error readers the tests of every
    //! profile module share.

    use super::*;

    /// The example profile with one piece of text replaced (the piece must be there).
    pub(super) fn example_with(from: &str, to: &str) -> String {
        assert!(EXAMPLE_YAML.contains(from), "the example has no {from:?}");
        EXAMPLE_YAML.replacen(from, to, 1)
    }

    /// Every error line `from_yaml` reports for `text`.
    pub(super) fn errors(text: &str) -> Vec<String> {
        match Profile::from_yaml(text) {
            Ok(_) => Vec::new(),
            Err(error) => error.to_string().lines().map(str::to_string).collect(),
        }
    }

    pub(super) fn only_error(text: &str) -> String {
        let errors = errors(text);
        assert_eq!(errors.len(), 1, "expected one error, got {errors:#?}");
        errors[0].clone()
    }

    pub(super) const MINIMAL: &str = "\
issuer: https://oidc.example.com
hosting: { kind: apiserver }
azure: { resourceGroup: rg1, location: westeurope }
identity: { name: id-app }
workloads:
  - { namespace: app, serviceAccount: app-sa, name: web }
";

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
        assert_eq!(profile.identities.len(), 1);
        assert_eq!(profile.identities[0].roles.len(), 2);
        assert_eq!(profile.identities[0].kind, IdentityKind::ManagedIdentity);
        assert_eq!(profile.workloads[0].identity.as_str(), "id-application1");
        assert_eq!(
            profile.workloads[0].subject(),
            "system:serviceaccount:application1:application1-sa"
        );
    }

    #[test]
    fn absent_fields_take_their_documented_defaults() {
        let profile = Profile::from_yaml(MINIMAL).unwrap();
        assert_eq!(
            profile.cluster,
            Cluster {
                context: None,
                distribution: DistributionChoice::Auto,
                node_root: PathBuf::from("/"),
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
}
