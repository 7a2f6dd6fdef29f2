//! Every file rtdoctor reads because a user named it (config files, the
//! `--cacert` file, `--checks DIR/*.toml`, the bundle's `--log` and
//! `--config-file`) is read here, one way: opened without blocking, then
//! required to be a regular file, then read up to a size cap.
//!
//! Opening a FIFO for reading blocks until a writer comes, and reading one
//! (or a tty) blocks until it writes; `/dev/zero` never ends. `O_NONBLOCK`
//! makes the open return at once, and the type is taken from the opened
//! descriptor (`fstat`), so nothing can be swapped in between a check of
//! the path and the open. Symlinks are followed; when the path was one,
//! errors name what it resolved to.

use std::fs::File;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::os::unix::fs::{FileTypeExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

use nix::fcntl::OFlag;

/// The most a config file or a declared check file may hold: far more
/// than any real one.
pub const CONFIG_CAP: u64 = 1024 * 1024;

/// What was read, and the file it resolved to.
#[derive(Debug)]
pub struct Input {
    pub resolved: PathBuf,
    pub bytes: Vec<u8>,
    /// The file was larger than the cap, and `bytes` is only part of it.
    pub cut: bool,
}

#[derive(Debug)]
pub enum ReadError {
    /// It could not be opened or read.
    Io(std::io::Error),
    /// It is not a regular file.
    NotRegular {
        kind: &'static str,
        via: Option<PathBuf>,
    },
    /// It is larger than the cap (only where the whole file is needed).
    TooLarge { cap: u64, via: Option<PathBuf> },
}

impl ReadError {
    /// The path names nothing (an optional default file may be absent).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Io(e) if e.kind() == std::io::ErrorKind::NotFound)
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let via = |via: &Option<PathBuf>| {
            via.as_ref()
                .map(|p| format!(" (the link leads to {})", p.display()))
                .unwrap_or_default()
        };
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::NotRegular { kind, via: v } => write!(
                f,
                "it is {kind}, not a regular file{}; rtdoctor reads only regular files",
                via(v)
            ),
            ReadError::TooLarge { cap, via: v } => write!(
                f,
                "it is larger than {} KiB{}, more than such a file ever needs",
                cap / 1024,
                via(v)
            ),
        }
    }
}

/// The whole file; larger than `cap` bytes is an error.
pub fn read_all(path: &Path, cap: u64) -> Result<Input, ReadError> {
    let read = read_head(path, cap)?;
    if read.cut {
        return Err(ReadError::TooLarge {
            cap,
            via: via(path, &read.resolved),
        });
    }
    Ok(read)
}

/// The whole file as text (invalid UTF-8 shown as U+FFFD); larger than
/// `cap` bytes is an error.
pub fn read_text(path: &Path, cap: u64) -> Result<String, ReadError> {
    let read = read_all(path, cap)?;
    Ok(String::from_utf8(read.bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// At most the first `cap` bytes.
pub fn read_head(path: &Path, cap: u64) -> Result<Input, ReadError> {
    let (mut file, resolved) = open_regular(path)?;
    let mut bytes = Vec::new();
    // One byte past the cap says whether there was more.
    (&mut file)
        .take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    let cut = bytes.len() as u64 > cap;
    bytes.truncate(cap as usize);
    Ok(Input {
        resolved,
        bytes,
        cut,
    })
}

/// At most the last `cap` bytes (a log's tail).
pub fn read_tail(path: &Path, cap: u64) -> Result<Input, ReadError> {
    let (mut file, resolved) = open_regular(path)?;
    let len = file.metadata().map_err(ReadError::Io)?.len();
    let start = len.saturating_sub(cap);
    file.seek(SeekFrom::Start(start)).map_err(ReadError::Io)?;
    let mut bytes = Vec::new();
    // A log still being written may have grown since: `take` holds the cap.
    file.take(cap)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    Ok(Input {
        resolved,
        bytes,
        cut: start > 0,
    })
}

/// The open file, if it is a regular one, and the path it resolved to.
fn open_regular(path: &Path) -> Result<(File, PathBuf), ReadError> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((OFlag::O_NONBLOCK | OFlag::O_NOCTTY).bits())
        .open(path)
        .map_err(ReadError::Io)?;
    let resolved = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let kind = file.metadata().map_err(ReadError::Io)?.file_type();
    if kind.is_file() {
        return Ok((file, resolved));
    }
    let kind = if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a named pipe (FIFO)"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a file"
    };
    Err(ReadError::NotRegular {
        kind,
        via: via(path, &resolved),
    })
}

/// The resolved path, when it differs from the one given (a symlink).
fn via(path: &Path, resolved: &Path) -> Option<PathBuf> {
    let given = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    (given != resolved).then(|| resolved.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fifo(dir: &Path) -> PathBuf {
        let path = dir.join("pipe");
        nix::unistd::mkfifo(&path, nix::sys::stat::Mode::S_IRWXU).unwrap();
        path
    }

    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = fifo(dir.path());
        let err = read_all(&path, 1024).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("it is a named pipe (FIFO), not a regular file"),
            "{err}"
        );
        assert!(read_tail(&path, 1024).is_err());
    }

    #[test]
    fn dev_zero_and_directories_are_refused() {
        let err = read_all(Path::new("/dev/zero"), 1024).unwrap_err();
        assert!(
            err.to_string().starts_with("it is a character device"),
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        let err = read_head(dir.path(), 1024).unwrap_err();
        assert!(err.to_string().starts_with("it is a directory"), "{err}");
    }

    #[test]
    fn a_symlink_is_followed_and_named_when_it_leads_nowhere_good() {
        let dir = tempfile::tempdir().unwrap();
        let target = fifo(dir.path());
        let link = dir.path().join("config.toml");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let err = read_all(&link, 1024).unwrap_err().to_string();
        let resolved = std::fs::canonicalize(&target).unwrap();
        assert!(
            err.contains(&format!("(the link leads to {})", resolved.display())),
            "{err}"
        );
        let file = dir.path().join("real.toml");
        std::fs::write(&file, "a = 1\n").unwrap();
        let link = dir.path().join("good.toml");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert_eq!(read_text(&link, 1024).unwrap(), "a = 1\n");
    }

    #[test]
    fn reads_stop_at_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        std::fs::write(&path, b"0123456789").unwrap();
        assert!(matches!(
            read_all(&path, 9),
            Err(ReadError::TooLarge { cap: 9, .. })
        ));
        assert_eq!(read_all(&path, 10).unwrap().bytes, b"0123456789");
        let head = read_head(&path, 4).unwrap();
        assert_eq!((head.bytes.as_slice(), head.cut), (&b"0123"[..], true));
        let tail = read_tail(&path, 4).unwrap();
        assert_eq!((tail.bytes.as_slice(), tail.cut), (&b"6789"[..], true));
        let whole = read_tail(&path, 100).unwrap();
        assert_eq!((whole.bytes.len(), whole.cut), (10, false));
    }

    #[test]
    fn a_missing_file_says_so() {
        let err = read_all(Path::new("/nonexistent/rtdoctor.toml"), 10).unwrap_err();
        assert!(err.is_not_found());
    }
}
