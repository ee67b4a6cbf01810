// kwif snippet: list the key vault's secret names as the pod's managed identity (kv-application1, from the role "Key Vault Secrets User").
// Packages: cargo add azure_identity azure_core reqwest tokio --features tokio/macros,tokio/rt-multi-thread
// The credential reads AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE, which kwif
// puts in the pod, and reads the token file again whenever it needs a new token.
// main.rs. The token comes from azure_identity; the call is the service's REST API.
use azure_core::credentials::TokenCredential;
use azure_identity::WorkloadIdentityCredential;

const ENDPOINT: &str = "https://kv-application1.vault.azure.net/";
const SCOPE: &str = "https://vault.azure.net/.default";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let credential = WorkloadIdentityCredential::new(None)?;
    let token = credential.get_token(&[SCOPE], None).await?;
    let body = reqwest::Client::new()
        .get(format!("{ENDPOINT}secrets?api-version=7.5"))
        .bearer_auth(token.token.secret())
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    println!("{body}");
    Ok(())
}
