//! What sits on top of the main view: the help, a confirmation before any apply or removal, the
//! progress of a running apply or removal, or the profile form. At most one at a time; Esc closes it.

use super::apply_progress::ApplyProgress;
use super::profile_form::ProfileForm;
use super::removal_plans::RemovalPlans;
use crate::engine::StepId;

#[derive(Clone, Debug, Default)]
pub enum Overlay {
    #[default]
    None,
    Help,
    /// `a`: the step's plan, applied only on `y`.
    ConfirmApply {
        step: StepId,
    },
    /// `A`: every step that needs attention with its change count, applied only on `y`.
    /// `follow_up`: opened by kwif after an apply, for the steps that build on it; it closes
    /// itself when none of them has anything left to change.
    ConfirmApplyAll {
        steps: Vec<StepId>,
        follow_up: bool,
        /// How far the diffs below the summary are scrolled (↑↓, PgUp/PgDn).
        scroll: usize,
    },
    /// `D`: the removal plan of every step (as `kwif destroy`), removed in reverse wizard order
    /// only on `y`; `None` while it is being planned.
    ConfirmDestroy {
        removal: Option<RemovalPlans>,
        /// How far the diffs below the summary are scrolled (↑↓, PgUp/PgDn).
        scroll: usize,
    },
    Applying(ApplyProgress),
    Form(Box<ProfileForm>),
}

impl Overlay {
    pub fn is_none(&self) -> bool {
        matches!(self, Overlay::None)
    }

    /// A short name, for tests and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Overlay::None => "none",
            Overlay::Help => "help",
            Overlay::ConfirmApply { .. } => "confirm-apply",
            Overlay::ConfirmApplyAll { .. } => "confirm-apply-all",
            Overlay::ConfirmDestroy { .. } => "confirm-destroy",
            Overlay::Applying(_) => "applying",
            Overlay::Form(_) => "form",
        }
    }
}
