//! Stand-ins for the services kwif talks to — a Kubernetes API server, Azure Resource Manager and
//! Entra ID, and an HTTPS static host — written from those systems' specs and public behaviour,
//! sharing no code with kwif. They listen on loopback only; nothing here touches a real system.

pub mod azure;
mod clock;
mod error;
mod https;
mod jwt;
pub mod kube_api;
mod kwif_profile;
mod randomness;
mod rsa_signing_key;
mod sandbox;
mod scenario;
pub mod static_host;
pub mod tls;

pub use azure::{AzureSandbox, AzureSandboxOptions, Faults, ServicePrincipalLogin};
pub use clock::Clock;
pub use error::SandboxError;
pub use kube_api::{
    ApiServerFlags, Distribution, KubeSandbox, KubeSandboxOptions, KubernetesVersion, RequestRecord,
};
pub use rsa_signing_key::{key_id, key_id_of_public_pem};
pub use sandbox::{CONTEXT, Sandbox, SandboxFiles, SandboxOptions, serve, serve_until};
pub use scenario::Scenario;
pub use static_host::StaticHost;
