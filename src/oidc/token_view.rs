//! A decoded token as people read it: header and claims, times as dates with "expires in".
//! The signature is never shown; there is no way to get it from here.

use std::fmt::Write;
use std::time::{Duration, SystemTime};

use anstyle::Style;
use serde_json::{Map, Value};

use super::jwt::{DateClaim, Jwt, rfc3339};

const LABEL: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();

/// The header and claims of `jwt`, with `exp`, `nbf` and `iat` shown relative to `now`.
pub fn render(jwt: &Jwt, now: SystemTime) -> String {
    let mut out = String::new();
    section(&mut out, "header", jwt.header().members(), None, now);
    section(&mut out, "claims", jwt.claims(), Some(jwt), now);
    let _ = writeln!(
        out,
        "{DIM}signature: not shown (kwif never prints token signatures){DIM:#}"
    );
    out
}

fn section(
    out: &mut String,
    title: &str,
    members: &Map<String, Value>,
    claims_of: Option<&Jwt>,
    now: SystemTime,
) {
    let _ = writeln!(out, "{LABEL}{title}{LABEL:#}");
    let width = members
        .keys()
        .map(|key| escape_controls(key).chars().count())
        .max()
        .unwrap_or(0);
    for (name, value) in members {
        // Claims are outside data: a control character (an escape sequence, a line break) is
        // shown escaped, never sent to the terminal.
        let shown = match value {
            Value::String(text) => escape_controls(text),
            other => escape_controls(&other.to_string()),
        };

        let when = claims_of
            .and_then(|jwt| time_claim(jwt, name))
            .map(|claim| format!("  {DIM}{}{DIM:#}", describe_claim(name, claim, now)));
        let label = escape_controls(name);
        let _ = writeln!(
            out,
            "  {label:<width$}  {shown}{}",
            when.unwrap_or_default()
        );
    }
}

/// The time claims shown as dates; only members of the claims, not of the header.
fn time_claim(jwt: &Jwt, name: &str) -> Option<DateClaim> {
    match name {
        "exp" | "nbf" | "iat" => jwt.date_claim(name),
        _ => None,
    }
}

fn describe_claim(name: &str, claim: DateClaim, now: SystemTime) -> String {
    match (claim, claim.problem()) {
        (DateClaim::Date(time), _) => describe_time(name, time, now),
        (_, Some(problem)) => format!("(not a date: {name} {problem})"),
        (_, None) => String::new(),
    }
}

fn describe_time(name: &str, time: SystemTime, now: SystemTime) -> String {
    let date = rfc3339(time);
    let relative = match time.duration_since(now) {
        Ok(ahead) if name == "exp" => format!("expires in {}", whole(ahead)),
        Ok(ahead) => format!("in {}", whole(ahead)),
        Err(behind) if name == "exp" => format!("EXPIRED {} ago", whole(behind.duration())),
        Err(behind) => format!("{} ago", whole(behind.duration())),
    };
    format!("{date} ({relative})")
}

fn escape_controls(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_debug().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

fn whole(duration: Duration) -> String {
    humantime::format_duration(Duration::from_secs(duration.as_secs())).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn token(claims: &str, signature: &str) -> String {
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"abc"}"#);
        format!("{header}.{}.{signature}", URL_SAFE_NO_PAD.encode(claims))
    }

    #[test]
    fn times_are_dates_with_expires_in_and_the_signature_is_not_shown() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let text = token(
            r#"{"iss":"https://oidc.example.com","aud":["api://AzureADTokenExchange"],"exp":1800003600,"iat":1799999940}"#,
            "c2lnbmF0dXJlLWJ5dGVz",
        );
        let shown =
            anstream::adapter::strip_str(&render(&Jwt::parse(&text).unwrap(), now)).to_string();
        assert!(shown.contains("alg  RS256"), "{shown}");
        assert!(shown.contains("iss  https://oidc.example.com"));
        assert!(shown.contains(r#"aud  ["api://AzureADTokenExchange"]"#));
        assert!(
            shown.contains("exp  1800003600  2027-01-15T09:00:00Z (expires in 1h)"),
            "{shown}"
        );
        assert!(
            shown.contains("iat  1799999940  2027-01-15T07:59:00Z (1m ago)"),
            "{shown}"
        );
        assert!(!shown.contains("c2lnbmF0dXJlLWJ5dGVz"));
        assert!(shown.contains("signature: not shown"));
    }

    #[test]
    fn an_expired_token_says_so() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let text = token(r#"{"exp":1799999000}"#, "AA");
        let shown =
            anstream::adapter::strip_str(&render(&Jwt::parse(&text).unwrap(), now)).to_string();
        assert!(shown.contains("EXPIRED 16m 40s ago"), "{shown}");
    }

    /// A JSON value a hostile or broken token may carry as a time claim.
    fn any_claim_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        prop_oneof![
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            (-1e20f64..1e20).prop_map(Value::from),
            Just(Value::from(-1)),
            Just(Value::from(253_402_300_799_u64)),
            Just(Value::from(253_402_300_800_u64)),
            Just(Value::from(-0.5)),
            ".{0,12}".prop_map(Value::from),
            Just(Value::Null),
            Just(serde_json::json!([1, 2])),
        ]
    }

    #[test]
    fn times_outside_1970_to_9999_are_a_line_not_a_crash() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        for (exp, reason) in [
            ("-1", "exp is before 1970-01-01"),
            ("253402300800", "exp is after the year 9999"),
            ("1e300", "exp is after the year 9999"),
            ("\"soon\"", "exp is not a number of seconds since 1970"),
        ] {
            let text = token(&format!(r#"{{"exp":{exp},"nbf":-5}}"#), "AA");
            let shown =
                anstream::adapter::strip_str(&render(&Jwt::parse(&text).unwrap(), now)).to_string();
            assert!(shown.contains(&format!("(not a date: {reason}")), "{shown}");
            assert!(
                shown.contains("(not a date: nbf is before 1970-01-01"),
                "{shown}"
            );
        }
        let text = token(r#"{"exp":253402300799}"#, "AA");
        let shown = render(&Jwt::parse(&text).unwrap(), now);
        assert!(shown.contains("9999-12-31T23:59:59Z"), "{shown}");
    }

    #[test]
    fn control_characters_in_claims_are_escaped() {
        let now = SystemTime::UNIX_EPOCH;
        let text = token(r#"{"iss":"https://x\u001b[2J\nfake: line"}"#, "AA");
        let shown = render(&Jwt::parse(&text).unwrap(), now);
        assert!(!shown.contains("\u{1b}[2J"), "{shown:?}");
        assert!(
            shown.contains(r"https://x\u{1b}[2J\nfake: line"),
            "{shown:?}"
        );
    }

    proptest::proptest! {
        /// Claims are outside data: no time claim, however odd, may panic the view.
        #[test]
        fn any_time_claims_render_without_panicking(
            exp in any_claim_value(),
            nbf in any_claim_value(),
            iat in any_claim_value(),
            now_seconds in proptest::num::u64::ANY,
        ) {
            let claims = serde_json::json!({ "exp": exp, "nbf": nbf, "iat": iat });
            let text = token(&claims.to_string(), "AA");
            let now = SystemTime::UNIX_EPOCH
                .checked_add(Duration::from_secs(now_seconds))
                .unwrap_or(SystemTime::UNIX_EPOCH);
            let shown = render(&Jwt::parse(&text).unwrap(), now);
            proptest::prop_assert!(shown.contains("exp") && shown.contains("signature: not shown"));
        }
    }
}
