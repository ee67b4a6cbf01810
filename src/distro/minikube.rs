//! minikube: no config file to edit; the issuer is `--extra-config=apiserver.…` on the
//! `minikube start` command line, kept per component in a map, so one issuer only
//! (kubernetes.md §6.7; kubernetes/minikube pkg/minikube/bootstrapper/bsutil/extraconfig.go).

use super::flag_block::{Flag, FlagBlock, ISSUER_FLAG, JWKS_URI_FLAG, Slot};
use super::{ConfigChange, DistroError, IssuerChange, dropped_issuers};

const EXTRA_CONFIG: &str = "--extra-config";
const DEFAULT_ISSUER: &str = "https://kubernetes.default.svc.cluster.local";
const PATH: &str = "the `minikube start` command line (minikube keeps it in ~/.minikube/profiles/<profile>/config.json)";

/// A word of the command line: where it is and what the shell makes of it.
#[derive(Clone, Debug)]
pub(super) struct Word {
    line: usize,
    start: usize,
    end: usize,
    raw: String,
    /// The word as the shell passes it on: quotes removed, escapes resolved.
    pub(super) text: String,
}

/// The `minikube start` command: its lines (first..=last) and words.
struct StartCommand {
    first: usize,
    last: usize,
    words: Vec<Word>,
}

/// One `--extra-config` setting: one word (`--extra-config=k=v`) or two (`--extra-config k=v`).
struct Setting {
    words: Vec<usize>,
    flag: Option<Flag>,
}

pub(super) fn change(
    current: Option<&str>,
    change: &IssuerChange,
) -> Result<ConfigChange, DistroError> {
    let desired = desired_flags(change);
    for flag in &desired {
        check_representable(&flag.value)?;
    }
    let text = match current {
        None => format!("minikube start {}\n", rendered(&desired).join(" ")),
        Some(text) => edit_text(text, &desired)?,
    };
    let lines: Vec<&str> = text.lines().collect();
    let command = find_command(&lines).map(|command| {
        command
            .words
            .iter()
            .map(|word| word.raw.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    });
    let before = match current.and_then(|text| find_command(&text.lines().collect::<Vec<_>>())) {
        Some(command) => settings(&command.words)
            .into_iter()
            .filter_map(|setting| setting.flag)
            .filter(|flag| flag.name == format!("apiserver.{ISSUER_FLAG}"))
            .map(|flag| flag.value)
            .collect(),
        None => Vec::new(),
    };
    let before = if before.is_empty() {
        vec![DEFAULT_ISSUER.to_string()]
    } else {
        before
    };
    let mut notes = dropped_issuers(&before, &[change.new_issuer().to_string()], false);
    if change.keep_issuer.is_some() {
        notes.push(
            "minikube keeps --extra-config in a map per component (bsutil ComponentExtraArgs.Options, \
             map[string]string): only one apiserver.service-account-issuer reaches kube-apiserver, so the old \
             issuer cannot stay accepted"
                .to_string(),
        );
    }
    notes.push(
        "on an existing cluster minikube start regenerates the kubeadm config with the new --extra-config \
         (unverified): if the token's iss does not change, run minikube delete first"
            .to_string(),
    );
    Ok(ConfigChange {
        text,
        notes,
        restart: command.into_iter().collect(),
        path: PATH,
    })
}

/// True when the text has a `minikube start` command.
pub(super) fn has_start_command(text: &str) -> bool {
    find_command(&text.lines().collect::<Vec<_>>()).is_some()
}

fn desired_flags(change: &IssuerChange) -> Vec<Flag> {
    vec![
        Flag::new(&format!("apiserver.{ISSUER_FLAG}"), change.new_issuer()),
        Flag::new(&format!("apiserver.{JWKS_URI_FLAG}"), &change.jwks_uri),
    ]
}

fn rendered(flags: &[Flag]) -> Vec<String> {
    flags
        .iter()
        .map(|flag| shell_quote(&format!("{EXTRA_CONFIG}={}={}", flag.name, flag.value)))
        .collect()
}

fn edit_text(text: &str, desired: &[Flag]) -> Result<String, DistroError> {
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let lines: Vec<&str> = text.lines().collect();
    let Some(command) = find_command(&lines) else {
        let found = if text.trim_start().starts_with('{') {
            "it is JSON (minikube's profile config.json is rewritten by minikube start: pass the command line \
             instead, or no --file)"
                .to_string()
        } else {
            "it has no `minikube start` command".to_string()
        };
        return Err(super::wrong_format(
            "a shell script with a `minikube start` command line",
            text,
            found,
        ));
    };
    let settings = settings(&command.words);
    let existing: Vec<Option<Flag>> = settings
        .iter()
        .map(|setting| setting.flag.clone().filter(is_kwif_setting))
        .collect();
    let block = FlagBlock::plan(&existing, desired.to_vec());
    if block.is_unchanged() {
        return Ok(text.to_string());
    }
    let insertion = block
        .slots
        .iter()
        .map(|slot| match slot {
            Slot::Existing(i) => settings[*i]
                .words
                .iter()
                .map(|&word| command.words[word].raw.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            Slot::New(flag) => rendered(std::slice::from_ref(flag)).concat(),
        })
        .collect::<Vec<String>>()
        .join(" ");
    let owned_words: Vec<usize> = block
        .owned
        .iter()
        .flat_map(|&i| settings[i].words.clone())
        .collect();
    let at = block.owned.first().map(|&i| settings[i].words[0]);
    let mut out: Vec<String> = lines.iter().map(std::string::ToString::to_string).collect();
    for line in command.first..=command.last {
        out[line] = edit_line(
            lines[line],
            line,
            &command.words,
            &owned_words,
            at,
            &insertion,
        );
    }
    if at.is_none() {
        let last = &command.words[command.words.len() - 1];
        out[last.line].insert_str(last.end, &format!(" {insertion}"));
    }
    let mut kept: Vec<String> = Vec::with_capacity(out.len());
    let mut last_kept = command.first;
    let mut dropped_last = false;
    for (index, line) in out.into_iter().enumerate() {
        let in_command = (command.first..=command.last).contains(&index);
        if in_command && index > command.first && (line.trim().is_empty() || line.trim() == "\\") {
            dropped_last |= index == command.last;
            continue;
        }
        if in_command {
            last_kept = kept.len();
        }
        kept.push(line);
    }
    if dropped_last && let Some(line) = kept.get_mut(last_kept) {
        // The command now ends one line earlier: its last line must not continue.
        *line = line
            .trim_end()
            .trim_end_matches('\\')
            .trim_end()
            .to_string();
    }
    let mut result = kept.join(eol);
    result.push_str(eol);
    Ok(result)
}

/// One line of the command with owned words removed and the new words placed at `at`.
fn edit_line(
    content: &str,
    line: usize,
    words: &[Word],
    owned: &[usize],
    at: Option<usize>,
    insertion: &str,
) -> String {
    let mut out = String::new();
    let mut cursor = 0;
    for &index in owned.iter().filter(|&&index| words[index].line == line) {
        let word = &words[index];
        if word.start < cursor {
            continue;
        }
        if Some(index) == at {
            out.push_str(&content[cursor..word.start]);
            out.push_str(insertion);
        } else {
            let blank_start = content[..word.start].trim_end().len().max(cursor);
            out.push_str(&content[cursor..blank_start]);
        }
        cursor = word.end;
    }
    out.push_str(&content[cursor..]);
    out
}

fn is_kwif_setting(flag: &Flag) -> bool {
    flag.name
        .strip_prefix("apiserver.")
        .is_some_and(|name| name == ISSUER_FLAG || name == JWKS_URI_FLAG)
}

fn settings(words: &[Word]) -> Vec<Setting> {
    let mut settings = Vec::new();
    let mut index = 0;
    while index < words.len() {
        let text = &words[index].text;
        if let Some(value) = text.strip_prefix(&format!("{EXTRA_CONFIG}=")) {
            settings.push(Setting {
                words: vec![index],
                flag: Some(Flag::parse(value)),
            });
        } else if text == EXTRA_CONFIG && index + 1 < words.len() {
            settings.push(Setting {
                words: vec![index, index + 1],
                flag: Some(Flag::parse(&words[index + 1].text)),
            });
            index += 1;
        } else {
            settings.push(Setting {
                words: vec![index],
                flag: None,
            });
        }
        index += 1;
    }
    settings
}

/// The first `minikube start` command, with its continuation lines.
fn find_command(lines: &[&str]) -> Option<StartCommand> {
    let first = lines.iter().position(|line| {
        let words = split_words(line, 0).0;
        words.len() >= 2 && words[0].text.ends_with("minikube") && words[1].text == "start"
    })?;
    let mut words = Vec::new();
    let mut last = first;
    loop {
        let (mut line_words, continues) = split_words(lines[last], last);
        words.append(&mut line_words);
        if !continues || last + 1 >= lines.len() {
            break;
        }
        last += 1;
    }
    Some(StartCommand { first, last, words })
}

/// The shell words of a line, and whether it continues on the next (a trailing `\`).
pub(super) fn split_words(line: &str, number: usize) -> (Vec<Word>, bool) {
    let mut words = Vec::new();
    let mut chars = line.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        if c == '#' || c == ';' || c == '&' || c == '|' {
            return (words, false);
        }
        if c == '\\' && line[start + 1..].trim().is_empty() {
            return (words, true);
        }
        let mut text = String::new();
        let mut end = line.len();
        let mut quote: Option<char> = None;
        while let Some(&(index, c)) = chars.peek() {
            match (quote, c) {
                (None, c) if c.is_whitespace() || c == ';' || c == '|' || c == '&' => {
                    end = index;
                    break;
                }
                (None, '\'' | '"') => quote = Some(c),
                (Some(open), c) if c == open => quote = None,
                (Some('"') | None, '\\') => {
                    chars.next();
                    if let Some(&(_, escaped)) = chars.peek() {
                        text.push(escaped);
                    }
                }
                (_, c) => text.push(c),
            }
            chars.next();
        }
        words.push(Word {
            line: number,
            start,
            end,
            raw: line[start..end].to_string(),
            text,
        });
    }
    (words, false)
}

/// A shell word in single quotes can carry anything but a line break, and kwif reads the
/// command back line by line: a value with a control character or a line break is refused.
fn check_representable(value: &str) -> Result<(), DistroError> {
    if value
        .chars()
        .any(|c| c.is_control() || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}'))
    {
        return Err(DistroError::Unrepresentable {
            what: "the `minikube start` command line",
            value: value.to_string(),
            reason: "a command kwif writes on one line cannot carry a control character or a line \
                     break; use a URL without them",
        });
    }
    Ok(())
}

/// The word as the shell reads it back exactly: bare when it holds only safe characters, else in
/// single quotes (inside which only `'` itself needs care).
pub(super) fn shell_quote(word: &str) -> String {
    if word
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.:/=%+@,~".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_follow_shell_quoting_and_continuations() {
        let (words, continues) = split_words("minikube start --a='b c' \\", 0);
        assert!(continues);
        assert_eq!(
            words
                .iter()
                .map(|word| word.text.as_str())
                .collect::<Vec<_>>(),
            ["minikube", "start", "--a=b c"]
        );
        assert_eq!(words[2].raw, "--a='b c'");
        let (words, _) = split_words("minikube start # comment", 0);
        assert_eq!(words.len(), 2);
    }
}
