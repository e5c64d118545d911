// SPDX-License-Identifier: GPL-2.0

//! Parsing of the "linkstr", the string that selects and configures an
//! interface's backend (rump's `SIOCSLINKSTR`).
//!
//! Syntax (one of):
//! - `loop`: every transmitted frame is delivered back to the interface;
//! - `pair:IFNAME`: join this interface and the virtif interface IFNAME (in
//!   the same network namespace at the time of the call) like a veth pair;
//! - `user`: a process carries the frames through `/dev/virtif`.
//!
//! One trailing newline (as `echo` writes to sysfs) and one trailing NUL are
//! ignored. An empty string is `EINVAL`, one longer than [`LINKSTR_MAX`]
//! bytes is `E2BIG`, an unknown backend or a malformed argument is `EINVAL`.

#![forbid(unsafe_code)]

use kernel::prelude::*;

/// The longest linkstr accepted, in bytes.
pub(crate) const LINKSTR_MAX: usize = 4096;

/// Longest interface name (`IFNAMSIZ - 1`).
const IFNAME_MAX: usize = 15;

/// A parsed linkstr.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LinkSpec<'a> {
    /// The `loop` backend.
    Loop,
    /// The `pair` backend, with the peer's interface name.
    Pair(&'a [u8]),
    /// The `user` backend (`/dev/virtif`).
    User,
}

/// A linkstr error: the errno and a message for netlink's extack.
#[derive(Debug)]
pub(crate) struct LinkstrError {
    pub(crate) errno: Error,
    pub(crate) msg: &'static CStr,
}

impl From<LinkstrError> for Error {
    fn from(e: LinkstrError) -> Error {
        e.errno
    }
}

fn err(errno: Error, msg: &'static CStr) -> LinkstrError {
    LinkstrError { errno, msg }
}

/// Strips one trailing NUL and one trailing newline.
pub(crate) fn trim(mut s: &[u8]) -> &[u8] {
    if let [rest @ .., 0] = s {
        s = rest;
    }
    if let [rest @ .., b'\n'] = s {
        s = rest;
    }
    s
}

/// Checks an interface name the way `dev_valid_name()` does.
fn valid_ifname(name: &[u8]) -> bool {
    !name.is_empty()
        && name.len() <= IFNAME_MAX
        && name != b"."
        && name != b".."
        && name
            .iter()
            .all(|&c| c != b'/' && c != b':' && c != 0 && !c.is_ascii_whitespace())
}

/// Parses a linkstr (see the module documentation for the syntax).
pub(crate) fn parse(s: &[u8]) -> Result<LinkSpec<'_>, LinkstrError> {
    if s.len() > LINKSTR_MAX + 2 {
        return Err(err(E2BIG, c"virtif: linkstr longer than 4096 bytes"));
    }
    let s = trim(s);
    if s.len() > LINKSTR_MAX {
        return Err(err(E2BIG, c"virtif: linkstr longer than 4096 bytes"));
    }
    if s.is_empty() {
        return Err(err(EINVAL, c"virtif: empty linkstr"));
    }
    if s == b"loop" {
        return Ok(LinkSpec::Loop);
    }
    if s == b"user" {
        return Ok(LinkSpec::User);
    }
    if let Some(name) = s.strip_prefix(b"pair:") {
        if !valid_ifname(name) {
            return Err(err(EINVAL, c"virtif: pair: needs a valid interface name"));
        }
        return Ok(LinkSpec::Pair(name));
    }
    Err(err(EINVAL, c"virtif: unknown backend in linkstr (known: loop, pair:IFNAME, user)"))
}

#[kunit_tests(virtif_linkstr)]
mod tests {
    use super::*;

    fn errno(s: &[u8]) -> i32 {
        parse(s).unwrap_err().errno.to_errno()
    }

    #[test]
    fn loop_backend() {
        assert_eq!(parse(b"loop").unwrap(), LinkSpec::Loop);
        assert_eq!(parse(b"loop\n").unwrap(), LinkSpec::Loop);
        assert_eq!(parse(b"loop\0").unwrap(), LinkSpec::Loop);
        assert_eq!(errno(b"loop2"), EINVAL.to_errno());
        assert_eq!(errno(b" loop"), EINVAL.to_errno());
    }

    #[test]
    fn pair_backend() {
        assert_eq!(parse(b"pair:virtif1").unwrap(), LinkSpec::Pair(b"virtif1"));
        assert_eq!(parse(b"pair:v\n").unwrap(), LinkSpec::Pair(b"v"));
        assert_eq!(
            parse(b"pair:123456789012345").unwrap(),
            LinkSpec::Pair(b"123456789012345")
        );
        assert_eq!(errno(b"pair:"), EINVAL.to_errno());
        assert_eq!(errno(b"pair:1234567890123456"), EINVAL.to_errno());
        assert_eq!(errno(b"pair:a/b"), EINVAL.to_errno());
        assert_eq!(errno(b"pair:a b"), EINVAL.to_errno());
        assert_eq!(errno(b"pair:.."), EINVAL.to_errno());
    }

    #[test]
    fn user_backend() {
        assert_eq!(parse(b"user").unwrap(), LinkSpec::User);
        assert_eq!(parse(b"user\n").unwrap(), LinkSpec::User);
        assert_eq!(errno(b"user:x"), EINVAL.to_errno());
    }

    #[test]
    fn empty_and_unknown() {
        assert_eq!(errno(b""), EINVAL.to_errno());
        assert_eq!(errno(b"\n"), EINVAL.to_errno());
        assert_eq!(errno(b"tap:tap0"), EINVAL.to_errno());
    }

    #[test]
    fn too_long() {
        let mut long = KVec::new();
        long.extend_from_slice(b"pair:", GFP_KERNEL).unwrap();
        while long.len() <= LINKSTR_MAX {
            long.push(b'x', GFP_KERNEL).unwrap();
        }
        assert_eq!(errno(&long), E2BIG.to_errno());
        // Exactly 4096 bytes is not too long (but not a valid name either).
        long.truncate(LINKSTR_MAX);
        assert_eq!(errno(&long), EINVAL.to_errno());
    }
}
