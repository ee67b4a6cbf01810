//! MicroK8s: one flag per line in /var/snap/microk8s/current/args/kube-apiserver. kubelite keeps
//! the order of repeated lines, so the NEW issuer and JWKS URI lines go above the old issuer line,
//! which stays only with --keep-issuer (kubernetes.md §6.5; kubelite `ReadArgsFromFile`).

use super::flag_block::{Flag, FlagBlock, ISSUER_FLAG, JWKS_URI_FLAG};
use super::{ConfigChange, DistroError, IssuerChange, dropped_issuers};

const PATH: &str = "/var/snap/microk8s/current/args/kube-apiserver";
const DEFAULT_ISSUER: &str = "https://kubernetes.default.svc";
const RESTART: &str = "sudo snap restart microk8s";

pub(super) fn change(
    current: Option<&str>,
    change: &IssuerChange,
) -> Result<ConfigChange, DistroError> {
    for value in change.issuers().iter().chain([&change.jwks_uri]) {
        check_representable(value)?;
    }
    let Some(text) = current else {
        return Ok(fragment(change));
    };
    if let Some((number, line)) = first_non_flag_line(text) {
        return Err(super::wrong_format(
            "a MicroK8s args file (one --flag=value per line)",
            text,
            format!("line {number} is not a flag: {:?}", truncate(line)),
        ));
    }
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let lines: Vec<String> = text.lines().map(|line| format!("{line}{eol}")).collect();
    let existing: Vec<Option<Flag>> = lines
        .iter()
        .map(|line| flag_of(line).filter(Flag::is_kwif_flag))
        .collect();
    let quoted = lines
        .iter()
        .zip(&existing)
        .any(|(line, flag)| flag.is_some() && line.contains('\''));
    let before: Vec<String> = existing
        .iter()
        .flatten()
        .filter(|flag| flag.is_issuer())
        .map(|flag| flag.value.clone())
        .collect();
    let before = if before.is_empty() {
        vec![DEFAULT_ISSUER.to_string()]
    } else {
        before
    };
    let block = FlagBlock::plan(&existing, desired_flags(change));
    let changed = if block.is_unchanged() {
        text.to_string()
    } else {
        block
            .arrange(&lines, |flag| format!("{}{eol}", render(flag, quoted)))
            .concat()
    };

    let mut notes = dropped_issuers(&before, &change.issuers(), true);
    notes.extend(common_notes());
    Ok(ConfigChange {
        text: changed,
        notes,
        restart: vec![RESTART.to_string()],
        path: PATH,
    })
}

/// True for text made only of `--flag` lines and comments.
pub(super) fn looks_like_args_file(text: &str) -> bool {
    text.lines().any(|line| line.trim().starts_with("--")) && first_non_flag_line(text).is_none()
}

/// NEW, then the JWKS URI, above OLD (kept only with --keep-issuer).
fn desired_flags(change: &IssuerChange) -> Vec<Flag> {
    let mut flags = vec![
        Flag::new(ISSUER_FLAG, change.new_issuer()),
        Flag::new(JWKS_URI_FLAG, &change.jwks_uri),
    ];
    flags.extend(change.old_issuer().map(|old| Flag::new(ISSUER_FLAG, old)));
    flags
}

fn render(flag: &Flag, quoted: bool) -> String {
    if quoted {
        format!("--{}='{}'", flag.name, flag.value)
    } else {
        flag.with_dashes()
    }
}

/// The flag on a line as kubelite reads it: quotes removed, split on spaces.
pub(super) fn flag_of(line: &str) -> Option<Flag> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let unquoted = line.replace(['"', '\''], "");
    let mut parts = unquoted.split(' ').filter(|part| !part.is_empty());
    let first = parts.next()?;
    let mut flag = Flag::parse(first);
    if !first.contains('=')
        && let Some(value) = parts.next()
    {
        flag.value = value.to_string();
    }
    Some(flag)
}

fn first_non_flag_line(text: &str) -> Option<(usize, &str)> {
    text.lines().enumerate().find_map(|(index, line)| {
        let line = line.trim();
        (!line.is_empty() && !line.starts_with('#') && !line.starts_with("--"))
            .then_some((index + 1, line))
    })
}

fn truncate(line: &str) -> String {
    line.chars().take(60).collect()
}

/// kubelite reads one flag per line, removes every quote, splits lines on spaces and expands
/// `$VARIABLES`: the file has no quoting that could carry a line break, a blank, a quote or a
/// `$`, so a value with one is refused rather than written.
fn check_representable(value: &str) -> Result<(), DistroError> {
    if value
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || matches!(c, '\'' | '"' | '$'))
    {
        return Err(DistroError::Unrepresentable {
            what: "the MicroK8s args file",
            value: value.to_string(),
            reason: "kubelite reads one flag per line, removes quotes, splits lines on spaces and \
                     expands $VARIABLES; use a URL without ' \" $, blanks or control characters",
        });
    }
    Ok(())
}

fn common_notes() -> Vec<String> {
    vec![
        "kubelite passes repeated --service-account-issuer lines in file order: the first one signs".to_string(),
        "on a multi-node MicroK8s, change the file on every control-plane node, one at a time".to_string(),
    ]
}

/// Without the args file: the lines to put in it, in MicroK8s' own quoting.
fn fragment(change: &IssuerChange) -> ConfigChange {
    let mut text =
        format!("# add these lines to {PATH} where its --service-account-issuer line is:\n");
    for flag in desired_flags(change) {
        text.push_str(&render(&flag, true));
        text.push('\n');
    }
    let mut notes = vec![if change.keep_issuer.is_some() {
        "keep the old --service-account-issuer line below the new ones (it is the last line here)"
            .to_string()
    } else {
        "remove the old --service-account-issuer line: without --keep-issuer only the new issuer stays accepted"
            .to_string()
    }];
    notes.extend(common_notes());
    ConfigChange {
        text,
        notes,
        restart: vec![RESTART.to_string()],
        path: PATH,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubelite_reads_quoted_and_spaced_flags() {
        assert_eq!(
            flag_of("--service-account-issuer='https://kubernetes.default.svc'"),
            Some(Flag::new(ISSUER_FLAG, "https://kubernetes.default.svc"))
        );
        assert_eq!(
            flag_of("--service-account-issuer https://x"),
            Some(Flag::new(ISSUER_FLAG, "https://x"))
        );
        assert_eq!(flag_of("# --service-account-issuer=https://x"), None);
    }
}
