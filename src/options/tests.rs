//! The option list against what it describes: clap's definition (what
//! `--help` shows and what the parser takes), the config-file parser's
//! keys, the engine's defaults, and every `RTDOCTOR_*` variable the
//! source reads.

use std::collections::BTreeSet;

use super::*;

/// The entry for `arg` of subcommand `command`.
fn entry(command: &str, id: &str) -> Option<&'static Opt> {
    of(command).find(|o| o.id == id)
}

/// A flag without a value (`--json`, `--strict`).
fn is_switch(arg: &clap::Arg) -> bool {
    !arg.get_action().takes_values() || arg.get_num_args().is_some_and(|n| n.max_values() == 0)
}

/// What clap shows as the value's placeholder (derive names a switch's
/// value too, which clap never shows).
fn value_name(arg: &clap::Arg) -> Option<String> {
    match arg.get_value_names() {
        _ if is_switch(arg) => None,
        Some(names) => Some(
            names
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        ),
        None if arg.is_positional() => Some(arg.get_id().as_str().to_uppercase()),
        None => None,
    }
}

#[test]
fn every_clap_argument_is_declared_as_clap_has_it() {
    let mut cli = crate::cli::command();
    cli.build();
    let mut matched = 0;
    for sub in cli.get_subcommands() {
        let command = sub.get_name();
        for arg in sub.get_arguments() {
            let id = arg.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            let o = entry(command, id)
                .unwrap_or_else(|| panic!("{command} {id}: not in options::OPTIONS"));
            matched += 1;
            let at = format!("{command} {id}");
            assert_eq!(arg.get_long(), o.long, "{at}: long");
            assert_eq!(arg.get_short(), o.short, "{at}: short");
            assert_eq!(
                arg.get_env().and_then(|e| e.to_str()),
                o.env,
                "{at}: environment variable"
            );
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            assert_eq!(help, o.help, "{at}: help");
            assert_eq!(value_name(arg).as_deref(), o.value, "{at}: value name");
            let clap_default: Vec<&str> = arg
                .get_default_values()
                .iter()
                .filter_map(|v| v.to_str())
                .collect();
            if is_switch(arg) {
                assert_eq!(o.default, None, "{at}: a switch is off unless given");
            } else if !clap_default.is_empty() {
                assert_eq!(
                    Some(clap_default.join(",").as_str()),
                    o.default,
                    "{at}: default"
                );
            } else if let Some((_, stated)) = default_in_help(o.help) {
                assert_eq!(Some(stated), o.default, "{at}: the default its help states");
            }
        }
    }
    let declared: usize = OPTIONS.iter().map(|o| o.commands.len()).sum();
    assert_eq!(
        matched, declared,
        "options::OPTIONS declares arguments clap does not have"
    );
}

#[test]
fn each_argument_is_declared_once_per_subcommand() {
    let mut ids = BTreeSet::new();
    let mut flags = BTreeSet::new();
    let mut names = BTreeSet::new();
    for o in OPTIONS {
        let env = o.env.map(|e| ("env", e));
        let key = o.key.map(|k| ("key", k.name));
        for name in env.into_iter().chain(key) {
            assert!(names.insert(name), "{name:?} declared twice");
        }
        for c in o.commands {
            assert!(ids.insert((*c, o.id)), "{c} {} twice", o.id);
            let flag = o.synopsis();
            if o.long.is_some() {
                assert!(flags.insert((*c, flag.clone())), "{c} {flag} twice");
            }
        }
    }
}

/// The keys `rtdoctor.toml` accepts where `prefix` puts an unknown one:
/// the parser's lists, which hold an unknown key aside (to be said with a
/// suggestion from them) rather than read it.
fn accepted_keys(prefix: &str) -> BTreeSet<String> {
    let text = format!("{prefix}zz_not_a_key = 1\n");
    let c = toml::from_str::<crate::config::FileConfig>(&text).unwrap();
    let (list, unknown) = match c.target.first() {
        Some(t) => (crate::config::TARGET_KEYS, &t.unknown),
        None => (crate::config::TOP_KEYS, &c.unknown),
    };
    assert_eq!(
        unknown.len(),
        1,
        "{prefix}: the unknown key was not held aside"
    );
    list.iter().map(|k| k.to_string()).collect()
}

fn declared_keys(scopes: &[Scope]) -> BTreeSet<String> {
    with_key()
        .into_iter()
        .filter(|(_, k)| scopes.contains(&k.scope))
        .map(|(_, k)| k.name.to_string())
        .collect()
}

#[test]
fn config_keys_are_the_ones_the_file_parser_accepts() {
    let mut top = declared_keys(&[Scope::Top, Scope::Both]);
    // The `[[target]]` tables themselves.
    top.insert("target".into());
    assert_eq!(accepted_keys(""), top, "top-level keys");
    assert_eq!(
        accepted_keys("[[target]]\nurl = \"http://localhost:1\"\n"),
        declared_keys(&[Scope::Both, Scope::Target]),
        "[[target]] keys"
    );
}

/// Each key takes a value of the declared TOML type where it may stand,
/// and (but `auth`, which takes any TOML value) refuses another.
#[test]
fn config_keys_take_their_declared_types() {
    let load = |table: &str, line: &str| {
        let text = match table {
            "" => format!("{line}\n"),
            _ => format!("{table}\nurl = \"http://localhost:1\"\n{line}\n"),
        };
        toml::from_str::<crate::config::FileConfig>(&text).map(|c| {
            let held = c.target.iter().flat_map(|t| &t.unknown).chain(&c.unknown);
            assert_eq!(
                held.count(),
                0,
                "{text}: a declared key was held aside as unknown"
            );
        })
    };
    for (_, k) in with_key() {
        let sample = match k.toml {
            Toml::String => "\"x\"",
            Toml::Strings => "[\"x\"]",
            Toml::Bool => "true",
            Toml::TableOrString => "{ token = \"x\" }",
        };
        let table = match k.scope {
            Scope::Top | Scope::Both => "",
            Scope::Target if k.name == "url" => {
                assert!(load("", &format!("[[target]]\nurl = {sample}")).is_ok());
                continue;
            }
            Scope::Target => "[[target]]",
        };
        let line = format!("{} = {sample}", k.name);
        assert!(load(table, &line).is_ok(), "{line} does not load");
        if k.toml != Toml::TableOrString {
            let line = format!("{} = 1", k.name);
            assert!(load(table, &line).is_err(), "{line} loads");
        }
        if k.scope == Scope::Both {
            let line = format!("{} = {sample}", k.name);
            assert!(load("[[target]]", &line).is_ok(), "[[target]] {line}");
        }
    }
}

#[test]
fn stated_defaults_are_the_engines() {
    use crate::config::DEFAULT_CONFIG_FILE;
    use crate::settings::{self, EioMode, ProbeSettings};
    let probe = ProbeSettings::new(settings::DEFAULT_TIMEOUT, (0, 0));
    let default = |command: &str, id: &str| entry(command, id).and_then(|o| o.default);
    assert_eq!(
        default("check", "timeout").map(str::to_string),
        Some(humantime::format_duration(settings::DEFAULT_TIMEOUT).to_string())
    );
    assert_eq!(
        default("check", "socketio_path"),
        Some(probe.socketio_path.as_str())
    );
    assert_eq!(
        default("check", "health_path"),
        Some(probe.health_path.as_str())
    );
    assert_eq!(
        default("check", "namespace"),
        Some(probe.namespace.as_str())
    );
    assert_eq!(probe.eio, EioMode::Auto);
    assert_eq!(default("check", "eio"), Some("auto"));
    assert_eq!(
        default("check", "config").map(str::to_string),
        Some(format!("./{DEFAULT_CONFIG_FILE}"))
    );
    assert_eq!(
        default("check", "port_range").map(str::to_string),
        Some(format!(
            "{} ports either side",
            settings::DEFAULT_PORT_SPREAD
        ))
    );
}

#[test]
fn descriptions_join_help_and_more() {
    let port_range = entry("check", "port_range").unwrap();
    assert_eq!(
        port_range.description(),
        "Where to look for the server when nothing listens on the target port"
    );
    assert_eq!(
        entry("kill", "signal").unwrap().synopsis(),
        "--signal TERM|INT|HUP|KILL"
    );
    assert_eq!(
        entry("check", "headers").unwrap().synopsis(),
        "-H, --header 'NAME: VALUE'"
    );
}
