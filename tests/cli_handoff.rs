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
