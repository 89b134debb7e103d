//! Loading an app and serving it over HTTP/1.1, the way Spin's HTTP trigger does.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HeaderValue, CONNECTION, CONTENT_TYPE, HOST};
use http::uri::{Authority, Scheme};
use http::{Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

use crate::allowed_hosts::AllowedHosts;
use crate::engine::{CompileCache, InstanceSetup, InvokeError, LoadedComponent, Runtime};
use crate::files::{FileMount, Preopen};
use crate::manifest::Manifest;
use crate::outbound::{ComponentOutbound, Outbound};
use crate::routes::{spin_headers, Router};
use crate::runtime_config::{ClientTlsConfigs, RuntimeConfig};
use crate::variable_sources::{Overrides, VariableSource};
use crate::variables::{env_name, secrets_on_command_line, AppVariables, ComponentVariables};
use crate::worker::Workers;

/// Any start-up failure, with a message naming the file or setting involved.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct LoadError(String);

impl LoadError {
    fn new(e: impl std::fmt::Display) -> Self {
        Self(e.to_string())
    }
}

/// What to load.
#[derive(Debug, Clone, Default)]
pub struct AppOptions {
    /// Path of `spin.toml`.
    pub manifest: PathBuf,
    /// Optional Spin runtime-config file (`[[client_tls]]`).
    pub runtime_config: Option<PathBuf>,
    /// `--variable` arguments (beat `SPIN_VARIABLE_*` and defaults); files are read by
    /// [`App::load`].
    pub variables: Vec<VariableSource>,
    /// Compilation cache.
    pub cache: CompileCache,
    /// Write `/tmp/perf-<pid>.map` so `perf` names the components' compiled functions.
    pub perf_map: bool,
    /// Worker threads serving requests (default: one per CPU).
    pub workers: Option<NonZeroUsize>,
}

/// A loaded application: routes and pre-instantiated components.
pub struct App {
    name: String,
    version: String,
    router: Router,
    components: Vec<LoadedComponent>,
    outbound: Arc<Outbound>,
    workers: NonZeroUsize,
}

impl App {
    /// Reads the manifest and runtime config, resolves variables, compiles every component.
    pub fn load(options: &AppOptions) -> Result<Self, LoadError> {
        let manifest_path = &options.manifest;
        let manifest = Manifest::load(manifest_path).map_err(LoadError::new)?;
        let manifest_dir = manifest_path
            .parent()
            .filter(|dir| !dir.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let routes = manifest
            .http_routes(manifest_path)
            .map_err(LoadError::new)?;
        let specs = manifest
            .component_specs(manifest_path)
            .map_err(LoadError::new)?;
        let decls = manifest.variable_decls();
        let overrides = Overrides::read(&options.variables).map_err(LoadError::new)?;
        let app_vars = AppVariables::resolve(&decls, overrides.values(), |k| std::env::var(k).ok())
            .map_err(|e| LoadError(format!("{}: {e}", manifest_path.display())))?;
        for name in secrets_on_command_line(&decls, overrides.literal_names()) {
            tracing::warn!(
                "secret variable {name} was given with --variable, where every local user can \
                 read it in the process list; set {} in the environment instead, or give \
                 --variable {name}=@FILE",
                env_name(name)
            );
        }

        let tls = match &options.runtime_config {
            Some(path) => {
                let rc = RuntimeConfig::load(path).map_err(LoadError::new)?;
                let tls = rc.build_tls().map_err(LoadError::new)?;
                for id in tls.component_ids() {
                    if !manifest.components.contains_key(id) {
                        tracing::warn!(
                            "{}: [[client_tls]] names component {id:?}, which is not in the manifest",
                            path.display()
                        );
                    }
                }
                tls
            }
            None => ClientTlsConfigs::empty().map_err(LoadError)?,
        };
        let workers = options
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN));
        let outbound = Arc::new(Outbound::new(tls, workers));

        let runtime = Runtime::new(&options.cache, options.perf_map).map_err(LoadError::new)?;
        let mut components = Vec::new();
        let mut index_of = HashMap::new();
        for spec in &specs {
            // Only components that a route uses are compiled.
            if !routes.iter().any(|r| r.component == spec.id) {
                continue;
            }
            let started = Instant::now();
            let variables = ComponentVariables::render(&spec.id, &spec.variables, &app_vars)
                .map_err(|e| LoadError(format!("component {:?}: {e}", spec.id)))?;
            let allowed = AllowedHosts::parse(&spec.allowed_outbound_hosts, &app_vars)
                .map_err(|e| LoadError(format!("component {:?}: {e}", spec.id)))?;
            let files = preopens(&spec.id, &spec.files, manifest_dir)?;
            let setup = InstanceSetup {
                environment: spec
                    .environment
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                files,
                variables,
                outbound: ComponentOutbound {
                    component_id: spec.id.clone(),
                    allowed,
                },
            };
            let loaded = runtime
                .load(&spec.id, &spec.source, setup, outbound.clone(), workers)
                .map_err(LoadError::new)?;
            tracing::info!(
                component = %spec.id,
                "compiled {} in {} ms",
                spec.source.display(),
                started.elapsed().as_millis()
            );
            index_of.insert(spec.id.clone(), components.len());
            components.push(loaded);
        }
        let (router, duplicates) = Router::build(routes.iter().map(|r| {
            (
                r.route.as_str(),
                index_of[&r.component],
                r.component.as_str(),
            )
        }))
        .map_err(LoadError::new)?;
        for route in duplicates {
            tracing::warn!("duplicate route {route:?}: the later [[trigger.http]] entry wins");
        }
        Ok(Self {
            name: manifest.application.name.clone(),
            version: manifest.application.version.clone(),
            router,
            components,
            outbound,
            workers,
        })
    }

    /// Starts the app's worker threads behind `listener`; [`Server::run`] then accepts.
    pub fn start(self: Arc<Self>, listener: TcpListener) -> std::io::Result<Server> {
        self.outbound.set_self_origin(listener.local_addr()?);
        let workers = Workers::start(self.workers, &self)?;
        Ok(Server { listener, workers })
    }

    /// Serves one client connection as a task of the calling thread's runtime.
    pub(crate) fn serve_connection(
        self: &Arc<Self>,
        stream: TcpStream,
        client_addr: SocketAddr,
        graceful: &GracefulShutdown,
    ) {
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!("set_nodelay failed: {e}");
        }
        let app = self.clone();
        let service = service_fn(move |req: Request<Incoming>| {
            let app = app.clone();
            async move { Ok::<_, Infallible>(app.handle(req, client_addr).await) }
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!("connection error: {e}");
            }
        });
    }

    /// Handles one request: well-known paths, routing, Spin headers, the component call.
    pub async fn handle(
        &self,
        req: Request<Incoming>,
        client_addr: SocketAddr,
    ) -> Response<HyperOutgoingBody> {
        let started = Instant::now();
        let (mut parts, body) = req.into_parts();
        parts.headers.remove(CONNECTION);
        let path = parts.uri.path().to_string();

        if let Some(well_known) = path.strip_prefix("/.well-known/spin/") {
            return match well_known {
                "health" => text(StatusCode::OK, "OK"),
                "info" => {
                    let mut info = serde_json::json!({ "name": self.name });
                    if !self.version.is_empty() {
                        info["version"] = self.version.clone().into();
                    }
                    let mut r = text(StatusCode::OK, &info.to_string());
                    r.headers_mut()
                        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                    r
                }
                _ => empty(StatusCode::NOT_FOUND),
            };
        }

        let Some(route) = self.router.route(&path) else {
            tracing::debug!(%path, "no route matched: 404");
            return empty(StatusCode::NOT_FOUND);
        };
        let component = &self.components[route.component];

        // Spin's set_req_uri: absolute URI from the Host header (or the URI's authority).
        let authority = match request_authority(&parts) {
            Ok(a) => a,
            Err(message) => {
                tracing::warn!(%path, "bad request: {message}");
                return text(StatusCode::BAD_REQUEST, message);
            }
        };
        let host = parts
            .headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost")
            .to_string();
        let path_and_query = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".to_string());
        let mut uri_parts = http::uri::Parts::default();
        uri_parts.scheme = Some(Scheme::HTTP);
        uri_parts.authority = Some(authority);
        uri_parts.path_and_query = parts.uri.path_and_query().cloned();
        match Uri::from_parts(uri_parts) {
            Ok(uri) => parts.uri = uri,
            Err(e) => {
                return text(
                    StatusCode::BAD_REQUEST,
                    &format!("invalid request URI: {e}"),
                )
            }
        }
        for (name, value) in spin_headers("http", &host, &path_and_query, &route, client_addr) {
            parts.headers.append(name, value);
        }
        let method = parts.method.clone();
        let result = component.handle(Request::from_parts(parts, body)).await;
        let response = match result {
            Ok(response) => response,
            Err(InvokeError::ErrorCode(code)) => {
                tracing::error!(component = %component.id, "error processing request: guest returned {code:?}");
                empty(StatusCode::INTERNAL_SERVER_ERROR)
            }
            Err(e) => {
                tracing::error!(component = %component.id, "error processing request: {e}");
                empty(StatusCode::INTERNAL_SERVER_ERROR)
            }
        };
        tracing::debug!(
            component = %component.id,
            %method,
            %path,
            status = response.status().as_u16(),
            micros = started.elapsed().as_micros() as u64,
            "request"
        );
        response
    }

    /// Number of routes.
    pub fn route_count(&self) -> usize {
        self.router.len()
    }

    /// Component ids in load order.
    pub fn component_ids(&self) -> impl Iterator<Item = &str> {
        self.components.iter().map(|c| c.id.as_str())
    }
}

/// A started app: its listener and running worker threads.
pub struct Server {
    listener: TcpListener,
    workers: Workers,
}

impl Server {
    /// Accepts until `shutdown` resolves, handing each connection to a worker thread in turn;
    /// then waits briefly for open connections.
    pub async fn run(mut self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let (stream, client_addr) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            self.workers.hand_out(stream, client_addr);
        }
        drop(self.listener);
        self.workers.stop().await;
    }
}

/// The existing `files` directories of a component; a missing one is skipped with a warning
/// (the UI may not be built yet: the API must still come up).
fn preopens(id: &str, files: &[FileMount], app_dir: &Path) -> Result<Vec<Preopen>, LoadError> {
    let mut out = Vec::new();
    for mount in files {
        match mount.preopen(app_dir) {
            Ok(Some(p)) => out.push(p),
            Ok(None) => tracing::warn!(
                component = %id,
                "files source {} does not exist: starting without it (restart once it is built)",
                mount.source.display()
            ),
            Err(e) => return Err(LoadError(format!("component {id:?}: {e}"))),
        }
    }
    Ok(out)
}

fn request_authority(parts: &http::request::Parts) -> Result<Authority, &'static str> {
    let header = match parts.headers.get(HOST) {
        None => None,
        Some(h) => Some(
            h.to_str()
                .map_err(|_| "'Host' header is not valid UTF-8")?
                .parse::<Authority>()
                .map_err(|_| "'Host' header contains an invalid authority")?,
        ),
    };
    match (header, parts.uri.authority().cloned()) {
        (None, None) => Err("no 'Host' header present in request"),
        (None, Some(a)) | (Some(a), None) => Ok(a),
        (Some(a), Some(b)) if a == b => Ok(a),
        (Some(_), Some(_)) => Err("authority in 'Host' header does not match authority in URI"),
    }
}

fn empty(status: StatusCode) -> Response<HyperOutgoingBody> {
    let mut r = Response::new(Empty::<Bytes>::new().map_err(|e| match e {}).boxed_unsync());
    *r.status_mut() = status;
    r
}

fn text(status: StatusCode, body: &str) -> Response<HyperOutgoingBody> {
    let mut r = Response::new(
        Full::new(Bytes::copy_from_slice(body.as_bytes()))
            .map_err(|e| match e {})
            .boxed_unsync(),
    );
    *r.status_mut() = status;
    r
}

/// Resolves `path` against the current directory (for messages and relative sources).
pub fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    }
}
