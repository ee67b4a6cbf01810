//! The profile's enumerated values (distribution, workload kind and mode, hosting kind, blob mode,
//! cloud), each a table of the words kwif.yaml uses; a misspelt word gets a "did you mean".

use std::fmt;

use super::error::{InvalidValue, quoted};

macro_rules! choice {
    (
        $(#[$attr:meta])* $vis:vis $name:ident, $what:literal,
        { $($(#[$variant_attr:meta])* $variant:ident => $text:literal),+ $(,)? }
    ) => {
        $(#[$attr])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $name { $($(#[$variant_attr])* $variant),+ }

        impl $name {
            const CHOICES: &'static [(&'static str, $name)] = &[$(($text, $name::$variant)),+];

            /// The word kwif.yaml uses for this value.
            $vis fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Accepts exactly one of the words kwif.yaml uses (case-sensitive).
            $vis fn parse(raw: &str) -> Result<$name, InvalidValue> {
                parse_choice(raw, $what, Self::CHOICES)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

choice!(
    /// The Kubernetes distribution, which decides where the issuer flag lives (kubernetes.md §5).
    #[derive(Default)]
    pub Distribution, "distribution", {
        #[default]
        Auto => "auto", K0s => "k0s", K3s => "k3s", Rke2 => "rke2", Kubeadm => "kubeadm",
        MicroK8s => "microk8s", Kind => "kind", Minikube => "minikube", Talos => "talos",
        OpenShift => "openshift",
    }
);
choice!(
    /// The kind of object that runs the workload's pods.
    #[derive(Default)]
    pub WorkloadKind, "workload kind", {
        #[default]
        Deployment => "Deployment", StatefulSet => "StatefulSet", DaemonSet => "DaemonSet",
        CronJob => "CronJob", Job => "Job",
    }
);
choice!(
    /// How kwif wires the workload: server-side apply, the AWI webhook's label, or patches to export.
    #[derive(Default)]
    pub WorkloadMode, "workload mode", { #[default] Patch => "patch", Webhook => "webhook", Export => "export" }
);
choice!(pub(super) HostingKind, "hosting kind", {
    Nginx => "nginx", AzureBlob => "azure-blob", Directory => "directory", ApiServer => "apiserver",
});
choice!(pub(super) BlobModeName, "blob hosting mode", {
    PublicContainer => "public-container", StaticWebsite => "static-website",
});
choice!(pub(super) CloudName, "Azure cloud", { Public => "public", China => "china", UsGov => "usgov", Custom => "custom" });

fn parse_choice<T: Copy>(
    raw: &str,
    what: &str,
    choices: &[(&'static str, T)],
) -> Result<T, InvalidValue> {
    if let Some((_, value)) = choices.iter().find(|(text, _)| *text == raw) {
        return Ok(*value);
    }
    let names: Vec<&str> = choices.iter().map(|(text, _)| *text).collect();
    let hint = closest(raw, &names)
        .map(|name| format!(" (did you mean {name:?}?)"))
        .unwrap_or_default();
    Err(InvalidValue(format!(
        "{} is not a known {what}: use one of {}{hint}",
        quoted(raw),
        names.join(", ")
    )))
}

/// The candidate `raw` most likely misspells: same letters ignoring case and `-`/`_`, or at most
/// two edits away.
pub(super) fn closest<'a>(raw: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let normal = |text: &str| -> String {
        text.chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .flat_map(char::to_lowercase)
            .collect()
    };
    if raw.len() > 64 {
        return None;
    }
    let wanted = normal(raw);
    candidates
        .iter()
        .map(|candidate| (edit_distance(&wanted, &normal(candidate)), *candidate))
        .filter(|(distance, _)| *distance <= 2 && *distance < wanted.chars().count())
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::tests::{example_with, only_error};

    #[test]
    fn workload_kind_in_the_wrong_case_suggests_the_right_one() {
        let text = example_with("kind: Deployment", "kind: deployment");
        assert_eq!(
            only_error(&text),
            "workloads[0].kind: \"deployment\" is not a known workload kind: use one of Deployment, StatefulSet, \
             DaemonSet, CronJob, Job (did you mean \"Deployment\"?)"
        );
    }

    #[test]
    fn unknown_distribution_lists_the_known_ones() {
        let text = example_with("distribution: auto", "distribution: k8s");
        assert_eq!(
            only_error(&text),
            "cluster.distribution: \"k8s\" is not a known distribution: use one of auto, k0s, k3s, rke2, kubeadm, \
             microk8s, kind, minikube, talos, openshift (did you mean \"k0s\"?)"
        );
        for (text, _) in Distribution::CHOICES {
            assert_eq!(Distribution::parse(text).unwrap().as_str(), *text);
        }
    }

    #[test]
    fn a_misspelt_hosting_kind_suggests_the_right_one() {
        let message = only_error(&example_with("kind: nginx", "kind: azureblob"));
        assert!(
            message.ends_with("(did you mean \"azure-blob\"?)"),
            "{message}"
        );
    }
}
