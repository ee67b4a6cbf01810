//! The kwif profile (`kwif.yaml`) a sandbox writes for its scenario, as text in kwif's documented
//! format (README, "The profile"), every endpoint pointing at the sandbox. Written, never parsed:
//! the sandbox knows nothing of kwif's profile code.

use std::path::Path;

use crate::scenario::{
    DEPLOYMENT, FEDERATED_CREDENTIAL, IDENTITY, LOCATION, NAMESPACE, RESOURCE_GROUP, ROLE_NAME,
    SERVICE_ACCOUNT, Scenario, storage_account_scope,
};

/// What the profile names beside the scenario.
pub struct ProfileValues<'a> {
    pub scenario: Scenario,
    pub context: &'a str,
    pub node_root: &'a Path,
    pub issuer: &'a str,
    pub site: &'a Path,
    pub resource_manager: &'a str,
    pub authority_host: &'a str,
    pub tenant: &'a str,
    pub subscription: &'a str,
}

/// The profile's YAML text.
pub fn profile_yaml(values: &ProfileValues<'_>) -> String {
    let scope = storage_account_scope(values.subscription);
    // Graph is served below `/graph/` of the same server (AzureSandbox::graph_root).
    let graph = format!("{}/graph/", values.resource_manager.trim_end_matches('/'));
    format!(
        "# kwif sandbox profile (scenario {scenario}): every endpoint below is the sandbox on loopback\n\
         cluster:\n\
         \x20 context: {context}\n\
         \x20 distribution: auto\n\
         \x20 nodeRoot: {node_root}\n\
         issuer: {issuer}        # the static host\n\
         hosting:\n\
         \x20 kind: directory\n\
         \x20 directory:\n\
         \x20   path: {site}          # kwif writes {{path}}/cluster1/.well-known/openid-configuration and {{path}}/cluster1/openid/v1/jwks\n\
         azure:\n\
         \x20 cloud: custom\n\
         \x20 endpoints:\n\
         \x20   resourceManager: {resource_manager}\n\
         \x20   authorityHost: {authority_host}\n\
         \x20   graph: {graph}\n\
         \x20 tenant: {tenant}\n\
         \x20 subscription: {subscription}\n\
         \x20 resourceGroup: {RESOURCE_GROUP}\n\
         \x20 location: {LOCATION}\n\
         identity:\n\
         \x20 name: {IDENTITY}\n\
         \x20 roles:\n\
         \x20   - role: {ROLE_NAME}\n\
         \x20     scope: {scope}\n\
         workloads:\n\
         \x20 - namespace: {NAMESPACE}\n\
         \x20   serviceAccount: {SERVICE_ACCOUNT}\n\
         \x20   kind: Deployment\n\
         \x20   name: {DEPLOYMENT}\n\
         \x20   mode: patch\n\
         \x20   federatedCredentialName: {FEDERATED_CREDENTIAL}\n",
        scenario = values.scenario,
        context = values.context,
        node_root = scalar(&values.node_root.display().to_string()),
        issuer = values.issuer,
        site = scalar(&values.site.display().to_string()),
        resource_manager = values.resource_manager,
        authority_host = values.authority_host,
        tenant = values.tenant,
        subscription = values.subscription,
    )
}

/// A path as a YAML scalar: plain when it reads back as itself, else single-quoted.
fn scalar(text: &str) -> String {
    let plain = !text.is_empty()
        && text.trim() == text
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.ends_with(':')
        && !text.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`~".contains(c));
    match plain {
        true => text.to_string(),
        false => format!("'{}'", text.replace('\'', "''")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_paths_are_quoted() {
        assert_eq!(scalar("/d/site"), "/d/site");
        assert_eq!(scalar("/d/my site: #1"), "'/d/my site: #1'");
        assert_eq!(scalar("/d/it's"), "/d/it's");
        assert_eq!(scalar("'x"), "'''x'");
    }

    #[test]
    fn the_profile_is_yaml_with_every_field() {
        let values = ProfileValues {
            scenario: Scenario::Drifted,
            context: "kwif-sandbox",
            node_root: Path::new("/d/node"),
            issuer: "https://127.0.0.1:1/cluster1",
            site: Path::new("/d/site"),
            resource_manager: "https://127.0.0.1:2/",
            authority_host: "https://127.0.0.1:2/",
            tenant: "t",
            subscription: "s",
        };
        let text = profile_yaml(&values);
        assert!(text.starts_with("# kwif sandbox profile (scenario drifted)"));
        let yaml: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        assert_eq!(yaml["cluster"]["nodeRoot"], "/d/node");
        assert_eq!(yaml["issuer"], "https://127.0.0.1:1/cluster1");
        assert_eq!(yaml["hosting"]["directory"]["path"], "/d/site");
        assert_eq!(
            yaml["azure"]["endpoints"]["authorityHost"],
            "https://127.0.0.1:2/"
        );
        assert_eq!(
            yaml["azure"]["endpoints"]["graph"],
            "https://127.0.0.1:2/graph/"
        );
        assert_eq!(
            yaml["workloads"][0]["federatedCredentialName"],
            "application1-sa"
        );
        assert_eq!(
            yaml["identity"]["roles"][0]["scope"],
            "/subscriptions/s/resourceGroups/rg-application1/providers/Microsoft.Storage/storageAccounts/st1"
        );
    }
}
