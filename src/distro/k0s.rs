//! k0s: the NEW issuer and the JWKS URI go into `spec.api.extraArgs` (a map that overrides k0s'
//! defaults), the OLD issuer into `spec.api.rawArgs` (a list appended after extraArgs, k0s ≥
//! v1.34.1+k0s.0), in /etc/k0s/k0s.yaml or a k0sctl file's `spec.k0s.config` (kubernetes.md §6.1).

use serde_yaml::Value;

use super::flag_block::{Flag, FlagBlock, ISSUER_FLAG, JWKS_URI_FLAG};
use super::yaml_edit::{COMPACT, Edit, Item, Seg, keys, sequence_at, value_at};
use super::yaml_file::YamlFile;
use super::{
    ConfigChange, DistroError, IssuerChange, describe_document, dropped_issuers, rewritten_note,
    wrong_format,
};

const DEFAULT_ISSUER: &str = "https://kubernetes.default.svc";
const SNIPPET: &str =
    "apiVersion: k0s.k0sproject.io/v1beta1\nkind: ClusterConfig\nmetadata:\n  name: k0s\n";
const WHAT: &str = "the k0s config";
const EXPECTED: &str = "a k0s config (apiVersion k0s.k0sproject.io/…) or a k0sctl file";

/// Where the k0s config sits: a k0s.yaml, or `spec.k0s.config` of a k0sctl file.
enum Layout {
    K0s,
    K0sctl,
}

pub(super) fn change(
    current: Option<&str>,
    change: &IssuerChange,
) -> Result<ConfigChange, DistroError> {
    let text = current.unwrap_or(SNIPPET);
    let mut file = YamlFile::parse(text, WHAT)?;
    let (index, layout) = find(&file, text)?;
    let prefix: &[&str] = match layout {
        Layout::K0s => &["spec", "api"],
        Layout::K0sctl => &["spec", "k0s", "config", "spec", "api"],
    };
    let value = file.value(index).clone();
    let api = keys(prefix);
    let mut raw_path = api.clone();
    raw_path.push(Seg::Key("rawArgs".into()));
    let raw_args = sequence_at(&value, &raw_path)?;
    let before = issuers_before(&value, &api, &raw_args);

    let owned: Vec<Option<Flag>> = raw_args
        .iter()
        .map(|arg| arg.as_str().map(Flag::parse).filter(Flag::is_kwif_flag))
        .collect();
    let desired: Vec<Flag> = change
        .old_issuer()
        .map(|old| Flag::new(ISSUER_FLAG, old))
        .into_iter()
        .collect();
    let block = FlagBlock::plan(&owned, desired).map(|flag| Item::Scalar(flag.with_dashes()));
    let mut extra_args = prefix.to_vec();
    extra_args.push("extraArgs");
    let edits = [
        Edit::set(&extra_args, ISSUER_FLAG, change.new_issuer()),
        Edit::set(&extra_args, JWKS_URI_FLAG, &change.jwks_uri),
        Edit::Sequence {
            path: api,
            key: "rawArgs".into(),
            block,
            style: COMPACT,
        },
    ];
    file.edit(index, &edits)?;

    let mut notes = dropped_issuers(&before, &change.issuers(), true);
    if change.keep_issuer.is_some() {
        notes.push(
            "the old issuer stays accepted through spec.api.rawArgs, which k0s reads from v1.34.1+k0s.0 on \
             (k0sproject/k0s commit 780c87bb); older k0s has only the extraArgs map, one issuer \
             (k0sproject/k0s#3978): upgrade k0s first"
                .to_string(),
        );
    }
    notes.push(
        "make the same change on every controller, one at a time; HA controllers must share \
         /var/lib/k0s/pki/sa.key and sa.pub (k0s docs/high-availability.md)"
            .to_string(),
    );
    notes.extend(rewritten_note(&file));
    let (restart, path) = match layout {
        Layout::K0s => (
            vec!["sudo k0s stop && sudo k0s start".to_string()],
            "/etc/k0s/k0s.yaml",
        ),
        Layout::K0sctl => (
            vec!["k0sctl apply --config k0sctl.yaml".to_string()],
            "k0sctl.yaml (spec.k0s.config)",
        ),
    };
    Ok(ConfigChange {
        text: file.render(),
        notes,
        restart,
        path,
    })
}

fn find(file: &YamlFile, text: &str) -> Result<(usize, Layout), DistroError> {
    let mut first = None;
    for (index, value) in file.documents() {
        let api_version = value
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if api_version.starts_with("k0s.k0sproject.io/") {
            return Ok((index, Layout::K0s));
        }
        if api_version.starts_with("k0sctl.k0sproject.io/") {
            return Ok((index, Layout::K0sctl));
        }
        first.get_or_insert(value);
    }
    Err(wrong_format(
        EXPECTED,
        text,
        first.map(describe_document).unwrap_or_default(),
    ))
}

/// The issuers k0s runs with: extraArgs' (or the default) first, then any in rawArgs.
fn issuers_before(value: &Value, api: &[Seg], raw_args: &[Value]) -> Vec<String> {
    let mut path = api.to_vec();
    path.extend(keys(&["extraArgs", ISSUER_FLAG]));
    let first = value_at(value, &path)
        .and_then(Value::as_str)
        .unwrap_or(DEFAULT_ISSUER);
    let raw = raw_args
        .iter()
        .filter_map(Value::as_str)
        .map(Flag::parse)
        .filter(Flag::is_issuer)
        .map(|flag| flag.value);
    std::iter::once(first.to_string()).chain(raw).collect()
}
