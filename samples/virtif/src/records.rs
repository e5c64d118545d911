// SPDX-License-Identifier: GPL-2.0
//! The records of batch mode (`VIRTIF_F_BATCH`): each is a `struct
//! virtif_frame` header `{ u32 len; u32 flags }` in native byte order, the
//! frame, zero padding to a multiple of `VIRTIF_FRAME_ALIGN`. Encoding
//! ([`encode_record`], [`BatchBuf`]) and decoding ([`Records`], [`Frames`]).

use std::fmt;
use std::io;

use crate::{invalid_input, RECORD_ALIGN, RECORD_HDR_LEN};

pub(crate) const fn align(len: usize) -> usize {
    (len + RECORD_ALIGN - 1) & !(RECORD_ALIGN - 1)
}

/// The bytes a record for a frame of `len` bytes takes, header and padding
/// included (`VIRTIF_FRAME_SPACE(len)`).
pub const fn record_space(len: usize) -> usize {
    RECORD_HDR_LEN + align(len)
}

/// The `len` field of the record at the start of `rec` (which must hold a
/// whole header).
pub(crate) fn record_len(rec: &[u8]) -> usize {
    u32::from_ne_bytes(rec[..4].try_into().unwrap()) as usize
}

/// Appends the record for `frame` (header, frame, zero padding) to `out`.
///
/// # Panics
///
/// If `frame` is longer than `u32::MAX` bytes.
pub fn encode_record(out: &mut Vec<u8>, frame: &[u8]) {
    let len = u32::try_from(frame.len()).expect("frame longer than u32::MAX");
    out.extend_from_slice(&len.to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes());
    out.extend_from_slice(frame);
    out.resize(out.len() + align(frame.len()) - frame.len(), 0);
}

/// A malformed sequence of records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordError {
    /// Fewer than 8 bytes left for a header, at this offset.
    TruncatedHeader(usize),
    /// The frame (or its padding) runs past the end of the buffer.
    TruncatedFrame(usize),
    /// A header's flags are not 0.
    BadFlags(usize),
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordError::TruncatedHeader(o) => write!(f, "truncated record header at offset {o}"),
            RecordError::TruncatedFrame(o) => write!(f, "truncated record at offset {o}"),
            RecordError::BadFlags(o) => write!(f, "record with non-zero flags at offset {o}"),
        }
    }
}

impl std::error::Error for RecordError {}

/// An iterator over the records of a buffer, yielding each frame or the
/// first error (after which it ends).
///
/// ```
/// let mut buf = Vec::new();
/// virtif::encode_record(&mut buf, b"first frame...");
/// virtif::encode_record(&mut buf, b"second");
/// let frames: Vec<&[u8]> = virtif::Records::new(&buf).collect::<Result<_, _>>().unwrap();
/// assert_eq!(frames, [&b"first frame..."[..], &b"second"[..]]);
/// ```
#[derive(Clone, Debug)]
pub struct Records<'a> {
    buf: &'a [u8],
    off: usize,
    failed: bool,
}

impl<'a> Records<'a> {
    /// Decodes the records in `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Records {
            buf,
            off: 0,
            failed: false,
        }
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<&'a [u8], RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.off >= self.buf.len() {
            return None;
        }
        let off = self.off;
        let rest = &self.buf[off..];
        let err = if rest.len() < RECORD_HDR_LEN {
            Some(RecordError::TruncatedHeader(off))
        } else if u32::from_ne_bytes(rest[4..8].try_into().unwrap()) != 0 {
            Some(RecordError::BadFlags(off))
        } else if rest.len() < record_space(record_len(rest)) {
            // The kernel pads every record, the last one too.
            Some(RecordError::TruncatedFrame(off))
        } else {
            None
        };
        if let Some(e) = err {
            self.failed = true;
            return Some(Err(e));
        }
        let len = record_len(rest);
        self.off += record_space(len);
        Some(Ok(&rest[RECORD_HDR_LEN..RECORD_HDR_LEN + len]))
    }
}

/// The frames of a validated sequence of records, as returned by
/// [`Endpoint::recv_batch`](crate::Endpoint::recv_batch).
#[derive(Clone, Debug)]
pub struct Frames<'a> {
    inner: Records<'a>,
    left: usize,
}

impl<'a> Frames<'a> {
    /// Validates every record of `buf`.
    pub fn new(buf: &'a [u8]) -> Result<Self, RecordError> {
        let mut left = 0;
        for r in Records::new(buf) {
            r?;
            left += 1;
        }
        Ok(Frames {
            inner: Records::new(buf),
            left,
        })
    }

    /// True if there are no (more) frames; right after
    /// [`Endpoint::recv_batch`](crate::Endpoint::recv_batch), this means end of file.
    pub fn is_empty(&self) -> bool {
        self.left == 0
    }
}

impl<'a> Iterator for Frames<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let f = self.inner.next()?.ok()?;
        self.left -= 1;
        Some(f)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Frames<'_> {}

/// A buffer of records, for batch mode: read into by
/// [`Endpoint::recv_batch`](crate::Endpoint::recv_batch), or filled with [`BatchBuf::push`] (or
/// [`BatchBuf::push_with`]) for [`Endpoint::send_batch_buf`](crate::Endpoint::send_batch_buf).
#[derive(Clone, Debug)]
pub struct BatchBuf {
    pub(crate) data: Vec<u8>,
    pub(crate) filled: usize,
    frames: usize,
}

impl BatchBuf {
    /// A buffer of `capacity` bytes. For receiving, it must hold at least
    /// `record_space(MTU + 18)` bytes.
    pub fn new(capacity: usize) -> Self {
        BatchBuf {
            data: vec![0; capacity],
            filled: 0,
            frames: 0,
        }
    }

    /// Its size in bytes.
    pub fn capacity(&self) -> usize {
        self.data.len()
    }

    /// Bytes of records it holds.
    pub fn len(&self) -> usize {
        self.filled
    }

    /// True if it holds no record.
    pub fn is_empty(&self) -> bool {
        self.filled == 0
    }

    /// Frames pushed since the last [`BatchBuf::clear`].
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Bytes left for records.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.filled
    }

    /// Forgets its records.
    pub fn clear(&mut self) {
        self.filled = 0;
        self.frames = 0;
    }

    /// Grows the buffer if needed so that at least `n` more bytes fit.
    pub fn reserve(&mut self, n: usize) {
        if self.remaining() < n {
            self.data.resize(self.filled + n, 0);
        }
    }

    /// Appends the records that `fill` writes at the start of the free
    /// space (a batch-mode read of `/dev/virtif`, for example) and returns
    /// how many frames they hold. `fill` returns the bytes it wrote; they
    /// must be whole records ([`RecordError`] as `InvalidData` otherwise,
    /// and nothing is appended). `fill`'s own error is returned as is.
    pub fn fill_records<F>(&mut self, fill: F) -> io::Result<usize>
    where
        F: FnOnce(&mut [u8]) -> io::Result<usize>,
    {
        let start = self.filled;
        let n = fill(&mut self.data[start..])?;
        let added = Frames::new(&self.data[start..start + n])
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?
            .len();
        self.filled += n;
        self.frames += added;
        Ok(added)
    }

    /// The encoded records.
    pub fn records(&self) -> &[u8] {
        &self.data[..self.filled]
    }

    /// Iterates over the frames it holds.
    pub fn iter(&self) -> Records<'_> {
        Records::new(self.records())
    }

    /// Appends a record for `frame`; returns false (and appends nothing) if
    /// it does not fit.
    pub fn push(&mut self, frame: &[u8]) -> bool {
        self.push_with(frame.len(), |slot| {
            slot.copy_from_slice(frame);
            Ok(frame.len())
        })
        .unwrap_or(false)
    }

    /// Appends a record for `frame`, growing the buffer if needed.
    pub fn push_grow(&mut self, frame: &[u8]) {
        let need = self.filled + record_space(frame.len());
        if need > self.data.len() {
            self.data.resize(need, 0);
        }
        let ok = self.push(frame);
        debug_assert!(ok);
    }

    /// Appends a record whose frame `fill` writes in place, without a copy
    /// (for example with a `read(2)` from a tap device): `fill` gets a slot
    /// of `max_len` bytes and returns the frame's length. Returns `Ok(false)`
    /// without calling `fill` if `max_len` bytes do not fit; `fill`'s error
    /// is returned as is, and nothing is appended.
    pub fn push_with<F>(&mut self, max_len: usize, fill: F) -> io::Result<bool>
    where
        F: FnOnce(&mut [u8]) -> io::Result<usize>,
    {
        if record_space(max_len) > self.remaining() {
            return Ok(false);
        }
        let start = self.filled;
        let slot = &mut self.data[start + RECORD_HDR_LEN..start + RECORD_HDR_LEN + max_len];
        let len = fill(slot)?;
        if len > max_len {
            return Err(invalid_input("fill returned more than max_len"));
        }
        let len32 = len as u32;
        self.data[start..start + 4].copy_from_slice(&len32.to_ne_bytes());
        self.data[start + 4..start + 8].copy_from_slice(&0u32.to_ne_bytes());
        let end = start + record_space(len);
        self.data[start + RECORD_HDR_LEN + len..end].fill(0);
        self.filled = end;
        self.frames += 1;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space() {
        assert_eq!(record_space(0), 8);
        assert_eq!(record_space(1), 16);
        assert_eq!(record_space(8), 16);
        assert_eq!(record_space(14), 24);
        assert_eq!(record_space(60), 72);
        assert_eq!(record_space(1514), 8 + 1520);
        assert_eq!(record_space(65536), 8 + 65536);
    }

    #[test]
    fn encode_layout() {
        let mut out = Vec::new();
        encode_record(&mut out, &[0xaa; 14]);
        assert_eq!(out.len(), 24);
        assert_eq!(&out[..4], &14u32.to_ne_bytes());
        assert_eq!(&out[4..8], &[0; 4]);
        assert_eq!(&out[8..22], &[0xaa; 14]);
        assert_eq!(&out[22..24], &[0, 0]);
        encode_record(&mut out, &[0xbb; 16]);
        assert_eq!(out.len(), 24 + 24);
        assert_eq!(&out[24..28], &16u32.to_ne_bytes());
    }

    #[test]
    fn roundtrip() {
        let frames: Vec<Vec<u8>> = (0..40usize).map(|i| vec![i as u8; 14 + i * 37]).collect();
        let mut out = Vec::new();
        for f in &frames {
            encode_record(&mut out, f);
        }
        assert_eq!(out.len() % 8, 0);
        let got: Vec<&[u8]> = Records::new(&out).collect::<Result<_, _>>().unwrap();
        assert_eq!(got.len(), frames.len());
        for (a, b) in got.iter().zip(&frames) {
            assert_eq!(*a, &b[..]);
        }
        let fr = Frames::new(&out).unwrap();
        assert_eq!(fr.len(), 40);
        assert!(fr.zip(&frames).all(|(a, b)| a == &b[..]));
    }

    #[test]
    fn decode_errors() {
        let mut out = Vec::new();
        encode_record(&mut out, &[1; 20]);
        // Truncated header.
        let mut b = out.clone();
        b.extend_from_slice(&[0; 4]);
        let r: Vec<_> = Records::new(&b).collect();
        assert_eq!(r.len(), 2);
        assert_eq!(r[1], Err(RecordError::TruncatedHeader(32)));
        assert!(Frames::new(&b).is_err());
        // Frame past the end (padding missing).
        let b = &out[..out.len() - 1];
        assert_eq!(
            Records::new(b).next(),
            Some(Err(RecordError::TruncatedFrame(0)))
        );
        // Non-zero flags.
        let mut b = out.clone();
        b[4] = 1;
        assert_eq!(Records::new(&b).next(), Some(Err(RecordError::BadFlags(0))));
        // Empty buffer: no frames (end of file).
        assert!(Frames::new(&[]).unwrap().is_empty());
        // A zero-length record is well formed (the kernel refuses it on write).
        let mut z = Vec::new();
        encode_record(&mut z, &[]);
        assert_eq!(z.len(), 8);
        assert_eq!(Records::new(&z).next(), Some(Ok(&[][..])));
    }

    #[test]
    fn batchbuf_push() {
        let mut b = BatchBuf::new(64);
        assert!(b.push(&[7; 14])); // 24
        assert!(b.push(&[8; 30])); // 40 -> 64
        assert!(!b.push(&[9; 1])); // full
        assert_eq!(b.len(), 64);
        assert_eq!(b.frames(), 2);
        let mut want = Vec::new();
        encode_record(&mut want, &[7; 14]);
        encode_record(&mut want, &[8; 30]);
        assert_eq!(b.records(), &want[..]);
        b.clear();
        assert!(b.is_empty());
        // push_with: in place, padding zeroed even over old data.
        let mut b = BatchBuf::new(64);
        b.data.fill(0xff);
        assert!(b
            .push_with(40, |slot| {
                slot[..15].copy_from_slice(&[3; 15]);
                Ok(15)
            })
            .unwrap());
        assert_eq!(b.len(), 24);
        let mut want = Vec::new();
        encode_record(&mut want, &[3; 15]);
        assert_eq!(b.records(), &want[..]);
        // Does not fit: fill is not called.
        assert!(!b.push_with(40, |_| panic!("called")).unwrap());
        // fill fails: nothing appended.
        assert!(b
            .push_with(8, |_| Err(io::ErrorKind::WouldBlock.into()))
            .is_err());
        assert_eq!(b.len(), 24);
        assert_eq!(b.frames(), 1);
        // push_grow grows.
        let mut b = BatchBuf::new(0);
        b.push_grow(&[1; 100]);
        b.push_grow(&[2; 3]);
        assert_eq!(b.iter().count(), 2);
        assert_eq!(b.len(), record_space(100) + record_space(3));
    }

    #[test]
    fn batchbuf_fill_records() {
        let mut b = BatchBuf::new(0);
        b.push_grow(&[1; 20]);
        b.reserve(100);
        assert!(b.remaining() >= 100);
        let mut rec = Vec::new();
        encode_record(&mut rec, &[2; 30]);
        encode_record(&mut rec, &[3; 14]);
        let n = b
            .fill_records(|spare| {
                spare[..rec.len()].copy_from_slice(&rec);
                Ok(rec.len())
            })
            .unwrap();
        assert_eq!((n, b.frames()), (2, 3));
        let got: Vec<&[u8]> = b.iter().collect::<Result<_, _>>().unwrap();
        assert_eq!(got, [&[1u8; 20][..], &[2; 30][..], &[3; 14][..]]);
        // Garbage is refused, nothing appended.
        let len = b.len();
        b.reserve(8);
        let e = b
            .fill_records(|spare| {
                spare[..3].fill(1);
                Ok(3)
            })
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert_eq!((b.len(), b.frames()), (len, 3));
    }
}
