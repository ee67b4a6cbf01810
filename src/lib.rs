//! kwif sets up, checks and repairs workload identity federation from a self-managed Kubernetes
//! cluster to Microsoft Entra ID. This crate holds the engine and the steps; the binary in
//! `main.rs` is only a front end over it.

pub mod azure;
pub mod demo;
pub mod discover;
pub mod distro;
pub mod engine;
pub mod explain;
pub mod export;
pub mod hosting;
pub mod init;
pub mod input;
pub mod kube;
pub mod network;
pub mod oidc;
pub mod profile;
pub mod screenshots;
pub mod session;
pub mod steps;
pub mod tui;
