//! The step engine: the contract every setup step implements (check → plan → apply), the
//! runner that checks steps concurrently and applies them in order, and the report renderers.
//! The engine knows nothing of terminals, HTTP, Kubernetes or Azure.

pub mod actionable;
pub mod facts;
pub mod finding;
pub mod progress;
pub mod render;
pub mod runner;
pub mod status;
pub mod step;

pub use actionable::Actionable;
pub use facts::Facts;
pub use finding::{Finding, Severity};
pub use progress::{ProgressEvent, ProgressSink};
pub use runner::{ApplyOutcome, DestroyOutcome, Report, Runner, StepReport};
pub use status::Status;
pub use step::{
    Change, Check, Plan, RemovalOptions, Step, StepError, StepFuture, StepId, note_left,
};
