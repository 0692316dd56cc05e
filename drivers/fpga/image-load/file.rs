// SPDX-License-Identifier: GPL-2.0

//! `/dev/fpga_imageN`: open, ioctl and poll.
//!
//! Opens are exclusive. Closing the file does not stop a load: a later opener can read its
//! status, cancel it, or poll for its end.

use crate::{load::ImageLoad, registry};
use kernel::{
    cdev::{self, DevT},
    fs::File,
    ioctl::{_IO, _IOR, _IOW},
    prelude::*,
    sync::{poll::PollTable, Arc, ArcBorrow},
    transmute::FromBytes,
    uaccess::{UserPtr, UserSlice},
};

const MAGIC: u32 = kernel::bindings::FPGA_IMAGE_LOAD_MAGIC;
const WRITE: u32 = _IOW::<ImageWrite>(MAGIC, 0);
const STATUS: u32 = _IOR::<crate::load::Status>(MAGIC, 1);
const CANCEL: u32 = _IO(MAGIC, 2);
const SET_EVENTFD: u32 = _IOW::<i32>(MAGIC, 3);

/// `struct fpga_image_write`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct ImageWrite {
    flags: u32,
    size: u32,
    buf: u64,
}

// SAFETY: Any bit pattern is a valid `ImageWrite`: two `u32`s and a `u64`, no padding.
unsafe impl FromBytes for ImageWrite {}

/// The file operations of the class's character devices.
pub(crate) struct ImageFile;

#[vtable]
impl cdev::Operations for ImageFile {
    type Ptr = Arc<ImageLoad>;

    fn open(devt: DevT, _file: &File) -> Result<Arc<ImageLoad>> {
        let load = registry::lookup(devt).ok_or(ENODEV)?;
        load.open()?;
        Ok(load)
    }

    fn release(load: Arc<ImageLoad>, _file: &File) {
        load.close();
    }

    fn ioctl(load: ArcBorrow<'_, ImageLoad>, _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        let arg = UserPtr::from_addr(arg);
        match cmd {
            WRITE => write(load.into(), arg),
            STATUS => status(&load, arg),
            CANCEL => load.cancel(),
            SET_EVENTFD => set_eventfd(&load, arg),
            _ => Err(ENOTTY),
        }
        .map(|()| 0)
    }

    fn poll(load: ArcBorrow<'_, ImageLoad>, file: &File, table: PollTable<'_>) -> u32 {
        table.register_wait(file, &load.idle);
        load.poll_mask()
    }
}

/// `FPGA_IMAGE_LOAD_WRITE`: checks the request, copies the image in once, starts the load.
fn write(load: Arc<ImageLoad>, arg: UserPtr) -> Result {
    let req: ImageWrite = UserSlice::new(arg, size_of::<ImageWrite>())
        .reader()
        .read()?;
    let max = crate::max_image_size();
    if req.flags != 0 {
        dev_dbg!(
            load.parent(),
            "fpga_image{}: flags {:#x} not zero\n",
            load.id,
            req.flags
        );
        return Err(EINVAL);
    }
    if req.size == 0 || req.size % 4 != 0 {
        dev_dbg!(
            load.parent(),
            "fpga_image{}: size {} not a multiple of 4\n",
            load.id,
            req.size
        );
        return Err(EINVAL);
    }
    if req.size > max {
        dev_dbg!(
            load.parent(),
            "fpga_image{}: size {} above {}\n",
            load.id,
            req.size,
            max
        );
        return Err(EFBIG);
    }
    // Refuse early, before copying a large image for nothing; `start` checks again.
    load.status()
        .and_then(|s| if s.progress == 0 { Ok(()) } else { Err(EBUSY) })?;

    let size = req.size as usize;
    let mut image = VVec::with_capacity(size, GFP_KERNEL)?;
    let buf = usize::try_from(req.buf).map_err(|_| EFAULT)?;
    UserSlice::new(UserPtr::from_addr(buf), size).read_all(&mut image, GFP_KERNEL)?;
    load.start(image)
}

/// `FPGA_IMAGE_LOAD_STATUS`.
fn status(load: &ImageLoad, arg: UserPtr) -> Result {
    let s = load.status()?;
    UserSlice::new(arg, size_of_val(&s)).writer().write(&s)
}

/// `FPGA_IMAGE_LOAD_SET_EVENTFD`.
fn set_eventfd(load: &ImageLoad, arg: UserPtr) -> Result {
    let fd: i32 = UserSlice::new(arg, size_of::<i32>()).reader().read()?;
    load.set_eventfd(fd)
}
