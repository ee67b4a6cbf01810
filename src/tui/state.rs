//! The wizard's whole state: the steps as last seen, selection and focus, the overlay, the log.
//! Rendering is a pure function of it, so the constructors below also build the views for
//! snapshots and screenshots from plain data, without running any step.

use super::activity_log::ActivityLog;
use super::apply_progress::ApplyProgress;
use super::overlay::Overlay;
use super::profile_form::ProfileForm;
use super::step_view::{PlanState, StepView};
use super::theme::Theme;
use crate::engine::{Check, Plan, Report, Status, StepError, StepId, StepReport};
use crate::profile::Profile;

/// Which pane the arrow keys act on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Focus {
    #[default]
    Steps,
    Detail,
}

#[derive(Clone, Debug)]
pub struct State {
    pub(crate) title: String,
    pub(crate) theme: Theme,
    pub(crate) steps: Vec<StepView>,
    pub(crate) selected: usize,
    pub(crate) focus: Focus,
    pub(crate) detail_scroll: usize,
    pub(crate) overlay: Overlay,
    pub(crate) log: ActivityLog,
    pub(crate) tick: u64,
    pub(crate) profile: Option<Profile>,
    /// The terminal size, for scrolling limits and mouse hit tests (render uses the frame's).
    pub(crate) viewport: (u16, u16),
    pub(crate) next_generation: u64,
    /// Select the first step that needs attention once the running checks are done.
    pub(crate) auto_select: bool,
    pub(crate) applied: Vec<StepId>,
    pub(crate) quit: bool,
    /// The host can look lists up: the edit form's fields get pickers.
    pub(crate) pickers: bool,
}

impl State {
    /// Every step pending, the first selected, colour on, a 100x30 viewport.
    pub fn new(title: impl Into<String>, steps: &[StepId]) -> State {
        let mut ids = steps.to_vec();
        ids.sort();
        ids.dedup();
        State {
            title: title.into(),
            theme: Theme::new(true),
            steps: ids.into_iter().map(StepView::pending).collect(),
            selected: 0,
            focus: Focus::Steps,
            detail_scroll: 0,
            overlay: Overlay::None,
            log: ActivityLog::default(),
            tick: 0,
            profile: None,
            viewport: (100, 30),
            next_generation: 1,
            auto_select: true,
            applied: Vec::new(),
            quit: false,
            pickers: false,
        }
    }

    /// The six steps, each with its check, the first that needs attention selected: the view
    /// of a rerun once its checks are done.
    pub fn from_checks(title: impl Into<String>, checks: Vec<(StepId, Check)>) -> State {
        let ids: Vec<StepId> = checks.iter().map(|(id, _)| *id).collect();
        State::new(title, &ids)
            .with_checks(checks)
            .with_first_attention_selected()
    }

    pub fn with_color(mut self, color: bool) -> State {
        self.theme = Theme::new(color);
        self
    }

    pub fn with_profile(mut self, profile: Profile) -> State {
        self.profile = Some(profile);
        self
    }

    pub fn with_viewport(mut self, width: u16, height: u16) -> State {
        self.viewport = (width, height);
        self
    }

    pub fn with_checks(mut self, checks: Vec<(StepId, Check)>) -> State {
        for (step, check) in checks {
            self.set_check(step, check);
        }
        self
    }

    pub fn with_check(mut self, step: StepId, check: Check) -> State {
        self.set_check(step, check);
        self
    }

    /// A step shown as still checking (its spinner is at `tick`).
    pub fn with_checking(mut self, step: StepId, tick: u64) -> State {
        if let Some(view) = self.view_mut(step) {
            view.status = Status::Checking;
        }
        self.tick = tick;
        self
    }

    pub fn with_plan(mut self, plan: Plan) -> State {
        self.set_plan(plan);
        self
    }

    pub fn with_plan_error(mut self, step: StepId, error: StepError) -> State {
        if let Some(view) = self.view_mut(step) {
            view.plan = PlanState::Failed(error);
        }
        self
    }

    pub fn with_selected(mut self, step: StepId) -> State {
        if let Some(index) = self.steps.iter().position(|view| view.id == step) {
            self.selected = index;
            self.auto_select = false;
        }
        self
    }

    /// The selected step opened: the arrow keys scroll its detail pane.
    pub fn with_detail_focus(mut self) -> State {
        self.focus = Focus::Detail;
        self
    }

    pub fn with_first_attention_selected(mut self) -> State {
        if let Some(index) = self
            .steps
            .iter()
            .position(|view| view.status.needs_attention())
        {
            self.selected = index;
        }
        self.auto_select = false;
        self
    }

    pub fn with_help(mut self) -> State {
        self.overlay = Overlay::Help;
        self
    }

    /// The `a` confirmation of `step` (give its plan with [`State::with_plan`]).
    pub fn with_apply_confirmation(mut self, step: StepId) -> State {
        self = self.with_selected(step);
        self.overlay = Overlay::ConfirmApply { step };
        self
    }

    /// The `A` confirmation over every step that needs attention (give their plans first).
    pub fn with_apply_all_confirmation(mut self) -> State {
        let steps = self.steps_needing_attention();
        self.overlay = Overlay::ConfirmApplyAll {
            steps,
            follow_up: false,
            scroll: 0,
        };
        self
    }

    pub fn with_apply_progress(mut self, progress: ApplyProgress) -> State {
        self.overlay = Overlay::Applying(progress);
        self
    }

    /// The `e` form for `step` over the profile (needs [`State::with_profile`] first).
    pub fn with_edit_form(mut self, step: StepId) -> State {
        if let Some(profile) = &self.profile {
            self.overlay = Overlay::Form(Box::new(ProfileForm::edit(profile, step)));
        }
        self
    }

    /// With pickers on (as when the host can look lists up), opens `step`'s form and answers
    /// its lookups with `lookup` (screenshots; the wizard itself delivers them as actions).
    pub async fn with_edit_form_lists<F, Fut>(mut self, step: StepId, lookup: F) -> State
    where
        F: Fn(crate::discover::Source) -> Fut,
        Fut: std::future::Future<Output = Result<Vec<crate::discover::Suggestion>, String>>,
    {
        self.pickers = true;
        self = self.with_edit_form(step);
        if let Overlay::Form(form) = &mut self.overlay {
            form.enable_pickers();
            for source in form.take_lookups() {
                let result = lookup(source.clone()).await;
                form.deliver(source, result);
            }
        }
        self
    }

    pub fn with_log(mut self, text: impl Into<String>) -> State {
        self.log.info(text);
        self
    }

    pub fn with_log_done(mut self, text: impl Into<String>) -> State {
        self.log.done(text);
        self
    }

    pub fn with_log_failed(mut self, text: impl Into<String>) -> State {
        self.log.failed(text);
        self
    }

    // ---- reading -------------------------------------------------------------------------

    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn steps(&self) -> &[StepView] {
        &self.steps
    }

    pub fn step(&self, id: StepId) -> Option<&StepView> {
        self.steps.iter().find(|view| view.id == id)
    }

    pub fn selected(&self) -> Option<&StepView> {
        self.steps.get(self.selected)
    }

    pub fn selected_step(&self) -> Option<StepId> {
        self.selected().map(|view| view.id)
    }

    pub fn focus(&self) -> Focus {
        self.focus
    }

    pub fn overlay(&self) -> &Overlay {
        &self.overlay
    }

    pub fn log(&self) -> &ActivityLog {
        &self.log
    }

    pub fn profile(&self) -> Option<&Profile> {
        self.profile.as_ref()
    }

    pub fn detail_scroll(&self) -> usize {
        self.detail_scroll
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    pub fn applied(&self) -> &[StepId] {
        &self.applied
    }

    pub fn is_applying(&self) -> bool {
        matches!(self.overlay, Overlay::Applying(_))
    }

    /// Whether anything runs in the background (the spinner needs ticks only then).
    pub fn is_busy(&self) -> bool {
        self.is_applying()
            || matches!(&self.overlay, Overlay::Form(form) if form.is_loading())
            || self
                .steps
                .iter()
                .any(|view| view.status == Status::Checking || view.plan == PlanState::Planning)
    }

    pub fn steps_needing_attention(&self) -> Vec<StepId> {
        self.steps
            .iter()
            .filter(|view| view.status.needs_attention())
            .map(|view| view.id)
            .collect()
    }

    /// Every step ok (or skipped): the wizard ends with exit code 0.
    pub fn all_ok(&self) -> bool {
        self.steps
            .iter()
            .all(|view| matches!(view.status, Status::Ok | Status::Skipped))
    }

    pub fn report(&self) -> Report {
        let steps = self
            .steps
            .iter()
            .map(|view| StepReport {
                id: view.id,
                status: view.status,
                findings: view.findings.clone(),
            })
            .collect();
        Report { steps }
    }

    // ---- writing (the update function and injection in tests) -----------------------------

    /// Sets a step's check directly, as if its check had just finished.
    pub fn set_check(&mut self, step: StepId, check: Check) {
        if let Some(view) = self.view_mut(step) {
            view.set_check(check);
        }
    }

    /// Sets a step's plan directly, as if its planning had just finished.
    pub fn set_plan(&mut self, plan: Plan) {
        if let Some(view) = self.view_mut(plan.step) {
            view.plan = PlanState::Ready(plan);
        }
    }

    pub(crate) fn view_mut(&mut self, step: StepId) -> Option<&mut StepView> {
        self.steps.iter_mut().find(|view| view.id == step)
    }

    pub(crate) fn generation(&mut self) -> u64 {
        self.next_generation += 1;
        self.next_generation
    }

    /// New steps (an edited profile): every step pending again, selection kept by id.
    pub(crate) fn replace_steps(&mut self, ids: &[StepId]) {
        let selected = self.selected_step();
        let mut ids = ids.to_vec();
        ids.sort();
        ids.dedup();
        self.steps = ids.into_iter().map(StepView::pending).collect();
        self.selected = selected
            .and_then(|id| self.steps.iter().position(|view| view.id == id))
            .unwrap_or(0);
        self.detail_scroll = 0;
    }
}
