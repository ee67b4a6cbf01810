//! The sandbox's etcd: objects by resource, namespace and name, one resourceVersion counter, and
//! a feed of changes for watches. It checks nothing; the REST layer decides what may be written.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::resources::ResourceType;
use crate::randomness;

/// Where an object lives. Cluster-scoped objects have an empty namespace.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    pub group: &'static str,
    pub plural: &'static str,
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    pub fn new(resource: &ResourceType, namespace: Option<&str>, name: &str) -> ObjectKey {
        ObjectKey {
            group: resource.group,
            plural: resource.plural,
            namespace: match resource.namespaced {
                true => namespace.unwrap_or_default().to_string(),
                false => String::new(),
            },
            name: name.to_string(),
        }
    }

    pub fn is_of(&self, resource: &ResourceType) -> bool {
        self.group == resource.group && self.plural == resource.plural
    }
}

/// One change, as a watch reports it.
#[derive(Clone, Debug)]
pub struct WatchEvent {
    pub key: ObjectKey,
    /// `ADDED`, `MODIFIED` or `DELETED`.
    pub kind: &'static str,
    pub object: Value,
}

pub struct Store {
    objects: BTreeMap<ObjectKey, Value>,
    resource_version: u64,
    events: broadcast::Sender<WatchEvent>,
}

impl Store {
    pub fn new() -> Store {
        let (events, _) = broadcast::channel(1024);
        Store {
            objects: BTreeMap::new(),
            resource_version: 1,
            events,
        }
    }

    pub fn resource_version(&self) -> u64 {
        self.resource_version
    }

    pub fn subscribe(&self) -> broadcast::Receiver<WatchEvent> {
        self.events.subscribe()
    }

    pub fn get(&self, key: &ObjectKey) -> Option<&Value> {
        self.objects.get(key)
    }

    pub fn contains(&self, key: &ObjectKey) -> bool {
        self.objects.contains_key(key)
    }

    /// The objects of a resource, in one namespace or all, ordered by namespace and name.
    pub fn list(
        &self,
        resource: &ResourceType,
        namespace: Option<&str>,
    ) -> Vec<(&ObjectKey, &Value)> {
        self.objects
            .iter()
            .filter(|(key, _)| key.is_of(resource))
            .filter(|(key, _)| namespace.is_none_or(|namespace| key.namespace == namespace))
            .collect()
    }

    /// Every object, for garbage collection and namespace deletion.
    pub fn keys(&self) -> Vec<ObjectKey> {
        self.objects.keys().cloned().collect()
    }

    /// The metadata the server sets on create: uid, resourceVersion, creationTimestamp and,
    /// where the resource keeps one, generation 1. Does not store anything.
    pub fn prepare_create(&self, resource: &ResourceType, object: &mut Value, now: &str) {
        let metadata = metadata_of(object);
        metadata.insert("uid".into(), json!(randomness::uid()));
        metadata.insert("creationTimestamp".into(), json!(now));
        if resource.generation {
            metadata.insert("generation".into(), json!(1));
        }
    }

    /// Stores a new object (already prepared) with the next resourceVersion.
    pub fn create(&mut self, key: ObjectKey, mut object: Value) -> Value {
        self.resource_version += 1;
        metadata_of(&mut object).insert(
            "resourceVersion".into(),
            json!(self.resource_version.to_string()),
        );
        self.objects.insert(key.clone(), object.clone());
        self.publish(key, "ADDED", &object);
        object
    }

    /// What an update of `old` to `new` stores: server-set metadata kept, generation bumped
    /// when anything outside metadata and status changed. `None` when nothing changed, which
    /// leaves the resourceVersion as it was.
    pub fn prepare_update(
        &self,
        resource: &ResourceType,
        old: &Value,
        new: Value,
    ) -> Option<Value> {
        let mut new = new;
        for field in [
            "uid",
            "creationTimestamp",
            "generation",
            "resourceVersion",
            "deletionTimestamp",
        ] {
            let kept = old.pointer(&format!("/metadata/{field}")).cloned();
            let metadata = metadata_of(&mut new);
            match kept {
                Some(value) => metadata.insert(field.into(), value),
                None => metadata.shift_remove(field),
            };
        }
        if &new == old {
            return None;
        }
        if resource.generation && spec_part(old) != spec_part(&new) {
            let generation = old
                .pointer("/metadata/generation")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            metadata_of(&mut new).insert("generation".into(), json!(generation + 1));
        }
        Some(new)
    }

    /// Stores a prepared update with the next resourceVersion.
    pub fn update(&mut self, key: ObjectKey, mut object: Value) -> Value {
        self.resource_version += 1;
        metadata_of(&mut object).insert(
            "resourceVersion".into(),
            json!(self.resource_version.to_string()),
        );
        self.objects.insert(key.clone(), object.clone());
        self.publish(key, "MODIFIED", &object);
        object
    }

    pub fn delete(&mut self, key: &ObjectKey) -> Option<Value> {
        let object = self.objects.remove(key)?;
        self.resource_version += 1;
        let mut gone = object.clone();
        metadata_of(&mut gone).insert(
            "resourceVersion".into(),
            json!(self.resource_version.to_string()),
        );
        self.publish(key.clone(), "DELETED", &gone);
        Some(object)
    }

    fn publish(&self, key: ObjectKey, kind: &'static str, object: &Value) {
        // No receiver means no watch is open; that is not an error.
        let _ = self.events.send(WatchEvent {
            key,
            kind,
            object: object.clone(),
        });
    }
}

/// Everything but metadata and status: what a generation counts changes of.
fn spec_part(object: &Value) -> Value {
    let mut part = object.clone();
    if let Some(object) = part.as_object_mut() {
        object.shift_remove("metadata");
        object.shift_remove("status");
    }
    part
}

/// Sets the value at `path`, creating objects for missing or null members. Returns false, and
/// changes nothing, when a member on the way is some other kind of value.
pub fn set_at(value: &mut Value, path: &[&str], new: Value) -> bool {
    let Some((last, parents)) = path.split_last() else {
        *value = new;
        return true;
    };
    let mut current = value;
    for name in parents {
        if current.is_null() {
            *current = json!({});
        }
        let Some(object) = current.as_object_mut() else {
            return false;
        };
        current = object.entry(name.to_string()).or_insert(Value::Null);
    }
    if current.is_null() {
        *current = json!({});
    }
    match current.as_object_mut() {
        Some(object) => {
            object.insert(last.to_string(), new);
            true
        }
        None => false,
    }
}

/// The object's `metadata` map, created when missing. Non-object values become objects first.
pub fn metadata_of(object: &mut Value) -> &mut serde_json::Map<String, Value> {
    if !object.is_object() {
        *object = json!({});
    }
    let Value::Object(fields) = object else {
        unreachable!("made an object above")
    };
    let metadata = fields.entry("metadata").or_insert_with(|| json!({}));
    if !metadata.is_object() {
        *metadata = json!({});
    }
    match metadata {
        Value::Object(metadata) => metadata,
        _ => unreachable!("made an object above"),
    }
}
