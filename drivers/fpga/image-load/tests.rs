// SPDX-License-Identifier: GPL-2.0

//! KUnit tests of the class, with a mock lower-level driver registered through
//! [`kernel::fpga_image_load::Registration`] on a faux parent device.

use crate::{
    load::{Failure, ImageLoad, Progress, Status},
    registry,
};
use kernel::{
    bindings,
    device::{Bound, Device},
    devres::Devres,
    faux,
    fpga_image_load::{LoadError, Operations, Registration},
    impl_has_work, new_condvar, new_mutex, new_spinlock, new_work,
    prelude::*,
    str::CString,
    sync::aref::ARef,
    sync::{
        atomic::{Acquire, Atomic, Relaxed, Release},
        Arc, ArcBorrow, CondVar, CondVarTimeoutResult, Mutex,
    },
    task::Task,
    time::{delay::fsleep, msecs_to_jiffies, Delta},
    workqueue::{self, Work, WorkItem},
};

/// A stage the mock can stop in, until canceled.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Stage {
    Prepare,
    Write,
    Poll,
}

#[derive(Default)]
struct MockState {
    /// Most bytes taken per `write_blk`; 0 means "take nothing" (a broken driver).
    block: u32,
    /// Override of what `write_blk` claims to have taken.
    claim: Option<u32>,
    /// An error to return from a stage.
    fail: Option<(Stage, LoadError)>,
    /// A stage to wait in until canceled.
    hold: Option<Stage>,
    /// A stage that takes this many milliseconds and ignores cancel: a card that cannot stop.
    stall: Option<(Stage, u32)>,
    /// The stage the mock is waiting in.
    holding: Option<Stage>,
    /// The next `cancel` takes this many milliseconds, as a card's slow register access
    /// would, and counts as stray if the card was unregistered before it returned.
    slow_cancel: Option<u32>,
    /// A slow `cancel` is running.
    in_cancel: bool,
    canceled: bool,
    /// What the last held stage ended with: `Canceled` when the class canceled it, `Timeout`
    /// when nothing did within [`HOLD_LIMIT_MS`].
    held_outcome: Option<LoadError>,
    /// The card was unregistered: the class must not call it any more.
    unregistered: bool,
    /// Calls of any operation after `unregistered`.
    stray_calls: u32,
    prepares: u32,
    cleanups: u32,
    cancels: u32,
    received: KVec<u8>,
}

/// How long a held stage waits for the class's cancel before it gives up. Long enough that a
/// test never passes because the mock gave up on its own (the tests check `held_outcome`), short
/// enough that a missing cancel fails the test rather than hanging the suite.
const HOLD_LIMIT_MS: u32 = 20_000;

#[pin_data]
struct Mock {
    #[pin]
    state: Mutex<MockState>,
    #[pin]
    cv: CondVar,
}

impl Mock {
    fn new(block: u32) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                state <- new_mutex!(MockState { block, ..Default::default() }),
                cv <- new_condvar!(),
            }),
            GFP_KERNEL,
        )
    }

    /// Fails `stage` with `error`, or waits in it until canceled when `hold` is set.
    fn stage(&self, stage: Stage) -> Result<(), LoadError> {
        let mut s = self.state.lock();
        if let Some((st, e)) = s.fail {
            if st == stage {
                return Err(e);
            }
        }
        if let Some((st, ms)) = s.stall {
            if st == stage {
                s.holding = Some(stage);
                self.cv.notify_all();
                drop(s);
                fsleep(Delta::from_millis(ms.into()));
                self.state.lock().holding = None;
                return Ok(());
            }
        }
        if s.hold == Some(stage) {
            s.holding = Some(stage);
            self.cv.notify_all();
            while !s.canceled {
                if !matches!(
                    self.cv
                        .wait_interruptible_timeout(&mut s, msecs_to_jiffies(HOLD_LIMIT_MS)),
                    CondVarTimeoutResult::Woken { .. }
                ) {
                    break;
                }
            }
            s.holding = None;
            let outcome = if s.canceled {
                LoadError::Canceled
            } else {
                LoadError::Timeout
            };
            s.held_outcome = Some(outcome);
            return Err(outcome);
        }
        Ok(())
    }

    /// Counts a call the class must not make: any after unregistering.
    fn check_registered(s: &mut MockState) {
        if s.unregistered {
            s.stray_calls += 1;
        }
    }

    /// Waits up to 5 s until `cond` holds of the mock's state.
    fn wait_for(&self, cond: impl Fn(&MockState) -> bool) -> bool {
        let mut s = self.state.lock();
        for _ in 0..50 {
            if cond(&s) {
                return true;
            }
            let _ = self
                .cv
                .wait_interruptible_timeout(&mut s, msecs_to_jiffies(100));
        }
        cond(&s)
    }

    /// Waits until the mock holds in `stage`.
    fn wait_holding(&self, stage: Stage) -> bool {
        self.wait_for(|s| s.holding == Some(stage))
    }
}

#[vtable]
impl Operations for Mock {
    fn prepare(&self, _dev: &Device<Bound>, _image: &[u8]) -> Result<(), LoadError> {
        {
            let mut s = self.state.lock();
            Self::check_registered(&mut s);
            s.prepares += 1;
            s.canceled = false;
            s.received.clear();
        }
        self.stage(Stage::Prepare)
    }

    fn write_blk(&self, _dev: &Device<Bound>, blk: &[u8], offset: u32) -> Result<u32, LoadError> {
        Self::check_registered(&mut self.state.lock());
        self.stage(Stage::Write)?;
        let mut s = self.state.lock();
        if offset as usize != s.received.len() {
            return Err(LoadError::HwError);
        }
        let n = (s.block as usize).min(blk.len());
        s.received
            .extend_from_slice(&blk[..n], GFP_KERNEL)
            .map_err(|_| LoadError::RwError)?;
        Ok(s.claim.unwrap_or(n as u32))
    }

    fn poll_complete(&self, _dev: &Device<Bound>) -> Result<(), LoadError> {
        Self::check_registered(&mut self.state.lock());
        self.stage(Stage::Poll)
    }

    fn cancel(&self, _dev: &Device<Bound>) {
        let mut s = self.state.lock();
        Self::check_registered(&mut s);
        s.cancels += 1;
        s.canceled = true;
        let slow = s.slow_cancel.take();
        if slow.is_some() {
            s.in_cancel = true;
        }
        self.cv.notify_all();
        drop(s);
        if let Some(ms) = slow {
            fsleep(Delta::from_millis(ms.into()));
            let mut s = self.state.lock();
            s.in_cancel = false;
            // Still running when unregister returned: a call after it, too.
            Self::check_registered(&mut s);
            self.cv.notify_all();
        }
    }

    fn cleanup(&self, _dev: &Device<Bound>) {
        let mut s = self.state.lock();
        Self::check_registered(&mut s);
        s.cleanups += 1;
    }
}

/// Faux parent devices need unique names.
static PARENTS: Atomic<u32> = Atomic::new(0);

fn faux_parent() -> Result<faux::Registration> {
    let n = PARENTS.fetch_add(1, kernel::sync::atomic::Relaxed);
    faux::Registration::new(
        &CString::try_from_fmt(fmt!("fpga_image_load_kunit.{}", n))?,
        None,
    )
}

fn parent_device(parent: &faux::Registration) -> &Device<Bound> {
    let faux_dev: &faux::Device<Bound> = parent.as_ref();
    faux_dev.as_ref()
}

/// A mock card registered on a faux device.
struct Card {
    reg: Option<Devres<Registration<Mock>>>,
    mock: Arc<Mock>,
    load: Arc<ImageLoad>,
    parent: Option<faux::Registration>,
}

/// Registers `mock` as a card of `dev`: the registration and the class's card.
fn register(
    dev: &Device<Bound>,
    mock: &Arc<Mock>,
) -> Result<(Devres<Registration<Mock>>, Arc<ImageLoad>)> {
    let reg = Registration::new(dev, mock.clone())?;
    let raw = reg.access(dev)?.as_raw().cast::<ImageLoad>();
    // SAFETY: A registered card is the `ImageLoad` of an `Arc` whose registration's reference
    // `reg` keeps until it unregisters, after this borrow has become a reference of our own.
    let load = Arc::from(unsafe { ArcBorrow::from_raw(raw) });
    Ok((reg, load))
}

impl Card {
    fn new(block: u32) -> Result<Self> {
        let parent = faux_parent()?;
        let mock = Mock::new(block)?;
        let (reg, load) = register(parent_device(&parent), &mock)?;
        Ok(Self {
            reg: Some(reg),
            mock,
            load,
            parent: Some(parent),
        })
    }

    fn mock(&self) -> &Mock {
        &self.mock
    }

    /// Loads `image` and waits for the end.
    fn load(&self, image: &[u8]) -> Result<Status> {
        self.load.start(vvec(image)?, None)?;
        self.load.wait_load();
        self.load.status()
    }

    /// Unregisters the card; from then on the mock counts every call as stray.
    fn unregister(&mut self) {
        drop(self.reg.take());
        self.mock.state.lock().unregistered = true;
    }

    /// Destroys the parent device, which unbinds it, and counts every call from then on as
    /// stray: unbinding the parent must end the registration though its owner still has it.
    fn destroy_parent(&mut self) {
        drop(self.parent.take());
        self.mock.state.lock().unregistered = true;
    }
}

/// A work item that runs a closure-like job once: the second thread of a test.
#[pin_data]
struct Job {
    run: fn(&JobData),
    data: JobData,
    #[pin]
    work: Work<Job>,
}

/// What a [`Job`] works on.
struct JobData {
    /// The card a canceler hammers, replaced round by round.
    target: Arc<Mutex<Option<Arc<ImageLoad>>>>,
    /// Set when the job must stop; the job sets `done` when it has.
    stop: Arc<Atomic<bool>>,
    done: Arc<Atomic<bool>>,
    /// A lock the test holds until it waits, so that the job acts only then.
    gate: Arc<Mutex<()>>,
    /// The job's own checks failed.
    failed: Arc<Atomic<bool>>,
    /// A registration for the job to drop (unregister), and the task that does it.
    reg: Arc<Mutex<Option<Devres<Registration<Mock>>>>>,
    task: Arc<Mutex<Option<ARef<Task>>>>,
}

impl_has_work! {
    impl HasWork<Self> for Job { self.work }
}

impl WorkItem for Job {
    type Pointer = Arc<Job>;

    fn run(this: Arc<Job>) {
        (this.run)(&this.data);
        this.data.done.store(true, Release);
    }
}

impl Job {
    fn spawn(run: fn(&JobData), data: JobData) -> Result {
        let job = Arc::pin_init(
            pin_init!(Job {
                run,
                data,
                work <- new_work!("fpga_image_load_kunit::job"),
            }),
            GFP_KERNEL,
        )?;
        workqueue::system_unbound().enqueue(job).map_err(|_| EBUSY)
    }
}

fn job_data() -> Result<JobData> {
    Ok(JobData {
        target: Arc::pin_init(new_mutex!(None), GFP_KERNEL)?,
        stop: Arc::new(Atomic::new(false), GFP_KERNEL)?,
        done: Arc::new(Atomic::new(false), GFP_KERNEL)?,
        failed: Arc::new(Atomic::new(false), GFP_KERNEL)?,
        gate: Arc::pin_init(new_mutex!(()), GFP_KERNEL)?,
        reg: Arc::pin_init(new_mutex!(None), GFP_KERNEL)?,
        task: Arc::pin_init(new_mutex!(None), GFP_KERNEL)?,
    })
}

impl JobData {
    fn share(&self) -> JobData {
        JobData {
            target: self.target.clone(),
            stop: self.stop.clone(),
            done: self.done.clone(),
            failed: self.failed.clone(),
            gate: self.gate.clone(),
            reg: self.reg.clone(),
            task: self.task.clone(),
        }
    }
}

fn vvec(data: &[u8]) -> Result<KVVec<u8>> {
    let mut v = KVVec::with_capacity(data.len(), GFP_KERNEL)?;
    v.extend_from_slice(data, GFP_KERNEL)?;
    Ok(v)
}

fn pattern(len: usize) -> Result<KVec<u8>> {
    let mut v = KVec::with_capacity(len, GFP_KERNEL)?;
    for i in 0..len {
        v.push((i * 7 + i / 256) as u8, GFP_KERNEL)?;
    }
    Ok(v)
}

fn failure_of(st: &Status) -> Option<Failure> {
    let stage = [
        Progress::Idle,
        Progress::Starting,
        Progress::Preparing,
        Progress::Writing,
        Progress::Programming,
    ]
    .into_iter()
    .find(|p| *p as u32 == st.err_progress)?;
    LoadError::from_code(st.err_code).map(|error| Failure { stage, error })
}

/// Makes the `n`th fault-injection point of the current task fail from now on (0: none), and
/// returns how many points were left to go before the call: 0 when the last `n` struck.
///
/// That is fail-nth (`/proc/thread-self/fail-nth`), which the guest arms for sleeping
/// allocations while it runs the KUnit suites (`dev/guest/run-tests.sh`).
#[cfg(CONFIG_FAULT_INJECTION)]
fn fail_nth(n: u32) -> u32 {
    let task = Task::current_raw();
    // SAFETY: `task` is the current task, alive while it runs this. Its `fail_nth` is a plain
    // `int` that the task reads in `should_fail_ex()` and that `/proc/<pid>/task/<tid>/fail-nth`
    // lets other tasks write: volatile accesses, as the C side's plain ones, and nothing of
    // ours writes it from elsewhere while a suite runs.
    unsafe {
        let p = &raw mut (*task).fail_nth;
        let old = p.read_volatile();
        p.write_volatile(n);
        old
    }
}

/// Makes each allocation of `Registration::new` fail in turn, and checks that each failure is
/// a clean `ENOMEM` (the console and kmemleak check the rest); see
/// `registration_fails_cleanly_at_each_allocation`. Returns how many points there were.
#[cfg(CONFIG_FAULT_INJECTION)]
fn sweep_registration(dev: &Device<Bound>, mock: &Arc<Mock>) -> Result<u32> {
    for n in 1..=1000u32 {
        fail_nth(n);
        let r = Registration::new(dev, mock.clone());
        let left = fail_nth(0);
        match r {
            // Fewer than `n` points: every one has failed in turn.
            Ok(_) if left > 0 => {
                pr_info!(
                    "registration: {} injection points, each failed cleanly\n",
                    n - 1
                );
                return if n > 1 { Ok(n - 1) } else { Err(EINVAL) };
            }
            // A failure that registration may absorb (a uevent's buffer): the card must
            // work all the same; it is unregistered when `_` drops.
            Ok(_) => {}
            Err(e) if left == 0 && e == ENOMEM => {}
            Err(e) => {
                pr_err!("registration: point {}: {:?}, {} points left\n", n, e, left);
                return Err(EINVAL);
            }
        }
    }
    pr_err!("registration: more than 1000 injection points\n");
    Err(EINVAL)
}

/// Registers and unregisters a card of a parent of its own `rounds` times; fails at the first
/// registration that does.
fn churn(rounds: u32) -> Result {
    let parent = faux_parent()?;
    let dev: &Device<Bound> = parent_device(&parent);
    let mock = Mock::new(64)?;
    for round in 0..rounds {
        match register(dev, &mock) {
            Ok((reg, load)) => {
                drop(load);
                drop(reg);
            }
            Err(e) => {
                pr_err!("churn: round {}: registration failed: {:?}\n", round, e);
                return Err(e);
            }
        }
    }
    Ok(())
}

/// The reference count of `dev`.
fn refcount(dev: &Device) -> i32 {
    let raw = core::ptr::from_ref(dev).cast::<bindings::device>();
    // SAFETY: A `Device` wraps a `struct device` and nothing else, and `dev` is valid for the
    // call. Its count is an atomic that the driver core changes concurrently, hence the
    // volatile read of the plain `int` under it.
    unsafe { core::ptr::read_volatile(&raw const (*raw).kobj.kref.refcount.refs.counter) }
}

const STAGES: [(Stage, Progress); 3] = [
    (Stage::Prepare, Progress::Preparing),
    (Stage::Write, Progress::Writing),
    (Stage::Poll, Progress::Programming),
];

#[kunit_tests(fpga_image_load_class)]
mod cases {
    use super::*;

    #[test]
    fn load_succeeds_and_delivers_every_byte() -> Result {
        let card = Card::new(100)?;
        let image = pattern(1024)?;
        let st = card.load(&image)?;
        assert_eq!(st, Status::default());
        let m = card.mock().state.lock();
        assert_eq!(&m.received[..], &image[..]);
        assert_eq!((m.prepares, m.cleanups, m.cancels), (1, 1, 0));
        Ok(())
    }

    #[test]
    fn every_error_at_every_stage_is_recorded() -> Result {
        let card = Card::new(256)?;
        let image = pattern(1024)?;
        for (stage, progress) in STAGES {
            for error in LoadError::ALL {
                card.mock().state.lock().fail = Some((stage, error));
                let st = card.load(&image)?;
                assert_eq!(st.progress, Progress::Idle as u32);
                assert_eq!(
                    failure_of(&st),
                    Some(Failure {
                        stage: progress,
                        error
                    })
                );
                // remaining_size stays as it was at the failure.
                let expect_remaining = if stage == Stage::Poll { 0 } else { 1024 };
                assert_eq!(st.remaining_size, expect_remaining);
            }
        }
        // cancel on every failure; cleanup only when prepare had succeeded.
        let m = card.mock().state.lock();
        assert_eq!(m.cancels, 21);
        assert_eq!(m.cleanups, 14);
        Ok(())
    }

    #[test]
    fn next_load_after_a_failure_succeeds() -> Result {
        let card = Card::new(64)?;
        let image = pattern(512)?;
        card.mock().state.lock().fail = Some((Stage::Write, LoadError::Wearout));
        assert!(failure_of(&card.load(&image)?).is_some());
        card.mock().state.lock().fail = None;
        assert_eq!(card.load(&image)?, Status::default());
        Ok(())
    }

    #[test]
    fn cancel_at_each_stage() -> Result {
        let card = Card::new(64)?;
        let image = pattern(512)?;
        for (stage, progress) in STAGES {
            card.mock().state.lock().hold = Some(stage);
            card.load.start(vvec(&image)?, None)?;
            assert!(card.mock().wait_holding(stage));
            assert_eq!(card.load.status()?.progress, progress as u32);
            card.load.cancel()?;
            card.load.wait_load();
            let st = card.load.status()?;
            assert_eq!(
                failure_of(&st),
                Some(Failure {
                    stage: progress,
                    error: LoadError::Canceled
                })
            );
        }
        Ok(())
    }

    #[test]
    fn cancel_with_nothing_running_is_enodev() -> Result {
        let card = Card::new(64)?;
        assert_eq!(card.load.cancel(), Err(ENODEV));
        Ok(())
    }

    #[test]
    fn a_second_load_is_busy() -> Result {
        let card = Card::new(64)?;
        let image = pattern(256)?;
        card.mock().state.lock().hold = Some(Stage::Write);
        card.load.start(vvec(&image)?, None)?;
        assert!(card.mock().wait_holding(Stage::Write));
        assert_eq!(card.load.start(vvec(&image)?, None), Err(EBUSY));
        card.load.cancel()?;
        card.load.wait_load();
        Ok(())
    }

    #[test]
    fn broken_write_blk_counts_fail_the_load() -> Result {
        let card = Card::new(64)?;
        let image = pattern(256)?;
        for claim in [0u32, 257] {
            card.mock().state.lock().claim = Some(claim);
            let st = card.load(&image)?;
            assert_eq!(
                failure_of(&st),
                Some(Failure {
                    stage: Progress::Writing,
                    error: LoadError::RwError
                })
            );
        }
        Ok(())
    }

    #[test]
    fn unregister_during_each_stage() -> Result {
        for (stage, _) in STAGES {
            let mut card = Card::new(64)?;
            card.mock().state.lock().hold = Some(stage);
            card.load.start(vvec(&pattern(256)?)?, None)?;
            assert!(card.mock().wait_holding(stage));
            // Returns only once the load has ended, which it did because unregister canceled
            // it: the mock gives up on its own only after `HOLD_LIMIT_MS`, as a timeout.
            card.unregister();
            assert_eq!(
                card.mock().state.lock().held_outcome,
                Some(LoadError::Canceled)
            );
            assert_eq!(card.load.status(), Err(ENODEV));
            assert_eq!(card.load.cancel(), Err(ENODEV));
            assert_eq!(card.load.open(true), Err(ENODEV));
            assert_eq!(
                card.load.poll_mask(),
                bindings::EPOLLHUP | bindings::EPOLLERR
            );
            assert_eq!(card.mock().state.lock().stray_calls, 0);
        }
        Ok(())
    }

    #[test]
    fn unbinding_the_parent_unregisters_at_each_stage() -> Result {
        // `None`: with no load running.
        for stage in [
            None,
            Some(Stage::Prepare),
            Some(Stage::Write),
            Some(Stage::Poll),
        ] {
            let mut card = Card::new(64)?;
            if let Some(stage) = stage {
                card.mock().state.lock().hold = Some(stage);
                card.load.start(vvec(&pattern(256)?)?, None)?;
                assert!(card.mock().wait_holding(stage));
            }
            // The driver keeps its registration; the parent goes. Returns once the load has
            // ended, canceled by the unregistration that the unbinding did.
            card.destroy_parent();
            assert!(card.reg.as_ref().ok_or(EINVAL)?.try_access().is_none());
            assert_eq!(
                card.mock().state.lock().held_outcome,
                stage.map(|_| LoadError::Canceled)
            );
            assert_eq!(card.load.status(), Err(ENODEV));
            assert_eq!(card.load.open(true), Err(ENODEV));
            assert!(!card.load.has_devices());
            // Dropping the registration after that is not a second unregistration.
            card.unregister();
            assert_eq!(card.mock().state.lock().stray_calls, 0);
        }
        Ok(())
    }

    #[test]
    fn the_class_device_is_found_in_atomic_context() -> Result {
        let card = Card::new(64)?;
        let dev = parent_device(card.parent.as_ref().ok_or(EINVAL)?);
        let raw = card.reg.as_ref().ok_or(EINVAL)?.access(dev)?.as_raw();
        let lock = KBox::pin_init(new_spinlock!(()), GFP_KERNEL)?;
        let guard = lock.lock();
        // SAFETY: `card` keeps `raw` registered. Under a spinlock: a C driver may look its
        // card's device up from an interrupt handler. Were it to sleep, DEBUG_ATOMIC_SLEEP
        // would report it, and the console check of the guest would fail the run.
        let dev = unsafe { crate::fpga_image_load_dev(raw) };
        drop(guard);
        assert!(!dev.is_null());
        // SAFETY: As above, and not in atomic context: the two must agree.
        assert_eq!(dev, unsafe { crate::fpga_image_load_dev(raw) });
        Ok(())
    }

    #[test]
    fn one_writer_at_a_time_and_any_number_of_readers() -> Result {
        let card = Card::new(64)?;
        // A status monitor does not lock an updater out.
        card.load.open(false)?;
        card.load.open(true)?;
        assert_eq!(card.load.open(true), Err(EBUSY));
        card.load.open(false)?;
        card.load.close(false);
        card.load.close(false);
        assert_eq!(card.load.open(true), Err(EBUSY));
        card.load.close(true);
        card.load.open(true)?;
        card.load.close(true);
        Ok(())
    }

    #[test]
    fn poll_reports_the_end_of_a_load() -> Result {
        let card = Card::new(64)?;
        let idle = bindings::EPOLLIN | bindings::EPOLLRDNORM;
        assert_eq!(card.load.poll_mask(), idle);
        card.mock().state.lock().hold = Some(Stage::Poll);
        card.load.start(vvec(&pattern(128)?)?, None)?;
        assert!(card.mock().wait_holding(Stage::Poll));
        assert_eq!(card.load.poll_mask(), 0);

        // Wait on the queue poll() registers on, as a poller would; a job cancels the load
        // only once we are on it (it needs `gate`, which the wait releases), so the wakeup
        // cannot come before the wait.
        let data = job_data()?;
        *data.target.lock() = Some(card.load.clone());
        let mut gate = data.gate.lock();
        Job::spawn(
            |d| {
                drop(d.gate.lock());
                if let Some(load) = d.target.lock().as_ref() {
                    let _ = load.cancel();
                }
            },
            data.share(),
        )?;
        let woken = card
            .load
            .idle
            .wait_interruptible_timeout(&mut gate, msecs_to_jiffies(10_000));
        drop(gate);
        // The job runs code of this module: wait for it before the suite can end.
        while !data.done.load(Acquire) {
            fsleep(Delta::from_millis(10));
        }
        assert!(matches!(woken, CondVarTimeoutResult::Woken { .. }));
        card.load.wait_load();
        assert_eq!(card.load.poll_mask(), idle);
        Ok(())
    }

    #[test]
    fn unregister_waits_in_task_idle_for_a_card_that_cannot_cancel() -> Result {
        let mut card = Card::new(64)?;
        // Programming takes 3 s whatever the class asks: unregister must wait that long, in
        // a sleep that the hung-task detector does not report (a real card may take 40 min).
        card.mock().state.lock().stall = Some((Stage::Poll, 3000));
        card.load.start(vvec(&pattern(128)?)?, None)?;
        assert!(card.mock().wait_holding(Stage::Poll));
        let data = job_data()?;
        *data.reg.lock() = card.reg.take();
        Job::spawn(
            |d| {
                *d.task.lock() = Some(ARef::from(&**kernel::current!()));
                drop(d.reg.lock().take());
            },
            data.share(),
        )?;
        fsleep(Delta::from_millis(500));
        let task = data.task.lock().clone().ok_or(EINVAL)?;
        let (mut asleep, mut idle) = (0, 0);
        for _ in 0..10 {
            // SAFETY: `task` is a live task (we hold a reference); its state is a plain word
            // that the scheduler changes concurrently, hence the volatile read.
            let state = unsafe { core::ptr::read_volatile(&raw const (*task.as_ptr()).__state) };
            if state & bindings::TASK_UNINTERRUPTIBLE != 0 {
                asleep += 1;
                if state & bindings::TASK_NOLOAD != 0 {
                    idle += 1;
                }
            }
            fsleep(Delta::from_millis(50));
        }
        while !data.done.load(Relaxed) {
            fsleep(Delta::from_millis(10));
        }
        pr_info!(
            "unregister: {} of 10 samples asleep, {} in TASK_IDLE\n",
            asleep,
            idle
        );
        assert!(asleep > 0);
        assert_eq!(idle, asleep);
        // The load ran to its end: the card could not be canceled.
        assert_eq!(card.mock().state.lock().held_outcome, None);
        assert_eq!(card.load.status(), Err(ENODEV));
        Ok(())
    }

    #[test]
    fn cancel_racing_unregister_never_reaches_the_driver_after() -> Result {
        let data = job_data()?;
        // The canceler: CANCEL on whatever card is current, as fast as it can.
        Job::spawn(
            |d| {
                while !d.stop.load(Relaxed) {
                    let load = d.target.lock().clone();
                    if let Some(load) = load {
                        let _ = load.cancel();
                    }
                    kernel::task::cond_resched();
                }
            },
            data.share(),
        )?;
        let image = pattern(64)?;
        // One parent for every round: the cards come and go, not the parent device.
        let parent = faux_parent()?;
        let dev: &Device<Bound> = parent_device(&parent);
        let mut result = Ok(());
        for round in 0..200u32 {
            let mock = Mock::new(4)?;
            let (reg, load) = register(dev, &mock)?;
            *data.target.lock() = Some(load.clone());
            // Alternate where the load is when unregister comes.
            mock.state.lock().hold = match round % 3 {
                0 => None,
                1 => Some(Stage::Write),
                _ => Some(Stage::Poll),
            };
            let _ = load.start(vvec(&image)?, None);
            drop(reg);
            mock.state.lock().unregistered = true;
            // Give the canceler a chance to hit the window right after unregister.
            kernel::task::cond_resched();
            *data.target.lock() = None;
            let stray = mock.state.lock().stray_calls;
            if stray != 0 {
                pr_err!("round {}: {} calls after unregister\n", round, stray);
                result = Err(EINVAL);
                break;
            }
        }
        data.stop.store(true, Relaxed);
        while !data.done.load(Relaxed) {
            kernel::task::cond_resched();
        }
        assert_eq!(result, Ok(()));
        Ok(())
    }

    #[test]
    fn unregister_waits_for_a_cancel_in_the_driver() -> Result {
        // Deterministic where the test above is a race: a CANCEL is inside the driver's
        // `cancel`, which takes 500 ms, when unregister comes. Unregister must not return
        // before that call has, or the driver (or its module) could be gone under it.
        let mut card = Card::new(64)?;
        card.mock().state.lock().hold = Some(Stage::Write);
        card.load.start(vvec(&pattern(256)?)?, None)?;
        assert!(card.mock().wait_holding(Stage::Write));
        card.mock().state.lock().slow_cancel = Some(500);
        let data = job_data()?;
        *data.target.lock() = Some(card.load.clone());
        Job::spawn(
            |d| {
                if let Some(load) = d.target.lock().as_ref() {
                    let _ = load.cancel();
                }
            },
            data.share(),
        )?;
        assert!(card.mock().wait_for(|s| s.in_cancel));
        card.unregister();
        // Read as unregister returns, before anything else waits: the slow cancel must be over.
        let in_cancel = card.mock().state.lock().in_cancel;
        while !data.done.load(Acquire) {
            fsleep(Delta::from_millis(10));
        }
        assert!(!in_cancel);
        assert_eq!(card.mock().state.lock().stray_calls, 0);
        Ok(())
    }

    #[test]
    fn registration_fails_cleanly_at_each_allocation() -> Result {
        #[cfg(not(CONFIG_FAULT_INJECTION))]
        pr_info!("registration: no fault injection in this kernel, nothing to sweep\n");
        #[cfg(CONFIG_FAULT_INJECTION)]
        {
            let parent = faux_parent()?;
            let dev: &Device<Bound> = parent_device(&parent);
            let mock = Mock::new(64)?;
            // Armed? A failing allocation says so; without the guest's knobs sleeping
            // allocations never fail, and the sweep would prove nothing.
            fail_nth(1);
            let armed = KBox::new(0u8, GFP_KERNEL).is_err();
            fail_nth(0);
            assert!(armed);
            // The id a registration gets when nothing leaked one.
            let id = register(dev, &mock)?.1.id;
            // Three sweeps: the debug kernel's own allocations (debugobjects refilling its
            // pool, kmemleak's metadata) are injection points too, and they come and go, so
            // that the points of one attempt are not quite those of the next, and one sweep
            // can step over one of ours.
            for _ in 0..3 {
                assert!(sweep_registration(dev, &mock).is_ok());
            }
            // No id, device number or class device was left behind by a failure.
            let (reg, load) = register(dev, &mock)?;
            assert_eq!(load.id, id);
            drop(reg);
            assert_eq!(mock.state.lock().stray_calls, 0);
        }
        Ok(())
    }

    #[test]
    fn ids_are_reused() -> Result {
        let a = Card::new(64)?;
        let mut b = Card::new(64)?;
        let id = b.load.id;
        assert!(id != a.load.id);
        b.unregister();
        let c = Card::new(64)?;
        assert_eq!(c.load.id, id);
        Ok(())
    }

    #[test]
    fn two_cards_registering_at_once_never_get_a_name_in_use() -> Result {
        // Each registration takes the lowest free id, the other card's as soon as it is free:
        // an id freed before its devices are deleted gives the next card a name and a device
        // number still in use (`EEXIST`, and a character-device map pointing at the old one).
        let data = job_data()?;
        Job::spawn(
            |d| {
                if churn(500).is_err() {
                    d.failed.store(true, Relaxed);
                }
            },
            data.share(),
        )?;
        let mine = churn(500);
        while !data.done.load(Acquire) {
            fsleep(Delta::from_millis(10));
        }
        assert_eq!(mine, Ok(()));
        assert!(!data.failed.load(Relaxed));
        Ok(())
    }

    #[test]
    fn unregister_lets_go_of_the_parent_though_a_file_is_open() -> Result {
        let parent = faux_parent()?;
        let dev: &Device<Bound> = parent_device(&parent);
        let before = refcount(dev);
        let mock = Mock::new(64)?;
        let (reg, load) = register(dev, &mock)?;
        // As an open file does: the card outlives its registration.
        load.open(true)?;
        assert!(refcount(dev) > before);
        drop(reg);
        // The driver core may put its last references late (DEBUG_KOBJECT_RELEASE delays the
        // release of an emptied directory by 1 to 4 s): wait up to 10 s.
        let mut waited = 0;
        while refcount(dev) != before && waited < 10_000 {
            fsleep(Delta::from_millis(20));
            waited += 20;
        }
        assert_eq!(refcount(dev), before);
        // Logging about the orphaned file goes to the class device, which is still there.
        assert!(load.class_device().is_some());
        assert_eq!(load.status(), Err(ENODEV));
        load.close(true);
        Ok(())
    }

    #[test]
    fn register_without_required_ops_is_einval() -> Result {
        let parent = faux_parent()?;
        let ops = bindings::fpga_image_load_ops {
            owner: core::ptr::null_mut(),
            prepare: None,
            write_blk: None,
            poll_complete: None,
            cancel: None,
            cleanup: None,
        };
        let dev: &Device<Bound> = parent_device(&parent);
        // SAFETY: The ops are refused before any use.
        let r = unsafe { registry::register(dev, &ops, core::ptr::null_mut()) };
        assert_eq!(r.err(), Some(EINVAL));
        Ok(())
    }
}
