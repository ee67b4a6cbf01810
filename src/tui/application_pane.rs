//! The verify step's "your application" section, once the exchange works: the environment the
//! pods now have and the smallest code that uses it, in the language `app.language` names
//! (`L` changes it). Built from the profile only; nothing secret is in either.

use ratatui::text::{Line, Span};

use super::text_wrap::wrap_chars;
use super::theme::Theme;
use crate::export::snippet::{self, Language};
use crate::profile::{AppLanguage, Profile};
use crate::steps::workload::TOKEN_FILE;

/// The language shown until one is chosen.
const DEFAULT: AppLanguage = AppLanguage::Python;

/// The language after the one shown, in the order of `AppLanguage::ALL`, round and round.
pub fn next_language(current: Option<AppLanguage>) -> AppLanguage {
    let all = AppLanguage::ALL;
    let shown = current.unwrap_or(DEFAULT);
    let index = all.iter().position(|known| *known == shown).unwrap_or(0);
    all[(index + 1) % all.len()]
}

fn language(choice: AppLanguage) -> Language {
    match choice {
        AppLanguage::Python => Language::Python,
        AppLanguage::JavaScript => Language::JavaScript,
        AppLanguage::DotNet => Language::DotNet,
        AppLanguage::Go => Language::Go,
        AppLanguage::Java => Language::Java,
        AppLanguage::Rust => Language::Rust,
    }
}

/// The section's lines, wrapped to `width`.
pub fn application_lines(profile: &Profile, theme: Theme, width: usize) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(vec![
        Span::styled("Your application".to_string(), theme.heading()),
        Span::styled(
            "  no secret in the pod; L: another language".to_string(),
            theme.dim(),
        ),
    ])];
    let mut text = |line: String, style| {
        for piece in wrap_chars(&line, width.saturating_sub(2)) {
            lines.push(Line::from(vec![
                Span::raw("  "),
                Span::styled(piece, style),
            ]));
        }
    };
    let tenant = profile
        .azure
        .tenant
        .map_or("(the tenant)".to_string(), |tenant| tenant.to_string());
    let authority = profile.azure.cloud.endpoints().authority_host().to_string();
    for workload in &profile.workloads {
        let identity = profile
            .identities
            .iter()
            .find(|identity| identity.name == workload.identity);
        let client = identity
            .and_then(|identity| identity.client_id)
            .map_or("(its client id)".to_string(), |id| id.to_string());
        text(
            format!(
                "{} {}/{} has:",
                workload.kind.as_str(),
                workload.namespace,
                workload.name
            ),
            theme.dim(),
        );
        for (name, value) in [
            ("AZURE_CLIENT_ID", client.as_str()),
            ("AZURE_TENANT_ID", tenant.as_str()),
            ("AZURE_FEDERATED_TOKEN_FILE", TOKEN_FILE),
            ("AZURE_AUTHORITY_HOST", authority.as_str()),
        ] {
            text(format!("  {name}={value}"), ratatui::style::Style::new());
        }
    }
    let choice = profile.app.language.unwrap_or(DEFAULT);
    match snippet::target(profile, None) {
        Ok(target) => {
            let code = snippet::snippet(language(choice), &target);
            text(String::new(), theme.dim());
            text(
                format!(
                    "In {} (`kwif snippet --language {}` prints it): {}",
                    choice.as_str(),
                    choice.as_str(),
                    code.packages
                ),
                theme.dim(),
            );
            for line in code.code.lines() {
                text(format!("  {line}"), theme.fix());
            }
        }
        Err(why) => text(format!("no code to show: {why}"), theme.dim()),
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn l_goes_through_every_language_and_comes_back() {
        let mut language = None;
        let mut seen = Vec::new();
        for _ in 0..AppLanguage::ALL.len() {
            let next = next_language(language);
            seen.push(next);
            language = Some(next);
        }
        assert_eq!(seen[0], AppLanguage::JavaScript, "python is shown first");
        assert_eq!(seen.last(), Some(&AppLanguage::Python), "and comes back");
        seen.sort_by_key(|language| language.as_str());
        seen.dedup();
        assert_eq!(seen.len(), AppLanguage::ALL.len(), "every language once");
    }

    #[test]
    fn the_pane_shows_the_pods_variables_and_code_in_the_chosen_language() {
        let mut profile = Profile::example();
        profile.app.language = Some(AppLanguage::JavaScript);
        let text: String = application_lines(&profile, Theme::new(false), 100)
            .iter()
            .map(|line| format!("{line}\n"))
            .collect();
        assert!(
            text.contains(
                "AZURE_FEDERATED_TOKEN_FILE=/var/run/secrets/azure/tokens/azure-identity-token"
            ),
            "{text}"
        );
        assert!(text.contains("In javascript"), "{text}");
        assert!(text.contains("@azure/identity"), "{text}");
    }
}
