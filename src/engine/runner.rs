//! Runs steps: checks them concurrently (bounded), applies them one after another in wizard
//! order, and checks everything again afterwards so the user sees the result, not a promise.

use futures::StreamExt;
use serde::Serialize;

use super::{Check, Plan, Status, Step, StepError, StepId};

/// How many checks run at once; enough to hide network latency without flooding an API server.
pub const DEFAULT_CONCURRENCY: usize = 8;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepReport {
    pub id: StepId,
    pub status: Status,
    pub findings: Vec<super::Finding>,
}

/// The result of checking every step; the JSON contract is exactly this shape.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub steps: Vec<StepReport>,
}

impl Report {
    pub fn single(id: StepId, check: Check) -> Report {
        Report {
            steps: vec![StepReport {
                id,
                status: check.status,
                findings: check.findings,
            }],
        }
    }

    /// Exit code of the contract: 0 when nothing needs attention, else 1.
    pub fn exit_code(&self) -> u8 {
        if self.steps.iter().any(|step| step.status.needs_attention()) {
            1
        } else {
            0
        }
    }
}

/// What `apply` did, step by step, and how everything looks afterwards.
#[derive(Debug)]
pub struct ApplyOutcome {
    pub applied: Vec<StepId>,
    /// The step the user declined, which stopped the run.
    pub declined: Option<StepId>,
    pub failed: Option<(StepId, StepError)>,
    pub report: Report,
}

pub struct Runner {
    steps: Vec<Box<dyn Step>>,
    concurrency: usize,
}

impl Runner {
    pub fn new(steps: Vec<Box<dyn Step>>) -> Runner {
        Runner {
            steps,
            concurrency: DEFAULT_CONCURRENCY,
        }
    }

    pub fn with_concurrency(mut self, concurrency: usize) -> Runner {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Only the steps whose id is in `only` (all when empty), in their original order.
    pub fn select(mut self, only: &[StepId]) -> Runner {
        if !only.is_empty() {
            self.steps.retain(|step| only.contains(&step.id()));
        }
        self
    }

    /// The steps themselves, e.g. for a front end that runs them one by one.
    pub fn into_steps(self) -> Vec<Box<dyn Step>> {
        self.steps
    }

    pub fn step_ids(&self) -> Vec<StepId> {
        self.steps.iter().map(|step| step.id()).collect()
    }

    /// Checks every step concurrently; the report lists them in wizard order.
    pub async fn check_all(&self) -> Report {
        let checks: Vec<(StepId, Check)> = futures::stream::iter(&self.steps)
            .map(|step| async move { (step.id(), step.check().await) })
            .buffered(self.concurrency)
            .collect()
            .await;
        let steps = checks
            .into_iter()
            .map(|(id, check)| StepReport {
                id,
                status: check.status,
                findings: check.findings,
            })
            .collect();
        Report { steps }
    }

    /// Plans every step in order; a step that cannot plan is reported, not skipped silently.
    pub async fn plan_all(&self) -> Vec<(StepId, Result<Plan, StepError>)> {
        let mut plans = Vec::with_capacity(self.steps.len());
        for step in &self.steps {
            plans.push((step.id(), step.plan().await));
        }
        plans
    }

    /// Plans and applies each step in wizard order, asking `confirm` before every non-empty
    /// plan. Later steps are planned only after earlier ones are applied, because they build on
    /// them (a workload needs the identity's client id). Stops at the first refusal or failure,
    /// then checks every step again.
    pub async fn apply_all(&self, mut confirm: impl FnMut(&Plan) -> bool) -> ApplyOutcome {
        let mut outcome = ApplyOutcome {
            applied: Vec::new(),
            declined: None,
            failed: None,
            report: Report::default(),
        };
        for step in &self.steps {
            let plan = match step.plan().await {
                Ok(plan) => plan,
                Err(error) => {
                    outcome.failed = Some((step.id(), error));
                    break;
                }
            };
            if plan.is_empty() {
                continue;
            }
            if !confirm(&plan) {
                outcome.declined = Some(step.id());
                break;
            }
            if let Err(error) = step.apply(&plan).await {
                outcome.failed = Some((step.id(), error));
                break;
            }
            outcome.applied.push(step.id());
        }
        outcome.report = self.check_all().await;
        outcome
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use super::*;
    use crate::engine::{Change, Finding, StepFuture};

    /// A toy step: drifts until applied; records the order of events in a shared log.
    struct Toy {
        id: StepId,
        delay_ms: u64,
        applied: Mutex<bool>,
        fails: bool,
        log: std::sync::Arc<Mutex<Vec<String>>>,
    }

    impl Toy {
        fn boxed(
            id: StepId,
            delay_ms: u64,
            log: &std::sync::Arc<Mutex<Vec<String>>>,
        ) -> Box<dyn Step> {
            Box::new(Toy {
                id,
                delay_ms,
                applied: Mutex::new(false),
                fails: false,
                log: log.clone(),
            })
        }
    }

    impl Step for Toy {
        fn id(&self) -> StepId {
            self.id
        }
        fn check(&self) -> StepFuture<'_, Check> {
            Box::pin(async move {
                self.log
                    .lock()
                    .unwrap()
                    .push(format!("check-start {}", self.id));
                tokio::time::sleep(Duration::from_millis(self.delay_ms)).await;
                self.log
                    .lock()
                    .unwrap()
                    .push(format!("check-end {}", self.id));
                if *self.applied.lock().unwrap() {
                    Check::ok()
                } else {
                    Check::from_findings(
                        vec![Finding::warning("TOY_DRIFT", "not applied", "apply it")],
                        true,
                    )
                }
            })
        }
        fn plan(&self) -> StepFuture<'_, Result<Plan, StepError>> {
            Box::pin(async move {
                let changes = if *self.applied.lock().unwrap() {
                    vec![]
                } else {
                    vec![Change::new(self.id.to_string(), "toy", "a\n", "b\n")]
                };
                Ok(Plan {
                    step: self.id,
                    changes,
                })
            })
        }
        fn apply<'a>(&'a self, _plan: &'a Plan) -> StepFuture<'a, Result<(), StepError>> {
            Box::pin(async move {
                self.log.lock().unwrap().push(format!("apply {}", self.id));
                if self.fails {
                    return Err(StepError::new("toy failure", "do not fail"));
                }
                *self.applied.lock().unwrap() = true;
                Ok(())
            })
        }
    }

    fn log() -> std::sync::Arc<Mutex<Vec<String>>> {
        std::sync::Arc::new(Mutex::new(Vec::new()))
    }

    #[tokio::test]
    async fn checks_run_concurrently_and_report_in_wizard_order() {
        let log = log();
        let runner = Runner::new(vec![
            Toy::boxed(StepId::Issuer, 60, &log),
            Toy::boxed(StepId::Hosting, 1, &log),
        ]);
        let report = runner.check_all().await;
        let ids: Vec<StepId> = report.steps.iter().map(|s| s.id).collect();
        assert_eq!(ids, [StepId::Issuer, StepId::Hosting]);
        let events = log.lock().unwrap().clone();
        // The slow first step was still running when the second one finished.
        assert_eq!(events[0], "check-start issuer");
        assert_eq!(events[1], "check-start hosting");
        assert_eq!(events[2], "check-end hosting");
        assert_eq!(report.exit_code(), 1);
    }

    #[tokio::test]
    async fn apply_goes_in_order_then_rechecks_and_a_rerun_plans_nothing() {
        let log = log();
        let runner = Runner::new(vec![
            Toy::boxed(StepId::Identity, 0, &log),
            Toy::boxed(StepId::Issuer, 0, &log),
        ]);
        let mut confirmed = Vec::new();
        let outcome = runner
            .apply_all(|plan| {
                confirmed.push(plan.step);
                true
            })
            .await;
        assert_eq!(confirmed, [StepId::Identity, StepId::Issuer]);
        assert_eq!(outcome.applied, [StepId::Identity, StepId::Issuer]);
        assert!(outcome.report.steps.iter().all(|s| s.status == Status::Ok));
        assert_eq!(outcome.report.exit_code(), 0);
        let plans = runner.plan_all().await;
        assert!(
            plans
                .iter()
                .all(|(_, plan)| plan.as_ref().unwrap().is_empty())
        );
    }

    #[tokio::test]
    async fn nothing_is_applied_without_confirmation() {
        let log = log();
        let runner = Runner::new(vec![
            Toy::boxed(StepId::Issuer, 0, &log),
            Toy::boxed(StepId::Verify, 0, &log),
        ]);
        let outcome = runner.apply_all(|_| false).await;
        assert_eq!(outcome.declined, Some(StepId::Issuer));
        assert!(outcome.applied.is_empty());
        assert!(!log.lock().unwrap().iter().any(|e| e.starts_with("apply")));
    }

    #[tokio::test]
    async fn a_failed_apply_stops_later_steps() {
        let log = log();
        let failing: Box<dyn Step> = Box::new(Toy {
            id: StepId::Hosting,
            delay_ms: 0,
            applied: Mutex::new(false),
            fails: true,
            log: log.clone(),
        });
        let runner = Runner::new(vec![failing, Toy::boxed(StepId::Verify, 0, &log)]);
        let outcome = runner.apply_all(|_| true).await;
        assert_eq!(
            outcome
                .failed
                .as_ref()
                .map(|(id, e)| (*id, e.message.as_str())),
            Some((StepId::Hosting, "toy failure"))
        );
        assert!(!log.lock().unwrap().contains(&"apply verify".to_string()));
        assert_eq!(outcome.report.steps.len(), 2);
    }

    #[tokio::test]
    async fn select_keeps_only_the_named_steps() {
        let log = log();
        let runner = Runner::new(vec![
            Toy::boxed(StepId::Issuer, 0, &log),
            Toy::boxed(StepId::Verify, 0, &log),
        ])
        .select(&[StepId::Verify]);
        assert_eq!(runner.step_ids(), [StepId::Verify]);
    }

    #[test]
    fn change_diff_is_unified_and_labelled() {
        let change = Change::new("ConfigMap a/b", "s", "x: 1\n", "x: 2\n");
        let diff = change.diff();
        assert!(diff.contains("--- ConfigMap a/b (now)"));
        assert!(diff.contains("-x: 1") && diff.contains("+x: 2"));
    }
}
