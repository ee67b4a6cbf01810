//! Azure Storage Shared Key authorization: signs a blob request with the account key
//! (learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key). The key is never
//! printed: its `Debug` shows nothing of it.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use url::Url;

pub use crate::azure::storage_key::{InvalidStorageKey, STORAGE_KEY_VARIABLE, StorageKey};

/// Signs requests for one account.
#[derive(Clone, Debug)]
pub struct SharedKey {
    account: String,
    key: StorageKey,
}

impl SharedKey {
    pub fn new(account: impl Into<String>, key: StorageKey) -> SharedKey {
        SharedKey {
            account: account.into(),
            key,
        }
    }

    /// The `Authorization` header value for a request; `headers` are every header sent (any
    /// case), `Content-Length` included when there is a body.
    pub fn authorization(&self, method: &str, url: &Url, headers: &[(&str, String)]) -> String {
        let text = string_to_sign(&self.account, method, url, headers);
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.key.bytes())
            .expect("HMAC takes keys of any length");
        mac.update(text.as_bytes());
        let signature = STANDARD.encode(mac.finalize().into_bytes());
        format!("SharedKey {}:{signature}", self.account)
    }
}

/// The standard headers signed, in the order the service puts them.
const SIGNED_HEADERS: [&str; 11] = [
    "content-encoding",
    "content-language",
    "content-length",
    "content-md5",
    "content-type",
    "date",
    "if-modified-since",
    "if-match",
    "if-none-match",
    "if-unmodified-since",
    "range",
];

/// The string the service signs for the Blob service, version 2015-02-21 and later.
pub fn string_to_sign(
    account: &str,
    method: &str,
    url: &Url,
    headers: &[(&str, String)],
) -> String {
    let value_of = |name: &str| {
        headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.trim().to_string())
            .unwrap_or_default()
    };
    let mut text = format!("{method}\n");
    for name in SIGNED_HEADERS {
        let value = value_of(name);
        // Since 2015-02-21 a zero Content-Length is signed as the empty string.
        let value = if name == "content-length" && value == "0" {
            String::new()
        } else {
            value
        };
        text.push_str(&value);
        text.push('\n');
    }
    let mut ms_headers: Vec<(String, String)> = headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_string()))
        .filter(|(name, _)| name.starts_with("x-ms-"))
        .collect();
    ms_headers.sort();
    for (name, value) in ms_headers {
        text.push_str(&format!("{name}:{value}\n"));
    }
    text.push_str(&canonicalized_resource(account, url));
    text
}

/// `/{account}{path}` then each query parameter, names lowercased and sorted, values decoded.
/// For the emulator (path-style URLs) the path itself starts with the account, so it appears twice.
fn canonicalized_resource(account: &str, url: &Url) -> String {
    let mut resource = format!("/{account}{}", url.path());
    let mut parameters: Vec<(String, Vec<String>)> = Vec::new();
    for (name, value) in url.query_pairs() {
        let name = name.to_ascii_lowercase();
        match parameters.iter_mut().find(|(known, _)| *known == name) {
            Some((_, values)) => values.push(value.into_owned()),
            None => parameters.push((name, vec![value.into_owned()])),
        }
    }
    parameters.sort();
    for (name, mut values) in parameters {
        values.sort();
        resource.push_str(&format!("\n{name}:{}", values.join(",")));
    }
    resource
}

/// An RFC 1123 date as HTTP and `x-ms-date` want it: `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn http_date(time: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let days = seconds / 86_400;
    let (year, month, day) = civil_from_days(days as i64);
    let in_day = seconds % 86_400;
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        in_day / 3600,
        in_day % 3600 / 60,
        in_day % 60
    )
}

/// Year, month (1–12) and day of a count of days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn dates_are_rfc_1123() {
        assert_eq!(
            http_date(UNIX_EPOCH + Duration::from_secs(784_111_777)),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        assert_eq!(http_date(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            http_date(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "Tue, 29 Feb 2000 00:00:00 GMT"
        );
    }

    #[test]
    fn the_string_to_sign_has_every_standard_header_line_then_x_ms_headers_then_the_resource() {
        let url =
            Url::parse("http://127.0.0.1:10000/devstoreaccount1/oidc?restype=container&COMP=acl")
                .unwrap();
        let headers = [
            ("x-ms-version", "2025-11-05".to_string()),
            ("Content-Length", "0".to_string()),
            ("x-ms-date", "Thu, 01 Jan 1970 00:00:00 GMT".to_string()),
            ("x-ms-blob-public-access", "blob".to_string()),
        ];
        let text = string_to_sign("devstoreaccount1", "PUT", &url, &headers);
        assert_eq!(
            text,
            "PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-blob-public-access:blob\nx-ms-date:Thu, 01 Jan 1970 00:00:00 GMT\n\
             x-ms-version:2025-11-05\n/devstoreaccount1/devstoreaccount1/oidc\ncomp:acl\nrestype:container"
        );
    }

    #[test]
    fn a_key_that_is_not_base64_is_refused_and_a_key_is_never_shown() {
        assert_eq!(
            StorageKey::parse("not base64!").unwrap_err(),
            InvalidStorageKey
        );
        let key = StorageKey::parse("c2VjcmV0").unwrap();
        assert_eq!(format!("{key:?}"), "StorageKey(hidden)");
    }
}
