//! The one place where the wizard's state changes: `update(state, action)` applies an action
//! and returns the effects to run in the background. No I/O here; nothing is applied without
//! the user's `y` on a confirmation that showed the changes.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use super::action::Action;
use super::application_pane;
use super::apply_all_selection::ApplyAllSelection;
use super::apply_progress::{ApplyItemState, ApplyProgress};
use super::detail_view::detail_lines;
use super::effect::Effect;
use super::keymap::{self, Command};
use super::overlay::Overlay;
use super::profile_form::{FormSignal, ProfileForm};
use super::removal_plans::RemovalPlans;
use super::screen_layout::ScreenLayout;
use super::state::{Focus, State};
use super::step_view::PlanState;
use crate::engine::{Check, Plan, Status, StepError, StepId};

pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Key(key) => on_key(state, key),
        Action::Mouse(mouse) => on_mouse(state, mouse),
        Action::Resize(width, height) => {
            state.viewport = (width, height);
            clamp_scroll(state);
            Vec::new()
        }
        Action::Tick => {
            state.tick = state.tick.wrapping_add(1);
            if let Overlay::Form(form) = &mut state.overlay {
                form.tick();
            }
            Vec::new()
        }
        Action::Listed { source, result } => {
            if let Overlay::Form(form) = &mut state.overlay {
                form.deliver(source, result);
            }
            Vec::new()
        }
        Action::Interrupt => interrupt(state),
        Action::Quit => quit(state),
        Action::CheckAll => check_all(state),
        Action::Checked {
            step,
            generation,
            check,
        } => on_checked(state, step, generation, check),
        Action::Planned {
            step,
            generation,
            result,
        } => on_planned(state, step, generation, result),
        Action::ApplyStarted { step } => {
            let mut doing = "applying";
            if let Overlay::Applying(progress) = &mut state.overlay {
                progress.set(step, ApplyItemState::Applying);
                if progress.removal {
                    doing = "removing";
                }
            }
            state.log.info(format!("{doing} {step}…"));
            Vec::new()
        }
        Action::RemovalPlanned(planned) => {
            if let Overlay::ConfirmDestroy { removal, .. } = &mut state.overlay
                && removal.is_none()
            {
                *removal = Some(planned);
            }
            Vec::new()
        }
        Action::Applied { step, result } => {
            if let Some(view) = state.view_mut(step) {
                view.progress = None;
            }
            on_applied(state, step, result)
        }
        Action::Progress(event) => {
            let Some(view) = state.view_mut(event.step) else {
                return Vec::new();
            };
            // The log gets a line when a wait starts, the row the running countdown.
            let new_wait = view
                .progress
                .as_ref()
                .is_none_or(|shown| shown.waiting_for != event.waiting_for);
            let line = format!("{}: {event}", event.step);
            view.progress = Some(event);
            if new_wait {
                state.log.info(line);
            }
            Vec::new()
        }
        Action::ApplyFinished { cancelled } => on_apply_finished(state, cancelled),
        Action::Notice { ok, text } => {
            if ok {
                state.log.done(text);
            } else {
                state.log.failed(text);
            }
            Vec::new()
        }
        Action::StepsReplaced(Ok(steps)) => {
            let ids: Vec<StepId> = steps.0.iter().map(|step| step.id()).collect();
            state.replace_steps(&ids);
            state.log.done("steps rebuilt for the edited profile");
            check_all(state)
        }
        Action::Started(Ok(started)) => {
            let ids: Vec<StepId> = started.steps.0.iter().map(|step| step.id()).collect();
            state.replace_steps(&ids);
            state.profile = started.profile.map(|profile| *profile);
            check_all(state)
        }
        Action::Started(Err(message)) => {
            for view in &mut state.steps {
                view.status = Status::Error;
            }
            state.log.failed(format!("kwif could not start: {message}"));
            Vec::new()
        }
        Action::StepsReplaced(Err(message)) => {
            state
                .log
                .failed(format!("the edited profile cannot be used: {message}"));
            Vec::new()
        }
    }
}

// ---- keys -------------------------------------------------------------------------------

fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return interrupt(state);
    }
    match &state.overlay {
        Overlay::None => main_key(state, key),
        Overlay::Help => match key.code {
            KeyCode::Esc | KeyCode::Enter | KeyCode::Char('?') => close_overlay(state),
            KeyCode::Char('q') => quit(state),
            _ => Vec::new(),
        },
        Overlay::ConfirmApply { step } => {
            let step = *step;
            match key.code {
                KeyCode::Char('y' | 'Y') => confirm_apply(state, step),
                KeyCode::Char('n' | 'N') | KeyCode::Esc => decline(
                    state,
                    &format!("apply of {step} cancelled: nothing changed"),
                ),
                KeyCode::Char('q') => quit(state),
                _ => Vec::new(),
            }
        }
        Overlay::ConfirmApplyAll { steps, .. } => {
            let steps = steps.clone();
            match key.code {
                KeyCode::Char('y' | 'Y') => confirm_apply_all(state, &steps),
                KeyCode::Char('n' | 'N') | KeyCode::Esc => {
                    decline(state, "apply all cancelled: nothing changed")
                }
                KeyCode::Char('q') => quit(state),
                _ => scroll_confirmation(state, key.code),
            }
        }
        Overlay::ConfirmDestroy { removal, .. } => {
            let plans = removal.as_ref().map(RemovalPlans::to_remove);
            match key.code {
                KeyCode::Char('y' | 'Y') => confirm_destroy(state, plans),
                KeyCode::Char('n' | 'N') | KeyCode::Esc => {
                    decline(state, "destroy cancelled: nothing removed")
                }
                KeyCode::Char('q') => quit(state),
                _ => scroll_confirmation(state, key.code),
            }
        }
        Overlay::Applying(_) => match key.code {
            KeyCode::Esc => cancel_apply(state, false),
            KeyCode::Char('q') => interrupt(state),
            _ => Vec::new(),
        },
        Overlay::Form(_) => form_key(state, key),
    }
}

/// The main view: a key does what its entry in the key table (`keymap::MAIN`) says.
fn main_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let Some(command) = keymap::command_for(key.code) else {
        return Vec::new();
    };
    let detail = state.focus == Focus::Detail;
    match command {
        Command::Up if detail => scroll(state, -1),
        Command::Down if detail => scroll(state, 1),
        Command::Up => select(state, -1),
        Command::Down => select(state, 1),
        Command::PageUp => scroll(state, -page(state)),
        Command::PageDown => scroll(state, page(state)),
        Command::First if detail => scroll(state, isize::MIN / 2),
        Command::Last if detail => scroll(state, isize::MAX / 2),
        Command::First => select(state, isize::MIN / 2),
        Command::Last => select(state, isize::MAX / 2),
        Command::FocusSteps => set_focus(state, Focus::Steps),
        Command::FocusDetail => set_focus(state, Focus::Detail),
        Command::OtherPane => {
            let other = if detail { Focus::Steps } else { Focus::Detail };
            set_focus(state, other)
        }
        Command::Open => open(state),
        Command::Check => state.selected_step().map_or_else(Vec::new, |step| {
            let mut effects = vec![Effect::Refresh];
            effects.extend(check(state, step));
            effects
        }),
        Command::CheckAll => check_all(state),
        Command::Plan => {
            state.focus = Focus::Detail;
            state
                .selected_step()
                .map_or_else(Vec::new, |step| plan(state, step))
        }
        Command::Apply => ask_apply(state),
        Command::ApplyAll => ask_apply_all(state),
        Command::Destroy => ask_destroy(state),
        Command::Edit => edit(state),
        Command::Help => {
            state.overlay = Overlay::Help;
            Vec::new()
        }
        Command::Quit => quit(state),
        Command::Language => next_language(state),
    }
}

/// `L`: the "your application" pane shows the next language, remembered in kwif.yaml.
fn next_language(state: &mut State) -> Vec<Effect> {
    let Some(profile) = state.profile.as_mut() else {
        return Vec::new();
    };
    let language = application_pane::next_language(profile.app.language);
    profile.app.language = Some(language);
    state.log.info(format!(
        "your application's code is shown in {}",
        language.as_str()
    ));
    vec![Effect::SaveProfile {
        yaml: profile.to_yaml(),
        profile: Box::new(profile.clone()),
        rebuild: false,
    }]
}

fn form_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let Overlay::Form(form) = &mut state.overlay else {
        return Vec::new();
    };
    match form.handle_key(key) {
        FormSignal::Continue => Vec::new(),
        FormSignal::Cancelled => decline(state, "edit cancelled: the profile is unchanged"),
        FormSignal::Confirmed { profile, yaml } => {
            state.overlay = Overlay::None;
            let changed = state.profile.as_ref() != Some(&*profile);
            if !changed {
                state.log.info("the profile is unchanged");
                return Vec::new();
            }
            state.profile = Some((*profile).clone());
            state.log.done("profile updated");
            vec![Effect::SaveProfile {
                profile,
                yaml,
                rebuild: true,
            }]
        }
    }
}

fn close_overlay(state: &mut State) -> Vec<Effect> {
    state.overlay = Overlay::None;
    Vec::new()
}

fn decline(state: &mut State, message: &str) -> Vec<Effect> {
    state.overlay = Overlay::None;
    state.log.info(message);
    Vec::new()
}

fn set_focus(state: &mut State, focus: Focus) -> Vec<Effect> {
    state.focus = focus;
    Vec::new()
}

fn select(state: &mut State, delta: isize) -> Vec<Effect> {
    let last = state.steps.len().saturating_sub(1) as isize;
    let next = (state.selected as isize)
        .saturating_add(delta)
        .clamp(0, last.max(0)) as usize;
    if next != state.selected {
        state.selected = next;
        state.detail_scroll = 0;
    }
    state.auto_select = false;
    Vec::new()
}

/// The detail pane's lines and height at the current viewport.
fn detail_extent(state: &State) -> (usize, usize) {
    let (width, height) = state.viewport;
    let inner = ScreenLayout::new(Rect::new(0, 0, width, height)).detail_inner();
    (
        detail_lines(state, inner.width as usize).len(),
        inner.height as usize,
    )
}

fn page(state: &State) -> isize {
    (detail_extent(state).1.saturating_sub(1)).max(1) as isize
}

fn scroll(state: &mut State, delta: isize) -> Vec<Effect> {
    let (lines, height) = detail_extent(state);
    let max = lines.saturating_sub(height) as isize;
    state.detail_scroll = (state.detail_scroll as isize)
        .saturating_add(delta)
        .clamp(0, max) as usize;
    Vec::new()
}

fn clamp_scroll(state: &mut State) {
    scroll(state, 0);
}

fn open(state: &mut State) -> Vec<Effect> {
    state.focus = Focus::Detail;
    state.auto_select = false;
    match state.selected() {
        Some(view) if view.status.needs_attention() && view.plan == PlanState::NotPlanned => {
            plan(state, view.id)
        }
        _ => Vec::new(),
    }
}

fn edit(state: &mut State) -> Vec<Effect> {
    let (Some(profile), Some(step)) = (&state.profile, state.selected_step()) else {
        state.log.info("no profile to edit in this session");
        return Vec::new();
    };
    let mut form = ProfileForm::edit(profile, step);
    if state.pickers {
        form.enable_pickers();
    }
    state.overlay = Overlay::Form(Box::new(form));
    Vec::new()
}

// ---- checks and plans -----------------------------------------------------------------------

fn check(state: &mut State, step: StepId) -> Vec<Effect> {
    let generation = state.generation();
    let Some(view) = state.view_mut(step) else {
        return Vec::new();
    };
    view.status = Status::Checking;
    view.check_generation = generation;
    vec![Effect::Check { step, generation }]
}

/// A new round: what the steps resolve before checking (the identity's ids) is looked up again.
fn check_all(state: &mut State) -> Vec<Effect> {
    let ids: Vec<StepId> = state.steps.iter().map(|view| view.id).collect();
    std::iter::once(Effect::Refresh)
        .chain(ids.into_iter().flat_map(|step| check(state, step)))
        .collect()
}

fn plan(state: &mut State, step: StepId) -> Vec<Effect> {
    let generation = state.generation();
    let Some(view) = state.view_mut(step) else {
        return Vec::new();
    };
    view.plan = PlanState::Planning;
    view.plan_generation = generation;
    vec![Effect::Plan { step, generation }]
}

fn on_checked(state: &mut State, step: StepId, generation: u64, check: Check) -> Vec<Effect> {
    let Some(view) = state.view_mut(step) else {
        return Vec::new();
    };
    if view.check_generation != generation {
        return Vec::new();
    }
    view.set_check(check);
    if state
        .steps
        .iter()
        .any(|view| view.status == Status::Checking)
    {
        return Vec::new();
    }
    log_check_summary(state);
    if !state.auto_select {
        return Vec::new();
    }
    state.auto_select = false;
    let Some(index) = state
        .steps
        .iter()
        .position(|view| view.status.needs_attention())
    else {
        return Vec::new();
    };
    state.selected = index;
    state.detail_scroll = 0;
    let step = state.steps[index].id;
    if state.overlay.is_none() && state.steps[index].plan == PlanState::NotPlanned {
        plan(state, step)
    } else {
        Vec::new()
    }
}

fn log_check_summary(state: &mut State) {
    let count = |status: Status| {
        state
            .steps
            .iter()
            .filter(|view| view.status == status)
            .count()
    };
    let parts: Vec<String> = [
        Status::Ok,
        Status::Drift,
        Status::Error,
        Status::Skipped,
        Status::Pending,
    ]
    .into_iter()
    .filter(|status| count(*status) > 0)
    .map(|status| format!("{} {}", count(status), status.word()))
    .collect();
    let text = format!("checked {} steps: {}", state.steps.len(), parts.join(", "));
    if state.all_ok() {
        state.log.done(text);
    } else {
        state.log.info(text);
    }
}

fn on_planned(
    state: &mut State,
    step: StepId,
    generation: u64,
    result: Result<Plan, StepError>,
) -> Vec<Effect> {
    let Some(view) = state.view_mut(step) else {
        return Vec::new();
    };
    if view.plan_generation != generation {
        return Vec::new();
    }
    view.plan = match result {
        Ok(plan) => PlanState::Ready(plan),
        Err(error) => PlanState::Failed(error),
    };
    close_finished_follow_up(state);
    Vec::new()
}

/// Scrolls the diffs of the apply-all or destroy confirmation; the view clamps at their end.
/// The scroll keys of a confirmation with diffs (apply all, destroy); any other key does nothing.
fn scroll_confirmation(state: &mut State, code: KeyCode) -> Vec<Effect> {
    let page = isize::from(i16::try_from(state.viewport.1.max(4) / 2).unwrap_or(8));
    let by = match code {
        KeyCode::Up | KeyCode::Char('k') => -1,
        KeyCode::Down | KeyCode::Char('j') => 1,
        KeyCode::PageUp => -page,
        KeyCode::PageDown => page,
        KeyCode::Home => isize::MIN / 2,
        _ => return Vec::new(),
    };
    if let Overlay::ConfirmApplyAll { scroll, .. } | Overlay::ConfirmDestroy { scroll, .. } =
        &mut state.overlay
    {
        *scroll = scroll.saturating_add_signed(by);
    }
    Vec::new()
}

/// The follow-up confirmation after an apply closes itself when nothing is left to change.
fn close_finished_follow_up(state: &mut State) {
    let Overlay::ConfirmApplyAll {
        steps,
        follow_up: true,
        ..
    } = &state.overlay
    else {
        return;
    };
    let selection = ApplyAllSelection::of(state, steps);
    if !selection.planning && selection.plans.is_empty() && selection.blocked.is_none() {
        state.overlay = Overlay::None;
        state.log.done("nothing more to apply");
    }
}

// ---- applies --------------------------------------------------------------------------------

fn ask_apply(state: &mut State) -> Vec<Effect> {
    if state.is_applying() {
        return Vec::new();
    }
    let Some(step) = state.selected_step() else {
        return Vec::new();
    };
    state.overlay = Overlay::ConfirmApply { step };
    // Planned afresh, so the confirmation shows exactly what `y` will apply.
    plan(state, step)
}

fn confirm_apply(state: &mut State, step: StepId) -> Vec<Effect> {
    let Some(view) = state.step(step) else {
        return close_overlay(state);
    };
    match &view.plan {
        PlanState::Ready(plan) if plan.is_empty() => {
            decline(state, &format!("nothing to apply for {step}"))
        }
        PlanState::Ready(plan) => {
            let plans = vec![plan.clone()];
            start_apply(state, plans, Vec::new())
        }
        // Still planning, or nothing to apply: `y` does nothing.
        _ => Vec::new(),
    }
}

fn ask_apply_all(state: &mut State) -> Vec<Effect> {
    if state.is_applying() {
        return Vec::new();
    }
    let steps = state.steps_needing_attention();
    if steps.is_empty() {
        state
            .log
            .info("nothing to apply: no step has drift or errors");
        return Vec::new();
    }
    open_apply_all(state, steps, false)
}

fn open_apply_all(state: &mut State, steps: Vec<StepId>, follow_up: bool) -> Vec<Effect> {
    state.overlay = Overlay::ConfirmApplyAll {
        steps: steps.clone(),
        follow_up,
        scroll: 0,
    };
    steps
        .into_iter()
        .flat_map(|step| plan(state, step))
        .collect()
}

fn confirm_apply_all(state: &mut State, steps: &[StepId]) -> Vec<Effect> {
    let selection = ApplyAllSelection::of(state, steps);
    if !selection.can_apply() {
        return Vec::new();
    }
    start_apply(state, selection.plans, selection.deferred)
}

fn start_apply(state: &mut State, plans: Vec<Plan>, deferred: Vec<StepId>) -> Vec<Effect> {
    let names: Vec<&str> = plans.iter().map(|plan| plan.step.as_str()).collect();
    state
        .log
        .info(format!("apply confirmed: {}", names.join(", ")));
    state.overlay = Overlay::Applying(ApplyProgress::new(
        plans.iter().map(|plan| plan.step),
        deferred,
    ));
    vec![Effect::Apply { plans }]
}

/// `D`: the removal plans of every step, shown before anything is removed.
fn ask_destroy(state: &mut State) -> Vec<Effect> {
    if state.is_applying() {
        return Vec::new();
    }
    state.overlay = Overlay::ConfirmDestroy {
        removal: None,
        scroll: 0,
    };
    vec![Effect::PlanRemoval]
}

/// `y` on the destroy confirmation: removes the plans shown, in reverse wizard order; while
/// they are still being planned, or when nothing is left to remove, `y` does nothing more.
fn confirm_destroy(state: &mut State, plans: Option<Vec<Plan>>) -> Vec<Effect> {
    let Some(plans) = plans else {
        return Vec::new();
    };
    if plans.is_empty() {
        return decline(state, "nothing of kwif's to remove");
    }
    let names: Vec<&str> = plans.iter().map(|plan| plan.step.as_str()).collect();
    state
        .log
        .info(format!("removal confirmed: {}", names.join(", ")));
    state.overlay = Overlay::Applying(ApplyProgress::removal(plans.iter().map(|plan| plan.step)));
    vec![Effect::Remove { plans }]
}

fn on_applied(state: &mut State, step: StepId, result: Result<usize, StepError>) -> Vec<Effect> {
    let item = match &result {
        Ok(changes) => ApplyItemState::Applied { changes: *changes },
        Err(error) => ApplyItemState::Failed(error.message.clone()),
    };
    let mut removal = false;
    if let Overlay::Applying(progress) = &mut state.overlay {
        progress.set(step, item);
        removal = progress.removal;
    }
    if removal {
        return on_removed(state, step, result);
    }
    match result {
        Ok(changes) => {
            state.applied.push(step);
            state.log.done(format!(
                "applied {step}: {changes} change{}",
                if changes == 1 { "" } else { "s" }
            ));
            if let Some(view) = state.view_mut(step) {
                view.apply_error = None;
            }
        }
        Err(error) => {
            state.log.failed(format!(
                "apply of {step} failed: {} (fix: {})",
                error.message, error.fix
            ));
            if let Some(view) = state.view_mut(step) {
                view.apply_error = Some(error);
            }
        }
    }
    Vec::new()
}

fn on_removed(state: &mut State, step: StepId, result: Result<usize, StepError>) -> Vec<Effect> {
    match result {
        Ok(changes) => state.log.done(format!(
            "removed {step}: {changes} change{}",
            if changes == 1 { "" } else { "s" }
        )),
        Err(error) => state.log.failed(format!(
            "removal of {step} failed: {} (fix: {})",
            error.message, error.fix
        )),
    }
    Vec::new()
}

fn on_apply_finished(state: &mut State, cancelled: bool) -> Vec<Effect> {
    let progress = match std::mem::take(&mut state.overlay) {
        Overlay::Applying(progress) => Some(progress),
        other => {
            state.overlay = other;
            None
        }
    };
    let removal = progress.as_ref().is_some_and(|progress| progress.removal);
    match (cancelled, removal) {
        (true, false) => state
            .log
            .info("apply stopped before the next step; apply again to finish"),
        (true, true) => state
            .log
            .info("removal stopped before the next step; press D again to finish"),
        _ => {}
    }
    // Applied steps change what later steps would do: every plan is computed afresh.
    for view in &mut state.steps {
        view.plan = PlanState::NotPlanned;
    }
    state.auto_select = true;
    let mut effects = check_all(state);
    let Some(progress) = progress else {
        return effects;
    };
    if progress.quit_requested {
        state.quit = true;
        return effects;
    }
    if !cancelled && !progress.failed() && !progress.deferred.is_empty() {
        state.auto_select = false;
        state
            .log
            .info("planning the steps that build on what was just applied");
        effects.extend(open_apply_all(state, progress.deferred, true));
    }
    effects
}

fn cancel_apply(state: &mut State, quit: bool) -> Vec<Effect> {
    let Overlay::Applying(progress) = &mut state.overlay else {
        return Vec::new();
    };
    let first = !progress.cancel_requested;
    progress.cancel_requested = true;
    progress.quit_requested |= quit;
    match (first, quit) {
        (true, false) => state.log.info("stopping once the current step is applied"),
        (_, true) => state.log.info("quitting once the current step is applied"),
        _ => {}
    }
    if first {
        vec![Effect::CancelApply]
    } else {
        Vec::new()
    }
}

/// Ctrl-C, SIGINT or `q` during an apply: the first asks to stop after the current step and
/// quit; the second quits at once (the rerun converges).
fn interrupt(state: &mut State) -> Vec<Effect> {
    match &state.overlay {
        Overlay::Applying(progress) if progress.quit_requested => {
            state
                .log
                .failed("quit during an apply: run kwif again to finish it");
            state.quit = true;
            Vec::new()
        }
        Overlay::Applying(_) => cancel_apply(state, true),
        _ => quit(state),
    }
}

fn quit(state: &mut State) -> Vec<Effect> {
    if state.is_applying() {
        return interrupt(state);
    }
    state.quit = true;
    Vec::new()
}

// ---- mouse ------------------------------------------------------------------------------------

fn on_mouse(state: &mut State, mouse: MouseEvent) -> Vec<Effect> {
    if !state.overlay.is_none() {
        return Vec::new();
    }
    let (width, height) = state.viewport;
    let layout = ScreenLayout::new(Rect::new(0, 0, width, height));
    let at = Position::new(mouse.column, mouse.row);
    let count = state.steps.len();
    let clicked = (0..count).find(|index| layout.step_row(*index, count).contains(at));
    match mouse.kind {
        MouseEventKind::Down(_) if clicked.is_some() => {
            let index = clicked.unwrap_or_default();
            select(state, index as isize - state.selected as isize);
            state.focus = Focus::Steps;
            Vec::new()
        }
        MouseEventKind::Down(_) if layout.detail.contains(at) => set_focus(state, Focus::Detail),
        MouseEventKind::ScrollDown if layout.detail.contains(at) => scroll(state, 3),
        MouseEventKind::ScrollUp if layout.detail.contains(at) => scroll(state, -3),
        MouseEventKind::ScrollDown if layout.steps.contains(at) => select(state, 1),
        MouseEventKind::ScrollUp if layout.steps.contains(at) => select(state, -1),
        _ => Vec::new(),
    }
}
