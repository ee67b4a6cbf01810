//! The `issuer` step: makes the cluster sign service-account tokens with the profile's issuer
//! (and advertise the public JWKS URL), keeping the old issuer accepted where the distribution
//! allows. It reads the truth from a minted token; it writes a config file only on the node.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ::kube::Client;

use crate::distro::{self, ConfigChange, Distribution, IssuerChange};
use crate::engine::{Change, Check, Facts, Finding, Plan, Step, StepError, StepFuture, StepId};
use crate::kube::{self as cluster, detect};
use crate::oidc::issuer::IssuerUrl;
use crate::oidc::jwt::Jwt;

/// The service account whose token shows the cluster's issuer; every cluster has it.
const PROBE_NAMESPACE: &str = "default";
const PROBE_SERVICE_ACCOUNT: &str = "default";
/// The shortest lifetime TokenRequest accepts (kubernetes.md §9).
const PROBE_SECONDS: i64 = 600;

/// Files on the control-plane node. kwif writes the issuer change itself only when it runs on
/// the node and can read the file; otherwise it shows the change and the commands.
pub trait NodeFiles: Send + Sync {
    fn read(&self, path: &Path) -> io::Result<String>;
    /// Replaces the file atomically after copying the old one aside; returns the backup's path.
    fn write_with_backup(&self, path: &Path, text: &str) -> io::Result<PathBuf>;
    /// The oldest backup `write_with_backup` made of `path` (the file as it was before kwif's
    /// first change) and the file itself, both as paths on this machine; `None` without one.
    fn first_backup(&self, _path: &Path) -> Option<(PathBuf, PathBuf)> {
        None
    }
}

/// The machine kwif runs on, with every path placed below `root` (`/` for real use).
pub struct LocalNode {
    root: PathBuf,
}

impl LocalNode {
    pub fn new(root: impl Into<PathBuf>) -> LocalNode {
        LocalNode { root: root.into() }
    }

    fn place(&self, path: &Path) -> PathBuf {
        self.root.join(path.strip_prefix("/").unwrap_or(path))
    }
}

impl NodeFiles for LocalNode {
    /// At most 1 MiB of UTF-8, as every input kwif reads; a missing file keeps its I/O error
    /// (the step tells "no config yet" from "unreadable" by it).
    fn read(&self, path: &Path) -> io::Result<String> {
        crate::input::read_text(&self.place(path), crate::input::InputKind::ConfigFile).map_err(
            |error| match error {
                crate::input::InputError::Unreadable { source, .. } => source,
                other => io::Error::new(io::ErrorKind::InvalidData, other.to_string()),
            },
        )
    }

    fn write_with_backup(&self, path: &Path, text: &str) -> io::Result<PathBuf> {
        let target = self.place(path);
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        // Hidden names: the kubelet reads every other file of a static-pod directory
        // (/etc/kubernetes/manifests) as a pod, a backup of kube-apiserver.yaml included.
        let hidden = |suffix: String| {
            let name = target.file_name().unwrap_or_default().to_string_lossy();
            target.with_file_name(format!(".{name}.{suffix}"))
        };
        let backup = hidden(format!("kwif-backup-{stamp}"));
        std::fs::copy(&target, &backup)?;
        let temporary = hidden("kwif-new".to_string());
        std::fs::write(&temporary, text)?;
        std::fs::File::open(&temporary)?.sync_all()?;
        std::fs::rename(&temporary, &target)?;
        Ok(backup)
    }

    fn first_backup(&self, path: &Path) -> Option<(PathBuf, PathBuf)> {
        let target = self.place(path);
        // `.config.yaml.kwif-backup-STAMP`; kwif before 0.1 wrote `config.kwif-backup-STAMP`.
        let hidden = format!(".{}.kwif-backup-", target.file_name()?.to_str()?);
        let legacy = format!("{}.kwif-backup-", target.file_stem()?.to_str()?);
        let stamp = |name: &str| {
            name.strip_prefix(&hidden)
                .or_else(|| name.strip_prefix(&legacy))?
                .parse::<u64>()
                .ok()
        };
        let oldest = std::fs::read_dir(target.parent()?)
            .ok()?
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                Some((stamp(&name)?, entry.path()))
            })
            .min()?;
        Some((oldest.1, target))
    }
}

pub struct IssuerStep {
    client: Client,
    issuer: IssuerUrl,
    jwks_uri: String,
    /// `None`: detect it from the cluster.
    distribution: Option<Distribution>,
    node: Arc<dyn NodeFiles>,
}

/// What the cluster does today.
struct Observed {
    distribution: Result<(Distribution, String), String>,
    /// The minted token's `iss`, or why there is none with the fix for it.
    token_issuer: Result<String, (String, String)>,
    advertised_jwks_uri: Option<String>,
}

impl IssuerStep {
    pub fn new(
        client: Client,
        issuer: IssuerUrl,
        distribution: Option<Distribution>,
        node: Arc<dyn NodeFiles>,
    ) -> IssuerStep {
        let jwks_uri = issuer.default_jwks_uri();
        IssuerStep {
            client,
            issuer,
            jwks_uri,
            distribution,
            node,
        }
    }

    /// The three lookups are independent: asked together, a silent API server costs one
    /// timeout, not three.
    async fn observe(&self) -> Observed {
        let (distribution, token_issuer, advertised) = tokio::join!(
            self.distribution_of_cluster(),
            self.current_token_issuer(),
            cluster::get_raw(&self.client, "/.well-known/openid-configuration"),
        );
        let advertised_jwks_uri = advertised
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .and_then(|document| document["jwks_uri"].as_str().map(str::to_string));
        Observed {
            distribution,
            token_issuer,
            advertised_jwks_uri,
        }
    }

    async fn distribution_of_cluster(&self) -> Result<(Distribution, String), String> {
        if let Some(distribution) = self.distribution {
            return Ok((distribution, "set in the profile".into()));
        }
        let facts = detect::gather(&self.client)
            .await
            .map_err(|error| error.to_string())?;
        let detected = facts
            .detect()
            .ok_or_else(|| format!("no tell of a known distribution ({})", facts.git_version))?;
        let distribution = detected.distribution;
        Ok((distribution, detected.evidence))
    }

    async fn current_token_issuer(&self) -> Result<String, (String, String)> {
        const RBAC_FIX: &str =
            "kwif needs `create` on serviceaccounts/token in the default namespace";
        let failed = |reason: String| (reason, RBAC_FIX.to_string());
        let token = cluster::mint_token(
            &self.client,
            PROBE_NAMESPACE,
            PROBE_SERVICE_ACCOUNT,
            crate::oidc::AZURE_AUDIENCE,
            PROBE_SECONDS,
        )
        .await
        .map_err(|error| {
            let fix = error
                .unreachable_fix()
                .unwrap_or_else(|| RBAC_FIX.to_string());
            (error.to_string(), fix)
        })?;
        let jwt = Jwt::parse(&token)
            .map_err(|error| failed(format!("the minted token is not a JWT: {error}")))?;
        jwt.issuer()
            .map(str::to_string)
            .ok_or_else(|| failed("the minted token has no iss".to_string()))
    }

    /// The config change for the distribution, made on the file when kwif can read it.
    fn config_change(
        &self,
        distribution: Distribution,
        keep: Option<IssuerUrl>,
    ) -> Result<(ConfigChange, Option<String>), StepError> {
        let change = IssuerChange {
            issuer: self.issuer.clone(),
            keep_issuer: keep,
            jwks_uri: self.jwks_uri.clone(),
        };
        let invalid = |error: distro::DistroError| {
            StepError::new(
                error.to_string(),
                "check the config file, or set cluster.distribution in kwif.yaml",
            )
        };
        let snippet = distro::change_config(distribution, None, &change).map_err(invalid)?;
        let Ok(current) = self.node.read(Path::new(snippet.path)) else {
            return Ok((snippet, None));
        };
        let config =
            distro::change_config(distribution, Some(&current), &change).map_err(invalid)?;
        Ok((config, Some(current)))
    }

    /// The command that makes the apiserver read its changed config, for this distribution.
    fn restart_command(&self, distribution: Distribution) -> String {
        let change = IssuerChange {
            issuer: self.issuer.clone(),
            keep_issuer: None,
            jwks_uri: self.jwks_uri.clone(),
        };
        distro::change_config(distribution, None, &change).map_or_else(
            |_| "restart kube-apiserver".to_string(),
            |config| config.restart.join(" && "),
        )
    }

    fn findings(&self, observed: &Observed) -> (Vec<Finding>, bool) {
        let mut findings = Vec::new();
        let restart = match &observed.distribution {
            Ok((distribution, _)) => self.restart_command(*distribution),
            Err(reason) => {
                findings.push(Finding::warning(
                    "ISSUER_DISTRIBUTION_UNKNOWN",
                    format!("kwif could not tell the cluster's distribution: {reason}"),
                    "set cluster.distribution in kwif.yaml (k0s, k3s, rke2, kubeadm, microk8s, kind, minikube, talos, openshift)",
                ));
                "restart kube-apiserver".to_string()
            }
        };
        let mut drifted = false;
        match &observed.token_issuer {
            Err((reason, fix)) => findings.push(Finding::error(
                "ISSUER_TOKEN_REQUEST_FAILED",
                format!("kwif could not mint a token to read the cluster's issuer: {reason}"),
                fix.clone(),
            )),
            Ok(iss) if iss != self.issuer.as_str() => {
                drifted = true;
                findings.push(Finding::warning(
                    "ISSUER_NOT_CONFIGURED",
                    format!(
                        "the cluster signs tokens with iss {iss:?}, the profile's issuer is {:?} (AADSTS70021 at Entra)",
                        self.issuer.as_str()
                    ),
                    format!("kwif apply --step issuer changes the config, then: {restart}"),
                ));
            }
            Ok(_) => {}
        }
        if observed
            .advertised_jwks_uri
            .as_deref()
            .is_some_and(|uri| uri != self.jwks_uri)
        {
            drifted = true;
            findings.push(Finding::warning(
                "ISSUER_JWKS_URI_NOT_PUBLIC",
                format!(
                    "the API server advertises jwks_uri {:?}, not the public {:?}",
                    observed.advertised_jwks_uri.as_deref().unwrap_or_default(),
                    self.jwks_uri
                ),
                format!("set --service-account-jwks-uri={} (kwif apply --step issuer does), then: {restart}", self.jwks_uri),
            ));
        }
        (findings, drifted)
    }

    async fn plan_changes(&self) -> Result<Vec<Change>, StepError> {
        let observed = self.observe().await;
        let (_, drifted) = self.findings(&observed);
        if !drifted {
            return Ok(Vec::new());
        }
        let (distribution, _) = observed.distribution.map_err(|reason| {
            StepError::new(
                format!("kwif could not tell the cluster's distribution: {reason}"),
                "set cluster.distribution in kwif.yaml",
            )
        })?;
        // Keep the old issuer accepted so tokens already issued stay valid (kubernetes.md §2).
        let keep = observed
            .token_issuer
            .ok()
            .filter(|iss| iss != self.issuer.as_str())
            .and_then(|iss| IssuerUrl::parse(&iss).ok());
        let (config, current) = self.config_change(distribution, keep)?;
        let mut summary = match &current {
            Some(_) => format!(
                "write {} ({}), then run: {}",
                config.path,
                distribution.as_str(),
                config.restart.join(" && ")
            ),
            None => format!(
                "kwif cannot read {} here: make this change on the control-plane node, then run: {}",
                config.path,
                config.restart.join(" && ")
            ),
        };
        for note in &config.notes {
            summary.push_str("\nnote: ");
            summary.push_str(note);
        }
        Ok(vec![Change::new(
            config.path,
            summary,
            current.unwrap_or_default(),
            config.text,
        )])
    }
}

impl IssuerStep {
    /// `destroy` never edits the node: when kwif changed the config file and kept a backup, the
    /// plan shows restoring it (a diff from now to the backup) as a command to run by hand.
    async fn restore_instruction(&self) -> Result<Vec<Change>, StepError> {
        let observed = self.observe().await;
        let Ok((distribution, _)) = observed.distribution else {
            return Ok(Vec::new());
        };
        let snippet = distro::change_config(
            distribution,
            None,
            &IssuerChange {
                issuer: self.issuer.clone(),
                keep_issuer: None,
                jwks_uri: self.jwks_uri.clone(),
            },
        )
        .map_err(|error| {
            StepError::new(error.to_string(), "set cluster.distribution in kwif.yaml")
        })?;
        let Some((backup, target)) = self.node.first_backup(Path::new(snippet.path)) else {
            return Ok(Vec::new());
        };
        let (Ok(current), Ok(original)) = (
            std::fs::read_to_string(&target),
            std::fs::read_to_string(&backup),
        ) else {
            return Ok(Vec::new());
        };
        if current == original {
            return Ok(Vec::new());
        }
        Ok(vec![Change::new(
            format!("{} (by hand)", snippet.path),
            format!(
                "kwif does not edit the node on destroy. To restore the issuer as it was before kwif, run on \
                 the control-plane node: sudo cp {} {} && {}\n(the backup is the whole file before kwif's \
                 first change: if the diff shows more than the issuer flags, something else changed it \
                 since, so remove kwif's flags by hand instead; tokens of the profile's issuer stop \
                 being accepted then; skip it to keep the cluster's issuer)",
                backup.display(),
                target.display(),
                self.restart_command(distribution)
            ),
            current,
            original,
        )])
    }
}

impl Step for IssuerStep {
    fn id(&self) -> StepId {
        StepId::Issuer
    }

    fn check<'a>(&'a self, _facts: &'a Facts) -> StepFuture<'a, Check> {
        Box::pin(async move {
            let observed = self.observe().await;
            let (findings, drifted) = self.findings(&observed);
            Check::from_findings(findings, drifted)
        })
    }

    fn plan<'a>(&'a self, _facts: &'a Facts) -> StepFuture<'a, Result<Plan, StepError>> {
        Box::pin(async move {
            Ok(Plan {
                step: StepId::Issuer,
                changes: self.plan_changes().await?,
            })
        })
    }

    fn apply<'a>(
        &'a self,
        plan: &'a Plan,
        _facts: &'a Facts,
    ) -> StepFuture<'a, Result<Facts, StepError>> {
        Box::pin(async move {
            for change in &plan.changes {
                let path = Path::new(&change.target);
                if self.node.read(path).is_err() {
                    return Err(StepError::new(
                        format!(
                            "kwif is not on the control-plane node (it cannot read {})",
                            change.target
                        ),
                        "run `kwif apply --step issuer` on the node, or make the change `kwif plan` shows there by hand",
                    ));
                }
                self.node
                    .write_with_backup(path, &change.after)
                    .map_err(|error| {
                        StepError::new(
                            format!("cannot write {}: {error}", change.target),
                            "run kwif as root on the node (sudo)",
                        )
                    })?;
            }
            Ok(Facts::new())
        })
    }

    fn plan_removal<'a>(&'a self, _facts: &'a Facts) -> StepFuture<'a, Result<Plan, StepError>> {
        Box::pin(async move {
            Ok(Plan {
                step: StepId::Issuer,
                changes: self.restore_instruction().await?,
            })
        })
    }

    /// Nothing on the node is touched: the plan is an instruction (`remove` keeps the default).
    fn removal_is_by_hand(&self) -> bool {
        true
    }
}
