//! Hand-off to the tools teams already run: `kwif export` (a kustomization, Terraform, the node's
//! issuer change, a README with the order) and `kwif snippet` (the application's code). Computed
//! from the profile and from what `apply` would make; nothing here changes the cluster or Azure.

pub mod gather;
pub mod kustomize;
pub mod snippet;
pub mod terraform;

use std::path::{Path, PathBuf};

use crate::profile::Profile;
use crate::session::Environment;
use gather::{Gathered, NodeChange};

/// The files of an export, paths relative to its directory, in a stable order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Export {
    pub files: Vec<(PathBuf, String)>,
    /// What could not be read, and what that leaves out.
    pub gaps: Vec<String>,
    /// Notes that are not failures (the client id is not known before the identity exists).
    pub notes: Vec<String>,
}

/// Reads the cluster and Azure, then makes the files. `terraform`: write `azure/`; `target`: the
/// flags that name the profile in the commands README.md gives (`--profile kwif.yaml`, `--demo`).
pub async fn export(
    profile: &Profile,
    environment: &Environment,
    terraform: bool,
    target: &str,
) -> Export {
    let gathered = gather::gather(profile, environment, terraform).await;
    files(profile, &gathered, terraform, target)
}

/// The files made from what was gathered.
pub fn files(profile: &Profile, gathered: &Gathered, terraform: bool, target: &str) -> Export {
    let mut export = Export {
        gaps: gathered.gaps.clone(),
        ..Export::default()
    };
    if gathered
        .workloads
        .iter()
        .any(|workload| !workload.client_id_known)
    {
        export.notes.push(
            "the identity does not exist yet, so the patches lack AZURE_CLIENT_ID: apply azure/ first, then run \
             `kwif export` again (it reads the client id from Azure)"
                .to_string(),
        );
    }
    if !gathered.workloads.is_empty() {
        for (path, text) in kustomize::files(&gathered.workloads, &gathered.hosting) {
            export
                .files
                .push((Path::new("kubernetes").join(path), text));
        }
    }
    if terraform {
        for (path, text) in terraform::files(profile, &gathered.azure) {
            export.files.push((Path::new("azure").join(path), text));
        }
    }
    if let Some(node) = &gathered.node {
        let name = Path::new(node.change.path).file_name().map_or_else(
            || "config".into(),
            |name| name.to_string_lossy().into_owned(),
        );
        export
            .files
            .push((Path::new("node").join(&name), node.change.text.clone()));
        export.files.push((
            Path::new("node/README.md").to_path_buf(),
            node_readme(node, &name),
        ));
    }
    export.files.push((
        PathBuf::from("README.md"),
        readme(profile, &export, terraform, target),
    ));
    export.files.sort();
    export
}

fn node_readme(node: &NodeChange, name: &str) -> String {
    let mut text = format!(
        "# The cluster's issuer ({distribution})\n\n\
         `{name}` is {what} with the issuer change made: the API server signs service-account tokens\n\
         with the profile's issuer and publishes its JWKS URL; the issuer it signs with today stays\n\
         accepted where {distribution} allows it, so tokens already issued keep working.\n\n\
         Put it at `{path}` on every control-plane node (keep a copy of the old file), then run:\n\n```sh\n{restart}\n```\n",
        distribution = node.distribution.as_str(),
        what = if node.from_node_file {
            "the node's own config file"
        } else {
            "a minimal config: merge it into the node's file"
        },
        path = node.change.path,
        restart = node.change.restart.join("\n"),
    );
    for note in &node.change.notes {
        text.push_str(&format!("\nNote: {note}\n"));
    }
    text
}

fn readme(profile: &Profile, export: &Export, terraform: bool, target: &str) -> String {
    let has = |prefix: &str| {
        export
            .files
            .iter()
            .any(|(path, _)| path.starts_with(prefix))
    };
    let mut steps = Vec::new();
    if terraform {
        steps.push(
            "**Azure**: `cd azure && terraform init && terraform apply`. It creates the managed identity, its roles \
             and federated credentials, and adopts the ones that exist (the `import` blocks). The `client_id` output is \
             the workloads' `AZURE_CLIENT_ID`."
                .to_string(),
        );
    } else {
        steps.push(format!(
            "**Azure**: `kwif apply {target} --step identity --step federation` (no Terraform was written)."
        ));
    }
    if has("node") {
        steps.push("**Nodes**: the issuer change in `node/` (see `node/README.md`), then restart the API server as it says.".to_string());
    }
    if has("kubernetes") {
        let hosting = match profile.hosting.kind() {
            "nginx" => " and the nginx objects serving the discovery document and JWKS",
            _ => "",
        };
        steps.push(format!(
            "**Kubernetes**: commit `kubernetes/` to your GitOps repository (Argo CD, Flux), or `kubectl apply -k kubernetes`. \
             It holds the ServiceAccounts{hosting}, and one patch per workload (projected token volume, mount, `AZURE_*` env)."
        ));
    }
    if profile.hosting.kind() != "nginx" {
        steps.push(format!(
            "**Hosting** ({}): publish the discovery document and JWKS with `kwif apply {target} --step hosting`.",
            profile.hosting.kind()
        ));
    }
    let mut text = String::from(
        "# kwif export\n\nWritten by `kwif export` from the profile and what the cluster and Azure hold now. Apply it in this order:\n\n",
    );
    for (index, step) in steps.iter().enumerate() {
        text.push_str(&format!("{}. {step}\n", index + 1));
    }
    text.push_str(&format!(
        "\nThen confirm every step, end to end:\n\n```sh\nkwif check {target}\n```\n"
    ));
    for note in export.notes.iter().chain(&export.gaps) {
        text.push_str(&format!("\nNote: {note}.\n"));
    }
    text
}

/// Writes the files below `dir`; a file whose bytes are unchanged is left untouched. Returns
/// the paths written.
pub fn write(export: &Export, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (path, text) in &export.files {
        let target = dir.join(path);
        if std::fs::read(&target).is_ok_and(|bytes| bytes == text.as_bytes()) {
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&target, text)?;
        written.push(target);
    }
    Ok(written)
}
