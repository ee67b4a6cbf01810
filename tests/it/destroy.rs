//! `kwif destroy` against the sandbox: apply then destroy leaves the user's Kubernetes objects
//! and the Azure state exactly as before apply; a second destroy removes nothing; the command
//! line refuses to remove anything without a yes and no terminal.

use crate::support::Kwif;
use kwif::demo::{Demo, Scenario};
use kwif::engine::{RemovalOptions, Runner, StepId};
use serde_json::Value;

/// An object as its owner sees it: without what the API server maintains by itself.
fn as_the_user_sees_it(mut object: Value) -> Value {
    if let Some(metadata) = object["metadata"].as_object_mut() {
        for key in [
            "managedFields",
            "resourceVersion",
            "generation",
            "uid",
            "creationTimestamp",
        ] {
            metadata.remove(key);
        }
        if let Some(annotations) = metadata
            .get_mut("annotations")
            .and_then(Value::as_object_mut)
        {
            annotations.remove("deployment.kubernetes.io/revision");
            if annotations.is_empty() {
                metadata.remove("annotations");
            }
        }
    }
    if let Some(map) = object.as_object_mut() {
        map.remove("status");
    }
    object
}

/// Everything of the sandbox a destroy must leave as it found it.
fn state(demo: &Demo) -> String {
    let kube = demo.sandbox().kube();
    let azure = demo.sandbox().azure();
    let mut out = String::new();
    for (api_version, kind) in [
        ("apps/v1", "Deployment"),
        ("apps/v1", "StatefulSet"),
        ("v1", "ServiceAccount"),
    ] {
        for object in kube.objects(api_version, kind, None) {
            out.push_str(&format!(
                "{kind}: {}\n",
                serde_json::to_string_pretty(&as_the_user_sees_it(object)).unwrap()
            ));
        }
    }
    let group = demo.profile.azure.resource_group.as_str();
    for identity in azure.identities() {
        out.push_str(&format!("identity: {identity:?}\n"));
    }
    for identity in &demo.profile.identities {
        out.push_str(&format!(
            "credentials of {}: {:?}\n",
            identity.name.as_str(),
            azure.federated_credentials(group, identity.name.as_str())
        ));
    }
    out.push_str(&format!("roles: {:?}\n", azure.role_assignments()));
    out.push_str(&format!("applications: {:?}\n", azure.applications()));
    out.push_str(&format!(
        "service principals: {:?}\n",
        azure.service_principals()
    ));
    out.push_str(&format!(
        "cosmos roles: {:?}\n",
        azure.cosmos_role_assignments()
    ));
    out
}

fn published_files(demo: &Demo) -> Vec<String> {
    let root = match &demo.profile.hosting {
        kwif::profile::Hosting::Directory { path } => Some(path.clone()),
        _ => None,
    };
    let mut files = Vec::new();
    let mut stack: Vec<std::path::PathBuf> = root.into_iter().collect();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if entry.path().is_dir() {
                stack.push(entry.path());
            } else {
                files.push(entry.path().display().to_string());
            }
        }
    }
    files.sort();
    files
}

async fn apply_everything(runner: &Runner) {
    let outcome = runner.apply_all(|_| true).await;
    assert!(
        outcome.failed.is_none(),
        "apply failed: {:?}",
        outcome.failed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_then_destroy_leaves_the_users_objects_and_azure_as_they_were() {
    let demo = Demo::start(Scenario::Fresh).await.unwrap();
    let before = state(&demo);
    let files_before = published_files(&demo);
    let runner = demo.runner().await;
    apply_everything(&runner).await;
    assert_ne!(state(&demo), before, "apply changed nothing?");

    let runner = demo.runner().await;
    let mut asked = Vec::new();
    let outcome = runner
        .destroy_all(|plan| {
            asked.push(plan.step);
            true
        })
        .await;
    assert!(
        outcome.failed.is_none(),
        "destroy failed: {:?}",
        outcome.failed
    );
    // Reverse wizard order: the workload lets go of its identity before the identity goes.
    let order: Vec<StepId> = outcome.plans.iter().map(|plan| plan.step).collect();
    assert_eq!(
        order,
        [
            StepId::Verify,
            StepId::Workload,
            StepId::Federation,
            StepId::Identity,
            StepId::Hosting,
            StepId::Issuer
        ]
    );
    assert!(asked.contains(&StepId::Workload) && asked.contains(&StepId::Identity));
    similar_asserts(&before, &state(&demo));
    assert_eq!(published_files(&demo), files_before);

    // A second destroy finds nothing of kwif's left in the cluster or in Azure.
    let again = demo.runner().await.plan_removal_all().await;
    for (step, plan) in again {
        let plan = plan.unwrap();
        if step != StepId::Issuer {
            assert!(plan.is_empty(), "{step} still plans {:?}", plan.changes);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_registration_kwif_created_is_deleted_with_its_service_principal() {
    let demo = Demo::start(Scenario::Fresh).await.unwrap();
    let profile = crate::identities::profile_with(
        &demo,
        "[{ name: id-application1, kind: application }]",
        "[{ namespace: application1, serviceAccount: application1-sa, name: web-server }]",
    );
    let before = state(&demo);
    let runner = kwif::session::runner(&profile, &demo.environment).await;
    apply_everything(&runner).await;
    let azure = demo.sandbox().azure();
    assert_eq!(
        azure.applications().len(),
        1,
        "apply made the app registration"
    );

    let runner = kwif::session::runner(&profile, &demo.environment).await;
    let plans = runner.plan_removal_all().await;
    let identity = plans
        .iter()
        .find(|(step, _)| *step == StepId::Identity)
        .and_then(|(_, plan)| plan.as_ref().ok())
        .unwrap();
    let deletion = identity
        .changes
        .iter()
        .find(|change| change.target == "app registration id-application1")
        .unwrap_or_else(|| panic!("{:#?}", identity.changes));
    assert!(
        deletion
            .summary
            .contains("kwif created it (tag created-by:kwif)"),
        "{}",
        deletion.summary
    );
    let outcome = runner.destroy_all(|_| true).await;
    assert!(outcome.failed.is_none(), "{:?}", outcome.failed);
    similar_asserts(&before, &state(&demo));
    let deleted: Vec<u16> = azure
        .request_log()
        .iter()
        .filter(|record| record.method == "DELETE" && record.path.contains("/v1.0/applications/"))
        .map(|record| record.status)
        .collect();
    assert_eq!(deleted, [204], "one DELETE, answered 204 No Content");
    let again = kwif::session::runner(&profile, &demo.environment)
        .await
        .plan_removal_all()
        .await;
    for (step, plan) in again {
        if step != StepId::Issuer {
            assert!(plan.unwrap().is_empty(), "{step} still plans a removal");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_identity_keeps_the_app_registration() {
    let demo = Demo::start(Scenario::Fresh).await.unwrap();
    let profile = crate::identities::profile_with(
        &demo,
        "[{ name: id-application1, kind: application }]",
        "[{ namespace: application1, serviceAccount: application1-sa, name: web-server }]",
    );
    let roles_before = format!("{:?}", demo.sandbox().azure().role_assignments());
    apply_everything(&kwif::session::runner(&profile, &demo.environment).await).await;
    let runner = kwif::session::runner(&profile, &demo.environment)
        .await
        .with_fact(RemovalOptions {
            keep_identity: true,
        });
    let outcome = runner.destroy_all(|_| true).await;
    assert!(outcome.failed.is_none(), "{:?}", outcome.failed);
    let azure = demo.sandbox().azure();
    assert_eq!(azure.applications().len(), 1);
    assert_eq!(azure.service_principals().len(), 1);
    assert_eq!(
        format!("{:?}", azure.role_assignments()),
        roles_before,
        "its roles still go"
    );
}

fn similar_asserts(before: &str, after: &str) {
    if before != after {
        let diff = similar::TextDiff::from_lines(before, after)
            .unified_diff()
            .header("before apply", "after destroy")
            .to_string();
        panic!("destroy did not restore the state:\n{diff}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_identity_keeps_the_managed_identity_but_removes_its_roles_and_credentials() {
    let demo = Demo::start(Scenario::Fresh).await.unwrap();
    apply_everything(&demo.runner().await).await;
    let identities = demo.sandbox().azure().identities().len();
    let runner = demo.runner().await.with_fact(RemovalOptions {
        keep_identity: true,
    });
    let outcome = runner.destroy_all(|_| true).await;
    assert!(outcome.failed.is_none(), "{:?}", outcome.failed);
    assert_eq!(demo.sandbox().azure().identities().len(), identities);
    assert!(
        demo.sandbox()
            .azure()
            .role_assignments()
            .iter()
            .all(|role| {
                !format!("{role:?}").contains(&demo.profile.identities[0].name.to_string())
            })
    );
    let group = demo.profile.azure.resource_group.as_str();
    let name = demo.profile.identities[0].name.as_str();
    assert!(
        demo.sandbox()
            .azure()
            .federated_credentials(group, name)
            .is_empty()
    );
}

#[test]
fn destroy_without_a_terminal_and_without_yes_exits_2_and_removes_nothing() {
    let run = Kwif::new().args(["destroy", "--demo"]).run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("pass --yes"), "{}", run.stderr);
}

#[test]
fn destroy_on_the_sandbox_twice_removes_then_finds_nothing() {
    let served = crate::support::Served::start("fresh");
    let profile = served.path("kwif.yaml");
    let profile = profile.to_str().unwrap();
    let apply = served
        .kwif()
        .args(["apply", "--profile", profile, "--yes"])
        .run();
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let first = served
        .kwif()
        .args(["destroy", "--profile", profile, "--yes", "--output", "json"])
        .run();
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let removed = first.json()["removed"].clone();
    for step in ["workload", "federation", "identity", "hosting"] {
        assert!(
            removed.as_array().unwrap().iter().any(|id| id == step),
            "{step} not removed: {}",
            first.stdout
        );
    }
    let second = served
        .kwif()
        .args(["destroy", "--profile", profile, "--yes"])
        .run();
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    assert!(
        second.stdout.contains(
            "nothing of kwif's to remove: verify, workload, federation, identity, hosting"
        ),
        "{}",
        second.stdout
    );
    assert!(!second.stdout.contains("removed:"), "{}", second.stdout);
}

/// A role assignment of the same role, scope and principal that the user made under another
/// name (the portal, `az role assignment create`) is theirs: destroy removes only kwif's own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_leaves_a_role_assignment_the_user_made_under_another_name() {
    let demo = Demo::start(Scenario::Fresh).await.unwrap();
    let before: Vec<String> = demo
        .sandbox()
        .azure()
        .role_assignments()
        .into_iter()
        .map(|assignment| assignment.id)
        .collect();
    apply_everything(&demo.runner().await).await;
    let azure = demo.sandbox().azure();
    let kwifs = azure
        .role_assignments()
        .into_iter()
        .find(|assignment| !before.contains(&assignment.id))
        .expect("apply assigned the profile's role");
    // The user had assigned the role themselves, so kwif's apply would have made none: kwif's
    // own is deleted (through Resource Manager, as an admin) and the user's put in its place.
    let client = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(azure.ca_certificate_pem().as_bytes()).unwrap(),
        )
        .build()
        .unwrap();
    let deleted = client
        .delete(format!(
            "{}{}?api-version=2022-04-01",
            azure.resource_manager_url().trim_end_matches('/'),
            kwifs.id
        ))
        .bearer_auth(azure.admin_access_token())
        .send()
        .await
        .unwrap();
    assert!(deleted.status().is_success(), "{}", deleted.status());
    let users =
        azure.insert_role_assignment(&kwifs.scope, &kwifs.role_definition_id, &kwifs.principal_id);
    let identity_step = demo
        .runner()
        .await
        .check_all()
        .await
        .steps
        .into_iter()
        .find(|step| step.id == StepId::Identity)
        .unwrap();
    assert_eq!(
        identity_step.status,
        kwif::engine::Status::Ok,
        "the user's assignment grants the role: {:?}",
        identity_step.findings
    );

    let outcome = demo.runner().await.destroy_all(|_| true).await;
    assert!(outcome.failed.is_none(), "{:?}", outcome.failed);
    let after: Vec<String> = azure
        .role_assignments()
        .into_iter()
        .map(|assignment| assignment.id)
        .collect();
    assert!(
        after.contains(&users.id),
        "the user's assignment stays: {after:?}"
    );
}

/// A ServiceAccount kwif created but that a workload's pod template still names once kwif's
/// fields are released (another manager set `serviceAccountName` too; a real API server also
/// copies the deprecated `serviceAccount` back) stays: deleting it would stop the workload's
/// next pods. The plan says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_keeps_a_service_account_a_workload_still_names() {
    use kube::api::{Patch, PatchParams};
    let demo = Demo::start(Scenario::Fresh).await.unwrap();
    apply_everything(&demo.runner().await).await;
    let workload = &demo.profile.workloads[0];
    let (namespace, name, account) = (
        workload.namespace.to_string(),
        workload.name.to_string(),
        workload.service_account.to_string(),
    );
    let client = demo.sandbox().kube().client().await.unwrap();
    let deployments = kwif::kube::dynamic_api(
        &client,
        &kwif::kube::api_resource("apps", "v1", "Deployment"),
        &namespace,
    );
    let users = serde_json::json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"template": {"spec": {"serviceAccountName": account}}},
    });
    deployments
        .patch(
            &name,
            &PatchParams::apply("platform-team").force(),
            &Patch::Apply(&users),
        )
        .await
        .unwrap();

    let runner = demo.runner().await;
    let plans = runner.plan_removal_all().await;
    let workload_plan = plans
        .iter()
        .find_map(|(id, plan)| (*id == StepId::Workload).then_some(plan))
        .unwrap()
        .as_ref()
        .unwrap();
    let service_account = format!("ServiceAccount {namespace}/{account}");
    assert!(
        workload_plan
            .changes
            .iter()
            .all(|change| change.target != service_account),
        "not deleted: {workload_plan:?}"
    );
    assert!(
        workload_plan
            .changes
            .iter()
            .any(|change| change.summary.contains(&format!("left: {service_account}"))),
        "the plan says it stays: {workload_plan:?}"
    );
    let outcome = runner.destroy_all(|_| true).await;
    assert!(outcome.failed.is_none(), "{:?}", outcome.failed);
    assert!(
        demo.sandbox()
            .kube()
            .object("v1", "ServiceAccount", Some(&namespace), &account)
            .is_some(),
        "the ServiceAccount the Deployment names is still there"
    );
}
