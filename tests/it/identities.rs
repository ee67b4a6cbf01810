//! Several identities and app registrations end to end: on the whole sandbox (cluster, Resource
//! Manager, Graph, Entra, static host) through the one session wiring, two identities with two
//! workloads each converge and verify; an app registration converges and its pods' token is
//! exchanged through its own federated credential; and, on sandbox Azure alone, what kwif says
//! when Graph refuses the permission or an application of that name is someone else's.

use std::time::Duration;

use kwif::azure::application_client::{KWIF_TAG, ReplicationWait};
use kwif::azure::credential::ServicePrincipalSecret;
use kwif::azure::session::{AzureLogin, AzureSession};
use kwif::demo::{Demo, Scenario};
use kwif::engine::render::render_json;
use kwif::engine::{Facts, Report, Runner, Status, Step, StepId};
use kwif::network::Timeouts;
use kwif::profile::Profile;
use kwif::steps::federation::FederationStep;
use kwif::steps::identity::{IdentityStep, known_ids};
use kwif_sandbox::azure::{AzureSandbox, AzureSandboxOptions, READ_WRITE_ALL};
use serde_json::json;
use serde_yaml::Value;

const NAMESPACE: &str = "application1";

fn describe(report: &Report) -> String {
    report
        .steps
        .iter()
        .map(|step| {
            let findings: Vec<(&str, &str)> = step
                .findings
                .iter()
                .map(|finding| (finding.code, finding.message.as_str()))
                .collect();
            format!("{} {:?} {findings:?}\n", step.id, step.status)
        })
        .collect()
}

/// The demo's profile with `identities` and `workloads` (YAML) in place of its own, validated.
pub(crate) fn profile_with(demo: &Demo, identities: &str, workloads: &str) -> Profile {
    let mut yaml: Value = serde_yaml::from_str(&demo.profile.to_yaml()).unwrap();
    let map = yaml.as_mapping_mut().unwrap();
    let role = map["identity"]["roles"].clone();
    map.remove("identity");
    let mut identities: Value = serde_yaml::from_str(identities).unwrap();
    for identity in identities.as_sequence_mut().unwrap() {
        identity["roles"] = role.clone();
    }
    map.insert("identities".into(), identities);
    map.insert("workloads".into(), serde_yaml::from_str(workloads).unwrap());
    let text = serde_yaml::to_string(&yaml).unwrap();
    Profile::from_yaml(&text).unwrap_or_else(|error| panic!("{error}\n{text}"))
}

/// One more Deployment of the demo's application, as its team would have applied it.
fn deploy(demo: &Demo, name: &str) {
    demo.sandbox()
        .kube()
        .insert(json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": NAMESPACE, "labels": {"app": name}},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {"containers": [{"name": "main", "image": format!("ghcr.io/example/{name}:1")}]}
                }
            }
        }))
        .unwrap();
}

/// `kwif apply --yes` then a rerun's plan: every step ok, nothing left to change.
async fn converge(runner: &Runner) -> Report {
    let outcome = runner.apply_all(|_| true).await;
    assert!(
        outcome.failed.is_none(),
        "apply failed: {:?}\n{}",
        outcome.failed,
        describe(&outcome.report)
    );
    for step in &outcome.report.steps {
        assert_eq!(step.status, Status::Ok, "{}", describe(&outcome.report));
    }
    for (step, plan) in runner.plan_all().await {
        let plan = plan.unwrap();
        assert!(plan.is_empty(), "{step} still plans {:?}", plan.changes);
    }
    outcome.report
}

/// The value of environment variable `name` of Deployment `deployment`'s first container.
fn env_of(demo: &Demo, deployment: &str, name: &str) -> Option<String> {
    let object =
        demo.sandbox()
            .kube()
            .object("apps/v1", "Deployment", Some(NAMESPACE), deployment)?;
    object["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()?
        .iter()
        .find(|entry| entry["name"] == name)
        .and_then(|entry| entry["value"].as_str().map(str::to_string))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_identities_with_two_workloads_each_converge_and_a_rerun_plans_nothing() {
    let demo = Demo::start(Scenario::Fresh).await.unwrap();
    for name in ["web-api", "worker", "reporter"] {
        deploy(&demo, name);
    }
    let profile = profile_with(
        &demo,
        "[{ name: id-web }, { name: id-jobs, kind: application }]",
        "[{ namespace: application1, serviceAccount: application1-sa, name: web-server, identity: id-web },
          { namespace: application1, serviceAccount: api-sa, name: web-api, identity: id-web },
          { namespace: application1, serviceAccount: worker-sa, name: worker, identity: id-jobs },
          { namespace: application1, serviceAccount: reporter-sa, name: reporter, identity: id-jobs }]",
    );
    let runner = kwif::session::runner(&profile, &demo.environment).await;

    let before = runner.check_all().await;
    let json = render_json(&before);
    for identity in ["id-web", "id-jobs"] {
        assert!(
            json.contains(&format!("\"identity\": \"{identity}\"")),
            "the JSON says which identity each finding is about:\n{json}"
        );
    }
    let identity_step = &before.steps[2];
    assert_eq!(identity_step.id, StepId::Identity);
    let messages: Vec<&str> = identity_step
        .findings
        .iter()
        .map(|finding| finding.message.as_str())
        .collect();
    assert!(
        messages
            .iter()
            .any(|message| message.starts_with("managed identity id-web does not exist")),
        "{messages:#?}"
    );
    assert!(
        messages
            .iter()
            .any(|message| message.starts_with("app registration id-jobs does not exist")),
        "{messages:#?}"
    );

    converge(&runner).await;
    let saved = kwif::session::with_learned_ids(&profile, &runner.learned()).unwrap();
    let azure = demo.sandbox().azure();
    let identity = azure.identity("rg-application1", "id-web").unwrap();
    let application = azure.applications().into_iter().next().unwrap();
    assert_eq!(application.display_name, "id-jobs");
    assert!(application.tags.contains(&KWIF_TAG.to_string()));
    assert_eq!(
        saved.identities[0].client_id.map(|id| id.to_string()),
        Some(identity.client_id.clone())
    );
    assert_eq!(
        saved.identities[1].client_id.map(|id| id.to_string()),
        Some(application.app_id.clone())
    );
    assert_eq!(
        env_of(&demo, "web-api", "AZURE_CLIENT_ID"),
        Some(identity.client_id.clone())
    );
    assert_eq!(
        env_of(&demo, "reporter", "AZURE_CLIENT_ID"),
        Some(application.app_id.clone())
    );
    let credentials = azure.federated_credentials("rg-application1", "id-web");
    assert_eq!(credentials.len(), 2, "one per service account of id-web");
    let subjects: Vec<&str> = application
        .federated_credentials
        .iter()
        .map(|credential| credential.subject.as_str())
        .collect();
    assert_eq!(
        subjects,
        [
            "system:serviceaccount:application1:worker-sa",
            "system:serviceaccount:application1:reporter-sa"
        ]
    );

    // A rerun in a new process knows the saved ids and plans nothing.
    let rerun = kwif::session::runner(&saved, &demo.environment).await;
    let report = rerun.check_all().await;
    assert!(
        report.steps.iter().all(|step| step.status == Status::Ok),
        "{}",
        describe(&report)
    );
    for (step, plan) in rerun.plan_all().await {
        assert!(plan.unwrap().is_empty(), "{step} plans a change on a rerun");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_registration_converges_and_verifies_through_its_federated_credential() {
    let demo = Demo::start(Scenario::Fresh).await.unwrap();
    let profile = profile_with(
        &demo,
        "[{ name: id-application1, kind: application }]",
        "[{ namespace: application1, serviceAccount: application1-sa, name: web-server }]",
    );
    assert_eq!(
        profile.identity_field(0),
        "identity",
        "one identity is written as identity:"
    );
    let runner = kwif::session::runner(&profile, &demo.environment).await;
    let report = converge(&runner).await;
    let verify = report
        .steps
        .iter()
        .find(|step| step.id == StepId::Verify)
        .unwrap();
    assert_eq!(verify.status, Status::Ok, "{}", describe(&report));

    let azure = demo.sandbox().azure();
    let application = azure.applications().into_iter().next().unwrap();
    let principal = azure.service_principals().into_iter().next().unwrap();
    assert_eq!(principal.app_id, application.app_id);
    assert!(
        azure
            .role_assignments()
            .iter()
            .any(|assignment| assignment.principal_id == principal.id),
        "the role is the service principal's"
    );
    assert_eq!(
        env_of(&demo, "web-server", "AZURE_CLIENT_ID"),
        Some(application.app_id.clone())
    );
    // The token exchange succeeded as the application: Entra matched its credential.
    let log = azure.request_log();
    let exchanged = log
        .iter()
        .filter(|record| record.path.ends_with("/oauth2/v2.0/token") && record.status == 200)
        .count();
    assert!(exchanged >= 1, "{log:#?}");

    // Graph's replication window: the service principal of an application created moments
    // before is refused (400), and kwif tries again until Graph knows the application.
    let principals: Vec<u16> = log
        .iter()
        .filter(|record| {
            record.method == "POST" && record.path.ends_with("/v1.0/servicePrincipals")
        })
        .map(|record| record.status)
        .collect();
    assert_eq!(principals.first(), Some(&400), "{principals:?}");
    assert_eq!(principals.last(), Some(&201), "{principals:?}");
    let created: Vec<u16> = log
        .iter()
        .filter(|record| record.method == "POST" && record.path.ends_with("/v1.0/applications"))
        .map(|record| record.status)
        .collect();
    assert_eq!(created, [201], "one application, never a duplicate");

    let saved = kwif::session::with_learned_ids(&profile, &runner.learned()).unwrap();
    let text = saved.to_yaml();
    assert!(
        text.contains(&format!("clientId: {}", application.app_id)),
        "{text}"
    );
    assert!(
        text.contains(&format!("principalId: {}", principal.id)),
        "{text}"
    );
    assert!(text.contains("kind: application"), "{text}");
}

/// Sandbox Azure alone, a profile with one app registration, and kwif's session on it with the
/// administrator's client-secret login.
async fn graph_only() -> (AzureSandbox, Profile, AzureSession) {
    let sandbox = AzureSandbox::start(AzureSandboxOptions::default())
        .await
        .unwrap();
    let yaml = format!(
        "issuer: https://oidc.example.com/cluster1\nhosting: {{ kind: apiserver }}\nazure:\n  cloud: custom\n  \
         endpoints:\n    resourceManager: {}\n    authorityHost: {}\n    graph: {}\n  tenant: {}\n  subscription: {}\n  \
         resourceGroup: rg-application1\n  location: westeurope\nidentity:\n  name: id-app\n  kind: application\n  \
         roles:\n    - role: Storage Blob Data Reader\n      scope: /subscriptions/{}/resourceGroups/rg-application1\n\
         workloads:\n  - {{ namespace: app, serviceAccount: app-sa, name: web }}\n",
        sandbox.resource_manager_url(),
        sandbox.authority_host(),
        sandbox.graph_root(),
        sandbox.tenant_id(),
        sandbox.subscription_id(),
        sandbox.subscription_id(),
    );
    let profile = Profile::from_yaml(&yaml).unwrap();
    let login = sandbox.admin_login();
    let session = AzureSession::connect(
        &profile.azure,
        &AzureLogin::ServicePrincipal(ServicePrincipalSecret {
            tenant: login.tenant_id.clone(),
            client_id: login.client_id.clone(),
            secret: login.client_secret.clone(),
        }),
        &[sandbox.ca_certificate_pem().to_string()],
        Timeouts::default(),
    )
    .await
    .unwrap();
    (sandbox, profile, session)
}

fn steps(session: &AzureSession, profile: &Profile) -> Vec<Box<dyn Step>> {
    vec![
        Box::new(
            IdentityStep::from_profile(session, profile)
                .unwrap()
                .with_replication_wait(ReplicationWait::fast()),
        ),
        Box::new(
            FederationStep::from_profile(session, profile)
                .unwrap()
                .with_replication_wait(ReplicationWait::fast()),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_refusing_the_permission_says_which_one_and_how_to_grant_it() {
    let (sandbox, profile, session) = graph_only().await;
    sandbox.set_graph_permissions(sandbox.admin_principal_id(), &[]);
    let step = IdentityStep::from_profile(&session, &profile).unwrap();
    let check = step.check(&Facts::new()).await;
    assert_eq!(check.status, Status::Error);
    let finding = &check.findings[0];
    assert_eq!(finding.code, "GRAPH_PERMISSION_DENIED");
    assert_eq!(finding.identity.as_deref(), Some("id-app"));
    assert!(
        finding.message.contains("403 Authorization_RequestDenied"),
        "{}",
        finding.message
    );
    for needed in [
        "Application.ReadWrite.OwnedBy",
        "az ad app permission add --id $AZURE_CLIENT_ID",
        "18a4783c-866b-4cc7-a460-3d5e5662c884=Role",
        "az ad app permission admin-consent",
    ] {
        assert!(finding.fix.contains(needed), "{needed} in {}", finding.fix);
    }
    let refused = step.plan(&Facts::new()).await.unwrap_err();
    assert!(refused.fix.contains("Application.ReadWrite.OwnedBy"));
    assert!(sandbox.applications().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_replication_window_is_waited_out_and_a_rerun_plans_nothing() {
    let (sandbox, profile, session) = graph_only().await;
    sandbox.set_graph_replication_delay(Duration::from_millis(700));
    let runner = Runner::new(steps(&session, &profile));
    let outcome = runner.apply_all(|_| true).await;
    assert!(outcome.failed.is_none(), "{:?}", outcome.failed);
    assert!(
        outcome
            .report
            .steps
            .iter()
            .all(|step| step.status == Status::Ok),
        "{}",
        describe(&outcome.report)
    );
    let ids = known_ids(&runner.learned(), "id-app").unwrap();
    let application = sandbox.applications().into_iter().next().unwrap();
    assert_eq!(ids.client_id.to_string(), application.app_id);
    assert_eq!(application.federated_credentials.len(), 1);
    let refused: Vec<(String, u16)> = sandbox
        .request_log()
        .into_iter()
        .filter(|record| record.path.contains("/graph/") && record.status >= 400)
        .map(|record| (format!("{} {}", record.method, record.path), record.status))
        .collect();
    assert!(
        refused
            .iter()
            .any(|(request, status)| request.ends_with("servicePrincipals") && *status == 400),
        "{refused:#?}"
    );
    // A rerun in another process: Graph shows everything by now.
    let rerun = Runner::new(steps(&session, &profile));
    for (step, plan) in rerun.plan_all().await {
        assert!(plan.unwrap().is_empty(), "{step} plans a change on a rerun");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_kwif_did_not_create_is_never_changed() {
    let (sandbox, profile, session) = graph_only().await;
    sandbox.set_graph_permissions(sandbox.admin_principal_id(), &[READ_WRITE_ALL]);
    let theirs = sandbox.insert_application("id-app", &["team-a"]);
    let step = IdentityStep::from_profile(&session, &profile).unwrap();
    let check = step.check(&Facts::new()).await;
    assert_eq!(check.status, Status::Error);
    assert_eq!(check.findings[0].code, "IDENTITY_APPLICATION_NOT_KWIFS");
    assert!(
        check.findings[0].message.contains(&theirs.app_id),
        "{}",
        check.findings[0].message
    );
    let outcome = Runner::new(steps(&session, &profile))
        .apply_all(|_| true)
        .await;
    assert!(outcome.failed.is_some(), "apply refuses");
    assert_eq!(
        sandbox.applications(),
        [theirs],
        "untouched, nothing created"
    );
    let writes: Vec<String> = sandbox
        .request_log()
        .into_iter()
        .filter(|record| record.path.contains("/graph/") && record.method != "GET")
        .map(|record| format!("{} {}", record.method, record.path))
        .collect();
    assert!(writes.is_empty(), "{writes:#?}");
}

#[test]
fn the_readmes_profile_examples_are_valid_profiles() {
    let readme = include_str!("../../README.md");
    let section = &readme[readme.find("## The profile").unwrap()..];
    let blocks: Vec<&str> = section
        .split("```yaml\n")
        .skip(1)
        .map(|block| &block[..block.find("```").unwrap()])
        .collect();
    let single = Profile::from_yaml(blocks[0]).unwrap();
    assert_eq!(single.identities.len(), 1);
    let head = &blocks[0][..blocks[0].find("identity:").unwrap()];
    let several = Profile::from_yaml(&format!("{head}{}", blocks[1])).unwrap();
    assert_eq!(several.identities.len(), 2);
    assert!(several.needs_graph());
    assert_eq!(several.workloads[2].identity.as_str(), "id-jobs");
}
