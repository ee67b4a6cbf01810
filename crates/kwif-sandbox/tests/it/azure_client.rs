//! Sandbox Azure as the tests reach it over verified TLS: Resource Manager requests with the
//! administrator's bearer token, Entra's token endpoint, and the cluster side of a token
//! exchange — an issuer whose documents a sandbox static host serves, and its signed assertions.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::jwk::{Jwk, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use kwif_sandbox::StaticHost;
use kwif_sandbox::azure::{AzureSandbox, AzureSandboxOptions, DEFAULT_RESOURCE_GROUP};
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

/// The resource group every sandbox has unless its options say otherwise.
pub const RG: &str = DEFAULT_RESOURCE_GROUP;
/// The audience Entra expects in a federated credential and in the assertion matching it.
pub const AUDIENCE: &str = "api://AzureADTokenExchange";
/// The service account whose token the workload presents: `application1-sa` in `application1`.
pub const SUBJECT: &str = "system:serviceaccount:application1:application1-sa";
/// The `client_assertion_type` of a client assertion that is a JWT (RFC 7523).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The scope a workload asks Entra for to call public Azure's Resource Manager.
pub const MANAGEMENT_SCOPE: &str = "https://management.azure.com/.default";
/// The key the cluster issuer publishes and signs its service account tokens with.
pub const RSA_KEY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/keys/rsa-2048.pkcs1.key"
);
/// A key the cluster issuer does not publish.
pub const OTHER_RSA_KEY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/keys/rsa-2048-other.pkcs1.key"
);
/// The built-in role Storage Blob Data Reader.
pub const BLOB_READER: &str = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";

/// One answer: status, headers and the body as JSON (`Null` when empty).
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    /// Sends `request` and reads the whole answer. The sandbox answers JSON or nothing, so
    /// anything else panics.
    pub async fn of(request: RequestBuilder) -> Answer {
        let response = request.send().await.expect("the sandbox answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        let body = match bytes.is_empty() {
            true => Value::Null,
            false => serde_json::from_slice(&bytes).expect("a JSON body"),
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The code of an ARM error body.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }

    /// The message of an ARM error body.
    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or_default()
    }

    /// The status and the ARM error code, to compare in one `assert_eq!`.
    pub fn error(&self) -> (u16, &str) {
        (self.status, self.code())
    }

    /// The AADSTS code of an Entra error body.
    pub fn aadsts(&self) -> u64 {
        self.body["error_codes"][0].as_u64().unwrap_or_default()
    }

    pub fn description(&self) -> &str {
        self.body["error_description"].as_str().unwrap_or_default()
    }
}

/// A running sandbox, a client that trusts only its CA, and the administrator's token.
pub struct Azure {
    pub sandbox: AzureSandbox,
    pub client: reqwest::Client,
    /// A Resource Manager token of the administrator (Owner of the subscription).
    pub admin_token: String,
}

impl Azure {
    pub async fn start() -> Azure {
        Azure::with(AzureSandboxOptions::default()).await
    }

    pub async fn with(options: AzureSandboxOptions) -> Azure {
        let sandbox = AzureSandbox::start(options).await.expect("sandbox starts");
        let client = client_trusting(sandbox.ca_certificate_pem());
        let admin_token = sandbox.admin_access_token();
        Azure {
            sandbox,
            client,
            admin_token,
        }
    }

    pub fn subscription(&self) -> String {
        self.sandbox.subscription_id().to_string()
    }

    /// The URL of a path below the Resource Manager endpoint, with or without its leading slash.
    pub fn url(&self, path: &str) -> String {
        format!(
            "{}{}",
            self.sandbox.resource_manager_url(),
            path.trim_start_matches('/')
        )
    }

    /// Sends to a path below Resource Manager with `authorization` as the header, if any.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        authorization: Option<&str>,
    ) -> Answer {
        let mut request = self.client.request(method, self.url(path));
        if let Some(authorization) = authorization {
            request = request.header("authorization", authorization);
        }
        Answer::of(with_json(request, body)).await
    }

    /// Sends to a path below Resource Manager as the administrator.
    pub async fn arm(&self, method: Method, path: &str, body: Option<&Value>) -> Answer {
        self.send_to(method, &self.url(path), body).await
    }

    /// Sends to an absolute URL (a `Location` header) as the administrator.
    pub async fn send_to(&self, method: Method, url: &str, body: Option<&Value>) -> Answer {
        let request = self
            .client
            .request(method, url)
            .bearer_auth(&self.admin_token);
        Answer::of(with_json(request, body)).await
    }

    /// POSTs a form to the tenant's token endpoint.
    pub async fn token(&self, tenant: &str, form: &[(&str, &str)]) -> Answer {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let request = self
            .client
            .post(format!(
                "{}{tenant}/oauth2/v2.0/token",
                self.sandbox.authority_host()
            ))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        Answer::of(request).await
    }

    /// Asks the sandbox's tenant for a token for `scope`, as a workload does: client
    /// credentials with a client assertion signed by the cluster.
    pub async fn exchange(&self, client_id: &str, assertion: &str, scope: &str) -> Answer {
        let form = [
            ("client_id", client_id),
            ("scope", scope),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", assertion),
            ("grant_type", "client_credentials"),
        ];
        self.token(self.sandbox.tenant_id(), &form).await
    }
}

/// A reqwest client that trusts only the CA in `pem`.
pub fn client_trusting(pem: &str) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(pem.as_bytes()).unwrap();
    reqwest::Client::builder()
        .tls_certs_only([ca])
        .no_proxy()
        .build()
        .unwrap()
}

/// `request` with `body`, if any, as its JSON content.
fn with_json(request: RequestBuilder, body: Option<&Value>) -> RequestBuilder {
    match body {
        Some(body) => request
            .header("content-type", "application/json")
            .body(body.to_string()),
        None => request,
    }
}

/// An example of the Azure REST API specs, read from `directory`.
pub fn spec_example(directory: &str, name: &str) -> Value {
    let text = std::fs::read_to_string(format!("{directory}{name}"))
        .unwrap_or_else(|error| panic!("{name}: {error}"));
    serde_json::from_str(&text).unwrap()
}

/// A random GUID, as role assignment names are.
pub fn guid() -> String {
    uuid::Builder::from_random_bytes(random_bytes())
        .into_uuid()
        .to_string()
}

fn random_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    rustls::crypto::aws_lc_rs::default_provider()
        .secure_random
        .fill(&mut bytes)
        .unwrap();
    bytes
}

// ---------------------------------------------------------------------------------------------
// The cluster side of a token exchange: its issuer documents and its signed assertions

/// A cluster issuer `https://localhost:PORT/cluster1` whose discovery document and JWKS (the
/// public half of [`RSA_KEY`]) a static host serves from a temporary directory, with its own CA.
pub struct Issuer {
    pub url: String,
    pub host: StaticHost,
    root: tempfile::TempDir,
}

impl Issuer {
    pub async fn start() -> Issuer {
        let root = tempfile::tempdir().unwrap();
        let host = StaticHost::start(root.path().to_path_buf(), "application/json")
            .await
            .unwrap();
        let url = format!("{}/cluster1", host.origin());
        let issuer = Issuer { url, host, root };
        for (path, document) in issuer_documents(&issuer.url) {
            let file = issuer.document(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, document.to_string()).unwrap();
        }
        issuer
    }

    /// The file behind `{issuer}/{path}`.
    pub fn document(&self, path: &str) -> PathBuf {
        self.root.path().join("cluster1").join(path)
    }

    pub fn ca_pem(&self) -> &str {
        self.host.ca_certificate_pem()
    }

    /// A token of the cluster's service account [`SUBJECT`] for Entra.
    pub fn assertion(&self) -> String {
        sign(&assertion_claims(&self.url), RSA_KEY)
    }
}

/// The discovery document and the JWKS a cluster publishes for `issuer`, each with its path
/// below the issuer.
pub fn issuer_documents(issuer: &str) -> [(&'static str, Value); 2] {
    let discovery = json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/openid/v1/jwks"),
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    });
    let jwks = json!({"keys": [serde_json::to_value(jwk_of(RSA_KEY)).unwrap()]});
    [
        (".well-known/openid-configuration", discovery),
        ("openid/v1/jwks", jwks),
    ]
}

fn encoding_key(path: &str) -> EncodingKey {
    EncodingKey::from_rsa_pem(&std::fs::read(path).unwrap()).unwrap()
}

/// The public JWK of the key at `path`, its kid the RFC 7638 thumbprint.
fn jwk_of(path: &str) -> Jwk {
    let mut jwk = Jwk::from_encoding_key(&encoding_key(path), Algorithm::RS256).unwrap();
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    jwk.common.key_id = Some(jwk.thumbprint(ThumbprintHash::SHA256).unwrap());
    jwk
}

/// The kid the issuer publishes for the key at `path`.
pub fn kid_of(path: &str) -> String {
    jwk_of(path).common.key_id.unwrap()
}

/// Seconds since the Unix epoch, as JWTs count time.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The claims of a service account token that the identity's federated credential matches.
pub fn assertion_claims(issuer: &str) -> Value {
    json!({"iss": issuer, "sub": SUBJECT, "aud": [AUDIENCE], "iat": now() - 60, "nbf": now() - 60, "exp": now() + 3600})
}

/// An RS256 JWT over `claims`, signed with the key at `key_path` under its own kid.
pub fn sign(claims: &Value, key_path: &str) -> String {
    sign_as(claims, key_path, &kid_of(key_path))
}

/// An RS256 JWT over `claims`, signed with the key at `key_path` under `kid`, which may name
/// another key.
pub fn sign_as(claims: &Value, key_path: &str, kid: &str) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_string());
    jsonwebtoken::encode(&header, claims, &encoding_key(key_path)).unwrap()
}
