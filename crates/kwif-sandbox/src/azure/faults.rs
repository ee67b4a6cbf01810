//! Injected Resource Manager failures: throttling (429 with `Retry-After`) and server errors
//! (500), drawn from a seeded generator so a run is repeatable. A fault replaces the request
//! before it has any effect, so a client's retry is always safe.

/// How often ARM requests fail on purpose. The default injects nothing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Faults {
    /// Chance, 0.0–1.0, that a request is answered 429 `TooManyRequests`.
    pub throttle_probability: f64,
    /// Chance, 0.0–1.0, that a request is answered 500 `InternalServerError`.
    pub server_error_probability: f64,
    /// The `Retry-After` header of a 429, in seconds.
    pub retry_after_seconds: u32,
    /// Seed of the generator: the same seed and request order give the same faults.
    pub seed: u64,
}

impl Faults {
    /// No injected failures.
    pub fn none() -> Faults {
        Faults {
            throttle_probability: 0.0,
            server_error_probability: 0.0,
            retry_after_seconds: 1,
            seed: 0,
        }
    }
}

impl Default for Faults {
    fn default() -> Faults {
        Faults::none()
    }
}

/// The failure a request gets instead of its answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    Throttled { retry_after_seconds: u32 },
    ServerError,
}

/// Draws one fault decision per request (SplitMix64: tiny, seedable, good enough for this).
#[derive(Debug)]
pub struct FaultInjector {
    faults: Faults,
    state: u64,
}

impl FaultInjector {
    pub fn new(faults: Faults) -> FaultInjector {
        FaultInjector {
            faults,
            state: faults.seed,
        }
    }

    pub fn draw(&mut self) -> Option<Fault> {
        let throttle = self.faults.throttle_probability.clamp(0.0, 1.0);
        let server_error = self.faults.server_error_probability.clamp(0.0, 1.0);
        if throttle == 0.0 && server_error == 0.0 {
            return None;
        }
        let roll = self.next_unit();
        if roll < throttle {
            Some(Fault::Throttled {
                retry_after_seconds: self.faults.retry_after_seconds,
            })
        } else if roll < throttle + server_error {
            Some(Fault::ServerError)
        } else {
            None
        }
    }

    /// A number in [0, 1).
    fn next_unit(&mut self) -> f64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draws(faults: Faults, count: usize) -> Vec<Option<Fault>> {
        let mut injector = FaultInjector::new(faults);
        (0..count).map(|_| injector.draw()).collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_faults() {
        let faults = Faults {
            throttle_probability: 0.3,
            server_error_probability: 0.2,
            retry_after_seconds: 2,
            seed: 7,
        };
        assert_eq!(draws(faults, 50), draws(faults, 50));
        assert_ne!(draws(faults, 50), draws(Faults { seed: 8, ..faults }, 50));
    }

    #[test]
    fn probabilities_are_roughly_honoured() {
        let faults = Faults {
            throttle_probability: 0.25,
            server_error_probability: 0.25,
            retry_after_seconds: 1,
            seed: 1,
        };
        let all = draws(faults, 4000);
        let throttled = all
            .iter()
            .filter(|fault| matches!(fault, Some(Fault::Throttled { .. })))
            .count();
        let errors = all
            .iter()
            .filter(|fault| matches!(fault, Some(Fault::ServerError)))
            .count();
        assert!((800..1200).contains(&throttled), "{throttled}");
        assert!((800..1200).contains(&errors), "{errors}");
        assert!(draws(Faults::none(), 100).iter().all(Option::is_none));
    }
}
