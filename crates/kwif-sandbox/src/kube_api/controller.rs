//! The controllers that make workloads look alive: Deployments through ReplicaSets, StatefulSets,
//! DaemonSets and Jobs to Pods, a kubelet that starts them (and runs a Job's to completion),
//! namespace defaults and garbage collection. Each pass runs right after a write, so a rollout
//! has finished when the next request arrives.

use std::collections::HashSet;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::admission::admit_pod;
use super::cluster::{Cluster, now, resource};
use super::defaults;
use super::managed_fields::FieldManager;
use super::resources::ResourceType;
use super::store::{ObjectKey, metadata_of, set_at};
use crate::randomness::{self, SAFE_ALPHABET};

const CONTROLLER_MANAGER: &str = "kube-controller-manager";
const KUBELET: &str = "kubelet";

/// What a pod-owning controller wants: how many pods, from which template, labelled how.
struct PodSet<'a> {
    owner: &'a Value,
    owner_kind: &'a str,
    owner_api_version: &'a str,
    template: Value,
    extra_labels: Vec<(String, String)>,
}

impl Cluster {
    /// Runs every controller until nothing changes (a few passes at most).
    pub fn reconcile(&mut self) {
        for _ in 0..8 {
            let mut changed = self.namespace_defaults();
            changed |= self.collect_garbage();
            changed |= self.each("apps", "deployments", Cluster::reconcile_deployment);
            changed |= self.each("apps", "replicasets", Cluster::reconcile_replicaset);
            changed |= self.each("apps", "statefulsets", Cluster::reconcile_statefulset);
            changed |= self.each("apps", "daemonsets", Cluster::reconcile_daemonset);
            changed |= self.each("batch", "jobs", Cluster::reconcile_job);
            changed |= self.each("", "pods", Cluster::run_pod);
            if !changed {
                break;
            }
        }
    }

    fn each(
        &mut self,
        group: &str,
        plural: &str,
        reconcile: fn(&mut Cluster, &'static ResourceType, &ObjectKey) -> bool,
    ) -> bool {
        let Some(kind) = resource(group, plural) else {
            return false;
        };
        let keys: Vec<ObjectKey> = self
            .store
            .list(kind, None)
            .into_iter()
            .map(|(key, _)| key.clone())
            .collect();
        let mut changed = false;
        for key in keys {
            changed |= reconcile(self, kind, &key);
        }
        changed
    }

    /// Writes `new` over the stored object as `manager`, recording its managed fields.
    fn controller_write(
        &mut self,
        kind: &ResourceType,
        key: &ObjectKey,
        new: &Value,
        manager: &str,
        subresource: &str,
    ) -> bool {
        let Some(old) = self.store.get(key).cloned() else {
            return false;
        };
        let api_version = kind.api_version();
        let now = now();
        let field_manager = FieldManager {
            manager,
            api_version: &api_version,
            subresource,
            status_is_separate: kind.status_subresource,
            now: &now,
        };
        let Ok(recorded) = field_manager.update(Some(&old), new) else {
            return false;
        };
        match self.store.prepare_update(kind, &old, recorded) {
            Some(prepared) => {
                self.store.update(key.clone(), prepared);
                true
            }
            None => false,
        }
    }

    fn controller_create(&mut self, kind: &ResourceType, mut object: Value, manager: &str) -> bool {
        let name = object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let namespace = object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .map(str::to_string);
        let key = ObjectKey::new(kind, namespace.as_deref(), &name);
        if self.store.contains(&key) {
            return false;
        }
        let api_version = kind.api_version();
        let now = now();
        let status = object.get("status").cloned();
        let field_manager = FieldManager {
            manager,
            api_version: &api_version,
            subresource: "",
            status_is_separate: kind.status_subresource,
            now: &now,
        };
        if let Ok(recorded) = field_manager.update(None, &object) {
            object = recorded;
        }
        if let (Some(status), Some(fields)) = (status, object.as_object_mut()) {
            fields.insert("status".into(), status);
        }
        self.store.prepare_create(kind, &mut object, &now);
        self.store.create(key, object);
        true
    }

    fn write_status(
        &mut self,
        kind: &ResourceType,
        key: &ObjectKey,
        status: Value,
        manager: &str,
    ) -> bool {
        let Some(mut object) = self.store.get(key).cloned() else {
            return false;
        };
        let old_status = object.get("status").cloned().unwrap_or_else(|| json!({}));
        let status = keep_condition_times(&old_status, status);
        if old_status == status {
            return false;
        }
        if let Some(fields) = object.as_object_mut() {
            fields.insert("status".into(), status);
        }
        self.controller_write(kind, key, &object, manager, "status")
    }

    /// Every namespace gets a `default` ServiceAccount and the `kube-root-ca.crt` ConfigMap.
    fn namespace_defaults(&mut self) -> bool {
        let (Some(namespaces), Some(accounts), Some(config_maps)) = (
            resource("", "namespaces"),
            resource("", "serviceaccounts"),
            resource("", "configmaps"),
        ) else {
            return false;
        };
        let names: Vec<String> = self
            .store
            .list(namespaces, None)
            .into_iter()
            .map(|(key, _)| key.name.clone())
            .collect();
        let mut changed = false;
        for namespace in names {
            let account = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": namespace}});
            changed |= self.controller_create(accounts, account, CONTROLLER_MANAGER);
            let root_ca = json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "kube-root-ca.crt", "namespace": namespace, "annotations": {
                    "kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."
                }},
                "data": {"ca.crt": self.ca_pem},
            });
            changed |= self.controller_create(config_maps, root_ca, CONTROLLER_MANAGER);
        }
        changed
    }

    /// Deletes objects all of whose owners are gone (background cascading deletion).
    fn collect_garbage(&mut self) -> bool {
        let mut changed = false;
        loop {
            let uids: HashSet<String> = self
                .store
                .keys()
                .iter()
                .filter_map(|key| self.store.get(key))
                .filter_map(|object| {
                    object
                        .pointer("/metadata/uid")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .collect();
            let orphans: Vec<ObjectKey> = self
                .store
                .keys()
                .into_iter()
                .filter(|key| {
                    let owners = self
                        .store
                        .get(key)
                        .and_then(|o| o.pointer("/metadata/ownerReferences"))
                        .and_then(Value::as_array);
                    owners.is_some_and(|owners| {
                        !owners.is_empty()
                            && owners.iter().all(|owner| {
                                owner
                                    .get("uid")
                                    .and_then(Value::as_str)
                                    .is_none_or(|uid| !uids.contains(uid))
                            })
                    })
                })
                .collect();
            if orphans.is_empty() {
                return changed;
            }
            for key in orphans {
                self.store.delete(&key);
            }
            changed = true;
        }
    }

    fn reconcile_deployment(
        &mut self,
        deployments: &'static ResourceType,
        key: &ObjectKey,
    ) -> bool {
        let (Some(deployment), Some(replica_sets)) = (
            self.store.get(key).cloned(),
            resource("apps", "replicasets"),
        ) else {
            return false;
        };
        let uid = text(&deployment, "/metadata/uid");
        let replicas = deployment
            .pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let template = deployment
            .pointer("/spec/template")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let hash = template_hash(&template);
        let owned: Vec<(ObjectKey, Value)> = self
            .store
            .list(replica_sets, Some(&key.namespace))
            .into_iter()
            .filter(|(_, rs)| controller_uid(rs) == Some(uid.as_str()))
            .map(|(key, rs)| (key.clone(), rs.clone()))
            .collect();
        let revision_of = |rs: &Value| {
            rs.pointer("/metadata/annotations/deployment.kubernetes.io~1revision")
                .and_then(Value::as_str)
                .and_then(|r| r.parse::<i64>().ok())
                .unwrap_or(0)
        };
        let current = owned
            .iter()
            .find(|(_, rs)| text(rs, "/metadata/labels/pod-template-hash") == hash);
        let mut changed = false;
        let (new_name, revision) = match current {
            Some((rs_key, rs)) => {
                let revision = revision_of(rs);
                if rs.pointer("/spec/replicas").and_then(Value::as_i64) != Some(replicas) {
                    let mut scaled = rs.clone();
                    set_at(&mut scaled, &["spec", "replicas"], json!(replicas));
                    changed |= self.controller_write(
                        replica_sets,
                        rs_key,
                        &scaled,
                        CONTROLLER_MANAGER,
                        "",
                    );
                }
                (rs_key.name.clone(), revision)
            }
            None => {
                let revision = owned
                    .iter()
                    .map(|(_, rs)| revision_of(rs))
                    .max()
                    .unwrap_or(0)
                    + 1;
                let rs = new_replica_set(&deployment, &template, &hash, replicas, revision);
                let name = text(&rs, "/metadata/name");
                changed |= self.controller_create(replica_sets, rs, CONTROLLER_MANAGER);
                (name, revision)
            }
        };
        for (rs_key, rs) in owned.iter().filter(|(k, _)| k.name != new_name) {
            if rs.pointer("/spec/replicas").and_then(Value::as_i64) != Some(0) {
                let mut scaled = rs.clone();
                set_at(&mut scaled, &["spec", "replicas"], json!(0));
                changed |=
                    self.controller_write(replica_sets, rs_key, &scaled, CONTROLLER_MANAGER, "");
            }
        }
        changed |= self.trim_history(&deployment, &owned, &new_name, revision_of);
        if text(
            &deployment,
            "/metadata/annotations/deployment.kubernetes.io~1revision",
        ) != revision.to_string()
        {
            let mut annotated = deployment.clone();
            set_at(
                &mut annotated,
                &[
                    "metadata",
                    "annotations",
                    "deployment.kubernetes.io/revision",
                ],
                json!(revision.to_string()),
            );
            changed |= self.controller_write(deployments, key, &annotated, CONTROLLER_MANAGER, "");
        }
        let status = self.deployment_status(&deployment, &new_name, replicas);
        changed | self.write_status(deployments, key, status, CONTROLLER_MANAGER)
    }

    /// Old ReplicaSets beyond `revisionHistoryLimit` go, oldest first.
    fn trim_history(
        &mut self,
        deployment: &Value,
        owned: &[(ObjectKey, Value)],
        current: &str,
        revision_of: impl Fn(&Value) -> i64,
    ) -> bool {
        let limit = deployment
            .pointer("/spec/revisionHistoryLimit")
            .and_then(Value::as_i64)
            .unwrap_or(10);
        let mut old: Vec<&(ObjectKey, Value)> = owned
            .iter()
            .filter(|(key, _)| key.name != current)
            .collect();
        old.sort_by_key(|(_, rs)| revision_of(rs));
        let excess = old
            .len()
            .saturating_sub(usize::try_from(limit).unwrap_or(0));
        for (key, _) in old.into_iter().take(excess) {
            self.store.delete(key);
        }
        excess > 0
    }

    fn deployment_status(&self, deployment: &Value, new_rs: &str, replicas: i64) -> Value {
        let (all, updated, ready) = self.pod_counts_of_deployment(deployment, new_rs);
        let generation = deployment
            .pointer("/metadata/generation")
            .cloned()
            .unwrap_or(json!(1));
        let available = ready >= replicas;
        let failure = self.replica_set_failure(deployment, new_rs);
        let mut conditions = vec![
            match available {
                true => condition(
                    "Available",
                    "True",
                    "MinimumReplicasAvailable",
                    "Deployment has minimum availability.",
                ),
                false => condition(
                    "Available",
                    "False",
                    "MinimumReplicasUnavailable",
                    "Deployment does not have minimum availability.",
                ),
            },
            match updated >= replicas && ready >= replicas && all == updated {
                true => condition(
                    "Progressing",
                    "True",
                    "NewReplicaSetAvailable",
                    &format!("ReplicaSet {new_rs:?} has successfully progressed."),
                ),
                false => condition(
                    "Progressing",
                    "True",
                    "ReplicaSetUpdated",
                    &format!("ReplicaSet {new_rs:?} is progressing."),
                ),
            },
        ];
        if let Some(message) = failure {
            conditions.push(condition(
                "ReplicaFailure",
                "True",
                "FailedCreate",
                &message,
            ));
        }
        let mut status = json!({"observedGeneration": generation, "replicas": all, "updatedReplicas": updated, "readyReplicas": ready, "availableReplicas": ready});
        if replicas > ready {
            status["unavailableReplicas"] = json!(replicas - ready);
        }
        strip_zero_counts(&mut status);
        status["conditions"] = Value::Array(conditions);
        status
    }

    fn replica_set_failure(&self, deployment: &Value, new_rs: &str) -> Option<String> {
        let replica_sets = resource("apps", "replicasets")?;
        let namespace = deployment
            .pointer("/metadata/namespace")
            .and_then(Value::as_str);
        let rs = self
            .store
            .get(&ObjectKey::new(replica_sets, namespace, new_rs))?;
        rs.pointer("/status/conditions")?
            .as_array()?
            .iter()
            .find(|c| c.get("type").and_then(Value::as_str) == Some("ReplicaFailure"))
            .and_then(|c| c.get("message").and_then(Value::as_str).map(str::to_string))
    }

    /// Pods of all the deployment's ReplicaSets, of its newest, and ready ones of the newest.
    fn pod_counts_of_deployment(&self, deployment: &Value, new_rs: &str) -> (i64, i64, i64) {
        let (Some(replica_sets), Some(pods)) =
            (resource("apps", "replicasets"), resource("", "pods"))
        else {
            return (0, 0, 0);
        };
        let namespace = deployment
            .pointer("/metadata/namespace")
            .and_then(Value::as_str);
        let uid = text(deployment, "/metadata/uid");
        let owned: Vec<(String, String)> = self
            .store
            .list(replica_sets, namespace)
            .into_iter()
            .filter(|(_, rs)| controller_uid(rs) == Some(uid.as_str()))
            .map(|(key, rs)| (key.name.clone(), text(rs, "/metadata/uid")))
            .collect();
        let (mut all, mut updated, mut ready) = (0, 0, 0);
        for (_, pod) in self.store.list(pods, namespace) {
            let Some((name, _)) = owned
                .iter()
                .find(|(_, rs_uid)| controller_uid(pod) == Some(rs_uid.as_str()))
            else {
                continue;
            };
            all += 1;
            if name == new_rs {
                updated += 1;
                ready += i64::from(is_ready(pod));
            }
        }
        (all, updated, ready)
    }

    fn reconcile_replicaset(
        &mut self,
        replica_sets: &'static ResourceType,
        key: &ObjectKey,
    ) -> bool {
        let Some(rs) = self.store.get(key).cloned() else {
            return false;
        };
        let desired = rs
            .pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let template = rs
            .pointer("/spec/template")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let pods = self.owned_pods(&rs);
        let mut changed = false;
        let excess = usize::try_from(i64::try_from(pods.len()).unwrap_or(0) - desired).unwrap_or(0);
        for pod_key in pods.iter().rev().take(excess) {
            self.store.delete(pod_key);
            changed = true;
        }
        let missing =
            usize::try_from(desired - i64::try_from(pods.len()).unwrap_or(0)).unwrap_or(0);
        let pod_set = PodSet {
            owner: &rs,
            owner_kind: "ReplicaSet",
            owner_api_version: "apps/v1",
            template,
            extra_labels: Vec::new(),
        };
        let mut failure = None;
        for _ in 0..missing {
            let name = format!("{}-{}", key.name, randomness::name_suffix(5));
            match self.create_pod(&pod_set, &name) {
                Ok(created) => changed |= created,
                Err(message) => {
                    failure = Some(format!("pods \"{}-\" is forbidden: {message}", key.name));
                    break;
                }
            }
        }
        let pods = self.owned_pods(&rs);
        let ready = pods
            .iter()
            .filter(|key| self.store.get(key).is_some_and(is_ready))
            .count();
        let mut status = json!({
            "replicas": pods.len(), "fullyLabeledReplicas": pods.len(), "readyReplicas": ready, "availableReplicas": ready,
            "observedGeneration": rs.pointer("/metadata/generation").cloned().unwrap_or(json!(1)),
        });
        strip_zero_counts(&mut status);
        if status.get("replicas").is_none() {
            status["replicas"] = json!(0);
        }
        if let Some(message) = failure {
            status["conditions"] = json!([condition(
                "ReplicaFailure",
                "True",
                "FailedCreate",
                &message
            )]);
        }
        changed | self.write_status(replica_sets, key, status, CONTROLLER_MANAGER)
    }

    fn reconcile_statefulset(
        &mut self,
        stateful_sets: &'static ResourceType,
        key: &ObjectKey,
    ) -> bool {
        let (Some(set), Some(pods)) = (self.store.get(key).cloned(), resource("", "pods")) else {
            return false;
        };
        let replicas = set
            .pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let template = set
            .pointer("/spec/template")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let revision = format!("{}-{}", key.name, template_hash(&template));
        let mut changed = false;
        for pod_key in self.owned_pods(&set) {
            let index = pod_key
                .name
                .rsplit('-')
                .next()
                .and_then(|i| i.parse::<i64>().ok())
                .unwrap_or(i64::MAX);
            let stale = self.store.get(&pod_key).is_some_and(|pod| {
                text(pod, "/metadata/labels/controller-revision-hash") != revision
            });
            if index >= replicas || stale {
                self.store.delete(&pod_key);
                changed = true;
            }
        }
        for index in 0..replicas {
            let name = format!("{}-{index}", key.name);
            if self
                .store
                .contains(&ObjectKey::new(pods, Some(&key.namespace), &name))
            {
                continue;
            }
            let mut pod_template = template.clone();
            if let Some(spec) = pod_template.get_mut("spec").and_then(Value::as_object_mut) {
                spec.insert("hostname".into(), json!(name));
                if let Some(service) = set.pointer("/spec/serviceName").and_then(Value::as_str) {
                    spec.insert("subdomain".into(), json!(service));
                }
                add_claim_volumes(spec, &set, &name);
            }
            let pod_set = PodSet {
                owner: &set,
                owner_kind: "StatefulSet",
                owner_api_version: "apps/v1",
                template: pod_template,
                extra_labels: vec![
                    ("apps.kubernetes.io/pod-index".into(), index.to_string()),
                    ("controller-revision-hash".into(), revision.clone()),
                    ("statefulset.kubernetes.io/pod-name".into(), name.clone()),
                ],
            };
            match self.create_pod(&pod_set, &name) {
                Ok(created) => changed |= created,
                Err(_) => break,
            }
        }
        let count = self.owned_pods(&set).len();
        let ready = self
            .owned_pods(&set)
            .iter()
            .filter(|key| self.store.get(key).is_some_and(is_ready))
            .count();
        // StatefulSetStatus (k8s.io/api/apps/v1): readyReplicas, currentReplicas and
        // updatedReplicas are omitempty; replicas and availableReplicas are not; collisionCount
        // is a pointer the controller sets, so 0 shows.
        let mut status = json!({
            "observedGeneration": set.pointer("/metadata/generation").cloned().unwrap_or(json!(1)),
            "readyReplicas": ready, "currentReplicas": count, "updatedReplicas": count,
            "currentRevision": revision, "updateRevision": revision,
        });
        strip_zero_counts(&mut status);
        status["replicas"] = json!(count);
        status["availableReplicas"] = json!(ready);
        status["collisionCount"] = json!(0);
        changed | self.write_status(stateful_sets, key, status, CONTROLLER_MANAGER)
    }

    fn reconcile_daemonset(&mut self, daemon_sets: &'static ResourceType, key: &ObjectKey) -> bool {
        let Some(set) = self.store.get(key).cloned() else {
            return false;
        };
        let template = set
            .pointer("/spec/template")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let hash = template_hash(&template);
        let generation = set
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let mut changed = false;
        for pod_key in self.owned_pods(&set) {
            if self
                .store
                .get(&pod_key)
                .is_some_and(|pod| text(pod, "/metadata/labels/controller-revision-hash") != hash)
            {
                self.store.delete(&pod_key);
                changed = true;
            }
        }
        if self.owned_pods(&set).is_empty() {
            let pod_set = PodSet {
                owner: &set,
                owner_kind: "DaemonSet",
                owner_api_version: "apps/v1",
                template,
                extra_labels: vec![
                    ("controller-revision-hash".into(), hash.clone()),
                    ("pod-template-generation".into(), generation.to_string()),
                ],
            };
            let name = format!("{}-{}", key.name, randomness::name_suffix(5));
            if let Ok(created) = self.create_pod(&pod_set, &name) {
                changed |= created;
            }
        }
        let pods = self.owned_pods(&set);
        let ready = pods
            .iter()
            .filter(|key| self.store.get(key).is_some_and(is_ready))
            .count();
        let mut status = json!({
            "currentNumberScheduled": pods.len(), "desiredNumberScheduled": 1, "numberAvailable": ready,
            "numberMisscheduled": 0, "numberReady": ready, "observedGeneration": generation, "updatedNumberScheduled": pods.len(),
        });
        if ready == 0 {
            status["numberUnavailable"] = json!(1);
        }
        changed | self.write_status(daemon_sets, key, status, CONTROLLER_MANAGER)
    }

    /// The Job controller: pods up to `parallelism` until `completions` succeeded, then the
    /// `SuccessCriteriaMet` and `Complete` conditions. A finished Job is left alone; a
    /// suspended one gets no pods.
    fn reconcile_job(&mut self, jobs: &'static ResourceType, key: &ObjectKey) -> bool {
        let Some(job) = self.store.get(key).cloned() else {
            return false;
        };
        if job_finished(&job) {
            return false;
        }
        let number = |pointer: &str, default: i64| {
            job.pointer(pointer)
                .and_then(Value::as_i64)
                .unwrap_or(default)
        };
        let (completions, parallelism) = (
            number("/spec/completions", 1),
            number("/spec/parallelism", 1),
        );
        let suspended = job.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true);
        let template = job
            .pointer("/spec/template")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let mut changed = false;
        let counts = self.job_pod_counts(&job);
        // Succeeded pods stay counted after they are deleted (the controller tracks them with
        // a finalizer until its status has them).
        let succeeded = counts.succeeded.max(number("/status/succeeded", 0));
        let wanted = (parallelism - counts.active).min(completions - succeeded - counts.active);
        if !suspended {
            let pod_set = PodSet {
                owner: &job,
                owner_kind: "Job",
                owner_api_version: "batch/v1",
                template,
                extra_labels: Vec::new(),
            };
            for _ in 0..wanted.max(0) {
                let name = format!("{}-{}", key.name, randomness::name_suffix(5));
                match self.create_pod(&pod_set, &name) {
                    Ok(created) => changed |= created,
                    Err(_) => break,
                }
            }
        }
        let counts = self.job_pod_counts(&job);
        let succeeded = counts.succeeded.max(number("/status/succeeded", 0));
        let now = now();
        let mut status = json!({
            "active": counts.active, "succeeded": succeeded,
        });
        strip_zero_counts(&mut status);
        // JobStatus: ready and terminating are pointers the controller sets, so 0 shows.
        status["ready"] = json!(counts.ready);
        status["terminating"] = json!(0);
        status["uncountedTerminatedPods"] = json!({});
        if !suspended {
            status["startTime"] = job
                .pointer("/status/startTime")
                .cloned()
                .unwrap_or_else(|| json!(now));
        }
        if succeeded >= completions {
            // The job controller's reason and message (pkg/controller/job): both conditions
            // as a finished Job of Kubernetes 1.31 on shows them.
            let reached = |kind: &str| {
                json!({"type": kind, "status": "True", "reason": "CompletionsReached",
                       "message": "Reached expected number of succeeded pods",
                       "lastProbeTime": now, "lastTransitionTime": now})
            };
            status["completionTime"] = json!(now);
            status["conditions"] = json!([reached("SuccessCriteriaMet"), reached("Complete")]);
        }
        changed | self.write_status(jobs, key, status, CONTROLLER_MANAGER)
    }

    /// The Job's pods: running or pending, succeeded, and ready.
    fn job_pod_counts(&self, job: &Value) -> JobPodCounts {
        let mut counts = JobPodCounts::default();
        for pod_key in self.owned_pods(job) {
            let Some(pod) = self.store.get(&pod_key) else {
                continue;
            };
            match text(pod, "/status/phase").as_str() {
                "Succeeded" => counts.succeeded += 1,
                "Failed" => {}
                _ => {
                    counts.active += 1;
                    counts.ready += i64::from(is_ready(pod));
                }
            }
        }
        counts
    }

    fn owned_pods(&self, owner: &Value) -> Vec<ObjectKey> {
        let Some(pods) = resource("", "pods") else {
            return Vec::new();
        };
        let uid = text(owner, "/metadata/uid");
        let namespace = owner.pointer("/metadata/namespace").and_then(Value::as_str);
        self.store
            .list(pods, namespace)
            .into_iter()
            .filter(|(_, pod)| controller_uid(pod) == Some(uid.as_str()))
            .map(|(key, _)| key.clone())
            .collect()
    }

    /// Creates one pod from a template, through the same admission as a pod POSTed by a user.
    fn create_pod(&mut self, set: &PodSet<'_>, name: &str) -> Result<bool, String> {
        let Some(pods) = resource("", "pods") else {
            return Ok(false);
        };
        let owner_name = text(set.owner, "/metadata/name");
        let namespace = text(set.owner, "/metadata/namespace");
        let mut labels = set
            .template
            .pointer("/metadata/labels")
            .cloned()
            .unwrap_or_else(|| json!({}));
        for (label, value) in &set.extra_labels {
            set_at(&mut labels, &[label.as_str()], json!(value));
        }
        let mut metadata = json!({
            "name": name, "namespace": namespace, "labels": labels,
            "ownerReferences": [{
                "apiVersion": set.owner_api_version, "kind": set.owner_kind, "name": owner_name,
                "uid": text(set.owner, "/metadata/uid"), "controller": true, "blockOwnerDeletion": true,
            }],
        });
        if set.owner_kind != "StatefulSet" {
            metadata["generateName"] = json!(format!(
                "{}-",
                name.rsplit_once('-').map_or(name, |(prefix, _)| prefix)
            ));
        }
        if let Some(annotations) = set.template.pointer("/metadata/annotations") {
            metadata["annotations"] = annotations.clone();
        }
        let mut pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": set.template.get("spec").cloned().unwrap_or_else(|| json!({}))});
        defaults::apply(pods, &mut pod);
        admit_pod(&self.store, &mut pod)?;
        set_at(
            &mut pod,
            &["spec", "nodeName"],
            json!(self.distribution.tells().node_name),
        );
        pod["status"] = json!({"phase": "Pending", "qosClass": qos_class(&pod)});
        Ok(self.controller_create(pods, pod, CONTROLLER_MANAGER))
    }

    /// The kubelet: a pending pod on the node starts, and all its containers are ready.
    fn run_pod(&mut self, pods: &'static ResourceType, key: &ObjectKey) -> bool {
        let Some(pod) = self.store.get(key) else {
            return false;
        };
        if text(pod, "/status/phase") != "Pending" || pod.pointer("/spec/nodeName").is_none() {
            return false;
        }
        let now = now();
        let completes = controller_kind(pod) == Some("Job");
        let node_ip = self.distribution.tells().node_ip;
        let digest = Sha256::digest(key.name.as_bytes());
        let pod_ip = format!("10.244.0.{}", 2 + u32::from(digest[0]) % 250);
        let statuses: Vec<Value> = pod
            .pointer("/spec/containers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|container| {
                let image = container
                    .get("image")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let id: String = Sha256::digest(format!("{}{image}", key.name).as_bytes())
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                let container_id = format!("containerd://{id}");
                let state = match completes {
                    true => json!({"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": now,
                                                  "finishedAt": now, "containerID": container_id}}),
                    false => json!({"running": {"startedAt": now}}),
                };
                json!({
                    "name": container.get("name").cloned().unwrap_or(json!("")),
                    "image": image, "imageID": format!("{image}@sha256:{id}"),
                    "containerID": container_id,
                    "ready": !completes, "restartCount": 0, "started": !completes,
                    "state": state,
                })
            })
            .collect();
        let status = json!({
            "phase": if completes { "Succeeded" } else { "Running" },
            "conditions": pod_conditions(completes, &now), "hostIP": node_ip, "hostIPs": [{"ip": node_ip}],
            "podIP": pod_ip, "podIPs": [{"ip": pod_ip}], "startTime": now, "containerStatuses": statuses,
            "qosClass": pod.pointer("/status/qosClass").cloned().unwrap_or(json!("BestEffort")),
        });
        self.write_status(pods, key, status, KUBELET)
    }
}

/// The pod's conditions: all true for a running pod; a pod whose containers all completed is
/// initialized and scheduled but no longer ready (reason `PodCompleted`), as the kubelet
/// reports a finished Job pod.
fn pod_conditions(completed: bool, now: &str) -> Vec<Value> {
    let kinds = [
        "PodReadyToStartContainers",
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
    ];
    kinds
        .iter()
        .map(|kind| {
            let mut condition = json!({"type": kind, "status": "True", "lastProbeTime": null, "lastTransitionTime": now});
            if completed {
                match *kind {
                    "PodReadyToStartContainers" => condition["status"] = json!("False"),
                    "Initialized" => condition["reason"] = json!("PodCompleted"),
                    "Ready" | "ContainersReady" => {
                        condition["status"] = json!("False");
                        condition["reason"] = json!("PodCompleted");
                    }
                    _ => {}
                }
            }
            condition
        })
        .collect()
}

/// The StatefulSet controller's `updateStorage`: each claim template becomes a volume of the
/// pod, bound to the claim `{template}-{pod}`.
fn add_claim_volumes(spec: &mut serde_json::Map<String, Value>, set: &Value, pod_name: &str) {
    let templates: Vec<String> = set
        .pointer("/spec/volumeClaimTemplates")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|claim| claim.pointer("/metadata/name").and_then(Value::as_str))
        .map(str::to_string)
        .collect();
    if templates.is_empty() {
        return;
    }
    let volumes = spec.entry("volumes").or_insert_with(|| json!([]));
    let Some(volumes) = volumes.as_array_mut() else {
        return;
    };
    for template in templates {
        volumes.retain(|volume| volume.get("name").and_then(Value::as_str) != Some(&template));
        volumes.push(json!({"name": template, "persistentVolumeClaim": {"claimName": format!("{template}-{pod_name}")}}));
    }
}

fn new_replica_set(
    deployment: &Value,
    template: &Value,
    hash: &str,
    replicas: i64,
    revision: i64,
) -> Value {
    let name = text(deployment, "/metadata/name");
    let mut template = template.clone();
    let mut labels = template
        .pointer("/metadata/labels")
        .cloned()
        .unwrap_or_else(|| json!({}));
    set_at(&mut labels, &["pod-template-hash"], json!(hash));
    metadata_of(&mut template).insert("labels".into(), labels.clone());
    let mut selector = deployment
        .pointer("/spec/selector")
        .cloned()
        .unwrap_or_else(|| json!({}));
    if let Some(selector) = selector.as_object_mut() {
        let match_labels = selector.entry("matchLabels").or_insert_with(|| json!({}));
        set_at(match_labels, &["pod-template-hash"], json!(hash));
    }
    json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {
            "name": format!("{name}-{hash}"),
            "namespace": text(deployment, "/metadata/namespace"),
            "labels": labels,
            "annotations": {
                "deployment.kubernetes.io/desired-replicas": replicas.to_string(),
                "deployment.kubernetes.io/max-replicas": (replicas + (replicas + 3) / 4).to_string(),
                "deployment.kubernetes.io/revision": revision.to_string(),
            },
            "ownerReferences": [{
                "apiVersion": "apps/v1", "kind": "Deployment", "name": name,
                "uid": text(deployment, "/metadata/uid"), "controller": true, "blockOwnerDeletion": true,
            }],
        },
        "spec": {"replicas": replicas, "selector": selector, "template": template},
    })
}

/// The pod-template hash the controllers put in names and labels: FNV-32a of the template,
/// spelled with the safe alphabet like `rand.SafeEncodeString`.
pub fn template_hash(template: &Value) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in canonical_json(template).bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash.to_string()
        .bytes()
        .map(|digit| char::from(SAFE_ALPHABET[usize::from(digit) % SAFE_ALPHABET.len()]))
        .collect()
}

/// JSON with object members sorted, so the same template always hashes the same.
fn canonical_json(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| a.0.cmp(b.0));
            let inner: Vec<String> = members
                .into_iter()
                .map(|(k, v)| format!("{}:{}", Value::String(k.clone()), canonical_json(v)))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(canonical_json)
                .collect::<Vec<_>>()
                .join(",")
        ),
        other => other.to_string(),
    }
}

fn condition(kind: &str, status: &str, reason: &str, message: &str) -> Value {
    json!({"type": kind, "status": status, "reason": reason, "message": message})
}

/// Gives conditions their times: unchanged conditions keep theirs, changed ones get now.
fn keep_condition_times(old_status: &Value, mut status: Value) -> Value {
    let now = now();
    let old_conditions = old_status
        .get("conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if let Some(conditions) = status.get_mut("conditions").and_then(Value::as_array_mut) {
        for condition in conditions.iter_mut().filter_map(Value::as_object_mut) {
            let previous = old_conditions
                .iter()
                .find(|old| old.get("type") == condition.get("type"));
            let same = previous.is_some_and(|old| {
                ["status", "reason", "message"]
                    .iter()
                    .all(|f| old.get(*f) == condition.get(*f))
            });
            for time in ["lastUpdateTime", "lastTransitionTime"] {
                if condition.contains_key(time) {
                    continue;
                }
                let kept = previous
                    .filter(|_| same)
                    .and_then(|old| old.get(time))
                    .cloned();
                condition.insert(time.into(), kept.unwrap_or_else(|| json!(now)));
            }
        }
    }
    status
}

/// Status counts of zero are omitted, as Go's `omitempty` does.
fn strip_zero_counts(status: &mut Value) {
    if let Some(status) = status.as_object_mut() {
        status.retain(|_, value| value.as_i64() != Some(0));
    }
}

/// How a Job's pods stand.
#[derive(Default)]
struct JobPodCounts {
    active: i64,
    succeeded: i64,
    ready: i64,
}

/// A Job with a true `Complete` or `Failed` condition is done for good.
fn job_finished(job: &Value) -> bool {
    job.pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|condition| {
            matches!(condition["type"].as_str(), Some("Complete" | "Failed"))
                && condition["status"] == "True"
        })
}

fn is_ready(pod: &Value) -> bool {
    text(pod, "/status/phase") == "Running"
}

/// The kind of the object's controlling owner.
fn controller_kind(object: &Value) -> Option<&str> {
    object
        .pointer("/metadata/ownerReferences")?
        .as_array()?
        .iter()
        .find(|owner| owner.get("controller").and_then(Value::as_bool) == Some(true))
        .and_then(|owner| owner.get("kind").and_then(Value::as_str))
}

fn controller_uid(object: &Value) -> Option<&str> {
    object
        .pointer("/metadata/ownerReferences")?
        .as_array()?
        .iter()
        .find(|owner| owner.get("controller").and_then(Value::as_bool) == Some(true))
        .and_then(|owner| owner.get("uid").and_then(Value::as_str))
}

fn qos_class(pod: &Value) -> &'static str {
    let containers = pod.pointer("/spec/containers").and_then(Value::as_array);
    let any_resources = containers.into_iter().flatten().any(|container| {
        container
            .get("resources")
            .and_then(Value::as_object)
            .is_some_and(|resources| !resources.is_empty())
    });
    match any_resources {
        true => "Burstable",
        false => "BestEffort",
    }
}

fn text(value: &Value, pointer: &str) -> String {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_hashes_use_the_safe_alphabet_and_ignore_member_order() {
        let a = json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "app", "image": "nginx"}]}});
        let b = json!({"spec": {"containers": [{"image": "nginx", "name": "app"}]}, "metadata": {"labels": {"app": "web"}}});
        assert_eq!(template_hash(&a), template_hash(&b));
        assert!(
            template_hash(&a)
                .bytes()
                .all(|c| SAFE_ALPHABET.contains(&c))
        );
        assert_ne!(template_hash(&a), template_hash(&json!({})));
    }
}
