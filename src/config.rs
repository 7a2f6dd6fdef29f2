//! rtdoctor's own config file (`rtdoctor.toml`) as written: the TOML schema
//! (`file_keys` reads it), the file once read with its text kept for
//! line numbers, and the rule that confines the paths it names to its own
//! folder. What its values mean is decided by `crate::resolve`, which
//! merges them with the defaults, the environment and the flags.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use toml::Spanned;

use crate::error::Error;

mod file_keys;

pub(crate) use file_keys::{TARGET_KEYS, TOP_KEYS};

pub const DEFAULT_CONFIG_FILE: &str = "rtdoctor.toml";

/// `rtdoctor.toml`: top-level keys are defaults for every target; each
/// `[[target]]` table names one target and may override them.
///
/// Deserialised by hand (`file_keys`), not with `#[serde(flatten)]`:
/// flatten buffers values and loses the spans `Spanned` needs ("expected
/// a spanned value"), so `headers`, `auth`, `eio`, `origin` and `page`
/// could not be read at all.
#[derive(Debug, Default)]
pub struct FileConfig {
    pub timeout: Option<Spanned<String>>,
    /// `--soak DUR`: the whole run's.
    pub soak: Option<Spanned<String>>,
    pub port_range: Option<Spanned<String>>,
    pub only: Option<Vec<Spanned<String>>>,
    pub skip: Option<Vec<Spanned<String>>>,
    pub strict: Option<bool>,
    pub format: Option<Spanned<String>>,
    pub color: Option<Spanned<String>>,
    /// Where the report goes: a path inside the config file's folder
    /// (`LoadedFile::output`).
    pub output: Option<Spanned<String>>,
    /// A folder of declared checks (`*.toml`).
    pub checks: Option<PathBuf>,
    pub socketio: FileSocketIo,
    pub target: Vec<FileTarget>,
    /// Keys the file has that rtdoctor does not know, where they stand.
    pub unknown: Vec<Spanned<String>>,
}

/// Socket.IO settings, at the top level or per `[[target]]`.
#[derive(Debug, Default)]
pub struct FileSocketIo {
    pub socketio_path: Option<String>,
    pub health_path: Option<String>,
    pub namespace: Option<String>,
    /// A TOML table (`auth = { token = "…" }`) or a JSON string.
    pub auth: Option<Spanned<toml::Value>>,
    pub eio: Option<Spanned<String>>,
    pub headers: Option<Vec<Spanned<String>>>,
    pub ws_paths: Option<Vec<String>>,
    pub origin: Option<Spanned<String>>,
    pub page: Option<Spanned<String>>,
    pub subprotocols: Option<Vec<String>>,
    pub cacert: Option<PathBuf>,
    pub insecure: Option<bool>,
}

#[derive(Debug)]
pub struct FileTarget {
    pub url: Spanned<String>,
    /// The server behind the proxy `url` names (`--backend`).
    pub backend: Option<Spanned<String>>,
    pub timeout: Option<Spanned<String>>,
    pub port_range: Option<Spanned<String>>,
    pub socketio: FileSocketIo,
    pub unknown: Vec<Spanned<String>>,
}

/// A config file after it was read: its text is kept so that any later
/// error about a value can name the line it stands on, and every such
/// error is kept (`problems`) so that all of them are said at once, in
/// the order of the file's lines.
#[derive(Debug, Default)]
pub struct LoadedFile {
    pub path: PathBuf,
    pub text: String,
    pub config: FileConfig,
    /// The offset in `text` each error is about, and its words.
    problems: RefCell<Vec<(usize, String)>>,
}

impl LoadedFile {
    /// `None` when `path` is the default file and it does not exist.
    pub fn load(path: &Path, explicit: bool) -> Result<Option<LoadedFile>, Error> {
        let text = match crate::input_file::read_text(path, crate::input_file::CONFIG_CAP) {
            Ok(text) => text,
            Err(e) if e.is_not_found() && !explicit => return Ok(None),
            Err(e) => {
                return Err(Error::usage(format!(
                    "cannot read config file {}: {e}",
                    path.display()
                )));
            }
        };
        // Before it is parsed: an error may quote a value (`auth`, a header).
        crate::redact::remember(crate::redact::secret_values(&text));
        let config: FileConfig = toml::from_str(&text).map_err(|e| {
            let line = e.span().map_or(1, |s| line_of(&text, s.start));
            Error::usage(format!(
                "{}:{line}: {}",
                path.display(),
                e.message().trim_end().replace('\n', " ")
            ))
        })?;
        let file = LoadedFile {
            path: path.to_path_buf(),
            text,
            config,
            problems: RefCell::default(),
        };
        for key in &file.config.unknown {
            file.unknown_key(key, TOP_KEYS);
        }
        for target in &file.config.target {
            for key in &target.unknown {
                file.unknown_key(key, TARGET_KEYS);
            }
        }
        Ok(Some(file))
    }

    fn unknown_key(&self, key: &Spanned<String>, known: &[&str]) {
        let near = crate::suggest::nearest(key.get_ref(), known);
        let in_target = known == TARGET_KEYS;
        let words = match crate::suggest::nearest(key.get_ref(), TOP_KEYS) {
            // `colour` in a [[target]] table: `color` is a top-level key.
            top if near.is_empty() && in_target && !top.is_empty() => format!(
                "unknown key `{}` in a [[target]] table ({} is a top-level key)",
                key.get_ref(),
                top.join(" or ")
            ),
            _ => format!(
                "unknown key `{}`{}",
                key.get_ref(),
                crate::suggest::did_you_mean(&near)
            ),
        };
        self.problems.borrow_mut().push((key.span().start, words));
    }

    /// Parse a spanned value; when it is invalid, keep the error (naming
    /// file and line) for `problems` and give `None`.
    pub fn value<T>(
        &self,
        v: &Spanned<String>,
        key: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        parse(v.get_ref())
            .map_err(|e| self.error_at(v.span().start, key, &e))
            .ok()
    }

    /// Keep an error about `key`, whose value starts at `offset`.
    pub fn error_at(&self, offset: usize, key: &str, e: &str) {
        self.problems
            .borrow_mut()
            .push((offset, format!("invalid {key}: {e}")));
    }

    /// The line of `text` at `offset`, from 1.
    pub fn line(&self, offset: usize) -> usize {
        line_of(&self.text, offset)
    }

    /// Every error kept so far, in the order of the file's lines, each
    /// naming the file and its line (`rtdoctor.toml:6: …`).
    pub fn problems(&self) -> Vec<String> {
        let mut kept = self.problems.borrow().clone();
        kept.sort_by_key(|(offset, _)| *offset);
        kept.into_iter()
            .map(|(offset, e)| {
                let line = line_of(&self.text, offset);
                format!("{}:{line}: {e}", self.path.display())
            })
            .collect()
    }

    /// `output` from the file, resolved against the file's folder. A config
    /// file may come with a checkout that is not the user's own, so it may
    /// not make rtdoctor write outside that folder (over a dotfile, say).
    pub fn output(&self) -> Option<PathBuf> {
        let v = self.config.output.as_ref()?;
        let folder = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        self.value(v, "output", |text| confined(folder, text))
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).unwrap_or(text).matches('\n').count() + 1
}

/// `text`, a path a config file names, as a path inside `folder`: relative,
/// without `..`, and with no symbolic link on the way that leads out
/// (the checkout may hold `report.txt -> ~/.bashrc`).
fn confined(folder: &Path, text: &str) -> Result<PathBuf, String> {
    use std::path::Component;
    let shown = crate::escape::escape(text);
    let rule = "a config file may only name a file inside its own folder (write elsewhere with -o)";
    let rel = Path::new(text);
    let mut names = 0;
    for part in rel.components() {
        match part {
            Component::Normal(_) => names += 1,
            Component::CurDir => {}
            Component::ParentDir => return Err(format!("'{shown}' climbs out with '..': {rule}")),
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!("'{shown}' is an absolute path: {rule}"));
            }
        }
    }
    if names == 0 {
        return Err(format!("'{shown}' names no file"));
    }
    let path = folder.join(rel);
    let root = folder
        .canonicalize()
        .map_err(|e| format!("cannot resolve the config file's folder: {e}"))?;
    // The deepest part of the path that exists decides where a write lands.
    let existing = path
        .ancestors()
        .find(|p| p.symlink_metadata().is_ok())
        .unwrap_or(folder);
    let resolved = existing
        .canonicalize()
        .map_err(|_| format!("'{shown}' goes through a link that leads nowhere: {rule}"))?;
    if !resolved.starts_with(&root) {
        return Err(format!(
            "'{shown}' leads out of the folder through a link: {rule}"
        ));
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_file_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rtdoctor.toml");
        std::fs::write(
            &path,
            "timeout = \"5s\"\n\n[[target]]\nurl = \"8765\"\nbogus = 1\n",
        )
        .unwrap();
        let file = LoadedFile::load(&path, true).unwrap().unwrap();
        let problems = file.problems();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("rtdoctor.toml:5: unknown key `bogus`"),
            "{problems:?}"
        );

        std::fs::write(&path, "timeout = \"soon\"\n").unwrap();
        let file = LoadedFile::load(&path, true).unwrap().unwrap();
        let timeout = file.config.timeout.as_ref().unwrap();
        assert!(
            file.value(timeout, "timeout", crate::cli::parse_duration)
                .is_none()
        );
        let problems = file.problems();
        assert!(
            problems[0].contains("rtdoctor.toml:1: invalid timeout"),
            "{problems:?}"
        );
    }

    #[test]
    fn every_error_is_kept_in_line_order_with_a_suggestion() {
        let text = "timout = \"5s\"\neio = \"5\"\n[[target]]\nurl = \"1\"\nnamespase = \"/\"\n";
        let file = LoadedFile {
            path: PathBuf::from("rtdoctor.toml"),
            text: text.into(),
            config: toml::from_str(text).unwrap(),
            problems: RefCell::default(),
        };
        for key in &file.config.unknown {
            file.unknown_key(key, TOP_KEYS);
        }
        file.unknown_key(&file.config.target[0].unknown[0], TARGET_KEYS);
        // Found last, said in its place.
        file.error_at(
            file.config.socketio.eio.as_ref().unwrap().span().start,
            "eio",
            "no",
        );
        let problems = file.problems();
        let lines: Vec<&str> = problems
            .iter()
            .map(|p| p.split(": ").next().unwrap())
            .collect();
        assert_eq!(
            lines,
            ["rtdoctor.toml:1", "rtdoctor.toml:2", "rtdoctor.toml:5"]
        );
        assert!(
            problems[0].ends_with("unknown key `timout` (did you mean timeout?)"),
            "{problems:?}"
        );
        assert!(
            problems[2].ends_with("(did you mean namespace?)"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_config_file_writes_only_inside_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("checkout");
        std::fs::create_dir_all(folder.join("reports")).unwrap();
        assert_eq!(
            confined(&folder, "reports/r.txt"),
            Ok(folder.join("reports/r.txt"))
        );
        assert_eq!(confined(&folder, "./r.txt"), Ok(folder.join("./r.txt")));
        for (bad, why) in [
            ("../x", "climbs out"),
            ("reports/../../x", "climbs out"),
            ("/tmp/abs", "absolute"),
            (".", "names no file"),
        ] {
            let err = confined(&folder, bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
        std::os::unix::fs::symlink(dir.path(), folder.join("out")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("dotfile"), folder.join("r.txt")).unwrap();
        assert!(
            confined(&folder, "out/x")
                .unwrap_err()
                .contains("through a link")
        );
        assert!(
            confined(&folder, "r.txt")
                .unwrap_err()
                .contains("leads nowhere")
        );
        std::fs::write(dir.path().join("dotfile"), "").unwrap();
        assert!(
            confined(&folder, "r.txt")
                .unwrap_err()
                .contains("through a link")
        );
    }

    #[test]
    fn missing_default_file_is_fine_but_missing_named_file_is_not() {
        let path = Path::new("/nonexistent/rtdoctor.toml");
        assert!(LoadedFile::load(path, false).unwrap().is_none());
        assert!(
            LoadedFile::load(path, true)
                .unwrap_err()
                .to_string()
                .contains("cannot read")
        );
    }
}
