//! `/api/v1/geo/*`: lookups, resolution counts, re-resolving after the database changes.

use bangui_tests::{assert_error, assert_status};
use serde_json::Value;

use crate::common::{ban, geo_path, get_ok, now, start, sync, write_geo, Options};

#[tokio::test]
async fn lookup_answers_geo_and_current_bans_for_v4_and_v6() {
    let mut s = start(Options::default());
    let (code, out) = s
        .f2b
        .client(&["set", "f2btest", "banip", "2001:db8:ff::40"]);
    assert_eq!(code, 0, "{out}");

    let l = get_ok(&s.agent, "/api/v1/geo/lookup/2001:db8:ff::40").await;
    assert_eq!(l["ip"], "2001:db8:ff::40");
    assert_eq!(
        l["geo"]["country_code"], "US",
        "the /48 inside the JP /32: {l}"
    );
    assert_eq!(l["geo"]["country_name"], "United States");
    assert_eq!(l["geo"]["continent_name"], "North America");
    assert_eq!(l["currently_banned"], true);
    assert_eq!(l["jails"], serde_json::json!(["f2btest"]));

    let u = get_ok(&s.agent, "/api/v1/geo/lookup/203.0.113.1").await;
    assert_eq!(u["geo"]["country_code"], Value::Null);
    assert_eq!(u["currently_banned"], false);
    assert_eq!(u["ban_count"], 0);
    assert_eq!(u["last_banned_at"], Value::Null);

    for bad in ["not-an-ip", "192.0.2.256", "192.0.2.0%2F24"] {
        let r = s.agent.get(&format!("/api/v1/geo/lookup/{bad}")).await;
        assert_error(&r, 400, "invalid_input");
        assert_eq!(r.json["metadata"]["field"], "ip");
    }
    s.f2b.kill();
    assert_error(
        &s.agent.get("/api/v1/geo/lookup/192.0.2.1").await,
        502,
        "fail2ban_unreachable",
    );
}

#[tokio::test]
async fn stats_and_re_resolve_follow_the_database_file() {
    let s = start(Options {
        seeded: true,
        ..Options::default()
    });
    let t = now();
    s.seed
        .as_ref()
        .unwrap()
        .insert(&[
            ban("sshd", "192.0.2.50", t - 100, None),
            ban("sshd", "203.0.113.50", t - 90, None),
            ban("f2btest", "2001:db8::50", t - 80, None),
        ])
        .unwrap();
    sync(&s.agent).await;
    let st = get_ok(&s.agent, "/api/v1/geo/stats").await;
    assert_eq!(
        (
            st["resolved"].as_u64(),
            st["unresolved"].as_u64(),
            st["total"].as_u64()
        ),
        (Some(2), Some(1), Some(3)),
        "{st}"
    );
    assert_eq!(st["database"]["name"], "bangui-test-country");
    assert_eq!(st["database"]["build_date"], "2023-11-14T22:13:20Z");
    assert_eq!(st["error"], Value::Null);

    // A new database file: re-resolve picks it up and the aggregates follow.
    write_geo(&geo_path(s.dir.path()), 1_800_000_000, "AT");
    let r = s.agent.post("/api/v1/geo/re-resolve").await;
    assert_status(&r, 200);
    assert_eq!(r.json["total"], 3, "{}", r.text);
    assert_eq!(r.json["changed"], 1, "{}", r.text);
    assert_eq!(r.json["resolved"], 2);
    let c = get_ok(&s.agent, "/api/v1/dashboard/bans/by-country?range=24h").await;
    assert_eq!(c["countries"]["AT"], 1, "{c}");
    assert!(c["countries"].get("DE").is_none(), "{c}");

    // The sync notices a changed file by itself.
    write_geo(&geo_path(s.dir.path()), 1_900_000_000, "DE");
    sync(&s.agent).await;
    let c = get_ok(&s.agent, "/api/v1/dashboard/bans/by-country?range=24h").await;
    assert_eq!(c["countries"]["DE"], 1, "{c}");
    let h = get_ok(&s.agent, "/api/v1/history/192.0.2.50").await;
    assert_eq!(h["geo"]["country_code"], "DE");
}

#[tokio::test]
async fn without_a_database_every_address_is_unknown() {
    let s = start(Options {
        seeded: true,
        ..Options::default()
    });
    std::fs::remove_file(geo_path(s.dir.path())).unwrap();
    s.seed
        .as_ref()
        .unwrap()
        .insert(&[ban("sshd", "192.0.2.60", now(), None)])
        .unwrap();
    let r = s.agent.post("/api/v1/geo/re-resolve").await;
    assert_status(&r, 200);
    sync(&s.agent).await;
    let st = get_ok(&s.agent, "/api/v1/geo/stats").await;
    assert!(st["error"].as_str().unwrap().contains("not found"), "{st}");
    assert_eq!(st["database"], Value::Null);
    assert_eq!(st["unresolved"], 1, "{st}");
    let c = get_ok(&s.agent, "/api/v1/dashboard/bans/by-country").await;
    assert_eq!(c["unknown"], 1, "{c}");
    assert_eq!(c["items"][0]["country_code"], Value::Null);
}
