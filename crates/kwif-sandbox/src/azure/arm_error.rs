//! Resource Manager's error answers: `{"error":{"code","message"}}` with the status, code and
//! message the real service gives (azure.md §1–§5). Messages marked unverified are close guesses.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// An ARM error response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArmError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl ArmError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> ArmError {
        ArmError {
            status,
            code,
            message: message.into(),
        }
    }

    /// ARM's `CloudError` body.
    pub fn body(&self) -> Value {
        json!({ "error": { "code": self.code, "message": self.message } })
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ArmError {
        ArmError::new(400, code, message)
    }

    pub fn missing_authorization() -> ArmError {
        ArmError::new(
            401,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
        )
    }

    pub fn invalid_authorization() -> ArmError {
        ArmError::new(
            401,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is provided in an invalid format.",
        )
    }

    /// A token that is not a JWT, or whose signature does not verify with the tenant's keys.
    pub fn invalid_token() -> ArmError {
        ArmError::new(
            401,
            "InvalidAuthenticationToken",
            "The access token is invalid.",
        )
    }

    /// A token another tenant issued.
    pub fn wrong_tenant(issuer: &str, tenant_issuer: &str, tenant_id: &str) -> ArmError {
        ArmError::new(
            401,
            "InvalidAuthenticationTokenTenant",
            format!(
                "The access token is from the wrong issuer '{issuer}'. It must match the tenant '{tenant_issuer}' \
                 associated with this subscription. Please use the authority (URL) \
                 'https://login.windows.net/{tenant_id}' to get the token. Note, if the subscription is transferred \
                 to another tenant there is no impact to the services, but information about new tenant could take \
                 time to propagate (up to an hour). If you just transferred your subscription and see this error \
                 message, please try back later."
            ),
        )
    }

    /// A token for another resource (wording from public reports of real ARM answers).
    pub fn wrong_audience(audience: &str, allowed: &[String]) -> ArmError {
        let allowed: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
        ArmError::new(
            401,
            "InvalidAuthenticationTokenAudience",
            format!(
                "The access token has been obtained for wrong audience or resource '{audience}'. It should exactly \
                 match with one of the allowed audiences {}.",
                allowed.join(",")
            ),
        )
    }

    pub fn expired_token(expires: SystemTime, now: SystemTime) -> ArmError {
        ArmError::new(
            401,
            "ExpiredAuthenticationToken",
            format!(
                "The access token expiry UTC time '{}' is earlier than current UTC time '{}'.",
                us_time(expires),
                us_time(now)
            ),
        )
    }

    /// A signed token that names no principal.
    pub fn no_principal_claim() -> ArmError {
        ArmError::new(
            401,
            "InvalidAuthenticationToken",
            "The received access token is not valid: at least one of the claims 'puid' or 'altsecid' or 'oid' \
             should be present. If you are accessing as application please make sure service principal is \
             properly created in the tenant.",
        )
    }

    pub fn missing_api_version() -> ArmError {
        ArmError::bad_request(
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    }

    pub fn unsupported_api_version(api_version: &str, supported: &[&str]) -> ArmError {
        ArmError::bad_request(
            "InvalidApiVersionParameter",
            format!(
                "The api-version '{api_version}' is invalid. The supported versions are '{}'.",
                supported.join(",")
            ),
        )
    }

    pub fn subscription_not_found(subscription: &str) -> ArmError {
        ArmError::new(
            404,
            "SubscriptionNotFound",
            format!("The subscription '{subscription}' could not be found."),
        )
    }

    pub fn resource_group_not_found(resource_group: &str) -> ArmError {
        ArmError::new(
            404,
            "ResourceGroupNotFound",
            format!("Resource group '{resource_group}' could not be found."),
        )
    }

    /// `resource_type` as in `Microsoft.ManagedIdentity/userAssignedIdentities`.
    pub fn resource_not_found(resource_type: &str, name: &str, resource_group: &str) -> ArmError {
        ArmError::new(
            404,
            "ResourceNotFound",
            format!(
                "The Resource '{resource_type}/{name}' under resource group '{resource_group}' was not found. \
                 For more details please go to https://aka.ms/ARMResourceNotFoundFix"
            ),
        )
    }

    /// A PUT of a tracked resource without `location`.
    pub fn location_required() -> ArmError {
        ArmError::bad_request(
            "LocationRequired",
            "The location property is required for this definition.",
        )
    }

    /// A PUT that would move an existing resource to another location. 409, as Terraform
    /// reports it ("unexpected status 409 (409 Conflict) with error: InvalidResourceLocation");
    /// message from the "Resolve errors for storage account names" troubleshooting page.
    pub fn invalid_resource_location(
        name: &str,
        existing_location: &str,
        resource_group: &str,
        location: &str,
    ) -> ArmError {
        ArmError::new(
            409,
            "InvalidResourceLocation",
            format!(
                "The resource '{name}' already exists in location '{existing_location}' in resource group \
                 '{resource_group}'. A resource with the same name cannot be created in location '{location}'. \
                 Please select a new resource name."
            ),
        )
    }

    pub fn invalid_request_content(detail: &str) -> ArmError {
        ArmError::bad_request(
            "InvalidRequestContent",
            format!("The request content was invalid and could not be deserialized: '{detail}'."),
        )
    }

    pub fn method_not_allowed(method: &str) -> ArmError {
        ArmError::new(
            405,
            "MethodNotAllowed",
            format!("The requested resource does not support http method '{method}'."),
        )
    }

    /// A path the sandbox does not serve (real ARM would route it to some other provider).
    pub fn unknown_resource_type(path: &str) -> ArmError {
        ArmError::new(
            404,
            "InvalidResourceType",
            format!(
                "The resource type of '{path}' could not be found. The sandbox serves subscriptions, \
                 tenants, locations, resource groups, user-assigned identities, federated identity \
                 credentials, role definitions and assignments, Cosmos DB accounts and SQL role \
                 assignments, and storage accounts."
            ),
        )
    }

    /// ARM's subscription-level write throttling (azure.md §2, "Throttling").
    pub fn throttled() -> ArmError {
        ArmError::new(
            429,
            "TooManyRequests",
            "The request is being throttled as the limit has been reached for operation type - \
             Write_ObservationWindow_00:01:00. For more information, refer - https://aka.ms/srpthrottlinglimits",
        )
    }

    pub fn internal_error(subscription: &str, tracking_id: &str) -> ArmError {
        ArmError::new(
            500,
            "InternalServerError",
            format!(
                "Encountered internal server error. Diagnostic information: subscription id '{subscription}', \
                 tracking id '{tracking_id}', request correlation id '{tracking_id}'."
            ),
        )
    }
}

/// `6/15/2026 8:22:51 AM`, the .NET invariant form ARM writes times in.
fn us_time(time: SystemTime) -> String {
    let latest = UNIX_EPOCH + Duration::from_secs(253_402_300_799);
    let text = humantime::format_rfc3339_seconds(time.clamp(UNIX_EPOCH, latest)).to_string();
    let number = |range: std::ops::Range<usize>| {
        text.get(range)
            .and_then(|part| part.parse::<u32>().ok())
            .unwrap_or_default()
    };
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let (hour, minute, second) = (number(11..13), number(14..16), number(17..19));
    let (hour12, half) = match hour {
        0 => (12, "AM"),
        1..=11 => (hour, "AM"),
        12 => (12, "PM"),
        _ => (hour - 12, "PM"),
    };
    format!("{month}/{day}/{year} {hour12}:{minute:02}:{second:02} {half}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_the_way_arm_writes_them() {
        let at = |seconds: u64| UNIX_EPOCH + Duration::from_secs(seconds);
        assert_eq!(us_time(at(1_781_511_771)), "6/15/2026 8:22:51 AM");
        assert_eq!(us_time(at(1_781_515_645)), "6/15/2026 9:27:25 AM");
        assert_eq!(us_time(at(1_781_554_371)), "6/15/2026 8:12:51 PM");
        assert_eq!(us_time(at(0)), "1/1/1970 12:00:00 AM");
    }

    #[test]
    fn the_body_is_a_cloud_error() {
        let body = ArmError::resource_group_not_found("rg1").body();
        assert_eq!(
            body,
            json!({"error": {"code": "ResourceGroupNotFound", "message": "Resource group 'rg1' could not be found."}})
        );
    }
}
