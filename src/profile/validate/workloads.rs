//! The workloads: each entry's names, kind, mode and token lifetime, then the rules across entries
//! (no workload twice, one federated credential per service account, at most 20 per identity).

use std::collections::BTreeMap;

use crate::profile::error::quoted;
use crate::profile::raw::RawWorkload;
use crate::profile::{
    FederatedCredentialName, MAX_FEDERATED_CREDENTIALS, Namespace, ServiceAccountName,
    TokenExpiration, Workload, WorkloadKind, WorkloadMode, WorkloadName,
};

use super::Checker;

pub(super) fn check_workloads(
    checker: &mut Checker,
    raw: Option<Vec<RawWorkload>>,
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
            check_workload(checker, index, raw).map(|workload| (index, workload))
        })
        .collect();
    check_workload_set(checker, &checked);
    checked.into_iter().map(|(_, workload)| workload).collect()
}

fn check_workload(checker: &mut Checker, index: usize, raw: RawWorkload) -> Option<Workload> {
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
    })
}

/// Rules across workloads: no workload twice, one credential name per service account and one
/// service account per credential name, at most 20 service accounts per identity.
fn check_workload_set(checker: &mut Checker, workloads: &[(usize, Workload)]) {
    let mut objects: BTreeMap<(&str, &str, &str), usize> = BTreeMap::new();
    let mut by_account: BTreeMap<(&str, &str), (usize, FederatedCredentialName)> = BTreeMap::new();
    let mut by_name: BTreeMap<FederatedCredentialName, (usize, String)> = BTreeMap::new();
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
        let credential = workload.federated_credential_name_or_default();
        let account = (
            workload.namespace.as_str(),
            workload.service_account.as_str(),
        );
        let field = format!("workloads[{index}].federatedCredentialName");
        if let Some((first, known)) = by_account.get(&account) {
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
        if let Some((first, subject)) = by_name.get(&credential) {
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
        by_account.insert(account, (*index, credential.clone()));
        by_name.insert(credential, (*index, workload.subject()));
    }
    if by_account.len() > MAX_FEDERATED_CREDENTIALS {
        checker.fail(
            "workloads",
            format!(
                "use {} distinct service accounts, but one managed identity holds at most \
                 {MAX_FEDERATED_CREDENTIALS} federated credentials: split them across profiles with separate identities",
                by_account.len()
            ),
        );
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
            "workloads: use 21 distinct service accounts, but one managed identity holds at most 20 federated \
             credentials: split them across profiles with separate identities"
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
