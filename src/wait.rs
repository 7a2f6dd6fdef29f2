//! `--wait DUR`: for CI jobs that start the server in the background and
//! call rtdoctor at once. Polls each target until it accepts a TCP
//! connection and answers an HTTP request (any status), or the time is up;
//! then the checks run either way and report what they find. Each
//! target's wait ends with a note on standard error (stdout is the
//! report's).

use std::time::{Duration, Instant};

use crate::machine::Machine;
use crate::net;
use crate::notice::Notice;
use crate::probe::http::Http;
use crate::settings::CheckConfig;
use crate::target::Target;

/// How the wait ended, for the report's stderr line.
pub enum Waited {
    Answered(Duration),
    TimedOut(String),
}

/// `--wait`: all targets at once, then a note for each, in the order
/// they were named.
pub async fn for_targets(config: &CheckConfig, machine: &Machine, wait: Duration) {
    let waits = config.targets.iter().map(|tc| {
        let http = machine.http_for(&tc.probe).ok();
        async move { until_ready(&tc.target, wait, http.as_ref()).await }
    });
    let waited = futures_util::future::join_all(waits).await;
    for (tc, waited) in config.targets.iter().zip(waited) {
        let target = &tc.target;
        let notice = match &waited {
            Waited::Answered(after) => Notice::Answered {
                target,
                after: *after,
            },
            Waited::TimedOut(last) => Notice::Silent { target, wait, last },
        };
        notice.tell(config.verbosity);
    }
}

pub async fn until_ready(target: &Target, wait: Duration, http: Option<&Http>) -> Waited {
    let start = Instant::now();
    let step = Duration::from_millis(200);
    let mut last = String::from("nothing tried yet");
    while start.elapsed() < wait {
        let left = wait
            .saturating_sub(start.elapsed())
            .max(Duration::from_millis(50));
        match tcp(target, left.min(Duration::from_secs(1))).await {
            Err(e) => last = e,
            Ok(()) => match http {
                None => return Waited::Answered(start.elapsed()),
                Some(http) => {
                    let mut url = target.url.clone();
                    let _ = url.set_scheme(if target.scheme.is_tls() {
                        "https"
                    } else {
                        "http"
                    });
                    match http.get(&url, &[], left.min(Duration::from_secs(2))).await {
                        Ok(_) => return Waited::Answered(start.elapsed()),
                        Err(e) => last = format!("HTTP: {e}"),
                    }
                }
            },
        }
        tokio::time::sleep(step.min(wait.saturating_sub(start.elapsed()))).await;
    }
    Waited::TimedOut(last)
}

async fn tcp(target: &Target, timeout: Duration) -> Result<(), String> {
    let addrs = net::resolve(&target.host, timeout).await?;
    let mut last = format!("{} has no address", target.host);
    for ip in addrs {
        match net::connect(std::net::SocketAddr::new(ip, target.port), timeout).await {
            net::Connect::Accepted(_) => return Ok(()),
            other => last = format!("TCP {}:{}: {}", ip, target.port, other.describe()),
        }
    }
    Err(last)
}
