//! Every mistake of one command line, its environment and its config file,
//! said at once: a value that does not parse is kept here and resolving
//! goes on without it, so the user fixes them all in one go (as cargo and
//! rustc do) instead of meeting them one run at a time. Each names where
//! its value came from: `--timeout`, `RTDOCTOR_TIMEOUT`, `rtdoctor.toml:6`.

use crate::cli::CheckArgs;
use crate::config::LoadedFile;
use crate::error::Error;

#[derive(Default)]
pub(super) struct Problems {
    said: Vec<Error>,
}

impl Problems {
    /// The value, or `None` with its error kept.
    pub(super) fn take<T>(&mut self, result: Result<T, Error>) -> Option<T> {
        result.map_err(|e| self.said.push(e)).ok()
    }

    /// Nothing, or every error kept: the flags' and variables' in the order
    /// they were resolved, then the file's in the order of its lines. A
    /// bug among them wins (it is rtdoctor's to fix, not the user's).
    pub(super) fn finish(self, file: &LoadedFile) -> Result<(), Error> {
        let mut sentences = Vec::new();
        for err in self.said {
            if matches!(err, Error::Bug(_)) {
                return Err(err);
            }
            sentences.extend(err.sentences());
        }
        sentences.extend(file.problems());
        if sentences.is_empty() {
            Ok(())
        } else {
            Err(Error::usages(sentences))
        }
    }
}

/// How the user gave `id`'s value: `--only` or `RTDOCTOR_ONLY`.
pub(super) fn named(args: &CheckArgs, id: &str) -> String {
    let Some(opt) = crate::options::of("check").find(|o| o.id == id) else {
        return id.to_string();
    };
    match opt.env {
        Some(var) if args.from_env.iter().any(|e| e == id) => var.to_string(),
        _ => opt.long.map_or(id.to_string(), |l| format!("--{l}")),
    }
}
