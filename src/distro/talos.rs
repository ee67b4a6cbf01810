//! Talos: `cluster.apiServer.extraArgs` of the control-plane machine config. Talos takes one
//! issuer there; keeping the old one accepted needs v1.14's KubeServiceAccountConfig
//! (kubernetes.md §6.8; siderolabs/talos #12475, #12607, #13210, #13215, #13700).

use serde_yaml::Value;

use super::flag_block::{ISSUER_FLAG, JWKS_URI_FLAG};
use super::yaml_edit::{Edit, keys, string_at, value_at};
use super::yaml_file::YamlFile;
use super::{
    ConfigChange, DistroError, IssuerChange, describe_document, dropped_issuers, rewritten_note,
    wrong_format,
};

const EXTRA_ARGS: [&str; 3] = ["cluster", "apiServer", "extraArgs"];
const EXPECTED: &str = "a Talos machine config (version: v1alpha1 with machine and cluster sections) or a machine config patch";

pub(super) fn is_machine_config(value: &Value) -> bool {
    string_at(value, &["version"]) == Some("v1alpha1")
        && (value.get("machine").is_some() || value.get("cluster").is_some())
}

pub(super) fn change(
    current: Option<&str>,
    change: &IssuerChange,
) -> Result<ConfigChange, DistroError> {
    let text = current.unwrap_or_default();
    let mut file = YamlFile::parse(text, "the Talos machine config")?;
    let (index, patch) = match current {
        None => (
            file.documents()
                .map(|(index, _)| index)
                .next()
                .unwrap_or_default(),
            true,
        ),
        Some(_) => find(&file, text)?,
    };
    let value = file.value(index).clone();
    if string_at(&value, &["machine", "type"]) == Some("worker") {
        return Err(DistroError::Field {
            field: "machine.type".into(),
            problem:
                "is worker: kube-apiserver runs on control-plane nodes; pass controlplane.yaml \
                      (machine.type: controlplane)"
                    .into(),
        });
    }
    let endpoint = string_at(&value, &["cluster", "controlPlane", "endpoint"]);
    let before = match value_at(
        &value,
        &keys(&["cluster", "apiServer", "extraArgs", ISSUER_FLAG]),
    ) {
        Some(Value::String(issuer)) => Some(issuer.clone()),
        Some(Value::Sequence(issuers)) => issuers.first().and_then(Value::as_str).map(String::from),
        _ => endpoint.map(String::from),
    };
    let edits = [
        Edit::set(&EXTRA_ARGS, ISSUER_FLAG, change.new_issuer()),
        Edit::set(&EXTRA_ARGS, JWKS_URI_FLAG, &change.jwks_uri),
    ];
    file.edit(index, &edits)?;

    let mut notes = dropped_issuers(
        &before.into_iter().collect::<Vec<_>>(),
        &[change.new_issuer().to_string()],
        false,
    );
    if change.keep_issuer.is_some() {
        notes.push(
            "Talos takes one service-account-issuer in extraArgs, which replaces its default (the control-plane \
             endpoint): the automatic merge added by siderolabs/talos#12475 was reverted in #13215, so the old \
             issuer cannot stay accepted here; Talos v1.14's KubeServiceAccountConfig document \
             (accepted.issuers, #13700) can keep it accepted"
                .to_string(),
        );
    }
    notes.push(
        "Talos 1.13.0-rc.0 appended extraArgs issuers after the default, so the default signed and federation \
         failed (siderolabs/talos#13210): avoid that pre-release, and after applying check the token's iss \
         (kwif check)"
            .to_string(),
    );
    if file
        .documents()
        .any(|(_, document)| string_at(document, &["kind"]) == Some("KubeServiceAccountConfig"))
    {
        notes.push(
            "this file has a KubeServiceAccountConfig document: set its issuer.issuerURL to the new issuer too \
             (how it combines with extraArgs is unverified)"
                .to_string(),
        );
    }
    notes.extend(rewritten_note(&file));
    let (restart, path) = if patch {
        (
            "talosctl -n <control-plane-node> patch machineconfig --patch @issuer-patch.yaml   # each control-plane node",
            "issuer-patch.yaml (a machine config patch)",
        )
    } else {
        (
            "talosctl -n <control-plane-node> apply-config --file controlplane.yaml   # each control-plane node",
            "controlplane.yaml (the control-plane machine config; live: talosctl -n <node> get machineconfig -o yaml)",
        )
    };
    Ok(ConfigChange {
        text: file.render(),
        notes,
        restart: vec![restart.to_string()],
        path,
    })
}

/// The machine config document, or else a machine config patch (`cluster:`/`machine:` only).
fn find(file: &YamlFile, text: &str) -> Result<(usize, bool), DistroError> {
    if let Some((index, _)) = file.documents().find(|(_, value)| is_machine_config(value)) {
        return Ok((index, false));
    }
    if let Some((index, _)) = file.documents().find(|(_, value)| is_patch(value)) {
        return Ok((index, true));
    }
    let first = file
        .documents()
        .map(|(_, value)| describe_document(value))
        .next()
        .unwrap_or_default();
    Err(wrong_format(EXPECTED, text, first))
}

fn is_patch(value: &Value) -> bool {
    let Value::Mapping(map) = value else {
        return false;
    };
    let known = ["machine", "cluster", "version", "debug", "persist"];
    map.keys()
        .all(|key| key.as_str().is_some_and(|key| known.contains(&key)))
        && (map.contains_key("cluster") || map.contains_key("machine"))
}
