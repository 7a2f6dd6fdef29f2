//! `rtdoctor check` and `rtdoctor bundle`: their flags and environment over
//! the config file over the defaults, into one `CheckConfig`, and the
//! registry the run uses (the built-in checks and the declared ones the
//! settings name), against which `--only` and `--skip` are checked.

use std::path::{Path, PathBuf};

use toml::Spanned;

use super::probe;
use super::problems::{Problems, named};
use super::sockets_from_env;
use super::values::{parse_color, parse_format};
use crate::check::{self, Registry};
use crate::cli::CheckArgs;
use crate::config::{DEFAULT_CONFIG_FILE, LoadedFile};
use crate::error::{Context, Error};
use crate::settings::{BundleConfig, CheckConfig, Format, Selection, TargetConfig, Verbosity};
use crate::style::{self, ColorChoice};
use crate::target::Target;

/// `check`, with `bundle` when `--bundle FILE` asks for one too.
pub(super) fn check(args: CheckArgs) -> Result<(CheckConfig, Registry), Error> {
    let bundle = args
        .bundle
        .clone()
        .map(|path| bundle_config(&args, Some(path)));
    let (mut config, checks) = resolve(args)?;
    config.bundle = bundle;
    Ok((config, checks))
}

/// `bundle`: the bundle is the product, and `-o` names it.
pub(super) fn bundle(mut args: CheckArgs) -> Result<(CheckConfig, Registry), Error> {
    let path = args.output.take();
    let bundle = bundle_config(&args, path);
    let (mut config, checks) = resolve(args)?;
    config.bundle = Some(bundle);
    config.bundle_only = true;
    Ok((config, checks))
}

fn bundle_config(args: &CheckArgs, path: Option<PathBuf>) -> BundleConfig {
    BundleConfig {
        path,
        logs: args.logs.clone(),
        log_lines: args.log_lines,
        config_files: args.config_files.clone(),
        anonymize: args.anonymize,
    }
}

fn resolve(args: CheckArgs) -> Result<(CheckConfig, Registry), Error> {
    let env: Vec<(String, String)> = std::env::vars().collect();
    let mut problems = Problems::default();
    let verbosity = if args.verbose {
        Verbosity::Verbose
    } else if args.quiet {
        Verbosity::Quiet
    } else {
        Verbosity::Normal
    };
    let sockets = problems.take(sockets_from_env()).flatten();
    let file = match &args.config {
        // Its errors name the file; the variable, when it named the file.
        Some(path) if args.from_env.iter().any(|id| id == "config") => {
            LoadedFile::load(path, true).context(named(&args, "config"))?
        }
        Some(path) => LoadedFile::load(path, true)?,
        None => LoadedFile::load(Path::new(DEFAULT_CONFIG_FILE), false)?,
    }
    .unwrap_or_default();
    let fc = &file.config;

    let top = probe::settings(&args, &file, &fc.socketio, None, &mut problems);
    let mut targets: Vec<TargetConfig> = Vec::new();
    let parse_target = |s: &str| Target::parse(s).map_err(|e| e.to_string());
    if args.targets.is_empty() {
        for t in &fc.target {
            let target = file.value(&t.url, "url", parse_target);
            let backend = t
                .backend
                .as_ref()
                .and_then(|b| file.value(b, "backend", parse_target));
            let settings =
                probe::settings(&args, &file, &t.socketio, Some((t, &top)), &mut problems);
            if let Some(target) = target {
                let at = format!("{}:{}", file.path.display(), file.line(t.url.span().start));
                let mut target = settings.for_target(target);
                target.probe.backend = backend;
                add_target(&mut targets, target, &at, verbosity);
            }
        }
    } else {
        for input in &args.targets {
            let target = Target::parse(input).map_err(|e| Error::usage(e.to_string()));
            if let Some(target) = problems.take(target) {
                add_target(
                    &mut targets,
                    top.clone().for_target(target),
                    input,
                    verbosity,
                );
            }
        }
    }
    if let Some(text) = &args.backend {
        backend_flag(&args, text, &mut targets, &mut problems);
    }
    // No target anywhere: the local real-time servers are found at run time.
    let discover = targets.is_empty().then(|| top.probe.clone());

    let declared = match (&args.checks, &fc.checks) {
        (Some(dir), _) => check::registry_with(Some(dir)).context(named(&args, "checks")),
        (None, dir) => check::registry_with(dir.as_deref()),
    };
    let checks = match declared {
        Ok(checks) => checks,
        Err(e) => {
            problems.take::<()>(Err(e));
            check::registry()
        }
    };
    let selection = selection(&args, &file, &checks, &mut problems);

    let format = if args.json {
        Format::Json
    } else {
        match args.format {
            Some(f) => f.into(),
            None => fc
                .format
                .as_ref()
                .and_then(|v| file.value(v, "format", parse_format))
                .unwrap_or(Format::Human),
        }
    };
    let color = match args.color {
        Some(c) => c.into(),
        None => fc
            .color
            .as_ref()
            .and_then(|v| file.value(v, "color", parse_color))
            .unwrap_or(ColorChoice::Auto),
    };
    let output = args.output.or_else(|| file.output());
    problems.finish(&file)?;
    let human_to_terminal =
        format == Format::Human && output.is_none() && style::stdout_is_terminal();
    let config = CheckConfig {
        targets,
        selection,
        format,
        strict: args.strict.or(fc.strict).unwrap_or(false),
        verbosity,
        color: format == Format::Human
            && output.is_none()
            && style::use_color(color, &env, human_to_terminal),
        progress: format == Format::Human
            && verbosity != Verbosity::Quiet
            && style::stderr_is_terminal(),
        output,
        env,
        bundle: None,
        bundle_only: false,
        sockets,
        wait: args.wait,
        discover,
    };
    Ok((config, checks))
}

/// `target` unless an earlier one is the same server at the same URL: a
/// target named twice (`8765` and `localhost:8765`, or two `[[target]]`
/// tables) is checked once, and standard error says which was dropped.
fn add_target(
    targets: &mut Vec<TargetConfig>,
    target: TargetConfig,
    given: &str,
    verbosity: Verbosity,
) {
    if targets.iter().any(|t| t.target == target.target) {
        crate::notice::Notice::Duplicate {
            given,
            target: &target.target,
        }
        .tell(verbosity);
    } else {
        targets.push(target);
    }
}

/// `--backend` (or `RTDOCTOR_BACKEND`): the server behind the one target
/// checked; with several, each `[[target]]` table names its own.
fn backend_flag(
    args: &CheckArgs,
    text: &str,
    targets: &mut [TargetConfig],
    problems: &mut Problems,
) {
    let flag = named(args, "backend");
    let Some(backend) =
        problems.take(Target::parse(text).map_err(|e| Error::usage(format!("{flag}: {e}"))))
    else {
        return;
    };
    match targets {
        [one] => one.probe.backend = Some(backend),
        [] => {
            problems.take::<()>(Err(Error::usage(format!(
                "{flag} names the server behind a proxy: name the proxy as the TARGET too"
            ))));
        }
        _ => {
            problems.take::<()>(Err(Error::usage(format!(
                "{flag} names the server behind one target, and {} are checked: check one \
target, or give each [[target]] table of the config file its own `backend`",
                targets.len()
            ))));
        }
    }
}

/// `--only` / `--skip` (else the file's), each pattern naming at least one
/// check of the registry, and together at least one check.
fn selection(
    args: &CheckArgs,
    file: &LoadedFile,
    checks: &Registry,
    problems: &mut Problems,
) -> Selection {
    let ids: Vec<&str> = checks.iter().map(|c| c.id()).collect();
    let known = |pattern: &str| ids.iter().any(|id| Selection::matches(pattern, id));
    let mut pick = |flags: &Vec<String>, in_file: &Option<Vec<Spanned<String>>>, id: &str| {
        if !flags.is_empty() {
            for pattern in flags.iter().filter(|p| !known(p)) {
                let words = check::unknown_check(pattern, &ids);
                problems.take::<()>(Err(Error::usage(format!("{}: {words}", named(args, id)))));
            }
            return flags.clone();
        }
        let mut out = Vec::new();
        for pattern in in_file.iter().flatten() {
            if !known(pattern.get_ref()) {
                let words = check::unknown_check(pattern.get_ref(), &ids);
                file.error_at(pattern.span().start, id, &words);
            }
            out.push(pattern.get_ref().clone());
        }
        out
    };
    let only = pick(&args.only, &file.config.only, "only");
    let skip = pick(&args.skip, &file.config.skip, "skip");
    let selection = Selection { only, skip };
    let all_known = selection
        .only
        .iter()
        .chain(&selection.skip)
        .all(|p| known(p));
    if all_known && !ids.iter().any(|id| selection.includes(id)) {
        problems.take::<()>(Err(Error::usage(nothing_selected(&selection))));
    }
    selection
}

/// A run that would check nothing must not pass: what the selection was.
fn nothing_selected(selection: &Selection) -> String {
    let mut said = Vec::new();
    if !selection.only.is_empty() {
        said.push(format!("--only {}", selection.only.join(",")));
    }
    if !selection.skip.is_empty() {
        said.push(format!("--skip {}", selection.skip.join(",")));
    }
    format!(
        "{} selects no check: every check it names is also skipped; `rtdoctor checks` lists them",
        said.join(" ")
    )
}
