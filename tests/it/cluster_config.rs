//! `kwif cluster-config` on real-shaped config files of every distribution: each change is parsed
//! again and checked for meaning (flag order, the JWKS URI), for what it keeps (every other key in
//! order, every untouched line byte for byte, comments), for stability on a rerun, and bad input
//! fails with the reason.

use std::path::PathBuf;

use kwif::distro::{
    ConfigChange, Distribution, DistroError, IssuerChange, change_config, cluster_config_command,
    guess_distribution,
};
use proptest::prelude::*;
use serde_yaml::Value;

const NEW: &str = "https://oidc.example.com/cluster1";
const JWKS: &str = "https://oidc.example.com/cluster1/openid/v1/jwks";
const KUBEADM_DEFAULT: &str = "https://kubernetes.default.svc.cluster.local";

fn fixture_path(name: &str) -> PathBuf {
    crate::support::fixture_path(&format!("distro/{name}"))
}

fn fixture(name: &str) -> String {
    crate::support::fixture(&format!("distro/{name}"))
}

/// `Change::new("k3s").file("k3s-config.yaml").keep(OLD).run()` runs one change.
struct Change {
    distribution: Distribution,
    text: Option<String>,
    keep: Option<String>,
    issuer: String,
}

impl Change {
    fn new(distribution: &str) -> Change {
        let distribution = Distribution::parse(distribution).expect("a known distribution");
        Change {
            distribution,
            text: None,
            keep: None,
            issuer: NEW.to_string(),
        }
    }

    fn file(mut self, name: &str) -> Change {
        self.text = Some(fixture(name));
        self
    }

    fn text(mut self, text: &str) -> Change {
        self.text = Some(text.to_string());
        self
    }

    fn keep(mut self, old: &str) -> Change {
        self.keep = Some(old.to_string());
        self
    }

    fn change(&self) -> IssuerChange {
        IssuerChange::from_args(&self.issuer, self.keep.as_deref(), None).expect("valid issuers")
    }

    fn run(&self) -> ConfigChange {
        let changed = self.run_once();
        let again = change_config(self.distribution, Some(&changed.text), &self.change())
            .unwrap_or_else(|error| panic!("{} rerun: {error}", self.distribution));
        assert_eq!(
            again.text, changed.text,
            "{}: a rerun on the output changed it",
            self.distribution
        );
        changed
    }

    /// Runs without the rerun check, for outputs that are only a fragment of the file.
    fn run_once(&self) -> ConfigChange {
        let result = change_config(self.distribution, self.text.as_deref(), &self.change());
        result.unwrap_or_else(|error| panic!("{}: {error}", self.distribution))
    }

    fn error(&self) -> DistroError {
        match change_config(self.distribution, self.text.as_deref(), &self.change()) {
            Ok(changed) => panic!(
                "{}: expected an error, got:\n{}",
                self.distribution, changed.text
            ),
            Err(error) => error,
        }
    }
}

fn documents(text: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text)
        .map(|document| {
            serde::Deserialize::deserialize(document).expect("the output is valid YAML")
        })
        .collect()
}

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).expect("the output is valid YAML")
}

fn at<'v>(value: &'v Value, path: &[&str]) -> &'v Value {
    path.iter().fold(value, |value, key| {
        value
            .get(*key)
            .unwrap_or_else(|| panic!("no {key} in {path:?}"))
    })
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_sequence()
        .expect("a list")
        .iter()
        .map(|item| item.as_str().expect("a string").to_string())
        .collect()
}

/// `name=value` of a kubeadm v1beta4 extraArgs list.
fn name_values(value: &Value) -> Vec<String> {
    let items = value.as_sequence().expect("a list");
    items
        .iter()
        .map(|item| {
            format!(
                "{}={}",
                item["name"].as_str().unwrap(),
                item["value"].as_str().unwrap()
            )
        })
        .collect()
}

/// Every key path of a document, depth first, in file order.
fn key_paths(value: &Value, prefix: &str, out: &mut Vec<String>) {
    match value {
        Value::Mapping(map) => {
            for (key, child) in map {
                let path = format!("{prefix}/{}", key.as_str().unwrap_or("?"));
                out.push(path.clone());
                key_paths(child, &path, out);
            }
        }
        Value::Sequence(items) => {
            for (index, item) in items.iter().enumerate() {
                key_paths(item, &format!("{prefix}[{index}]"), out);
            }
        }
        _ => {}
    }
}

/// The key paths of `before` all appear in `after`, in the same order.
fn assert_keys_kept_in_order(before: &Value, after: &Value) {
    let (mut old, mut new) = (Vec::new(), Vec::new());
    key_paths(before, "", &mut old);
    key_paths(after, "", &mut new);
    let mut remaining = new.iter();
    for path in &old {
        assert!(
            remaining.any(|candidate| candidate == path),
            "key {path} lost or moved"
        );
    }
}

/// Every line of `original` except `replaced` ones is still in `changed`, byte for byte, in order.
fn assert_lines_kept(original: &str, changed: &str, replaced: &[&str]) {
    let mut remaining = changed.split_inclusive('\n');
    for line in original.split_inclusive('\n') {
        if replaced.iter().any(|gone| line.contains(gone)) {
            continue;
        }
        assert!(
            remaining.any(|candidate| candidate == line),
            "line {line:?} lost or moved in:\n{changed}"
        );
    }
}

fn has_note(change: &ConfigChange, words: &str) -> bool {
    change.notes.iter().any(|note| note.contains(words))
}

#[test]
fn k0s_new_issuer_goes_to_extra_args_and_the_old_one_to_raw_args() {
    let original = fixture("k0s.yaml");
    let changed = Change::new("k0s")
        .file("k0s.yaml")
        .keep("https://kubernetes.default.svc")
        .run();
    let value = yaml(&changed.text);
    let api = at(&value, &["spec", "api"]);
    assert_eq!(
        at(api, &["extraArgs", "service-account-issuer"]).as_str(),
        Some(NEW)
    );
    assert_eq!(
        at(api, &["extraArgs", "service-account-jwks-uri"]).as_str(),
        Some(JWKS)
    );
    assert_eq!(
        strings(&api["rawArgs"]),
        ["--service-account-issuer=https://kubernetes.default.svc"]
    );
    assert_keys_kept_in_order(&yaml(&original), &value);
    assert_lines_kept(&original, &changed.text, &[]);
    assert!(has_note(&changed, "v1.34.1+k0s.0"));
    assert_eq!(changed.restart, ["sudo k0s stop && sudo k0s start"]);
    assert_eq!(changed.path, "/etc/k0s/k0s.yaml");
}

#[test]
fn k0s_without_keep_issuer_warns_that_the_default_issuer_stops_being_accepted() {
    let changed = Change::new("k0s").file("k0s.yaml").run();
    assert!(yaml(&changed.text)["spec"]["api"].get("rawArgs").is_none());
    assert!(has_note(
        &changed,
        "pass --keep-issuer https://kubernetes.default.svc"
    ));
}

#[test]
fn k0sctl_file_changes_the_embedded_k0s_config_and_replaces_a_contradicting_raw_issuer() {
    let original = fixture("k0sctl.yaml");
    let changed = Change::new("k0s")
        .file("k0sctl.yaml")
        .keep("https://oidc.old.example.com")
        .run();
    let api = at(
        &yaml(&changed.text),
        &["spec", "k0s", "config", "spec", "api"],
    )
    .clone();
    assert_eq!(
        api["extraArgs"]["service-account-issuer"].as_str(),
        Some(NEW)
    );
    assert_eq!(
        strings(&api["rawArgs"]),
        [
            "--service-account-issuer=https://oidc.old.example.com",
            "--audit-log-maxage=30"
        ]
    );
    assert!(has_note(
        &changed,
        "https://kubernetes.default.svc is accepted today"
    ));
    assert!(
        changed
            .text
            .contains("# an earlier attempt, to be replaced")
    );
    assert_lines_kept(&original, &changed.text, &["service-account-issuer"]);
    assert_eq!(changed.restart, ["k0sctl apply --config k0sctl.yaml"]);
}

#[test]
fn k3s_prepends_the_new_issuer_and_keeps_every_other_argument_and_comment() {
    let original = fixture("k3s-config.yaml");
    let changed = Change::new("k3s").file("k3s-config.yaml").run();
    let value = yaml(&changed.text);
    assert_eq!(
        strings(&value["kube-apiserver-arg"]),
        [
            "audit-log-path=/var/log/k3s-audit.log",
            "audit-log-maxage=30",
            &format!("service-account-issuer-={NEW}"),
            &format!("service-account-jwks-uri={JWKS}"),
            "enable-admission-plugins=NodeRestriction,PodSecurity",
        ]
    );
    assert_keys_kept_in_order(&yaml(&original), &value);
    assert_lines_kept(
        &original,
        &changed.text,
        &["service-account-issuer=https://old.example.com"],
    );
    assert!(
        changed
            .text
            .contains(&format!("  - \"service-account-issuer-={NEW}\"\n")),
        "k3s' quoting kept"
    );
    assert!(has_note(
        &changed,
        "pass --keep-issuer https://old.example.com"
    ));
    assert_eq!(changed.restart, ["sudo systemctl restart k3s"]);
}

#[test]
fn k3s_keeps_a_custom_old_issuer_with_an_append_entry() {
    let changed = Change::new("k3s")
        .file("k3s-config.yaml")
        .keep("https://old.example.com")
        .run();
    let args = strings(&yaml(&changed.text)["kube-apiserver-arg"]);
    let issuers: Vec<&String> = args
        .iter()
        .filter(|arg| arg.starts_with("service-account-issuer"))
        .collect();
    assert_eq!(
        issuers,
        [
            &format!("service-account-issuer-={NEW}"),
            "service-account-issuer+=https://old.example.com"
        ]
    );
    assert!(!has_note(&changed, "is accepted today"));
}

#[test]
fn k3s_accepts_an_empty_config_and_a_lone_string_argument() {
    let changed = Change::new("k3s").text("# nothing yet\n").run();
    assert!(changed.text.starts_with("# nothing yet\n"));
    assert_eq!(strings(&yaml(&changed.text)["kube-apiserver-arg"]).len(), 2);
    let changed = Change::new("k3s")
        .text("kube-apiserver-arg: \"audit-log-maxage=30\" # one only\n")
        .run();
    assert_eq!(
        strings(&yaml(&changed.text)["kube-apiserver-arg"]),
        [
            "audit-log-maxage=30".to_string(),
            format!("service-account-issuer-={NEW}"),
            format!("service-account-jwks-uri={JWKS}"),
        ]
    );
}

#[test]
fn rke2_without_a_file_gets_the_documented_snippet() {
    let changed = Change::new("rke2").run();
    assert_eq!(
        changed.text,
        format!(
            "kube-apiserver-arg:\n  - \"service-account-issuer-={NEW}\"\n  - \"service-account-jwks-uri={JWKS}\"\n"
        )
    );
    assert_eq!(changed.path, "/etc/rancher/rke2/config.yaml");
    assert_eq!(changed.restart, ["sudo systemctl restart rke2-server"]);
}

#[test]
fn kubeadm_v1beta4_lists_new_then_old_issuer_and_leaves_other_documents_untouched() {
    let original = fixture("kubeadm-v1beta4.yaml");
    let changed = Change::new("kubeadm")
        .file("kubeadm-v1beta4.yaml")
        .keep(KUBEADM_DEFAULT)
        .run();
    let before = documents(&original);
    let after = documents(&changed.text);
    assert_eq!(after.len(), 2);
    assert_eq!(after[0], before[0], "InitConfiguration untouched");
    let first_document = original.split("\n---\n").next().unwrap();
    assert!(
        changed.text.starts_with(first_document),
        "InitConfiguration kept byte for byte"
    );
    assert_eq!(
        name_values(at(&after[1], &["apiServer", "extraArgs"])),
        [
            "audit-log-maxage=30".to_string(),
            format!("service-account-issuer={NEW}"),
            format!("service-account-issuer={KUBEADM_DEFAULT}"),
            format!("service-account-jwks-uri={JWKS}"),
            "authorization-mode=Node,RBAC".to_string(),
        ]
    );
    assert_keys_kept_in_order(&before[1], &after[1]);
    assert_lines_kept(&original, &changed.text, &[]);
    assert!(has_note(&changed, "kubernetes/kubeadm#3261"));
    assert!(has_note(
        &changed,
        "an unpatched kubeadm makes the OLD issuer sign"
    ));
    assert!(has_note(&changed, "kube-system/kubeadm-config"));
}

#[test]
fn kubeadm_v1beta3_map_takes_one_issuer_and_says_so() {
    let original = fixture("kubeadm-v1beta3.yaml");
    let changed = Change::new("kubeadm")
        .file("kubeadm-v1beta3.yaml")
        .keep(KUBEADM_DEFAULT)
        .run();
    let (before, after) = (documents(&original), documents(&changed.text));
    assert_eq!(after.len(), 3);
    assert_eq!(
        (&after[0], &after[2]),
        (&before[0], &before[2]),
        "other documents untouched"
    );
    let extra_args = at(&after[1], &["apiServer", "extraArgs"]);
    assert_eq!(extra_args["service-account-issuer"].as_str(), Some(NEW));
    assert_eq!(extra_args["service-account-jwks-uri"].as_str(), Some(JWKS));
    assert_eq!(extra_args["authorization-mode"].as_str(), Some("Node,RBAC"));
    assert_lines_kept(&original, &changed.text, &[]);
    assert!(changed.text.contains("    # keep audit logs for a month\n"));
    assert!(has_note(
        &changed,
        "extraArgs is a map: only one issuer can be set, the old one cannot stay accepted"
    ));
}

#[test]
fn kubeadm_config_map_is_changed_inside_its_cluster_configuration() {
    let original = fixture("kubeadm-config-configmap.yaml");
    let changed = Change::new("kubeadm")
        .file("kubeadm-config-configmap.yaml")
        .run();
    let value = yaml(&changed.text);
    assert_eq!(value["metadata"], yaml(&original)["metadata"]);
    let inner = yaml(
        value["data"]["ClusterConfiguration"]
            .as_str()
            .expect("still a string"),
    );
    assert_eq!(
        name_values(at(&inner, &["apiServer", "extraArgs"])),
        [
            "authorization-mode=Node,RBAC".to_string(),
            format!("service-account-issuer={NEW}"),
            format!("service-account-jwks-uri={JWKS}"),
        ]
    );
    assert_lines_kept(&original, &changed.text, &[]);
    assert!(
        changed
            .path
            .contains("ConfigMap kube-system/kubeadm-config")
    );
}

#[test]
fn kubeadm_without_cluster_configuration_gets_one_added() {
    let init = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n";
    let changed = Change::new("kubeadm").text(init).run();
    let after = documents(&changed.text);
    assert_eq!(after.len(), 2);
    assert!(changed.text.starts_with(init));
    assert_eq!(after[1]["kind"].as_str(), Some("ClusterConfiguration"));
}

#[test]
fn kubeadm_manifest_puts_the_issuers_where_the_old_flag_was_and_keeps_every_other_flag() {
    let original = fixture("kube-apiserver.yaml");
    let changed = Change::new("kubeadm-manifest")
        .file("kube-apiserver.yaml")
        .keep(KUBEADM_DEFAULT)
        .run();
    let before = strings(&yaml(&original)["spec"]["containers"][0]["command"]);
    let after = strings(&yaml(&changed.text)["spec"]["containers"][0]["command"]);
    let old_flag = before
        .iter()
        .position(|flag| flag.starts_with("--service-account-issuer="))
        .unwrap();
    let mut expected = before.clone();
    expected.splice(
        old_flag..=old_flag,
        [
            format!("--service-account-issuer={NEW}"),
            format!("--service-account-issuer={KUBEADM_DEFAULT}"),
            format!("--service-account-jwks-uri={JWKS}"),
        ],
    );
    assert_eq!(after, expected);
    assert_keys_kept_in_order(&yaml(&original), &yaml(&changed.text));
    assert_lines_kept(&original, &changed.text, &[]);
    assert!(has_note(&changed, "do not leave a backup copy"));
}

#[test]
fn kubeadm_manifest_without_keep_issuer_replaces_the_old_flag() {
    let changed = Change::new("kubeadm-manifest")
        .file("kube-apiserver.yaml")
        .run();
    let after = strings(&yaml(&changed.text)["spec"]["containers"][0]["command"]);
    let issuers: Vec<&String> = after
        .iter()
        .filter(|flag| flag.starts_with("--service-account-issuer"))
        .collect();
    assert_eq!(issuers, [&format!("--service-account-issuer={NEW}")]);
    assert!(has_note(
        &changed,
        &format!("pass --keep-issuer {KUBEADM_DEFAULT}")
    ));
}

#[test]
fn microk8s_inserts_new_lines_above_the_quoted_default_issuer() {
    let original = fixture("microk8s-kube-apiserver");
    let changed = Change::new("microk8s")
        .file("microk8s-kube-apiserver")
        .keep("https://kubernetes.default.svc")
        .run();
    let lines: Vec<&str> = changed.text.lines().collect();
    let old = lines
        .iter()
        .position(|line| *line == "--service-account-issuer='https://kubernetes.default.svc'")
        .unwrap();
    assert_eq!(lines[old - 2], format!("--service-account-issuer='{NEW}'"));
    assert_eq!(
        lines[old - 1],
        format!("--service-account-jwks-uri='{JWKS}'")
    );
    assert_lines_kept(&original, &changed.text, &[]);
    assert_eq!(changed.text.lines().count(), original.lines().count() + 2);
    assert_eq!(changed.restart, ["sudo snap restart microk8s"]);
}

#[test]
fn microk8s_without_keep_issuer_replaces_the_old_line() {
    let original = fixture("microk8s-kube-apiserver");
    let changed = Change::new("microk8s")
        .file("microk8s-kube-apiserver")
        .run();
    assert!(!changed.text.contains("'https://kubernetes.default.svc'"));
    assert_lines_kept(&original, &changed.text, &["--service-account-issuer="]);
    assert!(changed.text.contains("# Enable the aggregation layer\n"));
}

#[test]
fn kind_adds_a_cluster_configuration_patch_and_keeps_the_kubelet_patch() {
    let original = fixture("kind-cluster.yaml");
    let changed = Change::new("kind")
        .file("kind-cluster.yaml")
        .keep(KUBEADM_DEFAULT)
        .run();
    let value = yaml(&changed.text);
    let patches = strings(&value["kubeadmConfigPatches"]);
    assert_eq!(patches.len(), 2);
    assert_eq!(
        patches[0],
        "kind: KubeletConfiguration\ncgroupDriver: systemd\n"
    );
    let patch = yaml(&patches[1]);
    assert_eq!(patch["kind"].as_str(), Some("ClusterConfiguration"));
    assert_eq!(
        at(
            &patch,
            &["apiServer", "extraArgs", "service-account-issuer"]
        )
        .as_str(),
        Some(NEW)
    );
    assert_eq!(
        at(
            &patch,
            &["apiServer", "extraArgs", "service-account-jwks-uri"]
        )
        .as_str(),
        Some(JWKS)
    );
    assert_eq!(value["nodes"], yaml(&original)["nodes"]);
    assert_lines_kept(&original, &changed.text, &[]);
    assert!(has_note(&changed, "collapse"));
    assert_eq!(
        changed.restart,
        [
            "kind delete cluster --name wif-lab && kind create cluster --name wif-lab --config kind-config.yaml"
        ]
    );
}

#[test]
fn kind_edits_an_existing_cluster_configuration_patch_of_a_control_plane_node() {
    let original = fixture("kind-cluster-with-patch.yaml");
    let changed = Change::new("kind")
        .file("kind-cluster-with-patch.yaml")
        .run();
    let value = yaml(&changed.text);
    assert!(
        value.get("kubeadmConfigPatches").is_none(),
        "no second patch added"
    );
    let patch = yaml(
        value["nodes"][0]["kubeadmConfigPatches"][0]
            .as_str()
            .unwrap(),
    );
    let extra_args = at(&patch, &["apiServer", "extraArgs"]);
    assert_eq!(extra_args["service-account-issuer"].as_str(), Some(NEW));
    assert_eq!(extra_args["audit-log-maxage"].as_str(), Some("30"));
    assert_lines_kept(&original, &changed.text, &["service-account-issuer"]);
}

#[test]
fn minikube_replaces_the_extra_config_in_a_start_script() {
    let original = fixture("minikube-start.sh");
    let changed = Change::new("minikube")
        .file("minikube-start.sh")
        .keep(KUBEADM_DEFAULT)
        .run();
    assert_lines_kept(&original, &changed.text, &["service-account-issuer"]);
    assert!(changed.text.contains(&format!(
        "--extra-config=apiserver.service-account-issuer={NEW} --extra-config=apiserver.service-account-jwks-uri={JWKS} \\\n"
    )));
    assert!(!changed.text.contains(&format!("issuer={KUBEADM_DEFAULT}")));
    assert_eq!(changed.restart.len(), 1);
    assert!(
        changed.restart[0]
            .starts_with("minikube start -p wif-lab --kubernetes-version=v1.30.0 --extra-config=")
    );
    assert!(changed.restart[0].ends_with("--cpus=4"));
    assert!(has_note(&changed, "the old issuer cannot stay accepted"));
}

#[test]
fn minikube_setting_on_its_own_last_line_keeps_the_command_closed() {
    let script = "minikube start \\\n  --extra-config=apiserver.service-account-jwks-uri=https://old/jwks \\\n  \
                  --extra-config=apiserver.service-account-issuer=https://old\necho next\n";
    let changed = Change::new("minikube").text(script).run();
    let lines: Vec<&str> = changed.text.lines().collect();
    assert_eq!(lines.last(), Some(&"echo next"));
    assert!(!lines[lines.len() - 2].ends_with('\\'), "{}", changed.text);
}

#[test]
fn minikube_without_a_file_prints_the_start_command() {
    let changed = Change::new("minikube").run();
    assert_eq!(
        changed.text,
        format!(
            "minikube start --extra-config=apiserver.service-account-issuer={NEW} \
             --extra-config=apiserver.service-account-jwks-uri={JWKS}\n"
        )
    );
    assert_eq!(changed.restart, [changed.text.trim_end()]);
}

#[test]
fn talos_sets_extra_args_with_the_files_indentation_and_keeps_every_comment() {
    let original = fixture("talos-controlplane.yaml");
    let changed = Change::new("talos")
        .file("talos-controlplane.yaml")
        .keep("https://10.5.0.2:6443")
        .run();
    let value = yaml(&changed.text);
    let extra_args = at(&value, &["cluster", "apiServer", "extraArgs"]);
    assert_eq!(extra_args["service-account-issuer"].as_str(), Some(NEW));
    assert_eq!(extra_args["service-account-jwks-uri"].as_str(), Some(JWKS));
    assert!(changed.text.contains(&format!(
        "\n        extraArgs:\n            service-account-issuer: {NEW}\n"
    )));
    assert_keys_kept_in_order(&yaml(&original), &value);
    assert_lines_kept(&original, &changed.text, &[]);
    assert!(has_note(&changed, "#13215"));
    assert!(has_note(&changed, "KubeServiceAccountConfig"));
}

#[test]
fn talos_worker_config_is_refused() {
    let worker = fixture("talos-controlplane.yaml").replace("type: controlplane", "type: worker");
    let error = Change::new("talos").text(&worker).error();
    assert!(
        error.to_string().contains("pass controlplane.yaml"),
        "{error}"
    );
}

#[test]
fn openshift_sets_the_service_account_issuer_and_notes_the_24_hour_trust() {
    let original = fixture("openshift-authentication.yaml");
    let changed = Change::new("openshift")
        .file("openshift-authentication.yaml")
        .run();
    let value = yaml(&changed.text);
    assert_eq!(value["spec"]["serviceAccountIssuer"].as_str(), Some(NEW));
    assert_eq!(value["metadata"], yaml(&original)["metadata"]);
    assert_lines_kept(&original, &changed.text, &["serviceAccountIssuer"]);
    assert!(has_note(&changed, "24 hours"));
    assert!(has_note(&changed, "manages --service-account-jwks-uri"));
}

#[test]
fn every_distribution_without_a_file_gives_a_snippet_with_the_new_issuer() {
    for distribution in Distribution::ALL {
        let change = Change::new(distribution.as_str()).keep("https://kubernetes.default.svc");
        // Without the manifest kwif prints only its flag lines, which are not a manifest.
        let fragment = distribution == Distribution::KubeadmManifest;
        let changed = if fragment {
            change.run_once()
        } else {
            change.run()
        };
        assert!(
            changed.text.contains(NEW),
            "{distribution}:\n{}",
            changed.text
        );
        assert!(!changed.restart.is_empty(), "{distribution}");
        if !matches!(
            distribution,
            Distribution::Microk8s | Distribution::Minikube
        ) {
            assert!(!documents(&changed.text).is_empty(), "{distribution}");
        }
    }
}

#[test]
fn crlf_line_endings_are_kept() {
    let original = fixture("kube-apiserver.yaml").replace('\n', "\r\n");
    let changed = Change::new("kubeadm-manifest").text(&original).run();
    assert!(changed.text.lines().count() > 10);
    assert!(
        changed
            .text
            .split('\n')
            .filter(|line| !line.is_empty())
            .all(|line| line.ends_with('\r'))
    );
}

#[test]
fn a_file_kwif_cannot_edit_line_by_line_is_rewritten_with_a_note() {
    let changed = Change::new("k0s")
        .text("apiVersion: k0s.k0sproject.io/v1beta1\nspec: {api: {port: 6443}}\n")
        .run();
    assert_eq!(
        yaml(&changed.text)["spec"]["api"]["port"].as_u64(),
        Some(6443)
    );
    assert_eq!(
        yaml(&changed.text)["spec"]["api"]["extraArgs"]["service-account-issuer"].as_str(),
        Some(NEW)
    );
    assert!(has_note(&changed, "its comments are gone"));
}

#[test]
fn the_command_prints_the_file_then_comment_notes_and_is_stable_on_its_own_output() {
    let directory = tempfile::tempdir().unwrap();
    let first = cluster_config_command(
        "k3s",
        NEW,
        Some(&fixture_path("k3s-config.yaml")),
        Some("https://old.example.com"),
        None,
    )
    .unwrap();
    let (file, trailer) = first.split_once("# ---- kwif cluster-config").unwrap();
    yaml(file);
    assert!(
        trailer.lines().skip(1).all(|line| line.starts_with('#')),
        "{trailer}"
    );
    assert!(trailer.contains("# apply: sudo systemctl restart k3s"));
    assert!(trailer.contains("# file: /etc/rancher/k3s/config.yaml"));
    let saved = directory.path().join("config.yaml");
    std::fs::write(&saved, &first).unwrap();
    let second = cluster_config_command(
        "k3s",
        NEW,
        Some(&saved),
        Some("https://old.example.com"),
        None,
    )
    .unwrap();
    assert_eq!(second, first);
}

#[test]
fn a_custom_jwks_uri_is_used() {
    let out = cluster_config_command(
        "k3s",
        NEW,
        None,
        None,
        Some("https://keys.example.com/jwks.json"),
    )
    .unwrap();
    assert!(out.contains("\"service-account-jwks-uri=https://keys.example.com/jwks.json\""));
}

#[test]
fn an_http_issuer_is_refused_with_the_fix() {
    let error =
        cluster_config_command("k0s", "http://oidc.example.com", None, None, None).unwrap_err();
    assert_eq!(
        error.to_string(),
        "--issuer \"http://oidc.example.com\" must use https, not http: Entra ID only fetches https issuers"
    );
    assert_eq!(error.exit_code(), 2);
}

#[test]
fn an_unknown_distribution_lists_the_known_ones() {
    let error = cluster_config_command("k8s", NEW, None, None, None).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("unknown distribution \"k8s\": use one of k0s, k3s, rke2, kubeadm")
    );
}

#[test]
fn an_unparsable_file_names_the_line() {
    let error = Change::new("kubeadm")
        .text("apiVersion: kubeadm.k8s.io/v1beta4\n---\nkind: [a,\n  b: c\n")
        .error();
    let message = error.to_string();
    assert!(
        message.starts_with("the kubeadm config is not valid YAML (line"),
        "{message}"
    );
    assert!(
        message.ends_with("fix the file, or leave out --file for a minimal snippet"),
        "{message}"
    );
}

#[test]
fn a_file_of_another_distribution_is_refused_with_the_right_flag() {
    let error = Change::new("kubeadm").file("k3s-config.yaml").error();
    let message = error.to_string();
    assert!(
        message.starts_with("the file is not a kubeadm config"),
        "{message}"
    );
    assert!(
        message.ends_with("it looks like a k3s file: pass --distribution k3s"),
        "{message}"
    );
    let error = Change::new("k3s").file("kubeadm-v1beta4.yaml").error();
    assert!(
        error.to_string().contains("pass --distribution kubeadm"),
        "{error}"
    );
    let error = Change::new("microk8s")
        .file("talos-controlplane.yaml")
        .error();
    assert!(
        error.to_string().contains("pass --distribution talos"),
        "{error}"
    );
    let error = Change::new("kubeadm-manifest")
        .file("kubeadm-v1beta3.yaml")
        .error();
    assert!(
        error
            .to_string()
            .contains("kube-apiserver static pod manifest"),
        "{error}"
    );
    let error = Change::new("minikube")
        .text("{\"Name\": \"minikube\"}")
        .error();
    assert!(error.to_string().contains("config.json"), "{error}");
}

#[test]
fn every_fixture_is_recognised_as_its_own_distribution() {
    for (name, distribution) in [
        ("k0s.yaml", Distribution::K0s),
        ("k0sctl.yaml", Distribution::K0s),
        ("k3s-config.yaml", Distribution::K3s),
        ("kubeadm-v1beta3.yaml", Distribution::Kubeadm),
        ("kubeadm-v1beta4.yaml", Distribution::Kubeadm),
        ("kubeadm-config-configmap.yaml", Distribution::Kubeadm),
        ("kube-apiserver.yaml", Distribution::KubeadmManifest),
        ("microk8s-kube-apiserver", Distribution::Microk8s),
        ("kind-cluster.yaml", Distribution::Kind),
        ("minikube-start.sh", Distribution::Minikube),
        ("talos-controlplane.yaml", Distribution::Talos),
        ("openshift-authentication.yaml", Distribution::Openshift),
    ] {
        assert_eq!(
            guess_distribution(&fixture(name)),
            Some(distribution),
            "{name}"
        );
    }
}

#[test]
fn a_missing_file_and_a_bad_keep_issuer_are_named() {
    let error = cluster_config_command("k3s", NEW, Some(&fixture_path("nope.yaml")), None, None)
        .unwrap_err();
    assert!(error.to_string().starts_with("--file "), "{error}");
    assert!(
        error.to_string().contains("nope.yaml: cannot read it"),
        "{error}"
    );
    let error = cluster_config_command("k3s", NEW, None, Some(NEW), None).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("--keep-issuer is the same as --issuer"),
        "{error}"
    );
    let error = cluster_config_command("k3s", NEW, None, Some("not a url"), None).unwrap_err();
    assert!(
        error.to_string().starts_with("--keep-issuer \"not a url\""),
        "{error}"
    );
}

/// Lines that look like the config files, so generated input reaches the line editor.
fn yaml_like_line() -> impl Strategy<Value = String> {
    let indent = prop::sample::select(vec!["", "  ", "    ", "      ", "- ", "  - ", "\t"]);
    let body = prop::sample::select(vec![
        "apiVersion: kubeadm.k8s.io/v1beta4",
        "apiVersion: k0s.k0sproject.io/v1beta1",
        "apiVersion: kind.x-k8s.io/v1alpha4",
        "kind: ClusterConfiguration",
        "kind: Pod",
        "version: v1alpha1",
        "spec:",
        "api:",
        "apiServer:",
        "cluster:",
        "extraArgs:",
        "extraArgs: {}",
        "extraArgs: [a]",
        "rawArgs:",
        "kube-apiserver-arg:",
        "kube-apiserver-arg: [\"a=b\"",
        "containers:",
        "command:",
        "name: kube-apiserver",
        "name: service-account-issuer",
        "value: https://x",
        "service-account-issuer: https://old",
        "--service-account-issuer=https://old",
        "\"service-account-issuer=https://old\"",
        "kubeadmConfigPatches:",
        "|",
        "kind: ClusterConfiguration",
        "minikube start --extra-config=apiserver.service-account-issuer=x \\",
        "# comment",
        "---",
        "&a x",
        "*a",
        "? complex",
        "\"quoted: key\": v",
        "",
    ]);
    (indent, body).prop_map(|(indent, body)| format!("{indent}{body}"))
}

/// The fixtures and their distributions, for mutation tests.
const FIXTURES: [(&str, &str); 13] = [
    ("k0s.yaml", "k0s"),
    ("k0sctl.yaml", "k0s"),
    ("k3s-config.yaml", "k3s"),
    ("kubeadm-v1beta3.yaml", "kubeadm"),
    ("kubeadm-v1beta4.yaml", "kubeadm"),
    ("kubeadm-config-configmap.yaml", "kubeadm"),
    ("kube-apiserver.yaml", "kubeadm-manifest"),
    ("microk8s-kube-apiserver", "microk8s"),
    ("kind-cluster.yaml", "kind"),
    ("kind-cluster-with-patch.yaml", "kind"),
    ("minikube-start.sh", "minikube"),
    ("talos-controlplane.yaml", "talos"),
    ("openshift-authentication.yaml", "openshift"),
];

/// An edit a user might have made: drop a line, or add a comment or a blank line.
#[derive(Clone, Debug)]
enum Mutation {
    Delete(usize),
    Comment(usize, usize),
    Blank(usize),
}

fn mutate(text: &str, mutations: &[Mutation]) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    for mutation in mutations {
        let len = lines.len().max(1);
        match mutation {
            Mutation::Delete(at) if !lines.is_empty() => {
                lines.remove(at % len);
            }
            Mutation::Delete(_) => {}
            Mutation::Comment(at, indent) => lines.insert(
                at % (len + 1).min(lines.len() + 1),
                format!("{}# a user comment", " ".repeat(*indent)),
            ),
            Mutation::Blank(at) => lines.insert(at % (lines.len() + 1), String::new()),
        }
    }
    lines.join("\n") + "\n"
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Delete),
        (any::<usize>(), 0usize..9).prop_map(|(at, indent)| Mutation::Comment(at, indent)),
        any::<usize>().prop_map(Mutation::Blank),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn edited_fixtures_never_panic_and_a_success_carries_the_issuer_and_is_stable(
        fixture_index in 0usize..13,
        mutations in prop::collection::vec(mutation(), 0..6),
        keep in any::<bool>(),
    ) {
        let (name, distribution) = FIXTURES[fixture_index];
        let text = mutate(&fixture(name), &mutations);
        let distribution = Distribution::parse(distribution).unwrap();
        let old = keep.then_some("https://old.example.com");
        let change = IssuerChange::from_args(NEW, old, None).unwrap();
        if let Ok(changed) = change_config(distribution, Some(&text), &change) {
            prop_assert!(changed.text.contains(NEW), "no new issuer in:\n{}", changed.text);
            let again = change_config(distribution, Some(&changed.text), &change);
            prop_assert!(again.is_ok(), "rerun failed: {:?}", again.err().map(|e| e.to_string()));
            prop_assert_eq!(again.map(|again| again.text).unwrap_or_default(), changed.text);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,400}", index in 0usize..10) {
        let change = IssuerChange::from_args(NEW, Some("https://old.example.com"), None).unwrap();
        let _ = change_config(Distribution::ALL[index], Some(&text), &change);
    }

    #[test]
    fn config_like_text_never_panics_and_a_success_is_stable(
        lines in prop::collection::vec(yaml_like_line(), 0..24),
        index in 0usize..10,
    ) {
        let text = lines.join("\n");
        let change = IssuerChange::from_args(NEW, Some("https://old.example.com"), None).unwrap();
        let distribution = Distribution::ALL[index];
        if let Ok(changed) = change_config(distribution, Some(&text), &change) {
            let again = change_config(distribution, Some(&changed.text), &change);
            prop_assert!(again.is_ok(), "rerun failed: {:?}\n{}", again.err().map(|e| e.to_string()), changed.text);
            prop_assert_eq!(again.map(|again| again.text).unwrap_or_default(), changed.text);
        }
    }
}
