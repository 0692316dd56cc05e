// SPDX-License-Identifier: GPL-2.0
//! Errors of the tool, and errnos in words.
//!
//! Every error names what it is about (the mailbox, or the sysfs file) and, for a
//! failed system call, the errno in words with its symbolic name, e.g.
//! `/sys/bus/auxiliary/devices/cxl_pci.doe.1/protocols: No such device or address
//! (ENXIO): mailbox unavailable (unbound)`.

use crate::{cdat, discovery, mailbox::MailboxError};
use std::fmt;
use std::io;
use std::path::PathBuf;

/// Linux errnos this tool names: number, symbol and glibc's `strerror()` text.
const ERRNOS: &[(i32, &str, &str)] = &[
    (1, "EPERM", "Operation not permitted"),
    (2, "ENOENT", "No such file or directory"),
    (4, "EINTR", "Interrupted system call"),
    (5, "EIO", "Input/output error"),
    (6, "ENXIO", "No such device or address"),
    (9, "EBADF", "Bad file descriptor"),
    (11, "EAGAIN", "Resource temporarily unavailable"),
    (12, "ENOMEM", "Cannot allocate memory"),
    (13, "EACCES", "Permission denied"),
    (14, "EFAULT", "Bad address"),
    (16, "EBUSY", "Device or resource busy"),
    (17, "EEXIST", "File exists"),
    (19, "ENODEV", "No such device"),
    (20, "ENOTDIR", "Not a directory"),
    (21, "EISDIR", "Is a directory"),
    (22, "EINVAL", "Invalid argument"),
    (27, "EFBIG", "File too large"),
    (28, "ENOSPC", "No space left on device"),
    (30, "EROFS", "Read-only file system"),
    (32, "EPIPE", "Broken pipe"),
    (36, "ENAMETOOLONG", "File name too long"),
    (38, "ENOSYS", "Function not implemented"),
    (40, "ELOOP", "Too many levels of symbolic links"),
    (75, "EOVERFLOW", "Value too large for defined data type"),
    (95, "EOPNOTSUPP", "Operation not supported"),
    (110, "ETIMEDOUT", "Connection timed out"),
];

/// The symbolic name of a Linux errno, e.g. `ENXIO` for 6.
pub fn errno_name(raw: i32) -> Option<&'static str> {
    ERRNOS.iter().find(|e| e.0 == raw).map(|e| e.1)
}

/// An errno in words with its name: `No such device or address (ENXIO)`.
///
/// An errno missing from the table gets the C library's text and its number.
pub fn describe_errno(raw: i32) -> String {
    match ERRNOS.iter().find(|e| e.0 == raw) {
        Some((_, name, text)) => format!("{text} ({name})"),
        None => {
            let text = io::Error::from_raw_os_error(raw).to_string();
            let text = text
                .strip_suffix(&format!(" (os error {raw})"))
                .unwrap_or(&text)
                .to_string();
            format!("{text} (errno {raw})")
        }
    }
}

/// An `io::Error` in the words of [`describe_errno`] when it has an errno.
pub fn describe_io(err: &io::Error) -> String {
    match err.raw_os_error() {
        Some(raw) => describe_errno(raw),
        None => err.to_string(),
    }
}

/// An error of the tool. `main` prints it after `doe: `.
#[derive(Debug)]
pub enum Error {
    /// A file (sysfs attribute, config space, request) could not be read or written.
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        err: io::Error,
        /// What the errno means here.
        hint: Option<&'static str>,
    },
    /// A sysfs attribute holds something unexpected.
    Attribute {
        /// The attribute.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// No mailbox by that name, or at that place.
    NoMailbox {
        /// What was asked for, in words.
        what: String,
        /// Where the tool looked.
        looked: PathBuf,
    },
    /// The effective user is not root.
    NotRoot {
        /// What needs root.
        what: String,
        /// The effective user ID.
        euid: u32,
        /// Why it needs root, if not obvious.
        why: Option<&'static str>,
    },
    /// The mailbox is bound: its registers are the kernel's.
    Bound {
        /// The mailbox.
        name: String,
        /// Its driver.
        driver: String,
    },
    /// `bind` of a bound mailbox.
    AlreadyBound {
        /// The mailbox.
        name: String,
        /// Its driver.
        driver: String,
    },
    /// `unbind` of an unbound mailbox.
    NotBound {
        /// The mailbox.
        name: String,
    },
    /// The PCI device of the mailbox is unknown.
    NoPciDevice {
        /// The mailbox.
        name: String,
        /// Its parent directory.
        parent: String,
    },
    /// An exchange through the registers failed.
    Mailbox {
        /// The mailbox, described.
        mailbox: String,
        /// Why.
        err: MailboxError,
    },
    /// Discovery through the registers failed.
    Discovery {
        /// The mailbox, described.
        mailbox: String,
        /// Why.
        err: discovery::Error,
    },
    /// The CDAT could not be read or decoded.
    Cdat {
        /// The mailbox, described.
        mailbox: String,
        /// Why.
        err: cdat::Error,
    },
    /// The `protocols` attribute is not a `vvvv:tt` a line.
    Protocols {
        /// The attribute.
        path: PathBuf,
        /// The bad line.
        err: discovery::ParseError,
    },
    /// The request file of `doe exchange` cannot be sent.
    Request {
        /// The file.
        path: PathBuf,
        /// Why.
        problem: String,
    },
    /// Standard output could not be written.
    Output(io::Error),
    /// The JSON output could not be produced.
    Json(serde_json::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::File { path, err, hint } => {
                write!(f, "{}: {}", path.display(), describe_io(err))?;
                match hint {
                    Some(h) => write!(f, ": {h}"),
                    None => Ok(()),
                }
            }
            Error::Attribute { path, problem } => write!(f, "{}: {problem}", path.display()),
            Error::NoMailbox { what, looked } => write!(
                f,
                "no DOE mailbox {what} under {}; `doe list` shows the mailboxes",
                looked.display()
            ),
            Error::NotRoot { what, euid, why } => {
                write!(f, "{what} needs root (effective uid {euid})")?;
                match why {
                    Some(w) => write!(f, ": {w}"),
                    None => Ok(()),
                }
            }
            Error::Bound { name, driver } => write!(
                f,
                "{name} is bound to {driver}; release it first with: doe unbind {name}"
            ),
            Error::AlreadyBound { name, driver } => {
                write!(f, "{name} is already bound to {driver}")
            }
            Error::NotBound { name } => write!(f, "{name} is not bound to a driver"),
            Error::NoPciDevice { name, parent } => write!(
                f,
                "{name}: its parent device '{parent}' is not a PCI device address, so its \
                 config space is unknown"
            ),
            Error::Mailbox { mailbox, err } => write!(f, "{mailbox}: {err}"),
            Error::Discovery { mailbox, err } => write!(f, "{mailbox}: {err}"),
            Error::Cdat { mailbox, err } => write!(f, "{mailbox}: {err}"),
            Error::Protocols { path, err } => write!(f, "{}: {err}", path.display()),
            Error::Request { path, problem } => write!(f, "{}: {problem}", path.display()),
            Error::Output(err) => write!(f, "cannot write to stdout: {}", describe_io(err)),
            Error::Json(err) => write!(f, "cannot write the JSON output: {err}"),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errnos_in_words() {
        assert_eq!(describe_errno(6), "No such device or address (ENXIO)");
        assert_eq!(describe_errno(13), "Permission denied (EACCES)");
        assert_eq!(describe_errno(16), "Device or resource busy (EBUSY)");
        assert_eq!(errno_name(19), Some("ENODEV"));
        assert_eq!(errno_name(4095), None);
        let d = describe_errno(4095);
        assert!(d.ends_with(" (errno 4095)"), "{d}");
        assert!(!d.contains("os error"), "{d}");
    }

    #[test]
    fn errno_table_matches_rustix() {
        use rustix::io::Errno;
        for (raw, name, _) in ERRNOS {
            assert_eq!(
                Errno::from_raw_os_error(*raw).raw_os_error(),
                *raw,
                "{name}"
            );
        }
        assert_eq!(errno_name(Errno::NXIO.raw_os_error()), Some("ENXIO"));
        assert_eq!(errno_name(Errno::ACCESS.raw_os_error()), Some("EACCES"));
        assert_eq!(errno_name(Errno::NODEV.raw_os_error()), Some("ENODEV"));
    }

    #[test]
    fn the_brief_example() {
        let e = Error::Bound {
            name: "cxl_pci.doe.3".to_string(),
            driver: "cxl_doe.cxl_doe_drv".to_string(),
        };
        assert_eq!(
            e.to_string(),
            "cxl_pci.doe.3 is bound to cxl_doe.cxl_doe_drv; release it first with: \
             doe unbind cxl_pci.doe.3"
        );
    }

    #[test]
    fn file_errors_name_the_file_errno_and_hint() {
        let e = Error::File {
            path: PathBuf::from("/sys/x/protocols"),
            err: io::Error::from_raw_os_error(6),
            hint: Some("mailbox unavailable (unbound)"),
        };
        assert_eq!(
            e.to_string(),
            "/sys/x/protocols: No such device or address (ENXIO): mailbox unavailable (unbound)"
        );
        let e = Error::NotRoot {
            what: "unbinding cxl_pci.doe.0".to_string(),
            euid: 1000,
            why: None,
        };
        assert_eq!(
            e.to_string(),
            "unbinding cxl_pci.doe.0 needs root (effective uid 1000)"
        );
    }
}
