//! Sandbox Azure's fidelity, driven with reqwest over verified TLS: the Azure REST spec
//! examples of tests/fixtures, ARM's status codes and error bodies, injected faults, and the
//! Entra token exchange against issuer documents served by a sandbox static host.

use std::time::Duration;

use kwif_sandbox::Clock;
use kwif_sandbox::azure::{AzureSandboxOptions, Faults};
use reqwest::Method;
use serde_json::{Value, json};

use crate::azure_client::{
    AUDIENCE, Answer, Azure, BLOB_READER, Issuer, MANAGEMENT_SCOPE, OTHER_RSA_KEY, RG, RSA_KEY,
    SUBJECT, assertion_claims, guid, kid_of, now, sign, sign_as, spec_example,
};
use crate::token::{Token, jwk_set};
use crate::waiting::wait_until;

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/azure-rest-api-specs/"
);
const MSI: &str = "2024-11-30";
const AUTHORIZATION: &str = "2022-04-01";
const COSMOS: &str = "2025-10-15";

/// The managed identity and role assignment requests these tests make, as the administrator.
impl Azure {
    async fn get(&self, path: &str) -> Answer {
        self.arm(Method::GET, path, None).await
    }

    async fn put(&self, path: &str, body: &Value) -> Answer {
        self.arm(Method::PUT, path, Some(body)).await
    }

    async fn delete(&self, path: &str) -> Answer {
        self.arm(Method::DELETE, path, None).await
    }

    fn identity_path(&self, name: &str) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}",
            self.subscription()
        )
    }

    fn credential_path(&self, identity: &str, name: &str) -> String {
        format!(
            "{}/federatedIdentityCredentials/{name}?api-version={MSI}",
            self.identity_path(identity)
        )
    }

    async fn create_identity(&self, name: &str) -> Value {
        let answer = self
            .put(
                &format!("{}?api-version={MSI}", self.identity_path(name)),
                &json!({"location": "westeurope"}),
            )
            .await;
        assert_eq!(answer.status, 201, "{}", answer.body);
        answer.body
    }

    async fn put_credential(
        &self,
        identity: &str,
        name: &str,
        issuer: &str,
        subject: &str,
    ) -> Answer {
        let body =
            json!({"properties": {"issuer": issuer, "subject": subject, "audiences": [AUDIENCE]}});
        self.put(&self.credential_path(identity, name), &body).await
    }

    fn role_assignment_path(&self, scope: &str, name: &str) -> String {
        format!(
            "{scope}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version={AUTHORIZATION}"
        )
    }

    async fn assign(&self, scope: &str, name: &str, role: &str, principal: &str) -> Answer {
        let body = json!({"properties": {
            "roleDefinitionId": format!("/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/{role}", self.subscription()),
            "principalId": principal,
            "principalType": "ServicePrincipal",
        }});
        self.put(&self.role_assignment_path(scope, name), &body)
            .await
    }
}

fn is_uuid(text: &str) -> bool {
    uuid::Uuid::parse_str(text).is_ok()
}

// ---------------------------------------------------------------------------------------------
// The Azure REST spec examples

fn fixture(name: &str) -> Value {
    spec_example(FIXTURES, name)
}

fn parameter<'a>(example: &'a Value, name: &str) -> &'a str {
    example["parameters"][name]
        .as_str()
        .unwrap_or_else(|| panic!("no parameter {name}"))
}

/// The example's response body for `status`. The MSI examples call the identity `identityName`
/// in responses but `resourceName` in the request; the sandbox answers with the name requested.
fn expected(example: &Value, status: u16) -> Value {
    let body = example["responses"][status.to_string()]["body"].clone();
    let text = body.to_string().replace("identityName", "resourceName");
    serde_json::from_str(&text).unwrap()
}

/// Same keys at every level, same array lengths, equal scalars — except that where the example
/// holds a UUID the sandbox may hold another one (ids it generates).
fn assert_same_shape(actual: &Value, expected: &Value, at: &str) {
    match (actual, expected) {
        (Value::Object(actual), Value::Object(expected)) => {
            let mut actual_keys: Vec<&String> = actual.keys().collect();
            let mut expected_keys: Vec<&String> = expected.keys().collect();
            actual_keys.sort();
            expected_keys.sort();
            assert_eq!(actual_keys, expected_keys, "keys of {at}");
            for (key, value) in expected {
                assert_same_shape(&actual[key], value, &format!("{at}.{key}"));
            }
        }
        (Value::Array(actual), Value::Array(expected)) => {
            assert_eq!(actual.len(), expected.len(), "length of {at}");
            for (index, (actual, expected)) in actual.iter().zip(expected).enumerate() {
                assert_same_shape(actual, expected, &format!("{at}[{index}]"));
            }
        }
        (Value::String(actual), Value::String(expected))
            if is_uuid(expected) && !expected.contains('/') =>
        {
            assert!(
                is_uuid(actual),
                "{at}: {actual:?} is not a UUID like {expected:?}"
            );
        }
        _ => assert_eq!(actual, expected, "{at}"),
    }
}

/// A sandbox whose subscription and resource group are the example's.
async fn sandbox_for(subscription: &str, resource_group: &str) -> Azure {
    let options = AzureSandboxOptions {
        subscription_id: subscription.to_string(),
        resource_groups: vec![resource_group.to_string()],
        principal_replication_delay: Duration::ZERO,
        ..AzureSandboxOptions::default()
    };
    Azure::with(options).await
}

fn msi_identity_path(example: &Value) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{}",
        parameter(example, "subscriptionId"),
        parameter(example, "resourceGroupName"),
        parameter(example, "resourceName")
    )
}

#[tokio::test]
async fn identity_create_example_answers_201_then_200_in_its_shape() {
    let example = fixture("msi-2024-11-30/IdentityCreate.json");
    let azure = sandbox_for(
        parameter(&example, "subscriptionId"),
        parameter(&example, "resourceGroupName"),
    )
    .await;
    let path = format!(
        "{}?api-version={}",
        msi_identity_path(&example),
        parameter(&example, "api-version")
    );
    let body = &example["parameters"]["parameters"];
    let created = azure.put(&path, body).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_same_shape(&created.body, &expected(&example, 201), "201");
    assert_eq!(
        created.body["properties"]["tenantId"],
        azure.sandbox.tenant_id()
    );
    let again = azure.put(&path, body).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_same_shape(&again.body, &expected(&example, 200), "200");
    assert_eq!(
        again.body["properties"], created.body["properties"],
        "ids are stable per identity"
    );
}

#[tokio::test]
async fn identity_get_example_matches_its_shape() {
    let example = fixture("msi-2024-11-30/IdentityGet.json");
    let azure = sandbox_for(
        parameter(&example, "subscriptionId"),
        parameter(&example, "resourceGroupName"),
    )
    .await;
    let path = format!(
        "{}?api-version={}",
        msi_identity_path(&example),
        parameter(&example, "api-version")
    );
    let want = expected(&example, 200);
    let missing = azure.get(&path).await;
    assert_eq!((missing.status, missing.code()), (404, "ResourceNotFound"));
    azure
        .put(
            &path,
            &json!({"location": want["location"], "tags": want["tags"]}),
        )
        .await;
    let answer = azure.get(&path).await;
    assert_eq!(answer.status, 200);
    assert_same_shape(&answer.body, &want, "200");
}

#[tokio::test]
async fn federated_credential_create_example_answers_201_then_200_in_its_shape() {
    let example = fixture("msi-2024-11-30/FederatedIdentityCredentialCreate.json");
    let azure = sandbox_for(
        parameter(&example, "subscriptionId"),
        parameter(&example, "resourceGroupName"),
    )
    .await;
    azure
        .sandbox
        .insert_identity(
            parameter(&example, "resourceGroupName"),
            parameter(&example, "resourceName"),
        )
        .unwrap();
    let path = format!(
        "{}/federatedIdentityCredentials/{}?api-version={}",
        msi_identity_path(&example),
        parameter(&example, "federatedIdentityCredentialResourceName"),
        parameter(&example, "api-version")
    );
    let body = &example["parameters"]["parameters"];
    let created = azure.put(&path, body).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_same_shape(&created.body, &expected(&example, 201), "201");
    let again = azure.put(&path, body).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_same_shape(&again.body, &expected(&example, 200), "200");
}

#[tokio::test]
async fn federated_credential_list_example_matches_its_shape_and_pages_with_next_link() {
    let example = fixture("msi-2024-11-30/FederatedIdentityCredentialList.json");
    let resource_group = parameter(&example, "resourceGroupName");
    let identity = parameter(&example, "resourceName");
    let azure = sandbox_for(parameter(&example, "subscriptionId"), resource_group).await;
    azure
        .sandbox
        .insert_identity(resource_group, identity)
        .unwrap();
    let want = expected(&example, 200);
    let item = &want["value"][0];
    let credential = |name: &str| {
        (
            name.to_string(),
            item["properties"]["issuer"].as_str().unwrap().to_string(),
        )
    };
    let (name, issuer) = credential(item["name"].as_str().unwrap());
    azure
        .sandbox
        .insert_federated_credential(
            resource_group,
            identity,
            &name,
            &issuer,
            "system:serviceaccount:ns:svcaccount",
            AUDIENCE,
        )
        .unwrap();
    let list = format!(
        "{}/federatedIdentityCredentials?api-version={}&$top={}",
        msi_identity_path(&example),
        parameter(&example, "api-version"),
        parameter(&example, "top")
    );
    let answer = azure.get(&list).await;
    assert_eq!(answer.status, 200);
    // One credential fits in one page: ARM leaves `nextLink` out when nothing follows.
    assert_same_shape(&answer.body["value"], &want["value"], "value");
    assert!(answer.body.get("nextLink").is_none(), "{}", answer.body);

    azure
        .sandbox
        .insert_federated_credential(
            resource_group,
            identity,
            "second",
            &issuer,
            "system:serviceaccount:ns:other",
            AUDIENCE,
        )
        .unwrap();
    let mut first_page = azure.get(&list.replace("$top=20", "$top=1")).await;
    // `nextLink` is opaque: compare its path (ARM ids are case-insensitive) and its query names.
    let next_link = first_page.body["nextLink"].take();
    let next_link = next_link.as_str().unwrap();
    let mut want_page = want.clone();
    let want_link = want_page["nextLink"].take();
    assert_same_shape(&first_page.body, &want_page, "first page");
    let path_of = |link: &str| {
        link.split_once("/subscriptions/")
            .unwrap()
            .1
            .split('?')
            .next()
            .unwrap()
            .to_ascii_lowercase()
    };
    assert_eq!(path_of(next_link), path_of(want_link.as_str().unwrap()));
    assert!(
        next_link.starts_with(&azure.sandbox.resource_manager_url()),
        "{next_link}"
    );
    assert!(
        next_link.contains("api-version=2024-11-30") && next_link.contains("$skipToken="),
        "{next_link}"
    );
    let next_page = azure
        .get(next_link.trim_start_matches(&azure.sandbox.resource_manager_url()))
        .await;
    assert_eq!(next_page.body["value"][0]["name"], "second");
    assert!(next_page.body.get("nextLink").is_none());
}

#[tokio::test]
async fn role_assignment_create_for_resource_group_example_answers_201_then_200() {
    let example = fixture("authorization-2022-04-01/RoleAssignments_CreateForResourceGroup.json");
    let scope = parameter(&example, "scope");
    let segments: Vec<&str> = scope.split('/').collect();
    let azure = sandbox_for(segments[1], segments[3]).await;
    // The example's scope has no leading slash, as the spec's path template puts one before it.
    let path = format!(
        "/{scope}/providers/Microsoft.Authorization/roleAssignments/{}?api-version={}",
        parameter(&example, "roleAssignmentName"),
        parameter(&example, "api-version")
    );
    let body = &example["parameters"]["parameters"];
    for status in [201, 200] {
        let mut answer = azure.put(&path, body).await;
        assert_eq!(answer.status, status, "{}", answer.body);
        // ARM echoes the role definition id as sent (subscription form); the example shows the
        // tenant form of the same role. Same role GUID either way.
        let sent = body["properties"]["roleDefinitionId"].as_str().unwrap();
        let want = expected(&example, status);
        let shown = want["properties"]["roleDefinitionId"].as_str().unwrap();
        assert_eq!(answer.body["properties"]["roleDefinitionId"], sent);
        assert_eq!(sent.rsplit('/').next(), shown.rsplit('/').next());
        answer.body["properties"]["roleDefinitionId"] = json!(shown);
        assert_same_shape(&answer.body, &want, &status.to_string());
    }
}

fn cosmos_path(example: &Value) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.DocumentDB/databaseAccounts/{}/sqlRoleAssignments/{}?api-version={}",
        parameter(example, "subscriptionId"),
        parameter(example, "resourceGroupName"),
        parameter(example, "accountName"),
        parameter(example, "roleAssignmentId"),
        parameter(example, "api-version")
    )
}

async fn cosmos_sandbox_for(example: &Value) -> Azure {
    let resource_group = parameter(example, "resourceGroupName");
    let options = AzureSandboxOptions {
        subscription_id: parameter(example, "subscriptionId").to_string(),
        resource_groups: vec![resource_group.to_string()],
        cosmos_provisioning_delay: Duration::from_secs(60),
        ..AzureSandboxOptions::default()
    }
    .with_cosmos_account(resource_group, parameter(example, "accountName"));
    Azure::with(options).await
}

#[tokio::test]
async fn cosmos_sql_role_assignment_create_answers_202_then_200_in_the_example_shape() {
    let example = fixture("cosmos-db-2025-10-15/CosmosDBSqlRoleAssignmentCreateUpdate.json");
    let azure = cosmos_sandbox_for(&example).await;
    let path = cosmos_path(&example);
    let body = &example["parameters"]["createUpdateSqlRoleAssignmentParameters"];
    let accepted = azure.put(&path, body).await;
    assert_eq!(accepted.status, 202);
    assert_eq!(accepted.body, Value::Null, "202 has an empty body");
    assert!(example["responses"]["202"].get("body").is_none());
    let operation = accepted
        .header("azure-asyncoperation")
        .expect("Azure-AsyncOperation header")
        .to_string();
    assert!(accepted.header("location").is_some());
    let before_poll = azure.get(&path).await;
    assert_eq!(
        before_poll.status, 404,
        "invisible until the operation is polled"
    );
    let status = azure
        .get(operation.trim_start_matches(&azure.sandbox.resource_manager_url()))
        .await;
    assert_eq!(
        (status.status, status.body["status"].as_str()),
        (200, Some("Succeeded"))
    );
    let visible = azure.get(&path).await;
    assert_eq!(visible.status, 200);
    assert_same_shape(
        &visible.body,
        &expected(&example, 200),
        "GET after the poll",
    );
    let again = azure.put(&path, body).await;
    assert_eq!(again.status, 200);
    assert_same_shape(&again.body, &expected(&example, 200), "200");
}

#[tokio::test]
async fn cosmos_sql_role_assignment_get_example_matches_once_its_provisioning_delay_passed() {
    let example = fixture("cosmos-db-2025-10-15/CosmosDBSqlRoleAssignmentGet.json");
    let resource_group = parameter(&example, "resourceGroupName");
    let clock = Clock::new();
    let options = AzureSandboxOptions {
        subscription_id: parameter(&example, "subscriptionId").to_string(),
        cosmos_provisioning_delay: Duration::from_secs(60),
        clock: clock.clone(),
        ..AzureSandboxOptions::default()
    }
    .with_cosmos_account(resource_group, parameter(&example, "accountName"));
    let azure = Azure::with(options).await;
    let want = expected(&example, 200);
    let path = cosmos_path(&example);
    assert_eq!(
        azure
            .put(&path, &json!({"properties": want["properties"]}))
            .await
            .status,
        202
    );
    assert_eq!(azure.get(&path).await.status, 404, "still provisioning");
    clock.advance(Duration::from_secs(61));
    let answer = azure.get(&path).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_same_shape(&answer.body, &want, "200");
    assert!(azure.sandbox.cosmos_role_assignments()[0].provisioned);
}

// ---------------------------------------------------------------------------------------------
// Resource Manager behaviour

#[tokio::test]
async fn a_request_without_a_bearer_token_gets_arm_authentication_failed() {
    let azure = Azure::start().await;
    let path = format!("{}?api-version={MSI}", azure.identity_path("id1"));
    let missing = azure.send(Method::GET, &path, None, None).await;
    assert_eq!(
        (missing.status, missing.code()),
        (401, "AuthenticationFailed")
    );
    assert_eq!(
        missing.message(),
        "Authentication failed. The 'Authorization' header is missing."
    );
    assert!(
        missing
            .header("www-authenticate")
            .is_some_and(|value| value.starts_with("Bearer "))
    );
    for bad in ["Basic dXNlcjpwYXNz", "Bearer ", "Bearer"] {
        let answer = azure.send(Method::GET, &path, None, Some(bad)).await;
        assert_eq!(
            (answer.status, answer.code()),
            (401, "AuthenticationFailed"),
            "{bad}"
        );
    }
    assert_eq!(
        azure.get(&path).await.status,
        404,
        "the administrator's token gets through"
    );
    let not_from_entra = azure
        .send(Method::GET, &path, None, Some("Bearer sandbox-test-token"))
        .await;
    assert_eq!(
        not_from_entra.error(),
        (401, "InvalidAuthenticationToken"),
        "only tokens the sandbox's Entra issued are accepted"
    );
}

#[tokio::test]
async fn identities_live_in_resource_groups_that_must_exist() {
    let azure = Azure::start().await;
    let elsewhere = format!(
        "/subscriptions/{}/resourceGroups/rg-missing/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1?api-version={MSI}",
        azure.subscription()
    );
    let answer = azure
        .put(&elsewhere, &json!({"location": "westeurope"}))
        .await;
    assert_eq!(
        (answer.status, answer.code()),
        (404, "ResourceGroupNotFound")
    );
    assert_eq!(
        answer.message(),
        "Resource group 'rg-missing' could not be found."
    );
    let group = format!(
        "/subscriptions/{}/resourcegroups/rg-missing?api-version=2021-04-01",
        azure.subscription()
    );
    assert_eq!(
        azure
            .put(&group, &json!({"location": "westeurope"}))
            .await
            .status,
        201
    );
    assert_eq!(
        azure
            .put(&group, &json!({"location": "westeurope"}))
            .await
            .status,
        200
    );
    assert_eq!(
        azure
            .put(&elsewhere, &json!({"location": "westeurope"}))
            .await
            .status,
        201
    );
    let other_subscription = elsewhere.replace(
        &azure.subscription(),
        "dddddddd-dddd-dddd-dddd-dddddddddddd",
    );
    assert_eq!(
        azure.get(&other_subscription).await.code(),
        "SubscriptionNotFound"
    );
}

#[tokio::test]
async fn identity_requests_are_checked_like_arm_checks_them() {
    let azure = Azure::start().await;
    let path = azure.identity_path("id1");
    let no_version = azure.put(&path, &json!({"location": "westeurope"})).await;
    assert_eq!(
        (no_version.status, no_version.code()),
        (400, "MissingApiVersionParameter")
    );
    let old_version = azure
        .get(&format!("{path}?api-version=2015-08-31-preview"))
        .await;
    assert_eq!(
        (old_version.status, old_version.code()),
        (400, "InvalidApiVersionParameter")
    );
    let no_location = azure
        .put(&format!("{path}?api-version={MSI}"), &json!({"tags": {}}))
        .await;
    assert_eq!(
        (no_location.status, no_location.code()),
        (400, "LocationRequired")
    );
    let not_json = azure
        .arm(
            Method::PUT,
            &format!("{path}?api-version={MSI}"),
            Some(&json!("{")),
        )
        .await;
    assert_eq!(
        (not_json.status, not_json.code()),
        (400, "InvalidRequestContent")
    );
    let bad_name = azure
        .put(
            &format!("{}?api-version={MSI}", azure.identity_path("-x")),
            &json!({"location": "westeurope"}),
        )
        .await;
    assert_eq!(bad_name.status, 400);

    let created = azure.create_identity("id1").await;
    assert_eq!(created["properties"]["isolationScope"], "None");
    let old = azure.get(&format!("{path}?api-version=2023-01-31")).await;
    assert!(
        old.body["properties"].get("isolationScope").is_none(),
        "2023-01-31 has no isolationScope"
    );
    assert_eq!(
        old.body["properties"]["clientId"],
        created["properties"]["clientId"]
    );
    let moved = azure
        .put(
            &format!("{path}?api-version={MSI}"),
            &json!({"location": "eastus"}),
        )
        .await;
    assert_eq!(
        (moved.status, moved.code()),
        (400, "InvalidResourceLocation")
    );
    assert_eq!(
        azure
            .delete(&format!("{path}?api-version={MSI}"))
            .await
            .status,
        200
    );
    assert_eq!(
        azure
            .delete(&format!("{path}?api-version={MSI}"))
            .await
            .status,
        204
    );
    assert_eq!(
        azure.get(&format!("{path}?api-version={MSI}")).await.code(),
        "ResourceNotFound"
    );
}

#[tokio::test]
async fn identity_lists_page_with_next_link() {
    let azure = Azure::with(AzureSandboxOptions {
        page_size: 2,
        ..AzureSandboxOptions::default()
    })
    .await;
    for name in ["id1", "id2", "id3"] {
        azure.create_identity(name).await;
    }
    azure.sandbox.insert_identity("rg-other", "id4").unwrap();
    let in_group = format!(
        "/subscriptions/{}/resourceGroups/{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version={MSI}",
        azure.subscription()
    );
    let first = azure.get(&in_group).await;
    assert_eq!(first.body["value"].as_array().unwrap().len(), 2);
    let next = first.body["nextLink"]
        .as_str()
        .unwrap()
        .trim_start_matches(&azure.sandbox.resource_manager_url())
        .to_string();
    let second = azure.get(&next).await;
    assert_eq!(second.body["value"].as_array().unwrap().len(), 1);
    assert!(second.body.get("nextLink").is_none());
    let in_subscription = format!(
        "/subscriptions/{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version={MSI}",
        azure.subscription()
    );
    let all = azure.get(&in_subscription).await;
    let more = azure
        .get(
            all.body["nextLink"]
                .as_str()
                .unwrap()
                .trim_start_matches(&azure.sandbox.resource_manager_url()),
        )
        .await;
    assert_eq!(
        all.body["value"].as_array().unwrap().len() + more.body["value"].as_array().unwrap().len(),
        4
    );
}

#[tokio::test]
async fn role_definitions_are_found_by_name_with_their_real_ids() {
    let azure = Azure::start().await;
    let scope = format!("/subscriptions/{}", azure.subscription());
    for (name, id) in [
        ("Storage Blob Data Reader", BLOB_READER),
        (
            "Storage Blob Data Contributor",
            "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
        ),
        (
            "Key Vault Secrets User",
            "4633458b-17de-408a-b874-0445c86b69e6",
        ),
        ("Reader", "acdd72a7-3c48-4bf8-b2b9-4a4ae4ac2bce"),
        ("Contributor", "b24988ac-6180-42a0-ab88-20f7382dd24c"),
        (
            "DocumentDB Account Contributor",
            "5bd9cd88-fe45-4216-938b-f97437e15450",
        ),
    ] {
        let filter =
            url::form_urlencoded::byte_serialize(format!("roleName eq '{name}'").as_bytes())
                .collect::<String>();
        let path = format!(
            "{scope}/providers/Microsoft.Authorization/roleDefinitions?$filter={filter}&api-version={AUTHORIZATION}"
        );
        let answer = azure.get(&path).await;
        assert_eq!(answer.status, 200);
        let value = answer.body["value"].as_array().unwrap();
        assert_eq!(value.len(), 1, "{name}");
        assert_eq!(value[0]["name"], id);
        assert_eq!(
            value[0]["id"],
            format!("{scope}/providers/Microsoft.Authorization/roleDefinitions/{id}")
        );
        assert_eq!(value[0]["properties"]["roleName"], name);
    }
    let unknown = azure
        .get(&format!("{scope}/providers/Microsoft.Authorization/roleDefinitions?$filter=roleName%20eq%20'Nope'&api-version={AUTHORIZATION}"))
        .await;
    assert_eq!(unknown.body, json!({"value": []}));
}

#[tokio::test]
async fn the_same_role_assignment_under_another_name_is_role_assignment_exists() {
    let azure = Azure::with(AzureSandboxOptions {
        principal_replication_delay: Duration::ZERO,
        ..AzureSandboxOptions::default()
    })
    .await;
    let principal = azure.create_identity("id1").await["properties"]["principalId"]
        .as_str()
        .unwrap()
        .to_string();
    let scope = format!("subscriptions/{}/resourceGroups/{RG}", azure.subscription());
    let name = guid();
    let created = azure.assign(&scope, &name, BLOB_READER, &principal).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["properties"]["scope"], format!("/{scope}"));
    assert_eq!(
        azure
            .assign(&format!("/{scope}"), &name, BLOB_READER, &principal)
            .await
            .status,
        200
    );
    let duplicate = azure.assign(&scope, &guid(), BLOB_READER, &principal).await;
    assert_eq!(
        (duplicate.status, duplicate.code()),
        (409, "RoleAssignmentExists")
    );
    assert_eq!(duplicate.message(), "The role assignment already exists.");
    let other = azure.create_identity("id2").await["properties"]["principalId"]
        .as_str()
        .unwrap()
        .to_string();
    let reused = azure.assign(&scope, &name, BLOB_READER, &other).await;
    assert_eq!(
        (reused.status, reused.code()),
        (400, "RoleAssignmentUpdateNotPermitted")
    );
    let not_a_guid = azure
        .assign(&scope, "my-assignment", BLOB_READER, &principal)
        .await;
    assert_eq!(
        (not_a_guid.status, not_a_guid.code()),
        (400, "InvalidRoleAssignmentId")
    );
    assert_eq!(assignments_of(&azure, &principal), 1);

    let listed = azure
        .get(&format!("/{scope}/providers/Microsoft.Authorization/roleAssignments?$filter=atScope()&api-version={AUTHORIZATION}"))
        .await;
    let principals: Vec<&str> = listed.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|assignment| assignment["properties"]["principalId"].as_str().unwrap())
        .collect();
    assert_eq!(
        principals,
        [azure.sandbox.admin_principal_id(), principal.as_str()],
        "the administrator's Owner assignment at the subscription is inherited"
    );
    let path = azure.role_assignment_path(&scope, &name);
    assert_eq!(azure.get(&path).await.status, 200);
    assert_eq!(azure.delete(&path).await.status, 200);
    assert_eq!(azure.delete(&path).await.status, 204);
    assert_eq!(azure.get(&path).await.code(), "RoleAssignmentNotFound");
}

#[tokio::test]
async fn a_fresh_principal_is_not_found_until_it_replicates() {
    let clock = Clock::new();
    let azure = Azure::with(AzureSandboxOptions {
        principal_replication_delay: Duration::from_secs(30),
        clock: clock.clone(),
        ..AzureSandboxOptions::default()
    })
    .await;
    let principal = azure.create_identity("id1").await["properties"]["principalId"]
        .as_str()
        .unwrap()
        .to_string();
    let scope = format!("/subscriptions/{}", azure.subscription());
    let name = guid();
    let early = azure.assign(&scope, &name, BLOB_READER, &principal).await;
    assert_eq!((early.status, early.code()), (400, "PrincipalNotFound"));
    assert!(early.message().contains(&format!(
        "does not exist in the directory {}",
        azure.sandbox.tenant_id()
    )));
    clock.advance(Duration::from_secs(31));
    assert_eq!(
        azure
            .assign(&scope, &name, BLOB_READER, &principal)
            .await
            .status,
        201
    );
}

/// The path below Resource Manager of an operation URL the sandbox handed out in a header.
fn operation_path(azure: &Azure, answer: &Answer, header: &str) -> String {
    answer
        .header(header)
        .unwrap_or_else(|| panic!("no {header} header"))
        .trim_start_matches(&azure.sandbox.resource_manager_url())
        .to_string()
}

#[tokio::test]
async fn a_cosmos_assignment_for_a_fresh_principal_is_accepted_then_fails_until_it_replicates() {
    let clock = Clock::new();
    let azure = Azure::with(
        AzureSandboxOptions {
            principal_replication_delay: Duration::from_secs(30),
            clock: clock.clone(),
            ..AzureSandboxOptions::default()
        }
        .with_cosmos_account(RG, "cosmos1"),
    )
    .await;
    let principal = azure.create_identity("id1").await["properties"]["principalId"]
        .as_str()
        .unwrap()
        .to_string();
    let account_id = format!(
        "/subscriptions/{}/resourceGroups/{RG}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos1",
        azure.subscription()
    );
    let name = guid();
    let path = format!("{account_id}/sqlRoleAssignments/{name}?api-version={COSMOS}");
    let body = json!({"properties": {
        "roleDefinitionId": format!("{account_id}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002"),
        "scope": account_id,
        "principalId": principal,
    }});

    // Same window as RBAC's PrincipalNotFound...
    let scope = format!("/subscriptions/{}", azure.subscription());
    let rbac = azure.assign(&scope, &guid(), BLOB_READER, &principal).await;
    assert_eq!(rbac.error(), (400, "PrincipalNotFound"));
    // ...but the write itself is accepted, and only its operation tells.
    let accepted = azure.put(&path, &body).await;
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    let status = azure
        .get(&operation_path(&azure, &accepted, "azure-asyncoperation"))
        .await;
    assert_eq!(status.status, 200, "reading the status succeeds");
    assert_eq!(status.body["status"], "Failed");
    assert_eq!(status.body["error"]["code"], "BadRequest");
    let message = status.body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "The provided principal ID [{principal}] was not found in the AAD tenant(s) [{}] which are associated with the customer's subscription.",
            azure.sandbox.tenant_id()
        )),
        "{message}"
    );
    let result = azure
        .get(&operation_path(&azure, &accepted, "location"))
        .await;
    assert_eq!(result.error(), (400, "BadRequest"), "{}", result.body);
    assert_eq!(result.message(), message);
    let read = azure.get(&path).await;
    assert_eq!(read.error(), (404, "NotFound"));
    assert!(
        read.message().starts_with(&format!(
            "Unable to find a SQL Role Assignment with ID [{name}]."
        )),
        "{}",
        read.message()
    );
    assert!(azure.sandbox.cosmos_role_assignments().is_empty());

    clock.advance(Duration::from_secs(31));
    let again = azure.put(&path, &body).await;
    assert_eq!(again.status, 202);
    let status = azure
        .get(&operation_path(&azure, &again, "azure-asyncoperation"))
        .await;
    assert_eq!(
        (status.status, status.body["status"].as_str()),
        (200, Some("Succeeded"))
    );
    let read = azure.get(&path).await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["properties"]["principalId"], principal.as_str());
    assert_eq!(azure.sandbox.cosmos_role_assignments().len(), 1);
}

#[tokio::test]
async fn concurrent_credential_writes_to_one_identity_conflict_while_two_identities_write_in_parallel()
 {
    let azure = Azure::with(AzureSandboxOptions {
        credential_write_hold: Duration::ZERO,
        ..AzureSandboxOptions::default()
    })
    .await;
    azure.sandbox.insert_identity(RG, "id1").unwrap();
    azure.sandbox.insert_identity(RG, "id2").unwrap();
    let issuer = "https://oidc.example.com/cluster1";
    let paused = azure.sandbox.pause_credential_writes();
    let first = azure.put_credential("id1", "fic-a", issuer, "system:serviceaccount:a:a");
    let second = async {
        wait_until("the first write is in progress", || {
            azure.sandbox.credential_writes_in_progress() == 1
        })
        .await;
        let conflict = azure
            .put_credential("id1", "fic-b", issuer, "system:serviceaccount:b:b")
            .await;
        drop(paused);
        conflict
    };
    let (first, conflict) = tokio::join!(first, second);
    assert_eq!((first.status, conflict.status), (201, 409));
    assert_eq!(
        conflict.code(),
        "ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity"
    );
    assert!(
        conflict.message().contains("/userassignedidentities/id1'"),
        "{}",
        conflict.message()
    );
    let paused = azure.sandbox.pause_credential_writes();
    let one = azure.put_credential("id1", "fic-c", issuer, "system:serviceaccount:c:c");
    let two = azure.put_credential("id2", "fic-c", issuer, "system:serviceaccount:c:c");
    let release = async {
        wait_until("both identities are written at once", || {
            azure.sandbox.credential_writes_in_progress() == 2
        })
        .await;
        drop(paused);
    };
    let (one, two, ()) = tokio::join!(one, two, release);
    assert_eq!((one.status, two.status), (201, 201));
    assert_eq!(azure.sandbox.federated_credentials(RG, "id1").len(), 2);
}

#[tokio::test]
async fn a_duplicate_issuer_and_subject_is_rejected_and_an_update_is_200() {
    let azure = Azure::with(AzureSandboxOptions {
        credential_write_hold: Duration::ZERO,
        ..AzureSandboxOptions::default()
    })
    .await;
    azure.sandbox.insert_identity(RG, "id1").unwrap();
    let issuer = "https://oidc.example.com/cluster1";
    assert_eq!(
        azure
            .put_credential("id1", "fic-a", issuer, SUBJECT)
            .await
            .status,
        201
    );
    let duplicate = azure.put_credential("id1", "fic-b", issuer, SUBJECT).await;
    assert_eq!(duplicate.status, 400);
    assert_eq!(
        duplicate.message(),
        "Issuer and subject combination already exists for this Managed Identity."
    );
    let updated = azure
        .put_credential(
            "id1",
            "fic-a",
            issuer,
            "system:serviceaccount:application1:other",
        )
        .await;
    assert_eq!(updated.status, 200);
    assert_eq!(
        azure.sandbox.federated_credentials(RG, "id1")[0].subject,
        "system:serviceaccount:application1:other"
    );
    assert_eq!(
        azure
            .delete(&azure.credential_path("id1", "fic-a"))
            .await
            .status,
        200
    );
    assert_eq!(
        azure
            .delete(&azure.credential_path("id1", "fic-a"))
            .await
            .status,
        204
    );
}

#[tokio::test]
async fn the_twenty_first_credential_is_rejected() {
    let azure = Azure::with(AzureSandboxOptions {
        credential_write_hold: Duration::ZERO,
        ..AzureSandboxOptions::default()
    })
    .await;
    azure.sandbox.insert_identity(RG, "id1").unwrap();
    for index in 0..20 {
        let answer = azure
            .put_credential(
                "id1",
                &format!("fic-{index}"),
                "https://oidc.example.com",
                &format!("system:serviceaccount:ns:sa{index}"),
            )
            .await;
        assert_eq!(answer.status, 201, "{index}: {}", answer.body);
    }
    let answer = azure
        .put_credential(
            "id1",
            "fic-20",
            "https://oidc.example.com",
            "system:serviceaccount:ns:sa20",
        )
        .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.message().contains("(20)"), "{}", answer.message());
    assert_eq!(
        azure
            .put_credential(
                "id1",
                "fic-0",
                "https://oidc.example.com",
                "system:serviceaccount:ns:new"
            )
            .await
            .status,
        200
    );
    assert_eq!(azure.sandbox.federated_credentials(RG, "id1").len(), 20);
}

#[tokio::test]
async fn credential_bodies_follow_the_managed_identity_rules() {
    let azure = Azure::with(AzureSandboxOptions {
        credential_write_hold: Duration::ZERO,
        ..AzureSandboxOptions::default()
    })
    .await;
    azure.sandbox.insert_identity(RG, "id1").unwrap();
    let path = azure.credential_path("id1", "fic-a");
    let properties = |issuer: Value, subject: Value, audiences: Value| json!({"properties": {"issuer": issuer, "subject": subject, "audiences": audiences}});
    let two_audiences = azure
        .put(
            &path,
            &properties(
                json!("https://x"),
                json!(SUBJECT),
                json!([AUDIENCE, "api://other"]),
            ),
        )
        .await;
    assert_eq!(
        (two_audiences.status, two_audiences.message()),
        (
            400,
            "Federated identity credentials must have exactly one audience."
        )
    );
    let no_issuer = azure
        .put(
            &path,
            &properties(Value::Null, json!(SUBJECT), json!([AUDIENCE])),
        )
        .await;
    assert_eq!(no_issuer.status, 400);
    let not_a_url = azure
        .put(
            &path,
            &properties(json!("oidc.example.com"), json!(SUBJECT), json!([AUDIENCE])),
        )
        .await;
    assert_eq!(not_a_url.status, 400);
    let no_subject = azure
        .put(
            &path,
            &properties(json!("https://x"), json!(""), json!([AUDIENCE])),
        )
        .await;
    assert_eq!(no_subject.status, 400);
    let bad_name = azure
        .put(
            &azure.credential_path("id1", "a.b"),
            &properties(json!("https://x"), json!(SUBJECT), json!([AUDIENCE])),
        )
        .await;
    assert_eq!(
        (bad_name.status, bad_name.message()),
        (400, "Federated Identity Credential name 'a.b' is invalid.")
    );
    let orphan = azure
        .put(
            &azure.credential_path("id-missing", "fic-a"),
            &properties(json!("https://x"), json!(SUBJECT), json!([AUDIENCE])),
        )
        .await;
    assert_eq!(
        (orphan.status, orphan.message()),
        (404, "The parent user-assigned identity doesn't exist.")
    );
    assert!(azure.sandbox.federated_credentials(RG, "id1").is_empty());
    let missing = azure.get(&path).await;
    assert_eq!((missing.status, missing.code()), (404, "ResourceNotFound"));
}

#[tokio::test]
async fn a_cosmos_assignment_needs_its_account() {
    let azure = Azure::start().await;
    let path = format!(
        "/subscriptions/{}/resourceGroups/{RG}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos1/sqlRoleAssignments/{}?api-version={COSMOS}",
        azure.subscription(),
        guid()
    );
    let account_id = format!(
        "/subscriptions/{}/resourceGroups/{RG}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos1",
        azure.subscription()
    );
    let body = json!({"properties": {
        "roleDefinitionId": format!("{account_id}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002"),
        "scope": account_id,
        "principalId": guid(),
    }});
    let missing = azure.put(&path, &body).await;
    assert_eq!((missing.status, missing.code()), (404, "ResourceNotFound"));
    assert_eq!(
        azure.sandbox.insert_cosmos_account(RG, "cosmos1"),
        account_id
    );
    assert_eq!(azure.put(&path, &body).await.status, 202);
    let definitions = azure
        .get(&format!(
            "{account_id}/sqlRoleDefinitions?api-version={COSMOS}"
        ))
        .await;
    let names: Vec<&str> = definitions.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|role| role["properties"]["roleName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Cosmos DB Built-in Data Reader",
            "Cosmos DB Built-in Data Contributor"
        ]
    );
}

#[tokio::test]
async fn faults_answer_429_with_retry_after_and_500_before_any_effect() {
    let azure = Azure::start().await;
    let path = format!("{}?api-version={MSI}", azure.identity_path("id1"));
    azure.sandbox.set_faults(Faults {
        throttle_probability: 1.0,
        retry_after_seconds: 7,
        ..Faults::none()
    });
    let throttled = azure.put(&path, &json!({"location": "westeurope"})).await;
    assert_eq!(
        (throttled.status, throttled.code()),
        (429, "TooManyRequests")
    );
    assert_eq!(throttled.header("retry-after"), Some("7"));
    azure.sandbox.set_faults(Faults {
        server_error_probability: 1.0,
        ..Faults::none()
    });
    let failed = azure.put(&path, &json!({"location": "westeurope"})).await;
    assert_eq!((failed.status, failed.code()), (500, "InternalServerError"));
    assert!(
        azure.sandbox.identities().is_empty(),
        "a fault has no effect"
    );
    azure.sandbox.set_faults(Faults::none());
    assert_eq!(
        azure
            .put(&path, &json!({"location": "westeurope"}))
            .await
            .status,
        201
    );
}

/// Retries 429 and 500 as azure_core's retry policy does (without the waiting).
async fn with_retries(azure: &Azure, method: Method, path: &str, body: Option<&Value>) -> Answer {
    for _ in 0..100 {
        let answer = azure.arm(method.clone(), path, body).await;
        if answer.status != 429 && answer.status != 500 {
            return answer;
        }
        if answer.status == 429 {
            assert!(answer.header("retry-after").is_some());
        }
    }
    panic!("{method} {path} never got through");
}

#[tokio::test]
async fn a_retrying_client_converges_under_random_faults_without_duplicates() {
    let faults = Faults {
        throttle_probability: 0.3,
        server_error_probability: 0.2,
        retry_after_seconds: 0,
        seed: 42,
    };
    let azure = Azure::with(AzureSandboxOptions {
        faults,
        principal_replication_delay: Duration::ZERO,
        credential_write_hold: Duration::ZERO,
        ..AzureSandboxOptions::default()
    })
    .await;
    let scope = format!(
        "/subscriptions/{}/resourceGroups/{RG}",
        azure.subscription()
    );
    let assignment = guid();
    for _run in 0..2 {
        let identity = with_retries(
            &azure,
            Method::PUT,
            &format!("{}?api-version={MSI}", azure.identity_path("id1")),
            Some(&json!({"location": "westeurope"})),
        )
        .await;
        assert!(matches!(identity.status, 200 | 201));
        let principal = identity.body["properties"]["principalId"]
            .as_str()
            .unwrap()
            .to_string();
        let credential = json!({"properties": {"issuer": "https://oidc.example.com", "subject": SUBJECT, "audiences": [AUDIENCE]}});
        let written = with_retries(
            &azure,
            Method::PUT,
            &azure.credential_path("id1", "kwif"),
            Some(&credential),
        )
        .await;
        assert!(matches!(written.status, 200 | 201), "{}", written.body);
        let role = json!({"properties": {
            "roleDefinitionId": format!("/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/{BLOB_READER}", azure.subscription()),
            "principalId": principal,
            "principalType": "ServicePrincipal",
        }});
        let assigned = with_retries(
            &azure,
            Method::PUT,
            &azure.role_assignment_path(&scope, &assignment),
            Some(&role),
        )
        .await;
        assert!(matches!(assigned.status, 200 | 201), "{}", assigned.body);
    }
    assert_eq!(azure.sandbox.identities().len(), 1);
    assert_eq!(azure.sandbox.federated_credentials(RG, "id1").len(), 1);
    assert_eq!(assignments_of(&azure, &principal_of(&azure, "id1")), 1);
    let log = azure.sandbox.request_log();
    assert!(
        log.iter().any(|record| record.status == 429)
            && log.iter().any(|record| record.status == 500)
    );
}

#[tokio::test]
async fn the_request_log_keeps_method_path_api_version_and_status() {
    let azure = Azure::start().await;
    azure.create_identity("id1").await;
    let log = azure.sandbox.request_log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].method, "PUT");
    assert_eq!(log[0].path, azure.identity_path("id1"));
    assert_eq!(log[0].api_version.as_deref(), Some(MSI));
    assert_eq!(log[0].status, 201);
}

// ---------------------------------------------------------------------------------------------
// The Entra token endpoint, with the issuer's documents on a sandbox static host

/// A cluster issuer on a static host, an identity with a federated credential for it, and the
/// sandbox trusting the host's CA.
struct Federation {
    azure: Azure,
    issuer_host: Issuer,
    issuer: String,
    client_id: String,
}

impl Federation {
    async fn start() -> Federation {
        Federation::with(AzureSandboxOptions::default(), true).await
    }

    async fn with(options: AzureSandboxOptions, trust_issuer: bool) -> Federation {
        let issuer_host = Issuer::start().await;
        let issuer = issuer_host.url.clone();
        let options = match trust_issuer {
            true => options.with_extra_ca_pem(issuer_host.ca_pem()),
            false => options,
        };
        let azure = Azure::with(options).await;
        let identity = azure.sandbox.insert_identity(RG, "id1").unwrap();
        azure
            .sandbox
            .insert_federated_credential(RG, "id1", "kwif-application1", &issuer, SUBJECT, AUDIENCE)
            .unwrap();
        Federation {
            azure,
            issuer_host,
            issuer,
            client_id: identity.client_id,
        }
    }

    fn assertion(&self) -> String {
        sign(&assertion_claims(&self.issuer), RSA_KEY)
    }

    async fn exchange(&self, assertion: &str) -> Answer {
        self.exchange_as(&self.client_id, assertion, MANAGEMENT_SCOPE)
            .await
    }

    async fn exchange_as(&self, client_id: &str, assertion: &str, scope: &str) -> Answer {
        self.azure.exchange(client_id, assertion, scope).await
    }
}

/// The members of azure.md §7's error body, and the description's three trailing lines.
fn assert_entra_error(answer: &Answer, status: u16, error: &str, code: u64) {
    assert_eq!(
        (
            answer.status,
            answer.body["error"].as_str(),
            answer.aadsts()
        ),
        (status, Some(error), code),
        "{}",
        answer.body
    );
    let mut keys: Vec<&str> = answer
        .body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "correlation_id",
            "error",
            "error_codes",
            "error_description",
            "error_uri",
            "timestamp",
            "trace_id"
        ]
    );
    let description = answer.description();
    assert!(
        description.starts_with(&format!("AADSTS{code}: ")),
        "{description}"
    );
    let trace = answer.body["trace_id"].as_str().unwrap();
    let correlation = answer.body["correlation_id"].as_str().unwrap();
    let timestamp = answer.body["timestamp"].as_str().unwrap();
    assert!(
        description.ends_with(&format!(
            "\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {timestamp}"
        )),
        "{description}"
    );
    assert_eq!(
        answer.body["error_uri"],
        format!("https://login.microsoftonline.com/error?code={code}")
    );
}

#[tokio::test]
async fn a_valid_assertion_is_exchanged_for_an_access_token() {
    let federation = Federation::start().await;
    let assertion = federation.assertion();
    let answer = federation.exchange(&assertion).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["token_type"], "Bearer");
    assert_eq!(
        (
            answer.body["expires_in"].as_u64(),
            answer.body["ext_expires_in"].as_u64()
        ),
        (Some(3599), Some(3599))
    );
    let token = answer.body["access_token"].as_str().unwrap();
    let jwt = Token::parse(token);
    let jwks = jwk_set(
        federation
            .azure
            .sandbox
            .access_token_jwks()
            .to_string()
            .as_bytes(),
    );
    assert!(
        jwt.verify(&jwks).is_ok(),
        "signed with the sandbox tenant's key"
    );
    let identity = federation.azure.sandbox.identity(RG, "id1").unwrap();
    assert_eq!(jwt.claims()["oid"], identity.principal_id.as_str());
    assert_eq!(jwt.claims()["tid"], federation.azure.sandbox.tenant_id());
    assert_eq!(jwt.claims()["appid"], identity.client_id.as_str());
    assert_eq!(jwt.claims()["xms_mirid"], identity.id.as_str());
    assert_eq!(jwt.audiences(), ["https://management.azure.com"]);
    let log = format!("{:?}", federation.azure.sandbox.request_log());
    assert!(
        !log.contains(&assertion) && !log.contains(token),
        "no token in the request log"
    );
    let published = federation
        .azure
        .client
        .get(format!(
            "{}{}/discovery/v2.0/keys",
            federation.azure.sandbox.authority_host(),
            federation.azure.sandbox.tenant_id()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(published.status(), 200);
}

#[tokio::test]
async fn an_issuer_differing_by_a_trailing_slash_is_700211() {
    let federation = Federation::start().await;
    let with_slash = format!("{}/", federation.issuer);
    let answer = federation
        .exchange(&sign(&assertion_claims(&with_slash), RSA_KEY))
        .await;
    assert_entra_error(&answer, 401, "invalid_client", 700211);
    assert!(
        answer
            .description()
            .contains(&format!("assertion issuer '{with_slash}'"))
    );

    // And the other way round: the credential has the slash, the token does not.
    let azure = &federation.azure;
    azure.sandbox.insert_identity(RG, "id2").unwrap();
    azure
        .sandbox
        .insert_federated_credential(RG, "id2", "with-slash", &with_slash, SUBJECT, AUDIENCE)
        .unwrap();
    let client_id = azure.sandbox.identity(RG, "id2").unwrap().client_id;
    let answer = federation
        .exchange_as(
            &client_id,
            &federation.assertion(),
            "https://management.azure.com/.default",
        )
        .await;
    assert_entra_error(&answer, 401, "invalid_client", 700211);
}

#[tokio::test]
async fn a_wrong_subject_is_700213_and_a_case_only_difference_is_named() {
    let federation = Federation::start().await;
    let mut wrong = assertion_claims(&federation.issuer);
    wrong["sub"] = json!("system:serviceaccount:default:default");
    let answer = federation.exchange(&sign(&wrong, RSA_KEY)).await;
    assert_entra_error(&answer, 401, "invalid_client", 700213);
    assert!(
        answer
            .description()
            .contains("subject 'system:serviceaccount:default:default'")
    );
    let mut upper = assertion_claims(&federation.issuer);
    upper["sub"] = json!(SUBJECT.to_uppercase());
    let answer = federation.exchange(&sign(&upper, RSA_KEY)).await;
    assert_entra_error(&answer, 401, "invalid_client", 7002138);
    assert!(
        answer
            .description()
            .contains("case-insensitive comparison, but not with case-sensitive")
    );
}

#[tokio::test]
async fn a_token_for_another_audience_is_700212() {
    let federation = Federation::start().await;
    let mut default_audience = assertion_claims(&federation.issuer);
    default_audience["aud"] = json!(["https://kubernetes.default.svc"]);
    let answer = federation.exchange(&sign(&default_audience, RSA_KEY)).await;
    assert_entra_error(&answer, 401, "invalid_client", 700212);
    assert!(
        answer
            .description()
            .contains("audience 'https://kubernetes.default.svc'")
    );
}

#[tokio::test]
async fn a_token_signed_by_an_unpublished_key_is_7000272() {
    let federation = Federation::start().await;
    let other_kid = kid_of(OTHER_RSA_KEY);
    let answer = federation
        .exchange(&sign_as(
            &assertion_claims(&federation.issuer),
            OTHER_RSA_KEY,
            &other_kid,
        ))
        .await;
    assert_entra_error(&answer, 401, "invalid_client", 7000272);
    assert!(answer.description().contains(&format!(
        "The certificate with identifier {other_kid} used to sign the federated credential could not be found in the metadata of identity provider {}",
        federation.issuer
    )));
    // Another key under the published kid: the signature fails instead.
    let forged = sign_as(
        &assertion_claims(&federation.issuer),
        OTHER_RSA_KEY,
        &kid_of(RSA_KEY),
    );
    assert_entra_error(
        &federation.exchange(&forged).await,
        400,
        "invalid_request",
        50027,
    );
}

#[tokio::test]
async fn an_expired_assertion_is_700024_with_the_times() {
    let federation = Federation::start().await;
    let mut expired = assertion_claims(&federation.issuer);
    expired["iat"] = json!(now() - 7200);
    expired["nbf"] = json!(now() - 7200);
    expired["exp"] = json!(now() - 3600);
    let answer = federation.exchange(&sign(&expired, RSA_KEY)).await;
    assert_entra_error(&answer, 401, "invalid_client", 700024);
    let description = answer.description();
    assert!(
        description.contains("Client assertion is not within its valid time range. Current time: "),
        "{description}"
    );
    assert!(
        description.contains(", assertion valid from ")
            && description.contains(", expiry time of assertion ")
    );
}

#[tokio::test]
async fn missing_or_untrusted_issuer_documents_are_90061() {
    let federation = Federation::start().await;
    std::fs::remove_file(federation.issuer_host.document("openid/v1/jwks")).unwrap();
    let answer = federation.exchange(&federation.assertion()).await;
    assert_entra_error(&answer, 400, "invalid_request", 90061);
    assert!(
        answer
            .description()
            .starts_with("AADSTS90061: Request to External OIDC endpoint failed.")
    );

    let untrusted = Federation::with(AzureSandboxOptions::default(), false).await;
    assert_entra_error(
        &untrusted.exchange(&untrusted.assertion()).await,
        400,
        "invalid_request",
        90061,
    );
    let ca = untrusted.issuer_host.ca_pem().to_string();
    untrusted.azure.sandbox.trust_ca_pem(&ca).unwrap();
    assert_eq!(
        untrusted.exchange(&untrusted.assertion()).await.status,
        200,
        "trusted once the CA is added"
    );
}

#[tokio::test]
async fn a_credential_still_propagating_is_70021_then_works() {
    let federation = Federation::start().await;
    let azure = &federation.azure;
    azure
        .sandbox
        .set_credential_propagation(Duration::from_secs(120));
    azure.create_identity("id2").await;
    let written = azure
        .put_credential("id2", "kwif-application1", &federation.issuer, SUBJECT)
        .await;
    assert_eq!(written.status, 201);
    let client_id = azure.sandbox.identity(RG, "id2").unwrap().client_id;
    let assertion = federation.assertion();
    let exchange = || {
        federation.exchange_as(
            &client_id,
            &assertion,
            "https://management.azure.com/.default",
        )
    };
    let early = exchange().await;
    assert_entra_error(&early, 400, "invalid_request", 70021);
    assert!(early.description().contains(
        "No matching federated identity record found for presented assertion. Assertion Issuer: '"
    ));
    azure.sandbox.clock().advance(Duration::from_secs(121));
    assert_eq!(exchange().await.status, 200);
}

#[tokio::test]
async fn malformed_exchanges_get_entras_request_errors() {
    let federation = Federation::start().await;
    let assertion = federation.assertion();
    let no_default = federation
        .exchange_as(
            &federation.client_id,
            &assertion,
            "https://management.azure.com",
        )
        .await;
    assert_entra_error(&no_default, 400, "invalid_scope", 70011);
    let two_resources = federation
        .exchange_as(
            &federation.client_id,
            &assertion,
            "https://a/.default https://b/.default",
        )
        .await;
    assert_entra_error(&two_resources, 400, "invalid_scope", 70011);
    let unknown_client = federation
        .exchange_as(&guid(), &assertion, "https://management.azure.com/.default")
        .await;
    assert_entra_error(&unknown_client, 400, "unauthorized_client", 700016);
    assert_entra_error(
        &federation.exchange("not-a-jwt").await,
        400,
        "invalid_request",
        50027,
    );
    let wrong_tenant = federation
        .azure
        .token(&guid(), &[("grant_type", "client_credentials")])
        .await;
    assert_entra_error(&wrong_tenant, 400, "invalid_request", 90002);
    let no_grant = federation
        .azure
        .token(federation.azure.sandbox.tenant_id(), &[("client_id", "x")])
        .await;
    assert_entra_error(&no_grant, 400, "invalid_request", 900144);
    assert!(
        !federation
            .azure
            .sandbox
            .request_log()
            .iter()
            .any(|record| record.path.contains(&assertion))
    );
}

fn principal_of(azure: &Azure, identity: &str) -> String {
    azure.sandbox.identity(RG, identity).unwrap().principal_id
}

/// How many role assignments name `principal`.
fn assignments_of(azure: &Azure, principal: &str) -> usize {
    azure
        .sandbox
        .role_assignments()
        .iter()
        .filter(|assignment| assignment.principal_id == principal)
        .count()
}
