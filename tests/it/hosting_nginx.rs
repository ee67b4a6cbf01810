//! The `nginx` publisher: its manifests applied to the sandbox API server (every object checked),
//! and the nginx config it generates served by a real nginx (Debian's package) from the files
//! its ConfigMaps would mount, over TLS from a test CA, checked by the doctor like Entra would.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime};

use crate::support::{Pki, Validity};
use kube::api::{Patch, PatchParams};
use kwif::engine::{Facts, Status, Step};
use kwif::hosting::nginx::{DOCUMENTS_DIR, PORT};
use kwif::hosting::{KeySource, NginxPublisher, NginxSite, Publisher};
use kwif::oidc::AZURE_AUDIENCE;
use kwif::oidc::doctor::{Doctor, Examination};
use kwif::oidc::fetch::Fetcher;
use kwif::oidc::issuer::IssuerUrl;
use kwif::profile::{HostName, Namespace, NginxHosting, ObjectName};
use kwif::steps::hosting::HostingStep;
use kwif_sandbox::{Distribution, KubeSandbox, KubeSandboxOptions};
use serde_json::{Value, json};

const NAMESPACE: &str = "kwif-oidc";

// ------------------------------------------------------------------------------------ builder

/// The sandbox cluster with the issuer set, and a hosting step publishing through nginx.
struct NginxTest {
    sandbox: KubeSandbox,
    client: kube::Client,
    issuer: IssuerUrl,
    site: NginxSite,
    ca_files: Vec<std::path::PathBuf>,
}

impl NginxTest {
    async fn start(issuer: &str, cluster_issuer: Option<&str>) -> NginxTest {
        let options = KubeSandboxOptions::new(Distribution::K3s).with_issuers([issuer]);
        let sandbox = KubeSandbox::start(options).await.unwrap();
        let client = sandbox.client().await.unwrap();
        let issuer = IssuerUrl::parse(issuer).unwrap();
        let hosting = NginxHosting {
            host: HostName::parse(issuer.host()).unwrap(),
            ingress_class: ObjectName::parse("nginx").unwrap(),
            cluster_issuer: cluster_issuer.map(|name| ObjectName::parse(name).unwrap()),
            namespace: Namespace::parse(NAMESPACE).unwrap(),
        };
        let site = NginxSite::new(hosting, issuer.clone());
        NginxTest {
            sandbox,
            client,
            issuer,
            site,
            ca_files: Vec::new(),
        }
    }

    fn trusting(mut self, ca_file: std::path::PathBuf) -> NginxTest {
        self.ca_files.push(ca_file);
        self
    }

    fn step(&self) -> HostingStep {
        let publisher =
            Publisher::Nginx(NginxPublisher::new(self.client.clone(), self.site.clone()));
        let fetcher = Fetcher::new(&self.ca_files).unwrap();
        HostingStep::new(
            self.issuer.clone(),
            KeySource::Cluster(self.client.clone()),
            publisher,
            fetcher,
        )
    }

    fn object(&self, api_version: &str, kind: &str, name: &str) -> Value {
        let namespace = (kind != "Namespace").then_some(NAMESPACE);
        self.sandbox
            .object(api_version, kind, namespace, name)
            .unwrap_or_else(|| panic!("{kind} {name} exists"))
    }

    fn config_map_data(&self, name: &str) -> serde_json::Map<String, Value> {
        self.object("v1", "ConfigMap", name)["data"]
            .as_object()
            .unwrap()
            .clone()
    }
}

/// A real nginx running the config kwif generated. Paths are adapted to a temp dir (the
/// ConfigMap files where the kubelet would mount them, `/tmp`), and TLS, which the Ingress ends
/// in the cluster, is added to the listen line; the locations are kwif's, untouched.
struct ServedSite {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl ServedSite {
    fn start(
        config: &str,
        documents: &serde_json::Map<String, Value>,
        pki: &Pki,
        port: u16,
    ) -> ServedSite {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let documents_dir = root.join("documents");
        std::fs::create_dir_all(&documents_dir).unwrap();
        for (file, text) in documents {
            std::fs::write(documents_dir.join(file), text.as_str().unwrap()).unwrap();
        }
        let (cert, key) = pki.server_certificate("oidc", &["localhost"], Validity::Current);
        let listen = format!("listen {PORT};");
        assert_eq!(
            config.matches(&listen).count(),
            1,
            "one listen line:\n{config}"
        );
        let adapted = format!(
            "master_process off;\n{}",
            config
                .replace("/tmp/", &format!("{}/", root.display()))
                .replace(DOCUMENTS_DIR, &documents_dir.display().to_string())
                .replace(
                    &listen,
                    &format!("listen 127.0.0.1:{port} ssl;\n ssl_certificate {};\n ssl_certificate_key {};", cert.display(), key.display())
                )
        );
        let config_path = root.join("nginx.conf");
        std::fs::write(&config_path, adapted).unwrap();
        let child = Command::new(crate::support::nginx_binary())
            .args(["-e", "stderr", "-p"])
            .arg(root)
            .arg("-c")
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("nginx starts");
        crate::support::wait_for_port("nginx", port, Duration::from_secs(10));
        ServedSite {
            child,
            port,
            _dir: dir,
        }
    }
}

impl Drop for ServedSite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http_client(ca_file: &Path) -> reqwest::Client {
    let certificate = reqwest::Certificate::from_pem(&std::fs::read(ca_file).unwrap()).unwrap();
    reqwest::Client::builder()
        .tls_certs_merge([certificate])
        .no_proxy()
        .build()
        .unwrap()
}

// ------------------------------------------------------------------------------------ tests

#[tokio::test]
async fn the_generated_config_served_by_real_nginx_passes_the_doctor_and_serves_nothing_else() {
    let pki = Pki::new();
    let port = crate::support::free_port();
    let test = NginxTest::start(
        &format!("https://localhost:{port}/cluster1"),
        Some("letsencrypt-prod"),
    )
    .await
    .trusting(pki.ca_file());
    let step = test.step();
    step.apply(&step.plan(&Facts::new()).await.unwrap(), &Facts::new())
        .await
        .unwrap();
    let config = test.config_map_data("oidc-nginx")["nginx.conf"]
        .as_str()
        .unwrap()
        .to_string();
    let nginx = ServedSite::start(&config, &test.config_map_data("oidc-documents"), &pki, port);

    let token = kwif::kube::mint_token(&test.client, "default", "default", AZURE_AUDIENCE, 3600)
        .await
        .unwrap();
    let doctor = Doctor::new(Fetcher::new(&[pki.ca_file()]).unwrap());
    let exam = Examination {
        issuer: test.issuer.as_str(),
        token: Some(&token),
        audience: AZURE_AUDIENCE,
        now: SystemTime::now(),
    };
    let codes: Vec<&str> = doctor
        .examine(&exam)
        .await
        .unwrap()
        .iter()
        .map(|finding| finding.code)
        .collect();
    assert_eq!(
        codes,
        ["ISSUER_PRIVATE_ADDRESS"],
        "only the loopback warning"
    );
    let check = step.check(&Facts::new()).await;
    assert_eq!(check.status, Status::Ok, "{check:?}");

    let client = http_client(&pki.ca_file());
    let origin = format!("https://localhost:{}", nginx.port);
    for path in [
        "/cluster1/.well-known/openid-configuration",
        "/cluster1/openid/v1/jwks",
    ] {
        let response = client.get(format!("{origin}{path}")).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{path}"
        );
        let head = client.head(format!("{origin}{path}")).send().await.unwrap();
        assert_eq!(head.status(), 200, "HEAD {path}");
        let post = client
            .post(format!("{origin}{path}"))
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(post.status(), 403, "POST {path} is refused");
    }
    for path in [
        "/",
        "/cluster1",
        "/cluster1/",
        "/.well-known/openid-configuration",
        "/cluster1/.well-known/oidc-configuration",
        "/cluster1/.well-known/openid-configuration/",
        "/cluster1/.well-known/openid-configuration.json",
        "/cluster1/openid/v1/jwks/",
        "/cluster1/openid/v1/",
        "/cluster1/openid-configuration",
        "/cluster1/nginx.conf",
        "/nginx.conf",
        "/cluster1/.well-known/",
        "/cluster1/../etc/passwd",
    ] {
        let response = client.get(format!("{origin}{path}")).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path} is not served");
    }
}

#[tokio::test]
async fn applying_to_the_sandbox_creates_every_object_as_specified_and_a_rerun_plans_nothing() {
    let test = NginxTest::start(
        "https://oidc.example.com/cluster1",
        Some("letsencrypt-prod"),
    )
    .await;
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
            "Namespace kwif-oidc",
            "ConfigMap kwif-oidc/oidc-documents",
            "ConfigMap kwif-oidc/oidc-nginx",
            "Deployment kwif-oidc/oidc-issuer",
            "Service kwif-oidc/oidc-issuer",
            "Ingress kwif-oidc/oidc-issuer",
        ]
    );
    assert!(
        plan.changes
            .iter()
            .all(|change| change.summary.starts_with("create ") && change.manifest.is_some())
    );
    step.apply(&plan, &Facts::new()).await.unwrap();

    let labels = json!({"app.kubernetes.io/name": "oidc-issuer", "app.kubernetes.io/part-of": "kwif", "app.kubernetes.io/managed-by": "kwif"});
    let selector =
        json!({"app.kubernetes.io/name": "oidc-issuer", "app.kubernetes.io/part-of": "kwif"});
    let namespace = test.object("v1", "Namespace", NAMESPACE);
    for (key, value) in labels.as_object().unwrap() {
        assert_eq!(
            &namespace["metadata"]["labels"][key], value,
            "Namespace label {key}"
        );
    }

    let documents = test.config_map_data("oidc-documents");
    let mut files: Vec<&String> = documents.keys().collect();
    files.sort();
    assert_eq!(files, ["jwks", "openid-configuration"]);
    let discovery: Value =
        serde_json::from_str(documents["openid-configuration"].as_str().unwrap()).unwrap();
    assert_eq!(discovery["issuer"], "https://oidc.example.com/cluster1");
    assert_eq!(
        discovery["jwks_uri"],
        "https://oidc.example.com/cluster1/openid/v1/jwks"
    );
    let jwks: Value = serde_json::from_str(documents["jwks"].as_str().unwrap()).unwrap();
    assert_eq!(
        jwks["keys"],
        test.sandbox.jwks()["keys"],
        "the cluster's keys exactly"
    );
    let config = test.config_map_data("oidc-nginx")["nginx.conf"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        config.contains("location = \"/cluster1/.well-known/openid-configuration\" {"),
        "{config}"
    );
    assert!(
        config.contains("location = \"/cluster1/openid/v1/jwks\" {"),
        "{config}"
    );
    assert_eq!(
        config.matches("default_type application/json;").count(),
        2,
        "{config}"
    );

    let deployment = test.object("apps/v1", "Deployment", "oidc-issuer");
    assert_eq!(deployment["metadata"]["labels"], labels);
    let spec = &deployment["spec"];
    assert_eq!(spec["replicas"], 2);
    assert_eq!(spec["selector"]["matchLabels"], selector);
    assert_eq!(spec["strategy"]["rollingUpdate"]["maxUnavailable"], 0);
    let template = &spec["template"];
    assert_eq!(template["metadata"]["labels"], labels);
    assert_eq!(
        template["metadata"]["annotations"]["kwif/content-sha256"]
            .as_str()
            .map(str::len),
        Some(64)
    );
    let pod = &template["spec"];
    assert_eq!(pod["automountServiceAccountToken"], false);
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(pod["securityContext"]["runAsUser"], 101);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    let container = &pod["containers"][0];
    assert_eq!(
        container["image"],
        "docker.io/nginxinc/nginx-unprivileged:1.27-alpine"
    );
    assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(
        container["securityContext"]["allowPrivilegeEscalation"],
        false
    );
    assert_eq!(container["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        container["securityContext"]["capabilities"]["drop"],
        json!(["ALL"])
    );
    assert_eq!(container["ports"][0]["containerPort"], 8080);
    for probe in ["readinessProbe", "livenessProbe"] {
        assert_eq!(
            container[probe]["httpGet"]["path"], "/cluster1/.well-known/openid-configuration",
            "{probe}"
        );
        assert_eq!(container[probe]["httpGet"]["port"], "http", "{probe}");
    }
    assert_eq!(
        container["resources"]["limits"],
        json!({"cpu": "100m", "memory": "64Mi"})
    );
    assert_eq!(
        container["resources"]["requests"],
        json!({"cpu": "10m", "memory": "16Mi"})
    );
    let mounts = container["volumeMounts"].as_array().unwrap();
    assert_eq!(mounts.len(), 3);
    assert!(
        mounts
            .iter()
            .filter(|mount| mount["mountPath"] != "/tmp")
            .all(|mount| mount["readOnly"] == true)
    );
    let volumes: Vec<&str> = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|volume| volume["name"].as_str().unwrap())
        .collect();
    assert_eq!(volumes, ["documents", "nginx-config", "tmp"]);
    assert_eq!(pod["volumes"][0]["configMap"]["name"], "oidc-documents");
    assert_eq!(pod["volumes"][1]["configMap"]["name"], "oidc-nginx");
    let managers: Vec<&str> = deployment["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|entry| entry["manager"].as_str())
        .collect();
    assert!(managers.contains(&"kwif"), "{managers:?}");

    let service = test.object("v1", "Service", "oidc-issuer");
    assert_eq!(service["spec"]["selector"], selector);
    assert_eq!(service["spec"]["ports"][0]["port"], 80);
    assert_eq!(service["spec"]["ports"][0]["targetPort"], "http");

    let ingress = test.object("networking.k8s.io/v1", "Ingress", "oidc-issuer");
    assert_eq!(
        ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"],
        "letsencrypt-prod"
    );
    assert_eq!(ingress["spec"]["ingressClassName"], "nginx");
    assert_eq!(
        ingress["spec"]["tls"],
        json!([{"hosts": ["oidc.example.com"], "secretName": "oidc-issuer-tls"}])
    );
    let rule = &ingress["spec"]["rules"][0];
    assert_eq!(rule["host"], "oidc.example.com");
    let paths: Vec<(&str, &str)> = rule["http"]["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|path| {
            (
                path["path"].as_str().unwrap(),
                path["pathType"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        paths,
        [
            ("/cluster1/.well-known/openid-configuration", "Exact"),
            ("/cluster1/openid/v1/jwks", "Exact")
        ]
    );
    assert_eq!(
        rule["http"]["paths"][0]["backend"]["service"],
        json!({"name": "oidc-issuer", "port": {"name": "http"}})
    );

    assert!(
        step.plan(&Facts::new()).await.unwrap().is_empty(),
        "a rerun plans nothing"
    );
}

#[tokio::test]
async fn after_a_key_rotation_only_the_documents_and_the_rollout_change_and_user_labels_survive() {
    let test = NginxTest::start("https://oidc.example.com", Some("letsencrypt-prod")).await;
    let step = test.step();
    step.apply(&step.plan(&Facts::new()).await.unwrap(), &Facts::new())
        .await
        .unwrap();
    let deployments = kwif::kube::dynamic_api(
        &test.client,
        &kwif::kube::api_resource("apps", "v1", "Deployment"),
        NAMESPACE,
    );
    let label = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "oidc-issuer", "labels": {"team": "platform"}}});
    deployments
        .patch(
            "oidc-issuer",
            &PatchParams::apply("platform-team"),
            &Patch::Apply(&label),
        )
        .await
        .unwrap();

    let new_kid = test.sandbox.rotate_signing_key().unwrap();
    let plan = step.plan(&Facts::new()).await.unwrap();
    let targets: Vec<&str> = plan
        .changes
        .iter()
        .map(|change| change.target.as_str())
        .collect();
    assert_eq!(
        targets,
        [
            "ConfigMap kwif-oidc/oidc-documents",
            "Deployment kwif-oidc/oidc-issuer"
        ]
    );
    assert!(
        plan.changes[0].diff().contains(&new_kid),
        "{}",
        plan.changes[0].diff()
    );
    step.apply(&plan, &Facts::new()).await.unwrap();

    let jwks: Value = serde_json::from_str(
        test.config_map_data("oidc-documents")["jwks"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        jwks["keys"].as_array().unwrap().len(),
        2,
        "old and new key: {jwks}"
    );
    let deployment = test.object("apps/v1", "Deployment", "oidc-issuer");
    assert_eq!(
        deployment["metadata"]["labels"]["team"], "platform",
        "the user's label survives"
    );
    let config = test.config_map_data("oidc-nginx")["nginx.conf"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        config.contains("location = \"/.well-known/openid-configuration\" {"),
        "a root issuer: {config}"
    );
    assert!(step.plan(&Facts::new()).await.unwrap().is_empty());
}

#[tokio::test]
async fn without_a_cluster_issuer_the_ingress_has_no_cert_manager_annotation_and_the_tls_secret_is_named()
 {
    let test = NginxTest::start("https://oidc.example.com/cluster1", None).await;
    let step = test.step();
    step.apply(&step.plan(&Facts::new()).await.unwrap(), &Facts::new())
        .await
        .unwrap();
    let ingress = test.object("networking.k8s.io/v1", "Ingress", "oidc-issuer");
    assert!(
        ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"].is_null(),
        "{ingress}"
    );
    let notes = step.publisher().notes();
    assert_eq!(notes[0].code, "HOSTING_TLS_BY_USER");
    assert!(
        notes[0]
            .fix
            .contains("kubectl create secret tls oidc-issuer-tls -n kwif-oidc"),
        "{:?}",
        notes[0]
    );
}

#[tokio::test]
async fn destroy_deletes_the_objects_kwif_made_and_leaves_the_namespace_and_a_users_look_alike() {
    let test = NginxTest::start("https://oidc.example.com/cluster1", None).await;
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
            "Ingress kwif-oidc/oidc-issuer",
            "Service kwif-oidc/oidc-issuer",
            "Deployment kwif-oidc/oidc-issuer",
            "ConfigMap kwif-oidc/oidc-nginx",
            "ConfigMap kwif-oidc/oidc-documents",
        ]
    );
    let last = &removal.changes[4].summary;
    assert!(
        last.contains("left: Namespace kwif-oidc and Secret kwif-oidc/oidc-issuer-tls"),
        "what stays is said: {last}"
    );
    assert!(removal.changes.iter().all(|change| change.after.is_empty()));

    step.remove(&removal, &Facts::new()).await.unwrap();
    for (api_version, kind, name) in [
        ("networking.k8s.io/v1", "Ingress", "oidc-issuer"),
        ("v1", "Service", "oidc-issuer"),
        ("apps/v1", "Deployment", "oidc-issuer"),
        ("v1", "ConfigMap", "oidc-nginx"),
        ("v1", "ConfigMap", "oidc-documents"),
    ] {
        assert!(
            test.sandbox
                .object(api_version, kind, Some(NAMESPACE), name)
                .is_none(),
            "{kind} {name} is gone"
        );
    }
    assert!(
        test.sandbox
            .object("v1", "Namespace", None, NAMESPACE)
            .is_some(),
        "the namespace stays"
    );
    assert!(
        step.plan_removal(&Facts::new()).await.unwrap().is_empty(),
        "nothing of kwif's is left"
    );

    // Someone else's ConfigMap of the same name (without kwif's label) is never kwif's to delete.
    let config_maps = kwif::kube::dynamic_api(
        &test.client,
        &kwif::kube::api_resource("", "v1", "ConfigMap"),
        NAMESPACE,
    );
    let theirs = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "oidc-documents"}, "data": {"a": "b"}});
    config_maps
        .patch(
            "oidc-documents",
            &PatchParams::apply("platform-team"),
            &Patch::Apply(&theirs),
        )
        .await
        .unwrap();
    assert!(step.plan_removal(&Facts::new()).await.unwrap().is_empty());
}

/// The retirement of a rotated key round-trips through the documents ConfigMap's annotation on
/// a real (sandbox) API server: kept while a token it signed may still be valid, pruned after.
#[tokio::test]
async fn a_rotated_key_is_recorded_on_the_config_map_and_pruned_only_after_the_window() {
    let test = NginxTest::start("https://oidc.example.com", None).await;
    let rotated = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let step_at = |now: SystemTime| {
        test.step()
            .with_token_lifetime(Duration::from_secs(3600))
            .at(now)
    };
    let kids = || -> Vec<String> {
        let jwks: Value = serde_json::from_str(
            test.config_map_data("oidc-documents")["jwks"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|key| key["kid"].as_str().unwrap().to_string())
            .collect()
    };
    let first = step_at(rotated);
    first
        .apply(&first.plan(&Facts::new()).await.unwrap(), &Facts::new())
        .await
        .unwrap();
    let [old_kid] = <[String; 1]>::try_from(kids()).unwrap();

    // The cluster signs with a new key and, later, stops serving the old one (its key file is
    // gone from the API server's flags): from then on only the published JWKS holds it.
    let new_kid = test.sandbox.rotate_signing_key().unwrap();
    assert!(test.sandbox.remove_verification_key(&old_kid));
    let rotation = step_at(rotated);
    rotation
        .apply(&rotation.plan(&Facts::new()).await.unwrap(), &Facts::new())
        .await
        .unwrap();
    assert_eq!(kids(), [old_kid.clone(), new_kid.clone()]);
    let annotation = test.object("v1", "ConfigMap", "oidc-documents")["metadata"]["annotations"]
        [kwif::hosting::nginx::RETIRED_KEYS_ANNOTATION]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        annotation,
        format!("{{\"{old_kid}\":\"2027-01-15T08:00:00Z\"}}")
    );

    // An hour of token lifetime plus 5 minutes of clock skew after the recorded retirement.
    let window = Duration::from_secs(3600 + 300);
    let before = step_at(rotated + window - Duration::from_secs(1));
    assert!(
        before.plan(&Facts::new()).await.unwrap().is_empty(),
        "never before the window has passed"
    );
    let after = step_at(rotated + window);
    let plan = after.plan(&Facts::new()).await.unwrap();
    assert!(!plan.is_empty(), "the old key is offered for pruning");
    after.apply(&plan, &Facts::new()).await.unwrap();
    assert_eq!(kids(), [new_kid]);
    let annotations = &test.object("v1", "ConfigMap", "oidc-documents")["metadata"]["annotations"];
    assert!(
        annotations
            .get(kwif::hosting::nginx::RETIRED_KEYS_ANNOTATION)
            .is_none(),
        "the record goes with the key: {annotations}"
    );
    assert!(after.plan(&Facts::new()).await.unwrap().is_empty());
}
