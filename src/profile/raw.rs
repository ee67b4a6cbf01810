//! kwif.yaml as serde reads and writes it: every field an optional string or number, unknown
//! fields refused. `validate` turns it into the typed profile; the `From`s here turn it back.

use serde::{Deserialize, Serialize};

use super::choice::BlobModeName;
use super::{
    Azure, BlobMode, Cloud, Hosting, Identity, NODE_ROOT, Profile, RoleAssignment, Workload,
};
use std::path::Path;

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawProfile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) cluster: Option<RawCluster>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) issuer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) hosting: Option<RawHosting>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) azure: Option<RawAzure>,
    /// One identity: the same as `identities` with one entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) identity: Option<RawIdentity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) identities: Option<Vec<RawIdentity>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) workloads: Option<Vec<RawWorkload>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) app: Option<RawApp>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawApp {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) language: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawCluster {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) context: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) distribution: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) node_root: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawHosting {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) nginx: Option<RawNginx>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) azure_blob: Option<RawAzureBlob>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) directory: Option<RawDirectory>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawNginx {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) ingress_class: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) cluster_issuer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) namespace: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawAzureBlob {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) storage_account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) container: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) resource_group: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawDirectory {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) path: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawAzure {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) cloud: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) endpoints: Option<RawEndpoints>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) tenant: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) subscription: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) resource_group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) audience: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawEndpoints {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) resource_manager: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) authority_host: Option<String>,
    /// Microsoft Graph's root; needed only by `kind: application` identities.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) graph: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawIdentity {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) roles: Option<Vec<RawRole>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) principal_id: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawRole {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) role: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) cosmos_data_role: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) account: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawWorkload {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) service_account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) token_expiration_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) federated_credential_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) identity: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Typed → raw, for to_yaml
// ---------------------------------------------------------------------------------------------

impl From<&Profile> for RawProfile {
    fn from(profile: &Profile) -> RawProfile {
        RawProfile {
            cluster: Some(RawCluster {
                context: profile
                    .cluster
                    .context
                    .as_ref()
                    .map(|context| context.0.clone()),
                distribution: Some(profile.cluster.distribution.as_str().to_string()),
                node_root: (profile.cluster.node_root != Path::new(NODE_ROOT))
                    .then(|| profile.cluster.node_root.display().to_string()),
            }),
            issuer: Some(profile.issuer.as_str().to_string()),
            hosting: Some(RawHosting::from(&profile.hosting)),
            azure: Some(RawAzure::from(&profile.azure)),
            // One identity is written as `identity:`, several as `identities:`.
            identity: match profile.identities.as_slice() {
                [only] => Some(RawIdentity::from(only)),
                _ => None,
            },
            identities: (profile.identities.len() != 1)
                .then(|| profile.identities.iter().map(RawIdentity::from).collect()),
            workloads: Some(
                profile
                    .workloads
                    .iter()
                    .map(|workload| {
                        let mut raw = RawWorkload::from(workload);
                        // With one identity every workload uses it: the default stays implicit.
                        if profile.identities.len() == 1 {
                            raw.identity = None;
                        }
                        raw
                    })
                    .collect(),
            ),
            app: profile.app.language.map(|language| RawApp {
                language: Some(language.as_str().to_string()),
            }),
        }
    }
}

impl From<&Identity> for RawIdentity {
    fn from(identity: &Identity) -> RawIdentity {
        RawIdentity {
            name: Some(identity.name.0.clone()),
            kind: Some(identity.kind.as_str().to_string()),
            roles: Some(identity.roles.iter().map(RawRole::from).collect()),
            client_id: identity.client_id.map(|id| id.hyphenated().to_string()),
            principal_id: identity.principal_id.map(|id| id.hyphenated().to_string()),
        }
    }
}

impl From<&Hosting> for RawHosting {
    fn from(hosting: &Hosting) -> RawHosting {
        let mut raw = RawHosting {
            kind: Some(hosting.kind().to_string()),
            ..RawHosting::default()
        };
        match hosting {
            Hosting::Nginx(nginx) => {
                raw.nginx = Some(RawNginx {
                    host: Some(nginx.host.0.clone()),
                    ingress_class: Some(nginx.ingress_class.0.clone()),
                    cluster_issuer: nginx.cluster_issuer.as_ref().map(|issuer| issuer.0.clone()),
                    namespace: Some(nginx.namespace.0.clone()),
                });
            }
            Hosting::AzureBlob(blob) => {
                let (container, mode) = match &blob.mode {
                    BlobMode::PublicContainer(container) => {
                        (Some(container.0.clone()), BlobModeName::PublicContainer)
                    }
                    BlobMode::StaticWebsite => (None, BlobModeName::StaticWebsite),
                };
                raw.azure_blob = Some(RawAzureBlob {
                    storage_account: Some(blob.storage_account.0.clone()),
                    container,
                    mode: Some(mode.as_str().to_string()),
                    resource_group: blob.resource_group.as_ref().map(|group| group.0.clone()),
                });
            }
            Hosting::Directory { path } => {
                raw.directory = Some(RawDirectory {
                    path: Some(path.to_string_lossy().into_owned()),
                });
            }
            Hosting::ApiServer => {}
        }
        raw
    }
}

impl From<&Azure> for RawAzure {
    fn from(azure: &Azure) -> RawAzure {
        let endpoints = match &azure.cloud {
            Cloud::Custom(endpoints) => Some(RawEndpoints {
                resource_manager: Some(endpoints.resource_manager.to_string()),
                authority_host: Some(endpoints.authority_host.to_string()),
                graph: endpoints.graph.as_ref().map(ToString::to_string),
            }),
            _ => None,
        };
        RawAzure {
            cloud: Some(azure.cloud.as_str().to_string()),
            endpoints,
            tenant: azure.tenant.map(|tenant| tenant.hyphenated().to_string()),
            subscription: azure
                .subscription
                .map(|subscription| subscription.hyphenated().to_string()),
            resource_group: Some(azure.resource_group.0.clone()),
            location: Some(azure.location.0.clone()),
            audience: azure.audience.clone(),
        }
    }
}

impl From<&RoleAssignment> for RawRole {
    fn from(role: &RoleAssignment) -> RawRole {
        match role {
            RoleAssignment::Azure { role, scope } => RawRole {
                role: Some(role.0.clone()),
                scope: Some(scope.as_str().to_string()),
                ..RawRole::default()
            },
            RoleAssignment::CosmosData { role, account } => RawRole {
                cosmos_data_role: Some(role.0.clone()),
                account: Some(account.as_str().to_string()),
                ..RawRole::default()
            },
        }
    }
}

impl From<&Workload> for RawWorkload {
    fn from(workload: &Workload) -> RawWorkload {
        RawWorkload {
            namespace: Some(workload.namespace.0.clone()),
            service_account: Some(workload.service_account.0.clone()),
            kind: Some(workload.kind.as_str().to_string()),
            name: Some(workload.name.0.clone()),
            mode: Some(workload.mode.as_str().to_string()),
            token_expiration_seconds: Some(i64::from(workload.token_expiration.seconds())),
            federated_credential_name: workload
                .federated_credential_name
                .as_ref()
                .map(|name| name.0.clone()),
            identity: Some(workload.identity.0.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::profile::Profile;
    use crate::profile::tests::MINIMAL;

    #[test]
    fn example_round_trips_through_yaml() {
        let profile = Profile::example();
        let text = profile.to_yaml();
        assert_eq!(Profile::from_yaml(&text).unwrap(), profile, "{text}");
    }

    #[test]
    fn to_yaml_writes_defaults_out_and_leaves_absent_optionals_out() {
        let text = Profile::from_yaml(MINIMAL).unwrap().to_yaml();
        for written in [
            "distribution: auto",
            "cloud: public",
            "kind: Deployment",
            "mode: patch",
            "tokenExpirationSeconds: 3600",
            "kind: managedIdentity",
        ] {
            assert!(text.contains(written), "{written:?} missing from\n{text}");
        }
        for absent in [
            "context",
            "tenant",
            "subscription",
            "federatedCredentialName",
            "null",
            "identities",
            "identity: id-app",
        ] {
            assert!(!text.contains(absent), "{absent:?} in\n{text}");
        }
    }
}
