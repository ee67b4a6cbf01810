//! Tests only: every distribution's writer, handed values the issuer parser would refuse (a line
//! break, quotes, a shell expansion), either refuses them or writes them quoted in the file's own
//! syntax, so that no value can add a line, a flag or a key.

use serde_yaml::Value;

use super::flag_block::Flag;
use super::microk8s::flag_of;
use super::minikube::split_words;
use super::yaml_file::YamlFile;
use super::{ConfigChange, Distribution, DistroError, IssuerChange, change_config, with_trailer};
use crate::oidc::issuer::IssuerUrl;

/// Each value tries to smuggle `--anonymous-auth=true` (or a YAML key) into the file.
const HOSTILE: [&str; 16] = [
    "https://oidc.example.com/c1\n--anonymous-auth=true",
    "https://oidc.example.com/c1\r\n--anonymous-auth=true",
    "https://oidc.example.com/c1\r--anonymous-auth=true",
    "https://oidc.example.com/c1\u{2028}--anonymous-auth=true",
    "https://oidc.example.com/c1\u{85}--anonymous-auth=true",
    "https://oidc.example.com/c1 --anonymous-auth=true",
    "https://oidc.example.com/c1' --anonymous-auth=true '",
    "https://oidc.example.com/c1\" --anonymous-auth=true \"",
    "https://oidc.example.com/c1\\\n--anonymous-auth=true",
    "https://oidc.example.com/c1$(echo --anonymous-auth=true)",
    "https://oidc.example.com/c1\0--anonymous-auth=true",
    "https://oidc.example.com/c1\n  anonymous-auth: true",
    "https://oidc.example.com/c1 # --anonymous-auth=true",
    "https://oidc.example.com/c1`--anonymous-auth=true`",
    "https://oidc.example.com/c1;--anonymous-auth=true",
    "https://oidc.example.com/c1\u{1b}[2K--anonymous-auth=true",
];

fn fixtures(distribution: Distribution) -> Vec<Option<&'static str>> {
    let files: &[&'static str] = match distribution {
        Distribution::K0s => &[include_str!("../../tests/fixtures/distro/k0s.yaml")],
        Distribution::K3s | Distribution::Rke2 => {
            &[include_str!("../../tests/fixtures/distro/k3s-config.yaml")]
        }
        Distribution::Kubeadm => &[
            include_str!("../../tests/fixtures/distro/kubeadm-v1beta4.yaml"),
            include_str!("../../tests/fixtures/distro/kubeadm-v1beta3.yaml"),
            include_str!("../../tests/fixtures/distro/kubeadm-config-configmap.yaml"),
        ],
        Distribution::KubeadmManifest => &[include_str!(
            "../../tests/fixtures/distro/kube-apiserver.yaml"
        )],
        Distribution::Microk8s => &[include_str!(
            "../../tests/fixtures/distro/microk8s-kube-apiserver"
        )],
        Distribution::Kind => &[
            include_str!("../../tests/fixtures/distro/kind-cluster.yaml"),
            include_str!("../../tests/fixtures/distro/kind-cluster-with-patch.yaml"),
        ],
        Distribution::Minikube => &[include_str!(
            "../../tests/fixtures/distro/minikube-start.sh"
        )],
        Distribution::Talos => &[include_str!(
            "../../tests/fixtures/distro/talos-controlplane.yaml"
        )],
        Distribution::Openshift => &[include_str!(
            "../../tests/fixtures/distro/openshift-authentication.yaml"
        )],
    };
    std::iter::once(None)
        .chain(files.iter().map(|file| Some(*file)))
        .collect()
}

/// The three ways a value reaches a writer: as the issuer, the old issuer, the JWKS URI.
fn changes(hostile: &str) -> [IssuerChange; 3] {
    let good = || IssuerUrl::unvalidated_for_tests("https://oidc.example.com/good");
    let bad = || IssuerUrl::unvalidated_for_tests(hostile);
    [
        IssuerChange {
            issuer: bad(),
            keep_issuer: None,
            jwks_uri: "https://oidc.example.com/good/openid/v1/jwks".into(),
        },
        IssuerChange {
            issuer: good(),
            keep_issuer: Some(bad()),
            jwks_uri: "https://oidc.example.com/good/openid/v1/jwks".into(),
        },
        IssuerChange {
            issuer: good(),
            keep_issuer: None,
            jwks_uri: hostile.to_string(),
        },
    ]
}

/// Every hostile value, in every way it reaches the writer, with and without a current file.
fn check(distribution: Distribution) {
    for file in fixtures(distribution) {
        for hostile in HOSTILE {
            for change in changes(hostile) {
                let at = format!("{distribution}, {hostile:?}, file: {}", file.is_some());
                match change_config(distribution, file, &change) {
                    Ok(changed) => assert_no_injection(distribution, &changed, hostile, &at),
                    Err(error) => assert_refused_in_its_own_words(distribution, &error, &at),
                }
            }
        }
    }
}

#[test]
fn no_value_adds_a_line_or_an_argument_to_the_k0s_config() {
    check(Distribution::K0s);
}

#[test]
fn no_value_adds_a_line_or_an_argument_to_the_k3s_config() {
    check(Distribution::K3s);
}

#[test]
fn no_value_adds_a_line_or_an_argument_to_the_rke2_config() {
    check(Distribution::Rke2);
}

#[test]
fn no_value_adds_a_line_or_an_argument_to_a_kubeadm_config() {
    check(Distribution::Kubeadm);
}

#[test]
fn no_value_adds_a_line_or_an_argument_to_the_kube_apiserver_manifest() {
    check(Distribution::KubeadmManifest);
}

#[test]
fn no_value_adds_a_line_or_a_flag_to_the_microk8s_args_file() {
    check(Distribution::Microk8s);
}

#[test]
fn no_value_adds_a_line_or_a_key_to_the_kind_cluster_config() {
    check(Distribution::Kind);
}

#[test]
fn no_value_adds_a_line_or_a_word_to_the_minikube_command_line() {
    check(Distribution::Minikube);
}

#[test]
fn no_value_adds_a_line_or_an_argument_to_the_talos_machine_config() {
    check(Distribution::Talos);
}

#[test]
fn no_value_adds_a_line_or_a_key_to_the_openshift_authentication() {
    check(Distribution::Openshift);
}

/// Only the line-based formats may refuse a value: YAML can quote anything.
fn assert_refused_in_its_own_words(distribution: Distribution, error: &DistroError, at: &str) {
    assert!(
        matches!(
            distribution,
            Distribution::Microk8s | Distribution::Minikube
        ),
        "{at}: a YAML writer quotes, it does not refuse: {error}"
    );
    assert!(
        matches!(error, DistroError::Unrepresentable { .. }),
        "{at}: {error}"
    );
    assert!(!error.to_string().contains('\n'), "{at}: {error}");
}

fn assert_no_injection(
    distribution: Distribution,
    changed: &ConfigChange,
    hostile: &str,
    at: &str,
) {
    let printed = with_trailer(changed, distribution);
    let trailer_start = printed
        .find("# ---- kwif cluster-config")
        .unwrap_or(printed.len());
    for line in printed[trailer_start..].split(['\n', '\r']) {
        assert!(
            line.is_empty() || line.starts_with('#'),
            "{at}: a trailer line that is not a comment: {line:?}"
        );
    }
    for line in printed.split(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}']) {
        let start = line
            .trim_start()
            .trim_start_matches("- ")
            .trim_start_matches(['"', '\'', ' ']);
        assert!(
            !start.starts_with("--anonymous-auth") && !start.starts_with("anonymous-auth"),
            "{at}: a line of its own: {line:?}\n{printed}"
        );
        assert!(
            !line.contains('\u{1b}') && !line.contains('\0'),
            "{at}: a raw control character: {line:?}"
        );
    }
    match distribution {
        Distribution::Microk8s => assert_one_args_flag(&changed.text, hostile, at),
        Distribution::Minikube => assert_one_shell_word(&changed.text, hostile, at),
        _ => assert_one_yaml_string(&changed.text, hostile, at),
    }
}

/// Read as kubelite reads the args file (a flag per line, quotes removed), the value is one
/// flag's value and adds no flag.
fn assert_one_args_flag(text: &str, hostile: &str, at: &str) {
    let flags: Vec<Flag> = text.lines().filter_map(flag_of).collect();
    let written = flags
        .iter()
        .any(|flag| flag.value.contains("anonymous-auth"));
    assert!(
        !written || flags.iter().any(|flag| flag.value == hostile),
        "{at}: {flags:?}"
    );
    assert!(
        !flags
            .iter()
            .any(|flag| flag.name.contains("anonymous-auth")),
        "{at}: {flags:?}"
    );
}

/// Read as the shell reads it, the value is inside one word and starts none.
fn assert_one_shell_word(text: &str, hostile: &str, at: &str) {
    let words: Vec<String> = text
        .lines()
        .enumerate()
        .flat_map(|(number, line)| split_words(line, number).0)
        .map(|word| word.text)
        .collect();
    let written = words.iter().any(|word| word.contains("anonymous-auth"));
    assert!(
        !written || words.iter().any(|word| word.ends_with(hostile)),
        "{at}: {words:?}"
    );
    assert!(
        !words
            .iter()
            .any(|word| word.starts_with("--anonymous-auth")),
        "{at}: {words:?}"
    );
}

/// Read as YAML (embedded documents too), the value is one string; no key or item is added.
fn assert_one_yaml_string(text: &str, hostile: &str, at: &str) {
    let file = YamlFile::parse(text, "the result")
        .unwrap_or_else(|error| panic!("{at}: the result is not YAML: {error}\n{text}"));
    let mut strings = Vec::new();
    let mut keys = Vec::new();
    for (_, document) in file.documents() {
        collect(document, &mut strings, &mut keys);
    }
    // A writer may leave a value out (kubeadm v1beta3 keeps one issuer); written, it is whole.
    let written = strings
        .iter()
        .any(|string| string.contains("anonymous-auth"));
    assert!(
        !written
            || strings
                .iter()
                .any(|string| string == hostile || string.ends_with(&format!("={hostile}"))),
        "{at}: the value is not kept whole:\n{text}"
    );
    assert!(
        !keys.iter().any(|key| key.contains("anonymous-auth")),
        "{at}: a key was added: {keys:?}"
    );
    assert!(
        !strings
            .iter()
            .any(|string| string.starts_with("--anonymous-auth")),
        "{at}: an item was added:\n{text}"
    );
}

fn collect(value: &Value, strings: &mut Vec<String>, keys: &mut Vec<String>) {
    match value {
        Value::String(text) => {
            strings.push(text.clone());
            // kind patches and the kubeadm-config ConfigMap embed YAML documents in strings.
            if let Ok(embedded @ Value::Mapping(_)) = serde_yaml::from_str::<Value>(text) {
                collect(&embedded, strings, keys);
            }
        }
        Value::Sequence(items) => items.iter().for_each(|item| collect(item, strings, keys)),
        Value::Mapping(map) => {
            for (key, item) in map {
                keys.extend(key.as_str().map(String::from));
                collect(item, strings, keys);
            }
        }
        Value::Tagged(tagged) => collect(&tagged.value, strings, keys),
        _ => {}
    }
}

#[test]
fn a_cluster_name_from_the_kind_file_stays_one_word_of_the_restart_command() {
    let file = "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nname: \"x; rm -rf ~\"\n";
    let change = changes("https://oidc.example.com/c1")[0].clone();
    let changed = change_config(Distribution::Kind, Some(file), &change).unwrap();
    let (words, _) = split_words(&changed.restart[0], 0);
    let words: Vec<&str> = words.iter().map(|word| word.text.as_str()).collect();
    assert_eq!(
        words[..5],
        ["kind", "delete", "cluster", "--name", "x; rm -rf ~"]
    );
}
