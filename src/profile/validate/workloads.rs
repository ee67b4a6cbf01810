//! The workloads: each entry's names, kind, mode, token lifetime and identity, then the rules
//! across entries (no workload twice, one federated credential per service account and identity,
//! at most 20 per identity, one identity per service account in webhook mode).

use std::collections::BTreeMap;

use crate::profile::error::quoted;
use crate::profile::raw::RawWorkload;
use crate::profile::{
    FederatedCredentialName, Identity, IdentityName, MAX_FEDERATED_CREDENTIALS, Namespace,
    ServiceAccountName, TokenExpiration, Workload, WorkloadKind, WorkloadMode, WorkloadName,
};

use super::Checker;

/// The workloads; `identities` is `None` when the identities are broken (then a workload's
/// identity is not judged, and the profile is refused for the identities' own errors).
pub(super) fn check_workloads(
    checker: &mut Checker,
    raw: Option<Vec<RawWorkload>>,
    identities: Option<&[Identity]>,
) -> Vec<Workload> {
    let raw = raw.unwrap_or_default();
    if raw.is_empty() {
        checker.fail(
            "workloads",
            "is empty: add at least one workload with namespace, serviceAccount and name",
        );
    }
    let checked: Vec<(usize, Workload)> = raw
        .into_iter()
        .enumerate()
        .filter_map(|(index, raw)| {
            check_workload(checker, index, raw, identities).map(|workload| (index, workload))
        })
        .collect();
    check_workload_set(checker, &checked);
    checked.into_iter().map(|(_, workload)| workload).collect()
}

fn check_workload(
    checker: &mut Checker,
    index: usize,
    raw: RawWorkload,
    identities: Option<&[Identity]>,
) -> Option<Workload> {
    let path = |field: &str| format!("workloads[{index}].{field}");
    let namespace = checker.required(
        &path("namespace"),
        raw.namespace.as_deref(),
        Namespace::parse,
        "add the namespace of the workload, e.g. \"application1\"",
    );
    let service_account = checker.required(
        &path("serviceAccount"),
        raw.service_account.as_deref(),
        ServiceAccountName::parse,
        "add the ServiceAccount the pods run as, e.g. \"application1-sa\"",
    );
    let kind = checker.or_default(&path("kind"), raw.kind.as_deref(), WorkloadKind::parse);
    let name = checker.required(
        &path("name"),
        raw.name.as_deref(),
        WorkloadName::parse,
        "add the name of the Deployment (or other kind), e.g. \"web-server\"",
    );
    let mode = checker.or_default(&path("mode"), raw.mode.as_deref(), WorkloadMode::parse);
    let token_expiration = raw
        .token_expiration_seconds
        .and_then(|seconds| {
            checker.check(
                &path("tokenExpirationSeconds"),
                TokenExpiration::from_seconds(seconds),
            )
        })
        .unwrap_or_default();
    let federated_credential_name = checker.optional(
        &path("federatedCredentialName"),
        raw.federated_credential_name.as_deref(),
        FederatedCredentialName::parse,
    );
    let identity = check_identity(
        checker,
        &path("identity"),
        raw.identity.as_deref(),
        identities,
    );
    let name = name?;
    // Kubernetes refuses longer CronJob names: each Job appends an 11-character suffix.
    let length = name.as_str().len();
    if kind == WorkloadKind::CronJob && length > 52 {
        checker.fail(
            path("name"),
            format!(
                "{} has {length} characters, but a CronJob name may have at most 52: shorten it",
                quoted(name.as_str())
            ),
        );
    }
    Some(Workload {
        namespace: namespace?,
        service_account: service_account?,
        kind,
        name,
        mode,
        token_expiration,
        federated_credential_name,
        identity: identity?,
    })
}

/// The identity a workload names, else the only one; several without a name is an error.
fn check_identity(
    checker: &mut Checker,
    field: &str,
    raw: Option<&str>,
    identities: Option<&[Identity]>,
) -> Option<IdentityName> {
    let identities = identities?;
    let names: Vec<&str> = identities
        .iter()
        .map(|identity| identity.name.as_str())
        .collect();
    match (raw, identities) {
        (None, [only]) => Some(only.name.clone()),
        (None, _) => {
            checker.fail(
                field,
                format!(
                    "is missing: the profile has {} identities ({}), so each workload names the one its pods \
                     authenticate as, e.g. identity: {}",
                    names.len(),
                    names.join(", "),
                    names.first().unwrap_or(&"id-application1")
                ),
            );
            None
        }
        (Some(raw), _) => match identities
            .iter()
            .find(|identity| identity.name.as_str() == raw)
        {
            Some(identity) => Some(identity.name.clone()),
            None => {
                checker.fail(
                    field,
                    format!(
                        "{} is not an identity of this profile: use one of {}",
                        quoted(raw),
                        names.join(", ")
                    ),
                );
                None
            }
        },
    }
}

/// Rules across workloads: no workload twice; per identity, one credential name per service
/// account, one service account per credential name and at most 20 service accounts; and one
/// identity per service account where the webhook reads it from the service account.
fn check_workload_set(checker: &mut Checker, workloads: &[(usize, Workload)]) {
    let mut objects: BTreeMap<(&str, &str, &str), usize> = BTreeMap::new();
    let mut by_account: BTreeMap<(&str, &str, &str), (usize, FederatedCredentialName)> =
        BTreeMap::new();
    let mut by_name: BTreeMap<(&str, FederatedCredentialName), (usize, String)> = BTreeMap::new();
    let mut account_identity: BTreeMap<(&str, &str), (usize, &Workload)> = BTreeMap::new();
    for (index, workload) in workloads {
        let object = (
            workload.kind.as_str(),
            workload.namespace.as_str(),
            workload.name.as_str(),
        );
        if let Some(first) = objects.get(&object) {
            checker.fail(
                format!("workloads[{index}]"),
                format!(
                    "{} {}/{} is listed twice (first as workloads[{first}]): remove one entry",
                    workload.kind, workload.namespace, workload.name
                ),
            );
            continue;
        }
        objects.insert(object, *index);
        let account = (
            workload.namespace.as_str(),
            workload.service_account.as_str(),
        );
        match account_identity.get(&account) {
            Some((first, other)) if other.identity != workload.identity => {
                if workload.mode == WorkloadMode::Webhook || other.mode == WorkloadMode::Webhook {
                    checker.fail(
                        format!("workloads[{index}].identity"),
                        format!(
                            "{} differs from {} of workloads[{first}], which shares the service account {}/{} in \
                             webhook mode: the webhook reads one client id from the service account, so give \
                             both the same identity, or use mode: patch",
                            quoted(workload.identity.as_str()),
                            quoted(other.identity.as_str()),
                            account.0,
                            account.1
                        ),
                    );
                }
            }
            Some(_) => {}
            None => {
                account_identity.insert(account, (*index, workload));
            }
        }
        let identity = workload.identity.as_str();
        let credential = workload.federated_credential_name_or_default();
        let field = format!("workloads[{index}].federatedCredentialName");
        if let Some((first, known)) = by_account.get(&(identity, account.0, account.1)) {
            if *known != credential {
                checker.fail(
                    field,
                    format!(
                        "{} differs from {} used by workloads[{first}] for the same service account {}/{}: \
                         one federated credential serves a service account, so give both the same name",
                        quoted(credential.as_str()),
                        quoted(known.as_str()),
                        account.0,
                        account.1
                    ),
                );
            }
            continue;
        }
        if let Some((first, subject)) = by_name.get(&(identity, credential.clone())) {
            checker.fail(
                field,
                format!(
                    "{} is already the credential of workloads[{first}] ({subject}): names are unique per \
                     identity, so set a different federatedCredentialName here",
                    quoted(credential.as_str())
                ),
            );
            continue;
        }
        by_account.insert(
            (identity, account.0, account.1),
            (*index, credential.clone()),
        );
        by_name.insert((identity, credential), (*index, workload.subject()));
    }
    let mut per_identity: BTreeMap<&str, usize> = BTreeMap::new();
    for (identity, _, _) in by_account.keys() {
        *per_identity.entry(identity).or_default() += 1;
    }
    for (identity, count) in per_identity {
        if count > MAX_FEDERATED_CREDENTIALS {
            checker.fail(
                "workloads",
                format!(
                    "use {count} distinct service accounts with identity {identity}, but one identity holds at most \
                     {MAX_FEDERATED_CREDENTIALS} federated credentials: give some of the workloads another identity \
                     (identities:, and identity: on the workload)"
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::profile::Profile;
    use crate::profile::tests::{MINIMAL, example_with, only_error};

    #[test]
    fn cronjob_names_longer_than_52_characters_are_rejected() {
        let long = "c".repeat(53);
        let text = example_with(
            "kind: Deployment\n    name: web-server",
            &format!("kind: CronJob\n    name: {long}"),
        );
        assert_eq!(
            only_error(&text),
            format!(
                "workloads[0].name: \"{long}\" has 53 characters, but a CronJob name may have at most 52: shorten it"
            )
        );
        let text = example_with("name: web-server", &format!("name: {long}"));
        assert!(
            Profile::from_yaml(&text).is_ok(),
            "a Deployment may have a long name"
        );
    }

    fn workloads_yaml(entries: &[&str]) -> String {
        let list: String = entries
            .iter()
            .map(|entry| format!("  - {entry}\n"))
            .collect();
        MINIMAL.replacen(
            "  - { namespace: app, serviceAccount: app-sa, name: web }\n",
            &list,
            1,
        )
    }

    #[test]
    fn several_workloads_may_share_a_service_account() {
        let text = workloads_yaml(&[
            "{ namespace: app, serviceAccount: app-sa, name: web }",
            "{ namespace: app, serviceAccount: app-sa, name: worker, kind: StatefulSet }",
        ]);
        assert_eq!(Profile::from_yaml(&text).unwrap().workloads.len(), 2);
    }

    #[test]
    fn the_same_workload_twice_is_rejected() {
        let text = workloads_yaml(&[
            "{ namespace: app, serviceAccount: app-sa, name: web }",
            "{ namespace: app, serviceAccount: other-sa, name: web, kind: Deployment }",
        ]);
        assert_eq!(
            only_error(&text),
            "workloads[1]: Deployment app/web is listed twice (first as workloads[0]): remove one entry"
        );
    }

    #[test]
    fn no_workloads_is_an_error() {
        let text = workloads_yaml(&[]).replacen("workloads:\n", "workloads: []\n", 1);
        assert_eq!(
            only_error(&text),
            "workloads: is empty: add at least one workload with namespace, serviceAccount and name"
        );
    }

    #[test]
    fn more_than_20_service_accounts_exceed_the_federated_credential_limit() {
        let entries: Vec<String> = (0..21)
            .map(|i| format!("{{ namespace: app, serviceAccount: sa{i}, name: web{i} }}"))
            .collect();
        let refs: Vec<&str> = entries.iter().map(String::as_str).collect();
        assert!(Profile::from_yaml(&workloads_yaml(&refs[..20])).is_ok());
        assert_eq!(
            only_error(&workloads_yaml(&refs)),
            "workloads: use 21 distinct service accounts with identity id-app, but one identity holds at most 20 \
             federated credentials: give some of the workloads another identity (identities:, and identity: on the \
             workload)"
        );
    }

    #[test]
    fn the_limit_of_20_credentials_counts_per_identity() {
        let entries: Vec<String> = (0..21)
            .map(|i| {
                let identity = if i < 11 { "id-a" } else { "id-b" };
                format!("{{ namespace: app, serviceAccount: sa{i}, name: web{i}, identity: {identity} }}")
            })
            .collect();
        let refs: Vec<&str> = entries.iter().map(String::as_str).collect();
        let text = workloads_yaml(&refs).replacen(
            "identity: { name: id-app }\n",
            "identities: [{ name: id-a }, { name: id-b }]\n",
            1,
        );
        assert!(
            Profile::from_yaml(&text).is_ok(),
            "11 + 10 fit two identities"
        );
    }

    #[test]
    fn a_service_account_shared_by_two_identities_cannot_use_the_webhook() {
        let two = |mode: &str| {
            workloads_yaml(&[
                "{ namespace: app, serviceAccount: app-sa, name: web, identity: id-a }",
                &format!(
                    "{{ namespace: app, serviceAccount: app-sa, name: job, identity: id-b, mode: {mode} }}"
                ),
            ])
            .replacen(
                "identity: { name: id-app }\n",
                "identities: [{ name: id-a }, { name: id-b }]\n",
                1,
            )
        };
        assert!(Profile::from_yaml(&two("patch")).is_ok());
        assert_eq!(
            only_error(&two("webhook")),
            "workloads[1].identity: \"id-b\" differs from \"id-a\" of workloads[0], which shares the service \
             account app/app-sa in webhook mode: the webhook reads one client id from the service account, so \
             give both the same identity, or use mode: patch"
        );
    }

    #[test]
    fn one_service_account_cannot_have_two_credential_names() {
        let text = workloads_yaml(&[
            "{ namespace: app, serviceAccount: app-sa, name: web }",
            "{ namespace: app, serviceAccount: app-sa, name: job, federatedCredentialName: fic-app }",
        ]);
        assert_eq!(
            only_error(&text),
            "workloads[1].federatedCredentialName: \"fic-app\" differs from \"kwif-app-app-sa\" used by workloads[0] \
             for the same service account app/app-sa: one federated credential serves a service account, so give \
             both the same name"
        );
    }

    #[test]
    fn two_service_accounts_cannot_share_a_credential_name() {
        let text = workloads_yaml(&[
            "{ namespace: app, serviceAccount: a-sa, name: web, federatedCredentialName: fic-app }",
            "{ namespace: app, serviceAccount: b-sa, name: job, federatedCredentialName: fic-app }",
        ]);
        assert_eq!(
            only_error(&text),
            "workloads[1].federatedCredentialName: \"fic-app\" is already the credential of workloads[0] \
             (system:serviceaccount:app:a-sa): names are unique per identity, so set a different \
             federatedCredentialName here"
        );
    }
}
