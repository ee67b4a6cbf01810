//! Azure clients kwif uses: clouds and credentials, Resource Manager (managed identity, federated
//! credentials, role assignments, Cosmos DB data-plane roles, storage accounts), Microsoft Graph
//! (app registrations and their federated credentials) and the Entra token exchange.
//! No step logic lives here, and no secret leaves it through `Display` or `Debug`.

pub mod aadsts;
pub mod application_client;
pub mod arm;
pub mod bridge;
pub mod certificate;
pub mod cli_config;
pub mod cloud;
pub mod cosmos;
pub mod credential;
pub mod directory;
pub mod error;
pub mod graph;
pub mod identity_client;
pub mod permissions;
pub mod retry;
pub mod roles;
pub mod session;
pub mod storage_account;
pub mod storage_key;
pub mod token_exchange;
pub mod transport;
