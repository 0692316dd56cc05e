// SPDX-License-Identifier: GPL-2.0

//! FPGA Image Load class.
//!
//! Lower-level FPGA drivers register a set of operations with this class and
//! get a character device, `/dev/fpga_imageN`, through which user space
//! uploads an image. The load itself runs on a workqueue and walks the lower
//! driver through the preparing, writing and programming stages.
//!
//! This is the module skeleton: the user ABI's progress and error codes and
//! the words sysfs shows for them.

use kernel::prelude::*;

module! {
    type: FpgaImageLoadModule,
    name: "fpga_image_load",
    authors: ["The rfl-drivers authors"],
    description: "FPGA Image Load class",
    license: "GPL",
}

/// Progress of a load, as `FPGA_IMAGE_PROG_*` in the user ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Progress {
    /// No load is running.
    Idle = 0,
    /// A load was accepted and waits for the worker.
    Starting = 1,
    /// The lower driver prepares the device.
    Preparing = 2,
    /// The image is being written.
    Writing = 3,
    /// The device programs and authenticates the image.
    Programming = 4,
}

impl Progress {
    /// The name sysfs `status` shows.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Starting => "starting",
            Self::Preparing => "preparing",
            Self::Writing => "writing",
            Self::Programming => "programming",
        }
    }
}

/// Error of a load, as `FPGA_IMAGE_ERR_*` in the user ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum LoadError {
    /// The hardware reported an error.
    HwError = 1,
    /// The hardware did not answer in time.
    Timeout = 2,
    /// The load was canceled.
    Canceled = 3,
    /// The hardware is busy.
    Busy = 4,
    /// The image has a size the hardware does not accept.
    InvalidSize = 5,
    /// Reading or writing the device failed.
    RwError = 6,
    /// The flash is worn out.
    Wearout = 7,
}

impl LoadError {
    /// The name sysfs `error` shows after the stage.
    pub const fn name(self) -> &'static str {
        match self {
            Self::HwError => "hw-error",
            Self::Timeout => "timeout",
            Self::Canceled => "canceled",
            Self::Busy => "busy",
            Self::InvalidSize => "invalid-size",
            Self::RwError => "rw-error",
            Self::Wearout => "wearout",
        }
    }
}

struct FpgaImageLoadModule;

impl kernel::Module for FpgaImageLoadModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!("FPGA Image Load class\n");
        Ok(Self)
    }
}

#[kunit_tests(fpga_image_load_abi)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_the_uapi() {
        assert_eq!(Progress::Idle as u32, 0);
        assert_eq!(Progress::Programming as u32, 4);
        assert_eq!(LoadError::HwError as u32, 1);
        assert_eq!(LoadError::Wearout as u32, 7);
    }

    #[test]
    fn names_are_the_sysfs_words() {
        assert_eq!(Progress::Writing.name(), "writing");
        assert_eq!(LoadError::InvalidSize.name(), "invalid-size");
        assert_eq!(LoadError::RwError.name(), "rw-error");
    }
}
