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

/// The times of one contender, in the order of the rounds that took them.
#[derive(Debug, Clone, Default)]
pub struct Samples {
    by_round: Vec<Duration>,
    sorted: Vec<Duration>,
}

impl Samples {
    pub fn new(times: Vec<Duration>) -> Self {
        let mut sorted = times.clone();
        sorted.sort();
        Samples {
            by_round: times,
            sorted,
        }
    }

    /// The `q`-quantile (0.0..=1.0), by rank.
    pub fn quantile(&self, q: f64) -> Duration {
        quantile_of_sorted(&self.sorted, q)
    }

    pub fn p50(&self) -> Duration {
        self.quantile(0.5)
    }

    pub fn p99(&self) -> Duration {
        self.quantile(0.99)
    }

    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }
}

fn quantile_of_sorted(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[rank(sorted.len(), q)]
}

/// The index of the `q`-quantile among `len` sorted values (`len` > 0).
fn rank(len: usize, q: f64) -> usize {
    ((len as f64 * q) as usize).min(len - 1)
}

/// How much slower one contender's p50 is than another's, with the 95 % interval of that
/// figure: two p50s of a 17 ms call taken in the same 600 rounds still differ by a few tenths
/// of a millisecond from run to run, so a difference alone cannot tell a goal of 1 ms met.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct P50Gap {
    /// `p50(slower) - p50(base)`, ms.
    pub ms: f64,
    /// The 2.5 % and 97.5 % points of that difference over resampled rounds, ms.
    pub low_ms: f64,
    pub high_ms: f64,
}

/// Resamplings behind [`P50Gap`]'s interval.
const RESAMPLES: usize = 1000;

impl P50Gap {
    /// The gap between two contenders of the same [`interleaved`] run. The interval comes from
    /// resampling whole rounds (a percentile bootstrap), so both calls of a round stay
    /// together and a slow spell of the machine falls on both, as it did when measured. The
    /// resampling is seeded: the same samples give the same interval.
    ///
    /// # Panics
    ///
    /// If the two were not taken in the same rounds (different counts).
    pub fn between(slower: &Samples, base: &Samples) -> Self {
        assert_eq!(
            slower.len(),
            base.len(),
            "a p50 gap needs samples of the same rounds"
        );
        let n = base.len();
        let gap = ms(slower.p50()) - ms(base.p50());
        if n == 0 {
            return Self {
                ms: gap,
                low_ms: gap,
                high_ms: gap,
            };
        }
        let mut rng = fastrand::Rng::with_seed(0x5eed);
        let (mut a, mut b) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let mut gaps: Vec<f64> = (0..RESAMPLES)
            .map(|_| {
                a.clear();
                b.clear();
                for _ in 0..n {
                    let round = rng.usize(..n);
                    a.push(slower.by_round[round]);
                    b.push(base.by_round[round]);
                }
                a.sort_unstable();
                b.sort_unstable();
                ms(quantile_of_sorted(&a, 0.5)) - ms(quantile_of_sorted(&b, 0.5))
            })
            .collect();
        gaps.sort_by(f64::total_cmp);
        let at = |q: f64| gaps[rank(gaps.len(), q)];
        Self {
            ms: gap,
            low_ms: at(0.025),
            high_ms: at(0.975),
        }
    }
}

impl std::fmt::Display for P50Gap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.3} ms p50 (95 % interval {:.3} to {:.3} ms)",
            self.ms, self.low_ms, self.high_ms
        )
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

    #[test]
    fn a_steady_gap_has_a_tight_interval() {
        let base: Vec<Duration> = (0..300u64)
            .map(|i| Duration::from_micros(15_000 + (i * 7919) % 4_000))
            .collect();
        let slower: Vec<Duration> = base.iter().map(|d| *d + Duration::from_millis(1)).collect();
        let gap = P50Gap::between(&Samples::new(slower), &Samples::new(base));
        assert!((gap.ms - 1.0).abs() < 1e-9, "{gap}");
        assert!((gap.low_ms - 1.0).abs() < 1e-9, "{gap}");
        assert!((gap.high_ms - 1.0).abs() < 1e-9, "{gap}");
    }

    #[test]
    fn unrelated_noise_widens_the_interval_around_the_gap() {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut noisy = |shift: u64| -> Vec<Duration> {
            (0..600)
                .map(|_| Duration::from_micros(15_000 + shift + rng.u64(..4_000)))
                .collect()
        };
        let base = Samples::new(noisy(0));
        let slower = Samples::new(noisy(500));
        let gap = P50Gap::between(&slower, &base);
        assert!(gap.low_ms < gap.ms && gap.ms < gap.high_ms, "{gap}");
        assert!(gap.low_ms < 0.5 && 0.5 < gap.high_ms, "{gap}");
        assert!(gap.high_ms - gap.low_ms > 0.1, "{gap}");
        assert_eq!(gap, P50Gap::between(&slower, &base), "seeded: repeatable");
        let shown = gap.to_string();
        assert!(shown.contains("95 % interval"), "{shown}");
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
