//! Request limits: sliding windows per (bucket, client), and the delay after failed logins.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bangui_shared::access::RateBucket;

use crate::config::LimitsConfig;

/// Delay before answering the n-th consecutive failed login (n ≥ 1): 0.5, 1, 2, 4, then 5 s.
pub fn failure_delay(consecutive_failures: u32) -> Duration {
    match consecutive_failures {
        0 => Duration::ZERO,
        1 => Duration::from_millis(500),
        2 => Duration::from_secs(1),
        3 => Duration::from_secs(2),
        4 => Duration::from_secs(4),
        _ => Duration::from_secs(5),
    }
}

/// Seconds until a full window has room again, given its oldest entry's age.
pub fn retry_after(window: Duration, oldest_age: Duration) -> u64 {
    let left = window.saturating_sub(oldest_age);
    left.as_millis().div_ceil(1000).max(1) as u64
}

/// In-memory sliding windows for the write buckets.
#[derive(Debug)]
pub struct WriteLimiter {
    window: Duration,
    limits: HashMap<RateBucket, u32>,
    hits: Mutex<HashMap<(RateBucket, IpAddr), VecDeque<Instant>>>,
}

impl WriteLimiter {
    pub fn new(config: &LimitsConfig) -> Self {
        let limits = HashMap::from([
            (RateBucket::Ban, config.ban),
            (RateBucket::Unban, config.unban),
            (RateBucket::Jail, config.jail),
            (RateBucket::Config, config.config),
            (RateBucket::Import, config.import),
        ]);
        Self {
            window: Duration::from_secs(config.window_secs),
            limits,
            hits: Mutex::new(HashMap::new()),
        }
    }

    pub fn limit(&self, bucket: RateBucket) -> u32 {
        self.limits.get(&bucket).copied().unwrap_or(0)
    }

    /// Counts a request; `Err(retry_after_seconds)` when the bucket is full for this client.
    pub fn check(&self, bucket: RateBucket, client: IpAddr, now: Instant) -> Result<(), u64> {
        let limit = self.limit(bucket) as usize;
        let Ok(mut hits) = self.hits.lock() else {
            return Ok(());
        };
        let times = hits.entry((bucket, client)).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
        if times.len() >= limit {
            let oldest = times.front().copied().unwrap_or(now);
            return Err(retry_after(self.window, now.duration_since(oldest)));
        }
        times.push_back(now);
        Ok(())
    }

    /// Drops clients whose windows are empty (keeps the map from growing without bound).
    pub fn prune(&self, now: Instant) {
        if let Ok(mut hits) = self.hits.lock() {
            hits.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < self.window)
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_cap() {
        let secs: Vec<f64> = (1..=7).map(|n| failure_delay(n).as_secs_f64()).collect();
        assert_eq!(secs, [0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0]);
    }

    #[test]
    fn window_fills_per_client_and_frees_up() {
        let config = LimitsConfig {
            ban: 2,
            ..LimitsConfig::default()
        };
        let limiter = WriteLimiter::new(&config);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "2001:db8::1".parse().unwrap();
        let t0 = Instant::now();
        assert!(limiter.check(RateBucket::Ban, a, t0).is_ok());
        assert!(limiter.check(RateBucket::Ban, a, t0).is_ok());
        let retry = limiter
            .check(RateBucket::Ban, a, t0 + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(retry, 50);
        assert!(limiter.check(RateBucket::Ban, b, t0).is_ok());
        assert!(limiter.check(RateBucket::Unban, a, t0).is_ok());
        assert!(limiter
            .check(RateBucket::Ban, a, t0 + Duration::from_secs(60))
            .is_ok());
        limiter.prune(t0 + Duration::from_secs(500));
        assert!(limiter.hits.lock().unwrap().is_empty());
    }
}
