//! `DIR/azure/`: the managed identity, its roles and its federated credentials as Terraform
//! (azurerm), with an `import` block for each resource that exists already so that adopting it
//! changes nothing. It describes the profile's first managed identity (`gather::terraform_identity`).
//! Text only; what exists was read before (`gather`).

use std::fmt::Write;

use crate::azure::cosmos::BUILT_IN_ROLES;
use crate::profile::{Cloud, Profile, RoleAssignment};
use crate::steps::federation::desired_credentials;

use super::gather::{AzureState, terraform_identity};

/// `main.tf`, `variables.tf` and `outputs.tf` (no outputs without a managed identity).
pub fn files(profile: &Profile, state: &AzureState) -> Vec<(String, String)> {
    let mut files = vec![("main.tf".to_string(), main(profile, state))];
    if terraform_identity(profile).is_some() {
        files.push(("outputs.tf".to_string(), OUTPUTS.to_string()));
    }
    files.push(("variables.tf".to_string(), variables(profile, state)));
    files
}

/// A Terraform string literal: JSON's escapes, plus `$${` and `%%{` so nothing is interpolated.
pub fn string(text: &str) -> String {
    serde_json::Value::from(text)
        .to_string()
        .replace("${", "$${")
        .replace("%{", "%%{")
}

/// A resource label from free text: letters, digits and `_`, starting with a letter.
fn label(text: &str) -> String {
    let label: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if label.starts_with(|c: char| c.is_ascii_alphabetic()) {
        label
    } else {
        format!("r_{label}")
    }
}

fn import(out: &mut String, to: &str, id: Option<&String>) {
    if let Some(id) = id {
        let _ = writeln!(out, "import {{\n  to = {to}\n  id = {}\n}}\n", string(id));
    }
}

/// azurerm's `environment` for the cloud; a custom cloud has none.
fn environment(cloud: &Cloud) -> Option<&'static str> {
    match cloud {
        Cloud::Public => Some("public"),
        Cloud::China => Some("china"),
        Cloud::UsGov => Some("usgovernment"),
        Cloud::Custom(_) => None,
    }
}

fn main(profile: &Profile, state: &AzureState) -> String {
    let mut out = String::from(
        "# Written by `kwif export` from kwif.yaml. `terraform apply` creates what is missing and adopts,\n\
         # through the import blocks, what exists already (Terraform 1.5 or later).\n\n\
         terraform {\n  required_version = \">= 1.5.0\"\n  required_providers {\n    azurerm = {\n      source  = \"hashicorp/azurerm\"\n      version = \">= 4.0.0, < 5.0.0\"\n    }\n  }\n}\n\n",
    );
    out.push_str("provider \"azurerm\" {\n  features {}\n  subscription_id = var.subscription_id\n  tenant_id       = var.tenant_id\n");
    match environment(&profile.azure.cloud) {
        Some(name) => {
            let _ = writeln!(out, "  environment     = {}", string(name));
        }
        None => out.push_str(
            "  # azure.cloud is custom: point the provider at your cloud (metadata_host).\n",
        ),
    }
    out.push_str("}\n\n");
    let Some(exported) = terraform_identity(profile) else {
        out.push_str(
            "# The profile has no managed identity: its app registrations are set up by\n\
             # `kwif apply --step identity --step federation`.\n",
        );
        return out;
    };
    let identity = "azurerm_user_assigned_identity.identity";
    let _ = writeln!(
        out,
        "resource \"azurerm_user_assigned_identity\" \"identity\" {{\n  name                = {}\n  resource_group_name = var.resource_group_name\n  location            = var.location\n  tags                = {}\n}}\n",
        string(exported.name.as_str()),
        tags(state),
    );
    import(
        &mut out,
        identity,
        state.identity.as_ref().map(|(id, _)| id),
    );
    for (index, role) in exported.roles.iter().enumerate() {
        let existing = state.role_assignments.get(index).cloned().flatten();
        match role {
            RoleAssignment::Azure { role, scope } => {
                let to = format!("azurerm_role_assignment.role_{index}");
                let _ = write!(
                    out,
                    "resource \"azurerm_role_assignment\" \"role_{index}\" {{\n  scope                = {}\n  role_definition_name = {}\n  principal_id         = {identity}.principal_id\n  principal_type       = \"ServicePrincipal\"\n",
                    string(scope.as_str()),
                    string(role.as_str()),
                );
                // An adopted assignment keeps its name; a new one gets Terraform's.
                if let Some(name) = existing.as_deref().and_then(|id| id.rsplit('/').next()) {
                    let _ = writeln!(out, "  name                 = {}", string(name));
                }
                out.push_str("}\n\n");
                import(&mut out, &to, existing.as_ref());
            }
            RoleAssignment::CosmosData { role, account } => {
                let definition = state
                    .cosmos_definitions
                    .get(index)
                    .cloned()
                    .flatten()
                    .or_else(|| {
                        BUILT_IN_ROLES
                            .iter()
                            .find(|(name, _)| *name == role.as_str())
                            .map(|(_, guid)| {
                                format!("{}/sqlRoleDefinitions/{guid}", account.as_str())
                            })
                    })
                    .unwrap_or_else(|| {
                        format!(
                            "{}/sqlRoleDefinitions/ROLE_DEFINITION_GUID_OF_{}",
                            account.as_str(),
                            label(role.as_str())
                        )
                    });
                let to = format!("azurerm_cosmosdb_sql_role_assignment.cosmos_{index}");
                let _ = write!(
                    out,
                    "resource \"azurerm_cosmosdb_sql_role_assignment\" \"cosmos_{index}\" {{\n  # {}\n  resource_group_name = {}\n  account_name        = {}\n  role_definition_id  = {}\n  scope               = {}\n  principal_id        = {identity}.principal_id\n",
                    role.as_str(),
                    string(account.resource_group().as_str()),
                    string(account.account()),
                    string(&definition),
                    string(account.as_str()),
                );
                if let Some(name) = existing.as_deref().and_then(|id| id.rsplit('/').next()) {
                    let _ = writeln!(out, "  name                = {}", string(name));
                }
                out.push_str("}\n\n");
                import(&mut out, &to, existing.as_ref());
            }
        }
    }
    let wanted = desired_credentials(
        &profile.issuer,
        profile.azure.audience(),
        profile.workloads_of(exported),
    );
    for (index, credential) in wanted.iter().enumerate() {
        let name = label(&credential.name);
        let _ = writeln!(
            out,
            "resource \"azurerm_federated_identity_credential\" {} {{\n  name                = {}\n  resource_group_name = var.resource_group_name\n  parent_id           = {identity}.id\n  # Entra compares issuer, subject and audience byte for byte with the token.\n  issuer              = {}\n  subject             = {}\n  audience            = [{}]\n}}\n",
            string(&name),
            string(&credential.name),
            string(&credential.issuer),
            string(&credential.subject),
            credential
                .audiences
                .iter()
                .map(|a| string(a))
                .collect::<Vec<_>>()
                .join(", "),
        );
        let existing = state.existing_credentials.get(index).cloned().flatten();
        import(
            &mut out,
            &format!("azurerm_federated_identity_credential.{name}"),
            existing.as_ref(),
        );
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// The identity's tags: the existing ones when it is adopted, else kwif's.
fn tags(state: &AzureState) -> String {
    let existing = state
        .identity
        .as_ref()
        .and_then(|(_, tags)| tags.as_object().cloned());
    let tags = existing.unwrap_or_else(|| {
        let mut tags = serde_json::Map::new();
        tags.insert("created-by".into(), "kwif".into());
        tags
    });
    let entries: Vec<String> = tags
        .iter()
        .map(|(key, value)| {
            format!(
                "{} = {}",
                string(key),
                string(value.as_str().unwrap_or_default())
            )
        })
        .collect();
    format!("{{ {} }}", entries.join(", "))
}

fn variables(profile: &Profile, state: &AzureState) -> String {
    let optional = |value: Option<uuid::Uuid>| value.map(|id| string(&id.to_string()));
    let variable = |name: &str, description: &str, default: Option<String>| match default {
        Some(default) => format!(
            "variable \"{name}\" {{\n  description = {}\n  type        = string\n  default     = {default}\n}}\n",
            string(description)
        ),
        None => format!(
            "variable \"{name}\" {{\n  description = {}\n  type        = string\n}}\n",
            string(description)
        ),
    };
    [
        variable(
            "subscription_id",
            "The subscription of the identity (kwif.yaml azure.subscription)",
            optional(state.subscription.or(profile.azure.subscription)),
        ),
        variable(
            "tenant_id",
            "The Entra tenant (kwif.yaml azure.tenant)",
            optional(state.tenant.or(profile.azure.tenant)),
        ),
        variable(
            "resource_group_name",
            "The identity's resource group (kwif.yaml azure.resourceGroup)",
            Some(string(profile.azure.resource_group.as_str())),
        ),
        variable(
            "location",
            "The identity's region (kwif.yaml azure.location)",
            Some(string(profile.azure.location.as_str())),
        ),
    ]
    .join("\n")
}

const OUTPUTS: &str = "\
output \"client_id\" {
  description = \"AZURE_CLIENT_ID of the workloads (kwif.yaml identity.clientId)\"
  value       = azurerm_user_assigned_identity.identity.client_id
}

output \"principal_id\" {
  description = \"The identity's service principal (kwif.yaml identity.principalId)\"
  value       = azurerm_user_assigned_identity.identity.principal_id
}

output \"tenant_id\" {
  description = \"AZURE_TENANT_ID of the workloads\"
  value       = azurerm_user_assigned_identity.identity.tenant_id
}
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_interpolation_and_labels_are_identifiers() {
        assert_eq!(string("a\"${b}%{c}"), "\"a\\\"$${b}%%{c}\"");
        assert_eq!(label("kwif-app-app-sa"), "kwif_app_app_sa");
        assert_eq!(label("1x"), "r_1x");
    }
}
