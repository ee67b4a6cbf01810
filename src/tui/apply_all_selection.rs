//! What `y` does in the `A` confirmation, decided from the plans shown: the plans applied now
//! (in wizard order, up to the first step that has no plan yet), and the steps planned and
//! confirmed again afterwards because they build on the earlier ones.

use super::State;
use super::step_view::PlanState;
use crate::engine::{Plan, StepId};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApplyAllSelection {
    /// Shown to the user and applied on `y`, in this order.
    pub plans: Vec<Plan>,
    /// Planned again (and shown again) once `plans` are applied.
    pub deferred: Vec<StepId>,
    /// Some plan is still being computed: `y` waits for it.
    pub planning: bool,
    /// The first step that could not be planned, with why.
    pub blocked: Option<(StepId, String)>,
}

impl ApplyAllSelection {
    pub fn of(state: &State, steps: &[StepId]) -> ApplyAllSelection {
        let mut selection = ApplyAllSelection::default();
        for step in steps {
            let Some(view) = state.step(*step) else {
                continue;
            };
            let barrier = !selection.deferred.is_empty();
            match &view.plan {
                PlanState::Planning => selection.planning = true,
                PlanState::Ready(plan) if plan.is_empty() => {}
                PlanState::Ready(plan) if !barrier => selection.plans.push(plan.clone()),
                PlanState::Failed(error) => {
                    if selection.blocked.is_none() {
                        selection.blocked = Some((*step, error.message.clone()));
                    }
                    selection.deferred.push(*step);
                }
                PlanState::Ready(_) | PlanState::NotPlanned => selection.deferred.push(*step),
            }
        }
        selection
    }

    pub fn change_count(&self) -> usize {
        self.plans.iter().map(|plan| plan.changes.len()).sum()
    }

    /// Whether `y` would apply something now.
    pub fn can_apply(&self) -> bool {
        !self.planning && !self.plans.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Change, StepError};

    fn plan(step: StepId, changes: usize) -> Plan {
        let changes = (0..changes)
            .map(|n| Change::new(format!("t{n}"), "s", "a\n", "b\n"))
            .collect();
        Plan { step, changes }
    }

    #[test]
    fn applies_in_order_up_to_the_first_step_without_a_plan() {
        let steps = [
            StepId::Hosting,
            StepId::Identity,
            StepId::Federation,
            StepId::Workload,
            StepId::Verify,
        ];
        let state = State::new("t", &StepId::ALL)
            .with_plan(plan(StepId::Hosting, 2))
            .with_plan(plan(StepId::Identity, 0))
            .with_plan_error(
                StepId::Federation,
                StepError::new("no identity yet", "apply identity"),
            )
            .with_plan(plan(StepId::Workload, 1))
            .with_plan(plan(StepId::Verify, 0));
        let selection = ApplyAllSelection::of(&state, &steps);
        assert_eq!(
            selection.plans.iter().map(|p| p.step).collect::<Vec<_>>(),
            [StepId::Hosting]
        );
        assert_eq!(selection.change_count(), 2);
        assert_eq!(selection.deferred, [StepId::Federation, StepId::Workload]);
        assert_eq!(
            selection.blocked,
            Some((StepId::Federation, "no identity yet".to_string()))
        );
        assert!(selection.can_apply());
    }
}
