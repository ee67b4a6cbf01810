//! Microsoft.Resources' SubscriptionClient: Subscriptions_List, Subscriptions_Get and
//! Tenants_List, in the shapes of GetSubscriptions.json and GetTenants.json
//! (specification/resources/…/subscriptions/stable). The sandbox has one tenant and one
//! subscription; the list shows it to callers who hold a role in it, as ARM does.

use http::Method;
use serde_json::{Value, json};

use super::arm_error::ArmError;
use super::arm_path::{ArmTarget, scope_within};
use super::reply::Reply;
use super::resource_manager::ArmRequest;
use super::state::AzureState;

pub fn handle(state: &AzureState, request: &ArmRequest) -> Result<Reply, ArmError> {
    if request.method != Method::GET {
        return Err(ArmError::method_not_allowed(request.method.as_str()));
    }
    match &request.target {
        ArmTarget::Subscriptions => {
            let visible = caller_has_access(state, &request.caller);
            let value = match visible {
                true => vec![subscription_json(state)],
                false => Vec::new(),
            };
            request.page(value, state.page_size, false)
        }
        // The front door already answered SubscriptionNotFound for any other id.
        ArmTarget::Subscription { .. } => Ok(Reply::json(200, subscription_json(state))),
        ArmTarget::Tenants => request.page(vec![tenant_json(state)], state.page_size, false),
        _ => Err(ArmError::unknown_resource_type(request.path)),
    }
}

/// Whether the caller holds a role assignment anywhere in the subscription (the
/// administrator's Owner role, or any role a principal was given at a group or resource).
fn caller_has_access(state: &AzureState, caller: &str) -> bool {
    let subscription = format!("/subscriptions/{}", state.subscription_id);
    state.role_assignments.iter().any(|assignment| {
        assignment.principal_id.eq_ignore_ascii_case(caller)
            && (scope_within(&assignment.scope, &subscription)
                || scope_within(&subscription, &assignment.scope))
    })
}

/// A subscription as GetSubscriptions.json lists one: a pay-as-you-go subscription of the
/// public cloud, enabled, managed by no other tenant.
fn subscription_json(state: &AzureState) -> Value {
    json!({
        "id": format!("/subscriptions/{}", state.subscription_id),
        "subscriptionId": state.subscription_id,
        "tenantId": state.tenant_id,
        "displayName": state.directory.subscription,
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off",
        },
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
    })
}

/// The caller's home tenant as GetTenants.json lists one.
fn tenant_json(state: &AzureState) -> Value {
    json!({
        "countryCode": "US",
        "defaultDomain": state.directory.tenant_domain,
        "displayName": state.directory.tenant,
        "domains": [state.directory.tenant_domain],
        "id": format!("/tenants/{}", state.tenant_id),
        "tenantCategory": "Home",
        "tenantId": state.tenant_id,
        "tenantType": "AAD",
    })
}
