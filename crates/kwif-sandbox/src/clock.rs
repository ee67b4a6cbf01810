//! The sandbox's clock: real time plus an offset a test can move forward, so every delay of sandbox
//! Azure (replication, propagation, provisioning, token lifetimes) is passed without sleeping.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// Shared by everything that asks the sandbox what time it is; clones see the same offset.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset: Arc<Mutex<Duration>>,
}

impl Clock {
    /// Real time, until [`Clock::advance`] moves it on.
    pub fn new() -> Clock {
        Clock::default()
    }

    /// Moves the clock forward by `by`, as if that much time had passed.
    pub fn advance(&self, by: Duration) {
        let mut offset = self
            .offset
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *offset = offset.saturating_add(by);
    }

    fn offset(&self) -> Duration {
        *self
            .offset
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The monotonic time, for delays.
    pub fn now(&self) -> Instant {
        let now = Instant::now();
        now.checked_add(self.offset()).unwrap_or(now)
    }

    /// The wall-clock time, for token claims and timestamps.
    pub fn system_now(&self) -> SystemTime {
        let now = SystemTime::now();
        now.checked_add(self.offset()).unwrap_or(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_advance() {
        let clock = Clock::new();
        let copy = clock.clone();
        let before = clock.now();
        copy.advance(Duration::from_secs(3600));
        assert!(clock.now() >= before + Duration::from_secs(3600));
        assert!(clock.system_now() > SystemTime::now() + Duration::from_secs(3500));
    }
}
