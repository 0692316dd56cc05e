// SPDX-License-Identifier: GPL-2.0
//! Errors of the tool.
//!
//! Every error names what it is about (the device node or the image file) and, for a
//! failed system call, the errno in words with its symbolic name, e.g.
//! `/dev/fpga_image0: FPGA_IMAGE_LOAD_WRITE: Device or resource busy (EBUSY): a load is
//! already running`. The hints after the errno say what the documented errnos of
//! `Documentation/fpga/fpga-image-load.rst` mean for the operation that failed. The
//! errnos in words come from the `errno-words` crate shared with the other tools.

use crate::image::ImageProblem;
use errno_words::{describe_errno, describe_io};
use rustix::io::Errno;
use std::fmt;
use std::path::PathBuf;

/// What the tool was doing with the device when a system call failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `open()` of the device node.
    Open,
    /// `FPGA_IMAGE_LOAD_WRITE`.
    Write,
    /// `FPGA_IMAGE_LOAD_STATUS`.
    Status,
    /// `FPGA_IMAGE_LOAD_CANCEL`.
    Cancel,
    /// `poll()` for the end of the load.
    Poll,
}

impl Op {
    /// The name of the system call or ioctl, as in the C header.
    pub fn name(self) -> &'static str {
        match self {
            Op::Open => "open",
            Op::Write => "FPGA_IMAGE_LOAD_WRITE",
            Op::Status => "FPGA_IMAGE_LOAD_STATUS",
            Op::Cancel => "FPGA_IMAGE_LOAD_CANCEL",
            Op::Poll => "poll",
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What an errno means for `op`, as far as the documented user ABI says.
pub fn hint(op: Op, errno: Errno) -> Option<&'static str> {
    Some(match (op, errno) {
        (Op::Open, Errno::BUSY) => "another process has it open",
        (Op::Open, Errno::NOENT) => "no such device node; is the card's driver loaded?",
        (Op::Open, Errno::ACCESS | Errno::PERM) => "opening it needs write access (root?)",
        (Op::Open, Errno::NODEV | Errno::NXIO) => "the device is gone",
        (Op::Write, Errno::BUSY) => {
            "a load is already running (or the card's driver is going away)"
        }
        (Op::Write, Errno::FBIG) => "image larger than the max_image_size module parameter",
        (Op::Write, Errno::INVAL) => "the image size must be non-zero and a multiple of 4",
        (Op::Write, Errno::NOMEM) => "the kernel could not allocate memory for the image",
        (Op::Cancel, Errno::NODEV) => "no load is running",
        (Op::Write | Op::Status | Op::Poll, Errno::NODEV) => "the device is gone",
        (_, Errno::NOTTY) => "not an FPGA image load device",
        _ => return None,
    })
}

/// An error of the tool. `main` prints it after `fpga-image-load: `.
#[derive(Debug)]
pub enum Error {
    /// A system call on the device failed.
    Device {
        /// The device node.
        node: PathBuf,
        /// What failed.
        op: Op,
        /// Why.
        errno: Errno,
    },
    /// The image file could not be read.
    ImageFile {
        /// The image file.
        path: PathBuf,
        /// Why.
        err: std::io::Error,
    },
    /// The image cannot be loaded as it is.
    Image {
        /// The image file.
        path: PathBuf,
        /// What is wrong with it.
        problem: ImageProblem,
    },
    /// SIGINT could not be caught.
    Signal(std::io::Error),
    /// The JSON status could not be produced.
    Json(serde_json::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Device { node, op, errno } => {
                write!(
                    f,
                    "{}: {op}: {}",
                    node.display(),
                    describe_errno(errno.raw_os_error())
                )?;
                match hint(*op, *errno) {
                    Some(h) => write!(f, ": {h}"),
                    None => Ok(()),
                }
            }
            Error::ImageFile { path, err } => {
                write!(f, "{}: {}", path.display(), describe_io(err))
            }
            Error::Image { path, problem } => write!(f, "{}: {problem}", path.display()),
            Error::Signal(err) => write!(f, "cannot catch SIGINT: {}", describe_io(err)),
            Error::Json(err) => write!(f, "cannot write the status as JSON: {err}"),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    fn device_error(op: Op, errno: Errno) -> String {
        Error::Device {
            node: PathBuf::from("/dev/fpga_image0"),
            op,
            errno,
        }
        .to_string()
    }

    #[test]
    fn the_brief_example() {
        assert_eq!(
            device_error(Op::Write, Errno::BUSY),
            "/dev/fpga_image0: FPGA_IMAGE_LOAD_WRITE: Device or resource busy (EBUSY): \
             a load is already running (or the card's driver is going away)"
        );
    }

    #[test]
    fn hints_depend_on_the_operation() {
        assert_eq!(
            hint(Op::Open, Errno::BUSY),
            Some("another process has it open")
        );
        assert!(hint(Op::Write, Errno::BUSY)
            .is_some_and(|h| h.starts_with("a load is already running")));
        assert_eq!(
            hint(Op::Write, Errno::FBIG),
            Some("image larger than the max_image_size module parameter")
        );
        assert_eq!(hint(Op::Cancel, Errno::NODEV), Some("no load is running"));
        assert_eq!(hint(Op::Status, Errno::NODEV), Some("the device is gone"));
        for op in [Op::Open, Op::Write, Op::Status, Op::Cancel, Op::Poll] {
            assert_eq!(
                hint(op, Errno::NOTTY),
                Some("not an FPGA image load device"),
                "{op}"
            );
        }
        assert_eq!(hint(Op::Status, Errno::FAULT), None);
        assert_eq!(
            device_error(Op::Status, Errno::FAULT),
            "/dev/fpga_image0: FPGA_IMAGE_LOAD_STATUS: Bad address (EFAULT)"
        );
    }

    #[test]
    fn cancel_without_a_load() {
        assert_eq!(
            device_error(Op::Cancel, Errno::NODEV),
            "/dev/fpga_image0: FPGA_IMAGE_LOAD_CANCEL: No such device (ENODEV): no load is running"
        );
    }

    #[test]
    fn file_errors_name_the_file_and_errno() {
        let e = Error::ImageFile {
            path: PathBuf::from("/tmp/x.bin"),
            err: std::io::Error::from_raw_os_error(2),
        };
        assert_eq!(
            e.to_string(),
            "/tmp/x.bin: No such file or directory (ENOENT)"
        );
        let e = Error::Image {
            path: PathBuf::from("x.bin"),
            problem: ImageProblem::NotAligned { len: 5 },
        };
        assert_eq!(
            e.to_string(),
            "x.bin: image is 5 bytes, not a multiple of 4; use --pad to pad it with zeros"
        );
    }
}
