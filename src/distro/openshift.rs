//! OpenShift: `spec.serviceAccountIssuer` of the `Authentication` resource named `cluster`. The
//! kube-apiserver operator rolls it out, trusts the previous issuer for 24 hours by itself and
//! manages the JWKS URI (kubernetes.md §6.9).

use super::yaml_edit::{Edit, string_at};
use super::yaml_file::YamlFile;
use super::{
    ConfigChange, DistroError, IssuerChange, describe_document, rewritten_note, wrong_format,
};

const SNIPPET: &str =
    "apiVersion: config.openshift.io/v1\nkind: Authentication\nmetadata:\n  name: cluster\n";
const DEFAULT_ISSUER: &str = "https://kubernetes.default.svc";

pub(super) fn change(
    current: Option<&str>,
    change: &IssuerChange,
) -> Result<ConfigChange, DistroError> {
    let text = current.unwrap_or(SNIPPET);
    let mut file = YamlFile::parse(text, "the OpenShift Authentication resource")?;
    let found = file.documents().find(|(_, value)| {
        string_at(value, &["apiVersion"]) == Some("config.openshift.io/v1")
            && string_at(value, &["kind"]) == Some("Authentication")
    });
    let Some((index, value)) = found.map(|(index, value)| (index, value.clone())) else {
        let first = file
            .documents()
            .map(|(_, value)| describe_document(value))
            .next()
            .unwrap_or_default();
        return Err(wrong_format(
            "an OpenShift Authentication resource (apiVersion config.openshift.io/v1, kind Authentication)",
            text,
            first,
        ));
    };
    let before =
        string_at(&value, &["spec", "serviceAccountIssuer"]).filter(|issuer| !issuer.is_empty());
    let before = before.unwrap_or(DEFAULT_ISSUER).to_string();
    file.edit(
        index,
        &[Edit::set(
            &["spec"],
            "serviceAccountIssuer",
            change.new_issuer(),
        )],
    )?;

    let mut notes = Vec::new();
    if before != change.new_issuer() {
        notes.push(format!(
            "OpenShift keeps trusting the previous issuer {before} for 24 hours after the rollout, then tokens \
             it issued are rejected (docs.redhat.com, OCP 4.18 bound service account tokens)"
        ));
    }
    if let Some(old) = change.old_issuer() {
        notes.push(format!(
            "--keep-issuer {old}: OpenShift cannot accept an old issuer for longer than those 24 hours; make \
             sure every pod gets a new token within them (the kubelet refreshes them within 24 h)"
        ));
    }
    notes.push(format!(
        "the kube-apiserver operator manages --service-account-jwks-uri (the internal API URL); kwif publishes \
         its own discovery document whose jwks_uri is {}",
        change.jwks_uri
    ));
    if string_at(&value, &["metadata", "name"]).is_some_and(|name| name != "cluster") {
        notes.push("OpenShift reads only the Authentication resource named cluster".to_string());
    }
    notes.extend(rewritten_note(&file));
    Ok(ConfigChange {
        text: file.render(),
        notes,
        restart: vec![
            "oc apply -f authentication.yaml".to_string(),
            "oc get clusteroperator kube-apiserver -w   # wait until PROGRESSING is False again"
                .to_string(),
        ],
        path: "Authentication cluster (oc get authentication.config.openshift.io cluster -o yaml)",
    })
}
