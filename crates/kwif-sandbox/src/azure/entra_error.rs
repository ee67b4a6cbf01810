//! Entra ID's token-endpoint errors in the shape of azure.md §7 — `error`, `error_description`
//! starting `AADSTSnnnn:` and ending with Trace ID, Correlation ID and Timestamp lines, and the
//! rest — with the wording of real responses quoted in the issues azure.md §8 cites.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::randomness;

/// The federation guide Entra links from the AADSTS7002xx messages.
const FEDERATION_DOCS: &str =
    "https://learn.microsoft.com/entra/workload-id/workload-identity-federation";

/// One AADSTS error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntraError {
    /// The OAuth `error`: `invalid_request`, `invalid_client`, …
    pub error: &'static str,
    pub code: u32,
    /// The text after `AADSTSnnnn: `.
    pub description: String,
}

impl EntraError {
    fn new(error: &'static str, code: u32, description: impl Into<String>) -> EntraError {
        EntraError {
            error,
            code,
            description: description.into(),
        }
    }

    /// `invalid_client` is 401 at Entra; the other errors are 400.
    pub fn status(&self) -> u16 {
        match self.error {
            "invalid_client" => 401,
            _ => 400,
        }
    }

    pub fn body(&self, correlation_id: &str, now: SystemTime) -> Value {
        let trace_id = randomness::uid();
        let timestamp = timestamp(now);
        json!({
            "error": self.error,
            "error_description": format!(
                "AADSTS{}: {}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {timestamp}",
                self.code, self.description
            ),
            "error_codes": [self.code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": format!("https://login.microsoftonline.com/error?code={}", self.code),
        })
    }

    pub fn tenant_not_found(tenant: &str) -> EntraError {
        EntraError::new(
            "invalid_request",
            90002,
            format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into \
                 the correct cloud. Check with your subscription administrator, this may happen if there are no active \
                 subscriptions for the tenant."
            ),
        )
    }

    pub fn post_only(method: &str) -> EntraError {
        EntraError::new(
            "invalid_request",
            900561,
            format!("The endpoint only accepts POST requests. Received a {method} request."),
        )
    }

    pub fn service_error() -> EntraError {
        EntraError::new(
            "temporarily_unavailable",
            50000,
            "There was an error issuing a token or an issue with our sign-in service.",
        )
    }

    pub fn missing_parameter(name: &str) -> EntraError {
        EntraError::new(
            "invalid_request",
            900144,
            format!("The request body must contain the following parameter: '{name}'."),
        )
    }

    pub fn unsupported_grant_type(grant_type: &str) -> EntraError {
        EntraError::new(
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{grant_type}'."),
        )
    }

    pub fn invalid_scope(scope: &str) -> EntraError {
        EntraError::new(
            "invalid_scope",
            70011,
            format!(
                "The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."
            ),
        )
    }

    pub fn application_not_found(client_id: &str, tenant: &str) -> EntraError {
        EntraError::new(
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen \
                 if the application has not been installed by the administrator of the tenant or consented to by any \
                 user in the tenant. You may have sent your authentication request to the wrong tenant."
            ),
        )
    }

    pub fn missing_client_assertion() -> EntraError {
        EntraError::new(
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        )
    }

    /// A client secret that is not the application's (managed identities have none at all).
    pub fn invalid_client_secret(client_id: &str) -> EntraError {
        EntraError::new(
            "invalid_client",
            7000215,
            format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret \
                 value, not the client secret ID, for a secret added to app '{client_id}'."
            ),
        )
    }

    pub fn malformed_assertion() -> EntraError {
        EntraError::new(
            "invalid_request",
            50027,
            "JWT token is invalid or malformed.",
        )
    }

    pub fn issuer_not_matched(issuer: &str) -> EntraError {
        EntraError::new(
            "invalid_client",
            700211,
            format!(
                "No matching federated identity record found for presented assertion issuer '{issuer}'. Please check \
                 your federated identity credential Subject, Audience and Issuer against the presented assertion. \
                 {FEDERATION_DOCS}"
            ),
        )
    }

    pub fn external_oidc_failed() -> EntraError {
        EntraError::new(
            "invalid_request",
            90061,
            "Request to External OIDC endpoint failed.",
        )
    }

    /// `kid` is empty when the token has none (seen with minikube, azure.md §8).
    pub fn signing_key_not_found(kid: &str, issuer: &str) -> EntraError {
        EntraError::new(
            "invalid_client",
            7000272,
            format!(
                "The certificate with identifier {kid} used to sign the federated credential could not be found in the \
                 metadata of identity provider {issuer}. Please validate that your Identity Provider's metadata exposes \
                 the key used to sign the incoming token."
            ),
        )
    }

    /// A signature that does not verify, or an algorithm other than RS256 (wording unverified).
    pub fn signature_invalid(issuer: &str) -> EntraError {
        EntraError::new(
            "invalid_request",
            50027,
            format!(
                "Invalid JWT token. External ID token from issuer '{issuer}' failed signature verification."
            ),
        )
    }

    pub fn outside_time_range(
        now: SystemTime,
        not_before: Option<SystemTime>,
        expires: SystemTime,
    ) -> EntraError {
        EntraError::new(
            "invalid_client",
            700024,
            format!(
                "Client assertion is not within its valid time range. Current time: {}, assertion valid from {}, expiry \
                 time of assertion {}. Review the documentation at \
                 https://learn.microsoft.com/entra/identity-platform/certificate-credentials .",
                precise_time(now),
                precise_time(not_before.unwrap_or(UNIX_EPOCH)),
                precise_time(expires)
            ),
        )
    }

    pub fn subject_not_matched(subject: &str) -> EntraError {
        EntraError::new(
            "invalid_client",
            700213,
            format!(
                "No matching federated identity record found for presented assertion subject '{subject}'. Check your \
                 federated identity credential Subject, Audience and Issuer against the presented assertion. {FEDERATION_DOCS}"
            ),
        )
    }

    /// Since August 2024 subjects match case-sensitively; Entra names the near miss
    /// (AADSTS7002138 in Azure/login#515).
    pub fn subject_matches_only_ignoring_case(subject: &str) -> EntraError {
        EntraError::new(
            "invalid_client",
            7002138,
            format!(
                "No matching federated identity record found for presented assertion subject '{subject}'. The subject \
                 matches with case-insensitive comparison, but not with case-sensitive comparison. Check your federated \
                 identity credential Subject, Audience and Issuer against the presented assertion. See documentation at: \
                 {FEDERATION_DOCS}. See breaking change notification and remediation at: \
                 https://learn.microsoft.com/en-us/entra/identity-platform/reference-breaking-changes#august-2024."
            ),
        )
    }

    pub fn audience_not_matched(audience: &str) -> EntraError {
        EntraError::new(
            "invalid_client",
            700212,
            format!(
                "No matching federated identity record found for presented assertion audience '{audience}'. Please check \
                 your federated identity credential Subject, Audience and Issuer against the presented assertion. \
                 {FEDERATION_DOCS}"
            ),
        )
    }

    /// Everything matches a credential Entra does not use yet (propagation, azure.md §3).
    pub fn no_matching_record(issuer: &str, subject: &str, audience: &str) -> EntraError {
        EntraError::new(
            "invalid_request",
            70021,
            format!(
                "No matching federated identity record found for presented assertion. Assertion Issuer: '{issuer}'. \
                 Assertion Subject: '{subject}'. Assertion Audience: '{audience}'. \
                 https://docs.microsoft.com/en-us/azure/active-directory/develop/workload-identity-federation"
            ),
        )
    }
}

/// Keeps a time within what RFC 3339 years 1970–9999 can show (token claims are untrusted).
fn printable(time: SystemTime) -> SystemTime {
    let latest = UNIX_EPOCH + Duration::from_secs(253_402_300_799);
    time.clamp(UNIX_EPOCH, latest)
}

/// `2024-03-01 07:41:07Z`, Entra's `timestamp`.
pub fn timestamp(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(printable(time))
        .to_string()
        .replace('T', " ")
}

/// `2024-10-02T22:05:03.6755165Z`: seven fractional digits, as in AADSTS700024 messages.
fn precise_time(time: SystemTime) -> String {
    let time = printable(time);
    let seconds = humantime::format_rfc3339_seconds(time).to_string();
    let nanos = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos());
    format!("{}.{:07}Z", seconds.trim_end_matches('Z'), nanos / 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_has_every_member_of_an_entra_error() {
        let now = UNIX_EPOCH + Duration::from_secs(1_452_304_932);
        let body = EntraError::invalid_scope("x").body("c0ffee00-0000-0000-0000-000000000000", now);
        assert_eq!(body["error"], "invalid_scope");
        assert_eq!(body["error_codes"], json!([70011]));
        assert_eq!(body["timestamp"], "2016-01-09 02:02:12Z");
        assert_eq!(
            body["error_uri"],
            "https://login.microsoftonline.com/error?code=70011"
        );
        let description = body["error_description"].as_str().unwrap();
        assert!(description.starts_with("AADSTS70011: "));
        assert!(
            description.contains("\r\nCorrelation ID: c0ffee00-0000-0000-0000-000000000000\r\n")
        );
        assert!(description.ends_with("Timestamp: 2016-01-09 02:02:12Z"));
    }

    #[test]
    fn times_out_of_range_do_not_panic() {
        let error = EntraError::outside_time_range(
            UNIX_EPOCH,
            None,
            UNIX_EPOCH + Duration::from_secs(u64::MAX / 4),
        );
        assert!(
            error
                .description
                .contains("assertion valid from 1970-01-01T00:00:00.0000000Z")
        );
        assert!(error.description.contains("9999-12-31T23:59:59.0000000Z"));
    }
}
