//! `net.path` against real servers: python-socketio 5 answering directly,
//! and behind real nginx adding the headers a platform's edge sends
//! (fingerprinting reads headers only; the idle cuts themselves are the
//! platforms' documented ones).

use serde_json::Value;

use crate::peers::*;
use crate::support::*;

/// `rtdoctor check http://127.0.0.1:PORT --json --only net.path`.
fn path_of(port: u16) -> Value {
    let target = format!("http://127.0.0.1:{port}");
    let out = rt(&["check", &target, "--json", "--only", "net.path"]);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    out.json()
}

/// `net.path` through nginx in front of `upstream`, adding `headers`
/// (nginx directives): the report, after its status was checked, and the
/// summary.
fn behind(upstream: u16, headers: &str, verdict: &str) -> (Value, String) {
    let nginx = nginx_with(
        "nginx-upgrade.conf.template",
        &[upstream],
        &[("HEADERS", headers)],
    );
    let r = path_of(nginx.port());
    assert_eq!(status(&r, "net.path"), verdict, "{headers}: {r:#}");
    let said = summary(&r, "net.path").to_string();
    (r, said)
}

const HEROKU: &str = r#"add_header Via "1.1 vegur" always;"#;

#[test]
fn net_path_a_direct_loopback_server_has_nothing_in_between() {
    let server = py_healthy(&[]);
    let r = path_of(server.port);
    assert_eq!(status(&r, "net.path"), "pass", "{r:#}");
    let said = summary(&r, "net.path");
    assert!(
        said.starts_with(&format!("direct: 127.0.0.1:{} (TCP connect ", server.port)),
        "{said}"
    );
    assert!(
        said.ends_with(" ms), no proxy, CDN or platform named by the answer"),
        "{said}"
    );
    let seen = evidence(&r, "net.path");
    assert!(seen.contains("resolved: 127.0.0.1"), "{seen}");
    assert!(seen.contains("header: server: Python/"), "{seen}");
    // A loopback target's header has no connect time: it is no network's.
    assert!(r["targets"][0].get("connect_ms").is_none(), "{r:#}");
    let target = format!("http://127.0.0.1:{}", server.port);
    let human = rt(&["check", &target, "--only", "net.path"]);
    assert_eq!(human.stdout.lines().next(), Some(target.as_str()));
}

#[test]
fn net_path_herokus_router_cuts_a_server_that_pings_every_60_s() {
    let server = py_healthy(&["--ping-interval", "60"]);
    let (r, said) = behind(server.port, HEROKU, "warn");
    assert!(
        said.starts_with(
            "Heroku's router cuts connections idle for 55 s, and the server pings every 60 s \
with a 20 s pingTimeout: keep pingInterval + pingTimeout under 55 s"
        ),
        "{said}"
    );
    assert!(said.contains("nginx/"), "{said}");
    let fix = fix_text(&r, "net.path");
    assert!(
        fix.contains("pingInterval: 25000, pingTimeout: 20000"),
        "{fix}"
    );
    assert!(
        evidence(&r, "net.path")
            .contains("Heroku's router: via: 1.1 vegur: cuts connections idle for 55 s (H15)"),
        "{r:#}"
    );
}

#[test]
fn net_path_herokus_router_with_the_default_pings_is_named_and_passes() {
    let server = py_healthy(&[]);
    let (_, said) = behind(server.port, HEROKU, "pass");
    assert!(
        said.starts_with("Heroku's router (via: 1.1 vegur), then nginx/"),
        "{said}"
    );
    assert!(
        said.ends_with("; the server pings every 25 s, within each idle cut"),
        "{said}"
    );
}

#[test]
fn net_path_names_each_platform_from_the_headers_its_edge_sends() {
    let server = py_healthy(&[]);
    for (headers, named, verdict) in [
        (
            r#"add_header cf-ray "8a1b2c3d4e5f6789-AMS" always;"#,
            "Cloudflare (cf-ray: 8a1b2c3d4e5f6789-AMS)",
            "pass",
        ),
        (
            r#"add_header X-Amzn-Trace-Id "Root=1-67891233-abcdef012345678912345678" always;"#,
            "an AWS Application Load Balancer (x-amzn-trace-id: Root=1-67891233-",
            "pass",
        ),
        (
            r#"add_header Set-Cookie "AWSALB=abcdef; Path=/" always;"#,
            "an AWS Application Load Balancer (set-cookie: AWSALB=…)",
            "pass",
        ),
        (
            r#"add_header x-vercel-id "fra1::iad1::abcde-1700000000000" always;"#,
            "Vercel in front (x-vercel-id: fra1::iad1::abcde-1700000000000)",
            "warn",
        ),
        (
            r#"add_header fly-request-id "01HABCDEF-ams" always;"#,
            "Fly.io's proxy (fly-request-id: 01HABCDEF-ams)",
            "pass",
        ),
        (
            r#"add_header x-render-origin-server "uvicorn" always;"#,
            "Render (x-render-origin-server: uvicorn)",
            "pass",
        ),
        (
            r#"add_header X-Railway-Edge "railway/us-west2" always;"#,
            "Railway's edge (x-railway-edge: railway/us-west2)",
            "pass",
        ),
        (
            r#"add_header X-Azure-Ref "0zxV+XAAAAABKMMOjBv2NT4TY6SQVjC0z" always;"#,
            "Azure Front Door (x-azure-ref: 0zxV+XAAAAABKMMOjBv2NT4TY6SQVjC0z)",
            "pass",
        ),
        (
            r#"add_header Via "1.1 google" always;"#,
            "a Google Cloud load balancer (via: 1.1 google) (via: 1.1 google)",
            "pass",
        ),
        (
            r#"add_header x-envoy-upstream-service-time "3" always;"#,
            "Envoy (x-envoy-upstream-service-time: 3)",
            "pass",
        ),
    ] {
        let (_, said) = behind(server.port, headers, verdict);
        assert!(said.contains(named), "{headers}: {said}");
        // nginx itself is named by its own Server header.
        assert!(said.contains("nginx/"), "{headers}: {said}");
    }
}

#[test]
fn net_path_cloudflare_is_named_by_the_server_header_it_passes_on() {
    // The edge's own Server header, passed on by the proxy in front.
    let server = py_healthy(&["--server-header", "cloudflare"]);
    let (_, said) = behind(server.port, "proxy_pass_header Server;", "pass");
    assert!(
        said.starts_with("Cloudflare (server: cloudflare) in front of the server at 127.0.0.1:"),
        "{said}"
    );
    assert!(
        said.ends_with(
            "Cloudflare cuts proxied connections idle for 100 s (its Proxy Read Timeout); the \
server pings every 25 s, within each idle cut"
        ),
        "{said}"
    );
    assert!(!said.contains("nginx"), "{said}");
}
