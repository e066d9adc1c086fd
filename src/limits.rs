//! What a request may cost, checked before the work starts: the memory the
//! process can still get (the smaller of the machine's available memory,
//! the process's own limits RLIMIT_AS and RLIMIT_DATA, and its cgroup's
//! memory.max), and a one-line refusal that gives the estimate, the budget
//! and what would fit. (Work bounds sit with the work they bound:
//! bootstrap and Monte Carlo in `analysis::pairstats`, images in
//! `dataset`.)

use crate::error::{Error, Result};

/// Share of the budget a single request may take: the process also holds
/// its inputs, thread stacks and allocator reserves.
const USABLE_SHARE: f64 = 0.8;

/// Used where nothing is known (non-Linux systems): 8 GiB.
const UNKNOWN_MEMORY: u64 = 8 << 30;

/// A field of a `key: value [unit]` file (`/proc/meminfo`,
/// `/proc/self/status`), in bytes when the unit is kB.
fn proc_field(path: &str, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    let mut it = line[key.len()..].split_whitespace();
    let v: u64 = it.next()?.parse().ok()?;
    Some(if it.next() == Some("kB") { v * 1024 } else { v })
}

/// The soft limit of a `/proc/self/limits` row (bytes), if finite.
fn rlimit(row: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with(row))?;
    line[row.len()..].split_whitespace().next()?.parse().ok()
}

/// cgroup v2 memory.max minus memory.current (bytes), if limited.
fn cgroup_headroom() -> Option<u64> {
    let read = |f: &str| std::fs::read_to_string(format!("/sys/fs/cgroup/{f}")).ok();
    let max: u64 = read("memory.max")?.trim().parse().ok()?;
    let current: u64 = read("memory.current")?.trim().parse().unwrap_or(0);
    Some(max.saturating_sub(current))
}

/// Bytes the process may still allocate.
pub fn available_memory() -> u64 {
    let mut budget = proc_field("/proc/meminfo", "MemAvailable:").unwrap_or(UNKNOWN_MEMORY);
    if let Some(limit) = rlimit("Max address space") {
        let used = proc_field("/proc/self/status", "VmSize:").unwrap_or(0);
        budget = budget.min(limit.saturating_sub(used));
    }
    if let Some(limit) = rlimit("Max data size") {
        let used = proc_field("/proc/self/status", "VmData:").unwrap_or(0);
        budget = budget.min(limit.saturating_sub(used));
    }
    if let Some(headroom) = cgroup_headroom() {
        budget = budget.min(headroom);
    }
    budget
}

/// Bytes in GiB, for messages.
pub fn gib(bytes: f64) -> String {
    format!("{:.1} GiB", bytes / (1u64 << 30) as f64)
}

/// Refuse a request whose estimated memory exceeds what the process may
/// use. `flag` names the parameter, `what` the request; `fits` says what
/// would fit, given the usable budget in bytes.
pub fn check_memory(
    flag: &str,
    what: &str,
    bytes: f64,
    fits: impl FnOnce(f64) -> String,
) -> Result<()> {
    let usable = USABLE_SHARE * available_memory() as f64;
    if bytes.is_finite() && bytes <= usable {
        return Ok(());
    }
    Err(Error::invalid(
        flag,
        format!(
            "{what} needs about {}, more than the {} this process may use; {}",
            gib(bytes),
            gib(usable),
            fits(usable)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_positive_and_refusals_say_what_fits() {
        assert!(available_memory() > 0);
        assert!(check_memory("--x", "a thing", 1.0, |_| String::new()).is_ok());
        let e = check_memory("--size", "a 1e9 x 1e9 sample", 1e30, |b| {
            format!("the largest that fits is {}", gib(b))
        })
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("invalid --size: a 1e9 x 1e9 sample needs about"),
            "{e}"
        );
        assert!(e.contains("the largest that fits is"), "{e}");
        assert!(check_memory("--x", "nan", f64::NAN, |_| String::new()).is_err());
    }
}
