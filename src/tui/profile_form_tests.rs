//! The profile form's behaviour, key by key: what a user types reaches the profile, errors
//! reach their fields, entries are added and removed.

use super::*;
use crate::tui::form_pages::{AZURE_ROLE, COSMOS_DATA_ROLE};

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ctrl(letter: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(letter), KeyModifiers::CONTROL)
}

fn type_text(form: &mut ProfileForm, text: &str) {
    for c in text.chars() {
        form.handle_key(key(KeyCode::Char(c)));
    }
}

/// Moves to the next field and types into it.
fn next_field(form: &mut ProfileForm, text: &str) {
    form.handle_key(key(KeyCode::Down));
    type_text(form, text);
}

fn focused(form: &ProfileForm) -> String {
    let (field, _) = form
        .visible_fields()
        .into_iter()
        .find(|(_, focused)| *focused)
        .expect("a field has the focus");
    field.path.to_string()
}

fn focus_on(form: &mut ProfileForm, path: &str) {
    let position = form
        .visible_fields()
        .iter()
        .position(|(field, _)| field.path.to_string() == path)
        .unwrap_or_else(|| panic!("{path} is not shown"));
    form.focus = position;
}

fn confirmed(form: &mut ProfileForm) -> Profile {
    match form.handle_key(ctrl('s')) {
        FormSignal::Confirmed { profile, .. } => *profile,
        other => panic!("{other:?}: {:?}", form.general_errors),
    }
}

fn filled_defaults() -> SetupDefaults {
    SetupDefaults {
        issuer: Some("https://oidc.example.com/cluster1".into()),
        resource_group: Some("rg-application1".into()),
        location: Some("westeurope".into()),
        identity_name: Some("id-application1".into()),
        namespace: Some("application1".into()),
        service_account: Some("application1-sa".into()),
        workload_name: Some("web-server".into()),
        ..SetupDefaults::default()
    }
}

const SCOPE: &str = "/subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/resourceGroups/rg1";

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
    let form = ProfileForm::first_run(&filled_defaults());
    let profile = form.profile().expect("valid");
    assert_eq!(profile.identities[0].roles.len(), 0);
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
    focus_on(&mut form, "identity.roles[1].cosmosDataRole");
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

#[test]
fn ctrl_n_adds_a_role_and_a_workload_whose_typed_values_reach_the_profile() {
    let mut form = ProfileForm::first_run(&filled_defaults());
    form.handle_key(key(KeyCode::PageDown));
    form.handle_key(key(KeyCode::PageDown));
    assert_eq!(form.page_step(), StepId::Identity);
    focus_on(&mut form, "identity.roles[0].role");
    type_text(&mut form, "Storage Blob Data Reader");
    next_field(&mut form, SCOPE);
    form.handle_key(ctrl('n'));
    assert_eq!(
        focused(&form),
        "identity.roles[2]",
        "the new entry's first field"
    );
    assert_eq!(form.field("identity.roles[2]").unwrap().value(), AZURE_ROLE);
    next_field(&mut form, "Key Vault Secrets User");
    next_field(&mut form, SCOPE);
    form.handle_key(key(KeyCode::PageDown));
    form.handle_key(ctrl('n'));
    assert_eq!(focused(&form), "workloads[1].namespace");
    type_text(&mut form, "application2");
    next_field(&mut form, "worker-sa");
    form.handle_key(key(KeyCode::Down));
    form.handle_key(key(KeyCode::Char('s')));
    next_field(&mut form, "worker");

    let profile = confirmed(&mut form);
    let roles: Vec<String> = profile.identities[0]
        .roles
        .iter()
        .map(|role| match role {
            crate::profile::RoleAssignment::Azure { role, .. } => role.as_str().to_string(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        roles,
        ["Storage Blob Data Reader", "Key Vault Secrets User"]
    );
    assert_eq!(profile.workloads.len(), 2);
    let added = &profile.workloads[1];
    assert_eq!(
        added.subject(),
        "system:serviceaccount:application2:worker-sa"
    );
    assert_eq!(
        (added.kind.to_string(), added.name.as_str()),
        ("StatefulSet".to_string(), "worker")
    );
    let reloaded = Profile::from_yaml(&profile.to_yaml()).expect("round trip");
    assert_eq!(reloaded, profile);
}

#[test]
fn ctrl_x_removes_the_focused_entry_and_focuses_the_one_before() {
    let mut form = ProfileForm::edit(&Profile::example(), StepId::Workload);
    form.handle_key(ctrl('n'));
    type_text(&mut form, "application2");
    next_field(&mut form, "worker-sa");
    next_field(&mut form, "");
    next_field(&mut form, "worker");
    assert_eq!(form.profile().expect("valid").workloads.len(), 2);
    form.handle_key(ctrl('x'));
    assert!(form.field("workloads[1].namespace").is_none());
    assert_eq!(focused(&form), "workloads[0].namespace");
    assert_eq!(confirmed(&mut form), Profile::example());

    let mut form = ProfileForm::edit(&Profile::example(), StepId::Identity);
    focus_on(&mut form, "identity.roles[1].account");
    form.handle_key(ctrl('x'));
    assert_eq!(focused(&form), "identity.roles[0]");
    form.handle_key(ctrl('x'));
    assert_eq!(focused(&form), "identity.kind", "no role is left");
    assert!(form.field("identity.roles[0].role").is_none());
    let mut expected = Profile::example();
    expected.identities[0].roles.clear();
    assert_eq!(confirmed(&mut form), expected);
}

#[test]
fn removing_a_workload_takes_its_keys_the_form_does_not_show_with_it() {
    let mut root: Value = serde_yaml::from_str(&Profile::example().to_yaml()).unwrap();
    let second = "{namespace: application2, serviceAccount: worker-sa, kind: Job, name: worker, \
                  federatedCredentialName: fc-worker}";
    let workloads = FieldPath::parse("workloads");
    let mut entries = workloads.get(&root).unwrap().as_sequence().unwrap().clone();
    entries.push(serde_yaml::from_str(second).unwrap());
    workloads.set(&mut root, Value::Sequence(entries));
    let yaml = serde_yaml::to_string(&root).unwrap();
    let profile = Profile::from_yaml(&yaml).expect("two workloads");
    let mut form = ProfileForm::edit(&profile, StepId::Workload);
    focus_on(&mut form, "workloads[0].name");
    form.handle_key(ctrl('x'));
    assert_eq!(
        focused(&form),
        "workloads[0].namespace",
        "the entry that moved up"
    );
    assert_eq!(form.field("workloads[0].name").unwrap().value(), "worker");
    let saved = confirmed(&mut form);
    assert_eq!(saved.workloads.len(), 1);
    assert_eq!(saved.workloads[0], profile.workloads[1]);
}

#[test]
fn the_last_workload_cannot_be_removed() {
    let mut form = ProfileForm::edit(&Profile::example(), StepId::Workload);
    focus_on(&mut form, "workloads[0].name");
    assert!(!form.hints().iter().any(|(keys, _)| keys.contains("Ctrl-X")));
    form.handle_key(ctrl('x'));
    assert_eq!(
        form.field("workloads[0].name").unwrap().value(),
        "web-server"
    );
    assert_eq!(focused(&form), "workloads[0].name");
    assert_eq!(confirmed(&mut form), Profile::example());
    form.handle_key(ctrl('n'));
    assert!(form.hints().iter().any(|(keys, _)| keys.contains("Ctrl-X")));
}

#[test]
fn an_error_in_an_added_entry_shows_on_its_own_field() {
    let mut form = ProfileForm::first_run(&filled_defaults());
    form.handle_key(key(KeyCode::PageDown));
    form.handle_key(key(KeyCode::PageDown));
    form.handle_key(key(KeyCode::PageDown));
    form.handle_key(ctrl('n'));
    type_text(&mut form, "App_2");
    let namespace = form.field("workloads[1].namespace").unwrap();
    assert!(
        namespace.error.as_deref().unwrap().contains("App_2"),
        "{namespace:?}"
    );
    assert!(form.shows_error(namespace));
    assert!(
        form.field("workloads[0].namespace")
            .unwrap()
            .error
            .is_none()
    );

    // Both first-run roles stay empty and are dropped: the added one is roles[0] to the
    // profile, and its message still reaches roles[2].
    form.handle_key(key(KeyCode::PageUp));
    form.handle_key(ctrl('n'));
    next_field(&mut form, "Storage Blob Data Reader");
    let scope = form.field("identity.roles[2].scope").unwrap();
    assert!(
        scope.error.as_deref().unwrap().contains("is missing"),
        "{scope:?}"
    );
}

#[test]
fn the_role_switch_picks_the_fields_and_is_not_written() {
    let mut form = ProfileForm::first_run(&filled_defaults());
    form.handle_key(key(KeyCode::PageDown));
    form.handle_key(key(KeyCode::PageDown));
    form.handle_key(ctrl('n'));
    form.handle_key(key(KeyCode::Char('c')));
    assert_eq!(
        form.field("identity.roles[2]").unwrap().value(),
        COSMOS_DATA_ROLE
    );
    next_field(&mut form, "Cosmos DB Built-in Data Reader");
    assert_eq!(focused(&form), "identity.roles[2].cosmosDataRole");
    next_field(
        &mut form,
        "/subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/resourceGroups/rg1/providers/Microsoft.DocumentDB/databaseAccounts/cosmos1",
    );
    let profile = confirmed(&mut form);
    assert!(matches!(
        profile.identities[0].roles.as_slice(),
        [crate::profile::RoleAssignment::CosmosData { .. }]
    ));
}
