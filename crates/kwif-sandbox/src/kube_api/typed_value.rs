//! Objects seen through their schema, as structured-merge-diff sees them: the field set an applied
//! configuration names, the comparison of two versions, the apply merge, lookups and removals.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::field_path::{FieldSet, Path, PathElement, path_string};
use super::schema::{self, ListType};

/// Stands in for "present" when only presence matters.
static NULL: Value = Value::Null;

/// What changed between two versions of an object (structured-merge-diff's `Comparison`).
#[derive(Debug, Default)]
pub struct Comparison {
    pub added: FieldSet,
    pub modified: FieldSet,
    pub removed: FieldSet,
}

/// The list type of the list at `path`; a list that is not a named field is atomic.
fn list_type_at(path: &[PathElement]) -> ListType {
    match path.split_last() {
        Some((PathElement::Field(field), parent)) => schema::list_type(parent, field),
        _ => ListType::Atomic,
    }
}

fn is_atomic_object_at(path: &[PathElement]) -> bool {
    matches!(path.last(), Some(PathElement::Field(field)) if schema::is_atomic_object(field))
}

/// The path element of item `index` of the list at `path`.
fn item_element(
    path: &[PathElement],
    list_type: ListType,
    index: usize,
    item: &Value,
) -> Result<PathElement, String> {
    match list_type {
        ListType::Atomic => Ok(PathElement::Index(index)),
        ListType::Set => Ok(PathElement::value(item)),
        ListType::Map(keys) => {
            let mut fields = Vec::with_capacity(keys.len());
            for key in keys {
                let value = match item.get(*key) {
                    Some(value) if !value.is_null() => value.clone(),
                    _ => schema::key_default(key).ok_or_else(|| {
                        format!(
                            "{}: element {index}: associative list with keys has an element \
                             that omits key field {key:?} (and doesn't have default value)",
                            path_string(path)
                        )
                    })?,
                };
                fields.push((*key, value));
            }
            Ok(PathElement::key(&fields))
        }
    }
}

/// The items of the list at `path` with their path elements, in order, each element once.
fn indexed_items<'v>(
    path: &[PathElement],
    items: &'v [Value],
    reject_duplicates: bool,
) -> Result<Vec<(PathElement, &'v Value)>, String> {
    let list_type = list_type_at(path);
    let mut seen = HashSet::new();
    let mut indexed = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let element = item_element(path, list_type, index, item)?;
        if !seen.insert(element.clone()) {
            if reject_duplicates {
                return Err(format!(
                    "{}: duplicate entries for key {element}",
                    path_string(path)
                ));
            }
            continue;
        }
        indexed.push((element, item));
    }
    Ok(indexed)
}

/// Every field an applied configuration sets: leaves, list items and atomic values
/// (structured-merge-diff's `ToFieldSet`). Duplicate keys in a list are an error.
pub fn field_set(value: &Value) -> Result<FieldSet, String> {
    let mut set = FieldSet::new();
    collect_fields(value, &mut Vec::new(), &mut set)?;
    Ok(set)
}

fn collect_fields(value: &Value, path: &mut Path, set: &mut FieldSet) -> Result<(), String> {
    match value {
        Value::Object(object) if !object.is_empty() && !is_atomic_object_at(path) => {
            for (name, child) in object {
                path.push(PathElement::Field(name.clone()));
                let result = collect_fields(child, path, set);
                path.pop();
                result?;
            }
        }
        Value::Array(items) if !items.is_empty() && list_type_at(path) != ListType::Atomic => {
            for (element, item) in indexed_items(path, items, true)? {
                path.push(element);
                set.insert(path.clone());
                let result = collect_fields(item, path, set);
                path.pop();
                result?;
            }
        }
        _ if !path.is_empty() => set.insert(path.clone()),
        _ => {}
    }
    Ok(())
}

/// Compares two versions of an object like structured-merge-diff's `Compare`: leaves that
/// were added, modified or removed, list items added or removed, and maps that appeared or
/// disappeared (except fields Go always serializes, see [`schema::present_in_zero_value`]).
pub fn compare(old: &Value, new: &Value) -> Result<Comparison, String> {
    let mut comparison = Comparison::default();
    compare_at(Some(old), Some(new), &mut Vec::new(), &mut comparison)?;
    Ok(comparison)
}

fn compare_leaf(old: Option<&Value>, new: Option<&Value>, path: &Path, out: &mut Comparison) {
    match (old, new) {
        (None, Some(_)) => out.added.insert(path.clone()),
        (Some(_), None) => out.removed.insert(path.clone()),
        (Some(old), Some(new)) if old != new => out.modified.insert(path.clone()),
        _ => {}
    }
}

pub fn is_empty_container(value: Option<&Value>) -> bool {
    match value {
        None => true,
        Some(Value::Object(object)) => object.is_empty(),
        Some(Value::Array(items)) => items.is_empty(),
        Some(_) => false,
    }
}

fn compare_at(
    old: Option<&Value>,
    new: Option<&Value>,
    path: &mut Path,
    out: &mut Comparison,
) -> Result<(), String> {
    let both_empty = is_empty_container(old) && is_empty_container(new);
    let shape = new.or(old);
    let same_shape = match (old, new) {
        (Some(old), Some(new)) => std::mem::discriminant(old) == std::mem::discriminant(new),
        _ => true,
    };
    match shape {
        Some(Value::Object(_)) if same_shape && !both_empty && !is_atomic_object_at(path) => {
            let empty = Map::new();
            let old_map = old.and_then(Value::as_object).unwrap_or(&empty);
            let new_map = new.and_then(Value::as_object).unwrap_or(&empty);
            let names: Vec<&String> = old_map
                .keys()
                .chain(new_map.keys().filter(|name| !old_map.contains_key(*name)))
                .collect();
            for name in names {
                path.push(PathElement::Field(name.clone()));
                let result = compare_at(old_map.get(name), new_map.get(name), path, out);
                path.pop();
                result?;
            }
            container_appeared_or_disappeared(old, new, path, out);
        }
        Some(Value::Array(_))
            if same_shape && !both_empty && list_type_at(path) != ListType::Atomic =>
        {
            let no_items = Vec::new();
            let old_items = old.and_then(Value::as_array).unwrap_or(&no_items);
            let new_items = new.and_then(Value::as_array).unwrap_or(&no_items);
            let old_indexed = indexed_items(path, old_items, false)?;
            let new_indexed = indexed_items(path, new_items, false)?;
            let mut elements: Vec<&PathElement> = old_indexed.iter().map(|(e, _)| e).collect();
            for (element, _) in &new_indexed {
                if !old_indexed.iter().any(|(known, _)| known == element) {
                    elements.push(element);
                }
            }
            for element in elements {
                let old_item = old_indexed
                    .iter()
                    .find(|(e, _)| e == element)
                    .map(|(_, v)| *v);
                let new_item = new_indexed
                    .iter()
                    .find(|(e, _)| e == element)
                    .map(|(_, v)| *v);
                path.push(element.clone());
                compare_at(old_item, new_item, path, out)?;
                compare_leaf(old_item.map(|_| &NULL), new_item.map(|_| &NULL), path, out);
                path.pop();
            }
            container_appeared_or_disappeared(old, new, path, out);
        }
        _ => compare_leaf(old, new, path, out),
    }
    Ok(())
}

/// structured-merge-diff's post-item hook: a map or list that was absent is added as a whole.
fn container_appeared_or_disappeared(
    old: Option<&Value>,
    new: Option<&Value>,
    path: &Path,
    out: &mut Comparison,
) {
    let always_present = match path.last() {
        Some(PathElement::Field(field)) => schema::present_in_zero_value(field),
        Some(_) => false,
        None => true,
    };
    if !always_present {
        compare_leaf(old.map(|_| &NULL), new.map(|_| &NULL), path, out);
    }
}

/// Merges an applied configuration into the live object: the configuration's values win,
/// associative lists merge by key and sets by value, everything else is replaced. A `null` in
/// the configuration removes the field.
pub fn merge(live: &Value, config: &Value) -> Result<Value, String> {
    merge_at(Some(live), config, &mut Vec::new())
}

fn merge_at(live: Option<&Value>, config: &Value, path: &mut Path) -> Result<Value, String> {
    match (live, config) {
        (live, Value::Object(config_map)) if !is_atomic_object_at(path) => {
            let mut merged = match live {
                Some(Value::Object(live_map)) => live_map.clone(),
                _ => Map::new(),
            };
            for (name, value) in config_map {
                if value.is_null() {
                    merged.remove(name);
                    continue;
                }
                path.push(PathElement::Field(name.clone()));
                let child = merge_at(merged.get(name), value, path);
                path.pop();
                merged.insert(name.clone(), child?);
            }
            Ok(Value::Object(merged))
        }
        (Some(Value::Array(live_items)), Value::Array(config_items))
            if list_type_at(path) != ListType::Atomic =>
        {
            merge_list(live_items, config_items, path)
        }
        (_, Value::Array(config_items)) if list_type_at(path) != ListType::Atomic => {
            merge_list(&[], config_items, path)
        }
        _ => Ok(config.clone()),
    }
}

/// The order structured-merge-diff gives a merged list: live items keep their place, applied
/// items come in the applied order, and items in both follow the applied order.
fn merge_list(live: &[Value], config: &[Value], path: &mut Path) -> Result<Value, String> {
    let live_indexed = indexed_items(path, live, false)?;
    let config_indexed = indexed_items(path, config, true)?;
    let in_config = |element: &PathElement| config_indexed.iter().any(|(e, _)| e == element);
    let live_item = |element: &PathElement| {
        live_indexed
            .iter()
            .find(|(e, _)| e == element)
            .map(|(_, v)| *v)
    };
    let mut shared: std::collections::VecDeque<&PathElement> = config_indexed
        .iter()
        .map(|(e, _)| e)
        .filter(|element| live_item(element).is_some())
        .collect();
    let mut next_shared = shared.pop_front();
    let mut emitted: HashSet<PathElement> = HashSet::new();
    let mut out = Vec::with_capacity(live.len().max(config.len()));
    let (mut l, mut r) = (0, 0);
    while l < live_indexed.len() || r < config_indexed.len() {
        if l < live_indexed.len() && r < config_indexed.len() {
            let (element, live_value) = &live_indexed[l];
            if *element == config_indexed[r].0 {
                path.push(element.clone());
                let merged = merge_at(Some(live_value), config_indexed[r].1, path);
                path.pop();
                out.push(merged?);
                emitted.insert(element.clone());
                l += 1;
                r += 1;
                next_shared = shared.pop_front();
                continue;
            }
            if in_config(element) && next_shared.is_some_and(|next| next != element) {
                l += 1;
                continue;
            }
        }
        if l < live_indexed.len() {
            let (element, live_value) = &live_indexed[l];
            if !in_config(element) {
                out.push((*live_value).clone());
                l += 1;
                continue;
            }
            if emitted.contains(element) {
                l += 1;
                continue;
            }
        }
        if r < config_indexed.len() {
            let (element, config_value) = &config_indexed[r];
            path.push(element.clone());
            let merged = merge_at(live_item(element), config_value, path);
            path.pop();
            out.push(merged?);
            emitted.insert(element.clone());
            r += 1;
            if next_shared.is_some_and(|next| next == element) {
                next_shared = shared.pop_front();
            }
        } else if l < live_indexed.len() {
            // A live item also in the configuration, already placed: nothing left to wait for.
            l += 1;
        }
    }
    Ok(Value::Array(out))
}

/// The value at `path`, if there is one.
pub fn value_at<'v>(value: &'v Value, path: &[PathElement]) -> Option<&'v Value> {
    let mut current = value;
    for (depth, element) in path.iter().enumerate() {
        current = match (element, current) {
            (PathElement::Field(name), Value::Object(object)) => object.get(name)?,
            (PathElement::Index(index), Value::Array(items)) => items.get(*index)?,
            (_, Value::Array(items)) => {
                let index = position_of(&path[..depth], items, element)?;
                items.get(index)?
            }
            _ => return None,
        };
    }
    Some(current)
}

fn position_of(list_path: &[PathElement], items: &[Value], element: &PathElement) -> Option<usize> {
    let list_type = list_type_at(list_path);
    items.iter().enumerate().position(|(index, item)| {
        item_element(list_path, list_type, index, item).is_ok_and(|e| &e == element)
    })
}

/// Removes the field or list item at `path`; returns whether something was there.
pub fn remove_at(value: &mut Value, path: &[PathElement]) -> bool {
    let Some((last, parent_path)) = path.split_last() else {
        return false;
    };
    let Some(parent) = value_at_mut(value, parent_path) else {
        return false;
    };
    match (last, parent) {
        (PathElement::Field(name), Value::Object(object)) => object.shift_remove(name).is_some(),
        (PathElement::Index(index), Value::Array(items)) if *index < items.len() => {
            items.remove(*index);
            true
        }
        (element, Value::Array(items)) => match position_of(parent_path, items, element) {
            Some(index) => {
                items.remove(index);
                true
            }
            None => false,
        },
        _ => false,
    }
}

fn value_at_mut<'v>(value: &'v mut Value, path: &[PathElement]) -> Option<&'v mut Value> {
    let mut current = value;
    for (depth, element) in path.iter().enumerate() {
        current = match (element, current) {
            (PathElement::Field(name), Value::Object(object)) => object.get_mut(name)?,
            (PathElement::Index(index), Value::Array(items)) => items.get_mut(*index)?,
            (_, Value::Array(items)) => {
                let index = position_of(&path[..depth], items, element)?;
                items.get_mut(index)?
            }
            _ => return None,
        };
    }
    Some(current)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn container_path(name: &str) -> Path {
        vec![
            PathElement::field("spec"),
            PathElement::field("containers"),
            PathElement::key(&[("name", json!(name))]),
        ]
    }

    #[test]
    fn field_set_names_items_and_leaves_like_managed_fields() {
        let config = json!({"spec": {"containers": [{"name": "app", "env": [{"name": "A", "value": "1"}]}]}});
        let set = field_set(&config).unwrap();
        assert_eq!(
            set.to_fields_v1(),
            json!({"f:spec": {"f:containers": {"k:{\"name\":\"app\"}": {
                ".": {}, "f:env": {"k:{\"name\":\"A\"}": {".": {}, "f:name": {}, "f:value": {}}}, "f:name": {}
            }}}})
        );
    }

    #[test]
    fn duplicate_keys_and_missing_keys_are_errors() {
        let duplicate = json!({"spec": {"containers": [{"name": "a"}, {"name": "a"}]}});
        assert!(
            field_set(&duplicate)
                .unwrap_err()
                .contains("duplicate entries for key [name=\"a\"]")
        );
        let missing = json!({"spec": {"containers": [{"image": "x"}]}});
        assert!(
            field_set(&missing)
                .unwrap_err()
                .contains("omits key field \"name\"")
        );
    }

    #[test]
    fn merge_keeps_live_items_and_follows_the_applied_order() {
        let live = json!({"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]});
        let config = json!({"env": [{"name": "C", "value": "3"}, {"name": "A", "value": "9"}]});
        let merged = merge(&live, &config).unwrap();
        let names: Vec<&str> = merged["env"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["C", "A", "B"]);
        assert_eq!(merged["env"][1]["value"], "9");
    }

    #[test]
    fn compare_marks_new_maps_and_items_but_not_zero_value_structs() {
        let old = json!({});
        let new = json!({"metadata": {"labels": {"app": "web"}}, "spec": {"replicas": 1}});
        let comparison = compare(&old, &new).unwrap();
        let added = comparison.added.to_fields_v1();
        assert_eq!(
            added,
            json!({"f:metadata": {"f:labels": {".": {}, "f:app": {}}}, "f:spec": {"f:replicas": {}}})
        );
    }

    #[test]
    fn remove_and_lookup_find_items_by_key() {
        let mut object =
            json!({"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b"}]}});
        let mut image = container_path("a");
        image.push(PathElement::field("image"));
        assert_eq!(value_at(&object, &image), Some(&json!("x")));
        assert!(remove_at(&mut object, &container_path("a")));
        assert_eq!(object, json!({"spec": {"containers": [{"name": "b"}]}}));
    }
}
