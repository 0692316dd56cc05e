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
use core::{marker::PhantomData, pin::Pin, ptr::NonNull};

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
    /// number `devt` whose files have the operations of `F` and are opened with `data`.
    ///
    /// The order is `cdev_device_add()`'s: the character device exists before the device is
    /// added, so the node that user space sees for it never opens a number with nothing
    /// behind it. Both live in one allocation that the device's release frees, and the
    /// character device holds a reference on the device while it is added or open, as in
    /// `cdev_device_add()` users. The device carries `data`, which its attributes (`groups`)
    /// are shown for and its files are opened with, until the returned [`Device`] is dropped:
    /// that deletes both devices and only then drops `data`, so that the number and the name
    /// can be given to another device once it returns.
    pub fn register_device<T: Send + Sync + 'static, F: cdev::Operations<Data = T>>(
        &self,
        parent: Option<&device::Device>,
        devt: DevT,
        data: Arc<T>,
        groups: &'static AttributeGroups<DrvData<T>>,
        name: &CStr,
    ) -> Result<Device<T, F>> {
        let inner = KBox::pin_init(
            pin_init!(Inner {
                dev: Opaque::zeroed(),
                cdev <- Cdev::new(),
            }),
            GFP_KERNEL,
        )?;
        // SAFETY: The memory is never moved: it is freed in place by `release_device`.
        let inner = KBox::into_raw(unsafe { Pin::into_inner_unchecked(inner) });
        // SAFETY: `inner` was just allocated; `dev` is its first field (`repr(C)`).
        let raw = unsafe { (*inner).dev.get() };
        // SAFETY: `raw` is a zeroed, unshared `struct device`; once initialised, it is freed
        // (with the rest of `inner`) by `release_device` when its last reference goes.
        // `self.ptr` is a registered class; `parent` is null or a valid device; `groups` is a
        // valid, NULL-terminated, 'static array of groups.
        unsafe {
            bindings::device_initialize(raw);
            (*raw).class = self.ptr.as_ptr();
            (*raw).parent = parent.map_or(core::ptr::null_mut(), |p| p.as_raw());
            (*raw).devt = devt.as_raw();
            (*raw).groups = groups.as_raw();
            (*raw).release = Some(release_device);
            // INVARIANT (of `DrvData`): the character device keeps `data` until the returned
            // `Device` has deleted the device, which removes its attributes.
            bindings::dev_set_drvdata(raw, Arc::as_ptr(&data).cast_mut().cast());
        }
        // SAFETY: `raw` is initialised; the format "%s" takes the valid C string `name`, which
        // the driver core copies.
        let named = to_result(unsafe {
            bindings::dev_set_name(raw, c"%s".as_char_ptr(), name.as_char_ptr())
        });
        let added = named.and_then(|()| {
            // SAFETY: The cdev is not added and lives in the memory of the device `raw`,
            // initialised above, which frees it only in its release. It is deleted in
            // `Device::drop`, or below if `device_add` fails.
            unsafe {
                (*inner)
                    .cdev
                    .add::<F>(devt, device::Device::from_raw(raw), data)
            }
        });
        if let Err(e) = added {
            // SAFETY: The reference of `device_initialize()`: its release frees it.
            unsafe { bindings::put_device(raw) };
            return Err(e);
        }
        // SAFETY: `raw` is initialised and named.
        if let Err(e) = to_result(unsafe { bindings::device_add(raw) }) {
            // SAFETY: Added just now, for `F`.
            drop(unsafe { (*inner).cdev.del::<F>() });
            // SAFETY: As above: `device_add()` failed, its caller drops the reference.
            unsafe { bindings::put_device(raw) };
            return Err(e);
        }
        // INVARIANT: The device was initialised and added, with its cdev added for `F`.
        Ok(Device {
            // SAFETY: `inner` came from `KBox::into_raw`, so it is not null.
            inner: unsafe { NonNull::new_unchecked(inner) },
            _t: PhantomData,
        })
    }
}

/// A device of [`Class::register_device`] and its character device, in one allocation.
///
/// # Invariants
///
/// `dev` is the first field: the `struct device *` of such a device is an `*mut Inner`.
#[repr(C)]
#[pin_data]
struct Inner {
    dev: Opaque<bindings::device>,
    #[pin]
    cdev: Cdev,
}

/// Frees a device of [`Class::register_device`] once its last reference is gone.
///
/// In the kernel crate, and not generic, so not in the module of the class's user: a release
/// may run after that module is gone (`CONFIG_DEBUG_KOBJECT_RELEASE` delays it on purpose).
/// The character device's data was given back when it was deleted, so nothing of the user's
/// is left to drop.
///
/// # Safety
///
/// Called by the driver core for such a device, once.
unsafe extern "C" fn release_device(dev: *mut bindings::device) {
    // SAFETY: The device is the first field of an `Inner` allocated by `KBox` in
    // `register_device`, and this is the end of its last reference: the character device's
    // own reference on it is gone too, so nothing uses the `Inner` any more.
    drop(unsafe { KBox::from_raw(dev.cast::<Inner>()) });
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
/// `inner` was initialised and added by [`Class::register_device`], with its character device
/// added for `F`; both are deleted exactly once, when this object is dropped, and the data `T`
/// is dropped after them.
pub struct Device<T: Send + Sync + 'static, F: cdev::Operations<Data = T>> {
    inner: NonNull<Inner>,
    _t: PhantomData<(Arc<T>, F)>,
}

// SAFETY: A registered device may be used and unregistered from any thread; `T` is `Send +
// Sync`.
unsafe impl<T: Send + Sync + 'static, F: cdev::Operations<Data = T>> Send for Device<T, F> {}
// SAFETY: `&Device` only gives out `&device::Device`, which is `Sync`.
unsafe impl<T: Send + Sync + 'static, F: cdev::Operations<Data = T>> Sync for Device<T, F> {}

impl<T: Send + Sync + 'static, F: cdev::Operations<Data = T>> Device<T, F> {
    /// The raw `struct device`, valid while `self` lives.
    pub fn as_raw(&self) -> *mut bindings::device {
        // SAFETY: By the type invariants `inner` is valid while `self` lives.
        unsafe { self.inner.as_ref() }.dev.get()
    }

    /// The generic device.
    pub fn device(&self) -> &device::Device {
        // SAFETY: By the type invariants the device is registered, so valid, for as long as
        // `self` lives.
        unsafe { device::Device::from_raw(self.as_raw()) }
    }
}

impl<T: Send + Sync + 'static, F: cdev::Operations<Data = T>> Drop for Device<T, F> {
    fn drop(&mut self) {
        let raw = self.as_raw();
        // The character device goes first: no new opens, while files still open keep it and,
        // through it, the device. Then the device, whose removal waits for running sysfs
        // callbacks. (`cdev_device_del()` does the two the other way round; either is fine.)
        // SAFETY: By the type invariants the cdev was added for `F` and this is its only
        // deletion.
        let data = unsafe { self.inner.as_ref().cdev.del::<F>() };
        // SAFETY: By the type invariants the device is added and this is its only deletion;
        // the reference dropped last is `device_initialize()`'s.
        unsafe { bindings::device_del(raw) };
        // No attribute shows `data` any more, no file can be opened with it.
        drop(data);
        // SAFETY: As above.
        unsafe { bindings::put_device(raw) };
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
        sync::ArcBorrow,
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
        type Data = Thing;
        type Ptr = KBox<()>;

        fn open(_thing: ArcBorrow<'_, Thing>, _file: &File) -> Result<KBox<()>> {
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
