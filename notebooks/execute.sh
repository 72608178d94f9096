#!/bin/sh
# execute.sh - run notebooks top to bottom with the ebmlua kernel (headless, nbconvert).
#
#   sh notebooks/execute.sh [--check OUTDIR] NOTEBOOK.ipynb ...
#
# Without --check each notebook is executed in place (its outputs replaced: what
# `make notebooks` commits). With --check OUTDIR the executed copies go to OUTDIR and the
# sources are left alone (what the tests do). A cell that raises an error fails the run.
# The kernelspec is installed into a temporary directory (JUPYTER_PATH), so nothing outside
# the tree is touched; ./ebmlua must be built. TIMEOUT (seconds per cell, default 120).
set -eu
case "${1:-}" in -h|--help) sed -n '2,12p' "$0"; exit 0 ;; esac
out=""
if [ "${1:-}" = "--check" ]; then out=$2; shift 2; fi
[ "$#" -gt 0 ] || { echo "execute.sh: no notebooks given" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
spec=$(mktemp -d)
trap 'rm -rf "$spec"' EXIT
"$root/ebmlua" --install-kernel --prefix "$spec" >/dev/null
export JUPYTER_PATH="$spec/share/jupyter"
export JUPYTER_RUNTIME_DIR="$spec/runtime"
for nb in "$@"; do
  if [ -n "$out" ]; then
    where="--output-dir $out"
  else
    where="--inplace"
  fi
  /usr/bin/jupyter nbconvert --to notebook --execute $where \
    --ExecutePreprocessor.kernel_name=ebmlua --ExecutePreprocessor.timeout="${TIMEOUT:-120}" \
    "$nb" 2>&1 | grep -v '^\[NbConvertApp\] \(Converting\|Writing\)' || true
  # nbconvert's exit status is lost in the pipe above: check the output exists and has no error
  f="$nb"; [ -n "$out" ] && f="$out/$(basename "$nb")"
  /usr/bin/python3 - "$f" <<'PY'
import json, sys
nb = json.load(open(sys.argv[1]))
bad = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
unrun = [c for c in nb["cells"] if c["cell_type"] == "code" and c.get("execution_count") is None]
if bad or unrun:
    for o in bad:
        print("%s: %s: %s" % (sys.argv[1], o.get("ename"), o.get("evalue")), file=sys.stderr)
    if unrun:
        print("%s: %d cells did not run" % (sys.argv[1], len(unrun)), file=sys.stderr)
    sys.exit(1)
print("%s: ran, no errors" % sys.argv[1])
PY
done
