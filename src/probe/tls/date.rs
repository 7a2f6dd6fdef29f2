//! Unix times as the report shows them: calendar days, and the present.

/// `2026-01-05` for a Unix time; never panics on odd dates a server sends.
pub fn date(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| t.date().to_string())
        .unwrap_or_else(|_| format!("@{unix}"))
}

/// Seconds since the epoch, now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_format_without_panicking() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_767_571_200), "2026-01-05");
        assert_eq!(date(-86_400), "1969-12-31");
        assert_eq!(date(i64::MAX), format!("@{}", i64::MAX));
    }
}
