//! Reading what the user hands kwif (profiles, key files, tokens, config files, standard input):
//! at most 1 MiB, read as UTF-8 text, and no more than 1 MiB + 1 bytes ever read, so an endless
//! source (`/dev/zero`, a FIFO) ends at once. What the text means is for its parser.

pub mod nesting;

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The most kwif reads of one input: a profile, a key file, a token or a config file is a few
/// kilobytes; anything near this is not what the user meant to pass.
pub const MAX_INPUT_BYTES: u64 = 1024 * 1024;

/// What an input is, for messages: "a profile is at most 1 MiB".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    Profile,
    KeyFile,
    Token,
    ConfigFile,
}

impl InputKind {
    fn with_article(self) -> &'static str {
        match self {
            InputKind::Profile => "a profile",
            InputKind::KeyFile => "a key file",
            InputKind::Token => "a token",
            InputKind::ConfigFile => "a config file",
        }
    }
}

/// Where an input comes from: a file, or standard input (`-`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    File(PathBuf),
    StandardInput,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File(path) => write!(f, "{}", path.display()),
            Origin::StandardInput => f.write_str("standard input"),
        }
    }
}

/// Why an input cannot be used. Every message names the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{origin}: cannot read it ({source})")]
    Unreadable {
        origin: Origin,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{origin} is {}; {} is at most 1 MiB: pass the right file",
        size.map_or_else(|| "over 1 MiB (kwif stopped reading there)".to_string(), describe_size),
        kind.with_article()
    )]
    TooLarge {
        origin: Origin,
        /// The whole size when known (a regular file); `None` for a stream cut at the limit.
        size: Option<u64>,
        kind: InputKind,
    },
    #[error("{origin} is not UTF-8 text (line {line} has a byte that is not): save it as UTF-8")]
    NotUtf8 { origin: Origin, line: usize },
}

impl InputError {
    /// The underlying I/O error when the input could not be read at all (missing, no
    /// permission): the caller may have its own advice for that.
    pub fn io_error(&self) -> Option<&std::io::Error> {
        match self {
            InputError::Unreadable { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// `52 MB`, `2.1 MB`: decimal megabytes, as file managers show them.
fn describe_size(bytes: u64) -> String {
    let megabytes = bytes as f64 / 1_000_000.0;
    if megabytes >= 10.0 {
        format!("{megabytes:.0} MB")
    } else {
        format!("{megabytes:.1} MB")
    }
}

/// A file's bytes, at most [`MAX_INPUT_BYTES`]; a regular file over the limit is refused from its
/// size without reading it.
pub fn read_bytes(path: &Path, kind: InputKind) -> Result<Vec<u8>, InputError> {
    let origin = Origin::File(path.to_path_buf());
    let unreadable = |source| InputError::Unreadable {
        origin: origin.clone(),
        source,
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let metadata = file.metadata().map_err(unreadable)?;
    if metadata.is_file() && metadata.len() > MAX_INPUT_BYTES {
        return Err(InputError::TooLarge {
            origin,
            size: Some(metadata.len()),
            kind,
        });
    }
    read_bounded(file, origin, kind)
}

/// A file as UTF-8 text, at most [`MAX_INPUT_BYTES`].
pub fn read_text(path: &Path, kind: InputKind) -> Result<String, InputError> {
    let bytes = read_bytes(path, kind)?;
    text(bytes, Origin::File(path.to_path_buf()))
}

/// Standard input as UTF-8 text, at most [`MAX_INPUT_BYTES`].
pub fn read_standard_input(kind: InputKind) -> Result<String, InputError> {
    let bytes = read_bounded(std::io::stdin().lock(), Origin::StandardInput, kind)?;
    text(bytes, Origin::StandardInput)
}

/// Reads at most one byte more than the limit: enough to know the input is too large.
fn read_bounded(source: impl Read, origin: Origin, kind: InputKind) -> Result<Vec<u8>, InputError> {
    let mut bytes = Vec::new();
    source
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| InputError::Unreadable {
            origin: origin.clone(),
            source,
        })?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(InputError::TooLarge {
            origin,
            size: None,
            kind,
        });
    }
    Ok(bytes)
}

fn text(bytes: Vec<u8>, origin: Origin) -> Result<String, InputError> {
    String::from_utf8(bytes).map_err(|error| {
        let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
        InputError::NotUtf8 {
            origin,
            line: valid.iter().filter(|byte| **byte == b'\n').count() + 1,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_over_the_limit_is_named_with_its_size_and_never_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kwif.yaml");
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(52_428_800).unwrap();
        let error = read_text(&path, InputKind::Profile).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "{} is 52 MB; a profile is at most 1 MiB: pass the right file",
                path.display()
            )
        );
    }

    #[test]
    fn an_endless_device_ends_at_the_limit() {
        let error = read_bytes(Path::new("/dev/zero"), InputKind::Token).unwrap_err();
        assert_eq!(
            error.to_string(),
            "/dev/zero is over 1 MiB (kwif stopped reading there); a token is at most 1 MiB: \
             pass the right file"
        );
    }

    #[test]
    fn the_limit_itself_is_allowed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ok");
        std::fs::write(&path, vec![b'a'; MAX_INPUT_BYTES as usize]).unwrap();
        assert_eq!(read_text(&path, InputKind::KeyFile).unwrap().len(), 1 << 20);
        std::fs::write(&path, vec![b'a'; MAX_INPUT_BYTES as usize + 1]).unwrap();
        assert!(matches!(
            read_text(&path, InputKind::KeyFile),
            Err(InputError::TooLarge {
                size: Some(1_048_577),
                ..
            })
        ));
    }

    #[test]
    fn text_that_is_not_utf8_names_the_line_and_says_to_save_it_as_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kwif.yaml");
        std::fs::write(&path, b"a: 1\nb: \xff\n").unwrap();
        let error = read_text(&path, InputKind::Profile).unwrap_err();
        assert!(
            error.to_string().ends_with(
                "kwif.yaml is not UTF-8 text (line 2 has a byte that is not): save it as UTF-8"
            ),
            "{error}"
        );
    }

    #[test]
    fn a_missing_file_keeps_its_io_error() {
        let error = read_text(Path::new("/no/such/file"), InputKind::Token).unwrap_err();
        assert_eq!(
            error.io_error().map(std::io::Error::kind),
            Some(std::io::ErrorKind::NotFound)
        );
        assert!(
            error
                .to_string()
                .starts_with("/no/such/file: cannot read it (")
        );
    }
}
