//! The nine distributions the sandbox can pose as, and the tells each leaves where kwif looks:
//! the `/version` suffix, node labels, annotations and runtime, and the kube-apiserver pod.

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::flags::ApiServerFlags;
use super::version::KubernetesVersion;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Distribution {
    K0s,
    K3s,
    Rke2,
    Kubeadm,
    MicroK8s,
    Kind,
    Minikube,
    Talos,
    OpenShift,
}

/// How the kube-apiserver of a distribution shows up as a pod, when it does.
pub struct ApiServerPod {
    pub namespace: &'static str,
    pub labels: &'static [(&'static str, &'static str)],
    pub image: &'static str,
    /// The executable; the flags follow it in `command`, or go to `args` when `flags_in_args`.
    pub command: &'static [&'static str],
    pub flags_in_args: bool,
    /// Flags other than the service-account ones, `--name=value`.
    pub other_flags: &'static [&'static str],
    pub signing_key_file: &'static str,
    pub key_file: &'static str,
}

/// Everything the sandbox needs to look like one distribution. Values come from the
/// distributions' own defaults (kubernetes.md §5–6) and from what their nodes report.
pub struct Tells {
    pub name: &'static str,
    /// Appended to the upstream version in `gitVersion` and `kubeletVersion`.
    pub version_suffix: &'static str,
    pub default_issuer: &'static str,
    /// `--api-audiences` the distribution sets; empty when it leaves the flag unset.
    pub api_audiences: &'static [&'static str],
    pub anonymous_auth: bool,
    /// `--service-account-jwks-uri` the distribution sets itself.
    pub jwks_uri: Option<&'static str>,
    pub node_name: &'static str,
    pub node_ip: &'static str,
    pub os_image: &'static str,
    pub kernel: &'static str,
    pub container_runtime: &'static str,
    /// `{node}` stands for the node name.
    pub provider_id: Option<&'static str>,
    pub labels: &'static [(&'static str, &'static str)],
    pub annotations: &'static [(&'static str, &'static str)],
    pub apiserver_pod: Option<ApiServerPod>,
    /// Writes `kube-system/kubeadm-config` like kubeadm does.
    pub kubeadm_config: bool,
}

const KUBEADM_LABELS: &[(&str, &str)] = &[
    ("node-role.kubernetes.io/control-plane", ""),
    (
        "node.kubernetes.io/exclude-from-external-load-balancers",
        "",
    ),
];

const KUBEADM_FLAGS: &[&str] = &[
    "--allow-privileged=true",
    "--authorization-mode=Node,RBAC",
    "--client-ca-file=/etc/kubernetes/pki/ca.crt",
    "--enable-admission-plugins=NodeRestriction",
    "--enable-bootstrap-token-auth=true",
    "--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt",
    "--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt",
    "--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key",
    "--etcd-servers=https://127.0.0.1:2379",
    "--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt",
    "--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key",
    "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
    "--proxy-client-cert-file=/etc/kubernetes/pki/front-proxy-client.crt",
    "--proxy-client-key-file=/etc/kubernetes/pki/front-proxy-client.key",
    "--requestheader-allowed-names=front-proxy-client",
    "--requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt",
    "--requestheader-extra-headers-prefix=X-Remote-Extra-",
    "--requestheader-group-headers=X-Remote-Group",
    "--requestheader-username-headers=X-Remote-User",
    "--secure-port=6443",
    "--service-cluster-ip-range=10.96.0.0/12",
    "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt",
    "--tls-private-key-file=/etc/kubernetes/pki/apiserver.key",
];

const KUBEADM_POD: ApiServerPod = ApiServerPod {
    namespace: "kube-system",
    labels: &[("component", "kube-apiserver"), ("tier", "control-plane")],
    image: "registry.k8s.io/kube-apiserver",
    command: &["kube-apiserver"],
    flags_in_args: false,
    other_flags: KUBEADM_FLAGS,
    signing_key_file: "/etc/kubernetes/pki/sa.key",
    key_file: "/etc/kubernetes/pki/sa.pub",
};

const KUBEADM_ISSUER: &str = "https://kubernetes.default.svc.cluster.local";

static K0S: Tells = Tells {
    name: "k0s",
    version_suffix: "+k0s",
    default_issuer: "https://kubernetes.default.svc",
    api_audiences: &[
        "https://kubernetes.default.svc",
        "system:konnectivity-server",
    ],
    anonymous_auth: false,
    jwks_uri: Some("https://kubernetes.default.svc/openid/v1/jwks"),
    node_name: "k0s-controller",
    node_ip: "10.0.0.10",
    os_image: "Ubuntu 24.04.2 LTS",
    kernel: "6.8.0-63-generic",
    container_runtime: "containerd://1.7.27",
    provider_id: None,
    labels: &[
        ("node-role.kubernetes.io/control-plane", "true"),
        ("node.k0sproject.io/role", "control-plane"),
    ],
    annotations: &[(
        "volumes.kubernetes.io/controller-managed-attach-detach",
        "true",
    )],
    apiserver_pod: None,
    kubeadm_config: false,
};

static K3S: Tells = Tells {
    name: "k3s",
    version_suffix: "+k3s1",
    default_issuer: KUBEADM_ISSUER,
    api_audiences: &["https://kubernetes.default.svc.cluster.local", "k3s"],
    anonymous_auth: false,
    jwks_uri: None,
    node_name: "k3s-server",
    node_ip: "10.0.0.10",
    os_image: "Ubuntu 24.04.2 LTS",
    kernel: "6.8.0-63-generic",
    container_runtime: "containerd://2.0.5-k3s1",
    provider_id: Some("k3s://{node}"),
    labels: &[
        ("beta.kubernetes.io/instance-type", "k3s"),
        ("node-role.kubernetes.io/control-plane", "true"),
        ("node-role.kubernetes.io/master", "true"),
        ("node.kubernetes.io/instance-type", "k3s"),
    ],
    annotations: &[
        ("k3s.io/hostname", "k3s-server"),
        ("k3s.io/internal-ip", "10.0.0.10"),
        ("k3s.io/node-args", "[\"server\"]"),
    ],
    apiserver_pod: None,
    kubeadm_config: false,
};

static RKE2: Tells = Tells {
    name: "rke2",
    version_suffix: "+rke2r1",
    default_issuer: KUBEADM_ISSUER,
    api_audiences: &["https://kubernetes.default.svc.cluster.local", "rke2"],
    anonymous_auth: false,
    jwks_uri: None,
    node_name: "rke2-server",
    node_ip: "10.0.0.10",
    os_image: "Ubuntu 24.04.2 LTS",
    kernel: "6.8.0-63-generic",
    container_runtime: "containerd://2.0.5-k3s1",
    provider_id: Some("rke2://{node}"),
    labels: &[
        ("beta.kubernetes.io/instance-type", "rke2"),
        ("node-role.kubernetes.io/control-plane", "true"),
        ("node-role.kubernetes.io/etcd", "true"),
        ("node-role.kubernetes.io/master", "true"),
        ("node.kubernetes.io/instance-type", "rke2"),
    ],
    annotations: &[
        ("rke2.io/hostname", "rke2-server"),
        ("rke2.io/internal-ip", "10.0.0.10"),
        ("rke2.io/node-args", "[\"server\"]"),
    ],
    apiserver_pod: Some(ApiServerPod {
        namespace: "kube-system",
        labels: &[("component", "kube-apiserver"), ("tier", "control-plane")],
        image: "index.docker.io/rancher/hardened-kubernetes",
        command: &["kube-apiserver"],
        flags_in_args: true,
        other_flags: &[
            "--allow-privileged=true",
            "--authorization-mode=Node,RBAC",
            "--bind-address=0.0.0.0",
            "--cert-dir=/var/lib/rancher/rke2/server/tls/temporary-certs",
            "--client-ca-file=/var/lib/rancher/rke2/server/tls/client-ca.crt",
            "--enable-admission-plugins=NodeRestriction",
            "--etcd-servers=https://127.0.0.1:2379",
            "--kubelet-client-certificate=/var/lib/rancher/rke2/server/tls/client-kube-apiserver.crt",
            "--kubelet-client-key=/var/lib/rancher/rke2/server/tls/client-kube-apiserver.key",
            "--secure-port=6443",
            "--service-cluster-ip-range=10.43.0.0/16",
            "--tls-cert-file=/var/lib/rancher/rke2/server/tls/serving-kube-apiserver.crt",
            "--tls-private-key-file=/var/lib/rancher/rke2/server/tls/serving-kube-apiserver.key",
        ],
        signing_key_file: "/var/lib/rancher/rke2/server/tls/service.current.key",
        key_file: "/var/lib/rancher/rke2/server/tls/service.key",
    }),
    kubeadm_config: false,
};

static KUBEADM: Tells = Tells {
    name: "kubeadm",
    version_suffix: "",
    default_issuer: KUBEADM_ISSUER,
    api_audiences: &[],
    anonymous_auth: true,
    jwks_uri: None,
    node_name: "control-plane-1",
    node_ip: "10.0.0.10",
    os_image: "Ubuntu 24.04.2 LTS",
    kernel: "6.8.0-63-generic",
    container_runtime: "containerd://1.7.27",
    provider_id: None,
    labels: KUBEADM_LABELS,
    annotations: &[(
        "kubeadm.alpha.kubernetes.io/cri-socket",
        "unix:///var/run/containerd/containerd.sock",
    )],
    apiserver_pod: Some(KUBEADM_POD),
    kubeadm_config: true,
};

static MICROK8S: Tells = Tells {
    name: "microk8s",
    version_suffix: "",
    default_issuer: "https://kubernetes.default.svc",
    api_audiences: &[],
    anonymous_auth: true,
    jwks_uri: None,
    node_name: "microk8s-vm",
    node_ip: "10.0.0.10",
    os_image: "Ubuntu 24.04.2 LTS",
    kernel: "6.8.0-63-generic",
    container_runtime: "containerd://1.7.27",
    provider_id: None,
    labels: &[
        ("microk8s.io/cluster", "true"),
        (
            "node.kubernetes.io/microk8s-controlplane",
            "microk8s-controlplane",
        ),
    ],
    annotations: &[],
    apiserver_pod: None,
    kubeadm_config: false,
};

static KIND: Tells = Tells {
    name: "kind",
    version_suffix: "",
    default_issuer: KUBEADM_ISSUER,
    api_audiences: &[],
    anonymous_auth: true,
    jwks_uri: None,
    node_name: "kind-control-plane",
    node_ip: "172.18.0.2",
    os_image: "Debian GNU/Linux 12 (bookworm)",
    kernel: "6.8.0-63-generic",
    container_runtime: "containerd://2.1.1",
    provider_id: Some("kind://docker/kind/{node}"),
    labels: KUBEADM_LABELS,
    annotations: &[(
        "kubeadm.alpha.kubernetes.io/cri-socket",
        "unix:///run/containerd/containerd.sock",
    )],
    apiserver_pod: Some(KUBEADM_POD),
    kubeadm_config: true,
};

static MINIKUBE: Tells = Tells {
    name: "minikube",
    version_suffix: "",
    default_issuer: KUBEADM_ISSUER,
    api_audiences: &[],
    anonymous_auth: true,
    jwks_uri: None,
    node_name: "minikube",
    node_ip: "192.168.49.2",
    os_image: "Ubuntu 22.04.5 LTS",
    kernel: "6.8.0-63-generic",
    container_runtime: "docker://28.1.1",
    provider_id: None,
    labels: &[
        ("minikube.k8s.io/name", "minikube"),
        ("minikube.k8s.io/primary", "true"),
        ("minikube.k8s.io/version", "v1.36.0"),
        ("node-role.kubernetes.io/control-plane", ""),
        (
            "node.kubernetes.io/exclude-from-external-load-balancers",
            "",
        ),
    ],
    annotations: &[(
        "kubeadm.alpha.kubernetes.io/cri-socket",
        "unix:///var/run/cri-dockerd.sock",
    )],
    apiserver_pod: Some(ApiServerPod {
        signing_key_file: "/var/lib/minikube/certs/sa.key",
        key_file: "/var/lib/minikube/certs/sa.pub",
        ..KUBEADM_POD
    }),
    kubeadm_config: true,
};

static TALOS: Tells = Tells {
    name: "talos",
    version_suffix: "",
    default_issuer: "https://10.5.0.2:6443",
    api_audiences: &[],
    anonymous_auth: true,
    jwks_uri: None,
    node_name: "talos-default-controlplane-1",
    node_ip: "10.5.0.2",
    os_image: "Talos (v1.10.5)",
    kernel: "6.12.35-talos",
    container_runtime: "containerd://2.0.5",
    provider_id: None,
    labels: &[("node-role.kubernetes.io/control-plane", "")],
    annotations: &[],
    apiserver_pod: Some(ApiServerPod {
        namespace: "kube-system",
        labels: &[("k8s-app", "kube-apiserver"), ("tier", "control-plane")],
        image: "registry.k8s.io/kube-apiserver",
        command: &["/usr/local/bin/kube-apiserver"],
        flags_in_args: true,
        other_flags: &[
            "--allow-privileged=true",
            "--authorization-mode=Node,RBAC",
            "--bind-address=0.0.0.0",
            "--client-ca-file=/system/secrets/kubernetes/kube-apiserver/ca.crt",
            "--enable-admission-plugins=NodeRestriction",
            "--etcd-servers=https://localhost:2379",
            "--secure-port=6443",
            "--service-cluster-ip-range=10.96.0.0/12",
            "--tls-cert-file=/system/secrets/kubernetes/kube-apiserver/apiserver.crt",
            "--tls-private-key-file=/system/secrets/kubernetes/kube-apiserver/apiserver.key",
        ],
        signing_key_file: "/system/secrets/kubernetes/kube-apiserver/service-account.key",
        key_file: "/system/secrets/kubernetes/kube-apiserver/service-account.pub",
    }),
    kubeadm_config: false,
};

static OPENSHIFT: Tells = Tells {
    name: "openshift",
    version_suffix: "",
    default_issuer: "https://kubernetes.default.svc",
    api_audiences: &["https://kubernetes.default.svc"],
    anonymous_auth: true,
    jwks_uri: Some("https://api-int.sandbox.example.com:6443/openid/v1/jwks"),
    node_name: "master-0",
    node_ip: "10.0.0.10",
    os_image: "Red Hat Enterprise Linux CoreOS 9.6.20250701-0 (Plow)",
    kernel: "5.14.0-570.25.1.el9_6.x86_64",
    container_runtime: "cri-o://1.33.2-2.rhaos4.20.el9",
    provider_id: None,
    labels: &[
        ("node-role.kubernetes.io/control-plane", ""),
        ("node-role.kubernetes.io/master", ""),
        ("node.openshift.io/os_id", "rhcos"),
    ],
    annotations: &[
        (
            "machineconfiguration.openshift.io/currentConfig",
            "rendered-master-5f2c1a7e",
        ),
        ("machineconfiguration.openshift.io/state", "Done"),
    ],
    apiserver_pod: None,
    kubeadm_config: false,
};

impl Distribution {
    pub const ALL: [Distribution; 9] = [
        Distribution::K0s,
        Distribution::K3s,
        Distribution::Rke2,
        Distribution::Kubeadm,
        Distribution::MicroK8s,
        Distribution::Kind,
        Distribution::Minikube,
        Distribution::Talos,
        Distribution::OpenShift,
    ];

    pub fn tells(self) -> &'static Tells {
        match self {
            Distribution::K0s => &K0S,
            Distribution::K3s => &K3S,
            Distribution::Rke2 => &RKE2,
            Distribution::Kubeadm => &KUBEADM,
            Distribution::MicroK8s => &MICROK8S,
            Distribution::Kind => &KIND,
            Distribution::Minikube => &MINIKUBE,
            Distribution::Talos => &TALOS,
            Distribution::OpenShift => &OPENSHIFT,
        }
    }

    pub fn name(self) -> &'static str {
        self.tells().name
    }

    /// `gitVersion` as the distribution reports it: `v1.33.2+k0s`, `v1.33.2+k3s1`, `v1.33.2`.
    pub fn git_version(self, version: &KubernetesVersion) -> String {
        format!("{version}{}", self.tells().version_suffix)
    }

    /// The `/version` document.
    pub fn version_info(self, version: &KubernetesVersion) -> Value {
        let git_version = self.git_version(version);
        let commit = hex_digest(&git_version);
        json!({
            "major": version.major.to_string(),
            "minor": version.minor.to_string(),
            "emulationMajor": version.major.to_string(),
            "emulationMinor": version.minor.to_string(),
            "minCompatibilityMajor": version.major.to_string(),
            "minCompatibilityMinor": version.minor.saturating_sub(1).to_string(),
            "gitVersion": git_version,
            "gitCommit": &commit[..40],
            "gitTreeState": "clean",
            "buildDate": "2025-06-17T18:08:00Z",
            "goVersion": "go1.24.4",
            "compiler": "gc",
            "platform": "linux/amd64",
        })
    }

    /// The single node of the sandbox cluster.
    pub fn node(self, version: &KubernetesVersion, now: &str) -> Value {
        let tells = self.tells();
        let node = tells.node_name;
        let mut labels = json!({
            "beta.kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": node,
            "kubernetes.io/os": "linux",
        });
        extend(&mut labels, tells.labels);
        let mut annotations = json!({"node.alpha.kubernetes.io/ttl": "0"});
        extend(&mut annotations, tells.annotations);
        let mut spec = json!({"podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24"]});
        if let Some(provider_id) = tells.provider_id {
            spec["providerID"] = json!(provider_id.replace("{node}", node));
        }
        let git_version = self.git_version(version);
        let identity = hex_digest(node);
        let resources = json!({"cpu": "4", "ephemeral-storage": "102626232Ki", "memory": "8129036Ki", "pods": "110"});
        json!({
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": node, "labels": labels, "annotations": annotations},
            "spec": spec,
            "status": {
                "addresses": [{"type": "InternalIP", "address": tells.node_ip}, {"type": "Hostname", "address": node}],
                "allocatable": resources,
                "capacity": resources,
                "conditions": [{
                    "type": "Ready", "status": "True", "lastHeartbeatTime": now, "lastTransitionTime": now,
                    "reason": "KubeletReady", "message": "kubelet is posting ready status",
                }],
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                "nodeInfo": {
                    "architecture": "amd64",
                    "bootID": uuid_like(&identity[..32]),
                    "containerRuntimeVersion": tells.container_runtime,
                    "kernelVersion": tells.kernel,
                    "kubeProxyVersion": git_version,
                    "kubeletVersion": git_version,
                    "machineID": &identity[32..64],
                    "operatingSystem": "linux",
                    "osImage": tells.os_image,
                    "systemUUID": uuid_like(&identity[..32]),
                },
            },
        })
    }

    /// The kube-apiserver pod with the flags in force, for distributions that run it as a
    /// static pod. Flags sort by name and keep their order within a name, as kubeadm, k3s and
    /// Talos write them; so the first `--service-account-issuer` is the one that signs.
    pub fn apiserver_pod(
        self,
        version: &KubernetesVersion,
        flags: &ApiServerFlags,
        node_uid: &str,
        now: &str,
    ) -> Option<Value> {
        let tells = self.tells();
        let pod = tells.apiserver_pod.as_ref()?;
        let mut all_flags: Vec<String> = pod
            .other_flags
            .iter()
            .map(std::string::ToString::to_string)
            .collect();
        all_flags.push(format!("--advertise-address={}", tells.node_ip));
        all_flags.extend(service_account_flags(flags, pod));
        all_flags.sort_by(|a, b| flag_name(a).cmp(flag_name(b)));
        let mut command: Vec<String> = pod
            .command
            .iter()
            .map(std::string::ToString::to_string)
            .collect();
        let mut container = json!({"name": "kube-apiserver", "image": format!("{}:{}", pod.image, image_tag(self, version))});
        if pod.flags_in_args {
            container["command"] = json!(command);
            container["args"] = json!(all_flags);
        } else {
            command.extend(all_flags.iter().cloned());
            container["command"] = json!(command);
        }
        let config_hash = &hex_digest(&container.to_string())[..32];
        let node = tells.node_name;
        let mut labels = json!({});
        extend(&mut labels, pod.labels);
        let mut annotations = json!({
            "kubernetes.io/config.hash": config_hash,
            "kubernetes.io/config.mirror": config_hash,
            "kubernetes.io/config.seen": now,
            "kubernetes.io/config.source": "file",
        });
        if tells.kubeadm_config {
            annotations["kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint"] =
                json!(format!("{}:6443", tells.node_ip));
        }
        Some(json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": format!("kube-apiserver-{node}"),
                "namespace": pod.namespace,
                "labels": labels,
                "annotations": annotations,
                "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": node, "uid": node_uid, "controller": true}],
            },
            "spec": {
                "containers": [container],
                "hostNetwork": true,
                "nodeName": node,
                "priorityClassName": "system-node-critical",
                "restartPolicy": "Always",
            },
            "status": {
                "phase": "Running",
                "hostIP": tells.node_ip,
                "podIP": tells.node_ip,
                "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": now}],
                "startTime": now,
            },
        }))
    }

    /// `kube-system/kubeadm-config` as `kubeadm init` uploads it, with the issuers it was given.
    pub fn kubeadm_config(
        self,
        version: &KubernetesVersion,
        flags: &ApiServerFlags,
    ) -> Option<Value> {
        if !self.tells().kubeadm_config {
            return None;
        }
        let v1beta4 = version.minor >= 31;
        let mut extra_args = String::new();
        let non_default = flags.service_account_issuers != [KUBEADM_ISSUER];
        if non_default {
            extra_args.push_str("  extraArgs:\n");
            for issuer in &flags.service_account_issuers {
                match v1beta4 {
                    true => extra_args.push_str(&format!(
                        "  - name: service-account-issuer\n    value: {issuer}\n"
                    )),
                    // v1beta3 holds one value per flag name: only the first survives.
                    false => {
                        extra_args.push_str(&format!("    service-account-issuer: {issuer}\n"));
                        break;
                    }
                }
            }
        }
        let api_server = match extra_args.is_empty() {
            true => "apiServer: {}\n".to_string(),
            false => format!("apiServer:\n{extra_args}"),
        };
        let text = format!(
            "{api_server}apiVersion: kubeadm.k8s.io/{}\ncertificatesDir: /etc/kubernetes/pki\n\
             clusterName: kubernetes\ncontrollerManager: {{}}\ndns: {{}}\nencryptionAlgorithm: RSA-2048\n\
             etcd:\n  local:\n    dataDir: /var/lib/etcd\nimageRepository: registry.k8s.io\n\
             kind: ClusterConfiguration\nkubernetesVersion: {version}\nnetworking:\n  \
             dnsDomain: cluster.local\n  podSubnet: 10.244.0.0/16\n  serviceSubnet: 10.96.0.0/12\n\
             proxy: {{}}\nscheduler: {{}}\n",
            if v1beta4 { "v1beta4" } else { "v1beta3" }
        );
        Some(json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "kubeadm-config", "namespace": "kube-system"},
            "data": {"ClusterConfiguration": text},
        }))
    }
}

fn service_account_flags(flags: &ApiServerFlags, pod: &ApiServerPod) -> Vec<String> {
    let mut out: Vec<String> = flags
        .service_account_issuers
        .iter()
        .map(|issuer| format!("--service-account-issuer={issuer}"))
        .collect();
    out.push(format!("--service-account-key-file={}", pod.key_file));
    out.push(format!(
        "--service-account-signing-key-file={}",
        pod.signing_key_file
    ));
    if let Some(jwks_uri) = &flags.service_account_jwks_uri {
        out.push(format!("--service-account-jwks-uri={jwks_uri}"));
    }
    if let Some(audiences) = &flags.api_audiences {
        out.push(format!("--api-audiences={}", audiences.join(",")));
    }
    if !flags.anonymous_auth {
        out.push("--anonymous-auth=false".to_string());
    }
    out
}

fn flag_name(flag: &str) -> &str {
    flag.split('=').next().unwrap_or(flag)
}

fn image_tag(distribution: Distribution, version: &KubernetesVersion) -> String {
    match distribution {
        Distribution::Rke2 => format!("{version}-rke2r1-build20250617"),
        _ => version.to_string(),
    }
}

fn extend(target: &mut Value, pairs: &[(&str, &str)]) {
    if let Value::Object(map) = target {
        let extra: Map<String, Value> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        map.extend(extra);
    }
}

fn hex_digest(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn uuid_like(hex: &str) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

impl fmt::Display for Distribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Distribution {
    type Err = String;

    fn from_str(name: &str) -> Result<Distribution, String> {
        Distribution::ALL
            .into_iter()
            .find(|distribution| distribution.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                let names: Vec<&str> = Distribution::ALL.iter().map(|d| d.name()).collect();
                format!(
                    "unknown distribution {name:?}; expected one of {}",
                    names.join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_versions_carry_the_distribution_suffix() {
        let version = KubernetesVersion::default();
        let shown: Vec<String> = [
            Distribution::K0s,
            Distribution::K3s,
            Distribution::Rke2,
            Distribution::Kubeadm,
        ]
        .iter()
        .map(|d| d.git_version(&version))
        .collect();
        assert_eq!(
            shown,
            ["v1.33.2+k0s", "v1.33.2+k3s1", "v1.33.2+rke2r1", "v1.33.2"]
        );
    }

    #[test]
    fn the_static_pod_lists_issuers_in_order_among_sorted_flags() {
        let mut flags = ApiServerFlags::defaults_for(Distribution::Kubeadm);
        flags.service_account_issuers = vec!["https://new.example".into(), KUBEADM_ISSUER.into()];
        let pod = Distribution::Kubeadm
            .apiserver_pod(&KubernetesVersion::default(), &flags, "uid", "now")
            .unwrap();
        let command: Vec<&str> = pod["spec"]["containers"][0]["command"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let issuers: Vec<&&str> = command
            .iter()
            .filter(|flag| flag.starts_with("--service-account-issuer="))
            .collect();
        assert_eq!(
            issuers,
            [
                &"--service-account-issuer=https://new.example",
                &"--service-account-issuer=https://kubernetes.default.svc.cluster.local"
            ]
        );
        assert_eq!(command[0], "kube-apiserver");
        assert!(command.contains(&"--service-account-key-file=/etc/kubernetes/pki/sa.pub"));
    }

    #[test]
    fn names_parse_case_insensitively() {
        assert_eq!(
            "MicroK8s".parse::<Distribution>(),
            Ok(Distribution::MicroK8s)
        );
        assert!("eks".parse::<Distribution>().is_err());
    }
}
