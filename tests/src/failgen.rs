//! A failure generator: a thread appending failure lines for random documentation-range
//! addresses (RFC 5737 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24; RFC 3849 2001:db8::/32) to
//! jail logs, so a sandbox shows failures and bans as a live host would. Nothing is ever sent to
//! these addresses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::fail2ban::{append, Fail2ban, LogFormat};

/// How many recent addresses are kept to come back as repeat offenders.
const RECENT: usize = 16;

/// One log the generator writes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureTarget {
    pub path: PathBuf,
    pub format: LogFormat,
    /// Each round writes 1..=`max_lines` lines for one address; use the jail's `maxretry` so
    /// some rounds ban and some leave a "currently failed" entry.
    pub max_lines: u32,
}

/// The running generator; dropping it stops the thread.
#[derive(Debug)]
pub struct FailureGenerator {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FailureGenerator {
    /// Writes to the `sshd` (maxretry 3) and `f2btest` (maxretry 2) logs of `fail2ban` every
    /// `interval`.
    pub fn for_fail2ban(fail2ban: &Fail2ban, interval: Duration) -> Self {
        let targets = vec![
            FailureTarget {
                path: fail2ban.log_path("sshd"),
                format: LogFormat::Sshd,
                max_lines: 3,
            },
            FailureTarget {
                path: fail2ban.log_path("f2btest"),
                format: LogFormat::F2bTest,
                max_lines: 2,
            },
        ];
        Self::start(targets, interval)
    }

    /// Every `interval`, writes 1..=`max_lines` lines for one address to each target. A quarter
    /// of the addresses are repeat offenders from the last few rounds.
    pub fn start(targets: Vec<FailureTarget>, interval: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = Arc::clone(&stop);
        let thread = thread::spawn(move || {
            let mut rng = fastrand::Rng::new();
            let mut recent: Vec<IpAddr> = Vec::new();
            while !stop_flag.load(Ordering::Relaxed) {
                for target in &targets {
                    let ip = match rng.usize(0..4) {
                        0 if !recent.is_empty() => recent[rng.usize(0..recent.len())],
                        _ => random_documentation_ip(&mut rng),
                    };
                    if !recent.contains(&ip) {
                        if recent.len() == RECENT {
                            recent.remove(0);
                        }
                        recent.push(ip);
                    }
                    let n = rng.u32(1..=target.max_lines.max(1));
                    let lines = target
                        .format
                        .lines(&ip.to_string(), n, &chrono::Local::now());
                    if let Err(e) = append(&target.path, &lines) {
                        eprintln!(
                            "failure generator: cannot append to {}: {e}",
                            target.path.display()
                        );
                    }
                }
                let next = Instant::now() + interval;
                while Instant::now() < next && !stop_flag.load(Ordering::Relaxed) {
                    thread::sleep(Duration::from_millis(50));
                }
            }
        });
        FailureGenerator {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops the thread and waits for it.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for FailureGenerator {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A random host address from one of the documentation ranges (each range equally likely).
pub fn random_documentation_ip(rng: &mut fastrand::Rng) -> IpAddr {
    match rng.u8(0..4) {
        0 => IpAddr::V4(Ipv4Addr::new(192, 0, 2, rng.u8(1..=254))),
        1 => IpAddr::V4(Ipv4Addr::new(198, 51, 100, rng.u8(1..=254))),
        2 => IpAddr::V4(Ipv4Addr::new(203, 0, 113, rng.u8(1..=254))),
        _ => IpAddr::V6(Ipv6Addr::new(
            0x2001,
            0xdb8,
            rng.u16(..),
            0,
            0,
            0,
            0,
            rng.u16(1..),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_stay_in_the_documentation_ranges() {
        let nets: [(IpAddr, u8); 4] = [
            ("192.0.2.0".parse().unwrap(), 24),
            ("198.51.100.0".parse().unwrap(), 24),
            ("203.0.113.0".parse().unwrap(), 24),
            ("2001:db8::".parse().unwrap(), 32),
        ];
        let mut rng = fastrand::Rng::with_seed(7);
        let mut seen = [false; 4];
        for _ in 0..1000 {
            let ip = random_documentation_ip(&mut rng);
            let index = nets.iter().position(|(net, len)| in_net(ip, *net, *len));
            let index = index.unwrap_or_else(|| panic!("{ip} outside the documentation ranges"));
            seen[index] = true;
        }
        assert_eq!(seen, [true; 4]);
    }

    fn in_net(ip: IpAddr, net: IpAddr, len: u8) -> bool {
        match (ip, net) {
            (IpAddr::V4(ip), IpAddr::V4(net)) => {
                u32::from(ip) >> (32 - len) == u32::from(net) >> (32 - len)
            }
            (IpAddr::V6(ip), IpAddr::V6(net)) => {
                u128::from(ip) >> (128 - len) == u128::from(net) >> (128 - len)
            }
            _ => false,
        }
    }

    #[test]
    fn writes_failure_lines_and_stops() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        let target = FailureTarget {
            path: path.clone(),
            format: LogFormat::F2bTest,
            max_lines: 2,
        };
        let mut generator = FailureGenerator::start(vec![target], Duration::from_millis(10));
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::fs::read_to_string(&path)
            .unwrap_or_default()
            .lines()
            .count()
            < 3
        {
            assert!(Instant::now() < deadline, "no failure lines written");
            thread::sleep(Duration::from_millis(10));
        }
        generator.stop();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.lines()
                .all(|line| line.contains(" LOGIN FAILED for user bob from ")),
            "{text}"
        );
    }
}
