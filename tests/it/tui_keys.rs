//! The wizard's keys over toy steps that count their calls: navigation, `a`/`A` with `y`/`n`,
//! cancel and Ctrl-C during an apply, Esc/q/?, the edit form, the real event loop, and a
//! property test that random keys never panic and rendering never fails at any size.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::tui_fixtures::*;
use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use futures::StreamExt;
use kwif::engine::{Check, Facts, Status, Step, StepId};
use kwif::profile::Profile;
use kwif::tui::{Action, App, Effect, Focus, State, WizardConfig, update};
use proptest::prelude::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn key(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn char_key(c: char) -> Action {
    key(KeyCode::Char(c))
}

fn ctrl(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// A tiny builder: toy steps (drifted unless listed as applied) and an app over them.
struct Wizard {
    toys: Vec<Arc<Toy>>,
    app: App,
}

impl Wizard {
    fn new(drifted: &[StepId]) -> Wizard {
        Wizard::with(
            drifted,
            |toy| toy,
            WizardConfig::new("test").with_color(true),
        )
    }

    fn with(drifted: &[StepId], adjust: impl Fn(Toy) -> Toy, config: WizardConfig) -> Wizard {
        let toys: Vec<Arc<Toy>> = StepId::ALL
            .into_iter()
            .map(|id| {
                if drifted.contains(&id) {
                    Toy::new(id)
                } else {
                    Toy::applied(id)
                }
            })
            .map(|toy| Arc::new(adjust(toy)))
            .collect();
        let app = App::new(as_steps(&toys), config);
        Wizard { toys, app }
    }

    fn toy(&self, id: StepId) -> &Toy {
        self.toys.iter().find(|toy| toy.id == id).unwrap()
    }

    async fn press(&mut self, actions: impl IntoIterator<Item = Action>) {
        for action in actions {
            self.app.handle(action);
            self.settle().await;
        }
    }

    async fn settle(&mut self) {
        tokio::time::timeout(Duration::from_secs(10), self.app.settle())
            .await
            .expect("the app settles");
    }

    async fn started(mut self) -> Wizard {
        self.app.start();
        self.settle().await;
        self
    }

    fn state(&self) -> &State {
        self.app.state()
    }

    fn total_applies(&self) -> usize {
        self.toys.iter().map(|toy| toy.apply_count()).sum()
    }
}

#[test]
fn arrows_and_jk_move_between_steps_and_scroll_the_open_step() {
    let mut state = drifted()
        .with_plan(workload_plan())
        .with_selected(StepId::Issuer)
        .with_viewport(80, 24);
    for (action, expected) in [
        (char_key('j'), StepId::Hosting),
        (key(KeyCode::Down), StepId::Identity),
        (char_key('k'), StepId::Hosting),
        (key(KeyCode::Up), StepId::Issuer),
        (key(KeyCode::Up), StepId::Issuer),
        (key(KeyCode::End), StepId::Verify),
        (key(KeyCode::Home), StepId::Issuer),
    ] {
        update(&mut state, action);
        assert_eq!(state.selected_step(), Some(expected));
    }
    update(&mut state, key(KeyCode::End));
    update(&mut state, key(KeyCode::Up));
    update(&mut state, key(KeyCode::Enter));
    assert_eq!(
        (state.selected_step(), state.focus()),
        (Some(StepId::Workload), Focus::Detail)
    );
    update(&mut state, char_key('j'));
    update(&mut state, char_key('j'));
    assert_eq!(
        (state.selected_step(), state.detail_scroll()),
        (Some(StepId::Workload), 2),
        "j scrolls the open step"
    );
    update(&mut state, key(KeyCode::PageDown));
    update(&mut state, key(KeyCode::PageDown));
    update(&mut state, key(KeyCode::PageDown));
    let bottom = state.detail_scroll();
    update(&mut state, char_key('j'));
    assert_eq!(
        state.detail_scroll(),
        bottom,
        "scrolling stops at the last line"
    );
    update(&mut state, key(KeyCode::Esc));
    assert_eq!(state.focus(), Focus::Steps);
}

#[test]
fn a_click_selects_a_step() {
    // At 100x30 each step takes two rows (its status, then its most important finding); a
    // click on either selects it.
    for row in [10, 11] {
        let mut state = drifted().with_viewport(100, 30);
        let click = MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 5,
            row,
            modifiers: KeyModifiers::NONE,
        };
        update(&mut state, Action::Mouse(click));
        assert_eq!(state.selected_step(), Some(StepId::Workload), "row {row}");
    }
}

#[test]
fn results_of_an_older_check_are_dropped() {
    let mut state = drifted().with_selected(StepId::Issuer);
    // A re-check looks up the facts again (Refresh), then checks.
    let generation = |effects: Vec<Effect>| match effects.as_slice() {
        [Effect::Refresh, Effect::Check { generation, .. }] => *generation,
        other => panic!("{other:?}"),
    };
    let first = generation(update(&mut state, char_key('c')));
    let second = generation(update(&mut state, char_key('c')));
    update(
        &mut state,
        Action::Checked {
            step: StepId::Issuer,
            generation: first,
            check: verify_failed(),
        },
    );
    assert_eq!(status_of(&state, StepId::Issuer), Status::Checking);
    update(
        &mut state,
        Action::Checked {
            step: StepId::Issuer,
            generation: second,
            check: Check::ok(),
        },
    );
    assert_eq!(status_of(&state, StepId::Issuer), Status::Ok);
}

#[tokio::test]
async fn start_checks_everything_and_opens_on_the_first_step_to_fix() {
    let wizard = Wizard::new(&[StepId::Federation, StepId::Workload])
        .started()
        .await;
    assert!(
        wizard
            .toys
            .iter()
            .all(|toy| toy.checks.load(Ordering::SeqCst) == 1)
    );
    assert_eq!(wizard.state().selected_step(), Some(StepId::Federation));
    let plan = wizard
        .state()
        .step(StepId::Federation)
        .unwrap()
        .plan
        .ready()
        .cloned();
    assert_eq!(
        plan.map(|plan| plan.changes.len()),
        Some(1),
        "its fix is planned and shown"
    );
    assert_eq!(wizard.total_applies(), 0);
}

#[tokio::test]
async fn enter_opens_the_step_and_plans_its_fix() {
    let mut wizard = Wizard::new(&[StepId::Identity]).started().await;
    wizard.press([char_key('k'), char_key('j')]).await;
    let plans = wizard.toy(StepId::Identity).plans.load(Ordering::SeqCst);
    wizard.press([key(KeyCode::Enter)]).await;
    assert_eq!(wizard.state().focus(), Focus::Detail);
    assert_eq!(
        wizard.toy(StepId::Identity).plans.load(Ordering::SeqCst),
        plans,
        "already planned at start"
    );
    wizard.press([char_key('p')]).await;
    assert_eq!(
        wizard.toy(StepId::Identity).plans.load(Ordering::SeqCst),
        plans + 1
    );
}

#[tokio::test]
async fn a_shows_the_changes_and_n_or_esc_applies_nothing() {
    let mut wizard = Wizard::new(&[StepId::Hosting]).started().await;
    for decline in [char_key('n'), key(KeyCode::Esc)] {
        wizard.press([char_key('a')]).await;
        assert_eq!(wizard.state().overlay().name(), "confirm-apply");
        let screen = {
            let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
            wizard.app.draw(&mut terminal).unwrap();
            terminal.backend().to_string()
        };
        assert!(
            screen.contains("-a: 1") && screen.contains("+a: 2"),
            "the diff is shown before y:\n{screen}"
        );
        wizard.press([decline]).await;
        assert_eq!(wizard.state().overlay().name(), "none");
    }
    assert_eq!(wizard.total_applies(), 0);
    assert_eq!(status_of(wizard.state(), StepId::Hosting), Status::Drift);
}

#[tokio::test]
async fn y_applies_the_step_exactly_once_then_checks_everything_again() {
    let mut wizard = Wizard::new(&[StepId::Hosting, StepId::Workload])
        .started()
        .await;
    wizard.press([char_key('a'), char_key('y')]).await;
    assert_eq!(wizard.toy(StepId::Hosting).apply_count(), 1);
    assert_eq!(wizard.total_applies(), 1, "only the selected step");
    assert!(
        wizard
            .toys
            .iter()
            .all(|toy| toy.checks.load(Ordering::SeqCst) == 2),
        "re-checked after the apply"
    );
    assert_eq!(status_of(wizard.state(), StepId::Hosting), Status::Ok);
    assert_eq!(
        wizard.state().selected_step(),
        Some(StepId::Workload),
        "on to the next fix"
    );
    wizard.press([char_key('y')]).await;
    assert_eq!(wizard.total_applies(), 1, "a stray y applies nothing");
}

#[tokio::test]
async fn capital_a_confirms_once_and_applies_every_step_in_order() {
    let drifted = [StepId::Hosting, StepId::Federation, StepId::Workload];
    let mut wizard = Wizard::new(&drifted).started().await;
    wizard.press([char_key('A')]).await;
    assert_eq!(wizard.state().overlay().name(), "confirm-apply-all");
    assert_eq!(wizard.total_applies(), 0);
    wizard.press([char_key('y')]).await;
    for step in drifted {
        assert_eq!(wizard.toy(step).apply_count(), 1, "{step}");
    }
    assert_eq!(wizard.total_applies(), 3);
    assert!(wizard.state().all_ok());
    assert_eq!(wizard.state().applied(), drifted);
    assert_eq!(
        wizard.state().overlay().name(),
        "none",
        "no second confirmation"
    );
    assert_eq!(wizard.app.outcome().exit_code(), 0);
}

/// Every step applied, the toys sharing one removal log.
fn applied_wizard() -> (Wizard, Arc<std::sync::Mutex<Vec<StepId>>>) {
    let log = Arc::new(std::sync::Mutex::new(Vec::new()));
    let shared = log.clone();
    let wizard = Wizard::with(
        &[],
        move |toy| Toy {
            removals: shared.clone(),
            ..toy
        },
        WizardConfig::new("test").with_color(true),
    );
    (wizard, log)
}

#[tokio::test]
async fn capital_d_shows_the_removal_plan_and_y_removes_in_reverse_order_then_rechecks() {
    let (wizard, log) = applied_wizard();
    let mut wizard = wizard.started().await;
    assert!(wizard.state().all_ok());
    wizard.press([char_key('D')]).await;
    assert_eq!(wizard.state().overlay().name(), "confirm-destroy");
    assert!(log.lock().unwrap().is_empty(), "nothing removed before y");
    let frame = draw(wizard.state(), 100, 40).backend().to_string();
    assert!(frame.contains("destroy?"), "{frame}");
    assert!(frame.contains("y removes 6 things in 6 steps"), "{frame}");
    assert!(frame.contains("-a: 2"), "the diffs are shown: {frame}");
    wizard.press([char_key('y')]).await;
    let mut reverse = StepId::ALL.to_vec();
    reverse.reverse();
    assert_eq!(*log.lock().unwrap(), reverse);
    assert_eq!(wizard.state().overlay().name(), "none");
    // Checked again: every toy drifts now that what it made is gone.
    for id in StepId::ALL {
        assert_eq!(status_of(wizard.state(), id), Status::Drift, "{id}");
    }
    assert!(
        wizard
            .state()
            .log()
            .lines()
            .iter()
            .any(|line| line.text == "removed issuer: 1 change")
    );
}

#[tokio::test]
async fn capital_d_then_n_or_esc_removes_nothing() {
    let (wizard, log) = applied_wizard();
    let mut wizard = wizard.started().await;
    for cancel in [char_key('n'), key(KeyCode::Esc)] {
        wizard.press([char_key('D'), cancel]).await;
        assert_eq!(wizard.state().overlay().name(), "none");
    }
    assert!(log.lock().unwrap().is_empty());
    assert!(wizard.state().all_ok());
}

#[tokio::test]
async fn a_step_that_builds_on_an_earlier_one_is_shown_and_confirmed_after_it() {
    let identity = Arc::new(Toy::new(StepId::Identity));
    let mut federation = Toy::new(StepId::Federation);
    federation.needs = Some(identity.clone());
    let toys = vec![identity.clone(), Arc::new(federation)];
    let mut wizard = Wizard {
        app: App::new(as_steps(&toys), WizardConfig::new("t")),
        toys,
    }
    .started()
    .await;
    wizard.press([char_key('A'), char_key('y')]).await;
    assert_eq!(wizard.toy(StepId::Identity).apply_count(), 1);
    assert_eq!(
        wizard.toy(StepId::Federation).apply_count(),
        0,
        "not applied without its plan being shown"
    );
    assert_eq!(wizard.state().overlay().name(), "confirm-apply-all");
    wizard.press([char_key('y')]).await;
    assert_eq!(wizard.toy(StepId::Federation).apply_count(), 1);
    assert!(wizard.state().all_ok());
    assert_eq!(wizard.state().overlay().name(), "none");
}

/// Like the real verify step: an error until the identity exists, nothing to apply ever.
struct Verify(Arc<Toy>);

impl Step for Verify {
    fn id(&self) -> StepId {
        StepId::Verify
    }
    fn check<'a>(&'a self, _facts: &'a Facts) -> kwif::engine::StepFuture<'a, Check> {
        Box::pin(async move {
            if self.0.apply_count() > 0 {
                Check::ok()
            } else {
                verify_failed()
            }
        })
    }
    fn plan<'a>(
        &'a self,
        _facts: &'a Facts,
    ) -> kwif::engine::StepFuture<'a, Result<kwif::engine::Plan, kwif::engine::StepError>> {
        Box::pin(async move {
            match self.0.apply_count() {
                0 => Err(kwif::engine::StepError::new(
                    "no identity yet",
                    "apply identity",
                )),
                _ => Ok(kwif::engine::Plan {
                    step: StepId::Verify,
                    changes: Vec::new(),
                }),
            }
        })
    }
    fn apply<'a>(
        &'a self,
        _plan: &'a kwif::engine::Plan,
        _facts: &'a Facts,
    ) -> kwif::engine::StepFuture<'a, Result<Facts, kwif::engine::StepError>> {
        Box::pin(async move { Ok(Facts::new()) })
    }
}

#[tokio::test]
async fn the_follow_up_confirmation_closes_itself_when_nothing_is_left() {
    let identity = Arc::new(Toy::new(StepId::Identity));
    let steps: Vec<Arc<dyn Step>> = vec![identity.clone(), Arc::new(Verify(identity.clone()))];
    let mut wizard = Wizard {
        app: App::new(steps, WizardConfig::new("t")),
        toys: vec![identity],
    }
    .started()
    .await;
    wizard.press([char_key('A'), char_key('y')]).await;
    assert_eq!(wizard.toy(StepId::Identity).apply_count(), 1);
    assert_eq!(
        wizard.state().overlay().name(),
        "none",
        "verify had nothing to apply: no second question"
    );
    assert!(wizard.state().all_ok());
}

#[tokio::test]
async fn a_failed_apply_stops_the_run_and_shows_why() {
    let mut wizard = Wizard::with(
        &[StepId::Hosting, StepId::Workload],
        |mut toy| {
            toy.fails = toy.id == StepId::Hosting;
            toy
        },
        WizardConfig::new("t"),
    )
    .started()
    .await;
    wizard.press([char_key('A'), char_key('y')]).await;
    assert_eq!(wizard.toy(StepId::Workload).apply_count(), 0);
    let view = wizard.state().step(StepId::Hosting).unwrap();
    assert_eq!(
        view.apply_error.as_ref().map(|e| e.message.as_str()),
        Some("toy failure")
    );
    assert!(
        wizard
            .state()
            .log()
            .lines()
            .iter()
            .any(|line| line.text.contains("apply of hosting failed: toy failure"))
    );
    assert_eq!(wizard.app.outcome().exit_code(), 1);
}

// The clock is paused: it moves only when every task waits, so the key lands at the
// same point of the step every run.
#[tokio::test(start_paused = true)]
async fn esc_during_an_apply_stops_before_the_next_step_never_mid_step() {
    let drifted = [StepId::Hosting, StepId::Workload];
    let mut wizard = Wizard::with(
        &drifted,
        |mut toy| {
            toy.apply_delay = Duration::from_millis(150);
            toy
        },
        WizardConfig::new("t"),
    )
    .started()
    .await;
    wizard.press([char_key('A')]).await;
    wizard.app.handle(char_key('y'));
    tokio::time::sleep(Duration::from_millis(30)).await;
    wizard.app.process_pending();
    wizard.app.handle(key(KeyCode::Esc));
    wizard.settle().await;
    assert_eq!(wizard.toy(StepId::Hosting).apply_count(), 1);
    assert_eq!(
        status_of(wizard.state(), StepId::Hosting),
        Status::Ok,
        "the started step finished"
    );
    assert_eq!(
        wizard.toy(StepId::Workload).apply_count(),
        0,
        "the next one never started"
    );
    assert!(!wizard.app.should_quit());
}

// The clock is paused: it moves only when every task waits, so the key lands at the
// same point of the step every run.
#[tokio::test(start_paused = true)]
async fn ctrl_c_during_an_apply_finishes_the_step_then_quits() {
    let mut wizard = Wizard::with(
        &[StepId::Hosting, StepId::Workload],
        |mut toy| {
            toy.apply_delay = Duration::from_millis(150);
            toy
        },
        WizardConfig::new("t"),
    )
    .started()
    .await;
    wizard.press([char_key('A')]).await;
    wizard.app.handle(char_key('y'));
    tokio::time::sleep(Duration::from_millis(30)).await;
    wizard.app.process_pending();
    wizard.app.handle(ctrl('c'));
    assert!(!wizard.app.should_quit(), "waits for the running step");
    wizard.settle().await;
    assert!(wizard.app.should_quit());
    assert_eq!(
        (
            wizard.toy(StepId::Hosting).apply_count(),
            wizard.toy(StepId::Workload).apply_count()
        ),
        (1, 0)
    );
}

#[tokio::test]
async fn help_opens_with_question_mark_and_esc_closes_it_and_q_quits() {
    let mut wizard = Wizard::new(&[]).started().await;
    wizard.press([char_key('?')]).await;
    assert_eq!(wizard.state().overlay().name(), "help");
    wizard.press([char_key('a'), key(KeyCode::Esc)]).await;
    assert_eq!(
        wizard.state().overlay().name(),
        "none",
        "keys under the help do nothing"
    );
    wizard.press([char_key('q')]).await;
    assert!(wizard.app.should_quit());
    assert_eq!(wizard.app.outcome().exit_code(), 0);
    assert_eq!(wizard.total_applies(), 0);
}

#[tokio::test]
async fn ctrl_c_quits() {
    let mut wizard = Wizard::new(&[StepId::Verify]).started().await;
    wizard.press([ctrl('c')]).await;
    assert!(wizard.app.should_quit());
    assert_eq!(wizard.app.outcome().exit_code(), 1);
}

// ---- the profile form -------------------------------------------------------------------------

fn with_profile(path: Option<std::path::PathBuf>) -> WizardConfig {
    let config = WizardConfig::new("t").with_profile(Profile::example());
    match path {
        Some(path) => config.with_profile_path(path),
        None => config,
    }
}

#[tokio::test]
async fn edit_rejects_a_bad_value_with_the_profiles_own_message() {
    let mut wizard = Wizard::with(&[], |toy| toy, with_profile(None))
        .started()
        .await;
    wizard
        .press([
            key(KeyCode::Home),
            char_key('e'),
            key(KeyCode::Down),
            key(KeyCode::Down),
        ])
        .await;
    assert_eq!(wizard.state().overlay().name(), "form");
    wizard.press([char_key(' ')]).await;
    let kwif::tui::Overlay::Form(form) = wizard.state().overlay() else {
        panic!("the form is open")
    };
    let expected = Profile::from_yaml(&Profile::example().to_yaml().replace(
        "issuer: https://oidc.example.com/cluster1",
        "issuer: \"https://oidc.example.com/cluster1 \"",
    ))
    .unwrap_err();
    let expected = expected
        .errors()
        .iter()
        .find(|error| error.field() == "issuer")
        .unwrap()
        .message()
        .to_string();
    assert_eq!(
        form.field("issuer").unwrap().error.as_deref(),
        Some(expected.as_str())
    );
    wizard.press([ctrl('s')]).await;
    assert_eq!(
        wizard.state().overlay().name(),
        "form",
        "a rejected profile is not saved"
    );
    wizard.press([key(KeyCode::Esc)]).await;
    assert_eq!(wizard.state().overlay().name(), "none");
    assert_eq!(wizard.state().profile(), Some(&Profile::example()));
}

#[tokio::test]
async fn edit_saves_the_profile_and_rechecks_rebuilt_steps() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kwif.yaml");
    let built = Arc::new(AtomicUsize::new(0));
    let counter = built.clone();
    let factory: kwif::tui::StepFactory = Arc::new(move |profile: Profile| {
        counter.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            assert_eq!(profile.workloads[0].name.as_str(), "web-server2");
            let steps: Vec<Arc<dyn Step>> = StepId::ALL
                .into_iter()
                .map(|id| Arc::new(Toy::applied(id)) as Arc<dyn Step>)
                .collect();
            Ok(steps)
        })
    });
    let config = with_profile(Some(path.clone())).with_step_factory(factory);
    let mut wizard = Wizard::with(&[StepId::Workload], |toy| toy, config)
        .started()
        .await;
    assert_eq!(wizard.state().selected_step(), Some(StepId::Workload));
    wizard
        .press([
            char_key('e'),
            key(KeyCode::Down),
            key(KeyCode::Down),
            key(KeyCode::Down),
            char_key('2'),
            ctrl('s'),
        ])
        .await;
    assert_eq!(wizard.state().overlay().name(), "none");
    let written = Profile::load(&path).unwrap();
    assert_eq!(written.workloads[0].name.as_str(), "web-server2");
    assert_eq!(built.load(Ordering::SeqCst), 1);
    assert!(wizard.state().all_ok(), "the rebuilt steps were checked");
}

#[tokio::test]
async fn ctrl_n_adds_a_workload_to_the_edited_profile_and_ctrl_x_removes_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kwif.yaml");
    let mut wizard = Wizard::with(
        &[StepId::Workload],
        |toy| toy,
        with_profile(Some(path.clone())),
    )
    .started()
    .await;
    assert_eq!(wizard.state().selected_step(), Some(StepId::Workload));
    wizard.press([char_key('e'), ctrl('x'), ctrl('n')]).await;
    let typed = |text: &str| text.chars().map(char_key).collect::<Vec<_>>();
    wizard.press(typed("application2")).await;
    wizard.press([key(KeyCode::Down)]).await;
    wizard.press(typed("worker-sa")).await;
    wizard
        .press([key(KeyCode::Down), char_key('j'), key(KeyCode::Down)])
        .await;
    wizard.press(typed("worker")).await;
    wizard.press([ctrl('s')]).await;
    assert_eq!(wizard.state().overlay().name(), "none");
    let written = Profile::load(&path).unwrap();
    let names: Vec<&str> = written.workloads.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(
        names,
        ["web-server", "worker"],
        "Ctrl-X on the only workload did nothing"
    );
    assert_eq!(written.workloads[1].kind.to_string(), "Job");

    wizard.press([char_key('e')]).await;
    wizard.press((0..6).map(|_| key(KeyCode::Down))).await;
    wizard.press([ctrl('x'), ctrl('s')]).await;
    let written = Profile::load(&path).unwrap();
    assert_eq!(written.workloads.len(), 1);
    assert_eq!(written.workloads[0].name.as_str(), "web-server");
}

// ---- the real event loop ------------------------------------------------------------------------

/// Terminal events, each after a pause (on the tests' paused clock, which moves only once the
/// background work of the previous key has finished).
fn scripted(keys: Vec<KeyCode>) -> impl futures::Stream<Item = std::io::Result<Event>> + Unpin {
    Box::pin(futures::stream::iter(keys).then(|code| async move {
        tokio::time::sleep(Duration::from_millis(120)).await;
        Ok(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }))
}

// The clock is paused: it moves only when every task waits, so the key lands at the
// same point of the step every run.
#[tokio::test(start_paused = true)]
async fn the_event_loop_applies_all_and_quits_with_exit_code_0() {
    let mut wizard = Wizard::new(&[StepId::Identity, StepId::Federation, StepId::Workload]);
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let keys = vec![KeyCode::Char('A'), KeyCode::Char('y'), KeyCode::Char('q')];
    tokio::time::timeout(
        Duration::from_secs(10),
        wizard.app.run_in(&mut terminal, scripted(keys)),
    )
    .await
    .expect("the loop ends")
    .unwrap();
    let outcome = wizard.app.outcome();
    assert_eq!((outcome.all_ok, outcome.exit_code()), (true, 0));
    assert_eq!(
        outcome.applied,
        [StepId::Identity, StepId::Federation, StepId::Workload]
    );
    assert!(
        terminal.backend().to_string().contains("✓ 6 of 6 ok"),
        "{}",
        terminal.backend()
    );
}

// The clock is paused: it moves only when every task waits, so the key lands at the
// same point of the step every run.
#[tokio::test(start_paused = true)]
async fn the_event_loop_quits_when_input_ends() {
    let mut wizard = Wizard::new(&[StepId::Hosting]);
    let mut terminal = Terminal::new(TestBackend::new(60, 20)).unwrap();
    tokio::time::timeout(
        Duration::from_secs(10),
        wizard.app.run_in(&mut terminal, scripted(Vec::new())),
    )
    .await
    .expect("the loop ends")
    .unwrap();
    assert_eq!(wizard.app.outcome().exit_code(), 1);
    assert_eq!(wizard.total_applies(), 0);
}

// ---- no panic, whatever the keys and the size ----------------------------------------------------

fn any_key() -> impl Strategy<Value = Action> {
    let codes = prop_oneof![
        proptest::sample::select(vec![
            'j', 'k', 'h', 'l', 'c', 'C', 'p', 'a', 'A', 'e', '?', 'y', 'n', 'x', '/', ' ', '-',
            ':', '.', '1', 'é'
        ])
        .prop_map(KeyCode::Char),
        proptest::sample::select(vec![
            KeyCode::Enter,
            KeyCode::Esc,
            KeyCode::Tab,
            KeyCode::BackTab,
            KeyCode::Up,
            KeyCode::Down,
            KeyCode::Left,
            KeyCode::Right,
            KeyCode::PageUp,
            KeyCode::PageDown,
            KeyCode::Home,
            KeyCode::End,
            KeyCode::Backspace,
            KeyCode::Delete,
        ]),
    ];
    (codes, proptest::bool::weighted(0.05)).prop_map(|(code, control)| {
        let modifiers = if control {
            KeyModifiers::CONTROL
        } else {
            KeyModifiers::NONE
        };
        Action::Key(KeyEvent::new(code, modifiers))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_keys_never_panic_and_every_size_renders(
        keys in proptest::collection::vec(any_key(), 1..60),
        sizes in proptest::collection::vec((20u16..=200, 5u16..=60), 1..4),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        runtime.block_on(async {
            let mut wizard = Wizard::with(&[StepId::Hosting, StepId::Workload], |toy| toy, with_profile(None)).started().await;
            for action in keys {
                wizard.app.handle(action);
                tokio::task::yield_now().await;
                wizard.app.process_pending();
                for (width, height) in &sizes {
                    let mut terminal = Terminal::new(TestBackend::new(*width, *height)).unwrap();
                    wizard.app.draw(&mut terminal).unwrap();
                }
            }
            wizard.settle().await;
        });
    }

    #[test]
    fn every_view_renders_at_every_size(width in 1u16..=200, height in 1u16..=60, view in 0usize..8) {
        let state = match view {
            0 => drifted(),
            1 => drifted().with_help(),
            2 => drifted().with_plan(workload_plan()).with_apply_confirmation(StepId::Workload),
            3 => drifted().with_plan(hosting_plan()).with_apply_all_confirmation(),
            4 => drifted().with_edit_form(StepId::Hosting),
            5 => broken_hosting(),
            6 => State::new("t", &StepId::ALL),
            _ => drifted().with_plan(federation_plan()).with_selected(StepId::Federation).with_detail_focus(),
        };
        let _ = draw(&state, width, height);
    }
}

/// Like the real identity step: applying it creates the identity, whose ids it hands on.
struct CreatesIdentity(Arc<Toy>);

const CREATED: kwif::azure::identity_client::IdentityIds =
    kwif::azure::identity_client::IdentityIds {
        client_id: uuid::Uuid::from_u128(0x1111_1111_1111_1111_1111_1111_1111_1111),
        principal_id: uuid::Uuid::from_u128(0x2222_2222_2222_2222_2222_2222_2222_2222),
        tenant_id: uuid::Uuid::from_u128(0x3333_3333_3333_3333_3333_3333_3333_3333),
    };

impl Step for CreatesIdentity {
    fn id(&self) -> StepId {
        StepId::Identity
    }
    fn check<'a>(&'a self, facts: &'a Facts) -> kwif::engine::StepFuture<'a, Check> {
        self.0.check(facts)
    }
    fn plan<'a>(
        &'a self,
        facts: &'a Facts,
    ) -> kwif::engine::StepFuture<'a, Result<kwif::engine::Plan, kwif::engine::StepError>> {
        self.0.plan(facts)
    }
    fn apply<'a>(
        &'a self,
        plan: &'a kwif::engine::Plan,
        facts: &'a Facts,
    ) -> kwif::engine::StepFuture<'a, Result<Facts, kwif::engine::StepError>> {
        Box::pin(async move {
            self.0.apply(plan, facts).await?;
            let name = Profile::example().identities[0].name.as_str().to_string();
            Ok(Facts::new().with(
                kwif::steps::identity::KnownIdentities::default()
                    .with(name, kwif::steps::identity::IdentityLookup::Exists(CREATED)),
            ))
        })
    }
}

#[tokio::test]
async fn the_wizard_saves_the_ids_an_apply_learned_into_the_profile_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kwif.yaml");
    std::fs::write(&path, Profile::example().to_yaml()).unwrap();
    let identity = Arc::new(Toy::new(StepId::Identity));
    let mut steps: Vec<Arc<dyn Step>> = vec![Arc::new(CreatesIdentity(identity.clone()))];
    steps.extend(
        [StepId::Federation, StepId::Workload]
            .into_iter()
            .map(|id| Arc::new(Toy::applied(id)) as Arc<dyn Step>),
    );
    let mut app = App::new(steps, with_profile(Some(path.clone())));
    app.start();
    app.settle().await;
    assert_eq!(app.state().selected_step(), Some(StepId::Identity));
    for action in [char_key('a'), char_key('y')] {
        app.handle(action);
        tokio::time::timeout(Duration::from_secs(10), app.settle())
            .await
            .expect("the app settles");
    }
    assert_eq!(identity.apply_count(), 1);
    let saved = Profile::load(&path).unwrap();
    assert_eq!(saved.identities[0].client_id, Some(CREATED.client_id));
    assert_eq!(saved.identities[0].principal_id, Some(CREATED.principal_id));
    assert_eq!(saved.azure.tenant, Some(CREATED.tenant_id));
    assert_eq!(
        app.state()
            .profile()
            .and_then(|profile| profile.identities[0].client_id),
        Some(CREATED.client_id),
        "the inputs pane shows them too"
    );
}

#[tokio::test]
async fn the_apply_all_confirmation_shows_every_diff_and_scrolls_through_them() {
    let drifted = [
        StepId::Issuer,
        StepId::Hosting,
        StepId::Identity,
        StepId::Federation,
        StepId::Workload,
    ];
    let mut wizard = Wizard::new(&drifted).started().await;
    wizard.press([char_key('A')]).await;
    let screen = |wizard: &Wizard| {
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        wizard.app.draw(&mut terminal).unwrap();
        terminal.backend().to_string()
    };
    let first = screen(&wizard);
    assert!(
        first.contains("-a: 1") && first.contains("+a: 2"),
        "the diffs are in the confirmation:\n{first}"
    );
    assert!(first.contains("0 lines above"), "{first}");
    wizard
        .press([key(KeyCode::Down), key(KeyCode::Down), char_key('j')])
        .await;
    let scrolled = screen(&wizard);
    assert!(scrolled.contains("3 lines above"), "{scrolled}");
    wizard.press((0..10).map(|_| key(KeyCode::PageDown))).await;
    let end = screen(&wizard);
    assert!(end.contains(" 0 below"), "the end stops scrolling:\n{end}");
    assert_eq!(wizard.total_applies(), 0, "scrolling applies nothing");
    wizard.press([char_key('y')]).await;
    assert_eq!(wizard.total_applies(), drifted.len());
}

#[tokio::test]
async fn the_first_frame_comes_before_the_steps_exist_and_they_are_checked_once_built() {
    let (ready, built) = tokio::sync::oneshot::channel::<()>();
    let toys: Vec<Arc<Toy>> = StepId::ALL
        .into_iter()
        .map(|id| Arc::new(Toy::applied(id)))
        .collect();
    let steps = as_steps(&toys);
    let start: kwif::tui::StartFuture = Box::pin(async move {
        built.await.map_err(|_| "cancelled".to_string())?;
        Ok(kwif::tui::Started {
            steps: kwif::tui::StepSet(steps),
            profile: Some(Box::new(Profile::example())),
            profile_path: None,
            step_factory: None,
            discovery: None,
        })
    });
    let mut app = App::deferred(WizardConfig::new("t"), start);
    app.start();
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    app.draw(&mut terminal).unwrap();
    let first = terminal.backend().to_string();
    for step in StepId::ALL {
        assert!(
            first
                .lines()
                .any(|line| line.contains(&format!(" {step} ")) && line.contains("… checking")),
            "{step} shows checking… before any step exists:\n{first}"
        );
    }
    assert!(
        toys.iter()
            .all(|toy| toy.checks.load(Ordering::SeqCst) == 0)
    );
    ready.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), app.settle())
        .await
        .expect("the app settles");
    assert!(app.state().all_ok());
    assert!(
        toys.iter()
            .all(|toy| toy.checks.load(Ordering::SeqCst) == 1)
    );
    assert_eq!(app.state().profile(), Some(&Profile::example()));
}

/// Lists for the form's pickers, without a cluster or Azure: what a discovery would find.
struct Found;

impl kwif::discover::Discovery for Found {
    fn list(
        &self,
        source: kwif::discover::Source,
    ) -> kwif::engine::StepFuture<'static, Result<Vec<kwif::discover::Suggestion>, String>> {
        use kwif::discover::{Source, Suggestion};
        Box::pin(async move {
            match source {
                Source::Namespaces { .. } => Ok(["application1", "payments", "shop"]
                    .into_iter()
                    .map(|name| Suggestion::new(name, name))
                    .collect()),
                Source::ServiceAccounts { namespace, .. } => {
                    let name = format!("{namespace}-sa");
                    Ok(vec![Suggestion::new(name.clone(), name)])
                }
                _ => Err("not in this test".to_string()),
            }
        })
    }
}

#[tokio::test]
async fn the_edit_form_picks_a_namespace_from_what_exists_and_saves_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kwif.yaml");
    let config = with_profile(Some(path.clone())).with_discovery(Arc::new(Found));
    let mut wizard = Wizard::with(&[], |toy| toy, config).started().await;
    wizard.press([key(KeyCode::End), key(KeyCode::Up)]).await;
    assert_eq!(wizard.state().selected_step(), Some(StepId::Workload));
    wizard.press([char_key('e')]).await;
    let screen = |wizard: &Wizard| {
        let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
        wizard.app.draw(&mut terminal).unwrap();
        terminal.backend().to_string()
    };
    let open = screen(&wizard);
    assert!(
        open.contains("▸ application1") && open.contains("payments") && open.contains("shop"),
        "the namespaces that exist are offered:\n{open}"
    );
    // Type to filter: the field is emptied, then "pa" leaves payments alone.
    let mut keys: Vec<Action> = (0.."application1".len())
        .map(|_| key(KeyCode::Backspace))
        .collect();
    keys.extend([char_key('p'), char_key('a')]);
    wizard.press(keys).await;
    let filtered = screen(&wizard);
    assert!(
        filtered.contains("▸ payments") && !filtered.contains("  shop"),
        "{filtered}"
    );
    wizard.press([key(KeyCode::Enter)]).await;
    let kwif::tui::Overlay::Form(form) = wizard.state().overlay() else {
        panic!("the form is still open")
    };
    assert_eq!(
        form.field("workloads[0].namespace").unwrap().value(),
        "payments"
    );
    wizard.press([key(KeyCode::Tab)]).await;
    let unmatched = screen(&wizard);
    assert!(
        unmatched.contains("none of the 1 service accounts matches: a new name"),
        "the profile's name is not there yet:\n{unmatched}"
    );
    wizard
        .press((0.."application1-sa".len()).map(|_| key(KeyCode::Backspace)))
        .await;
    assert!(
        screen(&wizard).contains("▸ payments-sa"),
        "the service accounts are those of the chosen namespace"
    );
    wizard.press([key(KeyCode::Enter)]).await;
    wizard.press([ctrl('s')]).await;
    assert_eq!(
        Profile::load(&path).unwrap().workloads[0]
            .namespace
            .as_str(),
        "payments"
    );
}

/// Reports a countdown while it waits for `release`, then checks ok.
struct Waits(tokio::sync::Mutex<Option<tokio::sync::oneshot::Receiver<()>>>);

impl Step for Waits {
    fn id(&self) -> StepId {
        StepId::Verify
    }
    fn check<'a>(&'a self, facts: &'a Facts) -> kwif::engine::StepFuture<'a, Check> {
        Box::pin(async move {
            kwif::engine::progress::report(
                facts,
                StepId::Verify,
                "waiting for Entra to see the credential",
                Some(Duration::from_secs(42)),
            );
            if let Some(release) = self.0.lock().await.take() {
                let _ = release.await;
            }
            Check::ok()
        })
    }
    fn plan<'a>(
        &'a self,
        _facts: &'a Facts,
    ) -> kwif::engine::StepFuture<'a, Result<kwif::engine::Plan, kwif::engine::StepError>> {
        Box::pin(async move {
            Ok(kwif::engine::Plan {
                step: StepId::Verify,
                changes: Vec::new(),
            })
        })
    }
    fn apply<'a>(
        &'a self,
        _plan: &'a kwif::engine::Plan,
        _facts: &'a Facts,
    ) -> kwif::engine::StepFuture<'a, Result<Facts, kwif::engine::StepError>> {
        Box::pin(async move { Ok(Facts::new()) })
    }
}

#[tokio::test]
async fn a_steps_countdown_shows_on_its_row_and_in_the_log_until_its_check_ends() {
    let (release, released) = tokio::sync::oneshot::channel();
    let steps: Vec<Arc<dyn Step>> = vec![Arc::new(Waits(tokio::sync::Mutex::new(Some(released))))];
    let mut app = App::new(steps, WizardConfig::new("t"));
    app.start();
    let waiting = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            app.process_pending();
            if app
                .state()
                .step(StepId::Verify)
                .is_some_and(|view| view.progress.is_some())
            {
                break;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(
        waiting.is_ok(),
        "the countdown arrives while the check runs"
    );
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    app.draw(&mut terminal).unwrap();
    let screen = terminal.backend().to_string();
    assert!(
        screen.contains("waiting for Entra to see the credential: 42 s left"),
        "{screen}"
    );
    let logged: Vec<String> = app
        .state()
        .log()
        .lines()
        .iter()
        .map(|line| line.text.clone())
        .collect();
    assert!(
        logged
            .iter()
            .any(|line| line == "verify: waiting for Entra to see the credential: 42 s left"),
        "{logged:?}"
    );
    release.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), app.settle())
        .await
        .expect("the app settles");
    assert_eq!(app.state().step(StepId::Verify).unwrap().progress, None);
}

#[tokio::test]
async fn once_verify_is_ok_its_pane_shows_the_application_side_and_l_changes_the_language() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kwif.yaml");
    let built = Arc::new(AtomicUsize::new(0));
    let counter = built.clone();
    let factory: kwif::tui::StepFactory = Arc::new(move |_profile: Profile| {
        counter.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move { Ok(Vec::new()) })
    });
    let config = with_profile(Some(path.clone())).with_step_factory(factory);
    let mut wizard = Wizard::with(&[], |toy| toy, config).started().await;
    wizard.press([key(KeyCode::End), key(KeyCode::Enter)]).await;
    let screen = |wizard: &Wizard| {
        let mut terminal = Terminal::new(TestBackend::new(120, 60)).unwrap();
        wizard.app.draw(&mut terminal).unwrap();
        terminal.backend().to_string()
    };
    let first = screen(&wizard);
    assert!(
        first.contains("Your application")
            && first.contains(
                "AZURE_FEDERATED_TOKEN_FILE=/var/run/secrets/azure/tokens/azure-identity-token"
            )
            && first.contains("In python"),
        "{first}"
    );
    wizard.press([char_key('L')]).await;
    let second = screen(&wizard);
    assert!(second.contains("In javascript"), "{second}");
    assert_eq!(
        Profile::load(&path).unwrap().app.language,
        Some(kwif::profile::AppLanguage::JavaScript),
        "remembered in kwif.yaml"
    );
    assert_eq!(
        built.load(Ordering::SeqCst),
        0,
        "no re-check for a language"
    );
}
