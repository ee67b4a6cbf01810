//! What the wizard's `D` shows and what `y` then removes: every step's removal plan in reverse
//! wizard order, as `kwif destroy` plans it. Decides nothing on its own; removes nothing.

use crate::engine::{Plan, StepError, StepId};

/// The removal plans of every step, in reverse wizard order (verify first, issuer last).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RemovalPlans {
    pub plans: Vec<(StepId, Result<Plan, StepError>)>,
    /// Steps whose removal is an instruction for the user (the issuer's flags on the node).
    pub by_hand: Vec<StepId>,
}

impl RemovalPlans {
    /// What `y` removes, in this order: every non-empty plan kwif carries out itself, up to the
    /// first step that could not be planned (as `kwif destroy` stops there).
    pub fn to_remove(&self) -> Vec<Plan> {
        self.plans
            .iter()
            .map_while(|(_, result)| result.as_ref().ok())
            .filter(|plan| !plan.is_empty() && !self.by_hand.contains(&plan.step))
            .cloned()
            .collect()
    }

    /// The first step that could not be planned, with why.
    pub fn blocked(&self) -> Option<(StepId, &StepError)> {
        self.plans
            .iter()
            .find_map(|(step, result)| result.as_ref().err().map(|error| (*step, error)))
    }

    /// The non-empty plans the user carries out by hand.
    pub fn by_hand_plans(&self) -> Vec<&Plan> {
        self.plans
            .iter()
            .filter_map(|(_, result)| result.as_ref().ok())
            .filter(|plan| !plan.is_empty() && self.by_hand.contains(&plan.step))
            .collect()
    }

    pub fn change_count(&self) -> usize {
        self.to_remove().iter().map(|plan| plan.changes.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Change;

    fn plan(step: StepId, changes: usize) -> Plan {
        let changes = (0..changes)
            .map(|n| Change::new(format!("t{n}"), "s", "a\n", ""))
            .collect();
        Plan { step, changes }
    }

    #[test]
    fn removes_in_the_order_given_up_to_the_first_step_that_cannot_be_planned() {
        let removal = RemovalPlans {
            plans: vec![
                (StepId::Verify, Ok(plan(StepId::Verify, 0))),
                (StepId::Workload, Ok(plan(StepId::Workload, 2))),
                (StepId::Federation, Ok(plan(StepId::Federation, 1))),
                (
                    StepId::Identity,
                    Err(StepError::new("no login", "az login")),
                ),
                (StepId::Hosting, Ok(plan(StepId::Hosting, 1))),
                (StepId::Issuer, Ok(plan(StepId::Issuer, 1))),
            ],
            by_hand: vec![StepId::Issuer],
        };
        let steps: Vec<StepId> = removal.to_remove().iter().map(|p| p.step).collect();
        assert_eq!(steps, [StepId::Workload, StepId::Federation]);
        assert_eq!(removal.change_count(), 3);
        assert_eq!(
            removal.blocked().map(|(step, _)| step),
            Some(StepId::Identity)
        );
        assert_eq!(removal.by_hand_plans().len(), 1);
    }
}
