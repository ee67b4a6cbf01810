//! The client-secret login of a service principal, as azure_identity's `ClientSecretCredential`
//! and the `AZURE_TENANT_ID`/`AZURE_CLIENT_ID`/`AZURE_CLIENT_SECRET` variables take it. Its Debug
//! output never shows the secret.

use std::fmt;

/// Who to sign in as, and the secret to sign in with.
#[derive(Clone, PartialEq, Eq)]
pub struct ServicePrincipalLogin {
    pub tenant_id: String,
    /// The application (client) id.
    pub client_id: String,
    pub client_secret: String,
}

impl fmt::Debug for ServicePrincipalLogin {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("ServicePrincipalLogin")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_secret() {
        let login = ServicePrincipalLogin {
            tenant_id: "t".into(),
            client_id: "c".into(),
            client_secret: "very-secret-value".into(),
        };
        let shown = format!("{login:?}");
        assert!(!shown.contains("very-secret-value"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }
}
