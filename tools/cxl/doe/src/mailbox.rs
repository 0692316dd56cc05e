// SPDX-License-Identifier: GPL-2.0
//! The DOE mailbox registers (PCIe r6.0 sec 7.9.24) and the exchange of one data object
//! through them (sec 6.30.2).
//!
//! [`Mailbox`] drives the registers through a [`ConfigSpace`] and waits with a
//! [`Clock`]: [`SysfsConfig`] and [`SystemClock`] are the real ones, the tests use a
//! simulated responder and a clock that only advances when slept on.
//!
//! An exchange: wait for the mailbox to be idle (Busy, Data Object Ready and Error
//! clear), write the request DWs to the Write Data Mailbox, set Go, then poll for Data
//! Object Ready and read the response DW by DW, writing to the Read Data Mailbox to
//! advance. Every wait ends after 1 s; a failed exchange is aborted so that the mailbox
//! is left idle.
//!
//! A mailbox that stays busy is someone else's exchange in progress (the kernel's,
//! firmware's), or one left over: it is aborted only when asked to
//! ([`Mailbox::with_force`]), and refused otherwise. Right before the first register
//! write of each exchange, an [`Ownership`] check makes sure that the mailbox is still
//! this tool's. An all-ones read (what a PCI function that has gone away returns) ends
//! the exchange at once with [`MailboxError::Gone`].

use crate::framing::{self, DataObject, FrameError, HEADER_DWS, MAX_OBJECT_DWS};
use errno_words::{describe_errno, describe_io};
use rustix::fs::{open, Mode, OFlags};
use rustix::io::{pread, pwrite, Errno};
use std::fmt;
use std::io;
use std::os::fd::OwnedFd;
use std::path::Path;
use std::time::{Duration, Instant};

/// The extended capability ID of DOE.
pub const DOE_CAP_ID: u16 = 0x2e;

/// Extended capability header.
pub const REG_CAP_HEADER: u32 = 0x00;
/// DOE Capabilities.
pub const REG_CAPABILITIES: u32 = 0x04;
/// DOE Control.
pub const REG_CONTROL: u32 = 0x08;
/// DOE Status.
pub const REG_STATUS: u32 = 0x0c;
/// DOE Write Data Mailbox.
pub const REG_WRITE_MAILBOX: u32 = 0x10;
/// DOE Read Data Mailbox.
pub const REG_READ_MAILBOX: u32 = 0x14;

/// Control: abort the exchange in progress.
pub const CTRL_ABORT: u32 = 1 << 0;
/// Control: interrupt enable.
pub const CTRL_INT_ENABLE: u32 = 1 << 1;
/// Control: the request is written, go.
pub const CTRL_GO: u32 = 1 << 31;

/// Status: the mailbox cannot take a request now.
pub const STATUS_BUSY: u32 = 1 << 0;
/// Status: interrupt status.
pub const STATUS_INT: u32 = 1 << 1;
/// Status: the mailbox failed the exchange.
pub const STATUS_ERROR: u32 = 1 << 2;
/// Status: a response DW waits in the Read Data Mailbox.
pub const STATUS_READY: u32 = 1 << 31;
/// Status: the bits that say the mailbox is in use (or left so): it is idle when all
/// are clear.
pub const STATUS_IN_USE: u32 = STATUS_BUSY | STATUS_READY | STATUS_ERROR;

/// What a configuration read of a function that has gone away returns.
pub const ALL_ONES: u32 = u32::MAX;

/// The version of the DOE capability, from its extended capability header.
pub fn capability_version(header: u32) -> u8 {
    ((header >> 16) & 0xf) as u8
}

/// The DOE Status bits that make the mailbox busy, in words: `Busy, Error`.
pub fn in_use_bits(status: u32) -> String {
    let names: Vec<&str> = [
        (STATUS_BUSY, "Busy"),
        (STATUS_READY, "Data Object Ready"),
        (STATUS_ERROR, "Error"),
    ]
    .into_iter()
    .filter(|(bit, _)| status & bit != 0)
    .map(|(_, name)| name)
    .collect();
    if names.is_empty() {
        "idle".to_string()
    } else {
        names.join(", ")
    }
}

/// How long the spec gives a mailbox to answer, or to abort (sec 6.30.2).
pub const TIMEOUT: Duration = Duration::from_secs(1);
/// How often the status is polled while waiting.
pub const POLL_INTERVAL: Duration = Duration::from_millis(4);

/// The name of a DOE register, by its offset in the capability.
pub fn register_name(reg: u32) -> &'static str {
    match reg {
        REG_CAP_HEADER => "extended capability header",
        REG_CAPABILITIES => "DOE Capabilities",
        REG_CONTROL => "DOE Control",
        REG_STATUS => "DOE Status",
        REG_WRITE_MAILBOX => "DOE Write Data Mailbox",
        REG_READ_MAILBOX => "DOE Read Data Mailbox",
        _ => "DOE register",
    }
}

/// 32-bit access to a PCI function's configuration space.
pub trait ConfigSpace {
    /// Reads the DW at byte offset `off` (a multiple of 4).
    fn read32(&mut self, off: u32) -> io::Result<u32>;
    /// Writes `v` to the DW at byte offset `off` (a multiple of 4).
    fn write32(&mut self, off: u32, v: u32) -> io::Result<()>;
}

impl<T: ConfigSpace + ?Sized> ConfigSpace for Box<T> {
    fn read32(&mut self, off: u32) -> io::Result<u32> {
        (**self).read32(off)
    }
    fn write32(&mut self, off: u32, v: u32) -> io::Result<()> {
        (**self).write32(off, v)
    }
}

impl<T: ConfigSpace + ?Sized> ConfigSpace for &mut T {
    fn read32(&mut self, off: u32) -> io::Result<u32> {
        (**self).read32(off)
    }
    fn write32(&mut self, off: u32, v: u32) -> io::Result<()> {
        (**self).write32(off, v)
    }
}

/// A PCI function's sysfs `config` file, read and written a DW at a time.
///
/// The PCI core turns an aligned 4-byte `pread`/`pwrite` into one DW configuration
/// read or write. Reads beyond the first 64 bytes, and writes, need root.
#[derive(Debug)]
pub struct SysfsConfig {
    fd: OwnedFd,
}

impl SysfsConfig {
    /// Opens `path` for reading and writing.
    pub fn open(path: &Path) -> io::Result<Self> {
        let fd = open(path, OFlags::RDWR | OFlags::CLOEXEC, Mode::empty())?;
        Ok(SysfsConfig { fd })
    }
}

fn check_aligned(off: u32) -> io::Result<()> {
    if off % 4 == 0 {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("config space offset {off:#x} is not a multiple of 4"),
        ))
    }
}

impl ConfigSpace for SysfsConfig {
    fn read32(&mut self, off: u32) -> io::Result<u32> {
        check_aligned(off)?;
        let mut buf = [0u8; 4];
        let n = loop {
            match pread(&self.fd, &mut buf[..], u64::from(off)) {
                Err(Errno::INTR) => continue,
                r => break r?,
            }
        };
        if n != 4 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("short read: {n} of 4 bytes at config space offset {off:#x}"),
            ));
        }
        Ok(u32::from_le_bytes(buf))
    }

    fn write32(&mut self, off: u32, v: u32) -> io::Result<()> {
        check_aligned(off)?;
        let n = loop {
            match pwrite(&self.fd, &v.to_le_bytes(), u64::from(off)) {
                Err(Errno::INTR) => continue,
                r => break r?,
            }
        };
        if n != 4 {
            return Err(io::Error::new(
                io::ErrorKind::WriteZero,
                format!("short write: {n} of 4 bytes at config space offset {off:#x}"),
            ));
        }
        Ok(())
    }
}

/// Time, for the waits of an exchange.
pub trait Clock {
    /// Time since some fixed point.
    fn now(&self) -> Duration;
    /// Waits for `d`.
    fn sleep(&mut self, d: Duration);
}

impl<T: Clock + ?Sized> Clock for Box<T> {
    fn now(&self) -> Duration {
        (**self).now()
    }
    fn sleep(&mut self, d: Duration) {
        (**self).sleep(d)
    }
}

impl<T: Clock + ?Sized> Clock for &mut T {
    fn now(&self) -> Duration {
        (**self).now()
    }
    fn sleep(&mut self, d: Duration) {
        (**self).sleep(d)
    }
}

/// The monotonic clock, and `std::thread::sleep`.
#[derive(Debug)]
pub struct SystemClock {
    start: Instant,
}

impl SystemClock {
    /// A clock that starts now.
    pub fn new() -> Self {
        SystemClock {
            start: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }
    fn sleep(&mut self, d: Duration) {
        std::thread::sleep(d)
    }
}

/// Why an exchange through the registers failed.
#[derive(Debug)]
pub enum MailboxError {
    /// A configuration read or write failed.
    Config {
        /// The register's offset in the capability.
        reg: u32,
        /// Its offset in configuration space.
        off: u32,
        /// A write, not a read.
        write: bool,
        /// Why.
        err: io::Error,
    },
    /// No DOE capability at the offset.
    NotDoe {
        /// The offset.
        off: u32,
        /// The extended header there.
        header: u32,
    },
    /// The request is too large for a data object.
    Request(FrameError),
    /// A read gave all ones: the device has gone away. Nothing more was done.
    Gone {
        /// The register's offset in the capability.
        reg: u32,
        /// Its offset in configuration space.
        off: u32,
    },
    /// Right before the first register write of the exchange, the mailbox turned out
    /// not to be this tool's (bound to a driver again), or that could not be told:
    /// nothing was written.
    NotOurs {
        /// Why, in words.
        why: String,
    },
    /// The mailbox stayed busy (Busy, Data Object Ready or Error set) for 1 s:
    /// nothing was sent.
    Busy {
        /// The last DOE Status.
        status: u32,
        /// An abort was asked for and made, and did not help.
        forced: bool,
    },
    /// The mailbox set Error.
    ErrorBit,
    /// No response within 1 s.
    Timeout,
    /// The response is malformed: its length field, or it ran out early.
    Response(FrameError),
    /// Data Object Ready stayed set after the DWs the response's length field says.
    TooLong {
        /// The length field, in DWs.
        says: usize,
    },
    /// `cause` made the tool abort the exchange, which worked.
    Aborted {
        /// What went wrong.
        cause: Box<MailboxError>,
    },
    /// `cause` made the tool abort the exchange, and the abort failed too.
    AbortFailed {
        /// What went wrong first.
        cause: Box<MailboxError>,
        /// What went wrong with the abort.
        abort: Box<MailboxError>,
    },
    /// Busy or Error did not clear within 1 s of an abort.
    AbortTimeout {
        /// The last DOE Status.
        status: u32,
    },
}

impl MailboxError {
    /// What went wrong first, behind an abort.
    pub fn cause(&self) -> &MailboxError {
        match self {
            MailboxError::Aborted { cause } | MailboxError::AbortFailed { cause, .. } => {
                cause.cause()
            }
            e => e,
        }
    }
}

impl fmt::Display for MailboxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MailboxError::Config {
                reg,
                off,
                write,
                err,
            } => write!(
                f,
                "{} {} at config space offset {off:#x}: {}",
                if *write { "writing" } else { "reading" },
                register_name(*reg),
                describe_io(err)
            ),
            MailboxError::NotDoe { off, header } => write!(
                f,
                "no DOE capability at config space offset {off:#x}: extended capability ID \
                 {:#06x}, expected {DOE_CAP_ID:#06x}",
                header & 0xffff
            ),
            MailboxError::Request(e) => write!(f, "request: {e}"),
            MailboxError::Gone { reg, off } => write!(
                f,
                "reading {} at config space offset {off:#x}: {}: device gone (all-ones read)",
                register_name(*reg),
                describe_errno(Errno::NODEV.raw_os_error())
            ),
            MailboxError::NotOurs { why } => {
                write!(f, "{why}, so nothing was written to it")
            }
            MailboxError::Busy {
                status,
                forced: false,
            } => write!(
                f,
                "the mailbox stayed busy for 1 s ({}, DOE Status {status:#010x}), so nothing \
                 was sent: another agent (the kernel, firmware) may be in the middle of an \
                 exchange. Not aborting it without --force, which aborts whatever the \
                 mailbox is doing",
                in_use_bits(*status)
            ),
            MailboxError::Busy {
                status,
                forced: true,
            } => write!(
                f,
                "the mailbox stayed busy for 1 s and after an abort ({}, DOE Status \
                 {status:#010x}), so nothing was sent",
                in_use_bits(*status)
            ),
            MailboxError::ErrorBit => f.write_str("the mailbox set its Error bit"),
            MailboxError::Timeout => f.write_str(
                "no response within 1 s (does the mailbox support the protocol? `doe discover` \
                 lists them)",
            ),
            MailboxError::Response(e) => write!(f, "bad response: {e}"),
            MailboxError::TooLong { says } => write!(
                f,
                "bad response: the mailbox has more data after the {says} DWs its length field \
                 says"
            ),
            MailboxError::Aborted { cause } => write!(f, "{cause}; exchange aborted"),
            MailboxError::AbortFailed { cause, abort } => {
                write!(f, "{cause}; aborting the exchange failed too: {abort}")
            }
            MailboxError::AbortTimeout { status } => write!(
                f,
                "Busy or Error still set 1 s after an abort (DOE Status {status:#010x})"
            ),
        }
    }
}

impl std::error::Error for MailboxError {}

/// Something that exchanges data objects: a request goes in, a response comes out.
pub trait Transport {
    /// Sends `req` and returns the response.
    fn exchange(&mut self, req: &DataObject) -> Result<DataObject, MailboxError>;

    /// The version of the DOE capability behind it (1 unless known otherwise): from
    /// version 2, discovery requests carry version 2 too.
    fn capability_version(&self) -> u8 {
        1
    }
}

/// Who owns the mailbox: asked right before the first register write of each
/// exchange, as the kernel may have taken the mailbox since the tool found it free.
pub trait Ownership: fmt::Debug {
    /// `Ok(())` while the mailbox is this tool's; otherwise why not, in words (the
    /// error adds that nothing was written).
    fn check(&mut self) -> Result<(), String>;
}

/// How a wait ended.
enum Waited {
    /// The status asked for, this one.
    Done(u32),
    /// 1 s went by; the last status.
    TimedOut(u32),
}

/// A DOE mailbox at offset `base` of a configuration space.
#[derive(Debug)]
pub struct Mailbox<C, K> {
    cfg: C,
    base: u32,
    clock: K,
    limit: usize,
    version: u8,
    force: bool,
    owner: Option<Box<dyn Ownership>>,
    /// The owner was asked during this exchange.
    owner_checked: bool,
}

impl<C: ConfigSpace, K: Clock> Mailbox<C, K> {
    /// The mailbox at `base`, after checking that a DOE capability is there.
    pub fn new(cfg: C, base: u32, clock: K) -> Result<Self, MailboxError> {
        let mut mb = Mailbox {
            cfg,
            base,
            clock,
            limit: MAX_OBJECT_DWS,
            version: 0,
            force: false,
            owner: None,
            owner_checked: false,
        };
        let header = mb.read(REG_CAP_HEADER)?;
        if header & 0xffff != u32::from(DOE_CAP_ID) {
            return Err(MailboxError::NotDoe { off: base, header });
        }
        mb.version = capability_version(header);
        Ok(mb)
    }

    /// With `force`, a mailbox still busy (Busy, Data Object Ready or Error set) after
    /// 1 s is aborted and used; without (the default), the exchange fails with
    /// [`MailboxError::Busy`] and the mailbox is left alone.
    pub fn with_force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// The same mailbox on config space `f(cfg)`: a wrapper that keeps something alive for
    /// as long as the registers are used, say.
    pub fn map_config<D: ConfigSpace>(self, f: impl FnOnce(C) -> D) -> Mailbox<D, K> {
        Mailbox {
            cfg: f(self.cfg),
            base: self.base,
            clock: self.clock,
            limit: self.limit,
            version: self.version,
            force: self.force,
            owner: self.owner,
            owner_checked: self.owner_checked,
        }
    }

    /// `owner` is asked right before the first register write of each exchange.
    pub fn with_owner(mut self, owner: Box<dyn Ownership>) -> Self {
        self.owner = Some(owner);
        self
    }

    /// The version of the DOE capability.
    pub fn capability_version(&self) -> u8 {
        self.version
    }

    /// Responses longer than `dws` DWs are refused (the default is 2^18, 1 MiB).
    pub fn with_limit(mut self, dws: usize) -> Self {
        self.limit = dws.clamp(HEADER_DWS, MAX_OBJECT_DWS);
        self
    }

    /// The configuration space, back.
    pub fn into_inner(self) -> C {
        self.cfg
    }

    /// Reads a register, as is: all ones may be data (of the Read Data Mailbox).
    fn read_raw(&mut self, reg: u32) -> Result<u32, MailboxError> {
        let off = self.base.wrapping_add(reg);
        self.cfg.read32(off).map_err(|err| MailboxError::Config {
            reg,
            off,
            write: false,
            err,
        })
    }

    /// Reads a register that never reads all ones while the device is there.
    fn read(&mut self, reg: u32) -> Result<u32, MailboxError> {
        match self.read_raw(reg)? {
            ALL_ONES => Err(MailboxError::Gone {
                reg,
                off: self.base.wrapping_add(reg),
            }),
            v => Ok(v),
        }
    }

    fn write(&mut self, reg: u32, v: u32) -> Result<(), MailboxError> {
        if !self.owner_checked {
            if let Some(owner) = self.owner.as_mut() {
                owner.check().map_err(|why| MailboxError::NotOurs { why })?;
            }
            self.owner_checked = true;
        }
        let off = self.base.wrapping_add(reg);
        self.cfg
            .write32(off, v)
            .map_err(|err| MailboxError::Config {
                reg,
                off,
                write: true,
                err,
            })
    }

    /// DOE Status.
    pub fn status(&mut self) -> Result<u32, MailboxError> {
        self.read(REG_STATUS)
    }

    /// Polls the status until `done` says so, for up to 1 s.
    fn wait(&mut self, done: impl Fn(u32) -> bool) -> Result<Waited, MailboxError> {
        let deadline = self.clock.now() + TIMEOUT;
        loop {
            let st = self.status()?;
            if done(st) {
                return Ok(Waited::Done(st));
            }
            if self.clock.now() >= deadline {
                return Ok(Waited::TimedOut(st));
            }
            self.clock.sleep(POLL_INTERVAL);
        }
    }

    /// Aborts whatever the mailbox is doing, keeping Interrupt Enable as it is, and
    /// waits up to 1 s for Busy and Error to clear.
    ///
    /// Whatever the mailbox is doing may be someone else's exchange: outside an
    /// exchange of this tool, call it only for a mailbox known to be idle or stuck.
    pub fn abort(&mut self) -> Result<(), MailboxError> {
        self.owner_checked = false;
        self.abort_exchange()
    }

    fn abort_exchange(&mut self) -> Result<(), MailboxError> {
        let ctrl = self.read(REG_CONTROL)?;
        self.write(REG_CONTROL, (ctrl & CTRL_INT_ENABLE) | CTRL_ABORT)?;
        match self.wait(|st| st & (STATUS_BUSY | STATUS_ERROR) == 0)? {
            Waited::Done(_) => Ok(()),
            Waited::TimedOut(status) => Err(MailboxError::AbortTimeout { status }),
        }
    }

    /// Aborts the exchange because of `cause`, and returns the error to report. The owner is
    /// asked again first: the exchange may have failed because the kernel took the mailbox
    /// back, and its exchange is not ours to abort.
    fn fail<T>(&mut self, cause: MailboxError) -> Result<T, MailboxError> {
        let cause = Box::new(cause);
        self.owner_checked = false;
        match self.abort_exchange() {
            Ok(()) => Err(MailboxError::Aborted { cause }),
            Err(abort) => Err(MailboxError::AbortFailed {
                cause,
                abort: Box::new(abort),
            }),
        }
    }

    /// Waits until the mailbox can take a request: idle, with Busy, Data Object Ready
    /// and Error clear. Busy, or a response or an error waiting, is someone else's
    /// exchange (or one left over): after 1 s it is aborted if forced, and the exchange
    /// refused otherwise.
    fn prepare(&mut self) -> Result<(), MailboxError> {
        let status = match self.wait(|st| st & STATUS_IN_USE == 0)? {
            Waited::Done(_) => return Ok(()),
            Waited::TimedOut(status) => status,
        };
        if !self.force {
            return Err(MailboxError::Busy {
                status,
                forced: false,
            });
        }
        self.abort_exchange()?;
        match self.status()? {
            st if st & STATUS_IN_USE == 0 => Ok(()),
            status => Err(MailboxError::Busy {
                status,
                forced: true,
            }),
        }
    }

    /// Writes the request and sets Go.
    fn send(&mut self, dws: &[u32]) -> Result<(), MailboxError> {
        for &dw in dws {
            self.write(REG_WRITE_MAILBOX, dw)?;
        }
        let ctrl = self.read(REG_CONTROL)?;
        self.write(REG_CONTROL, (ctrl & CTRL_INT_ENABLE) | CTRL_GO)
    }

    /// Checks that the next response DW is there: Data Object Ready and no Error.
    fn next_ready(&mut self, says: Option<usize>, got: usize) -> Result<(), MailboxError> {
        let st = self.status()?;
        if st & STATUS_ERROR != 0 {
            return self.fail(MailboxError::ErrorBit);
        }
        if st & STATUS_READY == 0 {
            let e = match says {
                Some(says) => FrameError::Truncated { says, got },
                None => FrameError::Short { got },
            };
            return self.fail(MailboxError::Response(e));
        }
        Ok(())
    }

    /// Reads one response DW and advances the Read Data Mailbox.
    fn read_dw(&mut self) -> Result<u32, MailboxError> {
        let dw = self.read_raw(REG_READ_MAILBOX)?;
        if dw == ALL_ONES {
            // Data, or a device gone: DOE Status tells, as it never reads all ones.
            self.status()?;
        }
        self.write(REG_READ_MAILBOX, 0)?;
        Ok(dw)
    }

    /// Waits for the response and reads it.
    fn receive(&mut self) -> Result<DataObject, MailboxError> {
        match self.wait(|st| st & (STATUS_READY | STATUS_ERROR) != 0)? {
            Waited::TimedOut(_) => return self.fail(MailboxError::Timeout),
            Waited::Done(st) if st & STATUS_ERROR != 0 => return self.fail(MailboxError::ErrorBit),
            Waited::Done(_) => {}
        }
        let mut dws = Vec::with_capacity(HEADER_DWS);
        dws.push(self.read_dw()?);
        self.next_ready(None, 1)?;
        let dw1 = self.read_dw()?;
        dws.push(dw1);
        let says = match framing::checked_length(dw1, self.limit) {
            Ok(says) => says,
            Err(e) => return self.fail(MailboxError::Response(e)),
        };
        dws.reserve(says - HEADER_DWS);
        while dws.len() < says {
            self.next_ready(Some(says), dws.len())?;
            dws.push(self.read_dw()?);
        }
        let st = self.status()?;
        if st & STATUS_ERROR != 0 {
            return self.fail(MailboxError::ErrorBit);
        }
        if st & STATUS_READY != 0 {
            return self.fail(MailboxError::TooLong { says });
        }
        DataObject::decode(&dws, self.limit).map_err(MailboxError::Response)
    }
}

impl<C: ConfigSpace, K: Clock> Transport for Mailbox<C, K> {
    fn exchange(&mut self, req: &DataObject) -> Result<DataObject, MailboxError> {
        let dws = req.encode().map_err(MailboxError::Request)?;
        self.owner_checked = false;
        self.prepare()?;
        self.send(&dws)?;
        self.receive()
    }

    fn capability_version(&self) -> u8 {
        self.version
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{FakeClock, Misbehaviour, SimDoe, BASE};
    use std::cell::Cell;
    use std::rc::Rc;

    fn mailbox<'a>(
        sim: &'a mut SimDoe,
        clock: &'a mut FakeClock,
    ) -> Mailbox<&'a mut SimDoe, &'a mut FakeClock> {
        Mailbox::new(sim, BASE, clock).expect("a DOE capability")
    }

    fn discovery(index: u8) -> DataObject {
        DataObject::new(0x0001, 0x00, vec![u32::from(index)])
    }

    #[test]
    fn happy_path() {
        let mut sim = SimDoe::new();
        let mut clock = FakeClock::default();
        let mut mb = mailbox(&mut sim, &mut clock);
        let rsp = mb.exchange(&discovery(0)).expect("exchange");
        assert_eq!(rsp, DataObject::new(0x0001, 0x00, vec![0x0100_0001]));
        let rsp = mb.exchange(&discovery(1)).expect("exchange");
        assert_eq!(rsp, DataObject::new(0x0001, 0x00, vec![0x0002_1e98]));
        assert_eq!(sim.aborts, 0);
        assert_eq!(sim.requests.len(), 2);
        assert_eq!(sim.requests[1], vec![0x0000_0001, 3, 1]);
        assert_eq!(
            clock.now(),
            Duration::ZERO,
            "no waiting for a fast responder"
        );
    }

    #[test]
    fn interrupt_enable_is_kept() {
        let mut sim = SimDoe::new();
        sim.control_int_enable = true;
        let mut clock = FakeClock::default();
        mailbox(&mut sim, &mut clock)
            .exchange(&discovery(0))
            .expect("exchange");
        assert!(sim.control_int_enable);
    }

    #[test]
    fn not_a_doe_capability() {
        let mut sim = SimDoe::new();
        sim.cap_header = 0x0001_0001; // AER
        let e = Mailbox::new(&mut sim, BASE, FakeClock::default()).expect_err("not DOE");
        assert_eq!(
            e.to_string(),
            "no DOE capability at config space offset 0x190: extended capability ID 0x0001, \
             expected 0x002e"
        );
    }

    #[test]
    fn busy_at_start_then_free() {
        let mut sim = SimDoe::new();
        sim.busy_polls = 10;
        let mut clock = FakeClock::default();
        let rsp = mailbox(&mut sim, &mut clock)
            .exchange(&discovery(0))
            .expect("exchange once Busy clears");
        assert_eq!(rsp.payload, vec![0x0100_0001]);
        assert!(clock.now() >= POLL_INTERVAL * 9, "{:?}", clock.now());
        assert!(clock.now() < TIMEOUT);
        assert_eq!(sim.aborts, 0);
    }

    #[test]
    fn stays_busy() {
        let mut sim = SimDoe::new();
        sim.misbehave = Misbehaviour::StayBusy;
        let mut clock = FakeClock::default();
        let e = mailbox(&mut sim, &mut clock)
            .exchange(&discovery(0))
            .expect_err("busy");
        assert!(
            matches!(
                e,
                MailboxError::Busy {
                    status: STATUS_BUSY,
                    forced: false
                }
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains("nothing was sent"), "{e}");
        assert!(clock.now() >= TIMEOUT);
        assert!(sim.requests.is_empty());
        assert!(sim.write_buf.is_empty(), "nothing written");
    }

    #[test]
    fn error_left_over_is_aborted_first_when_forced() {
        let mut sim = SimDoe::new();
        sim.error = true;
        sim.control_int_enable = true;
        let mut clock = FakeClock::default();
        let rsp = mailbox(&mut sim, &mut clock)
            .with_force(true)
            .exchange(&discovery(0))
            .expect("exchange after the abort");
        assert_eq!(rsp.payload, vec![0x0100_0001]);
        assert_eq!(sim.aborts, 1);
        assert!(
            clock.now() >= TIMEOUT,
            "the abort came after 1 s of waiting"
        );
        assert!(sim.control_int_enable, "the abort kept Interrupt Enable");
    }

    #[test]
    fn stale_response_is_aborted_first_when_forced() {
        let mut sim = SimDoe::new();
        sim.read_buf = vec![0x0000_0001, 3, 0xdead_beef];
        let mut clock = FakeClock::default();
        let rsp = mailbox(&mut sim, &mut clock)
            .with_force(true)
            .exchange(&discovery(1))
            .expect("exchange after the abort");
        assert_eq!(rsp.payload, vec![0x0002_1e98]);
        assert_eq!(sim.aborts, 1);
    }

    #[test]
    fn forced_but_stuck() {
        let mut sim = SimDoe::new();
        sim.misbehave = Misbehaviour::StayBusy;
        let mut clock = FakeClock::default();
        let e = mailbox(&mut sim, &mut clock)
            .with_force(true)
            .exchange(&discovery(0))
            .expect_err("busy");
        assert!(
            matches!(e, MailboxError::AbortTimeout { status: 1 }),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "Busy or Error still set 1 s after an abort (DOE Status 0x00000001)"
        );
        assert_eq!(sim.aborts, 1);
        assert!(sim.requests.is_empty());
        // Data Object Ready left after an abort that ended.
        let e = MailboxError::Busy {
            status: STATUS_READY,
            forced: true,
        };
        assert_eq!(
            e.to_string(),
            "the mailbox stayed busy for 1 s and after an abort (Data Object Ready, DOE \
             Status 0x80000000), so nothing was sent"
        );
    }

    /// An owner that says no once `taken` is set, and counts the questions.
    #[derive(Debug, Default)]
    struct Owner {
        taken: Rc<Cell<bool>>,
        asked: Rc<Cell<u32>>,
    }

    impl Ownership for Owner {
        fn check(&mut self) -> Result<(), String> {
            self.asked.set(self.asked.get() + 1);
            if self.taken.get() {
                Err("the mailbox is bound to cxl_doe.cxl_doe_drv now".to_string())
            } else {
                Ok(())
            }
        }
    }

    #[test]
    fn owner_is_asked_before_the_first_write_of_each_exchange() {
        let mut sim = SimDoe::new();
        let owner = Owner::default();
        let (taken, asked) = (Rc::clone(&owner.taken), Rc::clone(&owner.asked));
        let mut clock = FakeClock::default();
        let mut mb = mailbox(&mut sim, &mut clock).with_owner(Box::new(owner));
        assert_eq!(asked.get(), 0, "not for reading the capability header");
        mb.exchange(&discovery(0)).expect("exchange");
        assert_eq!(asked.get(), 1, "once an exchange");
        mb.exchange(&discovery(1)).expect("exchange");
        assert_eq!(asked.get(), 2);
        taken.set(true);
        let e = mb.exchange(&discovery(0)).expect_err("taken");
        assert!(matches!(e, MailboxError::NotOurs { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            "the mailbox is bound to cxl_doe.cxl_doe_drv now, so nothing was written to it"
        );
        drop(mb);
        assert_eq!(sim.requests.len(), 2, "the third was not sent");
        assert!(sim.write_buf.is_empty());
        assert_eq!(sim.aborts, 0);
    }

    /// An owner that says yes to the first question only.
    #[derive(Debug, Default)]
    struct OnceOwner {
        asked: Rc<Cell<u32>>,
    }

    impl Ownership for OnceOwner {
        fn check(&mut self) -> Result<(), String> {
            self.asked.set(self.asked.get() + 1);
            match self.asked.get() {
                1 => Ok(()),
                _ => Err("the kernel owns the mailbox now".to_string()),
            }
        }
    }

    #[test]
    fn failed_exchange_asks_the_owner_again_before_its_abort() {
        let mut sim = SimDoe::new();
        sim.misbehave = Misbehaviour::ErrorOnGo;
        let owner = OnceOwner::default();
        let asked = Rc::clone(&owner.asked);
        let mut clock = FakeClock::default();
        let e = mailbox(&mut sim, &mut clock)
            .with_owner(Box::new(owner))
            .exchange(&discovery(0))
            .expect_err("error on go");
        assert!(matches!(e, MailboxError::AbortFailed { .. }), "{e:?}");
        assert_eq!(asked.get(), 2);
        assert_eq!(sim.aborts, 0);
    }

    #[test]
    fn forced_abort_asks_the_owner_first() {
        let mut sim = SimDoe::new();
        sim.error = true;
        let owner = Owner::default();
        owner.taken.set(true);
        let mut clock = FakeClock::default();
        let e = mailbox(&mut sim, &mut clock)
            .with_force(true)
            .with_owner(Box::new(owner))
            .exchange(&discovery(0))
            .expect_err("taken");
        assert!(matches!(e, MailboxError::NotOurs { .. }), "{e:?}");
        assert_eq!(sim.aborts, 0);
        assert_eq!(sim.writes, 0);
    }

    #[test]
    fn in_use_bits_in_words() {
        assert_eq!(in_use_bits(0), "idle");
        assert_eq!(in_use_bits(STATUS_INT), "idle");
        assert_eq!(in_use_bits(STATUS_BUSY), "Busy");
        assert_eq!(
            in_use_bits(STATUS_BUSY | STATUS_READY | STATUS_ERROR),
            "Busy, Data Object Ready, Error"
        );
    }

    #[test]
    fn capability_versions() {
        assert_eq!(capability_version(0x0001_002e), 1);
        assert_eq!(capability_version(0x1b02_002e), 2);
        let mut sim = SimDoe::new();
        sim.cap_header = 0x0002_002e;
        let mb = Mailbox::new(&mut sim, BASE, FakeClock::default()).expect("DOE");
        assert_eq!(mb.capability_version(), 2);
        assert_eq!(Transport::capability_version(&mb), 2);
    }

    #[test]
    fn error_left_over_is_not_aborted_without_force() {
        let mut sim = SimDoe::new();
        sim.error = true;
        let mut clock = FakeClock::default();
        let e = mailbox(&mut sim, &mut clock)
            .exchange(&discovery(0))
            .expect_err("a mailbox showing Error is someone else's");
        assert!(matches!(e, MailboxError::Busy { .. }), "{e:?}");
        let msg = e.to_string();
        assert!(msg.contains("nothing was sent"), "{msg}");
        assert!(msg.contains("Error"), "{msg}");
        assert!(msg.contains("--force"), "{msg}");
        assert_eq!(sim.aborts, 0);
        assert_eq!(sim.writes, 0, "not a single register written");
        assert!(sim.error, "left as it was");
    }

    #[test]
    fn stale_response_is_not_aborted_without_force() {
        let mut sim = SimDoe::new();
        sim.read_buf = vec![0x0000_0001, 3, 0xdead_beef];
        let mut clock = FakeClock::default();
        let e = mailbox(&mut sim, &mut clock)
            .exchange(&discovery(1))
            .expect_err("a response waiting is someone else's");
        let msg = e.to_string();
        assert!(msg.contains("Data Object Ready"), "{msg}");
        assert!(msg.contains("--force"), "{msg}");
        assert_eq!(sim.aborts, 0);
        assert_eq!(sim.writes, 0);
        assert_eq!(sim.read_buf, vec![0x0000_0001, 3, 0xdead_beef], "untouched");
    }

    #[test]
    fn stays_busy_is_not_aborted_and_says_force() {
        let mut sim = SimDoe::new();
        sim.misbehave = Misbehaviour::StayBusy;
        let mut clock = FakeClock::default();
        let e = mailbox(&mut sim, &mut clock)
            .exchange(&discovery(0))
            .expect_err("busy");
        assert!(e.to_string().contains("--force"), "{e}");
        assert_eq!(sim.aborts, 0);
        assert_eq!(sim.writes, 0);
    }

    #[test]
    fn concurrent_exchange_is_waited_for_not_aborted() {
        // What another agent's exchange looks like: Busy, then its response waiting
        // (Data Object Ready) until it reads it out.
        let mut sim = SimDoe::new();
        sim.busy_polls = 3;
        sim.read_buf = vec![0x0000_0001, 3, 0x0100_0001];
        sim.other_reads_after = Some(6);
        let mut clock = FakeClock::default();
        let rsp = mailbox(&mut sim, &mut clock)
            .exchange(&discovery(1))
            .expect("exchange once the other one is done");
        assert_eq!(rsp.payload, vec![0x0002_1e98]);
        assert_eq!(sim.aborts, 0, "the other exchange was not aborted");
        assert_eq!(sim.requests, vec![vec![0x0000_0001, 3, 1]]);
        assert!(clock.now() < TIMEOUT);
    }

    #[test]
    fn abort_keeps_interrupt_enable() {
        let mut sim = SimDoe::new();
        sim.control_int_enable = true;
        sim.misbehave = Misbehaviour::ErrorOnGo;
        let mut clock = FakeClock::default();
        let e = mailbox(&mut sim, &mut clock)
            .exchange(&discovery(0))
            .expect_err("error");
        assert!(matches!(e, MailboxError::Aborted { .. }), "{e:?}");
        assert_eq!(sim.aborts, 1);
        assert!(sim.control_int_enable, "the abort cleared Interrupt Enable");
    }

    #[test]
    fn all_ones_on_open_is_a_device_gone() {
        let mut sim = SimDoe::new();
        sim.gone = true;
        let e = Mailbox::new(&mut sim, BASE, FakeClock::default()).expect_err("gone");
        assert_eq!(
            e.to_string(),
            "reading extended capability header at config space offset 0x190: No such \
             device (ENODEV): device gone (all-ones read)"
        );
        assert_eq!(sim.reads, 1);
    }

    #[test]
    fn all_ones_mid_exchange_is_a_device_gone_at_once() {
        let mut sim = SimDoe::new();
        sim.misbehave = Misbehaviour::VanishOnGo;
        let mut clock = FakeClock::default();
        let e = mailbox(&mut sim, &mut clock)
            .exchange(&discovery(0))
            .expect_err("gone");
        assert_eq!(
            e.to_string(),
            "reading DOE Status at config space offset 0x19c: No such device (ENODEV): \
             device gone (all-ones read)"
        );
        assert_eq!(clock.now(), Duration::ZERO, "no waiting on garbage");
        assert_eq!(sim.aborts, 0, "no abort of a device that is gone");
        let writes = sim.writes;
        assert_eq!(sim.requests.len(), 1);
        assert!(sim.reads < 10, "{} reads", sim.reads);
        assert_eq!(writes, 3 + 1, "the request and Go, nothing after");
    }

    #[test]
    fn all_ones_in_a_response_is_data() {
        let mut sim = SimDoe::new();
        sim.cdat = vec![vec![0xff; 16]];
        let mut clock = FakeClock::default();
        let rsp = mailbox(&mut sim, &mut clock)
            .exchange(&crate::cdat::request(0))
            .expect("all-ones DWs of a response are data");
        assert_eq!(
            rsp.payload,
            vec![0xffff_0000, u32::MAX, u32::MAX, u32::MAX, u32::MAX]
        );
    }

    #[test]
    fn error_bit_aborts() {
        let mut sim = SimDoe::new();
        sim.misbehave = Misbehaviour::ErrorOnGo;
        let mut clock = FakeClock::default();
        let e = mailbox(&mut sim, &mut clock)
            .exchange(&discovery(0))
            .expect_err("error");
        assert!(matches!(e.cause(), MailboxError::ErrorBit), "{e:?}");
        assert_eq!(
            e.to_string(),
            "the mailbox set its Error bit; exchange aborted"
        );
        assert_eq!(sim.aborts, 1);
        assert!(!sim.error, "the abort cleared Error");
    }

    #[test]
    fn unknown_protocol_is_an_error() {
        let mut sim = SimDoe::new();
        let mut clock = FakeClock::default();
        let e = mailbox(&mut sim, &mut clock)
            .exchange(&DataObject::new(0x1234, 0x56, vec![]))
            .expect_err("unknown");
        assert!(matches!(e.cause(), MailboxError::ErrorBit), "{e:?}");
    }

    #[test]
    fn never_ready_times_out_after_1_s_and_aborts() {
        let mut sim = SimDoe::new();
        sim.misbehave = Misbehaviour::NeverReady;
        let mut clock = FakeClock::default();
        let e = mailbox(&mut sim, &mut clock)
            .exchange(&discovery(0))
            .expect_err("timeout");
        assert!(matches!(e.cause(), MailboxError::Timeout), "{e:?}");
        assert!(e.to_string().starts_with("no response within 1 s"), "{e}");
        assert!(e.to_string().ends_with("; exchange aborted"), "{e}");
        assert!(clock.now() >= TIMEOUT, "{:?}", clock.now());
        assert!(
            clock.now() < TIMEOUT + POLL_INTERVAL * 2,
            "{:?}",
            clock.now()
        );
        assert_eq!(sim.aborts, 1);
    }

    #[test]
    fn abort_that_never_ends() {
        let mut sim = SimDoe::new();
        sim.misbehave = Misbehaviour::NeverReady;
        sim.abort_sticks = true;
        let mut clock = FakeClock::default();
        let e = mailbox(&mut sim, &mut clock)
            .exchange(&discovery(0))
            .expect_err("timeout");
        assert!(matches!(e, MailboxError::AbortFailed { .. }), "{e:?}");
        assert!(matches!(e.cause(), MailboxError::Timeout), "{e:?}");
        assert!(
            e.to_string().contains(
                "; aborting the exchange failed too: Busy or Error still set 1 s after an abort"
            ),
            "{e}"
        );
        assert!(clock.now() >= TIMEOUT * 2);
    }

    #[test]
    fn length_larger_than_the_data() {
        let mut sim = SimDoe::new();
        sim.misbehave = Misbehaviour::Length(10);
        let mut clock = FakeClock::default();
        let e = mailbox(&mut sim, &mut clock)
            .exchange(&discovery(0))
            .expect_err("lying length");
        assert!(
            matches!(
                e.cause(),
                MailboxError::Response(FrameError::Truncated { says: 10, got: 3 })
            ),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "bad response: data object length field says 10 DWs but only 3 came; exchange aborted"
        );
        assert_eq!(sim.aborts, 1);
    }

    #[test]
    fn length_smaller_than_the_data() {
        let mut sim = SimDoe::new();
        sim.misbehave = Misbehaviour::Length(2);
        let mut clock = FakeClock::default();
        let e = mailbox(&mut sim, &mut clock)
            .exchange(&discovery(0))
            .expect_err("lying length");
        assert!(
            matches!(e.cause(), MailboxError::TooLong { says: 2 }),
            "{e:?}"
        );
        assert_eq!(sim.aborts, 1);
        assert!(sim.read_buf.is_empty(), "the abort dropped the rest");
    }

    #[test]
    fn length_below_the_header() {
        for len in [1, 0x4_0001] {
            let mut sim = SimDoe::new();
            sim.misbehave = Misbehaviour::Length(len);
            let mut clock = FakeClock::default();
            let e = mailbox(&mut sim, &mut clock)
                .exchange(&discovery(0))
                .expect_err("lying length");
            assert!(
                matches!(
                    e.cause(),
                    MailboxError::Response(FrameError::LengthTooSmall { says: 1 })
                ),
                "{e:?}"
            );
        }
    }

    #[test]
    fn length_zero_is_2_to_the_18_and_checked_against_the_limit() {
        let mut sim = SimDoe::new();
        sim.misbehave = Misbehaviour::Length(0);
        let mut clock = FakeClock::default();
        let e = mailbox(&mut sim, &mut clock)
            .with_limit(1024)
            .exchange(&discovery(0))
            .expect_err("oversized");
        assert!(
            matches!(
                e.cause(),
                MailboxError::Response(FrameError::Oversized {
                    says: MAX_OBJECT_DWS,
                    limit: 1024
                })
            ),
            "{e:?}"
        );
        // With the full limit, the 2^18 DWs are expected, and run out.
        let mut sim = SimDoe::new();
        sim.misbehave = Misbehaviour::Length(0);
        let e = mailbox(&mut sim, &mut clock)
            .exchange(&discovery(0))
            .expect_err("runs out");
        assert!(
            matches!(
                e.cause(),
                MailboxError::Response(FrameError::Truncated {
                    says: MAX_OBJECT_DWS,
                    got: 3
                })
            ),
            "{e:?}"
        );
    }

    #[test]
    fn response_of_one_dw() {
        let mut sim = SimDoe::new();
        sim.misbehave = Misbehaviour::Truncate(1);
        let mut clock = FakeClock::default();
        let e = mailbox(&mut sim, &mut clock)
            .exchange(&discovery(0))
            .expect_err("short");
        assert!(
            matches!(
                e.cause(),
                MailboxError::Response(FrameError::Short { got: 1 })
            ),
            "{e:?}"
        );
    }

    #[test]
    fn config_errors_name_the_register() {
        let mut sim = SimDoe::new();
        let mut clock = FakeClock::default();
        let mut mb = mailbox(&mut sim, &mut clock);
        mb.cfg.fail_at = Some(BASE + REG_STATUS);
        let e = mb.exchange(&discovery(0)).expect_err("EIO");
        assert_eq!(
            e.to_string(),
            "reading DOE Status at config space offset 0x19c: Input/output error (EIO)"
        );
    }

    #[test]
    fn request_too_large() {
        let mut sim = SimDoe::new();
        let mut clock = FakeClock::default();
        let e = mailbox(&mut sim, &mut clock)
            .exchange(&DataObject::new(1, 0, vec![0; MAX_OBJECT_DWS]))
            .expect_err("too large");
        assert!(matches!(e, MailboxError::Request(_)), "{e:?}");
    }

    #[test]
    fn sysfs_config_on_a_file() {
        let dir = crate::testdir::TestDir::new("sysfs_config");
        let path = dir.path().join("config");
        std::fs::write(&path, [0u8; 256]).expect("write");
        let mut cfg = SysfsConfig::open(&path).expect("open");
        cfg.write32(0x10, 0x1234_5678).expect("write32");
        assert_eq!(cfg.read32(0x10).expect("read32"), 0x1234_5678);
        let bytes = std::fs::read(&path).expect("read");
        assert_eq!(&bytes[0x10..0x14], &[0x78, 0x56, 0x34, 0x12]);
        let e = cfg.read32(0x100).expect_err("beyond the end");
        assert!(e.to_string().contains("short read: 0 of 4 bytes"), "{e}");
        assert!(cfg.read32(0x11).is_err(), "unaligned");
        assert!(cfg.write32(0x11, 0).is_err(), "unaligned");
        let e = SysfsConfig::open(&dir.path().join("nothing")).expect_err("no file");
        assert_eq!(e.raw_os_error(), Some(2));
    }
}
