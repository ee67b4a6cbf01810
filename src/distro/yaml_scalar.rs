//! The text of one YAML line: where a key ends, where a comment starts, whether a scalar needs
//! quotes, and how a string is written plain, double-quoted or as a literal block. Pure
//! functions over strings, used by `yaml_lines` to rewrite only the lines it must.

use serde_yaml::Value;

use super::yaml_edit::Quote;

/// The literal block header that keeps the text's final line breaks exactly.
pub(super) fn chomping(text: &str) -> &'static str {
    if !text.ends_with('\n') {
        "|-"
    } else if text.ends_with("\n\n") {
        "|+"
    } else {
        "|"
    }
}

pub(super) fn literal_lines(text: &str, indent: usize) -> Vec<String> {
    let pad = " ".repeat(indent);
    let body = text.strip_suffix('\n').unwrap_or(text);
    body.split('\n')
        .map(|line| {
            if line.is_empty() {
                String::new()
            } else {
                format!("{pad}{line}")
            }
        })
        .collect()
}

/// A scalar as YAML: plain when that reads back as the same string, else quoted. A control
/// character or a line break is always written as an escape inside double quotes, so no value
/// can start a line of its own.
pub(crate) fn render_scalar(text: &str, quote: Quote, in_flow: bool) -> String {
    let plain_ok = plain_is_safe(text, in_flow);
    match quote {
        Quote::Plain if plain_ok => text.to_string(),
        Quote::Single if !text.chars().any(needs_escape) => {
            format!("'{}'", text.replace('\'', "''"))
        }
        _ => double_quoted(text),
    }
}

/// Characters YAML cannot hold as they are inside a scalar on one line: the C0 and C1 controls,
/// DEL, the byte order mark, and the line breaks YAML 1.1 parsers (libyaml) read besides `\n`
/// and `\r` (NEL, LS, PS).
pub(super) fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// A YAML double-quoted scalar (YAML 1.2 §5.7): `"` and `\` escaped, every character of
/// [`needs_escape`] written as an escape sequence.
pub(super) fn double_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if needs_escape(c) && u32::from(c) <= 0xff => {
                out.push_str(&format!("\\x{:02X}", u32::from(c)));
            }
            c if needs_escape(c) => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub(super) fn plain_is_safe(text: &str, in_flow: bool) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    let special_start =
        "-?:,[]{}#&*!|>'\"%@`".contains(first) && !(first == '-' && text.starts_with("--"));
    let flow_breaking = in_flow && text.contains([',', '[', ']', '{', '}']);
    !(special_start
        || flow_breaking
        || text.contains(": ")
        || text.contains(" #")
        || text.ends_with(':')
        || text.trim() != text
        || text.chars().any(needs_escape))
        && serde_yaml::from_str::<Value>(text).is_ok_and(|value| value.as_str() == Some(text))
}

pub(super) fn render_key(key: &str) -> String {
    if plain_is_safe(key, false) {
        key.to_string()
    } else {
        double_quoted(key)
    }
}

pub(super) fn quote_of(inline: &str) -> Quote {
    match inline.chars().next() {
        Some('"') => Quote::Double,
        Some('\'') => Quote::Single,
        _ => Quote::Plain,
    }
}

/// A scalar's text without its quotes (enough for names such as `kube-apiserver`).
pub(crate) fn unquote(inline: &str) -> String {
    let inline = inline.trim();
    for quote in ['"', '\''] {
        if inline.len() >= 2 && inline.starts_with(quote) && inline.ends_with(quote) {
            return inline[1..inline.len() - 1].to_string();
        }
    }
    inline.to_string()
}

pub(super) fn indent_of(text: &str) -> usize {
    text.len() - text.trim_start_matches(' ').len()
}

pub(super) fn leading_blanks(text: &str) -> usize {
    text.len() - text.trim_start_matches([' ', '\t']).len()
}

pub(super) fn is_marker(text: &str) -> bool {
    ["---", "..."].iter().any(|marker| {
        text.strip_prefix(marker)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
    })
}

/// The key at the start of `rest` and the byte offset just after its `:`.
pub(super) fn key_at(rest: &str) -> Option<(String, usize)> {
    let first = rest.chars().next()?;
    let (key, after) = match first {
        '"' | '\'' => {
            let close = closing_quote(rest, first)?;
            (rest[1..close].to_string(), close + 1)
        }
        '[' | ']' | '{' | '}' | '#' | '&' | '*' | '!' | '|' | '>' | '%' | '@' | '`' | ',' => {
            return None;
        }
        _ => {
            let mut previous = ' ';
            for (index, c) in rest.char_indices() {
                if c == '#' && (previous == ' ' || previous == '\t') {
                    return None;
                }
                if c == ':'
                    && rest[index + 1..]
                        .chars()
                        .next()
                        .is_none_or(|next| next == ' ' || next == '\t')
                {
                    let key = rest[..index].trim_end();
                    if key.is_empty() || key == "-" || key == "?" {
                        return None;
                    }
                    return Some((key.to_string(), index + 1));
                }
                previous = c;
            }
            return None;
        }
    };
    let tail = &rest[after..];
    let colon = tail.strip_prefix(':')?;
    colon
        .chars()
        .next()
        .is_none_or(|next| next == ' ' || next == '\t')
        .then_some((key, after + 1))
}

pub(super) fn closing_quote(text: &str, quote: char) -> Option<usize> {
    let mut chars = text.char_indices().skip(1).peekable();
    while let Some((index, c)) = chars.next() {
        if quote == '"' && c == '\\' {
            chars.next();
        } else if c == quote {
            if quote == '\'' && chars.peek().is_some_and(|&(_, next)| next == '\'') {
                chars.next();
                continue;
            }
            return Some(index);
        }
    }
    None
}

pub(super) fn inline_value(text: &str) -> String {
    split_comment(text).0.trim().to_string()
}

/// Splits a value from its trailing comment; the comment keeps the blanks before its `#`.
pub(super) fn split_comment(text: &str) -> (&str, &str) {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut previous = ' ';
    for (index, c) in text.char_indices() {
        match quote {
            Some('"') if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            Some(open) if c == open => quote = None,
            Some(_) => {}
            None if c == '#' && (previous == ' ' || previous == '\t') => {
                let value_end = text[..index].trim_end().len();
                return (&text[..value_end], &text[value_end..]);
            }
            None if (c == '"' || c == '\'')
                && (previous.is_whitespace() || "[{,:".contains(previous)) =>
            {
                quote = Some(c);
            }
            None => {}
        }
        previous = c;
    }
    (text, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_split_off_outside_quotes() {
        assert_eq!(split_comment("a # b"), ("a", " # b"));
        assert_eq!(split_comment("\"a # b\"  # c"), ("\"a # b\"", "  # c"));
        assert_eq!(split_comment("https://x/#frag"), ("https://x/#frag", ""));
    }

    #[test]
    fn scalars_are_quoted_only_when_needed() {
        assert_eq!(
            render_scalar("https://oidc.example.com/c1", Quote::Plain, false),
            "https://oidc.example.com/c1"
        );
        assert_eq!(render_scalar("--flag=x", Quote::Plain, false), "--flag=x");
        assert_eq!(render_scalar("true", Quote::Plain, false), "\"true\"");
        assert_eq!(render_scalar("a: b", Quote::Plain, false), "\"a: b\"");
        assert_eq!(render_scalar("x=y", Quote::Double, false), "\"x=y\"");
        assert_eq!(render_scalar("it's", Quote::Single, false), "'it''s'");
    }

    #[test]
    fn control_characters_and_line_breaks_are_escaped_in_double_quotes() {
        for text in [
            "a\nb",
            "a\rb",
            "a\u{0}b",
            "a\u{7f}b",
            "a\u{85}b",
            "a\u{2028}b",
            "a\u{2029}b",
            "a\u{1b}b",
            "a\u{feff}b",
            "a\"b\\c\td",
        ] {
            for quote in [Quote::Plain, Quote::Single, Quote::Double] {
                let rendered = render_scalar(text, quote, false);
                assert!(rendered.starts_with('"'), "{text:?}: {rendered}");
                assert!(
                    !rendered.chars().any(needs_escape),
                    "{text:?}: {rendered:?}"
                );
                let read: Value = serde_yaml::from_str(&rendered).unwrap();
                assert_eq!(read.as_str(), Some(text), "{rendered}");
            }
        }
    }
}
