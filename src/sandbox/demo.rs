//! The embedded demo environment: a k3s-like API server, Azure Resource Manager and Entra,
//! and an HTTPS static host, all on loopback, wired to the real steps through a generated
//! profile. Scenarios replay real failure stories (DESIGN.md, "The sandbox").

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::azure::{AzureSandbox, AzureSandboxOptions};
use super::static_host::StaticHost;
use super::{Distribution, KubeSandbox, KubeSandboxOptions, SandboxError};
use crate::azure::cloud::AzureCloud;
use crate::azure::credential::AzureCredential;
use crate::azure::retry::RetryPolicy;
use crate::azure::session::AzureSession;
use crate::engine::{Runner, Step};
use crate::hosting::{DirectoryPublisher, KeySource, Publisher};
use crate::oidc::fetch::Fetcher;
use crate::profile::Profile;
use crate::steps::federation::FederationStep;
use crate::steps::hosting::HostingStep;
use crate::steps::identity::IdentityStep;
use crate::steps::issuer::{IssuerStep, LocalNode, NodeFiles};
use crate::steps::verify::VerifyStep;
use crate::steps::workload::{FederationIds, WorkloadStep};

/// Which story the demo tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// A cluster and a subscription where nothing is set up yet.
    Fresh,
    /// A working setup that drifted: a rotated signing key not yet published, a federated
    /// credential with a wrong subject, and a Deployment missing one environment variable.
    Drifted,
    /// A working setup whose hosting broke: documents served as `text/plain`, the discovery
    /// document at `…/.well-known/oidc-configuration`.
    BrokenHosting,
}

impl Scenario {
    pub fn as_str(self) -> &'static str {
        match self {
            Scenario::Fresh => "fresh",
            Scenario::Drifted => "drifted",
            Scenario::BrokenHosting => "broken-hosting",
        }
    }
}

const NAMESPACE: &str = "application1";
const K3S_CONFIG_PATH: &str = "etc/rancher/k3s/config.yaml";
const K3S_CONFIG: &str = "# k3s server configuration (demo node)\nwrite-kubeconfig-mode: \"0644\"\ntls-san:\n  - k3s.example.internal\n";

/// The running demo: every server, the profile it was set up for, and fresh steps on demand.
pub struct Demo {
    pub scenario: Scenario,
    pub profile: Profile,
    pub profile_yaml: String,
    kube: Arc<KubeSandbox>,
    azure: AzureSandbox,
    host: StaticHost,
    node: Arc<DemoNode>,
    ca_file: PathBuf,
    _workspace: tempfile::TempDir,
}

/// Why the demo could not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    #[error("the demo workspace: {0}")]
    Workspace(#[from] io::Error),
    #[error("the demo's profile is invalid: {0}")]
    Profile(String),
    #[error("the demo's Azure session: {0}")]
    Azure(String),
    #[error("setting up the {0} scenario: {1}")]
    Setup(&'static str, String),
}

/// The demo's control-plane node: files below a temporary root; writing the k3s config
/// "restarts" the sandbox API server with the new issuer flags, as `systemctl restart k3s` would.
struct DemoNode {
    files: LocalNode,
    kube: Arc<KubeSandbox>,
    issuers: Vec<String>,
    jwks_uri: String,
}

impl NodeFiles for DemoNode {
    fn read(&self, path: &Path) -> io::Result<String> {
        self.files.read(path)
    }

    fn write_with_backup(&self, path: &Path, text: &str) -> io::Result<PathBuf> {
        let backup = self.files.write_with_backup(path, text)?;
        self.kube
            .set_issuers(self.issuers.clone(), Some(self.jwks_uri.clone()))
            .map_err(|error| io::Error::other(error.to_string()))?;
        Ok(backup)
    }
}

impl Demo {
    pub async fn start(scenario: Scenario) -> Result<Demo, DemoError> {
        let workspace = tempfile::tempdir()?;
        let site = workspace.path().join("site");
        std::fs::create_dir_all(&site)?;
        let content_type = if scenario == Scenario::BrokenHosting {
            "text/plain"
        } else {
            "application/json"
        };
        let host = StaticHost::start(site.clone(), content_type).await?;
        let ca_file = workspace.path().join("static-host-ca.pem");
        std::fs::write(&ca_file, host.ca_certificate_pem())?;

        let kube = Arc::new(KubeSandbox::start(KubeSandboxOptions::new(Distribution::K3s)).await?);
        seed_application(&kube)?;
        let options = AzureSandboxOptions {
            principal_replication_delay: Duration::from_millis(300),
            ..Default::default()
        }
        .with_extra_ca_pem(host.ca_certificate_pem());
        let azure = AzureSandbox::start(options).await?;

        let issuer = format!("{}/cluster1", host.origin());
        let profile_yaml = profile_yaml(&issuer, &site, &azure);
        let profile = Profile::from_yaml(&profile_yaml)
            .map_err(|error| DemoError::Profile(error.to_string()))?;
        let node_root = workspace.path().join("node");
        std::fs::create_dir_all(node_root.join("etc/rancher/k3s"))?;
        std::fs::write(node_root.join(K3S_CONFIG_PATH), K3S_CONFIG)?;
        let default_issuer = kube
            .flags()
            .service_account_issuers
            .first()
            .cloned()
            .unwrap_or_default();
        let node = Arc::new(DemoNode {
            files: LocalNode::new(node_root),
            kube: kube.clone(),
            issuers: vec![issuer.clone(), default_issuer],
            jwks_uri: format!("{issuer}/openid/v1/jwks"),
        });
        let demo = Demo {
            scenario,
            profile,
            profile_yaml,
            kube,
            azure,
            host,
            node,
            ca_file,
            _workspace: workspace,
        };
        demo.prepare().await?;
        Ok(demo)
    }

    /// The six steps over the demo's servers, sharing the identity state.
    pub async fn steps(&self) -> Result<Vec<Box<dyn Step>>, DemoError> {
        let client = self.kube.client().await?;
        let session = self.azure_session()?;
        let azure = |error: crate::azure::error::AzureError| DemoError::Azure(error.to_string());
        let fetcher = Fetcher::new(std::slice::from_ref(&self.ca_file))
            .map_err(|e| DemoError::Azure(e.to_string()))?;
        let issuer = self.profile.issuer.clone();
        let publisher =
            Publisher::Directory(DirectoryPublisher::new(self.host.root(), issuer.clone()));
        let ids = FederationIds {
            client_id: None,
            tenant_id: Some(self.azure.tenant_id().to_string()),
            authority_host: self.azure.authority_host(),
        };
        Ok(vec![
            Box::new(IssuerStep::new(
                client.clone(),
                issuer.clone(),
                None,
                self.node.clone(),
            )),
            Box::new(HostingStep::new(
                issuer,
                KeySource::Cluster(client.clone()),
                publisher,
                fetcher.clone(),
            )),
            Box::new(IdentityStep::from_profile(&session, &self.profile).map_err(azure)?),
            Box::new(FederationStep::from_profile(&session, &self.profile).map_err(azure)?),
            Box::new(
                WorkloadStep::new(client.clone(), self.profile.workloads.clone(), ids)
                    .with_identity(self.profile.identity.name.as_str())
                    .with_rollout_timeout(Duration::from_secs(20)),
            ),
            Box::new(
                VerifyStep::from_profile(&session, client, &self.profile, Some(fetcher))
                    .map_err(azure)?,
            ),
        ])
    }

    pub async fn runner(&self) -> Result<Runner, DemoError> {
        Ok(Runner::new(self.steps().await?))
    }

    pub fn kube(&self) -> &KubeSandbox {
        &self.kube
    }

    pub fn azure(&self) -> &AzureSandbox {
        &self.azure
    }

    /// The CA file that makes the demo's static host trusted (for `kwif doctor --ca-file`).
    pub fn ca_file(&self) -> &Path {
        &self.ca_file
    }

    fn azure_session(&self) -> Result<AzureSession, DemoError> {
        let url = |text: String| {
            url::Url::parse(&text).map_err(|error| DemoError::Azure(error.to_string()))
        };
        let cloud = AzureCloud::custom(
            url(self.azure.resource_manager_url())?,
            url(self.azure.authority_host())?,
        );
        let uuid = |text: &str| {
            uuid::Uuid::try_parse(text).map_err(|error| DemoError::Azure(error.to_string()))
        };
        AzureSession::with_credential(
            cloud,
            AzureCredential::fixed_token("sandbox", "demo"),
            uuid(self.azure.tenant_id())?,
            uuid(self.azure.subscription_id())?,
            &[self.azure.ca_certificate_pem().to_string()],
            RetryPolicy::default(),
        )
        .map_err(|error| DemoError::Azure(error.to_string()))
    }

    /// Brings the servers into the scenario's state: a complete setup, then the breakage.
    async fn prepare(&self) -> Result<(), DemoError> {
        if self.scenario == Scenario::Fresh {
            return Ok(());
        }
        let name = self.scenario.as_str();
        let outcome = self.runner().await?.apply_all(|_| true).await;
        if let Some((step, error)) = outcome.failed {
            return Err(DemoError::Setup(name, format!("{step}: {}", error.message)));
        }
        match self.scenario {
            Scenario::Drifted => self.drift().await,
            Scenario::BrokenHosting => self.break_hosting(),
            Scenario::Fresh => Ok(()),
        }
    }

    async fn drift(&self) -> Result<(), DemoError> {
        let fail = |error: String| DemoError::Setup("drifted", error);
        self.kube.rotate_signing_key()?;
        let workload = &self.profile.workloads[0];
        let credential = workload.federated_credential_name_or_default();
        self.azure
            .insert_federated_credential(
                self.profile.azure.resource_group.as_str(),
                self.profile.identity.name.as_str(),
                credential.as_str(),
                self.profile.issuer.as_str(),
                &format!("system:serviceaccount:{NAMESPACE}:default"),
                crate::oidc::AZURE_AUDIENCE,
            )
            .map_err(|error| fail(error.to_string()))?;
        let mut deployment = self
            .kube
            .object("apps/v1", "Deployment", Some(NAMESPACE), "web-server")
            .ok_or_else(|| fail("no Deployment".into()))?;
        if let Some(env) =
            deployment["spec"]["template"]["spec"]["containers"][0]["env"].as_array_mut()
        {
            env.retain(|variable| variable["name"] != "AZURE_TENANT_ID");
        }
        if let Some(metadata) = deployment["metadata"].as_object_mut() {
            metadata.remove("managedFields");
            metadata.remove("resourceVersion");
        }
        self.kube.insert(deployment)?;
        Ok(())
    }

    fn break_hosting(&self) -> Result<(), DemoError> {
        let documents = self.host.root().join("cluster1/.well-known");
        std::fs::rename(
            documents.join("openid-configuration"),
            documents.join("oidc-configuration"),
        )?;
        Ok(())
    }
}

fn seed_application(kube: &KubeSandbox) -> Result<(), SandboxError> {
    kube.insert(json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":NAMESPACE}}))?;
    kube.insert(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web-server", "namespace": NAMESPACE, "labels": {"app": "web-server", "team": "payments"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web-server"}},
            "template": {
                "metadata": {"labels": {"app": "web-server"}},
                "spec": {"containers": [{"name": "web", "image": "ghcr.io/example/web-server:1.4.2",
                    "env": [{"name": "COSMOS_ENDPOINT", "value": "https://cosmos1.documents.azure.com:443/"}]}]}
            }
        }
    }))?;
    Ok(())
}

fn profile_yaml(issuer: &str, site: &Path, azure: &AzureSandbox) -> String {
    let subscription = azure.subscription_id();
    format!(
        "# kwif demo profile: every server is the embedded sandbox on loopback\n\
         cluster:\n  context: {context}\n  distribution: auto\n\
         issuer: {issuer}\n\
         hosting:\n  kind: directory\n  directory:\n    path: {site}\n\
         azure:\n  cloud: public\n  tenant: {tenant}\n  subscription: {subscription}\n  resourceGroup: rg-application1\n  location: westeurope\n\
         identity:\n  name: id-application1\n  roles:\n    - role: Storage Blob Data Reader\n      scope: /subscriptions/{subscription}/resourceGroups/rg-application1/providers/Microsoft.Storage/storageAccounts/st1\n\
         workloads:\n  - namespace: {NAMESPACE}\n    serviceAccount: application1-sa\n    kind: Deployment\n    name: web-server\n    mode: patch\n",
        context = "kwif-demo",
        site = site.display(),
        tenant = azure.tenant_id(),
    )
}
