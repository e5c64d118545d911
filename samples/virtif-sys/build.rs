// SPDX-License-Identifier: GPL-2.0
//! Generates the uAPI bindings from `drivers/net/virtif/uapi/linux/virtif.h`
//! at build time (bindgen), so that no constant or layout of the header is
//! written twice. Everything whose name contains `virtif`/`VIRTIF` is
//! generated: `#define` constants (object-like macros, including ones built
//! from other macros such as `_IOW(...)`, which clang evaluates), structs,
//! enums. A new item in the header appears in `virtif::uapi` without a
//! change here.
//!
//! libclang is found through `LIBCLANG_PATH` (samples/.cargo/config.toml
//! sets it to Debian's LLVM 19 unless the environment has one) or the usual
//! system locations.

use std::env;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let uapi = manifest.join("../../drivers/net/virtif/uapi");
    let header = uapi.join("linux/virtif.h");
    let header = header
        .canonicalize()
        .unwrap_or_else(|e| panic!("uAPI header {}: {e}", header.display()));
    println!("cargo:rerun-if-changed={}", header.display());
    println!("cargo:rerun-if-env-changed=LIBCLANG_PATH");

    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let bindings = bindgen::Builder::default()
        .header(header.to_str().expect("header path is not UTF-8"))
        // The header's own directory first, so that a sibling uapi header
        // it may include one day is taken from the tree, not the system.
        .clang_arg(format!("-I{}", uapi.display()))
        .allowlist_item(".*(VIRTIF|virtif).*")
        // Macros like VIRTIF_ATTACH (_IOW(...)) are evaluated by clang.
        .clang_macro_fallback()
        .clang_macro_fallback_build_dir(&out)
        .derive_default(true)
        .derive_eq(true)
        .layout_tests(true)
        .generate_comments(true)
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
        .generate()
        .expect("bindgen could not process the virtif uAPI header");
    bindings
        .write_to_file(out.join("virtif_uapi.rs"))
        .expect("write virtif_uapi.rs");
}
