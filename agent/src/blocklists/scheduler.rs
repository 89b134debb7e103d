//! The import schedule: hourly, daily or weekly at a local time of the configured zone. The
//! schedule and the last run are kept in the store, so they survive restarts; runs missed while
//! the agent was down are made up once at start-up, as are imports a crash cut short.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Datelike, Duration as Span, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use bangui_shared::models::blocklists::{
    ScheduleConfig, ScheduleFrequency, ScheduleInfo, ScheduleUpdate,
};
use bangui_shared::ApiError;

use crate::state::AppState;
use crate::store::blocklists as db;
use crate::store::settings::{get_json, set_json};

use super::import;

/// The `settings` key of [`Saved`].
pub const KEY: &str = "blocklist_schedule";
/// The scheduler wakes at least this often to look at the clock again (clock changes).
const MAX_SLEEP: Duration = Duration::from_secs(300);
/// Attempts to complete an import a stop cut short, and the wait between them.
const RESUME_ATTEMPTS: u32 = 3;
const RESUME_WAIT: Duration = Duration::from_secs(10);

/// The schedule as stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    pub config: ScheduleConfig,
    /// When the schedule was last changed (unix seconds): runs before it are not owed.
    pub saved_at: i64,
    pub last_run_at: Option<i64>,
}

/// The first run strictly after `after`, in zone `tz`. A local time that does not exist (a
/// DST gap) moves an hour later; one that exists twice runs at its first occurrence.
pub fn next_run(config: &ScheduleConfig, tz: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let local = after.with_timezone(&tz).naive_local();
    let at = |naive: NaiveDateTime| -> Option<DateTime<Utc>> {
        tz.from_local_datetime(&naive)
            .earliest()
            .or_else(|| tz.from_local_datetime(&(naive + Span::hours(1))).earliest())
            .map(|t| t.with_timezone(&Utc))
    };
    let minute = u32::from(config.minute);
    match config.frequency {
        ScheduleFrequency::Hourly => {
            let hour = local.date().and_hms_opt(local.hour(), minute, 0)?;
            (0..=48)
                .filter_map(|h| at(hour + Span::hours(h)))
                .find(|t| *t > after)
        }
        ScheduleFrequency::Daily | ScheduleFrequency::Weekly => {
            let time = chrono::NaiveTime::from_hms_opt(u32::from(config.hour), minute, 0)?;
            (0..=8)
                .map(|d| local.date() + Span::days(d))
                .filter(|day| {
                    config.frequency == ScheduleFrequency::Daily
                        || day.weekday().num_days_from_monday() == u32::from(config.day_of_week)
                })
                .filter_map(|day| at(day.and_time(time)))
                .find(|t| *t > after)
        }
    }
}

/// The configured zone (setup's), UTC when unset or unknown.
pub fn zone(state: &AppState) -> Tz {
    state
        .auth
        .setup_record()
        .and_then(|r| r.timezone.parse().ok())
        .unwrap_or(Tz::UTC)
}

pub async fn load(state: &AppState) -> Result<Saved, ApiError> {
    Ok(state
        .auth
        .store()
        .run(|c| get_json::<Saved>(c, KEY))
        .await?
        .unwrap_or_default())
}

/// The schedule as the API shows it.
pub fn info(saved: &Saved, tz: Tz, now: DateTime<Utc>) -> ScheduleInfo {
    let at = |s: i64| Utc.timestamp_opt(s, 0).single();
    ScheduleInfo {
        config: saved.config,
        timezone: tz.name().to_owned(),
        next_run_at: saved
            .config
            .enabled
            .then(|| next_run(&saved.config, tz, now))
            .flatten(),
        last_run_at: saved.last_run_at.and_then(at),
    }
}

/// Applies an update to the schedule (keeping the last run) and wakes the scheduler. An empty
/// update changes nothing.
pub async fn save(state: &AppState, update: ScheduleUpdate) -> Result<Saved, ApiError> {
    let mut saved = load(state).await?;
    if update == ScheduleUpdate::default() {
        return Ok(saved);
    }
    let config = update.apply(&saved.config);
    config.validate()?;
    saved.config = config;
    saved.saved_at = Utc::now().timestamp();
    let stored = saved;
    state
        .auth
        .store()
        .run(move |c| set_json(c, KEY, &stored))
        .await?;
    state.blocklists.schedule_changed.notify_one();
    Ok(saved)
}

async fn record_run(state: &AppState, at: i64) -> Result<(), ApiError> {
    state
        .auth
        .store()
        .run(move |c| {
            let mut saved: Saved = get_json(c, KEY)?.unwrap_or_default();
            saved.last_run_at = Some(at);
            set_json(c, KEY, &saved)
        })
        .await?;
    Ok(())
}

/// Runs forever; spawn it once per agent.
pub async fn run(state: Arc<AppState>) {
    resume_interrupted(&state).await;
    loop {
        let wait = match due_in(&state).await {
            Ok(Some(wait)) if wait.is_zero() => {
                run_scheduled(&state).await;
                continue;
            }
            Ok(Some(wait)) => wait.min(MAX_SLEEP),
            Ok(None) => MAX_SLEEP,
            Err(e) => {
                tracing::warn!(error = %e.detail, "blocklist schedule unreadable");
                MAX_SLEEP
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = state.blocklists.schedule_changed.notified() => {}
        }
    }
}

/// How long until the next run (zero: due now, including a run missed while stopped);
/// `None` while the schedule is off.
async fn due_in(state: &AppState) -> Result<Option<Duration>, ApiError> {
    let saved = load(state).await?;
    if !saved.config.enabled {
        return Ok(None);
    }
    let base = saved
        .last_run_at
        .unwrap_or(saved.saved_at)
        .max(saved.saved_at);
    let base = Utc.timestamp_opt(base, 0).single().unwrap_or_default();
    let Some(due) = next_run(&saved.config, zone(state), base) else {
        return Ok(None);
    };
    Ok(Some((due - Utc::now()).to_std().unwrap_or(Duration::ZERO)))
}

async fn run_scheduled(state: &AppState) {
    let now = Utc::now().timestamp();
    // Recorded first: a run that fails (or crashes the agent) is not retried in a loop.
    if let Err(e) = record_run(state, now).await {
        tracing::warn!(error = %e.detail, "cannot record the scheduled import");
        tokio::time::sleep(MAX_SLEEP).await;
        return;
    }
    match import::import_all(state, None).await {
        Ok(run) => tracing::info!(
            sources = run.results.len(),
            banned = run.total_banned,
            unbanned = run.total_unbanned,
            failed = run.errors,
            "scheduled blocklist import done"
        ),
        Err(e) => tracing::warn!(error = %e.detail, "scheduled blocklist import skipped"),
    }
}

/// Marks imports a stop cut short as failed and runs those sources again.
async fn resume_interrupted(state: &AppState) {
    let ids = match state.auth.store().run(|c| db::fail_interrupted(c)).await {
        Ok(ids) => ids,
        Err(e) => {
            tracing::warn!(error = %e, "cannot check for interrupted imports");
            return;
        }
    };
    for id in ids {
        for attempt in 1..=RESUME_ATTEMPTS {
            tracing::info!(
                source = id,
                attempt,
                "resuming an interrupted blocklist import"
            );
            match import::import_all(state, Some(id)).await {
                Ok(_) => break,
                // fail2ban may still be busy with what the stopped agent sent it.
                Err(e) => {
                    tracing::warn!(source = id, error = %e.detail, "resumed import failed");
                    tokio::time::sleep(RESUME_WAIT).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn cfg(frequency: ScheduleFrequency, hour: u8, minute: u8, dow: u8) -> ScheduleConfig {
        ScheduleConfig {
            enabled: true,
            frequency,
            hour,
            minute,
            day_of_week: dow,
        }
    }

    #[test]
    fn hourly_daily_weekly_in_utc() {
        let now = utc("2026-11-29T08:40:00Z"); // a Sunday
        let h = cfg(ScheduleFrequency::Hourly, 0, 15, 0);
        assert_eq!(
            next_run(&h, Tz::UTC, now),
            Some(utc("2026-11-29T09:15:00Z"))
        );
        let h = cfg(ScheduleFrequency::Hourly, 0, 45, 0);
        assert_eq!(
            next_run(&h, Tz::UTC, now),
            Some(utc("2026-11-29T08:45:00Z"))
        );
        let d = cfg(ScheduleFrequency::Daily, 3, 0, 0);
        assert_eq!(
            next_run(&d, Tz::UTC, now),
            Some(utc("2026-11-30T03:00:00Z"))
        );
        let d = cfg(ScheduleFrequency::Daily, 8, 40, 0);
        assert_eq!(
            next_run(&d, Tz::UTC, now),
            Some(utc("2026-11-30T08:40:00Z")),
            "strictly after"
        );
        let w = cfg(ScheduleFrequency::Weekly, 6, 30, 2); // Wednesday
        assert_eq!(
            next_run(&w, Tz::UTC, now),
            Some(utc("2026-12-02T06:30:00Z"))
        );
        let w = cfg(ScheduleFrequency::Weekly, 9, 0, 6); // Sunday, later today
        assert_eq!(
            next_run(&w, Tz::UTC, now),
            Some(utc("2026-11-29T09:00:00Z"))
        );
    }

    #[test]
    fn local_times_and_dst() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let d = cfg(ScheduleFrequency::Daily, 3, 0, 0);
        // Winter: UTC+1.
        assert_eq!(
            next_run(&d, berlin, utc("2026-11-29T08:40:00Z")),
            Some(utc("2026-11-30T02:00:00Z"))
        );
        // 2026-03-29 02:30 does not exist in Berlin: run at 03:30 CEST (01:30 UTC).
        let gap = cfg(ScheduleFrequency::Daily, 2, 30, 0);
        assert_eq!(
            next_run(&gap, berlin, utc("2026-03-28T12:00:00Z")),
            Some(utc("2026-03-29T01:30:00Z"))
        );
        // 2026-10-25 02:30 exists twice: the first (CEST, 00:30 UTC).
        assert_eq!(
            next_run(&gap, berlin, utc("2026-10-24T12:00:00Z")),
            Some(utc("2026-10-25T00:30:00Z"))
        );
        // Half-hour zones: hourly at local minute 0 is UTC minute 30.
        let kolkata: Tz = "Asia/Kolkata".parse().unwrap();
        let h = cfg(ScheduleFrequency::Hourly, 0, 0, 0);
        assert_eq!(
            next_run(&h, kolkata, utc("2026-11-29T08:40:00Z")),
            Some(utc("2026-11-29T09:30:00Z"))
        );
    }

    #[test]
    fn missed_runs_are_owed_once() {
        let saved = Saved {
            config: cfg(ScheduleFrequency::Hourly, 0, 0, 0),
            saved_at: utc("2026-11-29T01:10:00Z").timestamp(),
            last_run_at: Some(utc("2026-11-29T02:00:00Z").timestamp()),
        };
        let base = Utc.timestamp_opt(saved.last_run_at.unwrap(), 0).unwrap();
        // Six hours down: one run is due (in the past), not six.
        let due = next_run(&saved.config, Tz::UTC, base).unwrap();
        assert!(due < utc("2026-11-29T08:40:00Z"));
        let info = info(&saved, Tz::UTC, utc("2026-11-29T08:40:00Z"));
        assert_eq!(info.next_run_at, Some(utc("2026-11-29T09:00:00Z")));
        assert_eq!(info.timezone, "UTC");
    }
}
