//! The embedded demo end to end, through the real steps: each scenario starts in the state its
//! story describes, and `apply` repairs it until every step is ok and a rerun plans nothing.

use kwif::demo::{Demo, Scenario};
use kwif::engine::{Report, Status, StepId};

fn status(report: &Report, id: StepId) -> Status {
    report
        .steps
        .iter()
        .find(|step| step.id == id)
        .map(|step| step.status)
        .unwrap()
}

fn codes(report: &Report, id: StepId) -> Vec<&'static str> {
    report
        .steps
        .iter()
        .find(|step| step.id == id)
        .unwrap()
        .findings
        .iter()
        .map(|f| f.code)
        .collect()
}

fn describe(report: &Report) -> String {
    report
        .steps
        .iter()
        .map(|step| {
            format!(
                "{} {:?} {:?}\n",
                step.id,
                step.status,
                step.findings
                    .iter()
                    .map(|f| (f.code, &f.message))
                    .collect::<Vec<_>>()
            )
        })
        .collect()
}

async fn apply_everything(demo: &Demo) -> Report {
    let runner = demo.runner().await;
    let outcome = runner.apply_all(|_| true).await;
    assert!(
        outcome.failed.is_none(),
        "apply failed: {:?}\n{}",
        outcome.failed,
        describe(&outcome.report)
    );
    let plans = runner.plan_all().await;
    for (step, plan) in plans {
        assert!(
            plan.as_ref().unwrap().is_empty(),
            "{step} still plans {:?}",
            plan.unwrap().changes
        );
    }
    outcome.report
}

fn all_ok(report: &Report) {
    for step in &report.steps {
        assert_eq!(step.status, Status::Ok, "{}", describe(report));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_scenario_is_set_up_completely_by_apply() {
    let demo = Demo::start(Scenario::Fresh).await.unwrap();
    let before = demo.runner().await.check_all().await;
    assert_eq!(
        status(&before, StepId::Issuer),
        Status::Drift,
        "{}",
        describe(&before)
    );
    assert!(
        before.steps.iter().all(|step| step.status != Status::Ok),
        "nothing is set up yet:\n{}",
        describe(&before)
    );
    all_ok(&apply_everything(&demo).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drifted_scenario_shows_the_three_drifts_and_apply_repairs_them() {
    let demo = Demo::start(Scenario::Drifted).await.unwrap();
    let before = demo.runner().await.check_all().await;
    assert!(
        codes(&before, StepId::Hosting).contains(&"HOSTING_KEY_NOT_PUBLISHED"),
        "{}",
        describe(&before)
    );
    assert_ne!(
        status(&before, StepId::Federation),
        Status::Ok,
        "{}",
        describe(&before)
    );
    assert!(
        codes(&before, StepId::Workload).contains(&"WORKLOAD_ENV"),
        "{}",
        describe(&before)
    );
    assert_eq!(
        status(&before, StepId::Issuer),
        Status::Ok,
        "{}",
        describe(&before)
    );
    all_ok(&apply_everything(&demo).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_hosting_scenario_is_diagnosed_and_republished() {
    let demo = Demo::start(Scenario::BrokenHosting).await.unwrap();
    let before = demo.runner().await.check_all().await;
    let hosting = codes(&before, StepId::Hosting);
    assert!(
        hosting.contains(&"DISCOVERY_HTTP_STATUS") && hosting.contains(&"DISCOVERY_CONTENT_TYPE"),
        "{}",
        describe(&before)
    );
    assert_eq!(
        status(&before, StepId::Verify),
        Status::Error,
        "{}",
        describe(&before)
    );
    let after = apply_everything(&demo).await;
    assert_eq!(
        status(&after, StepId::Hosting),
        Status::Ok,
        "{}",
        describe(&after)
    );
    assert_eq!(
        status(&after, StepId::Verify),
        Status::Ok,
        "{}",
        describe(&after)
    );
}

/// Every request `demo`'s API server and Azure answered since the last call that changes
/// something, as `METHOD path`; the logs are cleared. A token minted by TokenRequest, a dry run
/// (what a plan's diff is made of) and the token POSTs to Entra store nothing, so they are reads.
fn writes_since_last_call(demo: &Demo) -> Vec<String> {
    let kube = demo.sandbox().kube();
    let azure = demo.sandbox().azure();
    let mut writes: Vec<String> = kube
        .request_log()
        .into_iter()
        .filter(|record| !matches!(record.method.as_str(), "GET" | "HEAD"))
        .filter(|record| record.query_param("dryRun").is_none())
        .filter(|record| !(record.method == "POST" && record.path.ends_with("/token")))
        .map(|record| format!("API server {} {}", record.method, record.path))
        .collect();
    writes.extend(
        azure
            .request_log()
            .into_iter()
            .filter(|record| !matches!(record.method.as_str(), "GET" | "HEAD"))
            .filter(|record| !(record.method == "POST" && record.path.contains("/oauth2/")))
            .map(|record| format!("Azure {} {}", record.method, record.path)),
    );
    kube.clear_request_log();
    azure.clear_request_log();
    writes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_apply_a_check_and_a_plan_only_read() {
    let demo = Demo::start(Scenario::Fresh).await.unwrap();
    all_ok(&apply_everything(&demo).await);
    let _ = writes_since_last_call(&demo);
    let runner = demo.runner().await;
    all_ok(&runner.check_all().await);
    assert_eq!(writes_since_last_call(&demo), Vec::<String>::new(), "check");
    let runner = demo.runner().await;
    for (step, plan) in runner.plan_all().await {
        assert!(plan.unwrap().is_empty(), "{step} plans a change");
    }
    assert_eq!(writes_since_last_call(&demo), Vec::<String>::new(), "plan");
}
