#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The kernel's own style checks on our code, as a netdev or Rust-for-Linux
# maintainer runs them, with the tools and settings of the kernel source we
# build against (the cached kernel build's; no guest needed):
# - rustfmt with the kernel's .rustfmt.toml (what `make rustfmtcheck` does)
#   on every .rs file of the driver and of rust/;
# - the kernel crate (with our rust/ in it) and the driver built with
#   CLIPPY=1 (the kernel's clippy lints; warnings are errors,
#   CONFIG_WERROR), in scratch directories: the cached kernel and the
#   tree's own module are what the guests boot and load;
# - the kernel crate's documentation (`make rustdoc`): every intra-doc link
#   of our rust/ resolves (a broken one is an error);
# - checkpatch.pl --strict on every patch of rust/patches/, on our C
#   helpers (rust/helpers/) and on the test module: no error, warning or
#   check;
# - checkpatch.pl on the uapi header: no error or warning. (Its checks ask
#   for BIT(), which a uapi header cannot use.)
. "${0%/*}/lib.sh"

src= kdir=
for p in debug release; do
	if "$TOP/scripts/build-kernel" --profile "$p" --check-only; then
		kdir=$("$TOP/scripts/build-kernel" --profile "$p" --print-dir 2>/dev/null)
		src=$kdir/source
		break
	fi
done
[ -n "$src" ] || fail "no kernel build is cached: run make kernel (or make check) first"
[ -f "$src/.rustfmt.toml" ] && [ -f "$src/scripts/checkpatch.pl" ] ||
	fail "no .rustfmt.toml or checkpatch.pl in the kernel source $src"
command -v rustfmt >/dev/null || fail "rustfmt not found (it comes with the rustup toolchain)"

bad=0
complain() { echo "# $*"; bad=$((bad + 1)); }
# excerpt OUTPUT: the compiler's diagnostics in a build's output, or its
# last lines if it failed without one.
excerpt() {
	local e
	e=$(grep -E -A8 '^(warning|error)' <<<"$1" | head -n 60)
	printf '%s\n' "${e:-$(tail -n 20 <<<"$1")}"
}
cd "$TOP" || fail "no $TOP"

mapfile -t rs < <(find drivers/net/virtif rust -name '*.rs' -not -path 'rust/patches/*' | sort)
[ "${#rs[@]}" -ge 20 ] || fail "found only ${#rs[@]} Rust files"
# (rustfmt also checks the modules a file declares: a file may come twice.)
out=$(rustfmt --edition 2021 --config-path "$src/.rustfmt.toml" --check -l "${rs[@]}" 2>&1 | sort -u)
[ -z "$out" ] ||
	complain "not formatted as the kernel's rustfmt wants (run rustfmt --config-path $src/.rustfmt.toml):"$'\n'"$out"
info "rustfmt: ${#rs[@]} files"

# Clippy, as `make CLIPPY=1` runs it on the kernel's Rust. The module is
# built from a copy: the tree's own build (make modules) must not change
# under the guests.
. "$TOP/scripts/toolchain.env"
kmake=(make -s LLVM="$LLVM_SUFFIX" RUST_LIB_SRC="/usr/src/rustc-$(rustc --version | cut -d' ' -f2)/library")
scratch=$(mktemp -d)
on_exit "rm -rf $scratch"
mkdir -p "$scratch/drivers/net"
cp "$TOP/Kbuild" "$scratch/"
(cd "$TOP/drivers/net" && git ls-files --cached --others --exclude-standard virtif | tar -c -T -) | tar -x -C "$scratch/drivers/net" ||
	fail "cannot copy the driver's sources"
out=$("${kmake[@]}" -C "$kdir" M="$scratch" CLIPPY=1 modules 2>&1) ||
	complain "clippy (make CLIPPY=1):"$'\n'"$(excerpt "$out")"
[ -f "$scratch/drivers/net/virtif/virtif.ko" ] || complain "clippy build made no virtif.ko"
# The kernel crate: its own build directory, with the cached build's
# configuration (about a minute on two cores).
mkdir -p "$scratch/kernel"
cp "$kdir/.config" "$scratch/kernel/.config"
out=$("${kmake[@]}" -C "$src" O="$scratch/kernel" CLIPPY=1 -j2 prepare rust/kernel.o 2>&1) ||
	complain "clippy on the kernel crate (make CLIPPY=1 rust/kernel.o):"$'\n'"$(excerpt "$out")"
[ -f "$scratch/kernel/rust/kernel.o" ] || complain "clippy build made no rust/kernel.o"
info "clippy: the kernel crate and the driver, against $kdir"
out=$("${kmake[@]}" -C "$src" O="$scratch/kernel" -j2 rustdoc 2>&1) ||
	complain "make rustdoc:"$'\n'"$(excerpt "$out")"
[ -f "$scratch/kernel/Documentation/output/rust/rustdoc/kernel/net/index.html" ] ||
	complain "make rustdoc made no documentation of kernel::net"
info "rustdoc: the kernel crate"

# checkpatch.pl FLAGS FILE...: its complaints, one per line (--terse), or
# nothing. Run from the kernel tree, as a maintainer does: in our git tree
# it would check a tracked .patch file as a source file, not as a patch.
checkpatch() {
	(cd "$src" && perl scripts/checkpatch.pl --no-tree --terse --show-types "$@" 2>&1) | grep -v '^total: '
}
mapfile -t patches < <(ls "$TOP"/rust/patches/*.patch)
[ "${#patches[@]}" -ge 10 ] || fail "found only ${#patches[@]} patches"
out=$(checkpatch --strict "${patches[@]}")
[ -z "$out" ] || complain "checkpatch --strict on rust/patches:"$'\n'"$out"
# Our sources only: not the *.mod.c that kbuild generates beside them.
mapfile -t csrc < <(git -C "$TOP" ls-files --cached --others --exclude-standard \
	'rust/helpers/*.c' 'tools/testing/selftests/drivers/net/virtif/modules/*.c' | sed "s|^|$TOP/|")
[ "${#csrc[@]}" -ge 4 ] || fail "found only ${#csrc[@]} kernel C files"
out=$(checkpatch --strict -f "${csrc[@]}")
[ -z "$out" ] || complain "checkpatch --strict on the kernel C files:"$'\n'"$out"
out=$(checkpatch -f "$TOP/drivers/net/virtif/uapi/linux/virtif.h" | grep -E ': (ERROR|WARNING):')
[ -z "$out" ] || complain "checkpatch on the uapi header:"$'\n'"$out"
info "checkpatch: ${#patches[@]} patches, ${#csrc[@]} kernel C files, the uapi header"

[ "$bad" = 0 ] || fail "$bad style complaint(s), see above"
exit 0
