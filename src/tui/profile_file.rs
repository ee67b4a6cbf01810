//! Writes kwif.yaml: to a temporary file next to it, then renamed over it, so an interrupted
//! write never leaves half a profile.

use std::io;
use std::path::Path;

pub fn write_profile(path: &Path, yaml: &str) -> io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".kwif-tmp");
    std::fs::write(&temporary, yaml)?;
    std::fs::rename(&temporary, path)
}
