// SPDX-License-Identifier: GPL-2.0

//! Scheduler points for long-running kernel code.
//!
//! C header: [`include/linux/sched.h`](srctree/include/linux/sched.h)
//!
//! - [`wait_idle`]: a condition-variable wait that may legitimately last for many minutes.
//!
//! (`cond_resched()`, for loops that may run long in process context, is
//! [`kernel::task::cond_resched`](crate::task::cond_resched), next to `might_sleep()`; its
//! KUnit test is here.)

use crate::{
    bindings,
    ffi::c_int,
    sync::{lock::Backend, lock::Guard, CondVar},
    types::Opaque,
};

/// Waits on `cv` as [`CondVar::wait`] does, but in `TASK_IDLE`: the wait is not interrupted
/// by signals, does not count as load, and is not reported by the hung-task detector.
///
/// For waits that may legitimately last for many minutes and that no signal may cut short:
/// a driver unregistering while a card finishes a 40-minute programming cycle, for example.
/// Like [`CondVar::wait`], it may return spuriously: call it in a loop that checks the
/// condition.
pub fn wait_idle<T: ?Sized, B: Backend>(cv: &CondVar, guard: &mut Guard<'_, T, B>) {
    let wait = Opaque::<bindings::wait_queue_entry>::uninit();

    // SAFETY: `wait` points to valid memory.
    unsafe { bindings::init_wait(wait.get()) };

    // SAFETY: Both `wait` and the wait queue head point to valid memory.
    unsafe {
        bindings::prepare_to_wait_exclusive(
            cv.wait_queue_head.get(),
            wait.get(),
            (bindings::TASK_UNINTERRUPTIBLE | bindings::TASK_NOLOAD) as c_int,
        )
    };

    // SAFETY: Switches to another thread; the task is on the wait queue, so a notification
    // after the lock is released wakes it.
    guard.do_unlocked(|| unsafe { bindings::schedule() });

    // SAFETY: Both `wait` and the wait queue head point to valid memory.
    unsafe { bindings::finish_wait(cv.wait_queue_head.get(), wait.get()) };
}

#[macros::kunit_tests(rust_sched)]
mod tests {
    use super::*;
    use crate::{
        new_condvar, new_mutex,
        prelude::*,
        sync::{Arc, CondVar, Mutex},
        task::{cond_resched, Task},
        workqueue,
    };

    /// Whether `cond_resched()` may reschedule on this kernel (it is compiled out, or made a
    /// no-op at boot, under full or lazy preemption).
    fn cond_resched_is_live() -> bool {
        // SAFETY: No preconditions.
        !cfg!(CONFIG_PREEMPTION)
            || unsafe { bindings::preempt_model_none() || bindings::preempt_model_voluntary() }
    }

    #[test]
    fn cond_resched_gives_way_when_asked() {
        if !cond_resched_is_live() {
            pr_info!("rust_sched: cond_resched() is a no-op under this preemption model\n");
            return;
        }
        // Nothing asked for a reschedule: the common case, which must stay cheap.
        // SAFETY: Process context.
        while unsafe { bindings::need_resched() } {
            cond_resched();
        }
        assert!(!cond_resched());
        // SAFETY: `current` is a valid task.
        unsafe { bindings::set_tsk_need_resched(Task::current_raw()) };
        assert!(cond_resched());
        // SAFETY: Process context.
        assert!(!unsafe { bindings::need_resched() });
    }

    #[pin_data]
    struct Flag {
        #[pin]
        set: Mutex<bool>,
        #[pin]
        cv: CondVar,
    }

    crate::impl_has_work! {
        impl HasWork<Self> for Waker { self.work }
    }

    #[pin_data]
    struct Waker {
        flag: Arc<Flag>,
        #[pin]
        work: workqueue::Work<Waker>,
    }

    impl workqueue::WorkItem for Waker {
        type Pointer = Arc<Waker>;

        fn run(this: Arc<Waker>) {
            *this.flag.set.lock() = true;
            this.flag.cv.notify_all();
        }
    }

    #[test]
    fn wait_idle_returns_when_notified() -> Result {
        let flag = Arc::pin_init(
            pin_init!(Flag {
                set <- new_mutex!(false),
                cv <- new_condvar!(),
            }),
            GFP_KERNEL,
        )?;
        let for_waker = flag.clone();
        let waker = Arc::pin_init(
            pin_init!(Waker {
                flag: for_waker,
                work <- crate::new_work!("rust_sched::waker"),
            }),
            GFP_KERNEL,
        )?;
        let mut set = flag.set.lock();
        let _ = workqueue::system().enqueue(waker);
        let mut waits = 0;
        while !*set {
            wait_idle(&flag.cv, &mut set);
            waits += 1;
        }
        assert!(*set);
        assert!(waits >= 1);
        Ok(())
    }
}
