//! Waiting for something another task or process does, with a deadline instead of a fixed sleep.

use std::time::Duration;

/// How long any awaited condition may take before the test fails: generous, since only a broken
/// sandbox takes anywhere near it.
const PATIENCE: Duration = Duration::from_secs(30);

/// Polls `condition` until it holds; fails the test, naming `what`, after [`PATIENCE`].
pub async fn wait_until(what: &str, condition: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not so after {PATIENCE:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
