// SPDX-License-Identifier: GPL-2.0
//! User-space side of the CXL DOE mailbox driver: the `doe` tool.
//!
//! The logic sits in small modules that can be tested without a device:
//! [`framing`] (DOE data objects), [`mailbox`] (the register state machine, on any
//! [`mailbox::ConfigSpace`]), [`discovery`] (protocols and the discovery protocol),
//! [`cdat`] (reading, assembling and decoding the CDAT), [`sysfs`] (the mailboxes in
//! sysfs and their names), [`error`] (errors and errnos in words) and [`cli`] (the
//! command line). [`app`] runs the subcommands.

pub mod app;
pub mod cdat;
pub mod cli;
pub mod discovery;
pub mod error;
pub mod framing;
pub mod mailbox;
pub mod sysfs;

#[cfg(test)]
mod sim;
#[cfg(test)]
mod testdir;
