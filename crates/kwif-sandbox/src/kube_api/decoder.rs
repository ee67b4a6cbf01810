//! Decoding into the built-in types, as kube-apiserver's decoder does before anything else: a
//! body whose fields have the wrong JSON types (a string where a list belongs) is a 400.

use k8s_openapi::api::{
    admissionregistration, apps, authentication, batch, core, networking, rbac,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::resources::ResourceType;
use super::status::ApiError;

/// Checks that `object` decodes as the resource's type; the message is worded like the
/// apiserver's (`Deployment in version "v1" cannot be handled as a Deployment: …`).
pub fn check(resource: &ResourceType, object: &Value) -> Result<(), ApiError> {
    let decoded = match resource.kind {
        "Namespace" => decodes::<core::v1::Namespace>(object),
        "ServiceAccount" => decodes::<core::v1::ServiceAccount>(object),
        "ConfigMap" => decodes::<core::v1::ConfigMap>(object),
        "Secret" => decodes::<core::v1::Secret>(object),
        "Service" => decodes::<core::v1::Service>(object),
        "Pod" => decodes::<core::v1::Pod>(object),
        "Node" => decodes::<core::v1::Node>(object),
        "Deployment" => decodes::<apps::v1::Deployment>(object),
        "StatefulSet" => decodes::<apps::v1::StatefulSet>(object),
        "DaemonSet" => decodes::<apps::v1::DaemonSet>(object),
        "ReplicaSet" => decodes::<apps::v1::ReplicaSet>(object),
        "Job" => decodes::<batch::v1::Job>(object),
        "CronJob" => decodes::<batch::v1::CronJob>(object),
        "Ingress" => decodes::<networking::v1::Ingress>(object),
        "ClusterRole" => decodes::<rbac::v1::ClusterRole>(object),
        "ClusterRoleBinding" => decodes::<rbac::v1::ClusterRoleBinding>(object),
        "Role" => decodes::<rbac::v1::Role>(object),
        "RoleBinding" => decodes::<rbac::v1::RoleBinding>(object),
        "MutatingWebhookConfiguration" => {
            decodes::<admissionregistration::v1::MutatingWebhookConfiguration>(object)
        }
        _ => metadata_only(object),
    };
    decoded.map_err(|error| {
        ApiError::bad_request(format!(
            "{kind} in version {version:?} cannot be handled as a {kind}: {error}",
            kind = resource.kind,
            version = resource.version,
        ))
    })
}

/// Checks a TokenRequest body.
pub fn check_token_request(body: &Value) -> Result<(), ApiError> {
    decodes::<authentication::v1::TokenRequest>(body).map_err(|error| {
        ApiError::bad_request(format!(
            "TokenRequest in version \"v1\" cannot be handled as a TokenRequest: {error}"
        ))
    })
}

/// Whether the object decodes. Go's decoder never requires a field (validation reports missing
/// ones, with their paths), so the Rust types' "missing field" errors do not count.
fn decodes<T: DeserializeOwned>(object: &Value) -> Result<(), String> {
    match serde_json::from_value::<T>(object.clone()) {
        Ok(_) => Ok(()),
        Err(error) if error.to_string().starts_with("missing field") => Ok(()),
        Err(error) => Err(error.to_string()),
    }
}

/// Kinds without a Rust type here still need an object `metadata` with string-map labels.
fn metadata_only(object: &Value) -> Result<(), String> {
    match object.get("metadata") {
        None => Ok(()),
        Some(metadata) => serde_json::from_value::<
            k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
        >(metadata.clone())
        .map(|_| ())
        .map_err(|error| error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::resources;
    use super::*;

    #[test]
    fn wrong_json_types_are_a_bad_request() {
        let deployments = resources::find("apps", "v1", "deployments").unwrap();
        let object = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "annotations": "x"}});
        let error = check(deployments, &object).unwrap_err();
        assert_eq!(error.code, 400);
        assert!(
            error
                .message
                .starts_with("Deployment in version \"v1\" cannot be handled as a Deployment: ")
        );
        let fine =
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}});
        assert!(check(deployments, &fine).is_ok());
    }
}
