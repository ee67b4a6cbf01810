//! Draws the wizard: a pure function of [`State`] (no clock, no randomness), so TestBackend
//! snapshots and SVG screenshots are deterministic. Left the steps, right the detail of the
//! selected one, below the log and the key hints; overlays on top.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::State;
use super::detail_view::detail_lines;
use super::keymap;
use super::overlay::Overlay;
use super::overlay_view::render_overlay;
use super::screen_layout::ScreenLayout;
use super::state::Focus;
use super::text_wrap::{truncate, width as text_width};
use super::theme::Theme;
use crate::engine::Status;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub fn spinner(tick: u64) -> &'static str {
    SPINNER[(tick % SPINNER.len() as u64) as usize]
}

pub fn render(state: &State, frame: &mut Frame) {
    let area = frame.area();
    if area.width == 0 || area.height == 0 {
        return;
    }
    let layout = ScreenLayout::new(area);
    render_title(state, frame, layout.title);
    render_steps(state, frame, &layout);
    render_detail(state, frame, layout.detail);
    render_log(state, frame, layout.log);
    render_hints(state, frame, layout.hints);
    render_overlay(state, frame, area);
}

fn render_title(state: &State, frame: &mut Frame, area: Rect) {
    let theme = state.theme;
    let (long, short, style) = activity(state);
    let width = area.width as usize;
    let title = format!(" · {}", state.title);
    // The activity on the right wins over the end of the title; the short form on narrow screens.
    let right = [long, short]
        .into_iter()
        .find(|text| text_width(text) + 12 <= width)
        .unwrap_or_default();
    let room = width.saturating_sub(text_width(&right) + 1 + 5);
    let left = Line::from(vec![
        Span::styled(" kwif", theme.title()),
        Span::raw(truncate(&title, room)),
    ]);
    frame.render_widget(Paragraph::new(left), area);
    if !right.is_empty() {
        let right_width = text_width(&right) as u16;
        let right_area = Rect::new(area.right() - right_width - 1, area.y, right_width + 1, 1);
        frame.render_widget(Paragraph::new(Span::styled(right, style)), right_area);
    }
}

/// What runs now, or the overall result (long and short): the right side of the title bar.
fn activity(state: &State) -> (String, String, ratatui::style::Style) {
    let theme = state.theme;
    let spin = spinner(state.tick);
    let total = state.steps.len();
    if let Overlay::Applying(progress) = &state.overlay {
        let step = progress
            .current()
            .map_or("…".to_string(), |step| step.to_string());
        let doing = if progress.removal {
            "removing"
        } else {
            "applying"
        };
        let text = format!("{spin} {doing} {step}");
        return (text.clone(), text, theme.status(Status::Checking));
    }
    let checking = state
        .steps
        .iter()
        .filter(|view| view.status == Status::Checking)
        .count();
    if checking > 0 {
        let long = format!("{spin} checking {checking} of {total}");
        return (
            long,
            format!("{spin} checking"),
            theme.status(Status::Checking),
        );
    }
    let attention = state.steps_needing_attention().len();
    let ok = state
        .steps
        .iter()
        .filter(|view| view.status == Status::Ok)
        .count();
    match attention {
        0 if state.all_ok() => (
            format!("✓ {ok} of {total} ok"),
            format!("✓ {ok} ok"),
            theme.status(Status::Ok),
        ),
        0 => (
            format!("{ok} of {total} ok"),
            format!("{ok} ok"),
            theme.dim(),
        ),
        _ => (
            format!("~ {attention} to fix · {ok} of {total} ok"),
            format!("~ {attention} to fix"),
            theme.status(Status::Drift),
        ),
    }
}

fn pane(theme: Theme, title: &str, focused: bool) -> Block<'static> {
    Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(focused))
        .title(Span::styled(format!(" {title} "), theme.heading()))
}

fn render_steps(state: &State, frame: &mut Frame, layout: &ScreenLayout) {
    let theme = state.theme;
    let block = pane(
        theme,
        "steps",
        state.focus == Focus::Steps && state.overlay.is_none(),
    );
    let inner = block.inner(layout.steps);
    frame.render_widget(block, layout.steps);
    let count = state.steps.len();
    for (index, view) in state.steps.iter().enumerate() {
        let row = layout.step_row(index, count);
        let selected = index == state.selected;
        let marker = if selected { "▶ " } else { "  " };
        let status = format!("{} {}", view.status.symbol(), view.status.word());
        let name = format!("{marker}{:<11}", view.id.as_str());
        let padding = " "
            .repeat((row.width as usize).saturating_sub(text_width(&name) + text_width(&status)));
        let row_style = if selected {
            theme.selected()
        } else {
            ratatui::style::Style::new()
        };
        let mut lines = vec![Line::from(vec![
            Span::styled(name, row_style.patch(theme.heading())),
            Span::styled(status, theme.status(view.status).patch(row_style)),
            Span::styled(padding, row_style),
        ])];
        if row.height > 1
            && let Some(progress) = &view.progress
        {
            lines.push(Line::from(Span::styled(
                truncate(&format!("    {progress}"), row.width as usize),
                theme.status(Status::Checking),
            )));
        } else if row.height > 1
            && let Some(finding) = most_important(&view.findings)
        {
            let style = if finding.is_error() {
                theme.status(Status::Error)
            } else {
                theme.dim()
            };
            let text = format!("    {}", finding.message);
            lines.push(Line::from(Span::styled(
                truncate(&text, row.width as usize),
                style,
            )));
        }
        frame.render_widget(Paragraph::new(lines), row);
    }
    // The selected step's title below the list, when there is room.
    let used = count as u16 * layout.rows_per_step(count);
    if layout.step_columns == 1
        && inner.height > used + 1
        && let Some(view) = state.selected()
    {
        let line = Line::from(Span::styled(
            truncate(view.id.title(), inner.width as usize),
            theme.dim(),
        ));
        let area = Rect::new(inner.x, inner.y + used + 1, inner.width, 1);
        frame.render_widget(Paragraph::new(line), area);
    }
}

/// The finding a step row shows: the first error, else the first warning.
fn most_important(findings: &[crate::engine::Finding]) -> Option<&crate::engine::Finding> {
    findings
        .iter()
        .find(|finding| finding.is_error())
        .or_else(|| findings.first())
}

fn render_detail(state: &State, frame: &mut Frame, area: Rect) {
    let theme = state.theme;
    let title = state
        .selected()
        .map_or("detail".to_string(), |view| view.id.as_str().to_string());
    let block = pane(
        theme,
        &title,
        state.focus == Focus::Detail && state.overlay.is_none(),
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let lines = detail_lines(state, inner.width as usize);
    let height = inner.height as usize;
    let scroll = state.detail_scroll.min(lines.len().saturating_sub(height));
    let shown: Vec<Line> = lines.into_iter().skip(scroll).take(height).collect();
    frame.render_widget(Paragraph::new(shown), inner);
}

fn render_log(state: &State, frame: &mut Frame, area: Rect) {
    if area.height == 0 {
        return;
    }
    let theme = state.theme;
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(theme.dim())
        .title(Span::styled(" log ", theme.heading()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    let lines: Vec<Line> = state
        .log
        .last(inner.height as usize)
        .iter()
        .map(|line| {
            let style = match line.kind {
                super::activity_log::LogKind::Info => theme.dim(),
                super::activity_log::LogKind::Done => theme.success(),
                super::activity_log::LogKind::Failed => theme.failure(),
            };
            Line::from(vec![
                Span::styled(format!(" {} ", line.kind.symbol()), style),
                Span::raw(truncate(&line.text, width.saturating_sub(3))),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The key hints for what has the keys now.
pub fn hints_for(state: &State) -> &'static [(&'static str, &'static str)] {
    match (&state.overlay, state.focus) {
        (Overlay::Help, _) => keymap::HELP_HINTS,
        (Overlay::ConfirmApply { .. } | Overlay::ConfirmApplyAll { .. }, _) => {
            keymap::CONFIRM_HINTS
        }
        (Overlay::ConfirmDestroy { .. }, _) => keymap::CONFIRM_DESTROY_HINTS,
        (Overlay::Applying(_), _) => keymap::APPLYING_HINTS,
        (Overlay::Form(form), _) => form.hints(),
        (Overlay::None, Focus::Steps) => keymap::STEPS_HINTS,
        (Overlay::None, Focus::Detail) => keymap::DETAIL_HINTS,
    }
}

/// The hints that fit `width`: the first ones and the last two (help, quit) are kept longest.
pub fn hint_line(theme: Theme, hints: &[(&str, &str)], width: usize) -> Line<'static> {
    let cost = |hints: &[(&str, &str)]| {
        hints
            .iter()
            .map(|(key, label)| text_width(key) + text_width(label) + 3)
            .sum::<usize>()
            + 1
    };
    let mut shown: Vec<(&str, &str)> = hints.to_vec();
    while cost(&shown) > width + 2 && shown.len() > 2 {
        shown.remove(shown.len() - 3);
    }
    let mut spans = vec![Span::raw(" ")];
    for (key, label) in shown {
        spans.push(Span::styled(key.to_string(), theme.key()));
        spans.push(Span::raw(format!(" {label}  ")));
    }
    Line::from(spans)
}

fn render_hints(state: &State, frame: &mut Frame, area: Rect) {
    frame.render_widget(
        Paragraph::new(hint_line(
            state.theme,
            hints_for(state),
            area.width as usize,
        )),
        area,
    );
}
