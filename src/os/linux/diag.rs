//! Netlink sock_diag (inet_diag) dump of TCP sockets, built and parsed by hand from byte slices: nix opens the socket, nothing needs unsafe.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};

use anyhow::{Context, Result, bail};
use nix::sys::socket::{
    AddressFamily, SockFlag, SockProtocol, SockType, setsockopt, socket, sockopt,
};
use nix::sys::time::TimeVal;

use crate::os::sockets::{Socket, TcpState};

// Values and layouts from linux/netlink.h, linux/sock_diag.h and linux/inet_diag.h.
const NLMSG_HDR_LEN: usize = 16;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_REQUEST: u16 = 0x01;
const NLM_F_DUMP: u16 = 0x100 | 0x200;
const SOCK_DIAG_BY_FAMILY: u16 = 20;
/// struct inet_diag_req_v2: family, protocol, ext, pad, states u32, then the 48-byte inet_diag_sockid.
const REQ_LEN: usize = 4 + 4 + SOCKID_LEN;
/// struct inet_diag_sockid: sport, dport, src[16], dst[16], if u32, cookie [u32; 2].
const SOCKID_LEN: usize = 2 + 2 + 16 + 16 + 4 + 8;
/// struct inet_diag_msg: family, state, timer, retrans, sockid, expires, rqueue, wqueue, uid, inode.
const DIAG_MSG_LEN: usize = 4 + SOCKID_LEN + 5 * 4;
const RTA_HDR_LEN: usize = 4;
/// Strips NLA_F_NESTED and NLA_F_NET_BYTEORDER from an attribute type.
const NLA_TYPE_MASK: u16 = 0x3fff;
const INET_DIAG_SKV6ONLY: u16 = 11;
/// Bits for TCP states 1..=11. TCP_NEW_SYN_RECV is implied by SYN_RECV in the kernel, and
/// TCP_BOUND_INACTIVE (13, Linux 6.8+) is left out so netlink lists what /proc/net/tcp lists.
const ALL_STATES: u32 = 0xfff;
/// Netlink caps dump datagrams at 32 KiB (netlink_recvmsg), so one read never truncates.
const RECV_BUF_LEN: usize = 32 * 1024;
/// A kernel that never answers must not hang the diagnostic.
const RECV_TIMEOUT_SECS: libc::time_t = 5;

/// One decoded netlink message from a sock_diag dump.
#[derive(Debug)]
pub enum Message {
    Socket(Socket),
    /// NLMSG_DONE: the dump for this request is complete.
    Done,
}

/// Dumps every IPv4 and IPv6 TCP socket; `pids` are left empty for the caller to fill.
pub(crate) fn dump() -> Result<Vec<Socket>> {
    let mut sock = open()?;
    let mut sockets = Vec::new();
    for (seq, family) in [(1u32, libc::AF_INET), (2, libc::AF_INET6)] {
        let family = u8::try_from(family).context("address family out of range")?;
        sock.write_all(&request(family, seq))
            .with_context(|| format!("sending sock_diag request for family {family}"))?;
        read_dump(&mut sock, &mut sockets)
            .with_context(|| format!("reading sock_diag dump for family {family}"))?;
    }
    Ok(sockets)
}

fn open() -> Result<File> {
    let fd = socket(
        AddressFamily::Netlink,
        SockType::Datagram,
        SockFlag::SOCK_CLOEXEC,
        SockProtocol::NetlinkSockDiag,
    )
    .map_err(std::io::Error::from)
    .context("opening a NETLINK_SOCK_DIAG socket")?;
    setsockopt(
        &fd,
        sockopt::ReceiveTimeout,
        &TimeVal::new(RECV_TIMEOUT_SECS, 0),
    )
    .map_err(std::io::Error::from)
    .context("setting SO_RCVTIMEO on netlink socket")?;
    Ok(File::from(fd))
}

/// nlmsghdr + inet_diag_req_v2 asking for every TCP socket of `family`.
pub fn request(family: u8, seq: u32) -> Vec<u8> {
    let total = NLMSG_HDR_LEN + REQ_LEN;
    let mut buf = Vec::with_capacity(total);
    // total is a small constant (72), so the cast cannot truncate.
    buf.extend_from_slice(&(total as u32).to_ne_bytes());
    buf.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    buf.extend_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    buf.extend_from_slice(&seq.to_ne_bytes());
    buf.extend_from_slice(&0u32.to_ne_bytes()); // pid 0: addressed to the kernel
    buf.extend_from_slice(&[family, libc::IPPROTO_TCP as u8, 0, 0]);
    buf.extend_from_slice(&ALL_STATES.to_ne_bytes());
    buf.resize(total, 0); // zeroed inet_diag_sockid: no filter
    buf
}

fn read_dump(sock: &mut File, out: &mut Vec<Socket>) -> Result<()> {
    let mut buf = vec![0u8; RECV_BUF_LEN];
    loop {
        let n = match sock.read(&mut buf) {
            Ok(n) => n,
            // A signal landing in the CLI must not turn into a procfs fallback.
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {
                bail!("no reply from the kernel within {RECV_TIMEOUT_SECS} s")
            }
            Err(err) => return Err(err).context("receiving from netlink socket"),
        };
        if n == 0 {
            bail!("netlink socket returned an empty datagram");
        }
        let chunk = buf.get(..n).context("read length exceeds buffer")?;
        for message in parse_messages(chunk)? {
            match message {
                Message::Socket(s) => out.push(s),
                Message::Done => return Ok(()),
            }
        }
    }
}

/// Decodes one datagram of a sock_diag dump. Stops at NLMSG_DONE; an NLMSG_ERROR, or any
/// length that points outside `buf`, is an error rather than a panic.
pub fn parse_messages(buf: &[u8]) -> Result<Vec<Message>> {
    let mut messages = Vec::new();
    let mut off = 0usize;
    while off < buf.len() {
        let rest = &buf[off..];
        let len = read_u32(rest, 0).context("truncated netlink header")? as usize;
        let kind = read_u16(rest, 4).context("truncated netlink header")?;
        if len < NLMSG_HDR_LEN {
            bail!("netlink message length {len} is shorter than its header");
        }
        let Some(msg) = rest.get(..len) else {
            bail!(
                "netlink message length {len} exceeds the {} bytes received",
                rest.len()
            );
        };
        let payload = &msg[NLMSG_HDR_LEN..];
        match kind {
            NLMSG_DONE => {
                // Dumps put their final status in DONE's payload; a negative value is an errno.
                if let Some(code) = read_i32(payload, 0)
                    && code < 0
                {
                    return Err(errno_error(code)).context("sock_diag dump ended with an error");
                }
                messages.push(Message::Done);
                return Ok(messages);
            }
            NLMSG_ERROR => {
                let code = read_i32(payload, 0).context("truncated NLMSG_ERROR")?;
                return Err(errno_error(code)).context("kernel rejected the sock_diag request");
            }
            SOCK_DIAG_BY_FAMILY => messages.push(Message::Socket(parse_diag_msg(payload)?)),
            // NLMSG_NOOP and anything unknown carry no sockets.
            _ => {}
        }
        off = off.saturating_add(align4(len));
    }
    Ok(messages)
}

fn parse_diag_msg(p: &[u8]) -> Result<Socket> {
    if p.len() < DIAG_MSG_LEN {
        bail!(
            "inet_diag_msg is {} bytes, expected at least {DIAG_MSG_LEN}",
            p.len()
        );
    }
    let family = i32::from(p[0]);
    let state = TcpState::from_kernel(p[1]);
    let sport = u16::from_be_bytes([p[4], p[5]]);
    let dport = u16::from_be_bytes([p[6], p[7]]);
    let src = bytes16(&p[8..24])?;
    let dst = bytes16(&p[24..40])?;
    let tail = 4 + SOCKID_LEN; // expires, rqueue, wqueue, uid, inode
    let uid = read_u32(p, tail + 12).context("truncated inet_diag_msg")?;
    let inode = read_u32(p, tail + 16).context("truncated inet_diag_msg")?;
    let (local, remote, v6only) = match family {
        // IPv4 addresses sit in the first 4 bytes of the 16-byte fields.
        libc::AF_INET => (
            SocketAddr::new(IpAddr::V4(v4(&src)), sport),
            SocketAddr::new(IpAddr::V4(v4(&dst)), dport),
            None,
        ),
        // Scope ids are left 0 so both sources give identical addresses.
        libc::AF_INET6 => (
            SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(src), sport, 0, 0)),
            SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(dst), dport, 0, 0)),
            parse_v6only(&p[DIAG_MSG_LEN..])?,
        ),
        other => bail!("inet_diag_msg has unexpected address family {other}"),
    };
    Ok(Socket {
        local,
        remote,
        state,
        uid,
        inode: u64::from(inode),
        v6only,
        pids: Vec::new(),
    })
}

/// Walks the rtattrs after inet_diag_msg for INET_DIAG_SKV6ONLY; absent (e.g. TIME_WAIT) is None.
fn parse_v6only(attrs: &[u8]) -> Result<Option<bool>> {
    let mut found = None;
    let mut off = 0usize;
    while off < attrs.len() {
        let rest = &attrs[off..];
        let len = usize::from(read_u16(rest, 0).context("truncated rtattr header")?);
        let kind = read_u16(rest, 2).context("truncated rtattr header")? & NLA_TYPE_MASK;
        if len < RTA_HDR_LEN {
            bail!("rtattr length {len} is shorter than its header");
        }
        let Some(attr) = rest.get(..len) else {
            bail!("rtattr length {len} exceeds the {} bytes left", rest.len());
        };
        if kind == INET_DIAG_SKV6ONLY {
            let value = attr
                .get(RTA_HDR_LEN)
                .context("INET_DIAG_SKV6ONLY attribute has no value")?;
            found = Some(*value != 0);
        }
        off = off.saturating_add(align4(len));
    }
    Ok(found)
}

fn errno_error(code: i32) -> std::io::Error {
    std::io::Error::from_raw_os_error(code.saturating_neg())
}

fn align4(n: usize) -> usize {
    n.saturating_add(3) & !3
}

fn bytes16(b: &[u8]) -> Result<[u8; 16]> {
    b.try_into().context("address field is not 16 bytes")
}

fn v4(b: &[u8; 16]) -> Ipv4Addr {
    Ipv4Addr::new(b[0], b[1], b[2], b[3])
}

fn read_u16(b: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(
        b.get(off..off.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn read_u32(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(
        b.get(off..off.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn read_i32(b: &[u8], off: usize) -> Option<i32> {
    Some(i32::from_ne_bytes(
        b.get(off..off.checked_add(4)?)?.try_into().ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nlmsg(kind: u16, payload: &[u8]) -> Vec<u8> {
        let len = (NLMSG_HDR_LEN + payload.len()) as u32;
        let mut b = Vec::new();
        b.extend_from_slice(&len.to_ne_bytes());
        b.extend_from_slice(&kind.to_ne_bytes());
        b.extend_from_slice(&2u16.to_ne_bytes()); // NLM_F_MULTI
        b.extend_from_slice(&1u32.to_ne_bytes());
        b.extend_from_slice(&0u32.to_ne_bytes());
        b.extend_from_slice(payload);
        b.resize(align4(b.len()), 0);
        b
    }

    fn rtattr(kind: u16, value: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&((RTA_HDR_LEN + value.len()) as u16).to_ne_bytes());
        b.extend_from_slice(&kind.to_ne_bytes());
        b.extend_from_slice(value);
        b.resize(align4(b.len()), 0);
        b
    }

    struct Msg {
        family: u8,
        state: u8,
        sport: u16,
        dport: u16,
        src: [u8; 16],
        dst: [u8; 16],
        uid: u32,
        inode: u32,
        attrs: Vec<u8>,
    }

    fn diag_msg(m: &Msg) -> Vec<u8> {
        let mut p = vec![m.family, m.state, 0, 0];
        p.extend_from_slice(&m.sport.to_be_bytes());
        p.extend_from_slice(&m.dport.to_be_bytes());
        p.extend_from_slice(&m.src);
        p.extend_from_slice(&m.dst);
        p.extend_from_slice(&3u32.to_ne_bytes()); // if
        p.extend_from_slice(&[0xab; 8]); // cookie
        p.extend_from_slice(&[0; 12]); // expires, rqueue, wqueue
        p.extend_from_slice(&m.uid.to_ne_bytes());
        p.extend_from_slice(&m.inode.to_ne_bytes());
        assert_eq!(p.len(), DIAG_MSG_LEN);
        p.extend_from_slice(&m.attrs);
        nlmsg(SOCK_DIAG_BY_FAMILY, &p)
    }

    fn v4_listener() -> Vec<u8> {
        let mut src = [0u8; 16];
        src[..4].copy_from_slice(&[127, 0, 0, 1]);
        diag_msg(&Msg {
            family: libc::AF_INET as u8,
            state: 10,
            sport: 8080,
            dport: 0,
            src,
            dst: [0; 16],
            uid: 1000,
            inode: 4242,
            attrs: Vec::new(),
        })
    }

    fn v6_msg(v6only: Option<u8>) -> Vec<u8> {
        let mut attrs = rtattr(4, b"cubic\0"); // INET_DIAG_CONG, to be skipped
        if let Some(v) = v6only {
            attrs.extend(rtattr(INET_DIAG_SKV6ONLY, &[v]));
        }
        diag_msg(&Msg {
            family: libc::AF_INET6 as u8,
            state: 6,
            sport: 443,
            dport: 51000,
            src: Ipv6Addr::LOCALHOST.octets(),
            dst: Ipv4Addr::new(127, 0, 0, 1).to_ipv6_mapped().octets(),
            uid: 0,
            inode: 0,
            attrs,
        })
    }

    fn sockets(buf: &[u8]) -> Result<Vec<Socket>> {
        Ok(parse_messages(buf)?
            .into_iter()
            .filter_map(|m| match m {
                Message::Socket(s) => Some(s),
                Message::Done => None,
            })
            .collect())
    }

    #[test]
    fn request_layout() {
        let r = request(libc::AF_INET6 as u8, 7);
        assert_eq!(r.len(), 72);
        assert_eq!(read_u32(&r, 0), Some(72));
        assert_eq!(read_u16(&r, 4), Some(20));
        assert_eq!(read_u16(&r, 6), Some(0x301));
        assert_eq!(read_u32(&r, 8), Some(7));
        assert_eq!(&r[16..20], &[10, 6, 0, 0]);
        assert_eq!(read_u32(&r, 20), Some(0xfff));
        assert!(r[24..].iter().all(|&b| b == 0));
    }

    #[test]
    fn ipv4_listener_then_done() -> Result<()> {
        let mut buf = v4_listener();
        buf.extend(nlmsg(NLMSG_DONE, &0i32.to_ne_bytes()));
        let msgs = parse_messages(&buf)?;
        assert_eq!(msgs.len(), 2);
        assert!(matches!(msgs[1], Message::Done));
        let Message::Socket(s) = &msgs[0] else {
            bail!("expected a socket");
        };
        assert_eq!(s.local, "127.0.0.1:8080".parse()?);
        assert_eq!(s.remote, "0.0.0.0:0".parse()?);
        assert_eq!(
            (s.state, s.uid, s.inode, s.v6only),
            (TcpState::Listen, 1000, 4242, None)
        );
        Ok(())
    }

    #[test]
    fn ipv6_v6only_attribute() -> Result<()> {
        let mut buf = v6_msg(Some(1));
        buf.extend(v6_msg(Some(0)));
        buf.extend(v6_msg(None));
        let s = sockets(&buf)?;
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].local, "[::1]:443".parse()?);
        assert_eq!(s[0].remote, "[::ffff:127.0.0.1]:51000".parse()?);
        assert_eq!(s[0].state, TcpState::TimeWait);
        assert_eq!(
            s.iter().map(|s| s.v6only).collect::<Vec<_>>(),
            [Some(true), Some(false), None]
        );
        Ok(())
    }

    #[test]
    fn stops_at_done_and_ignores_noop() -> Result<()> {
        let mut buf = nlmsg(1, &[]); // NLMSG_NOOP
        buf.extend(nlmsg(NLMSG_DONE, &0i32.to_ne_bytes()));
        buf.extend(v4_listener());
        let msgs = parse_messages(&buf)?;
        assert_eq!(msgs.len(), 1);
        assert!(matches!(msgs[0], Message::Done));
        assert!(parse_messages(&[])?.is_empty());
        Ok(())
    }

    #[test]
    fn kernel_errors_carry_the_errno() {
        let mut payload = (-libc::EPERM).to_ne_bytes().to_vec();
        payload.extend_from_slice(&[0; NLMSG_HDR_LEN]);
        let Err(err) = parse_messages(&nlmsg(NLMSG_ERROR, &payload)) else {
            panic!("NLMSG_ERROR must be an error");
        };
        let io = err.downcast_ref::<std::io::Error>();
        assert_eq!(io.and_then(|e| e.raw_os_error()), Some(libc::EPERM));
        assert!(parse_messages(&nlmsg(NLMSG_DONE, &(-libc::EINTR).to_ne_bytes())).is_err());
        assert!(parse_messages(&nlmsg(NLMSG_ERROR, &[1, 2])).is_err());
    }

    #[test]
    fn malformed_input_is_an_error() {
        let good = v6_msg(Some(1));
        // Every cut inside the message is a truncation.
        for cut in 1..good.len() {
            assert!(parse_messages(&good[..cut]).is_err(), "cut at {cut}");
        }
        let mut short_len = good.clone();
        short_len[..4].copy_from_slice(&8u32.to_ne_bytes());
        assert!(parse_messages(&short_len).is_err());
        let mut huge_len = good.clone();
        huge_len[..4].copy_from_slice(&u32::MAX.to_ne_bytes());
        assert!(parse_messages(&huge_len).is_err());
        let mut bad_family = v4_listener();
        bad_family[NLMSG_HDR_LEN] = 99;
        assert!(parse_messages(&bad_family).is_err());
        // A zero-length rtattr would otherwise loop forever.
        let mut zero_attr = v4_listener();
        zero_attr[NLMSG_HDR_LEN] = libc::AF_INET6 as u8;
        let total = zero_attr.len() as u32 + 4;
        zero_attr[..4].copy_from_slice(&total.to_ne_bytes());
        zero_attr.extend_from_slice(&[0, 0, 11, 0]);
        assert!(parse_messages(&zero_attr).is_err());
        // An attribute too short to hold its u8 value.
        let mut empty_attr = v6_msg(None);
        let total = empty_attr.len() as u32 + 4;
        empty_attr[..4].copy_from_slice(&total.to_ne_bytes());
        empty_attr.extend_from_slice(&4u16.to_ne_bytes());
        empty_attr.extend_from_slice(&INET_DIAG_SKV6ONLY.to_ne_bytes());
        assert!(parse_messages(&empty_attr).is_err());
    }

    #[test]
    fn garbage_never_panics() {
        // xorshift: deterministic pseudo-random bytes, some shaped like headers.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for round in 0..5000 {
            let mut buf = Vec::new();
            let len = (round % 300) + 1;
            for _ in 0..len {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                buf.push(x as u8);
            }
            if round % 2 == 0 && buf.len() >= 8 {
                let n = (buf.len() as u32).min(u32::from(buf[0]) + 16);
                buf[..4].copy_from_slice(&n.to_ne_bytes());
                buf[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
            }
            let _ = parse_messages(&buf);
        }
    }
}
