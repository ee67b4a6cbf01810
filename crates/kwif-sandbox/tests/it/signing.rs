//! Keys and signatures against outside references: kube-apiserver's key id test vector, and
//! tokens the sandbox signs verified by jsonwebtoken with the keys the sandbox publishes.

use jsonwebtoken::Algorithm;
use kwif_sandbox::{Distribution, KubeSandbox, KubeSandboxOptions};
use serde_json::{Value, json};

use crate::azure_client::{Azure, client_trusting};
use crate::token::{Token, jwk_set, kids};

const KEY_ID_VECTOR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/kubernetes/keyid-vector.json"
);

#[test]
fn the_key_id_is_kube_apiservers_for_the_reference_key() {
    let vector: Value =
        serde_json::from_str(&std::fs::read_to_string(KEY_ID_VECTOR).unwrap()).unwrap();
    let pem = vector["public_key_pem"].as_str().unwrap();
    assert_eq!(
        kwif_sandbox::key_id_of_public_pem(pem).unwrap(),
        vector["expected_kid"].as_str().unwrap()
    );
}

#[tokio::test]
async fn a_service_account_token_verifies_with_the_served_jwks_and_not_once_altered() {
    let sandbox = KubeSandbox::start(KubeSandboxOptions::new(Distribution::Kubeadm))
        .await
        .unwrap();
    let client = sandbox.client().await.unwrap();
    let reply: Value = kube::Api::<k8s_openapi::api::core::v1::ServiceAccount>::namespaced(
        client.clone(),
        "default",
    )
    .create_subresource(
        "token",
        "default",
        &Default::default(),
        &json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"audiences": ["api://AzureADTokenExchange"]}}),
    )
    .await
    .unwrap();
    let text = reply["status"]["token"].as_str().unwrap();
    let jwks_text = client
        .request_text(
            http::Request::get("/openid/v1/jwks")
                .body(Vec::new())
                .unwrap(),
        )
        .await
        .unwrap();
    let jwks = jwk_set(jwks_text.as_bytes());
    assert_eq!(kids(&jwks), [sandbox.signing_kid()]);
    let token = Token::parse(text);
    assert_eq!(token.verify(&jwks).unwrap(), sandbox.signing_kid());
    assert_eq!(
        jsonwebtoken::decode_header(text).unwrap().alg,
        Algorithm::RS256
    );

    let mut parts: Vec<String> = text.split('.').map(str::to_string).collect();
    let mut claims = token.claims().clone();
    claims["sub"] = json!("system:serviceaccount:kube-system:admin");
    parts[1] = base64url(&claims.to_string());
    let altered = Token::parse(&parts.join("."));
    assert!(
        altered.verify(&jwks).is_err(),
        "the signature covers the claims"
    );
}

#[tokio::test]
async fn entras_access_tokens_verify_with_the_tenants_published_keys() {
    let azure = Azure::start().await;
    let keys_url = format!(
        "{}{}/discovery/v2.0/keys",
        azure.sandbox.authority_host(),
        azure.sandbox.tenant_id()
    );
    let client = client_trusting(azure.sandbox.ca_certificate_pem());
    let published = client
        .get(keys_url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let token = Token::parse(&azure.admin_token);
    assert!(token.verify(&jwk_set(&published)).is_ok());
    assert_eq!(token.typ(), Some("JWT"));
    assert_eq!(
        token.issuer(),
        Some(format!("https://sts.windows.net/{}/", azure.sandbox.tenant_id()).as_str())
    );
    assert_eq!(
        token.claims()["oid"],
        azure.sandbox.admin_principal_id(),
        "the administrator's object id"
    );
}

fn base64url(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}
