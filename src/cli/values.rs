//! The syntax of the flags' values: durations, ports, port ranges and
//! signal names. Pure functions of text, used as clap's value parsers and
//! reused for the same keys in the config file, so `--timeout 5s` and
//! `timeout = "5s"` accept and refuse the same words.

use std::time::Duration;

use super::SignalArg;

/// `5s`, `500ms`, `1m`; a bare number means seconds (`1.5` too), as in
/// `curl -m 1.5`. The errors are in words, not the parser's.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let how = "write seconds (5, 1.5) or a number with a unit (500ms, 5s, 2m)";
    let d = if let Ok(secs) = text.parse::<f64>() {
        if !secs.is_finite() || secs < 0.0 {
            return Err(format!("'{text}' is not a duration: {how}"));
        }
        Duration::try_from_secs_f64(secs)
            .map_err(|_| format!("'{text}' is not a duration: {how}"))?
    } else {
        humantime::parse_duration(text).map_err(|e| match e {
            humantime::DurationError::UnknownUnit { unit, .. } if !unit.is_empty() => {
                format!("'{text}': '{unit}' is not a unit of time: {how}")
            }
            _ => format!("'{text}' is not a duration: {how}"),
        })?
    };
    if d.is_zero() {
        return Err(format!("'{text}' is zero; give a positive duration"));
    }
    if d > Duration::from_secs(3600) {
        return Err(format!("'{text}' is longer than an hour"));
    }
    Ok(d)
}

/// One port number, `text` being part of `input` (a target, a range),
/// which the message quotes.
pub fn port_number(text: &str, input: &str) -> Result<u16, String> {
    match text.parse::<u64>() {
        Ok(0) => Err(format!(
            "'{input}': port 0 is not a port a server can listen on (1-65535)"
        )),
        Ok(p) if p <= 65535 => Ok(p as u16),
        Ok(p) => Err(format!("'{input}': port {p} is out of range (1-65535)")),
        Err(_) if text == input => Err(format!("'{text}' is not a port number (1-65535)")),
        Err(_) => Err(format!(
            "'{input}': '{text}' is not a port number (1-65535)"
        )),
    }
}

/// A port range `A-B` or a single port `P` (for `--port-range` and `ports`).
pub fn parse_port_range(text: &str) -> Result<(u16, u16), String> {
    let text = text.trim();
    let (a, b) = text.split_once('-').unwrap_or((text, text));
    let (a, b) = (port_number(a.trim(), text)?, port_number(b.trim(), text)?);
    if a > b {
        return Err(format!("'{text}': the range runs backwards; write {b}-{a}"));
    }
    Ok((a, b))
}

/// `kill PORT`: one port, not a range.
pub fn parse_port(s: &str) -> Result<u16, String> {
    match parse_port_range(s) {
        Ok((a, b)) if a == b => Ok(a),
        Ok(_) => Err(format!("'{s}': give one port, not a range")),
        Err(e) => Err(e),
    }
}

/// `TERM`, `SIGTERM`, `term`.
pub fn parse_signal(text: &str) -> Result<SignalArg, String> {
    let up = text.trim().to_ascii_uppercase();
    let name = up.strip_prefix("SIG").unwrap_or(&up);
    match name {
        "TERM" => Ok(SignalArg::Term),
        "INT" => Ok(SignalArg::Int),
        "HUP" => Ok(SignalArg::Hup),
        "KILL" => Ok(SignalArg::Kill),
        _ => Err(format!("'{text}' is not one of TERM, INT, HUP, KILL")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_parse_in_any_spelling() {
        assert_eq!(parse_signal("TERM"), Ok(SignalArg::Term));
        assert_eq!(parse_signal("sigkill"), Ok(SignalArg::Kill));
        assert_eq!(parse_signal("Hup"), Ok(SignalArg::Hup));
        assert!(parse_signal("STOP").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration(" 0.25 "), Ok(Duration::from_millis(250)));
        for bad in ["soon", "-1", "1.5.2", "nan", "5 parsecs"] {
            let err = parse_duration(bad).unwrap_err();
            assert!(err.contains("write seconds (5, 1.5)"), "{bad}: {err}");
            assert!(!err.contains("expected") && !err.contains(" at "), "{err}");
        }
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("2h").is_err());
    }

    #[test]
    fn ranges_and_ports() {
        assert_eq!(parse_port_range("1000-1010"), Ok((1000, 1010)));
        assert_eq!(parse_port_range("8080"), Ok((8080, 8080)));
        assert!(parse_port_range("10-1").is_err());
        assert!(parse_port_range("1-70000").is_err());
        assert!(parse_port_range("a-b").is_err());
        assert_eq!(parse_port("8765"), Ok(8765));
        assert!(parse_port("1-2").unwrap_err().contains("not a range"));
        assert!(port_number("0", "x").unwrap_err().contains("port 0"));
        assert_eq!(
            port_number("abc", "abc").unwrap_err(),
            "'abc' is not a port number (1-65535)"
        );
        assert!(
            parse_port_range("1-x")
                .unwrap_err()
                .starts_with("'1-x': 'x'")
        );
    }
}
