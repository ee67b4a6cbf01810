//! The accept loop every sandbox server shares: TLS on a loopback listener, HTTP/1.1 per
//! connection, an optional delay before every answer (a slow network), and a shutdown signal
//! that stops accepting and ends open connections.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::{Body, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

/// Serves `handler` over HTTPS on `listener` until `shutdown` turns true, each answer sent
/// `latency` after it is ready. A connection whose TLS handshake fails is dropped; the others
/// keep being served.
pub async fn serve_tls<H, F, B, E>(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    handler: H,
    mut shutdown: watch::Receiver<bool>,
    latency: Duration,
) where
    H: Fn(Request<Incoming>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Result<Response<B>, E>> + Send + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + Send + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let acceptor = TlsAcceptor::from(tls);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.changed() => return,
        };
        let Ok((tcp, _)) = accepted else {
            continue;
        };
        let (acceptor, handler, mut shutdown) =
            (acceptor.clone(), handler.clone(), shutdown.clone());
        tokio::spawn(async move {
            let Ok(stream) = acceptor.accept(tcp).await else {
                return;
            };
            let delayed = move |request: Request<Incoming>| {
                let answer = handler(request);
                async move {
                    let response = answer.await;
                    if !latency.is_zero() {
                        tokio::time::sleep(latency).await;
                    }
                    response
                }
            };
            let connection =
                http1::Builder::new().serve_connection(TokioIo::new(stream), service_fn(delayed));
            tokio::select! {
                _ = connection => {}
                _ = shutdown.changed() => {}
            }
        });
    }
}
