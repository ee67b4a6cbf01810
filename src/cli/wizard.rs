//! The interactive front ends: `kwif` (first run included), `kwif demo` and `kwif sandbox serve`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use std::sync::Arc;

use kwif::demo::Demo;
use kwif::discover::EnvironmentDiscovery;
use kwif::profile::Profile;
use kwif::session::{self, Environment};
use kwif::tui::{SetupDefaults, StartFuture, Started, StepFactory, StepSet, WizardConfig};

use crate::cli::args::{GlobalArgs, ReportFormat, Scenario, Target};
use crate::cli::tools::write_stdout;
use crate::{Outcome, UsageError, check, environment, load_profile};

pub(crate) fn interactive() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal() && std::io::stdout().is_terminal()
}

pub(crate) fn wizard_runtime() -> Result<tokio::runtime::Runtime, UsageError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| UsageError(format!("cannot start the async runtime: {error}")))
}

/// `kwif demo`: the wizard on the embedded sandbox. Without a terminal it prints the check
/// table instead of waiting for keys that never come.
pub(crate) fn demo_wizard(
    scenario: Scenario,
    propagation_delay: std::time::Duration,
    global: &GlobalArgs,
) -> Outcome {
    if !interactive() {
        let target = Target {
            profile: PathBuf::from("kwif.yaml"),
            demo: true,
            scenario: Some(scenario),
        };
        return check(&target, global, ReportFormat::Text);
    }
    let runtime = wizard_runtime()?;
    runtime.block_on(async {
        // The first frame comes at once; the sandbox starts behind it, kept here until the end.
        let running: Arc<tokio::sync::Mutex<Option<Demo>>> = Arc::default();
        let keep = running.clone();
        let timeouts = global.timeouts();
        let start: StartFuture = Box::pin(async move {
            let mut demo = Demo::start_with(scenario.sandbox(), propagation_delay)
                .await
                .map_err(|error| format!("the demo could not start: {error}"))?;
            demo.environment.timeouts = timeouts;
            let started = started(
                &demo.profile,
                demo.profile_path().to_path_buf(),
                demo.environment.clone(),
            )
            .await;
            *keep.lock().await = Some(demo);
            Ok(started)
        });
        let title = format!("kwif demo — scenario {}", scenario.sandbox().as_str());
        let code = run_wizard(title, None, global, start).await;
        if let Some(demo) = running.lock().await.take() {
            demo.shutdown().await;
        }
        code
    })
}

/// What the wizard gets once its steps exist: the same for a real run and the demo.
pub(crate) async fn started(profile: &Profile, path: PathBuf, environment: Environment) -> Started {
    let steps = session::runner(profile, &environment).await.into_steps();
    let rebuild_in = environment.clone();
    let factory: StepFactory = Arc::new(move |profile: Profile| {
        let environment = rebuild_in.clone();
        Box::pin(async move { Ok(session::runner(&profile, &environment).await.into_steps()) })
    });
    let discovery = EnvironmentDiscovery::new(environment, Some(&profile.azure));
    Started {
        steps: StepSet(steps),
        profile: Some(Box::new(profile.clone())),
        profile_path: Some(path),
        step_factory: Some(factory),
        discovery: Some(Arc::new(discovery)),
    }
}

/// The wizard: its first frame at once, the steps from `start` behind it.
pub(crate) async fn run_wizard(
    title: String,
    profile: Option<&Profile>,
    global: &GlobalArgs,
    start: StartFuture,
) -> Outcome {
    let color = !global.no_color && std::env::var_os("NO_COLOR").is_none();
    let mut config = WizardConfig::new(title)
        .with_color(color)
        .with_step_deadline(global.timeouts().step);
    if let Some(profile) = profile {
        config = config.with_profile(profile.clone());
    }
    let outcome = kwif::tui::run_deferred(config, start)
        .await
        .map_err(|error| UsageError(format!("the terminal: {error}")))?;
    Ok(ExitCode::from(outcome.exit_code()))
}

/// `kwif sandbox serve`: the sandbox in the foreground until Ctrl-C or SIGTERM.
pub(crate) fn sandbox_serve(
    dir: &Path,
    scenario: Scenario,
    latency_ms: u64,
    propagation_delay: std::time::Duration,
) -> Outcome {
    let mut options = kwif_sandbox::SandboxOptions::new(dir);
    options.scenario = scenario.sandbox();
    options.latency = std::time::Duration::from_millis(latency_ms);
    options.entra_propagation = propagation_delay;
    let runtime = wizard_runtime()?;
    runtime.block_on(kwif_sandbox::serve(options, |sandbox| {
        let files = sandbox.files();
        let _ = writeln!(
            anstream::stderr(),
            "sandbox ({}) on loopback: kube-apiserver {}, Resource Manager and Entra ID {}, static host {}\n\
             Ctrl-C stops it; its files stay in {}",
            sandbox.scenario().as_str(),
            sandbox.kube().url(),
            sandbox.azure().resource_manager_url(),
            sandbox.issuer(),
            dir.display(),
        );
        let _ = write_stdout(&format!(
            "ready: . {} && kwif check --profile {}\n",
            shell_word(&files.env),
            shell_word(&files.profile)
        ));
    }))
    .map_err(|error| UsageError(format!("the sandbox: {error}")))?;
    Ok(ExitCode::SUCCESS)
}

/// A path as one shell word: quoted only when it needs to be.
pub(crate) fn shell_word(path: &Path) -> String {
    let text = path.display().to_string();
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:@%,".contains(c))
    {
        text
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// Bare `kwif`: the wizard on ./kwif.yaml, created by the first-run form when missing.
pub(crate) fn wizard(global: &GlobalArgs) -> Outcome {
    let path = PathBuf::from("kwif.yaml");
    if !interactive() {
        if !path.exists() {
            return Err(UsageError(
                "no kwif.yaml here and no terminal to ask for one: run `kwif` in a terminal, or `kwif demo`".into(),
            ));
        }
        let target = Target {
            profile: path,
            demo: false,
            scenario: None,
        };
        return check(&target, global, ReportFormat::Text);
    }
    let runtime = wizard_runtime()?;
    runtime.block_on(async {
        let profile = if path.exists() {
            load_profile(&path, global)?
        } else {
            let defaults = first_run_defaults(global);
            let discovery = EnvironmentDiscovery::in_cloud(
                environment(global),
                kwif::azure::cli_config::CliConfig::read()
                    .cloud
                    .unwrap_or_default(),
                defaults
                    .tenant
                    .as_deref()
                    .and_then(|tenant| uuid::Uuid::try_parse(tenant).ok()),
            );
            let config = WizardConfig::new("kwif — first run: describe your setup".to_string())
                .with_profile_path(path.clone())
                .with_discovery(Arc::new(discovery));
            let created = kwif::tui::run_setup(defaults, &config)
                .await
                .map_err(|error| UsageError(format!("the terminal: {error}")))?;
            match created {
                Some(result) => result.profile,
                None => {
                    let _ = writeln!(
                        anstream::stderr(),
                        "nothing written: run `kwif` again when ready"
                    );
                    return Ok(ExitCode::SUCCESS);
                }
            }
        };
        let title = format!("kwif — {}", path.display());
        let start: StartFuture = {
            let (profile, environment) = (profile.clone(), environment(global));
            Box::pin(async move { Ok(started(&profile, path, environment).await) })
        };
        run_wizard(title, Some(&profile), global, start).await
    })
}

/// What the first-run form starts from: the kubeconfig's current context and the Azure CLI's
/// login, cloud and `[defaults]` (files only: nothing here waits on a process or the network).
pub(crate) fn first_run_defaults(global: &GlobalArgs) -> SetupDefaults {
    let cli = kwif::azure::cli_config::CliConfig::read();
    let account = kwif::azure::credential::cli_profile_account();
    SetupDefaults {
        context: current_context(global),
        tenant: account.as_ref().map(|account| account.tenant.to_string()),
        subscription: global.subscription.clone().or_else(|| {
            account
                .as_ref()
                .map(|account| account.subscription.to_string())
        }),
        resource_group: cli.resource_group,
        location: cli.location,
        custom_cloud: cli.custom_endpoints,
        ..Default::default()
    }
}

/// The kubeconfig's current context, offered as the form's default.
pub(crate) fn current_context(global: &GlobalArgs) -> Option<String> {
    if let Some(context) = &global.context {
        return Some(context.clone());
    }
    let kubeconfig = match &global.kubeconfig {
        Some(path) => kube::config::Kubeconfig::read_from(path).ok()?,
        None => kube::config::Kubeconfig::read().ok()?,
    };
    kubeconfig.current_context
}
