//! The commands that start a setup and hand it over: `kwif init` (a profile from flags),
//! `kwif explain` (a code's meaning), `kwif export` (kustomize, Terraform, node files) and
//! `kwif snippet` (the application's side), run as the real binary, against the sandbox.

mod support;

use support::Kwif;

#[test]
fn explain_answers_aadsts_codes_with_or_without_the_prefix_in_any_case() {
    for code in ["AADSTS700213", "700213", "aadsts700213"] {
        let run = Kwif::new().args(["explain", code]).run();
        assert_eq!(run.code, 0, "{code}: {}", run.stderr);
        assert!(
            run.stdout.starts_with("AADSTS700213  ✗ error"),
            "{}",
            run.stdout
        );
        assert!(
            run.stdout.contains("matches the assertion's subject"),
            "{}",
            run.stdout
        );
        assert!(run.stdout.contains("fix:"), "{}", run.stdout);
    }
}

#[test]
fn explain_answers_finding_codes() {
    let run = Kwif::new().args(["explain", "workload_env"]).run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("WORKLOAD_ENV  ! warning, reported by workload"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("usual reason:"), "{}", run.stdout);
}

#[test]
fn explain_of_an_unknown_code_exits_2_with_the_closest_codes() {
    let run = Kwif::new().args(["explain", "DISCOVERY_CONTENTTYPE"]).run();
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("\"DISCOVERY_CONTENTTYPE\" is not a code kwif knows; the closest are DISCOVERY_CONTENT_TYPE"),
        "{}",
        run.stderr
    );
    let run = Kwif::new().args(["explain", "AADSTS99999999"]).run();
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("the closest are AADSTS"),
        "{}",
        run.stderr
    );
}

/// The sandbox profile's value at `path` (`azure.endpoints.resourceManager`).
fn sandbox_value(profile: &serde_yaml::Value, path: &str) -> String {
    let value = path.split('.').fold(profile, |value, key| &value[key]);
    value
        .as_str()
        .unwrap_or_else(|| panic!("{path} in the sandbox profile"))
        .to_string()
}

#[test]
fn init_with_the_sandboxs_values_writes_a_profile_check_accepts_then_refuses_to_overwrite() {
    let served = support::Served::start("fresh");
    let sandbox: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(served.path("kwif.yaml")).unwrap()).unwrap();
    let value = |path: &str| sandbox_value(&sandbox, path);
    let role = &sandbox["identity"]["roles"][0];
    let role = format!(
        "{}@{}",
        role["role"].as_str().unwrap(),
        role["scope"].as_str().unwrap()
    );
    // The Azure CLI's login stands in for --tenant and --subscription; the kubeconfig (D/env's
    // KUBECONFIG) for --context.
    let azure_config = tempfile::tempdir().unwrap();
    std::fs::write(
        azure_config.path().join("azureProfile.json"),
        format!(
            "\u{feff}{{\"subscriptions\":[{{\"id\":\"{}\",\"tenantId\":\"{}\",\"name\":\"Sandbox\",\"isDefault\":true}}]}}",
            value("azure.subscription"),
            value("azure.tenant")
        ),
    )
    .unwrap();
    let profile = served.path("init.yaml");
    let init = |extra: &[&str]| {
        served
            .kwif()
            .env("AZURE_CONFIG_DIR", azure_config.path().to_str().unwrap())
            .args(["init", "--profile", profile.to_str().unwrap()])
            .args(["--issuer", &value("issuer")])
            .args([
                "--workload",
                "application1/application1-sa/Deployment/web-server",
            ])
            .args(["--role", &role])
            .args([
                "--hosting",
                "directory",
                "--directory",
                &value("hosting.directory.path"),
            ])
            .args(["--cloud", "custom"])
            .args([
                "--resource-manager",
                &value("azure.endpoints.resourceManager"),
            ])
            .args(["--authority-host", &value("azure.endpoints.authorityHost")])
            .args(["--resource-group", &value("azure.resourceGroup")])
            .args(["--location", &value("azure.location")])
            .args(["--node-root", &value("cluster.nodeRoot")])
            .args(extra)
            .run()
    };
    let identity = value("identity.name");
    let run = init(&["--identity", &identity]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let shown = profile.display().to_string();
    assert_eq!(
        run.stdout,
        format!("wrote {shown}\nnext: kwif check --profile {shown}\n")
    );
    for default in [
        "default: cluster.context kwif-sandbox (the kubeconfig's current context)",
        "default: azure.tenant bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb (the Azure CLI's default subscription \"Sandbox\")",
        "default: azure.subscription cccccccc-cccc-cccc-cccc-cccccccccccc",
    ] {
        assert!(
            run.stderr.contains(default),
            "{default:?} in\n{}",
            run.stderr
        );
    }

    let check = served
        .kwif()
        .args(["check", "--profile", profile.to_str().unwrap()])
        .run();
    assert!(
        check.code == 0 || check.code == 1,
        "check accepts the profile (drift before apply is fine):\n{}{}",
        check.stdout,
        check.stderr
    );
    assert!(
        !check.stderr.contains("not a valid profile"),
        "{}",
        check.stderr
    );
    assert!(check.stdout.contains("workload"), "{}", check.stdout);
    let apply = served
        .kwif()
        .args(["apply", "--yes", "--profile", profile.to_str().unwrap()])
        .run();
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);

    let again = init(&["--identity", "id-other"]);
    assert_eq!(again.code, 2);
    assert!(
        again
            .stderr
            .contains("the file exists; pass --force to overwrite it"),
        "{}",
        again.stderr
    );
    let forced = init(&["--force", "--identity", "id-other"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    let written = std::fs::read_to_string(&profile).unwrap();
    assert!(written.contains("name: id-other"), "{written}");
}

#[test]
fn init_refuses_bad_flags_with_exit_2_naming_the_flag_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("kwif.yaml");
    let run = Kwif::new()
        .env("AZURE_CONFIG_DIR", dir.path().to_str().unwrap())
        .env("KUBECONFIG", dir.path().join("none").to_str().unwrap())
        .args(["init", "--profile", profile.to_str().unwrap()])
        .args(["--issuer", "https://oidc.example.com/c1/"])
        .args([
            "--workload",
            "app/app-sa/Deploymnet/web",
            "--role",
            "Reader",
        ])
        .args(["--resource-group", "rg/1"])
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    for expected in [
        "--workload \"app/app-sa/Deploymnet/web\" (1st): kind: ",
        "--role \"Reader\" (1st): write it as ROLE@SCOPE",
    ] {
        assert!(
            run.stderr.contains(expected),
            "{expected:?} in\n{}",
            run.stderr
        );
    }
    assert!(!profile.exists());
    let run = Kwif::new()
        .env("AZURE_CONFIG_DIR", dir.path().to_str().unwrap())
        .env("KUBECONFIG", dir.path().join("none").to_str().unwrap())
        .args(["init", "--profile", profile.to_str().unwrap()])
        .args(["--issuer", "https://oidc.example.com/c1/"])
        .args(["--workload", "app/app-sa", "--resource-group", "rg/1"])
        .run();
    assert_eq!(run.code, 2);
    for expected in [
        "--resource-group: ",
        "(kwif.yaml field azure.resourceGroup)",
        "--location: is missing",
    ] {
        assert!(
            run.stderr.contains(expected),
            "{expected:?} in\n{}",
            run.stderr
        );
    }
    assert!(!profile.exists());
}

const SNIPPET_PROFILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/profiles/snippets.yaml"
);
const SERVICES: [&str; 4] = ["cosmos", "blob", "keyvault", "arm"];

fn snippet(language: &str, service: &str) -> String {
    let run = Kwif::new()
        .args(["snippet", "--profile", SNIPPET_PROFILE])
        .args(["--language", language, "--service", service])
        .run();
    assert_eq!(run.code, 0, "{language} {service}: {}", run.stderr);
    run.stdout
}

/// A command the test script installs; the test fails with the way to get it when missing.
fn tool(program: &str) -> std::process::Command {
    let found = std::process::Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    assert!(
        found,
        "{program} is not installed: run the tests with `bash scripts/test.sh`, which installs it"
    );
    std::process::Command::new(program)
}

fn assert_success(output: std::process::Output, what: &str) {
    assert!(
        output.status.success(),
        "{what}:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The Rust snippets are compiled in every workspace build as crates/kwif-snippets (against the
/// azure_identity kwif itself uses); this pins that kwif prints exactly those files.
/// `KWIF_UPDATE_SNIPPETS=1` rewrites them.
#[test]
fn rust_snippets_are_the_files_the_workspace_compiles() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/kwif-snippets/src");
    for service in SERVICES {
        let printed = snippet("rust", service);
        let path = dir.join(format!("{service}.rs"));
        if std::env::var_os("KWIF_UPDATE_SNIPPETS").is_some() {
            std::fs::write(&path, &printed).unwrap();
        }
        let compiled = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            printed,
            compiled,
            "{service}: kwif prints another Rust snippet than {} (KWIF_UPDATE_SNIPPETS=1 rewrites it)",
            path.display()
        );
        assert!(printed.contains("WorkloadIdentityCredential::new(None)"));
    }
}

#[test]
fn python_and_javascript_snippets_pass_their_language_checks() {
    let dir = tempfile::tempdir().unwrap();
    for service in SERVICES {
        let python = dir.path().join(format!("{service}.py"));
        std::fs::write(&python, snippet("python", service)).unwrap();
        let output = tool("python3")
            .args(["-m", "py_compile"])
            .arg(&python)
            .output()
            .unwrap();
        assert_success(output, &format!("python3 -m py_compile ({service})"));
        let javascript = dir.path().join(format!("{service}.mjs"));
        std::fs::write(&javascript, snippet("javascript", service)).unwrap();
        let output = tool("node")
            .arg("--check")
            .arg(&javascript)
            .output()
            .unwrap();
        assert_success(output, &format!("node --check ({service})"));
    }
    let cosmos = snippet("python", "cosmos");
    assert!(
        cosmos.contains("ENDPOINT = \"https://cosmos1.documents.azure.com:443/\""),
        "{cosmos}"
    );
    assert!(
        cosmos.contains("# Packages: pip install azure-identity azure-cosmos"),
        "{cosmos}"
    );
    let vault = snippet("javascript", "keyvault");
    assert!(
        vault.contains("\"https://kv-application1.vault.azure.net/\""),
        "{vault}"
    );
}

#[test]
fn snippet_for_a_service_no_role_names_exits_2_naming_the_flag() {
    let run = Kwif::new()
        .args([
            "snippet",
            "--demo",
            "--language",
            "go",
            "--service",
            "cosmos",
        ])
        .run();
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr
            .contains("--service cosmos: no role in the profile"),
        "{}",
        run.stderr
    );
}

/// The Python interpreter of the virtual environment scripts/test.sh makes, with the real
/// azure-identity and the service packages the snippets import.
fn python_venv() -> std::path::PathBuf {
    let python =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tools/pyvenv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run the tests with `bash scripts/test.sh`, which installs azure-identity into it",
        python.display()
    );
    python
}

#[test]
fn the_python_snippet_gets_an_access_token_from_the_sandbox_with_the_real_azure_identity() {
    let python = python_venv();
    let served = support::Served::start("fresh");
    let profile = served.path("kwif.yaml");
    let profile = profile.to_str().unwrap();
    let apply = served
        .kwif()
        .args(["apply", "--yes", "--profile", profile])
        .run();
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let token = support::kubectl()
        .arg("--kubeconfig")
        .arg(served.path("kubeconfig"))
        .args(["create", "token", "application1-sa", "-n", "application1"])
        .args(["--audience", "api://AzureADTokenExchange"])
        .output()
        .unwrap();
    assert_success(token.clone(), "kubectl create token");
    let app = served.path("app");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(app.join("token"), &token.stdout).unwrap();
    let code = served
        .kwif()
        .args(["snippet", "--profile", profile, "--language", "python"])
        .run();
    assert_eq!(code.code, 0, "{}", code.stderr);
    std::fs::write(app.join("snippet.py"), &code.stdout).unwrap();

    // The pod's environment, as the workload step wired it (the ids the apply saved).
    let saved: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(profile).unwrap()).unwrap();
    let value = |path: &str| sandbox_value(&saved, path);
    let ca = served.path("ca.pem");
    let output = std::process::Command::new(&python)
        .current_dir(&app)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("AZURE_CLIENT_ID", value("identity.clientId"))
        .env("AZURE_TENANT_ID", value("azure.tenant"))
        .env("AZURE_FEDERATED_TOKEN_FILE", app.join("token"))
        .env(
            "AZURE_AUTHORITY_HOST",
            value("azure.endpoints.authorityHost"),
        )
        .env("REQUESTS_CA_BUNDLE", &ca)
        .env("SSL_CERT_FILE", &ca)
        .args([
            "-c",
            "import snippet\n\
             token = snippet.credential.get_token(snippet.SCOPE)\n\
             print(len(token.token.split('.')), token.expires_on > 0)",
        ])
        .output()
        .unwrap();
    assert_success(
        output.clone(),
        "the snippet's credential against the sandbox's Entra ID",
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "3 True");
}

/// Beyond syntax: every Python snippet imports with the real SDK packages and builds its
/// credential (nothing is called, so no network is needed).
#[test]
fn every_python_snippet_imports_with_the_real_sdk_packages() {
    let python = python_venv();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("token"), "not.a.token").unwrap();
    for service in SERVICES {
        std::fs::write(
            dir.path().join(format!("snippet_{service}.py")),
            snippet("python", service),
        )
        .unwrap();
        let output = std::process::Command::new(&python)
            .current_dir(dir.path())
            .env_clear()
            .env("AZURE_CLIENT_ID", "00000000-0000-0000-0000-000000000001")
            .env("AZURE_TENANT_ID", "00000000-0000-0000-0000-000000000002")
            .env("AZURE_FEDERATED_TOKEN_FILE", dir.path().join("token"))
            .args([
                "-c",
                &format!(
                    "import snippet_{service} as s; print(type(s.credential).__name__, s.SCOPE)"
                ),
            ])
            .output()
            .unwrap();
        assert_success(output.clone(), &format!("importing the {service} snippet"));
        assert!(
            String::from_utf8_lossy(&output.stdout)
                .starts_with("WorkloadIdentityCredential https://")
        );
    }
}
