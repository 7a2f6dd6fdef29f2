//! Name resolution and TCP connects as real clients do them: getaddrinfo
//! (through tokio's `lookup_host`) and plain connects, each bounded.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use tokio::net::TcpStream;

pub async fn resolve(host: &str, timeout: Duration) -> Result<Vec<IpAddr>, String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    match tokio::time::timeout(timeout, tokio::net::lookup_host((host, 0))).await {
        Err(_) => Err(format!(
            "{host} does not resolve: this machine's resolver did not answer within {} ms",
            timeout.as_millis()
        )),
        Ok(Err(e)) => Err(format!(
            "{host} does not resolve: {}",
            crate::probe::unresolved_words(&e.to_string())
                .unwrap_or("this machine's resolver returned no address for it")
        )),
        Ok(Ok(addrs)) => {
            let mut out: Vec<IpAddr> = Vec::new();
            for a in addrs {
                if !out.contains(&a.ip()) {
                    out.push(a.ip());
                }
            }
            Ok(out)
        }
    }
}

/// Loopback, unspecified, or an address of one of this machine's interfaces.
pub fn is_local_ip(ip: IpAddr) -> bool {
    if ip.is_loopback() || ip.is_unspecified() {
        return true;
    }
    if let IpAddr::V6(v6) = ip
        && let Some(v4) = v6.to_ipv4_mapped()
    {
        return is_local_ip(IpAddr::V4(v4));
    }
    interface_addrs().contains(&ip)
}

fn interface_addrs() -> Vec<IpAddr> {
    let Ok(addrs) = nix::ifaddrs::getifaddrs() else {
        return Vec::new();
    };
    addrs
        .filter_map(|a| {
            let sa = a.address?;
            if let Some(v4) = sa.as_sockaddr_in() {
                Some(IpAddr::V4(v4.ip()))
            } else {
                sa.as_sockaddr_in6().map(|v6| IpAddr::V6(v6.ip()))
            }
        })
        .collect()
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Connect {
    Accepted(Duration),
    Refused,
    TimedOut,
    Failed(String),
}

impl Connect {
    pub fn describe(&self) -> String {
        match self {
            Connect::Accepted(d) => format!("accepted in {} ms", d.as_millis()),
            Connect::Refused => "refused (ECONNREFUSED)".into(),
            Connect::TimedOut => "timed out".into(),
            Connect::Failed(e) => e.clone(),
        }
    }
}

pub async fn connect(addr: SocketAddr, timeout: Duration) -> Connect {
    let start = Instant::now();
    match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Err(_) => Connect::TimedOut,
        Ok(Ok(_stream)) => Connect::Accepted(start.elapsed()),
        Ok(Err(e)) if e.kind() == io::ErrorKind::ConnectionRefused => Connect::Refused,
        Ok(Err(e)) => Connect::Failed(e.to_string()),
    }
}

/// Connects to all addresses at once; the results keep the input order.
pub async fn connect_all(addrs: &[SocketAddr], timeout: Duration) -> Vec<(SocketAddr, Connect)> {
    let handles: Vec<_> = addrs
        .iter()
        .map(|&addr| tokio::spawn(async move { (addr, connect(addr, timeout).await) }))
        .collect();
    let mut out = Vec::with_capacity(handles.len());
    for (handle, addr) in handles.into_iter().zip(addrs) {
        out.push(
            handle
                .await
                .unwrap_or_else(|e| (*addr, Connect::Failed(e.to_string()))),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_and_unspecified_are_local() {
        for ip in [
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "0.0.0.0",
            "::",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_local_ip(ip.parse().unwrap()), "{ip}");
        }
        // TEST-NET-3, never assigned to a machine.
        assert!(!is_local_ip("203.0.113.7".parse().unwrap()));
    }

    #[tokio::test]
    async fn connect_tells_refused_from_accepted() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        assert!(matches!(
            connect(addr, Duration::from_secs(2)).await,
            Connect::Accepted(_)
        ));
        drop(listener);
        assert_eq!(
            connect(addr, Duration::from_secs(2)).await,
            Connect::Refused
        );
    }
}
