//! The status of a step, always shown as a symbol, a word and a colour together so that no
//! state depends on colour alone.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pending,
    Checking,
    Ok,
    Drift,
    Error,
    Skipped,
}

impl Status {
    pub fn symbol(self) -> &'static str {
        match self {
            Status::Pending => "·",
            Status::Checking => "…",
            Status::Ok => "✓",
            Status::Drift => "~",
            Status::Error => "✗",
            Status::Skipped => "–",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Checking => "checking",
            Status::Ok => "ok",
            Status::Drift => "drift",
            Status::Error => "error",
            Status::Skipped => "skipped",
        }
    }

    /// Whether this status needs the user's attention (and makes `check` exit 1).
    pub fn needs_attention(self) -> bool {
        matches!(self, Status::Drift | Status::Error)
    }
}
