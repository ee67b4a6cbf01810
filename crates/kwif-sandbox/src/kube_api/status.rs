//! `Status` objects shaped like kube-apiserver's (k8s.io/apimachinery/pkg/api/errors): the same
//! reasons, codes, messages and `details`, so clients parse them as they would a real error.

use serde_json::{Map, Value, json};

use super::resources::ResourceType;

/// One entry of `details.causes`: a field error of an Invalid status, or a conflict of an apply.
#[derive(Clone, Debug, PartialEq)]
pub struct Cause {
    /// `FieldValueInvalid`, `FieldValueRequired`, `FieldManagerConflict`, …
    pub reason: &'static str,
    pub message: String,
    pub field: String,
}

impl Cause {
    /// `field.Invalid(path, value, detail)`; `value` is shown as Go's `%v` shows it.
    pub fn invalid(field: &str, value: &str, detail: &str) -> Cause {
        Cause {
            reason: "FieldValueInvalid",
            message: format!("Invalid value: {value}: {detail}"),
            field: field.to_string(),
        }
    }

    /// `field.Required(path, detail)`.
    pub fn required(field: &str, detail: &str) -> Cause {
        let message = match detail {
            "" => "Required value".to_string(),
            detail => format!("Required value: {detail}"),
        };
        Cause {
            reason: "FieldValueRequired",
            message,
            field: field.to_string(),
        }
    }

    /// `field.Forbidden(path, detail)`.
    pub fn forbidden(field: &str, detail: &str) -> Cause {
        Cause {
            reason: "FieldValueForbidden",
            message: format!("Forbidden: {detail}"),
            field: field.to_string(),
        }
    }

    /// `field.Duplicate(path, value)`.
    pub fn duplicate(field: &str, value: &str) -> Cause {
        Cause {
            reason: "FieldValueDuplicate",
            message: format!("Duplicate value: {value:?}"),
            field: field.to_string(),
        }
    }

    /// `field.NotFound(path, value)`.
    pub fn not_found(field: &str, value: &str) -> Cause {
        Cause {
            reason: "FieldValueNotFound",
            message: format!("Not found: {value:?}"),
            field: field.to_string(),
        }
    }

    /// `field.NotSupported(path, value, supported)`.
    pub fn not_supported(field: &str, value: &str, supported: &[&str]) -> Cause {
        let supported: Vec<String> = supported.iter().map(|value| format!("{value:?}")).collect();
        Cause {
            reason: "FieldValueNotSupported",
            message: format!(
                "Unsupported value: {value:?}: supported values: {}",
                supported.join(", ")
            ),
            field: field.to_string(),
        }
    }

    /// The cause as `field.Error.Error()` prints it: `spec.x: Invalid value: …`.
    fn error_string(&self) -> String {
        format!("{}: {}", self.field, self.message)
    }

    fn to_json(&self) -> Value {
        let mut cause = json!({"reason": self.reason, "message": self.message});
        if !self.field.is_empty() {
            cause["field"] = Value::String(self.field.clone());
        }
        cause
    }
}

/// A failed request, rendered as a `Status` with `status: Failure`.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: String, details: Option<Value>) -> ApiError {
        ApiError {
            code,
            reason,
            message,
            details,
        }
    }

    /// `deployments.apps "web" not found`, details name, group and the resource as `kind`.
    pub fn not_found(resource: &ResourceType, name: &str) -> ApiError {
        ApiError::new(
            404,
            "NotFound",
            format!("{} {name:?} not found", resource.group_resource()),
            Some(resource_details(resource, name)),
        )
    }

    /// A path under a known API that names no resource.
    pub fn no_such_resource() -> ApiError {
        ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource".into(),
            Some(json!({})),
        )
    }

    pub fn already_exists(resource: &ResourceType, name: &str) -> ApiError {
        ApiError::new(
            409,
            "AlreadyExists",
            format!("{} {name:?} already exists", resource.group_resource()),
            Some(resource_details(resource, name)),
        )
    }

    /// The optimistic-concurrency failure of a write with a stale resourceVersion.
    pub fn modified(resource: &ResourceType, name: &str) -> ApiError {
        ApiError::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} {name:?}: the object has been modified; please \
                 apply your changes to the latest version and try again",
                resource.group_resource()
            ),
            Some(resource_details(resource, name)),
        )
    }

    /// A 409 Conflict with a message of its own (a precondition, a bound object's uid).
    pub fn conflict(resource: &ResourceType, name: &str, message: String) -> ApiError {
        ApiError::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} {name:?}: {message}",
                resource.group_resource()
            ),
            Some(resource_details(resource, name)),
        )
    }

    /// The 409 of a server-side apply that would change fields other managers own
    /// (`NewApplyConflict`, message from `getConflictMessage`).
    pub fn apply_conflict(conflicts: &[(String, String)]) -> ApiError {
        let message = match conflicts {
            [(manager, field)] => {
                format!("Apply failed with 1 conflict: conflict with {manager}: {field}")
            }
            _ => {
                let mut managers: Vec<&String> =
                    conflicts.iter().map(|(manager, _)| manager).collect();
                managers.sort();
                managers.dedup();
                let mut lines = Vec::new();
                for manager in managers {
                    lines.push(format!("conflicts with {manager}:"));
                    for (owner, field) in conflicts {
                        if owner == manager {
                            lines.push(format!("- {field}"));
                        }
                    }
                }
                format!(
                    "Apply failed with {} conflicts: {}",
                    conflicts.len(),
                    lines.join("\n")
                )
            }
        };
        let causes: Vec<Value> = conflicts
            .iter()
            .map(|(manager, field)| {
                json!({"reason": "FieldManagerConflict", "message": format!("conflict with {manager}"), "field": field})
            })
            .collect();
        ApiError::new(409, "Conflict", message, Some(json!({"causes": causes})))
    }

    /// `errors.NewInvalid`: 422 with one cause per field error; `group_kind` such as
    /// `Deployment.apps` or `TokenRequest.authentication.k8s.io`.
    pub fn invalid(group: &str, kind: &str, name: &str, causes: Vec<Cause>) -> ApiError {
        let qualified = match group {
            "" => kind.to_string(),
            group => format!("{kind}.{group}"),
        };
        let errors: Vec<String> = causes.iter().map(Cause::error_string).collect();
        let message = match errors.as_slice() {
            [] => format!("{qualified} {name:?} is invalid"),
            [one] => format!("{qualified} {name:?} is invalid: {one}"),
            many => format!("{qualified} {name:?} is invalid: [{}]", many.join(", ")),
        };
        let mut details = Map::new();
        if !name.is_empty() {
            details.insert("name".into(), json!(name));
        }
        if !group.is_empty() {
            details.insert("group".into(), json!(group));
        }
        details.insert("kind".into(), json!(kind));
        details.insert(
            "causes".into(),
            Value::Array(causes.iter().map(Cause::to_json).collect()),
        );
        ApiError::new(422, "Invalid", message, Some(Value::Object(details)))
    }

    /// The 422 of a JSON patch that does not apply (`NewGenericServerResponse`).
    pub fn rejected(detail: &str) -> ApiError {
        ApiError::new(
            422,
            "Invalid",
            "the server rejected our request due to an error in our request".into(),
            Some(json!({"causes": [{"reason": "UnexpectedServerResponse", "message": detail}]})),
        )
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "BadRequest", message.into(), None)
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(401, "Unauthorized", "Unauthorized".into(), None)
    }

    /// A denied non-resource URL: `forbidden: User "system:anonymous" cannot get path "/x"`.
    pub fn forbidden_path(user: &str, verb: &str, path: &str) -> ApiError {
        ApiError::new(
            403,
            "Forbidden",
            format!("forbidden: User {user:?} cannot {verb} path {path:?}"),
            Some(json!({})),
        )
    }

    /// A denied resource request, worded like the RBAC authorizer's.
    pub fn forbidden_resource(
        user: &str,
        verb: &str,
        resource: &ResourceType,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> ApiError {
        let subject = match name {
            Some(name) => format!("{} {name:?}", resource.group_resource()),
            None => resource.group_resource(),
        };
        let scope = match namespace {
            Some(namespace) => format!("in the namespace {namespace:?}"),
            None => "at the cluster scope".to_string(),
        };
        let mut details = json!({"kind": resource.plural});
        if let Some(name) = name {
            details["name"] = json!(name);
        }
        if !resource.group.is_empty() {
            details["group"] = json!(resource.group);
        }
        ApiError::new(
            403,
            "Forbidden",
            format!(
                "{subject} is forbidden: User {user:?} cannot {verb} resource {:?} in API group {:?} {scope}",
                resource.plural, resource.group
            ),
            Some(details),
        )
    }

    /// An admission rejection: `pods "x" is forbidden: …`.
    pub fn forbidden(resource: &ResourceType, name: &str, message: &str) -> ApiError {
        ApiError::new(
            403,
            "Forbidden",
            format!(
                "{} {name:?} is forbidden: {message}",
                resource.group_resource()
            ),
            Some(resource_details(resource, name)),
        )
    }

    pub fn method_not_allowed() -> ApiError {
        ApiError::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource".into(),
            Some(json!({})),
        )
    }

    pub fn unsupported_media_type() -> ApiError {
        ApiError::new(
            415,
            "UnsupportedMediaType",
            String::from(
                "the body of the request was in an unknown format - accepted media types include: \
                 application/json-patch+json, application/merge-patch+json, \
                 application/apply-patch+yaml, application/strategic-merge-patch+json",
            ),
            None,
        )
    }

    pub fn internal(message: &str) -> ApiError {
        ApiError::new(
            500,
            "InternalError",
            format!("Internal error occurred: {message}"),
            Some(json!({"causes": [{"message": message}]})),
        )
    }

    /// The `Status` body.
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        });
        if let Some(details) = &self.details {
            status["details"] = details.clone();
        }
        status["code"] = json!(self.code);
        status
    }
}

/// The `Status` a delete returns when the object is gone at once.
pub fn deleted(resource: &ResourceType, name: &str, uid: &str) -> Value {
    let mut details = resource_details(resource, name);
    details["uid"] = json!(uid);
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details})
}

fn resource_details(resource: &ResourceType, name: &str) -> Value {
    let mut details = json!({"name": name});
    if !resource.group.is_empty() {
        details["group"] = json!(resource.group);
    }
    details["kind"] = json!(resource.plural);
    details
}
