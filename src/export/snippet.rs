//! `kwif snippet`: the smallest code a workload needs to get a token with its federated identity
//! and call one Azure service, in six languages. The credential reads the variables kwif puts in
//! the pod (`AZURE_CLIENT_ID`, `AZURE_TENANT_ID`, `AZURE_FEDERATED_TOKEN_FILE`); the only value
//! written into the code is the service's endpoint, taken from the profile's role scopes.

use std::fmt;

use crate::profile::{Cloud, Profile, RoleAssignment};

/// The languages a snippet is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    Python,
    JavaScript,
    DotNet,
    Go,
    Java,
    Rust,
}

/// The Azure service the snippet calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    Cosmos,
    Blob,
    KeyVault,
    Arm,
}

impl Service {
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Cosmos => "cosmos",
            Service::Blob => "blob",
            Service::KeyVault => "keyvault",
            Service::Arm => "arm",
        }
    }

    /// The resource type in a scope that names this service's resource.
    fn provider(self) -> Option<&'static str> {
        match self {
            Service::Cosmos => Some("microsoft.documentdb/databaseaccounts/"),
            Service::Blob => Some("microsoft.storage/storageaccounts/"),
            Service::KeyVault => Some("microsoft.keyvault/vaults/"),
            Service::Arm => None,
        }
    }
}

/// Where the snippet's service lives and what the token is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub service: Service,
    /// `https://cosmos1.documents.azure.com:443/`, `https://st1.blob.core.windows.net/`, …
    pub endpoint: String,
    /// The token's scope (`…/.default`).
    pub scope: String,
    /// Why this endpoint: the role it comes from.
    pub origin: String,
    /// A caveat to say on standard error (a guessed suffix in a custom cloud).
    pub note: Option<String>,
}

/// Why no snippet can be written for the profile.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SnippetError(String);

/// The DNS suffixes of the data-plane services in each cloud (a custom cloud gets the public
/// ones, said in a note).
struct Suffixes {
    cosmos: &'static str,
    blob: &'static str,
    vault: &'static str,
}

fn suffixes(cloud: &Cloud) -> Suffixes {
    match cloud {
        Cloud::China => Suffixes {
            cosmos: "documents.azure.cn",
            blob: "blob.core.chinacloudapi.cn",
            vault: "vault.azure.cn",
        },
        Cloud::UsGov => Suffixes {
            cosmos: "documents.azure.us",
            blob: "blob.core.usgovcloudapi.net",
            vault: "vault.usgovcloudapi.net",
        },
        Cloud::Public | Cloud::Custom(_) => Suffixes {
            cosmos: "documents.azure.com",
            blob: "blob.core.windows.net",
            vault: "vault.azure.net",
        },
    }
}

/// Every (role, resource id) of the profile's identities.
fn role_resources(profile: &Profile) -> Vec<(String, String)> {
    profile
        .identities
        .iter()
        .flat_map(|identity| &identity.roles)
        .map(|role| match role {
            RoleAssignment::Azure { role, scope } => (role.to_string(), scope.as_str().to_string()),
            RoleAssignment::CosmosData { role, account } => {
                (role.to_string(), account.as_str().to_string())
            }
        })
        .collect()
}

/// The resource name after `provider` in `resource_id` (case-insensitive, as ARM compares).
fn resource_name(resource_id: &str, provider: &str) -> Option<String> {
    let lower = resource_id.to_ascii_lowercase();
    let start =
        lower.find(&format!("/providers/{provider}"))? + "/providers/".len() + provider.len();
    let name = resource_id[start..].split('/').next()?;
    (!name.is_empty()).then(|| name.to_string())
}

/// The service to call: the one asked for, else the first role's resource (Cosmos DB, a
/// storage account, a key vault), else Resource Manager.
pub fn target(profile: &Profile, service: Option<Service>) -> Result<Target, SnippetError> {
    let resources = role_resources(profile);
    let service = service.unwrap_or_else(|| {
        resources
            .iter()
            .find_map(|(_, id)| {
                [Service::Cosmos, Service::Blob, Service::KeyVault]
                    .into_iter()
                    .find(|service| {
                        service
                            .provider()
                            .is_some_and(|p| resource_name(id, p).is_some())
                    })
            })
            .unwrap_or(Service::Arm)
    });
    let cloud = &profile.azure.cloud;
    let note = matches!(cloud, Cloud::Custom(_)).then(|| {
        "azure.cloud is custom: the endpoint uses the public cloud's DNS suffix; change it if your cloud differs"
            .to_string()
    });
    let Some(provider) = service.provider() else {
        let endpoint = cloud.endpoints().resource_manager().to_string();
        return Ok(Target {
            service,
            scope: format!("{endpoint}.default"),
            endpoint,
            origin: "Azure Resource Manager of the profile's cloud".to_string(),
            note: None,
        });
    };
    let (role, name) = resources
        .iter()
        .find_map(|(role, id)| Some((role.clone(), resource_name(id, provider)?)))
        .ok_or_else(|| {
            SnippetError(format!(
                "--service {}: no role in the profile is scoped to a resource of type {provider}NAME, so its endpoint \
                 is not known: add the role (identity.roles), or use --service arm",
                service.as_str()
            ))
        })?;
    let suffixes = suffixes(cloud);
    let (endpoint, scope) = match service {
        Service::Cosmos => {
            let endpoint = format!("https://{name}.{}:443/", suffixes.cosmos);
            (
                endpoint,
                format!("https://{name}.{}/.default", suffixes.cosmos),
            )
        }
        Service::Blob => (
            format!("https://{name}.{}/", suffixes.blob),
            "https://storage.azure.com/.default".to_string(),
        ),
        Service::KeyVault | Service::Arm => (
            format!("https://{name}.{}/", suffixes.vault),
            format!("https://{}/.default", suffixes.vault),
        ),
    };
    Ok(Target {
        service,
        endpoint,
        scope,
        origin: format!("{name}, from the role {role:?}"),
        note,
    })
}

/// A snippet: the code (a whole source file) and the packages it needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snippet {
    pub language: Language,
    pub target: Target,
    /// The command that adds the packages.
    pub packages: String,
    pub code: String,
}

impl fmt::Display for Snippet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

/// The snippet for `language` calling `target`.
pub fn snippet(language: Language, target: &Target) -> Snippet {
    let (packages, body) = match language {
        Language::Python => python(target),
        Language::JavaScript => javascript(target),
        Language::DotNet => dotnet(target),
        Language::Go => go(target),
        Language::Java => java(target),
        Language::Rust => rust(target),
    };
    let comment = match language {
        Language::Python => "#",
        _ => "//",
    };
    let header = format!(
        "{comment} kwif snippet: {} as the pod's managed identity ({}).\n\
         {comment} Packages: {packages}\n\
         {comment} The credential reads AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE, which kwif\n\
         {comment} puts in the pod, and reads the token file again whenever it needs a new token.\n",
        service_words(target.service),
        target.origin,
    );
    Snippet {
        language,
        target: target.clone(),
        packages,
        code: header + &body,
    }
}

fn service_words(service: Service) -> &'static str {
    match service {
        Service::Cosmos => "list the Cosmos DB account's databases",
        Service::Blob => "list the storage account's containers",
        Service::KeyVault => "list the key vault's secret names",
        Service::Arm => "list the subscriptions Resource Manager shows",
    }
}

fn python(target: &Target) -> (String, String) {
    let (package, import, call) = match target.service {
        Service::Cosmos => (
            "azure-cosmos",
            "from azure.cosmos import CosmosClient",
            "    client = CosmosClient(ENDPOINT, credential=credential)\n    for database in client.list_databases():\n        print(database[\"id\"])",
        ),
        Service::Blob => (
            "azure-storage-blob",
            "from azure.storage.blob import BlobServiceClient",
            "    client = BlobServiceClient(ENDPOINT, credential=credential)\n    for container in client.list_containers():\n        print(container.name)",
        ),
        Service::KeyVault => (
            "azure-keyvault-secrets",
            "from azure.keyvault.secrets import SecretClient",
            "    client = SecretClient(ENDPOINT, credential=credential)\n    for secret in client.list_properties_of_secrets():\n        print(secret.name)",
        ),
        Service::Arm => (
            "azure-mgmt-resource-subscriptions",
            "from azure.mgmt.resource.subscriptions import SubscriptionClient",
            "    client = SubscriptionClient(credential, base_url=ENDPOINT, credential_scopes=[SCOPE])\n    for subscription in client.subscriptions.list():\n        print(subscription.subscription_id, subscription.display_name)",
        ),
    };
    let code = format!(
        "from azure.identity import WorkloadIdentityCredential\n\
         {import}\n\n\
         ENDPOINT = {endpoint:?}\n\
         # What the client asks a token for: credential.get_token(SCOPE) checks the setup alone.\n\
         SCOPE = {scope:?}\n\n\
         # Also honours AZURE_AUTHORITY_HOST (set by kwif) for sovereign clouds.\n\
         credential = WorkloadIdentityCredential()\n\n\n\
         def main():\n{call}\n\n\n\
         if __name__ == \"__main__\":\n    main()\n",
        endpoint = target.endpoint,
        scope = target.scope,
    );
    (format!("pip install azure-identity {package}"), code)
}

fn javascript(target: &Target) -> (String, String) {
    let (package, import, call) = match target.service {
        Service::Cosmos => (
            "@azure/cosmos",
            "import { CosmosClient } from \"@azure/cosmos\";",
            "const client = new CosmosClient({ endpoint: ENDPOINT, aadCredentials: credential });\nconst { resources } = await client.databases.readAll().fetchAll();\nfor (const database of resources) {\n  console.log(database.id);\n}",
        ),
        Service::Blob => (
            "@azure/storage-blob",
            "import { BlobServiceClient } from \"@azure/storage-blob\";",
            "const client = new BlobServiceClient(ENDPOINT, credential);\nfor await (const container of client.listContainers()) {\n  console.log(container.name);\n}",
        ),
        Service::KeyVault => (
            "@azure/keyvault-secrets",
            "import { SecretClient } from \"@azure/keyvault-secrets\";",
            "const client = new SecretClient(ENDPOINT, credential);\nfor await (const secret of client.listPropertiesOfSecrets()) {\n  console.log(secret.name);\n}",
        ),
        Service::Arm => (
            "@azure/arm-resources-subscriptions",
            "import { SubscriptionClient } from \"@azure/arm-resources-subscriptions\";",
            "const client = new SubscriptionClient(credential, { endpoint: ENDPOINT, credentialScopes: [SCOPE] });\nfor await (const subscription of client.subscriptions.list()) {\n  console.log(subscription.subscriptionId, subscription.displayName);\n}",
        ),
    };
    let code = format!(
        "// An ES module (index.mjs, or \"type\": \"module\" in package.json).\n\
         import {{ WorkloadIdentityCredential }} from \"@azure/identity\";\n\
         {import}\n\n\
         const ENDPOINT = {endpoint:?};\n\
         // What the client asks a token for: credential.getToken(SCOPE) checks the setup alone.\n\
         const SCOPE = {scope:?};\n\n\
         // Also honours AZURE_AUTHORITY_HOST (set by kwif) for sovereign clouds.\n\
         const credential = new WorkloadIdentityCredential();\n\n\
         {call}\n",
        endpoint = target.endpoint,
        scope = target.scope,
    );
    (format!("npm install @azure/identity {package}"), code)
}

fn dotnet(target: &Target) -> (String, String) {
    let (package, using, call) = match target.service {
        Service::Cosmos => (
            "Microsoft.Azure.Cosmos",
            "using Microsoft.Azure.Cosmos;",
            "using var client = new CosmosClient(Endpoint, credential);\nusing var databases = client.GetDatabaseQueryIterator<DatabaseProperties>();\nwhile (databases.HasMoreResults)\n{\n    foreach (var database in await databases.ReadNextAsync())\n    {\n        Console.WriteLine(database.Id);\n    }\n}",
        ),
        Service::Blob => (
            "Azure.Storage.Blobs",
            "using Azure.Storage.Blobs;",
            "var client = new BlobServiceClient(new Uri(Endpoint), credential);\nawait foreach (var container in client.GetBlobContainersAsync())\n{\n    Console.WriteLine(container.Name);\n}",
        ),
        Service::KeyVault => (
            "Azure.Security.KeyVault.Secrets",
            "using Azure.Security.KeyVault.Secrets;",
            "var client = new SecretClient(new Uri(Endpoint), credential);\nawait foreach (var secret in client.GetPropertiesOfSecretsAsync())\n{\n    Console.WriteLine(secret.Name);\n}",
        ),
        Service::Arm => (
            "Azure.ResourceManager",
            "using Azure.ResourceManager;",
            "var client = new ArmClient(credential, default, new ArmClientOptions { Environment = new ArmEnvironment(new Uri(Endpoint), Endpoint) });\nawait foreach (var subscription in client.GetSubscriptions().GetAllAsync())\n{\n    Console.WriteLine($\"{subscription.Data.SubscriptionId} {subscription.Data.DisplayName}\");\n}",
        ),
    };
    let code = format!(
        "// Program.cs (top-level statements).\n\
         using Azure.Identity;\n\
         {using}\n\n\
         const string Endpoint = {endpoint:?};\n\n\
         // Also honours AZURE_AUTHORITY_HOST (set by kwif) for sovereign clouds.\n\
         var credential = new WorkloadIdentityCredential();\n\n\
         {call}\n",
        endpoint = target.endpoint,
    );
    (
        format!("dotnet add package Azure.Identity && dotnet add package {package}"),
        code,
    )
}

fn go(target: &Target) -> (String, String) {
    let (module, import, call) = match target.service {
        Service::Cosmos => (
            "github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos",
            "\"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos\"",
            "\tclient, err := azcosmos.NewClient(endpoint, credential, nil)\n\tif err != nil {\n\t\tlog.Fatal(err)\n\t}\n\t// The database to read: COSMOS_DATABASE in the pod's env.\n\tdatabase, err := client.NewDatabase(os.Getenv(\"COSMOS_DATABASE\"))\n\tif err != nil {\n\t\tlog.Fatal(err)\n\t}\n\tresponse, err := database.Read(context.Background(), nil)\n\tif err != nil {\n\t\tlog.Fatal(err)\n\t}\n\tfmt.Println(response.DatabaseProperties.ID)",
        ),
        Service::Blob => (
            "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob",
            "\"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob\"",
            "\tclient, err := azblob.NewClient(endpoint, credential, nil)\n\tif err != nil {\n\t\tlog.Fatal(err)\n\t}\n\tpager := client.NewListContainersPager(nil)\n\tfor pager.More() {\n\t\tpage, err := pager.NextPage(context.Background())\n\t\tif err != nil {\n\t\t\tlog.Fatal(err)\n\t\t}\n\t\tfor _, container := range page.ContainerItems {\n\t\t\tfmt.Println(*container.Name)\n\t\t}\n\t}",
        ),
        Service::KeyVault => (
            "github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets",
            "\"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets\"",
            "\tclient, err := azsecrets.NewClient(endpoint, credential, nil)\n\tif err != nil {\n\t\tlog.Fatal(err)\n\t}\n\tpager := client.NewListSecretPropertiesPager(nil)\n\tfor pager.More() {\n\t\tpage, err := pager.NextPage(context.Background())\n\t\tif err != nil {\n\t\t\tlog.Fatal(err)\n\t\t}\n\t\tfor _, secret := range page.Value {\n\t\t\tfmt.Println(secret.ID.Name())\n\t\t}\n\t}",
        ),
        Service::Arm => (
            "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armsubscriptions",
            "\"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armsubscriptions\"",
            "\tclient, err := armsubscriptions.NewClient(credential, nil)\n\tif err != nil {\n\t\tlog.Fatal(err)\n\t}\n\tpager := client.NewListPager(nil)\n\tfor pager.More() {\n\t\tpage, err := pager.NextPage(context.Background())\n\t\tif err != nil {\n\t\t\tlog.Fatal(err)\n\t\t}\n\t\tfor _, subscription := range page.Value {\n\t\t\tfmt.Println(*subscription.SubscriptionID, *subscription.DisplayName)\n\t\t}\n\t}",
        ),
    };
    let uses_os = target.service == Service::Cosmos;
    let endpoint_line = if target.service == Service::Arm {
        // armsubscriptions takes its endpoint from the cloud configuration, not a URL.
        String::new()
    } else {
        format!("const endpoint = {:?}\n\n", target.endpoint)
    };
    let code = format!(
        "package main\n\n\
         import (\n\t\"context\"\n\t\"fmt\"\n\t\"log\"\n{os}\n\t\"github.com/Azure/azure-sdk-for-go/sdk/azidentity\"\n\t{import}\n)\n\n\
         {endpoint_line}\
         func main() {{\n\
         \t// Also honours AZURE_AUTHORITY_HOST (set by kwif) for sovereign clouds.\n\
         \tcredential, err := azidentity.NewWorkloadIdentityCredential(nil)\n\
         \tif err != nil {{\n\t\tlog.Fatal(err)\n\t}}\n\
         {call}\n}}\n",
        os = if uses_os { "\t\"os\"\n" } else { "" },
    );
    (
        format!("go get github.com/Azure/azure-sdk-for-go/sdk/azidentity {module}"),
        code,
    )
}

fn java(target: &Target) -> (String, String) {
    let (artifact, imports, call) = match target.service {
        Service::Cosmos => (
            "com.azure:azure-cosmos",
            "import com.azure.cosmos.CosmosClient;\nimport com.azure.cosmos.CosmosClientBuilder;",
            "        CosmosClient client = new CosmosClientBuilder().endpoint(ENDPOINT).credential(credential).buildClient();\n        client.readAllDatabases().forEach(database -> System.out.println(database.getId()));",
        ),
        Service::Blob => (
            "com.azure:azure-storage-blob",
            "import com.azure.storage.blob.BlobServiceClient;\nimport com.azure.storage.blob.BlobServiceClientBuilder;",
            "        BlobServiceClient client = new BlobServiceClientBuilder().endpoint(ENDPOINT).credential(credential).buildClient();\n        client.listBlobContainers().forEach(container -> System.out.println(container.getName()));",
        ),
        Service::KeyVault => (
            "com.azure:azure-security-keyvault-secrets",
            "import com.azure.security.keyvault.secrets.SecretClient;\nimport com.azure.security.keyvault.secrets.SecretClientBuilder;",
            "        SecretClient client = new SecretClientBuilder().vaultUrl(ENDPOINT).credential(credential).buildClient();\n        client.listPropertiesOfSecrets().forEach(secret -> System.out.println(secret.getName()));",
        ),
        Service::Arm => (
            "com.azure.resourcemanager:azure-resourcemanager",
            "import com.azure.core.management.AzureEnvironment;\nimport com.azure.core.management.profile.AzureProfile;\nimport com.azure.resourcemanager.AzureResourceManager;",
            "        AzureResourceManager.Authenticated azure = AzureResourceManager.authenticate(credential, new AzureProfile(AzureEnvironment.AZURE));\n        azure.subscriptions().list().forEach(subscription -> System.out.println(subscription.subscriptionId() + \" \" + subscription.displayName()));",
        ),
    };
    let code = format!(
        "import com.azure.identity.WorkloadIdentityCredential;\n\
         import com.azure.identity.WorkloadIdentityCredentialBuilder;\n\
         {imports}\n\n\
         public class Main {{\n\
         \x20   static final String ENDPOINT = {endpoint:?};\n\n\
         \x20   public static void main(String[] args) {{\n\
         \x20       // Also honours AZURE_AUTHORITY_HOST (set by kwif) for sovereign clouds.\n\
         \x20       WorkloadIdentityCredential credential = new WorkloadIdentityCredentialBuilder().build();\n\
         {call}\n\
         \x20   }}\n}}\n",
        endpoint = target.endpoint,
    );
    (
        format!("Maven: com.azure:azure-identity and {artifact}"),
        code,
    )
}

/// The Rust snippet asks for the token with azure_identity and calls the service's REST API with
/// reqwest: the Rust SDK's service crates are previews whose API still changes, while the
/// credential crate is 1.0. It compiles against kwif's own azure_identity (tests/cli_handoff.rs).
fn rust(target: &Target) -> (String, String) {
    let (path, headers) = match target.service {
        Service::Cosmos => (
            "dbs",
            "        .header(\"x-ms-version\", \"2018-12-31\")\n        .header(\"x-ms-date\", httpdate::fmt_http_date(std::time::SystemTime::now()))\n",
        ),
        Service::Blob => (
            "?comp=list",
            "        .header(\"x-ms-version\", \"2025-11-05\")\n",
        ),
        Service::KeyVault => ("secrets?api-version=7.5", ""),
        Service::Arm => ("subscriptions?api-version=2022-12-01", ""),
    };
    // Cosmos DB takes an Entra token in its own Authorization form (`type=aad&ver=1.0&sig=…`).
    let authorization = if target.service == Service::Cosmos {
        "        .header(\"authorization\", format!(\"type%3Daad%26ver%3D1.0%26sig%3D{}\", token.token.secret()))\n"
    } else {
        "        .bearer_auth(token.token.secret())\n"
    };
    let extra_crate = if target.service == Service::Cosmos {
        " httpdate"
    } else {
        ""
    };
    let code = format!(
        "// main.rs. The token comes from azure_identity; the call is the service's REST API.\n\
         use azure_core::credentials::TokenCredential;\n\
         use azure_identity::WorkloadIdentityCredential;\n\n\
         const ENDPOINT: &str = {endpoint:?};\n\
         const SCOPE: &str = {scope:?};\n\n\
         #[tokio::main]\n\
         async fn main() -> Result<(), Box<dyn std::error::Error>> {{\n\
         \x20   let credential = WorkloadIdentityCredential::new(None)?;\n\
         \x20   let token = credential.get_token(&[SCOPE], None).await?;\n\
         \x20   let body = reqwest::Client::new()\n\
         \x20       .get(format!(\"{{ENDPOINT}}{path}\"))\n\
         {authorization}{headers}\
         \x20       .send()\n\
         \x20       .await?\n\
         \x20       .error_for_status()?\n\
         \x20       .text()\n\
         \x20       .await?;\n\
         \x20   println!(\"{{body}}\");\n\
         \x20   Ok(())\n\
         }}\n",
        endpoint = target.endpoint,
        scope = target.scope,
    );
    (
        format!(
            "cargo add azure_identity azure_core reqwest{extra_crate} tokio --features tokio/macros,tokio/rt-multi-thread"
        ),
        code,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(roles: &str) -> Profile {
        let text = format!(
            "issuer: https://oidc.example.com\nhosting: {{ kind: apiserver }}\n\
             azure: {{ resourceGroup: rg1, location: westeurope }}\n\
             identity: {{ name: id-app, roles: [{roles}] }}\n\
             workloads:\n  - {{ namespace: app, serviceAccount: app-sa, name: web }}\n"
        );
        Profile::from_yaml(&text).unwrap()
    }

    const STORAGE: &str = "{ role: Storage Blob Data Reader, scope: /subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/st1 }";
    const COSMOS: &str = "{ cosmosDataRole: Cosmos DB Built-in Data Reader, account: /subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/resourceGroups/rg1/providers/Microsoft.DocumentDB/databaseAccounts/cosmos1 }";

    #[test]
    fn the_endpoint_comes_from_the_roles_scope() {
        let profile = profile(&format!("{STORAGE}, {COSMOS}"));
        let blob = target(&profile, None).unwrap();
        assert_eq!(blob.service, Service::Blob, "the first role's service");
        assert_eq!(blob.endpoint, "https://st1.blob.core.windows.net/");
        let cosmos = target(&profile, Some(Service::Cosmos)).unwrap();
        assert_eq!(cosmos.endpoint, "https://cosmos1.documents.azure.com:443/");
        assert_eq!(cosmos.scope, "https://cosmos1.documents.azure.com/.default");
        let arm = target(&profile, Some(Service::Arm)).unwrap();
        assert_eq!(arm.endpoint, "https://management.azure.com/");
        let error = target(&profile, Some(Service::KeyVault)).unwrap_err();
        assert!(
            error.to_string().starts_with("--service keyvault: no role"),
            "{error}"
        );
        assert_eq!(
            target(&self::profile(""), None).unwrap().service,
            Service::Arm
        );
    }

    #[test]
    fn snippets_hold_the_endpoint_and_the_credential_and_no_id() {
        let profile = profile(&format!("{STORAGE}, {COSMOS}"));
        for service in [Service::Cosmos, Service::Blob, Service::Arm] {
            let target = target(&profile, Some(service)).unwrap();
            for language in [
                Language::Python,
                Language::JavaScript,
                Language::DotNet,
                Language::Go,
                Language::Java,
                Language::Rust,
            ] {
                let code = snippet(language, &target).code;
                assert!(
                    code.contains("WorkloadIdentityCredential"),
                    "{language:?}\n{code}"
                );
                assert!(!code.contains("cccccccc"), "no subscription id in\n{code}");
                if !(language == Language::Go && service == Service::Arm) {
                    assert!(
                        code.contains(&target.endpoint),
                        "{language:?} {service:?}\n{code}"
                    );
                }
            }
        }
    }
}
