#!/usr/bin/env bash
# Benchmark of Find and List Phones, the security dashboard and a bulk change, on SQLite and on
# PostgreSQL, against the release binary over HTTPS on loopback. Prints figures; asserts nothing.
# Run by `make bench`.
#
#  1. `ccmadmin demo --phones 100000` fills a fresh store.
#  2. wrk: 32 connections for 15 s on a filtered page of 50 (model, effective mode, page 3).
#  3. wrk: 1 connection for 10 s on the dashboard's figures (`/api/v1/dashboard`) and on the whole
#     home page that renders them (`/`, server-side rendered HTML).
#  4. A bulk change of every Cisco 7960 (about 40,000 phones) to Encrypted; the job's own start and
#     end times give its database part (it does nothing but database work).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=./target/release/ccmadmin
PORT=${BENCH_PORT:-18444}
PG_URL=${CCMADMIN_TEST_PG_URL:-postgres://ccmadmin:ccmadmin@127.0.0.1:5432/postgres}
PASSWORD='benchmark passphrase'
PAGE="/api/v1/phones?model=Cisco%207970&effective=non_secure&per_page=50&page=3"

run() {
  local label=$1 url=$2 dir
  dir=$(mktemp -d)
  local env=(CCMADMIN_DATA_DIR="$dir" CCMADMIN_BIND="127.0.0.1:$PORT" CCMADMIN_BOOTSTRAP_PASSWORD="$PASSWORD" RUST_LOG=warn)
  [ -n "$url" ] && env+=(DATABASE_URL="$url")
  echo "== $label"
  env "${env[@]}" "$BIN" demo --phones 100000
  env "${env[@]}" "$BIN" serve >"$dir/serve.log" 2>&1 &
  local pid=$!
  trap 'kill $pid 2>/dev/null || true' RETURN
  for _ in $(seq 1 100); do curl -ksf "https://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
  local jar="$dir/cookies"
  curl -ksf -c "$jar" -H 'Content-Type: application/json' \
    -d "{\"username\":\"CCMAdministrator\",\"password\":\"$PASSWORD\"}" \
    "https://127.0.0.1:$PORT/api/v1/login" >/dev/null
  local cookie
  cookie=$(awk '$6 ~ /^__Host-/ {print $6"="$7}' "$jar")
  echo "-- Find and List Phones: filtered page of 50, 32 connections, 15 s"
  wrk -t2 -c32 -d15s --latency -H "Cookie: $cookie" "https://127.0.0.1:$PORT$PAGE" \
    | grep -E 'Latency|50%|90%|99%|Requests/sec|requests in|Non-2xx' || true
  for target in /api/v1/dashboard /; do
    echo "-- Security dashboard: $target, 1 connection, 10 s"
    wrk -t1 -c1 -d10s --latency -H "Cookie: $cookie" "https://127.0.0.1:$PORT$target" \
      | grep -E 'Latency|50%|90%|99%|Requests/sec|requests in|Non-2xx' || true
  done
  echo "-- Bulk change: every Cisco 7960 to Encrypted"
  local job
  job=$(curl -ksf -b "$jar" -H 'Content-Type: application/json' \
    -d '{"filter":{"model":"Cisco 7960"},"field":"security_mode","value":"Encrypted"}' \
    "https://127.0.0.1:$PORT/api/v1/phones/bulk")
  local id
  id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$job")
  local status=running body
  while [ "$status" = running ]; do
    sleep 0.2
    body=$(curl -ksf -b "$jar" "https://127.0.0.1:$PORT/api/v1/jobs/$id")
    status=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["status"])' "$body")
  done
  python3 - "$body" <<'PY'
import json, sys
from datetime import datetime
j = json.loads(sys.argv[1])
t = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))
secs = (t(j["updated_at"]) - t(j["created_at"])).total_seconds()
print(f"job {j['id']} {j['status']}: {j['changed']} phones changed, {j['refused']} refused, "
      f"database part {secs:.2f} s ({j['changed'] / max(secs, 1e-9):,.0f} phones/s)")
PY
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}

run "SQLite" ""
psql "$PG_URL" -qc 'DROP DATABASE IF EXISTS ccmadmin_bench' -c 'CREATE DATABASE ccmadmin_bench'
run "PostgreSQL" "${PG_URL%/*}/ccmadmin_bench"
psql "$PG_URL" -qc 'DROP DATABASE IF EXISTS ccmadmin_bench'
