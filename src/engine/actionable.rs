//! Errors that say what to do: a lower layer (Resource Manager, Graph, Kubernetes) implements
//! nothing of the engine; the steps declare how its errors read as a step error or a finding.

use super::{Finding, StepError};

/// An error with a one-sentence fix, which the engine can show as a [`StepError`] or a
/// [`Finding`] without knowing where it came from.
pub trait Actionable: std::fmt::Display {
    /// What the user should do about it.
    fn fix(&self) -> String;

    /// The finding code to report under; `code` is the step's own for this failure.
    fn finding_code(&self, code: &'static str) -> &'static str {
        code
    }

    fn to_step_error(&self) -> StepError {
        StepError::new(self.to_string(), self.fix())
    }

    fn to_finding(&self, code: &'static str) -> Finding {
        Finding::error(self.finding_code(code), self.to_string(), self.fix())
    }
}
