//! What the Azure CLI's configuration says (`$AZURE_CONFIG_DIR`, else `~/.azure`): the active
//! cloud (`config`'s `[cloud] name`, a custom one's endpoints in `clouds.config` as `az cloud
//! register` writes them) and the `[defaults]` group and location. Read only, for defaults.

use std::path::PathBuf;

use crate::profile::Cloud;

/// The directory the Azure CLI keeps its configuration in.
pub fn config_dir() -> Option<PathBuf> {
    std::env::var_os("AZURE_CONFIG_DIR")
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".azure")))
}

/// The CLI's choices that kwif can take as defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CliConfig {
    /// The active cloud's name as the CLI writes it (`AzureCloud` when none is set): its
    /// `azureProfile.json` keeps a default subscription per cloud.
    pub cloud_name: String,
    /// The active cloud, when the CLI names one kwif can use.
    pub cloud: Option<Cloud>,
    /// The cloud's endpoints as kwif.yaml writes them, for a custom cloud.
    pub custom_endpoints: Option<CustomEndpoints>,
    /// `az config set defaults.group=…`.
    pub resource_group: Option<String>,
    /// `az config set defaults.location=…`.
    pub location: Option<String>,
}

impl Default for CliConfig {
    /// What the CLI does with no configuration: the public cloud, no defaults.
    fn default() -> CliConfig {
        CliConfig {
            cloud_name: "AzureCloud".to_string(),
            cloud: None,
            custom_endpoints: None,
            resource_group: None,
            location: None,
        }
    }
}

/// A custom cloud's endpoints as text (they become `azure.endpoints` in kwif.yaml).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomEndpoints {
    pub resource_manager: String,
    pub authority_host: String,
    pub graph: Option<String>,
}

impl CliConfig {
    /// Reads the CLI's files; what is missing or unreadable stays `None`.
    pub fn read() -> CliConfig {
        let Some(dir) = config_dir() else {
            return CliConfig::default();
        };
        let config = std::fs::read_to_string(dir.join("config")).unwrap_or_default();
        let clouds = std::fs::read_to_string(dir.join("clouds.config")).unwrap_or_default();
        CliConfig::parse(&config, &clouds)
    }

    /// From the texts of `config` and `clouds.config`.
    pub fn parse(config: &str, clouds: &str) -> CliConfig {
        let value = |section: &str, key: &str, text: &str| {
            ini_section(text, section)
                .into_iter()
                .find(|(name, _)| name == key)
                .map(|(_, value)| value)
        };
        let mut found = CliConfig {
            resource_group: value("defaults", "group", config),
            location: value("defaults", "location", config),
            ..CliConfig::default()
        };
        let Some(name) = value("cloud", "name", config) else {
            return found;
        };
        found.cloud_name.clone_from(&name);
        match name.as_str() {
            "AzureCloud" => found.cloud = Some(Cloud::Public),
            "AzureChinaCloud" => found.cloud = Some(Cloud::China),
            "AzureUSGovernment" => found.cloud = Some(Cloud::UsGov),
            custom => {
                // `az cloud register` writes every endpoint as `endpoint_<name>`.
                let endpoint = |key: &str| value(custom, &format!("endpoint_{key}"), clouds);
                if let (Some(resource_manager), Some(authority_host)) =
                    (endpoint("resource_manager"), endpoint("active_directory"))
                {
                    let graph = endpoint("microsoft_graph_resource_id");
                    found.cloud =
                        Cloud::custom(&resource_manager, &authority_host, graph.as_deref()).ok();
                    found.custom_endpoints = found.cloud.as_ref().map(|_| CustomEndpoints {
                        resource_manager,
                        authority_host,
                        graph,
                    });
                }
            }
        }
        found
    }
}

/// The `key = value` lines of `[section]` in an INI text, values trimmed, empty ones left out.
pub fn ini_section(text: &str, section: &str) -> Vec<(String, String)> {
    let mut inside = false;
    let mut entries = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            inside = line == format!("[{section}]");
        } else if inside && let Some((key, value)) = line.split_once('=') {
            let value = value.trim();
            if !value.is_empty() {
                entries.push((key.trim().to_string(), value.to_string()));
            }
        }
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registered_custom_cloud_gives_its_endpoints_and_the_defaults_come_along() {
        let config = "[cloud]\nname = kwif-sandbox\n\n[defaults]\ngroup = rg-application1\nlocation = westeurope\n";
        let clouds = "[kwif-sandbox]\nendpoint_resource_manager = https://127.0.0.1:7443/\n\
                      endpoint_active_directory = https://127.0.0.1:7443/\n\
                      endpoint_microsoft_graph_resource_id = https://127.0.0.1:7443/graph/\n";
        let found = CliConfig::parse(config, clouds);
        assert_eq!(found.resource_group.as_deref(), Some("rg-application1"));
        assert_eq!(found.location.as_deref(), Some("westeurope"));
        let endpoints = found.custom_endpoints.unwrap();
        assert_eq!(endpoints.resource_manager, "https://127.0.0.1:7443/");
        assert_eq!(
            endpoints.graph.as_deref(),
            Some("https://127.0.0.1:7443/graph/")
        );
        assert!(matches!(found.cloud, Some(Cloud::Custom(_))));
    }

    #[test]
    fn the_known_clouds_by_their_cli_names_and_nothing_without_a_config() {
        let cloud = |name: &str| CliConfig::parse(&format!("[cloud]\nname = {name}\n"), "").cloud;
        assert_eq!(cloud("AzureUSGovernment"), Some(Cloud::UsGov));
        assert_eq!(cloud("AzureChinaCloud"), Some(Cloud::China));
        assert_eq!(cloud("AzureCloud"), Some(Cloud::Public));
        assert_eq!(cloud("unregistered"), None);
        assert_eq!(CliConfig::parse("", ""), CliConfig::default());
    }
}
