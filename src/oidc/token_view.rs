//! A decoded token as people read it: header and claims, times as dates with "expires in".
//! The signature is never shown; there is no way to get it from here.

use std::fmt::Write;
use std::time::{Duration, SystemTime};

use anstyle::Style;
use serde_json::{Map, Value};

use super::jwt::Jwt;

const LABEL: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();

/// The header and claims of `jwt`, with `exp`, `nbf` and `iat` shown relative to `now`.
pub fn render(jwt: &Jwt, now: SystemTime) -> String {
    let mut out = String::new();
    section(&mut out, "header", jwt.header().members(), jwt, now);
    section(&mut out, "claims", jwt.claims(), jwt, now);
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
    jwt: &Jwt,
    now: SystemTime,
) {
    let _ = writeln!(out, "{LABEL}{title}{LABEL:#}");
    let width = members
        .keys()
        .map(|key| key.chars().count())
        .max()
        .unwrap_or(0);
    for (name, value) in members {
        let shown = match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        let when = time_claim(jwt, name)
            .map(|time| format!("  {DIM}{}{DIM:#}", describe_time(name, time, now)));
        let _ = writeln!(out, "  {name:<width$}  {shown}{}", when.unwrap_or_default());
    }
}

fn time_claim(jwt: &Jwt, name: &str) -> Option<SystemTime> {
    match name {
        "exp" => jwt.expires_at(),
        "nbf" => jwt.not_before(),
        "iat" => jwt.issued_at(),
        _ => None,
    }
}

fn describe_time(name: &str, time: SystemTime, now: SystemTime) -> String {
    let date = humantime::format_rfc3339_seconds(time);
    let relative = match time.duration_since(now) {
        Ok(ahead) if name == "exp" => format!("expires in {}", whole(ahead)),
        Ok(ahead) => format!("in {}", whole(ahead)),
        Err(behind) if name == "exp" => format!("EXPIRED {} ago", whole(behind.duration())),
        Err(behind) => format!("{} ago", whole(behind.duration())),
    };
    format!("{date} ({relative})")
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
}
