//! The edits kwif makes to a YAML document, applied twice: to the parsed value (what the result
//! must mean) and to the lines (what the result looks like). The line edit is kept only when it
//! parses back to exactly that value; otherwise the document is re-serialised, and a note says so.

use serde_yaml::{Mapping, Value};

use super::DistroError;
use super::flag_block::{FlagBlock, Slot};
use super::yaml_lines::YamlLines;

/// One step of a path into a YAML document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Seg {
    /// A key of a mapping.
    Key(String),
    /// The n-th item of a sequence.
    Index(usize),
    /// The item of a sequence of mappings whose `key` is the string `value`.
    ItemWith(String, String),
}

/// A path of mapping keys.
pub(crate) fn keys(names: &[&str]) -> Vec<Seg> {
    names
        .iter()
        .map(|name| Seg::Key((*name).to_string()))
        .collect()
}

/// A path as a user reads it: `spec.containers[name=kube-apiserver].command`.
pub(crate) fn describe(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
            Seg::ItemWith(key, value) => out.push_str(&format!("[{key}={value}]")),
        }
    }
    if out.is_empty() {
        "the document".to_string()
    } else {
        out
    }
}

/// A new item of a sequence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Item {
    /// A string, e.g. `--service-account-issuer=https://…`.
    Scalar(String),
    /// kubeadm v1beta4's `{name: …, value: …}`.
    NameValue(String, String),
    /// A multi-line string written as a literal block (`|`), e.g. a kind patch.
    Literal(String),
}

impl Item {
    pub(crate) fn to_value(&self) -> Value {
        match self {
            Item::Scalar(text) | Item::Literal(text) => Value::String(text.clone()),
            Item::NameValue(name, value) => {
                let mut map = Mapping::new();
                map.insert(Value::String("name".into()), Value::String(name.clone()));
                map.insert(Value::String("value".into()), Value::String(value.clone()));
                Value::Mapping(map)
            }
        }
    }
}

/// How scalars of a new sequence are quoted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Quote {
    Plain,
    Double,
    Single,
}

/// The look of a sequence kwif creates; an existing sequence keeps its own look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SequenceStyle {
    /// `- item` indented below its key (k3s docs) rather than level with it (kubeadm, kubectl).
    pub indented: bool,
    pub quote: Quote,
}

pub(crate) const COMPACT: SequenceStyle = SequenceStyle {
    indented: false,
    quote: Quote::Plain,
};

/// One change to a document.
#[derive(Clone, Debug)]
pub(crate) enum Edit {
    /// Sets `key` of the mapping at `path` to a string, creating the mappings on the way.
    SetString {
        path: Vec<Seg>,
        key: String,
        value: String,
    },
    /// Rewrites the sequence under `key` of the mapping at `path` (created when missing): the
    /// block's owned items leave, the block goes where the first of them was.
    Sequence {
        path: Vec<Seg>,
        key: String,
        block: FlagBlock<Item>,
        style: SequenceStyle,
    },
    /// Replaces the string at `path` (a literal block in the file, e.g. an embedded document).
    SetText { path: Vec<Seg>, text: String },
}

impl Edit {
    /// The one-line values this edit writes (a flag, an issuer); not the text of a document.
    fn new_values(&self) -> Vec<String> {
        match self {
            Edit::SetString { value, .. } => vec![value.clone()],
            Edit::Sequence { block, .. } => block
                .slots
                .iter()
                .filter_map(|slot| match slot {
                    Slot::New(Item::Scalar(text)) => Some(vec![text.clone()]),
                    Slot::New(Item::NameValue(name, value)) => {
                        Some(vec![name.clone(), value.clone()])
                    }
                    _ => None,
                })
                .flatten()
                .collect(),
            Edit::SetText { .. } => Vec::new(),
        }
    }

    pub(crate) fn set(path: &[&str], key: &str, value: &str) -> Edit {
        Edit::SetString {
            path: keys(path),
            key: key.to_string(),
            value: value.to_string(),
        }
    }
}

/// The document after the edits.
pub(crate) struct Edited {
    pub text: String,
    pub value: Value,
    /// The line edit could not be used: the document was re-serialised (comments lost).
    pub rewritten: bool,
}

/// Applies `edits` to a document whose text is `text` and whose parsed value is `value`.
pub(crate) fn edit_document(
    text: &str,
    value: &Value,
    edits: &[Edit],
) -> Result<Edited, DistroError> {
    let mut expected = value.clone();
    for edit in edits {
        apply_to_value(&mut expected, edit)?;
    }
    if expected == *value {
        return Ok(Edited {
            text: text.to_string(),
            value: expected,
            rewritten: false,
        });
    }
    let mut lines = YamlLines::new(text);
    let edited = edits
        .iter()
        .try_for_each(|edit| lines.apply(edit, &expected))
        .map(|()| lines.render());
    if let Ok(edited) = edited
        && serde_yaml::from_str::<Value>(&edited).is_ok_and(|parsed| parsed == expected)
    {
        return Ok(Edited {
            text: edited,
            value: expected,
            rewritten: false,
        });
    }
    // serde_yaml writes a string with a line break as a literal block, which would show the
    // value's second line as a line of its own: kwif does not write such a file whole.
    if let Some(value) = edits
        .iter()
        .flat_map(Edit::new_values)
        .find(|value| value.contains(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}']))
    {
        return Err(DistroError::Unrepresentable {
            what: "a YAML file kwif has to write out whole",
            value,
            reason: "a line break inside a value would show as a line of its own; use a value on one line",
        });
    }
    let text = serde_yaml::to_string(&expected).map_err(|error| DistroError::Field {
        field: "the document".into(),
        problem: format!("cannot be written back as YAML ({error})"),
    })?;
    Ok(Edited {
        text,
        value: expected,
        rewritten: true,
    })
}

/// The value at `path`, if every step exists.
pub(crate) fn value_at<'v>(value: &'v Value, path: &[Seg]) -> Option<&'v Value> {
    path.iter()
        .try_fold(value, |current, seg| match (seg, current) {
            (Seg::Key(key), Value::Mapping(map)) => map.get(key.as_str()),
            (Seg::Index(i), Value::Sequence(items)) => items.get(*i),
            (Seg::ItemWith(key, wanted), Value::Sequence(items)) => items.iter().find(|item| {
                item.get(key.as_str()).and_then(Value::as_str) == Some(wanted.as_str())
            }),
            _ => None,
        })
}

/// The string at `path`, if it is one.
pub(crate) fn string_at<'v>(value: &'v Value, path: &[&str]) -> Option<&'v str> {
    value_at(value, &keys(path)).and_then(Value::as_str)
}

/// The items of the sequence at `path` (a lone string counts as one item, as k3s reads it).
pub(crate) fn sequence_at(value: &Value, path: &[Seg]) -> Result<Vec<Value>, DistroError> {
    match value_at(value, path) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Sequence(items)) => Ok(items.clone()),
        Some(Value::String(text)) => Ok(vec![Value::String(text.clone())]),
        Some(other) => Err(not_a(path, "list", other)),
    }
}

/// What kind of YAML value this is, for messages.
pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "empty",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a map",
        Value::Tagged(_) => "a tagged value",
    }
}

fn not_a(path: &[Seg], expected: &str, found: &Value) -> DistroError {
    DistroError::Field {
        field: describe(path),
        problem: format!(
            "is {}, but kwif expects {expected} there: fix it by hand, then run kwif again",
            kind_of(found)
        ),
    }
}

fn apply_to_value(document: &mut Value, edit: &Edit) -> Result<(), DistroError> {
    match edit {
        Edit::SetString { path, key, value } => {
            mapping_at(document, path)?
                .insert(Value::String(key.clone()), Value::String(value.clone()));
        }
        Edit::Sequence {
            path, key, block, ..
        } => {
            let mut full = path.clone();
            full.push(Seg::Key(key.clone()));
            let before = sequence_at(document, &full)?;
            let exists = value_at(document, &full).is_some();
            let after = block.arrange(&before, Item::to_value);
            if exists || !after.is_empty() {
                mapping_at(document, path)?
                    .insert(Value::String(key.clone()), Value::Sequence(after));
            }
        }
        Edit::SetText { path, text } => {
            let target = value_mut(document, path).ok_or_else(|| DistroError::Field {
                field: describe(path),
                problem: "is missing".into(),
            })?;
            *target = Value::String(text.clone());
        }
    }
    Ok(())
}

fn value_mut<'v>(value: &'v mut Value, path: &[Seg]) -> Option<&'v mut Value> {
    path.iter()
        .try_fold(value, |current, seg| match (seg, current) {
            (Seg::Key(key), Value::Mapping(map)) => map.get_mut(key.as_str()),
            (Seg::Index(i), Value::Sequence(items)) => items.get_mut(*i),
            (Seg::ItemWith(key, wanted), Value::Sequence(items)) => items.iter_mut().find(|item| {
                item.get(key.as_str()).and_then(Value::as_str) == Some(wanted.as_str())
            }),
            _ => None,
        })
}

/// The mapping at `path`, created (from nothing or from an empty value) where missing.
fn mapping_at<'v>(document: &'v mut Value, path: &[Seg]) -> Result<&'v mut Mapping, DistroError> {
    let mut current = document;
    for (depth, seg) in path.iter().enumerate() {
        if current.is_null() && matches!(seg, Seg::Key(_)) {
            *current = Value::Mapping(Mapping::new());
        }
        let here = &path[..depth];
        current = match (seg, current) {
            (Seg::Key(key), Value::Mapping(map)) => {
                map.entry(Value::String(key.clone())).or_insert(Value::Null)
            }
            (Seg::Index(i), Value::Sequence(items)) => {
                items.get_mut(*i).ok_or_else(|| missing(&path[..=depth]))?
            }
            (Seg::ItemWith(key, wanted), Value::Sequence(items)) => items
                .iter_mut()
                .find(|item| {
                    item.get(key.as_str()).and_then(Value::as_str) == Some(wanted.as_str())
                })
                .ok_or_else(|| missing(&path[..=depth]))?,
            (Seg::Key(_), other) => return Err(not_a(here, "a map", other)),
            (_, other) => return Err(not_a(here, "a list", other)),
        };
    }
    if current.is_null() {
        *current = Value::Mapping(Mapping::new());
    }
    match current {
        Value::Mapping(map) => Ok(map),
        other => Err(not_a(path, "a map", other)),
    }
}

fn missing(path: &[Seg]) -> DistroError {
    DistroError::Field {
        field: describe(path),
        problem: "is missing from the file".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::flag_block::Slot;
    use super::*;

    fn parse(text: &str) -> Value {
        serde_yaml::from_str(text).unwrap()
    }

    #[test]
    fn setting_a_string_keeps_comments_and_order() {
        let text = "# top\nspec:\n  api:\n    port: 6443 # the port\n  other: x\n";
        let edited = edit_document(
            text,
            &parse(text),
            &[Edit::set(&["spec", "api", "extraArgs"], "a", "https://n")],
        )
        .unwrap();
        assert!(!edited.rewritten);
        assert_eq!(
            edited.text,
            "# top\nspec:\n  api:\n    port: 6443 # the port\n    extraArgs:\n      a: https://n\n  other: x\n"
        );
    }

    #[test]
    fn an_unchanged_document_keeps_its_bytes() {
        let text = "a:   {b: c}   # odd but fine\n";
        let edited = edit_document(text, &parse(text), &[Edit::set(&["a"], "b", "c")]).unwrap();
        assert_eq!(edited.text, text);
    }

    #[test]
    fn a_flow_mapping_with_content_falls_back_to_a_rewrite() {
        let text = "a: {b: c}\n";
        let edited = edit_document(text, &parse(text), &[Edit::set(&["a"], "d", "e")]).unwrap();
        assert!(edited.rewritten);
        assert_eq!(parse(&edited.text), parse("a: {b: c, d: e}"));
    }

    #[test]
    fn sequence_block_replaces_owned_items_in_place() {
        let text = "args:\n- one\n# about two\n- two\n- three\n";
        let block = FlagBlock {
            owned: vec![1],
            slots: vec![Slot::New(Item::Scalar("new".into())), Slot::Existing(1)],
        };
        let edit = Edit::Sequence {
            path: vec![],
            key: "args".into(),
            block,
            style: COMPACT,
        };
        let edited = edit_document(text, &parse(text), &[edit]).unwrap();
        assert!(!edited.rewritten);
        assert_eq!(
            edited.text,
            "args:\n- one\n# about two\n- new\n- two\n- three\n"
        );
    }

    #[test]
    fn wrong_shapes_are_named() {
        let text = "spec:\n  api: [1]\n";
        let error = edit_document(
            text,
            &parse(text),
            &[Edit::set(&["spec", "api", "extraArgs"], "a", "b")],
        )
        .err()
        .unwrap();
        assert_eq!(
            error.to_string(),
            "spec.api is a list, but kwif expects a map there: fix it by hand, then run kwif again"
        );
    }

    #[test]
    fn an_empty_flow_map_opens_for_new_keys_keeping_its_comment() {
        let text = "spec:\n  api: {} # filled by kwif\n  other: 1\n";
        let edited =
            edit_document(text, &parse(text), &[Edit::set(&["spec", "api"], "a", "b")]).unwrap();
        assert!(!edited.rewritten);
        assert_eq!(
            edited.text,
            "spec:\n  api: # filled by kwif\n    a: b\n  other: 1\n"
        );
    }

    #[test]
    fn a_flow_sequence_becomes_a_block_sequence() {
        let text = "args: [\"a=1\", b=2]   # two\nnext: x\n";
        let block = FlagBlock {
            owned: vec![],
            slots: vec![Slot::New(Item::Scalar("c=3".into()))],
        };
        let edit = Edit::Sequence {
            path: vec![],
            key: "args".into(),
            block,
            style: COMPACT,
        };
        let edited = edit_document(text, &parse(text), &[edit]).unwrap();
        assert!(!edited.rewritten, "{}", edited.text);
        assert_eq!(parse(&edited.text), parse("args: [a=1, b=2, c=3]\nnext: x"));
        assert!(edited.text.ends_with("next: x\n"));
    }
}
