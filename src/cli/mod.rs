//! The command line's parts: arguments, the interactive front ends, the one-shot tools.

pub(crate) mod args;
pub(crate) mod tools;
pub(crate) mod wizard;
