//! Benchmark of the identity, federation and verify checks against the sandbox Azure, with the
//! sandbox API server as the issuer, reported as a median against the target (< 300 ms).
//! Run with `cargo bench --bench azure_steps`.

#![allow(clippy::unwrap_used)] // a panic in a test or benchmark is its failure message

use std::time::Duration;

use kwif::azure::cloud::AzureCloud;
use kwif::azure::cosmos::PollPolicy;
use kwif::azure::credential::AzureCredential;
use kwif::azure::retry::RetryPolicy;
use kwif::azure::roles::PrincipalWait;
use kwif::azure::session::AzureSession;
use kwif::engine::{Runner, Status, Step};
use kwif::oidc::fetch::Fetcher;
use kwif::profile::Profile;
use kwif::steps::federation::FederationStep;
use kwif::steps::identity::IdentityStep;
use kwif::steps::verify::{PropagationWait, VerifyStep};
use kwif_sandbox::azure::{AzureSandbox, AzureSandboxOptions};
use kwif_sandbox::{Distribution, KubeSandbox, KubeSandboxOptions};
use serde_json::json;

#[path = "support/measure.rs"]
mod measure;
use measure::{report, timed_checks};

const GROUP: &str = "rg-application1";

/// A kubeadm sandbox whose API server is the issuer, publishing its documents anonymously (as
/// `kubectl create clusterrolebinding oidc-reviewer … --group=system:unauthenticated` does).
async fn start_cluster() -> KubeSandbox {
    let kube = KubeSandbox::start(
        KubeSandboxOptions::new(Distribution::Kubeadm).with_anonymous_auth(true),
    )
    .await
    .unwrap();
    kube.set_issuers(vec![kube.url()], None).unwrap();
    for object in [
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "oidc-reviewer"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                "name": "system:service-account-issuer-discovery"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group",
                "name": "system:unauthenticated"}]}),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "application1"}}),
        json!({"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "application1-sa", "namespace": "application1"}}),
    ] {
        kube.insert(object).unwrap();
    }
    kube
}

/// The sandbox Azure with a Cosmos DB account, trusting the cluster's CA so that its Entra can
/// fetch the issuer's documents; delays as in tests/azure_steps.rs.
async fn start_azure(cluster: &KubeSandbox) -> AzureSandbox {
    let mut options = AzureSandboxOptions::default().with_cosmos_account(GROUP, "cosmos1");
    options.principal_replication_delay = Duration::from_millis(300);
    options.cosmos_provisioning_delay = Duration::from_millis(100);
    options
        .extra_ca_pems
        .push(cluster.ca_certificate_pem().to_string());
    AzureSandbox::start(options).await.unwrap()
}

/// One identity with a Storage role and a Cosmos DB data role, federated to one workload.
fn profile(azure: &AzureSandbox, issuer: &str) -> Profile {
    let group = format!(
        "/subscriptions/{}/resourceGroups/{GROUP}",
        azure.subscription_id()
    );
    let yaml = format!(
        "cluster: {{ distribution: kubeadm }}\nissuer: {issuer}\nhosting: {{ kind: apiserver }}\n\
         azure:\n  cloud: custom\n  endpoints:\n    resourceManager: {}\n    authorityHost: {}\n  \
         tenant: {}\n  subscription: {}\n  resourceGroup: {GROUP}\n  location: westeurope\n\
         identity:\n  name: id-application1\n  roles:\n\
         \x20   - role: Storage Blob Data Reader\n      scope: {group}\n\
         \x20   - cosmosDataRole: Cosmos DB Built-in Data Contributor\n      \
         account: {group}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos1\n\
         workloads:\n  - namespace: application1\n    serviceAccount: application1-sa\n    \
         kind: Deployment\n    name: web-server\n    mode: patch\n",
        azure.resource_manager_url(),
        azure.authority_host(),
        azure.tenant_id(),
        azure.subscription_id(),
    );
    Profile::from_yaml(&yaml).unwrap_or_else(|error| panic!("{error}\n{yaml}"))
}

fn session(azure: &AzureSandbox, profile: &Profile) -> AzureSession {
    AzureSession::with_credential(
        AzureCloud::from_profile(&profile.azure.cloud),
        AzureCredential::fixed_token("sandbox login", azure.admin_access_token()),
        azure.tenant_id().parse().unwrap(),
        azure.subscription_id().parse().unwrap(),
        &[azure.ca_certificate_pem().to_string()],
        RetryPolicy::fast(),
    )
    .unwrap()
}

fn azure_steps(session: &AzureSession, profile: &Profile) -> Vec<Box<dyn Step>> {
    vec![
        Box::new(
            IdentityStep::from_profile(session, profile)
                .unwrap()
                .with_waits(PrincipalWait::fast(), PollPolicy::fast()),
        ),
        Box::new(FederationStep::from_profile(session, profile).unwrap()),
    ]
}

/// Identity + federation + verify, after identity and federation have been applied, so that
/// every check ends Ok.
async fn applied_runner(cluster: &KubeSandbox, azure: &AzureSandbox, fetcher: Fetcher) -> Runner {
    let profile = profile(azure, &cluster.url());
    let session = session(azure, &profile);
    let outcome = Runner::new(azure_steps(&session, &profile))
        .apply_all(|_| true)
        .await;
    assert!(outcome.failed.is_none(), "{:?}", outcome.failed);
    let verify = VerifyStep::from_profile(
        &session,
        cluster.client().await.unwrap(),
        &profile,
        Some(fetcher),
    )
    .unwrap()
    .with_propagation_wait(PropagationWait {
        window: Duration::from_secs(10),
        interval: Duration::from_millis(300),
    });
    let mut steps = azure_steps(&session, &profile);
    steps.push(Box::new(verify));
    Runner::new(steps)
}

fn main() {
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    measure::runtime().block_on(async {
        let cluster = start_cluster().await;
        let ca_file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(ca_file.path(), cluster.ca_certificate_pem()).unwrap();
        let fetcher = Fetcher::new(&[ca_file.path().to_path_buf()]).unwrap();
        let azure = start_azure(&cluster).await;
        let runner = applied_runner(&cluster, &azure, fetcher).await;
        // The first check after apply settles what the apply left in flight, as in the test.
        runner.check_all().await;
        report(
            "identity + federation + verify checks",
            timed_checks(&runner, 20, Status::Ok).await,
            Duration::from_millis(300),
        );
    });
}
