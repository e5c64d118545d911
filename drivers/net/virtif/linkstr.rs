// SPDX-License-Identifier: GPL-2.0

//! The syntax of the "linkstr", the string that selects and configures an interface's backend
//! (rump's `SIOCSLINKSTR`): `KIND` or `KIND:ARGUMENT`, e.g. `loop`, `pair:veth0`, `user`.
//!
//! One trailing newline (as `echo` writes to sysfs) and one trailing NUL are ignored. An empty
//! string is `EINVAL`, one longer than `VIRTIF_LINKSTR_MAX` bytes is `E2BIG`. Which kinds exist
//! and what their argument means is the backends' business (see [`crate::backend`]).

#![forbid(unsafe_code)]

use kernel::bindings::VIRTIF_LINKSTR_MAX;
use kernel::prelude::*;

/// The longest linkstr accepted, in bytes.
pub(crate) const LINKSTR_MAX: usize = VIRTIF_LINKSTR_MAX as usize;

/// A linkstr, split into its kind and argument.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Linkstr<'a> {
    /// The backend kind, e.g. `pair`.
    pub(crate) kind: &'a [u8],
    /// What follows the first `:`, if there is one.
    pub(crate) arg: Option<&'a [u8]>,
}

/// An error with its errno and a message for netlink's extack.
#[derive(Debug)]
pub(crate) struct LinkError {
    pub(crate) errno: Error,
    pub(crate) msg: &'static CStr,
}

/// An error with its extack message.
pub(crate) const fn err(errno: Error, msg: &'static CStr) -> LinkError {
    LinkError { errno, msg }
}

/// Strips one trailing NUL and one trailing newline.
fn trim(mut s: &[u8]) -> &[u8] {
    if let [rest @ .., 0] = s {
        s = rest;
    }
    if let [rest @ .., b'\n'] = s {
        s = rest;
    }
    s
}

/// Parses a linkstr (see the module documentation).
pub(crate) fn parse(s: &[u8]) -> Result<Linkstr<'_>, LinkError> {
    let s = trim(s);
    if s.len() > LINKSTR_MAX {
        return Err(err(E2BIG, c"virtif: linkstr longer than 4096 bytes"));
    }
    if s.is_empty() {
        return Err(err(EINVAL, c"virtif: empty linkstr"));
    }
    Ok(match s.iter().position(|&c| c == b':') {
        Some(i) => Linkstr {
            kind: &s[..i],
            arg: Some(&s[i + 1..]),
        },
        None => Linkstr { kind: s, arg: None },
    })
}

#[kunit_tests(virtif_linkstr)]
mod tests {
    use super::*;

    fn errno(s: &[u8]) -> i32 {
        parse(s).unwrap_err().errno.to_errno()
    }

    /// Parses `s`, which must succeed, into (kind, argument).
    fn split(s: &[u8]) -> (&[u8], Option<&[u8]>) {
        let l = parse(s).unwrap();
        (l.kind, l.arg)
    }

    #[test]
    fn kinds_and_arguments() {
        assert_eq!(split(b"loop"), (&b"loop"[..], None));
        assert_eq!(split(b"loop\n"), (&b"loop"[..], None));
        assert_eq!(split(b"loop\0"), (&b"loop"[..], None));
        assert_eq!(split(b"pair:v1\n"), (&b"pair"[..], Some(&b"v1"[..])));
        assert_eq!(split(b"pair:"), (&b"pair"[..], Some(&b""[..])));
        assert_eq!(split(b"a:b:c"), (&b"a"[..], Some(&b"b:c"[..])));
    }

    #[test]
    fn empty() {
        assert_eq!(errno(b""), EINVAL.to_errno());
        assert_eq!(errno(b"\n"), EINVAL.to_errno());
        assert_eq!(errno(b"\n\0"), EINVAL.to_errno());
    }

    #[test]
    fn too_long() {
        let mut long = KVec::new();
        long.extend_from_slice(b"pair:", GFP_KERNEL).unwrap();
        while long.len() <= LINKSTR_MAX {
            long.push(b'x', GFP_KERNEL).unwrap();
        }
        assert_eq!(errno(&long), E2BIG.to_errno());
        // Exactly VIRTIF_LINKSTR_MAX bytes is not too long, with or without a newline.
        long.truncate(LINKSTR_MAX);
        assert!(parse(&long).is_ok());
        long.push(b'\n', GFP_KERNEL).unwrap();
        assert!(parse(&long).is_ok());
    }
}
