// SPDX-License-Identifier: GPL-2.0

//! CXL DOE mailboxes as auxiliary devices; part of `cxl_pci`.
//!
//! Once `cxl_pci` has bound a CXL memory device, each PCIe DOE extended capability of it
//! becomes an auxiliary device `cxl_pci.doe.N` (N unique system-wide, not reused while
//! `cxl_pci` stays loaded: a reload starts again at 0), carrying the PCI device and the
//! capability offset. The devices are removed, through devres, when `cxl_pci` unbinds.
//!
//! The PCI core drives every DOE mailbox (`drivers/pci/doe.c`); nothing here touches the
//! registers. Whether the kernel may use a mailbox is decided by the `cxl_doe` driver:
//!
//! - when it binds, it gives the mailbox back to the kernel (`pci_doe_release()`, which aborts
//!   whatever user space left in it), reads the mailbox's protocols and CDAT table once, and
//!   *lends* the mailbox: kernel users of the device's *slot*, an rw_semaphore, get it
//!   ([`MailboxSlot::get`], or `cxl_doe_get_mb()` / `cxl_doe_put_mb()` from C);
//! - when it unbinds through sysfs, it takes the slot's exclusive side, which waits for those
//!   users, drops what it read, and then claims the mailbox from the PCI core
//!   (`pci_doe_claim()`), which waits for the kernel exchange in flight. From then on
//!   `pci_doe()` fails with `EACCES` for every kernel caller, ours or the CXL core's, and the
//!   registers are user space's. A device PCI TSM has a session with stays the kernel's.
//!
//! A process that drives a handed-over mailbox *holds* it ([`Handover::hold`], through
//! `cxl_doe`'s `/dev/cxl_doe`) until it closes that file: a bind waits for the holder, for up to
//! [`HOLD_WAIT_MS`], and fails with `EBUSY` rather than abort a live exchange.
//!
//! Only an unbind through sysfs hands a mailbox to user space. When `cxl_doe` unloads, it
//! unbinds without a hand-over and takes every handed-over mailbox back
//! ([`cxl_doe_reclaim_all`]); when `cxl_pci` removes the device, the mailbox goes back to the
//! PCI core, as the device it was handed over with is gone.
//!
//! The device's attributes: `offset`, the capability's offset, always; `protocols` and `cdat`,
//! served from what the driver read when it bound, with no I/O, and `ENXIO` while unbound.

use core::ptr::NonNull;
use kernel::{
    bindings,
    device::Device,
    fmt,
    prelude::*,
    str::CString,
    sync::{
        atomic::{Atomic, Relaxed},
        new_condvar, new_mutex,
        rwsem::{new_rwsem, ReadGuard, RwSemaphore},
        Arc, ArcBorrow, CondVar, CondVarTimeoutResult, Mutex,
    },
    sysfs,
    task::Pid,
    time::{msecs_to_jiffies, Jiffies, Msecs},
};

/// PCI-SIG vendor ID of the DOE discovery protocol.
const VENDOR_PCI_SIG: u16 = 0x0001;
/// CXL vendor ID (the CXL consortium).
const VENDOR_CXL: u16 = 0x1e98;
/// DOE discovery, PCIe r6.0 sec 6.30.1.1.
const TYPE_DISCOVERY: u8 = 0;
/// CXL table access, CXL r3.1 sec 8.1.11.
const TYPE_TABLE_ACCESS: u8 = 2;
/// The last entry handle of a table access response.
const LAST_ENTRY: u16 = 0xffff;
/// Largest CDAT table taken; a header saying more is refused rather than allocated.
const CDAT_MAX: usize = 1 << 20;
/// Largest CDAT structure (its length field is 16 bits).
const ENTRY_MAX: usize = 0x10000;
/// Size of the CDAT header.
const CDAT_HEADER: usize = 16;

/// A DOE feature (protocol): a vendor ID and a data object type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Feature {
    /// Vendor ID of the protocol's owner.
    pub vendor: u16,
    /// Data object type within the vendor's protocols.
    pub kind: u8,
}

/// The PCI core's `doe_features` spelling: `vvvv:tt`.
impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04x}:{:02x}", self.vendor, self.kind)
    }
}

/// A mailbox of the PCI core.
///
/// # Invariants
///
/// Points to a mailbox of the PCI core, which frees it when it removes the PCI device
/// (`pci_destroy_dev()`), after unbinding `cxl_pci`: the value is used only while `cxl_pci` is
/// bound to the device.
#[derive(Clone, Copy)]
struct Mailbox(NonNull<bindings::pci_doe_mb>);

// SAFETY: The PCI core's mailbox may be used from any thread; `pci_doe()` queues and waits.
unsafe impl Send for Mailbox {}
// SAFETY: See `Send`.
unsafe impl Sync for Mailbox {}

impl Mailbox {
    /// The PCI core's mailbox at `cap_offset` of `pdev`, or `ENODEV`.
    ///
    /// # Safety
    ///
    /// `pdev` is a valid PCI device that `cxl_pci` is bound to (or binding), and the returned
    /// value is used only while that binding lasts: the PCI core frees the mailbox after
    /// `cxl_pci` has unbound.
    unsafe fn at(pdev: *mut bindings::pci_dev, cap_offset: u16) -> Result<Self> {
        // SAFETY: `pdev` is valid (safety requirements).
        let mb = unsafe { bindings::pci_find_doe_mailbox_at(pdev, cap_offset) };
        // INVARIANT: The PCI core frees the mailbox after `cxl_pci` has unbound, and the value
        // is not used past that (safety requirements).
        NonNull::new(mb).map(Self).ok_or(ENODEV)
    }

    /// One DOE exchange through the PCI core: sends `request` (whole DWs) to the protocol
    /// `vendor`/`kind`, receives into `response`, returns how many bytes came back.
    fn exchange(
        &self,
        vendor: u16,
        kind: u8,
        request: &[u8],
        response: &mut [u8],
    ) -> Result<usize> {
        if request.len() % 4 != 0 || response.len() % 4 != 0 {
            return Err(EINVAL);
        }
        // SAFETY: The mailbox is valid (type invariants); the buffers are valid for their
        // lengths.
        let r = unsafe {
            bindings::pci_doe(
                self.0.as_ptr(),
                vendor,
                kind,
                request.as_ptr().cast(),
                request.len(),
                response.as_mut_ptr().cast(),
                response.len(),
            )
        };
        usize::try_from(r).map_err(|_| Error::from_errno(r))
    }

    /// Gives the mailbox that `claimer` claimed back to the kernel: aborts what user space left
    /// in it. A mailbox nobody claimed (`EINVAL`) is fine as it is.
    fn release(&self, claimer: &MailboxSlot) -> Result {
        // SAFETY: The mailbox is valid (type invariants).
        match kernel::error::to_result(unsafe {
            bindings::pci_doe_release(self.0.as_ptr(), claimer.cookie())
        }) {
            Err(e) if e == EINVAL => Ok(()),
            r => r,
        }
    }

    /// Takes the mailbox away from every kernel user, for `claimer`, waiting for the exchange
    /// in flight. `EBUSY` if it is claimed already, or PCI TSM uses the device.
    fn claim(&self, claimer: &MailboxSlot) -> Result {
        // SAFETY: The mailbox is valid (type invariants).
        kernel::error::to_result(unsafe {
            bindings::pci_doe_claim(self.0.as_ptr(), claimer.cookie())
        })
    }

    /// The features of the mailbox, by DOE discovery: with request version 2 on a
    /// capability of version 2 or later, as the PCI core does (PCIe r6.1 sec 6.30.1.1).
    fn discover(&self, cap_version: u8) -> Result<KVec<Feature>> {
        let version: u32 = if cap_version >= 2 { 2 } else { 0 };
        let mut features = KVec::new();
        let mut index = 0u8;
        // At most 256 indices: a mailbox that never says "last" is an error, not a hang.
        for _ in 0..=u8::MAX as usize {
            let mut rsp = [0u8; 4];
            let n = self.exchange(
                VENDOR_PCI_SIG,
                TYPE_DISCOVERY,
                &(u32::from(index) | version << 8).to_le_bytes(),
                &mut rsp,
            )?;
            if n != rsp.len() {
                return Err(EIO);
            }
            let dw = u32::from_le_bytes(rsp);
            features.push(
                Feature {
                    vendor: dw as u16,
                    kind: (dw >> 16) as u8,
                },
                GFP_KERNEL,
            )?;
            index = (dw >> 24) as u8;
            if index == 0 {
                return Ok(features);
            }
        }
        Err(EIO)
    }

    /// The whole CDAT table, through CXL table access: complete and checked, or an error and a
    /// line in the log saying what was wrong with it (`EBADMSG` for a malformed table).
    fn read_cdat(&self, dev: &Device) -> Result<KVVec<u8>> {
        let bad = |args: fmt::Arguments<'_>| {
            dev_err!(dev, "malformed CDAT: {}\n", args);
            EBADMSG
        };
        let mut rsp = KVVec::from_elem(0u8, 4 + ENTRY_MAX, GFP_KERNEL)?;
        // Request: read (0), table type CDAT (0), entry handle; the response's first DW says
        // the same code and type, and has the next handle.
        let read_entry = |rsp: &mut [u8], handle: u16| -> Result<(u16, usize)> {
            let n = self.exchange(
                VENDOR_CXL,
                TYPE_TABLE_ACCESS,
                &(u32::from(handle) << 16).to_le_bytes(),
                rsp,
            )?;
            if n < 4 {
                return Err(EIO);
            }
            let dw = u32::from_le_bytes([rsp[0], rsp[1], rsp[2], rsp[3]]);
            if dw & 0xffff != 0 {
                return Err(bad(fmt!(
                    "entry {} came with response code {:#x} and table type {:#x}, not a read \
                     of the CDAT (0, 0)",
                    handle,
                    dw & 0xff,
                    (dw >> 8) & 0xff
                )));
            }
            Ok(((dw >> 16) as u16, n))
        };
        // The header, whose first DW is the length of the whole table.
        let (mut handle, n) = read_entry(&mut rsp, 0)?;
        let header = rsp.get(4..n).ok_or(EIO)?;
        if header.len() != CDAT_HEADER {
            return Err(bad(fmt!("a header of {} bytes", header.len())));
        }
        let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
        if len < CDAT_HEADER {
            return Err(bad(fmt!(
                "a length of {} bytes, shorter than its header",
                len
            )));
        }
        if len > CDAT_MAX {
            return Err(bad(fmt!(
                "a length of {} bytes, more than {} taken",
                len,
                CDAT_MAX
            )));
        }
        let mut table = KVVec::with_capacity(len, GFP_KERNEL)?;
        table.extend_from_slice(header, GFP_KERNEL)?;
        while handle != LAST_ENTRY {
            // Each structure is at least 4 bytes: more rounds than that is a loop.
            if table.len() >= len {
                return Err(bad(fmt!("more structures than the length {} holds", len)));
            }
            let (next, n) = read_entry(&mut rsp, handle)?;
            let entry = rsp.get(4..n).ok_or(EIO)?;
            let slen = entry
                .get(2..4)
                .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize);
            if entry.len() < 4 || slen != Some(entry.len()) {
                return Err(bad(fmt!(
                    "entry {} of {} bytes says it has {}",
                    handle,
                    entry.len(),
                    slen.unwrap_or(0)
                )));
            }
            if table.len() + entry.len() > len {
                return Err(bad(fmt!("structures past the header's length of {}", len)));
            }
            table.extend_from_slice(entry, GFP_KERNEL)?;
            handle = next;
        }
        if table.len() != len {
            return Err(bad(fmt!(
                "{} bytes where the header says {}",
                table.len(),
                len
            )));
        }
        if table.iter().fold(0u8, |s, b| s.wrapping_add(*b)) != 0 {
            return Err(bad(fmt!("its checksum does not add up")));
        }
        Ok(table)
    }
}

/// The version of the extended capability at `offset` of `pdev`; 0 if it cannot be read.
///
/// # Safety
///
/// `pdev` is a valid PCI device.
unsafe fn cap_version(pdev: *mut bindings::pci_dev, offset: u16) -> u8 {
    let mut header = 0u32;
    // SAFETY: `pdev` is valid (safety requirements) and `header` is writable.
    let r = unsafe { bindings::pci_read_config_dword(pdev, offset.into(), &mut header) };
    if r != 0 {
        return 0;
    }
    ((header >> 16) & 0xf) as u8
}

/// What the `cxl_doe` driver lent to kernel users when it bound: the mailbox, and what it read
/// from it then.
struct Lent {
    mb: Mailbox,
    /// The mailbox's features, or why discovery failed.
    protocols: Result<KVec<Feature>>,
    /// The CDAT table, or why it could not be read.
    cdat: Result<KVVec<u8>>,
}

/// The state behind a slot's rw_semaphore.
struct SlotState {
    /// Set while the driver is bound.
    lent: Option<Lent>,
    /// Set when `cxl_pci` removes the device: an unbind from then on is not a hand-over to
    /// user space.
    removing: bool,
    /// The capability's registers, marked exclusive to the kernel while it owns the mailbox:
    /// from the device's creation to a hand-over, and from a bind or the module's unload,
    /// which take the mailbox back, to the next hand-over or the device's removal.
    exclusive: Option<Exclusive>,
}

/// Who has the mailbox, outside the kernel's use of it.
struct Hand {
    /// Claimed for user space: from an unbind that handed it over until a bind, the module's
    /// unload or the device's removal takes it back. A mailbox no driver ever bound is the
    /// kernel's.
    user: bool,
    /// The process that holds the mailbox for its exchanges, while `user` is set.
    holder: Option<Pid>,
    /// Set while the kernel waits for the holder to take the mailbox back: no new holds.
    reclaiming: bool,
}

/// How long taking a mailbox back waits for the process that holds it, in milliseconds.
const HOLD_WAIT_MS: Msecs = 10_000;

/// Who has a mailbox outside the kernel's use of it, shared with the holds of user space,
/// which may outlive the device: it refers to nothing of the device.
#[pin_data]
struct Handover {
    /// Outside the slot's rw_semaphore, so that reading it never waits for an unbind that
    /// waits for the kernel's users.
    #[pin]
    hand: Mutex<Hand>,
    /// Signalled when a holder lets go.
    #[pin]
    let_go: CondVar,
}

impl Handover {
    /// Lets the process `pid` hold a mailbox that user space owns, for its exchanges: until
    /// [`Self::let_go`], nothing takes the mailbox back. `EBUSY` when the kernel owns it or is
    /// taking it back, `EAGAIN` when another process holds it.
    fn hold(&self, pid: Pid) -> Result {
        let mut h = self.hand.lock();
        if !h.user || h.reclaiming {
            return Err(EBUSY);
        }
        if h.holder.is_some() {
            return Err(EAGAIN);
        }
        h.holder = Some(pid);
        Ok(())
    }

    /// Ends the hold of [`Self::hold`].
    fn let_go(&self) {
        self.hand.lock().holder = None;
        self.let_go.notify_all();
    }
}

/// The guard of a mailbox: an rw_semaphore around what the bound driver lent, and who holds it
/// while it is user space's.
#[pin_data]
pub struct MailboxSlot {
    #[pin]
    state: RwSemaphore<SlotState>,
    handover: Arc<Handover>,
}

impl MailboxSlot {
    /// An empty slot: no driver is bound.
    pub fn new() -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            state <- new_rwsem!(
                SlotState {
                    lent: None,
                    removing: false,
                    exclusive: None,
                },
                "cxl_pci_doe::slot"
            ),
            handover: Arc::pin_init(
                pin_init!(Handover {
                    hand <- new_mutex!(
                        Hand {
                            user: false,
                            holder: None,
                            reclaiming: false,
                        },
                        "cxl_pci_doe::hand"
                    ),
                    let_go <- new_condvar!("cxl_pci_doe::let_go"),
                }),
                GFP_KERNEL
            )?,
        }? Error)
    }

    /// The cookie this slot claims its mailbox from the PCI core with: its address, which does
    /// not change, as it is pinned.
    fn cookie(&self) -> *const c_void {
        core::ptr::from_ref(self).cast()
    }

    /// The mailbox, held until the guard is dropped; `ENXIO` while no driver is bound.
    pub fn get(&self) -> Result<MailboxGuard<'_>> {
        let guard = self.state.read();
        if guard.lent.is_none() {
            return Err(ENXIO);
        }
        Ok(MailboxGuard { guard })
    }

    /// Lends `lent` to kernel users: the driver binds, with the mailbox released to the
    /// kernel.
    fn lend(&self, lent: Lent) {
        self.state.write().lent = Some(lent);
    }

    /// Whether user space owns the mailbox.
    fn user_owned(&self) -> bool {
        self.handover.hand.lock().user
    }

    /// Takes the mailbox back from user space, for a bind (`why` says which) or the module's
    /// unload: waits up to `wait` ([`HOLD_WAIT_MS`] but in tests) for the process that holds
    /// it, then, with no holder left, says the kernel owns it. `Ok(false)` if user space did
    /// not own it; `EBUSY` if the holder kept it; `EINTR` if a signal came first. Until the
    /// caller releases the mailbox from the PCI core, no new hold is taken.
    fn reclaim(&self, dev: &Device, why: &str, wait: Jiffies) -> Result<bool> {
        let ho = &self.handover;
        let mut h = ho.hand.lock();
        if !h.user {
            return Ok(false);
        }
        h.reclaiming = true;
        let mut left = wait;
        while h.holder.is_some() && left > 0 {
            left = match ho.let_go.wait_interruptible_timeout(&mut h, left) {
                CondVarTimeoutResult::Signal { .. } => {
                    h.reclaiming = false;
                    return Err(EINTR);
                }
                CondVarTimeoutResult::Timeout => 0,
                CondVarTimeoutResult::Woken { jiffies } => jiffies,
            };
        }
        h.reclaiming = false;
        if let Some(pid) = h.holder {
            dev_err!(
                dev,
                "process {} holds the mailbox for user space; not taking it back for {}\n",
                pid,
                why
            );
            return Err(EBUSY);
        }
        h.user = false;
        Ok(true)
    }

    /// Takes back what was lent, once every holder of a guard has let go, and if `hand_over`
    /// and the device is not being removed, claims the mailbox for user space.
    fn take_back(&self, dev: &Device, hand_over: bool) {
        let mut s = self.state.write();
        let Some(lent) = s.lent.take() else { return };
        let mb = lent.mb;
        drop(lent);
        if s.removing || !hand_over {
            return;
        }
        match mb.claim(self) {
            Ok(()) => {
                // The registers stop being the kernel's before user space may hold them.
                s.exclusive = None;
                self.handover.hand.lock().user = true;
            }
            Err(e) => dev_err!(
                dev,
                "not handing the mailbox to user space, the kernel keeps it: {:?}\n",
                e
            ),
        }
    }
}

/// Use of a lent mailbox. While any guard lives, the driver cannot unbind.
pub struct MailboxGuard<'a> {
    guard: ReadGuard<'a, SlotState>,
}

impl MailboxGuard<'_> {
    /// What is lent: always there, as [`MailboxSlot::get`] checked and it cannot change while
    /// the read side is held.
    fn lent(&self) -> Result<&Lent> {
        self.guard.lent.as_ref().ok_or(ENXIO)
    }

    /// One DOE exchange through the PCI core: sends `request` (whole DWs) to the protocol
    /// `vendor`/`kind`, receives into `response`, returns how many bytes came back.
    pub fn exchange(
        &self,
        vendor: u16,
        kind: u8,
        request: &[u8],
        response: &mut [u8],
    ) -> Result<usize> {
        self.lent()?.mb.exchange(vendor, kind, request, response)
    }

    /// The mailbox's features, as discovered when the driver bound.
    pub fn protocols(&self) -> Result<&[Feature]> {
        self.lent()?.protocols.as_deref().map_err(|e| *e)
    }

    /// The CDAT table, as read when the driver bound.
    pub fn cdat(&self) -> Result<&[u8]> {
        self.lent()?.cdat.as_deref().map_err(|e| *e)
    }
}

/// What `cxl_pci` keeps with each `cxl_pci.doe.N`, in the device's `platform_data`.
///
/// # Invariants
///
/// `pdev` is the parent PCI device, which outlives the auxiliary device and so this value.
/// `adev` is the device, added by [`create_one`]; it lives until `remove` has deleted it and
/// dropped its reference to this value.
#[pin_data]
struct DoeDev {
    adev: *mut bindings::auxiliary_device,
    pdev: *mut bindings::pci_dev,
    cap_offset: u16,
    #[pin]
    mailbox: MailboxSlot,
}

// SAFETY: `pdev` is only used to reach the PCI core's mailboxes, and `adev` for logging, which
// is allowed from any thread; the rest is `Send + Sync`.
unsafe impl Send for DoeDev {}
// SAFETY: See `Send`.
unsafe impl Sync for DoeDev {}

impl DoeDev {
    /// The DOE device of the auxiliary device `adev`, or `EINVAL` if `adev` is not a
    /// `cxl_pci.doe.N` (its attribute groups are not ours).
    ///
    /// # Safety
    ///
    /// `adev` is a valid auxiliary device, which stays registered for `'a`.
    unsafe fn from_adev<'a>(adev: *const bindings::auxiliary_device) -> Result<&'a Self> {
        // SAFETY: `adev` is valid (safety requirements).
        let dev = unsafe { &(*adev).dev };
        // Only `create_one` gives a device the address of the static `GROUPS`.
        if !core::ptr::eq(dev.groups.cast_const(), GROUPS.as_raw().cast_const()) {
            return Err(EINVAL);
        }
        let data = dev.platform_data.cast::<DoeDev>();
        if data.is_null() {
            return Err(ENXIO);
        }
        // SAFETY: `create_one` set `platform_data` to a `DoeDev` that `remove` drops only after
        // deleting the device, and the device is registered (safety requirements).
        Ok(unsafe { &*data })
    }

    /// The auxiliary device's generic device.
    fn dev(&self) -> &Device {
        // SAFETY: `adev` lives as long as `self` (type invariants).
        unsafe { Device::from_raw(&raw mut (*self.adev).dev) }
    }

    /// Binds the `cxl_doe` driver: gives the mailbox back to the kernel, reads it, lends it.
    fn lend(&self) -> Result {
        // SAFETY: `cxl_doe` is binding the device, so `cxl_pci` is bound to `pdev`, and the
        // mailbox is used until the unbind (`take_back`), which `remove` waits for.
        let mb = unsafe { Mailbox::at(self.pdev, self.cap_offset) }.inspect_err(|_| {
            dev_err!(
                self.dev(),
                "the PCI core has no mailbox at {:#x}\n",
                self.cap_offset
            );
        })?;
        let r = self.reclaim(&mb, "a bind");
        // The kernel's again, even if dead; still user space's if its holder kept it.
        self.mark_exclusive(&mut self.mailbox.state.write());
        r?;
        // SAFETY: `pdev` is valid (type invariants).
        let cap_version = unsafe { cap_version(self.pdev, self.cap_offset) };
        let protocols = mb.discover(cap_version).inspect_err(|e| {
            dev_warn!(self.dev(), "DOE discovery failed: {:?}\n", e);
        });
        let cdat = if protocols.as_ref().is_ok_and(|p| {
            p.contains(&Feature {
                vendor: VENDOR_CXL,
                kind: TYPE_TABLE_ACCESS,
            })
        }) {
            mb.read_cdat(self.dev())
        } else {
            Err(ENODEV)
        };
        self.mailbox.lend(Lent {
            mb,
            protocols,
            cdat,
        });
        Ok(())
    }

    /// Marks the DOE registers exclusive to the kernel, unless they are already, or user space
    /// owns the mailbox, or the device is going away.
    fn mark_exclusive(&self, s: &mut SlotState) {
        // Under the state's lock, which a hand-over and `remove` take too: the kernel still
        // owns the mailbox, and `cxl_pci` is still bound.
        if s.exclusive.is_some() || s.removing || self.mailbox.user_owned() {
            return;
        }
        // SAFETY: `pdev` is valid and `cxl_pci` bound to it (type invariants, and `removing`
        // is not set); `remove` drops the region before `cxl_pci`'s unbind completes.
        s.exclusive = unsafe { Exclusive::request(self.pdev, self.cap_offset) };
        if s.exclusive.is_none() {
            dev_warn!(
                self.dev(),
                "cannot mark the DOE registers kernel-exclusive\n"
            );
        }
    }

    /// Takes the mailbox back from user space for the kernel, once no process holds it (see
    /// [`MailboxSlot::reclaim`]), aborting what user space left in it. A mailbox that the abort
    /// does not bring back is dead: the PCI core says so, and the error is returned.
    fn reclaim(&self, mb: &Mailbox, why: &str) -> Result {
        if !self
            .mailbox
            .reclaim(self.dev(), why, msecs_to_jiffies(HOLD_WAIT_MS))?
        {
            return Ok(());
        }
        mb.release(&self.mailbox).inspect_err(|e| {
            dev_err!(
                self.dev(),
                "the mailbox came back from user space dead: {:?}\n",
                e
            );
        })
    }

    /// Gives a mailbox that user space owns back to the kernel as `cxl_doe` unloads, unless
    /// `cxl_pci` is removing the device, which does it itself.
    fn reclaim_for_unload(&self) {
        let mut s = self.mailbox.state.write();
        if s.removing {
            return;
        }
        // SAFETY: `cxl_pci` has not started to remove the device, and cannot finish before
        // the lock is let go.
        if let Ok(mb) = unsafe { Mailbox::at(self.pdev, self.cap_offset) } {
            let _ = self.reclaim(&mb, "the driver's unload");
            self.mark_exclusive(&mut s);
        }
    }

    /// Unbinds the `cxl_doe` driver: waits for the kernel users of the slot, drops what was
    /// read, and if `hand_over` and the device is not going away, claims the mailbox for user
    /// space.
    fn take_back(&self, hand_over: bool) {
        self.mailbox.take_back(self.dev(), hand_over);
    }

    /// The `cxl_pci.doe.N` of `adev`.
    ///
    /// # Safety
    ///
    /// `adev` is a valid auxiliary device, whose reference the caller holds for as long as it
    /// uses the returned value (which refers to the device: see the type invariants).
    unsafe fn arc_of(adev: *mut bindings::auxiliary_device) -> Result<Arc<Self>> {
        // SAFETY: `adev` is valid (safety requirements).
        let dev = unsafe { &raw mut (*adev).dev };
        // SAFETY: As above.
        if !core::ptr::eq(unsafe { (*dev).groups }.cast_const(), GROUPS.as_raw()) {
            return Err(ENODEV);
        }
        let rcu = kernel::sync::rcu::read_lock();
        // SAFETY: `dev` is valid. `remove` clears `platform_data`, and waits for an RCU grace
        // period before it drops the reference the field held.
        let data = unsafe { (&raw const (*dev).platform_data).read_volatile() }.cast::<DoeDev>();
        let r = if data.is_null() {
            Err(ENODEV)
        } else {
            // SAFETY: `data` came from `Arc::into_raw`, and the reference of `platform_data`
            // lives until after this read-side critical section (above).
            Ok(unsafe { ArcBorrow::from_raw(data) }.into())
        };
        drop(rcu);
        r
    }

    /// The hand-over state of the `cxl_pci.doe.N` named `cxl_pci.doe.<id>`, or `ENODEV`: not
    /// the device's data, which must not outlive the device reference dropped here.
    fn find_handover(id: u32) -> Result<Arc<Handover>> {
        let name = CString::try_from_fmt(fmt!("cxl_pci.doe.{id}"))?;
        // SAFETY: `name` is a C string that lives across the call, as `device_match_name()`
        // needs.
        let adev = unsafe {
            bindings::auxiliary_find_device(
                core::ptr::null_mut(),
                name.as_char_ptr().cast(),
                Some(bindings::device_match_name),
            )
        };
        if adev.is_null() {
            return Err(ENODEV);
        }
        // SAFETY: `auxiliary_find_device()` returned `adev` with a reference.
        let r = unsafe { Self::arc_of(adev) }.map(|dd| dd.mailbox.handover.clone());
        // SAFETY: That reference, put once.
        unsafe { bindings::put_device(&raw mut (*adev).dev) };
        r
    }
}

/// The DOE capability's registers marked exclusive to the kernel while it owns the mailbox, as
/// `pci_request_config_region_exclusive()` does: a write by user space through sysfs logs a
/// warning and taints the kernel.
///
/// # Invariants
///
/// `pdev` is the PCI device of a `cxl_pci.doe.N` whose region this is, requested by
/// [`Exclusive::request`], and the value is dropped before `cxl_pci` unbinds from it.
struct Exclusive {
    pdev: *mut bindings::pci_dev,
    offset: u16,
}

// SAFETY: Only used to release the region, which may be done from any thread.
unsafe impl Send for Exclusive {}
// SAFETY: No method takes `&self`.
unsafe impl Sync for Exclusive {}

impl Exclusive {
    /// Marks the registers of the DOE capability at `offset` exclusive, or `None` if another
    /// region overlaps them.
    ///
    /// # Safety
    ///
    /// `pdev` is valid, and the returned value is dropped before `cxl_pci` unbinds from it.
    unsafe fn request(pdev: *mut bindings::pci_dev, offset: u16) -> Option<Self> {
        // SAFETY: `pdev` is valid (safety requirements); the name is 'static.
        let r = unsafe {
            bindings::__request_region(
                &raw mut (*pdev).driver_exclusive_resource,
                offset.into(),
                bindings::PCI_DOE_CAP_SIZEOF.into(),
                c"cxl_doe".as_char_ptr(),
                bindings::IORESOURCE_EXCLUSIVE as c_int,
            )
        };
        // INVARIANT: Requested above.
        (!r.is_null()).then(|| Self { pdev, offset })
    }
}

impl Drop for Exclusive {
    fn drop(&mut self) {
        // SAFETY: The region was requested (type invariants) and `pdev` is valid.
        unsafe {
            bindings::__release_region(
                &raw mut (*self.pdev).driver_exclusive_resource,
                self.offset.into(),
                bindings::PCI_DOE_CAP_SIZEOF.into(),
            )
        };
    }
}

/// The owner of the attributes of `cxl_pci.doe.N`: they show the [`DoeDev`] of the device.
struct DoeAttrs;

// SAFETY: `GROUPS` is attached only in `create_one`, to the device of a `DoeDev` kept in its
// `platform_data`, which `remove` drops after deleting the device, which removes its
// attributes.
unsafe impl sysfs::Owner for DoeAttrs {
    type Data = DoeDev;

    unsafe fn data<'a>(dev: *mut bindings::device) -> &'a DoeDev {
        // SAFETY: `dev` is a device of `create_one` whose attribute is being used, so its
        // `platform_data` is a live `DoeDev` (the above).
        unsafe { &*(*dev).platform_data.cast::<DoeDev>() }
    }
}

/// Unique ids of `cxl_pci.doe.N`.
static NEXT_ID: Atomic<u32> = Atomic::new(0);

/// Creates `cxl_pci.doe.N` for each DOE capability of `pdev`; called at the end of `cxl_pci`'s
/// probe. A failure is logged and leaves the memory device working without that mailbox's
/// device.
///
/// # Safety
///
/// `pdev` is a PCI device that `cxl_pci` is binding (devres is available on it).
#[export]
pub unsafe extern "C" fn cxl_pci_doe_create_devices(pdev: *mut bindings::pci_dev) {
    let mut offset = 0u16;
    loop {
        // SAFETY: `pdev` is valid (safety requirements).
        offset = unsafe {
            bindings::pci_find_next_ext_capability(
                pdev,
                offset,
                bindings::PCI_EXT_CAP_ID_DOE as i32,
            )
        };
        if offset == 0 {
            break;
        }
        // SAFETY: By the safety requirements.
        if let Err(e) = unsafe { create_one(pdev, offset) } {
            // SAFETY: `pdev` is valid.
            let dev: &Device = unsafe { Device::from_raw(&raw mut (*pdev).dev) };
            dev_warn!(
                dev,
                "no auxiliary device for the DOE mailbox at {:#x}: {:?}\n",
                offset,
                e
            );
        }
    }
}

/// # Safety
///
/// As [`cxl_pci_doe_create_devices`].
unsafe fn create_one(pdev: *mut bindings::pci_dev, cap_offset: u16) -> Result {
    let adev = kernel::aux_device::alloc()?;
    let dd = match Arc::pin_init(
        try_pin_init!(DoeDev {
            adev,
            pdev,
            cap_offset,
            mailbox <- MailboxSlot::new(),
        }),
        GFP_KERNEL,
    ) {
        Ok(dd) => dd,
        Err(e) => {
            // SAFETY: Not initialised, not used again.
            unsafe { kernel::aux_device::free(adev) };
            return Err(e);
        }
    };
    // SAFETY: `adev` is valid and not yet shared; `pdev` is valid; the name and groups are
    // 'static. The reference to `dd` in `platform_data` is dropped by `remove`, or below.
    unsafe {
        (*adev).name = c"doe".as_char_ptr();
        (*adev).id = NEXT_ID.fetch_add(1, Relaxed);
        (*adev).dev.parent = &raw mut (*pdev).dev;
        (*adev).dev.groups = GROUPS.as_raw();
        (*adev).dev.platform_data = Arc::into_raw(dd).cast_mut().cast();
    }
    // SAFETY: `adev` is filled in as `auxiliary_device_init()` requires.
    if let Err(e) = kernel::error::to_result(unsafe { bindings::auxiliary_device_init(adev) }) {
        // SAFETY: Init failed: the device was never live; the data is ours again.
        unsafe {
            drop(Arc::from_raw((*adev).dev.platform_data.cast::<DoeDev>()));
            kernel::aux_device::free(adev);
        }
        return Err(e);
    }
    // SAFETY: `adev` is initialised; "cxl_pci" is this module's name.
    if let Err(e) = kernel::error::to_result(unsafe {
        bindings::__auxiliary_device_add(adev, c"cxl_pci".as_char_ptr())
    }) {
        // SAFETY: Initialised but not added: nothing else uses the data; dropping the
        // reference frees the device.
        unsafe {
            drop(Arc::from_raw((*adev).dev.platform_data.cast::<DoeDev>()));
            bindings::auxiliary_device_uninit(adev);
        }
        return Err(e);
    }
    // The kernel owns the mailbox of a device no driver has bound yet.
    {
        // SAFETY: Added, and `remove` (registered next, or run at once) is what drops the data.
        let dd = unsafe { &*(*adev).dev.platform_data.cast::<DoeDev>() };
        dd.mark_exclusive(&mut dd.mailbox.state.write());
    }
    // SAFETY: `pdev` is binding, so devres is live; on failure `remove` runs at once.
    kernel::error::to_result(unsafe {
        bindings::devm_add_action_or_reset(&raw mut (*pdev).dev, Some(remove), adev.cast())
    })
}

/// Devres action: removes a `cxl_pci.doe.N` when `cxl_pci` unbinds.
///
/// # Safety
///
/// `adev` is a device added by [`create_one`], which registered this action for it once.
unsafe extern "C" fn remove(adev: *mut c_void) {
    let adev = adev.cast::<bindings::auxiliary_device>();
    // SAFETY: `adev` is a live `cxl_pci.doe.N` (safety requirements).
    let data = unsafe { (*adev).dev.platform_data.cast::<DoeDev>() };
    // SAFETY: As above: `platform_data` holds a reference to the `DoeDev`.
    let dd = unsafe { &*data };
    // A driver unbound by the removal leaves the mailbox to the PCI core.
    dd.mailbox.state.write().removing = true;
    // SAFETY: `adev` was added by `create_one`, which registered this action once. Once it is
    // deleted, its attributes and driver are gone and nothing uses the data any more; the
    // device itself is freed by the kernel's release callback, whenever its last reference
    // goes.
    unsafe { bindings::auxiliary_device_delete(adev) };
    // User space's claim came with the device, which is gone: the mailbox goes back to the
    // kernel once the process that holds it lets go, or after `HOLD_WAIT_MS`, aborting the
    // exchange it has in flight.
    // SAFETY: `cxl_pci` is unbinding, not done yet (type invariants of `Mailbox`).
    if let Ok(mb) = unsafe { Mailbox::at(dd.pdev, dd.cap_offset) } {
        let r = dd.reclaim(&mb, "the device's removal");
        if matches!(r, Err(e) if e == EBUSY || e == EINTR) {
            dev_warn!(
                dd.dev(),
                "taking the mailbox back anyway, as the device goes away\n"
            );
            dd.mailbox.handover.hand.lock().user = false;
            let _ = mb.release(&dd.mailbox);
        }
    }
    // Before `cxl_pci` unbinds, which is the region's end.
    dd.mailbox.state.write().exclusive = None;
    // SAFETY: As above. No new reference comes from `platform_data` once it is cleared and a
    // grace period has passed (see `arc_of()`); the reference it held is dropped once. (One
    // grace period per mailbox: `cxl_pci` unbinds rarely.)
    unsafe {
        let dev = &raw mut (*adev).dev;
        (&raw mut (*dev).platform_data).write_volatile(core::ptr::null_mut());
        bindings::synchronize_rcu();
        drop(Arc::from_raw(data));
        bindings::auxiliary_device_uninit(adev);
    }
}

// The C API, `include/cxl/doe.h`.

/// The lent mailbox of `adev`, its guard held shared; `ERR_PTR(-ENXIO)` while the driver is
/// unbound, `ERR_PTR(-EINVAL)` for a device that is not a `cxl_pci.doe.N`.
///
/// # Safety
///
/// `adev` is a valid auxiliary device. A successful call is paired with [`cxl_doe_put_mb`] by
/// the same task.
#[export]
pub unsafe extern "C" fn cxl_doe_get_mb(
    adev: *mut bindings::auxiliary_device,
) -> *mut bindings::pci_doe_mb {
    // SAFETY: By the safety requirements.
    let r = unsafe { DoeDev::from_adev(adev) }.and_then(|dd| {
        let g = dd.mailbox.get()?;
        let mb = g.lent()?.mb.0.as_ptr();
        // Held until `cxl_doe_put_mb()`.
        g.guard.leak();
        Ok(mb)
    });
    r.unwrap_or_else(|e| e.to_ptr())
}

/// Releases the guard that [`cxl_doe_get_mb`] took.
///
/// # Safety
///
/// The calling task got the mailbox of `adev` with [`cxl_doe_get_mb`] and no longer uses it.
#[export]
pub unsafe extern "C" fn cxl_doe_put_mb(adev: *mut bindings::auxiliary_device) {
    // SAFETY: By the safety requirements.
    if let Ok(dd) = unsafe { DoeDev::from_adev(adev) } {
        // SAFETY: The task holds the slot shared through the guard `cxl_doe_get_mb()` leaked.
        unsafe { dd.mailbox.state.read_unlock() };
    }
}

/// Binds the `cxl_doe` driver to `adev`: gives its mailbox back to the kernel, aborting what
/// user space left in it, reads its protocols and CDAT table, and lends it to kernel users.
///
/// # Safety
///
/// `adev` is a valid auxiliary device that the calling driver is binding.
#[export]
pub unsafe extern "C" fn cxl_doe_lend(adev: *mut bindings::auxiliary_device) -> c_int {
    // SAFETY: By the safety requirements.
    match unsafe { DoeDev::from_adev(adev) }.and_then(|dd| dd.lend()) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Unbinds the `cxl_doe` driver from `adev`: waits for its kernel users, drops what was read,
/// and if `hand_over`, claims the mailbox for user space unless `cxl_pci` is removing the
/// device.
///
/// # Safety
///
/// `adev` is a valid auxiliary device that the calling driver bound with [`cxl_doe_lend`].
#[export]
pub unsafe extern "C" fn cxl_doe_take_back(adev: *mut bindings::auxiliary_device, hand_over: bool) {
    // SAFETY: By the safety requirements.
    if let Ok(dd) = unsafe { DoeDev::from_adev(adev) } {
        dd.take_back(hand_over);
    }
}

/// Lets the process `pid` hold the mailbox of `cxl_pci.doe.<id>`, which user space owns, until
/// [`cxl_doe_let_go`]: nothing takes it back meanwhile. `ERR_PTR(-ENODEV)` for no such device,
/// `ERR_PTR(-EBUSY)` while the kernel owns it or is taking it back, `ERR_PTR(-EAGAIN)` while
/// another process holds it.
#[export]
pub extern "C" fn cxl_doe_hold(id: u32, pid: bindings::pid_t) -> *mut bindings::cxl_doe_hold {
    let r = DoeDev::find_handover(id).and_then(|ho| {
        ho.hold(pid)?;
        Ok(Arc::into_raw(ho).cast_mut().cast())
    });
    r.unwrap_or_else(|e| e.to_ptr())
}

/// Ends a hold of [`cxl_doe_hold`].
///
/// # Safety
///
/// `hold` came from a successful [`cxl_doe_hold`] and is not used afterwards.
#[export]
pub unsafe extern "C" fn cxl_doe_let_go(hold: *mut bindings::cxl_doe_hold) {
    // SAFETY: `cxl_doe_hold()` made `hold` with `Arc::into_raw()`; given back once.
    let ho = unsafe { Arc::<Handover>::from_raw(hold.cast_const().cast()) };
    ho.let_go();
}

/// Whether `dev` is a `cxl_pci.doe.N`: `data` is our attribute groups.
///
/// # Safety
///
/// `dev` is a valid device.
unsafe extern "C" fn has_groups(dev: *mut bindings::device, data: *const c_void) -> c_int {
    // SAFETY: `dev` is valid (safety requirements).
    c_int::from(core::ptr::eq(
        unsafe { (*dev).groups }.cast::<c_void>(),
        data,
    ))
}

/// Gives every mailbox that user space owns back to the kernel: the `cxl_doe` driver unloads,
/// and with it the hand-over. Called after the driver has unregistered, with no process
/// holding a mailbox (holds come from the driver's module).
#[export]
pub extern "C" fn cxl_doe_reclaim_all() {
    let mut prev: *mut bindings::auxiliary_device = core::ptr::null_mut();
    loop {
        let start = if prev.is_null() {
            core::ptr::null_mut()
        } else {
            // SAFETY: `prev` is valid: its reference is held until after the search.
            unsafe { &raw mut (*prev).dev }
        };
        // SAFETY: `start` is NULL or a device of the bus with a reference held; `has_groups`
        // only compares pointers.
        let adev = unsafe {
            bindings::auxiliary_find_device(start, GROUPS.as_raw().cast(), Some(has_groups))
        };
        if !start.is_null() {
            // SAFETY: The reference of the previous round, put once.
            unsafe { bindings::put_device(start) };
        }
        if adev.is_null() {
            return;
        }
        // SAFETY: `adev` has the reference `auxiliary_find_device()` took.
        if let Ok(dd) = unsafe { DoeDev::arc_of(adev) } {
            dd.reclaim_for_unload();
        }
        prev = adev;
    }
}

// sysfs attributes of cxl_pci.doe.N.

fn emit(buf: &mut sysfs::Buffer<'_>, args: fmt::Arguments<'_>) -> Result {
    fmt::Write::write_fmt(buf, args).map_err(|_| EFBIG)
}

/// `offset`: the DOE capability's offset in configuration space.
struct OffsetAttr;

impl sysfs::Show for OffsetAttr {
    type Owner = DoeAttrs;
    const NAME: &'static CStr = c"offset";

    fn show(dd: &DoeDev, buf: &mut sysfs::Buffer<'_>) -> Result {
        emit(buf, fmt!("{:#x}\n", dd.cap_offset))
    }
}

/// `owner`: who may use the mailbox: `user` once an unbind claimed it for user space, until a
/// bind, the unloading of `cxl_doe` or the device's removal takes it back; `kernel`
/// otherwise, also while no driver was ever bound (the CXL core may still use it then).
struct OwnerAttr;

impl sysfs::Show for OwnerAttr {
    type Owner = DoeAttrs;
    const NAME: &'static CStr = c"owner";

    fn show(dd: &DoeDev, buf: &mut sysfs::Buffer<'_>) -> Result {
        let owner = if dd.mailbox.user_owned() {
            "user"
        } else {
            "kernel"
        };
        emit(buf, fmt!("{owner}\n"))
    }
}

/// `protocols`: the DOE discovery the driver made when it bound, one `vvvv:tt` per line.
struct ProtocolsAttr;

impl sysfs::Show for ProtocolsAttr {
    type Owner = DoeAttrs;
    const NAME: &'static CStr = c"protocols";

    fn show(dd: &DoeDev, buf: &mut sysfs::Buffer<'_>) -> Result {
        let g = dd.mailbox.get()?;
        for f in g.protocols()? {
            emit(buf, fmt!("{}\n", f))?;
        }
        Ok(())
    }
}

/// `cdat`: the CDAT table the driver read when it bound. Every read of any size and offset
/// is served from that one copy; once the driver unbinds, reads fail with `ENXIO`.
struct CdatAttr;

impl sysfs::BinRead for CdatAttr {
    type Owner = DoeAttrs;
    const NAME: &'static CStr = c"cdat";
    const MODE: u16 = 0o400;

    fn read(dd: &DoeDev, buf: &mut [u8], offset: usize) -> Result<usize> {
        let g = dd.mailbox.get()?;
        let table = g.cdat()?;
        let rest = table.get(offset..).unwrap_or(&[]);
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        Ok(n)
    }
}

static OFFSET: sysfs::DeviceAttribute<DoeAttrs> = sysfs::DeviceAttribute::read_only::<OffsetAttr>();
static OWNER: sysfs::DeviceAttribute<DoeAttrs> = sysfs::DeviceAttribute::read_only::<OwnerAttr>();
static PROTOCOLS: sysfs::DeviceAttribute<DoeAttrs> =
    sysfs::DeviceAttribute::read_only::<ProtocolsAttr>();
static CDAT: sysfs::BinAttribute<DoeAttrs> = sysfs::BinAttribute::read_only::<CdatAttr>();
static ATTRS: sysfs::Attributes<DoeAttrs, 3> =
    sysfs::Attributes::new([&OFFSET, &OWNER, &PROTOCOLS]);
static BIN_ATTRS: sysfs::BinAttributes<DoeAttrs, 1> = sysfs::BinAttributes::new([&CDAT]);
static GROUP: sysfs::AttributeGroup<DoeAttrs> = sysfs::AttributeGroup::with_bin(&ATTRS, &BIN_ATTRS);
static GROUPS: sysfs::AttributeGroups<DoeAttrs> = sysfs::AttributeGroups::new(&GROUP);

#[kunit_tests(cxl_pci_doe)]
mod tests {
    use super::*;
    use kernel::{
        time::{delay::fsleep, Delta},
        types::Opaque,
        workqueue::{self, impl_has_work, new_work, Work, WorkItem},
    };

    #[test]
    fn feature_names_follow_the_pci_core() -> Result {
        let s = CString::try_from_fmt(fmt!(
            "{}",
            Feature {
                vendor: 0x1e98,
                kind: 2
            }
        ))?;
        assert_eq!(s.to_bytes(), b"1e98:02");
        let s = CString::try_from_fmt(fmt!("{}", Feature { vendor: 1, kind: 0 }))?;
        assert_eq!(s.to_bytes(), b"0001:00");
        Ok(())
    }

    /// What a bound driver lends, with a mailbox pointer the tests never exchange on.
    fn fake_lent() -> Result<Lent> {
        let mut protocols = KVec::new();
        protocols.push(Feature { vendor: 1, kind: 0 }, GFP_KERNEL)?;
        let mut cdat = KVVec::new();
        cdat.extend_from_slice(&[16, 0, 0, 0], GFP_KERNEL)?;
        // INVARIANT: Never dereferenced: no test exchanges, releases or claims it.
        Ok(Lent {
            mb: Mailbox(NonNull::dangling()),
            protocols: Ok(protocols),
            cdat: Ok(cdat),
        })
    }

    /// A `cxl_pci.doe.N` that is never added, and a worker that unbinds it.
    #[pin_data]
    struct TestDoe {
        adev: KBox<Opaque<bindings::auxiliary_device>>,
        #[pin]
        dd: DoeDev,
        #[pin]
        /// The worker's progress: 0 queued, 1 unbinding, 2 unbound.
        done: Mutex<u8>,
        #[pin]
        cv: CondVar,
        #[pin]
        work: Work<TestDoe>,
    }

    impl_has_work! { impl HasWork<Self> for TestDoe { self.work } }

    // SAFETY: The device is only used through the C API, which may be called from any thread.
    unsafe impl Send for TestDoe {}
    // SAFETY: See `Send`.
    unsafe impl Sync for TestDoe {}

    impl WorkItem for TestDoe {
        type Pointer = Arc<TestDoe>;

        fn run(this: Arc<TestDoe>) {
            *this.done.lock() = 1;
            this.cv.notify_all();
            // SAFETY: `adev` is valid as long as `this`; the driver "bound" it in the test.
            unsafe { cxl_doe_take_back(this.adev.get(), true) };
            *this.done.lock() = 2;
            this.cv.notify_all();
        }
    }

    fn test_doe() -> Result<Arc<TestDoe>> {
        let adev = KBox::new(Opaque::<bindings::auxiliary_device>::zeroed(), GFP_KERNEL)?;
        let raw = adev.get();
        let t = Arc::pin_init(
            try_pin_init!(TestDoe {
                adev,
                dd <- try_pin_init!(DoeDev {
                    adev: raw,
                    pdev: core::ptr::null_mut(),
                    cap_offset: 0x190,
                    mailbox <- MailboxSlot::new(),
                }),
                done <- new_mutex!(0),
                cv <- new_condvar!(),
                work <- new_work!("cxl_pci_doe::test"),
            }),
            GFP_KERNEL,
        )?;
        // SAFETY: Not added, so nothing else uses it; the groups mark it as ours, as
        // `create_one` does, and the data outlives it, in the same `Arc`.
        unsafe {
            (*raw).dev.groups = GROUPS.as_raw();
            (*raw).dev.platform_data = core::ptr::from_ref(&t.dd).cast_mut().cast();
        }
        // The driver core removes it: unbinding leaves the (fake) mailbox alone.
        t.dd.mailbox.state.write().removing = true;
        Ok(t)
    }

    #[test]
    fn users_see_unavailable_until_lent() -> Result {
        let t = test_doe()?;
        assert_eq!(t.dd.mailbox.get().err(), Some(ENXIO));
        // Never bound is not handed over: the kernel's.
        assert!(!t.dd.mailbox.user_owned());
        t.dd.mailbox.lend(fake_lent()?);
        assert!(!t.dd.mailbox.user_owned());
        let g = t.dd.mailbox.get()?;
        assert_eq!(g.protocols()?, &[Feature { vendor: 1, kind: 0 }]);
        assert_eq!(g.cdat()?, &[16, 0, 0, 0]);
        Ok(())
    }

    #[test]
    fn a_hold_keeps_a_handed_over_mailbox_from_a_bind() -> Result {
        let t = test_doe()?;
        let (slot, ho) = (&t.dd.mailbox, &t.dd.mailbox.handover);
        let short = msecs_to_jiffies(50);
        // The kernel's: nothing to hold, nothing to take back.
        assert_eq!(ho.hold(1).err(), Some(EBUSY));
        assert_eq!(slot.reclaim(t.dd.dev(), "a test", short), Ok(false));
        // As an unbind leaves it.
        ho.hand.lock().user = true;
        ho.hold(1)?;
        assert_eq!(ho.hold(2).err(), Some(EAGAIN));
        // A bind gives up on a holder that keeps it, and leaves it user space's.
        assert_eq!(slot.reclaim(t.dd.dev(), "a test", short), Err(EBUSY));
        assert!(slot.user_owned());
        assert!(!ho.hand.lock().reclaiming);
        ho.let_go();
        assert_eq!(slot.reclaim(t.dd.dev(), "a test", short), Ok(true));
        assert!(!slot.user_owned());
        assert_eq!(ho.hold(1).err(), Some(EBUSY));
        Ok(())
    }

    #[test]
    fn reclaim_waits_for_the_holder_to_let_go() -> Result {
        let t = test_doe()?;
        let ho = t.dd.mailbox.handover.clone();
        ho.hand.lock().user = true;
        ho.hold(1)?;
        let late = ho.clone();
        workqueue::system().try_spawn(GFP_KERNEL, move || {
            fsleep(Delta::from_millis(200));
            late.let_go();
        })?;
        // Waits for the holder (in the meantime no new hold is taken), then takes it back.
        assert_eq!(
            t.dd.mailbox
                .reclaim(t.dd.dev(), "a test", msecs_to_jiffies(HOLD_WAIT_MS)),
            Ok(true)
        );
        assert!(ho.hand.lock().holder.is_none());
        assert!(!t.dd.mailbox.user_owned());
        Ok(())
    }

    #[test]
    fn the_c_api_refuses_other_devices() -> Result {
        let other = KBox::new(Opaque::<bindings::auxiliary_device>::zeroed(), GFP_KERNEL)?;
        // SAFETY: `other` is a valid (zeroed) auxiliary device.
        let r = unsafe { cxl_doe_get_mb(other.get()) };
        assert_eq!(r.cast::<c_void>(), EINVAL.to_ptr::<c_void>());
        // SAFETY: As above; refused before anything is touched.
        assert_eq!(unsafe { cxl_doe_lend(other.get()) }, EINVAL.to_errno());
        Ok(())
    }

    #[test]
    fn the_c_api_gets_enxio_while_unbound() -> Result {
        let t = test_doe()?;
        // SAFETY: `adev` is a valid `cxl_pci.doe.N` for the test's length.
        let r = unsafe { cxl_doe_get_mb(t.adev.get()) };
        assert_eq!(r.cast::<c_void>(), ENXIO.to_ptr::<c_void>());
        Ok(())
    }

    #[test]
    fn unbind_waits_for_the_c_api_put() -> Result {
        let t = test_doe()?;
        t.dd.mailbox.lend(fake_lent()?);
        let adev = t.adev.get();
        // SAFETY: `adev` is a valid `cxl_pci.doe.N`; paired with the put below.
        let mb = unsafe { cxl_doe_get_mb(adev) };
        assert_eq!(mb, NonNull::<bindings::pci_doe_mb>::dangling().as_ptr());
        let _ = workqueue::system().enqueue(t.clone());
        // Once the unbind has started, it waits for the user that holds the mailbox.
        let mut done = t.done.lock();
        while *done == 0 {
            t.cv.wait(&mut done);
        }
        drop(done);
        fsleep(Delta::from_millis(100));
        assert_eq!(*t.done.lock(), 1);
        // SAFETY: Got above by this task.
        unsafe { cxl_doe_put_mb(adev) };
        let mut done = t.done.lock();
        while *done != 2 {
            t.cv.wait(&mut done);
        }
        drop(done);
        // Unbound: the mailbox is no longer the kernel's.
        // SAFETY: As above.
        let r = unsafe { cxl_doe_get_mb(adev) };
        assert_eq!(r.cast::<c_void>(), ENXIO.to_ptr::<c_void>());
        assert!(t.dd.mailbox.state.read().lent.is_none());
        Ok(())
    }
}
