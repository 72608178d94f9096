#!/bin/sh
# sanitize.sh CFLAGS [JOBS] - run the whole test suite against builds made with CFLAGS (ASan +
# UBSan, from `make sanitize`), JOBS test files at a time (default 2).
#
# The tests start ./ebmlua and tests/c/*.t by those names, so the sanitized build lives in
# a copy of the source tree, build-san/tree, with its own build/, ./ebmlua and C tests.
# The copy is refreshed from the working tree each run (tracked and untracked, not
# ignored, files); its build/ is kept and tar keeps modification times, so only what
# changed is recompiled. data/ and vendor/cache/ are links to the real ones.
# ./ebmlua-san at the top links to the sanitized interpreter, for trying things by hand.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
T=build-san/tree
mkdir -p "$T"
find "$T" -mindepth 1 -maxdepth 1 ! -name build -exec rm -rf {} +
git ls-files -z -co --exclude-standard | grep -zv -e '^data$' -e '^vendor/cache$' -e '^data/' -e '^vendor/cache/' |
  tar --null --ignore-failed-read -T - -cf - | tar -C "$T" -xf -
ln -s "$top/data" "$T/data"
ln -s "$top/vendor/cache" "$T/vendor/cache"
ln -sfn "$T/ebmlua" ebmlua-san
# Leaks are errors too (detect_leaks); UBSan stops at the first report (the build has
# -fno-sanitize-recover=all) and prints its stack.
export ASAN_OPTIONS="detect_leaks=1:check_initialization_order=1:strict_string_checks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$top/tools/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
start=$(date +%s)
make -C "$T" --no-print-directory test CFLAGS="$1" PROVE_JOBS="${2:-2}"
echo "sanitize: suite passed under ASan + UBSan in $(( $(date +%s) - start )) s (build included)"
