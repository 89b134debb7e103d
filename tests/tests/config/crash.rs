//! `kill -9` of the agent while it writes a jail's `.local` file: the file is then either the
//! old one or the complete new one — never torn — and fail2ban still loads the configuration.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::common::{read, start};

#[tokio::test]
async fn kill_9_during_writes_leaves_whole_files() {
    let (f2b, mut agent) = start();
    let file = "jail.d/f2btest.local";
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    for round in 0..12u64 {
        let value = 10 + round;
        let before = read(&f2b, file);
        let request = agent
            .request(Method::PUT, "/api/v1/config/jails/f2btest")
            .json(&json!({ "max_retry": value }))
            .send();
        let pending = tokio::spawn(request);
        // Anywhere from before the write to after it: the invariant must hold in every case.
        tokio::time::sleep(Duration::from_millis(rng.u64(0..60))).await;
        agent.kill();
        let _ = pending.await;

        let after = read(&f2b, file);
        let whole = match (&before, &after) {
            (_, None) => before.is_none(),
            (Some(old), Some(now)) if now == old => true,
            (_, Some(now)) => now.ends_with('\n') && now.contains(&format!("maxretry = {value}\n")),
        };
        assert!(
            whole,
            "round {round}: torn file {after:?} (before: {before:?})"
        );
        let (code, out) = f2b.client(&["-t"]);
        assert_eq!(code, 0, "round {round}: config no longer loads: {out}");
        agent.restart();
    }
}
