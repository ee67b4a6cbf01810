//! Servers that behave badly on purpose, on loopback, for tests/hostile_network.rs: one that
//! accepts TCP and never speaks, one that completes TLS and then says nothing, and a scripted
//! HTTPS (or plain HTTP) server that records every request and answers what a test tells it
//! (503 with `Retry-After: 3600`, redirects, a stand-in Entra token endpoint and Resource
//! Manager). They run on one background runtime for the whole test binary.
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// The runtime the servers live on, started once per test binary.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("the servers' runtime starts")
    })
}

fn bind() -> (std::net::TcpListener, u16) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

/// A TLS acceptor serving the certificate and key in these PEM files.
pub fn acceptor(certificate: &Path, key: &Path) -> TlsAcceptor {
    let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(certificate)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(key).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certificates, key)
        .unwrap();
    TlsAcceptor::from(Arc::new(config))
}

/// Accepts TCP connections and never sends a byte (nor completes a TLS handshake).
pub fn silent_tcp() -> u16 {
    let (listener, port) = bind();
    runtime().spawn(async move {
        let listener = TcpListener::from_std(listener).unwrap();
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    port
}

/// Completes the TLS handshake, reads the request, and then says nothing.
pub fn silent_tls(acceptor: TlsAcceptor) -> u16 {
    let (listener, port) = bind();
    runtime().spawn(async move {
        let listener = TcpListener::from_std(listener).unwrap();
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                use tokio::io::AsyncReadExt;
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let mut buffer = [0u8; 4096];
                while matches!(tls.read(&mut buffer).await, Ok(n) if n > 0) {}
            });
        }
    });
    port
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    /// Path and query.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }
}

/// What the server answers.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
        }
    }

    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: String::new(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }
}

pub type Handler = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

/// A scripted server: answers each request with the handler's reply and records it.
pub struct Scripted {
    pub port: u16,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl Scripted {
    /// Over TLS with `acceptor`.
    pub fn https(acceptor: TlsAcceptor, handler: Handler) -> Scripted {
        Scripted::start(Some(acceptor), handler)
    }

    /// Plain http.
    pub fn http(handler: Handler) -> Scripted {
        Scripted::start(None, handler)
    }

    /// Over TLS on a port chosen beforehand (a document that names its own URL needs it).
    pub fn https_on(port: u16, acceptor: TlsAcceptor, handler: Handler) -> Scripted {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
        listener.set_nonblocking(true).unwrap();
        Scripted::serve_on(listener, Some(acceptor), handler)
    }

    fn start(acceptor: Option<TlsAcceptor>, handler: Handler) -> Scripted {
        let (listener, _) = bind();
        Scripted::serve_on(listener, acceptor, handler)
    }

    fn serve_on(
        listener: std::net::TcpListener,
        acceptor: Option<TlsAcceptor>,
        handler: Handler,
    ) -> Scripted {
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = requests.clone();
        runtime().spawn(async move {
            let listener = TcpListener::from_std(listener).unwrap();
            while let Ok((stream, _)) = listener.accept().await {
                let (acceptor, handler, recorded) =
                    (acceptor.clone(), handler.clone(), recorded.clone());
                tokio::spawn(async move {
                    match acceptor {
                        Some(acceptor) => {
                            if let Ok(tls) = acceptor.accept(stream).await {
                                serve(TokioIo::new(tls), handler, recorded).await;
                            }
                        }
                        None => serve(TokioIo::new(stream), handler, recorded).await,
                    }
                });
            }
        });
        Scripted { port, requests }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    pub fn address(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }
}

async fn serve<I>(io: I, handler: Handler, recorded: Arc<Mutex<Vec<Recorded>>>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service =
        hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
            let (handler, recorded) = (handler.clone(), recorded.clone());
            async move {
                let (parts, body) = request.into_parts();
                let body = body
                    .collect()
                    .await
                    .map(http_body_util::Collected::to_bytes)
                    .unwrap_or_default();
                let request = Recorded {
                    method: parts.method.to_string(),
                    target: parts
                        .uri
                        .path_and_query()
                        .map(std::string::ToString::to_string)
                        .unwrap_or_default(),
                    headers: parts
                        .headers
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
                        .collect(),
                    body: String::from_utf8_lossy(&body).into_owned(),
                };
                let reply = handler(&request);
                recorded.lock().unwrap().push(request);
                let mut response = hyper::Response::builder().status(reply.status);
                for (name, value) in &reply.headers {
                    response = response.header(name, value);
                }
                Ok::<_, Infallible>(response.body(Full::new(Bytes::from(reply.body))).unwrap())
            }
        });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(io, service)
        .await;
}
