//! The profile form: the fields each step needs, grouped in one page per step, validated as the
//! user types by the profile itself (`Profile::from_yaml`, so every message is the profile's own).
//! First run starts from the caller's defaults; `e` edits the fields of one step of a profile.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_yaml::{Mapping, Value};

use super::field_path::{FieldPath, prune};
use super::form_field::{FieldKind, FormField};
use super::setup_defaults::SetupDefaults;
use crate::engine::StepId;
use crate::oidc::issuer::IssuerUrl;
use crate::profile::Profile;

const DISTRIBUTIONS: &[&str] = &[
    "auto",
    "k0s",
    "k3s",
    "rke2",
    "kubeadm",
    "microk8s",
    "kind",
    "minikube",
    "talos",
    "openshift",
];
const HOSTING_KINDS: &[&str] = &["nginx", "azure-blob", "directory", "apiserver"];
const BLOB_MODES: &[&str] = &["public-container", "static-website"];
const WORKLOAD_KINDS: &[&str] = &["Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job"];
const WORKLOAD_MODES: &[&str] = &["patch", "webhook", "export"];

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
}

impl ProfileForm {
    /// The first-run form: one page per step that needs input, from the caller's defaults.
    pub fn first_run(defaults: &SetupDefaults) -> ProfileForm {
        let base = Value::Mapping(Mapping::new());
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
                fields: workload_fields(1),
            },
        ];
        let mut form = ProfileForm::with_pages("a new profile", base, pages);
        for field in form.pages.iter_mut().flat_map(|page| &mut page.fields) {
            if let Some(value) = defaults.value_for(&field.path.to_string()) {
                field.set_value(value);
            }
        }
        form.validate();
        form
    }

    /// The fields `step` uses, filled from `profile`; the rest of the profile is kept as is.
    pub fn edit(profile: &Profile, step: StepId) -> ProfileForm {
        // A profile always serializes to YAML that parses back (`Profile::to_yaml`).
        let base: Value = serde_yaml::from_str(&profile.to_yaml()).unwrap_or(Value::Null);
        let mut fields = step_fields(step, &base);
        for field in &mut fields {
            if let Some(value) = field.path.get(&base) {
                field.set_value(&scalar_text(value));
            }
        }
        let title = format!("edit {step}: {}", step.title());
        let mut form = ProfileForm::with_pages(title, base, vec![FormPage { step, fields }]);
        form.validate();
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
        let control = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => return FormSignal::Cancelled,
            KeyCode::Char('s') if control => return self.submit(),
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
                .filter(|(page, index, _)| visible[*page][*index])
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

/// A scalar as the user types it.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        _ => String::new(),
    }
}

/// Which kind of role a role entry of the form holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RoleSlot {
    Azure,
    CosmosData,
}

/// The fields `step` uses, for a profile shaped like `base` (one set per workload and role).
fn step_fields(step: StepId, base: &Value) -> Vec<FormField> {
    let count = |path: &str| {
        FieldPath::parse(path)
            .get(base)
            .and_then(Value::as_sequence)
            .map_or(0, Vec::len)
    };
    match step {
        StepId::Issuer => issuer_fields(),
        StepId::Hosting => hosting_fields(),
        StepId::Identity => {
            let roles: Vec<RoleSlot> = (0..count("identity.roles"))
                .map(|index| {
                    let cosmos =
                        FieldPath::parse(&format!("identity.roles[{index}].cosmosDataRole"))
                            .get(base)
                            .is_some();
                    if cosmos {
                        RoleSlot::CosmosData
                    } else {
                        RoleSlot::Azure
                    }
                })
                .collect();
            identity_fields(&roles)
        }
        StepId::Federation => federation_fields(count("workloads")),
        StepId::Workload => workload_fields(count("workloads").max(1)),
        StepId::Verify => vec![
            FormField::text(
                "issuer",
                "the issuer Entra ID compares byte for byte with the token's iss",
            ),
            FormField::text(
                "azure.tenant",
                "the tenant to exchange the token at; empty: from the Azure CLI",
            )
            .optional(),
        ],
    }
}

fn issuer_fields() -> Vec<FormField> {
    vec![
        FormField::text(
            "cluster.context",
            "kubeconfig context (kubectl config get-contexts); empty: the current one",
        )
        .optional(),
        FormField::choice(
            "cluster.distribution",
            DISTRIBUTIONS,
            "decides where the issuer flag lives; auto: detect it",
        ),
        FormField::text(
            "issuer",
            "the public https URL that serves the discovery document, e.g. https://oidc.example.com/cluster1",
        ),
    ]
}

fn hosting_fields() -> Vec<FormField> {
    let nginx = |field: FormField| field.shown_when("hosting.kind", "nginx");
    let blob = |field: FormField| field.shown_when("hosting.kind", "azure-blob");
    vec![
        FormField::choice(
            "hosting.kind",
            HOSTING_KINDS,
            "where the discovery document and JWKS are published",
        ),
        nginx(
            FormField::text("hosting.nginx.host", "the issuer's host name").following_issuer_host(),
        ),
        nginx(
            FormField::text(
                "hosting.nginx.ingressClass",
                "the IngressClass; empty: nginx",
            )
            .optional()
            .with_value("nginx"),
        ),
        nginx(
            FormField::text(
                "hosting.nginx.clusterIssuer",
                "the cert-manager ClusterIssuer; empty: you provide TLS",
            )
            .optional(),
        ),
        nginx(
            FormField::text(
                "hosting.nginx.namespace",
                "where nginx runs; empty: kwif-oidc",
            )
            .optional(),
        ),
        blob(FormField::text(
            "hosting.azureBlob.storageAccount",
            "the storage account that serves the documents (created when missing), e.g. stoidc1",
        )),
        blob(
            FormField::text(
                "hosting.azureBlob.resourceGroup",
                "the account's resource group; empty: azure.resourceGroup",
            )
            .optional(),
        ),
        blob(FormField::choice(
            "hosting.azureBlob.mode",
            BLOB_MODES,
            "a public container, or the $web static website",
        )),
        blob(FormField::text(
            "hosting.azureBlob.container",
            "the container that serves the documents, e.g. oidc",
        ))
        .shown_when("hosting.azureBlob.mode", "public-container"),
        FormField::text(
            "hosting.directory.path",
            "the directory your static host serves, e.g. ./public",
        )
        .shown_when("hosting.kind", "directory"),
    ]
}

fn identity_fields(roles: &[RoleSlot]) -> Vec<FormField> {
    let mut fields = vec![
        FormField::text(
            "azure.tenant",
            "tenant id (az account show --query tenantId); empty: from the Azure CLI",
        )
        .optional(),
        FormField::text(
            "azure.subscription",
            "subscription id (az account show --query id); empty: from the Azure CLI",
        )
        .optional(),
        FormField::text(
            "azure.resourceGroup",
            "the resource group of the managed identity, e.g. rg-application1",
        ),
        FormField::text("azure.location", "the region's short name, e.g. westeurope"),
        FormField::text(
            "identity.name",
            "the managed identity to create or reuse, e.g. id-application1",
        ),
    ];
    for (index, slot) in roles.iter().enumerate() {
        let path = |key: &str| format!("identity.roles[{index}].{key}");
        match slot {
            RoleSlot::Azure => fields.extend([
                FormField::text(
                    &path("role"),
                    "an Azure role, e.g. Storage Blob Data Reader; empty: none",
                )
                .optional(),
                FormField::text(
                    &path("scope"),
                    "the resource id it applies to, starting with /subscriptions/",
                )
                .optional(),
            ]),
            RoleSlot::CosmosData => fields.extend([
                FormField::text(
                    &path("cosmosDataRole"),
                    "a Cosmos DB data role, e.g. Cosmos DB Built-in Data Reader; empty: none",
                )
                .optional(),
                FormField::text(&path("account"), "the Cosmos DB account's resource id").optional(),
            ]),
        }
    }
    fields
}

fn workload_fields(count: usize) -> Vec<FormField> {
    let mut fields = Vec::new();
    for index in 0..count {
        let path = |key: &str| format!("workloads[{index}].{key}");
        fields.extend([
            FormField::text(
                &path("namespace"),
                "the workload's namespace, e.g. application1",
            ),
            FormField::text(
                &path("serviceAccount"),
                "the ServiceAccount its pods run as, e.g. application1-sa",
            ),
            FormField::choice(
                &path("kind"),
                WORKLOAD_KINDS,
                "the kind of object that runs the pods",
            ),
            FormField::text(&path("name"), "the object's name, e.g. web-server"),
            FormField::choice(
                &path("mode"),
                WORKLOAD_MODES,
                "patch: server-side apply; webhook: AWI label; export: patches",
            ),
            FormField::new(
                &path("tokenExpirationSeconds"),
                FieldKind::Number,
                "projected token lifetime, 600 to 86400",
            )
            .with_value("3600"),
        ]);
    }
    fields
}

fn federation_fields(workloads: usize) -> Vec<FormField> {
    let mut fields = vec![FormField::text(
        "issuer",
        "copied byte for byte into every federated credential",
    )];
    for index in 0..workloads {
        fields.push(
            FormField::text(
                &format!("workloads[{index}].federatedCredentialName"),
                "the credential's name; empty: kwif-<namespace>-<serviceAccount>",
            )
            .optional(),
        );
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn type_text(form: &mut ProfileForm, text: &str) {
        for c in text.chars() {
            form.handle_key(key(KeyCode::Char(c)));
        }
    }

    #[test]
    fn editing_a_valid_profile_confirms_it_unchanged() {
        let profile = Profile::example();
        for step in StepId::ALL {
            let mut form = ProfileForm::edit(&profile, step);
            assert!(
                form.profile().is_some(),
                "{step}: {:?}",
                form.general_errors
            );
            match form.handle_key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)) {
                FormSignal::Confirmed {
                    profile: confirmed, ..
                } => assert_eq!(*confirmed, profile, "{step}"),
                other => panic!("{step}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_bad_issuer_shows_the_profiles_message_as_you_type() {
        let mut form = ProfileForm::edit(&Profile::example(), StepId::Issuer);
        form.handle_key(key(KeyCode::Down));
        form.handle_key(key(KeyCode::Down));
        for _ in 0..40 {
            form.handle_key(key(KeyCode::Backspace));
        }
        type_text(&mut form, "http://oidc.example.com/c1");
        let issuer = form.field("issuer").unwrap();
        let expected = Profile::from_yaml(&Profile::example().to_yaml().replace(
            "https://oidc.example.com/cluster1",
            "http://oidc.example.com/c1",
        ))
        .unwrap_err();
        let message = expected
            .errors()
            .iter()
            .find(|e| e.field() == "issuer")
            .unwrap()
            .message()
            .to_string();
        assert_eq!(issuer.error.as_deref(), Some(message.as_str()));
        assert!(form.shows_error(issuer));
        assert_eq!(
            form.handle_key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)),
            FormSignal::Continue
        );
    }

    #[test]
    fn first_run_needs_the_required_fields_and_follows_the_issuer_host() {
        let defaults = SetupDefaults {
            context: Some("my-k0s".into()),
            ..SetupDefaults::default()
        };
        let mut form = ProfileForm::first_run(&defaults);
        assert_eq!(form.field("cluster.context").unwrap().value(), "my-k0s");
        assert!(form.profile().is_none());
        form.handle_key(key(KeyCode::Down));
        form.handle_key(key(KeyCode::Down));
        type_text(&mut form, "https://oidc.example.org/c1");
        assert_eq!(
            form.field("hosting.nginx.host").unwrap().value(),
            "oidc.example.org"
        );
        assert_eq!(form.field("issuer").unwrap().error, None);
        assert!(
            form.field("identity.name")
                .unwrap()
                .error
                .as_deref()
                .unwrap()
                .contains("is missing")
        );
    }

    #[test]
    fn first_run_with_every_field_filled_gives_a_valid_profile() {
        let defaults = SetupDefaults {
            issuer: Some("https://oidc.example.com/cluster1".into()),
            resource_group: Some("rg-application1".into()),
            location: Some("westeurope".into()),
            identity_name: Some("id-application1".into()),
            namespace: Some("application1".into()),
            service_account: Some("application1-sa".into()),
            workload_name: Some("web-server".into()),
            ..SetupDefaults::default()
        };
        let form = ProfileForm::first_run(&defaults);
        let profile = form.profile().expect("valid");
        assert_eq!(profile.identity.roles.len(), 0);
        assert_eq!(
            profile.workloads[0].subject(),
            "system:serviceaccount:application1:application1-sa"
        );
    }

    #[test]
    fn an_error_in_a_later_role_reaches_its_field_after_an_empty_role_is_dropped() {
        let defaults = SetupDefaults {
            issuer: Some("https://oidc.example.com/cluster1".into()),
            resource_group: Some("rg".into()),
            location: Some("westeurope".into()),
            identity_name: Some("id-app".into()),
            namespace: Some("app".into()),
            service_account: Some("app-sa".into()),
            workload_name: Some("web".into()),
            ..SetupDefaults::default()
        };
        let mut form = ProfileForm::first_run(&defaults);
        form.turn_page(true);
        form.turn_page(true);
        form.focus = 7;
        type_text(&mut form, "Cosmos DB Built-in Data Reader");
        let account = form.field("identity.roles[1].account").unwrap();
        assert!(
            account.error.as_deref().unwrap().contains("is missing"),
            "{:?}",
            account.error
        );
    }

    #[test]
    fn switching_hosting_kind_drops_the_other_block() {
        let mut form = ProfileForm::edit(&Profile::example(), StepId::Hosting);
        form.handle_key(key(KeyCode::Char('d')));
        assert_eq!(form.field("hosting.kind").unwrap().value(), "directory");
        assert!(form.profile().is_none());
        form.handle_key(key(KeyCode::Down));
        type_text(&mut form, "./public");
        let profile = form.profile().expect("valid");
        assert_eq!(profile.hosting.kind(), "directory");
    }
}
