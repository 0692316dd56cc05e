// SPDX-License-Identifier: GPL-2.0

//! Device classes and their devices.
//!
//! C header: [`include/linux/device/class.h`](srctree/include/linux/device/class.h)

use crate::{
    bindings,
    cdev::{self, Cdev},
    chrdev::DevT,
    device,
    error::{from_err_ptr, to_result},
    prelude::*,
    sync::Arc,
    sysfs::{self, AttributeGroups},
    types::Opaque, //
};
use core::{marker::PhantomData, mem::ManuallyDrop, ptr::NonNull};

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

    /// Registers a device of this class, named `name`, with a character device for its
    /// number `devt` whose files have the operations of `F`.
    ///
    /// The order is `cdev_device_add()`'s: the character device exists before the device is
    /// added, so the node that user space sees for it never opens a number with nothing
    /// behind it, and an open file keeps the device (its parent) alive. The device carries
    /// `data`, which its attributes (`groups`) are shown for; the returned [`Device`] keeps
    /// `data` until both devices are unregistered, when it is dropped.
    pub fn register_device<T: Send + Sync + 'static, F: cdev::Operations>(
        &self,
        parent: Option<&device::Device>,
        devt: DevT,
        data: Arc<T>,
        groups: &'static AttributeGroups<DrvData<T>>,
        name: &CStr,
    ) -> Result<Device<T, F>> {
        let dev = KBox::new(Opaque::<bindings::device>::zeroed(), GFP_KERNEL)?;
        let raw = KBox::into_raw(dev).cast::<bindings::device>();
        // SAFETY: `raw` is a zeroed, unshared `struct device`; once initialised, it is freed by
        // `release_device` when its last reference goes. `self.ptr` is a registered class;
        // `parent` is null or a valid device; `groups` is a valid, NULL-terminated, 'static
        // array of groups.
        unsafe {
            bindings::device_initialize(raw);
            (*raw).class = self.ptr.as_ptr();
            (*raw).parent = parent.map_or(core::ptr::null_mut(), |p| p.as_raw());
            (*raw).devt = devt.as_raw();
            (*raw).groups = groups.as_raw();
            (*raw).release = Some(release_device);
            // INVARIANT (of `DrvData`): the returned `Device` keeps `data` until the device
            // is deleted, which removes its attributes.
            bindings::dev_set_drvdata(raw, Arc::as_ptr(&data).cast_mut().cast());
        }
        // SAFETY: `raw` is initialised; the format "%s" takes the valid C string `name`, which
        // the driver core copies.
        let named = to_result(unsafe {
            bindings::dev_set_name(raw, c"%s".as_char_ptr(), name.as_char_ptr())
        });
        let cdev = named.and_then(|()| {
            // SAFETY: `raw` is a valid, initialised device.
            Cdev::<F>::add(devt, 1, Some(unsafe { device::Device::from_raw(raw) }))
        });
        let cdev = match cdev {
            Ok(cdev) => cdev,
            Err(e) => {
                // SAFETY: The reference of `device_initialize()`: its release frees it.
                unsafe { bindings::put_device(raw) };
                return Err(e);
            }
        };
        // SAFETY: `raw` is initialised and named.
        if let Err(e) = to_result(unsafe { bindings::device_add(raw) }) {
            drop(cdev);
            // SAFETY: As above: `device_add()` failed, its caller drops the reference.
            unsafe { bindings::put_device(raw) };
            return Err(e);
        }
        // INVARIANT: The device was initialised and added, with `cdev` for its number.
        Ok(Device {
            // SAFETY: `raw` came from `KBox::into_raw`, so it is not null.
            ptr: unsafe { NonNull::new_unchecked(raw) },
            cdev: ManuallyDrop::new(cdev),
            _data: data,
        })
    }
}

/// Frees a device of [`Class::register_device`] once its last reference is gone.
///
/// In the kernel crate, not in the module of the class's user: a release may run after that
/// module is gone (`CONFIG_DEBUG_KOBJECT_RELEASE` delays it on purpose).
///
/// # Safety
///
/// Called by the driver core for such a device, once.
unsafe extern "C" fn release_device(dev: *mut bindings::device) {
    // SAFETY: The device was allocated by `KBox::new` in `register_device`, and this is the
    // end of its last reference.
    drop(unsafe { KBox::from_raw(dev.cast::<Opaque<bindings::device>>()) });
}

impl Drop for Class {
    fn drop(&mut self) {
        // SAFETY: By the type invariants the class is registered; this is its only destruction.
        unsafe { bindings::class_destroy(self.ptr.as_ptr()) };
    }
}

/// The [`sysfs::Owner`] of the attributes of class devices that carry a `T`: the `data` of
/// [`Class::register_device`].
///
/// # Invariants
///
/// Groups of this owner are attached only by [`Class::register_device`], to devices whose
/// driver data is the `T` of an `Arc<T>` that lives until the device is deleted.
pub struct DrvData<T>(PhantomData<T>);

// SAFETY: By the type invariants, a device that a group of this owner is attached to has a
// live `T` as its driver data until it is deleted, and deleting it waits for running sysfs
// callbacks.
unsafe impl<T: Send + Sync + 'static> sysfs::Owner for DrvData<T> {
    type Data = T;

    unsafe fn data<'a>(dev: *mut bindings::device) -> &'a T {
        // SAFETY: `dev` is such a device, in a sysfs callback (safety requirements).
        unsafe { &*bindings::dev_get_drvdata(dev).cast::<T>() }
    }
}

/// A device of a [`Class`] and its character device, registered until dropped.
///
/// # Invariants
///
/// `ptr` was initialised and added by [`Class::register_device`] with `cdev` for its device
/// number and `_data` as its driver data; both devices are deleted exactly once, when this
/// object is dropped, and `_data` is dropped after them.
pub struct Device<T: Send + Sync + 'static, F: cdev::Operations> {
    ptr: NonNull<bindings::device>,
    cdev: ManuallyDrop<Cdev<F>>,
    _data: Arc<T>,
}

// SAFETY: A registered device may be used and unregistered from any thread; `T` is `Send +
// Sync`.
unsafe impl<T: Send + Sync + 'static, F: cdev::Operations> Send for Device<T, F> {}
// SAFETY: `&Device` only gives out `&device::Device`, which is `Sync`.
unsafe impl<T: Send + Sync + 'static, F: cdev::Operations> Sync for Device<T, F> {}

impl<T: Send + Sync + 'static, F: cdev::Operations> Device<T, F> {
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

impl<T: Send + Sync + 'static, F: cdev::Operations> Drop for Device<T, F> {
    fn drop(&mut self) {
        let raw = self.ptr.as_ptr();
        // As `cdev_device_del()`: the character device goes first (no new opens; files still
        // open keep it and, through it, the device), then the device, whose removal waits for
        // running sysfs callbacks.
        // SAFETY: Dropped once, here; the field is not used again.
        unsafe { ManuallyDrop::drop(&mut self.cdev) };
        // SAFETY: By the type invariants the device is added and this is its only deletion;
        // the reference dropped last is `device_initialize()`'s.
        unsafe {
            bindings::device_del(raw);
            bindings::put_device(raw);
        }
    }
}

#[kunit_tests(rust_class)]
mod tests {
    use super::*;
    use crate::{
        chrdev::Region,
        fmt,
        fs::File,
        sync::atomic::{Atomic, Relaxed},
    };

    struct Thing {
        answer: u32,
        dropped: Arc<Atomic<bool>>,
    }

    impl Drop for Thing {
        fn drop(&mut self) {
            self.dropped.store(true, Relaxed);
        }
    }

    struct Answer;

    impl sysfs::Show for Answer {
        type Owner = DrvData<Thing>;
        const NAME: &'static CStr = c"answer";

        fn show(thing: &Thing, buf: &mut sysfs::Buffer<'_>) -> Result {
            fmt::Write::write_fmt(buf, fmt!("{}\n", thing.answer)).map_err(|_| EFBIG)
        }
    }

    static ANSWER: sysfs::DeviceAttribute<DrvData<Thing>> =
        sysfs::DeviceAttribute::read_only::<Answer>();
    static ATTRS: sysfs::Attributes<DrvData<Thing>, 1> = sysfs::Attributes::new([&ANSWER]);
    static GROUP: sysfs::AttributeGroup<DrvData<Thing>> = sysfs::AttributeGroup::new(&ATTRS);
    static GROUPS: AttributeGroups<DrvData<Thing>> = AttributeGroups::new(&GROUP);

    struct NoFile;

    #[vtable]
    impl cdev::Operations for NoFile {
        type Ptr = KBox<()>;

        fn open(_devt: DevT, _file: &File) -> Result<KBox<()>> {
            Err(ENXIO)
        }
    }

    #[test]
    fn a_class_device_shows_its_data_and_has_its_number() -> Result {
        let class = Class::create(c"rust_kunit_class")?;
        let region = Region::alloc(1, c"rust_kunit_class")?;
        let devt = region.devt(0).ok_or(EINVAL)?;
        let dropped = Arc::new(Atomic::new(false), GFP_KERNEL)?;
        let thing = Arc::new(
            Thing {
                answer: 42,
                dropped: dropped.clone(),
            },
            GFP_KERNEL,
        )?;
        let dev =
            class.register_device::<_, NoFile>(None, devt, thing, &GROUPS, c"rust_kunit_dev0")?;
        assert_eq!(dev.device().name().to_bytes(), b"rust_kunit_dev0");
        // SAFETY: The device is registered while `dev` lives.
        assert_eq!(unsafe { (*dev.as_raw()).devt }, devt.as_raw());
        // The attribute shows the data the device carries, through the driver core's own
        // sysfs callback.
        let mut page = KVec::from_elem(0u8, bindings::PAGE_SIZE, GFP_KERNEL)?;
        let show = ANSWER.raw_show().ok_or(EINVAL)?;
        // SAFETY: A device the group is attached to, a page-sized buffer, as sysfs calls it.
        let n = unsafe { show(dev.as_raw(), ANSWER.as_raw(), page.as_mut_ptr().cast()) };
        assert_eq!(&page[..n as usize], b"42\n");
        // The device holds the data until it is unregistered.
        assert!(!dropped.load(Relaxed));
        drop(dev);
        assert!(dropped.load(Relaxed));
        // The number is free again: a second device of it registers.
        let again = class.register_device::<_, NoFile>(
            None,
            devt,
            Arc::new(Thing { answer: 7, dropped }, GFP_KERNEL)?,
            &GROUPS,
            c"rust_kunit_dev0",
        )?;
        drop(again);
        Ok(())
    }
}
