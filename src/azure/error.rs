//! What went wrong talking to Resource Manager, in words a user can act on: the operation, the
//! status and ARM error code, and a one-line fix. Messages never carry a token.

use crate::azure::credential::CredentialError;
use crate::network::{NetworkError, TlsProblem, TransportFailure, seconds};

/// ARM error messages are short; anything longer is cut so a stray HTML page stays readable.
const MAX_MESSAGE: usize = 600;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AzureError {
    /// No token: the credential failed.
    #[error("{0}")]
    Credential(CredentialError),
    /// Resource Manager answered with an error status.
    #[error("{operation}: Azure answered {status}{}: {message}", code.as_deref().map(|code| format!(" {code}")).unwrap_or_default())]
    Http {
        operation: String,
        status: u16,
        code: Option<String>,
        message: String,
    },
    /// The request got no answer from Azure (DNS, TLS, connection, timeout); the fix fits the cause.
    #[error("{operation}: {} ({service}) did not answer: {}", .error.target, .error.failure)]
    Unreachable {
        operation: String,
        /// The endpoint as kwif.yaml names it ("Resource Manager", "Entra ID").
        service: String,
        #[source]
        error: NetworkError,
    },
    /// kwif could not set up its Azure clients (a CA file, a missing tenant).
    #[error("{message}")]
    Setup { message: String, fix: String },
    /// Azure answered something kwif cannot read.
    #[error("{operation}: {message}")]
    Unexpected { operation: String, message: String },
    /// Azure accepted a long-running write (202), then its operation ended `Failed`: the
    /// write's outcome, not the status poll's 200.
    #[error("{operation}: Azure accepted the write, then its operation failed{}: {message}", code.as_deref().map(|code| format!(" with {code}")).unwrap_or_default())]
    OperationFailed {
        operation: String,
        code: Option<String>,
        message: String,
    },
}

impl AzureError {
    pub fn http(
        operation: impl Into<String>,
        status: u16,
        code: Option<String>,
        message: impl Into<String>,
    ) -> AzureError {
        let mut message: String = message.into();
        if message.chars().count() > MAX_MESSAGE {
            message = message.chars().take(MAX_MESSAGE).collect::<String>() + "…";
        }
        AzureError::Http {
            operation: operation.into(),
            status,
            code,
            message,
        }
    }

    /// Reads `{"error":{"code","message"}}` (or `x-ms-error-code`) from an error answer.
    pub fn from_answer(
        operation: impl Into<String>,
        status: u16,
        header_code: Option<&str>,
        body: &[u8],
    ) -> AzureError {
        let json: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let error = if json["error"].is_object() {
            &json["error"]
        } else {
            &json
        };
        let code = header_code.map(str::to_string).or_else(|| {
            error["code"]
                .as_str()
                .or(error["Code"].as_str())
                .map(str::to_string)
        });
        let message = error["message"]
            .as_str()
            .or(error["Message"].as_str())
            .map_or_else(
                || String::from_utf8_lossy(body).trim().to_string(),
                str::to_string,
            );
        AzureError::http(operation, status, code, message)
    }

    /// `service` ("Resource Manager", "Entra ID") gave no answer to `operation`.
    pub fn unreachable(operation: &str, service: &str, error: NetworkError) -> AzureError {
        AzureError::Unreachable {
            operation: operation.to_string(),
            service: service.to_string(),
            error,
        }
    }

    /// The same error with a note on its message ("it asked to retry after 3600 s…").
    pub fn with_note(self, note: &str) -> AzureError {
        match self {
            AzureError::Http {
                operation,
                status,
                code,
                message,
            } => AzureError::Http {
                operation,
                status,
                code,
                message: format!("{message} ({note})"),
            },
            other => other,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            AzureError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn code(&self) -> Option<&str> {
        match self {
            AzureError::Http { code, .. } | AzureError::OperationFailed { code, .. } => {
                code.as_deref()
            }
            _ => None,
        }
    }

    /// A write refused because the principal it names is not known yet: a new identity's
    /// service principal has not replicated (azure.md §4). RBAC says `PrincipalNotFound`;
    /// Cosmos DB accepts the write and fails its operation with `BadRequest` and "The provided
    /// principal ID [...] was not found in the AAD tenant(s)".
    pub fn is_principal_not_replicated(&self) -> bool {
        match self {
            AzureError::OperationFailed { code, message, .. } => {
                code.as_deref()
                    .is_some_and(|code| code.eq_ignore_ascii_case("BadRequest"))
                    && message.contains("principal ID")
                    && message.contains("was not found")
            }
            _ => self.has_code("PrincipalNotFound"),
        }
    }

    /// A 404 for the resource itself; a missing resource group or subscription is an error
    /// the user must fix, not an absent resource to create.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
            && !self.has_code("ResourceGroupNotFound")
            && !self.has_code("SubscriptionNotFound")
    }

    /// Microsoft Graph refused kwif's login the permission to manage app registrations.
    pub fn is_graph_permission_denied(&self) -> bool {
        self.status() == Some(403) && self.has_code(GRAPH_DENIED)
    }

    /// The finding code for this error: `GRAPH_PERMISSION_DENIED` when Graph refused the
    /// permission, else `code`.
    pub fn finding_code(&self, code: &'static str) -> &'static str {
        if self.is_graph_permission_denied() {
            "GRAPH_PERMISSION_DENIED"
        } else {
            code
        }
    }

    /// The error code, compared case-insensitively as ARM codes are.
    pub fn has_code(&self, code: &str) -> bool {
        self.code()
            .is_some_and(|found| found.eq_ignore_ascii_case(code))
    }

    /// One line: what the user can do.
    pub fn fix(&self) -> String {
        let (status, code, message) = match self {
            AzureError::Credential(error) => return error.fix.clone(),
            AzureError::Setup { fix, .. } => return fix.clone(),
            AzureError::Unreachable { error, service, .. } => {
                return unreachable_fix(error, service);
            }
            AzureError::Unexpected { .. } => {
                return "rerun; if it persists, report it with the message above".to_string();
            }
            AzureError::OperationFailed { .. } if self.is_principal_not_replicated() => {
                return "the new identity's service principal had not replicated within the wait: \
                        rerun `kwif apply` in a few minutes"
                    .to_string();
            }
            AzureError::OperationFailed { .. } => {
                return "fix what the message names, then rerun `kwif apply`".to_string();
            }
            AzureError::Http {
                status,
                code,
                message,
                ..
            } => (*status, code.as_deref().unwrap_or(""), message.as_str()),
        };
        http_fix(status, code, message).to_string()
    }
}

/// What to do when an Azure endpoint gave no answer, by what happened; `service` names the
/// endpoint as kwif.yaml does ("Resource Manager", "Entra ID").
pub fn unreachable_fix(error: &NetworkError, service: &str) -> String {
    let target = &error.target;
    match &error.failure {
        TransportFailure::Refused => format!(
            "nothing accepts connections at {target}: check the {service} URL (azure.cloud, or azure.endpoints \
             for a custom cloud), and HTTPS_PROXY / NO_PROXY if this network needs a proxy"
        ),
        TransportFailure::NameNotResolved => format!(
            "{target} does not resolve: check the {service} URL and DNS, or set HTTPS_PROXY when only a proxy \
             reaches the internet"
        ),
        TransportFailure::TimedOut { after, .. } => format!(
            "nothing answered within {}: a firewall or proxy drops the traffic, or the endpoint is down; set \
             HTTPS_PROXY if this network needs a proxy, or --timeout SECONDS to wait longer",
            seconds(*after)
        ),
        TransportFailure::Tls(TlsProblem::NotTrusted) => format!(
            "{target} presents a certificate from a CA kwif does not trust: behind a TLS-inspecting proxy or with \
             a private CA, put that CA certificate (PEM) into SSL_CERT_FILE"
        ),
        TransportFailure::Tls(TlsProblem::WrongName { .. }) => format!(
            "the certificate is not for {target}: check the {service} URL, or whether a proxy intercepts TLS"
        ),
        TransportFailure::Tls(TlsProblem::Expired { .. } | TlsProblem::NotYetValid) => {
            "the certificate's dates do not cover now: check this machine's clock, or whether a proxy intercepts TLS"
                .to_string()
        }
        TransportFailure::Tls(_) | TransportFailure::Dropped | TransportFailure::Other(_) => {
            format!("check the network path to {target} (proxy, firewall) and rerun with -v")
        }
    }
}

/// Graph's code for a call the caller's permissions do not cover (azure.md §10.3).
const GRAPH_DENIED: &str = "Authorization_RequestDenied";

/// The fix for an ARM or Graph error answer, by status and code (azure.md §2–§5, §10.3).
fn http_fix(status: u16, code: &str, message: &str) -> &'static str {
    let code = code.to_ascii_lowercase();
    match (status, code.as_str()) {
        (401, _) => {
            "the token was refused: log in again (`az login`, in the profile's tenant) and rerun"
        }
        (403, "authorization_requestdenied") => GRAPH_PERMISSION_FIX,
        (403, "requestdisallowedbypolicy") => {
            "an Azure Policy forbids this (the message names it): change the setting it requires, or ask its owner for an exemption"
        }
        (403, _) => {
            "your login lacks the permission: Contributor on the resource group creates identities and \
             federated credentials; Owner, User Access Administrator or Role Based Access Control \
             Administrator on the scope creates role assignments; Storage Account Contributor creates \
             storage accounts and reads their keys"
        }
        (404, "resourcegroupnotfound") => {
            "create the resource group first: `az group create -n GROUP -l LOCATION`, or fix azure.resourceGroup"
        }
        (409 | 400, "storageaccountalreadytaken") => {
            "storage account names are global and this one is someone else's: choose another \
             hosting.azureBlob.storageAccount in kwif.yaml (and the issuer with it)"
        }
        (409, "storageaccountinanotherresourcegroup") => {
            "the account is in another resource group of this subscription: set hosting.azureBlob.resourceGroup to it \
             (`az storage account show -n ACCOUNT --query resourceGroup`)"
        }
        (400, "accountnameinvalid") => {
            "a storage account name is 3 to 24 lowercase letters and digits: correct hosting.azureBlob.storageAccount"
        }
        (404, "roledefinitionnotfound") => {
            "write the role exactly as Azure names it (`az role definition list --query \"[].roleName\" -o tsv`), or its GUID"
        }
        (404, "subscriptionnotfound") => {
            "check azure.subscription against `az account list -o table`"
        }
        (404, _) if message.contains("parent user-assigned identity") => {
            "the identity does not exist yet: apply the identity step first"
        }
        (404, _) => "check the names and ids in kwif.yaml against the portal",
        (405, _) => {
            "federated credentials are not supported for identities in this region (e.g. Malaysia South, \
             New Zealand North): create the identity in another location"
        }
        (409, code) if code.contains("concurrent") => {
            "another write to this identity's federated credentials was in progress: rerun in a few seconds"
        }
        (409, _) => "the resource is in a conflicting state: rerun in a few seconds",
        (429, _) => {
            "Azure is throttling requests: wait a minute and rerun; kwif picks up where it stopped"
        }
        (500..=599, _) => "Azure failed on its side: rerun; kwif picks up where it stopped",
        (400, "principalnotfound") => {
            "the identity's service principal has not replicated yet: rerun in a minute"
        }
        (400, "roleassignmentupdatenotpermitted") => {
            "an assignment with this name belongs to another principal (identity deleted and recreated?): \
             delete the old assignment with `az role assignment delete --ids ID`"
        }
        (400, _) => "a value was rejected: correct the field the message names in kwif.yaml",
        _ => "see the message; rerun with -v for details",
    }
}

/// What to do when Graph refuses to manage app registrations: the least permission, and how to
/// grant it to a service principal login or get it as a user.
const GRAPH_PERMISSION_FIX: &str = concat!(
    "kwif's login needs the Microsoft Graph application permission Application.ReadWrite.OwnedBy (or ",
    "Application.ReadWrite.All) to create and manage app registrations: grant it to the service principal ",
    "kwif logs in as with `az ad app permission add --id $AZURE_CLIENT_ID --api ",
    "00000003-0000-0000-c000-000000000000 --api-permissions 18a4783c-866b-4cc7-a460-3d5e5662c884=Role` and ",
    "`az ad app permission admin-consent --id $AZURE_CLIENT_ID`; a user login (`az login`) needs the Entra ",
    "role Application Developer; or use kind: managedIdentity"
);

impl From<CredentialError> for AzureError {
    fn from(error: CredentialError) -> AzureError {
        AzureError::Credential(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arm_error_bodies_give_code_message_and_a_fix() {
        let body = br#"{"error":{"code":"RoleAssignmentExists","message":"The role assignment already exists."}}"#;
        let error = AzureError::from_answer("assigning Reader", 409, None, body);
        assert_eq!(error.code(), Some("RoleAssignmentExists"));
        assert_eq!(
            error.to_string(),
            "assigning Reader: Azure answered 409 RoleAssignmentExists: The role assignment already exists."
        );
        let missing = AzureError::from_answer("reading identity", 404, None, br#"{"error":{"code":"ResourceGroupNotFound","message":"Resource group 'rg' could not be found."}}"#);
        assert!(
            missing.fix().contains("az group create"),
            "{}",
            missing.fix()
        );
        let forbidden = AzureError::from_answer("x", 403, Some("AuthorizationFailed"), b"");
        assert!(forbidden.fix().contains("Contributor"));
    }

    #[test]
    fn a_graph_refusal_names_the_permission_and_the_az_command() {
        let body = br#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation.","innerError":{"date":"2024-01-01T00:00:00","request-id":"r"}}}"#;
        let error = AzureError::from_answer("creating app registration id-app", 403, None, body);
        assert!(error.is_graph_permission_denied());
        assert_eq!(
            error.to_string(),
            "creating app registration id-app: Azure answered 403 Authorization_RequestDenied: Insufficient \
             privileges to complete the operation."
        );
        let fix = error.fix();
        assert!(fix.contains("Application.ReadWrite.OwnedBy"), "{fix}");
        // Application.ReadWrite.OwnedBy's id in the Microsoft Graph permissions reference.
        assert!(
            fix.contains("18a4783c-866b-4cc7-a460-3d5e5662c884=Role"),
            "{fix}"
        );
        assert!(fix.contains("az ad app permission admin-consent"), "{fix}");
        assert_eq!(
            error.finding_code("IDENTITY_AZURE"),
            "GRAPH_PERMISSION_DENIED"
        );
    }
}
