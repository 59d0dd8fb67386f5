//! Compiles bpf/sensor.bpf.c with clang into a libbpf skeleton (CO-RE: the struct layouts are
//! relocated at load time against the running kernel's BTF). The kernel types header
//! (`vmlinux.h`) is generated from this machine's BTF by bpftool, or taken from
//! `BULKHEAD_VMLINUX_H` when set; any kernel with BTF then runs the same object.
use libbpf_cargo::SkeletonBuilder;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let src = "bpf/sensor.bpf.c";
    println!("cargo:rerun-if-changed={src}");
    println!("cargo:rerun-if-changed=bpf/sensor.h");
    println!("cargo:rerun-if-env-changed=BULKHEAD_VMLINUX_H");
    let vmlinux = out.join("vmlinux.h");
    match std::env::var_os("BULKHEAD_VMLINUX_H") {
        Some(p) => {
            std::fs::copy(&p, &vmlinux).unwrap_or_else(|e| {
                panic!("BULKHEAD_VMLINUX_H={}: {e}", PathBuf::from(&p).display())
            });
        }
        None => {
            let btf = "/sys/kernel/btf/vmlinux";
            let dump = Command::new("bpftool")
                .args(["btf", "dump", "file", btf, "format", "c"])
                .output()
                .unwrap_or_else(|e| {
                    panic!(
                        "running bpftool to generate vmlinux.h from {btf}: {e} \
                         (install bpftool and clang: scripts/install-deps.sh, or set BULKHEAD_VMLINUX_H)"
                    )
                });
            if !dump.status.success() {
                panic!(
                    "bpftool btf dump {btf} failed: {}",
                    String::from_utf8_lossy(&dump.stderr)
                );
            }
            std::fs::write(&vmlinux, &dump.stdout).expect("writing vmlinux.h");
        }
    }
    SkeletonBuilder::new()
        .source(src)
        .clang_args([
            std::ffi::OsString::from("-I"),
            out.clone().into_os_string(),
            "-Ibpf".into(),
            "-D__TARGET_ARCH_x86".into(),
        ])
        .build_and_generate(out.join("sensor.skel.rs"))
        .unwrap_or_else(|e| panic!("compiling {src} (clang): {e:#}"));
}
