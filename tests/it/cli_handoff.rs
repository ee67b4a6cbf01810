//! The commands that start a setup and hand it over: `kwif init` (a profile from flags),
//! `kwif explain` (a code's meaning), `kwif export` (kustomize, Terraform, node files) and
//! `kwif snippet` (the application's side), run as the real binary, against the sandbox.

use crate::support::Kwif;

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
    let served = crate::support::Served::start("fresh");
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
    let served = crate::support::Served::start("fresh");
    let profile = served.path("kwif.yaml");
    let profile = profile.to_str().unwrap();
    let apply = served
        .kwif()
        .args(["apply", "--yes", "--profile", profile])
        .run();
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let token = crate::support::kubectl()
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

/// Every file below `dir`, by path relative to it, with its bytes.
fn tree(dir: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(
                std::fs::read_dir(&path)
                    .unwrap()
                    .map(|entry| entry.unwrap().path()),
            );
        } else {
            let relative = path.strip_prefix(dir).unwrap().display().to_string();
            files.insert(relative, std::fs::read(&path).unwrap());
        }
    }
    files
}

fn kustomize(dir: &std::path::Path) -> Vec<serde_json::Value> {
    let output = crate::support::kubectl()
        .arg("kustomize")
        .arg(dir.join("kubernetes"))
        .output()
        .unwrap();
    assert_success(output.clone(), "kubectl kustomize");
    serde_yaml::Deserializer::from_slice(&output.stdout)
        .map(|document| serde::Deserialize::deserialize(document).unwrap())
        .collect()
}

fn find<'a>(objects: &'a [serde_json::Value], kind: &str, name: &str) -> &'a serde_json::Value {
    objects
        .iter()
        .find(|object| object["kind"] == kind && object["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in {objects:#?}"))
}

/// The env names of the first container of a Deployment.
fn env_names(deployment: &serde_json::Value) -> Vec<String> {
    deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn export_renders_with_kubectl_kustomize_to_what_apply_makes_and_rewrites_the_same_bytes() {
    let served = crate::support::Served::start("fresh");
    let profile = served.path("kwif.yaml");
    let profile = profile.to_str().unwrap();
    let out = served.path("export");
    let export = || {
        served
            .kwif()
            .args([
                "export",
                "--profile",
                profile,
                "--out",
                out.to_str().unwrap(),
            ])
            .run()
    };

    // Before apply: the identity does not exist, so the patch lacks AZURE_CLIENT_ID and says so.
    let before = export();
    assert_eq!(before.code, 0, "{}\n{}", before.stdout, before.stderr);
    assert!(
        before.stderr.contains("the patches lack AZURE_CLIENT_ID"),
        "{}",
        before.stderr
    );
    let rendered = kustomize(&out);
    let deployment = find(&rendered, "Deployment", "web-server");
    let template = &deployment["spec"]["template"]["spec"];
    assert_eq!(template["serviceAccountName"], "application1-sa");
    assert_eq!(
        template["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"]["audience"],
        "api://AzureADTokenExchange"
    );
    assert_eq!(
        template["containers"][0]["volumeMounts"][0]["mountPath"],
        "/var/run/secrets/azure/tokens"
    );
    let env = env_names(deployment);
    for variable in [
        "AZURE_TENANT_ID",
        "AZURE_FEDERATED_TOKEN_FILE",
        "AZURE_AUTHORITY_HOST",
    ] {
        assert!(env.contains(&variable.to_string()), "{variable} in {env:?}");
    }
    assert!(!env.contains(&"AZURE_CLIENT_ID".to_string()));
    find(&rendered, "ServiceAccount", "application1-sa");

    // After apply: the rendered workload is the object apply made, the user's own env kept.
    let apply = served
        .kwif()
        .args(["apply", "--yes", "--profile", profile])
        .run();
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let after = export();
    assert_eq!(after.code, 0, "{}", after.stderr);
    assert!(
        !after.stderr.contains("AZURE_CLIENT_ID"),
        "{}",
        after.stderr
    );
    let rendered = kustomize(&out);
    let live = crate::support::kubectl()
        .arg("--kubeconfig")
        .arg(served.path("kubeconfig"))
        .args([
            "get",
            "deployment",
            "web-server",
            "-n",
            "application1",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert_success(live.clone(), "kubectl get deployment");
    let live: serde_json::Value = serde_json::from_slice(&live.stdout).unwrap();
    let deployment = find(&rendered, "Deployment", "web-server");
    // kustomize puts the patch's env entries first, the API server appends them: the same
    // variables (none refers to another), so they are compared by name.
    let by_name = |template: &serde_json::Value| {
        let mut template = template.clone();
        for container in template["spec"]["containers"].as_array_mut().unwrap() {
            container["env"]
                .as_array_mut()
                .unwrap()
                .sort_by_key(|entry| entry["name"].as_str().unwrap().to_string());
        }
        template
    };
    assert_eq!(
        by_name(&deployment["spec"]["template"]),
        by_name(&live["spec"]["template"]),
        "the rendered pod template is the one apply made"
    );
    assert!(
        env_names(deployment).contains(&"COSMOS_ENDPOINT".to_string()),
        "the user's env stays"
    );

    // Idempotent: the same inputs rewrite the same bytes.
    let first = tree(&out);
    let again = export();
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(tree(&out), first, "a second export changes no byte");
    let readme = String::from_utf8(first["README.md"].clone()).unwrap();
    let order: Vec<usize> = ["**Azure**", "**Nodes**", "**Kubernetes**"]
        .iter()
        .map(|step| {
            readme
                .find(step)
                .unwrap_or_else(|| panic!("{step} in\n{readme}"))
        })
        .collect();
    assert!(order.windows(2).all(|pair| pair[0] < pair[1]), "{readme}");
    assert!(
        readme.contains(&format!("kwif check --profile {profile}")),
        "{readme}"
    );
    let node = String::from_utf8(first["node/README.md"].clone()).unwrap();
    assert!(
        node.contains("/etc/rancher/k3s/config.yaml") && node.contains("systemctl restart k3s"),
        "{node}"
    );
    let config = String::from_utf8(first["node/config.yaml"].clone()).unwrap();
    assert!(
        config.contains(&format!(
            "service-account-issuer-={}",
            sandbox_value(&saved_profile(profile), "issuer")
        )),
        "{config}"
    );

    // The Terraform: all resources, the exact federation triple, and imports for what exists.
    let main: hcl::Body =
        hcl::from_str(std::str::from_utf8(&first["azure/main.tf"]).unwrap()).unwrap();
    let blocks: Vec<&hcl::Block> = main.blocks().collect();
    let resource = |kind: &str| -> &hcl::Block {
        blocks
            .iter()
            .find(|block| {
                block.identifier() == "resource"
                    && block.labels().first().map(hcl::BlockLabel::as_str) == Some(kind)
            })
            .copied()
            .unwrap_or_else(|| panic!("no resource {kind}"))
    };
    let attribute = |block: &hcl::Block, name: &str| -> hcl::Expression {
        block
            .body()
            .attributes()
            .find(|attribute| attribute.key() == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .expr()
            .clone()
    };
    let text = |expression: hcl::Expression| match expression {
        hcl::Expression::String(text) => text,
        other => panic!("not a string: {other:?}"),
    };
    let saved: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(profile).unwrap()).unwrap();
    let credential = resource("azurerm_federated_identity_credential");
    assert_eq!(
        text(attribute(credential, "issuer")),
        sandbox_value(&saved, "issuer")
    );
    assert_eq!(
        text(attribute(credential, "subject")),
        "system:serviceaccount:application1:application1-sa"
    );
    assert_eq!(
        attribute(credential, "audience"),
        hcl::Expression::Array(vec![hcl::Expression::String(
            "api://AzureADTokenExchange".into()
        )])
    );
    let identity = resource("azurerm_user_assigned_identity");
    assert_eq!(text(attribute(identity, "name")), "id-application1");
    let role = resource("azurerm_role_assignment");
    assert_eq!(
        text(attribute(role, "role_definition_name")),
        "Storage Blob Data Reader"
    );
    let imports: Vec<String> = blocks
        .iter()
        .filter(|block| block.identifier() == "import")
        .map(|block| text(attribute(block, "id")))
        .collect();
    assert_eq!(
        imports.len(),
        3,
        "identity, role and credential exist: {imports:#?}"
    );
    assert!(
        imports[0].ends_with(
            "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-application1"
        )
    );
    assert!(imports[2].ends_with("/federatedIdentityCredentials/application1-sa"));
    let outputs: hcl::Body =
        hcl::from_str(std::str::from_utf8(&first["azure/outputs.tf"]).unwrap()).unwrap();
    assert!(outputs.blocks().any(|block| block.identifier() == "output"
        && block.labels().first().map(hcl::BlockLabel::as_str) == Some("client_id")));
    let variables: hcl::Body =
        hcl::from_str(std::str::from_utf8(&first["azure/variables.tf"]).unwrap()).unwrap();
    assert_eq!(variables.blocks().count(), 4);
}

#[test]
fn export_with_nginx_hosting_and_a_cosmos_role_renders_the_hosting_objects_and_every_resource_type()
{
    let served = crate::support::Served::start("fresh");
    let original = std::fs::read_to_string(served.path("kwif.yaml")).unwrap();
    let mut profile: serde_yaml::Value = serde_yaml::from_str(&original).unwrap();
    profile["issuer"] = "https://oidc.example.com/cluster1".into();
    profile["hosting"] = serde_yaml::from_str(
        "{ kind: nginx, nginx: { host: oidc.example.com, clusterIssuer: letsencrypt-prod } }",
    )
    .unwrap();
    let roles = profile["identity"]["roles"].as_sequence_mut().unwrap();
    roles.push(serde_yaml::from_str(
        "{ cosmosDataRole: Cosmos DB Built-in Data Reader, account: /subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/resourceGroups/rg-application1/providers/Microsoft.DocumentDB/databaseAccounts/cosmos1 }",
    ).unwrap());
    let path = served.path("nginx.yaml");
    std::fs::write(&path, serde_yaml::to_string(&profile).unwrap()).unwrap();
    let out = served.path("export");
    let run = served
        .kwif()
        .args([
            "export",
            "--profile",
            path.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .run();
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let rendered = kustomize(&out);
    for kind in ["ConfigMap", "Deployment", "Service", "Ingress"] {
        assert!(
            rendered
                .iter()
                .any(|object| object["kind"] == kind
                    && object["metadata"]["namespace"] == "kwif-oidc"),
            "a hosting {kind} in kwif-oidc"
        );
    }
    let main = std::fs::read_to_string(out.join("azure/main.tf")).unwrap();
    let body: hcl::Body = hcl::from_str(&main).unwrap();
    let kinds: std::collections::BTreeSet<String> = body
        .blocks()
        .filter(|block| block.identifier() == "resource")
        .filter_map(|block| {
            block
                .labels()
                .first()
                .map(|label| label.as_str().to_string())
        })
        .collect();
    for kind in [
        "azurerm_user_assigned_identity",
        "azurerm_role_assignment",
        "azurerm_cosmosdb_sql_role_assignment",
        "azurerm_federated_identity_credential",
    ] {
        assert!(kinds.contains(kind), "{kind} in\n{main}");
    }
    assert!(
        main.contains(
            "databaseAccounts/cosmos1/sqlRoleDefinitions/00000000-0000-0000-0000-000000000001"
        ),
        "{main}"
    );
    let no_azure = served.path("no-azure");
    let none = served
        .kwif()
        .args([
            "export",
            "--profile",
            path.to_str().unwrap(),
            "--azure",
            "none",
        ])
        .args(["--out", no_azure.to_str().unwrap()])
        .run();
    assert!(none.code == 0 || none.code == 1, "{}", none.stderr);
    assert!(!served.path("no-azure/azure").exists());
}

fn saved_profile(path: &str) -> serde_yaml::Value {
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_new_commands_have_help_with_examples_and_are_in_the_completions() {
    for command in ["init", "explain", "export", "snippet"] {
        let run = Kwif::new().args([command, "--help"]).run();
        assert_eq!(run.code, 0, "{command}: {}", run.stderr);
        assert!(
            run.stdout.contains("Examples:"),
            "{command} --help:\n{}",
            run.stdout
        );
    }
    let completions = Kwif::new().args(["completions", "bash"]).run();
    for word in [
        "init",
        "explain",
        "export",
        "snippet",
        "--cosmos-role",
        "--language",
    ] {
        assert!(
            completions.stdout.contains(word),
            "{word} in the bash completions"
        );
    }
}

#[test]
fn export_and_snippet_name_the_flag_on_bad_input() {
    let run = Kwif::new()
        .args([
            "export",
            "--profile",
            "/nonexistent/kwif.yaml",
            "--out",
            "/tmp/kwif-never",
        ])
        .run();
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("/nonexistent/kwif.yaml"),
        "{}",
        run.stderr
    );
    let run = Kwif::new()
        .args(["snippet", "--demo", "--language", "cobol"])
        .run();
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--language"), "{}", run.stderr);
}
