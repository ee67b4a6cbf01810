//! Hand-off to the tools teams already run: the application's code (`snippet`). Everything here
//! is computed from the profile and from what the steps would apply; nothing here changes the
//! cluster or Azure.

pub mod snippet;
