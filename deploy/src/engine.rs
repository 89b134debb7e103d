//! The wasmtime side: engine, linker, per-instance state, `fermyon:spin/variables@2.0.0`, and
//! pre-instantiated components (`ProxyPre`) that serve one request per fresh instance, as Spin
//! does for WASIp2 components.

use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::{Arc, Mutex};

use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{
    Cache, CacheConfig, Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig,
    ProfilingStrategy, Store,
};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::http::types::{ErrorCode, Scheme};
use wasmtime_wasi_http::p2::bindings::{Proxy, ProxyPre};
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::files::Preopen;
use crate::outbound::{ComponentOutbound, Outbound, OutboundHooks};
use crate::variables::{ComponentVariables, VariableError};

mod bindings {
    wasmtime::component::bindgen!({
        path: "src/wit/fermyon-spin@2.0.0",
        inline: "package bangui:devhost; world vars { import fermyon:spin/variables@2.0.0; }",
        imports: { default: trappable },
    });
}

use bindings::fermyon::spin::variables as spin_variables;

/// Start-up failures of the wasmtime side.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The engine or linker could not be set up.
    #[error("cannot set up wasmtime: {0}")]
    Setup(String),
    /// A component could not be compiled or linked.
    #[error("component {id:?} ({path}): {message}")]
    Component {
        /// Component id.
        id: String,
        /// Its `.wasm` file.
        path: String,
        /// What went wrong.
        message: String,
    },
}

/// Store data of one component instance.
pub struct InstanceState {
    table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: OutboundHooks,
    vars: VarsCtx,
}

impl WasiView for InstanceState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for InstanceState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// The variables interface's view of an instance.
pub struct VarsCtx {
    vars: Arc<ComponentVariables>,
}

impl spin_variables::Host for VarsCtx {
    fn get(&mut self, name: String) -> wasmtime::Result<Result<String, spin_variables::Error>> {
        Ok(self.vars.get(&name).map_err(|e| match e {
            VariableError::InvalidName(m) => spin_variables::Error::InvalidName(m),
            VariableError::Undefined(m) => spin_variables::Error::Undefined(m),
            other => spin_variables::Error::Other(other.to_string()),
        }))
    }
}

/// Where compiled components are cached between runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CompileCache {
    /// wasmtime's default cache directory (`~/.cache/wasmtime` on Linux).
    #[default]
    Default,
    /// This directory.
    Dir(std::path::PathBuf),
    /// No cache: compile every component at every start.
    Off,
}

/// The engine and the linker shared by all components.
pub struct Runtime {
    engine: Engine,
    linker: Linker<InstanceState>,
}

impl Runtime {
    /// Creates the engine (pooling allocator when the system allows it) and the linker with
    /// WASI 0.2, `wasi:http` 0.2 and `fermyon:spin/variables@2.0.0`.
    ///
    /// Compiled components are cached on disk (wasmtime's compilation cache, keyed by the
    /// component's bytes and the compiler settings), so only the first start after a rebuild
    /// pays for compilation.
    pub fn new(cache: &CompileCache, perf_map: bool) -> Result<Self, EngineError> {
        let setup = |e: wasmtime::Error| EngineError::Setup(format!("{e:#}"));
        let cache = match cache {
            CompileCache::Off => None,
            CompileCache::Default => Some(Cache::new(CacheConfig::new()).map_err(setup)?),
            CompileCache::Dir(dir) => {
                let mut config = CacheConfig::new();
                config.with_directory(dir);
                Some(Cache::new(config).map_err(setup)?)
            }
        };
        let profiler = if perf_map {
            ProfilingStrategy::PerfMap
        } else {
            ProfilingStrategy::None
        };
        let make =
            |pooling: bool| Engine::new(config(pooling).cache(cache.clone()).profiler(profiler));
        let engine = match make(true) {
            Ok(engine) => engine,
            Err(e) => {
                tracing::warn!("pooling allocator unavailable ({e:#}); using on-demand allocation");
                make(false).map_err(setup)?
            }
        };
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(setup)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).map_err(setup)?;
        spin_variables::add_to_linker::<InstanceState, HasSelf<VarsCtx>>(&mut linker, |s| {
            &mut s.vars
        })
        .map_err(setup)?;
        Ok(Self { engine, linker })
    }

    /// Compiles and pre-instantiates one component, whose instances get `setup` and send
    /// through `outbound`, for `workers` worker threads.
    pub fn load(
        &self,
        id: &str,
        path: &Path,
        setup: InstanceSetup,
        outbound: Arc<Outbound>,
        workers: NonZeroUsize,
    ) -> Result<LoadedComponent, EngineError> {
        let err = |message: String| EngineError::Component {
            id: id.to_string(),
            path: path.display().to_string(),
            message,
        };
        let component =
            Component::from_file(&self.engine, path).map_err(|e| err(format!("{e:#}")))?;
        let pre = self.linker.instantiate_pre(&component).map_err(|e| {
            err(format!(
                "cannot link (imports an interface bangui-devhost does not provide?): {e:#}"
            ))
        })?;
        let proxy = ProxyPre::new(pre).map_err(|e| {
            err(format!(
                "does not export wasi:http/incoming-handler@0.2 (only WASIp2 HTTP components, e.g. spin-sdk 5.x, are supported): {e:#}"
            ))
        })?;
        Ok(LoadedComponent {
            id: id.to_string(),
            maker: Arc::new(InstanceMaker {
                engine: self.engine.clone(),
                proxy,
                environment: setup.environment,
                files: setup.files,
                variables: Arc::new(setup.variables),
                shared_outbound: outbound,
                outbound: Arc::new(setup.outbound),
                spares: (0..workers.get()).map(|_| Mutex::new(None)).collect(),
            }),
        })
    }
}

/// What every instance of one component gets.
pub struct InstanceSetup {
    /// Environment variables.
    pub environment: Vec<(String, String)>,
    /// Directories mounted read-only.
    pub files: Vec<Preopen>,
    /// Its variables (`fermyon:spin/variables`).
    pub variables: ComponentVariables,
    /// Its outbound settings.
    pub outbound: ComponentOutbound,
}

/// Bytes of each freed memory and table that stay resident (see `config`).
const KEEP_RESIDENT: usize = 4 << 20;

fn config(pooling: bool) -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true);
    if pooling {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(500)
            .total_core_instances(2500)
            .total_memories(500)
            .total_tables(1000)
            .total_stacks(500)
            .max_memory_size(128 << 20)
            // Reset a freed instance's memory and tables by rewriting the pages it touched
            // (found with Linux's PAGEMAP_SCAN where the kernel has it) instead of `madvise`:
            // the pages stay mapped, so the next instance neither faults them in again nor
            // makes every thread of the host flush its TLB. Measured with `bangui-bench-edge`:
            // ~25 % more requests/s through the edge.
            .linear_memory_keep_resident(KEEP_RESIDENT)
            .table_keep_resident(KEEP_RESIDENT)
            .pagemap_scan(wasmtime::Enabled::Auto);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    config
}

/// A compiled, linked component, ready to serve requests.
pub struct LoadedComponent {
    /// The component id.
    pub id: String,
    maker: Arc<InstanceMaker>,
}

/// What making an instance of one component takes, and each worker's spare instance.
struct InstanceMaker {
    engine: Engine,
    proxy: ProxyPre<InstanceState>,
    environment: Vec<(String, String)>,
    files: Vec<Preopen>,
    variables: Arc<ComponentVariables>,
    shared_outbound: Arc<Outbound>,
    outbound: Arc<ComponentOutbound>,
    /// One slot per worker thread (see [`crate::worker`]): an unused instance, made after that
    /// worker's last request so the next one does not wait for instantiation. Measured with
    /// `bangui-bench-edge`, runs alternated: `bans/active` +1.65–1.81 ms over agent-only
    /// against +1.91–2.00 ms without, 2,525–2,531 against 2,240–2,381 requests/s.
    spares: Vec<Mutex<Option<Ready>>>,
}

/// An instance nobody has used yet.
struct Ready {
    store: Store<InstanceState>,
    proxy: Proxy,
}

/// A request the component could not answer.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// Instantiation or the guest call failed (trap, missing response…).
    #[error("{0}")]
    Guest(String),
    /// The guest answered with a `wasi:http` error code instead of a response.
    #[error("guest returned error code {0:?}")]
    ErrorCode(ErrorCode),
}

fn guest_error(e: wasmtime::Error) -> InvokeError {
    InvokeError::Guest(format!("{e:#}"))
}

impl InstanceMaker {
    /// A fresh instance.
    async fn make(&self) -> Result<Ready, InvokeError> {
        let mut wasi = WasiCtxBuilder::new();
        wasi.envs(&self.environment)
            // Component stdout goes to the host's stderr: stdout carries the readiness line.
            .stdout(std::io::stderr())
            .stderr(std::io::stderr());
        for mount in &self.files {
            // Opened per instance (one `open` call), when it is made: files rebuilt in place are
            // seen at once; a directory removed and made anew, from the request after next.
            wasi.preopened_dir(&mount.host, &mount.guest, FsPerms::ReadOnly)
                .map_err(|e| {
                    InvokeError::Guest(format!("cannot mount {}: {e:#}", mount.host.display()))
                })?;
        }
        let state = InstanceState {
            table: ResourceTable::new(),
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            hooks: OutboundHooks::new(self.shared_outbound.clone(), self.outbound.clone()),
            vars: VarsCtx {
                vars: self.variables.clone(),
            },
        };
        let mut store = Store::new(&self.engine, state);
        let proxy = self
            .proxy
            .instantiate_async(&mut store)
            .await
            .map_err(guest_error)?;
        Ok(Ready { store, proxy })
    }

    fn spare(&self) -> &Mutex<Option<Ready>> {
        crate::worker::own(&self.spares)
    }

    /// This worker's spare instance, or a new one.
    async fn take(&self) -> Result<Ready, InvokeError> {
        let spare = self.spare().lock().ok().and_then(|mut slot| slot.take());
        match spare {
            Some(ready) => Ok(ready),
            None => self.make().await,
        }
    }

    /// Makes this worker's next spare unless it has one (a failure shows at the next request,
    /// which then makes its instance itself).
    async fn refill(&self) {
        if self.spare().lock().is_ok_and(|slot| slot.is_some()) {
            return;
        }
        if let Ok(ready) = self.make().await {
            if let Ok(mut slot) = self.spare().lock() {
                slot.get_or_insert(ready);
            }
        }
    }
}

impl LoadedComponent {
    /// Serves one request in an instance nobody has used. Like Spin, every request gets a fresh
    /// instance; unlike Spin, the dev host makes it ahead of the request (after the worker's
    /// previous one), so the component's start-up code runs earlier — nothing a request sees.
    pub async fn handle<B>(
        &self,
        request: hyper::Request<B>,
    ) -> Result<hyper::Response<HyperOutgoingBody>, InvokeError>
    where
        B: hyper::body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let Ready { mut store, proxy } = self.maker.take().await?;
        let req = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, request)
            .map_err(guest_error)?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let out = store
            .data_mut()
            .http()
            .new_response_outparam(tx)
            .map_err(guest_error)?;
        let maker = self.maker.clone();
        let task = tokio::spawn(async move {
            let result = proxy
                .wasi_http_incoming_handler()
                .call_handle(&mut store, req, out)
                .await;
            // Dropping the store resets the instance's memory (tenths of a millisecond), and
            // making the next instance takes as long. On a worker thread that runs the whole
            // request, yield first so the connection task sends the answer before either.
            tokio::task::yield_now().await;
            drop(store);
            maker.refill().await;
            result
        });
        match rx.await {
            Ok(Ok(response)) => {
                // The guest may still be streaming the body; report a late failure.
                let id = self.id.clone();
                tokio::spawn(async move {
                    match task.await {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => {
                            tracing::warn!(component = %id, "component error after response started: {e:#}")
                        }
                        Err(e) => tracing::warn!(component = %id, "component task failed: {e}"),
                    }
                });
                Ok(response)
            }
            Ok(Err(code)) => Err(InvokeError::ErrorCode(code)),
            Err(_) => match task.await {
                Ok(Ok(())) => Err(InvokeError::Guest(
                    "guest failed to produce a response prior to returning".into(),
                )),
                Ok(Err(e)) => Err(guest_error(e)),
                Err(e) => Err(InvokeError::Guest(format!(
                    "guest invocation panicked: {e}"
                ))),
            },
        }
    }
}
