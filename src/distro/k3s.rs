//! k3s and RKE2: `kube-apiserver-arg` entries in config.yaml. `service-account-issuer-=NEW`
//! prepends NEW before the default issuer, which stays accepted; every other entry keeps its
//! place (kubernetes.md §6.2, §6.3; k3s-io/k3s pkg/util/args.go `GetArgs`).

use serde_yaml::Value;

use super::flag_block::{Flag, FlagBlock, ISSUER_FLAG, JWKS_URI_FLAG};
use super::yaml_edit::{Edit, Item, Quote, SequenceStyle, keys, sequence_at, string_at};
use super::yaml_file::YamlFile;
use super::{
    ConfigChange, DistroError, IssuerChange, describe_document, dropped_issuers, rewritten_note,
    wrong_format,
};

const ARGS_KEY: &str = "kube-apiserver-arg";
const K3S_DOCS_STYLE: SequenceStyle = SequenceStyle {
    indented: true,
    quote: Quote::Double,
};

/// Keys that only a k3s or RKE2 config file has at its top level.
const K3S_KEYS: [&str; 16] = [
    "kube-apiserver-arg",
    "kube-controller-manager-arg",
    "kubelet-arg",
    "token",
    "tls-san",
    "cluster-init",
    "server",
    "write-kubeconfig-mode",
    "node-label",
    "node-taint",
    "disable",
    "cluster-cidr",
    "service-cidr",
    "cluster-domain",
    "data-dir",
    "secrets-encryption",
];

/// What differs between k3s and RKE2 here.
struct Flavour {
    name: &'static str,
    path: &'static str,
    restart: &'static str,
}

const K3S: Flavour = Flavour {
    name: "k3s",
    path: "/etc/rancher/k3s/config.yaml",
    restart: "sudo systemctl restart k3s",
};
const RKE2: Flavour = Flavour {
    name: "RKE2",
    path: "/etc/rancher/rke2/config.yaml",
    restart: "sudo systemctl restart rke2-server",
};

pub(super) fn change_k3s(
    current: Option<&str>,
    change: &IssuerChange,
) -> Result<ConfigChange, DistroError> {
    change_with(&K3S, current, change)
}

pub(super) fn change_rke2(
    current: Option<&str>,
    change: &IssuerChange,
) -> Result<ConfigChange, DistroError> {
    change_with(&RKE2, current, change)
}

pub(super) fn looks_like_k3s_config(value: &Value) -> bool {
    let Value::Mapping(map) = value else {
        return false;
    };
    !map.contains_key("apiVersion")
        && map
            .keys()
            .filter_map(Value::as_str)
            .any(|key| K3S_KEYS.contains(&key))
}

fn change_with(
    flavour: &Flavour,
    current: Option<&str>,
    change: &IssuerChange,
) -> Result<ConfigChange, DistroError> {
    let text = current.unwrap_or_default();
    let what = format!("the {} config", flavour.name);
    let mut file = YamlFile::parse(text, &what)?;
    let documents: Vec<(usize, Value)> = file
        .documents()
        .map(|(index, value)| (index, value.clone()))
        .collect();
    let [(index, value)] = documents.as_slice() else {
        return Err(wrong_format(
            expected(flavour),
            text,
            "it holds several YAML documents".into(),
        ));
    };
    if !(value.is_null() || value.is_mapping())
        || value.get("apiVersion").is_some()
        || value.get("kind").is_some()
    {
        return Err(wrong_format(
            expected(flavour),
            text,
            describe_document(value),
        ));
    }
    let default_issuer = format!(
        "https://kubernetes.default.svc.{}",
        string_at(value, &["cluster-domain"]).unwrap_or("cluster.local")
    );
    let args = sequence_at(value, &keys(&[ARGS_KEY]))?;
    let existing: Vec<Option<Flag>> = args
        .iter()
        .map(|arg| arg.as_str().map(Flag::parse).filter(Flag::is_kwif_flag))
        .collect();
    let before = apiserver_issuers(&default_issuer, existing.iter().flatten());
    let desired = desired_flags(change, &default_issuer);
    let after = apiserver_issuers(&default_issuer, desired.iter());
    let block = FlagBlock::plan(&existing, desired).map(|flag| Item::Scalar(flag.without_dashes()));
    let edit = Edit::Sequence {
        path: Vec::new(),
        key: ARGS_KEY.into(),
        block,
        style: K3S_DOCS_STYLE,
    };
    file.edit(*index, &[edit])?;

    let mut notes = dropped_issuers(&before, &after, true);
    notes.push(format!(
        "{} sorts kube-apiserver flags by name and keeps the order within a name: service-account-issuer-= \
         puts {} first (it signs) and keeps the default {default_issuer} accepted (k3s-io/k3s pkg/util/args.go)",
        flavour.name,
        change.new_issuer()
    ));
    if sequence_at(value, &keys(&["kube-apiserver-arg+"]))?
        .iter()
        .any(|arg| {
            arg.as_str()
                .map(Flag::parse)
                .is_some_and(|flag| flag.is_kwif_flag())
        })
    {
        notes.push(
            "kube-apiserver-arg+ in this file also sets a service-account flag: remove it there"
                .into(),
        );
    }
    notes.push(format!(
        "drop-in files in {}.d/ are merged after this file: make sure none of them sets service-account-issuer; \
         change every server node, one at a time",
        flavour.path
    ));
    notes.extend(rewritten_note(&file));
    Ok(ConfigChange {
        text: file.render(),
        notes,
        restart: vec![flavour.restart.to_string()],
        path: flavour.path,
    })
}

fn expected(flavour: &Flavour) -> &'static str {
    if flavour.name == "k3s" {
        "a k3s config.yaml (a YAML map of k3s server flags such as kube-apiserver-arg)"
    } else {
        "an RKE2 config.yaml (a YAML map of RKE2 server flags such as kube-apiserver-arg)"
    }
}

/// kwif's entries: NEW prepended, OLD appended unless it is the default (kept by the prepend).
fn desired_flags(change: &IssuerChange, default_issuer: &str) -> Vec<Flag> {
    let mut flags = vec![Flag::new(&format!("{ISSUER_FLAG}-"), change.new_issuer())];
    if let Some(old) = change.old_issuer().filter(|old| *old != default_issuer) {
        flags.push(Flag::new(&format!("{ISSUER_FLAG}+"), old));
    }
    flags.push(Flag::new(JWKS_URI_FLAG, &change.jwks_uri));
    flags
}

/// The `--service-account-issuer` values k3s passes to kube-apiserver, in order: its default,
/// replaced (`name=`), appended to (`name+=`) or prepended to (`name-=`) by the entries.
fn apiserver_issuers<'f>(
    default_issuer: &str,
    entries: impl Iterator<Item = &'f Flag>,
) -> Vec<String> {
    let mut initial = Some(default_issuer.to_string());
    let mut values: Vec<String> = Vec::new();
    for flag in entries.filter(|flag| flag.is_issuer()) {
        let value = flag.value.clone();
        values = if flag.name.ends_with('+') {
            initial
                .take()
                .into_iter()
                .chain(values)
                .chain([value])
                .collect()
        } else if flag.name.ends_with('-') {
            [value]
                .into_iter()
                .chain(initial.take())
                .chain(values)
                .collect()
        } else {
            initial = None;
            values.into_iter().chain([value]).collect()
        };
    }
    if values.is_empty() {
        vec![default_issuer.to_string()]
    } else {
        values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(texts: &[&str]) -> Vec<Flag> {
        texts.iter().map(|text| Flag::parse(text)).collect()
    }

    #[test]
    fn k3s_argument_merging_is_reproduced() {
        let default = "https://d";
        assert_eq!(apiserver_issuers(default, flags(&[]).iter()), ["https://d"]);
        assert_eq!(
            apiserver_issuers(
                default,
                flags(&["service-account-issuer-=https://n"]).iter()
            ),
            ["https://n", "https://d"]
        );
        assert_eq!(
            apiserver_issuers(default, flags(&["service-account-issuer=https://n"]).iter()),
            ["https://n"]
        );
        let three = flags(&[
            "service-account-issuer-=https://n",
            "service-account-issuer+=https://o",
        ]);
        assert_eq!(
            apiserver_issuers(default, three.iter()),
            ["https://n", "https://d", "https://o"]
        );
        let replaced = flags(&[
            "service-account-issuer=https://o",
            "service-account-issuer-=https://n",
        ]);
        assert_eq!(
            apiserver_issuers(default, replaced.iter()),
            ["https://n", "https://o"]
        );
    }
}
