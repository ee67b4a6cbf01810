//! A finding: one thing a check noticed, with a stable code, a severity and a one-line fix.

use serde::Serialize;

/// How bad a finding is. `Error` means Entra ID (or the cluster) will reject the setup;
/// `Warning` means it works today but breaks other relying parties or later.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn symbol(self) -> &'static str {
        match self {
            Severity::Error => "✗",
            Severity::Warning => "!",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One observation of a check. `code` is part of the stable contract (DESIGN.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub fix: String,
}

impl Finding {
    pub fn error(code: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Finding {
            code,
            severity: Severity::Error,
            message: message.into(),
            fix: fix.into(),
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Finding {
            code,
            severity: Severity::Warning,
            message: message.into(),
            fix: fix.into(),
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}
