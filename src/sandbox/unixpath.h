/* unixpath.h — the socket file a unix address names, as a sandboxed
 * process would find it, and who bound it.
 *
 * unixpath_open() resolves a path in a process's own root and working
 * directory — /proc/TID/root and /proc/TID/cwd, in the sandbox's mount
 * namespace — with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS):
 * `..` and absolute symbolic links stay inside that root, and magic links
 * (/proc/self/root/..., /proc/N/fd/M) are refused. The O_PATH descriptor
 * it returns pins the inode: connecting through /proc/self/fd/N of it
 * reaches that very inode, whatever is renamed or replaced meanwhile.
 *
 * An inode's identity is the device of its file system's super block (in
 * the kernel's encoding, as sock_diag reports it) and its full inode
 * number. On ext2/3/4, tmpfs and xfs, fstat(2) reports exactly those; on
 * any other file system (overlayfs and btrfs report other numbers than the
 * ones the kernel files sockets under) /proc/self/fdinfo gives the inode
 * number and mount id, and the mount table (/proc/PID/mountinfo, kept in a
 * struct unixpath_mounts) the mount's device.
 *
 * unixpath_bound_inside() decides whether a socket bound inside the
 * sandbox made the inode, from the sandbox's sock_diag socket
 * (sockdiag.h). sock_diag reports only 32 bits of inode numbers, which
 * identify a file exactly on ext2/3/4 (32-bit inode numbers); on any
 * other file system the listed socket's bound name must also resolve
 * (absolute: in the sandbox's root; relative: in the asking process's
 * working directory) to the same full identity. */
#ifndef AIRLOCK_SANDBOX_UNIXPATH_H
#define AIRLOCK_SANDBOX_UNIXPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#define UNIXPATH_MAX 108 /* sizeof sun_path */

struct unixid {
	uint32_t dev; /* kernel encoding: major << 20 | minor */
	uint64_t ino;
	bool ino32;   /* its file system's inode numbers fit 32 bits
		       * (ext2/3/4): sock_diag's truncated ones are exact */
};

/* A mount table read from /proc/TID/mountinfo when first needed (the
 * sandbox's mounts do not change once the command runs: it may not
 * mount), and again when a mount id is missing from it. */
struct unixpath_mounts {
	char *text;
	size_t n;
};

/* The path of a unix address (len bytes of sa): 1 with path[] filled
 * (NUL-terminated) for a pathname address; 0 for an abstract or unnamed
 * one; -1 when it is not AF_UNIX or malformed. Pure. */
int unixpath_of_addr(const struct sockaddr_un *sa, socklen_t len,
		     char path[UNIXPATH_MAX + 1]);

/* path made absolute against tid's working directory (as text, symbolic
 * links kept), in buf; path itself when absolute; NULL when it cannot
 * be (errno). */
const char *unixpath_absolute(pid_t tid, const char *path, char *buf,
			      size_t size);

/* Opens path as thread tid would resolve it (see above): an O_PATH,
 * close-on-exec descriptor, or -1 with errno (ENOENT, ELOOP for a magic
 * link, ...). rootfd is tid's root directory when the caller holds it
 * (O_PATH), else -1 (then /proc/TID/root is opened). */
int unixpath_open(pid_t tid, int rootfd, const char *path);

/* The identity of fd's inode, its mount looked up in m, which is (re)read
 * from tid's mountinfo (0: this process's) when needed. 0 or -1. */
int unixpath_id(int fd, struct unixpath_mounts *m, pid_t tid,
		struct unixid *out);
void unixpath_mounts_release(struct unixpath_mounts *m);

/* 1 when a socket of diag_fd's namespace is bound at the inode whose
 * identity is id, 0 when none is, -1 when it cannot be told (errno). tid
 * is the asking thread and rootfd its root or -1 (for bound names), m the
 * sandbox's mounts. */
int unixpath_bound_inside(int diag_fd, const struct unixid *id, pid_t tid,
			  int rootfd, struct unixpath_mounts *m);

#endif
