//! kwif's integration tests, one binary (each file in its own module) so the library links
//! once: `cargo test --test it` runs them all, `cargo test --test it tui_views` one topic.

#![allow(clippy::unwrap_used)] // a panic in a test or benchmark is its failure message

#[path = "../support/hostile.rs"]
mod hostile;
#[path = "../support/mod.rs"]
mod support;
#[path = "../tui_fixtures/mod.rs"]
mod tui_fixtures;

mod azure_steps;
mod cli;
mod cli_cluster;
mod cli_handoff;
mod cluster_config;
mod cluster_steps;
mod demo;
mod destroy;
mod doctor;
mod hostile_input;
mod hostile_network;
mod hosting_azure_blob;
mod hosting_nginx;
mod hosting_publishers;
mod identities;
mod oidc_keys;
mod profile;
mod sandbox_serve;
mod screenshots;
mod tui_keys;
mod tui_tmux;
mod tui_views;
mod workload_kinds;
