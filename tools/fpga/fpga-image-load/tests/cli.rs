// SPDX-License-Identifier: GPL-2.0
//! The built `fpga-image-load` binary: exit statuses and messages of the paths that
//! need no FPGA card.

use std::path::PathBuf;
use std::process::{Command, Output};

/// A device index with no node on any machine.
const NO_DEVICE: &str = "4294967295";

fn tool(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fpga-image-load"))
        .args(args)
        .output()
        .expect("run fpga-image-load")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A file of `len` bytes in this test binary's temporary directory.
fn image(name: &str, len: usize) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli");
    std::fs::create_dir_all(&dir).expect("create the temporary directory");
    let path = dir.join(name);
    std::fs::write(&path, vec![0x5a; len]).expect("write the image");
    path
}

#[test]
fn unaligned_image_is_refused_before_the_device_is_opened() {
    let img = image("five.bin", 5);
    let o = tool(&["write", NO_DEVICE, img.to_str().expect("UTF-8 path")]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!(
            "fpga-image-load: {}: image is 5 bytes, not a multiple of 4; \
             use --pad to pad it with zeros\n",
            img.display()
        )
    );
}

#[test]
fn pad_gets_as_far_as_the_device() {
    let img = image("seven.bin", 7);
    let o = tool(&[
        "write",
        "--pad",
        NO_DEVICE,
        img.to_str().expect("UTF-8 path"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("padded from 7 to 8 bytes"), "{e}");
    assert!(
        e.contains(
            "fpga-image-load: /dev/fpga_image4294967295: open: \
             No such file or directory (ENOENT)"
        ),
        "{e}"
    );
}

#[test]
fn missing_image_names_the_file_and_errno() {
    let o = tool(&["write", NO_DEVICE, "/nonexistent/image.bin"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "fpga-image-load: /nonexistent/image.bin: No such file or directory (ENOENT)\n"
    );
}

#[test]
fn empty_image_is_refused() {
    let img = image("empty.bin", 0);
    let o = tool(&["write", "--pad", "0", img.to_str().expect("UTF-8 path")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).ends_with(": image is empty\n"), "{}", stderr(&o));
}

#[test]
fn missing_device_names_the_node_and_errno() {
    for cmd in ["status", "cancel", "wait"] {
        let o = tool(&[cmd, NO_DEVICE]);
        assert_eq!(o.status.code(), Some(1), "{cmd}");
        assert_eq!(
            stderr(&o),
            "fpga-image-load: /dev/fpga_image4294967295: open: No such file or directory \
             (ENOENT): no such device node; is the card's driver loaded?\n",
            "{cmd}"
        );
        assert!(o.stdout.is_empty(), "{cmd}");
    }
}

#[test]
fn bad_usage_exits_2() {
    for args in [
        &["status", "sda"][..],
        &["write", "0"],
        &["status"],
        &["frobnicate"],
        &[],
    ] {
        let o = tool(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
    let e = stderr(&tool(&["status", "sda"]));
    assert!(
        e.contains("'sda' is not a device: expected /dev/fpga_imageN, fpga_imageN or N"),
        "{e}"
    );
}

#[test]
fn help_lists_the_subcommands() {
    let o = tool(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8_lossy(&o.stdout);
    for cmd in ["write", "status", "cancel", "wait"] {
        assert!(out.contains(cmd), "{out}");
    }
}
