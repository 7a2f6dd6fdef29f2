#!/usr/bin/env bash
# Re-captures the raw answers recorded in tests/servers/WIRE.md.
#
# usage: tests/servers/capture_wire.sh > /tmp/wire.md   (after scripts/provision)
#
# Starts every peer on 127.0.0.1 (ports WIRE_PORT_BASE+1 .. +19, default
# 42100), runs the scenarios with curl and wsprobe.py, prints markdown on
# stdout, and kills the processes it started (by pid) on exit. Loopback only.
# Takes about 2 minutes (the gunicorn scenarios wait out 25 s long-polls).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
S="$ROOT/tests/servers"
P="$ROOT/target/peers"
PY="$P/py/bin/python"
[ -x "$PY" ] && [ -x "$P/bin/nginx" ] || { echo "run scripts/provision first" >&2; exit 1; }

BASE="${WIRE_PORT_BASE:-42100}"
PYD=$((BASE+1)) PYC=$((BASE+2)) N4=$((BASE+3)) N4C=$((BASE+4)) N4E=$((BASE+5))
N2=$((BASE+6)) G1=$((BASE+7)) G2=$((BASE+8)) N4B=$((BASE+9)) N4BARE=$((BASE+10))
NX_PLAIN_N4=$((BASE+11)) NX_PLAIN_PY=$((BASE+12)) NX_UP_N4=$((BASE+13))
NX_UP_PY=$((BASE+14)) NX_RR=$((BASE+15)) NX_DOWN=$((BASE+16)) DEAD=$((BASE+19))

WORK="$(mktemp -d /tmp/rtdoctor-wire.XXXXXX)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
}
trap cleanup EXIT

q() { # quote args for display
    local out="" a
    for a in "$@"; do
        if [[ "$a" =~ ^[A-Za-z0-9_./:=@%+-]+$ ]]; then out+="$a "
        elif [[ "$a" =~ [[:cntrl:]] ]]; then out+="$(printf '%q' "$a") "
        else out+="'${a//\'/\'\\\'\'}' "; fi
    done
    printf '%s' "${out% }"
}

start() { # start NAME CMD... ; stdout/stderr to $WORK/NAME.{out,err}
    local name="$1"; shift
    "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" &
    PIDS+=($!)
    echo "- \`$name\` (pid $!): \`$(q "$@")\`"
}
wait_ready() { # NAME : wait for the line "ready" on its stdout
    for _ in $(seq 150); do grep -qx ready "$WORK/$1.out" 2>/dev/null && return 0; sleep 0.1; done
    echo "TIMEOUT waiting for $1" >&2; cat "$WORK/$1.err" >&2; return 1
}
wait_http() { # PORT PATH : poll until HTTP 200
    for _ in $(seq 150); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$1$2")" = 200 ] && return 0
        sleep 0.1
    done
    echo "TIMEOUT waiting for :$1$2" >&2; return 1
}
wait_tcp() { # PORT
    for _ in $(seq 150); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
    echo "TIMEOUT waiting for tcp :$1" >&2; return 1
}

MAXT=5
LAST="$WORK/last"
req() { # curl args (after -sS -i --max-time $MAXT)
    echo '```'
    echo "\$ curl -sS -i --max-time $MAXT $(q "$@")"
    local t rc
    rm -f "$LAST"; : > "$LAST"
    t=$(curl -sS -i --max-time "$MAXT" -o "$LAST" -w '%{time_total}' "$@" 2>"$WORK/curl.err"); rc=$?
    "$PY" "$S/fmt_http.py" "$LAST"
    [ -s "$WORK/curl.err" ] && echo "curl stderr: $(cat "$WORK/curl.err")"
    echo "[curl exit=$rc time_total=${t}s]"
    echo '```'
}
reqs() { # like req, one summary line (for repeated requests)
    local t rc
    rm -f "$LAST"; : > "$LAST"
    t=$(curl -sS -i --max-time "$MAXT" -o "$LAST" -w '%{time_total}' "$@" 2>"$WORK/curl.err"); rc=$?
    echo "\$ curl -sS -i --max-time $MAXT $(q "$@")"
    "$PY" "$S/fmt_http.py" --short "$LAST"; echo "; [curl exit=$rc time_total=${t}s]"
}
v3() { # Engine.IO v3 polling framing of one packet: LEN:PACKET
    printf '%d:%s' "${#1}" "$1"
}
ws() { # HOST PORT PATH ACTIONS...
    echo '```'
    echo "\$ wsprobe.py $(q "$@")"
    "$PY" "$S/wsprobe.py" "$@" 2>&1
    echo '```'
}
sid() { # sid from the last body
    "$PY" -c 'import re,sys; print(re.search(r"\"sid\":\"([^\"]+)\"", open(sys.argv[1],"rb").read().decode("latin-1")).group(1))' "$LAST"
}
declare -A SEEN
stderr_of() { # NAME : show what a server wrote on stderr since the last look
    local f="$WORK/$1.err" from="${SEEN[$1]:-0}" size
    size=$(stat -c %s "$f")
    echo "stderr of \`$1\` since the last look:"
    echo '```'
    if [ "$size" -gt "$from" ]; then tail -c +"$((from + 1))" "$f"; else echo "(empty)"; fi
    echo '```'
    SEEN[$1]=$size
}
nginx_conf() { # VARIANT PREFIX LISTEN UP1 [UP2]
    mkdir -p "$2"
    sed -e "s#{{PREFIX}}#$2#g; s#{{LISTEN_PORT}}#$3#g; s#{{UPSTREAM_1}}#$4#g; s#{{UPSTREAM_2}}#${5:-}#g" \
        "$S/nginx-$1.conf.template" > "$2/nginx.conf"
}
accesslog() { # PREFIX
    echo "nginx access.log:"; echo '```'; cat "$1/access.log"; echo '```'
}

echo "## Processes (started by capture_wire.sh)"
echo
start py_default "$PY" "$S/py_healthy.py" "$PYD"
start py_cors "$PY" "$S/py_healthy.py" "$PYC" --cors http://allowed.example
start node4 node "$S/node4.js" "$N4"
start node4_cors node "$S/node4.js" "$N4C" --cors http://allowed.example
start node4_eio3 node "$S/node4.js" "$N4E" --eio3
start node2 node "$S/node2.js" "$N2"
start node4_b node "$S/node4.js" "$N4B"
start node4_bare node "$S/node4.js" "$N4BARE" --bare
start gunicorn_w1 "$P/py/bin/gunicorn" --chdir "$S" -w 1 -b "127.0.0.1:$G1" flask_app:app
start gunicorn_w2 "$P/py/bin/gunicorn" --chdir "$S" -w 2 -b "127.0.0.1:$G2" flask_app:app
for n in py_default py_cors node4 node4_cors node4_eio3 node2 node4_b node4_bare; do wait_ready "$n" || exit 1; done
wait_http "$G1" /health || exit 1
wait_http "$G2" /health || exit 1
for v in "plain $NX_PLAIN_N4 127.0.0.1:$N4" "plain $NX_PLAIN_PY 127.0.0.1:$PYD" \
         "upgrade $NX_UP_N4 127.0.0.1:$N4" "upgrade $NX_UP_PY 127.0.0.1:$PYD" \
         "roundrobin $NX_RR 127.0.0.1:$N4 127.0.0.1:$N4B" "plain $NX_DOWN 127.0.0.1:$DEAD"; do
    set -- $v
    nginx_conf "$1" "$WORK/nginx-$2" "$2" "$3" "${4:-}"
    start "nginx_$2" "$P/bin/nginx" -e stderr -p "$WORK/nginx-$2/" -c "$WORK/nginx-$2/nginx.conf" -g 'daemon off;'
    wait_tcp "$2" || exit 1
done
echo
echo "Ports: py_default=$PYD py_cors=$PYC node4=$N4 node4_cors=$N4C node4_eio3=$N4E node2=$N2 node4_b=$N4B node4_bare=$N4BARE"
echo "gunicorn_w1=$G1 gunicorn_w2=$G2; nginx: plain->node4 $NX_PLAIN_N4, plain->py $NX_PLAIN_PY,"
echo "upgrade->node4 $NX_UP_N4, upgrade->py $NX_UP_PY, roundrobin(node4,node4_b) $NX_RR, plain->dead :$DEAD $NX_DOWN"
echo

H="http://127.0.0.1"
PLH="transport=polling"

# ---------------------------------------------------------------------------
polling_set() { # PORT : the common Engine.IO v4 polling checks
    local port="$1" s
    echo "#### Open packet"; req "$H:$port/socket.io/?EIO=4&$PLH"; s=$(sid)
    echo "#### POST \`40\` (CONNECT /), then GET"
    req -X POST -H 'Content-Type: text/plain;charset=UTF-8' --data-binary '40' "$H:$port/socket.io/?EIO=4&$PLH&sid=$s"
    req "$H:$port/socket.io/?EIO=4&$PLH&sid=$s"
    echo "#### POST \`421[\"ping\"]\` (event with ack id 1), then GET"
    req -X POST -H 'Content-Type: text/plain;charset=UTF-8' --data-binary '421["ping"]' "$H:$port/socket.io/?EIO=4&$PLH&sid=$s"
    req "$H:$port/socket.io/?EIO=4&$PLH&sid=$s"
    echo "#### POST \`40/admin,\` (no auth), then GET"
    req -X POST -H 'Content-Type: text/plain;charset=UTF-8' --data-binary '40/admin,' "$H:$port/socket.io/?EIO=4&$PLH&sid=$s"
    req "$H:$port/socket.io/?EIO=4&$PLH&sid=$s"
    echo "#### POST \`40/admin,{\"token\":\"secret\"}\`, then GET"
    req -X POST -H 'Content-Type: text/plain;charset=UTF-8' --data-binary '40/admin,{"token":"secret"}' "$H:$port/socket.io/?EIO=4&$PLH&sid=$s"
    req "$H:$port/socket.io/?EIO=4&$PLH&sid=$s"
    echo "#### Two packets in one POST (\\x1e-separated), on a fresh session after \`40\`"
    req "$H:$port/socket.io/?EIO=4&$PLH"; s=$(sid)
    req -X POST --data-binary '40' "$H:$port/socket.io/?EIO=4&$PLH&sid=$s"
    req "$H:$port/socket.io/?EIO=4&$PLH&sid=$s"
    req -X POST --data-binary $'40/admin,{"token":"x"}\x1e421["ping"]' "$H:$port/socket.io/?EIO=4&$PLH&sid=$s"
    req "$H:$port/socket.io/?EIO=4&$PLH&sid=$s"
    echo "#### EIO=3"; req "$H:$port/socket.io/?EIO=3&$PLH"
    echo "#### No EIO parameter"; req "$H:$port/socket.io/?$PLH"
    echo "#### Unknown sid"; req "$H:$port/socket.io/?EIO=4&$PLH&sid=bogus"
    echo "#### Unknown sid, POST"; req -X POST --data-binary '40' "$H:$port/socket.io/?EIO=4&$PLH&sid=bogus"
    echo "#### transport=bogus"; req "$H:$port/socket.io/?EIO=4&transport=bogus"
    echo "#### /health"; req "$H:$port/health"
    echo "#### Path not served: /nope/"; req "$H:$port/nope/?EIO=4&$PLH"
    echo "#### transport=websocket over plain GET (no Upgrade header)"; req "$H:$port/socket.io/?EIO=4&transport=websocket"
    echo "#### WebSocket session (raw frames)"
    ws 127.0.0.1 "$port" "/socket.io/?EIO=4&transport=websocket" read:0.3 send:40 read:0.3 'send:421["ping"]' read:0.3 'send:40/admin,' read:0.3 'send:40/admin,{"token":"secret"}' read:0.3
    echo "#### An abandoned long-poll: GET with nothing queued, client gives up after 2 s, then POST on the same sid"
    req "$H:$port/socket.io/?EIO=4&$PLH"; s=$(sid)
    req -X POST --data-binary '40' "$H:$port/socket.io/?EIO=4&$PLH&sid=$s"
    req "$H:$port/socket.io/?EIO=4&$PLH&sid=$s"
    MAXT=2 req "$H:$port/socket.io/?EIO=4&$PLH&sid=$s"
    sleep 0.2
    req -X POST --data-binary '421["ping"]' "$H:$port/socket.io/?EIO=4&$PLH&sid=$s"
    MAXT=2 req "$H:$port/socket.io/?EIO=4&$PLH&sid=$s"
}
origin_set() { # PORT
    local port="$1"
    echo "#### Handshake with \`Origin: http://evil.example\`"
    req -H 'Origin: http://evil.example' "$H:$port/socket.io/?EIO=4&$PLH"
    echo "#### Handshake with \`Origin: http://allowed.example\`"
    req -H 'Origin: http://allowed.example' "$H:$port/socket.io/?EIO=4&$PLH"
    echo "#### Handshake with \`Origin: http://127.0.0.1:$port\` (same origin as Host)"
    req -H "Origin: http://127.0.0.1:$port" "$H:$port/socket.io/?EIO=4&$PLH"
    echo "#### Preflight OPTIONS from http://evil.example"
    req -X OPTIONS -H 'Origin: http://evil.example' -H 'Access-Control-Request-Method: POST' -H 'Access-Control-Request-Headers: content-type' "$H:$port/socket.io/?EIO=4&$PLH"
    echo "#### Preflight OPTIONS from http://allowed.example"
    req -X OPTIONS -H 'Origin: http://allowed.example' -H 'Access-Control-Request-Method: POST' -H 'Access-Control-Request-Headers: content-type' "$H:$port/socket.io/?EIO=4&$PLH"
    echo "#### WebSocket upgrade with \`Origin: http://evil.example\`"
    ws 127.0.0.1 "$port" "/socket.io/?EIO=4&transport=websocket" 'H:Origin: http://evil.example' read:0.3
}

echo "## 1. py_healthy (python-socketio AsyncServer on aiohttp), default cors_allowed_origins"
echo
polling_set "$PYD"
origin_set "$PYD"
echo "#### Side finding: POST \`6\` (a noop packet from the client) to python-engineio"
req "$H:$PYD/socket.io/?EIO=4&$PLH"; s=$(sid)
MAXT=3 req -X POST --data-binary '6' "$H:$PYD/socket.io/?EIO=4&$PLH&sid=$s"
MAXT=3 req "$H:$PYD/socket.io/?EIO=4&$PLH&sid=$s"
MAXT=3 req "$H:$PYD/socket.io/?EIO=4&$PLH&sid=$s"
stderr_of py_default
echo
echo "## 1b. py_healthy --cors http://allowed.example"
echo
origin_set "$PYC"
stderr_of py_cors

echo
echo "## 2. node4 (socket.io 4, no options)"
echo
polling_set "$N4"
origin_set "$N4"
stderr_of node4
echo
echo "## 2b. node4 --cors http://allowed.example"
echo
origin_set "$N4C"
stderr_of node4_cors
echo
echo "## 2c. node4 --eio3 (allowEIO3: true)"
echo
echo "#### EIO=3 handshake"; req "$H:$N4E/socket.io/?EIO=3&$PLH"; s=$(sid)
echo "#### EIO=3: GET after the handshake"; req "$H:$N4E/socket.io/?EIO=3&$PLH&sid=$s"
echo "#### EIO=3: POST \`$(v3 '421["ping"]')\` (v3 framing), then GET"
req -X POST --data-binary "$(v3 '421["ping"]')" "$H:$N4E/socket.io/?EIO=3&$PLH&sid=$s"
req "$H:$N4E/socket.io/?EIO=3&$PLH&sid=$s"
echo "#### EIO=3: POST \`$(v3 '40/admin')\` (socket.io v2 CONNECT to /admin, no auth), then GET"
req -X POST --data-binary "$(v3 '40/admin')" "$H:$N4E/socket.io/?EIO=3&$PLH&sid=$s"
req "$H:$N4E/socket.io/?EIO=3&$PLH&sid=$s"
echo "#### EIO=3: POST \`$(v3 '40/admin,{"token":"secret"}')\` (v4-style auth payload over v3), then GET"
req -X POST --data-binary "$(v3 '40/admin,{"token":"secret"}')" "$H:$N4E/socket.io/?EIO=3&$PLH&sid=$s"
req "$H:$N4E/socket.io/?EIO=3&$PLH&sid=$s"
echo "#### EIO=3: POST \`$(v3 '40/admin?token=secret')\` (how a socket.io 2 client sends auth: query in the nsp), then GET"
req -X POST --data-binary "$(v3 '40/admin?token=secret')" "$H:$N4E/socket.io/?EIO=3&$PLH&sid=$s"
req "$H:$N4E/socket.io/?EIO=3&$PLH&sid=$s"
echo "#### EIO=3: POST with a WRONG length prefix \`12:421[\"ping\"]\` (the packet is 11 chars), then GET"
req -X POST --data-binary '12:421["ping"]' "$H:$N4E/socket.io/?EIO=3&$PLH&sid=$s"
req "$H:$N4E/socket.io/?EIO=3&$PLH&sid=$s"
echo "#### EIO=3 websocket session"
ws 127.0.0.1 "$N4E" "/socket.io/?EIO=3&transport=websocket" read:0.3 'send:421["ping"]' read:0.3
echo "#### EIO=4 on the same server"; req "$H:$N4E/socket.io/?EIO=4&$PLH"
stderr_of node4_eio3
echo
echo "## 2d. node4 --bare (http.createServer() with no request listener)"
echo
MAXT=3 req "$H:$N4BARE/health"
MAXT=3 req "$H:$N4BARE/nope/?EIO=4&$PLH"
req "$H:$N4BARE/socket.io/?EIO=4&$PLH"
stderr_of node4_bare

echo
echo "## 3. node2 (socket.io 2.5, Engine.IO v3)"
echo
echo "#### EIO=4 request"; req "$H:$N2/socket.io/?EIO=4&$PLH"
echo "#### no EIO parameter"; req "$H:$N2/socket.io/?$PLH"
echo "#### EIO=3 handshake"; req "$H:$N2/socket.io/?EIO=3&$PLH"; s=$(sid)
echo "#### EIO=3: POST \`$(v3 '421["ping"]')\`, then GET"
req -X POST --data-binary "$(v3 '421["ping"]')" "$H:$N2/socket.io/?EIO=3&$PLH&sid=$s"
req "$H:$N2/socket.io/?EIO=3&$PLH&sid=$s"
echo "#### EIO=3: POST \`$(v3 '40/admin')\` (CONNECT to a namespace that does not exist), then GET"
req -X POST --data-binary "$(v3 '40/admin')" "$H:$N2/socket.io/?EIO=3&$PLH&sid=$s"
req "$H:$N2/socket.io/?EIO=3&$PLH&sid=$s"
echo "#### EIO=3: POST \`$(v3 '40/admin,{"token":"secret"}')\` (v4-style CONNECT with auth payload), then GET"
req -X POST --data-binary "$(v3 '40/admin,{"token":"secret"}')" "$H:$N2/socket.io/?EIO=3&$PLH&sid=$s"
req "$H:$N2/socket.io/?EIO=3&$PLH&sid=$s"
echo "#### EIO=3: POST in v4 framing (no length prefix): \`40\`"
req -X POST --data-binary '40' "$H:$N2/socket.io/?EIO=3&$PLH&sid=$s"
req "$H:$N2/socket.io/?EIO=3&$PLH&sid=$s"
echo "#### Unknown sid"; req "$H:$N2/socket.io/?EIO=3&$PLH&sid=bogus"
echo "#### transport=bogus"; req "$H:$N2/socket.io/?EIO=3&transport=bogus"
echo "#### /health"; req "$H:$N2/health"
echo "#### /nope/"; req "$H:$N2/nope/?EIO=3&$PLH"
echo "#### Origin: http://evil.example"; req -H 'Origin: http://evil.example' "$H:$N2/socket.io/?EIO=3&$PLH"
echo "#### b64=1 handshake"; req "$H:$N2/socket.io/?EIO=3&$PLH&b64=1"
echo "#### EIO=3 websocket session"
ws 127.0.0.1 "$N2" "/socket.io/?EIO=3&transport=websocket" read:0.3 'send:421["ping"]' read:0.3 'send:40/admin' read:0.3
echo "#### EIO=4 websocket"
ws 127.0.0.1 "$N2" "/socket.io/?EIO=4&transport=websocket" read:0.3
echo "#### An abandoned long-poll (nothing queued after the handshake, client gives up after 2 s), then POST"
req "$H:$N2/socket.io/?EIO=3&$PLH"; s=$(sid)
MAXT=2 req "$H:$N2/socket.io/?EIO=3&$PLH&sid=$s"
sleep 0.2
req -X POST --data-binary "$(v3 '421["ping"]')" "$H:$N2/socket.io/?EIO=3&$PLH&sid=$s"
stderr_of node2

echo
echo "## 4. Flask-SocketIO under \`gunicorn -w 1\` (sync worker)"
echo
stderr_of gunicorn_w1
echo "#### /health"; req "$H:$G1/health"
echo "#### Open packet"; req "$H:$G1/socket.io/?EIO=4&$PLH"; s=$(sid)
echo "#### POST 40, GET"
req -X POST --data-binary '40' "$H:$G1/socket.io/?EIO=4&$PLH&sid=$s"
req "$H:$G1/socket.io/?EIO=4&$PLH&sid=$s"
echo "#### POST \`40/admin,\`, GET"
req -X POST --data-binary '40/admin,' "$H:$G1/socket.io/?EIO=4&$PLH&sid=$s"
req "$H:$G1/socket.io/?EIO=4&$PLH&sid=$s"
echo "#### Unknown sid"; req "$H:$G1/socket.io/?EIO=4&$PLH&sid=bogus"
echo "#### EIO=3"; req "$H:$G1/socket.io/?EIO=3&$PLH"
echo "#### /nope/"; req "$H:$G1/nope/?EIO=4&$PLH"
stderr_of gunicorn_w1
echo "#### WebSocket upgrade, no sid"
ws 127.0.0.1 "$G1" "/socket.io/?EIO=4&transport=websocket" read:1 send:40 read:1 'send:421["ping"]' read:1
sleep 1; stderr_of gunicorn_w1
echo "#### WebSocket upgrade with a valid sid from a polling handshake (the client's transport upgrade)"
req "$H:$G1/socket.io/?EIO=4&$PLH"; s=$(sid)
ws 127.0.0.1 "$G1" "/socket.io/?EIO=4&transport=websocket&sid=$s" send:2probe read:1 send:5 read:1 send:40 read:1
sleep 1; stderr_of gunicorn_w1
echo "#### Is the server still answering after that?"; req "$H:$G1/health"
echo "#### A pending long-poll GET occupies the only sync worker"
req "$H:$G1/socket.io/?EIO=4&$PLH"; s=$(sid)
echo "Background: \`curl -sS -i --max-time 40 '$H:$G1/socket.io/?EIO=4&$PLH&sid=$s'\` (started at t=0; nothing queued so it long-polls)"
( curl -sS -i --max-time 40 -o "$WORK/bg.out" -w '%{time_total}' "$H:$G1/socket.io/?EIO=4&$PLH&sid=$s" > "$WORK/bg.time" 2>&1 ) &
BG=$!
sleep 0.5
echo "Then, 0.5 s later, a POST \`40\` on the same sid (max-time 40):"
MAXT=40 req -X POST --data-binary '40' "$H:$G1/socket.io/?EIO=4&$PLH&sid=$s"
echo "Then GET /health (max-time 40):"
MAXT=40 req "$H:$G1/health"
wait "$BG"
echo "The background long-poll answered (time_total=$(cat "$WORK/bg.time")s):"
echo '```'; "$PY" "$S/fmt_http.py" "$WORK/bg.out"; echo '```'
echo "#### Same, but the second request is a websocket attempt (wsprobe gives up after 5 s)"
req "$H:$G1/socket.io/?EIO=4&$PLH"; s=$(sid)
( curl -sS -i --max-time 40 -o "$WORK/bg.out" -w '%{time_total}' "$H:$G1/socket.io/?EIO=4&$PLH&sid=$s" > "$WORK/bg.time" 2>&1 ) &
BG=$!
sleep 0.5
ws 127.0.0.1 "$G1" "/socket.io/?EIO=4&transport=websocket" read:3
wait "$BG"
echo "The background long-poll answered (time_total=$(cat "$WORK/bg.time")s):"
echo '```'; "$PY" "$S/fmt_http.py" "$WORK/bg.out"; echo '```'
sleep 1; stderr_of gunicorn_w1
echo "#### A websocket held open for 40 s (gunicorn's default worker timeout is 30 s); GET /health at t=1 s"
echo "Background: \`wsprobe.py 127.0.0.1 $G1 '/socket.io/?EIO=4&transport=websocket' send:40 read:40\`"
( "$PY" "$S/wsprobe.py" 127.0.0.1 "$G1" "/socket.io/?EIO=4&transport=websocket" read:0.2 send:40 read:40 > "$WORK/bgws.out" 2>&1 ) &
BG=$!
sleep 1
MAXT=45 req "$H:$G1/health"
wait "$BG"
echo "The background websocket:"
echo '```'; cat "$WORK/bgws.out"; echo '```'
sleep 1; stderr_of gunicorn_w1
echo "#### After that"; req "$H:$G1/health"

echo
echo "## 5. Flask-SocketIO under \`gunicorn -w 2\` (sync workers, no sticky sessions)"
echo
stderr_of gunicorn_w2
echo "#### Open packet"; req "$H:$G2/socket.io/?EIO=4&$PLH"; s=$(sid)
echo "#### 8 × POST \`3\` (a pong; harmless) on that sid, each over a fresh connection"
echo '```'
for i in 1 2 3 4 5 6 7 8; do reqs -X POST --data-binary '3' "$H:$G2/socket.io/?EIO=4&$PLH&sid=$s"; done
echo '```'
echo "One of those 400s in full:"
for i in 1 2 3 4 5 6; do
    req -X POST --data-binary '3' "$H:$G2/socket.io/?EIO=4&$PLH&sid=$s" > "$WORK/one.md"
    grep -q '400' "$WORK/one.md" && break
done
cat "$WORK/one.md"
echo "#### 20 fresh sessions (open, then POST 40 over a new connection): which POSTs hit the other worker?"
echo '```'
ok=0; bad=0
for i in $(seq 20); do
    reqs "$H:$G2/socket.io/?EIO=4&$PLH" > /dev/null; s=$(sid)
    line=$(reqs -X POST --data-binary '40' "$H:$G2/socket.io/?EIO=4&$PLH&sid=$s" | tail -1)
    case "$line" in *"200 OK"*) ok=$((ok+1));; *) bad=$((bad+1)); echo "session $i: $line";; esac
done
echo "POST 40 answered 200 OK: $ok, other: $bad (of 20)"
echo '```'
echo "#### What a client does: open, POST 40, GET (max-time 3), three fresh sessions"
echo '```'
for i in 1 2 3; do
    MAXT=5 reqs "$H:$G2/socket.io/?EIO=4&$PLH"; s=$(sid)
    reqs -X POST --data-binary '40' "$H:$G2/socket.io/?EIO=4&$PLH&sid=$s"
    MAXT=3 reqs "$H:$G2/socket.io/?EIO=4&$PLH&sid=$s"
    echo
done
echo '```'
sleep 1; stderr_of gunicorn_w2

echo
echo "## 6. nginx WITHOUT the Upgrade/Connection headers"
echo
echo "#### -> node4: websocket upgrade (raw bytes: the body is chunked)"
ws 127.0.0.1 "$NX_PLAIN_N4" "/socket.io/?EIO=4&transport=websocket" read:0.5
echo "#### -> node4: the same with curl"
req -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "$H:$NX_PLAIN_N4/socket.io/?EIO=4&transport=websocket"
echo "#### -> node4: polling handshake through it"
req "$H:$NX_PLAIN_N4/socket.io/?EIO=4&$PLH"
echo "#### -> node4: /health"
req "$H:$NX_PLAIN_N4/health"
accesslog "$WORK/nginx-$NX_PLAIN_N4"
echo "#### -> py_healthy: websocket upgrade"
ws 127.0.0.1 "$NX_PLAIN_PY" "/socket.io/?EIO=4&transport=websocket" read:0.5
echo "#### -> py_healthy: polling handshake through it"
req "$H:$NX_PLAIN_PY/socket.io/?EIO=4&$PLH"
echo "#### -> py_healthy: handshake with Origin http://127.0.0.1:$NX_PLAIN_PY (the proxy's own origin; nginx forwards Host: \$host, without the port)"
req -H "Origin: http://127.0.0.1:$NX_PLAIN_PY" "$H:$NX_PLAIN_PY/socket.io/?EIO=4&$PLH"
accesslog "$WORK/nginx-$NX_PLAIN_PY"
echo
echo "## 6b. nginx WITH the Upgrade/Connection headers"
echo
echo "#### -> node4: websocket session"
ws 127.0.0.1 "$NX_UP_N4" "/socket.io/?EIO=4&transport=websocket" read:0.3 send:40 read:0.3
echo "#### -> py_healthy: websocket session"
ws 127.0.0.1 "$NX_UP_PY" "/socket.io/?EIO=4&transport=websocket" read:0.3 send:40 read:0.3
echo "#### -> node4: polling handshake"
req "$H:$NX_UP_N4/socket.io/?EIO=4&$PLH"
accesslog "$WORK/nginx-$NX_UP_N4"
accesslog "$WORK/nginx-$NX_UP_PY"
stderr_of "nginx_$NX_PLAIN_N4"; stderr_of "nginx_$NX_PLAIN_PY"; stderr_of "nginx_$NX_UP_N4"; stderr_of "nginx_$NX_UP_PY"

echo
echo "## 7. nginx round-robin over node4 + node4_b, no sticky sessions"
echo
echo "#### Open packet, then 6 × POST \`3\` (pong; harmless) on that sid"
req "$H:$NX_RR/socket.io/?EIO=4&$PLH"; s=$(sid)
echo '```'
for i in 1 2 3 4 5 6; do reqs -X POST --data-binary '3' "$H:$NX_RR/socket.io/?EIO=4&$PLH&sid=$s"; done
echo '```'
echo "#### What a client does: open, POST 40, GET (max-time 3), three fresh sessions"
echo '```'
for i in 1 2 3; do
    reqs "$H:$NX_RR/socket.io/?EIO=4&$PLH"; s=$(sid)
    reqs -X POST --data-binary '40' "$H:$NX_RR/socket.io/?EIO=4&$PLH&sid=$s"
    MAXT=3 reqs "$H:$NX_RR/socket.io/?EIO=4&$PLH&sid=$s"
    echo
done
echo '```'
echo "#### Websocket upgrade with a polling sid (the client's transport upgrade), twice"
req "$H:$NX_RR/socket.io/?EIO=4&$PLH"; s=$(sid)
ws 127.0.0.1 "$NX_RR" "/socket.io/?EIO=4&transport=websocket&sid=$s" send:2probe read:0.5
ws 127.0.0.1 "$NX_RR" "/socket.io/?EIO=4&transport=websocket&sid=$s" send:2probe read:0.5
echo "#### Plain websocket (no sid) works on both upstreams"
ws 127.0.0.1 "$NX_RR" "/socket.io/?EIO=4&transport=websocket" read:0.3 send:40 read:0.3
ws 127.0.0.1 "$NX_RR" "/socket.io/?EIO=4&transport=websocket" read:0.3 send:40 read:0.3
accesslog "$WORK/nginx-$NX_RR"
stderr_of "nginx_$NX_RR"

echo
echo "## 8. nginx with its upstream down (127.0.0.1:$DEAD, nothing listening)"
echo
req "$H:$NX_DOWN/socket.io/?EIO=4&$PLH"
req "$H:$NX_DOWN/health"
ws 127.0.0.1 "$NX_DOWN" "/socket.io/?EIO=4&transport=websocket" read:0.3
accesslog "$WORK/nginx-$NX_DOWN"
stderr_of "nginx_$NX_DOWN"
