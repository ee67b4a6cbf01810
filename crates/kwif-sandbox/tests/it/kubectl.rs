//! The real `kubectl` against a sandbox, through the kubeconfig file it writes: get (all
//! namespaces, tables, YAML, JSON) for every kind kwif uses, server-side apply with field
//! managers and conflicts, the three patch types and delete. kubectl comes from PATH
//! (`scripts/test.sh` installs Debian's kubernetes-client); clients before 1.27 validate with
//! protobuf OpenAPI v2, which the sandbox does not serve, so they get `--validate=false`.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use kwif_sandbox::{Sandbox, SandboxOptions, Scenario};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

/// How long one kubectl run may take: generous, as only a hang takes anywhere near it.
const PATIENCE: Duration = Duration::from_secs(120);

/// What one run printed.
struct Run {
    success: bool,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("not JSON ({error}):\n{}", self.stdout))
    }

    fn yaml(&self) -> serde_yaml::Value {
        serde_yaml::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("not YAML ({error}):\n{}", self.stdout))
    }
}

/// kubectl pointed at one sandbox, with its own HOME and discovery cache.
struct Kubectl {
    binary: PathBuf,
    kubeconfig: PathBuf,
    home: tempfile::TempDir,
    minor: u32,
}

fn kubectl_on_path() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|directory| directory.join("kubectl"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "kubectl is not on PATH: these tests drive the real client. Run `bash scripts/test.sh`, \
                 which installs Debian's kubernetes-client, or put any kubectl ≥ 1.20 on PATH"
            )
        })
}

impl Kubectl {
    async fn for_sandbox(sandbox: &Sandbox) -> Kubectl {
        let mut kubectl = Kubectl {
            binary: kubectl_on_path(),
            kubeconfig: sandbox.files().kubeconfig.clone(),
            home: tempfile::tempdir().unwrap(),
            minor: 0,
        };
        let version = kubectl.run(&["version", "--client", "-o", "json"]).await;
        assert!(version.success, "{}", version.stderr);
        let minor = version.json()["clientVersion"]["minor"]
            .as_str()
            .unwrap_or_default()
            .trim_end_matches('+')
            .parse()
            .unwrap_or(0);
        kubectl.minor = minor;
        kubectl
    }

    /// Clients that validate with the server's `fieldValidation` (1.27 on) need no flag.
    fn validation(&self) -> Vec<&'static str> {
        match self.minor >= 27 {
            true => Vec::new(),
            false => vec!["--validate=false"],
        }
    }

    async fn run(&self, args: &[&str]) -> Run {
        self.run_with_input(args, None).await
    }

    async fn run_with_input(&self, args: &[&str], input: Option<&str>) -> Run {
        let cache = self.home.path().join("cache");
        let mut command = tokio::process::Command::new(&self.binary);
        command
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(&cache)
            .args(args)
            .env("HOME", self.home.path())
            .env_remove("KUBECONFIG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("kubectl starts");
        let mut stdin = child.stdin.take().unwrap();
        if let Some(input) = input {
            stdin.write_all(input.as_bytes()).await.unwrap();
        }
        drop(stdin);
        let output = tokio::time::timeout(PATIENCE, child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("kubectl {args:?} did not finish within {PATIENCE:?}"))
            .unwrap();
        Run {
            success: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs and expects success.
    async fn ok(&self, args: &[&str]) -> Run {
        let run = self.run(args).await;
        assert!(run.success, "kubectl {args:?}: {}", run.stderr);
        run
    }

    /// `kubectl apply --server-side` of `manifest` from stdin, as `manager`.
    async fn apply(&self, manager: &str, manifest: &str, extra: &[&str]) -> Run {
        let mut args = vec![
            "apply",
            "--server-side",
            "--field-manager",
            manager,
            "-f",
            "-",
        ];
        args.extend(self.validation());
        args.extend(extra);
        self.run_with_input(&args, Some(manifest)).await
    }
}

async fn start() -> (Sandbox, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let options = SandboxOptions {
        scenario: Scenario::Drifted,
        ..SandboxOptions::new(dir.path())
    };
    (Sandbox::start(options).await.unwrap(), dir)
}

/// One object of every kind kwif reads or writes besides those a scenario has.
fn seed_every_kind(sandbox: &Sandbox) {
    let pod_template = json!({"metadata": {"labels": {"app": "a"}}, "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]}});
    let job_template = json!({"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox:1.36"}]}});
    for object in [
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "application1"}, "data": {"a": "1"}}),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "application1"}, "spec": {"selector": {"app": "web-server"}, "ports": [{"port": 80}]}}),
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "application1"}, "spec": {"serviceName": "db", "selector": {"matchLabels": {"app": "a"}}, "template": pod_template}}),
        json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent", "namespace": "application1"}, "spec": {"selector": {"matchLabels": {"app": "a"}}, "template": pod_template}}),
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "once", "namespace": "application1"}, "spec": {"template": job_template}}),
        json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly", "namespace": "application1"}, "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": job_template}}}}),
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "oidc", "namespace": "application1"}, "spec": {"ingressClassName": "nginx", "rules": [{"host": "oidc.example.com"}]}}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "oidc-reviewer"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:service-account-issuer-discovery"}, "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:unauthenticated"}]}),
    ] {
        sandbox.kube().insert(object).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_gets_every_kind_kwif_uses_as_tables_yaml_and_json() {
    let (sandbox, _dir) = start().await;
    seed_every_kind(&sandbox);
    let kubectl = Kubectl::for_sandbox(&sandbox).await;
    let cases = [
        ("namespaces", "application1", &["NAME", "STATUS", "AGE"][..]),
        (
            "serviceaccounts",
            "application1-sa",
            &["NAMESPACE", "NAME", "SECRETS"][..],
        ),
        ("configmaps", "settings", &["NAMESPACE", "NAME", "DATA"][..]),
        ("services", "web", &["TYPE", "CLUSTER-IP", "PORT(S)"][..]),
        (
            "deployments",
            "web-server",
            &["READY", "UP-TO-DATE", "AVAILABLE"][..],
        ),
        ("statefulsets", "db", &["NAME", "READY", "AGE"][..]),
        (
            "daemonsets",
            "agent",
            &["DESIRED", "CURRENT", "NODE SELECTOR"][..],
        ),
        ("jobs", "once", &["COMPLETIONS", "DURATION"][..]),
        (
            "cronjobs",
            "nightly",
            &["SCHEDULE", "SUSPEND", "LAST SCHEDULE"][..],
        ),
        ("ingresses", "oidc", &["CLASS", "HOSTS", "ADDRESS"][..]),
        (
            "clusterrolebindings",
            "oidc-reviewer",
            &["NAME", "ROLE", "AGE"][..],
        ),
    ];
    for (resource, name, columns) in cases {
        let table = kubectl.ok(&["get", resource, "-A"]).await.stdout;
        let header = table.lines().next().unwrap_or_default();
        for column in columns {
            assert!(
                header.contains(column),
                "{resource}: {column} in {header:?}"
            );
        }
        assert!(
            table.lines().any(|line| line.contains(name)),
            "{resource}: {name} in\n{table}"
        );
        let json = kubectl
            .ok(&["get", resource, "-A", "-o", "json"])
            .await
            .json();
        assert_eq!(json["kind"], "List", "{resource}");
        assert!(
            json["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|item| item["metadata"]["name"] == name && item["kind"].is_string()),
            "{resource}"
        );
    }
    let deployment = kubectl
        .ok(&[
            "get",
            "deployment",
            "web-server",
            "-n",
            "application1",
            "-o",
            "yaml",
        ])
        .await
        .yaml();
    assert_eq!(deployment["kind"], "Deployment");
    assert_eq!(
        deployment["spec"]["template"]["spec"]["serviceAccountName"],
        "application1-sa"
    );
    let wide = kubectl
        .ok(&["get", "deploy", "-n", "application1", "-o", "wide"])
        .await
        .stdout;
    assert!(wide.contains("ghcr.io/example/web-server:1.4.2"), "{wide}");
    let discovery = kubectl
        .ok(&["get", "--raw", "/.well-known/openid-configuration"])
        .await
        .json();
    assert_eq!(discovery["issuer"], sandbox.issuer());
}

const SETTINGS: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\n  namespace: application1\ndata:\n  level: \"1\"\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_server_side_apply_records_field_managers_and_reports_conflicts() {
    let (sandbox, _dir) = start().await;
    let kubectl = Kubectl::for_sandbox(&sandbox).await;
    let created = kubectl.apply("team-a", SETTINGS, &[]).await;
    assert!(created.success, "{}", created.stderr);
    assert!(
        created.stdout.contains("serverside-applied"),
        "{}",
        created.stdout
    );
    let stored = sandbox
        .kube()
        .object("v1", "ConfigMap", Some("application1"), "shared")
        .unwrap();
    let managers = &stored["metadata"]["managedFields"];
    assert_eq!(managers[0]["manager"], "team-a");
    assert_eq!(managers[0]["operation"], "Apply");

    let other = SETTINGS.replace("\"1\"", "\"2\"");
    let conflict = kubectl.apply("team-b", &other, &[]).await;
    assert!(!conflict.success, "a conflict fails: {}", conflict.stdout);
    assert!(
        conflict.stderr.contains("conflict with \"team-a\"")
            && conflict.stderr.contains(".data.level"),
        "{}",
        conflict.stderr
    );
    let forced = kubectl
        .apply("team-b", &other, &["--force-conflicts"])
        .await;
    assert!(forced.success, "{}", forced.stderr);
    let stored = sandbox
        .kube()
        .object("v1", "ConfigMap", Some("application1"), "shared")
        .unwrap();
    assert_eq!(stored["data"]["level"], "2");
    assert_eq!(stored["metadata"]["managedFields"][0]["manager"], "team-b");

    if kubectl.minor >= 27 {
        let typo = SETTINGS.replace("\ndata:", "\ndatta:");
        let refused = kubectl.apply("team-a", &typo, &[]).await;
        assert!(!refused.success);
        assert!(
            refused
                .stderr
                .contains("strict decoding error: unknown field \"datta\""),
            "{}",
            refused.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_patches_with_each_patch_type_and_deletes() {
    let (sandbox, _dir) = start().await;
    seed_every_kind(&sandbox);
    let kubectl = Kubectl::for_sandbox(&sandbox).await;
    let namespace = ["-n", "application1"];
    let strategic = r#"{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"AZURE_TENANT_ID","value":"restored"}]}]}}}}"#;
    kubectl
        .ok(&[
            &["patch", "deployment", "web-server", "-p", strategic][..],
            &namespace,
        ]
        .concat())
        .await;
    let deployment = sandbox
        .kube()
        .object("apps/v1", "Deployment", Some("application1"), "web-server")
        .unwrap();
    let env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap();
    assert_eq!(
        env.len(),
        5,
        "merged by name into the existing list: {env:?}"
    );
    assert!(
        env.iter()
            .any(|v| v["name"] == "AZURE_TENANT_ID" && v["value"] == "restored")
    );

    kubectl
        .ok(&[
            &[
                "patch",
                "configmap",
                "settings",
                "--type",
                "merge",
                "-p",
                r#"{"data":{"b":"2"}}"#,
            ][..],
            &namespace,
        ]
        .concat())
        .await;
    kubectl
        .ok(&[
            &[
                "patch",
                "configmap",
                "settings",
                "--type",
                "json",
                "-p",
                r#"[{"op":"remove","path":"/data/a"}]"#,
            ][..],
            &namespace,
        ]
        .concat())
        .await;
    let settings = sandbox
        .kube()
        .object("v1", "ConfigMap", Some("application1"), "settings")
        .unwrap();
    assert_eq!(settings["data"], json!({"b": "2"}));
    let bad = kubectl
        .run(
            &[
                &[
                    "patch",
                    "configmap",
                    "settings",
                    "--type",
                    "json",
                    "-p",
                    r#"[{"op":"remove","path":"/data/nope"}]"#,
                ][..],
                &namespace,
            ]
            .concat(),
        )
        .await;
    assert!(!bad.success, "removing a missing member fails");

    kubectl
        .ok(&[&["delete", "configmap", "settings"][..], &namespace].concat())
        .await;
    kubectl
        .ok(&["delete", "clusterrolebinding", "oidc-reviewer"])
        .await;
    let missing = kubectl
        .run(&[&["get", "configmap", "settings"][..], &namespace].concat())
        .await;
    assert!(
        !missing.success && missing.stderr.contains("NotFound"),
        "{}",
        missing.stderr
    );
    kubectl.ok(&["delete", "namespace", "application1"]).await;
    assert!(
        sandbox
            .kube()
            .object("apps/v1", "Deployment", Some("application1"), "web-server")
            .is_none(),
        "a deleted namespace takes its objects"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectls_create_commands_send_protobuf_the_sandbox_decodes() {
    let (sandbox, _dir) = start().await;
    let kubectl = Kubectl::for_sandbox(&sandbox).await;
    kubectl.ok(&["create", "namespace", "team"]).await;
    kubectl
        .ok(&[
            "create",
            "configmap",
            "settings",
            "-n",
            "team",
            "--from-literal=level=1",
        ])
        .await;
    kubectl
        .ok(&["create", "serviceaccount", "worker", "-n", "team"])
        .await;
    kubectl
        .ok(&[
            "create",
            "clusterrolebinding",
            "oidc-reviewer",
            "--clusterrole=system:service-account-issuer-discovery",
            "--group=system:unauthenticated",
        ])
        .await;
    let settings = sandbox
        .kube()
        .object("v1", "ConfigMap", Some("team"), "settings")
        .unwrap();
    assert_eq!(settings["data"], json!({"level": "1"}));
    let binding = sandbox
        .kube()
        .object(
            "rbac.authorization.k8s.io/v1",
            "ClusterRoleBinding",
            None,
            "oidc-reviewer",
        )
        .unwrap();
    assert_eq!(
        binding["subjects"],
        json!([{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:unauthenticated"}])
    );
    assert_eq!(
        binding["roleRef"]["name"],
        "system:service-account-issuer-discovery"
    );

    if kubectl.minor < 24 {
        return; // `kubectl create token` came with 1.24
    }
    let token = kubectl
        .ok(&[
            "create",
            "token",
            "application1-sa",
            "-n",
            "application1",
            "--audience",
            "api://AzureADTokenExchange",
            "--duration",
            "1h",
        ])
        .await
        .stdout;
    let token = crate::token::Token::parse(token.trim());
    assert_eq!(token.issuer(), Some(sandbox.issuer()));
    assert_eq!(token.audiences(), ["api://AzureADTokenExchange"]);
    assert_eq!(
        token.subject(),
        Some("system:serviceaccount:application1:application1-sa")
    );
    let lifetime = token
        .expires_at()
        .duration_since(token.issued_at())
        .unwrap();
    assert_eq!(lifetime, Duration::from_secs(3600));
}

const WORKLOADS: &str = "\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: application1}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - name: postgres
        image: postgres:17
        volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: application1}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: 'ghcr.io/example/agent:3.1'}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: once, namespace: application1}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: 'ghcr.io/example/migrate:2.0'}]
";

/// kwif's change to a workload's pod template, as a manifest: one env var.
fn kwif_env(kind: &str, api_version: &str, name: &str, container: &str) -> String {
    format!(
        "apiVersion: {api_version}\nkind: {kind}\nmetadata: {{name: {name}, namespace: application1}}\n\
         spec:\n  template:\n    spec:\n      containers:\n      - name: {container}\n        \
         env: [{{name: AZURE_CLIENT_ID, value: 00000000-0000-0000-0000-00000000000a}}]\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_sees_every_workload_kind_roll_out_and_the_api_server_refuse_what_it_refuses() {
    let (sandbox, _dir) = start().await;
    let kubectl = Kubectl::for_sandbox(&sandbox).await;
    let namespace = ["-n", "application1"];
    let applied = kubectl.apply("team", WORKLOADS, &[]).await;
    assert!(applied.success, "{}", applied.stderr);

    let rollout = |target: &'static str| {
        let kubectl = &kubectl;
        async move {
            kubectl
                .ok(&[
                    &["rollout", "status", target, "--timeout=60s"][..],
                    &namespace,
                ]
                .concat())
                .await
                .stdout
        }
    };
    assert!(
        rollout("statefulset/db")
            .await
            .contains("roll out complete")
    );
    assert!(
        rollout("daemonset/agent")
            .await
            .contains("daemon set \"agent\" successfully rolled out")
    );
    let waited = kubectl
        .ok(&[
            &[
                "wait",
                "--for=condition=complete",
                "job/once",
                "--timeout=60s",
            ][..],
            &namespace,
        ]
        .concat())
        .await;
    assert!(
        waited.stdout.contains("job.batch/once condition met"),
        "{}",
        waited.stdout
    );
    let jobs = kubectl
        .ok(&[&["get", "jobs"][..], &namespace].concat())
        .await
        .stdout;
    let once = jobs
        .lines()
        .find(|line| line.starts_with("once"))
        .unwrap_or_default();
    assert!(once.contains("Complete") && once.contains("1/1"), "{jobs}");
    let pods = kubectl
        .ok(&[
            &["get", "pods", "-l", "batch.kubernetes.io/job-name=once"][..],
            &namespace,
        ]
        .concat())
        .await
        .stdout;
    assert!(pods.contains("Completed"), "{pods}");

    // kwif's env var on each kind: the StatefulSet and DaemonSet roll, the Job refuses.
    for (kind, name, container) in [
        ("StatefulSet", "db", "postgres"),
        ("DaemonSet", "agent", "agent"),
    ] {
        let changed = kubectl
            .apply("kwif", &kwif_env(kind, "apps/v1", name, container), &[])
            .await;
        assert!(changed.success, "{kind}: {}", changed.stderr);
    }
    assert!(
        rollout("statefulset/db")
            .await
            .contains("roll out complete")
    );
    let refused = kubectl
        .apply("kwif", &kwif_env("Job", "batch/v1", "once", "migrate"), &[])
        .await;
    assert!(!refused.success, "{}", refused.stdout);
    assert!(
        refused.stderr.contains("spec.template: Invalid value")
            && refused.stderr.contains("field is immutable"),
        "{}",
        refused.stderr
    );
    // A CronJob's job template is mutable: the seeded nightly report takes kwif's variable.
    let report = kwif_env("CronJob", "batch/v1", "nightly-report", "report")
        .replace("namespace: application1", "namespace: analytics")
        .replace("spec:\n  template:\n    spec:\n      containers:\n      - name: report\n        env:",
                 "spec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n          - name: report\n            env:");
    let changed = kubectl.apply("kwif", &report, &[]).await;
    assert!(changed.success, "{report}\n{}", changed.stderr);
    let stored = sandbox
        .kube()
        .object("batch/v1", "CronJob", Some("analytics"), "nightly-report")
        .unwrap();
    let env = &stored["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"];
    assert!(
        env.as_array()
            .unwrap()
            .iter()
            .any(|var| var["name"] == "AZURE_CLIENT_ID"),
        "{env}"
    );
    let claims = WORKLOADS.replace("storage: 1Gi", "storage: 5Gi");
    let statefulset_only = claims.split("---").next().unwrap_or_default().to_string();
    let forbidden = kubectl
        .apply("team", &statefulset_only, &["--force-conflicts"])
        .await;
    assert!(
        forbidden
            .stderr
            .contains("spec: Forbidden: updates to statefulset spec for fields other than"),
        "{}",
        forbidden.stderr
    );

    // Recreating the Job: kubectl deletes in the background, which takes its pods.
    kubectl
        .ok(&[&["delete", "job", "once"][..], &namespace].concat())
        .await;
    let pods = kubectl
        .ok(&[
            &["get", "pods", "-l", "batch.kubernetes.io/job-name=once"][..],
            &namespace,
        ]
        .concat())
        .await;
    assert!(
        pods.stdout.is_empty() && pods.stderr.contains("No resources found"),
        "{} {}",
        pods.stdout,
        pods.stderr
    );
    let job_only = WORKLOADS
        .rsplit("---")
        .next()
        .unwrap_or_default()
        .to_string();
    let recreated = kubectl.apply("team", &job_only, &[]).await;
    assert!(recreated.success, "{}", recreated.stderr);
}
