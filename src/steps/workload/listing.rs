//! What one check of the workload step reads of the cluster: each kind of object it needs
//! (the workloads' kinds, ServiceAccounts, Pods) listed once per namespace, all at once, instead
//! of one read per workload. It only reads; a list the API server refuses leaves that part
//! unread, and the step falls back to reading each object, so its findings stay the same.

use std::collections::{BTreeMap, BTreeSet};

use ::kube::Client;
use ::kube::api::{Api, DynamicObject, ListParams};
use futures::StreamExt;
use serde_json::Value;

use crate::kube as cluster;
use crate::profile::Workload;

use super::CONCURRENCY;
use super::kind::shape;

/// One list: a kind (`Deployment`, `ServiceAccount`, `Pod`) in one namespace.
type ListKey = (&'static str, &'static str, String);

/// The objects of each (group, kind, namespace) the check listed, by name; a key that is absent
/// was not listed (the list failed) and is read object by object instead.
#[derive(Default)]
pub struct Listing {
    lists: BTreeMap<ListKey, BTreeMap<String, Value>>,
}

impl Listing {
    /// Lists, per namespace of `workloads`, their kinds, the ServiceAccounts and the Pods.
    pub async fn read(client: &Client, workloads: &[Workload]) -> Listing {
        let mut keys: BTreeSet<ListKey> = BTreeSet::new();
        for workload in workloads {
            let namespace = workload.namespace.as_str().to_string();
            keys.insert((
                shape(workload.kind).group,
                workload.kind.as_str(),
                namespace.clone(),
            ));
            keys.insert(("", "ServiceAccount", namespace.clone()));
            if shape(workload.kind).rolls_out {
                keys.insert(("", "Pod", namespace));
            }
        }
        // A plain loop, not a closure over the keys: the step's future must be Send, which a
        // closure taking borrowed keys would make depend on a higher-ranked lifetime.
        let mut reads = Vec::with_capacity(keys.len());
        for key in keys {
            let client = client.clone();
            reads.push(async move {
                let objects = list(&client, &key).await;
                (key, objects)
            });
        }
        let listed: Vec<(ListKey, Option<BTreeMap<String, Value>>)> = futures::stream::iter(reads)
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let lists = listed
            .into_iter()
            .filter_map(|(key, objects)| Some((key, objects?)))
            .collect();
        Listing { lists }
    }

    /// `workload`'s object as listed: `Some(None)` when the list has no such object, `None`
    /// when its kind was not listed in its namespace.
    pub fn workload(&self, workload: &Workload) -> Option<Option<Value>> {
        self.object(
            shape(workload.kind).group,
            workload.kind.as_str(),
            workload.namespace.as_str(),
            workload.name.as_str(),
        )
    }

    /// `workload`'s ServiceAccount as listed, as [`Listing::workload`].
    pub fn service_account(&self, workload: &Workload) -> Option<Option<Value>> {
        self.object(
            "",
            "ServiceAccount",
            workload.namespace.as_str(),
            workload.service_account.as_str(),
        )
    }

    /// The pods of `namespace` whose labels hold every `key=value` of `selector`; `None` when
    /// the namespace's pods were not listed.
    pub fn pods(&self, namespace: &str, selector: &[(String, String)]) -> Option<Vec<Value>> {
        let pods = self.lists.get(&("", "Pod", namespace.to_string()))?;
        Some(
            pods.values()
                .filter(|pod| {
                    selector.iter().all(|(key, value)| {
                        pod["metadata"]["labels"][key.as_str()].as_str() == Some(value.as_str())
                    })
                })
                .cloned()
                .collect(),
        )
    }

    fn object(
        &self,
        group: &'static str,
        kind: &'static str,
        namespace: &str,
        name: &str,
    ) -> Option<Option<Value>> {
        let objects = self.lists.get(&(group, kind, namespace.to_string()))?;
        Some(objects.get(name).cloned())
    }
}

/// Every object of `key`, by name, each with the `apiVersion` and `kind` a single read shows
/// (the items of a list carry neither); `None` when the list fails.
async fn list(client: &Client, key: &ListKey) -> Option<BTreeMap<String, Value>> {
    let (group, kind, namespace) = key;
    let resource = cluster::api_resource(group, "v1", kind);
    let api: Api<DynamicObject> = cluster::dynamic_api(client, &resource, namespace);
    let listed = api.list(&ListParams::default()).await.ok()?;
    let objects = listed
        .items
        .into_iter()
        .filter_map(|object| {
            let name = object.metadata.name.clone()?;
            let mut value = serde_json::to_value(object).ok()?;
            value["apiVersion"] = Value::from(resource.api_version.as_str());
            value["kind"] = Value::from(*kind);
            Some((name, value))
        })
        .collect();
    Some(objects)
}
