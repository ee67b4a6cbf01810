//! Why a sandbox could not start or change: each variant says what failed, never a secret.

/// A sandbox that would not start, restart or hand out a client.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot listen on loopback: {0}")]
    Listen(#[source] std::io::Error),
    #[error("cannot make the sandbox's test certificates: {0}")]
    Certificate(#[source] rcgen::Error),
    #[error("cannot set up TLS: {0}")]
    Tls(#[source] rustls::Error),
    /// kube-apiserver refuses to start with these flags; the message is the one it logs.
    #[error("kube-apiserver would not start: {0}")]
    Flags(String),
    #[error("the Kubernetes version {0:?} is not of the form 1.33.2")]
    Version(String),
    #[error("the sandbox's service-account key is unusable: {0}")]
    Key(String),
    #[error("a restart keeps the distribution: the sandbox runs {running}, not {requested}")]
    DistributionChange {
        running: &'static str,
        requested: &'static str,
    },
    /// The sandbox's kube-apiserver refused an object given to `insert`; the Status message.
    #[error("the sandbox refused the object ({code}): {message}")]
    Rejected { code: u16, message: String },
    #[error("the sandbox's kubeconfig is not usable by kube-rs: {0}")]
    Kubeconfig(String),
    /// A file or directory of the sandbox's working directory could not be written.
    #[error("cannot write {0}: {1}")]
    Files(String, #[source] std::io::Error),
    /// Seeding a scenario failed; the message says which part.
    #[error("setting up the scenario: {0}")]
    Setup(String),
    #[error("cannot wait for Ctrl-C or SIGTERM: {0}")]
    Signal(#[source] std::io::Error),
}
