//! `bangui-dev`: the local development setup behind `bash deploy/run.sh` — the edge shape.
//!
//! In a directory kept between runs: fleet certificates (generated on the first run), two
//! sandboxed `fail2ban-server`s (the same harness the tests use) with failure generators that
//! make bans appear, an agent next to each (agent1 also serves agent-only mode on
//! `127.0.0.1:PORT`; both have mTLS edge listeners on 8651/8652), and the dev host running
//! `spin.toml` on `127.0.0.1:EDGE_PORT` — API and web dashboard (agent1's agent-only listener
//! serves the dashboard too). Prints the URLs and `curl` examples; on SIGINT, SIGTERM
//! or SIGHUP stops everything and exits 0. If a process exits by itself, it stops the rest and
//! exits 1.
#![forbid(unsafe_code)]

use std::error::Error;
use std::path::PathBuf;
use std::process::{ExitCode, ExitStatus};
use std::time::Duration;

use bangui_tests::signals::{Stop, StopSignals};
use bangui_tests::{fleet, Agent, AgentConfig, DevHost, DevHostConfig, Fail2ban, FailureGenerator};
use clap::Parser;

/// Run fail2ban (sandboxed), a failure generator and the BanGUI agent for local development.
#[derive(Debug, Parser)]
#[command(name = "bangui-dev", version)]
struct Args {
    /// Sandbox directory. Kept between runs: logs and fail2ban's database survive, etc/ is
    /// written anew. Keep it short (the socket path must fit in 107 bytes).
    #[arg(long, default_value = "/tmp/bangui-dev")]
    dir: PathBuf,
    /// Port for the agent on 127.0.0.1.
    /// Agent-only listener of agent1.
    #[arg(long, default_value_t = 8650)]
    port: u16,
    /// The edge (dev host running spin.toml).
    #[arg(long, default_value_t = 8600)]
    edge_port: u16,
    /// Seconds between rounds of generated failure lines; 0 turns the generator off.
    #[arg(long, default_value_t = 2.0)]
    failure_interval: f64,
}

/// Why the dev setup stops.
enum Shutdown {
    Signal(Stop),
    Exited(&'static str, ExitStatus),
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
        StopSignals::new()?
    };

    std::fs::create_dir_all(&args.dir)?;
    let names: Vec<String> = vec!["agent1".into(), "agent2".into()];
    let certs = args.dir.join("certs");
    if !certs.join("ca.pem").exists() {
        eprintln!(
            "bangui-dev: generating fleet certificates in {}",
            certs.display()
        );
        fleet::init_certs(&certs, &names, false)?;
    }
    let mut members = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let dir = args.dir.join(name);
        eprintln!("bangui-dev: starting fail2ban in {}", dir.display());
        let fail2ban = Fail2ban::builder().dir(&dir).try_start()?;
        let generator =
            interval.map(|interval| FailureGenerator::for_fail2ban(&fail2ban, interval));
        let mut config = AgentConfig::for_fail2ban(&fail2ban);
        // agent1's user listener is the agent-only entry point; agent2's is not advertised.
        config.listen = match i {
            0 => format!("127.0.0.1:{}", args.port),
            _ => "127.0.0.1:0".into(),
        };
        config.config_file = Some(dir.join("agent.toml"));
        config.state_dir = Some(dir.join("state"));
        config.setup = false;
        config.echo_output = true;
        config.extra_toml = fleet::edge_toml(&certs, name, fleet::EDGE_BASE_PORT + 1 + i as u16)
            + "cookie_secure = false\n";
        if i == 0 {
            // Agent-only mode serves the dashboard too.
            config.extra_toml += &fleet::ui_toml(&fleet::ui_dist_dir());
        }
        eprintln!("bangui-dev: starting {name}");
        let agent = Agent::try_start_config(config)?;
        members.push((fail2ban, generator, agent));
    }
    eprintln!(
        "bangui-dev: starting the edge (dev host) on 127.0.0.1:{}",
        args.edge_port
    );
    let mut devhost = DevHost::try_start(&DevHostConfig {
        manifest: DevHost::manifest_path(),
        runtime_config: Some(certs.join("runtime-config.toml")),
        variables: vec![
            ("agents".into(), fleet::agents_variable(&names)),
            ("control_agent".into(), names[0].clone()),
            fleet::signing_key_variable(&certs),
        ],
        listen: Some(format!("127.0.0.1:{}", args.edge_port)),
        echo_output: true,
    })?;

    print_banner(&devhost, &members, interval);
    let shutdown = runtime.block_on(wait_for_shutdown(&mut signals, &mut devhost, &mut members));

    devhost.stop();
    for (mut fail2ban, generator, mut agent) in members {
        drop(generator);
        agent.stop();
        fail2ban.stop();
    }
    match shutdown {
        Shutdown::Signal(stop) => {
            eprintln!(
                "bangui-dev: {}: stopped the edge, the agents and fail2ban",
                stop.name()
            );
            Ok(())
        }
        Shutdown::Exited(what, status) => {
            Err(format!("{what} exited ({status}); stopped the rest").into())
        }
    }
}

type Member = (Fail2ban, Option<FailureGenerator>, Agent);

async fn wait_for_shutdown(
    signals: &mut StopSignals,
    devhost: &mut DevHost,
    members: &mut [Member],
) -> Shutdown {
    loop {
        tokio::select! {
            stop = signals.recv() => return Shutdown::Signal(stop),
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
        let mut exited = devhost
            .try_wait()
            .map(|s| Shutdown::Exited("the dev host", s));
        for (fail2ban, _, agent) in members.iter_mut() {
            if exited.is_none() {
                exited = match (agent.try_wait(), fail2ban.try_wait()) {
                    (Some(status), _) => Some(Shutdown::Exited("an agent", status)),
                    (None, Some(status)) => Some(Shutdown::Exited("fail2ban-server", status)),
                    (None, None) => None,
                };
            }
        }
        let Some(exited) = exited else { continue };
        // A Ctrl-C reaches the whole process group: the children may exit just before we see
        // the signal. Give it a moment so that case still counts as a requested shutdown.
        return tokio::select! {
            stop = signals.recv() => Shutdown::Signal(stop),
            () = tokio::time::sleep(Duration::from_millis(300)) => exited,
        };
    }
}

fn print_banner(devhost: &DevHost, members: &[Member], interval: Option<Duration>) {
    let edge = devhost.base_url();
    let agent_only = members[0].2.base_url();
    let json = "-H 'Content-Type: application/json'";
    let auth = "-H \"Authorization: Bearer $TOKEN\"";
    println!();
    println!("BanGUI edge listening on {edge}   (agent-only mode: {agent_only})");
    for (fail2ban, _, agent) in members {
        println!(
            "  {}  fail2ban socket {}, logs {}",
            agent.config_path().display(),
            fail2ban.socket().display(),
            fail2ban.log_dir().display()
        );
    }
    match interval {
        Some(interval) => println!("  failures  written every {interval:?} to both sandboxes"),
        None => println!("  failures  generator off"),
    }
    println!();
    println!("Dashboard: open {edge}/ in a browser (agent-only mode: {agent_only}/)");
    if !fleet::ui_dist_dir().join("index.html").is_file() {
        println!(
            "  (not built yet: run `npm ci && npm run build` in functions/ui/web; bash deploy/run.sh does it)"
        );
    }
    println!();
    println!("First run — set the master password in the browser, or with curl, then log in (through the edge):");
    println!(
        "  curl -s -X POST {edge}/api/v1/setup {json} -d '{{\"master_password\":\"Choose-a-str0ng-one!\"}}'"
    );
    println!(
        "  TOKEN=$(curl -s -X POST {edge}/api/v1/auth/login {json} -d '{{\"password\":\"Choose-a-str0ng-one!\"}}' | sed 's/.*\"token\":\"\\([^\"]*\\)\".*/\\1/')"
    );
    println!("Then:");
    println!("  curl -s {edge}/api/v1/health");
    println!("  curl -s {auth} {edge}/api/v1/hosts");
    println!("  curl -s {auth} {edge}/api/v1/jails              # both hosts, merged");
    println!("  curl -s {auth} '{edge}/api/v1/bans/active?host=agent2'");
    println!(
        "  curl -s {auth} -X POST {edge}/api/v1/bans {json} -d '{{\"ip\":\"203.0.113.50\",\"jail\":\"sshd\"}}'   # every host"
    );
    println!();
    println!("Ctrl-C stops the edge, the agents and fail2ban.");
}
