//! The one-shot commands over the library: doctor, init, export, snippet, explain, jwks,
//! discovery and token decode.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use kwif::demo::Demo;
use kwif::engine::render::{render_json, render_text};
use kwif::engine::{Check, Report, StepId};
use kwif::input::InputKind;
use kwif::oidc::doctor::{Doctor, Examination};
use kwif::oidc::fetch::Fetcher;
use kwif::oidc::issuer::{IssuerUrl, jwks_uri_problem, shown};
use kwif::oidc::jwt::Jwt;
use kwif::profile::Profile;

use crate::cli::args::{
    ExportAzure, GlobalArgs, InitArgs, ReportFormat, Scenario, SnippetLanguage, SnippetService,
    Target,
};
use crate::cli::wizard::{current_context, shell_word};
use crate::{Outcome, Progress, UsageError, environment, load_profile, runtime};

pub(crate) fn doctor(
    issuer: &str,
    token_file: Option<&Path>,
    audience: &str,
    ca_files: &[PathBuf],
    output: ReportFormat,
    timeouts: kwif::network::Timeouts,
) -> Outcome {
    let token = token_file
        .map(|path| read_input(path, "--token"))
        .transpose()?;
    let fetcher = Fetcher::with_timeouts(ca_files, timeouts)?;
    let exam = Examination {
        issuer,
        token: token.as_deref(),
        audience,
        now: SystemTime::now(),
    };
    let progress = Progress::show(&format!("checking {issuer} as Entra ID would…"));
    let findings = runtime()?.block_on(Doctor::new(fetcher).examine(&exam));
    drop(progress);
    let findings = findings?;
    let report = Report::single(StepId::Hosting, Check::from_findings(findings, false));
    let text = match output {
        ReportFormat::Text => render_text(&report, Some(issuer)),
        ReportFormat::Json => render_json(&report) + "\n",
    };
    write_stdout(&text)?;
    Ok(ExitCode::from(report.exit_code()))
}

/// `kwif init`: kwif.yaml from flags, with what the kubeconfig and the Azure CLI say.
pub(crate) fn init(args: &InitArgs, global: &GlobalArgs) -> Outcome {
    if args.profile.exists() && !args.force {
        return Err(UsageError(format!(
            "--profile {}: the file exists; pass --force to overwrite it",
            args.profile.display()
        )));
    }
    let flags = kwif::init::InitFlags {
        issuer: args.issuer.clone(),
        workloads: args.workloads.clone(),
        identity: args.identity.clone(),
        roles: args.roles.clone(),
        cosmos_roles: args.cosmos_roles.clone(),
        hosting: args.hosting.clone(),
        nginx_host: args.nginx_host.clone(),
        ingress_class: args.ingress_class.clone(),
        cluster_issuer: args.cluster_issuer.clone(),
        nginx_namespace: args.nginx_namespace.clone(),
        storage_account: args.storage_account.clone(),
        container: args.container.clone(),
        blob_mode: args.blob_mode.clone(),
        blob_resource_group: args.blob_resource_group.clone(),
        directory: args.directory.clone(),
        resource_group: args.resource_group.clone(),
        location: args.location.clone(),
        subscription: global.subscription.clone(),
        tenant: args.tenant.clone(),
        cloud: args.cloud.clone(),
        resource_manager: args.resource_manager.clone(),
        authority_host: args.authority_host.clone(),
        audience: args.audience.clone(),
        context: global.context.clone(),
        distribution: args.distribution.clone(),
        node_root: args.node_root.clone(),
    };
    let mut ambient = kwif::init::Ambient {
        context: current_context(&GlobalArgs {
            context: None,
            ..global.clone()
        }),
        ..Default::default()
    };
    if args.tenant.is_none() || global.subscription.is_none() {
        ambient.cli_account = runtime()?
            .block_on(kwif::azure::credential::cli_account())
            .ok();
    }
    ambient.read_cli_defaults();
    let made = kwif::init::build(&flags, &ambient).map_err(|error| error.to_string())?;
    let text = made.profile.to_yaml();
    std::fs::write(&args.profile, text).map_err(|error| {
        format!(
            "--profile {}: cannot write it ({error})",
            args.profile.display()
        )
    })?;
    for default in &made.defaults {
        let _ = writeln!(anstream::stderr(), "default: {default}");
    }
    let profile = shell_word(&args.profile);
    write_stdout(&format!(
        "wrote {profile}\nnext: kwif check --profile {profile}\n"
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// `kwif export`: the hand-off to GitOps and Terraform.
pub(crate) fn export(
    target: &Target,
    out: &Path,
    azure: ExportAzure,
    global: &GlobalArgs,
) -> Outcome {
    let terraform = azure == ExportAzure::Terraform;
    let runtime = runtime()?;
    let progress = Progress::show("reading the cluster and Azure…");
    let made = runtime.block_on(async {
        if target.demo {
            let scenario = target.scenario.unwrap_or(Scenario::Fresh).sandbox();
            let mut demo = Demo::start(scenario)
                .await
                .map_err(|error| UsageError(format!("the demo could not start: {error}")))?;
            demo.environment.timeouts = global.timeouts();
            // The demo's profile goes with it: README.md names `--demo` instead.
            let made =
                kwif::export::export(&demo.profile, &demo.environment, terraform, "--demo").await;
            demo.shutdown().await;
            Ok::<_, UsageError>(made)
        } else {
            let profile = load_profile(&target.profile, global)?;
            let flags = format!("--profile {}", shell_word(&target.profile));
            Ok(kwif::export::export(&profile, &environment(global), terraform, &flags).await)
        }
    })?;
    drop(progress);
    kwif::export::write(&made, out)
        .map_err(|error| format!("--out {}: cannot write ({error})", out.display()))?;
    for (path, _) in &made.files {
        write_stdout(&format!("{}\n", out.join(path).display()))?;
    }
    for note in &made.notes {
        let _ = writeln!(anstream::stderr(), "note: {note}");
    }
    for gap in &made.gaps {
        let _ = writeln!(anstream::stderr(), "not exported: {gap}");
    }
    Ok(ExitCode::from(u8::from(!made.gaps.is_empty())))
}

/// The profile a command that reads no cluster works on: the file, or the demo sandbox's.
pub(crate) fn profile_of(target: &Target, global: &GlobalArgs) -> Result<Profile, UsageError> {
    if !target.demo {
        return load_profile(&target.profile, global);
    }
    let scenario = target.scenario.unwrap_or(Scenario::Fresh).sandbox();
    runtime()?.block_on(async {
        let demo = Demo::start(scenario)
            .await
            .map_err(|error| UsageError(format!("the demo could not start: {error}")))?;
        let profile = demo.profile.clone();
        demo.shutdown().await;
        Ok(profile)
    })
}

/// `kwif snippet`: the application's side, from the profile's roles.
pub(crate) fn snippet(
    target: &Target,
    language: SnippetLanguage,
    service: Option<SnippetService>,
    global: &GlobalArgs,
) -> Outcome {
    use kwif::export::snippet;
    let profile = profile_of(target, global)?;
    let wanted = snippet::target(&profile, service.map(SnippetService::service))?;
    if let Some(note) = &wanted.note {
        let _ = writeln!(anstream::stderr(), "note: {note}");
    }
    let written = snippet::snippet(language.language(), &wanted);
    write_stdout(&written.code)?;
    Ok(ExitCode::SUCCESS)
}

/// `kwif explain CODE`.
pub(crate) fn explain(code: &str) -> Outcome {
    let explained = kwif::explain::lookup(code)
        .map_err(|error| format!("CODE {error}: see the finding codes in README.md"))?;
    write_stdout(&kwif::explain::render(&explained))?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn jwks(key_files: &[PathBuf], output: Option<&Path>) -> Outcome {
    let keys = kwif::oidc::key::load_key_files(key_files)?;
    let document = kwif::oidc::jwks::jwks_document(&keys);
    let text = serde_json::to_string_pretty(&document)? + "\n";
    match output {
        Some(path) => std::fs::write(path, text).map_err(|error| {
            UsageError(format!(
                "--output {}: cannot write ({error})",
                path.display()
            ))
        })?,
        None => write_stdout(&text)?,
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn discovery(issuer: &str, jwks_uri: Option<&str>) -> Outcome {
    let issuer = IssuerUrl::parse(issuer)
        .map_err(|problem| format!("--issuer {} {problem}", shown(issuer)))?;
    if let Some(uri) = jwks_uri
        && let Some(problem) = jwks_uri_problem(uri)
    {
        return Err(UsageError(format!("--jwks-uri {} {problem}", shown(uri))));
    }
    let document = kwif::oidc::discovery::discovery_document(&issuer, jwks_uri, &[]);
    write_stdout(&(serde_json::to_string_pretty(&document)? + "\n"))?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn token_decode(file: &Path) -> Outcome {
    let text = read_input(file, "token file")?;
    let name = match file == Path::new("-") {
        true => "standard input".to_string(),
        false => file.display().to_string(),
    };
    let jwt = Jwt::parse(&text).map_err(|error| format!("{name}: not a JWT: {error}"))?;
    write_stdout(&kwif::oidc::token_view::render(&jwt, SystemTime::now()))?;
    Ok(ExitCode::SUCCESS)
}

/// Reads a file, or standard input for `-` (at most 1 MiB of UTF-8 either way); the error names
/// the argument and the file.
pub(crate) fn read_input(path: &Path, what: &str) -> Result<String, UsageError> {
    let result = if path == Path::new("-") {
        kwif::input::read_standard_input(InputKind::Token)
    } else {
        kwif::input::read_text(path, InputKind::Token)
    };
    result.map_err(|error| UsageError(format!("{what} {error}")))
}

pub(crate) fn write_stdout(text: &str) -> Result<(), UsageError> {
    let mut stdout = anstream::stdout();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        // A closed pipe (`kwif jwks | head`) is not an error worth reporting.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        result => result.map_err(|error| UsageError(format!("cannot write output: {error}"))),
    }
}
