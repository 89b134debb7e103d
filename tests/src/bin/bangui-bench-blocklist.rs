//! `bangui-bench-blocklist`: importing a generated list (default 100,000 entries, served from
//! 127.0.0.1) into a real fail2ban-server through the agent, next to the baseline of banning the
//! same addresses straight over the socket with the agent's client at the fastest batch size.
//! Goals: the import takes at most 1.2x the baseline and at most 60 s; the agent's peak RSS
//! stays under 100 MB.
//!
//! The jail has no ban action by default (`--action none`): fail2ban's `dummy` action forks a
//! shell per ban (about 4 ms each), which would measure the shell, not the import. Try
//! `--action dummy --entries 5000` for that. Run with `bash deploy/bench-blocklist.sh`.

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::json;

use bangui_agent::blocklists::import::{ban_in_batches, MAX_BATCH};
use bangui_agent::fail2ban::{reply, Client, Command};
use bangui_shared::validate::JailName;
use bangui_tests::{Agent, Fail2ban};

const JAIL: &str = "blocklist-import";

#[derive(Parser)]
struct Args {
    /// Entries in the generated list.
    #[arg(long, default_value_t = 100_000)]
    entries: usize,
    /// The jail's ban action: `none` or `dummy` (the sandbox's shell action).
    #[arg(long, default_value = "none")]
    action: String,
}

/// `n` distinct addresses from 10.0.0.0/8 (only banned in the sandbox, never contacted).
fn addresses(n: usize) -> Vec<IpAddr> {
    (0..n as u32)
        .map(|i| IpAddr::V4(Ipv4Addr::from(0x0a00_0001 + i)))
        .collect()
}

fn sandbox(action: &str) -> Fail2ban {
    let action_line = match action {
        "none" => "action =\n",
        _ => "",
    };
    let f2b = Fail2ban::builder()
        .jail_local_extra(&format!(
            "[{JAIL}]\nenabled = true\nfilter =\nbackend = polling\nlogpath = /dev/null\n\
             bantime = 1d\nmaxretry = 1\n{action_line}"
        ))
        .start();
    let deadline = Instant::now() + Duration::from_secs(20);
    while f2b.client(&["status", JAIL]).0 != 0 {
        assert!(Instant::now() < deadline, "jail {JAIL} did not start");
        thread::sleep(Duration::from_millis(100));
    }
    f2b
}

/// Serves `body` to every request on 127.0.0.1 until the process ends.
fn serve(body: Arc<String>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/list.txt", listener.local_addr().unwrap());
    thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let body = body.clone();
            thread::spawn(move || {
                let mut reader = BufReader::new(&stream);
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    url
}

fn banned_count(f2b: &Fail2ban) -> usize {
    let (_, out) = f2b.client(&["status", JAIL]);
    out.lines()
        .find_map(|l| l.split("Currently banned:").nth(1))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// Bans `ips` over the socket in fixed batches of `size`; the elapsed time.
async fn raw_batches(f2b: &Fail2ban, ips: &[IpAddr], size: usize) -> Duration {
    let client = Client::new(f2b.socket(), Duration::from_secs(120), 4);
    let jail: JailName = JAIL.parse().unwrap();
    let started = Instant::now();
    for batch in ips.chunks(size) {
        let v = client
            .call(Command::BanIp(jail.clone(), batch.to_vec()))
            .await
            .expect("banip");
        reply::int(v).expect("count");
    }
    started.elapsed()
}

fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

#[tokio::main]
async fn main() {
    bangui_tests::signals::until_stopped(run()).await;
}

async fn run() {
    let args = Args::parse();
    let n = args.entries;
    let ips = addresses(n);
    let body: String = ips.iter().map(|ip| format!("{ip}\n")).collect();

    // Baseline: the agent's socket client, fixed batch sizes, a fresh server each.
    let mut best: Option<(usize, Duration)> = None;
    for size in [500, 2_000, 5_000, MAX_BATCH] {
        let f2b = sandbox(&args.action);
        let took = raw_batches(&f2b, &ips, size).await;
        assert_eq!(banned_count(&f2b), n, "baseline did not ban everything");
        println!(
            "baseline batch {size:>6}: {:>7.2} s, {:>8.0} IPs/s",
            took.as_secs_f64(),
            n as f64 / took.as_secs_f64()
        );
        if best.is_none_or(|(_, b)| took < b) {
            best = Some((size, took));
        }
    }
    // The importer's own adaptive batching, straight over the socket.
    {
        let f2b = sandbox(&args.action);
        let client = Client::new(f2b.socket(), Duration::from_secs(10), 4);
        let jail: JailName = JAIL.parse().unwrap();
        let started = Instant::now();
        let mut banned = 0;
        let nets: Vec<ipnet::IpNet> = ips.iter().map(|&ip| ip.into()).collect();
        ban_in_batches(&client, &jail, &nets, Duration::from_secs(10), &mut banned)
            .await
            .expect("adaptive batches");
        let took = started.elapsed();
        println!(
            "adaptive batches     : {:>7.2} s, {:>8.0} IPs/s",
            took.as_secs_f64(),
            n as f64 / took.as_secs_f64()
        );
    }
    let (size, baseline) = best.unwrap();

    // The import through the agent.
    let f2b = sandbox(&args.action);
    let url = serve(Arc::new(body));
    let agent = Agent::start_with(&f2b, |c| {
        c.extra_toml =
            "[limits]\nimport = 1000\n\n[blocklists]\nallow_networks = [\"127.0.0.1/32\"]\n\
                        default_max_entries = 1000000\nmax_body_bytes = 268435456\n"
                .into();
    });
    let r = agent
        .post_json("/api/v1/blocklists", &json!({"name": "bench", "url": url}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json["id"].as_i64().unwrap();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(3600))
        .no_proxy()
        .build()
        .unwrap();
    let started = Instant::now();
    let response = http
        .post(agent.url("/api/v1/blocklists/import"))
        .bearer_auth(agent.token().unwrap())
        .json(&json!({"source_id": id}))
        .send()
        .await
        .expect("import request");
    let status = response.status();
    let result: serde_json::Value = response.json().await.unwrap_or_default();
    let took = started.elapsed();
    assert_eq!(status, 200, "{result}");
    assert_eq!(result["results"][0]["banned"], n as u64, "{result}");
    assert_eq!(banned_count(&f2b), n);
    let rss = agent.pid().map(peak_rss_mb).unwrap_or(f64::NAN);

    let ratio = took.as_secs_f64() / baseline.as_secs_f64();
    println!(
        "import of {n} entries (action {}): {:.2} s total, {:.0} banned IPs/s; baseline (raw socket, batch {size}): {:.2} s, {:.0} IPs/s; ratio {:.2} (goal <= 1.2, <= 60 s); agent peak RSS {:.1} MB (goal <= 100 MB)",
        args.action,
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64(),
        baseline.as_secs_f64(),
        n as f64 / baseline.as_secs_f64(),
        ratio,
        rss
    );
}
