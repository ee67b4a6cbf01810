//! `kwif destroy` for hosting: what each publisher removes of the documents kwif published.
//! A directory loses the files kwif wrote (and the folders that then hold nothing); nothing
//! else below it is touched.

use std::path::{Path, PathBuf};

use super::directory::DirectoryPublisher;
use super::{HostingError, Publisher};
use crate::engine::Change;

impl Publisher {
    /// The removals `destroy` would make; empty when nothing kwif published is left.
    pub async fn plan_removal(&self) -> Result<Vec<Change>, HostingError> {
        match self {
            Publisher::Directory(directory) => directory_removals(directory),
            // The apiserver serves its own documents: kwif published nothing.
            Publisher::ApiServer(_) => Ok(Vec::new()),
            Publisher::Nginx(_) | Publisher::AzureBlob(_) => Err(HostingError::Account {
                code: "HOSTING_REMOVAL_NOT_BUILT",
                message: format!(
                    "kwif destroy cannot remove what it published with {} yet",
                    self.describe()
                ),
                fix: "delete the nginx objects or the two blobs by hand, or leave hosting out: \
                      `kwif destroy --step workload --step federation --step identity --step issuer`"
                    .to_string(),
            }),
        }
    }

    /// Removes the files the plan's changes name (targets are the files' paths).
    pub async fn unpublish(&self, changes: &[Change]) -> Result<(), HostingError> {
        let Publisher::Directory(directory) = self else {
            return Ok(());
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
