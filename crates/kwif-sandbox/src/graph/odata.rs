//! The OData parts of Graph URLs the stand-in reads: path segments (percent-decoded), alternate
//! keys such as `applications(appId='…')`, and `$filter` clauses of the form `property eq 'value'`.

use super::graph_error::GraphError;

/// Percent-decodes one path segment (an invalid escape is kept as it is).
pub fn decode_segment(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = bytes
            .get(index + 1..index + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (bytes[index], hex) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                index += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// `name(key='value')` as `(name, Some((key, value)))`; a plain segment as `(segment, None)`.
/// A quote inside the value is written twice (OData string literals).
pub fn key_segment(segment: &str) -> (&str, Option<(String, String)>) {
    let Some((name, rest)) = segment.split_once('(') else {
        return (segment, None);
    };
    let Some(inner) = rest.strip_suffix(')') else {
        return (segment, None);
    };
    match inner.split_once('=') {
        Some((key, literal)) => match string_literal(literal.trim()) {
            Some(value) => (name, Some((key.trim().to_string(), value))),
            None => (segment, None),
        },
        None => (segment, None),
    }
}

/// `'it''s'` → `it's`.
fn string_literal(text: &str) -> Option<String> {
    let inner = text.strip_prefix('\'')?.strip_suffix('\'')?;
    Some(inner.replace("''", "'"))
}

/// One `$filter` clause: `property eq 'value'`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Equals {
    pub property: String,
    pub value: String,
}

/// The clause of `filter`, refused unless its property is one of `supported` (compared as
/// Graph does, ignoring case) on `resource`.
pub fn equals_filter(
    filter: &str,
    supported: &[&str],
    resource: &str,
) -> Result<Equals, GraphError> {
    let invalid = || {
        GraphError::new(
            400,
            "BadRequest",
            format!("Invalid filter clause: {filter}"),
        )
    };
    let (property, rest) = filter.trim().split_once(' ').ok_or_else(invalid)?;
    let (operator, literal) = rest.trim_start().split_once(' ').ok_or_else(invalid)?;
    if !operator.eq_ignore_ascii_case("eq") {
        return Err(GraphError::unsupported_filter(property, resource));
    }
    let value = string_literal(literal.trim()).ok_or_else(invalid)?;
    let property = supported
        .iter()
        .find(|known| known.eq_ignore_ascii_case(property))
        .ok_or_else(|| GraphError::unsupported_filter(property, resource))?;
    Ok(Equals {
        property: property.to_string(),
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternate_keys_and_literals_are_read() {
        assert_eq!(
            key_segment("applications(appId='a-1')"),
            (
                "applications",
                Some(("appId".to_string(), "a-1".to_string()))
            )
        );
        assert_eq!(
            key_segment("federatedIdentityCredentials(name='it''s')"),
            (
                "federatedIdentityCredentials",
                Some(("name".to_string(), "it's".to_string()))
            )
        );
        assert_eq!(key_segment("applications"), ("applications", None));
        assert_eq!(
            decode_segment("applications(appId=%27a%27)"),
            "applications(appId='a')"
        );
    }

    #[test]
    fn filters_name_a_supported_property_and_a_string() {
        let clause = equals_filter(
            "displayName eq 'id-web'",
            &["appId", "displayName"],
            "Application",
        )
        .unwrap();
        assert_eq!(clause.property, "displayName");
        assert_eq!(clause.value, "id-web");
        assert_eq!(
            equals_filter("notes eq 'x'", &["appId"], "Application")
                .unwrap_err()
                .code,
            "Request_UnsupportedQuery"
        );
        assert_eq!(
            equals_filter("displayName eq id-web", &["displayName"], "Application")
                .unwrap_err()
                .code,
            "BadRequest"
        );
    }
}
