//! One field of the profile form: where it lives in kwif.yaml, how it is entered (text, number,
//! or a choice among the profile's words), its current text and the message the profile gives
//! about it. Pure model: no rendering.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use serde_yaml::Value;
use tui_input::Input;
use tui_input::backend::crossterm::to_input_request;

use super::field_path::FieldPath;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    /// A whole number written to YAML as a number (`tokenExpirationSeconds`).
    Number,
    /// One of the words kwif.yaml accepts; ←/→ or the first letter picks one.
    Choice(&'static [&'static str]),
}

#[derive(Clone, Debug)]
pub struct FormField {
    pub path: FieldPath,
    pub hint: String,
    pub kind: FieldKind,
    /// Empty means "leave it out of kwif.yaml" (the profile's default applies).
    pub optional: bool,
    pub input: Input,
    /// The profile's message about the current value, if it rejects it.
    pub error: Option<String>,
    /// Edited or left by the user: from then on its error is shown.
    pub touched: bool,
    /// The field is part of the profile only while every (path, value) holds.
    pub shown_when: Vec<(FieldPath, &'static str)>,
    /// While untouched, the value follows the issuer's host (nginx serves at the issuer URL).
    pub follows_issuer_host: bool,
    /// A switch that lives on the form only (which kind of role an entry is): it decides which
    /// fields of its entry are shown and is never written to kwif.yaml.
    pub form_only: bool,
}

impl FormField {
    pub fn new(path: &str, kind: FieldKind, hint: impl Into<String>) -> FormField {
        FormField {
            path: FieldPath::parse(path),
            hint: hint.into(),
            kind,
            optional: false,
            input: Input::default(),
            error: None,
            touched: false,
            shown_when: Vec::new(),
            follows_issuer_host: false,
            form_only: false,
        }
    }

    pub fn text(path: &str, hint: impl Into<String>) -> FormField {
        FormField::new(path, FieldKind::Text, hint)
    }

    pub fn choice(
        path: &str,
        options: &'static [&'static str],
        hint: impl Into<String>,
    ) -> FormField {
        FormField::new(path, FieldKind::Choice(options), hint)
            .with_value(options.first().copied().unwrap_or_default())
    }

    pub fn optional(mut self) -> FormField {
        self.optional = true;
        self
    }

    pub fn shown_when(mut self, path: &str, value: &'static str) -> FormField {
        self.shown_when.push((FieldPath::parse(path), value));
        self
    }

    pub fn form_only(mut self) -> FormField {
        self.form_only = true;
        self
    }

    pub fn following_issuer_host(mut self) -> FormField {
        self.follows_issuer_host = true;
        self
    }

    pub fn with_value(mut self, value: &str) -> FormField {
        self.set_value(value);
        self
    }

    pub fn set_value(&mut self, value: &str) {
        self.input = Input::new(value.to_string());
    }

    pub fn value(&self) -> &str {
        self.input.value()
    }

    /// What goes into kwif.yaml: `None` to leave the key out, or why the text is not a value.
    pub fn yaml_value(&self) -> Result<Option<Value>, String> {
        let text = self.value();
        if text.is_empty() {
            return Ok(None);
        }
        match self.kind {
            FieldKind::Number => text
                .trim()
                .parse::<i64>()
                .map(|number| Some(Value::Number(number.into())))
                .map_err(|_| {
                    format!(
                        "{text:?} is not a whole number of seconds: write digits only, e.g. 3600"
                    )
                }),
            FieldKind::Text | FieldKind::Choice(_) => Ok(Some(Value::String(text.to_string()))),
        }
    }

    /// Edits the value with the key; returns whether the value changed.
    pub fn handle_key(&mut self, key: KeyEvent) -> bool {
        match self.kind {
            FieldKind::Choice(options) => self.choose(options, key),
            FieldKind::Text | FieldKind::Number => {
                let before = self.value().to_string();
                if let Some(request) = to_input_request(&Event::Key(key)) {
                    self.input.handle(request);
                }
                before != self.value()
            }
        }
    }

    fn choose(&mut self, options: &'static [&'static str], key: KeyEvent) -> bool {
        if options.is_empty() {
            return false;
        }
        let current = options.iter().position(|option| *option == self.value());
        let count = options.len();
        let next = match key.code {
            KeyCode::Right | KeyCode::Char(' ') => current.map_or(0, |index| (index + 1) % count),
            KeyCode::Left => current.map_or(0, |index| (index + count - 1) % count),
            KeyCode::Char(letter) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                // The next option starting with the letter, after the current one.
                let start = current.map_or(0, |index| index + 1);
                let Some(found) =
                    (0..count)
                        .map(|offset| (start + offset) % count)
                        .find(|&index| {
                            options[index]
                                .to_lowercase()
                                .starts_with(letter.to_ascii_lowercase())
                        })
                else {
                    return false;
                };
                found
            }
            _ => return false,
        };
        let changed = current != Some(next);
        self.set_value(options[next]);
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn a_choice_cycles_and_jumps_by_first_letter() {
        let mut field =
            FormField::choice("hosting.kind", &["nginx", "azure-blob", "directory"], "");
        assert!(field.handle_key(key(KeyCode::Right)));
        assert_eq!(field.value(), "azure-blob");
        field.handle_key(key(KeyCode::Left));
        field.handle_key(key(KeyCode::Left));
        assert_eq!(field.value(), "directory");
        field.handle_key(key(KeyCode::Char('n')));
        assert_eq!(field.value(), "nginx");
        assert!(!field.handle_key(key(KeyCode::Char('z'))));
    }

    #[test]
    fn text_is_edited_and_numbers_are_checked() {
        let mut field =
            FormField::new("workloads[0].tokenExpirationSeconds", FieldKind::Number, "");
        for c in "36x".chars() {
            field.handle_key(key(KeyCode::Char(c)));
        }
        assert!(
            field
                .yaml_value()
                .unwrap_err()
                .contains("not a whole number")
        );
        field.handle_key(key(KeyCode::Backspace));
        assert_eq!(field.yaml_value(), Ok(Some(Value::Number(36.into()))));
    }
}
