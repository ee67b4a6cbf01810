//! The sandbox's HTTPS static host: serves the files of one directory on loopback with a
//! certificate from a sandbox CA, like a web server or a storage account would. The content
//! type is one setting for every file, so a demo can replay the `text/plain` mistake.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Request, Response, StatusCode};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::SandboxError;
use crate::tls::SandboxCa;

/// A running static host; stops when dropped.
pub struct StaticHost {
    address: SocketAddr,
    root: PathBuf,
    ca_pem: String,
    shutdown: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl StaticHost {
    /// Serves `root` over HTTPS for `localhost` and `127.0.0.1`, every file as `content_type`,
    /// with a CA of its own.
    pub async fn start(root: PathBuf, content_type: &str) -> Result<StaticHost, SandboxError> {
        let ca = SandboxCa::new("kwif sandbox static host CA")?;
        StaticHost::start_with_ca(root, content_type, &ca, Duration::ZERO).await
    }

    /// Serves `root` with a certificate from `ca`, each answer sent `latency` after it is ready.
    pub async fn start_with_ca(
        root: PathBuf,
        content_type: &str,
        ca: &SandboxCa,
        latency: Duration,
    ) -> Result<StaticHost, SandboxError> {
        let tls = ca.server_config(&["localhost", "127.0.0.1"])?;
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(SandboxError::Listen)?;
        let address = listener.local_addr().map_err(SandboxError::Listen)?;
        let (shutdown, receiver) = watch::channel(false);
        let content_type: Arc<str> = Arc::from(content_type);
        let served = root.clone();
        let handler = move |request| answer(served.clone(), content_type.clone(), request);
        let task = tokio::spawn(crate::https::serve_tls(
            listener, tls, handler, receiver, latency,
        ));
        Ok(StaticHost {
            address,
            root,
            ca_pem: ca.certificate_pem(),
            shutdown,
            task: Some(task),
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `https://localhost:PORT`, the origin the certificate is valid for.
    pub fn origin(&self) -> String {
        format!("https://localhost:{}", self.address.port())
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The CA that signed the host's certificate, to trust it (doctor `--ca-file`).
    pub fn ca_certificate_pem(&self) -> &str {
        &self.ca_pem
    }
}

impl StaticHost {
    /// Stops accepting and waits until the listener is closed; open connections end too.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for StaticHost {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

async fn answer<B>(
    root: PathBuf,
    content_type: Arc<str>,
    request: Request<B>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let file = resolve(&root, request.uri().path());
    let body = match file {
        Some(path) if request.method() == hyper::Method::GET => tokio::fs::read(path).await.ok(),
        _ => None,
    };
    let response = match body {
        Some(body) => Response::builder()
            .status(StatusCode::OK)
            .header("content-type", &*content_type)
            .body(Full::new(Bytes::from(body))),
        None => Response::builder()
            .status(StatusCode::NOT_FOUND)
            .header("content-type", "text/html")
            .body(Full::new(Bytes::from_static(
                b"<html><body><h1>404 Not Found</h1></body></html>",
            ))),
    };
    Ok(response.unwrap_or_else(|_| Response::new(Full::new(Bytes::new()))))
}

/// The file below `root` for a URL path; `None` for anything that would leave `root`.
fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let relative = Path::new(url_path.trim_start_matches('/'));
    if relative
        .components()
        .any(|part| !matches!(part, Component::Normal(_)))
    {
        return None;
    }
    let path = root.join(relative);
    path.is_file().then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_outside_the_root_are_never_served() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("a/.well-known")).unwrap();
        std::fs::write(root.path().join("a/.well-known/openid-configuration"), "{}").unwrap();
        assert!(resolve(root.path(), "/a/.well-known/openid-configuration").is_some());
        assert!(resolve(root.path(), "/a/../a/.well-known/openid-configuration").is_none());
        assert!(resolve(root.path(), "/a/missing").is_none());
        assert!(
            resolve(root.path(), "/a").is_none(),
            "directories are not served"
        );
    }
}
