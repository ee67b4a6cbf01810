//! The hosting block: its kind, the one sub-block that kind reads, and the rules that tie the
//! hosting to the issuer (nginx serves at the issuer's host, a blob issuer names its account).

use std::path::PathBuf;

use crate::oidc::issuer::IssuerUrl;
use crate::profile::choice::{BlobModeName, HostingKind};
use crate::profile::error::{InvalidValue, quoted};
use crate::profile::raw::{RawAzureBlob, RawHosting, RawNginx};
use crate::profile::{
    AzureBlobHosting, BlobMode, ContainerName, HostName, Hosting, Namespace, NginxHosting,
    ObjectName, ResourceGroupName, StorageAccountName,
};

use super::Checker;

pub(super) fn check_hosting(
    checker: &mut Checker,
    raw: RawHosting,
    issuer: Option<&IssuerUrl>,
) -> Option<Hosting> {
    let kind = checker.required(
        "hosting.kind",
        raw.kind.as_deref(),
        HostingKind::parse,
        "add one of nginx, azure-blob, directory, apiserver",
    )?;
    let blocks = [
        ("nginx", raw.nginx.is_some(), HostingKind::Nginx),
        (
            "azureBlob",
            raw.azure_blob.is_some(),
            HostingKind::AzureBlob,
        ),
        ("directory", raw.directory.is_some(), HostingKind::Directory),
    ];
    for (block, present, owner) in blocks {
        if present && owner != kind {
            checker.fail(
                format!("hosting.{block}"),
                format!("is only read when kind is {owner}, but kind is {kind}: remove it, or set kind: {owner}"),
            );
        }
    }
    match kind {
        HostingKind::Nginx => {
            check_nginx(checker, raw.nginx.unwrap_or_default(), issuer).map(Hosting::Nginx)
        }
        HostingKind::AzureBlob => {
            check_azure_blob(checker, raw.azure_blob.unwrap_or_default(), issuer)
                .map(Hosting::AzureBlob)
        }
        HostingKind::Directory => {
            let path = raw.directory.unwrap_or_default().path;
            let parse = |text: &str| match text.trim() {
                "" => Err(InvalidValue(format!(
                    "{} is empty: give the directory the static host serves, e.g. \"./public\"",
                    quoted(text)
                ))),
                _ => Ok(PathBuf::from(text)),
            };
            checker
                .required(
                    "hosting.directory.path",
                    path.as_deref(),
                    parse,
                    "give the directory to write to, e.g. \"./public\"",
                )
                .map(|path| Hosting::Directory { path })
        }
        HostingKind::ApiServer => Some(Hosting::ApiServer),
    }
}

fn check_nginx(
    checker: &mut Checker,
    raw: RawNginx,
    issuer: Option<&IssuerUrl>,
) -> Option<NginxHosting> {
    let issuer_host = issuer.map_or("oidc.example.com", IssuerUrl::host);
    let host = checker.required(
        "hosting.nginx.host",
        raw.host.as_deref(),
        HostName::parse,
        &format!("add the issuer's host name, e.g. {issuer_host:?}"),
    );
    let ingress_class = checker.optional(
        "hosting.nginx.ingressClass",
        raw.ingress_class.as_deref(),
        ObjectName::parse,
    );
    let cluster_issuer = checker.optional(
        "hosting.nginx.clusterIssuer",
        raw.cluster_issuer.as_deref(),
        ObjectName::parse,
    );
    let namespace = checker.optional(
        "hosting.nginx.namespace",
        raw.namespace.as_deref(),
        Namespace::parse,
    );
    let host = host?;
    if let Some(issuer) = issuer
        && host.as_str() != issuer.host()
    {
        checker.fail(
            "hosting.nginx.host",
            format!(
                "{} differs from the host of issuer {} ({:?}): nginx serves the documents at the issuer URL, \
                 so use the same host in both",
                quoted(host.as_str()),
                quoted(issuer.as_str()),
                issuer.host()
            ),
        );
    }
    Some(NginxHosting {
        host,
        ingress_class: ingress_class.unwrap_or_else(|| ObjectName("nginx".to_string())),
        cluster_issuer,
        namespace: namespace.unwrap_or_else(|| Namespace("kwif-oidc".to_string())),
    })
}

fn check_azure_blob(
    checker: &mut Checker,
    raw: RawAzureBlob,
    issuer: Option<&IssuerUrl>,
) -> Option<AzureBlobHosting> {
    let storage_account = checker.required(
        "hosting.azureBlob.storageAccount",
        raw.storage_account.as_deref(),
        StorageAccountName::parse,
        "add the storage account that serves the documents, e.g. \"stoidc1\"",
    );
    let mode = checker
        .optional(
            "hosting.azureBlob.mode",
            raw.mode.as_deref(),
            BlobModeName::parse,
        )
        .unwrap_or(BlobModeName::PublicContainer);
    let mode = match mode {
        BlobModeName::PublicContainer => checker
            .required(
                "hosting.azureBlob.container",
                raw.container.as_deref(),
                ContainerName::parse,
                "add the container that serves the documents, e.g. \"oidc\"",
            )
            .map(BlobMode::PublicContainer),
        BlobModeName::StaticWebsite => {
            if raw
                .container
                .as_deref()
                .is_some_and(|container| container != "$web")
            {
                checker.fail(
                    "hosting.azureBlob.container",
                    "is not used with mode static-website, which always serves the $web container: remove it",
                );
            }
            Some(BlobMode::StaticWebsite)
        }
    };
    let resource_group = checker.optional(
        "hosting.azureBlob.resourceGroup",
        raw.resource_group.as_deref(),
        ResourceGroupName::parse,
    );
    let hosting = AzureBlobHosting {
        storage_account: storage_account?,
        mode: mode?,
        resource_group,
    };
    if let Some(issuer) = issuer {
        check_blob_issuer(checker, &hosting, issuer);
    }
    Some(hosting)
}

/// When the issuer uses a storage endpoint (`<account>.blob.…` or `<account>[.zNN].web.…`), its
/// account and container must be the ones kwif uploads to. Other hosts (a CDN) are not checked.
fn check_blob_issuer(checker: &mut Checker, hosting: &AzureBlobHosting, issuer: &IssuerUrl) {
    let host = issuer.host();
    let Some((account, _)) = host.split_once('.') else {
        return;
    };
    let service = if matches!(hosting.mode, BlobMode::PublicContainer(_)) {
        ".blob."
    } else {
        ".web."
    };
    if !host.contains(service) {
        return;
    }
    if account != hosting.storage_account.as_str() {
        checker.fail(
            "hosting.azureBlob.storageAccount",
            format!(
                "{} differs from the account in issuer {} ({account:?}): the documents are uploaded to this \
                 account, so the issuer must name it too",
                quoted(hosting.storage_account.as_str()),
                quoted(issuer.as_str())
            ),
        );
    }
    let BlobMode::PublicContainer(container) = &hosting.mode else {
        return;
    };
    let path = issuer.as_str().split("://").nth(1).unwrap_or_default();
    let in_issuer = path.split('/').nth(1).unwrap_or_default();
    if in_issuer != container.as_str() {
        checker.fail(
            "hosting.azureBlob.container",
            format!(
                "{} differs from the container in issuer {} ({in_issuer:?}): the issuer must be \
                 https://{host}/{container}/",
                quoted(container.as_str()),
                quoted(issuer.as_str())
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use crate::profile::tests::{MINIMAL, errors, example_with, only_error};
    use crate::profile::{BlobMode, ContainerName, Hosting, Profile, ResourceGroupName};

    #[test]
    fn nginx_defaults_fill_ingress_class_and_namespace() {
        let text = example_with(
            ", ingressClass: nginx, clusterIssuer: letsencrypt-prod, namespace: kwif-oidc",
            "",
        );
        let Hosting::Nginx(nginx) = Profile::from_yaml(&text).unwrap().hosting else {
            panic!()
        };
        assert_eq!(nginx.ingress_class.as_str(), "nginx");
        assert_eq!(nginx.namespace.as_str(), "kwif-oidc");
        assert_eq!(nginx.cluster_issuer, None);
    }

    #[test]
    fn nginx_host_must_equal_the_issuer_host_naming_both() {
        let text = example_with("host: oidc.example.com", "host: oidc.example.org");
        assert_eq!(
            only_error(&text),
            "hosting.nginx.host: \"oidc.example.org\" differs from the host of issuer \
             \"https://oidc.example.com/cluster1\" (\"oidc.example.com\"): nginx serves the documents at the issuer \
             URL, so use the same host in both"
        );
    }

    #[test]
    fn kind_nginx_without_its_block_asks_for_the_issuer_host() {
        let text = example_with(
            "  nginx: { host: oidc.example.com, ingressClass: nginx, clusterIssuer: letsencrypt-prod, namespace: kwif-oidc }\n",
            "",
        );
        assert_eq!(
            only_error(&text),
            "hosting.nginx.host: is missing: add the issuer's host name, e.g. \"oidc.example.com\""
        );
    }

    #[test]
    fn a_hosting_block_for_another_kind_is_rejected() {
        let text = example_with(
            "  kind: nginx\n",
            "  kind: nginx\n  directory: { path: ./public }\n",
        );
        assert_eq!(
            only_error(&text),
            "hosting.directory: is only read when kind is directory, but kind is nginx: remove it, or set kind: directory"
        );
    }

    const BLOB: &str = "\
issuer: https://stoidc1.blob.core.windows.net/oidc/
hosting:
  kind: azure-blob
  azureBlob: { storageAccount: stoidc1, container: oidc }
azure: { resourceGroup: rg1, location: westeurope }
identity: { name: id-app }
workloads:
  - { namespace: app, serviceAccount: app-sa, name: web }
";

    #[test]
    fn azure_blob_defaults_to_a_public_container() {
        let profile = Profile::from_yaml(BLOB).unwrap();
        let Hosting::AzureBlob(blob) = &profile.hosting else {
            panic!()
        };
        assert_eq!(
            blob.mode,
            BlobMode::PublicContainer(ContainerName::parse("oidc").unwrap())
        );
        assert_eq!(Profile::from_yaml(&profile.to_yaml()).unwrap(), profile);
    }

    #[test]
    fn azure_blob_takes_the_account_resource_group_when_it_differs() {
        let text = BLOB.replacen(
            "container: oidc }",
            "container: oidc, resourceGroup: rg-shared }",
            1,
        );
        let profile = Profile::from_yaml(&text).unwrap();
        let Hosting::AzureBlob(blob) = &profile.hosting else {
            panic!()
        };
        assert_eq!(
            blob.resource_group.as_ref().map(ResourceGroupName::as_str),
            Some("rg-shared")
        );
        assert_eq!(Profile::from_yaml(&profile.to_yaml()).unwrap(), profile);
        let bad = BLOB.replacen(
            "container: oidc }",
            "container: oidc, resourceGroup: \"rg/x\" }",
            1,
        );
        assert!(
            only_error(&bad).starts_with("hosting.azureBlob.resourceGroup: "),
            "{}",
            only_error(&bad)
        );
    }

    #[test]
    fn azure_blob_account_and_container_must_match_the_issuer() {
        let text = BLOB.replacen(
            "storageAccount: stoidc1, container: oidc",
            "storageAccount: stoidc2, container: keys",
            1,
        );
        assert_eq!(
            errors(&text),
            [
                "hosting.azureBlob.storageAccount: \"stoidc2\" differs from the account in issuer \
                 \"https://stoidc1.blob.core.windows.net/oidc/\" (\"stoidc1\"): the documents are uploaded to this \
                 account, so the issuer must name it too",
                "hosting.azureBlob.container: \"keys\" differs from the container in issuer \
                 \"https://stoidc1.blob.core.windows.net/oidc/\" (\"oidc\"): the issuer must be \
                 https://stoidc1.blob.core.windows.net/keys/",
            ]
        );
    }

    #[test]
    fn azure_blob_behind_a_custom_domain_is_not_compared() {
        let text = BLOB.replacen(
            "stoidc1.blob.core.windows.net/oidc/",
            "oidc.example.com/",
            1,
        );
        assert!(Profile::from_yaml(&text).is_ok());
    }

    #[test]
    fn static_website_needs_no_container_and_rejects_another_one() {
        let website = BLOB
            .replacen(
                "https://stoidc1.blob.core.windows.net/oidc/",
                "https://stoidc1.z6.web.core.windows.net/",
                1,
            )
            .replacen("container: oidc", "mode: static-website", 1);
        let profile = Profile::from_yaml(&website).unwrap();
        let Hosting::AzureBlob(blob) = &profile.hosting else {
            panic!()
        };
        assert_eq!(blob.mode, BlobMode::StaticWebsite);
        assert_eq!(Profile::from_yaml(&profile.to_yaml()).unwrap(), profile);
        let with_container = website.replacen(
            "mode: static-website",
            "mode: static-website, container: oidc",
            1,
        );
        assert_eq!(
            only_error(&with_container),
            "hosting.azureBlob.container: is not used with mode static-website, which always serves the $web \
             container: remove it"
        );
    }

    #[test]
    fn directory_hosting_needs_a_path() {
        let text = MINIMAL.replacen(
            "{ kind: apiserver }",
            "{ kind: directory, directory: { path: ./public } }",
            1,
        );
        let profile = Profile::from_yaml(&text).unwrap();
        assert_eq!(
            profile.hosting,
            Hosting::Directory {
                path: PathBuf::from("./public")
            }
        );
        assert_eq!(Profile::from_yaml(&profile.to_yaml()).unwrap(), profile);
        let text = MINIMAL.replacen("{ kind: apiserver }", "{ kind: directory }", 1);
        assert_eq!(
            only_error(&text),
            "hosting.directory.path: is missing: give the directory to write to, e.g. \"./public\""
        );
    }
}
