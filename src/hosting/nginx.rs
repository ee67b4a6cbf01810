//! The `nginx` publisher: an unprivileged nginx in the cluster that serves exactly the two
//! documents as `application/json` behind an Ingress with a cert-manager certificate, applied
//! with server-side apply. Its nginx config answers 404 for every other path.

use std::time::Duration;

use ::kube::Client;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::retired_keys::RetiredKeys;
use super::{
    Documents, HostingError, PUBLISH_FIX, Published, document_drift, issuer_path, manifests,
};
use crate::engine::{Change, Finding};
use crate::kube as cluster;
use crate::kube::manifest::{MANAGED_BY_KWIF, MANAGED_BY_LABEL};
use crate::oidc::issuer::IssuerUrl;
use crate::profile::NginxHosting;

/// nginx's unprivileged image: runs as uid 101 and listens on 8080.
pub const DEFAULT_IMAGE: &str = "docker.io/nginxinc/nginx-unprivileged:1.27-alpine";
/// The name of the Deployment, Service and Ingress.
pub const APP: &str = "oidc-issuer";
pub const DOCUMENTS_CONFIG_MAP: &str = "oidc-documents";
pub const NGINX_CONFIG_MAP: &str = "oidc-nginx";
pub const TLS_SECRET: &str = "oidc-issuer-tls";
/// The documents ConfigMap's keys, which become the file names below [`DOCUMENTS_DIR`].
pub const DISCOVERY_KEY: &str = "openid-configuration";
pub const JWKS_KEY: &str = "jwks";
pub const NGINX_CONFIG_KEY: &str = "nginx.conf";
pub const DOCUMENTS_DIR: &str = "/etc/kwif-oidc/documents";
pub const CONFIG_DIR: &str = "/etc/kwif-oidc/nginx";
pub const PORT: u16 = 8080;
/// The pod template annotation that rolls the pods when the config or documents change, so a
/// finished rollout means the new keys are served.
pub const CONTENT_ANNOTATION: &str = "kwif/content-sha256";
/// The documents ConfigMap's annotation recording when each stale key was retired
/// (`kid` → RFC 3339, JSON); absent while there is none.
pub const RETIRED_KEYS_ANNOTATION: &str = "kwif/retired-keys";
const UID: i64 = 101;

/// What runs in the cluster: the manifests and the nginx config, made from the profile alone.
#[derive(Clone, Debug)]
pub struct NginxSite {
    hosting: NginxHosting,
    issuer: IssuerUrl,
    image: String,
    replicas: i64,
}

impl NginxSite {
    pub fn new(hosting: NginxHosting, issuer: IssuerUrl) -> NginxSite {
        NginxSite {
            hosting,
            issuer,
            image: DEFAULT_IMAGE.to_string(),
            replicas: 2,
        }
    }

    /// Another nginx image (a mirror); it must run as uid 101 like nginx-unprivileged.
    pub fn with_image(mut self, image: impl Into<String>) -> NginxSite {
        self.image = image.into();
        self
    }

    pub fn describe(&self) -> String {
        format!(
            "nginx in namespace {} behind Ingress {APP} for {}",
            self.hosting.namespace, self.hosting.host
        )
    }

    fn namespace(&self) -> &str {
        self.hosting.namespace.as_str()
    }

    fn labels(&self) -> Value {
        json!({
            "app.kubernetes.io/name": APP,
            "app.kubernetes.io/part-of": "kwif",
            MANAGED_BY_LABEL: MANAGED_BY_KWIF,
        })
    }

    fn selector(&self) -> Value {
        json!({"app.kubernetes.io/name": APP, "app.kubernetes.io/part-of": "kwif"})
    }

    fn metadata(&self, name: &str) -> Value {
        json!({"name": name, "namespace": self.namespace(), "labels": self.labels()})
    }

    /// The two URL paths, percent-encoded as requests carry them: `/cluster1/.well-known/…`.
    fn url_paths(&self) -> Result<[String; 2], HostingError> {
        let url = url::Url::parse(self.issuer.as_str())
            .map_err(|error| HostingError::Issuer(error.to_string()))?;
        let prefix = url.path().trim_end_matches('/');
        Ok([
            format!("{prefix}/.well-known/openid-configuration"),
            format!("{prefix}/openid/v1/jwks"),
        ])
    }

    /// The nginx config: the two documents as `application/json`, 404 for anything else. TLS
    /// ends at the Ingress; paths below `/tmp` are the only writable ones (read-only root FS).
    pub fn nginx_config(&self) -> Result<String, HostingError> {
        // nginx matches locations against the decoded path.
        let prefix = issuer_path(&self.issuer)?;
        let location = |document: &str, file: &str| {
            format!(
                "        location = {} {{\n\
                 \x20           limit_except GET {{ deny all; }}\n\
                 \x20           types {{ }}\n\
                 \x20           default_type application/json;\n\
                 \x20           add_header Cache-Control \"public, max-age=300\" always;\n\
                 \x20           alias {DOCUMENTS_DIR}/{file};\n\
                 \x20       }}\n",
                nginx_string(&format!("{prefix}/{document}"))
            )
        };
        Ok(format!(
            "# Written by kwif for issuer {issuer}: serves its discovery document and JWKS, nothing else.\n\
             # Edit kwif.yaml and run `kwif apply --step hosting` instead of this file.\n\
             daemon off;\n\
             worker_processes 1;\n\
             pid /tmp/nginx.pid;\n\
             error_log stderr warn;\n\
             events {{\n    worker_connections 256;\n}}\n\
             http {{\n\
             \x20   access_log /dev/stdout;\n\
             \x20   server_tokens off;\n\
             \x20   client_body_temp_path /tmp/client_body;\n\
             \x20   proxy_temp_path /tmp/proxy;\n\
             \x20   fastcgi_temp_path /tmp/fastcgi;\n\
             \x20   uwsgi_temp_path /tmp/uwsgi;\n\
             \x20   scgi_temp_path /tmp/scgi;\n\
             \x20   server {{\n\
             \x20       listen {PORT};\n\
             \x20       # Entra ID reads both documents as application/json (azure.md §6).\n\
             {discovery}{jwks}\
             \x20       location / {{\n\
             \x20           return 404;\n\
             \x20       }}\n\
             \x20   }}\n\
             }}\n",
            issuer = self.issuer,
            discovery = location(".well-known/openid-configuration", DISCOVERY_KEY),
            jwks = location("openid/v1/jwks", JWKS_KEY),
        ))
    }

    /// Every object, in the order they are applied: Namespace, the two ConfigMaps, Deployment,
    /// Service, Ingress.
    pub fn manifests(&self, documents: &Documents) -> Result<Vec<Value>, HostingError> {
        let config = self.nginx_config()?;
        let mut hash = Sha256::new();
        for part in [
            config.as_str(),
            &documents.discovery_text(),
            &documents.jwks_text(),
        ] {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
        let content_hash: String = hash
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        Ok(vec![
            json!({
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": self.namespace(), "labels": self.labels()},
            }),
            self.documents_config_map(documents),
            json!({
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": self.metadata(NGINX_CONFIG_MAP),
                "data": {NGINX_CONFIG_KEY: config},
            }),
            self.deployment(&content_hash)?,
            self.service(),
            self.ingress()?,
        ])
    }

    /// The documents ConfigMap; applied without the annotation once no key is stale, server-side
    /// apply drops the annotation kwif owned.
    fn documents_config_map(&self, documents: &Documents) -> Value {
        let mut metadata = self.metadata(DOCUMENTS_CONFIG_MAP);
        if !documents.retired.is_empty() {
            metadata["annotations"] = json!({RETIRED_KEYS_ANNOTATION: documents.retired.to_json()});
        }
        json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": metadata,
            "data": {DISCOVERY_KEY: documents.discovery_text(), JWKS_KEY: documents.jwks_text()},
        })
    }

    /// The objects kwif made for the site that `destroy` may delete, in the reverse of the order
    /// they are applied (Ingress first, the documents last): their identity only. The Namespace
    /// is not among them: it may have existed before kwif applied its labels to it.
    pub fn removal_objects(&self) -> Vec<Value> {
        let object = |api_version: &str, kind: &str, name: &str| json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "namespace": self.namespace()}});
        vec![
            object("networking.k8s.io/v1", "Ingress", APP),
            object("v1", "Service", APP),
            object("apps/v1", "Deployment", APP),
            object("v1", "ConfigMap", NGINX_CONFIG_MAP),
            object("v1", "ConfigMap", DOCUMENTS_CONFIG_MAP),
        ]
    }

    pub fn namespace_name(&self) -> &str {
        self.namespace()
    }

    fn deployment(&self, content_hash: &str) -> Result<Value, HostingError> {
        let [discovery_path, _] = self.url_paths()?;
        let probe = |initial: i64, period: i64| {
            json!({
                "httpGet": {"path": discovery_path, "port": "http"},
                "initialDelaySeconds": initial,
                "periodSeconds": period,
                "timeoutSeconds": 2,
                "failureThreshold": 3,
            })
        };
        Ok(json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": self.metadata(APP),
            "spec": {
                "replicas": self.replicas,
                "selector": {"matchLabels": self.selector()},
                // A new pod serves before an old one stops: no moment without the documents.
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
                "template": {
                    "metadata": {"labels": self.labels(), "annotations": {CONTENT_ANNOTATION: content_hash}},
                    "spec": {
                        "automountServiceAccountToken": false,
                        "securityContext": {
                            "runAsNonRoot": true,
                            "runAsUser": UID,
                            "runAsGroup": UID,
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        "containers": [{
                            "name": "nginx",
                            "image": self.image,
                            "command": ["nginx", "-e", "stderr", "-c", format!("{CONFIG_DIR}/{NGINX_CONFIG_KEY}")],
                            "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
                            "readinessProbe": probe(1, 10),
                            "livenessProbe": probe(5, 20),
                            "resources": {
                                "requests": {"cpu": "10m", "memory": "16Mi"},
                                "limits": {"cpu": "100m", "memory": "64Mi"},
                            },
                            "securityContext": {
                                "allowPrivilegeEscalation": false,
                                "readOnlyRootFilesystem": true,
                                "runAsNonRoot": true,
                                "capabilities": {"drop": ["ALL"]},
                            },
                            "volumeMounts": [
                                {"name": "documents", "mountPath": DOCUMENTS_DIR, "readOnly": true},
                                {"name": "nginx-config", "mountPath": CONFIG_DIR, "readOnly": true},
                                {"name": "tmp", "mountPath": "/tmp"},
                            ],
                        }],
                        "volumes": [
                            {"name": "documents", "configMap": {"name": DOCUMENTS_CONFIG_MAP}},
                            {"name": "nginx-config", "configMap": {"name": NGINX_CONFIG_MAP}},
                            {"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "16Mi"}},
                        ],
                    },
                },
            },
        }))
    }

    fn service(&self) -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": self.metadata(APP),
            "spec": {
                "type": "ClusterIP",
                "selector": self.selector(),
                "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
            },
        })
    }

    fn ingress(&self) -> Result<Value, HostingError> {
        let mut metadata = self.metadata(APP);
        if let Some(cluster_issuer) = &self.hosting.cluster_issuer {
            metadata["annotations"] =
                json!({"cert-manager.io/cluster-issuer": cluster_issuer.as_str()});
        }
        let backend = json!({"service": {"name": APP, "port": {"name": "http"}}});
        // Exact paths: the Ingress routes the two documents and nothing else to nginx.
        let paths: Vec<Value> = self
            .url_paths()?
            .into_iter()
            .map(|path| json!({"path": path, "pathType": "Exact", "backend": backend}))
            .collect();
        let host = self.hosting.host.as_str();
        Ok(json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": metadata,
            "spec": {
                "ingressClassName": self.hosting.ingress_class.as_str(),
                "tls": [{"hosts": [host], "secretName": TLS_SECRET}],
                "rules": [{"host": host, "http": {"paths": paths}}],
            },
        }))
    }
}

/// Applies the site to the cluster and reads it back.
pub struct NginxPublisher {
    client: Client,
    site: NginxSite,
    rollout_timeout: Duration,
}

impl NginxPublisher {
    pub fn new(client: Client, site: NginxSite) -> NginxPublisher {
        NginxPublisher {
            client,
            site,
            rollout_timeout: Duration::from_secs(300),
        }
    }

    pub fn with_rollout_timeout(mut self, timeout: Duration) -> NginxPublisher {
        self.rollout_timeout = timeout;
        self
    }

    pub fn site(&self) -> &NginxSite {
        &self.site
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn describe(&self) -> String {
        self.site.describe()
    }

    pub fn notes(&self) -> Vec<Finding> {
        if self.site.hosting.cluster_issuer.is_some() {
            return Vec::new();
        }
        vec![Finding::warning(
            "HOSTING_TLS_BY_USER",
            format!(
                "no cert-manager ClusterIssuer is set, so the Ingress expects Secret {}/{TLS_SECRET} with a certificate for {}",
                self.site.namespace(),
                self.site.hosting.host
            ),
            format!(
                "kubectl create secret tls {TLS_SECRET} -n {} --cert=CERT --key=KEY, or set hosting.nginx.clusterIssuer",
                self.site.namespace()
            ),
        )]
    }

    fn documents_location(&self) -> String {
        format!("ConfigMap {}/{DOCUMENTS_CONFIG_MAP}", self.site.namespace())
    }

    pub async fn read(&self) -> Result<Published, HostingError> {
        let probe = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": self.site.metadata(DOCUMENTS_CONFIG_MAP)});
        let live = manifests::live(&self.client, &probe)
            .await?
            .unwrap_or(Value::Null);
        let data = &live["data"];
        Ok(Published {
            discovery: data[DISCOVERY_KEY].as_str().map(str::to_string),
            jwks: data[JWKS_KEY].as_str().map(str::to_string),
            location: self.documents_location(),
            retired: live["metadata"]["annotations"][RETIRED_KEYS_ANNOTATION]
                .as_str()
                .map(RetiredKeys::parse)
                .unwrap_or_default(),
        })
    }

    /// Objects missing, documents or config outdated; read-only (no dry run).
    pub async fn drift(&self, documents: &Documents) -> Result<Vec<Finding>, HostingError> {
        let mut findings = Vec::new();
        for object in self.site.manifests(documents)? {
            let Some(live) = manifests::live(&self.client, &object).await? else {
                findings.push(Finding::warning(
                    "HOSTING_OBJECT_MISSING",
                    format!("{} does not exist", manifests::target(&object)),
                    PUBLISH_FIX,
                ));
                continue;
            };
            let data = &live["data"];
            let location = self.documents_location();
            match object["metadata"]["name"].as_str() {
                Some(DOCUMENTS_CONFIG_MAP) if object["kind"] == "ConfigMap" => {
                    findings.extend(document_drift(
                        "discovery document",
                        &location,
                        data[DISCOVERY_KEY].as_str(),
                        &documents.discovery,
                    ));
                    findings.extend(document_drift(
                        "JWKS",
                        &location,
                        data[JWKS_KEY].as_str(),
                        &documents.jwks,
                    ));
                }
                Some(NGINX_CONFIG_MAP)
                    if data[NGINX_CONFIG_KEY] != object["data"][NGINX_CONFIG_KEY] =>
                {
                    findings.push(Finding::warning(
                        "HOSTING_NGINX_CONFIG_OUTDATED",
                        format!(
                            "{} differs from the config kwif writes",
                            manifests::target(&object)
                        ),
                        PUBLISH_FIX,
                    ));
                }
                _ => {}
            }
        }
        Ok(findings)
    }

    pub async fn plan(&self, documents: &Documents) -> Result<Vec<Change>, HostingError> {
        manifests::plan(&self.client, &self.site.manifests(documents)?).await
    }

    /// Applies every object, then waits until the pods serving the new documents are ready.
    pub async fn publish(&self, documents: &Documents) -> Result<(), HostingError> {
        manifests::apply(&self.client, &self.site.manifests(documents)?).await?;
        let resource = cluster::api_resource("apps", "v1", "Deployment");
        let deployments = cluster::dynamic_api(&self.client, &resource, self.site.namespace());
        cluster::wait_for_rollout(
            &deployments,
            APP,
            Duration::from_millis(200),
            self.rollout_timeout,
        )
        .await?;
        Ok(())
    }
}

/// A string as an nginx config token: double-quoted, `\` and `"` escaped.
fn nginx_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{HostName, Namespace, ObjectName};

    fn site(issuer: &str) -> NginxSite {
        let issuer = IssuerUrl::parse(issuer).unwrap();
        let hosting = NginxHosting {
            host: HostName::parse(issuer.host()).unwrap(),
            ingress_class: ObjectName::parse("nginx").unwrap(),
            cluster_issuer: None,
            namespace: Namespace::parse("kwif-oidc").unwrap(),
        };
        NginxSite::new(hosting, issuer)
    }

    #[test]
    fn the_config_has_two_exact_locations_and_a_404_for_the_rest() {
        let config = site("https://oidc.example.com/cluster1/")
            .nginx_config()
            .unwrap();
        let locations: Vec<&str> = config
            .lines()
            .filter(|line| line.trim_start().starts_with("location"))
            .map(str::trim)
            .collect();
        assert_eq!(
            locations,
            [
                "location = \"/cluster1/.well-known/openid-configuration\" {",
                "location = \"/cluster1/openid/v1/jwks\" {",
                "location / {",
            ]
        );
        assert!(
            config.contains("alias /etc/kwif-oidc/documents/openid-configuration;"),
            "{config}"
        );
        assert!(
            config.contains("alias /etc/kwif-oidc/documents/jwks;"),
            "{config}"
        );
        assert!(config.contains("            return 404;\n"), "{config}");
    }

    #[test]
    fn the_retirement_record_is_an_annotation_of_the_documents_config_map_only_while_there_is_one()
    {
        let site = site("https://oidc.example.com/cluster1");
        let issuer = IssuerUrl::parse("https://oidc.example.com/cluster1").unwrap();
        let documents = Documents::for_keys(&issuer, &[]);
        let annotations = |documents: &Documents| {
            site.manifests(documents).unwrap()[1]["metadata"]["annotations"].clone()
        };
        assert_eq!(annotations(&documents), Value::Null);
        let retired = RetiredKeys::default().with(
            "old",
            std::time::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
        );
        assert_eq!(
            annotations(&documents.with_retired_keys(retired)),
            json!({RETIRED_KEYS_ANNOTATION: r#"{"old":"2027-01-15T08:00:00Z"}"#})
        );
    }

    #[test]
    fn nginx_strings_escape_quotes_and_backslashes() {
        assert_eq!(nginx_string("/a\"b\\c"), "\"/a\\\"b\\\\c\"");
        let config = site("https://oidc.example.com/a%22b")
            .nginx_config()
            .unwrap();
        assert!(
            config.contains("location = \"/a\\\"b/openid/v1/jwks\" {"),
            "{config}"
        );
    }
}
