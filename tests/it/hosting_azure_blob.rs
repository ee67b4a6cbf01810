//! The `azure-blob` publisher against a real Azurite (npm `azurite`, installed by
//! scripts/test.sh) over real TLS from a test CA: uploads, content types, anonymous reads, the
//! static website, errors; and a key rotation of the sandbox cluster end to end through the doctor.

use crate::support::codes;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use crate::support::{Pki, Validity};
use kwif::azure::cloud::AzureCloud;
use kwif::azure::credential::AzureCredential;
use kwif::azure::retry::RetryPolicy;
use kwif::azure::session::AzureSession;
use kwif::engine::{Check, Facts, Status, Step};
use kwif::hosting::azure_blob::{DISCOVERY_BLOB, JWKS_BLOB};
use kwif::hosting::shared_key::{SharedKey, http_date};
use kwif::hosting::{
    AzureBlobPublisher, BlobEndpoint, HostingError, KeySource, Publisher, StorageKey,
};
use kwif::oidc::AZURE_AUDIENCE;
use kwif::oidc::doctor::{Doctor, Examination};
use kwif::oidc::fetch::Fetcher;
use kwif::oidc::issuer::IssuerUrl;
use kwif::profile::{AzureBlobHosting, BlobMode, ContainerName, Profile, StorageAccountName};
use kwif::steps::hosting::{HostingOptions, HostingStep};
use kwif_sandbox::azure::{
    AzureSandbox, AzureSandboxOptions, StorageAccount as SandboxStorageAccount, StorageDataPlane,
};
use kwif_sandbox::{Distribution, KubeSandbox, KubeSandboxOptions};
use serde_json::Value;

/// Azurite's well-known development account and key (public, documented by Microsoft).
const ACCOUNT: &str = "devstoreaccount1";
const ACCOUNT_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

// ------------------------------------------------------------------------------------ Azurite

/// One Azurite per test binary, serving HTTPS on loopback with a workspace in a temp dir. It is
/// started through `sh`, which kills it when this process exits and closes its standard input.
struct Azurite {
    port: u16,
    pki: Pki,
    _child: Mutex<Child>,
    _stdin: Mutex<ChildStdin>,
    _workspace: tempfile::TempDir,
}

fn azurite_binary() -> PathBuf {
    if let Ok(path) = std::env::var("KWIF_AZURITE_BLOB") {
        return path.into();
    }
    let local = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/tools/azurite/node_modules/.bin/azurite-blob");
    if local.exists() {
        return local;
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("azurite-blob"))
        .find(|candidate| candidate.exists());
    on_path.unwrap_or_else(|| panic!("azurite-blob is not installed: run `bash scripts/test.sh`, which installs npm's azurite"))
}

fn azurite() -> &'static Azurite {
    static AZURITE: OnceLock<Azurite> = OnceLock::new();
    AZURITE.get_or_init(|| {
        let pki = Pki::new();
        let (cert, key) =
            pki.server_certificate("azurite", &["127.0.0.1", "localhost"], Validity::Current);
        let workspace = tempfile::tempdir().unwrap();
        let port = crate::support::free_port();
        let mut child = Command::new("sh")
            .arg("-c")
            .arg("\"$@\" & server=$!; read -r _; kill $server")
            .arg("sh")
            .arg(azurite_binary())
            .args([
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                &port.to_string(),
                "--silent",
                "--disableTelemetry",
            ])
            .arg("--location")
            .arg(workspace.path())
            .arg("--cert")
            .arg(&cert)
            .arg("--key")
            .arg(&key)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("azurite starts");
        let stdin = child.stdin.take().unwrap();
        crate::support::wait_for_port("azurite", port, Duration::from_secs(60));
        Azurite {
            port,
            pki,
            _child: Mutex::new(child),
            _stdin: Mutex::new(stdin),
            _workspace: workspace,
        }
    })
}

impl Azurite {
    /// The path-style blob endpoint: `https://127.0.0.1:PORT/devstoreaccount1/`.
    fn endpoint(&self) -> BlobEndpoint {
        let url = url::Url::parse(&format!("https://127.0.0.1:{}/{ACCOUNT}/", self.port)).unwrap();
        BlobEndpoint::new(url, ACCOUNT)
    }

    fn issuer(&self, container: &str) -> IssuerUrl {
        IssuerUrl::parse(&format!("{}{container}/", self.endpoint().url())).unwrap()
    }

    fn ca_files(&self) -> Vec<PathBuf> {
        vec![self.pki.ca_file()]
    }

    fn http(&self) -> kwif::network::HttpClient {
        AzureBlobPublisher::http_client(&self.ca_files()).unwrap()
    }

    /// A signed request made by hand, as another tool (or the portal) would have.
    async fn signed(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> reqwest::Response {
        let url = url::Url::parse(url).unwrap();
        let mut all: Vec<(&str, String)> = headers
            .iter()
            .map(|(name, value)| (*name, value.to_string()))
            .collect();
        all.push(("x-ms-date", http_date(SystemTime::now())));
        all.push(("x-ms-version", "2025-11-05".to_string()));
        if method == "PUT" {
            all.push(("content-length", body.len().to_string()));
        }
        let signer = SharedKey::new(ACCOUNT, StorageKey::parse(ACCOUNT_KEY).unwrap());
        let authorization = signer.authorization(method, &url, &all);
        let mut request = self
            .http()
            .request(method.parse().unwrap(), url)
            .header("authorization", authorization);
        for (name, value) in &all {
            request = request.header(*name, value);
        }
        request.body(body.to_string()).send().await.unwrap()
    }
}

// ------------------------------------------------------------------------------------ builder

/// A hosting step publishing to one container (or `$web`) of Azurite.
struct BlobTest {
    issuer: IssuerUrl,
    mode: BlobMode,
    key: Option<StorageKey>,
    keys: KeySource,
}

impl BlobTest {
    fn public_container(container: &str) -> BlobTest {
        BlobTest {
            issuer: azurite().issuer(container),
            mode: BlobMode::PublicContainer(ContainerName::parse(container).unwrap()),
            key: Some(StorageKey::parse(ACCOUNT_KEY).unwrap()),
            keys: KeySource::KeyFiles(vec![fixture_key("rsa-2048.pub.pem")]),
        }
    }

    fn key(mut self, key: Option<&str>) -> BlobTest {
        self.key = key.map(|key| StorageKey::parse(key).unwrap());
        self
    }

    fn keys(mut self, keys: KeySource) -> BlobTest {
        self.keys = keys;
        self
    }

    fn publisher(&self) -> AzureBlobPublisher {
        let hosting = AzureBlobHosting {
            storage_account: StorageAccountName::parse("devstoreaccount1").unwrap(),
            mode: self.mode.clone(),
            resource_group: None,
        };
        AzureBlobPublisher::new(
            hosting,
            self.issuer.clone(),
            azurite().endpoint(),
            self.key.clone(),
            azurite().http(),
        )
    }

    fn step(self) -> HostingStep {
        let publisher = Publisher::AzureBlob(self.publisher());
        let fetcher = Fetcher::new(&azurite().ca_files()).unwrap();
        HostingStep::new(self.issuer, self.keys, publisher, fetcher)
    }
}

fn fixture_key(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keys")
        .join(name)
}

/// Errors only; the issuer on 127.0.0.1 always draws the ISSUER_PRIVATE_ADDRESS warning.
fn errors(check: &Check) -> Vec<&'static str> {
    check
        .findings
        .iter()
        .filter(|finding| finding.is_error())
        .map(|finding| finding.code)
        .collect()
}

async fn anonymous_get(url: &str) -> (u16, Option<String>, String) {
    let response = azurite()
        .http()
        .request(reqwest::Method::GET, url::Url::parse(url).unwrap())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_string());
    (status, content_type, response.text().await.unwrap())
}

/// The blob's `x-ms-meta-kwifretiredkeys`, as an anonymous reader gets it.
async fn retired_keys_metadata(url: &str) -> Option<String> {
    let response = azurite()
        .http()
        .request(reqwest::Method::GET, url::Url::parse(url).unwrap())
        .send()
        .await
        .unwrap();
    response
        .headers()
        .get("x-ms-meta-kwifretiredkeys")
        .map(|value| value.to_str().unwrap().to_string())
}

// ------------------------------------------------------------------------------------ tests

#[tokio::test]
async fn publishing_to_a_new_container_uploads_both_documents_as_json_readable_anonymously() {
    let test = BlobTest::public_container("oidc-fresh");
    let issuer = test.issuer.clone();
    let step = test.step();

    let plan = step.plan(&Facts::new()).await.unwrap();
    let targets: Vec<&str> = plan
        .changes
        .iter()
        .map(|change| change.target.as_str())
        .collect();
    assert_eq!(
        targets,
        [
            "container oidc-fresh in storage account devstoreaccount1".to_string(),
            format!("{issuer}.well-known/openid-configuration"),
            format!("{issuer}openid/v1/jwks"),
        ]
    );
    assert!(
        plan.changes[0]
            .summary
            .contains(&format!("the issuer is {issuer}")),
        "the issuer is shown first: {}",
        plan.changes[0].summary
    );
    assert!(
        plan.changes[2].diff().contains("+  \"keys\": ["),
        "{}",
        plan.changes[2].diff()
    );

    step.apply(&plan, &Facts::new()).await.unwrap();

    for document in [".well-known/openid-configuration", "openid/v1/jwks"] {
        let (status, content_type, body) = anonymous_get(&format!("{issuer}{document}")).await;
        assert_eq!(status, 200, "{document} is readable without credentials");
        assert_eq!(
            content_type.as_deref(),
            Some("application/json"),
            "{document}"
        );
        let _: Value = serde_json::from_str(&body).unwrap();
    }
    let (_, _, discovery) =
        anonymous_get(&format!("{issuer}.well-known/openid-configuration")).await;
    let discovery: Value = serde_json::from_str(&discovery).unwrap();
    assert_eq!(
        discovery["issuer"],
        issuer.as_str(),
        "byte for byte, trailing slash included"
    );
    let (status, _, _) = anonymous_get(&format!("{issuer}?restype=container&comp=list")).await;
    assert_ne!(
        status, 200,
        "anonymous users read blobs but cannot list the container"
    );

    let check = step.check(&Facts::new()).await;
    assert_eq!(check.status, Status::Ok, "{check:?}");
    assert_eq!(
        codes(&check),
        ["ISSUER_PRIVATE_ADDRESS"],
        "the doctor passes: {check:?}"
    );
    assert!(
        step.plan(&Facts::new()).await.unwrap().is_empty(),
        "a rerun plans nothing"
    );
}

#[tokio::test]
async fn destroy_deletes_both_documents_and_leaves_the_container_and_the_account() {
    let test = BlobTest::public_container("oidc-destroyed");
    let issuer = test.issuer.clone();
    let step = test.step();
    let plan = step.plan(&Facts::new()).await.unwrap();
    step.apply(&plan, &Facts::new()).await.unwrap();

    let removal = step.plan_removal(&Facts::new()).await.unwrap();
    let targets: Vec<&str> = removal
        .changes
        .iter()
        .map(|change| change.target.as_str())
        .collect();
    assert_eq!(
        targets,
        [
            format!("blob {issuer}.well-known/openid-configuration"),
            format!("blob {issuer}openid/v1/jwks"),
        ]
    );
    assert!(
        removal.changes[1]
            .summary
            .contains("left: container oidc-destroyed of storage account devstoreaccount1"),
        "{}",
        removal.changes[1].summary
    );
    assert!(removal.changes[1].diff().contains("-  \"keys\": ["));

    step.remove(&removal, &Facts::new()).await.unwrap();
    for document in [".well-known/openid-configuration", "openid/v1/jwks"] {
        let (status, _, _) = anonymous_get(&format!("{issuer}{document}")).await;
        assert_eq!(status, 404, "{document} is gone");
    }
    let container = azurite()
        .signed("GET", &format!("{issuer}?restype=container"), &[], "")
        .await;
    assert_eq!(container.status(), 200, "the container stays");
    assert!(
        step.plan_removal(&Facts::new()).await.unwrap().is_empty(),
        "nothing of kwif's is left"
    );
    step.remove(&removal, &Facts::new())
        .await
        .expect("removing again is fine");
}

#[tokio::test]
async fn a_private_container_is_opened_for_anonymous_blob_reads() {
    let test = BlobTest::public_container("oidc-private");
    let base = azurite().endpoint().url().to_string();
    let created = azurite()
        .signed(
            "PUT",
            &format!("{base}oidc-private?restype=container"),
            &[],
            "",
        )
        .await;
    assert_eq!(created.status(), 201);
    let issuer = test.issuer.clone();
    let step = test.step();
    let plan = step.plan(&Facts::new()).await.unwrap();
    assert_eq!(
        plan.changes[0].summary,
        format!(
            "allow anonymous blob reads (no listing) so Entra ID can fetch the documents at {issuer}"
        )
    );
    step.apply(&plan, &Facts::new()).await.unwrap();
    let (status, content_type, _) = anonymous_get(&format!("{issuer}openid/v1/jwks")).await;
    assert_eq!(
        (status, content_type.as_deref()),
        (200, Some("application/json"))
    );
    assert_eq!(errors(&step.check(&Facts::new()).await), Vec::<&str>::new());
}

#[tokio::test]
async fn a_document_stored_as_octet_stream_is_drift_and_is_uploaded_again_as_json() {
    let test = BlobTest::public_container("oidc-typed");
    let issuer = test.issuer.clone();
    let step = test.step();
    step.apply(&step.plan(&Facts::new()).await.unwrap(), &Facts::new())
        .await
        .unwrap();
    // Someone uploads the JWKS again the way Azure's guide does, without a content type.
    let jwks = anonymous_get(&format!("{issuer}openid/v1/jwks")).await.2;
    let put = azurite()
        .signed(
            "PUT",
            &format!("{issuer}openid/v1/jwks"),
            &[("x-ms-blob-type", "BlockBlob")],
            &jwks,
        )
        .await;
    assert_eq!(put.status(), 201);
    let (_, content_type, _) = anonymous_get(&format!("{issuer}openid/v1/jwks")).await;
    assert_eq!(content_type.as_deref(), Some("application/octet-stream"));

    let check = step.check(&Facts::new()).await;
    assert!(
        codes(&check).contains(&"JWKS_CONTENT_TYPE"),
        "the doctor sees it: {check:?}"
    );
    assert!(
        codes(&check).contains(&"HOSTING_DOCUMENT_CONTENT_TYPE"),
        "{check:?}"
    );
    assert_eq!(check.status, Status::Drift);
    let plan = step.plan(&Facts::new()).await.unwrap();
    assert_eq!(plan.changes.len(), 1, "{plan:?}");
    assert_eq!(
        plan.changes[0].summary,
        "upload the JWKS again as application/json (stored as application/octet-stream)"
    );
    step.apply(&plan, &Facts::new()).await.unwrap();
    assert_eq!(
        anonymous_get(&format!("{issuer}openid/v1/jwks"))
            .await
            .1
            .as_deref(),
        Some("application/json")
    );
    assert_eq!(step.check(&Facts::new()).await.status, Status::Ok);
}

#[tokio::test]
async fn static_website_mode_enables_the_website_and_uploads_to_web() {
    // The static website is served from `https://<account>.zNN.web.core.windows.net/`, which
    // Azurite does not emulate: the issuer is given, and the blobs are read back with the key.
    let mut test = BlobTest::public_container("unused");
    test.mode = BlobMode::StaticWebsite;
    test.issuer = IssuerUrl::parse("https://devstoreaccount1.z6.web.core.windows.net/").unwrap();
    let publisher = Publisher::AzureBlob(test.publisher());
    let step = test.step();
    let plan = step.plan(&Facts::new()).await.unwrap();
    let summaries: Vec<&str> = plan
        .changes
        .iter()
        .map(|change| change.summary.as_str())
        .collect();
    assert_eq!(
        summaries[0],
        "enable it; the documents go to $web and the issuer is https://devstoreaccount1.z6.web.core.windows.net/"
    );
    step.apply(&plan, &Facts::new()).await.unwrap();

    let base = azurite().endpoint().url().to_string();
    let properties = azurite()
        .signed(
            "GET",
            &format!("{base}?restype=service&comp=properties"),
            &[],
            "",
        )
        .await;
    let properties = properties.text().await.unwrap();
    assert!(
        properties.contains("<StaticWebsite><Enabled>true</Enabled>"),
        "{properties}"
    );
    for blob in [DISCOVERY_BLOB, JWKS_BLOB] {
        let read = azurite()
            .signed("GET", &format!("{base}$web/{blob}"), &[], "")
            .await;
        assert_eq!(read.status(), 200, "{blob}");
        assert_eq!(read.headers()["content-type"], "application/json", "{blob}");
    }
    let published = publisher.read().await.unwrap();
    let discovery: Value = serde_json::from_str(published.discovery.as_deref().unwrap()).unwrap();
    assert_eq!(
        discovery["jwks_uri"],
        "https://devstoreaccount1.z6.web.core.windows.net/openid/v1/jwks"
    );
    assert!(
        step.plan(&Facts::new()).await.unwrap().is_empty(),
        "a rerun plans nothing"
    );
}

#[tokio::test]
async fn a_wrong_account_key_and_a_missing_one_are_findings_with_the_fix() {
    let wrong = BlobTest::public_container("oidc-denied")
        .key(Some("d3Jvbmcga2V5"))
        .step();
    let check = wrong.check(&Facts::new()).await;
    assert_eq!(check.status, Status::Error);
    let finding = check
        .findings
        .iter()
        .find(|finding| finding.code == "HOSTING_STORAGE_AUTH")
        .unwrap_or_else(|| panic!("{check:?}"));
    assert!(
        finding.fix.contains("az storage account keys list"),
        "{finding:?}"
    );

    let missing = BlobTest::public_container("oidc-nokey").key(None).step();
    let check = missing.check(&Facts::new()).await;
    let finding = check
        .findings
        .iter()
        .find(|finding| finding.code == "HOSTING_STORAGE_KEY_MISSING")
        .unwrap_or_else(|| panic!("{check:?}"));
    assert!(
        finding.fix.starts_with("export AZURE_STORAGE_KEY="),
        "{finding:?}"
    );
    let error = missing.plan(&Facts::new()).await.unwrap_err();
    assert!(
        error.message.contains("no storage account key"),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_account_that_does_not_answer_without_resource_manager_says_how_to_find_it() {
    let port = crate::support::free_port();
    let test = BlobTest::public_container("oidc-nowhere");
    let hosting = AzureBlobHosting {
        storage_account: StorageAccountName::parse("devstoreaccount1").unwrap(),
        mode: test.mode.clone(),
        resource_group: None,
    };
    let endpoint = BlobEndpoint::new(
        url::Url::parse(&format!("https://127.0.0.1:{port}/{ACCOUNT}/")).unwrap(),
        ACCOUNT,
    );
    let publisher = AzureBlobPublisher::new(
        hosting,
        test.issuer.clone(),
        endpoint,
        test.key.clone(),
        azurite().http(),
    );
    let error = Publisher::AzureBlob(publisher).read().await.unwrap_err();
    assert!(
        matches!(error, HostingError::StorageUnreachable { .. }),
        "{error:?}"
    );
    assert!(
        error
            .fix()
            .contains("kwif reads the account's endpoint through Resource Manager"),
        "{}",
        error.fix()
    );
}

// ------------------------------------------------------------------------------------ rotation

/// A token for `default/default` with Entra's audience, signed by the sandbox's current key.
async fn token(client: &kube::Client) -> String {
    kwif::kube::mint_token(client, "default", "default", AZURE_AUDIENCE, 3600)
        .await
        .unwrap()
}

async fn doctor_errors(issuer: &IssuerUrl, token: &str) -> Vec<String> {
    let doctor = Doctor::new(Fetcher::new(&azurite().ca_files()).unwrap());
    let examination = Examination {
        issuer: issuer.as_str(),
        token: Some(token),
        audience: AZURE_AUDIENCE,
        now: SystemTime::now(),
    };
    let findings = doctor.examine(&examination).await.unwrap();
    findings
        .iter()
        .filter(|finding| finding.is_error())
        .map(|finding| format!("{}: {}", finding.code, finding.message))
        .collect()
}

#[tokio::test]
async fn rerun_after_key_rotation_publishes_both_keys_and_tokens_of_either_key_verify() {
    let issuer = azurite().issuer("oidc-rotation");
    let options = KubeSandboxOptions::new(Distribution::Kubeadm).with_issuers([issuer.as_str()]);
    let sandbox = KubeSandbox::start(options).await.unwrap();
    let client = sandbox.client().await.unwrap();
    let step = BlobTest::public_container("oidc-rotation")
        .keys(KeySource::Cluster(client.clone()))
        .step();
    step.apply(&step.plan(&Facts::new()).await.unwrap(), &Facts::new())
        .await
        .unwrap();
    assert_eq!(step.check(&Facts::new()).await.status, Status::Ok);
    let old_kid = sandbox.signing_kid();
    let old_token = token(&client).await;
    assert_eq!(
        doctor_errors(&issuer, &old_token).await,
        Vec::<String>::new()
    );

    // The cluster rotates: new tokens carry a key Entra has never seen.
    let new_kid = sandbox.rotate_signing_key().unwrap();
    let new_token = token(&client).await;
    let check = step.check(&Facts::new()).await;
    assert_eq!(check.status, Status::Error);
    let drift = check
        .findings
        .iter()
        .find(|finding| finding.code == "HOSTING_KEY_NOT_PUBLISHED")
        .unwrap();
    assert!(
        drift.message.contains(&new_kid) && drift.message.contains("AADSTS7000272"),
        "{drift:?}"
    );
    let errors_before = doctor_errors(&issuer, &new_token).await;
    assert!(
        errors_before
            .iter()
            .any(|error| error.starts_with("TOKEN_KID_NOT_IN_JWKS")),
        "{errors_before:?}"
    );

    let plan = step.plan(&Facts::new()).await.unwrap();
    assert_eq!(plan.changes.len(), 1, "only the JWKS changes: {plan:?}");
    assert!(plan.changes[0].target.ends_with("/openid/v1/jwks"));
    assert!(
        plan.changes[0]
            .diff()
            .contains(&format!("+      \"kid\": \"{new_kid}\"")),
        "{}",
        plan.changes[0].diff()
    );
    step.apply(&plan, &Facts::new()).await.unwrap();

    let published = anonymous_get(&format!("{issuer}openid/v1/jwks")).await.2;
    let kids: Vec<String> = serde_json::from_str::<Value>(&published).unwrap()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["kid"].as_str().unwrap().to_string())
        .collect();
    assert!(
        kids.contains(&old_kid) && kids.contains(&new_kid),
        "{kids:?}"
    );
    assert_eq!(
        doctor_errors(&issuer, &old_token).await,
        Vec::<String>::new(),
        "the old key's token still verifies"
    );
    assert_eq!(
        doctor_errors(&issuer, &new_token).await,
        Vec::<String>::new(),
        "the new key's token verifies"
    );
    assert_eq!(step.check(&Facts::new()).await.status, Status::Ok);

    // The admin drops the old key from the cluster: kwif keeps it published, records on the JWKS
    // blob's metadata when it was retired, and prunes it only once the window has passed.
    assert!(sandbox.remove_verification_key(&old_kid));
    let retired = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let at = |now: SystemTime| {
        BlobTest::public_container("oidc-rotation")
            .keys(KeySource::Cluster(client.clone()))
            .step()
            .at(now)
    };
    let check = at(retired).check(&Facts::new()).await;
    assert_eq!(
        check.status,
        Status::Drift,
        "the retirement is to be recorded: {check:?}"
    );
    let stale = check
        .findings
        .iter()
        .find(|finding| finding.code == "HOSTING_STALE_KEY")
        .unwrap();
    assert!(
        stale
            .message
            .contains(&format!("old key {old_kid} is kept until ")),
        "{stale:?}"
    );
    let plan = at(retired).plan(&Facts::new()).await.unwrap();
    assert_eq!(plan.changes.len(), 1, "only the record: {plan:?}");
    assert!(
        plan.changes[0]
            .target
            .ends_with("metadata x-ms-meta-kwifretiredkeys"),
        "{plan:?}"
    );
    at(retired).apply(&plan, &Facts::new()).await.unwrap();
    assert_eq!(
        retired_keys_metadata(&format!("{issuer}openid/v1/jwks")).await,
        Some(format!("{{\"{old_kid}\":\"2027-01-15T08:00:00Z\"}}")),
        "the record is the JWKS blob's metadata"
    );

    // The record round-trips: a later run at the last second of the window keeps the key.
    let window = Duration::from_secs(86_400 + 300);
    let last_second = retired + window - Duration::from_secs(1);
    assert!(
        at(last_second)
            .plan(&Facts::new())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        at(last_second).check(&Facts::new()).await.status,
        Status::Ok
    );

    let pruning = at(retired + window);
    let plan = pruning.plan(&Facts::new()).await.unwrap();
    assert!(
        plan.changes[0]
            .diff()
            .contains(&format!("-      \"kid\": \"{old_kid}\"")),
        "{}",
        plan.changes[0].diff()
    );
    pruning.apply(&plan, &Facts::new()).await.unwrap();
    assert_eq!(
        codes(&pruning.check(&Facts::new()).await),
        ["ISSUER_PRIVATE_ADDRESS"]
    );
    assert!(pruning.plan(&Facts::new()).await.unwrap().is_empty());
    assert_eq!(
        retired_keys_metadata(&format!("{issuer}openid/v1/jwks")).await,
        None,
        "the record goes with the key"
    );
}

// ------------------------------------------------------------- the account through Resource Manager

/// The sandbox's Resource Manager with Azurite as every storage account's blob service, and a
/// hosting step built from a profile the way `kwif apply` builds it (no AZURE_STORAGE_KEY).
struct Managed {
    sandbox: AzureSandbox,
    profile: Profile,
    session: AzureSession,
    issuer: IssuerUrl,
}

impl Managed {
    async fn start(container: &str, options: AzureSandboxOptions) -> Managed {
        let issuer = azurite().issuer(container);
        let hosting = format!("{{ storageAccount: {ACCOUNT}, container: {container} }}");
        Managed::with_hosting(issuer, &hosting, options, true).await
    }

    /// `hosting` is the `azureBlob` block; `logged_in`: kwif sends the sandbox administrator's
    /// token, else an empty one that Resource Manager refuses.
    async fn with_hosting(
        issuer: IssuerUrl,
        hosting: &str,
        options: AzureSandboxOptions,
        logged_in: bool,
    ) -> Managed {
        let data_plane = StorageDataPlane {
            blob_endpoint: format!("https://127.0.0.1:{}/{{account}}/", azurite().port),
            web_endpoint: "https://{account}.z6.web.core.windows.net/".to_string(),
            key: ACCOUNT_KEY.to_string(),
        };
        let sandbox = AzureSandbox::start(options.with_storage_data_plane(data_plane))
            .await
            .expect("sandbox Azure starts");
        let yaml = format!(
            "cluster: {{ distribution: kubeadm }}\nissuer: {issuer}\nhosting:\n  kind: azure-blob\n  azureBlob: {hosting}\n\
             azure:\n  cloud: custom\n  endpoints:\n    resourceManager: {}\n    authorityHost: {}\n  tenant: {}\n  subscription: {}\n  resourceGroup: {GROUP}\n  location: westeurope\n\
             identity:\n  name: id-application1\n  roles: []\nworkloads:\n  - namespace: app\n    serviceAccount: app-sa\n    kind: Deployment\n    name: web\n    mode: patch\n",
            sandbox.resource_manager_url(),
            sandbox.authority_host(),
            sandbox.tenant_id(),
            sandbox.subscription_id(),
        );
        let profile = Profile::from_yaml(&yaml).unwrap_or_else(|error| panic!("{error}\n{yaml}"));
        let session = AzureSession::with_credential(
            AzureCloud::from_profile(&profile.azure.cloud),
            AzureCredential::fixed_token(
                "sandbox login",
                if logged_in {
                    sandbox.admin_access_token()
                } else {
                    String::new()
                },
            ),
            sandbox.tenant_id().parse().unwrap(),
            sandbox.subscription_id().parse().unwrap(),
            &[sandbox.ca_certificate_pem().to_string()],
            RetryPolicy::default(),
        )
        .unwrap();
        Managed {
            sandbox,
            profile,
            session,
            issuer,
        }
    }

    fn step(&self) -> HostingStep {
        self.step_with_key(None)
    }

    /// With the account key given, as AZURE_STORAGE_KEY would.
    fn step_with_key(&self, key: Option<&str>) -> HostingStep {
        let options = HostingOptions {
            ca_files: azurite().ca_files(),
            key_files: vec![fixture_key("rsa-2048.pub.pem")],
            storage_key: key.map(|key| StorageKey::parse(key).unwrap()),
            ..HostingOptions::default()
        };
        let no_cluster = Err(kwif::engine::Finding::error(
            "CLUSTER_UNREACHABLE",
            "none",
            "none",
        ));
        HostingStep::for_profile(&self.profile, no_cluster, Some(&self.session), options)
            .unwrap_or_else(|finding| panic!("{finding:?}"))
    }

    fn account(&self) -> Option<SandboxStorageAccount> {
        self.sandbox.storage_account(GROUP, ACCOUNT)
    }

    /// How many requests matched `method` and a path ending in `suffix`.
    fn requests(&self, method: &str, suffix: &str) -> usize {
        self.sandbox
            .request_log()
            .iter()
            .filter(|record| record.method == method && record.path.ends_with(suffix))
            .count()
    }
}

const GROUP: &str = "rg-application1";

fn finding<'c>(check: &'c Check, code: &str) -> &'c kwif::engine::Finding {
    check
        .findings
        .iter()
        .find(|finding| finding.code == code)
        .unwrap_or_else(|| panic!("no {code}: {check:?}"))
}

#[tokio::test]
async fn a_missing_account_is_created_through_resource_manager_then_served_and_passes_the_doctor() {
    let test = Managed::start("oidc-arm-new", AzureSandboxOptions::default()).await;
    let step = test.step();

    let check = step.check(&Facts::new()).await;
    let missing = finding(&check, "HOSTING_STORAGE_ACCOUNT_MISSING");
    assert!(
        missing
            .message
            .contains("devstoreaccount1 in resource group rg-application1"),
        "{missing:?}"
    );
    assert!(missing.fix.contains("westeurope"), "{missing:?}");
    assert_ne!(check.status, Status::Ok);

    let plan = step.plan(&Facts::new()).await.unwrap();
    let targets: Vec<&str> = plan.changes.iter().map(|c| c.target.as_str()).collect();
    assert_eq!(
        targets[..2],
        [
            "storage account devstoreaccount1 in resource group rg-application1",
            "container oidc-arm-new in storage account devstoreaccount1"
        ],
        "the account comes first, then what goes into it: {targets:?}"
    );
    assert_eq!(targets.len(), 4, "and both documents: {targets:?}");
    let create = &plan.changes[0];
    assert!(
        create
            .summary
            .contains(&format!("the issuer is {}", test.issuer)),
        "the issuer is shown before anything is created: {}",
        create.summary
    );
    assert!(
        create.diff().contains("+allowBlobPublicAccess: true"),
        "{}",
        create.diff()
    );
    assert!(
        create.diff().contains("+minimumTlsVersion: TLS1_2"),
        "{}",
        create.diff()
    );
    assert!(test.account().is_none(), "planning creates nothing");

    step.apply(&plan, &Facts::new()).await.unwrap();

    let account = test.account().expect("the account exists after apply");
    assert_eq!(account.location, "westeurope");
    assert_eq!(account.allow_blob_public_access, Some(true));
    assert_eq!(account.minimum_tls_version, "TLS1_2");
    assert!(account.supports_https_traffic_only);
    let (status, content_type, _) = anonymous_get(&format!("{}openid/v1/jwks", test.issuer)).await;
    assert_eq!(
        (status, content_type.as_deref()),
        (200, Some("application/json"))
    );

    let check = step.check(&Facts::new()).await;
    assert_eq!(check.status, Status::Ok, "{check:?}");
    assert_eq!(codes(&check), ["ISSUER_PRIVATE_ADDRESS"], "{check:?}");
    assert!(
        step.plan(&Facts::new()).await.unwrap().is_empty(),
        "a rerun plans nothing"
    );
}

#[tokio::test]
async fn an_account_refusing_anonymous_reads_is_an_error_and_apply_allows_them() {
    let options = AzureSandboxOptions::default().with_storage_account(GROUP, ACCOUNT, false);
    let test = Managed::start("oidc-arm-closed", options).await;
    let step = test.step();

    let check = step.check(&Facts::new()).await;
    assert_eq!(check.status, Status::Error);
    let closed = finding(&check, "HOSTING_BLOB_PUBLIC_ACCESS_DISABLED");
    assert!(closed.message.contains("AADSTS90061"), "{closed:?}");

    let plan = step.plan(&Facts::new()).await.unwrap();
    let open = &plan.changes[0];
    assert_eq!(open.target, "storage account devstoreaccount1");
    assert!(
        open.diff().contains("-allowBlobPublicAccess: false"),
        "{}",
        open.diff()
    );
    assert!(
        open.diff().contains("+allowBlobPublicAccess: true"),
        "{}",
        open.diff()
    );

    step.apply(&plan, &Facts::new()).await.unwrap();
    assert_eq!(test.account().unwrap().allow_blob_public_access, Some(true));
    let check = step.check(&Facts::new()).await;
    assert_eq!(errors(&check), Vec::<&str>::new(), "{check:?}");
    let (status, _, _) =
        anonymous_get(&format!("{}.well-known/openid-configuration", test.issuer)).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_name_taken_elsewhere_stops_the_plan_and_creates_nothing() {
    let options = AzureSandboxOptions::default().with_taken_storage_account_name(ACCOUNT);
    let test = Managed::start("oidc-arm-taken", options).await;
    let step = test.step();

    let check = step.check(&Facts::new()).await;
    let taken = finding(&check, "HOSTING_STORAGE_ACCOUNT_NAME_UNAVAILABLE");
    assert!(taken.is_error());
    assert!(taken.message.contains("already taken"), "{taken:?}");
    assert!(
        taken.fix.contains("hosting.azureBlob.resourceGroup"),
        "{taken:?}"
    );

    let error = step.plan(&Facts::new()).await.unwrap_err();
    assert!(error.message.contains("already taken"), "{error:?}");
    assert!(
        error.fix.contains("hosting.azureBlob.storageAccount"),
        "{error:?}"
    );
    assert!(test.sandbox.storage_accounts().is_empty());
    let container = azurite()
        .signed(
            "GET",
            &format!(
                "{}?restype=container",
                test.issuer.as_str().trim_end_matches('/')
            ),
            &[],
            "",
        )
        .await;
    assert_eq!(container.status(), 404, "not even the container was made");
}

#[tokio::test]
async fn the_key_comes_from_resource_manager_and_never_shows() {
    let options = AzureSandboxOptions::default().with_storage_account(GROUP, ACCOUNT, true);
    let test = Managed::start("oidc-arm-key", options).await;
    let step = test.step();
    let plan = step.plan(&Facts::new()).await.unwrap();
    step.apply(&plan, &Facts::new()).await.unwrap();
    let check = step.check(&Facts::new()).await;
    assert_eq!(
        errors(&check),
        Vec::<&str>::new(),
        "listKeys gave a working key: {check:?}"
    );
    assert_eq!(
        test.requests("POST", "/listKeys"),
        1,
        "the key is read once through Resource Manager and kept for the run"
    );
    let shown = format!(
        "{plan:?}{check:?}{}",
        plan.changes
            .iter()
            .map(kwif::engine::Change::diff)
            .collect::<String>()
    );
    assert!(!shown.contains(ACCOUNT_KEY), "the account key never shows");
    assert!(!shown.contains(&ACCOUNT_KEY[..20]), "not even a part of it");
}

#[tokio::test]
async fn a_login_resource_manager_refuses_falls_back_to_the_given_key_and_says_so() {
    let issuer = azurite().issuer("oidc-arm-nologin");
    let hosting = format!("{{ storageAccount: {ACCOUNT}, container: oidc-arm-nologin }}");
    let test = Managed::with_hosting(issuer, &hosting, AzureSandboxOptions::default(), false).await;
    let step = test.step_with_key(Some(ACCOUNT_KEY));

    let plan = step.plan(&Facts::new()).await.unwrap();
    step.apply(&plan, &Facts::new()).await.unwrap();
    let (status, _, _) = anonymous_get(&format!("{}openid/v1/jwks", test.issuer)).await;
    assert_eq!(status, 200, "published with the key alone");
    let check = step.check(&Facts::new()).await;
    let note = finding(&check, "HOSTING_STORAGE_ACCOUNT_NOT_CHECKED");
    assert!(!note.is_error(), "a warning: publishing works: {note:?}");
    assert!(note.message.contains("401"), "{note:?}");
    assert_eq!(errors(&check), Vec::<&str>::new(), "{check:?}");
    assert!(test.sandbox.storage_accounts().is_empty());
}

#[tokio::test]
async fn an_account_refusing_its_key_is_an_error_even_with_a_key_given() {
    let mut options = AzureSandboxOptions::default().with_storage_account(GROUP, ACCOUNT, true);
    options.storage_accounts[0].allow_shared_key_access = Some(false);
    let test = Managed::start("oidc-arm-nokey", options).await;
    let step = test.step_with_key(Some(ACCOUNT_KEY));

    let check = step.check(&Facts::new()).await;
    let refused = finding(&check, "HOSTING_STORAGE_SHARED_KEY_DISABLED");
    assert!(refused.is_error());
    assert!(
        refused.fix.contains("--allow-shared-key-access true"),
        "{refused:?}"
    );
    let error = step.plan(&Facts::new()).await.unwrap_err();
    assert!(
        error.message.contains("allowSharedKeyAccess is false"),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_new_static_website_whose_endpoint_is_not_the_issuer_stops_before_uploading() {
    // The sandbox gives accounts zone z6; the profile guessed z9.
    let issuer = IssuerUrl::parse(&format!("https://{ACCOUNT}.z9.web.core.windows.net/")).unwrap();
    let hosting = format!("{{ storageAccount: {ACCOUNT}, mode: static-website }}");
    let test = Managed::with_hosting(issuer, &hosting, AzureSandboxOptions::default(), true).await;
    let step = test.step();

    let plan = step.plan(&Facts::new()).await.unwrap();
    assert!(
        plan.changes[0]
            .summary
            .contains("which apply checks is https://devstoreaccount1.z9.web.core.windows.net/"),
        "the plan says the host is Azure's to choose: {}",
        plan.changes[0].summary
    );
    let error = step.apply(&plan, &Facts::new()).await.unwrap_err();
    assert!(
        error
            .message
            .contains("https://devstoreaccount1.z6.web.core.windows.net/")
            && error.message.contains("nothing was uploaded"),
        "{error:?}"
    );
    assert!(
        error
            .fix
            .contains("issuer: https://devstoreaccount1.z6.web.core.windows.net/"),
        "{error:?}"
    );
    assert!(test.account().is_some(), "the account itself was created");
}
