//! `bangui-agent`: the command-line entry point.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use std::sync::Arc;

use bangui_agent::config::AgentConfig;
use bangui_agent::http::server::Transport;
use bangui_agent::state::AppState;
use bangui_agent::Listener;
use clap::{Parser, Subcommand};
use tokio::net::TcpListener;
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
    /// Fleet certificates for the edge and the agents.
    Certs {
        #[command(subcommand)]
        command: CertsCmd,
    },
}

#[derive(Subcommand)]
enum CertsCmd {
    /// Generate the fleet CA, the edge client certificate, a server certificate per agent, the
    /// session signing key, a Spin runtime-config.toml and an agent config snippet per agent.
    Init {
        /// Output directory (keys are written with mode 0600).
        #[arg(long)]
        out: PathBuf,
        /// Agent name (repeatable).
        #[arg(long = "agent", default_value = "agent1")]
        agents: Vec<String>,
        /// DNS name or IP the agents are reached at (repeatable).
        #[arg(long = "host", default_values = ["localhost", "127.0.0.1", "::1"])]
        hosts: Vec<String>,
        /// Spin manifest whose component ids present the client certificate.
        #[arg(long, default_value = "spin.toml")]
        spin_toml: PathBuf,
        /// SAN URI that marks the edge's certificate.
        #[arg(long, default_value = "spiffe://bangui/edge")]
        edge_role: String,
        /// Validity of the leaf certificates in days (the CA gets three times as long).
        #[arg(long, default_value_t = 825)]
        days: i64,
        /// Replace existing files.
        #[arg(long)]
        force: bool,
    },
}

fn certs_init(cmd: CertsCmd) -> anyhow::Result<()> {
    let CertsCmd::Init {
        out,
        agents,
        hosts,
        spin_toml,
        edge_role,
        days,
        force,
    } = cmd;
    let mut component_ids = match std::fs::read_to_string(&spin_toml) {
        Ok(text) => bangui_agent::certs::component_ids(&text)?,
        Err(_) => Vec::new(),
    };
    if component_ids.is_empty() {
        component_ids = bangui_shared::routes::Group::ALL
            .iter()
            .map(|g| g.as_str().replace('_', "-"))
            .collect();
    }
    let options = bangui_agent::certs::InitOptions {
        out,
        agents,
        hosts,
        component_ids,
        edge_role,
        valid_days: days,
        force,
    };
    let written = bangui_agent::certs::init(&options)?;
    for path in written.0 {
        println!("wrote {}", path.display());
    }
    Ok(())
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
        Cmd::Certs { command } => certs_init(command),
        Cmd::CheckConfig { config } => {
            let config = AgentConfig::load(&config)?;
            println!("{config:#?}");
            Ok(())
        }
        Cmd::Serve { config } => {
            let config = load(config.as_ref())?;
            let user_transport = match (&config.listen.tls_cert, &config.listen.tls_key) {
                (Some(cert), Some(key)) => Transport::Tls(bangui_agent::tls::acceptor(cert, key)?),
                _ => Transport::Plain,
            };
            let edge_transport = match (&config.edge.ca, &config.edge.cert, &config.edge.key) {
                (Some(ca), Some(cert), Some(key)) if config.edge.address.is_some() => {
                    Some(Transport::Edge {
                        acceptor: bangui_agent::tls::edge_acceptor(ca, cert, key)?,
                        role_uri: config.edge.role_uri.clone(),
                    })
                }
                _ => None,
            };
            let state = Arc::new(AppState::open(config)?);
            let config = &state.config;
            let tcp = bangui_agent::bind(config)
                .await
                .with_context(|| format!("cannot listen on {}", config.listen.address))?;
            let addr = tcp.local_addr()?;
            let plain = matches!(user_transport, Transport::Plain);
            if plain && !addr.ip().is_loopback() {
                tracing::warn!(
                    %addr,
                    "serving plain HTTP beyond loopback: passwords and session tokens cross the \
                     network unencrypted; set listen.tls_cert and listen.tls_key"
                );
            }
            if !state.auth.is_setup() {
                tracing::warn!("setup has not been completed: POST /api/v1/setup");
            }
            let edge = match (edge_transport, config.edge.address) {
                (Some(transport), Some(edge_addr)) => {
                    let tcp = TcpListener::bind(edge_addr)
                        .await
                        .with_context(|| format!("cannot listen on {edge_addr} (edge)"))?;
                    let bound = tcp.local_addr()?;
                    println!("bangui-agent edge listening on https://{bound}");
                    Some(Listener { tcp, transport })
                }
                _ => None,
            };
            tracing::info!(
                %addr,
                socket = %state.fail2ban().socket().display(),
                state_dir = %config.state.dir.display(),
                edge = edge.is_some(),
                "agent started"
            );
            let scheme = if plain { "http" } else { "https" };
            println!("bangui-agent listening on {scheme}://{addr}");
            let user = Listener {
                tcp,
                transport: user_transport,
            };
            bangui_agent::serve(state.clone(), user, edge, shutdown_signal()).await;
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
