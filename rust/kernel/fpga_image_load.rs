// SPDX-License-Identifier: GPL-2.0

//! FPGA Image Load lower-level drivers.
//!
//! C header: [`include/linux/fpga/fpga-image-load.h`](srctree/include/linux/fpga/fpga-image-load.h)
//!
//! A lower-level driver implements [`Operations`] for its per-card data and registers it with
//! [`Registration::new`] on a device it is bound to; the `fpga_image_load` class module then
//! gives the card a `/dev/fpga_imageN` and calls the operations from its worker while a load
//! runs. The [`Registration`] lives in a [`Devres`], so it ends with the binding at the latest:
//! ending it, by dropping the [`Devres`] or by unbinding the parent, ends any running load as
//! canceled, waits for it, and removes the device.
//!
//! Everything here that calls into the class module is generic over the driver's type, so it
//! is compiled into the driver's module, which depends on `fpga_image_load.ko`, and never into
//! the kernel image.

use crate::{
    bindings,
    device::{Bound, Device},
    devres::Devres,
    error::from_err_ptr,
    module::this_module,
    prelude::*,
    sync::{aref::ARef, Arc},
};
use core::ptr::NonNull;

/// The error a load ends with, as `enum fpga_image_err`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum LoadError {
    /// The hardware reported an error.
    HwError = bindings::fpga_image_err_FPGA_IMAGE_ERR_HW_ERROR,
    /// The hardware did not answer in time.
    Timeout = bindings::fpga_image_err_FPGA_IMAGE_ERR_TIMEOUT,
    /// The load was canceled.
    Canceled = bindings::fpga_image_err_FPGA_IMAGE_ERR_CANCELED,
    /// The hardware is busy.
    Busy = bindings::fpga_image_err_FPGA_IMAGE_ERR_BUSY,
    /// The hardware does not accept an image of this size.
    InvalidSize = bindings::fpga_image_err_FPGA_IMAGE_ERR_INVALID_SIZE,
    /// Reading or writing the device failed.
    RwError = bindings::fpga_image_err_FPGA_IMAGE_ERR_RW_ERROR,
    /// The flash is worn out.
    Wearout = bindings::fpga_image_err_FPGA_IMAGE_ERR_WEAROUT,
}

impl LoadError {
    /// All errors, in the order of their codes.
    pub const ALL: [Self; 7] = [
        Self::HwError,
        Self::Timeout,
        Self::Canceled,
        Self::Busy,
        Self::InvalidSize,
        Self::RwError,
        Self::Wearout,
    ];

    /// The error of a code, `None` for `FPGA_IMAGE_ERR_NONE` and unknown codes.
    pub fn from_code(code: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|e| *e as u32 == code)
    }

    /// The error's name, as sysfs `error` shows it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::HwError => "hw-error",
            Self::Timeout => "timeout",
            Self::Canceled => "canceled",
            Self::Busy => "busy",
            Self::InvalidSize => "invalid-size",
            Self::RwError => "rw-error",
            Self::Wearout => "wearout",
        }
    }

    fn code(r: Result<(), Self>) -> bindings::fpga_image_err {
        match r {
            Ok(()) => bindings::fpga_image_err_FPGA_IMAGE_ERR_NONE,
            Err(e) => e as u32,
        }
    }
}

/// The operations of a card, implemented by the lower-level driver's per-card data.
///
/// The class calls `prepare`, `write_blk`, `poll_complete` and `cleanup` from one worker, one
/// at a time, and `cancel` from other threads, possibly while another operation runs. Each gets
/// the parent device the card was registered on, bound for the whole call (the registration
/// ends with the binding at the latest, and ending it waits for the operations), so that a
/// driver reaches its resources with [`Devres::access`].
#[vtable]
pub trait Operations: Send + Sync + Sized + 'static {
    /// Prepares the card for `image`.
    fn prepare(&self, dev: &Device<Bound>, image: &[u8]) -> Result<(), LoadError>;

    /// Writes the start of `blk`, which is the image from byte `offset` on, and returns how
    /// many bytes it took: at least 1, at most `blk.len()`.
    fn write_blk(&self, dev: &Device<Bound>, blk: &[u8], offset: u32) -> Result<u32, LoadError>;

    /// Waits until the card has programmed the image; returns [`LoadError::Canceled`] soon
    /// after [`Operations::cancel`].
    fn poll_complete(&self, dev: &Device<Bound>) -> Result<(), LoadError>;

    /// Asks the card to stop the load. Must not sleep for long.
    fn cancel(&self, dev: &Device<Bound>);

    /// Undoes `prepare`, at the end of every load whose `prepare` succeeded.
    fn cleanup(&self, _dev: &Device<Bound>) {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }
}

/// What a card's operations are called with: the driver's data and the parent device.
struct Card<T> {
    parent: ARef<Device>,
    data: Arc<T>,
}

/// A card registered with the FPGA Image Load class.
///
/// # Invariants
///
/// `imgld` was returned by `fpga_image_load_register()` with `Registration::OPS` and a
/// pointer to `card` as its private data, and is unregistered exactly once, in `drop`, before
/// `card` goes. `card.parent` is the device it was registered on, bound while `self` lives.
pub struct Registration<T: Operations> {
    imgld: NonNull<bindings::fpga_image_load>,
    card: KBox<Card<T>>,
}

// SAFETY: The class allows unregistering from any thread; `T` is `Send + Sync`.
unsafe impl<T: Operations> Send for Registration<T> {}
// SAFETY: `&Registration` only gives shared access to `T`, which is `Sync`, and to the device.
unsafe impl<T: Operations> Sync for Registration<T> {}

impl<T: Operations> Registration<T> {
    /// Registers a card whose parent device is `parent` and whose operations are `data`'s.
    ///
    /// The card is the bound driver's: the driver's module (the one implementing `T`) is
    /// pinned while a load runs, and the registration is device-managed. It ends when the
    /// returned [`Devres`] is dropped or when `parent` unbinds, whichever comes first; both
    /// happen in process context, and both wait for a running load to end. Reach the
    /// [`Registration`] through [`Devres::access`] while bound.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::{
    ///     device::{Bound, Device},
    ///     devres::Devres,
    ///     fpga_image_load::{Operations, Registration},
    ///     prelude::*,
    ///     sync::Arc,
    /// };
    ///
    /// // In a probe: the card goes when the driver unbinds, or when the `Devres` is dropped.
    /// fn probe<T: Operations>(
    ///     dev: &Device<Bound>,
    ///     card: Arc<T>,
    /// ) -> Result<Devres<Registration<T>>> {
    ///     let reg = Registration::new(dev, card)?;
    ///     dev_info!(dev, "card {}\n", reg.access(dev)?.device().name());
    ///     Ok(reg)
    /// }
    /// ```
    pub fn new(parent: &Device<Bound>, data: Arc<T>) -> Result<Devres<Self>> {
        // If `Devres::new` fails, it drops the registration, which unregisters.
        Devres::new(parent, Self::register(parent, data)?)
    }

    /// The operations of `T`'s cards, one table for all of them.
    const OPS: bindings::fpga_image_load_ops = bindings::fpga_image_load_ops {
        owner: this_module::<T::OwnerModule>().as_ptr(),
        prepare: Some(Self::prepare),
        write_blk: Some(Self::write_blk),
        poll_complete: Some(Self::poll_complete),
        cancel: Some(Self::cancel),
        cleanup: if T::HAS_CLEANUP {
            Some(Self::cleanup)
        } else {
            None
        },
    };

    fn register(parent: &Device<Bound>, data: Arc<T>) -> Result<Self> {
        let ops: &'static bindings::fpga_image_load_ops = &Self::OPS;
        let card = KBox::new(
            Card {
                parent: ARef::from(&**parent),
                data,
            },
            GFP_KERNEL,
        )?;
        // SAFETY: `parent` is a valid device; `ops` is 'static, and `card` stays at its
        // address until after `fpga_image_load_unregister()` in `drop` (type invariants).
        let imgld = from_err_ptr(unsafe {
            bindings::fpga_image_load_register(
                parent.as_raw(),
                ops,
                core::ptr::from_ref(&*card).cast_mut().cast(),
            )
        })?;
        // INVARIANT: registered with `OPS` and `card` just now, on `parent`, which is bound
        // until the `Devres` that holds `self` is revoked.
        Ok(Self {
            imgld: NonNull::new(imgld).ok_or(EINVAL)?,
            card,
        })
    }

    /// The card as the C API knows it, `struct fpga_image_load *`.
    pub fn as_raw(&self) -> *mut bindings::fpga_image_load {
        self.imgld.as_ptr()
    }

    /// The card's data.
    pub fn data(&self) -> &Arc<T> {
        &self.card.data
    }

    /// The class device, `fpga_imageN`.
    pub fn device(&self) -> &Device {
        // SAFETY: By the type invariants `imgld` is registered; its device lives as long.
        unsafe { Device::from_raw(bindings::fpga_image_load_dev(self.imgld.as_ptr())) }
    }

    /// The driver's data and the bound parent of a card, for one of its operations.
    ///
    /// # Safety
    ///
    /// `imgld` is a card registered by [`Registration::new`] for `T`, and the class is calling
    /// one of its operations.
    unsafe fn card_of<'a>(imgld: *mut bindings::fpga_image_load) -> (&'a T, &'a Device<Bound>) {
        // SAFETY: The private data is the `Card` of the registration, alive until it
        // unregisters, which waits for every operation to return.
        let card = unsafe { &*bindings::fpga_image_load_priv(imgld).cast::<Card<T>>() };
        // SAFETY: The registration lives in a `Devres` of the parent: while an operation runs,
        // it is not dropped, so the parent has not finished unbinding (type invariants).
        (&card.data, unsafe { card.parent.as_bound() })
    }

    /// # Safety
    ///
    /// Called by the class with a card registered by [`Registration::new`] for `T`, and for
    /// `prepare`'s buffers what `struct fpga_image_load_ops` documents.
    unsafe extern "C" fn prepare(
        imgld: *mut bindings::fpga_image_load,
        data: *const u8,
        size: u32,
    ) -> bindings::fpga_image_err {
        // SAFETY: The class passes the image, `size` bytes valid until the load ends.
        let image = unsafe { core::slice::from_raw_parts(data, size as usize) };
        // SAFETY: The class calls the ops of a registered card.
        let (card, dev) = unsafe { Self::card_of(imgld) };
        LoadError::code(card.prepare(dev, image))
    }

    /// # Safety
    ///
    /// Called by the class with a card registered by [`Registration::new`] for `T`, and for
    /// `write_blk`'s buffers what `struct fpga_image_load_ops` documents.
    unsafe extern "C" fn write_blk(
        imgld: *mut bindings::fpga_image_load,
        blk: *const u8,
        offset: u32,
        size: u32,
        written: *mut u32,
    ) -> bindings::fpga_image_err {
        // SAFETY: The class passes `size` valid bytes of the image at `blk`.
        let blk = unsafe { core::slice::from_raw_parts(blk, size as usize) };
        // SAFETY: The class calls the ops of a registered card.
        let (card, dev) = unsafe { Self::card_of(imgld) };
        match card.write_blk(dev, blk, offset) {
            Ok(n) => {
                // SAFETY: `written` is valid for writes.
                unsafe { *written = n };
                LoadError::code(Ok(()))
            }
            Err(e) => LoadError::code(Err(e)),
        }
    }

    /// # Safety
    ///
    /// Called by the class with a card registered by [`Registration::new`] for `T`, and for
    /// `poll_complete`'s buffers what `struct fpga_image_load_ops` documents.
    unsafe extern "C" fn poll_complete(
        imgld: *mut bindings::fpga_image_load,
    ) -> bindings::fpga_image_err {
        // SAFETY: The class calls the ops of a registered card.
        let (card, dev) = unsafe { Self::card_of(imgld) };
        LoadError::code(card.poll_complete(dev))
    }

    /// # Safety
    ///
    /// Called by the class with a card registered by [`Registration::new`] for `T`, and for
    /// `cancel`'s buffers what `struct fpga_image_load_ops` documents.
    unsafe extern "C" fn cancel(imgld: *mut bindings::fpga_image_load) {
        // SAFETY: The class calls the ops of a registered card.
        let (card, dev) = unsafe { Self::card_of(imgld) };
        card.cancel(dev)
    }

    /// # Safety
    ///
    /// Called by the class with a card registered by [`Registration::new`] for `T`, and for
    /// `cleanup`'s buffers what `struct fpga_image_load_ops` documents.
    unsafe extern "C" fn cleanup(imgld: *mut bindings::fpga_image_load) {
        // SAFETY: The class calls the ops of a registered card.
        let (card, dev) = unsafe { Self::card_of(imgld) };
        card.cleanup(dev)
    }
}

impl<T: Operations> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariants the card is registered and this is its only
        // unregistration; it returns once no operation runs or will run.
        unsafe { bindings::fpga_image_load_unregister(self.imgld.as_ptr()) };
    }
}
