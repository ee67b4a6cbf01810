//! The identities: `identity:` (one) or `identities:` (several, never both), each with a unique
//! name, a kind, its roles (each entry naming exactly one role) and the ids kwif resolved.

use crate::profile::choice::IdentityKind;
use crate::profile::error::quoted;
use crate::profile::ids::guid;
use crate::profile::raw::{RawIdentity, RawRole};
use crate::profile::{
    CosmosAccountId, Identity, IdentityName, RoleAssignment, RoleName, RoleScope,
};

use super::Checker;
use super::azure::GraphUser;

/// The identity entries of kwif.yaml with their paths: `identity` for the single form,
/// `identities[i]` for the list. Neither given reads as an empty `identity:`, so the missing
/// name is reported where a new profile would write it.
pub(super) fn identity_entries(
    checker: &mut Checker,
    single: Option<RawIdentity>,
    list: Option<Vec<RawIdentity>>,
) -> Vec<(String, RawIdentity)> {
    match (single, list) {
        (Some(_), Some(_)) => {
            checker.fail(
                "identities",
                "is given together with identity: write one identity under identity:, or every identity \
                 under identities:, not both",
            );
            Vec::new()
        }
        (Some(one), None) => vec![("identity".to_string(), one)],
        (None, Some(list)) if list.is_empty() => {
            checker.fail(
                "identities",
                "is empty: add at least one identity, e.g. - { name: id-application1 }",
            );
            Vec::new()
        }
        (None, Some(list)) => list
            .into_iter()
            .enumerate()
            .map(|(index, raw)| (format!("identities[{index}]"), raw))
            .collect(),
        (None, None) => vec![("identity".to_string(), RawIdentity::default())],
    }
}

/// The first entry of kind application, which makes Microsoft Graph's endpoint necessary.
pub(super) fn graph_user(entries: &[(String, RawIdentity)]) -> Option<GraphUser> {
    entries.iter().find_map(|(field, raw)| {
        (raw.kind.as_deref() == Some(IdentityKind::Application.as_str())).then(|| GraphUser {
            field: field.clone(),
            name: raw.name.clone().unwrap_or_default(),
        })
    })
}

/// Every identity, typed; `None` when one of them is broken (each problem recorded).
pub(super) fn check_identities(
    checker: &mut Checker,
    entries: Vec<(String, RawIdentity)>,
) -> Option<Vec<Identity>> {
    let complete = !entries.is_empty();
    let mut identities: Vec<(String, Identity)> = Vec::new();
    let mut broken = false;
    for (field, raw) in entries {
        let Some(identity) = check_identity(checker, &field, raw) else {
            broken = true;
            continue;
        };
        if let Some((first, _)) = identities
            .iter()
            .find(|(_, known)| known.name == identity.name)
        {
            checker.fail(
                format!("{field}.name"),
                format!(
                    "{} is already the name of {first}: each identity needs its own name",
                    quoted(identity.name.as_str())
                ),
            );
            broken = true;
            continue;
        }
        identities.push((field, identity));
    }
    (complete && !broken).then(|| {
        identities
            .into_iter()
            .map(|(_, identity)| identity)
            .collect()
    })
}

fn check_identity(checker: &mut Checker, field: &str, raw: RawIdentity) -> Option<Identity> {
    let kind = checker.or_default(
        &format!("{field}.kind"),
        raw.kind.as_deref(),
        IdentityKind::parse,
    );
    let name = checker.required(
        &format!("{field}.name"),
        raw.name.as_deref(),
        IdentityName::parse,
        match kind {
            IdentityKind::ManagedIdentity => {
                "add the name of the managed identity to create or reuse, e.g. \"id-application1\""
            }
            IdentityKind::Application => {
                "add the display name of the app registration to create or reuse, e.g. \"id-application1\""
            }
        },
    );
    let mut roles: Vec<(usize, RoleAssignment)> = Vec::new();
    for (index, raw_role) in raw.roles.unwrap_or_default().into_iter().enumerate() {
        let path = format!("{field}.roles[{index}]");
        let Some(role) = check_role(checker, &path, raw_role) else {
            continue;
        };
        if let Some((earlier, _)) = roles.iter().find(|(_, known)| *known == role) {
            checker.fail(
                path,
                format!("repeats {field}.roles[{earlier}]: remove one of them"),
            );
            continue;
        }
        roles.push((index, role));
    }
    let resolved_fix = match kind {
        IdentityKind::ManagedIdentity => {
            "kwif writes it after the identity step; copy it from `az identity show --query clientId` \
             (principalId: `--query principalId`) or remove it"
        }
        IdentityKind::Application => {
            "kwif writes it after the identity step; copy it from `az ad app list --display-name NAME --query \
             [].appId` (principalId: `az ad sp show --id APPID --query id`) or remove it"
        }
    };
    let client_id = checker.optional(
        &format!("{field}.clientId"),
        raw.client_id.as_deref(),
        |text| guid(text, resolved_fix),
    );
    let principal_id = checker.optional(
        &format!("{field}.principalId"),
        raw.principal_id.as_deref(),
        |text| guid(text, resolved_fix),
    );
    Some(Identity {
        name: name?,
        kind,
        roles: roles.into_iter().map(|(_, role)| role).collect(),
        client_id,
        principal_id,
    })
}

fn check_role(checker: &mut Checker, path: &str, raw: RawRole) -> Option<RoleAssignment> {
    let stray = |checker: &mut Checker, field: &str, present: bool, owner: &str| {
        if present {
            checker.fail(
                format!("{path}.{field}"),
                format!("is only read together with {owner}: remove it"),
            );
        }
    };
    match (raw.role.as_deref(), raw.cosmos_data_role.as_deref()) {
        (Some(role), None) => {
            stray(checker, "account", raw.account.is_some(), "cosmosDataRole");
            let role = checker.check(&format!("{path}.role"), RoleName::parse(role));
            let scope = checker.required(
                &format!("{path}.scope"),
                raw.scope.as_deref(),
                RoleScope::parse,
                "add the resource id the role applies to, starting with /subscriptions/",
            );
            Some(RoleAssignment::Azure {
                role: role?,
                scope: scope?,
            })
        }
        (None, Some(role)) => {
            stray(checker, "scope", raw.scope.is_some(), "role");
            let role = checker.check(&format!("{path}.cosmosDataRole"), RoleName::parse(role));
            let account = checker.required(
                &format!("{path}.account"),
                raw.account.as_deref(),
                CosmosAccountId::parse,
                "add the resource id of the Cosmos DB account",
            );
            Some(RoleAssignment::CosmosData {
                role: role?,
                account: account?,
            })
        }
        (Some(_), Some(_)) => {
            checker.fail(
                path,
                "has both role and cosmosDataRole: write each role as its own list entry",
            );
            None
        }
        (None, None) => {
            checker.fail(
                path,
                "names no role: add role: with scope: for an Azure role, or cosmosDataRole: with account: \
                 for a Cosmos DB data role",
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::profile::tests::{MINIMAL, errors, example_with, only_error};
    use crate::profile::{EXAMPLE_YAML, IdentityKind, Profile};

    #[test]
    fn role_scope_error_names_the_list_entry() {
        let text = example_with("scope: /subscriptions/", "scope: /subscription/");
        let message = only_error(&text);
        assert!(
            message.starts_with(
                "identity.roles[0].scope: \"/subscription/cccccccc-cccc-cccc-cccc-cccccccccccc/reso"
            ),
            "{message}"
        );
        assert!(message.contains(
            "(it does not start with /subscriptions/): write /subscriptions/<subscription id>"
        ));
    }

    #[test]
    fn a_role_entry_names_exactly_one_role() {
        let both = example_with(
            "- role: Storage Blob Data Reader",
            "- role: Storage Blob Data Reader\n      cosmosDataRole: x",
        );
        assert_eq!(
            only_error(&both),
            "identity.roles[0]: has both role and cosmosDataRole: write each role as its own list entry"
        );
        let neither = example_with("- role: Storage Blob Data Reader\n", "- ");
        assert!(only_error(&neither).starts_with("identity.roles[0]: names no role: "));
        let stray = example_with(
            "- role: Storage Blob Data Reader",
            "- role: Storage Blob Data Reader\n      account: x",
        );
        assert_eq!(
            only_error(&stray),
            "identity.roles[0].account: is only read together with cosmosDataRole: remove it"
        );
    }

    #[test]
    fn a_repeated_role_is_rejected() {
        let text = EXAMPLE_YAML.replacen(
            "    - cosmosDataRole",
            "    - role: Storage Blob Data Reader\n      scope: /subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/resourceGroups/rg-application1/providers/Microsoft.Storage/storageAccounts/st1\n    - cosmosDataRole",
            1,
        );
        assert_eq!(
            only_error(&text),
            "identity.roles[1]: repeats identity.roles[0]: remove one of them"
        );
    }

    /// MINIMAL with its identity block and its one workload replaced.
    fn with_identities(identities: &str, workloads: &str) -> String {
        MINIMAL
            .replacen("identity: { name: id-app }\n", identities, 1)
            .replacen(
                "  - { namespace: app, serviceAccount: app-sa, name: web }\n",
                workloads,
                1,
            )
    }

    const TWO: &str =
        "identities:\n  - { name: id-web }\n  - { name: id-app, kind: application }\n";

    #[test]
    fn identities_is_a_list_and_each_workload_names_its_identity() {
        let text = with_identities(
            TWO,
            "  - { namespace: app, serviceAccount: web-sa, name: web, identity: id-web }\n  \
             - { namespace: app, serviceAccount: app-sa, name: app, identity: id-app }\n",
        );
        let profile = Profile::from_yaml(&text).unwrap();
        assert_eq!(profile.identities.len(), 2);
        assert_eq!(profile.identities[1].kind, IdentityKind::Application);
        assert_eq!(profile.workloads[1].identity.as_str(), "id-app");
        let app = profile.identity_of(&profile.workloads[1]).unwrap();
        assert_eq!(app.describe(), "app registration id-app");
        assert_eq!(profile.workloads_of(app).count(), 1);
        assert!(profile.needs_graph());
        assert_eq!(profile.identity_field(1), "identities[1]");
        let written = profile.to_yaml();
        assert!(written.contains("identities:"), "{written}");
        assert!(written.contains("identity: id-app"), "{written}");
        assert_eq!(Profile::from_yaml(&written).unwrap(), profile);
    }

    #[test]
    fn one_identity_under_identities_is_the_single_form() {
        let listed = with_identities(
            "identities:\n  - { name: id-app }\n",
            "  - { namespace: app, serviceAccount: app-sa, name: web }\n",
        );
        let profile = Profile::from_yaml(&listed).unwrap();
        assert_eq!(profile, Profile::from_yaml(MINIMAL).unwrap());
        assert_eq!(profile.workloads[0].identity.as_str(), "id-app");
        assert_eq!(profile.identity_field(0), "identity");
        assert!(!profile.to_yaml().contains("identities"));
    }

    #[test]
    fn identity_and_identities_together_are_refused_naming_both() {
        let text = MINIMAL.replacen(
            "identity: { name: id-app }\n",
            "identity: { name: id-app }\nidentities:\n  - { name: id-web }\n",
            1,
        );
        assert_eq!(
            only_error(&text),
            "identities: is given together with identity: write one identity under identity:, or every \
             identity under identities:, not both"
        );
        let empty = MINIMAL.replacen("identity: { name: id-app }\n", "identities: []\n", 1);
        assert!(
            only_error(&empty).starts_with("identities: is empty: add at least one identity"),
            "{}",
            only_error(&empty)
        );
    }

    #[test]
    fn identity_names_are_unique_and_kinds_are_known() {
        let text = with_identities(
            "identities:\n  - { name: id-web }\n  - { name: id-web, kind: application }\n",
            "  - { namespace: app, serviceAccount: app-sa, name: web, identity: id-web }\n",
        );
        assert_eq!(
            only_error(&text),
            "identities[1].name: \"id-web\" is already the name of identities[0]: each identity needs its own name"
        );
        let text = example_with(
            "name: id-application1",
            "name: id-application1\n  kind: app",
        );
        assert_eq!(
            only_error(&text),
            "identity.kind: \"app\" is not a known identity kind: use one of managedIdentity, application"
        );
    }

    #[test]
    fn a_workload_must_name_one_of_several_identities() {
        let missing = with_identities(
            TWO,
            "  - { namespace: app, serviceAccount: app-sa, name: web }\n",
        );
        assert_eq!(
            only_error(&missing),
            "workloads[0].identity: is missing: the profile has 2 identities (id-web, id-app), so each workload \
             names the one its pods authenticate as, e.g. identity: id-web"
        );
        let unknown = with_identities(
            TWO,
            "  - { namespace: app, serviceAccount: app-sa, name: web, identity: id-api }\n",
        );
        assert_eq!(
            only_error(&unknown),
            "workloads[0].identity: \"id-api\" is not an identity of this profile: use one of id-web, id-app"
        );
        let single = MINIMAL.replacen("name: web }", "name: web, identity: id-other }", 1);
        assert_eq!(
            only_error(&single),
            "workloads[0].identity: \"id-other\" is not an identity of this profile: use one of id-app"
        );
    }

    #[test]
    fn the_graph_endpoint_is_required_only_for_an_app_registration_in_a_custom_cloud() {
        let custom = "azure:\n  cloud: custom\n  endpoints: { resourceManager: \"https://arm.test/\", \
                      authorityHost: \"https://login.test/\" }\n  resourceGroup: rg1\n  location: westeurope\n";
        let base = MINIMAL.replacen(
            "azure: { resourceGroup: rg1, location: westeurope }\n",
            custom,
            1,
        );
        assert!(
            Profile::from_yaml(&base).is_ok(),
            "managed identities need no Graph"
        );
        let application =
            base.replacen("{ name: id-app }", "{ name: id-app, kind: application }", 1);
        assert_eq!(
            only_error(&application),
            "azure.endpoints.graph: is missing: identity (id-app) is kind application, which kwif creates \
             through Microsoft Graph: add Graph's root for this cloud, e.g. \"https://graph.microsoft.com/\""
        );
        let named = application.replacen(
            "authorityHost: \"https://login.test/\"",
            "authorityHost: \"https://login.test/\", graph: \"https://graph.test/\"",
            1,
        );
        let profile = Profile::from_yaml(&named).unwrap();
        assert_eq!(
            profile
                .azure
                .cloud
                .endpoints()
                .graph()
                .map(ToString::to_string),
            Some("https://graph.test/".to_string())
        );
        assert_eq!(Profile::from_yaml(&profile.to_yaml()).unwrap(), profile);
        let plain = named.replacen("https://graph.test/", "http://graph.test/", 1);
        assert!(
            only_error(&plain)
                .starts_with("azure.endpoints.graph: \"http://graph.test/\" must use https"),
            "{}",
            only_error(&plain)
        );
        let public = MINIMAL.replacen("{ name: id-app }", "{ name: id-app, kind: application }", 1);
        assert!(
            Profile::from_yaml(&public).is_ok(),
            "known clouds carry Graph's root"
        );
    }

    #[test]
    fn every_broken_identity_is_reported_with_its_path() {
        let text = with_identities(
            "identities:\n  - { name: i }\n  - { kind: application }\n",
            "  - { namespace: app, serviceAccount: app-sa, name: web }\n",
        );
        let errors = errors(&text);
        assert!(
            errors[0].starts_with("identities[0].name: \"i\""),
            "{errors:#?}"
        );
        assert!(
            errors[1].starts_with(
                "identities[1].name: is missing: add the display name of the app registration"
            ),
            "{errors:#?}"
        );
        assert_eq!(
            errors.len(),
            2,
            "a workload is not blamed for broken identities: {errors:#?}"
        );
    }
}
