//! `bangui-bench`: what the agent's HTTP layer costs over the raw fail2ban socket work.
//!
//! Starts a private fail2ban-server with a `bench` jail holding N banned addresses (default
//! 10,000) and the release agent binary, then times each API call against the same fail2ban work
//! done by the agent's own socket client in this process (the baseline), interleaved round by
//! round so both see the same machine state. Prints medians and the ratio / difference per call.
//!
//! Run with `bash deploy/bench.sh` (builds release binaries first). Not part of the test suite.

use std::time::{Duration, Instant};

use bangui_agent::fail2ban::{reply, Client, Command, JailKey};
use bangui_shared::validate::JailName;
use bangui_tests::bench::{self, call, interleaved, ms, Samples};
use bangui_tests::{Agent, Fail2ban};
use clap::Parser;

#[derive(Parser)]
#[command(about = "Agent HTTP layer vs. raw fail2ban socket work")]
struct Args {
    /// Banned addresses in the bench jail.
    #[arg(long, default_value_t = 10_000)]
    bans: u32,
    /// Timed rounds for the large calls (each round: one baseline, one HTTP call).
    #[arg(long, default_value_t = 100)]
    large_rounds: u32,
    /// Timed rounds for the small call.
    #[arg(long, default_value_t = 2_000)]
    small_rounds: u32,
}

/// The bench jail has no actions, so seeding 10,000 bans does not fork 10,000 shells.
const BENCH_JAIL: &str = "
[bench]
enabled = true
filter = f2btest
logpath = @DIR@/log/bench.log
action =
bantime = 1d
";

fn seed_ips(n: u32) -> Vec<std::net::IpAddr> {
    // 10.0.0.0/8 holds 16M addresses; mix in IPv6 every 10th.
    (0..n)
        .map(|i| {
            if i % 10 == 9 {
                format!("2001:db8::{:x}:{:x}", i >> 16, i & 0xffff)
                    .parse()
                    .unwrap()
            } else {
                std::net::IpAddr::from([10, (i >> 16) as u8, (i >> 8) as u8, i as u8])
            }
        })
        .collect()
}

struct Timing {
    baseline: Samples,
    http: Samples,
}

impl Timing {
    fn report(self, name: &str, kind: Goal) {
        let base = self.baseline.p50();
        let http = self.http.p50();
        let ratio = http.as_secs_f64() / base.as_secs_f64();
        let diff_ms = (http.as_secs_f64() - base.as_secs_f64()) * 1e3;
        let verdict = match kind {
            Goal::Ratio(max) if ratio <= max => "ok",
            Goal::AddedMs(max) if diff_ms <= max => "ok",
            _ => "MISSED",
        };
        let goal = match kind {
            Goal::Ratio(max) => format!("goal ratio <= {max:.2}"),
            Goal::AddedMs(max) => format!("goal added <= {max:.2} ms"),
        };
        println!(
            "{name:<44} socket {:>9.3} ms   http {:>9.3} ms   ratio {ratio:>5.2}   added {diff_ms:>7.3} ms   {goal}: {verdict}",
            ms(base),
            ms(http),
        );
    }
}

#[derive(Clone, Copy)]
enum Goal {
    Ratio(f64),
    AddedMs(f64),
}

async fn time_pair<'a, B, H, BF, HF>(rounds: u32, mut baseline: B, mut http: H) -> Timing
where
    B: FnMut() -> BF + 'a,
    BF: std::future::Future<Output = usize> + 'a,
    H: FnMut() -> HF + 'a,
    HF: std::future::Future<Output = usize> + 'a,
{
    let mut samples = interleaved(
        rounds as usize,
        &mut [
            call(move || {
                let f = baseline();
                async move {
                    std::hint::black_box(f.await);
                }
            }),
            call(move || {
                let f = http();
                async move {
                    std::hint::black_box(f.await);
                }
            }),
        ],
    )
    .await
    .into_iter();
    Timing {
        baseline: samples.next().unwrap_or_default(),
        http: samples.next().unwrap_or_default(),
    }
}

async fn http_get(agent: &Agent, path: &str) -> usize {
    let resp = agent
        .request(reqwest::Method::GET, path)
        .send()
        .await
        .expect("request");
    assert!(resp.status().is_success(), "{path}: {}", resp.status());
    resp.bytes().await.expect("body").len()
}

#[tokio::main]
async fn main() {
    bangui_tests::signals::until_stopped(run()).await;
}

async fn run() {
    let args = Args::parse();
    let f2b = Fail2ban::builder().jail_local_extra(BENCH_JAIL).start();
    // Logins are measured at the end; lift the login limit so they are not refused.
    let agent = Agent::start_with(&f2b, |c| {
        c.extra_toml = "[limits]\nlogin_attempts = 1000\n".into();
    });
    let client = Client::new(f2b.socket(), Duration::from_secs(30), 4);
    let jail: JailName = "bench".parse().unwrap();

    let ips = seed_ips(args.bans);
    let seed_start = Instant::now();
    for chunk in ips.chunks(1000) {
        client
            .call(Command::BanIp(jail.clone(), chunk.to_vec()))
            .await
            .expect("seed bans");
    }
    let banned = client.ban_list(&jail).await.expect("ban list").len();
    assert_eq!(banned, ips.len(), "all seeded addresses are banned");
    println!(
        "bangui-bench: {banned} addresses banned in jail 'bench' ({:.1} s to seed); agent {} ({} build)",
        seed_start.elapsed().as_secs_f64(),
        agent.base_url(),
        if cfg!(debug_assertions) { "debug" } else { "release" },
    );

    // GET /api/v1/bans/active = jail list + every jail's ban list with times.
    let t = time_pair(
        args.large_rounds,
        || async {
            let jails = client.jail_names().await.unwrap();
            let lists = client.ban_lists(&jails).await.unwrap();
            lists.iter().map(|(_, l)| l.len()).sum()
        },
        || http_get(&agent, "/api/v1/bans/active"),
    )
    .await;
    t.report("GET /api/v1/bans/active (10k bans)", Goal::Ratio(1.2));

    // GET /api/v1/jails/bench/banned?page_size=500 = one jail's ban list with times.
    let t = time_pair(
        args.large_rounds,
        || async { client.ban_list(&jail).await.unwrap().len() },
        || http_get(&agent, "/api/v1/jails/bench/banned?page_size=500"),
    )
    .await;
    t.report(
        "GET /api/v1/jails/bench/banned?page_size=500",
        Goal::Ratio(1.2),
    );

    // GET /api/v1/jails = jail list + per jail: status short, bantime, findtime, maxretry.
    let t = time_pair(
        args.small_rounds,
        || async {
            let jails = client.jail_names().await.unwrap();
            let commands: Vec<Command> = jails
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
            let replies = client.call_many(&commands).await.unwrap();
            replies
                .into_iter()
                .step_by(4)
                .map(|r| reply::jail_status(r.unwrap()).unwrap().currently_banned as usize)
                .sum()
        },
        || http_get(&agent, "/api/v1/jails"),
    )
    .await;
    t.report("GET /api/v1/jails (3 jails)", Goal::AddedMs(0.3));

    // One login = argon2id verification (19 MiB, t=2) + session write; it ends older sessions,
    // so it runs last.
    let mut logins = Vec::new();
    for _ in 0..10 {
        let start = Instant::now();
        let resp = agent
            .http()
            .post(agent.url("/api/v1/auth/login"))
            .json(&serde_json::json!({ "password": bangui_tests::TEST_PASSWORD }))
            .send()
            .await
            .expect("login");
        assert!(resp.status().is_success(), "login: {}", resp.status());
        logins.push(start.elapsed());
    }
    let median = bench::median(logins);
    println!(
        "{:<44} median {:>9.3} ms over 10 logins (argon2id m=19456 KiB, t=2, p=1)",
        "POST /api/v1/auth/login",
        median.as_secs_f64() * 1e3
    );
}
