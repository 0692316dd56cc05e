// SPDX-License-Identifier: GPL-2.0

//! CXL DOE mailboxes as auxiliary devices; part of `cxl_pci`.
//!
//! When `cxl_pci` binds a CXL memory device, each PCIe DOE extended capability of it becomes
//! an auxiliary device `cxl_pci.doe.N` (N unique system-wide, never reused while the system
//! runs), carrying the PCI device, the capability offset and whether IRQs can be used. The
//! devices are removed, through devres, when `cxl_pci` unbinds.
//!
//! The PCI core already drives every DOE mailbox (`drivers/pci/doe.c`); nothing here touches
//! the registers. Each device has a *slot*, an rw_semaphore around the mailbox the `cxl_doe`
//! driver publishes when it binds:
//!
//! - kernel users take the slot shared ([`MailboxSlot::get`], or `cxl_doe_get_mb()` /
//!   `cxl_doe_put_mb()` from C) and get `ENXIO` while no driver has published a mailbox;
//! - the driver publishes and withdraws under the exclusive side, so unbinding it waits for
//!   every user, and after that the kernel leaves the mailbox to user space.
//!
//! The driver may bind later than the device appears (module autoload, a manual bind, a
//! rebind after user space is done): until it does, users see `ENXIO`. So `cxl_pci` never
//! fails for lack of `cxl_doe`, and any load order works.
//!
//! Kernel users of the slot here are the device's sysfs attributes: `protocols` (a live DOE
//! discovery) and `cdat` (the CDAT table through CXL table access), next to `offset`.

use core::{pin::Pin, ptr::NonNull};
use kernel::{
    bindings,
    device::Device,
    fmt, new_mutex,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        rwsem::{new_rwsem, ReadGuard, RwSemaphore},
        Mutex,
    },
    sysfs,
    types::Opaque,
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
/// Largest CDAT table read (the header's length is checked against it).
const CDAT_MAX: usize = 64 * 1024;
/// Largest CDAT structure (its length field is 16 bits).
const ENTRY_MAX: usize = 0x10000;

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

/// A mailbox of the PCI core, published by the `cxl_doe` driver.
#[derive(Clone, Copy)]
struct Mailbox(NonNull<bindings::pci_doe_mb>);

// SAFETY: The PCI core's mailbox may be used from any thread; `pci_doe()` queues and waits.
unsafe impl Send for Mailbox {}
// SAFETY: See `Send`.
unsafe impl Sync for Mailbox {}

/// The guard of a mailbox: an rw_semaphore around the mailbox a driver has published.
#[pin_data]
pub struct MailboxSlot {
    #[pin]
    mb: RwSemaphore<Option<Mailbox>>,
}

impl MailboxSlot {
    /// An empty slot: no driver has published a mailbox.
    pub fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            mb <- new_rwsem!(None, "cxl_pci_doe::slot"),
        })
    }

    /// The mailbox, held until the guard is dropped; `ENXIO` while none is published.
    pub fn get(&self) -> Result<MailboxGuard<'_>> {
        let guard = self.mb.read();
        let mb = (*guard).ok_or(ENXIO)?;
        Ok(MailboxGuard { _guard: guard, mb })
    }

    /// Publishes the mailbox `mb` of the driver that binds.
    fn publish(&self, mb: Mailbox) {
        *self.mb.write() = Some(mb);
    }

    /// Withdraws the mailbox: waits for every holder of a guard, then makes it unavailable.
    fn withdraw(&self) {
        *self.mb.write() = None;
    }
}

/// Use of a published mailbox. While any guard lives, the driver cannot unbind.
pub struct MailboxGuard<'a> {
    _guard: ReadGuard<'a, Option<Mailbox>>,
    mb: Mailbox,
}

impl MailboxGuard<'_> {
    /// One DOE exchange through the PCI core: sends `request` (whole DWs) to the protocol
    /// `vendor`/`kind`, receives into `response`, returns how many bytes came back.
    pub fn exchange(
        &self,
        vendor: u16,
        kind: u8,
        request: &[u8],
        response: &mut [u8],
    ) -> Result<usize> {
        if request.len() % 4 != 0 || response.len() % 4 != 0 {
            return Err(EINVAL);
        }
        // SAFETY: The mailbox is published, so valid until the guard is dropped (the driver
        // withdraws it, under the exclusive side, before the PCI core could free it); the
        // buffers are valid for their lengths.
        let r = unsafe {
            bindings::pci_doe(
                self.mb.0.as_ptr(),
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

    /// The features of the mailbox, by DOE discovery.
    pub fn discover(&self) -> Result<KVec<Feature>> {
        let mut features = KVec::new();
        let mut index = 0u8;
        // At most 256 indices: a mailbox that never says "last" is an error, not a hang.
        for _ in 0..=u8::MAX as usize {
            let mut rsp = [0u8; 4];
            let n = self.exchange(
                VENDOR_PCI_SIG,
                TYPE_DISCOVERY,
                &u32::from(index).to_le_bytes(),
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

    /// The whole CDAT table, through CXL table access: complete and checked, or an error.
    pub fn read_cdat(&self) -> Result<KVec<u8>> {
        let mut rsp = KVec::from_elem(0u8, 4 + ENTRY_MAX, GFP_KERNEL)?;
        let mut table = KVec::new();
        let mut handle = 0u16;
        let mut total = None;
        loop {
            // Request: read (0), table type CDAT (0), entry handle.
            let req = (u32::from(handle) << 16).to_le_bytes();
            let n = self.exchange(VENDOR_CXL, TYPE_TABLE_ACCESS, &req, &mut rsp)?;
            let entry = rsp.get(4..n).ok_or(EIO)?;
            match total {
                None => {
                    // The CDAT header: its first DW is the length of the whole table.
                    if entry.len() != 16 {
                        return Err(EIO);
                    }
                    let len = u32::from_le_bytes([entry[0], entry[1], entry[2], entry[3]]) as usize;
                    if !(16..=CDAT_MAX).contains(&len) {
                        return Err(EIO);
                    }
                    total = Some(len);
                }
                Some(_) => {
                    // A structure: its length field must match what came.
                    let len = entry
                        .get(2..4)
                        .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize);
                    if len != Some(entry.len()) || entry.len() < 4 {
                        return Err(EIO);
                    }
                }
            }
            table.extend_from_slice(entry, GFP_KERNEL)?;
            if total.is_some_and(|t| table.len() > t) {
                return Err(EIO);
            }
            handle = (u32::from_le_bytes([rsp[0], rsp[1], rsp[2], rsp[3]]) >> 16) as u16;
            if handle == LAST_ENTRY {
                break;
            }
        }
        // Never partial: the structures add up to the header's length and the checksum holds.
        if Some(table.len()) != total || table.iter().fold(0u8, |s, b| s.wrapping_add(*b)) != 0 {
            return Err(EIO);
        }
        Ok(table)
    }
}

/// A DOE mailbox as an auxiliary device, `cxl_pci.doe.N`.
///
/// # Invariants
///
/// `adev` is initialised and added by [`create_one`]; the structure is freed only by the
/// device's release callback. `pdev` is the parent PCI device, which outlives it.
#[pin_data]
struct DoeDev {
    #[pin]
    adev: Opaque<bindings::auxiliary_device>,
    pdev: *mut bindings::pci_dev,
    cap_offset: u16,
    use_irq: bool,
    #[pin]
    mailbox: MailboxSlot,
    /// The CDAT table as the last read at offset 0 fetched it, for reads further on.
    #[pin]
    cdat: Mutex<KVec<u8>>,
}

// SAFETY: `pdev` is only used to reach the PCI core's mailboxes, which is allowed from any
// thread; the rest is `Send + Sync`.
unsafe impl Send for DoeDev {}
// SAFETY: See `Send`.
unsafe impl Sync for DoeDev {}

impl DoeDev {
    /// The DOE device of the auxiliary device `adev`.
    ///
    /// # Safety
    ///
    /// `adev` is the `adev` of a live [`DoeDev`]: a `cxl_pci.doe.N` device.
    unsafe fn from_adev<'a>(adev: *const bindings::auxiliary_device) -> &'a Self {
        // SAFETY: By the safety requirements `adev` is embedded in a live `DoeDev`.
        unsafe {
            &*adev
                .byte_sub(core::mem::offset_of!(DoeDev, adev))
                .cast::<DoeDev>()
        }
    }
}

/// The owner of the attributes of `cxl_pci.doe.N`: they show the [`DoeDev`] the device is
/// embedded in.
struct DoeAttrs;

// SAFETY: `GROUPS` is attached only in `cxl_pci_doe_create_devices`, to the `adev.dev` of a
// `DoeDev`, which lives until that device is released, after its attributes are removed.
unsafe impl sysfs::Owner for DoeAttrs {
    type Data = DoeDev;

    unsafe fn data<'a>(dev: *mut bindings::device) -> &'a DoeDev {
        // SAFETY: `dev` is the `dev` of the `adev` of a live `DoeDev` (safety requirements and
        // the above).
        unsafe {
            DoeDev::from_adev(
                dev.byte_sub(core::mem::offset_of!(bindings::auxiliary_device, dev))
                    .cast(),
            )
        }
    }
}

/// Unique ids of `cxl_pci.doe.N`.
static NEXT_ID: Atomic<u32> = Atomic::new(0);

/// Creates `cxl_pci.doe.N` for each DOE capability of `pdev`; called by `cxl_pci`'s probe.
///
/// # Safety
///
/// `pdev` is a PCI device that `cxl_pci` is binding (devres is available on it).
#[no_mangle]
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
    // SAFETY: `pdev` is valid; reading its MSI/MSI-X state has no side effect.
    let use_irq = unsafe { (*pdev).msix_enabled() != 0 || (*pdev).msi_enabled() != 0 };
    let dd = KBox::pin_init(
        pin_init!(DoeDev {
            adev: Opaque::zeroed(),
            pdev,
            cap_offset,
            use_irq,
            mailbox <- MailboxSlot::new(),
            cdat <- new_mutex!(KVec::new(), "cxl_pci_doe::cdat"),
        }),
        GFP_KERNEL,
    )?;
    // SAFETY: The structure is pinned until the release callback frees it; it is not moved.
    let dd = KBox::into_raw(unsafe { Pin::into_inner_unchecked(dd) });
    // SAFETY: `dd` is valid and not yet shared.
    let adev = unsafe { (*dd).adev.get() };
    // SAFETY: `adev` is valid and not yet shared; `pdev` is valid; the name and groups are
    // 'static.
    unsafe {
        (*adev).name = c"doe".as_char_ptr();
        (*adev).id = NEXT_ID.fetch_add(1, Relaxed);
        (*adev).dev.parent = &raw mut (*pdev).dev;
        (*adev).dev.release = Some(release);
        (*adev).dev.groups = GROUPS.as_raw();
    }
    // SAFETY: `adev` is filled in as `auxiliary_device_init()` requires.
    if let Err(e) = kernel::error::to_result(unsafe { bindings::auxiliary_device_init(adev) }) {
        // SAFETY: Init failed: the device was never live; `dd` came from `KBox::into_raw`.
        drop(unsafe { KBox::from_raw(dd) });
        return Err(e);
    }
    // SAFETY: `adev` is initialised; "cxl_pci" is this module's name.
    if let Err(e) = kernel::error::to_result(unsafe {
        bindings::__auxiliary_device_add(adev, c"cxl_pci".as_char_ptr())
    }) {
        // SAFETY: Initialised but not added: dropping the reference calls `release`.
        unsafe { bindings::auxiliary_device_uninit(adev) };
        return Err(e);
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
    // SAFETY: `adev` was added by `create_one`, which registered this action once.
    unsafe {
        bindings::auxiliary_device_delete(adev);
        bindings::auxiliary_device_uninit(adev);
    }
}

/// Release callback of a `cxl_pci.doe.N`: frees the [`DoeDev`].
///
/// # Safety
///
/// Called by the driver core once the last reference to the device is gone.
unsafe extern "C" fn release(dev: *mut bindings::device) {
    // SAFETY: `dev` is the device of the `adev` of a `DoeDev` allocated by `create_one`, whose
    // last reference is gone: the structure is ours to free.
    unsafe {
        let adev = dev.byte_sub(core::mem::offset_of!(bindings::auxiliary_device, dev));
        let dd = adev
            .byte_sub(core::mem::offset_of!(DoeDev, adev))
            .cast::<DoeDev>();
        drop(KBox::from_raw(dd));
    }
}

// The C API, `include/cxl/doe.h`.

/// The published mailbox of `adev`, its guard held shared; `ERR_PTR(-ENXIO)` when none.
///
/// # Safety
///
/// `adev` is a `cxl_pci.doe.N` device. A successful call is paired with [`cxl_doe_put_mb`]
/// by the same task.
#[no_mangle]
pub unsafe extern "C" fn cxl_doe_get_mb(
    adev: *mut bindings::auxiliary_device,
) -> *mut bindings::pci_doe_mb {
    // SAFETY: By the safety requirements.
    let dd = unsafe { DoeDev::from_adev(adev) };
    match dd.mailbox.get() {
        Ok(g) => {
            let mb = g.mb.0.as_ptr();
            // Held until `cxl_doe_put_mb()`.
            g._guard.leak();
            mb
        }
        Err(e) => e.to_ptr(),
    }
}

/// Releases the guard that [`cxl_doe_get_mb`] took.
///
/// # Safety
///
/// The calling task got the mailbox of `adev` with [`cxl_doe_get_mb`] and no longer uses it.
#[no_mangle]
pub unsafe extern "C" fn cxl_doe_put_mb(adev: *mut bindings::auxiliary_device) {
    // SAFETY: By the safety requirements.
    let dd = unsafe { DoeDev::from_adev(adev) };
    // SAFETY: The task holds the slot shared through the guard `cxl_doe_get_mb()` leaked.
    unsafe { dd.mailbox.mb.read_unlock() };
}

/// The PCI core's mailbox at the capability of `adev`, or `ERR_PTR(-ENODEV)`.
///
/// # Safety
///
/// `adev` is a `cxl_pci.doe.N` device.
#[no_mangle]
pub unsafe extern "C" fn cxl_doe_find_mb(
    adev: *mut bindings::auxiliary_device,
) -> *mut bindings::pci_doe_mb {
    // SAFETY: By the safety requirements.
    let dd = unsafe { DoeDev::from_adev(adev) };
    // SAFETY: `pdev` outlives its auxiliary devices; the PCI core keeps `doe_mbs` from
    // enumeration until the device is destroyed.
    let mb = unsafe { bindings::xa_load(&raw mut (*dd.pdev).doe_mbs, dd.cap_offset.into()) };
    if mb.is_null() {
        return ENODEV.to_ptr();
    }
    mb.cast()
}

/// Publishes `mb` for kernel users of `adev`: the driver binds.
///
/// # Safety
///
/// `adev` is a `cxl_pci.doe.N` device; `mb` came from [`cxl_doe_find_mb`] for it.
#[no_mangle]
pub unsafe extern "C" fn cxl_doe_publish(
    adev: *mut bindings::auxiliary_device,
    mb: *mut bindings::pci_doe_mb,
) {
    // SAFETY: By the safety requirements.
    let dd = unsafe { DoeDev::from_adev(adev) };
    if let Some(mb) = NonNull::new(mb) {
        dd.mailbox.publish(Mailbox(mb));
    }
}

/// Withdraws the mailbox of `adev`, waiting for its users: the driver unbinds.
///
/// # Safety
///
/// `adev` is a `cxl_pci.doe.N` device.
#[no_mangle]
pub unsafe extern "C" fn cxl_doe_withdraw(adev: *mut bindings::auxiliary_device) {
    // SAFETY: By the safety requirements.
    let dd = unsafe { DoeDev::from_adev(adev) };
    dd.mailbox.withdraw();
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

/// `use_irq`: whether the mailbox's function has MSI or MSI-X enabled.
struct UseIrqAttr;

impl sysfs::Show for UseIrqAttr {
    type Owner = DoeAttrs;
    const NAME: &'static CStr = c"use_irq";

    fn show(dd: &DoeDev, buf: &mut sysfs::Buffer<'_>) -> Result {
        emit(buf, fmt!("{}\n", u8::from(dd.use_irq)))
    }
}

/// `protocols`: a live DOE discovery, one `vvvv:tt` per line.
struct ProtocolsAttr;

impl sysfs::Show for ProtocolsAttr {
    type Owner = DoeAttrs;
    const NAME: &'static CStr = c"protocols";

    fn show(dd: &DoeDev, buf: &mut sysfs::Buffer<'_>) -> Result {
        let features = dd.mailbox.get()?.discover()?;
        for f in &features {
            emit(buf, fmt!("{}\n", f))?;
        }
        Ok(())
    }
}

/// `cdat`: the CDAT table. A read at offset 0 fetches the whole table under the guard.
struct CdatAttr;

impl sysfs::BinRead for CdatAttr {
    type Owner = DoeAttrs;
    const NAME: &'static CStr = c"cdat";
    const MODE: u16 = 0o400;

    fn read(dd: &DoeDev, buf: &mut [u8], offset: usize) -> Result<usize> {
        let mut cache = dd.cdat.lock();
        if offset == 0 {
            *cache = dd.mailbox.get()?.read_cdat()?;
        }
        let rest = cache.get(offset..).unwrap_or(&[]);
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        Ok(n)
    }
}

static OFFSET: sysfs::DeviceAttribute<DoeAttrs> = sysfs::DeviceAttribute::read_only::<OffsetAttr>();
static USE_IRQ: sysfs::DeviceAttribute<DoeAttrs> =
    sysfs::DeviceAttribute::read_only::<UseIrqAttr>();
static PROTOCOLS: sysfs::DeviceAttribute<DoeAttrs> =
    sysfs::DeviceAttribute::read_only::<ProtocolsAttr>();
static CDAT: sysfs::BinAttribute<DoeAttrs> = sysfs::BinAttribute::read_only::<CdatAttr>();
static ATTRS: sysfs::Attributes<DoeAttrs, 3> =
    sysfs::Attributes::new([&OFFSET, &USE_IRQ, &PROTOCOLS]);
static BIN_ATTRS: sysfs::BinAttributes<DoeAttrs, 1> = sysfs::BinAttributes::new([&CDAT]);
static GROUP: sysfs::AttributeGroup<DoeAttrs> = sysfs::AttributeGroup::with_bin(&ATTRS, &BIN_ATTRS);
static GROUPS: sysfs::AttributeGroups<DoeAttrs> = sysfs::AttributeGroups::new(&GROUP);

#[kunit_tests(cxl_pci_doe)]
mod tests {
    use super::*;
    use kernel::{
        new_condvar,
        str::CString,
        sync::{Arc, CondVar},
        time::{delay::fsleep, Delta},
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

    /// A kernel user that holds the slot for 50 ms on a worker thread.
    #[pin_data]
    struct User {
        #[pin]
        mailbox: MailboxSlot,
        #[pin]
        state: Mutex<(bool, bool)>,
        #[pin]
        cv: CondVar,
        #[pin]
        work: Work<User>,
    }

    impl_has_work! { impl HasWork<Self> for User { self.work } }

    impl WorkItem for User {
        type Pointer = Arc<User>;

        fn run(this: Arc<User>) {
            let Ok(guard) = this.mailbox.get() else {
                return;
            };
            this.state.lock().0 = true;
            this.cv.notify_all();
            fsleep(Delta::from_millis(50));
            // Still ours: the mailbox cannot be withdrawn under a guard.
            this.state.lock().1 = true;
            drop(guard);
        }
    }

    /// A mailbox pointer for tests; the slot never dereferences it.
    fn fake_mailbox() -> Mailbox {
        Mailbox(NonNull::dangling())
    }

    #[test]
    fn users_see_unavailable_until_published() -> Result {
        let slot = KBox::pin_init(MailboxSlot::new(), GFP_KERNEL)?;
        assert_eq!(slot.get().err(), Some(ENXIO));
        slot.publish(fake_mailbox());
        assert!(slot.get().is_ok());
        Ok(())
    }

    #[test]
    fn withdraw_waits_for_users_and_leaves_unavailable() -> Result {
        let user = Arc::pin_init(
            pin_init!(User {
                mailbox <- MailboxSlot::new(),
                state <- new_mutex!((false, false)),
                cv <- new_condvar!(),
                work <- new_work!("cxl_pci_doe::test_user"),
            }),
            GFP_KERNEL,
        )?;
        user.mailbox.publish(fake_mailbox());
        let _ = workqueue::system().enqueue(user.clone());
        {
            let mut s = user.state.lock();
            while !s.0 {
                user.cv.wait(&mut s);
            }
        }
        // The user holds the slot: withdrawing waits until it let go.
        user.mailbox.withdraw();
        assert!(user.state.lock().1);
        assert_eq!(user.mailbox.get().err(), Some(ENXIO));
        Ok(())
    }

    #[test]
    fn the_c_api_pairs_get_and_put() -> Result {
        let slot = KBox::pin_init(MailboxSlot::new(), GFP_KERNEL)?;
        slot.publish(fake_mailbox());
        // What `cxl_doe_get_mb()` does: the guard outlives the call.
        slot.get()?._guard.leak();
        assert!(slot.mb.try_write().is_none());
        // SAFETY: Held shared by the guard leaked above.
        unsafe { slot.mb.read_unlock() };
        assert!(slot.mb.try_write().is_some());
        Ok(())
    }
}
