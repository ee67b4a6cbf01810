//! Tells which Kubernetes distribution runs a cluster from what the API shows: the version
//! string, node labels and OS image, and kubeadm's static apiserver pod. Read-only.

use ::kube::Client;
use ::kube::api::{Api, ListParams};
use k8s_openapi::api::core::v1::{Node, Pod};

use super::KubeError;
use crate::distro::Distribution;

/// A detected distribution and the evidence, to show the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detected {
    pub distribution: Distribution,
    pub evidence: String,
}

/// What the cluster shows about itself; gathered once, then matched against the table.
#[derive(Clone, Debug, Default)]
pub struct ClusterFacts {
    pub git_version: String,
    pub node_labels: Vec<(String, String)>,
    pub node_annotations: Vec<String>,
    pub os_images: Vec<String>,
    pub provider_ids: Vec<String>,
    pub has_kubeadm_apiserver_pod: bool,
}

/// One rule: a predicate over the facts, the distribution it reveals, and how to say why.
type Rule = (fn(&ClusterFacts) -> bool, Distribution, &'static str);

/// First match wins; the version suffix is the strongest tell, kubeadm's static pod the weakest
/// (kind and minikube run kubeadm too, so they are tested before it).
const RULES: [Rule; 10] = [
    (
        |f| f.git_version.contains("+k0s"),
        Distribution::K0s,
        "the version string ends in +k0s",
    ),
    (
        |f| f.git_version.contains("+k3s"),
        Distribution::K3s,
        "the version string ends in +k3s",
    ),
    (
        |f| f.git_version.contains("+rke2"),
        Distribution::Rke2,
        "the version string ends in +rke2",
    ),
    (
        |f| f.os_images.iter().any(|os| os.starts_with("Talos")),
        Distribution::Talos,
        "the nodes run Talos",
    ),
    (
        |f| has_label(f, "node.openshift.io/os_id"),
        Distribution::Openshift,
        "the nodes carry node.openshift.io labels",
    ),
    (
        |f| has_label(f, "microk8s.io/cluster"),
        Distribution::Microk8s,
        "the nodes carry the microk8s.io/cluster label",
    ),
    (
        |f| has_label(f, "minikube.k8s.io/name"),
        Distribution::Minikube,
        "the nodes carry minikube.k8s.io labels",
    ),
    (
        |f| f.provider_ids.iter().any(|id| id.starts_with("kind://")),
        Distribution::Kind,
        "the nodes' providerID starts with kind://",
    ),
    (
        |f| f.has_kubeadm_apiserver_pod,
        Distribution::Kubeadm,
        "kube-system runs kubeadm's static kube-apiserver pod",
    ),
    (
        |f| {
            f.node_annotations
                .iter()
                .any(|a| a.starts_with("kubeadm.alpha.kubernetes.io/"))
        },
        Distribution::Kubeadm,
        "the nodes carry kubeadm annotations",
    ),
];

fn has_label(facts: &ClusterFacts, key: &str) -> bool {
    facts.node_labels.iter().any(|(k, _)| k == key)
}

impl ClusterFacts {
    pub fn detect(&self) -> Option<Detected> {
        RULES
            .iter()
            .find(|(matches, ..)| matches(self))
            .map(|&(_, distribution, why)| Detected {
                distribution,
                evidence: format!("{why} ({})", self.git_version),
            })
    }
}

/// Reads the facts from the cluster: `/version`, the nodes, kube-system's apiserver pods.
pub async fn gather(client: &Client) -> Result<ClusterFacts, KubeError> {
    let version = client
        .apiserver_version()
        .await
        .map_err(|error| KubeError::from_kube("reading /version", error))?;
    let mut facts = ClusterFacts {
        git_version: version.git_version,
        ..Default::default()
    };
    let nodes: Api<Node> = Api::all(client.clone());
    if let Ok(list) = nodes.list(&ListParams::default()).await {
        for node in list.items {
            facts
                .node_labels
                .extend(node.metadata.labels.unwrap_or_default());
            facts
                .node_annotations
                .extend(node.metadata.annotations.unwrap_or_default().into_keys());
            let spec = node.spec.unwrap_or_default();
            facts.provider_ids.extend(spec.provider_id);
            if let Some(info) = node.status.and_then(|status| status.node_info) {
                facts.os_images.push(info.os_image);
            }
        }
    }
    let pods: Api<Pod> = Api::namespaced(client.clone(), "kube-system");
    let apiserver = ListParams::default().labels("component=kube-apiserver,tier=control-plane");
    if let Ok(list) = pods.list(&apiserver).await {
        facts.has_kubeadm_apiserver_pod = !list.items.is_empty();
    }
    Ok(facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(git_version: &str) -> ClusterFacts {
        ClusterFacts {
            git_version: git_version.into(),
            ..Default::default()
        }
    }

    #[test]
    fn version_suffixes_tell_k0s_k3s_and_rke2() {
        assert_eq!(
            facts("v1.33.2+k0s").detect().unwrap().distribution,
            Distribution::K0s
        );
        assert_eq!(
            facts("v1.33.2+k3s1").detect().unwrap().distribution,
            Distribution::K3s
        );
        assert_eq!(
            facts("v1.33.2+rke2r1").detect().unwrap().distribution,
            Distribution::Rke2
        );
        assert_eq!(facts("v1.33.2").detect(), None);
    }

    #[test]
    fn kind_is_told_apart_from_plain_kubeadm() {
        let mut kind = facts("v1.33.2");
        kind.has_kubeadm_apiserver_pod = true;
        assert_eq!(kind.detect().unwrap().distribution, Distribution::Kubeadm);
        kind.provider_ids
            .push("kind://docker/kind/kind-control-plane".into());
        assert_eq!(kind.detect().unwrap().distribution, Distribution::Kind);
    }

    #[test]
    fn labels_and_os_images_tell_the_others() {
        let mut microk8s = facts("v1.33.2");
        microk8s
            .node_labels
            .push(("microk8s.io/cluster".into(), "true".into()));
        assert_eq!(
            microk8s.detect().unwrap().distribution,
            Distribution::Microk8s
        );
        let mut talos = facts("v1.33.2");
        talos.os_images.push("Talos (v1.11.0)".into());
        assert_eq!(talos.detect().unwrap().distribution, Distribution::Talos);
        assert!(talos.detect().unwrap().evidence.contains("Talos"));
    }
}
