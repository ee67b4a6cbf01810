//! The profile form: the fields each step needs, grouped in one page per step, validated as the
//! user types by the profile itself (`Profile::from_yaml`, so every message is the profile's own).
//! First run starts from the caller's defaults; `e` edits the fields of one step of a profile.
//! Ctrl-N adds a role or workload on their pages, Ctrl-X removes the focused one.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_yaml::Value;

use super::field_path::{FieldPath, prune};
use super::form_field::FormField;
use super::form_pages::{
    EntryList, RoleSlot, hosting_fields, identity_fields, issuer_fields, scalar_text, step_fields,
    workload_fields,
};
use super::form_picker::{PickerView, Pickers, source_for};
use super::keymap;
use super::setup_defaults::SetupDefaults;
use crate::discover::{Source, Suggestion};
use crate::engine::StepId;
use crate::oidc::issuer::IssuerUrl;
use crate::profile::Profile;

/// The fields of one step.
#[derive(Clone, Debug)]
pub struct FormPage {
    pub step: StepId,
    pub fields: Vec<FormField>,
}

/// What a key did to the form.
#[derive(Clone, Debug, PartialEq)]
pub enum FormSignal {
    Continue,
    /// The user confirmed a profile the profile's own validation accepts.
    Confirmed {
        profile: Box<Profile>,
        yaml: String,
    },
    Cancelled,
}

#[derive(Clone, Debug)]
pub struct ProfileForm {
    title: String,
    /// The profile as YAML before editing: keys the form does not show survive untouched.
    base: Value,
    pages: Vec<FormPage>,
    page: usize,
    /// Index among the visible fields of the current page.
    focus: usize,
    /// Messages about fields that are not on the form (e.g. `workloads`), shown after a submit.
    general_errors: Vec<String>,
    profile: Option<Profile>,
    submitted: bool,
    /// The lists the fields pick from, and the focused field's picker.
    pickers: Pickers,
    /// Pickers ask for lists only where the host can look them up (it has a discovery).
    pickers_enabled: bool,
    ticks: u64,
}

impl ProfileForm {
    /// The first-run form: one page per step that needs input, from the caller's defaults.
    pub fn first_run(defaults: &SetupDefaults) -> ProfileForm {
        let base = defaults.base_profile();
        let roles = [RoleSlot::Azure, RoleSlot::CosmosData];
        let pages = vec![
            FormPage {
                step: StepId::Issuer,
                fields: issuer_fields(),
            },
            FormPage {
                step: StepId::Hosting,
                fields: hosting_fields(),
            },
            FormPage {
                step: StepId::Identity,
                fields: identity_fields(&roles),
            },
            FormPage {
                step: StepId::Workload,
                fields: workload_fields(0),
            },
        ];
        let mut form = ProfileForm::with_pages("a new profile", base, pages);
        for field in form.pages.iter_mut().flat_map(|page| &mut page.fields) {
            if let Some(value) = defaults.value_for(&field.path.to_string()) {
                field.set_value(value);
            }
        }
        form.validate();
        form.refresh_picker(true);
        form
    }

    /// The fields `step` uses, filled from `profile`; the rest of the profile is kept as is.
    pub fn edit(profile: &Profile, step: StepId) -> ProfileForm {
        // A profile always serializes to YAML that parses back (`Profile::to_yaml`).
        let base: Value = serde_yaml::from_str(&profile.to_yaml()).unwrap_or(Value::Null);
        let mut fields = step_fields(step, &base);
        for field in fields.iter_mut().filter(|field| !field.form_only) {
            if let Some(value) = field.path.get(&base) {
                field.set_value(&scalar_text(value));
            }
        }
        let title = format!("edit {step}: {}", step.title());
        let mut form = ProfileForm::with_pages(title, base, vec![FormPage { step, fields }]);
        form.validate();
        form.refresh_picker(true);
        form
    }

    fn with_pages(title: impl Into<String>, base: Value, pages: Vec<FormPage>) -> ProfileForm {
        ProfileForm {
            title: title.into(),
            base,
            pages,
            page: 0,
            focus: 0,
            general_errors: Vec::new(),
            profile: None,
            submitted: false,
            pickers: Pickers::default(),
            pickers_enabled: false,
            ticks: 0,
        }
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn page_index(&self) -> usize {
        self.page
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    pub fn page_step(&self) -> StepId {
        self.pages
            .get(self.page)
            .map_or(StepId::Issuer, |page| page.step)
    }

    /// The current page's visible fields, with whether each has the focus.
    pub fn visible_fields(&self) -> Vec<(&FormField, bool)> {
        let Some(page) = self.pages.get(self.page) else {
            return Vec::new();
        };
        page.fields
            .iter()
            .filter(|field| self.is_visible(field))
            .enumerate()
            .map(|(index, field)| (field, index == self.focus))
            .collect()
    }

    /// Whether the field's error is shown: once the user edited or left it, or tried to confirm.
    pub fn shows_error(&self, field: &FormField) -> bool {
        field.touched || self.submitted
    }

    /// Profile errors that belong to no field on the form, shown once the user tried to confirm.
    pub fn general_errors(&self) -> &[String] {
        if self.submitted {
            &self.general_errors
        } else {
            &[]
        }
    }

    /// The profile as it stands, when the profile's validation accepts it.
    pub fn profile(&self) -> Option<&Profile> {
        self.profile.as_ref()
    }

    pub fn field(&self, path: &str) -> Option<&FormField> {
        let path = FieldPath::parse(path);
        self.pages
            .iter()
            .flat_map(|page| &page.fields)
            .find(|field| field.path == path)
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> FormSignal {
        if self.picker_key(key) {
            return FormSignal::Continue;
        }
        let before = (self.page, self.focus);
        let text = self.focused_text();
        let signal = self.field_key(key);
        let moved = before != (self.page, self.focus);
        if !moved && text != self.focused_text() {
            self.pickers.text_changed();
        }
        self.refresh_picker(moved);
        signal
    }

    fn field_key(&mut self, key: KeyEvent) -> FormSignal {
        let control = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => return FormSignal::Cancelled,
            KeyCode::Char('s') if control => return self.submit(),
            KeyCode::Char('n') if control => self.add_entry(),
            KeyCode::Char('x') if control => self.remove_focused_entry(),
            KeyCode::Tab | KeyCode::Down => self.move_focus(true),
            KeyCode::BackTab | KeyCode::Up => self.move_focus(false),
            KeyCode::PageDown => self.turn_page(true),
            KeyCode::PageUp => self.turn_page(false),
            KeyCode::Enter => {
                let last_field = self.focus + 1 >= self.visible_count();
                let last_page = self.page + 1 >= self.pages.len();
                match (last_field, last_page) {
                    (true, true) => return self.submit(),
                    (true, false) => self.turn_page(true),
                    (false, _) => self.move_focus(true),
                }
            }
            _ => self.edit_focused(key),
        }
        FormSignal::Continue
    }

    // ---- pickers -----------------------------------------------------------------------------

    /// Lets the fields pick from lists the host looks up (see [`Self::take_lookups`]).
    pub fn enable_pickers(&mut self) {
        self.pickers_enabled = true;
        self.refresh_picker(true);
    }

    /// The lists to look up since the last call; the host runs them and calls [`Self::deliver`].
    pub fn take_lookups(&mut self) -> Vec<Source> {
        self.pickers.take_requests()
    }

    /// A list arrived. The detected distribution is pre-selected while the user has not chosen.
    pub fn deliver(&mut self, source: Source, result: Result<Vec<Suggestion>, String>) {
        if matches!(source, Source::Distribution { .. })
            && let Ok(Some(detected)) = result.as_ref().map(|list| list.first())
            && let Some(field) = self
                .pages
                .iter_mut()
                .flat_map(|page| &mut page.fields)
                .find(|field| field.path.to_string() == "cluster.distribution")
            && !field.touched
        {
            field.set_value(&detected.value);
            self.validate();
        }
        self.pickers.deliver(source, result);
    }

    /// Whether a list is still loading (the host keeps a spinner turning).
    pub fn is_loading(&self) -> bool {
        self.pickers.is_loading()
    }

    /// The host's spinner ticks, for the loading line.
    pub fn tick(&mut self) {
        self.ticks = self.ticks.wrapping_add(1);
    }

    pub fn ticks(&self) -> u64 {
        self.ticks
    }

    /// What to draw under the focused field: its list, a spinner, or why there is none.
    pub fn picker_view(&self) -> Option<PickerView<'_>> {
        let source = self.focused_source()?;
        self.pickers.view(&source, &self.focused_text())
    }

    fn focused_text(&self) -> String {
        self.focused_index()
            .map(|index| self.pages[self.page].fields[index].value().to_string())
            .unwrap_or_default()
    }

    fn focused_source(&self) -> Option<Source> {
        if !self.pickers_enabled {
            return None;
        }
        let index = self.focused_index()?;
        let field = &self.pages[self.page].fields[index];
        source_for(&field.path.to_string(), |path| {
            self.current_text(&FieldPath::parse(path))
        })
    }

    /// Asks for the focused field's list; when the focus moves, for the lists of the page's
    /// other fields too, so they load while the user is elsewhere (and a detected distribution
    /// arrives even if its field is skipped). Not on each key typed: a half-typed namespace
    /// would ask for its ServiceAccounts. A field just focused opens its picker.
    fn refresh_picker(&mut self, focus_moved: bool) {
        if focus_moved {
            self.pickers.focus_moved();
        }
        if let Some(source) = self.focused_source() {
            self.pickers.want(&source);
        }
        if !self.pickers_enabled || !focus_moved {
            return;
        }
        let sources: Vec<Source> = self
            .visible_fields()
            .iter()
            .filter_map(|(field, _)| {
                source_for(&field.path.to_string(), |path| {
                    self.current_text(&FieldPath::parse(path))
                })
            })
            .collect();
        for source in &sources {
            self.pickers.want(source);
        }
    }

    /// ↑↓ pick, Enter chooses, Esc closes the picker (to type freely) while it shows entries;
    /// `false` when the key is the field's, not the picker's.
    fn picker_key(&mut self, key: KeyEvent) -> bool {
        let Some(view) = self.picker_view() else {
            return false;
        };
        let chosen = match (&view, key.code) {
            (_, KeyCode::Esc) => {
                self.pickers.close();
                return true;
            }
            (
                PickerView::Entries {
                    entries, selected, ..
                },
                KeyCode::Up | KeyCode::Down,
            ) => {
                let by = if key.code == KeyCode::Up { -1 } else { 1 };
                let (from, count) = (*selected, entries.len());
                self.pickers.select(from, by, count);
                return true;
            }
            (
                PickerView::Entries {
                    entries, selected, ..
                },
                KeyCode::Enter,
            ) => entries[*selected].value.clone(),
            _ => return false,
        };
        if let Some(index) = self.focused_index() {
            let field = &mut self.pages[self.page].fields[index];
            field.set_value(&chosen);
            field.touched = true;
        }
        self.pickers.close();
        self.validate();
        true
    }

    /// The keys the current page answers to: adding and removing entries only where they apply.
    pub fn hints(&self) -> &'static [(&'static str, &'static str)] {
        if matches!(self.picker_view(), Some(PickerView::Entries { .. })) {
            return keymap::FORM_PICKER_HINTS;
        }
        let removable = self.focused_entry().is_some();
        match (EntryList::growable(self.page_step(), &self.base), removable) {
            (None, _) => keymap::FORM_HINTS,
            (Some(EntryList::Roles), true) => keymap::FORM_ROLE_HINTS,
            (Some(EntryList::Roles), false) => keymap::FORM_ADD_ROLE_HINTS,
            (Some(EntryList::Workloads), true) => keymap::FORM_WORKLOAD_HINTS,
            (Some(EntryList::Workloads), false) => keymap::FORM_ADD_WORKLOAD_HINTS,
        }
    }

    /// Whether `field` is the first field of a workload or role entry (drawn after a gap).
    pub fn starts_entry(&self, field: &FormField) -> bool {
        let Some(list) = EntryList::on(self.page_step()) else {
            return false;
        };
        let Some(index) = list.index_of(&field.path) else {
            return false;
        };
        self.pages[self.page]
            .fields
            .iter()
            .find(|first| list.index_of(&first.path) == Some(index))
            .is_some_and(|first| first.path == field.path)
    }

    /// Appends an empty entry to the current page's list and focuses its first field.
    fn add_entry(&mut self) {
        let Some(list) = EntryList::growable(self.page_step(), &self.base) else {
            return;
        };
        self.leave_focused();
        let index = self.entry_count(list);
        let fields = &mut self.pages[self.page].fields;
        let at = fields
            .iter()
            .rposition(|field| list.index_of(&field.path).is_some())
            .map_or(fields.len(), |last| last + 1);
        fields.splice(at..at, list.new_entry(index));
        self.focus_position(at);
        self.validate();
    }

    /// Removes the entry the focus is in, unless the profile needs it (the last workload), and
    /// focuses the entry before it.
    fn remove_focused_entry(&mut self) {
        let Some((list, index)) = self.focused_entry() else {
            return;
        };
        let entry = list.entry_path(index);
        let fields = &self.pages[self.page].fields;
        let start = fields
            .iter()
            .position(|field| field.path.starts_with(&entry))
            .unwrap_or(0);
        let removed = std::slice::from_ref(&entry);
        for page in &mut self.pages {
            page.fields.retain(|field| !field.path.starts_with(&entry));
            for field in &mut page.fields {
                field.path = field.path.after_pruning(removed);
                for (path, _) in &mut field.shown_when {
                    *path = path.after_pruning(removed);
                }
            }
        }
        self.remove_from_base(list, index);
        let fields = &self.pages[self.page].fields;
        let target = match index.checked_sub(1) {
            Some(before) => fields
                .iter()
                .position(|field| field.path.starts_with(&list.entry_path(before))),
            None if fields
                .get(start)
                .is_some_and(|f| list.index_of(&f.path).is_some()) =>
            {
                Some(start)
            }
            None => None,
        };
        self.focus_position(target.unwrap_or(start.saturating_sub(1)));
        self.validate();
    }

    /// Keys of the removed entry the form does not show would survive in the base profile.
    fn remove_from_base(&mut self, list: EntryList, index: usize) {
        let path = FieldPath::parse(list.path());
        if let Some(Value::Sequence(mut entries)) = path.get(&self.base).cloned()
            && index < entries.len()
        {
            entries.remove(index);
            path.set(&mut self.base, Value::Sequence(entries));
        }
    }

    /// The list and index of the entry the focus is in, when the user may remove that entry.
    fn focused_entry(&self) -> Option<(EntryList, usize)> {
        let list = EntryList::on(self.page_step())?;
        let field = &self.pages[self.page].fields[self.focused_index()?];
        let index = list.index_of(&field.path)?;
        (self.entry_count(list) > list.minimum()).then_some((list, index))
    }

    fn entry_count(&self, list: EntryList) -> usize {
        self.pages
            .iter()
            .flat_map(|page| &page.fields)
            .filter_map(|field| list.index_of(&field.path))
            .max()
            .map_or(0, |last| last + 1)
    }

    /// Focuses the field at `position` in the current page's field list (or the nearest one
    /// shown before it).
    fn focus_position(&mut self, position: usize) {
        let before = self.pages[self.page]
            .fields
            .iter()
            .take(position)
            .filter(|field| self.is_visible(field))
            .count();
        self.focus = before.min(self.visible_count().saturating_sub(1));
    }

    fn edit_focused(&mut self, key: KeyEvent) {
        let Some(index) = self.focused_index() else {
            return;
        };
        let field = &mut self.pages[self.page].fields[index];
        if field.handle_key(key) {
            field.touched = true;
            self.validate();
        }
    }

    fn submit(&mut self) -> FormSignal {
        self.submitted = true;
        self.validate();
        match &self.profile {
            Some(profile) => FormSignal::Confirmed {
                yaml: profile.to_yaml(),
                profile: Box::new(profile.clone()),
            },
            None => {
                self.focus_first_error();
                FormSignal::Continue
            }
        }
    }

    fn focus_first_error(&mut self) {
        for page in 0..self.pages.len() {
            let visible: Vec<bool> = self.pages[page]
                .fields
                .iter()
                .filter(|field| self.is_visible(field))
                .map(|field| field.error.is_some())
                .collect();
            if let Some(position) = visible.iter().position(|has_error| *has_error) {
                self.page = page;
                self.focus = position;
                return;
            }
        }
    }

    fn visible_count(&self) -> usize {
        self.visible_fields().len()
    }

    /// The index in the page's field list of the focused field.
    fn focused_index(&self) -> Option<usize> {
        let page = self.pages.get(self.page)?;
        page.fields
            .iter()
            .enumerate()
            .filter(|(_, field)| self.is_visible(field))
            .nth(self.focus)
            .map(|(index, _)| index)
    }

    fn leave_focused(&mut self) {
        if let Some(index) = self.focused_index() {
            self.pages[self.page].fields[index].touched = true;
        }
    }

    fn move_focus(&mut self, forward: bool) {
        self.leave_focused();
        let count = self.visible_count();
        match forward {
            true if self.focus + 1 < count => self.focus += 1,
            true if self.page + 1 < self.pages.len() => self.turn_page(true),
            false if self.focus > 0 => self.focus -= 1,
            false if self.page > 0 => {
                self.turn_page(false);
                self.focus = self.visible_count().saturating_sub(1);
            }
            _ => {}
        }
        self.validate();
    }

    fn turn_page(&mut self, forward: bool) {
        self.leave_focused();
        self.page = match forward {
            true => (self.page + 1).min(self.pages.len().saturating_sub(1)),
            false => self.page.saturating_sub(1),
        };
        self.focus = 0;
        self.validate();
    }

    fn is_visible(&self, field: &FormField) -> bool {
        field
            .shown_when
            .iter()
            .all(|(path, wanted)| self.current_text(path).as_deref() == Some(*wanted))
    }

    /// The text of a path: the form's field when there is one, else the base profile's value.
    fn current_text(&self, path: &FieldPath) -> Option<String> {
        let on_form = self
            .pages
            .iter()
            .flat_map(|page| &page.fields)
            .find(|field| field.path == *path);
        match on_form {
            Some(field) => Some(field.value().to_string()),
            None => path.get(&self.base).map(scalar_text),
        }
    }

    /// Rebuilds the profile from the fields and asks the profile what is wrong with it.
    fn validate(&mut self) {
        self.follow_issuer_host();
        let mut root = self.base.clone();
        let visible: Vec<Vec<bool>> = self
            .pages
            .iter()
            .map(|page| {
                page.fields
                    .iter()
                    .map(|field| self.is_visible(field))
                    .collect()
            })
            .collect();
        let mut local_errors = false;
        for (page, shown) in self.pages.iter_mut().zip(&visible) {
            for (field, shown) in page.fields.iter_mut().zip(shown) {
                field.error = None;
                if field.form_only {
                    continue;
                }
                match (shown, field.yaml_value()) {
                    (true, Ok(Some(value))) => field.path.set(&mut root, value),
                    (true, Err(message)) => {
                        field.error = Some(message);
                        local_errors = true;
                        field.path.remove(&mut root);
                    }
                    _ => field.path.remove(&mut root),
                }
            }
        }
        let removed = prune(&mut root);
        let yaml = serde_yaml::to_string(&root).unwrap_or_default();
        self.general_errors.clear();
        match Profile::from_yaml(&yaml) {
            Ok(profile) => self.profile = (!local_errors).then_some(profile),
            Err(error) => {
                self.profile = None;
                for field_error in error.errors() {
                    let path = FieldPath::parse(field_error.field());
                    if !self.attach_error(&path, field_error.message(), &visible, &removed) {
                        self.general_errors.push(field_error.to_string());
                    }
                }
            }
        }
    }

    /// Puts the message on the field it names, or on the first field below the path it names.
    fn attach_error(
        &mut self,
        path: &FieldPath,
        message: &str,
        visible: &[Vec<bool>],
        removed: &[FieldPath],
    ) -> bool {
        let fields = || {
            self.pages
                .iter()
                .enumerate()
                .flat_map(|(page, p)| {
                    p.fields
                        .iter()
                        .enumerate()
                        .map(move |(index, field)| (page, index, field))
                })
                .filter(|(page, index, field)| {
                    // A dropped entry's fields would take the numbers of the entries after it.
                    let dropped = removed.iter().any(|gone| field.path.starts_with(gone));
                    visible[*page][*index] && !field.form_only && !dropped
                })
                .map(|(page, index, field)| (page, index, field.path.after_pruning(removed)))
        };
        let exact = fields().find(|(_, _, field_path)| field_path == path);
        let below = || fields().find(|(_, _, field_path)| field_path.starts_with(path));
        let Some((page, index, _)) = exact.or_else(below) else {
            return false;
        };
        let field = &mut self.pages[page].fields[index];
        if field.error.is_none() {
            field.error = Some(message.to_string());
        }
        true
    }

    fn follow_issuer_host(&mut self) {
        let host = self
            .current_text(&FieldPath::parse("issuer"))
            .and_then(|issuer| IssuerUrl::parse(&issuer).ok())
            .map(|issuer| issuer.host().to_string());
        let Some(host) = host else { return };
        for field in self.pages.iter_mut().flat_map(|page| &mut page.fields) {
            if field.follows_issuer_host && !field.touched && field.value() != host {
                field.set_value(&host);
            }
        }
    }
}

#[cfg(test)]
#[path = "profile_form_tests.rs"]
mod tests;
