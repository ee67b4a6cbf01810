//! A YAML file as its documents (split on `---`), each parsed with serde_yaml, so one document can
//! be changed while every other byte of the file (other documents, markers, comments) stays as is.

use serde_yaml::Value;

use super::DistroError;
use super::yaml_edit::{Edit, edit_document};
use crate::input::nesting::check_yaml;

/// A piece of the file: a document, or the text between documents (markers, leading comments).
struct Piece {
    text: String,
    value: Option<Value>,
}

pub(crate) struct YamlFile {
    pieces: Vec<Piece>,
    /// Set when a document had to be re-serialised.
    pub rewritten: bool,
}

impl YamlFile {
    /// Splits and parses `text`; `what` names the file in errors ("the k0s config").
    pub(crate) fn parse(text: &str, what: &str) -> Result<YamlFile, DistroError> {
        check_yaml(text).map_err(|too_deep| DistroError::TooDeep {
            what: what.to_string(),
            too_deep,
        })?;
        let mut pieces = Vec::new();
        let mut body = String::new();
        let mut body_line = 0;
        let mut after_marker = false;
        let flush =
            |body: &mut String, body_line: usize, after_marker: bool, pieces: &mut Vec<Piece>| {
                let text = std::mem::take(body);
                let has_content = text.lines().any(|line| {
                    let line = line.trim();
                    !line.is_empty() && !line.starts_with('#')
                });
                let value = if after_marker || has_content {
                    Some(parse_body(&text, body_line, what)?)
                } else {
                    None
                };
                if !text.is_empty() || value.is_some() {
                    pieces.push(Piece { text, value });
                }
                Ok::<(), DistroError>(())
            };
        for (index, line) in text.split_inclusive('\n').enumerate() {
            let content = line.trim_end_matches(['\n', '\r']);
            let Some((marker, rest)) = marker_of(content) else {
                if body.is_empty() {
                    body_line = index;
                }
                body.push_str(line);
                continue;
            };
            let rest = rest.trim();
            if !rest.is_empty() && !rest.starts_with('#') {
                return Err(DistroError::Unparsable {
                    what: what.to_string(),
                    line: Some(index + 1),
                    message: format!(
                        "kwif cannot edit content on the `{marker}` line: move it to the next line"
                    ),
                });
            }
            flush(&mut body, body_line, after_marker, &mut pieces)?;
            pieces.push(Piece {
                text: line.to_string(),
                value: None,
            });
            after_marker = marker == "---";
            body_line = index + 1;
        }
        flush(&mut body, body_line, after_marker, &mut pieces)?;
        if !pieces.iter().any(|piece| piece.value.is_some()) {
            // An empty (or comments-only) file is one empty document.
            match pieces
                .iter_mut()
                .rev()
                .find(|piece| marker_of(piece.text.trim_end()).is_none())
            {
                Some(piece) => piece.value = Some(Value::Null),
                None => pieces.push(Piece {
                    text: String::new(),
                    value: Some(Value::Null),
                }),
            }
        }
        Ok(YamlFile {
            pieces,
            rewritten: false,
        })
    }

    /// The documents: their index (for `edit`) and parsed value.
    pub(crate) fn documents(&self) -> impl Iterator<Item = (usize, &Value)> {
        self.pieces
            .iter()
            .enumerate()
            .filter_map(|(index, piece)| piece.value.as_ref().map(|value| (index, value)))
    }

    pub(crate) fn value(&self, index: usize) -> &Value {
        self.pieces[index].value.as_ref().unwrap_or(&Value::Null)
    }

    /// Applies `edits` to document `index`.
    pub(crate) fn edit(&mut self, index: usize, edits: &[Edit]) -> Result<(), DistroError> {
        let piece = &mut self.pieces[index];
        let value = piece.value.clone().unwrap_or(Value::Null);
        let edited = edit_document(&piece.text, &value, edits)?;
        self.rewritten |= edited.rewritten;
        piece.text = edited.text;
        piece.value = Some(edited.value);
        Ok(())
    }

    /// Adds a document at the end, after a `---` line.
    pub(crate) fn push_document(&mut self, text: &str, value: Value) {
        let mut rendered = self.render();
        let crlf = rendered.contains("\r\n");
        let eol = if crlf { "\r\n" } else { "\n" };
        if !rendered.is_empty() && !rendered.ends_with('\n') {
            self.pieces.push(Piece {
                text: eol.to_string(),
                value: None,
            });
            rendered.push('\n');
        }
        if !rendered.is_empty() {
            self.pieces.push(Piece {
                text: format!("---{eol}"),
                value: None,
            });
        }
        let text = if crlf {
            text.replace('\n', "\r\n")
        } else {
            text.to_string()
        };
        self.pieces.push(Piece {
            text,
            value: Some(value),
        });
    }

    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        for piece in &self.pieces {
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&piece.text);
        }
        out
    }
}

fn marker_of(line: &str) -> Option<(&'static str, &str)> {
    ["---", "..."].into_iter().find_map(|marker| {
        let rest = line.strip_prefix(marker)?;
        (rest.is_empty() || rest.starts_with([' ', '\t'])).then_some((marker, rest))
    })
}

fn parse_body(text: &str, first_line: usize, what: &str) -> Result<Value, DistroError> {
    serde_yaml::from_str::<Value>(text).map_err(|error| {
        let message = error.to_string();
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_string();
        DistroError::Unparsable {
            what: what.to_string(),
            line: error
                .location()
                .map(|location| first_line + location.line()),
            message,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_split_on_markers_and_render_back_byte_for_byte() {
        let text = "# preamble\n---\na: 1\n---\n# only a comment\n---\nb: [1,\n  2]\n...\n";
        let file = YamlFile::parse(text, "the file").unwrap();
        let values: Vec<&Value> = file.documents().map(|(_, value)| value).collect();
        assert_eq!(values.len(), 3);
        assert_eq!(values[1], &Value::Null);
        assert_eq!(file.render(), text);
    }

    #[test]
    fn an_empty_file_is_one_empty_document() {
        let file = YamlFile::parse("# nothing here\n", "the file").unwrap();
        assert_eq!(file.documents().count(), 1);
        let file = YamlFile::parse("", "the file").unwrap();
        assert_eq!(file.documents().count(), 1);
    }

    #[test]
    fn parse_errors_carry_the_line_in_the_whole_file() {
        let text = "a: 1\n---\nb: 2\nc: [\n";
        let error = YamlFile::parse(text, "the kubeadm config").err().unwrap();
        let DistroError::Unparsable { line, .. } = &error else {
            panic!("{error}")
        };
        assert!(line.is_some_and(|line| line >= 4), "{error}");
        assert!(
            error
                .to_string()
                .starts_with("the kubeadm config is not valid YAML (line"),
            "{error}"
        );
    }
}
