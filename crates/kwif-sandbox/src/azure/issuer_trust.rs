//! The CA trust sandbox Entra fetches issuers' discovery documents and JWKS with: the system's
//! public CAs plus the extra CAs the sandbox's owner names (a test nginx, the demo's static
//! host). Verification is never turned off; an untrusted issuer fails as it would at Entra.

use std::path::PathBuf;

use crate::oidc::fetch::Fetcher;
use crate::{SandboxError, randomness};

/// A fetcher trusting the system CAs, every CA file in `files` and every PEM text in `pems`.
pub fn issuer_fetcher(files: &[PathBuf], pems: &[String]) -> Result<Fetcher, SandboxError> {
    let failed = |what: String| SandboxError::Tls(rustls::Error::General(what));
    if pems.is_empty() {
        return Fetcher::new(files).map_err(|error| failed(error.to_string()));
    }
    // `Fetcher` reads CA files; PEM texts go through a private temporary file, gone once read.
    let directory = std::env::temp_dir().join(format!("kwif-sandbox-azure-{}", randomness::uid()));
    create_private_directory(&directory)
        .map_err(|error| failed(format!("cannot write the extra CAs: {error}")))?;
    let file = directory.join("extra-ca.pem");
    let written = std::fs::write(&file, pems.join("\n"));
    let mut all_files = files.to_vec();
    all_files.push(file);
    let fetcher = written
        .map_err(|error| failed(format!("cannot write the extra CAs: {error}")))
        .and_then(|()| Fetcher::new(&all_files).map_err(|error| failed(error.to_string())));
    let _ = std::fs::remove_dir_all(&directory);
    fetcher
}

fn create_private_directory(path: &std::path::Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}
