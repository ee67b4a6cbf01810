//! Progress of a running apply: each step of the run with where it stands, and whether the user
//! asked to stop (the current step's apply always finishes; later steps are not started).

use crate::engine::StepId;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApplyItemState {
    Waiting,
    Applying,
    Applied { changes: usize },
    Failed(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplyProgress {
    pub items: Vec<(StepId, ApplyItemState)>,
    pub cancel_requested: bool,
    /// Quit once the current step is applied.
    pub quit_requested: bool,
    /// Steps of an `A` run that could not be planned yet: planned and confirmed after this run.
    pub deferred: Vec<StepId>,
    /// A removal (`D`), not an apply: the rows say "removing" and "removed".
    pub removal: bool,
}

impl ApplyProgress {
    pub fn new(steps: impl IntoIterator<Item = StepId>, deferred: Vec<StepId>) -> ApplyProgress {
        ApplyProgress {
            items: steps
                .into_iter()
                .map(|step| (step, ApplyItemState::Waiting))
                .collect(),
            cancel_requested: false,
            quit_requested: false,
            deferred,
            removal: false,
        }
    }

    /// The progress of a confirmed removal: the steps in the order they are removed.
    pub fn removal(steps: impl IntoIterator<Item = StepId>) -> ApplyProgress {
        ApplyProgress {
            removal: true,
            ..ApplyProgress::new(steps, Vec::new())
        }
    }

    pub fn set(&mut self, step: StepId, state: ApplyItemState) {
        if let Some((_, item)) = self.items.iter_mut().find(|(id, _)| *id == step) {
            *item = state;
        }
    }

    pub fn current(&self) -> Option<StepId> {
        self.items
            .iter()
            .find(|(_, state)| *state == ApplyItemState::Applying)
            .map(|(id, _)| *id)
    }

    pub fn failed(&self) -> bool {
        self.items
            .iter()
            .any(|(_, state)| matches!(state, ApplyItemState::Failed(_)))
    }

    pub fn applied_count(&self) -> usize {
        self.items
            .iter()
            .filter(|(_, state)| matches!(state, ApplyItemState::Applied { .. }))
            .count()
    }
}
