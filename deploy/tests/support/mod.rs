//! Test support: the real `bangui-devhost` binary, a tiny HTTP client, and a loopback upstream
//! server (plain or mutual TLS) that counts connections and concurrent requests.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The fixture component, built by
/// `cargo build --target wasm32-wasip2 --profile wasm -p bangui-probe-component` (or
/// `--release`).
pub fn probe_wasm() -> PathBuf {
    if let Ok(path) = std::env::var("BANGUI_PROBE_WASM") {
        return PathBuf::from(path);
    }
    // CARGO_BIN_EXE_… is <target>/<profile>/bangui-devhost.
    let bin = Path::new(env!("CARGO_BIN_EXE_bangui-devhost"));
    let target = bin.parent().and_then(Path::parent).expect("target dir");
    // The workspace's wasm profile (`--profile wasm`), else a release build.
    let candidates = ["wasm", "release"].map(|profile| {
        target.join(format!(
            "wasm32-wasip2/{profile}/bangui_probe_component.wasm"
        ))
    });
    candidates
        .iter()
        .find(|p| p.exists())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "{} is missing: build it with `cargo build --target wasm32-wasip2 --profile wasm -p bangui-probe-component` (or set BANGUI_PROBE_WASM)",
                candidates[0].display()
            )
        })
}

/// Writes `manifest` as `dir/spin.toml`, `{wasm}` replaced by the fixture path.
pub fn write_manifest(dir: &Path, manifest: &str) {
    let manifest = manifest.replace("{wasm}", &probe_wasm().display().to_string());
    std::fs::write(dir.join("spin.toml"), manifest).unwrap();
}

/// Runs the host on `dir/spin.toml` with `args`, without any `SPIN_VARIABLE_*` of the test's
/// environment, expecting it to refuse to start: asserts a failed exit and nothing on stdout
/// (the readiness line never came); returns its stderr.
pub fn refused_start(dir: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bangui-devhost"));
    cmd.current_dir(dir)
        .args(["--from", "spin.toml", "--listen", "127.0.0.1:0"])
        .args(args);
    for (name, _) in std::env::vars().filter(|(n, _)| n.starts_with("SPIN_VARIABLE_")) {
        cmd.env_remove(name);
    }
    let out = cmd.output().expect("run bangui-devhost");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "started with {args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{args:?}: {stderr}");
    stderr
}

/// A running `bangui-devhost`; SIGTERM on drop.
pub struct DevHost {
    child: Option<Child>,
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    stderr: mpsc::Receiver<String>,
    stderr_text: String,
    stdout_rest: mpsc::Receiver<String>,
}

impl DevHost {
    /// Writes `spin.toml` (and `runtime-config.toml` when given) into a temp dir and starts the
    /// host there. `{wasm}` in the manifest is replaced by the fixture path.
    pub fn start(
        manifest: &str,
        runtime_config: Option<&str>,
        env: &[(&str, &str)],
        extra_args: &[&str],
    ) -> Self {
        Self::start_in(
            tempfile::tempdir().unwrap(),
            manifest,
            runtime_config,
            env,
            extra_args,
        )
    }

    /// As [`start`](Self::start), with `files` (path relative to the app directory, content)
    /// written beside the manifest first.
    pub fn start_with_files(manifest: &str, files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        for (rel, content) in files {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
        Self::start_in(dir, manifest, None, &[], &[])
    }

    fn start_in(
        dir: tempfile::TempDir,
        manifest: &str,
        runtime_config: Option<&str>,
        env: &[(&str, &str)],
        extra_args: &[&str],
    ) -> Self {
        write_manifest(dir.path(), manifest);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_bangui-devhost"));
        cmd.current_dir(dir.path())
            .args(["--from", "spin.toml", "--listen", "127.0.0.1:0"])
            .args(extra_args)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(rc) = runtime_config {
            std::fs::write(dir.path().join("runtime-config.toml"), rc).unwrap();
            cmd.args(["--runtime-config-file", "runtime-config.toml"]);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start bangui-devhost");
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (err_tx, err_rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if err_tx.send(line).is_err() {
                    break;
                }
            }
        });
        let (line_tx, line_rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            let _ = line_tx.send(first);
            // Anything after the readiness line is a bug: report it.
            let mut rest = String::new();
            let _ = reader.read_to_string(&mut rest);
            let _ = line_tx.send(rest);
        });
        let mut host = Self {
            child: Some(child),
            addr: "0.0.0.0:0".parse().unwrap(),
            dir,
            stderr: err_rx,
            stderr_text: String::new(),
            stdout_rest: line_rx,
        };
        // Debug builds compile components slowly: allow a generous start-up.
        let line = match host.stdout_rest.recv_timeout(Duration::from_secs(120)) {
            Ok(line) if !line.is_empty() => line,
            _ => {
                let status = host.child.as_mut().unwrap().try_wait().ok().flatten();
                panic!(
                    "bangui-devhost did not become ready (exit {status:?}); stderr:\n{}",
                    host.stderr_text()
                );
            }
        };
        let addr = line
            .trim()
            .strip_prefix("bangui-devhost listening on http://")
            .unwrap_or_else(|| panic!("unexpected readiness line {line:?}"));
        host.addr = addr.parse().unwrap();
        host
    }

    /// Everything the host wrote to stderr so far.
    pub fn stderr_text(&mut self) -> String {
        while let Ok(line) = self.stderr.try_recv() {
            self.stderr_text.push_str(&line);
            self.stderr_text.push('\n');
        }
        self.stderr_text.clone()
    }

    /// What the host printed to stdout after the readiness line (call after `terminate`).
    pub fn stdout_after_ready(&self) -> String {
        self.stdout_rest
            .recv_timeout(Duration::from_secs(5))
            .unwrap_or_default()
    }

    /// The host's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Names of the host's threads, sorted (Linux: `/proc/<pid>/task/*/comm`).
    pub fn thread_names(&self) -> Vec<String> {
        let pid = self.pid();
        let mut names: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/task"))
            .unwrap()
            .flatten()
            .filter_map(|task| std::fs::read_to_string(task.path().join("comm")).ok())
            .map(|name| name.trim_end().to_string())
            .collect();
        names.sort();
        names
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("bangui-devhost ignored SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `GET path` with extra headers; returns (status, body).
    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
        http_get(self.addr, path, headers).await
    }

    /// `GET path` and parse the fixture's JSON report.
    pub async fn probe(&self, path: &str, headers: &[(&str, &str)]) -> serde_json::Value {
        let (status, body) = self.get(path, headers).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("bad JSON {body:?}: {e}"))
    }
}

impl Drop for DevHost {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A minimal HTTP/1.0 GET (the response is close-delimited, so no chunked parsing).
pub async fn http_get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n");
    for (k, v) in headers {
        req += &format!("{k}: {v}\r\n");
    }
    req += "\r\n";
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut raw))
        .await
        .expect("response within 30 s")
        .unwrap();
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad response {text:?}"));
    (status, body.to_string())
}

/// A test PKI: CA, server certificate for `localhost`, client certificate.
pub struct Pki {
    pub ca_pem: String,
    pub server_cert_pem: String,
    pub server_key_pem: String,
    pub client_cert_pem: String,
    pub client_key_pem: String,
}

impl Pki {
    pub fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "devhost test CA");
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let leaf = |server: bool| {
            let mut params = CertificateParams::new(if server {
                vec!["localhost".to_string()]
            } else {
                Vec::new()
            })
            .unwrap();
            params.distinguished_name.push(
                DnType::CommonName,
                if server { "localhost" } else { "edge" },
            );
            params.extended_key_usages = vec![if server {
                ExtendedKeyUsagePurpose::ServerAuth
            } else {
                ExtendedKeyUsagePurpose::ClientAuth
            }];
            let key = KeyPair::generate().unwrap();
            let cert = params.signed_by(&key, &issuer).unwrap();
            (cert.pem(), key.serialize_pem())
        };
        let (server_cert_pem, server_key_pem) = leaf(true);
        let (client_cert_pem, client_key_pem) = leaf(false);
        Self {
            ca_pem: issuer.pem(),
            server_cert_pem,
            server_key_pem,
            client_cert_pem,
            client_key_pem,
        }
    }

    /// Writes ca.pem, edge.pem, edge-key.pem into `dir`.
    pub fn write_client_files(&self, dir: &Path) {
        std::fs::write(dir.join("ca.pem"), &self.ca_pem).unwrap();
        std::fs::write(dir.join("edge.pem"), &self.client_cert_pem).unwrap();
        std::fs::write(dir.join("edge-key.pem"), &self.client_key_pem).unwrap();
    }
}

/// What the upstream server saw.
#[derive(Default)]
pub struct Stats {
    pub accepts: AtomicUsize,
    pub requests: AtomicUsize,
    pub in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
    pub handshake_failures: AtomicUsize,
}

/// A loopback upstream: plain HTTP, or HTTPS that requires a client certificate from `pki`.
/// `GET /slow` waits 400 ms before answering. The body says whether a client certificate was
/// presented.
pub async fn upstream(pki: Option<&Pki>) -> (SocketAddr, Arc<Stats>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stats = Arc::new(Stats::default());
    let acceptor = pki.map(|pki| {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(pki.ca_pem.as_bytes()).unwrap())
            .unwrap();
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .unwrap();
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(
                vec![CertificateDer::from_pem_slice(pki.server_cert_pem.as_bytes()).unwrap()],
                PrivateKeyDer::from_pem_slice(pki.server_key_pem.as_bytes()).unwrap(),
            )
            .unwrap();
        tokio_rustls::TlsAcceptor::from(Arc::new(config))
    });
    let s = stats.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                break;
            };
            s.accepts.fetch_add(1, Ordering::SeqCst);
            let s = s.clone();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                match acceptor {
                    None => serve(TokioIo::new(tcp), s, false).await,
                    Some(acceptor) => match acceptor.accept(tcp).await {
                        Ok(tls) => {
                            let cert = tls.get_ref().1.peer_certificates().is_some();
                            serve(TokioIo::new(tls), s, cert).await;
                        }
                        Err(_) => {
                            s.handshake_failures.fetch_add(1, Ordering::SeqCst);
                        }
                    },
                }
            });
        }
    });
    (addr, stats)
}

async fn serve<I>(io: I, stats: Arc<Stats>, client_cert: bool)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = service_fn(move |req: Request<Incoming>| {
        let stats = stats.clone();
        async move {
            let n = stats.requests.fetch_add(1, Ordering::SeqCst) + 1;
            let now = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            stats.max_in_flight.fetch_max(now, Ordering::SeqCst);
            if req.uri().path() == "/slow" {
                tokio::time::sleep(Duration::from_millis(400)).await;
            }
            stats.in_flight.fetch_sub(1, Ordering::SeqCst);
            let body = format!("hello {n} cert={}", if client_cert { "yes" } else { "no" });
            Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from(body))))
        }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(io, service)
        .await;
}
