#!/usr/bin/env python3
"""The latency case's tables (Markdown), from what benches/lib.sh's
latency_case left in WORK.

usage: python3 benches/latency_report.py WORK
       (benches/latency prints them; benches/run imports `tables`)
"""
import glob
import json
import statistics
import sys

CASES = (("plain", "plain HTTP"), ("tls", "over TLS (nginx)"))
TARGET = 2.0  # issue 16: at most 2× the two curls, plain and TLS


def goal(ok):
    return "met" if ok else "**missed**"


def ms(seconds):
    return f"{seconds * 1000:.0f} ms"


def hyperfine(work, case):
    """[(rtdoctor's median, exit codes), (the two curls' median, exit codes)],
    in seconds."""
    results = json.load(open(f"{work}/latency-{case}.json"))["results"]
    return [(r["median"], r.get("exit_codes", [])) for r in results[:2]]


def reports(work, case):
    """[(exit code, JSON report)] of the check_json_runs, in run order."""
    out = []
    paths = glob.glob(f"{work}/latency-{case}-checks-*.json")
    for path in sorted(paths, key=lambda p: int(p.rsplit("-", 1)[1].split(".")[0])):
        rc = int(open(path[: -len(".json")] + ".rc").read())
        try:
            report = json.load(open(path))
        except ValueError:
            report = {"targets": []}
        out.append((rc, report))
    return out


def per_check(runs):
    """{check id: [(status, duration_ms, summary)]}, in catalogue order."""
    checks = {}
    for _, report in runs:
        for target in report["targets"]:
            for c in target["checks"]:
                checks.setdefault(c["id"], []).append((c["status"], c["duration_ms"], c["summary"]))
    return checks


def cell(seen, runs):
    if not seen:
        return "—"
    text = f"{statistics.median(d for _, d, _ in seen):.0f} ms"
    statuses = [s for s, _, _ in seen]
    if any(s != "pass" for s in statuses):
        counts = {s: statuses.count(s) for s in dict.fromkeys(statuses)}
        text += " (" + ", ".join(f"{s} {n}/{len(runs)}" for s, n in counts.items()) + ")"
    return text


def ratio_table(work, meta):
    """rtdoctor against the two curls, plain and TLS, with the goal."""
    delay = meta["delay_ms"]
    lines = [
        f"## Through a {2 * delay:g} ms round trip",
        "",
        f"`benches/latency` (also run by `benches/run`): `benches/latency_proxy.py` delays each chunk by {delay:g} ms "
        "each way, in order, and a new connection's first bytes by one more round trip, as a TCP handshake "
        "would. Plain: the proxy in front of python-socketio. TLS: the proxy in front of nginx terminating TLS "
        "(a CA and a leaf for localhost made with openssl, `--cacert`) in front of the same server, so the TLS "
        f"handshakes cross the latency too. Medians of {meta['runs']} runs ({meta['warmup']} warm-up) from hyperfine.",
        "",
        f"| D = {delay:g} ms each way | rtdoctor `check` (all default checks) | two curls | ratio | target | |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    failed = []
    for case, label in CASES:
        (rt, rt_codes), (curls, curl_codes) = hyperfine(work, case)
        lines.append(f"| {label} | {ms(rt)} | {ms(curls)} | {rt / curls:.2f}× | ≤ {TARGET:g}× | {goal(rt <= TARGET * curls)} |")
        for what, codes in (("rtdoctor", rt_codes), ("the two curls", curl_codes)):
            if any(codes):
                failed.append(f"- {label}: {what} exited non-zero in {sum(1 for c in codes if c)} of {len(codes)} timed runs ({codes})")
    lines += [
        "",
        "The two curls: `curl -s -m 5 /health`, then `curl` the polling handshake "
        "(`/socket.io/?EIO=4&transport=polling`), through the same proxy (over TLS with `--cacert`).",
        "",
    ]
    return lines + failed + ([""] if failed else [])


def check_table(runs, checks):
    """The median duration of each check, plain and TLS."""
    lines = [
        f"Per-check durations through the same proxies: the median `duration_ms` of each check in {len(runs['plain'])} "
        "`check --format json` reports (a status other than pass is shown with how often it came).",
        "",
        "| check | " + " | ".join(label for _, label in CASES) + " |",
        "| --- | " + " | ".join("---" for _ in CASES) + " |",
    ]
    ids = list(dict.fromkeys(i for case, _ in CASES for i in checks[case]))
    for i in ids:
        lines.append(f"| `{i}` | " + " | ".join(cell(checks[case].get(i, []), runs[case]) for case, _ in CASES) + " |")
    whole = []
    for case, _ in CASES:
        durations = [r["duration_ms"] for _, r in runs[case] if "duration_ms" in r]
        whole.append(f"{statistics.median(durations):.0f} ms" if durations else "—")
    return lines + ["| whole report (`duration_ms`) | " + " | ".join(whole) + " |", ""]


def attention(runs, checks):
    """The exit codes of the JSON runs, and every warning or failure."""
    codes = []
    for case, label in CASES:
        rcs = [rc for rc, _ in runs[case]]
        text = "0 in every run" if not any(rcs) else ", ".join(map(str, rcs))
        codes.append(f"{label}: " + (text if rcs else "no run"))
    lines = [f"rtdoctor's exit code through the proxy (a healthy server): {'; '.join(codes)}.", ""]
    for case, label in CASES:
        for i, seen in checks[case].items():
            for status in dict.fromkeys(s for s, _, _ in seen if s not in ("pass", "skip")):
                summary = next(text for s, _, text in seen if s == status)
                lines.append(f"- {label}: `{i}` {status}: {summary}")
    return lines


def tables(work):
    meta = json.load(open(f"{work}/latency-meta.json"))
    runs = {case: reports(work, case) for case, _ in CASES}
    checks = {case: per_check(runs[case]) for case, _ in CASES}
    return ratio_table(work, meta) + check_table(runs, checks) + attention(runs, checks)


if __name__ == "__main__":
    print("\n".join(tables(sys.argv[1])))
