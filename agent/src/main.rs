//! `bangui-agent`: the command-line entry point.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use std::sync::Arc;

use bangui_agent::config::AgentConfig;
use bangui_agent::state::AppState;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "bangui-agent",
    version,
    about = "BanGUI agent: the BanGUI API v1 next to fail2ban"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the API. Prints `bangui-agent listening on http://ADDR` once ready; logs go to stderr.
    Serve {
        /// TOML configuration file (every key optional; see README).
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Validate a configuration file and print the effective settings.
    CheckConfig {
        #[arg(long, short)]
        config: PathBuf,
    },
}

fn load(path: Option<&PathBuf>) -> anyhow::Result<AgentConfig> {
    match path {
        Some(p) => Ok(AgentConfig::load(p)?),
        None => Ok(AgentConfig::default()),
    }
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = term.recv() => {},
        _ = tokio::signal::ctrl_c() => {},
    }
    tracing::info!("shutting down");
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Cmd::CheckConfig { config } => {
            let config = AgentConfig::load(&config)?;
            println!("{config:#?}");
            Ok(())
        }
        Cmd::Serve { config } => {
            let config = load(config.as_ref())?;
            let tls = match (&config.listen.tls_cert, &config.listen.tls_key) {
                (Some(cert), Some(key)) => Some(bangui_agent::tls::acceptor(cert, key)?),
                _ => None,
            };
            let state = Arc::new(AppState::open(config)?);
            let config = &state.config;
            let listener = bangui_agent::bind(config)
                .await
                .with_context(|| format!("cannot listen on {}", config.listen.address))?;
            let addr = listener.local_addr()?;
            if tls.is_none() && !addr.ip().is_loopback() {
                tracing::warn!(
                    %addr,
                    "serving plain HTTP beyond loopback: passwords and session tokens cross the \
                     network unencrypted; set listen.tls_cert and listen.tls_key"
                );
            }
            if !state.auth.is_setup() {
                tracing::warn!("setup has not been completed: POST /api/v1/setup");
            }
            tracing::info!(
                %addr,
                socket = %state.fail2ban().socket().display(),
                state_dir = %config.state.dir.display(),
                "agent started"
            );
            let scheme = if tls.is_some() { "https" } else { "http" };
            println!("bangui-agent listening on {scheme}://{addr}");
            bangui_agent::serve(state.clone(), listener, tls, shutdown_signal()).await;
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("BANGUI_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(4 * 1024 * 1024)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
