// SPDX-License-Identifier: GPL-2.0

//! Read-write semaphores.
//!
//! C header: [`include/linux/rwsem.h`](srctree/include/linux/rwsem.h)
//!
//! An [`RwSemaphore`] protects data that many readers may use at once and a writer uses alone.
//! Both sides sleep while they wait, so the guards may be held across sleeping calls (I/O, for
//! example), which a spinlock would not allow, and a writer waits for every reader to let go.

use crate::{
    bindings,
    prelude::*,
    str::CStr,
    sync::LockClassKey,
    types::{NotThreadSafe, Opaque},
};
use core::{
    cell::UnsafeCell,
    marker::PhantomPinned,
    ops::{Deref, DerefMut},
};

/// Creates a [`RwSemaphore`] initialiser with the given name and a newly-created lock class.
///
/// It uses the name if one is given, otherwise it generates one based on the file name and line
/// number.
#[macro_export]
macro_rules! new_rwsem {
    ($inner:expr $(, $name:literal)? $(,)?) => {
        $crate::sync::rwsem::RwSemaphore::new(
            $inner, $crate::optional_name!($($name)?), $crate::static_lock_class!())
    };
}
pub use new_rwsem;

/// A read-write semaphore, `struct rw_semaphore`, protecting a `T`.
///
/// # Invariants
///
/// `sem` is an initialised `struct rw_semaphore`; `data` is only reached through a guard, which
/// holds `sem` shared ([`ReadGuard`]) or exclusive ([`WriteGuard`]).
///
/// # Examples
///
/// ```
/// use kernel::sync::rwsem::{new_rwsem, RwSemaphore};
///
/// let sem = KBox::pin_init(new_rwsem!(1u32), GFP_KERNEL)?;
/// {
///     let a = sem.read();
///     // Readers share: a second one gets in, a writer does not.
///     let b = sem.try_read().ok_or(EBUSY)?;
///     assert_eq!(*a + *b, 2);
///     assert!(sem.try_write().is_none());
/// }
/// *sem.write() += 1;
/// assert_eq!(*sem.read(), 2);
/// # Ok::<(), Error>(())
/// ```
#[pin_data]
pub struct RwSemaphore<T: ?Sized> {
    #[pin]
    sem: Opaque<bindings::rw_semaphore>,
    // A `struct rw_semaphore` must not move once initialised (it has a wait list).
    #[pin]
    _pin: PhantomPinned,
    data: UnsafeCell<T>,
}

// SAFETY: The semaphore may be moved to another thread with its data when `T` may.
unsafe impl<T: ?Sized + Send> Send for RwSemaphore<T> {}
// SAFETY: Readers on several threads share `&T` (so `T: Sync`); a writer on any thread gets
// `&mut T`, which is like moving it there (so `T: Send`).
unsafe impl<T: ?Sized + Send + Sync> Sync for RwSemaphore<T> {}

impl<T> RwSemaphore<T> {
    /// Creates a read-write semaphore protecting `t`. Use [`new_rwsem!`] for the name and lock
    /// class.
    pub fn new(t: T, name: &'static CStr, key: Pin<&'static LockClassKey>) -> impl PinInit<Self> {
        pin_init!(Self {
            data: UnsafeCell::new(t),
            _pin: PhantomPinned,
            // SAFETY: `slot` is valid for writes while the initialiser runs; `name` and `key`
            // are 'static, as lockdep keeps them.
            sem <- Opaque::ffi_init(|slot| unsafe {
                bindings::__init_rwsem(slot, name.as_char_ptr(), key.as_ptr())
            }),
        })
    }
}

impl<T: ?Sized> RwSemaphore<T> {
    /// Acquires the semaphore shared, sleeping until no writer holds it.
    pub fn read(&self) -> ReadGuard<'_, T> {
        // SAFETY: `sem` is initialised (type invariants).
        unsafe { bindings::down_read(self.sem.get()) };
        // INVARIANT: The semaphore is held shared.
        ReadGuard {
            sem: self,
            _not_send: NotThreadSafe,
        }
    }

    /// Acquires the semaphore shared if that is possible without waiting.
    pub fn try_read(&self) -> Option<ReadGuard<'_, T>> {
        // SAFETY: `sem` is initialised (type invariants).
        (unsafe { bindings::down_read_trylock(self.sem.get()) } != 0).then(|| ReadGuard {
            // INVARIANT: The semaphore is held shared.
            sem: self,
            _not_send: NotThreadSafe,
        })
    }

    /// Acquires the semaphore exclusive, sleeping until no one else holds it.
    pub fn write(&self) -> WriteGuard<'_, T> {
        // SAFETY: `sem` is initialised (type invariants).
        unsafe { bindings::down_write(self.sem.get()) };
        // INVARIANT: The semaphore is held exclusive.
        WriteGuard {
            sem: self,
            _not_send: NotThreadSafe,
        }
    }

    /// Acquires the semaphore exclusive if that is possible without waiting.
    pub fn try_write(&self) -> Option<WriteGuard<'_, T>> {
        // SAFETY: `sem` is initialised (type invariants).
        (unsafe { bindings::down_write_trylock(self.sem.get()) } != 0).then(|| WriteGuard {
            // INVARIANT: The semaphore is held exclusive.
            sem: self,
            _not_send: NotThreadSafe,
        })
    }
}

impl<'a, T: ?Sized> ReadGuard<'a, T> {
    /// Keeps the semaphore held shared after the guard is gone, for a C API whose callers
    /// release it with a separate call; see [`RwSemaphore::read_unlock`].
    pub fn leak(self) {
        core::mem::forget(self);
    }
}

impl<T: ?Sized> RwSemaphore<T> {
    /// Releases shared access that a [`ReadGuard::leak`] kept.
    ///
    /// # Safety
    ///
    /// The calling task holds the semaphore shared through a leaked [`ReadGuard`], and no
    /// reference to the data obtained through that guard is used afterwards.
    pub unsafe fn read_unlock(&self) {
        // SAFETY: The semaphore is held shared (safety requirements).
        unsafe { bindings::up_read(self.sem.get()) };
    }
}

/// Shared access to the data of a [`RwSemaphore`], until dropped.
///
/// # Invariants
///
/// `sem` is held shared by this guard.
#[must_use = "the semaphore is released when the guard is dropped"]
pub struct ReadGuard<'a, T: ?Sized> {
    sem: &'a RwSemaphore<T>,
    _not_send: NotThreadSafe,
}

impl<T: ?Sized> Deref for ReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: The semaphore is held shared (type invariants): no writer has `&mut T`.
        unsafe { &*self.sem.data.get() }
    }
}

impl<T: ?Sized> Drop for ReadGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: The semaphore is held shared by this guard (type invariants).
        unsafe { bindings::up_read(self.sem.sem.get()) };
    }
}

/// Exclusive access to the data of a [`RwSemaphore`], until dropped.
///
/// # Invariants
///
/// `sem` is held exclusive by this guard.
#[must_use = "the semaphore is released when the guard is dropped"]
pub struct WriteGuard<'a, T: ?Sized> {
    sem: &'a RwSemaphore<T>,
    _not_send: NotThreadSafe,
}

impl<'a, T: ?Sized> WriteGuard<'a, T> {
    /// Turns exclusive access into shared access without letting another writer in between.
    pub fn downgrade(self) -> ReadGuard<'a, T> {
        let sem = self.sem;
        core::mem::forget(self);
        // SAFETY: The semaphore is held exclusive by the guard just forgotten.
        unsafe { bindings::downgrade_write(sem.sem.get()) };
        // INVARIANT: `downgrade_write()` leaves the semaphore held shared.
        ReadGuard {
            sem,
            _not_send: NotThreadSafe,
        }
    }
}

impl<T: ?Sized> Deref for WriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: The semaphore is held exclusive (type invariants).
        unsafe { &*self.sem.data.get() }
    }
}

impl<T: ?Sized> DerefMut for WriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: The semaphore is held exclusive (type invariants): this is the only access.
        unsafe { &mut *self.sem.data.get() }
    }
}

impl<T: ?Sized> Drop for WriteGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: The semaphore is held exclusive by this guard (type invariants).
        unsafe { bindings::up_write(self.sem.sem.get()) };
    }
}

#[kunit_tests(rust_rwsem)]
mod tests {
    use super::*;
    use crate::sync::Arc;

    #[test]
    fn readers_share_writers_exclude() -> Result {
        let sem = KBox::pin_init(new_rwsem!(KVec::<u32>::new()), GFP_KERNEL)?;
        let r1 = sem.read();
        let r2 = sem.try_read();
        assert!(r2.is_some());
        assert!(sem.try_write().is_none());
        drop(r2);
        drop(r1);
        let w = sem.try_write();
        assert!(w.is_some());
        assert!(sem.try_read().is_none());
        drop(w);
        sem.write().push(7, GFP_KERNEL)?;
        assert_eq!(&sem.read()[..], &[7]);
        Ok(())
    }

    #[test]
    fn downgrade_keeps_writers_out() -> Result {
        let sem = KBox::pin_init(new_rwsem!(0u32), GFP_KERNEL)?;
        let mut w = sem.write();
        *w = 5;
        let r = w.downgrade();
        assert_eq!(*r, 5);
        assert!(sem.try_write().is_none());
        assert!(sem.try_read().is_some());
        drop(r);
        assert!(sem.try_write().is_some());
        Ok(())
    }

    #[test]
    fn a_writer_waits_for_a_reader_on_another_thread() -> Result {
        use crate::sync::{
            atomic::{Atomic, Relaxed},
            Completion,
        };
        use crate::workqueue::{self, impl_has_work, new_work, Work, WorkItem};

        #[pin_data]
        struct Reader {
            #[pin]
            sem: RwSemaphore<u32>,
            #[pin]
            holding: Completion,
            released: Atomic<u32>,
            #[pin]
            work: Work<Reader>,
        }
        impl_has_work! { impl HasWork<Self> for Reader { self.work } }
        impl WorkItem for Reader {
            type Pointer = Arc<Reader>;
            fn run(this: Arc<Reader>) {
                let g = this.sem.read();
                this.holding.complete_all();
                crate::time::delay::fsleep(crate::time::Delta::from_millis(50));
                this.released.store(1, Relaxed);
                drop(g);
            }
        }

        let r = Arc::pin_init(
            pin_init!(Reader {
                sem <- new_rwsem!(0),
                holding <- Completion::new(),
                released: Atomic::new(0),
                work <- new_work!("rust_rwsem::reader"),
            }),
            GFP_KERNEL,
        )?;
        let _ = workqueue::system().enqueue(r.clone());
        r.holding.wait_for_completion();
        // The reader holds the semaphore for 50 ms: the writer gets in only after it let go.
        let w = r.sem.write();
        assert_eq!(r.released.load(Relaxed), 1);
        drop(w);
        Ok(())
    }
}
