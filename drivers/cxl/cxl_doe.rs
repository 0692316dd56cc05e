// SPDX-License-Identifier: GPL-2.0

//! CXL DOE mailbox auxiliary driver.
//!
//! `cxl_pci` makes each PCIe DOE mailbox of a CXL memory device an auxiliary device,
//! `cxl_pci.doe.N` (see `drivers/cxl/cxl_pci_doe.rs`). This driver, `cxl_doe.cxl_doe_drv`,
//! binds to them by default and lends the mailbox to the kernel. Unbinding it through sysfs
//! waits for the kernel's users and hands the mailbox to user space; from then on the PCI
//! core refuses every kernel exchange on it with `EACCES`, until the driver binds again:
//!
//! ```text
//! echo cxl_pci.doe.0 > /sys/bus/auxiliary/drivers/cxl_doe.cxl_doe_drv/unbind
//! echo cxl_pci.doe.0 > /sys/bus/auxiliary/drivers/cxl_doe.cxl_doe_drv/bind
//! ```
//!
//! A process that drives a handed-over mailbox holds it first, through `/dev/cxl_doe`
//! (`CXL_DOE_HOLD`, `include/uapi/linux/cxl_doe.h`), until it closes the file or exits. A bind
//! waits for the holder, for a while, and fails with `EBUSY` if it keeps the mailbox; binding
//! then gives the mailbox back to the kernel, aborting whatever user space left in it.
//!
//! Only an unbind through sysfs hands a mailbox over: unloading the module gives every
//! mailbox back to the kernel, the bound ones and the handed-over ones.
//!
//! The module autoloads for `cxl_pci.doe` devices (module alias `auxiliary:cxl_pci.doe`).

use kernel::{
    auxiliary, bindings,
    device::Core,
    driver,
    error::to_result,
    fs::File,
    ioctl::_IOW,
    miscdevice::{MiscDevice, MiscDeviceOptions, MiscDeviceRegistration},
    new_mutex,
    prelude::*,
    sync::{
        atomic::{Acquire, Atomic, Release},
        Mutex,
    },
    uaccess::{UserPtr, UserSlice},
};

kernel::auxiliary_device_table!(
    AUX_TABLE,
    <CxlDoeDriver as auxiliary::Driver>::IdInfo,
    [(auxiliary::DeviceId::new(c"cxl_pci", c"doe"), ())]
);

/// Set as the module unloads: an unbind from then on leaves the mailbox to the kernel.
static UNLOADING: Atomic<bool> = Atomic::new(false);

/// The driver: it keeps nothing of its own, the device's slot holds what it lends.
struct CxlDoeDriver;

/// The raw auxiliary device, for the C API of `cxl_pci`'s DOE devices.
fn raw(adev: &auxiliary::Device<Core<'_>>) -> *mut bindings::auxiliary_device {
    // CAST: `auxiliary::Device` is a transparent wrapper of `struct auxiliary_device`.
    core::ptr::from_ref(adev)
        .cast::<bindings::auxiliary_device>()
        .cast_mut()
}

impl auxiliary::Driver for CxlDoeDriver {
    type IdInfo = ();
    type Data<'bound> = Self;

    const ID_TABLE: auxiliary::IdTable<Self::IdInfo> = &AUX_TABLE;
    const NAME: Option<&'static CStr> = Some(c"cxl_doe_drv");

    fn probe<'bound>(
        adev: &'bound auxiliary::Device<Core<'_>>,
        _info: &'bound Self::IdInfo,
    ) -> impl PinInit<Self, Error> + 'bound {
        // SAFETY: Devices matching `cxl_pci.doe` are `cxl_pci`'s, whose C API this is (and
        // `cxl_doe_lend()` refuses any other), and this driver is binding `adev`. A failure is
        // logged by `cxl_doe_lend()`.
        to_result(unsafe { bindings::cxl_doe_lend(raw(adev)) })?;
        Ok(Self)
    }

    fn unbind<'bound>(adev: &'bound auxiliary::Device<Core<'_>>, _this: Pin<&Self>) {
        // An unbind through sysfs hands the mailbox over; the module's unload does not.
        let hand_over = !UNLOADING.load(Acquire);
        // SAFETY: `adev` was bound by `probe`, which lent its mailbox.
        unsafe { bindings::cxl_doe_take_back(raw(adev), hand_over) };
    }
}

/// `CXL_DOE_HOLD`, `include/uapi/linux/cxl_doe.h`: the argument points to the N of
/// `cxl_pci.doe.N`.
const CXL_DOE_HOLD: u32 = _IOW::<u32>(0xce, 0x40);

/// A hold of `cxl_pci`'s C API.
///
/// # Invariants
///
/// Came from a successful `cxl_doe_hold()`, not let go yet.
struct Hold(*mut bindings::cxl_doe_hold);

// SAFETY: A hold may be let go from any thread.
unsafe impl Send for Hold {}

impl Drop for Hold {
    fn drop(&mut self) {
        // SAFETY: Not let go yet (type invariants), and not used again.
        unsafe { bindings::cxl_doe_let_go(self.0) };
    }
}

/// An open `/dev/cxl_doe`: the mailbox it holds, if any, until it is closed.
#[pin_data]
struct HoldFile {
    #[pin]
    hold: Mutex<Option<Hold>>,
}

#[vtable]
impl MiscDevice for HoldFile {
    type Ptr = Pin<KBox<Self>>;

    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<Pin<KBox<Self>>> {
        // Whoever holds a mailbox writes its registers through config space, which takes
        // CAP_SYS_ADMIN too.
        // SAFETY: `capable()` may be called from any process context.
        if !unsafe { bindings::capable(bindings::CAP_SYS_ADMIN as i32) } {
            return Err(EPERM);
        }
        KBox::try_pin_init(
            try_pin_init!(Self {
                hold <- new_mutex!(None, "cxl_doe::HoldFile::hold"),
            }),
            GFP_KERNEL,
        )
    }

    fn ioctl(this: Pin<&Self>, _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        if cmd != CXL_DOE_HOLD {
            return Err(ENOTTY);
        }
        let id: u32 = UserSlice::new(UserPtr::from_addr(arg), size_of::<u32>())
            .reader()
            .read()?;
        let mut hold = this.hold.lock();
        if hold.is_some() {
            return Err(EALREADY);
        }
        let pid = kernel::current!().tgid();
        // SAFETY: `cxl_doe_hold()` may be called with any id, from any process context.
        let h = kernel::error::from_err_ptr(unsafe { bindings::cxl_doe_hold(id, pid) })?;
        // INVARIANT: A successful `cxl_doe_hold()`.
        *hold = Some(Hold(h));
        Ok(0)
    }
}

/// Gives every handed-over mailbox back to the kernel when dropped: the last thing the module
/// does as it unloads.
struct ReclaimAll;

impl Drop for ReclaimAll {
    fn drop(&mut self) {
        // SAFETY: Called as the module unloads, after its driver has unregistered, with no
        // hold left (each open file of `/dev/cxl_doe` keeps the module loaded).
        unsafe { bindings::cxl_doe_reclaim_all() };
    }
}

/// The module: the driver, and `/dev/cxl_doe`.
#[pin_data(PinnedDrop)]
struct CxlDoeModule {
    /// No hold can be open as the module unloads: an open file keeps it loaded.
    #[pin]
    _hold: MiscDeviceRegistration<HoldFile>,
    /// Unbinds every bound mailbox, which `UNLOADING` leaves with the kernel.
    #[pin]
    _driver: driver::Registration<auxiliary::Adapter<CxlDoeDriver>>,
    /// Then takes back the handed-over ones.
    _reclaim: ReclaimAll,
}

impl kernel::InPlaceModule for CxlDoeModule {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            _hold <- MiscDeviceRegistration::register(MiscDeviceOptions {
                name: c"cxl_doe",
            }),
            _driver <- driver::Registration::new(c"cxl_doe", module),
            _reclaim: ReclaimAll,
        })
    }
}

#[pinned_drop]
impl PinnedDrop for CxlDoeModule {
    fn drop(self: Pin<&mut Self>) {
        // Before the fields go: the driver's unregistration unbinds with this set.
        UNLOADING.store(true, Release);
    }
}

kernel::prelude::module! {
    type: CxlDoeModule,
    name: "cxl_doe",
    authors: ["The rfl-drivers authors"],
    description: "CXL DOE mailbox auxiliary driver",
    license: "GPL",
    imports_ns: ["CXL"],
}
