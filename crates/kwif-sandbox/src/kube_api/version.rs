//! The Kubernetes version the sandbox reports, such as `1.33.2`; the distribution adds its suffix.

use std::fmt;

use crate::SandboxError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KubernetesVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl KubernetesVersion {
    /// Reads `1.33.2` or `v1.33.2`.
    pub fn parse(text: &str) -> Result<KubernetesVersion, SandboxError> {
        let invalid = || SandboxError::Version(text.to_string());
        let numbers: Vec<u32> = text
            .trim_start_matches('v')
            .split('.')
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|_| invalid())?;
        match numbers.as_slice() {
            [major, minor, patch] => Ok(KubernetesVersion {
                major: *major,
                minor: *minor,
                patch: *patch,
            }),
            _ => Err(invalid()),
        }
    }
}

impl Default for KubernetesVersion {
    fn default() -> KubernetesVersion {
        KubernetesVersion {
            major: 1,
            minor: 33,
            patch: 2,
        }
    }
}

/// `v1.33.2`, the upstream `gitVersion`.
impl fmt::Display for KubernetesVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}.{}", self.major, self.minor, self.patch)
    }
}
