// SPDX-License-Identifier: GPL-2.0
//! Errors of the benchmark.
//!
//! A [`Problem`] says what went wrong in one operation (a load, a knob, a file), in
//! words, with the errno in words when a system call failed. An [`Error`] adds where:
//! for a failed load, the peer and the case (`fw_upload (fpga_image_load_fwpeer): P1
//! 64M/4K: load failed: transferring:hw-error`). Missing a target is never an error.

use errno_words::{describe_errno, describe_io};
use std::fmt;
use std::path::Path;

/// What went wrong, without saying in which case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem(pub String);

impl Problem {
    /// A failed system call on `path`: `path: what: errno in words (ENAME)`.
    pub fn errno(path: &Path, what: &str, errno: rustix::io::Errno) -> Self {
        Problem(format!(
            "{}: {what}: {}",
            path.display(),
            describe_errno(errno.raw_os_error())
        ))
    }

    /// A failed `std::io` operation on `path`.
    pub fn io(path: &Path, what: &str, err: &std::io::Error) -> Self {
        Problem(format!("{}: {what}: {}", path.display(), describe_io(err)))
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<fpga_image_load::error::Error> for Problem {
    fn from(e: fpga_image_load::error::Error) -> Self {
        Problem(e.to_string())
    }
}

/// An error that ends the benchmark with exit status 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A load failed or did not check out.
    Load {
        /// The peer, e.g. `ours (fpga_image0)`.
        peer: String,
        /// The measurement and case, e.g. `P1 64M/4K`.
        case: String,
        /// What went wrong.
        problem: Problem,
    },
    /// Anything else: a missing peer, a knob that cannot be set, an output file.
    Other(Problem),
}

impl Error {
    /// A failed load of `peer` in `case`.
    pub fn load(peer: &str, case: &str, problem: Problem) -> Self {
        Error::Load {
            peer: peer.to_string(),
            case: case.to_string(),
            problem,
        }
    }
}

impl From<Problem> for Error {
    fn from(p: Problem) -> Self {
        Error::Other(p)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Load {
                peer,
                case,
                problem,
            } => write!(f, "{peer}: {case}: {problem}"),
            Error::Other(p) => write!(f, "{p}"),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_load_names_peer_and_case() {
        let e = Error::load(
            "fw_upload (fpga_image_load_fwpeer)",
            "P1 64M/4K",
            Problem("load failed: transferring:hw-error".into()),
        );
        assert_eq!(
            e.to_string(),
            "fw_upload (fpga_image_load_fwpeer): P1 64M/4K: load failed: transferring:hw-error"
        );
    }

    #[test]
    fn errnos_in_words() {
        let p = Problem::errno(Path::new("/x/loading"), "write", rustix::io::Errno::BUSY);
        assert_eq!(
            p.to_string(),
            "/x/loading: write: Device or resource busy (EBUSY)"
        );
        let p = Problem::io(
            Path::new("/y"),
            "read",
            &std::io::Error::from_raw_os_error(2),
        );
        assert_eq!(
            p.to_string(),
            "/y: read: No such file or directory (ENOENT)"
        );
    }
}
