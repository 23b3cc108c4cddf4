/* mountinfo.h — the mount points listed in /proc/self/mountinfo.
 *
 * The walk for repositories (gitscan.h) stays on each root's own file
 * system, like `find -xdev`, without touching what is mounted below it:
 * a network or FUSE file system there could be slow or hang, and an
 * automounter would mount it. So it takes the mount points from
 * mountinfo rather than from stat(2). Pure: bytes in, paths out. Field 5
 * of each line is the mount point, with space, tab, newline and
 * backslash written as `\ooo` octal escapes; a malformed line is
 * skipped. */
#ifndef AIRLOCK_SANDBOX_MOUNTINFO_H
#define AIRLOCK_SANDBOX_MOUNTINFO_H

#include <stddef.h>
#include <stdint.h>

#define MOUNTINFO_MAX_POINTS 4096

/* The mount points of text[0..n), in order (duplicates kept): a heap
 * array of heap strings, *count of them; NULL when there is none. */
char **mountinfo_points(const char *text, size_t n, size_t *count);

/* The device of the file system mounted as mount id (field 1), from field
 * 3 (`major:minor`, the super block's s_dev): *dev gets it in the
 * kernel's encoding, major << 20 | minor, as sock_diag reports devices.
 * 0 when found, -1 when absent or its line is malformed. Also pure. */
int mountinfo_dev(const char *text, size_t n, uint64_t mnt_id,
		  uint32_t *dev);

#endif
