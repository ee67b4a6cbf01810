//! Label and field selectors of list and watch requests, parsed like the apiserver's
//! (`a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`; fields by `=`, `==`, `!=`).

use serde_json::Value;

#[derive(Debug, PartialEq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

/// A parsed label selector; empty selects everything.
#[derive(Debug, Default, PartialEq)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
}

impl LabelSelector {
    pub fn parse(text: &str) -> Result<LabelSelector, String> {
        let mut requirements = Vec::new();
        for part in split_top_level(text) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            requirements.push(parse_requirement(part)?);
        }
        Ok(LabelSelector { requirements })
    }

    pub fn matches(&self, object: &Value) -> bool {
        let label = |key: &str| {
            object
                .pointer("/metadata/labels")
                .and_then(|labels| labels.get(key))
                .and_then(Value::as_str)
        };
        self.requirements
            .iter()
            .all(|requirement| match requirement {
                Requirement::Equals(key, value) => label(key) == Some(value.as_str()),
                Requirement::NotEquals(key, value) => label(key) != Some(value.as_str()),
                Requirement::In(key, values) => {
                    label(key).is_some_and(|v| values.iter().any(|x| x == v))
                }
                Requirement::NotIn(key, values) => {
                    label(key).is_none_or(|v| !values.iter().any(|x| x == v))
                }
                Requirement::Exists(key) => label(key).is_some(),
                Requirement::DoesNotExist(key) => label(key).is_none(),
            })
    }
}

/// Splits on commas outside parentheses (`a in (x,y),b=c`).
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (index, character) in text.char_indices() {
        match character {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn parse_requirement(part: &str) -> Result<Requirement, String> {
    let invalid = || {
        format!(
            "unable to parse requirement: found '{part}', expected: in, notin, =, ==, !=, gt, lt"
        )
    };
    if let Some(key) = part.strip_prefix('!') {
        return Ok(Requirement::DoesNotExist(key.trim().to_string()));
    }
    for (operator, build) in [
        (
            "!=",
            Requirement::NotEquals as fn(String, String) -> Requirement,
        ),
        ("==", Requirement::Equals),
        ("=", Requirement::Equals),
    ] {
        if let Some((key, value)) = part.split_once(operator) {
            return Ok(build(key.trim().to_string(), value.trim().to_string()));
        }
    }
    let words: Vec<&str> = part.splitn(3, char::is_whitespace).collect();
    match words.as_slice() {
        [key] => Ok(Requirement::Exists(key.to_string())),
        [key, operator, values] => {
            let values = values
                .trim()
                .strip_prefix('(')
                .and_then(|values| values.strip_suffix(')'))
                .ok_or_else(invalid)?;
            let values: Vec<String> = values.split(',').map(|v| v.trim().to_string()).collect();
            match *operator {
                "in" => Ok(Requirement::In(key.to_string(), values)),
                "notin" => Ok(Requirement::NotIn(key.to_string(), values)),
                _ => Err(invalid()),
            }
        }
        _ => Err(invalid()),
    }
}

/// A parsed field selector over the few fields the apiserver indexes.
#[derive(Debug, Default)]
pub struct FieldSelector {
    requirements: Vec<(String, bool, String)>,
}

impl FieldSelector {
    pub fn parse(text: &str) -> Result<FieldSelector, String> {
        let mut requirements = Vec::new();
        for part in text
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
        {
            let (field, equal, value) = if let Some((field, value)) = part.split_once("!=") {
                (field, false, value)
            } else if let Some((field, value)) = part.split_once("==") {
                (field, true, value)
            } else if let Some((field, value)) = part.split_once('=') {
                (field, true, value)
            } else {
                return Err(format!(
                    "invalid selector: '{text}'; can't understand '{part}'"
                ));
            };
            requirements.push((field.trim().to_string(), equal, value.trim().to_string()));
        }
        Ok(FieldSelector { requirements })
    }

    /// Checks the fields exist for this kind: `"field label not supported: x"` otherwise.
    pub fn check_supported(&self, kind: &str) -> Result<(), String> {
        for (field, _, _) in &self.requirements {
            if field_pointer(kind, field).is_none() {
                return Err(format!("field label not supported: {field}"));
            }
        }
        Ok(())
    }

    pub fn matches(&self, kind: &str, object: &Value) -> bool {
        self.requirements.iter().all(|(field, equal, value)| {
            let actual = field_pointer(kind, field)
                .and_then(|pointer| object.pointer(pointer))
                .and_then(Value::as_str)
                .unwrap_or_default();
            (actual == value) == *equal
        })
    }
}

fn field_pointer(kind: &str, field: &str) -> Option<&'static str> {
    match (kind, field) {
        (_, "metadata.name") => Some("/metadata/name"),
        (_, "metadata.namespace") => Some("/metadata/namespace"),
        ("Pod", "spec.nodeName") => Some("/spec/nodeName"),
        ("Pod", "spec.serviceAccountName") => Some("/spec/serviceAccountName"),
        ("Pod", "status.phase") => Some("/status/phase"),
        ("Namespace", "status.phase") => Some("/status/phase"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn label_selectors_cover_equality_sets_and_existence() {
        let pod = json!({"metadata": {"labels": {"app": "web", "tier": "front"}}});
        for (selector, expected) in [
            ("app=web", true),
            ("app==web,tier!=back", true),
            ("app in (api, web)", true),
            ("app notin (web)", false),
            ("tier", true),
            ("!tier", false),
            ("", true),
        ] {
            assert_eq!(
                LabelSelector::parse(selector).unwrap().matches(&pod),
                expected,
                "{selector}"
            );
        }
        assert!(LabelSelector::parse("app in web").is_err());
    }

    #[test]
    fn field_selectors_know_their_fields() {
        let selector = FieldSelector::parse("metadata.name=web,status.phase!=Failed").unwrap();
        assert!(selector.check_supported("Pod").is_ok());
        assert!(selector.check_supported("ConfigMap").is_err());
        let pod = json!({"metadata": {"name": "web"}, "status": {"phase": "Running"}});
        assert!(selector.matches("Pod", &pod));
    }
}
