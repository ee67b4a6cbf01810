//! The contract every setup step implements: `check` (read-only, live) → `plan` (the changes,
//! each with a human diff) → `apply` (idempotent). Steps get their clients passed in; the
//! engine never builds one.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::Serialize;

use super::{Facts, Finding, Severity, Status};

/// The six steps, in wizard order (DESIGN.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepId {
    Issuer,
    Hosting,
    Identity,
    Federation,
    Workload,
    Verify,
}

impl StepId {
    pub const ALL: [StepId; 6] = [
        StepId::Issuer,
        StepId::Hosting,
        StepId::Identity,
        StepId::Federation,
        StepId::Workload,
        StepId::Verify,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StepId::Issuer => "issuer",
            StepId::Hosting => "hosting",
            StepId::Identity => "identity",
            StepId::Federation => "federation",
            StepId::Workload => "workload",
            StepId::Verify => "verify",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            StepId::Issuer => "cluster issuer",
            StepId::Hosting => "OIDC discovery + JWKS",
            StepId::Identity => "managed identity + roles",
            StepId::Federation => "federated identity credential",
            StepId::Workload => "ServiceAccount + workload",
            StepId::Verify => "end-to-end token exchange",
        }
    }

    pub fn parse(text: &str) -> Option<StepId> {
        StepId::ALL.into_iter().find(|id| id.as_str() == text)
    }
}

impl fmt::Display for StepId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a check found: the step's status and its findings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    pub status: Status,
    pub findings: Vec<Finding>,
}

impl Check {
    pub fn ok() -> Check {
        Check {
            status: Status::Ok,
            findings: Vec::new(),
        }
    }

    pub fn skipped(reason: Finding) -> Check {
        Check {
            status: Status::Skipped,
            findings: vec![reason],
        }
    }

    /// `error` when any finding is an error, else `drift` when `drifted`, else `ok`.
    pub fn from_findings(findings: Vec<Finding>, drifted: bool) -> Check {
        let status = if findings.iter().any(|f| f.severity == Severity::Error) {
            Status::Error
        } else if drifted {
            Status::Drift
        } else {
            Status::Ok
        };
        Check { status, findings }
    }
}

/// One change a step would make, shown to the user as a diff before anything happens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// What is changed, in the user's words: `Deployment application1/web-server`.
    pub target: String,
    /// One line: what the change does and why.
    pub summary: String,
    pub before: String,
    pub after: String,
    /// The Kubernetes manifest or patch a GitOps repository would take for this change
    /// (`kwif plan --output yaml`), when the change is to a Kubernetes object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
}

impl Change {
    pub fn new(
        target: impl Into<String>,
        summary: impl Into<String>,
        before: impl Into<String>,
        after: impl Into<String>,
    ) -> Change {
        Change {
            target: target.into(),
            summary: summary.into(),
            before: before.into(),
            after: after.into(),
            manifest: None,
        }
    }

    pub fn with_manifest(mut self, manifest: impl Into<String>) -> Change {
        self.manifest = Some(manifest.into());
        self
    }

    /// A unified diff of `before` → `after`, labelled with the target.
    pub fn diff(&self) -> String {
        similar::TextDiff::from_lines(&self.before, &self.after)
            .unified_diff()
            .context_radius(3)
            .header(
                &format!("{} (now)", self.target),
                &format!("{} (planned)", self.target),
            )
            .to_string()
    }
}

/// The changes a step would make; empty when the step already matches the profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub step: StepId,
    pub changes: Vec<Change>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// Why a plan or an apply failed, and what the user can do about it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct StepError {
    pub message: String,
    pub fix: String,
}

impl StepError {
    pub fn new(message: impl Into<String>, fix: impl Into<String>) -> StepError {
        StepError {
            message: message.into(),
            fix: fix.into(),
        }
    }
}

pub type StepFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A setup step. `check` must not change anything; `apply` must be safe to run again.
///
/// What a step learns that later steps need travels as [`Facts`]: `resolve` (read-only) runs
/// before any check, plan or apply; every call gets the facts known at its start; an apply
/// returns what it learned (a created identity's ids), which the engine passes on.
/// Appends what a removal leaves in place to the last change's summary ("left: …"). With no
/// change there is nothing to attach it to, and nothing of the step is removed anyway.
pub fn note_left(mut changes: Vec<Change>, left: &str) -> Vec<Change> {
    if let Some(last) = changes.last_mut() {
        last.summary = format!("{}; left: {left}", last.summary);
    }
    changes
}

pub trait Step: Send + Sync {
    fn id(&self) -> StepId;
    /// Read-only lookups whose results other steps need. Most steps learn nothing up front.
    fn resolve(&self) -> StepFuture<'_, Facts> {
        Box::pin(async { Facts::new() })
    }
    fn check<'a>(&'a self, facts: &'a Facts) -> StepFuture<'a, Check>;
    fn plan<'a>(&'a self, facts: &'a Facts) -> StepFuture<'a, Result<Plan, StepError>>;
    /// How much longer than the run's step deadline this step's check may legitimately take
    /// with these facts (verify waiting for a new federated credential to propagate).
    fn patience(&self, _facts: &Facts) -> Duration {
        Duration::ZERO
    }
    fn apply<'a>(
        &'a self,
        plan: &'a Plan,
        facts: &'a Facts,
    ) -> StepFuture<'a, Result<Facts, StepError>>;
    /// What `kwif destroy` would remove of what this step created or changed: only kwif's own
    /// objects and fields, never the user's. Empty when nothing of kwif's is left (the default:
    /// a step that creates nothing).
    fn plan_removal<'a>(&'a self, _facts: &'a Facts) -> StepFuture<'a, Result<Plan, StepError>> {
        let step = self.id();
        Box::pin(async move {
            Ok(Plan {
                step,
                changes: Vec::new(),
            })
        })
    }
    /// Whether this step's removal plan is only an instruction for the user (the issuer step
    /// never edits the node): its plan is shown, never confirmed nor carried out.
    fn removal_is_by_hand(&self) -> bool {
        false
    }
    /// Removes what a confirmed removal plan lists; safe to run again (what is gone stays gone).
    fn remove<'a>(
        &'a self,
        _plan: &'a Plan,
        _facts: &'a Facts,
    ) -> StepFuture<'a, Result<(), StepError>> {
        Box::pin(async { Ok(()) })
    }
}

/// What `kwif destroy` keeps although kwif made it; the front end hands it to every step as a
/// fact.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RemovalOptions {
    /// `--keep-identity`: the managed identities and app registrations kwif created stay (their
    /// role assignments and federated credentials still go).
    pub keep_identity: bool,
}
