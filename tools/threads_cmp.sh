#!/bin/sh
# tools/threads_cmp.sh - the thread-setting check of RESULTS.md ("Threads on a busy machine").
#
#   sh tools/threads_cmp.sh BEFORE_EXE AFTER_EXE [ROUNDS] [idle|busy]
#
# Times issue 13's two RBM training commands with the default thread setting and with
# --threads 1, for two ebmlua binaries (e.g. one linked against Debian's pthread OpenBLAS,
# `make BLASDIR=/usr/lib/x86_64-linux-gnu/openblas-pthread` in a scratch copy, and the
# default OpenMP build), interleaved over ROUNDS rounds (default 3), with /usr/bin/time.
# "busy" runs a neighbour during the timings: a 2-thread packed Gibbs sampling loop
# (scripts/bench_packed.lua, repeated), as when a benchmark runs while one trains.
# Prints one line per run and then the medians: wall, user and system seconds.
set -eu
before=$1 after=$2 rounds=${3:-3} mode=${4:-idle}
case $mode in idle|busy) ;; *) echo "threads_cmp.sh: mode must be idle or busy, got '$mode'" >&2; exit 2 ;; esac
for exe in "$before" "$after"; do
  [ -x "$exe" ] || { echo "threads_cmp.sh: not an executable: $exe" >&2; exit 2; }
done
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
neighbour=
cleanup() {
  if [ -n "$neighbour" ]; then
    kids=$(pgrep -P "$neighbour" || true)
    kill "$neighbour" 2>/dev/null || true
    # shellcheck disable=SC2086
    [ -n "$kids" ] && kill $kids 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
if [ "$mode" = busy ]; then
  (while :; do "$root/ebmlua" "$root/scripts/bench_packed.lua" --quick --no-u8 --threads 2 --batches 65536 \
      >/dev/null 2>&1; done) &
  neighbour=$!
  sleep 2
fi
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) mode=$mode rounds=$rounds; $(uptime)"
n=0
for r in $(seq "$rounds"); do
  for cmd in "--hidden 500 --epochs 1" "--hidden 20 --pcd --epochs 2"; do
    for build in before after; do
      exe=$before; [ $build = after ] && exe=$after
      for thr in default 1; do
        n=$((n + 1))
        targ=; [ $thr = 1 ] && targ="--threads 1"
        # shellcheck disable=SC2086
        /usr/bin/time -f "%e %U %S" -o "$tmp/t" "$exe" "$root/scripts/train_rbm.lua" $cmd $targ --quiet \
          --out "$tmp/run$n" >/dev/null 2>&1
        echo "$cmd|$build|$thr|$(cat "$tmp/t")" | tee -a "$tmp/all"
      done
    done
  done
done
echo "# medians: command | build | threads | wall user sys (s); $(uptime)"
for cmd in "--hidden 500 --epochs 1" "--hidden 20 --pcd --epochs 2"; do
  for build in before after; do
    for thr in default 1; do
      grep -F -e "$cmd|$build|$thr|" "$tmp/all" | cut -d'|' -f4 | awk -v l="$cmd | $build | $thr" '
        { w[NR] = $1; u[NR] = $2; s[NR] = $3 }
        function med(a, n,   i, j, t) {
          for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
          return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        }
        END { printf "%s | %.2f %.2f %.2f\n", l, med(w, NR), med(u, NR), med(s, NR) }'
    done
  done
done
