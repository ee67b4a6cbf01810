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

/// The operations of `wanted` (a role's blocks) that `held` (the caller's blocks at a scope)
/// does not allow, control-plane then data-plane. The Permissions API returns each assigned
/// role's blocks as defined, so a held block equal to a wanted one allows all of it; otherwise
/// each operation must be allowed by one held block and excluded by none of its `not*` lists.
/// A wanted pattern (`Microsoft.Storage/*`) counts as allowed only when every exclusion of that
/// held block is one the role itself makes: an exclusion inside the pattern would take away
/// part of what the role grants.
pub fn missing_operations(held: &[PermissionBlock], wanted: &[PermissionBlock]) -> Vec<String> {
    let mut missing = Vec::new();
    for block in wanted {
        if held.iter().any(|have| have.same_as(block)) {
            continue;
        }
        let actions = block.actions.iter().filter(|action| {
            !held
                .iter()
                .any(|have| allows(&have.actions, &have.not_actions, &block.not_actions, action))
        });
        let data_actions = block.data_actions.iter().filter(|action| {
            !held.iter().any(|have| {
                allows(
                    &have.data_actions,
                    &have.not_data_actions,
                    &block.not_data_actions,
                    action,
                )
            })
        });
        for operation in actions.chain(data_actions) {
            if !missing.contains(operation) {
                missing.push(operation.clone());
            }
        }
    }
    missing
}

/// Whether a held block (`allowed`, `excluded`) allows `operation`, which the role grants
/// with its own `role_excluded` exclusions.
fn allows(
    allowed: &[String],
    excluded: &[String],
    role_excluded: &[String],
    operation: &str,
) -> bool {
    if !covered(allowed, operation) {
        return false;
    }
    if operation.contains('*') {
        excluded.iter().all(|exclusion| {
            !may_overlap(exclusion, operation) || covered(role_excluded, exclusion)
        })
    } else {
        !covered(excluded, operation)
    }
}

impl PermissionBlock {
    /// The same four lists, ignoring order and case.
    fn same_as(&self, other: &PermissionBlock) -> bool {
        let same = |a: &[String], b: &[String]| {
            let normal = |list: &[String]| {
                let mut list: Vec<String> =
                    list.iter().map(|item| item.to_ascii_lowercase()).collect();
                list.sort();
                list.dedup();
                list
            };
            normal(a) == normal(b)
        };
        same(&self.actions, &other.actions)
            && same(&self.not_actions, &other.not_actions)
            && same(&self.data_actions, &other.data_actions)
            && same(&self.not_data_actions, &other.not_data_actions)
    }
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

/// Whether some operation could match both patterns. Exact for a pattern without `*`; for two
/// patterns, their literal beginnings and ends must agree (a necessary condition, so a `false`
/// is certain and a `true` is cautious).
fn may_overlap(a: &str, b: &str) -> bool {
    let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
    match (a.contains('*'), b.contains('*')) {
        (false, _) => wildcard_match(&b, &a),
        (_, false) => wildcard_match(&a, &b),
        (true, true) => {
            let ends = |pattern: &str| {
                let start = pattern.split('*').next().unwrap_or_default().to_string();
                let end = pattern.rsplit('*').next().unwrap_or_default().to_string();
                (start, end)
            };
            let ((a_start, a_end), (b_start, b_end)) = (ends(&a), ends(&b));
            (a_start.starts_with(&b_start) || b_start.starts_with(&a_start))
                && (a_end.ends_with(&b_end) || b_end.ends_with(&a_end))
        }
    }
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

    #[test]
    fn a_narrower_role_does_not_pass_for_a_wider_one() {
        let owner = block(&["*"], &[]);
        let contributor = PermissionBlock {
            not_actions: vec![
                "Microsoft.Authorization/*/Delete".into(),
                "Microsoft.Authorization/*/Write".into(),
            ],
            ..block(&["*"], &[])
        };
        let access_admin = block(&["*/read", "Microsoft.Authorization/*"], &[]);
        assert_eq!(
            missing_operations(
                std::slice::from_ref(&contributor),
                std::slice::from_ref(&owner)
            ),
            ["*"],
            "Contributor cannot do all Owner can"
        );
        assert_eq!(
            missing_operations(std::slice::from_ref(&contributor), &[access_admin]),
            ["Microsoft.Authorization/*"],
            "reads are not excluded by Contributor, writing role assignments is"
        );
        assert!(may_overlap("*/read", "Microsoft.Storage/*/read"));
        assert!(!may_overlap("*/read", "Microsoft.Authorization/*/Delete"));
        assert!(!may_overlap("Microsoft.Storage/*", "Microsoft.Web/*"));
        assert!(
            missing_operations(
                std::slice::from_ref(&contributor),
                std::slice::from_ref(&contributor)
            )
            .is_empty(),
            "a role passes for itself"
        );
        assert!(missing_operations(&[owner], &[contributor]).is_empty());
    }
}
