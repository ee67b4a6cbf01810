//! Why a profile is refused: one error per broken rule, naming the field as the user writes it in
//! YAML, what is wrong with the value and the fix. Nothing here parses or validates.

use std::fmt;
use std::path::PathBuf;

use crate::input::InputError;
use crate::input::nesting::TooDeep;

/// One rule one field breaks. Displays as `<field path>: <what is wrong with the value> <the fix>`,
/// the path written as the user writes it in YAML (`workloads[1].serviceAccount`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub(super) field: String,
    pub(super) message: String,
    pub(super) line_column: Option<(usize, usize)>,
}

impl FieldError {
    pub(super) fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
            line_column: None,
        }
    }

    /// The YAML path of the field, e.g. `hosting.nginx.host` or `identity.roles[0].scope`.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// What is wrong and how to fix it, without the field path.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where serde_yaml found a syntax, type or unknown-field error (1-based line and column).
    pub fn line_column(&self) -> Option<(usize, usize)> {
        self.line_column
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Why a profile cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The file could not be opened or read (missing, no permission, a directory).
    #[error("{}: cannot be read ({source}): check the path, or run `kwif` to write a new profile", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file was read but is not a profile's size or encoding (over 1 MiB, not UTF-8); the
    /// message names the file and the fix.
    #[error("{0}")]
    Input(InputError),
    /// The YAML nests deeper than any profile: refused before it is parsed.
    #[error("{0}")]
    TooDeep(TooDeep),
    /// A YAML syntax error, an unknown field or a value of the wrong type. serde_yaml stops at
    /// the first one, so there is exactly one.
    #[error("{0}")]
    Yaml(FieldError),
    /// Every rule the values break, one per line.
    #[error("{}", lines(.0))]
    Invalid(Vec<FieldError>),
}

fn lines(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(FieldError::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

impl ProfileError {
    /// The YAML path of the (first) field at fault; `None` when the file itself is unreadable.
    pub fn field(&self) -> Option<&str> {
        self.errors().first().map(FieldError::field)
    }

    /// Every field error, in document order.
    pub fn errors(&self) -> &[FieldError] {
        match self {
            ProfileError::Read { .. } | ProfileError::Input(_) | ProfileError::TooDeep(_) => &[],
            ProfileError::Yaml(error) => std::slice::from_ref(error),
            ProfileError::Invalid(errors) => errors,
        }
    }
}

/// Why one value is rejected, without its field path: the value, the rule it breaks, the fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(pub(super) String);

/// The value as shown in messages: quoted with escapes (so whitespace shows), cut at 80 characters.
pub(super) fn quoted(raw: &str) -> String {
    const SHOWN: usize = 80;
    if raw.chars().count() <= SHOWN {
        return format!("{raw:?}");
    }
    let head: String = raw.chars().take(SHOWN - 1).collect();
    format!("{:?}", format!("{head}…"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;
    use crate::profile::tests::example_with;

    #[test]
    fn error_field_accessor_names_the_first_field() {
        let error =
            Profile::from_yaml(&example_with("name: id-application1", "name: -x")).unwrap_err();
        assert_eq!(error.field(), Some("identity.name"));
        assert_eq!(error.errors().len(), 1);
    }

    #[test]
    fn long_values_are_cut_in_messages() {
        let shown = quoted(&"x".repeat(500));
        assert_eq!(shown.chars().count(), 82);
        assert!(shown.ends_with("x…\""));
        assert_eq!(quoted("a\tb"), "\"a\\tb\"");
    }
}
