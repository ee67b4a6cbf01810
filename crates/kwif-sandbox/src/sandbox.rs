//! The whole sandbox environment: a k3s-like API server reading its node's real config file,
//! Resource Manager with Entra, and an HTTPS static host, all certified by one sandbox CA, seeded
//! with a scenario, and the files a user points kwif, kubectl and the Azure SDKs at. It writes only
//! below its own directory.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::SandboxError;
use crate::azure::{AzureSandbox, AzureSandboxOptions, CustomRole, ServicePrincipalLogin};
use crate::kube_api::{Distribution, KubeSandbox, KubeSandboxOptions, node_config_path};
use crate::kwif_profile::{ProfileValues, profile_yaml};
use crate::scenario::{
    self, COSMOS_ACCOUNT, CUSTOM_ROLE, RESOURCE_GROUP, STORAGE_ACCOUNT, Scenario, Setup,
};
use crate::static_host::StaticHost;
use crate::tls::SandboxCa;

/// The kubeconfig context the sandbox's kubeconfig and profile name.
pub const CONTEXT: &str = "kwif-sandbox";
/// How long a new identity's principal is unknown to role assignments in a sandbox: long enough
/// for a client's PrincipalNotFound retry to show, short enough for a demo.
const PRINCIPAL_REPLICATION: Duration = Duration::from_millis(300);

/// Where the sandbox writes its files, which story it tells and how slow its network is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxOptions {
    /// Created when missing; the sandbox owns `site/cluster1` and `node/etc/rancher/k3s` below it.
    pub dir: PathBuf,
    pub scenario: Scenario,
    /// Added to every answer of every server.
    pub latency: Duration,
    /// How long Entra ignores a federated credential created or changed over Resource Manager
    /// (the token exchange answers AADSTS70021 until then; azure.md §3, "Propagation"),
    /// measured by the sandbox's [`crate::Clock`]; default zero. Credentials a scenario seeds
    /// are in use from the start.
    pub entra_propagation: Duration,
}

impl SandboxOptions {
    /// A fresh scenario in `dir`, without added latency.
    pub fn new(dir: impl Into<PathBuf>) -> SandboxOptions {
        SandboxOptions {
            dir: dir.into(),
            scenario: Scenario::Fresh,
            latency: Duration::ZERO,
            entra_propagation: Duration::ZERO,
        }
    }
}

/// The files a sandbox wrote, as absolute paths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxFiles {
    /// Context `kwif-sandbox`, an admin bearer token (mode 0600).
    pub kubeconfig: PathBuf,
    /// `kwif.yaml`, the kwif profile for the scenario.
    pub profile: PathBuf,
    /// `ca.pem`, the CA of all three servers.
    pub ca: PathBuf,
    /// `env`, `export` lines for a shell, with the administrator's client secret (mode 0600).
    pub env: PathBuf,
    /// `node/`, the control-plane node's filesystem (`node/etc/rancher/k3s/config.yaml`).
    pub node_root: PathBuf,
    /// `site/`, the static host's document root.
    pub site: PathBuf,
    /// `azure/`, an Azure CLI configuration directory (`AZURE_CONFIG_DIR`): the sandbox
    /// registered as the active custom cloud, its subscription the default, as `az cloud
    /// register`, `az cloud set` and `az login --service-principal` leave it.
    pub azure_config: PathBuf,
}

impl SandboxFiles {
    fn in_directory(dir: &Path) -> SandboxFiles {
        SandboxFiles {
            kubeconfig: dir.join("kubeconfig"),
            profile: dir.join("kwif.yaml"),
            ca: dir.join("ca.pem"),
            env: dir.join("env"),
            node_root: dir.join("node"),
            site: dir.join("site"),
            azure_config: dir.join("azure"),
        }
    }

    /// The node's k3s server configuration.
    pub fn k3s_config(&self) -> PathBuf {
        let relative = node_config_path(Distribution::K3s).unwrap_or_default();
        self.node_root.join(relative)
    }
}

/// A running sandbox; it stops when dropped or shut down.
pub struct Sandbox {
    scenario: Scenario,
    files: SandboxFiles,
    issuer: String,
    login: ServicePrincipalLogin,
    kube: KubeSandbox,
    azure: AzureSandbox,
    static_host: StaticHost,
}

impl Sandbox {
    /// Starts the three servers, seeds the scenario and writes the files. Must run inside a
    /// tokio runtime.
    pub async fn start(options: SandboxOptions) -> Result<Sandbox, SandboxError> {
        let dir = prepare_directory(&options.dir)?;
        let files = SandboxFiles::in_directory(&dir);
        clear_previous_run(&files)?;
        let ca = SandboxCa::new("kwif sandbox CA")?;
        let scenario = options.scenario;
        let static_host = StaticHost::start_with_ca(
            files.site.clone(),
            scenario.content_type(),
            &ca,
            options.latency,
        )
        .await?;
        let issuer = format!("https://{}/cluster1", static_host.address());
        write_file(
            &files.k3s_config(),
            &scenario::k3s_config(scenario, &issuer),
            false,
        )?;
        let kube_options = KubeSandboxOptions::new(Distribution::K3s)
            .with_node_root(files.node_root.clone())
            .with_latency(options.latency);
        let kube = KubeSandbox::start_with_ca(kube_options, &ca).await?;
        scenario::seed_application(&kube)?;
        let azure_options = AzureSandboxOptions {
            principal_replication_delay: PRINCIPAL_REPLICATION,
            credential_propagation: options.entra_propagation,
            ..AzureSandboxOptions::default()
        }
        .with_storage_account(RESOURCE_GROUP, STORAGE_ACCOUNT, false)
        .with_cosmos_account(RESOURCE_GROUP, COSMOS_ACCOUNT)
        .with_custom_role(CustomRole::new(
            CUSTOM_ROLE,
            "Reads the settings of application1 in App Configuration.",
            &["Microsoft.AppConfiguration/configurationStores/read"],
            &["Microsoft.AppConfiguration/configurationStores/*/read"],
        ))
        .with_extra_ca_pem(ca.certificate_pem())
        .with_latency(options.latency);
        let azure = AzureSandbox::start_with_ca(azure_options, &ca).await?;
        let setup = Setup {
            kube: &kube,
            azure: &azure,
            site: &files.site,
            issuer: &issuer,
        };
        setup.run(scenario)?;
        let login = azure.admin_login().clone();
        let sandbox = Sandbox {
            scenario,
            files,
            issuer,
            login,
            kube,
            azure,
            static_host,
        };
        sandbox.write_files(&ca)?;
        Ok(sandbox)
    }

    fn write_files(&self, ca: &SandboxCa) -> Result<(), SandboxError> {
        let files = &self.files;
        write_file(&files.ca, &ca.certificate_pem(), false)?;
        write_file(
            &files.kubeconfig,
            &self.kube.kubeconfig_with_context(CONTEXT),
            true,
        )?;
        write_file(&files.env, &self.env_text(), true)?;
        self.write_azure_cli_config()?;
        let values = ProfileValues {
            scenario: self.scenario,
            context: CONTEXT,
            node_root: &files.node_root,
            issuer: &self.issuer,
            site: &files.site,
            resource_manager: &self.azure.resource_manager_url(),
            authority_host: &self.azure.authority_host(),
            tenant: self.azure.tenant_id(),
            subscription: self.azure.subscription_id(),
        };
        write_file(&files.profile, &profile_yaml(&values), false)
    }

    /// The Azure CLI's files for the sandbox as the active cloud. Formats as the CLI writes
    /// them (azure-cli-core `cloud.py`: `[cloud] name` in `config`, `endpoint_<name>` keys in
    /// `clouds.config`; `azureProfile.json`'s subscription list).
    fn write_azure_cli_config(&self) -> Result<(), SandboxError> {
        let dir = &self.files.azure_config;
        let manager = self.azure.resource_manager_url();
        let graph = format!("{}/graph/", manager.trim_end_matches('/'));
        write_file(
            &dir.join("config"),
            "[cloud]\nname = kwif-sandbox\n\n[defaults]\ngroup = rg-application1\nlocation = westeurope\n",
            false,
        )?;
        write_file(
            &dir.join("clouds.config"),
            &format!(
                "[kwif-sandbox]\nendpoint_resource_manager = {manager}\nendpoint_active_directory = {}\n\
                 endpoint_microsoft_graph_resource_id = {graph}\n",
                self.azure.authority_host()
            ),
            false,
        )?;
        let profile = serde_json::json!({
            "installationId": "00000000-0000-4000-8000-00000000cafe",
            "subscriptions": [{
                "id": self.azure.subscription_id(),
                "name": "kwif sandbox",
                "state": "Enabled",
                "user": {"name": self.login.client_id, "type": "servicePrincipal"},
                "isDefault": true,
                "tenantId": self.azure.tenant_id(),
                "environmentName": "kwif-sandbox",
            }]
        });
        write_file(&dir.join("azureProfile.json"), &profile.to_string(), false)
    }

    /// `export` lines, values single-quoted, for `. D/env` in a POSIX shell.
    fn env_text(&self) -> String {
        let variables = [
            ("KUBECONFIG", self.files.kubeconfig.display().to_string()),
            ("SSL_CERT_FILE", self.files.ca.display().to_string()),
            ("AZURE_TENANT_ID", self.login.tenant_id.clone()),
            ("AZURE_CLIENT_ID", self.login.client_id.clone()),
            ("AZURE_CLIENT_SECRET", self.login.client_secret.clone()),
            (
                "AZURE_CONFIG_DIR",
                self.files.azure_config.display().to_string(),
            ),
        ];
        let mut text = format!(
            "# kwif sandbox (scenario {}): source this file to point kubectl, kwif and the Azure SDKs at it\n",
            self.scenario
        );
        for (name, value) in variables {
            text.push_str(&format!("export {name}={}\n", single_quoted(&value)));
        }
        text
    }

    pub fn scenario(&self) -> Scenario {
        self.scenario
    }

    pub fn files(&self) -> &SandboxFiles {
        &self.files
    }

    /// The administrator's client-secret login (Owner of the subscription).
    pub fn login(&self) -> &ServicePrincipalLogin {
        &self.login
    }

    /// The issuer the profile names: `https://127.0.0.1:PORT/cluster1` on the static host.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn kube(&self) -> &KubeSandbox {
        &self.kube
    }

    pub fn azure(&self) -> &AzureSandbox {
        &self.azure
    }

    pub fn static_host(&self) -> &StaticHost {
        &self.static_host
    }

    /// The resource id of the seeded Cosmos DB account `cosmos1` in `rg-application1`, for a
    /// profile's `cosmosDataRole` (the scenario's profile names none).
    pub fn cosmos_account_id(&self) -> String {
        scenario::cosmos_account_id(self.azure.subscription_id())
    }

    /// Stops the three servers and waits until they no longer listen; the files stay.
    pub async fn shutdown(self) {
        self.kube.stop().await;
        self.azure.stop().await;
        self.static_host.stop().await;
    }
}

/// Starts a sandbox, hands it to `ready` (to print where its files are), then serves until
/// Ctrl-C or SIGTERM and shuts down. Its state lives as long as the process, so commands in
/// other shells see each other's changes.
pub async fn serve(
    options: SandboxOptions,
    ready: impl FnOnce(&Sandbox),
) -> Result<(), SandboxError> {
    // Listen before `ready` says the sandbox is up, so a signal sent right after is not missed.
    let termination = Termination::listen()?;
    serve_until(options, ready, termination.wait()).await
}

/// Like [`serve`], until `stop` completes instead of a signal.
pub async fn serve_until<F>(
    options: SandboxOptions,
    ready: impl FnOnce(&Sandbox),
    stop: F,
) -> Result<(), SandboxError>
where
    F: Future<Output = Result<(), SandboxError>>,
{
    let sandbox = Sandbox::start(options).await?;
    ready(&sandbox);
    let stopped = stop.await;
    sandbox.shutdown().await;
    stopped
}

/// Ctrl-C (SIGINT) and SIGTERM, listened for from creation on.
struct Termination {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Termination {
    #[cfg(unix)]
    fn listen() -> Result<Termination, SandboxError> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Termination {
            interrupt: signal(SignalKind::interrupt()).map_err(SandboxError::Signal)?,
            terminate: signal(SignalKind::terminate()).map_err(SandboxError::Signal)?,
        })
    }

    #[cfg(not(unix))]
    fn listen() -> Result<Termination, SandboxError> {
        Ok(Termination {})
    }

    #[cfg(unix)]
    async fn wait(mut self) -> Result<(), SandboxError> {
        tokio::select! {
            _ = self.interrupt.recv() => Ok(()),
            _ = self.terminate.recv() => Ok(()),
        }
    }

    #[cfg(not(unix))]
    async fn wait(self) -> Result<(), SandboxError> {
        tokio::signal::ctrl_c().await.map_err(SandboxError::Signal)
    }
}

/// The directory, created when missing, as an absolute path.
fn prepare_directory(dir: &Path) -> Result<PathBuf, SandboxError> {
    let failed = |error| SandboxError::Files(dir.display().to_string(), error);
    std::fs::create_dir_all(dir).map_err(failed)?;
    dir.canonicalize().map_err(failed)
}

/// Removes what an earlier run left in the paths the sandbox owns, so a fresh scenario is fresh.
fn clear_previous_run(files: &SandboxFiles) -> Result<(), SandboxError> {
    let k3s_config = files.k3s_config();
    let owned = [
        Some(files.site.join("cluster1")),
        k3s_config.parent().map(Path::to_path_buf),
    ];
    for path in owned.into_iter().flatten() {
        if path.is_dir() {
            std::fs::remove_dir_all(&path)
                .map_err(|error| SandboxError::Files(path.display().to_string(), error))?;
        }
    }
    for directory in [&files.site, &files.node_root] {
        std::fs::create_dir_all(directory)
            .map_err(|error| SandboxError::Files(directory.display().to_string(), error))?;
    }
    Ok(())
}

/// Writes `text` to `path` (parents created); `private` files are readable by their owner only.
fn write_file(path: &Path, text: &str, private: bool) -> Result<(), SandboxError> {
    let failed = |error| SandboxError::Files(path.display().to_string(), error);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(failed)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    }
    let mut file = options.open(path).map_err(failed)?;
    #[cfg(unix)]
    if private {
        // A file left by an earlier run keeps its mode on open: set it again.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(failed)?;
    }
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(failed)
}

/// A POSIX shell word for `text`: single quotes, each `'` written as `'\''`.
fn single_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_survive_quotes() {
        assert_eq!(single_quoted("/a b/c"), "'/a b/c'");
        assert_eq!(single_quoted("it's"), "'it'\\''s'");
    }
}
