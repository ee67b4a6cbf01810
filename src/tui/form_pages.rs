//! The profile form's pages: which fields each step asks for, with their hints, choices and
//! the conditions under which they show, and the lists (roles, workloads) whose entries can be
//! added and removed. Pure data for `profile_form.rs`.

use serde_yaml::Value;

use super::field_path::FieldPath;
use super::form_field::{FieldKind, FormField};
use super::identity_fields::{kind_field, listed_identities, listed_identity_fields};
use crate::engine::StepId;
use crate::profile::{BlobModeName, DistributionChoice, HostingKind, WorkloadKind, WorkloadMode};

pub(super) const AZURE_ROLE: &str = "Azure role";
pub(super) const COSMOS_DATA_ROLE: &str = "Cosmos DB data role";
const ROLE_KINDS: &[&str] = &[AZURE_ROLE, COSMOS_DATA_ROLE];

/// A scalar as the user types it.
pub(super) fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        _ => String::new(),
    }
}

/// Which kind of role a role entry of the form holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum RoleSlot {
    Azure,
    CosmosData,
}

impl RoleSlot {
    /// The word of the entry's kind switch.
    pub(super) fn word(self) -> &'static str {
        match self {
            RoleSlot::Azure => AZURE_ROLE,
            RoleSlot::CosmosData => COSMOS_DATA_ROLE,
        }
    }
}

/// A list of kwif.yaml whose entries the user adds and removes on the page of its step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum EntryList {
    Roles,
    Workloads,
}

impl EntryList {
    /// The list the page of `step` can grow, if any.
    pub(super) fn on(step: StepId) -> Option<EntryList> {
        match step {
            StepId::Identity => Some(EntryList::Roles),
            StepId::Workload => Some(EntryList::Workloads),
            StepId::Issuer | StepId::Hosting | StepId::Federation | StepId::Verify => None,
        }
    }

    /// The list the page of `step` grows for a profile shaped like `base`: the roles of a
    /// single `identity:` only (listed identities keep their roles in kwif.yaml).
    pub(super) fn growable(step: StepId, base: &Value) -> Option<EntryList> {
        EntryList::on(step)
            .filter(|list| *list != EntryList::Roles || listed_identities(base).is_none())
    }

    pub(super) fn path(self) -> &'static str {
        match self {
            EntryList::Roles => "identity.roles",
            EntryList::Workloads => "workloads",
        }
    }

    /// How many entries must stay: the profile needs a workload, roles are optional.
    pub(super) fn minimum(self) -> usize {
        match self {
            EntryList::Roles => 0,
            EntryList::Workloads => 1,
        }
    }

    pub(super) fn entry_path(self, index: usize) -> FieldPath {
        FieldPath::parse(&format!("{}[{index}]", self.path()))
    }

    /// The index of the entry `path` lies in, if it lies in this list.
    pub(super) fn index_of(self, path: &FieldPath) -> Option<usize> {
        path.index_under(&FieldPath::parse(self.path()))
    }

    /// The fields of a new entry, with the defaults the first entry gets.
    pub(super) fn new_entry(self, index: usize) -> Vec<FormField> {
        match self {
            EntryList::Roles => role_fields(index, RoleSlot::Azure),
            EntryList::Workloads => workload_fields(index),
        }
    }
}

/// The fields `step` uses, for a profile shaped like `base` (one set per workload and role).
pub(super) fn step_fields(step: StepId, base: &Value) -> Vec<FormField> {
    let count = |path: &str| {
        FieldPath::parse(path)
            .get(base)
            .and_then(Value::as_sequence)
            .map_or(0, Vec::len)
    };
    match step {
        StepId::Issuer => issuer_fields(),
        StepId::Hosting => hosting_fields(),
        StepId::Identity if listed_identities(base).is_some() => {
            let mut fields = identity_fields(&[]);
            fields.retain(|field| field.path.to_string() != "identity.name");
            fields.extend(listed_identity_fields(count("identities")));
            fields
        }
        StepId::Identity => {
            let roles: Vec<RoleSlot> = (0..count("identity.roles"))
                .map(|index| {
                    let cosmos =
                        FieldPath::parse(&format!("identity.roles[{index}].cosmosDataRole"))
                            .get(base)
                            .is_some();
                    if cosmos {
                        RoleSlot::CosmosData
                    } else {
                        RoleSlot::Azure
                    }
                })
                .collect();
            let mut fields = identity_fields(&roles);
            let after_name = fields
                .iter()
                .position(|field| field.path.to_string() == "identity.name")
                .map_or(fields.len(), |name| name + 1);
            fields.insert(after_name, kind_field("identity"));
            fields
        }
        StepId::Federation => federation_fields(count("workloads")),
        StepId::Workload => (0..count("workloads").max(1))
            .flat_map(workload_fields)
            .collect(),
        StepId::Verify => vec![
            FormField::text(
                "issuer",
                "the issuer Entra ID compares byte for byte with the token's iss",
            ),
            FormField::text(
                "azure.tenant",
                "the tenant to exchange the token at; empty: from the Azure CLI",
            )
            .optional(),
        ],
    }
}

pub(super) fn issuer_fields() -> Vec<FormField> {
    vec![
        FormField::text(
            "cluster.context",
            "kubeconfig context (kubectl config get-contexts); empty: the current one",
        )
        .optional(),
        FormField::choice(
            "cluster.distribution",
            DistributionChoice::WORDS,
            "decides where the issuer flag lives; auto: detect it",
        ),
        FormField::text(
            "issuer",
            "the public https URL that serves the discovery document, e.g. https://oidc.example.com/cluster1",
        ),
    ]
}

pub(super) fn hosting_fields() -> Vec<FormField> {
    let nginx = |field: FormField| field.shown_when("hosting.kind", HostingKind::Nginx.as_str());
    let blob = |field: FormField| field.shown_when("hosting.kind", HostingKind::AzureBlob.as_str());
    vec![
        FormField::choice(
            "hosting.kind",
            HostingKind::WORDS,
            "where the discovery document and JWKS are published",
        ),
        nginx(
            FormField::text("hosting.nginx.host", "the issuer's host name").following_issuer_host(),
        ),
        nginx(
            FormField::text(
                "hosting.nginx.ingressClass",
                "the IngressClass; empty: nginx",
            )
            .optional()
            .with_value("nginx"),
        ),
        nginx(
            FormField::text(
                "hosting.nginx.clusterIssuer",
                "the cert-manager ClusterIssuer; empty: you provide TLS",
            )
            .optional(),
        ),
        nginx(
            FormField::text(
                "hosting.nginx.namespace",
                "where nginx runs; empty: kwif-oidc",
            )
            .optional(),
        ),
        blob(FormField::text(
            "hosting.azureBlob.storageAccount",
            "the storage account that serves the documents (created when missing), e.g. stoidc1",
        )),
        blob(
            FormField::text(
                "hosting.azureBlob.resourceGroup",
                "the account's resource group; empty: azure.resourceGroup",
            )
            .optional(),
        ),
        blob(FormField::choice(
            "hosting.azureBlob.mode",
            BlobModeName::WORDS,
            "a public container, or the $web static website",
        )),
        blob(FormField::text(
            "hosting.azureBlob.container",
            "the container that serves the documents, e.g. oidc",
        ))
        .shown_when(
            "hosting.azureBlob.mode",
            BlobModeName::PublicContainer.as_str(),
        ),
        FormField::text(
            "hosting.directory.path",
            "the directory your static host serves, e.g. ./public",
        )
        .shown_when("hosting.kind", HostingKind::Directory.as_str()),
    ]
}

pub(super) fn identity_fields(roles: &[RoleSlot]) -> Vec<FormField> {
    let mut fields = vec![
        FormField::text(
            "azure.tenant",
            "tenant id (az account show --query tenantId); empty: from the Azure CLI",
        )
        .optional(),
        FormField::text(
            "azure.subscription",
            "subscription id (az account show --query id); empty: from the Azure CLI",
        )
        .optional(),
        FormField::text(
            "azure.resourceGroup",
            "the resource group of the managed identity, e.g. rg-application1",
        ),
        FormField::text("azure.location", "the region's short name, e.g. westeurope"),
        FormField::text(
            "identity.name",
            "the managed identity to create or reuse, e.g. id-application1",
        ),
    ];
    for (index, slot) in roles.iter().enumerate() {
        fields.extend(role_fields(index, *slot));
    }
    fields
}

/// One role entry: a switch between the two kinds of role, then the fields of the chosen kind.
pub(super) fn role_fields(index: usize, slot: RoleSlot) -> Vec<FormField> {
    let entry = format!("identity.roles[{index}]");
    let path = |key: &str| format!("{entry}.{key}");
    let azure = |field: FormField| field.shown_when(&entry, AZURE_ROLE);
    let cosmos = |field: FormField| field.shown_when(&entry, COSMOS_DATA_ROLE);
    vec![
        FormField::choice(
            &entry,
            ROLE_KINDS,
            "an Azure role on a resource, or a Cosmos DB data role on an account",
        )
        .form_only()
        .with_value(slot.word()),
        azure(
            FormField::text(
                &path("role"),
                "an Azure role, e.g. Storage Blob Data Reader; empty: none",
            )
            .optional(),
        ),
        azure(
            FormField::text(
                &path("scope"),
                "the resource id it applies to, starting with /subscriptions/",
            )
            .optional(),
        ),
        cosmos(
            FormField::text(
                &path("cosmosDataRole"),
                "a Cosmos DB data role, e.g. Cosmos DB Built-in Data Reader; empty: none",
            )
            .optional(),
        ),
        cosmos(FormField::text(&path("account"), "the Cosmos DB account's resource id").optional()),
    ]
}

/// One workload entry.
pub(super) fn workload_fields(index: usize) -> Vec<FormField> {
    let path = |key: &str| format!("workloads[{index}].{key}");
    vec![
        FormField::text(
            &path("namespace"),
            "the workload's namespace, e.g. application1",
        ),
        FormField::text(
            &path("serviceAccount"),
            "the ServiceAccount its pods run as, e.g. application1-sa",
        ),
        FormField::choice(
            &path("kind"),
            WorkloadKind::WORDS,
            "the kind of object that runs the pods",
        ),
        FormField::text(&path("name"), "the object's name, e.g. web-server"),
        FormField::choice(
            &path("mode"),
            WorkloadMode::WORDS,
            "patch: server-side apply; webhook: AWI label; export: patches",
        ),
        FormField::new(
            &path("tokenExpirationSeconds"),
            FieldKind::Number,
            "projected token lifetime, 600 to 86400",
        )
        .with_value("3600"),
    ]
}

pub(super) fn federation_fields(workloads: usize) -> Vec<FormField> {
    let mut fields = vec![FormField::text(
        "issuer",
        "copied byte for byte into every federated credential",
    )];
    for index in 0..workloads {
        fields.push(
            FormField::text(
                &format!("workloads[{index}].federatedCredentialName"),
                "the credential's name; empty: kwif-<namespace>-<serviceAccount>",
            )
            .optional(),
        );
    }
    fields
}
