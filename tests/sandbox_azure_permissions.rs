//! Sandbox Azure's permissions list ("what may the caller do here") over verified TLS: the spec
//! example's shape; for an identity's Entra token, one block per propagated role assignment at
//! the scope or above it; the Owner block for any other token; ARM's answers for other scopes.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use kwif::sandbox::azure::{AzureSandbox, AzureSandboxOptions};
use kwif::sandbox::static_host::StaticHost;
use reqwest::Method;
use serde_json::{Value, json};

const EXAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/azure-rest-api-specs/authorization-permissions/"
);
const RSA_KEY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/keys/rsa-2048.pkcs1.key"
);
const OTHER_RSA_KEY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/keys/rsa-2048-other.pkcs1.key"
);
const API_VERSION: &str = "2022-04-01";
const RG: &str = "rg-application1";
const OTHER_RG: &str = "rg-other";
const ACCOUNT: &str = "stapplication1";
const AUDIENCE: &str = "api://AzureADTokenExchange";
const SUBJECT: &str = "system:serviceaccount:application1:application1-sa";
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const ADMIN: &str = "sandbox-test-token";
const BLOB_READER: &str = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";
const READER: &str = "acdd72a7-3c48-4bf8-b2b9-4a4ae4ac2bce";

/// A status and the body as JSON.
struct Answer {
    status: u16,
    body: Value,
}

impl Answer {
    /// The permission blocks of a 200, or a panic showing what came instead.
    fn blocks(&self) -> &Vec<Value> {
        assert_eq!(self.status, 200, "{}", self.body);
        self.body["value"].as_array().expect("a value array")
    }

    fn error(&self) -> (u16, &str) {
        (
            self.status,
            self.body["error"]["code"].as_str().unwrap_or_default(),
        )
    }
}

/// A workload identity and the Resource Manager access token Entra gave it.
struct Identity {
    principal_id: String,
    token: String,
}

/// A sandbox, a client trusting only its CA, and a cluster issuer on a static host that the
/// sandbox's Entra trusts.
struct Azure {
    sandbox: AzureSandbox,
    client: reqwest::Client,
    issuer: String,
    _issuer_host: StaticHost,
    _issuer_root: tempfile::TempDir,
}

impl Azure {
    async fn start() -> Azure {
        Azure::with(AzureSandboxOptions::default()).await
    }

    async fn with(options: AzureSandboxOptions) -> Azure {
        let root = tempfile::tempdir().unwrap();
        let host = StaticHost::start(root.path().to_path_buf(), "application/json")
            .await
            .unwrap();
        let issuer = format!("{}/cluster1", host.origin());
        publish_issuer(root.path(), &issuer);
        let options = AzureSandboxOptions {
            resource_groups: vec![RG.to_string(), OTHER_RG.to_string()],
            ..options
        }
        .with_extra_ca_pem(host.ca_certificate_pem());
        let sandbox = AzureSandbox::start(options).await.expect("sandbox starts");
        let ca = reqwest::Certificate::from_pem(sandbox.ca_certificate_pem().as_bytes()).unwrap();
        let client = reqwest::Client::builder()
            .tls_certs_only([ca])
            .no_proxy()
            .build()
            .unwrap();
        Azure {
            sandbox,
            client,
            issuer,
            _issuer_host: host,
            _issuer_root: root,
        }
    }

    fn subscription_scope(&self) -> String {
        format!("/subscriptions/{}", self.sandbox.subscription_id())
    }

    /// Spelled `resourcegroups`, as the spec's path is.
    fn group_scope(&self, resource_group: &str) -> String {
        format!(
            "{}/resourcegroups/{resource_group}",
            self.subscription_scope()
        )
    }

    fn account_scope(&self) -> String {
        format!(
            "{}/providers/Microsoft.Storage/storageAccounts/{ACCOUNT}",
            self.group_scope(RG)
        )
    }

    fn role(&self, guid: &str) -> String {
        format!(
            "{}/providers/Microsoft.Authorization/roleDefinitions/{guid}",
            self.subscription_scope()
        )
    }

    /// An identity with a federated credential for the cluster issuer, signed in through a
    /// client assertion exchange as a workload would be.
    async fn identity(&self, name: &str) -> Identity {
        let identity = self.sandbox.insert_identity(RG, name).unwrap();
        self.sandbox
            .insert_federated_credential(RG, name, "kwif", &self.issuer, SUBJECT, AUDIENCE)
            .unwrap();
        let assertion = sign(&assertion_claims(&self.issuer), RSA_KEY);
        let form = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("client_id", identity.client_id.as_str()),
                ("scope", "https://management.azure.com/.default"),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &assertion),
                ("grant_type", "client_credentials"),
            ])
            .finish();
        let response = self
            .client
            .post(self.sandbox.token_endpoint())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .expect("the token endpoint answers");
        let status = response.status().as_u16();
        let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert_eq!(status, 200, "token exchange: {body}");
        Identity {
            principal_id: identity.principal_id,
            token: body["access_token"].as_str().unwrap().to_string(),
        }
    }

    async fn send(&self, method: Method, path_and_query: &str, token: &str) -> Answer {
        self.send_body(method, path_and_query, token, None).await
    }

    async fn send_body(
        &self,
        method: Method,
        path_and_query: &str,
        token: &str,
        body: Option<Value>,
    ) -> Answer {
        let url = format!(
            "{}{}",
            self.sandbox.resource_manager_url(),
            path_and_query.trim_start_matches('/')
        );
        let mut request = self
            .client
            .request(method, url)
            .header("authorization", format!("Bearer {token}"));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("the sandbox answers");
        let status = response.status().as_u16();
        let bytes = response.bytes().await.unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer { status, body }
    }

    /// `GET {scope}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01`.
    async fn permissions(&self, scope: &str, token: &str) -> Answer {
        let path = format!(
            "{scope}/providers/Microsoft.Authorization/permissions?api-version={API_VERSION}"
        );
        self.send(Method::GET, &path, token).await
    }

    /// A role assignment created over Resource Manager by the administrator, as kwif creates one.
    async fn assign_over_arm(&self, scope: &str, role: &str, principal_id: &str) -> Answer {
        let path = format!(
            "{scope}/providers/Microsoft.Authorization/roleAssignments/{}?api-version={API_VERSION}",
            uuid::Uuid::from_u128(rand_u128())
        );
        let body = json!({"properties": {
            "roleDefinitionId": self.role(role),
            "principalId": principal_id,
            "principalType": "ServicePrincipal",
        }});
        self.send_body(Method::PUT, &path, ADMIN, Some(body)).await
    }
}

/// The issuer's discovery document and JWKS, as a cluster publishes them.
fn publish_issuer(root: &std::path::Path, issuer: &str) {
    let discovery = json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/openid/v1/jwks"),
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    });
    let keys = kwif::oidc::key::parse_pem_keys(&key_file(RSA_KEY)).unwrap();
    let files = [
        ("cluster1/.well-known/openid-configuration", discovery),
        (
            "cluster1/openid/v1/jwks",
            kwif::oidc::jwks::jwks_document(&keys),
        ),
    ];
    for (path, document) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, document.to_string()).unwrap();
    }
}

fn key_file(path: &str) -> String {
    std::fs::read_to_string(path).unwrap()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn rand_u128() -> u128 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(1);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    (nanos << 16) ^ u128::from(COUNTER.fetch_add(1, Ordering::Relaxed))
}

fn assertion_claims(issuer: &str) -> Value {
    json!({"iss": issuer, "sub": SUBJECT, "aud": [AUDIENCE], "iat": now() - 60, "nbf": now() - 60, "exp": now() + 3600})
}

/// An RS256 JWT over `claims` with the key's kid.
fn sign(claims: &Value, key_path: &str) -> String {
    let kid = kwif::oidc::key::parse_pem_keys(&key_file(key_path))
        .unwrap()
        .remove(0)
        .kid()
        .to_string();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid);
    let key = EncodingKey::from_rsa_pem(key_file(key_path).as_bytes()).unwrap();
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

fn example(name: &str) -> Value {
    let text = std::fs::read_to_string(format!("{EXAMPLES}{name}"))
        .unwrap_or_else(|error| panic!("{name}: {error}"));
    serde_json::from_str(&text).unwrap()
}

fn block(actions: &[&str], data_actions: &[&str]) -> Value {
    json!({"actions": actions, "notActions": [], "dataActions": data_actions, "notDataActions": []})
}

fn blob_reader_block() -> Value {
    block(
        &[
            "Microsoft.Storage/storageAccounts/blobServices/containers/read",
            "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
        ],
        &["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
    )
}

fn reader_block() -> Value {
    block(&["*/read"], &[])
}

fn owner_block() -> Value {
    block(&["*"], &[])
}

fn sorted_keys(object: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = object
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn the_answer_has_the_shape_of_the_spec_example() {
    let spec = example("2018-01-01-preview/GetPermissions.json");
    let parameters = &spec["parameters"];
    let expected = &spec["responses"]["200"]["body"];
    let azure = Azure::with(AzureSandboxOptions {
        subscription_id: parameters["subscriptionId"].as_str().unwrap().to_string(),
        ..AzureSandboxOptions::default()
    })
    .await;
    let resource_group = parameters["resourceGroupName"].as_str().unwrap();
    azure.sandbox.insert_resource_group(resource_group);
    let identity = azure.identity("id1").await;
    azure.sandbox.insert_role_assignment(
        &azure.group_scope(resource_group),
        &azure.role(BLOB_READER),
        &identity.principal_id,
    );
    let scope = azure.group_scope(resource_group);
    for token in [identity.token.as_str(), ADMIN] {
        let answer = azure.permissions(&scope, token).await;
        let blocks = answer.blocks();
        assert_eq!(blocks.len(), 1, "{}", answer.body);
        // nextLink only comes with a further page; everything else is the example's.
        let mut top: Vec<&str> = sorted_keys(expected);
        top.retain(|key| *key != "nextLink");
        assert_eq!(sorted_keys(&answer.body), top);
        assert_eq!(sorted_keys(&blocks[0]), sorted_keys(&expected["value"][0]));
        for (key, list) in blocks[0].as_object().unwrap() {
            let strings = list
                .as_array()
                .expect("a list")
                .iter()
                .all(Value::is_string);
            assert!(strings, "{key} holds strings: {list}");
        }
    }
}

#[tokio::test]
async fn a_blob_data_reader_on_an_account_sees_its_actions_there_and_not_on_the_group() {
    let azure = Azure::start().await;
    let identity = azure.identity("id1").await;
    azure.sandbox.insert_role_assignment(
        &azure.account_scope(),
        &azure.role(BLOB_READER),
        &identity.principal_id,
    );
    let at_account = azure
        .permissions(&azure.account_scope(), &identity.token)
        .await;
    assert_eq!(at_account.blocks(), &vec![blob_reader_block()]);
    let shouted = azure
        .account_scope()
        .replace(ACCOUNT, &ACCOUNT.to_uppercase());
    let at_account_uppercase = azure.permissions(&shouted, &identity.token).await;
    assert_eq!(
        at_account_uppercase.blocks(),
        &vec![blob_reader_block()],
        "ARM paths are case-insensitive"
    );
    let at_group = azure
        .permissions(&azure.group_scope(RG), &identity.token)
        .await;
    assert_eq!(at_group.blocks(), &Vec::<Value>::new());
}

#[tokio::test]
async fn assignments_at_the_group_and_the_subscription_are_inherited_below() {
    let azure = Azure::start().await;
    let identity = azure.identity("id1").await;
    azure.sandbox.insert_role_assignment(
        &azure.subscription_scope(),
        &azure.role(READER),
        &identity.principal_id,
    );
    azure.sandbox.insert_role_assignment(
        &azure.group_scope(RG),
        &azure.role(BLOB_READER),
        &identity.principal_id,
    );
    let container = format!(
        "{}/blobServices/default/containers/web",
        azure.account_scope()
    );
    for scope in [azure.account_scope(), container, azure.group_scope(RG)] {
        let answer = azure.permissions(&scope, &identity.token).await;
        assert_eq!(
            answer.blocks(),
            &vec![reader_block(), blob_reader_block()],
            "{scope}"
        );
    }
    let other_group = azure
        .permissions(&azure.group_scope(OTHER_RG), &identity.token)
        .await;
    assert_eq!(other_group.blocks(), &vec![reader_block()]);
}

#[tokio::test]
async fn an_identity_without_assignments_gets_an_empty_list() {
    let azure = Azure::start().await;
    let assigned = azure.identity("id1").await;
    let unassigned = azure.identity("id2").await;
    azure.sandbox.insert_role_assignment(
        &azure.group_scope(RG),
        &azure.role(READER),
        &assigned.principal_id,
    );
    for scope in [
        azure.subscription_scope(),
        azure.group_scope(RG),
        azure.account_scope(),
    ] {
        let answer = azure.permissions(&scope, &unassigned.token).await;
        assert_eq!(answer.blocks(), &Vec::<Value>::new(), "{scope}");
    }
    let assigned_answer = azure
        .permissions(&azure.account_scope(), &assigned.token)
        .await;
    assert_eq!(assigned_answer.blocks(), &vec![reader_block()]);
}

#[tokio::test]
async fn a_fresh_assignment_is_left_out_until_it_has_propagated() {
    let propagation = Duration::from_secs(2);
    let azure = Azure::start().await;
    let identity = azure.identity("id1").await;
    azure.sandbox.set_role_assignment_propagation(propagation);
    let seeded = azure.sandbox.insert_role_assignment(
        &azure.group_scope(RG),
        &azure.role(READER),
        &identity.principal_id,
    );
    let created = azure
        .assign_over_arm(&azure.account_scope(), BLOB_READER, &identity.principal_id)
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let listed = azure
        .send(
            Method::GET,
            &format!(
                "{}/providers/Microsoft.Authorization/roleAssignments?api-version={API_VERSION}",
                azure.account_scope()
            ),
            ADMIN,
        )
        .await;
    assert_eq!(
        listed.blocks().len(),
        2,
        "ARM lists the new assignment at once: {}",
        listed.body
    );
    let fresh = azure
        .permissions(&azure.account_scope(), &identity.token)
        .await;
    assert_eq!(
        fresh.blocks(),
        &vec![reader_block()],
        "only the assignment {} that existed before grants anything yet",
        seeded.name
    );
    tokio::time::sleep(propagation).await;
    let propagated = azure
        .permissions(&azure.account_scope(), &identity.token)
        .await;
    assert_eq!(
        propagated.blocks(),
        &vec![reader_block(), blob_reader_block()]
    );
}

#[tokio::test]
async fn any_other_token_is_the_administrator_who_owns_the_subscription() {
    let azure = Azure::start().await;
    for scope in [
        azure.subscription_scope(),
        azure.group_scope(RG),
        azure.account_scope(),
    ] {
        let answer = azure.permissions(&scope, ADMIN).await;
        assert_eq!(answer.blocks(), &vec![owner_block()], "{scope}");
    }
}

#[tokio::test]
async fn a_token_not_signed_by_the_sandbox_tenant_names_no_identity() {
    let azure = Azure::start().await;
    let identity = azure.identity("id1").await;
    azure.sandbox.insert_role_assignment(
        &azure.account_scope(),
        &azure.role(BLOB_READER),
        &identity.principal_id,
    );
    let forged = sign(
        &json!({"aud": "https://management.azure.com", "oid": identity.principal_id, "exp": now() + 3600}),
        OTHER_RSA_KEY,
    );
    let answer = azure.permissions(&azure.account_scope(), &forged).await;
    assert_eq!(
        answer.blocks(),
        &vec![owner_block()],
        "a JWT the tenant did not sign is an administrator's token like any other"
    );
}

#[tokio::test]
async fn a_subscription_scope_is_answered_though_the_spec_leaves_it_out() {
    let azure = Azure::start().await;
    let identity = azure.identity("id1").await;
    azure.sandbox.insert_role_assignment(
        &azure.group_scope(RG),
        &azure.role(BLOB_READER),
        &identity.principal_id,
    );
    let below_only = azure
        .permissions(&azure.subscription_scope(), &identity.token)
        .await;
    assert_eq!(
        below_only.blocks(),
        &Vec::<Value>::new(),
        "assignments below the scope grant nothing at it"
    );
    azure.sandbox.insert_role_assignment(
        &azure.subscription_scope(),
        &azure.role(READER),
        &identity.principal_id,
    );
    let at_subscription = azure
        .permissions(&azure.subscription_scope(), &identity.token)
        .await;
    assert_eq!(at_subscription.blocks(), &vec![reader_block()]);
    let elsewhere = azure
        .permissions("/subscriptions/dddddddd-dddd-dddd-dddd-dddddddddddd", ADMIN)
        .await;
    assert_eq!(elsewhere.error(), (404, "SubscriptionNotFound"));
}

#[tokio::test]
async fn a_missing_group_is_resource_group_not_found_and_a_missing_resource_is_answered() {
    let azure = Azure::start().await;
    let identity = azure.identity("id1").await;
    azure.sandbox.insert_role_assignment(
        &azure.group_scope(RG),
        &azure.role(READER),
        &identity.principal_id,
    );
    let missing_group = azure.group_scope("rg-missing");
    let missing_resource =
        format!("{missing_group}/providers/Microsoft.Storage/storageAccounts/st1");
    for scope in [missing_group, missing_resource] {
        for token in [identity.token.as_str(), ADMIN] {
            let answer = azure.permissions(&scope, token).await;
            assert_eq!(answer.error(), (404, "ResourceGroupNotFound"), "{scope}");
            assert_eq!(
                answer.body["error"]["message"],
                "Resource group 'rg-missing' could not be found."
            );
        }
    }
    let no_such_account = azure.account_scope();
    assert!(azure.sandbox.storage_account(RG, ACCOUNT).is_none());
    let answer = azure.permissions(&no_such_account, &identity.token).await;
    assert_eq!(
        answer.blocks(),
        &vec![reader_block()],
        "Microsoft.Authorization answers from assignments, not from the resource"
    );
}

#[tokio::test]
async fn the_front_door_checks_the_api_version_and_the_method() {
    let azure = Azure::start().await;
    let path = format!(
        "{}/providers/Microsoft.Authorization/permissions",
        azure.group_scope(RG)
    );
    let missing = azure.send(Method::GET, &path, ADMIN).await;
    assert_eq!(missing.error(), (400, "MissingApiVersionParameter"));
    let older = azure
        .send(
            Method::GET,
            &format!("{path}?api-version=2099-01-01"),
            ADMIN,
        )
        .await;
    assert_eq!(older.error(), (400, "InvalidApiVersionParameter"));
    let posted = azure
        .send(
            Method::POST,
            &format!("{path}?api-version={API_VERSION}"),
            ADMIN,
        )
        .await;
    assert_eq!(posted.error(), (405, "MethodNotAllowed"));
    let tenant_root = azure.permissions("", ADMIN).await;
    assert_eq!(tenant_root.status, 404, "{}", tenant_root.body);
}
