//! The wizard's driver: owns the state, the steps and the action queue; runs the update
//! function's effects as background tasks (checks, plans, applies) that report back through the
//! same queue. Drivable headless: `handle`, `settle`, `draw` over any ratatui backend.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossterm::event::Event;
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::action::{Action, Started, StepSet};
use super::effect::Effect;
use super::overlay::Overlay;
use super::profile_file::write_profile;
use super::removal_plans::RemovalPlans;
use super::render::render;
use super::state::State;
use super::update::update;
use super::wizard_config::{StepFactory, WizardConfig};
use super::wizard_outcome::WizardOutcome;
use crate::discover::Discovery;
use crate::engine::{
    Check, Finding, Plan, ProgressSink, Runner, Step, StepError, StepFuture, StepId,
};
use crate::profile::Profile;
use crate::steps::identity::with_learned_ids;

/// How often spinners move while something runs; nothing ticks when idle.
const TICK: Duration = Duration::from_millis(100);

pub struct App {
    state: State,
    runner: Arc<Runner>,
    sender: UnboundedSender<Action>,
    receiver: UnboundedReceiver<Action>,
    /// Background jobs whose final action has not been handled yet.
    in_flight: usize,
    cancel: Arc<AtomicBool>,
    apply_running: bool,
    profile_path: Option<PathBuf>,
    step_factory: Option<StepFactory>,
    step_deadline: Option<Duration>,
    /// A deferred start's work (building the steps), run by [`App::start`].
    starting: Option<StartFuture>,
    discovery: Option<Arc<dyn Discovery>>,
}

/// What builds the steps of a wizard whose first frame comes first.
pub type StartFuture = StepFuture<'static, Result<Started, String>>;

impl App {
    /// The app over `steps`, every step pending; nothing runs until [`App::start`].
    pub fn new(steps: Vec<Arc<dyn Step>>, config: WizardConfig) -> App {
        let ids: Vec<StepId> = steps.iter().map(|step| step.id()).collect();
        let mut state = State::new(config.title, &ids).with_color(config.color);
        state.profile = config.profile;
        state.pickers = config.discovery.is_some();
        let (sender, receiver) = unbounded_channel();
        App {
            state,
            runner: Arc::new(runner_over(steps, config.step_deadline, &sender)),
            sender,
            receiver,
            in_flight: 0,
            cancel: Arc::new(AtomicBool::new(false)),
            apply_running: false,
            profile_path: config.profile_path,
            step_factory: config.step_factory,
            step_deadline: config.step_deadline,
            starting: None,
            discovery: config.discovery,
        }
    }

    /// The app before its steps exist: the six steps show "checking…" at once, while `start`
    /// builds them in the background (starting the sandbox, connecting to the cluster).
    pub fn deferred(config: WizardConfig, start: StartFuture) -> App {
        let mut app = App::new(Vec::new(), config);
        app.state.replace_steps(&StepId::ALL);
        for view in &mut app.state.steps {
            view.status = crate::engine::Status::Checking;
        }
        app.starting = Some(start);
        app
    }

    /// Checks every step in the background, after building them for a deferred start (needs
    /// a tokio runtime).
    pub fn start(&mut self) {
        let Some(start) = self.starting.take() else {
            self.handle(Action::CheckAll);
            return;
        };
        self.in_flight += 1;
        let sender = self.sender.clone();
        tokio::spawn(async move {
            let _ = sender.send(Action::Started(start.await));
        });
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    /// For tests and screenshots: set results directly (`State::set_check`, `set_plan`).
    pub fn state_mut(&mut self) -> &mut State {
        &mut self.state
    }

    /// A sender into the app's queue, e.g. to inject key presses from a test.
    pub fn sender(&self) -> UnboundedSender<Action> {
        self.sender.clone()
    }

    pub fn should_quit(&self) -> bool {
        self.state.should_quit()
    }

    /// Whether background jobs are still running.
    pub fn is_idle(&self) -> bool {
        self.in_flight == 0
    }

    pub fn outcome(&self) -> WizardOutcome {
        WizardOutcome {
            all_ok: self.state.all_ok(),
            applied: self.state.applied().to_vec(),
            interrupted_apply: self.apply_running,
            report: self.state.report(),
        }
    }

    /// Applies one action and starts the background work it asks for.
    pub fn handle(&mut self, action: Action) {
        if matches!(
            action,
            Action::Checked { .. }
                | Action::Planned { .. }
                | Action::ApplyFinished { .. }
                | Action::RemovalPlanned(_)
                | Action::StepsReplaced(_)
                | Action::Started(_)
                | Action::Listed { .. }
        ) {
            self.in_flight = self.in_flight.saturating_sub(1);
        }
        match &action {
            Action::Started(Ok(started)) => {
                self.runner = Arc::new(runner_over(
                    started.steps.0.clone(),
                    self.step_deadline,
                    &self.sender,
                ));
                if started.profile_path.is_some() {
                    self.profile_path = started.profile_path.clone();
                }
                if started.step_factory.is_some() {
                    self.step_factory = started.step_factory.clone();
                }
                if started.discovery.is_some() {
                    self.discovery = started.discovery.clone();
                    self.state.pickers = true;
                }
            }
            Action::StepsReplaced(Ok(steps)) => {
                self.runner = Arc::new(runner_over(
                    steps.0.clone(),
                    self.step_deadline,
                    &self.sender,
                ));
            }
            Action::ApplyFinished { .. } => {
                self.apply_running = false;
                self.save_learned_ids();
            }
            _ => {}
        }
        for effect in update(&mut self.state, action) {
            self.run_effect(effect);
        }
        self.look_up_lists();
    }

    /// Runs the lookups the profile form's pickers asked for; each result comes back as
    /// `Action::Listed`.
    fn look_up_lists(&mut self) {
        let Overlay::Form(form) = &mut self.state.overlay else {
            return;
        };
        let Some(discovery) = &self.discovery else {
            return;
        };
        for source in form.take_lookups() {
            self.in_flight += 1;
            let sender = self.sender.clone();
            let lookup = discovery.list(source.clone());
            tokio::spawn(async move {
                let result = lookup.await;
                let _ = sender.send(Action::Listed { source, result });
            });
        }
    }

    /// Handles every action already queued, without waiting.
    pub fn process_pending(&mut self) {
        while let Ok(action) = self.receiver.try_recv() {
            self.handle(action);
        }
    }

    /// Handles actions until no background job is left (tests: "wait for the checks").
    pub async fn settle(&mut self) {
        while self.in_flight > 0 {
            let Some(action) = self.receiver.recv().await else {
                break;
            };
            self.handle(action);
        }
        self.process_pending();
    }

    pub fn draw<B: Backend>(&self, terminal: &mut Terminal<B>) -> Result<(), B::Error> {
        terminal
            .draw(|frame| render(&self.state, frame))
            .map(|_| ())
    }

    /// The event loop: draw, wait for a terminal event, a background result, a tick (only while
    /// busy) or a signal; handle it; until the user quits.
    pub async fn run_in<B, S>(
        &mut self,
        terminal: &mut Terminal<B>,
        mut events: S,
    ) -> io::Result<()>
    where
        B: Backend,
        B::Error: Send + Sync + 'static,
        S: Stream<Item = io::Result<Event>> + Unpin,
    {
        let size = terminal.size().map_err(io::Error::other)?;
        self.handle(Action::Resize(size.width, size.height));
        self.start();
        let signals = forward_signals(self.sender.clone());
        let mut ticker = tokio::time::interval(TICK);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let result = loop {
            if let Err(error) = self.draw(terminal) {
                break Err(io::Error::other(error));
            }
            if self.should_quit() {
                break Ok(());
            }
            let busy = self.state.is_busy();
            let action = tokio::select! {
                event = events.next() => match event {
                    Some(Ok(event)) => Action::from_terminal(event),
                    Some(Err(error)) => break Err(error),
                    None => Some(Action::Quit),
                },
                Some(action) = self.receiver.recv() => Some(action),
                _ = ticker.tick(), if busy => Some(Action::Tick),
            };
            if let Some(action) = action {
                self.handle(action);
            }
            self.process_pending();
        };
        signals.abort();
        result
    }

    // ---- effects --------------------------------------------------------------------------

    fn run_effect(&mut self, effect: Effect) {
        match effect {
            Effect::Refresh => self.runner.refresh(),
            Effect::Check { step, generation } => self.spawn_check(step, generation),
            Effect::Plan { step, generation } => self.spawn_plan(step, generation),
            Effect::Apply { plans } => self.spawn_apply(plans, false),
            Effect::PlanRemoval => self.spawn_removal_plan(),
            Effect::Remove { plans } => self.spawn_apply(plans, true),
            Effect::CancelApply => self.cancel.store(true, Ordering::SeqCst),
            Effect::SaveProfile {
                profile,
                yaml,
                rebuild,
            } => self.save_profile(*profile, &yaml, rebuild),
        }
    }

    fn spawn_check(&mut self, id: StepId, generation: u64) {
        self.in_flight += 1;
        let sender = self.sender.clone();
        let runner = self.runner.clone();
        tokio::spawn(async move {
            let checked = tokio::spawn(async move { runner.check(id).await })
                .await
                .unwrap_or_else(|error| {
                    Some(Check::from_findings(
                        vec![stopped(id, "check", &error)],
                        false,
                    ))
                });
            let check = match checked {
                Some(check) => check,
                None => Check::skipped(Finding::warning(
                    "STEP_NOT_IN_RUN",
                    format!("the {id} step is not part of this run"),
                    "",
                )),
            };
            let _ = sender.send(Action::Checked {
                step: id,
                generation,
                check,
            });
        });
    }

    fn spawn_plan(&mut self, id: StepId, generation: u64) {
        self.in_flight += 1;
        let sender = self.sender.clone();
        let runner = self.runner.clone();
        tokio::spawn(async move {
            let result = tokio::spawn(async move { runner.plan(id).await })
                .await
                .unwrap_or_else(|error| Some(Err(stopped_error(id, "plan", &error))))
                .unwrap_or_else(|| {
                    Ok(Plan {
                        step: id,
                        changes: Vec::new(),
                    })
                });
            let _ = sender.send(Action::Planned {
                step: id,
                generation,
                result,
            });
        });
    }

    /// Plans the removal of every step (`D`) in the background, as `kwif destroy` does.
    fn spawn_removal_plan(&mut self) {
        self.in_flight += 1;
        let sender = self.sender.clone();
        let runner = self.runner.clone();
        tokio::spawn(async move {
            let planning = runner.clone();
            let plans = tokio::spawn(async move { planning.plan_removal_all().await })
                .await
                .unwrap_or_else(|error| {
                    let error = stopped_error(StepId::Verify, "removal plan", &error);
                    vec![(StepId::Verify, Err(error))]
                });
            let by_hand = plans
                .iter()
                .map(|(step, _)| *step)
                .filter(|step| runner.removal_is_by_hand(*step))
                .collect();
            let _ = sender.send(Action::RemovalPlanned(RemovalPlans { plans, by_hand }));
        });
    }

    /// Applies (or, for `removal`, removes) the confirmed plans in order. Cancelling stops
    /// before the next step; a step's apply, once started, always runs to its end (its own
    /// task), so no write is abandoned.
    fn spawn_apply(&mut self, plans: Vec<Plan>, removal: bool) {
        self.in_flight += 1;
        self.apply_running = true;
        self.cancel.store(false, Ordering::SeqCst);
        let cancel = self.cancel.clone();
        let sender = self.sender.clone();
        let runner = self.runner.clone();
        tokio::spawn(async move {
            let mut cancelled = false;
            for plan in plans {
                if cancel.load(Ordering::SeqCst) {
                    cancelled = true;
                    break;
                }
                let id = plan.step;
                let _ = sender.send(Action::ApplyStarted { step: id });
                let changes = plan.changes.len();
                let runner = runner.clone();
                let result = tokio::spawn(async move {
                    if removal {
                        runner.remove(&plan).await
                    } else {
                        runner.apply(&plan).await
                    }
                })
                .await
                .unwrap_or_else(|error| Err(stopped_error(id, "apply", &error)));
                let failed = result.is_err();
                let _ = sender.send(Action::Applied {
                    step: id,
                    result: result.map(|()| changes),
                });
                if failed {
                    break;
                }
            }
            let _ = sender.send(Action::ApplyFinished { cancelled });
        });
    }

    /// After an apply: the identity's ids it learned go into the profile and its file, so the
    /// next run (and `AZURE_CLIENT_ID`) knows them, as `kwif apply` does.
    fn save_learned_ids(&mut self) {
        let Some(profile) = self.state.profile.as_ref() else {
            return;
        };
        let Some(updated) = with_learned_ids(profile, &self.runner.learned()) else {
            return;
        };
        let notice = match &self.profile_path {
            Some(path) => match write_profile(path, &updated.to_yaml()) {
                Ok(()) => Action::Notice {
                    ok: true,
                    text: format!("saved the identity's ids into {}", path.display()),
                },
                Err(error) => Action::Notice {
                    ok: false,
                    text: format!(
                        "cannot save the identity's ids into {}: {error}",
                        path.display()
                    ),
                },
            },
            None => Action::Notice {
                ok: true,
                text: "the identity's ids are kept for this session only".to_string(),
            },
        };
        self.state.profile = Some(updated);
        self.handle(notice);
    }

    fn save_profile(&mut self, profile: Profile, yaml: &str, rebuild: bool) {
        let notice = match &self.profile_path {
            Some(path) => match write_profile(path, yaml) {
                Ok(()) => Action::Notice {
                    ok: true,
                    text: format!("saved {}", path.display()),
                },
                Err(error) => Action::Notice {
                    ok: false,
                    text: format!("cannot write {}: {error}", path.display()),
                },
            },
            None => Action::Notice {
                ok: true,
                text: "the edited profile is kept for this session only".to_string(),
            },
        };
        self.handle(notice);
        if !rebuild {
            return;
        }
        let Some(factory) = self.step_factory.clone() else {
            self.handle(Action::Notice {
                ok: true,
                text: "restart kwif to check against the edited profile".to_string(),
            });
            return;
        };
        self.in_flight += 1;
        let sender = self.sender.clone();
        tokio::spawn(async move {
            let steps = factory(profile).await.map(StepSet);
            let _ = sender.send(Action::StepsReplaced(steps));
        });
    }
}

/// The runner over the wizard's steps, with the front end's step deadline; what a step says
/// while it waits comes back as `Action::Progress`.
fn runner_over(
    steps: Vec<Arc<dyn Step>>,
    deadline: Option<Duration>,
    sender: &UnboundedSender<Action>,
) -> Runner {
    let sender = sender.clone();
    let runner = Runner::shared(steps).with_fact(ProgressSink::new(move |event| {
        let _ = sender.send(Action::Progress(event));
    }));
    match deadline {
        Some(deadline) => runner.with_step_deadline(deadline),
        None => runner,
    }
}

fn stopped(id: StepId, what: &str, error: &tokio::task::JoinError) -> Finding {
    Finding::error(
        "STEP_STOPPED",
        format!("the {id} {what} stopped unexpectedly: {error}"),
        "this is a bug in kwif: please report it with the command you ran",
    )
}

fn stopped_error(id: StepId, what: &str, error: &tokio::task::JoinError) -> StepError {
    let finding = stopped(id, what, error);
    StepError::new(finding.message, finding.fix)
}

/// Ctrl-C from outside the terminal (SIGINT) and, on Unix, SIGTERM become `Interrupt` actions.
fn forward_signals(sender: UnboundedSender<Action>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        #[cfg(unix)]
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        loop {
            #[cfg(unix)]
            let signal = async {
                match terminate.as_mut() {
                    Some(terminate) => tokio::select! {
                        result = tokio::signal::ctrl_c() => result.is_ok(),
                        received = terminate.recv() => received.is_some(),
                    },
                    None => tokio::signal::ctrl_c().await.is_ok(),
                }
            };
            #[cfg(not(unix))]
            let signal = async { tokio::signal::ctrl_c().await.is_ok() };
            if !signal.await || sender.send(Action::Interrupt).is_err() {
                break;
            }
        }
    })
}
