// SPDX-License-Identifier: GPL-2.0

//! The image load of one card: its state and the worker that drives the lower-level driver.
//!
//! ```text
//!   IDLE --WRITE--> STARTING --> PREPARING --> WRITING --> PROGRAMMING --> IDLE
//!                       |            |            |             |
//!                       +------------+------------+-------------+--> IDLE, with the failure
//! ```
//!
//! A failure records the stage it happened at (`err_progress`) and its error (`err_code`),
//! calls the driver's `cancel`, and `cleanup` if `prepare` had succeeded. A cancel request
//! (user space, or the driver unregistering) ends the load as `CANCELED` at the stage it is in
//! when the worker next looks: before each stage and between blocks.

use kernel::{
    bindings,
    device::Device,
    eventfd::EventFd,
    fpga_image_load::LoadError,
    new_mutex, new_poll_condvar, new_work,
    prelude::*,
    sched::cond_resched,
    sync::aref::ARef,
    sync::{
        atomic::{Atomic, Relaxed},
        poll::PollCondVar,
        Arc, Mutex,
    },
    transmute::AsBytes,
    workqueue::{self, impl_has_work, Work, WorkItem},
};

/// Progress of a load, as `enum fpga_image_prog`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum Progress {
    /// No load runs.
    Idle = bindings::fpga_image_prog_FPGA_IMAGE_PROG_IDLE,
    /// A load was accepted and waits for the worker.
    Starting = bindings::fpga_image_prog_FPGA_IMAGE_PROG_STARTING,
    /// The driver prepares the card.
    Preparing = bindings::fpga_image_prog_FPGA_IMAGE_PROG_PREPARING,
    /// The image is being written.
    Writing = bindings::fpga_image_prog_FPGA_IMAGE_PROG_WRITING,
    /// The card programs and authenticates the image.
    Programming = bindings::fpga_image_prog_FPGA_IMAGE_PROG_PROGRAMMING,
}

impl Progress {
    /// The name sysfs `status` shows.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Starting => "starting",
            Self::Preparing => "preparing",
            Self::Writing => "writing",
            Self::Programming => "programming",
        }
    }
}

/// How a load failed: the stage and the error, shown together as `<stage>:<error>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) stage: Progress,
    pub(crate) error: LoadError,
}

/// `struct fpga_image_status`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Status {
    pub(crate) remaining_size: u32,
    pub(crate) progress: u32,
    pub(crate) err_progress: u32,
    pub(crate) err_code: u32,
}

// SAFETY: Four `u32`s, no padding: every byte is initialised.
unsafe impl AsBytes for Status {}

/// The lower-level driver's operations and private data, as it registered them.
///
/// # Invariants
///
/// `ops` points to valid operations with all required ones set, which stay valid (as does
/// `data`) until the driver has unregistered, which waits for every call through them.
struct LowerOps {
    ops: *const bindings::fpga_image_load_ops,
    data: *mut c_void,
}

/// State of a card's load, under [`ImageLoad::state`].
struct State {
    progress: Progress,
    /// The failure of the last load, `None` if it succeeded or none ran.
    failure: Option<Failure>,
    /// The image, from `FPGA_IMAGE_LOAD_WRITE` until the worker takes it.
    image: Option<VVec<u8>>,
    /// The driver is unregistering: no new load may start.
    unregistering: bool,
    /// The driver has unregistered: every operation fails with `ENODEV`.
    gone: bool,
    /// A file of the device is open (opens are exclusive).
    open: bool,
    /// Signalled when a load ends.
    eventfd: Option<EventFd>,
}

/// One card of the class. Its address is the `struct fpga_image_load *` the driver sees.
#[pin_data]
pub(crate) struct ImageLoad {
    /// N of `fpga_imageN`, and the minor of its character device.
    pub(crate) id: u32,
    parent: ARef<Device>,
    lower: LowerOps,
    #[pin]
    state: Mutex<State>,
    /// Bytes not yet written; kept as it was when a load fails. Updated by the worker after
    /// each block without taking `state`.
    remaining: Atomic<u32>,
    /// A cancel was requested for the running load. Set under `state` together with a look at
    /// `progress`; read by the worker between blocks without taking `state`.
    cancel: Atomic<bool>,
    /// Notified when a load ends and when the card goes away.
    #[pin]
    pub(crate) idle: PollCondVar,
    #[pin]
    work: Work<ImageLoad>,
}

// SAFETY: `lower` is only used to call the driver's operations, which the driver allows from
// any thread; everything else is `Send + Sync`.
unsafe impl Send for ImageLoad {}
// SAFETY: See `Send`.
unsafe impl Sync for ImageLoad {}

impl_has_work! {
    impl HasWork<Self> for ImageLoad { self.work }
}

impl WorkItem for ImageLoad {
    type Pointer = Arc<ImageLoad>;

    fn run(this: Arc<ImageLoad>) {
        this.run_load();
    }
}

impl ImageLoad {
    /// A card with id `id` whose driver registered `ops` and `data`.
    ///
    /// # Safety
    ///
    /// `ops` points to valid operations with `prepare`, `write_blk`, `poll_complete` and
    /// `cancel` set; they and `data` stay valid until [`ImageLoad::unregister`] returns.
    pub(crate) unsafe fn new(
        id: u32,
        parent: ARef<Device>,
        ops: *const bindings::fpga_image_load_ops,
        data: *mut c_void,
    ) -> impl PinInit<Self> {
        pin_init!(Self {
            id,
            parent,
            // INVARIANT: By the safety requirements.
            lower: LowerOps { ops, data },
            state <- new_mutex!(State {
                progress: Progress::Idle,
                failure: None,
                image: None,
                unregistering: false,
                gone: false,
                open: false,
                eventfd: None,
            }),
            remaining: Atomic::new(0),
            cancel: Atomic::new(false),
            idle <- new_poll_condvar!("fpga_image_load::idle"),
            work <- new_work!("fpga_image_load::work"),
        })
    }

    /// The driver's private data.
    pub(crate) fn driver_data(&self) -> *mut c_void {
        self.lower.data
    }

    /// The parent device, for messages.
    pub(crate) fn parent(&self) -> &Device {
        &self.parent
    }

    fn raw(&self) -> *mut bindings::fpga_image_load {
        core::ptr::from_ref(self).cast_mut().cast()
    }

    fn ops(&self) -> &bindings::fpga_image_load_ops {
        // SAFETY: By the invariants of `LowerOps`.
        unsafe { &*self.lower.ops }
    }

    /// Starts loading `image`, taken by the worker: the end of `FPGA_IMAGE_LOAD_WRITE`.
    ///
    /// Holds a reference on the driver's module until the load ends.
    pub(crate) fn start(self: &Arc<Self>, image: VVec<u8>) -> Result {
        let size = u32::try_from(image.len()).map_err(|_| EFBIG)?;
        let mut s = self.state.lock();
        if s.gone {
            return Err(ENODEV);
        }
        if s.unregistering || s.progress != Progress::Idle {
            return Err(EBUSY);
        }
        // SAFETY: `owner` is null (built in) or a module that is live, as its driver is
        // registered.
        if !unsafe { bindings::try_module_get(self.ops().owner) } {
            return Err(EBUSY);
        }
        s.progress = Progress::Starting;
        s.failure = None;
        self.remaining.store(size, Relaxed);
        self.cancel.store(false, Relaxed);
        s.image = Some(image);
        // The work cannot be pending: it is queued only here, when the card is idle, and
        // leaves the card idle only as the last thing it does.
        if workqueue::system_unbound().enqueue(self.clone()).is_err() {
            s.progress = Progress::Idle;
            s.image = None;
            // SAFETY: Taken above.
            unsafe { bindings::module_put(self.ops().owner) };
            return Err(EBUSY);
        }
        Ok(())
    }

    /// The worker: one whole load.
    fn run_load(&self) {
        let image = self.state.lock().image.take();
        let result = match &image {
            Some(image) => self.load(image),
            None => Ok(()),
        };
        drop(image);

        let mut s = self.state.lock();
        s.progress = Progress::Idle;
        s.failure = result.err();
        if let Some(f) = s.failure {
            dev_err!(
                self.parent,
                "fpga_image{}: load failed while {}: {}\n",
                self.id,
                f.stage.name(),
                f.error.name()
            );
        }
        if let Some(efd) = &s.eventfd {
            efd.signal();
        }
        drop(s);
        self.idle.notify_all();
        // SAFETY: Taken by `start` for this load.
        unsafe { bindings::module_put(self.ops().owner) };
    }

    /// Drives the driver through the stages of a load.
    fn load(&self, image: &[u8]) -> Result<(), Failure> {
        self.advance(Progress::Preparing)?;
        // SAFETY: `prepare` is set (invariants of `LowerOps`); the image outlives the load.
        let e = unsafe {
            self.ops().prepare.unwrap_unchecked()(self.raw(), image.as_ptr(), image.len() as u32)
        };
        self.check(Progress::Preparing, e)?;
        let result = self.write(image).and_then(|()| self.program());
        if let Some(cleanup) = self.ops().cleanup {
            // SAFETY: `prepare` succeeded.
            unsafe { cleanup(self.raw()) };
        }
        result
    }

    fn write(&self, image: &[u8]) -> Result<(), Failure> {
        self.advance(Progress::Writing)?;
        let size = image.len() as u32;
        let mut offset = 0u32;
        while offset < size {
            self.check_cancel(Progress::Writing)?;
            let max = size - offset;
            let mut written = 0u32;
            // SAFETY: `write_blk` is set; the block is the `max` bytes of the image from
            // `offset`, valid for the call; `written` is valid for writes.
            let e = unsafe {
                self.ops().write_blk.unwrap_unchecked()(
                    self.raw(),
                    image.as_ptr().add(offset as usize),
                    offset,
                    max,
                    &mut written,
                )
            };
            self.check(Progress::Writing, e)?;
            if written == 0 || written > max {
                dev_err!(
                    self.parent,
                    "fpga_image{}: write_blk took {} of {} bytes at offset {}\n",
                    self.id,
                    written,
                    max,
                    offset
                );
                return Err(self.fail(Progress::Writing, LoadError::RwError));
            }
            offset += written;
            self.remaining.store(size - offset, Relaxed);
            cond_resched();
        }
        Ok(())
    }

    fn program(&self) -> Result<(), Failure> {
        self.advance(Progress::Programming)?;
        // SAFETY: `poll_complete` is set.
        let e = unsafe { self.ops().poll_complete.unwrap_unchecked()(self.raw()) };
        self.check(Progress::Programming, e)
    }

    /// Moves to stage `next`, unless a cancel was requested: then the load fails at the stage
    /// it is in.
    fn advance(&self, next: Progress) -> Result<(), Failure> {
        let mut s = self.state.lock();
        if self.cancel.load(Relaxed) {
            let stage = s.progress;
            drop(s);
            return Err(self.fail(stage, LoadError::Canceled));
        }
        s.progress = next;
        Ok(())
    }

    fn check_cancel(&self, stage: Progress) -> Result<(), Failure> {
        if self.cancel.load(Relaxed) {
            return Err(self.fail(stage, LoadError::Canceled));
        }
        Ok(())
    }

    /// Turns the driver's answer at `stage` into a result.
    fn check(&self, stage: Progress, e: bindings::fpga_image_err) -> Result<(), Failure> {
        if e == bindings::fpga_image_err_FPGA_IMAGE_ERR_NONE {
            return Ok(());
        }
        let error = LoadError::from_code(e).unwrap_or_else(|| {
            dev_err!(
                self.parent,
                "fpga_image{}: unknown error code {}\n",
                self.id,
                e
            );
            LoadError::HwError
        });
        Err(self.fail(stage, error))
    }

    /// A failure at `stage`: tells the card to stop.
    fn fail(&self, stage: Progress, error: LoadError) -> Failure {
        self.cancel_lower();
        Failure { stage, error }
    }

    fn cancel_lower(&self) {
        // SAFETY: `cancel` is set, and may be called from any thread at any time.
        unsafe { self.ops().cancel.unwrap_unchecked()(self.raw()) };
    }

    /// `FPGA_IMAGE_LOAD_STATUS`.
    pub(crate) fn status(&self) -> Result<Status> {
        let s = self.state.lock();
        if s.gone {
            return Err(ENODEV);
        }
        Ok(Status {
            remaining_size: self.remaining.load(Relaxed),
            progress: s.progress as u32,
            err_progress: s.failure.map_or(0, |f| f.stage as u32),
            err_code: s.failure.map_or(0, |f| f.error as u32),
        })
    }

    /// The stage and failure, for sysfs.
    pub(crate) fn progress(&self) -> (Progress, Option<Failure>, u32) {
        let s = self.state.lock();
        (s.progress, s.failure, self.remaining.load(Relaxed))
    }

    /// `FPGA_IMAGE_LOAD_CANCEL`: fails with `ENODEV` when no load runs.
    pub(crate) fn cancel(&self) -> Result {
        let s = self.state.lock();
        if s.gone || s.progress == Progress::Idle {
            return Err(ENODEV);
        }
        self.cancel.store(true, Relaxed);
        // Before PREPARING no driver operation runs: the worker sees the flag.
        let tell_driver = s.progress != Progress::Starting;
        drop(s);
        if tell_driver {
            self.cancel_lower();
        }
        Ok(())
    }

    /// Whether user space should be told the load is over (`POLLIN`), or that the card is
    /// gone (`POLLHUP`).
    pub(crate) fn poll_mask(&self) -> u32 {
        let s = self.state.lock();
        if s.gone {
            bindings::POLLHUP | bindings::POLLERR
        } else if s.progress == Progress::Idle {
            bindings::POLLIN | bindings::POLLRDNORM
        } else {
            0
        }
    }

    /// `FPGA_IMAGE_LOAD_SET_EVENTFD`: `fd` is an eventfd, or -1 for none.
    pub(crate) fn set_eventfd(&self, fd: i32) -> Result {
        let efd = if fd == -1 {
            None
        } else {
            Some(EventFd::from_fd(fd)?)
        };
        let mut s = self.state.lock();
        if s.gone {
            return Err(ENODEV);
        }
        s.eventfd = efd;
        Ok(())
    }

    /// Opens the card for one user.
    pub(crate) fn open(&self) -> Result {
        let mut s = self.state.lock();
        if s.gone {
            return Err(ENODEV);
        }
        if s.open {
            return Err(EBUSY);
        }
        s.open = true;
        Ok(())
    }

    /// Closes the card's file. A running load goes on.
    pub(crate) fn close(&self) {
        self.state.lock().open = false;
    }

    /// Waits until no load runs; returns with the state locked.
    fn wait_idle(&self) -> kernel::sync::MutexGuard<'_, State> {
        let mut s = self.state.lock();
        while s.progress != Progress::Idle {
            self.idle.wait(&mut s);
        }
        s
    }

    /// Waits until no load runs.
    #[cfg(CONFIG_KUNIT)]
    pub(crate) fn wait_load(&self) {
        drop(self.wait_idle());
    }

    /// The driver unregisters: refuse new loads, end the running one as canceled, wait for
    /// it, and make every later operation fail with `ENODEV`.
    ///
    /// When this returns, the driver's operations are never called again.
    pub(crate) fn unregister(&self) {
        let mut s = self.state.lock();
        s.unregistering = true;
        let running = s.progress != Progress::Idle;
        if running {
            self.cancel.store(true, Relaxed);
        }
        let tell_driver = running && s.progress != Progress::Starting;
        drop(s);
        if tell_driver {
            self.cancel_lower();
        }

        let mut s = self.wait_idle();
        s.gone = true;
        s.eventfd = None;
        drop(s);
        // The worker may still be between its last notification and its return.
        // SAFETY: `self.work` is a valid, initialised work item.
        unsafe { bindings::flush_work(Work::raw_get(&self.work)) };
        self.idle.notify_all();
    }
}
