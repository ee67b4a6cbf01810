//! The k3s or RKE2 server configuration on the control-plane node, read from real files below a
//! root directory: `config.yaml` then `config.yaml.d/*.yaml` in name order, later files winning
//! and `key+:` appending (k3s-io/docs, "Configuration File"), and the kube-apiserver flags its
//! `kube-apiserver-arg` values give under k3s's rules: `name=v` replaces the default, `name+=v`
//! appends, `name-=v` prepends, repeats keep their order (k3s-io/k3s PR #5373, kubernetes.md §6.2).
//! A change to the files is a `systemctl restart k3s`; it never touches the machine's own `/etc`.

use std::path::{Path, PathBuf};

use serde_yaml::Value as Yaml;

use super::distribution::Distribution;
use super::flags::ApiServerFlags;
use crate::SandboxError;

const ARG_KEY: &str = "kube-apiserver-arg";

/// Where the server configuration lives below the node's root, for the distributions that read one.
pub fn config_path(distribution: Distribution) -> Option<&'static str> {
    match distribution {
        Distribution::K3s => Some("etc/rancher/k3s/config.yaml"),
        Distribution::Rke2 => Some("etc/rancher/rke2/config.yaml"),
        _ => None,
    }
}

/// The node's configuration files and what the API server last started from.
pub struct NodeConfig {
    file: PathBuf,
    /// The files' names and texts the running flags come from.
    seen: Vec<(PathBuf, Vec<u8>)>,
}

/// What a restart after a configuration change gives.
pub enum Restart {
    Flags(ApiServerFlags),
    /// k3s would not start: the config or the flags are refused (the message says why).
    Refused(String),
}

impl NodeConfig {
    /// The configuration below `root` for `distribution`; other distributions have none to read.
    pub fn new(root: &Path, distribution: Distribution) -> Result<NodeConfig, SandboxError> {
        let path = config_path(distribution).ok_or_else(|| {
            SandboxError::Flags(format!(
                "the sandbox reads a node configuration for k3s and RKE2 only, not {}",
                distribution.name()
            ))
        })?;
        Ok(NodeConfig {
            file: root.join(path),
            seen: Vec::new(),
        })
    }

    /// Forgets what the server last started from, so the next look restarts it from the files.
    pub fn forget(&mut self) {
        self.seen.clear();
    }

    /// The main file and its drop-ins, in the order k3s reads them; absent files are left out.
    fn read(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut files = Vec::new();
        if let Ok(text) = std::fs::read(&self.file) {
            files.push((self.file.clone(), text));
        }
        let drop_ins = self.file.with_extension("yaml.d");
        let mut names: Vec<PathBuf> = std::fs::read_dir(&drop_ins)
            .map(|entries| {
                entries
                    .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                    .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        for name in names {
            if let Ok(text) = std::fs::read(&name) {
                files.push((name, text));
            }
        }
        files
    }

    /// The flags after a restart, when the files differ from those the server started from;
    /// `None` when nothing changed. `base` holds the flags k3s itself passes before any
    /// `kube-apiserver-arg`.
    pub fn restart_if_changed(&mut self, base: &ApiServerFlags) -> Option<Restart> {
        let files = self.read();
        if files == self.seen {
            return None;
        }
        self.seen = files;
        Some(match self.flags(base) {
            Ok(flags) => match flags.validate() {
                Ok(()) => Restart::Flags(flags),
                Err(error) => Restart::Refused(error.to_string()),
            },
            Err(error) => Restart::Refused(error),
        })
    }

    fn flags(&self, base: &ApiServerFlags) -> Result<ApiServerFlags, String> {
        let mut arguments: Vec<String> = Vec::new();
        for (path, text) in &self.seen {
            merge_file(&mut arguments, text)
                .map_err(|error| format!("{}: {error}", path.display()))?;
        }
        Ok(apply_arguments(base, &arguments))
    }
}

/// Merges one file's `kube-apiserver-arg` (replacing) or `kube-apiserver-arg+` (appending).
fn merge_file(arguments: &mut Vec<String>, text: &[u8]) -> Result<(), String> {
    let document: Yaml = serde_yaml::from_slice(text).map_err(|error| error.to_string())?;
    let mapping = match document {
        Yaml::Mapping(mapping) => mapping,
        Yaml::Null => return Ok(()),
        _ => return Err("the configuration is not a YAML mapping".to_string()),
    };
    for (key, value) in mapping {
        let append = match key.as_str() {
            Some(ARG_KEY) => false,
            Some(key) if key.strip_suffix('+') == Some(ARG_KEY) => true,
            _ => continue,
        };
        let values = strings(&value)
            .ok_or_else(|| format!("{ARG_KEY} must be a string or a list of strings"))?;
        if !append {
            arguments.clear();
        }
        arguments.extend(values);
    }
    Ok(())
}

fn strings(value: &Yaml) -> Option<Vec<String>> {
    let scalar = |value: &Yaml| match value {
        Yaml::String(text) => Some(text.clone()),
        Yaml::Number(number) => Some(number.to_string()),
        Yaml::Bool(flag) => Some(flag.to_string()),
        _ => None,
    };
    match value {
        Yaml::Sequence(items) => items.iter().map(scalar).collect(),
        Yaml::Null => Some(Vec::new()),
        other => scalar(other).map(|one| vec![one]),
    }
}

/// The flags k3s's argument rules give from `base` (its own defaults) and the extra arguments.
pub fn apply_arguments(base: &ApiServerFlags, arguments: &[String]) -> ApiServerFlags {
    let mut initial: Vec<(&str, String)> = vec![
        (
            "service-account-issuer",
            base.service_account_issuers
                .first()
                .cloned()
                .unwrap_or_default(),
        ),
        ("anonymous-auth", base.anonymous_auth.to_string()),
    ];
    if let Some(audiences) = &base.api_audiences {
        initial.push(("api-audiences", audiences.join(",")));
    }
    if let Some(jwks_uri) = &base.service_account_jwks_uri {
        initial.push(("service-account-jwks-uri", jwks_uri.clone()));
    }
    let values = combine(initial, arguments);
    let all = |name: &str| -> Option<Vec<String>> {
        values
            .iter()
            .find(|(flag, _)| flag == name)
            .map(|(_, values)| values.clone())
    };
    let last = |name: &str| all(name).and_then(|values| values.last().cloned());
    let mut flags = base.clone();
    if let Some(issuers) = all("service-account-issuer") {
        flags.service_account_issuers = issuers;
    }
    flags.service_account_jwks_uri = last("service-account-jwks-uri");
    // A string slice flag: repeated values accumulate, each one comma-separated.
    flags.api_audiences = all("api-audiences").map(|values| {
        values
            .iter()
            .flat_map(|value| value.split(','))
            .filter(|audience| !audience.is_empty())
            .map(str::to_string)
            .collect()
    });
    if let Some(anonymous) = last("anonymous-auth") {
        flags.anonymous_auth = anonymous == "true";
    }
    if let Some(extend) = last("service-account-extend-token-expiration") {
        flags.service_account_extend_token_expiration = extend == "true";
    }
    flags
}

/// k3s's `GetArgs`: for each argument in order, `name=v` keeps the values given so far for the
/// name (dropping the default), `name+=v` appends to the default and those values, `name-=v`
/// puts the value before the default and those values. Names without a value mean `true`.
fn combine(initial: Vec<(&str, String)>, arguments: &[String]) -> Vec<(String, Vec<String>)> {
    let mut defaults: Vec<(String, String)> = initial
        .into_iter()
        .map(|(name, value)| (name.to_string(), value))
        .collect();
    let mut given: Vec<(String, Vec<String>)> = Vec::new();
    for argument in arguments {
        let argument = argument.strip_prefix("--").unwrap_or(argument);
        let (name, value) = argument.split_once('=').unwrap_or((argument, "true"));
        let plain = name.trim_end_matches(['+', '-']);
        let default = defaults
            .iter()
            .position(|(flag, _)| flag == plain)
            .map(|index| defaults.remove(index).1);
        let before = given
            .iter()
            .position(|(flag, _)| flag == plain)
            .map(|index| given.remove(index).1)
            .unwrap_or_default();
        let mut values = Vec::new();
        if name.ends_with('+') {
            values.extend(default);
            values.extend(before);
            values.push(value.to_string());
        } else if name.ends_with('-') {
            values.push(value.to_string());
            values.extend(default);
            values.extend(before);
        } else {
            values.extend(before);
            values.push(value.to_string());
        }
        given.push((plain.to_string(), values));
    }
    given.extend(
        defaults
            .into_iter()
            .map(|(name, value)| (name, vec![value])),
    );
    given
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: &str = "https://kubernetes.default.svc.cluster.local";

    fn k3s(arguments: &[&str]) -> ApiServerFlags {
        let base = ApiServerFlags::defaults_for(Distribution::K3s);
        let arguments: Vec<String> = arguments
            .iter()
            .map(std::string::ToString::to_string)
            .collect();
        apply_arguments(&base, &arguments)
    }

    #[test]
    fn a_plain_value_replaces_the_default_and_repeats_keep_their_order() {
        let flags = k3s(&[
            "service-account-issuer=https://new.example",
            &format!("service-account-issuer={DEFAULT}"),
            "service-account-jwks-uri=https://new.example/openid/v1/jwks",
        ]);
        assert_eq!(
            flags.service_account_issuers,
            ["https://new.example", DEFAULT]
        );
        assert_eq!(
            flags.service_account_jwks_uri.as_deref(),
            Some("https://new.example/openid/v1/jwks")
        );
        assert_eq!(
            flags.api_audiences.unwrap(),
            [DEFAULT, "k3s"],
            "k3s's own api-audiences stay"
        );
    }

    #[test]
    fn prepending_and_appending_keep_the_default() {
        assert_eq!(
            k3s(&["service-account-issuer-=https://new.example"]).service_account_issuers,
            ["https://new.example", DEFAULT]
        );
        assert_eq!(
            k3s(&["service-account-issuer+=https://new.example"]).service_account_issuers,
            [DEFAULT, "https://new.example"]
        );
        assert_eq!(
            k3s(&[
                "service-account-issuer-=https://a.example",
                "service-account-issuer-=https://b.example"
            ])
            .service_account_issuers,
            ["https://b.example", "https://a.example", DEFAULT],
            "a later prepend goes first"
        );
        assert_eq!(k3s(&[]).service_account_issuers, [DEFAULT]);
    }

    #[test]
    fn drop_ins_replace_or_append_the_main_file() {
        let mut arguments = Vec::new();
        merge_file(&mut arguments, b"kube-apiserver-arg:\n  - a=1\n  - b=2\n").unwrap();
        merge_file(&mut arguments, b"kube-apiserver-arg+: c=3\n").unwrap();
        assert_eq!(arguments, ["a=1", "b=2", "c=3"]);
        merge_file(
            &mut arguments,
            b"write-kubeconfig-mode: \"0644\"\nkube-apiserver-arg: [d=4]\n",
        )
        .unwrap();
        assert_eq!(arguments, ["d=4"]);
        assert!(merge_file(&mut arguments, b"kube-apiserver-arg: {a: 1}\n").is_err());
        assert!(merge_file(&mut arguments, b"- not a mapping\n").is_err());
    }

    #[test]
    fn a_changed_file_restarts_and_an_unchanged_one_does_not() {
        let root = tempfile::tempdir().unwrap();
        let mut node = NodeConfig::new(root.path(), Distribution::K3s).unwrap();
        let base = ApiServerFlags::defaults_for(Distribution::K3s);
        assert!(
            node.restart_if_changed(&base).is_none(),
            "no file: nothing to change"
        );
        let file = root.path().join("etc/rancher/k3s/config.yaml");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(
            &file,
            "kube-apiserver-arg:\n- service-account-issuer-=https://n.example\n",
        )
        .unwrap();
        match node.restart_if_changed(&base) {
            Some(Restart::Flags(flags)) => {
                assert_eq!(flags.service_account_issuers[0], "https://n.example");
            }
            _ => panic!("the change restarts the server"),
        }
        assert!(node.restart_if_changed(&base).is_none());
        std::fs::write(
            &file,
            "kube-apiserver-arg: [service-account-jwks-uri=http://x]\n",
        )
        .unwrap();
        assert!(matches!(
            node.restart_if_changed(&base),
            Some(Restart::Refused(message)) if message.contains("https")
        ));
        assert!(NodeConfig::new(root.path(), Distribution::Kubeadm).is_err());
    }
}
