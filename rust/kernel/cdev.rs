// SPDX-License-Identifier: GPL-2.0

//! Character devices.
//!
//! C header: [`include/linux/cdev.h`](srctree/include/linux/cdev.h)
//!
//! A [`Cdev`] is a `struct cdev` embedded in the memory of a device, as `cdev_device_add()`
//! users embed theirs: the character device holds a reference on that device for as long as
//! it is added or open, so the memory outlives every file and every inode that can reach it.
//! It is added with an `Arc` of the data its files are for, which its [`Operations::open`]
//! receives, found through `inode->i_cdev`: no table to look the device number up in. When the
//! character device is deleted, it gives the data back; an open that still reaches it through
//! an inode that had it cached gets `ENXIO` (until that inode is evicted or its last file of the
//! old device closed, a node outside devtmpfs for a reused number opens nothing, as with
//! `cdev_device_add()`).

pub use crate::chrdev::DevT;
use crate::{
    bindings, device,
    error::{to_result, VTABLE_DEFAULT_ERROR},
    fs::File,
    module::this_module,
    prelude::*,
    sync::{poll::PollTable, static_lock_class, Arc, ArcBorrow, SpinLock},
    types::{ForeignOwnable, Opaque},
};
use core::ptr;

/// The file operations of a character device.
#[vtable]
pub trait Operations: Sized + 'static {
    /// The data the character device was added with, which [`Operations::open`] receives.
    type Data: Send + Sync + 'static;

    /// The private data of an open file.
    type Ptr: ForeignOwnable + Send + Sync;

    /// Opens the device added with `data`; the result becomes the file's private data.
    fn open(data: ArcBorrow<'_, Self::Data>, file: &File) -> Result<Self::Ptr>;

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

    /// Handles an ioctl of a 32-bit caller on a 64-bit kernel, for commands whose argument
    /// has another layout there. Without it, such callers get [`Operations::ioctl`] with their
    /// pointer widened (`compat_ptr_ioctl`). `arg` is as the caller passed it: a pointer in it
    /// must be widened with `compat_ptr()`.
    #[cfg(CONFIG_COMPAT)]
    fn compat_ioctl(
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

/// The data of an added character device: an `Arc<T::Data>` turned into a raw pointer, or
/// null when none.
struct Slot(*const c_void);

// SAFETY: The pointer is an `Arc` of `Send + Sync` data, which any thread may take or drop.
unsafe impl Send for Slot {}

/// A character device, to be embedded in the memory of a device that owns it.
///
/// A building block for abstractions that own such a device, as [`crate::class`] does:
/// adding and deleting it are `unsafe`, because the memory's lifetime is the device's.
///
/// # Invariants
///
/// - `cdev` is the first field: a `struct cdev *` of ours is a `*const Cdev`.
/// - While added for some [`Operations`] `T`, `data` holds an `Arc<T::Data>` (through
///   [`Arc::into_raw`]); otherwise it is null.
#[repr(C)]
#[pin_data]
pub struct Cdev {
    cdev: Opaque<bindings::cdev>,
    #[pin]
    data: SpinLock<Slot>,
}

impl Cdev {
    /// A character device not added yet.
    pub fn new() -> impl PinInit<Self> {
        // The name is read from a static, not written as a literal in the initialiser: the
        // initialiser is a closure, which the modules that use this inline, each with its own
        // copy of a literal, and lockdep wants one name for one class.
        static NAME: &CStr = c"Cdev::data";
        pin_init!(Self {
            cdev: Opaque::zeroed(),
            data <- SpinLock::new(Slot(ptr::null()), NAME, static_lock_class!()),
        })
    }

    /// Adds the character device for the number `devt`, whose files have the operations of
    /// `T`, belong to `T`'s module and are opened with `data`.
    ///
    /// On failure `data` is dropped, and `self` is as before.
    ///
    /// # Safety
    ///
    /// - `self` is not added, and lives in the memory of `parent`, which is initialised and
    ///   frees that memory only in its release: the added character device holds a reference on
    ///   `parent` until its own last reference is gone.
    /// - If this succeeds, [`Cdev::del`] is called for the same `T` before `parent` is freed.
    pub unsafe fn add<T: Operations>(
        &self,
        devt: DevT,
        parent: &device::Device,
        data: Arc<T::Data>,
    ) -> Result {
        let raw = self.cdev.get();
        // SAFETY: `raw` is ours and not added (safety requirements): `cdev_init()` may set it up
        // afresh. The ops table is 'static, and its `owner` pins the module for as long as a
        // file of it is open. `parent` is valid and initialised.
        unsafe {
            bindings::cdev_init(raw, Self::vtable::<T>());
            (*raw).owner = Self::vtable::<T>().owner;
            bindings::cdev_set_parent(raw, &raw mut (*parent.as_raw()).kobj);
        }
        // INVARIANT: Set before the device can be opened, taken back on failure below.
        self.data.lock().0 = Arc::into_raw(data).cast();
        // SAFETY: `raw` is initialised as above.
        if let Err(e) = to_result(unsafe { bindings::cdev_add(raw, devt.as_raw(), 1) }) {
            // Not added, and `cdev_add()` took no reference on the parent: nothing can reach
            // the character device, nothing to undo but the data.
            // SAFETY: Set above, for `T`.
            drop(unsafe { self.take::<T>() });
            return Err(e);
        }
        Ok(())
    }

    /// Deletes the character device: it opens no more files, while those still open keep it and
    /// its parent. Returns the data it was added with.
    ///
    /// # Safety
    ///
    /// `self` was added by [`Cdev::add`] for `T`, and is deleted only once.
    pub unsafe fn del<T: Operations>(&self) -> Option<Arc<T::Data>> {
        // SAFETY: Added (safety requirements), so a valid `struct cdev`.
        unsafe { bindings::cdev_del(self.cdev.get()) };
        // SAFETY: Added for `T` (safety requirements).
        unsafe { self.take::<T>() }
    }

    /// Takes the data out: later opens get `ENXIO`.
    ///
    /// # Safety
    ///
    /// `data` is null or holds an `Arc<T::Data>`.
    unsafe fn take<T: Operations>(&self) -> Option<Arc<T::Data>> {
        let p = core::mem::take(&mut self.data.lock().0);
        // SAFETY: Non-null, it came from `Arc::into_raw` for `T::Data` (safety requirements), and
        // was taken out of the slot, so it is given back once.
        (!p.is_null()).then(|| unsafe { Arc::from_raw(p.cast::<T::Data>()) })
    }

    /// The file operations of `T`.
    const fn vtable<T: Operations>() -> &'static bindings::file_operations {
        &FileOps::<T>::VTABLE
    }
}

/// The file operations of [`Cdev`]s of `T`.
struct FileOps<T>(core::marker::PhantomData<T>);

impl<T: Operations> FileOps<T> {
    const VTABLE: bindings::file_operations = bindings::file_operations {
        owner: this_module::<T::OwnerModule>().as_ptr(),
        open: Some(Self::open),
        release: Some(Self::release),
        unlocked_ioctl: if T::HAS_IOCTL {
            Some(Self::ioctl)
        } else {
            None
        },
        #[cfg(CONFIG_COMPAT)]
        compat_ioctl: if T::HAS_COMPAT_IOCTL {
            Some(Self::compat_ioctl)
        } else if T::HAS_IOCTL {
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
    /// Called by the VFS (`chrdev_open()`) for an inode whose `i_cdev` is a [`Cdev`] added for
    /// `T`, which it holds a reference on, and a file being opened.
    unsafe extern "C" fn open(inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: `chrdev_open()` set `i_cdev` and holds a reference on it, so the `Cdev` and
        // the memory around it (the reference it holds on its parent) live for the call.
        let cdev = unsafe { &*(*inode).__bindgen_anon_5.i_cdev.cast::<Cdev>() };
        let data = {
            let slot = cdev.data.lock();
            if slot.0.is_null() {
                // Deleted, but reached through an inode that had it cached.
                return ENXIO.to_errno();
            }
            // SAFETY: While in the slot, the pointer is an `Arc<T::Data>` (type invariants),
            // which the slot's lock keeps from being taken while this borrow is turned into a
            // reference of our own.
            Arc::from(unsafe { ArcBorrow::from_raw(slot.0.cast::<T::Data>()) })
        };
        // SAFETY: The file is valid for the duration of the call, and there is no active
        // `fdget_pos` region on it.
        let f = unsafe { File::from_raw_file(file) };
        match T::open(data.as_arc_borrow(), f) {
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
    /// Called by the VFS for a file opened by [`Self::open`] and not yet released, in a 32-bit
    /// task's ioctl.
    #[cfg(CONFIG_COMPAT)]
    unsafe extern "C" fn compat_ioctl(
        file: *mut bindings::file,
        cmd: c_uint,
        arg: c_ulong,
    ) -> c_long {
        // SAFETY: `open` stored a `T::Ptr`, which `release` has not taken back yet.
        let data = unsafe { <T::Ptr as ForeignOwnable>::borrow((*file).private_data) };
        // SAFETY: The file is valid for the duration of the call.
        let f = unsafe { File::from_raw_file(file) };
        match T::compat_ioctl(data, f, cmd, arg) {
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
