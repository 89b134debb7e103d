//! The listener: accepts TCP connections (optionally TLS) and serves the API filter over
//! HTTP/1.1 and HTTP/2. Our own accept loop (rather than `warp::serve`) reports the bound address
//! for port 0, sets TCP_NODELAY, terminates TLS, and hands the peer address to the filter.

use std::net::SocketAddr;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower_service::Service;
use warp::reply::Response;
use warp::Filter;

/// The TCP peer of a request, as a request extension.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

/// On the edge listener: who the verified client certificate says the peer is.
#[derive(Debug, Clone)]
pub struct EdgePeer {
    /// The certificate's SAN URIs.
    pub uris: Vec<String>,
    /// True when one of them is the configured edge role.
    pub authorized: bool,
}

/// How a listener speaks.
#[derive(Clone)]
pub enum Transport {
    Plain,
    Tls(TlsAcceptor),
    /// Mutual TLS; requests carry an [`EdgePeer`].
    Edge {
        acceptor: TlsAcceptor,
        role_uri: String,
    },
}

const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Encrypted bytes a TLS connection may hold before writing them out. Under rustls' default
/// (64 KiB) a 140 KB answer left in three `writev` calls, each of which can wake the reader
/// again; with room for a megabyte an answer of that size leaves in one, like on a plain
/// listener. Bounds each connection's send buffer all the same.
const TLS_WRITE_BUFFER: usize = 1024 * 1024;

/// Serves `filter` on `listener` until `shutdown` resolves; connections in flight finish.
pub async fn serve<F>(
    listener: TcpListener,
    filter: F,
    transport: Transport,
    shutdown: impl std::future::Future<Output = ()>,
) where
    F: Filter<Extract = (Response,), Error = warp::Rejection> + Clone + Send + Sync + 'static,
    F::Future: Send,
{
    let service = warp::service(filter);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let service = service.clone();
        let transport = transport.clone();
        tokio::spawn(async move {
            let acceptor = match &transport {
                Transport::Plain => return serve_connection(stream, peer, None, service).await,
                Transport::Tls(a) | Transport::Edge { acceptor: a, .. } => a.clone(),
            };
            let mut tls_stream =
                match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => {
                        tracing::warn!(%peer, error = %e, "TLS handshake failed");
                        return;
                    }
                    Err(_) => {
                        tracing::debug!(%peer, "TLS handshake timed out");
                        return;
                    }
                };
            tls_stream
                .get_mut()
                .1
                .set_buffer_limit(Some(TLS_WRITE_BUFFER));
            let edge = match &transport {
                Transport::Edge { role_uri, .. } => {
                    let uris = tls_stream
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(|chain| chain.first())
                        .map(crate::tls::peer_uris)
                        .unwrap_or_default();
                    let authorized = uris.iter().any(|u| u == role_uri);
                    if !authorized {
                        tracing::warn!(%peer, ?uris, "edge client certificate lacks the edge role");
                    }
                    Some(EdgePeer { uris, authorized })
                }
                _ => None,
            };
            serve_connection(tls_stream, peer, edge, service).await
        });
    }
}

async fn serve_connection<I, S>(io: I, peer: SocketAddr, edge: Option<EdgePeer>, service: S)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: Service<
            warp::http::Request<hyper::body::Incoming>,
            Response = Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let with_peer = WithPeer {
        peer,
        edge,
        inner: service,
    };
    if let Err(e) = auto::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(io), TowerToHyperService::new(with_peer))
        .await
    {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}

/// Wraps the filter service so every request carries its [`PeerAddr`] (and [`EdgePeer`]).
#[derive(Clone)]
struct WithPeer<S> {
    peer: SocketAddr,
    edge: Option<EdgePeer>,
    inner: S,
}

impl<S, B> Service<warp::http::Request<B>> for WithPeer<S>
where
    S: Service<warp::http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: warp::http::Request<B>) -> Self::Future {
        req.extensions_mut().insert(PeerAddr(self.peer));
        if let Some(edge) = &self.edge {
            req.extensions_mut().insert(edge.clone());
        }
        self.inner.call(req)
    }
}
