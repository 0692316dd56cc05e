// SPDX-License-Identifier: GPL-2.0

//! Kernel-side references to eventfds.
//!
//! C header: [`include/linux/eventfd.h`](srctree/include/linux/eventfd.h)

use crate::{bindings, error::from_err_ptr, prelude::*};
use core::ptr::NonNull;

/// A reference to the context of an eventfd that user space gave the kernel.
///
/// # Invariants
///
/// `ctx` is a valid eventfd context on which this object holds one reference.
///
/// # Examples
///
/// A file descriptor that is not open is refused:
///
/// ```
/// use kernel::eventfd::EventFd;
///
/// assert_eq!(EventFd::from_fd(-1).err(), Some(EBADF));
/// ```
pub struct EventFd {
    ctx: NonNull<bindings::eventfd_ctx>,
}

// SAFETY: eventfd contexts are reference counted and may be signalled and put from any thread.
unsafe impl Send for EventFd {}
// SAFETY: `eventfd_signal_mask()` takes its own lock.
unsafe impl Sync for EventFd {}

impl EventFd {
    /// Takes a reference to the eventfd open as `fd` in the current process.
    ///
    /// Fails with `EBADF` if `fd` is not open and `EINVAL` if it is not an eventfd.
    pub fn from_fd(fd: i32) -> Result<Self> {
        // SAFETY: No preconditions: the function checks `fd`.
        let ctx = from_err_ptr(unsafe { bindings::eventfd_ctx_fdget(fd) })?;
        // INVARIANT: `eventfd_ctx_fdget()` returned a context with a reference for us.
        Ok(Self {
            ctx: NonNull::new(ctx).ok_or(EINVAL)?,
        })
    }

    /// Adds one to the eventfd's counter, waking its readers and pollers.
    pub fn signal(&self) {
        // SAFETY: By the type invariants `ctx` is valid.
        unsafe { bindings::eventfd_signal_mask(self.ctx.as_ptr(), 0) };
    }
}

impl Drop for EventFd {
    fn drop(&mut self) {
        // SAFETY: By the type invariants we hold a reference, given back here once.
        unsafe { bindings::eventfd_ctx_put(self.ctx.as_ptr()) };
    }
}

#[kunit_tests(rust_eventfd)]
mod tests {
    use super::*;

    #[test]
    fn descriptors_that_are_not_open_are_refused() {
        assert_eq!(EventFd::from_fd(-1).err(), Some(EBADF));
        assert_eq!(EventFd::from_fd(1 << 30).err(), Some(EBADF));
    }
}
