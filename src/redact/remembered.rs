//! Values the run knows to be secret, remembered for the lines written on
//! standard error (which are written where no `Redactor` is at hand): the
//! command line's `-H`/`--auth`, a config file's secrets as soon as it is
//! read, declared checks' headers.

use std::sync::{Arc, LazyLock, Mutex};

use super::Redactor;

/// The values every standard-error line hides, and the redactor built
/// from them: built at the first line after a value was added, not for
/// every line (`kill` and discovery write one a process).
#[derive(Default)]
struct Remembered {
    values: Vec<String>,
    redactor: Option<Arc<Redactor>>,
}

static REMEMBERED: LazyLock<Mutex<Remembered>> = LazyLock::new(Mutex::default);

/// The remembered values; a lock poisoned by a panicking thread still
/// holds them (values are pushed whole), and losing them would leak.
fn known() -> std::sync::MutexGuard<'static, Remembered> {
    REMEMBERED.lock().unwrap_or_else(|e| e.into_inner())
}

/// What has been remembered.
pub fn remembered() -> Vec<String> {
    known().values.clone()
}

/// Add values to those every standard-error line hides.
pub fn remember(values: impl IntoIterator<Item = String>) {
    let mut known = known();
    known.values.extend(values);
    known.redactor = None;
}

/// A line written outside a report (standard error, `kill`'s lines), with
/// the remembered values and every secret shape hidden.
pub fn line(text: &str) -> String {
    let redactor = {
        let mut guard = known();
        let known = &mut *guard;
        let values = &known.values;
        known
            .redactor
            .get_or_insert_with(|| Arc::new(Redactor::new(values.clone()).for_files()))
            .clone()
    };
    redactor.text(text)
}
