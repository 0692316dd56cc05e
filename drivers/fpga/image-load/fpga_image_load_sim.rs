// SPDX-License-Identifier: GPL-2.0

//! Simulated FPGA cards for the FPGA Image Load class.
//!
//! `modprobe fpga_image_load_sim devices=N` (default 1) registers N cards, each on a faux
//! parent device, through [`kernel::fpga_image_load::Registration`]. Each card has a debugfs
//! directory, `/sys/kernel/debug/fpga_image_load_sim/fpga_imageN/`, named after its class
//! device:
//!
//! - `block_size`: the most bytes a `write_blk` takes (default 0x4000, at least 4; decimal
//!   or 0x-prefixed hex);
//! - `block_delay_us`: time spent per block;
//! - `program_ms`: time `poll_complete` takes;
//! - `ignore_cancel`: 1 makes the card ignore cancel requests, like a card that cannot stop
//!   once it has started (unregister then waits for the whole load);
//! - `inject_error`: `<stage>:<error>` (stage `preparing`, `writing` or `programming`; error
//!   as sysfs `error` names it) makes the next loads fail there; `none` clears it;
//! - `store`: 1 (the default) keeps the bytes of a load, 0 only counts them, as a card that
//!   streams its image to flash keeps nothing; the benchmark (`make bench`) loads in both
//!   modes;
//! - `image`: the bytes the card received in its last completed load (empty when it only
//!   counted them);
//! - `received`: how many bytes its last completed load received, in either mode.
//!
//! Like hardware, a card takes its settings when a load is prepared: changing a knob during a
//! load affects the next one. A cancel is honoured within one block or one poll interval. An
//! error injected at `writing` strikes at the block that crosses the middle of the image, so
//! the load fails with part of the image written.

use core::str::FromStr;
use kernel::{
    debugfs::{Dir, Scope},
    device::{Bound, Device},
    devres::Devres,
    faux, fmt,
    fpga_image_load::{LoadError, Operations, Registration},
    new_condvar, new_mutex,
    prelude::*,
    str::CString,
    sync::{Arc, CondVar, Mutex},
    time::{delay::fsleep, msecs_to_jiffies, Delta},
};

module! {
    type: SimModule,
    name: "fpga_image_load_sim",
    authors: ["The rfl-drivers authors"],
    description: "Simulated FPGA cards for the FPGA Image Load class",
    license: "GPL",
    params: {
        devices: u32 {
            default: 1,
            description: "Number of simulated cards (default 1, at most 16)",
        },
    },
}

/// The most cards the module makes.
const MAX_CARDS: u32 = 16;
/// How often `poll_complete` looks for a cancel.
const POLL_INTERVAL_MS: u32 = 10;

/// A stage an error can be injected at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Preparing,
    Writing,
    Programming,
}

impl Stage {
    const ALL: [(Self, &'static str); 3] = [
        (Self::Preparing, "preparing"),
        (Self::Writing, "writing"),
        (Self::Programming, "programming"),
    ];

    fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(s, _)| *s == self)
            .map_or("?", |(_, n)| n)
    }
}

/// The `inject_error` setting.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Inject(Option<(Stage, LoadError)>);

impl FromStr for Inject {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        if s == "none" {
            return Ok(Self(None));
        }
        let (stage, error) = s.split_once(':').ok_or(EINVAL)?;
        let stage = Stage::ALL
            .iter()
            .find(|(_, n)| *n == stage)
            .ok_or(EINVAL)?
            .0;
        let error = LoadError::ALL
            .into_iter()
            .find(|e| e.name() == error)
            .ok_or(EINVAL)?;
        Ok(Self(Some((stage, error))))
    }
}

impl fmt::Debug for Inject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("none"),
            Some((stage, error)) => write!(f, "{}:{}", stage.name(), error.name()),
        }
    }
}

/// The `block_size` setting: at least 4 bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
struct BlockSize(u32);

impl FromStr for BlockSize {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let n = match s.strip_prefix("0x") {
            Some(hex) => u32::from_str_radix(hex, 16),
            None => s.parse(),
        }
        .map_err(|_| EINVAL)?;
        if n < 4 {
            return Err(EINVAL);
        }
        Ok(Self(n))
    }
}

impl fmt::Debug for BlockSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

/// A card's settings, as a load takes them at `prepare`.
#[derive(Clone, Copy)]
struct Settings {
    block_size: u32,
    block_delay_us: u32,
    program_ms: u32,
    ignore_cancel: bool,
    store: bool,
    inject: Inject,
}

/// The state of the load in progress.
struct Loading {
    settings: Settings,
    size: usize,
    /// The bytes received so far, when the card keeps them (`store`).
    received: VVec<u8>,
    /// How many bytes were received so far.
    count: usize,
    canceled: bool,
}

/// One simulated card: its knobs and its load.
#[pin_data]
struct Card {
    #[pin]
    block_size: Mutex<BlockSize>,
    #[pin]
    block_delay_us: Mutex<u32>,
    #[pin]
    program_ms: Mutex<u32>,
    #[pin]
    ignore_cancel: Mutex<u32>,
    #[pin]
    inject_error: Mutex<Inject>,
    #[pin]
    store: Mutex<u32>,
    /// The bytes of the last completed load, if the card kept them.
    #[pin]
    image: Mutex<VVec<u8>>,
    /// How many bytes the last completed load received.
    #[pin]
    received: Mutex<u64>,
    #[pin]
    loading: Mutex<Option<Loading>>,
    /// Wakes `poll_complete` on cancel.
    #[pin]
    cancel_cv: CondVar,
}

impl Card {
    fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                block_size <- new_mutex!(BlockSize(0x4000)),
                block_delay_us <- new_mutex!(0),
                program_ms <- new_mutex!(0),
                ignore_cancel <- new_mutex!(0),
                inject_error <- new_mutex!(Inject::default()),
                store <- new_mutex!(1),
                image <- new_mutex!(VVec::new()),
                received <- new_mutex!(0),
                loading <- new_mutex!(None),
                cancel_cv <- new_condvar!("fpga_image_load_sim::cancel"),
            }),
            GFP_KERNEL,
        )
    }

    fn settings(&self) -> Settings {
        Settings {
            block_size: self.block_size.lock().0,
            block_delay_us: *self.block_delay_us.lock(),
            program_ms: *self.program_ms.lock(),
            ignore_cancel: *self.ignore_cancel.lock() != 0,
            store: *self.store.lock() != 0,
            inject: *self.inject_error.lock(),
        }
    }

    /// The error injected at `stage` for the load in progress, if any.
    fn injected(settings: &Settings, stage: Stage) -> Result<(), LoadError> {
        match settings.inject.0 {
            Some((s, e)) if s == stage => Err(e),
            _ => Ok(()),
        }
    }
}

#[vtable]
impl Operations for Card {
    fn prepare(&self, _dev: &Device<Bound>, image: &[u8]) -> Result<(), LoadError> {
        let settings = self.settings();
        Self::injected(&settings, Stage::Preparing)?;
        let keep = if settings.store { image.len() } else { 0 };
        let received = VVec::with_capacity(keep, GFP_KERNEL).map_err(|_| LoadError::Busy)?;
        *self.loading.lock() = Some(Loading {
            settings,
            size: image.len(),
            received,
            count: 0,
            canceled: false,
        });
        Ok(())
    }

    fn write_blk(&self, _dev: &Device<Bound>, blk: &[u8], offset: u32) -> Result<u32, LoadError> {
        let mut guard = self.loading.lock();
        let l = (*guard).as_mut().ok_or(LoadError::HwError)?;
        if l.canceled {
            return Err(LoadError::Canceled);
        }
        let settings = l.settings;
        let n = (settings.block_size as usize).min(blk.len());
        if offset as usize + n > l.size / 2 {
            Self::injected(&settings, Stage::Writing)?;
        }
        if l.count != offset as usize {
            return Err(LoadError::HwError);
        }
        if settings.store {
            l.received
                .extend_from_slice(&blk[..n], GFP_KERNEL)
                .map_err(|_| LoadError::RwError)?;
        }
        l.count += n;
        drop(guard);
        // The time the block takes, outside the lock so that a cancel gets in.
        if settings.block_delay_us > 0 {
            fsleep(Delta::from_micros(settings.block_delay_us.into()));
        }
        Ok(n as u32)
    }

    fn poll_complete(&self, _dev: &Device<Bound>) -> Result<(), LoadError> {
        let mut l = self.loading.lock();
        let settings = l.as_ref().ok_or(LoadError::HwError)?.settings;
        let mut left = settings.program_ms;
        loop {
            if l.as_ref().is_some_and(|l| l.canceled) {
                return Err(LoadError::Canceled);
            }
            if left == 0 {
                break;
            }
            let step = left.min(POLL_INTERVAL_MS);
            // The result does not matter: the loop looks at the cancel flag again.
            let _ = self
                .cancel_cv
                .wait_interruptible_timeout(&mut l, msecs_to_jiffies(step));
            left -= step;
        }
        Self::injected(&settings, Stage::Programming)?;
        let done = l.take().ok_or(LoadError::HwError)?;
        drop(l);
        *self.image.lock() = done.received;
        *self.received.lock() = done.count as u64;
        Ok(())
    }

    fn cancel(&self, _dev: &Device<Bound>) {
        if let Some(l) = &mut *self.loading.lock() {
            if l.settings.ignore_cancel {
                return;
            }
            l.canceled = true;
        }
        self.cancel_cv.notify_all();
    }

    fn cleanup(&self, _dev: &Device<Bound>) {
        // Frees the partial image of a failed load.
        *self.loading.lock() = None;
    }
}

/// A registered card with its debugfs directory. Drops in order: debugfs, class
/// registration (which waits for a running load), parent device. The registration would end
/// with the parent's binding anyway: it is device-managed.
struct SimCard {
    _debugfs: Pin<KBox<Scope<Arc<Card>>>>,
    _reg: Devres<Registration<Card>>,
    _parent: faux::Registration,
}

impl SimCard {
    fn new(index: u32, root: &Dir) -> Result<Self> {
        let name = CString::try_from_fmt(fmt!("fpga_image_load_sim.{}", index))?;
        let parent = faux::Registration::new(&name, None)?;
        let card = Card::new()?;
        let fdev: &faux::Device<Bound> = parent.as_ref();
        let reg = Registration::new(fdev.as_ref(), card.clone())?;
        let name = reg.access(fdev.as_ref())?.device().name();
        let dir_name = CString::try_from_fmt(fmt!("{}", name))?;
        let debugfs = KBox::pin_init(
            root.scope(card, &dir_name, |card, dir| {
                dir.read_write_file(c"block_size", &card.block_size);
                dir.read_write_file(c"block_delay_us", &card.block_delay_us);
                dir.read_write_file(c"program_ms", &card.program_ms);
                dir.read_write_file(c"ignore_cancel", &card.ignore_cancel);
                dir.read_write_file(c"inject_error", &card.inject_error);
                dir.read_write_file(c"store", &card.store);
                dir.read_binary_file(c"image", &card.image);
                dir.read_only_file(c"received", &card.received);
            }),
            GFP_KERNEL,
        )?;
        Ok(Self {
            _debugfs: debugfs,
            _reg: reg,
            _parent: parent,
        })
    }
}

struct SimModule {
    _cards: KVec<SimCard>,
    _root: Dir,
}

impl kernel::Module for SimModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let n = module_parameters::devices.value();
        if n > MAX_CARDS {
            pr_err!("devices={} is above the limit of {}\n", n, MAX_CARDS);
            return Err(EINVAL);
        }
        let root = Dir::new(c"fpga_image_load_sim");
        let mut cards = KVec::with_capacity(n as usize, GFP_KERNEL)?;
        for i in 0..n {
            cards.push(SimCard::new(i, &root)?, GFP_KERNEL)?;
        }
        pr_info!("{} simulated card(s)\n", n);
        Ok(Self {
            _cards: cards,
            _root: root,
        })
    }
}
