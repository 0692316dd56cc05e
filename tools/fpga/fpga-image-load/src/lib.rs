// SPDX-License-Identifier: GPL-2.0
//! User-space side of the FPGA Image Load class: its ABI and device naming.

pub mod abi;
pub mod device;
