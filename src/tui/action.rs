//! Everything that can happen to the wizard, in one queue: key presses, mouse, resizes, ticks,
//! and the results of the checks, plans and applies running in the background.

use std::fmt;
use std::sync::Arc;

use crossterm::event::{Event, KeyEvent, KeyEventKind, MouseEvent};

use crate::engine::{Check, Plan, Step, StepError, StepId};

#[derive(Debug)]
pub enum Action {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// Advances spinners; sent only while something runs, so an idle wizard sleeps.
    Tick,
    /// Ctrl-C or SIGINT: quit, but let a running apply finish its current step first.
    Interrupt,
    Quit,
    CheckAll,
    Checked {
        step: StepId,
        generation: u64,
        check: Check,
    },
    Planned {
        step: StepId,
        generation: u64,
        result: Result<Plan, StepError>,
    },
    ApplyStarted {
        step: StepId,
    },
    /// `Ok` carries the number of changes applied.
    Applied {
        step: StepId,
        result: Result<usize, StepError>,
    },
    ApplyFinished {
        cancelled: bool,
    },
    /// The removal plans `D` asked for.
    RemovalPlanned(super::RemovalPlans),
    /// A line for the log from background work (e.g. the profile was saved).
    Notice {
        ok: bool,
        text: String,
    },
    /// The steps rebuilt for an edited profile.
    StepsReplaced(Result<StepSet, String>),
    /// What a step says while it waits (a countdown).
    Progress(crate::engine::ProgressEvent),
    /// A list the form's pickers asked for.
    Listed {
        source: crate::discover::Source,
        result: Result<Vec<crate::discover::Suggestion>, String>,
    },
    /// The steps of a wizard that drew its first frame before they existed (the sandbox or the
    /// cluster was still answering), with the profile they were built from.
    Started(Result<Started, String>),
}

impl Action {
    /// The action for a terminal event; key releases and focus changes are ignored.
    pub fn from_terminal(event: Event) -> Option<Action> {
        match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => Some(Action::Key(key)),
            Event::Mouse(mouse) => Some(Action::Mouse(mouse)),
            Event::Resize(width, height) => Some(Action::Resize(width, height)),
            _ => None,
        }
    }
}

/// What a deferred start delivers: the steps, the profile shown in the inputs pane and where
/// it lives, and how to rebuild the steps after an edit.
#[derive(Clone)]
pub struct Started {
    pub steps: StepSet,
    pub profile: Option<Box<crate::profile::Profile>>,
    pub profile_path: Option<std::path::PathBuf>,
    pub step_factory: Option<super::StepFactory>,
    /// What the edit form's pickers list, once the environment exists.
    pub discovery: Option<Arc<dyn crate::discover::Discovery>>,
}

impl fmt::Debug for Started {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Started")
            .field("steps", &self.steps)
            .field("profile_path", &self.profile_path)
            .finish_non_exhaustive()
    }
}

/// Steps carried through the queue.
#[derive(Clone)]
pub struct StepSet(pub Vec<Arc<dyn Step>>);

impl fmt::Debug for StepSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|step| step.id()))
            .finish()
    }
}
