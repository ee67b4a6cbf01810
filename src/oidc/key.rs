//! Service-account keys read the way kube-apiserver reads `--service-account-key-file`: every PEM
//! form, reduced to the public half, with the `kid` kube-apiserver derives and the JWK it publishes.
//! Private key material is dropped as soon as it is parsed; nothing here stores or prints it.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::elliptic_curve::sec1::ToSec1Point;
use p256::elliptic_curve::zeroize::Zeroizing;
use rsa::pkcs1::{RsaPrivateKeyRef, RsaPublicKeyRef};
use rsa::pkcs8::der::asn1::OctetStringRef;
use rsa::pkcs8::der::{Decode, Reader, SliceReader, TagMode, TagNumber};
use rsa::pkcs8::{
    AlgorithmIdentifierRef, AssociatedOid, EncodePublicKey, ObjectIdentifier, PrivateKeyInfoRef,
    SubjectPublicKeyInfoRef,
};
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::input::{InputError, InputKind, read_bytes};

/// `id-ecPublicKey` (RFC 5480), the algorithm of every ECDSA key whatever its curve.
const EC_PUBLIC_KEY_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");

/// The key types kube-apiserver signs with; each has exactly one JWS `alg`
/// (kubernetes/kubernetes:pkg/serviceaccount/jwt.go, reference kubernetes.md §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyType {
    Rsa,
    P256,
    P384,
    P521,
}

impl KeyType {
    /// The JWK `kty`.
    pub fn kty(self) -> &'static str {
        match self {
            KeyType::Rsa => "RSA",
            KeyType::P256 | KeyType::P384 | KeyType::P521 => "EC",
        }
    }

    /// The JWK `crv`, for EC keys.
    pub fn crv(self) -> Option<&'static str> {
        match self {
            KeyType::Rsa => None,
            KeyType::P256 => Some("P-256"),
            KeyType::P384 => Some("P-384"),
            KeyType::P521 => Some("P-521"),
        }
    }

    /// The JWS `alg` kube-apiserver signs with: RS256 for RSA of any size, ES512 (not "ES521")
    /// for P-521.
    pub fn alg(self) -> &'static str {
        match self {
            KeyType::Rsa => "RS256",
            KeyType::P256 => "ES256",
            KeyType::P384 => "ES384",
            KeyType::P521 => "ES512",
        }
    }

    /// The key type that signs with a JWS `alg`, for the algorithms kwif verifies.
    pub fn for_alg(alg: &str) -> Option<KeyType> {
        KeyType::ALL
            .into_iter()
            .find(|key_type| key_type.alg() == alg)
    }

    /// The key type of an EC JWK `crv`.
    pub fn for_crv(crv: &str) -> Option<KeyType> {
        KeyType::ALL
            .into_iter()
            .find(|key_type| key_type.crv() == Some(crv))
    }

    /// Bytes in each EC coordinate; JWK `x` and `y` must be exactly this long (RFC 7518 §6.2.1.2).
    pub fn coordinate_len(self) -> Option<usize> {
        match self {
            KeyType::Rsa => None,
            KeyType::P256 => Some(32),
            KeyType::P384 => Some(48),
            KeyType::P521 => Some(66),
        }
    }

    const ALL: [KeyType; 4] = [KeyType::Rsa, KeyType::P256, KeyType::P384, KeyType::P521];

    fn for_curve_oid(oid: ObjectIdentifier) -> Option<KeyType> {
        [
            (p256::NistP256::OID, KeyType::P256),
            (p384::NistP384::OID, KeyType::P384),
            (p521::NistP521::OID, KeyType::P521),
        ]
        .into_iter()
        .find_map(|(curve, key_type)| (curve == oid).then_some(key_type))
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.crv() {
            Some(crv) => write!(f, "EC {crv}"),
            None => f.write_str("RSA"),
        }
    }
}

/// Why a PEM text holds no usable service-account key. Messages name PEM labels and block
/// numbers, never key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("no PEM block found; expected a key such as -----BEGIN PUBLIC KEY-----")]
    NoPemBlock,
    #[error("the PEM text is malformed: {reason}")]
    MalformedPem { reason: &'static str },
    #[error(
        "PEM block {block} is a certificate, not a key; extract its public key with \
         `openssl x509 -in FILE -pubkey -noout`"
    )]
    Certificate { block: usize },
    #[error(
        "PEM block {block} ({label}) is encrypted, which kube-apiserver cannot read; \
         use the public key instead: `openssl pkey -in FILE -pubout`"
    )]
    Encrypted { block: usize, label: String },
    #[error("PEM block {block} ({label}): unknown curve, must be P-256, P-384 or P-521")]
    UnknownCurve { block: usize, label: String },
    #[error(
        "PEM block {block} ({label}) is not an RSA or ECDSA key, the only kinds kube-apiserver \
         accepts"
    )]
    UnsupportedKeyType { block: usize, label: String },
    #[error("PEM block {block} ({label}) is not a valid {expected}")]
    InvalidKey {
        block: usize,
        label: String,
        expected: &'static str,
    },
    #[error("no RSA or ECDSA key found; PEM blocks seen: {}", labels.join(", "))]
    NoKey { labels: Vec<String> },
    #[error(
        "PEM block {block} ({label}) is an RSA key of {bits} bits; {RSA_SIZE_RULE}: {RSA_SIZE_FIX}"
    )]
    RsaKeySize {
        block: usize,
        label: String,
        bits: usize,
    },
}

/// The RSA modulus sizes kwif accepts, in bits: Go's crypto/rsa (which kube-apiserver signs and
/// verifies with) refuses keys under 1024 bits since Go 1.24, and the rsa crate kwif verifies
/// with refuses keys over 8192 bits. The same rule holds for every way a key comes in: PEM
/// files, a JWKS from a server, the cluster's own `/openid/v1/jwks`.
pub const RSA_MIN_BITS: usize = 1024;
pub const RSA_MAX_BITS: usize = 8192;

/// The rule as messages state it, and its fix.
pub const RSA_SIZE_RULE: &str = "kube-apiserver and kwif accept 1024 to 8192 bits";
pub const RSA_SIZE_FIX: &str =
    "make a new signing key of 2048 bits (`openssl genrsa -out sa.key 2048`) and use it";

/// The size in bits of a big-endian RSA modulus (leading zero bytes ignored), when it is outside
/// [`RSA_MIN_BITS`]..=[`RSA_MAX_BITS`]; `None` when the size is fine.
pub fn rsa_size_outside_the_rule(modulus: &[u8]) -> Option<usize> {
    let first = modulus.iter().position(|byte| *byte != 0)?;
    let significant = &modulus[first..];
    let bits = significant.len() * 8 - significant[0].leading_zeros() as usize;
    (!(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits)).then_some(bits)
}

/// A key file that could not be used; the message names the file and what was found in it.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("{}: cannot read the file: {error}", path.display())]
    Unreadable {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}: {error}", path.display())]
    NotAKey { path: PathBuf, error: KeyError },
    /// Over 1 MiB: a key file is a few kilobytes.
    #[error("{0}")]
    Input(InputError),
}

/// The public half of a service-account key, with the `kid` kube-apiserver gives it.
#[derive(Clone, PartialEq, Eq)]
pub struct ServiceAccountKey {
    key_type: KeyType,
    kid: String,
    spki_der: Vec<u8>,
    members: JwkMembers,
}

/// The key-specific JWK members, as big-endian bytes (RFC 7518 §6.2.1, §6.3.1).
#[derive(Clone, PartialEq, Eq)]
enum JwkMembers {
    Rsa { n: Vec<u8>, e: Vec<u8> },
    Ec { x: Vec<u8>, y: Vec<u8> },
}

impl ServiceAccountKey {
    /// Unpadded base64url of SHA-256 over the DER SubjectPublicKeyInfo, as kube-apiserver's
    /// `keyIDFromPublicKey` computes it (kubernetes/kubernetes:pkg/serviceaccount/jwt.go).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The JWS `alg` tokens signed with this key carry.
    pub fn alg(&self) -> &'static str {
        self.key_type.alg()
    }

    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The DER SubjectPublicKeyInfo the `kid` is computed over.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// The JWK kube-apiserver publishes for this key, members in the order of Azure's sample JWKS:
    /// `use`, `kty`, `kid`, `alg`, then `n`, `e` or `crv`, `x`, `y`.
    pub fn to_jwk(&self) -> Value {
        let mut jwk = json!({
            "use": "sig",
            "kty": self.key_type.kty(),
            "kid": self.kid,
            "alg": self.alg(),
        });
        let members = match (&self.members, self.key_type.crv()) {
            (JwkMembers::Rsa { n, e }, _) => json!({ "n": base64url(n), "e": base64url(e) }),
            (JwkMembers::Ec { x, y }, crv) => {
                json!({ "crv": crv, "x": base64url(x), "y": base64url(y) })
            }
        };
        if let (Some(jwk), Value::Object(members)) = (jwk.as_object_mut(), members) {
            jwk.extend(members);
        }
        jwk
    }

    fn new(public_key: PublicKey) -> Result<Self, Problem> {
        let spki_der = public_key.spki_der()?;
        Ok(ServiceAccountKey {
            key_type: public_key.key_type(),
            kid: URL_SAFE_NO_PAD.encode(Sha256::digest(&spki_der)),
            members: public_key.jwk_members()?,
            spki_der,
        })
    }
}

impl fmt::Debug for ServiceAccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAccountKey")
            .field("kid", &self.kid)
            .field("key_type", &self.key_type)
            .finish_non_exhaustive()
    }
}

/// Every service-account key in a PEM text, in order, in the forms `--service-account-key-file`
/// accepts. Blocks that are not keys (such as `EC PARAMETERS`) are skipped, as kube-apiserver
/// does; a certificate, an encrypted key or a key that does not parse is an error.
pub fn parse_pem_keys(text: &str) -> Result<Vec<ServiceAccountKey>, KeyError> {
    let blocks = pem_blocks(text)?;
    let labels: Vec<String> = blocks.iter().map(|block| block.label.clone()).collect();
    let mut keys = Vec::new();
    for (index, block) in blocks.into_iter().enumerate() {
        keys.extend(block.key(index + 1)?);
    }
    match keys.is_empty() {
        true => Err(KeyError::NoKey { labels }),
        false => Ok(keys),
    }
}

/// The keys of several key files, in order, each key once even when several files hold it.
pub fn load_key_files(paths: &[PathBuf]) -> Result<Vec<ServiceAccountKey>, KeyFileError> {
    let mut keys: Vec<ServiceAccountKey> = Vec::new();
    for path in paths {
        for key in load_key_file(path)? {
            if !keys.iter().any(|known| known.kid == key.kid) {
                keys.push(key);
            }
        }
    }
    Ok(keys)
}

fn load_key_file(path: &Path) -> Result<Vec<ServiceAccountKey>, KeyFileError> {
    // The file may hold a private key: wipe our copy of its bytes when done.
    let bytes = Zeroizing::new(read_bytes(path, InputKind::KeyFile).map_err(
        |error| match error {
            InputError::Unreadable { source, .. } => KeyFileError::Unreadable {
                path: path.to_path_buf(),
                error: source,
            },
            other => KeyFileError::Input(other),
        },
    )?);
    let text = String::from_utf8_lossy(&bytes);
    parse_pem_keys(&text).map_err(|error| KeyFileError::NotAKey {
        path: path.to_path_buf(),
        error,
    })
}

/// How a PEM label is read. kube-apiserver (k8s.io/client-go/util/keyutil `ParsePublicKeysPEM`)
/// tries every parser on every block; kwif goes by the label so it can say what is wrong.
#[derive(Clone, Copy)]
enum BlockKind {
    Pkix,
    Pkcs1Public,
    Pkcs1Private,
    Pkcs8Private,
    Sec1Private,
    Certificate,
    Encrypted,
    OtherKey,
    NotAKey,
}

impl BlockKind {
    fn of(label: &str) -> BlockKind {
        match label {
            "PUBLIC KEY" => BlockKind::Pkix,
            "RSA PUBLIC KEY" => BlockKind::Pkcs1Public,
            "RSA PRIVATE KEY" => BlockKind::Pkcs1Private,
            "PRIVATE KEY" => BlockKind::Pkcs8Private,
            "EC PRIVATE KEY" => BlockKind::Sec1Private,
            "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => BlockKind::Certificate,
            "ENCRYPTED PRIVATE KEY" => BlockKind::Encrypted,
            _ if label.ends_with(" KEY") => BlockKind::OtherKey,
            _ => BlockKind::NotAKey,
        }
    }

    /// What a block with this label should hold, for error messages.
    fn expected(self) -> &'static str {
        match self {
            BlockKind::Pkix => "PKIX public key",
            BlockKind::Pkcs1Public => "PKCS#1 RSA public key",
            BlockKind::Pkcs1Private => "PKCS#1 RSA private key",
            BlockKind::Pkcs8Private => "PKCS#8 private key",
            BlockKind::Sec1Private => "SEC1 EC private key",
            _ => "key",
        }
    }

    fn parse(self, der: &[u8]) -> Result<PublicKey, Problem> {
        match self {
            BlockKind::Pkix => from_pkix(der),
            BlockKind::Pkcs1Public => rsa_public(der),
            BlockKind::Pkcs1Private => rsa_private(der),
            BlockKind::Pkcs8Private => from_pkcs8(der),
            BlockKind::Sec1Private => from_sec1(der),
            _ => Err(Problem::UnsupportedKeyType),
        }
    }
}

/// Why a key block did not yield a key, before the block number and label are attached.
enum Problem {
    Invalid,
    UnknownCurve,
    UnsupportedKeyType,
    /// An RSA key outside the size rule, with its size in bits.
    RsaSize(usize),
}

/// One PEM block, its DER wiped when dropped since it may be a private key.
struct Block {
    label: String,
    kind: BlockKind,
    encrypted: bool,
    der: Zeroizing<Vec<u8>>,
}

fn pem_blocks(text: &str) -> Result<Vec<Block>, KeyError> {
    let blocks = pem::parse_many(text).map_err(|error| KeyError::MalformedPem {
        reason: pem_problem(&error),
    })?;
    match (blocks.is_empty(), text.contains("-----BEGIN ")) {
        (true, true) => Err(KeyError::MalformedPem {
            reason: "a -----BEGIN line has no matching -----END line",
        }),
        (true, false) => Err(KeyError::NoPemBlock),
        (false, _) => Ok(blocks.into_iter().map(Block::from).collect()),
    }
}

impl From<pem::Pem> for Block {
    fn from(pem: pem::Pem) -> Block {
        Block {
            label: printable(pem.tag(), 40),
            kind: BlockKind::of(pem.tag()),
            // Legacy OpenSSL encryption keeps the label and adds `Proc-Type: 4,ENCRYPTED`.
            encrypted: pem
                .headers()
                .get("Proc-Type")
                .is_some_and(|value| value.contains("ENCRYPTED")),
            der: Zeroizing::new(pem.into_contents()),
        }
    }
}

impl Block {
    /// The key in this block; `None` for a block that is not a key at all.
    fn key(self, block: usize) -> Result<Option<ServiceAccountKey>, KeyError> {
        let Block {
            label,
            kind,
            encrypted,
            der,
        } = self;
        match kind {
            BlockKind::NotAKey => return Ok(None),
            BlockKind::Certificate => return Err(KeyError::Certificate { block }),
            BlockKind::Encrypted => return Err(KeyError::Encrypted { block, label }),
            _ if encrypted => return Err(KeyError::Encrypted { block, label }),
            _ => {}
        }
        kind.parse(&der)
            .and_then(ServiceAccountKey::new)
            .map(Some)
            .map_err(|problem| match problem {
                Problem::Invalid => KeyError::InvalidKey {
                    block,
                    label,
                    expected: kind.expected(),
                },
                Problem::UnknownCurve => KeyError::UnknownCurve { block, label },
                Problem::UnsupportedKeyType => KeyError::UnsupportedKeyType { block, label },
                Problem::RsaSize(bits) => KeyError::RsaKeySize { block, label, bits },
            })
    }
}

/// A parsed public key, kept only while the `kid` and JWK members are derived from it.
enum PublicKey {
    Rsa(rsa::PublicKey),
    P256(p256::PublicKey),
    P384(p384::PublicKey),
    P521(p521::PublicKey),
}

impl PublicKey {
    fn key_type(&self) -> KeyType {
        match self {
            PublicKey::Rsa(_) => KeyType::Rsa,
            PublicKey::P256(_) => KeyType::P256,
            PublicKey::P384(_) => KeyType::P384,
            PublicKey::P521(_) => KeyType::P521,
        }
    }

    /// Re-encoded DER SubjectPublicKeyInfo: RSA as `rsaEncryption` with NULL parameters, EC as
    /// `id-ecPublicKey` with the named curve and the uncompressed point, like Go's
    /// `x509.MarshalPKIXPublicKey`.
    fn spki_der(&self) -> Result<Vec<u8>, Problem> {
        let document = match self {
            PublicKey::Rsa(key) => key.to_public_key_der(),
            PublicKey::P256(key) => key.to_public_key_der(),
            PublicKey::P384(key) => key.to_public_key_der(),
            PublicKey::P521(key) => key.to_public_key_der(),
        };
        document
            .map(|der| der.as_bytes().to_vec())
            .map_err(|_| Problem::Invalid)
    }

    fn jwk_members(&self) -> Result<JwkMembers, Problem> {
        match self {
            PublicKey::Rsa(key) => Ok(JwkMembers::Rsa {
                n: key.n_bytes().into_vec(),
                e: key.e_bytes().into_vec(),
            }),
            PublicKey::P256(key) => ec_members(key.to_sec1_point(false).as_bytes()),
            PublicKey::P384(key) => ec_members(key.to_sec1_point(false).as_bytes()),
            PublicKey::P521(key) => ec_members(key.to_sec1_point(false).as_bytes()),
        }
    }
}

/// Splits an uncompressed SEC1 point `04 ‖ X ‖ Y` into its full-length coordinates.
fn ec_members(point: &[u8]) -> Result<JwkMembers, Problem> {
    match point.split_first() {
        Some((0x04, coordinates)) if coordinates.len() % 2 == 0 => {
            let (x, y) = coordinates.split_at(coordinates.len() / 2);
            Ok(JwkMembers::Ec {
                x: x.to_vec(),
                y: y.to_vec(),
            })
        }
        _ => Err(Problem::Invalid),
    }
}

fn from_pkix(der: &[u8]) -> Result<PublicKey, Problem> {
    let spki = SubjectPublicKeyInfoRef::from_der(der).map_err(|_| Problem::Invalid)?;
    let decoded = match key_type_of(&spki.algorithm)? {
        KeyType::Rsa => {
            return rsa_public(spki.subject_public_key.as_bytes().ok_or(Problem::Invalid)?);
        }
        KeyType::P256 => p256::PublicKey::try_from(spki).map(PublicKey::P256),
        KeyType::P384 => p384::PublicKey::try_from(spki).map(PublicKey::P384),
        KeyType::P521 => p521::PublicKey::try_from(spki).map(PublicKey::P521),
    };
    decoded.map_err(|_| Problem::Invalid)
}

fn from_pkcs8(der: &[u8]) -> Result<PublicKey, Problem> {
    let info = PrivateKeyInfoRef::from_der(der).map_err(|_| Problem::Invalid)?;
    let decoded = match key_type_of(&info.algorithm)? {
        KeyType::Rsa => return rsa_private(info.private_key.as_bytes()),
        KeyType::P256 => p256::SecretKey::try_from(info).map(|k| PublicKey::P256(k.public_key())),
        KeyType::P384 => p384::SecretKey::try_from(info).map(|k| PublicKey::P384(k.public_key())),
        KeyType::P521 => p521::SecretKey::try_from(info).map(|k| PublicKey::P521(k.public_key())),
    };
    decoded.map_err(|_| Problem::Invalid)
}

/// A PKCS#1 `RSAPublicKey` (also inside a PKIX block), its size checked before the rsa crate
/// sees it: that crate would only say "invalid" for a key that is merely too small.
fn rsa_public(der: &[u8]) -> Result<PublicKey, Problem> {
    let key = RsaPublicKeyRef::from_der(der).map_err(|_| Problem::Invalid)?;
    if let Some(bits) = rsa_size_outside_the_rule(key.modulus.as_bytes()) {
        return Err(Problem::RsaSize(bits));
    }
    rsa::PublicKey::try_from(key)
        .map(PublicKey::Rsa)
        .map_err(|_| Problem::Invalid)
}

/// A PKCS#1 `RSAPrivateKey` (also inside a PKCS#8 block), reduced to its public half; its size
/// is checked too: the rsa crate reads private keys of any size.
fn rsa_private(der: &[u8]) -> Result<PublicKey, Problem> {
    let key = RsaPrivateKeyRef::from_der(der).map_err(|_| Problem::Invalid)?;
    if let Some(bits) = rsa_size_outside_the_rule(key.modulus.as_bytes()) {
        return Err(Problem::RsaSize(bits));
    }
    rsa::PrivateKey::try_from(key)
        .map(|private| PublicKey::Rsa(private.to_public_key()))
        .map_err(|_| Problem::Invalid)
}

fn from_sec1(der: &[u8]) -> Result<PublicKey, Problem> {
    let decoded = match sec1_key_type(der)? {
        KeyType::P256 => {
            p256::SecretKey::from_sec1_der(der).map(|k| PublicKey::P256(k.public_key()))
        }
        KeyType::P384 => {
            p384::SecretKey::from_sec1_der(der).map(|k| PublicKey::P384(k.public_key()))
        }
        KeyType::P521 => {
            p521::SecretKey::from_sec1_der(der).map(|k| PublicKey::P521(k.public_key()))
        }
        KeyType::Rsa => return Err(Problem::Invalid),
    };
    decoded.map_err(|_| Problem::Invalid)
}

/// The key type an SPKI or PKCS#8 algorithm identifier names.
fn key_type_of(algorithm: &AlgorithmIdentifierRef<'_>) -> Result<KeyType, Problem> {
    match algorithm.oid {
        rsa::pkcs1::ALGORITHM_OID => Ok(KeyType::Rsa),
        EC_PUBLIC_KEY_OID => algorithm
            .parameters_oid()
            .ok()
            .and_then(KeyType::for_curve_oid)
            .ok_or(Problem::UnknownCurve),
        _ => Err(Problem::UnsupportedKeyType),
    }
}

/// The curve of a SEC1 `ECPrivateKey` (RFC 5915 §3): version, privateKey, then the curve as
/// `[0] EXPLICIT` named-curve OID. A key without a named curve is treated as an unknown curve.
fn sec1_key_type(der: &[u8]) -> Result<KeyType, Problem> {
    let curve = SliceReader::new(der).and_then(|mut reader| {
        reader.sequence(|fields| {
            let _version = u8::decode(fields)?;
            let _private_key = <&OctetStringRef>::decode(fields)?;
            let curve =
                fields.context_specific::<ObjectIdentifier>(TagNumber(0), TagMode::Explicit);
            fields.drain(fields.remaining_len())?;
            curve
        })
    });
    match curve {
        Ok(curve) => curve
            .and_then(KeyType::for_curve_oid)
            .ok_or(Problem::UnknownCurve),
        Err(_) => Err(Problem::Invalid),
    }
}

fn pem_problem(error: &pem::PemError) -> &'static str {
    match error {
        pem::PemError::MismatchedTags(..) => "a -----BEGIN label does not match its -----END label",
        pem::PemError::InvalidData(_) => "a PEM block's body is not valid base64",
        pem::PemError::InvalidHeader(_) => "a PEM block has a malformed header line",
        pem::PemError::NotUtf8(_) => "a PEM block is not UTF-8 text",
        _ => "a PEM block has no label or is cut short",
    }
}

/// Outside text made safe to show in a message: control characters escaped, at most `max`
/// characters.
pub(crate) fn printable(text: &str, max: usize) -> String {
    let mut shown: String = text
        .chars()
        .take(max)
        .flat_map(char::escape_debug)
        .collect();
    if text.chars().nth(max).is_some() {
        shown.push('…');
    }
    shown
}

fn base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA_PUBLIC: &str = include_str!("../../tests/fixtures/keys/rsa-2048.pub.pem");
    const P256_SEC1_WITH_PARAMETERS: &str =
        include_str!("../../tests/fixtures/keys/ec-p256-with-params.sec1.key");

    #[test]
    fn key_types_map_to_one_alg_and_back() {
        for key_type in KeyType::ALL {
            assert_eq!(KeyType::for_alg(key_type.alg()), Some(key_type));
        }
        assert_eq!(KeyType::P521.alg(), "ES512");
        assert_eq!(KeyType::for_alg("ES521"), None);
        assert_eq!(KeyType::for_crv("P-384"), Some(KeyType::P384));
        assert_eq!(KeyType::for_crv("secp256k1"), None);
    }

    #[test]
    fn text_without_pem_says_no_pem_block() {
        for text in ["", "   \n", "ssh-rsa AAAAB3Nza kwif@example"] {
            let error = parse_pem_keys(text).unwrap_err();
            assert_eq!(error, KeyError::NoPemBlock);
            assert!(error.to_string().contains("no PEM block"));
        }
    }

    #[test]
    fn begin_without_end_is_malformed_pem() {
        let cut = RSA_PUBLIC.replace("-----END PUBLIC KEY-----", "");
        assert!(matches!(
            parse_pem_keys(&cut),
            Err(KeyError::MalformedPem { .. })
        ));
    }

    #[test]
    fn a_file_of_parameters_only_names_the_labels_found() {
        let parameters: String = P256_SEC1_WITH_PARAMETERS
            .split_inclusive('\n')
            .take_while(|line| !line.contains("BEGIN EC PRIVATE KEY"))
            .collect();
        let error = parse_pem_keys(&parameters).unwrap_err();
        assert_eq!(
            error.to_string(),
            "no RSA or ECDSA key found; PEM blocks seen: EC PARAMETERS"
        );
    }

    #[test]
    fn parameters_before_a_key_are_skipped_like_kube_apiserver_does() {
        let keys = parse_pem_keys(P256_SEC1_WITH_PARAMETERS).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].alg(), "ES256");
    }

    #[test]
    fn garbage_inside_a_key_frame_names_the_block_not_the_bytes() {
        let text =
            "-----BEGIN PUBLIC KEY-----\nc2VjcmV0LWxvb2tpbmctYnl0ZXM=\n-----END PUBLIC KEY-----\n";
        let error = parse_pem_keys(text).unwrap_err();
        assert_eq!(
            error.to_string(),
            "PEM block 1 (PUBLIC KEY) is not a valid PKIX public key"
        );
    }

    #[test]
    fn unknown_key_labels_are_errors_other_labels_are_skipped() {
        let openssh =
            "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
        assert!(matches!(
            parse_pem_keys(openssh),
            Err(KeyError::UnsupportedKeyType { block: 1, .. })
        ));
        let request =
            "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n";
        let both = format!("{request}{RSA_PUBLIC}");
        assert_eq!(parse_pem_keys(&both).unwrap().len(), 1);
    }

    #[test]
    fn windows_line_endings_give_the_same_kid() {
        let crlf = RSA_PUBLIC.replace('\n', "\r\n");
        assert_eq!(
            parse_pem_keys(&crlf).unwrap()[0].kid(),
            parse_pem_keys(RSA_PUBLIC).unwrap()[0].kid()
        );
    }

    #[test]
    fn labels_in_messages_are_escaped_and_short() {
        assert_eq!(printable("EC\nKEY", 40), "EC\\nKEY");
        assert_eq!(printable("ABCDEF", 3), "ABC…");
    }

    #[test]
    fn debug_shows_kid_and_type_only() {
        let key = &parse_pem_keys(RSA_PUBLIC).unwrap()[0];
        let shown = format!("{key:?}");
        assert!(shown.contains(key.kid()) && shown.contains("Rsa"));
        assert!(!shown.contains(&key.to_jwk()["n"].as_str().unwrap()[..16]));
    }
}
