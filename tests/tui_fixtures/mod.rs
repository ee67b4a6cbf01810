//! Shared fixtures of the TUI tests: step results as the real steps report them (codes and
//! fixes from DESIGN.md), toy steps that record their calls, and a tiny terminal builder.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kwif::engine::{
    Change, Check, Facts, Finding, Plan, Status, Step, StepError, StepFuture, StepId,
};
use kwif::profile::Profile;
use kwif::tui::State;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

pub const TITLE: &str = "kwif demo — scenario drifted";

/// The sizes every view is snapshotted at: roomy, the 80x24 minimum, and narrow (stacked).
pub const SIZES: [(u16, u16); 3] = [(100, 30), (80, 24), (60, 20)];

pub fn draw(state: &State, width: u16, height: u16) -> Terminal<TestBackend> {
    let Ok(mut terminal) = Terminal::new(TestBackend::new(width, height));
    let Ok(_) = terminal.draw(|frame| kwif::tui::render(state, frame));
    terminal
}

pub fn ok() -> Check {
    Check::ok()
}

pub fn hosting_broken() -> Check {
    Check::from_findings(
        vec![
            Finding::warning(
                "DISCOVERY_CONTENT_TYPE",
                "https://oidc.example.com/cluster1/.well-known/openid-configuration is served as text/plain",
                "serve the file with `default_type application/json;`",
            ),
            Finding::error(
                "DISCOVERY_HTTP_STATUS",
                "https://oidc.example.com/cluster1/.well-known/openid-configuration answered 404 Not Found",
                "the discovery URL is …/.well-known/openid-configuration, you serve …/oidc-configuration",
            ),
        ],
        false,
    )
}

pub fn jwks_stale() -> Check {
    Check::from_findings(
        vec![Finding::warning(
            "JWKS_KEY_NOT_PUBLISHED",
            "the cluster signs with kid 3mQx…, which the hosted JWKS does not list (key rotated)",
            "apply this step to publish the cluster's current keys",
        )],
        true,
    )
}

pub fn federation_wrong_subject() -> Check {
    Check::from_findings(
        vec![Finding::warning(
            "FEDERATION_SUBJECT_MISMATCH",
            "credential kwif-application1-application1-sa has subject system:serviceaccount:application1:default",
            "apply this step to set the subject to system:serviceaccount:application1:application1-sa",
        )],
        true,
    )
}

pub fn workload_missing_env() -> Check {
    Check::from_findings(
        vec![Finding::warning(
            "WORKLOAD_ENV_MISSING",
            "Deployment application1/web-server has no AZURE_FEDERATED_TOKEN_FILE",
            "apply this step: a server-side apply adds it and keeps your own env",
        )],
        true,
    )
}

pub fn verify_failed() -> Check {
    Check::from_findings(
        vec![Finding::error(
            "AADSTS700213",
            "Entra ID found no matching federated identity record for the token's subject",
            "fix the federation step, then check again",
        )],
        false,
    )
}

pub fn workload_plan() -> Plan {
    let before = "spec:\n  template:\n    spec:\n      serviceAccountName: application1-sa\n      containers:\n        - name: web\n          env:\n            - name: AZURE_CLIENT_ID\n              value: 11111111-1111-1111-1111-111111111111\n            - name: AZURE_TENANT_ID\n              value: bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb\n";
    let after = format!(
        "{before}            - name: AZURE_FEDERATED_TOKEN_FILE\n              value: /var/run/secrets/azure/tokens/azure-identity-token\n"
    );
    Plan {
        step: StepId::Workload,
        changes: vec![Change::new(
            "Deployment application1/web-server",
            "server-side apply (field manager kwif): add AZURE_FEDERATED_TOKEN_FILE",
            before,
            after,
        )],
    }
}

pub fn federation_plan() -> Plan {
    Plan {
        step: StepId::Federation,
        changes: vec![Change::new(
            "federated credential kwif-application1-application1-sa",
            "correct the subject",
            "issuer: https://oidc.example.com/cluster1\nsubject: system:serviceaccount:application1:default\naudiences: [api://AzureADTokenExchange]\n",
            "issuer: https://oidc.example.com/cluster1\nsubject: system:serviceaccount:application1:application1-sa\naudiences: [api://AzureADTokenExchange]\n",
        )],
    }
}

pub fn hosting_plan() -> Plan {
    Plan {
        step: StepId::Hosting,
        changes: vec![Change::new(
            "ConfigMap kwif-oidc/kwif-oidc-documents",
            "publish the cluster's current signing keys",
            "keys:\n  - kid: 9fTb\n",
            "keys:\n  - kid: 9fTb\n  - kid: 3mQx\n",
        )],
    }
}

/// The rerun of a drifted setup, checks done: the first step that needs a fix is selected.
pub fn drifted() -> State {
    State::from_checks(
        TITLE,
        vec![
            (StepId::Issuer, ok()),
            (StepId::Hosting, jwks_stale()),
            (StepId::Identity, ok()),
            (StepId::Federation, federation_wrong_subject()),
            (StepId::Workload, workload_missing_env()),
            (StepId::Verify, verify_failed()),
        ],
    )
    .with_profile(Profile::example())
    .with_log("checked 6 steps: 2 ok, 3 drift, 1 error")
}

pub fn broken_hosting() -> State {
    State::from_checks(
        "kwif demo — scenario broken-hosting",
        vec![
            (StepId::Issuer, ok()),
            (StepId::Hosting, hosting_broken()),
            (StepId::Identity, ok()),
            (StepId::Federation, ok()),
            (StepId::Workload, ok()),
            (StepId::Verify, verify_failed()),
        ],
    )
    .with_profile(Profile::example())
    .with_detail_focus()
}

// ---- toy steps ------------------------------------------------------------------------------

/// A step that drifts until applied and counts its calls.
pub struct Toy {
    pub id: StepId,
    pub applied: Mutex<bool>,
    pub checks: AtomicUsize,
    pub plans: AtomicUsize,
    pub applies: AtomicUsize,
    pub apply_delay: Duration,
    pub fails: bool,
    /// The plan fails until this step is applied (a step that builds on an earlier one).
    pub needs: Option<Arc<Toy>>,
    /// Every toy's removal, in the order they happened (share one log between toys).
    pub removals: Arc<Mutex<Vec<StepId>>>,
}

impl Toy {
    pub fn new(id: StepId) -> Toy {
        Toy {
            id,
            applied: Mutex::new(false),
            checks: AtomicUsize::new(0),
            plans: AtomicUsize::new(0),
            applies: AtomicUsize::new(0),
            apply_delay: Duration::ZERO,
            fails: false,
            needs: None,
            removals: Arc::new(Mutex::new(Vec::new())),
        }
    }

    pub fn applied(id: StepId) -> Toy {
        let toy = Toy::new(id);
        *toy.applied.lock().unwrap() = true;
        toy
    }

    pub fn apply_count(&self) -> usize {
        self.applies.load(Ordering::SeqCst)
    }

    fn is_applied(&self) -> bool {
        *self.applied.lock().unwrap()
    }
}

impl Step for Toy {
    fn id(&self) -> StepId {
        self.id
    }

    fn check<'a>(&'a self, _facts: &'a Facts) -> StepFuture<'a, Check> {
        Box::pin(async move {
            self.checks.fetch_add(1, Ordering::SeqCst);
            if self.is_applied() {
                Check::ok()
            } else {
                Check::from_findings(
                    vec![Finding::warning("TOY_DRIFT", "not applied yet", "apply it")],
                    true,
                )
            }
        })
    }

    fn plan<'a>(&'a self, _facts: &'a Facts) -> StepFuture<'a, Result<Plan, StepError>> {
        Box::pin(async move {
            self.plans.fetch_add(1, Ordering::SeqCst);
            if let Some(needed) = &self.needs
                && !needed.is_applied()
            {
                return Err(StepError::new(
                    format!("{} is not applied yet", needed.id),
                    "apply it first",
                ));
            }
            let changes = if self.is_applied() {
                Vec::new()
            } else {
                vec![Change::new(
                    self.id.to_string(),
                    "toy change",
                    "a: 1\n",
                    "a: 2\n",
                )]
            };
            Ok(Plan {
                step: self.id,
                changes,
            })
        })
    }

    fn apply<'a>(
        &'a self,
        _plan: &'a Plan,
        _facts: &'a Facts,
    ) -> StepFuture<'a, Result<Facts, StepError>> {
        Box::pin(async move {
            self.applies.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(self.apply_delay).await;
            if self.fails {
                return Err(StepError::new("toy failure", "do not fail"));
            }
            *self.applied.lock().unwrap() = true;
            Ok(Facts::new())
        })
    }

    fn plan_removal<'a>(&'a self, _facts: &'a Facts) -> StepFuture<'a, Result<Plan, StepError>> {
        Box::pin(async move { Ok(self.removal_plan()) })
    }

    fn remove<'a>(
        &'a self,
        _plan: &'a Plan,
        _facts: &'a Facts,
    ) -> StepFuture<'a, Result<(), StepError>> {
        Box::pin(async move {
            self.removals.lock().unwrap().push(self.id);
            *self.applied.lock().unwrap() = false;
            Ok(())
        })
    }
}

impl Toy {
    /// The toy's removal plan: its one change undone while applied, else nothing.
    fn removal_plan(&self) -> Plan {
        let changes = if self.is_applied() {
            vec![Change::new(
                self.id.to_string(),
                "toy removal",
                "a: 2\n",
                "",
            )]
        } else {
            Vec::new()
        };
        Plan {
            step: self.id,
            changes,
        }
    }
}

pub fn as_steps(toys: &[Arc<Toy>]) -> Vec<Arc<dyn Step>> {
    toys.iter()
        .map(|toy| toy.clone() as Arc<dyn Step>)
        .collect()
}

pub fn status_of(state: &State, id: StepId) -> Status {
    state.step(id).map_or(Status::Pending, |view| view.status)
}
