/* kernel.c - ebmlua as a Jupyter kernel: messaging protocol 5.3 over ZeroMQ (contract in
 * kernel.h).
 *
 * Threads and what each one owns:
 *   main     the shell and stdin sockets, the user's Lua state (cells run here, one at a
 *            time), the protocol state P
 *   control  the control socket (interrupt, shutdown, kernel_info), its own protocol state
 *   output   reads the pipes that stdout and stderr (file descriptors 1 and 2) point to
 *            while the kernel runs and publishes what it reads as `stream` messages, so
 *            output from print, io.write and C code reaches the notebook while the cell
 *            runs; its own protocol state
 *   heart    echoes heartbeat pings
 * The iopub socket is shared: every send on it holds `mu` (which also guards the parent
 * header of the running request and the pipe read ends).
 *
 * JSON goes through lua-cjson, the library the Lua side uses, called in a small private
 * Lua state per thread (the "protocol state"): cjson's C API is not public, and a private
 * state keeps the protocol away from the user's globals, hooks and interrupts. cjson 2.1.0
 * encodes an empty table as {}; arrays that may be empty are given the sentinel string
 * EMPTY_ARRAY, replaced by [] after encoding.
 *
 * Signatures: HMAC-SHA256 (OpenSSL) of header, parent header, metadata and content, keyed
 * from the connection file, compared in constant time; a message with a bad signature is
 * logged on the kernel's stderr and dropped.
 *
 * Interrupts: SIGINT (what Jupyter sends with interrupt_mode "signal") and
 * interrupt_request on the control socket (which raises SIGINT in the main thread) make
 * the running cell stop with "interrupted!" at its next Lua instruction, as Ctrl-C in the
 * REPL does; the other threads block SIGINT.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <zmq.h>

#include "interp.h"
#include "io_png.h"
#include "kernel.h"

#ifndef EBM_VERSION
#define EBM_VERSION "0.0.0"
#endif

#define PROTOCOL_VERSION "5.3"
#define EMPTY_ARRAY "\001[]"  /* sentinel for [] (see top) */
#define EMPTY_ARRAY_JSON "\"\\u0001[]\""
#define DELIM "<IDS|MSG>"
#define POLL_MS 100           /* how often idle loops look at the stop flags */

/* ---- state ---- */

typedef struct {
    void *ctx, *shell, *control, *stdin_sock, *iopub, *hb;
    char key[512];
    size_t keylen;
    char session[40];            /* this kernel's session id (uuid) */
    lua_State *U;                /* the user's state: cells run here (main thread only) */
    lua_State *P;                /* protocol state of the main thread */
    pthread_mutex_t mu;          /* iopub sends, `parent`, the pipe read ends */
    char *parent;                /* header JSON of the request being served (malloc'd) */
    int out_fd[2];               /* read ends of the stdout and stderr pipes */
    char carry[2][4];            /* an unfinished UTF-8 sequence held back per stream */
    int ncarry[2];
    int log_fd;                  /* the kernel's own stderr (the terminal or a log) */
    pthread_t main_thread;
    volatile sig_atomic_t busy;  /* a cell is running in U */
    volatile int shutdown;       /* a shutdown request was answered: leave the loop */
    volatile int stop;           /* helper threads: return */
    int exec_count;
    int aborting;                /* 1: a cell failed with stop_on_error; 2: answering what was
                                    queued meanwhile (execute requests "aborted") */
    const void *cur;             /* the shell request being served (a wire *), or NULL */
    int allow_stdin;             /* its frontend accepts input_request */
    volatile sig_atomic_t interrupted; /* SIGINT during the running cell */
    char **hist;                 /* inputs of cells run with store_history, 1-based by count */
    int *hist_line;
    int nhist;
} kernel;

static kernel *K = NULL; /* for the signal handler and the display function */

static void klog(const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (n > (int)sizeof buf - 2) n = (int)sizeof buf - 2;
    buf[n++] = '\n';
    int fd = K ? K->log_fd : 2;
    ssize_t w = write(fd, "ebmlua kernel: ", 15);
    w = write(fd, buf, (size_t)n);
    (void)w;
}

/* ---- JSON through cjson in a protocol state ---- */

/* A fresh protocol state: standard libraries and cjson.safe as global `json`. */
static lua_State *proto_new(void) {
    lua_State *P = luaL_newstate();
    if (!P) return NULL;
    luaL_openlibs(P);
    if (luaL_dostring(P, "json = require 'cjson.safe'; json.encode_sparse_array(true)") != LUA_OK) {
        klog("cannot load lua-cjson: %s", lua_tostring(P, -1));
        lua_close(P);
        return NULL;
    }
    return P;
}

/* Decode JSON text; pushes a table, or nil when the text is not a JSON object. */
static void json_decode(lua_State *P, const char *s, size_t n) {
    lua_getglobal(P, "json");
    lua_getfield(P, -1, "decode");
    lua_remove(P, -2);
    lua_pushlstring(P, s, n);
    if (lua_pcall(P, 1, 1, 0) != LUA_OK || !lua_istable(P, -1)) {
        lua_pop(P, 1);
        lua_pushnil(P);
    }
}

/* Length of the valid UTF-8 sequence starting at s[0] (n bytes left), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n) {
    size_t len = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || len > n || (len == 2 && s[0] < 0xC2)) return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return len;
}

/* Encode the value at idx as JSON text (malloc'd), EMPTY_ARRAY sentinels turned into [].
 * Bytes that are not valid UTF-8 (binary printed by a cell) become '?', since Jupyter
 * decodes every message as UTF-8. NULL when cjson refuses the value. */
static char *json_encode(lua_State *P, int idx) {
    idx = lua_absindex(P, idx);
    lua_getglobal(P, "json");
    lua_getfield(P, -1, "encode");
    lua_remove(P, -2);
    lua_pushvalue(P, idx);
    if (lua_pcall(P, 1, 1, 0) != LUA_OK || !lua_isstring(P, -1)) {
        lua_pop(P, 1);
        return NULL;
    }
    size_t n;
    const char *s = lua_tolstring(P, -1, &n);
    char *out = malloc(n + 1), *o = out;
    if (!out) {
        lua_pop(P, 1);
        return NULL;
    }
    const size_t sl = sizeof EMPTY_ARRAY_JSON - 1;
    for (size_t i = 0; i < n;) {
        if (s[i] == '"' && i + sl <= n && memcmp(s + i, EMPTY_ARRAY_JSON, sl) == 0) {
            *o++ = '[', *o++ = ']';
            i += sl;
        } else {
            size_t q = utf8_seq((const unsigned char *)s + i, n - i);
            if (q == 0) {
                *o++ = '?';
                i++;
            } else {
                memcpy(o, s + i, q);
                o += q, i += q;
            }
        }
    }
    *o = 0;
    lua_pop(P, 1);
    return out;
}

/* Field helpers on the table at idx of a protocol state. */
static const char *tfield_str(lua_State *P, int idx, const char *k, const char *def, size_t *len) {
    lua_getfield(P, idx, k);
    const char *s = lua_type(P, -1) == LUA_TSTRING ? lua_tolstring(P, -1, len) : NULL;
    lua_pop(P, 1); /* the string stays alive in the table */
    if (!s) {
        s = def;
        if (len) *len = def ? strlen(def) : 0;
    }
    return s;
}

static lua_Integer tfield_int(lua_State *P, int idx, const char *k, lua_Integer def) {
    lua_getfield(P, idx, k);
    int ok;
    lua_Integer v = lua_tointegerx(P, -1, &ok);
    lua_pop(P, 1);
    return ok ? v : def;
}

static int tfield_bool(lua_State *P, int idx, const char *k, int def) {
    int t = lua_getfield(P, idx, k);
    int v = t == LUA_TBOOLEAN ? lua_toboolean(P, -1) : def;
    lua_pop(P, 1);
    return v;
}

static void set_str(lua_State *P, const char *k, const char *v) {
    lua_pushstring(P, v);
    lua_setfield(P, -2, k);
}

/* ---- signatures ---- */

/* Hex HMAC-SHA256 of the four message parts into hex[65]; "" when the key is empty. */
static int sign_parts(const kernel *k, const char *const part[4], const size_t len[4], char hex[65]) {
    hex[0] = 0;
    if (k->keylen == 0) return 0;
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t maclen = 0;
    int ok = 0;
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *c = m ? EVP_MAC_CTX_new(m) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
                           OSSL_PARAM_construct_end()};
    if (c && EVP_MAC_init(c, (const unsigned char *)k->key, k->keylen, params)) {
        ok = 1;
        for (int i = 0; i < 4; i++) ok = ok && EVP_MAC_update(c, (const unsigned char *)part[i], len[i]);
        ok = ok && EVP_MAC_final(c, mac, &maclen, sizeof mac) && maclen == 32;
    }
    EVP_MAC_CTX_free(c);
    EVP_MAC_free(m);
    if (!ok) return -1;
    for (size_t i = 0; i < maclen; i++) snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    return 0;
}

/* 1 when `sig` (n bytes) is the signature of the parts (constant-time comparison). */
static int sign_check(const kernel *k, const char *sig, size_t n, const char *const part[4], const size_t len[4]) {
    char want[65];
    if (sign_parts(k, part, len, want) != 0) return 0;
    size_t wl = strlen(want);
    if (n != wl) return 0;
    return wl == 0 || CRYPTO_memcmp(sig, want, wl) == 0;
}

/* ---- messages ---- */

static void uuid4(char out[37]) {
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1)
        for (int i = 0; i < 16; i++) b[i] = (unsigned char)rand();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
             b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

typedef struct {
    zmq_msg_t f[64];   /* the frames as received */
    int n;             /* frames held */
    int delim;         /* index of <IDS|MSG> */
    const char *part[4];
    size_t len[4];     /* header, parent header, metadata, content */
} wire;

static void wire_free(wire *w) {
    for (int i = 0; i < w->n; i++) zmq_msg_close(&w->f[i]);
    w->n = 0;
}

/* Receive one multipart message. 0 = a well-formed, correctly signed message in *w;
 * -1 = nothing usable (logged; bad signatures and malformed messages are dropped). */
static int wire_recv(kernel *k, void *sock, wire *w) {
    w->n = 0;
    int more = 1;
    while (more) {
        zmq_msg_t tmp;
        zmq_msg_init(&tmp);
        if (zmq_msg_recv(&tmp, sock, 0) < 0) {
            zmq_msg_close(&tmp);
            wire_free(w);
            return -1;
        }
        more = zmq_msg_more(&tmp);
        if (w->n < 64) {
            w->f[w->n] = tmp;
            w->n++;
        } else {
            zmq_msg_close(&tmp);
        }
    }
    w->delim = -1;
    for (int i = 0; i < w->n; i++)
        if (zmq_msg_size(&w->f[i]) == strlen(DELIM) && memcmp(zmq_msg_data(&w->f[i]), DELIM, strlen(DELIM)) == 0) {
            w->delim = i;
            break;
        }
    if (w->delim < 0 || w->delim + 5 >= w->n) { /* delimiter, signature and 4 parts */
        klog("dropped a malformed message (%d frames)", w->n);
        wire_free(w);
        return -1;
    }
    for (int i = 0; i < 4; i++) {
        w->part[i] = zmq_msg_data(&w->f[w->delim + 2 + i]);
        w->len[i] = zmq_msg_size(&w->f[w->delim + 2 + i]);
    }
    zmq_msg_t *sig = &w->f[w->delim + 1];
    if (!sign_check(k, zmq_msg_data(sig), zmq_msg_size(sig), w->part, w->len)) {
        klog("dropped a message with a bad signature");
        wire_free(w);
        return -1;
    }
    return 0;
}

static void iso_now(char out[40]) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char d[32];
    strftime(d, sizeof d, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 40, "%s.%06ldZ", d, (long)tv.tv_usec);
}

/* Send a message: identities from `req` (shell/control replies) or the topic (iopub),
 * then delimiter, signature, header, parent header, "{}" metadata and content JSON. */
static int wire_send(kernel *k, void *sock, const wire *req, const char *topic, const char *msg_type,
                     const char *parent, size_t parent_len, const char *content) {
    char id[37], date[40], header[512];
    uuid4(id);
    iso_now(date);
    snprintf(header, sizeof header,
             "{\"msg_id\":\"%s\",\"session\":\"%s\",\"username\":\"ebmlua\",\"date\":\"%s\","
             "\"msg_type\":\"%s\",\"version\":\"" PROTOCOL_VERSION "\"}",
             id, k->session, date, msg_type);
    if (!parent) parent = "{}", parent_len = 2;
    const char *part[4] = {header, parent, "{}", content};
    size_t len[4] = {strlen(header), parent_len, 2, strlen(content)};
    char sig[65];
    if (sign_parts(k, part, len, sig) != 0) return -1;
    int rc = 0;
    if (req) {
        for (int i = 0; i < req->delim; i++) {
            zmq_msg_t c;
            zmq_msg_init(&c);
            zmq_msg_copy(&c, (zmq_msg_t *)&req->f[i]);
            if (zmq_msg_send(&c, sock, ZMQ_SNDMORE) < 0) {
                zmq_msg_close(&c);
                rc = -1;
            }
        }
    } else if (topic) {
        rc |= zmq_send(sock, topic, strlen(topic), ZMQ_SNDMORE) < 0;
    }
    rc |= zmq_send(sock, DELIM, strlen(DELIM), ZMQ_SNDMORE) < 0;
    rc |= zmq_send(sock, sig, strlen(sig), ZMQ_SNDMORE) < 0;
    for (int i = 0; i < 4; i++) rc |= zmq_send(sock, part[i], len[i], i < 3 ? ZMQ_SNDMORE : 0) < 0;
    return rc ? -1 : 0;
}

/* Reply to `req` on `sock` with the content table on top of P (popped). */
static void reply(kernel *k, lua_State *P, void *sock, const wire *req, const char *msg_type) {
    char *content = json_encode(P, -1);
    lua_pop(P, 1);
    if (!content) {
        klog("cannot encode the %s", msg_type);
        return;
    }
    wire_send(k, sock, req, NULL, msg_type, req->part[0], req->len[0], content);
    free(content);
}

/* Publish on iopub with the current parent header; `mu` must be held. */
static void publish_locked(kernel *k, const char *msg_type, const char *content) {
    char topic[128];
    snprintf(topic, sizeof topic, "kernel.%s.%s", k->session, msg_type);
    const char *parent = k->parent ? k->parent : "{}";
    wire_send(k, k->iopub, NULL, topic, msg_type, parent, strlen(parent), content);
}

/* Publish the content table on top of P (popped). */
static void publish(kernel *k, lua_State *P, const char *msg_type) {
    char *content = json_encode(P, -1);
    lua_pop(P, 1);
    if (!content) return;
    pthread_mutex_lock(&k->mu);
    publish_locked(k, msg_type, content);
    pthread_mutex_unlock(&k->mu);
    free(content);
}

static void publish_status(kernel *k, lua_State *P, const char *state) {
    lua_newtable(P);
    set_str(P, "execution_state", state);
    publish(k, P, "status");
}

/* Set the parent header for what is published next (a copy of req's header). */
static void set_parent(kernel *k, const wire *req) {
    char *p = malloc(req->len[0] + 1);
    if (p) {
        memcpy(p, req->part[0], req->len[0]);
        p[req->len[0]] = 0;
    }
    pthread_mutex_lock(&k->mu);
    free(k->parent);
    k->parent = p;
    pthread_mutex_unlock(&k->mu);
}

/* ---- captured output ---- */

/* Length of s[0..n) without an unfinished UTF-8 sequence at its end. */
static size_t utf8_complete(const unsigned char *s, size_t n) {
    size_t i = n, back = 0;
    while (i > 0 && back < 4 && (s[i - 1] & 0xC0) == 0x80) i--, back++;
    if (i == 0) return n;
    unsigned char c = s[i - 1];
    size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (need > 1 && back + 1 < need) return i - 1;
    return n;
}

/* Publish whatever the pipes hold as stream messages; `mu` must be held. */
static void drain_locked(kernel *k, lua_State *P) {
    static const char *names[2] = {"stdout", "stderr"};
    char buf[65536 + 4];
    for (int s = 0; s < 2; s++) {
        for (;;) {
            size_t have = (size_t)k->ncarry[s];
            memcpy(buf, k->carry[s], have);
            ssize_t r = read(k->out_fd[s], buf + have, 65536);
            if (r <= 0) break;
            size_t n = have + (size_t)r, keep = utf8_complete((unsigned char *)buf, n);
            k->ncarry[s] = (int)(n - keep);
            memcpy(k->carry[s], buf + keep, n - keep);
            if (keep == 0) continue;
            lua_newtable(P);
            set_str(P, "name", names[s]);
            lua_pushlstring(P, buf, keep);
            lua_setfield(P, -2, "text");
            char *content = json_encode(P, -1);
            lua_pop(P, 1);
            if (content) publish_locked(k, "stream", content);
            free(content);
        }
    }
}

/* The main thread's flush: everything written so far goes out before what follows. */
static void flush_output(kernel *k) {
    fflush(stdout);
    fflush(stderr);
    pthread_mutex_lock(&k->mu);
    drain_locked(k, k->P);
    pthread_mutex_unlock(&k->mu);
}

/* Streams what cells write to fds 1 and 2 while they run. */
static void *output_thread(void *arg) {
    kernel *k = arg;
    lua_State *P = proto_new();
    if (!P) return NULL;
    while (!k->stop) {
        struct pollfd pf[2] = {{k->out_fd[0], POLLIN, 0}, {k->out_fd[1], POLLIN, 0}};
        int r = poll(pf, 2, POLL_MS);
        if (r <= 0) continue;
        pthread_mutex_lock(&k->mu);
        drain_locked(k, P);
        pthread_mutex_unlock(&k->mu);
        if ((pf[0].revents | pf[1].revents) & (POLLHUP | POLLERR)) usleep(POLL_MS * 1000);
    }
    lua_close(P);
    return NULL;
}

/* Point fds 1 and 2 at pipes read by the output thread; stdin reads /dev/null. */
static int capture_output(kernel *k) {
    int po[2], pe[2];
    k->log_fd = dup(2);
    if (k->log_fd < 0 || pipe(po) != 0 || pipe(pe) != 0) return -1;
    fflush(stdout);
    fflush(stderr);
    if (dup2(po[1], 1) < 0 || dup2(pe[1], 2) < 0) return -1;
    close(po[1]);
    close(pe[1]);
    k->out_fd[0] = po[0];
    k->out_fd[1] = pe[0];
    fcntl(po[0], F_SETFL, O_NONBLOCK);
    fcntl(pe[0], F_SETFL, O_NONBLOCK);
    fcntl(po[0], F_SETFD, FD_CLOEXEC);
    fcntl(pe[0], F_SETFD, FD_CLOEXEC);
    fcntl(k->log_fd, F_SETFD, FD_CLOEXEC);
    setvbuf(stdout, NULL, _IOLBF, 0); /* print streams line by line while a cell runs */
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0) {
        dup2(null, 0);
        close(null);
    }
    return 0;
}

/* ---- heartbeat and control threads ---- */

static void *heart_thread(void *arg) {
    kernel *k = arg;
    while (!k->stop) {
        zmq_pollitem_t it = {k->hb, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, POLL_MS) <= 0) continue;
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, k->hb, 0) >= 0) zmq_msg_send(&m, k->hb, 0);
        zmq_msg_close(&m);
    }
    return NULL;
}

static void push_kernel_info(lua_State *P) {
    lua_newtable(P);
    set_str(P, "status", "ok");
    set_str(P, "protocol_version", PROTOCOL_VERSION);
    set_str(P, "implementation", "ebmlua");
    set_str(P, "implementation_version", EBM_VERSION);
    set_str(P, "banner", "ebmlua " EBM_VERSION " (" LUA_RELEASE "): Lua 5.4 with a C runtime for energy-based models");
    lua_pushboolean(P, 0);
    lua_setfield(P, -2, "debugger");
    lua_newtable(P);
    set_str(P, "name", "lua");
    set_str(P, "version", LUA_VERSION_MAJOR "." LUA_VERSION_MINOR "." LUA_VERSION_RELEASE);
    set_str(P, "mimetype", "text/x-lua");
    set_str(P, "file_extension", ".lua");
    set_str(P, "pygments_lexer", "lua");
    set_str(P, "codemirror_mode", "lua");
    lua_setfield(P, -2, "language_info");
}

/* Interrupt the running cell (if any) as Ctrl-C does: SIGINT to the main thread. */
static void interrupt_cell(kernel *k) {
    if (k->busy) pthread_kill(k->main_thread, SIGINT);
}

static void handle_shutdown(kernel *k, lua_State *P, void *sock, const wire *w, int restart) {
    lua_newtable(P);
    set_str(P, "status", "ok");
    lua_pushboolean(P, restart);
    lua_setfield(P, -2, "restart");
    reply(k, P, sock, w, "shutdown_reply");
    k->shutdown = 1;
    interrupt_cell(k);
}

/* The control socket: interrupt, shutdown and kernel_info requests, answered even while
 * a cell runs. */
static void *control_thread(void *arg) {
    kernel *k = arg;
    lua_State *P = proto_new();
    if (!P) return NULL;
    while (!k->stop) {
        zmq_pollitem_t it = {k->control, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, POLL_MS) <= 0) continue;
        wire w;
        if (wire_recv(k, k->control, &w) != 0) continue;
        json_decode(P, w.part[0], w.len[0]);
        json_decode(P, w.part[3], w.len[3]);
        const char *type = lua_istable(P, -2) ? tfield_str(P, -2, "msg_type", "", NULL) : "";
        if (strcmp(type, "interrupt_request") == 0) {
            interrupt_cell(k);
            lua_newtable(P);
            set_str(P, "status", "ok");
            reply(k, P, k->control, &w, "interrupt_reply");
        } else if (strcmp(type, "shutdown_request") == 0) {
            int restart = lua_istable(P, -1) && tfield_bool(P, -1, "restart", 0);
            handle_shutdown(k, P, k->control, &w, restart);
        } else if (strcmp(type, "kernel_info_request") == 0) {
            push_kernel_info(P);
            reply(k, P, k->control, &w, "kernel_info_reply");
        } else {
            klog("control: ignored a '%s'", type);
        }
        lua_settop(P, 0);
        wire_free(&w);
    }
    lua_close(P);
    return NULL;
}

/* ---- running cells ---- */

static void on_sigint(int sig) {
    (void)sig;
    if (K && K->busy) {
        K->interrupted = 1;
        interp_interrupt(K->U);
    }
}

/* ebm.kernel.input([prompt [, password]]) -> the line the user typed: an input_request on
 * the stdin socket, to the frontend that sent the running cell; io.read calls it in the
 * kernel. An error when that frontend does not take input; interruptible. */
static int l_input(lua_State *U) {
    const char *prompt = luaL_optstring(U, 1, "");
    int password = lua_toboolean(U, 2);
    kernel *k = K;
    const wire *req = k->cur;
    if (!req || !k->allow_stdin) return luaL_error(U, "input: this frontend does not take input (allow_stdin is false)");
    flush_output(k);
    lua_State *P = k->P;
    int top = lua_gettop(P);
    lua_newtable(P);
    set_str(P, "prompt", prompt);
    lua_pushboolean(P, password);
    lua_setfield(P, -2, "password");
    char *content = json_encode(P, -1);
    lua_settop(P, top);
    if (!content || wire_send(k, k->stdin_sock, req, NULL, "input_request", req->part[0], req->len[0], content) != 0) {
        free(content);
        return luaL_error(U, "input: cannot send the input request");
    }
    free(content);
    for (;;) {
        if (k->interrupted || k->shutdown) {
            lua_sethook(U, NULL, 0, 0); /* raise here, not again in the message handler */
            return luaL_error(U, "interrupted!");
        }
        zmq_pollitem_t it = {k->stdin_sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, POLL_MS) <= 0) continue;
        wire w;
        if (wire_recv(k, k->stdin_sock, &w) != 0) continue;
        json_decode(P, w.part[0], w.len[0]);
        json_decode(P, w.part[3], w.len[3]);
        int got = lua_istable(P, -2) && lua_istable(P, -1) && strcmp(tfield_str(P, -2, "msg_type", "", NULL), "input_reply") == 0;
        if (got) {
            size_t n;
            const char *v = tfield_str(P, -1, "value", "", &n);
            lua_pushlstring(U, v, n);
        }
        lua_settop(P, top);
        wire_free(&w);
        if (got) return 1;
    }
}

/* In the kernel io.read reads a line from the notebook (ebm.kernel.input): formats "l"
 * (the default), "L", "n" and "a" (one line), as far as one line can serve them. */
static const char *IO_READ_LUA =
    "local input = package.loaded['ebm.kernel'].input\n"
    "io.read = function(fmt)\n"
    "  fmt = type(fmt) == 'string' and fmt:gsub('^%*', ''):sub(1, 1) or fmt or 'l'\n"
    "  local line = input('')\n"
    "  if fmt == 'n' then return tonumber(line) end\n"
    "  if fmt == 'L' then return line .. '\\n' end\n"
    "  if type(fmt) == 'number' then return line:sub(1, fmt) end\n"
    "  return line\n"
    "end\n";

/* Load a cell so that the value of its final expression is returned, as the REPL shows
 * `return <line>`: for the last lines i = n..1 (at most 50) try "<lines before i>\nreturn
 * <lines from i>", then the cell as it is. Pushes the chunk, or the (first) error. */
static int load_cell(lua_State *U, const char *code, size_t len, const char *name) {
    luaL_Buffer b;
    int starts[51], ns = 0;
    size_t end = len;
    while (end > 0 && (code[end - 1] == '\n' || code[end - 1] == ' ' || code[end - 1] == '\t' || code[end - 1] == '\r')) end--;
    for (size_t i = end; i > 0 && ns < 50; i--)
        if (code[i - 1] == '\n') starts[ns++] = (int)i;
    if (ns < 50 && end > 0) starts[ns++] = 0;
    for (int s = 0; s < ns; s++) {
        size_t at = (size_t)starts[s];
        if (at >= end) continue;
        luaL_buffinit(U, &b);
        luaL_addlstring(&b, code, at);
        luaL_addstring(&b, "return ");
        luaL_addlstring(&b, code + at, end - at);
        luaL_addstring(&b, "\n;");
        luaL_pushresult(&b);
        size_t cl;
        const char *c = lua_tolstring(U, -1, &cl);
        int st = luaL_loadbuffer(U, c, cl, name);
        lua_remove(U, -2);
        if (st == LUA_OK) return st;
        lua_pop(U, 1);
    }
    return luaL_loadbuffer(U, code, len, name);
}

/* Copy a mime bundle {mime = string} from U (index idx) into a new table on P; image
 * types other than SVG are base64-encoded (OpenSSL). */
static void push_bundle(lua_State *U, int idx, lua_State *P) {
    idx = lua_absindex(U, idx);
    lua_newtable(P);
    lua_pushnil(U);
    while (lua_next(U, idx)) {
        if (lua_type(U, -2) == LUA_TSTRING && lua_type(U, -1) == LUA_TSTRING) {
            const char *mime = lua_tostring(U, -2);
            size_t n;
            const char *v = lua_tolstring(U, -1, &n);
            if (strncmp(mime, "image/", 6) == 0 && strcmp(mime, "image/svg+xml") != 0) {
                unsigned char *enc = malloc(4 * ((n + 2) / 3) + 1);
                if (enc) {
                    int m = EVP_EncodeBlock(enc, (const unsigned char *)v, (int)n);
                    lua_pushlstring(P, (const char *)enc, (size_t)m);
                    free(enc);
                    lua_setfield(P, -2, mime);
                }
            } else {
                lua_pushlstring(P, v, n);
                lua_setfield(P, -2, mime);
            }
        }
        lua_pop(U, 1);
    }
}

/* ebm.kernel.display(bundle): publish a display_data message for a mime bundle (what
 * ebm.display builds); earlier output is flushed first so the order is kept. */
static int l_display(lua_State *U) {
    luaL_checktype(U, 1, LUA_TTABLE);
    kernel *k = K;
    flush_output(k);
    lua_State *P = k->P;
    lua_newtable(P);
    push_bundle(U, 1, P);
    lua_setfield(P, -2, "data");
    lua_newtable(P);
    lua_setfield(P, -2, "metadata");
    publish(k, P, "display_data");
    return 0;
}

/* Call require(mod)[fn] with the nargs values on top of U, in protected mode; leaves its
 * first result in their place and returns 0, or leaves the error message and returns -1. */
static int call_lua(lua_State *U, const char *mod, const char *fn, int nargs) {
    int base = lua_gettop(U) - nargs; /* arguments at base+1 .. top */
    lua_pushcfunction(U, interp_msghandler);
    lua_insert(U, base + 1); /* handler, arguments */
    lua_getglobal(U, "require");
    lua_pushstring(U, mod);
    int st = lua_pcall(U, 1, 1, base + 1);
    if (st == LUA_OK && lua_istable(U, -1)) {
        lua_getfield(U, -1, fn);
        lua_remove(U, -2);
        lua_insert(U, base + 2); /* handler, function, arguments */
        st = lua_pcall(U, nargs, 1, base + 1);
    } else if (st == LUA_OK) {
        st = LUA_ERRRUN;
    }
    if (st != LUA_OK) {
        lua_pushfstring(U, "%s.%s: %s", mod, fn, lua_isstring(U, -1) ? lua_tostring(U, -1) : "not a module");
        lua_replace(U, base + 1);
        lua_settop(U, base + 1);
        return -1;
    }
    lua_remove(U, base + 1); /* the handler */
    return 0;
}

/* Split a traceback message into evalue (before "stack traceback:") and lines. */
static void push_error_content(lua_State *P, const char *ename, const char *msg) {
    const char *tb = strstr(msg, "\nstack traceback:");
    size_t vlen = tb ? (size_t)(tb - msg) : strlen(msg);
    lua_newtable(P);
    set_str(P, "ename", ename);
    lua_pushlstring(P, msg, vlen);
    lua_setfield(P, -2, "evalue");
    lua_newtable(P);
    int i = 1;
    const char *p = msg;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        lua_pushlstring(P, p, n);
        lua_rawseti(P, -2, i++);
        p += n;
        if (*p) p++;
    }
    if (i == 1) {
        lua_pushstring(P, msg);
        lua_rawseti(P, -2, 1);
    }
    lua_setfield(P, -2, "traceback");
}

static void history_add(kernel *k, const char *code, size_t len, int line) {
    char **h = realloc(k->hist, sizeof(char *) * (size_t)(k->nhist + 1));
    int *l = realloc(k->hist_line, sizeof(int) * (size_t)(k->nhist + 1));
    if (h) k->hist = h;
    if (l) k->hist_line = l;
    if (!h || !l) return;
    char *c = malloc(len + 1);
    if (!c) return;
    memcpy(c, code, len);
    c[len] = 0;
    k->hist[k->nhist] = c;
    k->hist_line[k->nhist] = line;
    k->nhist++;
}

/* execute_request: execute_input, the cell (output streamed by the output thread), then
 * execute_result (the REPL's text and any picture, ebm.interp.display.bundle) or error,
 * and the execute_reply. */
static void handle_execute(kernel *k, const wire *w) {
    lua_State *P = k->P, *U = k->U;
    int content = lua_gettop(P);
    size_t len;
    const char *code = tfield_str(P, content, "code", "", &len);
    int silent = tfield_bool(P, content, "silent", 0);
    int store = tfield_bool(P, content, "store_history", 1) && !silent;
    if (store) k->exec_count++;
    int count = k->exec_count;
    if (store) history_add(k, code, len, count);
    if (!silent) {
        lua_newtable(P);
        lua_pushlstring(P, code, len);
        lua_setfield(P, -2, "code");
        lua_pushinteger(P, count);
        lua_setfield(P, -2, "execution_count");
        publish(k, P, "execute_input");
    }

    int top = lua_gettop(U);
    char name[64];
    snprintf(name, sizeof name, "=[cell %d]", count);
    const char *ename = NULL;
    int st = load_cell(U, code, len, name);
    if (st != LUA_OK) {
        ename = "SyntaxError";
    } else {
        lua_pushcfunction(U, interp_msghandler);
        lua_insert(U, top + 1);
        sigset_t ss, old;
        sigemptyset(&ss);
        sigaddset(&ss, SIGINT);
        k->interrupted = 0;
        k->allow_stdin = tfield_bool(P, content, "allow_stdin", 0);
        k->cur = w;
        k->busy = 1;
        st = lua_pcall(U, 0, LUA_MULTRET, top + 1);
        pthread_sigmask(SIG_BLOCK, &ss, &old);
        k->busy = 0;
        k->cur = NULL;
        lua_sethook(U, NULL, 0, 0); /* an interrupt that came too late to stop the cell */
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        lua_remove(U, top + 1);
        if (st != LUA_OK) {
            const char *m = lua_tostring(U, -1);
            ename = (m && strstr(m, "interrupted!")) ? "Interrupted" : "LuaError";
        }
    }
    flush_output(k);
    if (st == LUA_OK) {
        int nres = lua_gettop(U) - top;
        if (nres > 0 && !silent) {
            if (call_lua(U, "ebm.interp.display", "bundle", nres) != 0) { /* e.g. a __tostring that fails */
                fprintf(stderr, "ebmlua: cannot show the result: %s\n", lua_tostring(U, -1));
                flush_output(k);
            } else if (lua_istable(U, -1)) {
                lua_newtable(P);
                lua_pushinteger(P, count);
                lua_setfield(P, -2, "execution_count");
                push_bundle(U, -1, P);
                lua_setfield(P, -2, "data");
                lua_newtable(P);
                lua_setfield(P, -2, "metadata");
                flush_output(k); /* output of __tostring methods first */
                publish(k, P, "execute_result");
            } else {
                flush_output(k);
            }
        }
        lua_settop(U, top);
        lua_newtable(P);
        set_str(P, "status", "ok");
        lua_pushinteger(P, count);
        lua_setfield(P, -2, "execution_count");
        set_str(P, "payload", EMPTY_ARRAY);
        lua_newtable(P);
        lua_setfield(P, -2, "user_expressions");
    } else {
        const char *m = lua_tostring(U, -1);
        if (!m) m = "(error object is not a string)";
        push_error_content(P, ename, m);
        lua_pushvalue(P, -1);
        if (!silent) publish(k, P, "error");
        else lua_pop(P, 1);
        set_str(P, "status", "error");
        lua_pushinteger(P, count);
        lua_setfield(P, -2, "execution_count");
        lua_settop(U, top);
        k->aborting = tfield_bool(P, content, "stop_on_error", 1);
    }
    reply(k, P, k->shell, w, "execute_reply");
    lua_gc(U, LUA_GCSTEP, 0);
}

/* Byte offset of code point `cp` in the UTF-8 string s[0..n) (Jupyter counts cursor
 * positions in code points since protocol 5.2). */
static size_t cp_to_byte(const char *s, size_t n, lua_Integer cp) {
    size_t i = 0;
    while (i < n && cp > 0) {
        i++;
        while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80) i++;
        cp--;
    }
    return i;
}

static size_t byte_to_cp(const char *s, size_t b) {
    size_t cp = 0;
    for (size_t i = 0; i < b; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) cp++;
    return cp;
}

static int is_word(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':';
}

static void complete_add(void *ud, const char *cand) {
    lua_State *P = ud;
    lua_pushstring(P, cand);
    lua_rawseti(P, -2, (lua_Integer)lua_rawlen(P, -2) + 1);
}

static int l_complete(lua_State *U) {
    interp_complete(U, lua_tostring(U, 1), complete_add, lua_touserdata(U, 2));
    return 0;
}

/* complete_request: the REPL's completion of the dotted name before the cursor. */
static void handle_complete(kernel *k, const wire *w) {
    lua_State *P = k->P, *U = k->U;
    size_t len;
    const char *code = tfield_str(P, -1, "code", "", &len);
    size_t cur = cp_to_byte(code, len, tfield_int(P, -1, "cursor_pos", (lua_Integer)byte_to_cp(code, len)));
    size_t start = cur;
    while (start > 0 && is_word(code[start - 1])) start--;
    lua_newtable(P);
    set_str(P, "status", "ok");
    lua_newtable(P); /* matches */
    lua_pushcfunction(U, l_complete);
    lua_pushlstring(U, code + start, cur - start);
    lua_pushlightuserdata(U, P);
    if (lua_pcall(U, 2, 0, 0) != LUA_OK) lua_pop(U, 1);
    if (lua_rawlen(P, -1) == 0) {
        lua_pop(P, 1);
        lua_pushstring(P, EMPTY_ARRAY);
    }
    lua_setfield(P, -2, "matches");
    lua_pushinteger(P, (lua_Integer)byte_to_cp(code, start));
    lua_setfield(P, -2, "cursor_start");
    lua_pushinteger(P, (lua_Integer)byte_to_cp(code, cur));
    lua_setfield(P, -2, "cursor_end");
    lua_newtable(P);
    lua_setfield(P, -2, "metadata");
    reply(k, P, k->shell, w, "complete_reply");
}

/* inspect_request: the documentation of the dotted name under the cursor (ebm.interp.doc). */
static void handle_inspect(kernel *k, const wire *w) {
    lua_State *P = k->P, *U = k->U;
    size_t len;
    const char *code = tfield_str(P, -1, "code", "", &len);
    size_t cur = cp_to_byte(code, len, tfield_int(P, -1, "cursor_pos", (lua_Integer)byte_to_cp(code, len)));
    size_t a = cur, b = cur;
    while (a > 0 && is_word(code[a - 1])) a--;
    while (b < len && is_word(code[b])) b++; /* the whole dotted name under the cursor */
    while (b > a && (code[b - 1] == '.' || code[b - 1] == ':' || code[b - 1] == '(')) b--;
    int top = lua_gettop(U);
    lua_pushlstring(U, code + a, b - a);
    if (call_lua(U, "ebm.interp.doc", "lookup", 1) != 0) klog("inspect: %s", lua_tostring(U, -1));
    lua_newtable(P);
    set_str(P, "status", "ok");
    lua_newtable(P);
    int found = lua_type(U, -1) == LUA_TSTRING;
    if (found) set_str(P, "text/plain", lua_tostring(U, -1));
    lua_setfield(P, -2, "data");
    lua_pushboolean(P, found);
    lua_setfield(P, -2, "found");
    lua_newtable(P);
    lua_setfield(P, -2, "metadata");
    lua_settop(U, top);
    reply(k, P, k->shell, w, "inspect_reply");
}

/* is_complete_request: compiles the code (nothing runs): complete, incomplete (the
 * parser stopped at <eof>) or invalid. */
static void handle_is_complete(kernel *k, const wire *w) {
    lua_State *P = k->P, *U = k->U;
    size_t len;
    const char *code = tfield_str(P, -1, "code", "", &len);
    int top = lua_gettop(U);
    const char *status = "complete";
    if (load_cell(U, code, len, "=cell") != LUA_OK) {
        size_t ml;
        const char *m = lua_tolstring(U, -1, &ml);
        status = (m && ml >= 5 && strcmp(m + ml - 5, "<eof>") == 0) ? "incomplete" : "invalid";
    }
    lua_settop(U, top);
    lua_newtable(P);
    set_str(P, "status", status);
    if (strcmp(status, "incomplete") == 0) set_str(P, "indent", "");
    reply(k, P, k->shell, w, "is_complete_reply");
}

#define HIST_SESSION 1

static void hist_push(kernel *k, lua_State *P, int i, int output) {
    lua_newtable(P);
    lua_pushinteger(P, HIST_SESSION);
    lua_rawseti(P, -2, 1);
    lua_pushinteger(P, k->hist_line[i]);
    lua_rawseti(P, -2, 2);
    if (output) { /* [input, output]: outputs are not kept */
        lua_newtable(P);
        lua_pushstring(P, k->hist[i]);
        lua_rawseti(P, -2, 1);
        lua_pushstring(P, "");
        lua_rawseti(P, -2, 2);
    } else {
        lua_pushstring(P, k->hist[i]);
    }
    lua_rawseti(P, -2, 3);
    lua_rawseti(P, -2, (lua_Integer)lua_rawlen(P, -2) + 1);
}

/* history_request: tail, range or search (fnmatch patterns) over this session's cells. */
static void handle_history(kernel *k, const wire *w) {
    lua_State *P = k->P;
    int req = lua_gettop(P);
    const char *type = tfield_str(P, req, "hist_access_type", "tail", NULL);
    int output = tfield_bool(P, req, "output", 0);
    lua_Integer n = tfield_int(P, req, "n", 10);
    lua_newtable(P);
    set_str(P, "status", "ok");
    lua_newtable(P);
    int list = lua_gettop(P);
    if (strcmp(type, "tail") == 0) {
        for (int i = n < k->nhist ? k->nhist - (int)n : 0; i < k->nhist; i++) hist_push(k, P, i, output);
    } else if (strcmp(type, "range") == 0) {
        lua_Integer session = tfield_int(P, req, "session", 0), start = tfield_int(P, req, "start", 0),
                    stop = tfield_int(P, req, "stop", INT_MAX);
        if (session == 0 || session == HIST_SESSION)
            for (int i = 0; i < k->nhist; i++)
                if (k->hist_line[i] >= start && k->hist_line[i] < stop) hist_push(k, P, i, output);
    } else if (strcmp(type, "search") == 0) {
        const char *pat = tfield_str(P, req, "pattern", "*", NULL);
        int unique = tfield_bool(P, req, "unique", 0);
        /* newest first while collecting (for n and unique), then reversed */
        int *pick = malloc(sizeof(int) * (size_t)(k->nhist + 1)), np = 0;
        for (int i = k->nhist - 1; pick && i >= 0 && np < n; i--) {
            if (fnmatch(pat, k->hist[i], 0) != 0) continue;
            int dup = 0;
            for (int j = 0; unique && j < np && !dup; j++) dup = strcmp(k->hist[pick[j]], k->hist[i]) == 0;
            if (!dup) pick[np++] = i;
        }
        for (int j = np - 1; j >= 0; j--) hist_push(k, P, pick[j], output);
        free(pick);
    }
    if (lua_rawlen(P, list) == 0) {
        lua_pop(P, 1);
        lua_pushstring(P, EMPTY_ARRAY);
    }
    lua_setfield(P, -2, "history");
    reply(k, P, k->shell, w, "history_reply");
}

/* One shell message: busy, the handler of its type, idle. */
static void handle_shell(kernel *k) {
    lua_State *P = k->P;
    wire w;
    if (wire_recv(k, k->shell, &w) != 0) return;
    lua_settop(P, 0);
    json_decode(P, w.part[0], w.len[0]);
    const char *type = lua_istable(P, 1) ? tfield_str(P, 1, "msg_type", "", NULL) : "";
    json_decode(P, w.part[3], w.len[3]);
    if (!lua_istable(P, 2)) {
        lua_pop(P, 1);
        lua_newtable(P);
    }
    set_parent(k, &w);
    publish_status(k, P, "busy");
    if (strcmp(type, "kernel_info_request") == 0) {
        push_kernel_info(P);
        reply(k, P, k->shell, &w, "kernel_info_reply");
    } else if (strcmp(type, "execute_request") == 0 && k->aborting) {
        lua_newtable(P); /* after a failed cell (stop_on_error), cells already queued are not run */
        set_str(P, "status", "aborted");
        lua_pushinteger(P, k->exec_count);
        lua_setfield(P, -2, "execution_count");
        reply(k, P, k->shell, &w, "execute_reply");
    } else if (strcmp(type, "execute_request") == 0) {
        handle_execute(k, &w);
    } else if (strcmp(type, "complete_request") == 0) {
        handle_complete(k, &w);
    } else if (strcmp(type, "inspect_request") == 0) {
        handle_inspect(k, &w);
    } else if (strcmp(type, "is_complete_request") == 0) {
        handle_is_complete(k, &w);
    } else if (strcmp(type, "history_request") == 0) {
        handle_history(k, &w);
    } else if (strcmp(type, "comm_info_request") == 0) {
        lua_newtable(P);
        set_str(P, "status", "ok");
        lua_newtable(P);
        lua_setfield(P, -2, "comms");
        reply(k, P, k->shell, &w, "comm_info_reply");
    } else if (strcmp(type, "shutdown_request") == 0) {
        handle_shutdown(k, P, k->shell, &w, tfield_bool(P, 2, "restart", 0));
    } else {
        klog("shell: ignored a '%s'", type);
    }
    lua_settop(P, 0);
    if (k->aborting == 1) {
        /* a cell failed (stop_on_error): what the frontend queued while it ran ("Run all")
         * is answered now, before this request's idle status, execute requests as aborted */
        k->aborting = 2;
        for (;;) {
            zmq_pollitem_t it = {k->shell, 0, ZMQ_POLLIN, 0};
            if (zmq_poll(&it, 1, 0) <= 0) break;
            handle_shell(k);
        }
        k->aborting = 0;
        set_parent(k, &w);
    }
    publish_status(k, P, "idle");
    wire_free(&w);
}

/* ---- start-up ---- */

static void *bind_socket(kernel *k, int type, lua_State *P, int conn, const char *port_key, const char *what) {
    void *s = zmq_socket(k->ctx, type);
    if (!s) return NULL;
    int linger = 1000;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    const char *transport = tfield_str(P, conn, "transport", "tcp", NULL);
    const char *ip = tfield_str(P, conn, "ip", "127.0.0.1", NULL);
    lua_Integer port = tfield_int(P, conn, port_key, -1);
    char ep[512];
    if (strcmp(transport, "ipc") == 0) snprintf(ep, sizeof ep, "ipc://%s-%lld", ip, (long long)port);
    else snprintf(ep, sizeof ep, "%s://%s:%lld", transport, ip, (long long)port);
    if (port < 0 || zmq_bind(s, ep) != 0) {
        klog("cannot bind the %s socket to %s: %s", what, ep, port < 0 ? "no port given" : zmq_strerror(zmq_errno()));
        zmq_close(s);
        return NULL;
    }
    return s;
}

/* The whole file (malloc'd), its length in *n; NULL if it cannot be read. */
static char *read_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t cap = 0, len = 0;
    for (;;) {
        if (len + 4096 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, cap);
            if (!nb) break;
            buf = nb;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0) break;
    }
    fclose(f);
    *n = len;
    return buf;
}

int kernel_option(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--kernel") == 0) return KERNEL_RUN;
    if (argc > 1 && strcmp(argv[1], "--install-kernel") == 0) return KERNEL_INSTALL;
    return 0;
}

int kernel_run(lua_State *U, const char *connection_file) {
    static kernel k;
    memset(&k, 0, sizeof k);
    if (!connection_file) {
        fprintf(stderr, "usage: ebmlua --kernel CONNECTION_FILE\n");
        return -1;
    }
    k.log_fd = 2;
    K = &k;
    k.U = U;
    k.P = proto_new();
    if (!k.P) return -1;
    lua_State *P = k.P;
    size_t n;
    char *text = read_file(connection_file, &n);
    if (!text) {
        klog("cannot read the connection file %s: %s", connection_file, strerror(errno));
        return -1;
    }
    json_decode(P, text, n);
    free(text);
    if (!lua_istable(P, -1)) {
        klog("%s is not a JSON object", connection_file);
        return -1;
    }
    int conn = lua_gettop(P);
    size_t kl;
    const char *key = tfield_str(P, conn, "key", "", &kl);
    const char *scheme = tfield_str(P, conn, "signature_scheme", "hmac-sha256", NULL);
    if (kl >= sizeof k.key || (kl > 0 && strcmp(scheme, "hmac-sha256") != 0)) {
        klog("unsupported signature scheme '%s' or key too long", scheme);
        return -1;
    }
    memcpy(k.key, key, kl);
    k.keylen = kl;
    uuid4(k.session);
    pthread_mutex_init(&k.mu, NULL);
    k.ctx = zmq_ctx_new();
    k.shell = bind_socket(&k, ZMQ_ROUTER, P, conn, "shell_port", "shell");
    k.control = bind_socket(&k, ZMQ_ROUTER, P, conn, "control_port", "control");
    k.stdin_sock = bind_socket(&k, ZMQ_ROUTER, P, conn, "stdin_port", "stdin");
    k.iopub = bind_socket(&k, ZMQ_PUB, P, conn, "iopub_port", "iopub");
    k.hb = bind_socket(&k, ZMQ_REP, P, conn, "hb_port", "heartbeat");
    lua_settop(P, 0);
    if (!k.shell || !k.control || !k.stdin_sock || !k.iopub || !k.hb) return -1;

    /* cells reach the kernel through package.loaded["ebm.kernel"] (see ebm.interp.display) */
    luaL_getsubtable(U, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_newtable(U);
    lua_pushcfunction(U, l_display);
    lua_setfield(U, -2, "display");
    lua_pushcfunction(U, l_input);
    lua_setfield(U, -2, "input");
    lua_setfield(U, -2, "ebm.kernel");
    lua_pop(U, 1);
    if (luaL_dostring(U, IO_READ_LUA) != LUA_OK) {
        klog("cannot set io.read: %s", lua_tostring(U, -1));
        lua_pop(U, 1);
    }

    if (capture_output(&k) != 0) {
        klog("cannot redirect output: %s", strerror(errno));
        return -1;
    }
    k.main_thread = pthread_self();
    sigset_t ss, old;
    sigemptyset(&ss);
    sigaddset(&ss, SIGINT);
    pthread_sigmask(SIG_BLOCK, &ss, &old); /* helper threads never take SIGINT */
    pthread_t th[3];
    pthread_create(&th[0], NULL, heart_thread, &k);
    pthread_create(&th[1], NULL, control_thread, &k);
    pthread_create(&th[2], NULL, output_thread, &k);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    struct sigaction sa, oldsa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &oldsa);

    publish_status(&k, P, "starting");
    while (!k.shutdown) {
        zmq_pollitem_t it[2] = {{k.shell, 0, ZMQ_POLLIN, 0}, {k.stdin_sock, 0, ZMQ_POLLIN, 0}};
        int r = zmq_poll(it, 2, POLL_MS);
        if (r <= 0) continue;
        if (it[0].revents & ZMQ_POLLIN) handle_shell(&k);
        if (it[1].revents & ZMQ_POLLIN) { /* input_request is not sent: nothing to read */
            wire w;
            if (wire_recv(&k, k.stdin_sock, &w) == 0) wire_free(&w);
        }
    }
    flush_output(&k);
    k.stop = 1;
    for (int i = 0; i < 3; i++) pthread_join(th[i], NULL);
    sigaction(SIGINT, &oldsa, NULL);
    zmq_close(k.shell);
    zmq_close(k.control);
    zmq_close(k.stdin_sock);
    zmq_close(k.iopub);
    zmq_close(k.hb);
    zmq_ctx_term(k.ctx);
    lua_close(k.P);
    for (int i = 0; i < k.nhist; i++) free(k.hist[i]);
    free(k.hist);
    free(k.hist_line);
    free(k.parent);
    dup2(k.log_fd, 2);
    K = NULL;
    return 0;
}

/* ---- kernelspec ---- */

/* The logo: a 2-colouring of a grid graph (the checkerboard blocks of a Gibbs sweep) in
 * the project's colours, drawn as discs on a dark ground; written with the runtime's
 * PNG writer. */
static int write_logo(const char *path, int size, char *err, size_t errlen) {
    uint8_t *pix = malloc((size_t)size * (size_t)size * 3);
    if (!pix) return -1;
    int cells = 4, cs = size / cells;
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            int cy = y / cs, cx = x / cs;
            double dy = (y % cs) + 0.5 - cs / 2.0, dx = (x % cs) + 0.5 - cs / 2.0;
            int in = dx * dx + dy * dy <= (cs * 0.42) * (cs * 0.42);
            uint8_t *p = pix + 3 * ((size_t)y * (size_t)size + (size_t)x);
            static const uint8_t ground[3] = {32, 36, 48}, a[3] = {240, 140, 40}, b[3] = {70, 160, 230};
            const uint8_t *c = !in ? ground : ((cx + cy) % 2 ? a : b);
            memcpy(p, c, 3);
        }
    int rc = ebm_png_write(path, pix, size, size, 3, (int64_t)size * 3, err, errlen);
    free(pix);
    return rc;
}

static int mkdirs(const char *path) {
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return -1;
            *p = '/';
        }
    return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

int kernel_install(lua_State *L, int argc, char **argv) {
    const char *prefix = NULL, *exe = NULL;
    int user = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--user") == 0) user = 1;
        else if (strcmp(argv[i], "--prefix") == 0 && i + 1 < argc) prefix = argv[++i];
        else if (strcmp(argv[i], "--exe") == 0 && i + 1 < argc) exe = argv[++i];
        else {
            fprintf(stderr,
                    "usage: ebmlua --install-kernel [--user | --prefix DIR] [--exe PATH]\n"
                    "  writes the Jupyter kernelspec 'ebmlua' (kernel.json and logos) into\n"
                    "  DIR/share/jupyter/kernels/ebmlua (--prefix), the user's Jupyter data\n"
                    "  directory (--user), or /usr/local/share/jupyter/kernels/ebmlua;\n"
                    "  kernel.json runs PATH (default: this program's absolute path)\n");
            return -1;
        }
    }
    if (user && prefix) {
        fprintf(stderr, "ebmlua: --install-kernel takes --user or --prefix, not both\n");
        return -1;
    }
    char dir[PATH_MAX], self[PATH_MAX];
    if (user) {
        const char *data = getenv("JUPYTER_DATA_DIR"), *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
        if (data) snprintf(dir, sizeof dir, "%s/kernels/ebmlua", data);
        else if (xdg) snprintf(dir, sizeof dir, "%s/jupyter/kernels/ebmlua", xdg);
        else if (home) snprintf(dir, sizeof dir, "%s/.local/share/jupyter/kernels/ebmlua", home);
        else {
            fprintf(stderr, "ebmlua: --user needs HOME\n");
            return -1;
        }
    } else {
        snprintf(dir, sizeof dir, "%s/share/jupyter/kernels/ebmlua", prefix ? prefix : "/usr/local");
    }
    if (!exe) {
        ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
        if (len <= 0) {
            fprintf(stderr, "ebmlua: cannot find this program's path\n");
            return -1;
        }
        self[len] = 0;
        exe = self;
    } else if (exe[0] != '/') {
        fprintf(stderr, "ebmlua: --exe needs an absolute path\n");
        return -1;
    }
    if (mkdirs(dir) != 0) {
        fprintf(stderr, "ebmlua: cannot create %s: %s\n", dir, strerror(errno));
        return -1;
    }
    /* kernel.json through cjson (the path is escaped as JSON needs) */
    lua_State *P = proto_new();
    if (!P) return -1;
    lua_newtable(P);
    lua_newtable(P);
    const char *av[3] = {exe, "--kernel", "{connection_file}"};
    for (int i = 0; i < 3; i++) {
        lua_pushstring(P, av[i]);
        lua_rawseti(P, -2, i + 1);
    }
    lua_setfield(P, -2, "argv");
    set_str(P, "display_name", "ebmlua");
    set_str(P, "language", "lua");
    set_str(P, "interrupt_mode", "signal");
    char *json = json_encode(P, -1);
    lua_close(P);
    char path[PATH_MAX + 64], tmp[PATH_MAX + 96], err[256];
    snprintf(path, sizeof path, "%s/kernel.json", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    FILE *f = json ? fopen(tmp, "w") : NULL;
    int ok = f && fprintf(f, "%s\n", json) > 0;
    if (f) ok = (fclose(f) == 0) && ok;
    free(json);
    if (!ok || rename(tmp, path) != 0) {
        fprintf(stderr, "ebmlua: cannot write %s: %s\n", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    static const int sizes[2] = {32, 64};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/logo-%dx%d.png", dir, sizes[i], sizes[i]);
        if (write_logo(path, sizes[i], err, sizeof err) != 0) {
            fprintf(stderr, "ebmlua: %s\n", err);
            return -1;
        }
    }
    (void)L;
    printf("installed the Jupyter kernel 'ebmlua' in %s\n", dir);
    return 0;
}
