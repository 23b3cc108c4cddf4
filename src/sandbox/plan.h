/* plan.h — what `airlock run` will do, decided before anything is done.
 *
 * sandbox_plan_build() turns the settings of one run (mode, network,
 * writable roots, ports, argv) into a struct sandbox_plan: the ordered
 * list of steps the launcher applies (apply.c, netns.c, landlock.c,
 * seccomp.c) and the data those steps need. It is pure: the few questions
 * about the file system (does this path exist, where does a `gitdir:` file
 * point) are asked through struct sandbox_probe, so tests answer them
 * without touching the disk. `--print-plan` prints sandbox_plan_format().
 *
 * Invariants of a built plan:
 *   - SANDBOX_FS_FULL_ACCESS has no steps but EXEC: no sandbox, no proxy
 *     (reference §15.1);
 *   - every other mode unshares user, mount, pid and network namespaces,
 *     applies Landlock and seccomp, and drops capabilities; writable holds
 *     canonical existing directories, deduplicated, and protected the
 *     `.git` / `.airlock` paths found under them (kept read-only by bind
 *     mounts, since Landlock can only grant, never carve out);
 *   - net is SANDBOX_NET_PROXY only when network was granted; then ports
 *     holds the HTTP proxy port, and the SOCKS5 port when enabled, and a
 *     DNS step binds the stub resolver's UDP socket;
 *   - every sandboxed mode replaces /etc/resolv.conf (the file it names,
 *     when it is a symlink) with `nameserver 127.0.0.1` (resolv.h): the
 *     stub resolver with the network granted, nothing at all without it;
 *     resolv_conf is NULL when there is no such file (resolvers then ask
 *     127.0.0.1 anyway).
 *
 * Ownership: the plan owns every string in it; argv is borrowed from the
 * input and must outlive the plan. */
#ifndef AIRLOCK_SANDBOX_PLAN_H
#define AIRLOCK_SANDBOX_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/buf.h"
#include "lib/errbuf.h"

enum sandbox_fs {
	SANDBOX_FS_READ_ONLY,
	SANDBOX_FS_WORKSPACE_WRITE,
	SANDBOX_FS_FULL_ACCESS,
};

enum sandbox_net {
	SANDBOX_NET_OFF,   /* only lo, which stays down; no sockets at all */
	SANDBOX_NET_PROXY, /* only lo, holding the embedded proxy's listeners */
	SANDBOX_NET_HOST,  /* danger-full-access: the host's network */
};

/* Steps in the order they are applied. The comment names the process:
 * NS = the namespace's first process (pid 1), before the parent says go;
 * INIT = the same process after go; CMD = the command's process. */
enum sandbox_step_kind {
	SANDBOX_STEP_UNSHARE,      /* clone into new user/mount/pid/net ns */
	SANDBOX_STEP_MAP_IDS,      /* NS: uid/gid map to the caller's */
	SANDBOX_STEP_LO_UP,        /* NS: bring lo up (network granted) */
	SANDBOX_STEP_LISTEN,       /* NS: listen 127.0.0.1:port, pass the fd */
	SANDBOX_STEP_DNS,          /* NS: bind 127.0.0.1:53/udp, pass the fd */
	SANDBOX_STEP_MOUNT_PRIVATE,/* INIT: no mount propagation to the host */
	SANDBOX_STEP_MOUNT_PROC,   /* INIT: a fresh /proc for the pid ns */
	SANDBOX_STEP_BIND_RO,      /* INIT: bind path read-only onto itself */
	SANDBOX_STEP_RESOLV_CONF,  /* INIT: bind our resolv.conf over path */
	SANDBOX_STEP_NO_NEW_PRIVS, /* CMD */
	SANDBOX_STEP_LANDLOCK,     /* CMD: writable roots, tcp connect ports */
	SANDBOX_STEP_DROP_CAPS,    /* CMD: bounding, ambient, effective */
	SANDBOX_STEP_SECCOMP,      /* CMD */
	SANDBOX_STEP_ENV,          /* CMD: rewrite the environment (§14) */
	SANDBOX_STEP_CHDIR,        /* CMD */
	SANDBOX_STEP_EXEC,         /* CMD */
};

struct sandbox_step {
	enum sandbox_step_kind kind;
	const char *path;  /* BIND_RO, RESOLV_CONF, CHDIR: owned by the plan */
	uint16_t port;     /* LISTEN, DNS */
	const char *what;  /* LISTEN: "http" or "socks5"; DNS: "dns" */
};

/* File-system questions; the launcher answers from the disk, tests from a
 * table. Both return heap strings the plan takes over, or NULL. */
struct sandbox_probe {
	/* The canonical absolute path of an existing path, else NULL. */
	char *(*resolve)(void *arg, const char *path);
	/* 'd' directory, 'f' anything else that exists, 0 missing; never
	 * follows a final symlink. */
	int (*kind)(void *arg, const char *path);
	/* For a `.git` file: the directory its `gitdir:` line names, made
	 * absolute against the file's directory and canonical; else NULL. */
	char *(*gitdir)(void *arg, const char *gitfile);
	void *arg;
};

struct sandbox_input {
	const char *mode;          /* "read-only" | "workspace-write" | ... */
	bool network;              /* network granted */
	const char *cwd;           /* absolute */
	const char *const *writable_roots;
	size_t n_writable_roots;
	const char *tmpdir;        /* $TMPDIR or NULL */
	bool exclude_tmpdir_env_var;
	bool exclude_slash_tmp;
	uint16_t http_port;        /* 0 = ephemeral inside the namespace */
	bool socks5;
	uint16_t socks_port;
	uid_t uid;                 /* the caller's, mapped 1:1 */
	gid_t gid;
	int landlock_abi;          /* detected at run time; 0 = none */
	char *const *argv;         /* the command; argv[0] non-NULL */
};

struct sandbox_plan {
	enum sandbox_fs fs;
	enum sandbox_net net;
	struct sandbox_step *steps;
	size_t n_steps;
	char **writable;           /* Landlock write grants */
	size_t n_writable;
	char **protected;          /* read-only bind mounts */
	size_t n_protected;
	char *resolv_conf;         /* the file to bind our resolv.conf over */
	uint16_t ports[2];         /* tcp connect grants (NET_PROXY) */
	size_t n_ports;
	char *cwd;
	uid_t uid;
	gid_t gid;
	int landlock_abi;
	char *const *argv;
};

/* Builds the plan of in. -1 with `key: problem` lines in err (unknown
 * mode, relative writable root, empty argv); p is then empty. */
int sandbox_plan_build(const struct sandbox_input *in,
		       const struct sandbox_probe *probe,
		       struct sandbox_plan *p, struct errbuf *err);
void sandbox_plan_release(struct sandbox_plan *p);

/* Appends the human-readable plan (one numbered line per step) to out. */
void sandbox_plan_format(const struct sandbox_plan *p, struct buf *out);

/* "read-only" etc. to the enum; -1 when unknown. */
int sandbox_fs_parse(const char *mode);

#endif
