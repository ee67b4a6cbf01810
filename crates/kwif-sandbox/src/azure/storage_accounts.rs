//! Microsoft.Storage storage accounts, api-version 2025-06-01: a create is long-running (202,
//! then polls of its `Location`), plus GET, the two lists (paged with `nextLink`), PATCH,
//! DELETE, listKeys and checkNameAvailability in the shapes of the REST spec examples. The blob
//! data plane is not served here.

use std::time::SystemTime;

use http::{Method, header};
use serde_json::{Map, Value, json};

use super::arm_error::ArmError;
use super::arm_path::{AccountPath, ArmTarget, query_param};
use super::reply::Reply;
use super::resource_manager::{ArmRequest, normalise_location, require_resource_group};
use super::state::{
    AzureState, DEFAULT_BLOB_ENDPOINT, DEFAULT_WEB_ENDPOINT, StorageAccount, StorageEntry,
    StorageKeys, StorageSettings, key,
};
use crate::randomness;

pub const RESOURCE_TYPE: &str = "Microsoft.Storage/storageAccounts";
const SUCCEEDED: &str = "Succeeded";
/// `provisioningState` until the create's operation finishes. storage.json allows `Creating`,
/// `ResolvingDNS` and `Succeeded`, and the error table of the Storage resource provider
/// (learn.microsoft.com/rest/api/storagerp/srp_error_codes_common) has `StorageAccountBeingCreated`
/// and `StorageAccountIsNotProvisioned`: the account is visible while it is created, so GET
/// shows it `Creating` rather than answering 404.
const CREATING: &str = "Creating";
/// `Retry-After` of a create and its polls. Azure asks for more; the sandbox keeps tests fast.
const RETRY_AFTER_SECONDS: &str = "1";

/// `SkuName` of common.json; `sku.name` is compared case-insensitively and stored like this.
const SKU_NAMES: &[&str] = &[
    "Standard_LRS",
    "Standard_GRS",
    "Standard_RAGRS",
    "Standard_ZRS",
    "Premium_LRS",
    "Premium_ZRS",
    "Standard_GZRS",
    "Standard_RAGZRS",
    "StandardV2_LRS",
    "StandardV2_GRS",
    "StandardV2_ZRS",
    "StandardV2_GZRS",
    "PremiumV2_LRS",
    "PremiumV2_ZRS",
];
const KINDS: &[&str] = &[
    "Storage",
    "StorageV2",
    "BlobStorage",
    "FileStorage",
    "BlockBlobStorage",
];
const TLS_VERSIONS: &[&str] = &["TLS1_0", "TLS1_1", "TLS1_2", "TLS1_3"];
const ACCESS_TIERS: &[&str] = &["Hot", "Cool", "Premium", "Cold"];

/// Writable `properties` of StorageAccountPropertiesCreateParameters that the sandbox keeps and
/// echoes without acting on them.
const ECHOED_PROPERTIES: &[&str] = &[
    "allowedCopyScope",
    "publicNetworkAccess",
    "sasPolicy",
    "keyPolicy",
    "customDomain",
    "azureFilesIdentityBasedAuthentication",
    "isSftpEnabled",
    "isLocalUserEnabled",
    "enableExtendedGroups",
    "isHnsEnabled",
    "largeFileSharesState",
    "routingPreference",
    "dualStackEndpointPreference",
    "isNfsV3Enabled",
    "allowCrossTenantReplication",
    "defaultToOAuthAuthentication",
    "immutableStorageWithVersioning",
    "dnsEndpointType",
    "geoPriorityReplicationStatus",
];

/// Azure region pairs (learn.microsoft.com "Azure cross-region replication pairings"): the
/// `secondaryLocation` of a geo-redundant account.
const REGION_PAIRS: &[(&str, &str)] = &[
    ("eastus", "westus"),
    ("eastus2", "centralus"),
    ("northcentralus", "southcentralus"),
    ("westus2", "westcentralus"),
    ("westus3", "eastus"),
    ("canadacentral", "canadaeast"),
    ("brazilsouth", "southcentralus"),
    ("northeurope", "westeurope"),
    ("uksouth", "ukwest"),
    ("francecentral", "francesouth"),
    ("germanywestcentral", "germanynorth"),
    ("switzerlandnorth", "switzerlandwest"),
    ("norwayeast", "norwaywest"),
    ("swedencentral", "swedensouth"),
    ("eastasia", "southeastasia"),
    ("japaneast", "japanwest"),
    ("koreacentral", "koreasouth"),
    ("centralindia", "southindia"),
    ("australiaeast", "australiasoutheast"),
];

pub fn handle(state: &mut AzureState, request: &ArmRequest) -> Result<Reply, ArmError> {
    match (&request.target, request.method) {
        (ArmTarget::StorageAccountList { resource_group, .. }, &Method::GET) => {
            list(state, request, resource_group.as_deref())
        }
        (ArmTarget::StorageAccount(path), &Method::PUT) => put(state, request, path),
        (ArmTarget::StorageAccount(path), &Method::GET) => get(state, request, path),
        (ArmTarget::StorageAccount(path), &Method::PATCH) => patch(state, request, path),
        (ArmTarget::StorageAccount(path), &Method::DELETE) => delete(state, path),
        (ArmTarget::StorageAccountKeys(path), &Method::POST) => list_keys(state, path),
        (ArmTarget::StorageNameAvailability { .. }, &Method::POST) => {
            check_name_availability(state, request)
        }
        (ArmTarget::StorageOperation { operation, .. }, &Method::GET) => {
            poll(state, request, operation)
        }
        (_, method) => Err(ArmError::method_not_allowed(method.as_str())),
    }
}

/// Adds an account that existed before the scenario began (and its resource group), already
/// provisioned. An account of that name in that resource group is kept as it is.
pub fn insert(state: &mut AzureState, account: StorageAccount) {
    state.add_resource_group(&account.resource_group, &account.location);
    let key = key(&account.resource_group, &account.name);
    if !state.storage_accounts.contains_key(&key) {
        let entry = new_entry(&state.subscription_id, &state.storage, account, 0);
        state.storage_accounts.insert(key, entry);
    }
}

fn new_entry(
    subscription: &str,
    settings: &StorageSettings,
    account: StorageAccount,
    polls_remaining: u32,
) -> StorageEntry {
    StorageEntry {
        id: format!(
            "/subscriptions/{subscription}/resourceGroups/{}/providers/{RESOURCE_TYPE}/{}",
            account.resource_group, account.name
        ),
        account,
        tags: Map::new(),
        extended_location: None,
        access_tier: None,
        encryption: None,
        network_acls: None,
        settings: Map::new(),
        created_at: SystemTime::now(),
        keys: StorageKeys::new(settings.data_plane.as_ref()),
        operation: randomness::uid(),
        polls_remaining,
    }
}

// ---------------------------------------------------------------------------------------------
// Errors of the Storage resource provider

pub fn not_found(path: &AccountPath) -> ArmError {
    ArmError::resource_not_found(RESOURCE_TYPE, &path.name, &path.resource_group)
}

/// 3–24 lower-case letters and digits. Code and message as Azure gives them (azure-docs
/// "Resolve errors for storage account names"; pulumi/templates#274).
pub fn check_name(name: &str) -> Result<(), ArmError> {
    let valid = (3..=24).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    match valid {
        true => Ok(()),
        false => Err(ArmError::bad_request(
            "AccountNameInvalid",
            format!(
                "{name} is not a valid storage account name. Storage account name must be between 3 and 24 \
                 characters in length and use numbers and lower-case letters only."
            ),
        )),
    }
}

/// Storage account names are global: one taken in another subscription cannot be created here
/// (hashicorp/terraform#11485: 409 StorageAccountAlreadyTaken).
fn already_taken(name: &str) -> ArmError {
    ArmError::new(
        409,
        "StorageAccountAlreadyTaken",
        format!("The storage account named {name} is already taken."),
    )
}

/// The name is used by another resource group of this subscription (code and message from the
/// troubleshooting page above; the 409 status is unverified).
fn in_another_resource_group(name: &str) -> ArmError {
    ArmError::new(
        409,
        "StorageAccountInAnotherResourceGroup",
        format!("The account {name} is already in another resource group in this subscription."),
    )
}

/// The provider's validation error for a missing or unknown value (hashicorp/
/// terraform-provider-azurerm#8089, Azure/azure-cli#27899). For a missing `sku` or `kind` the
/// code is a likely guess.
fn invalid_values(fields: &[&str]) -> ArmError {
    ArmError::bad_request(
        "InvalidValuesForRequestParameters",
        format!(
            "Values for request parameters are invalid: {}.",
            fields.join(", ")
        ),
    )
}

/// Codes and descriptions from the provider's common error table (srp_error_codes_common).
fn being_created() -> ArmError {
    ArmError::new(
        409,
        "StorageAccountBeingCreated",
        "This specified storage account is being created.",
    )
}

fn not_provisioned() -> ArmError {
    ArmError::new(
        409,
        "StorageAccountIsNotProvisioned",
        "The storage account provisioning state must be 'Succeeded' before executing the operation.",
    )
}

/// An operation id the sandbox never handed out, or whose account is gone (unverified wording).
fn operation_not_found(operation: &str) -> ArmError {
    ArmError::new(
        404,
        "NotFound",
        format!("The operation '{operation}' was not found."),
    )
}

// ---------------------------------------------------------------------------------------------
// Request bodies

/// What a PUT or PATCH body says; `None` where it says nothing.
#[derive(Default)]
struct AccountBody {
    location: Option<String>,
    sku: Option<String>,
    kind: Option<String>,
    tags: Option<Map<String, Value>>,
    extended_location: Option<Value>,
    allow_blob_public_access: Option<bool>,
    allow_shared_key_access: Option<bool>,
    minimum_tls_version: Option<String>,
    supports_https_traffic_only: Option<bool>,
    access_tier: Option<String>,
    encryption: Option<Value>,
    network_acls: Option<Value>,
    settings: Map<String, Value>,
}

fn parse_body(request: &ArmRequest) -> Result<AccountBody, ArmError> {
    let body = request.json_body()?;
    let properties = match body.get("properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(properties)) => properties.clone(),
        Some(_) => {
            return Err(ArmError::invalid_request_content(
                "properties must be an object",
            ));
        }
    };
    let location = text(&body, "location")?.map(|location| normalise_location(&location));
    let sku = match body.get("sku") {
        None | Some(Value::Null) => None,
        Some(Value::Object(sku)) => text(sku, "name")?,
        Some(_) => return Err(ArmError::invalid_request_content("sku must be an object")),
    };
    Ok(AccountBody {
        location,
        sku: sku.map(|sku| one_of(&sku, SKU_NAMES, "sku")).transpose()?,
        kind: text(&body, "kind")?
            .map(|kind| one_of(&kind, KINDS, "kind"))
            .transpose()?,
        tags: tags(&body)?,
        extended_location: object(&body, "extendedLocation")?,
        allow_blob_public_access: boolean(&properties, "allowBlobPublicAccess")?,
        allow_shared_key_access: boolean(&properties, "allowSharedKeyAccess")?,
        minimum_tls_version: text(&properties, "minimumTlsVersion")?
            .map(|version| one_of(&version, TLS_VERSIONS, "minimumTlsVersion"))
            .transpose()?,
        supports_https_traffic_only: boolean(&properties, "supportsHttpsTrafficOnly")?,
        access_tier: text(&properties, "accessTier")?
            .map(|tier| one_of(&tier, ACCESS_TIERS, "accessTier"))
            .transpose()?,
        encryption: object(&properties, "encryption")?,
        network_acls: object(&properties, "networkAcls")?,
        settings: ECHOED_PROPERTIES
            .iter()
            .filter_map(|name| Some((name.to_string(), properties.get(*name)?.clone())))
            .filter(|(_, value)| !value.is_null())
            .collect(),
    })
}

fn text(members: &Map<String, Value>, name: &str) -> Result<Option<String>, ArmError> {
    match members.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.clone())),
        Some(_) => Err(ArmError::invalid_request_content(&format!(
            "{name} must be a string"
        ))),
    }
}

fn boolean(members: &Map<String, Value>, name: &str) -> Result<Option<bool>, ArmError> {
    match members.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(value)) => Ok(Some(*value)),
        Some(_) => Err(ArmError::invalid_request_content(&format!(
            "{name} must be a boolean"
        ))),
    }
}

fn object(members: &Map<String, Value>, name: &str) -> Result<Option<Value>, ArmError> {
    match members.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value @ Value::Object(_)) => Ok(Some(value.clone())),
        Some(_) => Err(ArmError::invalid_request_content(&format!(
            "{name} must be an object"
        ))),
    }
}

fn tags(body: &Map<String, Value>) -> Result<Option<Map<String, Value>>, ArmError> {
    match body.get("tags") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(tags)) if tags.values().all(Value::is_string) => Ok(Some(tags.clone())),
        Some(_) => Err(ArmError::invalid_request_content(
            "tags must be an object of strings",
        )),
    }
}

/// The enum member `value` names, in its canonical casing.
fn one_of(value: &str, members: &[&str], field: &str) -> Result<String, ArmError> {
    members
        .iter()
        .find(|member| member.eq_ignore_ascii_case(value))
        .map(std::string::ToString::to_string)
        .ok_or_else(|| invalid_values(&[field]))
}

/// Sets what the body says; the rest stays as it was.
fn apply(entry: &mut StorageEntry, body: AccountBody) {
    let account = &mut entry.account;
    if let Some(sku) = body.sku {
        account.sku = sku;
    }
    if let Some(kind) = body.kind {
        account.kind = kind;
    }
    if let Some(allow) = body.allow_blob_public_access {
        account.allow_blob_public_access = Some(allow);
    }
    if let Some(allow) = body.allow_shared_key_access {
        account.allow_shared_key_access = Some(allow);
    }
    if let Some(version) = body.minimum_tls_version {
        account.minimum_tls_version = version;
    }
    if let Some(https_only) = body.supports_https_traffic_only {
        account.supports_https_traffic_only = https_only;
    }
    if let Some(tags) = body.tags {
        entry.tags = tags;
    }
    entry.access_tier = body.access_tier.or(entry.access_tier.take());
    entry.encryption = body.encryption.or(entry.encryption.take());
    entry.network_acls = body.network_acls.or(entry.network_acls.take());
    entry.settings.extend(body.settings);
}

// ---------------------------------------------------------------------------------------------
// Operations

/// StorageAccounts_Create: 202 and a `Location` to poll for a new account, 200 for an existing
/// one (storage.json: "the account properties will be updated").
fn put(
    state: &mut AzureState,
    request: &ArmRequest,
    path: &AccountPath,
) -> Result<Reply, ArmError> {
    let resource_group = require_resource_group(state, &path.resource_group)?.to_string();
    let body = parse_body(request)?;
    let location = body
        .location
        .clone()
        .filter(|location| !location.is_empty())
        .ok_or_else(ArmError::location_required)?;
    check_name(&path.name)?;
    let missing: Vec<&str> = [("kind", body.kind.is_none()), ("sku", body.sku.is_none())]
        .iter()
        .filter_map(|(field, missing)| missing.then_some(*field))
        .collect();
    if !missing.is_empty() {
        return Err(invalid_values(&missing));
    }
    check_not_taken(state, path)?;
    let settings = &state.storage;
    if let Some(entry) = state
        .storage_accounts
        .get_mut(&key(&path.resource_group, &path.name))
    {
        if entry.account.location != location {
            return Err(ArmError::invalid_resource_location(
                &entry.account.name,
                &entry.account.location,
                &resource_group,
                &location,
            ));
        }
        if entry.account.provisioning_state != SUCCEEDED {
            return Err(being_created());
        }
        apply(entry, body);
        return Ok(Reply::json(200, account_json(settings, entry, false)));
    }
    create(state, request, path, resource_group, location, body)
}

/// Taken in another subscription, or used by another resource group of this one.
fn check_not_taken(state: &AzureState, path: &AccountPath) -> Result<(), ArmError> {
    let name = path.name.to_ascii_lowercase();
    if state.storage.taken_names.contains(&name) {
        return Err(already_taken(&path.name));
    }
    let elsewhere = state.storage_accounts.values().any(|entry| {
        entry.account.name.eq_ignore_ascii_case(&name)
            && !entry
                .account
                .resource_group
                .eq_ignore_ascii_case(&path.resource_group)
    });
    match elsewhere {
        true => Err(in_another_resource_group(&path.name)),
        false => Ok(()),
    }
}

/// A new account starts `Creating` with the 2025-06-01 defaults (blob public access off, TLS
/// 1.2, HTTPS only) and answers 202 with an empty body, `Location` and `Retry-After`.
fn create(
    state: &mut AzureState,
    request: &ArmRequest,
    path: &AccountPath,
    resource_group: String,
    location: String,
    body: AccountBody,
) -> Result<Reply, ArmError> {
    let account = StorageAccount {
        provisioning_state: CREATING.to_string(),
        ..StorageAccount::existing(&resource_group, &path.name, &location, false)
    };
    let polls = state.storage.provisioning_polls;
    let mut entry = new_entry(&state.subscription_id, &state.storage, account, polls);
    entry.extended_location = body.extended_location.clone();
    apply(&mut entry, body);
    let operation_url = format!(
        "{}/subscriptions/{}/providers/Microsoft.Storage/locations/{location}/asyncoperations/{}\
         ?monitor=true&api-version={}",
        request.base_url, path.subscription, entry.operation, request.api_version
    );
    state
        .storage_accounts
        .insert(key(&resource_group, &path.name), entry);
    Ok(accepted(operation_url))
}

fn accepted(operation_url: String) -> Reply {
    Reply::empty(202)
        .with_header(header::LOCATION, operation_url)
        .with_header(header::RETRY_AFTER, RETRY_AFTER_SECONDS)
}

/// A poll of a create's `Location`: 202 while polls remain, then 200 with the account, which
/// is provisioned from then on.
fn poll(state: &mut AzureState, request: &ArmRequest, operation: &str) -> Result<Reply, ArmError> {
    let settings = &state.storage;
    let entry = state
        .storage_accounts
        .values_mut()
        .find(|entry| entry.operation == operation)
        .ok_or_else(|| operation_not_found(operation))?;
    if entry.account.provisioning_state != SUCCEEDED {
        if entry.polls_remaining > 0 {
            entry.polls_remaining -= 1;
            let url = format!("{}{}?{}", request.base_url, request.path, request.query);
            return Ok(accepted(url));
        }
        entry.account.provisioning_state = SUCCEEDED.to_string();
    }
    Ok(Reply::json(200, account_json(settings, entry, false)))
}

/// StorageAccounts_GetProperties; `$expand=geoReplicationStats` adds those of a geo-redundant
/// account, which are left out by default (storage.json).
fn get(state: &AzureState, request: &ArmRequest, path: &AccountPath) -> Result<Reply, ArmError> {
    require_resource_group(state, &path.resource_group)?;
    let entry = state
        .storage_account(&path.resource_group, &path.name)
        .ok_or_else(|| not_found(path))?;
    let geo_stats = query_param(request.query, "$expand")
        .is_some_and(|expand| expand.eq_ignore_ascii_case("geoReplicationStats"));
    Ok(Reply::json(
        200,
        account_json(&state.storage, entry, geo_stats),
    ))
}

/// StorageAccounts_List and _ListByResourceGroup: every account, those being created too, in
/// the GET shape, paged with `nextLink`.
fn list(
    state: &AzureState,
    request: &ArmRequest,
    resource_group: Option<&str>,
) -> Result<Reply, ArmError> {
    if let Some(resource_group) = resource_group {
        require_resource_group(state, resource_group)?;
    }
    let value: Vec<Value> = state
        .storage_accounts
        .values()
        .filter(|entry| {
            resource_group
                .is_none_or(|group| entry.account.resource_group.eq_ignore_ascii_case(group))
        })
        .map(|entry| account_json(&state.storage, entry, false))
        .collect();
    request.page(value, state.page_size, false)
}

/// StorageAccounts_Update: only what the body names changes.
fn patch(
    state: &mut AzureState,
    request: &ArmRequest,
    path: &AccountPath,
) -> Result<Reply, ArmError> {
    require_resource_group(state, &path.resource_group)?;
    let body = parse_body(request)?;
    let settings = &state.storage;
    let entry = state
        .storage_accounts
        .get_mut(&key(&path.resource_group, &path.name))
        .ok_or_else(|| not_found(path))?;
    if entry.account.provisioning_state != SUCCEEDED {
        return Err(not_provisioned());
    }
    apply(entry, body);
    Ok(Reply::json(200, account_json(settings, entry, false)))
}

/// StorageAccounts_Delete: 200, or 204 when there was nothing to delete.
fn delete(state: &mut AzureState, path: &AccountPath) -> Result<Reply, ArmError> {
    require_resource_group(state, &path.resource_group)?;
    let removed = state
        .storage_accounts
        .remove(&key(&path.resource_group, &path.name));
    Ok(Reply::empty(if removed.is_some() { 200 } else { 204 }))
}

/// StorageAccounts_ListKeys. `permissions` is `FULL` as the service writes it (the SDK enum
/// `Full` matches case-insensitively); the example leaves out `creationTime`, the model has it.
fn list_keys(state: &AzureState, path: &AccountPath) -> Result<Reply, ArmError> {
    require_resource_group(state, &path.resource_group)?;
    let entry = state
        .storage_account(&path.resource_group, &path.name)
        .ok_or_else(|| not_found(path))?;
    if entry.account.provisioning_state != SUCCEEDED {
        return Err(not_provisioned());
    }
    let created = timestamp(entry.created_at);
    let key = |name: &str, value: &str| json!({ "creationTime": created, "keyName": name, "value": value, "permissions": "FULL" });
    Ok(Reply::json(
        200,
        json!({ "keys": [key("key1", &entry.keys.key1), key("key2", &entry.keys.key2)] }),
    ))
}

/// StorageAccounts_CheckNameAvailability. An account of this sandbox counts as taken too, as
/// Azure's own accounts do for their subscription.
fn check_name_availability(state: &AzureState, request: &ArmRequest) -> Result<Reply, ArmError> {
    let body = request.json_body()?;
    let name = text(&body, "name")?
        .ok_or_else(|| ArmError::invalid_request_content("name is required"))?;
    if let Some(kind) = text(&body, "type")?
        && !kind.eq_ignore_ascii_case(RESOURCE_TYPE)
    {
        return Err(ArmError::invalid_request_content(&format!(
            "type must be '{RESOURCE_TYPE}'"
        )));
    }
    let taken = state
        .storage
        .taken_names
        .contains(&name.to_ascii_lowercase())
        || state
            .storage_accounts
            .values()
            .any(|entry| entry.account.name.eq_ignore_ascii_case(&name));
    let answer = match check_name(&name) {
        Err(invalid) => {
            json!({ "nameAvailable": false, "reason": "AccountNameInvalid", "message": invalid.message })
        }
        Ok(()) if taken => {
            json!({ "nameAvailable": false, "reason": "AlreadyExists", "message": already_taken(&name).message })
        }
        Ok(()) => json!({ "nameAvailable": true }),
    };
    Ok(Reply::json(200, answer))
}

// ---------------------------------------------------------------------------------------------
// The account as ARM shows it (StorageAccountGetProperties.json)

fn account_json(settings: &StorageSettings, entry: &StorageEntry, geo_stats: bool) -> Value {
    let account = &entry.account;
    let mut body = json!({
        "sku": { "name": account.sku, "tier": tier(&account.sku) },
        "kind": account.kind,
        "id": entry.id,
        "name": account.name,
        "type": RESOURCE_TYPE,
        "location": account.location,
        "tags": entry.tags,
        "properties": properties(settings, entry, geo_stats),
    });
    if let Some(extended_location) = &entry.extended_location {
        body["extendedLocation"] = extended_location.clone();
    }
    body
}

fn properties(settings: &StorageSettings, entry: &StorageEntry, geo_stats: bool) -> Value {
    let account = &entry.account;
    let created = timestamp(entry.created_at);
    let mut properties = json!({
        "keyCreationTime": { "key1": created, "key2": created },
        "privateEndpointConnections": [],
        "minimumTlsVersion": account.minimum_tls_version,
        "networkAcls": network_acls(entry.network_acls.as_ref()),
        "supportsHttpsTrafficOnly": account.supports_https_traffic_only,
        "encryption": encryption(entry.encryption.as_ref(), &created),
        // Present, and false, in the GetProperties example; storage.json calls them null
        // unless a migration is under way.
        "accountMigrationInProgress": false,
        "isSkuConversionBlocked": false,
        "provisioningState": account.provisioning_state,
        "creationTime": created,
        "primaryEndpoints": primary_endpoints(settings, entry),
        "primaryLocation": account.location,
        "statusOfPrimary": "available",
    });
    if let Some(allow) = account.allow_blob_public_access {
        properties["allowBlobPublicAccess"] = json!(allow);
    }
    if let Some(allow) = account.allow_shared_key_access {
        properties["allowSharedKeyAccess"] = json!(allow);
    }
    if let Some(tier) = access_tier(entry) {
        properties["accessTier"] = json!(tier);
    }
    add_geo_redundancy(&mut properties, account, geo_stats);
    for (name, value) in &entry.settings {
        properties[name.as_str()] = value.clone();
    }
    properties
}

/// `sku.tier` follows the SKU name (common.json `Tier`).
fn tier(sku: &str) -> &'static str {
    match sku.starts_with("Premium") {
        true => "Premium",
        false => "Standard",
    }
}

/// StorageV2 and BlobStorage accounts are Hot unless told otherwise, block blob accounts are
/// Premium; the other kinds have no tier.
fn access_tier(entry: &StorageEntry) -> Option<String> {
    match entry.account.kind.as_str() {
        "StorageV2" | "BlobStorage" => Some(entry.access_tier.clone().unwrap_or("Hot".into())),
        "BlockBlobStorage" => Some("Premium".to_string()),
        _ => None,
    }
}

/// What was sent over the default rule set: allow all, bypass for Azure services.
fn network_acls(given: Option<&Value>) -> Value {
    let mut acls = json!({
        "bypass": "AzureServices",
        "virtualNetworkRules": [],
        "ipRules": [],
        "defaultAction": "Allow",
    });
    if let Some(Value::Object(given)) = given {
        for (name, value) in given {
            acls[name.as_str()] = value.clone();
        }
    }
    acls
}

/// Blob and file encryption is always on with account keys unless told otherwise; each service
/// reports when it was enabled.
fn encryption(given: Option<&Value>, enabled_at: &str) -> Value {
    let given = given.cloned().unwrap_or(Value::Null);
    let service = |name: &str| {
        let key_type = given["services"][name]["keyType"]
            .as_str()
            .unwrap_or("Account");
        json!({ "keyType": key_type, "enabled": true, "lastEnabledTime": enabled_at })
    };
    let mut encryption = json!({
        "services": { "file": service("file"), "blob": service("blob") },
        "keySource": given["keySource"].as_str().unwrap_or("Microsoft.Storage"),
    });
    if let Some(required) = given["requireInfrastructureEncryption"].as_bool() {
        encryption["requireInfrastructureEncryption"] = json!(required);
    }
    encryption
}

/// The six endpoints, blob and web from the data plane's templates; routing preferences that
/// publish Microsoft or internet routing add those endpoints (internet routing has no queue or
/// table, as in the examples).
fn primary_endpoints(settings: &StorageSettings, entry: &StorageEntry) -> Value {
    let name = &entry.account.name;
    let plane = settings.data_plane.as_ref();
    let blob = plane.map_or(DEFAULT_BLOB_ENDPOINT, |plane| &plane.blob_endpoint);
    let web = plane.map_or(DEFAULT_WEB_ENDPOINT, |plane| &plane.web_endpoint);
    let azure = |host: &str, service: &str| format!("https://{host}.{service}.core.windows.net/");
    let mut endpoints = json!({
        "dfs": azure(name, "dfs"),
        "web": web.replace("{account}", name),
        "blob": blob.replace("{account}", name),
        "queue": azure(name, "queue"),
        "table": azure(name, "table"),
        "file": azure(name, "file"),
    });
    let routing = entry.settings.get("routingPreference");
    let publishes = |flag: &str| routing.is_some_and(|routing| routing[flag] == json!(true));
    if publishes("publishMicrosoftEndpoints") {
        let host = format!("{name}-microsoftrouting");
        let services = ["web", "dfs", "blob", "file", "queue", "table"];
        endpoints["microsoftEndpoints"] = routed(&services, |service| azure(&host, service));
    }
    if publishes("publishInternetEndpoints") {
        let host = format!("{name}-internetrouting");
        let services = ["web", "dfs", "blob", "file"];
        endpoints["internetEndpoints"] = routed(&services, |service| azure(&host, service));
    }
    endpoints
}

fn routed(services: &[&str], endpoint: impl Fn(&str) -> String) -> Value {
    let endpoints: Map<String, Value> = services
        .iter()
        .map(|service| (service.to_string(), json!(endpoint(service))))
        .collect();
    Value::Object(endpoints)
}

/// Geo-redundant SKUs have a secondary in the paired region; read-access ones publish its
/// endpoints; `$expand=geoReplicationStats` reports the replication (storage.json).
fn add_geo_redundancy(properties: &mut Value, account: &StorageAccount, geo_stats: bool) {
    let geo_redundant = account.sku.contains("GRS") || account.sku.contains("GZRS");
    let Some(secondary) = paired_region(&account.location).filter(|_| geo_redundant) else {
        return;
    };
    properties["secondaryLocation"] = json!(secondary);
    properties["statusOfSecondary"] = json!("available");
    if account.sku.starts_with("Standard_RA") {
        let host = format!("{}-secondary", account.name);
        let services = ["dfs", "web", "blob", "queue", "table"];
        properties["secondaryEndpoints"] = routed(&services, |service| {
            format!("https://{host}.{service}.core.windows.net/")
        });
    }
    if geo_stats {
        let synced = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
        properties["geoReplicationStats"] =
            json!({ "status": "Live", "lastSyncTime": synced, "canFailover": true });
    }
}

fn paired_region(location: &str) -> Option<&'static str> {
    let forward = REGION_PAIRS
        .iter()
        .find(|(primary, _)| *primary == location);
    let backward = REGION_PAIRS
        .iter()
        .find(|(_, secondary)| *secondary == location);
    forward
        .map(|(_, secondary)| *secondary)
        .or(backward.map(|(primary, _)| *primary))
}

/// ARM's timestamps carry seven fractional digits: `2017-06-01T02:42:41.7633306Z`.
fn timestamp(time: SystemTime) -> String {
    let nanos = humantime::format_rfc3339_nanos(time).to_string();
    format!("{}Z", &nanos[..nanos.len() - 3])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_3_to_24_lower_case_letters_and_digits() {
        assert!(check_name("sto4445").is_ok());
        assert!(check_name("abc").is_ok());
        assert!(check_name(&"a".repeat(24)).is_ok());
        for bad in ["ab", "MyStorage", "my-storage", &"a".repeat(25)] {
            let error = check_name(bad).unwrap_err();
            assert_eq!(
                (error.status, error.code),
                (400, "AccountNameInvalid"),
                "{bad}"
            );
            assert!(error.message.starts_with(&format!("{bad} is not a valid")));
        }
    }

    #[test]
    fn timestamps_have_seven_fractional_digits() {
        let stamp = timestamp(SystemTime::UNIX_EPOCH + std::time::Duration::new(1, 123_456_789));
        assert_eq!(stamp, "1970-01-01T00:00:01.1234567Z");
    }

    #[test]
    fn secondary_regions_are_paired_both_ways() {
        assert_eq!(paired_region("eastus"), Some("westus"));
        assert_eq!(paired_region("westeurope"), Some("northeurope"));
        assert_eq!(paired_region("nowhere"), None);
    }
}
