//! The terminal UI wizard (ratatui): the six steps with live status, the selected step's
//! findings, inputs and plan, applies after `y`, and the first-run profile form. It only sees
//! `Step`s and data: no HTTP, Kubernetes or Azure here.

mod action;
mod activity_log;
mod app;
mod application_pane;
mod apply_all_selection;
mod apply_progress;
mod destroy_view;
mod detail_view;
mod effect;
mod field_path;
mod form_field;
mod form_pages;
mod form_picker;
mod form_view;
mod identity_fields;
mod keymap;
mod overlay;
mod overlay_view;
mod profile_file;
mod profile_form;
mod removal_plans;
mod render;
mod screen_layout;
pub mod screenshot;
mod setup_defaults;
mod setup_screen;
mod state;
mod step_inputs;
mod step_view;
mod terminal_session;
mod text_wrap;
mod theme;
mod update;
mod wizard_config;
mod wizard_outcome;

use std::io;
use std::sync::Arc;

use crossterm::event::EventStream;

pub use action::{Action, Started, StepSet};
pub use activity_log::{ActivityLog, LogKind, LogLine};
pub use app::{App, StartFuture};
pub use apply_progress::{ApplyItemState, ApplyProgress};
pub use effect::Effect;
pub use form_field::{FieldKind, FormField};
pub use keymap::{KeyBinding, MAIN as KEYS};
pub use overlay::Overlay;
pub use profile_form::{FormSignal, ProfileForm};
pub use removal_plans::RemovalPlans;
pub use render::render;
pub use setup_defaults::SetupDefaults;
pub use setup_screen::{SetupResult, SetupScreen};
pub use state::{Focus, State};
pub use step_view::{PlanState, StepView};
pub use terminal_session::{TerminalSession, restore};
pub use update::update;
pub use wizard_config::{StepFactory, WizardConfig};
pub use wizard_outcome::WizardOutcome;

use crate::engine::Step;

/// Runs the wizard over `steps` in the terminal until the user quits: everything is checked at
/// start, the first step that needs a fix is selected. The terminal is restored on return,
/// error, panic and Ctrl-C. Call it from a tokio runtime.
pub async fn run(steps: Vec<Arc<dyn Step>>, config: WizardConfig) -> io::Result<WizardOutcome> {
    let mut session = TerminalSession::enter(config.mouse)?;
    let mut app = App::new(steps, config);
    let result = app.run_in(session.terminal(), EventStream::new()).await;
    let restored = session.leave();
    result?;
    restored?;
    Ok(app.outcome())
}

/// Like [`run`], but the first frame comes before the steps exist: `start` builds them (starts
/// the sandbox, connects to the cluster and Azure) while the six steps show "checking…".
pub async fn run_deferred(config: WizardConfig, start: StartFuture) -> io::Result<WizardOutcome> {
    let mut session = TerminalSession::enter(config.mouse)?;
    let mut app = App::deferred(config, start);
    let result = app.run_in(session.terminal(), EventStream::new()).await;
    let restored = session.leave();
    result?;
    restored?;
    Ok(app.outcome())
}

/// The first run: asks for the profile (from `defaults`), shows the kwif.yaml it makes, and on
/// `y` writes it to `config.profile_path` (when set). `None` when the user cancelled.
pub async fn run_setup(
    defaults: SetupDefaults,
    config: &WizardConfig,
) -> io::Result<Option<SetupResult>> {
    let mut session = TerminalSession::enter(false)?;
    let screen = SetupScreen::new(&defaults, config);
    let result = screen.run_in(session.terminal(), EventStream::new()).await;
    let restored = session.leave();
    let result = result?;
    restored?;
    Ok(result)
}
