//! Benchmarks of the wizard against the targets of the TUI issue, run on the embedded demo:
//! the first frame of `kwif demo` (< 50 ms from start, before the sandbox answers), `kwif
//! check --demo` wall time (< 300 ms for every scenario),
//! idle CPU of the running TUI over 10 s (< 1 % of a core) and its peak memory (< 40 MB).
//! Run with `cargo bench --bench wizard`; the idle and memory figures need tmux.

#![allow(clippy::unwrap_used)] // a panic in a test or benchmark is its failure message

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kwif::demo::{Demo, Scenario};

#[path = "support/measure.rs"]
mod measure;

fn verdict(ok: bool) -> &'static str {
    if ok { "within target" } else { "OVER target" }
}

fn median(times: Vec<Duration>) -> Duration {
    measure::percentiles(times).0
}

/// The text a terminal was sent, each control sequence (`ESC [ … letter`) read as one space
/// and runs of spaces as one: what the screen shows, in drawing order.
fn screen_text(bytes: &[u8]) -> String {
    let mut text = String::new();
    let mut chars = String::from_utf8_lossy(bytes).into_owned();
    chars.push(' ');
    let mut in_sequence = false;
    for character in chars.chars() {
        match (in_sequence, character) {
            (false, '\x1b') => in_sequence = true,
            (true, c) if c.is_ascii_alphabetic() => {
                in_sequence = false;
                text.push(' ');
            }
            (true, _) => {}
            (false, c) if c.is_whitespace() && text.ends_with(' ') => {}
            (false, c) if c.is_whitespace() => text.push(' '),
            (false, c) => text.push(c),
        }
    }
    text
}

/// From spawning `kwif demo` in a pseudo-terminal (`script`) until the terminal shows the
/// header and the six steps marked "… checking": before the sandbox or any cluster has
/// answered. The pseudo-terminal gets its size from `stty` first (a pty made without a
/// terminal around it is 0×0, and the wizard would draw nothing), so the figure includes
/// starting `stty`: a little pessimistic.
fn first_frame_of_the_binary() -> Duration {
    use std::io::Read;
    let start = Instant::now();
    let mut child = Command::new("script")
        .args([
            "-qfec",
            &format!(
                "stty cols 100 rows 30 && exec {} demo",
                env!("CARGO_BIN_EXE_kwif")
            ),
            "/dev/null",
        ])
        .env("TERM", "xterm-256color")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("script (util-linux) runs");
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut buffer = [0_u8; 4096];
    let elapsed = loop {
        let read = stdout.read(&mut buffer).unwrap_or(0);
        if read == 0 {
            break None;
        }
        seen.extend_from_slice(&buffer[..read]);
        let screen = screen_text(&seen);
        if screen.contains("kwif demo") && screen.matches("… checking").count() >= 6 {
            break Some(start.elapsed());
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    elapsed.expect("kwif demo drew its steps")
}

fn first_frame() {
    let runtime = measure::runtime();
    let sandbox_up = runtime.block_on(async {
        let start = Instant::now();
        let demo = Demo::start(Scenario::Fresh).await.unwrap();
        let elapsed = start.elapsed();
        demo.shutdown().await;
        elapsed
    });
    let frame = median((0..10).map(|_| first_frame_of_the_binary()).collect());
    println!("sandbox start (fresh)          {sandbox_up:>9.2?}");
    println!(
        "first frame of `kwif demo`     {frame:>9.2?}  target 50ms   {}",
        verdict(frame < Duration::from_millis(50))
    );
}

/// `kwif check --demo --scenario S` from spawn to exit, for every scenario (target 300 ms).
fn check_demo_wall_time() {
    for scenario in Scenario::ALL.map(Scenario::as_str) {
        let times: Vec<Duration> = (0..10)
            .map(|_| {
                let start = Instant::now();
                let status = Command::new(env!("CARGO_BIN_EXE_kwif"))
                    .args(["check", "--demo", "--scenario", scenario])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .unwrap();
                assert_eq!(
                    status.code(),
                    Some(1),
                    "the {scenario} demo needs attention"
                );
                start.elapsed()
            })
            .collect();
        let wall = median(times);
        println!(
            "kwif check --demo {scenario:<15}{wall:>9.2?}  target 300ms  {}",
            verdict(wall < Duration::from_millis(300))
        );
    }
}

fn proc_field(pid: &str, file: &str, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/{file}")).ok()?;
    let line = text.lines().find(|line| line.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn cpu_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

fn idle_cpu_and_memory() {
    let socket = format!("kwif-bench-{}", std::process::id());
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .arg("-L")
            .arg(&socket)
            .args(args)
            .output()
    };
    let command = format!("{} demo", env!("CARGO_BIN_EXE_kwif"));
    if tmux(&[
        "new-session",
        "-d",
        "-s",
        "b",
        "-x",
        "100",
        "-y",
        "30",
        &command,
    ])
    .is_err()
    {
        println!("idle CPU / peak memory: skipped (tmux is not installed)");
        return;
    }
    std::thread::sleep(Duration::from_secs(3));
    let pid = tmux(&["list-panes", "-t", "b", "-F", "#{pane_pid}"])
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .unwrap_or_default();
    let ticks_per_second = 100.0;
    let before = cpu_ticks(&pid);
    std::thread::sleep(Duration::from_secs(10));
    let after = cpu_ticks(&pid);
    if let (Some(before), Some(after)) = (before, after) {
        let percent = (after - before) as f64 / ticks_per_second / 10.0 * 100.0;
        println!(
            "idle CPU over 10 s             {percent:>8.2}%  target 1%     {}",
            verdict(percent < 1.0)
        );
    }
    let _ = tmux(&["send-keys", "-t", "b", "A"]);
    std::thread::sleep(Duration::from_millis(500));
    let _ = tmux(&["send-keys", "-t", "b", "y"]);
    std::thread::sleep(Duration::from_secs(8));
    let _ = tmux(&["send-keys", "-t", "b", "y"]);
    std::thread::sleep(Duration::from_secs(4));
    if let Some(kib) = proc_field(&pid, "status", "VmHWM:") {
        let mib = kib as f64 / 1024.0;
        println!(
            "peak RSS (demo, after apply)   {mib:>7.1} MiB  target 40 MB  {}",
            verdict(mib * 1.048576 < 40.0)
        );
    }
    let _ = tmux(&["kill-server"]);
}

fn main() {
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    first_frame();
    check_demo_wall_time();
    idle_cpu_and_memory();
}
