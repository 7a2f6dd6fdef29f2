//! Fallback TCP socket table from /proc/net/tcp and /proc/net/tcp6, for hosts where netlink sock_diag is refused.

use std::io::ErrorKind;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};

use anyhow::{Context, Result};

use crate::os::sockets::{Socket, TcpState};

/// Reads both tables; a missing tcp6 (IPv6 disabled) is a note, a missing tcp is an error.
pub(crate) fn read_tables(notes: &mut Vec<String>) -> Result<Vec<Socket>> {
    let v4 = std::fs::read_to_string("/proc/net/tcp").context("reading /proc/net/tcp")?;
    let mut sockets = parse_proc_net_tcp(&v4, false);
    match std::fs::read_to_string("/proc/net/tcp6") {
        Ok(v6) => sockets.extend(parse_proc_net_tcp(&v6, true)),
        Err(err) if err.kind() == ErrorKind::NotFound => {
            notes.push("/proc/net/tcp6 is absent (IPv6 disabled?): IPv4 sockets only".into());
        }
        Err(err) => notes.push(format!(
            "could not read /proc/net/tcp6 ({err}): IPv4 sockets only"
        )),
    }
    Ok(sockets)
}

/// Parses the text of /proc/net/tcp (`v6 == false`) or /proc/net/tcp6. The header and any
/// malformed line are skipped. `v6only` is always None: procfs does not expose it.
pub fn parse_proc_net_tcp(text: &str, v6: bool) -> Vec<Socket> {
    text.lines()
        .filter_map(|line| parse_line(line, v6))
        .collect()
}

fn parse_line(line: &str, v6: bool) -> Option<Socket> {
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
    let fields: Vec<&str> = line.split_whitespace().take(10).collect();
    let [sl, local, remote, st, _, _, _, uid, _, inode] = fields.as_slice() else {
        return None;
    };
    // The header row starts with "sl"; data rows with "N:".
    sl.strip_suffix(':')?.parse::<u64>().ok()?;
    Some(Socket {
        local: parse_endpoint(local, v6)?,
        remote: parse_endpoint(remote, v6)?,
        state: TcpState::from_kernel(u8::from_str_radix(st, 16).ok()?),
        uid: uid.parse().ok()?,
        inode: inode.parse().ok()?,
        v6only: None,
        pids: Vec::new(),
    })
}

/// `ADDR:PORT` where ADDR is the kernel's in-memory u32 words printed as hex (so byte order is
/// native per word) and PORT is plain hex.
fn parse_endpoint(field: &str, v6: bool) -> Option<SocketAddr> {
    let (addr, port) = field.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    if v6 {
        if addr.len() != 32 {
            return None;
        }
        let mut octets = [0u8; 16];
        for (i, chunk) in octets.chunks_exact_mut(4).enumerate() {
            let word = addr.get(i * 8..i * 8 + 8)?;
            chunk.copy_from_slice(&u32::from_str_radix(word, 16).ok()?.to_ne_bytes());
        }
        Some(SocketAddr::V6(SocketAddrV6::new(
            Ipv6Addr::from(octets),
            port,
            0,
            0,
        )))
    } else {
        if addr.len() != 8 {
            return None;
        }
        let word = u32::from_str_radix(addr, 16).ok()?;
        Some(SocketAddr::new(
            Ipv4Addr::from(word.to_ne_bytes()).into(),
            port,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Hex as a little-endian kernel prints it; the expectations below hold on little-endian only.
    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 123456 1 0000000000000000 100 0 0 10 0
   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2345 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1F90 0100007F:D431 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000
   3: garbage line
   4: 0100007F:1F90 0100007F:D431 0A 00000000:00000000 00:00000000 00000000 notanumber 0 1
   5: 0100007F:ZZZZ 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1
";

    const TCP6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 777 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:1F92 0000000000000000FFFF00000100007F:C350 01 00000000:00000000 02:0000004B 00000000  1000        0 778 2 0000000000000000 20 4 30 10 -1
   2: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 779 1 0000000000000000 100 0 0 10 0
   3: 0000000000000000000000000100000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 780 1
";

    #[cfg(target_endian = "little")]
    #[test]
    fn ipv4_rows() -> Result<()> {
        let s = parse_proc_net_tcp(TCP, false);
        assert_eq!(s.len(), 3, "header and malformed rows are skipped: {s:?}");
        assert_eq!(s[0].local, "127.0.0.1:8080".parse()?);
        assert_eq!(s[0].remote, "0.0.0.0:0".parse()?);
        assert_eq!(
            (s[0].state, s[0].uid, s[0].inode),
            (TcpState::Listen, 1000, 123456)
        );
        assert_eq!(s[1].local, "0.0.0.0:22".parse()?);
        assert_eq!(s[2].state, TcpState::TimeWait);
        assert_eq!(s[2].remote, "127.0.0.1:54321".parse()?);
        assert_eq!((s[2].uid, s[2].inode), (0, 0));
        assert!(s.iter().all(|s| s.v6only.is_none() && s.pids.is_empty()));
        Ok(())
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn ipv6_rows() -> Result<()> {
        let s = parse_proc_net_tcp(TCP6, true);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].local, "[::1]:8081".parse()?);
        assert_eq!(s[0].state, TcpState::Listen);
        assert_eq!(s[1].local, "[::ffff:127.0.0.1]:8082".parse()?);
        assert_eq!(s[1].remote, "[::ffff:127.0.0.1]:50000".parse()?);
        assert_eq!(s[1].state, TcpState::Established);
        assert_eq!(s[2].local, "[::]:80".parse()?);
        assert_eq!(s[2].inode, 779);
        Ok(())
    }

    #[test]
    fn wrong_family_or_junk_yields_nothing() {
        assert!(parse_proc_net_tcp(TCP, true).is_empty());
        assert!(parse_proc_net_tcp(TCP6, false).is_empty());
        assert!(parse_proc_net_tcp("", false).is_empty());
        assert!(parse_proc_net_tcp("\u{1F600}:\u{1F600}:\u{1F600} é:ü", true).is_empty());
        let wide = "0: 0100007F:1F90 00000000:0000 0A 0 0 0 0 0 99999999999999999999999";
        assert!(parse_proc_net_tcp(wide, false).is_empty());
    }
}
