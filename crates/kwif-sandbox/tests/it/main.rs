//! The sandbox's own tests in one binary, a module per topic. They drive the servers through real
//! clients (reqwest, kube-rs, kubectl) over verified TLS and use no kwif code: tokens are read
//! and signed with jsonwebtoken, issuer documents are served by the sandbox's static host.
#![allow(clippy::unwrap_used)]

mod azure;
mod azure_client;
mod azure_lists;
mod azure_permissions;
mod azure_storage;
mod kube;
mod kubectl;
mod logins;
mod sandbox;
mod signing;
mod token;
mod waiting;
mod workloads;
