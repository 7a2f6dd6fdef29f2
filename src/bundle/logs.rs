//! Log tails and config copies: read with a bound, redacted, and cut so
//! the archive stays under its size limit.

use std::path::Path;

use super::Entry;
use super::archive::SIZE_LIMIT;
use crate::redact::Redactor;

/// The most of any one log or config file read.
const FILE_LIMIT: u64 = 1024 * 1024;
const TRUNCATED: &str = "\n[… cut by rtdoctor: the bundle is kept under 5 MB …]\n";

/// The last `lines` lines of a file, reading at most `FILE_LIMIT` bytes
/// from its end, redacted. The whole window is redacted before it is cut
/// to `lines`: a key block whose BEGIN line falls outside the kept lines is
/// still seen whole.
pub(super) fn tail(
    path: &Path,
    lines: usize,
    redactor: &Redactor,
) -> Result<(String, usize), String> {
    let bytes = crate::input_file::read_tail(path, FILE_LIMIT)
        .map_err(|e| e.to_string())?
        .bytes;
    let (text, redactions) = redactor.count(&String::from_utf8_lossy(&bytes));
    let all: Vec<&str> = text.lines().collect();
    let keep = &all[all.len().saturating_sub(lines)..];
    Ok((keep.join("\n") + "\n", redactions))
}

pub(super) fn read_bounded(path: &Path) -> Result<String, String> {
    let bytes = crate::input_file::read_head(path, FILE_LIMIT)
        .map_err(|e| e.to_string())?
        .bytes;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Cut the log tails and config copies (their first bytes) so the whole
/// stays under the size limit; a marker says where. They are cut after
/// redaction, so a cut never uncovers part of a hidden value.
pub(super) fn fit_logs(logs: &mut [Entry], others: usize) {
    let room = SIZE_LIMIT.saturating_sub(others + 64 * 1024);
    let total: usize = logs.iter().map(|l| l.bytes.len()).sum();
    if total <= room || logs.is_empty() {
        return;
    }
    let share = room / logs.len();
    for log in logs.iter_mut() {
        if log.bytes.len() > share {
            let keep = share.saturating_sub(TRUNCATED.len());
            let cut = log.bytes.len() - keep;
            let mut bytes = TRUNCATED.as_bytes().to_vec();
            bytes.extend_from_slice(&log.bytes[cut..]);
            log.bytes = bytes;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_are_cut_to_fit_with_a_marker() {
        let mut logs = vec![Entry {
            name: "logs/a".into(),
            bytes: vec![b'x'; SIZE_LIMIT * 2],
            redactions: 0,
        }];
        fit_logs(&mut logs, 1000);
        assert!(logs[0].bytes.len() < SIZE_LIMIT);
        assert!(String::from_utf8_lossy(&logs[0].bytes).starts_with(TRUNCATED));
    }
}
