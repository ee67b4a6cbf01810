//! The two renderings of a report: text for people (grouped by step, symbol + word + colour,
//! one fix line per finding) and the JSON contract for scripts. Text is always styled; the
//! caller's output stream strips the styles when colour is off (`NO_COLOR`, `--no-color`, no TTY).

use std::fmt::Write;

use anstyle::{AnsiColor, Style};

use super::{Finding, Report, Severity, Status, StepReport};

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
    let _ = write!(out, "{style}{status:<11}{style:#} {BOLD}{:<11}{BOLD:#}{DIM}{}{DIM:#}", step.id.as_str(), step.id.title());
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
    let _ = writeln!(out, "  {style}{label:<9}{style:#} {BOLD}{}{BOLD:#}", finding.code);
    for line in finding.message.lines() {
        let _ = writeln!(out, "            {line}");
    }
    if !finding.fix.is_empty() {
        let _ = writeln!(out, "            {FIX}fix: {}{FIX:#}", finding.fix);
    }
}

fn summary_line(report: &Report) -> String {
    let count = |severity| {
        report.steps.iter().flat_map(|s| &s.findings).filter(|f| f.severity == severity).count()
    };
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let ok = report.steps.iter().filter(|s| s.status == Status::Ok).count();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Check, StepId};

    fn sample() -> Report {
        let findings = vec![
            Finding::warning("DISCOVERY_CONTENT_TYPE", "served as text/plain", "serve it as application/json"),
            Finding::error("DISCOVERY_HTTP_STATUS", "answered 404", "fix the path"),
        ];
        Report::single(StepId::Hosting, Check::from_findings(findings, false))
    }

    #[test]
    fn text_groups_by_step_and_puts_errors_first_with_their_fix() {
        let text = anstream::adapter::strip_str(&render_text(&sample(), Some("https://x"))).to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("✗ error"), "{text}");
        assert!(lines[0].contains("hosting") && lines[0].contains("https://x"));
        assert!(lines[1].contains("✗ error") && lines[1].contains("DISCOVERY_HTTP_STATUS"));
        assert_eq!(lines[3].trim(), "fix: fix the path");
        assert!(lines[4].contains("! warning") && lines[4].contains("DISCOVERY_CONTENT_TYPE"));
        assert_eq!(lines.last().copied(), Some("1 error, 1 warning — 0 of 1 steps ok"));
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
}
