//! Wrapping text to a width in terminal cells, before rendering, so the wizard knows how many
//! lines a pane holds (scrolling limits) and the detail pane is a plain list of lines.

use ratatui::text::Span;

/// The width of `text` in terminal cells.
pub fn width(text: &str) -> usize {
    Span::raw(text).width()
}

fn char_width(c: char) -> usize {
    let mut buffer = [0; 4];
    width(c.encode_utf8(&mut buffer))
}

/// Word-wraps `text` to `max` cells; words longer than a line are cut. Never empty.
pub fn wrap_words(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut used = 0;
        for word in paragraph.split(' ') {
            let word_width = width(word);
            if used > 0 && used + 1 + word_width > max {
                lines.push(std::mem::take(&mut line));
                used = 0;
            }
            if used > 0 {
                line.push(' ');
                used += 1;
            }
            if word_width > max {
                for piece in wrap_chars(word, max) {
                    if used > 0 {
                        lines.push(std::mem::take(&mut line));
                    }
                    used = width(&piece);
                    line = piece;
                }
            } else {
                line.push_str(word);
                used += word_width;
            }
        }
        lines.push(line);
    }
    lines
}

/// Cuts `text` into pieces of at most `max` cells, keeping every character. Never empty.
pub fn wrap_chars(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut pieces = Vec::new();
    let mut piece = String::new();
    let mut used = 0;
    for c in text.chars() {
        let cells = char_width(c);
        if used + cells > max && !piece.is_empty() {
            pieces.push(std::mem::take(&mut piece));
            used = 0;
        }
        piece.push(c);
        used += cells;
    }
    pieces.push(piece);
    pieces
}

/// `text` cut to `max` cells, with `…` when something was cut.
pub fn truncate(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let cells = char_width(c);
        if used + cells + 1 > max {
            break;
        }
        out.push(c);
        used += cells;
    }
    if max > 0 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_wrap_and_long_words_are_cut() {
        assert_eq!(
            wrap_words("the quick brown fox", 9),
            ["the quick", "brown fox"]
        );
        assert_eq!(wrap_words("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap_words("", 4), [""]);
        assert_eq!(wrap_words("a\nb", 4), ["a", "b"]);
    }

    #[test]
    fn chars_wrap_and_truncate_count_cells() {
        assert_eq!(wrap_chars("+abcdef", 3), ["+ab", "cde", "f"]);
        assert_eq!(truncate("federation", 6), "feder…");
        assert_eq!(truncate("ok", 6), "ok");
    }
}
