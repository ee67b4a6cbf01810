//! Draws the `D` confirmation: every step's removal plan in reverse wizard order (as `kwif
//! destroy` shows it) with its diffs, before `y`. Reads the state only; removes nothing.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::State;
use super::keymap;
use super::overlay_view::{change_lines, modal_area, wrapped};
use super::removal_plans::RemovalPlans;
use super::theme::Theme;
use crate::engine::{Plan, Status, StepId};

pub fn render_confirm_destroy(
    state: &State,
    removal: Option<&RemovalPlans>,
    scroll: usize,
    frame: &mut Frame,
    area: Rect,
) {
    let theme = state.theme;
    let width = modal_area(area, 84, area.height).width.saturating_sub(2) as usize;
    let mut lines = wrapped(
        "What kwif made, removed in reverse wizard order (as kwif destroy):",
        width,
        0,
        Style::new(),
    );
    let Some(removal) = removal else {
        lines.push(Line::default());
        lines.extend(wrapped(
            "… planning the removal",
            width,
            0,
            theme.status(Status::Checking),
        ));
        return draw(frame, area, theme, lines, Vec::new(), scroll, false);
    };
    for (step, result) in &removal.plans {
        lines.push(row(*step, result.as_ref(), removal, theme));
    }
    lines.push(Line::default());
    let to_remove = removal.to_remove();
    let summary = match (to_remove.len(), removal.blocked()) {
        (0, Some((step, error))) => format!("✗ {step} cannot be planned: {}", error.message),
        (0, None) => "Nothing of kwif's to remove.".to_string(),
        (steps, _) => {
            let changes = removal.change_count();
            format!(
                "y removes {changes} thing{} in {steps} step{}, in this order, then checks every step again.",
                plural(changes),
                plural(steps),
            )
        }
    };
    lines.extend(wrapped(&summary, width, 0, theme.heading()));
    if let (false, Some((step, error))) = (to_remove.is_empty(), removal.blocked()) {
        let text = format!(
            "kwif stops before {step}: it cannot be planned ({}; fix: {}).",
            error.message, error.fix
        );
        lines.extend(wrapped(&text, width, 0, theme.failure()));
    }
    let by_hand = removal.by_hand_plans();
    if !by_hand.is_empty() {
        lines.extend(wrapped(
            "The steps marked \"by hand\" are instructions: kwif does not do them.",
            width,
            0,
            theme.dim(),
        ));
    }
    let mut diffs = Vec::new();
    for plan in to_remove.iter().chain(by_hand) {
        diffs.extend(plan_lines(plan, width, theme));
    }
    let can_remove = !to_remove.is_empty();
    draw(frame, area, theme, lines, diffs, scroll, can_remove);
}

fn row(
    step: StepId,
    result: Result<&Plan, &crate::engine::StepError>,
    removal: &RemovalPlans,
    theme: Theme,
) -> Line<'static> {
    let (what, style) = match result {
        Err(_) => ("cannot be planned".to_string(), theme.failure()),
        Ok(plan) if plan.is_empty() => ("nothing of kwif's".to_string(), theme.dim()),
        Ok(plan) => {
            let count = plan.changes.len();
            let by_hand = if removal.by_hand.contains(&step) {
                "by hand: "
            } else {
                ""
            };
            (
                format!("{by_hand}{count} change{}", plural(count)),
                Style::new(),
            )
        }
    };
    Line::from(vec![
        Span::styled(format!("  {:<11}", step.as_str()), theme.heading()),
        Span::styled(what, style),
    ])
}

fn plan_lines(plan: &Plan, width: usize, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::default(),
        Line::from(Span::styled(
            format!("{} — {}", plan.step, plan.step.title()),
            theme.heading(),
        )),
    ];
    for change in &plan.changes {
        lines.extend(change_lines(change, width, theme));
    }
    lines
}

fn draw(
    frame: &mut Frame,
    area: Rect,
    theme: Theme,
    lines: Vec<Line<'static>>,
    diffs: Vec<Line<'static>>,
    scroll: usize,
    can_remove: bool,
) {
    let footer: &[(&str, &str)] = if can_remove {
        keymap::CONFIRM_DESTROY_HINTS
    } else {
        &[("Esc", "close")]
    };
    super::overlay_view::draw_scrolled_confirmation(
        frame,
        area,
        theme,
        "destroy?",
        (lines, diffs),
        scroll,
        footer,
    );
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}
