#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Where the project's `unsafe` code may live, checked on the sources:
# - the driver (drivers/net/virtif/, every .rs file) and the samples'
#   library and programs (samples/virtif, virtif-tap, virtif-udp) are safe
#   Rust: each driver file and each of those crate roots says
#   #![forbid(unsafe_code)], and none of their files contains `unsafe`;
# - the unsafe code is in rust/ (the kernel crate's abstractions) and, for
#   the samples, in one file, samples/virtif-sys/src/sys.rs (no other file
#   of samples/ contains `unsafe`); every `unsafe` block or impl there
#   follows a `// SAFETY:` comment.
# No kernel needed.
. "${0%/*}/lib.sh"

bad=0
complain() { echo "# $*"; bad=$((bad + 1)); }

mapfile -t driver < <(cd "$TOP" && find drivers/net/virtif -name '*.rs' | sort)
[ "${#driver[@]}" -ge 10 ] || fail "found only ${#driver[@]} driver files"
for f in "${driver[@]}"; do
	grep -q '^#!\[forbid(unsafe_code)\]' "$TOP/$f" || complain "$f: no #![forbid(unsafe_code)]"
done
for c in virtif virtif-tap virtif-udp; do
	root=samples/$c/src/lib.rs
	[ -e "$TOP/$root" ] || root=samples/$c/src/main.rs
	grep -q '^#!\[forbid(unsafe_code)\]' "$TOP/$root" || complain "$root: no #![forbid(unsafe_code)]"
done
# `unsafe` as a word in code, outside comments and strings (a comment may
# talk about it).
hits=$(cd "$TOP" && grep -nE '\bunsafe\b' "${driver[@]}" \
	$(find samples/virtif samples/virtif-tap samples/virtif-udp -name '*.rs' -not -path '*/target/*') |
	grep -vE '^[^:]+:[0-9]+:\s*//' | grep -vE 'forbid\(unsafe_code\)|"[^"]*\bunsafe\b[^"]*"')
[ -z "$hits" ] || complain "unsafe code in safe crates:"$'\n'"$hits"
# In samples/, `unsafe` code lives in sys.rs files only (virtif-sys's).
hits=$(cd "$TOP" && grep -rnE --include='*.rs' --exclude-dir=target '\bunsafe\b' samples |
	grep -vE '^samples/[^/]+/src/sys\.rs:' |
	grep -vE '^[^:]+:[0-9]+:\s*//' | grep -vE 'forbid\(unsafe_code\)|"[^"]*\bunsafe\b[^"]*"')
[ -z "$hits" ] || complain "unsafe code in samples outside src/sys.rs:"$'\n'"$hits"

# Every unsafe block/impl in the two unsafe places has its SAFETY comment.
n=0
while IFS= read -r f; do
	out=$(awk -v f="$f" '
		# ok: the comment block right above the statement (attributes may
		# come between) holds a SAFETY: line; a statement runs on until a
		# line ends in ";", "{" or "}".
		/^[ \t]*\/\// { if (!incomment) ok = 0; incomment = 1; if ($0 ~ /SAFETY:/) ok = 1; next }
		/^[ \t]*#\[/ { next }
		{
			incomment = 0
			if ($0 ~ /unsafe \{|unsafe impl/) {
				blocks++
				if (!ok) print "# " f ":" NR ": unsafe without a // SAFETY: comment"
			}
			if ($0 ~ /[;{}][ \t]*$/) ok = 0
		}
		END { print "blocks " blocks + 0 }' "$TOP/$f")
	n=$((n + $(printf '%s\n' "$out" | sed -n 's/^blocks //p')))
	if printf '%s\n' "$out" | grep '^# '; then bad=$((bad + 1)); fi
done < <(cd "$TOP" && { find rust -name '*.rs'; echo samples/virtif-sys/src/sys.rs; } | sort)
[ "$n" -ge 20 ] || complain "found only $n unsafe blocks in rust/ and samples/virtif-sys"
echo "# ${#driver[@]} driver files and 3 sample crates safe, samples' unsafe only in sys.rs; $n unsafe blocks documented"
[ "$bad" = 0 ] || fail "$bad unsafe-boundary problems"
exit 0
