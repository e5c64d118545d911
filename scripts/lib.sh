# SPDX-License-Identifier: GPL-2.0
# Shared settings for virtif's scripts. Sourced, not run.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${VIRTIF_CACHE:-$HOME/.cache/virtif}
VENV=$CACHE/venv
export PATH="$HOME/.cargo/bin:$VENV/bin:$PATH"
. "$TOP/scripts/toolchain.env"
export LIBCLANG_PATH=${LIBCLANG_PATH:-$LLVM_LIBDIR}

log() { printf '[virtif] %s\n' "$*" >&2; }
die() { printf '[virtif] error: %s\n' "$*" >&2; exit 1; }

# Every profile is built with clang: Rust with KASAN requires it.
KBUILD_LLVM=$LLVM_SUFFIX
