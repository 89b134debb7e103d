//! The web dashboard, end to end: its built files served by the edge's `ui` component (through
//! the dev host, `files` mounted from `functions/ui/web/dist`) and by the agent in agent-only
//! mode (`[ui] dir`), checked at the HTTP level, then the app driven in Chromium by its
//! Playwright script (`functions/ui/web/e2e/run.mjs`) against a live fleet.
//!
//! Needs the UI built (`npm ci && npm run build` in functions/ui/web: `deploy/test.sh` does it)
//! and `/usr/bin/chromium`; without them the tests fail saying so. The tests of this binary
//! run one at a time ([`exclusive`]): each starts a fleet, and the machine is small.

mod browser;
mod serving;
mod support;

use tokio::sync::{Mutex, MutexGuard};

static FLEET: Mutex<()> = Mutex::const_new(());

/// Held by every test while its fleet runs.
pub async fn exclusive() -> MutexGuard<'static, ()> {
    FLEET.lock().await
}
