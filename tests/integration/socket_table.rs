//! Binds real loopback sockets and checks that both socket-table sources see them.

use std::io::Read;
use std::net::{Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::{FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use rtdoctor::os::{Socket, SocketTable, Source, TcpState};

/// This machine's table with its holders, from `source` (`None`: netlink,
/// falling back on procfs).
fn read_table(source: Option<Source>) -> Result<SocketTable> {
    rtdoctor::os::native()
        .socket_table_with_owners(source)
        .map_err(anyhow::Error::msg)
}

const SOURCES: [Source; 2] = [Source::Netlink, Source::Procfs];

fn find_listener(table: &SocketTable, addr: SocketAddr) -> Result<&Socket> {
    let mut found = table.listeners_on(addr.port()).filter(|s| s.local == addr);
    let s = found
        .next()
        .with_context(|| format!("{:?}: no listener {addr}", table.source))?;
    ensure!(found.next().is_none(), "two listeners on {addr}");
    Ok(s)
}

fn check_listener(table: &SocketTable, addr: SocketAddr, v6only: Option<bool>) -> Result<()> {
    let s = find_listener(table, addr)?;
    let me = std::process::id();
    ensure!(s.state == TcpState::Listen, "{s:?}");
    ensure!(
        s.pids.contains(&me),
        "{:?}: pid {me} missing: {s:?}",
        table.source
    );
    ensure!(s.inode != 0, "{s:?}");
    // SAFETY: geteuid has no preconditions.
    ensure!(s.uid == unsafe { libc::geteuid() }, "{s:?}");
    let want = match table.source {
        Source::Netlink => v6only,
        Source::Procfs => None,
    };
    ensure!(
        s.v6only == want,
        "{:?}: v6only {:?} != {want:?}",
        table.source,
        s.v6only
    );
    Ok(())
}

/// [::]:0 with IPV6_V6ONLY=1, which std cannot set before bind.
fn bind_v6only_any() -> Result<TcpListener> {
    // SAFETY: fd checked and owned immediately.
    let fd = unsafe { libc::socket(libc::AF_INET6, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    ensure!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
    // SAFETY: fresh fd owned by nobody else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let raw = std::os::fd::AsRawFd::as_raw_fd(&fd);
    let one: libc::c_int = 1;
    let int_len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: valid fd, pointer to a live c_int of the given size.
    let rc = unsafe {
        libc::setsockopt(
            raw,
            libc::IPPROTO_IPV6,
            libc::IPV6_V6ONLY,
            (&raw const one).cast(),
            int_len,
        )
    };
    ensure!(rc == 0, "setsockopt: {}", std::io::Error::last_os_error());
    // SAFETY: all-zero sockaddr_in6 is a valid value ([::]:0).
    let mut sa: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
    sa.sin6_family = libc::AF_INET6 as libc::sa_family_t;
    let sa_len = std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t;
    // SAFETY: valid fd, pointer to a live sockaddr_in6 of the given size.
    let rc = unsafe { libc::bind(raw, (&raw const sa).cast(), sa_len) };
    ensure!(rc == 0, "bind: {}", std::io::Error::last_os_error());
    // SAFETY: valid fd.
    ensure!(
        unsafe { libc::listen(raw, 16) } == 0,
        "listen: {}",
        std::io::Error::last_os_error()
    );
    Ok(TcpListener::from(fd))
}

fn bindv6only_sysctl() -> bool {
    std::fs::read_to_string("/proc/sys/net/ipv6/bindv6only").is_ok_and(|s| s.trim() == "1")
}

#[test]
fn listeners_seen_by_both_sources() -> Result<()> {
    let v4 = TcpListener::bind("127.0.0.1:0")?;
    let v6_loop = TcpListener::bind("[::1]:0")?;
    let dual = TcpListener::bind("[::]:0")?;
    let v6only = bind_v6only_any()?;
    let default_v6only = bindv6only_sysctl();
    for source in SOURCES {
        let table = read_table(Some(source))?;
        ensure!(table.source == source);
        check_listener(&table, v4.local_addr()?, None)?;
        // The kernel sets ipv6only itself when binding a specific, non-v4-mapped address.
        check_listener(&table, v6_loop.local_addr()?, Some(true))?;
        check_listener(&table, dual.local_addr()?, Some(default_v6only))?;
        check_listener(&table, v6only.local_addr()?, Some(true))?;
        let port = v4.local_addr()?.port();
        ensure!(table.on_local_port(port).count() >= 1);
        ensure!(table.listeners().all(|s| s.state == TcpState::Listen));
        let keys: Vec<_> = table
            .sockets
            .iter()
            .map(|s| (s.local.port(), s.local.ip(), s.remote))
            .collect();
        ensure!(keys.is_sorted(), "{source:?} table is not sorted");
        println!(
            "{source:?}: {} sockets, {} unreadable processes, notes {:?}",
            table.sockets.len(),
            table.unreadable_processes,
            table.notes
        );
    }
    let auto = read_table(None)?;
    check_listener(&auto, v4.local_addr()?, None)?;
    Ok(())
}

/// Server closes first, so the server-side socket (local port == listener port) enters TIME_WAIT.
#[test]
fn time_wait_seen_by_both_sources() -> Result<()> {
    for (bind, peer) in [("127.0.0.1:0", None), ("[::]:0", Some(Ipv6Addr::LOCALHOST))] {
        let listener = TcpListener::bind(bind)?;
        let mut target = listener.local_addr()?;
        if let Some(ip) = peer {
            target.set_ip(ip.into());
        }
        let mut client = TcpStream::connect(target)?;
        let (server_side, _) = listener.accept()?;
        let client_addr = client.local_addr()?;
        drop(server_side);
        // Wait for the server's FIN, then close our side so the server completes the close.
        client.set_read_timeout(Some(Duration::from_secs(5)))?;
        let mut byte = [0u8; 1];
        ensure!(client.read(&mut byte)? == 0, "expected EOF");
        drop(client);

        for source in SOURCES {
            let deadline = Instant::now() + Duration::from_secs(5);
            loop {
                let table = read_table(Some(source))?;
                let tw = table
                    .on_local_port(target.port())
                    .find(|s| s.remote.port() == client_addr.port());
                if let Some(s) = tw
                    && s.state == TcpState::TimeWait
                {
                    ensure!(s.pids.is_empty() && s.inode == 0, "{s:?}");
                    ensure!(s.local.port() == target.port(), "{s:?}");
                    // TIME_WAIT minisockets carry no attributes, so v6only is unknown.
                    ensure!(s.v6only.is_none(), "{s:?}");
                    println!(
                        "{source:?}: {} {} -> {} {}",
                        bind, s.local, s.remote, s.state
                    );
                    break;
                }
                if Instant::now() > deadline {
                    bail!("{source:?}: no TIME_WAIT for {target} <- {client_addr}; saw {tw:?}");
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        // The listener is still there next to its TIME_WAIT.
        let table = read_table(Some(Source::Netlink))?;
        ensure!(table.listeners_on(target.port()).count() == 1);
    }
    Ok(())
}

#[test]
fn established_pair_has_pids_on_both_ends() -> Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let client = TcpStream::connect(listener.local_addr()?)?;
    let (server, _) = listener.accept()?;
    let me = std::process::id();
    for source in SOURCES {
        let table = read_table(Some(source))?;
        for (local, remote) in [
            (server.local_addr()?, server.peer_addr()?),
            (client.local_addr()?, client.peer_addr()?),
        ] {
            let s = table
                .sockets
                .iter()
                .find(|s| s.local == local && s.remote == remote)
                .with_context(|| format!("{source:?}: no {local} -> {remote}"))?;
            ensure!(s.state == TcpState::Established && s.pids == [me], "{s:?}");
        }
    }
    Ok(())
}

#[test]
fn process_lookup_of_this_test() -> Result<()> {
    let me = std::process::id();
    let infos = rtdoctor::os::native().processes(&[me]);
    let info = infos.first().context("this process not found")?;
    ensure!(
        info.pid == me && info.uid.is_some() && info.start_time.is_some(),
        "{info:?}"
    );
    ensure!(
        info.open_fds.is_some() && info.fd_limit.is_some(),
        "{info:?}"
    );
    Ok(())
}
