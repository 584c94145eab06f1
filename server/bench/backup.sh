#!/usr/bin/env bash
# Benchmark of disaster recovery: backup, check and restore of a store with 100,000 phones, each
# next to a reference measured in the same run on the same machine. Prints figures; asserts
# nothing. Run by `make bench`.
#
#  1. `ccmadmin demo --phones 100000` on SQLite and `build-files` (every phone's cnf.xml).
#  2. `ccmadmin backup`: time and archive size. Reference: the same bytes encrypted by OpenSSL's
#     ChaCha20 (`openssl enc -chacha20`, the cipher age uses) and SQLite's own copy of the store
#     (`VACUUM INTO`, through Python's sqlite3).
#  3. `ccmadmin backup verify`: decrypt and check every hash.
#  4. `ccmadmin restore` into a new data folder on SQLite, and into PostgreSQL. Reference:
#     `pg_dump -Fc` and `pg_restore` of the restored PostgreSQL store.
#
# The restore creates about 100,000 files: on this machine's journal-less ext4, runs closer
# together than five minutes after deleting many files measure that, not the restore.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=./target/release/ccmadmin
PG_ADMIN=${CCMADMIN_TEST_PG_URL:-postgres://ccmadmin:ccmadmin@127.0.0.1:5432/postgres}
PG_URL=${PG_ADMIN%/*}/ccmadmin_bench_backup
dir=$(mktemp -d)
trap 'rm -rf "$dir"; psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS ccmadmin_bench_backup WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
echo "backup benchmark, started $(date -u '+%Y-%m-%d %H:%M UTC')"
printf 'a benchmark passphrase\n' >"$dir/pass"
src="$dir/source"
secs() { python3 -c 'import sys,time; print(f"{time.time()-float(sys.argv[1]):.2f}")' "$1"; }
now() { python3 -c 'import time; print(time.time())'; }

CCMADMIN_DATA_DIR="$src" RUST_LOG=warn "$BIN" demo --phones 100000
CCMADMIN_DATA_DIR="$src" RUST_LOG=warn "$BIN" build-files
store_bytes=$(stat -c %s "$src/ccmadmin.db")
echo "store: $store_bytes bytes (SQLite file), $(ls "$src/tftp" | wc -l) TFTP files"

t=$(now)
CCMADMIN_DATA_DIR="$src" RUST_LOG=warn "$BIN" backup --out "$dir/cluster.age" --passphrase-file "$dir/pass"
backup_s=$(secs "$t")
size=$(stat -c %s "$dir/cluster.age")
t=$(now)
openssl enc -chacha20 -pbkdf2 -pass pass:benchmark -in "$dir/cluster.age" -out "$dir/ref.enc"
ref_enc_s=$(secs "$t")
rm -f "$dir/ref.enc"
t=$(now)
python3 -c 'import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute("VACUUM INTO ?", (sys.argv[2],))' \
  "$src/ccmadmin.db" "$dir/ref.db"
ref_copy_s=$(secs "$t")
rm -f "$dir/ref.db"

t=$(now)
RUST_LOG=warn "$BIN" backup verify "$dir/cluster.age" --passphrase-file "$dir/pass"
verify_s=$(secs "$t")

t=$(now)
CCMADMIN_DATA_DIR="$dir/sqlite" RUST_LOG=warn "$BIN" restore "$dir/cluster.age" --passphrase-file "$dir/pass"
restore_sqlite_s=$(secs "$t")

psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS ccmadmin_bench_backup WITH (FORCE)" >/dev/null
psql -q "$PG_ADMIN" -c "CREATE DATABASE ccmadmin_bench_backup" >/dev/null
t=$(now)
CCMADMIN_DATA_DIR="$dir/pg" DATABASE_URL="$PG_URL" RUST_LOG=warn "$BIN" restore "$dir/cluster.age" --passphrase-file "$dir/pass"
restore_pg_s=$(secs "$t")
t=$(now)
pg_dump -Fc -f "$dir/ref.pgdump" "$PG_URL"
ref_dump_s=$(secs "$t")
psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS ccmadmin_bench_ref WITH (FORCE)" >/dev/null
psql -q "$PG_ADMIN" -c "CREATE DATABASE ccmadmin_bench_ref" >/dev/null
t=$(now)
pg_restore -d "${PG_ADMIN%/*}/ccmadmin_bench_ref" "$dir/ref.pgdump"
ref_restore_s=$(secs "$t")
psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS ccmadmin_bench_ref WITH (FORCE)" >/dev/null

echo
echo "== figures (100,000 phones)"
echo "archive: $size bytes ($(python3 -c "print(f'{$size/$store_bytes:.2f}')") × the SQLite file)"
echo "backup (SQLite store, while nothing else runs): $backup_s s; reference: openssl chacha20 of the archive $ref_enc_s s, SQLite VACUUM INTO $ref_copy_s s"
echo "backup verify: $verify_s s"
echo "restore into SQLite (store, keys, 100,000 TFTP files): $restore_sqlite_s s"
echo "restore into PostgreSQL: $restore_pg_s s; reference: pg_dump -Fc $ref_dump_s s, pg_restore $ref_restore_s s"
