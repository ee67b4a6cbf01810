//! The block of flags kwif owns inside a list of flags (a YAML list, an args file, a command
//! line): which existing entries it replaces and what takes their place. Every entry it does not
//! own keeps its place; an owned entry that already says the right thing is reused as it is.

/// One entry of the block kwif writes: an existing entry reused unchanged, or a new one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Slot<T> {
    Existing(usize),
    New(T),
}

/// The owned entries of a list (indexes, ascending) and the block that replaces them, placed
/// where the first owned entry was, or at the end when there was none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FlagBlock<T> {
    pub owned: Vec<usize>,
    pub slots: Vec<Slot<T>>,
}

impl<T: PartialEq + Clone> FlagBlock<T> {
    /// `existing` has one element per list entry: `Some` for an entry kwif owns (parsed so it
    /// compares with `desired`), `None` for any other entry.
    pub(crate) fn plan(existing: &[Option<T>], desired: Vec<T>) -> FlagBlock<T> {
        let owned: Vec<usize> = existing
            .iter()
            .enumerate()
            .filter(|(_, e)| e.is_some())
            .map(|(i, _)| i)
            .collect();
        let mut reused = Vec::new();
        let slots = desired
            .into_iter()
            .map(|wanted| {
                let same = owned
                    .iter()
                    .copied()
                    .find(|&i| !reused.contains(&i) && existing[i].as_ref() == Some(&wanted));
                match same {
                    Some(i) => {
                        reused.push(i);
                        Slot::Existing(i)
                    }
                    None => Slot::New(wanted),
                }
            })
            .collect();
        FlagBlock { owned, slots }
    }

    /// The list after the change, given the entries before it.
    pub(crate) fn arrange<U: Clone>(&self, entries: &[U], new: impl Fn(&T) -> U) -> Vec<U> {
        let block: Vec<U> = self
            .slots
            .iter()
            .filter_map(|slot| match slot {
                Slot::Existing(i) => entries.get(*i).cloned(),
                Slot::New(value) => Some(new(value)),
            })
            .collect();
        let insert_at = self.owned.first().copied().unwrap_or(entries.len());
        let mut out = Vec::with_capacity(entries.len() + block.len());
        for (i, entry) in entries.iter().enumerate() {
            if i == insert_at {
                out.extend(block.iter().cloned());
            }
            if !self.owned.contains(&i) {
                out.push(entry.clone());
            }
        }
        if insert_at >= entries.len() {
            out.extend(block);
        }
        out
    }

    /// The same block with its new entries turned into another type.
    pub(crate) fn map<U>(self, new: impl Fn(T) -> U) -> FlagBlock<U> {
        let slots = self
            .slots
            .into_iter()
            .map(|slot| match slot {
                Slot::Existing(i) => Slot::Existing(i),
                Slot::New(value) => Slot::New(new(value)),
            })
            .collect();
        FlagBlock {
            owned: self.owned,
            slots,
        }
    }

    /// True when the block is exactly the owned entries, in place: nothing to change.
    pub(crate) fn is_unchanged(&self) -> bool {
        self.slots.len() == self.owned.len()
            && self
                .slots
                .iter()
                .zip(&self.owned)
                .all(|(slot, &i)| *slot == Slot::Existing(i))
            && self.owned.windows(2).all(|pair| pair[1] == pair[0] + 1)
    }
}

/// A `name=value` command-line flag, with or without its leading `--`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Flag {
    pub name: String,
    pub value: String,
}

pub(crate) const ISSUER_FLAG: &str = "service-account-issuer";
pub(crate) const JWKS_URI_FLAG: &str = "service-account-jwks-uri";

impl Flag {
    pub(crate) fn new(name: &str, value: &str) -> Flag {
        Flag {
            name: name.to_string(),
            value: value.to_string(),
        }
    }

    /// Splits `--name=value` (or `name=value`); a bare `--name` gets an empty value.
    pub(crate) fn parse(text: &str) -> Flag {
        let text = text.trim();
        let text = text.strip_prefix("--").unwrap_or(text);
        match text.split_once('=') {
            Some((name, value)) => Flag::new(name, value),
            None => Flag::new(text, ""),
        }
    }

    /// The flag name without k3s' `+` (append) or `-` (prepend) operator.
    pub(crate) fn base_name(&self) -> &str {
        self.name.trim_end_matches(['+', '-'])
    }

    /// True for the two flags kwif sets: the issuer and the JWKS URI.
    pub(crate) fn is_kwif_flag(&self) -> bool {
        matches!(self.base_name(), ISSUER_FLAG | JWKS_URI_FLAG)
    }

    pub(crate) fn is_issuer(&self) -> bool {
        self.base_name() == ISSUER_FLAG
    }

    pub(crate) fn with_dashes(&self) -> String {
        format!("--{}={}", self.name, self.value)
    }

    pub(crate) fn without_dashes(&self) -> String {
        format!("{}={}", self.name, self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_takes_the_place_of_the_first_owned_entry() {
        let existing = [None, Some("a"), None, Some("b"), None];
        let block = FlagBlock::plan(&existing, vec!["x", "b"]);
        assert_eq!(block.owned, vec![1, 3]);
        assert_eq!(block.slots, vec![Slot::New("x"), Slot::Existing(3)]);
        let entries = ["0", "1", "2", "3", "4"];
        let arranged = block.arrange(&entries, |v| if *v == "x" { "X" } else { "?" });
        assert_eq!(arranged, vec!["0", "X", "3", "2", "4"]);
        assert!(!block.is_unchanged());
    }

    #[test]
    fn block_goes_at_the_end_when_nothing_is_owned() {
        let block = FlagBlock::plan(&[None::<&str>, None], vec!["x"]);
        assert_eq!(block.arrange(&["a", "b"], |v| *v), vec!["a", "b", "x"]);
    }

    #[test]
    fn a_block_already_in_place_is_unchanged() {
        let block = FlagBlock::plan(&[None, Some("a"), Some("b")], vec!["a", "b"]);
        assert!(block.is_unchanged());
    }

    #[test]
    fn flags_parse_with_or_without_dashes_and_k3s_operators() {
        let flag = Flag::parse("--service-account-issuer-=https://x");
        assert_eq!(flag.base_name(), "service-account-issuer");
        assert!(flag.is_issuer());
        assert_eq!(flag.value, "https://x");
        assert!(Flag::parse("service-account-jwks-uri=https://x/j").is_kwif_flag());
        assert!(!Flag::parse("--service-account-key-file=/k").is_kwif_flag());
    }
}
