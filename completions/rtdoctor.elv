
use builtin;
use str;

set edit:completion:arg-completer[rtdoctor] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'rtdoctor'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'rtdoctor'= {
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand check 'Run the checks against each target and print a report'
            cand ports 'Show who listens on / holds ports: pid, process, user, command, addresses, socket states'
            cand bundle 'Run the checks and write a redacted debug bundle (.tar.gz) to attach to a bug report'
            cand kill 'Stop what holds a port, safely: show the holders, ask, SIGTERM, wait, offer SIGKILL, confirm the port is free'
            cand checks 'List the checks: id and title'
            cand explain 'Explain one check: what it looks at, the causes it tells apart, the fixes'
            cand completions 'Print shell completions'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'rtdoctor;check'= {
            cand --timeout 'Limit for each probe (connect, request), e.g. 5s, 500ms or 1.5 [default: 5s]'
            cand --only 'Run only these checks (ids or prefixes such as `port`), comma-separated'
            cand --skip 'Leave out these checks (ids or prefixes), comma-separated'
            cand --format 'Report format'
            cand -o 'Write the report (with `bundle`: the bundle) to FILE instead of standard output'
            cand --output 'Write the report (with `bundle`: the bundle) to FILE instead of standard output'
            cand --bundle 'Also write a redacted debug bundle (.tar.gz) to FILE'
            cand --log 'A log file whose tail goes into the bundle, redacted (repeatable)'
            cand --log-lines 'How many lines of each --log to keep'
            cand --config-file 'A config file copied into the bundle, redacted (repeatable)'
            cand --wait 'First wait up to DUR for each target to answer (TCP, then HTTP): for CI jobs that start the server in the background'
            cand --soak 'Also hold connections open for DUR and watch them: heartbeats, idle cuts'
            cand --port-range 'Where to look for the server when nothing listens on the target port (default: 10 ports either side)'
            cand --backend 'The server behind the proxy, probed directly to tell the proxy''s faults from the server''s'
            cand --socketio-path 'Engine.IO path [default: /socket.io/]'
            cand --health-path 'Health endpoint path [default: /health]'
            cand --namespace 'Socket.IO namespace to connect to; without it, an http(s) TARGET''s path, as io(url) reads it [default: /]'
            cand --auth 'Socket.IO CONNECT auth payload, a JSON object (sent, never printed)'
            cand --eio 'Engine.IO protocol version to speak: 3 (socket.io 2.x), 4 (3.x/4.x), or auto'
            cand --ws-path 'A plain WebSocket endpoint to probe (repeatable); a ws:// TARGET''s own path counts'
            cand --origin 'The browser origin to test CORS and WebSocket origin checks with [default: --page''s origin]'
            cand --page 'The page that will host the client (mixed-content check)'
            cand --subprotocol 'WebSocket subprotocol to offer (repeatable)'
            cand --cacert 'Extra trusted CA certificate(s), PEM'
            cand -H 'Extra request header, e.g. ''Authorization: Bearer …'' (repeatable; values never printed)'
            cand --header 'Extra request header, e.g. ''Authorization: Bearer …'' (repeatable; values never printed)'
            cand --checks 'Load extra declared checks (*.toml) from DIR'
            cand --config 'rtdoctor''s config file'
            cand --color 'When to colour the output'
            cand --json 'Short for --format json'
            cand --anonymize 'Also replace hostnames, user names and home paths in the bundle by hashes'
            cand --strict 'Warnings fail the run too (exit code 1)'
            cand --insecure 'Go on past an invalid certificate (still reported)'
            cand -v 'Show the evidence of every check'
            cand --verbose 'Show the evidence of every check'
            cand -q 'Show only what needs attention'
            cand --quiet 'Show only what needs attention'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'rtdoctor;ports'= {
            cand --json 'Print JSON'
            cand -v 'Show whole command lines and start times'
            cand --verbose 'Show whole command lines and start times'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'rtdoctor;bundle'= {
            cand --timeout 'Limit for each probe (connect, request), e.g. 5s, 500ms or 1.5 [default: 5s]'
            cand --only 'Run only these checks (ids or prefixes such as `port`), comma-separated'
            cand --skip 'Leave out these checks (ids or prefixes), comma-separated'
            cand --format 'Report format'
            cand -o 'Write the report (with `bundle`: the bundle) to FILE instead of standard output'
            cand --output 'Write the report (with `bundle`: the bundle) to FILE instead of standard output'
            cand --bundle 'Also write a redacted debug bundle (.tar.gz) to FILE'
            cand --log 'A log file whose tail goes into the bundle, redacted (repeatable)'
            cand --log-lines 'How many lines of each --log to keep'
            cand --config-file 'A config file copied into the bundle, redacted (repeatable)'
            cand --wait 'First wait up to DUR for each target to answer (TCP, then HTTP): for CI jobs that start the server in the background'
            cand --soak 'Also hold connections open for DUR and watch them: heartbeats, idle cuts'
            cand --port-range 'Where to look for the server when nothing listens on the target port (default: 10 ports either side)'
            cand --backend 'The server behind the proxy, probed directly to tell the proxy''s faults from the server''s'
            cand --socketio-path 'Engine.IO path [default: /socket.io/]'
            cand --health-path 'Health endpoint path [default: /health]'
            cand --namespace 'Socket.IO namespace to connect to; without it, an http(s) TARGET''s path, as io(url) reads it [default: /]'
            cand --auth 'Socket.IO CONNECT auth payload, a JSON object (sent, never printed)'
            cand --eio 'Engine.IO protocol version to speak: 3 (socket.io 2.x), 4 (3.x/4.x), or auto'
            cand --ws-path 'A plain WebSocket endpoint to probe (repeatable); a ws:// TARGET''s own path counts'
            cand --origin 'The browser origin to test CORS and WebSocket origin checks with [default: --page''s origin]'
            cand --page 'The page that will host the client (mixed-content check)'
            cand --subprotocol 'WebSocket subprotocol to offer (repeatable)'
            cand --cacert 'Extra trusted CA certificate(s), PEM'
            cand -H 'Extra request header, e.g. ''Authorization: Bearer …'' (repeatable; values never printed)'
            cand --header 'Extra request header, e.g. ''Authorization: Bearer …'' (repeatable; values never printed)'
            cand --checks 'Load extra declared checks (*.toml) from DIR'
            cand --config 'rtdoctor''s config file'
            cand --color 'When to colour the output'
            cand --json 'Short for --format json'
            cand --anonymize 'Also replace hostnames, user names and home paths in the bundle by hashes'
            cand --strict 'Warnings fail the run too (exit code 1)'
            cand --insecure 'Go on past an invalid certificate (still reported)'
            cand -v 'Show the evidence of every check'
            cand --verbose 'Show the evidence of every check'
            cand -q 'Show only what needs attention'
            cand --quiet 'Show only what needs attention'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'rtdoctor;kill'= {
            cand --signal 'The first signal to send'
            cand --grace 'How long to wait for the process to exit before offering SIGKILL'
            cand -y 'Answer yes to every question (needed when there is no terminal to ask on)'
            cand --yes 'Answer yes to every question (needed when there is no terminal to ask on)'
            cand --dry-run 'Only show what would be signalled'
            cand --json 'Report what was found and done as JSON'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'rtdoctor;checks'= {
            cand --checks 'Also list the declared checks in DIR'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'rtdoctor;explain'= {
            cand --checks 'Also look among the declared checks in DIR'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'rtdoctor;completions'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'rtdoctor;help'= {
            cand check 'Run the checks against each target and print a report'
            cand ports 'Show who listens on / holds ports: pid, process, user, command, addresses, socket states'
            cand bundle 'Run the checks and write a redacted debug bundle (.tar.gz) to attach to a bug report'
            cand kill 'Stop what holds a port, safely: show the holders, ask, SIGTERM, wait, offer SIGKILL, confirm the port is free'
            cand checks 'List the checks: id and title'
            cand explain 'Explain one check: what it looks at, the causes it tells apart, the fixes'
            cand completions 'Print shell completions'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'rtdoctor;help;check'= {
        }
        &'rtdoctor;help;ports'= {
        }
        &'rtdoctor;help;bundle'= {
        }
        &'rtdoctor;help;kill'= {
        }
        &'rtdoctor;help;checks'= {
        }
        &'rtdoctor;help;explain'= {
        }
        &'rtdoctor;help;completions'= {
        }
        &'rtdoctor;help;help'= {
        }
    ]
    $completions[$command]
}
