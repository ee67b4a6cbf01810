//! Random identifiers for sandbox objects (uids, name suffixes, the bearer token), drawn from the
//! system RNG behind rustls. Service-account keys never come from here.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

/// The characters Kubernetes uses for generated name suffixes and template hashes: no vowels,
/// so no words (k8s.io/apimachinery/pkg/util/rand `SafeEncodeString`).
pub const SAFE_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// `N` random bytes. Should the system RNG fail, a hash of the clock and a counter keeps the
/// sandbox going: the values only need to be unique, not secret.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    if provider.secure_random.fill(&mut bytes).is_err() {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let mut seed = Sha256::new();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos());
        seed.update(nanos.to_le_bytes());
        seed.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
        for (byte, hashed) in bytes.iter_mut().zip(seed.finalize().iter().cycle()) {
            *byte = *hashed;
        }
    }
    bytes
}

/// A random (version 4) UUID, as Kubernetes gives every object.
pub fn uid() -> String {
    uuid::Builder::from_random_bytes(random_bytes::<16>())
        .into_uuid()
        .to_string()
}

/// `len` characters of [`SAFE_ALPHABET`], like the suffix of a `generateName`.
pub fn name_suffix(len: usize) -> String {
    random_bytes::<16>()
        .iter()
        .cycle()
        .take(len)
        .map(|byte| char::from(SAFE_ALPHABET[usize::from(*byte) % SAFE_ALPHABET.len()]))
        .collect()
}
