//! `bangui-devhost`: run `spin.toml` locally (development and test host; see the crate docs).

#![forbid(unsafe_code)]

use std::io::Write;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use bangui_devhost::engine::CompileCache;
use bangui_devhost::server::{absolute, App, AppOptions};
use bangui_devhost::variable_sources::VariableSource;
use clap::Parser;

/// Development and test host for the BanGUI edge: runs spin.toml's WASIp2 components like
/// `spin up`. Not for production (use Spin, SpinKube or Fermyon Cloud).
#[derive(Debug, Parser)]
#[command(name = "bangui-devhost", version)]
struct Args {
    /// The Spin manifest.
    #[arg(short = 'f', long = "from", default_value = "spin.toml")]
    manifest: PathBuf,
    /// Spin runtime-config file; only [[client_tls]] is supported.
    #[arg(long = "runtime-config-file")]
    runtime_config: Option<PathBuf>,
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// Application variable: NAME=VALUE, NAME=@FILE (the file's text), or @FILE.json /
    /// @FILE.toml (names to values), as Spin 3.5 reads them; beats SPIN_VARIABLE_* and defaults;
    /// repeatable, the last wins. A NAME=VALUE is readable by every local user in the process
    /// list: give secrets as NAME=@FILE or SPIN_VARIABLE_<NAME>.
    #[arg(
        long = "variable",
        value_name = "NAME=VALUE | NAME=@FILE | @FILE.json | @FILE.toml"
    )]
    variables: Vec<VariableSource>,
    /// Directory for compiled components (default: wasmtime's cache, ~/.cache/wasmtime).
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    cache_dir: Option<PathBuf>,
    /// Compile every component at start-up instead of using the compilation cache.
    #[arg(long)]
    no_cache: bool,
    /// Write /tmp/perf-<pid>.map so `perf report` names the components' functions.
    #[arg(long)]
    perf_map: bool,
    /// Worker threads serving requests (default: one per CPU).
    #[arg(long, value_name = "N")]
    workers: Option<NonZeroUsize>,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    // This thread loads the app, accepts connections and waits for signals; the requests run
    // on the app's worker threads, each with a runtime of its own.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bangui-devhost: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bangui-devhost: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let options = AppOptions {
        manifest: absolute(&args.manifest),
        runtime_config: args.runtime_config.as_deref().map(absolute),
        variables: args.variables,
        cache: match (args.no_cache, &args.cache_dir) {
            (true, _) => CompileCache::Off,
            (false, Some(dir)) => CompileCache::Dir(absolute(dir)),
            (false, None) => CompileCache::Default,
        },
        perf_map: args.perf_map,
        workers: args.workers,
    };
    let app = tokio::task::spawn_blocking(move || App::load(&options))
        .await
        .map_err(|e| format!("loading panicked: {e}"))?
        .map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listen address: {e}"))?;
    tracing::info!(
        routes = app.route_count(),
        components = ?app.component_ids().collect::<Vec<_>>(),
        "app loaded"
    );
    let server = Arc::new(app)
        .start(listener)
        .map_err(|e| format!("cannot start the worker threads: {e}"))?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "bangui-devhost listening on http://{local}")
            .and_then(|()| stdout.flush())
            .map_err(|e| format!("cannot write to stdout: {e}"))?;
    }
    server.run(shutdown_signal()).await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::warn!("cannot install signal handlers; stop with SIGKILL");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
        _ = int.recv() => tracing::info!("SIGINT: shutting down"),
    }
}
