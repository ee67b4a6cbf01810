//! A path into the profile's YAML tree as the profile's own error messages write it
//! (`workloads[0].serviceAccount`), with get, set and remove on a `serde_yaml::Value`.
//! It knows the YAML shape only, not what any field means.

use std::fmt;

use serde_yaml::{Mapping, Value};

/// One step of a path: a mapping key or a sequence index.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldPath {
    segments: Vec<Segment>,
}

impl FieldPath {
    /// Parses `a.b[2].c`. Malformed indices are kept as keys, so parsing never fails.
    pub fn parse(text: &str) -> FieldPath {
        let mut segments = Vec::new();
        for part in text.split('.').filter(|part| !part.is_empty()) {
            let (key, mut rest) = part
                .split_once('[')
                .map_or((part, ""), |(key, rest)| (key, rest));
            if !key.is_empty() {
                segments.push(Segment::Key(key.to_string()));
            }
            while let Some((index, after)) = rest.split_once(']') {
                match index.parse() {
                    Ok(index) => segments.push(Segment::Index(index)),
                    Err(_) => segments.push(Segment::Key(index.to_string())),
                }
                rest = after.strip_prefix('[').unwrap_or(after);
            }
        }
        FieldPath { segments }
    }

    /// Whether `self` is `other` or lies below it (`workloads[0].name` is under `workloads[0]`).
    pub fn starts_with(&self, other: &FieldPath) -> bool {
        self.segments.starts_with(&other.segments)
    }

    /// The index right below `list` when this path lies inside one of its entries:
    /// `workloads[2].name` under `workloads` is 2.
    pub fn index_under(&self, list: &FieldPath) -> Option<usize> {
        match self
            .segments
            .strip_prefix(list.segments.as_slice())?
            .first()?
        {
            Segment::Index(index) => Some(*index),
            Segment::Key(_) => None,
        }
    }

    pub fn get<'a>(&self, root: &'a Value) -> Option<&'a Value> {
        self.segments
            .iter()
            .try_fold(root, |value, segment| match segment {
                Segment::Key(key) => value.as_mapping()?.get(key.as_str()),
                Segment::Index(index) => value.as_sequence()?.get(*index),
            })
    }

    /// Sets the value, creating the mappings and sequences on the way (sequence gaps are null).
    pub fn set(&self, root: &mut Value, new: Value) {
        let mut value = root;
        for (position, segment) in self.segments.iter().enumerate() {
            let next_is_index = matches!(self.segments.get(position + 1), Some(Segment::Index(_)));
            let empty = || {
                if next_is_index {
                    Value::Sequence(Vec::new())
                } else {
                    Value::Mapping(Mapping::new())
                }
            };
            value = match segment {
                Segment::Key(key) => {
                    if !value.is_mapping() {
                        *value = Value::Mapping(Mapping::new());
                    }
                    let Value::Mapping(mapping) = value else {
                        return;
                    };
                    mapping
                        .entry(Value::String(key.clone()))
                        .or_insert_with(empty)
                }
                Segment::Index(index) => {
                    if !value.is_sequence() {
                        *value = Value::Sequence(Vec::new());
                    }
                    let Value::Sequence(sequence) = value else {
                        return;
                    };
                    if sequence.len() <= *index {
                        sequence.resize(index + 1, Value::Null);
                    }
                    &mut sequence[*index]
                }
            };
        }
        *value = new;
    }

    /// Removes the mapping entry the path names (sequence entries are nulled, so the indices of
    /// their siblings stay put until [`prune`] runs).
    pub fn remove(&self, root: &mut Value) {
        let Some((last, parents)) = self.segments.split_last() else {
            return;
        };
        let parent = FieldPath {
            segments: parents.to_vec(),
        };
        let Some(value) = parent.get_mut(root) else {
            return;
        };
        match (last, value) {
            (Segment::Key(key), Value::Mapping(mapping)) => {
                mapping.remove(key.as_str());
            }
            (Segment::Index(index), Value::Sequence(sequence)) => {
                if let Some(entry) = sequence.get_mut(*index) {
                    *entry = Value::Null;
                }
            }
            _ => {}
        }
    }

    fn get_mut<'a>(&self, root: &'a mut Value) -> Option<&'a mut Value> {
        self.segments
            .iter()
            .try_fold(root, |value, segment| match segment {
                Segment::Key(key) => value.as_mapping_mut()?.get_mut(key.as_str()),
                Segment::Index(index) => value.as_sequence_mut()?.get_mut(*index),
            })
    }

    /// The path with each sequence index lowered by the number of earlier siblings [`prune`]
    /// removed, so a form field finds the errors the profile reports for the pruned tree.
    pub fn after_pruning(&self, removed: &[FieldPath]) -> FieldPath {
        let mut segments = self.segments.clone();
        for (position, segment) in segments.iter_mut().enumerate() {
            let Segment::Index(index) = *segment else {
                continue;
            };
            let parent = &self.segments[..position];
            let shift = removed
                .iter()
                .filter(|path| {
                    path.segments.len() == position + 1
                        && path.segments[..position] == *parent
                        && matches!(path.segments[position], Segment::Index(gone) if gone < index)
                })
                .count();
            *segment = Segment::Index(index - shift);
        }
        FieldPath { segments }
    }
}

/// Removes nulls, empty strings, empty mappings and empty sequences, innermost first, and
/// returns the paths of the sequence entries it removed (in the original numbering).
pub fn prune(root: &mut Value) -> Vec<FieldPath> {
    let mut removed = Vec::new();
    prune_at(root, &mut Vec::new(), &mut removed);
    removed
}

fn prune_at(value: &mut Value, at: &mut Vec<Segment>, removed: &mut Vec<FieldPath>) {
    match value {
        Value::Mapping(mapping) => {
            let keys: Vec<Value> = mapping.keys().cloned().collect();
            for key in keys {
                let name = key.as_str().unwrap_or_default().to_string();
                at.push(Segment::Key(name));
                if let Some(child) = mapping.get_mut(&key) {
                    prune_at(child, at, removed);
                    if is_empty(child) {
                        mapping.remove(&key);
                    }
                }
                at.pop();
            }
        }
        Value::Sequence(sequence) => {
            let mut kept = Vec::with_capacity(sequence.len());
            for (index, mut child) in std::mem::take(sequence).into_iter().enumerate() {
                at.push(Segment::Index(index));
                prune_at(&mut child, at, removed);
                if is_empty(&child) {
                    removed.push(FieldPath {
                        segments: at.clone(),
                    });
                } else {
                    kept.push(child);
                }
                at.pop();
            }
            *sequence = kept;
        }
        _ => {}
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.is_empty(),
        Value::Mapping(mapping) => mapping.is_empty(),
        Value::Sequence(sequence) => sequence.is_empty(),
        _ => false,
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Key(key) if position == 0 => f.write_str(key)?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_under_a_list_is_the_entry_a_path_lies_in() {
        let workloads = FieldPath::parse("workloads");
        assert_eq!(
            FieldPath::parse("workloads[2].name").index_under(&workloads),
            Some(2)
        );
        assert_eq!(FieldPath::parse("workloads").index_under(&workloads), None);
        assert_eq!(
            FieldPath::parse("identity.roles[0]").index_under(&workloads),
            None
        );
    }

    #[test]
    fn parses_and_displays_the_profile_notation() {
        for text in [
            "workloads[0].serviceAccount",
            "hosting.nginx.host",
            "identity.roles[1]",
            "issuer",
        ] {
            assert_eq!(FieldPath::parse(text).to_string(), text);
        }
    }

    #[test]
    fn set_creates_the_way_and_get_reads_it_back() {
        let mut root = Value::Null;
        let path = FieldPath::parse("workloads[1].name");
        path.set(&mut root, Value::String("web".into()));
        assert_eq!(path.get(&root).and_then(Value::as_str), Some("web"));
        assert!(
            FieldPath::parse("workloads[0]")
                .get(&root)
                .unwrap()
                .is_null()
        );
    }

    #[test]
    fn pruning_drops_empty_entries_and_renumbers_later_siblings() {
        let mut root = Value::Null;
        FieldPath::parse("identity.roles[0].role").set(&mut root, Value::String(String::new()));
        FieldPath::parse("identity.roles[1].cosmosDataRole")
            .set(&mut root, Value::String("r".into()));
        FieldPath::parse("hosting.nginx.host").remove(&mut root);
        let removed = prune(&mut root);
        assert_eq!(removed, [FieldPath::parse("identity.roles[0]")]);
        let moved = FieldPath::parse("identity.roles[1].cosmosDataRole").after_pruning(&removed);
        assert_eq!(moved.to_string(), "identity.roles[0].cosmosDataRole");
        assert_eq!(moved.get(&root).and_then(Value::as_str), Some("r"));
    }
}
