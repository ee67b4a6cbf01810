//! The profile's enumerated values (distribution, workload kind and mode, hosting kind, blob mode,
//! cloud), each a table of the words kwif.yaml uses; a misspelt word gets a "did you mean".

use std::fmt;

use crate::distro::Distribution;

use super::error::{InvalidValue, quoted};

macro_rules! choice {
    (
        $(#[$attr:meta])* $name:ident, $what:literal,
        { $($(#[$variant_attr:meta])* $variant:ident => $text:literal),+ $(,)? }
    ) => {
        $(#[$attr])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$variant_attr])* $variant),+ }

        impl $name {
            /// Every value, in the order kwif.yaml's messages and the profile form list them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The words kwif.yaml uses, in the order of `ALL`.
            pub const WORDS: &'static [&'static str] = &[$($text),+];

            /// The word kwif.yaml uses for this value.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Accepts exactly one of the words kwif.yaml uses (case-sensitive).
            pub fn parse(raw: &str) -> Result<$name, InvalidValue> {
                parse_choice(raw, $what, Self::ALL, Self::WORDS)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// `cluster.distribution`: detect the distribution from the cluster, or the one it runs, which
/// decides where the issuer flag lives (kubernetes.md §5). Its words are [`Distribution`]'s.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DistributionChoice {
    /// Detect it from what the cluster shows (`kube::detect`).
    #[default]
    Auto,
    Known(Distribution),
}

impl DistributionChoice {
    /// Every value, in the order kwif.yaml's messages and the profile form list them. Not
    /// `kubeadm-manifest`: that is a second file of a kubeadm cluster, which `kwif cluster-config`
    /// edits when asked, while a profile names what the cluster runs.
    pub const ALL: &'static [DistributionChoice] = &[
        DistributionChoice::Auto,
        DistributionChoice::Known(Distribution::K0s),
        DistributionChoice::Known(Distribution::K3s),
        DistributionChoice::Known(Distribution::Rke2),
        DistributionChoice::Known(Distribution::Kubeadm),
        DistributionChoice::Known(Distribution::Microk8s),
        DistributionChoice::Known(Distribution::Kind),
        DistributionChoice::Known(Distribution::Minikube),
        DistributionChoice::Known(Distribution::Talos),
        DistributionChoice::Known(Distribution::Openshift),
    ];

    /// The words kwif.yaml uses, in the order of `ALL`: `auto`, then [`Distribution::as_str`].
    pub const WORDS: &'static [&'static str] = &{
        let mut words = [""; DistributionChoice::ALL.len()];
        let mut index = 0;
        while index < words.len() {
            words[index] = DistributionChoice::ALL[index].as_str();
            index += 1;
        }
        words
    };

    /// The word kwif.yaml uses for this value.
    pub const fn as_str(self) -> &'static str {
        match self {
            DistributionChoice::Auto => "auto",
            DistributionChoice::Known(distribution) => distribution.as_str(),
        }
    }

    /// Accepts exactly one of the words kwif.yaml uses (case-sensitive).
    pub fn parse(raw: &str) -> Result<DistributionChoice, InvalidValue> {
        parse_choice(raw, "distribution", Self::ALL, Self::WORDS)
    }

    /// The distribution to configure; `None`: detect it from the cluster.
    pub fn known(self) -> Option<Distribution> {
        match self {
            DistributionChoice::Auto => None,
            DistributionChoice::Known(distribution) => Some(distribution),
        }
    }
}

impl fmt::Display for DistributionChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

choice!(
    /// The kind of object that runs the workload's pods.
    #[derive(Default)]
    WorkloadKind, "workload kind", {
        #[default]
        Deployment => "Deployment", StatefulSet => "StatefulSet", DaemonSet => "DaemonSet",
        CronJob => "CronJob", Job => "Job",
    }
);
choice!(
    /// How kwif wires the workload: server-side apply, the AWI webhook's label, or patches to export.
    #[derive(Default)]
    WorkloadMode, "workload mode", { #[default] Patch => "patch", Webhook => "webhook", Export => "export" }
);
choice!(
    /// Where the discovery document and JWKS are published: the `kind` of [`Hosting`](super::Hosting).
    HostingKind, "hosting kind", {
        Nginx => "nginx", AzureBlob => "azure-blob", Directory => "directory", ApiServer => "apiserver",
    }
);
choice!(
    /// The `mode` word of an Azure Blob hosting: [`BlobMode`](super::BlobMode) without its container.
    BlobModeName, "blob hosting mode", {
        PublicContainer => "public-container", StaticWebsite => "static-website",
    }
);
choice!(
    /// What an identity is: a user-assigned managed identity (Resource Manager) or an app
    /// registration with its service principal (Microsoft Graph), as azwi makes.
    #[derive(Default)]
    IdentityKind, "identity kind", {
        #[default]
        ManagedIdentity => "managedIdentity", Application => "application",
    }
);

impl IdentityKind {
    /// What messages call an identity of this kind.
    pub fn noun(self) -> &'static str {
        match self {
            IdentityKind::ManagedIdentity => "managed identity",
            IdentityKind::Application => "app registration",
        }
    }
}

choice!(
    /// The language the wizard's "your application" pane shows code in (`app.language`).
    AppLanguage, "application language", {
        Python => "python", JavaScript => "javascript", DotNet => "dotnet", Go => "go",
        Java => "java", Rust => "rust",
    }
);

choice!(
    /// The `cloud` word of kwif.yaml: [`Cloud`](super::Cloud) without a custom cloud's endpoints.
    CloudName, "Azure cloud", { Public => "public", China => "china", UsGov => "usgov", Custom => "custom" }
);

/// The value whose word is `raw`; `words[i]` is the word of `values[i]`.
fn parse_choice<T: Copy>(
    raw: &str,
    what: &str,
    values: &[T],
    words: &[&'static str],
) -> Result<T, InvalidValue> {
    if let Some(index) = words.iter().position(|word| *word == raw) {
        return Ok(values[index]);
    }
    let hint = closest(raw, words)
        .map(|word| format!(" (did you mean {word:?}?)"))
        .unwrap_or_default();
    Err(InvalidValue(format!(
        "{} is not a known {what}: use one of {}{hint}",
        quoted(raw),
        words.join(", ")
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
    }

    /// `ALL` and `WORDS` list the same values in the same order, and each word parses back.
    fn words_round_trip<T: Copy + PartialEq + fmt::Debug>(
        all: &[T],
        words: &[&str],
        parse: fn(&str) -> Result<T, InvalidValue>,
        word: fn(T) -> &'static str,
    ) {
        assert_eq!(all.len(), words.len());
        for (value, text) in all.iter().zip(words) {
            assert_eq!(parse(text), Ok(*value));
            assert_eq!(word(*value), *text);
        }
    }

    #[test]
    fn every_choice_lists_its_values_with_their_words() {
        words_round_trip(
            DistributionChoice::ALL,
            DistributionChoice::WORDS,
            DistributionChoice::parse,
            DistributionChoice::as_str,
        );
        words_round_trip(
            WorkloadKind::ALL,
            WorkloadKind::WORDS,
            WorkloadKind::parse,
            WorkloadKind::as_str,
        );
        words_round_trip(
            WorkloadMode::ALL,
            WorkloadMode::WORDS,
            WorkloadMode::parse,
            WorkloadMode::as_str,
        );
        words_round_trip(
            HostingKind::ALL,
            HostingKind::WORDS,
            HostingKind::parse,
            HostingKind::as_str,
        );
        words_round_trip(
            BlobModeName::ALL,
            BlobModeName::WORDS,
            BlobModeName::parse,
            BlobModeName::as_str,
        );
        words_round_trip(
            IdentityKind::ALL,
            IdentityKind::WORDS,
            IdentityKind::parse,
            IdentityKind::as_str,
        );
        words_round_trip(
            CloudName::ALL,
            CloudName::WORDS,
            CloudName::parse,
            CloudName::as_str,
        );
    }

    #[test]
    fn every_distribution_but_the_kubeadm_manifest_is_a_choice() {
        for distribution in Distribution::ALL {
            let offered =
                DistributionChoice::ALL.contains(&DistributionChoice::Known(distribution));
            assert_eq!(
                offered,
                distribution != Distribution::KubeadmManifest,
                "{distribution}"
            );
        }
        assert_eq!(
            DistributionChoice::parse("k3s").map(DistributionChoice::known),
            Ok(Some(Distribution::K3s))
        );
        assert_eq!(DistributionChoice::Auto.known(), None);
        assert!(DistributionChoice::parse("kubeadm-manifest").is_err());
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
