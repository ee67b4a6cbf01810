//! The azure block (cloud and its endpoints, tenant, subscription, resource group, location) and
//! the identity with its roles, each role entry naming exactly one role.

use crate::profile::choice::CloudName;
use crate::profile::cloud::endpoint_url;
use crate::profile::error::{InvalidValue, quoted};
use crate::profile::ids::guid;
use crate::profile::raw::{RawAzure, RawEndpoints, RawIdentity, RawRole};
use crate::profile::{
    Azure, Cloud, CloudEndpoints, CosmosAccountId, Identity, IdentityName, Location,
    ResourceGroupName, RoleAssignment, RoleName, RoleScope,
};

use super::Checker;

pub(super) fn check_azure(checker: &mut Checker, raw: RawAzure) -> Option<Azure> {
    let cloud_name = checker
        .optional("azure.cloud", raw.cloud.as_deref(), CloudName::parse)
        .unwrap_or(CloudName::Public);
    let cloud = check_cloud(checker, cloud_name, raw.endpoints);
    let subscription_fix = "copy it from `az account show --query id`";
    let tenant_fix = "copy it from `az account show --query tenantId`";
    let tenant = checker.optional("azure.tenant", raw.tenant.as_deref(), |text| {
        guid(text, tenant_fix)
    });
    let subscription =
        checker.optional("azure.subscription", raw.subscription.as_deref(), |text| {
            guid(text, subscription_fix)
        });
    let resource_group = checker.required(
        "azure.resourceGroup",
        raw.resource_group.as_deref(),
        ResourceGroupName::parse,
        "add the resource group of the managed identity, e.g. \"rg-application1\"",
    );
    let location = checker.required(
        "azure.location",
        raw.location.as_deref(),
        Location::parse,
        "add the region of the managed identity, e.g. \"westeurope\"",
    );
    let audience = checker.optional("azure.audience", raw.audience.as_deref(), parse_audience);
    Some(Azure {
        cloud: cloud?,
        tenant,
        subscription,
        resource_group: resource_group?,
        location: location?,
        audience,
    })
}

/// Entra compares the audience byte for byte and allows up to 600 characters (azure.md §3).
fn parse_audience(text: &str) -> Result<String, InvalidValue> {
    let fix = "the token-exchange audience Entra expects, e.g. \"api://AzureADTokenExchange\" \
               (public), \"api://AzureADTokenExchangeUSGov\", \"api://AzureADTokenExchangeChina\"; \
               leave it out to use your cloud's";
    if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(InvalidValue(format!(
            "{} must be one word without spaces: {fix}",
            quoted(text)
        )));
    }
    if text.chars().count() > 600 {
        return Err(InvalidValue(format!(
            "is {} characters long; Entra accepts at most 600: {fix}",
            text.chars().count()
        )));
    }
    Ok(text.to_string())
}

fn check_cloud(
    checker: &mut Checker,
    name: CloudName,
    endpoints: Option<RawEndpoints>,
) -> Option<Cloud> {
    if name != CloudName::Custom {
        if endpoints.is_some() {
            checker.fail(
                "azure.endpoints",
                format!("is only read when cloud is custom, but cloud is {name}: remove it, or set cloud: custom"),
            );
        }
        return Some(match name {
            CloudName::China => Cloud::China,
            CloudName::UsGov => Cloud::UsGov,
            _ => Cloud::Public,
        });
    }
    let endpoints = endpoints.unwrap_or_default();
    let resource_manager = checker.required(
        "azure.endpoints.resourceManager",
        endpoints.resource_manager.as_deref(),
        endpoint_url,
        "cloud custom needs the Resource Manager URL, e.g. \"https://management.azure.com/\"",
    );
    let authority_host = checker.required(
        "azure.endpoints.authorityHost",
        endpoints.authority_host.as_deref(),
        endpoint_url,
        "cloud custom needs the login URL, e.g. \"https://login.microsoftonline.com/\"",
    );
    Some(Cloud::Custom(CloudEndpoints {
        resource_manager: resource_manager?,
        authority_host: authority_host?,
    }))
}

pub(super) fn check_identity(checker: &mut Checker, raw: RawIdentity) -> Option<Identity> {
    let name = checker.required(
        "identity.name",
        raw.name.as_deref(),
        IdentityName::parse,
        "add the name of the managed identity to create or reuse, e.g. \"id-application1\"",
    );
    let mut roles: Vec<(usize, RoleAssignment)> = Vec::new();
    for (index, raw_role) in raw.roles.unwrap_or_default().into_iter().enumerate() {
        let path = format!("identity.roles[{index}]");
        let Some(role) = check_role(checker, &path, raw_role) else {
            continue;
        };
        if let Some((earlier, _)) = roles.iter().find(|(_, known)| *known == role) {
            checker.fail(
                path,
                format!("repeats identity.roles[{earlier}]: remove one of them"),
            );
            continue;
        }
        roles.push((index, role));
    }
    let resolved_fix = "kwif writes it after the identity step; copy it from `az identity show --query clientId` or remove it";
    let client_id = checker.optional("identity.clientId", raw.client_id.as_deref(), |text| {
        guid(text, resolved_fix)
    });
    let principal_id = checker.optional(
        "identity.principalId",
        raw.principal_id.as_deref(),
        |text| guid(text, resolved_fix),
    );
    Some(Identity {
        name: name?,
        roles: roles.into_iter().map(|(_, role)| role).collect(),
        client_id,
        principal_id,
    })
}

fn check_role(checker: &mut Checker, path: &str, raw: RawRole) -> Option<RoleAssignment> {
    let stray = |checker: &mut Checker, field: &str, present: bool, owner: &str| {
        if present {
            checker.fail(
                format!("{path}.{field}"),
                format!("is only read together with {owner}: remove it"),
            );
        }
    };
    match (raw.role.as_deref(), raw.cosmos_data_role.as_deref()) {
        (Some(role), None) => {
            stray(checker, "account", raw.account.is_some(), "cosmosDataRole");
            let role = checker.check(&format!("{path}.role"), RoleName::parse(role));
            let scope = checker.required(
                &format!("{path}.scope"),
                raw.scope.as_deref(),
                RoleScope::parse,
                "add the resource id the role applies to, starting with /subscriptions/",
            );
            Some(RoleAssignment::Azure {
                role: role?,
                scope: scope?,
            })
        }
        (None, Some(role)) => {
            stray(checker, "scope", raw.scope.is_some(), "role");
            let role = checker.check(&format!("{path}.cosmosDataRole"), RoleName::parse(role));
            let account = checker.required(
                &format!("{path}.account"),
                raw.account.as_deref(),
                CosmosAccountId::parse,
                "add the resource id of the Cosmos DB account",
            );
            Some(RoleAssignment::CosmosData {
                role: role?,
                account: account?,
            })
        }
        (Some(_), Some(_)) => {
            checker.fail(
                path,
                "has both role and cosmosDataRole: write each role as its own list entry",
            );
            None
        }
        (None, None) => {
            checker.fail(
                path,
                "names no role: add role: with scope: for an Azure role, or cosmosDataRole: with account: \
                 for a Cosmos DB data role",
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::profile::tests::{errors, example_with, only_error};
    use crate::profile::{EXAMPLE_YAML, Profile};

    #[test]
    fn the_audience_follows_the_cloud_unless_the_profile_names_one() {
        for (cloud, audience) in [
            ("public", "api://AzureADTokenExchange"),
            ("usgov", "api://AzureADTokenExchangeUSGov"),
            ("china", "api://AzureADTokenExchangeChina"),
        ] {
            let profile =
                Profile::from_yaml(&example_with("cloud: public", &format!("cloud: {cloud}")))
                    .unwrap();
            assert_eq!(profile.azure.audience(), audience, "{cloud}");
            assert!(
                !profile.to_yaml().contains("audience"),
                "the default is not written"
            );
        }
        let text = example_with(
            "cloud: public",
            "cloud: usgov\n  audience: api://my-audience",
        );
        let profile = Profile::from_yaml(&text).unwrap();
        assert_eq!(profile.azure.audience(), "api://my-audience");
        assert!(profile.to_yaml().contains("audience: api://my-audience"));
        let bad = example_with("cloud: public", "cloud: public\n  audience: \"api://a b\"");
        assert!(
            only_error(&bad)
                .starts_with("azure.audience: \"api://a b\" must be one word without spaces"),
            "{}",
            only_error(&bad)
        );
    }

    #[test]
    fn custom_cloud_requires_https_endpoints() {
        let text = example_with("cloud: public", "cloud: custom");
        assert_eq!(
            errors(&text),
            [
                "azure.endpoints.resourceManager: is missing: cloud custom needs the Resource Manager URL, \
                 e.g. \"https://management.azure.com/\"",
                "azure.endpoints.authorityHost: is missing: cloud custom needs the login URL, \
                 e.g. \"https://login.microsoftonline.com/\"",
            ]
        );
        let text = example_with(
            "cloud: public",
            "cloud: custom\n  endpoints: { resourceManager: \"http://127.0.0.1:8443/\", authorityHost: \"https://login.test/\" }",
        );
        assert_eq!(
            only_error(&text),
            "azure.endpoints.resourceManager: \"http://127.0.0.1:8443/\" must use https, not http: kwif talks to \
             Azure over TLS only"
        );
        let text = text.replacen("http://127", "https://127", 1);
        let profile = Profile::from_yaml(&text).unwrap();
        assert_eq!(
            profile.azure.cloud.endpoints().resource_manager().as_str(),
            "https://127.0.0.1:8443/"
        );
        assert_eq!(Profile::from_yaml(&profile.to_yaml()).unwrap(), profile);
    }

    #[test]
    fn endpoints_are_rejected_for_a_known_cloud() {
        let text = example_with(
            "cloud: public",
            "cloud: china\n  endpoints: { resourceManager: \"https://a/\", authorityHost: \"https://b/\" }",
        );
        assert_eq!(
            only_error(&text),
            "azure.endpoints: is only read when cloud is custom, but cloud is china: remove it, or set cloud: custom"
        );
    }

    #[test]
    fn role_scope_error_names_the_list_entry() {
        let text = example_with("scope: /subscriptions/", "scope: /subscription/");
        let message = only_error(&text);
        assert!(
            message.starts_with(
                "identity.roles[0].scope: \"/subscription/cccccccc-cccc-cccc-cccc-cccccccccccc/reso"
            ),
            "{message}"
        );
        assert!(message.contains(
            "(it does not start with /subscriptions/): write /subscriptions/<subscription id>"
        ));
    }

    #[test]
    fn a_role_entry_names_exactly_one_role() {
        let both = example_with(
            "- role: Storage Blob Data Reader",
            "- role: Storage Blob Data Reader\n      cosmosDataRole: x",
        );
        assert_eq!(
            only_error(&both),
            "identity.roles[0]: has both role and cosmosDataRole: write each role as its own list entry"
        );
        let neither = example_with("- role: Storage Blob Data Reader\n", "- ");
        assert!(only_error(&neither).starts_with("identity.roles[0]: names no role: "));
        let stray = example_with(
            "- role: Storage Blob Data Reader",
            "- role: Storage Blob Data Reader\n      account: x",
        );
        assert_eq!(
            only_error(&stray),
            "identity.roles[0].account: is only read together with cosmosDataRole: remove it"
        );
    }

    #[test]
    fn a_repeated_role_is_rejected() {
        let text = EXAMPLE_YAML.replacen(
            "    - cosmosDataRole",
            "    - role: Storage Blob Data Reader\n      scope: /subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/resourceGroups/rg-application1/providers/Microsoft.Storage/storageAccounts/st1\n    - cosmosDataRole",
            1,
        );
        assert_eq!(
            only_error(&text),
            "identity.roles[1]: repeats identity.roles[0]: remove one of them"
        );
    }
}
