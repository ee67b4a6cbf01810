//! `kwif demo` driven end to end in a real terminal (tmux send-keys / capture-pane): start,
//! apply all, see six ok, quit with exit 0 and a restored terminal; and the drifted scenario
//! repaired. Needs tmux (`bash scripts/test.sh` installs it).

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
    tmux.keys("q");
    // The command line says EN''D, so only the output line ends in END.
    let screen = tmux.wait_for_line(|line| line.ends_with(" END"), "");
    assert!(
        screen.lines().any(|line| line.trim() == "EXIT=0"),
        "kwif did not exit 0:\n{screen}"
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
