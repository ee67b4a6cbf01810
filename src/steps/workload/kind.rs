//! What each workload kind means to the workload step: its API group, where its pod template
//! lives, whether it rolls out, and whether the API server lets an existing object's template
//! change (a Job's does not: `spec.template` is immutable, so a Job is recreated).

use crate::profile::WorkloadKind;

pub struct KindShape {
    pub group: &'static str,
    pub template_path: &'static [&'static str],
    pub rolls_out: bool,
    /// The API server refuses changes to an existing object's pod template (batch/v1 Job).
    pub template_immutable: bool,
}

const TEMPLATE: &[&str] = &["spec", "template"];

pub fn shape(kind: WorkloadKind) -> KindShape {
    match kind {
        WorkloadKind::Deployment | WorkloadKind::StatefulSet | WorkloadKind::DaemonSet => {
            KindShape {
                group: "apps",
                template_path: TEMPLATE,
                rolls_out: true,
                template_immutable: false,
            }
        }
        WorkloadKind::Job => KindShape {
            group: "batch",
            template_path: TEMPLATE,
            rolls_out: false,
            template_immutable: true,
        },
        // A CronJob's jobTemplate is mutable: its next Job gets the change.
        WorkloadKind::CronJob => KindShape {
            group: "batch",
            template_path: &["spec", "jobTemplate", "spec", "template"],
            rolls_out: false,
            template_immutable: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cronjobs_keep_their_pod_template_under_the_job_template_and_jobs_cannot_change_theirs() {
        assert_eq!(
            shape(WorkloadKind::CronJob).template_path,
            ["spec", "jobTemplate", "spec", "template"]
        );
        assert!(shape(WorkloadKind::Job).template_immutable);
        assert!(!shape(WorkloadKind::CronJob).template_immutable);
    }
}
