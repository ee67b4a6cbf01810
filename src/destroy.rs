//! `kwif destroy`: plans the removal of what kwif created or changed, in reverse wizard order,
//! shows each step's plan as a diff and removes it once confirmed. No removal logic lives here:
//! the steps' `plan_removal`/`remove` do it; this turns it into output and exit codes.

use std::io::Write;
use std::process::ExitCode;

use kwif::engine::render::{render_plans_json, render_plans_text};
use kwif::engine::{DestroyOutcome, RemovalOptions, StepId};

use super::{
    GlobalArgs, Outcome, ReportFormat, Target, UsageError, countdown_on_stderr, runtime,
    session_for, show_and_confirm, write_stdout,
};

/// What the user asked `destroy` for.
pub struct DestroyArgs<'a> {
    pub target: &'a Target,
    pub yes: bool,
    pub steps: &'a [StepId],
    pub keep_identity: bool,
    pub output: ReportFormat,
}

pub fn destroy(args: &DestroyArgs<'_>, global: &GlobalArgs) -> Outcome {
    use std::io::IsTerminal;
    if !args.yes && !std::io::stdin().is_terminal() {
        return Err(UsageError(
            "destroy removes nothing without a yes: pass --yes, or run it in a terminal to confirm each step"
                .into(),
        ));
    }
    let runtime = runtime()?;
    let mut session = runtime.block_on(session_for(args.target, global))?;
    session.runner = session
        .runner
        .select(args.steps)
        .with_fact(RemovalOptions {
            keep_identity: args.keep_identity,
        })
        .with_fact(countdown_on_stderr());
    let output = args.output;
    let yes = args.yes;
    let outcome = runtime.block_on(session.runner.destroy_all(|plan| {
        let question = format!("remove what kwif made in the {} step? [y/N] ", plan.step);
        show_and_confirm(plan, output, yes, &question)
    }));
    if let Some(step) = outcome.declined {
        let _ = writeln!(
            anstream::stderr(),
            "stopped: nothing of the {step} step was removed (nor of any step after it)"
        );
    }
    if let Some((step, error)) = &outcome.failed {
        let _ = writeln!(
            anstream::stderr(),
            "removing the {step} step failed: {}\nfix: {}",
            error.message,
            error.fix
        );
    }
    match output {
        ReportFormat::Text => write_stdout(&summary(&outcome))?,
        ReportFormat::Json => write_stdout(&(json(&outcome) + "\n"))?,
    }
    let stopped = outcome.declined.is_some() || outcome.failed.is_some();
    Ok(ExitCode::from(u8::from(stopped)))
}

/// The last line(s) of text output: what went, or that nothing of kwif's was left.
fn summary(outcome: &DestroyOutcome) -> String {
    let quiet: Vec<&str> = outcome
        .plans
        .iter()
        .filter(|plan| plan.is_empty())
        .map(|plan| plan.step.as_str())
        .collect();
    let mut text = String::new();
    if !quiet.is_empty() {
        text.push_str(&format!(
            "nothing of kwif's to remove: {}\n",
            quiet.join(", ")
        ));
    }
    let by_hand: Vec<_> = outcome
        .plans
        .iter()
        .filter(|plan| outcome.by_hand.contains(&plan.step))
        .cloned()
        .collect();
    if !by_hand.is_empty() {
        text.push_str("to do by hand (kwif does not do it):\n");
        text.push_str(&render_plans_text(&by_hand));
    }
    if !outcome.removed.is_empty() {
        let removed: Vec<&str> = outcome.removed.iter().map(|id| id.as_str()).collect();
        text.push_str(&format!("removed: {}\n", removed.join(", ")));
    }
    text
}

/// `{"plans":[…as plan --output json…],"removed":["workload",…],"byHand":["issuer"],
/// "declined":null,"failed":null}`.
fn json(outcome: &DestroyOutcome) -> String {
    let mut value: serde_json::Value =
        serde_json::from_str(&render_plans_json(&outcome.plans)).unwrap_or_default();
    value["removed"] = serde_json::json!(outcome.removed);
    value["byHand"] = serde_json::json!(outcome.by_hand);
    value["declined"] = serde_json::json!(outcome.declined);
    value["failed"] = match &outcome.failed {
        Some((step, error)) => {
            serde_json::json!({"step": step, "message": error.message, "fix": error.fix})
        }
        None => serde_json::Value::Null,
    };
    serde_json::to_string_pretty(&value).unwrap_or_default()
}
