//! The detail pane's content for the selected step: status, findings with their fixes, the plan
//! as a coloured diff, and the profile fields the step uses; wrapped to the pane's width here,
//! so the pane is a list of lines the user scrolls.

use ratatui::text::{Line, Span};

use super::State;
use super::application_pane::application_lines;
use super::step_inputs::step_inputs;
use super::step_view::{PlanState, StepView};
use super::text_wrap::{width as text_width, wrap_chars, wrap_words};
use super::theme::Theme;
use crate::engine::{Finding, Plan, Status, StepError, StepId};

const INDENT: usize = 4;

/// Every line of the selected step's detail, wrapped to `width` cells.
pub fn detail_lines(state: &State, width: usize) -> Vec<Line<'static>> {
    let Some(view) = state.selected() else {
        return vec![Line::from("no steps to show")];
    };
    let writer = Writer {
        theme: state.theme,
        width: width.max(8),
        lines: Vec::new(),
    };
    writer.step(view, state)
}

struct Writer {
    theme: Theme,
    width: usize,
    lines: Vec<Line<'static>>,
}

impl Writer {
    fn step(mut self, view: &StepView, state: &State) -> Vec<Line<'static>> {
        self.header(view);
        self.blank();
        self.findings(view);
        self.blank();
        if view.id == StepId::Verify
            && view.status == Status::Ok
            && let Some(profile) = &state.profile
        {
            self.lines
                .extend(application_lines(profile, self.theme, self.width));
            self.blank();
        }
        self.plan(view);
        self.blank();
        self.inputs(view, state);
        self.lines
    }

    fn blank(&mut self) {
        self.lines.push(Line::default());
    }

    fn heading(&mut self, text: &str, note: &str) {
        self.lines.push(Line::from(vec![
            Span::styled(text.to_string(), self.theme.heading()),
            Span::styled(format!("  {note}"), self.theme.dim()),
        ]));
    }

    /// `text` word-wrapped below an indent of `indent` cells, every line in `style`.
    fn paragraph(&mut self, indent: usize, text: &str, style: ratatui::style::Style) {
        for piece in wrap_words(text, self.width.saturating_sub(indent)) {
            self.lines.push(Line::from(vec![
                Span::raw(" ".repeat(indent)),
                Span::styled(piece, style),
            ]));
        }
    }

    fn header(&mut self, view: &StepView) {
        self.lines.push(Line::from(vec![
            Span::styled(view.id.title().to_string(), self.theme.heading()),
            Span::styled(format!("  ({})", view.id), self.theme.dim()),
        ]));
        let status = format!("{} {}", view.status.symbol(), view.status.word());
        let note = match &view.progress {
            Some(progress) => progress.to_string(),
            None => status_note(view.status).to_string(),
        };
        self.lines.push(Line::from(vec![
            Span::styled(status, self.theme.status(view.status)),
            Span::styled(format!("  {note}"), self.theme.dim()),
        ]));
    }

    fn findings(&mut self, view: &StepView) {
        let count = view.findings.len();
        self.heading("Findings", &plural(count, "finding"));
        if count == 0 {
            let (text, style) = match view.status {
                Status::Ok => ("✓ nothing to fix", self.theme.success()),
                Status::Pending | Status::Checking => ("not checked yet", self.theme.dim()),
                _ => ("none", self.theme.dim()),
            };
            self.paragraph(2, text, style);
            return;
        }
        let mut findings: Vec<&Finding> = view.findings.iter().collect();
        findings.sort_by_key(|finding| finding.severity);
        for finding in findings {
            let label = format!(
                "{} {:<7}",
                finding.severity.symbol(),
                finding.severity.word()
            );
            self.lines.push(Line::from(vec![
                Span::raw("  "),
                Span::styled(label, self.theme.severity(finding.severity)),
                Span::raw(" "),
                Span::styled(finding.code.to_string(), self.theme.heading()),
            ]));
            self.paragraph(INDENT, &finding.message, ratatui::style::Style::new());
            if !finding.fix.is_empty() {
                self.paragraph(INDENT, &format!("fix: {}", finding.fix), self.theme.fix());
            }
        }
    }

    fn plan(&mut self, view: &StepView) {
        match &view.plan {
            PlanState::NotPlanned => {
                self.heading("Plan", "p plans it");
                self.paragraph(
                    2,
                    "press p to see the changes kwif would make; nothing is applied",
                    self.theme.dim(),
                );
            }
            PlanState::Planning => {
                self.heading("Plan", "");
                self.paragraph(2, "… planning", self.theme.status(Status::Checking));
            }
            PlanState::Failed(error) => {
                self.heading("Plan", "");
                self.step_error("✗ cannot plan: ", error);
            }
            PlanState::Ready(plan) if plan.is_empty() => {
                self.heading("Plan", "");
                self.paragraph(2, "✓ nothing to change", self.theme.success());
            }
            PlanState::Ready(plan) => {
                self.heading(
                    "Plan",
                    &format!(
                        "{}; a applies after y",
                        plural(plan.changes.len(), "change")
                    ),
                );
                self.changes(plan);
            }
        }
        if let Some(error) = &view.apply_error {
            self.step_error("✗ the last apply failed: ", error);
        }
    }

    fn step_error(&mut self, prefix: &str, error: &StepError) {
        self.paragraph(
            2,
            &format!("{prefix}{}", error.message),
            self.theme.failure(),
        );
        if !error.fix.is_empty() {
            self.paragraph(INDENT, &format!("fix: {}", error.fix), self.theme.fix());
        }
    }

    fn changes(&mut self, plan: &Plan) {
        for change in &plan.changes {
            let mut pieces = wrap_words(
                &format!("● {}", change.target),
                self.width.saturating_sub(2),
            )
            .into_iter();
            let first = pieces.next().unwrap_or_default();
            self.lines.push(Line::from(vec![
                Span::raw("  "),
                Span::styled(first, self.theme.heading()),
            ]));
            let rest: Vec<String> = pieces.collect();
            if !rest.is_empty() {
                self.paragraph(INDENT, &rest.join(" "), self.theme.heading());
            }
            self.paragraph(INDENT, &change.summary, ratatui::style::Style::new());
            for line in change.diff().lines() {
                let style = self.theme.diff_line(line);
                for piece in wrap_chars(line, self.width.saturating_sub(INDENT)) {
                    self.lines.push(Line::from(vec![
                        Span::raw(" ".repeat(INDENT)),
                        Span::styled(piece, style),
                    ]));
                }
            }
        }
    }

    fn inputs(&mut self, view: &StepView, state: &State) {
        self.heading("Inputs", "kwif.yaml; e edits them");
        let Some(profile) = state.profile() else {
            self.paragraph(2, "no profile loaded", self.theme.dim());
            return;
        };
        let rows = step_inputs(profile, view.id);
        let label_width = rows
            .iter()
            .map(|(label, _)| text_width(label))
            .max()
            .unwrap_or(0)
            .min(self.width / 2);
        let value_width = self.width.saturating_sub(2 + label_width + 2);
        for (label, value) in rows {
            if value_width < 16 {
                self.paragraph(2, &label, self.theme.dim());
                self.paragraph(INDENT, &value, ratatui::style::Style::new());
                continue;
            }
            for (index, piece) in wrap_chars(&value, value_width).into_iter().enumerate() {
                let label = if index == 0 {
                    label.clone()
                } else {
                    String::new()
                };
                let padding = label_width.saturating_sub(text_width(&label));
                self.lines.push(Line::from(vec![
                    Span::raw("  "),
                    Span::styled(
                        format!("{label}{}  ", " ".repeat(padding)),
                        self.theme.dim(),
                    ),
                    Span::raw(piece),
                ]));
            }
        }
    }
}

fn status_note(status: Status) -> &'static str {
    match status {
        Status::Pending => "not checked yet",
        Status::Checking => "checking now",
        Status::Ok => "matches the profile",
        Status::Drift => "differs from the profile",
        Status::Error => "broken: see the findings",
        Status::Skipped => "not checked here",
    }
}

fn plural(count: usize, word: &str) -> String {
    format!("{count} {word}{}", if count == 1 { "" } else { "s" })
}
