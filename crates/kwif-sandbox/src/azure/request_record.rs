//! One line of sandbox Azure's request log, so tests and the demo can show what a client did.
//! Bodies, headers and query values other than the api-version are not kept: no token leaks.

/// A request the sandbox answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AzureRequestRecord {
    pub method: String,
    pub path: String,
    /// The `api-version` query parameter, when there was one (Entra requests have none).
    pub api_version: Option<String>,
    pub status: u16,
}
