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
    faux,
    fpga_image_load::{LoadError, Operations, Registration},
    new_condvar, new_mutex,
    prelude::*,
    str::CString,
    sync::{atomic::Atomic, Arc, CondVar, CondVarTimeoutResult, Mutex},
    time::msecs_to_jiffies,
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
    /// The stage the mock is waiting in.
    holding: Option<Stage>,
    canceled: bool,
    prepares: u32,
    cleanups: u32,
    cancels: u32,
    received: KVec<u8>,
}

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
        if s.hold == Some(stage) {
            s.holding = Some(stage);
            self.cv.notify_all();
            while !s.canceled {
                // Never hang a test: give up after 5 s without a cancel.
                if !matches!(
                    self.cv
                        .wait_interruptible_timeout(&mut s, msecs_to_jiffies(5000)),
                    CondVarTimeoutResult::Woken { .. }
                ) {
                    break;
                }
            }
            s.holding = None;
            return Err(if s.canceled {
                LoadError::Canceled
            } else {
                LoadError::Timeout
            });
        }
        Ok(())
    }

    /// Waits until the mock holds in `stage`.
    fn wait_holding(&self, stage: Stage) -> bool {
        let mut s = self.state.lock();
        for _ in 0..50 {
            if s.holding == Some(stage) {
                return true;
            }
            let _ = self
                .cv
                .wait_interruptible_timeout(&mut s, msecs_to_jiffies(100));
        }
        s.holding == Some(stage)
    }
}

#[vtable]
impl Operations for Mock {
    fn prepare(&self, _image: &[u8]) -> Result<(), LoadError> {
        {
            let mut s = self.state.lock();
            s.prepares += 1;
            s.canceled = false;
            s.received.clear();
        }
        self.stage(Stage::Prepare)
    }

    fn write_blk(&self, blk: &[u8], offset: u32) -> Result<u32, LoadError> {
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

    fn poll_complete(&self) -> Result<(), LoadError> {
        self.stage(Stage::Poll)
    }

    fn cancel(&self) {
        let mut s = self.state.lock();
        s.cancels += 1;
        s.canceled = true;
        self.cv.notify_all();
    }

    fn cleanup(&self) {
        self.state.lock().cleanups += 1;
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
    reg: Option<Registration<Mock>>,
    mock: Arc<Mock>,
    load: Arc<ImageLoad>,
    _parent: faux::Registration,
}

impl Card {
    fn new(block: u32) -> Result<Self> {
        let parent = faux_parent()?;
        let mock = Mock::new(block)?;
        let dev: &Device<Bound> = parent_device(&parent);
        let reg = Registration::new(dev, mock.clone(), crate::this_module())?;
        // SAFETY: The class's cards are `ImageLoad`s; `reg` keeps it registered.
        let id = unsafe { &*reg.as_raw().cast::<ImageLoad>() }.id;
        let load = registry::lookup_id(id).ok_or(ENODEV)?;
        Ok(Self {
            reg: Some(reg),
            mock,
            load,
            _parent: parent,
        })
    }

    fn mock(&self) -> &Mock {
        &self.mock
    }

    /// Loads `image` and waits for the end.
    fn load(&self, image: &[u8]) -> Result<Status> {
        self.load.start(vvec(image)?)?;
        self.load.wait_load();
        self.load.status()
    }

    fn unregister(&mut self) {
        drop(self.reg.take());
    }
}

fn vvec(data: &[u8]) -> Result<VVec<u8>> {
    let mut v = VVec::with_capacity(data.len(), GFP_KERNEL)?;
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
            card.load.start(vvec(&image)?)?;
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
        card.load.start(vvec(&image)?)?;
        assert!(card.mock().wait_holding(Stage::Write));
        assert_eq!(card.load.start(vvec(&image)?), Err(EBUSY));
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
            card.load.start(vvec(&pattern(256)?)?)?;
            assert!(card.mock().wait_holding(stage));
            // Returns only once the load has ended.
            card.unregister();
            assert_eq!(card.load.status(), Err(ENODEV));
            assert_eq!(card.load.cancel(), Err(ENODEV));
            assert_eq!(card.load.open(), Err(ENODEV));
            assert_eq!(card.load.poll_mask(), bindings::POLLHUP | bindings::POLLERR);
        }
        Ok(())
    }

    #[test]
    fn open_is_exclusive() -> Result {
        let card = Card::new(64)?;
        card.load.open()?;
        assert_eq!(card.load.open(), Err(EBUSY));
        card.load.close();
        card.load.open()?;
        card.load.close();
        Ok(())
    }

    #[test]
    fn poll_reports_the_end_of_a_load() -> Result {
        let card = Card::new(64)?;
        let idle = bindings::POLLIN | bindings::POLLRDNORM;
        assert_eq!(card.load.poll_mask(), idle);
        card.mock().state.lock().hold = Some(Stage::Poll);
        card.load.start(vvec(&pattern(128)?)?)?;
        assert!(card.mock().wait_holding(Stage::Poll));
        assert_eq!(card.load.poll_mask(), 0);
        card.load.cancel()?;
        card.load.wait_load();
        assert_eq!(card.load.poll_mask(), idle);
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
