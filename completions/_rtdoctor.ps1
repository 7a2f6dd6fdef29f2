
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'rtdoctor' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'rtdoctor'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'rtdoctor' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Run the checks against each target and print a report')
            [CompletionResult]::new('ports', 'ports', [CompletionResultType]::ParameterValue, 'Show who listens on / holds ports: pid, process, user, command, addresses, socket states')
            [CompletionResult]::new('bundle', 'bundle', [CompletionResultType]::ParameterValue, 'Run the checks and write a redacted debug bundle (.tar.gz) to attach to a bug report')
            [CompletionResult]::new('kill', 'kill', [CompletionResultType]::ParameterValue, 'Stop what holds a port, safely: show the holders, ask, SIGTERM, wait, offer SIGKILL, confirm the port is free')
            [CompletionResult]::new('checks', 'checks', [CompletionResultType]::ParameterValue, 'List the checks: id and title')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Explain one check: what it looks at, the causes it tells apart, the fixes')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'rtdoctor;check' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Limit for each probe (connect, request), e.g. 5s, 500ms or 1.5 [default: 5s]')
            [CompletionResult]::new('--only', '--only', [CompletionResultType]::ParameterName, 'Run only these checks (ids or prefixes such as `port`), comma-separated')
            [CompletionResult]::new('--skip', '--skip', [CompletionResultType]::ParameterName, 'Leave out these checks (ids or prefixes), comma-separated')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Report format')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write the report (with `bundle`: the bundle) to FILE instead of standard output')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report (with `bundle`: the bundle) to FILE instead of standard output')
            [CompletionResult]::new('--bundle', '--bundle', [CompletionResultType]::ParameterName, 'Also write a redacted debug bundle (.tar.gz) to FILE')
            [CompletionResult]::new('--log', '--log', [CompletionResultType]::ParameterName, 'A log file whose tail goes into the bundle, redacted (repeatable)')
            [CompletionResult]::new('--log-lines', '--log-lines', [CompletionResultType]::ParameterName, 'How many lines of each --log to keep')
            [CompletionResult]::new('--config-file', '--config-file', [CompletionResultType]::ParameterName, 'A config file copied into the bundle, redacted (repeatable)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'First wait up to DUR for each target to answer (TCP, then HTTP): for CI jobs that start the server in the background')
            [CompletionResult]::new('--soak', '--soak', [CompletionResultType]::ParameterName, 'Also hold connections open for DUR and watch them: heartbeats, idle cuts')
            [CompletionResult]::new('--port-range', '--port-range', [CompletionResultType]::ParameterName, 'Where to look for the server when nothing listens on the target port (default: 10 ports either side)')
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'The server behind the proxy, probed directly to tell the proxy''s faults from the server''s')
            [CompletionResult]::new('--socketio-path', '--socketio-path', [CompletionResultType]::ParameterName, 'Engine.IO path [default: /socket.io/]')
            [CompletionResult]::new('--health-path', '--health-path', [CompletionResultType]::ParameterName, 'Health endpoint path [default: /health]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Socket.IO namespace to connect to; without it, an http(s) TARGET''s path, as io(url) reads it [default: /]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'Socket.IO CONNECT auth payload, a JSON object (sent, never printed)')
            [CompletionResult]::new('--eio', '--eio', [CompletionResultType]::ParameterName, 'Engine.IO protocol version to speak: 3 (socket.io 2.x), 4 (3.x/4.x), or auto')
            [CompletionResult]::new('--ws-path', '--ws-path', [CompletionResultType]::ParameterName, 'A plain WebSocket endpoint to probe (repeatable); a ws:// TARGET''s own path counts')
            [CompletionResult]::new('--origin', '--origin', [CompletionResultType]::ParameterName, 'The browser origin to test CORS and WebSocket origin checks with [default: --page''s origin]')
            [CompletionResult]::new('--page', '--page', [CompletionResultType]::ParameterName, 'The page that will host the client (mixed-content check)')
            [CompletionResult]::new('--subprotocol', '--subprotocol', [CompletionResultType]::ParameterName, 'WebSocket subprotocol to offer (repeatable)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra trusted CA certificate(s), PEM')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Extra request header, e.g. ''Authorization: Bearer …'' (repeatable; values never printed)')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra request header, e.g. ''Authorization: Bearer …'' (repeatable; values never printed)')
            [CompletionResult]::new('--checks', '--checks', [CompletionResultType]::ParameterName, 'Load extra declared checks (*.toml) from DIR')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'rtdoctor''s config file')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Short for --format json')
            [CompletionResult]::new('--anonymize', '--anonymize', [CompletionResultType]::ParameterName, 'Also replace hostnames, user names and home paths in the bundle by hashes')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Warnings fail the run too (exit code 1)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Go on past an invalid certificate (still reported)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the evidence of every check')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the evidence of every check')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Show only what needs attention')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show only what needs attention')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'rtdoctor;ports' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show whole command lines and start times')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show whole command lines and start times')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'rtdoctor;bundle' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Limit for each probe (connect, request), e.g. 5s, 500ms or 1.5 [default: 5s]')
            [CompletionResult]::new('--only', '--only', [CompletionResultType]::ParameterName, 'Run only these checks (ids or prefixes such as `port`), comma-separated')
            [CompletionResult]::new('--skip', '--skip', [CompletionResultType]::ParameterName, 'Leave out these checks (ids or prefixes), comma-separated')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Report format')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write the report (with `bundle`: the bundle) to FILE instead of standard output')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report (with `bundle`: the bundle) to FILE instead of standard output')
            [CompletionResult]::new('--bundle', '--bundle', [CompletionResultType]::ParameterName, 'Also write a redacted debug bundle (.tar.gz) to FILE')
            [CompletionResult]::new('--log', '--log', [CompletionResultType]::ParameterName, 'A log file whose tail goes into the bundle, redacted (repeatable)')
            [CompletionResult]::new('--log-lines', '--log-lines', [CompletionResultType]::ParameterName, 'How many lines of each --log to keep')
            [CompletionResult]::new('--config-file', '--config-file', [CompletionResultType]::ParameterName, 'A config file copied into the bundle, redacted (repeatable)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'First wait up to DUR for each target to answer (TCP, then HTTP): for CI jobs that start the server in the background')
            [CompletionResult]::new('--soak', '--soak', [CompletionResultType]::ParameterName, 'Also hold connections open for DUR and watch them: heartbeats, idle cuts')
            [CompletionResult]::new('--port-range', '--port-range', [CompletionResultType]::ParameterName, 'Where to look for the server when nothing listens on the target port (default: 10 ports either side)')
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'The server behind the proxy, probed directly to tell the proxy''s faults from the server''s')
            [CompletionResult]::new('--socketio-path', '--socketio-path', [CompletionResultType]::ParameterName, 'Engine.IO path [default: /socket.io/]')
            [CompletionResult]::new('--health-path', '--health-path', [CompletionResultType]::ParameterName, 'Health endpoint path [default: /health]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Socket.IO namespace to connect to; without it, an http(s) TARGET''s path, as io(url) reads it [default: /]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'Socket.IO CONNECT auth payload, a JSON object (sent, never printed)')
            [CompletionResult]::new('--eio', '--eio', [CompletionResultType]::ParameterName, 'Engine.IO protocol version to speak: 3 (socket.io 2.x), 4 (3.x/4.x), or auto')
            [CompletionResult]::new('--ws-path', '--ws-path', [CompletionResultType]::ParameterName, 'A plain WebSocket endpoint to probe (repeatable); a ws:// TARGET''s own path counts')
            [CompletionResult]::new('--origin', '--origin', [CompletionResultType]::ParameterName, 'The browser origin to test CORS and WebSocket origin checks with [default: --page''s origin]')
            [CompletionResult]::new('--page', '--page', [CompletionResultType]::ParameterName, 'The page that will host the client (mixed-content check)')
            [CompletionResult]::new('--subprotocol', '--subprotocol', [CompletionResultType]::ParameterName, 'WebSocket subprotocol to offer (repeatable)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra trusted CA certificate(s), PEM')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Extra request header, e.g. ''Authorization: Bearer …'' (repeatable; values never printed)')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra request header, e.g. ''Authorization: Bearer …'' (repeatable; values never printed)')
            [CompletionResult]::new('--checks', '--checks', [CompletionResultType]::ParameterName, 'Load extra declared checks (*.toml) from DIR')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'rtdoctor''s config file')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Short for --format json')
            [CompletionResult]::new('--anonymize', '--anonymize', [CompletionResultType]::ParameterName, 'Also replace hostnames, user names and home paths in the bundle by hashes')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Warnings fail the run too (exit code 1)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Go on past an invalid certificate (still reported)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the evidence of every check')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the evidence of every check')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Show only what needs attention')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show only what needs attention')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'rtdoctor;kill' {
            [CompletionResult]::new('--signal', '--signal', [CompletionResultType]::ParameterName, 'The first signal to send')
            [CompletionResult]::new('--grace', '--grace', [CompletionResultType]::ParameterName, 'How long to wait for the process to exit before offering SIGKILL')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every question (needed when there is no terminal to ask on)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every question (needed when there is no terminal to ask on)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Only show what would be signalled')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Report what was found and done as JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'rtdoctor;checks' {
            [CompletionResult]::new('--checks', '--checks', [CompletionResultType]::ParameterName, 'Also list the declared checks in DIR')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'rtdoctor;explain' {
            [CompletionResult]::new('--checks', '--checks', [CompletionResultType]::ParameterName, 'Also look among the declared checks in DIR')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'rtdoctor;completions' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'rtdoctor;help' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Run the checks against each target and print a report')
            [CompletionResult]::new('ports', 'ports', [CompletionResultType]::ParameterValue, 'Show who listens on / holds ports: pid, process, user, command, addresses, socket states')
            [CompletionResult]::new('bundle', 'bundle', [CompletionResultType]::ParameterValue, 'Run the checks and write a redacted debug bundle (.tar.gz) to attach to a bug report')
            [CompletionResult]::new('kill', 'kill', [CompletionResultType]::ParameterValue, 'Stop what holds a port, safely: show the holders, ask, SIGTERM, wait, offer SIGKILL, confirm the port is free')
            [CompletionResult]::new('checks', 'checks', [CompletionResultType]::ParameterValue, 'List the checks: id and title')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Explain one check: what it looks at, the causes it tells apart, the fixes')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'rtdoctor;help;check' {
            break
        }
        'rtdoctor;help;ports' {
            break
        }
        'rtdoctor;help;bundle' {
            break
        }
        'rtdoctor;help;kill' {
            break
        }
        'rtdoctor;help;checks' {
            break
        }
        'rtdoctor;help;explain' {
            break
        }
        'rtdoctor;help;completions' {
            break
        }
        'rtdoctor;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
