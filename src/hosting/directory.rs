//! The `directory` publisher: writes both documents in the tree a static host serves at the
//! issuer URL (S3, GitHub Pages, a web server), plus a README with the content type to set.
//! It only writes files below the directory it is given; uploading them is the user's part.
//! When stale keys were retired is kept in a small file beside the README, never in the JWKS.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::retired_keys::RetiredKeys;
use super::{Documents, HostingError, Published, document_drift, issuer_path, shown};
use crate::engine::{Change, Finding};
use crate::oidc::issuer::IssuerUrl;

pub const README: &str = "README.md";
/// kwif's record of when each stale key was retired (`kid` → RFC 3339), beside the README.
pub const RETIRED_KEYS: &str = "kwif-retired-keys.json";

pub struct DirectoryPublisher {
    root: PathBuf,
    issuer: IssuerUrl,
}

impl DirectoryPublisher {
    pub fn new(root: impl Into<PathBuf>, issuer: IssuerUrl) -> DirectoryPublisher {
        DirectoryPublisher {
            root: root.into(),
            issuer,
        }
    }

    /// The directory the documents are written below.
    pub fn root_dir(&self) -> PathBuf {
        self.root.clone()
    }

    pub fn describe(&self) -> String {
        format!("directory {}", self.root.display())
    }

    /// The issuer's path as directories below the root: `cluster1/` for `…/cluster1`.
    fn issuer_dir(&self) -> Result<PathBuf, HostingError> {
        let path = issuer_path(&self.issuer)?;
        let mut dir = self.root.clone();
        for segment in path.split('/').filter(|segment| !segment.is_empty()) {
            if segment == "." || segment == ".." || segment.contains('\\') {
                return Err(HostingError::Issuer(format!(
                    "the issuer path segment {segment:?} cannot be a directory name"
                )));
            }
            dir.push(segment);
        }
        Ok(dir)
    }

    /// The discovery document's file.
    pub fn discovery_file(&self) -> Result<PathBuf, HostingError> {
        Ok(self
            .issuer_dir()?
            .join(".well-known")
            .join("openid-configuration"))
    }

    /// The JWKS file.
    pub fn jwks_file(&self) -> Result<PathBuf, HostingError> {
        Ok(self.issuer_dir()?.join("openid").join("v1").join("jwks"))
    }

    pub fn readme_file(&self) -> PathBuf {
        self.root.join(README)
    }

    /// The record of when each stale key was retired; absent while there is none.
    pub fn retired_keys_file(&self) -> PathBuf {
        self.root.join(RETIRED_KEYS)
    }

    fn read_retired_keys(&self) -> Result<RetiredKeys, HostingError> {
        Ok(read_optional(&self.retired_keys_file())?
            .map(|text| RetiredKeys::parse(&text))
            .unwrap_or_default())
    }

    pub fn notes(&self) -> Vec<Finding> {
        Vec::new()
    }

    pub fn read(&self) -> Result<Published, HostingError> {
        Ok(Published {
            discovery: read_optional(&self.discovery_file()?)?,
            jwks: read_optional(&self.jwks_file()?)?,
            location: self.describe(),
            retired: self.read_retired_keys()?,
        })
    }

    pub fn drift(&self, documents: &Documents) -> Vec<Finding> {
        let files = match self.files(documents) {
            Ok(files) => files,
            Err(error) => return vec![error.to_finding()],
        };
        let mut findings = Vec::new();
        for (what, path, wanted) in files {
            let stored = match read_optional(&path) {
                Ok(stored) => stored,
                Err(error) => {
                    findings.push(error.to_finding());
                    continue;
                }
            };
            let location = path.display().to_string();
            let finding = match &wanted {
                FileContent::Json(value) => {
                    document_drift(what, &location, stored.as_deref(), value)
                }
                // The README is kwif's note for whoever uploads the files, not something Entra
                // reads: documents published by hand without it are not drift.
                FileContent::Text(_) => None,
            };
            findings.extend(finding);
        }
        findings
    }

    pub fn plan(&self, documents: &Documents) -> Vec<Change> {
        let files = match self.files(documents) {
            Ok(files) => files,
            Err(error) => return vec![Change::new(self.describe(), error.to_string(), "", "")],
        };
        let mut changes = Vec::new();
        for (what, path, wanted) in files {
            let stored = read_optional(&path).ok().flatten();
            let unchanged = match &wanted {
                FileContent::Json(value) => super::same_json(stored.as_deref(), value),
                FileContent::Text(text) => stored.as_deref() == Some(text.as_str()),
            };
            if unchanged {
                continue;
            }
            // The README comes along with the documents it describes, never on its own.
            if matches!(wanted, FileContent::Text(_)) && changes.is_empty() {
                continue;
            }
            let verb = if stored.is_some() { "update" } else { "write" };
            changes.push(Change::new(
                path.display().to_string(),
                format!("{verb} the {what}, then upload it as {README} says"),
                shown(stored.as_deref()),
                wanted.text(),
            ));
        }
        changes.extend(self.retired_keys_change(&documents.retired));
        changes
    }

    /// The record file written, updated or deleted, when it is to change.
    fn retired_keys_change(&self, wanted: &RetiredKeys) -> Option<Change> {
        let recorded = self.read_retired_keys().unwrap_or_default();
        let exists = self.retired_keys_file().exists();
        if recorded == *wanted && exists != wanted.is_empty() {
            return None;
        }
        let summary = match wanted.is_empty() {
            true => "delete kwif's record of retired keys: no stale key is published any more",
            false => {
                "record when each stale key stopped being the cluster's (kwif's own, not for upload)"
            }
        };
        Some(Change::new(
            self.retired_keys_file().display().to_string(),
            summary,
            recorded.shown(),
            wanted.shown(),
        ))
    }

    pub fn publish(&self, documents: &Documents) -> Result<(), HostingError> {
        for (_, path, wanted) in self.files(documents)? {
            write_atomically(&path, &wanted.text())?;
        }
        let record = self.retired_keys_file();
        match documents.retired.is_empty() {
            false => write_atomically(&record, &format!("{}\n", documents.retired.to_json())),
            true => match std::fs::remove_file(&record) {
                Err(source) if source.kind() != std::io::ErrorKind::NotFound => {
                    Err(HostingError::Io {
                        path: record,
                        source,
                    })
                }
                _ => Ok(()),
            },
        }
    }

    /// Every file kwif writes, the JWKS before the discovery document that points at it.
    fn files(
        &self,
        documents: &Documents,
    ) -> Result<Vec<(&'static str, PathBuf, FileContent)>, HostingError> {
        Ok(vec![
            (
                "JWKS",
                self.jwks_file()?,
                FileContent::Json(documents.jwks.clone()),
            ),
            (
                "discovery document",
                self.discovery_file()?,
                FileContent::Json(documents.discovery.clone()),
            ),
            (
                "README",
                self.readme_file(),
                FileContent::Text(self.readme()?),
            ),
        ])
    }

    /// What to do with the files, for whoever uploads them.
    pub fn readme(&self) -> Result<String, HostingError> {
        let tree = self.issuer_dir()?;
        let relative = tree
            .strip_prefix(&self.root)
            .unwrap_or(&tree)
            .display()
            .to_string();
        let below = if relative.is_empty() {
            "this directory".to_string()
        } else {
            format!("`{relative}/`")
        };
        Ok(format!(
            "# OIDC documents of {issuer}\n\n\
             Written by kwif; `kwif apply --step hosting` writes them again after a key rotation.\n\n\
             Upload {below} to the web root of `{host}` so that both are served over HTTPS:\n\n\
             - {discovery}\n\
             - {jwks}\n\n\
             Serve both with `Content-Type: application/json`. The files have no extension, so most\n\
             hosts must be told: S3 `aws s3 cp --content-type application/json`, nginx\n\
             `default_type application/json;`, Azure Blob `--content-type application/json`.\n\
             GitHub Pages needs an empty `.nojekyll` to publish `.well-known/`.\n\n\
             Then check the result the way Entra ID sees it: `kwif doctor --issuer {issuer}`\n",
            issuer = self.issuer,
            host = self.issuer.host(),
            discovery = self.issuer.discovery_url(),
            jwks = self.issuer.default_jwks_uri(),
        ))
    }
}

enum FileContent {
    Json(serde_json::Value),
    Text(String),
}

impl FileContent {
    fn text(&self) -> String {
        match self {
            FileContent::Json(value) => super::pretty(value),
            FileContent::Text(text) => text.clone(),
        }
    }
}

fn read_optional(path: &Path) -> Result<Option<String>, HostingError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(HostingError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Writes through a temporary file and a rename, so a reader never sees half a document.
fn write_atomically(path: &Path, text: &str) -> Result<(), HostingError> {
    let io = |source| HostingError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let temporary = path.with_extension("kwif-new");
    let mut file = std::fs::File::create(&temporary).map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)?;
    std::fs::rename(&temporary, path).map_err(io)
}
