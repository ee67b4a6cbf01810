//! The `kwif` command line: parses arguments (clap), runs the chosen command over the library,
//! and turns results into output and exit codes (0 ok, 1 findings, 2 bad usage or input).
//! No step logic lives here.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

mod cli;
mod destroy;

use kwif::demo::Demo;
use kwif::engine::render::{
    render_json, render_plans_json, render_plans_text, render_plans_yaml, render_text,
};
use kwif::engine::{Plan, ProgressSink, Report, Runner, StepId};
use kwif::profile::{Profile, ProfileError};
use kwif::session::{self, Environment};

use crate::cli::args::{
    Cli, Command, GlobalArgs, PlanFormat, ReportFormat, SandboxCommand, Scenario, Target,
    TokenCommand,
};
use crate::cli::tools::{
    discovery, doctor, explain, export, init, jwks, snippet, token_decode, write_stdout,
};
use crate::cli::wizard::{demo_wizard, sandbox_serve, wizard, wizard_runtime};

/// A failure the user can fix: printed as `error: …` and exit 2.
struct UsageError(String);

impl<E: std::fmt::Display> From<E> for UsageError {
    fn from(error: E) -> Self {
        UsageError(error.to_string())
    }
}

type Outcome = Result<ExitCode, UsageError>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    kwif::network::set_verbose(cli.global.verbose > 0);
    if cli.global.no_color {
        anstream::ColorChoice::Never.write_global();
    }
    match run(cli) {
        Ok(code) => code,
        Err(UsageError(message)) => {
            let style = anstyle::Style::new()
                .fg_color(Some(anstyle::AnsiColor::Red.into()))
                .bold();
            let _ = writeln!(anstream::stderr(), "{style}error:{style:#} {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Outcome {
    let Some(command) = cli.command else {
        return wizard(&cli.global);
    };
    match command {
        Command::Doctor {
            issuer,
            token,
            audience,
            ca_files,
            output,
        } => doctor(
            &issuer,
            token.as_deref(),
            &audience,
            &ca_files,
            output,
            cli.global.timeouts(),
        ),
        Command::Jwks { keys, output } => jwks(&keys, output.as_deref()),
        Command::Discovery { issuer, jwks_uri } => discovery(&issuer, jwks_uri.as_deref()),
        Command::Token {
            command: TokenCommand::Decode { file },
        } => token_decode(&file),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "kwif", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { code } => explain(&code),
        Command::Init(args) => init(&args, &cli.global),
        Command::Snippet {
            target,
            language,
            service,
        } => snippet(&target, language, service, &cli.global),
        Command::Export { target, out, azure } => export(&target, &out, azure, &cli.global),
        Command::Demo {
            scenario,
            propagation_delay,
        } => demo_wizard(scenario, propagation_delay, &cli.global),
        Command::Sandbox {
            command:
                SandboxCommand::Serve {
                    dir,
                    scenario,
                    latency_ms,
                    propagation_delay,
                },
        } => sandbox_serve(&dir, scenario, latency_ms, propagation_delay),
        Command::Check { target, output } => check(&target, &cli.global, output),
        Command::Plan { target, output } => plan(&target, &cli.global, output),
        Command::Apply {
            target,
            yes,
            steps,
            output,
        } => apply(&target, &cli.global, yes, &steps, output),
        Command::Destroy {
            target,
            yes,
            steps,
            keep_identity,
            output,
        } => destroy::destroy(
            &destroy::DestroyArgs {
                target: &target,
                yes,
                steps: &steps,
                keep_identity,
                output,
            },
            &cli.global,
        ),
        Command::ClusterConfig {
            distribution,
            issuer,
            file,
            keep_issuer,
            jwks_uri,
        } => {
            let text = kwif::distro::cluster_config(
                distribution,
                &issuer,
                file.as_deref(),
                keep_issuer.as_deref(),
                jwks_uri.as_deref(),
            )?;
            write_stdout(&text)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Screenshots { out } => {
            let progress = Progress::show("running the demo scenarios…");
            let written = wizard_runtime()?.block_on(kwif::screenshots::write_all(&out))?;
            drop(progress);
            for path in written {
                write_stdout(&format!("{}\n", path.display()))?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A run's steps over its profile; on the demo, the sandbox lives as long as the run.
struct Session {
    runner: Runner,
    profile: Profile,
    /// The embedded sandbox with `--demo`; its servers live as long as the session.
    demo: Option<Demo>,
}

/// Loads the profile and builds every step's clients (kwif::session); a client that cannot be
/// made becomes an error finding of the steps that need it, never a crash.
async fn session_for(target: &Target, global: &GlobalArgs) -> Result<Session, UsageError> {
    if target.demo {
        return demo_session(target.scenario.unwrap_or(Scenario::Fresh), global).await;
    }
    let profile = load_profile(&target.profile, global)?;
    let runner = session::runner(&profile, &environment(global)).await;
    Ok(Session {
        runner,
        profile,
        demo: None,
    })
}

/// This machine's environment, with the global flags.
fn environment(global: &GlobalArgs) -> Environment {
    Environment {
        timeouts: global.timeouts(),
        ..Environment::from_process(global.kubeconfig.clone(), global.context.clone())
    }
}

fn load_profile(path: &Path, global: &GlobalArgs) -> Result<Profile, UsageError> {
    let mut profile = Profile::load(path).map_err(|error| match &error {
        ProfileError::Read { .. } => UsageError(format!(
            "{error}\nRun `kwif` in a terminal to create it, see the example in README.md, or pass --profile FILE."
        )),
        ProfileError::Input(_) => UsageError(error.to_string()),
        _ => UsageError(format!("{} is not a valid profile:\n{error}", path.display())),
    })?;
    if let Some(subscription) = &global.subscription {
        let parsed = uuid::Uuid::try_parse(subscription).map_err(|_| {
            UsageError(format!("--subscription {subscription:?} is not a subscription id (a GUID): see `az account list`"))
        })?;
        profile.azure.subscription = Some(parsed);
    }
    Ok(profile)
}

/// A session on the embedded sandbox: no cluster, no Azure account, nothing outside loopback.
async fn demo_session(scenario: Scenario, global: &GlobalArgs) -> Result<Session, UsageError> {
    let progress = Progress::show(&format!(
        "starting the sandbox ({})…",
        scenario.sandbox().as_str()
    ));
    let mut demo = Demo::start(scenario.sandbox())
        .await
        .map_err(|error| UsageError(format!("the demo could not start: {error}")))?;
    demo.environment.timeouts = global.timeouts();
    let runner = demo.runner().await;
    drop(progress);
    let profile = demo.profile.clone();
    Ok(Session {
        runner,
        profile,
        demo: Some(demo),
    })
}

/// Writes the identity's ids the run learned into the profile file, so the next run and the
/// workload's `AZURE_CLIENT_ID` know them.
fn save_learned_ids(session: &Session, path: &Path) {
    if session.demo.is_some() {
        return;
    }
    let Some(profile) = session::with_learned_ids(&session.profile, &session.runner.learned())
    else {
        return;
    };
    let note = match std::fs::write(path, profile.to_yaml()) {
        Ok(()) => format!(
            "saved the identity's client and principal ids into {}",
            path.display()
        ),
        Err(error) => format!(
            "could not save the identity's ids into {}: {error}",
            path.display()
        ),
    };
    let _ = writeln!(anstream::stderr(), "{note}");
}

fn print_report(report: &Report, output: ReportFormat) -> Result<(), UsageError> {
    match output {
        ReportFormat::Text => write_stdout(&render_text(report, None)),
        ReportFormat::Json => write_stdout(&(render_json(report) + "\n")),
    }
}

fn check(target: &Target, global: &GlobalArgs, output: ReportFormat) -> Outcome {
    let runtime = runtime()?;
    let session = runtime.block_on(session_for(target, global))?;
    let runner = session.runner.with_fact(countdown_on_stderr());
    let progress = Progress::show("checking every step…");
    let report = runtime.block_on(runner.check_all());
    drop(progress);
    print_report(&report, output)?;
    Ok(ExitCode::from(report.exit_code()))
}

fn plan(target: &Target, global: &GlobalArgs, output: PlanFormat) -> Outcome {
    let runtime = runtime()?;
    let session = runtime.block_on(session_for(target, global))?;
    let progress = Progress::show("planning every step…");
    let results = runtime.block_on(session.runner.plan_all());
    drop(progress);
    let mut plans = Vec::new();
    let mut failures = Vec::new();
    for (step, result) in results {
        match result {
            Ok(plan) => plans.push(plan),
            Err(error) => failures.push(format!(
                "{step}: cannot plan: {} (fix: {})",
                error.message, error.fix
            )),
        }
    }
    let text = match output {
        PlanFormat::Text => render_plans_text(&plans),
        PlanFormat::Json => render_plans_json(&plans) + "\n",
        PlanFormat::Yaml => render_plans_yaml(&plans),
    };
    write_stdout(&text)?;
    for failure in &failures {
        let _ = writeln!(anstream::stderr(), "{failure}");
    }
    let changes = plans.iter().any(|plan| !plan.is_empty());
    Ok(ExitCode::from(u8::from(changes || !failures.is_empty())))
}

fn apply(
    target: &Target,
    global: &GlobalArgs,
    yes: bool,
    steps: &[StepId],
    output: ReportFormat,
) -> Outcome {
    use std::io::IsTerminal;
    let interactive = std::io::stdin().is_terminal();
    if !yes && !interactive {
        return Err(UsageError(
            "apply changes nothing without a yes: pass --yes, or run it in a terminal to confirm each step".into(),
        ));
    }
    let runtime = runtime()?;
    let mut session = runtime.block_on(session_for(target, global))?;
    session.runner = session
        .runner
        .select(steps)
        .with_fact(countdown_on_stderr());
    let outcome = runtime.block_on(session.runner.apply_all(|plan| {
        show_and_confirm(
            plan,
            output,
            yes,
            &format!("apply the {} step? [y/N] ", plan.step),
        )
    }));
    if let Some(step) = outcome.declined {
        let _ = writeln!(
            anstream::stderr(),
            "stopped: the {step} step was not applied (nothing after it either)"
        );
    }
    if let Some((step, error)) = &outcome.failed {
        let _ = writeln!(
            anstream::stderr(),
            "the {step} step failed: {}\nfix: {}",
            error.message,
            error.fix
        );
    }
    save_learned_ids(&session, &target.profile);
    print_report(&outcome.report, output)?;
    let stopped = outcome.declined.is_some() || outcome.failed.is_some();
    Ok(ExitCode::from(
        outcome.report.exit_code().max(u8::from(stopped)),
    ))
}

/// Shows `plan` as a diff, then asks `question` unless `yes`. The diff always comes before the
/// change; with JSON output it goes to stderr so that stdout stays one JSON document.
fn show_and_confirm(plan: &Plan, output: ReportFormat, yes: bool, question: &str) -> bool {
    let diff = render_plans_text(std::slice::from_ref(plan));
    if output == ReportFormat::Text {
        let _ = write_stdout(&diff);
    } else {
        let _ = write!(anstream::stderr(), "{diff}");
    }
    yes || confirm(question)
}

/// Asks a yes/no question on the terminal; anything but `y`/`yes` is a no.
fn confirm(question: &str) -> bool {
    let _ = write!(std::io::stderr(), "{question}");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).is_ok() && matches!(answer.trim(), "y" | "Y" | "yes")
}

/// Where a step's waits go on the command line: on a terminal one line rewritten in place
/// ("verify: waiting for Entra to see the credential: 42 s left"); otherwise a line when the
/// wait starts and one every 10 s, so logs show it without a line per second.
fn countdown_on_stderr() -> ProgressSink {
    use std::io::IsTerminal;
    let terminal = std::io::stderr().is_terminal();
    let last: std::sync::Mutex<Option<(String, std::time::Instant)>> = Default::default();
    ProgressSink::new(move |event| {
        let line = format!("{}: {event}", event.step);
        if terminal {
            let _ = write!(std::io::stderr(), "\r\x1b[2K{line}");
            return;
        }
        let mut last = last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let due = match last.as_ref() {
            Some((waiting_for, at)) => {
                *waiting_for != event.waiting_for
                    || at.elapsed() >= std::time::Duration::from_secs(10)
            }
            None => true,
        };
        if due {
            let _ = writeln!(std::io::stderr(), "{line}");
            *last = Some((event.waiting_for.clone(), std::time::Instant::now()));
        }
    })
}

/// A one-line "working on it" note on standard error while something slow runs, erased when
/// done; only on a terminal, so pipes and logs stay clean.
struct Progress {
    shown: bool,
}

impl Progress {
    fn show(message: &str) -> Progress {
        use std::io::IsTerminal;
        let shown = std::io::stderr().is_terminal();
        if shown {
            let _ = write!(std::io::stderr(), "{message}");
        }
        Progress { shown }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if self.shown {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, UsageError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| UsageError(format!("cannot start the async runtime: {error}")))
}
