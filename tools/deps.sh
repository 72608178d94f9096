#!/bin/sh
# deps.sh - make sure the Debian packages ebmlua needs are installed.
# As root it installs what is missing (apt-get update, then apt-get install -y);
# otherwise it prints the exact command and fails.
set -eu
PKGS="gcc make pkg-config liblua5.4-dev lua-filesystem lua-argparse lua-cjson \
libpng-dev zlib1g-dev libreadline-dev libopenblas-dev libopenblas-openmp-dev gnuplot-nox parallel perl \
libgif-dev liblapacke-dev cppcheck lua-check valgrind libfftw3-dev \
libzmq3-dev libssl-dev lua5.4 luarocks jupyter-notebook jupyter-nbconvert python3-nbconvert \
python3-jupyter-client jupyter-client python3-jupyter-kernel-test dieharder"
# (make fuzz installs its own: clang-14 libclang-rt-14-dev, off the `make test` path)
[ "$#" -gt 0 ] && PKGS="$*"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "deps: installing$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
  echo "deps: missing Debian packages:$missing" >&2
  echo "deps: run: sudo apt-get update && sudo apt-get install -y$missing" >&2
  exit 1
fi
