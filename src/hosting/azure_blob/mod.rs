//! The `azure-blob` publisher: both documents as blobs of a storage account, in a container with
//! anonymous blob reads or in the static website's `$web` (azure.md §6), uploaded with
//! `application/json`, signed with the account key. With Resource Manager at hand (a logged-in
//! Azure session) the account comes first: created when missing, anonymous blob reads allowed,
//! its endpoints and key read from it (storage_account.rs); without, an existing account is used
//! with the key the user gives. When stale keys were retired is the JWKS blob's metadata
//! (`x-ms-meta-kwifretiredkeys`), never in the JWKS.

use std::path::PathBuf;
use std::time::SystemTime;

use reqwest::{Method, StatusCode};
use url::Url;

use super::retired_keys::RetiredKeys;
use super::shared_key::{SharedKey, StorageKey, http_date};
use super::storage_account::{AccountState, ManagedAccount, login_refused};
use super::{
    Documents, HostingError, PUBLISH_FIX, Published, document_drift, pretty, same_json, shown,
};
use crate::azure::storage_account::StorageAccount;
use crate::engine::{Change, Finding};
use crate::network::{HttpClient, Timeouts, TransportFailure};
use crate::oidc::issuer::IssuerUrl;
use crate::profile::{AzureBlobHosting, BlobMode, Cloud};

mod rest;

use rest::is_json;

/// The Blob service REST version kwif speaks (Azurite 3.35 knows it; azure.md §6 uses a later one).
pub const STORAGE_VERSION: &str = "2025-11-05";
/// The static website's container, created by enabling the website.
pub const WEB_CONTAINER: &str = "$web";
pub const DISCOVERY_BLOB: &str = ".well-known/openid-configuration";
pub const JWKS_BLOB: &str = "openid/v1/jwks";
/// How long browsers and Entra may cache a document; short, so a fix shows quickly.
const CACHE_CONTROL: &str = "public, max-age=300";
/// The JWKS blob's metadata recording when each stale key was retired (`kid` → RFC 3339, JSON);
/// Put Blob replaces all metadata, so uploading without it clears it.
pub const RETIRED_KEYS_METADATA: &str = "x-ms-meta-kwifretiredkeys";

/// An account's blob service endpoint: `https://<account>.blob.core.windows.net/`, or the
/// emulator's path-style `http://127.0.0.1:10000/devstoreaccount1/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobEndpoint {
    url: Url,
    account: String,
}

impl BlobEndpoint {
    /// The endpoint at `url` (a final `/` is added) for `account`.
    pub fn new(mut url: Url, account: impl Into<String>) -> BlobEndpoint {
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        BlobEndpoint {
            url,
            account: account.into(),
        }
    }

    /// The endpoint of `account` in a known cloud; `None` for a custom cloud (give it explicitly).
    pub fn for_cloud(cloud: &Cloud, account: &str) -> Option<BlobEndpoint> {
        let suffix = match cloud {
            Cloud::Public => "core.windows.net",
            Cloud::China => "core.chinacloudapi.cn",
            Cloud::UsGov => "core.usgovcloudapi.net",
            Cloud::Custom(_) => return None,
        };
        let url = Url::parse(&format!("https://{account}.blob.{suffix}/")).ok()?;
        Some(BlobEndpoint::new(url, account))
    }

    /// The endpoint an issuer on a storage endpoint implies: the issuer up to the container
    /// (`https://<account>.blob.<suffix>/`, or path-style `https://host/<account>/`); for a static
    /// website on `<account>[.zNN].web.<suffix>`, `https://<account>.blob.<suffix>/`.
    pub fn implied_by(issuer: &IssuerUrl, mode: &BlobMode, account: &str) -> Option<BlobEndpoint> {
        let issuer = Url::parse(issuer.as_str()).ok()?;
        let mut url = issuer.clone();
        url.set_query(None);
        url.set_fragment(None);
        match mode {
            BlobMode::PublicContainer(container) => {
                let marker = format!("/{}/", container.as_str());
                let with_slash = format!("{}/", issuer.path().trim_end_matches('/'));
                let at = with_slash.find(&marker)?;
                url.set_path(&with_slash[..=at]);
            }
            BlobMode::StaticWebsite => {
                let suffix = web_host_suffix(issuer.host_str()?, account)?;
                url.set_host(Some(&format!("{account}.blob.{suffix}")))
                    .ok()?;
                url.set_path("/");
            }
        }
        Some(BlobEndpoint::new(url, account))
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    pub fn account(&self) -> &str {
        &self.account
    }
}

/// A blob as stored: its text and content type.
#[derive(Clone, Debug)]
pub(super) struct StoredBlob {
    pub(super) text: String,
    content_type: Option<String>,
    /// The blob's [`RETIRED_KEYS_METADATA`].
    retired: RetiredKeys,
}

/// Who may read the container anonymously.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum ContainerAccess {
    #[default]
    Missing,
    Private,
    /// Anonymous reads of blobs (and, for `container`, listing too).
    Public,
}

/// What the account holds now.
#[derive(Default)]
struct BlobState {
    container: ContainerAccess,
    /// `None` in public-container mode, where it does not matter.
    static_website: Option<bool>,
    discovery: Option<StoredBlob>,
    jwks: Option<StoredBlob>,
}

impl BlobState {
    /// Each document as (what it is, its blob name, what is stored, what should be).
    fn blobs<'a>(
        &'a self,
        documents: &'a Documents,
    ) -> [(
        &'static str,
        &'static str,
        &'a Option<StoredBlob>,
        &'a serde_json::Value,
    ); 2] {
        [
            (
                "discovery document",
                DISCOVERY_BLOB,
                &self.discovery,
                &documents.discovery,
            ),
            ("JWKS", JWKS_BLOB, &self.jwks, &documents.jwks),
        ]
    }
}

/// An answer of the blob service.
pub(super) struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// What resolving the account found: its state (`None` without Resource Manager), the data
/// plane once it can be used, and why Resource Manager was left out when it was.
pub(super) struct Resolution {
    account: Option<AccountState>,
    pub(super) plane: Option<AzureBlobPublisher>,
    note: Option<Finding>,
}

impl Resolution {
    fn unmanaged(plane: AzureBlobPublisher, note: Option<Finding>) -> Resolution {
        Resolution {
            account: None,
            plane: Some(plane),
            note,
        }
    }
}

#[derive(Clone)]
pub struct AzureBlobPublisher {
    hosting: AzureBlobHosting,
    issuer: IssuerUrl,
    endpoint: BlobEndpoint,
    web_endpoint: Option<Url>,
    signer: Option<SharedKey>,
    http: HttpClient,
    /// The account through Resource Manager; `None`: an existing account, data plane only.
    managed: Option<std::sync::Arc<ManagedAccount>>,
}

impl AzureBlobPublisher {
    /// Publishes to `endpoint` with the account `key` (`None`: every request fails with a finding
    /// saying how to get it). `http` must trust the endpoint's certificate.
    pub fn new(
        hosting: AzureBlobHosting,
        issuer: IssuerUrl,
        endpoint: BlobEndpoint,
        key: Option<StorageKey>,
        http: HttpClient,
    ) -> AzureBlobPublisher {
        let signer = key.map(|key| SharedKey::new(endpoint.account(), key));
        let web_endpoint = web_endpoint_of(&issuer, endpoint.account());
        AzureBlobPublisher {
            hosting,
            issuer,
            endpoint,
            web_endpoint,
            signer,
            http,
            managed: None,
        }
    }

    /// Manages the account through Resource Manager: creates it when missing, allows anonymous
    /// blob reads, and takes its endpoints (and its key, unless one was given) from it.
    pub fn managed_by(mut self, account: ManagedAccount) -> AzureBlobPublisher {
        self.managed = Some(std::sync::Arc::new(account));
        self
    }

    /// The static website's endpoint (`primaryEndpoints.web` of the account), when the issuer is
    /// not on it already.
    pub fn with_web_endpoint(mut self, url: Url) -> AzureBlobPublisher {
        self.web_endpoint = Some(url);
        self
    }

    /// kwif's HTTPS client trusting the system's roots plus `ca_files` (PEM), for test endpoints.
    pub fn http_client(ca_files: &[PathBuf]) -> Result<HttpClient, HostingError> {
        AzureBlobPublisher::http_client_with(ca_files, Timeouts::default())
    }

    /// The same with the run's timeouts.
    pub fn http_client_with(
        ca_files: &[PathBuf],
        timeouts: Timeouts,
    ) -> Result<HttpClient, HostingError> {
        HttpClient::builder()
            .timeouts(timeouts)
            .trust_files(ca_files, "CA file")
            .build()
            .map_err(|error| HostingError::StorageUnreachable {
                what: "TLS setup".into(),
                message: error.to_string(),
            })
    }

    pub fn describe(&self) -> String {
        format!(
            "container {} of storage account {}",
            self.container(),
            self.endpoint.account()
        )
    }

    /// `$web` for the static website, else the profile's container.
    pub fn container(&self) -> &str {
        match &self.hosting.mode {
            BlobMode::PublicContainer(container) => container.as_str(),
            BlobMode::StaticWebsite => WEB_CONTAINER,
        }
    }

    /// The issuer this account serves the documents at: `{blob endpoint}{container}/`, or the
    /// static website's endpoint; `None` when that endpoint is not known.
    pub fn derived_issuer(&self) -> Option<String> {
        match &self.hosting.mode {
            BlobMode::PublicContainer(container) => {
                Some(format!("{}{container}/", self.endpoint.url()))
            }
            BlobMode::StaticWebsite => self.web_endpoint.as_ref().map(Url::to_string),
        }
    }

    /// Where a document lives below the container: the issuer's path beyond the derived issuer
    /// (none for a custom domain, whose mapping kwif cannot see).
    fn blob_name(&self, document: &str) -> String {
        let prefix = self
            .derived_issuer()
            .and_then(|base| {
                self.issuer
                    .as_str()
                    .strip_prefix(base.trim_end_matches('/'))
                    .map(str::to_string)
            })
            .map(|rest| rest.trim_matches('/').to_string())
            .unwrap_or_default();
        if prefix.is_empty() {
            document.to_string()
        } else {
            format!("{prefix}/{document}")
        }
    }

    /// The URL of a document's blob on the blob endpoint.
    pub fn blob_url(&self, document: &str) -> Url {
        self.at(&format!(
            "{}/{}",
            self.container(),
            self.blob_name(document)
        ))
    }

    fn at(&self, relative: &str) -> Url {
        self.endpoint
            .url()
            .join(relative)
            .unwrap_or_else(|_| self.endpoint.url().clone())
    }

    fn container_url(&self, query: &str) -> Url {
        self.at(&format!("{}?{query}", self.container()))
    }

    /// Notes on the issuer; a managed publisher gives them with its drift, once it knows the
    /// account's endpoints.
    pub fn notes(&self) -> Vec<Finding> {
        match self.managed {
            Some(_) => Vec::new(),
            None => self.issuer_notes(),
        }
    }

    fn issuer_notes(&self) -> Vec<Finding> {
        match self.derived_issuer() {
            Some(derived) if derived != self.issuer.as_str() => vec![Finding::warning(
                "HOSTING_ISSUER_NOT_STORAGE_ENDPOINT",
                format!(
                    "the documents are uploaded to {}, which serves them at issuer {derived}, but the issuer is {}",
                    self.describe(),
                    self.issuer
                ),
                format!(
                    "use {derived} as the issuer, or make sure {} serves the container's blobs",
                    self.issuer.host()
                ),
            )],
            Some(_) => Vec::new(),
            None => vec![Finding::warning(
                "HOSTING_WEB_ENDPOINT_UNKNOWN",
                format!(
                    "the static website endpoint of storage account {} is not known to kwif",
                    self.endpoint.account()
                ),
                format!(
                    "read it with `az storage account show -n {} --query primaryEndpoints.web` and use it as the issuer",
                    self.endpoint.account()
                ),
            )],
        }
    }

    fn public_container(&self) -> bool {
        matches!(self.hosting.mode, BlobMode::PublicContainer(_))
    }

    fn key_given(&self) -> bool {
        self.signer.is_some()
    }

    /// The account as Resource Manager has it and this publisher bound to its data plane.
    pub(super) async fn resolve(&self) -> Result<Resolution, HostingError> {
        let Some(managed) = &self.managed else {
            return Ok(Resolution::unmanaged(self.clone(), None));
        };
        let state = match self.account_state(managed).await? {
            Ok(state) => state,
            Err(note) => return Ok(Resolution::unmanaged(self.unmanaged(), Some(note))),
        };
        let plane = match state.ready() {
            Some(account) if account.allow_shared_key_access => {
                Some(self.bound_to(account, managed).await?)
            }
            _ => None,
        };
        Ok(Resolution {
            account: Some(state),
            plane,
            note: None,
        })
    }

    /// The account's state; `Err` with the note saying so when Resource Manager refuses the
    /// login but a key was given, which may use the account on the data plane alone.
    async fn account_state(
        &self,
        managed: &ManagedAccount,
    ) -> Result<Result<AccountState, Finding>, HostingError> {
        match managed.state().await {
            Ok(state) => Ok(Ok(state)),
            Err(error) if login_refused(&error) && self.key_given() => {
                Ok(Err(managed.not_checked(&error)))
            }
            Err(error) => Err(error.into()),
        }
    }

    fn unmanaged(&self) -> AzureBlobPublisher {
        let mut plane = self.clone();
        plane.managed = None;
        plane
    }

    /// A data-plane publisher for `account`: its endpoints, and its key unless one was given.
    async fn bound_to(
        &self,
        account: &StorageAccount,
        managed: &ManagedAccount,
    ) -> Result<AzureBlobPublisher, HostingError> {
        let mut plane = self.unmanaged();
        let name = self.endpoint.account().to_string();
        if let Some(url) = &account.blob_endpoint {
            plane.endpoint = BlobEndpoint::new(url.clone(), name.clone());
        }
        if let Some(url) = &account.web_endpoint {
            plane.web_endpoint = Some(url.clone());
        }
        if plane.signer.is_none() {
            plane.signer = Some(SharedKey::new(name, managed.key().await?));
        }
        Ok(plane)
    }

    pub async fn read(&self) -> Result<Published, HostingError> {
        match self.resolve().await?.plane {
            Some(plane) => plane.read_blobs().await,
            None => Ok(Published {
                discovery: None,
                jwks: None,
                location: self.describe(),
                retired: RetiredKeys::default(),
            }),
        }
    }

    pub async fn drift(&self, documents: &Documents) -> Result<Vec<Finding>, HostingError> {
        let resolution = self.resolve().await?;
        let mut findings: Vec<Finding> = resolution.note.into_iter().collect();
        if let (Some(managed), Some(state)) = (&self.managed, &resolution.account) {
            findings.extend(managed.findings(state, self.public_container()));
        }
        if let Some(plane) = resolution.plane {
            findings.extend(plane.blob_drift(documents).await?);
            if self.managed.is_some() {
                findings.extend(plane.issuer_notes());
            }
        }
        Ok(findings)
    }

    pub async fn plan(&self, documents: &Documents) -> Result<Vec<Change>, HostingError> {
        let resolution = self.resolve().await?;
        let mut changes = match (&self.managed, &resolution.account) {
            (Some(managed), Some(state)) => {
                managed.changes(state, self.public_container(), &self.issuer_to_be())?
            }
            _ => Vec::new(),
        };
        match resolution.plane {
            Some(plane) => changes.extend(plane.blob_plan(documents).await?),
            // A new account holds nothing yet: its container, the website and both uploads.
            None => {
                let empty = BlobState {
                    container: ContainerAccess::Missing,
                    static_website: (!self.public_container()).then_some(false),
                    ..BlobState::default()
                };
                changes.extend(self.blob_changes(&empty, documents));
            }
        }
        Ok(changes)
    }

    /// The issuer a plan promises before the account exists. A static website's host is chosen
    /// by Azure, so the plan says apply compares it with kwif.yaml's issuer first.
    fn issuer_to_be(&self) -> String {
        match &self.hosting.mode {
            BlobMode::PublicContainer(_) => self
                .derived_issuer()
                .unwrap_or_else(|| self.issuer.to_string()),
            BlobMode::StaticWebsite => format!(
                "the static website endpoint Azure gives the account, which apply checks is {} before uploading",
                self.issuer
            ),
        }
    }

    pub async fn publish(&self, documents: &Documents) -> Result<(), HostingError> {
        let Some(managed) = &self.managed else {
            return self.publish_blobs(documents).await;
        };
        let Ok(state) = self.account_state(managed).await? else {
            return self.unmanaged().publish_blobs(documents).await;
        };
        let account = managed.ensure(state, self.public_container()).await?;
        let plane = self.bound_to(&account, managed).await?;
        if let (BlobMode::StaticWebsite, Some(website)) =
            (&self.hosting.mode, plane.derived_issuer())
        {
            let on_storage = web_endpoint_of(&self.issuer, managed.name()).is_some();
            if on_storage && website != self.issuer.as_str() {
                return Err(managed.web_endpoint_not_issuer(&website, self.issuer.as_str()));
            }
        }
        plane.publish_blobs(documents).await
    }

    async fn read_blobs(&self) -> Result<Published, HostingError> {
        let (discovery, jwks) = tokio::try_join!(
            self.get_blob(self.blob_url(DISCOVERY_BLOB)),
            self.get_blob(self.blob_url(JWKS_BLOB))
        )?;
        let retired = jwks
            .as_ref()
            .map(|blob| blob.retired.clone())
            .unwrap_or_default();
        Ok(Published {
            discovery: discovery.map(|blob| blob.text),
            jwks: jwks.map(|blob| blob.text),
            location: self.describe(),
            retired,
        })
    }

    async fn blob_drift(&self, documents: &Documents) -> Result<Vec<Finding>, HostingError> {
        let state = self.state().await?;
        let mut findings = Vec::new();
        let account = self.endpoint.account();
        match (state.container, &self.hosting.mode) {
            (ContainerAccess::Missing, _) => findings.push(Finding::warning(
                "HOSTING_CONTAINER_MISSING",
                format!("container {} does not exist in storage account {account}", self.container()),
                PUBLISH_FIX,
            )),
            (ContainerAccess::Private, BlobMode::PublicContainer(_)) => findings.push(Finding::error(
                "HOSTING_CONTAINER_PRIVATE",
                format!(
                    "container {} allows no anonymous reads, so Entra ID cannot fetch the documents (AADSTS90061)",
                    self.container()
                ),
                "kwif apply --step hosting allows anonymous blob reads (no listing)",
            )),
            _ => {}
        }
        if state.static_website == Some(false) {
            findings.push(Finding::warning(
                "HOSTING_STATIC_WEBSITE_OFF",
                format!("the static website of storage account {account} is disabled"),
                "kwif apply --step hosting enables it",
            ));
        }
        for (what, document, stored, wanted) in state.blobs(documents) {
            let url = self.blob_url(document);
            let text = stored.as_ref().map(|blob| blob.text.as_str());
            findings.extend(document_drift(what, url.as_str(), text, wanted));
            if let Some(blob) = stored
                .as_ref()
                .filter(|blob| !is_json(blob.content_type.as_deref()))
            {
                findings.push(Finding::warning(
                    "HOSTING_DOCUMENT_CONTENT_TYPE",
                    format!(
                        "the {what} at {url} is stored as {}, not application/json",
                        blob.content_type.as_deref().unwrap_or("(no type)")
                    ),
                    "kwif apply --step hosting uploads it again as application/json",
                ));
            }
        }
        Ok(findings)
    }

    async fn blob_plan(&self, documents: &Documents) -> Result<Vec<Change>, HostingError> {
        let state = self.state().await?;
        Ok(self.blob_changes(&state, documents))
    }

    fn blob_changes(&self, state: &BlobState, documents: &Documents) -> Vec<Change> {
        let account = self.endpoint.account();
        let issuer = self
            .derived_issuer()
            .unwrap_or_else(|| self.issuer.to_string());
        let mut changes = Vec::new();
        match (&self.hosting.mode, state.container) {
            (BlobMode::PublicContainer(container), ContainerAccess::Missing) => changes.push(Change::new(
                format!("container {container} in storage account {account}"),
                format!("create it with anonymous blob reads (no listing); the issuer is {issuer}"),
                "",
                "publicAccess: blob\n",
            )),
            (BlobMode::PublicContainer(container), ContainerAccess::Private) => changes.push(Change::new(
                format!("container {container} in storage account {account}"),
                format!("allow anonymous blob reads (no listing) so Entra ID can fetch the documents at {issuer}"),
                "publicAccess: none\n",
                "publicAccess: blob\n",
            )),
            _ => {}
        }
        match (state.static_website, state.container) {
            (Some(false), _) => changes.push(Change::new(
                format!("static website of storage account {account}"),
                format!(
                    "enable it; the documents go to {WEB_CONTAINER} and the issuer is {issuer}"
                ),
                "enabled: false\n",
                "enabled: true\n",
            )),
            (Some(true), ContainerAccess::Missing) => changes.push(Change::new(
                format!("container {WEB_CONTAINER} in storage account {account}"),
                format!("create the static website's container; the issuer is {issuer}"),
                "",
                "container: $web\n",
            )),
            _ => {}
        }
        for (what, document, stored, wanted) in state.blobs(documents) {
            let text = stored.as_ref().map(|blob| blob.text.as_str());
            let typed = stored
                .as_ref()
                .is_some_and(|blob| is_json(blob.content_type.as_deref()));
            if same_json(text, wanted) && typed {
                continue;
            }
            let summary = match stored {
                None => format!("upload the {what} as application/json"),
                Some(blob) if !typed => format!(
                    "upload the {what} again as application/json (stored as {})",
                    blob.content_type.as_deref().unwrap_or("no type")
                ),
                Some(_) => format!("update the {what} (application/json)"),
            };
            changes.push(Change::new(
                self.blob_url(document).to_string(),
                summary,
                shown(text),
                pretty(wanted),
            ));
        }
        let recorded = state
            .jwks
            .as_ref()
            .map(|blob| blob.retired.clone())
            .unwrap_or_default();
        if recorded != documents.retired {
            changes.push(Change::new(
                format!(
                    "{} metadata {RETIRED_KEYS_METADATA}",
                    self.blob_url(JWKS_BLOB)
                ),
                "record when each stale key stopped being the cluster's (uploads the JWKS again)",
                recorded.shown(),
                documents.retired.shown(),
            ));
        }
        changes
    }

    async fn publish_blobs(&self, documents: &Documents) -> Result<(), HostingError> {
        match &self.hosting.mode {
            BlobMode::PublicContainer(_) => self.ensure_public_container().await?,
            BlobMode::StaticWebsite => self.ensure_static_website().await?,
        }
        // The JWKS first: a discovery document never points at keys not yet uploaded.
        let record = (!documents.retired.is_empty())
            .then(|| (RETIRED_KEYS_METADATA, documents.retired.to_json()));
        self.put_json(&self.blob_url(JWKS_BLOB), &documents.jwks_text(), record)
            .await?;
        self.put_json(
            &self.blob_url(DISCOVERY_BLOB),
            &documents.discovery_text(),
            None,
        )
        .await
    }
}

/// The static website endpoint implied by an issuer on `<account>[.zNN].web.<suffix>`.
fn web_endpoint_of(issuer: &IssuerUrl, account: &str) -> Option<Url> {
    let host = issuer.host();
    web_host_suffix(host, account)?;
    Url::parse(&format!("https://{host}/")).ok()
}

/// For a static website host `<account>[.zNN].web.<suffix>`, the `<suffix>` (`core.windows.net`).
fn web_host_suffix<'h>(host: &'h str, account: &str) -> Option<&'h str> {
    let rest = host.strip_prefix(account)?.strip_prefix('.')?;
    let rest = match rest.split_once('.') {
        Some((zone, after)) if zone.starts_with('z') && after.starts_with("web.") => after,
        _ => rest,
    };
    rest.strip_prefix("web.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::ContainerName;

    fn publisher(issuer: &str, mode: BlobMode) -> AzureBlobPublisher {
        let hosting = AzureBlobHosting {
            storage_account: crate::profile::StorageAccountName::parse("stoidc1").unwrap(),
            mode,
            resource_group: None,
        };
        let endpoint = BlobEndpoint::for_cloud(&Cloud::Public, "stoidc1").unwrap();
        AzureBlobPublisher::new(
            hosting,
            IssuerUrl::parse(issuer).unwrap(),
            endpoint,
            None,
            HttpClient::builder().build().unwrap(),
        )
    }

    #[test]
    fn a_public_container_derives_the_blob_endpoint_issuer() {
        let container = BlobMode::PublicContainer(ContainerName::parse("oidc").unwrap());
        let blob = publisher("https://stoidc1.blob.core.windows.net/oidc/", container);
        assert_eq!(
            blob.derived_issuer().as_deref(),
            Some("https://stoidc1.blob.core.windows.net/oidc/")
        );
        assert_eq!(
            blob.blob_url(JWKS_BLOB).as_str(),
            "https://stoidc1.blob.core.windows.net/oidc/openid/v1/jwks"
        );
        assert!(blob.notes().is_empty());
    }

    #[test]
    fn an_issuer_below_the_container_puts_the_blobs_below_it_too() {
        let container = BlobMode::PublicContainer(ContainerName::parse("oidc").unwrap());
        let blob = publisher(
            "https://stoidc1.blob.core.windows.net/oidc/cluster1",
            container,
        );
        assert_eq!(
            blob.blob_url(DISCOVERY_BLOB).as_str(),
            "https://stoidc1.blob.core.windows.net/oidc/cluster1/.well-known/openid-configuration"
        );
        assert_eq!(blob.notes()[0].code, "HOSTING_ISSUER_NOT_STORAGE_ENDPOINT");
    }

    #[test]
    fn a_static_website_uses_the_web_endpoint_from_the_issuer_and_the_web_container() {
        let blob = publisher(
            "https://stoidc1.z6.web.core.windows.net/",
            BlobMode::StaticWebsite,
        );
        assert_eq!(
            blob.derived_issuer().as_deref(),
            Some("https://stoidc1.z6.web.core.windows.net/")
        );
        assert_eq!(
            blob.blob_url(JWKS_BLOB).as_str(),
            "https://stoidc1.blob.core.windows.net/$web/openid/v1/jwks"
        );
        let custom = publisher("https://oidc.example.com/", BlobMode::StaticWebsite);
        assert_eq!(custom.notes()[0].code, "HOSTING_WEB_ENDPOINT_UNKNOWN");
    }

    #[test]
    fn an_issuer_implies_the_blob_endpoint_up_to_the_container() {
        let container = BlobMode::PublicContainer(ContainerName::parse("oidc").unwrap());
        let implied = |issuer: &str| {
            BlobEndpoint::implied_by(&IssuerUrl::parse(issuer).unwrap(), &container, "st1")
                .map(|endpoint| endpoint.url().to_string())
        };
        assert_eq!(
            implied("https://st1.blob.core.example/oidc/cluster1").as_deref(),
            Some("https://st1.blob.core.example/")
        );
        assert_eq!(
            implied("https://127.0.0.1:10000/st1/oidc/").as_deref(),
            Some("https://127.0.0.1:10000/st1/")
        );
        assert_eq!(implied("https://oidc.example.com/other/"), None);
        let website = |issuer: &str| {
            BlobEndpoint::implied_by(
                &IssuerUrl::parse(issuer).unwrap(),
                &BlobMode::StaticWebsite,
                "st1",
            )
            .map(|endpoint| endpoint.url().to_string())
        };
        assert_eq!(
            website("https://st1.z6.web.core.example/").as_deref(),
            Some("https://st1.blob.core.example/"),
            "the blob endpoint, never the website's host"
        );
        assert_eq!(website("https://oidc.example.com/"), None);
    }

    #[test]
    fn content_types_compare_by_media_type() {
        assert!(is_json(Some("application/json")));
        assert!(is_json(Some("Application/JSON; charset=utf-8")));
        assert!(!is_json(Some("application/octet-stream")));
        assert!(!is_json(None));
    }
}
