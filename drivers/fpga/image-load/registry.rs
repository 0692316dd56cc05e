// SPDX-License-Identifier: GPL-2.0

//! The class, its device numbers, and the registered cards by id.
//!
//! A card's id is the lowest one free when it registers, reused once it unregisters; it is
//! the N of `fpga_imageN` and the minor of `/dev/fpga_imageN`.

use crate::{attrs, file::ImageFile, load::ImageLoad};
use kernel::{
    bindings,
    cdev::DevT,
    chrdev::Region,
    class::{self, Class},
    device::Device,
    prelude::*,
    str::CString,
    sync::aref::ARef,
    sync::{global_lock, Arc},
};

/// How many cards the class serves at most.
pub(crate) const MAX_DEVICES: u32 = 256;

/// A registered card: its class device and character device, which hold the card for the
/// attributes, and the card for lookups.
struct Entry {
    _dev: class::Device<ImageLoad, ImageFile>,
    load: Arc<ImageLoad>,
}

pub(crate) struct Registry {
    class: Option<Class>,
    region: Option<Region>,
    cards: KVec<Option<Entry>>,
}

global_lock! {
    // SAFETY: `init` initialises it at module init, before any use.
    unsafe(uninit) static REGISTRY: Mutex<Registry> = Registry {
        class: None,
        region: None,
        cards: KVec::new(),
    };
}

/// Creates the class and allocates its device numbers.
pub(crate) fn init() -> Result {
    // SAFETY: Called once, from module init, before anything else uses `REGISTRY`.
    unsafe { REGISTRY.init() };
    let class = Class::create(c"fpga_image_load")?;
    let region = Region::alloc(MAX_DEVICES, c"fpga_image_load")?;
    let mut r = REGISTRY.lock();
    r.class = Some(class);
    r.region = Some(region);
    Ok(())
}

/// Destroys the class. Drivers of cards depend on this module, so none is left.
pub(crate) fn exit() {
    let mut r = REGISTRY.lock();
    if r.cards.iter().any(Option::is_some) {
        pr_warn!("fpga_image_load: unloaded with cards still registered\n");
    }
    // A static is never dropped: free the vector's buffer, not just its elements.
    r.cards = KVec::new();
    r.region = None;
    r.class = None;
}

/// Registers a card of `parent` with the driver's `ops` and `data`.
///
/// # Safety
///
/// `ops` is null or points to operations that, with `data`, stay valid until
/// [`unregister`] returns for the card.
pub(crate) unsafe fn register(
    parent: &Device,
    ops: *const bindings::fpga_image_load_ops,
    data: *mut c_void,
) -> Result<*mut ImageLoad> {
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

    let mut r = REGISTRY.lock();
    let r = &mut *r;
    let (Some(class), Some(region)) = (&r.class, &r.region) else {
        return Err(ENODEV);
    };
    let id = match r.cards.iter().position(Option::is_none) {
        Some(id) => id,
        None => {
            r.cards.push(None, GFP_KERNEL)?;
            r.cards.len() - 1
        }
    };
    let id = u32::try_from(id).map_err(|_| ENOSPC)?;
    let devt = region.devt(id).ok_or_else(|| {
        dev_err!(
            parent,
            "fpga_image_load: all {} devices in use\n",
            MAX_DEVICES
        );
        ENOSPC
    })?;

    // SAFETY: `ops` is complete (checked above) and valid with `data` until unregister
    // (safety requirements).
    let load = Arc::pin_init(
        unsafe { ImageLoad::new(id, ARef::from(parent), ops, data) },
        GFP_KERNEL,
    )?;
    let name = CString::try_from_fmt(fmt!("fpga_image{}", id))?;
    let ptr = Arc::as_ptr(&load).cast_mut();
    let dev = class.register_device::<_, ImageFile>(
        Some(parent),
        devt,
        load.clone(),
        &attrs::GROUPS,
        &name,
    )?;
    load.set_device(dev.as_raw());
    r.cards[id as usize] = Some(Entry { _dev: dev, load });
    Ok(ptr)
}

/// Unregisters a card: ends its load, waits for it, removes its device.
///
/// # Safety
///
/// `load` was returned by [`register`] and is not unregistered yet.
pub(crate) unsafe fn unregister(load: *mut ImageLoad) {
    let (id, entry) = {
        // SAFETY: Registered, so its entry keeps it alive until taken below.
        let load = unsafe { &*load };
        load.unregister();
        (
            load.id,
            REGISTRY
                .lock()
                .cards
                .get_mut(load.id as usize)
                .and_then(Option::take),
        )
    };
    if entry.is_none() {
        pr_err!("fpga_image_load: fpga_image{} unregistered twice\n", id);
    }
    // Removes the character device and the class device, outside the lock.
    drop(entry);
}

/// The card with id `id`, if one is registered.
pub(crate) fn lookup_id(id: u32) -> Option<Arc<ImageLoad>> {
    let r = REGISTRY.lock();
    r.cards.get(id as usize)?.as_ref().map(|e| e.load.clone())
}

/// The card of device number `devt`, if one is registered.
pub(crate) fn lookup(devt: DevT) -> Option<Arc<ImageLoad>> {
    let id = REGISTRY.lock().region.as_ref()?.index_of(devt)?;
    lookup_id(id)
}
