# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_rtdoctor_global_optspecs
    string join \n h/help V/version
end

function __fish_rtdoctor_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_rtdoctor_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_rtdoctor_using_subcommand
    set -l cmd (__fish_rtdoctor_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c rtdoctor -n "__fish_rtdoctor_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rtdoctor -n "__fish_rtdoctor_needs_command" -s V -l version -d 'Print version'
complete -c rtdoctor -n "__fish_rtdoctor_needs_command" -f -a "check" -d 'Run the checks against each target and print a report'
complete -c rtdoctor -n "__fish_rtdoctor_needs_command" -f -a "ports" -d 'Show who listens on / holds ports: pid, process, user, command, addresses, socket states'
complete -c rtdoctor -n "__fish_rtdoctor_needs_command" -f -a "bundle" -d 'Run the checks and write a redacted debug bundle (.tar.gz) to attach to a bug report'
complete -c rtdoctor -n "__fish_rtdoctor_needs_command" -f -a "kill" -d 'Stop what holds a port, safely: show the holders, ask, SIGTERM, wait, offer SIGKILL, confirm the port is free'
complete -c rtdoctor -n "__fish_rtdoctor_needs_command" -f -a "checks" -d 'List the checks: id and title'
complete -c rtdoctor -n "__fish_rtdoctor_needs_command" -f -a "explain" -d 'Explain one check: what it looks at, the causes it tells apart, the fixes'
complete -c rtdoctor -n "__fish_rtdoctor_needs_command" -f -a "completions" -d 'Print shell completions'
complete -c rtdoctor -n "__fish_rtdoctor_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -l timeout -d 'Limit for each probe (connect, request), e.g. 5s, 500ms or 1.5 [default: 5s]' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -l only -d 'Run only these checks (ids or prefixes such as `port`), comma-separated' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -l skip -d 'Leave out these checks (ids or prefixes), comma-separated' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -l format -d 'Report format' -r -f -a "human\t''
json\t''
junit\t''"
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -s o -l output -d 'Write the report (with `bundle`: the bundle) to FILE instead of standard output' -r -F
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -l bundle -d 'Also write a redacted debug bundle (.tar.gz) to FILE' -r -F
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -l log -d 'A log file whose tail goes into the bundle, redacted (repeatable)' -r -F
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -l log-lines -d 'How many lines of each --log to keep' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -l config-file -d 'A config file copied into the bundle, redacted (repeatable)' -r -F
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -l wait -d 'First wait up to DUR for each target to answer (TCP, then HTTP): for CI jobs that start the server in the background' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -l soak -d 'Also hold connections open for DUR and watch them: heartbeats, idle cuts' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -l port-range -d 'Where to look for the server when nothing listens on the target port (default: 10 ports either side)' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -l backend -d 'The server behind the proxy, probed directly to tell the proxy\'s faults from the server\'s' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -l socketio-path -d 'Engine.IO path [default: /socket.io/]' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -l health-path -d 'Health endpoint path [default: /health]' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -l namespace -d 'Socket.IO namespace to connect to; without it, an http(s) TARGET\'s path, as io(url) reads it [default: /]' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -l auth -d 'Socket.IO CONNECT auth payload, a JSON object (sent, never printed)' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -l eio -d 'Engine.IO protocol version to speak: 3 (socket.io 2.x), 4 (3.x/4.x), or auto' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -l ws-path -d 'A plain WebSocket endpoint to probe (repeatable); a ws:// TARGET\'s own path counts' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -l origin -d 'The browser origin to test CORS and WebSocket origin checks with [default: --page\'s origin]' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -l page -d 'The page that will host the client (mixed-content check)' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -l subprotocol -d 'WebSocket subprotocol to offer (repeatable)' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -l cacert -d 'Extra trusted CA certificate(s), PEM' -r -F
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -s H -l header -d 'Extra request header, e.g. \'Authorization: Bearer …\' (repeatable; values never printed)' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -l checks -d 'Load extra declared checks (*.toml) from DIR' -r -F
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -l config -d 'rtdoctor\'s config file' -r -F
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -l json -d 'Short for --format json'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -l anonymize -d 'Also replace hostnames, user names and home paths in the bundle by hashes'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -l strict -d 'Warnings fail the run too (exit code 1)'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -l insecure -d 'Go on past an invalid certificate (still reported)'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -s v -l verbose -d 'Show the evidence of every check'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -s q -l quiet -d 'Show only what needs attention'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand check" -s h -l help -d 'Print help'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand ports" -l json -d 'Print JSON'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand ports" -s v -l verbose -d 'Show whole command lines and start times'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand ports" -s h -l help -d 'Print help'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -l timeout -d 'Limit for each probe (connect, request), e.g. 5s, 500ms or 1.5 [default: 5s]' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -l only -d 'Run only these checks (ids or prefixes such as `port`), comma-separated' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -l skip -d 'Leave out these checks (ids or prefixes), comma-separated' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -l format -d 'Report format' -r -f -a "human\t''
json\t''
junit\t''"
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -s o -l output -d 'Write the report (with `bundle`: the bundle) to FILE instead of standard output' -r -F
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -l bundle -d 'Also write a redacted debug bundle (.tar.gz) to FILE' -r -F
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -l log -d 'A log file whose tail goes into the bundle, redacted (repeatable)' -r -F
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -l log-lines -d 'How many lines of each --log to keep' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -l config-file -d 'A config file copied into the bundle, redacted (repeatable)' -r -F
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -l wait -d 'First wait up to DUR for each target to answer (TCP, then HTTP): for CI jobs that start the server in the background' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -l soak -d 'Also hold connections open for DUR and watch them: heartbeats, idle cuts' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -l port-range -d 'Where to look for the server when nothing listens on the target port (default: 10 ports either side)' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -l backend -d 'The server behind the proxy, probed directly to tell the proxy\'s faults from the server\'s' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -l socketio-path -d 'Engine.IO path [default: /socket.io/]' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -l health-path -d 'Health endpoint path [default: /health]' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -l namespace -d 'Socket.IO namespace to connect to; without it, an http(s) TARGET\'s path, as io(url) reads it [default: /]' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -l auth -d 'Socket.IO CONNECT auth payload, a JSON object (sent, never printed)' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -l eio -d 'Engine.IO protocol version to speak: 3 (socket.io 2.x), 4 (3.x/4.x), or auto' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -l ws-path -d 'A plain WebSocket endpoint to probe (repeatable); a ws:// TARGET\'s own path counts' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -l origin -d 'The browser origin to test CORS and WebSocket origin checks with [default: --page\'s origin]' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -l page -d 'The page that will host the client (mixed-content check)' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -l subprotocol -d 'WebSocket subprotocol to offer (repeatable)' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -l cacert -d 'Extra trusted CA certificate(s), PEM' -r -F
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -s H -l header -d 'Extra request header, e.g. \'Authorization: Bearer …\' (repeatable; values never printed)' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -l checks -d 'Load extra declared checks (*.toml) from DIR' -r -F
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -l config -d 'rtdoctor\'s config file' -r -F
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -l json -d 'Short for --format json'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -l anonymize -d 'Also replace hostnames, user names and home paths in the bundle by hashes'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -l strict -d 'Warnings fail the run too (exit code 1)'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -l insecure -d 'Go on past an invalid certificate (still reported)'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -s v -l verbose -d 'Show the evidence of every check'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -s q -l quiet -d 'Show only what needs attention'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand bundle" -s h -l help -d 'Print help'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand kill" -l signal -d 'The first signal to send' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand kill" -l grace -d 'How long to wait for the process to exit before offering SIGKILL' -r
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand kill" -s y -l yes -d 'Answer yes to every question (needed when there is no terminal to ask on)'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand kill" -l dry-run -d 'Only show what would be signalled'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand kill" -l json -d 'Report what was found and done as JSON'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand kill" -s h -l help -d 'Print help'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand checks" -l checks -d 'Also list the declared checks in DIR' -r -F
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand checks" -s h -l help -d 'Print help'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand explain" -l checks -d 'Also look among the declared checks in DIR' -r -F
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand explain" -s h -l help -d 'Print help'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand completions" -s h -l help -d 'Print help'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand help; and not __fish_seen_subcommand_from check ports bundle kill checks explain completions help" -f -a "check" -d 'Run the checks against each target and print a report'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand help; and not __fish_seen_subcommand_from check ports bundle kill checks explain completions help" -f -a "ports" -d 'Show who listens on / holds ports: pid, process, user, command, addresses, socket states'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand help; and not __fish_seen_subcommand_from check ports bundle kill checks explain completions help" -f -a "bundle" -d 'Run the checks and write a redacted debug bundle (.tar.gz) to attach to a bug report'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand help; and not __fish_seen_subcommand_from check ports bundle kill checks explain completions help" -f -a "kill" -d 'Stop what holds a port, safely: show the holders, ask, SIGTERM, wait, offer SIGKILL, confirm the port is free'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand help; and not __fish_seen_subcommand_from check ports bundle kill checks explain completions help" -f -a "checks" -d 'List the checks: id and title'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand help; and not __fish_seen_subcommand_from check ports bundle kill checks explain completions help" -f -a "explain" -d 'Explain one check: what it looks at, the causes it tells apart, the fixes'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand help; and not __fish_seen_subcommand_from check ports bundle kill checks explain completions help" -f -a "completions" -d 'Print shell completions'
complete -c rtdoctor -n "__fish_rtdoctor_using_subcommand help; and not __fish_seen_subcommand_from check ports bundle kill checks explain completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
