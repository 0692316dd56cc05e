// SPDX-License-Identifier: GPL-2.0
//! `fpga-image-load`: drive an FPGA image load device from user space.

use fpga_image_load::abi;
use fpga_image_load::device;

use clap::{Parser, Subcommand};
use device::Device;
use rustix::fs::{open, Mode, OFlags};
use rustix::ioctl::{ioctl, opcode, Getter};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Show the state of a device's load.
    Status {
        /// /dev/fpga_imageN, fpga_imageN or N.
        device: Device,
    },
}

const STATUS: rustix::ioctl::Opcode = opcode::read::<abi::ImageStatus>(abi::MAGIC, 1);

fn status(dev: &Device) -> Result<abi::ImageStatus, String> {
    let node = dev.node();
    let fd = open(&node, OFlags::RDWR | OFlags::CLOEXEC, Mode::empty())
        .map_err(|e| format!("{}: open: {e}", node.display()))?;
    // SAFETY: STATUS is _IOR(0xB9, 1, struct fpga_image_status), whose
    // layout `abi::ImageStatus` reproduces.
    unsafe { ioctl(&fd, Getter::<STATUS, abi::ImageStatus>::new()) }
        .map_err(|e| format!("{}: FPGA_IMAGE_LOAD_STATUS: {e}", node.display()))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let r = match cli.cmd {
        Cmd::Status { device } => status(&device).map(|s| {
            println!(
                "{}: {} remaining {} error {}:{}",
                device.name(),
                abi::progress_name(s.progress).unwrap_or("?"),
                s.remaining_size,
                abi::progress_name(s.err_progress).unwrap_or("?"),
                abi::error_name(s.err_code).unwrap_or("?"),
            )
        }),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fpga-image-load: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn status_takes_a_device() {
        let c = Cli::try_parse_from(["fpga-image-load", "status", "fpga_image2"]).expect("parses");
        match c.cmd {
            Cmd::Status { device } => assert_eq!(device.index, 2),
        }
        assert!(Cli::try_parse_from(["fpga-image-load", "status", "sda"]).is_err());
    }

    #[test]
    fn status_opcode_is_the_c_one() {
        // _IOR(0xB9, 1, struct fpga_image_status) = 0x8010b901.
        assert_eq!(STATUS, 0x8010_b901);
    }
}
