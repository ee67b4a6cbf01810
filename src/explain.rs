//! `kwif explain CODE`: one catalogue of every finding code kwif reports (severity, what it
//! means, the usual reason, the fix) and the lookup that also answers AADSTS codes from
//! `azure::aadsts`. It only describes; it never checks anything live.

use crate::azure::aadsts;
use crate::engine::Severity;

/// What one finding code means. `severity` is the one kwif usually reports it with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeEntry {
    pub code: &'static str,
    pub severity: Severity,
    /// The step (or command) that reports it.
    pub reported_by: &'static str,
    /// What the finding says happened.
    pub cause: &'static str,
    /// Why it usually happens.
    pub reason: &'static str,
    pub fix: &'static str,
}

const fn error(
    code: &'static str,
    reported_by: &'static str,
    cause: &'static str,
    reason: &'static str,
    fix: &'static str,
) -> CodeEntry {
    CodeEntry {
        code,
        severity: Severity::Error,
        reported_by,
        cause,
        reason,
        fix,
    }
}

const fn warning(
    code: &'static str,
    reported_by: &'static str,
    cause: &'static str,
    reason: &'static str,
    fix: &'static str,
) -> CodeEntry {
    CodeEntry {
        severity: Severity::Warning,
        ..error(code, reported_by, cause, reason, fix)
    }
}

const DOCTOR: &str = "the doctor (kwif doctor, the hosting and verify steps)";
const PUBLISH: &str = "`kwif apply --step hosting` publishes the documents again";

/// Every finding code kwif reports, grouped by step. A test keeps it in step with the source.
/// Kept as a table, one entry per code, rather than rustfmt's one argument per line.
#[rustfmt::skip]
pub const CATALOGUE: &[CodeEntry] = &[
    // The doctor: the issuer URL itself (DESIGN.md, stable).
    error("ISSUER_NOT_HTTPS", DOCTOR, "the issuer's scheme is not https",
        "the issuer was copied from a local test (http://…) or from the API server's default",
        "use an https issuer: Entra ID fetches https issuers only"),
    error("ISSUER_QUERY_OR_FRAGMENT", DOCTOR, "the issuer has a `?` query or a `#` fragment",
        "a URL was pasted with tracking or SAS parameters",
        "remove everything from `?` or `#` on; an issuer is scheme, host and path only"),
    error("ISSUER_WHITESPACE", DOCTOR, "the issuer has leading or trailing whitespace",
        "a copy and paste took a space or newline along; Entra compares the issuer byte for byte",
        "remove the whitespace in kwif.yaml and in the cluster's --service-account-issuer"),
    warning("ISSUER_PRIVATE_ADDRESS", DOCTOR, "the issuer's host resolves only to loopback or private addresses",
        "an internal DNS name or a lab address: kwif reaches it, Entra ID on the internet does not",
        "publish the documents on a host reachable from the internet (nginx Ingress, Azure Blob Storage)"),
    // The doctor: the discovery document.
    error("DISCOVERY_UNREACHABLE", DOCTOR, "{issuer}/.well-known/openid-configuration could not be fetched (DNS, connect or timeout)",
        "the host does not resolve, a firewall drops the traffic, or nothing serves the issuer yet",
        "publish the documents (`kwif apply --step hosting`) and check DNS and the firewall; AADSTS90061 at Entra"),
    error("DISCOVERY_TLS", DOCTOR, "the discovery URL's certificate is not trusted, expired or for another name",
        "a self-signed or private-CA certificate, or cert-manager has not issued the certificate yet",
        "serve a certificate from a public CA for the issuer's host (cert-manager with Let's Encrypt)"),
    error("DISCOVERY_HTTP_STATUS", DOCTOR, "the discovery URL did not answer 200 (the message names the URL fetched)",
        "the document lives at another path (`oidc-configuration`, a missing `.well-known/`), or a trailing slash doubled a `/`",
        "publish it at exactly {issuer}/.well-known/openid-configuration"),
    warning("DISCOVERY_CONTENT_TYPE", DOCTOR, "the discovery document is not served as application/json",
        "a static host guessed text/plain or octet-stream from a file without extension",
        "nginx: `default_type application/json;`; Azure Blob: upload with `--content-type application/json`"),
    error("DISCOVERY_INVALID_JSON", DOCTOR, "the discovery document is not a JSON object",
        "an HTML error page or a login page is served in its place",
        "serve the document `kwif discovery --issuer ISSUER` prints"),
    error("DISCOVERY_MISSING_FIELD", DOCTOR, "the discovery document lacks issuer, jwks_uri, response_types_supported, subject_types_supported or id_token_signing_alg_values_supported",
        "a hand-written document", "serve the document `kwif discovery --issuer ISSUER` prints"),
    error("DISCOVERY_ISSUER_MISMATCH", DOCTOR, "the document's `issuer` differs from the issuer URL",
        "a trailing slash on one side only, or the document was made for another issuer",
        "regenerate it with `kwif discovery --issuer ISSUER` (the issuer byte for byte)"),
    warning("DISCOVERY_RS256_MISSING", DOCTOR, "id_token_signing_alg_values_supported does not list RS256",
        "the cluster signs with an EC key, or the document was written by hand",
        "list RS256 and sign with an RSA key: Entra ID supports RS256 only"),
    warning("DISCOVERY_REDIRECT", DOCTOR, "the discovery URL redirects",
        "a www or https redirect, or a storage static website in front of another host",
        "serve the document at the issuer's URL itself: Entra ID is not documented to follow redirects"),
    error("DISCOVERY_REDIRECT_NOT_HTTPS", DOCTOR, "the discovery URL redirects from https to plain http",
        "a misconfigured proxy or static host", "serve the document over https without a redirect"),
    // The doctor: the JWKS.
    error("JWKS_URI_NOT_HTTPS", DOCTOR, "the document's jwks_uri is not https",
        "the API server advertises its internal URL (--service-account-jwks-uri is not set)",
        "set jwks_uri to {issuer}/openid/v1/jwks (`kwif apply --step issuer` sets --service-account-jwks-uri)"),
    error("JWKS_UNREACHABLE", DOCTOR, "the jwks_uri could not be fetched (DNS, connect or timeout)",
        "the JWKS was not published, or jwks_uri points at the API server's internal address",
        "publish the JWKS at the jwks_uri (`kwif apply --step hosting`)"),
    error("JWKS_TLS", DOCTOR, "the jwks_uri's certificate is not trusted, expired or for another name",
        "as for the discovery document", "serve a certificate from a public CA for the JWKS host"),
    error("JWKS_HTTP_STATUS", DOCTOR, "the jwks_uri did not answer 200",
        "the JWKS lives at another path than the document's jwks_uri says", PUBLISH),
    warning("JWKS_REDIRECT", DOCTOR, "the jwks_uri redirects",
        "a redirect in front of the static host", "serve the JWKS at the jwks_uri itself"),
    error("JWKS_REDIRECT_NOT_HTTPS", DOCTOR, "the jwks_uri redirects from https to plain http",
        "a misconfigured proxy or static host", "serve the JWKS over https without a redirect"),
    warning("JWKS_CONTENT_TYPE", DOCTOR, "the JWKS is not served as application/json or application/jwk-set+json",
        "a static host guessed the type from a file without extension",
        "nginx: `default_type application/json;`; Azure Blob: `--content-type application/json`"),
    error("JWKS_INVALID", DOCTOR, "the JWKS is not a JWK set, or holds a key that cannot be parsed",
        "a PEM file was published instead of the JWK set, or the JSON was edited by hand",
        "make the JWKS from the cluster's keys: `kwif jwks --key sa.pub`, or `kwif apply --step hosting`"),
    warning("JWKS_NO_RSA_KEY", DOCTOR, "the JWKS holds no RSA key",
        "the cluster signs service-account tokens with an EC key",
        "use an RSA service-account signing key: Entra ID supports RS256 only"),
    // The doctor: a token (kwif doctor --token, the verify step).
    error("TOKEN_INVALID", DOCTOR, "the token file is not a JWT",
        "the wrong file (a kubeconfig, a PEM key) or an empty file",
        "mint one: `kubectl create token SA -n NS --audience api://AzureADTokenExchange`"),
    error("TOKEN_ISSUER_MISMATCH", DOCTOR, "the token's iss differs from the issuer URL",
        "the cluster still signs with its old issuer, or the two differ by a trailing slash",
        "`kwif apply --step issuer`, then restart the API server; AADSTS70021/700211 at Entra"),
    error("TOKEN_AUDIENCE_MISMATCH", DOCTOR, "the token's aud does not contain the token-exchange audience",
        "the pod's default token (audience: the API server) was used instead of the projected one",
        "project a token with audience api://AzureADTokenExchange (`kwif apply --step workload`); AADSTS700212"),
    error("TOKEN_EXPIRED", DOCTOR, "the token's exp has passed",
        "the application read the token file once and kept it, or the clock is wrong",
        "re-read AZURE_FEDERATED_TOKEN_FILE for every token request (the Azure SDKs do) and check NTP; AADSTS700024"),
    error("TOKEN_NOT_YET_VALID", DOCTOR, "the token's nbf is in the future",
        "the node's clock is ahead of this machine's (or behind Entra's)", "synchronise the clocks (NTP)"),
    error("TOKEN_KID_NOT_IN_JWKS", DOCTOR, "the token's kid is not in the published JWKS",
        "the API server rotated its signing key, or the JWKS was made from another key",
        "publish the cluster's current keys: `kwif apply --step hosting`; AADSTS7000272 at Entra"),
    error("TOKEN_SIGNATURE_INVALID", DOCTOR, "the token's signature does not verify with the published key of its kid",
        "a JWKS made from another key with the same kid, or an edited token",
        "publish the cluster's current keys: `kwif apply --step hosting`"),
    warning("TOKEN_ALG_UNSUPPORTED", DOCTOR, "the token is signed with another algorithm than RS256",
        "the cluster's signing key is EC", "use an RSA service-account signing key"),
    // The engine, the session and the wizard.
    error("STEP_TIMED_OUT", "every step", "a step's lookup, check or plan ran past its deadline",
        "a server answered too slowly or not at all (a proxy, a firewall that drops packets)",
        "rerun with -v to see which request hangs; --timeout SECONDS (or KWIF_TIMEOUT) waits longer"),
    error("STEP_STOPPED", "the wizard", "a step's work stopped unexpectedly",
        "a bug in kwif", "report it with the command you ran"),
    warning("STEP_NOT_IN_RUN", "the wizard", "the step is not part of this run",
        "the run was limited to other steps", "run without --step, or choose the step"),
    error("CLUSTER_UNREACHABLE", "the Kubernetes steps", "kwif cannot use the cluster",
        "no kubeconfig, a wrong context, an expired login, or the API server is down",
        "check --kubeconfig / --context (or cluster.context in kwif.yaml) and that `kubectl get ns` works"),
    error("AZURE_LOGIN", "the Azure steps", "kwif cannot log in to Azure",
        "no `az login`, AZURE_* variables that are incomplete, or an unreadable SSL_CERT_FILE",
        "run `az login` (or set AZURE_TENANT_ID, AZURE_CLIENT_ID and a secret, certificate or token file)"),
    error("AZURE_CLIENT", "the Azure steps", "kwif cannot build its Azure client",
        "an endpoint in kwif.yaml kwif cannot use", "check azure.cloud and azure.endpoints in kwif.yaml"),
    // The issuer step.
    warning("ISSUER_NOT_CONFIGURED", "issuer", "the cluster signs tokens with another issuer than the profile's",
        "the distribution's default issuer (https://kubernetes.default.svc…) was never changed",
        "`kwif apply --step issuer` changes the config; then restart the API server as it says"),
    warning("ISSUER_JWKS_URI_NOT_PUBLIC", "issuer", "the API server advertises another jwks_uri than {issuer}/openid/v1/jwks",
        "--service-account-jwks-uri is not set, so the API server advertises its internal address",
        "`kwif apply --step issuer` sets --service-account-jwks-uri; then restart the API server"),
    warning("ISSUER_DISTRIBUTION_UNKNOWN", "issuer", "kwif could not tell the cluster's distribution",
        "a distribution without a known tell in its version or nodes",
        "set cluster.distribution in kwif.yaml (k0s, k3s, rke2, kubeadm, microk8s, kind, minikube, talos, openshift)"),
    error("ISSUER_TOKEN_REQUEST_FAILED", "issuer", "kwif could not mint a token to read the cluster's issuer",
        "the kubeconfig's user may not create serviceaccounts/token in the default namespace",
        "bind a role that allows `create` on serviceaccounts/token, or use an admin kubeconfig"),
    error("ISSUER_INVALID", "hosting", "the profile's issuer cannot be hosted",
        "an issuer kwif cannot turn into document URLs", "correct the issuer in kwif.yaml"),
    // The hosting step.
    warning("HOSTING_KEY_NOT_PUBLISHED", "hosting", "one of the cluster's signing keys is not in the published JWKS",
        "the API server rotated its key (or a second key was added) after the JWKS was published",
        "`kwif apply --step hosting` publishes it beside the keys already published; AADSTS7000272 until then"),
    warning("HOSTING_STALE_KEY", "hosting", "a published key is no longer one of the cluster's keys",
        "a key rotation: the old key signed tokens that may still be valid",
        "nothing until the longest token lifetime (plus 5 minutes) has passed since kwif recorded its retirement; then `kwif apply --step hosting` removes it"),
    warning("HOSTING_DOCUMENT_MISSING", "hosting", "the discovery document or the JWKS is not published where kwif publishes it",
        "hosting was never applied, or the documents were deleted", PUBLISH),
    warning("HOSTING_DOCUMENT_OUTDATED", "hosting", "a published document differs from the one for the cluster's current keys",
        "a key rotation, an issuer change, or a hand edit", PUBLISH),
    warning("HOSTING_OBJECT_MISSING", "hosting (nginx)", "one of the nginx hosting objects does not exist",
        "hosting was never applied, or the object was deleted", PUBLISH),
    warning("HOSTING_NGINX_CONFIG_OUTDATED", "hosting (nginx)", "the nginx ConfigMap differs from the config kwif writes",
        "a hand edit, or a kwif upgrade changed the config", PUBLISH),
    warning("HOSTING_TLS_BY_USER", "hosting (nginx)", "no cert-manager ClusterIssuer is set, so the Ingress expects a TLS Secret you provide",
        "hosting.nginx.clusterIssuer is absent from kwif.yaml",
        "create the Secret with a certificate for the issuer's host, or set hosting.nginx.clusterIssuer"),
    error("HOSTING_KUBE_API", "hosting", "the Kubernetes API refused or failed a hosting request",
        "missing rights on the hosting namespace, or the cluster is unreachable",
        "use a kubeconfig that may manage ConfigMaps, Deployments, Services and Ingresses there"),
    warning("HOSTING_APISERVER_PUBLIC", "hosting (apiserver)", "the API server itself is the issuer and must be reachable from the internet",
        "hosting.kind: apiserver", "prefer nginx or Azure Blob hosting, which expose only two public documents"),
    warning("HOSTING_ANONYMOUS_DISCOVERY_NOT_BOUND", "hosting (apiserver)", "anonymous users may not read the discovery documents",
        "the ClusterRoleBinding of system:service-account-issuer-discovery to system:unauthenticated is missing",
        "`kwif apply --step hosting` creates the binding"),
    error("HOSTING_DIRECTORY_IO", "hosting (directory)", "kwif cannot read or write the hosting directory",
        "the directory does not exist or belongs to another user", "check hosting.directory.path and its permissions"),
    error("HOSTING_CLUSTER_KEYS_UNREADABLE", "hosting", "kwif cannot read the cluster's signing keys",
        "the kubeconfig's user may not `get --raw /openid/v1/jwks`",
        "use a kubeconfig that may read /openid/v1/jwks, or build the JWKS from the key files: `kwif jwks --key PEM`"),
    error("HOSTING_CLUSTER_KEY_REJECTED", "hosting", "a signing key the cluster publishes breaks the RSA size rule (1024 to 8192 bits)",
        "a service-account key made too small (or too large) by hand",
        "make a new signing key of 2048 bits (`openssl genrsa -out sa.key 2048`), rotate to it, then publish"),
    error("HOSTING_ISSUER_UNSERVABLE", "hosting", "the issuer cannot be served by the chosen hosting kind",
        "e.g. an issuer path an Azure storage container cannot serve", "change the issuer, or choose another hosting kind"),
    error("HOSTING_CA_FILE", "hosting", "a CA file given to kwif cannot be read",
        "SSL_CERT_FILE or --ca-file names a missing or non-PEM file", "give a readable PEM CA certificate"),
    error("HOSTING_BLOB_ENDPOINT_UNKNOWN", "hosting (azure-blob)", "the blob endpoint of the storage account is not known in a custom cloud",
        "cloud: custom has no storage suffix", "use a known cloud, or host the documents another way"),
    error("HOSTING_WEB_ENDPOINT_UNKNOWN", "hosting (azure-blob)", "the static website endpoint of the storage account is not known",
        "the account does not exist yet, or Resource Manager could not be asked", "log in to Azure (`az login`) and apply the hosting step"),
    error("HOSTING_ISSUER_NOT_STORAGE_ENDPOINT", "hosting (azure-blob)", "the documents would be served at another issuer than kwif.yaml's",
        "the issuer does not match the storage account's endpoint and container",
        "set the issuer to https://ACCOUNT.blob.core.windows.net/CONTAINER/ (or the static website's URL)"),
    error("HOSTING_CONTAINER_MISSING", "hosting (azure-blob)", "the container does not exist in the storage account",
        "hosting was never applied", PUBLISH),
    error("HOSTING_CONTAINER_PRIVATE", "hosting (azure-blob)", "the container allows no anonymous reads, so Entra ID cannot fetch the documents",
        "containers are private by default", "`kwif apply --step hosting` sets blob-level public access; AADSTS90061 until then"),
    warning("HOSTING_STATIC_WEBSITE_OFF", "hosting (azure-blob)", "the storage account's static website is disabled",
        "mode: static-website on an account whose static website was never enabled", "`kwif apply --step hosting` enables it"),
    warning("HOSTING_DOCUMENT_CONTENT_TYPE", "hosting (azure-blob)", "a document blob is stored with another content type than application/json",
        "an upload without --content-type", PUBLISH),
    error("HOSTING_STORAGE_AUTH", "hosting (azure-blob)", "the storage account refused kwif's request (403)",
        "a wrong or rotated account key", "check AZURE_STORAGE_KEY, or unset it so kwif reads the key through Resource Manager"),
    error("HOSTING_STORAGE_ERROR", "hosting (azure-blob)", "the storage account answered with an error",
        "see the storage service's message", "act on the message; PublicAccessNotPermitted: allow blob public access or use static-website"),
    error("HOSTING_STORAGE_UNREACHABLE", "hosting (azure-blob)", "the storage account's blob endpoint could not be reached",
        "a wrong account name, a network rule, or no network", "check the storage account name and the network"),
    error("HOSTING_STORAGE_KEY_MISSING", "hosting (azure-blob)", "kwif has no key to write to the storage account",
        "no AZURE_STORAGE_KEY and no Azure login to read the key",
        "`az login`, or export AZURE_STORAGE_KEY=$(az storage account keys list -n ACCOUNT --query [0].value -o tsv)"),
    error("HOSTING_STORAGE_KEY_INVALID", "hosting (azure-blob)", "AZURE_STORAGE_KEY is not a base64 account key",
        "a truncated copy, or a SAS token in its place", "export AZURE_STORAGE_KEY again"),
    error("HOSTING_STORAGE_ACCOUNT", "hosting (azure-blob)", "Resource Manager failed a storage account request",
        "missing rights on the storage account's resource group", "act on Resource Manager's message"),
    warning("HOSTING_STORAGE_ACCOUNT_MISSING", "hosting (azure-blob)", "the storage account does not exist",
        "hosting was never applied", "`kwif apply --step hosting` creates it"),
    error("HOSTING_STORAGE_ACCOUNT_NAME_UNAVAILABLE", "hosting (azure-blob)", "the storage account name is taken elsewhere or invalid",
        "storage account names are global across Azure", "choose another hosting.azureBlob.storageAccount (and issuer)"),
    warning("HOSTING_STORAGE_ACCOUNT_CREATING", "hosting (azure-blob)", "the storage account is still being provisioned",
        "it was created moments ago", "wait a minute and check again"),
    error("HOSTING_BLOB_PUBLIC_ACCESS_DISABLED", "hosting (azure-blob)", "the account forbids anonymous blob reads, whatever the container says",
        "allowBlobPublicAccess: false (the default of new accounts, or a policy)",
        "`kwif apply --step hosting` allows it, or use mode: static-website"),
    error("HOSTING_STORAGE_SHARED_KEY_DISABLED", "hosting (azure-blob)", "the account refuses Shared Key requests, which kwif uploads with",
        "allowSharedKeyAccess: false (a policy)", "allow Shared Key access on the account, or upload the documents yourself"),
    warning("HOSTING_STORAGE_ACCOUNT_NOT_CHECKED", "hosting (azure-blob)", "kwif could not check the storage account through Resource Manager",
        "the Azure login was refused; the given key is used alone", "`az login` so kwif can check the account's settings too"),
    error("HOSTING_WEB_ENDPOINT_NOT_ISSUER", "hosting (azure-blob)", "the static website Azure gave the account is not the issuer in kwif.yaml",
        "the zone number (zNN) of the static website endpoint differs", "set the issuer to the endpoint Azure reports"),
    // The identity step.
    warning("IDENTITY_MISSING", "identity", "the managed identity or app registration does not exist",
        "the setup is new, or the identity was deleted", "`kwif apply --step identity` creates it"),
    warning("IDENTITY_PRINCIPAL_MISSING", "identity", "the app registration has no service principal in the tenant",
        "it was created without one, or its service principal was deleted", "`kwif apply --step identity` creates the service principal"),
    error("IDENTITY_APPLICATION_NOT_KWIFS", "identity", "an app registration of the identity's name exists, but kwif did not create it (no created-by:kwif tag)",
        "another team's application has that display name; kwif never changes it",
        "give the identity another name in kwif.yaml, or add the tag created-by:kwif to the application if it is meant for kwif"),
    error("GRAPH_PERMISSION_DENIED", "identity, federation, verify", "Microsoft Graph refused to manage app registrations (403 Authorization_RequestDenied)",
        "kwif's login lacks Application.ReadWrite.OwnedBy (a service principal) or the Entra role Application Developer (a user)",
        "`az ad app permission add --id $AZURE_CLIENT_ID --api 00000003-0000-0000-c000-000000000000 --api-permissions 18a4783c-866b-4cc7-a460-3d5e5662c884=Role`, then `az ad app permission admin-consent --id $AZURE_CLIENT_ID`; or use kind: managedIdentity"),
    warning("IDENTITY_ROLE_MISSING", "identity", "the identity lacks a role of the profile",
        "the setup is new, or the assignment was removed", "`kwif apply --step identity` assigns it"),
    warning("IDENTITY_ROLE_SUBSCRIPTION_SCOPE", "identity", "a role is assigned on a whole subscription",
        "the scope in kwif.yaml is /subscriptions/ID", "narrow the scope to the resource group or the resource the workload uses"),
    warning("IDENTITY_IDS_CHANGED", "identity", "the identity's ids differ from those kwif.yaml saved",
        "the identity was deleted and recreated", "`kwif apply` saves the new ids and rewires the pods and credentials"),
    error("IDENTITY_ROLE_UNKNOWN", "identity", "a role name of the profile is not a role definition at its scope",
        "a typo, or a custom role defined at another scope", "use the exact name `az role definition list --name NAME` finds"),
    error("IDENTITY_AZURE", "identity", "Resource Manager failed an identity or role request",
        "missing rights (Managed Identity Contributor, User Access Administrator) or a wrong subscription",
        "act on Resource Manager's message"),
    // The federation step.
    warning("FEDERATION_MISSING", "federation", "no federated credential admits the workload's subject from the issuer",
        "the setup is new, or the credential was deleted", "`kwif apply --step federation` creates it"),
    warning("FEDERATION_MISMATCH", "federation", "a federated credential of the profile's name differs in issuer, subject or audience",
        "a typo or a trailing slash in the credential; Entra compares byte for byte (AADSTS70021)",
        "`kwif apply --step federation` corrects it"),
    warning("FEDERATION_NEAR_MISS", "federation", "a credential almost matches (case, slash, namespace) and admits no token",
        "a hand-made credential with a small difference", "delete it once kwif's credential is in place: it counts against the limit of 20"),
    error("FEDERATION_LIMIT", "federation", "the identity would need more than 20 federated credentials",
        "one identity holds at most 20", "use another identity for some workloads, or delete unused credentials"),
    warning("FEDERATION_IDENTITY_MISSING", "federation", "the identity does not exist yet, so it has no credentials",
        "the identity step has not run", "`kwif apply` creates the identity, then the credentials"),
    error("FEDERATION_AZURE", "federation", "Resource Manager failed a federated credential request",
        "missing rights on the identity, or a Conditional Access policy (AADSTS50005)", "act on Resource Manager's message"),
    // The workload step.
    error("WORKLOAD_NOT_FOUND", "workload", "the workload does not exist",
        "it is not deployed yet, or kind, namespace or name in kwif.yaml are wrong",
        "deploy it first, or correct workloads[] in kwif.yaml"),
    warning("WORKLOAD_SERVICE_ACCOUNT_MISSING", "workload", "the ServiceAccount does not exist",
        "the setup is new", "`kwif apply --step workload` creates it"),
    warning("WORKLOAD_SERVICE_ACCOUNT", "workload", "the pod template runs as another ServiceAccount",
        "serviceAccountName is unset (default) or names another account", "`kwif apply --step workload` sets it"),
    warning("WORKLOAD_TOKEN_VOLUME", "workload", "the projected token volume is missing or wrong (audience, path, lifetime)",
        "the pod template was never wired, or another audience was used (AADSTS700212)", "`kwif apply --step workload` wires it"),
    warning("WORKLOAD_TOKEN_MOUNT", "workload", "a container does not mount the token read-only at /var/run/secrets/azure/tokens",
        "a container was added after wiring", "`kwif apply --step workload` mounts it in every container"),
    warning("WORKLOAD_ENV", "workload", "a container lacks an AZURE_* variable or has another value",
        "a container added later, or an identity recreated with a new client id", "`kwif apply --step workload` sets them"),
    warning("WORKLOAD_WEBHOOK_LABEL", "workload (webhook)", "the pod template lacks azure.workload.identity/use: \"true\"",
        "webhook mode, never applied", "`kwif apply --step workload` adds it"),
    warning("WORKLOAD_SA_ANNOTATION", "workload (webhook)", "the ServiceAccount lacks an azure.workload.identity annotation",
        "webhook mode, never applied, or a new client id", "`kwif apply --step workload` sets it"),
    error("WORKLOAD_WEBHOOK_NOT_INSTALLED", "workload (webhook)", "the Azure Workload Identity webhook is not installed",
        "webhook mode was chosen on a cluster without it",
        "install it with helm (azure-workload-identity/workload-identity-webhook), or use mode: patch"),
    error("WORKLOAD_TEMPLATE_INVALID", "workload", "the workload's pod template cannot be read",
        "an object kwif cannot parse as a pod template", "fix the workload's manifest"),
    warning("WORKLOAD_ROLLOUT_PENDING", "workload", "the workload's rollout is not finished",
        "new pods are starting, or they cannot start", "`kubectl rollout status` and `kubectl describe` its pods"),
    warning("WORKLOAD_POD_NOT_WIRED", "workload", "running pods lack the token volume or AZURE_* variables",
        "they started before the template was wired", "`kubectl rollout restart` the workload"),
    warning("WORKLOAD_IDENTITY_UNKNOWN", "workload", "the identity's client id is not known, so AZURE_CLIENT_ID is not checked",
        "the identity does not exist yet", "`kwif apply --step identity` first"),
    error("WORKLOAD_API", "workload", "the Kubernetes API refused or failed a workload request",
        "missing rights (get/patch on the workload and its ServiceAccount) or an unreachable cluster",
        "use a kubeconfig with those rights"),
    // The verify step.
    error("VERIFY_NOT_READY", "verify", "the identity does not exist, so there is nothing to exchange a token for",
        "the identity step has not run", "`kwif apply`"),
    error("VERIFY_SERVICE_ACCOUNT_MISSING", "verify", "the ServiceAccount does not exist, so no token can be minted",
        "the workload step has not run", "`kwif apply --step workload` creates it"),
    error("VERIFY_TOKEN_REQUEST", "verify", "minting a token for the ServiceAccount failed",
        "the kubeconfig's user may not create serviceaccounts/token", "check with `kubectl create token SA -n NS`"),
    error("VERIFY_TOKEN_ISSUER", "verify", "the cluster signs tokens with another iss than the federated credential expects",
        "the issuer change was not made or the API server not restarted", "`kwif apply --step issuer` and restart the API server"),
    error("VERIFY_EXCHANGE_FAILED", "verify", "the token exchange at Entra ID failed without an AADSTS code",
        "an unexpected answer from the token endpoint", "rerun with -v; act on the message"),
    error("VERIFY_ENTRA_UNREACHABLE", "verify", "Entra ID's token endpoint could not be reached",
        "no network, a proxy, or a wrong authority host", "check the network, HTTPS_PROXY and azure.cloud"),
    error("AADSTS_UNKNOWN", "verify", "Entra ID refused the token exchange with a code kwif does not know",
        "see Entra's description, shown beside it", "look the code up at https://login.microsoftonline.com/error?code=CODE"),
    warning("VERIFY_DOCTOR_CLEAN", "verify", "Entra could not use the documents, yet the doctor finds them fine from here",
        "this machine reaches the issuer but Entra does not (a firewall, an internal DNS name)",
        "check the issuer from outside your network"),
    error("VERIFY_DOCTOR", "verify", "the doctor cannot examine the issuer", "an invalid issuer", "fix the issuer in kwif.yaml"),
    error("VERIFY_AZURE", "verify", "the identity could not be read from Resource Manager",
        "missing rights or an unreachable Resource Manager", "act on Resource Manager's message"),
    warning("VERIFY_ROLE_NOT_IN_EFFECT", "verify", "Resource Manager does not yet allow what a role grants",
        "a new assignment takes up to 10 minutes to apply", "rerun `kwif check --step verify` in a few minutes"),
    warning("VERIFY_ROLE_NOT_CHECKED", "verify", "a role could not be checked as the identity",
        "the role definition or the permissions could not be read", "rerun; check the role in the portal"),
    warning("VERIFY_ROLES_NOT_PROVEN", "verify", "the token is for another resource than Resource Manager, so roles are not asked",
        "verify was given another scope", "check the roles with a Resource Manager scope"),
    warning("VERIFY_TARGET_NOT_CALLED", "verify", "Cosmos DB data roles are checked as assignments, not exercised",
        "kwif does not call the account's data plane", "call the account from the workload (see `kwif snippet --service cosmos`)"),
];

/// What `kwif explain` found for one input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Explained {
    Finding(&'static CodeEntry),
    Aadsts(u32, &'static aadsts::Explanation),
}

/// An input that names no code kwif knows, with the closest known codes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a code kwif knows{}", suggestion(.closest))]
pub struct UnknownCode {
    pub input: String,
    pub closest: Vec<String>,
}

fn suggestion(closest: &[String]) -> String {
    if closest.is_empty() {
        String::new()
    } else {
        format!("; the closest are {}", closest.join(", "))
    }
}

/// Looks `input` up: `AADSTS700213`, `700213`, `aadsts700213`, or a finding code in any case.
pub fn lookup(input: &str) -> Result<Explained, UnknownCode> {
    let code = input.trim().to_ascii_uppercase();
    let digits = code.strip_prefix("AADSTS").unwrap_or(&code);
    if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
        let number = digits.parse::<u32>().ok();
        if let Some((number, explanation)) =
            number.and_then(|number| Some((number, aadsts::explain(number)?)))
        {
            return Ok(Explained::Aadsts(number, explanation));
        }
    } else if let Some(entry) = CATALOGUE.iter().find(|entry| entry.code == code) {
        return Ok(Explained::Finding(entry));
    }
    Err(UnknownCode {
        input: input.to_string(),
        closest: closest(&code),
    })
}

/// Every code `kwif explain` answers, finding codes first, then `AADSTSnnnn`.
pub fn known_codes() -> Vec<String> {
    let findings = CATALOGUE.iter().map(|entry| entry.code.to_string());
    let aadsts = aadsts::CATALOGUE
        .iter()
        .flat_map(|explanation| explanation.codes.iter())
        .map(|code| format!("AADSTS{code}"));
    findings.chain(aadsts).collect()
}

/// The three known codes nearest to `code` by edit distance (AADSTS numbers by their digits).
fn closest(code: &str) -> Vec<String> {
    let mut ranked: Vec<(usize, String)> = known_codes()
        .into_iter()
        .map(|known| (edit_distance(code, &known), known))
        .collect();
    let digits = code.strip_prefix("AADSTS").unwrap_or(code);
    if digits.chars().all(|c| c.is_ascii_digit()) {
        ranked.retain(|(_, known)| known.starts_with("AADSTS"));
        for (distance, known) in &mut ranked {
            *distance = edit_distance(digits, &known["AADSTS".len()..]);
        }
    }
    ranked.sort();
    ranked.into_iter().take(3).map(|(_, known)| known).collect()
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// The explanation as `kwif explain` prints it.
pub fn render(explained: &Explained) -> String {
    match explained {
        Explained::Finding(entry) => format!(
            "{code}  {symbol} {severity}, reported by {by}\n\
             cause:        {cause}\nusual reason: {reason}\nfix:          {fix}\n",
            code = entry.code,
            symbol = entry.severity.symbol(),
            severity = entry.severity.word(),
            by = entry.reported_by,
            cause = entry.cause,
            reason = entry.reason,
            fix = entry.fix,
        ),
        Explained::Aadsts(code, explanation) => {
            let mut text = format!(
                "AADSTS{code}  ✗ error at Entra ID's token endpoint{error}; kwif reports it as {finding}\n\
                 cause:        {meaning}\nusual reason: {cause}\nfix:          {fix}\n",
                error = if explanation.error.is_empty() {
                    String::new()
                } else {
                    format!(" (\"error\": \"{}\")", explanation.error)
                },
                finding = explanation.finding,
                meaning = explanation.meaning,
                cause = explanation.cause,
                fix = explanation.fix,
            );
            if explanation.hosting {
                text.push_str("note:         the hosted documents are at fault: `kwif doctor --issuer ISSUER` pinpoints what\n");
            }
            if explanation.propagation {
                text.push_str("note:         expected for a few minutes after a federated credential is written: retry before changing anything\n");
            }
            text.push_str(&format!(
                "Microsoft:    {} (codes change: Entra's own message wins)\n",
                aadsts::lookup_url(*code)
            ));
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    /// String literals shaped like finding codes that are not finding codes: environment
    /// variables and values kwif sends. A new literal of that shape is either a finding code
    /// (add it to CATALOGUE) or belongs here.
    const NOT_FINDING_CODES: &[&str] = &[
        "AZURE_AUTHORITY_HOST",
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_CONFIG_DIR",
        "AZURE_FEDERATED_TOKEN_FILE",
        "AZURE_STORAGE_KEY",
        "AZURE_TENANT_ID",
        "CARGO_PKG_VERSION",
        "KWIF_TIMEOUT",
        "NO_COLOR",
        "SSL_CERT_FILE",
        "TLS1_2",
    ];

    /// Every `"CODE_SHAPED"` string literal in the non-test code of `src/` (each file up to its
    /// `#[cfg(test)]`), except this catalogue's own file and the snippets, which name
    /// environment variables in other languages.
    fn code_shaped_literals() -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
        while let Some(path) = stack.pop() {
            if path.is_dir() {
                for entry in std::fs::read_dir(&path).unwrap() {
                    stack.push(entry.unwrap().path());
                }
                continue;
            }
            if path.extension().is_none_or(|ext| ext != "rs")
                || path.ends_with("explain.rs")
                || path.ends_with("export/snippet.rs")
            {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for literal in code.split('"').skip(1).step_by(2) {
                if is_code_shaped(literal) {
                    found.insert(literal.to_string());
                }
            }
        }
        found
    }

    /// `[A-Z][A-Z0-9_]+_[A-Z0-9_]+`, the whole literal.
    fn is_code_shaped(text: &str) -> bool {
        text.len() > 2
            && text.starts_with(|c: char| c.is_ascii_uppercase())
            && text.contains('_')
            && !text.ends_with('_')
            && text
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    }

    #[test]
    fn every_finding_code_in_the_source_is_in_the_catalogue() {
        let catalogued: BTreeSet<&str> = CATALOGUE.iter().map(|entry| entry.code).collect();
        let missing: Vec<String> = code_shaped_literals()
            .into_iter()
            .filter(|literal| !NOT_FINDING_CODES.contains(&literal.as_str()))
            .filter(|literal| !catalogued.contains(literal.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "finding codes missing from explain::CATALOGUE (or, if they are not finding codes, \
             from NOT_FINDING_CODES): {missing:?}"
        );
    }

    #[test]
    fn every_catalogue_entry_is_used_in_the_source_or_documented() {
        let used = code_shaped_literals();
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
        let stale: Vec<&str> = CATALOGUE
            .iter()
            .map(|entry| entry.code)
            .filter(|code| !used.contains(*code) && !readme.contains(code))
            .collect();
        assert!(stale.is_empty(), "catalogued but never reported: {stale:?}");
        let mut seen = BTreeSet::new();
        for entry in CATALOGUE {
            assert!(
                seen.insert(entry.code),
                "{} is catalogued twice",
                entry.code
            );
            assert!(!NOT_FINDING_CODES.contains(&entry.code), "{}", entry.code);
        }
    }

    #[test]
    fn aadsts_codes_are_found_with_or_without_prefix_in_any_case() {
        for input in ["AADSTS700213", "700213", "aadsts700213", " Aadsts700213 "] {
            let Ok(Explained::Aadsts(700213, explanation)) = lookup(input) else {
                panic!("{input:?} not found");
            };
            assert_eq!(explanation.finding, "AADSTS700213");
        }
        assert!(matches!(
            lookup("7002138"),
            Ok(Explained::Aadsts(7002138, _))
        ));
    }

    #[test]
    fn finding_codes_are_found_in_any_case() {
        let Ok(Explained::Finding(entry)) = lookup("discovery_content_type") else {
            panic!("not found");
        };
        assert_eq!(entry.code, "DISCOVERY_CONTENT_TYPE");
        assert_eq!(entry.severity, Severity::Warning);
        let text = render(&Explained::Finding(entry));
        assert!(
            text.starts_with("DISCOVERY_CONTENT_TYPE  ! warning"),
            "{text}"
        );
        assert!(
            text.contains("fix:          nginx: `default_type application/json;`"),
            "{text}"
        );
    }

    #[test]
    fn an_unknown_code_names_the_closest_known_ones() {
        let error = lookup("DISCOVERY_CONTENT_TYP").unwrap_err();
        assert_eq!(error.closest[0], "DISCOVERY_CONTENT_TYPE");
        let error = lookup("AADSTS700214").unwrap_err();
        assert!(
            error.closest.contains(&"AADSTS700212".to_string()),
            "{error}"
        );
        assert!(error.closest.iter().all(|code| code.starts_with("AADSTS")));
        assert!(lookup("").is_err());
    }

    #[test]
    fn the_aadsts_explanation_notes_hosting_and_propagation() {
        let text = render(&lookup("90061").unwrap());
        assert!(text.contains("kwif doctor --issuer"), "{text}");
        let text = render(&lookup("70021").unwrap());
        assert!(text.contains("retry before changing anything"), "{text}");
        assert!(
            text.contains("https://login.microsoftonline.com/error?code=70021"),
            "{text}"
        );
    }
}
