//! The list calls a picker makes, answered as Resource Manager answers them: subscriptions and
//! tenants, locations, resource groups, role definitions (built-in and custom, filtered), Cosmos
//! DB and storage accounts — checked against the spec examples, paged with `nextLink` where
//! ARM pages.

use reqwest::Method;
use serde_json::{Value, json};

use kwif_sandbox::azure::{AzureSandboxOptions, CustomRole, DirectoryNames};

use crate::azure_client::{
    AUDIENCE, Answer, Azure, Issuer, MANAGEMENT_SCOPE, RG, SUBJECT, spec_example,
};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/azure-rest-api-specs/"
);
const SUBSCRIPTIONS: &str = "2022-12-01";
const RESOURCE_GROUPS: &str = "2024-03-01";
const AUTHORIZATION: &str = "2022-04-01";
const COSMOS: &str = "2025-10-15";
const STORAGE: &str = "2025-06-01";

/// The first item of an example's 200 body: its `value[0]`, or the body itself.
fn example_item(name: &str) -> Value {
    let body = spec_example(FIXTURES, name)["responses"]["200"]["body"].clone();
    match body.get("value") {
        Some(value) => value[0].clone(),
        None => body,
    }
}

/// Every member the sandbox answers is one the example (or one of the examples, merged) has,
/// at every level; list items are compared with the example's first.
fn assert_members_known(actual: &Value, known: &Value, at: &str) {
    match (actual, known) {
        (Value::Object(actual), Value::Object(known)) => {
            for (name, value) in actual {
                let Some(expected) = known.get(name) else {
                    panic!("{at}.{name} is in no example");
                };
                assert_members_known(value, expected, &format!("{at}.{name}"));
            }
        }
        (Value::Array(actual), Value::Array(known)) if !known.is_empty() => {
            for (index, item) in actual.iter().enumerate() {
                assert_members_known(item, &known[0], &format!("{at}[{index}]"));
            }
        }
        _ => {}
    }
}

/// Two examples' items as one: members of either.
fn merged(a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            let mut members = a.clone();
            for (name, value) in b {
                let entry = members.entry(name.clone()).or_insert(Value::Null);
                *entry = match entry.is_null() {
                    true => value.clone(),
                    false => merged(entry, value),
                };
            }
            Value::Object(members)
        }
        (a, _) => a.clone(),
    }
}

/// All items of a list, following `nextLink` to the end; returns them and how many pages it took.
async fn all_pages(azure: &Azure, path: &str) -> (Vec<Value>, usize) {
    let mut answer = azure.arm(Method::GET, path, None).await;
    let mut items = Vec::new();
    let mut pages = 0;
    loop {
        assert_eq!(answer.status, 200, "{}", answer.body);
        pages += 1;
        items.extend(answer.body["value"].as_array().unwrap().iter().cloned());
        let Some(next) = answer.body["nextLink"].as_str().map(str::to_string) else {
            return (items, pages);
        };
        answer = azure.send_to(Method::GET, &next, None).await;
    }
}

fn names(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|item| item["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_subscription_and_tenant_are_listed_in_the_spec_examples_shape() {
    let azure = Azure::with(AzureSandboxOptions {
        directory: DirectoryNames {
            subscription: "Contoso Production".into(),
            ..DirectoryNames::default()
        },
        ..AzureSandboxOptions::default()
    })
    .await;
    let subscription = azure.subscription();
    let tenant = azure.sandbox.tenant_id().to_string();
    let listed = azure
        .arm(
            Method::GET,
            &format!("/subscriptions?api-version={SUBSCRIPTIONS}"),
            None,
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let value = listed.body["value"].as_array().unwrap();
    assert_eq!(value.len(), 1);
    let item = &value[0];
    assert_eq!(
        (
            &item["subscriptionId"],
            &item["tenantId"],
            &item["displayName"],
            &item["state"]
        ),
        (
            &json!(subscription),
            &json!(tenant),
            &json!("Contoso Production"),
            &json!("Enabled")
        )
    );
    assert_eq!(item["id"], format!("/subscriptions/{subscription}"));
    assert!(listed.body.get("nextLink").is_none());
    assert_members_known(
        item,
        &example_item("subscriptions-2019-11-01/GetSubscriptions.json"),
        "subscription",
    );

    let one = azure
        .arm(
            Method::GET,
            &format!("/subscriptions/{subscription}?api-version={SUBSCRIPTIONS}"),
            None,
        )
        .await;
    assert_eq!((one.status, &one.body), (200, item));
    let other = azure
        .arm(
            Method::GET,
            &format!(
                "/subscriptions/{}?api-version={SUBSCRIPTIONS}",
                crate::azure_client::guid()
            ),
            None,
        )
        .await;
    assert_eq!(other.error(), (404, "SubscriptionNotFound"));

    let tenants = azure
        .arm(
            Method::GET,
            &format!("/tenants?api-version={SUBSCRIPTIONS}"),
            None,
        )
        .await;
    assert_eq!(tenants.status, 200, "{}", tenants.body);
    let home = &tenants.body["value"][0];
    assert_eq!(tenants.body["value"].as_array().unwrap().len(), 1);
    assert_eq!(
        (&home["tenantId"], &home["tenantCategory"], &home["id"]),
        (
            &json!(tenant),
            &json!("Home"),
            &json!(format!("/tenants/{tenant}"))
        )
    );
    assert_eq!(home["domains"], json!([home["defaultDomain"]]));
    assert_members_known(
        home,
        &example_item("subscriptions-2022-12-01/GetTenants.json"),
        "tenant",
    );
    let unversioned = azure.arm(Method::GET, "/tenants", None).await;
    assert_eq!(unversioned.error(), (400, "MissingApiVersionParameter"));
}

#[tokio::test]
async fn a_workload_identity_sees_the_subscription_once_it_holds_a_role_in_it() {
    let issuer = Issuer::start().await;
    let azure =
        Azure::with(AzureSandboxOptions::default().with_extra_ca_pem(issuer.ca_pem())).await;
    let identity = azure.sandbox.insert_identity(RG, "id1").unwrap();
    azure
        .sandbox
        .insert_federated_credential(RG, "id1", "kwif", &issuer.url, SUBJECT, AUDIENCE)
        .unwrap();
    let answer = azure
        .exchange(&identity.client_id, &issuer.assertion(), MANAGEMENT_SCOPE)
        .await;
    let token = format!("Bearer {}", answer.body["access_token"].as_str().unwrap());
    let list = || async {
        let path = format!("/subscriptions?api-version={SUBSCRIPTIONS}");
        azure.send(Method::GET, &path, None, Some(&token)).await
    };
    assert_eq!(list().await.body, json!({"value": []}));
    let reader = format!(
        "/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3c48-4bf8-b2b9-4a4ae4ac2bce",
        azure.subscription()
    );
    let group = format!(
        "/subscriptions/{}/resourceGroups/{RG}",
        azure.subscription()
    );
    azure
        .sandbox
        .insert_role_assignment(&group, &reader, &identity.principal_id);
    let listed: Answer = list().await;
    assert_eq!(
        listed.body["value"][0]["subscriptionId"],
        azure.subscription()
    );
}

#[tokio::test]
async fn locations_list_realistic_regions_as_the_example_shows_them() {
    let azure = Azure::with(AzureSandboxOptions {
        page_size: 5,
        ..AzureSandboxOptions::default()
    })
    .await;
    let subscription = azure.subscription();
    let (regions, pages) = all_pages(
        &azure,
        &format!("/subscriptions/{subscription}/locations?api-version={SUBSCRIPTIONS}"),
    )
    .await;
    assert!(pages > 1, "paged with nextLink");
    let mut unique = names(&regions);
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), regions.len(), "each region once");

    let example = spec_example(FIXTURES, "subscriptions-2022-12-01/GetLocations.json");
    let example_subscription = example["parameters"]["subscriptionId"].as_str().unwrap();
    for expected in example["responses"]["200"]["body"]["value"]
        .as_array()
        .unwrap()
    {
        let mut expected: Value = serde_json::from_str(
            &expected
                .to_string()
                .replace(example_subscription, &subscription),
        )
        .unwrap();
        let zones = expected
            .as_object_mut()
            .unwrap()
            .remove("availabilityZoneMappings");
        let mut actual = regions
            .iter()
            .find(|region| region["name"] == expected["name"])
            .unwrap()
            .clone();
        let actual_zones = actual
            .as_object_mut()
            .unwrap()
            .remove("availabilityZoneMappings");
        assert_eq!(actual, expected);
        // The physical zone behind a logical one differs per subscription.
        assert_eq!(
            actual_zones.unwrap().as_array().unwrap().len(),
            zones.unwrap().as_array().unwrap().len()
        );
    }
    let west_europe = regions
        .iter()
        .find(|region| region["name"] == "westeurope")
        .unwrap();
    assert_eq!(west_europe["displayName"], "West Europe");
    assert_eq!(west_europe["regionalDisplayName"], "(Europe) West Europe");
    assert_eq!(
        west_europe["metadata"]["pairedRegion"][0]["name"],
        "northeurope"
    );
    let example_item = example["responses"]["200"]["body"]["value"][0].clone();
    for region in &regions {
        assert_members_known(region, &example_item, region["name"].as_str().unwrap());
        let kind = region["metadata"]["regionType"].as_str().unwrap();
        assert!(kind == "Physical" || kind == "Logical", "{region}");
    }
    assert!(
        regions
            .iter()
            .any(|region| region["metadata"]["regionType"] == "Logical")
    );

    let older = azure
        .arm(
            Method::GET,
            &format!("/subscriptions/{subscription}/locations?api-version=2021-01-01"),
            None,
        )
        .await;
    assert!(
        older.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .all(|region| region.get("availabilityZoneMappings").is_none()),
        "zone mappings came with 2022-12-01"
    );
}

#[tokio::test]
async fn resource_groups_list_pages_by_top_and_next_link_in_the_get_shape() {
    let azure = Azure::start().await;
    for name in ["rg-b", "rg-c", "rg-a"] {
        assert!(azure.sandbox.insert_resource_group(name));
    }
    let subscription = azure.subscription();
    let (groups, pages) = all_pages(
        &azure,
        &format!(
            "/subscriptions/{subscription}/resourcegroups?api-version={RESOURCE_GROUPS}&$top=2"
        ),
    )
    .await;
    assert_eq!(pages, 2);
    assert_eq!(names(&groups), ["rg-a", "rg-application1", "rg-b", "rg-c"]);
    let one = azure
        .arm(
            Method::GET,
            &format!(
                "/subscriptions/{subscription}/resourceGroups/rg-a?api-version={RESOURCE_GROUPS}"
            ),
            None,
        )
        .await;
    assert_eq!(groups[0], one.body);
}

#[tokio::test]
async fn role_definitions_list_built_ins_and_custom_roles_applicable_at_the_scope() {
    let azure = Azure::with(
        AzureSandboxOptions {
            page_size: 3,
            ..AzureSandboxOptions::default()
        }
        .with_custom_role(CustomRole::new(
            "Application1 Config Reader",
            "Reads application1's settings",
            &["Microsoft.AppConfiguration/configurationStores/read"],
            &["Microsoft.AppConfiguration/configurationStores/*/read"],
        )),
    )
    .await;
    assert!(azure.sandbox.insert_resource_group("rg-other"));
    let subscription = azure.subscription();
    let custom = azure.sandbox.custom_roles()[0].clone();
    let list = |scope: String, filter: &str| {
        let azure = &azure;
        let filter: String = url::form_urlencoded::byte_serialize(filter.as_bytes()).collect();
        async move {
            let path = format!(
                "{scope}/providers/Microsoft.Authorization/roleDefinitions?api-version={AUTHORIZATION}&$filter={filter}"
            );
            all_pages(azure, &path).await
        }
    };
    let subscription_scope = format!("/subscriptions/{subscription}");
    let (all, pages) = list(subscription_scope.clone(), "").await;
    assert!(pages > 1, "paged with nextLink");
    // The service also returns the read-only times and authors that the 2022-05-01-preview
    // spec declares in RoleDefinitionProperties (createdOn, updatedOn, createdBy, updatedBy).
    let example = merged(
        &example_item("authorization-2022-04-01/GetRoleDefinitionById.json"),
        &json!({"properties": {"createdOn": "", "updatedOn": "", "createdBy": "", "updatedBy": ""}}),
    );
    for definition in &all {
        assert_members_known(definition, &example, definition["name"].as_str().unwrap());
    }
    let mine = all
        .iter()
        .find(|definition| definition["name"] == custom.id.as_str())
        .unwrap();
    assert_eq!(mine["properties"]["type"], "CustomRole");
    assert_eq!(mine["properties"]["roleName"], "Application1 Config Reader");
    assert_eq!(
        mine["properties"]["assignableScopes"],
        json!([subscription_scope])
    );
    assert_eq!(
        mine["id"],
        format!(
            "{subscription_scope}/providers/Microsoft.Authorization/roleDefinitions/{}",
            custom.id
        )
    );
    let built_in = all
        .iter()
        .filter(|d| d["properties"]["type"] == "BuiltInRole")
        .count();
    assert_eq!(built_in + 1, all.len());

    let (customs, _) = list(subscription_scope.clone(), "type eq 'CustomRole'").await;
    assert_eq!(names(&customs), [custom.id.as_str()]);
    let (built_ins, _) = list(subscription_scope.clone(), "type eq 'BuiltInRole'").await;
    assert_eq!(built_ins.len(), built_in);
    let (by_name, _) = list(
        subscription_scope.clone(),
        "roleName eq 'Application1 Config Reader'",
    )
    .await;
    assert_eq!(names(&by_name), [custom.id.as_str()]);
    // Applicable at a group below its assignable scope...
    let (at_group, _) = list(
        format!("{subscription_scope}/resourceGroups/rg-other"),
        "type eq 'CustomRole'",
    )
    .await;
    assert_eq!(at_group.len(), 1);
    // ...and one assignable only in a group is listed there, or at the subscription when the
    // filter asks for atScopeAndBelow().
    let group_only = azure.sandbox.insert_custom_role(CustomRole {
        assignable_scopes: vec![format!("{subscription_scope}/resourceGroups/rg-other")],
        ..CustomRole::new("Ops", "Operates rg-other", &["*/read"], &[])
    });
    let (at_group, _) = list(
        format!("{subscription_scope}/resourceGroups/rg-other"),
        "type eq 'CustomRole'",
    )
    .await;
    assert_eq!(at_group.len(), 2);
    let (at_subscription, _) = list(subscription_scope.clone(), "type eq 'CustomRole'").await;
    assert_eq!(names(&at_subscription), [custom.id.as_str()]);
    let (below, _) = list(
        subscription_scope.clone(),
        "atScopeAndBelow() and type eq 'CustomRole'",
    )
    .await;
    assert_eq!(names(&below), [custom.id.clone(), group_only.id.clone()]);
    let read = azure
        .arm(
            Method::GET,
            &format!("{subscription_scope}/providers/Microsoft.Authorization/roleDefinitions/{}?api-version={AUTHORIZATION}", custom.id),
            None,
        )
        .await;
    assert_eq!((read.status, &read.body), (200, mine));

    // An assignment of the custom role grants its permission block.
    let definition_id = mine["id"].as_str().unwrap();
    azure.sandbox.insert_role_assignment(
        &format!("{subscription_scope}/resourceGroups/{RG}"),
        definition_id,
        azure.sandbox.admin_principal_id(),
    );
    let permissions = azure
        .arm(
            Method::GET,
            &format!("{subscription_scope}/resourceGroups/{RG}/providers/Microsoft.Authorization/permissions?api-version={AUTHORIZATION}"),
            None,
        )
        .await;
    assert!(
        permissions.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .any(|block| block["dataActions"]
                == json!(["Microsoft.AppConfiguration/configurationStores/*/read"])),
        "{}",
        permissions.body
    );
}

#[tokio::test]
async fn cosmos_accounts_are_listed_unpaged_by_subscription_and_resource_group() {
    let azure = Azure::with(
        AzureSandboxOptions {
            page_size: 1,
            ..AzureSandboxOptions::default()
        }
        .with_cosmos_account(RG, "cosmos1")
        .with_cosmos_account("rg-data", "cosmos2"),
    )
    .await;
    let subscription = azure.subscription();
    let all = azure
        .arm(Method::GET, &format!("/subscriptions/{subscription}/providers/Microsoft.DocumentDB/databaseAccounts?api-version={COSMOS}"), None)
        .await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert!(
        all.body.get("nextLink").is_none(),
        "nextLinkName is null in cosmos-db.json"
    );
    let accounts = all.body["value"].as_array().unwrap();
    assert_eq!(names(accounts), ["cosmos1", "cosmos2"]);
    let example = example_item("cosmos-db-2025-10-15/CosmosDBDatabaseAccountList.json");
    let cosmos1 = accounts
        .iter()
        .find(|account| account["name"] == "cosmos1")
        .unwrap();
    assert_members_known(cosmos1, &example, "cosmos1");
    assert_eq!(
        cosmos1["id"],
        format!(
            "/subscriptions/{subscription}/resourceGroups/{RG}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos1"
        )
    );
    assert_eq!(
        cosmos1["location"], "West Europe",
        "the provider shows the display name"
    );
    assert_eq!(
        cosmos1["properties"]["documentEndpoint"],
        "https://cosmos1.documents.azure.com:443/"
    );
    let in_group = azure
        .arm(Method::GET, &format!("/subscriptions/{subscription}/resourceGroups/rg-data/providers/Microsoft.DocumentDB/databaseAccounts?api-version={COSMOS}"), None)
        .await;
    assert_eq!(
        names(in_group.body["value"].as_array().unwrap()),
        ["cosmos2"]
    );
    let missing = azure
        .arm(Method::GET, &format!("/subscriptions/{subscription}/resourceGroups/rg-none/providers/Microsoft.DocumentDB/databaseAccounts?api-version={COSMOS}"), None)
        .await;
    assert_eq!(missing.error(), (404, "ResourceGroupNotFound"));
}

#[tokio::test]
async fn storage_accounts_are_listed_by_subscription_and_resource_group_with_next_link() {
    let azure = Azure::with(
        AzureSandboxOptions {
            page_size: 1,
            ..AzureSandboxOptions::default()
        }
        .with_storage_account(RG, "st1", false)
        .with_storage_account("rg-data", "stdata1", true),
    )
    .await;
    let subscription = azure.subscription();
    let (accounts, pages) = all_pages(
        &azure,
        &format!("/subscriptions/{subscription}/providers/Microsoft.Storage/storageAccounts?api-version={STORAGE}"),
    )
    .await;
    assert_eq!(pages, 2);
    let mut listed = names(&accounts);
    listed.sort();
    assert_eq!(listed, ["st1", "stdata1"]);
    // An item has the members every example item has (`identity` only an account with a
    // managed identity); beyond them it is the account as GET shows it, which the storage
    // tests compare with StorageAccountGetProperties.json.
    let example = example_item("storage-2025-06-01/StorageAccountList.json");
    for account in &accounts {
        for member in example.as_object().unwrap().keys() {
            assert!(
                member == "identity" || account.get(member).is_some(),
                "{member} in {account}"
            );
        }
        let one = azure
            .arm(
                Method::GET,
                &format!("{}?api-version={STORAGE}", account["id"].as_str().unwrap()),
                None,
            )
            .await;
        assert_eq!(
            &one.body, account,
            "a listed account is the account as GET shows it"
        );
    }
    let (in_group, _) = all_pages(
        &azure,
        &format!("/subscriptions/{subscription}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts?api-version={STORAGE}"),
    )
    .await;
    assert_eq!(names(&in_group), ["stdata1"]);
}
