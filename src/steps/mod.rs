//! The six setup steps, each implementing the engine's `Step` contract over clients it is given.
//! Steps never build their own clients and never talk to a terminal.

use std::sync::Arc;

use crate::engine::{Check, Finding, Plan, Status, Step, StepError, StepFuture, StepId};
use crate::profile::Profile;

pub mod issuer;
pub mod workload;

/// A step that cannot run here: not built yet, or its client could not be made. Its check says
/// which, so the report never pretends the step passed.
pub struct Unavailable {
    id: StepId,
    status: Status,
    finding: Finding,
}

impl Unavailable {
    /// A step whose code does not exist yet: reported as skipped, with what to use meanwhile.
    pub fn not_built(id: StepId, meanwhile: &str) -> Unavailable {
        let finding = Finding::warning(
            "STEP_NOT_BUILT",
            format!("the {id} step ({}) is not built yet in this version of kwif", id.title()),
            meanwhile,
        );
        Unavailable { id, status: Status::Skipped, finding }
    }

    /// A step whose client failed (no kubeconfig, no Azure login): an error with the reason.
    pub fn failed(id: StepId, finding: Finding) -> Unavailable {
        Unavailable { id, status: Status::Error, finding }
    }
}

impl Step for Unavailable {
    fn id(&self) -> StepId {
        self.id
    }

    fn check(&self) -> StepFuture<'_, Check> {
        Box::pin(async move { Check { status: self.status, findings: vec![self.finding.clone()] } })
    }

    fn plan(&self) -> StepFuture<'_, Result<Plan, StepError>> {
        Box::pin(async move {
            match self.status {
                Status::Error => Err(StepError::new(self.finding.message.clone(), self.finding.fix.clone())),
                _ => Ok(Plan { step: self.id, changes: Vec::new() }),
            }
        })
    }

    fn apply<'a>(&'a self, _plan: &'a Plan) -> StepFuture<'a, Result<(), StepError>> {
        Box::pin(async move { Ok(()) })
    }
}

/// What the steps talk to. A client that could not be made is kept as the finding explaining why.
pub struct Clients {
    pub kube: Result<::kube::Client, Finding>,
    pub node: Arc<dyn issuer::NodeFiles>,
    pub federation_ids: workload::FederationIds,
}

/// The six steps for `profile`, in wizard order.
pub fn for_profile(profile: &Profile, clients: Clients) -> Vec<Box<dyn Step>> {
    let distribution = crate::distro::Distribution::parse(profile.cluster.distribution.as_str());
    let cluster_step = |id: StepId, make: &dyn Fn(::kube::Client) -> Box<dyn Step>| -> Box<dyn Step> {
        match &clients.kube {
            Ok(client) => make(client.clone()),
            Err(finding) => Box::new(Unavailable::failed(id, finding.clone())),
        }
    };
    let issuer_step = cluster_step(StepId::Issuer, &|client| {
        Box::new(issuer::IssuerStep::new(client, profile.issuer.clone(), distribution, clients.node.clone()))
    });
    let workload_step = cluster_step(StepId::Workload, &|client| {
        Box::new(workload::WorkloadStep::new(client, profile.workloads.clone(), clients.federation_ids.clone()))
    });
    let doctor = format!("check the hosted documents with `kwif doctor --issuer {}`", profile.issuer);
    vec![
        issuer_step,
        Box::new(Unavailable::not_built(StepId::Hosting, &doctor)),
        Box::new(Unavailable::not_built(StepId::Identity, "create the managed identity with `az identity create`")),
        Box::new(Unavailable::not_built(StepId::Federation, "create the credential with `az identity federated-credential create`")),
        workload_step,
        Box::new(Unavailable::not_built(StepId::Verify, &doctor)),
    ]
}
