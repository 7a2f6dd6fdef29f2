//! The archive: the manifest, the size bound, the default file name, and
//! the tar.gz written to a 0600 temporary file and renamed into place.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Entry, file_name, hex, json};
use crate::error::Error;

/// The archive stays under this; log tails are cut to fit, with a marker.
pub const SIZE_LIMIT: usize = 5 * 1024 * 1024;

#[derive(Serialize)]
struct Manifest {
    schema: &'static str,
    created_at: String,
    tool: &'static str,
    anonymized: bool,
    files: Vec<FileEntry>,
    /// Inputs that could not be read (the bundle is written anyway).
    notes: Vec<String>,
}

#[derive(Serialize)]
struct FileEntry {
    name: String,
    size: usize,
    sha256: String,
    redactions: usize,
}

/// The manifest, first in the archive: every other file with its size,
/// hash and redaction count, and the inputs that could not be read.
pub(super) fn manifest(
    created_at: String,
    anonymized: bool,
    entries: &[Entry],
    notes: Vec<String>,
) -> Entry {
    let manifest = Manifest {
        schema: "rtdoctor.bundle/v1",
        created_at,
        tool: concat!("rtdoctor ", env!("CARGO_PKG_VERSION")),
        anonymized,
        files: entries
            .iter()
            .map(|e| FileEntry {
                name: e.name.clone(),
                size: e.bytes.len(),
                sha256: hex(&Sha256::digest(&e.bytes)),
                redactions: e.redactions,
            })
            .collect(),
        notes,
    };
    Entry {
        name: "manifest.json".into(),
        bytes: json(&manifest).into_bytes(),
        redactions: 0,
    }
}

pub(super) fn default_name(anonymize: bool) -> String {
    let host = sysinfo::System::host_name().unwrap_or_else(|_| "host".into());
    let host = if anonymize {
        format!("host-{}", &hex(&Sha256::digest(host.as_bytes()))[..8])
    } else {
        host.chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let stamp = humantime::format_rfc3339_seconds(SystemTime::now())
        .to_string()
        .replace(['-', ':'], "")
        .replace('T', "-")
        .trim_end_matches('Z')
        .to_string();
    format!("rtdoctor-bundle-{host}-{stamp}.tar.gz")
}

/// Write the archive to a 0600 temporary file beside `path`, then rename
/// it into place: readers never see half a bundle, and a failure removes
/// the temporary file.
pub(super) fn write_atomically(path: &Path, entries: &[Entry]) -> Result<u64, Error> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = dir.join(format!(".{}.{}.tmp", file_name(path), std::process::id()));
    let result = (|| -> std::io::Result<u64> {
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
        let mut tar = tar::Builder::new(gz);
        let mtime = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        for e in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(e.bytes.len() as u64);
            header.set_mode(0o600);
            header.set_mtime(mtime);
            header.set_uid(0);
            header.set_gid(0);
            // Owner names in tar headers could name a user: keep them neutral.
            let _ = header.set_username("rtdoctor");
            let _ = header.set_groupname("rtdoctor");
            header.set_cksum();
            tar.append_data(&mut header, &e.name, e.bytes.as_slice())?;
        }
        let gz = tar.into_inner()?;
        let mut file = gz.finish()?;
        file.flush()?;
        file.sync_all()?;
        let size = file.metadata()?.len();
        fs::rename(&tmp, path)?;
        Ok(size)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        // The path the user named, or the disk under it (full, read-only):
        // their environment to fix, not a bug to report (exit 2).
        Error::usage(format!(
            "cannot write the bundle to {}: {e}",
            path.display()
        ))
    })
}
