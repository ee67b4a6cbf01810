//! The wizard's keys as data: the main view's keys are dispatched from [`MAIN`] (`update.rs`
//! asks [`command_for`]) and the help overlay is drawn from it, so what the help says is what
//! the keys do; the hint lines name keys of these tables.

use crossterm::event::KeyCode;

/// What a key of the main view does; `update.rs` dispatches on this, never on key codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Up a step, or scroll up in the detail pane.
    Up,
    Down,
    PageUp,
    PageDown,
    /// The first step, or the top of the detail pane.
    First,
    Last,
    FocusSteps,
    FocusDetail,
    OtherPane,
    Open,
    Check,
    CheckAll,
    Plan,
    Apply,
    ApplyAll,
    /// Remove what kwif made, as `kwif destroy`.
    Destroy,
    Edit,
    /// The next language of the verify step's "your application" code.
    Language,
    Help,
    Quit,
}

/// One key or key group with what each key does, its short hint and its help sentence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyBinding {
    /// How the help shows the keys.
    pub keys: &'static str,
    pub bound: &'static [(KeyCode, Command)],
    pub hint: &'static str,
    pub help: &'static str,
}

const fn key(
    keys: &'static str,
    bound: &'static [(KeyCode, Command)],
    hint: &'static str,
    help: &'static str,
) -> KeyBinding {
    KeyBinding {
        keys,
        bound,
        hint,
        help,
    }
}

/// Every key of the main view, in the order the help lists them: the one table the help
/// overlay is drawn from and `update.rs` dispatches by.
pub const MAIN: &[KeyBinding] = &[
    key(
        "↑↓ jk",
        &[
            (KeyCode::Up, Command::Up),
            (KeyCode::Down, Command::Down),
            (KeyCode::Char('k'), Command::Up),
            (KeyCode::Char('j'), Command::Down),
        ],
        "move",
        "move between steps; in the detail pane, scroll",
    ),
    key(
        "Enter",
        &[(KeyCode::Enter, Command::Open)],
        "open",
        "open the step: its detail, planned when it needs a fix",
    ),
    key(
        "Tab ←→ hl",
        &[
            (KeyCode::Tab, Command::OtherPane),
            (KeyCode::BackTab, Command::OtherPane),
            (KeyCode::Left, Command::FocusSteps),
            (KeyCode::Right, Command::FocusDetail),
            (KeyCode::Char('h'), Command::FocusSteps),
            (KeyCode::Char('l'), Command::FocusDetail),
        ],
        "pane",
        "switch between the step list and the detail pane",
    ),
    key(
        "c",
        &[(KeyCode::Char('c'), Command::Check)],
        "check",
        "check the selected step again",
    ),
    key(
        "C",
        &[(KeyCode::Char('C'), Command::CheckAll)],
        "check all",
        "check every step again",
    ),
    key(
        "p",
        &[(KeyCode::Char('p'), Command::Plan)],
        "plan",
        "plan the selected step: a diff of the changes, nothing applied",
    ),
    key(
        "a",
        &[(KeyCode::Char('a'), Command::Apply)],
        "apply",
        "apply the selected step: shows what will change and asks y/n",
    ),
    key(
        "A",
        &[(KeyCode::Char('A'), Command::ApplyAll)],
        "apply all",
        "apply every step with drift or errors, after one y/n",
    ),
    key(
        "D",
        &[(KeyCode::Char('D'), Command::Destroy)],
        "destroy",
        "remove what kwif made, in reverse order, after one y/n",
    ),
    key(
        "e",
        &[(KeyCode::Char('e'), Command::Edit)],
        "edit",
        "edit the profile fields the selected step uses",
    ),
    key(
        "L",
        &[(KeyCode::Char('L'), Command::Language)],
        "language",
        "your application's code (verify, once ok) in the next language",
    ),
    key(
        "PgUp PgDn",
        &[
            (KeyCode::PageUp, Command::PageUp),
            (KeyCode::PageDown, Command::PageDown),
        ],
        "scroll",
        "scroll the detail pane by a page",
    ),
    key(
        "Home End",
        &[
            (KeyCode::Home, Command::First),
            (KeyCode::End, Command::Last),
        ],
        "first/last",
        "the first or last step; in the detail pane, its top or bottom",
    ),
    key(
        "?",
        &[(KeyCode::Char('?'), Command::Help)],
        "help",
        "show this help",
    ),
    key(
        "Esc",
        &[(KeyCode::Esc, Command::FocusSteps)],
        "back",
        "back to the steps; close a dialog; stop an apply after its step",
    ),
    key(
        "q",
        &[(KeyCode::Char('q'), Command::Quit)],
        "quit",
        "quit; an apply in progress finishes its current step first",
    ),
];

/// What `code` does in the main view, if anything.
pub fn command_for(code: KeyCode) -> Option<Command> {
    MAIN.iter()
        .flat_map(|binding| binding.bound.iter())
        .find(|(bound, _)| *bound == code)
        .map(|(_, command)| *command)
}

/// The hint line of the main view (steps focused); on narrow screens the ones before the last
/// two are dropped from the end, so the most useful come first.
pub const STEPS_HINTS: &[(&str, &str)] = &[
    ("↑↓", "move"),
    ("Enter", "open"),
    ("a", "apply"),
    ("A", "apply all"),
    ("c", "check"),
    ("p", "plan"),
    ("e", "edit"),
    ("?", "help"),
    ("q", "quit"),
];

pub const DETAIL_HINTS: &[(&str, &str)] = &[
    ("↑↓", "scroll"),
    ("Esc", "steps"),
    ("a", "apply"),
    ("p", "plan"),
    ("e", "edit"),
    ("?", "help"),
    ("q", "quit"),
];

pub const HELP_HINTS: &[(&str, &str)] = &[("Esc", "close"), ("q", "quit")];
pub const CONFIRM_HINTS: &[(&str, &str)] = &[("y", "apply"), ("n Esc", "cancel")];
pub const CONFIRM_ALL_HINTS: &[(&str, &str)] = &[
    ("y", "apply"),
    ("n Esc", "cancel"),
    ("↑↓ PgUp PgDn", "scroll the diffs"),
];
pub const CONFIRM_DESTROY_HINTS: &[(&str, &str)] = &[
    ("y", "remove"),
    ("n Esc", "cancel"),
    ("↑↓ PgUp PgDn", "scroll the diffs"),
];
pub const APPLYING_HINTS: &[(&str, &str)] = &[
    ("Esc", "stop after this step"),
    ("q", "quit after this step"),
];
/// The form while a field's picker shows entries.
pub const FORM_PICKER_HINTS: &[(&str, &str)] = &[
    ("↑↓", "pick"),
    ("Enter", "choose"),
    ("Esc", "type freely"),
    ("Tab", "next field"),
    ("Ctrl-S", "save"),
];
pub const FORM_HINTS: &[(&str, &str)] = &[
    ("Tab ↑↓", "field"),
    ("←→", "choose"),
    ("Enter", "next"),
    ("Ctrl-S", "save"),
    ("Esc", "cancel"),
];

/// The form's pages with a list (roles, workloads): Ctrl-N and Ctrl-X, because plain letters
/// are text, tui-input already reads Ctrl-A/B/E/F/H/K/U/W/Y, and Ctrl-D deletes a character
/// in readline (a slip there must not throw away a whole entry). Remove is listed only when
/// the focused entry may go (never the last workload). The order is what survives on narrow
/// screens: both keys share one hint ahead of ←→ so that they still fit 80 columns; add alone
/// comes after ←→, which then still fits 60.
pub const FORM_WORKLOAD_HINTS: &[(&str, &str)] = &[
    ("Tab ↑↓", "field"),
    ("Ctrl-N Ctrl-X", "add/remove workload"),
    ("←→", "choose"),
    ("Enter", "next"),
    ("Ctrl-S", "save"),
    ("Esc", "cancel"),
];
pub const FORM_ADD_WORKLOAD_HINTS: &[(&str, &str)] = &[
    ("Tab ↑↓", "field"),
    ("←→", "choose"),
    ("Ctrl-N", "add workload"),
    ("Enter", "next"),
    ("Ctrl-S", "save"),
    ("Esc", "cancel"),
];
pub const FORM_ROLE_HINTS: &[(&str, &str)] = &[
    ("Tab ↑↓", "field"),
    ("Ctrl-N Ctrl-X", "add/remove role"),
    ("←→", "choose"),
    ("Enter", "next"),
    ("Ctrl-S", "save"),
    ("Esc", "cancel"),
];
pub const FORM_ADD_ROLE_HINTS: &[(&str, &str)] = &[
    ("Tab ↑↓", "field"),
    ("←→", "choose"),
    ("Ctrl-N", "add role"),
    ("Enter", "next"),
    ("Ctrl-S", "save"),
    ("Esc", "cancel"),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// How the help writes a key.
    fn shown(code: KeyCode) -> String {
        match code {
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::Tab | KeyCode::BackTab => "Tab".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Char(c) => c.to_string(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn every_bound_key_is_in_the_help_and_every_help_entry_is_bound() {
        for binding in MAIN {
            assert!(
                !binding.bound.is_empty(),
                "{} is bound to nothing",
                binding.keys
            );
            for (code, _) in binding.bound {
                assert!(
                    binding.keys.contains(&shown(*code)),
                    "{code:?} is bound but the help shows {:?}",
                    binding.keys
                );
            }
        }
    }

    #[test]
    fn no_key_does_two_things() {
        let codes: Vec<KeyCode> = MAIN
            .iter()
            .flat_map(|binding| binding.bound.iter().map(|(code, _)| *code))
            .collect();
        for (index, code) in codes.iter().enumerate() {
            assert!(
                !codes[index + 1..].contains(code),
                "{code:?} is bound twice"
            );
        }
    }

    #[test]
    fn every_hint_names_a_key_of_the_table() {
        for (keys, hint) in STEPS_HINTS.iter().chain(DETAIL_HINTS) {
            let known = MAIN.iter().any(|binding| {
                keys.split_whitespace()
                    .all(|key| binding.keys.contains(key) || binding.keys.contains(*keys))
            });
            assert!(known, "the hint {keys} {hint} names no key of the table");
        }
    }
}
