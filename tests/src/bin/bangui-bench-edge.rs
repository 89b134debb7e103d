//! `bangui-bench-edge`: what the edge adds. The same fail2ban data fetched through (a) the
//! agent's socket client in this process, (b) the agent's own HTTP listener (agent-only), and
//! (c) the edge — the dev host running the release components — forwarding over mTLS, for one
//! host and fanned out to two. Prints p50/p99 and ratios, edge throughput, component sizes and
//! the dev host's RSS.
//!
//! Run with `bash deploy/bench-edge.sh` (release build). Not part of the test suite.

use std::future::Future;
use std::time::{Duration, Instant};

use bangui_agent::fail2ban::{Client, Command, JailKey};
use bangui_shared::validate::JailName;
use bangui_tests::{ApiClient, Fleet};
use clap::Parser;

#[derive(Parser)]
#[command(about = "Edge vs agent-only vs raw fail2ban socket")]
struct Args {
    /// Bans seeded in agent1's sshd jail.
    #[arg(long, default_value_t = 1_000)]
    bans: u32,
    /// Timed requests per measurement.
    #[arg(long, default_value_t = 300)]
    rounds: usize,
    /// Concurrent clients for the throughput run.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Length of the throughput run in seconds.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
}

struct Stats {
    p50: Duration,
    p99: Duration,
}

async fn measure<F, Fut>(rounds: usize, mut f: F) -> Stats
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    for _ in 0..rounds / 10 + 3 {
        f().await;
    }
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let start = Instant::now();
        f().await;
        times.push(start.elapsed());
    }
    times.sort();
    Stats {
        p50: times[times.len() / 2],
        p99: times[(times.len() * 99 / 100).min(times.len() - 1)],
    }
}

async fn get(api: &ApiClient, path: &str) {
    let resp = api
        .request(reqwest::Method::GET, path)
        .send()
        .await
        .expect("request");
    assert!(resp.status().is_success(), "{path}: {}", resp.status());
    std::hint::black_box(resp.bytes().await.expect("body"));
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn row(name: &str, s: &Stats, base: &Stats) {
    println!(
        "  {name:<34} p50 {:>8.3} ms  p99 {:>8.3} ms  p50 x{:>5.2}  (+{:.3} ms)",
        ms(s.p50),
        ms(s.p99),
        s.p50.as_secs_f64() / base.p50.as_secs_f64(),
        ms(s.p50) - ms(base.p50),
    );
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let fleet = Fleet::start(2);
    let agent = &fleet.control().agent;
    let edge = &fleet.devhost;
    let f2b = &fleet.control().fail2ban;
    let client = Client::new(f2b.socket(), Duration::from_secs(30), 4);
    let sshd: JailName = "sshd".parse().unwrap();

    let ips: Vec<std::net::IpAddr> = (0..args.bans)
        .map(|i| std::net::IpAddr::from([10, 1, (i >> 8) as u8, i as u8]))
        .collect();
    for chunk in ips.chunks(250) {
        client
            .call(Command::BanIp(sshd.clone(), chunk.to_vec()))
            .await
            .expect("seed");
    }
    println!(
        "bangui-bench-edge: {} bans in agent1/sshd; edge {}, agent-only {} ({} build)",
        client.ban_list(&sshd).await.expect("bans").len(),
        edge.base_url(),
        agent.base_url(),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );

    for (title, path) in [
        ("GET /api/v1/jails", "/api/v1/jails"),
        ("GET /api/v1/bans/active", "/api/v1/bans/active"),
    ] {
        let raw = if path.ends_with("jails") {
            measure(args.rounds, || async {
                let jails = client.jail_names().await.unwrap();
                let cmds: Vec<Command> = jails
                    .iter()
                    .flat_map(|j| {
                        [
                            Command::JailStatusShort(j.clone()),
                            Command::Get(j.clone(), JailKey::BanTime),
                            Command::Get(j.clone(), JailKey::FindTime),
                            Command::Get(j.clone(), JailKey::MaxRetry),
                        ]
                    })
                    .collect();
                std::hint::black_box(client.call_many(&cmds).await.unwrap());
            })
            .await
        } else {
            measure(args.rounds, || async {
                let jails = client.jail_names().await.unwrap();
                std::hint::black_box(client.ban_lists(&jails).await.unwrap());
            })
            .await
        };
        let sep = if path.contains('?') { '&' } else { '?' };
        let single = format!("{path}{sep}host=agent1");
        let agent_only = measure(args.rounds, || get(agent, path)).await;
        let via_edge = measure(args.rounds, || get(edge, &single)).await;
        let fleet_view = measure(args.rounds, || get(edge, path)).await;
        println!("{title}");
        row("(a) raw socket client", &raw, &raw);
        row("(b) agent-only", &agent_only, &raw);
        row("(c) edge -> agent1 (?host=agent1)", &via_edge, &raw);
        row("    edge fan-out to 2 agents", &fleet_view, &raw);
        println!(
            "  edge adds {:.3} ms p50 over agent-only (goal <= 1 ms); fan-out / single host = {:.2} (goal <= 1.3)",
            ms(via_edge.p50) - ms(agent_only.p50),
            fleet_view.p50.as_secs_f64() / via_edge.p50.as_secs_f64()
        );
    }

    // Throughput through the edge: `concurrency` clients for `seconds`.
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let api = ApiClient::new(edge.base_url(), Default::default());
        api.set_token(edge.token());
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < deadline {
                get(&api, "/api/v1/jails?host=agent1").await;
                n += 1;
            }
            n
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    println!(
        "throughput: {:.0} requests/s through the edge (GET /api/v1/jails?host=agent1, {} clients, {} s; goal >= 2000)",
        total as f64 / args.seconds as f64,
        args.concurrency,
        args.seconds
    );

    let wasm_dir = bangui_tests::DevHost::manifest_path()
        .parent()
        .unwrap()
        .join("target/wasm32-wasip2/wasm");
    let mut sizes: Vec<(String, u64)> = std::fs::read_dir(&wasm_dir)
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "wasm"))
                .filter_map(|e| {
                    Some((
                        e.file_name().to_string_lossy().into_owned(),
                        e.metadata().ok()?.len(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    sizes.sort();
    let largest = sizes.iter().map(|(_, n)| *n).max().unwrap_or(0);
    println!(
        "components: {} files in {}, largest {} bytes (goal <= 1 MB)",
        sizes.len(),
        wasm_dir.display(),
        largest
    );
    if let Some(rss) = edge.pid().and_then(rss_kib) {
        println!("dev host RSS: {:.1} MB", rss as f64 / 1024.0);
    }
}
