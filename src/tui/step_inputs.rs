//! The profile fields each step uses, as (kwif.yaml path, value) rows for the detail pane, each
//! identity under its own path (`identity` for one, `identities[i]` for several) and each
//! workload with the identity it uses. A table per step over the typed profile; nothing is
//! fetched or checked here.

use crate::engine::StepId;
use crate::profile::{BlobMode, Hosting, IdentityKind, Profile, RoleAssignment, Workload};

/// `" as id-web"` after a workload's text when the profile has several identities to tell apart.
fn as_identity(profile: &Profile, workload: &Workload) -> String {
    match profile.identities.len() {
        1 => String::new(),
        _ => format!(" as {}", workload.identity),
    }
}

/// The rows for `step`: the path as kwif.yaml writes it, and the value in use.
pub fn step_inputs(profile: &Profile, step: StepId) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    let mut row = |path: &str, value: String| rows.push((path.to_string(), value));
    let issuer = profile.issuer.as_str().to_string();
    match step {
        StepId::Issuer => {
            let context = profile.cluster.context.as_ref().map_or(
                "(the current one)".to_string(),
                std::string::ToString::to_string,
            );
            row("cluster.context", context);
            row(
                "cluster.distribution",
                profile.cluster.distribution.to_string(),
            );
            row("issuer", issuer);
        }
        StepId::Hosting => {
            row("issuer", issuer);
            row("(discovery URL)", profile.issuer.discovery_url());
            row("hosting.kind", profile.hosting.kind().to_string());
            hosting_rows(&profile.hosting, &mut row);
        }
        StepId::Identity => {
            let from_cli = || "(from the Azure CLI)".to_string();
            row(
                "azure.subscription",
                profile
                    .azure
                    .subscription
                    .map_or_else(from_cli, |id| id.to_string()),
            );
            row(
                "azure.resourceGroup",
                profile.azure.resource_group.to_string(),
            );
            row("azure.location", profile.azure.location.to_string());
            for (index, identity) in profile.identities.iter().enumerate() {
                let field = profile.identity_field(index);
                row(&format!("{field}.name"), identity.name.to_string());
                if identity.kind != IdentityKind::ManagedIdentity {
                    row(&format!("{field}.kind"), identity.kind.to_string());
                }
                for (index, role) in identity.roles.iter().enumerate() {
                    row(&format!("{field}.roles[{index}]"), role_text(role));
                }
            }
            if profile.needs_graph()
                && let Some(graph) = profile.azure.cloud.endpoints().graph()
            {
                row("(Microsoft Graph)", graph.to_string());
            }
        }
        StepId::Federation => {
            for (index, identity) in profile.identities.iter().enumerate() {
                row(
                    &format!("{}.name", profile.identity_field(index)),
                    identity.name.to_string(),
                );
            }
            row("issuer", issuer);
            let audience = profile.azure.audience().to_string();
            match profile.azure.audience {
                Some(_) => row("azure.audience", audience),
                None => row("(audience)", audience),
            }
            for (index, workload) in profile.workloads.iter().enumerate() {
                let credential = workload.federated_credential_name_or_default();
                row(
                    &format!("workloads[{index}]"),
                    format!(
                        "{credential}: {}{}",
                        workload.subject(),
                        as_identity(profile, workload)
                    ),
                );
            }
        }
        StepId::Workload => {
            for (index, workload) in profile.workloads.iter().enumerate() {
                let text = format!(
                    "{} {}/{} as {}, mode {}, token {} s{}",
                    workload.kind,
                    workload.namespace,
                    workload.name,
                    workload.service_account,
                    workload.mode,
                    workload.token_expiration.seconds(),
                    match profile.identities.len() {
                        1 => String::new(),
                        _ => format!(", identity {}", workload.identity),
                    }
                );
                row(&format!("workloads[{index}]"), text);
            }
        }
        StepId::Verify => {
            let tenant = profile
                .azure
                .tenant
                .map_or("(from the Azure CLI)".to_string(), |id| id.to_string());
            row("azure.tenant", tenant);
            row("issuer", issuer);
            for (index, workload) in profile.workloads.iter().enumerate() {
                row(
                    &format!("workloads[{index}]"),
                    format!("{}{}", workload.subject(), as_identity(profile, workload)),
                );
            }
        }
    }
    rows
}

fn hosting_rows(hosting: &Hosting, row: &mut impl FnMut(&str, String)) {
    match hosting {
        Hosting::Nginx(nginx) => {
            row("hosting.nginx.host", nginx.host.to_string());
            row(
                "hosting.nginx.ingressClass",
                nginx.ingress_class.to_string(),
            );
            let tls = nginx.cluster_issuer.as_ref().map_or(
                "(none: you provide TLS)".to_string(),
                std::string::ToString::to_string,
            );
            row("hosting.nginx.clusterIssuer", tls);
            row("hosting.nginx.namespace", nginx.namespace.to_string());
        }
        Hosting::AzureBlob(blob) => {
            row(
                "hosting.azureBlob.storageAccount",
                blob.storage_account.to_string(),
            );
            match &blob.mode {
                BlobMode::PublicContainer(container) => {
                    row("hosting.azureBlob.container", container.to_string());
                }
                BlobMode::StaticWebsite => {
                    row("hosting.azureBlob.mode", "static-website".to_string());
                }
            }
            let group = blob.resource_group.as_ref().map_or_else(
                || "(azure.resourceGroup)".to_string(),
                std::string::ToString::to_string,
            );
            row("hosting.azureBlob.resourceGroup", group);
        }
        Hosting::Directory { path } => row("hosting.directory.path", path.display().to_string()),
        Hosting::ApiServer => {}
    }
}

fn role_text(role: &RoleAssignment) -> String {
    match role {
        RoleAssignment::Azure { role, scope } => format!("{role} on {scope}"),
        RoleAssignment::CosmosData { role, account } => {
            format!("{role} (Cosmos DB data) on {account}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_identity_has_its_rows_and_each_workload_names_its_identity() {
        let profile = Profile::from_yaml(
            "issuer: https://oidc.example.com\nhosting: { kind: apiserver }\n\
             azure: { resourceGroup: rg1, location: westeurope }\n\
             identities:\n  - { name: id-web }\n  - { name: id-jobs, kind: application }\n\
             workloads:\n  - { namespace: app, serviceAccount: web-sa, name: web, identity: id-web }\n  \
             - { namespace: app, serviceAccount: job-sa, name: job, identity: id-jobs }\n",
        )
        .unwrap();
        let rows = step_inputs(&profile, StepId::Identity);
        let paths: Vec<&str> = rows.iter().map(|(path, _)| path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "azure.subscription",
                "azure.resourceGroup",
                "azure.location",
                "identities[0].name",
                "identities[1].name",
                "identities[1].kind",
                "(Microsoft Graph)"
            ]
        );
        assert_eq!(rows[6].1, "https://graph.microsoft.com/");
        let federation = step_inputs(&profile, StepId::Federation);
        assert_eq!(
            federation.last().map(|(_, value)| value.as_str()),
            Some("kwif-app-job-sa: system:serviceaccount:app:job-sa as id-jobs")
        );
        let verify = step_inputs(&profile, StepId::Verify);
        assert_eq!(
            verify.last().map(|(_, value)| value.as_str()),
            Some("system:serviceaccount:app:job-sa as id-jobs")
        );
    }
}
