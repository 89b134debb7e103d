//! `bangui-bench-edge`: what the edge adds. The same fail2ban data fetched through (a) the
//! agent's socket client in this process, (b) the agent's own HTTP listener (agent-only), and
//! (c) the edge — the dev host running the release components — forwarding over mTLS, for one
//! host and fanned out to two; beside them agent1's mTLS edge listener called directly (the hop
//! the dev host makes), both agents' listeners called at once (what fanning out costs on this
//! machine without the edge), a plain relay process making that hop with none of the edge's machinery
//! (`bangui_tests::relay`), and the edge's fixed cost (the dev host alone, a component answering
//! without the agent). The contenders run interleaved, round by round. Prints p50/p99 and
//! ratios, edge throughput, component sizes and the dev host's RSS.
//!
//! Run with `bash deploy/bench-edge.sh` (release build). Not part of the test suite.

use std::time::{Duration, Instant};

use bangui_agent::fail2ban::{Client, Command, JailKey};
use bangui_shared::validate::JailName;
use bangui_tests::bench::{call, interleaved, ms, Call, P50Gap, Samples};
use bangui_tests::relay::{self, RelayProcess};
use bangui_tests::{ApiClient, Fleet};
use clap::Parser;

#[derive(Parser)]
#[command(about = "Edge vs agent-only vs raw fail2ban socket")]
struct Args {
    /// Bans seeded in agent1's sshd jail.
    #[arg(long, default_value_t = 1_000)]
    bans: u32,
    /// Timed rounds (one request per contender each).
    #[arg(long, default_value_t = 600)]
    rounds: usize,
    /// Concurrent clients for the throughput run.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Length of the throughput run in seconds.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// The request of the throughput run.
    #[arg(long, default_value = "/api/v1/jails?host=agent1")]
    throughput_path: String,
    /// Only time agent-only against the edge (one host) for this path, then stop.
    #[arg(long, value_name = "PATH")]
    pair: Option<String>,
    /// With --pair: the `Accept-Encoding` every request sends (browsers send gzip among others).
    #[arg(long, value_name = "CODINGS", requires = "pair")]
    accept_encoding: Option<String>,
    /// With --pair: what agent-only is timed against, the edge or the plain relay (one more
    /// mTLS hop and nothing else: the floor under any edge in its own process).
    #[arg(long, value_enum, default_value_t = Via::Edge, requires = "pair")]
    via: Via,
    /// Internal: run as the plain relay to this agent URL (the benchmark starts itself so).
    #[arg(long, hide = true, value_name = "URL", requires = "relay_certs")]
    relay: Option<String>,
    /// Internal: the fleet certificates directory of the relay.
    #[arg(long, hide = true, value_name = "DIR")]
    relay_certs: Option<std::path::PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Via {
    Edge,
    Relay,
}

/// A GET whose correlation id names the contender, so the agents' request logs
/// (`BANGUI_ECHO=1`) tell them apart, sending `codings` as `Accept-Encoding`. Takes up a
/// re-signed token as a client should: one that keeps its first token makes the edge ask the
/// control agent on every request once the token is older than the window (60 s), longer than
/// a full run.
async fn get(api: &ApiClient, path: &str, codings: Option<&str>, contender: &str) {
    let req = accepting(
        api.request(reqwest::Method::GET, path)
            .header("x-correlation-id", contender),
        codings,
    );
    if let Some(token) = fetch(req, path, true).await {
        api.set_token(Some(token));
    }
}

fn accepting(req: reqwest::RequestBuilder, codings: Option<&str>) -> reqwest::RequestBuilder {
    match codings {
        Some(codings) => req.header(reqwest::header::ACCEPT_ENCODING, codings),
        None => req,
    }
}

/// Sends, checks the status class, reads the whole body (decoded, as a browser would).
async fn finish(req: reqwest::RequestBuilder, path: &str, success: bool) {
    fetch(req, path, success).await;
}

/// [`finish`], returning the re-signed token if one came.
async fn fetch(req: reqwest::RequestBuilder, path: &str, success: bool) -> Option<String> {
    let resp = req.send().await.expect("request");
    assert_eq!(
        resp.status().is_success(),
        success,
        "{path}: {}",
        resp.status()
    );
    let token = resp
        .headers()
        .get(bangui_shared::session::REFRESHED_TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let gzipped = resp
        .headers()
        .get(reqwest::header::CONTENT_ENCODING)
        .is_some_and(|c| c == "gzip");
    let body = resp.bytes().await.expect("body");
    if gzipped {
        std::hint::black_box(bangui_tests::http::gunzip(&body).expect("gzip body"));
    } else {
        std::hint::black_box(body);
    }
    token
}

fn row(name: &str, s: &Samples, base: &Samples) {
    println!(
        "  {name:<34} p50 {:>8.3} ms  p99 {:>8.3} ms  p50 x{:>5.2}  (+{:.3} ms)",
        ms(s.p50()),
        ms(s.p99()),
        s.p50().as_secs_f64() / base.p50().as_secs_f64(),
        ms(s.p50()) - ms(base.p50()),
    );
}

/// CPU time used by the process's threads so far (`/proc/<pid>/task/*/schedstat`, ns).
fn cpu_time(pid: u32) -> Option<Duration> {
    let mut ns = 0u64;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .ok()?
        .flatten()
    {
        let stat = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
        ns += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(ns))
}

/// Prints the CPU time `who` (process `pid`) used per request since `before`, over `requests`
/// requests.
fn print_cpu(who: &str, what: &str, pid: Option<u32>, before: Option<Duration>, requests: u64) {
    let after = pid.and_then(cpu_time);
    if let (Some(before), Some(after), Ok(n @ 1..)) = (before, after, u32::try_from(requests)) {
        println!(
            "  {who} CPU per {what}: {:.3} ms",
            ms(after.saturating_sub(before) / n)
        );
    }
}

/// How a title names the `Accept-Encoding` its requests send.
fn asking(codings: Option<&str>) -> String {
    codings.map_or_else(String::new, |c| format!(" (Accept-Encoding: {c})"))
}

/// `path` asked of agent1 alone through the edge.
fn one_host(path: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}host=agent1")
}

/// Runs `base` and `other` interleaved and prints both under `title`, against `base`.
async fn versus<'a>(rounds: usize, title: &str, base: (&str, Call<'a>), other: (&str, Call<'a>)) {
    let samples = interleaved(rounds, &mut [base.1, other.1]).await;
    let [base_samples, other_samples] = &samples[..] else {
        unreachable!("two contenders")
    };
    println!("{title}");
    row(base.0, base_samples, base_samples);
    row(other.0, other_samples, base_samples);
    println!(
        "  difference: {}",
        P50Gap::between(other_samples, base_samples)
    );
}

/// One more mTLS hop and nothing else, in its own process like the dev host, and a client of
/// it holding the control agent's token.
fn start_relay(fleet: &Fleet) -> (RelayProcess, ApiClient) {
    let exe = std::env::current_exe().expect("own path");
    let process = RelayProcess::start(
        &exe,
        &[
            "--relay".as_ref(),
            fleet.control().edge_url.as_ref(),
            "--relay-certs".as_ref(),
            fleet.certs_dir.as_os_str(),
        ],
    );
    let client = ApiClient::new(&process.base_url(), Default::default());
    client.set_token(fleet.control().agent.token());
    println!(
        "plain relay {} -> {}",
        process.base_url(),
        fleet.control().edge_url
    );
    (process, client)
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

fn main() {
    let args = Args::parse();
    if let (Some(upstream), Some(certs)) = (&args.relay, &args.relay_certs) {
        if let Err(e) = relay::serve(upstream, certs) {
            eprintln!("bangui-bench-edge relay: {e}");
            std::process::exit(1);
        }
        return;
    }
    tokio::runtime::Runtime::new()
        .expect("tokio runtime")
        .block_on(bangui_tests::signals::until_stopped(bench(args)));
}

async fn bench(args: Args) {
    let fleet = Fleet::start(2);
    let agent = &fleet.control().agent;
    let edge = &fleet.devhost;
    let f2b = &fleet.control().fail2ban;
    let client = Client::new(f2b.socket(), Duration::from_secs(30), 4);
    let sshd: JailName = "sshd".parse().unwrap();
    let mtls = relay::edge_identity_client(&fleet.certs_dir);

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

    if let Some(path) = &args.pair {
        // Two contenders only: fewer processes between two edge calls, steadier figures for
        // comparing two builds.
        let codings = args.accept_encoding.as_deref();
        let relay = (args.via == Via::Relay).then(|| start_relay(&fleet));
        // The contender's title, client, path, correlation tag, and whose CPU per what is shown.
        let (name, api, target, who, (cpu_owner, cpu_unit), pid): (_, &ApiClient, _, _, _, _) =
            match &relay {
                Some((process, relayed)) => (
                    "plain relay -> agent1",
                    relayed,
                    path.clone(),
                    "relay",
                    ("relay", "request"),
                    Some(process.pid()),
                ),
                None => (
                    "(c) edge -> agent1 (?host=agent1)",
                    edge,
                    one_host(path),
                    "edge",
                    ("dev host", "edge request"),
                    edge.pid(),
                ),
            };
        let sent = std::cell::Cell::new(0u64);
        let cpu_before = pid.and_then(cpu_time);
        versus(
            args.rounds,
            &format!("GET {path}{}", asking(codings)),
            (
                "(b) agent-only",
                call(|| get(agent, path, codings, "agent-only")),
            ),
            (
                name,
                call(|| {
                    sent.set(sent.get() + 1);
                    get(api, &target, codings, who)
                }),
            ),
        )
        .await;
        print_cpu(cpu_owner, cpu_unit, pid, cpu_before, sent.get());
        return;
    }
    let (_relay_process, relayed) = start_relay(&fleet);
    // The ban list twice: as a plain client asks for it, and as a browser does (gzip allowed,
    // which the agent uses for a 140 KB answer and the edge passes on unread for one host).
    for (path, codings) in [
        ("/api/v1/jails", None),
        ("/api/v1/bans/active", None),
        ("/api/v1/bans/active", Some("gzip, deflate, br, zstd")),
    ] {
        let title = format!("GET {path}{}", asking(codings));
        let single = one_host(path);
        let direct_urls: Vec<String> = fleet
            .members
            .iter()
            .map(|m| format!("{}{path}", m.edge_url))
            .collect();
        let token = agent.token().expect("control agent token");
        // One agent's edge listener asked directly, with the headers the edge sends.
        let direct = |url: &str, contender: &'static str| {
            finish(
                accepting(mtls.get(url), codings)
                    .bearer_auth(&token)
                    .header("accept", "application/json")
                    .header("x-correlation-id", contender)
                    .header("x-forwarded-for", "127.0.0.1")
                    .header(bangui_shared::edge_headers::SESSION, relay::NO_SESSION_KEY),
                path,
                true,
            )
        };
        let raw: Call<'_> = if path.ends_with("jails") {
            call(|| async {
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
        } else {
            call(|| async {
                let jails = client.jail_names().await.unwrap();
                std::hint::black_box(client.ban_lists(&jails).await.unwrap());
            })
        };
        let samples = interleaved(
            args.rounds,
            &mut [
                raw,
                call(|| get(agent, path, codings, "agent-only")),
                call(|| direct(&direct_urls[0], "mtls")),
                call(|| async {
                    tokio::join!(
                        direct(&direct_urls[0], "mtls-both"),
                        direct(&direct_urls[1], "mtls-both")
                    );
                }),
                call(|| get(&relayed, path, codings, "relay")),
                call(|| get(edge, &single, codings, "edge")),
                call(|| get(edge, path, codings, "fan-out")),
            ],
        )
        .await;
        let [raw, agent_only, direct, both_direct, relay, via_edge, fleet_view] = &samples[..]
        else {
            unreachable!("seven contenders")
        };
        println!("{title}");
        row("(a) raw socket client", raw, raw);
        row("(b) agent-only", agent_only, raw);
        row("    agent1's edge listener, mTLS", direct, raw);
        row("    both agents' listeners at once", both_direct, raw);
        row("    plain relay -> agent1 (no wasm)", relay, raw);
        row("(c) edge -> agent1 (?host=agent1)", via_edge, raw);
        row("    edge fan-out to 2 agents", fleet_view, raw);
        println!(
            "  edge adds {} over agent-only (goal <= 1 ms); fan-out / single host = {:.2} (goal <= 1.3)",
            P50Gap::between(via_edge, agent_only),
            fleet_view.p50().as_secs_f64() / via_edge.p50().as_secs_f64()
        );
        println!(
            "  of that, one more mTLS hop (the plain relay) adds {:.3} ms; the edge {:.3} ms more",
            ms(relay.p50()) - ms(agent_only.p50()),
            ms(via_edge.p50()) - ms(relay.p50()),
        );
        // Both agents share this machine's cores with each other and their fail2ban servers;
        // asking them at once without the edge shows what of the fan-out ratio that costs.
        println!(
            "  both agents asked at once without the edge = {:.2} x one (this machine's share of the fan-out ratio)",
            both_direct.p50().as_secs_f64() / direct.p50().as_secs_f64()
        );
    }

    // The edge's own share: the dev host alone (no component), and a component that answers
    // without the agent (a path of its group that no route matches: 404 at the edge).
    let plain = bangui_tests::api::http_client().no_proxy().build().unwrap();
    let health = format!("{}/.well-known/spin/health", edge.base_url());
    let unrouted = format!("{}/api/v1/jails/sshd/no/such/route", edge.base_url());
    versus(
        args.rounds,
        "edge alone",
        (
            "dev host, no component",
            call(|| finish(plain.get(&health), "health", true)),
        ),
        (
            "component, 404 without the agent",
            call(|| finish(plain.get(&unrouted), "404", false)),
        ),
    )
    .await;

    // Throughput through the edge: `concurrency` clients for `seconds`.
    let cpu_before = edge.pid().and_then(cpu_time);
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let api = ApiClient::new(edge.base_url(), Default::default());
        api.set_token(edge.token());
        let path = args.throughput_path.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < deadline {
                get(&api, &path, None, "throughput").await;
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
        "throughput: {:.0} requests/s through the edge (GET {}, {} clients, {} s; goal >= 2000)",
        total as f64 / args.seconds as f64,
        args.throughput_path,
        args.concurrency,
        args.seconds
    );
    print_cpu("dev host", "request", edge.pid(), cpu_before, total);

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
