//! The OIDC side of federation: issuer rules, service-account keys and their `kid`, JWKS,
//! discovery documents, JWTs, and the doctor that checks a hosted issuer the way Entra ID does.
//! Nothing here knows about terminals or the command line.

pub mod discovery;
pub mod doctor;
pub mod fetch;
pub mod issuer;
pub mod jwks;
pub mod jwt;
pub mod key;
pub mod token_view;

/// The audience Entra ID expects in a federated service-account token.
pub const AZURE_AUDIENCE: &str = "api://AzureADTokenExchange";
