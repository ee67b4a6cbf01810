//! The AADSTS catalogue (azure.md §8): an Entra error code turned into what it means, its usual
//! cause in a self-managed cluster, and the fix. Microsoft warns codes change, so the raw
//! description is always shown beside this explanation, never replaced by it.

/// What one code (or family of codes) means for workload identity federation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// The stable finding code the verify step reports it under: `AADSTS70021`.
    pub finding: &'static str,
    pub codes: &'static [u32],
    /// The usual `error` value of the answer, when known.
    pub error: &'static str,
    /// What Entra says, shortened.
    pub meaning: &'static str,
    pub cause: &'static str,
    pub fix: &'static str,
    /// The hosted discovery document or JWKS is at fault: run the doctor to pinpoint it.
    pub hosting: bool,
    /// Expected for several minutes after a federated credential is written: retry, do not fail.
    pub propagation: bool,
}

const fn entry(
    finding: &'static str,
    codes: &'static [u32],
    error: &'static str,
    meaning: &'static str,
    cause: &'static str,
    fix: &'static str,
) -> Explanation {
    Explanation {
        finding,
        codes,
        error,
        meaning,
        cause,
        fix,
        hosting: false,
        propagation: false,
    }
}

const fn hosting(mut explanation: Explanation) -> Explanation {
    explanation.hosting = true;
    explanation
}

const fn propagation(mut explanation: Explanation) -> Explanation {
    explanation.propagation = true;
    explanation
}

/// The catalogue, one row per code family (azure.md §8, with its sources).
pub const CATALOGUE: &[Explanation] = &[
    propagation(entry(
        "AADSTS70021",
        &[70021],
        "invalid_request",
        "no federated identity credential matches the presented assertion (its issuer, subject and audience)",
        "the credential's issuer differs from the token's `iss` (often a trailing `/`), the cluster still \
         signs with its old issuer (`https://kubernetes.default.svc.cluster.local`), or the credential was \
         written moments ago and is still propagating",
        "compare the issuer, subject and audience Entra printed with `kwif check --step federation`; \
         right after a change, wait a few minutes and retry",
    )),
    propagation(entry(
        "AADSTS700211",
        &[700211],
        "invalid_client",
        "no federated identity credential matches the assertion's issuer",
        "the issuer in the credential and the token's `iss` differ by even one byte (trailing `/`, http vs https, case)",
        "make the cluster's --service-account-issuer and the credential's issuer identical: `kwif apply --step issuer --step federation`",
    )),
    entry(
        "AADSTS700212",
        &[700212],
        "invalid_client",
        "no federated identity credential matches the assertion's audience",
        "the token was not minted for `api://AzureADTokenExchange` (e.g. the pod's default token was used)",
        "project a token with audience api://AzureADTokenExchange: `kwif apply --step workload`",
    ),
    propagation(entry(
        "AADSTS700213",
        &[700213],
        "invalid_client",
        "no federated identity credential matches the assertion's subject",
        "the credential names another namespace or service account than `system:serviceaccount:NS:SA` of the pod",
        "create the credential for the pod's service account: `kwif apply --step federation`",
    )),
    entry(
        "AADSTS7002137",
        &[7002137, 7002138],
        "invalid_client",
        "the subject matches a federated credential only when case is ignored",
        "matching is case-sensitive since August 2024; the credential's subject differs in case",
        "write the subject exactly as the token has it: `kwif apply --step federation` corrects it",
    ),
    hosting(entry(
        "AADSTS7000272",
        &[7000272],
        "invalid_client",
        "the key that signed the token (its `kid`) is not in the issuer's published JWKS",
        "the JWKS was made from another key, or the API server rotated its signing key and the new key was not published",
        "publish the cluster's current keys: `kwif apply --step hosting`",
    )),
    entry(
        "AADSTS700024",
        &[700024],
        "invalid_client",
        "the client assertion is not within its valid time range",
        "the service-account token expired (the application read the file once and kept it) or the clocks are skewed",
        "re-read AZURE_FEDERATED_TOKEN_FILE on every token request (the Azure SDKs do), and check the node's clock (NTP)",
    ),
    hosting(entry(
        "AADSTS90061",
        &[90061],
        "invalid_request",
        "Entra's request to the external OIDC endpoint failed",
        "the discovery document or JWKS is not reachable over public HTTPS at `{issuer}/.well-known/openid-configuration`",
        "make the documents public: `kwif doctor --issuer ISSUER` shows which fetch fails",
    )),
    hosting(entry(
        "AADSTS50166",
        &[50166, 501661],
        "invalid_request",
        "Entra's request to the external OIDC endpoint failed or was throttled",
        "a storage firewall or network rule blocks Entra (it has no published egress IP list), or a transient failure",
        "allow anonymous public reads of the documents; if it is transient, retry in a minute",
    )),
    hosting(entry(
        "AADSTS50027",
        &[50027],
        "invalid_request",
        "the external token failed signature verification",
        "the published JWKS does not hold the key the cluster signs with",
        "publish the cluster's current keys: `kwif apply --step hosting`",
    )),
    hosting(entry(
        "AADSTS700027",
        &[700027],
        "invalid_client",
        "the client assertion failed signature validation",
        "the published key does not match the signing key",
        "publish the cluster's current keys: `kwif apply --step hosting`",
    )),
    propagation(entry(
        "AADSTS700016",
        &[700016],
        "unauthorized_client",
        "the application (client id) was not found in the tenant",
        "a wrong client id or tenant, or the identity was created moments ago",
        "use the identity's clientId and the tenant it lives in (`kwif check --step identity`); a new identity needs a minute",
    )),
    entry(
        "AADSTS90002",
        &[90002],
        "invalid_request",
        "the tenant was not found",
        "a wrong tenant id",
        "set azure.tenant to the directory id of `az account show --query tenantId`",
    ),
    entry(
        "AADSTS70011",
        &[70011],
        "invalid_scope",
        "the scope is not valid",
        "the scope does not end in `/.default` or names several resources",
        "ask for one resource's `/.default` scope, e.g. https://management.azure.com/.default",
    ),
    entry(
        "AADSTS7000215",
        &[7000215],
        "invalid_client",
        "the client secret is not valid",
        "a secret flow was used, not federation",
        "use the federated token (AZURE_FEDERATED_TOKEN_FILE), not a secret",
    ),
    entry(
        "AADSTS700222",
        &[700222, 700229],
        "invalid_client",
        "an Entra-issued token cannot be a federated assertion",
        "the assertion came from Entra itself, not from the cluster",
        "send the service-account token the kubelet projects, with audience api://AzureADTokenExchange",
    ),
    entry(
        "AADSTS50005",
        &[50005],
        "",
        "Conditional Access blocks the device platform",
        "a policy blocks the sign-in (seen when writing federated credentials from Linux or WSL)",
        "log in as a service principal with the needed permissions, or ask the tenant admin for an exception",
    ),
];

/// The explanation of `code`, if the catalogue knows it.
pub fn explain(code: u32) -> Option<&'static Explanation> {
    CATALOGUE
        .iter()
        .find(|explanation| explanation.codes.contains(&code))
}

/// Microsoft's lookup page for a code.
pub fn lookup_url(code: u32) -> String {
    format!("https://login.microsoftonline.com/error?code={code}")
}

/// The `AADSTSnnnn` codes found in an error description (`"AADSTS70021: No matching …"`).
pub fn codes_in(description: &str) -> Vec<u32> {
    let mut codes = Vec::new();
    let mut rest = description;
    while let Some(position) = rest.find("AADSTS") {
        rest = &rest[position + "AADSTS".len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(code) = digits.parse() {
            codes.push(code);
        }
    }
    codes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_of_the_reference_table_is_explained_once() {
        let all: Vec<u32> = CATALOGUE
            .iter()
            .flat_map(|explanation| explanation.codes.iter().copied())
            .collect();
        for code in [
            70021, 700211, 700212, 700213, 7002137, 7002138, 7000272, 700024, 90061, 50166, 501661,
            50027, 700027, 700016, 90002, 70011, 7000215, 700222, 700229, 50005,
        ] {
            assert_eq!(
                all.iter().filter(|found| **found == code).count(),
                1,
                "{code}"
            );
        }
        assert!(explain(12345).is_none());
    }

    #[test]
    fn the_hosting_codes_are_the_ones_the_doctor_can_pinpoint() {
        for code in [90061, 50166, 7000272] {
            assert!(explain(code).unwrap().hosting, "{code}");
        }
        assert!(explain(70021).unwrap().propagation);
        assert!(!explain(700024).unwrap().propagation);
    }

    #[test]
    fn codes_are_read_from_descriptions() {
        assert_eq!(
            codes_in("AADSTS70021: No matching federated identity record found. Trace ID: 1"),
            [70021]
        );
        assert_eq!(codes_in("AADSTS700213 and AADSTS90061:"), [700213, 90061]);
        assert!(codes_in("nothing").is_empty());
    }
}
