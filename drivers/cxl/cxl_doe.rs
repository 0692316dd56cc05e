// SPDX-License-Identifier: GPL-2.0

//! CXL DOE mailbox auxiliary driver.
//!
//! `cxl_pci` makes each PCIe DOE mailbox of a CXL memory device an auxiliary device,
//! `cxl_pci.doe.N` (see `drivers/cxl/cxl_pci_doe.rs`). This driver, `cxl_doe.cxl_doe_drv`,
//! binds to them by default: it lends the PCI core's mailbox to kernel users. Unbinding it
//! through sysfs waits for those users and leaves the mailbox to user space:
//!
//! ```text
//! echo cxl_pci.doe.0 > /sys/bus/auxiliary/drivers/cxl_doe.cxl_doe_drv/unbind
//! echo cxl_pci.doe.0 > /sys/bus/auxiliary/drivers/cxl_doe.cxl_doe_drv/bind
//! ```
//!
//! The module autoloads for `cxl_pci.doe` devices (module alias `auxiliary:cxl_pci.doe`).
//!
//! The driver is registered through the C API rather than `kernel::auxiliary::Adapter`: in
//! 7.3 that abstraction passes one name as both the module name and the driver name, so its
//! drivers are always `<name>.<name>`, and the seed's sysfs path is `cxl_doe.cxl_doe_drv`. The
//! driver keeps no data of its own, so its probe and remove are small.

use kernel::{
    auxiliary, bindings,
    device::Device,
    device_id::IdTable,
    error::{from_err_ptr, to_result},
    prelude::*,
    types::Opaque,
    InPlaceModule,
};

/// The module name, the first half of the driver's sysfs name.
const MODULE_NAME: &CStr = c"cxl_doe";
/// The driver name, the second half: `cxl_doe.cxl_doe_drv`.
const DRIVER_NAME: &CStr = c"cxl_doe_drv";

kernel::auxiliary_device_table!(
    AUX_TABLE,
    (),
    [(auxiliary::DeviceId::new(c"cxl_pci", c"doe"), ())]
);

/// Binds a `cxl_pci.doe.N`: obtains the PCI core's mailbox and publishes it.
///
/// # Safety
///
/// `adev` is a `cxl_pci.doe.N` device being probed.
unsafe fn probe(adev: *mut bindings::auxiliary_device) -> Result {
    // SAFETY: `adev` is valid during probe.
    let dev: &Device = unsafe { Device::from_raw(&raw mut (*adev).dev) };
    // SAFETY: Devices matching `cxl_pci.doe` are made by cxl_pci's DOE code, whose C API this is.
    let mb = from_err_ptr(unsafe { bindings::cxl_doe_find_mb(adev) }).inspect_err(|_| {
        dev_err!(dev, "no PCI core mailbox for this DOE capability\n");
    })?;
    // Publish the mailbox under the write side of the device's rw_semaphore: from now on
    // kernel users get it.
    // SAFETY: `mb` is the mailbox `cxl_doe_find_mb()` found for this device.
    unsafe { bindings::cxl_doe_publish(adev, mb) };
    Ok(())
}

/// Unbinds a `cxl_pci.doe.N`.
///
/// # Safety
///
/// `adev` is a `cxl_pci.doe.N` device bound by [`probe`].
unsafe fn remove(adev: *mut bindings::auxiliary_device) {
    // Withdraw the mailbox under the write side of the device's rw_semaphore: this waits for
    // every kernel user holding it, and afterwards users get -ENXIO, so the kernel does not
    // touch the mailbox while user space owns it. The published mailbox, not drvdata, is what
    // users look at, so there is no drvdata to clear.
    // SAFETY: As in `probe`.
    unsafe { bindings::cxl_doe_withdraw(adev) };
}

/// # Safety
///
/// Called by the auxiliary bus for a device matching [`AUX_TABLE`].
unsafe extern "C" fn probe_callback(
    adev: *mut bindings::auxiliary_device,
    _id: *const bindings::auxiliary_device_id,
) -> c_int {
    // SAFETY: By the safety requirements.
    match unsafe { probe(adev) } {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// Called by the auxiliary bus for a device that [`probe_callback`] bound.
unsafe extern "C" fn remove_callback(adev: *mut bindings::auxiliary_device) {
    // SAFETY: By the safety requirements.
    unsafe { remove(adev) }
}

/// The module: the driver's registration.
///
/// # Invariants
///
/// `driver` is registered with the auxiliary bus from `init` until `drop`.
#[pin_data(PinnedDrop)]
struct CxlDoeModule {
    #[pin]
    driver: Opaque<bindings::auxiliary_driver>,
}

// SAFETY: The registration is only used to unregister, which may happen on any thread.
unsafe impl Send for CxlDoeModule {}
// SAFETY: `&CxlDoeModule` gives no access to the driver structure.
unsafe impl Sync for CxlDoeModule {}

impl InPlaceModule for CxlDoeModule {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            driver <- Opaque::try_ffi_init(move |drv: *mut bindings::auxiliary_driver| {
                // SAFETY: `drv` is valid for writes and pinned; the names, callbacks and ID
                // table are 'static.
                unsafe {
                    drv.write(pin_init::zeroed());
                    (*drv).name = DRIVER_NAME.as_char_ptr();
                    (*drv).probe = Some(probe_callback);
                    (*drv).remove = Some(remove_callback);
                    (*drv).id_table = AUX_TABLE.as_ptr();
                }
                // SAFETY: `drv` is filled in; it stays pinned until `drop` unregisters it.
                // INVARIANT: Registered on success.
                to_result(unsafe {
                    bindings::__auxiliary_driver_register(drv, module.as_ptr(), MODULE_NAME.as_char_ptr())
                })
            }),
        })
    }
}

#[pinned_drop]
impl PinnedDrop for CxlDoeModule {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: Registered (type invariants); this unbinds every device first.
        unsafe { bindings::auxiliary_driver_unregister(self.driver.get()) };
    }
}

module! {
    type: CxlDoeModule,
    name: "cxl_doe",
    authors: ["The rfl-drivers authors"],
    description: "CXL DOE mailbox auxiliary driver",
    license: "GPL",
}
