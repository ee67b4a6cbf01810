//! The one place that builds a run's steps from (profile, environment). A real run and a demo
//! differ only in the environment: which kubeconfig, which Azure login, which extra CAs. Every
//! front end (check, plan, apply, the wizard, the demo) comes through here.

use crate::engine::Actionable as _;
use std::path::PathBuf;
use std::sync::Arc;

use crate::azure::credential::CredentialChoice;
use crate::azure::session::{AzureLogin, AzureSession};
use crate::engine::{Finding, Runner, Step};
use crate::network::Timeouts;
use crate::oidc::fetch::Fetcher;
use crate::profile::Profile;
use crate::steps::Clients;
use crate::steps::hosting::HostingOptions;
pub use crate::steps::identity::with_learned_ids;
use crate::steps::issuer::LocalNode;
use crate::steps::workload::FederationIds;

/// Where a run's clients point: the cluster, the Azure login and the CAs to trust.
#[derive(Clone, Debug)]
pub struct Environment {
    /// The kubeconfig file; `None`: `$KUBECONFIG` or `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context (`--context`); `None`: the profile's `cluster.context`, else the
    /// kubeconfig's current one.
    pub context: Option<String>,
    pub login: AzureLogin,
    /// CA certificates (PEM files) every HTTPS client trusts besides the system's.
    pub ca_files: Vec<PathBuf>,
    /// How long every client waits (`--timeout`).
    pub timeouts: Timeouts,
}

impl Environment {
    /// This machine's: the kubeconfig given or the default one, the Azure login from `AZURE_*`
    /// variables or the Azure CLI, and `SSL_CERT_FILE`.
    pub fn from_process(kubeconfig: Option<PathBuf>, context: Option<String>) -> Environment {
        Environment {
            kubeconfig,
            context,
            login: AzureLogin::Ambient(CredentialChoice::Auto),
            ca_files: std::env::var_os("SSL_CERT_FILE")
                .map(PathBuf::from)
                .into_iter()
                .collect(),
            timeouts: Timeouts::default(),
        }
    }
}

/// The six steps for `profile` in `environment`. A client that cannot be made becomes an error
/// finding of the steps that need it, never a crash.
pub async fn steps(profile: &Profile, environment: &Environment) -> Vec<Box<dyn Step>> {
    let context = environment.context.clone().or_else(|| {
        profile
            .cluster
            .context
            .as_ref()
            .map(|context| context.as_str().to_string())
    });
    let kube = crate::kube::connect_with(
        environment.kubeconfig.as_deref(),
        context.as_deref(),
        &environment.timeouts,
    )
    .await
        .map_err(|error| {
            Finding::error(
                "CLUSTER_UNREACHABLE",
                format!("kwif cannot use the cluster: {error}"),
                "check --kubeconfig / --context (or cluster.context in kwif.yaml) and that `kubectl get ns` works",
            )
        });
    let azure = match read_ca_pems(&environment.ca_files) {
        Ok(pems) => AzureSession::connect(
            &profile.azure,
            &environment.login,
            &pems,
            environment.timeouts,
        )
        .await
        .map_err(|error| error.to_finding("AZURE_LOGIN")),
        Err(finding) => Err(finding),
    };
    // Each workload's client id is its identity's: the workload step takes them per identity.
    let federation_ids = FederationIds {
        client_id: None,
        tenant_id: profile.azure.tenant.map(|id| id.hyphenated().to_string()),
        authority_host: profile.azure.cloud.endpoints().authority_host().to_string(),
    };
    let clients = Clients {
        kube,
        azure,
        node: Arc::new(LocalNode::new(&profile.cluster.node_root)),
        federation_ids,
        hosting: HostingOptions {
            ca_files: environment.ca_files.clone(),
            timeouts: environment.timeouts,
            ..Default::default()
        },
        doctor: Fetcher::with_timeouts(&environment.ca_files, environment.timeouts).ok(),
    };
    crate::steps::for_profile(profile, clients)
}

/// A runner over [`steps`], each step's check and plan bounded by the environment's deadline.
pub async fn runner(profile: &Profile, environment: &Environment) -> Runner {
    Runner::new(steps(profile, environment).await).with_step_deadline(environment.timeouts.step)
}

fn read_ca_pems(files: &[PathBuf]) -> Result<Vec<String>, Finding> {
    files
        .iter()
        .map(|path| {
            std::fs::read_to_string(path).map_err(|error| {
                Finding::error(
                    "AZURE_LOGIN",
                    format!("cannot read the CA file {}: {error}", path.display()),
                    "fix or unset SSL_CERT_FILE; CA certificates must be PEM",
                )
            })
        })
        .collect()
}
