//! The field manager: `metadata.managedFields`, server-side apply (merge, prune, conflicts and
//! force) and the ownership an ordinary create, update or patch takes, as kube-apiserver keeps them.

use serde_json::{Value, json};

use super::field_path::{FieldSet, Path, PathElement};
use super::typed_value::{compare, field_set, is_empty_container, merge, remove_at, value_at};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Apply,
    Update,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Operation::Apply => "Apply",
            Operation::Update => "Update",
        }
    }
}

/// One `managedFields` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct ManagedFieldsEntry {
    pub manager: String,
    pub operation: Operation,
    pub api_version: String,
    pub time: String,
    pub subresource: String,
    pub fields: FieldSet,
}

impl ManagedFieldsEntry {
    /// How conflicts name the manager (`printManager` in k8s.io/apimachinery's field manager):
    /// `"kubectl-edit" using apps/v1` for an Update, `"kwif"` for an Apply.
    pub fn describe(&self) -> String {
        let mut shown = format!("{:?}", self.manager);
        if !self.subresource.is_empty() {
            shown.push_str(&format!(" with subresource {:?}", self.subresource));
        }
        if self.operation == Operation::Update {
            shown.push_str(&format!(" using {}", self.api_version));
        }
        shown
    }

    fn to_json(&self) -> Value {
        let mut entry = json!({});
        if !self.manager.is_empty() {
            entry["manager"] = json!(self.manager);
        }
        let details = json!({
            "operation": self.operation.as_str(),
            "apiVersion": self.api_version,
            "time": self.time,
            "fieldsType": "FieldsV1",
            "fieldsV1": self.fields.to_fields_v1(),
        });
        if let (Some(entry), Value::Object(details)) = (entry.as_object_mut(), details) {
            entry.extend(details);
        }
        if !self.subresource.is_empty() {
            entry["subresource"] = Value::String(self.subresource.clone());
        }
        entry
    }

    fn from_json(entry: &Value) -> Option<ManagedFieldsEntry> {
        let text = |name: &str| entry.get(name).and_then(Value::as_str).unwrap_or_default();
        let operation = match text("operation") {
            "Apply" => Operation::Apply,
            "Update" => Operation::Update,
            _ => return None,
        };
        let fields = match entry.get("fieldsV1") {
            Some(fields) => FieldSet::from_fields_v1(fields).ok()?,
            None => FieldSet::new(),
        };
        Some(ManagedFieldsEntry {
            manager: text("manager").to_string(),
            operation,
            api_version: text("apiVersion").to_string(),
            time: text("time").to_string(),
            subresource: text("subresource").to_string(),
            fields,
        })
    }
}

/// The entries of an object's `metadata.managedFields`; malformed entries are dropped.
pub fn read(object: &Value) -> Vec<ManagedFieldsEntry> {
    object
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .map(|entries| {
            entries
                .iter()
                .filter_map(ManagedFieldsEntry::from_json)
                .collect()
        })
        .unwrap_or_default()
}

/// Writes `entries` as the object's `metadata.managedFields`, or removes it when empty.
pub fn write(object: &mut Value, entries: &[ManagedFieldsEntry]) {
    let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    if entries.is_empty() {
        metadata.shift_remove("managedFields");
    } else {
        let entries = entries.iter().map(ManagedFieldsEntry::to_json).collect();
        metadata.insert("managedFields".to_string(), Value::Array(entries));
    }
}

/// The object without `metadata.managedFields`, which no comparison or merge looks at.
pub fn without_managed_fields(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.shift_remove("managedFields");
    }
    object
}

/// A field another manager owns with a different value than the one applied.
#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    /// The manager as conflicts print it, see [`ManagedFieldsEntry::describe`].
    pub manager: String,
    pub path: Path,
}

#[derive(Debug)]
pub enum ApplyError {
    Conflicts(Vec<Conflict>),
    /// The configuration does not fit the schema (a list item without its key, duplicate keys).
    Typed(String),
}

/// Metadata fields the field manager never tracks (`stripmeta.go`): the server sets them, or
/// they identify the object rather than describe it.
const UNTRACKED_METADATA: [&str; 10] = [
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

/// Who writes, through which endpoint.
pub struct FieldManager<'a> {
    pub manager: &'a str,
    pub api_version: &'a str,
    /// `""` for the main resource, `"status"` for the status subresource.
    pub subresource: &'a str,
    /// Whether the resource has a status subresource, so writes to the main resource leave
    /// `status` alone and own none of it.
    pub status_is_separate: bool,
    pub now: &'a str,
}

impl FieldManager<'_> {
    fn tracks(&self, path: &[PathElement]) -> bool {
        let first = match path.first() {
            Some(PathElement::Field(first)) => first.as_str(),
            _ => return true,
        };
        match (first, path.get(1)) {
            ("apiVersion" | "kind", _) => false,
            ("metadata", Some(PathElement::Field(field))) => {
                !UNTRACKED_METADATA.contains(&field.as_str()) && self.subresource.is_empty()
            }
            ("status", _) => !self.status_is_separate || self.subresource == "status",
            _ => self.subresource.is_empty(),
        }
    }

    fn tracked(&self, set: &FieldSet) -> FieldSet {
        let mut tracked = FieldSet::new();
        for path in set.iter().filter(|path| self.tracks(path)) {
            tracked.insert(path.clone());
        }
        tracked
    }

    /// The part of a written object this endpoint may change: the main resource leaves a
    /// separate status alone; the status subresource changes only status.
    fn writable_part(&self, written: &Value, live: &Value) -> Value {
        let mut result = written.clone();
        match (self.subresource, self.status_is_separate, &mut result) {
            ("status", _, _) => {
                let mut kept = live.clone();
                if let (Some(kept), Some(status)) = (kept.as_object_mut(), written.get("status")) {
                    kept.insert("status".to_string(), status.clone());
                }
                return kept;
            }
            ("", true, Value::Object(object)) => match live.get("status") {
                Some(status) => {
                    object.insert("status".to_string(), status.clone());
                }
                None => {
                    object.shift_remove("status");
                }
            },
            _ => {}
        }
        result
    }

    /// Server-side apply of `config` over `live` (absent when the apply creates the object).
    /// Returns the new object with its managedFields.
    pub fn apply(
        &self,
        live: Option<&Value>,
        config: &Value,
        force: bool,
    ) -> Result<Value, ApplyError> {
        let live_object = live.map_or_else(|| json!({}), without_managed_fields);
        let mut entries = live.map(read).unwrap_or_default();
        let config = self.writable_part(&without_managed_fields(config), &live_object);
        let config_set = self.tracked(&field_set(&config).map_err(ApplyError::Typed)?);
        let mut merged = merge(&live_object, &config).map_err(ApplyError::Typed)?;
        let mine = entries.iter().position(|entry| {
            entry.manager == self.manager
                && entry.operation == Operation::Apply
                && entry.subresource == self.subresource
        });
        let last_set = mine
            .map(|index| entries[index].fields.clone())
            .unwrap_or_default();
        let others = union_except(&entries, mine);
        prune(&mut merged, &last_set, &config_set, &others);

        let comparison = compare(&live_object, &merged).map_err(ApplyError::Typed)?;
        let changed = self.tracked(&comparison.added.union(&comparison.modified));
        let removed = self.tracked(&comparison.removed);
        let mut conflicts: Vec<Conflict> = entries
            .iter()
            .enumerate()
            .filter(|(index, _)| Some(*index) != mine)
            .flat_map(|(_, entry)| {
                let owned = entry.fields.intersection(&changed);
                let manager = entry.describe();
                owned
                    .iter()
                    .map(|path| Conflict {
                        manager: manager.clone(),
                        path: path.clone(),
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        if !force && !conflicts.is_empty() {
            conflicts.sort_by(|a, b| (&a.manager, &a.path).cmp(&(&b.manager, &b.path)));
            return Err(ApplyError::Conflicts(conflicts));
        }
        for (index, entry) in entries.iter_mut().enumerate() {
            if Some(index) != mine {
                entry.fields = entry.fields.difference(&changed).difference(&removed);
            }
        }
        match mine {
            Some(index) => {
                let entry = &mut entries[index];
                if entry.fields != config_set || entry.api_version != self.api_version {
                    entry.fields = config_set;
                    entry.api_version = self.api_version.to_string();
                    entry.time = self.now.to_string();
                }
            }
            None => entries.push(self.entry(Operation::Apply, config_set)),
        }
        entries.retain(|entry| !entry.fields.is_empty());
        write(&mut merged, &entries);
        Ok(merged)
    }

    /// The ownership an Update (create, replace or non-apply patch) takes: every field it adds
    /// or changes becomes its own and no longer anyone else's. Returns `new` with managedFields.
    pub fn update(&self, live: Option<&Value>, new: &Value) -> Result<Value, String> {
        let old_object = live.map_or_else(|| json!({}), without_managed_fields);
        let mut entries = live.map(read).unwrap_or_default();
        let mut new_object = self.writable_part(&without_managed_fields(new), &old_object);
        let comparison = compare(&old_object, &new_object)?;
        let changed = self.tracked(&comparison.added.union(&comparison.modified));
        let removed = self.tracked(&comparison.removed);
        let mine = entries.iter().position(|entry| {
            entry.manager == self.manager
                && entry.operation == Operation::Update
                && entry.subresource == self.subresource
                && entry.api_version == self.api_version
        });
        for (index, entry) in entries.iter_mut().enumerate() {
            if Some(index) != mine {
                entry.fields = entry.fields.difference(&changed).difference(&removed);
            }
        }
        match mine {
            Some(index) => {
                let entry = &mut entries[index];
                let fields = entry.fields.difference(&removed).union(&changed);
                if fields != entry.fields {
                    entry.fields = fields;
                    entry.time = self.now.to_string();
                }
            }
            None => entries.push(self.entry(Operation::Update, changed)),
        }
        entries.retain(|entry| !entry.fields.is_empty());
        write(&mut new_object, &entries);
        Ok(new_object)
    }

    fn entry(&self, operation: Operation, fields: FieldSet) -> ManagedFieldsEntry {
        ManagedFieldsEntry {
            manager: self.manager.to_string(),
            operation,
            api_version: self.api_version.to_string(),
            time: self.now.to_string(),
            subresource: self.subresource.to_string(),
            fields,
        }
    }
}

fn union_except(entries: &[ManagedFieldsEntry], skipped: Option<usize>) -> FieldSet {
    entries
        .iter()
        .enumerate()
        .filter(|(index, _)| Some(*index) != skipped)
        .fold(FieldSet::new(), |set, (_, entry)| set.union(&entry.fields))
}

/// Removes what the applier owned before and no longer applies, unless another manager owns it
/// or something below it; then the maps and lists that removal left empty and nobody owns.
fn prune(merged: &mut Value, last: &FieldSet, config: &FieldSet, others: &FieldSet) {
    let mut removed: Vec<&Path> = Vec::new();
    let dropped = last.difference(config);
    for path in dropped.iter() {
        if others.has_under(path) || config.has_under(path) {
            continue;
        }
        if remove_at(merged, path) {
            removed.push(path);
        }
    }
    for path in removed {
        // Top-level fields (metadata, spec) stay, even when empty.
        for depth in (2..path.len()).rev() {
            let ancestor = &path[..depth];
            let emptied = is_empty_container(value_at(merged, ancestor));
            if !matches!(ancestor.last(), Some(PathElement::Field(_)))
                || !emptied
                || config.has_under(ancestor)
                || others.has_under(ancestor)
                || value_at(merged, ancestor).is_none()
            {
                break;
            }
            remove_at(merged, ancestor);
        }
    }
}

/// The manager name kube-apiserver derives when a request names none: the User-Agent up to the
/// first `/` (`prefixFromUserAgent`), empty when there is no User-Agent (kube-rs sends none).
pub fn manager_from_user_agent(user_agent: Option<&str>) -> String {
    user_agent
        .and_then(|agent| agent.split('/').next())
        .unwrap_or_default()
        .to_string()
}

/// Each manager's `fieldsV1`, by manager name.
#[cfg(test)]
pub fn owners(object: &Value) -> serde_json::Map<String, Value> {
    read(object)
        .into_iter()
        .map(|entry| (entry.manager.clone(), entry.fields.to_fields_v1()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manager(name: &str) -> FieldManager<'_> {
        FieldManager {
            manager: name,
            api_version: "apps/v1",
            subresource: "",
            status_is_separate: true,
            now: "2025-06-17T18:08:00Z",
        }
    }

    fn deployment(env: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
               "spec": {"template": {"spec": {"containers": [{"name": "app", "env": env}]}}}})
    }

    #[test]
    fn apply_keeps_fields_of_other_managers_and_prunes_its_own() {
        let user = manager("kubectl-edit")
            .update(None, &deployment(json!([{"name": "USER", "value": "1"}])))
            .unwrap();
        let first = manager("kwif")
            .apply(
                Some(&user),
                &deployment(json!([{"name": "A", "value": "a"}, {"name": "B", "value": "b"}])),
                false,
            )
            .unwrap();
        let second = manager("kwif")
            .apply(
                Some(&first),
                &deployment(json!([{"name": "A", "value": "a"}])),
                false,
            )
            .unwrap();
        let env = &second["spec"]["template"]["spec"]["containers"][0]["env"];
        assert_eq!(
            env,
            &json!([{"name": "USER", "value": "1"}, {"name": "A", "value": "a"}])
        );
    }

    #[test]
    fn apply_conflicts_on_a_changed_field_owned_by_another_manager_unless_forced() {
        let user = manager("kubectl-edit")
            .update(None, &deployment(json!([{"name": "A", "value": "user"}])))
            .unwrap();
        let config = deployment(json!([{"name": "A", "value": "kwif"}]));
        let Err(ApplyError::Conflicts(conflicts)) =
            manager("kwif").apply(Some(&user), &config, false)
        else {
            panic!("expected a conflict");
        };
        assert_eq!(conflicts.len(), 1);
        assert_eq!(conflicts[0].manager, "\"kubectl-edit\" using apps/v1");
        assert_eq!(
            crate::kube_api::field_path::path_string(&conflicts[0].path),
            ".spec.template.spec.containers[name=\"app\"].env[name=\"A\"].value"
        );
        let forced = manager("kwif").apply(Some(&user), &config, true).unwrap();
        let owners = owners(&forced);
        assert!(owners["kwif"].to_string().contains("f:value"));
        assert!(!owners["kubectl-edit"].to_string().contains("f:value"));
    }

    #[test]
    fn applying_the_same_value_shares_ownership_without_conflict() {
        let user = manager("kubectl-edit")
            .update(None, &deployment(json!([{"name": "A", "value": "same"}])))
            .unwrap();
        let applied = manager("kwif")
            .apply(
                Some(&user),
                &deployment(json!([{"name": "A", "value": "same"}])),
                false,
            )
            .unwrap();
        let owners = owners(&applied);
        assert!(owners["kwif"].to_string().contains("f:value"));
        assert!(owners["kubectl-edit"].to_string().contains("f:value"));
    }
}
