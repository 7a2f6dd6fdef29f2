//! What `kill` did to each process, as its JSON report records it: the
//! result is one of a fixed set of words, never a free string.

use serde::Serialize;

use crate::os::Signal;

#[derive(Clone, Debug, Serialize)]
pub struct Action {
    pub pid: u32,
    #[serde(serialize_with = "signal_name")]
    pub signal: Signal,
    pub result: Done,
}

/// How one signal to one process ended, spelled in JSON as CONTRACT.md lists
/// it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Done {
    /// Sent, and the process exited within the grace period.
    #[serde(rename = "exited")]
    Exited,
    /// Sent, and the process outlived the grace period.
    #[serde(rename = "still running")]
    StillRunning,
    /// The person at the terminal said no.
    #[serde(rename = "declined")]
    Declined,
    /// The process had already exited.
    #[serde(rename = "gone")]
    Gone,
    /// The pid now names another process.
    #[serde(rename = "not the same process")]
    NotTheSame,
    /// The process no longer holds the port.
    #[serde(rename = "no longer holds the port")]
    LetGo,
    /// Another user's process.
    #[serde(rename = "permission denied")]
    PermissionDenied,
    /// rtdoctor, its parent, its process group, or init.
    #[serde(rename = "protected")]
    Protected,
    /// A dry run.
    #[serde(rename = "would send")]
    WouldSend,
}

impl Action {
    pub fn new(pid: u32, signal: Signal, result: Done) -> Self {
        Action {
            pid,
            signal,
            result,
        }
    }
}

fn signal_name<S: serde::Serializer>(signal: &Signal, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(signal.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_spelled_as_before() {
        let all = [
            (Done::Exited, "exited"),
            (Done::StillRunning, "still running"),
            (Done::Declined, "declined"),
            (Done::Gone, "gone"),
            (Done::NotTheSame, "not the same process"),
            (Done::LetGo, "no longer holds the port"),
            (Done::PermissionDenied, "permission denied"),
            (Done::Protected, "protected"),
            (Done::WouldSend, "would send"),
        ];
        for (done, word) in all {
            let json = serde_json::to_value(Action::new(7, Signal::Kill, done)).unwrap();
            assert_eq!(
                json,
                serde_json::json!({"pid": 7, "signal": "SIGKILL", "result": word})
            );
        }
    }
}
