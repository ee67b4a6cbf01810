//! The command line's arguments (clap): every command, its flags and their help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use kwif::engine::StepId;
use kwif::oidc::AZURE_AUDIENCE;

pub(crate) const AFTER_HELP: &str = "\
The six steps, in wizard order: issuer, hosting, identity, federation, workload, verify.
Exit codes: 0 everything ok, 1 a check found drift or errors, 2 bad usage or input.

Start with `kwif demo`: the whole wizard on an embedded sandbox (no cluster, no Azure account).
The verify step exchanges each service account's token at Entra ID, then asks Resource Manager,
as the identity, whether every Azure role is in effect at its scope. Not built yet, and said so
where it applies: Cosmos DB data roles are checked as assignments, not exercised against the
account's data plane (VERIFY_TARGET_NOT_CALLED).

Hosting on Azure Blob Storage (hosting.kind: azure-blob) creates the storage account when it is
missing (StorageV2, Standard_LRS, HTTPS only, TLS 1.2), allows anonymous blob reads when the
documents live in a public container, and reads the account key through Resource Manager; a key
in AZURE_STORAGE_KEY is used instead when set.";

#[derive(Parser)]
#[command(
    name = "kwif",
    version,
    about = "Set up, check and repair workload identity federation from self-managed Kubernetes to Microsoft Entra ID",
    long_about = "kwif walks through the six steps that let a pod authenticate to Azure with its projected \
service-account token (no stored secret): the cluster's issuer, hosting of the OIDC discovery document \
and JWKS, a managed identity with its roles, the federated credential, the workload patch, and an \
end-to-end token exchange. Every step is checked live, every change is shown as a diff first.",
    after_help = AFTER_HELP
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
}

#[derive(Args, Clone)]
pub(crate) struct GlobalArgs {
    /// Kubeconfig file to use instead of $KUBECONFIG or ~/.kube/config.
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) kubeconfig: Option<PathBuf>,
    /// Kubeconfig context to use instead of the current one.
    #[arg(long, global = true, value_name = "NAME")]
    pub(crate) context: Option<String>,
    /// Azure subscription id to use instead of the Azure CLI's selected one.
    #[arg(long, global = true, value_name = "ID")]
    pub(crate) subscription: Option<String>,
    /// Plain output without colours (the NO_COLOR environment variable does the same).
    #[arg(long, global = true)]
    pub(crate) no_color: bool,
    /// Log every outbound request to standard error: method, URL (no secrets), status, request id, time.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
    /// How long to wait for a server to connect and to answer; a step gives up after six times that.
    #[arg(long, global = true, value_name = "SECONDS", env = "KWIF_TIMEOUT", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub(crate) timeout: u64,
}

impl GlobalArgs {
    pub(crate) fn timeouts(&self) -> kwif::network::Timeouts {
        kwif::network::Timeouts::uniform(std::time::Duration::from_secs(self.timeout))
    }
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Run the wizard on the embedded sandbox: no cluster or Azure account needed.
    Demo {
        #[arg(long, value_enum, default_value_t = Scenario::Fresh)]
        scenario: Scenario,
        /// How long the sandbox's Entra ID ignores a new or changed federated credential
        /// (AADSTS70021), as the real one does for a minute or more: verify then counts down.
        #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = humantime::parse_duration)]
        propagation_delay: std::time::Duration,
    },
    /// Check every step against the profile, read-only: the six steps, live.
    Check {
        #[command(flatten)]
        target: Target,
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        output: ReportFormat,
    },
    /// Show the changes each step would make, as diffs; nothing is changed.
    Plan {
        #[command(flatten)]
        target: Target,
        #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
        output: PlanFormat,
    },
    /// Make the planned changes, asking before each step, then check every step again.
    Apply {
        #[command(flatten)]
        target: Target,
        /// Apply without asking (for scripts and CI).
        #[arg(long)]
        yes: bool,
        /// Only these steps (repeatable): issuer, hosting, identity, federation, workload, verify.
        #[arg(long = "step", value_name = "ID", value_parser = parse_step_id)]
        steps: Vec<StepId>,
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        output: ReportFormat,
    },
    /// Remove what kwif created or changed, in reverse wizard order, asking before each step.
    #[command(after_help = "\
Removes, after showing each step's plan as a diff: the fields kwif set on each workload (an empty
server-side apply as field manager kwif, so the user's own fields stay), the ServiceAccounts kwif
created (label app.kubernetes.io/managed-by: kwif; others only lose kwif's fields; one a workload
still names stays), the federated credentials with the profile's issuer and subjects, the role
assignments kwif made (its own names; one you made under another name stays), the managed identity
or app registration when kwif created it (tag created-by: kwif) unless --keep-identity, and what
hosting published (directory files, kwif-labelled nginx objects, the two blobs, the apiserver's
anonymous-read binding). The issuer step never edits the node: its plan shows how to restore the
config file from the backup kwif made. Something already gone is not planned, so a second destroy
removes nothing.

Examples:
  kwif destroy --demo --yes
  kwif destroy --profile kwif.yaml --step workload --step federation
  kwif destroy --yes --keep-identity --output json")]
    Destroy {
        #[command(flatten)]
        target: Target,
        /// Remove without asking (for scripts and CI).
        #[arg(long)]
        yes: bool,
        /// Only these steps (repeatable): issuer, hosting, identity, federation, workload, verify.
        #[arg(long = "step", value_name = "ID", value_parser = parse_step_id)]
        steps: Vec<StepId>,
        /// Keep the managed identities kwif created (their role assignments and credentials still go).
        #[arg(long)]
        keep_identity: bool,
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        output: ReportFormat,
    },
    /// Check a hosted issuer exactly as Entra ID will: discovery document, JWKS, and a token.
    #[command(after_help = "\
Fetches {issuer}/.well-known/openid-configuration (any trailing slash of the issuer removed), then the
document's jwks_uri, and reports every problem with its stable code and a one-line fix. With --token
it also checks the token's iss, aud, exp/nbf, kid and signature against what is published; the token
itself is never printed.

Examples:
  kwif doctor --issuer https://oidc.example.com/cluster1
  kubectl create token app-sa -n app --audience api://AzureADTokenExchange > t.jwt
  kwif doctor --issuer https://oidc.example.com/cluster1 --token t.jwt --output json

Exit codes: 0 no errors (warnings allowed), 1 at least one error, 2 bad input.")]
    Doctor {
        /// The issuer URL, exactly as in the federated credential (trailing slash matters).
        #[arg(long, value_name = "URL")]
        issuer: String,
        /// A service-account token file to check too ('-' reads standard input).
        #[arg(long, value_name = "FILE")]
        token: Option<PathBuf>,
        /// The audience the token must carry.
        #[arg(long, value_name = "AUDIENCE", default_value = AZURE_AUDIENCE)]
        audience: String,
        /// Also trust this CA certificate (PEM), e.g. a private or test CA. Repeatable.
        #[arg(long = "ca-file", value_name = "PEM")]
        ca_files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        output: ReportFormat,
    },
    /// Print a distribution's config file with the issuer change made.
    #[command(after_help = "\
Reads the distribution's real config format, changes only the issuer flags (the new issuer signs,
--keep-issuer stays accepted where the distribution allows it) and service-account-jwks-uri, keeps
everything else (comments too), and prints the result in the same format, followed by comment
lines with the file's path, notes and the restart command.

Examples:
  kwif cluster-config --distribution k0s --issuer https://oidc.example.com/c1 --file /etc/k0s/k0s.yaml \\
      --keep-issuer https://kubernetes.default.svc
  kwif cluster-config --distribution k3s --issuer https://oidc.example.com/c1
  kwif cluster-config --distribution kubeadm-manifest --issuer https://oidc.example.com/c1 \\
      --file /etc/kubernetes/manifests/kube-apiserver.yaml")]
    ClusterConfig {
        #[arg(long, value_enum)]
        distribution: kwif::distro::Distribution,
        #[arg(long, value_name = "URL")]
        issuer: String,
        /// The current config file to change (a minimal snippet without it).
        #[arg(long, value_name = "PATH")]
        file: Option<PathBuf>,
        /// Keep this old issuer accepted, so existing tokens stay valid.
        #[arg(long, value_name = "OLD")]
        keep_issuer: Option<String>,
        /// The public JWKS URL (default {issuer}/openid/v1/jwks).
        #[arg(long, value_name = "URL")]
        jwks_uri: Option<String>,
    },
    /// Build the JWKS from the cluster's service-account keys (PEM files).
    #[command(after_help = "\
Accepts every form kube-apiserver's --service-account-key-file accepts: PUBLIC KEY (PKIX),
RSA PUBLIC KEY and RSA PRIVATE KEY (PKCS#1), PRIVATE KEY (PKCS#8), EC PRIVATE KEY; RSA and EC
P-256/384/521; several keys per file. Private keys are reduced to their public half; nothing
private is ever written. Each key's kid is computed exactly as kube-apiserver does.

Examples:
  kwif jwks --key /etc/kubernetes/pki/sa.pub
  kwif jwks --key sa-old.pub --key sa-new.pub --output jwks.json   # during a key rotation")]
    Jwks {
        /// A PEM file with one or more keys (repeatable).
        #[arg(long = "key", value_name = "PEM", required = true, num_args = 1..)]
        keys: Vec<PathBuf>,
        /// Write the JWKS to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Print the OIDC discovery document for an issuer.
    #[command(after_help = "\
Prints the five fields kube-apiserver serves, in its order. Publish the result at
{issuer}/.well-known/openid-configuration with Content-Type: application/json.

Example:
  kwif discovery --issuer https://st1.blob.core.windows.net/oidc/")]
    Discovery {
        /// The issuer URL, kept byte for byte.
        #[arg(long, value_name = "URL")]
        issuer: String,
        /// Where the JWKS is published (default {issuer}/openid/v1/jwks).
        #[arg(long, value_name = "URL")]
        jwks_uri: Option<String>,
    },
    /// Work with service-account tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Render each wizard view, from the demo scenarios, to SVG (the README's pictures).
    Screenshots {
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
    /// Write a profile (kwif.yaml) from flags, validated exactly as every command reads it.
    #[command(after_help = "\
Builds kwif.yaml from the flags, checks it with the same rules every command applies when reading it,
and writes it (never over an existing file without --force). A refused value exits 2 naming its flag.
What no flag gives is taken, and said on standard error, from: the kubeconfig's current context
(--kubeconfig, $KUBECONFIG), the Azure CLI's default subscription and its tenant (azureProfile.json in
$AZURE_CONFIG_DIR or ~/.azure), the Azure CLI's defaults.group and defaults.location, and the issuer
(nginx hosting on the issuer's host; an Azure Storage issuer's account and container).

--workload is NS/SA (a Deployment named SA), NS/SA/NAME (a Deployment) or NS/SA/KIND/NAME with KIND
one of Deployment, StatefulSet, DaemonSet, CronJob, Job. --context and --subscription are the global
flags of the same name.

Examples:
  kwif init --issuer https://oidc.example.com/cluster1 \\
      --workload application1/application1-sa/Deployment/web-server \\
      --resource-group rg-application1 --location westeurope \\
      --role 'Storage Blob Data Reader@/subscriptions/ID/resourceGroups/rg-application1/providers/Microsoft.Storage/storageAccounts/st1'
  kwif init --profile prod.yaml --issuer https://stoidc1.blob.core.windows.net/oidc/ --hosting azure-blob \\
      --workload shop/cart-sa/cart --identity id-shop --resource-group rg-shop --location westeurope \\
      --cosmos-role 'Cosmos DB Built-in Data Contributor@/subscriptions/ID/resourceGroups/rg-shop/providers/Microsoft.DocumentDB/databaseAccounts/cosmos1'
Then: kwif check --profile FILE")]
    Init(Box<InitArgs>),
    /// Write what apply would make as a kustomization, Terraform and the node's issuer change.
    #[command(after_help = "\
Reads the profile, the cluster and Azure (the same plan `kwif apply` would make, in full whatever is
already in place) and writes:
  DIR/kubernetes/  kustomization.yaml: the ServiceAccounts, the nginx hosting objects, each workload as
                   the cluster has it (workloads/), and one strategic-merge patch per workload (patches/:
                   projected token volume, mount, AZURE_* env) targeting it by kind, namespace and name
  DIR/azure/       main.tf, variables.tf, outputs.tf (azurerm): the managed identity, role assignments,
                   Cosmos DB data-plane role assignments, federated credentials with the exact issuer,
                   subject and audience; an import block for each one that exists already
  DIR/node/        the distribution's config with the issuer change, and where it goes
  DIR/README.md    the order (Azure, nodes, Kubernetes) and the `kwif check` that confirms it
Unchanged inputs rewrite the same bytes. Exit codes: 0 written, 1 written with gaps (something could
not be read; said on standard error and in README.md), 2 bad input.

Examples:
  kwif export --out gitops/cluster1
  kwif export --profile prod.yaml --out handoff --azure none
  kwif export --demo --out /tmp/handoff && kubectl kustomize /tmp/handoff/kubernetes")]
    Export {
        #[command(flatten)]
        target: Target,
        /// The directory to write (created when missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Write the Azure side as Terraform, or not at all.
        #[arg(long, value_enum, default_value_t = ExportAzure::Terraform)]
        azure: ExportAzure,
    },
    /// Print the code a workload needs to get a token and call an Azure service, in one language.
    #[command(after_help = "\
Prints a whole source file: the Azure SDK's WorkloadIdentityCredential (it reads AZURE_CLIENT_ID,
AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE, which kwif puts in the pod) and one call to the service,
with the package to add in its first lines. The only value written into the code is the service's
endpoint, taken from the profile's role scopes (a Cosmos DB account, a storage account, a key vault);
without --service, the first role's service, else Resource Manager.

Examples:
  kwif snippet --language python > app.py
  kwif snippet --profile kwif.yaml --language go --service cosmos
  kwif snippet --demo --language javascript")]
    Snippet {
        #[command(flatten)]
        target: Target,
        #[arg(long, value_enum)]
        language: SnippetLanguage,
        /// The service to call (default: the first role's).
        #[arg(long, value_enum)]
        service: Option<SnippetService>,
    },
    /// Explain a finding code or an AADSTS code: what it means, the usual reason, the fix.
    #[command(after_help = "\
Answers every finding code kwif reports (README, \"Finding codes\") and every AADSTS code kwif knows,
for an error met anywhere: in kwif's output, an application's log, or an Azure SDK's exception.
AADSTS codes are accepted with or without the prefix, in any case. An unknown code exits 2 and
names the closest known codes.

Examples:
  kwif explain AADSTS700213
  kwif explain 90061
  kwif explain discovery_content_type")]
    Explain {
        /// The code: AADSTS700213, 700213, DISCOVERY_CONTENT_TYPE, …
        code: String,
    },
    /// Run the sandbox as long-lived servers, to try the headless commands and kubectl against it.
    Sandbox {
        #[command(subcommand)]
        command: SandboxCommand,
    },
}

/// The flags of `kwif init`.
#[derive(Args)]
pub(crate) struct InitArgs {
    /// Where to write the profile.
    #[arg(long, value_name = "FILE", default_value = "kwif.yaml")]
    pub(crate) profile: PathBuf,
    /// Overwrite the profile when it exists.
    #[arg(long)]
    pub(crate) force: bool,
    /// The issuer URL, copied byte for byte into every federated credential.
    #[arg(long, value_name = "URL")]
    pub(crate) issuer: String,
    /// A workload: NS/SA, NS/SA/NAME or NS/SA/KIND/NAME (repeatable).
    #[arg(long = "workload", value_name = "NS/SA[/KIND/NAME]")]
    pub(crate) workloads: Vec<String>,
    /// The managed identity's name (default id-NAMESPACE of the first workload).
    #[arg(long, value_name = "NAME")]
    pub(crate) identity: Option<String>,
    /// An Azure RBAC role on a scope, 'ROLE@SCOPE' (repeatable).
    #[arg(long = "role", value_name = "ROLE@SCOPE")]
    pub(crate) roles: Vec<String>,
    /// A Cosmos DB data-plane role on an account, 'ROLE@ACCOUNT_ID' (repeatable).
    #[arg(long = "cosmos-role", value_name = "ROLE@ACCOUNT_ID")]
    pub(crate) cosmos_roles: Vec<String>,
    /// Where the discovery document and JWKS are published: nginx, azure-blob, directory, apiserver (default nginx).
    #[arg(long, value_name = "KIND")]
    pub(crate) hosting: Option<String>,
    /// nginx: the Ingress host (default: the issuer's host).
    #[arg(long, value_name = "HOST")]
    pub(crate) nginx_host: Option<String>,
    /// nginx: the IngressClass (default nginx).
    #[arg(long, value_name = "NAME")]
    pub(crate) ingress_class: Option<String>,
    /// nginx: the cert-manager ClusterIssuer for the certificate (none: you provide the TLS Secret).
    #[arg(long, value_name = "NAME")]
    pub(crate) cluster_issuer: Option<String>,
    /// nginx: the namespace of the hosting objects (default kwif-oidc).
    #[arg(long, value_name = "NS")]
    pub(crate) nginx_namespace: Option<String>,
    /// azure-blob: the storage account (default: from the issuer).
    #[arg(long, value_name = "NAME")]
    pub(crate) storage_account: Option<String>,
    /// azure-blob: the public container (default: from the issuer).
    #[arg(long, value_name = "NAME")]
    pub(crate) container: Option<String>,
    /// azure-blob: public-container or static-website (default: from the issuer).
    #[arg(long, value_name = "MODE")]
    pub(crate) blob_mode: Option<String>,
    /// azure-blob: the storage account's resource group (default --resource-group).
    #[arg(long, value_name = "RG")]
    pub(crate) blob_resource_group: Option<String>,
    /// directory: where the documents are written for a static host.
    #[arg(long, value_name = "PATH")]
    pub(crate) directory: Option<String>,
    /// The resource group of the managed identity (default: the Azure CLI's defaults.group).
    #[arg(long, value_name = "RG")]
    pub(crate) resource_group: Option<String>,
    /// The Azure region of the managed identity (default: the Azure CLI's defaults.location).
    #[arg(long, value_name = "REGION")]
    pub(crate) location: Option<String>,
    /// The Entra tenant id (default: the Azure CLI's default subscription's tenant).
    #[arg(long, value_name = "ID")]
    pub(crate) tenant: Option<String>,
    /// public, china, usgov or custom (default public).
    #[arg(long, value_name = "CLOUD")]
    pub(crate) cloud: Option<String>,
    /// With --cloud custom: the Resource Manager URL.
    #[arg(long, value_name = "URL")]
    pub(crate) resource_manager: Option<String>,
    /// With --cloud custom: the authority host (Entra ID's login URL).
    #[arg(long, value_name = "URL")]
    pub(crate) authority_host: Option<String>,
    /// The token-exchange audience when it must differ from the cloud's.
    #[arg(long, value_name = "AUDIENCE")]
    pub(crate) audience: Option<String>,
    /// The cluster's distribution (default auto).
    #[arg(long, value_name = "D")]
    pub(crate) distribution: Option<String>,
    /// Where the control-plane node's filesystem is (default /).
    #[arg(long, value_name = "DIR")]
    pub(crate) node_root: Option<String>,
}

#[derive(Subcommand)]
pub(crate) enum SandboxCommand {
    /// Start the sandbox (a k3s-like API server, Resource Manager with Entra ID, an HTTPS static
    /// host, all on loopback) and serve until Ctrl-C or SIGTERM.
    #[command(after_help = "\
Writes into DIR: kubeconfig (context kwif-sandbox), kwif.yaml (a profile for the scenario, with a
custom cloud pointing at the sandbox), ca.pem (the sandbox's CA), env (export lines: KUBECONFIG,
SSL_CERT_FILE, AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET), node/ (the control-plane
node's files: kwif's issuer step writes node/etc/rancher/k3s/config.yaml and the API server takes
it as a restart would) and site/ (what the static host serves). State lives as long as the
process: an apply in one shell is seen by a check in another, as with a real cluster.

Example, in a second shell once it prints `ready:`:
  . DIR/env
  kwif apply --profile DIR/kwif.yaml --yes
  kwif plan --profile DIR/kwif.yaml          # plans nothing
  kubectl get deployment -A")]
    Serve {
        /// Where to write the files above (created when missing).
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        #[arg(long, value_enum, default_value_t = Scenario::Fresh)]
        scenario: Scenario,
        /// Delay every answer of every sandbox server by N milliseconds (what real networks do).
        #[arg(long, value_name = "N", default_value_t = 0)]
        latency_ms: u64,
        /// How long Entra ID ignores a new or changed federated credential (AADSTS70021).
        #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = humantime::parse_duration)]
        propagation_delay: std::time::Duration,
    },
}

#[derive(Subcommand)]
pub(crate) enum TokenCommand {
    /// Show a token's header and claims, times as dates; never its signature.
    Decode {
        /// The token file, or '-' for standard input.
        file: PathBuf,
    },
}

#[derive(Args)]
pub(crate) struct Target {
    /// The setup profile.
    #[arg(
        long,
        value_name = "FILE",
        default_value = "kwif.yaml",
        conflicts_with = "demo"
    )]
    pub(crate) profile: PathBuf,
    /// Run on the embedded sandbox instead of a real cluster and Azure.
    #[arg(long)]
    pub(crate) demo: bool,
    /// The sandbox scenario (with --demo).
    #[arg(long, value_enum, requires = "demo")]
    pub(crate) scenario: Option<Scenario>,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Scenario {
    /// Nothing set up yet: the wizard walks through every step.
    Fresh,
    /// A rotated signing key not yet published, a wrong federated subject, a missing env var.
    Drifted,
    /// Documents served as text/plain at the .well-known/oidc-configuration typo.
    BrokenHosting,
}

impl Scenario {
    pub(crate) fn sandbox(self) -> kwif::demo::Scenario {
        match self {
            Scenario::Fresh => kwif::demo::Scenario::Fresh,
            Scenario::Drifted => kwif::demo::Scenario::Drifted,
            Scenario::BrokenHosting => kwif::demo::Scenario::BrokenHosting,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExportAzure {
    /// azure/main.tf, variables.tf, outputs.tf for the azurerm provider.
    Terraform,
    /// No azure/ directory.
    None,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum SnippetLanguage {
    Python,
    Javascript,
    Dotnet,
    Go,
    Java,
    Rust,
}

impl SnippetLanguage {
    pub(crate) fn language(self) -> kwif::export::snippet::Language {
        use kwif::export::snippet::Language;
        match self {
            SnippetLanguage::Python => Language::Python,
            SnippetLanguage::Javascript => Language::JavaScript,
            SnippetLanguage::Dotnet => Language::DotNet,
            SnippetLanguage::Go => Language::Go,
            SnippetLanguage::Java => Language::Java,
            SnippetLanguage::Rust => Language::Rust,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum SnippetService {
    /// A Cosmos DB account (its data plane).
    Cosmos,
    /// A storage account's blob service.
    Blob,
    /// A key vault's secrets.
    Keyvault,
    /// Azure Resource Manager.
    Arm,
}

impl SnippetService {
    pub(crate) fn service(self) -> kwif::export::snippet::Service {
        use kwif::export::snippet::Service;
        match self {
            SnippetService::Cosmos => Service::Cosmos,
            SnippetService::Blob => Service::Blob,
            SnippetService::Keyvault => Service::KeyVault,
            SnippetService::Arm => Service::Arm,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum PlanFormat {
    Text,
    Json,
    Yaml,
}

pub(crate) fn parse_step_id(text: &str) -> Result<StepId, String> {
    StepId::parse(text).ok_or_else(|| {
        let ids: Vec<&str> = StepId::ALL.iter().map(|id| id.as_str()).collect();
        format!("unknown step {text:?}; the steps are {}", ids.join(", "))
    })
}
