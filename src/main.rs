//! The `kwif` command line: parses arguments (clap), runs the chosen command over the library,
//! and turns results into output and exit codes (0 ok, 1 findings, 2 bad usage or input).
//! No step logic lives here.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use std::sync::Arc;

mod destroy;

use kwif::demo::Demo;
use kwif::discover::EnvironmentDiscovery;
use kwif::engine::render::{
    render_json, render_plans_json, render_plans_text, render_plans_yaml, render_text,
};
use kwif::engine::{Check, ProgressSink, Report, Runner, StepId};
use kwif::input::InputKind;
use kwif::oidc::AZURE_AUDIENCE;
use kwif::oidc::doctor::{Doctor, Examination};
use kwif::oidc::fetch::Fetcher;
use kwif::oidc::issuer::{IssuerUrl, jwks_uri_problem, shown};
use kwif::oidc::jwt::Jwt;
use kwif::profile::{Profile, ProfileError};
use kwif::session::{self, Environment};
use kwif::tui::{SetupDefaults, StartFuture, Started, StepFactory, StepSet, WizardConfig};

const AFTER_HELP: &str = "\
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
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    global: GlobalArgs,
}

#[derive(Args, Clone)]
struct GlobalArgs {
    /// Kubeconfig file to use instead of $KUBECONFIG or ~/.kube/config.
    #[arg(long, global = true, value_name = "FILE")]
    kubeconfig: Option<PathBuf>,
    /// Kubeconfig context to use instead of the current one.
    #[arg(long, global = true, value_name = "NAME")]
    context: Option<String>,
    /// Azure subscription id to use instead of the Azure CLI's selected one.
    #[arg(long, global = true, value_name = "ID")]
    subscription: Option<String>,
    /// Plain output without colours (the NO_COLOR environment variable does the same).
    #[arg(long, global = true)]
    no_color: bool,
    /// Log every outbound request to standard error: method, URL (no secrets), status, request id, time.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// How long to wait for a server to connect and to answer; a step gives up after six times that.
    #[arg(long, global = true, value_name = "SECONDS", env = "KWIF_TIMEOUT", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    timeout: u64,
}

impl GlobalArgs {
    fn timeouts(&self) -> kwif::network::Timeouts {
        kwif::network::Timeouts::uniform(std::time::Duration::from_secs(self.timeout))
    }
}

#[derive(Subcommand)]
enum Command {
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
created (label app.kubernetes.io/managed-by: kwif; others only lose kwif's fields), the federated
credentials with the profile's issuer and subjects, the profile's role assignments of each identity,
the managed identity when kwif created it (tag created-by: kwif) unless --keep-identity, and the
documents kwif published (hosting.kind: directory). The issuer step never edits the node: its plan
shows how to restore the config file from the backup kwif made. Something already gone is not
planned, so a second destroy removes nothing.

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
struct InitArgs {
    /// Where to write the profile.
    #[arg(long, value_name = "FILE", default_value = "kwif.yaml")]
    profile: PathBuf,
    /// Overwrite the profile when it exists.
    #[arg(long)]
    force: bool,
    /// The issuer URL, copied byte for byte into every federated credential.
    #[arg(long, value_name = "URL")]
    issuer: String,
    /// A workload: NS/SA, NS/SA/NAME or NS/SA/KIND/NAME (repeatable).
    #[arg(long = "workload", value_name = "NS/SA[/KIND/NAME]")]
    workloads: Vec<String>,
    /// The managed identity's name (default id-NAMESPACE of the first workload).
    #[arg(long, value_name = "NAME")]
    identity: Option<String>,
    /// An Azure RBAC role on a scope, 'ROLE@SCOPE' (repeatable).
    #[arg(long = "role", value_name = "ROLE@SCOPE")]
    roles: Vec<String>,
    /// A Cosmos DB data-plane role on an account, 'ROLE@ACCOUNT_ID' (repeatable).
    #[arg(long = "cosmos-role", value_name = "ROLE@ACCOUNT_ID")]
    cosmos_roles: Vec<String>,
    /// Where the discovery document and JWKS are published: nginx, azure-blob, directory, apiserver (default nginx).
    #[arg(long, value_name = "KIND")]
    hosting: Option<String>,
    /// nginx: the Ingress host (default: the issuer's host).
    #[arg(long, value_name = "HOST")]
    nginx_host: Option<String>,
    /// nginx: the IngressClass (default nginx).
    #[arg(long, value_name = "NAME")]
    ingress_class: Option<String>,
    /// nginx: the cert-manager ClusterIssuer for the certificate (none: you provide the TLS Secret).
    #[arg(long, value_name = "NAME")]
    cluster_issuer: Option<String>,
    /// nginx: the namespace of the hosting objects (default kwif-oidc).
    #[arg(long, value_name = "NS")]
    nginx_namespace: Option<String>,
    /// azure-blob: the storage account (default: from the issuer).
    #[arg(long, value_name = "NAME")]
    storage_account: Option<String>,
    /// azure-blob: the public container (default: from the issuer).
    #[arg(long, value_name = "NAME")]
    container: Option<String>,
    /// azure-blob: public-container or static-website (default: from the issuer).
    #[arg(long, value_name = "MODE")]
    blob_mode: Option<String>,
    /// azure-blob: the storage account's resource group (default --resource-group).
    #[arg(long, value_name = "RG")]
    blob_resource_group: Option<String>,
    /// directory: where the documents are written for a static host.
    #[arg(long, value_name = "PATH")]
    directory: Option<String>,
    /// The resource group of the managed identity (default: the Azure CLI's defaults.group).
    #[arg(long, value_name = "RG")]
    resource_group: Option<String>,
    /// The Azure region of the managed identity (default: the Azure CLI's defaults.location).
    #[arg(long, value_name = "REGION")]
    location: Option<String>,
    /// The Entra tenant id (default: the Azure CLI's default subscription's tenant).
    #[arg(long, value_name = "ID")]
    tenant: Option<String>,
    /// public, china, usgov or custom (default public).
    #[arg(long, value_name = "CLOUD")]
    cloud: Option<String>,
    /// With --cloud custom: the Resource Manager URL.
    #[arg(long, value_name = "URL")]
    resource_manager: Option<String>,
    /// With --cloud custom: the authority host (Entra ID's login URL).
    #[arg(long, value_name = "URL")]
    authority_host: Option<String>,
    /// The token-exchange audience when it must differ from the cloud's.
    #[arg(long, value_name = "AUDIENCE")]
    audience: Option<String>,
    /// The cluster's distribution (default auto).
    #[arg(long, value_name = "D")]
    distribution: Option<String>,
    /// Where the control-plane node's filesystem is (default /).
    #[arg(long, value_name = "DIR")]
    node_root: Option<String>,
}

#[derive(Subcommand)]
enum SandboxCommand {
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
enum TokenCommand {
    /// Show a token's header and claims, times as dates; never its signature.
    Decode {
        /// The token file, or '-' for standard input.
        file: PathBuf,
    },
}

#[derive(Args)]
struct Target {
    /// The setup profile.
    #[arg(
        long,
        value_name = "FILE",
        default_value = "kwif.yaml",
        conflicts_with = "demo"
    )]
    profile: PathBuf,
    /// Run on the embedded sandbox instead of a real cluster and Azure.
    #[arg(long)]
    demo: bool,
    /// The sandbox scenario (with --demo).
    #[arg(long, value_enum, requires = "demo")]
    scenario: Option<Scenario>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Scenario {
    /// Nothing set up yet: the wizard walks through every step.
    Fresh,
    /// A rotated signing key not yet published, a wrong federated subject, a missing env var.
    Drifted,
    /// Documents served as text/plain at the .well-known/oidc-configuration typo.
    BrokenHosting,
}

impl Scenario {
    fn sandbox(self) -> kwif::demo::Scenario {
        match self {
            Scenario::Fresh => kwif::demo::Scenario::Fresh,
            Scenario::Drifted => kwif::demo::Scenario::Drifted,
            Scenario::BrokenHosting => kwif::demo::Scenario::BrokenHosting,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ExportAzure {
    /// azure/main.tf, variables.tf, outputs.tf for the azurerm provider.
    Terraform,
    /// No azure/ directory.
    None,
}

#[derive(Clone, Copy, ValueEnum)]
enum SnippetLanguage {
    Python,
    Javascript,
    Dotnet,
    Go,
    Java,
    Rust,
}

impl SnippetLanguage {
    fn language(self) -> kwif::export::snippet::Language {
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
enum SnippetService {
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
    fn service(self) -> kwif::export::snippet::Service {
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
enum ReportFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum PlanFormat {
    Text,
    Json,
    Yaml,
}

fn parse_step_id(text: &str) -> Result<StepId, String> {
    StepId::parse(text).ok_or_else(|| {
        let ids: Vec<&str> = StepId::ALL.iter().map(|id| id.as_str()).collect();
        format!("unknown step {text:?}; the steps are {}", ids.join(", "))
    })
}

/// A failure the user can fix: printed as `error: …` and exit 2.
struct UsageError(String);

impl<E: std::fmt::Display> From<E> for UsageError {
    fn from(error: E) -> Self {
        UsageError(error.to_string())
    }
}

type Outcome = Result<ExitCode, UsageError>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    kwif::network::set_verbose(cli.global.verbose > 0);
    if cli.global.no_color {
        anstream::ColorChoice::Never.write_global();
    }
    match run(cli) {
        Ok(code) => code,
        Err(UsageError(message)) => {
            let style = anstyle::Style::new()
                .fg_color(Some(anstyle::AnsiColor::Red.into()))
                .bold();
            let _ = writeln!(anstream::stderr(), "{style}error:{style:#} {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Outcome {
    let Some(command) = cli.command else {
        return wizard(&cli.global);
    };
    match command {
        Command::Doctor {
            issuer,
            token,
            audience,
            ca_files,
            output,
        } => doctor(
            &issuer,
            token.as_deref(),
            &audience,
            &ca_files,
            output,
            cli.global.timeouts(),
        ),
        Command::Jwks { keys, output } => jwks(&keys, output.as_deref()),
        Command::Discovery { issuer, jwks_uri } => discovery(&issuer, jwks_uri.as_deref()),
        Command::Token {
            command: TokenCommand::Decode { file },
        } => token_decode(&file),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "kwif", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { code } => explain(&code),
        Command::Init(args) => init(&args, &cli.global),
        Command::Snippet {
            target,
            language,
            service,
        } => snippet(&target, language, service, &cli.global),
        Command::Export { target, out, azure } => export(&target, &out, azure, &cli.global),
        Command::Demo {
            scenario,
            propagation_delay,
        } => demo_wizard(scenario, propagation_delay, &cli.global),
        Command::Sandbox {
            command:
                SandboxCommand::Serve {
                    dir,
                    scenario,
                    latency_ms,
                    propagation_delay,
                },
        } => sandbox_serve(&dir, scenario, latency_ms, propagation_delay),
        Command::Check { target, output } => check(&target, &cli.global, output),
        Command::Plan { target, output } => plan(&target, &cli.global, output),
        Command::Apply {
            target,
            yes,
            steps,
            output,
        } => apply(&target, &cli.global, yes, &steps, output),
        Command::Destroy {
            target,
            yes,
            steps,
            keep_identity,
            output,
        } => destroy::destroy(
            &destroy::DestroyArgs {
                target: &target,
                yes,
                steps: &steps,
                keep_identity,
                output,
            },
            &cli.global,
        ),
        Command::ClusterConfig {
            distribution,
            issuer,
            file,
            keep_issuer,
            jwks_uri,
        } => {
            let text = kwif::distro::cluster_config(
                distribution,
                &issuer,
                file.as_deref(),
                keep_issuer.as_deref(),
                jwks_uri.as_deref(),
            )?;
            write_stdout(&text)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Screenshots { out } => {
            let progress = Progress::show("running the demo scenarios…");
            let written = wizard_runtime()?.block_on(kwif::screenshots::write_all(&out))?;
            drop(progress);
            for path in written {
                write_stdout(&format!("{}\n", path.display()))?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A run's steps over its profile; on the demo, the sandbox lives as long as the run.
struct Session {
    runner: Runner,
    profile: Profile,
    /// The embedded sandbox with `--demo`; its servers live as long as the session.
    demo: Option<Demo>,
}

/// Loads the profile and builds every step's clients (kwif::session); a client that cannot be
/// made becomes an error finding of the steps that need it, never a crash.
async fn session_for(target: &Target, global: &GlobalArgs) -> Result<Session, UsageError> {
    if target.demo {
        return demo_session(target.scenario.unwrap_or(Scenario::Fresh), global).await;
    }
    let profile = load_profile(&target.profile, global)?;
    let runner = session::runner(&profile, &environment(global)).await;
    Ok(Session {
        runner,
        profile,
        demo: None,
    })
}

/// This machine's environment, with the global flags.
fn environment(global: &GlobalArgs) -> Environment {
    Environment {
        timeouts: global.timeouts(),
        ..Environment::from_process(global.kubeconfig.clone(), global.context.clone())
    }
}

fn load_profile(path: &Path, global: &GlobalArgs) -> Result<Profile, UsageError> {
    let mut profile = Profile::load(path).map_err(|error| match &error {
        ProfileError::Read { .. } => UsageError(format!(
            "{error}\nRun `kwif` in a terminal to create it, see the example in README.md, or pass --profile FILE."
        )),
        ProfileError::Input(_) => UsageError(error.to_string()),
        _ => UsageError(format!("{} is not a valid profile:\n{error}", path.display())),
    })?;
    if let Some(subscription) = &global.subscription {
        let parsed = uuid::Uuid::try_parse(subscription).map_err(|_| {
            UsageError(format!("--subscription {subscription:?} is not a subscription id (a GUID): see `az account list`"))
        })?;
        profile.azure.subscription = Some(parsed);
    }
    Ok(profile)
}

/// A session on the embedded sandbox: no cluster, no Azure account, nothing outside loopback.
async fn demo_session(scenario: Scenario, global: &GlobalArgs) -> Result<Session, UsageError> {
    let progress = Progress::show(&format!(
        "starting the sandbox ({})…",
        scenario.sandbox().as_str()
    ));
    let mut demo = Demo::start(scenario.sandbox())
        .await
        .map_err(|error| UsageError(format!("the demo could not start: {error}")))?;
    demo.environment.timeouts = global.timeouts();
    let runner = demo.runner().await;
    drop(progress);
    let profile = demo.profile.clone();
    Ok(Session {
        runner,
        profile,
        demo: Some(demo),
    })
}

/// Writes the identity's ids the run learned into the profile file, so the next run and the
/// workload's `AZURE_CLIENT_ID` know them.
fn save_learned_ids(session: &Session, path: &Path) {
    if session.demo.is_some() {
        return;
    }
    let Some(profile) = session::with_learned_ids(&session.profile, &session.runner.learned())
    else {
        return;
    };
    let note = match std::fs::write(path, profile.to_yaml()) {
        Ok(()) => format!(
            "saved the identity's client and principal ids into {}",
            path.display()
        ),
        Err(error) => format!(
            "could not save the identity's ids into {}: {error}",
            path.display()
        ),
    };
    let _ = writeln!(anstream::stderr(), "{note}");
}

fn print_report(report: &Report, output: ReportFormat) -> Result<(), UsageError> {
    match output {
        ReportFormat::Text => write_stdout(&render_text(report, None)),
        ReportFormat::Json => write_stdout(&(render_json(report) + "\n")),
    }
}

fn check(target: &Target, global: &GlobalArgs, output: ReportFormat) -> Outcome {
    let runtime = runtime()?;
    let session = runtime.block_on(session_for(target, global))?;
    let runner = session.runner.with_fact(countdown_on_stderr());
    let progress = Progress::show("checking every step…");
    let report = runtime.block_on(runner.check_all());
    drop(progress);
    print_report(&report, output)?;
    Ok(ExitCode::from(report.exit_code()))
}

fn plan(target: &Target, global: &GlobalArgs, output: PlanFormat) -> Outcome {
    let runtime = runtime()?;
    let session = runtime.block_on(session_for(target, global))?;
    let progress = Progress::show("planning every step…");
    let results = runtime.block_on(session.runner.plan_all());
    drop(progress);
    let mut plans = Vec::new();
    let mut failures = Vec::new();
    for (step, result) in results {
        match result {
            Ok(plan) => plans.push(plan),
            Err(error) => failures.push(format!(
                "{step}: cannot plan: {} (fix: {})",
                error.message, error.fix
            )),
        }
    }
    let text = match output {
        PlanFormat::Text => render_plans_text(&plans),
        PlanFormat::Json => render_plans_json(&plans) + "\n",
        PlanFormat::Yaml => render_plans_yaml(&plans),
    };
    write_stdout(&text)?;
    for failure in &failures {
        let _ = writeln!(anstream::stderr(), "{failure}");
    }
    let changes = plans.iter().any(|plan| !plan.is_empty());
    Ok(ExitCode::from(u8::from(changes || !failures.is_empty())))
}

fn apply(
    target: &Target,
    global: &GlobalArgs,
    yes: bool,
    steps: &[StepId],
    output: ReportFormat,
) -> Outcome {
    use std::io::IsTerminal;
    let interactive = std::io::stdin().is_terminal();
    if !yes && !interactive {
        return Err(UsageError(
            "apply changes nothing without a yes: pass --yes, or run it in a terminal to confirm each step".into(),
        ));
    }
    let runtime = runtime()?;
    let mut session = runtime.block_on(session_for(target, global))?;
    session.runner = session
        .runner
        .select(steps)
        .with_fact(countdown_on_stderr());
    let outcome = runtime.block_on(session.runner.apply_all(|plan| {
        // The diff always comes before the change; with JSON output it goes to stderr so that
        // stdout stays one JSON document.
        let diff = render_plans_text(std::slice::from_ref(plan));
        if output == ReportFormat::Text {
            let _ = write_stdout(&diff);
        } else {
            let _ = write!(anstream::stderr(), "{diff}");
        }
        yes || confirm(&format!("apply the {} step? [y/N] ", plan.step))
    }));
    if let Some(step) = outcome.declined {
        let _ = writeln!(
            anstream::stderr(),
            "stopped: the {step} step was not applied (nothing after it either)"
        );
    }
    if let Some((step, error)) = &outcome.failed {
        let _ = writeln!(
            anstream::stderr(),
            "the {step} step failed: {}\nfix: {}",
            error.message,
            error.fix
        );
    }
    save_learned_ids(&session, &target.profile);
    print_report(&outcome.report, output)?;
    let stopped = outcome.declined.is_some() || outcome.failed.is_some();
    Ok(ExitCode::from(
        outcome.report.exit_code().max(u8::from(stopped)),
    ))
}

fn interactive() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal() && std::io::stdout().is_terminal()
}

fn wizard_runtime() -> Result<tokio::runtime::Runtime, UsageError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| UsageError(format!("cannot start the async runtime: {error}")))
}

/// `kwif demo`: the wizard on the embedded sandbox. Without a terminal it prints the check
/// table instead of waiting for keys that never come.
fn demo_wizard(
    scenario: Scenario,
    propagation_delay: std::time::Duration,
    global: &GlobalArgs,
) -> Outcome {
    if !interactive() {
        let target = Target {
            profile: PathBuf::from("kwif.yaml"),
            demo: true,
            scenario: Some(scenario),
        };
        return check(&target, global, ReportFormat::Text);
    }
    let runtime = wizard_runtime()?;
    runtime.block_on(async {
        // The first frame comes at once; the sandbox starts behind it, kept here until the end.
        let running: Arc<tokio::sync::Mutex<Option<Demo>>> = Arc::default();
        let keep = running.clone();
        let timeouts = global.timeouts();
        let start: StartFuture = Box::pin(async move {
            let mut demo = Demo::start_with(scenario.sandbox(), propagation_delay)
                .await
                .map_err(|error| format!("the demo could not start: {error}"))?;
            demo.environment.timeouts = timeouts;
            let started = started(
                &demo.profile,
                demo.profile_path().to_path_buf(),
                demo.environment.clone(),
            )
            .await;
            *keep.lock().await = Some(demo);
            Ok(started)
        });
        let title = format!("kwif demo — scenario {}", scenario.sandbox().as_str());
        let code = run_wizard(title, None, global, start).await;
        if let Some(demo) = running.lock().await.take() {
            demo.shutdown().await;
        }
        code
    })
}

/// What the wizard gets once its steps exist: the same for a real run and the demo.
async fn started(profile: &Profile, path: PathBuf, environment: Environment) -> Started {
    let steps = session::runner(profile, &environment).await.into_steps();
    let rebuild_in = environment.clone();
    let factory: StepFactory = Arc::new(move |profile: Profile| {
        let environment = rebuild_in.clone();
        Box::pin(async move { Ok(session::runner(&profile, &environment).await.into_steps()) })
    });
    let discovery = EnvironmentDiscovery::new(environment, Some(&profile.azure));
    Started {
        steps: StepSet(steps),
        profile: Some(Box::new(profile.clone())),
        profile_path: Some(path),
        step_factory: Some(factory),
        discovery: Some(Arc::new(discovery)),
    }
}

/// The wizard: its first frame at once, the steps from `start` behind it.
async fn run_wizard(
    title: String,
    profile: Option<&Profile>,
    global: &GlobalArgs,
    start: StartFuture,
) -> Outcome {
    let color = !global.no_color && std::env::var_os("NO_COLOR").is_none();
    let mut config = WizardConfig::new(title)
        .with_color(color)
        .with_step_deadline(global.timeouts().step);
    if let Some(profile) = profile {
        config = config.with_profile(profile.clone());
    }
    let outcome = kwif::tui::run_deferred(config, start)
        .await
        .map_err(|error| UsageError(format!("the terminal: {error}")))?;
    Ok(ExitCode::from(outcome.exit_code()))
}

/// `kwif sandbox serve`: the sandbox in the foreground until Ctrl-C or SIGTERM.
fn sandbox_serve(
    dir: &Path,
    scenario: Scenario,
    latency_ms: u64,
    propagation_delay: std::time::Duration,
) -> Outcome {
    let mut options = kwif_sandbox::SandboxOptions::new(dir);
    options.scenario = scenario.sandbox();
    options.latency = std::time::Duration::from_millis(latency_ms);
    options.entra_propagation = propagation_delay;
    let runtime = wizard_runtime()?;
    runtime.block_on(kwif_sandbox::serve(options, |sandbox| {
        let files = sandbox.files();
        let _ = writeln!(
            anstream::stderr(),
            "sandbox ({}) on loopback: kube-apiserver {}, Resource Manager and Entra ID {}, static host {}\n\
             Ctrl-C stops it; its files stay in {}",
            sandbox.scenario().as_str(),
            sandbox.kube().url(),
            sandbox.azure().resource_manager_url(),
            sandbox.issuer(),
            dir.display(),
        );
        let _ = write_stdout(&format!(
            "ready: . {} && kwif check --profile {}\n",
            shell_word(&files.env),
            shell_word(&files.profile)
        ));
    }))
    .map_err(|error| UsageError(format!("the sandbox: {error}")))?;
    Ok(ExitCode::SUCCESS)
}

/// A path as one shell word: quoted only when it needs to be.
fn shell_word(path: &Path) -> String {
    let text = path.display().to_string();
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:@%,".contains(c))
    {
        text
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// Bare `kwif`: the wizard on ./kwif.yaml, created by the first-run form when missing.
fn wizard(global: &GlobalArgs) -> Outcome {
    let path = PathBuf::from("kwif.yaml");
    if !interactive() {
        if !path.exists() {
            return Err(UsageError(
                "no kwif.yaml here and no terminal to ask for one: run `kwif` in a terminal, or `kwif demo`".into(),
            ));
        }
        let target = Target {
            profile: path,
            demo: false,
            scenario: None,
        };
        return check(&target, global, ReportFormat::Text);
    }
    let runtime = wizard_runtime()?;
    runtime.block_on(async {
        let profile = if path.exists() {
            load_profile(&path, global)?
        } else {
            let defaults = first_run_defaults(global);
            let discovery = EnvironmentDiscovery::in_cloud(
                environment(global),
                kwif::azure::cli_config::CliConfig::read()
                    .cloud
                    .unwrap_or_default(),
                defaults
                    .tenant
                    .as_deref()
                    .and_then(|tenant| uuid::Uuid::try_parse(tenant).ok()),
            );
            let config = WizardConfig::new("kwif — first run: describe your setup".to_string())
                .with_profile_path(path.clone())
                .with_discovery(Arc::new(discovery));
            let created = kwif::tui::run_setup(defaults, &config)
                .await
                .map_err(|error| UsageError(format!("the terminal: {error}")))?;
            match created {
                Some(result) => result.profile,
                None => {
                    let _ = writeln!(
                        anstream::stderr(),
                        "nothing written: run `kwif` again when ready"
                    );
                    return Ok(ExitCode::SUCCESS);
                }
            }
        };
        let title = format!("kwif — {}", path.display());
        let start: StartFuture = {
            let (profile, environment) = (profile.clone(), environment(global));
            Box::pin(async move { Ok(started(&profile, path, environment).await) })
        };
        run_wizard(title, Some(&profile), global, start).await
    })
}

/// What the first-run form starts from: the kubeconfig's current context and the Azure CLI's
/// login, cloud and `[defaults]` (files only: nothing here waits on a process or the network).
fn first_run_defaults(global: &GlobalArgs) -> SetupDefaults {
    let cli = kwif::azure::cli_config::CliConfig::read();
    let account = kwif::azure::credential::cli_profile_account();
    SetupDefaults {
        context: current_context(global),
        tenant: account.as_ref().map(|account| account.tenant.to_string()),
        subscription: global.subscription.clone().or_else(|| {
            account
                .as_ref()
                .map(|account| account.subscription.to_string())
        }),
        resource_group: cli.resource_group,
        location: cli.location,
        custom_cloud: cli.custom_endpoints,
        ..Default::default()
    }
}

/// The kubeconfig's current context, offered as the form's default.
fn current_context(global: &GlobalArgs) -> Option<String> {
    if let Some(context) = &global.context {
        return Some(context.clone());
    }
    let kubeconfig = match &global.kubeconfig {
        Some(path) => kube::config::Kubeconfig::read_from(path).ok()?,
        None => kube::config::Kubeconfig::read().ok()?,
    };
    kubeconfig.current_context
}

/// Asks a yes/no question on the terminal; anything but `y`/`yes` is a no.
fn confirm(question: &str) -> bool {
    let _ = write!(std::io::stderr(), "{question}");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).is_ok() && matches!(answer.trim(), "y" | "Y" | "yes")
}

fn doctor(
    issuer: &str,
    token_file: Option<&Path>,
    audience: &str,
    ca_files: &[PathBuf],
    output: ReportFormat,
    timeouts: kwif::network::Timeouts,
) -> Outcome {
    let token = token_file
        .map(|path| read_input(path, "--token"))
        .transpose()?;
    let fetcher = Fetcher::with_timeouts(ca_files, timeouts)?;
    let exam = Examination {
        issuer,
        token: token.as_deref(),
        audience,
        now: SystemTime::now(),
    };
    let progress = Progress::show(&format!("checking {issuer} as Entra ID would…"));
    let findings = runtime()?.block_on(Doctor::new(fetcher).examine(&exam));
    drop(progress);
    let findings = findings?;
    let report = Report::single(StepId::Hosting, Check::from_findings(findings, false));
    let text = match output {
        ReportFormat::Text => render_text(&report, Some(issuer)),
        ReportFormat::Json => render_json(&report) + "\n",
    };
    write_stdout(&text)?;
    Ok(ExitCode::from(report.exit_code()))
}

/// `kwif init`: kwif.yaml from flags, with what the kubeconfig and the Azure CLI say.
fn init(args: &InitArgs, global: &GlobalArgs) -> Outcome {
    if args.profile.exists() && !args.force {
        return Err(UsageError(format!(
            "--profile {}: the file exists; pass --force to overwrite it",
            args.profile.display()
        )));
    }
    let flags = kwif::init::InitFlags {
        issuer: args.issuer.clone(),
        workloads: args.workloads.clone(),
        identity: args.identity.clone(),
        roles: args.roles.clone(),
        cosmos_roles: args.cosmos_roles.clone(),
        hosting: args.hosting.clone(),
        nginx_host: args.nginx_host.clone(),
        ingress_class: args.ingress_class.clone(),
        cluster_issuer: args.cluster_issuer.clone(),
        nginx_namespace: args.nginx_namespace.clone(),
        storage_account: args.storage_account.clone(),
        container: args.container.clone(),
        blob_mode: args.blob_mode.clone(),
        blob_resource_group: args.blob_resource_group.clone(),
        directory: args.directory.clone(),
        resource_group: args.resource_group.clone(),
        location: args.location.clone(),
        subscription: global.subscription.clone(),
        tenant: args.tenant.clone(),
        cloud: args.cloud.clone(),
        resource_manager: args.resource_manager.clone(),
        authority_host: args.authority_host.clone(),
        audience: args.audience.clone(),
        context: global.context.clone(),
        distribution: args.distribution.clone(),
        node_root: args.node_root.clone(),
    };
    let mut ambient = kwif::init::Ambient {
        context: current_context(&GlobalArgs {
            context: None,
            ..global.clone()
        }),
        ..Default::default()
    };
    if args.tenant.is_none() || global.subscription.is_none() {
        ambient.cli_account = runtime()?
            .block_on(kwif::azure::credential::cli_account())
            .ok();
    }
    ambient.read_cli_defaults();
    let made = kwif::init::build(&flags, &ambient).map_err(|error| error.to_string())?;
    let text = made.profile.to_yaml();
    std::fs::write(&args.profile, text).map_err(|error| {
        format!(
            "--profile {}: cannot write it ({error})",
            args.profile.display()
        )
    })?;
    for default in &made.defaults {
        let _ = writeln!(anstream::stderr(), "default: {default}");
    }
    let profile = shell_word(&args.profile);
    write_stdout(&format!(
        "wrote {profile}\nnext: kwif check --profile {profile}\n"
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// `kwif export`: the hand-off to GitOps and Terraform.
fn export(target: &Target, out: &Path, azure: ExportAzure, global: &GlobalArgs) -> Outcome {
    let terraform = azure == ExportAzure::Terraform;
    let runtime = runtime()?;
    let progress = Progress::show("reading the cluster and Azure…");
    let made = runtime.block_on(async {
        if target.demo {
            let scenario = target.scenario.unwrap_or(Scenario::Fresh).sandbox();
            let mut demo = Demo::start(scenario)
                .await
                .map_err(|error| UsageError(format!("the demo could not start: {error}")))?;
            demo.environment.timeouts = global.timeouts();
            // The demo's profile goes with it: README.md names `--demo` instead.
            let made =
                kwif::export::export(&demo.profile, &demo.environment, terraform, "--demo").await;
            demo.shutdown().await;
            Ok::<_, UsageError>(made)
        } else {
            let profile = load_profile(&target.profile, global)?;
            let flags = format!("--profile {}", shell_word(&target.profile));
            Ok(kwif::export::export(&profile, &environment(global), terraform, &flags).await)
        }
    })?;
    drop(progress);
    kwif::export::write(&made, out)
        .map_err(|error| format!("--out {}: cannot write ({error})", out.display()))?;
    for (path, _) in &made.files {
        write_stdout(&format!("{}\n", out.join(path).display()))?;
    }
    for note in &made.notes {
        let _ = writeln!(anstream::stderr(), "note: {note}");
    }
    for gap in &made.gaps {
        let _ = writeln!(anstream::stderr(), "not exported: {gap}");
    }
    Ok(ExitCode::from(u8::from(!made.gaps.is_empty())))
}

/// The profile a command that reads no cluster works on: the file, or the demo sandbox's.
fn profile_of(target: &Target, global: &GlobalArgs) -> Result<Profile, UsageError> {
    if !target.demo {
        return load_profile(&target.profile, global);
    }
    let scenario = target.scenario.unwrap_or(Scenario::Fresh).sandbox();
    runtime()?.block_on(async {
        let demo = Demo::start(scenario)
            .await
            .map_err(|error| UsageError(format!("the demo could not start: {error}")))?;
        let profile = demo.profile.clone();
        demo.shutdown().await;
        Ok(profile)
    })
}

/// `kwif snippet`: the application's side, from the profile's roles.
fn snippet(
    target: &Target,
    language: SnippetLanguage,
    service: Option<SnippetService>,
    global: &GlobalArgs,
) -> Outcome {
    use kwif::export::snippet;
    let profile = profile_of(target, global)?;
    let wanted = snippet::target(&profile, service.map(SnippetService::service))?;
    if let Some(note) = &wanted.note {
        let _ = writeln!(anstream::stderr(), "note: {note}");
    }
    let written = snippet::snippet(language.language(), &wanted);
    write_stdout(&written.code)?;
    Ok(ExitCode::SUCCESS)
}

/// `kwif explain CODE`.
fn explain(code: &str) -> Outcome {
    let explained = kwif::explain::lookup(code)
        .map_err(|error| format!("CODE {error}: see the finding codes in README.md"))?;
    write_stdout(&kwif::explain::render(&explained))?;
    Ok(ExitCode::SUCCESS)
}

fn jwks(key_files: &[PathBuf], output: Option<&Path>) -> Outcome {
    let keys = kwif::oidc::key::load_key_files(key_files)?;
    let document = kwif::oidc::jwks::jwks_document(&keys);
    let text = serde_json::to_string_pretty(&document)? + "\n";
    match output {
        Some(path) => std::fs::write(path, text).map_err(|error| {
            UsageError(format!(
                "--output {}: cannot write ({error})",
                path.display()
            ))
        })?,
        None => write_stdout(&text)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn discovery(issuer: &str, jwks_uri: Option<&str>) -> Outcome {
    let issuer = IssuerUrl::parse(issuer)
        .map_err(|problem| format!("--issuer {} {problem}", shown(issuer)))?;
    if let Some(uri) = jwks_uri
        && let Some(problem) = jwks_uri_problem(uri)
    {
        return Err(UsageError(format!("--jwks-uri {} {problem}", shown(uri))));
    }
    let document = kwif::oidc::discovery::discovery_document(&issuer, jwks_uri, &[]);
    write_stdout(&(serde_json::to_string_pretty(&document)? + "\n"))?;
    Ok(ExitCode::SUCCESS)
}

fn token_decode(file: &Path) -> Outcome {
    let text = read_input(file, "token file")?;
    let name = match file == Path::new("-") {
        true => "standard input".to_string(),
        false => file.display().to_string(),
    };
    let jwt = Jwt::parse(&text).map_err(|error| format!("{name}: not a JWT: {error}"))?;
    write_stdout(&kwif::oidc::token_view::render(&jwt, SystemTime::now()))?;
    Ok(ExitCode::SUCCESS)
}

/// Reads a file, or standard input for `-` (at most 1 MiB of UTF-8 either way); the error names
/// the argument and the file.
fn read_input(path: &Path, what: &str) -> Result<String, UsageError> {
    let result = if path == Path::new("-") {
        kwif::input::read_standard_input(InputKind::Token)
    } else {
        kwif::input::read_text(path, InputKind::Token)
    };
    result.map_err(|error| UsageError(format!("{what} {error}")))
}

fn write_stdout(text: &str) -> Result<(), UsageError> {
    let mut stdout = anstream::stdout();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        // A closed pipe (`kwif jwks | head`) is not an error worth reporting.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        result => result.map_err(|error| UsageError(format!("cannot write output: {error}"))),
    }
}

/// Where a step's waits go on the command line: on a terminal one line rewritten in place
/// ("verify: waiting for Entra to see the credential: 42 s left"); otherwise a line when the
/// wait starts and one every 10 s, so logs show it without a line per second.
fn countdown_on_stderr() -> ProgressSink {
    use std::io::IsTerminal;
    let terminal = std::io::stderr().is_terminal();
    let last: std::sync::Mutex<Option<(String, std::time::Instant)>> = Default::default();
    ProgressSink::new(move |event| {
        let line = format!("{}: {event}", event.step);
        if terminal {
            let _ = write!(std::io::stderr(), "\r\x1b[2K{line}");
            return;
        }
        let mut last = last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let due = match last.as_ref() {
            Some((waiting_for, at)) => {
                *waiting_for != event.waiting_for
                    || at.elapsed() >= std::time::Duration::from_secs(10)
            }
            None => true,
        };
        if due {
            let _ = writeln!(std::io::stderr(), "{line}");
            *last = Some((event.waiting_for.clone(), std::time::Instant::now()));
        }
    })
}

/// A one-line "working on it" note on standard error while something slow runs, erased when
/// done; only on a terminal, so pipes and logs stay clean.
struct Progress {
    shown: bool,
}

impl Progress {
    fn show(message: &str) -> Progress {
        use std::io::IsTerminal;
        let shown = std::io::stderr().is_terminal();
        if shown {
            let _ = write!(std::io::stderr(), "{message}");
        }
        Progress { shown }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if self.shown {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, UsageError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| UsageError(format!("cannot start the async runtime: {error}")))
}
