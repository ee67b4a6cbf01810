//! The whole sandbox: the files each scenario writes and what they let a client do, the state
//! each scenario seeds (and that repairing it by hand makes the token exchange work), the node's
//! k3s config file driving the API server's issuer, latency, and serving until stopped.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::ServiceAccount;
use kube::Api;
use kwif_sandbox::{Sandbox, SandboxOptions, Scenario};
use reqwest::Method;
use serde_json::{Value, json};

use crate::azure_client::{Answer, JWT_BEARER, client_trusting};
use crate::token::Token;

const K3S_DEFAULT_ISSUER: &str = "https://kubernetes.default.svc.cluster.local";
const AUDIENCE: &str = "api://AzureADTokenExchange";

async fn start(scenario: Scenario) -> (Sandbox, tempfile::TempDir) {
    start_with(scenario, Duration::ZERO).await
}

async fn start_with(scenario: Scenario, latency: Duration) -> (Sandbox, tempfile::TempDir) {
    start_options(SandboxOptions {
        scenario,
        latency,
        ..SandboxOptions::new("")
    })
    .await
}

/// A sandbox with `options`, in a temporary directory of its own.
async fn start_options(options: SandboxOptions) -> (Sandbox, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let options = SandboxOptions {
        dir: dir.path().join("sandbox"),
        ..options
    };
    let sandbox = Sandbox::start(options).await.expect("the sandbox starts");
    (sandbox, dir)
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn yaml(path: &Path) -> serde_yaml::Value {
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A kube-rs client from the kubeconfig file the sandbox wrote, in its `kwif-sandbox` context.
async fn kube_client(sandbox: &Sandbox) -> kube::Client {
    let kubeconfig = kube::config::Kubeconfig::read_from(&sandbox.files().kubeconfig).unwrap();
    let options = kube::config::KubeConfigOptions {
        context: Some("kwif-sandbox".to_string()),
        ..Default::default()
    };
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .unwrap();
    kube::Client::try_from(config).unwrap()
}

/// A token of `application1-sa` for Entra, as the projected volume would hold.
async fn workload_token(sandbox: &Sandbox) -> String {
    let accounts: Api<ServiceAccount> = Api::namespaced(kube_client(sandbox).await, "application1");
    let request = json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
        "spec": {"audiences": [AUDIENCE], "expirationSeconds": 3600}});
    let reply: Value = accounts
        .create_subresource("token", "application1-sa", &Default::default(), &request)
        .await
        .unwrap();
    reply["status"]["token"].as_str().unwrap().to_string()
}

/// The workload's token exchange at the sandbox's Entra, over a client trusting only ca.pem.
async fn exchange(sandbox: &Sandbox, assertion: &str) -> Answer {
    let azure = sandbox.azure();
    let client_id = azure
        .identity("rg-application1", "id-application1")
        .expect("the scenario's identity")
        .client_id;
    let form = [
        ("client_id", client_id.as_str()),
        ("scope", "https://management.azure.com/.default"),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", assertion),
        ("grant_type", "client_credentials"),
    ];
    let client = client_trusting(&std::fs::read_to_string(&sandbox.files().ca).unwrap());
    let request = client
        .post(azure.token_endpoint())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form)
                .finish(),
        );
    Answer::of(request).await
}

fn deployment(sandbox: &Sandbox) -> Value {
    sandbox
        .kube()
        .object("apps/v1", "Deployment", Some("application1"), "web-server")
        .unwrap()
}

fn env_names(deployment: &Value) -> Vec<String> {
    deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|variable| variable["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn each_scenario_writes_the_files_a_user_points_kwif_and_kubectl_at() {
    for scenario in Scenario::ALL {
        let (sandbox, _dir) = start(scenario).await;
        let files = sandbox.files().clone();
        for path in [
            &files.kubeconfig,
            &files.profile,
            &files.ca,
            &files.env,
            &files.node_root,
            &files.site,
        ] {
            assert!(path.is_absolute() && path.exists(), "{}", path.display());
        }
        assert_eq!(
            mode(&files.kubeconfig),
            0o600,
            "{scenario}: the admin token"
        );
        assert_eq!(mode(&files.env), 0o600, "{scenario}: the client secret");
        assert!(files.k3s_config().is_file());
        assert!(files.k3s_config().starts_with(&files.node_root));

        let kubeconfig = yaml(&files.kubeconfig);
        assert_eq!(kubeconfig["current-context"], "kwif-sandbox");

        let env = std::fs::read_to_string(&files.env).unwrap();
        let login = sandbox.login();
        for line in [
            format!("export KUBECONFIG='{}'", files.kubeconfig.display()),
            format!("export SSL_CERT_FILE='{}'", files.ca.display()),
            format!("export AZURE_TENANT_ID='{}'", login.tenant_id),
            format!("export AZURE_CLIENT_ID='{}'", login.client_id),
            format!("export AZURE_CLIENT_SECRET='{}'", login.client_secret),
        ] {
            assert!(
                env.lines().any(|l| l == line),
                "{scenario}: {line} in\n{env}"
            );
        }
        assert!(!format!("{login:?}").contains(&login.client_secret));

        let profile_text = std::fs::read_to_string(&files.profile).unwrap();
        assert!(profile_text.starts_with(&format!("# kwif sandbox profile (scenario {scenario})")));
        let profile = yaml(&files.profile);
        let azure = sandbox.azure();
        assert_eq!(profile["cluster"]["context"], "kwif-sandbox");
        assert_eq!(profile["cluster"]["distribution"], "auto");
        assert_eq!(
            profile["cluster"]["nodeRoot"],
            files.node_root.display().to_string()
        );
        assert_eq!(profile["issuer"], sandbox.issuer());
        assert_eq!(
            sandbox.issuer(),
            format!("https://{}/cluster1", sandbox.static_host().address())
        );
        assert_eq!(profile["hosting"]["kind"], "directory");
        assert_eq!(
            profile["hosting"]["directory"]["path"],
            files.site.display().to_string()
        );
        assert_eq!(profile["azure"]["cloud"], "custom");
        assert_eq!(
            profile["azure"]["endpoints"]["resourceManager"],
            azure.resource_manager_url()
        );
        assert_eq!(
            profile["azure"]["endpoints"]["authorityHost"],
            azure.authority_host()
        );
        assert_eq!(profile["azure"]["tenant"], azure.tenant_id());
        assert_eq!(profile["azure"]["subscription"], azure.subscription_id());
        assert_eq!(profile["azure"]["resourceGroup"], "rg-application1");
        assert_eq!(profile["azure"]["location"], "westeurope");
        assert_eq!(profile["identity"]["name"], "id-application1");
        assert_eq!(
            profile["identity"]["roles"][0]["role"],
            "Storage Blob Data Reader"
        );
        assert_eq!(
            profile["identity"]["roles"][0]["scope"],
            format!(
                "/subscriptions/{}/resourceGroups/rg-application1/providers/Microsoft.Storage/storageAccounts/st1",
                azure.subscription_id()
            )
        );
        let workload = &profile["workloads"][0];
        for (field, value) in [
            ("namespace", "application1"),
            ("serviceAccount", "application1-sa"),
            ("kind", "Deployment"),
            ("name", "web-server"),
            ("mode", "patch"),
            ("federatedCredentialName", "application1-sa"),
        ] {
            assert_eq!(workload[field], value, "{scenario}: workloads[0].{field}");
        }

        // One CA file reaches all three servers, and the other files work with it.
        let ca = std::fs::read_to_string(&files.ca).unwrap();
        let client = client_trusting(&ca);
        let version = kube_client(&sandbox).await.apiserver_version().await;
        assert_eq!(version.unwrap().git_version, "v1.33.2+k3s1");
        let groups = client
            .get(format!(
                "{}subscriptions/{}/resourcegroups/rg-application1?api-version=2021-04-01",
                azure.resource_manager_url(),
                azure.subscription_id()
            ))
            .bearer_auth(azure.admin_access_token())
            .send()
            .await
            .unwrap();
        assert_eq!(groups.status(), 200);
        let host = client
            .get(format!("{}/missing", sandbox.issuer()))
            .send()
            .await
            .unwrap();
        assert_eq!(host.status(), 404, "the static host answers over TLS");
        sandbox.shutdown().await;
    }
}

#[tokio::test]
async fn the_fresh_scenario_has_the_application_and_nothing_set_up() {
    let (sandbox, _dir) = start(Scenario::Fresh).await;
    let deployment = deployment(&sandbox);
    assert_eq!(deployment["spec"]["replicas"], 2);
    assert_eq!(
        deployment["metadata"]["labels"],
        json!({"app": "web-server", "team": "payments"})
    );
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["name"], "web");
    assert_eq!(container["image"], "ghcr.io/example/web-server:1.4.2");
    assert_eq!(env_names(&deployment), ["COSMOS_ENDPOINT"]);
    assert!(deployment["spec"]["template"]["spec"]["serviceAccountName"].is_null());
    assert!(
        sandbox
            .kube()
            .object(
                "v1",
                "ServiceAccount",
                Some("application1"),
                "application1-sa"
            )
            .is_none()
    );
    assert!(sandbox.azure().identities().is_empty());
    assert!(!sandbox.files().site.join("cluster1").exists());
    let config = std::fs::read_to_string(sandbox.files().k3s_config()).unwrap();
    assert!(!config.contains("kube-apiserver-arg"), "{config}");
    let token = Token::parse(&workload_token_of_default(&sandbox).await);
    assert_eq!(token.issuer(), Some(K3S_DEFAULT_ISSUER));
}

/// A token of `application1/default`, for scenarios without the workload's ServiceAccount.
async fn workload_token_of_default(sandbox: &Sandbox) -> String {
    let accounts: Api<ServiceAccount> = Api::namespaced(kube_client(sandbox).await, "application1");
    let request = json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"audiences": [AUDIENCE]}});
    let reply: Value = accounts
        .create_subresource("token", "default", &Default::default(), &request)
        .await
        .unwrap();
    reply["status"]["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_set_up_scenario_follows_the_workload_identity_conventions() {
    let (sandbox, _dir) = start(Scenario::BrokenHosting).await;
    let issuer = sandbox.issuer().to_string();
    let config = yaml(&sandbox.files().k3s_config());
    assert_eq!(
        config["kube-apiserver-arg"],
        serde_yaml::to_value([
            format!("service-account-issuer={issuer}"),
            format!("service-account-issuer={K3S_DEFAULT_ISSUER}"),
            format!("service-account-jwks-uri={issuer}/openid/v1/jwks"),
        ])
        .unwrap()
    );
    assert_eq!(
        sandbox.kube().flags().service_account_issuers,
        [issuer.clone(), K3S_DEFAULT_ISSUER.to_string()]
    );

    let azure = sandbox.azure();
    let identity = azure
        .identity("rg-application1", "id-application1")
        .unwrap();
    let credentials = azure.federated_credentials("rg-application1", "id-application1");
    assert_eq!(credentials.len(), 1);
    assert_eq!(credentials[0].name, "application1-sa");
    assert_eq!(credentials[0].issuer, issuer);
    assert_eq!(
        credentials[0].subject,
        "system:serviceaccount:application1:application1-sa"
    );
    assert_eq!(credentials[0].audiences, [AUDIENCE]);
    let roles: Vec<_> = azure
        .role_assignments()
        .into_iter()
        .filter(|assignment| assignment.principal_id == identity.principal_id)
        .collect();
    assert_eq!(roles.len(), 1);
    assert!(roles[0].scope.ends_with("/storageAccounts/st1"));
    assert!(
        roles[0]
            .role_definition_id
            .ends_with("/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1")
    );

    let deployment = deployment(&sandbox);
    let spec = &deployment["spec"]["template"]["spec"];
    assert_eq!(spec["serviceAccountName"], "application1-sa");
    assert_eq!(
        spec["volumes"],
        json!([{"name": "azure-identity-token", "projected": {"defaultMode": 420, "sources": [{"serviceAccountToken": {
            "audience": AUDIENCE, "expirationSeconds": 3600, "path": "azure-identity-token"}}]}}])
    );
    let container = &spec["containers"][0];
    assert_eq!(
        container["volumeMounts"],
        json!([{"name": "azure-identity-token", "mountPath": "/var/run/secrets/azure/tokens", "readOnly": true}])
    );
    let env: Vec<(String, String)> = container["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap().to_string(),
                v["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        env,
        [
            (
                "COSMOS_ENDPOINT",
                "https://cosmos1.documents.azure.com:443/".to_string()
            ),
            ("AZURE_CLIENT_ID", identity.client_id.clone()),
            ("AZURE_TENANT_ID", azure.tenant_id().to_string()),
            (
                "AZURE_FEDERATED_TOKEN_FILE",
                "/var/run/secrets/azure/tokens/azure-identity-token".to_string()
            ),
            ("AZURE_AUTHORITY_HOST", azure.authority_host()),
        ]
        .map(|(name, value)| (name.to_string(), value))
    );
    let kwif = deployment["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["manager"] == "kwif")
        .expect("fields owned by kwif");
    assert_eq!(kwif["operation"], "Apply");
    let owned = kwif["fieldsV1"].to_string();
    for field in [
        "f:serviceAccountName",
        "k:{\\\"name\\\":\\\"AZURE_TENANT_ID\\\"}",
        "k:{\\\"name\\\":\\\"azure-identity-token\\\"}",
    ] {
        assert!(owned.contains(field), "{field} in {owned}");
    }
    assert!(
        sandbox
            .kube()
            .object(
                "v1",
                "ServiceAccount",
                Some("application1"),
                "application1-sa"
            )
            .is_some()
    );
}

#[tokio::test]
async fn the_drifted_scenario_breaks_three_things_and_mending_them_by_hand_works() {
    let (sandbox, _dir) = start(Scenario::Drifted).await;
    let deployment = deployment(&sandbox);
    assert_eq!(
        env_names(&deployment),
        [
            "COSMOS_ENDPOINT",
            "AZURE_CLIENT_ID",
            "AZURE_FEDERATED_TOKEN_FILE",
            "AZURE_AUTHORITY_HOST"
        ]
    );
    let kwif = deployment["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["manager"] == "kwif")
        .expect("kwif still owns the rest");
    let owned = kwif["fieldsV1"].to_string();
    assert!(
        owned.contains("AZURE_CLIENT_ID") && !owned.contains("AZURE_TENANT_ID"),
        "{owned}"
    );
    let credential = &sandbox
        .azure()
        .federated_credentials("rg-application1", "id-application1")[0];
    assert_eq!(
        credential.subject,
        "system:serviceaccount:application1:default"
    );
    let hosted_jwks = sandbox.files().site.join("cluster1/openid/v1/jwks");
    let hosted: Value = serde_json::from_slice(&std::fs::read(&hosted_jwks).unwrap()).unwrap();
    let signing_kid = sandbox.kube().signing_kid();
    assert!(
        !hosted.to_string().contains(&signing_kid),
        "the rotated key is not published"
    );

    let token = workload_token(&sandbox).await;
    assert_eq!(Token::parse(&token).issuer(), Some(sandbox.issuer()));
    let refused = exchange(&sandbox, &token).await;
    assert_eq!(refused.aadsts(), 7000272, "{}", refused.body);

    // Publish the cluster's current keys, as `kubectl get --raw /openid/v1/jwks` shows them.
    std::fs::write(&hosted_jwks, sandbox.kube().jwks().to_string()).unwrap();
    let wrong_subject = exchange(&sandbox, &token).await;
    assert_eq!(wrong_subject.aadsts(), 700213, "{}", wrong_subject.body);

    // Point the credential back at the workload's ServiceAccount over Resource Manager.
    let written = mend_credential(&sandbox).await;
    assert_eq!(written.status, 200, "{}", written.body);
    let accepted = exchange(&sandbox, &token).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
}

/// Points the scenario's federated credential at `application1-sa` with a PUT over Resource
/// Manager, as the administrator.
async fn mend_credential(sandbox: &Sandbox) -> Answer {
    let azure = sandbox.azure();
    let path = format!(
        "{}subscriptions/{}/resourceGroups/rg-application1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-application1/federatedIdentityCredentials/application1-sa?api-version=2024-11-30",
        azure.resource_manager_url(),
        azure.subscription_id()
    );
    let body = json!({"properties": {"issuer": sandbox.issuer(), "subject": "system:serviceaccount:application1:application1-sa", "audiences": [AUDIENCE]}});
    let client = client_trusting(azure.ca_certificate_pem());
    Answer::of(
        client
            .request(Method::PUT, path)
            .bearer_auth(azure.admin_access_token())
            .header("content-type", "application/json")
            .body(body.to_string()),
    )
    .await
}

#[tokio::test]
async fn a_sandbox_wide_entra_propagation_delays_a_mended_credential_until_the_clock_passes_it() {
    let (sandbox, _dir) = start_options(SandboxOptions {
        scenario: Scenario::Drifted,
        entra_propagation: Duration::from_secs(20),
        ..SandboxOptions::new("")
    })
    .await;
    let hosted_jwks = sandbox.files().site.join("cluster1/openid/v1/jwks");
    std::fs::write(&hosted_jwks, sandbox.kube().jwks().to_string()).unwrap();
    let token = workload_token(&sandbox).await;
    let written = mend_credential(&sandbox).await;
    assert_eq!(written.status, 200, "{}", written.body);

    let propagating = exchange(&sandbox, &token).await;
    assert_eq!(propagating.aadsts(), 70021, "{}", propagating.body);
    sandbox.azure().clock().advance(Duration::from_secs(19));
    assert_eq!(exchange(&sandbox, &token).await.aadsts(), 70021);
    sandbox.azure().clock().advance(Duration::from_secs(2));
    let accepted = exchange(&sandbox, &token).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
}

#[tokio::test]
async fn the_broken_hosting_scenario_serves_text_plain_at_the_wrong_path() {
    let (sandbox, _dir) = start(Scenario::BrokenHosting).await;
    let client = client_trusting(&std::fs::read_to_string(&sandbox.files().ca).unwrap());
    let url = |path: &str| format!("{}/.well-known/{path}", sandbox.issuer());
    let right = client
        .get(url("openid-configuration"))
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 404);
    let wrong = client.get(url("oidc-configuration")).send().await.unwrap();
    assert_eq!(wrong.status(), 200);
    assert_eq!(wrong.headers()["content-type"], "text/plain");
    let document: Value = serde_json::from_slice(&wrong.bytes().await.unwrap()).unwrap();
    assert_eq!(document["issuer"], sandbox.issuer());
    assert_eq!(
        document["jwks_uri"],
        format!("{}/openid/v1/jwks", sandbox.issuer())
    );

    let token = workload_token(&sandbox).await;
    assert_eq!(exchange(&sandbox, &token).await.aadsts(), 90061);
    let documents = sandbox.files().site.join("cluster1/.well-known");
    std::fs::rename(
        documents.join("oidc-configuration"),
        documents.join("openid-configuration"),
    )
    .unwrap();
    let accepted = exchange(&sandbox, &token).await;
    assert_eq!(
        accepted.status, 200,
        "Entra does not mind text/plain: {}",
        accepted.body
    );
}

#[tokio::test]
async fn writing_the_node_k3s_config_restarts_the_api_server_with_its_issuer() {
    let (sandbox, _dir) = start(Scenario::Fresh).await;
    let before = Token::parse(&workload_token_of_default(&sandbox).await);
    assert_eq!(before.issuer(), Some(K3S_DEFAULT_ISSUER));

    let issuer = sandbox.issuer().to_string();
    let config = sandbox.files().k3s_config();
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "kube-apiserver-arg:\n  - service-account-issuer-={issuer}\n  - service-account-jwks-uri={issuer}/openid/v1/jwks\n"
    ));
    std::fs::write(&config, &text).unwrap();

    let after = Token::parse(&workload_token_of_default(&sandbox).await);
    assert_eq!(after.issuer(), Some(issuer.as_str()));
    let discovery = sandbox.kube().discovery_document().unwrap();
    assert_eq!(discovery["issuer"], issuer);
    assert_eq!(discovery["jwks_uri"], format!("{issuer}/openid/v1/jwks"));
    assert_eq!(
        sandbox.kube().flags().service_account_issuers,
        [issuer.clone(), K3S_DEFAULT_ISSUER.to_string()],
        "k3s's `-=` prepends: the default stays accepted"
    );

    std::fs::write(
        &config,
        "kube-apiserver-arg:\n  - service-account-jwks-uri=http://plain.example/jwks\n",
    )
    .unwrap();
    let client = kube_client(&sandbox).await;
    assert!(
        client.apiserver_version().await.is_err(),
        "k3s would not start: the server answers nothing"
    );
    assert!(sandbox.kube().node_failure().unwrap().contains("https"));
    std::fs::write(&config, text).unwrap();
    assert!(
        client.apiserver_version().await.is_ok(),
        "back up once fixed"
    );
}

#[tokio::test]
async fn latency_delays_the_answers_of_all_three_servers() {
    let latency = Duration::from_millis(300);
    let (sandbox, _dir) = start_with(Scenario::Fresh, latency).await;
    let ca = std::fs::read_to_string(&sandbox.files().ca).unwrap();
    let client = client_trusting(&ca);
    let azure = sandbox.azure();
    let urls = [
        format!("{}/version", sandbox.kube().url()),
        format!(
            "{}{}/discovery/v2.0/keys",
            azure.authority_host(),
            azure.tenant_id()
        ),
        format!("{}/missing", sandbox.issuer()),
    ];
    for url in urls {
        let started = Instant::now();
        let answer = client.get(&url).send().await.unwrap();
        let elapsed = started.elapsed();
        assert!(answer.status().as_u16() < 500, "{url}");
        assert!(elapsed >= latency, "{url} answered after {elapsed:?}");
    }
}

#[tokio::test]
async fn serve_until_runs_the_sandbox_until_it_is_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (ready_tx, ready) = tokio::sync::oneshot::channel::<(String, std::path::PathBuf)>();
    let options = SandboxOptions::new(dir.path());
    let served = tokio::spawn(kwif_sandbox::serve_until(
        options,
        move |sandbox| {
            let _ = ready_tx.send((sandbox.kube().url(), sandbox.files().ca.clone()));
        },
        async move {
            let _ = stopped.await;
            Ok(())
        },
    ));
    let (url, ca) = ready.await.unwrap();
    let client = client_trusting(&std::fs::read_to_string(ca).unwrap());
    let version = client.get(format!("{url}/version")).send().await.unwrap();
    assert_eq!(
        version.status(),
        401,
        "running (and asking for credentials)"
    );
    stop.send(()).unwrap();
    served.await.unwrap().unwrap();
    let new_client = client_trusting(&std::fs::read_to_string(dir.path().join("ca.pem")).unwrap());
    assert!(
        new_client
            .get(format!("{url}/version"))
            .send()
            .await
            .is_err(),
        "stopped"
    );
}

/// The names of a list answer's items.
fn item_names<K: kube::Resource + Clone>(list: &kube::api::ObjectList<K>) -> Vec<String> {
    list.items
        .iter()
        .map(|item| item.meta().name.clone().unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn every_scenario_seeds_what_pickers_list_from_the_cluster_and_the_subscription() {
    use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
    use k8s_openapi::api::batch::v1::{CronJob, Job};
    use k8s_openapi::api::core::v1::{Namespace, Node};
    use kube::api::ListParams;

    let (sandbox, _dir) = start(Scenario::Fresh).await;
    let client = kube_client(&sandbox).await;
    let all = ListParams::default();
    let namespaces = Api::<Namespace>::all(client.clone())
        .list(&all)
        .await
        .unwrap();
    let names = item_names(&namespaces);
    assert!(
        names.contains(&"application1".to_string()) && names.contains(&"analytics".to_string()),
        "{names:?}"
    );
    let accounts = Api::<ServiceAccount>::namespaced(client.clone(), "analytics")
        .list(&all)
        .await
        .unwrap();
    assert_eq!(item_names(&accounts), ["analytics-sa", "default"]);
    let deployments = Api::<Deployment>::namespaced(client.clone(), "application1")
        .list(&all)
        .await
        .unwrap();
    assert_eq!(item_names(&deployments), ["web-server"]);
    let stateful_sets = Api::<StatefulSet>::namespaced(client.clone(), "analytics")
        .list(&all)
        .await
        .unwrap();
    assert_eq!(item_names(&stateful_sets), ["event-store"]);
    let status = stateful_sets.items[0].status.clone().unwrap();
    assert_eq!((status.replicas, status.ready_replicas), (2, Some(2)));
    let cron_jobs = Api::<CronJob>::namespaced(client.clone(), "analytics")
        .list(&all)
        .await
        .unwrap();
    assert_eq!(item_names(&cron_jobs), ["nightly-report"]);
    for namespace in ["application1", "analytics"] {
        let daemon_sets = Api::<DaemonSet>::namespaced(client.clone(), namespace);
        assert!(daemon_sets.list(&all).await.unwrap().items.is_empty());
        let jobs = Api::<Job>::namespaced(client.clone(), namespace);
        assert!(jobs.list(&all).await.unwrap().items.is_empty());
    }
    let version = client.apiserver_version().await.unwrap();
    assert!(
        version.git_version.ends_with("+k3s1"),
        "{}",
        version.git_version
    );
    let nodes = Api::<Node>::all(client.clone()).list(&all).await.unwrap();
    let node = nodes.items[0].status.clone().unwrap().node_info.unwrap();
    assert!(
        node.kubelet_version.contains("+k3s"),
        "{}",
        node.kubelet_version
    );

    let azure = sandbox.azure();
    let http = client_trusting(azure.ca_certificate_pem());
    let get = |path: String| {
        let request = http
            .get(format!(
                "{}{}",
                azure.resource_manager_url(),
                path.trim_start_matches('/')
            ))
            .bearer_auth(azure.admin_access_token());
        Answer::of(request)
    };
    let subscription = azure.subscription_id();
    let subscriptions = get("/subscriptions?api-version=2022-12-01".into()).await;
    assert_eq!(
        subscriptions.body["value"][0]["subscriptionId"],
        subscription
    );
    let accounts = get(format!(
        "/subscriptions/{subscription}/providers/Microsoft.DocumentDB/databaseAccounts?api-version=2025-10-15"
    ))
    .await;
    assert_eq!(accounts.body["value"][0]["id"], sandbox.cosmos_account_id());
    assert!(sandbox.cosmos_account_id().ends_with(
        "/resourceGroups/rg-application1/providers/Microsoft.DocumentDB/databaseAccounts/cosmos1"
    ));
    let storage = get(format!(
        "/subscriptions/{subscription}/resourceGroups/rg-application1/providers/Microsoft.Storage/storageAccounts?api-version=2025-06-01"
    ))
    .await;
    assert_eq!(storage.body["value"][0]["name"], "st1");
    let custom = get(format!(
        "/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions?api-version=2022-04-01&$filter=type%20eq%20%27CustomRole%27"
    ))
    .await;
    assert_eq!(
        custom.body["value"][0]["properties"]["roleName"],
        "Application1 Config Reader"
    );
    let groups = get(format!(
        "/subscriptions/{subscription}/resourcegroups?api-version=2024-03-01"
    ))
    .await;
    assert_eq!(groups.body["value"][0]["name"], "rg-application1");
}
