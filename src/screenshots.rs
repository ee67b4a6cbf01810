//! `kwif screenshots`: runs the demo scenarios on the embedded sandbox, turns what the steps
//! report into wizard views, and writes them as SVG. Ports, temporary paths, generated ids and
//! key ids are replaced by fixed stand-ins, so the pictures are the same byte for byte anywhere.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::demo::{Demo, Scenario};
use crate::engine::{Change, Check, Finding, Plan, Runner, StepId};
use crate::profile::Profile;
use crate::tui::State;

pub const WIDTH: u16 = 110;
pub const HEIGHT: u16 = 32;

#[derive(Debug, thiserror::Error)]
pub enum ScreenshotError {
    #[error("the demo: {0}")]
    Demo(#[from] crate::demo::DemoError),
    #[error("the demo's profile after clean-up: {0}")]
    Profile(String),
    #[error("--out {}: cannot create the directory ({source}): pass a directory you can write to", dir.display())]
    CreateDir {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("--out {}: cannot write the screenshots there ({source}): pass a directory you can write to", dir.display())]
    Write {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Replaces what differs from run to run with fixed stand-ins.
struct Sanitizer {
    literal: Vec<(String, String)>,
    uuids: BTreeMap<String, String>,
    keep_uuids: Vec<String>,
}

impl Sanitizer {
    fn for_demo(demo: &Demo) -> Sanitizer {
        let sandbox = demo.sandbox();
        let mut literal = Vec::new();
        let issuer = demo.profile.issuer.as_str().to_string();
        if let Some(origin) = issuer.strip_suffix("/cluster1") {
            literal.push((origin.to_string(), "https://localhost:8443".to_string()));
        }
        literal.push((
            sandbox.kube().url().trim_end_matches('/').to_string(),
            "https://127.0.0.1:6443".to_string(),
        ));
        literal.push((
            sandbox
                .azure()
                .resource_manager_url()
                .trim_end_matches('/')
                .to_string(),
            "https://127.0.0.1:7443".to_string(),
        ));
        if let Some(workspace) = demo.profile_path().parent() {
            literal.push((
                workspace.display().to_string(),
                "/srv/kwif-demo".to_string(),
            ));
        }
        let keys = sandbox.kube().jwks();
        for (index, key) in keys["keys"].as_array().into_iter().flatten().enumerate() {
            if let Some(kid) = key["kid"].as_str() {
                literal.push((kid.to_string(), format!("demo-key-{}", index + 1)));
            }
            if let Some(modulus) = key["n"].as_str() {
                literal.push((
                    modulus.to_string(),
                    format!("…modulus of demo-key-{}…", index + 1),
                ));
            }
        }
        // `localhost` may also resolve to ::1, depending on the machine's hosts file.
        for both in ["(127.0.0.1, ::1)", "(::1, 127.0.0.1)"] {
            literal.push((both.to_string(), "(127.0.0.1)".to_string()));
        }
        let keep_uuids = vec![
            sandbox.azure().tenant_id().to_string(),
            sandbox.azure().subscription_id().to_string(),
        ];
        Sanitizer {
            literal,
            uuids: BTreeMap::new(),
            keep_uuids,
        }
    }

    fn text(&mut self, text: &str) -> String {
        let mut out = text.to_string();
        for (from, to) in &self.literal {
            out = out.replace(from.as_str(), to);
        }
        self.uuids_in(&out)
    }

    /// Each generated UUID becomes a fixed one, numbered in order of first appearance.
    fn uuids_in(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find(|c: char| c.is_ascii_hexdigit()) {
            out.push_str(&rest[..start]);
            rest = &rest[start..];
            let candidate = rest.get(..36).filter(|c| is_uuid(c));
            match candidate {
                Some(uuid)
                    if !self
                        .keep_uuids
                        .iter()
                        .any(|keep| keep.eq_ignore_ascii_case(uuid)) =>
                {
                    let next = self.uuids.len() + 1;
                    let fixed = self
                        .uuids
                        .entry(uuid.to_lowercase())
                        .or_insert_with(|| format!("00000000-0000-4000-8000-{next:012}"));
                    out.push_str(fixed);
                    rest = &rest[36..];
                }
                _ => {
                    let width = rest.chars().next().map_or(1, char::len_utf8);
                    out.push_str(&rest[..width]);
                    rest = &rest[width..];
                }
            }
        }
        out.push_str(rest);
        out
    }

    fn finding(&mut self, finding: &Finding) -> Finding {
        Finding {
            message: self.text(&finding.message),
            fix: self.text(&finding.fix),
            ..finding.clone()
        }
    }

    fn check(&mut self, check: &Check) -> Check {
        Check {
            status: check.status,
            findings: check.findings.iter().map(|f| self.finding(f)).collect(),
        }
    }

    fn plan(&mut self, plan: &Plan) -> Plan {
        let changes = plan
            .changes
            .iter()
            .map(|change| Change {
                target: self.text(&change.target),
                summary: self.text(&change.summary),
                before: self.text(&change.before),
                after: self.text(&change.after),
                manifest: change.manifest.as_ref().map(|manifest| self.text(manifest)),
            })
            .collect();
        Plan {
            step: plan.step,
            changes,
        }
    }
}

fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(index, c)| match index {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// What a scenario shows: its checks and plans, cleaned of run-specific values.
struct Observed {
    title: String,
    profile: Profile,
    checks: Vec<(StepId, Check)>,
    plans: Vec<Plan>,
}

/// What a scenario shows; `applied`: after `kwif apply` (every step done, verify ok).
async fn observe(
    scenario: Scenario,
    with_plans: bool,
    applied: bool,
) -> Result<Observed, ScreenshotError> {
    let demo = Demo::start(scenario).await?;
    let mut sanitizer = Sanitizer::for_demo(&demo);
    let runner: Runner = demo.runner().await;
    let report = if applied {
        runner.apply_all(|_| true).await.report
    } else {
        runner.check_all().await
    };
    let checks = report.steps.iter().map(|step| {
        let check = Check {
            status: step.status,
            findings: step.findings.clone(),
        };
        (step.id, sanitizer.check(&check))
    });
    let checks: Vec<(StepId, Check)> = checks.collect();
    let mut plans = Vec::new();
    if with_plans {
        for (_, plan) in runner.plan_all().await {
            if let Ok(plan) = plan {
                plans.push(sanitizer.plan(&plan));
            }
        }
    }
    let written = std::fs::read_to_string(demo.profile_path())
        .map_err(|error| ScreenshotError::Profile(error.to_string()))?;
    // After an apply the profile holds the identity's ids, as kwif saves them.
    let written = match crate::steps::identity::with_learned_ids(&demo.profile, &runner.learned()) {
        Some(learned) if applied => learned.to_yaml(),
        _ => written,
    };
    let profile_yaml = sanitizer.text(&written);
    let profile = Profile::from_yaml(&profile_yaml)
        .map_err(|error| ScreenshotError::Profile(error.to_string()))?;
    Ok(Observed {
        title: format!("kwif demo — scenario {}", scenario.as_str()),
        profile,
        checks,
        plans,
    })
}

impl Observed {
    fn state(&self) -> State {
        let mut state = State::from_checks(self.title.clone(), self.checks.clone())
            .with_profile(self.profile.clone());
        for plan in &self.plans {
            state = state.with_plan(plan.clone());
        }
        state
    }
}

/// The workload step's form, its namespace field's picker open on the list the demo's cluster
/// answers (looked up exactly as the wizard does).
async fn with_namespace_picker(observed: &Observed) -> Result<State, ScreenshotError> {
    let demo = Demo::start(Scenario::Fresh).await?;
    let discovery = crate::discover::EnvironmentDiscovery::new(
        demo.environment.clone(),
        Some(&demo.profile.azure),
    );
    let state = observed
        .state()
        .with_selected(StepId::Workload)
        .with_edit_form_lists(StepId::Workload, |source| {
            let discovery = &discovery;
            async move { discovery.lookup(&source).await }
        })
        .await;
    demo.shutdown().await;
    Ok(state)
}

/// Renders every view into `dir` and returns the files written, in order.
pub async fn write_all(dir: &Path) -> Result<Vec<PathBuf>, ScreenshotError> {
    // Before the demo runs: a directory that cannot be made fails at once, naming it.
    std::fs::create_dir_all(dir).map_err(|source| ScreenshotError::CreateDir {
        dir: dir.to_path_buf(),
        source,
    })?;
    let fresh = observe(Scenario::Fresh, true, false).await?;
    let drifted = observe(Scenario::Drifted, false, false).await?;
    let broken = observe(Scenario::BrokenHosting, false, false).await?;
    let applied = observe(Scenario::Fresh, false, true).await?;
    let mut shots: Vec<(String, State)> = Vec::new();
    for (index, step) in StepId::ALL.iter().enumerate() {
        let name = format!("{}-{}", index + 1, step.as_str());
        shots.push((name, fresh.state().with_selected(*step).with_detail_focus()));
    }
    shots.push((
        "verify-application".into(),
        applied
            .state()
            .with_selected(StepId::Verify)
            .with_detail_focus(),
    ));
    shots.push(("help".into(), fresh.state().with_help()));
    shots.push(("edit-picker".into(), with_namespace_picker(&fresh).await?));
    shots.push((
        "apply-all".into(),
        fresh.state().with_apply_all_confirmation(),
    ));
    shots.push((
        "rerun-drifted".into(),
        drifted.state().with_first_attention_selected(),
    ));
    shots.push((
        "broken-hosting".into(),
        broken
            .state()
            .with_selected(StepId::Hosting)
            .with_detail_focus(),
    ));
    let named: Vec<(&str, State)> = shots
        .iter()
        .map(|(name, state)| (name.as_str(), state.clone()))
        .collect();
    crate::tui::screenshot::write_screenshots(&named, dir, WIDTH, HEIGHT).map_err(|source| {
        ScreenshotError::Write {
            dir: dir.to_path_buf(),
            source,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_uuids_become_fixed_ones_in_order_and_known_ones_stay() {
        let mut sanitizer = Sanitizer {
            literal: vec![(
                "https://localhost:41234".into(),
                "https://localhost:8443".into(),
            )],
            uuids: BTreeMap::new(),
            keep_uuids: vec!["bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb".into()],
        };
        let text = "client 4024ab25-56a8-4370-aea6-6389221caf29 in bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb at https://localhost:41234/c; again 4024AB25-56a8-4370-aea6-6389221caf29, then 25cc773c-7f05-40fc-a104-32d2300754ad";
        assert_eq!(
            sanitizer.text(text),
            "client 00000000-0000-4000-8000-000000000001 in bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb at https://localhost:8443/c; again 00000000-0000-4000-8000-000000000001, then 00000000-0000-4000-8000-000000000002"
        );
    }
}
