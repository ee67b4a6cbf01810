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

/// One observation of a check. `code` is part of the stable contract (DESIGN.md); `identity`
/// is an optional addition to it, left out of the JSON when the finding concerns no identity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub fix: String,
    /// The profile identity the finding belongs to, when a profile has several to tell apart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
}

impl Finding {
    pub fn error(code: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Finding {
            code,
            severity: Severity::Error,
            message: message.into(),
            fix: fix.into(),
            identity: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Finding {
            code,
            severity: Severity::Warning,
            message: message.into(),
            fix: fix.into(),
            identity: None,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The same finding, marked as belonging to the identity `name`.
    #[must_use]
    pub fn with_identity(mut self, name: impl Into<String>) -> Self {
        self.identity = Some(name.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identity_is_an_optional_addition_to_the_json_contract() {
        let plain = Finding::warning("CODE", "message", "fix");
        assert_eq!(
            serde_json::to_value(&plain).unwrap(),
            serde_json::json!({"code": "CODE", "severity": "warning", "message": "message", "fix": "fix"})
        );
        let tagged = plain.with_identity("id-web");
        assert_eq!(
            serde_json::to_value(&tagged).unwrap(),
            serde_json::json!({"code": "CODE", "severity": "warning", "message": "message", "fix": "fix",
                               "identity": "id-web"})
        );
    }
}
