// SPDX-License-Identifier: GPL-2.0
//! User-space side of the FPGA Image Load class: the `fpga-image-load` tool.
//!
//! The logic sits in small modules that can be tested without a device:
//! [`abi`] (the kernel ABI), [`device`] (naming a device), [`image`] (checking and
//! padding an image), [`report`] (everything printed about a load), [`error`] (errors
//! and errnos in words) and [`cli`] (the command line). [`card`] and [`watch`] talk to
//! the device; [`app`] runs the subcommands.

pub mod abi;
pub mod app;
pub mod card;
pub mod cli;
pub mod device;
pub mod error;
pub mod image;
pub mod report;
pub mod watch;
