//! The six setup steps, each implementing the engine's `Step` contract over clients it is given.
//! Steps never build their own clients and never talk to a terminal.

use crate::engine::Actionable as _;
use std::sync::Arc;

use crate::engine::{Check, Facts, Finding, Plan, Status, Step, StepError, StepFuture, StepId};
use crate::profile::Profile;

pub mod federation;
pub mod hosting;
pub mod identity;
pub mod issuer;
pub mod verify;
pub mod workload;

/// A step that cannot run here because its client could not be made (no kubeconfig, no Azure
/// login). Its check says why, so the report never pretends the step passed.
pub struct Unavailable {
    id: StepId,
    status: Status,
    finding: Finding,
}

impl Unavailable {
    /// A step whose client failed (no kubeconfig, no Azure login): an error with the reason.
    pub fn failed(id: StepId, finding: Finding) -> Unavailable {
        Unavailable {
            id,
            status: Status::Error,
            finding,
        }
    }
}

impl Step for Unavailable {
    fn id(&self) -> StepId {
        self.id
    }

    fn check<'a>(&'a self, _facts: &'a Facts) -> StepFuture<'a, Check> {
        Box::pin(async move {
            Check {
                status: self.status,
                findings: vec![self.finding.clone()],
            }
        })
    }

    fn plan<'a>(&'a self, _facts: &'a Facts) -> StepFuture<'a, Result<Plan, StepError>> {
        Box::pin(async move {
            match self.status {
                Status::Error => Err(StepError::new(
                    self.finding.message.clone(),
                    self.finding.fix.clone(),
                )),
                _ => Ok(Plan {
                    step: self.id,
                    changes: Vec::new(),
                }),
            }
        })
    }

    fn apply<'a>(
        &'a self,
        _plan: &'a Plan,
        _facts: &'a Facts,
    ) -> StepFuture<'a, Result<Facts, StepError>> {
        Box::pin(async move { Ok(Facts::new()) })
    }
}

/// What the steps talk to. A client that could not be made is kept as the finding explaining why.
pub struct Clients {
    pub kube: Result<::kube::Client, Finding>,
    pub azure: Result<crate::azure::session::AzureSession, Finding>,
    pub node: Arc<dyn issuer::NodeFiles>,
    pub federation_ids: workload::FederationIds,
    pub hosting: hosting::HostingOptions,
    /// The fetcher the verify step's doctor uses (extra CAs for private issuers).
    pub doctor: Option<crate::oidc::fetch::Fetcher>,
}

/// The six steps for `profile`, in wizard order. What one learns that another needs (each
/// identity's ids) travels as facts through the engine, never through shared state.
pub fn for_profile(profile: &Profile, clients: Clients) -> Vec<Box<dyn Step>> {
    let distribution = profile.cluster.distribution.known();
    let unavailable = |id: StepId, finding: &Finding| -> Box<dyn Step> {
        Box::new(Unavailable::failed(id, finding.clone()))
    };
    let issuer_step: Box<dyn Step> = match &clients.kube {
        Ok(client) => Box::new(issuer::IssuerStep::new(
            client.clone(),
            profile.issuer.clone(),
            distribution,
            clients.node.clone(),
        )),
        Err(finding) => unavailable(StepId::Issuer, finding),
    };
    let hosting_step: Box<dyn Step> = match hosting::HostingStep::for_profile(
        profile,
        clients.kube.clone(),
        clients.azure.as_ref().ok(),
        clients.hosting.clone(),
    ) {
        Ok(step) => Box::new(step),
        Err(finding) => unavailable(StepId::Hosting, &finding),
    };
    let workload_step: Box<dyn Step> = match &clients.kube {
        Ok(client) => Box::new(
            workload::WorkloadStep::new(
                client.clone(),
                profile.workloads.clone(),
                clients.federation_ids.clone(),
            )
            .with_saved_client_ids(profile.identities.iter().filter_map(|identity| {
                let client_id = identity.client_id?.hyphenated().to_string();
                Some((identity.name.as_str().to_string(), client_id))
            }))
            .with_audience(profile.azure.audience()),
        ),
        Err(finding) => unavailable(StepId::Workload, finding),
    };
    let (identity_step, federation_step, verify_step) = azure_steps(profile, &clients);
    vec![
        issuer_step,
        hosting_step,
        identity_step,
        federation_step,
        workload_step,
        verify_step,
    ]
}

fn azure_steps(
    profile: &Profile,
    clients: &Clients,
) -> (Box<dyn Step>, Box<dyn Step>, Box<dyn Step>) {
    let session = match &clients.azure {
        Ok(session) => session,
        Err(finding) => {
            let failed =
                |id| -> Box<dyn Step> { Box::new(Unavailable::failed(id, finding.clone())) };
            return (
                failed(StepId::Identity),
                failed(StepId::Federation),
                failed(StepId::Verify),
            );
        }
    };
    let boxed = |id: StepId,
                 made: Result<Box<dyn Step>, crate::azure::error::AzureError>|
     -> Box<dyn Step> {
        made.unwrap_or_else(|error| {
            Box::new(Unavailable::failed(id, error.to_finding("AZURE_CLIENT")))
        })
    };
    let identity_step = boxed(
        StepId::Identity,
        identity::IdentityStep::from_profile(session, profile)
            .map(|s| Box::new(s) as Box<dyn Step>),
    );
    let federation_step = boxed(
        StepId::Federation,
        federation::FederationStep::from_profile(session, profile)
            .map(|s| Box::new(s) as Box<dyn Step>),
    );
    let verify_step: Box<dyn Step> = match &clients.kube {
        Ok(client) => boxed(
            StepId::Verify,
            verify::VerifyStep::from_profile(
                session,
                client.clone(),
                profile,
                clients.doctor.clone(),
            )
            .map(|s| Box::new(s) as Box<dyn Step>),
        ),
        Err(finding) => Box::new(Unavailable::failed(StepId::Verify, finding.clone())),
    };
    (identity_step, federation_step, verify_step)
}

/// Resource Manager and Graph errors read as the steps' findings: the fix the error names, and
/// `GRAPH_PERMISSION_DENIED` where Graph refused (see [`AzureError::finding_code`]).
impl crate::engine::Actionable for crate::azure::error::AzureError {
    fn fix(&self) -> String {
        crate::azure::error::AzureError::fix(self)
    }

    fn finding_code(&self, code: &'static str) -> &'static str {
        crate::azure::error::AzureError::finding_code(self, code)
    }
}
