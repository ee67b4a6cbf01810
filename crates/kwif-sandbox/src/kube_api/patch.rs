//! The non-apply PATCH formats: JSON merge patch (RFC 7386), strategic merge patch (lists merged
//! by their `patchMergeKey`, with the `$patch` directives) and JSON patch (RFC 6902).

use serde_json::{Map, Value};

use super::schema;
use super::status::ApiError;

/// RFC 7386: objects merge, `null` deletes, everything else replaces.
pub fn merge_patch(target: &Value, patch: &Value) -> Value {
    let Value::Object(patch) = patch else {
        return patch.clone();
    };
    let mut merged = match target {
        Value::Object(target) => target.clone(),
        _ => Map::new(),
    };
    for (name, value) in patch {
        if value.is_null() {
            merged.shift_remove(name);
        } else {
            let child = merge_patch(merged.get(name).unwrap_or(&Value::Null), value);
            merged.insert(name.clone(), child);
        }
    }
    Value::Object(merged)
}

/// Strategic merge patch over a built-in object.
pub fn strategic_merge_patch(original: &Value, patch: &Value) -> Result<Value, ApiError> {
    let (Value::Object(original), Value::Object(patch)) = (original, patch) else {
        return Err(ApiError::bad_request("the patch is not a JSON object"));
    };
    let merged = merge_object(original, patch, false)?;
    Ok(Value::Object(merged.unwrap_or_default()))
}

/// Merges one object; `None` when the patch deletes it (`$patch: delete`).
fn merge_object(
    original: &Map<String, Value>,
    patch: &Map<String, Value>,
    is_list_item: bool,
) -> Result<Option<Map<String, Value>>, ApiError> {
    match patch.get("$patch").and_then(Value::as_str) {
        Some("delete") => return Ok(None),
        Some("replace") => return Ok(Some(strip_directives(patch))),
        Some("merge") | None => {}
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Unknown patch type: {other:?}"
            )));
        }
    }
    let mut merged = original.clone();
    if let Some(retained) = patch.get("$retainKeys").and_then(Value::as_array) {
        merged.retain(|name, _| retained.iter().any(|kept| kept.as_str() == Some(name)));
    }
    for (name, value) in patch {
        if name == "$patch" || name == "$retainKeys" || name.starts_with("$setElementOrder/") {
            continue;
        }
        if let Some(field) = name.strip_prefix("$deleteFromPrimitiveList/") {
            let deleted = value.as_array().cloned().unwrap_or_default();
            if let Some(Value::Array(items)) = merged.get_mut(field) {
                items.retain(|item| !deleted.contains(item));
            }
            continue;
        }
        if value.is_null() {
            merged.shift_remove(name);
            continue;
        }
        let child = match (merged.get(name), value) {
            (Some(Value::Object(old)), Value::Object(new)) => {
                merge_object(old, new, false)?.map(Value::Object)
            }
            (Some(Value::Array(old)), Value::Array(new)) => {
                Some(merge_list(name, old, new, is_list_item)?)
            }
            (None, Value::Array(new)) => Some(merge_list(name, &[], new, is_list_item)?),
            (_, Value::Object(new)) => merge_object(&Map::new(), new, false)?.map(Value::Object),
            (_, value) => Some(value.clone()),
        };
        match child {
            Some(child) => merged.insert(name.clone(), child),
            None => merged.shift_remove(name),
        };
    }
    Ok(Some(merged))
}

fn strip_directives(object: &Map<String, Value>) -> Map<String, Value> {
    object
        .iter()
        .filter(|(name, _)| !name.starts_with('$'))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

fn merge_list(
    field: &str,
    original: &[Value],
    patch: &[Value],
    parent_is_list_item: bool,
) -> Result<Value, ApiError> {
    if schema::strategic_merges_primitives(field) {
        let mut merged = original.to_vec();
        for item in patch {
            if !merged.contains(item) {
                merged.push(item.clone());
            }
        }
        return Ok(Value::Array(merged));
    }
    let Some(key) = schema::strategic_merge_key(parent_is_list_item, field) else {
        return Ok(Value::Array(patch.to_vec()));
    };
    let replace = patch
        .iter()
        .any(|item| item.get("$patch").and_then(Value::as_str) == Some("replace"));
    let mut merged: Vec<Value> = match replace {
        true => Vec::new(),
        false => original.to_vec(),
    };
    for item in patch {
        let Value::Object(item) = item else {
            return Err(ApiError::internal(&format!(
                "unable to find api field in struct for the list {field:?}"
            )));
        };
        if replace && item.get("$patch").is_some() && item.len() == 1 {
            continue;
        }
        let Some(key_value) = item.get(key) else {
            return Err(ApiError::internal(&format!(
                "map: {item:?} does not contain declared merge key: {key}"
            )));
        };
        let position = merged
            .iter()
            .position(|existing| existing.get(key) == Some(key_value));
        let deleting = item.get("$patch").and_then(Value::as_str) == Some("delete");
        match (position, deleting) {
            (Some(index), true) => {
                merged.remove(index);
            }
            (None, true) => {}
            (Some(index), false) => {
                let existing = merged[index].as_object().cloned().unwrap_or_default();
                match merge_object(&existing, item, true)? {
                    Some(object) => merged[index] = Value::Object(object),
                    None => {
                        merged.remove(index);
                    }
                }
            }
            (None, false) => {
                if let Some(object) = merge_object(&Map::new(), item, true)? {
                    merged.push(Value::Object(object));
                }
            }
        }
    }
    Ok(Value::Array(merged))
}

/// RFC 6902 JSON patch. Failures are 422s, as kube-apiserver reports them.
pub fn json_patch(target: &Value, patch: &Value) -> Result<Value, ApiError> {
    let Value::Array(operations) = patch else {
        return Err(ApiError::bad_request(
            "the JSON patch is not a list of operations",
        ));
    };
    let mut document = target.clone();
    for operation in operations {
        apply_operation(&mut document, operation).map_err(|reason| ApiError::rejected(&reason))?;
    }
    Ok(document)
}

fn apply_operation(document: &mut Value, operation: &Value) -> Result<(), String> {
    let field = |name: &str| operation.get(name).and_then(Value::as_str);
    let op = field("op").ok_or("an operation has no \"op\"")?;
    let path = field("path").ok_or("an operation has no \"path\"")?;
    match op {
        "add" => add(
            document,
            path,
            operation.get("value").cloned().ok_or("add has no value")?,
        ),
        "remove" => remove(document, path).map(|_| ()),
        "replace" => {
            remove(document, path)?;
            add(
                document,
                path,
                operation
                    .get("value")
                    .cloned()
                    .ok_or("replace has no value")?,
            )
        }
        "move" => {
            let value = remove(document, field("from").ok_or("move has no from")?)?;
            add(document, path, value)
        }
        "copy" => {
            let from = field("from").ok_or("copy has no from")?;
            let value = document
                .pointer(from)
                .cloned()
                .ok_or_else(|| format!("copy from {from:?}: no such path"))?;
            add(document, path, value)
        }
        "test" => match document.pointer(path) == operation.get("value") {
            true => Ok(()),
            false => Err(format!("testing value {path} failed")),
        },
        other => Err(format!("Unexpected kind: {other}")),
    }
}

fn split_pointer(path: &str) -> Result<(String, String), String> {
    let (parent, last) = path
        .rsplit_once('/')
        .ok_or_else(|| format!("invalid path {path:?}"))?;
    Ok((
        parent.to_string(),
        last.replace("~1", "/").replace("~0", "~"),
    ))
}

fn add(document: &mut Value, path: &str, value: Value) -> Result<(), String> {
    if path.is_empty() {
        *document = value;
        return Ok(());
    }
    let (parent, last) = split_pointer(path)?;
    match document.pointer_mut(&parent) {
        Some(Value::Object(object)) => {
            object.insert(last, value);
            Ok(())
        }
        Some(Value::Array(items)) if last == "-" => {
            items.push(value);
            Ok(())
        }
        Some(Value::Array(items)) => match last.parse::<usize>() {
            Ok(index) if index <= items.len() => {
                items.insert(index, value);
                Ok(())
            }
            _ => Err(format!(
                "add operation does not apply: doc is missing path: {path:?}"
            )),
        },
        _ => Err(format!(
            "add operation does not apply: doc is missing path: {path:?}"
        )),
    }
}

fn remove(document: &mut Value, path: &str) -> Result<Value, String> {
    let (parent, last) = split_pointer(path)?;
    let missing = || format!("remove operation does not apply: doc is missing path: {path:?}");
    match document.pointer_mut(&parent) {
        Some(Value::Object(object)) => object.shift_remove(&last).ok_or_else(missing),
        Some(Value::Array(items)) => match last.parse::<usize>() {
            Ok(index) if index < items.len() => Ok(items.remove(index)),
            _ => Err(missing()),
        },
        _ => Err(missing()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn strategic_merge_merges_containers_env_and_mounts_by_key() {
        let original = json!({"spec": {"containers": [
            {"name": "app", "image": "a:1", "env": [{"name": "A", "value": "1"}], "volumeMounts": [{"name": "v", "mountPath": "/v"}]}
        ]}});
        let patch = json!({"spec": {"containers": [
            {"name": "app", "env": [{"name": "B", "value": "2"}], "volumeMounts": [{"name": "t", "mountPath": "/t"}]}
        ]}});
        let merged = strategic_merge_patch(&original, &patch).unwrap();
        let container = &merged["spec"]["containers"][0];
        assert_eq!(container["image"], "a:1");
        assert_eq!(container["env"].as_array().unwrap().len(), 2);
        assert_eq!(container["volumeMounts"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn strategic_merge_honours_delete_and_replace_directives() {
        let original =
            json!({"env": [{"name": "A"}, {"name": "B"}], "tolerations": [{"key": "x"}]});
        let patch =
            json!({"env": [{"name": "A", "$patch": "delete"}], "tolerations": [{"key": "y"}]});
        let merged = strategic_merge_patch(&original, &patch).unwrap();
        assert_eq!(
            merged,
            json!({"env": [{"name": "B"}], "tolerations": [{"key": "y"}]})
        );
    }

    #[test]
    fn merge_patch_deletes_with_null() {
        let merged = merge_patch(
            &json!({"a": 1, "b": {"c": 2}}),
            &json!({"a": null, "b": {"d": 3}}),
        );
        assert_eq!(merged, json!({"b": {"c": 2, "d": 3}}));
    }

    #[test]
    fn json_patch_adds_and_tests() {
        let patched = json_patch(
            &json!({"a": [1]}),
            &json!([{"op": "add", "path": "/a/-", "value": 2}]),
        )
        .unwrap();
        assert_eq!(patched, json!({"a": [1, 2]}));
        let failed = json_patch(
            &patched,
            &json!([{"op": "test", "path": "/a/0", "value": 9}]),
        )
        .unwrap_err();
        assert_eq!(failed.code, 422);
    }
}
