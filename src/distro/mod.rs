//! `kwif cluster-config`: the service-account issuer change for each distribution, made in the
//! distribution's own config format, with the notes and the commands that apply it
//! (kubernetes.md §5, §6). It turns text into text: it never writes a file or calls a cluster.

mod flag_block;
#[cfg(test)]
mod hostile_values;
mod k0s;
mod k3s;
mod kind;
mod kubeadm;
mod microk8s;
mod minikube;
mod openshift;
mod talos;
mod yaml_edit;
mod yaml_file;
mod yaml_lines;
mod yaml_scalar;

use std::fmt;
use std::path::Path;

use serde_yaml::Value;

use crate::input::nesting::{TooDeep, check_yaml};
use crate::input::{InputError, InputKind, read_text};
use crate::oidc::issuer::{IssuerProblem, IssuerUrl, jwks_uri_problem, shown};

/// A Kubernetes distribution whose issuer flags kwif knows how to change: the one type for a
/// distribution in kwif (the profile, detection, the issuer step, `kwif cluster-config`). Its
/// command-line names (clap's kebab-case) and kwif.yaml's words are the ones
/// [`Distribution::as_str`] gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Distribution {
    K0s,
    K3s,
    Rke2,
    Kubeadm,
    /// kubeadm's live static pod manifest, `/etc/kubernetes/manifests/kube-apiserver.yaml`.
    KubeadmManifest,
    Microk8s,
    Kind,
    Minikube,
    Talos,
    Openshift,
}

impl Distribution {
    pub const ALL: [Distribution; 10] = [
        Distribution::K0s,
        Distribution::K3s,
        Distribution::Rke2,
        Distribution::Kubeadm,
        Distribution::KubeadmManifest,
        Distribution::Microk8s,
        Distribution::Kind,
        Distribution::Minikube,
        Distribution::Talos,
        Distribution::Openshift,
    ];

    /// The name used on the command line (`--distribution`) and in kwif.yaml.
    pub const fn as_str(self) -> &'static str {
        match self {
            Distribution::K0s => "k0s",
            Distribution::K3s => "k3s",
            Distribution::Rke2 => "rke2",
            Distribution::Kubeadm => "kubeadm",
            Distribution::KubeadmManifest => "kubeadm-manifest",
            Distribution::Microk8s => "microk8s",
            Distribution::Kind => "kind",
            Distribution::Minikube => "minikube",
            Distribution::Talos => "talos",
            Distribution::Openshift => "openshift",
        }
    }

    pub fn parse(text: &str) -> Option<Distribution> {
        Distribution::ALL
            .into_iter()
            .find(|distribution| distribution.as_str() == text)
    }

    fn names() -> String {
        Distribution::ALL.map(Distribution::as_str).join(", ")
    }
}

impl fmt::Display for Distribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the user asked for: the NEW issuer signs; the OLD one (`--keep-issuer`) stays accepted
/// where the distribution allows it; the discovery document points at `jwks_uri`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerChange {
    pub issuer: IssuerUrl,
    pub keep_issuer: Option<IssuerUrl>,
    pub jwks_uri: String,
}

impl IssuerChange {
    /// Validates the three command-line values; errors name the flag and the fix.
    pub fn from_args(
        issuer: &str,
        keep_issuer: Option<&str>,
        jwks_uri: Option<&str>,
    ) -> Result<IssuerChange, DistroError> {
        let issuer = IssuerUrl::parse(issuer).map_err(|problem| DistroError::Issuer {
            flag: "--issuer",
            value: shown(issuer),
            problem,
        })?;
        let keep_issuer = keep_issuer.map(parse_old_issuer).transpose()?;
        if keep_issuer
            .as_ref()
            .is_some_and(|old| old.as_str() == issuer.as_str())
        {
            return Err(DistroError::KeepIssuerIsIssuer(issuer.as_str().to_string()));
        }
        let jwks_uri = match jwks_uri {
            None => issuer.default_jwks_uri(),
            Some(uri) => check_jwks_uri(uri)?,
        };
        Ok(IssuerChange {
            issuer,
            keep_issuer,
            jwks_uri,
        })
    }

    fn new_issuer(&self) -> &str {
        self.issuer.as_str()
    }

    fn old_issuer(&self) -> Option<&str> {
        self.keep_issuer.as_ref().map(IssuerUrl::as_str)
    }

    /// The issuers the API server should accept, the signing one first.
    fn issuers(&self) -> Vec<String> {
        std::iter::once(self.new_issuer())
            .chain(self.old_issuer())
            .map(String::from)
            .collect()
    }
}

/// The old issuer only has to be accepted by the API server, not fetched by Entra ID, so an
/// `http` or otherwise non-Entra issuer is fine here; it is written into the same file, so it
/// must still be a URL without blanks, control characters or a password.
fn parse_old_issuer(raw: &str) -> Result<IssuerUrl, DistroError> {
    IssuerUrl::parse_old(raw).map_err(|problem| DistroError::Issuer {
        flag: "--keep-issuer",
        value: shown(raw),
        problem,
    })
}

fn check_jwks_uri(uri: &str) -> Result<String, DistroError> {
    match jwks_uri_problem(uri) {
        None => Ok(uri.to_string()),
        Some(problem) => Err(DistroError::JwksUri {
            value: shown(uri),
            problem,
        }),
    }
}

/// The changed config and what to do with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigChange {
    /// The whole changed file (or, without a current file, a minimal one), in its own format.
    pub text: String,
    /// Plain warnings: what the distribution cannot do, what else must change, what to check.
    pub notes: Vec<String>,
    /// The commands that apply the change.
    pub restart: Vec<String>,
    /// Where the file lives.
    pub path: &'static str,
}

/// Why a config change cannot be made. Every message says what is wrong and what to do.
#[derive(Debug, thiserror::Error)]
pub enum DistroError {
    #[error("unknown distribution {0:?}: use one of {names}", names = Distribution::names())]
    UnknownDistribution(String),
    /// `value` is the flag's value as messages show it ([`shown`]).
    #[error("{flag} {value} {problem}")]
    Issuer {
        flag: &'static str,
        value: String,
        problem: IssuerProblem,
    },
    #[error(
        "--keep-issuer is the same as --issuer ({0:?}): --keep-issuer names the issuer the cluster uses \
         today, which stays accepted; leave it out or pass the old issuer"
    )]
    KeepIssuerIsIssuer(String),
    #[error("--jwks-uri {value} {problem}")]
    JwksUri { value: String, problem: String },
    #[error("--file {path}: cannot read it ({message})")]
    ReadFile { path: String, message: String },
    /// `--file` is over 1 MiB or not UTF-8.
    #[error("--file {0}")]
    Input(InputError),
    #[error("{what} {too_deep}")]
    TooDeep { what: String, too_deep: TooDeep },
    #[error(
        "{what} is not valid YAML{}: {message}; fix the file, or leave out --file for a minimal snippet",
        line.map(|line| format!(" (line {line})")).unwrap_or_default()
    )]
    Unparsable {
        what: String,
        line: Option<usize>,
        message: String,
    },
    #[error("the file is not {expected}: {found}{}", guess.map(guess_hint).unwrap_or_default())]
    WrongFormat {
        expected: &'static str,
        found: String,
        guess: Option<Distribution>,
    },
    #[error("{field} {problem}")]
    Field { field: String, problem: String },
    #[error("{what} cannot carry {value:?}: {reason}")]
    Unrepresentable {
        what: &'static str,
        value: String,
        reason: &'static str,
    },
}

impl DistroError {
    /// Every error here is bad usage or input: exit code 2 (DESIGN.md).
    pub fn exit_code(&self) -> u8 {
        2
    }
}

fn guess_hint(guess: Distribution) -> String {
    format!("; it looks like a {guess} file: pass --distribution {guess}")
}

/// Changes the issuer in `current` (the distribution's config file), or writes a minimal config
/// without it. The result keeps everything kwif does not own, comments included where it can.
pub fn change_config(
    distribution: Distribution,
    current: Option<&str>,
    change: &IssuerChange,
) -> Result<ConfigChange, DistroError> {
    let changer: fn(Option<&str>, &IssuerChange) -> Result<ConfigChange, DistroError> =
        match distribution {
            Distribution::K0s => k0s::change,
            Distribution::K3s => k3s::change_k3s,
            Distribution::Rke2 => k3s::change_rke2,
            Distribution::Kubeadm => kubeadm::change_config_file,
            Distribution::KubeadmManifest => kubeadm::change_manifest,
            Distribution::Microk8s => microk8s::change,
            Distribution::Kind => kind::change,
            Distribution::Minikube => minikube::change,
            Distribution::Talos => talos::change,
            Distribution::Openshift => openshift::change,
        };
    changer(current, change)
}

/// [`cluster_config`] for a distribution named by its text, which must be one of
/// [`Distribution::as_str`]'s.
pub fn cluster_config_command(
    distribution: &str,
    issuer: &str,
    file: Option<&Path>,
    keep_issuer: Option<&str>,
    jwks_uri: Option<&str>,
) -> Result<String, DistroError> {
    let distribution = Distribution::parse(distribution)
        .ok_or_else(|| DistroError::UnknownDistribution(distribution.to_string()))?;
    cluster_config(distribution, issuer, file, keep_issuer, jwks_uri)
}

/// What `kwif cluster-config` prints: the changed file, then a trailer of `#` comment lines
/// (valid in every format here: YAML, the MicroK8s args file, a shell command line) with the
/// path, the notes and the apply commands. A rerun on that output changes nothing.
pub fn cluster_config(
    distribution: Distribution,
    issuer: &str,
    file: Option<&Path>,
    keep_issuer: Option<&str>,
    jwks_uri: Option<&str>,
) -> Result<String, DistroError> {
    let change = IssuerChange::from_args(issuer, keep_issuer, jwks_uri)?;
    let current = file
        .map(|path| read_config_file(path, distribution))
        .transpose()?;
    let current = current.as_deref().map(without_trailer);
    let result = change_config(distribution, current, &change)?;
    Ok(with_trailer(&result, distribution))
}

/// The `--file` text: at most 1 MiB of UTF-8, and for the YAML formats no deeper than any real
/// config nests (checked here, before the YAML parser, so the message can name the file).
fn read_config_file(path: &Path, distribution: Distribution) -> Result<String, DistroError> {
    let text = read_text(path, InputKind::ConfigFile).map_err(|error| match error {
        InputError::Unreadable { source, .. } => DistroError::ReadFile {
            path: path.display().to_string(),
            message: source.to_string(),
        },
        other => DistroError::Input(other),
    })?;
    let line_based = matches!(
        distribution,
        Distribution::Microk8s | Distribution::Minikube
    );
    if !line_based {
        check_yaml(&text).map_err(|too_deep| DistroError::TooDeep {
            what: format!("--file {}", path.display()),
            too_deep,
        })?;
    }
    Ok(text)
}

const TRAILER: &str =
    "# ---- kwif cluster-config: notes (comments only; the file above is complete) ----";

fn with_trailer(change: &ConfigChange, distribution: Distribution) -> String {
    let crlf = change.text.contains("\r\n");
    let mut lines = vec![
        TRAILER.to_string(),
        format!("# distribution: {distribution}"),
        format!("# file: {}", change.path),
    ];
    for note in &change.notes {
        lines.extend(wrap_comment("# note: ", note));
    }
    for command in &change.restart {
        lines.push(format!("# apply: {command}"));
    }
    let eol = if crlf { "\r\n" } else { "\n" };
    let mut out = change.text.clone();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push_str(eol);
    }
    for line in lines {
        out.push_str(&one_line(&line));
        out.push_str(eol);
    }
    out
}

/// A trailer line stays one comment line: notes quote values from the file and the command
/// line, so a control character or a line break in them is written as an escape.
fn one_line(line: &str) -> String {
    line.chars()
        .flat_map(|c| {
            let escaped: Vec<char> =
                if c.is_control() || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}') {
                    c.escape_debug().collect()
                } else {
                    vec![c]
                };
            escaped
        })
        .collect()
}

/// Wraps a note into comment lines of at most about 100 characters.
fn wrap_comment(first: &str, text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = first.to_string();
    for word in text.split(' ') {
        if line.len() + word.len() > 100 && line.len() > first.len() {
            lines.push(line.trim_end().to_string());
            line = "#   ".to_string();
        }
        line.push_str(word);
        line.push(' ');
    }
    lines.push(line.trim_end().to_string());
    lines
}

/// Removes a trailer kwif printed earlier, so that rerunning on kwif's own output is stable.
fn without_trailer(text: &str) -> &str {
    let Some(start) = text.find(TRAILER) else {
        return text;
    };
    let at_line_start = start == 0 || text[..start].ends_with('\n');
    let only_comments = text[start..]
        .lines()
        .all(|line| line.trim().is_empty() || line.trim_start().starts_with('#'));
    if at_line_start && only_comments {
        &text[..start]
    } else {
        text
    }
}

/// Notes for the issuers accepted before the change and not after it.
fn dropped_issuers(before: &[String], after: &[String], can_keep: bool) -> Vec<String> {
    let mut notes = Vec::new();
    for (index, issuer) in before.iter().enumerate() {
        if after.contains(issuer) || before[..index].contains(issuer) {
            continue;
        }
        notes.push(if can_keep {
            format!(
                "{issuer} is accepted today and will not be after this change: tokens it issued are rejected \
                 once the API server restarts; pass --keep-issuer {issuer} to keep it accepted"
            )
        } else {
            format!(
                "{issuer} is accepted today and will not be after this change: tokens it issued are rejected \
                 once the API server restarts, and pods need new tokens (they refresh within 24 h, or restart them)"
            )
        });
    }
    notes
}

/// The note for a file in which kwif had to re-serialise a document.
fn rewritten_note(file: &yaml_file::YamlFile) -> Option<String> {
    file.rewritten.then(|| {
        "kwif could not edit this file line by line (an unusual layout, e.g. a flow map {…} where it \
         adds keys) and wrote the changed document out again: its comments are gone and its quoting \
         is normalised; compare with the original before you replace it"
            .to_string()
    })
}

/// A short description of a YAML document, for "the file is not …" errors.
fn describe_document(value: &Value) -> String {
    let text = |key: &str| value.get(key).and_then(Value::as_str);
    match (text("apiVersion"), text("kind")) {
        (Some(api_version), Some(kind)) => {
            format!("it holds apiVersion {api_version}, kind {kind}")
        }
        _ => match value {
            Value::Mapping(map) => {
                let keys: Vec<&str> = map.keys().filter_map(Value::as_str).take(4).collect();
                format!("it is a YAML map with keys {}", keys.join(", "))
            }
            Value::Null => "it is empty".to_string(),
            other => format!("it is {}", yaml_edit::kind_of(other)),
        },
    }
}

/// Which distribution a file seems to belong to, for "pass --distribution …" hints.
pub fn guess_distribution(text: &str) -> Option<Distribution> {
    if minikube::has_start_command(text) {
        return Some(Distribution::Minikube);
    }
    if microk8s::looks_like_args_file(text) {
        return Some(Distribution::Microk8s);
    }
    let file = yaml_file::YamlFile::parse(text, "the file").ok()?;
    let guesses: Vec<Distribution> = file
        .documents()
        .filter_map(|(_, value)| guess_document(value))
        .collect();
    guesses.first().copied()
}

fn guess_document(value: &Value) -> Option<Distribution> {
    let text = |key: &str| value.get(key).and_then(Value::as_str).unwrap_or_default();
    let api_version = text("apiVersion");
    let group = api_version.split('/').next().unwrap_or_default();
    let guess = match (group, text("kind")) {
        ("k0s.k0sproject.io" | "k0sctl.k0sproject.io", _) => Distribution::K0s,
        ("kubeadm.k8s.io", _) => Distribution::Kubeadm,
        ("kind.x-k8s.io", _) => Distribution::Kind,
        ("config.openshift.io", "Authentication") => Distribution::Openshift,
        ("v1", "Pod") if kubeadm::apiserver_container(value).is_some() => {
            Distribution::KubeadmManifest
        }
        ("v1", "ConfigMap") if kubeadm::is_kubeadm_config_map(value) => Distribution::Kubeadm,
        _ if talos::is_machine_config(value) => Distribution::Talos,
        _ if k3s::looks_like_k3s_config(value) => Distribution::K3s,
        _ => return None,
    };
    Some(guess)
}

/// The error for a file that is not this distribution's format.
fn wrong_format(expected: &'static str, text: &str, found: String) -> DistroError {
    DistroError::WrongFormat {
        expected,
        found,
        guess: guess_distribution(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_distribution_round_trips_its_name() {
        for distribution in Distribution::ALL {
            assert_eq!(
                Distribution::parse(distribution.as_str()),
                Some(distribution)
            );
        }
        assert_eq!(Distribution::parse("K3S"), None);
    }

    #[test]
    fn the_command_line_names_are_the_same_names() {
        use clap::ValueEnum as _;
        for distribution in Distribution::ALL {
            let name = distribution.to_possible_value().unwrap();
            assert_eq!(name.get_name(), distribution.as_str());
        }
        assert_eq!(
            Distribution::value_variants().len(),
            Distribution::ALL.len()
        );
    }

    #[test]
    fn an_http_issuer_is_refused_with_the_flag_and_the_fix() {
        let error = IssuerChange::from_args("http://oidc.example.com", None, None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "--issuer \"http://oidc.example.com\" must use https, not http: Entra ID only fetches https issuers"
        );
        assert_eq!(error.exit_code(), 2);
    }

    #[test]
    fn an_old_http_issuer_may_stay_accepted() {
        let change =
            IssuerChange::from_args("https://n.example", Some("http://old.internal"), None)
                .unwrap();
        assert_eq!(
            change.issuers(),
            ["https://n.example", "http://old.internal"]
        );
        assert_eq!(change.jwks_uri, "https://n.example/openid/v1/jwks");
        assert!(
            IssuerChange::from_args("https://n.example", Some("kubernetes.default.svc"), None)
                .is_err()
        );
    }

    #[test]
    fn keep_issuer_equal_to_issuer_is_refused() {
        let error = IssuerChange::from_args("https://n.example/", Some("https://n.example/"), None)
            .unwrap_err();
        assert!(matches!(error, DistroError::KeepIssuerIsIssuer(_)));
    }

    #[test]
    fn jwks_uri_must_be_https() {
        let error =
            IssuerChange::from_args("https://n.example", None, Some("http://n.example/jwks"))
                .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("--jwks-uri \"http://n.example/jwks\" must be an https URL")
        );
    }

    #[test]
    fn the_trailer_is_removed_before_a_rerun() {
        let change = ConfigChange {
            text: "a: 1\n".into(),
            notes: vec!["word ".repeat(40)],
            restart: vec!["run it".into()],
            path: "/etc/x",
        };
        let printed = with_trailer(&change, Distribution::K3s);
        assert!(printed.lines().all(|line| line.len() <= 110));
        assert_eq!(without_trailer(&printed), "a: 1\n");
        assert_eq!(without_trailer("a: 1\n"), "a: 1\n");
    }

    #[test]
    fn dropped_issuers_are_named_once() {
        let before = vec![
            "https://a".to_string(),
            "https://a".to_string(),
            "https://b".to_string(),
        ];
        let notes = dropped_issuers(&before, &["https://b".to_string()], true);
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("--keep-issuer https://a"));
    }
}
