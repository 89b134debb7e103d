//! The plain relay `bangui-bench-edge` measures beside the edge: it must make the same hop (the
//! edge's certificate to an agent's edge listener) and pass the answer on unchanged, or the
//! benchmark's "one more mTLS hop" figure means nothing.

use std::ffi::OsStr;
use std::path::Path;

use bangui_tests::relay::RelayProcess;
use bangui_tests::{assert_status, ApiClient, Fleet};

#[tokio::test]
async fn the_benchmark_relay_passes_an_agent_answer_on_unchanged() {
    let fleet = Fleet::start(1);
    let member = fleet.control();
    let relay = RelayProcess::start(
        Path::new(env!("CARGO_BIN_EXE_bangui-bench-edge")),
        &[
            OsStr::new("--relay"),
            OsStr::new(&member.edge_url),
            OsStr::new("--relay-certs"),
            fleet.certs_dir.as_os_str(),
        ],
    );
    let api = ApiClient::new(&relay.base_url(), Default::default());
    api.set_token(member.agent.token());

    let direct = member.agent.get("/api/v1/jails").await;
    let relayed = api.get("/api/v1/jails").await;
    assert_status(&relayed, 200);
    assert_eq!(relayed.json, direct.json, "the relay changed the answer");

    let write = api.post("/api/v1/bans").await;
    assert_eq!(write.status, 405, "{}", write.text);
}
