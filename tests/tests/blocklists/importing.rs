//! Imports into a real fail2ban-server: the formats, ignore lists, idempotence, lifting bans
//! of entries that left a list, and an import cut short by a crash.

use std::time::{Duration, Instant};

use serde_json::json;

use bangui_tests::{assert_error, assert_status};

use crate::common::{self, banned, create, import, JAIL};
use crate::server::{Gate, ListServer, Route};

#[tokio::test]
async fn formats_ignore_lists_and_a_second_import_bans_nothing_new() {
    let lists = ListServer::start("127.0.0.1");
    lists.route(
        "/plain.txt",
        Route::Body("# plain\n192.0.2.1\n192.0.2.2/32\n\n".into()),
    );
    lists.route(
        "/drop.txt",
        Route::Body("; Spamhaus DROP style\n198.51.100.1 ; SBL1\n198.51.100.2;SBL2\n".into()),
    );
    lists.route(
        "/tokens.txt",
        Route::Body("203.0.113.1\t7\n203.0.113.2 # why\n203.0.113.3,high\n203.0.113.200\n".into()),
    );
    lists.route(
        "/v6.txt",
        Route::Body(
            "2001:db8::1\n2001:db8::2 ; v6\n::ffff:192.0.2.9\n0.0.0.0/0\nnot-an-ip\n".into(),
        ),
    );
    // The global ignore list covers 203.0.113.128/25.
    let (f2b, agent) = common::start(&["127.0.0.1/32"], "ignore = [\"203.0.113.128/25\"]");
    let mut ids = Vec::new();
    for name in ["plain", "drop", "tokens", "v6"] {
        ids.push(create(&agent, name, &lists.url(&format!("/{name}.txt")), json!({})).await);
    }
    let r = agent.post("/api/v1/blocklists/import").await;
    assert_status(&r, 200);
    assert_eq!(r.json["errors"], 0, "{}", r.text);
    let results = r.json["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    let tokens = &results[2];
    assert_eq!(tokens["ignored"], 1, "{tokens}");
    assert_eq!(tokens["banned"], 3);
    let v6 = &results[3];
    assert_eq!(v6["invalid"], 2);
    assert_eq!(v6["invalid_samples"].as_array().unwrap().len(), 2);
    assert!(v6["invalid_samples"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("network"));
    assert_eq!(r.json["total_banned"], 2 + 2 + 3 + 3);
    assert_eq!(
        banned(&f2b),
        [
            "192.0.2.1",
            "192.0.2.2",
            "192.0.2.9",
            "198.51.100.1",
            "198.51.100.2",
            "2001:db8::1",
            "2001:db8::2",
            "203.0.113.1",
            "203.0.113.2",
            "203.0.113.3",
        ]
    );
    assert!(
        !f2b.is_banned(JAIL, "203.0.113.200"),
        "ignore-listed address banned"
    );

    // The jail was created as a real jail: the agent's jail.d file, the host's (dummy) action.
    let local = std::fs::read_to_string(f2b.config_dir().join("jail.d/blocklist-import.local"))
        .expect("the agent writes jail.d/blocklist-import.local");
    assert!(
        local.contains("[blocklist-import]") && local.contains("enabled = true"),
        "{local}"
    );
    let (_, actions) = f2b.client(&["get", JAIL, "actions"]);
    assert!(actions.contains("dummy"), "{actions}");

    // The jail's own ignore list counts too.
    let (code, out) = f2b.client(&["set", JAIL, "addignoreip", "198.51.100.0/24"]);
    assert_eq!(code, 0, "{out}");
    lists.route(
        "/drop.txt",
        Route::Body("198.51.100.3\n192.0.2.50\n".into()),
    );
    let r = import(&agent, ids[1]).await;
    assert_status(&r, 200);
    let drop = &r.json["results"][0];
    assert_eq!(drop["ignored"], 1, "{drop}");
    assert_eq!(drop["banned"], 1);
    assert!(!f2b.is_banned(JAIL, "198.51.100.3"));

    // The same lists again: nothing new, everything already banned.
    let r = agent.post("/api/v1/blocklists/import").await;
    assert_status(&r, 200);
    assert_eq!(r.json["total_banned"], 0, "{}", r.text);
    assert_eq!(r.json["results"][0]["already_banned"], 2);
}

#[tokio::test]
async fn networks_are_banned_as_networks_and_unbanned_when_they_leave() {
    let lists = ListServer::start("127.0.0.1");
    // Spamhaus DROP style `net ; SBL` lines: a /24, a /32 (banned as a plain address), a
    // network with host bits set, and a /24 holding an ignore-listed address.
    let full = "; DROP\n198.51.100.0/24 ; SBL1\n203.0.113.9/32;SBL2\n\
                2001:db8:5::1/48 ; SBL3\n192.0.2.0/24 ; SBL4\n";
    lists.route("/drop.txt", Route::Body(full.into()));
    let (f2b, agent) = common::start(&["127.0.0.1/32"], "ignore = [\"192.0.2.77/32\"]");
    let id = create(&agent, "drop", &lists.url("/drop.txt"), json!({})).await;

    let preview = agent.get(&format!("/api/v1/blocklists/{id}/preview")).await;
    assert_status(&preview, 200);
    assert_eq!(
        preview.json["entries"],
        json!(["198.51.100.0/24", "203.0.113.9", "2001:db8:5::/48"]),
        "{}",
        preview.text
    );

    let r = import(&agent, id).await;
    assert_status(&r, 200);
    let result = &r.json["results"][0];
    assert_eq!(result["banned"], 3, "{result}");
    assert_eq!(result["valid"], 3);
    assert_eq!(result["invalid"], 0);
    assert_eq!(
        result["ignored"], 1,
        "the /24 over an ignored address is skipped"
    );
    // fail2ban holds each network as one ban and reports it as `addr/prefix`.
    let listed = f2b.client_ok(&["get", JAIL, "banned"]);
    for entry in ["'198.51.100.0/24'", "'203.0.113.9'", "'2001:db8:5::/48'"] {
        assert!(listed.contains(entry), "{entry} not in {listed}");
    }
    assert!(
        !listed.contains("192.0.2."),
        "banned over an ignored address: {listed}"
    );
    assert!(f2b.is_banned(JAIL, "198.51.100.0/24"));
    let with_time = f2b.client_ok(&["get", JAIL, "banip", "--with-time"]);
    assert!(with_time.contains("198.51.100.0/24 \t"), "{with_time}");

    // The same list again: nothing new, the network is recognised as banned.
    let r = import(&agent, id).await;
    assert_status(&r, 200);
    assert_eq!(r.json["results"][0]["banned"], 0, "{}", r.text);
    assert_eq!(r.json["results"][0]["already_banned"], 3);

    // An address inside the network banned on its own (by hand) outlives the network's unban.
    f2b.client_ok(&["set", JAIL, "banip", "198.51.100.7"]);
    lists.route("/drop.txt", Route::Body("203.0.113.9/32;SBL2\n".into()));
    let r = import(&agent, id).await;
    assert_status(&r, 200);
    assert_eq!(r.json["results"][0]["unbanned"], 2, "{}", r.text);
    assert_eq!(r.json["results"][0]["banned"], 0);
    assert_eq!(banned(&f2b), ["198.51.100.7", "203.0.113.9"]);
    assert!(!f2b.is_banned(JAIL, "198.51.100.0/24"));
}

#[tokio::test]
async fn entries_that_leave_a_list_are_unbanned_unless_opted_out() {
    let lists = ListServer::start("127.0.0.1");
    lists.route(
        "/a.txt",
        Route::Body("192.0.2.1\n192.0.2.2\n192.0.2.3\n".into()),
    );
    lists.route("/b.txt", Route::Body("198.51.100.1\n198.51.100.2\n".into()));
    lists.route("/c.txt", Route::Body("192.0.2.3\n".into()));
    let (f2b, agent) = common::start(&["127.0.0.1/32"], "");
    let a = create(&agent, "a", &lists.url("/a.txt"), json!({})).await;
    let b = create(
        &agent,
        "b",
        &lists.url("/b.txt"),
        json!({"unban_removed": false}),
    )
    .await;
    assert_status(&agent.post("/api/v1/blocklists/import").await, 200);
    assert_eq!(banned(&f2b).len(), 5);
    let c = create(&agent, "c", &lists.url("/c.txt"), json!({})).await;
    assert_status(&import(&agent, c).await, 200);

    lists.route("/a.txt", Route::Body("192.0.2.1\n192.0.2.4\n".into()));
    lists.route("/b.txt", Route::Body("198.51.100.1\n".into()));
    let r = import(&agent, a).await;
    assert_status(&r, 200);
    // 192.0.2.2 left list a; 192.0.2.3 left it too but list c still has it.
    assert_eq!(r.json["results"][0]["unbanned"], 1, "{}", r.text);
    assert_eq!(r.json["results"][0]["banned"], 1);
    let r = import(&agent, b).await;
    assert_eq!(r.json["results"][0]["unbanned"], 0);
    assert_eq!(
        banned(&f2b),
        [
            "192.0.2.1",
            "192.0.2.3",
            "192.0.2.4",
            "198.51.100.1",
            "198.51.100.2"
        ]
    );
    let log = agent
        .get(&format!("/api/v1/blocklists/log?source_id={a}"))
        .await;
    assert_eq!(log.json["items"][0]["unbanned"], 1);
    assert_eq!(log.json["pagination"]["total"], 2);
}

#[tokio::test]
async fn an_import_cut_short_by_a_crash_is_completed_at_the_next_start() {
    // The sandbox's dummy action runs a shell per ban, so 2000 bans take seconds: long
    // enough to kill the agent in the middle.
    const N: usize = 2000;
    let body: String = (0..N)
        .map(|i| format!("10.{}.{}.1\n", i / 250, i % 250))
        .collect();
    let lists = ListServer::start("127.0.0.1");
    lists.route("/big.txt", Route::Body(body));
    let (f2b, mut agent) = common::start(&["127.0.0.1/32"], "default_max_entries = 5000");
    let id = create(&agent, "big", &lists.url("/big.txt"), json!({})).await;
    let request = {
        let http = agent.http().clone();
        let url = agent.url("/api/v1/blocklists/import");
        let token = agent.token().unwrap();
        tokio::spawn(async move {
            http.post(url)
                .bearer_auth(token)
                .json(&json!({"source_id": id}))
                .send()
                .await
        })
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (code, out) = f2b.client(&["status", JAIL]);
        let n: usize = out
            .lines()
            .find_map(|l| l.split("Currently banned:").nth(1))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        if code == 0 && n > 0 {
            assert!(n < N, "the import finished before the crash");
            break;
        }
        assert!(Instant::now() < deadline, "no ban appeared: {out}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    agent.kill();
    let _ = request.await;
    let partial = f2b.banned(JAIL).len();
    assert!(partial < N);

    // The restarted agent marks the cut run failed and completes it.
    agent.restart();
    let deadline = Instant::now() + Duration::from_secs(120);
    while f2b.banned(JAIL).len() < N {
        if Instant::now() > deadline {
            let log = agent.get("/api/v1/blocklists/log").await;
            panic!(
                "the resumed import did not finish: {} of {N} banned; log: {}\n--- agent stderr:\n{}",
                f2b.banned(JAIL).len(),
                log.text,
                agent.stderr_text()
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let log = loop {
        let log = agent.get("/api/v1/blocklists/log").await;
        if log.json["items"][0]["status"] == "completed" {
            break log;
        }
        assert!(Instant::now() < deadline, "{}", log.text);
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let items = log.json["items"].as_array().unwrap();
    // The cut run (the oldest entry) is failed; a resume attempt that found fail2ban still
    // busy with the crashed agent's last batch may add another failed entry in between.
    assert!(items.len() >= 2, "{}", log.text);
    let cut = items.last().unwrap();
    assert_eq!(cut["status"], "failed");
    assert!(
        cut["errors"][0].as_str().unwrap().contains("stopped"),
        "{cut}"
    );
    let resumed = items[0]["banned"].as_u64().unwrap() as usize;
    assert!(
        resumed > 0 && resumed <= N - partial,
        "{resumed} after {partial}"
    );
}

#[tokio::test]
async fn a_second_import_of_a_running_source_is_409() {
    // The list server holds the body until the checks are done, so the first import is
    // running for exactly as long as they need, however fast fail2ban bans on this machine.
    let body: String = (0..100).map(|i| format!("10.9.0.{}\n", i + 1)).collect();
    let lists = ListServer::start("127.0.0.1");
    let gate = Gate::default();
    lists.route("/busy.txt", Route::Gated(gate.clone(), body));
    let (f2b, agent) = common::start(&["127.0.0.1/32"], "");
    let id = create(&agent, "busy", &lists.url("/busy.txt"), json!({})).await;
    let first = {
        let http = agent.http().clone();
        let url = agent.url("/api/v1/blocklists/import");
        let token = agent.token().unwrap();
        tokio::spawn(async move {
            let r = http
                .post(url)
                .bearer_auth(token)
                .json(&json!({"source_id": id}))
                .send()
                .await
                .unwrap();
            r.status().as_u16()
        })
    };
    // The source is claimed before it is fetched: once the list server has the request,
    // the import is running.
    let deadline = Instant::now() + Duration::from_secs(30);
    while lists.hits("/busy.txt") == 0 {
        assert!(Instant::now() < deadline, "the first import did not fetch");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let r = import(&agent, id).await;
    assert_error(&r, 409, "conflict");
    assert_eq!(r.json["metadata"]["source_id"], id);
    assert_error(
        &agent.post("/api/v1/blocklists/import").await,
        409,
        "conflict",
    );
    assert_error(
        &agent.delete(&format!("/api/v1/blocklists/{id}")).await,
        409,
        "conflict",
    );
    assert_eq!(lists.hits("/busy.txt"), 1, "a refused import fetched");
    gate.open();
    assert_eq!(first.await.unwrap(), 200);
    assert_eq!(f2b.banned(JAIL).len(), 100);
    // Free again once it finished.
    assert_status(&import(&agent, id).await, 200);
}
