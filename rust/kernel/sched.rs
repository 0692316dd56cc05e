// SPDX-License-Identifier: GPL-2.0

//! Scheduler points for long-running kernel loops.
//!
//! C header: [`include/linux/sched.h`](srctree/include/linux/sched.h)

use crate::bindings;

/// Gives the CPU to another task if one should run, as `cond_resched()`.
///
/// For loops that may run long in process context: a worker writing a large image block by
/// block, for example. Must not be called in atomic context.
///
/// # Examples
///
/// ```
/// use kernel::sched::cond_resched;
///
/// let mut sum = 0u64;
/// for i in 0..1000u64 {
///     sum += i;
///     cond_resched();
/// }
/// assert_eq!(sum, 499500);
/// ```
#[inline]
pub fn cond_resched() {
    // SAFETY: Callers run in process context (documented requirement); the function has no
    // other preconditions.
    unsafe { bindings::cond_resched() };
}

#[macros::kunit_tests(rust_sched)]
mod tests {
    use super::*;

    #[test]
    fn cond_resched_returns() {
        let mut sum = 0u64;
        for i in 0..10_000u64 {
            sum += i;
            cond_resched();
        }
        assert_eq!(sum, 49_995_000);
    }
}
