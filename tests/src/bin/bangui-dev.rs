//! `bangui-dev`: the local development setup behind `bash deploy/run.sh`.
//!
//! Starts a sandboxed `fail2ban-server` (the same harness the tests use, in a directory kept
//! between runs), a failure generator that makes bans appear, and the agent on
//! `127.0.0.1:PORT`; prints the URL and a few `curl` examples; on SIGINT, SIGTERM or SIGHUP
//! stops the agent, then fail2ban, and exits 0. If the agent or fail2ban exits by itself, it
//! stops the other and exits 1.
#![forbid(unsafe_code)]

use std::error::Error;
use std::path::PathBuf;
use std::process::{ExitCode, ExitStatus};
use std::time::Duration;

use bangui_tests::{Agent, AgentConfig, Fail2ban, FailureGenerator};
use clap::Parser;
use tokio::signal::unix::{signal, Signal, SignalKind};

/// Run fail2ban (sandboxed), a failure generator and the BanGUI agent for local development.
#[derive(Debug, Parser)]
#[command(name = "bangui-dev", version)]
struct Args {
    /// Sandbox directory. Kept between runs: logs and fail2ban's database survive, etc/ is
    /// written anew. Keep it short (the socket path must fit in 107 bytes).
    #[arg(long, default_value = "/tmp/bangui-dev")]
    dir: PathBuf,
    /// Port for the agent on 127.0.0.1.
    #[arg(long, default_value_t = 8650)]
    port: u16,
    /// Seconds between rounds of generated failure lines; 0 turns the generator off.
    #[arg(long, default_value_t = 2.0)]
    failure_interval: f64,
}

/// Why the dev setup stops.
enum Shutdown {
    Signal(&'static str),
    Exited(&'static str, ExitStatus),
}

struct Signals {
    interrupt: Signal,
    terminate: Signal,
    hangup: Signal,
}

impl Signals {
    fn new() -> std::io::Result<Self> {
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }

    async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "SIGINT",
            _ = self.terminate.recv() => "SIGTERM",
            _ = self.hangup.recv() => "SIGHUP",
        }
    }
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bangui-dev: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), Box<dyn Error>> {
    let interval = match args.failure_interval {
        0.0 => None,
        secs if secs.is_finite() && secs > 0.0 => Some(Duration::from_secs_f64(secs)),
        secs => {
            return Err(format!(
                "--failure-interval must be 0 or a positive number of seconds, not {secs}"
            )
            .into())
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // Handlers first: a Ctrl-C during start-up is then handled once everything runs.
    let mut signals = {
        let _entered = runtime.enter();
        Signals::new()?
    };

    eprintln!("bangui-dev: starting fail2ban in {}", args.dir.display());
    let mut fail2ban = Fail2ban::builder().dir(&args.dir).try_start()?;
    let generator = interval.map(|interval| FailureGenerator::for_fail2ban(&fail2ban, interval));
    let mut config = AgentConfig::for_fail2ban(&fail2ban);
    config.listen = format!("127.0.0.1:{}", args.port);
    config.config_file = Some(args.dir.join("agent.toml"));
    config.echo_output = true;
    eprintln!("bangui-dev: starting the agent on {}", config.listen);
    let mut agent = Agent::try_start_config(config)?;

    print_banner(&fail2ban, &agent, interval);
    let shutdown = runtime.block_on(wait_for_shutdown(&mut signals, &mut agent, &mut fail2ban));

    drop(generator);
    agent.stop();
    fail2ban.stop();
    match shutdown {
        Shutdown::Signal(name) => {
            eprintln!("bangui-dev: {name}: stopped the agent and fail2ban");
            Ok(())
        }
        Shutdown::Exited(what, status) => {
            Err(format!("{what} exited ({status}); stopped the rest").into())
        }
    }
}

/// Waits for a signal, checking twice a second that both processes still run.
async fn wait_for_shutdown(
    signals: &mut Signals,
    agent: &mut Agent,
    fail2ban: &mut Fail2ban,
) -> Shutdown {
    loop {
        tokio::select! {
            name = signals.recv() => return Shutdown::Signal(name),
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
        let exited = match (agent.try_wait(), fail2ban.try_wait()) {
            (Some(status), _) => Shutdown::Exited("the agent", status),
            (None, Some(status)) => Shutdown::Exited("fail2ban-server", status),
            (None, None) => continue,
        };
        // A Ctrl-C reaches the whole process group: the children may exit just before we see
        // the signal. Give it a moment so that case still counts as a requested shutdown.
        return tokio::select! {
            name = signals.recv() => Shutdown::Signal(name),
            () = tokio::time::sleep(Duration::from_millis(300)) => exited,
        };
    }
}

fn print_banner(fail2ban: &Fail2ban, agent: &Agent, interval: Option<Duration>) {
    let base = agent.base_url();
    let pid = |pid: Option<u32>| pid.map_or("?".to_owned(), |pid| pid.to_string());
    let ban = r#"'{"ip":"203.0.113.50","jail":"sshd"}'"#;
    let json = "-H 'Content-Type: application/json'";
    println!();
    println!("BanGUI agent listening on {base}");
    println!(
        "  agent     pid {}, config {}",
        pid(agent.pid()),
        agent.config_path().display()
    );
    println!(
        "  fail2ban  pid {}, socket {}, config {}",
        pid(fail2ban.pid()),
        fail2ban.socket().display(),
        fail2ban.config_dir().display()
    );
    println!("  logs      {}", fail2ban.log_dir().display());
    match interval {
        Some(interval) => println!(
            "  failures  every {interval:?} into {} (sshd) and {} (f2btest)",
            fail2ban.log_path("sshd").display(),
            fail2ban.log_path("f2btest").display()
        ),
        None => println!("  failures  generator off"),
    }
    println!();
    println!("Try:");
    println!("  curl -s {base}/api/v1/health");
    println!("  curl -s {base}/api/v1/jails");
    println!("  curl -s {base}/api/v1/bans/active");
    println!("  curl -s -X POST {base}/api/v1/bans {json} -d {ban}");
    println!("  curl -s -X DELETE {base}/api/v1/bans {json} -d {ban}");
    println!(
        "  fail2ban-client -c {} -s {} status sshd",
        fail2ban.config_dir().display(),
        fail2ban.socket().display()
    );
    println!();
    println!("Ctrl-C stops the agent and fail2ban.");
}
