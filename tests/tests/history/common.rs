//! Helpers for the history tests: a sandbox plus an agent reading either fail2ban's own
//! database or a seeded copy, a small geo database, and request helpers.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bangui_agent::geo::write::Writer;
use bangui_agent::history::seed::{Ban, Fail2banDb};
use bangui_tests::{assert_status, Agent, AgentConfig, Fail2ban, Response, TEST_PASSWORD};
use serde_json::{json, Value};
use tempfile::TempDir;

/// How long a ban from log failures may take (polling backend, 1 s cycles).
pub const BAN_TIMEOUT: Duration = Duration::from_secs(15);

/// A sandbox, an agent, and a directory for seeded and geo files.
pub struct Setup {
    pub f2b: Fail2ban,
    pub agent: Agent,
    pub dir: TempDir,
    /// The seeded fail2ban database the agent archives, if the agent reads one.
    pub seed: Option<Fail2banDb>,
}

/// The test geo database: 192.0.2.0/24 DE, 198.51.100.0/24 FR, 2001:db8::/32 JP with
/// 2001:db8:ff::/48 US inside; 203.0.113.0/24 unknown.
pub fn write_geo(path: &Path, build_epoch: u64, v4_country: &str) {
    let mut w = Writer::new("bangui-test-country", build_epoch);
    for (net, cc) in [
        ("192.0.2.0/24", v4_country),
        ("198.51.100.0/24", "FR"),
        ("2001:db8::/32", "JP"),
        ("2001:db8:ff::/48", "US"),
    ] {
        w.insert(net.parse().expect("net"), &Writer::country_code(cc));
    }
    std::fs::write(path, w.to_bytes()).expect("write geo db");
}

pub fn geo_path(dir: &Path) -> PathBuf {
    dir.join("geo.mmdb")
}

/// What the agent reads and how it is set up.
#[derive(Default)]
pub struct Options {
    /// Archive a seeded file instead of fail2ban's own database.
    pub seeded: bool,
    /// Setup's time zone (default UTC).
    pub timezone: Option<&'static str>,
    /// Extra `[history]` keys.
    pub history_toml: &'static str,
}

pub fn start(options: Options) -> Setup {
    let f2b = Fail2ban::start();
    let dir = tempfile::Builder::new()
        .prefix("bg-hist-")
        .tempdir()
        .expect("temp dir");
    write_geo(&geo_path(dir.path()), 1_700_000_000, "DE");
    let seed = options
        .seeded
        .then(|| Fail2banDb::create(&dir.path().join("fail2ban.sqlite3")));
    let mut history = String::from("[history]\n");
    if let Some(seed) = &seed {
        history += &format!("fail2ban_db = {}\n", toml_str(seed.path()));
    }
    history += options.history_toml;
    let extra = format!(
        "{history}\n[geo]\ndatabase = {}\n",
        toml_str(&geo_path(dir.path()))
    );
    let agent = Agent::start_with(&f2b, |c: &mut AgentConfig| {
        c.extra_toml = extra;
        c.setup = options.timezone.is_none();
    });
    if let Some(tz) = options.timezone {
        setup_with_timezone(&agent, tz);
    }
    Setup {
        f2b,
        agent,
        dir,
        seed,
    }
}

fn toml_str(path: &Path) -> String {
    Value::from(path.display().to_string()).to_string()
}

/// Runs setup with a time zone and logs in (the harness's own setup sends none).
fn setup_with_timezone(agent: &Agent, tz: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let http = agent.http().clone();
    let base = agent.base_url().to_owned();
    let tz = tz.to_owned();
    let token = std::thread::spawn(move || {
        rt.block_on(async move {
            let r = http
                .post(format!("{base}/api/v1/setup"))
                .json(&json!({"master_password": TEST_PASSWORD, "timezone": tz}))
                .send()
                .await
                .expect("setup");
            assert_eq!(r.status().as_u16(), 201, "setup");
            let r: Value = http
                .post(format!("{base}/api/v1/auth/login"))
                .json(&json!({"password": TEST_PASSWORD}))
                .send()
                .await
                .expect("login")
                .json()
                .await
                .expect("login body");
            r["token"].as_str().expect("token").to_owned()
        })
    })
    .join()
    .expect("setup thread");
    agent.set_token(Some(token));
}

/// `GET path`, asserting 200; returns the JSON body.
pub async fn get_ok(agent: &Agent, path: &str) -> Value {
    let r = agent.get(path).await;
    assert_status(&r, 200);
    r.json
}

/// Makes the agent sync now (`source=fail2ban` waits for a sync) and asserts it worked.
pub async fn sync(agent: &Agent) {
    let r: Response = agent
        .get("/api/v1/history?source=fail2ban&page_size=1")
        .await;
    assert_status(&r, 200);
}

/// Seconds since the epoch now.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A seeded ban row.
pub fn ban(jail: &str, ip: &str, timeofban: i64, data: Option<&str>) -> Ban {
    Ban {
        jail: jail.into(),
        ip: ip.into(),
        timeofban,
        bantime: 600,
        bancount: 1,
        data: data.map(str::to_owned),
    }
}

/// `items[].ip` of a list response.
pub fn ips(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["ip"].as_str().unwrap_or_default().to_owned())
        .collect()
}

pub fn total(body: &Value) -> u64 {
    body["pagination"]["total"]
        .as_u64()
        .expect("pagination.total")
}
