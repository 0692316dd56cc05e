// SPDX-License-Identifier: GPL-2.0

//! FPGA Image Load class.
//!
//! Lower-level FPGA drivers register a card's operations with this class, from C with
//! `fpga_image_load_register()` (`include/linux/fpga/fpga-image-load.h`) or from Rust with
//! [`kernel::fpga_image_load::Registration`]. Each card gets `/dev/fpga_imageN`, whose
//! `FPGA_IMAGE_LOAD_WRITE` ioctl copies an image in and returns; a worker on
//! `system_unbound_wq` then drives the driver through preparing, writing and programming.
//!
//! See `Documentation/fpga/fpga-image-load.rst`.
//!
//! - [`load`]: a card's state machine and worker;
//! - [`file`]: the character device's ioctls and poll;
//! - [`attrs`]: sysfs attributes;
//! - [`registry`]: the class, device numbers and ids.

mod attrs;
mod file;
mod load;
mod registry;
#[cfg(CONFIG_FPGA_IMAGE_LOAD_KUNIT_TEST)]
mod tests;

use kernel::{bindings, device::Device, prelude::*, sync::Arc};

module! {
    type: FpgaImageLoadModule,
    name: "fpga_image_load",
    authors: ["The rfl-drivers authors"],
    description: "FPGA Image Load class",
    license: "GPL",
}

// Defined with `module_param()` in fpga_image_load_exports.c, so that it shows (read-only)
// under /sys/module/fpga_image_load/parameters/, which `module!` parameters do not.
unsafe extern "C" {
    #[link_name = "fpga_image_load_max_image_size"]
    static MAX_IMAGE_SIZE: u32;
}

/// The `max_image_size` parameter: the largest image `FPGA_IMAGE_LOAD_WRITE` accepts.
pub(crate) fn max_image_size() -> u32 {
    // SAFETY: A `u32` of the C part of this module (declared there as `unsigned int`), set at
    // load time and read-only after.
    unsafe { MAX_IMAGE_SIZE }
}

struct FpgaImageLoadModule;

impl kernel::Module for FpgaImageLoadModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        registry::init()?;
        Ok(Self)
    }
}

impl Drop for FpgaImageLoadModule {
    fn drop(&mut self) {
        registry::exit();
    }
}

/// Registers a card of `parent` with the class; C ABI, see `fpga-image-load.h`.
///
/// Returns the card, or an `ERR_PTR()`: `-EINVAL` if a required op is missing.
///
/// # Safety
///
/// `parent` is null or a valid device; `ops` is null or points to operations that, with
/// `data`, stay valid until [`fpga_image_load_unregister`] returns for the card.
#[export]
pub unsafe extern "C" fn fpga_image_load_register(
    parent: *mut bindings::device,
    ops: *const bindings::fpga_image_load_ops,
    data: *mut c_void,
) -> *mut bindings::fpga_image_load {
    if parent.is_null() {
        pr_err!("fpga_image_load_register: no parent device\n");
        return EINVAL.to_ptr();
    }
    // SAFETY: `parent` is a valid device (safety requirements).
    let parent = unsafe { Device::from_raw(parent) };
    // SAFETY: By the safety requirements.
    match unsafe { registry::register(parent, ops, data) } {
        // The registration's reference, which unregister takes back. The card's address is
        // also what its operations are called with.
        Ok(load) => Arc::into_raw(load).cast_mut().cast(),
        Err(e) => e.to_ptr(),
    }
}

/// Unregisters a card: a running load ends as canceled, and this waits for it. Afterwards the
/// driver's operations are never called, and open files of the card get `-ENODEV`.
///
/// # Safety
///
/// `imgld` was returned by [`fpga_image_load_register`] and is not unregistered yet.
#[export]
pub unsafe extern "C" fn fpga_image_load_unregister(imgld: *mut bindings::fpga_image_load) {
    // SAFETY: `imgld` came from `Arc::into_raw` in `fpga_image_load_register` (safety
    // requirements), and this takes that reference back, once.
    registry::unregister(unsafe { Arc::from_raw(imgld.cast::<load::ImageLoad>()) })
}

/// The private data the card was registered with.
///
/// # Safety
///
/// `imgld` is a registered card.
#[export]
pub unsafe extern "C" fn fpga_image_load_priv(
    imgld: *mut bindings::fpga_image_load,
) -> *mut c_void {
    // SAFETY: A registered card is an `ImageLoad` (safety requirements).
    unsafe { &*imgld.cast::<load::ImageLoad>() }.driver_data()
}

/// The class device of the card, `fpga_imageN`. Takes no lock: callable in atomic context.
///
/// # Safety
///
/// `imgld` is a registered card.
#[export]
pub unsafe extern "C" fn fpga_image_load_dev(
    imgld: *mut bindings::fpga_image_load,
) -> *mut bindings::device {
    // SAFETY: A registered card is an `ImageLoad` (safety requirements).
    unsafe { &*imgld.cast::<load::ImageLoad>() }.device()
}
