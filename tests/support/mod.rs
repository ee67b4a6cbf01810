//! Test support shared by the integration tests: a tiny builder that runs the real `kwif`
//! binary, a test PKI made with rcgen at test time, and a real nginx on loopback serving
//! documents over real TLS. Nothing here is mocked.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

/// The result of one run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// Finding codes of the (single) step in JSON output.
    pub fn codes(&self) -> Vec<String> {
        self.json()["steps"][0]["findings"]
            .as_array()
            .expect("findings array")
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect()
    }

    pub fn finding(&self, code: &str) -> serde_json::Value {
        self.json()["steps"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == code)
            .cloned()
            .unwrap_or_else(|| panic!("no {code} finding in:\n{}", self.stdout))
    }
}

/// `Kwif::new().args([..]).stdin("..").run()` runs the real binary with colours off.
pub struct Kwif {
    command: Command,
    stdin: Option<String>,
}

impl Kwif {
    pub fn new() -> Kwif {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kwif"));
        command.env("NO_COLOR", "1").env_remove("RUST_BACKTRACE");
        Kwif {
            command,
            stdin: None,
        }
    }

    pub fn args<I, S>(mut self, args: I) -> Kwif
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.command.args(args);
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Kwif {
        self.command.env(key, value);
        self
    }

    pub fn env_remove(mut self, key: &str) -> Kwif {
        self.command.env_remove(key);
        self
    }

    pub fn current_dir(mut self, dir: &Path) -> Kwif {
        self.command.current_dir(dir);
        self
    }

    pub fn stdin(mut self, text: &str) -> Kwif {
        self.stdin = Some(text.to_string());
        self
    }

    pub fn run(mut self) -> Run {
        use std::io::Write;
        self.command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.command.spawn().expect("kwif binary runs");
        let input = self.stdin.take().unwrap_or_default();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Kwif {
    /// Like [`Kwif::run`], but kills kwif once `patience` has passed: a guard so that a hang
    /// fails the test (its output lacks what the test looks for) instead of stalling the whole
    /// suite. Nothing measures how long kwif took.
    pub fn run_guarded(mut self, patience: Duration) -> Run {
        use std::io::{Read, Write};
        self.command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.command.spawn().expect("kwif binary runs");
        let input = self.stdin.take().unwrap_or_default();
        let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
        let mut stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let out = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stdout.read_to_string(&mut text);
            text
        });
        let err = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let deadline = Instant::now() + patience;
        let code = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status.code().unwrap_or(-1);
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                break -1;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut stderr = err.join().unwrap();
        if code == -1 {
            stderr.push_str(&format!("\n(the test killed kwif after {patience:?})\n"));
        }
        Run {
            code,
            stdout: out.join().unwrap(),
            stderr,
        }
    }
}

/// How long a server certificate is valid.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    Current,
    Expired,
}

/// A test CA (made fresh per test run) that issues server certificates.
pub struct Pki {
    pub dir: tempfile::TempDir,
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Pki {
    pub fn new() -> Pki {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "kwif test CA");
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), issuer.pem()).unwrap();
        Pki { dir, issuer }
    }

    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// Writes a certificate and key for `names` and returns their paths.
    pub fn server_certificate(
        &self,
        label: &str,
        names: &[&str],
        validity: Validity,
    ) -> (PathBuf, PathBuf) {
        let names: Vec<String> = names.iter().map(std::string::ToString::to_string).collect();
        let mut params = CertificateParams::new(names).unwrap();
        if validity == Validity::Expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        let key = KeyPair::generate().unwrap();
        let certificate = params.signed_by(&key, &self.issuer).unwrap();
        let cert_path = self.dir.path().join(format!("{label}.crt"));
        let key_path = self.dir.path().join(format!("{label}.key"));
        std::fs::write(&cert_path, certificate.pem()).unwrap();
        std::fs::write(&key_path, key.serialize_pem()).unwrap();
        (cert_path, key_path)
    }
}

/// One HTTPS server block of the test nginx.
pub struct Site {
    pub port: u16,
    pub root: PathBuf,
}

impl Site {
    /// The `https://localhost:PORT` origin (the certificate is for `localhost`).
    pub fn origin(&self) -> String {
        format!("https://localhost:{}", self.port)
    }

    /// Publishes `body` at `path` below the site's root.
    pub fn put(&self, path: &str, body: &str) {
        let file = self.root.join(path.trim_start_matches('/'));
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, body).unwrap();
    }
}

/// What one server block serves.
pub struct SiteSpec {
    pub default_type: &'static str,
    pub validity: Validity,
    /// Extra nginx directives inside the server block.
    pub extra: String,
}

impl SiteSpec {
    pub fn json() -> SiteSpec {
        SiteSpec {
            default_type: "application/json",
            validity: Validity::Current,
            extra: String::new(),
        }
    }

    pub fn with_type(default_type: &'static str) -> SiteSpec {
        SiteSpec {
            default_type,
            ..SiteSpec::json()
        }
    }

    pub fn expired() -> SiteSpec {
        SiteSpec {
            validity: Validity::Expired,
            ..SiteSpec::json()
        }
    }
}

/// A real nginx (Debian package) on loopback, stopped when dropped.
pub struct Nginx {
    child: Child,
    pub sites: Vec<Site>,
    pub pki: Pki,
    _dir: tempfile::TempDir,
}

pub fn nginx_binary() -> PathBuf {
    for candidate in ["/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx"] {
        if Path::new(candidate).exists() {
            return candidate.into();
        }
    }
    panic!(
        "nginx is not installed: run `bash scripts/test.sh`, which installs it from Debian's packages"
    );
}

/// A loopback port nothing listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Nginx {
    pub fn start(specs: Vec<SiteSpec>) -> Nginx {
        let pki = Pki::new();
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().to_path_buf();
        std::fs::create_dir_all(prefix.join("tmp")).unwrap();
        std::fs::create_dir_all(prefix.join("logs")).unwrap();
        let mut sites = Vec::new();
        let mut servers = String::new();
        for (index, spec) in specs.iter().enumerate() {
            let (cert, key) =
                pki.server_certificate(&format!("site{index}"), &["localhost"], spec.validity);
            let root = dir.path().join(format!("site{index}"));
            std::fs::create_dir_all(&root).unwrap();
            servers.push_str(&format!(
                "server {{\n listen 127.0.0.1:{{port{index}}} ssl;\n server_name localhost;\n ssl_certificate {};\n ssl_certificate_key {};\n root {};\n location / {{ types {{ }} default_type {}; }}\n {}\n}}\n",
                cert.display(),
                key.display(),
                root.display(),
                spec.default_type,
                spec.extra
            ));
            sites.push(root);
        }
        let pid_file = prefix.join("nginx.pid");
        let (ports, child) = start_on_free_ports("nginx", specs.len(), |ports| {
            let mut listed = servers.clone();
            for (index, port) in ports.iter().enumerate() {
                listed = listed.replace(&format!("{{port{index}}}"), &port.to_string());
            }
            let config = format!(
                "master_process off;\ndaemon off;\npid {pid};\nerror_log {p}/error.log warn;\nevents {{ worker_connections 64; }}\nhttp {{\n access_log off;\n client_body_temp_path {p}/tmp;\n proxy_temp_path {p}/tmp;\n fastcgi_temp_path {p}/tmp;\n uwsgi_temp_path {p}/tmp;\n scgi_temp_path {p}/tmp;\n{listed}}}\n",
                pid = pid_file.display(),
                p = prefix.display(),
            );
            let config_path = prefix.join("nginx.conf");
            std::fs::write(&config_path, config).unwrap();
            let _ = std::fs::remove_file(&pid_file);
            Command::new(nginx_binary())
                .arg("-c")
                .arg(&config_path)
                .arg("-p")
                .arg(&prefix)
                .arg("-e")
                .arg("stderr")
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("nginx starts")
        });
        // nginx writes its pid file once every listen socket is bound.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !pid_file.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let sites = ports
            .into_iter()
            .zip(sites)
            .map(|(port, root)| Site { port, root })
            .collect();
        Nginx {
            child,
            sites,
            pki,
            _dir: dir,
        }
    }

    pub fn site(&self, index: usize) -> &Site {
        &self.sites[index]
    }

    pub fn ca_file(&self) -> String {
        self.pki.ca_file().display().to_string()
    }
}

/// Starts a server process on `count` free loopback ports: `start` gets the ports and spawns
/// it. A port is free when chosen but another process may take it before the server binds it;
/// then the server exits and it is started again on other ports (at most five times).
pub fn start_on_free_ports(
    what: &str,
    count: usize,
    mut start: impl FnMut(&[u16]) -> Child,
) -> (Vec<u16>, Child) {
    for _ in 0..5 {
        let ports: Vec<u16> = (0..count).map(|_| free_port()).collect();
        let mut child = start(&ports);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            let listening = ports
                .iter()
                .all(|port| TcpStream::connect(("127.0.0.1", *port)).is_ok());
            if listening && child.try_wait().unwrap().is_none() {
                return (ports, child);
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                panic!("{what} did not listen on {ports:?} within 10 s");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    panic!("{what} exited at start five times: are its ports taken, or is it broken?");
}

/// Waits until `what` listens on the loopback `port`; fails the test after `patience`.
pub fn wait_for_port(what: &str, port: u16, patience: Duration) {
    let deadline = Instant::now() + patience;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not listen on port {port} within {patience:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `kwif sandbox serve --dir D` running in the background, until dropped (SIGTERM) or stopped.
pub struct Served {
    pub dir: tempfile::TempDir,
    child: Child,
    /// `D/env`'s variables: what `. D/env` exports in a shell.
    pub env: Vec<(String, String)>,
    pub ready_line: String,
}

impl Served {
    /// Starts the sandbox for `scenario` and waits (at most 60 s) for its `ready:` line.
    pub fn start(scenario: &str) -> Served {
        Served::start_with(scenario, &[])
    }

    /// The same with more `kwif sandbox serve` flags.
    pub fn start_with(scenario: &str, flags: &[&str]) -> Served {
        use std::io::BufRead;
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_kwif"))
            .args(["sandbox", "serve", "--scenario", scenario])
            .args(flags)
            .arg("--dir")
            .arg(dir.path())
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("kwif sandbox serve starts");
        let stdout = child.stdout.take().unwrap();
        let (lines, received) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let ready_line = received
            .recv_timeout(Duration::from_secs(60))
            .expect("kwif sandbox serve prints its ready line");
        let env = std::fs::read_to_string(dir.path().join("env"))
            .unwrap()
            .lines()
            .filter_map(|line| line.strip_prefix("export "))
            .filter_map(|line| line.split_once('='))
            .map(|(name, value)| (name.to_string(), value.trim_matches('\'').to_string()))
            .collect();
        Served {
            dir,
            child,
            env,
            ready_line,
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The `kwif` binary with `D/env` applied and nothing of the test's own Azure or
    /// Kubernetes settings.
    pub fn kwif(&self) -> Kwif {
        let mut kwif = Kwif::new();
        for name in [
            "KUBECONFIG",
            "SSL_CERT_FILE",
            "AZURE_TENANT_ID",
            "AZURE_CLIENT_ID",
            "AZURE_CLIENT_SECRET",
            "AZURE_CLIENT_CERTIFICATE_PATH",
            "AZURE_FEDERATED_TOKEN_FILE",
        ] {
            kwif.command.env_remove(name);
        }
        for (name, value) in &self.env {
            kwif = kwif.env(name, value);
        }
        kwif
    }

    /// SIGTERM, then the exit code.
    pub fn stop(mut self) -> i32 {
        terminate(&self.child);
        self.child.wait().unwrap().code().unwrap_or(-1)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            terminate(&self.child);
            let _ = self.child.wait();
        }
    }
}

fn terminate(child: &Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
}

/// The real `kubectl` on PATH (scripts/test.sh installs Debian's kubernetes-client).
pub fn kubectl() -> Command {
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("kubectl").is_file()));
    assert!(
        found,
        "kubectl is not on PATH: run the tests with `bash scripts/test.sh`, which installs it"
    );
    Command::new("kubectl")
}

/// The finding codes of a check, in the order it reports them.
pub fn codes(check: &kwif::engine::Check) -> Vec<&'static str> {
    check.findings.iter().map(|finding| finding.code).collect()
}

/// `tests/fixtures/{relative}`: reference data copied into the repository with its source.
pub fn fixture_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(relative)
}

/// The text of `tests/fixtures/{relative}`; fails the test naming the file.
pub fn fixture(relative: &str) -> String {
    std::fs::read_to_string(fixture_path(relative))
        .unwrap_or_else(|error| panic!("fixture {relative}: {error}"))
}
