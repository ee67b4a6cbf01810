//! The doctor: checks a hosted issuer exactly the way Entra ID will (discovery document, JWKS,
//! optionally a token), and says for each problem what is wrong and the one-line fix. It only
//! reads; it never changes anything. Finding codes are a stable contract (DESIGN.md).

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};

use super::discovery::REQUIRED_FIELDS;
use super::fetch::{FetchFailure, Fetched, Fetcher, MAX_DOCUMENT_BYTES, TransportFailure};
use super::issuer::{IssuerProblem, IssuerUrl, describe_difference, issuer_problems, shown};
use super::jwks::JwkSet;
use super::jwt::{DateClaim, Jwt, VerifyError, rfc3339};
use super::key::printable;
use crate::engine::Finding;

/// The stable finding codes of DESIGN.md, one constant each.
pub mod codes {
    pub const ISSUER_NOT_HTTPS: &str = "ISSUER_NOT_HTTPS";
    pub const ISSUER_QUERY_OR_FRAGMENT: &str = "ISSUER_QUERY_OR_FRAGMENT";
    pub const ISSUER_WHITESPACE: &str = "ISSUER_WHITESPACE";
    pub const ISSUER_PRIVATE_ADDRESS: &str = "ISSUER_PRIVATE_ADDRESS";
    pub const DISCOVERY_UNREACHABLE: &str = "DISCOVERY_UNREACHABLE";
    pub const DISCOVERY_TLS: &str = "DISCOVERY_TLS";
    pub const DISCOVERY_HTTP_STATUS: &str = "DISCOVERY_HTTP_STATUS";
    pub const DISCOVERY_CONTENT_TYPE: &str = "DISCOVERY_CONTENT_TYPE";
    pub const DISCOVERY_INVALID_JSON: &str = "DISCOVERY_INVALID_JSON";
    pub const DISCOVERY_MISSING_FIELD: &str = "DISCOVERY_MISSING_FIELD";
    pub const DISCOVERY_ISSUER_MISMATCH: &str = "DISCOVERY_ISSUER_MISMATCH";
    pub const DISCOVERY_RS256_MISSING: &str = "DISCOVERY_RS256_MISSING";
    pub const DISCOVERY_REDIRECT: &str = "DISCOVERY_REDIRECT";
    pub const DISCOVERY_REDIRECT_NOT_HTTPS: &str = "DISCOVERY_REDIRECT_NOT_HTTPS";
    pub const JWKS_URI_NOT_HTTPS: &str = "JWKS_URI_NOT_HTTPS";
    pub const JWKS_UNREACHABLE: &str = "JWKS_UNREACHABLE";
    pub const JWKS_TLS: &str = "JWKS_TLS";
    pub const JWKS_HTTP_STATUS: &str = "JWKS_HTTP_STATUS";
    pub const JWKS_REDIRECT: &str = "JWKS_REDIRECT";
    pub const JWKS_REDIRECT_NOT_HTTPS: &str = "JWKS_REDIRECT_NOT_HTTPS";
    pub const JWKS_CONTENT_TYPE: &str = "JWKS_CONTENT_TYPE";
    pub const JWKS_INVALID: &str = "JWKS_INVALID";
    pub const JWKS_NO_RSA_KEY: &str = "JWKS_NO_RSA_KEY";
    pub const TOKEN_INVALID: &str = "TOKEN_INVALID";
    pub const TOKEN_ISSUER_MISMATCH: &str = "TOKEN_ISSUER_MISMATCH";
    pub const TOKEN_AUDIENCE_MISMATCH: &str = "TOKEN_AUDIENCE_MISMATCH";
    pub const TOKEN_EXPIRED: &str = "TOKEN_EXPIRED";
    pub const TOKEN_NOT_YET_VALID: &str = "TOKEN_NOT_YET_VALID";
    pub const TOKEN_KID_NOT_IN_JWKS: &str = "TOKEN_KID_NOT_IN_JWKS";
    pub const TOKEN_SIGNATURE_INVALID: &str = "TOKEN_SIGNATURE_INVALID";
    pub const TOKEN_ALG_UNSUPPORTED: &str = "TOKEN_ALG_UNSUPPORTED";
}
use codes::*;

/// Paths people publish the discovery document at by mistake, relative to the issuer.
const NEAR_MISS_DISCOVERY_PATHS: [&str; 5] = [
    ".well-known/oidc-configuration",
    "openid-configuration",
    "oidc-configuration",
    ".well-known/openid-configuration.json",
    ".well-known/openid-configuration/",
];

/// The issuer is not something the doctor can examine at all: bad input, exit 2.
#[derive(Debug, thiserror::Error)]
#[error("--issuer {} {problem}", shown(value))]
pub struct DoctorInputError {
    pub value: String,
    pub problem: IssuerProblem,
}

/// What to examine.
#[derive(Clone, Debug)]
pub struct Examination<'a> {
    /// The issuer exactly as the user wrote it.
    pub issuer: &'a str,
    /// A service-account token to check against the hosted documents (never printed).
    pub token: Option<&'a str>,
    /// The audience the token must carry.
    pub audience: &'a str,
    pub now: SystemTime,
}

pub struct Doctor {
    fetcher: Fetcher,
}

/// Which of the two documents a fetch was for; the codes and fixes differ.
#[derive(Clone, Copy)]
enum Document {
    Discovery,
    Jwks,
}

impl Document {
    fn codes(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Document::Discovery => (DISCOVERY_UNREACHABLE, DISCOVERY_TLS, DISCOVERY_HTTP_STATUS),
            Document::Jwks => (JWKS_UNREACHABLE, JWKS_TLS, JWKS_HTTP_STATUS),
        }
    }

    /// `(any redirect: warning, a redirect to http: error)`.
    fn redirect_codes(self) -> (&'static str, &'static str) {
        match self {
            Document::Discovery => (DISCOVERY_REDIRECT, DISCOVERY_REDIRECT_NOT_HTTPS),
            Document::Jwks => (JWKS_REDIRECT, JWKS_REDIRECT_NOT_HTTPS),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Document::Discovery => "discovery document",
            Document::Jwks => "JWKS",
        }
    }
}

impl Doctor {
    pub fn new(fetcher: Fetcher) -> Doctor {
        Doctor { fetcher }
    }

    /// Every finding about the hosted issuer (and the token, when given), in the order Entra
    /// meets them: issuer, discovery document, JWKS, token.
    pub async fn examine(&self, exam: &Examination<'_>) -> Result<Vec<Finding>, DoctorInputError> {
        let mut findings = Vec::new();
        let (issuer, can_fetch) = self.issuer_findings(exam.issuer, &mut findings)?;
        let token = exam
            .token
            .map(|text| Jwt::parse(text).map_err(|error| error.to_string()));
        if let Some(Err(reason)) = &token {
            findings.push(Finding::error(
                TOKEN_INVALID,
                format!("the token is not a JWT: {reason}"),
                "pass the token file itself, e.g. from `kubectl create token SA -n NS --audience api://AzureADTokenExchange`",
            ));
        }
        let jwks = if can_fetch {
            self.hosted_findings(&issuer, &mut findings).await
        } else {
            None
        };
        if let Some(Ok(jwt)) = &token {
            token_findings(jwt, issuer.as_str(), exam, jwks.as_ref(), &mut findings);
        }
        Ok(findings)
    }

    /// Findings about the issuer string itself; returns the issuer to work with (trimmed) and
    /// whether it can be fetched at all (Entra fetches https issuers only).
    fn issuer_findings(
        &self,
        raw: &str,
        findings: &mut Vec<Finding>,
    ) -> Result<(IssuerUrl, bool), DoctorInputError> {
        let input_error = |problem| DoctorInputError {
            value: raw.to_string(),
            problem,
        };
        let mut can_fetch = true;
        for problem in issuer_problems(raw) {
            match problem {
                IssuerProblem::Whitespace => findings.push(Finding::error(
                    ISSUER_WHITESPACE,
                    format!("the issuer {raw:?} has leading or trailing whitespace"),
                    "remove the whitespace everywhere the issuer is written: Entra compares it byte for byte",
                )),
                IssuerProblem::NotHttps(scheme) => {
                    can_fetch = false;
                    findings.push(Finding::error(
                        ISSUER_NOT_HTTPS,
                        format!("the issuer uses {scheme}; Entra ID fetches https issuers only"),
                        "host the documents over https and use the https URL as the issuer",
                    ));
                }
                IssuerProblem::QueryOrFragment => {
                    can_fetch = false;
                    findings.push(Finding::error(
                        ISSUER_QUERY_OR_FRAGMENT,
                        "the issuer has a query ('?') or fragment ('#'), which OIDC forbids",
                        "use a plain https URL with a path only",
                    ));
                }
                problem => return Err(input_error(problem)),
            }
        }
        let trimmed = raw.trim();
        let issuer = match IssuerUrl::parse(trimmed) {
            Ok(issuer) => issuer,
            // An http issuer is still examined for its token; keep its text as typed.
            Err(_) if !can_fetch => IssuerUrl::unchecked(trimmed).map_err(input_error)?,
            Err(problem) => return Err(input_error(problem)),
        };
        Ok((issuer, can_fetch))
    }

    /// Findings about the hosted documents; returns the published keys when they could be read.
    async fn hosted_findings(
        &self,
        issuer: &IssuerUrl,
        findings: &mut Vec<Finding>,
    ) -> Option<JwkSet> {
        let discovery_url = issuer.discovery_url();
        let (private, fetched) = tokio::join!(
            resolves_only_to_private_addresses(issuer),
            self.fetcher.get(&discovery_url)
        );
        if let Some(addresses) = private {
            let host = issuer.host();
            let message = if host
                .trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_ok()
            {
                format!("{host} is a private or loopback address")
            } else {
                format!("{host} resolves only to private or loopback addresses ({addresses})")
            };
            findings.push(Finding::warning(
                ISSUER_PRIVATE_ADDRESS,
                message,
                "Entra ID fetches the documents from the internet: publish them on a public host name",
            ));
        }
        let document = self
            .discovery_answer(issuer, &discovery_url, fetched, findings)
            .await?;
        let jwks_uri = discovery_findings(issuer, &document, findings)?;
        self.jwks_findings(&jwks_uri, findings).await
    }

    /// Turns the discovery fetch into a document to examine. On a 404 it looks for the
    /// document at a near-miss path and, when found, goes on with that one so every other
    /// problem still shows in the same run.
    async fn discovery_answer(
        &self,
        issuer: &IssuerUrl,
        discovery_url: &str,
        fetched: Result<Fetched, FetchFailure>,
        findings: &mut Vec<Finding>,
    ) -> Option<Fetched> {
        let fetched = fetch_findings(Document::Discovery, discovery_url, fetched, findings)?;
        if fetched.status == 200 {
            return Some(fetched);
        }
        let near_miss = if fetched.status == 404 {
            self.find_near_miss(issuer).await
        } else {
            None
        };
        let fix = match &near_miss {
            Some(found) => format!(
                "the discovery URL is {discovery_url}, you serve {}: move it there",
                found.url
            ),
            None => status_fix(Document::Discovery, fetched.status, discovery_url),
        };
        findings.push(Finding::error(
            DISCOVERY_HTTP_STATUS,
            format!(
                "{} answered {} (Entra ID fetches exactly this URL)",
                fetched.url,
                fetched.status_line()
            ),
            fix,
        ));
        near_miss
    }

    async fn find_near_miss(&self, issuer: &IssuerUrl) -> Option<Fetched> {
        let probes = NEAR_MISS_DISCOVERY_PATHS.map(|path| {
            let url = issuer.below(path);
            async move { self.fetcher.get(&url).await }
        });
        futures::future::join_all(probes)
            .await
            .into_iter()
            .filter_map(Result::ok)
            .find(|answer| answer.status == 200 && looks_like_discovery(&answer.body))
    }

    async fn jwks_findings(&self, jwks_uri: &str, findings: &mut Vec<Finding>) -> Option<JwkSet> {
        let fetched = self.fetcher.get(jwks_uri).await;
        let fetched = fetch_findings(Document::Jwks, jwks_uri, fetched, findings)?;
        if fetched.status != 200 {
            findings.push(Finding::error(
                JWKS_HTTP_STATUS,
                format!("{} answered {}", fetched.url, fetched.status_line()),
                status_fix(Document::Jwks, fetched.status, jwks_uri),
            ));
            return None;
        }
        let media_type = fetched.media_type();
        if !matches!(
            media_type.as_deref(),
            Some("application/json" | "application/jwk-set+json")
        ) {
            findings.push(Finding::warning(
                JWKS_CONTENT_TYPE,
                format!(
                    "the JWKS is served as {}",
                    describe_media_type(media_type.as_deref())
                ),
                content_type_fix(jwks_uri),
            ));
        }
        if fetched.truncated {
            findings.push(Finding::error(
                JWKS_INVALID,
                format!("{jwks_uri} {}", cut_at_the_limit()),
                "publish only the cluster's current signing keys (`kubectl get --raw /openid/v1/jwks`): a JWKS is a few kilobytes",
            ));
            return None;
        }
        let jwks = match JwkSet::parse(&fetched.body) {
            Ok(jwks) => jwks,
            Err(error) => {
                findings.push(Finding::error(
                    JWKS_INVALID,
                    format!("{jwks_uri} is not a usable JWK set: {error}"),
                    error.fix(),
                ));
                return None;
            }
        };
        if !jwks.has_rs256_key() {
            findings.push(Finding::warning(
                JWKS_NO_RSA_KEY,
                "the JWKS has no RS256-capable RSA key; Entra ID documents RS256 only",
                "sign service-account tokens with an RSA key (e.g. `openssl genrsa -out sa.key 2048`) and publish it",
            ));
        }
        Some(jwks)
    }
}

/// Findings for a fetch that produced no answer, or one reached through redirects; returns the
/// answer to examine further (none when a redirect left https).
fn fetch_findings(
    document: Document,
    url: &str,
    fetched: Result<Fetched, FetchFailure>,
    findings: &mut Vec<Finding>,
) -> Option<Fetched> {
    let (unreachable, tls, _) = document.codes();
    let host = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    match fetched {
        Ok(answer) => return redirect_findings(document, url, answer, findings),
        Err(FetchFailure::Tls(problem)) => findings.push(Finding::error(
            tls,
            format!("{url}: {}", problem.describe()),
            problem.fix(&host),
        )),
        Err(FetchFailure::Unreachable(failure)) => findings.push(Finding::error(
            unreachable,
            format!("could not reach {url}: {failure}"),
            unreachable_fix(&failure, url, &host),
        )),
        Err(FetchFailure::BadUrl(reason)) => findings.push(Finding::error(
            unreachable,
            format!("cannot fetch the {} at {url:?}: {reason}", document.name()),
            "use an absolute https URL",
        )),
    }
    None
}

/// What to do when the public host gave no answer: Entra ID must reach it from the internet.
fn unreachable_fix(failure: &TransportFailure, url: &str, host: &str) -> String {
    match failure {
        TransportFailure::Refused => format!(
            "nothing accepts connections for {url}: start the web server, or open its port to the internet"
        ),
        TransportFailure::NameNotResolved => format!("make {host} resolve in public DNS"),
        TransportFailure::TimedOut { after, .. } => format!(
            "nothing answered within {}: a firewall drops the traffic or the server is stopped; Entra ID \
             must reach {host} over https from the internet",
            crate::network::seconds(*after)
        ),
        _ => format!(
            "make {host} resolve in public DNS and accept https connections from the internet (firewall, listener on the port)"
        ),
    }
}

/// Redirects on the way to a document. Entra ID's handling of them is not documented: azure.md
/// says nothing about it, and neither Microsoft's federation docs nor the public reports around
/// AADSTS90061/50166 (Azure/azure-workload-identity#605, #1130) say whether Entra follows a
/// redirect when it fetches an external issuer's metadata (unverified either way). So any
/// redirect is a warning naming where it went, and one to plain http is an error: the
/// document would travel unprotected and Entra ID fetches https only.
fn redirect_findings(
    document: Document,
    url: &str,
    answer: Fetched,
    findings: &mut Vec<Finding>,
) -> Option<Fetched> {
    let (redirected, downgraded) = document.redirect_codes();
    if let Some(hop) = answer.downgrade() {
        findings.push(Finding::error(
            downgraded,
            format!(
                "{} redirects ({}) to {}, plain http: kwif did not follow it, and Entra ID fetches https only",
                hop.from, hop.status, hop.to
            ),
            format!(
                "serve the {} at {url} over https, without a redirect (an ingress or proxy that \
                 redirects to http usually misses X-Forwarded-Proto: https)",
                document.name()
            ),
        ));
        return None;
    }
    if !answer.redirects.is_empty() {
        let hops: Vec<String> = answer
            .redirects
            .iter()
            .map(|hop| format!("{} → {}", hop.status, hop.to))
            .collect();
        findings.push(Finding::warning(
            redirected,
            format!(
                "{url} redirects to {} ({}); Entra ID fetches {url} itself and is not documented to follow redirects",
                answer.url,
                hops.join(", ")
            ),
            format!("serve the {} at {url} directly, without a redirect", document.name()),
        ));
    }
    Some(answer)
}

fn status_fix(document: Document, status: u16, url: &str) -> String {
    let publish = match document {
        Document::Discovery => "`kwif discovery --issuer ISSUER` prints the document",
        Document::Jwks => "`kwif jwks --key sa.pub` prints the key set",
    };
    match status {
        401 | 403 => {
            format!("make {url} readable without credentials: Entra ID fetches it anonymously")
        }
        404 => format!(
            "publish the {} at exactly {url} ({publish})",
            document.name()
        ),
        300..=399 => format!(
            "serve the {} at {url} directly, without a redirect",
            document.name()
        ),
        _ => format!("make {url} answer 200 with the {}", document.name()),
    }
}

fn content_type_fix(url: &str) -> String {
    format!(
        "serve {url} with `Content-Type: application/json` (nginx: `default_type application/json;`; Azure Blob: `--content-type application/json`)"
    )
}

/// What the doctor says of a document longer than it reads: its end was never seen, so whether
/// it is JSON cannot be told.
fn cut_at_the_limit() -> String {
    format!(
        "is over {} MiB, the most kwif reads: it was cut at the limit",
        MAX_DOCUMENT_BYTES / (1024 * 1024)
    )
}

fn describe_media_type(media_type: Option<&str>) -> String {
    media_type.map_or_else(|| "no Content-Type".to_string(), str::to_string)
}

fn looks_like_discovery(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body).is_ok_and(|value| value.get("issuer").is_some())
}

/// Findings about the discovery document's content; returns its `jwks_uri` when it can be fetched.
fn discovery_findings(
    issuer: &IssuerUrl,
    fetched: &Fetched,
    findings: &mut Vec<Finding>,
) -> Option<String> {
    let media_type = fetched.media_type();
    if media_type.as_deref() != Some("application/json") {
        findings.push(Finding::warning(
            DISCOVERY_CONTENT_TYPE,
            format!(
                "{} is served as {}",
                fetched.url,
                describe_media_type(media_type.as_deref())
            ),
            content_type_fix(&fetched.url),
        ));
    }
    if fetched.truncated {
        findings.push(Finding::error(
            DISCOVERY_INVALID_JSON,
            format!("{} {}", fetched.url, cut_at_the_limit()),
            "publish the five-field document `kwif discovery --issuer ISSUER` prints: it is under 1 KB",
        ));
        return None;
    }
    let Ok(Value::Object(document)) = serde_json::from_slice::<Value>(&fetched.body) else {
        findings.push(Finding::error(
            DISCOVERY_INVALID_JSON,
            format!("{} is not a JSON object", fetched.url),
            "publish the JSON document `kwif discovery --issuer ISSUER` prints",
        ));
        return None;
    };
    for field in REQUIRED_FIELDS
        .iter()
        .filter(|field| !document.contains_key(**field))
    {
        findings.push(Finding::error(
            DISCOVERY_MISSING_FIELD,
            format!("the discovery document has no `{field}`"),
            "publish the five-field document `kwif discovery --issuer ISSUER` prints",
        ));
    }
    document_issuer_findings(issuer, &document, findings);
    algorithm_findings(&document, findings);
    jwks_uri_of(&document, findings)
}

fn document_issuer_findings(
    issuer: &IssuerUrl,
    document: &Map<String, Value>,
    findings: &mut Vec<Finding>,
) {
    let Some(value) = document.get("issuer") else {
        return;
    };
    let published = value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_string);
    if published != issuer.as_str() {
        findings.push(Finding::error(
            DISCOVERY_ISSUER_MISMATCH,
            format!(
                "the document's issuer is {published:?} but the issuer is {:?}: {}",
                issuer.as_str(),
                describe_difference(issuer.as_str(), &published)
            ),
            format!(
                "set \"issuer\" to exactly {:?} (Entra compares byte for byte)",
                issuer.as_str()
            ),
        ));
    }
}

fn algorithm_findings(document: &Map<String, Value>, findings: &mut Vec<Finding>) {
    let Some(algorithms) = document.get("id_token_signing_alg_values_supported") else {
        return;
    };
    let lists_rs256 = algorithms
        .as_array()
        .is_some_and(|list| list.iter().any(|alg| alg == "RS256"));
    if !lists_rs256 {
        findings.push(Finding::warning(
            DISCOVERY_RS256_MISSING,
            format!("id_token_signing_alg_values_supported is {algorithms} without RS256"),
            "sign with an RSA key and list \"RS256\"; OIDC requires it and Entra ID documents RS256 only",
        ));
    }
}

fn jwks_uri_of(document: &Map<String, Value>, findings: &mut Vec<Finding>) -> Option<String> {
    let value = document.get("jwks_uri")?;
    let Some(uri) = value.as_str() else {
        findings.push(Finding::error(
            DISCOVERY_MISSING_FIELD,
            format!("`jwks_uri` is {value}, not a URL string"),
            "set \"jwks_uri\" to the https URL of the JWKS, e.g. {issuer}/openid/v1/jwks",
        ));
        return None;
    };
    let scheme = reqwest::Url::parse(uri).map(|url| url.scheme().to_string());
    if scheme.as_deref() != Ok("https") {
        findings.push(Finding::error(
            JWKS_URI_NOT_HTTPS,
            format!("jwks_uri {uri:?} is not an https URL"),
            "host the JWKS over https and point jwks_uri at it (kube-apiserver: --service-account-jwks-uri)",
        ));
        return None;
    }
    Some(uri.to_string())
}

/// Findings about a token: what Entra checks after fetching the documents.
fn token_findings(
    jwt: &Jwt,
    issuer: &str,
    exam: &Examination<'_>,
    jwks: Option<&JwkSet>,
    findings: &mut Vec<Finding>,
) {
    let alg = jwt.header().alg().to_string();
    if alg != "RS256" {
        findings.push(Finding::warning(
            TOKEN_ALG_UNSUPPORTED,
            format!("the token is signed with {alg}; Entra ID documents RS256 only"),
            "sign service-account tokens with an RSA key (--service-account-signing-key-file)",
        ));
    }
    match jwt.issuer() {
        Some(iss) if iss == issuer => {}
        iss => findings.push(Finding::error(
            TOKEN_ISSUER_MISMATCH,
            match iss {
                Some(iss) => format!("the token's iss is {iss:?}, the issuer is {issuer:?}: {}", describe_difference(issuer, iss)),
                None => "the token has no iss claim".to_string(),
            },
            format!("make {issuer:?} the first --service-account-issuer of kube-apiserver (`kwif cluster-config`)"),
        )),
    }
    let audiences = jwt.audiences();
    if !audiences.iter().any(|audience| audience == exam.audience) {
        findings.push(Finding::error(
            TOKEN_AUDIENCE_MISMATCH,
            format!("the token's aud is {audiences:?}, without {:?} (AADSTS700212 at Entra)", exam.audience),
            format!("mint the token for that audience: projected volume `audience: {}` or `kubectl create token --audience {}`", exam.audience, exam.audience),
        ));
    }
    time_findings(jwt, exam.now, findings);
    if let Some(jwks) = jwks {
        signature_findings(jwt, jwks, findings);
    }
}

fn time_findings(jwt: &Jwt, now: SystemTime, findings: &mut Vec<Finding>) {
    for claim in ["exp", "nbf", "iat"] {
        let problem = jwt.date_claim(claim).and_then(|date| date.problem());
        if let Some(problem) = problem {
            let value = jwt
                .claims()
                .get(claim)
                .map(Value::to_string)
                .unwrap_or_default();
            findings.push(Finding::error(
                TOKEN_INVALID,
                format!("the token's {claim} claim ({}) {problem}", printable(&value, 40)),
                "use a token the cluster minted (`kubectl create token SA -n NS --audience api://AzureADTokenExchange`): \
                 its exp, nbf and iat are whole seconds since 1970",
            ));
        }
    }
    if let Some(DateClaim::Date(expires_at)) = jwt.date_claim("exp")
        && expires_at <= now
    {
        findings.push(Finding::error(
            TOKEN_EXPIRED,
            format!(
                "the token expired {} ago (exp {}, now {}); AADSTS700024 at Entra",
                whole_seconds(now.duration_since(expires_at).unwrap_or_default()),
                rfc3339(expires_at),
                rfc3339(now)
            ),
            "use a fresh token; workloads must re-read the projected token file (every 5 minutes is enough)",
        ));
    }
    if let Some(DateClaim::Date(not_before)) = jwt.date_claim("nbf")
        && not_before > now
    {
        findings.push(Finding::error(
            TOKEN_NOT_YET_VALID,
            format!(
                "the token is valid only in {} (nbf {}, now {})",
                whole_seconds(not_before.duration_since(now).unwrap_or_default()),
                rfc3339(not_before),
                rfc3339(now)
            ),
            "synchronise the clocks of the control-plane nodes and this machine (NTP)",
        ));
    }
}

fn signature_findings(jwt: &Jwt, jwks: &JwkSet, findings: &mut Vec<Finding>) {
    match jwt.verify(jwks) {
        Ok(_) | Err(VerifyError::AlgorithmUnsupported { .. }) => {}
        Err(VerifyError::KidNotFound { kid }) => findings.push(Finding::error(
            TOKEN_KID_NOT_IN_JWKS,
            format!("the token's kid {kid:?} is not in the published JWKS (AADSTS7000272 at Entra); published: {:?}", jwks.kids()),
            "publish the cluster's current keys: `kubectl get --raw /openid/v1/jwks`, or `kwif jwks --key` with every --service-account-key-file",
        )),
        Err(VerifyError::NoKid) => findings.push(Finding::error(
            TOKEN_KID_NOT_IN_JWKS,
            "the token has no kid and no single published key fits it",
            "publish exactly the cluster's signing keys; tokens from kube-apiserver ≥ 1.16 carry a kid",
        )),
        Err(error) => findings.push(Finding::error(
            TOKEN_SIGNATURE_INVALID,
            format!("the token's signature does not verify with the published key: {error}"),
            "publish the public half of --service-account-signing-key-file (the JWKS holds another key under that kid)",
        )),
    }
}

/// `Some(list)` when every address the issuer's host resolves to is private or loopback.
async fn resolves_only_to_private_addresses(issuer: &IssuerUrl) -> Option<String> {
    let host = issuer
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let addresses: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(address) => vec![address],
        Err(_) => tokio::net::lookup_host((host.as_str(), issuer.port_or_default()))
            .await
            .ok()?
            .map(|socket| socket.ip())
            .collect(),
    };
    if addresses.is_empty() || !addresses.iter().all(|address| is_private(*address)) {
        return None;
    }
    let mut shown: Vec<String> = addresses.iter().map(IpAddr::to_string).collect();
    shown.dedup();
    Some(shown.join(", "))
}

fn is_private(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT, 100.64.0.0/10
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_private(IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                v6.is_loopback()
                    || v6.is_unspecified()
                    || (first & 0xfe00) == 0xfc00 // unique local, fc00::/7
                    || (first & 0xffc0) == 0xfe80 // link local, fe80::/10
            }
        },
    }
}

fn whole_seconds(duration: Duration) -> String {
    humantime::format_duration(Duration::from_secs(duration.as_secs())).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy;

    #[test]
    fn private_and_public_addresses_are_told_apart() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.1.1",
            "172.16.0.1",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_private(private.parse().unwrap()), "{private}");
        }
        for public in [
            "20.50.2.1",
            "8.8.8.8",
            "2001:4860:4860::8888",
            "100.128.0.1",
        ] {
            assert!(!is_private(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn status_fixes_name_the_url_and_the_cause() {
        assert!(
            status_fix(Document::Discovery, 403, "https://x/d").contains("without credentials")
        );
        assert!(status_fix(Document::Jwks, 404, "https://x/j").contains("kwif jwks"));
        assert!(status_fix(Document::Discovery, 302, "https://x/d").contains("without a redirect"));
    }

    fn fetched(body: Vec<u8>, content_type: Option<String>) -> Fetched {
        Fetched {
            url: "https://oidc.example.com/.well-known/openid-configuration".into(),
            redirects: Vec::new(),
            status: 200,
            content_type,
            body,
            truncated: false,
        }
    }

    #[test]
    fn a_discovery_document_cut_at_the_limit_says_so() {
        let issuer = IssuerUrl::parse("https://oidc.example.com").unwrap();
        let mut cut = fetched(b"{\"issuer\":\"https://oidc".to_vec(), None);
        cut.truncated = true;
        let mut findings = Vec::new();
        assert_eq!(discovery_findings(&issuer, &cut, &mut findings), None);
        let invalid = findings
            .iter()
            .find(|finding| finding.code == DISCOVERY_INVALID_JSON)
            .unwrap();
        assert!(
            invalid.message.ends_with(
                "openid-configuration is over 1 MiB, the most kwif reads: it was cut at the limit"
            ),
            "{}",
            invalid.message
        );
    }

    fn token_with(claims: Value) -> Jwt {
        use base64::Engine as _;
        let encode = |value: &Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
        };
        let header = serde_json::json!({ "alg": "RS256", "kid": "k" });
        Jwt::parse(&format!("{}.{}.c2ln", encode(&header), encode(&claims))).unwrap()
    }

    #[test]
    fn a_time_claim_outside_1970_to_9999_is_a_token_invalid_finding_naming_it() {
        for (claims, claim) in [
            (serde_json::json!({ "exp": -1 }), "exp"),
            (serde_json::json!({ "exp": 253_402_300_800_u64 }), "exp"),
            (serde_json::json!({ "exp": 4e9, "nbf": -1.5 }), "nbf"),
            (serde_json::json!({ "exp": 4e9, "iat": 1e300 }), "iat"),
        ] {
            let mut findings = Vec::new();
            time_findings(&token_with(claims.clone()), in_2027(), &mut findings);
            let invalid: Vec<&Finding> = findings
                .iter()
                .filter(|f| f.code == TOKEN_INVALID)
                .collect();
            assert_eq!(invalid.len(), 1, "{claims}: {findings:?}");
            assert!(
                invalid[0]
                    .message
                    .starts_with(&format!("the token's {claim} claim (")),
                "{}",
                invalid[0].message
            );
        }
        let mut findings = Vec::new();
        time_findings(
            &token_with(serde_json::json!({ "exp": 1 })),
            in_2027(),
            &mut findings,
        );
        assert_eq!(findings[0].code, TOKEN_EXPIRED, "{findings:?}");
        assert!(findings[0].message.contains("exp 1970-01-01T00:00:01Z"));
    }

    fn in_2027() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
    }

    proptest::proptest! {
        /// Token times are outside data: no exp, nbf or iat, against any clock, may panic the
        /// doctor; one outside 1970–9999 is always reported, naming the claim.
        #[test]
        fn any_token_times_are_examined_without_panicking(
            exp in proptest::prop_oneof![
                proptest::num::i64::ANY.prop_map(Value::from),
                proptest::num::f64::ANY.prop_map(Value::from),
                proptest::num::u64::ANY.prop_map(Value::from),
            ],
            nbf in proptest::num::f64::ANY.prop_map(Value::from),
            iat in proptest::num::i64::ANY.prop_map(Value::from),
            now_seconds in proptest::num::u64::ANY,
        ) {
            let jwt = token_with(serde_json::json!({ "exp": exp, "nbf": nbf, "iat": iat }));
            let now = SystemTime::UNIX_EPOCH
                .checked_add(Duration::from_secs(now_seconds))
                .unwrap_or(SystemTime::UNIX_EPOCH);
            let mut findings = Vec::new();
            time_findings(&jwt, now, &mut findings);
            for claim in ["exp", "nbf", "iat"] {
                let odd = jwt.date_claim(claim).and_then(|date| date.problem()).is_some();
                let named = findings.iter().any(|f| {
                    f.code == TOKEN_INVALID && f.message.starts_with(&format!("the token's {claim} claim"))
                });
                proptest::prop_assert_eq!(odd, named);
            }
        }

        /// A hosted discovery document is outside data: no body, however odd, may panic the doctor.
        #[test]
        fn any_discovery_body_is_examined_without_panicking(body in proptest::collection::vec(proptest::num::u8::ANY, 0..512), content_type in proptest::option::of(".{0,40}")) {
            let issuer = IssuerUrl::parse("https://oidc.example.com").unwrap();
            let mut findings = Vec::new();
            let _ = discovery_findings(&issuer, &fetched(body, content_type), &mut findings);
        }

        #[test]
        fn any_json_discovery_document_is_examined_without_panicking(
            fields in proptest::collection::btree_map("(issuer|jwks_uri|response_types_supported|subject_types_supported|id_token_signing_alg_values_supported|[a-z_]{1,12})", proptest::prop_oneof![
                proptest::strategy::Just(Value::Null),
                ".{0,60}".prop_map(Value::from),
                proptest::collection::vec(".{0,8}", 0..4).prop_map(Value::from),
                proptest::num::i64::ANY.prop_map(Value::from),
            ], 0..8),
        ) {
            let issuer = IssuerUrl::parse("https://oidc.example.com/c/").unwrap();
            let document: Map<String, Value> = fields.into_iter().collect();
            let body = serde_json::to_vec(&document).unwrap();
            let mut findings = Vec::new();
            let jwks_uri = discovery_findings(&issuer, &fetched(body, Some("application/json".into())), &mut findings);
            if let Some(uri) = jwks_uri {
                proptest::prop_assert!(uri.starts_with("https://"));
            }
            for field in REQUIRED_FIELDS {
                let missing = !document.contains_key(field);
                let reported = findings.iter().any(|f| f.code == DISCOVERY_MISSING_FIELD && f.message.contains(&format!("`{field}`")));
                // A present field is reported only when it has the wrong type (a non-string jwks_uri).
                proptest::prop_assert!(!missing || reported);
            }
        }

        #[test]
        fn issuer_rules_and_differences_never_panic(raw in "\\PC{0,80}", other in "\\PC{0,80}") {
            let _ = issuer_problems(&raw);
            let _ = IssuerUrl::parse(&raw);
            let _ = describe_difference(&raw, &other);
        }
    }
}
