// SPDX-License-Identifier: GPL-2.0

//! sysfs attributes of `/sys/class/fpga_image_load/fpga_imageN/`.
//!
//! See `Documentation/ABI/testing/sysfs-class-fpga-image-load`.

use crate::load::ImageLoad;
use kernel::{class, device::Device, fmt, prelude::*, sysfs};

/// The card of a class device.
fn load_of(dev: &Device) -> &ImageLoad {
    // SAFETY: Every device of the class is created by `registry::register` with a pointer to
    // its `ImageLoad` as driver data, and that `ImageLoad` outlives the device's
    // registration; `device_unregister()` waits for running show callbacks.
    unsafe { &*class::drvdata(dev).cast::<ImageLoad>() }
}

fn emit(buf: &mut sysfs::Buffer<'_>, args: fmt::Arguments<'_>) -> Result {
    fmt::Write::write_fmt(buf, args).map_err(|_| EFBIG)
}

/// `status`: the stage of the running load, or `idle`.
struct StatusAttr;

impl sysfs::Show for StatusAttr {
    const NAME: &'static CStr = c"status";

    fn show(dev: &Device, buf: &mut sysfs::Buffer<'_>) -> Result {
        let (progress, _, _) = load_of(dev).progress();
        emit(buf, fmt!("{}\n", progress.name()))
    }
}

/// `error`: `<stage>:<error>` of the last load, empty if it succeeded.
struct ErrorAttr;

impl sysfs::Show for ErrorAttr {
    const NAME: &'static CStr = c"error";

    fn show(dev: &Device, buf: &mut sysfs::Buffer<'_>) -> Result {
        match load_of(dev).progress().1 {
            Some(f) => emit(buf, fmt!("{}:{}\n", f.stage.name(), f.error.name())),
            None => emit(buf, fmt!("\n")),
        }
    }
}

/// `remaining_size`: bytes of the image not yet written.
struct RemainingAttr;

impl sysfs::Show for RemainingAttr {
    const NAME: &'static CStr = c"remaining_size";

    fn show(dev: &Device, buf: &mut sysfs::Buffer<'_>) -> Result {
        emit(buf, fmt!("{}\n", load_of(dev).progress().2))
    }
}

static STATUS: sysfs::DeviceAttribute = sysfs::DeviceAttribute::read_only::<StatusAttr>();
static ERROR: sysfs::DeviceAttribute = sysfs::DeviceAttribute::read_only::<ErrorAttr>();
static REMAINING: sysfs::DeviceAttribute = sysfs::DeviceAttribute::read_only::<RemainingAttr>();
static ATTRS: sysfs::Attributes<3> = sysfs::Attributes::new([&STATUS, &ERROR, &REMAINING]);
static GROUP: sysfs::AttributeGroup = sysfs::AttributeGroup::new(&ATTRS);

/// The attribute groups of every device of the class.
pub(crate) static GROUPS: sysfs::AttributeGroups = sysfs::AttributeGroups::new(&GROUP);
