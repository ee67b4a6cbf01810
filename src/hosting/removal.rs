//! `kwif destroy` for hosting: what each publisher removes of the documents kwif published.
//! A directory loses the files kwif wrote (and the folders that then hold nothing); nginx the
//! objects kwif labelled as its own; Azure Blob Storage the two blobs. Nothing else is touched:
//! what kwif cannot tell it made (a namespace, a container, an account) is left, and the plan
//! says so.

use std::path::{Path, PathBuf};

use super::azure_blob::{DISCOVERY_BLOB, JWKS_BLOB};
use super::directory::DirectoryPublisher;
use super::nginx::TLS_SECRET;
use super::{AzureBlobPublisher, HostingError, NginxPublisher, Publisher, manifests};
use crate::engine::{Change, note_left};
use crate::kube::manifest::{MANAGED_BY_KWIF, MANAGED_BY_LABEL, comparable_yaml, created_by_kwif};

impl Publisher {
    /// The removals `destroy` would make; empty when nothing kwif published is left.
    pub async fn plan_removal(&self) -> Result<Vec<Change>, HostingError> {
        match self {
            Publisher::Directory(directory) => directory_removals(directory),
            // The apiserver serves its own documents; kwif made only the anonymous-read binding.
            Publisher::ApiServer(apiserver) => {
                labelled_removals(apiserver.client(), &[apiserver.binding()]).await
            }
            Publisher::Nginx(nginx) => nginx_removals(nginx).await,
            Publisher::AzureBlob(blob) => blob_removals(blob).await,
        }
    }

    /// Removes the files the plan's changes name (targets are the files' paths).
    pub async fn unpublish(&self, changes: &[Change]) -> Result<(), HostingError> {
        let directory = match self {
            Publisher::Directory(directory) => directory,
            Publisher::Nginx(nginx) => return nginx_unpublish(nginx, changes).await,
            Publisher::AzureBlob(blob) => return blob_unpublish(blob, changes).await,
            Publisher::ApiServer(apiserver) => {
                return labelled_unpublish(apiserver.client(), &[apiserver.binding()], changes)
                    .await;
            }
        };
        for (path, _) in directory_files(directory)? {
            if !changes.iter().any(|change| change.target == target(&path)) {
                continue;
            }
            match std::fs::remove_file(&path) {
                Ok(()) => remove_empty_parents(&path, &directory.root_dir()),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(HostingError::Io { path, source }),
            }
        }
        Ok(())
    }
}

fn target(path: &Path) -> String {
    format!("file {}", path.display())
}

/// Every file the directory publisher writes, with what it is.
fn directory_files(
    directory: &DirectoryPublisher,
) -> Result<Vec<(PathBuf, &'static str)>, HostingError> {
    Ok(vec![
        (directory.jwks_file()?, "JWKS"),
        (directory.discovery_file()?, "discovery document"),
        (directory.readme_file(), "README"),
        (directory.retired_keys_file(), "record of retired keys"),
    ])
}

fn directory_removals(directory: &DirectoryPublisher) -> Result<Vec<Change>, HostingError> {
    let mut changes = Vec::new();
    for (path, what) in directory_files(directory)? {
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => return Err(HostingError::Io { path, source }),
        };
        changes.push(Change::new(
            target(&path),
            format!("delete the {what} kwif published (re-upload the directory to your static host afterwards)"),
            text,
            "",
        ));
    }
    Ok(changes)
}

async fn nginx_removals(nginx: &NginxPublisher) -> Result<Vec<Change>, HostingError> {
    let changes = labelled_removals(nginx.client(), &nginx.site().removal_objects()).await?;
    let namespace = nginx.site().namespace_name();
    Ok(note_left(
        changes,
        &format!(
            "Namespace {namespace} and Secret {namespace}/{TLS_SECRET} (kwif cannot tell whether it \
             made them; `kubectl delete namespace {namespace}` once nothing else lives there)"
        ),
    ))
}

/// A deletion for each of `objects` that exists and carries kwif's label.
async fn labelled_removals(
    client: &kube::Client,
    objects: &[serde_json::Value],
) -> Result<Vec<Change>, HostingError> {
    let mut changes = Vec::new();
    for object in objects {
        let Some(live) = manifests::live(client, object).await? else {
            continue;
        };
        if !created_by_kwif(&live) {
            continue;
        }
        let target = manifests::target(object);
        changes.push(Change::new(
            target.clone(),
            format!(
                "delete {target}: kwif created it (label {MANAGED_BY_LABEL}: {MANAGED_BY_KWIF})"
            ),
            comparable_yaml(&live),
            "",
        ));
    }
    Ok(changes)
}

async fn nginx_unpublish(nginx: &NginxPublisher, changes: &[Change]) -> Result<(), HostingError> {
    labelled_unpublish(nginx.client(), &nginx.site().removal_objects(), changes).await
}

/// Deletes those of `objects` the plan's changes name, each only while it still carries
/// kwif's label (checked again: the plan may be a while old).
async fn labelled_unpublish(
    client: &kube::Client,
    objects: &[serde_json::Value],
    changes: &[Change],
) -> Result<(), HostingError> {
    for object in objects {
        let target = manifests::target(object);
        if !changes.iter().any(|change| change.target == target) {
            continue;
        }
        match manifests::live(client, object).await? {
            Some(live) if created_by_kwif(&live) => manifests::delete(client, object).await?,
            _ => {}
        }
    }
    Ok(())
}

/// The two blobs kwif uploads, in the order they are deleted: the discovery document first, so
/// that it never points at a JWKS already gone (the reverse of the upload order).
const BLOBS: [(&str, &str); 2] = [(DISCOVERY_BLOB, "discovery document"), (JWKS_BLOB, "JWKS")];

fn blob_target(blob: &AzureBlobPublisher, document: &str) -> String {
    format!("blob {}", blob.blob_url(document))
}

async fn blob_removals(blob: &AzureBlobPublisher) -> Result<Vec<Change>, HostingError> {
    // No usable data plane (the account does not exist, or Resource Manager keeps it closed):
    // nothing kwif uploaded can be there.
    let Some(plane) = blob.resolve().await?.plane else {
        return Ok(Vec::new());
    };
    let mut changes = Vec::new();
    for (document, what) in BLOBS {
        let Some(stored) = plane.get_blob(plane.blob_url(document)).await? else {
            continue;
        };
        changes.push(Change::new(
            blob_target(&plane, document),
            format!("delete the {what} kwif uploaded"),
            super::shown(Some(&stored.text)),
            "",
        ));
    }
    Ok(note_left(
        changes,
        &format!(
            "{} (kwif does not record whether it created them; delete them by hand if nothing else uses them)",
            plane.describe()
        ),
    ))
}

async fn blob_unpublish(blob: &AzureBlobPublisher, changes: &[Change]) -> Result<(), HostingError> {
    let Some(plane) = blob.resolve().await?.plane else {
        return Ok(());
    };
    for (document, _) in BLOBS {
        let url = plane.blob_url(document);
        if !changes
            .iter()
            .any(|change| change.target == blob_target(&plane, document))
        {
            continue;
        }
        // Delete Blob answers 202 Accepted; 404 means it is gone already.
        plane
            .expect(
                reqwest::Method::DELETE,
                url.clone(),
                Vec::new(),
                Vec::new(),
                &format!("deleting {url}"),
                &[
                    reqwest::StatusCode::ACCEPTED,
                    reqwest::StatusCode::NOT_FOUND,
                ],
            )
            .await?;
    }
    Ok(())
}

/// Removes the folders between `file` and `root` that are empty now (kwif made them).
fn remove_empty_parents(file: &Path, root: &Path) {
    let mut dir = file.parent();
    while let Some(current) = dir {
        if current == root || !current.starts_with(root) {
            break;
        }
        // Fails (and stops) at the first folder that still holds something.
        if std::fs::remove_dir(current).is_err() {
            break;
        }
        dir = current.parent();
    }
}
