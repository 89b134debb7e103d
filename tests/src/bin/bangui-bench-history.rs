//! `bangui-bench-history`: the ban archive and the dashboard analytics on a million bans.
//!
//! Generates a fail2ban database (default 1,000,000 bans over 365 days, ~200,000 addresses,
//! 20 jails, a tenth IPv6, matched lines in `data`) and a geo database covering the addresses,
//! starts the release agent on them, lets it archive everything, then times each dashboard call
//! next to a baseline: the same answer computed the way the original BanGUI does, straight from
//! fail2ban's own `bans` table (rows fetched into the program, countries looked up per address).
//! Also times an incremental sync of 10,000 new bans (with geo resolution), by-country on a
//! 10,000-ban archive, and reports the agent's RSS and the archive's size per million bans.
//!
//! Run with `bash deploy/bench-history.sh` (builds release binaries first). Not a test.

use bangui_tests::bench::median;
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bangui_agent::geo::write::Writer;
use bangui_agent::geo::Geo;
use bangui_agent::history::seed::{Ban, Fail2banDb};
use bangui_tests::{Agent, AgentConfig};
use clap::Parser;
use serde_json::Value;

#[derive(Parser)]
#[command(about = "Ban archive and dashboard analytics on a million bans")]
struct Args {
    #[arg(long, default_value_t = 1_000_000)]
    bans: u32,
    #[arg(long, default_value_t = 200_000)]
    ips: u32,
    #[arg(long, default_value_t = 20)]
    jails: u32,
    #[arg(long, default_value_t = 365)]
    days: u32,
    /// Timed rounds per call (the median is printed).
    #[arg(long, default_value_t = 7)]
    rounds: u32,
    /// Work directory (default: a temp dir, removed afterwards).
    #[arg(long)]
    dir: Option<PathBuf>,
}

const COUNTRIES: [&str; 40] = [
    "US", "CN", "RU", "DE", "FR", "GB", "NL", "BR", "IN", "KR", "JP", "VN", "ID", "TR", "IR", "UA",
    "PL", "IT", "ES", "CA", "AU", "SG", "HK", "TW", "TH", "AR", "MX", "ZA", "EG", "NG", "SE", "NO",
    "FI", "RO", "BG", "CZ", "AT", "CH", "BE", "PK",
];

/// Address `i`: IPv4 from 20.0.0.0 up (a /24 per 256 addresses), every 10th IPv6.
fn address(i: u32) -> String {
    if i % 10 == 9 {
        format!("2a00:{:x}:{:x}::", i >> 8, i & 0xff)
    } else {
        IpAddr::from([
            20 + (i >> 24) as u8,
            (i >> 16) as u8,
            (i >> 8) as u8,
            i as u8,
        ])
        .to_string()
    }
}

/// A country per /24 (IPv4) and per /32 (IPv6); every 13th network stays unknown.
fn write_geo(path: &Path, ips: u32) {
    let mut w = Writer::new("bench-country", 1_700_000_000);
    for hi in 0..=(ips >> 8) {
        if hi % 13 == 12 {
            continue;
        }
        let cc = Writer::country_code(COUNTRIES[(hi as usize * 7) % COUNTRIES.len()]);
        let v4 = format!(
            "{}.{}.{}.0/24",
            20 + (hi >> 16),
            (hi >> 8) & 0xff,
            hi & 0xff
        );
        w.insert(v4.parse().expect("v4 net"), &cc);
        w.insert(format!("2a00:{hi:x}::/32").parse().expect("v6 net"), &cc);
    }
    std::fs::write(path, w.to_bytes()).expect("write geo db");
}

/// `n` bans, the i-th at a deterministic pseudo-random time within `days` before `now`.
fn bans(n: u32, ips: u32, jails: u32, days: u32, now: i64, salt: u64) -> Vec<Ban> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ salt;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let span = i64::from(days) * 86_400;
    (0..n)
        .map(|_| {
            let ip = address((next() % u64::from(ips)) as u32);
            let jail = match next() % u64::from(jails) {
                0 => "blocklist-import".to_owned(),
                j => format!("jail{j:02}"),
            };
            let t = now - (next() % span as u64) as i64;
            let data = format!(
                r#"{{"matches": [["", "2026-01-01 00:00:00", " sshd[1]: Failed password for root from {ip}"], "sshd[2]: Failed password for root from {ip}", "sshd[3]: Failed password for admin from {ip}"], "failures": 3, "ip4": "{ip}"}}"#
            );
            Ban {
                jail,
                ip,
                timeofban: t,
                bantime: 600,
                bancount: 1,
                data: Some(data),
            }
        })
        .collect()
}

fn seed(db: &Fail2banDb, rows: &[Ban]) {
    for chunk in rows.chunks(50_000) {
        db.insert(chunk).expect("seed fail2ban db");
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Times `rounds` runs of `f`, returns the median.
async fn time<F, Fut, T>(rounds: u32, mut f: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut out = Vec::new();
    for _ in 0..rounds.max(1) {
        let t = Instant::now();
        std::hint::black_box(f().await);
        out.push(t.elapsed());
    }
    median(out)
}

fn time_sync<T>(rounds: u32, mut f: impl FnMut() -> T) -> Duration {
    let mut out = Vec::new();
    for _ in 0..rounds.max(1) {
        let t = Instant::now();
        std::hint::black_box(f());
        out.push(t.elapsed());
    }
    median(out)
}

/// by-country as the original BanGUI computes it: bans per address from fail2ban's table, then
/// one geo lookup per address, summed per country in the program.
fn baseline_by_country(db: &Fail2banDb, geo: &bangui_agent::geo::Loaded, since: i64) -> usize {
    let mut stmt = db
        .conn()
        .prepare_cached("SELECT ip, COUNT(*) FROM bans WHERE timeofban >= ?1 GROUP BY ip")
        .expect("prepare");
    let mut counts: HashMap<Option<String>, i64> = HashMap::new();
    let per_ip = stmt
        .query_map([since], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
        })
        .expect("query");
    for (ip, n) in per_ip.flatten() {
        let cc = ip.parse().ok().and_then(|ip| geo.lookup(ip).country_code);
        *counts.entry(cc).or_default() += n;
    }
    counts.len()
}

/// The agent on `f2b_db` and `geo`, set up and logged in.
fn agent(dir: &Path, f2b_db: &Path, geo: &Path) -> Agent {
    let state = dir.join(format!(
        "state-{}",
        f2b_db.file_stem().and_then(|s| s.to_str()).unwrap_or("x")
    ));
    std::fs::create_dir_all(&state).expect("state dir");
    Agent::start_config(AgentConfig {
        listen: "127.0.0.1:0".into(),
        socket: dir.join("no-fail2ban.sock"),
        config_dir: dir.to_owned(),
        client: None,
        command_timeout_secs: Some(1),
        reload_timeout_secs: None,
        log_dirs: vec![dir.to_owned()],
        fail2ban_toml: String::new(),
        extra_toml: format!(
            "[history]\nfail2ban_db = {:?}\n[geo]\ndatabase = {:?}\n",
            f2b_db.display().to_string(),
            geo.display().to_string()
        ),
        config_file: None,
        echo_output: false,
        state_dir: Some(state),
        tls: None,
        setup: true,
    })
}

async fn get(agent: &Agent, path: &str) -> Value {
    let r = agent.get(path).await;
    assert_eq!(r.status, 200, "{path}: {}", r.text);
    r.json
}

/// Waits for a sync (`source=fail2ban`) with no request deadline: the first sync of a million
/// rows takes longer than the harness client's timeout.
async fn sync(agent: &Agent) {
    let client = bangui_tests::api::http_client()
        .no_proxy()
        .timeout(Duration::from_secs(1800))
        .build()
        .expect("http client");
    let r = client
        .get(agent.url("/api/v1/history?source=fail2ban&page_size=1"))
        .bearer_auth(agent.token().unwrap_or_default())
        .send()
        .await
        .expect("sync request");
    assert_eq!(r.status().as_u16(), 200, "sync: {:?}", r.text().await);
}

fn rss_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn dir_size(dir: &Path, prefix: &str) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

struct Row {
    call: String,
    agent: Duration,
    baseline: Option<Duration>,
    goal_ms: Option<f64>,
}

fn print(rows: &[Row]) {
    println!(
        "\n{:<52} {:>11} {:>13} {:>9} {:>7}",
        "call", "agent ms", "baseline ms", "goal ms", "ok"
    );
    for r in rows {
        let base = r
            .baseline
            .map_or("-".to_owned(), |b| format!("{:.1}", ms(b)));
        let goal = r.goal_ms.map_or("-".to_owned(), |g| format!("{g:.0}"));
        let ok = r
            .goal_ms
            .map_or("", |g| if ms(r.agent) <= g { "yes" } else { "NO" });
        println!(
            "{:<52} {:>11.1} {:>13} {:>9} {:>7}",
            r.call,
            ms(r.agent),
            base,
            goal,
            ok
        );
    }
}

#[tokio::main]
async fn main() {
    bangui_tests::signals::until_stopped(run()).await;
}

async fn run() {
    let args = Args::parse();
    let tmp = tempfile::Builder::new()
        .prefix("bangui-bench-history-")
        .tempdir()
        .expect("temp dir");
    let dir = args.dir.clone().unwrap_or_else(|| tmp.path().to_owned());
    std::fs::create_dir_all(&dir).expect("work dir");
    let now = chrono::Utc::now().timestamp();
    let geo_path = dir.join("bench.mmdb");
    write_geo(&geo_path, args.ips + 50_000);

    let t = Instant::now();
    let f2b_path = dir.join("big.sqlite3");
    let _ = std::fs::remove_file(&f2b_path);
    let f2b = Fail2banDb::create(&f2b_path);
    seed(
        &f2b,
        &bans(args.bans, args.ips, args.jails, args.days, now, 1),
    );
    println!(
        "generated {} bans ({} addresses, {} jails, {} days) in {:.1} s: {} MB fail2ban db",
        args.bans,
        args.ips,
        args.jails,
        args.days,
        t.elapsed().as_secs_f64(),
        dir_size(&dir, "big.sqlite3") / 1_000_000
    );

    let big = agent(&dir, &f2b_path, &geo_path);
    let t = Instant::now();
    sync(&big).await;
    let initial = t.elapsed();
    let archived = get(&big, "/api/v1/history/archive?page_size=1").await["pagination"]["total"]
        .as_u64()
        .unwrap_or(0);
    println!(
        "initial sync: {archived} bans archived in {:.1} s",
        initial.as_secs_f64()
    );

    // Baselines: straight from fail2ban's table, rows into the program.
    let conn = f2b.conn();
    let geo = {
        let mut c = bangui_agent::config::AgentConfig::default();
        c.geo.database = Some(geo_path.clone());
        Geo::open(&c)
    };
    let loaded = geo.current();
    let since = |days: i64| now - days * 86_400 - 60;
    let r = args.rounds;
    let mut rows = Vec::new();

    let base_country = time_sync(r, || baseline_by_country(&f2b, &loaded, since(365)));
    let agent_country = time(r, || {
        get(&big, "/api/v1/dashboard/bans/by-country?range=365d")
    })
    .await;
    rows.push(Row {
        call: format!("by-country?range=365d ({} bans)", args.bans),
        agent: agent_country,
        baseline: Some(base_country),
        goal_ms: Some(300.0),
    });

    let base_trend = time_sync(r, || {
        let mut stmt = conn
            .prepare_cached("SELECT timeofban FROM bans WHERE timeofban >= ?1")
            .expect("prepare");
        let mut buckets = vec![0u64; 60];
        let lo = since(365);
        for t in stmt
            .query_map([lo], |row| row.get::<_, i64>(0))
            .expect("query")
            .flatten()
        {
            buckets[((t - lo) / (7 * 86_400)) as usize % 60] += 1;
        }
        buckets.iter().sum::<u64>()
    });
    let agent_trend = time(r, || get(&big, "/api/v1/dashboard/bans/trend?range=365d")).await;
    rows.push(Row {
        call: "trend?range=365d".into(),
        agent: agent_trend,
        baseline: Some(base_trend),
        goal_ms: Some(150.0),
    });

    let base_jail = time_sync(r, || {
        conn.prepare_cached("SELECT jail, COUNT(*) FROM bans WHERE timeofban >= ?1 GROUP BY jail")
            .expect("prepare")
            .query_map([since(365)], |row| row.get::<_, i64>(1))
            .expect("query")
            .count()
    });
    let agent_jail = time(r, || get(&big, "/api/v1/dashboard/bans/by-jail?range=365d")).await;
    rows.push(Row {
        call: "by-jail?range=365d".into(),
        agent: agent_jail,
        baseline: Some(base_jail),
        goal_ms: Some(150.0),
    });

    let base_page = time_sync(r, || {
        let total: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM bans WHERE timeofban >= ?1",
                [since(30)],
                |row| row.get(0),
            )
            .expect("count");
        let page = conn
            .prepare_cached(
                "SELECT jail, ip, timeofban, data FROM bans WHERE timeofban >= ?1
                 ORDER BY timeofban DESC LIMIT 100",
            )
            .expect("prepare")
            .query_map([since(30)], |row| row.get::<_, String>(1))
            .expect("query")
            .count();
        (total, page)
    });
    let agent_page = time(r, || get(&big, "/api/v1/dashboard/bans?range=30d&page=1")).await;
    rows.push(Row {
        call: "dashboard/bans?range=30d&page=1".into(),
        agent: agent_page,
        baseline: Some(base_page),
        goal_ms: Some(150.0),
    });
    let agent_history = time(r, || get(&big, "/api/v1/history?range=365d&page=1")).await;
    rows.push(Row {
        call: "history?range=365d&page=1".into(),
        agent: agent_history,
        baseline: None,
        goal_ms: None,
    });
    for prefix in ["20.1.", "20.1.5.", "2a00:105:"] {
        let path = format!("/api/v1/history?ip={prefix}&range=365d");
        let agent_prefix = time(r, || get(&big, &path)).await;
        rows.push(Row {
            call: format!("history?ip={prefix}&range=365d"),
            agent: agent_prefix,
            baseline: None,
            goal_ms: None,
        });
    }

    // Incremental sync: 10,000 new bans, a fifth of them new addresses (resolved on the way).
    let fresh = bans(10_000, args.ips + 50_000, args.jails, 1, now, 2);
    seed(&f2b, &fresh);
    let t = Instant::now();
    sync(&big).await;
    rows.push(Row {
        call: "incremental sync of 10,000 new bans (+geo)".into(),
        agent: t.elapsed(),
        baseline: None,
        goal_ms: Some(1000.0),
    });

    let (rss, hwm) = big.pid().map(rss_kib).unwrap_or((0, 0));
    let state = big.state_dir().to_owned();
    let archive_bytes = dir_size(&state, "bangui.db");

    // A 10,000-ban archive.
    let small_path = dir.join("small.sqlite3");
    let _ = std::fs::remove_file(&small_path);
    let small_db = Fail2banDb::create(&small_path);
    seed(
        &small_db,
        &bans(10_000, 5_000, args.jails, args.days, now, 3),
    );
    let small = agent(&dir, &small_path, &geo_path);
    sync(&small).await;
    let small_country = time(r, || {
        get(&small, "/api/v1/dashboard/bans/by-country?range=365d")
    })
    .await;
    let base_small = time_sync(r, || baseline_by_country(&small_db, &loaded, since(365)));
    rows.push(Row {
        call: "by-country?range=365d (10,000 bans)".into(),
        agent: small_country,
        baseline: Some(base_small),
        goal_ms: Some(20.0),
    });

    print(&rows);
    let per_million = archive_bytes as f64 / (archived.max(1) as f64 / 1_000_000.0);
    println!(
        "\nagent RSS after the 1M-row queries: {:.1} MB (peak {:.1} MB; goal <= 150 MB)",
        rss as f64 / 1024.0,
        hwm as f64 / 1024.0
    );
    println!(
        "archive on disk: {:.1} MB for {archived} bans = {:.1} MB per million bans",
        archive_bytes as f64 / 1e6,
        per_million / 1e6
    );
    println!("baseline = the same answer computed from fail2ban's own bans table in this process");
}
