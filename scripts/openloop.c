/*
 * openloop: the open-loop client of scripts/bench-mailauth.sh. It sends
 * POST /api/v1/mail/auth at a fixed rate whatever the answers and times each
 * request from its scheduled time, so a slow answer delays nobody's clock (no
 * coordinated omission; Debian's wrk has no rate limit). It takes the flags
 * of `varco-bench mailauth` and prints the same line, plus its own CPU time
 * per request. It is C, on one thread with epoll, because it runs on the
 * same cores as varco: what it spends per request is taken from varco and
 * shows up in the latencies it measures.
 *
 *   openloop -url http://127.0.0.1:8080 -secret … -user … -password … \
 *            -rate 2000 -d 10s [-c 256] [-ips 256] [-tick 100us]
 *
 * Request i is due at start + i/rate. Every due request goes to a free kept
 * connection; when none is free it waits in order, still timed from when it
 * was due. A connection that fails (a short read, a close, an answer that
 * does not parse or has no Content-Length) counts its request as a
 * transport error and is dialled again when next needed. It only talks to
 * loopback addresses.
 *
 * The loop sleeps until the next request is due or an answer arrives. On
 * loopback most of the client's CPU is the kernel's: a send wakes the
 * server and an answer wakes the client, and on a virtual machine each
 * wake-up is dear. With -tick T it sleeps whole ticks of T instead and
 * sends and reads in bursts: fewer wake-ups on both sides, and every
 * latency up to T (plus the kernel's timer slack) longer than it was.
 *
 * Built by bench-mailauth.sh with gcc -O2 -Wall -Wextra -Werror; building
 * it with -DFORCE_TIMERFD or a short -DREQUEST_TIMEOUT_NS tries those
 * paths.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define HEAD_MAX 16384            /* the most bytes of status line and headers */
#ifndef REQUEST_TIMEOUT_NS
#define REQUEST_TIMEOUT_NS 30000000000LL /* as the Go client's deadline */
#endif
#define CONNECT_TIMEOUT_MS 5000
#define TIMER_TAG UINT32_MAX

enum { C_CLOSED, C_CONNECTING, C_IDLE, C_BUSY };

struct conn {
  int fd;
  int state;
  long req;          /* request in flight, -1 for none */
  const char *wbuf;  /* its bytes */
  size_t wlen, woff; /* and how many are written */
  bool want_out;     /* EPOLLOUT is registered */
  int64_t sent_ns;
  char rbuf[HEAD_MAX];
  size_t rlen;       /* bytes held in rbuf */
  long long body_left; /* > 0: in an answer's body, this many bytes to skip */
  int status;        /* of the answer whose body is being skipped */
  bool close_after;  /* that answer said Connection: close */
  struct freelist *list; /* the free list c is on, or NULL */
  int slot;              /* and its place there */
};

/* The free connections: connected ones are used first, closed ones are
 * dialled when no connected one is free. */
struct freelist {
  int *conn;
  int n;
};

static int epfd = -1;
static struct conn *conns;
static int nconns;
static struct freelist idle, closed;
static struct sockaddr_storage target;
static socklen_t target_len;

static char **reqs;
static size_t *req_lens;
static long nreqs;

static long total, done;
static int64_t start_ns;
static long rate;
static int64_t *lat_ns;
static short *status_of;

static void fatal(int code, const char *fmt, ...) {
  va_list ap;
  fputs("openloop: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(code);
}

static void usage(const char *why) {
  fprintf(stderr, "openloop: %s\nusage: openloop -url http://127.0.0.1:PORT -secret S -user U -password P "
                  "[-rate 1000] [-d 10s] [-c 256] [-ips 0] [-tick 0]\n", why);
  exit(2);
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* due_ns is when request i is due: start + i/rate. */
static int64_t due_ns(long i) { return start_ns + (int64_t)((__int128)i * 1000000000 / rate); }

/* --- arguments ----------------------------------------------------------- */

static long parse_long(const char *name, const char *s, long lo, long hi) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi) {
    char why[160];
    snprintf(why, sizeof why, "-%s: want a whole number from %ld to %ld, got \"%s\"", name, lo, hi, s);
    usage(why);
  }
  return v;
}

/* parse_duration reads Go's duration syntax ("10s", "1.5s", "500ms",
 * "1m30s") into seconds; it returns -1 when s is not one. */
static double parse_duration(const char *s) {
  static const struct { const char *unit; double secs; } units[] = {
      {"ns", 1e-9}, {"us", 1e-6}, {"\xc2\xb5s", 1e-6}, {"ms", 1e-3}, {"s", 1}, {"m", 60}, {"h", 3600}};
  double sum = 0;
  if (!*s) return -1;
  while (*s) {
    char *end;
    if (!(*s >= '0' && *s <= '9') && *s != '.') return -1;
    double v = strtod(s, &end);
    if (end == s) return -1;
    s = end;
    size_t best = 0;
    double mult = 0;
    for (size_t k = 0; k < sizeof units / sizeof units[0]; k++) {
      size_t n = strlen(units[k].unit);
      if (strncmp(s, units[k].unit, n) == 0 && n > best) best = n, mult = units[k].secs;
    }
    if (!best) return -1;
    s += best;
    sum += v * mult;
  }
  return sum;
}

/* json_string appends s to out as a JSON string, escaped as Go's
 * encoding/json escapes ASCII (including <, > and &), so that the bodies
 * are the Go client's byte for byte. */
static size_t json_string(char *out, const char *s) {
  static const char hex[] = "0123456789abcdef";
  size_t n = 0;
  out[n++] = '"';
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    unsigned char c = *p;
    if (c == '"' || c == '\\') {
      out[n++] = '\\', out[n++] = (char)c;
    } else if (c == '\b') {
      out[n++] = '\\', out[n++] = 'b';
    } else if (c == '\f') {
      out[n++] = '\\', out[n++] = 'f';
    } else if (c == '\n') {
      out[n++] = '\\', out[n++] = 'n';
    } else if (c == '\r') {
      out[n++] = '\\', out[n++] = 'r';
    } else if (c == '\t') {
      out[n++] = '\\', out[n++] = 't';
    } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
      memcpy(out + n, "\\u00", 4);
      n += 4;
      out[n++] = hex[c >> 4], out[n++] = hex[c & 15];
    } else {
      out[n++] = (char)c;
    }
  }
  out[n++] = '"';
  return n;
}

/* target_from_url fills target from an http:// URL whose host must be a
 * loopback address (or localhost, taken as 127.0.0.1) and returns the URL's
 * host[:port] for the Host header. */
static char *target_from_url(const char *url) {
  if (strncmp(url, "http://", 7) != 0) usage("-url: want http://HOST:PORT");
  const char *h = url + 7;
  size_t hl = strcspn(h, "/?#");
  char *hostport = strndup(h, hl);
  if (!hostport) fatal(1, "out of memory");
  char host[256];
  const char *port = NULL;
  if (hostport[0] == '[') {
    char *close = strchr(hostport, ']');
    if (!close || (size_t)(close - hostport - 1) >= sizeof host) usage("-url: bad IPv6 host");
    memcpy(host, hostport + 1, (size_t)(close - hostport - 1));
    host[close - hostport - 1] = 0;
    if (close[1] == ':') port = close + 2;
    else if (close[1]) usage("-url: bad host");
  } else {
    char *colon = strchr(hostport, ':');
    size_t n = colon ? (size_t)(colon - hostport) : strlen(hostport);
    if (n >= sizeof host) usage("-url: host too long");
    memcpy(host, hostport, n);
    host[n] = 0;
    if (colon) port = colon + 1;
  }
  long p = port ? parse_long("url port", port, 1, 65535) : 80;
  memset(&target, 0, sizeof target);
  struct sockaddr_in *a4 = (struct sockaddr_in *)&target;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&target;
  if (strcasecmp(host, "localhost") == 0) {
    a4->sin_family = AF_INET;
    a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  } else if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
  } else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
  }
  bool loop = (target.ss_family == AF_INET && (ntohl(a4->sin_addr.s_addr) >> 24) == 127) ||
              (target.ss_family == AF_INET6 &&
               (IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr) ||
                (IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr) && a6->sin6_addr.s6_addr[12] == 127)));
  if (!loop) fatal(1, "%s is not a loopback address", hostport);
  if (target.ss_family == AF_INET) {
    a4->sin_port = htons((uint16_t)p);
    target_len = sizeof *a4;
  } else {
    a6->sin6_port = htons((uint16_t)p);
    target_len = sizeof *a6;
  }
  return hostport;
}

/* build_requests writes the requests whole, as the Go client does: one,
 * or with ips > 0 one per client IP 10.77.i/250.1+i%250. */
static void build_requests(const char *hostport, const char *secret, const char *user, const char *pw, long ips) {
  nreqs = ips > 0 ? ips : 1;
  reqs = calloc((size_t)nreqs, sizeof *reqs);
  req_lens = calloc((size_t)nreqs, sizeof *req_lens);
  size_t cap = 6 * (strlen(user) + strlen(pw)) + 128;
  char *body = malloc(cap);
  if (!reqs || !req_lens || !body) fatal(1, "out of memory");
  for (long i = 0; i < nreqs; i++) {
    char ip[32];
    if (ips > 0) snprintf(ip, sizeof ip, "10.77.%ld.%ld", i / 250, 1 + i % 250);
    else strcpy(ip, "198.51.100.7");
    /* Keys in order, as encoding/json writes a map. */
    size_t n = 0;
    n += (size_t)sprintf(body + n, "{\"client_ip\":");
    n += json_string(body + n, ip);
    n += (size_t)sprintf(body + n, ",\"password\":");
    n += json_string(body + n, pw);
    n += (size_t)sprintf(body + n, ",\"protocol\":\"imap\",\"username\":");
    n += json_string(body + n, user);
    body[n++] = '}';
    body[n] = 0;
    int len = asprintf(&reqs[i],
                       "POST /api/v1/mail/auth HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
                       "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                       hostport, secret, n, body);
    if (len < 0) fatal(1, "out of memory");
    req_lens[i] = (size_t)len;
  }
  free(body);
}

/* --- the answer parser ---------------------------------------------------- */

/* parse_head reads an answer's status line and headers at the start of
 * buf[0..n). It returns 0 when they are not complete yet, -1 when they are
 * not an answer this client can read (a bad status line or header, no
 * Content-Length, two different ones, or Transfer-Encoding), else the
 * length of the head, with *status, *length and *close set. Lines end in
 * LF or CRLF. */
static long parse_head(const char *buf, size_t n, int *status, long long *length, bool *close) {
  const char *p = buf, *end = buf + n;
  bool first = true;
  *length = -1;
  *close = false;
  for (;;) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl) return 0;
    const char *le = nl;
    if (le > p && le[-1] == '\r') le--;
    size_t ll = (size_t)(le - p);
    if (first) {
      /* HTTP/1.1 SP 3DIGIT [SP reason] */
      if (ll < 12 || memcmp(p, "HTTP/1.1 ", 9) != 0) return -1;
      for (int k = 9; k < 12; k++)
        if (p[k] < '0' || p[k] > '9') return -1;
      if (ll > 12 && p[12] != ' ') return -1;
      *status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
      if (*status < 100 || *status > 599) return -1;
      first = false;
    } else if (ll == 0) {
      if (*length < 0) return -1;
      return nl + 1 - buf;
    } else {
      const char *colon = memchr(p, ':', ll);
      if (!colon || colon == p) return -1;
      for (const char *q = p; q < colon; q++)
        if (*q <= ' ' || *q >= 127) return -1; /* also a folded line */
      const char *v = colon + 1, *ve = le;
      while (v < ve && (*v == ' ' || *v == '\t')) v++;
      while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
      size_t nl_ = (size_t)(colon - p);
      if (nl_ == 14 && strncasecmp(p, "Content-Length", 14) == 0) {
        if (v == ve) return -1;
        long long l = 0;
        for (const char *q = v; q < ve; q++) {
          if (*q < '0' || *q > '9' || l > 1000000000000LL) return -1;
          l = l * 10 + (*q - '0');
        }
        if (*length >= 0 && *length != l) return -1;
        *length = l;
      } else if (nl_ == 17 && strncasecmp(p, "Transfer-Encoding", 17) == 0) {
        return -1;
      } else if (nl_ == 10 && strncasecmp(p, "Connection", 10) == 0) {
        /* a token "close" in a comma-separated list */
        const char *q = v;
        while (q < ve) {
          while (q < ve && (*q == ' ' || *q == '\t' || *q == ',')) q++;
          const char *t = q;
          while (q < ve && *q != ',' && *q != ' ' && *q != '\t') q++;
          if (q - t == 5 && strncasecmp(t, "close", 5) == 0) *close = true;
        }
      }
    }
    p = nl + 1;
  }
}

/* --- connections ---------------------------------------------------------- */

static void record(long req, int status) {
  lat_ns[req] = now_ns() - due_ns(req);
  status_of[req] = (short)status;
  done++;
}

static void list_push(struct freelist *l, struct conn *c) {
  c->list = l;
  c->slot = l->n;
  l->conn[l->n++] = (int)(c - conns);
}

static struct conn *list_pop(struct freelist *l) {
  struct conn *c = &conns[l->conn[--l->n]];
  c->list = NULL;
  return c;
}

static void list_remove(struct conn *c) {
  struct freelist *l = c->list;
  if (!l) return;
  struct conn *last = &conns[l->conn[--l->n]];
  l->conn[c->slot] = (int)(last - conns);
  last->slot = c->slot;
  c->list = NULL;
}

/* watch adds c's new socket to the epoll set, for writing too when out. */
static void watch(struct conn *c, bool out) {
  struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.u32 = (uint32_t)(c - conns)};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0) fatal(1, "epoll_ctl: %s", strerror(errno));
  c->want_out = out;
}

static void set_watch(struct conn *c, bool out) {
  if (c->want_out == out) return;
  struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.u32 = (uint32_t)(c - conns)};
  if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0) fatal(1, "epoll_ctl: %s", strerror(errno));
  c->want_out = out;
}

/* shut closes c's socket and makes it free, to be dialled again; its
 * request, if any, is a transport error. */
static void shut(struct conn *c) {
  list_remove(c);
  if (c->req >= 0) record(c->req, -1);
  c->req = -1;
  if (c->fd >= 0) close(c->fd); /* also leaves the epoll set */
  c->fd = -1;
  c->state = C_CLOSED;
  c->rlen = 0;
  c->body_left = 0;
  c->want_out = false;
  list_push(&closed, c);
}

static void make_idle(struct conn *c) {
  c->req = -1;
  c->state = C_IDLE;
  list_push(&idle, c);
}

static int new_socket(void) {
  int fd = socket(target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

/* send_more writes what is left of c's request. */
static void send_more(struct conn *c) {
  while (c->woff < c->wlen) {
    ssize_t w = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        set_watch(c, true);
        return;
      }
      shut(c);
      return;
    }
    c->woff += (size_t)w;
  }
  set_watch(c, false);
}

/* assign sends request req on the free connection c, dialling it first
 * when it has no socket. */
static void assign(struct conn *c, long req) {
  c->req = req;
  c->wbuf = reqs[req % nreqs];
  c->wlen = req_lens[req % nreqs];
  c->woff = 0;
  c->sent_ns = now_ns();
  if (c->state == C_CLOSED) {
    c->fd = new_socket();
    if (c->fd < 0) {
      shut(c);
      return;
    }
    if (connect(c->fd, (struct sockaddr *)&target, target_len) != 0) {
      if (errno != EINPROGRESS) {
        shut(c);
        return;
      }
      c->state = C_CONNECTING;
      watch(c, true);
      return;
    }
    watch(c, false);
  }
  c->state = C_BUSY;
  send_more(c);
}

/* finish_answer ends c's exchange with an answer of status st. */
static void finish_answer(struct conn *c, int st, bool close_after) {
  record(c->req, st);
  c->req = -1;
  if (close_after || c->woff < c->wlen) { /* a request half written cannot be followed by another */
    shut(c);
    return;
  }
  make_idle(c);
}

/* consume parses what c holds: answers cut anywhere, and several at
 * once, though only one was asked for: bytes after it shut c. */
static void consume(struct conn *c) {
  size_t off = 0;
  while (off < c->rlen) {
    if (c->body_left > 0) {
      size_t take = c->rlen - off;
      if ((long long)take > c->body_left) take = (size_t)c->body_left;
      off += take;
      c->body_left -= (long long)take;
      if (c->body_left > 0) break;
      finish_answer(c, c->status, c->close_after);
      if (c->state == C_CLOSED) return;
      continue;
    }
    if (c->req < 0) { /* the start of an answer nobody asked for */
      shut(c);
      return;
    }
    int st = 0;
    long long length;
    bool close_after;
    long h = parse_head(c->rbuf + off, c->rlen - off, &st, &length, &close_after);
    if (h < 0 || (h == 0 && off == 0 && c->rlen == sizeof c->rbuf)) {
      shut(c);
      return;
    }
    if (h == 0) break;
    off += (size_t)h;
    if (length == 0) {
      finish_answer(c, st, close_after);
      if (c->state == C_CLOSED) return;
      continue;
    }
    c->body_left = length;
    c->status = st;
    c->close_after = close_after;
  }
  memmove(c->rbuf, c->rbuf + off, c->rlen - off);
  c->rlen -= off;
}

static void on_readable(struct conn *c) {
  ssize_t r = recv(c->fd, c->rbuf + c->rlen, sizeof c->rbuf - c->rlen, 0);
  if (r < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    shut(c);
    return;
  }
  if (r == 0) {
    /* The server closed: an idle connection (a keep-alive timeout) is
     * dialled again when needed; a request in flight is a transport
     * error. */
    shut(c);
    return;
  }
  c->rlen += (size_t)r;
  if (c->state == C_IDLE) { /* bytes nobody asked for */
    shut(c);
    return;
  }
  consume(c);
}

static void on_event(struct conn *c, uint32_t ev) {
  if (c->state == C_CLOSED) return; /* shut earlier in this batch */
  if (c->state == C_CONNECTING) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err) {
      shut(c);
      return;
    }
    if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    c->state = C_BUSY;
    send_more(c);
    return;
  }
  if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
    on_readable(c);
    if (c->state == C_CLOSED) return;
  }
  if ((ev & EPOLLOUT) && c->state == C_BUSY && c->woff < c->wlen) send_more(c);
}

/* dial_first opens c before the run, waiting for the connection; false
 * with errno set when it fails. */
static bool dial_first(struct conn *c) {
  int fd = new_socket();
  if (fd < 0) return false;
  if (connect(fd, (struct sockaddr *)&target, target_len) != 0) {
    if (errno != EINPROGRESS) goto fail;
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    int r;
    while ((r = poll(&pfd, 1, CONNECT_TIMEOUT_MS)) < 0 && errno == EINTR) {
    }
    if (r == 0) {
      errno = ETIMEDOUT;
      goto fail;
    }
    int err = 0;
    socklen_t len = sizeof err;
    if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) goto fail;
    if (err) {
      errno = err;
      goto fail;
    }
  }
  c->fd = fd;
  watch(c, false);
  make_idle(c);
  return true;
fail:;
  int e = errno;
  close(fd);
  errno = e;
  return false;
}

/* --- the run -------------------------------------------------------------- */

/* Sleeping until a time with nanosecond precision: epoll_pwait2 where the
 * kernel has it (5.11), else a timerfd in the epoll set (also when built
 * with -DFORCE_TIMERFD, to try that path). With -tick the loop instead
 * sleeps whole ticks whatever arrives, then takes what is ready. */
static int timer_fd = -1;
static int64_t timer_armed_ns = -1;
static int64_t tick_ns, last_tick_ns;
static int max_events;

static int wait_until(struct epoll_event *evs, int64_t until_ns) {
  int64_t now = now_ns();
  if (tick_ns > 0) {
    int64_t next = last_tick_ns + tick_ns;
    if (next < now - tick_ns) next = now; /* fell behind: no burst of catch-up ticks */
    struct timespec ts = {.tv_sec = next / 1000000000, .tv_nsec = next % 1000000000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
    last_tick_ns = next;
    return epoll_wait(epfd, evs, max_events, 0);
  }
  int64_t d = until_ns - now;
  if (d < 0) d = 0;
  if (timer_fd < 0) {
#ifndef FORCE_TIMERFD
    struct timespec ts = {.tv_sec = d / 1000000000, .tv_nsec = d % 1000000000};
    int n = epoll_pwait2(epfd, evs, max_events, &ts, NULL);
    if (n >= 0 || errno != ENOSYS) return n;
#endif
    timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (timer_fd < 0) fatal(1, "timerfd_create: %s", strerror(errno));
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = TIMER_TAG};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, timer_fd, &ev) != 0) fatal(1, "epoll_ctl: %s", strerror(errno));
  }
  if (d == 0) return epoll_wait(epfd, evs, max_events, 0);
  if (until_ns != timer_armed_ns) {
    struct itimerspec its = {.it_value = {.tv_sec = until_ns / 1000000000, .tv_nsec = until_ns % 1000000000}};
    if (timerfd_settime(timer_fd, TFD_TIMER_ABSTIME, &its, NULL) != 0) fatal(1, "timerfd_settime: %s", strerror(errno));
    timer_armed_ns = until_ns;
  }
  return epoll_wait(epfd, evs, max_events, -1);
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* percentile_ms is the p-th quantile (0..1) of sorted latencies in ms, as
 * percentileMS in cmd/varco-bench. */
static double percentile_ms(const int64_t *sorted, long n, double p) {
  if (n == 0) return 0;
  long k = (long)(p * (double)n);
  if (k > n - 1) k = n - 1;
  return (double)sorted[k] / 1e6;
}

int main(int argc, char **argv) {
  const char *url = "", *secret = "", *user = "", *pw = "", *dur = "10s", *tick = "0";
  long ips = 0;
  nconns = 256;
  rate = 1000;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-') usage("unexpected argument");
    a += a[1] == '-' ? 2 : 1;
    const char *eq = strchr(a, '=');
    size_t nl = eq ? (size_t)(eq - a) : strlen(a);
    const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
    if (!v) usage("a flag without its value");
#define FLAG(s) (nl == strlen(s) && strncmp(a, s, nl) == 0)
    if (FLAG("url")) url = v;
    else if (FLAG("secret")) secret = v;
    else if (FLAG("user")) user = v;
    else if (FLAG("password")) pw = v;
    else if (FLAG("d")) dur = v;
    else if (FLAG("tick")) tick = v;
    else if (FLAG("rate")) rate = parse_long("rate", v, 1, 10000000);
    else if (FLAG("c")) nconns = (int)parse_long("c", v, 1, 10000);
    else if (FLAG("ips")) ips = parse_long("ips", v, 0, 64000);
    else {
      char why[80];
      snprintf(why, sizeof why, "unknown flag -%.*s", (int)nl, a);
      usage(why);
    }
#undef FLAG
  }
  if (strpbrk(secret, "\r\n") || strpbrk(url, "\r\n")) usage("a line break in -secret or -url");
  double secs = parse_duration(dur);
  if (secs <= 0 || secs > 86400) usage("-d: want a duration such as 10s, at most 24h");
  double tick_s = strcmp(tick, "0") == 0 ? 0 : parse_duration(tick);
  if (tick_s < 0 || tick_s > 0.1) usage("-tick: want 0 or a duration such as 100us, at most 100ms");
  tick_ns = (int64_t)(tick_s * 1e9);
  double t = secs * (double)rate;
  if (t > 100000000) usage("-rate × -d: at most 100,000,000 requests");
  total = (long)t;

  signal(SIGPIPE, SIG_IGN);
  char *hostport = target_from_url(url);
  build_requests(hostport, secret, user, pw, ips);
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)nconns + 16) {
    rl.rlim_cur = rl.rlim_max < (rlim_t)nconns + 16 ? rl.rlim_max : (rlim_t)nconns + 16;
    setrlimit(RLIMIT_NOFILE, &rl);
  }

  lat_ns = calloc((size_t)(total ? total : 1), sizeof *lat_ns);
  status_of = calloc((size_t)(total ? total : 1), sizeof *status_of);
  conns = calloc((size_t)nconns, sizeof *conns);
  idle.conn = calloc((size_t)nconns, sizeof *idle.conn);
  closed.conn = calloc((size_t)nconns, sizeof *closed.conn);
  if (!lat_ns || !status_of || !conns || !idle.conn || !closed.conn) fatal(1, "out of memory");
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) fatal(1, "epoll_create1: %s", strerror(errno));

  int opened = 0, first_err = 0;
  for (int k = 0; k < nconns; k++) {
    struct conn *c = &conns[k];
    c->fd = -1;
    c->req = -1;
    if (dial_first(c)) {
      opened++;
    } else {
      if (!first_err) first_err = errno;
      c->state = C_CLOSED;
      list_push(&closed, c);
    }
  }
  if (opened == 0) fatal(1, "cannot connect to %s: %s", hostport, strerror(first_err));
  if (opened < nconns)
    fprintf(stderr, "openloop: %d of %d connections failed (%s); they are retried when needed\n", nconns - opened,
            nconns, strerror(first_err));

  max_events = nconns + 1; /* every connection and the timer */
  struct epoll_event *evs = calloc((size_t)max_events, sizeof *evs);
  if (!evs) fatal(1, "out of memory");
  long released = 0, assigned = 0;
  start_ns = last_tick_ns = now_ns();
  int64_t next_sweep = start_ns + 100000000;
  while (done < total) {
    int64_t now = now_ns();
    while (released < total && due_ns(released) <= now) released++;
    /* Every due request, oldest first, on a free connection: connected
     * ones first. Those left wait, timed from when they were due. */
    while (assigned < released && (idle.n > 0 || closed.n > 0))
      assign(list_pop(idle.n > 0 ? &idle : &closed), assigned++);
    if (now >= next_sweep) { /* answers overdue by the Go client's deadline */
      for (int k = 0; k < nconns; k++)
        if ((conns[k].state == C_BUSY || conns[k].state == C_CONNECTING) && now - conns[k].sent_ns > REQUEST_TIMEOUT_NS)
          shut(&conns[k]);
      next_sweep = now + 100000000;
    }
    if (done >= total) break;
    int64_t until = next_sweep;
    if (released < total && assigned == released && due_ns(released) < until) until = due_ns(released);
    int n = wait_until(evs, until);
    if (n < 0) {
      if (errno == EINTR) continue;
      fatal(1, "epoll_wait: %s", strerror(errno));
    }
    for (int e = 0; e < n; e++) {
      if (evs[e].data.u32 == TIMER_TAG) {
        uint64_t x;
        if (read(timer_fd, &x, sizeof x) < 0 && errno != EAGAIN) fatal(1, "timerfd: %s", strerror(errno));
        timer_armed_ns = -1;
        continue;
      }
      on_event(&conns[evs[e].data.u32], evs[e].events);
    }
  }
  double elapsed = (double)(now_ns() - start_ns) / 1e9;

  long counts[601] = {0}; /* [0]: transport errors, [s]: status s */
  for (long i = 0; i < total; i++) counts[status_of[i] < 0 ? 0 : status_of[i]]++;
  qsort(lat_ns, (size_t)total, sizeof *lat_ns, cmp_i64);
  printf("mailauth rate=%ld sent=%ld answered_per_s=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.1f", rate, total,
         elapsed > 0 ? (double)total / elapsed : 0, percentile_ms(lat_ns, total, 0.50), percentile_ms(lat_ns, total, 0.90),
         percentile_ms(lat_ns, total, 0.99), percentile_ms(lat_ns, total, 1));
  if (counts[0]) printf(" status_transport_error=%ld", counts[0]);
  for (int s = 1; s <= 600; s++)
    if (counts[s]) printf(" status_%d=%ld", s, counts[s]);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double cpu_us = (double)ru.ru_utime.tv_sec * 1e6 + (double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_sec * 1e6 +
                  (double)ru.ru_stime.tv_usec;
  printf(" client_cpu_us_per_req=%.1f\n", total > 0 ? cpu_us / (double)total : 0);
  free(hostport);
  free(evs);
  return 0;
}
