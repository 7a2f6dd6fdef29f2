//! `rtdoctor check` and `rtdoctor bundle`: their flags and environment over
//! the config file over the defaults, into one `CheckConfig`, and the
//! registry the run uses (the built-in checks and the declared ones the
//! settings name), against which `--only` and `--skip` are checked.

use std::path::{Path, PathBuf};

use super::probe;
use super::sockets_from_env;
use super::values::{parse_color, parse_format};
use crate::check::{self, Registry};
use crate::cli::CheckArgs;
use crate::config::{DEFAULT_CONFIG_FILE, LoadedFile};
use crate::error::Error;
use crate::settings::{BundleConfig, CheckConfig, Format, Selection, Verbosity};
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
    let sockets = sockets_from_env()?;
    let file = match &args.config {
        Some(path) => LoadedFile::load(path, true)?,
        None => LoadedFile::load(Path::new(DEFAULT_CONFIG_FILE), false)?,
    }
    .unwrap_or_default();
    let fc = &file.config;

    let top = probe::settings(&args, &file, &fc.socketio, None)?;
    let mut targets = Vec::new();
    if args.targets.is_empty() {
        for t in &fc.target {
            let target = file.value(&t.url, "url", |s| {
                Target::parse(s).map_err(|e| e.to_string())
            })?;
            let settings = probe::settings(&args, &file, &t.socketio, Some((t, &top)))?;
            targets.push(settings.for_target(target));
        }
    } else {
        for input in &args.targets {
            let target = Target::parse(input).map_err(|e| Error::usage(e.to_string()))?;
            targets.push(top.clone().for_target(target));
        }
    }
    // No target anywhere: the local real-time servers are found at run time.
    let discover = targets.is_empty().then(|| top.probe.clone());

    let declared = args.checks.clone().or_else(|| fc.checks.clone());
    let checks = check::registry_with(declared.as_deref())?;
    let selection = selection(&args, &file, &checks)?;

    let format = if args.json {
        Format::Json
    } else {
        match args.format {
            Some(f) => f.into(),
            None => match &fc.format {
                Some(v) => file.value(v, "format", parse_format)?,
                None => Format::Human,
            },
        }
    };
    let color = match args.color {
        Some(c) => c.into(),
        None => match &fc.color {
            Some(v) => file.value(v, "color", parse_color)?,
            None => ColorChoice::Auto,
        },
    };
    let output = match args.output {
        Some(path) => Some(path),
        None => file.output()?,
    };
    let verbosity = if args.verbose {
        Verbosity::Verbose
    } else if args.quiet {
        Verbosity::Quiet
    } else {
        Verbosity::Normal
    };
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

/// `--only` / `--skip` (else the file's), each pattern naming at least one
/// check of the registry.
fn selection(args: &CheckArgs, file: &LoadedFile, checks: &Registry) -> Result<Selection, Error> {
    let pick = |flags: &Vec<String>, file: &Option<Vec<String>>| {
        if flags.is_empty() {
            file.clone().unwrap_or_default()
        } else {
            flags.clone()
        }
    };
    let only = pick(&args.only, &file.config.only);
    let skip = pick(&args.skip, &file.config.skip);
    let ids: Vec<&str> = checks.iter().map(|c| c.id()).collect();
    for pattern in only.iter().chain(&skip) {
        if !ids.iter().any(|id| Selection::matches(pattern, id)) {
            return Err(Error::usage(check::unknown_check(pattern, &ids)));
        }
    }
    let selection = Selection { only, skip };
    if !ids.iter().any(|id| selection.includes(id)) {
        return Err(Error::usage(nothing_selected(&selection)));
    }
    Ok(selection)
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
