// kwif snippet: list the Cosmos DB account's databases as the pod's managed identity (cosmos1, from the role "Cosmos DB Built-in Data Contributor").
// Packages: cargo add azure_identity azure_core reqwest httpdate tokio --features tokio/macros,tokio/rt-multi-thread
// The credential reads AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE, which kwif
// puts in the pod, and reads the token file again whenever it needs a new token.
// main.rs. The token comes from azure_identity; the call is the service's REST API.
use azure_core::credentials::TokenCredential;
use azure_identity::WorkloadIdentityCredential;

const ENDPOINT: &str = "https://cosmos1.documents.azure.com:443/";
const SCOPE: &str = "https://cosmos1.documents.azure.com/.default";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let credential = WorkloadIdentityCredential::new(None)?;
    let token = credential.get_token(&[SCOPE], None).await?;
    let body = reqwest::Client::new()
        .get(format!("{ENDPOINT}dbs"))
        .header("authorization", format!("type%3Daad%26ver%3D1.0%26sig%3D{}", token.token.secret()))
        .header("x-ms-version", "2018-12-31")
        .header("x-ms-date", httpdate::fmt_http_date(std::time::SystemTime::now()))
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    println!("{body}");
    Ok(())
}
