//! Microsoft Graph's error answers: `{"error":{"code","message","innerError":{date, request-id,
//! client-request-id}}}` with the codes and wording Graph uses (Authorization_RequestDenied,
//! Request_ResourceNotFound, Request_BadRequest, Request_MultipleObjectsWithSameKeyValue, …).

use std::time::SystemTime;

use serde_json::{Value, json};

use crate::randomness;

/// One Graph error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl GraphError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> GraphError {
        GraphError {
            status,
            code,
            message: message.into(),
        }
    }

    /// The body, with the `innerError` Graph adds: when, and the request ids.
    pub fn body(&self, client_request_id: Option<&str>, now: SystemTime) -> Value {
        let request_id = randomness::uid();
        let date = humantime::format_rfc3339_seconds(now)
            .to_string()
            .trim_end_matches('Z')
            .to_string();
        json!({
            "error": {
                "code": self.code,
                "message": self.message,
                "innerError": {
                    "date": date,
                    "request-id": request_id,
                    "client-request-id": client_request_id.unwrap_or(&request_id),
                }
            }
        })
    }

    /// A token whose permissions do not cover the call (the same words for every operation).
    pub fn denied() -> GraphError {
        GraphError::new(
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
    }

    /// No such object, or not (yet) replicated to the replica that answered.
    pub fn not_found(id: &str) -> GraphError {
        GraphError::new(
            404,
            "Request_ResourceNotFound",
            format!(
                "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
            ),
        )
    }

    pub fn token(message: &str) -> GraphError {
        GraphError::new(401, "InvalidAuthenticationToken", message)
    }

    /// A property value Graph refuses, in its usual words.
    pub fn invalid_value(property: &str, resource: &str) -> GraphError {
        GraphError::new(
            400,
            "Request_BadRequest",
            format!("Invalid value specified for property '{property}' of resource '{resource}'."),
        )
    }

    pub fn bad_request(message: impl Into<String>) -> GraphError {
        GraphError::new(400, "Request_BadRequest", message)
    }

    /// A property the type does not have, or one that is read-only.
    pub fn unknown_property(property: &str, type_name: &str) -> GraphError {
        GraphError::new(
            400,
            "Request_BadRequest",
            format!(
                "Property '{property}' is read-only or does not exist on type 'microsoft.graph.{type_name}'."
            ),
        )
    }

    /// A segment Graph does not know (its own wording).
    pub fn unknown_segment(segment: &str) -> GraphError {
        GraphError::new(
            400,
            "BadRequest",
            format!("Resource not found for the segment '{segment}'."),
        )
    }

    pub fn method_not_allowed() -> GraphError {
        GraphError::new(
            405,
            "Request_BadRequest",
            "Specified HTTP method is not allowed for the request target.",
        )
    }

    pub fn unsupported_filter(property: &str, resource: &str) -> GraphError {
        GraphError::new(
            400,
            "Request_UnsupportedQuery",
            format!(
                "Unsupported or invalid query filter clause specified for property '{property}' of resource '{resource}'."
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_carries_code_message_and_the_request_ids() {
        let body = GraphError::denied().body(Some("c"), SystemTime::UNIX_EPOCH);
        assert_eq!(body["error"]["code"], "Authorization_RequestDenied");
        assert_eq!(
            body["error"]["message"],
            "Insufficient privileges to complete the operation."
        );
        assert_eq!(body["error"]["innerError"]["client-request-id"], "c");
        assert_eq!(body["error"]["innerError"]["date"], "1970-01-01T00:00:00");
    }
}
