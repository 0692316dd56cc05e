// SPDX-License-Identifier: GPL-2.0

//! The class, its device numbers, and the ids of the registered cards.
//!
//! A card's id is the lowest one free when it registers; it is the N of `fpga_imageN` and the
//! minor of `/dev/fpga_imageN`. An id goes back to the pool only when the card's
//! [`Registered`] is dropped, after its character device and class device are both deleted,
//! so a card registering at the same time never gets a name or number still in use.

use crate::{attrs, file::ImageFile, load::ImageLoad};
use kernel::{
    bindings,
    chrdev::Region,
    class::{self, Class},
    device::Device,
    id_pool::IdPool,
    prelude::*,
    str::CString,
    sync::{global_lock, Arc},
};

/// How many cards the class serves at most.
pub(crate) const MAX_DEVICES: u32 = 256;

struct Registry {
    class: Class,
    region: Region,
    ids: IdPool,
}

global_lock! {
    // SAFETY: `init` initialises it at module init, before any use.
    unsafe(uninit) static REGISTRY: Mutex<Option<Registry>> = None;
}

/// Creates the class and allocates its device numbers.
pub(crate) fn init() -> Result {
    // SAFETY: Called once, from module init, before anything else uses `REGISTRY`.
    unsafe { REGISTRY.init() };
    let class = Class::create(c"fpga_image_load")?;
    let region = Region::alloc(MAX_DEVICES, c"fpga_image_load")?;
    let ids = IdPool::with_capacity(MAX_DEVICES as usize, GFP_KERNEL)?;
    *REGISTRY.lock() = Some(Registry { class, region, ids });
    Ok(())
}

/// Destroys the class. Drivers of cards depend on this module, so none is left.
pub(crate) fn exit() {
    // A static is never dropped: drop its contents.
    drop(REGISTRY.lock().take());
}

/// A card's id, taken from the pool; given back when dropped.
///
/// Dropping one takes `REGISTRY`: never drop an [`Id`] (or a [`Registered`]) with `REGISTRY`
/// or a card's state held. The lock order is `REGISTRY`, then a card's state.
struct Id(u32);

impl Drop for Id {
    fn drop(&mut self) {
        if let Some(r) = REGISTRY.lock().as_mut() {
            r.ids.release_id(self.0 as usize);
        }
    }
}

/// What a registered card holds of the class: its devices, then its id. Fields drop in
/// order, so the id is free again only once both devices are deleted.
pub(crate) struct Registered {
    dev: class::Device<ImageLoad, ImageFile>,
    _id: Id,
}

impl Registered {
    /// The class device, `fpga_imageN`.
    pub(crate) fn device(&self) -> &Device {
        self.dev.device()
    }
}

/// Registers a card of `parent` with the driver's `ops` and `data`.
///
/// Returns the card's reference of the registration, which [`unregister`] takes back.
///
/// # Safety
///
/// `ops` is null or points to operations that, with `data`, stay valid until
/// [`unregister`] returns for the card.
pub(crate) unsafe fn register(
    parent: &Device,
    ops: *const bindings::fpga_image_load_ops,
    data: *mut c_void,
) -> Result<Arc<ImageLoad>> {
    // SAFETY: `ops` is null or valid (safety requirements).
    let complete = unsafe { ops.as_ref() }.is_some_and(|o| {
        o.prepare.is_some()
            && o.write_blk.is_some()
            && o.poll_complete.is_some()
            && o.cancel.is_some()
    });
    if !complete {
        dev_err!(
            parent,
            "fpga_image_load: register without all required ops (prepare, write_blk, poll_complete, cancel)\n"
        );
        return Err(EINVAL);
    }

    // Held until the devices exist: registrations are serialised, and the id's bit is set
    // before the lock is dropped.
    let mut guard = REGISTRY.lock();
    let r = guard.as_mut().ok_or(ENODEV)?;
    let Some(id) = r.ids.find_unused_id(0).map(|id| id.acquire()) else {
        dev_err!(parent, "fpga_image_load: all {} ids in use\n", MAX_DEVICES);
        return Err(ENOSPC);
    };
    // SAFETY: By the safety requirements.
    match unsafe { add(r, id, parent, ops, data) } {
        Ok(load) => Ok(load),
        Err(e) => {
            r.ids.release_id(id);
            Err(e)
        }
    }
}

/// Creates card `id` and its devices.
///
/// # Safety
///
/// As for [`register`], and `ops` is complete.
unsafe fn add(
    r: &Registry,
    id: usize,
    parent: &Device,
    ops: *const bindings::fpga_image_load_ops,
    data: *mut c_void,
) -> Result<Arc<ImageLoad>> {
    let id = u32::try_from(id).map_err(|_| ENOSPC)?;
    let devt = r.region.devt(id).ok_or_else(|| {
        dev_err!(
            parent,
            "fpga_image_load: all {} devices in use\n",
            MAX_DEVICES
        );
        ENOSPC
    })?;
    // SAFETY: `ops` is complete and valid with `data` until unregister (safety requirements).
    let load = Arc::pin_init(unsafe { ImageLoad::new(id, ops, data) }, GFP_KERNEL)?;
    let name = CString::try_from_fmt(fmt!("fpga_image{}", id))?;
    let dev = r
        .class
        .register_device::<_, ImageFile>(Some(parent), devt, load.clone(), &attrs::GROUPS, &name)
        .inspect_err(|_| {
            // The character device was there for a moment: a file opened then may have
            // started a load. End it, and make the card gone for that file, as unregister does.
            drop(load.unregister());
        })?;
    load.set_registered(Registered { dev, _id: Id(id) });
    Ok(load)
}

/// Unregisters a card: ends its load, waits for it, deletes its devices, frees its id.
pub(crate) fn unregister(load: Arc<ImageLoad>) {
    // Deletes the character device and the class device, then frees the id.
    drop(load.unregister());
}
