//! The Rust snippets `kwif snippet --language rust` prints for tests/fixtures/profiles/snippets.yaml,
//! one file per service, compiled here as modules so that every workspace build type-checks the
//! exact text; tests/cli_handoff.rs fails when kwif prints anything else. Nothing here runs.
#![allow(dead_code)]

mod arm {
    include!("arm.rs");
}
mod blob {
    include!("blob.rs");
}
mod cosmos {
    include!("cosmos.rs");
}
mod keyvault {
    include!("keyvault.rs");
}
