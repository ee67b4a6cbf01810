//! Draws the overlay on top of the main view: help, the apply confirmations (the changes that
//! will be made, shown before `y`), the progress of a running apply, and the profile form.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::State;
use super::apply_all_selection::ApplyAllSelection;
use super::apply_progress::{ApplyItemState, ApplyProgress};
use super::destroy_view::render_confirm_destroy;
use super::form_view::render_form;
use super::keymap;
use super::overlay::Overlay;
use super::render::{hint_line, spinner};
use super::step_view::PlanState;
use super::text_wrap::{truncate, width as text_width, wrap_chars, wrap_words};
use super::theme::Theme;
use crate::engine::{Change, Status, StepId};

pub fn render_overlay(state: &State, frame: &mut Frame, area: Rect) {
    match &state.overlay {
        Overlay::None => {}
        Overlay::Help => render_help(state, frame, area),
        Overlay::ConfirmApply { step } => render_confirm_apply(state, *step, frame, area),
        Overlay::ConfirmApplyAll { steps, scroll, .. } => {
            render_confirm_apply_all(state, steps, *scroll, frame, area);
        }
        Overlay::ConfirmDestroy { removal, scroll } => {
            render_confirm_destroy(state, removal.as_ref(), *scroll, frame, area);
        }
        Overlay::Applying(progress) => render_applying(state, progress, frame, area),
        Overlay::Form(form) => {
            let rect = modal_area(area, 100, area.height.saturating_sub(2));
            frame.render_widget(Clear, rect);
            render_form(form, state.theme, frame, rect);
        }
    }
}

/// A centered rectangle of at most `width` x `height`, inside `area` with a margin.
pub fn modal_area(area: Rect, width: u16, height: u16) -> Rect {
    let width = width
        .min(area.width.saturating_sub(2))
        .max(area.width.min(1));
    let height = height
        .min(area.height.saturating_sub(2))
        .max(area.height.min(1));
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}

/// A bordered modal with `lines` (cut to fit) and a footer of key hints on its last line.
pub(super) fn modal(
    frame: &mut Frame,
    rect: Rect,
    theme: Theme,
    title: &str,
    lines: Vec<Line<'static>>,
    footer: Option<Line<'static>>,
) {
    frame.render_widget(Clear, rect);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Span::styled(format!(" {title} "), theme.heading()));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let footer_height = u16::from(footer.is_some() && inner.height >= 2);
    let body = Rect::new(inner.x, inner.y, inner.width, inner.height - footer_height);
    frame.render_widget(Paragraph::new(lines), body);
    if let (Some(footer), 1) = (footer, footer_height) {
        frame.render_widget(
            Paragraph::new(footer),
            Rect::new(inner.x, inner.bottom() - 1, inner.width, 1),
        );
    }
}

/// `lines` cut to `room` lines, the last one saying how many were left out.
pub(super) fn fit(
    mut lines: Vec<Line<'static>>,
    room: usize,
    theme: Theme,
    where_rest: &str,
) -> Vec<Line<'static>> {
    if lines.len() > room && room > 0 {
        let hidden = lines.len() - room + 1;
        lines.truncate(room - 1);
        lines.push(Line::from(Span::styled(
            format!("… {hidden} more lines {where_rest}"),
            theme.dim(),
        )));
    }
    lines
}

pub(super) fn wrapped(
    text: &str,
    width: usize,
    indent: usize,
    style: ratatui::style::Style,
) -> Vec<Line<'static>> {
    wrap_words(text, width.saturating_sub(indent))
        .into_iter()
        .map(|piece| {
            Line::from(vec![
                Span::raw(" ".repeat(indent)),
                Span::styled(piece, style),
            ])
        })
        .collect()
}

/// Like [`wrapped`], later lines indented two more cells (under the text after a bullet).
fn hanging(
    text: &str,
    width: usize,
    indent: usize,
    style: ratatui::style::Style,
) -> Vec<Line<'static>> {
    let mut lines = wrapped(text, width, indent, style);
    if lines.len() > 1 {
        let rest: String = wrap_words(text, width.saturating_sub(indent))
            .into_iter()
            .skip(1)
            .collect::<Vec<_>>()
            .join(" ");
        lines.truncate(1);
        lines.extend(wrapped(&rest, width, indent + 2, style));
    }
    lines
}

fn render_help(state: &State, frame: &mut Frame, area: Rect) {
    let theme = state.theme;
    let rect = modal_area(area, 78, 24);
    let width = rect.width.saturating_sub(2) as usize;
    let keys_width = keymap::MAIN
        .iter()
        .map(|binding| text_width(binding.keys))
        .max()
        .unwrap_or(0)
        + 2;
    let help_width = width.saturating_sub(keys_width + 1);
    // Wrapped when the whole help fits, else one line per key so every key stays visible.
    let wrapped_count: usize = keymap::MAIN
        .iter()
        .map(|binding| wrap_words(binding.help, help_width).len())
        .sum();
    let wrap = wrapped_count + 5 <= area.height.saturating_sub(4) as usize;
    let mut lines = Vec::new();
    for binding in keymap::MAIN {
        let pieces = if wrap {
            wrap_words(binding.help, help_width)
        } else {
            vec![truncate(binding.help, help_width)]
        };
        for (index, piece) in pieces.into_iter().enumerate() {
            let keys = if index == 0 { binding.keys } else { "" };
            let padding = " ".repeat(keys_width.saturating_sub(text_width(keys)));
            lines.push(Line::from(vec![
                Span::raw(" "),
                Span::styled(format!("{keys}{padding}"), theme.key()),
                Span::raw(piece),
            ]));
        }
    }
    if wrap {
        lines.push(Line::default());
    }
    let separator = if wrap { "  " } else { " " };
    let mut legend = vec![Span::raw(" ")];
    for status in [
        Status::Ok,
        Status::Drift,
        Status::Error,
        Status::Checking,
        Status::Pending,
        Status::Skipped,
    ] {
        legend.push(Span::styled(
            format!("{} {}", status.symbol(), status.word()),
            theme.status(status),
        ));
        legend.push(Span::raw(separator));
    }
    lines.push(Line::from(legend));
    let note = "Nothing is applied without y; every change is shown as a diff first.";
    match wrap {
        true => lines.extend(wrapped(note, width, 1, theme.dim())),
        false => lines.push(Line::from(Span::styled(
            format!(" {}", truncate(note, width.saturating_sub(1))),
            theme.dim(),
        ))),
    }
    let height = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    let rect = modal_area(area, 78, height);
    let room = rect.height.saturating_sub(2) as usize;
    modal(
        frame,
        rect,
        theme,
        "help",
        fit(lines, room, theme, ""),
        None,
    );
}

fn render_confirm_apply(state: &State, step: StepId, frame: &mut Frame, area: Rect) {
    let theme = state.theme;
    let rect = modal_area(area, 96, area.height);
    let width = rect.width.saturating_sub(2) as usize;
    let Some(view) = state.step(step) else { return };
    let mut lines = vec![Line::from(vec![
        Span::styled(step.title().to_string(), theme.heading()),
        Span::styled(format!("  ({step})"), theme.dim()),
    ])];
    let (footer, note): (&[(&str, &str)], Option<&str>) = match &view.plan {
        PlanState::NotPlanned | PlanState::Planning => {
            lines.push(Line::from(Span::styled(
                "… planning: kwif is computing the changes",
                theme.status(Status::Checking),
            )));
            (&[("Esc", "cancel")], None)
        }
        PlanState::Failed(error) => {
            lines.extend(wrapped(
                &format!("✗ cannot plan: {}", error.message),
                width,
                0,
                theme.failure(),
            ));
            lines.extend(wrapped(
                &format!("fix: {}", error.fix),
                width,
                2,
                theme.fix(),
            ));
            (&[("Esc", "close")], None)
        }
        PlanState::Ready(plan) if plan.is_empty() => {
            lines.push(Line::from(Span::styled(
                format!("✓ nothing to change: {step} matches the profile"),
                theme.success(),
            )));
            (&[("Esc", "close")], None)
        }
        PlanState::Ready(plan) => {
            let count = plan.changes.len();
            let text = format!(
                "{count} change{} will be made; nothing happens until you press y:",
                if count == 1 { "" } else { "s" }
            );
            lines.extend(wrapped(&text, width, 0, ratatui::style::Style::new()));
            for change in &plan.changes {
                lines.extend(change_lines(change, width, theme));
            }
            (keymap::CONFIRM_HINTS, Some("in the detail pane"))
        }
    };
    let height = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_add(3);
    let rect = modal_area(area, 96, height);
    let room = rect.height.saturating_sub(3) as usize;
    let lines = fit(lines, room, theme, note.unwrap_or(""));
    modal(
        frame,
        rect,
        theme,
        &format!("apply {step}?"),
        lines,
        Some(hint_line(
            theme,
            footer,
            rect.width.saturating_sub(2) as usize,
        )),
    );
}

/// One planned change as the confirmations show it: target, summary, coloured diff.
pub(super) fn change_lines(change: &Change, width: usize, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = hanging(&format!("● {}", change.target), width, 0, theme.heading());
    lines.extend(wrapped(
        &change.summary,
        width,
        2,
        ratatui::style::Style::new(),
    ));
    for line in change.diff().lines() {
        for piece in wrap_chars(line, width.saturating_sub(2)) {
            lines.push(Line::from(vec![
                Span::raw("  "),
                Span::styled(piece, theme.diff_line(line)),
            ]));
        }
    }
    lines
}

fn render_confirm_apply_all(
    state: &State,
    steps: &[StepId],
    scroll: usize,
    frame: &mut Frame,
    area: Rect,
) {
    let theme = state.theme;
    let rect = modal_area(area, 84, area.height);
    let width = rect.width.saturating_sub(2) as usize;
    let selection = ApplyAllSelection::of(state, steps);
    let mut lines = wrapped(
        "Every step with drift or errors, in wizard order:",
        width,
        0,
        ratatui::style::Style::new(),
    );
    for step in steps {
        let Some(view) = state.step(*step) else {
            continue;
        };
        let status = format!("{} {}", view.status.symbol(), view.status.word());
        let (what, style) = match &view.plan {
            PlanState::NotPlanned | PlanState::Planning => {
                ("… planning".to_string(), theme.status(Status::Checking))
            }
            PlanState::Ready(plan) if plan.is_empty() => {
                ("nothing to change".to_string(), theme.dim())
            }
            PlanState::Ready(plan) if selection.plans.iter().any(|p| p.step == *step) => {
                let count = plan.changes.len();
                (
                    format!("{count} change{}", if count == 1 { "" } else { "s" }),
                    ratatui::style::Style::new(),
                )
            }
            PlanState::Ready(_) => (
                "planned again after the steps above".to_string(),
                theme.dim(),
            ),
            PlanState::Failed(_) => ("cannot be planned yet".to_string(), theme.failure()),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("  {:<11}", step.as_str()), theme.heading()),
            Span::styled(format!("{status:<11}"), theme.status(view.status)),
            Span::styled(what, style),
        ]));
    }
    lines.push(Line::default());
    let steps_now = selection.plans.len();
    let summary = if selection.planning {
        "Waiting for the plans…".to_string()
    } else if selection.plans.is_empty() {
        match &selection.blocked {
            Some((step, message)) => format!("✗ {step} cannot be planned: {message}"),
            None => "Nothing to apply: every plan is empty.".to_string(),
        }
    } else {
        format!(
            "y applies {} change{} in {steps_now} step{}, in this order, then checks every step again.",
            selection.change_count(),
            if selection.change_count() == 1 {
                ""
            } else {
                "s"
            },
            if steps_now == 1 { "" } else { "s" },
        )
    };
    lines.extend(wrapped(&summary, width, 0, theme.heading()));
    if selection.can_apply() && !selection.deferred.is_empty() {
        let names: Vec<&str> = selection
            .deferred
            .iter()
            .map(|step| step.as_str())
            .collect();
        let builds = if names.len() == 1 {
            "it builds"
        } else {
            "they build"
        };
        let text = format!(
            "Then kwif plans {} ({builds} on these steps) and shows those changes before asking again.",
            names.join(", ")
        );
        lines.extend(wrapped(&text, width, 0, theme.dim()));
    }
    // Below the summary, every change as a diff; the summary stays, the diffs scroll.
    let mut diffs: Vec<Line<'static>> = Vec::new();
    if selection.can_apply() {
        for plan in &selection.plans {
            diffs.push(Line::default());
            diffs.push(Line::from(Span::styled(
                format!("{} — {}", plan.step, plan.step.title()),
                theme.heading(),
            )));
            for change in &plan.changes {
                diffs.extend(change_lines(change, width, theme));
            }
        }
    }
    let footer: &[(&str, &str)] = if selection.can_apply() {
        keymap::CONFIRM_ALL_HINTS
    } else {
        &[("Esc", "close")]
    };
    draw_scrolled_confirmation(
        frame,
        area,
        theme,
        "apply all?",
        (lines, diffs),
        scroll,
        footer,
    );
}

/// A confirmation with a fixed summary (`lines`) above `diffs` scrolled by `scroll`, and the
/// keys in `footer`: apply-all's and destroy's.
pub(super) fn draw_scrolled_confirmation(
    frame: &mut Frame,
    area: Rect,
    theme: Theme,
    title: &str,
    (mut lines, diffs): (Vec<Line<'static>>, Vec<Line<'static>>),
    scroll: usize,
    footer: &[(&str, &str)],
) {
    let height = u16::try_from(lines.len() + diffs.len())
        .unwrap_or(u16::MAX)
        .saturating_add(3);
    let rect = modal_area(area, 84, height);
    let room = rect.height.saturating_sub(3) as usize;
    append_scrolled(&mut lines, diffs, scroll, room, theme);
    modal(
        frame,
        rect,
        theme,
        title,
        fit(lines, room, theme, ""),
        Some(hint_line(
            theme,
            footer,
            rect.width.saturating_sub(2) as usize,
        )),
    );
}

/// Appends what of `diffs` fits below `lines` in `room`, from `scroll` on (clamped at their
/// end), with a line saying how much is above and below: the summary stays, the diffs scroll.
pub(super) fn append_scrolled(
    lines: &mut Vec<Line<'static>>,
    mut diffs: Vec<Line<'static>>,
    scroll: usize,
    room: usize,
    theme: Theme,
) {
    let diff_room = room.saturating_sub(lines.len());
    if diff_room > 1 && !diffs.is_empty() {
        let last_start = diffs.len().saturating_sub(diff_room - 1);
        let start = scroll.min(last_start);
        let shown = diffs.len().min(start + diff_room - 1) - start;
        let below = diffs.len() - start - shown;
        lines.extend(diffs.drain(start..start + shown));
        if start > 0 || below > 0 {
            lines.push(Line::from(Span::styled(
                format!("↑↓ scroll the diffs: {start} lines above, {below} below"),
                theme.dim(),
            )));
        }
    }
}

fn render_applying(state: &State, progress: &ApplyProgress, frame: &mut Frame, area: Rect) {
    let theme = state.theme;
    let rect = modal_area(area, 72, area.height);
    let width = rect.width.saturating_sub(2) as usize;
    let words = if progress.removal {
        ProgressWords {
            doing: "removing",
            done: "removed",
        }
    } else {
        ProgressWords {
            doing: "applying",
            done: "applied",
        }
    };
    let mut lines = Vec::new();
    for (step, item) in &progress.items {
        let (symbol, text, style) = match item {
            ApplyItemState::Waiting => (
                "·".to_string(),
                "waiting".to_string(),
                theme.status(Status::Pending),
            ),
            ApplyItemState::Applying => (
                spinner(state.tick).to_string(),
                words.doing.to_string(),
                theme.status(Status::Checking),
            ),
            ApplyItemState::Applied { changes } => (
                "✓".to_string(),
                format!(
                    "{} ({changes} change{})",
                    words.done,
                    if *changes == 1 { "" } else { "s" }
                ),
                theme.status(Status::Ok),
            ),
            ApplyItemState::Failed(message) => (
                "✗".to_string(),
                format!("failed: {message}"),
                theme.status(Status::Error),
            ),
        };
        let row = format!("  {symbol} {:<11}{text}", step.as_str());
        for (index, piece) in wrap_words(&row, width).into_iter().enumerate() {
            let piece = if index == 0 {
                piece
            } else {
                format!("{}{piece}", " ".repeat(16))
            };
            lines.push(Line::from(Span::styled(piece, style)));
        }
    }
    lines.push(Line::default());
    let note = match (progress.quit_requested, progress.cancel_requested) {
        (true, _) => {
            "Quitting once the current step is applied (a write is never left half-done). Ctrl-C again quits now; rerun kwif to finish."
        }
        (false, true) => {
            "Stopping once the current step is applied; the later steps are not started."
        }
        _ => "Each step's apply runs to its end; Esc stops before the next step.",
    };
    lines.extend(wrapped(note, width, 0, theme.dim()));
    let footer: &[(&str, &str)] = if progress.cancel_requested {
        &[]
    } else {
        keymap::APPLYING_HINTS
    };
    let height = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_add(3);
    let rect = modal_area(area, 72, height);
    let room = rect.height.saturating_sub(3) as usize;
    modal(
        frame,
        rect,
        theme,
        words.doing,
        fit(lines, room, theme, ""),
        Some(hint_line(
            theme,
            footer,
            rect.width.saturating_sub(2) as usize,
        )),
    );
}

/// How the progress of an apply or a removal names what it does.
struct ProgressWords {
    doing: &'static str,
    done: &'static str,
}
