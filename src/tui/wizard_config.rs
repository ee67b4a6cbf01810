//! How the caller sets the wizard up: the title, the profile shown in the inputs pane and
//! where edits are saved, colour, mouse, and how to rebuild the steps for an edited profile.

use std::path::PathBuf;
use std::sync::Arc;

use crate::discover::Discovery;
use crate::engine::{Step, StepFuture};
use crate::profile::Profile;

/// Builds the steps for a profile (the caller's clients live inside); the wizard calls it after
/// the user edited the profile with `e`, then checks everything again.
pub type StepFactory =
    Arc<dyn Fn(Profile) -> StepFuture<'static, Result<Vec<Arc<dyn Step>>, String>> + Send + Sync>;

#[derive(Clone)]
pub struct WizardConfig {
    /// Shown in the title bar, e.g. "kwif demo — scenario fresh".
    pub title: String,
    /// The profile the steps were built from: the inputs pane shows its fields, `e` edits it.
    pub profile: Option<Profile>,
    /// Where `e` and the first-run form write kwif.yaml; `None`: edits last for the session.
    pub profile_path: Option<PathBuf>,
    /// `false` for `--no-color` or `NO_COLOR`: symbols, words, bold and reverse stay.
    pub color: bool,
    /// Mouse capture (click a step, scroll the detail); off by default so text stays selectable.
    pub mouse: bool,
    pub step_factory: Option<StepFactory>,
    /// How long one step's lookup, check or plan may take before it is reported as timed out.
    pub step_deadline: Option<std::time::Duration>,
    /// What the form's pickers list (contexts, namespaces, subscriptions…); none: free text.
    pub discovery: Option<Arc<dyn Discovery>>,
}

impl WizardConfig {
    /// Colour on unless `NO_COLOR` is set to a non-empty value; mouse off; no profile.
    pub fn new(title: impl Into<String>) -> WizardConfig {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
        WizardConfig {
            title: title.into(),
            profile: None,
            profile_path: None,
            color: !no_color,
            mouse: false,
            step_factory: None,
            step_deadline: None,
            discovery: None,
        }
    }

    pub fn with_profile(mut self, profile: Profile) -> WizardConfig {
        self.profile = Some(profile);
        self
    }

    pub fn with_profile_path(mut self, path: impl Into<PathBuf>) -> WizardConfig {
        self.profile_path = Some(path.into());
        self
    }

    pub fn with_color(mut self, color: bool) -> WizardConfig {
        self.color = color;
        self
    }

    pub fn with_mouse(mut self, mouse: bool) -> WizardConfig {
        self.mouse = mouse;
        self
    }

    pub fn with_discovery(mut self, discovery: Arc<dyn Discovery>) -> WizardConfig {
        self.discovery = Some(discovery);
        self
    }

    pub fn with_step_deadline(mut self, deadline: std::time::Duration) -> WizardConfig {
        self.step_deadline = Some(deadline);
        self
    }

    pub fn with_step_factory(mut self, factory: StepFactory) -> WizardConfig {
        self.step_factory = Some(factory);
        self
    }
}

impl std::fmt::Debug for WizardConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WizardConfig")
            .field("title", &self.title)
            .field("profile_path", &self.profile_path)
            .field("color", &self.color)
            .field("mouse", &self.mouse)
            .field("step_factory", &self.step_factory.is_some())
            .field("discovery", &self.discovery.is_some())
            .finish_non_exhaustive()
    }
}
