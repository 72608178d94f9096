#!/bin/sh
# fuzz.sh DIR SECONDS READER... - run each reader's libFuzzer harness (DIR/fuzz_READER) for
# SECONDS, from the seeds (DIR/seeds writes them) plus the corpus kept in DIR/corpus/READER
# from earlier runs. A crashing input is copied to tests/fuzz/regress/READER/ (commit it:
# tests/c/fuzz_regress.c runs every file there through its reader in `make test`), and the
# run fails. Prints executions and corpus size per reader. One allocation over 256 MB is a
# finding too: inputs are at most a few KB, and every reader bounds what a file of that
# size can claim (IDX and PNG by the deflate ratio, checkpoints by the file length).
set -eu
cd "$(dirname "$0")/.."
D=$1 S=$2
shift 2
rm -rf "$D/seed-files"
"$D/seeds" "$D/seed-files"
status=0
for r in "$@"; do
  rm -rf "$D/crash/$r"
  mkdir -p "$D/corpus/$r" "$D/crash/$r"
  log="$D/fuzz_$r.log"
  echo "fuzz: $r for ${S}s (log $log)"
  if "$D/fuzz_$r" -max_total_time="$S" -rss_limit_mb=2048 -malloc_limit_mb=256 -timeout=10 -print_final_stats=1 \
       -artifact_prefix="$D/crash/$r/" "$D/corpus/$r" "$D/seed-files/$r" >"$log" 2>&1; then
    :
  else
    status=1
    mkdir -p "tests/fuzz/regress/$r"
    for f in "$D/crash/$r"/*; do
      [ -f "$f" ] || continue
      cp "$f" "tests/fuzz/regress/$r/$(basename "$f")"
      echo "fuzz: $r: FOUND $(basename "$f") -> tests/fuzz/regress/$r/" >&2
    done
    grep -m1 -A12 "ERROR\|==ABORT\|deadly signal" "$log" >&2 || tail -20 "$log" >&2
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  echo "fuzz: $r: ${execs:-?} executions, corpus $(ls "$D/corpus/$r" | wc -l) files"
done
exit $status
