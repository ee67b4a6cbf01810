//! Line-oriented editing of one block-style YAML document: an outline found from indentation,
//! and edits that rewrite only the lines they must, so comments, key order and quoting elsewhere
//! stay byte-identical. It decides nothing and trusts nothing: `yaml_edit` checks every result.

use serde_yaml::Value;

use super::flag_block::Slot;
use super::yaml_edit::{Edit, Item, Quote, Seg, SequenceStyle, value_at};
use super::yaml_scalar::{
    chomping, indent_of, inline_value, is_marker, key_at, leading_blanks, literal_lines,
    needs_escape, quote_of, render_key, render_scalar, split_comment, unquote,
};

/// The line editor cannot make this change in place; the caller re-serialises instead.
#[derive(Debug)]
pub(crate) struct Unsupported(#[allow(dead_code)] pub &'static str);

type Fit<T> = Result<T, Unsupported>;

/// A document as lines. Line endings are kept byte for byte: a `\r` stays in the line's text.
pub(crate) struct YamlLines {
    lines: Vec<String>,
    crlf: bool,
}

/// A key (`name:`) or a sequence item (`-`) found in the outline.
#[derive(Debug)]
struct Node {
    key: Option<String>,
    line: usize,
    column: usize,
    /// Byte index just after the `:` of a key (after the `-` of an item).
    colon_end: usize,
    /// Byte index where the inline value starts, or would start.
    value_column: usize,
    /// The inline value without its comment.
    inline: String,
    parent: Option<usize>,
    children: Vec<usize>,
    /// The last line that belongs to the node itself (continuations, block scalars).
    last: usize,
}

#[derive(Default)]
struct Outline {
    nodes: Vec<Node>,
    roots: Vec<usize>,
    tabs: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    Root,
    Node(usize),
}

enum Opaque {
    /// A literal or folded block: lines indented deeper than `above` belong to `owner`.
    Block { owner: usize, above: usize },
    /// A flow collection or quoted scalar that continues on the next lines.
    Flow { owner: usize, scan: FlowScan },
}

impl Outline {
    fn end(&self, id: usize) -> usize {
        let node = &self.nodes[id];
        node.children
            .iter()
            .map(|&child| self.end(child))
            .fold(node.last, usize::max)
    }

    fn children(&self, place: Place) -> &[usize] {
        match place {
            Place::Root => &self.roots,
            Place::Node(id) => &self.nodes[id].children,
        }
    }

    fn child_key(&self, place: Place, key: &str) -> Option<usize> {
        self.children(place)
            .iter()
            .copied()
            .find(|&id| self.nodes[id].key.as_deref() == Some(key))
    }

    fn items(&self, place: Place) -> Vec<usize> {
        self.children(place)
            .iter()
            .copied()
            .filter(|&id| self.nodes[id].key.is_none())
            .collect()
    }

    /// The usual indentation step between a key and its child keys (the most frequent one,
    /// so Talos' 4 wins over the 2 of its embedded documents); 2 when unknown.
    fn step(&self) -> usize {
        let mut counts = std::collections::BTreeMap::<usize, usize>::new();
        for node in self.nodes.iter().filter(|node| node.key.is_some()) {
            let Some(parent) = node.parent.map(|parent| &self.nodes[parent]) else {
                continue;
            };
            if parent.key.is_some() && node.column > parent.column {
                *counts.entry(node.column - parent.column).or_default() += 1;
            }
        }
        let most = counts
            .iter()
            .max_by_key(|(step, count)| (**count, std::cmp::Reverse(**step)));
        most.map_or(2, |(step, _)| *step)
    }

    /// True when some sequence sits level with its key (`key:` then `- item` below the `k`).
    fn compact_sequences(&self) -> Option<bool> {
        self.nodes
            .iter()
            .filter(|node| node.key.is_none())
            .find_map(|item| {
                let parent = &self.nodes[item.parent?];
                parent.key.as_ref()?;
                (parent.line != item.line).then_some(parent.column == item.column)
            })
    }

    fn push(&mut self, stack: &mut Vec<usize>, mut node: Node) -> usize {
        let is_item = node.key.is_none();
        while let Some(&top) = stack.last() {
            let above = &self.nodes[top];
            let pop = if is_item {
                above.column > node.column || (above.column == node.column && above.key.is_none())
            } else {
                above.column >= node.column
            };
            if !pop {
                break;
            }
            stack.pop();
        }
        let id = self.nodes.len();
        node.parent = stack.last().copied();
        match node.parent {
            Some(parent) => self.nodes[parent].children.push(id),
            None => self.roots.push(id),
        }
        self.nodes.push(node);
        stack.push(id);
        id
    }
}

impl YamlLines {
    pub(crate) fn new(text: &str) -> YamlLines {
        let body = text.strip_suffix('\n').unwrap_or(text);
        let lines: Vec<String> = if text.is_empty() {
            Vec::new()
        } else {
            body.split('\n').map(String::from).collect()
        };
        let crlf = lines.first().is_some_and(|line| line.ends_with('\r'));
        YamlLines { lines, crlf }
    }

    /// The document as text, ending with a line break.
    pub(crate) fn render(&self) -> String {
        if self.lines.is_empty() {
            return String::new();
        }
        let mut text = self.lines.join("\n");
        text.push('\n');
        text
    }

    pub(crate) fn apply(&mut self, edit: &Edit, expected: &Value) -> Fit<()> {
        if self.outline().tabs {
            return Err(Unsupported("tab indentation"));
        }
        match edit {
            Edit::SetString { path, key, value } => self.set_string(path, key, value),
            Edit::Sequence {
                path,
                key,
                block,
                style,
            } => {
                let mut full = path.clone();
                full.push(Seg::Key(key.clone()));
                let wanted = match value_at(expected, &full) {
                    Some(Value::Sequence(items)) => Some(items.clone()),
                    None => None,
                    Some(_) => return Err(Unsupported("sequence expected")),
                };
                self.sequence(path, key, &block.owned, &block.slots, *style, wanted)
            }
            Edit::SetText { path, text } => self.set_text(path, text),
        }
    }

    fn content(&self, line: usize) -> &str {
        self.lines[line].trim_end_matches('\r')
    }

    fn new_line(&self, text: String) -> String {
        if self.crlf { text + "\r" } else { text }
    }

    fn outline(&self) -> Outline {
        let mut outline = Outline::default();
        let mut stack: Vec<usize> = Vec::new();
        let mut opaque: Option<Opaque> = None;
        for line in 0..self.lines.len() {
            let text = self.content(line);
            match opaque.as_mut() {
                Some(Opaque::Block { owner, above }) => {
                    if text.trim().is_empty() {
                        continue;
                    }
                    if indent_of(text) > *above {
                        outline.nodes[*owner].last = line;
                        continue;
                    }
                    opaque = None;
                }
                Some(Opaque::Flow { owner, scan }) => {
                    outline.nodes[*owner].last = line;
                    scan.feed(text);
                    if scan.closed() {
                        opaque = None;
                    }
                    continue;
                }
                None => {}
            }
            let trimmed = text.trim_start_matches(' ');
            if trimmed.starts_with('\t') {
                outline.tabs = true;
            }
            let bare = trimmed.trim();
            if bare.is_empty() || bare.starts_with('#') || is_marker(text) {
                continue;
            }
            opaque = self.outline_line(&mut outline, &mut stack, line, text.len() - trimmed.len());
        }
        outline
    }

    /// Adds the keys and items that start on `line` (content from `column` on).
    fn outline_line(
        &self,
        outline: &mut Outline,
        stack: &mut Vec<usize>,
        line: usize,
        mut column: usize,
    ) -> Option<Opaque> {
        let text = self.content(line);
        let mut item_on_line: Option<usize> = None;
        loop {
            let rest = &text[column..];
            if rest == "-" || rest.starts_with("- ") || rest.starts_with("-\t") {
                let value_column = column + 1 + leading_blanks(&rest[1..]);
                let node = node(None, line, column, column + 1, value_column);
                let id = outline.push(stack, node);
                item_on_line = Some(id);
                if value_column >= text.len() || text[value_column..].starts_with('#') {
                    return None;
                }
                column = value_column;
                continue;
            }
            if let Some((key, colon)) = key_at(rest) {
                let colon_end = column + colon;
                let value_column = colon_end + leading_blanks(&text[colon_end..]);
                let id = outline.push(
                    stack,
                    node(Some(key), line, column, colon_end, value_column),
                );
                let inline = inline_value(&text[value_column..]);
                let opaque = opaque_after(&inline, id, column);
                outline.nodes[id].inline = inline;
                return opaque;
            }
            return match item_on_line {
                Some(id) => {
                    let inline = inline_value(rest);
                    let opaque = opaque_after(&inline, id, outline.nodes[id].column);
                    outline.nodes[id].inline = inline;
                    opaque
                }
                None => {
                    // A plain scalar continued from the line above.
                    if let Some(&top) = stack.last() {
                        outline.nodes[top].last = line;
                    }
                    None
                }
            };
        }
    }

    /// Finds `path`; `Ok(None)` when a key on the way is missing.
    fn locate(&self, outline: &Outline, path: &[Seg]) -> Option<Place> {
        let mut place = Place::Root;
        for seg in path {
            place = Place::Node(self.step_into(outline, place, seg)?);
        }
        Some(place)
    }

    fn step_into(&self, outline: &Outline, place: Place, seg: &Seg) -> Option<usize> {
        match seg {
            Seg::Key(key) => outline.child_key(place, key),
            Seg::Index(i) => outline.items(place).get(*i).copied(),
            Seg::ItemWith(key, wanted) => outline.items(place).into_iter().find(|&item| {
                outline
                    .child_key(Place::Node(item), key)
                    .is_some_and(|found| unquote(&outline.nodes[found].inline) == *wanted)
            }),
        }
    }

    /// Finds the mapping at `path`, adding missing keys on the way.
    fn ensure_mapping(&mut self, path: &[Seg]) -> Fit<Place> {
        let mut place = Place::Root;
        for seg in path {
            let outline = self.outline();
            place = match self.step_into(&outline, place, seg) {
                Some(id) => Place::Node(id),
                None => {
                    let Seg::Key(key) = seg else {
                        return Err(Unsupported("missing list item"));
                    };
                    let line =
                        self.insert_child(&outline, place, vec![format!("{}:", render_key(key))])?;
                    let outline = self.outline();
                    let id = outline
                        .children(place)
                        .iter()
                        .copied()
                        .find(|&id| outline.nodes[id].line == line);
                    Place::Node(id.ok_or(Unsupported("inserted key not found"))?)
                }
            };
        }
        Ok(place)
    }

    /// Inserts lines (indented as children of `place`) after the last line of `place`.
    fn insert_child(&mut self, outline: &Outline, place: Place, lines: Vec<String>) -> Fit<usize> {
        self.open_container(outline, place)?;
        let indent = " ".repeat(self.child_indent(outline, place));
        let at = self.after(outline, place);
        for (offset, line) in lines.into_iter().enumerate() {
            let text = if line.is_empty() {
                line
            } else {
                format!("{indent}{line}")
            };
            self.lines.insert(at + offset, self.new_line(text));
        }
        Ok(at)
    }

    /// The line index just after `place` and everything in it.
    fn after(&self, outline: &Outline, place: Place) -> usize {
        match place {
            Place::Root => outline
                .roots
                .last()
                .map_or(self.lines.len(), |&last| outline.end(last) + 1),
            Place::Node(id) => outline.end(id) + 1,
        }
    }

    fn child_indent(&self, outline: &Outline, place: Place) -> usize {
        let children = outline.children(place);
        if let Some(&first) = children.iter().find(|&&id| outline.nodes[id].key.is_some()) {
            return outline.nodes[first].column;
        }
        match place {
            Place::Root => 0,
            Place::Node(id) => {
                let node = &outline.nodes[id];
                if node.key.is_some() {
                    node.column + outline.step()
                } else {
                    node.value_column
                }
            }
        }
    }

    /// Makes a key with an empty value (`key:`, `key: {}`, `key: null`) ready for children.
    fn open_container(&mut self, outline: &Outline, place: Place) -> Fit<()> {
        let Place::Node(id) = place else {
            return Ok(());
        };
        let node = &outline.nodes[id];
        if node.inline.is_empty() || !node.children.is_empty() {
            return Ok(());
        }
        if !matches!(
            node.inline.as_str(),
            "{}" | "[]" | "null" | "~" | "Null" | "NULL"
        ) || node.key.is_none()
        {
            return Err(Unsupported("value on the key line"));
        }
        let text = self.content(node.line);
        let (_, comment) = split_comment(&text[node.colon_end..]);
        let replaced = format!("{}{comment}", &text[..node.colon_end]);
        self.lines[node.line] = self.new_line(replaced);
        Ok(())
    }

    fn set_string(&mut self, path: &[Seg], key: &str, value: &str) -> Fit<()> {
        let place = self.ensure_mapping(path)?;
        let outline = self.outline();
        let Some(id) = outline.child_key(place, key) else {
            let line = format!(
                "{}: {}",
                render_key(key),
                render_scalar(value, Quote::Plain, false)
            );
            self.insert_child(&outline, place, vec![line])?;
            return Ok(());
        };
        let node = &outline.nodes[id];
        let text = self.content(node.line);
        let head = &text[..node.colon_end];
        let quote = quote_of(&node.inline);
        let rendered = render_scalar(value, quote, false);
        let single_line = node.children.is_empty() && outline.end(id) == node.line;
        let replaced = if single_line {
            let (_, comment) = split_comment(&text[node.colon_end..]);
            format!("{head} {rendered}{comment}")
        } else {
            format!("{head} {rendered}")
        };
        let replaced = self.new_line(replaced);
        self.lines.splice(node.line..=outline.end(id), [replaced]);
        Ok(())
    }

    fn sequence(
        &mut self,
        path: &[Seg],
        key: &str,
        owned: &[usize],
        slots: &[Slot<Item>],
        style: SequenceStyle,
        wanted: Option<Vec<Value>>,
    ) -> Fit<()> {
        let existing = {
            let outline = self.outline();
            self.locate(&outline, path)
                .and_then(|place| outline.child_key(place, key))
        };
        let Some(wanted) = wanted else { return Ok(()) };
        let place = self.ensure_mapping(path)?;
        let outline = self.outline();
        let dash_offset = |outline: &Outline| match outline.compact_sequences() {
            Some(true) => 0,
            Some(false) => outline.step(),
            None if style.indented => outline.step(),
            None => 0,
        };
        let Some(id) = existing.and_then(|_| outline.child_key(place, key)) else {
            let items = wanted
                .iter()
                .map(|value| item_for(value, slots))
                .collect::<Fit<Vec<_>>>()?;
            let dash = dash_offset(&outline);
            let mut lines = vec![format!("{}:", render_key(key))];
            for item in &items {
                lines.extend(render_item(item, dash, 2, style.quote, false)?);
            }
            self.insert_child(&outline, place, lines)?;
            return Ok(());
        };
        let items = outline.items(Place::Node(id));
        if items.is_empty() {
            return self.rewrite_sequence(
                &outline,
                id,
                &wanted,
                slots,
                dash_offset(&outline),
                style.quote,
            );
        }
        self.splice_sequence(&outline, &items, owned, slots)
    }

    /// Replaces a non-block value (`[]`, `[a, b]`, a lone string, nothing) with a block sequence.
    fn rewrite_sequence(
        &mut self,
        outline: &Outline,
        id: usize,
        wanted: &[Value],
        slots: &[Slot<Item>],
        dash: usize,
        quote: Quote,
    ) -> Fit<()> {
        let node = &outline.nodes[id];
        let text = self.content(node.line);
        let head = &text[..node.colon_end];
        let mut lines = Vec::new();
        if wanted.is_empty() {
            lines.push(format!("{head} []"));
        } else {
            lines.push(head.to_string());
            let indent = node.column + dash;
            for value in wanted {
                let item = item_for(value, slots)?;
                for line in render_item(&item, indent, 2, quote, false)? {
                    lines.push(line);
                }
            }
        }
        let lines: Vec<String> = lines.into_iter().map(|line| self.new_line(line)).collect();
        self.lines.splice(node.line..=outline.end(id), lines);
        Ok(())
    }

    /// Rewrites a block sequence: owned items leave, the block goes where the first one was.
    fn splice_sequence(
        &mut self,
        outline: &Outline,
        items: &[usize],
        owned: &[usize],
        slots: &[Slot<Item>],
    ) -> Fit<()> {
        let first = &outline.nodes[items[0]];
        let dash = first.column;
        for &item in items {
            let node = &outline.nodes[item];
            if !self.content(node.line)[..node.column].trim().is_empty() {
                return Err(Unsupported("item shares its line"));
            }
        }
        let offset = first.value_column.saturating_sub(dash).max(2);
        let quote = items
            .iter()
            .map(|&item| quote_of(&outline.nodes[item].inline))
            .next()
            .unwrap_or(Quote::Plain);
        let flow_maps = items
            .iter()
            .any(|&item| outline.nodes[item].inline.starts_with('{'));
        let ranges: Vec<(usize, usize)> = items
            .iter()
            .map(|&item| (outline.nodes[item].line, outline.end(item)))
            .collect();
        if owned.iter().any(|&i| i >= ranges.len()) {
            return Err(Unsupported("owned item out of range"));
        }
        let mut block = Vec::new();
        for slot in slots {
            match slot {
                Slot::Existing(i) => {
                    let (start, end) = *ranges
                        .get(*i)
                        .ok_or(Unsupported("reused item out of range"))?;
                    block.extend(self.lines[start..=end].iter().cloned());
                }
                Slot::New(item) => {
                    let lines = render_item(item, dash, offset, quote, flow_maps)?;
                    block.extend(lines.into_iter().map(|line| self.new_line(line)));
                }
            }
        }
        let insert_at = owned
            .first()
            .map_or(ranges[ranges.len() - 1].1 + 1, |&i| ranges[i].0);
        let deleted = |line: usize| {
            owned
                .iter()
                .any(|&i| (ranges[i].0..=ranges[i].1).contains(&line))
        };
        let mut lines = Vec::with_capacity(self.lines.len() + block.len());
        let mut block = Some(block);
        for (index, line) in self.lines.iter().enumerate() {
            if index == insert_at
                && let Some(block) = block.take()
            {
                lines.extend(block);
            }
            if !deleted(index) {
                lines.push(line.clone());
            }
        }
        if let Some(block) = block {
            lines.extend(block);
        }
        if owned.len() == items.len() && slots.is_empty() {
            return Err(Unsupported("sequence becomes empty"));
        }
        self.lines = lines;
        Ok(())
    }

    fn set_text(&mut self, path: &[Seg], value: &str) -> Fit<()> {
        let outline = self.outline();
        let Some(Place::Node(id)) = self.locate(&outline, path) else {
            return Err(Unsupported("text not found"));
        };
        let node = &outline.nodes[id];
        let header = node.inline.split_whitespace().next().unwrap_or_default();
        if header != "|" && header != "|-" && header != "|+" {
            return Err(Unsupported("not a literal block"));
        }
        if value.starts_with([' ', '\t', '\n']) || value.contains('\r') {
            return Err(Unsupported("text needs an indentation indicator"));
        }
        let end = outline.end(id);
        let indent = (node.line + 1..=end)
            .map(|line| self.content(line))
            .find(|text| !text.trim().is_empty())
            .map_or(node.column + outline.step(), indent_of);
        let text = self.content(node.line);
        let (_, comment) = split_comment(&text[node.value_column..]);
        let mut lines = vec![format!(
            "{}{}{comment}",
            &text[..node.value_column],
            chomping(value)
        )];
        lines.extend(literal_lines(value, indent));
        let lines: Vec<String> = lines.into_iter().map(|line| self.new_line(line)).collect();
        self.lines.splice(node.line..=end, lines);
        Ok(())
    }
}

fn node(
    key: Option<String>,
    line: usize,
    column: usize,
    colon_end: usize,
    value_column: usize,
) -> Node {
    Node {
        key,
        line,
        column,
        colon_end,
        value_column,
        inline: String::new(),
        parent: None,
        children: Vec::new(),
        last: line,
    }
}

/// The item kwif means for a value of the new sequence: the new entry's own item when it is one
/// (a flag is a scalar even when it holds a line break: never a literal block that would show it
/// as a line of its own), else the item the value reads as.
fn item_for(value: &Value, slots: &[Slot<Item>]) -> Fit<Item> {
    let new = slots.iter().find_map(|slot| match slot {
        Slot::New(item) if item.to_value() == *value => Some(item.clone()),
        _ => None,
    });
    new.map_or_else(|| item_of(value), Ok)
}

fn item_of(value: &Value) -> Fit<Item> {
    match value {
        Value::String(text) if text.contains('\n') => Ok(Item::Literal(text.clone())),
        Value::String(text) => Ok(Item::Scalar(text.clone())),
        Value::Mapping(map) if map.len() == 2 => {
            match (
                map.get("name").and_then(Value::as_str),
                map.get("value").and_then(Value::as_str),
            ) {
                (Some(name), Some(value)) => {
                    Ok(Item::NameValue(name.to_string(), value.to_string()))
                }
                _ => Err(Unsupported("list item is not name/value")),
            }
        }
        _ => Err(Unsupported("list item kind")),
    }
}

/// The lines of one new sequence item, its dash at column `dash`, content `offset` further.
fn render_item(
    item: &Item,
    dash: usize,
    offset: usize,
    quote: Quote,
    flow_maps: bool,
) -> Fit<Vec<String>> {
    let pad = " ".repeat(dash);
    let gap = " ".repeat(offset.saturating_sub(1).max(1));
    Ok(match item {
        Item::Scalar(text) => vec![format!("{pad}-{gap}{}", render_scalar(text, quote, false))],
        Item::NameValue(name, value) if flow_maps => vec![format!(
            "{pad}-{gap}{{name: {}, value: {}}}",
            render_scalar(name, Quote::Plain, true),
            render_scalar(value, Quote::Plain, true)
        )],
        Item::NameValue(name, value) => vec![
            format!(
                "{pad}-{gap}name: {}",
                render_scalar(name, Quote::Plain, false)
            ),
            format!(
                "{pad} {gap}value: {}",
                render_scalar(value, Quote::Plain, false)
            ),
        ],
        Item::Literal(text) => {
            if text.starts_with([' ', '\t', '\n']) || text.contains('\r') {
                return Err(Unsupported("literal needs an indentation indicator"));
            }
            if text.chars().any(|c| c != '\n' && needs_escape(c)) {
                return Err(Unsupported("literal with a control character"));
            }
            let mut lines = vec![format!("{pad}-{gap}{}", chomping(text))];
            lines.extend(literal_lines(text, dash + offset));
            lines
        }
    })
}

fn opaque_after(inline: &str, owner: usize, above: usize) -> Option<Opaque> {
    let mut value = inline;
    while value.starts_with(['&', '!']) {
        value = value
            .split_once([' ', '\t'])
            .map_or("", |(_, rest)| rest.trim_start());
    }
    if value.starts_with(['|', '>']) {
        return Some(Opaque::Block { owner, above });
    }
    if value.starts_with(['[', '{', '"', '\'']) {
        let mut scan = FlowScan::default();
        scan.feed(value);
        if !scan.closed() {
            return Some(Opaque::Flow { owner, scan });
        }
    }
    None
}

/// Tracks brackets and quotes of a flow value over several lines.
#[derive(Default)]
struct FlowScan {
    depth: i64,
    quote: Option<char>,
}

impl FlowScan {
    fn feed(&mut self, line: &str) {
        let mut previous = ' ';
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match self.quote {
                Some('"') => {
                    if c == '\\' {
                        chars.next();
                    } else if c == '"' {
                        self.quote = None;
                    }
                }
                Some(_) => {
                    if c == '\'' {
                        if chars.peek() == Some(&'\'') {
                            chars.next();
                        } else {
                            self.quote = None;
                        }
                    }
                }
                None => match c {
                    '#' if previous.is_whitespace() => return,
                    '"' | '\'' if previous.is_whitespace() || "[{,:".contains(previous) => {
                        self.quote = Some(c);
                    }
                    '[' | '{' => self.depth += 1,
                    ']' | '}' => self.depth -= 1,
                    _ => {}
                },
            }
            previous = c;
        }
    }

    fn closed(&self) -> bool {
        self.depth <= 0 && self.quote.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys_of(text: &str) -> Vec<(Option<String>, usize, usize)> {
        let lines = YamlLines::new(text);
        let outline = lines.outline();
        outline
            .nodes
            .iter()
            .map(|node| (node.key.clone(), node.line, node.column))
            .collect()
    }

    #[test]
    fn outline_follows_indentation_and_compact_sequences() {
        let text = "a:\n  b: 1\nlist:\n- name: x\n  value: y\n- plain\nc: |\n  d: not a key\n";
        let outline = YamlLines::new(text).outline();
        let names: Vec<_> = outline
            .nodes
            .iter()
            .map(|node| node.key.clone().unwrap_or("-".into()))
            .collect();
        assert_eq!(names, ["a", "b", "list", "-", "name", "value", "-", "c"]);
        let list = outline
            .nodes
            .iter()
            .position(|node| node.key.as_deref() == Some("list"))
            .unwrap();
        assert_eq!(outline.items(Place::Node(list)).len(), 2);
        assert_eq!(outline.end(7), 7);
    }

    #[test]
    fn urls_in_items_are_not_keys() {
        assert_eq!(keys_of("- --issuer=https://x:6443/a\n"), vec![(None, 0, 0)]);
        assert_eq!(key_at("https://x"), None);
        assert_eq!(key_at("\"quoted key\": v"), Some(("quoted key".into(), 13)));
        assert_eq!(key_at("key: v # c"), Some(("key".into(), 4)));
    }

    #[test]
    fn crlf_lines_stay_crlf() {
        let mut lines = YamlLines::new("a:\r\n  b: 1\r\n");
        let expected: Value = serde_yaml::from_str("a: {b: 1, c: x}").unwrap();
        lines
            .apply(&Edit::set(&["a"], "c", "x"), &expected)
            .unwrap();
        assert_eq!(lines.render(), "a:\r\n  b: 1\r\n  c: x\r\n");
    }
}
