//! The Graph stand-in over HTTPS, as a client reaches it: a client-secret login for Graph's root,
//! applications, service principals and federated credentials created and checked against
//! Graph's rules, the replication window moved past with the sandbox's clock, and the answers to
//! a token without the permission or for another audience.

use std::time::Duration;

use serde_json::{Value, json};

use super::{READ_WRITE_ALL, READ_WRITE_OWNED_BY};
use crate::azure::{AzureSandbox, AzureSandboxOptions};

struct Graph {
    sandbox: AzureSandbox,
    client: reqwest::Client,
    token: String,
}

impl Graph {
    async fn start() -> Graph {
        let sandbox = AzureSandbox::start(AzureSandboxOptions::default())
            .await
            .unwrap();
        let ca = reqwest::Certificate::from_pem(sandbox.ca_certificate_pem().as_bytes()).unwrap();
        let client = reqwest::Client::builder()
            .tls_certs_only([ca])
            .build()
            .unwrap();
        let scope = format!("{}.default", sandbox.graph_root());
        let token = Graph::login(&sandbox, &client, &scope).await;
        Graph {
            sandbox,
            client,
            token,
        }
    }

    /// The administrator's client-secret login for `scope`.
    async fn login(sandbox: &AzureSandbox, client: &reqwest::Client, scope: &str) -> String {
        let login = sandbox.admin_login();
        let form = [
            ("client_id", login.client_id.as_str()),
            ("client_secret", login.client_secret.as_str()),
            ("scope", scope),
            ("grant_type", "client_credentials"),
        ];
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let answer = client
            .post(sandbox.token_endpoint())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let answer: Value = serde_json::from_slice(&answer).unwrap();
        answer["access_token"].as_str().unwrap().to_string()
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.call_with(&self.token, method, path, body).await
    }

    async fn call_with(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!("{}v1.0/{path}", self.sandbox.graph_root());
        let mut request = self.client.request(method, url).bearer_auth(token);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let bytes = response.bytes().await.unwrap();
        let body = match bytes.is_empty() {
            true => Value::Null,
            false => serde_json::from_slice(&bytes).unwrap(),
        };
        (status, body)
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    /// Moves the sandbox's clock past the replication delay.
    fn replicate(&self) {
        self.sandbox.clock().advance(Duration::from_secs(3));
    }

    /// A replicated application with its service principal; its appId.
    async fn application(&self, name: &str) -> String {
        let (status, app) = self
            .post(
                "applications",
                json!({"displayName": name, "tags": ["created-by:kwif"]}),
            )
            .await;
        assert_eq!(status, 201, "{app}");
        self.replicate();
        let app_id = app["appId"].as_str().unwrap().to_string();
        let (status, principal) = self
            .post("servicePrincipals", json!({"appId": app_id}))
            .await;
        assert_eq!(status, 201, "{principal}");
        self.replicate();
        app_id
    }
}

fn credential(name: &str, subject: &str) -> Value {
    json!({
        "name": name,
        "issuer": "https://oidc.example.com/cluster1",
        "subject": subject,
        "audiences": ["api://AzureADTokenExchange"],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_application_is_found_only_after_the_replication_delay() {
    let graph = Graph::start().await;
    let (status, app) = graph
        .post("applications", json!({"displayName": "id-app"}))
        .await;
    assert_eq!(status, 201, "{app}");
    assert_eq!(app["signInAudience"], "AzureADandPersonalMicrosoftAccount");
    let app_id = app["appId"].as_str().unwrap();
    let by_app_id = format!("applications(appId='{app_id}')");
    let (status, missing) = graph.get(&by_app_id).await;
    assert_eq!(status, 404);
    assert_eq!(missing["error"]["code"], "Request_ResourceNotFound");
    let (_, list) = graph
        .get("applications?$filter=displayName%20eq%20'id-app'")
        .await;
    assert_eq!(list["value"], json!([]), "not listed yet either");
    let (status, early) = graph
        .post("servicePrincipals", json!({"appId": app_id}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        early["error"]["message"],
        format!(
            "The appId '{app_id}' of the service principal does not reference a valid application object."
        )
    );
    graph.replicate();
    let (status, found) = graph.get(&by_app_id).await;
    assert_eq!((status, &found["displayName"]), (200, &json!("id-app")));
    let (_, list) = graph
        .get("applications?$filter=displayName eq 'id-app'")
        .await;
    assert_eq!(list["value"][0]["id"], app["id"]);
    let (status, principal) = graph
        .post("servicePrincipals", json!({"appId": app_id}))
        .await;
    assert_eq!(status, 201, "{principal}");
    let (_, principals) = graph
        .get(&format!("servicePrincipals?$filter=appId eq '{app_id}'"))
        .await;
    assert_eq!(
        principals["value"],
        json!([]),
        "the principal replicates too"
    );
    graph.replicate();
    let (_, principals) = graph
        .get(&format!("servicePrincipals?$filter=appId eq '{app_id}'"))
        .await;
    assert_eq!(principals["value"][0]["id"], principal["id"]);
    let (status, again) = graph
        .post("servicePrincipals", json!({"appId": app_id}))
        .await;
    assert_eq!(
        (status, &again["error"]["code"]),
        (409, &json!("Request_MultipleObjectsWithSameKeyValue"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn federated_credentials_follow_graphs_rules() {
    let graph = Graph::start().await;
    let app_id = graph.application("id-app").await;
    let path = format!("applications(appId='{app_id}')/federatedIdentityCredentials");
    let (status, created) = graph
        .post(&path, credential("kwif-a-sa", "system:serviceaccount:a:sa"))
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["audiences"], json!(["api://AzureADTokenExchange"]));
    let (status, taken) = graph
        .post(
            &path,
            credential("kwif-a-sa", "system:serviceaccount:a:other"),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(
        taken["error"]["message"],
        "FederatedIdentityCredential with name kwif-a-sa already exists."
    );
    let (status, pair) = graph
        .post(&path, credential("second", "system:serviceaccount:a:sa"))
        .await;
    assert_eq!(
        (status, &pair["error"]["code"]),
        (400, &json!("Request_BadRequest"))
    );
    let mut two = credential("two", "system:serviceaccount:a:two");
    two["audiences"] = json!(["a", "b"]);
    let (status, audiences) = graph.post(&path, two).await;
    assert_eq!(status, 400);
    assert_eq!(
        audiences["error"]["message"],
        "Federated identity credentials must have exactly 1 audience."
    );
    let (status, _) = graph
        .post(&path, credential("a b", "system:serviceaccount:a:b"))
        .await;
    assert_eq!(status, 400, "names are URL friendly");
    for index in 1..20 {
        let (status, body) = graph
            .post(
                &path,
                credential(
                    &format!("c{index}"),
                    &format!("system:serviceaccount:n:{index}"),
                ),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, full) = graph
        .post(&path, credential("c20", "system:serviceaccount:n:20"))
        .await;
    assert_eq!(status, 400, "the 21st credential: {full}");
    let (status, _) = graph
        .call(
            reqwest::Method::PATCH,
            &format!("{path}/kwif-a-sa"),
            Some(json!({"subject": "system:serviceaccount:a:renamed"})),
        )
        .await;
    assert_eq!(status, 204);
    let (_, list) = graph.get(&path).await;
    assert_eq!(list["value"].as_array().unwrap().len(), 20);
    assert_eq!(
        list["value"][0]["subject"],
        "system:serviceaccount:a:renamed"
    );
    let (status, _) = graph
        .call(reqwest::Method::DELETE, &format!("{path}/c1"), None)
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        graph.sandbox.applications()[0].federated_credentials.len(),
        19
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_without_the_permission_is_refused_and_ownership_limits_owned_by() {
    let graph = Graph::start().await;
    let admin = graph.sandbox.admin_principal_id().to_string();
    let foreign = graph.sandbox.insert_application("someone-elses", &[]);
    let (_, listed) = graph.get("applications").await;
    assert_eq!(listed["value"], json!([]), "OwnedBy sees only what it owns");
    let (status, _) = graph
        .call(
            reqwest::Method::PATCH,
            &format!("applications/{}", foreign.id),
            Some(json!({"tags": []})),
        )
        .await;
    assert_eq!(status, 403);
    graph
        .sandbox
        .set_graph_permissions(&admin, &[READ_WRITE_ALL]);
    let (_, listed) = graph.get("applications").await;
    assert_eq!(listed["value"][0]["appId"], json!(foreign.app_id));
    graph.sandbox.set_graph_permissions(&admin, &[]);
    let (status, denied) = graph
        .post("applications", json!({"displayName": "id-app"}))
        .await;
    assert_eq!(status, 403);
    assert_eq!(denied["error"]["code"], "Authorization_RequestDenied");
    assert_eq!(
        denied["error"]["message"],
        "Insufficient privileges to complete the operation."
    );
    graph
        .sandbox
        .set_graph_permissions(&admin, &[READ_WRITE_OWNED_BY]);
    let (status, _) = graph
        .post("applications", json!({"displayName": "id-app"}))
        .await;
    assert_eq!(status, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_tokens_for_graphs_root_are_accepted() {
    let graph = Graph::start().await;
    let arm = graph.sandbox.admin_access_token();
    let (status, body) = graph
        .call_with(&arm, reqwest::Method::GET, "applications", None)
        .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    assert_eq!(
        body["error"]["message"],
        "Access token validation failure. Invalid audience."
    );
    let (status, body) = graph
        .call_with("", reqwest::Method::GET, "applications", None)
        .await;
    assert_eq!(
        (status, &body["error"]["message"]),
        (401, &json!("Access token is empty."))
    );
    let (status, body) = graph.get("applications?$filter=notes eq 'x'").await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (400, &json!("Request_UnsupportedQuery"))
    );
    let (status, body) = graph.get("groups").await;
    assert_eq!(
        (status, &body["error"]["message"]),
        (400, &json!("Resource not found for the segment 'groups'."))
    );
}
