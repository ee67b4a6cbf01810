//! What `kwif export` reads before writing anything: the workloads as apply would wire them, the
//! nginx hosting objects, the distribution's issuer change, and which Azure resources exist
//! already. Only reads; every lookup that fails is kept as a gap to report, never a crash.

use std::path::Path;

use serde_json::Value;
use uuid::Uuid;

use crate::azure::cosmos;
use crate::azure::identity_client::{FederatedCredential, MANAGED_IDENTITY_API_VERSION};
use crate::azure::roles;
use crate::azure::session::AzureSession;
use crate::distro::{self, ConfigChange, Distribution, IssuerChange};
use crate::engine::Facts;
use crate::hosting::nginx::NginxSite;
use crate::oidc::issuer::IssuerUrl;
use crate::profile::{Hosting, Identity, IdentityKind, Profile, RoleAssignment};
use crate::session::Environment;
use crate::steps::federation::desired_credentials;
use crate::steps::hosting::HostingStep;
use crate::steps::identity::identity_target;
use crate::steps::issuer::{LocalNode, NodeFiles};
use crate::steps::workload::{ExportedWorkload, FederationIds, WorkloadStep};

/// Everything the export is written from.
#[derive(Clone, Debug, Default)]
pub struct Gathered {
    pub workloads: Vec<ExportedWorkload>,
    /// nginx hosting: ConfigMaps, Deployment, Service, Ingress (empty for other hosting kinds).
    pub hosting: Vec<Value>,
    pub node: Option<NodeChange>,
    pub azure: AzureState,
    /// What could not be read, with the consequence: said on standard error and in README.md.
    pub gaps: Vec<String>,
}

/// The issuer change for the control-plane nodes.
#[derive(Clone, Debug)]
pub struct NodeChange {
    pub distribution: Distribution,
    pub change: ConfigChange,
    /// The node's own file was changed (else a minimal snippet to merge).
    pub from_node_file: bool,
}

/// Which Azure resources exist now, by the ids an `import` block needs.
#[derive(Clone, Debug, Default)]
pub struct AzureState {
    pub subscription: Option<Uuid>,
    pub tenant: Option<Uuid>,
    /// The identity's resource id and its tags, when it exists.
    pub identity: Option<(String, Value)>,
    /// Per profile role, in order: the existing assignment's id.
    pub role_assignments: Vec<Option<String>>,
    /// Per profile role, in order: the Cosmos DB role definition's id when it was looked up.
    pub cosmos_definitions: Vec<Option<String>>,
    pub credentials: Vec<FederatedCredential>,
    /// Per desired credential, in order: the existing credential's id.
    pub existing_credentials: Vec<Option<String>>,
}

/// The identity `azure/` describes: the profile's first managed identity. The Terraform export
/// covers one managed identity; the others (and app registrations) are named as gaps.
pub fn terraform_identity(profile: &Profile) -> Option<&Identity> {
    profile
        .identities
        .iter()
        .find(|identity| identity.kind == IdentityKind::ManagedIdentity)
}

/// Reads what the export needs; `azure` is false with `--azure none`.
pub async fn gather(profile: &Profile, environment: &Environment, azure: bool) -> Gathered {
    let mut gathered = Gathered::default();
    let runner = crate::session::runner(profile, environment).await;
    let facts = runner.facts().await;
    let context = environment.context.clone().or_else(|| {
        profile
            .cluster
            .context
            .as_ref()
            .map(|context| context.as_str().to_string())
    });
    match crate::kube::connect_with(
        environment.kubeconfig.as_deref(),
        context.as_deref(),
        &environment.timeouts,
    )
    .await
    {
        Ok(client) => {
            kubernetes(profile, environment, &client, &facts, &mut gathered).await;
            gathered.node = node_change(profile, &client, &mut gathered.gaps).await;
        }
        Err(error) => gathered.gaps.push(format!(
            "the cluster could not be read ({error}): kubernetes/ and node/ are not written"
        )),
    }
    if azure {
        gathered.azure = azure_state(profile, environment, &mut gathered.gaps).await;
    }
    gathered
}

async fn kubernetes(
    profile: &Profile,
    environment: &Environment,
    client: &::kube::Client,
    facts: &Facts,
    gathered: &mut Gathered,
) {
    // Each workload's client id is its identity's, as the saved ids or the round's facts say.
    let ids = FederationIds {
        client_id: None,
        tenant_id: profile.azure.tenant.map(|id| id.hyphenated().to_string()),
        authority_host: profile.azure.cloud.endpoints().authority_host().to_string(),
    };
    let step = WorkloadStep::new(client.clone(), profile.workloads.clone(), ids)
        .with_saved_client_ids(profile.identities.iter().filter_map(|identity| {
            let client_id = identity.client_id?.hyphenated().to_string();
            Some((identity.name.as_str().to_string(), client_id))
        }))
        .with_audience(profile.azure.audience());
    match step.export(facts).await {
        Ok(workloads) => gathered.workloads = workloads,
        Err(error) => gathered.gaps.push(format!(
            "the workloads could not be read ({}; fix: {}): kubernetes/ is not written",
            error.message, error.fix
        )),
    }
    let Hosting::Nginx(nginx) = &profile.hosting else {
        return;
    };
    let options = crate::steps::hosting::HostingOptions {
        ca_files: environment.ca_files.clone(),
        timeouts: environment.timeouts,
        ..Default::default()
    };
    let manifests = match HostingStep::for_profile(profile, Ok(client.clone()), None, options) {
        Ok(step) => match step.documents().await {
            Ok((documents, _)) => NginxSite::new(nginx.clone(), profile.issuer.clone())
                .manifests(&documents)
                .map_err(|error| error.to_string()),
            Err(error) => Err(error.to_string()),
        },
        Err(finding) => Err(finding.message),
    };
    match manifests {
        Ok(manifests) => gathered.hosting = manifests,
        Err(error) => gathered.gaps.push(format!(
            "the hosting documents could not be made ({error}): the nginx objects are left out of kubernetes/"
        )),
    }
}

/// The distribution's issuer change, on the node's own file when kwif can read it, keeping the
/// issuer the cluster signs with now accepted (as the issuer step plans it).
async fn node_change(
    profile: &Profile,
    client: &::kube::Client,
    gaps: &mut Vec<String>,
) -> Option<NodeChange> {
    let distribution = match profile.cluster.distribution.known() {
        Some(distribution) => distribution,
        None => match crate::kube::detect::gather(client)
            .await
            .ok()
            .and_then(|facts| facts.detect())
        {
            Some(detected) => detected.distribution,
            None => {
                gaps.push(
                    "the cluster's distribution is not known: node/ holds no config; set cluster.distribution in kwif.yaml"
                        .to_string(),
                );
                return None;
            }
        },
    };
    let token =
        crate::kube::mint_token(client, "default", "default", profile.azure.audience(), 600).await;
    let keep = token
        .ok()
        .and_then(|token| {
            crate::oidc::jwt::Jwt::parse(&token)
                .ok()?
                .issuer()
                .map(str::to_string)
        })
        .filter(|issuer| issuer != profile.issuer.as_str())
        .and_then(|issuer| IssuerUrl::parse(&issuer).ok());
    let change = IssuerChange {
        issuer: profile.issuer.clone(),
        keep_issuer: keep,
        jwks_uri: profile.issuer.default_jwks_uri(),
    };
    let snippet = distro::change_config(distribution, None, &change).ok()?;
    let node = LocalNode::new(&profile.cluster.node_root);
    let current = node.read(Path::new(snippet.path)).ok();
    match distro::change_config(distribution, current.as_deref(), &change) {
        Ok(change) => Some(NodeChange {
            distribution,
            change,
            from_node_file: current.is_some(),
        }),
        Err(error) => {
            gaps.push(format!(
                "the issuer change cannot be made on {} ({error}): node/ holds the minimal snippet",
                snippet.path
            ));
            Some(NodeChange {
                distribution,
                change: snippet,
                from_node_file: false,
            })
        }
    }
}

async fn azure_state(
    profile: &Profile,
    environment: &Environment,
    gaps: &mut Vec<String>,
) -> AzureState {
    let mut state = AzureState {
        subscription: profile.azure.subscription,
        tenant: profile.azure.tenant,
        ..AzureState::default()
    };
    let pems: Vec<String> = environment
        .ca_files
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .collect();
    let session = match AzureSession::connect(
        &profile.azure,
        &environment.login,
        &pems,
        environment.timeouts,
    )
    .await
    {
        Ok(session) => session,
        Err(error) => {
            gaps.push(format!(
                "Azure could not be read ({error}): azure/ has no import blocks, so existing resources would conflict"
            ));
            return state;
        }
    };
    state.subscription = Some(session.subscription);
    state.tenant = Some(session.tenant);
    let exported = terraform_identity(profile);
    for other in &profile.identities {
        if exported.is_none_or(|exported| exported.name != other.name) {
            gaps.push(format!(
                "{} is not in azure/: the Terraform export describes one managed identity{}; \
                 `kwif apply --step identity --step federation` sets it up",
                other.describe(),
                exported
                    .map(|exported| format!(" ({})", exported.name))
                    .unwrap_or_default()
            ));
        }
    }
    let Some(exported) = exported else {
        return state;
    };
    let crate::azure::directory::IdentityTarget::Managed(identity) =
        identity_target(&session, profile, exported)
    else {
        return state;
    };
    let operation = format!("reading managed identity {}", identity.name);
    let found = session
        .arm
        .get(
            &operation,
            &identity.resource_id(),
            MANAGED_IDENTITY_API_VERSION,
        )
        .await;
    let principal = match found {
        Ok(Some(found)) => {
            let principal = found["properties"]["principalId"]
                .as_str()
                .and_then(|id| Uuid::try_parse(id).ok());
            let id = found["id"]
                .as_str()
                .map_or_else(|| identity.resource_id(), str::to_string);
            state.identity = Some((id, found["tags"].clone()));
            principal
        }
        Ok(None) => None,
        Err(error) => {
            gaps.push(format!(
                "managed identity {} could not be read ({error}): no import block for it",
                identity.name
            ));
            None
        }
    };
    for role in &exported.roles {
        let (existing, definition) =
            role_state(&session, role, principal)
                .await
                .unwrap_or_else(|error| {
                    gaps.push(format!(
                        "a role could not be read ({error}): no import block for it"
                    ));
                    (None, None)
                });
        state.role_assignments.push(existing);
        state.cosmos_definitions.push(definition);
    }
    if state.identity.is_some() {
        match session.identity_client() {
            Ok(client) => match client.federated_credentials(&identity).await {
                Ok(credentials) => state.credentials = credentials,
                Err(error) => gaps.push(format!("the federated credentials could not be read ({error}): no import blocks for them")),
            },
            Err(error) => gaps.push(format!("the federated credentials could not be read ({error})")),
        }
    }
    let wanted = desired_credentials(
        &profile.issuer,
        profile.azure.audience(),
        profile.workloads_of(exported),
    );
    state.existing_credentials = wanted
        .iter()
        .map(|credential| {
            state
                .credentials
                .iter()
                .any(|found| found.name == credential.name)
                .then(|| {
                    format!(
                        "{}/federatedIdentityCredentials/{}",
                        identity.resource_id(),
                        credential.name
                    )
                })
        })
        .collect();
    state
}

/// The existing assignment's id and (Cosmos DB) the role definition's id.
async fn role_state(
    session: &AzureSession,
    role: &RoleAssignment,
    principal: Option<Uuid>,
) -> Result<(Option<String>, Option<String>), crate::azure::error::AzureError> {
    match role {
        RoleAssignment::Azure { role, scope } => {
            let Some(principal) = principal else {
                return Ok((None, None));
            };
            let definition = roles::find_role_definition(&session.arm, scope, role).await?;
            Ok((
                roles::find_assignment(&session.arm, scope, principal, &definition).await?,
                None,
            ))
        }
        RoleAssignment::CosmosData { role, account } => {
            let definition = cosmos::find_sql_role_definition(&session.arm, account, role).await?;
            let existing = match principal {
                Some(principal) => {
                    cosmos::find_sql_role_assignment(&session.arm, account, principal, &definition)
                        .await?
                }
                None => None,
            };
            Ok((existing, Some(definition)))
        }
    }
}
