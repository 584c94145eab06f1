#!/usr/bin/env bash
# Benchmark of Bulk Administration: validate and import a CSV file of 100,000 new phones, then
# export them, on SQLite and on PostgreSQL, against the release binary over HTTPS on loopback,
# from an empty install (the first start's device pool Default). Prints seconds and the server's
# peak memory (VmHWM) after each step; asserts nothing. Run by `make bench`.
#
# References measured in the same run, to judge the figures on a noisy machine:
#  - Python's csv module reading the same file (a plain parse, nothing checked or stored);
#  - 200 sequential `GET /healthz` (a trivial handler, TLS and HTTP included).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=./target/release/ccmadmin
PORT=${BENCH_PORT:-18446}
PG_URL=${CCMADMIN_TEST_PG_URL:-postgres://ccmadmin:ccmadmin@127.0.0.1:5432/postgres}
PASSWORD='benchmark passphrase'
PHONES=${BENCH_PHONES:-100000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
CSV="$work/phones.csv"

python3 - "$CSV" "$PHONES" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
models = ["Cisco 7960", "Cisco 7940", "Cisco 7970", "Cisco 7971", "Cisco 7912"]
modes = ["Use System Default", "Authenticated", "Encrypted", "Non Secure", "Use System Default"]
with open(path, "w", newline="") as f:
    f.write("Device Name,Phone Model,Device Pool,Description,Device Security Mode,Web Access\r\n")
    for i in range(n):
        m = i % len(models)
        mode = "Use System Default" if models[m] == "Cisco 7912" else modes[m]
        f.write(f"SEP{i:012X},{models[m]},Default,\"Desk {i}, floor {i % 40}\",{mode},Enabled\r\n")
PY
echo "file: $PHONES phones, $(du -h "$CSV" | cut -f1) ($(date -u +%FT%TZ))"
python3 - "$CSV" <<'PY'
import csv, sys, time
t = time.perf_counter()
with open(sys.argv[1], newline="") as f:
    rows = sum(1 for _ in csv.reader(f))
print(f"reference: Python csv reads the file ({rows} rows) in {time.perf_counter() - t:.2f} s")
PY

hwm() { awk '/VmHWM/ {printf "%.0f MiB", $2 / 1024}' "/proc/$1/status"; }
secs() { python3 -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.2f}")' "$1" "$2"; }

run() {
  local label=$1 url=$2 dir
  dir=$(mktemp -d)
  local env=(CCMADMIN_DATA_DIR="$dir" CCMADMIN_BIND="127.0.0.1:$PORT" CCMADMIN_BOOTSTRAP_PASSWORD="$PASSWORD"
             CCMADMIN_TFTP=false CCMADMIN_SIP_BIND=127.0.0.1:0 CCMADMIN_CTL_PROVIDER_BIND=127.0.0.1:0 CCMADMIN_SIP_TLS_BIND=127.0.0.1:0 CCMADMIN_CAPF_BIND=127.0.0.1:0
             CCMADMIN_REQUEST_TIMEOUT_SECS=300 RUST_LOG=warn)
  [ -n "$url" ] && env+=(DATABASE_URL="$url")
  echo "== $label"
  env "${env[@]}" "$BIN" serve >"$dir/serve.log" 2>&1 &
  local pid=$!
  local base="https://127.0.0.1:$PORT"
  for _ in $(seq 1 200); do curl -ksf "$base/healthz" >/dev/null && break; sleep 0.1; done
  curl -ksf -c "$dir/jar" -H 'Content-Type: application/json' \
    -d "{\"username\":\"CCMAdministrator\",\"password\":\"$PASSWORD\"}" "$base/api/v1/login" >/dev/null
  local api=(curl -ks --fail-with-body -b "$dir/jar" -H "Origin: $base")
  local t0 t1
  t0=$(date +%s.%N)
  for _ in $(seq 1 200); do curl -ksf "$base/healthz" >/dev/null; done
  t1=$(date +%s.%N)
  echo "reference: 200 sequential GET /healthz in $(secs "$t0" "$t1") s; server peak memory $(hwm $pid)"

  t0=$(date +%s.%N)
  "${api[@]}" -H 'Content-Type: text/csv' --data-binary @"$CSV" \
    "$base/api/v1/bulk/phones/validate" >"$dir/report.json"
  t1=$(date +%s.%N)
  python3 - "$dir/report.json" "$(secs "$t0" "$t1")" "$(hwm $pid)" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"validate: {sys.argv[2]} s ({r['inserts']} inserts, {r['updates']} updates, "
      f"{r['refused']} refused, {len(r['warnings'])} warnings listed); server peak memory {sys.argv[3]}")
PY

  t0=$(date +%s.%N)
  local job id status=running body
  job=$("${api[@]}" -H 'Content-Type: text/csv' --data-binary @"$CSV" \
    "$base/api/v1/bulk/phones/import?mode=all_or_nothing")
  id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$job")
  while [ "$status" = running ]; do
    sleep 0.2
    body=$("${api[@]}" "$base/api/v1/jobs/$id")
    status=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["status"])' "$body")
  done
  t1=$(date +%s.%N)
  python3 - "$body" "$(secs "$t0" "$t1")" "$(hwm $pid)" <<'PY'
import json, sys
j = json.loads(sys.argv[1])
print(f"import (validate again, then apply in batches): {sys.argv[2]} s, job {j['status']}: "
      f"{j['changed']} phones inserted; server peak memory {sys.argv[3]}")
PY

  t0=$(date +%s.%N)
  "${api[@]}" "$base/api/v1/phones.csv" -o "$dir/export.csv"
  t1=$(date +%s.%N)
  echo "export: $(secs "$t0" "$t1") s, $(($(wc -l <"$dir/export.csv") - 1)) phones, $(du -h "$dir/export.csv" | cut -f1); server peak memory $(hwm $pid)"

  kill "$pid"; wait "$pid" 2>/dev/null || true
  if [ -n "${BENCH_KEEP_LOG:-}" ]; then cp "$dir/serve.log" "$BENCH_KEEP_LOG.$label"; fi
  rm -rf "$dir"
}

run "SQLite" ""
psql "$PG_URL" -qc 'DROP DATABASE IF EXISTS ccmadmin_bench_bat' -c 'CREATE DATABASE ccmadmin_bench_bat'
run "PostgreSQL" "${PG_URL%/*}/ccmadmin_bench_bat"
psql "$PG_URL" -qc 'DROP DATABASE IF EXISTS ccmadmin_bench_bat'
