//! Draws the profile form: one page per step, each field with its kwif.yaml path, its value,
//! its hint when focused and the profile's message when the value is rejected; a blank line
//! sets each workload or role entry apart. Below 70 columns the value goes under its path.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::form_field::{FieldKind, FormField};
use super::form_picker::{PickerView, SHOWN};
use super::profile_form::ProfileForm;
use super::render::{hint_line, spinner};
use super::text_wrap::{truncate, width as text_width, wrap_words};
use super::theme::Theme;

pub fn render_form(form: &ProfileForm, theme: Theme, frame: &mut Frame, area: Rect) {
    let title = match form.page_count() {
        1 => format!(" {} ", form.title()),
        count => format!(
            " {} · {}/{count} {} ",
            form.title(),
            form.page_index() + 1,
            form.page_step().title()
        ),
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Span::styled(
            truncate(&title, area.width.saturating_sub(2) as usize),
            theme.heading(),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let footer_height = u16::from(inner.height >= 3);
    let body = Rect::new(inner.x, inner.y, inner.width, inner.height - footer_height);
    let page = FormLines::new(form, theme, body.width as usize);
    let height = body.height as usize;
    let offset = page.focus_end.saturating_sub(height).min(page.focus_start);
    let shown: Vec<Line> = page.lines.into_iter().skip(offset).take(height).collect();
    frame.render_widget(Paragraph::new(shown), body);
    if let Some((column, line)) = page.cursor
        && line >= offset
        && line < offset + height
    {
        let x = body
            .x
            .saturating_add(column as u16)
            .min(body.right().saturating_sub(1));
        frame.set_cursor_position(Position::new(x, body.y + (line - offset) as u16));
    }
    if footer_height == 1 {
        let footer = Rect::new(inner.x, inner.bottom() - 1, inner.width, 1);
        frame.render_widget(
            Paragraph::new(hint_line(theme, form.hints(), footer.width as usize)),
            footer,
        );
    }
}

/// The page as lines, with where the focused field starts and ends and where its cursor is.
struct FormLines {
    lines: Vec<Line<'static>>,
    focus_start: usize,
    focus_end: usize,
    cursor: Option<(usize, usize)>,
}

impl FormLines {
    fn new(form: &ProfileForm, theme: Theme, width: usize) -> FormLines {
        let mut page = FormLines {
            lines: Vec::new(),
            focus_start: 0,
            focus_end: 0,
            cursor: None,
        };
        let fields = form.visible_fields();
        let stacked = width < 70;
        let label_width = if stacked {
            0
        } else {
            fields
                .iter()
                .map(|(field, _)| text_width(&field.path.to_string()))
                .max()
                .unwrap_or(0)
                .min(width / 2)
        };
        let value_column = if stacked { 4 } else { 2 + label_width + 2 };
        let value_width = width.saturating_sub(value_column).max(1);
        for (field, focused) in fields {
            if form.starts_entry(field) && !page.lines.is_empty() {
                page.lines.push(Line::default());
            }
            let start = page.lines.len();
            page.field(
                form,
                field,
                focused,
                theme,
                (label_width, value_column, value_width),
                stacked,
            );
            if focused {
                page.focus_start = start;
                page.focus_end = page.lines.len();
            }
        }
        let general = form.general_errors();
        if !general.is_empty() {
            page.lines.push(Line::default());
            for error in general {
                page.wrapped(&format!("✗ {error}"), 2, width, theme.failure());
            }
        }
        page.lines.push(Line::default());
        let (status, style) = match form.profile() {
            Some(_) => ("✓ the profile is valid: Ctrl-S saves it", theme.success()),
            None => (
                "fields marked ✗ need a fix before the profile can be saved",
                theme.dim(),
            ),
        };
        page.wrapped(status, 2, width, style);
        page
    }

    fn wrapped(&mut self, text: &str, indent: usize, width: usize, style: ratatui::style::Style) {
        for piece in wrap_words(text, width.saturating_sub(indent)) {
            self.lines.push(Line::from(vec![
                Span::raw(" ".repeat(indent)),
                Span::styled(piece, style),
            ]));
        }
    }

    fn field(
        &mut self,
        form: &ProfileForm,
        field: &FormField,
        focused: bool,
        theme: Theme,
        (label_width, value_column, value_width): (usize, usize, usize),
        stacked: bool,
    ) {
        let marker = if focused { "▶ " } else { "  " };
        let path = field.path.to_string();
        let shown_error = field.error.as_ref().filter(|_| form.shows_error(field));
        let label_style = match (focused, shown_error.is_some()) {
            (true, _) => theme.selected().patch(theme.heading()),
            (false, true) => theme.failure(),
            (false, false) => ratatui::style::Style::new(),
        };
        let (value, scroll) = shown_value(field, focused, value_width);
        let value_style = if field.value().is_empty() {
            theme.dim()
        } else {
            ratatui::style::Style::new()
        };
        let width = value_column + value_width;
        if stacked {
            self.lines.push(Line::from(vec![
                Span::raw(marker),
                Span::styled(truncate(&path, width.saturating_sub(2)), label_style),
            ]));
            self.lines.push(Line::from(vec![
                Span::raw(" ".repeat(value_column)),
                Span::styled(value, value_style),
            ]));
        } else {
            let padding = " ".repeat(label_width.saturating_sub(text_width(&path)));
            self.lines.push(Line::from(vec![
                Span::raw(marker),
                Span::styled(
                    format!("{}{padding}", truncate(&path, label_width)),
                    label_style,
                ),
                Span::raw("  "),
                Span::styled(value, value_style),
            ]));
        }
        if focused && matches!(field.kind, FieldKind::Text | FieldKind::Number) {
            let column = value_column + field.input.visual_cursor().saturating_sub(scroll);
            self.cursor = Some((column, self.lines.len() - 1));
        }
        if focused {
            self.picker(form, theme, value_column, width);
            self.wrapped(&field.hint, value_column, width, theme.dim());
        }
        if let Some(error) = shown_error {
            self.wrapped(&format!("✗ {error}"), value_column, width, theme.failure());
        }
    }
}

impl FormLines {
    /// The focused field's picker: a window of the matching entries with the selected one
    /// marked, a spinner while the list loads, or why there is none.
    fn picker(&mut self, form: &ProfileForm, theme: Theme, column: usize, width: usize) {
        let indent = " ".repeat(column);
        let room = width.saturating_sub(column + 2);
        match form.picker_view() {
            None => {}
            Some(PickerView::Loading(noun)) => {
                let frame = spinner(form.ticks());
                self.lines.push(Line::from(vec![
                    Span::raw(indent),
                    Span::styled(
                        truncate(&format!("{frame} loading {noun}…"), room),
                        theme.status(crate::engine::Status::Checking),
                    ),
                ]));
            }
            Some(PickerView::NoMatch { noun, total }) => {
                self.lines.push(Line::from(vec![
                    Span::raw(indent),
                    Span::styled(
                        truncate(
                            &format!("none of the {total} {noun} matches: a new name"),
                            room,
                        ),
                        theme.dim(),
                    ),
                ]));
            }
            Some(PickerView::Unavailable(reason)) => {
                self.lines.push(Line::from(vec![
                    Span::raw(indent),
                    Span::styled(truncate(&format!("no list: {reason}"), room), theme.dim()),
                ]));
            }
            Some(PickerView::Entries {
                noun,
                entries,
                first,
                selected,
            }) => {
                let shown = entries.len().min(first + SHOWN);
                for (index, entry) in entries.iter().enumerate().take(shown).skip(first) {
                    let (marker, style) = if index == selected {
                        ("▸ ", theme.selected())
                    } else {
                        ("  ", ratatui::style::Style::new())
                    };
                    self.lines.push(Line::from(vec![
                        Span::raw(indent.clone()),
                        Span::styled(format!("{marker}{}", truncate(&entry.label, room)), style),
                    ]));
                }
                let more = entries.len() - shown + first;
                let counted = if more > 0 {
                    format!("{} {noun}, {more} more: type to filter", entries.len())
                } else {
                    format!("{} {noun}: type to filter", entries.len())
                };
                self.lines.push(Line::from(vec![
                    Span::raw(indent),
                    Span::styled(truncate(&counted, room), theme.dim()),
                ]));
            }
        }
    }
}

/// The value as shown in `width` cells (scrolled to the cursor when focused), and the scroll.
fn shown_value(field: &FormField, focused: bool, width: usize) -> (String, usize) {
    match field.kind {
        FieldKind::Choice(_) => (truncate(&format!("‹ {} ›", field.value()), width), 0),
        FieldKind::Text | FieldKind::Number if field.value().is_empty() && !focused => {
            let placeholder = if field.optional {
                "(empty: the default)"
            } else {
                "(required)"
            };
            (truncate(placeholder, width), 0)
        }
        FieldKind::Text | FieldKind::Number => {
            let scroll = if focused {
                field.input.visual_scroll(width.saturating_sub(1))
            } else {
                0
            };
            let visible: String = field.value().chars().skip(scroll).collect();
            (truncate(&visible, width), scroll)
        }
    }
}
