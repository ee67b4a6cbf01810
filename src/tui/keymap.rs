//! The wizard's keys as data: the help overlay and the hint line are generated from these
//! tables, so what the screen says is what the keys do (update.rs reads the same keys).

/// One key or key group with its short hint and its help sentence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyBinding {
    pub keys: &'static str,
    pub hint: &'static str,
    pub help: &'static str,
}

const fn key(keys: &'static str, hint: &'static str, help: &'static str) -> KeyBinding {
    KeyBinding { keys, hint, help }
}

/// Every key of the main view, in the order the help lists them.
pub const MAIN: &[KeyBinding] = &[
    key(
        "↑↓ jk",
        "move",
        "move between steps; in the detail pane, scroll",
    ),
    key(
        "Enter",
        "open",
        "open the step: focus its detail pane and plan it when it needs a fix",
    ),
    key(
        "Tab ←→",
        "pane",
        "switch between the step list and the detail pane",
    ),
    key("c", "check", "check the selected step again"),
    key("C", "check all", "check every step again"),
    key(
        "p",
        "plan",
        "plan the selected step: the changes as a diff, nothing is applied",
    ),
    key(
        "a",
        "apply",
        "apply the selected step: shows what will change and asks y/n",
    ),
    key(
        "A",
        "apply all",
        "apply every step with drift or errors, after one y/n",
    ),
    key(
        "e",
        "edit",
        "edit the profile fields the selected step uses",
    ),
    key("PgUp PgDn", "scroll", "scroll the detail pane by a page"),
    key("?", "help", "show this help"),
    key(
        "Esc",
        "back",
        "close a dialog; during an apply, stop after the current step",
    ),
    key(
        "q",
        "quit",
        "quit; an apply in progress finishes its current step first",
    ),
];

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
pub const APPLYING_HINTS: &[(&str, &str)] = &[
    ("Esc", "stop after this step"),
    ("q", "quit after this step"),
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
