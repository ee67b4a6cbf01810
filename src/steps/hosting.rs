//! The `hosting` step: the discovery document and JWKS published where the profile says, with
//! the cluster's current keys; checked the way Entra ID reads them (the doctor) and key by key
//! against the cluster. It never drops a key the cluster still has, nor a stale one before every
//! token it signed has expired (retired_keys.rs).

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use ::kube::Client;
use url::Url;

use crate::azure::session::AzureSession;
use crate::azure::storage_account::StorageAccountClient;
use crate::engine::{Check, Facts, Finding, Plan, Step, StepError, StepFuture, StepId};
use crate::hosting::documents::{compare_keys, jwk_entries};
use crate::hosting::retired_keys::{CLOCK_SKEW, KeyPlan, StaleKey, kept_until, rfc3339};
use crate::hosting::storage_account::ManagedAccount;
use crate::hosting::{
    ApiServerPublisher, AzureBlobPublisher, BlobEndpoint, DirectoryPublisher, Documents,
    HostingError, KeySource, NginxPublisher, NginxSite, Published, Publisher, StorageKey,
};
use crate::network::Timeouts;
use crate::oidc::AZURE_AUDIENCE;
use crate::oidc::doctor::{Doctor, Examination};
use crate::oidc::fetch::Fetcher;
use crate::oidc::issuer::IssuerUrl;
use crate::profile::{Hosting, Profile, TokenExpiration};

/// A cluster key that is not published: Entra ID rejects its tokens (AADSTS7000272).
pub const KEY_NOT_PUBLISHED: &str = "HOSTING_KEY_NOT_PUBLISHED";
/// A published key the cluster no longer has: removed once every token it signed has expired.
pub const STALE_KEY: &str = "HOSTING_STALE_KEY";

pub struct HostingStep {
    issuer: IssuerUrl,
    keys: KeySource,
    publisher: Publisher,
    fetcher: Fetcher,
    /// The longest lifetime of a token the cluster signs for the profile's workloads.
    token_lifetime: Duration,
    /// The time the step works at; `None`: the system clock (tests fix it).
    now: Option<SystemTime>,
}

/// What the command line adds to the profile for this step; nothing here is written to kwif.yaml.
#[derive(Clone, Debug, Default)]
pub struct HostingOptions {
    /// Extra CAs trusted for the public issuer (the doctor) and the blob endpoint (`--ca-file`).
    pub ca_files: Vec<PathBuf>,
    /// When given, the keys come from these PEM files instead of the cluster's `/openid/v1/jwks`.
    pub key_files: Vec<PathBuf>,
    /// The storage account key; `None`: `AZURE_STORAGE_KEY`.
    pub storage_key: Option<StorageKey>,
    /// The blob endpoint; `None`: the cloud's `https://<account>.blob.<suffix>/`.
    pub blob_endpoint: Option<Url>,
    /// The static website endpoint (`primaryEndpoints.web`); `None`: taken from the issuer.
    pub web_endpoint: Option<Url>,
    /// How long the doctor and the blob data plane wait.
    pub timeouts: Timeouts,
}

impl HostingStep {
    pub fn new(
        issuer: IssuerUrl,
        keys: KeySource,
        publisher: Publisher,
        fetcher: Fetcher,
    ) -> HostingStep {
        HostingStep {
            issuer,
            keys,
            publisher,
            fetcher,
            token_lifetime: Duration::from_secs(u64::from(TokenExpiration::MAX_SECONDS)),
            now: None,
        }
    }

    /// The longest token lifetime among the workloads (24 h, the webhook's cap, until told).
    pub fn with_token_lifetime(mut self, lifetime: Duration) -> HostingStep {
        self.token_lifetime = lifetime;
        self
    }

    /// Works at `now` instead of the system clock's time.
    pub fn at(mut self, now: SystemTime) -> HostingStep {
        self.now = Some(now);
        self
    }

    fn now(&self) -> SystemTime {
        self.now.unwrap_or_else(SystemTime::now)
    }

    /// How long a stale key stays after it was retired: the longest token lifetime, plus
    /// [`CLOCK_SKEW`] for clocks that differ.
    fn retention(&self) -> Duration {
        self.token_lifetime + CLOCK_SKEW
    }

    /// The step for `profile`; a finding when a client or input it needs is missing.
    /// `azure`: the logged-in session that lets the azure-blob publisher manage its storage
    /// account; without it, an existing account is used with the key the user gives.
    pub fn for_profile(
        profile: &Profile,
        kube: Result<Client, Finding>,
        azure: Option<&AzureSession>,
        options: HostingOptions,
    ) -> Result<HostingStep, Finding> {
        let fetcher =
            Fetcher::with_timeouts(&options.ca_files, options.timeouts).map_err(|error| {
                Finding::error(
                    "HOSTING_CA_FILE",
                    error.to_string(),
                    "give a readable PEM CA certificate",
                )
            })?;
        let keys = match options.key_files.is_empty() {
            true => KeySource::Cluster(kube.clone()?),
            false => KeySource::KeyFiles(options.key_files.clone()),
        };
        let issuer = profile.issuer.clone();
        let publisher = match &profile.hosting {
            Hosting::Nginx(nginx) => Publisher::Nginx(NginxPublisher::new(
                kube?,
                NginxSite::new(nginx.clone(), issuer.clone()),
            )),
            Hosting::ApiServer => Publisher::ApiServer(ApiServerPublisher::new(kube?)),
            Hosting::Directory { path } => {
                Publisher::Directory(DirectoryPublisher::new(path.clone(), issuer.clone()))
            }
            Hosting::AzureBlob(blob) => {
                Publisher::AzureBlob(blob_publisher(profile, blob, azure, &options)?)
            }
        };
        Ok(HostingStep::new(issuer, keys, publisher, fetcher)
            .with_token_lifetime(longest_token_lifetime(profile)))
    }

    pub fn publisher(&self) -> &Publisher {
        &self.publisher
    }

    /// The documents to publish now: the cluster's keys, then the published keys it no longer
    /// has until every token they signed has expired. Returns them with what is published.
    pub async fn documents(&self) -> Result<(Documents, Published), HostingError> {
        let (cluster_keys, published) = tokio::join!(self.keys.keys(), self.publisher.read());
        let (cluster_keys, published) = (cluster_keys?, published?);
        let (documents, _) = self.documents_for(&cluster_keys, &published);
        Ok((documents, published))
    }

    /// The documents for the cluster's keys and what is published, with the fate of each stale key.
    fn documents_for(
        &self,
        cluster_keys: &[serde_json::Value],
        published: &Published,
    ) -> (Documents, KeyPlan) {
        let plan = KeyPlan::new(
            cluster_keys,
            &published.jwks_keys(),
            &published.retired,
            self.now(),
            self.retention(),
        );
        let documents =
            Documents::for_keys(&self.issuer, &plan.keys).with_retired_keys(plan.retired.clone());
        (documents, plan)
    }

    async fn doctor_findings(&self) -> Vec<Finding> {
        let examination = Examination {
            issuer: self.issuer.as_str(),
            token: None,
            audience: AZURE_AUDIENCE,
            now: SystemTime::now(),
        };
        match Doctor::new(self.fetcher.clone())
            .examine(&examination)
            .await
        {
            Ok(findings) => findings,
            Err(error) => vec![Finding::error(
                "ISSUER_INVALID",
                error.to_string(),
                "correct the issuer in kwif.yaml",
            )],
        }
    }

    /// The keys served at the public `jwks_uri`, as Entra ID would read them; `None` when they
    /// cannot be read (the doctor says why).
    async fn public_keys(&self) -> Option<(String, Vec<serde_json::Value>)> {
        let discovery = self
            .fetcher
            .get(&self.issuer.discovery_url())
            .await
            .ok()
            .filter(|fetched| fetched.status == 200)?;
        let document: serde_json::Value = serde_json::from_slice(&discovery.body).ok()?;
        let jwks_uri = document["jwks_uri"].as_str()?.to_string();
        let fetched = self
            .fetcher
            .get(&jwks_uri)
            .await
            .ok()
            .filter(|fetched| fetched.status == 200)?;
        let jwks: serde_json::Value = serde_json::from_slice(&fetched.body).ok()?;
        Some((jwks_uri, jwk_entries(&jwks)))
    }

    /// Findings comparing the cluster's keys with the hosted ones.
    fn key_findings(
        &self,
        cluster_keys: &[serde_json::Value],
        hosted: &[serde_json::Value],
        at: &str,
        key_plan: &KeyPlan,
    ) -> Vec<Finding> {
        let comparison = compare_keys(cluster_keys, hosted);
        let unpublished = comparison.unpublished.iter().map(|kid| {
            Finding::error(
                KEY_NOT_PUBLISHED,
                format!(
                    "the cluster's key {kid} is not published at {at}: tokens it signs are rejected by Entra ID (AADSTS7000272)"
                ),
                "kwif apply --step hosting publishes it next to the keys already published",
            )
        });
        let stale = comparison.stale.iter().map(|kid| match key_plan.fate_of(kid) {
            Some(StaleKey::Kept { until, .. }) => Finding::warning(
                STALE_KEY,
                kept_until(kid, *until),
                format!(
                    "nothing to do now: from {}, kwif apply --step hosting removes it",
                    rfc3339(*until)
                ),
            ),
            Some(StaleKey::Pruned { .. }) => Finding::warning(
                STALE_KEY,
                format!(
                    "old key {kid} published at {at} signed its last valid token more than the longest token lifetime ago"
                ),
                "kwif apply --step hosting removes it from the JWKS",
            ),
            None => Finding::warning(
                STALE_KEY,
                format!("the key {kid} published at {at} is no longer one of the cluster's keys"),
                "kwif apply --step hosting publishes the JWKS again; a stale key stays until every token it signed has expired",
            ),
        });
        unpublished.chain(stale).collect()
    }
}

/// The longest `tokenExpirationSeconds` among the profile's workloads (each defaults to kwif's
/// 3600 s). A profile without workloads says nothing of the tokens the cluster issues, so the
/// longest kwif allows (24 h) is assumed: waiting longer is safe, pruning early is not.
fn longest_token_lifetime(profile: &Profile) -> Duration {
    let seconds = profile
        .workloads
        .iter()
        .map(|workload| workload.token_expiration.seconds())
        .max()
        .unwrap_or(TokenExpiration::MAX_SECONDS);
    Duration::from_secs(u64::from(seconds))
}

fn blob_publisher(
    profile: &Profile,
    blob: &crate::profile::AzureBlobHosting,
    azure: Option<&AzureSession>,
    options: &HostingOptions,
) -> Result<AzureBlobPublisher, Finding> {
    let account = blob.storage_account.as_str();
    // Resource Manager gives a managed account's real endpoint; until then, in a custom cloud,
    // the one the issuer implies.
    let implied = || {
        BlobEndpoint::implied_by(&profile.issuer, &blob.mode, account).filter(|_| azure.is_some())
    };
    let endpoint = match &options.blob_endpoint {
        Some(url) => BlobEndpoint::new(url.clone(), account),
        None => BlobEndpoint::for_cloud(&profile.azure.cloud, account).or_else(implied).ok_or_else(|| {
            Finding::error(
                "HOSTING_BLOB_ENDPOINT_UNKNOWN",
                format!("the blob endpoint of storage account {account} in a custom cloud is not known"),
                format!("give it explicitly: `az storage account show -n {account} --query primaryEndpoints.blob`"),
            )
        })?,
    };
    let key = match &options.storage_key {
        Some(key) => Some(key.clone()),
        None => StorageKey::from_env().map_err(|error| {
            Finding::error(
                "HOSTING_STORAGE_KEY_INVALID",
                error.to_string(),
                "export AZURE_STORAGE_KEY again",
            )
        })?,
    };
    let http = AzureBlobPublisher::http_client_with(&options.ca_files, options.timeouts)
        .map_err(|error| error.to_finding())?;
    let publisher =
        AzureBlobPublisher::new(blob.clone(), profile.issuer.clone(), endpoint, key, http);
    let publisher = match &options.web_endpoint {
        Some(web) => publisher.with_web_endpoint(web.clone()),
        None => publisher,
    };
    Ok(match azure {
        Some(session) => publisher.managed_by(ManagedAccount::new(
            StorageAccountClient::new(
                session.arm.clone(),
                session.subscription,
                blob.resource_group
                    .clone()
                    .unwrap_or_else(|| profile.azure.resource_group.clone()),
                blob.storage_account.clone(),
            ),
            profile.azure.location.as_str(),
        )),
        None => publisher,
    })
}

impl Step for HostingStep {
    fn id(&self) -> StepId {
        StepId::Hosting
    }

    fn check<'a>(&'a self, _facts: &'a Facts) -> StepFuture<'a, Check> {
        Box::pin(async move {
            let (mut findings, public_keys, cluster_keys, published) = tokio::join!(
                self.doctor_findings(),
                self.public_keys(),
                self.keys.keys(),
                self.publisher.read()
            );
            let cluster_keys = match cluster_keys {
                Ok(keys) => keys,
                Err(error) => {
                    findings.push(error.to_finding());
                    findings.extend(self.publisher.notes());
                    return Check::from_findings(findings, false);
                }
            };
            let published = match published {
                Ok(published) => published,
                Err(error) => {
                    findings.push(error.to_finding());
                    findings.extend(self.publisher.notes());
                    return Check::from_findings(findings, false);
                }
            };
            // What Entra ID reads counts; the publisher's copy only when the public one cannot be read.
            let (at, hosted) =
                public_keys.unwrap_or_else(|| (published.location.clone(), published.jwks_keys()));
            let (documents, key_plan) = self.documents_for(&cluster_keys, &published);
            findings.extend(self.key_findings(&cluster_keys, &hosted, &at, &key_plan));
            // A stale key's retirement not recorded yet (or a record left over) is drift too: its
            // waiting only starts once apply records it.
            let unrecorded = documents.retired != published.retired;
            let drifted = match self.publisher.drift(&documents).await {
                Ok(drift) => {
                    let drifted = !drift.is_empty() || unrecorded;
                    findings.extend(drift);
                    drifted
                }
                Err(error) => {
                    findings.push(error.to_finding());
                    false
                }
            };
            findings.extend(self.publisher.notes());
            Check::from_findings(findings, drifted)
        })
    }

    fn plan<'a>(&'a self, _facts: &'a Facts) -> StepFuture<'a, Result<Plan, StepError>> {
        Box::pin(async move {
            let (documents, _) = self
                .documents()
                .await
                .map_err(|error| error.to_step_error())?;
            let changes = self
                .publisher
                .plan(&documents)
                .await
                .map_err(|error| error.to_step_error())?;
            Ok(Plan {
                step: StepId::Hosting,
                changes,
            })
        })
    }

    fn apply<'a>(
        &'a self,
        plan: &'a Plan,
        _facts: &'a Facts,
    ) -> StepFuture<'a, Result<Facts, StepError>> {
        Box::pin(async move {
            if plan.is_empty() {
                return Ok(Facts::new());
            }
            // Read again: a key the cluster gained since the plan is published too, none is lost.
            let (documents, _) = self
                .documents()
                .await
                .map_err(|error| error.to_step_error())?;
            self.publisher
                .publish(&documents)
                .await
                .map(|()| Facts::new())
                .map_err(|error| error.to_step_error())
        })
    }

    fn plan_removal<'a>(&'a self, _facts: &'a Facts) -> StepFuture<'a, Result<Plan, StepError>> {
        Box::pin(async move {
            Ok(Plan {
                step: StepId::Hosting,
                changes: self
                    .publisher
                    .plan_removal()
                    .await
                    .map_err(|error| error.to_step_error())?,
            })
        })
    }

    fn remove<'a>(
        &'a self,
        plan: &'a Plan,
        _facts: &'a Facts,
    ) -> StepFuture<'a, Result<(), StepError>> {
        Box::pin(async move {
            self.publisher
                .unpublish(&plan.changes)
                .await
                .map_err(|error| error.to_step_error())
        })
    }
}
