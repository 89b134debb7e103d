//! Fleet merges: pure functions from each host's answer to one response body.
//!
//! Input is one `(host, Result<Answer, ApiError>)` per agent, in fleet order. Every merged body
//! that is a JSON object gets a `hosts` list, `[{host, ok, status, error?}]`, so a client sees
//! which agents answered. A fleet view answers as long as one agent did; only when none did is
//! the result an error. Nothing here does I/O, so all of it is tested on the host.

use std::cmp::Ordering;

use bangui_shared::pagination::PageRequest;
use bangui_shared::ApiError;
use serde_json::{json, Map, Value};

use crate::hosts::HostName;
use crate::policy::{Combine, FieldRule, Merge, Order, SortKey};

/// What an agent answered (any status its merge accepts) and the body as JSON (`null` when
/// empty).
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

/// One host's outcome.
pub type HostResult = (HostName, Result<Answer, ApiError>);

/// A merged response.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    pub status: u16,
    /// `None` for a 204.
    pub body: Option<Value>,
}

/// The field added to every item of a merged list, and the per-host list of a merged body.
pub const HOST_FIELD: &str = "host";
pub const HOSTS_FIELD: &str = "hosts";

/// Merges the answers of a fleet view. `page` is the client's page request for
/// [`Merge::Page`] views; each host's `items` must then hold its first
/// `page.offset() + page.page_size` items (or all of them), in the key's order.
///
/// # Errors
///
/// When no host answered (see [`all_failed`]).
pub fn view(
    merge: Merge,
    page: Option<PageRequest>,
    results: Vec<HostResult>,
) -> Result<Merged, ApiError> {
    match merge {
        Merge::Health => Ok(health(results)),
        Merge::Page(key) => paged(key, page.unwrap_or_default(), results),
        Merge::Sum(rules) => summed(rules, results),
    }
}

/// Merges the answers of a write sent to every host.
///
/// All succeeded: their common status (200 when they differ; a 204 everywhere stays a bodiless
/// 204), bodies summed. Some failed: 207 with `success: false`. Each `hosts` entry carries that
/// host's own body as `result`.
///
/// # Errors
///
/// When every host failed (see [`all_failed`]).
pub fn broadcast(results: Vec<HostResult>) -> Result<Merged, ApiError> {
    let ok: Vec<(&str, &Answer)> = results
        .iter()
        .filter_map(|(h, r)| r.as_ref().ok().map(|a| (h.as_str(), a)))
        .collect();
    if ok.is_empty() {
        return Err(all_failed(results));
    }
    let all_ok = ok.len() == results.len();
    let first = ok[0].1.status;
    let status = match (all_ok, ok.iter().all(|(_, a)| a.status == first)) {
        (false, _) => 207,
        (true, true) => first,
        (true, false) => 200,
    };
    if status == 204 {
        return Ok(Merged { status, body: None });
    }
    let bodies: Vec<(&str, &Value)> = ok.iter().map(|(h, a)| (*h, &a.body)).collect();
    let mut body = match combine(&bodies, None, &[], Strings::Equal) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let success = all_ok && body.get("success").and_then(Value::as_bool).unwrap_or(true);
    body.insert("success".into(), Value::Bool(success));
    body.insert(HOSTS_FIELD.into(), entries(&results, true));
    Ok(Merged {
        status,
        body: Some(Value::Object(body)),
    })
}

/// The error of a fleet call no host answered: the first host's error, which carries a `host`
/// metadata entry unless every host failed with the same code.
pub fn all_failed(results: Vec<HostResult>) -> ApiError {
    let same_code = results
        .windows(2)
        .all(|w| matches!((&w[0].1, &w[1].1), (Err(a), Err(b)) if a.code == b.code));
    let mut errors = results
        .into_iter()
        .filter_map(|(h, r)| r.err().map(|e| (h, e)));
    match errors.next() {
        Some((_, e)) if same_code => e,
        Some((host, e)) => e.with("host", host.as_str()),
        None => ApiError::internal("no agent was asked"),
    }
}

/// `[{host, ok, status, error?, result?}]`.
pub fn entries(results: &[HostResult], with_result: bool) -> Value {
    Value::Array(
        results
            .iter()
            .map(|(host, r)| match r {
                Ok(a) => {
                    let mut e = json!({HOST_FIELD: host.as_str(), "ok": true, "status": a.status});
                    if with_result && !a.body.is_null() {
                        e["result"] = a.body.clone();
                    }
                    e
                }
                Err(err) => json!({
                    HOST_FIELD: host.as_str(),
                    "ok": false,
                    "status": err.status(),
                    "error": {"code": err.code.as_str(), "detail": err.detail},
                }),
            })
            .collect(),
    )
}

// === health ===

/// Worst of `ok < degraded < unavailable`; an agent that did not answer counts as
/// `unavailable` and appears as an `agent` component in error. 200 only when all is `ok`.
fn health(results: Vec<HostResult>) -> Merged {
    const RANKS: [&str; 3] = ["ok", "degraded", "unavailable"];
    let rank = |body: &Value| {
        body.get("status")
            .and_then(Value::as_str)
            .and_then(|s| RANKS.iter().position(|r| *r == s))
            .unwrap_or(2)
    };
    let ok: Vec<(&str, &Value)> = results
        .iter()
        .filter_map(|(h, r)| r.as_ref().ok().map(|a| (h.as_str(), &a.body)))
        .collect();
    let worst = results
        .iter()
        .map(|(_, r)| r.as_ref().map_or(2, |a| rank(&a.body)))
        .max()
        .unwrap_or(2);
    let all_online = ok.len() == results.len()
        && ok
            .iter()
            .all(|(_, b)| b.get("fail2ban").and_then(Value::as_str) == Some("online"));
    let mut body = match combine(&ok, None, &[], Strings::Equal) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    body.insert("status".into(), RANKS[worst].into());
    body.insert(
        "fail2ban".into(),
        if all_online { "online" } else { "offline" }.into(),
    );
    if ok.len() != results.len() {
        // A common version is only a fleet fact when every host reported it.
        body.insert("version".into(), Value::Null);
    }
    let mut components = match body.remove("components") {
        Some(Value::Array(c)) => c,
        _ => Vec::new(),
    };
    for (host, r) in &results {
        if let Err(e) = r {
            components.push(json!({
                "name": "agent",
                "status": "error",
                "detail": e.detail,
                HOST_FIELD: host.as_str(),
            }));
        }
    }
    body.insert("components".into(), Value::Array(components));
    body.insert(HOSTS_FIELD.into(), entries(&results, false));
    Merged {
        status: if worst == 0 { 200 } else { 503 },
        body: Some(Value::Object(body)),
    }
}

// === paginated lists ===

fn paged(key: SortKey, page: PageRequest, results: Vec<HostResult>) -> Result<Merged, ApiError> {
    // A 2xx body without a list is the agent's bug; report it for that host only.
    let results: Vec<HostResult> = results
        .into_iter()
        .map(|(h, r)| {
            let r = r.and_then(|a| {
                if a.body.get("items").is_some_and(Value::is_array) {
                    Ok(a)
                } else {
                    Err(ApiError::internal(format!(
                        "agent {h} answered a list without `items`"
                    )))
                }
            });
            (h, r)
        })
        .collect();
    let ok: Vec<(&str, &Value)> = results
        .iter()
        .filter_map(|(h, r)| r.as_ref().ok().map(|a| (h.as_str(), &a.body)))
        .collect();
    if ok.is_empty() {
        return Err(all_failed(results));
    }
    let mut total: u64 = 0;
    let mut items = Vec::new();
    for (host, body) in &ok {
        let list = body["items"].as_array().map_or(&[][..], Vec::as_slice);
        total = total.saturating_add(
            body.pointer("/pagination/total")
                .and_then(Value::as_u64)
                .unwrap_or(list.len() as u64),
        );
        items.extend(list.iter().map(|item| tagged(item, host)));
    }
    sort(&mut items, key);
    let rest: Vec<(&str, Value)> = ok
        .iter()
        .map(|(h, b)| {
            let mut b = (*b).clone();
            if let Some(map) = b.as_object_mut() {
                map.remove("items");
                map.remove("pagination");
            }
            (*h, b)
        })
        .collect();
    let rest: Vec<(&str, &Value)> = rest.iter().map(|(h, b)| (*h, b)).collect();
    let mut body = match combine(&rest, None, &[], Strings::Equal) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let shown: Vec<Value> = items
        .into_iter()
        .skip(page.offset())
        .take(page.page_size as usize)
        .collect();
    body.insert("items".into(), Value::Array(shown));
    body.insert(
        "pagination".into(),
        serde_json::to_value(page.pagination(total)).unwrap_or(Value::Null),
    );
    body.insert(HOSTS_FIELD.into(), entries(&results, false));
    Ok(Merged {
        status: 200,
        body: Some(Value::Object(body)),
    })
}

// === summed bodies ===

fn summed(rules: &[FieldRule], results: Vec<HostResult>) -> Result<Merged, ApiError> {
    let ok: Vec<(&str, &Value)> = results
        .iter()
        .filter_map(|(h, r)| r.as_ref().ok().map(|a| (h.as_str(), &a.body)))
        .collect();
    if ok.is_empty() {
        return Err(all_failed(results));
    }
    let mut body = combine(&ok, None, rules, Strings::Equal);
    if let Value::Object(map) = &mut body {
        map.insert(HOSTS_FIELD.into(), entries(&results, false));
    }
    Ok(Merged {
        status: 200,
        body: Some(body),
    })
}

/// What happens to strings that differ between hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strings {
    /// Kept when equal, else `null` (a `message` becomes `"web1: …; web2: …"`).
    Equal,
    /// The first host's value (a series' labels).
    First,
}

/// Merges the values several hosts gave for one field. `null`s are skipped; values of mixed
/// kinds keep the first host's value.
fn combine(
    parts: &[(&str, &Value)],
    field: Option<&str>,
    rules: &[FieldRule],
    strings: Strings,
) -> Value {
    let parts: Vec<(&str, &Value)> = parts
        .iter()
        .copied()
        .filter(|(_, v)| !v.is_null())
        .collect();
    let Some(&(_, first)) = parts.first() else {
        return Value::Null;
    };
    let rule = rules
        .iter()
        .find(|r| Some(r.field) == field)
        .map(|r| r.combine);
    let ordered = |key: SortKey| {
        parts
            .iter()
            .map(|(_, v)| *v)
            .min_by(|a, b| compare_values(a, b, key))
            .cloned()
            .unwrap_or(Value::Null)
    };
    match rule {
        Some(Combine::First) => return first.clone(),
        Some(Combine::Min) => return ordered(SortKey::asc("")),
        Some(Combine::Max) => return ordered(SortKey::desc("")),
        _ => {}
    }
    let all = |f: fn(&Value) -> bool| parts.iter().all(|(_, v)| f(v));
    match first {
        Value::Number(_) if all(Value::is_number) => sum_numbers(&parts),
        Value::Bool(_) if all(Value::is_boolean) => {
            Value::Bool(parts.iter().all(|(_, v)| v.as_bool() == Some(true)))
        }
        Value::String(s) if all(Value::is_string) => {
            if parts.iter().all(|(_, v)| v.as_str() == Some(s)) || strings == Strings::First {
                first.clone()
            } else if field == Some("message") {
                let each: Vec<String> = parts
                    .iter()
                    .map(|(h, v)| format!("{h}: {}", v.as_str().unwrap_or_default()))
                    .collect();
                Value::String(each.join("; "))
            } else {
                Value::Null
            }
        }
        Value::Object(_) if all(Value::is_object) => {
            let mut keys: Vec<&String> = Vec::new();
            for (_, v) in &parts {
                for k in v.as_object().into_iter().flat_map(Map::keys) {
                    if !keys.contains(&k) {
                        keys.push(k);
                    }
                }
            }
            let mut out = Map::new();
            for k in keys {
                let sub: Vec<(&str, &Value)> = parts
                    .iter()
                    .filter_map(|(h, v)| v.get(k).map(|x| (*h, x)))
                    .collect();
                out.insert(k.clone(), combine(&sub, Some(k), rules, strings));
            }
            Value::Object(out)
        }
        Value::Array(_) if all(Value::is_array) => combine_arrays(&parts, field, rules),
        _ => first.clone(),
    }
}

fn combine_arrays(parts: &[(&str, &Value)], field: Option<&str>, rules: &[FieldRule]) -> Value {
    let lists: Vec<(&str, &Vec<Value>)> = parts
        .iter()
        .filter_map(|(h, v)| v.as_array().map(|a| (*h, a)))
        .collect();
    let rule = rules
        .iter()
        .find(|r| Some(r.field) == field)
        .map(|r| r.combine);
    let objects = lists
        .iter()
        .flat_map(|(_, l)| l.iter())
        .all(Value::is_object);
    let non_empty = lists.iter().any(|(_, l)| !l.is_empty());
    match rule {
        Some(Combine::Tag(key)) => tag_all(&lists, key),
        Some(Combine::ByKey(by, key)) => by_key(&lists, by, key, rules, Strings::Equal),
        Some(Combine::Series(by)) => {
            by_key(&lists, by, Some(SortKey::asc(by)), rules, Strings::First)
        }
        None | Some(Combine::Min | Combine::Max | Combine::First) if objects && non_empty => {
            tag_all(&lists, None)
        }
        _ => {
            let mut out: Vec<Value> = Vec::new();
            for v in lists.iter().flat_map(|(_, l)| l.iter()) {
                if !out.contains(v) {
                    out.push(v.clone());
                }
            }
            Value::Array(out)
        }
    }
}

fn tag_all(lists: &[(&str, &Vec<Value>)], key: Option<SortKey>) -> Value {
    let mut out: Vec<Value> = lists
        .iter()
        .flat_map(|(h, l)| l.iter().map(move |v| tagged(v, h)))
        .collect();
    if let Some(key) = key {
        sort(&mut out, key);
    }
    Value::Array(out)
}

fn by_key(
    lists: &[(&str, &Vec<Value>)],
    by: &str,
    key: Option<SortKey>,
    rules: &[FieldRule],
    strings: Strings,
) -> Value {
    // (key value, members as (host, item)), in first-seen order.
    type Group<'a> = (Option<&'a Value>, Vec<(&'a str, &'a Value)>);
    let mut groups: Vec<Group> = Vec::new();
    for (h, l) in lists {
        for v in l.iter() {
            let k = v.get(by);
            match groups.iter_mut().find(|(g, _)| k.is_some() && *g == k) {
                Some((_, members)) => members.push((h, v)),
                None => groups.push((k, vec![(h, v)])),
            }
        }
    }
    let mut out: Vec<Value> = groups
        .iter()
        .map(|(k, members)| match k {
            Some(_) => combine(members, None, rules, strings),
            None => tagged(members[0].1, members[0].0),
        })
        .collect();
    if let Some(key) = key {
        sort(&mut out, key);
    }
    Value::Array(out)
}

/// The item with `host` added (kept when the item already names one).
fn tagged(item: &Value, host: &str) -> Value {
    let mut item = item.clone();
    if let Some(map) = item.as_object_mut() {
        map.entry(HOST_FIELD)
            .or_insert_with(|| Value::String(host.to_owned()));
    }
    item
}

fn sum_numbers(parts: &[(&str, &Value)]) -> Value {
    let nums = || parts.iter().map(|(_, v)| v);
    if let Some(ints) = nums().map(|v| v.as_i64()).collect::<Option<Vec<i64>>>() {
        return ints.iter().fold(0i64, |a, b| a.saturating_add(*b)).into();
    }
    if let Some(ints) = nums().map(|v| v.as_u64()).collect::<Option<Vec<u64>>>() {
        return ints.iter().fold(0u64, |a, b| a.saturating_add(*b)).into();
    }
    let sum: f64 = nums().filter_map(|v| v.as_f64()).sum();
    serde_json::Number::from_f64(sum).map_or(Value::Null, Value::Number)
}

// === ordering ===

/// A comparable view of a sort field: numbers, then RFC 3339 times, then other text.
#[derive(Debug, Clone, PartialEq)]
enum SortValue {
    Number(f64),
    Time(i64, u32),
    Text(String),
}

impl SortValue {
    fn of(v: &Value) -> Option<Self> {
        match v {
            Value::Number(n) => n.as_f64().map(Self::Number),
            Value::Bool(b) => Some(Self::Number(f64::from(u8::from(*b)))),
            Value::String(s) => Some(
                chrono::DateTime::parse_from_rfc3339(s)
                    .map(|t| Self::Time(t.timestamp(), t.timestamp_subsec_nanos()))
                    .unwrap_or_else(|_| Self::Text(s.clone())),
            ),
            _ => None,
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Self::Number(_) => 0,
            Self::Time(..) => 1,
            Self::Text(_) => 2,
        }
    }

    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::Number(a), Self::Number(b)) => a.total_cmp(b),
            (Self::Time(a, an), Self::Time(b, bn)) => (a, an).cmp(&(b, bn)),
            (Self::Text(a), Self::Text(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

/// Compares two items by `key`; items without the field come last in either order.
pub fn compare(a: &Value, b: &Value, key: SortKey) -> Ordering {
    compare_values(
        a.get(key.field).unwrap_or(&Value::Null),
        b.get(key.field).unwrap_or(&Value::Null),
        key,
    )
}

/// Compares two values in `key`'s order (its field unused); `null`s come last.
fn compare_values(a: &Value, b: &Value, key: SortKey) -> Ordering {
    match (SortValue::of(a), SortValue::of(b)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(a), Some(b)) => match key.order {
            Order::Asc => a.cmp(&b),
            Order::Desc => b.cmp(&a),
        },
    }
}

/// Stable sort: ties keep fleet order, then each host's own order.
fn sort(items: &mut [Value], key: SortKey) {
    items.sort_by(|a, b| compare(a, b, key));
}

#[cfg(test)]
mod tests {
    use super::*;
    use bangui_shared::ErrorCode;
    use proptest::prelude::*;

    fn host(n: &str) -> HostName {
        HostName::new(n).unwrap()
    }

    fn ok(n: &str, body: Value) -> HostResult {
        (host(n), Ok(Answer { status: 200, body }))
    }

    fn down(n: &str) -> HostResult {
        (
            host(n),
            Err(ApiError::new(
                ErrorCode::AgentUnreachable,
                format!("agent {n} is unreachable"),
            )),
        )
    }

    #[test]
    fn health_is_worst_of_and_lists_dead_agents() {
        let healthy = json!({"status": "ok", "fail2ban": "online", "version": "1.0.2",
            "components": [{"name": "fail2ban", "status": "ok"}]});
        let degraded = json!({"status": "degraded", "fail2ban": "online", "version": "1.0.2",
            "components": [{"name": "store", "status": "error", "detail": "disk full"}]});
        let m = view(
            Merge::Health,
            None,
            vec![ok("a", healthy.clone()), ok("b", healthy.clone())],
        )
        .unwrap();
        assert_eq!(m.status, 200);
        let body = m.body.unwrap();
        assert_eq!(body["status"], "ok");
        assert_eq!(body["version"], "1.0.2");
        assert_eq!(body["components"].as_array().unwrap().len(), 2);
        assert_eq!(body["components"][1]["host"], "b");

        let m = view(
            Merge::Health,
            None,
            vec![ok("a", healthy.clone()), ok("b", degraded)],
        )
        .unwrap();
        assert_eq!(
            (m.status, m.body.unwrap()["status"].clone()),
            (503, json!("degraded"))
        );

        let m = view(Merge::Health, None, vec![ok("a", healthy), down("b")]).unwrap();
        let body = m.body.unwrap();
        assert_eq!(m.status, 503);
        assert_eq!(body["status"], "unavailable");
        assert_eq!(body["fail2ban"], "offline");
        assert_eq!(body["version"], Value::Null);
        assert_eq!(
            body["components"][1],
            json!({"name": "agent", "status": "error",
            "detail": "agent b is unreachable", "host": "b"})
        );
        assert_eq!(body["hosts"][1]["ok"], false);
        assert_eq!(body["hosts"][1]["status"], 502);
        assert_eq!(body["hosts"][1]["error"]["code"], "agent_unreachable");
    }

    #[test]
    fn counters_sum_flags_and_versions_agree() {
        let a = json!({"status": {"online": true, "version": "1.0.2", "active_jails": 2,
            "jails": ["sshd", "nginx"], "currently_banned": 3, "total_banned": 10}});
        let b = json!({"status": {"online": false, "version": "1.1.0", "active_jails": 1,
            "jails": ["sshd"], "currently_banned": 4, "total_banned": 1}});
        let body = view(Merge::Sum(&[]), None, vec![ok("a", a), ok("b", b)])
            .unwrap()
            .body
            .unwrap();
        assert_eq!(body["status"]["online"], false);
        assert_eq!(body["status"]["version"], Value::Null);
        assert_eq!(body["status"]["active_jails"], 3);
        assert_eq!(body["status"]["jails"], json!(["sshd", "nginx"]));
        assert_eq!(body["status"]["currently_banned"], 7);
        assert_eq!(body["status"]["total_banned"], 11);
        assert_eq!(body["hosts"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn collections_tag_sort_and_sum_totals() {
        const RULES: &[FieldRule] = &[FieldRule::new(
            "items",
            Combine::Tag(Some(SortKey::desc("banned_at"))),
        )];
        let a = json!({"items": [
            {"ip": "192.0.2.1", "banned_at": "2026-01-01T10:00:00Z"},
            {"ip": "192.0.2.2", "banned_at": "2026-01-01T08:00:00Z"}], "total": 2});
        let b = json!({"items": [
            {"ip": "198.51.100.1", "banned_at": "2026-01-01T09:00:00.5Z"},
            {"ip": "198.51.100.2", "banned_at": null}], "total": 2});
        let body = view(
            Merge::Sum(RULES),
            None,
            vec![ok("a", a), ok("b", b), down("c")],
        )
        .unwrap()
        .body
        .unwrap();
        let ips: Vec<(&str, &str)> = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| (i["host"].as_str().unwrap(), i["ip"].as_str().unwrap()))
            .collect();
        assert_eq!(
            ips,
            [
                ("a", "192.0.2.1"),
                ("b", "198.51.100.1"),
                ("a", "192.0.2.2"),
                ("b", "198.51.100.2")
            ]
        );
        assert_eq!(body["total"], 4);
        assert_eq!(body["hosts"][2]["ok"], false);
    }

    #[test]
    fn keyed_aggregates_and_series() {
        const RULES: &[FieldRule] = &[
            FieldRule::new(
                "jails",
                Combine::ByKey("jail", Some(SortKey::desc("count"))),
            ),
            FieldRule::new("buckets", Combine::Series("timestamp")),
        ];
        let a = json!({"jails": [{"jail": "sshd", "count": 2}, {"jail": "nginx", "count": 5}],
            "total": 7, "countries": {"DE": 1, "US": 2}, "country_names": {"DE": "Germany"},
            "buckets": [{"timestamp": "2026-01-01T00:00:00Z", "count": 1},
                        {"timestamp": "2026-01-01T01:00:00Z", "count": 0}], "bucket_size": "1h"});
        // b's window started a minute earlier, across the full hour: one bucket more, first.
        let b = json!({"jails": [{"jail": "sshd", "count": 4}], "total": 4,
            "countries": {"US": 3, "FR": 1}, "country_names": {"FR": "France"},
            "buckets": [{"timestamp": "2025-12-31T23:00:00Z", "count": 4},
                        {"timestamp": "2026-01-01T00:00:00Z", "count": 2},
                        {"timestamp": "2026-01-01T01:00:00Z", "count": 3}], "bucket_size": "1h"});
        let body = view(Merge::Sum(RULES), None, vec![ok("a", a), ok("b", b)])
            .unwrap()
            .body
            .unwrap();
        assert_eq!(
            body["jails"],
            json!([{"jail": "sshd", "count": 6}, {"jail": "nginx", "count": 5}])
        );
        assert_eq!(body["total"], 11);
        assert_eq!(body["countries"], json!({"DE": 1, "US": 5, "FR": 1}));
        assert_eq!(
            body["country_names"],
            json!({"DE": "Germany", "FR": "France"})
        );
        assert_eq!(
            body["buckets"],
            json!([{"timestamp": "2025-12-31T23:00:00Z", "count": 4},
                   {"timestamp": "2026-01-01T00:00:00Z", "count": 3},
                   {"timestamp": "2026-01-01T01:00:00Z", "count": 3}])
        );
        assert_eq!(body["bucket_size"], "1h");
    }

    #[test]
    fn min_max_and_first_fields() {
        const RULES: &[FieldRule] = &[
            FieldRule::new("first_seen", Combine::Min),
            FieldRule::new("last_seen", Combine::Max),
            FieldRule::new("database", Combine::First),
        ];
        let a = json!({"first_seen": "2026-01-02T00:00:00Z", "last_seen": "2026-01-03T00:00:00Z",
            "database": {"name": "x", "ip_version": 6}, "total_bans": 2});
        let b = json!({"first_seen": "2026-01-01T00:00:00Z", "last_seen": "2026-01-02T12:00:00Z",
            "database": {"name": "y", "ip_version": 6}, "total_bans": 3});
        let body = view(Merge::Sum(RULES), None, vec![ok("a", a), ok("b", b)])
            .unwrap()
            .body
            .unwrap();
        assert_eq!(body["first_seen"], "2026-01-01T00:00:00Z");
        assert_eq!(body["last_seen"], "2026-01-03T00:00:00Z");
        assert_eq!(body["database"], json!({"name": "x", "ip_version": 6}));
        assert_eq!(body["total_bans"], 5);
    }

    #[test]
    fn pages_merge_and_repaginate() {
        let key = SortKey::asc("name");
        let a = json!({"items": [{"name": "a1"}, {"name": "c1"}],
            "pagination": {"page": 1, "page_size": 3, "total": 5}});
        let b = json!({"items": [{"name": "b1"}, {"name": "b2"}, {"name": "d1"}],
            "pagination": {"page": 1, "page_size": 3, "total": 3}});
        let page = PageRequest::new(2, 2).unwrap();
        let body = view(
            Merge::Page(key),
            Some(page),
            vec![ok("a", a), ok("b", b), down("c")],
        )
        .unwrap()
        .body
        .unwrap();
        assert_eq!(
            body["items"],
            json!([{"name": "b2", "host": "b"}, {"name": "c1", "host": "a"}])
        );
        assert_eq!(body["pagination"]["total"], 8);
        assert_eq!(body["pagination"]["total_pages"], 4);
        assert_eq!(body["pagination"]["has_next_page"], true);
        assert_eq!(body["pagination"]["has_prev_page"], true);
        assert_eq!(body["hosts"][2]["error"]["code"], "agent_unreachable");
    }

    #[test]
    fn nobody_answering_is_the_first_error() {
        let err = view(Merge::Sum(&[]), None, vec![down("a"), down("b")]).unwrap_err();
        assert_eq!(err.code, ErrorCode::AgentUnreachable);
        assert!(err.metadata.is_empty());
        let mixed = vec![
            (
                host("a"),
                Err(ApiError::new(ErrorCode::NotImplemented, "later")),
            ),
            down("b"),
        ];
        let err = view(Merge::Page(SortKey::asc("x")), None, mixed).unwrap_err();
        assert_eq!(err.code, ErrorCode::NotImplemented);
        assert_eq!(err.metadata["host"], "a");
        // A body that is not a list is that host's error, not a crash.
        let err = view(
            Merge::Page(SortKey::asc("x")),
            None,
            vec![ok("a", json!({}))],
        )
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::InternalError);
    }

    #[test]
    fn broadcasts_report_each_host() {
        let cmd = |msg: &str, count: u64| json!({"message": msg, "success": true, "count": count});
        let all = broadcast(vec![
            (
                host("a"),
                Ok(Answer {
                    status: 201,
                    body: cmd("Banned", 1),
                }),
            ),
            (
                host("b"),
                Ok(Answer {
                    status: 201,
                    body: cmd("Banned", 1),
                }),
            ),
        ])
        .unwrap();
        let body = all.body.unwrap();
        assert_eq!(all.status, 201);
        assert_eq!(body["message"], "Banned");
        assert_eq!(body["count"], 2);
        assert_eq!(body["success"], true);
        assert_eq!(body["hosts"][0]["result"]["count"], 1);

        let partial = broadcast(vec![
            (
                host("a"),
                Ok(Answer {
                    status: 200,
                    body: cmd("Unbanned 3", 3),
                }),
            ),
            down("b"),
        ])
        .unwrap();
        let body = partial.body.unwrap();
        assert_eq!(partial.status, 207);
        assert_eq!(body["success"], false);
        assert_eq!(body["hosts"][1]["error"]["code"], "agent_unreachable");

        let differing = broadcast(vec![
            (
                host("a"),
                Ok(Answer {
                    status: 200,
                    body: cmd("Unbanned 3", 3),
                }),
            ),
            (
                host("b"),
                Ok(Answer {
                    status: 200,
                    body: cmd("Unbanned 1", 1),
                }),
            ),
        ])
        .unwrap();
        assert_eq!(
            differing.body.unwrap()["message"],
            "a: Unbanned 3; b: Unbanned 1"
        );

        let none = broadcast(vec![
            (
                host("a"),
                Ok(Answer {
                    status: 204,
                    body: Value::Null,
                }),
            ),
            (
                host("b"),
                Ok(Answer {
                    status: 204,
                    body: Value::Null,
                }),
            ),
        ])
        .unwrap();
        assert_eq!(
            none,
            Merged {
                status: 204,
                body: None
            }
        );
        assert!(broadcast(vec![down("a")]).is_err());
    }

    #[test]
    fn times_compare_as_times_and_missing_fields_sort_last() {
        let key = SortKey::desc("t");
        let early = json!({"t": "2026-01-01T00:00:00Z"});
        let later = json!({"t": "2026-01-01T00:00:00.5Z"});
        let offset = json!({"t": "2026-01-01T01:00:00+02:00"}); // 23:00 the day before
        let none = json!({});
        assert_eq!(compare(&later, &early, key), Ordering::Less);
        assert_eq!(compare(&early, &offset, key), Ordering::Less);
        assert_eq!(compare(&none, &early, key), Ordering::Greater);
        assert_eq!(compare(&none, &early, SortKey::asc("t")), Ordering::Greater);
    }

    /// Per-host lists, each sorted by `t` descending (as agents list them).
    fn fleet_lists() -> impl Strategy<Value = Vec<Vec<i64>>> {
        prop::collection::vec(
            prop::collection::vec(0i64..50, 0..40).prop_map(|mut v| {
                v.sort_by(|a, b| b.cmp(a));
                v
            }),
            1..5,
        )
    }

    fn item(t: i64, i: usize) -> Value {
        json!({"t": format!("2026-01-01T00:00:{:02}Z", t % 60), "n": t, "i": i})
    }

    /// Host `h`'s answer: its first `need` items and its total.
    fn host_page(h: usize, list: &[i64], need: usize) -> HostResult {
        let items: Vec<Value> = list
            .iter()
            .take(need)
            .enumerate()
            .map(|(i, t)| item(*t, i))
            .collect();
        ok(
            &format!("h{h}"),
            json!({"items": items, "pagination": {"total": list.len()}}),
        )
    }

    /// Every item of every host, tagged, sorted by `key`.
    fn whole_fleet(lists: &[Vec<i64>], key: SortKey) -> Vec<Value> {
        let mut all: Vec<Value> = Vec::new();
        for (h, l) in lists.iter().enumerate() {
            all.extend(
                l.iter()
                    .enumerate()
                    .map(|(i, t)| tagged(&item(*t, i), &format!("h{h}"))),
            );
        }
        all.sort_by(|a, b| compare(a, b, key));
        all
    }

    fn health_of(h: usize, rank: usize) -> HostResult {
        const NAMES: [&str; 3] = ["ok", "degraded", "unavailable"];
        match NAMES.get(rank) {
            Some(s) => ok(
                &format!("h{h}"),
                json!({"status": s, "fail2ban": "online", "components": []}),
            ),
            None => down(&format!("h{h}")),
        }
    }

    proptest! {
        /// Merging each host's first `offset + size` items gives the page of the whole fleet.
        #[test]
        fn merged_pages_equal_pages_of_the_whole(
            lists in fleet_lists(), page in 1u32..6, size in 1u32..12,
        ) {
            let req = PageRequest::new(page, size).unwrap();
            let need = req.offset() + size as usize;
            // `t` is an RFC 3339 time: the merge compares times, not strings.
            let key = SortKey::desc("t");
            let results: Vec<HostResult> =
                lists.iter().enumerate().map(|(h, l)| host_page(h, l, need)).collect();
            let merged = view(Merge::Page(key), Some(req), results).unwrap().body.unwrap();
            let whole = whole_fleet(&lists, key);
            let expected: Vec<Value> =
                whole.into_iter().skip(req.offset()).take(size as usize).collect();
            prop_assert_eq!(&merged["items"], &Value::Array(expected));
            let total: usize = lists.iter().map(Vec::len).sum();
            prop_assert_eq!(merged["pagination"]["total"].as_u64(), Some(total as u64));
        }

        /// Counters are sums whatever the number of hosts; failed hosts add nothing.
        #[test]
        fn sums_are_sums(counts in prop::collection::vec(prop::option::of(0u32..1_000_000), 1..6)) {
            let results: Vec<HostResult> = counts.iter().enumerate().map(|(h, c)| match c {
                Some(c) => ok(&format!("h{h}"), json!({"total": c, "nested": {"n": c}})),
                None => down(&format!("h{h}")),
            }).collect();
            let expected: u64 = counts.iter().flatten().map(|c| u64::from(*c)).sum();
            match view(Merge::Sum(&[]), None, results) {
                Ok(m) => {
                    let body = m.body.unwrap();
                    prop_assert_eq!(body["total"].as_u64(), Some(expected));
                    prop_assert_eq!(body["nested"]["n"].as_u64(), Some(expected));
                    prop_assert_eq!(body["hosts"].as_array().unwrap().len(), counts.len());
                }
                Err(e) => {
                    prop_assert!(counts.iter().all(Option::is_none));
                    prop_assert_eq!(e.code, ErrorCode::AgentUnreachable);
                }
            }
        }

        /// Health: the fleet status is the worst host status, 200 only when all are ok.
        #[test]
        fn health_is_the_worst(ranks in prop::collection::vec(0usize..4, 1..6)) {
            const NAMES: [&str; 3] = ["ok", "degraded", "unavailable"];
            let results: Vec<HostResult> =
                ranks.iter().enumerate().map(|(h, r)| health_of(h, *r)).collect();
            let m = view(Merge::Health, None, results).unwrap();
            let worst = ranks.iter().map(|r| (*r).min(2)).max().unwrap();
            let body = m.body.unwrap();
            prop_assert_eq!(body["status"].as_str(), Some(NAMES[worst]));
            prop_assert_eq!(m.status, if worst == 0 { 200 } else { 503 });
        }
    }
}
