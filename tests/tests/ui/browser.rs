//! The dashboard in a real browser: a two-agent fleet before setup, 10,000 archived bans on
//! agent1, live failures on both hosts, a blocklist on loopback, and the app's Playwright
//! script (`functions/ui/web/e2e/run.mjs`, Chromium) walking through setup, login and every
//! page against the edge. The script's exit status is the verdict; its budgets are printed.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bangui_tests::{FailureGenerator, Fleet, FleetOptions, TEST_PASSWORD};

use crate::support::{require_browser_tooling, require_build, seed_bans, workspace, ListServer};

/// Archived bans seeded into agent1's fail2ban database.
const SEEDED_BANS: u32 = 10_000;
/// The whole walkthrough must end by then (it is killed otherwise).
const DEADLINE: Duration = Duration::from_secs(15 * 60);

/// The blocklist server is on loopback: a private mirror the agents must allow. The archive
/// syncs every 2 s, so the seeded bans show from the first page on.
const AGENT_TOML: &str = concat!(
    "\n[blocklists]\nallow_networks = [\"127.0.0.1/32\"]\n",
    "\n[history]\nsync_interval_secs = 2\n",
);

/// Addresses of the blocklist (documentation ranges: the dummy ban action touches nothing).
fn blocklist_body() -> String {
    let mut body = String::from("# BanGUI browser test list\n");
    for i in 1..=20 {
        body += &format!("203.0.113.{}\n", 100 + i);
    }
    body += "198.51.100.0/30\n";
    body
}

fn artifacts_dir() -> PathBuf {
    let dir = workspace().join("target/ui-artifacts");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create target/ui-artifacts");
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_works_in_a_browser() {
    let dist = require_build();
    let script = require_browser_tooling();
    let _one = crate::exclusive().await;

    let list = ListServer::start(blocklist_body());
    let fleet = Fleet::start_opts(
        2,
        &FleetOptions {
            skip_setup: true,
            insecure_cookies: true,
            agent_toml: AGENT_TOML.into(),
            ui_dir: Some(dist),
            ..FleetOptions::default()
        },
    );
    let control = &fleet.control().fail2ban;
    seed_bans(
        &control.db_path(),
        SEEDED_BANS,
        chrono::Utc::now().timestamp(),
    );
    let _failures: Vec<FailureGenerator> = fleet
        .members
        .iter()
        .map(|m| FailureGenerator::for_fail2ban(&m.fail2ban, Duration::from_secs(2)))
        .collect();

    let artifacts = artifacts_dir();
    let mut command = Command::new("node");
    command
        .arg(&script)
        .current_dir(script.parent().and_then(|p| p.parent()).expect("web dir"))
        .env("BANGUI_URL", fleet.devhost.base_url())
        .env("BANGUI_PASSWORD", TEST_PASSWORD)
        .env("BANGUI_ARTIFACTS", &artifacts)
        .env("BANGUI_BLOCKLIST_URL", &list.url)
        .env("BANGUI_F2B_LOG", control.log_path("f2btest"))
        .env_remove("BANGUI_DOCS_SCREENSHOTS")
        // The script's output goes straight to the terminal, as it happens.
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit());
    if std::env::var("BANGUI_UPDATE_SCREENSHOTS").as_deref() == Ok("1") {
        command.env(
            "BANGUI_DOCS_SCREENSHOTS",
            workspace().join("docs/screenshots"),
        );
    }
    report(&format!(
        "ui: running {} against {} (artifacts in {})",
        script.display(),
        fleet.devhost.base_url(),
        artifacts.display()
    ));
    let status = tokio::task::spawn_blocking(move || run_with_deadline(command, DEADLINE))
        .await
        .expect("the browser script's waiter");

    let budgets = artifacts.join("budgets.json");
    match std::fs::read_to_string(&budgets) {
        Ok(text) => report(&format!("ui: {}:\n{text}", budgets.display())),
        Err(e) => report(&format!("ui: no {}: {e}", budgets.display())),
    }
    assert!(
        status.as_ref().is_ok_and(|s| s.success()),
        "the browser walkthrough failed ({status:?}); screenshots and logs in {}\n--- edge stderr (tail):\n{}",
        artifacts.display(),
        tail(&fleet.devhost.stderr_text(), 40)
    );
}

/// Writes to stderr past the test harness's capture (`eprintln!` is captured for passing
/// tests), so the budgets show in every run, like the script's own output.
fn report(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

/// Runs `command`, killing it after `deadline`.
fn run_with_deadline(
    mut command: Command,
    deadline: Duration,
) -> Result<std::process::ExitStatus, String> {
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start node: {e}"))?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if started.elapsed() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("killed after {deadline:?}"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(200)),
            Err(e) => return Err(format!("cannot wait for node: {e}")),
        }
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
