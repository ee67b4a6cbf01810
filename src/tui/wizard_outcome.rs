//! How the wizard ended, for the caller's exit code: every step ok or not, what was applied,
//! and the last status of every step.

use crate::engine::{Report, StepId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WizardOutcome {
    /// Every step ok (or skipped) when the user quit.
    pub all_ok: bool,
    pub applied: Vec<StepId>,
    /// The user quit while an apply was still running (a rerun finishes it).
    pub interrupted_apply: bool,
    pub report: Report,
}

impl WizardOutcome {
    /// The CLI contract: 0 when everything is ok, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        if self.all_ok { 0 } else { 1 }
    }
}
