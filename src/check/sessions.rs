//! The Socket.IO checks' own sessions, opened while the version probe is
//! still out: at the endpoint the server most likely speaks (the version
//! asked, Engine.IO 4 under `--eio auto`), so across a network the
//! probe's round trips and the checks' own handshakes overlap. When the
//! probe finds the server speaks otherwise, what was opened on the guess
//! is closed and the check starts again at the right endpoint.

use std::future::Future;
use std::time::Duration;

use super::Ctx;
use crate::probe::engineio::{Endpoint, Handshake, Session};
use crate::probe::http::Http;
use crate::protocol::engineio::Eio;
use crate::report::Outcome;
use crate::settings::EioMode;

/// The endpoint the version probe most likely settles on.
fn guess(ctx: &Ctx) -> Endpoint {
    let eio = match ctx.probe.eio {
        EioMode::V3 => Eio::V3,
        EioMode::V4 | EioMode::Auto => Eio::V4,
    };
    Endpoint::new(
        &ctx.target,
        &ctx.probe.socketio_path,
        eio,
        ctx.probe.headers.clone(),
    )
}

/// `make` at the guessed endpoint, while the version probe runs; again at
/// the endpoint it found when the guess was wrong, after `undo` has been
/// given what the guess made. The probe's skip or failure when no session
/// can be opened there.
pub async fn early<T, F>(
    ctx: &Ctx,
    make: impl Fn(Endpoint) -> F,
    undo: impl FnOnce(&Ctx, T),
) -> Result<(&Endpoint, T), Outcome>
where
    F: Future<Output = T>,
{
    let guessed = guess(ctx);
    let (d, made) = tokio::join!(ctx.engineio(), make(guessed.clone()));
    let found = d.session().map(|(endpoint, _)| endpoint);
    match found {
        Ok(endpoint) if endpoint.same_place(&guessed) => Ok((endpoint, made)),
        Ok(endpoint) => {
            undo(ctx, made);
            Ok((endpoint, make(endpoint.clone()).await))
        }
        Err(skip) => {
            undo(ctx, made);
            Err(skip)
        }
    }
}

/// `n` sessions on `http`, opened at once (`early`).
pub async fn open<'c, 'h>(
    ctx: &'c Ctx,
    http: &'h Http,
    n: usize,
) -> Result<(&'c Endpoint, Vec<Result<Session<'h>, Handshake>>), Outcome> {
    let timeout = ctx.probe.timeout;
    let make = |endpoint: Endpoint| async move {
        let each = (0..n).map(|_| Session::open(http, &endpoint, timeout));
        futures_util::future::join_all(each).await
    };
    early(ctx, make, |ctx, made| close_all(ctx, made, timeout)).await
}

/// Closes, in the background, the sessions among `opened` (those made on
/// a wrong guess).
pub fn close_all(ctx: &Ctx, opened: Vec<Result<Session<'_>, Handshake>>, timeout: Duration) {
    for session in opened.into_iter().flatten() {
        ctx.machine.linger(session.closing(timeout));
    }
}

/// What to say when the HTTP client for a check's sessions could not be
/// made: the version probe's words, which met the same.
pub async fn unopened(ctx: &Ctx) -> Outcome {
    match ctx.engineio().await.session() {
        Err(out) => out,
        Ok(_) => Outcome::fail("cannot set up the HTTP client for a session"),
    }
}
