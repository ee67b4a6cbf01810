//! Field paths and field sets as structured-merge-diff models them: the `f:`/`k:`/`v:`/`i:`
//! notation of `managedFields[].fieldsV1`, and the `.spec.containers[name="app"]` form of conflicts.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{Map, Value};

/// One step into an object. The variant order is structured-merge-diff's, so sets serialize in
/// the order kube-apiserver writes them: `.` first, then fields, keys, values, indexes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathElement {
    /// A struct field or map entry: `f:name`.
    Field(String),
    /// An item of an associative list, by its key fields as JSON with sorted names:
    /// `k:{"containerPort":80,"protocol":"TCP"}`.
    Key(String),
    /// An item of a set list, by its JSON value: `v:"foregroundDeletion"`.
    Value(String),
    /// An item of an atomic list, by position: `i:0`.
    Index(usize),
}

impl PathElement {
    #[cfg(test)]
    pub fn field(name: &str) -> PathElement {
        PathElement::Field(name.to_string())
    }

    /// The key element of an associative-list item from its key fields, in any order.
    pub fn key(fields: &[(&str, Value)]) -> PathElement {
        let sorted: BTreeMap<&str, &Value> =
            fields.iter().map(|(name, value)| (*name, value)).collect();
        let object: Map<String, Value> = sorted
            .into_iter()
            .map(|(name, value)| (name.to_string(), value.clone()))
            .collect();
        PathElement::Key(Value::Object(object).to_string())
    }

    pub fn value(value: &Value) -> PathElement {
        PathElement::Value(value.to_string())
    }

    /// The `fieldsV1` member name of this element.
    fn encode(&self) -> String {
        match self {
            PathElement::Field(name) => format!("f:{name}"),
            PathElement::Key(key) => format!("k:{key}"),
            PathElement::Value(value) => format!("v:{value}"),
            PathElement::Index(index) => format!("i:{index}"),
        }
    }

    fn decode(text: &str) -> Option<PathElement> {
        let (prefix, rest) = text.split_at_checked(2)?;
        match prefix {
            "f:" => Some(PathElement::Field(rest.to_string())),
            "k:" => match serde_json::from_str::<Value>(rest).ok()? {
                Value::Object(fields) => {
                    let fields: Vec<(&str, Value)> = fields
                        .iter()
                        .map(|(name, value)| (name.as_str(), value.clone()))
                        .collect();
                    Some(PathElement::key(&fields))
                }
                _ => None,
            },
            "v:" => serde_json::from_str::<Value>(rest)
                .ok()
                .map(|value| PathElement::value(&value)),
            "i:" => rest.parse().ok().map(PathElement::Index),
            _ => None,
        }
    }
}

/// Prints like structured-merge-diff's `PathElement.String()`: `.image`, `[name="app"]`,
/// `[="x"]`, `[0]`.
impl fmt::Display for PathElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathElement::Field(name) => write!(f, ".{name}"),
            PathElement::Key(key) => {
                let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(key) else {
                    return write!(f, "[{key}]");
                };
                let shown: Vec<String> = fields
                    .iter()
                    .map(|(name, value)| format!("{name}={value}"))
                    .collect();
                write!(f, "[{}]", shown.join(","))
            }
            PathElement::Value(value) => write!(f, "[={value}]"),
            PathElement::Index(index) => write!(f, "[{index}]"),
        }
    }
}

pub type Path = Vec<PathElement>;

/// A path as conflicts print it: `.spec.template.spec.containers[name="app"].image`.
pub fn path_string(path: &[PathElement]) -> String {
    path.iter().map(PathElement::to_string).collect()
}

/// A set of field paths, each a member (a leaf, a list item or an atomic value).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSet {
    members: BTreeSet<Path>,
}

impl FieldSet {
    pub fn new() -> FieldSet {
        FieldSet::default()
    }

    pub fn insert(&mut self, path: Path) {
        self.members.insert(path);
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Path> {
        self.members.iter()
    }

    /// Whether a member is `prefix` itself or lies below it.
    pub fn has_under(&self, prefix: &[PathElement]) -> bool {
        // Paths sort lexicographically, so the first member not below `prefix` comes before every
        // member that extends it.
        self.members
            .range(prefix.to_vec()..)
            .next()
            .is_some_and(|first| first.starts_with(prefix))
    }

    pub fn union(&self, other: &FieldSet) -> FieldSet {
        FieldSet {
            members: self.members.union(&other.members).cloned().collect(),
        }
    }

    pub fn difference(&self, other: &FieldSet) -> FieldSet {
        FieldSet {
            members: self.members.difference(&other.members).cloned().collect(),
        }
    }

    pub fn intersection(&self, other: &FieldSet) -> FieldSet {
        FieldSet {
            members: self.members.intersection(&other.members).cloned().collect(),
        }
    }

    /// The `fieldsV1` object: `{"f:spec":{"f:replicas":{}}}`, with `".": {}` where a path that
    /// has members below it is itself a member.
    pub fn to_fields_v1(&self) -> Value {
        let mut root = Node::default();
        for path in &self.members {
            let node = path.iter().fold(&mut root, |node, element| {
                node.children.entry(element.clone()).or_default()
            });
            node.member = true;
        }
        root.to_value()
    }

    /// Reads a `fieldsV1` object; `Err` names what is malformed.
    pub fn from_fields_v1(value: &Value) -> Result<FieldSet, String> {
        let mut set = FieldSet::new();
        read_node(value, &mut Vec::new(), &mut set)?;
        Ok(set)
    }
}

#[derive(Default)]
struct Node {
    member: bool,
    children: BTreeMap<PathElement, Node>,
}

impl Node {
    fn to_value(&self) -> Value {
        let mut object = Map::new();
        if self.member && !self.children.is_empty() {
            object.insert(".".to_string(), Value::Object(Map::new()));
        }
        for (element, child) in &self.children {
            object.insert(element.encode(), child.to_value());
        }
        Value::Object(object)
    }
}

fn read_node(value: &Value, path: &mut Path, set: &mut FieldSet) -> Result<(), String> {
    let Value::Object(object) = value else {
        return Err(format!("{} is not an object", path_string(path)));
    };
    if object.is_empty() && !path.is_empty() {
        set.insert(path.clone());
    }
    for (name, child) in object {
        if name == "." {
            set.insert(path.clone());
            continue;
        }
        let element =
            PathElement::decode(name).ok_or_else(|| format!("unknown path element {name:?}"))?;
        path.push(element);
        let result = read_node(child, path, set);
        path.pop();
        result?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn fields_v1_round_trips_with_the_dot_first() {
        let fields = json!({
            "f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {"f:template": {"f:spec": {"f:containers": {
                "k:{\"name\":\"app\"}": {".": {}, "f:image": {}, "f:name": {}}
            }}}}
        });
        let set = FieldSet::from_fields_v1(&fields).unwrap();
        assert_eq!(set.to_fields_v1(), fields);
        let text = set.to_fields_v1().to_string();
        assert!(
            text.contains(r#"{".":{},"f:image":{},"f:name":{}}"#),
            "{text}"
        );
    }

    #[test]
    fn keys_are_canonical_and_print_like_conflicts() {
        let port = PathElement::key(&[("protocol", json!("TCP")), ("containerPort", json!(80))]);
        assert_eq!(port.encode(), r#"k:{"containerPort":80,"protocol":"TCP"}"#);
        let path = vec![
            PathElement::field("spec"),
            PathElement::field("ports"),
            port,
            PathElement::field("name"),
        ];
        assert_eq!(
            path_string(&path),
            r#".spec.ports[containerPort=80,protocol="TCP"].name"#
        );
        assert_eq!(PathElement::value(&json!("x")).to_string(), r#"[="x"]"#);
    }

    #[test]
    fn has_under_sees_members_below_a_prefix_only() {
        let mut set = FieldSet::new();
        set.insert(vec![
            PathElement::field("spec"),
            PathElement::field("replicas"),
        ]);
        assert!(set.has_under(&[PathElement::field("spec")]));
        assert!(!set.has_under(&[PathElement::field("metadata")]));
        assert!(!set.has_under(&[PathElement::field("spec"), PathElement::field("template")]));
    }
}
