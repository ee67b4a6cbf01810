//! The `directory` publisher (the exact tree, served by a real nginx as any static host would)
//! and the `apiserver` publisher (the anonymous discovery binding on the sandbox API server).

use crate::support::codes;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::support::{Nginx, SiteSpec};
use kwif::engine::{Facts, Status, Step};
use kwif::hosting::{ApiServerPublisher, DirectoryPublisher, KeySource, Publisher};
use kwif::oidc::fetch::Fetcher;
use kwif::oidc::issuer::IssuerUrl;
use kwif::steps::hosting::HostingStep;
use kwif_sandbox::{Distribution, KubeSandbox, KubeSandboxOptions};
use serde_json::{Value, json};

fn fixture_key(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keys")
        .join(name)
}

/// Every file below `root`, relative, sorted.
fn tree(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    files.sort();
    files
}

fn directory_step(root: &Path, issuer: &str, ca_files: &[PathBuf]) -> HostingStep {
    let issuer = IssuerUrl::parse(issuer).unwrap();
    let publisher = Publisher::Directory(DirectoryPublisher::new(root, issuer.clone()));
    let keys = KeySource::KeyFiles(vec![
        fixture_key("rsa-2048.pub.pem"),
        fixture_key("ec-p256.pub.pem"),
    ]);
    HostingStep::new(issuer, keys, publisher, Fetcher::new(ca_files).unwrap())
}

// ------------------------------------------------------------------------------------ directory

#[tokio::test]
async fn the_directory_publisher_writes_the_exact_tree_that_a_static_host_serves_to_the_doctor() {
    let nginx = Nginx::start(vec![SiteSpec::json()]);
    let site = nginx.site(0);
    let issuer = format!("{}/cluster1", site.origin());
    let step = directory_step(&site.root, &issuer, &[PathBuf::from(nginx.ca_file())]);

    let plan = step.plan(&Facts::new()).await.unwrap();
    let root = site.root.display().to_string();
    let targets: Vec<String> = plan
        .changes
        .iter()
        .map(|change| change.target.replace(&root, "ROOT"))
        .collect();
    assert_eq!(
        targets,
        [
            "ROOT/cluster1/openid/v1/jwks",
            "ROOT/cluster1/.well-known/openid-configuration",
            "ROOT/README.md"
        ]
    );
    step.apply(&plan, &Facts::new()).await.unwrap();

    assert_eq!(
        tree(&site.root),
        [
            "README.md",
            "cluster1/.well-known/openid-configuration",
            "cluster1/openid/v1/jwks"
        ]
    );
    let discovery: Value = serde_json::from_str(
        &std::fs::read_to_string(site.root.join("cluster1/.well-known/openid-configuration"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        discovery,
        json!({
            "issuer": issuer,
            "jwks_uri": format!("{issuer}/openid/v1/jwks"),
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256", "RS256"],
        })
    );
    let jwks: Value = serde_json::from_str(
        &std::fs::read_to_string(site.root.join("cluster1/openid/v1/jwks")).unwrap(),
    )
    .unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids.len(), 2);
    let readme = std::fs::read_to_string(site.root.join("README.md")).unwrap();
    for needed in [
        "Content-Type: application/json",
        "`cluster1/`",
        &format!("{issuer}/.well-known/openid-configuration"),
        "kwif doctor --issuer",
    ] {
        assert!(
            readme.contains(needed),
            "the README says {needed:?}:\n{readme}"
        );
    }

    let check = step.check(&Facts::new()).await;
    assert_eq!(check.status, Status::Ok, "{check:?}");
    assert_eq!(codes(&check), ["ISSUER_PRIVATE_ADDRESS"]);
    assert!(
        step.plan(&Facts::new()).await.unwrap().is_empty(),
        "a rerun plans nothing"
    );

    std::fs::write(site.root.join("cluster1/openid/v1/jwks"), "{\"keys\":[]}").unwrap();
    let check = step.check(&Facts::new()).await;
    assert_eq!(check.status, Status::Error, "{check:?}");
    assert_eq!(
        codes(&check)
            .iter()
            .filter(|code| **code == "HOSTING_KEY_NOT_PUBLISHED")
            .count(),
        2,
        "{check:?}"
    );
    assert!(
        codes(&check).contains(&"HOSTING_DOCUMENT_OUTDATED"),
        "{check:?}"
    );
}

#[tokio::test]
async fn a_root_issuer_puts_the_documents_at_the_top_of_the_tree() {
    let root = tempfile::tempdir().unwrap();
    let step = directory_step(root.path(), "https://oidc.example.com/", &[]);
    step.apply(&step.plan(&Facts::new()).await.unwrap(), &Facts::new())
        .await
        .unwrap();
    assert_eq!(
        tree(root.path()),
        [
            ".well-known/openid-configuration",
            "README.md",
            "openid/v1/jwks"
        ]
    );
    let discovery: Value = serde_json::from_str(
        &std::fs::read_to_string(root.path().join(".well-known/openid-configuration")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        discovery["issuer"], "https://oidc.example.com/",
        "the trailing slash is kept"
    );
    assert_eq!(
        discovery["jwks_uri"],
        "https://oidc.example.com/openid/v1/jwks"
    );
}

/// The directory publisher at a fixed time, publishing the keys in `key_files`; its tokens live
/// an hour at most. The issuer refuses connections, so the published copy is what counts.
fn rotation_step(root: &Path, key_files: &[&str], now: SystemTime) -> HostingStep {
    let issuer = IssuerUrl::parse("https://127.0.0.1:9/cluster1").unwrap();
    let publisher = Publisher::Directory(DirectoryPublisher::new(root, issuer.clone()));
    let keys = KeySource::KeyFiles(key_files.iter().map(|name| fixture_key(name)).collect());
    HostingStep::new(issuer, keys, publisher, Fetcher::new(&[]).unwrap())
        .with_token_lifetime(Duration::from_secs(3600))
        .at(now)
}

fn published_kids(root: &Path) -> Vec<String> {
    let jwks: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("cluster1/openid/v1/jwks")).unwrap(),
    )
    .unwrap();
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["kid"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn after_a_rotation_the_old_key_is_pruned_only_once_the_longest_token_lifetime_has_passed() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let record = root.join("kwif-retired-keys.json");
    let rotated = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let old = rotation_step(root, &["rsa-2048.pub.pem"], rotated);
    old.apply(&old.plan(&Facts::new()).await.unwrap(), &Facts::new())
        .await
        .unwrap();
    let [old_kid] = <[String; 1]>::try_from(published_kids(root)).unwrap();

    // The cluster signs with a new key only: kwif publishes both and records the old one's retirement.
    let new = |now| rotation_step(root, &["rsa-2048-other.pkcs1.key"], now);
    let plan = new(rotated).plan(&Facts::new()).await.unwrap();
    assert!(
        plan.changes
            .iter()
            .any(|change| change.target == record.display().to_string()),
        "{plan:?}"
    );
    new(rotated).apply(&plan, &Facts::new()).await.unwrap();
    let [kept, new_kid] = <[String; 2]>::try_from(published_kids(root)).unwrap();
    assert_eq!(kept, old_kid);
    assert_eq!(
        std::fs::read_to_string(&record).unwrap(),
        format!("{{\"{old_kid}\":\"2027-01-15T08:00:00Z\"}}\n")
    );

    // The window: an hour of token lifetime plus 5 minutes of clock skew.
    let window = Duration::from_secs(3600 + 300);
    let last_second = rotated + window - Duration::from_secs(1);
    assert!(
        new(last_second)
            .plan(&Facts::new())
            .await
            .unwrap()
            .is_empty(),
        "never before the window has passed"
    );
    let check = new(last_second).check(&Facts::new()).await;
    let hosting_codes: Vec<&str> = codes(&check)
        .into_iter()
        .filter(|code| code.starts_with("HOSTING_"))
        .collect();
    assert_eq!(hosting_codes, ["HOSTING_STALE_KEY"], "no drift: {check:?}");
    let stale = check
        .findings
        .iter()
        .find(|finding| finding.code == "HOSTING_STALE_KEY")
        .unwrap();
    assert!(
        stale.message.starts_with(&format!(
            "old key {old_kid} is kept until 2027-01-15T09:05:00Z (the longest token lifetime after it was retired"
        )),
        "{stale:?}"
    );

    let pruning = new(rotated + window);
    let plan = pruning.plan(&Facts::new()).await.unwrap();
    let jwks = plan
        .changes
        .iter()
        .find(|change| change.target.ends_with("cluster1/openid/v1/jwks"))
        .unwrap();
    assert!(
        jwks.diff()
            .contains(&format!("-      \"kid\": \"{old_kid}\"")),
        "{}",
        jwks.diff()
    );
    assert!(
        plan.changes
            .iter()
            .any(|change| change.target == record.display().to_string() && change.after.is_empty()),
        "the record goes with the key: {plan:?}"
    );
    pruning.apply(&plan, &Facts::new()).await.unwrap();
    assert_eq!(published_kids(root), [new_kid]);
    assert!(!record.exists());
    assert!(
        pruning.plan(&Facts::new()).await.unwrap().is_empty(),
        "a rerun plans nothing"
    );
    let check = pruning.check(&Facts::new()).await;
    assert!(!codes(&check).contains(&"HOSTING_STALE_KEY"), "{check:?}");
}

// ------------------------------------------------------------------------------------ apiserver

/// A sandbox whose issuer is its own URL, and a CA file trusting it.
async fn apiserver_sandbox(
    distribution: Distribution,
) -> (KubeSandbox, tempfile::TempDir, PathBuf) {
    let sandbox = KubeSandbox::start(KubeSandboxOptions::new(distribution))
        .await
        .unwrap();
    let url = sandbox.url();
    sandbox
        .set_issuers(vec![url.clone()], Some(format!("{url}/openid/v1/jwks")))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("sandbox-ca.pem");
    std::fs::write(&ca_file, sandbox.ca_certificate_pem()).unwrap();
    (sandbox, dir, ca_file)
}

async fn apiserver_step(sandbox: &KubeSandbox, ca_file: &Path) -> HostingStep {
    let client = sandbox.client().await.unwrap();
    let issuer = IssuerUrl::parse(&sandbox.url()).unwrap();
    let publisher = Publisher::ApiServer(ApiServerPublisher::new(client.clone()));
    HostingStep::new(
        issuer,
        KeySource::Cluster(client),
        publisher,
        Fetcher::new(&[ca_file.to_path_buf()]).unwrap(),
    )
}

#[tokio::test]
async fn the_apiserver_publisher_binds_the_discovery_role_to_unauthenticated_users_and_warns_plainly()
 {
    let (sandbox, _dir, ca_file) = apiserver_sandbox(Distribution::Kubeadm).await;
    let step = apiserver_step(&sandbox, &ca_file).await;
    let check = step.check(&Facts::new()).await;
    assert_eq!(check.status, Status::Error, "{check:?}");
    assert!(
        codes(&check).contains(&"DISCOVERY_HTTP_STATUS"),
        "anonymous reads are refused: {check:?}"
    );
    assert!(
        codes(&check).contains(&"HOSTING_ANONYMOUS_DISCOVERY_NOT_BOUND"),
        "{check:?}"
    );

    let plan = step.plan(&Facts::new()).await.unwrap();
    assert_eq!(plan.changes.len(), 1);
    assert_eq!(
        plan.changes[0].target,
        "ClusterRoleBinding kwif-service-account-issuer-discovery"
    );
    step.apply(&plan, &Facts::new()).await.unwrap();
    let binding = sandbox
        .object(
            "rbac.authorization.k8s.io/v1",
            "ClusterRoleBinding",
            None,
            "kwif-service-account-issuer-discovery",
        )
        .unwrap();
    assert_eq!(
        binding["roleRef"],
        json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:service-account-issuer-discovery"})
    );
    assert_eq!(
        binding["subjects"],
        json!([{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:unauthenticated"}])
    );

    let check = step.check(&Facts::new()).await;
    assert_eq!(check.status, Status::Ok, "{check:?}");
    assert_eq!(
        codes(&check),
        ["ISSUER_PRIVATE_ADDRESS", "HOSTING_APISERVER_PUBLIC"]
    );
    let warning = &check.findings[1];
    for said in [
        "without credentials",
        "internet",
        "k0s, k3s and RKE2",
        "--anonymous-auth=false",
    ] {
        assert!(
            warning.message.contains(said),
            "the warning says {said:?}: {}",
            warning.message
        );
    }
    assert!(
        step.plan(&Facts::new()).await.unwrap().is_empty(),
        "a rerun plans nothing"
    );
}

#[tokio::test]
async fn on_k3s_the_binding_alone_does_not_open_the_documents_as_the_warning_says() {
    let (sandbox, _dir, ca_file) = apiserver_sandbox(Distribution::K3s).await;
    let step = apiserver_step(&sandbox, &ca_file).await;
    step.apply(&step.plan(&Facts::new()).await.unwrap(), &Facts::new())
        .await
        .unwrap();
    let check = step.check(&Facts::new()).await;
    assert_eq!(check.status, Status::Error, "{check:?}");
    assert!(
        codes(&check).contains(&"DISCOVERY_HTTP_STATUS"),
        "anonymous auth is off: {check:?}"
    );
    assert!(codes(&check).contains(&"HOSTING_APISERVER_PUBLIC"));
    assert!(!codes(&check).contains(&"HOSTING_ANONYMOUS_DISCOVERY_NOT_BOUND"));
}

/// Destroy takes back the anonymous-read binding kwif made for `kind: apiserver`, and nothing
/// else: the API server's documents are its own.
#[tokio::test]
async fn destroy_removes_the_apiserver_binding_kwif_made_and_a_rerun_plans_nothing() {
    let (sandbox, _dir, ca_file) = apiserver_sandbox(Distribution::Kubeadm).await;
    let step = apiserver_step(&sandbox, &ca_file).await;
    step.apply(&step.plan(&Facts::new()).await.unwrap(), &Facts::new())
        .await
        .unwrap();
    let binding = || {
        sandbox.object(
            "rbac.authorization.k8s.io/v1",
            "ClusterRoleBinding",
            None,
            "kwif-service-account-issuer-discovery",
        )
    };
    assert!(binding().is_some());

    let removal = step.plan_removal(&Facts::new()).await.unwrap();
    let targets: Vec<&str> = removal
        .changes
        .iter()
        .map(|change| change.target.as_str())
        .collect();
    assert_eq!(
        targets,
        ["ClusterRoleBinding kwif-service-account-issuer-discovery"]
    );
    step.remove(&removal, &Facts::new()).await.unwrap();
    assert!(binding().is_none(), "the binding is gone");
    assert!(
        step.plan_removal(&Facts::new())
            .await
            .unwrap()
            .changes
            .is_empty()
    );
}
