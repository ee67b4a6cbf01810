//! A tower layer around kube's HTTP stack: logs each API server request with `-v` (as every
//! other outbound request is), and turns a request that got no answer into a
//! [`NetworkError`] naming the server and the cause, instead of "client error (Connect)".

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use tower::{BoxError, Layer, Service};

use crate::network::{NetworkError, Timeouts, TransportFailure, request_log};

/// Wraps the client's service; `server` is the kubeconfig's server URL.
#[derive(Clone, Debug)]
pub struct RequestLayer {
    server: String,
    timeouts: Timeouts,
}

impl RequestLayer {
    pub fn new(server: impl Into<String>, timeouts: Timeouts) -> RequestLayer {
        RequestLayer {
            server: server.into(),
            timeouts,
        }
    }
}

impl<S> Layer<S> for RequestLayer {
    type Service = RequestService<S>;

    fn layer(&self, inner: S) -> RequestService<S> {
        RequestService {
            inner,
            server: self.server.clone(),
            timeouts: self.timeouts,
        }
    }
}

#[derive(Clone, Debug)]
pub struct RequestService<S> {
    inner: S,
    server: String,
    timeouts: Timeouts,
}

type Answer<R> = Pin<Box<dyn Future<Output = Result<R, BoxError>> + Send>>;

impl<S, B, R> Service<http::Request<B>> for RequestService<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>, Error = BoxError>,
    S::Future: Send + 'static,
{
    type Response = http::Response<R>;
    type Error = BoxError;
    type Future = Answer<http::Response<R>>;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(context)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let method = request.method().clone();
        // The layer sits outside kube's base-URI layer: the request holds the path only.
        let url = url::Url::parse(&format!(
            "{}{}",
            self.server.trim_end_matches('/'),
            request.uri()
        ));
        let server = self.server.clone();
        let timeouts = self.timeouts;
        let started = Instant::now();
        let answer = self.inner.call(request);
        Box::pin(async move {
            let result = answer.await;
            let elapsed = started.elapsed();
            match result {
                Ok(response) => {
                    if let Ok(url) = &url {
                        let outcome = request_log::Outcome::Answered {
                            status: response.status(),
                        };
                        request_log::record(&method, url, outcome, None, elapsed);
                    }
                    Ok(response)
                }
                Err(error) => {
                    let failure = TransportFailure::from_error(&*error, &timeouts, Some(elapsed));
                    if let Ok(url) = &url {
                        let reason = failure.to_string();
                        let outcome = request_log::Outcome::Failed { reason: &reason };
                        request_log::record(&method, url, outcome, None, elapsed);
                    }
                    Err(Box::new(NetworkError {
                        target: server,
                        failure,
                    }) as BoxError)
                }
            }
        })
    }
}
