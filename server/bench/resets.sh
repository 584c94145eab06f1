#!/usr/bin/env bash
# Benchmark of device resets: 40,000 devices queued and notified unthrottled (SIP NOTIFY over UDP
# on loopback, RFC 3261 transactions) against the phone simulator, end to end: from the request
# that starts the job to the job's end with every device acknowledged. Prints figures; asserts
# nothing. Run by `make bench`, on SQLite and on PostgreSQL.
#
#  1. `ccmadmin demo --phones 40000`; the console; `phone-sim --count 40000 --no-fetch`
#     registers the 40,000 phones (SEP001122000000 onwards, the demo's names) on 16 UDP sockets.
#  2. `POST /api/v1/phones/reset {"filter":{"name":"SEP"},"type":"restart","rate":0}`, then the job
#     is read every 100 ms until it is done.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=./target/release/ccmadmin
SIM=./target/release/phone-sim
PORT=${BENCH_PORT:-18446}
COUNT=${BENCH_DEVICES:-40000}
TFTP_PORT=${BENCH_TFTP_PORT:-16970}
PASSWORD='benchmark passphrase'
PG_URL=${CCMADMIN_TEST_PG_URL:-postgres://ccmadmin:ccmadmin@127.0.0.1:5432/postgres}
pids=()
dir=
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
  [ -n "$dir" ] && rm -rf "$dir"
}
trap cleanup EXIT
base="https://127.0.0.1:$PORT"

run() {
  local label=$1 url=$2
  dir=$(mktemp -d)
  env=(CCMADMIN_DATA_DIR="$dir" CCMADMIN_BIND="127.0.0.1:$PORT" CCMADMIN_BOOTSTRAP_PASSWORD="$PASSWORD"
       CCMADMIN_TFTP_BIND="127.0.0.1:$TFTP_PORT" CCMADMIN_SIP_BIND=127.0.0.1:0
       CCMADMIN_CTL_PROVIDER_BIND=127.0.0.1:0 CCMADMIN_SIP_TLS_BIND=127.0.0.1:0 CCMADMIN_CAPF_BIND=127.0.0.1:0 RUST_LOG=warn)
  [ -n "$url" ] && env+=(DATABASE_URL="$url")
  echo "== $label"
  env "${env[@]}" "$BIN" demo --phones "$COUNT" >/dev/null
  env "${env[@]}" "$BIN" serve >"$dir/serve.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do curl -ksf "$base/healthz" >/dev/null && break; sleep 0.1; done
  curl -ksf -c "$dir/jar" -H 'Content-Type: application/json' \
    -d "{\"username\":\"CCMAdministrator\",\"password\":\"$PASSWORD\"}" "$base/api/v1/login" >/dev/null
  api() { curl -ks --fail-with-body -b "$dir/jar" -H 'Content-Type: application/json' -H "Origin: $base" "$@"; }

  local start
  start=$(date +%s.%N)
  env "${env[@]}" "$SIM" --count "$COUNT" --first-mac 001122000000 --no-fetch \
    --console "$base" --tftp "127.0.0.1:$TFTP_PORT" >"$dir/sim.log" 2>&1 &
  pids+=($!)
  until grep -q 'phones registered' "$dir/sim.log"; do
    kill -0 "${pids[1]}" 2>/dev/null || { cat "$dir/sim.log"; exit 1; }
    sleep 0.2
  done
  echo "$COUNT simulated phones registered in $(python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$start" "$(date +%s.%N)") s"

  # One Python process starts the job and reads it every 100 ms (no process per poll).
  python3 - "$base" "$dir/jar" <<'PY'
import http.cookiejar, json, ssl, sys, time, urllib.request
base, jar_path = sys.argv[1], sys.argv[2]
jar = http.cookiejar.MozillaCookieJar(jar_path)
jar.load(ignore_discard=True, ignore_expires=True)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx), urllib.request.HTTPCookieProcessor(jar))
def call(path, body=None):
    req = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json", "Origin": base})
    return json.load(opener.open(req))
start = time.monotonic()
job = call("/api/v1/phones/reset", {"filter": {"name": "SEP"}, "type": "restart", "rate": 0})
while job["status"] == "Running":
    time.sleep(0.1)
    job = call("/api/v1/jobs/%d" % job["id"])
secs = time.monotonic() - start
c = job["counts"]
print("job %d: %d devices, %d acknowledged, %d timed out, %d rejected, %d not registered" % (
    job["id"], job["total"], c["acknowledged"], c["timed_out"], c["rejected"], c["not_registered"]))
print("end to end (queued, notified, answered, recorded): %.2f s = %.0f devices/s (target: 40,000 in <= 10 s)" % (
    secs, job["total"] / secs))
PY
  cleanup
  dir=
}

run "SQLite" ""
psql "$PG_URL" -qc 'DROP DATABASE IF EXISTS ccmadmin_bench_resets' -c 'CREATE DATABASE ccmadmin_bench_resets'
run "PostgreSQL" "${PG_URL%/*}/ccmadmin_bench_resets"
psql "$PG_URL" -qc 'DROP DATABASE IF EXISTS ccmadmin_bench_resets'
