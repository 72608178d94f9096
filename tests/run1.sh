#!/bin/sh
# run1.sh - how prove runs one test file: compiled C tests directly, Lua tests with ebmlua.
case "$1" in
  *.lua) EBMLUA_PATH="tests/?.lua" exec ./ebmlua "$1" ;;
  *) exec "$1" ;;
esac
