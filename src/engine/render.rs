//! The two renderings of a report: text for people (grouped by step, symbol + word + colour,
//! one fix line per finding) and the JSON contract for scripts. Text is always styled; the
//! caller's output stream strips the styles when colour is off (`NO_COLOR`, `--no-color`, no TTY).

use std::fmt::Write;

use anstyle::{AnsiColor, Style};

use serde::Serialize;

use super::{Finding, Plan, Report, Severity, Status, StepId, StepReport};

fn status_style(status: Status) -> Style {
    let color = match status {
        Status::Ok => AnsiColor::Green,
        Status::Drift => AnsiColor::Yellow,
        Status::Error => AnsiColor::Red,
        Status::Checking => AnsiColor::Cyan,
        Status::Pending | Status::Skipped => AnsiColor::BrightBlack,
    };
    Style::new().fg_color(Some(color.into())).bold()
}

fn severity_style(severity: Severity) -> Style {
    let color = match severity {
        Severity::Error => AnsiColor::Red,
        Severity::Warning => AnsiColor::Yellow,
    };
    Style::new().fg_color(Some(color.into())).bold()
}

const FIX: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Cyan)));
const DIM: Style = Style::new().dimmed();
const BOLD: Style = Style::new().bold();

/// The report as people read it. `subject` (e.g. the issuer URL) is shown beside each step.
pub fn render_text(report: &Report, subject: Option<&str>) -> String {
    let mut out = String::new();
    for step in &report.steps {
        render_step(&mut out, step, subject);
    }
    out.push_str(&summary_line(report));
    out.push('\n');
    out
}

fn render_step(out: &mut String, step: &StepReport, subject: Option<&str>) {
    let style = status_style(step.status);
    let status = format!("{} {}", step.status.symbol(), step.status.word());
    let _ = write!(
        out,
        "{style}{status:<11}{style:#} {BOLD}{:<11}{BOLD:#}{DIM}{}{DIM:#}",
        step.id.as_str(),
        step.id.title()
    );
    if let Some(subject) = subject {
        let _ = write!(out, "  {subject}");
    }
    out.push('\n');
    let mut findings: Vec<&Finding> = step.findings.iter().collect();
    findings.sort_by_key(|finding| finding.severity);
    for finding in findings {
        render_finding(out, finding);
    }
}

fn render_finding(out: &mut String, finding: &Finding) {
    let style = severity_style(finding.severity);
    let label = format!("{} {}", finding.severity.symbol(), finding.severity.word());
    let _ = writeln!(
        out,
        "  {style}{label:<9}{style:#} {BOLD}{}{BOLD:#}",
        finding.code
    );
    for line in finding.message.lines() {
        let _ = writeln!(out, "            {line}");
    }
    if !finding.fix.is_empty() {
        let _ = writeln!(out, "            {FIX}fix: {}{FIX:#}", finding.fix);
    }
}

fn summary_line(report: &Report) -> String {
    let count = |severity| {
        report
            .steps
            .iter()
            .flat_map(|s| &s.findings)
            .filter(|f| f.severity == severity)
            .count()
    };
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let ok = report
        .steps
        .iter()
        .filter(|s| s.status == Status::Ok)
        .count();
    format!(
        "{}, {} — {ok} of {} steps ok",
        plural(errors, "error"),
        plural(warnings, "warning"),
        report.steps.len()
    )
}

/// The JSON contract: `{"steps":[{"id","status","findings":[{"code","severity","message","fix"}]}]}`.
pub fn render_json(report: &Report) -> String {
    // Serialising plain data with string keys cannot fail.
    serde_json::to_string_pretty(report).unwrap_or_default()
}

/// Plans as people read them: per step, each change's summary and its coloured unified diff.
pub fn render_plans_text(plans: &[Plan]) -> String {
    let mut out = String::new();
    for plan in plans {
        let _ = writeln!(
            out,
            "{BOLD}{:<11}{BOLD:#}{DIM}{}{DIM:#}",
            plan.step.as_str(),
            plan.step.title()
        );
        if plan.is_empty() {
            let _ = writeln!(out, "  {DIM}nothing to change{DIM:#}");
            continue;
        }
        for change in &plan.changes {
            let _ = writeln!(out, "  {BOLD}{}{BOLD:#}", change.target);
            for line in change.summary.lines() {
                let _ = writeln!(out, "  {line}");
            }
            render_diff(&mut out, &change.diff());
        }
    }
    let count: usize = plans.iter().map(|plan| plan.changes.len()).sum();
    let _ = writeln!(
        out,
        "{count} change{} planned",
        if count == 1 { "" } else { "s" }
    );
    out
}

fn render_diff(out: &mut String, diff: &str) {
    let added = Style::new().fg_color(Some(AnsiColor::Green.into()));
    let removed = Style::new().fg_color(Some(AnsiColor::Red.into()));
    let hunk = Style::new().fg_color(Some(AnsiColor::Cyan.into()));
    for line in diff.lines() {
        let style = match line.chars().next() {
            _ if line.starts_with("+++") || line.starts_with("---") => BOLD,
            Some('+') => added,
            Some('-') => removed,
            Some('@') => hunk,
            _ => Style::new(),
        };
        let _ = writeln!(out, "    {style}{line}{style:#}");
    }
}

#[derive(Serialize)]
struct PlanJson<'a> {
    step: StepId,
    changes: Vec<ChangeJson<'a>>,
}

#[derive(Serialize)]
struct ChangeJson<'a> {
    target: &'a str,
    summary: &'a str,
    diff: String,
}

/// Plans as JSON: `{"plans":[{"step","changes":[{"target","summary","diff"}]}]}`.
pub fn render_plans_json(plans: &[Plan]) -> String {
    let plans: Vec<PlanJson> = plans
        .iter()
        .map(|plan| PlanJson {
            step: plan.step,
            changes: plan
                .changes
                .iter()
                .map(|change| ChangeJson {
                    target: &change.target,
                    summary: &change.summary,
                    diff: change.diff(),
                })
                .collect(),
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({ "plans": plans })).unwrap_or_default()
}

/// The Kubernetes manifests and patches of the plans, as one multi-document YAML stream a
/// GitOps repository can take; changes outside Kubernetes are listed as comments.
pub fn render_plans_yaml(plans: &[Plan]) -> String {
    let mut out = String::new();
    for change in plans.iter().flat_map(|plan| &plan.changes) {
        match &change.manifest {
            Some(manifest) => {
                let _ = writeln!(
                    out,
                    "---\n# {}: {}",
                    change.target,
                    change.summary.lines().next().unwrap_or_default()
                );
                out.push_str(manifest);
            }
            None => {
                let _ = writeln!(
                    out,
                    "# not a Kubernetes object, change by hand: {}",
                    change.target
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Check, StepId};

    fn sample() -> Report {
        let findings = vec![
            Finding::warning(
                "DISCOVERY_CONTENT_TYPE",
                "served as text/plain",
                "serve it as application/json",
            ),
            Finding::error("DISCOVERY_HTTP_STATUS", "answered 404", "fix the path"),
        ];
        Report::single(StepId::Hosting, Check::from_findings(findings, false))
    }

    #[test]
    fn text_groups_by_step_and_puts_errors_first_with_their_fix() {
        let text =
            anstream::adapter::strip_str(&render_text(&sample(), Some("https://x"))).to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("✗ error"), "{text}");
        assert!(lines[0].contains("hosting") && lines[0].contains("https://x"));
        assert!(lines[1].contains("✗ error") && lines[1].contains("DISCOVERY_HTTP_STATUS"));
        assert_eq!(lines[3].trim(), "fix: fix the path");
        assert!(lines[4].contains("! warning") && lines[4].contains("DISCOVERY_CONTENT_TYPE"));
        assert_eq!(
            lines.last().copied(),
            Some("1 error, 1 warning — 0 of 1 steps ok")
        );
    }

    #[test]
    fn json_has_the_contract_shape() {
        let value: serde_json::Value = serde_json::from_str(&render_json(&sample())).unwrap();
        let step = &value["steps"][0];
        assert_eq!(step["id"], "hosting");
        assert_eq!(step["status"], "error");
        assert_eq!(step["findings"][1]["code"], "DISCOVERY_HTTP_STATUS");
        assert_eq!(step["findings"][1]["severity"], "error");
        assert_eq!(step["findings"][1]["fix"], "fix the path");
        let keys: Vec<&String> = step.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["id", "status", "findings"]);
    }

    fn plan() -> Plan {
        let change =
            crate::engine::Change::new("Deployment a/web", "server-side apply", "x: 1\n", "x: 2\n")
                .with_manifest("kind: Deployment\n");
        Plan {
            step: StepId::Workload,
            changes: vec![change],
        }
    }

    #[test]
    fn plan_text_shows_the_target_summary_and_diff() {
        let empty = Plan {
            step: StepId::Issuer,
            changes: vec![],
        };
        let text = anstream::adapter::strip_str(&render_plans_text(&[empty, plan()])).to_string();
        assert!(
            text.contains("issuer") && text.contains("nothing to change"),
            "{text}"
        );
        assert!(
            text.contains("  Deployment a/web\n  server-side apply\n"),
            "{text}"
        );
        assert!(text.contains("    -x: 1\n    +x: 2\n"), "{text}");
        assert!(text.ends_with("1 change planned\n"));
    }

    #[test]
    fn plan_json_and_yaml_carry_the_changes() {
        let value: serde_json::Value = serde_json::from_str(&render_plans_json(&[plan()])).unwrap();
        assert_eq!(value["plans"][0]["step"], "workload");
        assert!(
            value["plans"][0]["changes"][0]["diff"]
                .as_str()
                .unwrap()
                .contains("+x: 2")
        );
        assert_eq!(
            render_plans_yaml(&[plan()]),
            "---\n# Deployment a/web: server-side apply\nkind: Deployment\n"
        );
    }
}
