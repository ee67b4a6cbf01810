//! The values the first-run form starts from, detected by the caller from the environment
//! (current kube context, `az account show`); the TUI does not detect anything itself.

/// Every field is optional: `None` leaves the form's own default (or an empty field).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SetupDefaults {
    pub context: Option<String>,
    pub distribution: Option<String>,
    pub issuer: Option<String>,
    pub hosting_kind: Option<String>,
    pub tenant: Option<String>,
    pub subscription: Option<String>,
    pub resource_group: Option<String>,
    pub location: Option<String>,
    pub identity_name: Option<String>,
    pub namespace: Option<String>,
    pub service_account: Option<String>,
    pub workload_kind: Option<String>,
    pub workload_name: Option<String>,
    /// The Azure CLI's active cloud when it is a custom one (`az cloud register`): the form
    /// writes it as `azure.cloud: custom` with these endpoints, which it does not ask for.
    pub custom_cloud: Option<crate::azure::cli_config::CustomEndpoints>,
}

impl SetupDefaults {
    /// What kwif.yaml gets from these defaults without a field of the form: a custom cloud.
    pub fn base_profile(&self) -> serde_yaml::Value {
        let mut base = serde_yaml::Mapping::new();
        if let Some(cloud) = &self.custom_cloud {
            let mut endpoints = serde_yaml::Mapping::new();
            let mut put = |key: &str, value: &str| {
                endpoints.insert(key.into(), value.into());
            };
            put("resourceManager", &cloud.resource_manager);
            put("authorityHost", &cloud.authority_host);
            if let Some(graph) = &cloud.graph {
                put("graph", graph);
            }
            let mut azure = serde_yaml::Mapping::new();
            azure.insert("cloud".into(), "custom".into());
            azure.insert("endpoints".into(), endpoints.into());
            base.insert("azure".into(), azure.into());
        }
        serde_yaml::Value::Mapping(base)
    }

    /// The default for a kwif.yaml path, as the form asks for it.
    pub fn value_for(&self, path: &str) -> Option<&str> {
        let value = match path {
            "cluster.context" => &self.context,
            "cluster.distribution" => &self.distribution,
            "issuer" => &self.issuer,
            "hosting.kind" => &self.hosting_kind,
            "azure.tenant" => &self.tenant,
            "azure.subscription" => &self.subscription,
            "azure.resourceGroup" => &self.resource_group,
            "azure.location" => &self.location,
            "identity.name" => &self.identity_name,
            "workloads[0].namespace" => &self.namespace,
            "workloads[0].serviceAccount" => &self.service_account,
            "workloads[0].kind" => &self.workload_kind,
            "workloads[0].name" => &self.workload_name,
            _ => return None,
        };
        value.as_deref()
    }
}
