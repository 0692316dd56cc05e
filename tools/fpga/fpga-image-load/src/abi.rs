// SPDX-License-Identifier: GPL-2.0
//! The user ABI of `include/uapi/linux/fpga-image-load.h`.
//!
//! The header is authoritative: `tests/abi_c.rs` compiles a C program against it and
//! checks the sizes, field offsets and ioctl numbers here against the C compiler's.

use rustix::ioctl::{opcode, Opcode};

/// `FPGA_IMAGE_LOAD_MAGIC`.
pub const MAGIC: u8 = 0xB9;

/// `FPGA_IMAGE_LOAD_WRITE`: `_IOW(0xB9, 0, struct fpga_image_write)`.
pub const WRITE: Opcode = opcode::write::<ImageWrite>(MAGIC, 0);
/// `FPGA_IMAGE_LOAD_WRITE_EVTFD`: `_IOW(0xB9, 0, struct fpga_image_write_evtfd)`, the same
/// command with the 24-byte layout of Intel's OPAE tools.
pub const WRITE_EVTFD: Opcode = opcode::write::<ImageWriteEvtfd>(MAGIC, 0);
/// `FPGA_IMAGE_LOAD_STATUS`: `_IOR(0xB9, 1, struct fpga_image_status)`.
pub const STATUS: Opcode = opcode::read::<ImageStatus>(MAGIC, 1);
/// `FPGA_IMAGE_LOAD_CANCEL`: `_IO(0xB9, 2)`.
pub const CANCEL: Opcode = opcode::none(MAGIC, 2);
/// `FPGA_IMAGE_LOAD_SET_EVENTFD`: `_IOW(0xB9, 3, __s32)`.
pub const SET_EVENTFD: Opcode = opcode::write::<i32>(MAGIC, 3);

/// `FPGA_IMAGE_PROG_IDLE`: no load runs.
pub const PROG_IDLE: u32 = 0;
/// `FPGA_IMAGE_PROG_WRITING`: the image is being written to the card.
pub const PROG_WRITING: u32 = 3;
/// `FPGA_IMAGE_ERR_NONE`: the last load succeeded (or none ran).
pub const ERR_NONE: u32 = 0;

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

/// `struct fpga_image_write_evtfd`: the argument of `FPGA_IMAGE_LOAD_WRITE_EVTFD`.
///
/// The padding is explicit, so the layout and the ioctl number are the same for 32-bit and
/// 64-bit callers.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ImageWriteEvtfd {
    /// Zero: no flag is defined.
    pub flags: u32,
    /// Size of the image in bytes, a multiple of 4.
    pub size: u32,
    /// An eventfd signalled once when this load ends, or -1 for none.
    pub evtfd: i32,
    /// Zero.
    pub pad: u32,
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
    fn write_evtfd_struct_layout() {
        assert_eq!(size_of::<ImageWriteEvtfd>(), 24);
        assert_eq!(offset_of!(ImageWriteEvtfd, flags), 0);
        assert_eq!(offset_of!(ImageWriteEvtfd, size), 4);
        assert_eq!(offset_of!(ImageWriteEvtfd, evtfd), 8);
        assert_eq!(offset_of!(ImageWriteEvtfd, pad), 12);
        assert_eq!(offset_of!(ImageWriteEvtfd, buf), 16);
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
    fn opcodes_are_the_c_ones() {
        assert_eq!(WRITE, 0x4010_b900);
        assert_eq!(WRITE_EVTFD, 0x4018_b900);
        assert_eq!(STATUS, 0x8010_b901);
        assert_eq!(CANCEL, 0xb902);
        assert_eq!(SET_EVENTFD, 0x4004_b903);
    }

    #[test]
    fn code_constants_match_the_names() {
        assert_eq!(progress_name(PROG_IDLE), Some("idle"));
        assert_eq!(progress_name(PROG_WRITING), Some("writing"));
        assert_eq!(error_name(ERR_NONE), Some("none"));
    }

    #[test]
    fn names() {
        assert_eq!(progress_name(4), Some("programming"));
        assert_eq!(progress_name(5), None);
        assert_eq!(error_name(5), Some("invalid-size"));
        assert_eq!(error_name(8), None);
    }
}
