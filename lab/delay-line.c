/*
 * Userspace delay line for the lab's WAN (this kernel has no netem).
 * Reads Ethernet frames from two TAP devices and writes each one to the other TAP
 * DELAY_US microseconds after it arrived: a one-way delay of half the round trip.
 *
 *   delay-line TAP_A TAP_B DELAY_US
 *
 * The TAPs are persistent devices created by the lab (ip tuntap add) and enslaved to the
 * bridges of the two WAN sides. Frames that do not fit the queue are dropped, like a full
 * router buffer would.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 16384
#define FRAME 2048

struct slot { uint64_t due; uint16_t len; unsigned char data[FRAME]; };
struct queue { struct slot *slots; unsigned head, tail; };

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int open_tap(const char *name) {
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
  if (fd < 0) { perror("open /dev/net/tun"); exit(1); }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) { fprintf(stderr, "TUNSETIFF %s: %s\n", name, strerror(errno)); exit(1); }
  return fd;
}

/* Moves every frame that arrived on `from` into the queue, stamped with its due time. */
static void drain(int from, struct queue *q, uint64_t delay) {
  for (;;) {
    if (q->tail - q->head >= SLOTS) { /* full: drop one frame */
      unsigned char junk[FRAME];
      if (read(from, junk, sizeof junk) < 0) return;
      continue;
    }
    struct slot *s = &q->slots[q->tail % SLOTS];
    ssize_t n = read(from, s->data, FRAME);
    if (n <= 0) return;
    s->len = (uint16_t)n;
    s->due = now_ns() + delay;
    q->tail++;
  }
}

/* Writes every frame whose time has come; returns the next due time or 0 when empty. */
static uint64_t release(int to, struct queue *q) {
  uint64_t t = now_ns();
  while (q->head != q->tail) {
    struct slot *s = &q->slots[q->head % SLOTS];
    if (s->due > t) return s->due;
    if (write(to, s->data, s->len) < 0 && errno == EAGAIN) return t + 20000; /* retry shortly */
    q->head++;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 4) { fprintf(stderr, "usage: %s TAP_A TAP_B DELAY_US\n", argv[0]); return 2; }
  uint64_t delay = strtoull(argv[3], NULL, 10) * 1000ull;
  int a = open_tap(argv[1]), b = open_tap(argv[2]);
  struct queue ab = { calloc(SLOTS, sizeof(struct slot)), 0, 0 };
  struct queue ba = { calloc(SLOTS, sizeof(struct slot)), 0, 0 };
  if (!ab.slots || !ba.slots) { perror("calloc"); return 1; }
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  struct pollfd fds[2] = { { a, POLLIN, 0 }, { b, POLLIN, 0 } };
  while (!stop) {
    uint64_t n1 = release(b, &ab), n2 = release(a, &ba);
    uint64_t next = n1 && n2 ? (n1 < n2 ? n1 : n2) : (n1 ? n1 : n2);
    struct timespec timeout, *tp = NULL;
    if (next) {
      uint64_t t = now_ns();
      uint64_t wait = next > t ? next - t : 0;
      timeout.tv_sec = (time_t)(wait / 1000000000ull);
      timeout.tv_nsec = (long)(wait % 1000000000ull);
      tp = &timeout;
    }
    int r = ppoll(fds, 2, tp, NULL);
    if (r < 0 && errno != EINTR) { perror("ppoll"); return 1; }
    if (r > 0) {
      if (fds[0].revents & POLLIN) drain(a, &ab, delay);
      if (fds[1].revents & POLLIN) drain(b, &ba, delay);
    }
  }
  return 0;
}
