// SPDX-License-Identifier: GPL-2.0
//! The kernel memory a load takes at its peak, from `MemAvailable` of `/proc/meminfo`.
//!
//! [`peak_extra`] reads `MemAvailable` once before the load (the baseline), then has a
//! thread read it about every millisecond while the load runs and keep the least value:
//! the extra memory is the baseline minus that minimum. It counts whatever else the
//! system allocates meanwhile, which on an idle guest is little next to an image.

use crate::error::Problem;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The interval between two samples.
pub const INTERVAL: Duration = Duration::from_millis(1);

/// `MemAvailable` in bytes, from the text of `/proc/meminfo`.
pub fn mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))?;
    let mut words = line.split_whitespace();
    let n: u64 = words.next()?.parse().ok()?;
    match words.next() {
        Some("kB") => n.checked_mul(1024),
        None => Some(n),
        Some(_) => None,
    }
}

/// `MemAvailable` now.
pub fn read_mem_available() -> Result<u64, Problem> {
    let path = Path::new("/proc/meminfo");
    let text = std::fs::read_to_string(path).map_err(|e| Problem::io(path, "read", &e))?;
    mem_available(&text).ok_or_else(|| Problem(format!("{}: no MemAvailable line", path.display())))
}

/// The least `MemAvailable` seen until `stop` is set (and once after).
fn sample_min(stop: &AtomicBool) -> Result<u64, Problem> {
    let mut min = u64::MAX;
    loop {
        let last = stop.load(Ordering::Acquire);
        min = min.min(read_mem_available()?);
        if last {
            return Ok(min);
        }
        std::thread::sleep(INTERVAL);
    }
}

/// Runs `f` while sampling `MemAvailable`: its result, and the bytes by which
/// `MemAvailable` fell below its value before `f` at the lowest.
pub fn peak_extra<T>(f: impl FnOnce() -> T) -> Result<(T, u64), Problem> {
    let baseline = read_mem_available()?;
    let stop = AtomicBool::new(false);
    let (out, min) = std::thread::scope(|s| {
        let sampler = s.spawn(|| sample_min(&stop));
        let out = f();
        stop.store(true, Ordering::Release);
        (out, sampler.join())
    });
    let min = min.map_err(|_| Problem("the MemAvailable sampler panicked".into()))??;
    Ok((out, baseline.saturating_sub(min)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_meminfo() {
        let text =
            "MemTotal:        2030000 kB\nMemFree:          100 kB\nMemAvailable:    1500000 kB\n";
        assert_eq!(mem_available(text), Some(1_536_000_000));
        assert_eq!(mem_available("MemTotal: 1 kB\n"), None);
        assert_eq!(mem_available("MemAvailable: x kB\n"), None);
        assert_eq!(mem_available("MemAvailable: 5 MB\n"), None);
    }

    #[test]
    fn sees_an_allocation() {
        // 256 MiB touched while sampling: MemAvailable must fall by a good part of it,
        // unless the test machine is busy freeing memory at the same time.
        let (sum, extra) = peak_extra(|| {
            let v = vec![1u8; 256 << 20];
            std::thread::sleep(Duration::from_millis(30));
            v.iter().map(|&b| u64::from(b)).sum::<u64>()
        })
        .expect("sampled");
        assert_eq!(sum, 256 << 20);
        assert!(extra > 64 << 20, "only {extra} bytes seen");
    }
}
