//! Timing for the `bangui-bench*` binaries: contenders measured in the same rounds, so a change
//! in machine load (or in fail2ban's own pace) falls on all of them alike.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

/// One contender: a call to time, returning a future to await.
pub type Call<'a> = Box<dyn FnMut() -> Pin<Box<dyn Future<Output = ()> + 'a>> + 'a>;

/// Boxes `f` as a [`Call`].
pub fn call<'a, F, Fut>(mut f: F) -> Call<'a>
where
    F: FnMut() -> Fut + 'a,
    Fut: Future<Output = ()> + 'a,
{
    Box::new(move || Box::pin(f()))
}

/// The times of one contender.
#[derive(Debug, Clone, Default)]
pub struct Samples(Vec<Duration>);

impl Samples {
    pub fn new(times: Vec<Duration>) -> Self {
        let mut times = times;
        times.sort();
        Samples(times)
    }

    /// The `q`-quantile (0.0..=1.0), by rank.
    pub fn quantile(&self, q: f64) -> Duration {
        if self.0.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((self.0.len() as f64 * q) as usize).min(self.0.len() - 1);
        self.0[rank]
    }

    pub fn p50(&self) -> Duration {
        self.quantile(0.5)
    }

    pub fn p99(&self) -> Duration {
        self.quantile(0.99)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The median of `times`.
pub fn median(times: Vec<Duration>) -> Duration {
    Samples::new(times).p50()
}

/// Runs every contender once per round, `rounds` times after a tenth as many warm-up rounds,
/// starting each round with the next contender (so none always runs first, on a cold cache or
/// a fresh connection). Returns their samples in the order given.
pub async fn interleaved(rounds: usize, calls: &mut [Call<'_>]) -> Vec<Samples> {
    let n = calls.len();
    for _ in 0..rounds / 10 + 3 {
        for c in calls.iter_mut() {
            c().await;
        }
    }
    let mut times = vec![Vec::with_capacity(rounds); n];
    for round in 0..rounds {
        for k in 0..n {
            let i = (round + k) % n;
            let start = Instant::now();
            calls[i]().await;
            times[i].push(start.elapsed());
        }
    }
    times.into_iter().map(Samples::new).collect()
}

/// Milliseconds, for printing.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_by_rank() {
        let s = Samples::new((1..=100).rev().map(Duration::from_millis).collect());
        assert_eq!(s.p50(), Duration::from_millis(51));
        assert_eq!(s.p99(), Duration::from_millis(100));
        assert_eq!(s.quantile(0.0), Duration::from_millis(1));
        assert_eq!(Samples::default().p50(), Duration::ZERO);
    }

    #[tokio::test]
    async fn every_contender_runs_every_round_in_rotating_order() {
        let log = std::cell::RefCell::new(Vec::new());
        let mut calls: Vec<Call<'_>> = (0..3)
            .map(|i| {
                let log = &log;
                call(move || async move { log.borrow_mut().push(i) })
            })
            .collect();
        let samples = interleaved(10, &mut calls).await;
        drop(calls);
        assert_eq!(
            samples.iter().map(Samples::len).collect::<Vec<_>>(),
            [10; 3]
        );
        let log = log.into_inner();
        // 4 warm-up rounds in order, then rounds starting at 0, 1, 2, 0, …
        let timed = &log[12..];
        assert_eq!(&timed[..9], &[0, 1, 2, 1, 2, 0, 2, 0, 1]);
    }
}
