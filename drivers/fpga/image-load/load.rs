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
//!
//! The driver's operations are called only while it is registered: by the worker of a running
//! load, which unregister waits for, and otherwise (`cancel` on behalf of user space) under
//! [`ImageLoad::state`] after checking that the card is not gone, which is the lock unregister
//! takes to mark it gone.

use crate::registry::Registered;
use kernel::{
    bindings,
    device::Device,
    eventfd::EventFd,
    fpga_image_load::LoadError,
    new_mutex, new_poll_condvar, new_work,
    prelude::*,
    sync::aref::ARef,
    sync::{
        atomic::{Atomic, Relaxed},
        poll::PollCondVar,
        Arc, Mutex, SetOnce,
    },
    task::cond_resched,
    time::{Delta, Instant, Monotonic},
    transmute::AsBytes,
    workqueue::{self, impl_has_work, Work, WorkItem},
};

/// Logs a message of a card with `$dev` (`dev_err` and the like) against its class device,
/// `fpga_imageN`; in the moment between the device's creation and
/// [`ImageLoad::set_registered`], with `$pr` and the card's name.
macro_rules! card_log {
    ($dev:ident, $pr:ident, $load:expr, $($arg:tt)*) => {
        match $load.class_device() {
            Some(dev) => $dev!(dev, $($arg)*),
            None => $pr!(
                "fpga_image{}: {}",
                $load.id,
                ::kernel::prelude::fmt!($($arg)*)
            ),
        }
    };
}
pub(crate) use card_log;

/// Logs an error of a card: [`card_log`] at error level.
macro_rules! card_err {
    ($($arg:tt)*) => { $crate::load::card_log!(dev_err, pr_err, $($arg)*) };
}

/// Logs a debug message of a card: [`card_log`] at debug level.
macro_rules! card_dbg {
    ($($arg:tt)*) => { $crate::load::card_log!(dev_dbg, pr_debug, $($arg)*) };
}
pub(crate) use card_dbg;

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
/// `data`) until [`ImageLoad::unregister`] returns. `owner` is their module, copied at
/// registration so that it can be released after the operations are gone.
struct LowerOps {
    ops: *const bindings::fpga_image_load_ops,
    data: *mut c_void,
    owner: ThisModule,
}

impl LowerOps {
    /// The operations.
    ///
    /// # Safety
    ///
    /// The driver has not returned from unregistering: the caller is the worker of a running
    /// load (which [`ImageLoad::unregister`] waits for), or holds [`ImageLoad::state`] and saw
    /// that the card is not `gone`.
    unsafe fn get(&self) -> &bindings::fpga_image_load_ops {
        // SAFETY: Valid until unregister returns (type invariants), which by the safety
        // requirements it has not.
        unsafe { &*self.ops }
    }
}

/// State of a card's load, under [`ImageLoad::state`].
struct State {
    progress: Progress,
    /// The failure of the last load, `None` if it succeeded or none ran.
    failure: Option<Failure>,
    /// The image, from `FPGA_IMAGE_LOAD_WRITE` until the worker takes it.
    image: Option<KVVec<u8>>,
    /// The driver is unregistering: no new load may start.
    unregistering: bool,
    /// The driver has unregistered: every operation fails with `ENODEV`.
    gone: bool,
    /// The card's devices and id, from registration until unregister takes them.
    registered: Option<Registered>,
    /// A file of the device is open for writing (one at a time).
    open: bool,
    /// The writer's eventfd (`FPGA_IMAGE_LOAD_SET_EVENTFD`), signalled when a load ends;
    /// dropped when that file is closed.
    eventfd: Option<EventFd>,
    /// The running load's own eventfd (`FPGA_IMAGE_LOAD_WRITE_EVTFD`), signalled once when it
    /// ends, even if the file that started it was closed.
    load_eventfd: Option<EventFd>,
    /// When a message about a load was last logged, and how many were not logged since
    /// ([`ImageLoad::log_due`]).
    last_logged: Option<Instant<Monotonic>>,
    unlogged: u32,
}

/// One card of the class. Its address is the `struct fpga_image_load *` the driver sees.
#[pin_data]
pub(crate) struct ImageLoad {
    /// N of `fpga_imageN`, and the minor of its character device.
    pub(crate) id: u32,
    /// The class device, `fpga_imageN`, set once it is registered. Kept after unregister, for
    /// messages about files still open; its parent is not.
    dev: SetOnce<ARef<Device>>,
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
        ops: *const bindings::fpga_image_load_ops,
        data: *mut c_void,
    ) -> impl PinInit<Self> {
        // SAFETY: `ops` is valid (safety requirements), and its `owner` is the module of the
        // operations, the `THIS_MODULE` of that module (or null for built-in code).
        let owner = unsafe { ThisModule::from_ptr((*ops).owner) };
        pin_init!(Self {
            id,
            dev: SetOnce::new(),
            // INVARIANT: By the safety requirements.
            lower: LowerOps { ops, data, owner },
            state <- new_mutex!(State {
                progress: Progress::Idle,
                failure: None,
                image: None,
                unregistering: false,
                gone: false,
                registered: None,
                open: false,
                eventfd: None,
                load_eventfd: None,
                last_logged: None,
                unlogged: 0,
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

    /// The class device, `fpga_imageN`, for messages: `None` until registration has created
    /// it, and still there after unregister (deleted, but not freed).
    pub(crate) fn class_device(&self) -> Option<&Device> {
        self.dev.as_ref().map(|d| &**d)
    }

    /// The class device, `fpga_imageN`; null until registration has created it.
    pub(crate) fn device(&self) -> *mut bindings::device {
        // A `Device` wraps a `struct device` and nothing else.
        self.class_device().map_or(core::ptr::null_mut(), |d| {
            core::ptr::from_ref(d).cast_mut().cast()
        })
    }

    /// Keeps the card's devices and id, once registration has created them, until
    /// [`ImageLoad::unregister`].
    pub(crate) fn set_registered(&self, reg: Registered) {
        self.dev.populate(ARef::from(reg.device()));
        self.state.lock().registered = Some(reg);
    }

    fn raw(&self) -> *mut bindings::fpga_image_load {
        core::ptr::from_ref(self).cast_mut().cast()
    }

    /// Whether a new load may start: `Ok`, or why not.
    fn may_start(s: &State) -> Result {
        if s.gone {
            Err(ENODEV)
        } else if s.unregistering || s.progress != Progress::Idle {
            Err(EBUSY)
        } else {
            Ok(())
        }
    }

    /// `ENODEV` once the driver has unregistered the card.
    pub(crate) fn check_live(&self) -> Result {
        if self.state.lock().gone {
            Err(ENODEV)
        } else {
            Ok(())
        }
    }

    /// Refuses a load early, before its image is copied in; [`ImageLoad::start`] checks again.
    pub(crate) fn check_may_start(&self) -> Result {
        Self::may_start(&self.state.lock())
    }

    /// Starts loading `image`, taken by the worker: the end of `FPGA_IMAGE_LOAD_WRITE`.
    /// `eventfd`, if any, is signalled when this load ends.
    ///
    /// Holds a reference on the driver's module until the load ends.
    pub(crate) fn start(self: &Arc<Self>, image: KVVec<u8>, eventfd: Option<EventFd>) -> Result {
        let size = u32::try_from(image.len()).map_err(|_| EFBIG)?;
        let mut s = self.state.lock();
        Self::may_start(&s)?;
        // SAFETY: `owner` is null (built in) or the module of a driver that is registered
        // (not `gone`, checked under the lock), so live.
        if !unsafe { module_get(&self.lower.owner) } {
            return Err(EBUSY);
        }
        s.progress = Progress::Starting;
        s.failure = None;
        self.remaining.store(size, Relaxed);
        self.cancel.store(false, Relaxed);
        s.image = Some(image);
        s.load_eventfd = eventfd;
        // The work cannot be pending: it is queued only here, when the card is idle, and
        // leaves the card idle only as the last thing it does.
        if workqueue::system_unbound().enqueue(self.clone()).is_err() {
            s.progress = Progress::Idle;
            s.image = None;
            s.load_eventfd = None;
            // SAFETY: Taken above.
            unsafe { module_put(&self.lower.owner) };
            return Err(EBUSY);
        }
        Ok(())
    }

    /// Whether a message about a load may be logged now: at most one per card and second, as
    /// user space can make loads fail as fast as it likes. One that may not is counted, and the
    /// next failure's message says how many there were.
    fn log_due(s: &mut State) -> bool {
        let due = s
            .last_logged
            .as_ref()
            .is_none_or(|t| t.elapsed() >= Delta::from_secs(1));
        if due {
            s.last_logged = Some(Instant::now());
        } else {
            s.unlogged = s.unlogged.saturating_add(1);
        }
        due
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
            if Self::log_due(&mut s) {
                let (stage, error) = (f.stage.name(), f.error.name());
                match core::mem::take(&mut s.unlogged) {
                    0 => card_err!(self, "load failed while {}: {}\n", stage, error),
                    n => card_err!(
                        self,
                        "load failed while {}: {} (and {} earlier messages not logged)\n",
                        stage,
                        error,
                        n
                    ),
                }
            }
        }
        if let Some(efd) = &s.eventfd {
            efd.signal();
        }
        if let Some(efd) = s.load_eventfd.take() {
            efd.signal();
        }
        drop(s);
        self.idle.notify_all();
        // SAFETY: Taken by `start` for this load. The module pointer was copied at
        // registration: the operations may be gone by now, the module is not.
        unsafe { module_put(&self.lower.owner) };
    }

    /// Drives the driver through the stages of a load.
    fn load(&self, image: &[u8]) -> Result<(), Failure> {
        self.advance(Progress::Preparing)?;
        // SAFETY: The worker of a running load; `prepare` is set (invariants of `LowerOps`);
        // the image outlives the load.
        let e = unsafe {
            self.lower.get().prepare.unwrap_unchecked()(
                self.raw(),
                image.as_ptr(),
                image.len() as u32,
            )
        };
        self.check(Progress::Preparing, e)?;
        let result = self.write(image).and_then(|()| self.program());
        // SAFETY: The worker of a running load.
        if let Some(cleanup) = unsafe { self.lower.get() }.cleanup {
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
            // SAFETY: The worker of a running load; `write_blk` is set; the block is the `max`
            // bytes of the image from `offset`, valid for the call; `written` is valid for
            // writes.
            let e = unsafe {
                self.lower.get().write_blk.unwrap_unchecked()(
                    self.raw(),
                    image.as_ptr().add(offset as usize),
                    offset,
                    max,
                    &mut written,
                )
            };
            self.check(Progress::Writing, e)?;
            if written == 0 || written > max {
                let due = Self::log_due(&mut self.state.lock());
                if due {
                    card_err!(
                        self,
                        "write_blk took {} of {} bytes at offset {}\n",
                        written,
                        max,
                        offset
                    );
                }
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
        // SAFETY: The worker of a running load; `poll_complete` is set.
        let e = unsafe { self.lower.get().poll_complete.unwrap_unchecked()(self.raw()) };
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
            let due = Self::log_due(&mut self.state.lock());
            if due {
                card_err!(self, "unknown error code {}\n", e);
            }
            LoadError::HwError
        });
        Err(self.fail(stage, error))
    }

    /// A failure at `stage`, seen by the worker: tells the card to stop.
    fn fail(&self, stage: Progress, error: LoadError) -> Failure {
        // SAFETY: Only the worker of a running load fails it.
        unsafe { self.cancel_lower() };
        Failure { stage, error }
    }

    /// Calls the driver's `cancel`.
    ///
    /// # Safety
    ///
    /// As for [`LowerOps::get`].
    unsafe fn cancel_lower(&self) {
        // SAFETY: `cancel` is set, may be called from any thread at any time, and the driver is
        // registered (safety requirements).
        unsafe { self.lower.get().cancel.unwrap_unchecked()(self.raw()) };
    }

    /// Asks the running load to end as canceled: the worker sees the flag between blocks and
    /// before each stage, and the driver is told unless no driver operation has started.
    ///
    /// Runs under `state` with the card not gone, so the driver is registered for the whole
    /// call: `unregister` cannot mark it gone, let alone return, before this returns. Fails
    /// with `ENODEV` when no load runs or the card is gone.
    fn request_cancel(&self, s: &State) -> Result {
        if s.gone || s.progress == Progress::Idle {
            return Err(ENODEV);
        }
        self.cancel.store(true, Relaxed);
        // Before PREPARING no driver operation runs: the worker sees the flag.
        if s.progress != Progress::Starting {
            // SAFETY: The caller holds `state` (it lent us `s`) and the card is not gone.
            unsafe { self.cancel_lower() };
        }
        Ok(())
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
    ///
    /// The driver's `cancel` is called under the lock that unregister takes, so it never runs
    /// after unregister returns, and never lands in a later load.
    pub(crate) fn cancel(&self) -> Result {
        self.request_cancel(&self.state.lock())
    }

    /// Whether user space should be told the load is over (`EPOLLIN`), or that the card is
    /// gone (`EPOLLHUP`).
    pub(crate) fn poll_mask(&self) -> u32 {
        let s = self.state.lock();
        if s.gone {
            bindings::EPOLLHUP | bindings::EPOLLERR
        } else if s.progress == Progress::Idle {
            bindings::EPOLLIN | bindings::EPOLLRDNORM
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

    /// Opens the card: for one `writer` at a time, and for any number of readers.
    pub(crate) fn open(&self, writer: bool) -> Result {
        let mut s = self.state.lock();
        if s.gone {
            return Err(ENODEV);
        }
        if writer {
            if s.open {
                return Err(EBUSY);
            }
            s.open = true;
        }
        Ok(())
    }

    /// Closes a file of the card. A running load goes on; the writer's eventfd is dropped with
    /// its file.
    pub(crate) fn close(&self, writer: bool) {
        if writer {
            let mut s = self.state.lock();
            s.open = false;
            s.eventfd = None;
        }
    }

    /// Waits until no load runs; returns with the state locked.
    ///
    /// A card that cannot cancel may take as long as a whole load, 40 minutes on some: the
    /// wait is in `TASK_IDLE`, which the hung-task detector does not report.
    fn wait_idle(&self) -> kernel::sync::MutexGuard<'_, State> {
        let mut s = self.state.lock();
        while s.progress != Progress::Idle {
            self.idle.wait_idle(&mut s);
        }
        s
    }

    /// Whether the card still has its devices and id.
    #[cfg(CONFIG_FPGA_IMAGE_LOAD_KUNIT_TEST)]
    pub(crate) fn has_devices(&self) -> bool {
        self.state.lock().registered.is_some()
    }

    /// Waits until no load runs.
    #[cfg(CONFIG_FPGA_IMAGE_LOAD_KUNIT_TEST)]
    pub(crate) fn wait_load(&self) {
        drop(self.wait_idle());
    }

    /// The driver unregisters: refuse new loads, end the running one as canceled, wait for
    /// it, and make every later operation fail with `ENODEV`.
    ///
    /// When this returns, the driver's operations are never called again. Returns the card's
    /// devices and id, for the caller to delete and free outside the card's lock (deleting the
    /// class device waits for its attributes, which take it).
    #[must_use]
    pub(crate) fn unregister(&self) -> Option<Registered> {
        let mut s = self.state.lock();
        s.unregistering = true;
        // Nothing to cancel is fine: no load runs.
        let _ = self.request_cancel(&s);
        drop(s);

        let mut s = self.wait_idle();
        s.gone = true;
        s.eventfd = None;
        let registered = s.registered.take();
        drop(s);
        // The worker may still be between its last notification and its return.
        // SAFETY: `self.work` is a valid, initialised work item.
        unsafe { bindings::flush_work(Work::raw_get(&self.work)) };
        self.idle.notify_all();
        registered
    }
}

/// `try_module_get()`: pins `owner` unless it is being unloaded.
///
/// # Safety
///
/// `owner` is null or a live module.
unsafe fn module_get(owner: &ThisModule) -> bool {
    // SAFETY: By the safety requirements.
    unsafe { bindings::try_module_get(owner.as_ptr()) }
}

/// `module_put()`: drops a reference of [`module_get`].
///
/// # Safety
///
/// `owner` was pinned by a [`module_get`] that this call pairs with.
unsafe fn module_put(owner: &ThisModule) {
    // SAFETY: By the safety requirements.
    unsafe { bindings::module_put(owner.as_ptr()) };
}
