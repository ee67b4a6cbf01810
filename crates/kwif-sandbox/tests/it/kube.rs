//! The sandbox Kubernetes API server, driven through kube-rs like a real cluster: server-side
//! apply, dry run, Status shapes, TokenRequest, discovery documents, authentication, distribution
//! tells, restarts and the workload controller. These pin the sandbox's own fidelity.

use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use jsonwebtoken::jwk::JwkSet;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Node, Pod, ServiceAccount};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::{Client, Error};
use kwif_sandbox::{Distribution, KubeSandbox, KubeSandboxOptions};
use serde_json::{Value, json};

use crate::token::{Token, jwk_set, kids};

/// A running sandbox and a kube-rs client for it.
struct Cluster {
    sandbox: KubeSandbox,
    client: Client,
}

impl Cluster {
    async fn start(distribution: Distribution) -> Cluster {
        Cluster::with(KubeSandboxOptions::new(distribution)).await
    }

    async fn with(options: KubeSandboxOptions) -> Cluster {
        let sandbox = KubeSandbox::start(options).await.expect("sandbox starts");
        let client = sandbox.client().await.expect("client from the kubeconfig");
        Cluster { sandbox, client }
    }

    fn api<K>(&self, namespace: &str) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
        <K as kube::Resource>::DynamicType: Default,
    {
        Api::namespaced(self.client.clone(), namespace)
    }

    /// A client from the same kubeconfig without the bearer token.
    async fn anonymous_client(&self) -> Client {
        let yaml: String = self
            .sandbox
            .kubeconfig_yaml()
            .lines()
            .filter(|line| !line.trim_start().starts_with("token:"))
            .map(|line| match line.trim_end() {
                "  user:" => "  user: {}\n".to_string(),
                other => format!("{other}\n"),
            })
            .collect();
        let kubeconfig = kube::config::Kubeconfig::from_yaml(&yaml).unwrap();
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
            .await
            .unwrap();
        Client::try_from(config).unwrap()
    }

    /// A raw request; returns the status, the content type, the cache control and the body.
    async fn raw(
        &self,
        client: &Client,
        method: Method,
        path: &str,
        content_type: &str,
        body: &str,
    ) -> Raw {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", content_type)
            .body(body.as_bytes().to_vec().into())
            .unwrap();
        let response = client.send(request).await.unwrap();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let (status, content_type, cache_control) = (
            response.status(),
            header("content-type"),
            header("cache-control"),
        );
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Raw {
            status,
            content_type,
            cache_control,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    async fn get(&self, path: &str) -> Raw {
        self.raw(&self.client, Method::GET, path, "application/json", "")
            .await
    }

    async fn service_account(&self, namespace: &str, name: &str) -> ServiceAccount {
        let account = serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
        self.api::<ServiceAccount>(namespace)
            .create(&PostParams::default(), &account)
            .await
            .unwrap()
    }

    /// POSTs a TokenRequest and returns the whole reply.
    async fn token_request(
        &self,
        namespace: &str,
        account: &str,
        spec: Value,
    ) -> Result<Value, Error> {
        let request =
            json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec});
        self.api::<ServiceAccount>(namespace)
            .create_subresource("token", account, &PostParams::default(), &request)
            .await
    }

    async fn token(&self, namespace: &str, account: &str, spec: Value) -> Token {
        let reply = self.token_request(namespace, account, spec).await.unwrap();
        Token::parse(reply["status"]["token"].as_str().unwrap())
    }

    async fn published_jwks(&self) -> JwkSet {
        let jwks = self.get("/openid/v1/jwks").await;
        assert_eq!(jwks.status, StatusCode::OK, "{}", jwks.body);
        jwk_set(jwks.body.as_bytes())
    }

    async fn apply(&self, manager: &str, force: bool, object: Value) -> Result<Deployment, Error> {
        let name = object["metadata"]["name"].as_str().unwrap().to_string();
        let mut params = PatchParams::apply(manager);
        params.force = force;
        self.api::<Deployment>("default")
            .patch(&name, &params, &Patch::Apply(object))
            .await
    }
}

struct Raw {
    status: StatusCode,
    content_type: String,
    cache_control: String,
    body: String,
}

impl Raw {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }
}

fn status_of(error: Error) -> kube::core::Status {
    match error {
        Error::Api(status) => *status,
        other => panic!("expected a Status, got {other:?}"),
    }
}

/// A Deployment `web` with one container `app` and the given env and labels.
fn deployment(env: Value, labels: Value) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": labels},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "app", "image": "nginx:1.27", "env": env}]},
            },
        },
    })
}

fn env_names(deployment: &Deployment) -> Vec<String> {
    let spec = deployment
        .spec
        .as_ref()
        .unwrap()
        .template
        .spec
        .as_ref()
        .unwrap();
    spec.containers[0]
        .env
        .as_ref()
        .map(|env| env.iter().map(|var| var.name.clone()).collect())
        .unwrap_or_default()
}

fn kwif_deployment(env: Value) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"azure.workload.identity/use": "true"}},
        "spec": {"template": {"spec": {"containers": [{"name": "app", "env": env}]}}},
    })
}

#[tokio::test]
async fn apply_as_kwif_keeps_fields_owned_by_other_managers() {
    let cluster = Cluster::start(Distribution::K3s).await;
    cluster
        .sandbox
        .insert(deployment(
            json!([{"name": "USER_VAR", "value": "1"}]),
            json!({"team": "payments"}),
        ))
        .unwrap();

    let applied = cluster
        .apply("kwif", false, kwif_deployment(json!([{"name": "AZURE_CLIENT_ID", "value": "00000000-0000-0000-0000-000000000001"}])))
        .await
        .unwrap();

    assert_eq!(env_names(&applied), ["USER_VAR", "AZURE_CLIENT_ID"]);
    let labels = applied.metadata.labels.clone().unwrap();
    assert_eq!(labels["team"], "payments");
    assert_eq!(labels["azure.workload.identity/use"], "true");
    let managed = applied.metadata.managed_fields.unwrap();
    let kwif = managed
        .iter()
        .find(|entry| entry.manager.as_deref() == Some("kwif"))
        .unwrap();
    assert_eq!(kwif.operation.as_deref(), Some("Apply"));
    assert_eq!(kwif.fields_type.as_deref(), Some("FieldsV1"));
    let fields = serde_json::to_value(kwif.fields_v1.as_ref().unwrap()).unwrap();
    assert_eq!(
        fields["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"app\"}"]["f:env"]["k:{\"name\":\"AZURE_CLIENT_ID\"}"],
        json!({".": {}, "f:name": {}, "f:value": {}})
    );
    assert!(
        managed
            .iter()
            .any(|entry| entry.manager.as_deref() == Some("kubectl-client-side-apply"))
    );
}

#[tokio::test]
async fn apply_removes_fields_kwif_applied_before_and_no_longer_applies() {
    let cluster = Cluster::start(Distribution::Kubeadm).await;
    cluster
        .sandbox
        .insert(deployment(
            json!([{"name": "USER_VAR", "value": "1"}]),
            json!({}),
        ))
        .unwrap();
    let both = json!([{"name": "AZURE_CLIENT_ID", "value": "a"}, {"name": "AZURE_TENANT_ID", "value": "t"}]);
    cluster
        .apply("kwif", false, kwif_deployment(both))
        .await
        .unwrap();

    let applied = cluster
        .apply(
            "kwif",
            false,
            kwif_deployment(json!([{"name": "AZURE_CLIENT_ID", "value": "a"}])),
        )
        .await
        .unwrap();

    assert_eq!(env_names(&applied), ["USER_VAR", "AZURE_CLIENT_ID"]);
}

#[tokio::test]
async fn apply_over_a_field_another_manager_owns_conflicts_until_forced() {
    let cluster = Cluster::start(Distribution::K0s).await;
    cluster
        .sandbox
        .insert(deployment(
            json!([{"name": "AZURE_CLIENT_ID", "value": "user-value"}]),
            json!({}),
        ))
        .unwrap();
    let kwif = kwif_deployment(json!([{"name": "AZURE_CLIENT_ID", "value": "kwif-value"}]));

    let status = status_of(
        cluster
            .apply("kwif", false, kwif.clone())
            .await
            .unwrap_err(),
    );
    assert_eq!((status.code, status.reason.as_str()), (409, "Conflict"));
    let field = ".spec.template.spec.containers[name=\"app\"].env[name=\"AZURE_CLIENT_ID\"].value";
    assert_eq!(
        status.message,
        format!(
            "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: {field}"
        )
    );
    let cause = &status.details.unwrap().causes[0];
    assert_eq!(
        (cause.reason.as_str(), cause.field.as_str()),
        ("FieldManagerConflict", field)
    );

    let forced = cluster.apply("kwif", true, kwif).await.unwrap();
    let spec = forced.spec.unwrap().template.spec.unwrap();
    assert_eq!(
        spec.containers[0].env.as_ref().unwrap()[0].value.as_deref(),
        Some("kwif-value")
    );
    let user = forced
        .metadata
        .managed_fields
        .unwrap()
        .into_iter()
        .find(|e| e.manager.as_deref() == Some("kubectl-client-side-apply"))
        .unwrap();
    let user_fields = serde_json::to_string(&user.fields_v1).unwrap();
    assert!(
        !user_fields.contains("AZURE_CLIENT_ID\\\"}\":{\".\":{},\"f:name\":{},\"f:value\""),
        "{user_fields}"
    );
}

#[tokio::test]
async fn apply_without_a_field_manager_is_rejected_and_apply_to_a_missing_object_creates_it() {
    let cluster = Cluster::start(Distribution::Kind).await;
    let body = deployment(json!([]), json!({})).to_string();
    let path = "/apis/apps/v1/namespaces/default/deployments/web";
    let refused = cluster
        .raw(
            &cluster.client,
            Method::PATCH,
            path,
            "application/apply-patch+yaml",
            &body,
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.json()["message"],
        "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch"
    );

    let created = cluster
        .raw(
            &cluster.client,
            Method::PATCH,
            &format!("{path}?fieldManager=kwif"),
            "application/apply-patch+yaml",
            &body,
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert!(
        cluster
            .sandbox
            .object("apps/v1", "Deployment", Some("default"), "web")
            .is_some()
    );
}

#[tokio::test]
async fn dry_run_writes_answer_with_the_result_and_store_nothing() {
    let cluster = Cluster::start(Distribution::Rke2).await;
    cluster
        .sandbox
        .insert(deployment(
            json!([{"name": "USER_VAR", "value": "1"}]),
            json!({}),
        ))
        .unwrap();
    let before = cluster
        .sandbox
        .object("apps/v1", "Deployment", Some("default"), "web")
        .unwrap();

    let params = PatchParams::apply("kwif").dry_run();
    let kwif = kwif_deployment(json!([{"name": "AZURE_CLIENT_ID", "value": "a"}]));
    let preview = cluster
        .api::<Deployment>("default")
        .patch("web", &params, &Patch::Apply(kwif))
        .await
        .unwrap();
    assert_eq!(env_names(&preview), ["USER_VAR", "AZURE_CLIENT_ID"]);
    assert_eq!(
        cluster
            .sandbox
            .object("apps/v1", "Deployment", Some("default"), "web")
            .unwrap(),
        before
    );

    let config_maps = cluster.api::<ConfigMap>("default");
    let config_map: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": "preview"}})).unwrap();
    config_maps
        .create(
            &PostParams {
                dry_run: true,
                ..Default::default()
            },
            &config_map,
        )
        .await
        .unwrap();
    assert!(config_maps.get_opt("preview").await.unwrap().is_none());
    assert!(
        cluster
            .sandbox
            .request_log()
            .iter()
            .any(|r| r.method == "POST" && r.query_param("dryRun") == Some("All"))
    );
}

#[tokio::test]
async fn objects_round_trip_and_errors_are_shaped_like_kubernetes_statuses() {
    let cluster = Cluster::start(Distribution::Kubeadm).await;
    let config_maps = cluster.api::<ConfigMap>("default");
    let config_map: ConfigMap = serde_json::from_value(
        json!({"metadata": {"name": "settings", "labels": {"app": "web"}}, "data": {"a": "1"}}),
    )
    .unwrap();

    let created = config_maps
        .create(&PostParams::default(), &config_map)
        .await
        .unwrap();
    assert!(created.metadata.uid.is_some() && created.metadata.creation_timestamp.is_some());
    assert_eq!(
        config_maps.get("settings").await.unwrap().data.unwrap()["a"],
        "1"
    );
    let listed = config_maps
        .list(&ListParams::default().labels("app=web"))
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
    assert!(
        config_maps
            .list(&ListParams::default().labels("app=api"))
            .await
            .unwrap()
            .items
            .is_empty()
    );

    let exists = status_of(
        config_maps
            .create(&PostParams::default(), &config_map)
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (exists.code, exists.reason.as_str(), exists.message.as_str()),
        (
            409,
            "AlreadyExists",
            "configmaps \"settings\" already exists"
        )
    );

    config_maps
        .delete("settings", &DeleteParams::default())
        .await
        .unwrap();
    let missing = status_of(config_maps.get("settings").await.unwrap_err());
    assert_eq!(
        (
            missing.code,
            missing.reason.as_str(),
            missing.message.as_str()
        ),
        (404, "NotFound", "configmaps \"settings\" not found")
    );

    let raw = cluster
        .get("/apis/apps/v1/namespaces/default/deployments/web")
        .await;
    assert_eq!(
        raw.json(),
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": "deployments.apps \"web\" not found", "reason": "NotFound",
               "details": {"name": "web", "group": "apps", "kind": "deployments"}, "code": 404})
    );
}

#[tokio::test]
async fn writes_into_a_missing_namespace_or_with_a_stale_resource_version_fail_like_kubernetes() {
    let cluster = Cluster::start(Distribution::Minikube).await;
    let config_map: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": "settings"}})).unwrap();
    let missing = status_of(
        cluster
            .api::<ConfigMap>("nowhere")
            .create(&PostParams::default(), &config_map)
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (missing.code, missing.message.as_str()),
        (404, "namespaces \"nowhere\" not found")
    );

    let config_maps = cluster.api::<ConfigMap>("default");
    let mut stored = config_maps
        .create(&PostParams::default(), &config_map)
        .await
        .unwrap();
    let mut fresh = stored.clone();
    fresh.data = Some([("a".to_string(), "0".to_string())].into());
    config_maps
        .replace("settings", &PostParams::default(), &fresh)
        .await
        .unwrap();
    stored.data = Some([("a".to_string(), "1".to_string())].into());
    let stale = status_of(
        config_maps
            .replace("settings", &PostParams::default(), &stored)
            .await
            .unwrap_err(),
    );
    assert_eq!((stale.code, stale.reason.as_str()), (409, "Conflict"));
    assert!(stale.message.contains("the object has been modified; please apply your changes to the latest version and try again"));

    let garbage = cluster
        .raw(
            &cluster.client,
            Method::POST,
            "/api/v1/namespaces/default/configmaps",
            "application/json",
            "{not json",
        )
        .await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST);
    assert_eq!(garbage.json()["reason"], "BadRequest");
}

#[tokio::test]
async fn strategic_merge_patch_merges_containers_and_env_by_name() {
    let cluster = Cluster::start(Distribution::K3s).await;
    cluster
        .sandbox
        .insert(deployment(json!([{"name": "A", "value": "1"}]), json!({})))
        .unwrap();
    let patch = json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "env": [{"name": "B", "value": "2"}]}]}}}});
    let patched = cluster
        .api::<Deployment>("default")
        .patch("web", &PatchParams::default(), &Patch::Strategic(patch))
        .await
        .unwrap();
    assert_eq!(env_names(&patched), ["A", "B"]);
    let container = &patched.spec.unwrap().template.spec.unwrap().containers[0];
    assert_eq!(container.image.as_deref(), Some("nginx:1.27"));
}

#[tokio::test]
async fn token_requests_are_signed_with_the_kubernetes_kid_and_carry_the_reference_claims() {
    let cluster = Cluster::start(Distribution::Kubeadm).await;
    let account = cluster.service_account("default", "workload").await;

    let jwt = cluster
        .token(
            "default",
            "workload",
            json!({"audiences": ["api://AzureADTokenExchange"], "expirationSeconds": 3600}),
        )
        .await;

    let jwks = cluster.published_jwks().await;
    let kid = jwt
        .verify(&jwks)
        .expect("signature verifies with the served JWKS");
    assert_eq!(kid, cluster.sandbox.signing_kid());
    assert_eq!(jwt.kid(), Some(cluster.sandbox.signing_kid().as_str()));
    assert_eq!(jwt.typ(), None);
    assert_eq!(
        jwt.issuer(),
        Some("https://kubernetes.default.svc.cluster.local")
    );
    assert_eq!(
        jwt.subject(),
        Some("system:serviceaccount:default:workload")
    );
    assert_eq!(jwt.audiences(), ["api://AzureADTokenExchange"]);
    let lifetime = jwt.expires_at().duration_since(jwt.issued_at()).unwrap();
    assert_eq!(lifetime.as_secs(), 3600);
    let claims = &jwt.claims()["kubernetes.io"];
    assert_eq!(claims["namespace"], "default");
    assert_eq!(
        claims["serviceaccount"],
        json!({"name": "workload", "uid": account.metadata.uid.unwrap()})
    );
}

#[tokio::test]
async fn token_requests_default_to_the_api_audiences_and_name_a_bound_pod() {
    let cluster = Cluster::start(Distribution::K3s).await;
    cluster.service_account("default", "workload").await;
    let pod: Pod = serde_json::from_value(json!({"metadata": {"name": "runner"}, "spec": {"serviceAccountName": "workload", "containers": [{"name": "c", "image": "busybox:1.36"}]}})).unwrap();
    let pod = cluster
        .api::<Pod>("default")
        .create(&PostParams::default(), &pod)
        .await
        .unwrap();
    let bound = json!({"kind": "Pod", "apiVersion": "v1", "name": "runner", "uid": pod.metadata.uid.clone().unwrap()});

    let jwt = cluster
        .token("default", "workload", json!({"boundObjectRef": bound}))
        .await;

    assert_eq!(
        jwt.audiences(),
        ["https://kubernetes.default.svc.cluster.local", "k3s"]
    );
    assert_eq!(
        jwt.claims()["kubernetes.io"]["pod"],
        json!({"name": "runner", "uid": pod.metadata.uid.unwrap()})
    );
    assert_eq!(jwt.claims()["kubernetes.io"]["node"]["name"], "k3s-server");
}

#[tokio::test]
async fn token_requests_shorter_than_ten_minutes_or_for_missing_accounts_fail() {
    let cluster = Cluster::start(Distribution::Talos).await;
    cluster.service_account("default", "workload").await;

    let short = status_of(
        cluster
            .token_request("default", "workload", json!({"expirationSeconds": 599}))
            .await
            .unwrap_err(),
    );
    assert_eq!((short.code, short.reason.as_str()), (422, "Invalid"));
    assert_eq!(
        short.message,
        "TokenRequest.authentication.k8s.io \"workload\" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes"
    );
    assert_eq!(
        short.details.unwrap().causes[0].field,
        "spec.expirationSeconds"
    );

    let missing = status_of(
        cluster
            .token_request("default", "ghost", json!({}))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (missing.code, missing.message.as_str()),
        (404, "serviceaccounts \"ghost\" not found")
    );
}

#[tokio::test]
async fn requests_without_credentials_get_401_where_anonymous_auth_is_off() {
    let k3s = Cluster::start(Distribution::K3s).await;
    let anonymous = k3s.anonymous_client().await;
    for path in [
        "/api/v1/namespaces",
        "/version",
        "/.well-known/openid-configuration",
    ] {
        let answer = k3s
            .raw(&anonymous, Method::GET, path, "application/json", "")
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(answer.json()["reason"], "Unauthorized");
    }
    let status = status_of(
        Api::<Node>::all(anonymous)
            .list(&ListParams::default())
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (status.code, status.message.as_str()),
        (401, "Unauthorized")
    );

    let kubeadm = Cluster::start(Distribution::Kubeadm).await;
    let anonymous = kubeadm.anonymous_client().await;
    let version = kubeadm
        .raw(&anonymous, Method::GET, "/version", "application/json", "")
        .await;
    assert_eq!(version.status, StatusCode::OK);
    let discovery = kubeadm
        .raw(
            &anonymous,
            Method::GET,
            "/.well-known/openid-configuration",
            "application/json",
            "",
        )
        .await;
    assert_eq!(discovery.status, StatusCode::FORBIDDEN);
    kubeadm.sandbox.insert(json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "oidc-reviewer"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:service-account-issuer-discovery"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:unauthenticated"}],
    })).unwrap();
    let discovery = kubeadm
        .raw(
            &anonymous,
            Method::GET,
            "/.well-known/openid-configuration",
            "application/json",
            "",
        )
        .await;
    assert_eq!(discovery.status, StatusCode::OK);
}

#[tokio::test]
async fn discovery_documents_are_served_as_kube_apiserver_serves_them() {
    let cluster = Cluster::with(
        KubeSandboxOptions::new(Distribution::Kubeadm)
            .with_issuers(["https://oidc.example.com/cluster/"]),
    )
    .await;

    let discovery = cluster.get("/.well-known/openid-configuration").await;
    assert_eq!(
        (
            discovery.content_type.as_str(),
            discovery.cache_control.as_str()
        ),
        ("application/json", "public, max-age=3600")
    );
    assert_eq!(
        discovery.body,
        format!(
            "{{\"issuer\":\"https://oidc.example.com/cluster/\",\"jwks_uri\":\"https://{}/openid/v1/jwks\",\
             \"response_types_supported\":[\"id_token\"],\"subject_types_supported\":[\"public\"],\
             \"id_token_signing_alg_values_supported\":[\"RS256\"]}}",
            cluster.sandbox.address()
        )
    );
    let jwks = cluster.get("/openid/v1/jwks").await;
    assert_eq!(
        (jwks.content_type.as_str(), jwks.cache_control.as_str()),
        ("application/jwk-set+json", "public, max-age=3600")
    );
    assert_eq!(jwks.json()["keys"][0]["kid"], cluster.sandbox.signing_kid());

    cluster
        .sandbox
        .set_issuers(
            vec!["https://oidc.example.com/cluster/".into()],
            Some("https://keys.example.com/jwks".into()),
        )
        .unwrap();
    assert_eq!(
        cluster
            .get("/.well-known/openid-configuration")
            .await
            .json()["jwks_uri"],
        "https://keys.example.com/jwks"
    );
}

#[tokio::test]
async fn discovery_is_disabled_when_the_first_issuer_is_not_https() {
    let cluster = Cluster::with(
        KubeSandboxOptions::new(Distribution::Kind).with_issuers(["kubernetes.default.svc"]),
    )
    .await;
    for path in ["/.well-known/openid-configuration", "/openid/v1/jwks"] {
        let answer = cluster.get(path).await;
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (StatusCode::NOT_FOUND, "404 page not found\n")
        );
    }
    let jwt = cluster.token("default", "default", json!({})).await;
    assert_eq!(jwt.issuer(), Some("kubernetes.default.svc"));
}

#[tokio::test]
async fn each_distribution_reports_its_version_and_node_tells() {
    let expected = [
        (Distribution::K0s, "v1.33.2+k0s", "node.k0sproject.io/role"),
        (
            Distribution::K3s,
            "v1.33.2+k3s1",
            "node.kubernetes.io/instance-type",
        ),
        (
            Distribution::Rke2,
            "v1.33.2+rke2r1",
            "node-role.kubernetes.io/etcd",
        ),
        (
            Distribution::Kubeadm,
            "v1.33.2",
            "node.kubernetes.io/exclude-from-external-load-balancers",
        ),
        (Distribution::MicroK8s, "v1.33.2", "microk8s.io/cluster"),
        (
            Distribution::Kind,
            "v1.33.2",
            "node-role.kubernetes.io/control-plane",
        ),
        (Distribution::Minikube, "v1.33.2", "minikube.k8s.io/name"),
        (
            Distribution::Talos,
            "v1.33.2",
            "node-role.kubernetes.io/control-plane",
        ),
        (
            Distribution::OpenShift,
            "v1.33.2",
            "node.openshift.io/os_id",
        ),
    ];
    for (distribution, git_version, label) in expected {
        let cluster = Cluster::start(distribution).await;
        let version = cluster.client.apiserver_version().await.unwrap();
        assert_eq!(version.git_version, git_version, "{distribution}");
        let nodes = Api::<Node>::all(cluster.client.clone())
            .list(&ListParams::default())
            .await
            .unwrap();
        let node = &nodes.items[0];
        assert!(
            node.metadata.labels.as_ref().unwrap().contains_key(label),
            "{distribution}: {label}"
        );
        assert_eq!(
            node.status
                .as_ref()
                .unwrap()
                .node_info
                .as_ref()
                .unwrap()
                .kubelet_version,
            git_version
        );
        assert_eq!(cluster.sandbox.context_name(), distribution.name());
    }
    let k3s = Cluster::start(Distribution::K3s).await;
    let node = Api::<Node>::all(k3s.client.clone())
        .get("k3s-server")
        .await
        .unwrap();
    assert_eq!(
        node.metadata.labels.unwrap()["node.kubernetes.io/instance-type"],
        "k3s"
    );
    let kubeadm = Cluster::start(Distribution::Kubeadm).await;
    let node = Api::<Node>::all(kubeadm.client.clone())
        .get("control-plane-1")
        .await
        .unwrap();
    assert!(
        node.metadata
            .annotations
            .unwrap()
            .contains_key("kubeadm.alpha.kubernetes.io/cri-socket")
    );
}

fn apiserver_flags(cluster: &Cluster) -> Vec<String> {
    let node = cluster.sandbox.distribution().tells().node_name;
    let pod = cluster
        .sandbox
        .object(
            "v1",
            "Pod",
            Some("kube-system"),
            &format!("kube-apiserver-{node}"),
        )
        .expect("static pod");
    pod["spec"]["containers"][0]["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|flag| flag.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_restart_with_a_new_first_issuer_signs_with_it_and_keeps_old_tokens_valid() {
    let cluster = Cluster::start(Distribution::Kubeadm).await;
    cluster.service_account("default", "workload").await;
    let old_issuer = "https://kubernetes.default.svc.cluster.local";
    let before = cluster
        .token_request("default", "workload", json!({}))
        .await
        .unwrap();
    let old_token = before["status"]["token"].as_str().unwrap().to_string();
    assert!(apiserver_flags(&cluster).contains(&format!("--service-account-issuer={old_issuer}")));

    let new_issuer = "https://oidc.example.com/cluster";
    cluster
        .sandbox
        .set_issuers(vec![new_issuer.into(), old_issuer.into()], None)
        .unwrap();

    let new = cluster
        .token(
            "default",
            "workload",
            json!({"audiences": ["api://AzureADTokenExchange"]}),
        )
        .await;
    assert_eq!(new.issuer(), Some(new_issuer));
    let issuers: Vec<String> = apiserver_flags(&cluster)
        .into_iter()
        .filter(|f| f.starts_with("--service-account-issuer="))
        .collect();
    assert_eq!(
        issuers,
        [
            format!("--service-account-issuer={new_issuer}"),
            format!("--service-account-issuer={old_issuer}")
        ]
    );
    let jwks = cluster.published_jwks().await;
    assert!(Token::parse(&old_token).verify(&jwks).is_ok());
    let with_old_token = kube_client_with_token(&cluster, &old_token).await;
    assert_eq!(
        cluster
            .raw(
                &with_old_token,
                Method::GET,
                "/openid/v1/jwks",
                "application/json",
                ""
            )
            .await
            .status,
        StatusCode::OK
    );

    cluster
        .sandbox
        .set_issuers(vec![new_issuer.into()], None)
        .unwrap();
    let rejected = cluster
        .raw(
            &with_old_token,
            Method::GET,
            "/openid/v1/jwks",
            "application/json",
            "",
        )
        .await;
    assert_eq!(rejected.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        cluster
            .client
            .apiserver_version()
            .await
            .unwrap()
            .git_version,
        "v1.33.2"
    );
}

async fn kube_client_with_token(cluster: &Cluster, token: &str) -> Client {
    let yaml: String = cluster
        .sandbox
        .kubeconfig_yaml()
        .lines()
        .map(|line| match line.trim_start().starts_with("token:") {
            true => format!("    token: {token}\n"),
            false => format!("{line}\n"),
        })
        .collect();
    let kubeconfig = kube::config::Kubeconfig::from_yaml(&yaml).unwrap();
    Client::try_from(
        kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
            .await
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_rotated_signing_key_signs_new_tokens_while_the_old_key_still_verifies() {
    let cluster = Cluster::start(Distribution::MicroK8s).await;
    let old = cluster.token("default", "default", json!({})).await;
    let old_kid = cluster.sandbox.signing_kid();

    let new_kid = cluster.sandbox.rotate_signing_key().unwrap();

    let new = cluster.token("default", "default", json!({})).await;
    assert_eq!(new.kid(), Some(new_kid.as_str()));
    let jwks = cluster.published_jwks().await;
    assert_eq!(kids(&jwks), [old_kid.as_str(), new_kid.as_str()]);
    assert!(old.verify(&jwks).is_ok() && new.verify(&jwks).is_ok());
}

fn pods_of(cluster: &Cluster, prefix: &str) -> Vec<Value> {
    cluster
        .sandbox
        .objects("v1", "Pod", Some("default"))
        .into_iter()
        .filter(|pod| {
            pod["metadata"]["name"]
                .as_str()
                .unwrap()
                .starts_with(prefix)
        })
        .collect()
}

#[tokio::test]
async fn the_controller_rolls_pods_out_when_a_deployment_template_changes() {
    let cluster = Cluster::start(Distribution::Kubeadm).await;
    cluster.service_account("default", "workload").await;
    let mut web = deployment(json!([{"name": "A", "value": "1"}]), json!({}));
    web["spec"]["replicas"] = json!(2);
    web["spec"]["template"]["spec"]["serviceAccountName"] = json!("workload");
    cluster.apply("team-manifests", false, web).await.unwrap();
    let first = pods_of(&cluster, "web-");
    assert_eq!(first.len(), 2);
    let status = cluster
        .api::<Deployment>("default")
        .get("web")
        .await
        .unwrap()
        .status
        .unwrap();
    assert_eq!(
        (
            status.observed_generation,
            status.ready_replicas,
            status.updated_replicas
        ),
        (Some(1), Some(2), Some(2))
    );

    let token_volume = json!({"name": "azure-identity-token", "projected": {"sources": [
        {"serviceAccountToken": {"path": "azure-identity-token", "audience": "api://AzureADTokenExchange", "expirationSeconds": 3600}}
    ]}});
    let change = json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"template": {"spec": {
            "containers": [{"name": "app", "volumeMounts": [{"name": "azure-identity-token", "mountPath": "/var/run/secrets/azure/tokens", "readOnly": true}]}],
            "volumes": [token_volume],
        }}},
    });
    cluster.apply("kwif", false, change).await.unwrap();

    let second = pods_of(&cluster, "web-");
    assert_eq!(second.len(), 2);
    let hash = |pod: &Value| {
        pod["metadata"]["labels"]["pod-template-hash"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_ne!(hash(&first[0]), hash(&second[0]));
    for pod in &second {
        assert!(
            pod["metadata"]["name"]
                .as_str()
                .unwrap()
                .starts_with(&format!("web-{}-", hash(pod)))
        );
        assert_eq!(pod["metadata"]["ownerReferences"][0]["kind"], "ReplicaSet");
        assert_eq!(pod["status"]["phase"], "Running");
        assert_eq!(pod["spec"]["serviceAccountName"], "workload");
        let volumes = pod["spec"]["volumes"].as_array().unwrap();
        assert!(volumes.iter().any(|v| v["name"] == "azure-identity-token"));
        assert!(
            volumes
                .iter()
                .any(|v| v["name"].as_str().unwrap().starts_with("kube-api-access-"))
        );
    }
    let deployment = cluster
        .api::<Deployment>("default")
        .get("web")
        .await
        .unwrap();
    assert_eq!(deployment.metadata.generation, Some(2));
    let status = deployment.status.unwrap();
    assert_eq!(
        (
            status.observed_generation,
            status.updated_replicas,
            status.replicas
        ),
        (Some(2), Some(2), Some(2))
    );
    assert_eq!(
        deployment.metadata.annotations.unwrap()["deployment.kubernetes.io/revision"],
        "2"
    );
}

#[tokio::test]
async fn a_workload_whose_service_account_is_missing_gets_no_pods_until_it_exists() {
    let cluster = Cluster::start(Distribution::K3s).await;
    let mut web = deployment(json!([]), json!({}));
    web["spec"]["template"]["spec"]["serviceAccountName"] = json!("workload");
    cluster.apply("kwif", false, web).await.unwrap();
    assert!(pods_of(&cluster, "web-").is_empty());
    let status = cluster
        .api::<Deployment>("default")
        .get("web")
        .await
        .unwrap()
        .status
        .unwrap();
    let failure = status
        .conditions
        .unwrap()
        .into_iter()
        .find(|c| c.type_ == "ReplicaFailure")
        .unwrap();
    assert!(
        failure
            .message
            .unwrap()
            .contains("serviceaccount \"workload\" not found")
    );

    cluster.service_account("default", "workload").await;
    assert_eq!(pods_of(&cluster, "web-").len(), 1);
}

#[tokio::test]
async fn kube_discovery_finds_the_served_kinds_both_ways() {
    let cluster = Cluster::start(Distribution::OpenShift).await;
    for discovery in [
        kube::discovery::Discovery::new(cluster.client.clone())
            .run()
            .await
            .unwrap(),
        kube::discovery::Discovery::new(cluster.client.clone())
            .run_aggregated()
            .await
            .unwrap(),
    ] {
        for (group, kind) in [
            ("", "ServiceAccount"),
            ("apps", "Deployment"),
            ("batch", "CronJob"),
            ("config.openshift.io", "Authentication"),
        ] {
            let found = discovery.groups().any(|g| {
                g.name() == group
                    && g.recommended_resources()
                        .iter()
                        .any(|(r, _)| r.kind == kind)
            });
            assert!(found, "{group}/{kind}");
        }
    }
    let authentication = cluster
        .sandbox
        .object("config.openshift.io/v1", "Authentication", None, "cluster")
        .unwrap();
    assert_eq!(authentication["spec"]["serviceAccountIssuer"], "");
}

#[tokio::test]
async fn a_watch_reports_current_objects_then_changes() {
    use futures::StreamExt as _;
    let cluster = Cluster::start(Distribution::Kind).await;
    let config_maps = cluster.api::<ConfigMap>("default");
    let params = kube::api::WatchParams::default()
        .labels("app=web")
        .timeout(5);
    let mut events = config_maps.watch(&params, "0").await.unwrap().boxed();
    let config_map: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": "settings", "labels": {"app": "web"}}}))
            .unwrap();
    config_maps
        .create(&PostParams::default(), &config_map)
        .await
        .unwrap();
    match events.next().await {
        Some(Ok(kube::api::WatchEvent::Added(added))) => {
            assert_eq!(added.metadata.name.as_deref(), Some("settings"));
        }
        other => panic!("expected ADDED, got {other:?}"),
    }
    config_maps
        .delete("settings", &DeleteParams::default())
        .await
        .unwrap();
    assert!(matches!(
        events.next().await,
        Some(Ok(kube::api::WatchEvent::Deleted(_)))
    ));
}

#[tokio::test]
async fn malformed_requests_get_a_status_and_the_server_keeps_answering() {
    let cluster = Cluster::start(Distribution::K3s).await;
    cluster
        .sandbox
        .insert(deployment(json!([]), json!({})))
        .unwrap();
    let deployments = "/apis/apps/v1/namespaces/default/deployments";
    let web = format!("{deployments}/web");
    let cases = [
        (
            Method::POST,
            deployments.to_string(),
            "application/json",
            r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x","annotations":"oops"}}"#,
            400,
        ),
        (
            Method::POST,
            deployments.to_string(),
            "application/json",
            "[1, 2]",
            400,
        ),
        (
            Method::PATCH,
            format!("{web}?fieldManager=kwif"),
            "application/apply-patch+yaml",
            "kind: [unclosed",
            400,
        ),
        (
            Method::PATCH,
            web.clone(),
            "application/json-patch+json",
            r#"[{"op":"remove","path":"/nope"}]"#,
            422,
        ),
        (Method::PATCH, web.clone(), "text/plain", "{}", 415),
        (
            Method::PATCH,
            web.clone(),
            "application/merge-patch+json",
            r#"{"spec":{"template":{"spec":{"containers":"none"}}}}"#,
            400,
        ),
        (
            Method::POST,
            "/api/v1/namespaces/default/serviceaccounts/default/token".to_string(),
            "application/json",
            r#"{"spec":5}"#,
            400,
        ),
        (
            Method::PUT,
            deployments.to_string(),
            "application/json",
            "{}",
            405,
        ),
    ];
    for (method, path, content_type, body, expected) in cases {
        let answer = cluster
            .raw(&cluster.client, method.clone(), &path, content_type, body)
            .await;
        assert_eq!(
            answer.status.as_u16(),
            expected,
            "{method} {path}: {}",
            answer.body
        );
        assert_eq!(answer.json()["kind"], "Status", "{method} {path}");
    }
    assert_eq!(
        cluster
            .client
            .apiserver_version()
            .await
            .unwrap()
            .git_version,
        "v1.33.2+k3s1"
    );
}
