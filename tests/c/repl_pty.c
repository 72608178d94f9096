/* repl_pty.c - drive the ebmlua REPL through a pseudo-terminal, as a person would:
 * expression printing, multi-line input, pretty-printed tables and tensors, tab
 * completion, Ctrl-C during a running chunk and at the prompt, history search (Ctrl-R,
 * and the Ctrl-R Ctrl-X key sequence that crashed readline's callback mode), Ctrl-D to leave.
 * A tiny expect: each step writes keystrokes and waits (with a timeout) for text. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"

static int master = -1;
static char buf[1 << 16]; /* everything the REPL printed since the last mark */
static size_t len = 0;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void send_keys(const char *s) {
    size_t n = strlen(s);
    while (n) {
        ssize_t w = write(master, s, n);
        if (w <= 0) return;
        s += w, n -= (size_t)w;
    }
}

/* Wait up to `secs` for `want` to appear in the output since the last mark; on success the
 * mark moves past it. Returns 1 if seen. */
static int expect(const char *want, double secs) {
    double end = now() + secs;
    for (;;) {
        buf[len] = 0;
        char *hit = strstr(buf, want);
        if (hit) {
            size_t used = (size_t)(hit - buf) + strlen(want);
            memmove(buf, buf + used, len - used);
            len -= used;
            return 1;
        }
        double left = end - now();
        if (left <= 0) break;
        struct pollfd p = {master, POLLIN, 0};
        if (poll(&p, 1, (int)(left * 1000) + 1) <= 0) continue;
        if (len >= sizeof buf - 1) len = 0; /* runaway output: keep the newest */
        ssize_t r = read(master, buf + len, sizeof buf - 1 - len);
        if (r <= 0) break;
        len += (size_t)r;
    }
    buf[len] = 0;
    diag("wanted \"%s\"; output was: %.400s", want, buf);
    return 0;
}

int main(void) {
    char home[] = "/tmp/ebmlua-pty-XXXXXX"; /* a private HOME keeps the history file out of the way */
    if (!mkdtemp(home)) return 1;
    if (access("./ebmlua", X_OK) != 0) {
        plan(1);
        ok(0, "./ebmlua built (run from the repository root)");
        return done_testing();
    }
    struct winsize ws = {24, 100, 0, 0};
    pid_t pid = forkpty(&master, NULL, NULL, &ws);
    if (pid < 0) {
        plan(1);
        ok(0, "forkpty: %s", strerror(errno));
        return done_testing();
    }
    if (pid == 0) {
        setenv("HOME", home, 1);
        setenv("TERM", "dumb", 1);
        setenv("INPUTRC", "/dev/null", 1);
        execl("./ebmlua", "ebmlua", (char *)NULL);
        _exit(127);
    }
    ok(expect("> ", 10), "prompt appears");
    send_keys("1+1\r");
    ok(expect("\n2\r\n", 5), "an expression's value is printed");
    send_keys("for i = 1, 2 do\r");
    ok(expect(">> ", 5), "continuation prompt for an unfinished chunk");
    send_keys("print(i * 10) end\r");
    ok(expect("10\r\n20\r\n", 5), "the multi-line chunk runs");
    send_keys("{b = 1, a = {2, 3}, s = 'x'}\r");
    ok(expect("{a = {2, 3}, b = 1, s = \"x\"}", 5), "tables are pretty-printed with sorted keys");
    send_keys("ebm.f32{{1,2},{3,4}}\r");
    ok(expect("3  4\r\n[ebm.Tensor f32 of size 2x2]", 5), "tensors print like Torch");
    send_keys("ebm.f3\t");
    ok(expect("ebm.f32(", 5), "tab completes ebm.f3 to ebm.f32(");
    send_keys("2, 3)\r");
    ok(expect("[ebm.Tensor f32 of size 2x3]", 5), "the completed call runs");
    send_keys("pri\t");
    ok(expect("print(", 5), "tab completes the global pri to print(");
    send_keys("#'glob' * 111)\r");
    ok(expect("444", 5), "the completed global call runs");
    send_keys("while true do end\r");
    usleep(300000);
    kill(pid, SIGINT); /* what the terminal does on Ctrl-C, without depending on tty settings */
    ok(expect("interrupted!", 5), "Ctrl-C interrupts a running chunk");
    send_keys("print(6 * 7)\r");
    ok(expect("42", 5), "the REPL still works after the interrupt");
    send_keys("\x03"); /* the real keystroke, while the next loop runs */
    send_keys("while true do end\r");
    usleep(300000);
    send_keys("\x03");
    ok(expect("interrupted!", 5), "the Ctrl-C keystroke through the terminal interrupts too");
    send_keys("local half = 'abc");
    usleep(200000);
    send_keys("\x03");
    usleep(200000);
    send_keys("print(('fr'):rep(2) .. 'esh')\r"); /* the echo of the keys never contains the output */
    ok(expect("frfresh", 5), "Ctrl-C at the prompt drops the typed line and keeps the REPL");
    send_keys("for i = 1, 3 do\r");
    ok(expect(">> ", 5), "continuation prompt");
    send_keys("\x03");
    usleep(200000);
    send_keys("print(#'abcd' * 11)\r");
    ok(expect("44", 5), "Ctrl-C at the continuation prompt drops the unfinished chunk");
    /* Ctrl-R (history search), Ctrl-X (a key prefix), then a key: libreadline 8.2's
     * callback mode crashed here (SIGSEGV). The REPL must live on, and Ctrl-C must end
     * whatever mode the keys left readline in. */
    send_keys("\x12\x18x");
    usleep(200000);
    send_keys("\x03");
    usleep(200000);
    send_keys("print(#'search' * 1111)\r");
    ok(expect("6666", 5), "Ctrl-R Ctrl-X x does not crash; Ctrl-C then a new line works");
    send_keys("\x12" "fresh");
    usleep(200000);
    send_keys("\x03");
    usleep(200000);
    send_keys("print(#'isearch' * 1001)\r");
    ok(expect("7007", 5), "Ctrl-C in the middle of a history search drops it");
    send_keys("\x12#'abcd'\r");
    ok(expect("44", 5), "Ctrl-R finds an earlier line in the history and Enter runs it");
    send_keys("error('oo' .. 'ps')\r");
    ok(expect("oops", 5), "errors are reported");
    send_keys("print(#'alive' * 1001)\r");
    ok(expect("5005", 5), "and the REPL continues");
    /* Wait for the next prompt: a Ctrl-D typed while the terminal is still in cooked mode
     * (between the chunk's end and readline's prep of the terminal) is turned into a NUL
     * byte by the tty when readline switches to raw mode, and the REPL never sees an EOF. */
    ok(expect("> ", 5), "the prompt returns");
    send_keys("\x04"); /* Ctrl-D on an empty line */
    int status = -1;
    double end = now() + 5;
    while (now() < end && waitpid(pid, &status, WNOHANG) == 0) usleep(20000);
    if (!ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "Ctrl-D leaves the REPL with status 0")) expect("(show)", 0.5);
    if (!WIFEXITED(status)) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    char hist[256];
    snprintf(hist, sizeof hist, "%s/.ebmlua_history", home);
    ok(access(hist, R_OK) == 0, "history is saved to $HOME/.ebmlua_history");
    unlink(hist);
    rmdir(home);
    return done_testing();
}
