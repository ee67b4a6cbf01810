//! Screenshots for the docs: a view rendered into a TestBackend buffer, the buffer walked into
//! an ANSI string (an SGR sequence only where the style changes), then anstyle-svg turns it into
//! SVG. Deterministic byte for byte: render is a pure function of state.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use anstyle::{Ansi256Color, AnsiColor, Effects, RgbColor};
use ratatui::Frame;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier, Style};

use super::render::render;
use super::state::State;
use super::text_wrap::width as text_width;

/// Renders anything drawable into a `width` x `height` buffer.
pub fn buffer_of(width: u16, height: u16, draw: impl FnOnce(&mut Frame)) -> Buffer {
    let Ok(mut terminal) = Terminal::new(TestBackend::new(width, height));
    let Ok(_) = terminal.draw(draw);
    terminal.backend().buffer().clone()
}

/// The wizard's view of `state` as a buffer.
pub fn render_buffer(state: &State, width: u16, height: u16) -> Buffer {
    buffer_of(width, height, |frame| render(state, frame))
}

/// The buffer as text with ANSI SGR codes, one line per row, reset at every line end.
pub fn buffer_to_ansi(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut current = anstyle::Style::new();
        let mut hidden = 0;
        for x in area.left()..area.right() {
            // Cells under a wide glyph are covered by it.
            if hidden > 0 {
                hidden -= 1;
                continue;
            }
            let cell = &buffer[(x, y)];
            let style = to_anstyle(cell.style());
            if style != current {
                let _ = write!(out, "{}{}", current.render_reset(), style.render());
                current = style;
            }
            out.push_str(cell.symbol());
            hidden = text_width(cell.symbol()).saturating_sub(1);
        }
        let _ = writeln!(out, "{}", current.render_reset());
    }
    out
}

/// The view of `state` as SVG.
pub fn render_svg(state: &State, width: u16, height: u16) -> String {
    svg_of(&render_buffer(state, width, height))
}

pub fn svg_of(buffer: &Buffer) -> String {
    anstyle_svg::Term::new().render_svg(&buffer_to_ansi(buffer))
}

/// Writes `<name>.svg` into `dir` (created if missing) for every shot; returns the paths.
pub fn write_screenshots(
    shots: &[(&str, State)],
    dir: &Path,
    width: u16,
    height: u16,
) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::with_capacity(shots.len());
    for (name, state) in shots {
        let path = dir.join(format!("{name}.svg"));
        std::fs::write(&path, render_svg(state, width, height))?;
        written.push(path);
    }
    Ok(written)
}

fn to_anstyle(style: Style) -> anstyle::Style {
    let modifiers = [
        (Modifier::BOLD, Effects::BOLD),
        (Modifier::DIM, Effects::DIMMED),
        (Modifier::ITALIC, Effects::ITALIC),
        (Modifier::UNDERLINED, Effects::UNDERLINE),
        (Modifier::SLOW_BLINK, Effects::BLINK),
        (Modifier::RAPID_BLINK, Effects::BLINK),
        (Modifier::REVERSED, Effects::INVERT),
        (Modifier::HIDDEN, Effects::HIDDEN),
        (Modifier::CROSSED_OUT, Effects::STRIKETHROUGH),
    ];
    let effects = modifiers
        .into_iter()
        .filter(|(modifier, _)| style.add_modifier.contains(*modifier))
        .fold(Effects::new(), |effects, (_, effect)| effects | effect);
    anstyle::Style::new()
        .fg_color(style.fg.and_then(to_anstyle_color))
        .bg_color(style.bg.and_then(to_anstyle_color))
        .effects(effects)
}

fn to_anstyle_color(color: Color) -> Option<anstyle::Color> {
    let ansi = |color: AnsiColor| Some(anstyle::Color::Ansi(color));
    match color {
        Color::Reset => None,
        Color::Black => ansi(AnsiColor::Black),
        Color::Red => ansi(AnsiColor::Red),
        Color::Green => ansi(AnsiColor::Green),
        Color::Yellow => ansi(AnsiColor::Yellow),
        Color::Blue => ansi(AnsiColor::Blue),
        Color::Magenta => ansi(AnsiColor::Magenta),
        Color::Cyan => ansi(AnsiColor::Cyan),
        Color::Gray => ansi(AnsiColor::White),
        Color::DarkGray => ansi(AnsiColor::BrightBlack),
        Color::LightRed => ansi(AnsiColor::BrightRed),
        Color::LightGreen => ansi(AnsiColor::BrightGreen),
        Color::LightYellow => ansi(AnsiColor::BrightYellow),
        Color::LightBlue => ansi(AnsiColor::BrightBlue),
        Color::LightMagenta => ansi(AnsiColor::BrightMagenta),
        Color::LightCyan => ansi(AnsiColor::BrightCyan),
        Color::White => ansi(AnsiColor::BrightWhite),
        Color::Rgb(red, green, blue) => Some(anstyle::Color::Rgb(RgbColor(red, green, blue))),
        Color::Indexed(index) => Some(anstyle::Color::Ansi256(Ansi256Color(index))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::StepId;

    #[test]
    fn ansi_changes_style_only_where_it_changes() {
        let mut buffer = Buffer::empty(ratatui::layout::Rect::new(0, 0, 4, 1));
        buffer.set_string(0, 0, "ab", Style::new().fg(Color::Green));
        buffer.set_string(2, 0, "cd", Style::new());
        assert_eq!(buffer_to_ansi(&buffer), "\u{1b}[32mab\u{1b}[0mcd\n");
    }

    #[test]
    fn the_svg_is_deterministic_and_names_the_steps() {
        let state = State::new("screenshot", &StepId::ALL);
        let first = render_svg(&state, 100, 30);
        assert_eq!(first, render_svg(&state, 100, 30));
        for step in StepId::ALL {
            assert!(first.contains(step.as_str()), "{step}");
        }
    }
}
