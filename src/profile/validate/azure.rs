//! The azure block: cloud and its endpoints (Graph's only where an app registration needs it),
//! tenant, subscription, resource group, location and the token-exchange audience.

use crate::profile::choice::CloudName;
use crate::profile::cloud::endpoint_url;
use crate::profile::error::{InvalidValue, quoted};
use crate::profile::ids::guid;
use crate::profile::raw::{RawAzure, RawEndpoints};
use crate::profile::{Azure, Cloud, CloudEndpoints, Location, ResourceGroupName};

use super::Checker;

/// An identity of kind application, which needs Microsoft Graph: its kwif.yaml path and name.
pub(super) struct GraphUser {
    pub(super) field: String,
    pub(super) name: String,
}

/// The azure block; `graph_user` is the first app registration of the profile, if any.
pub(super) fn check_azure(
    checker: &mut Checker,
    raw: RawAzure,
    graph_user: Option<&GraphUser>,
) -> Option<Azure> {
    let cloud_name = checker
        .optional("azure.cloud", raw.cloud.as_deref(), CloudName::parse)
        .unwrap_or(CloudName::Public);
    let cloud = check_cloud(checker, cloud_name, raw.endpoints, graph_user);
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
    graph_user: Option<&GraphUser>,
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
    // Only app registrations go through Graph: a custom cloud without one needs no Graph root.
    let graph = match (endpoints.graph.as_deref(), graph_user) {
        (Some(raw), _) => checker.check("azure.endpoints.graph", endpoint_url(raw)),
        (None, Some(user)) => {
            checker.fail(
                "azure.endpoints.graph",
                format!(
                    "is missing: {} ({}) is kind application, which kwif creates through Microsoft Graph: \
                     add Graph's root for this cloud, e.g. \"https://graph.microsoft.com/\"",
                    user.field, user.name
                ),
            );
            return None;
        }
        (None, None) => None,
    };
    Some(Cloud::Custom(CloudEndpoints {
        resource_manager: resource_manager?,
        authority_host: authority_host?,
        graph,
    }))
}

#[cfg(test)]
mod tests {
    use crate::profile::Profile;
    use crate::profile::tests::{errors, example_with, only_error};

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
}
