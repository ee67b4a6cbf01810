//! `kwif demo` driven end to end in a real terminal (tmux send-keys / capture-pane): start,
//! apply all, see six ok, quit with exit 0 and a restored terminal; and the drifted scenario
//! repaired; the pickers of the edit form on the demo, and a first run written through pickers
//! alone against `kwif sandbox serve`. Needs tmux (`bash scripts/test.sh` installs it).

use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(name: &str, command: &str) -> Tmux {
        let socket = format!("kwif-test-{}-{name}", std::process::id());
        let tmux = Tmux { socket };
        let status = tmux.run(&[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            "100",
            "-y",
            "30",
            "bash --norc --noprofile",
        ]);
        assert!(
            status,
            "tmux is not installed: run `bash scripts/test.sh`, which installs it"
        );
        tmux.run(&["send-keys", "-t", "t", command, "Enter"]);
        tmux
    }

    fn run(&self, args: &[&str]) -> bool {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .status()
            .is_ok_and(|s| s.success())
    }

    fn keys(&self, keys: &str) {
        self.run(&["send-keys", "-t", "t", keys]);
    }

    fn screen(&self) -> String {
        let output = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-t", "t"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Waits until the screen shows `text`; on timeout fails with the screen as it is.
    fn wait_for(&self, text: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "waited {timeout:?} for {text:?}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits (briefly) until some line of the screen satisfies `matches`.
    fn wait_for_line(&self, matches: impl Fn(&str) -> bool, last: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut screen = last.to_string();
        while !screen.lines().any(|line| matches(line.trim_end())) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
            screen = self.screen();
        }
        screen
    }

    /// The line of the picker's selected entry (`▸ …`), if a picker shows one.
    fn selected_entry(&self) -> Option<String> {
        self.screen()
            .lines()
            .find(|line| line.contains('▸'))
            .map(|line| {
                line.trim_matches(|c: char| c == '│' || c.is_whitespace())
                    .to_string()
            })
    }

    /// The line of the focused form field (the one marked ▶), trimmed.
    fn focused_field(&self) -> Option<String> {
        self.screen()
            .lines()
            .find(|line| line.contains('▶'))
            .map(|line| {
                line.trim_matches(|c: char| c == '│' || c.is_whitespace())
                    .to_string()
            })
    }

    /// Polls (at most 5 s) until `read` answers something other than `before`.
    fn wait_change(&self, before: &Option<String>, read: impl Fn(&Self) -> Option<String>) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while read(self) == *before && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The path of the focused form field: the word after `▶`.
    fn focused_path(&self) -> Option<String> {
        let line = self.focused_field()?;
        let after = line.split('▶').nth(1)?;
        after.split_whitespace().next().map(str::to_string)
    }

    /// Tabs (each once the focus moved on screen) until the form field `path` has the focus.
    fn focus(&self, path: &str) {
        for _ in 0..20 {
            let focused = self.focused_path();
            if focused.as_deref() == Some(path) {
                return;
            }
            self.keys("Tab");
            self.wait_change(&focused, Self::focused_path);
        }
        panic!(
            "the form never focused {path}; the screen:\n{}",
            self.screen()
        );
    }

    /// Selects `step` in the steps list (each key after the screen redrew) and opens its form.
    fn open_form(&self, step: &str) {
        let marker = format!("▶ {step} ");
        for key in ["Home"].into_iter().chain(std::iter::repeat_n("Down", 6)) {
            let focused = self.focused_field();
            if focused
                .as_deref()
                .is_some_and(|line| line.contains(&marker))
            {
                self.keys("e");
                self.wait_for(&format!("edit {step}"), Duration::from_secs(10));
                return;
            }
            self.keys(key);
            self.wait_change(&focused, Self::focused_field);
        }
        panic!("{step} was never selected; the screen:\n{}", self.screen());
    }

    /// Esc until the form is gone and the steps' keys are back (the first Esc may only close
    /// a picker).
    fn close_form(&self) {
        for _ in 0..3 {
            let screen = self.screen();
            if !screen.contains("┌ edit ") && screen.contains("e edit") {
                return;
            }
            self.keys("Escape");
            self.wait_change(&Some(screen), |tmux| Some(tmux.screen()));
        }
        self.wait_for_line(|line| line.contains("e edit"), "");
    }

    /// Focuses the form field `path`, then moves its picker to the entry that starts with
    /// `entry` and chooses it with Enter; fails with the screen when the entry never comes.
    fn pick(&self, path: &str, entry: &str) {
        self.focus(path);
        let wanted = format!("▸ {entry}");
        self.wait_for_line(|line| line.contains("type to filter"), "");
        for _ in 0..40 {
            let selected = self.selected_entry();
            if selected
                .as_deref()
                .is_some_and(|line| line.starts_with(&wanted))
            {
                self.keys("Enter");
                // Chosen: the picker closes (its marker goes) once the form has taken the value.
                self.wait_change(&selected, Self::selected_entry);
                return;
            }
            self.keys("Down");
            self.wait_change(&selected, Self::selected_entry);
        }
        panic!(
            "the picker of {path} never offered {entry:?}; the screen:\n{}",
            self.screen()
        );
    }

    /// Applies everything: `A`, then `y` for each confirmation until six steps are ok.
    fn apply_all_until_six_ok(&self) {
        self.keys("A");
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let screen = self.screen();
            if screen.contains("✓ 6 of 6 ok") {
                return;
            }
            if screen.contains("apply all?") {
                self.keys("y");
            }
            assert!(
                Instant::now() < deadline,
                "six ok never came; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

fn demo_command(scenario: &str) -> String {
    format!(
        "{} demo --scenario {scenario}; echo EXIT=$?; stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; echo EN''D",
        env!("CARGO_BIN_EXE_kwif")
    )
}

fn quit_and_check_terminal(tmux: &Tmux) {
    quit_and_check_terminal_exits(tmux, 0);
}

/// Quits with `q`: kwif exits `code` (1 while a step still has drift or errors, as the
/// command-line contract says) and leaves the terminal as it found it.
fn quit_and_check_terminal_exits(tmux: &Tmux, code: i32) {
    tmux.keys("q");
    // The command line says EN''D, so only the output line ends in END.
    let screen = tmux.wait_for_line(|line| line.ends_with(" END"), "");
    assert!(
        screen
            .lines()
            .any(|line| line.trim() == format!("EXIT={code}")),
        "kwif did not exit {code}:\n{screen}"
    );
    // Canonical mode and echo are back on: the terminal was restored.
    assert!(
        screen.lines().any(|line| line.trim() == "icanon echo END"),
        "the terminal was not restored:\n{screen}"
    );
}

#[test]
fn fresh_demo_is_set_up_with_apply_all_and_quits_cleanly() {
    let tmux = Tmux::start("fresh", &demo_command("fresh"));
    let screen = tmux.wait_for("checked 6 steps", Duration::from_secs(60));
    assert!(screen.contains("0 of 6 ok"), "{screen}");
    assert!(
        screen.contains("issuer") && screen.contains("~ drift"),
        "{screen}"
    );
    tmux.apply_all_until_six_ok();
    let screen = tmux.screen();
    for step in [
        "issuer",
        "hosting",
        "identity",
        "federation",
        "workload",
        "verify",
    ] {
        assert!(
            screen
                .lines()
                .any(|line| line.contains(step) && line.contains("✓ ok")),
            "{step} is not ok:\n{screen}"
        );
    }
    quit_and_check_terminal(&tmux);
}

#[test]
fn drifted_demo_leads_to_the_fixes_and_repairs_them() {
    let tmux = Tmux::start("drifted", &demo_command("drifted"));
    // Every step checked: the first one that needs a fix is selected then.
    let screen = tmux.wait_for("checked 6 steps", Duration::from_secs(60));
    // The first step that needs a fix is selected at start: hosting (the unpublished key).
    let selected = screen
        .lines()
        .find(|line| line.contains('▶'))
        .unwrap_or_default()
        .to_string();
    assert!(selected.contains("hosting"), "{screen}");
    assert!(screen.contains("HOSTING_KEY_NOT_PUBLISHED"), "{screen}");
    tmux.apply_all_until_six_ok();
    quit_and_check_terminal(&tmux);
}

#[test]
fn the_demo_offers_contexts_namespaces_and_roles_in_pickers() {
    let tmux = Tmux::start("pickers", &demo_command("fresh"));
    tmux.wait_for("checked 6 steps", Duration::from_secs(60));
    // The issuer step's form starts on the kubeconfig context, its picker on the current one.
    tmux.open_form("issuer");
    let screen = tmux.wait_for(
        "1 kubeconfig contexts: type to filter",
        Duration::from_secs(20),
    );
    assert!(screen.contains("▸ kwif-sandbox — cluster"), "{screen}");
    tmux.close_form();
    // The workload step: its namespace picker lists the sandbox's namespaces.
    tmux.open_form("workload");
    let screen = tmux.wait_for("namespaces: type to filter", Duration::from_secs(20));
    assert!(
        screen.contains("application1") && screen.contains("analytics"),
        "{screen}"
    );
    tmux.close_form();
    // The identity step: its role field lists the subscription's role definitions.
    tmux.open_form("identity");
    tmux.focus("identity.roles[0].role");
    let screen = tmux.wait_for_line(
        |line| line.contains("role names") && line.contains("type to filter"),
        "",
    );
    assert!(
        screen.contains("Contributor") && screen.contains("Reader"),
        "{screen}"
    );
    tmux.close_form();
    // Nothing was applied: the fresh scenario still has drift.
    quit_and_check_terminal_exits(&tmux, 1);
}

#[test]
fn a_first_run_is_written_through_pickers_alone() {
    let served = crate::support::Served::start("drifted");
    let work = tempfile::tempdir().unwrap();
    let command = format!(
        ". {}/env && cd {} && {}; echo EXIT=$?; echo EN''D",
        served.dir.path().display(),
        work.path().display(),
        env!("CARGO_BIN_EXE_kwif")
    );
    let tmux = Tmux::start("first-run", &command);
    tmux.wait_for("first run", Duration::from_secs(20));
    // Page 1: the context, the detected distribution, the issuer the cluster has now.
    tmux.pick("cluster.context", "kwif-sandbox");
    tmux.pick("cluster.distribution", "k3s — detected");
    tmux.pick("issuer", "https://127.0.0.1:");
    tmux.keys("PageDown");
    // Page 2: the sandbox's static host serves a directory (nginx would need a DNS name,
    // and the sandbox's issuer is on 127.0.0.1).
    tmux.wait_for("2/4", Duration::from_secs(5));
    tmux.keys("Right");
    tmux.keys("Right");
    tmux.wait_for("‹ directory ›", Duration::from_secs(5));
    tmux.keys("Tab");
    tmux.run(&[
        "send-keys",
        "-t",
        "t",
        "-l",
        &served.path("site").display().to_string(),
    ]);
    tmux.keys("PageDown");
    // Page 3: the Azure CLI's login and defaults, then the lists of the subscription.
    tmux.wait_for("3/4", Duration::from_secs(5));
    tmux.pick(
        "azure.tenant",
        "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb — kwif sandbox",
    );
    tmux.pick(
        "azure.subscription",
        "cccccccc-cccc-cccc-cccc-cccccccccccc — kwif sandbox",
    );
    tmux.pick("azure.resourceGroup", "rg-application1");
    tmux.pick("azure.location", "westeurope — West Europe");
    tmux.pick("identity.name", "id-application1");
    tmux.pick("identity.roles[0].role", "Storage Blob Data Reader");
    tmux.pick("identity.roles[0].scope", "st1 — ");
    tmux.pick(
        "identity.roles[1].cosmosDataRole",
        "Cosmos DB Built-in Data Reader",
    );
    tmux.pick("identity.roles[1].account", "cosmos1 — ");
    tmux.keys("PageDown");
    // Page 4: the namespace, a dedicated ServiceAccount, the Deployment.
    tmux.wait_for("4/4", Duration::from_secs(5));
    tmux.pick("workloads[0].namespace", "application1");
    tmux.pick("workloads[0].serviceAccount", "application1-sa");
    tmux.pick("workloads[0].name", "web-server");
    tmux.keys("C-s");
    // The review shows the file to be written; y writes it.
    tmux.wait_for("review: kwif.yaml", Duration::from_secs(5));
    tmux.keys("y");
    // Saved: the wizard opens on it and checks the six steps.
    tmux.wait_for("checked 6 steps", Duration::from_secs(60));
    let written = std::fs::read_to_string(work.path().join("kwif.yaml")).unwrap();
    let profile: serde_yaml::Value = serde_yaml::from_str(&written).unwrap();
    let text = |path: &[&str]| {
        let mut value = &profile;
        for key in path {
            value = match key.parse::<usize>() {
                Ok(index) => &value[index],
                Err(_) => &value[*key],
            };
        }
        value
            .as_str()
            .map_or_else(|| format!("{value:?}"), str::to_string)
    };
    assert_eq!(text(&["cluster", "context"]), "kwif-sandbox", "{written}");
    assert_eq!(text(&["cluster", "distribution"]), "k3s", "{written}");
    let issuer = text(&["issuer"]);
    assert!(
        issuer.starts_with("https://127.0.0.1:") && issuer.ends_with("/cluster1"),
        "{written}"
    );
    // The custom cloud came from the Azure CLI's configuration, with no field for it.
    assert_eq!(text(&["azure", "cloud"]), "custom", "{written}");
    assert_eq!(
        text(&["azure", "subscription"]),
        "cccccccc-cccc-cccc-cccc-cccccccccccc"
    );
    assert_eq!(text(&["azure", "location"]), "westeurope");
    assert_eq!(text(&["identity", "name"]), "id-application1");
    assert_eq!(
        text(&["identity", "roles", "0", "role"]),
        "Storage Blob Data Reader"
    );
    assert!(text(&["identity", "roles", "0", "scope"]).ends_with("/storageAccounts/st1"));
    assert_eq!(
        text(&["identity", "roles", "1", "cosmosDataRole"]),
        "Cosmos DB Built-in Data Reader"
    );
    assert_eq!(text(&["workloads", "0", "namespace"]), "application1");
    assert_eq!(
        text(&["workloads", "0", "serviceAccount"]),
        "application1-sa"
    );
    assert_eq!(text(&["workloads", "0", "name"]), "web-server");
    assert_eq!(text(&["hosting", "kind"]), "directory");
    // Nothing was applied yet: the steps still have work to do, so kwif exits 1.
    tmux.keys("q");
    let screen = tmux.wait_for_line(|line| line == "END", "");
    assert!(
        screen.lines().any(|line| line.trim() == "EXIT=1"),
        "kwif did not exit 1:\n{screen}"
    );
}
