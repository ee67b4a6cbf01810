//! Real logins: Entra's client-credentials grant with a client secret (as azure_identity's
//! ClientSecretCredential sends it) gives a token Resource Manager accepts; tokens Resource
//! Manager must refuse get ARM's own 401 bodies.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::azure_client::{Answer, Azure, OTHER_RSA_KEY, now, sign};
use crate::token::Token;

impl Azure {
    /// The client-secret form ClientSecretCredential posts.
    async fn secret_login(&self, client_id: &str, secret: &str, scope: &str) -> Answer {
        let form = [
            ("client_id", client_id),
            ("client_secret", secret),
            ("scope", scope),
            ("grant_type", "client_credentials"),
        ];
        self.token(self.sandbox.tenant_id(), &form).await
    }

    fn resource_group_path(&self) -> String {
        format!(
            "/subscriptions/{}/resourcegroups/rg-application1?api-version=2021-04-01",
            self.subscription()
        )
    }

    async fn as_bearer(&self, token: &str) -> Answer {
        let authorization = format!("Bearer {token}");
        self.send(
            Method::GET,
            &self.resource_group_path(),
            None,
            Some(&authorization),
        )
        .await
    }
}

fn assert_arm_401(answer: &Answer, code: &str) {
    assert_eq!(answer.error(), (401, code), "{}", answer.body);
    let challenge = answer.header("www-authenticate").unwrap_or_default();
    assert!(
        challenge.starts_with("Bearer authorization_uri=") && challenge.contains("invalid_token"),
        "{challenge}"
    );
}

#[tokio::test]
async fn a_client_secret_login_gives_a_token_resource_manager_accepts() {
    let azure = Azure::start().await;
    let login = azure.sandbox.admin_login().clone();
    assert_eq!(login.tenant_id, azure.sandbox.tenant_id());
    let answer = azure
        .secret_login(
            &login.client_id,
            &login.client_secret,
            &azure.sandbox.management_scope(),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["token_type"], "Bearer");
    let token = answer.body["access_token"].as_str().unwrap();
    let claims = Token::parse(token);
    assert_eq!(claims.claims()["appid"], login.client_id.as_str());
    assert_eq!(claims.claims()["oid"], azure.sandbox.admin_principal_id());
    let group = azure.as_bearer(token).await;
    assert_eq!(group.status, 200, "{}", group.body);
    assert_eq!(group.body["name"], "rg-application1");
    let log = format!("{:?}", azure.sandbox.request_log());
    assert!(!log.contains(&login.client_secret) && !log.contains(token));
    assert!(!format!("{login:?}").contains(&login.client_secret));
}

#[tokio::test]
async fn a_wrong_client_secret_is_7000215_and_a_managed_identity_has_none() {
    let azure = Azure::start().await;
    let login = azure.sandbox.admin_login().clone();
    let scope = azure.sandbox.management_scope();
    let wrong = azure
        .secret_login(&login.client_id, "not-the-secret", &scope)
        .await;
    assert_eq!(
        (wrong.status, wrong.body["error"].as_str(), wrong.aadsts()),
        (401, Some("invalid_client"), 7000215)
    );
    assert!(
        wrong
            .description()
            .contains(&format!("for a secret added to app '{}'", login.client_id))
    );
    let identity = azure
        .sandbox
        .insert_identity("rg-application1", "id1")
        .unwrap();
    let guessed = azure
        .secret_login(&identity.client_id, &login.client_secret, &scope)
        .await;
    assert_eq!(guessed.aadsts(), 7000215);
    let neither = azure
        .token(
            azure.sandbox.tenant_id(),
            &[
                ("client_id", login.client_id.as_str()),
                ("scope", scope.as_str()),
                ("grant_type", "client_credentials"),
            ],
        )
        .await;
    assert_eq!(neither.aadsts(), 7000218);
}

#[tokio::test]
async fn a_forged_token_is_invalid_authentication_token() {
    let azure = Azure::start().await;
    let issuer = format!("https://sts.windows.net/{}/", azure.sandbox.tenant_id());
    let forged = sign(
        &json!({"aud": "https://management.azure.com", "iss": issuer, "oid": azure.sandbox.admin_principal_id(), "exp": now() + 3600}),
        OTHER_RSA_KEY,
    );
    let answer = azure.as_bearer(&forged).await;
    assert_arm_401(&answer, "InvalidAuthenticationToken");
    assert_eq!(answer.message(), "The access token is invalid.");
    assert_arm_401(
        &azure.as_bearer("not.a.jwt").await,
        "InvalidAuthenticationToken",
    );
}

#[tokio::test]
async fn an_expired_token_is_expired_authentication_token_with_both_times() {
    let azure = Azure::start().await;
    assert_eq!(azure.as_bearer(&azure.admin_token).await.status, 200);
    azure.sandbox.clock().advance(Duration::from_secs(2 * 3600));
    let answer = azure.as_bearer(&azure.admin_token).await;
    assert_arm_401(&answer, "ExpiredAuthenticationToken");
    let message = answer.message();
    assert!(
        message.starts_with("The access token expiry UTC time '")
            && message.contains("' is earlier than current UTC time '")
            && (message.contains(" AM'") || message.contains(" PM'")),
        "{message}"
    );
    let fresh = azure.sandbox.admin_access_token();
    assert_eq!(
        azure.as_bearer(&fresh).await.status,
        200,
        "a token minted after the clock moved is valid"
    );
}

#[tokio::test]
async fn a_token_for_another_resource_is_invalid_authentication_token_audience() {
    let azure = Azure::start().await;
    let login = azure.sandbox.admin_login().clone();
    let storage = azure
        .secret_login(
            &login.client_id,
            &login.client_secret,
            "https://storage.azure.com/.default",
        )
        .await;
    assert_eq!(storage.status, 200, "{}", storage.body);
    let token = storage.body["access_token"].as_str().unwrap();
    let answer = azure.as_bearer(token).await;
    assert_arm_401(&answer, "InvalidAuthenticationTokenAudience");
    let message = answer.message();
    assert!(
        message.starts_with(
            "The access token has been obtained for wrong audience or resource 'https://storage.azure.com'."
        ) && message.contains("'https://management.azure.com/'")
            && message.contains(&format!("'{}'", azure.sandbox.resource_manager_url())),
        "{message}"
    );
}

#[tokio::test]
async fn public_azures_management_audience_is_accepted_too() {
    let azure = Azure::start().await;
    let login = azure.sandbox.admin_login().clone();
    let answer = azure
        .secret_login(
            &login.client_id,
            &login.client_secret,
            "https://management.azure.com/.default",
        )
        .await;
    let token = answer.body["access_token"].as_str().unwrap();
    assert_eq!(azure.as_bearer(token).await.status, 200);
}
