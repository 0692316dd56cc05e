// SPDX-License-Identifier: GPL-2.0

//! sysfs attributes of `/sys/class/fpga_image_load/fpga_imageN/`.
//!
//! See `Documentation/ABI/testing/sysfs-class-fpga-image-load`.

use crate::load::ImageLoad;
use kernel::{class::DrvData, fmt, prelude::*, sysfs};

/// The owner of the attributes: class devices that carry their card.
type Card = DrvData<ImageLoad>;

fn emit(buf: &mut sysfs::Buffer<'_>, args: fmt::Arguments<'_>) -> Result {
    fmt::Write::write_fmt(buf, args).map_err(|_| EFBIG)
}

/// `status`: the stage of the running load, or `idle`.
struct StatusAttr;

impl sysfs::Show for StatusAttr {
    type Owner = Card;
    const NAME: &'static CStr = c"status";

    fn show(load: &ImageLoad, buf: &mut sysfs::Buffer<'_>) -> Result {
        let (progress, _, _) = load.progress();
        emit(buf, fmt!("{}\n", progress.name()))
    }
}

/// `error`: `<stage>:<error>` of the last load, empty if it succeeded.
struct ErrorAttr;

impl sysfs::Show for ErrorAttr {
    type Owner = Card;
    const NAME: &'static CStr = c"error";

    fn show(load: &ImageLoad, buf: &mut sysfs::Buffer<'_>) -> Result {
        match load.progress().1 {
            Some(f) => emit(buf, fmt!("{}:{}\n", f.stage.name(), f.error.name())),
            None => emit(buf, fmt!("\n")),
        }
    }
}

/// `remaining_size`: bytes of the image not yet written.
struct RemainingAttr;

impl sysfs::Show for RemainingAttr {
    type Owner = Card;
    const NAME: &'static CStr = c"remaining_size";

    fn show(load: &ImageLoad, buf: &mut sysfs::Buffer<'_>) -> Result {
        emit(buf, fmt!("{}\n", load.progress().2))
    }
}

static STATUS: sysfs::DeviceAttribute<Card> = sysfs::DeviceAttribute::read_only::<StatusAttr>();
static ERROR: sysfs::DeviceAttribute<Card> = sysfs::DeviceAttribute::read_only::<ErrorAttr>();
static REMAINING: sysfs::DeviceAttribute<Card> =
    sysfs::DeviceAttribute::read_only::<RemainingAttr>();
static ATTRS: sysfs::Attributes<Card, 3> = sysfs::Attributes::new([&STATUS, &ERROR, &REMAINING]);
static GROUP: sysfs::AttributeGroup<Card> = sysfs::AttributeGroup::new(&ATTRS);

/// The attribute groups of every device of the class.
pub(crate) static GROUPS: sysfs::AttributeGroups<Card> = sysfs::AttributeGroups::new(&GROUP);
