//! Runs steps: checks them concurrently (bounded), applies them one after another in wizard
//! order, and checks everything again afterwards so the user sees the result, not a promise.
//! With a step deadline, no check, plan or lookup waits longer than that for its servers.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::StreamExt;
use serde::Serialize;

use super::{Check, Facts, Finding, Plan, Status, Step, StepError, StepFuture, StepId};

/// How many checks run at once; enough to hide network latency without flooding an API server.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// The finding of a check that ran past the step deadline.
pub const STEP_TIMED_OUT: &str = "STEP_TIMED_OUT";
const TIMED_OUT_FIX: &str = "a server answered too slowly or not at all: rerun with -v to see which request; \
                             --timeout SECONDS (or KWIF_TIMEOUT) waits longer";

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
    steps: Vec<Arc<dyn Step>>,
    /// The steps this run checks, plans and applies (all when empty); every step still
    /// resolves its facts, so `--step workload` knows the identity's ids.
    only: Vec<StepId>,
    concurrency: usize,
    /// The facts of the current round, resolved once before its checks and reused until an
    /// apply or [`Runner::refresh`].
    resolved: Mutex<Option<Facts>>,
    /// Held while resolving, so that concurrent callers wait for one resolution.
    resolving: tokio::sync::Mutex<()>,
    /// What applies of this run learned (a created identity's ids, a credential write's time).
    learned: Mutex<Facts>,
    /// What the front end hands every call (where progress goes).
    given: Facts,
    /// The longest a step's lookup, check or plan may take (plus the step's own patience);
    /// `None`: unbounded. Applies are bounded by the steps' own waits (rollouts, polling).
    step_deadline: Option<Duration>,
}

impl Runner {
    pub fn new(steps: Vec<Box<dyn Step>>) -> Runner {
        Runner::shared(steps.into_iter().map(Arc::from).collect())
    }

    /// Over steps a front end also holds (the wizard).
    pub fn shared(steps: Vec<Arc<dyn Step>>) -> Runner {
        Runner {
            steps,
            only: Vec::new(),
            concurrency: DEFAULT_CONCURRENCY,
            resolved: Mutex::new(None),
            resolving: tokio::sync::Mutex::new(()),
            learned: Mutex::new(Facts::new()),
            given: Facts::new(),
            step_deadline: None,
        }
    }

    /// Bounds every step's lookup, check and plan by `deadline`: a server that stops
    /// answering gives a finding saying so instead of a run that never ends.
    pub fn with_step_deadline(mut self, deadline: Duration) -> Runner {
        self.step_deadline = Some(deadline);
        self
    }

    async fn bounded_check(&self, step: &Arc<dyn Step>, facts: &Facts) -> Check {
        let Some(deadline) = self.step_deadline else {
            return step.check(facts).await;
        };
        let deadline = deadline + step.patience(facts);
        match tokio::time::timeout(deadline, step.check(facts)).await {
            Ok(check) => check,
            Err(_) => Check {
                status: Status::Error,
                findings: vec![Finding::error(
                    STEP_TIMED_OUT,
                    format!(
                        "the {} check did not finish: timed out after {}",
                        step.id(),
                        seconds(deadline)
                    ),
                    TIMED_OUT_FIX,
                )],
            },
        }
    }

    async fn bounded_plan(&self, step: &Arc<dyn Step>, facts: &Facts) -> Result<Plan, StepError> {
        let what = format!("planning the {} step", step.id());
        self.plan_within_deadline(&what, step.plan(facts)).await
    }

    /// `planning` within the step deadline; past it, an error saying `what` did not finish.
    async fn plan_within_deadline(
        &self,
        what: &str,
        planning: StepFuture<'_, Result<Plan, StepError>>,
    ) -> Result<Plan, StepError> {
        let Some(deadline) = self.step_deadline else {
            return planning.await;
        };
        match tokio::time::timeout(deadline, planning).await {
            Ok(plan) => plan,
            Err(_) => Err(StepError::new(
                format!(
                    "{what} did not finish: timed out after {}",
                    seconds(deadline)
                ),
                TIMED_OUT_FIX,
            )),
        }
    }

    /// A fact every check, plan and apply gets: what the front end provides, such as the
    /// [`super::ProgressSink`] that shows a step's countdown.
    pub fn with_fact<T: std::any::Any + Send + Sync>(mut self, value: T) -> Runner {
        self.given.insert(value);
        self
    }

    pub fn with_concurrency(mut self, concurrency: usize) -> Runner {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Only the steps whose id is in `only` (all when empty), in their original order.
    pub fn select(mut self, only: &[StepId]) -> Runner {
        self.only = only.to_vec();
        self
    }

    /// The steps themselves, e.g. for a front end that builds its own runner over them.
    pub fn into_steps(self) -> Vec<Arc<dyn Step>> {
        self.steps
    }

    /// The selected steps, in wizard order.
    fn selected(&self) -> impl DoubleEndedIterator<Item = &Arc<dyn Step>> {
        self.steps
            .iter()
            .filter(|step| self.only.is_empty() || self.only.contains(&step.id()))
    }

    pub fn step_ids(&self) -> Vec<StepId> {
        self.selected().map(|step| step.id()).collect()
    }

    fn step(&self, id: StepId) -> Option<&Arc<dyn Step>> {
        self.selected().find(|step| step.id() == id)
    }

    /// The facts every step's check, plan and apply gets: each step's `resolve`, run
    /// concurrently once per round, with what this run's applies learned on top.
    pub async fn facts(&self) -> Facts {
        if let Some(facts) = self.resolved() {
            return facts;
        }
        let _resolving = self.resolving.lock().await;
        if let Some(facts) = self.resolved() {
            return facts;
        }
        // A plain loop, not a closure: a closure over `&Arc<dyn Step>` would make this future's
        // Send-ness depend on a higher-ranked lifetime the compiler cannot prove in spawned tasks.
        let mut resolving = Vec::with_capacity(self.steps.len());
        for step in &self.steps {
            let lookup = step.resolve();
            let deadline = self.step_deadline;
            // A lookup past the deadline learns nothing; the step's own check says why.
            resolving.push(async move {
                match deadline {
                    Some(deadline) => tokio::time::timeout(deadline, lookup)
                        .await
                        .unwrap_or_default(),
                    None => lookup.await,
                }
            });
        }
        let parts: Vec<Facts> = futures::stream::iter(resolving)
            .buffered(self.concurrency)
            .collect()
            .await;
        let mut facts = self.given.clone();
        for part in parts {
            facts.merge(part);
        }
        facts.merge(self.learned());
        *self.resolved.lock().unwrap_or_else(PoisonError::into_inner) = Some(facts.clone());
        facts
    }

    fn resolved(&self) -> Option<Facts> {
        self.resolved
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Forgets the resolved facts, so the next check looks again (the wizard's re-check).
    pub fn refresh(&self) {
        *self.resolved.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// What this run's applies learned; the front ends save the identity's ids from it.
    pub fn learned(&self) -> Facts {
        self.learned
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Checks one step; `None` when it is not part of this run.
    pub async fn check(&self, id: StepId) -> Option<Check> {
        let step = self.step(id)?;
        let facts = self.facts().await;
        Some(self.bounded_check(step, &facts).await)
    }

    /// Checks every step concurrently; the report lists them in wizard order.
    pub async fn check_all(&self) -> Report {
        let facts = self.facts().await;
        let facts = &facts;
        let checks: Vec<(StepId, Check)> = futures::stream::iter(self.selected())
            .map(|step| async move { (step.id(), self.bounded_check(step, facts).await) })
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

    /// Plans one step; `None` when it is not part of this run.
    pub async fn plan(&self, id: StepId) -> Option<Result<Plan, StepError>> {
        let step = self.step(id)?;
        let facts = self.facts().await;
        Some(self.bounded_plan(step, &facts).await)
    }

    /// Plans every step in order; a step that cannot plan is reported, not skipped silently.
    pub async fn plan_all(&self) -> Vec<(StepId, Result<Plan, StepError>)> {
        let facts = self.facts().await;
        let mut plans = Vec::with_capacity(self.steps.len());
        for step in self.selected() {
            plans.push((step.id(), self.bounded_plan(step, &facts).await));
        }
        plans
    }

    /// Applies one confirmed plan; what the step learned reaches every later call.
    pub async fn apply(&self, plan: &Plan) -> Result<(), StepError> {
        let step = self.step(plan.step).ok_or_else(|| {
            StepError::new(
                format!("the {} step is not part of this run", plan.step),
                "restart kwif",
            )
        })?;
        let facts = self.facts().await;
        let result = step.apply(plan, &facts).await;
        // Even a failed apply may have changed what exists (an identity made before a role failed).
        self.refresh();
        let learned = result?;
        self.learned
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .merge(learned);
        Ok(())
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
        self.refresh();
        for step in self.selected() {
            let facts = self.facts().await;
            let plan = match self.bounded_plan(step, &facts).await {
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
            if let Err(error) = self.apply(&plan).await {
                outcome.failed = Some((step.id(), error));
                break;
            }
            outcome.applied.push(step.id());
        }
        self.refresh();
        outcome.report = self.check_all().await;
        outcome
    }
}

/// What `destroy` removed, step by step (in reverse wizard order), and where it stopped.
#[derive(Debug, Default)]
pub struct DestroyOutcome {
    /// Every removal plan, in the order shown (reverse wizard order), empty ones included.
    pub plans: Vec<Plan>,
    pub removed: Vec<StepId>,
    /// Steps whose non-empty plan is an instruction for the user to carry out by hand.
    pub by_hand: Vec<StepId>,
    /// The step the user declined, which stopped the run.
    pub declined: Option<StepId>,
    pub failed: Option<(StepId, StepError)>,
}

impl Runner {
    /// Plans the removal of what kwif made, every selected step, in reverse wizard order
    /// (verify, workload, federation, identity, hosting, issuer): nothing is removed.
    pub async fn plan_removal_all(&self) -> Vec<(StepId, Result<Plan, StepError>)> {
        let facts = self.facts().await;
        let mut plans = Vec::with_capacity(self.steps.len());
        for step in self.selected().rev() {
            plans.push((step.id(), self.bounded_removal_plan(step, &facts).await));
        }
        plans
    }

    /// Plans and removes each step's objects in reverse wizard order, asking `confirm` before
    /// every non-empty plan: a workload stops using its identity before the identity goes.
    /// Stops at the first refusal or failure.
    pub async fn destroy_all(&self, mut confirm: impl FnMut(&Plan) -> bool) -> DestroyOutcome {
        let mut outcome = DestroyOutcome::default();
        self.refresh();
        for step in self.selected().rev() {
            let facts = self.facts().await;
            let plan = match self.bounded_removal_plan(step, &facts).await {
                Ok(plan) => plan,
                Err(error) => {
                    outcome.failed = Some((step.id(), error));
                    break;
                }
            };
            outcome.plans.push(plan.clone());
            if plan.is_empty() {
                continue;
            }
            if step.removal_is_by_hand() {
                outcome.by_hand.push(step.id());
                continue;
            }
            if !confirm(&plan) {
                outcome.declined = Some(step.id());
                break;
            }
            let result = step.remove(&plan, &facts).await;
            self.refresh();
            if let Err(error) = result {
                outcome.failed = Some((step.id(), error));
                break;
            }
            outcome.removed.push(step.id());
        }
        self.refresh();
        outcome
    }

    /// Whether `id`'s removal plan is only an instruction for the user (never carried out).
    pub fn removal_is_by_hand(&self, id: StepId) -> bool {
        self.step(id).is_some_and(|step| step.removal_is_by_hand())
    }

    /// Removes what one confirmed removal plan lists (the wizard's `D`, one step at a time in
    /// reverse wizard order); a by-hand plan is never carried out.
    pub async fn remove(&self, plan: &Plan) -> Result<(), StepError> {
        let step = self.step(plan.step).ok_or_else(|| {
            StepError::new(
                format!("the {} step is not part of this run", plan.step),
                "restart kwif",
            )
        })?;
        if step.removal_is_by_hand() {
            return Ok(());
        }
        let facts = self.facts().await;
        let result = step.remove(plan, &facts).await;
        // Even a failed removal may have removed something.
        self.refresh();
        result
    }

    async fn bounded_removal_plan(
        &self,
        step: &Arc<dyn Step>,
        facts: &Facts,
    ) -> Result<Plan, StepError> {
        let what = format!("planning the removal of the {} step", step.id());
        self.plan_within_deadline(&what, step.plan_removal(facts))
            .await
    }
}

/// `60 s`, `0.5 s`: a wait as the messages show it.
fn seconds(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{:.1} s", duration.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use super::*;
    use crate::engine::{Change, Finding};

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
        fn check<'a>(&'a self, _facts: &'a Facts) -> StepFuture<'a, Check> {
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
        fn plan<'a>(&'a self, _facts: &'a Facts) -> StepFuture<'a, Result<Plan, StepError>> {
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
        fn apply<'a>(
            &'a self,
            _plan: &'a Plan,
            _facts: &'a Facts,
        ) -> StepFuture<'a, Result<Facts, StepError>> {
            Box::pin(async move {
                self.log.lock().unwrap().push(format!("apply {}", self.id));
                if self.fails {
                    return Err(StepError::new("toy failure", "do not fail"));
                }
                *self.applied.lock().unwrap() = true;
                Ok(Facts::new())
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

    /// What a learner step tells a reader step: its name, as a fact.
    #[derive(Clone, Debug, PartialEq)]
    struct Learned(&'static str);

    /// Resolves a fact after `resolve_ms`, and learns another by applying.
    struct Learner {
        resolve_ms: u64,
        check_ms: u64,
    }

    impl Step for Learner {
        fn id(&self) -> StepId {
            StepId::Identity
        }
        fn resolve(&self) -> StepFuture<'_, Facts> {
            Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(self.resolve_ms)).await;
                Facts::new().with(Learned("resolved"))
            })
        }
        fn check<'a>(&'a self, _facts: &'a Facts) -> StepFuture<'a, Check> {
            Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(self.check_ms)).await;
                Check::ok()
            })
        }
        fn plan<'a>(&'a self, _facts: &'a Facts) -> StepFuture<'a, Result<Plan, StepError>> {
            Box::pin(async move {
                Ok(Plan {
                    step: StepId::Identity,
                    changes: vec![Change::new("identity", "create", "", "x\n")],
                })
            })
        }
        fn apply<'a>(
            &'a self,
            _plan: &'a Plan,
            _facts: &'a Facts,
        ) -> StepFuture<'a, Result<Facts, StepError>> {
            Box::pin(async move { Ok(Facts::new().with(Learned("applied"))) })
        }
    }

    /// Its verdict depends only on the facts it is given; it plans whatever it last saw.
    struct Reader {
        check_ms: u64,
        seen: Mutex<Vec<Option<Learned>>>,
    }

    impl Step for Reader {
        fn id(&self) -> StepId {
            StepId::Workload
        }
        fn check<'a>(&'a self, facts: &'a Facts) -> StepFuture<'a, Check> {
            Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(self.check_ms)).await;
                match facts.get::<Learned>() {
                    Some(_) => Check::ok(),
                    None => Check::from_findings(
                        vec![Finding::warning("UNKNOWN", "no id yet", "apply")],
                        true,
                    ),
                }
            })
        }
        fn plan<'a>(&'a self, facts: &'a Facts) -> StepFuture<'a, Result<Plan, StepError>> {
            Box::pin(async move {
                self.seen
                    .lock()
                    .unwrap()
                    .push(facts.get::<Learned>().cloned());
                Ok(Plan {
                    step: StepId::Workload,
                    changes: Vec::new(),
                })
            })
        }
        fn apply<'a>(
            &'a self,
            _plan: &'a Plan,
            _facts: &'a Facts,
        ) -> StepFuture<'a, Result<Facts, StepError>> {
            Box::pin(async move { Ok(Facts::new()) })
        }
    }

    fn reader(check_ms: u64) -> Arc<Reader> {
        Arc::new(Reader {
            check_ms,
            seen: Mutex::new(Vec::new()),
        })
    }

    #[tokio::test]
    async fn verdicts_do_not_depend_on_which_check_finishes_first() {
        // The learner's check finishes first in one run and last in the other; its resolve is
        // slow in both. The reader sees the resolved fact either way.
        for (learner_ms, reader_ms) in [(1, 40), (40, 1)] {
            let learner: Arc<dyn Step> = Arc::new(Learner {
                resolve_ms: 20,
                check_ms: learner_ms,
            });
            let read: Arc<dyn Step> = reader(reader_ms);
            let report = Runner::shared(vec![learner, read]).check_all().await;
            assert!(
                report.steps.iter().all(|step| step.status == Status::Ok),
                "learner {learner_ms} ms, reader {reader_ms} ms: {report:?}"
            );
        }
    }

    #[tokio::test]
    async fn what_an_apply_learns_reaches_the_later_steps_and_the_front_end() {
        let read = reader(0);
        let runner = Runner::shared(vec![
            Arc::new(Learner {
                resolve_ms: 0,
                check_ms: 0,
            }),
            read.clone(),
        ]);
        let outcome = runner.apply_all(|_| true).await;
        assert_eq!(outcome.applied, [StepId::Identity]);
        assert_eq!(
            read.seen.lock().unwrap().as_slice(),
            [Some(Learned("applied"))]
        );
        assert_eq!(runner.learned().get::<Learned>(), Some(&Learned("applied")));
    }

    #[tokio::test]
    async fn a_selected_run_still_resolves_every_step() {
        let read = reader(0);
        let runner = Runner::shared(vec![
            Arc::new(Learner {
                resolve_ms: 0,
                check_ms: 0,
            }),
            read.clone(),
        ])
        .select(&[StepId::Workload]);
        let report = runner.check_all().await;
        assert_eq!(report.steps.len(), 1);
        assert_eq!(report.steps[0].status, Status::Ok);
    }

    #[test]
    fn change_diff_is_unified_and_labelled() {
        let change = Change::new("ConfigMap a/b", "s", "x: 1\n", "x: 2\n");
        let diff = change.diff();
        assert!(diff.contains("--- ConfigMap a/b (now)"));
        assert!(diff.contains("-x: 1") && diff.contains("+x: 2"));
    }

    /// A step whose check and plan never finish, as against a server that never answers.
    struct Silent;

    impl Step for Silent {
        fn id(&self) -> StepId {
            StepId::Issuer
        }
        fn check<'a>(&'a self, _facts: &'a Facts) -> StepFuture<'a, Check> {
            Box::pin(std::future::pending())
        }
        fn plan<'a>(&'a self, _facts: &'a Facts) -> StepFuture<'a, Result<Plan, StepError>> {
            Box::pin(std::future::pending())
        }
        fn apply<'a>(
            &'a self,
            _plan: &'a Plan,
            _facts: &'a Facts,
        ) -> StepFuture<'a, Result<Facts, StepError>> {
            Box::pin(std::future::pending())
        }
    }

    #[tokio::test]
    async fn a_check_past_the_step_deadline_is_an_error_naming_the_wait() {
        let runner =
            Runner::new(vec![Box::new(Silent)]).with_step_deadline(Duration::from_millis(100));
        let report = runner.check_all().await;
        assert_eq!(report.steps[0].status, Status::Error);
        let finding = &report.steps[0].findings[0];
        assert_eq!(finding.code, STEP_TIMED_OUT);
        assert_eq!(
            finding.message,
            "the issuer check did not finish: timed out after 0.1 s"
        );
        let plans = runner.plan_all().await;
        let error = plans[0].1.as_ref().unwrap_err();
        assert_eq!(
            error.message,
            "planning the issuer step did not finish: timed out after 0.1 s"
        );
    }
}
