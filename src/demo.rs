//! `kwif demo` and `--demo`: the sandbox (crates/kwif-sandbox) started in a private directory,
//! its endpoints handed to the one wiring (`kwif::session`) as an environment. Nothing else
//! differs from a real run: the same profile loader, the same clients, the same steps.

use std::path::{Path, PathBuf};

use kwif_sandbox::{Sandbox, SandboxOptions};

use crate::azure::credential::ServicePrincipalSecret;
use crate::azure::session::AzureLogin;
use crate::engine::Runner;
use crate::profile::Profile;
use crate::session::{self, Environment};

pub use kwif_sandbox::Scenario;

/// Why the demo could not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the sandbox: {0}")]
    Sandbox(#[from] kwif_sandbox::SandboxError),
    #[error("the demo's directory: {0}")]
    Workspace(#[from] std::io::Error),
    #[error("the sandbox's profile {path} is not valid: {error}")]
    Profile { path: PathBuf, error: String },
}

/// A running demo: the sandbox, the profile it wrote, and the environment that points at it.
pub struct Demo {
    pub profile: Profile,
    pub environment: Environment,
    sandbox: Sandbox,
    _directory: tempfile::TempDir,
}

impl Demo {
    /// Starts the sandbox for `scenario` in a fresh private directory. Needs a tokio runtime.
    pub async fn start(scenario: Scenario) -> Result<Demo, DemoError> {
        Demo::start_with(scenario, std::time::Duration::ZERO).await
    }

    /// Like [`Demo::start`], with an Entra ID that ignores a new federated credential for
    /// `propagation` (AADSTS70021), as the real one does: verify counts down.
    pub async fn start_with(
        scenario: Scenario,
        propagation: std::time::Duration,
    ) -> Result<Demo, DemoError> {
        let directory = tempfile::Builder::new().prefix("kwif-demo-").tempdir()?;
        let mut options = SandboxOptions::new(directory.path());
        options.scenario = scenario;
        options.entra_propagation = propagation;
        let sandbox = Sandbox::start(options).await?;
        let path = &sandbox.files().profile;
        let profile = Profile::load(path).map_err(|error| DemoError::Profile {
            path: path.clone(),
            error: error.to_string(),
        })?;
        Ok(Demo {
            profile,
            environment: environment_of(&sandbox),
            sandbox,
            _directory: directory,
        })
    }

    /// The steps of the demo's profile, exactly as a real run builds them.
    pub async fn runner(&self) -> Runner {
        session::runner(&self.profile, &self.environment).await
    }

    pub fn scenario(&self) -> Scenario {
        self.sandbox.scenario()
    }

    /// The profile file the sandbox wrote (the wizard saves learned ids into it).
    pub fn profile_path(&self) -> &Path {
        &self.sandbox.files().profile
    }

    /// Stops the sandbox's servers; its directory goes with the demo.
    pub async fn shutdown(self) {
        self.sandbox.shutdown().await;
    }

    /// The sandbox itself, for tests and screenshots that look behind the endpoints.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }
}

/// What a real run needs to reach `sandbox`: its kubeconfig, its service principal's secret and
/// its CA. The same values `kwif sandbox serve` writes into `D/env` for another shell.
pub fn environment_of(sandbox: &Sandbox) -> Environment {
    let files = sandbox.files();
    let login = sandbox.login();
    Environment {
        kubeconfig: Some(files.kubeconfig.clone()),
        context: None,
        login: AzureLogin::ServicePrincipal(ServicePrincipalSecret {
            tenant: login.tenant_id.clone(),
            client_id: login.client_id.clone(),
            secret: login.client_secret.clone(),
        }),
        ca_files: vec![files.ca.clone()],
        timeouts: crate::network::Timeouts::default(),
    }
}
