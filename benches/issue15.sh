#!/usr/bin/env bash
# Issue 15's figures in one command: the 1M month (generated, and a copy with
# its rows shuffled) run against the DuckDB reference in alternating rounds,
# then the outputs compared byte for byte.
#
#   bash benches/issue15.sh              # release build, 1M seekers, 7 rounds
#
# What it prints, in order: benches/alternate.py's rounds (the commands in
# reverse order every other round) and ratios (the complete run over DuckDB,
# shuffled over sorted, the nightly output set over DuckDB), then one line
# per output compared. It stops with an error if a
# file differs where it must not:
#   - against the sorted month's outputs, every file but manifest.json: the
#     shuffled month's (whose inputs' hashes differ), a run under
#     `--memory-limit 1GiB` (the issue's memory target), and a run in four
#     partitions of seekers (`--partitions 4`, how a month too large for the
#     memory is run, whatever the month's size);
#   - `--outputs nightly`'s files against the complete run's same files;
#   - every file but manifest.json against INDUS_BENCH_REFERENCE's, when
#     given (a folder an earlier build wrote for the same month, from a
#     folder of another name: the check that an optimisation changed no byte).
#
# Settings (environment): INDUS_BIN (a built binary; else the release build
# is made), INDUS_BENCH_DIR (inputs, outputs and the DuckDB venv; default
# /tmp/indus-bench), INDUS_BENCH_SEEKERS (1000000), INDUS_BENCH_ROUNDS (7),
# INDUS_BENCH_REFERENCE, INDUS_PEER (the DuckDB script; default
# ../shared/tools/peer_duckdb.py), INDUS_BENCH_NO_DUCKDB=1 to leave DuckDB
# out (CI runs the script so, on a small month, so that it keeps working).
set -euo pipefail
cd "$(dirname "$0")/.."

work="${INDUS_BENCH_DIR:-/tmp/indus-bench}"
seekers="${INDUS_BENCH_SEEKERS:-1000000}"
rounds="${INDUS_BENCH_ROUNDS:-7}"
peer="${INDUS_PEER:-../shared/tools/peer_duckdb.py}"
as_of=2024-04-15
mkdir -p "$work"

if [ -n "${INDUS_BIN:-}" ]; then
  bin="$INDUS_BIN"
else
  cargo build --release --locked -p indus
  bin="${CARGO_TARGET_DIR:-target}/release/indus"
fi

# The month, generated once per size; the shuffled copy keeps each file's
# header and shuffles its data lines with a fixed random source.
month="$work/gen-$seekers"
if [ ! -f "$month/generated.json" ]; then
  rm -rf "$month"
  "$bin" generate --seekers "$seekers" --months 2024-03 --seed 7 --out "$month" > /dev/null
fi
shuffled="$month-shuf"
if [ ! -f "$shuffled/.complete" ]; then
  rm -rf "$shuffled" && mkdir -p "$shuffled"
  for f in rights declarations attestations ledger; do
    { head -n 1 "$month/$f.csv"; tail -n +2 "$month/$f.csv" | shuf --random-source=<(yes 7); } > "$shuffled/$f.csv"
  done
  touch "$shuffled/.complete"
fi

run=("$bin" run --as-of "$as_of" -q)
commands=(
  --run "full=${run[*]} --input $month --out $work/full"
  --run "full_shuf=${run[*]} --input $shuffled --out $work/full-shuf"
  --run "nightly=${run[*]} --input $month --out $work/nightly --outputs nightly"
)
ratios=(--ratio full_shuf/full --ratio nightly/full)
if [ "${INDUS_BENCH_NO_DUCKDB:-0}" != 1 ]; then
  [ -f "$peer" ] || { echo "issue15.sh: no DuckDB reference at $peer (INDUS_PEER names it; INDUS_BENCH_NO_DUCKDB=1 leaves it out)" >&2; exit 2; }
  venv="$work/peer"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -c "import duckdb" 2> /dev/null || "$venv/bin/pip" install -q --disable-pip-version-check duckdb==2.0.1
  commands+=(--run "duckdb=$venv/bin/python $peer $month $work/duckdb --as-of $as_of")
  ratios+=(--ratio full/duckdb --ratio nightly/duckdb)
fi
echo "== $rounds alternating rounds on $month ($("$bin" --version))"
python3 benches/alternate.py --rounds "$rounds" --abba "${commands[@]}" "${ratios[@]}"

echo "== outputs compared"
"${run[@]}" --input "$month" --out "$work/limited" --memory-limit 1GiB
"${run[@]}" --input "$month" --out "$work/parts" --partitions 4
failed=0
same() { # same A B FILE: the file is the same in both folders
  if cmp -s "$1/$3" "$2/$3"; then
    echo "same       $3: $(basename "$1") = $(basename "$2")"
  else
    echo "DIFFERENT  $3: $1 and $2" && failed=1
  fi
}
for f in $(cd "$work/full" && ls); do
  [ "$f" = manifest.json ] && continue
  same "$work/full" "$work/full-shuf" "$f"
  same "$work/full" "$work/limited" "$f"
  same "$work/full" "$work/parts" "$f"
  if [ -f "$work/nightly/$f" ]; then same "$work/full" "$work/nightly" "$f"; fi
  if [ -n "${INDUS_BENCH_REFERENCE:-}" ]; then same "$INDUS_BENCH_REFERENCE" "$work/full" "$f"; fi
done
[ "$failed" = 0 ] || { echo "issue15.sh: outputs differ (above)" >&2; exit 1; }
echo "every output compared is the same"
