// SPDX-License-Identifier: GPL-2.0

//! Character devices.
//!
//! C header: [`include/linux/cdev.h`](srctree/include/linux/cdev.h)
//!
//! A [`Cdev`] makes a range of device numbers open files whose operations are those of a type
//! implementing [`Operations`]. The `struct cdev` is allocated by the C side (`cdev_alloc()`),
//! so its lifetime is the kernel's business: an open file keeps it, and its parent device,
//! alive after [`Cdev`] is dropped. `open` is told the device number, so a driver finds its
//! device without pointers into its own memory.

pub use crate::chrdev::DevT;
use crate::{
    bindings, device,
    error::{to_result, VTABLE_DEFAULT_ERROR},
    fs::File,
    module::this_module,
    prelude::*,
    sync::poll::PollTable,
    types::ForeignOwnable,
};
use core::{marker::PhantomData, ptr::NonNull};

/// The file operations of a character device.
#[vtable]
pub trait Operations: Sized + 'static {
    /// The private data of an open file.
    type Ptr: ForeignOwnable + Send + Sync;

    /// Opens the device numbered `devt`; the result becomes the file's private data.
    fn open(devt: DevT, file: &File) -> Result<Self::Ptr>;

    /// Releases an open file.
    fn release(data: Self::Ptr, _file: &File) {
        drop(data);
    }

    /// Handles an ioctl.
    fn ioctl(
        _data: <Self::Ptr as ForeignOwnable>::Borrowed<'_>,
        _file: &File,
        _cmd: u32,
        _arg: usize,
    ) -> Result<isize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Registers `table` with the wait queues to wake on, and returns the current poll mask
    /// (`EPOLLIN` and the like).
    fn poll(
        _data: <Self::Ptr as ForeignOwnable>::Borrowed<'_>,
        _file: &File,
        _table: PollTable<'_>,
    ) -> u32 {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// A registered character device.
///
/// # Invariants
///
/// `ptr` is a `struct cdev` from `cdev_alloc()` that was added with `cdev_add()`; it is deleted
/// exactly once, when this object is dropped.
pub struct Cdev<T: Operations> {
    ptr: NonNull<bindings::cdev>,
    _t: PhantomData<T>,
}

// SAFETY: A `struct cdev` may be deleted from any thread.
unsafe impl<T: Operations> Send for Cdev<T> {}
// SAFETY: `&Cdev` gives no access to the `struct cdev`.
unsafe impl<T: Operations> Sync for Cdev<T> {}

impl<T: Operations> Cdev<T> {
    /// Adds a character device for the `count` numbers from `devt`, whose files have the
    /// operations of `T` and belong to `T`'s module.
    ///
    /// With a `parent`, the parent device stays alive for as long as the character device is
    /// open, as `cdev_device_add()` arranges; the parent must be initialised, and is usually
    /// added to the driver core only after this returns, so that its device node never
    /// opens a number that has no character device yet.
    pub fn add(devt: DevT, count: u32, parent: Option<&device::Device>) -> Result<Self> {
        // SAFETY: No preconditions.
        let cdev = NonNull::new(unsafe { bindings::cdev_alloc() }).ok_or(ENOMEM)?;
        let raw = cdev.as_ptr();
        // SAFETY: `raw` is a freshly allocated, unshared `struct cdev`; the ops table is
        // 'static and its `owner` pins the module for as long as a file of it is open.
        unsafe {
            (*raw).ops = Self::VTABLE;
            (*raw).owner = Self::VTABLE.owner;
            if let Some(p) = parent {
                bindings::cdev_set_parent(raw, &raw mut (*p.as_raw()).kobj);
            }
        }
        // SAFETY: `raw` is initialised as above.
        if let Err(e) = to_result(unsafe { bindings::cdev_add(raw, devt.as_raw(), count) }) {
            // SAFETY: The cdev was not added, so `cdev_add()` took no reference on the parent
            // that the cdev's release would drop: forget the parent, then drop the reference
            // of `cdev_alloc()`, which frees the cdev.
            unsafe {
                (*raw).kobj.parent = core::ptr::null_mut();
                bindings::kobject_put(&raw mut (*raw).kobj);
            }
            return Err(e);
        }
        // INVARIANT: The cdev was allocated and added.
        Ok(Self {
            ptr: cdev,
            _t: PhantomData,
        })
    }

    const VTABLE: &'static bindings::file_operations = &bindings::file_operations {
        owner: this_module::<T::OwnerModule>().as_ptr(),
        open: Some(Self::open),
        release: Some(Self::release),
        unlocked_ioctl: if T::HAS_IOCTL {
            Some(Self::ioctl)
        } else {
            None
        },
        // 32-bit callers pass pointers that `compat_ptr_ioctl` widens; the ioctl numbers of
        // every user of this abstraction are the same in both ABIs.
        #[cfg(CONFIG_COMPAT)]
        compat_ioctl: if T::HAS_IOCTL {
            bindings::compat_ptr_ioctl
        } else {
            None
        },
        poll: if T::HAS_POLL { Some(Self::poll) } else { None },
        llseek: Some(bindings::noop_llseek),
        ..pin_init::zeroed()
    };

    /// # Safety
    ///
    /// Called by the VFS for an inode of this character device and a file being opened.
    unsafe extern "C" fn open(inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: The inode is valid for the duration of the call.
        let devt = DevT::from_raw(unsafe { (*inode).i_rdev });
        // SAFETY: The file is valid for the duration of the call, and there is no active
        // `fdget_pos` region on it.
        let f = unsafe { File::from_raw_file(file) };
        match T::open(devt, f) {
            Ok(ptr) => {
                // SAFETY: The file is being opened: its private data is ours to set. Every later
                // operation of this vtable reads it as a `T::Ptr`.
                unsafe { (*file).private_data = ptr.into_foreign() };
                0
            }
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Called by the VFS for a file opened by [`Self::open`] that is being released.
    unsafe extern "C" fn release(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: `open` stored a `T::Ptr` in the private data; release owns it from now on.
        let ptr = unsafe { <T::Ptr as ForeignOwnable>::from_foreign((*file).private_data) };
        // SAFETY: The file is valid for the duration of the call.
        T::release(ptr, unsafe { File::from_raw_file(file) });
        0
    }

    /// # Safety
    ///
    /// Called by the VFS for a file opened by [`Self::open`] and not yet released.
    unsafe extern "C" fn ioctl(file: *mut bindings::file, cmd: c_uint, arg: c_ulong) -> c_long {
        // SAFETY: `open` stored a `T::Ptr`, which `release` has not taken back yet.
        let data = unsafe { <T::Ptr as ForeignOwnable>::borrow((*file).private_data) };
        // SAFETY: The file is valid for the duration of the call.
        let f = unsafe { File::from_raw_file(file) };
        match T::ioctl(data, f, cmd, arg) {
            Ok(r) => r as c_long,
            Err(e) => e.to_errno() as c_long,
        }
    }

    /// # Safety
    ///
    /// Called by the VFS for a file opened by [`Self::open`] and not yet released, and a null or
    /// valid poll table.
    unsafe extern "C" fn poll(
        file: *mut bindings::file,
        table: *mut bindings::poll_table,
    ) -> bindings::__poll_t {
        // SAFETY: `open` stored a `T::Ptr`, which `release` has not taken back yet.
        let data = unsafe { <T::Ptr as ForeignOwnable>::borrow((*file).private_data) };
        // SAFETY: The file is valid for the duration of the call.
        let f = unsafe { File::from_raw_file(file) };
        // SAFETY: The table is null or valid for the duration of the call.
        T::poll(data, f, unsafe { PollTable::from_raw(table) })
    }
}

impl<T: Operations> Drop for Cdev<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariants the cdev was added and is deleted only here. Files
        // still open keep their own reference to it.
        unsafe { bindings::cdev_del(self.ptr.as_ptr()) };
    }
}
