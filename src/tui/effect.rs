//! What the update function asks the app to do outside the state: start a check, plan or
//! apply in the background, stop an apply after its current step, save the profile.

use crate::engine::{Plan, StepId};
use crate::profile::Profile;

#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Forget the facts resolved for the last round of checks (a re-check looks again).
    Refresh,
    Check {
        step: StepId,
        generation: u64,
    },
    Plan {
        step: StepId,
        generation: u64,
    },
    /// Apply these plans in this order; every plan was shown to the user and confirmed with `y`.
    Apply {
        plans: Vec<Plan>,
    },
    /// Plan the removal of every step (`D`), nothing removed.
    PlanRemoval,
    /// Remove these plans in this order (reverse wizard order); every plan was shown to the user
    /// and confirmed with `y`.
    Remove {
        plans: Vec<Plan>,
    },
    /// Stop before the next step of the running apply.
    CancelApply,
    SaveProfile {
        profile: Box<Profile>,
        yaml: String,
        /// The steps use what changed: rebuild and check them (not for `app.language`).
        rebuild: bool,
    },
}
