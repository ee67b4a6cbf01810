//! kwif against a hostile network, through the real binary: API servers and authority hosts that
//! refuse, present the wrong certificate, never answer, or answer 503 with `Retry-After: 3600`;
//! issuers that redirect to http; a real HTTPS proxy (Debian's tinyproxy); and `-v`, which must
//! show every request with its id and never a secret. Waits are short through KWIF_TIMEOUT;
//! nothing here measures how long kwif takes (a guard only stops a hang from stalling the suite).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use crate::hostile::{Recorded, Reply, Scripted};
use crate::support::{Kwif, Pki, Run, Validity, free_port, start_on_free_ports};
use base64::Engine;
use serde_json::{Value, json};

/// Kills a kwif that hangs, so that the test fails instead of stalling the suite.
const GUARD: Duration = Duration::from_secs(120);
const TENANT: &str = "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb";
const SUBSCRIPTION: &str = "cccccccc-cccc-cccc-cccc-cccccccccccc";
const CLIENT_ID: &str = "dddddddd-dddd-dddd-dddd-dddddddddddd";
const CLIENT_SECRET: &str = "client-secret-that-must-never-be-logged";
const ACCESS_TOKEN: &str = "access-token-that-must-never-be-logged";
/// `AZURE_STORAGE_KEY`; base64 of "storage-key-that-must-never-be-logged".
const STORAGE_KEY: &str = "c3RvcmFnZS1rZXktdGhhdC1tdXN0LW5ldmVyLWJlLWxvZ2dlZA==";
const ACCOUNT: &str = "stoidc1";
const IDENTITY: &str = "id-application1";

// ------------------------------------------------------------------------------------ the lab

/// A test CA, a directory for kubeconfigs and profiles, and kwif runs with short waits.
struct Lab {
    pki: Pki,
    dir: tempfile::TempDir,
}

impl Lab {
    fn new() -> Lab {
        Lab {
            pki: Pki::new(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// TLS for `localhost` and `127.0.0.1`, issued by the lab's CA.
    fn acceptor(&self, label: &str) -> tokio_rustls::TlsAcceptor {
        self.acceptor_for(label, &["localhost", "127.0.0.1"])
    }

    fn acceptor_for(&self, label: &str, names: &[&str]) -> tokio_rustls::TlsAcceptor {
        let (certificate, key) = self.pki.server_certificate(label, names, Validity::Current);
        crate::hostile::acceptor(&certificate, &key)
    }

    fn ca_pem(&self) -> String {
        std::fs::read_to_string(self.pki.ca_file()).unwrap()
    }

    /// A kubeconfig for `https://127.0.0.1:port` trusting `ca_pem`.
    fn kubeconfig(&self, port: u16, ca_pem: &str) -> PathBuf {
        let ca = base64::engine::general_purpose::STANDARD.encode(ca_pem);
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: lab\n  cluster:\n    server: https://127.0.0.1:{port}\n    certificate-authority-data: {ca}\nusers:\n- name: lab\n  user:\n    token: kube-token\ncontexts:\n- name: lab\n  context: {{cluster: lab, user: lab}}\ncurrent-context: lab\n"
        );
        let path = self.path(&format!("kubeconfig-{port}"));
        std::fs::write(&path, text).unwrap();
        path
    }

    /// A kubeconfig whose API server refuses at once: the cluster steps are built (the hosting
    /// step reads the published documents meanwhile) and fail fast.
    fn refused_cluster(&self) -> PathBuf {
        self.kubeconfig(free_port(), &self.ca_pem())
    }

    /// A profile with a custom cloud at these Resource Manager and authority host ports.
    fn profile(&self, issuer: &str, hosting: &str, arm_port: u16, entra_port: u16) -> PathBuf {
        let text = format!(
            "cluster: {{ distribution: auto }}\nissuer: {issuer}\nhosting:\n{hosting}\
             azure:\n  cloud: custom\n  endpoints:\n    resourceManager: https://127.0.0.1:{arm_port}/\n    authorityHost: https://127.0.0.1:{entra_port}/\n\
             \x20 tenant: {TENANT}\n  subscription: {SUBSCRIPTION}\n  resourceGroup: rg-application1\n  location: westeurope\n\
             identity:\n  name: {IDENTITY}\n  roles: []\n\
             workloads:\n  - namespace: application1\n    serviceAccount: application1-sa\n    kind: Deployment\n    name: web-server\n    mode: patch\n"
        );
        let path = self.path(&format!("kwif-{arm_port}-{entra_port}.yaml"));
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Directory hosting, so that the hosting step needs no Azure.
    fn directory_hosting(&self) -> String {
        format!(
            "  kind: directory\n  directory: {{ path: {} }}\n",
            self.path("site").display()
        )
    }

    /// kwif with the lab's CA, a service principal login, 1 s waits and no proxy.
    fn kwif(&self) -> Kwif {
        let mut kwif = Kwif::new()
            .env("SSL_CERT_FILE", &self.pki.ca_file().display().to_string())
            .env("KWIF_TIMEOUT", "1")
            .env("HOME", &self.dir.path().display().to_string())
            .env("AZURE_TENANT_ID", TENANT)
            .env("AZURE_CLIENT_ID", CLIENT_ID)
            .env("AZURE_CLIENT_SECRET", CLIENT_SECRET)
            .env("AZURE_STORAGE_KEY", STORAGE_KEY);
        for name in [
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "ALL_PROXY",
            "all_proxy",
            "NO_PROXY",
            "no_proxy",
            "KUBECONFIG",
        ] {
            kwif = kwif.env_remove(name);
        }
        kwif
    }

    /// `kwif check` of `profile` on `kubeconfig`, as JSON.
    fn check(&self, profile: &Path, kubeconfig: &Path) -> Run {
        self.kwif()
            .args(["check", "--output", "json", "--profile"])
            .arg_path(profile)
            .arg("--kubeconfig")
            .arg_path(kubeconfig)
            .run_guarded(GUARD)
    }
}

trait ArgPath {
    fn arg_path(self, path: &Path) -> Kwif;
    fn arg(self, text: &str) -> Kwif;
}

impl ArgPath for Kwif {
    fn arg_path(self, path: &Path) -> Kwif {
        self.args([path.as_os_str()])
    }
    fn arg(self, text: &str) -> Kwif {
        self.args([text])
    }
}

/// The finding `code` of step `step` in a JSON report.
fn finding(run: &Run, step: &str, code: &str) -> Value {
    let report: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|error| {
        panic!(
            "stdout is not JSON ({error}):\n{}\nstderr:\n{}",
            run.stdout, run.stderr
        )
    });
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["id"] == step)
        .and_then(|entry| {
            entry["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|finding| finding["code"] == code)
        })
        .cloned()
        .unwrap_or_else(|| panic!("no {code} in step {step}:\n{}", run.stdout))
}

fn text<'v>(finding: &'v Value, field: &str) -> &'v str {
    finding[field].as_str().unwrap_or_default()
}

// ---------------------------------------------------------------- a stand-in Entra and ARM

/// Entra's token endpoint and Resource Manager on one server, the blob service on another,
/// the way they are separate hosts in Azure.
struct FakeAzure {
    arm: Scripted,
    blob: Scripted,
}

impl FakeAzure {
    fn start(lab: &Lab) -> FakeAzure {
        let blob = Scripted::https(
            lab.acceptor("blob"),
            Arc::new(|_: &Recorded| {
                Reply::status(404)
                    .header("x-ms-error-code", "ContainerNotFound")
                    .header("x-ms-request-id", "blob-request-1")
            }),
        );
        let blob_port = blob.port;
        let arm = Scripted::https(
            lab.acceptor("arm"),
            Arc::new(move |request: &Recorded| arm_answer(request, blob_port)),
        );
        FakeAzure { arm, blob }
    }

    fn issuer(&self) -> String {
        format!("https://127.0.0.1:{}/{ACCOUNT}/oidc/", self.blob.port)
    }

    /// Resource Manager requests (not the token endpoint's).
    fn arm_requests(&self) -> Vec<Recorded> {
        self.arm
            .requests()
            .into_iter()
            .filter(|request| request.path().starts_with("/subscriptions/"))
            .collect()
    }
}

fn arm_answer(request: &Recorded, blob_port: u16) -> Reply {
    if request.method == "POST" && request.path() == format!("/{TENANT}/oauth2/v2.0/token") {
        return Reply::json(
            200,
            json!({"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":ACCESS_TOKEN}),
        );
    }
    if request.method == "GET"
        && request.path().ends_with(&format!(
            "/providers/Microsoft.Storage/storageAccounts/{ACCOUNT}"
        ))
    {
        return Reply::json(
            200,
            json!({"name":ACCOUNT,"location":"westeurope","kind":"StorageV2","properties":{
                "provisioningState":"Succeeded","allowBlobPublicAccess":true,"allowSharedKeyAccess":true,
                "primaryEndpoints":{"blob":format!("https://127.0.0.1:{blob_port}/{ACCOUNT}/")}}}),
        );
    }
    Reply::json(
        404,
        json!({"error":{"code":"ResourceNotFound","message":"The resource was not found."}}),
    )
}

fn azure_blob_hosting() -> String {
    format!("  kind: azure-blob\n  azureBlob: {{ storageAccount: {ACCOUNT}, container: oidc }}\n")
}

// ------------------------------------------------------------------------- 5. traceable

#[test]
fn verbose_logs_every_request_with_its_request_id_and_never_a_secret() {
    let lab = Lab::new();
    let azure = FakeAzure::start(&lab);
    let profile = lab.profile(
        &azure.issuer(),
        &azure_blob_hosting(),
        azure.arm.port,
        azure.arm.port,
    );
    let run = lab
        .kwif()
        .args(["check", "-v", "--output", "json", "--profile"])
        .arg_path(&profile)
        .arg("--kubeconfig")
        .arg_path(&lab.refused_cluster())
        .run_guarded(GUARD);

    // Resource Manager saw, from kwif's own client and from the azure_mgmt_msi adapter alike, a
    // fresh GUID and kwif's name on every request.
    let requests = azure.arm_requests();
    assert!(
        requests
            .iter()
            .any(|request| request.path().contains("/userAssignedIdentities/")),
        "the managed identity is read through azure_mgmt_msi: {requests:#?}"
    );
    assert!(
        requests
            .iter()
            .any(|request| request.path().contains("/storageAccounts/")),
        "the storage account is read through kwif's ARM client: {requests:#?}"
    );
    let mut ids = HashSet::new();
    for request in &requests {
        let id = request
            .header("x-ms-client-request-id")
            .unwrap_or_else(|| panic!("no request id on {}", request.target));
        assert!(uuid::Uuid::try_parse(id).is_ok(), "{id} is not a GUID");
        ids.insert(id.to_string());
        let agent = request.header("user-agent").unwrap_or_default();
        assert!(agent.starts_with("kwif/0.1.0"), "{agent}");
        assert!(
            run.stderr.contains(&format!("request id {id}")),
            "{id} is not in the log:\n{}",
            run.stderr
        );
    }
    assert_eq!(ids.len(), requests.len(), "each request has its own id");

    // -v shows each request: Entra, Resource Manager, the blob service, the doctor's fetch.
    let arm = format!("https://127.0.0.1:{}", azure.arm.port);
    let blob = format!("https://127.0.0.1:{}/{ACCOUNT}", azure.blob.port);
    for expected in [
        format!("kwif: POST {arm}/{TENANT}/oauth2/v2.0/token → 200 OK in "),
        format!(
            "kwif: GET {arm}/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-application1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{IDENTITY}?api-version="
        ),
        format!(
            "/providers/Microsoft.Storage/storageAccounts/{ACCOUNT}?api-version=2025-06-01 → 200 OK in "
        ),
        // The blob data plane reads the JWKS blob (the doctor does not, the discovery is missing).
        format!("kwif: GET {blob}/oidc/openid/v1/jwks → 404 Not Found in "),
        format!("kwif: GET {blob}/oidc/.well-known/openid-configuration → 404 Not Found in "),
        "request id blob-request-1".to_string(),
    ] {
        assert!(
            run.stderr.contains(&expected),
            "{expected:?} is not in the log:\n{}",
            run.stderr
        );
    }
    for secret in [
        CLIENT_SECRET,
        ACCESS_TOKEN,
        STORAGE_KEY,
        "Bearer",
        "SharedKey",
    ] {
        assert!(
            !run.stderr.contains(secret) && !run.stdout.contains(secret),
            "{secret} leaked:\n{}",
            run.stderr
        );
    }
}

#[test]
fn without_verbose_nothing_is_logged() {
    let lab = Lab::new();
    let azure = FakeAzure::start(&lab);
    let profile = lab.profile(
        &azure.issuer(),
        &azure_blob_hosting(),
        azure.arm.port,
        azure.arm.port,
    );
    let run = lab
        .kwif()
        .args(["check", "--output", "json", "--profile"])
        .arg_path(&profile)
        .arg("--kubeconfig")
        .arg_path(&lab.refused_cluster())
        .run_guarded(GUARD);
    assert!(!azure.arm_requests().is_empty());
    assert!(!run.stderr.contains("kwif: GET"), "{}", run.stderr);
}

// ---------------------------------------------------------------------------- 6. proxies

/// Debian's tinyproxy on a free loopback port, allowed to CONNECT to `ports`; stopped when dropped.
struct Tinyproxy {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tinyproxy {
    fn start(ports: &[u16]) -> Tinyproxy {
        let binary = ["/usr/bin/tinyproxy", "/usr/sbin/tinyproxy"]
            .into_iter()
            .find(|path| Path::new(path).exists())
            .expect("tinyproxy is not installed: run `bash scripts/test.sh`, which installs it");
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("tinyproxy.log");
        let allowed: String = ports
            .iter()
            .map(|port| format!("ConnectPort {port}\n"))
            .collect();
        let config_path = dir.path().join("tinyproxy.conf");
        let (chosen, child) = start_on_free_ports("tinyproxy", 1, |chosen| {
            let config = format!(
                "Port {}\nListen 127.0.0.1\nTimeout 30\nAllow 127.0.0.1\n{allowed}LogFile \"{}\"\nLogLevel Info\nMaxClients 50\n",
                chosen[0],
                log.display()
            );
            std::fs::write(&config_path, config).unwrap();
            Command::new(binary)
                .arg("-d")
                .arg("-c")
                .arg(&config_path)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("tinyproxy starts")
        });
        let port = chosen[0];
        Tinyproxy {
            child,
            port,
            log,
            _dir: dir,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The `host:port` of every CONNECT tinyproxy was asked for.
    fn tunnels(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| line.split("): CONNECT ").nth(1))
            .filter_map(|rest| rest.split_whitespace().next())
            .map(str::to_string)
            .collect()
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_doctor_resource_manager_blob_hosting_and_the_cluster_go_through_https_proxy() {
    let lab = Lab::new();
    let azure = FakeAzure::start(&lab);
    let site = Scripted::https(
        lab.acceptor("site"),
        Arc::new(|_: &Recorded| Reply::status(404)),
    );
    let cluster = crate::hostile::silent_tls(lab.acceptor("cluster"));
    let proxy = Tinyproxy::start(&[site.port, azure.arm.port, azure.blob.port, cluster]);
    let profile = lab.profile(
        &azure.issuer(),
        &azure_blob_hosting(),
        azure.arm.port,
        azure.arm.port,
    );
    let kubeconfig = lab.kubeconfig(cluster, &lab.ca_pem());

    let doctor = lab
        .kwif()
        .env("HTTPS_PROXY", &proxy.url())
        .args(["doctor", "--output", "json", "--issuer"])
        .arg(&format!("https://localhost:{}/c1", site.port))
        .run_guarded(GUARD);
    assert!(!site.requests().is_empty(), "{}", doctor.stderr);
    let check = lab
        .kwif()
        .env("HTTPS_PROXY", &proxy.url())
        .args(["check", "--output", "json", "--profile"])
        .arg_path(&profile)
        .arg("--kubeconfig")
        .arg_path(&kubeconfig)
        .run_guarded(GUARD);
    assert!(!azure.blob.requests().is_empty(), "{}", check.stdout);

    let tunnels = proxy.tunnels();
    for (what, target) in [
        ("the doctor", format!("localhost:{}", site.port)),
        ("Resource Manager", format!("127.0.0.1:{}", azure.arm.port)),
        ("the blob service", format!("127.0.0.1:{}", azure.blob.port)),
        ("the API server", format!("127.0.0.1:{cluster}")),
    ] {
        assert!(
            tunnels.contains(&target),
            "{what} ({target}) did not go through the proxy; it tunnelled {tunnels:?}\ndoctor: {}\ncheck: {}",
            doctor.stdout,
            check.stdout
        );
    }
}

#[test]
fn no_proxy_sends_requests_around_the_proxy() {
    let lab = Lab::new();
    let azure = FakeAzure::start(&lab);
    let site = Scripted::https(
        lab.acceptor("site"),
        Arc::new(|_: &Recorded| Reply::status(404)),
    );
    let proxy = Tinyproxy::start(&[site.port, azure.arm.port, azure.blob.port]);
    let profile = lab.profile(
        &azure.issuer(),
        &azure_blob_hosting(),
        azure.arm.port,
        azure.arm.port,
    );
    let around = |kwif: Kwif| {
        kwif.env("HTTPS_PROXY", &proxy.url())
            .env("NO_PROXY", "localhost,127.0.0.1")
    };
    around(lab.kwif())
        .args(["doctor", "--issuer"])
        .arg(&format!("https://localhost:{}/c1", site.port))
        .run_guarded(GUARD);
    let check = around(lab.kwif())
        .args(["check", "--output", "json", "--profile"])
        .arg_path(&profile)
        .arg("--kubeconfig")
        .arg_path(&lab.refused_cluster())
        .run_guarded(GUARD);
    assert!(!site.requests().is_empty());
    assert!(!azure.arm_requests().is_empty(), "{}", check.stdout);
    assert!(!azure.blob.requests().is_empty(), "{}", check.stdout);
    assert_eq!(proxy.tunnels(), Vec::<String>::new());
}

// ------------------------------------------------------ 9, 10. silent and refusing API servers

/// `kwif check` against an API server on `port` whose CA is `ca_pem`; Azure refuses at once.
fn check_cluster(lab: &Lab, port: u16, ca_pem: &str) -> Run {
    let nowhere = free_port();
    let profile = lab.profile(
        &format!("https://127.0.0.1:{nowhere}/c1"),
        &lab.directory_hosting(),
        nowhere,
        nowhere,
    );
    lab.check(&profile, &lab.kubeconfig(port, ca_pem))
}

/// The issuer's and the workload's findings about the API server: (message, fix) of each.
fn cluster_findings(run: &Run) -> Vec<(String, String)> {
    [
        ("issuer", "ISSUER_TOKEN_REQUEST_FAILED"),
        ("workload", "WORKLOAD_API"),
    ]
    .into_iter()
    .map(|(step, code)| {
        let found = finding(run, step, code);
        (
            text(&found, "message").to_string(),
            text(&found, "fix").to_string(),
        )
    })
    .collect()
}

#[test]
fn an_api_server_that_completes_tls_and_says_nothing_times_out_with_the_wait_named() {
    let lab = Lab::new();
    let port = crate::hostile::silent_tls(lab.acceptor("cluster"));
    let run = check_cluster(&lab, port, &lab.ca_pem());
    assert_eq!(run.code, 1, "{}", run.stderr);
    for (message, fix) in cluster_findings(&run) {
        assert!(
            message.contains(&format!("https://127.0.0.1:{port}/ (the API server) did not answer: timed out after 1 s: connected, but no answer")),
            "{message}"
        );
        assert!(
            fix.starts_with("nothing answered within 1 s: a firewall or a stopped server"),
            "{fix}"
        );
        assert!(!fix.contains("serviceaccounts/token"), "{fix}");
    }
}

#[test]
fn an_api_server_that_accepts_tcp_and_hangs_times_out_while_connecting() {
    let lab = Lab::new();
    let port = crate::hostile::silent_tcp();
    let run = check_cluster(&lab, port, &lab.ca_pem());
    for (message, fix) in cluster_findings(&run) {
        assert!(
            message.contains("timed out after 1 s: no connection (TCP and TLS handshake)"),
            "{message}"
        );
        assert!(!message.contains("client error (Connect)"), "{message}");
        assert!(fix.contains("nothing answered within 1 s"), "{fix}");
    }
}

#[test]
fn a_refused_api_server_asks_whether_it_runs_at_the_kubeconfig_address() {
    let lab = Lab::new();
    let port = free_port();
    let run = check_cluster(&lab, port, &lab.ca_pem());
    for (message, fix) in cluster_findings(&run) {
        assert!(message.contains("the connection was refused"), "{message}");
        assert!(!message.contains("client error (Connect)"), "{message}");
        assert!(
            fix.starts_with(&format!(
                "is the API server running at https://127.0.0.1:{port}/? check the kubeconfig's server"
            )),
            "{fix}"
        );
    }
}

#[test]
fn an_api_server_with_a_certificate_from_another_ca_blames_certificate_authority_data() {
    let lab = Lab::new();
    let other = Pki::new();
    let (certificate, key) = other.server_certificate("cluster", &["127.0.0.1"], Validity::Current);
    let port = crate::hostile::silent_tls(crate::hostile::acceptor(&certificate, &key));
    let run = check_cluster(&lab, port, &lab.ca_pem());
    for (message, fix) in cluster_findings(&run) {
        assert!(
            message.contains("the certificate is not signed by a trusted CA"),
            "{message}"
        );
        assert!(
            fix.starts_with("the kubeconfig's certificate-authority-data does not match"),
            "{fix}"
        );
    }
}

#[test]
fn an_api_server_certificate_for_another_name_says_which_names_it_has() {
    let lab = Lab::new();
    let port = crate::hostile::silent_tls(lab.acceptor_for("cluster", &["localhost"]));
    let run = check_cluster(&lab, port, &lab.ca_pem());
    for (message, fix) in cluster_findings(&run) {
        assert!(
            message.contains(
                "the certificate is not valid for this host name (127.0.0.1); it names localhost"
            ),
            "{message}"
        );
        assert!(fix.contains("(it names localhost)"), "{fix}");
    }
}

// --------------------------------------------- 9, 10. authority hosts that refuse or stall

/// `kwif check` with Entra's authority host on `entra_port`; no cluster.
fn check_azure(lab: &Lab, entra_port: u16) -> Value {
    let nowhere = free_port();
    let profile = lab.profile(
        &format!("https://127.0.0.1:{nowhere}/c1"),
        &lab.directory_hosting(),
        nowhere,
        entra_port,
    );
    let run = lab.check(&profile, &lab.path("no-kubeconfig"));
    finding(&run, "identity", "IDENTITY_AZURE")
}

/// Credential advice is for a refused login, not for a network that does not get through.
fn assert_no_login_advice(fix: &str) {
    assert!(
        !fix.contains("az login") && !fix.contains("AZURE_CLIENT_SECRET"),
        "{fix}"
    );
}

#[test]
fn an_authority_host_answering_503_with_retry_after_an_hour_is_reported_at_once_with_its_status() {
    let lab = Lab::new();
    let entra = Scripted::https(
        lab.acceptor("entra"),
        Arc::new(|_: &Recorded| Reply::status(503).header("retry-after", "3600")),
    );
    let found = check_azure(&lab, entra.port);
    let message = text(&found, "message");
    assert!(message.contains("Entra ID answered 503"), "{message}");
    assert!(
        message.contains("it asked to retry after 3600 s; kwif waits at most 30 s"),
        "{message}"
    );
    assert_no_login_advice(text(&found, "fix"));
}

#[test]
fn a_refused_authority_host_is_named_with_a_network_fix() {
    let lab = Lab::new();
    let port = free_port();
    let found = check_azure(&lab, port);
    assert!(
        text(&found, "message").contains(&format!(
            "https://127.0.0.1:{port} (Entra ID) did not answer: the connection was refused"
        )),
        "{found}"
    );
    let fix = text(&found, "fix");
    assert!(
        fix.starts_with(&format!(
            "nothing accepts connections at https://127.0.0.1:{port}"
        )),
        "{fix}"
    );
    assert_no_login_advice(fix);
}

#[test]
fn an_authority_host_with_an_untrusted_certificate_points_at_ssl_cert_file() {
    let lab = Lab::new();
    let other = Pki::new();
    let (certificate, key) = other.server_certificate("entra", &["127.0.0.1"], Validity::Current);
    let entra = Scripted::https(
        crate::hostile::acceptor(&certificate, &key),
        Arc::new(|_: &Recorded| Reply::status(500)),
    );
    let found = check_azure(&lab, entra.port);
    assert!(
        text(&found, "message").contains("the certificate is not signed by a trusted CA"),
        "{found}"
    );
    let fix = text(&found, "fix");
    assert!(fix.contains("SSL_CERT_FILE"), "{fix}");
    assert_no_login_advice(fix);
}

#[test]
fn a_hanging_authority_host_times_out_with_the_wait_named() {
    let lab = Lab::new();
    let port = crate::hostile::silent_tls(lab.acceptor("entra"));
    let found = check_azure(&lab, port);
    assert!(
        text(&found, "message").contains("timed out after 1 s: connected, but no answer"),
        "{found}"
    );
    let fix = text(&found, "fix");
    assert!(fix.starts_with("nothing answered within 1 s"), "{fix}");
    assert_no_login_advice(fix);
}

// ------------------------------------------------------------------------- the doctor

#[test]
fn the_doctor_names_the_wait_when_the_issuer_host_says_nothing() {
    let lab = Lab::new();
    let port = crate::hostile::silent_tls(lab.acceptor("issuer"));
    let run = lab
        .kwif()
        .args(["doctor", "--output", "json", "--issuer"])
        .arg(&format!("https://127.0.0.1:{port}/c1"))
        .run_guarded(GUARD);
    let found = finding(&run, "hosting", "DISCOVERY_UNREACHABLE");
    assert!(
        text(&found, "message").contains("timed out after 1 s: connected, but no answer"),
        "{found}"
    );
    assert!(
        text(&found, "fix").starts_with("nothing answered within 1 s"),
        "{found}"
    );
}

// ------------------------------------------------------------------------ 12. redirects

/// An issuer on https whose discovery document redirects to `location(http_port)`, with the
/// real documents served over plain http on another port and the JWKS over https.
struct Redirecting {
    issuer: String,
    http: Scripted,
    _https: Scripted,
}

impl Redirecting {
    fn start(lab: &Lab, location: fn(u16, u16) -> String) -> Redirecting {
        let jwks: Value = serde_json::from_str(
            &Kwif::new()
                .args([
                    "jwks",
                    "--key",
                    concat!(
                        env!("CARGO_MANIFEST_DIR"),
                        "/tests/fixtures/keys/rsa-2048.pub.pem"
                    ),
                ])
                .run()
                .stdout,
        )
        .unwrap();
        let https_port = free_port();
        let issuer = format!("https://127.0.0.1:{https_port}/c1");
        let document = json!({
            "issuer": issuer,
            "jwks_uri": format!("{issuer}/openid/v1/jwks"),
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        });
        let served = document.clone();
        let http = Scripted::http(Arc::new(move |_: &Recorded| {
            Reply::json(200, served.clone())
        }));
        let http_port = http.port;
        let keys = jwks.clone();
        let served = document.clone();
        let handler = Arc::new(move |request: &Recorded| match request.path() {
            "/c1/.well-known/openid-configuration" => {
                Reply::status(302).header("location", &location(http_port, https_port))
            }
            "/c1/moved/openid-configuration" => Reply::json(200, served.clone()),
            "/c1/openid/v1/jwks" => Reply::json(200, keys.clone()),
            _ => Reply::status(404),
        });
        let https = Scripted::https_on(https_port, lab.acceptor("issuer"), handler);
        Redirecting {
            issuer,
            http,
            _https: https,
        }
    }
}

#[test]
fn a_discovery_document_redirected_to_http_is_an_error_and_is_not_fetched() {
    let lab = Lab::new();
    let site = Redirecting::start(&lab, |http, _| {
        format!("http://127.0.0.1:{http}/c1/.well-known/openid-configuration")
    });
    let run = lab
        .kwif()
        .args(["doctor", "--output", "json", "--issuer", &site.issuer])
        .run_guarded(GUARD);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let found = finding(&run, "hosting", "DISCOVERY_REDIRECT_NOT_HTTPS");
    assert_eq!(found["severity"], "error");
    assert!(
        text(&found, "message").contains(&format!(
            "redirects (302) to http://127.0.0.1:{}/c1/.well-known/openid-configuration, plain http",
            site.http.port
        )),
        "{found}"
    );
    assert!(
        site.http.requests().is_empty(),
        "kwif followed the downgrade"
    );
}

#[test]
fn any_redirect_of_the_discovery_document_is_a_warning_naming_where_it_went() {
    let lab = Lab::new();
    let site = Redirecting::start(&lab, |_, https| {
        format!("https://127.0.0.1:{https}/c1/moved/openid-configuration")
    });
    let run = lab
        .kwif()
        .args(["doctor", "--output", "json", "--issuer", &site.issuer])
        .run_guarded(GUARD);
    let found = finding(&run, "hosting", "DISCOVERY_REDIRECT");
    assert_eq!(found["severity"], "warning");
    assert!(
        text(&found, "message").contains(&format!(
            "redirects to {}/moved/openid-configuration (302 → ",
            site.issuer
        )),
        "{found}"
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
}
