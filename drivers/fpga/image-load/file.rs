// SPDX-License-Identifier: GPL-2.0

//! `/dev/fpga_imageN`: open, ioctl and poll.
//!
//! One file at a time may be open for writing; files open only for reading (status monitors)
//! are not limited. Closing the file does not stop a load: a later opener can read its status,
//! cancel it, or poll for its end.

use crate::load::{card_dbg, ImageLoad};
use kernel::{
    alloc::flags::{__GFP_NOWARN, GFP_KERNEL, GFP_KERNEL_ACCOUNT},
    cdev,
    eventfd::EventFd,
    fs::{file::fmode, File},
    ioctl::{_IO, _IOR, _IOW},
    prelude::*,
    sync::{poll::PollTable, Arc, ArcBorrow},
    transmute::FromBytes,
    uaccess::{UserPtr, UserSlice},
};

const MAGIC: u32 = kernel::bindings::FPGA_IMAGE_LOAD_MAGIC;
const WRITE: u32 = _IOW::<ImageWrite>(MAGIC, 0);
const WRITE_EVTFD: u32 = _IOW::<ImageWriteEvtfd>(MAGIC, 0);
const STATUS: u32 = _IOR::<crate::load::Status>(MAGIC, 1);
const CANCEL: u32 = _IO(MAGIC, 2);
const SET_EVENTFD: u32 = _IOW::<i32>(MAGIC, 3);

/// `struct fpga_image_write`: the seed's 16-byte layout.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct ImageWrite {
    flags: u32,
    size: u32,
    buf: u64,
}

// SAFETY: Any bit pattern is a valid `ImageWrite`: two `u32`s and a `u64`, no padding.
unsafe impl FromBytes for ImageWrite {}

/// `struct fpga_image_write_evtfd`: the 24-byte layout of OPAE's tools, with an eventfd for
/// the end of this load.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct ImageWriteEvtfd {
    flags: u32,
    size: u32,
    evtfd: i32,
    pad: u32,
    buf: u64,
}

// SAFETY: Any bit pattern is a valid `ImageWriteEvtfd`: four 32-bit integers and a `u64`, no
// implicit padding.
unsafe impl FromBytes for ImageWriteEvtfd {}

/// `struct fpga_image_write_evtfd` as a 32-bit x86 program built against OPAE's own declaration
/// lays it out, without the explicit padding: 20 bytes, `buf` at offset 12, so command
/// `0x4014b900`. Only a compat caller can send it.
#[cfg(all(CONFIG_COMPAT, CONFIG_X86))]
#[repr(C, packed(4))]
#[derive(Clone, Copy, Default)]
struct ImageWriteEvtfdI386 {
    flags: u32,
    size: u32,
    evtfd: i32,
    buf: u64,
}

// SAFETY: Any bit pattern is a valid `ImageWriteEvtfdI386`: three 32-bit integers and a `u64`,
// no padding.
#[cfg(all(CONFIG_COMPAT, CONFIG_X86))]
unsafe impl FromBytes for ImageWriteEvtfdI386 {}

#[cfg(all(CONFIG_COMPAT, CONFIG_X86))]
const WRITE_EVTFD_I386: u32 = _IOW::<ImageWriteEvtfdI386>(MAGIC, 0);

/// A load request, whichever layout it came in.
struct Request {
    flags: u32,
    size: u32,
    buf: u64,
    evtfd: i32,
}

/// The file operations of the class's character devices.
pub(crate) struct ImageFile;

#[vtable]
impl cdev::Operations for ImageFile {
    type Data = ImageLoad;
    type Ptr = Arc<ImageLoad>;

    fn open(load: ArcBorrow<'_, ImageLoad>, file: &File) -> Result<Arc<ImageLoad>> {
        load.open(is_writer(file))?;
        Ok(load.into())
    }

    fn release(load: Arc<ImageLoad>, file: &File) {
        load.close(is_writer(file));
    }

    fn ioctl(load: ArcBorrow<'_, ImageLoad>, file: &File, cmd: u32, arg: usize) -> Result<isize> {
        let arg = UserPtr::from_addr(arg);
        match cmd {
            // In the order the uapi header documents: a read-only file, then a card that is
            // gone, before the request is even read.
            WRITE => may_write(&load, file)
                .and_then(|()| read_write(arg))
                .and_then(|req| write(load.into(), req)),
            WRITE_EVTFD => may_write(&load, file)
                .and_then(|()| read_write_evtfd(arg))
                .and_then(|req| write(load.into(), req)),
            STATUS => status(&load, arg),
            CANCEL => cancel(&load, file),
            SET_EVENTFD => writable(&load, file).and_then(|()| set_eventfd(&load, arg)),
            _ => Err(ENOTTY),
        }
        .map(|()| 0)
    }

    /// 32-bit x86 callers: OPAE's own 20-byte layout is taken here; the header's layouts are the
    /// same as for 64-bit callers and go to `ioctl`, as `compat_ptr_ioctl()` would send them
    /// (on x86, `compat_ptr()` changes nothing). Other architectures get `compat_ptr_ioctl()`.
    #[cfg(all(CONFIG_COMPAT, CONFIG_X86))]
    fn compat_ioctl(
        load: ArcBorrow<'_, ImageLoad>,
        file: &File,
        cmd: u32,
        arg: usize,
    ) -> Result<isize> {
        if cmd != WRITE_EVTFD_I386 {
            return <Self as cdev::Operations>::ioctl(load, file, cmd, arg);
        }
        may_write(&load, file)?;
        let r: ImageWriteEvtfdI386 =
            UserSlice::new(UserPtr::from_addr(arg), size_of::<ImageWriteEvtfdI386>())
                .reader()
                .read()?;
        write(
            load.into(),
            Request {
                flags: r.flags,
                size: r.size,
                buf: r.buf,
                evtfd: r.evtfd,
            },
        )
        .map(|()| 0)
    }

    fn poll(load: ArcBorrow<'_, ImageLoad>, file: &File, table: PollTable<'_>) -> u32 {
        table.register_wait(file, &load.idle);
        load.poll_mask()
    }
}

/// Whether `file` may be written: what the VFS granted at open (`FMODE_WRITE`), not what the
/// opener's flags asked for.
fn is_writer(file: &File) -> bool {
    file.mode() & fmode::WRITE != 0
}

/// Whether `file` was opened for writing, as loading, canceling and setting an eventfd need.
fn writable(load: &ImageLoad, file: &File) -> Result {
    if !is_writer(file) {
        card_dbg!(load, "load, cancel or eventfd on a read-only file\n");
        return Err(EBADF);
    }
    Ok(())
}

fn read_write(arg: UserPtr) -> Result<Request> {
    let r: ImageWrite = UserSlice::new(arg, size_of::<ImageWrite>())
        .reader()
        .read()?;
    Ok(Request {
        flags: r.flags,
        size: r.size,
        buf: r.buf,
        evtfd: -1,
    })
}

fn read_write_evtfd(arg: UserPtr) -> Result<Request> {
    let r: ImageWriteEvtfd = UserSlice::new(arg, size_of::<ImageWriteEvtfd>())
        .reader()
        .read()?;
    if r.pad != 0 {
        return Err(EINVAL);
    }
    Ok(Request {
        flags: r.flags,
        size: r.size,
        buf: r.buf,
        evtfd: r.evtfd,
    })
}

/// Whether a load may be asked for on `file`: `EBADF` for a file not open for writing, then
/// `ENODEV` for a card that is gone.
fn may_write(load: &ImageLoad, file: &File) -> Result {
    writable(load, file)?;
    load.check_live()
}

/// `FPGA_IMAGE_LOAD_WRITE`: checks the request, copies the image in once, starts the load.
fn write(load: Arc<ImageLoad>, req: Request) -> Result {
    let max = crate::max_image_size();
    if req.flags != 0 {
        card_dbg!(load, "flags {:#x} not zero\n", req.flags);
        return Err(EINVAL);
    }
    if req.size == 0 || req.size % 4 != 0 {
        card_dbg!(load, "size {} not a multiple of 4\n", req.size);
        return Err(EINVAL);
    }
    if req.size > max {
        card_dbg!(load, "size {} above {}\n", req.size, max);
        return Err(EFBIG);
    }
    let eventfd = match req.evtfd {
        -1 => None,
        fd => Some(EventFd::from_fd(fd)?),
    };
    // Refuse early, before copying a large image for nothing; `start` checks again.
    load.check_may_start()?;

    // The size is the caller's choice: charge the image to its memory cgroup, and let a
    // failure be an `ENOMEM` rather than a warning in the log. kvmalloc: a small image
    // comes from the slab, without setting up and tearing down a vmalloc area for each
    // load (`make bench-profile` shows that work in the fixed cost of a 4-byte load), and
    // a large one from vmalloc.
    let size = req.size as usize;
    let mut image = KVVec::with_capacity(size, GFP_KERNEL_ACCOUNT | __GFP_NOWARN)?;
    let buf = usize::try_from(req.buf).map_err(|_| EFAULT)?;
    UserSlice::new(UserPtr::from_addr(buf), size).read_all(&mut image, GFP_KERNEL)?;
    load.start(image, eventfd)
}

/// `FPGA_IMAGE_LOAD_STATUS`.
fn status(load: &ImageLoad, arg: UserPtr) -> Result {
    let s = load.status()?;
    UserSlice::new(arg, size_of_val(&s)).writer().write(&s)
}

/// `FPGA_IMAGE_LOAD_CANCEL`.
fn cancel(load: &ImageLoad, file: &File) -> Result {
    writable(load, file)?;
    load.cancel()
}

/// `FPGA_IMAGE_LOAD_SET_EVENTFD`.
fn set_eventfd(load: &ImageLoad, arg: UserPtr) -> Result {
    let fd: i32 = UserSlice::new(arg, size_of::<i32>()).reader().read()?;
    load.set_eventfd(fd)
}
