//! What the benchmarks share: the runtime they run the sandboxes on, timed checks whose every
//! step must end as expected (a fast failure would flatter the figures), and one report line.

#![allow(dead_code)] // each benchmark binary compiles this file and uses part of it

use std::time::{Duration, Instant};

use kwif::engine::{Runner, Status};

/// Two worker threads: the machine the targets were set for has two cores.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("the benchmark runtime starts")
}

/// The median and the 90th percentile of `times`.
pub fn percentiles(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    (times[times.len() / 2], times[times.len() * 9 / 10])
}

/// Times `runs` checks of every step; each must end as `expected`.
pub async fn timed_checks(runner: &Runner, runs: usize, expected: Status) -> (Duration, Duration) {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let report = runner.check_all().await;
        for step in &report.steps {
            assert_eq!(step.status, expected, "{:?}", step.findings);
        }
        times.push(start.elapsed());
    }
    percentiles(times)
}

pub fn report(name: &str, (median, p90): (Duration, Duration), target: Duration) {
    let verdict = if median < target { "within" } else { "OVER" };
    println!(
        "{name:<36} median {median:>9.2?}  p90 {p90:>9.2?}  target {target:?}  {verdict} target"
    );
}
