// SPDX-License-Identifier: GPL-2.0
//! Errors of the tool, and errnos in words.
//!
//! Every error names what it is about (the device node or the image file) and, for a
//! failed system call, the errno in words with its symbolic name, e.g.
//! `/dev/fpga_image0: FPGA_IMAGE_LOAD_WRITE: Device or resource busy (EBUSY): a load is
//! already running`. The hints after the errno say what the documented errnos of
//! `Documentation/fpga/fpga-image-load.rst` mean for the operation that failed.

use crate::image::ImageProblem;
use rustix::io::Errno;
use std::fmt;
use std::path::PathBuf;

/// Linux errnos this tool names: number, symbol and glibc's `strerror()` text.
const ERRNOS: &[(i32, &str, &str)] = &[
    (1, "EPERM", "Operation not permitted"),
    (2, "ENOENT", "No such file or directory"),
    (3, "ESRCH", "No such process"),
    (4, "EINTR", "Interrupted system call"),
    (5, "EIO", "Input/output error"),
    (6, "ENXIO", "No such device or address"),
    (7, "E2BIG", "Argument list too long"),
    (8, "ENOEXEC", "Exec format error"),
    (9, "EBADF", "Bad file descriptor"),
    (10, "ECHILD", "No child processes"),
    (11, "EAGAIN", "Resource temporarily unavailable"),
    (12, "ENOMEM", "Cannot allocate memory"),
    (13, "EACCES", "Permission denied"),
    (14, "EFAULT", "Bad address"),
    (15, "ENOTBLK", "Block device required"),
    (16, "EBUSY", "Device or resource busy"),
    (17, "EEXIST", "File exists"),
    (18, "EXDEV", "Invalid cross-device link"),
    (19, "ENODEV", "No such device"),
    (20, "ENOTDIR", "Not a directory"),
    (21, "EISDIR", "Is a directory"),
    (22, "EINVAL", "Invalid argument"),
    (23, "ENFILE", "Too many open files in system"),
    (24, "EMFILE", "Too many open files"),
    (25, "ENOTTY", "Inappropriate ioctl for device"),
    (26, "ETXTBSY", "Text file busy"),
    (27, "EFBIG", "File too large"),
    (28, "ENOSPC", "No space left on device"),
    (29, "ESPIPE", "Illegal seek"),
    (30, "EROFS", "Read-only file system"),
    (31, "EMLINK", "Too many links"),
    (32, "EPIPE", "Broken pipe"),
    (33, "EDOM", "Numerical argument out of domain"),
    (34, "ERANGE", "Numerical result out of range"),
    (35, "EDEADLK", "Resource deadlock avoided"),
    (36, "ENAMETOOLONG", "File name too long"),
    (37, "ENOLCK", "No locks available"),
    (38, "ENOSYS", "Function not implemented"),
    (39, "ENOTEMPTY", "Directory not empty"),
    (40, "ELOOP", "Too many levels of symbolic links"),
    (75, "EOVERFLOW", "Value too large for defined data type"),
    (95, "EOPNOTSUPP", "Operation not supported"),
    (110, "ETIMEDOUT", "Connection timed out"),
    (125, "ECANCELED", "Operation canceled"),
];

/// The symbolic name of a Linux errno, e.g. `EBUSY` for 16.
pub fn errno_name(raw: i32) -> Option<&'static str> {
    ERRNOS.iter().find(|e| e.0 == raw).map(|e| e.1)
}

/// An errno in words with its name: `Device or resource busy (EBUSY)`.
///
/// An errno missing from the table gets the C library's text and its number.
pub fn describe_errno(raw: i32) -> String {
    match ERRNOS.iter().find(|e| e.0 == raw) {
        Some((_, name, text)) => format!("{text} ({name})"),
        None => {
            let text = std::io::Error::from_raw_os_error(raw).to_string();
            // std appends " (os error N)"; this function names the number its own way.
            let text = text
                .strip_suffix(&format!(" (os error {raw})"))
                .unwrap_or(&text)
                .to_string();
            format!("{text} (errno {raw})")
        }
    }
}

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

/// An `std::io::Error` in the words of [`describe_errno`] when it has an errno.
fn describe_io(err: &std::io::Error) -> String {
    match err.raw_os_error() {
        Some(raw) => describe_errno(raw),
        None => err.to_string(),
    }
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
    fn errnos_in_words() {
        assert_eq!(describe_errno(16), "Device or resource busy (EBUSY)");
        assert_eq!(describe_errno(19), "No such device (ENODEV)");
        assert_eq!(
            describe_errno(25),
            "Inappropriate ioctl for device (ENOTTY)"
        );
        assert_eq!(describe_errno(27), "File too large (EFBIG)");
        assert_eq!(errno_name(22), Some("EINVAL"));
        assert_eq!(errno_name(4095), None);
        // Unknown to the table: the C library's words and the number.
        let d = describe_errno(4095);
        assert!(d.ends_with(" (errno 4095)"), "{d}");
        assert!(!d.contains("os error"), "{d}");
    }

    #[test]
    fn errno_table_matches_rustix() {
        for (raw, name, _) in ERRNOS {
            let e = Errno::from_raw_os_error(*raw);
            assert_eq!(e.raw_os_error(), *raw, "{name}");
        }
        assert_eq!(errno_name(Errno::BUSY.raw_os_error()), Some("EBUSY"));
        assert_eq!(errno_name(Errno::NODEV.raw_os_error()), Some("ENODEV"));
        assert_eq!(errno_name(Errno::NOTTY.raw_os_error()), Some("ENOTTY"));
        assert_eq!(errno_name(Errno::FBIG.raw_os_error()), Some("EFBIG"));
        assert_eq!(errno_name(Errno::NOENT.raw_os_error()), Some("ENOENT"));
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
