//! The Azure cloud a profile targets and its https endpoints (Resource Manager, login host,
//! Microsoft Graph): the three known clouds carry built-in ones, a custom cloud names its own.

use url::Url;

use super::choice::CloudName;
use super::error::{InvalidValue, quoted};

/// The Azure cloud, which decides the Resource Manager, login and Graph endpoints.
// One value per profile: the size of the custom cloud's endpoints costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Cloud {
    #[default]
    Public,
    China,
    UsGov,
    /// A sovereign or test cloud with explicit endpoints.
    Custom(CloudEndpoints),
}

impl Cloud {
    /// A custom cloud with these endpoints (https URLs), as `azure.endpoints` would name them.
    pub fn custom(
        resource_manager: &str,
        authority_host: &str,
        graph: Option<&str>,
    ) -> Result<Cloud, InvalidValue> {
        Ok(Cloud::Custom(CloudEndpoints {
            resource_manager: endpoint_url(resource_manager)?,
            authority_host: endpoint_url(authority_host)?,
            graph: graph.map(endpoint_url).transpose()?,
        }))
    }

    /// The audience Entra expects in a federated credential of this cloud (azure.md §3): each
    /// sovereign cloud has its own; a custom cloud takes the public one unless told otherwise.
    pub fn default_audience(&self) -> &'static str {
        match self {
            Cloud::Public | Cloud::Custom(_) => "api://AzureADTokenExchange",
            Cloud::UsGov => "api://AzureADTokenExchangeUSGov",
            Cloud::China => "api://AzureADTokenExchangeChina",
        }
    }

    /// The `cloud` word of kwif.yaml.
    pub fn as_str(&self) -> &'static str {
        self.cloud_name().as_str()
    }

    fn cloud_name(&self) -> CloudName {
        match self {
            Cloud::Public => CloudName::Public,
            Cloud::China => CloudName::China,
            Cloud::UsGov => CloudName::UsGov,
            Cloud::Custom(_) => CloudName::Custom,
        }
    }

    /// Resource Manager, authority host and Microsoft Graph of this cloud (azure.md §10.3).
    pub fn endpoints(&self) -> CloudEndpoints {
        let (resource_manager, authority_host, graph) = match self {
            Cloud::Public => (
                "https://management.azure.com/",
                "https://login.microsoftonline.com/",
                "https://graph.microsoft.com/",
            ),
            Cloud::China => (
                "https://management.chinacloudapi.cn/",
                "https://login.chinacloudapi.cn/",
                "https://microsoftgraph.chinacloudapi.cn/",
            ),
            Cloud::UsGov => (
                "https://management.usgovcloudapi.net/",
                "https://login.microsoftonline.us/",
                "https://graph.microsoft.us/",
            ),
            Cloud::Custom(endpoints) => return endpoints.clone(),
        };
        // Constants, covered by a test: never user data.
        let known = |text: &str| Url::parse(text).expect("built-in Azure endpoints are valid URLs");
        CloudEndpoints {
            resource_manager: known(resource_manager),
            authority_host: known(authority_host),
            graph: Some(known(graph)),
        }
    }
}

/// The https endpoints of an Azure cloud.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloudEndpoints {
    pub(super) resource_manager: Url,
    pub(super) authority_host: Url,
    /// `None` only for a custom cloud without `endpoints.graph` (then no identity is an app
    /// registration).
    pub(super) graph: Option<Url>,
}

impl CloudEndpoints {
    pub fn resource_manager(&self) -> &Url {
        &self.resource_manager
    }

    pub fn authority_host(&self) -> &Url {
        &self.authority_host
    }

    /// Microsoft Graph's root (`https://graph.microsoft.com/`).
    pub fn graph(&self) -> Option<&Url> {
        self.graph.as_ref()
    }
}

/// Parses an `https` URL of an Azure endpoint (Resource Manager, authority host, Graph).
pub(super) fn endpoint_url(raw: &str) -> Result<Url, InvalidValue> {
    let fail = |problem: String| InvalidValue(format!("{} {problem}", quoted(raw)));
    if raw.trim() != raw {
        return Err(fail(
            "has leading or trailing whitespace: remove it".to_string(),
        ));
    }
    let url = Url::parse(raw)
        .map_err(|error| fail(format!("is not a URL ({error}): write it as https://host/")))?;
    if url.scheme() != "https" {
        return Err(fail(format!(
            "must use https, not {}: kwif talks to Azure over TLS only",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) || raw.contains('?') || raw.contains('#') {
        return Err(fail(
            "must be a plain https://host/ URL without query or fragment".to_string(),
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_clouds_have_https_endpoints() {
        for cloud in [Cloud::Public, Cloud::China, Cloud::UsGov] {
            let endpoints = cloud.endpoints();
            assert_eq!(endpoints.resource_manager().scheme(), "https");
            assert_eq!(endpoints.authority_host().scheme(), "https");
        }
        assert_eq!(
            Cloud::UsGov.endpoints().authority_host().as_str(),
            "https://login.microsoftonline.us/"
        );
    }

    #[test]
    fn each_known_cloud_has_its_graph_root() {
        let graph = |cloud: Cloud| {
            cloud
                .endpoints()
                .graph()
                .map(std::string::ToString::to_string)
        };
        assert_eq!(
            graph(Cloud::Public).as_deref(),
            Some("https://graph.microsoft.com/")
        );
        assert_eq!(
            graph(Cloud::UsGov).as_deref(),
            Some("https://graph.microsoft.us/")
        );
        assert_eq!(
            graph(Cloud::China).as_deref(),
            Some("https://microsoftgraph.chinacloudapi.cn/")
        );
    }
}
