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
 *     makes every mount read-only, applies Landlock and seccomp, and drops
 *     capabilities; writable holds canonical existing directories,
 *     deduplicated, each bound back read-write (nosuid, nodev);
 *   - protected holds the paths kept read-only under the writable roots
 *     (protect.h: `.git`, `.airlock`, AIRLOCK_HOME, the system directory),
 *     placeholders those of them airlock creates because they are
 *     missing, chain the directories between them and their outermost
 *     writable root (bound onto themselves so they cannot be renamed);
 *     hidden the paths masked in every mode (hidden.h: AIRLOCK_HOME,
 *     the credential locations under the caller's home,
 *     sandbox.hidden_paths, request actions' secret files), with
 *     hidden_why saying why each is, and reveal the files bound back
 *     read-only inside them (the CA bundle the command trusts);
 *   - every sandboxed mode brings lo up and hands a sock_diag socket of
 *     the namespace to the supervisor (UNIX_DIAG); unix_sockets holds the
 *     listed host sockets (absolute, as given, deduplicated);
 *   - net is SANDBOX_NET_PROXY only when network was granted; then ports
 *     holds the HTTP proxy port, and the SOCKS5 port when enabled, never
 *     0 (a configured port 0 becomes SANDBOX_PORT_HTTP or
 *     SANDBOX_PORT_SOCKS: every port is free in the sandbox's own
 *     namespace), and a DNS step binds the stub resolver's UDP socket;
 *     the transparent listeners and the rules that route every TCP
 *     connection to them (transparent_port, forwards) come with it, and
 *     with SOCKS5 UDP a pool of UDP sockets for its relays;
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
#include "proxy/proxy.h"

/* The ports a configured port 0 gets inside the namespace (the next one
 * up when the other listener has it already). */
#define SANDBOX_PORT_HTTP 3128
#define SANDBOX_PORT_SOCKS 1080
/* The transparent listeners' port (netrules.h): below 1024, so no
 * command's own server wants it (it could not bind it anyway). */
#define SANDBOX_PORT_TRANSPARENT 988
/* UDP sockets made for SOCKS5 UDP ASSOCIATE relays, when enabled. */
#define SANDBOX_UDP_POOL PROXY_UDP_POOL_MAX

enum sandbox_fs {
	SANDBOX_FS_READ_ONLY,
	SANDBOX_FS_WORKSPACE_WRITE,
	SANDBOX_FS_FULL_ACCESS,
};

enum sandbox_net {
	SANDBOX_NET_OFF,   /* only lo, the command's own */
	SANDBOX_NET_PROXY, /* only lo, also holding the embedded proxy's
			    * listeners */
	SANDBOX_NET_HOST,  /* danger-full-access: the host's network */
};

/* Steps in the order they are applied. The comment names the process:
 * NS = the namespace's first process (pid 1), before its report to the
 * parent; INIT = the same process after it (the mounts are built while
 * the parent starts its proxy; the go comes before anything else);
 * CMD = the command's process, forked by the init: right after the
 * report without a terminal, so that its steps up to SECCOMP run while
 * the init builds the mounts (after the go and the terminal with one);
 * it takes the steps from LANDLOCK on only once the init says the
 * mounts are built, the go came and the terminal is made (apply.h). */
enum sandbox_step_kind {
	SANDBOX_STEP_UNSHARE,      /* clone into new user/mount/pid/net ns */
	SANDBOX_STEP_MAP_IDS,      /* NS: uid/gid map to the caller's */
	SANDBOX_STEP_LO_UP,        /* NS: bring lo up */
	SANDBOX_STEP_LISTEN,       /* NS: listen 127.0.0.1:port, pass the fd */
	SANDBOX_STEP_DNS,          /* NS: bind 127.0.0.1:53/udp, pass the fd */
	SANDBOX_STEP_TRANSPARENT,  /* NS: listen 127.0.0.1 and ::1 on port,
				    * pass the fds (transparent routing) */
	SANDBOX_STEP_UDP_POOL,     /* NS: port UDP sockets on 127.0.0.1, pass
				    * the fds (SOCKS5 UDP relays) */
	SANDBOX_STEP_NET_RULES,    /* NS: nf_tables rules and routes
				    * (netrules.h), made by the parent */
	SANDBOX_STEP_UNIX_DIAG,    /* NS: a sock_diag socket, pass the fd */
	SANDBOX_STEP_MOUNT_PRIVATE,/* INIT: no mount propagation to the host */
	SANDBOX_STEP_MKDIR,        /* INIT: create path (0700), kept after */
	SANDBOX_STEP_PLACEHOLDER,  /* INIT: empty mode-0 directory at a missing
				    * protected path, removed after the run */
	SANDBOX_STEP_ROOT_RO,      /* INIT: every mount read-only */
	SANDBOX_STEP_BIND_RW,      /* INIT: writable root back, nosuid, nodev */
	SANDBOX_STEP_BIND_SELF,    /* INIT: bind a directory onto itself */
	SANDBOX_STEP_BIND_RO,      /* INIT: bind path read-only onto itself */
	SANDBOX_STEP_HIDE,         /* INIT: mask path (empty tmpfs, /dev/null) */
	SANDBOX_STEP_RESOLV_CONF,  /* INIT: bind our resolv.conf over path */
	SANDBOX_STEP_MOUNT_PROC,   /* INIT: a fresh /proc for the pid ns */
	SANDBOX_STEP_MOUNT_SHM,    /* INIT: a private tmpfs on /dev/shm */
	SANDBOX_STEP_MOUNT_DEVPTS, /* INIT: a new devpts instance */
	SANDBOX_STEP_NO_NEW_PRIVS, /* CMD */
	SANDBOX_STEP_DROP_CAPS,    /* CMD: bounding, ambient, effective */
	SANDBOX_STEP_SECCOMP,      /* CMD: then waits for the init */
	SANDBOX_STEP_LANDLOCK,     /* CMD: writable roots (in the finished
				    * mount tree: /dev/shm is the sandbox's) */
	SANDBOX_STEP_ENV,          /* CMD: rewrite the environment (§14) */
	SANDBOX_STEP_CHDIR,        /* CMD */
	SANDBOX_STEP_EXEC,         /* CMD */
};

struct walkcache;

struct sandbox_step {
	enum sandbox_step_kind kind;
	const char *path;  /* BIND_RO, RESOLV_CONF, CHDIR: owned by the plan */
	uint16_t port;     /* LISTEN, DNS */
	const char *what;  /* LISTEN: "http" or "socks5"; DNS: "dns" */
};

/* The bounded walk for repositories under the writable roots. The plan
 * sets the budget, skip and found; the walk adds to dirs and ms and sets
 * stopped when it gave up early. One budget serves every root. */
struct sandbox_scan {
	size_t max_dirs;          /* directories read, over all roots */
	unsigned max_ms;          /* wall time, over all roots */
	size_t dirs;
	size_t cached;            /* of dirs, answered by the walk cache */
	unsigned ms;
	const char *stopped;      /* NULL, or why the walk stopped early */
	unsigned max_depth;       /* levels below root read; 0 = no limit */
	char *const *skip;        /* directories not entered (other roots) */
	size_t n_skip;
	/* path: canonical; kind as sandbox_probe.kind. -1 stops the walk. */
	int (*found)(void *ctx, const char *path, int kind);
	void *ctx;
};

/* File-system questions; the launcher answers from the disk, tests from a
 * table. Both return heap strings the plan takes over, or NULL. */
struct sandbox_probe {
	/* The canonical absolute path of an existing path, else NULL. */
	char *(*resolve)(void *arg, const char *path);
	/* 'd' directory, 'l' symbolic link, 'p' a placeholder directory
	 * (placeholder.h) another run holds or one left behind, 'f'
	 * anything else that exists, 0 missing; never follows a final
	 * symlink. */
	int (*kind)(void *arg, const char *path);
	/* For a `.git` file: the directory its `gitdir:` line names, made
	 * absolute against the file's directory and canonical; else NULL. */
	char *(*gitdir)(void *arg, const char *gitfile);
	/* Walks the directories under root (gitscan.h) within the budget in
	 * sc, calling sc->found for each `.git` and `.airlock`. */
	void (*scan)(void *arg, const char *root, struct sandbox_scan *sc);
	/* A small regular file's bytes (symbolic links not followed), *n
	 * their count; NULL when missing, unreadable or over 64 KiB. */
	char *(*read)(void *arg, const char *path, size_t *n);
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
	uint16_t http_port;        /* 0 = SANDBOX_PORT_HTTP */
	bool socks5;
	uint16_t socks_port;
	uid_t uid;                 /* the caller's, mapped 1:1 */
	gid_t gid;
	int landlock_abi;          /* detected at run time; 0 = none */
	char *const *argv;         /* the command; argv[0] non-NULL */
	const char *home;          /* AIRLOCK_HOME, or NULL */
	const char *system_dir;    /* AIRLOCK_SYSTEM_DIR, or NULL */
	const char *config_file;   /* --config FILE, or NULL */
	/* The caller's home directories ($HOME, and the password
	 * database's when it differs; ssh reads the latter), absolute; `~`
	 * in hidden paths and the default credential locations are under
	 * each. */
	const char *user_homes[2];
	size_t n_user_homes;
	bool hidden_defaults;      /* sandbox.hidden_paths_defaults */
	const char *const *hidden_paths; /* sandbox.hidden_paths */
	size_t n_hidden_paths;
	/* More files to hide (absolute): the secret files of request
	 * actions, set by the caller (sandbox_input_hide_files()). */
	const char *const *secret_files;
	size_t n_secret_files;
	const char *const *unix_sockets; /* host sockets the command may
					  * reach (absolute paths) */
	size_t n_unix_sockets;
	bool unix_sockets_all;     /* dangerously_allow_all_unix_sockets */
	bool socks5_udp;           /* enable_socks5_udp (with socks5) */
	/* The loopback ports of the host allow entries name
	 * (netpolicy_forwards(); sandbox_input_forwards()). */
	struct proxy_forward forwards[PROXY_FORWARDS_MAX];
	size_t n_forwards;
};

struct sandbox_plan {
	enum sandbox_fs fs;
	enum sandbox_net net;
	struct sandbox_step *steps;
	size_t n_steps;
	char **writable;           /* Landlock write grants */
	size_t n_writable;
	size_t n_own_roots;        /* writable[0..n): cwd and writable_roots;
				    * the rest are /tmp and $TMPDIR */
	char **protected;          /* read-only bind mounts */
	size_t n_protected;
	char *resolv_conf;         /* the file to bind our resolv.conf over */
	char **placeholders;       /* created empty before, removed after */
	size_t n_placeholders;
	char **chain;              /* bound onto themselves: no rename */
	size_t n_chain;
	char **hidden;             /* masked in every mode */
	const char **hidden_why;   /* for each: why (static strings) */
	size_t n_hidden;
	char **reveal;             /* bound back read-only inside a mask */
	size_t n_reveal;
	char *make_home;           /* AIRLOCK_HOME to create, or NULL */
	struct {
		size_t dirs, found;
		size_t cached;         /* of dirs, from the walk cache */
		unsigned ms;
		unsigned tmp_depth;    /* /tmp, $TMPDIR read this deep; 0 none */
		const char *stopped;
	} scan;                    /* what the repository walk did */
	char **unix_sockets;       /* host sockets listed as reachable */
	size_t n_unix_sockets;
	bool unix_sockets_all;     /* every host socket reachable */
	uint16_t ports[2];         /* the proxy's configured ports (NET_PROXY;
				    * 0 = ephemeral) */
	size_t n_ports;
	/* NET_PROXY: every TCP connection leaving the sandbox is routed to
	 * the transparent listeners on this port (netrules.h), and so are
	 * those to the forwarded loopback ports of the host. */
	uint16_t transparent_port;
	struct proxy_forward forwards[PROXY_FORWARDS_MAX];
	size_t n_forwards;
	char *cwd;
	uid_t uid;
	gid_t gid;
	int landlock_abi;
	char *const *argv;
	/* What the repository walk saw, for the next run
	 * (sandbox_plan_save_walk; written at the latest by
	 * sandbox_plan_release), or NULL. */
	struct walkcache *walk_cache;
};

/* Builds the plan of in. -1 with `key: problem` lines in err (unknown
 * mode, relative writable root, empty argv); p is then empty. */
int sandbox_plan_build(const struct sandbox_input *in,
		       const struct sandbox_probe *probe,
		       struct sandbox_plan *p, struct errbuf *err);
void sandbox_plan_release(struct sandbox_plan *p);
/* Writes p's walk cache, when it changed, once: sandbox_launch calls it
 * right after the clone, while the sandbox builds itself, so that the
 * write (a rename ext4 flushes, 0.1 to 0.2 ms) is not on the way to the
 * command's start. */
void sandbox_plan_save_walk(const struct sandbox_plan *p);

/* Appends the human-readable plan (one numbered line per step) to out. */
void sandbox_plan_format(const struct sandbox_plan *p, struct buf *out);

/* "read-only" etc. to the enum; -1 when unknown. */
int sandbox_fs_parse(const char *mode);

#endif
