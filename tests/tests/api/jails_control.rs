//! Jail control: `POST /api/v1/jails/reload-all`, `/jails/{name}/start`, `/stop`, `/idle`,
//! `/reload`.

use std::time::Duration;

use bangui_tests::{assert_error, assert_status, Agent, Fail2ban};
use serde_json::json;

use crate::common::{
    append_jail_local, assert_command_ok, assert_unreachable, ban, items, poll_until, start,
    write_jail_d, BAN_TIMEOUT, POLL_TIMEOUT,
};

/// A line that makes `jail.local` unparsable.
const UNPARSABLE: &str = "\nthis line is not ini\n[unclosed\n";

fn max_retry(f2b: &Fail2ban, jail: &str) -> String {
    f2b.client_ok(&["get", jail, "maxretry"]).trim().to_owned()
}

async fn currently_failed(agent: &Agent, jail: &str) -> u64 {
    let r = agent.get(&format!("/api/v1/jails/{jail}")).await;
    assert_status(&r, 200);
    r.json["jail"]["currently_failed"].as_u64().unwrap()
}

// --- reload-all ---

#[tokio::test]
async fn reload_all_applies_config_changes_and_keeps_jails_and_bans() {
    let (f2b, agent) = start();
    ban(&f2b, "sshd", "192.0.2.100");
    ban(&f2b, "f2btest", "2001:db8::100");
    write_jail_d(&f2b, "zz-test.local", "[sshd]\nmaxretry = 7\n");

    let r = agent.post("/api/v1/jails/reload-all").await;
    assert_command_ok(&r, 200);
    assert_eq!(r.json["count"], 2, "{}", r.text);
    assert_eq!(f2b.running_jails(), Ok(Fail2ban::builtin_jails()));
    assert_eq!(max_retry(&f2b, "sshd"), "7", "the new config is in effect");
    assert_eq!(max_retry(&f2b, "f2btest"), "2");
    assert!(
        f2b.is_banned("sshd", "192.0.2.100"),
        "bans survive a reload"
    );
    assert!(f2b.is_banned("f2btest", "2001:db8::100"));
}

#[tokio::test]
async fn reload_all_with_an_unparsable_config_is_409_and_changes_nothing() {
    let (f2b, agent) = start();
    ban(&f2b, "sshd", "192.0.2.101");
    append_jail_local(&f2b, UNPARSABLE);

    let r = agent.post("/api/v1/jails/reload-all").await;
    assert_error(&r, 409, "operation_failed");
    let detail = r.json["detail"].as_str().unwrap();
    assert!(
        detail.contains("jail.local") && detail.contains("pars"),
        "the detail names the problem: {detail}"
    );
    assert_eq!(
        f2b.running_jails(),
        Ok(Fail2ban::builtin_jails()),
        "nothing lost"
    );
    assert!(f2b.is_banned("sshd", "192.0.2.101"));
}

#[tokio::test]
async fn reload_all_with_a_new_jail_using_a_missing_filter_is_409() {
    let (f2b, agent) = start();
    let log = f2b.log_path("sshd");
    append_jail_local(
        &f2b,
        &format!(
            "\n[broken]\nenabled = true\nfilter = doesnotexist\nlogpath = {}\n",
            log.display()
        ),
    );

    let r = agent.post("/api/v1/jails/reload-all").await;
    assert_eq!(
        f2b.running_jails(),
        Ok(Fail2ban::builtin_jails()),
        "nothing lost"
    );
    assert_error(&r, 409, "operation_failed");
    let detail = r.json["detail"].as_str().unwrap();
    assert!(detail.contains("doesnotexist"), "{detail}");
}

#[tokio::test]
async fn reload_all_with_a_broken_running_jail_is_409_and_keeps_it_running() {
    let (f2b, agent) = start();
    ban(&f2b, "sshd", "192.0.2.102");
    write_jail_d(&f2b, "zz-broken.local", "[sshd]\nfilter = doesnotexist\n");

    let r = agent.post("/api/v1/jails/reload-all").await;
    let running = f2b.running_jails();
    let banned = f2b.is_banned("sshd", "192.0.2.102");
    assert_error(&r, 409, "operation_failed");
    assert_eq!(
        running,
        Ok(Fail2ban::builtin_jails()),
        "a config error must not stop sshd"
    );
    assert!(banned, "sshd's bans must survive");
}

// --- start / stop ---

#[tokio::test]
async fn stop_then_start_a_jail() {
    let (f2b, agent) = start();

    let r = agent.post("/api/v1/jails/sshd/stop").await;
    assert_command_ok(&r, 200);
    assert_eq!(r.json["jail"], "sshd");
    assert_eq!(f2b.running_jails(), Ok(vec!["f2btest".to_owned()]));
    let list = agent.get("/api/v1/jails").await;
    assert_eq!(list.json["pagination"]["total"], 1, "{}", list.text);
    assert_error(
        &agent.get("/api/v1/jails/sshd").await,
        404,
        "jail_not_found",
    );

    let r = agent.post("/api/v1/jails/sshd/stop").await;
    assert_error(&r, 409, "jail_already_inactive");
    assert_eq!(r.json["metadata"]["jail"], "sshd");

    let r = agent.post("/api/v1/jails/sshd/start").await;
    assert_command_ok(&r, 200);
    assert_eq!(r.json["jail"], "sshd");
    assert_eq!(f2b.running_jails(), Ok(Fail2ban::builtin_jails()));
    let detail = agent.get("/api/v1/jails/sshd").await;
    assert_status(&detail, 200);
    assert_eq!(
        detail.json["jail"]["max_retry"], 3,
        "started from the config"
    );

    // The restarted jail works: failures in its log ban again.
    f2b.fail("sshd", "2001:db8::103", 3);
    f2b.wait_banned("sshd", "2001:db8::103", BAN_TIMEOUT);
}

#[tokio::test]
async fn start_of_a_running_jail_is_409() {
    let (f2b, agent) = start();
    let r = agent.post("/api/v1/jails/f2btest/start").await;
    assert_error(&r, 409, "jail_already_active");
    assert_eq!(r.json["metadata"]["jail"], "f2btest");
    assert_eq!(f2b.running_jails(), Ok(Fail2ban::builtin_jails()));
}

#[tokio::test]
async fn start_of_an_unknown_or_disabled_jail_fails() {
    let (f2b, agent) = start();
    for path in ["/api/v1/jails/nosuch/start", "/api/v1/jails/..%2Fx/start"] {
        assert_error(&agent.post(path).await, 404, "jail_not_found");
    }
    let r = agent.post("/api/v1/jails/dormant/start").await;
    assert_error(&r, 409, "operation_failed");
    assert!(
        r.json["detail"].as_str().unwrap().contains("enabled"),
        "{}",
        r.text
    );
    assert_eq!(
        f2b.running_jails(),
        Ok(Fail2ban::builtin_jails()),
        "dormant stays stopped"
    );
}

#[tokio::test]
async fn stop_of_an_unknown_jail_is_409_inactive() {
    let (f2b, agent) = start();
    for jail in ["nosuch", "dormant"] {
        let r = agent.post(&format!("/api/v1/jails/{jail}/stop")).await;
        assert_error(&r, 409, "jail_already_inactive");
    }
    assert_error(
        &agent.post("/api/v1/jails/..%2Fx/stop").await,
        404,
        "jail_not_found",
    );
    assert_eq!(f2b.running_jails(), Ok(Fail2ban::builtin_jails()));
}

// --- idle ---

#[tokio::test]
async fn idle_toggles_without_a_body_and_sets_with_one() {
    let (_f2b, agent) = start();
    let idle = |r: &bangui_tests::Response| r.json["enabled"].clone();

    let r = agent.post("/api/v1/jails/sshd/idle").await;
    assert_command_ok(&r, 200);
    assert_eq!(idle(&r), true, "{}", r.text);
    assert_eq!(r.json["jail"], "sshd");
    assert_eq!(
        agent.get("/api/v1/jails/sshd").await.json["jail"]["idle"],
        true
    );
    let list = agent.get("/api/v1/jails").await;
    let f2btest = items(&list)
        .iter()
        .find(|j| j["name"] == "f2btest")
        .unwrap();
    assert_eq!(f2btest["idle"], false, "only sshd is idle");

    let r = agent.post("/api/v1/jails/sshd/idle").await;
    assert_eq!(idle(&r), false, "{}", r.text);

    for (on, expected) in [(true, true), (true, true), (false, false), (false, false)] {
        let r = agent
            .post_json("/api/v1/jails/sshd/idle", &json!({"on": on}))
            .await;
        assert_command_ok(&r, 200);
        assert_eq!(idle(&r), expected, "{}", r.text);
    }
    assert_eq!(
        agent.get("/api/v1/jails/sshd").await.json["jail"]["idle"],
        false
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_jail_ignores_failures_until_it_wakes_up() {
    let (f2b, agent) = start();
    let r = agent
        .post_json("/api/v1/jails/sshd/idle", &json!({"on": true}))
        .await;
    assert_status(&r, 200);

    f2b.fail("sshd", "192.0.2.104", 1);
    f2b.fail("f2btest", "192.0.2.105", 1);
    // f2btest, awake, reads its log within a polling cycle; give sshd another full cycle.
    poll_until("f2btest to count its failure", POLL_TIMEOUT, || async {
        (currently_failed(&agent, "f2btest").await >= 1).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        currently_failed(&agent, "sshd").await,
        0,
        "an idle jail reads nothing"
    );

    let r = agent
        .post_json("/api/v1/jails/sshd/idle", &json!({"on": false}))
        .await;
    assert_status(&r, 200);
    // fail2ban 1.0 reads what was written while idle only with the next change of the file.
    f2b.fail("sshd", "192.0.2.106", 1);
    poll_until(
        "sshd to count failures once awake",
        POLL_TIMEOUT,
        || async { (currently_failed(&agent, "sshd").await >= 1).then_some(()) },
    )
    .await;
}

#[tokio::test]
async fn idle_rejects_unknown_jails_and_bad_bodies() {
    let (_f2b, agent) = start();
    for path in ["/api/v1/jails/nosuch/idle", "/api/v1/jails/dormant/idle"] {
        assert_error(&agent.post(path).await, 404, "jail_not_found");
    }
    for body in ["{\"on\": \"yes\"}", "{\"on\": 1}", "{\"idle\": true}", "{"] {
        let r = agent
            .post_raw("/api/v1/jails/sshd/idle", body, "application/json")
            .await;
        assert_error(&r, 422, "invalid_body");
    }
    assert_eq!(
        agent.get("/api/v1/jails/sshd").await.json["jail"]["idle"],
        false
    );
}

// --- reload one jail ---

#[tokio::test]
async fn reload_of_a_jail_applies_its_config_and_keeps_bans() {
    let (f2b, agent) = start();
    ban(&f2b, "sshd", "2001:db8::106");
    write_jail_d(&f2b, "zz-test.local", "[sshd]\nmaxretry = 5\n");

    let r = agent.post("/api/v1/jails/sshd/reload").await;
    assert_command_ok(&r, 200);
    assert_eq!(r.json["jail"], "sshd");
    assert_eq!(max_retry(&f2b, "sshd"), "5");
    assert_eq!(f2b.running_jails(), Ok(Fail2ban::builtin_jails()));
    assert!(
        f2b.is_banned("sshd", "2001:db8::106"),
        "bans survive a reload"
    );
}

#[tokio::test]
async fn reload_of_an_unknown_or_stopped_jail_is_404() {
    let (f2b, agent) = start();
    for path in [
        "/api/v1/jails/nosuch/reload",
        "/api/v1/jails/dormant/reload",
        "/api/v1/jails/..%2Fx/reload",
    ] {
        assert_error(&agent.post(path).await, 404, "jail_not_found");
    }
    assert_status(&agent.post("/api/v1/jails/sshd/stop").await, 200);
    assert_error(
        &agent.post("/api/v1/jails/sshd/reload").await,
        404,
        "jail_not_found",
    );
    assert_eq!(
        f2b.running_jails(),
        Ok(vec!["f2btest".to_owned()]),
        "a reload does not start a jail"
    );
}

#[tokio::test]
async fn reload_of_a_jail_with_a_broken_config_is_409_and_keeps_it_running() {
    let (f2b, agent) = start();
    ban(&f2b, "sshd", "192.0.2.107");

    write_jail_d(&f2b, "zz-broken.local", "[sshd]\nfilter = doesnotexist\n");
    let r = agent.post("/api/v1/jails/sshd/reload").await;
    assert_error(&r, 409, "operation_failed");
    assert!(
        r.json["detail"].as_str().unwrap().contains("doesnotexist"),
        "{}",
        r.text
    );
    assert_eq!(f2b.running_jails(), Ok(Fail2ban::builtin_jails()));
    assert!(f2b.is_banned("sshd", "192.0.2.107"));

    std::fs::remove_file(f2b.config_dir().join("jail.d/zz-broken.local")).unwrap();
    append_jail_local(&f2b, UNPARSABLE);
    let r = agent.post("/api/v1/jails/sshd/reload").await;
    assert_error(&r, 409, "operation_failed");
    assert_eq!(f2b.running_jails(), Ok(Fail2ban::builtin_jails()));
    assert!(f2b.is_banned("sshd", "192.0.2.107"));
}

// --- fail2ban down ---

#[tokio::test]
async fn control_routes_are_502_when_fail2ban_is_down() {
    let (mut f2b, agent) = start();
    assert_status(&agent.get("/api/v1/jails").await, 200);
    f2b.kill();
    for path in [
        "/api/v1/jails/reload-all",
        "/api/v1/jails/sshd/start",
        "/api/v1/jails/sshd/stop",
        "/api/v1/jails/sshd/idle",
        "/api/v1/jails/sshd/reload",
    ] {
        assert_unreachable(&agent.post(path).await);
    }
    let r = agent
        .post_json("/api/v1/jails/sshd/idle", &json!({"on": true}))
        .await;
    assert_unreachable(&r);
}
