//! Sandbox Azure's permissions list ("what may the caller do here") over verified TLS: the spec
//! example's shape; for an identity's Entra token, one block per propagated role assignment at
//! the scope or above it; the Owner block for the administrator; ARM's answers for other scopes.

use std::ops::Deref;
use std::time::Duration;

use kwif_sandbox::azure::{AzureSandboxOptions, RoleAssignment};
use reqwest::Method;
use serde_json::{Value, json};

use crate::azure_client::{
    AUDIENCE, Answer, Azure, BLOB_READER, Issuer, MANAGEMENT_SCOPE, OTHER_RSA_KEY, RG, SUBJECT,
    guid, now, sign, spec_example,
};

const EXAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/azure-rest-api-specs/authorization-permissions/"
);
const API_VERSION: &str = "2022-04-01";
const OTHER_RG: &str = "rg-other";
const ACCOUNT: &str = "stapplication1";
/// The built-in role Reader.
const READER: &str = "acdd72a7-3c48-4bf8-b2b9-4a4ae4ac2bce";

impl Answer {
    /// The permission blocks of a 200, or a panic showing what came instead.
    fn blocks(&self) -> &Vec<Value> {
        assert_eq!(self.status, 200, "{}", self.body);
        self.body["value"].as_array().expect("a value array")
    }
}

/// A workload identity and the Resource Manager access token Entra gave it.
struct Identity {
    principal_id: String,
    token: String,
}

/// A sandbox and a cluster issuer on a static host that the sandbox's Entra trusts. It derefs
/// to the sandbox's [`Azure`], so a test reads `azure.sandbox` and `azure.arm(..)` as elsewhere.
struct Federation {
    azure: Azure,
    issuer: Issuer,
}

impl Deref for Federation {
    type Target = Azure;

    fn deref(&self) -> &Azure {
        &self.azure
    }
}

impl Federation {
    async fn start() -> Federation {
        Federation::with(AzureSandboxOptions::default()).await
    }

    async fn with(options: AzureSandboxOptions) -> Federation {
        let issuer = Issuer::start().await;
        let options = AzureSandboxOptions {
            resource_groups: vec![RG.to_string(), OTHER_RG.to_string()],
            ..options
        }
        .with_extra_ca_pem(issuer.ca_pem());
        Federation {
            azure: Azure::with(options).await,
            issuer,
        }
    }

    fn subscription_scope(&self) -> String {
        format!("/subscriptions/{}", self.subscription())
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

    /// A role assignment of `role` to `identity` at `scope` that existed before the test began,
    /// so it grants at once whatever the propagation time.
    fn grant(&self, scope: &str, role: &str, identity: &Identity) -> RoleAssignment {
        self.sandbox
            .insert_role_assignment(scope, &self.role(role), &identity.principal_id)
    }

    /// An identity with a federated credential for the cluster issuer, signed in through a
    /// client assertion exchange as a workload would be.
    async fn identity(&self, name: &str) -> Identity {
        let identity = self.sandbox.insert_identity(RG, name).unwrap();
        self.sandbox
            .insert_federated_credential(RG, name, "kwif", &self.issuer.url, SUBJECT, AUDIENCE)
            .unwrap();
        let assertion = self.issuer.assertion();
        let answer = self
            .exchange(&identity.client_id, &assertion, MANAGEMENT_SCOPE)
            .await;
        assert_eq!(answer.status, 200, "token exchange: {}", answer.body);
        Identity {
            principal_id: identity.principal_id,
            token: answer.body["access_token"].as_str().unwrap().to_string(),
        }
    }

    /// `GET {scope}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01`.
    async fn permissions(&self, scope: &str, token: &str) -> Answer {
        let path = format!(
            "{scope}/providers/Microsoft.Authorization/permissions?api-version={API_VERSION}"
        );
        self.send(Method::GET, &path, None, Some(&format!("Bearer {token}")))
            .await
    }

    /// A role assignment created over Resource Manager by the administrator, as kwif creates one.
    async fn assign_over_arm(&self, scope: &str, role: &str, principal_id: &str) -> Answer {
        let path = format!(
            "{scope}/providers/Microsoft.Authorization/roleAssignments/{}?api-version={API_VERSION}",
            guid()
        );
        let body = json!({"properties": {
            "roleDefinitionId": self.role(role),
            "principalId": principal_id,
            "principalType": "ServicePrincipal",
        }});
        self.arm(Method::PUT, &path, Some(&body)).await
    }
}

fn example(name: &str) -> Value {
    spec_example(EXAMPLES, name)
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
    let azure = Federation::with(AzureSandboxOptions {
        subscription_id: parameters["subscriptionId"].as_str().unwrap().to_string(),
        ..AzureSandboxOptions::default()
    })
    .await;
    let resource_group = parameters["resourceGroupName"].as_str().unwrap();
    azure.sandbox.insert_resource_group(resource_group);
    let identity = azure.identity("id1").await;
    azure.grant(&azure.group_scope(resource_group), BLOB_READER, &identity);
    let scope = azure.group_scope(resource_group);
    for token in [identity.token.as_str(), azure.admin_token.as_str()] {
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
    let azure = Federation::start().await;
    let identity = azure.identity("id1").await;
    azure.grant(&azure.account_scope(), BLOB_READER, &identity);
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
    let azure = Federation::start().await;
    let identity = azure.identity("id1").await;
    azure.grant(&azure.subscription_scope(), READER, &identity);
    azure.grant(&azure.group_scope(RG), BLOB_READER, &identity);
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
    let azure = Federation::start().await;
    let assigned = azure.identity("id1").await;
    let unassigned = azure.identity("id2").await;
    azure.grant(&azure.group_scope(RG), READER, &assigned);
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
    let propagation = Duration::from_secs(300);
    let azure = Federation::start().await;
    let identity = azure.identity("id1").await;
    azure.sandbox.set_role_assignment_propagation(propagation);
    let seeded = azure.grant(&azure.group_scope(RG), READER, &identity);
    let created = azure
        .assign_over_arm(&azure.account_scope(), BLOB_READER, &identity.principal_id)
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let listed = azure
        .arm(
            Method::GET,
            &format!(
                "{}/providers/Microsoft.Authorization/roleAssignments?api-version={API_VERSION}",
                azure.account_scope()
            ),
            None,
        )
        .await;
    let of_identity = listed
        .blocks()
        .iter()
        .filter(|assignment| assignment["properties"]["principalId"] == identity.principal_id)
        .count();
    assert_eq!(
        of_identity, 2,
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
    azure.sandbox.clock().advance(propagation);
    let propagated = azure
        .permissions(&azure.account_scope(), &identity.token)
        .await;
    assert_eq!(
        propagated.blocks(),
        &vec![reader_block(), blob_reader_block()]
    );
}

#[tokio::test]
async fn the_administrator_owns_the_subscription() {
    let azure = Federation::start().await;
    for scope in [
        azure.subscription_scope(),
        azure.group_scope(RG),
        azure.account_scope(),
    ] {
        let answer = azure.permissions(&scope, &azure.admin_token).await;
        assert_eq!(answer.blocks(), &vec![owner_block()], "{scope}");
    }
}

#[tokio::test]
async fn a_token_not_signed_by_the_sandbox_tenant_is_refused() {
    let azure = Federation::start().await;
    let identity = azure.identity("id1").await;
    azure.grant(&azure.account_scope(), BLOB_READER, &identity);
    let forged = sign(
        &json!({"aud": "https://management.azure.com", "iss": format!("https://sts.windows.net/{}/", azure.sandbox.tenant_id()), "oid": identity.principal_id, "exp": now() + 3600}),
        OTHER_RSA_KEY,
    );
    let answer = azure.permissions(&azure.account_scope(), &forged).await;
    assert_eq!(answer.error(), (401, "InvalidAuthenticationToken"));
}

#[tokio::test]
async fn a_subscription_scope_is_answered_though_the_spec_leaves_it_out() {
    let azure = Federation::start().await;
    let identity = azure.identity("id1").await;
    azure.grant(&azure.group_scope(RG), BLOB_READER, &identity);
    let below_only = azure
        .permissions(&azure.subscription_scope(), &identity.token)
        .await;
    assert_eq!(
        below_only.blocks(),
        &Vec::<Value>::new(),
        "assignments below the scope grant nothing at it"
    );
    azure.grant(&azure.subscription_scope(), READER, &identity);
    let at_subscription = azure
        .permissions(&azure.subscription_scope(), &identity.token)
        .await;
    assert_eq!(at_subscription.blocks(), &vec![reader_block()]);
    let elsewhere = azure
        .permissions(
            "/subscriptions/dddddddd-dddd-dddd-dddd-dddddddddddd",
            &azure.admin_token,
        )
        .await;
    assert_eq!(elsewhere.error(), (404, "SubscriptionNotFound"));
}

#[tokio::test]
async fn a_missing_group_is_resource_group_not_found_and_a_missing_resource_is_answered() {
    let azure = Federation::start().await;
    let identity = azure.identity("id1").await;
    azure.grant(&azure.group_scope(RG), READER, &identity);
    let missing_group = azure.group_scope("rg-missing");
    let missing_resource =
        format!("{missing_group}/providers/Microsoft.Storage/storageAccounts/st1");
    for scope in [missing_group, missing_resource] {
        for token in [identity.token.as_str(), azure.admin_token.as_str()] {
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
    let azure = Federation::start().await;
    let path = format!(
        "{}/providers/Microsoft.Authorization/permissions",
        azure.group_scope(RG)
    );
    let missing = azure.arm(Method::GET, &path, None).await;
    assert_eq!(missing.error(), (400, "MissingApiVersionParameter"));
    let older = azure
        .arm(Method::GET, &format!("{path}?api-version=2099-01-01"), None)
        .await;
    assert_eq!(older.error(), (400, "InvalidApiVersionParameter"));
    let posted = azure
        .arm(
            Method::POST,
            &format!("{path}?api-version={API_VERSION}"),
            None,
        )
        .await;
    assert_eq!(posted.error(), (405, "MethodNotAllowed"));
    let tenant_root = azure.permissions("", &azure.admin_token).await;
    assert_eq!(tenant_root.status, 404, "{}", tenant_root.body);
}
