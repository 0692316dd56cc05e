// SPDX-License-Identifier: GPL-2.0

//! CXL DOE mailbox auxiliary driver.
//!
//! Each PCIe Data Object Exchange (DOE) mailbox of a CXL memory device is an
//! auxiliary device `cxl_pci.doe.N`. This driver binds to them by default and
//! lends the mailbox to kernel users; unbinding it through sysfs hands the
//! mailbox to user space.
//!
//! This is the module skeleton: the driver binds to `cxl_pci.doe` devices and
//! knows how the PCI core names a DOE feature.

use kernel::{
    auxiliary,
    device::Core,
    fmt,
    prelude::*, //
};

/// A DOE feature (protocol): a PCI vendor ID and a data object type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Feature {
    /// PCI-SIG assigned vendor ID of the protocol's owner.
    pub vendor: u16,
    /// Data object type within the vendor's protocols.
    pub kind: u8,
}

impl Feature {
    /// DOE discovery (PCIe r6.0 sec 6.30.1.1).
    pub const DISCOVERY: Self = Self {
        vendor: 0x0001,
        kind: 0,
    };
    /// CXL table access, used to read the CDAT (CXL r3.1 sec 8.1.11).
    pub const CXL_TABLE_ACCESS: Self = Self {
        vendor: 0x1e98,
        kind: 2,
    };
}

/// The PCI core's `doe_features` spelling: `vvvv:tt`.
impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04x}:{:02x}", self.vendor, self.kind)
    }
}

struct CxlDoeDriver;

kernel::auxiliary_device_table!(
    AUX_TABLE,
    <CxlDoeDriver as auxiliary::Driver>::IdInfo,
    [(auxiliary::DeviceId::new(c"cxl_pci", c"doe"), ())]
);

impl auxiliary::Driver for CxlDoeDriver {
    type IdInfo = ();
    type Data<'bound> = Self;

    const ID_TABLE: auxiliary::IdTable<Self::IdInfo> = &AUX_TABLE;

    fn probe<'bound>(
        adev: &'bound auxiliary::Device<Core<'_>>,
        _info: &'bound Self::IdInfo,
    ) -> impl PinInit<Self, Error> + 'bound {
        dev_info!(adev, "DOE mailbox {}\n", adev.id());
        Ok(Self)
    }
}

kernel::module_auxiliary_driver! {
    type: CxlDoeDriver,
    name: "cxl_doe",
    authors: ["The rfl-drivers authors"],
    description: "CXL DOE mailbox auxiliary driver",
    license: "GPL",
}

#[kunit_tests(cxl_doe_feature)]
mod tests {
    use super::*;
    use kernel::str::CString;

    #[test]
    fn feature_names_follow_the_pci_core() -> Result {
        let s = CString::try_from_fmt(fmt!("{}", Feature::CXL_TABLE_ACCESS))?;
        assert_eq!(s.to_bytes(), b"1e98:02");
        let s = CString::try_from_fmt(fmt!("{}", Feature::DISCOVERY))?;
        assert_eq!(s.to_bytes(), b"0001:00");
        Ok(())
    }
}
