// SPDX-License-Identifier: GPL-2.0

//! CXL DOE mailbox auxiliary driver.
//!
//! `cxl_pci` makes each PCIe DOE mailbox of a CXL memory device an auxiliary device,
//! `cxl_pci.doe.N` (see `drivers/cxl/cxl_pci_doe.rs`). This driver, `cxl_doe.cxl_doe_drv`,
//! binds to them by default and lends the mailbox to the kernel. Unbinding it through sysfs
//! waits for the kernel's users and leaves the mailbox to user space; from then on the PCI
//! core refuses every kernel exchange on it with `EBUSY`, until the driver binds again:
//!
//! ```text
//! echo cxl_pci.doe.0 > /sys/bus/auxiliary/drivers/cxl_doe.cxl_doe_drv/unbind
//! echo cxl_pci.doe.0 > /sys/bus/auxiliary/drivers/cxl_doe.cxl_doe_drv/bind
//! ```
//!
//! Binding gives the mailbox back to the kernel, aborting whatever user space left in it; a
//! mailbox that does not come back clean stays with user space and the bind fails.
//!
//! The module autoloads for `cxl_pci.doe` devices (module alias `auxiliary:cxl_pci.doe`).

use kernel::{auxiliary, bindings, device::Core, error::to_result, prelude::*};

kernel::auxiliary_device_table!(
    AUX_TABLE,
    <CxlDoeDriver as auxiliary::Driver>::IdInfo,
    [(auxiliary::DeviceId::new(c"cxl_pci", c"doe"), ())]
);

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
        // SAFETY: Devices matching `cxl_pci.doe` are `cxl_pci`'s, whose C API this is, and
        // this driver is binding `adev`. A failure is logged by `cxl_doe_lend()`.
        to_result(unsafe { bindings::cxl_doe_lend(raw(adev)) })?;
        Ok(Self)
    }

    fn unbind<'bound>(adev: &'bound auxiliary::Device<Core<'_>>, _this: Pin<&Self>) {
        // SAFETY: `adev` was bound by `probe`, which lent its mailbox.
        unsafe { bindings::cxl_doe_take_back(raw(adev)) };
    }
}

kernel::module_auxiliary_driver! {
    type: CxlDoeDriver,
    name: "cxl_doe",
    authors: ["The rfl-drivers authors"],
    description: "CXL DOE mailbox auxiliary driver",
    license: "GPL",
    imports_ns: ["CXL"],
}
