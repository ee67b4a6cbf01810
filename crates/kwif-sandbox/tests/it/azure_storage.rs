//! Sandbox Azure's Microsoft.Storage storage accounts, driven with reqwest over verified TLS:
//! the 2025-06-01 REST spec examples of tests/fixtures, the long-running create, ARM's status
//! codes and error bodies, and keys that never leak into Debug output.

use base64::Engine as _;
use kwif_sandbox::azure::{AzureSandboxOptions, StorageDataPlane};
use reqwest::Method;
use serde_json::{Value, json};

use crate::azure_client::{Answer, Azure, RG, spec_example};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/azure-rest-api-specs/storage-2025-06-01/"
);
const VERSION: &str = "2025-06-01";

/// The Microsoft.Storage requests these tests make, as the administrator.
impl Azure {
    fn account_path(&self, resource_group: &str, name: &str) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{resource_group}/providers/Microsoft.Storage/storageAccounts/{name}",
            self.subscription()
        )
    }

    fn account_url(&self, resource_group: &str, name: &str) -> String {
        format!(
            "{}?api-version={VERSION}",
            self.account_path(resource_group, name)
        )
    }

    async fn put_account(&self, resource_group: &str, name: &str, body: &Value) -> Answer {
        let path = self.account_url(resource_group, name);
        self.arm(Method::PUT, &path, Some(body)).await
    }

    async fn get_account(&self, resource_group: &str, name: &str) -> Answer {
        let path = self.account_url(resource_group, name);
        self.arm(Method::GET, &path, None).await
    }

    async fn patch_account(&self, resource_group: &str, name: &str, body: &Value) -> Answer {
        let path = self.account_url(resource_group, name);
        self.arm(Method::PATCH, &path, Some(body)).await
    }

    async fn list_keys(&self, resource_group: &str, name: &str) -> Answer {
        let path = format!(
            "{}/listKeys?api-version={VERSION}",
            self.account_path(resource_group, name)
        );
        self.arm(Method::POST, &path, None).await
    }

    async fn check_name(&self, body: &Value) -> Answer {
        let path = format!(
            "/subscriptions/{}/providers/Microsoft.Storage/checkNameAvailability?api-version={VERSION}",
            self.subscription()
        );
        self.arm(Method::POST, &path, Some(body)).await
    }

    /// PUTs a new account, expects 202, and polls its `Location` until the 200.
    async fn create(&self, resource_group: &str, name: &str, body: &Value) -> Value {
        let accepted = self.put_account(resource_group, name, body).await;
        assert_eq!(accepted.status, 202, "{}", accepted.body);
        let location = accepted.header("location").expect("a Location").to_string();
        for _ in 0..10 {
            let polled = self.send_to(Method::GET, &location, None).await;
            match polled.status {
                202 => continue,
                200 => return polled.body,
                other => panic!("poll answered {other}: {}", polled.body),
            }
        }
        panic!("the create never finished");
    }
}

fn minimal_body(location: &str) -> Value {
    json!({ "location": location, "sku": { "name": "Standard_LRS" }, "kind": "StorageV2" })
}

fn fixture(name: &str) -> Value {
    spec_example(FIXTURES, name)
}

fn example_response(example: &Value, status: u16) -> Value {
    example["responses"][status.to_string()]["body"].clone()
}

fn options_with_groups(groups: &[&str]) -> AzureSandboxOptions {
    AzureSandboxOptions {
        resource_groups: groups
            .iter()
            .map(std::string::ToString::to_string)
            .collect(),
        ..AzureSandboxOptions::default()
    }
}

/// Every key of `expected` is in `actual` at every level, with a value of the same JSON type;
/// a non-empty example array needs a non-empty array whose first item has the same shape.
/// Values may differ: the examples were recorded elsewhere (other ids, times, regions).
fn assert_has_shape(actual: &Value, expected: &Value, at: &str) {
    match (actual, expected) {
        (Value::Object(actual), Value::Object(expected)) => {
            for (key, value) in expected {
                let Some(found) = actual.get(key) else {
                    panic!(
                        "{at} has no {key:?}; it has {:?}",
                        actual.keys().collect::<Vec<_>>()
                    );
                };
                assert_has_shape(found, value, &format!("{at}.{key}"));
            }
        }
        (Value::Array(actual), Value::Array(expected)) => {
            if let Some(first) = expected.first() {
                let found = actual.first().unwrap_or_else(|| panic!("{at} is empty"));
                assert_has_shape(found, first, &format!("{at}[0]"));
            }
        }
        (Value::String(_), Value::String(_))
        | (Value::Bool(_), Value::Bool(_))
        | (Value::Number(_), Value::Number(_))
        | (Value::Null, Value::Null) => {}
        _ => panic!("{at}: {actual} is not shaped like {expected}"),
    }
}

fn decoded_len(key: &str) -> usize {
    base64::engine::general_purpose::STANDARD
        .decode(key)
        .unwrap_or_else(|error| panic!("{key:?} is not base64: {error}"))
        .len()
}

// ---------------------------------------------------------------------------------------------
// The REST spec examples

#[tokio::test]
async fn create_example_answers_202_then_polls_to_the_example_response() {
    let example = fixture("StorageAccountCreate.json");
    let (resource_group, name) = ("res9101", "sto4445");
    let azure = Azure::with(options_with_groups(&[resource_group])).await;
    let accepted = azure
        .put_account(resource_group, name, &example["parameters"]["parameters"])
        .await;
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    assert_eq!(accepted.body, Value::Null, "a 202 has no body");
    let location = accepted.header("location").expect("a Location").to_string();
    let operations = format!(
        "{}subscriptions/{}/providers/Microsoft.Storage/locations/eastus/asyncoperations/",
        azure.sandbox.resource_manager_url(),
        azure.subscription()
    );
    assert!(location.starts_with(&operations), "{location}");
    assert!(
        location.ends_with("?monitor=true&api-version=2025-06-01"),
        "{location}"
    );
    let retry_after = accepted.header("retry-after").expect("a Retry-After");
    assert!(retry_after.parse::<u32>().is_ok_and(|seconds| seconds <= 1));

    let meanwhile = azure.get_account(resource_group, name).await;
    assert_eq!(meanwhile.status, 200);
    assert_eq!(
        meanwhile.body["properties"]["provisioningState"],
        "Creating"
    );

    let still = azure.send_to(Method::GET, &location, None).await;
    assert_eq!(still.status, 202, "{}", still.body);
    assert_eq!(still.header("location"), Some(location.as_str()));
    assert!(still.header("retry-after").is_some());

    let done = azure.send_to(Method::GET, &location, None).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let want = example_response(&example, 200);
    assert_has_shape(&done.body, &want, "200");
    for member in [
        "kind",
        "location",
        "name",
        "sku",
        "tags",
        "type",
        "extendedLocation",
    ] {
        assert_eq!(done.body[member], want[member], "{member}");
    }
    assert_eq!(done.body["id"], azure.account_path(resource_group, name));
    let properties = &done.body["properties"];
    assert_eq!(properties["provisioningState"], "Succeeded");
    assert_eq!(properties["primaryLocation"], "eastus");
    assert_eq!(properties["secondaryLocation"], "westus", "eastus's pair");
    assert_eq!(
        properties["primaryEndpoints"]["internetEndpoints"],
        json!({
            "web": "https://sto4445-internetrouting.web.core.windows.net/",
            "dfs": "https://sto4445-internetrouting.dfs.core.windows.net/",
            "blob": "https://sto4445-internetrouting.blob.core.windows.net/",
            "file": "https://sto4445-internetrouting.file.core.windows.net/",
        })
    );
    let account = azure.sandbox.storage_account(resource_group, name).unwrap();
    assert_eq!(account.provisioning_state, "Succeeded");
    assert_eq!(account.sku, "Standard_GRS");
}

/// The GetProperties example is the account the Update example patches (res9407/sto8596), so
/// the sandbox creates it from the create example's body, applies the update example, and
/// reads it with `$expand=geoReplicationStats` (the stats are left out without it).
#[tokio::test]
async fn get_properties_example_matches_after_the_update_example() {
    let create = fixture("StorageAccountCreate.json");
    let update = fixture("StorageAccountUpdate.json");
    let get = fixture("StorageAccountGetProperties.json");
    let (resource_group, name) = ("res9407", "sto8596");
    let azure = Azure::with(AzureSandboxOptions {
        storage_provisioning_polls: 0,
        ..options_with_groups(&[resource_group])
    })
    .await;
    azure
        .create(resource_group, name, &create["parameters"]["parameters"])
        .await;

    let patched = azure
        .patch_account(resource_group, name, &update["parameters"]["parameters"])
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_has_shape(&patched.body, &example_response(&update, 200), "PATCH 200");
    let rules = &update["parameters"]["parameters"]["properties"]["networkAcls"];
    assert_eq!(
        patched.body["properties"]["networkAcls"]["resourceAccessRules"],
        rules["resourceAccessRules"]
    );

    let path = format!(
        "{}&$expand=geoReplicationStats",
        azure.account_url(resource_group, name)
    );
    let expanded = azure.arm(Method::GET, &path, None).await;
    assert_eq!(expanded.status, 200, "{}", expanded.body);
    let want = example_response(&get, 200);
    assert_has_shape(&expanded.body, &want, "GET 200");
    for member in ["name", "type", "kind", "sku", "tags"] {
        assert_eq!(expanded.body[member], want[member], "{member}");
    }
    assert_eq!(expanded.body["properties"]["statusOfPrimary"], "available");

    let plain = azure.get_account(resource_group, name).await;
    assert_eq!(plain.body["properties"].get("geoReplicationStats"), None);
}

#[tokio::test]
async fn list_keys_matches_its_example_and_key1_is_the_data_plane_key() {
    let example = fixture("StorageAccountListKeys.json");
    let plane = StorageDataPlane::default();
    let options = AzureSandboxOptions::default()
        .with_storage_data_plane(plane.clone())
        .with_storage_account(RG, "stkwif", false);
    let azure = Azure::with(options).await;
    let answer = azure.list_keys(RG, "stkwif").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_has_shape(&answer.body, &example_response(&example, 200), "200");
    let keys = answer.body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0]["keyName"], "key1");
    assert_eq!(keys[1]["keyName"], "key2");
    assert_eq!(keys[0]["value"], plane.key.as_str());
    let key2 = keys[1]["value"].as_str().unwrap();
    assert_eq!(decoded_len(key2), 64);
    assert_ne!(key2, plane.key);
    for key in keys {
        assert!(
            key["permissions"]
                .as_str()
                .unwrap()
                .eq_ignore_ascii_case("Full")
        );
        assert!(key["creationTime"].is_string());
    }
}

#[tokio::test]
async fn list_keys_without_a_data_plane_gives_two_random_keys() {
    let options = AzureSandboxOptions::default()
        .with_storage_account(RG, "stone", true)
        .with_storage_account(RG, "sttwo", true);
    let azure = Azure::with(options).await;
    let one = azure.list_keys(RG, "stone").await;
    let two = azure.list_keys(RG, "sttwo").await;
    let values = |answer: &Answer| -> Vec<String> {
        answer.body["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|key| key["value"].as_str().unwrap().to_string())
            .collect()
    };
    let (one, two) = (values(&one), values(&two));
    assert!(one.iter().chain(&two).all(|key| decoded_len(key) == 64));
    assert_ne!(one[0], one[1]);
    assert_ne!(one[0], two[0], "accounts do not share keys");
    let again = values(&azure.list_keys(RG, "stone").await);
    assert_eq!(again, one, "keys are stable");
}

#[tokio::test]
async fn check_name_availability_matches_its_example_for_free_taken_and_invalid_names() {
    let example = fixture("StorageAccountCheckNameAvailability.json");
    let options = AzureSandboxOptions::default()
        .with_taken_storage_account_name("takenelsewhere")
        .with_storage_account(RG, "stexisting", false);
    let azure = Azure::with(options).await;
    let free = azure
        .check_name(&example["parameters"]["accountName"])
        .await;
    assert_eq!(free.status, 200, "{}", free.body);
    assert_eq!(free.body, example_response(&example, 200));

    let request = |name: &str| json!({ "name": name, "type": "Microsoft.Storage/storageAccounts" });
    for name in ["takenelsewhere", "stexisting"] {
        let taken = azure.check_name(&request(name)).await;
        assert_eq!(
            taken.body,
            json!({
                "nameAvailable": false,
                "reason": "AlreadyExists",
                "message": format!("The storage account named {name} is already taken."),
            })
        );
    }
    let invalid = azure.check_name(&request("My_Account")).await;
    assert_eq!(
        invalid.body,
        json!({
            "nameAvailable": false,
            "reason": "AccountNameInvalid",
            "message": "My_Account is not a valid storage account name. Storage account name must be between 3 \
                        and 24 characters in length and use numbers and lower-case letters only.",
        })
    );
}

#[tokio::test]
async fn delete_answers_200_then_204_as_its_example_says() {
    let example = fixture("StorageAccountDelete.json");
    let responses = example["responses"].as_object().unwrap();
    assert!(responses.contains_key("200") && responses.contains_key("204"));
    let azure =
        Azure::with(AzureSandboxOptions::default().with_storage_account(RG, "stgone", true)).await;
    let path = azure.account_url(RG, "stgone");
    let deleted = azure.arm(Method::DELETE, &path, None).await;
    assert_eq!((deleted.status, &deleted.body), (200, &Value::Null));
    let again = azure.arm(Method::DELETE, &path, None).await;
    assert_eq!(again.status, 204);
    assert_eq!(azure.get_account(RG, "stgone").await.status, 404);
    assert!(azure.sandbox.storage_accounts().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Behaviour beyond the examples

#[tokio::test]
async fn a_new_account_gets_the_2025_06_01_defaults() {
    let azure = Azure::start().await;
    let created = azure
        .create(RG, "stdefaults", &minimal_body("West Europe"))
        .await;
    let properties = &created["properties"];
    assert_eq!(properties["allowBlobPublicAccess"], false);
    assert_eq!(properties["minimumTlsVersion"], "TLS1_2");
    assert_eq!(properties["supportsHttpsTrafficOnly"], true);
    assert_eq!(properties["accessTier"], "Hot");
    assert_eq!(properties.get("allowSharedKeyAccess"), None, "unset");
    assert_eq!(properties.get("secondaryLocation"), None, "LRS");
    assert_eq!(created["location"], "westeurope");
    assert_eq!(
        created["sku"],
        json!({ "name": "Standard_LRS", "tier": "Standard" })
    );
    assert_eq!(
        properties["primaryEndpoints"]["blob"],
        "https://stdefaults.blob.core.windows.net/"
    );
    assert_eq!(
        properties["primaryEndpoints"]["web"],
        "https://stdefaults.z6.web.core.windows.net/"
    );
    let account = azure.sandbox.storage_account(RG, "stdefaults").unwrap();
    assert_eq!(account.allow_blob_public_access, Some(false));
    assert_eq!(account.allow_shared_key_access, None);
    assert_eq!(account.minimum_tls_version, "TLS1_2");
    assert!(account.supports_https_traffic_only);
    assert_eq!(
        (account.kind.as_str(), account.sku.as_str()),
        ("StorageV2", "Standard_LRS")
    );
}

#[tokio::test]
async fn create_errors_carry_azure_codes_and_leave_nothing_behind() {
    let options = options_with_groups(&[RG, "rg-other"])
        .with_taken_storage_account_name("takenname")
        .with_storage_account(RG, "stexisting", false);
    let azure = Azure::with(options).await;
    let body = minimal_body("westeurope");

    let no_group = azure.put_account("rg-missing", "stnew", &body).await;
    assert_eq!(
        (no_group.status, no_group.code()),
        (404, "ResourceGroupNotFound")
    );
    let invalid = azure.put_account(RG, "My_Account", &body).await;
    assert_eq!(
        (invalid.status, invalid.code()),
        (400, "AccountNameInvalid")
    );
    assert_eq!(
        invalid.message(),
        "My_Account is not a valid storage account name. Storage account name must be between 3 and 24 \
         characters in length and use numbers and lower-case letters only."
    );
    let taken = azure.put_account(RG, "takenname", &body).await;
    assert_eq!(
        (taken.status, taken.code()),
        (409, "StorageAccountAlreadyTaken")
    );
    assert_eq!(
        taken.message(),
        "The storage account named takenname is already taken."
    );
    let no_location = azure
        .put_account(
            RG,
            "stnew",
            &json!({ "sku": { "name": "Standard_LRS" }, "kind": "StorageV2" }),
        )
        .await;
    assert_eq!(
        (no_location.status, no_location.code()),
        (400, "LocationRequired")
    );
    let no_sku = azure
        .put_account(
            RG,
            "stnew",
            &json!({ "location": "westeurope", "kind": "StorageV2" }),
        )
        .await;
    assert_eq!(
        (no_sku.status, no_sku.code()),
        (400, "InvalidValuesForRequestParameters")
    );
    let bad_sku = azure
        .put_account(RG, "stnew", &json!({ "location": "westeurope", "kind": "StorageV2", "sku": { "name": "Cheap_LRS" } }))
        .await;
    assert_eq!(
        (bad_sku.status, bad_sku.code()),
        (400, "InvalidValuesForRequestParameters")
    );
    let moved = azure
        .put_account(RG, "stexisting", &minimal_body("eastus"))
        .await;
    assert_eq!(
        (moved.status, moved.code()),
        (409, "InvalidResourceLocation")
    );
    assert!(
        moved
            .message()
            .contains("already exists in location 'westeurope'")
    );
    let elsewhere = azure.put_account("rg-other", "stexisting", &body).await;
    assert_eq!(
        (elsewhere.status, elsewhere.code()),
        (409, "StorageAccountInAnotherResourceGroup")
    );

    let names: Vec<String> = azure
        .sandbox
        .storage_accounts()
        .into_iter()
        .map(|account| account.name)
        .collect();
    assert_eq!(names, ["stexisting"]);
}

#[tokio::test]
async fn a_missing_account_is_resource_not_found_for_get_patch_and_list_keys() {
    let azure = Azure::start().await;
    let message = format!(
        "The Resource 'Microsoft.Storage/storageAccounts/stmissing' under resource group '{RG}' was not found. \
         For more details please go to https://aka.ms/ARMResourceNotFoundFix"
    );
    let answers = [
        azure.get_account(RG, "stmissing").await,
        azure
            .patch_account(RG, "stmissing", &json!({ "properties": {} }))
            .await,
        azure.list_keys(RG, "stmissing").await,
    ];
    for answer in answers {
        assert_eq!((answer.status, answer.code()), (404, "ResourceNotFound"));
        assert_eq!(answer.message(), message);
    }
}

#[tokio::test]
async fn provisioning_answers_202_for_the_configured_polls_and_blocks_other_writes() {
    let azure = Azure::with(AzureSandboxOptions {
        storage_provisioning_polls: 3,
        ..AzureSandboxOptions::default()
    })
    .await;
    let accepted = azure
        .put_account(RG, "stslow", &minimal_body("westeurope"))
        .await;
    assert_eq!(accepted.status, 202);
    let location = accepted.header("location").unwrap().to_string();
    let state = azure.sandbox.storage_account(RG, "stslow").unwrap();
    assert_eq!(state.provisioning_state, "Creating");

    let again = azure
        .put_account(RG, "stslow", &minimal_body("westeurope"))
        .await;
    assert_eq!(
        (again.status, again.code()),
        (409, "StorageAccountBeingCreated")
    );
    let keys = azure.list_keys(RG, "stslow").await;
    assert_eq!(
        (keys.status, keys.code()),
        (409, "StorageAccountIsNotProvisioned")
    );
    let patched = azure
        .patch_account(RG, "stslow", &json!({ "tags": {} }))
        .await;
    assert_eq!(
        (patched.status, patched.code()),
        (409, "StorageAccountIsNotProvisioned")
    );

    for poll in 0..3 {
        let still = azure.send_to(Method::GET, &location, None).await;
        assert_eq!(still.status, 202, "poll {poll}");
    }
    let done = azure.send_to(Method::GET, &location, None).await;
    assert_eq!(done.status, 200);
    assert_eq!(done.body["properties"]["provisioningState"], "Succeeded");
    let later = azure.send_to(Method::GET, &location, None).await;
    assert_eq!(later.status, 200, "a finished operation stays finished");
    assert_eq!(azure.list_keys(RG, "stslow").await.status, 200);

    let unknown = location.replace("/asyncoperations/", "/asyncoperations/x");
    assert_eq!(azure.send_to(Method::GET, &unknown, None).await.status, 404);
}

#[tokio::test]
async fn put_on_an_existing_account_answers_200_and_updates_what_it_names() {
    let azure =
        Azure::with(AzureSandboxOptions::default().with_storage_account(RG, "streuse", true)).await;
    let mut body = minimal_body("westeurope");
    body["properties"] = json!({ "allowSharedKeyAccess": false });
    let answer = azure.put_account(RG, "streuse", &body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["properties"]["allowSharedKeyAccess"], false);
    assert_eq!(
        answer.body["properties"]["allowBlobPublicAccess"], true,
        "not named"
    );
    let account = azure.sandbox.storage_account(RG, "streuse").unwrap();
    assert_eq!(account.allow_shared_key_access, Some(false));
    assert_eq!(account.allow_blob_public_access, Some(true));
}

#[tokio::test]
async fn patch_flips_blob_public_access_and_leaves_the_rest() {
    let azure =
        Azure::with(AzureSandboxOptions::default().with_storage_account(RG, "stflip", false)).await;
    let before = azure.get_account(RG, "stflip").await.body;
    let patched = azure
        .patch_account(
            RG,
            "stflip",
            &json!({ "properties": { "allowBlobPublicAccess": true } }),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["properties"]["allowBlobPublicAccess"], true);
    let mut expected = before.clone();
    expected["properties"]["allowBlobPublicAccess"] = json!(true);
    assert_eq!(patched.body, expected, "nothing else changed");
    let account = azure.sandbox.storage_account(RG, "stflip").unwrap();
    assert_eq!(account.allow_blob_public_access, Some(true));

    azure
        .sandbox
        .set_storage_account_public_access(RG, "stflip", false);
    let read = azure.get_account(RG, "stflip").await;
    assert_eq!(read.body["properties"]["allowBlobPublicAccess"], false);
}

#[tokio::test]
async fn the_data_plane_templates_give_the_endpoints() {
    let plane = StorageDataPlane {
        blob_endpoint: "https://127.0.0.1:10000/{account}/".to_string(),
        web_endpoint: "https://127.0.0.1:10001/{account}/$web/".to_string(),
        key: StorageDataPlane::default().key,
    };
    let options = AzureSandboxOptions::default()
        .with_storage_data_plane(plane)
        .with_storage_account(RG, "stlocal", true);
    let azure = Azure::with(options).await;
    let endpoints = &azure.get_account(RG, "stlocal").await.body["properties"]["primaryEndpoints"];
    assert_eq!(endpoints["blob"], "https://127.0.0.1:10000/stlocal/");
    assert_eq!(endpoints["web"], "https://127.0.0.1:10001/stlocal/$web/");
    assert_eq!(endpoints["dfs"], "https://stlocal.dfs.core.windows.net/");
}

#[tokio::test]
async fn keys_never_show_in_debug_output() {
    let plane = StorageDataPlane::default();
    let options = AzureSandboxOptions::default()
        .with_storage_data_plane(plane.clone())
        .with_storage_account(RG, "stsecret", false);
    let azure = Azure::with(options.clone()).await;
    let keys = azure.list_keys(RG, "stsecret").await.body;
    let key2 = keys["keys"][1]["value"].as_str().unwrap().to_string();
    let shown = [
        format!("{:?}", azure.sandbox),
        format!("{options:?}"),
        format!("{plane:?}"),
        format!("{:?}", azure.sandbox.storage_accounts()),
    ];
    assert!(
        shown[0].contains("stsecret"),
        "the state is shown: {}",
        shown[0]
    );
    for text in &shown {
        assert!(!text.contains(&plane.key), "key1 in {text}");
        assert!(!text.contains(&key2), "key2 in {text}");
    }
}

#[tokio::test]
async fn storage_requests_go_through_the_front_door() {
    let azure =
        Azure::with(AzureSandboxOptions::default().with_storage_account(RG, "stdoor", true)).await;
    let path = format!(
        "{}?api-version=2023-05-01",
        azure.account_path(RG, "stdoor")
    );
    let old = azure.arm(Method::GET, &path, None).await;
    assert_eq!(
        (old.status, old.code()),
        (400, "InvalidApiVersionParameter")
    );
    assert!(old.message().contains("'2025-06-01'"), "{}", old.message());
    let url = format!(
        "{}{}",
        azure.sandbox.resource_manager_url(),
        azure.account_url(RG, "stdoor").trim_start_matches('/')
    );
    let anonymous = azure.client.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    let other = azure
        .arm(
            Method::GET,
            &azure.account_url(RG, "stdoor").replace(
                &azure.subscription(),
                "dddddddd-dddd-dddd-dddd-dddddddddddd",
            ),
            None,
        )
        .await;
    assert_eq!((other.status, other.code()), (404, "SubscriptionNotFound"));
}
