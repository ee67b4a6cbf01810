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
}

impl SetupDefaults {
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
