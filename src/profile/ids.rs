//! The profile's ids: tenant and subscription GUIDs, role assignment scopes and Cosmos DB account
//! ids, each parsed once into its parts.

use std::fmt;

use uuid::Uuid;

use super::error::{InvalidValue, quoted};
use super::names::{COSMOS_ACCOUNT, ResourceGroupName};

/// A tenant or subscription id: a GUID in its hyphenated 36-character form.
fn parse_guid(raw: &str) -> Option<Uuid> {
    if raw.len() != 36 {
        return None;
    }
    Uuid::try_parse(raw).ok()
}

pub(super) fn guid(raw: &str, fix: &str) -> Result<Uuid, InvalidValue> {
    parse_guid(raw).ok_or_else(|| {
        InvalidValue(format!(
            "{} is not a GUID in the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx: {fix}",
            quoted(raw)
        ))
    })
}

/// `raw` without `prefix`, comparing ASCII case-insensitively (ARM path segments are).
fn strip_prefix_ignore_case<'a>(raw: &'a str, prefix: &str) -> Option<&'a str> {
    let head = raw.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &raw[prefix.len()..])
}

/// The scope of an Azure RBAC role assignment: `/subscriptions/<id>` with an optional resource
/// group or resource path below it (azure.md §4).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RoleScope {
    text: String,
    subscription: Uuid,
}

impl RoleScope {
    pub fn parse(raw: &str) -> Result<RoleScope, InvalidValue> {
        let fail = |reason: &str| {
            InvalidValue(format!(
                "{} is not a role assignment scope ({reason}): write /subscriptions/<subscription id>, \
                 optionally followed by /resourceGroups/<group> and /providers/<resource>, \
                 e.g. \"/subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/resourceGroups/rg-application1\"",
                quoted(raw)
            ))
        };
        let Some(rest) = strip_prefix_ignore_case(raw, "/subscriptions/") else {
            return Err(fail("it does not start with /subscriptions/"));
        };
        let (id, below) = rest.split_once('/').unwrap_or((rest, ""));
        let Some(subscription) = parse_guid(id) else {
            return Err(fail("the subscription id is not a GUID"));
        };
        if raw.ends_with('/') || (rest.contains('/') && below.split('/').any(str::is_empty)) {
            return Err(fail("it has an empty segment or a trailing '/'"));
        }
        if raw
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '?' || c == '#')
        {
            return Err(fail("it contains whitespace, '?' or '#'"));
        }
        Ok(RoleScope {
            text: raw.to_string(),
            subscription,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn subscription(&self) -> Uuid {
        self.subscription
    }
}

impl fmt::Display for RoleScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The resource id of a Cosmos DB account, the scope of its data-plane role assignments
/// (azure.md §5): `/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.DocumentDB/databaseAccounts/<name>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CosmosAccountId {
    text: String,
    subscription: Uuid,
    resource_group: ResourceGroupName,
    account: String,
}

impl CosmosAccountId {
    pub fn parse(raw: &str) -> Result<CosmosAccountId, InvalidValue> {
        let fail = |reason: String| {
            InvalidValue(format!(
                "{} is not a Cosmos DB account id ({reason}): write \
                 /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.DocumentDB/databaseAccounts/<account>, \
                 as the account's JSON view in the portal shows it",
                quoted(raw)
            ))
        };
        let segments: Vec<&str> = raw.strip_prefix('/').unwrap_or(raw).split('/').collect();
        let [
            subscriptions,
            id,
            groups,
            group,
            providers,
            namespace,
            accounts,
            account,
        ] = segments[..]
        else {
            return Err(fail(format!(
                "it has {} path segments, not 8",
                segments.len()
            )));
        };
        let fixed = [
            (subscriptions, "subscriptions"),
            (groups, "resourceGroups"),
            (providers, "providers"),
            (namespace, "Microsoft.DocumentDB"),
            (accounts, "databaseAccounts"),
        ];
        if !raw.starts_with('/') {
            return Err(fail("it does not start with '/'".to_string()));
        }
        if let Some((found, expected)) = fixed
            .iter()
            .find(|(found, expected)| !found.eq_ignore_ascii_case(expected))
        {
            return Err(fail(format!(
                "it has {} where {expected:?} belongs",
                quoted(found)
            )));
        }
        let Some(subscription) = parse_guid(id) else {
            return Err(fail(format!("{} is not a subscription GUID", quoted(id))));
        };
        let resource_group = ResourceGroupName::parse(group)
            .map_err(|_| fail(format!("{} is not a resource group name", quoted(group))))?;
        if let Some(reason) = COSMOS_ACCOUNT.problem(account) {
            return Err(fail(format!(
                "the account name {}: {reason}",
                quoted(account)
            )));
        }
        Ok(CosmosAccountId {
            text: raw.to_string(),
            subscription,
            resource_group,
            account: account.to_string(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn subscription(&self) -> Uuid {
        self.subscription
    }

    pub fn resource_group(&self) -> &ResourceGroupName {
        &self.resource_group
    }

    /// The account name, the last segment of the id.
    pub fn account(&self) -> &str {
        &self.account
    }
}

impl fmt::Display for CosmosAccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;
    use crate::profile::tests::{example_with, only_error};

    #[test]
    fn tenant_and_subscription_must_be_hyphenated_guids() {
        let text = example_with(
            "tenant: bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb",
            "tenant: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        );
        assert_eq!(
            only_error(&text),
            "azure.tenant: \"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\" is not a GUID in the form \
             xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx: copy it from `az account show --query tenantId`"
        );
        let text = example_with("subscription: cccccccc", "subscription: {cccccccc")
            .replacen("cccc\n", "cccc}\n", 1);
        assert!(only_error(&text).starts_with("azure.subscription: "));
        let upper = example_with("tenant: bbbbbbbb-bbbb", "tenant: BBBBBBBB-BBBB");
        assert_eq!(
            Profile::from_yaml(&upper).unwrap(),
            Profile::example(),
            "GUIDs compare case-insensitively"
        );
    }

    #[test]
    fn role_scope_must_start_with_a_subscription_guid() {
        let scope = RoleScope::parse(
            "/subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/resourceGroups/rg",
        )
        .unwrap();
        assert_eq!(
            scope.subscription().to_string(),
            "cccccccc-cccc-cccc-cccc-cccccccccccc"
        );
        assert!(RoleScope::parse("/subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc").is_ok());
        for (invalid, reason) in [
            ("subscriptions/x", "it does not start with /subscriptions/"),
            (
                "/subscriptions/my-sub/resourceGroups/rg",
                "the subscription id is not a GUID",
            ),
            (
                "/subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/",
                "trailing '/'",
            ),
            (
                "/subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc//rg",
                "empty segment",
            ),
            (
                "/subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/resourceGroups/my rg",
                "whitespace",
            ),
        ] {
            let message = RoleScope::parse(invalid).unwrap_err().to_string();
            assert!(message.contains(reason), "{invalid}: {message}");
        }
    }

    #[test]
    fn cosmos_account_id_compares_fixed_segments_without_case() {
        let id = CosmosAccountId::parse(
            "/SUBSCRIPTIONS/cccccccc-cccc-cccc-cccc-cccccccccccc/resourcegroups/rg-1/providers/microsoft.documentdb/databaseaccounts/cosmos1",
        )
        .unwrap();
        assert_eq!(id.account(), "cosmos1");
        assert_eq!(id.resource_group().as_str(), "rg-1");
        let wrong_provider = "/subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1";
        assert!(
            CosmosAccountId::parse(wrong_provider)
                .unwrap_err()
                .to_string()
                .contains("(it has \"Microsoft.Storage\" where \"Microsoft.DocumentDB\" belongs)")
        );
        let no_account = wrong_provider.replace("/storageAccounts/st1", "/databaseAccounts");
        assert!(
            CosmosAccountId::parse(&no_account)
                .unwrap_err()
                .to_string()
                .contains("(it has 7 path segments, not 8)")
        );
        let bad_account = "/subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/resourceGroups/rg/providers/Microsoft.DocumentDB/databaseAccounts/Cosmos";
        assert!(
            CosmosAccountId::parse(bad_account)
                .unwrap_err()
                .to_string()
                .contains("the account name \"Cosmos\"")
        );
    }
}
