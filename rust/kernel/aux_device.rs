// SPDX-License-Identifier: GPL-2.0

//! Memory for auxiliary devices that a module creates by hand.
//!
//! The last reference to a `struct device` may be dropped by anyone, long after the code that
//! created it is gone: with `CONFIG_DEBUG_KOBJECT_RELEASE` the release is even delayed by
//! seconds on purpose. A release callback in a module that has been unloaded by then is a call
//! into freed memory. [`alloc`] gives a zeroed `struct auxiliary_device` whose release
//! callback lives here, in the kernel image, and only frees that memory; whatever the creator
//! keeps with the device (in `dev.platform_data`, say) it must drop itself, once it has
//! deleted the device.
//!
//! (`kernel::auxiliary::Registration` does the same for the devices it creates, but cannot
//! give them attribute groups or a creator's data that outlives a binding.)

use crate::{bindings, prelude::*, types::Opaque};

/// A zeroed auxiliary device whose release callback frees it.
///
/// The caller fills it in, then calls `auxiliary_device_init()`. Until that succeeds the
/// caller frees it with [`free`]; afterwards the driver core does, when the last reference
/// goes.
pub fn alloc() -> Result<*mut bindings::auxiliary_device> {
    let adev = KBox::into_raw(KBox::new(
        Opaque::<bindings::auxiliary_device>::zeroed(),
        GFP_KERNEL,
    )?)
    .cast::<bindings::auxiliary_device>();
    // SAFETY: `adev` is valid for writes and not shared yet.
    unsafe { (*adev).dev.release = Some(release) };
    Ok(adev)
}

/// Frees a device of [`alloc`] on which `auxiliary_device_init()` failed or was never called.
///
/// # Safety
///
/// `adev` came from [`alloc`], has no initialised `struct device`, and is not used afterwards.
pub unsafe fn free(adev: *mut bindings::auxiliary_device) {
    // SAFETY: By the safety requirements, the `KBox` of `alloc` is ours again.
    drop(unsafe { KBox::from_raw(adev.cast::<Opaque<bindings::auxiliary_device>>()) });
}

/// The release callback of the devices of [`alloc`].
///
/// # Safety
///
/// Called by the driver core once the last reference to such a device is gone.
unsafe extern "C" fn release(dev: *mut bindings::device) {
    // SAFETY: `dev` is the `dev` of an auxiliary device of `alloc`, whose last reference is
    // gone.
    unsafe { free(crate::container_of!(dev, bindings::auxiliary_device, dev)) };
}

#[kunit_tests(rust_aux_device)]
mod tests {
    use super::*;

    #[test]
    fn alloc_sets_the_release_of_this_module() -> Result {
        let adev = alloc()?;
        // SAFETY: `adev` is valid; it is freed right after.
        let r = unsafe { (*adev).dev.release };
        let ours: unsafe extern "C" fn(*mut bindings::device) = release;
        assert!(r.is_some_and(|f| core::ptr::fn_addr_eq(f, ours)));
        // SAFETY: Never initialised.
        unsafe { free(adev) };
        Ok(())
    }
}
