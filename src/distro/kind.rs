//! kind: a `kubeadmConfigPatches` entry of the cluster file sets the issuer when the cluster is
//! created. kind merges extraArgs by name, so only one issuer fits (kubernetes.md §6.6;
//! kubernetes-sigs/kind pkg/internal/patch/kubeadm_merge.go).

use serde_yaml::Value;

use super::flag_block::{Flag, FlagBlock, ISSUER_FLAG, JWKS_URI_FLAG, Slot};
use super::yaml_edit::{COMPACT, Edit, Item, Seg, keys, sequence_at, string_at, value_at};
use super::yaml_file::YamlFile;
use super::{
    ConfigChange, DistroError, IssuerChange, describe_document, dropped_issuers, rewritten_note,
    wrong_format,
};

const SNIPPET: &str = "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n";
const PATCHES: &str = "kubeadmConfigPatches";
const KUBEADM_DEFAULT_ISSUER: &str = "https://kubernetes.default.svc.cluster.local";

/// An existing ClusterConfiguration patch: where it is and its text.
struct Patch {
    path: Vec<Seg>,
    text: String,
}

pub(super) fn change(
    current: Option<&str>,
    change: &IssuerChange,
) -> Result<ConfigChange, DistroError> {
    let text = current.unwrap_or(SNIPPET);
    let mut file = YamlFile::parse(text, "the kind cluster config")?;
    let found = file.documents().find(|(_, value)| {
        string_at(value, &["apiVersion"])
            .is_some_and(|api_version| api_version.starts_with("kind.x-k8s.io/"))
    });
    let Some((index, value)) = found.map(|(index, value)| (index, value.clone())) else {
        let first = file
            .documents()
            .map(|(_, value)| describe_document(value))
            .next()
            .unwrap_or_default();
        return Err(wrong_format(
            "a kind cluster config (kind: Cluster, apiVersion kind.x-k8s.io/v1alpha4)",
            text,
            first,
        ));
    };
    let mut notes = Vec::new();
    let before;
    match cluster_configuration_patch(&value) {
        Some(patch) => {
            let mut inner = YamlFile::parse(
                &patch.text,
                "the ClusterConfiguration patch in kubeadmConfigPatches",
            )?;
            let inner_index = inner
                .documents()
                .find(|(_, value)| string_at(value, &["kind"]) == Some("ClusterConfiguration"))
                .map_or(0, |(index, _)| index);
            let inner_value = inner.value(inner_index).clone();
            before = vec![
                string_at(&inner_value, &["apiServer", "extraArgs", ISSUER_FLAG])
                    .unwrap_or(KUBEADM_DEFAULT_ISSUER)
                    .to_string(),
            ];
            inner.edit(inner_index, &patch_edits(&inner_value, change)?)?;
            file.rewritten |= inner.rewritten;
            file.edit(
                index,
                &[Edit::SetText {
                    path: patch.path,
                    text: inner.render(),
                }],
            )?;
            if let Some(api_version) = string_at(&inner_value, &["apiVersion"]) {
                notes.push(format!(
                    "this patch names apiVersion {api_version}: kind applies a patch only to a config of the same \
                     apiVersion (kubeadm v1beta3 for Kubernetes 1.23–1.35 node images, v1beta4 from 1.36); \
                     remove the apiVersion line to apply it to both"
                ));
            }
        }
        None => {
            before = vec![KUBEADM_DEFAULT_ISSUER.to_string()];
            let mut patch = YamlFile::parse("kind: ClusterConfiguration\n", "the new patch")?;
            patch.edit(0, &map_edits(change))?;
            let block = FlagBlock {
                owned: Vec::new(),
                slots: vec![Slot::New(Item::Literal(patch.render()))],
            };
            file.edit(
                index,
                &[Edit::Sequence {
                    path: Vec::new(),
                    key: PATCHES.into(),
                    block,
                    style: COMPACT,
                }],
            )?;
        }
    }
    notes.splice(
        0..0,
        dropped_issuers(&before, &[change.new_issuer().to_string()], false),
    );
    if change.keep_issuer.is_some() {
        notes.push(
            "kind merges kubeadmConfigPatches extraArgs by name (v1beta4) or as a map (v1beta3): two \
             service-account-issuer values collapse to the last one, so the old issuer cannot stay accepted \
             here; kubeadmConfigPatchesJSON6902 could add a second flag (unverified). Recreating a kind \
             cluster issues new tokens anyway"
                .to_string(),
        );
    }
    notes.push(
        "kind applies kubeadmConfigPatches only when it creates the cluster: the change takes a delete and \
         create; map-style extraArgs work with both kubeadm versions (kind converts them for v1beta4)"
            .to_string(),
    );
    notes.extend(rewritten_note(&file));
    // The name comes from the file: quoted, so it stays one word of the suggested command.
    let name = super::minikube::shell_quote(string_at(&value, &["name"]).unwrap_or("kind"));
    Ok(ConfigChange {
        text: file.render(),
        notes,
        restart: vec![format!(
            "kind delete cluster --name {name} && kind create cluster --name {name} --config kind-config.yaml"
        )],
        path: "kind-config.yaml (the file given to kind create cluster --config)",
    })
}

/// The first patch of kind ClusterConfiguration: cluster-wide, then on control-plane nodes.
fn cluster_configuration_patch(value: &Value) -> Option<Patch> {
    let mut places = vec![Vec::new()];
    if let Some(Value::Sequence(nodes)) = value.get("nodes") {
        for (i, node) in nodes.iter().enumerate() {
            if string_at(node, &["role"]).unwrap_or("control-plane") == "control-plane" {
                places.push(vec![Seg::Key("nodes".into()), Seg::Index(i)]);
            }
        }
    }
    places.into_iter().find_map(|mut place| {
        place.push(Seg::Key(PATCHES.into()));
        let patches = sequence_at(value, &place).ok()?;
        patches.iter().enumerate().find_map(|(j, patch)| {
            let text = patch.as_str()?;
            let file = YamlFile::parse(text, "patch").ok()?;
            let is_cluster_configuration = file
                .documents()
                .any(|(_, inner)| string_at(inner, &["kind"]) == Some("ClusterConfiguration"));
            let mut path = place.clone();
            path.push(Seg::Index(j));
            is_cluster_configuration.then(|| Patch {
                path,
                text: text.to_string(),
            })
        })
    })
}

/// The patch edits: one issuer, in the patch's own extraArgs style.
fn patch_edits(inner: &Value, change: &IssuerChange) -> Result<Vec<Edit>, DistroError> {
    let path = keys(&["apiServer", "extraArgs"]);
    if !matches!(value_at(inner, &path), Some(Value::Sequence(_))) {
        return Ok(map_edits(change));
    }
    let existing: Vec<Option<Flag>> = sequence_at(inner, &path)?
        .iter()
        .map(|item| {
            let name = item.get("name").and_then(Value::as_str)?;
            let value = item
                .get("value")
                .and_then(Value::as_str)
                .unwrap_or_default();
            Some(Flag::new(name, value)).filter(Flag::is_kwif_flag)
        })
        .collect();
    let desired = vec![
        Flag::new(ISSUER_FLAG, change.new_issuer()),
        Flag::new(JWKS_URI_FLAG, &change.jwks_uri),
    ];
    let block = FlagBlock::plan(&existing, desired)
        .map(|flag| Item::NameValue(flag.name.clone(), flag.value.clone()));
    Ok(vec![Edit::Sequence {
        path: keys(&["apiServer"]),
        key: "extraArgs".into(),
        block,
        style: COMPACT,
    }])
}

fn map_edits(change: &IssuerChange) -> Vec<Edit> {
    let path = ["apiServer", "extraArgs"];
    vec![
        Edit::set(&path, ISSUER_FLAG, change.new_issuer()),
        Edit::set(&path, JWKS_URI_FLAG, &change.jwks_uri),
    ]
}
