"""The ebmlua Jupyter kernel under the Jupyter project's kernel test tool
(jupyter_kernel_test, Debian's python3-jupyter-kernel-test), plus tests of what that tool
does not cover: a message with a wrong signature is dropped and never executed, an
interrupted cell stops and the kernel runs the next one, rich output, inspect text.

Run from the repository root with Debian's Python (the one that has Jupyter):
    /usr/bin/python3 -m unittest tests/jupyter/test_kernel.py
The kernelspec is installed into a temporary directory (JUPYTER_PATH points there), so
nothing outside the tree is touched. EBMLUA names the binary (default ./ebmlua).
"""
import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
from queue import Empty

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EBMLUA = os.path.abspath(os.environ.get("EBMLUA", os.path.join(ROOT, "ebmlua")))

SPEC_DIR = tempfile.mkdtemp(prefix="ebmlua-kernelspec-")
atexit.register(shutil.rmtree, SPEC_DIR, True)
subprocess.run([EBMLUA, "--install-kernel", "--prefix", SPEC_DIR], check=True, stdout=subprocess.DEVNULL)
os.environ["JUPYTER_PATH"] = os.path.join(SPEC_DIR, "share", "jupyter")
os.environ.setdefault("JUPYTER_RUNTIME_DIR", os.path.join(SPEC_DIR, "runtime"))

import jupyter_kernel_test  # noqa: E402  (after JUPYTER_PATH is set)
from jupyter_client.manager import start_new_kernel  # noqa: E402

TIMEOUT = 15


class EbmluaKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "ebmlua"
    language_name = "lua"
    file_extension = ".lua"

    code_hello_world = 'print("hello, world")'
    code_stderr = 'io.stderr:write("an error line\\n")'
    code_generate_error = 'error("boom")'
    completion_samples = [
        {"text": "ebm.viz.gr", "matches": {"ebm.viz.grid("}},
        {"text": "tostri", "matches": {"tostring("}},
        {"text": "whil", "matches": {"while"}},
    ]
    complete_code_samples = ["x = 1", "print(1)", "for i = 1, 2 do end", "1 + 2"]
    incomplete_code_samples = ["for i = 1, 2 do", "function f(x)", "t = {1, 2,"]
    invalid_code_samples = ["x = = 1", "end end", "local 1 = 2"]
    code_execute_result = [
        {"code": "1 + 2", "result": "3"},
        {"code": "local a = 20\na + 1", "result": "21"},
        {"code": "ebm.f32{1, 2, 3}:sum()", "result": "6.0"},
        {"code": '"x" .. 1', "result": "x1"},
    ]
    code_display_data = [
        {"code": "ebm.display(ebm.u8{{0, 255}, {255, 0}})", "mime": "image/png"},
        {"code": "ebm.display({{name = 'a', n = 1}, {name = 'b', n = 2}})", "mime": "text/html"},
        # a 1x1 GIF89a file (what the animation writers produce): shown as image/gif
        {"code": "local p = os.tmpname() .. '.gif'\n"
                 "local f = io.open(p, 'wb')\n"
                 "f:write('GIF89a\\1\\0\\1\\0\\128\\0\\0\\0\\0\\0\\255\\255\\255!\\249\\4\\1\\0\\0\\0\\0,"
                 "\\0\\0\\0\\0\\1\\0\\1\\0\\0\\2\\2D\\1\\0;')\n"
                 "f:close()\nebm.display(p)\nos.remove(p)", "mime": "image/gif"},
    ]
    code_history_pattern = "*1 + 2*"
    supported_history_operations = ("tail", "range", "search")
    code_inspect_sample = "ebm.viz.grid"


def collect(kc, msg_id, timeout=TIMEOUT):
    """iopub messages of one request up to its idle status."""
    out = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=0.5)
        except Empty:
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return out
        out.append(msg)
    raise AssertionError("no idle status for %s" % msg_id)


class EbmluaProtocolTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.km, cls.kc = start_new_kernel(kernel_name="ebmlua")
        cls.tmp = tempfile.mkdtemp(prefix="ebmlua-kernel-")

    @classmethod
    def tearDownClass(cls):
        cls.kc.stop_channels()
        cls.km.shutdown_kernel()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_cell(self, code, timeout=TIMEOUT, allow_stdin=False):
        msg_id = self.kc.execute(code, allow_stdin=allow_stdin)
        while True:
            reply = self.kc.get_shell_msg(timeout=timeout)
            if reply["parent_header"]["msg_id"] == msg_id:
                return reply, collect(self.kc, msg_id)

    def test_bad_signature_is_not_executed(self):
        marker = os.path.join(self.tmp, "signed")
        # the same cell, signed with a wrong key: dropped
        cell = 'io.open(%r, "w"):close()' % marker
        session = self.kc.session
        good_key = session.key
        session.key = b"not-the-key"
        try:
            session.auth = __import__("hmac").HMAC(session.key, digestmod=__import__("hashlib").sha256)
            msg = session.msg("execute_request", {"code": cell, "silent": False, "store_history": True,
                                                  "user_expressions": {}, "allow_stdin": False,
                                                  "stop_on_error": True})
            self.kc.shell_channel.send(msg)
        finally:
            session.key = good_key
            session.auth = __import__("hmac").HMAC(good_key, digestmod=__import__("hashlib").sha256)
        with self.assertRaises(Empty):
            self.kc.get_shell_msg(timeout=2)
        self.assertFalse(os.path.exists(marker), "a badly signed cell ran")
        # the kernel still serves correctly signed messages, and this one does run
        reply, _ = self.run_cell(cell)
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertTrue(os.path.exists(marker))

    def test_interrupt_then_next_cell(self):
        msg_id = self.kc.execute("busy_loops = 0\nwhile true do busy_loops = busy_loops + 1 end")
        time.sleep(1.0)
        self.km.interrupt_kernel()  # SIGINT (interrupt_mode "signal")
        reply = self.kc.get_shell_msg(timeout=TIMEOUT)
        self.assertEqual(reply["parent_header"]["msg_id"], msg_id)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "Interrupted")
        collect(self.kc, msg_id)
        reply, out = self.run_cell("busy_loops > 0")
        self.assertEqual(reply["content"]["status"], "ok")
        results = [m for m in out if m["msg_type"] == "execute_result"]
        self.assertEqual(results[0]["content"]["data"]["text/plain"], "true")

    def test_interrupt_request_on_control(self):
        msg_id = self.kc.execute("while true do end")
        time.sleep(0.5)
        ctl = self.kc.session.msg("interrupt_request", {})
        self.kc.control_channel.send(ctl)
        creply = self.kc.get_control_msg(timeout=TIMEOUT)
        self.assertEqual(creply["msg_type"], "interrupt_reply")
        reply = self.kc.get_shell_msg(timeout=TIMEOUT)
        self.assertEqual(reply["parent_header"]["msg_id"], msg_id)
        self.assertEqual(reply["content"]["ename"], "Interrupted")
        collect(self.kc, msg_id)
        reply, _ = self.run_cell("x_after = 1")
        self.assertEqual(reply["content"]["status"], "ok")

    def test_output_streams_while_cell_runs(self):
        # the first line must arrive before the cell ends (1.5 s later)
        msg_id = self.kc.execute('print("first")\nlocal t = os.clock() + 1.5\nwhile os.clock() < t do end\nprint("last")')
        first = None
        t0 = time.time()
        while time.time() - t0 < TIMEOUT:
            msg = self.kc.get_iopub_msg(timeout=TIMEOUT)
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream":
                first = (msg["content"]["text"], time.time() - t0)
                break
        self.assertIsNotNone(first)
        self.assertIn("first", first[0])
        self.assertNotIn("last", first[0])
        self.kc.get_shell_msg(timeout=TIMEOUT)
        collect(self.kc, msg_id)

    def test_state_persists_and_errors_keep_kernel(self):
        self.run_cell("kept = 41")
        reply, out = self.run_cell("local t = nil\nreturn t.x")
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "LuaError")
        self.assertIn("attempt to index", reply["content"]["evalue"])
        self.assertIn("stack traceback:", reply["content"]["traceback"])
        reply, out = self.run_cell("kept + 1")
        self.assertEqual([m["content"]["data"]["text/plain"] for m in out if m["msg_type"] == "execute_result"], ["42"])

    def test_binary_output_does_not_break_messages(self):
        # bytes that are not UTF-8 reach the notebook as '?', and the kernel carries on
        reply, out = self.run_cell('io.write("\\255\\254 bytes\\n")')
        self.assertEqual(reply["content"]["status"], "ok")
        text = "".join(m["content"]["text"] for m in out if m["msg_type"] == "stream")
        self.assertEqual(text, "?? bytes\n")

    def test_cells_queued_after_an_error_are_aborted(self):
        # as "Run all" sends them: the second cell arrives while the first runs, then fails
        first = self.kc.execute("local t = os.clock() + 0.5\nwhile os.clock() < t do end\nerror('stop here')")
        second = self.kc.execute("should_not_run = true")
        replies = {}
        while len(replies) < 2:
            r = self.kc.get_shell_msg(timeout=TIMEOUT)
            replies[r["parent_header"]["msg_id"]] = r["content"]["status"]
        self.assertEqual(replies, {first: "error", second: "aborted"})
        collect(self.kc, first)
        reply, out = self.run_cell("should_not_run == nil")
        self.assertEqual([m["content"]["data"]["text/plain"] for m in out if m["msg_type"] == "execute_result"], ["true"])

    def test_error_while_showing_a_result(self):
        # a value whose __tostring fails: the error is shown on stderr, the kernel carries on
        reply, out = self.run_cell('setmetatable({}, {__tostring = function() error("no text") end})')
        self.assertEqual(reply["content"]["status"], "ok")
        err = "".join(m["content"]["text"] for m in out if m["msg_type"] == "stream" and m["content"]["name"] == "stderr")
        self.assertIn("cannot show the result", err)
        self.assertIn("no text", err)
        reply, out = self.run_cell("1 + 1")
        self.assertEqual([m["content"]["data"]["text/plain"] for m in out if m["msg_type"] == "execute_result"], ["2"])

    def test_io_read_asks_the_frontend(self):
        msg_id = self.kc.execute("answer = io.read()\nprint('got ' .. answer)", allow_stdin=True)
        req = self.kc.get_stdin_msg(timeout=TIMEOUT)
        self.assertEqual(req["msg_type"], "input_request")
        self.assertEqual(req["parent_header"]["msg_id"], msg_id)
        self.kc.input("forty-two")
        reply = self.kc.get_shell_msg(timeout=TIMEOUT)
        self.assertEqual(reply["content"]["status"], "ok")
        out = collect(self.kc, msg_id)
        self.assertIn("got forty-two", "".join(m["content"]["text"] for m in out if m["msg_type"] == "stream"))
        # a frontend without stdin: io.read is an error, not a hang
        reply, _ = self.run_cell("io.read()", allow_stdin=False)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertIn("allow_stdin", reply["content"]["evalue"])

    def test_cell_sent_after_an_error_runs(self):
        # only what was queued while the failing cell ran is aborted: a cell sent after the
        # failing cell's reply and idle status runs (this once raced)
        for i in range(5):
            reply, _ = self.run_cell("error('fails')")
            self.assertEqual(reply["content"]["status"], "error")
            reply, _ = self.run_cell("after_error = %d" % i)
            self.assertEqual(reply["content"]["status"], "ok")

    def test_plot_value_displays_inline(self):
        if shutil.which("gnuplot") is None:
            self.skipTest("gnuplot not installed")
        path = os.path.join(self.tmp, "p.png")
        reply, out = self.run_cell('ebm.plot.lines{path = %r, series = {{name = "y", y = {1, 3, 2}}}}' % path)
        self.assertEqual(reply["content"]["status"], "ok")
        res = [m for m in out if m["msg_type"] == "execute_result"]
        self.assertIn("image/png", res[0]["content"]["data"])

    def test_inspect_shows_doc_comment(self):
        self.kc.inspect("ebm.display.mime", 9)  # cursor inside "display": the whole name
        reply = self.kc.get_shell_msg(timeout=TIMEOUT)
        self.assertTrue(reply["content"]["found"])
        text = reply["content"]["data"]["text/plain"]
        self.assertIn("function M.mime", text)
        self.assertIn("the mime bundle", text)


class EbmluaLifecycleTests(unittest.TestCase):
    """Heartbeat, restart (a fresh Lua state) and shutdown (the process exits by itself)."""

    def test_heartbeat_restart_shutdown(self):
        km, kc = start_new_kernel(kernel_name="ebmlua")
        try:
            time.sleep(1.5)
            self.assertTrue(kc.hb_channel.is_beating(), "heartbeat answers")
            kc.execute_interactive("restart_marker = 1", timeout=TIMEOUT)
            km.restart_kernel(now=False)  # shutdown_request, then a new process
            kc.wait_for_ready(timeout=TIMEOUT)
            out = []
            kc.execute_interactive("restart_marker == nil", timeout=TIMEOUT,
                                   output_hook=lambda m: out.append(m))
            res = [m["content"]["data"]["text/plain"] for m in out if m["msg_type"] == "execute_result"]
            self.assertEqual(res, ["true"], "a restarted kernel starts from a fresh state")
            proc = km.provisioner.process if getattr(km, "provisioner", None) else km.kernel
            kc.shutdown()  # shutdown_request on the control channel
            reply = kc.get_control_msg(timeout=TIMEOUT)
            self.assertEqual(reply["msg_type"], "shutdown_reply")
            t0 = time.time()
            while proc.poll() is None and time.time() - t0 < 10:
                time.sleep(0.1)
            self.assertEqual(proc.poll(), 0, "the kernel process exits with status 0 after shutdown")
        finally:
            kc.stop_channels()
            if km.is_alive():
                km.shutdown_kernel(now=True)


if __name__ == "__main__":
    unittest.main()
