//! The wizard's styles, the same colours as the text report (`engine::render`). With colour off
//! (`NO_COLOR`, `--no-color`) every style keeps its bold/reverse/dim and drops its colour, so no
//! state is told by colour alone: symbols and words always come along.

use ratatui::style::{Color, Modifier, Style};

use crate::engine::{Severity, Status};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    color: bool,
}

impl Theme {
    pub fn new(color: bool) -> Theme {
        Theme { color }
    }

    fn paint(&self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    pub fn status(&self, status: Status) -> Style {
        let color = match status {
            Status::Ok => Color::Green,
            Status::Drift => Color::Yellow,
            Status::Error => Color::Red,
            Status::Checking => Color::Cyan,
            Status::Pending | Status::Skipped => Color::DarkGray,
        };
        self.paint(color).add_modifier(Modifier::BOLD)
    }

    pub fn severity(&self, severity: Severity) -> Style {
        let color = match severity {
            Severity::Error => Color::Red,
            Severity::Warning => Color::Yellow,
        };
        self.paint(color).add_modifier(Modifier::BOLD)
    }

    /// A line of a unified diff, by its first character.
    pub fn diff_line(&self, line: &str) -> Style {
        if line.starts_with("+++") || line.starts_with("---") {
            return self.heading();
        }
        match line.chars().next() {
            Some('+') => self.paint(Color::Green),
            Some('-') => self.paint(Color::Red),
            Some('@') => self.paint(Color::Cyan),
            _ => Style::new(),
        }
    }

    pub fn fix(&self) -> Style {
        self.paint(Color::Cyan)
    }

    pub fn failure(&self) -> Style {
        self.paint(Color::Red)
    }

    pub fn success(&self) -> Style {
        self.paint(Color::Green)
    }

    pub fn heading(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn dim(&self) -> Style {
        Style::new().add_modifier(Modifier::DIM)
    }

    pub fn key(&self) -> Style {
        self.paint(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn border(&self, focused: bool) -> Style {
        match (focused, self.color) {
            (true, true) => Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            (true, false) => Style::new().add_modifier(Modifier::BOLD),
            (false, _) => self.dim(),
        }
    }

    pub fn title(&self) -> Style {
        self.paint(Color::Cyan).add_modifier(Modifier::BOLD)
    }
}
