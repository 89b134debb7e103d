//! The agent under trouble: fail2ban crashing and coming back, a fail2ban that stops answering,
//! concurrent requests, and values that try to smuggle protocol framing.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bangui_tests::{assert_error, assert_status, Agent, Fail2ban};
use serde_json::json;

use crate::common::{
    assert_unreachable, ban, field_of_items, ignore_list, poll_until, server_value, sorted, start,
    POLL_TIMEOUT,
};

/// Routes that each need fail2ban, all read-only.
const READ_ROUTES: [&str; 6] = [
    "/api/v1/dashboard/status",
    "/api/v1/bans/active",
    "/api/v1/jails",
    "/api/v1/jails/sshd",
    "/api/v1/jails/sshd/ignoreip",
    "/api/v1/server/settings",
];

/// Restarted fail2ban brings its jails back in the background: wait until both run again.
async fn wait_for_both_jails(agent: &Agent) {
    poll_until(
        "both jails to run again",
        Duration::from_secs(20),
        || async {
            let r = agent.get("/api/v1/jails").await;
            (r.status == 200 && r.json["pagination"]["total"] == 2).then_some(())
        },
    )
    .await;
}

#[tokio::test]
async fn the_agent_survives_a_fail2ban_crash_and_recovers() {
    let (mut f2b, mut agent) = start();
    ban(&f2b, "sshd", "192.0.2.150");
    ban(&f2b, "f2btest", "2001:db8::150");
    for path in READ_ROUTES {
        assert_status(&agent.get(path).await, 200);
    }

    f2b.kill();
    for path in READ_ROUTES {
        assert_unreachable(&agent.get(path).await);
    }
    let r = agent
        .post_json(
            "/api/v1/bans",
            &json!({"ip": "192.0.2.151", "jail": "sshd"}),
        )
        .await;
    assert_unreachable(&r);
    assert_status(&agent.get("/api/v1/health").await, 503);
    assert!(agent.try_wait().is_none(), "the agent must keep running");

    f2b.restart();
    wait_for_both_jails(&agent).await;
    for path in READ_ROUTES {
        assert_status(&agent.get(path).await, 200);
    }
    let health = agent.get("/api/v1/health").await;
    assert_status(&health, 200);
    assert_eq!(health.json["fail2ban"], "online");

    // Bans come back from fail2ban's database, and the agent reports them.
    let r = poll_until("restored bans", POLL_TIMEOUT, || async {
        let r = agent.get("/api/v1/bans/active").await;
        (r.json["total"] == 2).then_some(r)
    })
    .await;
    assert_eq!(
        field_of_items(&r, "ip"),
        sorted(&["192.0.2.150", "2001:db8::150"])
    );

    // Writes work again too.
    let r = agent
        .post_json(
            "/api/v1/bans",
            &json!({"ip": "192.0.2.151", "jail": "sshd"}),
        )
        .await;
    assert_status(&r, 201);
    assert!(f2b.is_banned("sshd", "192.0.2.151"));
    assert!(agent.try_wait().is_none());
}

#[tokio::test]
async fn a_cleanly_stopped_fail2ban_is_502_until_it_is_back() {
    let (mut f2b, agent) = start();
    assert_status(&agent.get("/api/v1/jails").await, 200);
    f2b.stop();
    assert!(!f2b.socket().exists(), "a clean stop removes the socket");
    for path in READ_ROUTES {
        assert_unreachable(&agent.get(path).await);
    }
    assert_unreachable(&agent.post("/api/v1/jails/reload-all").await);
    assert_unreachable(&agent.post("/api/v1/jails/sshd/start").await);

    f2b.restart();
    wait_for_both_jails(&agent).await;
    assert_status(&agent.get("/api/v1/server/settings").await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fail2ban_that_stops_answering_is_502_within_the_command_timeout() {
    let f2b = bangui_tests::Fail2ban::start();
    let agent = Agent::start_with(&f2b, |c| c.command_timeout_secs = Some(1));
    assert_status(&agent.get("/api/v1/jails").await, 200);

    // `sleep 4` blocks fail2ban's single command loop for four seconds.
    let mut sleeper = Command::new(f2b.client_path())
        .arg("-c")
        .arg(f2b.config_dir())
        .arg("-s")
        .arg(f2b.socket())
        .args(["sleep", "4"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run fail2ban-client sleep");
    tokio::time::sleep(Duration::from_millis(300)).await;

    // fail2ban-client may still be starting: ask until fail2ban is blocked, each answer timed.
    let deadline = Instant::now() + Duration::from_secs(4);
    let (r, elapsed) = loop {
        let started = Instant::now();
        let r = agent.get("/api/v1/jails").await;
        let elapsed = started.elapsed();
        if r.status != 200 || Instant::now() >= deadline {
            break (r, elapsed);
        }
        assert!(
            sleeper.try_wait().unwrap().is_none(),
            "the sleep ended before any 502"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_unreachable(&r);
    assert!(
        elapsed < Duration::from_millis(3500),
        "a blocked fail2ban must be reported within the timeout, took {elapsed:?}"
    );

    // Once fail2ban answers again, the agent serves correct answers (no stale replies).
    tokio::task::spawn_blocking(move || sleeper.wait())
        .await
        .unwrap()
        .unwrap();
    let r = poll_until("the agent to serve again", POLL_TIMEOUT, || async {
        let r = agent.get("/api/v1/jails").await;
        (r.status == 200).then_some(r)
    })
    .await;
    assert_eq!(field_of_items(&r, "name"), ["f2btest", "sshd"]);
    for _ in 0..3 {
        let r = agent.get("/api/v1/jails/sshd").await;
        assert_status(&r, 200);
        assert_eq!(r.json["jail"]["name"], "sshd");
        assert_eq!(r.json["jail"]["max_retry"], 3, "{}", r.text);
        let r = agent.get("/api/v1/server/settings").await;
        assert_status(&r, 200);
        assert_eq!(r.json["settings"]["log_level"], "INFO", "{}", r.text);
        assert_eq!(r.json["settings"]["db_max_matches"], 10, "{}", r.text);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_are_answered_correctly() {
    let (f2b, agent) = start();
    let agent = Arc::new(agent);
    let ips: Vec<String> = (1..=12)
        .map(|n| {
            if n % 2 == 0 {
                format!("192.0.2.{}", 160 + n)
            } else {
                format!("2001:db8:16::{n:x}")
            }
        })
        .collect();
    let bans: Vec<_> = ips
        .iter()
        .map(|ip| {
            let (agent, ip) = (Arc::clone(&agent), ip.clone());
            tokio::spawn(async move {
                let body = json!({"ip": ip, "jail": "f2btest"});
                (ip, agent.post_json("/api/v1/bans", &body).await)
            })
        })
        .collect();
    let reads: Vec<_> = (0..12)
        .map(|n| {
            let agent = Arc::clone(&agent);
            let path = if n % 2 == 0 {
                "/api/v1/jails/sshd"
            } else {
                "/api/v1/server/settings"
            };
            tokio::spawn(async move { (path, agent.get(path).await) })
        })
        .collect();

    for task in bans {
        let (ip, r) = task.await.unwrap();
        assert_status(&r, 201);
        assert_eq!(
            r.json["ip"],
            ip.as_str(),
            "a reply for another request: {}",
            r.text
        );
    }
    for task in reads {
        let (path, r) = task.await.unwrap();
        assert_status(&r, 200);
        if path.ends_with("sshd") {
            assert_eq!(r.json["jail"]["name"], "sshd", "{}", r.text);
        } else {
            assert_eq!(r.json["settings"]["db_max_matches"], 10, "{}", r.text);
        }
    }
    let mut banned = f2b.banned("f2btest");
    banned.sort();
    let mut expected = ips.clone();
    expected.sort();
    assert_eq!(banned, expected);
}

#[tokio::test]
async fn protocol_framing_in_values_never_reaches_fail2ban() {
    let (f2b, agent) = start();
    let r = agent
        .post_json(
            "/api/v1/jails/sshd/ignoreip",
            &json!({"ip": "1.2.3.4<F2B_END_COMMAND>"}),
        )
        .await;
    assert_error(&r, 400, "invalid_input");
    let r = agent
        .post_json(
            "/api/v1/bans",
            &json!({"ip": "192.0.2.170<F2B_END_COMMAND>", "jail": "sshd"}),
        )
        .await;
    assert_error(&r, 400, "invalid_input");
    let r = agent
        .put_json(
            "/api/v1/server/settings",
            &json!({"syslog_socket": "/x<F2B_END_COMMAND>"}),
        )
        .await;
    assert_error(&r, 400, "config_validation_failed");
    assert_eq!(r.json["metadata"]["field"], "syslog_socket");
    let r = agent
        .post("/api/v1/jails/sshd%3CF2B_END_COMMAND%3E/stop")
        .await;
    assert_error(&r, 404, "jail_not_found");

    // fail2ban saw none of it and answers normally.
    assert_eq!(f2b.client_ok(&["ping"]).trim(), "Server replied: pong");
    assert_eq!(f2b.running_jails(), Ok(Fail2ban::builtin_jails()));
    assert_eq!(ignore_list(&f2b, "sshd"), sorted(&["127.0.0.0/8", "::1"]));
    assert_eq!(server_value(&f2b, "syslogsocket"), "auto");
    assert!(f2b.banned("sshd").is_empty());
    let r = agent.get("/api/v1/jails/sshd").await;
    assert_status(&r, 200);
    assert_eq!(r.json["jail"]["name"], "sshd");
}
