// SPDX-License-Identifier: GPL-2.0
//! Linux errnos in words, shared by the user-space tools (`fpga-image-load`, `doe`).
//!
//! The tools name a failed system call's errno in words with its symbolic name, e.g.
//! `Device or resource busy (EBUSY)`, rather than std's `Device or resource busy (os
//! error 16)`. The words are the C library's, as `strerror()` gives them (through
//! [`io::Error`]); the name is `nix`'s ([`Errno`]'s variant). This crate only puts the
//! two together: [`describe_errno`] for a raw errno and [`describe_io`] for an
//! [`io::Error`]. An errno `nix` does not name gets its number: `... (errno 4095)`.
//!
//! ```
//! use errno_words::{describe_errno, describe_io};
//!
//! assert_eq!(describe_errno(16), "Device or resource busy (EBUSY)");
//! let err = std::io::Error::from_raw_os_error(2);
//! assert_eq!(describe_io(&err), "No such file or directory (ENOENT)");
//! ```

use nix::errno::Errno;
use std::io;

/// An errno in words with its name: `Device or resource busy (EBUSY)`.
///
/// An errno `nix` does not name gets its number instead.
pub fn describe_errno(raw: i32) -> String {
    let text = io::Error::from_raw_os_error(raw).to_string();
    // std appends " (os error N)": this function names the errno its own way.
    let text = text
        .strip_suffix(&format!(" (os error {raw})"))
        .unwrap_or(&text);
    match Errno::from_raw(raw) {
        Errno::UnknownErrno => format!("{text} (errno {raw})"),
        errno => format!("{text} ({errno:?})"),
    }
}

/// An [`io::Error`] in the words of [`describe_errno`] when it has an errno, else in
/// its own words.
pub fn describe_io(err: &io::Error) -> String {
    match err.raw_os_error() {
        Some(raw) => describe_errno(raw),
        None => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errnos_in_words() {
        // From fpga-image-load.
        assert_eq!(describe_errno(16), "Device or resource busy (EBUSY)");
        assert_eq!(describe_errno(19), "No such device (ENODEV)");
        assert_eq!(
            describe_errno(25),
            "Inappropriate ioctl for device (ENOTTY)"
        );
        assert_eq!(describe_errno(27), "File too large (EFBIG)");
        assert_eq!(describe_errno(125), "Operation canceled (ECANCELED)");
        // From doe.
        assert_eq!(describe_errno(6), "No such device or address (ENXIO)");
        assert_eq!(describe_errno(13), "Permission denied (EACCES)");
        // Unknown: the number.
        let d = describe_errno(4095);
        assert!(d.ends_with(" (errno 4095)"), "{d}");
        assert!(!d.contains("os error"), "{d}");
        // Not an errno at all.
        assert!(describe_errno(0).ends_with(" (errno 0)"));
        // The words are the C library's, not the kernel's comments.
        assert_eq!(describe_errno(5), "Input/output error (EIO)");
    }

    #[test]
    fn io_errors_in_words() {
        assert_eq!(
            describe_io(&io::Error::from_raw_os_error(2)),
            "No such file or directory (ENOENT)"
        );
        assert_eq!(
            describe_io(&io::Error::from_raw_os_error(6)),
            "No such device or address (ENXIO)"
        );
        // No errno: the error's own words.
        let e = io::Error::new(io::ErrorKind::InvalidData, "short read");
        assert_eq!(describe_io(&e), "short read");
    }
}
