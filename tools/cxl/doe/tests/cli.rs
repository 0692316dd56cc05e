// SPDX-License-Identifier: GPL-2.0
//! The built `doe` binary: exit statuses, messages and outputs on a fake sysfs tree
//! (the hidden `--sysfs-root`), without a CXL device.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PROTOCOLS: &str = "0001:00\n1e98:02\n";

fn tool(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_doe"))
        .args(args)
        .output()
        .expect("run doe")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A CDAT of a header and one DSIS, checksum right.
fn small_cdat() -> Vec<u8> {
    let mut t = vec![24, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    t.extend([3, 0, 8, 0, 1, 0, 0, 0]);
    let sum = t.iter().fold(0u8, |s, b| s.wrapping_add(*b));
    t[5] = 0u8.wrapping_sub(sum);
    t
}

/// A fake sysfs tree: cxl_pci.doe.0 bound at 0x190, cxl_pci.doe.1 unbound at 0x1b0,
/// both of 0000:0d:00.0.
fn tree(name: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("doe-cli-{name}"));
    let _ = std::fs::remove_dir_all(&root);
    let mk = |p: &Path| std::fs::create_dir_all(p).expect("mkdir");
    let aux = root.join("sys/bus/auxiliary");
    mk(&aux.join("devices"));
    mk(&aux.join("drivers/cxl_doe.cxl_doe_drv"));
    mk(&root.join("sys/bus/pci/devices"));
    let pci = root.join("sys/devices/pci0000:00/0000:0d:00.0");
    mk(&pci);
    std::fs::write(pci.join("config"), vec![0u8; 4096]).expect("write");
    symlink(
        "../../../devices/pci0000:00/0000:0d:00.0",
        root.join("sys/bus/pci/devices/0000:0d:00.0"),
    )
    .expect("symlink");
    for (n, offset, bound) in [(0, "0x190", true), (1, "0x1b0", false)] {
        let name = format!("cxl_pci.doe.{n}");
        let dev = pci.join(&name);
        mk(&dev);
        std::fs::write(dev.join("offset"), format!("{offset}\n")).expect("write");
        std::fs::write(dev.join("protocols"), PROTOCOLS).expect("write");
        std::fs::write(dev.join("cdat"), small_cdat()).expect("write");
        // Unbound stands for handed over: an unbind claimed it for user space.
        let owner = if bound { "kernel\n" } else { "user\n" };
        std::fs::write(dev.join("owner"), owner).expect("write");
        if bound {
            symlink(
                "../../../../bus/auxiliary/drivers/cxl_doe.cxl_doe_drv",
                dev.join("driver"),
            )
            .expect("symlink");
        }
        symlink(
            format!("../../../devices/pci0000:00/0000:0d:00.0/{name}"),
            aux.join("devices").join(&name),
        )
        .expect("symlink");
    }
    root
}

fn with_root<'a>(root: &'a Path, args: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["--sysfs-root", root.to_str().expect("UTF-8 path")];
    v.extend_from_slice(args);
    v
}

#[test]
fn list_on_a_fake_tree() {
    let root = tree("list");
    let o = tool(&with_root(&root, &["list"]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "cxl_pci.doe.0: 0000:0d:00.0 offset 0x190, bound to cxl_doe.cxl_doe_drv\n  \
         0001:00 discovery\n  1e98:02 CXL table access (CDAT)\n\
         cxl_pci.doe.1: 0000:0d:00.0 offset 0x1b0, unbound\n  protocols unavailable (unbound)\n"
    );
    let o = tool(&with_root(&root, &["list", "--json"]));
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(v[1]["name"], "cxl_pci.doe.1");
    assert_eq!(v[1]["bound"], false);
}

#[test]
fn bound_mailbox_reads_the_attributes() {
    let root = tree("bound");
    let o = tool(&with_root(&root, &["discover", "cxl_pci.doe.0"]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "0001:00 discovery\n1e98:02 CXL table access (CDAT)\n"
    );
    let o = tool(&with_root(&root, &["cdat", "--raw", "0000:0d:00.0@0x190"]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(o.stdout, small_cdat());
    let o = tool(&with_root(&root, &["cdat", "cxl_pci.doe.0"]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).ends_with("[0x0010] DSIS: flags 0x01, handle 0\n"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn exchange_refuses_a_bound_mailbox() {
    let root = tree("exchange_bound");
    let o = tool(&with_root(
        &root,
        &[
            "exchange",
            "cxl_pci.doe.0",
            "--vendor",
            "1",
            "--type",
            "0",
            "/dev/null",
        ],
    ));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "doe: cxl_pci.doe.0 is bound to cxl_doe.cxl_doe_drv; release it first with: \
         doe unbind cxl_pci.doe.0\n"
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn bind_and_unbind_state_errors() {
    let root = tree("bind_state");
    let o = tool(&with_root(&root, &["bind", "cxl_pci.doe.0"]));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "doe: cxl_pci.doe.0 is already bound to cxl_doe.cxl_doe_drv\n"
    );
    let o = tool(&with_root(&root, &["unbind", "cxl_pci.doe.1"]));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "doe: cxl_pci.doe.1 is not bound to a driver\n");
}

/// This process may use config space beyond its first 64 bytes: it has CAP_SYS_ADMIN.
fn sys_admin() -> bool {
    use rustix::thread::{capabilities, CapabilitySet};
    capabilities(None)
        .expect("capget")
        .effective
        .contains(CapabilitySet::SYS_ADMIN)
}

#[test]
fn unbound_mailbox_uses_config_space() {
    let root = tree("unbound");
    let o = tool(&with_root(&root, &["discover", "cxl_pci.doe.1"]));
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    if sys_admin() {
        // The fake config space is all zeros: no DOE capability there.
        assert_eq!(
            e,
            "doe: cxl_pci.doe.1 (0000:0d:00.0, DOE at 0x1b0): no DOE capability at config \
             space offset 0x1b0: extended capability ID 0x0000, expected 0x002e\n"
        );
    } else {
        assert!(e.contains("needs CAP_SYS_ADMIN"), "{e}");
        assert!(e.contains("root"), "{e}");
    }
}

#[test]
fn all_ones_config_space_is_a_device_gone() {
    let root = tree("gone");
    std::fs::write(
        root.join("sys/devices/pci0000:00/0000:0d:00.0/config"),
        vec![0xffu8; 4096],
    )
    .expect("write");
    let o = tool(&with_root(&root, &["cdat", "--force", "cxl_pci.doe.1"]));
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    if sys_admin() {
        assert_eq!(
            e,
            "doe: cxl_pci.doe.1 (0000:0d:00.0, DOE at 0x1b0): reading extended capability \
             header at config space offset 0x1b0: No such device (ENODEV): device gone \
             (all-ones read)\n"
        );
    } else {
        assert!(e.contains("needs CAP_SYS_ADMIN"), "{e}");
    }
    assert!(o.stdout.is_empty());
}

#[test]
fn register_subcommands_take_force() {
    for cmd in ["discover", "cdat", "exchange"] {
        let o = tool(&[cmd, "--help"]);
        assert_eq!(o.status.code(), Some(0), "{cmd}");
        let out = stdout(&o);
        assert!(out.contains("--force"), "{cmd}: {out}");
        assert!(out.contains("Data Object Ready"), "{cmd}: {out}");
    }
}

#[test]
fn missing_mailbox() {
    let root = tree("missing");
    let o = tool(&with_root(&root, &["cdat", "cxl_pci.doe.4294967295"]));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!(
            "doe: no DOE mailbox cxl_pci.doe.4294967295 under {}; `doe list` shows the \
             mailboxes\n",
            root.join("sys/bus/auxiliary/devices").display()
        )
    );
    let o = tool(&with_root(&root, &["discover", "0000:0d:00.0@0x200"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("doe: no DOE mailbox at offset 0x200 of 0000:0d:00.0 under "),
        "{}",
        stderr(&o)
    );
}

#[test]
fn bad_usage_exits_2() {
    for args in [
        &["discover", "doe3"][..],
        &["cdat", "cxl_pci.doe.0", "--raw", "--json"],
        &["exchange", "cxl_pci.doe.0", "--vendor", "1", "r"],
        &["bind"],
        &["frobnicate"],
        &[],
    ] {
        let o = tool(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
    let e = stderr(&tool(&["discover", "doe3"]));
    assert!(
        e.contains(
            "'doe3' is not a mailbox: neither form; expected cxl_pci.doe.N or <bdf>@<offset>"
        ),
        "{e}"
    );
}

#[test]
fn help_lists_the_subcommands() {
    let o = tool(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for cmd in ["list", "bind", "unbind", "discover", "cdat", "exchange"] {
        assert!(out.contains(cmd), "{out}");
    }
}
