//! `spin.toml` against the route table: every route of the API reaches its group's component
//! under Spin's most-specific-route rule, every component is built from its crate, gets the
//! same variables, and may reach exactly the agents named in the `agents` default.

use std::collections::BTreeMap;
use std::path::Path;

use bangui_edge::hosts::Fleet;
use bangui_shared::routes::{Group, ROUTES};
use toml::Value;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn manifest() -> Value {
    let text = std::fs::read_to_string(root().join("spin.toml")).expect("spin.toml");
    match toml::from_str::<toml::Table>(&text) {
        Ok(table) => Value::Table(table),
        Err(e) => panic!("spin.toml is not TOML: {}", e.message()),
    }
}

/// `(route, component id)` of every HTTP trigger.
fn triggers(m: &Value) -> Vec<(String, String)> {
    m["trigger"]["http"]
        .as_array()
        .expect("[[trigger.http]]")
        .iter()
        .map(|t| {
            (
                t["route"].as_str().expect("route").to_owned(),
                t["component"].as_str().expect("component id").to_owned(),
            )
        })
        .collect()
}

/// Spin's choice for `path`: exact routes first, then the longest matching `/prefix/...`.
fn spin_route<'a>(triggers: &'a [(String, String)], path: &str) -> Option<&'a str> {
    if let Some((_, c)) = triggers.iter().find(|(r, _)| r == path) {
        return Some(c);
    }
    triggers
        .iter()
        .filter_map(|(r, c)| {
            let prefix = r.strip_suffix("/...")?;
            let hit = path == prefix || path.starts_with(&format!("{prefix}/"));
            hit.then_some((prefix.len(), c.as_str()))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, c)| c)
}

fn component_id(group: Group) -> String {
    group.as_str().replace('_', "-")
}

#[test]
fn every_route_reaches_its_groups_component() {
    let m = manifest();
    let t = triggers(&m);
    for route in ROUTES {
        let path: String = route
            .pattern
            .split('/')
            .map(|s| if s.starts_with('{') { "x" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        assert_eq!(
            spin_route(&t, &path),
            Some(component_id(route.group).as_str()),
            "{route}"
        );
    }
    assert_eq!(spin_route(&t, "/api/v1/hosts"), Some("health"));
    assert_eq!(spin_route(&t, "/api/v1/unknown"), Some("health"));
    // The dashboard takes every path the API does not.
    for path in ["/", "/dashboard", "/jails/sshd", "/assets/x.js", "/api"] {
        assert_eq!(spin_route(&t, path), Some("ui"), "{path}");
    }
    let ids: Vec<&str> = t.iter().map(|(_, c)| c.as_str()).collect();
    for g in Group::ALL {
        assert!(
            ids.contains(&component_id(*g).as_str()),
            "no trigger for {g}"
        );
    }
}

/// What every component may reach in the dev shape: local agents' edge listeners.
const DEV_AGENT_PORTS: &str = "https://localhost:8651..8700";

#[test]
fn components_are_built_from_their_crates_and_reach_only_the_agents() {
    let m = manifest();
    let components = m["component"].as_table().expect("[component.*]");
    // One component per router group, plus the dashboard's `ui`.
    assert_eq!(components.len(), Group::ALL.len() + 1);
    let agents = m["variables"]["agents"]["default"]
        .as_str()
        .expect("agents default");
    let fleet = Fleet::parse(agents, "").expect("the agents default parses");
    // The dev shape's agents are local, on ports of the allowed range.
    for a in fleet.agents() {
        let port: u16 = a.url.rsplit(':').next().unwrap().parse().unwrap();
        assert!(a.url.starts_with("https://localhost:"), "{}", a.url);
        assert!((8651..8700).contains(&port), "{}", a.url);
    }
    for g in Group::ALL {
        let id = component_id(*g);
        let c = &components[&id];
        let crate_name = format!("bangui-fn-{id}");
        assert_eq!(
            c["source"].as_str(),
            Some(format!("target/wasm32-wasip2/wasm/bangui_fn_{}.wasm", g.as_str()).as_str()),
            "{id}"
        );
        let cargo =
            std::fs::read_to_string(root().join("functions").join(g.as_str()).join("Cargo.toml"))
                .unwrap_or_else(|e| panic!("functions/{g}/Cargo.toml: {e}"));
        assert!(cargo.contains(&format!("name = \"{crate_name}\"")), "{id}");
        let command = c["build"]["command"].as_str().expect("build command");
        assert!(
            command.ends_with(&format!("-p {crate_name}")),
            "{id}: {command}"
        );
        let hosts: Vec<&str> = c["allowed_outbound_hosts"]
            .as_array()
            .expect("allowed_outbound_hosts")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(hosts, [DEV_AGENT_PORTS], "{id}");
        let vars: BTreeMap<&str, &str> = c["variables"]
            .as_table()
            .expect("variables")
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or_default()))
            .collect();
        let expected: BTreeMap<&str, &str> = [
            ("agents", "{{ agents }}"),
            ("control_agent", "{{ control_agent }}"),
            ("session_signing_key", "{{ session_signing_key }}"),
            (
                "session_revalidate_seconds",
                "{{ session_revalidate_seconds }}",
            ),
        ]
        .into_iter()
        .collect();
        assert_eq!(vars, expected, "{id}");
    }
    assert_eq!(
        m["variables"]["session_signing_key"]["secret"].as_bool(),
        Some(true)
    );
}

#[test]
fn the_ui_component_only_reads_its_files() {
    let m = manifest();
    let ui = &m["component"]["ui"];
    assert_eq!(
        ui["source"].as_str(),
        Some("target/wasm32-wasip2/wasm/bangui_fn_ui.wasm")
    );
    let cargo = std::fs::read_to_string(root().join("functions/ui/Cargo.toml")).expect("ui crate");
    assert!(cargo.contains("name = \"bangui-fn-ui\""));
    let files = ui["files"].as_array().expect("files");
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["source"].as_str(), Some("functions/ui/web/dist"));
    assert_eq!(files[0]["destination"].as_str(), Some("/"));
    let ui = ui.as_table().expect("[component.ui]");
    for key in ["allowed_outbound_hosts", "variables", "environment"] {
        assert!(
            !ui.contains_key(key),
            "the ui component must not have {key}"
        );
    }
    let t = triggers(&m);
    let ui_routes: Vec<&str> = t
        .iter()
        .filter(|(_, c)| c == "ui")
        .map(|(r, _)| r.as_str())
        .collect();
    assert_eq!(ui_routes, ["/..."]);
}
