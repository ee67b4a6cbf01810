//! kubeadm: `apiServer.extraArgs` of the ClusterConfiguration (v1beta4 list of {name, value}, or
//! v1beta3's one-value map), in a kubeadm config file or the `kubeadm-config` ConfigMap; and the
//! live static pod manifest's `command` list (kubernetes.md §6.4).

use serde_yaml::Value;

use super::flag_block::{Flag, FlagBlock, ISSUER_FLAG, JWKS_URI_FLAG};
use super::yaml_edit::{COMPACT, Edit, Item, Quote, Seg, keys, sequence_at, string_at, value_at};
use super::yaml_file::YamlFile;
use super::yaml_scalar::render_scalar;
use super::{
    ConfigChange, DistroError, IssuerChange, describe_document, dropped_issuers, rewritten_note,
    wrong_format,
};

const SNIPPET: &str = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n";
const EXPECTED: &str = "a kubeadm config (apiVersion kubeadm.k8s.io/v1beta3 or v1beta4, kind ClusterConfiguration) or the \
     kube-system/kubeadm-config ConfigMap";
const MANIFEST_PATH: &str = "/etc/kubernetes/manifests/kube-apiserver.yaml";
const ORDER_CHECK: &str = "sudo grep -- --service-account-issuer /etc/kubernetes/manifests/kube-apiserver.yaml   \
                           # the new issuer must come first";

/// Where the ClusterConfiguration is.
enum Form {
    /// A document of a kubeadm config file.
    Document(usize),
    /// `data.ClusterConfiguration` of the kubeadm-config ConfigMap (document index).
    ConfigMap(usize),
    /// Not there yet: a file with only Init/JoinConfiguration; the apiVersion to use.
    Missing(String),
}

/// How this ClusterConfiguration version spells `extraArgs`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ExtraArgs {
    /// v1beta4: a list of {name, value} that may repeat a name.
    List,
    /// v1beta3 and older: a map, one value per flag.
    Map,
}

pub(super) fn change_config_file(
    current: Option<&str>,
    change: &IssuerChange,
) -> Result<ConfigChange, DistroError> {
    let text = current.unwrap_or(SNIPPET);
    let mut file = YamlFile::parse(text, "the kubeadm config")?;
    let form = find(&file, text)?;
    let mut notes = Vec::new();
    let restart;
    let path;
    match form {
        Form::Document(index) => {
            let plan = plan(file.value(index), change)?;
            file.edit(index, &plan.edits)?;
            notes.extend(plan.notes);
            notes.push(
                "kubeadm also keeps the ClusterConfiguration in ConfigMap kube-system/kubeadm-config: make the \
                 same change there, or `kubeadm upgrade` reverts it (kwif cluster-config --distribution kubeadm \
                 --file <(kubectl -n kube-system get configmap kubeadm-config -o yaml))"
                    .to_string(),
            );
            restart = vec![
                "sudo kubeadm init phase control-plane apiserver --config kubeadm-config.yaml   \
                 # on each control-plane node, one at a time"
                    .to_string(),
                ORDER_CHECK.to_string(),
            ];
            path = "kubeadm-config.yaml (the file given to kubeadm --config)";
        }
        Form::ConfigMap(index) => {
            let data = keys(&["data", "ClusterConfiguration"]);
            let inner_text = value_at(file.value(index), &data)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let mut inner = YamlFile::parse(
                &inner_text,
                "data.ClusterConfiguration of the kubeadm-config ConfigMap",
            )?;
            let inner_index = inner
                .documents()
                .map(|(index, _)| index)
                .next()
                .unwrap_or_default();
            let plan = plan(inner.value(inner_index), change)?;
            inner.edit(inner_index, &plan.edits)?;
            file.rewritten |= inner.rewritten;
            file.edit(
                index,
                &[Edit::SetText {
                    path: data,
                    text: inner.render(),
                }],
            )?;
            notes.extend(plan.notes);
            restart = vec![
                "kubectl apply -f kubeadm-config.yaml".to_string(),
                "kubectl -n kube-system get configmap kubeadm-config -o jsonpath='{.data.ClusterConfiguration}' \
                 > cluster-configuration.yaml"
                    .to_string(),
                "sudo kubeadm init phase control-plane apiserver --config cluster-configuration.yaml   \
                 # on each control-plane node, one at a time"
                    .to_string(),
                ORDER_CHECK.to_string(),
            ];
            path = "ConfigMap kube-system/kubeadm-config (kubectl -n kube-system get configmap kubeadm-config -o yaml)";
        }
        Form::Missing(api_version) => {
            let base = format!("apiVersion: {api_version}\nkind: ClusterConfiguration\n");
            let mut added = YamlFile::parse(&base, "the kubeadm config")?;
            let plan = plan(added.value(0), change)?;
            added.edit(0, &plan.edits)?;
            let value = added
                .documents()
                .map(|(_, value)| value.clone())
                .next()
                .unwrap_or_default();
            file.push_document(&added.render(), value);
            notes.extend(plan.notes);
            notes.push(
                "the file had no ClusterConfiguration: kwif added one as a new document at the end"
                    .into(),
            );
            restart = vec![
                "sudo kubeadm init phase control-plane apiserver --config kubeadm-config.yaml"
                    .to_string(),
                ORDER_CHECK.to_string(),
            ];
            path = "kubeadm-config.yaml (the file given to kubeadm --config)";
        }
    }
    notes.extend(rewritten_note(&file));
    Ok(ConfigChange {
        text: file.render(),
        notes,
        restart,
        path,
    })
}

fn find(file: &YamlFile, text: &str) -> Result<Form, DistroError> {
    let mut kubeadm_api_version = None;
    let mut first = None;
    for (index, value) in file.documents() {
        let api_version = value
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let kind = value
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if api_version.starts_with("kubeadm.k8s.io/") {
            if kind == "ClusterConfiguration" {
                return Ok(Form::Document(index));
            }
            kubeadm_api_version.get_or_insert(api_version.to_string());
        } else if is_kubeadm_config_map(value) {
            return Ok(Form::ConfigMap(index));
        }
        first.get_or_insert(value);
    }
    match kubeadm_api_version {
        Some(api_version) => Ok(Form::Missing(api_version)),
        None => Err(wrong_format(
            EXPECTED,
            text,
            first.map(describe_document).unwrap_or_default(),
        )),
    }
}

pub(super) fn is_kubeadm_config_map(value: &Value) -> bool {
    value.get("kind").and_then(Value::as_str) == Some("ConfigMap")
        && string_at(value, &["data", "ClusterConfiguration"]).is_some()
}

/// The edits to one ClusterConfiguration, and what the user must know about them.
struct Plan {
    edits: Vec<Edit>,
    notes: Vec<String>,
}

fn plan(value: &Value, change: &IssuerChange) -> Result<Plan, DistroError> {
    let api_version = string_at(value, &["apiVersion"]).unwrap_or_default();
    let style = match api_version.rsplit('/').next() {
        Some("v1beta1" | "v1beta2" | "v1beta3") => ExtraArgs::Map,
        _ => ExtraArgs::List,
    };
    let default_issuer = format!(
        "https://kubernetes.default.svc.{}",
        string_at(value, &["networking", "dnsDomain"]).unwrap_or("cluster.local")
    );
    let extra_args = keys(&["apiServer", "extraArgs"]);
    let mut notes = Vec::new();
    let (edits, before, after) = match (style, value_at(value, &extra_args)) {
        (ExtraArgs::List, Some(Value::Mapping(_))) => {
            return Err(DistroError::Field {
                field: "apiServer.extraArgs".into(),
                problem: format!(
                    "is a map, but {api_version} takes a list of {{name, value}}: migrate the file with \
                     `kubeadm config migrate`, then run kwif again"
                ),
            });
        }
        (ExtraArgs::List, _) => {
            let args = sequence_at(value, &extra_args)?;
            let existing: Vec<Option<Flag>> = args.iter().map(name_value_flag).collect();
            let before = issuer_values(existing.iter().flatten(), &default_issuer);
            let block = FlagBlock::plan(&existing, manifest_flags(change))
                .map(|flag| Item::NameValue(flag.name.clone(), flag.value.clone()));
            let edit = Edit::Sequence {
                path: keys(&["apiServer"]),
                key: "extraArgs".into(),
                block,
                style: COMPACT,
            };
            if let Some(old) = change.old_issuer() {
                notes.push(ordering_note(change.new_issuer(), old));
            }
            (vec![edit], before, change.issuers())
        }
        (ExtraArgs::Map, _) => {
            let path = ["apiServer", "extraArgs"];
            let before = vec![
                string_at(value, &["apiServer", "extraArgs", ISSUER_FLAG])
                    .unwrap_or(&default_issuer)
                    .to_string(),
            ];
            let edits = vec![
                Edit::set(&path, ISSUER_FLAG, change.new_issuer()),
                Edit::set(&path, JWKS_URI_FLAG, &change.jwks_uri),
            ];
            if change.keep_issuer.is_some() {
                notes.push(format!(
                    "kubeadm {api_version} extraArgs is a map: only one issuer can be set, the old one cannot \
                     stay accepted (kubernetes/kubeadm#2735); migrate to v1beta4 (`kubeadm config migrate`, \
                     kubeadm ≥ 1.31) or edit the static manifest (--distribution kubeadm-manifest)"
                ));
            }
            (edits, before, vec![change.new_issuer().to_string()])
        }
    };
    let mut all_notes = dropped_issuers(&before, &after, style == ExtraArgs::List);
    all_notes.extend(notes);
    Ok(Plan {
        edits,
        notes: all_notes,
    })
}

fn name_value_flag(item: &Value) -> Option<Flag> {
    let name = item.get("name").and_then(Value::as_str)?;
    let value = item
        .get("value")
        .and_then(Value::as_str)
        .unwrap_or_default();
    Some(Flag::new(name, value)).filter(Flag::is_kwif_flag)
}

fn issuer_values<'f>(flags: impl Iterator<Item = &'f Flag>, default_issuer: &str) -> Vec<String> {
    let values: Vec<String> = flags
        .filter(|flag| flag.is_issuer())
        .map(|flag| flag.value.clone())
        .collect();
    if values.is_empty() {
        vec![default_issuer.to_string()]
    } else {
        values
    }
}

/// kubeadm sorted repeated flags by value until kubernetes/kubeadm#3261 was fixed.
fn ordering_note(new: &str, old: &str) -> String {
    let consequence = if old < new {
        format!("here {old} sorts before {new}, so an unpatched kubeadm makes the OLD issuer sign")
    } else {
        "here the new issuer also sorts first, so even an unpatched kubeadm keeps it first"
            .to_string()
    };
    format!(
        "kubeadm before the fix of kubernetes/kubeadm#3261 (kubernetes/kubernetes#135400, backported to \
         1.32–1.35; exact patch releases unverified) sorts repeated flags by value: {consequence}; check the \
         order in {MANIFEST_PATH} after kubeadm writes it, or edit the manifest (--distribution kubeadm-manifest)"
    )
}

pub(super) fn change_manifest(
    current: Option<&str>,
    change: &IssuerChange,
) -> Result<ConfigChange, DistroError> {
    let Some(text) = current else {
        return Ok(manifest_fragment(change));
    };
    let mut file = YamlFile::parse(text, "the kube-apiserver manifest")?;
    let found = file
        .documents()
        .find_map(|(index, value)| apiserver_container(value).map(|name| (index, name)));
    let Some((index, (container, field))) = found else {
        let first = file
            .documents()
            .map(|(_, value)| describe_document(value))
            .next()
            .unwrap_or_default();
        return Err(wrong_format(
            "a kube-apiserver static pod manifest (kind Pod with a kube-apiserver container)",
            text,
            first,
        ));
    };
    let path = vec![
        Seg::Key("spec".into()),
        Seg::Key("containers".into()),
        Seg::ItemWith("name".into(), container),
    ];
    let mut command_path = path.clone();
    command_path.push(Seg::Key(field.into()));
    let command = sequence_at(file.value(index), &command_path)?;
    let existing: Vec<Option<Flag>> = command
        .iter()
        .map(|arg| {
            arg.as_str()
                .filter(|arg| arg.starts_with("--"))
                .map(Flag::parse)
                .filter(Flag::is_kwif_flag)
        })
        .collect();
    let before = issuer_values(
        existing.iter().flatten(),
        "https://kubernetes.default.svc.cluster.local",
    );
    let block = FlagBlock::plan(&existing, manifest_flags(change))
        .map(|flag| Item::Scalar(flag.with_dashes()));
    file.edit(
        index,
        &[Edit::Sequence {
            path,
            key: field.into(),
            block,
            style: COMPACT,
        }],
    )?;

    let mut notes = dropped_issuers(&before, &change.issuers(), true);
    notes.extend(manifest_notes());
    notes.extend(rewritten_note(&file));
    Ok(ConfigChange {
        text: file.render(),
        notes,
        restart: vec![
            "sudo crictl ps --name kube-apiserver   # the kubelet restarts kube-apiserver by itself once the file changes"
                .to_string(),
        ],
        path: MANIFEST_PATH,
    })
}

fn manifest_flags(change: &IssuerChange) -> Vec<Flag> {
    let issuers = change
        .issuers()
        .into_iter()
        .map(|issuer| Flag::new(ISSUER_FLAG, &issuer));
    issuers
        .chain([Flag::new(JWKS_URI_FLAG, &change.jwks_uri)])
        .collect()
}

fn manifest_notes() -> Vec<String> {
    vec![
        "change the manifest on every control-plane node, one at a time, in place: do not leave a backup copy \
         in /etc/kubernetes/manifests/, the kubelet runs every manifest there"
            .to_string(),
        "kubeadm regenerates this manifest on `kubeadm upgrade` from ConfigMap kube-system/kubeadm-config: make \
         the same change there (--distribution kubeadm), or the upgrade reverts it"
            .to_string(),
    ]
}

/// Without the manifest: the lines for its `command` list, as a YAML list.
fn manifest_fragment(change: &IssuerChange) -> ConfigChange {
    let mut text = format!(
        "# in {MANIFEST_PATH}, spec.containers[kube-apiserver].command:\n\
         # put these lines where the --service-account-issuer line is, and remove that line\n"
    );
    for flag in manifest_flags(change) {
        let item = render_scalar(&flag.with_dashes(), Quote::Plain, false);
        text.push_str(&format!("- {item}\n"));
    }
    let mut notes = manifest_notes();
    notes.insert(
        0,
        "without --file kwif prints only the flags; pass the manifest (--file) to get the whole file changed".into(),
    );
    ConfigChange {
        text,
        notes,
        restart: vec!["sudo crictl ps --name kube-apiserver   # the kubelet restarts kube-apiserver by itself".into()],
        path: MANIFEST_PATH,
    }
}

/// The kube-apiserver container of a static pod: its name and the field holding the flags.
pub(super) fn apiserver_container(value: &Value) -> Option<(String, &'static str)> {
    if value.get("kind").and_then(Value::as_str) != Some("Pod") {
        return None;
    }
    let containers = value_at(value, &keys(&["spec", "containers"]))?.as_sequence()?;
    containers.iter().find_map(|container| {
        let name = container.get("name").and_then(Value::as_str)?;
        let field = ["command", "args"].into_iter().find(|field| {
            container
                .get(*field)
                .and_then(Value::as_sequence)
                .is_some_and(|list| {
                    list.iter().filter_map(Value::as_str).any(|arg| {
                        arg.starts_with("--service-account-") || arg.ends_with("kube-apiserver")
                    })
                })
        })?;
        (name == "kube-apiserver" || field == "command").then(|| (name.to_string(), field))
    })
}
