//! The scheduler: it fires at the scheduled minute, keeps the schedule across restarts, and
//! makes up a run missed while the agent was stopped, once.

use std::time::{Duration, Instant};

use chrono::{Timelike, Utc};
use serde_json::{json, Value};

use bangui_tests::{assert_status, Agent};

use crate::common::{self, create};
use crate::server::{ListServer, Route};

async fn log_total(agent: &Agent) -> u64 {
    agent.get("/api/v1/blocklists/log").await.json["pagination"]["total"]
        .as_u64()
        .unwrap()
}

async fn wait_log(agent: &Agent, total: u64, within: Duration) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let r = agent.get("/api/v1/blocklists/log").await;
        if r.json["pagination"]["total"].as_u64() >= Some(total)
            && r.json["items"][0]["status"] != "running"
        {
            return r.json;
        }
        assert!(Instant::now() < deadline, "no scheduled run: {}", r.text);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn an_hourly_schedule_fires_at_its_minute() {
    let lists = ListServer::start("127.0.0.1");
    lists.route("/a.txt", Route::Body("192.0.2.1\n".into()));
    let (f2b, agent) = common::start(&["127.0.0.1/32"], "");
    create(&agent, "a", &lists.url("/a.txt"), json!({})).await;
    // The next whole minute (at least 5 s away, so the PUT lands before it).
    let at = Utc::now() + chrono::Duration::seconds(65);
    let r = agent
        .put_json(
            "/api/v1/blocklists/schedule",
            &json!({"frequency": "hourly", "minute": at.minute()}),
        )
        .await;
    assert_status(&r, 200);
    let next: chrono::DateTime<Utc> = r.json["next_run_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(next.minute(), at.minute());
    assert!(next > Utc::now() && next - Utc::now() <= chrono::Duration::seconds(65));
    assert_eq!(log_total(&agent).await, 0);
    let log = wait_log(&agent, 1, Duration::from_secs(130)).await;
    assert_eq!(log["items"][0]["status"], "completed");
    assert!(f2b.is_banned(common::JAIL, "192.0.2.1"));
    let info = agent.get("/api/v1/blocklists/schedule").await.json;
    assert!(info["last_run_at"].is_string(), "{info}");
}

#[tokio::test]
async fn a_run_missed_while_stopped_is_made_up_once_at_start() {
    let lists = ListServer::start("127.0.0.1");
    lists.route("/a.txt", Route::Body("192.0.2.1\n".into()));
    let (f2b, mut agent) = common::start(&["127.0.0.1/32"], "");
    create(&agent, "a", &lists.url("/a.txt"), json!({})).await;
    // Daily at a time that is never right now, so only the make-up run can explain a run.
    let hour = (Utc::now().hour() + 12) % 24;
    let r = agent
        .put_json(
            "/api/v1/blocklists/schedule",
            &json!({"frequency": "daily", "hour": hour}),
        )
        .await;
    assert_status(&r, 200);
    agent.stop();
    // Pretend the schedule was saved (and last ran) two days ago.
    let db = rusqlite::Connection::open(agent.state_dir().join("bangui.db")).unwrap();
    let two_days_ago = Utc::now().timestamp() - 2 * 86_400;
    let changed = db
        .execute(
            "UPDATE settings SET value = json_set(value, '$.saved_at', ?1, '$.last_run_at', ?1)
             WHERE key = 'blocklist_schedule'",
            [two_days_ago],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(db);
    agent.restart();
    let log = wait_log(&agent, 1, Duration::from_secs(30)).await;
    assert_eq!(log["items"][0]["status"], "completed");
    assert!(f2b.is_banned(common::JAIL, "192.0.2.1"));
    // Once: two missed days make one run, and the schedule survived the restart.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(log_total(&agent).await, 1);
    let info = agent.get("/api/v1/blocklists/schedule").await.json;
    assert_eq!(info["config"]["hour"], hour);
    assert_eq!(info["config"]["frequency"], "daily");
}
