// SPDX-License-Identifier: GPL-2.0
//! A control socket: a Unix stream socket on which a running program
//! answers one-line requests.
//!
//! The protocol: a client connects, writes one command line (`stats\n`,
//! `showmacs\n`, ...; at most 256 bytes), and reads the answer until end of
//! file. An unknown command is answered with a line starting with
//! `error:`. The server never blocks: [`ControlServer`] is polled by the
//! forwarding loop ([`crate::pump`]) along with the ports, and a client
//! that does not read its answer only stalls its own connection.
//! [`request`] is the client side.

use std::fs;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

use nix::poll::PollFlags;

/// The longest request line.
pub const MAX_REQUEST: usize = 256;
/// Connections served at once; a new one beyond this closes the oldest.
pub const MAX_CONNECTIONS: usize = 8;

struct Conn {
    stream: UnixStream,
    request: Vec<u8>,
    answer: Option<Vec<u8>>,
    sent: usize,
}

/// The server side: a listening socket and the connections being served.
pub struct ControlServer {
    listener: UnixListener,
    path: PathBuf,
    conns: Vec<Conn>,
}

impl ControlServer {
    /// Listens on `path`. A socket file left there by a program that is
    /// gone is replaced; one a running program listens on is not
    /// (`AddrInUse`).
    pub fn bind(path: &Path) -> io::Result<ControlServer> {
        if let Ok(md) = fs::symlink_metadata(path) {
            if !md.file_type().is_socket() {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{} exists and is not a socket", path.display()),
                ));
            }
            if UnixStream::connect(path).is_ok() {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("another program listens on {}", path.display()),
                ));
            }
            fs::remove_file(path)?;
        }
        let listener = UnixListener::bind(path)?;
        listener.set_nonblocking(true)?;
        Ok(ControlServer {
            listener,
            path: path.to_path_buf(),
            conns: Vec::new(),
        })
    }

    /// Where it listens.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The files to poll, with the events to wait for.
    pub fn poll_fds(&self) -> Vec<(BorrowedFd<'_>, PollFlags)> {
        let mut v = vec![(self.listener.as_fd(), PollFlags::POLLIN)];
        for c in &self.conns {
            let ev = if c.answer.is_some() {
                PollFlags::POLLOUT
            } else {
                PollFlags::POLLIN
            };
            v.push((c.stream.as_fd(), ev));
        }
        v
    }

    /// Serves what `revents` (the results for [`ControlServer::poll_fds`],
    /// in its order) says is ready; `answer` computes the answer to a
    /// command. Errors of a connection close it; they are not returned.
    pub fn handle<F>(&mut self, revents: &[PollFlags], mut answer: F)
    where
        F: FnMut(&str) -> String,
    {
        // Connections first (their indices are those of poll_fds).
        let mut i = self.conns.len();
        while i > 0 {
            i -= 1;
            let ev = revents.get(i + 1).copied().unwrap_or(PollFlags::empty());
            if ev.is_empty() {
                continue;
            }
            if !self.serve(i, &mut answer) {
                self.conns.remove(i);
            }
        }
        if revents.first().is_some_and(|e| !e.is_empty()) {
            while let Ok((stream, _)) = self.listener.accept() {
                if stream.set_nonblocking(true).is_err() {
                    continue;
                }
                if self.conns.len() >= MAX_CONNECTIONS {
                    self.conns.remove(0);
                }
                self.conns.push(Conn {
                    stream,
                    request: Vec::new(),
                    answer: None,
                    sent: 0,
                });
            }
        }
    }

    /// Moves connection `i` on; false when it is done or broken.
    fn serve<F>(&mut self, i: usize, answer: &mut F) -> bool
    where
        F: FnMut(&str) -> String,
    {
        let c = &mut self.conns[i];
        if c.answer.is_none() {
            let mut buf = [0u8; MAX_REQUEST];
            match c.stream.read(&mut buf) {
                Ok(0) => return false,
                Ok(n) => c.request.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => return true,
                Err(_) => return false,
            }
            let line = match c.request.iter().position(|&b| b == b'\n') {
                Some(end) => String::from_utf8_lossy(&c.request[..end])
                    .trim()
                    .to_string(),
                None if c.request.len() >= MAX_REQUEST => return false,
                None => return true,
            };
            c.answer = Some(answer(&line).into_bytes());
        }
        let out = c.answer.as_deref().unwrap_or_default();
        while c.sent < out.len() {
            match c.stream.write(&out[c.sent..]) {
                Ok(n) => c.sent += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        false // all sent: close
    }
}

impl Drop for ControlServer {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// The client side: sends `command` to the server at `path` and returns
/// its answer.
pub fn request(path: &Path, command: &str) -> io::Result<String> {
    let mut s = UnixStream::connect(path)?;
    s.write_all(command.trim().as_bytes())?;
    s.write_all(b"\n")?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::poll::{poll, PollFd, PollTimeout};
    use std::thread;

    fn serve_until(srv: &mut ControlServer, done: &dyn Fn() -> bool) {
        while !done() {
            let revents: Vec<PollFlags> = {
                let fds = srv.poll_fds();
                let mut pfds: Vec<PollFd> =
                    fds.iter().map(|(fd, ev)| PollFd::new(*fd, *ev)).collect();
                poll(&mut pfds, PollTimeout::from(100u16)).unwrap();
                pfds.iter()
                    .map(|p| p.revents().unwrap_or(PollFlags::empty()))
                    .collect()
            };
            srv.handle(&revents, |cmd| match cmd {
                "stats" => "a 1\nb 2\n".to_string(),
                "big" => "x".repeat(1 << 20),
                _ => format!("error: unknown command {cmd}\n"),
            });
        }
    }

    #[test]
    fn requests() {
        let dir = std::env::temp_dir().join(format!("virtif-ctl-{}", std::process::id()));
        let _ = fs::create_dir(&dir);
        let path = dir.join("ctl");
        let mut srv = ControlServer::bind(&path).unwrap();
        // A second server on the same path is refused while this one runs.
        assert_eq!(
            ControlServer::bind(&path).err().map(|e| e.kind()),
            Some(io::ErrorKind::AddrInUse)
        );
        let p = path.clone();
        let client = thread::spawn(move || {
            (
                request(&p, "stats").unwrap(),
                request(&p, "nonsense").unwrap(),
                request(&p, "big").unwrap().len(),
            )
        });
        serve_until(&mut srv, &|| client.is_finished());
        let (a, b, c) = client.join().unwrap();
        assert_eq!(a, "a 1\nb 2\n");
        assert!(b.starts_with("error: unknown command nonsense"));
        assert_eq!(c, 1 << 20);
        drop(srv);
        assert!(!path.exists());
        // A stale socket file is replaced.
        drop(UnixListener::bind(&path).unwrap());
        assert!(path.exists());
        let srv = ControlServer::bind(&path).unwrap();
        drop(srv);
        let _ = fs::remove_dir(&dir);
    }
}
