//! What a caller may do at a scope (Microsoft.Authorization permissions, api-version 2022-04-01):
//! asked with a workload identity's own token, it proves a role assignment is in effect for that
//! identity, which the assignment existing does not (assignments take minutes to apply).

use serde_json::Value;

use crate::azure::arm::ArmClient;
use crate::azure::error::AzureError;
use crate::azure::roles::AUTHORIZATION_API_VERSION;

/// One block of allowed and excluded operations: a role definition's `permissions` entry, or
/// one entry of the caller's permissions at a scope. Patterns may hold `*`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PermissionBlock {
    pub actions: Vec<String>,
    pub not_actions: Vec<String>,
    pub data_actions: Vec<String>,
    pub not_data_actions: Vec<String>,
}

impl PermissionBlock {
    /// From the JSON shape both APIs share; absent lists are empty.
    pub fn from_json(value: &Value) -> PermissionBlock {
        let list = |name: &str| -> Vec<String> {
            value[name]
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        PermissionBlock {
            actions: list("actions"),
            not_actions: list("notActions"),
            data_actions: list("dataActions"),
            not_data_actions: list("notDataActions"),
        }
    }
}

/// The operations of `wanted` that no block of `held` allows, control-plane then data-plane.
pub fn missing_operations(held: &[PermissionBlock], wanted: &[PermissionBlock]) -> Vec<String> {
    let mut missing = Vec::new();
    for block in wanted {
        for action in &block.actions {
            let allowed = held
                .iter()
                .any(|have| covered(&have.actions, action) && !covered(&have.not_actions, action));
            if !allowed && !missing.contains(action) {
                missing.push(action.clone());
            }
        }
        for action in &block.data_actions {
            let allowed = held.iter().any(|have| {
                covered(&have.data_actions, action) && !covered(&have.not_data_actions, action)
            });
            if !allowed && !missing.contains(action) {
                missing.push(action.clone());
            }
        }
    }
    missing
}

/// Whether one of `patterns` covers `operation` (itself possibly a pattern, taken literally),
/// case-insensitively as Azure compares operations.
fn covered(patterns: &[String], operation: &str) -> bool {
    patterns.iter().any(|pattern| {
        wildcard_match(
            &pattern.to_ascii_lowercase(),
            &operation.to_ascii_lowercase(),
        )
    })
}

/// `*` in `pattern` matches any run of characters, including `/`.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The caller's permissions at `scope` (a resource group or a resource), as `arm`'s credential.
pub async fn caller_permissions(
    arm: &ArmClient,
    scope: &str,
) -> Result<Vec<PermissionBlock>, AzureError> {
    let operation = format!("reading the permissions at {scope}");
    let path = format!(
        "{}/providers/Microsoft.Authorization/permissions",
        scope.trim_end_matches('/')
    );
    let blocks = arm
        .list(&operation, &path, AUTHORIZATION_API_VERSION, None)
        .await?;
    Ok(blocks.iter().map(PermissionBlock::from_json).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn block(actions: &[&str], data_actions: &[&str]) -> PermissionBlock {
        PermissionBlock::from_json(&json!({ "actions": actions, "dataActions": data_actions }))
    }

    #[test]
    fn wildcards_cover_operations_and_narrower_patterns() {
        assert!(wildcard_match(
            "*",
            "microsoft.storage/storageaccounts/read"
        ));
        assert!(wildcard_match(
            "*/read",
            "microsoft.storage/storageaccounts/read"
        ));
        assert!(!wildcard_match(
            "*/read",
            "microsoft.storage/storageaccounts/write"
        ));
        assert!(wildcard_match(
            "microsoft.storage/*",
            "microsoft.storage/storageaccounts/blobservices/containers/*"
        ));
        assert!(wildcard_match("a*b*c", "axxbyyc"));
        assert!(!wildcard_match("a*b*c", "axxc"));
        assert!(!wildcard_match("ab*ba", "aba"), "the ends may not overlap");
    }

    proptest::proptest! {
        /// An operation with any runs of it starred out still matches; without a star, a
        /// pattern matches only itself.
        #[test]
        fn starring_out_parts_of_an_operation_still_matches_it(
            operation in "[a-z/.]{0,40}",
            cuts in proptest::collection::vec((0usize..40, 0usize..10), 0..4),
            other in "[a-z/.]{0,40}",
        ) {
            let mut pattern = operation.clone();
            for (start, length) in cuts {
                let start = start.min(pattern.len());
                let end = (start + length).min(pattern.len());
                pattern.replace_range(start..end, "*");
            }
            proptest::prop_assert!(wildcard_match(&pattern, &operation), "{pattern} ~ {operation}");
            proptest::prop_assert_eq!(wildcard_match(&operation, &other), operation == other);
        }
    }

    #[test]
    fn a_role_is_in_effect_when_every_operation_is_allowed_and_not_excluded() {
        let reader = block(
            &["Microsoft.Storage/storageAccounts/blobServices/containers/read"],
            &["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
        );
        let owner = block(&["*"], &[]);
        assert_eq!(
            missing_operations(std::slice::from_ref(&owner), std::slice::from_ref(&reader)),
            ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
            "Owner has no data actions"
        );
        assert!(
            missing_operations(&[owner, reader.clone()], std::slice::from_ref(&reader)).is_empty()
        );
        let excluded = PermissionBlock {
            not_data_actions: vec!["Microsoft.Storage/*/blobs/read".into()],
            ..block(&["*"], &["*"])
        };
        assert_eq!(missing_operations(&[excluded], &[reader]).len(), 1);
    }
}
