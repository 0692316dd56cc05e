// SPDX-License-Identifier: GPL-2.0
//! Errors of the tool.
//!
//! Every error names what it is about (the mailbox, or the sysfs file) and, for a
//! failed system call, the errno in words with its symbolic name, e.g.
//! `/sys/bus/auxiliary/devices/cxl_pci.doe.1/protocols: No such device or address
//! (ENXIO): mailbox unavailable (unbound)`. The errnos in words come from the
//! `errno-words` crate shared with the other tools.

use crate::{cdat, discovery, mailbox::MailboxError};
use errno_words::describe_io;
use std::fmt;
use std::io;
use std::path::PathBuf;

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
    /// The process lacks CAP_SYS_ADMIN, which config space beyond its first 64 bytes
    /// (and writing it) needs.
    NoSysAdmin {
        /// What needs it.
        what: String,
        /// The effective user ID.
        euid: u32,
    },
    /// The capabilities of the process could not be read.
    Capabilities(io::Error),
    /// The mailbox is bound: its registers are the kernel's.
    Bound {
        /// The mailbox.
        name: String,
        /// Its driver.
        driver: String,
    },
    /// Register access to an unbound mailbox that no unbind handed to user space: the
    /// kernel still owns it (its `owner` reads `kernel`).
    KernelOwned {
        /// The mailbox.
        name: String,
    },
    /// The mailbox could not be held for this process through `/dev/cxl_doe`.
    Hold {
        /// The mailbox.
        name: String,
        /// Why, from the open or the `CXL_DOE_HOLD` ioctl.
        err: io::Error,
    },
    /// The command of `hold` could not run, or failed.
    Command {
        /// The command.
        command: String,
        /// How it ended: its status, or why it did not start.
        how: String,
        /// Its exit code, if it exited.
        code: Option<i32>,
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
            Error::NoSysAdmin { what, euid } => write!(
                f,
                "{what} needs CAP_SYS_ADMIN, which this process (effective uid {euid}) lacks: \
                 config space beyond its first 64 bytes, and writing it, are root's only"
            ),
            Error::Capabilities(err) => write!(
                f,
                "cannot read the capabilities of this process (capget): {}",
                describe_io(err)
            ),
            Error::Bound { name, driver } => write!(
                f,
                "{name} is bound to {driver}; release it first with: doe unbind {name}"
            ),
            Error::KernelOwned { name } => write!(
                f,
                "{name} is not bound, but no unbind handed its mailbox to user space: the \
                 kernel still owns it (owner: kernel); hand it over with: doe bind {name} && \
                 doe unbind {name}"
            ),
            Error::Hold { name, err } => {
                use rustix::io::Errno;
                let why = match Errno::from_io_error(err) {
                    Some(Errno::NOENT) => {
                        ": /dev/cxl_doe is missing; the cxl_doe module is not loaded, and \
                         without it the kernel owns every mailbox"
                    }
                    Some(Errno::AGAIN) => {
                        ": another process holds the mailbox, and kept it for 10 s"
                    }
                    _ => "",
                };
                write!(
                    f,
                    "cannot hold {name} for this process through /dev/cxl_doe: {}{why}",
                    describe_io(err)
                )
            }
            Error::Command { command, how, .. } => write!(f, "{command}: {how}"),
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
        let e = Error::NoSysAdmin {
            what: "discovery through the registers of cxl_pci.doe.1".to_string(),
            euid: 0,
        };
        assert_eq!(
            e.to_string(),
            "discovery through the registers of cxl_pci.doe.1 needs CAP_SYS_ADMIN, which this \
             process (effective uid 0) lacks: config space beyond its first 64 bytes, and \
             writing it, are root's only"
        );
    }
}
