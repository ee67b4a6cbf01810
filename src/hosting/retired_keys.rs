//! When each published key stopped being one of the cluster's, and which stale keys may leave the
//! JWKS now. The record is kept by each publisher beside the documents, never inside the JWKS
//! (Entra ID reads that); nothing here reads or writes anywhere.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::documents::{keys_to_publish, kid_of};

/// Clocks differ between the API server that signs, Entra ID that verifies and the machine kwif
/// runs on: a stale key stays this much longer than the longest token lifetime.
pub const CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);

/// `kid` → the time kwif first published a JWKS in which that key was no longer one of the
/// cluster's keys. That time is never earlier than the real retirement, so waiting from it is safe.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RetiredKeys(BTreeMap<String, SystemTime>);

impl RetiredKeys {
    /// The record as stored: a JSON object of `kid` → RFC 3339 time. Anything unreadable counts
    /// as not recorded, so kwif records it again from now: later than the truth, never earlier.
    pub fn parse(text: &str) -> RetiredKeys {
        let Ok(Value::Object(entries)) = serde_json::from_str::<Value>(text) else {
            return RetiredKeys::default();
        };
        RetiredKeys(
            entries
                .iter()
                .filter_map(|(kid, at)| {
                    let at = humantime::parse_rfc3339(at.as_str()?).ok()?;
                    Some((kid.clone(), at))
                })
                .collect(),
        )
    }

    /// The record as stored, compact; `{}` when empty.
    pub fn to_json(&self) -> String {
        let entries: serde_json::Map<String, Value> = self
            .0
            .iter()
            .map(|(kid, at)| (kid.clone(), Value::String(rfc3339(*at))))
            .collect();
        Value::Object(entries).to_string()
    }

    /// The record as shown in a diff: one `kid: time` line per key.
    pub fn shown(&self) -> String {
        self.0
            .iter()
            .map(|(kid, at)| format!("{kid}: {}\n", rfc3339(*at)))
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn retired_at(&self, kid: &str) -> Option<SystemTime> {
        self.0.get(kid).copied()
    }

    pub fn with(mut self, kid: impl Into<String>, at: SystemTime) -> RetiredKeys {
        self.0.insert(kid.into(), whole_seconds_up(at));
        self
    }
}

/// What happens to one published key the cluster no longer has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StaleKey {
    /// Tokens it signed may still be valid: it stays published until `until`.
    Kept { kid: String, until: SystemTime },
    /// Every token it signed has expired: it leaves the JWKS.
    Pruned { kid: String },
}

/// The keys to publish, the retirement record to store with them, and each stale key's fate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPlan {
    pub keys: Vec<Value>,
    pub retired: RetiredKeys,
    pub stale: Vec<StaleKey>,
}

impl KeyPlan {
    /// The union of the cluster's keys and the published ones, less the stale keys retired longer
    /// than `window` ago (the longest token lifetime plus [`CLOCK_SKEW`]). A stale key without a
    /// record is recorded as retired `now`; a key back in the cluster loses its record.
    pub fn new(
        cluster: &[Value],
        published: &[Value],
        recorded: &RetiredKeys,
        now: SystemTime,
        window: Duration,
    ) -> KeyPlan {
        let in_cluster = |kid: &str| cluster.iter().any(|key| kid_of(key) == Some(kid));
        let mut retired = RetiredKeys::default();
        let mut stale = Vec::new();
        for kid in published.iter().filter_map(kid_of) {
            if in_cluster(kid) || retired.retired_at(kid).is_some() {
                continue;
            }
            let at = recorded.retired_at(kid).unwrap_or(now);
            let until = at.checked_add(window).unwrap_or(at);
            if now >= until {
                stale.push(StaleKey::Pruned {
                    kid: kid.to_string(),
                });
            } else {
                retired = retired.with(kid, at);
                stale.push(StaleKey::Kept {
                    kid: kid.to_string(),
                    until: whole_seconds_up(until),
                });
            }
        }
        let pruned = |kid: &str| {
            stale
                .iter()
                .any(|fate| matches!(fate, StaleKey::Pruned { kid: gone } if gone == kid))
        };
        KeyPlan {
            keys: keys_to_publish(cluster, published, pruned),
            retired,
            stale,
        }
    }

    /// The fate of the stale key `kid`, if it is one.
    pub fn fate_of(&self, kid: &str) -> Option<&StaleKey> {
        self.stale.iter().find(|fate| match fate {
            StaleKey::Kept { kid: stale, .. } | StaleKey::Pruned { kid: stale } => stale == kid,
        })
    }
}

/// The one line that says how long the stale key `kid` stays published.
pub fn kept_until(kid: &str, until: SystemTime) -> String {
    format!(
        "old key {kid} is kept until {} (the longest token lifetime after it was retired, plus {} minutes for clock skew)",
        rfc3339(until),
        CLOCK_SKEW.as_secs() / 60
    )
}

/// `2027-01-15T09:00:00Z`.
pub fn rfc3339(time: SystemTime) -> String {
    crate::oidc::jwt::rfc3339(time)
}

/// Rounded up to a whole second, as stored: a stored time is never earlier than the real one.
fn whole_seconds_up(time: SystemTime) -> SystemTime {
    match time.duration_since(UNIX_EPOCH) {
        Ok(since) if since.subsec_nanos() > 0 => {
            UNIX_EPOCH + Duration::from_secs(since.as_secs().saturating_add(1))
        }
        _ => time,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(kid: &str) -> Value {
        json!({"kty":"RSA","kid":kid,"n":"AQAB","e":"AQAB"})
    }

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000 + seconds)
    }

    fn kids(plan: &KeyPlan) -> Vec<&str> {
        plan.keys.iter().filter_map(kid_of).collect()
    }

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn a_stale_key_without_a_record_is_kept_and_recorded_as_retired_now() {
        let plan = KeyPlan::new(
            &[key("new")],
            &[key("old")],
            &RetiredKeys::default(),
            at(0),
            HOUR,
        );
        assert_eq!(kids(&plan), ["old", "new"]);
        assert_eq!(plan.retired, RetiredKeys::default().with("old", at(0)));
        assert_eq!(
            plan.stale,
            [StaleKey::Kept {
                kid: "old".into(),
                until: at(3600)
            }]
        );
    }

    #[test]
    fn a_stale_key_is_pruned_only_once_the_window_after_its_record_has_passed() {
        let recorded = RetiredKeys::default().with("old", at(0));
        let before = KeyPlan::new(&[key("new")], &[key("old")], &recorded, at(3599), HOUR);
        assert_eq!(kids(&before), ["old", "new"]);
        assert_eq!(before.retired, recorded);
        let after = KeyPlan::new(&[key("new")], &[key("old")], &recorded, at(3600), HOUR);
        assert_eq!(kids(&after), ["new"]);
        assert!(after.retired.is_empty());
        assert_eq!(
            after.fate_of("old"),
            Some(&StaleKey::Pruned { kid: "old".into() })
        );
    }

    #[test]
    fn a_key_back_in_the_cluster_loses_its_record_and_is_never_pruned() {
        let recorded = RetiredKeys::default().with("old", at(0));
        let plan = KeyPlan::new(&[key("old")], &[key("old")], &recorded, at(99_999), HOUR);
        assert_eq!(kids(&plan), ["old"]);
        assert!(plan.retired.is_empty());
        assert!(plan.stale.is_empty());
    }

    #[test]
    fn the_record_round_trips_and_unreadable_entries_count_as_unrecorded() {
        let record = RetiredKeys::default()
            .with("a", at(0))
            .with("b", at(1) + Duration::from_millis(1));
        assert_eq!(
            record.to_json(),
            r#"{"a":"2023-11-14T22:13:20Z","b":"2023-11-14T22:13:22Z"}"#
        );
        assert_eq!(RetiredKeys::parse(&record.to_json()), record);
        assert_eq!(
            RetiredKeys::parse(r#"{"a":"yesterday","b":"2023-11-14T22:13:22Z"}"#),
            RetiredKeys::default().with("b", at(2))
        );
        assert!(RetiredKeys::parse("not json").is_empty());
    }
}
