//! The stories a sandbox starts in, seeded straight into the servers' state: the application
//! every scenario has, a working setup done by hand after the azure-workload-identity
//! conventions, and the breakage each scenario replays (DESIGN.md, "The sandbox").

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde_json::{Value, json};

use crate::SandboxError;
use crate::azure::AzureSandbox;
use crate::kube_api::KubeSandbox;

pub const NAMESPACE: &str = "application1";
pub const DEPLOYMENT: &str = "web-server";
pub const SERVICE_ACCOUNT: &str = "application1-sa";
pub const RESOURCE_GROUP: &str = "rg-application1";
pub const IDENTITY: &str = "id-application1";
pub const FEDERATED_CREDENTIAL: &str = "application1-sa";
pub const LOCATION: &str = "westeurope";
pub const STORAGE_ACCOUNT: &str = "st1";
/// The Cosmos DB account the application's `COSMOS_ENDPOINT` names, in its resource group.
pub const COSMOS_ACCOUNT: &str = "cosmos1";
/// A second team's namespace, so pickers have more than one of everything to show.
pub const SECOND_NAMESPACE: &str = "analytics";
pub const SECOND_SERVICE_ACCOUNT: &str = "analytics-sa";
pub const STATEFUL_SET: &str = "event-store";
pub const CRON_JOB: &str = "nightly-report";
/// A custom role of the subscription, for a role picker to show beside the built-ins.
pub const CUSTOM_ROLE: &str = "Application1 Config Reader";
/// Storage Blob Data Reader (learn.microsoft.com's built-in roles list).
pub const ROLE_NAME: &str = "Storage Blob Data Reader";
const ROLE_ID: &str = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";
/// The audience public Azure's federated credentials and projected tokens use (azure.md §10.1).
pub const AUDIENCE: &str = "api://AzureADTokenExchange";
/// k3s's default issuer, kept accepted after the new one (kubernetes.md §2, §6.2).
pub const K3S_DEFAULT_ISSUER: &str = "https://kubernetes.default.svc.cluster.local";
/// Azure workload identity's names for the projected token (its webhook's and its docs').
pub const TOKEN_VOLUME: &str = "azure-identity-token";
pub const TOKEN_MOUNT_PATH: &str = "/var/run/secrets/azure/tokens";
pub const TOKEN_FILE: &str = "/var/run/secrets/azure/tokens/azure-identity-token";
/// The field manager the working setup's fields belong to: kwif applied them.
pub const FIELD_MANAGER: &str = "kwif";

/// Which story the sandbox tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// A cluster and a subscription where nothing is set up yet.
    Fresh,
    /// A working setup that drifted: a rotated signing key not yet published, a federated
    /// credential with a wrong subject, and a Deployment missing `AZURE_TENANT_ID`.
    Drifted,
    /// A working setup whose hosting broke: documents served as `text/plain`, the discovery
    /// document at `…/.well-known/oidc-configuration`.
    BrokenHosting,
}

impl Scenario {
    pub const ALL: [Scenario; 3] = [Scenario::Fresh, Scenario::Drifted, Scenario::BrokenHosting];

    pub fn as_str(self) -> &'static str {
        match self {
            Scenario::Fresh => "fresh",
            Scenario::Drifted => "drifted",
            Scenario::BrokenHosting => "broken-hosting",
        }
    }

    /// The content type the static host serves every file as.
    pub fn content_type(self) -> &'static str {
        match self {
            Scenario::BrokenHosting => "text/plain",
            Scenario::Fresh | Scenario::Drifted => "application/json",
        }
    }

    /// Whether the story starts from a working setup.
    pub fn is_set_up(self) -> bool {
        self != Scenario::Fresh
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for Scenario {
    type Err = String;

    fn from_str(text: &str) -> Result<Scenario, String> {
        Scenario::ALL
            .into_iter()
            .find(|scenario| scenario.as_str() == text)
            .ok_or_else(|| format!("unknown scenario {text:?}: fresh, drifted or broken-hosting"))
    }
}

/// The k3s server configuration of the node: k3s's own options, and for a set-up scenario the
/// issuer change after the azure-workload-identity guide — the new issuer first (it signs), the
/// default kept after it (old tokens stay valid), the jwks-uri pointing at the hosted JWKS.
pub fn k3s_config(scenario: Scenario, issuer: &str) -> String {
    let mut text = String::from(
        "# k3s server configuration of the sandbox's control-plane node\n\
         write-kubeconfig-mode: \"0644\"\n\
         tls-san:\n  - k3s.example.internal\n",
    );
    if scenario.is_set_up() {
        text.push_str(&format!(
            "kube-apiserver-arg:\n  \
               - \"service-account-issuer={issuer}\"\n  \
               - \"service-account-issuer={K3S_DEFAULT_ISSUER}\"\n  \
               - \"service-account-jwks-uri={issuer}/openid/v1/jwks\"\n"
        ));
    }
    text
}

/// The application every scenario has: its namespace and Deployment, as its team applied them;
/// and a second team's namespace with a StatefulSet and a CronJob.
pub fn seed_application(kube: &KubeSandbox) -> Result<(), SandboxError> {
    seed_first_namespace(kube)?;
    seed_second_namespace(kube)
}

fn seed_first_namespace(kube: &KubeSandbox) -> Result<(), SandboxError> {
    kube.insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}))?;
    kube.insert(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": DEPLOYMENT, "namespace": NAMESPACE, "labels": {"app": DEPLOYMENT, "team": "payments"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": DEPLOYMENT}},
            "template": {
                "metadata": {"labels": {"app": DEPLOYMENT}},
                "spec": {"containers": [{"name": "web", "image": "ghcr.io/example/web-server:1.4.2",
                    "env": [{"name": "COSMOS_ENDPOINT", "value": "https://cosmos1.documents.azure.com:443/"}]}]}
            }
        }
    }))?;
    Ok(())
}

/// `analytics`: its ServiceAccount, a headless Service and StatefulSet `event-store` with a
/// claim template, and CronJob `nightly-report`, none of them set up for workload identity.
fn seed_second_namespace(kube: &KubeSandbox) -> Result<(), SandboxError> {
    kube.insert(
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": SECOND_NAMESPACE}}),
    )?;
    kube.insert(json!({"apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": {"name": SECOND_SERVICE_ACCOUNT, "namespace": SECOND_NAMESPACE}}))?;
    kube.insert(json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": STATEFUL_SET, "namespace": SECOND_NAMESPACE, "labels": {"app": STATEFUL_SET}},
        "spec": {"clusterIP": "None", "selector": {"app": STATEFUL_SET}, "ports": [{"name": "events", "port": 5432}]},
    }))?;
    kube.insert(json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": STATEFUL_SET, "namespace": SECOND_NAMESPACE, "labels": {"app": STATEFUL_SET, "team": "analytics"}},
        "spec": {
            "serviceName": STATEFUL_SET,
            "replicas": 2,
            "selector": {"matchLabels": {"app": STATEFUL_SET}},
            "template": {
                "metadata": {"labels": {"app": STATEFUL_SET}},
                "spec": {
                    "serviceAccountName": SECOND_SERVICE_ACCOUNT,
                    "containers": [{"name": "store", "image": "ghcr.io/example/event-store:0.9.1",
                        "volumeMounts": [{"name": "events", "mountPath": "/var/lib/events"}]}],
                },
            },
            "volumeClaimTemplates": [{"metadata": {"name": "events"}, "spec": {
                "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}}}],
        },
    }))?;
    kube.insert(json!({
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": CRON_JOB, "namespace": SECOND_NAMESPACE, "labels": {"team": "analytics"}},
        "spec": {
            "schedule": "30 2 * * *",
            "jobTemplate": {"spec": {"template": {"spec": {
                "serviceAccountName": SECOND_SERVICE_ACCOUNT,
                "restartPolicy": "OnFailure",
                "containers": [{"name": "report", "image": "ghcr.io/example/nightly-report:2.3.0",
                    "env": [{"name": "COSMOS_ENDPOINT", "value": "https://cosmos1.documents.azure.com:443/"}]}],
            }}}},
        },
    }))?;
    Ok(())
}

/// What a working setup needs to know of the servers.
pub struct Setup<'a> {
    pub kube: &'a KubeSandbox,
    pub azure: &'a AzureSandbox,
    /// The static host's document root.
    pub site: &'a Path,
    pub issuer: &'a str,
}

impl Setup<'_> {
    /// A complete working setup, then the scenario's breakage. The API server already runs with
    /// the issuer flags of [`k3s_config`].
    pub fn run(&self, scenario: Scenario) -> Result<(), SandboxError> {
        if !scenario.is_set_up() {
            return Ok(());
        }
        self.publish_issuer_documents()?;
        let client_id = self.azure_identity()?;
        self.workload(&client_id)?;
        match scenario {
            Scenario::Drifted => self.drift(),
            Scenario::BrokenHosting => self.break_hosting(),
            Scenario::Fresh => Ok(()),
        }
    }

    fn issuer_directory(&self) -> std::path::PathBuf {
        // The issuer is `{origin}/cluster1`; the host serves the site root at the origin.
        let path = self
            .issuer
            .split_once("://")
            .and_then(|(_, rest)| rest.split_once('/'))
            .map_or("", |(_, path)| path);
        self.site.join(path)
    }

    /// The API server's own discovery document and JWKS (`kubectl get --raw …`), copied to the
    /// static host below the issuer's path.
    fn publish_issuer_documents(&self) -> Result<(), SandboxError> {
        let discovery = self.kube.discovery_document().ok_or_else(|| {
            SandboxError::Setup("the API server serves no discovery document".to_string())
        })?;
        let directory = self.issuer_directory();
        write_json(
            &directory.join(".well-known/openid-configuration"),
            &discovery,
        )?;
        write_json(&directory.join("openid/v1/jwks"), &self.kube.jwks())
    }

    /// The identity, its role on the storage account and its federated credential. Returns the
    /// identity's client id.
    fn azure_identity(&self) -> Result<String, SandboxError> {
        let identity = self.azure.insert_identity(RESOURCE_GROUP, IDENTITY)?;
        let subscription = self.azure.subscription_id();
        self.azure.insert_role_assignment(
            &storage_account_scope(subscription),
            &format!(
                "/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{ROLE_ID}"
            ),
            &identity.principal_id,
        );
        self.azure.insert_federated_credential(
            RESOURCE_GROUP,
            IDENTITY,
            FEDERATED_CREDENTIAL,
            self.issuer,
            &subject(SERVICE_ACCOUNT),
            AUDIENCE,
        )?;
        Ok(identity.client_id)
    }

    /// The ServiceAccount and the pod template's token volume, mount and environment, applied
    /// server-side as field manager `kwif`.
    fn workload(&self, client_id: &str) -> Result<(), SandboxError> {
        self.kube.apply(
            FIELD_MANAGER,
            json!({"apiVersion": "v1", "kind": "ServiceAccount",
                   "metadata": {"name": SERVICE_ACCOUNT, "namespace": NAMESPACE}}),
        )?;
        let env = json!([
            {"name": "AZURE_CLIENT_ID", "value": client_id},
            {"name": "AZURE_TENANT_ID", "value": self.azure.tenant_id()},
            {"name": "AZURE_FEDERATED_TOKEN_FILE", "value": TOKEN_FILE},
            {"name": "AZURE_AUTHORITY_HOST", "value": self.azure.authority_host()},
        ]);
        self.kube.apply(
            FIELD_MANAGER,
            json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": DEPLOYMENT, "namespace": NAMESPACE},
                "spec": {"template": {"spec": {
                    "serviceAccountName": SERVICE_ACCOUNT,
                    "volumes": [{"name": TOKEN_VOLUME, "projected": {"sources": [{"serviceAccountToken": {
                        "audience": AUDIENCE, "expirationSeconds": 3600, "path": TOKEN_VOLUME}}]}}],
                    "containers": [{
                        "name": "web",
                        "env": env,
                        "volumeMounts": [{"name": TOKEN_VOLUME, "mountPath": TOKEN_MOUNT_PATH, "readOnly": true}],
                    }],
                }}},
            }),
        )?;
        Ok(())
    }

    /// Someone rotated the signing key without publishing it, pointed the credential at the
    /// namespace's default ServiceAccount and deleted one variable with `kubectl edit`.
    fn drift(&self) -> Result<(), SandboxError> {
        self.kube.rotate_signing_key()?;
        self.azure.insert_federated_credential(
            RESOURCE_GROUP,
            IDENTITY,
            FEDERATED_CREDENTIAL,
            self.issuer,
            &subject("default"),
            AUDIENCE,
        )?;
        let mut deployment = self
            .kube
            .object("apps/v1", "Deployment", Some(NAMESPACE), DEPLOYMENT)
            .ok_or_else(|| SandboxError::Setup(format!("no Deployment {DEPLOYMENT}")))?;
        if let Some(env) = deployment
            .pointer_mut("/spec/template/spec/containers/0/env")
            .and_then(Value::as_array_mut)
        {
            env.retain(|variable| variable["name"] != "AZURE_TENANT_ID");
        }
        if let Some(metadata) = deployment
            .get_mut("metadata")
            .and_then(Value::as_object_mut)
        {
            metadata.remove("managedFields");
        }
        self.kube.insert_as("kubectl-edit", deployment)?;
        Ok(())
    }

    /// The discovery document uploaded under the wrong name (the host serves `text/plain`).
    fn break_hosting(&self) -> Result<(), SandboxError> {
        let documents = self.issuer_directory().join(".well-known");
        std::fs::rename(
            documents.join("openid-configuration"),
            documents.join("oidc-configuration"),
        )
        .map_err(|error| SandboxError::Files(documents.display().to_string(), error))
    }
}

/// `system:serviceaccount:application1:{name}`.
pub fn subject(service_account: &str) -> String {
    format!("system:serviceaccount:{NAMESPACE}:{service_account}")
}

/// The Cosmos DB account `cosmos1`, which a profile's `cosmosDataRole` can name.
pub fn cosmos_account_id(subscription: &str) -> String {
    format!(
        "/subscriptions/{subscription}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.DocumentDB/databaseAccounts/{COSMOS_ACCOUNT}"
    )
}

/// The storage account the identity's role is scoped to.
pub fn storage_account_scope(subscription: &str) -> String {
    format!(
        "/subscriptions/{subscription}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.Storage/storageAccounts/{STORAGE_ACCOUNT}"
    )
}

fn write_json(path: &Path, document: &Value) -> Result<(), SandboxError> {
    let failed = |error| SandboxError::Files(path.display().to_string(), error);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(failed)?;
    }
    std::fs::write(path, document.to_string()).map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenarios_read_back_from_their_names() {
        for scenario in Scenario::ALL {
            assert_eq!(scenario.as_str().parse::<Scenario>(), Ok(scenario));
        }
        assert!("broken".parse::<Scenario>().is_err());
    }

    #[test]
    fn the_k3s_config_keeps_the_default_issuer_after_the_new_one() {
        let text = k3s_config(Scenario::Drifted, "https://127.0.0.1:1/cluster1");
        let yaml: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        let arguments: Vec<&str> = yaml["kube-apiserver-arg"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|value| value.as_str().unwrap())
            .collect();
        assert_eq!(
            arguments,
            [
                "service-account-issuer=https://127.0.0.1:1/cluster1",
                "service-account-issuer=https://kubernetes.default.svc.cluster.local",
                "service-account-jwks-uri=https://127.0.0.1:1/cluster1/openid/v1/jwks"
            ]
        );
        assert!(!k3s_config(Scenario::Fresh, "x").contains("kube-apiserver-arg"));
    }
}
