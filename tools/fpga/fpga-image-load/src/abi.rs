// SPDX-License-Identifier: GPL-2.0
//! The user ABI of `include/uapi/linux/fpga-image-load.h`.

/// `FPGA_IMAGE_LOAD_MAGIC`.
pub const MAGIC: u8 = 0xB9;

/// `struct fpga_image_write`: the argument of `FPGA_IMAGE_LOAD_WRITE`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ImageWrite {
    /// Zero: no flag is defined.
    pub flags: u32,
    /// Size of the image in bytes, a multiple of 4.
    pub size: u32,
    /// User address of the image.
    pub buf: u64,
}

/// `struct fpga_image_status`: the result of `FPGA_IMAGE_LOAD_STATUS`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImageStatus {
    /// Bytes not yet written to the card.
    pub remaining_size: u32,
    /// `FPGA_IMAGE_PROG_*`.
    pub progress: u32,
    /// The stage that failed, `FPGA_IMAGE_PROG_*`.
    pub err_progress: u32,
    /// `FPGA_IMAGE_ERR_*`.
    pub err_code: u32,
}

/// Names of `FPGA_IMAGE_PROG_*`, indexed by code, as sysfs `status` shows.
pub const PROGRESS_NAMES: [&str; 5] = ["idle", "starting", "preparing", "writing", "programming"];

/// Names of `FPGA_IMAGE_ERR_*`, indexed by code, as sysfs `error` shows.
pub const ERROR_NAMES: [&str; 8] = [
    "none",
    "hw-error",
    "timeout",
    "canceled",
    "busy",
    "invalid-size",
    "rw-error",
    "wearout",
];

/// The word for a progress code, or `None` for a code this tool does not know.
pub fn progress_name(code: u32) -> Option<&'static str> {
    PROGRESS_NAMES.get(code as usize).copied()
}

/// The word for an error code, or `None` for a code this tool does not know.
pub fn error_name(code: u32) -> Option<&'static str> {
    ERROR_NAMES.get(code as usize).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    #[test]
    fn write_struct_layout() {
        assert_eq!(size_of::<ImageWrite>(), 16);
        assert_eq!(offset_of!(ImageWrite, flags), 0);
        assert_eq!(offset_of!(ImageWrite, size), 4);
        assert_eq!(offset_of!(ImageWrite, buf), 8);
    }

    #[test]
    fn status_struct_layout() {
        assert_eq!(size_of::<ImageStatus>(), 16);
        assert_eq!(offset_of!(ImageStatus, remaining_size), 0);
        assert_eq!(offset_of!(ImageStatus, progress), 4);
        assert_eq!(offset_of!(ImageStatus, err_progress), 8);
        assert_eq!(offset_of!(ImageStatus, err_code), 12);
    }

    #[test]
    fn names() {
        assert_eq!(progress_name(4), Some("programming"));
        assert_eq!(progress_name(5), None);
        assert_eq!(error_name(5), Some("invalid-size"));
        assert_eq!(error_name(8), None);
    }
}
