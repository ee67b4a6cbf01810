//! The kubeconfig that points kube-rs (or kubectl) at the sandbox: its CA, an admin bearer token
//! and a context named after the distribution.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// A kubeconfig with one cluster, one user and one current context.
pub fn kubeconfig_yaml(server: &str, ca_pem: &str, token: &str, context: &str) -> String {
    let cluster = format!("kwif-sandbox-{context}");
    let user = format!("kwif-sandbox-{context}-admin");
    format!(
        "apiVersion: v1\n\
         kind: Config\n\
         clusters:\n\
         - name: {cluster}\n  \
           cluster:\n    \
             server: {server}\n    \
             certificate-authority-data: {ca}\n\
         contexts:\n\
         - name: {context}\n  \
           context:\n    \
             cluster: {cluster}\n    \
             user: {user}\n    \
             namespace: default\n\
         current-context: {context}\n\
         preferences: {{}}\n\
         users:\n\
         - name: {user}\n  \
           user:\n    \
             token: {token}\n",
        ca = STANDARD.encode(ca_pem),
    )
}
