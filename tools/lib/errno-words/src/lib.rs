// SPDX-License-Identifier: GPL-2.0
//! Linux errnos in words, shared by the user-space tools (`fpga-image-load`, `doe`).
//!
//! The tools name a failed system call's errno in words with its symbolic name, e.g.
//! `Device or resource busy (EBUSY)`, rather than std's `Device or resource busy (os
//! error 16)`. [`describe_errno`] does that for a raw errno, [`describe_io`] for an
//! [`std::io::Error`] and [`errno_name`] gives the symbolic name alone. An errno the
//! table does not know gets the C library's text and its number: `... (errno 4095)`.
//!
//! ```
//! use errno_words::{describe_errno, describe_io, errno_name};
//!
//! assert_eq!(describe_errno(16), "Device or resource busy (EBUSY)");
//! assert_eq!(errno_name(6), Some("ENXIO"));
//! let err = std::io::Error::from_raw_os_error(2);
//! assert_eq!(describe_io(&err), "No such file or directory (ENOENT)");
//! ```

use std::io;

/// Linux errnos the tools name: number, symbol and glibc's `strerror()` text.
///
/// Sorted by number; the union of what the tools need.
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

/// The table's entry for `raw`, if any.
fn lookup(raw: i32) -> Option<&'static (i32, &'static str, &'static str)> {
    ERRNOS.iter().find(|e| e.0 == raw)
}

/// The symbolic name of a Linux errno, e.g. `EBUSY` for 16.
pub fn errno_name(raw: i32) -> Option<&'static str> {
    lookup(raw).map(|e| e.1)
}

/// An errno in words with its name: `Device or resource busy (EBUSY)`.
///
/// An errno missing from the table gets the C library's text and its number.
pub fn describe_errno(raw: i32) -> String {
    match lookup(raw) {
        Some((_, name, text)) => format!("{text} ({name})"),
        None => {
            let text = io::Error::from_raw_os_error(raw).to_string();
            // std appends " (os error N)"; this function names the number its own way.
            let text = text
                .strip_suffix(&format!(" (os error {raw})"))
                .unwrap_or(&text)
                .to_string();
            format!("{text} (errno {raw})")
        }
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
    use rustix::io::Errno;

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
        assert_eq!(errno_name(22), Some("EINVAL"));
        // From doe.
        assert_eq!(describe_errno(6), "No such device or address (ENXIO)");
        assert_eq!(describe_errno(13), "Permission denied (EACCES)");
        assert_eq!(errno_name(19), Some("ENODEV"));
        // Unknown to the table: the C library's words and the number.
        assert_eq!(errno_name(4095), None);
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
        // The errnos fpga-image-load names.
        assert_eq!(errno_name(Errno::BUSY.raw_os_error()), Some("EBUSY"));
        assert_eq!(errno_name(Errno::NODEV.raw_os_error()), Some("ENODEV"));
        assert_eq!(errno_name(Errno::NOTTY.raw_os_error()), Some("ENOTTY"));
        assert_eq!(errno_name(Errno::FBIG.raw_os_error()), Some("EFBIG"));
        assert_eq!(errno_name(Errno::NOENT.raw_os_error()), Some("ENOENT"));
        // The errnos doe names.
        assert_eq!(errno_name(Errno::NXIO.raw_os_error()), Some("ENXIO"));
        assert_eq!(errno_name(Errno::ACCESS.raw_os_error()), Some("EACCES"));
    }

    #[test]
    fn table_is_the_union_sorted_and_unique() {
        assert!(
            ERRNOS.windows(2).all(|w| w[0].0 < w[1].0),
            "sorted by number, each once"
        );
        for (raw, name, text) in ERRNOS {
            assert!(name.starts_with('E'), "{raw}: {name}");
            assert!(!text.is_empty(), "{name}");
        }
        let mut names: Vec<&str> = ERRNOS.iter().map(|e| e.1).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ERRNOS.len(), "each name once");
        // Entries only one of the tools used to have.
        for (raw, name) in [
            (34, "ERANGE"),
            (35, "EDEADLK"),
            (37, "ENOLCK"),
            (39, "ENOTEMPTY"),
            (125, "ECANCELED"),
        ] {
            assert_eq!(errno_name(raw), Some(name));
        }
        assert_eq!(describe_errno(125), "Operation canceled (ECANCELED)");
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
        let d = describe_io(&io::Error::from_raw_os_error(4095));
        assert!(d.ends_with(" (errno 4095)"), "{d}");
        // No errno: the error's own words.
        let e = io::Error::new(io::ErrorKind::InvalidData, "short read");
        assert_eq!(describe_io(&e), "short read");
    }
}
