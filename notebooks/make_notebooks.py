#!/usr/bin/python3
"""make_notebooks.py - write notebooks/*.ipynb from their sources in notebooks/src/*.lua.

A source is Lua in the "percent" cell format: a line `-- %%` starts a code cell, a line
`-- %% [markdown]` starts a markdown cell whose lines are written as Lua comments
(`-- text`). The notebooks are written without outputs (kernel: ebmlua); `make notebooks`
then executes them in place (notebooks/execute.sh).

usage: /usr/bin/python3 notebooks/make_notebooks.py [SRC.lua ...]   (default: all of src/)
"""
import glob
import os
import sys

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = os.path.dirname(os.path.abspath(__file__))


def cells_of(text):
    cells, kind, lines = [], None, []

    def flush():
        body = "\n".join(lines).strip("\n")
        if kind == "markdown":
            body = "\n".join(l[3:] if l.startswith("-- ") else l[2:] if l.startswith("--") else l
                             for l in body.split("\n"))
            cells.append(new_markdown_cell(body))
        elif kind == "code" and body:
            cells.append(new_code_cell(body))

    for line in text.split("\n"):
        if line.startswith("-- %%"):
            flush()
            kind, lines = ("markdown" if "[markdown]" in line else "code"), []
        elif kind is not None:
            lines.append(line)
    flush()
    return cells


def build(src):
    with open(src, encoding="utf-8") as f:
        nb = new_notebook(cells=cells_of(f.read()))
    nb.metadata = {
        "kernelspec": {"name": "ebmlua", "display_name": "ebmlua", "language": "lua"},
        "language_info": {"name": "lua", "file_extension": ".lua", "mimetype": "text/x-lua"},
    }
    nbformat.validate(nb)
    out = os.path.join(HERE, os.path.basename(src)[:-4] + ".ipynb")
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        nbformat.write(nb, f)
    os.replace(tmp, out)
    print("wrote", os.path.relpath(out))


def main(argv):
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__.strip())
        return 0
    srcs = argv or sorted(glob.glob(os.path.join(HERE, "src", "*.lua")))
    for s in srcs:
        if not s.endswith(".lua") or not os.path.isfile(s):
            print("make_notebooks.py: not a source file: " + s, file=sys.stderr)
            return 1
        build(s)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
