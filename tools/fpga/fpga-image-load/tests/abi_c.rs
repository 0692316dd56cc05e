// SPDX-License-Identifier: GPL-2.0
//! The Rust ABI against the C header: compiles a small C program with the system C
//! compiler against `include/uapi/linux/fpga-image-load.h`, runs it, and compares the
//! sizes, field offsets, ioctl numbers and enum bounds it prints with `abi.rs`.
//!
//! A missing C compiler fails the test: the check must not pass silently.

use core::mem::{offset_of, size_of};
use fpga_image_load::abi::{self, ImageStatus, ImageWrite, ImageWriteEvtfd};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const PROGRAM: &str = r#"
#include <stddef.h>
#include <stdio.h>
#include <linux/fpga-image-load.h>

#ifndef _UAPI_LINUX_FPGA_IMAGE_LOAD_H
#error "not the project's fpga-image-load.h"
#endif

#define P(name, value) printf("%s %lu\n", name, (unsigned long)(value))

int main(void)
{
	P("magic", FPGA_IMAGE_LOAD_MAGIC);
	P("write.size", sizeof(struct fpga_image_write));
	P("write.flags", offsetof(struct fpga_image_write, flags));
	P("write.size_field", offsetof(struct fpga_image_write, size));
	P("write.buf", offsetof(struct fpga_image_write, buf));
	P("write_evtfd.size", sizeof(struct fpga_image_write_evtfd));
	P("write_evtfd.flags", offsetof(struct fpga_image_write_evtfd, flags));
	P("write_evtfd.size_field", offsetof(struct fpga_image_write_evtfd, size));
	P("write_evtfd.evtfd", offsetof(struct fpga_image_write_evtfd, evtfd));
	P("write_evtfd.pad", offsetof(struct fpga_image_write_evtfd, __pad));
	P("write_evtfd.buf", offsetof(struct fpga_image_write_evtfd, buf));
	P("status.size", sizeof(struct fpga_image_status));
	P("status.remaining_size", offsetof(struct fpga_image_status, remaining_size));
	P("status.progress", offsetof(struct fpga_image_status, progress));
	P("status.err_progress", offsetof(struct fpga_image_status, err_progress));
	P("status.err_code", offsetof(struct fpga_image_status, err_code));
	P("ioctl.write", FPGA_IMAGE_LOAD_WRITE);
	P("ioctl.write_evtfd", FPGA_IMAGE_LOAD_WRITE_EVTFD);
	P("ioctl.status", FPGA_IMAGE_LOAD_STATUS);
	P("ioctl.cancel", FPGA_IMAGE_LOAD_CANCEL);
	P("ioctl.set_eventfd", FPGA_IMAGE_LOAD_SET_EVENTFD);
	P("prog.idle", FPGA_IMAGE_PROG_IDLE);
	P("prog.writing", FPGA_IMAGE_PROG_WRITING);
	P("prog.max", FPGA_IMAGE_PROG_MAX);
	P("err.none", FPGA_IMAGE_ERR_NONE);
	P("err.max", FPGA_IMAGE_ERR_MAX);
	return 0;
}
"#;

/// `include/uapi` of the repository, from this crate's directory.
fn uapi_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../include/uapi")
}

/// Compiles and runs [`PROGRAM`] once; its output as a map.
fn c_side() -> &'static HashMap<String, u64> {
    static VALUES: OnceLock<HashMap<String, u64>> = OnceLock::new();
    VALUES.get_or_init(|| {
        let uapi = uapi_dir();
        let header = uapi.join("linux/fpga-image-load.h");
        assert!(
            header.is_file(),
            "the UAPI header {} is missing",
            header.display()
        );
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("abi_c");
        std::fs::create_dir_all(&dir).expect("create the temporary directory");
        let src = dir.join("abi.c");
        let exe = dir.join("abi");
        std::fs::write(&src, PROGRAM).expect("write the C program");

        let cc = std::env::var_os("CC").unwrap_or_else(|| "cc".into());
        let out = match Command::new(&cc)
            .arg("-std=gnu11")
            .arg("-Wall")
            .arg("-Werror")
            .arg("-I")
            .arg(&uapi)
            .arg("-o")
            .arg(&exe)
            .arg(&src)
            .output()
        {
            Ok(out) => out,
            Err(e) => panic!(
                "cannot run the C compiler {cc:?} ({e}): it is needed to check abi.rs \
                 against {}; install gcc (apt-get install gcc) or set CC",
                header.display()
            ),
        };
        assert!(
            out.status.success(),
            "{cc:?} failed to compile the ABI probe against {}:\n{}",
            header.display(),
            String::from_utf8_lossy(&out.stderr)
        );

        let out = Command::new(&exe).output().expect("run the ABI probe");
        assert!(out.status.success(), "the ABI probe failed");
        let text = String::from_utf8(out.stdout).expect("the probe prints ASCII");
        text.lines()
            .map(|l| {
                let (k, v) = l.split_once(' ').expect("a `name value` line");
                (k.to_string(), v.parse().expect("a number"))
            })
            .collect()
    })
}

fn c(name: &str) -> u64 {
    *c_side()
        .get(name)
        .unwrap_or_else(|| panic!("the ABI probe printed no {name}"))
}

#[test]
fn magic() {
    assert_eq!(c("magic"), u64::from(abi::MAGIC));
}

#[test]
fn image_write_layout() {
    assert_eq!(c("write.size"), size_of::<ImageWrite>() as u64);
    assert_eq!(c("write.flags"), offset_of!(ImageWrite, flags) as u64);
    assert_eq!(c("write.size_field"), offset_of!(ImageWrite, size) as u64);
    assert_eq!(c("write.buf"), offset_of!(ImageWrite, buf) as u64);
}

#[test]
fn image_write_evtfd_layout() {
    assert_eq!(c("write_evtfd.size"), size_of::<ImageWriteEvtfd>() as u64);
    assert_eq!(
        c("write_evtfd.flags"),
        offset_of!(ImageWriteEvtfd, flags) as u64
    );
    assert_eq!(
        c("write_evtfd.size_field"),
        offset_of!(ImageWriteEvtfd, size) as u64
    );
    assert_eq!(
        c("write_evtfd.evtfd"),
        offset_of!(ImageWriteEvtfd, evtfd) as u64
    );
    assert_eq!(
        c("write_evtfd.pad"),
        offset_of!(ImageWriteEvtfd, pad) as u64
    );
    assert_eq!(
        c("write_evtfd.buf"),
        offset_of!(ImageWriteEvtfd, buf) as u64
    );
}

#[test]
fn image_status_layout() {
    assert_eq!(c("status.size"), size_of::<ImageStatus>() as u64);
    assert_eq!(
        c("status.remaining_size"),
        offset_of!(ImageStatus, remaining_size) as u64
    );
    assert_eq!(
        c("status.progress"),
        offset_of!(ImageStatus, progress) as u64
    );
    assert_eq!(
        c("status.err_progress"),
        offset_of!(ImageStatus, err_progress) as u64
    );
    assert_eq!(
        c("status.err_code"),
        offset_of!(ImageStatus, err_code) as u64
    );
}

#[test]
fn ioctl_numbers() {
    assert_eq!(c("ioctl.write"), u64::from(abi::WRITE));
    assert_eq!(c("ioctl.write_evtfd"), u64::from(abi::WRITE_EVTFD));
    assert_eq!(c("ioctl.status"), u64::from(abi::STATUS));
    assert_eq!(c("ioctl.cancel"), u64::from(abi::CANCEL));
    assert_eq!(c("ioctl.set_eventfd"), u64::from(abi::SET_EVENTFD));
    // And the values the brief and the documentation quote.
    assert_eq!(c("ioctl.write"), 0x4010_b900);
    assert_eq!(c("ioctl.write_evtfd"), 0x4018_b900);
    assert_eq!(c("ioctl.status"), 0x8010_b901);
    assert_eq!(c("ioctl.cancel"), 0xb902);
    assert_eq!(c("ioctl.set_eventfd"), 0x4004_b903);
}

#[test]
fn enum_codes_and_name_tables() {
    assert_eq!(c("prog.idle"), u64::from(abi::PROG_IDLE));
    assert_eq!(c("prog.writing"), u64::from(abi::PROG_WRITING));
    assert_eq!(c("prog.max"), abi::PROGRESS_NAMES.len() as u64);
    assert_eq!(c("err.none"), u64::from(abi::ERR_NONE));
    assert_eq!(c("err.max"), abi::ERROR_NAMES.len() as u64);
}
