//! The profile form's identity fields beyond the single `identity:` the form was built for: the
//! kind of an identity, and a profile with several identities (`identities:`), whose names and
//! kinds the form edits while their roles stay in kwif.yaml. Fields only; no validation here.

use serde_yaml::Value;

use super::field_path::FieldPath;
use super::form_field::FormField;
use crate::profile::IdentityKind;

/// How many identities `base` lists under `identities:`, if it uses that form.
pub(super) fn listed_identities(base: &Value) -> Option<usize> {
    FieldPath::parse("identities")
        .get(base)
        .and_then(Value::as_sequence)
        .map(Vec::len)
}

/// The kind switch of the identity at `field` (`identity` or `identities[i]`).
pub(super) fn kind_field(field: &str) -> FormField {
    FormField::choice(
        &format!("{field}.kind"),
        IdentityKind::WORDS,
        "managedIdentity: created through Resource Manager; application: an app registration through \
         Microsoft Graph (needs Application.ReadWrite.OwnedBy)",
    )
}

/// Name and kind of each of `count` listed identities.
pub(super) fn listed_identity_fields(count: usize) -> Vec<FormField> {
    (0..count)
        .flat_map(|index| {
            let field = format!("identities[{index}]");
            [
                FormField::text(
                    &format!("{field}.name"),
                    "the identity's name; its roles are edited in kwif.yaml",
                ),
                kind_field(&field),
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::super::profile_form::{FormSignal, ProfileForm};
    use crate::engine::StepId;
    use crate::profile::{IdentityKind, Profile};

    fn profile(identities: &str) -> Profile {
        Profile::from_yaml(&format!(
            "issuer: https://oidc.example.com\nhosting: {{ kind: apiserver }}\n\
             azure: {{ resourceGroup: rg1, location: westeurope }}\n{identities}\
             workloads:\n  - {{ namespace: app, serviceAccount: web-sa, name: web, identity: id-web }}\n"
        ))
        .unwrap()
    }

    fn confirm(form: &mut ProfileForm) -> Profile {
        let save = KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL);
        match form.handle_key(save) {
            FormSignal::Confirmed { profile, .. } => *profile,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn several_identities_are_edited_by_name_and_kind_and_keep_their_roles() {
        let listed = profile(
            "identities:\n  - name: id-web\n    roles: [{ role: Reader, scope: /subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc }]\n  \
             - { name: id-jobs, kind: application }\n",
        );
        let mut form = ProfileForm::edit(&listed, StepId::Identity);
        assert!(form.field("identity.name").is_none());
        assert_eq!(
            form.field("identities[1].kind").unwrap().value(),
            "application"
        );
        let before = form
            .field("identities[1].name")
            .unwrap()
            .value()
            .to_string();
        form.handle_key(KeyEvent::new(KeyCode::Char('n'), KeyModifiers::CONTROL));
        assert!(
            form.field("identity.roles[0]").is_none(),
            "no role entry for a listed identity"
        );
        assert_eq!(before, "id-jobs");
        assert_eq!(
            confirm(&mut form),
            listed,
            "a save without changes keeps every identity and role"
        );
    }

    #[test]
    fn the_single_identity_form_offers_its_kind() {
        let single = profile("identity: { name: id-web }\n");
        let form = ProfileForm::edit(&single, StepId::Identity);
        assert_eq!(
            form.field("identity.kind").unwrap().value(),
            IdentityKind::ManagedIdentity.as_str()
        );
    }
}
