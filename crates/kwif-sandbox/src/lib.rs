//! In-process stand-ins for the services kwif talks to, for `kwif demo`, screenshots and tests.
//! They listen on loopback only, with a CA made at start; nothing here touches a real system.

pub mod azure;
pub mod demo;
mod error;
mod https;
pub mod kube_api;
mod randomness;
pub mod static_host;
pub mod tls;

pub use error::SandboxError;
pub use kube_api::{
    ApiServerFlags, Distribution, KubeSandbox, KubeSandboxOptions, KubernetesVersion, RequestRecord,
};
