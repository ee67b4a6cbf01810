//! Protobuf request bodies (`application/vnd.kubernetes.protobuf`), which kubectl's typed
//! `create` commands send: the `k8s\0` envelope around a runtime.Unknown, and the messages of
//! the kinds those commands make (field numbers from k8s.io/api `generated.proto`), turned into
//! the JSON object the rest of the server handles. Other kinds are a 415, as for any media type
//! a server does not decode.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use super::status::ApiError;

/// The four bytes before every protobuf-encoded object (runtime/serializer/protobuf).
const MAGIC: &[u8] = b"k8s\0";

/// How a field's value is written in protobuf and shown in JSON.
#[derive(Clone, Copy)]
enum Shape {
    /// A string; empty ones are left out, as Go's `omitempty` leaves them out of JSON.
    Text,
    /// An int64 left out when zero (a plain Go integer).
    Integer,
    /// An int64 kept even when zero (a Go pointer, set only when given).
    OptionalInteger,
    /// A bool behind a Go pointer: present means given.
    Boolean,
    /// `meta.v1.Time` {seconds = 1, nanos = 2}; the zero time is left out.
    Time,
    Message(&'static [Field]),
    /// `map<string, string>`: entries {key = 1, value = 2}.
    StringMap,
    /// `map<string, bytes>`, shown base64-encoded.
    BytesMap,
}

/// Field number, JSON name, shape, repeated.
struct Field(u64, &'static str, Shape, bool);

use Shape::{Boolean, BytesMap, Integer, Message, OptionalInteger, StringMap, Text, Time};

const OWNER_REFERENCE: &[Field] = &[
    Field(1, "kind", Text, false),
    Field(3, "name", Text, false),
    Field(4, "uid", Text, false),
    Field(5, "apiVersion", Text, false),
    Field(6, "controller", Boolean, false),
    Field(7, "blockOwnerDeletion", Boolean, false),
];

const OBJECT_META: &[Field] = &[
    Field(1, "name", Text, false),
    Field(2, "generateName", Text, false),
    Field(3, "namespace", Text, false),
    Field(5, "uid", Text, false),
    Field(6, "resourceVersion", Text, false),
    Field(7, "generation", Integer, false),
    Field(8, "creationTimestamp", Time, false),
    Field(11, "labels", StringMap, false),
    Field(12, "annotations", StringMap, false),
    Field(13, "ownerReferences", Message(OWNER_REFERENCE), true),
    Field(14, "finalizers", Text, true),
];

const NAMESPACE: &[Field] = &[
    Field(1, "metadata", Message(OBJECT_META), false),
    Field(
        2,
        "spec",
        Message(&[Field(1, "finalizers", Text, true)]),
        false,
    ),
];

const OBJECT_REFERENCE: &[Field] = &[
    Field(1, "kind", Text, false),
    Field(2, "namespace", Text, false),
    Field(3, "name", Text, false),
    Field(4, "uid", Text, false),
    Field(5, "apiVersion", Text, false),
];

const SERVICE_ACCOUNT: &[Field] = &[
    Field(1, "metadata", Message(OBJECT_META), false),
    Field(2, "secrets", Message(OBJECT_REFERENCE), true),
    Field(
        3,
        "imagePullSecrets",
        Message(&[Field(1, "name", Text, false)]),
        true,
    ),
    Field(4, "automountServiceAccountToken", Boolean, false),
];

const CONFIG_MAP: &[Field] = &[
    Field(1, "metadata", Message(OBJECT_META), false),
    Field(2, "data", StringMap, false),
    Field(3, "binaryData", BytesMap, false),
    Field(4, "immutable", Boolean, false),
];

const SECRET: &[Field] = &[
    Field(1, "metadata", Message(OBJECT_META), false),
    Field(2, "data", BytesMap, false),
    Field(3, "type", Text, false),
    Field(4, "stringData", StringMap, false),
    Field(5, "immutable", Boolean, false),
];

const SUBJECT: &[Field] = &[
    Field(1, "kind", Text, false),
    Field(2, "apiGroup", Text, false),
    Field(3, "name", Text, false),
    Field(4, "namespace", Text, false),
];

const ROLE_REF: &[Field] = &[
    Field(1, "apiGroup", Text, false),
    Field(2, "kind", Text, false),
    Field(3, "name", Text, false),
];

const ROLE_BINDING: &[Field] = &[
    Field(1, "metadata", Message(OBJECT_META), false),
    Field(2, "subjects", Message(SUBJECT), true),
    Field(3, "roleRef", Message(ROLE_REF), false),
];

const BOUND_OBJECT_REFERENCE: &[Field] = &[
    Field(1, "kind", Text, false),
    Field(2, "apiVersion", Text, false),
    Field(3, "name", Text, false),
    Field(4, "uid", Text, false),
];

const TOKEN_REQUEST: &[Field] = &[
    Field(1, "metadata", Message(OBJECT_META), false),
    Field(
        2,
        "spec",
        Message(&[
            Field(1, "audiences", Text, true),
            Field(3, "boundObjectRef", Message(BOUND_OBJECT_REFERENCE), false),
            Field(4, "expirationSeconds", OptionalInteger, false),
        ]),
        false,
    ),
];

/// The message of an object of `api_version` and `kind`, for the kinds decoded here.
fn schema(api_version: &str, kind: &str) -> Option<&'static [Field]> {
    match (api_version, kind) {
        ("v1", "Namespace") => Some(NAMESPACE),
        ("v1", "ServiceAccount") => Some(SERVICE_ACCOUNT),
        ("v1", "ConfigMap") => Some(CONFIG_MAP),
        ("v1", "Secret") => Some(SECRET),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding" | "RoleBinding") => {
            Some(ROLE_BINDING)
        }
        ("authentication.k8s.io/v1", "TokenRequest") => Some(TOKEN_REQUEST),
        _ => None,
    }
}

/// The JSON object a protobuf body encodes; 415 for kinds not decoded here, 400 for a body
/// that is not protobuf at all.
pub fn to_json(body: &[u8]) -> Result<Value, ApiError> {
    let malformed = || ApiError::bad_request("the protobuf body could not be decoded");
    let unknown = body.strip_prefix(MAGIC).ok_or_else(malformed)?;
    let mut type_meta = (String::new(), String::new());
    let mut raw: &[u8] = &[];
    for (number, value) in fields(unknown).ok_or_else(malformed)? {
        match (number, value) {
            (1, Wire::Bytes(bytes)) => {
                for (number, value) in fields(bytes).ok_or_else(malformed)? {
                    match (number, value) {
                        (1, Wire::Bytes(text)) => type_meta.0 = utf8(text)?,
                        (2, Wire::Bytes(text)) => type_meta.1 = utf8(text)?,
                        _ => {}
                    }
                }
            }
            (2, Wire::Bytes(bytes)) => raw = bytes,
            _ => {}
        }
    }
    let (api_version, kind) = type_meta;
    let fields = schema(&api_version, &kind).ok_or_else(ApiError::unsupported_media_type)?;
    let mut object = message(raw, fields)?;
    object.insert("apiVersion".into(), json!(api_version));
    object.insert("kind".into(), json!(kind));
    Ok(Value::Object(object))
}

/// One field's value on the wire.
enum Wire<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

fn varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Every field of a message, in order; `None` when the bytes are not a message.
fn fields(bytes: &[u8]) -> Option<Vec<(u64, Wire<'_>)>> {
    let mut at = 0;
    let mut fields = Vec::new();
    while at < bytes.len() {
        let key = varint(bytes, &mut at)?;
        let value = match key & 7 {
            0 => Wire::Varint(varint(bytes, &mut at)?),
            1 => {
                at = at.checked_add(8).filter(|end| *end <= bytes.len())?;
                Wire::Fixed
            }
            2 => {
                let length = usize::try_from(varint(bytes, &mut at)?).ok()?;
                let end = at.checked_add(length).filter(|end| *end <= bytes.len())?;
                let value = &bytes[at..end];
                at = end;
                Wire::Bytes(value)
            }
            5 => {
                at = at.checked_add(4).filter(|end| *end <= bytes.len())?;
                Wire::Fixed
            }
            _ => return None,
        };
        fields.push((key >> 3, value));
    }
    Some(fields)
}

fn utf8(bytes: &[u8]) -> Result<String, ApiError> {
    String::from_utf8(bytes.to_vec())
        .map_err(|_| ApiError::bad_request("a protobuf string is not UTF-8"))
}

/// A message as a JSON object, by its field table; fields not in the table are skipped.
fn message(bytes: &[u8], table: &[Field]) -> Result<Map<String, Value>, ApiError> {
    let malformed = || ApiError::bad_request("the protobuf body could not be decoded");
    let mut object = Map::new();
    for (number, wire) in fields(bytes).ok_or_else(malformed)? {
        let Some(Field(_, name, shape, repeated)) = table.iter().find(|field| field.0 == number)
        else {
            continue;
        };
        let Some(value) = value(*shape, &wire, &mut object, name)? else {
            continue;
        };
        match repeated {
            true => {
                let list = object.entry(*name).or_insert_with(|| json!([]));
                if let Some(list) = list.as_array_mut() {
                    list.push(value);
                }
            }
            false => {
                object.insert(name.to_string(), value);
            }
        }
    }
    Ok(object)
}

/// One value; maps are filled into `object` in place (their entries come one field at a time).
fn value(
    shape: Shape,
    wire: &Wire<'_>,
    object: &mut Map<String, Value>,
    name: &str,
) -> Result<Option<Value>, ApiError> {
    let wrong = || ApiError::bad_request(format!("the protobuf field {name} has the wrong type"));
    Ok(match (shape, wire) {
        (Text, Wire::Bytes(bytes)) => Some(json!(utf8(bytes)?)).filter(|text| text != ""),
        (Integer, Wire::Varint(number)) => Some(json!(*number as i64)).filter(|n| n != 0),
        (OptionalInteger, Wire::Varint(number)) => Some(json!(*number as i64)),
        (Boolean, Wire::Varint(number)) => Some(json!(*number != 0)),
        (Time, Wire::Bytes(bytes)) => time(bytes)?,
        (Message(table), Wire::Bytes(bytes)) => Some(Value::Object(message(bytes, table)?)),
        (StringMap | BytesMap, Wire::Bytes(bytes)) => {
            let (key, entry) = map_entry(bytes, matches!(shape, BytesMap))?;
            let map = object.entry(name).or_insert_with(|| json!({}));
            if let Some(map) = map.as_object_mut() {
                map.insert(key, entry);
            }
            None
        }
        _ => return Err(wrong()),
    })
}

fn map_entry(bytes: &[u8], binary: bool) -> Result<(String, Value), ApiError> {
    let malformed = || ApiError::bad_request("a protobuf map entry could not be decoded");
    let mut key = String::new();
    let mut value = json!("");
    for (number, wire) in fields(bytes).ok_or_else(malformed)? {
        match (number, wire) {
            (1, Wire::Bytes(text)) => key = utf8(text)?,
            (2, Wire::Bytes(data)) if binary => value = json!(STANDARD.encode(data)),
            (2, Wire::Bytes(text)) => value = json!(utf8(text)?),
            _ => return Err(malformed()),
        }
    }
    Ok((key, value))
}

/// `meta.v1.Time` as RFC 3339 seconds; the zero time (Go's unset) is no value.
fn time(bytes: &[u8]) -> Result<Option<Value>, ApiError> {
    let malformed = || ApiError::bad_request("a protobuf time could not be decoded");
    let mut seconds = 0u64;
    for (number, wire) in fields(bytes).ok_or_else(malformed)? {
        if let (1, Wire::Varint(value)) = (number, wire) {
            seconds = value;
        }
    }
    if seconds == 0 {
        return Ok(None);
    }
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds);
    Ok(Some(json!(
        humantime::format_rfc3339_seconds(at).to_string()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A length-delimited field.
    fn bytes_field(number: u8, value: &[u8]) -> Vec<u8> {
        let mut out = vec![(number << 3) | 2, u8::try_from(value.len()).unwrap()];
        out.extend_from_slice(value);
        out
    }

    fn envelope(api_version: &str, kind: &str, raw: &[u8]) -> Vec<u8> {
        let mut type_meta = bytes_field(1, api_version.as_bytes());
        type_meta.extend(bytes_field(2, kind.as_bytes()));
        let mut body = MAGIC.to_vec();
        body.extend(bytes_field(1, &type_meta));
        body.extend(bytes_field(2, raw));
        body
    }

    #[test]
    fn a_config_map_decodes_with_its_metadata_and_data() {
        let mut metadata = bytes_field(1, b"settings");
        metadata.extend(bytes_field(3, b"application1"));
        metadata.extend(bytes_field(8, &[])); // the zero time Go always writes
        let mut entry = bytes_field(1, b"level");
        entry.extend(bytes_field(2, b"1"));
        let mut raw = bytes_field(1, &metadata);
        raw.extend(bytes_field(2, &entry));
        let object = to_json(&envelope("v1", "ConfigMap", &raw)).unwrap();
        assert_eq!(
            object,
            json!({"metadata": {"name": "settings", "namespace": "application1"}, "data": {"level": "1"},
                   "apiVersion": "v1", "kind": "ConfigMap"})
        );
    }

    #[test]
    fn token_requests_keep_a_zero_free_expiration_and_repeated_audiences() {
        let mut spec = bytes_field(1, b"api://AzureADTokenExchange");
        spec.extend(bytes_field(1, b"other"));
        spec.extend([4 << 3, 0x90, 0x1c]); // expirationSeconds 3600
        let raw = bytes_field(2, &spec);
        let object = to_json(&envelope("authentication.k8s.io/v1", "TokenRequest", &raw)).unwrap();
        assert_eq!(
            object["spec"],
            json!({"audiences": ["api://AzureADTokenExchange", "other"], "expirationSeconds": 3600})
        );
    }

    #[test]
    fn other_kinds_are_unsupported_and_garbage_is_a_bad_request() {
        let deployment = to_json(&envelope("apps/v1", "Deployment", &[])).unwrap_err();
        assert_eq!(deployment.code, 415);
        assert_eq!(to_json(b"{}").unwrap_err().code, 400);
        assert_eq!(to_json(b"k8s\0\xff").unwrap_err().code, 400);
    }
}
