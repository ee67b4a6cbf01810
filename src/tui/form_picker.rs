//! The profile form's pickers: which list a field picks from (given the form's other fields),
//! the lists as they load in the background, and the selection in the list shown under the
//! focused field. Pure state: the host runs the lookups and delivers their results.

use std::collections::HashMap;

use crate::discover::{Source, Suggestion};

/// How many entries the list under a field shows at once.
pub const SHOWN: usize = 6;

/// A list as it stands.
#[derive(Clone, Debug, PartialEq)]
pub enum Loaded {
    Loading,
    Ready(Vec<Suggestion>),
    /// It cannot be had; the field takes free text and the reason is shown once.
    Unavailable(String),
}

/// What the form view draws under the focused field.
#[derive(Clone, Debug, PartialEq)]
pub enum PickerView<'a> {
    Loading(&'static str),
    Unavailable(&'a str),
    /// The list has entries but none matches what the field holds (a new name, say).
    NoMatch {
        noun: &'static str,
        total: usize,
    },
    /// The entries matching what the field holds, a window of them and the selected one.
    Entries {
        noun: &'static str,
        entries: Vec<&'a Suggestion>,
        first: usize,
        selected: usize,
    },
}

/// Every list the form asked for, and the picker of the focused field.
#[derive(Clone, Debug, Default)]
pub struct Pickers {
    lists: HashMap<Source, Loaded>,
    requests: Vec<Source>,
    /// The focused field's picker shows (Esc closes it, to type freely).
    open: bool,
    /// The entry the user moved to; `None`: the one the field holds, else the first.
    selected: Option<usize>,
}

impl Pickers {
    /// The list for `source`, asking for it the first time.
    pub fn want(&mut self, source: &Source) {
        if !self.lists.contains_key(source) {
            self.lists.insert(source.clone(), Loaded::Loading);
            self.requests.push(source.clone());
        }
    }

    /// The lists to look up since the last call (the host runs them in the background).
    pub fn take_requests(&mut self) -> Vec<Source> {
        std::mem::take(&mut self.requests)
    }

    pub fn deliver(&mut self, source: Source, result: Result<Vec<Suggestion>, String>) {
        let loaded = match result {
            Ok(list) => Loaded::Ready(list),
            Err(reason) => Loaded::Unavailable(reason),
        };
        self.lists.insert(source, loaded);
    }

    /// Whether any list is still loading (the host keeps its spinner turning).
    pub fn is_loading(&self) -> bool {
        self.lists.values().any(|loaded| *loaded == Loaded::Loading)
    }

    /// A new field has the focus: its picker opens at the top.
    pub fn focus_moved(&mut self) {
        self.open = true;
        self.selected = None;
    }

    /// The field's text changed: the filter did, so the selection goes back to the top.
    pub fn text_changed(&mut self) {
        self.open = true;
        self.selected = None;
    }

    pub fn close(&mut self) {
        self.open = false;
    }

    /// The entries of `source` that match `query` (case-insensitive, in value or label).
    pub fn matches(&self, source: &Source, query: &str) -> Vec<&Suggestion> {
        let Some(Loaded::Ready(list)) = self.lists.get(source) else {
            return Vec::new();
        };
        let query = query.trim().to_lowercase();
        // A value taken from the list shows the whole list again, not just itself.
        if list.iter().any(|entry| entry.value.to_lowercase() == query) {
            return list.iter().collect();
        }
        list.iter()
            .filter(|entry| {
                query.is_empty()
                    || entry.value.to_lowercase().contains(&query)
                    || entry.label.to_lowercase().contains(&query)
            })
            .collect()
    }

    /// Moves the selection from entry `from` by `by` within `count` entries.
    pub fn select(&mut self, from: usize, by: isize, count: usize) {
        let last = count.saturating_sub(1);
        self.selected = Some(from.saturating_add_signed(by).min(last));
    }

    /// What to draw under the focused field whose list is `source` and text is `query`.
    pub fn view(&self, source: &Source, query: &str) -> Option<PickerView<'_>> {
        if !self.open {
            return None;
        }
        match self.lists.get(source)? {
            Loaded::Loading => Some(PickerView::Loading(source.noun())),
            Loaded::Unavailable(reason) => Some(PickerView::Unavailable(reason)),
            Loaded::Ready(list) => {
                let entries = self.matches(source, query);
                if entries.is_empty() {
                    return (!list.is_empty()).then_some(PickerView::NoMatch {
                        noun: source.noun(),
                        total: list.len(),
                    });
                }
                let query = query.trim().to_lowercase();
                let held = entries
                    .iter()
                    .position(|entry| entry.value.to_lowercase() == query);
                let selected = self.selected.or(held).unwrap_or(0).min(entries.len() - 1);
                let first = selected.saturating_sub(SHOWN - 1);
                Some(PickerView::Entries {
                    noun: source.noun(),
                    entries,
                    first,
                    selected,
                })
            }
        }
    }
}

/// The list a field picks from; `value_of` reads another field of the form (by kwif.yaml
/// path). `None`: the field takes free text, or what it depends on is still empty.
pub fn source_for(path: &str, value_of: impl Fn(&str) -> Option<String>) -> Option<Source> {
    let filled = |path: String| value_of(&path).filter(|value| !value.trim().is_empty());
    let subscription = || filled("azure.subscription".to_string());
    let context = filled("cluster.context".to_string());
    if let Some((list, index, field)) = entry_field(path) {
        let sibling = |name: &str| filled(format!("{list}[{index}].{name}"));
        return match (list, field) {
            ("workloads", "namespace") => Some(Source::Namespaces { context }),
            ("workloads", "serviceAccount") => Some(Source::ServiceAccounts {
                context,
                namespace: sibling("namespace")?,
            }),
            ("workloads", "name") => Some(Source::Workloads {
                context,
                namespace: sibling("namespace")?,
                kind: sibling("kind").unwrap_or_else(|| "Deployment".to_string()),
            }),
            ("identity.roles", "role") => Some(Source::RoleNames {
                subscription: subscription()?,
            }),
            ("identity.roles", "scope") => Some(Source::Scopes {
                subscription: subscription()?,
            }),
            ("identity.roles", "cosmosDataRole") => Some(Source::CosmosDataRoles {
                account: sibling("account"),
            }),
            ("identity.roles", "account") => Some(Source::CosmosAccounts {
                subscription: subscription()?,
            }),
            _ => None,
        };
    }
    match path {
        "cluster.context" => Some(Source::Contexts),
        "cluster.distribution" => Some(Source::Distribution { context }),
        "issuer" => Some(Source::Issuers {
            context,
            proposal: nginx_issuer(&value_of),
        }),
        "azure.tenant" => Some(Source::Tenants),
        "azure.subscription" => Some(Source::Subscriptions),
        "azure.resourceGroup" => Some(Source::ResourceGroups {
            subscription: subscription()?,
        }),
        "azure.location" => Some(Source::Locations {
            subscription: subscription()?,
        }),
        "identity.name" => {
            let resource_group = filled("azure.resourceGroup".to_string())?;
            Some(Source::Identities {
                subscription: subscription()?,
                proposal: identity_proposal(&resource_group),
                resource_group,
            })
        }
        _ => None,
    }
}

/// With nginx hosting at a host, the issuer it would serve: `https://<host>/<cluster>`, the
/// cluster named by the kubeconfig context (`cluster1` until one is chosen).
fn nginx_issuer(value_of: &impl Fn(&str) -> Option<String>) -> Option<String> {
    if value_of("hosting.kind").as_deref() != Some("nginx") {
        return None;
    }
    let host = value_of("hosting.nginx.host").filter(|host| !host.trim().is_empty())?;
    let cluster = value_of("cluster.context")
        .filter(|context| !context.trim().is_empty())
        .unwrap_or_else(|| "cluster1".to_string());
    Some(format!("https://{}/{}", host.trim(), cluster.trim()))
}

/// A new identity's name after its resource group, as Azure's naming convention pairs them:
/// `rg-application1` → `id-application1`.
fn identity_proposal(resource_group: &str) -> Option<String> {
    let base = resource_group.trim();
    let base = base.strip_prefix("rg-").unwrap_or(base);
    (!base.is_empty()).then(|| format!("id-{base}"))
}

/// `workloads[2].name` → (`workloads`, 2, `name`).
fn entry_field(path: &str) -> Option<(&str, usize, &str)> {
    let (list, rest) = path.split_once('[')?;
    let (index, field) = rest.split_once("].")?;
    Some((list, index.parse().ok()?, field))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(values: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let values: Vec<(String, String)> = values
            .iter()
            .map(|(path, value)| (path.to_string(), value.to_string()))
            .collect();
        move |path| {
            values
                .iter()
                .find(|(known, _)| known == path)
                .map(|(_, value)| value.clone())
        }
    }

    #[test]
    fn an_entrys_list_depends_on_its_siblings_and_an_azure_list_on_the_subscription() {
        let filled = form(&[
            ("workloads[1].namespace", "shop"),
            ("workloads[1].kind", "StatefulSet"),
            ("azure.subscription", "cccc"),
        ]);
        assert_eq!(
            source_for("workloads[1].name", &filled),
            Some(Source::Workloads {
                context: None,
                namespace: "shop".into(),
                kind: "StatefulSet".into()
            })
        );
        assert_eq!(
            source_for("workloads[0].serviceAccount", &filled),
            None,
            "no namespace yet: free text"
        );
        assert_eq!(
            source_for("identity.roles[0].role", &filled),
            Some(Source::RoleNames {
                subscription: "cccc".into()
            })
        );
        assert_eq!(source_for("azure.location", form(&[])), None);
        assert_eq!(
            source_for("cluster.context", form(&[])),
            Some(Source::Contexts)
        );
        assert_eq!(source_for("identity.name", form(&[])), None);
    }

    #[test]
    fn typing_filters_the_list_and_a_taken_value_shows_it_whole_again() {
        let mut pickers = Pickers::default();
        let namespaces = Source::Namespaces { context: None };
        pickers.want(&namespaces);
        assert_eq!(pickers.take_requests(), std::slice::from_ref(&namespaces));
        assert!(pickers.take_requests().is_empty(), "asked once");
        assert!(pickers.is_loading());
        pickers.deliver(
            namespaces.clone(),
            Ok(vec![
                Suggestion::new("application1", "application1"),
                Suggestion::new("kube-system", "kube-system"),
                Suggestion::new("shop", "shop"),
            ]),
        );
        pickers.focus_moved();
        let names = |query: &str| -> Vec<String> {
            pickers
                .matches(&namespaces, query)
                .iter()
                .map(|entry| entry.value.clone())
                .collect()
        };
        assert_eq!(names("S"), ["kube-system", "shop"]);
        assert_eq!(names("shop").len(), 3);
        assert_eq!(names("nothing"), Vec::<String>::new());
        let selected = |pickers: &Pickers, query: &str| match pickers.view(&namespaces, query) {
            Some(PickerView::Entries { selected, .. }) => selected,
            other => panic!("no entries: {other:?}"),
        };
        assert_eq!(selected(&pickers, "shop"), 2, "the value held is selected");
        assert_eq!(selected(&pickers, "s"), 0, "a filter starts at the top");
        pickers.select(0, 5, 2);
        assert_eq!(selected(&pickers, "s"), 1, "clamped to the list");
        pickers.close();
        assert_eq!(pickers.view(&namespaces, ""), None);
    }

    #[test]
    fn an_unavailable_list_says_why() {
        let mut pickers = Pickers::default();
        pickers.want(&Source::Subscriptions);
        pickers.deliver(
            Source::Subscriptions,
            Err("Azure cannot be reached: no login".into()),
        );
        pickers.focus_moved();
        assert_eq!(
            pickers.view(&Source::Subscriptions, ""),
            Some(PickerView::Unavailable("Azure cannot be reached: no login"))
        );
    }
}
