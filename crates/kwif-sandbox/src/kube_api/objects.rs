//! The REST verbs on objects (get, list, create, update, patch, delete), with the checks and
//! the order of kube-apiserver's handlers: decode, defaults, field manager, admission, validation,
//! storage. Every failure is an [`ApiError`]; nothing here panics on a malformed request.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::admission::admit_pod;
use super::cluster::{Cluster, now, resource, seed_namespace};
use super::decoder::{self, FieldValidation};
use super::defaults;
use super::field_path::path_string;
use super::jobs;
use super::managed_fields::{
    ApplyError, FieldManager, manager_from_user_agent, without_managed_fields,
};
use super::patch::{json_patch, merge_patch, strategic_merge_patch};
use super::resources::{self, ResourceType};
use super::selector::{FieldSelector, LabelSelector};
use super::status::{self, ApiError, Cause};
use super::store::{ObjectKey, metadata_of, set_at};
use super::validation::validate;
use crate::randomness;

/// A routed resource request.
#[derive(Debug)]
pub struct Target {
    pub resource: &'static ResourceType,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

impl Target {
    fn key(&self) -> ObjectKey {
        ObjectKey::new(
            self.resource,
            self.namespace.as_deref(),
            self.name.as_deref().unwrap_or_default(),
        )
    }

    fn name(&self) -> &str {
        self.name.as_deref().unwrap_or_default()
    }

    fn subresource(&self) -> &str {
        self.subresource.as_deref().unwrap_or_default()
    }
}

/// The decoded query string.
#[derive(Debug, Default)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    pub fn parse(query: &str) -> Query {
        Query {
            pairs: url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    fn flag(&self, name: &str) -> bool {
        matches!(self.get(name), Some("true" | "1"))
    }

    fn dry_run(&self) -> bool {
        self.pairs
            .iter()
            .any(|(key, value)| key == "dryRun" && value == "All")
    }
}

/// A write request: what it targets and what it carries.
pub struct Write<'a> {
    pub target: &'a Target,
    pub query: &'a Query,
    pub body: &'a [u8],
    pub content_type: &'a str,
    pub user_agent: Option<&'a str>,
}

impl Write<'_> {
    fn manager(&self) -> String {
        match self.query.get("fieldManager") {
            Some(manager) if !manager.is_empty() => manager.to_string(),
            _ => manager_from_user_agent(self.user_agent),
        }
    }
}

/// A status code and the JSON body, or the error to render as a Status.
pub type Reply = Result<(u16, Value), ApiError>;

/// Metadata only the server sets; a client's values are dropped on create.
const SERVER_METADATA: [&str; 6] = [
    "uid",
    "creationTimestamp",
    "generation",
    "managedFields",
    "deletionTimestamp",
    "selfLink",
];

impl Cluster {
    pub fn get_object(&self, target: &Target) -> Reply {
        match self.store.get(&target.key()) {
            Some(object) => Ok((200, object.clone())),
            None => Err(ApiError::not_found(target.resource, target.name())),
        }
    }

    pub fn list_objects(&self, target: &Target, query: &Query) -> Reply {
        let resource = target.resource;
        let (labels, fields) = selectors(resource, query)?;
        let mut items: Vec<Value> = self
            .store
            .list(resource, target.namespace.as_deref())
            .into_iter()
            .map(|(_, object)| object)
            .filter(|object| labels.matches(object) && fields.matches(resource.kind, object))
            .map(|object| {
                let mut item = object.clone();
                if let Some(item) = item.as_object_mut() {
                    item.shift_remove("kind");
                    item.shift_remove("apiVersion");
                }
                item
            })
            .collect();
        let mut metadata = json!({"resourceVersion": self.store.resource_version().to_string()});
        let offset = query
            .get("continue")
            .filter(|token| !token.is_empty())
            .map(|token| {
                URL_SAFE_NO_PAD
                    .decode(token)
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .and_then(|text| text.parse::<usize>().ok())
                    .ok_or_else(|| {
                        ApiError::bad_request("continue key is not valid: illegal base64 data")
                    })
            })
            .transpose()?
            .unwrap_or(0);
        items.drain(..offset.min(items.len()));
        if let Some(limit) = query
            .get("limit")
            .and_then(|limit| limit.parse::<usize>().ok())
            .filter(|limit| *limit > 0)
            && items.len() > limit
        {
            metadata["remainingItemCount"] = json!(items.len() - limit);
            metadata["continue"] = json!(URL_SAFE_NO_PAD.encode((offset + limit).to_string()));
            items.truncate(limit);
        }
        Ok((
            200,
            json!({"kind": resource.list_kind(), "apiVersion": resource.api_version(), "metadata": metadata, "items": items}),
        ))
    }

    pub fn create_object(&mut self, write: &Write<'_>) -> Reply {
        let target = write.target;
        let resource = target.resource;
        if target.name.is_some() || (resource.namespaced && target.namespace.is_none()) {
            return Err(ApiError::method_not_allowed());
        }
        let mut object = decode(write.body, write.content_type)?;
        check_kind(resource, &mut object)?;
        self.decode_fields(resource, &mut object, write.query)?;
        place(target, &mut object)?;
        if object
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .is_some_and(|rv| !rv.is_empty())
        {
            return Err(ApiError::internal(
                "resourceVersion should not be set on objects to be created",
            ));
        }
        let name = name_or_generated(&mut object);
        self.check_namespace_exists(target)?;
        let key = ObjectKey::new(resource, target.namespace.as_deref(), &name);
        if self.store.contains(&key) {
            return Err(ApiError::already_exists(resource, &name));
        }
        strip_server_metadata(&mut object);
        defaults::apply(resource, &mut object);
        let now = now();
        let api_version = resource.api_version();
        let manager = write.manager();
        let recorded = self
            .field_manager(resource, &manager, &api_version, "", &now)
            .update(None, &object)
            .map_err(|e| ApiError::internal(&e))?;
        self.store_new(resource, key, recorded, write.query.dry_run())
    }

    pub fn replace_object(&mut self, write: &Write<'_>) -> Reply {
        let target = write.target;
        let resource = target.resource;
        let Some(name) = target.name.as_deref() else {
            return Err(ApiError::method_not_allowed());
        };
        let mut object = decode(write.body, write.content_type)?;
        check_kind(resource, &mut object)?;
        self.decode_fields(resource, &mut object, write.query)?;
        place(target, &mut object)?;
        let body_name = object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if body_name != name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({body_name}) does not match the name on the URL ({name})"
            )));
        }
        let key = target.key();
        let old = self
            .store
            .get(&key)
            .cloned()
            .ok_or_else(|| ApiError::not_found(resource, name))?;
        check_resource_version(resource, name, &object, &old)?;
        let subresource = self.writable_subresource(target)?;
        if subresource.is_empty() {
            defaults::apply(resource, &mut object);
        }
        let now = now();
        let api_version = resource.api_version();
        let manager = write.manager();
        let recorded = self
            .field_manager(resource, &manager, &api_version, subresource, &now)
            .update(Some(&old), &object)
            .map_err(|e| ApiError::internal(&e))?;
        self.store_changed(resource, key, &old, recorded, write.query.dry_run())
    }

    pub fn patch_object(&mut self, write: &Write<'_>) -> Reply {
        let target = write.target;
        if target.name.is_none() {
            return Err(ApiError::method_not_allowed());
        }
        let media_type = write
            .content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim();
        let apply = media_type == "application/apply-patch+yaml";
        if !apply
            && !matches!(
                media_type,
                "application/merge-patch+json"
                    | "application/strategic-merge-patch+json"
                    | "application/json-patch+json"
            )
        {
            return Err(ApiError::unsupported_media_type());
        }
        let force = write.query.flag("force");
        if !apply && write.query.get("force").is_some() {
            let cause = Cause {
                reason: "FieldValueForbidden",
                message: "Forbidden: may not be specified for non-apply patch".into(),
                field: "force".into(),
            };
            return Err(ApiError::invalid(
                "meta.k8s.io",
                "PatchOptions",
                "",
                vec![cause],
            ));
        }
        if apply && write.query.get("fieldManager").is_none_or(str::is_empty) {
            let cause = Cause::required("fieldManager", "is required for apply patch");
            return Err(ApiError::invalid(
                "meta.k8s.io",
                "PatchOptions",
                "",
                vec![cause],
            ));
        }
        match apply {
            true => self.apply_patch(write, force),
            false => self.plain_patch(write, media_type),
        }
    }

    fn apply_patch(&mut self, write: &Write<'_>, force: bool) -> Reply {
        let target = write.target;
        let resource = target.resource;
        let name = target.name();
        let mut config: Value = serde_yaml::from_slice(write.body)
            .map_err(|error| ApiError::bad_request(format!("error decoding YAML: {error}")))?;
        if !config.is_object() {
            return Err(ApiError::bad_request(
                "error decoding YAML: the apply configuration is not an object",
            ));
        }
        let version = config
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if version != resource.api_version() {
            return Err(ApiError::bad_request(format!(
                "Incorrect version specified in apply patch. Specified patch version: {version}, expected: {}",
                resource.api_version()
            )));
        }
        let kind = config
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if kind != resource.kind {
            return Err(ApiError::bad_request(format!(
                "Incorrect kind specified in apply patch. Specified patch kind: {kind}, expected: {}",
                resource.kind
            )));
        }
        self.decode_fields(resource, &mut config, write.query)?;
        place(target, &mut config)?;
        let metadata = metadata_of(&mut config);
        match metadata.get("name").and_then(Value::as_str) {
            Some(body_name) if body_name != name => {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({body_name}) does not match the name on the URL ({name})"
                )));
            }
            _ => {
                metadata.insert("name".into(), json!(name));
            }
        }
        let key = target.key();
        let live = self.store.get(&key).cloned();
        if let Some(live) = &live {
            check_resource_version(resource, name, &config, live)?;
        }
        let subresource = self.writable_subresource(target)?;
        if live.is_none() {
            if !subresource.is_empty() {
                return Err(ApiError::not_found(resource, name));
            }
            self.check_namespace_exists(target)?;
        }
        let now = now();
        let api_version = resource.api_version();
        let manager = write.manager();
        let field_manager = self.field_manager(resource, &manager, &api_version, subresource, &now);
        let mut applied = field_manager
            .apply(live.as_ref(), &config, force)
            .map_err(|error| match error {
                ApplyError::Conflicts(conflicts) => {
                    let shown: Vec<(String, String)> = conflicts
                        .into_iter()
                        .map(|c| (c.manager, path_string(&c.path)))
                        .collect();
                    ApiError::apply_conflict(&shown)
                }
                ApplyError::Typed(message) => ApiError::internal(&format!(
                    "failed to create typed patch object ({}/{name}; {}/{}, Kind={}): {message}",
                    target.namespace.as_deref().unwrap_or_default(),
                    resource.group,
                    resource.version,
                    resource.kind
                )),
            })?;
        decoder::check(resource, &applied)?;
        if subresource.is_empty() {
            defaults::apply(resource, &mut applied);
        }
        match live {
            Some(live) => self.store_changed(resource, key, &live, applied, write.query.dry_run()),
            None => {
                strip_server_metadata_keeping_managed_fields(&mut applied);
                self.store_new(resource, key, applied, write.query.dry_run())
            }
        }
    }

    fn plain_patch(&mut self, write: &Write<'_>, media_type: &str) -> Reply {
        let target = write.target;
        let resource = target.resource;
        let name = target.name();
        let key = target.key();
        let live = self
            .store
            .get(&key)
            .cloned()
            .ok_or_else(|| ApiError::not_found(resource, name))?;
        let patch: Value = serde_json::from_slice(write.body)
            .map_err(|error| ApiError::bad_request(format!("error decoding patch: {error}")))?;
        let base = without_managed_fields(&live);
        let mut patched = match media_type {
            "application/merge-patch+json" => merge_patch(&base, &patch),
            "application/strategic-merge-patch+json" => strategic_merge_patch(&base, &patch)?,
            _ => json_patch(&base, &patch)?,
        };
        if !patched.is_object() {
            return Err(ApiError::bad_request(
                "the patch turned the object into something that is not an object",
            ));
        }
        self.decode_fields(resource, &mut patched, write.query)?;
        if let Some(requested) = patch
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
        {
            let current = live
                .pointer("/metadata/resourceVersion")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if requested != current {
                return Err(ApiError::modified(resource, name));
            }
        }
        for field in ["name", "namespace"] {
            let kept = live.pointer(&format!("/metadata/{field}")).cloned();
            if let Some(kept) = kept {
                metadata_of(&mut patched).insert(field.into(), kept);
            }
        }
        let subresource = self.writable_subresource(target)?;
        if subresource.is_empty() {
            defaults::apply(resource, &mut patched);
        }
        let now = now();
        let api_version = resource.api_version();
        let manager = write.manager();
        let recorded = self
            .field_manager(resource, &manager, &api_version, subresource, &now)
            .update(Some(&live), &patched)
            .map_err(|e| ApiError::internal(&e))?;
        self.store_changed(resource, key, &live, recorded, write.query.dry_run())
    }

    pub fn delete_object(&mut self, write: &Write<'_>) -> Reply {
        let target = write.target;
        let resource = target.resource;
        let Some(name) = target.name.as_deref() else {
            return Err(ApiError::method_not_allowed());
        };
        if target.subresource.is_some() {
            return Err(ApiError::method_not_allowed());
        }
        // The options are decoded and validated before the object is looked up.
        let propagation = Propagation::of(resource, write.query, write.body)?;
        let key = target.key();
        let live = self
            .store
            .get(&key)
            .cloned()
            .ok_or_else(|| ApiError::not_found(resource, name))?;
        check_preconditions(resource, name, write.body, &live)?;
        let dry_run = write.query.dry_run();
        let now = now();
        let mut deleting = live.clone();
        metadata_of(&mut deleting).insert("deletionTimestamp".into(), json!(now));
        match resource.kind {
            "Namespace" => {
                if matches!(name, "default" | "kube-system" | "kube-public") {
                    return Err(ApiError::forbidden(
                        resource,
                        name,
                        "this namespace may not be deleted",
                    ));
                }
                deleting["status"] = json!({"phase": "Terminating"});
                if !dry_run {
                    for object_key in self
                        .store
                        .keys()
                        .into_iter()
                        .filter(|k| k.namespace == name)
                    {
                        self.store.delete(&object_key);
                    }
                    self.store.delete(&key);
                    self.reconcile();
                }
                Ok((200, deleting))
            }
            _ if has_finalizers(&live) => {
                if dry_run || live.pointer("/metadata/deletionTimestamp").is_some() {
                    return Ok((200, deleting));
                }
                let stored = self.store.update(key, deleting);
                Ok((200, stored))
            }
            kind => {
                if !dry_run {
                    if propagation == Propagation::Orphan {
                        self.orphan_dependents(&live);
                    }
                    // The garbage collector then deletes the dependents left (Background),
                    // which the sandbox does at once; Foreground deletes them first, which
                    // ends the same way.
                    self.store.delete(&key);
                    self.reconcile();
                }
                match (kind, propagation.finalizer()) {
                    ("Pod", _) => {
                        metadata_of(&mut deleting)
                            .insert("deletionGracePeriodSeconds".into(), json!(30));
                        Ok((200, deleting))
                    }
                    // The object is answered as it is while the garbage collector works: with
                    // the finalizer that holds it (`orphan` or `foregroundDeletion`).
                    (_, Some(finalizer)) => {
                        let metadata = metadata_of(&mut deleting);
                        metadata.insert("deletionGracePeriodSeconds".into(), json!(0));
                        metadata.insert("finalizers".into(), json!([finalizer]));
                        Ok((200, deleting))
                    }
                    (_, None) => {
                        let uid = live
                            .pointer("/metadata/uid")
                            .and_then(Value::as_str)
                            .unwrap_or_default();
                        Ok((200, status::deleted(resource, name, uid)))
                    }
                }
            }
        }
    }

    /// Removes `owner` from the owner references of every object that has it, as the garbage
    /// collector does for an orphaning delete.
    fn orphan_dependents(&mut self, owner: &Value) {
        let Some(uid) = owner.pointer("/metadata/uid").and_then(Value::as_str) else {
            return;
        };
        for key in self.store.keys() {
            let Some(object) = self.store.get(&key).cloned() else {
                continue;
            };
            let Some(owners) = object
                .pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
            else {
                continue;
            };
            let kept: Vec<Value> = owners
                .iter()
                .filter(|reference| reference.get("uid").and_then(Value::as_str) != Some(uid))
                .cloned()
                .collect();
            if kept.len() == owners.len() {
                continue;
            }
            let mut orphaned = object.clone();
            let metadata = metadata_of(&mut orphaned);
            match kept.is_empty() {
                true => metadata.shift_remove("ownerReferences"),
                false => metadata.insert("ownerReferences".into(), Value::Array(kept)),
            };
            let resource = resources::RESOURCES
                .iter()
                .find(|resource| key.is_of(resource));
            if let Some(prepared) =
                resource.and_then(|resource| self.store.prepare_update(resource, &object, orphaned))
            {
                self.store.update(key, prepared);
            }
        }
    }

    /// `POST …/serviceaccounts/{name}/token`.
    pub fn token_request(&mut self, write: &Write<'_>) -> Reply {
        let target = write.target;
        let body = decode(write.body, write.content_type)?;
        let namespace = target.namespace.as_deref().unwrap_or_default();
        let reply = self.create_token(namespace, target.name(), &body)?;
        Ok((201, reply))
    }

    /// Decodes a body as the resource's type under the request's `fieldValidation`, keeping
    /// the warnings for the answer's `Warning` headers.
    fn decode_fields(
        &mut self,
        resource: &ResourceType,
        object: &mut Value,
        query: &Query,
    ) -> Result<(), ApiError> {
        let validation = FieldValidation::parse(query.get("fieldValidation"))?;
        let warnings = decoder::decode(resource, object, validation)?;
        self.warnings.extend(warnings);
        Ok(())
    }

    fn field_manager<'a>(
        &self,
        resource: &ResourceType,
        manager: &'a str,
        api_version: &'a str,
        subresource: &'a str,
        now: &'a str,
    ) -> FieldManager<'a> {
        FieldManager {
            manager,
            api_version,
            subresource,
            status_is_separate: resource.status_subresource,
            now,
        }
    }

    /// `""` for the main resource, `"status"` for a resource that has that subresource.
    fn writable_subresource<'t>(&self, target: &'t Target) -> Result<&'t str, ApiError> {
        match target.subresource() {
            "" => Ok(""),
            "status" if target.resource.status_subresource => Ok("status"),
            _ => Err(ApiError::no_such_resource()),
        }
    }

    fn check_namespace_exists(&self, target: &Target) -> Result<(), ApiError> {
        match (target.resource.namespaced, target.namespace.as_deref()) {
            (true, Some(namespace)) if !self.namespace_exists(namespace) => {
                let namespaces =
                    resource("", "namespaces").ok_or_else(ApiError::no_such_resource)?;
                Err(ApiError::not_found(namespaces, namespace))
            }
            _ => Ok(()),
        }
    }

    /// Admission, validation and storage of a new object (POST, or an apply that creates).
    fn store_new(
        &mut self,
        resource: &ResourceType,
        key: ObjectKey,
        mut object: Value,
        dry_run: bool,
    ) -> Reply {
        let name = key.name.clone();
        if resource.kind == "Pod" {
            admit_pod(&self.store, &mut object)
                .map_err(|message| ApiError::forbidden(resource, &name, &message))?;
        }
        // The uid comes before validation: a Job's generated selector is made of it
        // (PrepareForCreate, then Validate). Fields the server generates belong to no manager.
        self.store.prepare_create(resource, &mut object, &now());
        if resource.kind == "Job" {
            jobs::generate_selector(&mut object);
            if let Some(job) = object.as_object_mut() {
                defaults::copy_template_labels(job);
            }
        }
        validate(resource, &object, None, self.version)?;
        match resource.kind {
            "Pod" => {
                if object.pointer("/spec/nodeName").is_none() {
                    set_at(
                        &mut object,
                        &["spec", "nodeName"],
                        json!(self.distribution.tells().node_name),
                    );
                }
                object["status"] = json!({"phase": "Pending", "qosClass": "BestEffort"});
            }
            "Namespace" => seed_namespace(&mut object, &name),
            _ => {}
        }
        if dry_run {
            return Ok((201, object));
        }
        let stored = self.store.create(key, object);
        self.reconcile();
        Ok((201, stored))
    }

    /// Validation and storage of a changed object; unchanged objects keep their resourceVersion.
    fn store_changed(
        &mut self,
        resource: &ResourceType,
        key: ObjectKey,
        old: &Value,
        new: Value,
        dry_run: bool,
    ) -> Reply {
        validate(resource, &new, Some(old), self.version)?;
        let Some(prepared) = self.store.prepare_update(resource, old, new) else {
            return Ok((200, old.clone()));
        };
        if dry_run {
            return Ok((200, prepared));
        }
        let finished =
            prepared.pointer("/metadata/deletionTimestamp").is_some() && !has_finalizers(&prepared);
        let stored = match finished {
            true => {
                self.store.delete(&key);
                prepared
            }
            false => self.store.update(key, prepared),
        };
        self.reconcile();
        Ok((200, stored))
    }
}

fn selectors(
    resource: &ResourceType,
    query: &Query,
) -> Result<(LabelSelector, FieldSelector), ApiError> {
    let labels = LabelSelector::parse(query.get("labelSelector").unwrap_or_default())
        .map_err(ApiError::bad_request)?;
    let fields = FieldSelector::parse(query.get("fieldSelector").unwrap_or_default())
        .map_err(ApiError::bad_request)?;
    fields
        .check_supported(resource.kind)
        .map_err(ApiError::bad_request)?;
    Ok((labels, fields))
}

/// The selectors of a watch, checked like a list's.
pub fn watch_selectors(
    resource: &ResourceType,
    query: &Query,
) -> Result<(LabelSelector, FieldSelector), ApiError> {
    selectors(resource, query)
}

/// Parses a request body (JSON, or YAML when the content type says so) into an object.
pub fn decode(body: &[u8], content_type: &str) -> Result<Value, ApiError> {
    if content_type.contains("protobuf") {
        return super::protobuf::to_json(body);
    }
    if content_type.contains("cbor") {
        return Err(ApiError::unsupported_media_type());
    }
    let parsed: Result<Value, String> = match content_type.contains("yaml") {
        true => serde_yaml::from_slice(body).map_err(|e| e.to_string()),
        false => serde_json::from_slice(body).map_err(|e| e.to_string()),
    };
    match parsed {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err(ApiError::bad_request(
            "the body of the request is not an object",
        )),
        Err(error) => Err(ApiError::bad_request(format!(
            "couldn't get version/kind; json parse error: {error}"
        ))),
    }
}

/// The body's `kind` must be the resource's, and its `apiVersion` the endpoint's.
fn check_kind(resource: &ResourceType, object: &mut Value) -> Result<(), ApiError> {
    let kind = object
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if kind.is_empty() {
        return Err(ApiError::bad_request(format!(
            "Object 'Kind' is missing in '{object}'"
        )));
    }
    let expected = resource.api_version();
    match object.get("apiVersion").and_then(Value::as_str) {
        Some(version) if version != expected => {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({version}) does not match the expected API version ({expected})"
            )));
        }
        Some(_) => {}
        None => object["apiVersion"] = json!(expected),
    }
    if kind != resource.kind {
        return Err(ApiError::bad_request(format!(
            "no kind {kind:?} is registered for the resource {:?} in version {expected:?}",
            resource.plural
        )));
    }
    Ok(())
}

/// Puts the object in the URL's namespace; a different namespace in the body is refused.
fn place(target: &Target, object: &mut Value) -> Result<(), ApiError> {
    let metadata = metadata_of(object);
    if !target.resource.namespaced {
        metadata.shift_remove("namespace");
        return Ok(());
    }
    let url_namespace = target.namespace.clone().unwrap_or_default();
    match metadata.get("namespace").and_then(Value::as_str) {
        Some(namespace) if !namespace.is_empty() && namespace != url_namespace => {
            Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ))
        }
        _ => {
            metadata.insert("namespace".into(), json!(url_namespace));
            Ok(())
        }
    }
}

/// `metadata.name`, or one made from `generateName` and five random characters.
fn name_or_generated(object: &mut Value) -> String {
    let metadata = metadata_of(object);
    if let Some(name) = metadata
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
    {
        return name.to_string();
    }
    match metadata
        .get("generateName")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
    {
        Some(prefix) => {
            let name = format!("{prefix}{}", randomness::name_suffix(5));
            metadata.insert("name".into(), json!(name));
            name
        }
        None => String::new(),
    }
}

fn strip_server_metadata(object: &mut Value) {
    let metadata = metadata_of(object);
    for field in SERVER_METADATA {
        metadata.shift_remove(field);
    }
    metadata.shift_remove("resourceVersion");
}

fn strip_server_metadata_keeping_managed_fields(object: &mut Value) {
    let managed = object.pointer("/metadata/managedFields").cloned();
    strip_server_metadata(object);
    if let Some(managed) = managed {
        metadata_of(object).insert("managedFields".into(), managed);
    }
}

/// A write that names a resourceVersion must name the current one.
fn check_resource_version(
    resource: &ResourceType,
    name: &str,
    object: &Value,
    live: &Value,
) -> Result<(), ApiError> {
    let requested = object
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let current = live
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match requested.is_empty() || requested == current {
        true => Ok(()),
        false => Err(ApiError::modified(resource, name)),
    }
}

/// What a delete does to the objects the deleted one owns (`DeleteOptions.propagationPolicy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Propagation {
    Orphan,
    Background,
    Foreground,
}

impl Propagation {
    /// The policy the request asks for, in its DeleteOptions body or its query, else the
    /// resource's default: batch/v1 Jobs orphan their pods for backward compatibility
    /// (jobStrategy.DefaultGarbageCollectionPolicy); everything else the sandbox serves,
    /// CronJobs included, deletes its dependents in the background.
    fn of(resource: &ResourceType, query: &Query, body: &[u8]) -> Result<Propagation, ApiError> {
        let options: Value = match body.iter().all(u8::is_ascii_whitespace) {
            true => Value::Null,
            false => serde_json::from_slice(body).map_err(|error| {
                ApiError::bad_request(format!("invalid DeleteOptions: {error}"))
            })?,
        };
        let policy = options
            .get("propagationPolicy")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| query.get("propagationPolicy").map(str::to_string));
        let orphan_dependents = options
            .get("orphanDependents")
            .and_then(Value::as_bool)
            .or_else(|| query.get("orphanDependents").map(|value| value == "true"));
        // ValidateDeleteOptions (apimachinery/pkg/apis/meta/v1/validation), which the DELETE
        // handler runs on the decoded options before the object is looked up.
        let invalid =
            |cause: Cause| ApiError::invalid("meta.k8s.io", "DeleteOptions", "", vec![cause]);
        if let (Some(policy), Some(_)) = (policy.as_deref(), orphan_dependents) {
            return Err(invalid(Cause::invalid(
                "propagationPolicy",
                &format!("{policy:?}"),
                "orphanDependents and deletionPropagation cannot be both set",
            )));
        }
        match (policy.as_deref(), orphan_dependents) {
            (Some("Orphan"), _) => Ok(Propagation::Orphan),
            (Some("Background"), _) => Ok(Propagation::Background),
            (Some("Foreground"), _) => Ok(Propagation::Foreground),
            (Some(other), _) => Err(invalid(Cause::not_supported(
                "propagationPolicy",
                other,
                &["Foreground", "Background", "Orphan", "nil"],
            ))),
            (None, Some(true)) => Ok(Propagation::Orphan),
            (None, Some(false)) => Ok(Propagation::Background),
            (None, None) if resource.kind == "Job" => Ok(Propagation::Orphan),
            (None, None) => Ok(Propagation::Background),
        }
    }

    /// The finalizer that keeps the deleted object visible while its dependents are handled.
    fn finalizer(self) -> Option<&'static str> {
        match self {
            Propagation::Orphan => Some("orphan"),
            Propagation::Foreground => Some("foregroundDeletion"),
            Propagation::Background => None,
        }
    }
}

/// `DeleteOptions.preconditions`.
fn check_preconditions(
    resource: &ResourceType,
    name: &str,
    body: &[u8],
    live: &Value,
) -> Result<(), ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    let options: Value = serde_json::from_slice(body)
        .map_err(|error| ApiError::bad_request(format!("invalid DeleteOptions: {error}")))?;
    for (field, label) in [("uid", "UID"), ("resourceVersion", "ResourceVersion")] {
        let Some(expected) = options
            .pointer(&format!("/preconditions/{field}"))
            .and_then(Value::as_str)
        else {
            continue;
        };
        let actual = live
            .pointer(&format!("/metadata/{field}"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        if expected != actual {
            return Err(ApiError::conflict(
                resource,
                name,
                format!(
                    "Precondition failed: {label} in precondition: {expected}, {label} in object meta: {actual}"
                ),
            ));
        }
    }
    Ok(())
}

fn has_finalizers(object: &Value) -> bool {
    object
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .is_some_and(|f| !f.is_empty())
}
