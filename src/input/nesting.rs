//! How deep a YAML or JSON text nests, found in one pass before any parser sees it: given
//! thousands of levels, serde_yaml takes seconds to minutes and serde_json gives up with a vague
//! error. It reads only indentation, brackets, quotes and comments; it decides nothing else.

/// The deepest nesting kwif parses. kwif's own inputs nest a handful of levels (a profile 5, a
/// kubeadm config 6, a kind patch inside its cluster file 9); 64 leaves room for any real file.
pub const MAX_NESTING: usize = 64;

/// A text that nests deeper than [`MAX_NESTING`]; `line` is where it got too deep (1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "nests deeper than {MAX_NESTING} levels (line {line}): no real file nests so deep; remove the extra \
     brackets or indentation"
)]
pub struct TooDeep {
    pub line: usize,
}

/// Checks a YAML text (any number of documents): block levels (indentation, `- ` items) plus
/// flow levels (`[`, `{`) at most [`MAX_NESTING`].
pub fn check_yaml(text: &str) -> Result<(), TooDeep> {
    let mut scan = YamlScan::default();
    for (index, line) in text.lines().enumerate() {
        scan.line(line, index + 1)?;
    }
    Ok(())
}

/// Checks a JSON text: `[` and `{` outside strings at most [`MAX_NESTING`] deep.
pub fn check_json(text: &[u8]) -> Result<(), TooDeep> {
    let (mut depth, mut line) = (0usize, 1usize);
    let (mut in_string, mut escaped) = (false, false);
    for byte in text {
        match (in_string, byte) {
            (_, b'\n') => line += 1,
            (true, _) if escaped => escaped = false,
            (true, b'\\') => escaped = true,
            (true | false, b'"') => in_string = !in_string,
            (false, b'[' | b'{') => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(TooDeep { line });
                }
            }
            (false, b']' | b'}') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// The state carried from one line of YAML to the next.
#[derive(Default)]
struct YamlScan {
    /// Columns of the block nodes that enclose the current line, outermost first.
    indents: Vec<usize>,
    /// Open `[` and `{`.
    flow: usize,
    /// Inside a quoted scalar (which may go on over lines): its quote.
    quote: Option<char>,
    /// Inside a literal or folded block scalar: lines indented deeper than this column are text.
    block_scalar: Option<usize>,
}

impl YamlScan {
    fn line(&mut self, line: &str, number: usize) -> Result<(), TooDeep> {
        let indent = line.len() - line.trim_start_matches(' ').len();
        if let Some(column) = self.block_scalar {
            if line.trim().is_empty() || indent > column {
                return Ok(());
            }
            self.block_scalar = None;
        }
        if self.quote.is_some() || self.flow > 0 {
            return self.flow_text(line, number);
        }
        let content = &line[indent..];
        if content.trim().is_empty() || content.starts_with('#') || content.starts_with('%') {
            return Ok(());
        }
        let mut rest = content;
        let mut column = indent;
        for marker in ["---", "..."] {
            if let Some(after) = rest.strip_prefix(marker)
                && (after.is_empty() || after.starts_with([' ', '\t']))
                && indent == 0
            {
                self.indents.clear();
                column += marker.len() + blanks(after);
                rest = after.trim_start();
            }
        }
        if rest.is_empty() || rest.starts_with('#') {
            return Ok(());
        }
        self.enter(column, number)?;
        // `- - item`: every dash opens a level of its own.
        while let Some(after) = dash_item(rest) {
            column += 1 + blanks(after);
            rest = after.trim_start_matches([' ', '\t']);
            if rest.is_empty() || rest.starts_with('#') {
                return Ok(());
            }
            self.enter(column, number)?;
        }
        let value = value_of(rest);
        if value.starts_with(['|', '>']) {
            self.block_scalar = Some(column);
            return Ok(());
        }
        if value.starts_with(['[', '{', '"', '\'']) {
            return self.flow_text(value, number);
        }
        Ok(())
    }

    /// A block node at `column`: the nodes at or right of it are closed, it opens a level.
    fn enter(&mut self, column: usize, number: usize) -> Result<(), TooDeep> {
        while self.indents.last().is_some_and(|top| *top >= column) {
            self.indents.pop();
        }
        self.indents.push(column);
        self.check(number)
    }

    fn check(&self, number: usize) -> Result<(), TooDeep> {
        match self.indents.len() + self.flow > MAX_NESTING {
            true => Err(TooDeep { line: number }),
            false => Ok(()),
        }
    }

    /// Flow content: brackets outside quotes, up to a comment.
    fn flow_text(&mut self, text: &str, number: usize) -> Result<(), TooDeep> {
        let mut previous = ' ';
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match (self.quote, c) {
                (Some('"'), '\\') => {
                    chars.next();
                }
                (Some('\''), '\'') if chars.peek() == Some(&'\'') => {
                    chars.next();
                }
                (Some(open), c) if c == open => self.quote = None,
                (Some(_), _) => {}
                (None, '#') if previous.is_whitespace() => return Ok(()),
                (None, '"' | '\'') if previous.is_whitespace() || "[{,:".contains(previous) => {
                    self.quote = Some(c);
                }
                (None, '[' | '{') => {
                    self.flow += 1;
                    self.check(number)?;
                }
                (None, ']' | '}') => self.flow = self.flow.saturating_sub(1),
                _ => {}
            }
            previous = c;
        }
        Ok(())
    }
}

fn blanks(text: &str) -> usize {
    text.len() - text.trim_start_matches([' ', '\t']).len()
}

/// The text after a sequence item's dash, when the line starts with one.
fn dash_item(text: &str) -> Option<&str> {
    let after = text.strip_prefix('-')?;
    (after.is_empty() || after.starts_with([' ', '\t'])).then_some(after)
}

/// Where a block node's value starts: after `key:` (outside quotes), else the node itself;
/// anchors and tags before it skipped.
fn value_of(node: &str) -> &str {
    let mut value = key_end(node).map_or(node, |end| node[end..].trim_start_matches([' ', '\t']));
    while value.starts_with(['&', '!']) {
        value = value
            .split_once([' ', '\t'])
            .map_or("", |(_, rest)| rest.trim_start_matches([' ', '\t']));
    }
    value
}

/// The byte just after the `:` ending a mapping key at the start of `node`, if there is one.
fn key_end(node: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut chars = node.char_indices().peekable();
    while let Some((index, c)) = chars.next() {
        match (quote, c) {
            (Some('"'), '\\') => {
                chars.next();
            }
            (Some(open), c) if c == open => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') if index == 0 => quote = Some(c),
            (None, '#') if node[..index].ends_with([' ', '\t']) => return None,
            (None, ':')
                if chars
                    .peek()
                    .is_none_or(|(_, next)| matches!(next, ' ' | '\t')) =>
            {
                return Some(index + 1);
            }
            (None, '[' | '{') if index == 0 => return None,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml_depth_ok(text: &str) -> bool {
        check_yaml(text).is_ok()
    }

    #[test]
    fn flow_nesting_is_counted_with_the_block_level_it_is_in() {
        let at = |levels: usize| format!("issuer: {}{}\n", "[".repeat(levels), "]".repeat(levels));
        assert!(yaml_depth_ok(&at(63)));
        assert_eq!(check_yaml(&at(64)), Err(TooDeep { line: 1 }));
        assert!(check_yaml(&at(50_000)).is_err());
        let spread = format!("a:\n  b: {}\n{}\n", "{x: ".repeat(70), "}".repeat(70));
        assert_eq!(check_yaml(&spread), Err(TooDeep { line: 2 }));
    }

    #[test]
    fn block_nesting_counts_keys_and_items() {
        let mut text = String::new();
        for level in 0..70 {
            text.push_str(&format!("{}k{level}:\n", " ".repeat(level)));
        }
        assert_eq!(check_yaml(&text), Err(TooDeep { line: 65 }));
        let dashes = format!("{}x\n", "- ".repeat(65));
        assert!(check_yaml(&dashes).is_err());
        assert!(yaml_depth_ok(&format!("{}x\n", "- ".repeat(60))));
    }

    #[test]
    fn siblings_quotes_comments_and_block_text_do_not_add_levels() {
        let mut text = String::new();
        for index in 0..500 {
            text.push_str(&format!("key{index}: \"a [ {{ text\" # [[[[\n"));
        }
        text.push_str("script: |\n  if [ -f x ]; then [[[[[[[[[\n    deeper text\n  fi\nnext: 'it''s [ fine'\n");
        text.push_str("url: https://x/[a]\nlist: [a, \"b]\", {c: '}'}]\n");
        assert!(yaml_depth_ok(&text), "{:?}", check_yaml(&text));
    }

    #[test]
    fn kwif_files_and_the_distribution_fixtures_pass() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/distro");
        for entry in std::fs::read_dir(root).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                yaml_depth_ok(&text),
                "{}: {:?}",
                path.display(),
                check_yaml(&text)
            );
        }
        assert!(yaml_depth_ok(&crate::profile::Profile::example().to_yaml()));
    }

    #[test]
    fn json_nesting_is_counted_outside_strings() {
        let nested = |levels: usize| format!("{}{}", "[".repeat(levels), "]".repeat(levels));
        assert!(check_json(nested(64).as_bytes()).is_ok());
        assert_eq!(check_json(nested(65).as_bytes()), Err(TooDeep { line: 1 }));
        let quoted = format!("{{\"a\": \"{}\\\"{}\"}}", "[".repeat(100), "{".repeat(100));
        assert!(check_json(quoted.as_bytes()).is_ok());
    }
}
