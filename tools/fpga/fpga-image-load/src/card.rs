// SPDX-License-Identifier: GPL-2.0
//! An open `/dev/fpga_imageN`, and its ioctls and poll.
//!
//! The kernel lets one file at a time have a device open; closing it does not stop a
//! load. Every failure is an [`Error::Device`] naming the node, the call and the errno.

use crate::abi::{self, ImageStatus, ImageWrite};
use crate::device::Device;
use crate::error::{Error, Op};
use rustix::event::{poll, PollFd, PollFlags, Timespec};
use rustix::fs::{open, Mode, OFlags};
use rustix::io::Errno;
use rustix::ioctl::{ioctl, Getter, NoArg, Setter};
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::time::Duration;

/// What [`Card::poll_idle`] saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Poll {
    /// No load runs (`POLLIN`).
    Idle,
    /// A load still runs, or a signal came: poll again.
    Running,
}

/// What waiting for a load needs of a device; [`Card`] is the real one.
pub trait Loader {
    /// The device.
    fn device(&self) -> &Device;
    /// `FPGA_IMAGE_LOAD_STATUS`.
    fn status(&self) -> Result<ImageStatus, Error>;
    /// `FPGA_IMAGE_LOAD_CANCEL`.
    fn cancel(&self) -> Result<(), Error>;
    /// Waits up to `timeout` for no load to run.
    fn poll_idle(&self, timeout: Duration) -> Result<Poll, Error>;
}

/// An open FPGA image load device.
#[derive(Debug)]
pub struct Card {
    dev: Device,
    node: PathBuf,
    fd: OwnedFd,
}

impl Card {
    /// Opens `dev` for reading and writing, as loading and canceling need: one such file at a
    /// time.
    pub fn open(dev: &Device) -> Result<Self, Error> {
        Self::open_with(dev, OFlags::RDWR)
    }

    /// Opens `dev` for reading only, as status and waiting need: such files do not keep a
    /// writer out.
    pub fn open_read_only(dev: &Device) -> Result<Self, Error> {
        Self::open_with(dev, OFlags::RDONLY)
    }

    fn open_with(dev: &Device, mode: OFlags) -> Result<Self, Error> {
        let node = dev.node();
        match open(&node, mode | OFlags::CLOEXEC, Mode::empty()) {
            Ok(fd) => Ok(Card {
                dev: dev.clone(),
                node,
                fd,
            }),
            Err(errno) => Err(Error::Device {
                node,
                op: Op::Open,
                errno,
            }),
        }
    }

    fn error(&self, op: Op, errno: Errno) -> Error {
        Error::Device {
            node: self.node.clone(),
            op,
            errno,
        }
    }

    /// `FPGA_IMAGE_LOAD_WRITE`: starts loading `image` and returns once the kernel has
    /// copied it.
    pub fn write(&self, image: &[u8]) -> Result<(), Error> {
        let size = u32::try_from(image.len()).map_err(|_| self.error(Op::Write, Errno::FBIG))?;
        let arg = ImageWrite {
            flags: 0,
            size,
            buf: image.as_ptr() as u64,
        };
        // SAFETY: WRITE is _IOW(0xB9, 0, struct fpga_image_write), whose layout
        // `ImageWrite` reproduces; `buf` points to `size` readable bytes, which live until
        // the ioctl has returned (the kernel copies them before it does).
        unsafe { ioctl(&self.fd, Setter::<{ abi::WRITE }, ImageWrite>::new(arg)) }
            .map_err(|e| self.error(Op::Write, e))
    }
}

impl Loader for Card {
    fn device(&self) -> &Device {
        &self.dev
    }

    /// `FPGA_IMAGE_LOAD_STATUS`.
    fn status(&self) -> Result<ImageStatus, Error> {
        // SAFETY: STATUS is _IOR(0xB9, 1, struct fpga_image_status), whose layout
        // `ImageStatus` reproduces.
        unsafe { ioctl(&self.fd, Getter::<{ abi::STATUS }, ImageStatus>::new()) }
            .map_err(|e| self.error(Op::Status, e))
    }

    /// `FPGA_IMAGE_LOAD_CANCEL`. `ENODEV` when no load runs.
    fn cancel(&self) -> Result<(), Error> {
        // SAFETY: CANCEL is _IO(0xB9, 2): it takes no argument.
        unsafe { ioctl(&self.fd, NoArg::<{ abi::CANCEL }>::new()) }
            .map_err(|e| self.error(Op::Cancel, e))
    }

    /// Waits up to `timeout` for no load to run.
    ///
    /// A card that is gone (`POLLHUP`/`POLLERR`) is an `ENODEV` error.
    fn poll_idle(&self, timeout: Duration) -> Result<Poll, Error> {
        let timeout = Timespec {
            tv_sec: timeout.as_secs().try_into().unwrap_or(i64::MAX),
            tv_nsec: timeout.subsec_nanos().into(),
        };
        let mut fds = [PollFd::new(&self.fd, PollFlags::IN)];
        match poll(&mut fds, Some(&timeout)) {
            Ok(_) => {
                let revents = fds[0].revents();
                if revents.intersects(PollFlags::HUP | PollFlags::ERR | PollFlags::NVAL) {
                    Err(self.error(Op::Poll, Errno::NODEV))
                } else if revents.contains(PollFlags::IN) {
                    Ok(Poll::Idle)
                } else {
                    Ok(Poll::Running)
                }
            }
            Err(Errno::INTR) => Ok(Poll::Running),
            Err(e) => Err(self.error(Op::Poll, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `Card` on some other file: the ioctls reach a driver that does not know them.
    fn card_on(path: &str) -> Card {
        let fd = open(path, OFlags::RDWR | OFlags::CLOEXEC, Mode::empty()).expect("open");
        Card {
            dev: Device { index: 0 },
            node: PathBuf::from(path),
            fd,
        }
    }

    #[test]
    fn ioctls_on_another_device_are_enotty() {
        let card = card_on("/dev/null");
        for e in [
            card.status().map(|_| ()).expect_err("STATUS on /dev/null"),
            card.cancel().expect_err("CANCEL on /dev/null"),
            card.write(&[0; 8]).expect_err("WRITE on /dev/null"),
        ] {
            let m = e.to_string();
            assert!(
                m.starts_with("/dev/null: FPGA_IMAGE_LOAD_")
                    && m.ends_with(
                        ": Inappropriate ioctl for device (ENOTTY): not an FPGA image load device"
                    ),
                "{m}"
            );
        }
    }

    #[test]
    fn poll_sees_pollin() {
        // /dev/null is always readable, as an idle card is.
        let card = card_on("/dev/null");
        assert_eq!(
            card.poll_idle(Duration::from_millis(100)).ok(),
            Some(Poll::Idle)
        );
    }

    #[test]
    fn poll_times_out() {
        // A socket with nothing to read is never readable, as a busy card is.
        let (a, _b) = std::os::unix::net::UnixStream::pair().expect("socketpair");
        let card = Card {
            dev: Device { index: 0 },
            node: PathBuf::from("socket"),
            fd: a.into(),
        };
        let t = std::time::Instant::now();
        assert_eq!(
            card.poll_idle(Duration::from_millis(50)).ok(),
            Some(Poll::Running)
        );
        assert!(t.elapsed() >= Duration::from_millis(40));
    }

    #[test]
    fn open_names_the_node() {
        // No such device node on any machine.
        let e = Card::open(&Device { index: u32::MAX }).expect_err("opens");
        assert_eq!(
            e.to_string(),
            "/dev/fpga_image4294967295: open: No such file or directory (ENOENT): \
             no such device node; is the card's driver loaded?"
        );
    }
}
