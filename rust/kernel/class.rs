// SPDX-License-Identifier: GPL-2.0

//! Device classes and their devices.
//!
//! C header: [`include/linux/device/class.h`](srctree/include/linux/device/class.h)

use crate::{
    bindings,
    chrdev::DevT,
    device,
    error::from_err_ptr,
    prelude::*,
    sysfs::AttributeGroups, //
};
use core::ptr::NonNull;

/// A device class, shown under `/sys/class/<name>`.
///
/// # Invariants
///
/// `ptr` was returned by a successful `class_create()` and is destroyed exactly once, when the
/// class is dropped.
///
/// # Examples
///
/// ```
/// use kernel::class::Class;
///
/// let class = Class::create(c"rust_doctest_class")?;
/// drop(class);
/// # Ok::<(), Error>(())
/// ```
pub struct Class {
    ptr: NonNull<bindings::class>,
}

// SAFETY: A `struct class` may be used and destroyed from any thread.
unsafe impl Send for Class {}
// SAFETY: The class functions that take a `const struct class *` do their own locking.
unsafe impl Sync for Class {}

impl Class {
    /// Creates and registers a class called `name`.
    pub fn create(name: &'static CStr) -> Result<Self> {
        // SAFETY: `name` is a valid C string that outlives the class.
        let ptr = from_err_ptr(unsafe { bindings::class_create(name.as_char_ptr()) })?;
        // INVARIANT: `class_create()` succeeded.
        Ok(Self {
            ptr: NonNull::new(ptr).ok_or(ENOMEM)?,
        })
    }

    /// Creates and registers a device of this class, named `name`.
    ///
    /// The device has the number `devt` (so user space gets a `/dev/<name>` node), the given
    /// attribute groups and `drvdata` as its driver data. It is unregistered when the returned
    /// [`Device`] is dropped.
    ///
    /// # Safety
    ///
    /// `drvdata` is what every user of the device's driver data (`dev_get_drvdata()`, or
    /// [`drvdata`]) expects to find there, for as long as the device is registered.
    pub unsafe fn create_device(
        &self,
        parent: Option<&device::Device>,
        devt: DevT,
        drvdata: *mut c_void,
        groups: &'static AttributeGroups,
        name: &CStr,
    ) -> Result<Device> {
        let parent = parent.map_or(core::ptr::null_mut(), |p| p.as_raw());
        // SAFETY: `self.ptr` is a registered class; `parent` is null or a valid device;
        // `groups` is a valid, NULL-terminated, 'static array of groups; the format "%s" takes
        // the valid C string `name`, which the driver core copies.
        let dev = from_err_ptr(unsafe {
            bindings::device_create_with_groups(
                self.ptr.as_ptr(),
                parent,
                devt.as_raw(),
                drvdata,
                groups.as_raw(),
                c"%s".as_char_ptr(),
                name.as_char_ptr(),
            )
        })?;
        // INVARIANT: `device_create_with_groups()` succeeded.
        Ok(Device {
            ptr: NonNull::new(dev).ok_or(ENOMEM)?,
        })
    }
}

impl Drop for Class {
    fn drop(&mut self) {
        // SAFETY: By the type invariants the class is registered; this is its only destruction.
        unsafe { bindings::class_destroy(self.ptr.as_ptr()) };
    }
}

/// The driver data a device of a class was created with by [`Class::create_device`].
pub fn drvdata(dev: &device::Device) -> *mut c_void {
    // SAFETY: `dev` is a valid device.
    unsafe { bindings::dev_get_drvdata(dev.as_raw()) }
}

/// A device of a [`Class`], registered until dropped.
///
/// # Invariants
///
/// `ptr` was returned by a successful `device_create_with_groups()` and is unregistered exactly
/// once, when this object is dropped.
pub struct Device {
    ptr: NonNull<bindings::device>,
}

// SAFETY: A registered device may be used and unregistered from any thread.
unsafe impl Send for Device {}
// SAFETY: `&Device` only gives out `&device::Device`, which is `Sync`.
unsafe impl Sync for Device {}

impl Device {
    /// The raw `struct device`, valid while `self` lives.
    pub fn as_raw(&self) -> *mut bindings::device {
        self.ptr.as_ptr()
    }

    /// The generic device.
    pub fn device(&self) -> &device::Device {
        // SAFETY: By the type invariants the device is registered, so valid, for as long as
        // `self` lives.
        unsafe { device::Device::from_raw(self.ptr.as_ptr()) }
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        // SAFETY: By the type invariants the device is registered and this is its only
        // unregistration. `device_unregister()` waits for running sysfs callbacks.
        unsafe { bindings::device_unregister(self.ptr.as_ptr()) };
    }
}

#[kunit_tests(rust_class)]
mod tests {
    use super::*;
    use crate::{chrdev::Region, sysfs};

    static ATTRS: sysfs::Attributes<0> = sysfs::Attributes::new([]);
    static GROUP: sysfs::AttributeGroup = sysfs::AttributeGroup::new(&ATTRS);
    static GROUPS: AttributeGroups = AttributeGroups::new(&GROUP);

    #[test]
    fn a_class_device_carries_its_driver_data() -> Result {
        let class = Class::create(c"rust_kunit_class")?;
        let region = Region::alloc(1, c"rust_kunit_class")?;
        let mut data = 42u32;
        let ptr: *mut u32 = &mut data;
        // SAFETY: Nothing but this test reads the driver data, while `data` lives.
        let dev = unsafe {
            class.create_device(
                None,
                region.devt(0).ok_or(EINVAL)?,
                ptr.cast(),
                &GROUPS,
                c"rust_kunit_dev0",
            )?
        };
        assert_eq!(drvdata(dev.device()), ptr.cast());
        assert_eq!(dev.device().name().to_bytes(), b"rust_kunit_dev0");
        Ok(())
    }
}
