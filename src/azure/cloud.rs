//! Azure clouds: the Resource Manager URL, the Entra authority host, Microsoft Graph's root and
//! the token scope of each. Public, China, US Government or custom endpoints (a sovereign cloud,
//! or the sandbox).

use url::Url;

use crate::profile::Cloud;

/// Where Resource Manager and Entra ID live for one cloud.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AzureCloud {
    name: &'static str,
    resource_manager: Url,
    authority_host: Url,
    /// `None`: a custom cloud that names no Graph root (no app registrations there).
    graph: Option<Url>,
}

impl AzureCloud {
    /// The cloud the profile names, with its endpoints.
    pub fn from_profile(cloud: &Cloud) -> AzureCloud {
        let endpoints = cloud.endpoints();
        AzureCloud {
            name: cloud.as_str(),
            resource_manager: endpoints.resource_manager().clone(),
            authority_host: endpoints.authority_host().clone(),
            graph: endpoints.graph().cloned(),
        }
    }

    /// Explicit endpoints: a sovereign or test cloud.
    pub fn custom(resource_manager: Url, authority_host: Url) -> AzureCloud {
        AzureCloud {
            name: "custom",
            resource_manager,
            authority_host,
            graph: None,
        }
    }

    /// The same cloud with Microsoft Graph at `root`.
    #[must_use]
    pub fn with_graph(mut self, root: Url) -> AzureCloud {
        self.graph = Some(root);
        self
    }

    /// Microsoft Graph's root (`https://graph.microsoft.com/`), when the cloud has one.
    pub fn graph(&self) -> Option<&Url> {
        self.graph.as_ref()
    }

    /// `public`, `china`, `usgov` or `custom`, as kwif.yaml writes it.
    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn resource_manager(&self) -> &Url {
        &self.resource_manager
    }

    pub fn authority_host(&self) -> &Url {
        &self.authority_host
    }

    /// The scope of a Resource Manager token: `https://management.azure.com/.default` for the
    /// public cloud (azure.md §1). The endpoint's trailing `/` is not doubled.
    pub fn management_scope(&self) -> String {
        format!(
            "{}/.default",
            self.resource_manager.as_str().trim_end_matches('/')
        )
    }

    /// The scope of a Microsoft Graph token: `https://graph.microsoft.com/.default` (azure.md §10.3).
    pub fn graph_scope(&self) -> Option<String> {
        let root = self.graph.as_ref()?;
        Some(format!("{}/.default", root.as_str().trim_end_matches('/')))
    }

    /// A Resource Manager URL for `path` (which starts with `/subscriptions/…`) and `api_version`.
    pub fn resource_url(&self, path: &str, api_version: &str) -> Url {
        let mut url = self.resource_manager.clone();
        let base = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{base}/{}", path.trim_start_matches('/')));
        url.set_query(None);
        url.query_pairs_mut()
            .append_pair("api-version", api_version);
        url
    }

    /// The cloud as azure_identity 1.x takes it: always the explicit authority host, so that a
    /// custom cloud and the built-in ones take the same path.
    pub fn configuration(&self) -> azure_core::cloud::CloudConfiguration {
        let mut custom = azure_core::cloud::CustomConfiguration::default();
        custom.authority_host = self
            .authority_host
            .as_str()
            .trim_end_matches('/')
            .to_string();
        custom.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cloud_has_its_management_scope() {
        let scope = |cloud: &Cloud| AzureCloud::from_profile(cloud).management_scope();
        assert_eq!(
            scope(&Cloud::Public),
            "https://management.azure.com/.default"
        );
        assert_eq!(
            scope(&Cloud::China),
            "https://management.chinacloudapi.cn/.default"
        );
        assert_eq!(
            scope(&Cloud::UsGov),
            "https://management.usgovcloudapi.net/.default"
        );
        let custom = AzureCloud::custom(
            Url::parse("https://127.0.0.1:8443/").unwrap(),
            Url::parse("https://127.0.0.1:8443/").unwrap(),
        );
        assert_eq!(custom.management_scope(), "https://127.0.0.1:8443/.default");
        assert_eq!(custom.graph_scope(), None);
        let custom = custom.with_graph(Url::parse("https://127.0.0.1:8443/graph/").unwrap());
        assert_eq!(
            custom.graph_scope().as_deref(),
            Some("https://127.0.0.1:8443/graph/.default")
        );
        assert_eq!(
            AzureCloud::from_profile(&Cloud::UsGov)
                .graph_scope()
                .as_deref(),
            Some("https://graph.microsoft.us/.default")
        );
    }

    #[test]
    fn resource_urls_carry_one_api_version_and_encode_nothing_twice() {
        let cloud = AzureCloud::from_profile(&Cloud::Public);
        let url = cloud.resource_url(
            "/subscriptions/s/resourceGroups/rg/providers/X/y/n",
            "2024-11-30",
        );
        assert_eq!(
            url.as_str(),
            "https://management.azure.com/subscriptions/s/resourceGroups/rg/providers/X/y/n?api-version=2024-11-30"
        );
        let unicode = cloud.resource_url("/subscriptions/s/resourceGroups/Gruppe-Ü(1)", "1");
        assert!(unicode.as_str().contains("Gruppe-%C3%9C(1)"), "{unicode}");
    }

    #[test]
    fn the_authority_host_reaches_azure_identity_unchanged() {
        let cloud = AzureCloud::from_profile(&Cloud::China);
        let azure_core::cloud::CloudConfiguration::Custom(custom) = cloud.configuration() else {
            panic!("always custom");
        };
        assert_eq!(custom.authority_host, "https://login.chinacloudapi.cn");
    }
}
