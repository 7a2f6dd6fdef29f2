# What benches/run and benches/latency share: sourced (from the checkout's
# root), not run. Sets WORK (a temporary directory) and PIDS (what to kill on
# exit), and defines the helpers below.
#
#   bench_build QUICK     builds rtdoctor (release, or debug when QUICK=1); sets BIN
#   start_py_healthy      python-socketio 5 on aiohttp, default ping settings; sets PY_PORT
#   start_nginx_tls UP    nginx terminating TLS (a CA and a localhost leaf made with
#                         openssl) in front of 127.0.0.1:UP; sets NGINX_PORT and CA
#   start_latency UP D    benches/latency_proxy.py in front of 127.0.0.1:UP, D ms each
#                         way; sets LATENCY_PORT
#   bench NAME RUNS WARM CMD…  hyperfine into $WORK/NAME.json (and NAME.txt)
#   latency_case QUICK    rtdoctor vs two curls through the latency proxy (25 ms each
#                         way), plain and TLS: 10 runs (2 warm-up) and 5 JSON reports,
#                         or with QUICK=1 3 runs (1 warm-up) and 2 reports; stops the
#                         servers it started; benches/latency_report.py reads what it
#                         leaves in $WORK

# The peers (hyperfine, nginx, python-socketio) into target/peers, on a
# fresh machine too (with the caller's proxy settings, which downloads may
# need); a second run is a no-op.
scripts/provision >/dev/null

# Loopback only: no proxy in between, nothing from the caller's rtdoctor settings.
unset http_proxy https_proxy all_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY no_proxy NO_PROXY NO_COLOR
while read -r var; do unset "$var"; done < <(env | sed -n 's/^\(RTDOCTOR_[A-Z_]*\)=.*/\1/p')

need() { command -v "$1" >/dev/null 2>&1 || { echo "benches: $1 is missing: $2" >&2; exit 1; }; }
need python3 "apt-get install python3"
need curl "apt-get install curl"

HF=target/peers/bin/hyperfine
[ -x "$HF" ] || { echo "benches: $HF is missing: scripts/provision did not install it" >&2; exit 1; }

WORK="$(mktemp -d)"
PIDS=()
bench_cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bench_build() {
    if [ "$1" = 1 ]; then
        cargo build -q
        BIN=target/debug/rtdoctor
    else
        cargo build -q --release
        BIN=target/release/rtdoctor
    fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_http() { # URL, the server's log, [curl options…]
    local url="$1" log="$2"; shift 2
    for _ in $(seq 1 100); do curl -s -m 1 -o /dev/null "$@" "$url" && return 0; sleep 0.1; done
    echo "benches: $url did not come up; its log:" >&2
    cat "$log" >&2
    exit 1
}

start_py_healthy() {
    PY_PORT="$(free_port)"
    target/peers/py/bin/python tests/servers/py_healthy.py "$PY_PORT" > "$WORK/py-$PY_PORT.log" 2>&1 &
    PIDS+=($!)
    wait_http "http://127.0.0.1:$PY_PORT/health" "$WORK/py-$PY_PORT.log"
}

# Run a command with its stderr kept back, and shown only if it fails.
quiet() {
    "$@" 2> "$WORK/quiet.log" || { cat "$WORK/quiet.log" >&2; return 1; }
}

start_nginx_tls() { # upstream port
    need openssl "apt-get install openssl"
    local dir="$WORK/nginx-tls"
    mkdir -p "$dir"
    CA="$dir/ca.pem"
    local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
    quiet openssl req -x509 "${ec[@]}" -keyout "$dir/ca.key" -out "$CA" -days 365 \
        -subj "/CN=rtdoctor bench CA" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    quiet openssl req "${ec[@]}" -keyout "$dir/leaf.key" -out "$dir/leaf.csr" -subj /CN=localhost
    printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
        "extendedKeyUsage=serverAuth" "subjectAltName=DNS:localhost,IP:127.0.0.1" > "$dir/leaf.ext"
    quiet openssl x509 -req -in "$dir/leaf.csr" -CA "$CA" -CAkey "$dir/ca.key" -CAcreateserial \
        -days 365 -extfile "$dir/leaf.ext" -out "$dir/leaf.pem"
    NGINX_PORT="$(free_port)"
    sed -e "s|{{PREFIX}}|$dir|g" -e "s|{{LISTEN_PORT}}|$NGINX_PORT|g" \
        -e "s|{{UPSTREAM_1}}|127.0.0.1:$1|g" -e "s|{{CERT}}|$dir/leaf.pem|g" \
        -e "s|{{KEY}}|$dir/leaf.key|g" tests/servers/nginx-tls.conf.template > "$dir/nginx.conf"
    target/peers/bin/nginx -e stderr -p "$dir/" -c "$dir/nginx.conf" -g "daemon off;" \
        > "$dir/stderr" 2>&1 &
    PIDS+=($!)
    wait_http "https://localhost:$NGINX_PORT/health" "$dir/stderr" --cacert "$CA"
}

start_latency() { # upstream port, delay in ms each way
    LATENCY_PORT="$(free_port)"
    python3 benches/latency_proxy.py "$LATENCY_PORT" "127.0.0.1:$1" "$2" > "$WORK/latency-$LATENCY_PORT.log" 2>&1 &
    PIDS+=($!)
    local log="$WORK/latency-$LATENCY_PORT.log"
    for _ in $(seq 1 100); do grep -q ready "$log" && return 0; sleep 0.1; done
    echo "benches: the latency proxy on $LATENCY_PORT did not come up; its log:" >&2
    cat "$log" >&2
    exit 1
}

bench() { # name, runs, warm-up runs, commands…
    local name="$1" runs="$2" warm="$3"; shift 3
    "$HF" -N -i --warmup "$warm" --runs "$runs" --export-json "$WORK/$name.json" --style basic "$@" > "$WORK/$name.txt"
}

# Two `curl`s, as a person checks a Socket.IO server: /health, then the
# polling handshake. Written to $WORK/NAME.sh; fails if either fails.
two_curls() { # name, base URL, curl options…
    local name="$1" base="$2"; shift 2
    {
        echo "#!/bin/sh"
        echo "set -e"
        echo "curl -s -m 5 -o /dev/null $* $base/health"
        echo "curl -s -m 5 -o /dev/null $* \"$base/socket.io/?EIO=4&transport=polling\""
    } > "$WORK/$name.sh"
}

# rtdoctor's JSON report CHECK_RUNS times: $WORK/NAME-checks-I.json, and its
# exit code in NAME-checks-I.rc.
check_json_runs() { # name, runs, rtdoctor check arguments…
    local name="$1" runs="$2"; shift 2
    for i in $(seq 1 "$runs"); do
        local rc=0
        "$BIN" check "$@" --format json > "$WORK/$name-checks-$i.json" || rc=$?
        echo "$rc" > "$WORK/$name-checks-$i.rc"
    done
}

latency_case() { # quick
    local runs=10 warm=2 json_runs=5 delay=25
    [ "$1" = 1 ] && { runs=3; warm=1; json_runs=2; }
    echo "{\"delay_ms\": $delay, \"runs\": $runs, \"warmup\": $warm}" > "$WORK/latency-meta.json"
    local first="${#PIDS[@]}"
    local app; start_py_healthy; app="$PY_PORT"
    start_latency "$app" "$delay"
    local plain="$LATENCY_PORT"
    start_nginx_tls "$app"
    start_latency "$NGINX_PORT" "$delay"
    local tls="$LATENCY_PORT"

    two_curls latency-plain-curls "http://127.0.0.1:$plain"
    two_curls latency-tls-curls "https://localhost:$tls" --cacert "$CA"
    bench latency-plain "$runs" "$warm" "$BIN check 127.0.0.1:$plain" "sh $WORK/latency-plain-curls.sh"
    bench latency-tls "$runs" "$warm" "$BIN check https://localhost:$tls --cacert $CA" "sh $WORK/latency-tls-curls.sh"
    check_json_runs latency-plain "$json_runs" "127.0.0.1:$plain"
    check_json_runs latency-tls "$json_runs" "https://localhost:$tls" --cacert "$CA"

    # Its servers and proxies are not left running beside what is measured next.
    local p
    for p in "${PIDS[@]:first}"; do kill "$p" 2>/dev/null || true; done
    PIDS=("${PIDS[@]:0:first}")
}
