/* synth.h — synthetic addresses for the names a sandbox may resolve.
 *
 * The sandbox's stub resolver never asks anyone: for a name the policy
 * lets through it hands out an address of its own from 198.18.0.0/15
 * (RFC 2544's benchmarking range, which no public host uses and the
 * policy counts as non-public). The proxy later turns such an address
 * back into the name, so a connection to it is judged by name.
 *
 * Invariants: one map per embedded proxy (one sandbox run). A name gets
 * its address the first time it is asked for and keeps it for the map's
 * life; two names never share one. Addresses are handed out in order from
 * 198.18.0.1; 198.18.0.0 is never used. At most SYNTH_MAX names are held:
 * past that, synth_assign() fails and the caller answers SERVFAIL.
 * Lookups both ways are O(1): an array indexed by address, and an open-
 * addressing hash table over the names keyed with a per-map random key,
 * so names chosen by the sandboxed command cannot be made to collide.
 *
 * Names are stored as given (the caller normalises them: lower case, no
 * trailing dot); the map owns its copies. */
#ifndef AIRLOCK_SYNTH_H
#define AIRLOCK_SYNTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The range, host byte order. */
#define SYNTH_NET 0xc6120000u  /* 198.18.0.0 */
#define SYNTH_MASK 0xfffe0000u /* /15 */
/* A bound far above what a build or an agent resolves in one run, far
 * below the 131071 usable addresses, and a few MiB at worst. */
#define SYNTH_MAX 65536

struct synth;

struct synth *synth_new(void);
void synth_free(struct synth *m);

/* The address of name[0..n) (host byte order), assigning the next free
 * one on first use. 0 when the map is full (or n is 0 or over 253). */
uint32_t synth_assign(struct synth *m, const char *name, size_t n);
/* The address name already has, or 0. */
uint32_t synth_find(const struct synth *m, const char *name, size_t n);
/* The name behind addr (host byte order), or NULL when addr was never
 * handed out by this map. Valid until synth_free(). */
const char *synth_name(const struct synth *m, uint32_t addr);
/* True when addr lies in 198.18.0.0/15. */
bool synth_in_range(uint32_t addr);
/* Names held. */
size_t synth_count(const struct synth *m);

#endif
