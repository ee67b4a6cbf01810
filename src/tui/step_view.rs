//! What the wizard knows about one step: its last check, its plan and its last apply error.
//! Plain data; the wizard's update function is the only writer.

use crate::engine::{Check, Finding, Plan, ProgressEvent, Status, StepError, StepId};

/// Where the step's plan stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanState {
    NotPlanned,
    Planning,
    Ready(Plan),
    Failed(StepError),
}

impl PlanState {
    pub fn ready(&self) -> Option<&Plan> {
        match self {
            PlanState::Ready(plan) => Some(plan),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepView {
    pub id: StepId,
    pub status: Status,
    pub findings: Vec<Finding>,
    pub plan: PlanState,
    pub apply_error: Option<StepError>,
    /// What the step says while it waits ("waiting for Entra to see the credential: 42 s
    /// left"), until its check or apply ends.
    pub progress: Option<ProgressEvent>,
    /// Results of an older check or plan request than these are dropped.
    pub(crate) check_generation: u64,
    pub(crate) plan_generation: u64,
}

impl StepView {
    pub fn pending(id: StepId) -> StepView {
        StepView {
            id,
            status: Status::Pending,
            findings: Vec::new(),
            plan: PlanState::NotPlanned,
            apply_error: None,
            progress: None,
            check_generation: 0,
            plan_generation: 0,
        }
    }

    pub fn set_check(&mut self, check: Check) {
        self.status = check.status;
        self.findings = check.findings;
        self.progress = None;
    }
}
