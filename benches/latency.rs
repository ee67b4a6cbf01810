//! kwif when every answer takes 100 ms, as Resource Manager's do (issue 14): the sandbox with
//! `--latency-ms 100`, a profile with 1 identity, 3 Azure roles, 1 Cosmos DB role and 20
//! workloads in 5 namespaces. Measures `apply` from empty (and how long it waited for Azure to
//! replicate, from its `-v` log), then `kwif check` (target: median ≤ 1.5 s) with the requests
//! each server answered per check (from kwif's `-v` request log: the API server, Resource
//! Manager, Microsoft Graph, Entra ID and the static host) and the writes among them (from the
//! sandbox's own logs). Run with `cargo bench --bench latency`.

#![allow(clippy::unwrap_used)] // a panic in a test or benchmark is its failure message

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kwif_sandbox::{Sandbox, SandboxOptions};
use serde_json::json;

#[path = "support/measure.rs"]
mod measure;

const NAMESPACES: usize = 5;
const PER_NAMESPACE: usize = 4;

/// The sandbox's own profile with the benchmark's roles and workloads in place of its own.
fn profile(sandbox: &Sandbox) -> String {
    let written = std::fs::read_to_string(&sandbox.files().profile).unwrap();
    let head = written
        .split("\nidentity:")
        .next()
        .expect("the sandbox's profile has an identity");
    let subscription = sandbox.azure().subscription_id();
    let group = format!("/subscriptions/{subscription}/resourceGroups/rg-application1");
    let mut yaml = format!(
        "{head}\nidentity:\n  name: id-bench\n  roles:\n\
         \x20   - role: Storage Blob Data Reader\n      scope: {group}/providers/Microsoft.Storage/storageAccounts/st1\n\
         \x20   - role: Reader\n      scope: {group}\n\
         \x20   - role: Key Vault Secrets User\n      scope: {group}\n\
         \x20   - cosmosDataRole: Cosmos DB Built-in Data Reader\n      account: {group}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos1\n\
         workloads:\n"
    );
    for namespace in 1..=NAMESPACES {
        for index in 1..=PER_NAMESPACE {
            yaml.push_str(&format!(
                "  - namespace: bench{namespace}\n    serviceAccount: worker{index}-sa\n    kind: Deployment\n    name: worker{index}\n    mode: patch\n"
            ));
        }
    }
    yaml
}

fn seed_workloads(sandbox: &Sandbox) {
    for namespace in 1..=NAMESPACES {
        let namespace = format!("bench{namespace}");
        sandbox
            .kube()
            .insert(json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":namespace}}))
            .unwrap();
        for index in 1..=PER_NAMESPACE {
            let name = format!("worker{index}");
            sandbox
                .kube()
                .insert(json!({
                    "apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {"name": name, "namespace": namespace},
                    "spec": {
                        "replicas": 1,
                        "selector": {"matchLabels": {"app": name}},
                        "template": {
                            "metadata": {"labels": {"app": name}},
                            "spec": {"containers": [{"name": "work", "image": "worker:1"}]}
                        }
                    }
                }))
                .unwrap();
        }
    }
}

/// `kwif ARGS…` with the sandbox's `env` file applied, as `. D/env` would; the exit code and
/// stderr.
fn kwif(sandbox: &Sandbox, args: &[&str]) -> (i32, String) {
    let env = std::fs::read_to_string(&sandbox.files().env).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_kwif"));
    for line in env.lines().filter_map(|line| line.strip_prefix("export ")) {
        if let Some((name, value)) = line.split_once('=') {
            command.env(name, value.trim_matches('\''));
        }
    }
    let output = command
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The requests each server answered since the last call, and the writes among them.
fn requests(sandbox: &Sandbox) -> String {
    let kube = sandbox.kube().request_log();
    let azure = sandbox.azure().request_log();
    sandbox.kube().clear_request_log();
    sandbox.azure().clear_request_log();
    let writes = |methods: Vec<&str>| {
        methods
            .iter()
            .filter(|method| !matches!(**method, "GET" | "HEAD"))
            .count()
    };
    let entra = azure
        .iter()
        .filter(|record| record.path.contains("/oauth2/"))
        .count();
    // A dry run and a minted token change nothing: they are reads for this count.
    let kube_writes = writes(
        kube.iter()
            .filter(|record| {
                record.query_param("dryRun").is_none() && !record.path.ends_with("/token")
            })
            .map(|record| record.method.as_str())
            .collect(),
    );
    let azure_writes = writes(
        azure
            .iter()
            .filter(|record| !record.path.contains("/oauth2/"))
            .map(|record| record.method.as_str())
            .collect(),
    );
    format!(
        "API server {} ({kube_writes} writes), Resource Manager {} ({azure_writes} writes), Entra {entra}",
        kube.len(),
        azure.len() - entra,
    )
}

/// How long kwif waited for Azure's replication, by what it waited for: the sum of the `-v`
/// log's `kwif: waited N ms for …` lines.
fn replication_waits(stderr: &str) -> Vec<(String, Duration)> {
    let mut waits: Vec<(String, Duration)> = Vec::new();
    for line in stderr.lines() {
        let Some(rest) = line.strip_prefix("kwif: waited ") else {
            continue;
        };
        let Some((millis, what)) = rest.split_once(" ms for ") else {
            continue;
        };
        let waited = Duration::from_millis(millis.parse().unwrap_or(0));
        match waits.iter_mut().find(|(known, _)| known == what) {
            Some((_, total)) => *total += waited,
            None => waits.push((what.to_string(), waited)),
        }
    }
    waits
}

/// The requests of a `-v` log, per server: the one each URL's port and path say.
fn requests_per_server(sandbox: &Sandbox, stderr: &str) -> String {
    let port = |url: &str| {
        url::Url::parse(url)
            .ok()
            .and_then(|url| url.port_or_known_default())
    };
    let azure = port(&sandbox.azure().resource_manager_url());
    let site = Some(sandbox.static_host().address().port());
    let mut counts = [0_usize; 5];
    for line in stderr.lines() {
        let Some(url) = line
            .strip_prefix("kwif: ")
            .and_then(|rest| rest.split_whitespace().nth(1))
            .filter(|url| url.starts_with("https://"))
        else {
            continue;
        };
        let path = url::Url::parse(url)
            .map(|url| url.path().to_string())
            .unwrap_or_default();
        let server = match port(url) {
            at if at == site => 4,
            at if at == azure && path.contains("/oauth2/") => 3,
            at if at == azure && path.starts_with("/graph/") => 2,
            at if at == azure => 1,
            _ => 0,
        };
        counts[server] += 1;
    }
    let total: usize = counts.iter().sum();
    format!(
        "{total} in all: API server {}, Resource Manager {}, Graph {}, Entra {}, static host {}",
        counts[0], counts[1], counts[2], counts[3], counts[4]
    )
}

fn main() {
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    let runtime = measure::runtime();
    let directory = tempfile::tempdir().unwrap();
    let sandbox = runtime.block_on(async {
        let mut options = SandboxOptions::new(directory.path());
        options.latency = Duration::from_millis(100);
        Sandbox::start(options).await.unwrap()
    });
    seed_workloads(&sandbox);
    let path = directory.path().join("bench.yaml");
    std::fs::write(&path, profile(&sandbox)).unwrap();
    let path = path.to_str().unwrap();
    let _ = requests(&sandbox);

    // `kwif` runs in its own process; the sandbox keeps answering on this runtime's threads.
    let _guard = runtime.enter();
    let start = Instant::now();
    let (code, stderr) = kwif(&sandbox, &["-v", "apply", "--yes", "--profile", path]);
    let applied = start.elapsed();
    assert_eq!(code, 0, "apply from empty:\n{stderr}");
    println!("apply from empty, 100 ms latency     {applied:>9.2?}");
    println!("    requests: {}", requests_per_server(&sandbox, &stderr));
    println!("    sandbox:  {}", requests(&sandbox));
    let waits = replication_waits(&stderr);
    let waited: Duration = waits.iter().map(|(_, waited)| *waited).sum();
    println!(
        "    waiting on Azure's replication {waited:>9.2?}, working {:>9.2?}",
        applied.saturating_sub(waited)
    );
    for (what, waited) in waits {
        println!("        {waited:>9.2?} for {what}");
    }

    let mut times = Vec::new();
    let mut counted = String::new();
    for _ in 0..5 {
        let start = Instant::now();
        let (code, stderr) = kwif(&sandbox, &["check", "--profile", path]);
        times.push(start.elapsed());
        assert_eq!(code, 0, "check after apply:\n{stderr}");
        counted = requests(&sandbox);
    }
    measure::report(
        "check, 100 ms latency",
        measure::percentiles(times),
        Duration::from_millis(1500),
    );
    println!("    sandbox, per check: {counted}");
    let (code, stderr) = kwif(&sandbox, &["-v", "check", "--profile", path]);
    assert_eq!(code, 0, "check after apply:\n{stderr}");
    println!(
        "    requests per check: {}",
        requests_per_server(&sandbox, &stderr)
    );
    let _ = requests(&sandbox);
    let start = Instant::now();
    let (code, stderr) = kwif(&sandbox, &["-v", "plan", "--profile", path]);
    let planned = start.elapsed();
    assert_eq!(code, 0, "a rerun plans nothing:\n{stderr}");
    println!("plan, 100 ms latency (with -v)       {planned:>9.2?}");
    println!(
        "    requests per plan:  {}",
        requests_per_server(&sandbox, &stderr)
    );
    println!("    sandbox, per plan:  {}", requests(&sandbox));
    drop(runtime);
}
