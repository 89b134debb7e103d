//! A plain forwarding proxy for `bangui-bench-edge`: the cost of one more mTLS hop to an agent
//! with none of the edge's machinery (no WebAssembly, routing, sessions or merging), so the
//! benchmark can tell what the extra hop costs on the machine from what the edge itself adds.
//!
//! It runs as its own process, as the dev host does ([`RelayProcess`] starts the benchmark binary
//! again in relay mode): a hyper HTTP/1 server on one single-threaded runtime, each GET forwarded
//! over a pooled reqwest client holding the edge's client certificate, the answer's body passed
//! on as it arrives. Benchmark equipment only, not part of the product.

use std::convert::Infallible;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::sync::mpsc;

/// Request headers passed on to the agent; the edge sets the same ones (`accept-encoding` on a
/// single host's answer, which it passes on unread, as the relay does every answer).
const PASSED_ON: [&str; 4] = [
    "authorization",
    "accept",
    "accept-encoding",
    "x-correlation-id",
];
/// The session key sent to an agent's edge listener by the benchmark's direct calls and the
/// relay, which have no session of their own (the edge sends the verified session's key).
pub const NO_SESSION_KEY: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Response headers that belong to one connection, not to the answer.
const HOP_BY_HOP: [&str; 3] = ["connection", "keep-alive", "transfer-encoding"];

/// A reqwest client presenting the edge's certificate (`edge.pem`, `edge.key`) and trusting only
/// the fleet CA (`ca.pem`) in `certs`: what the dev host presents to an agent's edge listener.
pub fn edge_identity_client(certs: &Path) -> reqwest::Client {
    let read = |f: &str| std::fs::read(certs.join(f)).expect("fleet certificate");
    let mut pem = read("edge.pem");
    pem.extend(read("edge.key"));
    crate::api::http_client()
        .no_proxy()
        .tls_certs_only([reqwest::Certificate::from_pem(&read("ca.pem")).expect("ca.pem")])
        .identity(reqwest::Identity::from_pem(&pem).expect("edge identity"))
        .build()
        .expect("mTLS client")
}

/// Serves on `127.0.0.1` (free port, printed as the first line of stdout) until killed,
/// forwarding to `upstream` (`https://host:port`) with the edge identity from `certs`.
pub fn serve(upstream: &str, certs: &Path) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let upstream: Arc<str> = upstream.trim_end_matches('/').into();
    let client = edge_identity_client(certs);
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let mut stdout = std::io::stdout();
        writeln!(stdout, "{}", listener.local_addr()?.port())?;
        stdout.flush()?;
        loop {
            let (stream, peer) = listener.accept().await?;
            stream.set_nodelay(true)?;
            let (client, upstream) = (client.clone(), upstream.clone());
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    forward(client.clone(), upstream.clone(), peer, req)
                });
                // A client that goes away mid-answer is not the relay's concern.
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}

async fn forward(
    client: reqwest::Client,
    upstream: Arc<str>,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<Relayed>, Infallible> {
    if req.method() != hyper::Method::GET {
        return Ok(plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "the relay forwards GET only",
        ));
    }
    let target = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let mut out = client
        .get(format!("{upstream}{target}"))
        .header("x-forwarded-for", peer.ip().to_string())
        .header(bangui_shared::edge_headers::SESSION, NO_SESSION_KEY);
    for name in PASSED_ON {
        if let Some(value) = req.headers().get(name) {
            out = out.header(name, value.clone());
        }
    }
    let mut answer = match out.send().await {
        Ok(answer) => answer,
        Err(e) => return Ok(plain(StatusCode::BAD_GATEWAY, &format!("agent: {e}"))),
    };
    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            response = response.header(name, value);
        }
    }
    let (chunks, body) = mpsc::channel(4);
    tokio::spawn(async move {
        // An error ends the body short of its Content-Length: the client sees a broken answer.
        while let Ok(Some(chunk)) = answer.chunk().await {
            if chunks.send(chunk).await.is_err() {
                break;
            }
        }
    });
    Ok(response
        .body(Relayed(body))
        .unwrap_or_else(|e| plain(StatusCode::BAD_GATEWAY, &e.to_string())))
}

fn plain(status: StatusCode, text: &str) -> Response<Relayed> {
    let (chunks, body) = mpsc::channel(1);
    let _ = chunks.try_send(Bytes::from(text.to_owned()));
    let mut response = Response::new(Relayed(body));
    *response.status_mut() = status;
    response
}

/// An answer body as it arrives from the agent.
pub struct Relayed(mpsc::Receiver<Bytes>);

impl hyper::body::Body for Relayed {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|c| Ok(Frame::data(c))))
    }
}

/// The relay running as a child process of the benchmark; killed on drop.
pub struct RelayProcess {
    child: Child,
    port: u16,
}

impl RelayProcess {
    /// Starts `program` (the benchmark binary) with `args` that put it in relay mode, and waits
    /// for the port it prints.
    pub fn start(program: &Path, args: &[&std::ffi::OsStr]) -> RelayProcess {
        let mut child = Command::new(program)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the relay {}: {e}", program.display()));
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped stdout");
        let read = BufReader::new(stdout).read_line(&mut line);
        let port = match (read, line.trim().parse()) {
            (Ok(_), Ok(port)) => port,
            _ => {
                let _ = child.kill();
                panic!("the relay did not report its port (got {line:?})");
            }
        };
        RelayProcess { child, port }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The relay's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
