//! What a step says while it waits (a new identity replicating, a federated credential
//! propagating to Entra): a front end puts a [`ProgressSink`] among the facts every call gets,
//! and shows what arrives (the wizard on the step's row and in its log, the CLI on stderr).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::{Facts, StepId};

/// One thing a step reports while it works.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgressEvent {
    pub step: StepId,
    /// What it waits for, in the user's words: "waiting for Entra to see the credential".
    pub waiting_for: String,
    /// How long it may still wait, when it knows.
    pub left: Option<Duration>,
}

impl fmt::Display for ProgressEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.left {
            Some(left) => write!(f, "{}: {} s left", self.waiting_for, left.as_secs()),
            None => f.write_str(&self.waiting_for),
        }
    }
}

/// Where progress goes; cheap to clone. Never blocks the step that reports.
#[derive(Clone)]
pub struct ProgressSink(Arc<dyn Fn(ProgressEvent) + Send + Sync>);

impl ProgressSink {
    pub fn new(show: impl Fn(ProgressEvent) + Send + Sync + 'static) -> ProgressSink {
        ProgressSink(Arc::new(show))
    }

    pub fn report(&self, event: ProgressEvent) {
        (self.0)(event);
    }
}

impl fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProgressSink")
    }
}

/// Reports to the sink among `facts`, if the front end put one there.
pub fn report(facts: &Facts, step: StepId, waiting_for: &str, left: Option<Duration>) {
    if let Some(sink) = facts.get::<ProgressSink>() {
        sink.report(ProgressEvent {
            step,
            waiting_for: waiting_for.to_string(),
            left,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn a_step_reports_through_the_facts_and_the_event_reads_as_a_countdown() {
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let keep = seen.clone();
        let facts = Facts::new().with(ProgressSink::new(move |event| {
            keep.lock().unwrap().push(event.to_string());
        }));
        report(
            &facts,
            StepId::Verify,
            "waiting for Entra to see the credential",
            Some(Duration::from_secs(42)),
        );
        report(&Facts::new(), StepId::Verify, "nobody listens", None);
        assert_eq!(
            seen.lock().unwrap().as_slice(),
            ["waiting for Entra to see the credential: 42 s left"]
        );
    }
}
