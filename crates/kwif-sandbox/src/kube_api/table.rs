//! Server-side printing: a `meta.k8s.io/v1` Table instead of objects when a client asks for one
//! in `Accept` (`as=Table;g=meta.k8s.io`), with the columns kube-apiserver's printers give each
//! kind (pkg/printers/internalversion/printers.go) and ages as `duration.HumanDuration` writes them.
//! Kinds without printers get Name and Age, as the default table convertor gives.

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use super::resources::ResourceType;

/// Whether an `Accept` header asks for a Table.
pub fn wanted(accept: Option<&str>) -> bool {
    accept.is_some_and(|accept| {
        accept.split(',').any(|media| {
            let parameters: Vec<&str> = media.split(';').map(str::trim).collect();
            parameters.contains(&"as=Table") && parameters.contains(&"g=meta.k8s.io")
        })
    })
}

/// What each row carries besides its cells (`includeObject`): nothing, the object's metadata
/// (the default) or the whole object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IncludeObject {
    None,
    Metadata,
    Object,
}

impl IncludeObject {
    pub fn parse(value: Option<&str>) -> IncludeObject {
        match value {
            Some("None") => IncludeObject::None,
            Some("Object") => IncludeObject::Object,
            _ => IncludeObject::Metadata,
        }
    }
}

/// A column: its name, type, format and priority (0 always shown, 1 with `-o wide`).
struct Column(&'static str, &'static str, &'static str, u8);

const NAME: Column = Column("Name", "string", "name", 0);
const AGE: Column = Column("Age", "string", "", 0);

fn columns(kind: &str) -> Vec<Column> {
    let text = |name| Column(name, "string", "", 0);
    let number = |name| Column(name, "integer", "", 0);
    let wide = |name| Column(name, "string", "", 1);
    match kind {
        "Namespace" => vec![NAME, text("Status"), AGE],
        "ServiceAccount" => vec![NAME, number("Secrets"), AGE],
        "ConfigMap" => vec![NAME, number("Data"), AGE],
        "Secret" => vec![NAME, text("Type"), number("Data"), AGE],
        "Service" => vec![
            NAME,
            text("Type"),
            text("Cluster-IP"),
            text("External-IP"),
            text("Port(s)"),
            AGE,
            wide("Selector"),
        ],
        "Pod" => vec![
            NAME,
            text("Ready"),
            text("Status"),
            text("Restarts"),
            AGE,
            wide("IP"),
            wide("Node"),
        ],
        "Node" => vec![NAME, text("Status"), text("Roles"), AGE, text("Version")],
        "Deployment" => vec![
            NAME,
            text("Ready"),
            number("Up-to-date"),
            number("Available"),
            AGE,
            wide("Containers"),
            wide("Images"),
            wide("Selector"),
        ],
        "ReplicaSet" => vec![
            NAME,
            number("Desired"),
            number("Current"),
            number("Ready"),
            AGE,
        ],
        "StatefulSet" => vec![NAME, text("Ready"), AGE],
        "DaemonSet" => vec![
            NAME,
            number("Desired"),
            number("Current"),
            number("Ready"),
            number("Up-to-date"),
            number("Available"),
            text("Node Selector"),
            AGE,
        ],
        "Job" => vec![
            NAME,
            text("Status"),
            text("Completions"),
            text("Duration"),
            AGE,
        ],
        "CronJob" => vec![
            NAME,
            text("Schedule"),
            text("Timezone"),
            text("Suspend"),
            number("Active"),
            text("Last Schedule"),
            AGE,
        ],
        "Ingress" => vec![
            NAME,
            text("Class"),
            text("Hosts"),
            text("Address"),
            text("Ports"),
            AGE,
        ],
        "ClusterRole" | "Role" => vec![NAME, Column("Created At", "date", "", 0)],
        "ClusterRoleBinding" | "RoleBinding" => vec![NAME, text("Role"), AGE],
        "MutatingWebhookConfiguration" => vec![NAME, number("Webhooks"), AGE],
        _ => vec![NAME, AGE],
    }
}

/// The Table of `objects` (a list's items, or the one object of a GET).
pub fn table(
    resource: &ResourceType,
    objects: &[Value],
    list_metadata: Value,
    include: IncludeObject,
    now: SystemTime,
) -> Value {
    let definitions: Vec<Value> = columns(resource.kind)
        .iter()
        .map(|Column(name, kind, format, priority)| {
            json!({"name": name, "type": kind, "format": format, "description": "", "priority": priority})
        })
        .collect();
    let rows: Vec<Value> = objects
        .iter()
        .map(|object| {
            let mut row = json!({"cells": cells(resource.kind, object, now)});
            match include {
                IncludeObject::None => {}
                IncludeObject::Object => row["object"] = object.clone(),
                IncludeObject::Metadata => {
                    row["object"] = json!({
                        "kind": "PartialObjectMetadata",
                        "apiVersion": "meta.k8s.io/v1",
                        "metadata": object.get("metadata").cloned().unwrap_or(json!({})),
                    });
                }
            }
            row
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_metadata,
        "columnDefinitions": definitions,
        "rows": rows,
    })
}

fn text<'a>(object: &'a Value, pointer: &str) -> &'a str {
    object
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn integer(object: &Value, pointer: &str) -> i64 {
    object
        .pointer(pointer)
        .and_then(Value::as_i64)
        .unwrap_or_default()
}

fn count(object: &Value, pointer: &str) -> usize {
    match object.pointer(pointer) {
        Some(Value::Array(items)) => items.len(),
        Some(Value::Object(members)) => members.len(),
        _ => 0,
    }
}

fn or_none(text: String) -> String {
    match text.is_empty() {
        true => "<none>".to_string(),
        false => text,
    }
}

fn cells(kind: &str, object: &Value, now: SystemTime) -> Vec<Value> {
    let name = json!(text(object, "/metadata/name"));
    let created = json!(age(text(object, "/metadata/creationTimestamp"), now));
    let containers = |pointer: &str, field: &str| {
        object
            .pointer(pointer)
            .and_then(Value::as_array)
            .map(|containers| {
                containers
                    .iter()
                    .map(|container| text(container, &format!("/{field}")).to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default()
    };
    match kind {
        "Namespace" => vec![name, json!(text(object, "/status/phase")), created],
        "ServiceAccount" => vec![name, json!(count(object, "/secrets")), created],
        "ConfigMap" => vec![
            name,
            json!(count(object, "/data") + count(object, "/binaryData")),
            created,
        ],
        "Secret" => vec![
            name,
            json!(text(object, "/type")),
            json!(count(object, "/data")),
            created,
        ],
        "Service" => vec![
            name,
            json!(text(object, "/spec/type")),
            json!(or_none(text(object, "/spec/clusterIP").to_string())),
            json!(external_ips(object)),
            json!(or_none(ports(object))),
            created,
            json!(or_none(selector(object.pointer("/spec/selector")))),
        ],
        "Pod" => pod_cells(name, created, object),
        "Node" => vec![
            name,
            json!(node_status(object)),
            json!("control-plane"),
            created,
            json!(text(object, "/status/nodeInfo/kubeletVersion")),
        ],
        "Deployment" => vec![
            name,
            json!(format!(
                "{}/{}",
                integer(object, "/status/readyReplicas"),
                integer(object, "/spec/replicas")
            )),
            json!(integer(object, "/status/updatedReplicas")),
            json!(integer(object, "/status/availableReplicas")),
            created,
            json!(containers("/spec/template/spec/containers", "name")),
            json!(containers("/spec/template/spec/containers", "image")),
            json!(or_none(selector(
                object.pointer("/spec/selector/matchLabels")
            ))),
        ],
        "ReplicaSet" => vec![
            name,
            json!(integer(object, "/spec/replicas")),
            json!(integer(object, "/status/replicas")),
            json!(integer(object, "/status/readyReplicas")),
            created,
        ],
        "StatefulSet" => vec![
            name,
            json!(format!(
                "{}/{}",
                integer(object, "/status/readyReplicas"),
                integer(object, "/spec/replicas")
            )),
            created,
        ],
        "DaemonSet" => vec![
            name,
            json!(integer(object, "/status/desiredNumberScheduled")),
            json!(integer(object, "/status/currentNumberScheduled")),
            json!(integer(object, "/status/numberReady")),
            json!(integer(object, "/status/updatedNumberScheduled")),
            json!(integer(object, "/status/numberAvailable")),
            json!(or_none(selector(
                object.pointer("/spec/template/spec/nodeSelector")
            ))),
            created,
        ],
        "Job" => vec![
            name,
            json!(job_status(object)),
            json!(format!(
                "{}/{}",
                integer(object, "/status/succeeded"),
                object
                    .pointer("/spec/completions")
                    .and_then(Value::as_i64)
                    .unwrap_or(1)
            )),
            json!(job_duration(object, now)),
            created,
        ],
        "CronJob" => vec![
            name,
            json!(text(object, "/spec/schedule")),
            json!(or_none(text(object, "/spec/timeZone").to_string())),
            json!(
                object
                    .pointer("/spec/suspend")
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
                    .to_string()
                    .replace("true", "True")
                    .replace("false", "False")
            ),
            json!(count(object, "/status/active")),
            json!(or_none(match text(object, "/status/lastScheduleTime") {
                "" => String::new(),
                time => age(time, now),
            })),
            created,
        ],
        "Ingress" => vec![
            name,
            json!(or_none(text(object, "/spec/ingressClassName").to_string())),
            json!(ingress_hosts(object)),
            json!(""),
            json!(match object.pointer("/spec/tls") {
                Some(Value::Array(tls)) if !tls.is_empty() => "80, 443",
                _ => "80",
            }),
            created,
        ],
        "ClusterRole" | "Role" => vec![name, json!(text(object, "/metadata/creationTimestamp"))],
        "ClusterRoleBinding" | "RoleBinding" => vec![
            name,
            json!(format!(
                "{}/{}",
                text(object, "/roleRef/kind"),
                text(object, "/roleRef/name")
            )),
            created,
        ],
        "MutatingWebhookConfiguration" => vec![name, json!(count(object, "/webhooks")), created],
        _ => vec![name, created],
    }
}

fn pod_cells(name: Value, age: Value, object: &Value) -> Vec<Value> {
    let statuses = object
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array);
    let ready = statuses.map_or(0, |statuses| {
        statuses
            .iter()
            .filter(|status| status["ready"] == true)
            .count()
    });
    let restarts: i64 = statuses.map_or(0, |statuses| {
        statuses
            .iter()
            .map(|status| status["restartCount"].as_i64().unwrap_or_default())
            .sum()
    });
    vec![
        name,
        json!(format!("{ready}/{}", count(object, "/spec/containers"))),
        json!(pod_status(object)),
        json!(restarts.to_string()),
        age,
        json!(or_none(text(object, "/status/podIP").to_string())),
        json!(or_none(text(object, "/spec/nodeName").to_string())),
    ]
}

/// printPod's STATUS: the phase, or the reason a terminated container gives (`Completed` for
/// a finished Job's pod).
fn pod_status(object: &Value) -> String {
    let terminated = object
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|status| {
            status
                .pointer("/state/terminated/reason")
                .and_then(Value::as_str)
        })
        .next_back();
    terminated
        .unwrap_or_else(|| text(object, "/status/phase"))
        .to_string()
}

/// A Job's DURATION: from its start to its completion, or to now while it runs.
fn job_duration(object: &Value, now: SystemTime) -> String {
    let time = |pointer: &str| humantime::parse_rfc3339(text(object, pointer)).ok();
    let Some(started) = time("/status/startTime") else {
        return String::new();
    };
    let ended = time("/status/completionTime").unwrap_or(now);
    human_duration(ended.duration_since(started).unwrap_or_default())
}

fn node_status(object: &Value) -> &'static str {
    let ready = object
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|condition| condition["type"] == "Ready" && condition["status"] == "True");
    match ready {
        true => "Ready",
        false => "NotReady",
    }
}

fn job_status(object: &Value) -> &'static str {
    let conditions = object
        .pointer("/status/conditions")
        .and_then(Value::as_array);
    let holds = |kind: &str| {
        conditions
            .into_iter()
            .flatten()
            .any(|condition| condition["type"] == kind && condition["status"] == "True")
    };
    if holds("Complete") {
        "Complete"
    } else if holds("Failed") {
        "Failed"
    } else if holds("Suspended") {
        "Suspended"
    } else {
        "Running"
    }
}

fn selector(labels: Option<&Value>) -> String {
    labels
        .and_then(Value::as_object)
        .map(|labels| {
            labels
                .iter()
                .map(|(key, value)| format!("{key}={}", value.as_str().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

fn external_ips(object: &Value) -> String {
    let ips: Vec<&str> = object
        .pointer("/spec/externalIPs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    match (ips.is_empty(), text(object, "/spec/type")) {
        (false, _) => ips.join(","),
        (true, "LoadBalancer") => "<pending>".to_string(),
        (true, _) => "<none>".to_string(),
    }
}

fn ports(object: &Value) -> String {
    object
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|port| {
            let protocol = port["protocol"].as_str().unwrap_or("TCP");
            match port["nodePort"].as_i64() {
                Some(node_port) => format!("{}:{node_port}/{protocol}", port["port"]),
                None => format!("{}/{protocol}", port["port"]),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn ingress_hosts(object: &Value) -> String {
    let hosts: Vec<&str> = object
        .pointer("/spec/rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|rule| rule["host"].as_str().unwrap_or("*"))
        .collect();
    match hosts.is_empty() {
        true => "*".to_string(),
        false => hosts.join(","),
    }
}

/// The age of an RFC 3339 timestamp as kubectl shows it; `<unknown>` without one.
fn age(timestamp: &str, now: SystemTime) -> String {
    let Ok(created) = humantime::parse_rfc3339(timestamp) else {
        return "<unknown>".to_string();
    };
    match now.duration_since(created) {
        Ok(elapsed) => human_duration(elapsed),
        // Up to 1 s in the future counts as now; more is clock trouble.
        Err(error) if error.duration() < Duration::from_secs(2) => "0s".to_string(),
        Err(_) => "<invalid>".to_string(),
    }
}

/// apimachinery's `duration.HumanDuration`: two or three significant figures.
pub fn human_duration(elapsed: Duration) -> String {
    let seconds = elapsed.as_secs();
    let minutes = seconds / 60;
    let hours = minutes / 60;
    let days = hours / 24;
    match () {
        _ if seconds < 120 => format!("{seconds}s"),
        _ if minutes < 10 => match seconds % 60 {
            0 => format!("{minutes}m"),
            rest => format!("{minutes}m{rest}s"),
        },
        _ if minutes < 180 => format!("{minutes}m"),
        _ if hours < 8 => match minutes % 60 {
            0 => format!("{hours}h"),
            rest => format!("{hours}h{rest}m"),
        },
        _ if hours < 48 => format!("{hours}h"),
        _ if hours < 24 * 8 => match hours % 24 {
            0 => format!("{days}d"),
            rest => format!("{days}d{rest}h"),
        },
        _ if hours < 24 * 365 * 2 => format!("{days}d"),
        _ if hours < 24 * 365 * 8 => match days % 365 {
            0 => format!("{}y", days / 365),
            rest => format!("{}y{rest}d", days / 365),
        },
        _ => format!("{}y", days / 365),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_like_kubectl_ages() {
        let cases = [
            (5, "5s"),
            (119, "119s"),
            (120, "2m"),
            (185, "3m5s"),
            (900, "15m"),
            (3 * 3600 + 1800, "3h30m"),
            (10 * 3600, "10h"),
            (3 * 86400 + 7200, "3d2h"),
            (40 * 86400, "40d"),
            (3 * 365 * 86400 + 5 * 86400, "3y5d"),
        ];
        for (seconds, shown) in cases {
            assert_eq!(human_duration(Duration::from_secs(seconds)), shown);
        }
    }

    #[test]
    fn only_table_accept_headers_ask_for_a_table() {
        assert!(wanted(Some(
            "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
        )));
        assert!(!wanted(Some("application/json")));
        assert!(!wanted(None));
    }
}
