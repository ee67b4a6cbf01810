//! Benchmarks of the wizard against the targets of the TUI issue, run on the embedded demo:
//! first frame (< 50 ms after the sandbox is up), `kwif check --demo` wall time (< 500 ms),
//! idle CPU of the running TUI over 10 s (< 1 % of a core) and its peak memory (< 40 MB).
//! Run with `cargo bench --bench wizard`; the idle and memory figures need tmux.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kwif::demo::{Demo, Scenario};
use kwif::tui::{App, WizardConfig};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

#[path = "support/measure.rs"]
mod measure;

fn verdict(ok: bool) -> &'static str {
    if ok { "within target" } else { "OVER target" }
}

fn median(times: Vec<Duration>) -> Duration {
    measure::percentiles(times).0
}

fn first_frame() {
    let runtime = measure::runtime();
    runtime.block_on(async {
        let start = Instant::now();
        let demo = Demo::start(Scenario::Fresh).await.unwrap();
        let sandbox_up = start.elapsed();
        let mut frames = Vec::new();
        for _ in 0..20 {
            let steps = demo.runner().await.into_steps();
            let start = Instant::now();
            let app = App::new(steps, WizardConfig::new("bench"));
            let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
            app.draw(&mut terminal).unwrap();
            frames.push(start.elapsed());
        }
        let frame = median(frames);
        println!("sandbox start (fresh)          {sandbox_up:>9.2?}");
        println!(
            "first frame after start        {frame:>9.2?}  target 50ms   {}",
            verdict(frame < Duration::from_millis(50))
        );
    });
}

fn check_demo_wall_time() {
    let times: Vec<Duration> = (0..10)
        .map(|_| {
            let start = Instant::now();
            let status = Command::new(env!("CARGO_BIN_EXE_kwif"))
                .args(["check", "--demo"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            assert_eq!(status.code(), Some(1), "the fresh demo has drift");
            start.elapsed()
        })
        .collect();
    let wall = median(times);
    println!(
        "kwif check --demo (wall)       {wall:>9.2?}  target 500ms  {}",
        verdict(wall < Duration::from_millis(500))
    );
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
