//! What exists, for the wizard's pickers: kubeconfig contexts, the cluster's namespaces, service
//! accounts and workloads, its distribution, and Azure's tenants, subscriptions, resource groups,
//! regions, role names and accounts. Read-only lookups over the same environment a run uses;
//! the TUI sees only the [`Discovery`] trait and plain suggestions.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use ::kube::Client;
use ::kube::api::{Api, DynamicObject, ListParams};
use serde_json::Value;

use crate::azure::arm::ArmClient;
use crate::azure::session::AzureSession;
use crate::engine::StepFuture;
use crate::kube as cluster;
use crate::profile::{Azure, Cloud};
use crate::session::Environment;

/// A list a field can pick from. Fields of a workload or role entry name what they depend on.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    Contexts,
    /// The cluster's distribution, as detected, with the evidence. `context`: the kubeconfig
    /// context the form names (`None`: the current one), for every cluster list.
    Distribution {
        context: Option<String>,
    },
    /// Issuers worth proposing: the cluster's current one, and `proposal` (for nginx hosting,
    /// `https://<host>/<cluster>`).
    Issuers {
        context: Option<String>,
        proposal: Option<String>,
    },
    Namespaces {
        context: Option<String>,
    },
    ServiceAccounts {
        context: Option<String>,
        namespace: String,
    },
    Workloads {
        context: Option<String>,
        namespace: String,
        kind: String,
    },
    Tenants,
    Subscriptions,
    ResourceGroups {
        subscription: String,
    },
    Locations {
        subscription: String,
    },
    RoleNames {
        subscription: String,
    },
    /// Resources a role can be scoped to: resource groups, storage and Cosmos DB accounts.
    Scopes {
        subscription: String,
    },
    CosmosAccounts {
        subscription: String,
    },
    /// Cosmos DB data roles: the built-in ones, and the account's own when it is named.
    CosmosDataRoles {
        account: Option<String>,
    },
    /// The managed identities of a resource group (to reuse one), and `proposal`, a new name.
    Identities {
        subscription: String,
        resource_group: String,
        proposal: Option<String>,
    },
}

impl Source {
    /// What the picker says while it loads: "namespaces", "regions".
    pub fn noun(&self) -> &'static str {
        match self {
            Source::Contexts => "kubeconfig contexts",
            Source::Distribution { .. } => "the cluster's distribution",
            Source::Issuers { .. } => "issuers",
            Source::Namespaces { .. } => "namespaces",
            Source::ServiceAccounts { .. } => "service accounts",
            Source::Workloads { .. } => "workloads",
            Source::Tenants => "tenants",
            Source::Subscriptions => "subscriptions",
            Source::ResourceGroups { .. } => "resource groups",
            Source::Locations { .. } => "regions",
            Source::RoleNames { .. } => "role names",
            Source::Scopes { .. } => "resources",
            Source::CosmosAccounts { .. } => "Cosmos DB accounts",
            Source::Identities { .. } => "managed identities",
            Source::CosmosDataRoles { .. } => "Cosmos DB data roles",
        }
    }
}

/// One thing a field can take: the value written into kwif.yaml and how the list shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    pub value: String,
    pub label: String,
}

impl Suggestion {
    pub fn new(value: impl Into<String>, label: impl Into<String>) -> Suggestion {
        Suggestion {
            value: value.into(),
            label: label.into(),
        }
    }

    fn plain(value: impl Into<String>) -> Suggestion {
        let value = value.into();
        Suggestion {
            label: value.clone(),
            value,
        }
    }
}

/// A dedicated ServiceAccount first (`<namespace>-sa`, new unless it exists), then the others;
/// `default` is marked, since every pod of the namespace runs as it.
fn service_accounts(namespace: &str, existing: Vec<Suggestion>) -> Vec<Suggestion> {
    let dedicated = format!("{namespace}-sa");
    let exists = existing.iter().any(|account| account.value == dedicated);
    let mut accounts: Vec<Suggestion> = existing
        .into_iter()
        .filter(|account| account.value != dedicated)
        .map(|account| match account.value.as_str() {
            "default" => Suggestion::new(
                "default",
                "default — shared by every pod of the namespace without its own",
            ),
            _ => account,
        })
        .collect();
    accounts.sort_by_key(|account| account.value == "default");
    let how = if exists { "exists" } else { "kwif creates it" };
    accounts.insert(
        0,
        Suggestion::new(dedicated.clone(), format!("{dedicated} — {how}")),
    );
    accounts
}

/// Looks lists up; a list that cannot be had says why in one line (the picker then lets the
/// user type freely).
pub trait Discovery: Send + Sync {
    fn list(&self, source: Source) -> StepFuture<'static, Result<Vec<Suggestion>, String>>;
}

/// Lookups over a run's environment: the kubeconfig and its contexts, the Azure login. Cheap
/// to clone; clones share their clients.
#[derive(Clone)]
pub struct EnvironmentDiscovery(Arc<Lookups>);

struct Lookups {
    environment: Environment,
    /// The cloud and tenant to ask Azure in (the profile's; else the public cloud and the
    /// Azure CLI's tenant).
    cloud: Cloud,
    tenant: Option<uuid::Uuid>,
    clients: Mutex<HashMap<Option<String>, Client>>,
    arm: tokio::sync::Mutex<Option<Result<ArmClient, String>>>,
}

impl EnvironmentDiscovery {
    /// Lookups in the profile's cloud and tenant (the public cloud without a profile).
    pub fn new(environment: Environment, azure: Option<&Azure>) -> EnvironmentDiscovery {
        EnvironmentDiscovery::in_cloud(
            environment,
            azure.map(|azure| azure.cloud.clone()).unwrap_or_default(),
            azure.and_then(|azure| azure.tenant),
        )
    }

    /// Lookups in `cloud`, logging in to `tenant` (else the credential's own).
    pub fn in_cloud(
        environment: Environment,
        cloud: Cloud,
        tenant: Option<uuid::Uuid>,
    ) -> EnvironmentDiscovery {
        EnvironmentDiscovery(Arc::new(Lookups {
            environment,
            cloud,
            tenant,
            clients: Mutex::new(HashMap::new()),
            arm: tokio::sync::Mutex::new(None),
        }))
    }

    /// Lists `source` now.
    pub async fn lookup(&self, source: &Source) -> Result<Vec<Suggestion>, String> {
        self.0.lookup(source).await
    }
}

impl Lookups {
    fn kubeconfig_path(&self) -> Option<PathBuf> {
        self.environment.kubeconfig.clone()
    }

    async fn kube(&self, context: &Option<String>) -> Result<Client, String> {
        let context = context.clone().or_else(|| self.environment.context.clone());
        if let Some(client) = self
            .clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&context)
        {
            return Ok(client.clone());
        }
        let client = cluster::connect_with(
            self.kubeconfig_path().as_deref(),
            context.as_deref(),
            &self.environment.timeouts,
        )
        .await
        .map_err(|error| format!("the cluster cannot be reached: {error}"))?;
        self.clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(context, client.clone());
        Ok(client)
    }

    async fn arm(&self) -> Result<ArmClient, String> {
        let mut arm = self.arm.lock().await;
        if let Some(made) = arm.as_ref() {
            return made.clone();
        }
        let made = self.connect_arm().await;
        *arm = Some(made.clone());
        made
    }

    async fn connect_arm(&self) -> Result<ArmClient, String> {
        let pems = self
            .environment
            .ca_files
            .iter()
            .map(|path| {
                std::fs::read_to_string(path)
                    .map_err(|error| format!("cannot read the CA file {}: {error}", path.display()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        AzureSession::arm_for_listing(
            &self.cloud,
            self.tenant,
            &self.environment.login,
            &pems,
            self.environment.timeouts,
        )
        .map_err(|error| format!("Azure cannot be reached: {error}"))
    }

    async fn lookup(&self, source: &Source) -> Result<Vec<Suggestion>, String> {
        match source {
            Source::Contexts => self.contexts(),
            Source::Distribution { context } => self.distribution(context).await,
            Source::Issuers { context, proposal } => {
                self.issuers(context, proposal.as_deref()).await
            }
            Source::Namespaces { context } => {
                let mut namespaces = self
                    .kube_names(context, ("", "v1", "Namespace"), None)
                    .await?;
                // The system's own namespaces last: workloads rarely live there.
                namespaces.sort_by_key(|namespace| namespace.value.starts_with("kube-"));
                Ok(namespaces)
            }
            Source::ServiceAccounts { context, namespace } => {
                let existing = self
                    .kube_names(context, ("", "v1", "ServiceAccount"), Some(namespace))
                    .await?;
                Ok(service_accounts(namespace, existing))
            }
            Source::Workloads {
                context,
                namespace,
                kind,
            } => {
                let group = if kind == "Job" || kind == "CronJob" {
                    "batch"
                } else {
                    "apps"
                };
                self.kube_names(context, (group, "v1", kind), Some(namespace))
                    .await
            }
            Source::Tenants => self.tenants().await,
            Source::Subscriptions => self.subscriptions().await,
            Source::ResourceGroups { subscription } => {
                self.arm_names(
                    &format!("/subscriptions/{subscription}/resourcegroups"),
                    "2021-04-01",
                    |item| item["name"].as_str().map(Suggestion::plain),
                )
                .await
            }
            Source::Locations { subscription } => {
                self.arm_names(
                    &format!("/subscriptions/{subscription}/locations"),
                    "2022-12-01",
                    |item| {
                        let name = item["name"].as_str()?;
                        let shown = item["displayName"].as_str().unwrap_or(name);
                        Some(Suggestion::new(name, format!("{name} — {shown}")))
                    },
                )
                .await
            }
            Source::RoleNames { subscription } => self.role_names(subscription).await,
            Source::Scopes { subscription } => self.scopes(subscription).await,
            Source::Identities {
                subscription,
                resource_group,
                proposal,
            } => {
                self.identities(subscription, resource_group, proposal.as_deref())
                    .await
            }
            Source::CosmosDataRoles { account } => self.cosmos_data_roles(account.as_deref()).await,
            Source::CosmosAccounts { subscription } => {
                self.arm_names(
                    &format!(
                        "/subscriptions/{subscription}/providers/Microsoft.DocumentDB/databaseAccounts"
                    ),
                    "2025-10-15",
                    resource_id,
                )
                .await
            }
        }
    }

    fn contexts(&self) -> Result<Vec<Suggestion>, String> {
        let kubeconfig = match self.kubeconfig_path() {
            Some(path) => ::kube::config::Kubeconfig::read_from(&path),
            None => ::kube::config::Kubeconfig::read(),
        }
        .map_err(|error| format!("no kubeconfig: {error}"))?;
        let current = kubeconfig.current_context.clone();
        let mut contexts: Vec<Suggestion> = kubeconfig
            .contexts
            .iter()
            .map(|context| {
                let cluster = context
                    .context
                    .as_ref()
                    .map(|detail| detail.cluster.clone())
                    .unwrap_or_default();
                let mark = if current.as_deref() == Some(&context.name) {
                    " (current)"
                } else {
                    ""
                };
                Suggestion::new(
                    context.name.clone(),
                    format!("{} — cluster {cluster}{mark}", context.name),
                )
            })
            .collect();
        // The current context first: it is what kwif uses when the field stays empty.
        contexts.sort_by_key(|suggestion| current.as_deref() != Some(&suggestion.value));
        Ok(contexts)
    }

    async fn distribution(&self, context: &Option<String>) -> Result<Vec<Suggestion>, String> {
        let client = self.kube(context).await?;
        let facts = crate::kube::detect::gather(&client)
            .await
            .map_err(|error| format!("the cluster cannot be asked: {error}"))?;
        Ok(facts
            .detect()
            .map(|detected| {
                Suggestion::new(
                    detected.distribution.as_str(),
                    format!(
                        "{} — detected: {}",
                        detected.distribution.as_str(),
                        detected.evidence
                    ),
                )
            })
            .into_iter()
            .collect())
    }

    async fn issuers(
        &self,
        context: &Option<String>,
        proposal: Option<&str>,
    ) -> Result<Vec<Suggestion>, String> {
        let mut issuers: Vec<Suggestion> = proposal
            .map(|issuer| Suggestion::new(issuer, format!("{issuer} — where nginx would serve it")))
            .into_iter()
            .collect();
        let current = match self.kube(context).await {
            Ok(client) => cluster::get_raw(&client, "/.well-known/openid-configuration")
                .await
                .map_err(|error| format!("the cluster's issuer cannot be read: {error}")),
            Err(reason) => Err(reason),
        };
        match current {
            Ok(text) => {
                let document: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                if let Some(issuer) = document["issuer"].as_str() {
                    issuers.push(Suggestion::new(
                        issuer,
                        format!("{issuer} — the cluster's issuer now"),
                    ));
                }
            }
            Err(reason) if issuers.is_empty() => return Err(reason),
            Err(_) => {}
        }
        Ok(issuers)
    }

    async fn kube_names(
        &self,
        context: &Option<String>,
        (group, version, kind): (&str, &str, &str),
        namespace: Option<&str>,
    ) -> Result<Vec<Suggestion>, String> {
        let client = self.kube(context).await?;
        let resource = cluster::api_resource(group, version, kind);
        let api: Api<DynamicObject> = match namespace {
            Some(namespace) => Api::namespaced_with(client, namespace, &resource),
            None => Api::all_with(client, &resource),
        };
        let list = api
            .list(&ListParams::default())
            .await
            .map_err(|error| format!("the cluster cannot list {kind}s: {error}"))?;
        let mut names: Vec<String> = list
            .items
            .into_iter()
            .filter_map(|object| object.metadata.name)
            .collect();
        names.sort();
        Ok(names.into_iter().map(Suggestion::plain).collect())
    }

    async fn arm_names(
        &self,
        path: &str,
        api_version: &str,
        item: impl Fn(&Value) -> Option<Suggestion>,
    ) -> Result<Vec<Suggestion>, String> {
        let arm = self.arm().await?;
        let items = arm
            .list("listing for the form", path, api_version, None)
            .await
            .map_err(|error| error.to_string())?;
        let mut suggestions: Vec<Suggestion> = items.iter().filter_map(item).collect();
        suggestions.sort_by(|a, b| a.label.cmp(&b.label));
        Ok(suggestions)
    }

    /// The resource group's managed identities, after `proposal` (a new name) when no
    /// identity has it; a missing group (it is created later) leaves the proposal alone.
    async fn identities(
        &self,
        subscription: &str,
        resource_group: &str,
        proposal: Option<&str>,
    ) -> Result<Vec<Suggestion>, String> {
        let existing = self
            .arm_names(
                &format!(
                    "/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities"
                ),
                crate::azure::identity_client::MANAGED_IDENTITY_API_VERSION,
                |item| {
                    let name = item["name"].as_str()?;
                    Some(Suggestion::new(name, format!("{name} — exists, reused")))
                },
            )
            .await;
        let proposed = proposal.map(|name| Suggestion::new(name, format!("{name} — new")));
        match existing {
            Ok(mut identities) => {
                if let Some(proposed) =
                    proposed.filter(|new| !identities.iter().any(|old| old.value == new.value))
                {
                    identities.insert(0, proposed);
                }
                Ok(identities)
            }
            Err(reason) => proposed.map(|new| vec![new]).ok_or(reason),
        }
    }

    /// The built-in data roles (no lookup), then the custom ones `account` defines.
    async fn cosmos_data_roles(&self, account: Option<&str>) -> Result<Vec<Suggestion>, String> {
        let mut roles: Vec<Suggestion> = crate::azure::cosmos::BUILT_IN_ROLES
            .iter()
            .map(|(name, _)| Suggestion::new(*name, format!("{name} — built-in")))
            .collect();
        let Some(account) = account.filter(|account| account.starts_with("/subscriptions/")) else {
            return Ok(roles);
        };
        // The account's own roles are a bonus: without them the built-ins still serve.
        if let Ok(custom) = self
            .arm_names(
                &format!("{}/sqlRoleDefinitions", account.trim_end_matches('/')),
                crate::azure::cosmos::COSMOS_API_VERSION,
                |item| {
                    let name = item["properties"]["roleName"].as_str()?;
                    let custom = item["properties"]["type"].as_str() != Some("BuiltInRole");
                    custom.then(|| Suggestion::new(name, format!("{name} — this account's")))
                },
            )
            .await
        {
            roles.extend(custom);
        }
        Ok(roles)
    }

    async fn tenants(&self) -> Result<Vec<Suggestion>, String> {
        self.arm_names("/tenants", "2022-12-01", |item| {
            let id = item["tenantId"].as_str()?;
            let name = item["displayName"].as_str().unwrap_or("");
            Some(Suggestion::new(id, format!("{id} — {name}")))
        })
        .await
    }

    async fn subscriptions(&self) -> Result<Vec<Suggestion>, String> {
        self.arm_names("/subscriptions", "2022-12-01", |item| {
            let id = item["subscriptionId"].as_str()?;
            let name = item["displayName"].as_str().unwrap_or("");
            Some(Suggestion::new(id, format!("{id} — {name}")))
        })
        .await
    }

    /// Role names, built-in ones first, each group in alphabetical order.
    async fn role_names(&self, subscription: &str) -> Result<Vec<Suggestion>, String> {
        let arm = self.arm().await?;
        let items = arm
            .list(
                "listing role definitions",
                &format!("/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions"),
                "2022-04-01",
                None,
            )
            .await
            .map_err(|error| error.to_string())?;
        let mut roles: Vec<(bool, Suggestion)> = items
            .iter()
            .filter_map(|item| {
                let properties = &item["properties"];
                let name = properties["roleName"].as_str()?;
                let custom = properties["type"] != "BuiltInRole";
                let label = if custom {
                    format!("{name} (custom)")
                } else {
                    name.to_string()
                };
                Some((custom, Suggestion::new(name, label)))
            })
            .collect();
        roles.sort_by(|a, b| (a.0, &a.1.value).cmp(&(b.0, &b.1.value)));
        roles.dedup_by(|a, b| a.1.value == b.1.value);
        Ok(roles.into_iter().map(|(_, role)| role).collect())
    }

    async fn scopes(&self, subscription: &str) -> Result<Vec<Suggestion>, String> {
        let mut scopes = vec![Suggestion::new(
            format!("/subscriptions/{subscription}"),
            format!("/subscriptions/{subscription} — the whole subscription"),
        )];
        let groups = self
            .arm_names(
                &format!("/subscriptions/{subscription}/resourcegroups"),
                "2021-04-01",
                resource_id,
            )
            .await?;
        scopes.extend(groups);
        for (provider, version) in [
            ("Microsoft.Storage/storageAccounts", "2025-06-01"),
            ("Microsoft.DocumentDB/databaseAccounts", "2025-10-15"),
        ] {
            let path = format!("/subscriptions/{subscription}/providers/{provider}");
            // A provider the subscription has not registered answers an error: no such scopes.
            if let Ok(found) = self.arm_names(&path, version, resource_id).await {
                scopes.extend(found);
            }
        }
        Ok(scopes)
    }
}

/// A resource's id, shown with its name.
fn resource_id(item: &Value) -> Option<Suggestion> {
    let id = item["id"].as_str()?;
    let name = item["name"].as_str().unwrap_or(id);
    Some(Suggestion::new(id, format!("{name} — {id}")))
}

impl Discovery for EnvironmentDiscovery {
    fn list(&self, source: Source) -> StepFuture<'static, Result<Vec<Suggestion>, String>> {
        let lookups = self.0.clone();
        Box::pin(async move { lookups.lookup(&source).await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dedicated_service_account_comes_first_and_default_last() {
        let existing = ["default", "builder", "shop-sa"]
            .map(Suggestion::plain)
            .to_vec();
        let accounts = service_accounts("shop", existing);
        let values: Vec<&str> = accounts
            .iter()
            .map(|account| account.value.as_str())
            .collect();
        assert_eq!(values, ["shop-sa", "builder", "default"]);
        assert_eq!(accounts[0].label, "shop-sa — exists");
        let fresh = service_accounts("web", vec![Suggestion::plain("default")]);
        assert_eq!(fresh[0].label, "web-sa — kwif creates it");
        assert!(fresh[1].label.starts_with("default — shared"));
    }
}
