//! The first run: the profile form full screen, then a review of the kwif.yaml it will write
//! (shown before anything is written; `y` writes it). Headless like the wizard: `handle_key`
//! and `render` over any backend.

use std::io;
use std::path::PathBuf;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::{Stream, StreamExt};
use ratatui::Frame;
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::form_view::render_form;
use super::profile_file::write_profile;
use super::profile_form::{FormSignal, ProfileForm};
use super::render::hint_line;
use super::setup_defaults::SetupDefaults;
use super::theme::Theme;
use super::wizard_config::WizardConfig;
use crate::discover::{Discovery, Source, Suggestion};
use crate::profile::Profile;
use std::sync::Arc;

/// The profile the user confirmed, and where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct SetupResult {
    pub profile: Profile,
    pub yaml: String,
    pub written_to: Option<PathBuf>,
}

#[derive(Clone)]
pub struct SetupScreen {
    title: String,
    theme: Theme,
    form: ProfileForm,
    /// The confirmed profile and its YAML, shown for review before writing.
    review: Option<(Profile, String)>,
    review_scroll: usize,
    path: Option<PathBuf>,
    /// `Some(None)`: cancelled; `Some(Some(..))`: confirmed.
    finished: Option<Option<(Profile, String)>>,
    /// What the fields' pickers list; none: free text only.
    discovery: Option<Arc<dyn Discovery>>,
}

impl std::fmt::Debug for SetupScreen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetupScreen")
            .field("title", &self.title)
            .field("form", &self.form)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SetupScreen {
    pub fn new(defaults: &SetupDefaults, config: &WizardConfig) -> SetupScreen {
        let mut form = ProfileForm::first_run(defaults);
        if config.discovery.is_some() {
            form.enable_pickers();
        }
        SetupScreen {
            title: config.title.clone(),
            theme: Theme::new(config.color),
            form,
            review: None,
            review_scroll: 0,
            path: config.profile_path.clone(),
            finished: None,
            discovery: config.discovery.clone(),
        }
    }

    /// A list the pickers asked for arrived.
    pub fn deliver(&mut self, source: Source, result: Result<Vec<Suggestion>, String>) {
        self.form.deliver(source, result);
    }

    /// Starts the lookups the pickers asked for; results come back on `results`.
    fn look_up_lists(
        &mut self,
        results: &tokio::sync::mpsc::UnboundedSender<(Source, Result<Vec<Suggestion>, String>)>,
    ) {
        let Some(discovery) = &self.discovery else {
            return;
        };
        for source in self.form.take_lookups() {
            let lookup = discovery.list(source.clone());
            let results = results.clone();
            tokio::spawn(async move {
                let _ = results.send((source, lookup.await));
            });
        }
    }

    pub fn form(&self) -> &ProfileForm {
        &self.form
    }

    pub fn is_reviewing(&self) -> bool {
        self.review.is_some()
    }

    pub fn is_finished(&self) -> bool {
        self.finished.is_some()
    }

    /// The confirmed profile and its YAML, once the user pressed `y` on the review.
    pub fn confirmed(&self) -> Option<&(Profile, String)> {
        self.finished.as_ref().and_then(Option::as_ref)
    }

    pub fn handle_key(&mut self, key: KeyEvent) {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            self.finished = Some(None);
            return;
        }
        if self.review.is_some() {
            match key.code {
                KeyCode::Char('y' | 'Y') => self.finished = Some(self.review.take()),
                KeyCode::Esc | KeyCode::Char('n' | 'N') => self.review = None,
                KeyCode::Down | KeyCode::Char('j') => self.review_scroll += 1,
                KeyCode::Up | KeyCode::Char('k') => {
                    self.review_scroll = self.review_scroll.saturating_sub(1);
                }
                _ => {}
            }
            return;
        }
        match self.form.handle_key(key) {
            FormSignal::Continue => {}
            FormSignal::Cancelled => self.finished = Some(None),
            FormSignal::Confirmed { profile, yaml } => {
                self.review = Some((*profile, yaml));
                self.review_scroll = 0;
            }
        }
    }

    pub fn render(&self, frame: &mut Frame) {
        let area = frame.area();
        if area.width == 0 || area.height == 0 {
            return;
        }
        let [title, body] =
            Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
        let line = Line::from(vec![
            Span::styled(" kwif", self.theme.title()),
            Span::raw(format!(" · {}", self.title)),
        ]);
        frame.render_widget(Paragraph::new(line), title);
        match &self.review {
            Some((_, yaml)) => self.render_review(yaml, frame, body),
            None => render_form(&self.form, self.theme, frame, body),
        }
    }

    fn render_review(&self, yaml: &str, frame: &mut Frame, area: Rect) {
        let target = self
            .path
            .as_ref()
            .map_or("this profile".to_string(), |path| {
                path.display().to_string()
            });
        let block = Block::new()
            .borders(Borders::ALL)
            .border_style(self.theme.border(true))
            .title(Span::styled(
                format!(" review: {target} "),
                self.theme.heading(),
            ));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        if inner.height < 2 {
            return;
        }
        let body = Rect::new(inner.x, inner.y, inner.width, inner.height - 1);
        let lines: Vec<Line> = yaml
            .lines()
            .map(|line| Line::from(format!(" {line}")))
            .collect();
        let scroll = self
            .review_scroll
            .min(lines.len().saturating_sub(body.height as usize));
        frame.render_widget(
            Paragraph::new(lines.into_iter().skip(scroll).collect::<Vec<_>>()),
            body,
        );
        let verb = if self.path.is_some() {
            "write it"
        } else {
            "use it"
        };
        let hints = [("y", verb), ("Esc", "back to the form"), ("↑↓", "scroll")];
        frame.render_widget(
            Paragraph::new(hint_line(self.theme, &hints, inner.width as usize)),
            Rect::new(inner.x, inner.bottom() - 1, inner.width, 1),
        );
    }

    /// Draws and reads keys until the user confirms or cancels; writes kwif.yaml on `y`.
    pub async fn run_in<B, S>(
        mut self,
        terminal: &mut Terminal<B>,
        mut events: S,
    ) -> io::Result<Option<SetupResult>>
    where
        B: Backend,
        B::Error: Send + Sync + 'static,
        S: Stream<Item = io::Result<Event>> + Unpin,
    {
        let (sender, mut results) = tokio::sync::mpsc::unbounded_channel();
        let mut ticker = tokio::time::interval(std::time::Duration::from_millis(100));
        while self.finished.is_none() {
            self.look_up_lists(&sender);
            terminal
                .draw(|frame| self.render(frame))
                .map_err(io::Error::other)?;
            let loading = self.form.is_loading();
            tokio::select! {
                event = events.next() => match event {
                    Some(Ok(Event::Key(key)))
                        if key.kind != crossterm::event::KeyEventKind::Release =>
                    {
                        self.handle_key(key);
                    }
                    Some(Ok(_)) => {}
                    Some(Err(error)) => return Err(error),
                    None => self.finished = Some(None),
                },
                Some((source, result)) = results.recv() => self.deliver(source, result),
                _ = ticker.tick(), if loading => self.form.tick(),
            }
        }
        let Some(Some((profile, yaml))) = self.finished else {
            return Ok(None);
        };
        if let Some(path) = &self.path {
            write_profile(path, &yaml)?;
        }
        Ok(Some(SetupResult {
            profile,
            yaml,
            written_to: self.path,
        }))
    }
}
