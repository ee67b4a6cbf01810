//! serde_yaml's errors rewritten for the user: the field path (found from the message, or from the
//! indentation when serde_yaml gives only a position), the line and column, and the fix.

use super::choice::closest;
use super::error::{FieldError, quoted};

/// Rewrites a serde_yaml error as `<field>: <problem> (line L, column C): <fix>`.
pub(super) fn yaml_error(text: &str, error: &serde_yaml::Error) -> FieldError {
    let line_column = error
        .location()
        .map(|location| (location.line(), location.column()));
    let mut detail = error.to_string();
    let mut at = String::new();
    if let Some((line, column)) = line_column {
        detail = detail.replacen(&format!(" at line {line} column {column}"), "", 1);
        at = format!(" (line {line}, column {column})");
    }
    let (path, detail) = split_path(&detail);
    let within = |name: &str| {
        // A key that is not a plain word is quoted, so the path stays readable.
        let plain = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || "_-".contains(c));
        let name = if plain {
            name.to_string()
        } else {
            quoted(name)
        };
        path.map_or_else(|| name.clone(), |path| format!("{path}.{name}"))
    };
    let (field, message) = if let Some(rest) = detail.strip_prefix("unknown field `") {
        let (name, expected) = rest
            .rsplit_once("`, expected ")
            .or_else(|| {
                rest.rsplit_once("`, there are no fields")
                    .map(|(name, _)| (name, ""))
            })
            .unwrap_or((rest, ""));
        (
            within(name),
            format!(
                "is not a known field{at}: {}",
                known_fields_fix(name, expected)
            ),
        )
    } else if let Some(rest) = detail.strip_prefix("duplicate field `") {
        let name = rest.strip_suffix('`').unwrap_or(rest);
        (within(name), format!("appears twice{at}: keep one"))
    } else if detail.starts_with("invalid type: ") || detail.starts_with("invalid value: ") {
        (
            path.unwrap_or("profile").to_string(),
            format!("{}{at}", type_problem(detail)),
        )
    } else if detail.contains("more than one document") {
        (
            "profile".to_string(),
            "holds more than one YAML document: keep a single profile, without '---'".to_string(),
        )
    } else {
        // An unterminated quote is found where the file ends; the field is where the quote opened.
        let opened = detail
            .split_once("while scanning a quoted scalar at line ")
            .and_then(|(_, rest)| rest.split(' ').next()?.parse().ok());
        let line = opened.or(line_column.map(|(line, _)| line));
        let field = path
            .map(str::to_string)
            .or_else(|| line.and_then(|line| field_at_line(text, line)))
            .unwrap_or_else(|| "profile".to_string());
        let fix = "fix the YAML there: indent with spaces, and quote values that contain ': ' or start with a special character";
        (field, format!("{detail}{at}: {fix}"))
    };
    FieldError {
        field,
        message,
        line_column,
    }
}

/// serde_yaml writes `path.to[0].field: message`; the path has no spaces.
fn split_path(detail: &str) -> (Option<&str>, &str) {
    match detail.split_once(": ") {
        Some((head, rest))
            if !head.is_empty()
                && head
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._[]".contains(c)) =>
        {
            (Some(head), rest)
        }
        _ => (None, detail),
    }
}

fn known_fields_fix(name: &str, expected: &str) -> String {
    let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    if known.is_empty() {
        return "remove it".to_string();
    }
    let hint = closest(name, &known)
        .map(|close| format!("did you mean {close}? "))
        .unwrap_or_default();
    format!("{hint}the fields here are {}", known.join(", "))
}

/// `invalid type: string "abc", expected i64` → `should be a whole number, not string "abc"`.
fn type_problem(detail: &str) -> String {
    let detail = detail
        .trim_start_matches("invalid type: ")
        .trim_start_matches("invalid value: ");
    let Some((found, expected)) = detail.rsplit_once(", expected ") else {
        return detail.to_string();
    };
    let expected = match expected {
        "i64" | "u64" | "i32" | "u32" => "a whole number",
        "a sequence" => "a list of '- ' items",
        "a string" => "a single text value",
        other if other.starts_with("struct ") => "a mapping of `key: value` lines",
        other => other,
    };
    format!("should be {expected}, not {found}")
}

/// The dotted path of the key on `line` (1-based), or of the last key opened before it, read
/// from indentation alone. Names the field of a YAML syntax error, which serde_yaml reports by
/// position only.
fn field_at_line(text: &str, line: usize) -> Option<String> {
    struct Frame {
        indent: usize,
        segment: String,
        is_item: bool,
        /// A key with its value on the same line: it cannot be the parent of what follows.
        is_leaf: bool,
        items: usize,
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut top_items = 0;
    for text_line in text.lines().take(line) {
        let mut column = text_line.len() - text_line.trim_start_matches(' ').len();
        let mut rest = &text_line[column..];
        if rest.is_empty() || rest.starts_with('#') {
            continue;
        }
        if (rest == "-" || rest.starts_with("- ") || key_of(rest).is_some())
            && stack.last().is_some_and(|top| top.is_leaf)
        {
            stack.pop();
        }
        while rest == "-" || rest.starts_with("- ") {
            while stack
                .last()
                .is_some_and(|top| top.indent > column || (top.indent == column && top.is_item))
            {
                stack.pop();
            }
            let counter = stack
                .last_mut()
                .map_or(&mut top_items, |parent| &mut parent.items);
            let segment = format!("[{counter}]");
            *counter += 1;
            stack.push(Frame {
                indent: column,
                segment,
                is_item: true,
                is_leaf: false,
                items: 0,
            });
            let after = &rest[1..];
            let spaces = after.len() - after.trim_start_matches(' ').len();
            column += 1 + spaces;
            rest = &after[spaces..];
        }
        if let Some(key) = key_of(rest) {
            while stack.last().is_some_and(|top| top.indent >= column) {
                stack.pop();
            }
            let value = rest[key.len() + 1..].trim_start();
            let is_leaf = value.chars().next().is_some_and(|c| !"{[|>&!#".contains(c));
            stack.push(Frame {
                indent: column,
                segment: key.to_string(),
                is_item: false,
                is_leaf,
                items: 0,
            });
        }
    }
    let mut path = String::new();
    for frame in &stack {
        if !frame.is_item && !path.is_empty() {
            path.push('.');
        }
        path.push_str(&frame.segment);
    }
    (!path.is_empty()).then_some(path)
}

/// The plain key at the start of a YAML line (`key:` or `key: value`).
fn key_of(rest: &str) -> Option<&str> {
    let (key, after) = rest.split_once(':')?;
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || "_-.".contains(c));
    (plain && (after.is_empty() || after.starts_with(' '))).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::tests::{example_with, only_error};
    use crate::profile::{Profile, ProfileError};

    #[test]
    fn unknown_field_is_named_with_line_column_and_a_suggestion() {
        let text =
            "issuer: https://x.example\nworkloads:\n  - namespace: a\n    serviceAcount: b\n";
        let error = Profile::from_yaml(text).unwrap_err();
        assert!(matches!(error, ProfileError::Yaml(_)));
        assert_eq!(error.field(), Some("workloads[0].serviceAcount"));
        assert_eq!(error.errors()[0].line_column(), Some((4, 5)));
        assert_eq!(
            error.to_string(),
            "workloads[0].serviceAcount: is not a known field (line 4, column 5): did you mean serviceAccount? \
             the fields here are namespace, serviceAccount, kind, name, mode, tokenExpirationSeconds, \
             federatedCredentialName, identity"
        );
    }

    #[test]
    fn unknown_top_level_field_in_snake_case_suggests_the_camel_case_one() {
        let message = only_error("resource_group: x\n");
        assert!(
            message.starts_with("resource_group: is not a known field (line 1, column 1): "),
            "{message}"
        );
        let message = only_error("azure:\n  resource_group: x\n");
        assert!(message.starts_with("azure.resource_group: is not a known field (line 2, column 3): did you mean resourceGroup?"), "{message}");
    }

    #[test]
    fn yaml_syntax_error_names_the_nearest_field_and_the_position() {
        let text = "hosting:\n  kind: nginx\n  nginx: { host: a, \n";
        let message = only_error(text);
        assert!(
            message.starts_with(
                "hosting.nginx: did not find expected node content, while parsing a flow node (line 4, column 1)"
            ),
            "{message}"
        );
        assert!(message.contains("fix the YAML there"), "{message}");
    }

    #[test]
    fn tab_indentation_is_reported_under_its_parent_field() {
        let message = only_error("hosting:\n\tkind: nginx\n");
        assert!(
            message.starts_with(
                "hosting: found character that cannot start any token, while scanning for the next token (line 2, column 1)"
            ),
            "{message}"
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_names_the_field_and_the_expected_type() {
        let text = example_with("tokenExpirationSeconds: 3600", "tokenExpirationSeconds: 1h");
        let message = only_error(&text);
        assert!(
            message.starts_with("workloads[0].tokenExpirationSeconds: should be a whole number, not string \"1h\" (line "),
            "{message}"
        );
        let message = only_error("hosting: [nginx]\n");
        assert_eq!(
            message,
            "hosting: should be a mapping of `key: value` lines, not sequence (line 1, column 10)"
        );
        let message = only_error("- a\n");
        assert_eq!(
            message,
            "profile: should be a mapping of `key: value` lines, not sequence (line 1, column 1)"
        );
    }

    #[test]
    fn an_unknown_key_that_is_not_a_word_is_quoted_in_the_path() {
        assert!(
            only_error("\"\": 1\n").starts_with("\"\": is not a known field (line 1, column 1): ")
        );
        let message = only_error("hosting:\n  \"my `key`, x\": 1\n");
        assert!(
            message.starts_with("hosting.\"my `key`, x\": is not a known field (line 2, column 3): the fields here are kind,"),
            "{message}"
        );
    }

    #[test]
    fn a_field_written_twice_is_reported() {
        let message = only_error("hosting: {kind: nginx, kind: directory}\n");
        assert_eq!(
            message,
            "hosting.kind: appears twice (line 1, column 10): keep one"
        );
    }

    #[test]
    fn several_documents_in_one_file_are_rejected() {
        assert_eq!(
            only_error("issuer: a\n---\nissuer: b\n"),
            "profile: holds more than one YAML document: keep a single profile, without '---'"
        );
    }

    #[test]
    fn field_at_line_follows_indentation_and_list_items() {
        let text =
            "a:\n  b: 1\nworkloads:\n- x: 1\n  y: 2\n- x: 3\n  nested:\n    - q: 1\n    - r: 2\n";
        assert_eq!(field_at_line(text, 2).as_deref(), Some("a.b"));
        assert_eq!(field_at_line(text, 5).as_deref(), Some("workloads[0].y"));
        assert_eq!(field_at_line(text, 6).as_deref(), Some("workloads[1].x"));
        assert_eq!(
            field_at_line(text, 9).as_deref(),
            Some("workloads[1].nested[1].r")
        );
        assert_eq!(field_at_line("", 3), None);
    }

    #[test]
    fn a_key_indented_below_a_value_is_named_as_its_sibling() {
        let message = only_error("hosting:\n  kind: nginx\n   nginx: x\n");
        assert!(
            message.starts_with(
                "hosting.nginx: mapping values are not allowed in this context (line 3, column 9)"
            ),
            "{message}"
        );
        let text = "a:\n  b: {\n    c: 1,\n";
        assert_eq!(field_at_line(text, 3).as_deref(), Some("a.b.c"));
    }
}
