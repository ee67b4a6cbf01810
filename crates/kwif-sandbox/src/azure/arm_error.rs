//! Resource Manager's error answers: `{"error":{"code","message"}}` with the status, code and
//! message the real service gives (azure.md §1–§5). Messages marked unverified are close guesses.

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
                "The resource type of '{path}' could not be found. The sandbox serves resource groups, \
                 user-assigned identities, federated identity credentials, role definitions and \
                 assignments, Cosmos DB SQL role assignments and storage accounts."
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_a_cloud_error() {
        let body = ArmError::resource_group_not_found("rg1").body();
        assert_eq!(
            body,
            json!({"error": {"code": "ResourceGroupNotFound", "message": "Resource group 'rg1' could not be found."}})
        );
    }
}
