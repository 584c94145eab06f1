#!/usr/bin/env bash
# Benchmark of the TFTP file pipeline: rebuild and re-sign 40,000 phones' files after a bulk mode
# change in a Mixed cluster, next to the machine's raw RSA-2048 signing rate measured in the same
# run by OpenSSL on both cores. Prints figures; asserts nothing. Run by `make bench`.
#
#  1. `openssl speed -seconds 3 -multi 2 rsa2048`: the physical limit here.
#  2. `ccmadmin demo --phones 40000`; the console (its own TFTP side off) activates Cisco CTL
#     Provider on every server, switches the cluster to Mixed with the CTL operation, and bulk
#     changes every phone that can to Encrypted.
#  3. `ccmadmin build-files`: the whole rebuild — every file built, written and signed.
#  4. A second bulk change (every Encrypted phone to Authenticated), then `build-files` again: only
#     the changed files are signed.
#
# Each build also prints the CPU time of its process (user and kernel) next to what signing alone
# takes at OpenSSL's rate, and what a build at 85 % of that rate would leave for the rest.
# Deleting many files slows the next creations on this machine's journal-less ext4 for up to five
# minutes: runs of this script closer together than that measure that, not the pipeline.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=./target/release/ccmadmin
PORT=${BENCH_PORT:-18445}
PASSWORD='benchmark passphrase'
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
env=(CCMADMIN_DATA_DIR="$dir" CCMADMIN_BIND="127.0.0.1:$PORT" CCMADMIN_BOOTSTRAP_PASSWORD="$PASSWORD" RUST_LOG=warn)
base="https://127.0.0.1:$PORT"

echo "== OpenSSL: openssl speed -seconds 3 -multi 2 rsa2048"
raw=$(openssl speed -seconds 3 -multi 2 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $6}')
echo "raw RSA-2048 PKCS#1 signing rate on 2 cores: $raw signatures/s"

env "${env[@]}" "$BIN" demo --phones 40000

console() {
  env "${env[@]}" CCMADMIN_TFTP=false "$BIN" serve >"$dir/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -ksf "$base/healthz" >/dev/null && break; sleep 0.1; done
  curl -ksf -c "$dir/jar" -H 'Content-Type: application/json' \
    -d "{\"username\":\"CCMAdministrator\",\"password\":\"$PASSWORD\"}" "$base/api/v1/login" >/dev/null
}
api() { curl -ks --fail-with-body -b "$dir/jar" -H 'Content-Type: application/json' -H "Origin: $base" "$@"; }
bulk() {
  local job id status=running
  job=$(api -d "$1" "$base/api/v1/phones/bulk")
  id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$job")
  while [ "$status" = running ] || [ "$status" = queued ]; do
    sleep 0.2
    status=$(python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(j["status"])' "$(api "$base/api/v1/jobs/$id")")
  done
  python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print("bulk change: %d phones changed, %d refused" % (j["changed"], j["refused"]))' "$(api "$base/api/v1/jobs/$id")"
}

build() {
  local TIMEFORMAT='%R %U %S'
  { time env "${env[@]}" "$BIN" build-files >"$dir/build.out" 2>"$dir/build.err"; } 2>"$dir/build.time" ||
    { cat "$dir/build.out" "$dir/build.err"; exit 1; }
  cat "$dir/build.out"
  python3 - "$raw" "$(cat "$dir/build.time")" "$(cat "$dir/build.out")" <<'PY'
import re, sys
raw, (wall, user, system), out = float(sys.argv[1]), map(float, sys.argv[2].split()), sys.argv[3]
signed = int(re.search(r"(\d+) signed", out).group(1))
signing = 2 * signed / raw
budget = 2 * signed / (0.85 * raw) - signing
print(f"process: {wall:.2f} s, CPU {user:.2f} s user + {system:.2f} s kernel; signing alone at "
      f"OpenSSL's rate: {signing:.2f} s of CPU; at 85 % of that rate everything else would have "
      f"{budget:.2f} s of CPU")
PY
}

console
for server in $(api "$base/api/v1/servers" | python3 -c 'import json,sys; print(" ".join(s["fields"]["name"] for s in json.load(sys.stdin)))'); do
  api -X PUT -d '{"activated":true}' "$base/api/v1/servers/$server/services/ctl-provider" >/dev/null
done
api -d '{"mode":"Mixed","tokens":["SAST1","SAST2"]}' "$base/api/v1/ctl" >/dev/null
bulk '{"filter":{},"field":"security_mode","value":"Encrypted"}'
kill "$pid"; wait "$pid" 2>/dev/null || true

echo "-- the whole rebuild: every file built, written and signed"
build

console
bulk '{"filter":{"configured":"encrypted"},"field":"security_mode","value":"Authenticated"}'
kill "$pid"; wait "$pid" 2>/dev/null || true
echo "-- after a second bulk change: only the changed files"
build

