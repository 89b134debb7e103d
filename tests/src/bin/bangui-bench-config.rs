//! `bangui-bench-config`: listing every jail of the Debian default tree (active and inactive,
//! with where each setting comes from) through the agent, next to `fail2ban-client -d` reading
//! the same tree. Goal: the agent takes at most a tenth of `-d`.
//!
//! Run with `bash deploy/bench-config.sh` (release build). Not part of the test suite.

use bangui_tests::bench::median;
use std::process::Command;
use std::time::Instant;

use bangui_tests::{Agent, Fail2ban};

#[tokio::main]
async fn main() {
    bangui_tests::signals::until_stopped(run()).await;
}

async fn run() {
    let f2b = Fail2ban::start();
    let agent = Agent::start(&f2b);
    let dir = f2b.config_dir();

    let mut dump = Vec::new();
    for _ in 0..7 {
        let start = Instant::now();
        let out = Command::new(f2b.client_path())
            .arg("-c")
            .arg(&dir)
            .arg("-d")
            .output()
            .expect("fail2ban-client -d");
        assert!(out.status.success(), "fail2ban-client -d failed");
        dump.push(start.elapsed());
    }
    let mut listing = Vec::new();
    let mut jails = 0;
    for _ in 0..30 {
        let start = Instant::now();
        let r = agent.get("/api/v1/config/jails").await;
        assert_eq!(r.status, 200, "{}", r.text);
        listing.push(start.elapsed());
        jails = r.json["items"].as_array().map_or(0, Vec::len);
    }
    let (d, l) = (median(dump), median(listing));
    println!(
        "GET /api/v1/config/jails ({jails} jails, Debian tree): {:.1} ms; fail2ban-client -d: {:.1} ms; ratio {:.3} (goal <= 0.1)",
        l.as_secs_f64() * 1e3,
        d.as_secs_f64() * 1e3,
        l.as_secs_f64() / d.as_secs_f64()
    );
}
