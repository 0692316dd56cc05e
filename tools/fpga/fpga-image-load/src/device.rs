// SPDX-License-Identifier: GPL-2.0
//! Naming a device: `/dev/fpga_imageN`, `fpga_imageN` or `N`.

use std::fmt;
use std::path::PathBuf;

/// An FPGA image load device, by its class index N.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    /// N of `fpga_imageN`.
    pub index: u32,
}

/// Why a device argument was not understood.
#[derive(Debug, PartialEq, Eq)]
pub struct BadDevice(pub String);

impl fmt::Display for BadDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' is not a device: expected /dev/fpga_imageN, fpga_imageN or N",
            self.0
        )
    }
}

impl std::error::Error for BadDevice {}

impl std::str::FromStr for Device {
    type Err = BadDevice;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let n = s.strip_prefix("/dev/").unwrap_or(s);
        let n = n.strip_prefix("fpga_image").unwrap_or(n);
        // Digits only: no sign, no space, no leading zero but for "0".
        if n.is_empty()
            || !n.bytes().all(|b| b.is_ascii_digit())
            || (n.len() > 1 && n.starts_with('0'))
        {
            return Err(BadDevice(s.to_string()));
        }
        n.parse()
            .map(|index| Device { index })
            .map_err(|_| BadDevice(s.to_string()))
    }
}

impl Device {
    /// The class device's name, `fpga_imageN`.
    pub fn name(&self) -> String {
        format!("fpga_image{}", self.index)
    }

    /// The character device node.
    pub fn node(&self) -> PathBuf {
        PathBuf::from(format!("/dev/{}", self.name()))
    }

    /// The class device's sysfs directory.
    pub fn sysfs(&self) -> PathBuf {
        PathBuf::from(format!("/sys/class/fpga_image_load/{}", self.name()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_three_spellings() {
        for s in ["/dev/fpga_image3", "fpga_image3", "3"] {
            assert_eq!(s.parse::<Device>(), Ok(Device { index: 3 }), "{s}");
        }
        assert_eq!("0".parse::<Device>(), Ok(Device { index: 0 }));
    }

    #[test]
    fn rejects_others() {
        for s in [
            "",
            "/dev/",
            "fpga_image",
            "-1",
            "+1",
            "03",
            "x3",
            "/dev/sda",
            "3 ",
            "99999999999",
        ] {
            assert!(s.parse::<Device>().is_err(), "{s:?} accepted");
        }
    }

    #[test]
    fn paths() {
        let d = Device { index: 12 };
        assert_eq!(d.node(), PathBuf::from("/dev/fpga_image12"));
        assert_eq!(
            d.sysfs(),
            PathBuf::from("/sys/class/fpga_image_load/fpga_image12")
        );
    }
}
