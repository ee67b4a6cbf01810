//! What a sandbox Azure route answers before it becomes an HTTP response: a status, a JSON body
//! or none, and the headers ARM or Entra add. It never carries a request's credentials.

use http::header::HeaderName;
use serde_json::Value;

use super::arm_error::ArmError;

/// One answer of the sandbox, Resource Manager or Entra alike.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Option<Value>,
    pub headers: Vec<(HeaderName, String)>,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body: Some(body),
            headers: Vec::new(),
        }
    }

    /// A reply without a body, such as ARM's 202 for a long-running operation or 204 for a
    /// delete of something absent.
    pub fn empty(status: u16) -> Reply {
        Reply {
            status,
            body: None,
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }
}

impl From<ArmError> for Reply {
    fn from(error: ArmError) -> Reply {
        Reply::json(error.status, error.body())
    }
}
