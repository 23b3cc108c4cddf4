/* resolv.c — the sandbox's /etc/resolv.conf. See resolv.h. */
#include "sandbox/resolv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "lib/fdutil.h"

/* Where the tmpfs holding the file is mounted while it is being made. */
#define SCRATCH "/proc"
#define SCRATCH_FILE SCRATCH "/resolv.conf"
#define RO_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)

static int
write_text(struct errbuf *err)
{
	int fd = open(SCRATCH_FILE, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
					    O_CLOEXEC,
		      0444);
	int rc = -1;

	if (fd != -1)
		rc = write_all(fd, RESOLV_CONF_TEXT, strlen(RESOLV_CONF_TEXT));
	if (rc == -1)
		errbuf_add(err, "resolv.conf: write it: %m");
	if (fd != -1 && close(fd) == -1 && rc == 0) {
		errbuf_add(err, "resolv.conf: write it: %m");
		rc = -1;
	}
	return rc;
}

static int
bind_over(const char *target, struct errbuf *err)
{
	if (mount(SCRATCH_FILE, target, NULL, MS_BIND, NULL) == -1) {
		errbuf_add(err, "resolv.conf: bind over %s: %m", target);
		return -1;
	}
	if (mount(NULL, target, NULL,
		  MS_BIND | MS_REMOUNT | MS_RDONLY | RO_FLAGS, NULL) == -1) {
		errbuf_add(err, "resolv.conf: make %s read-only: %m", target);
		return -1;
	}
	return 0;
}

int
resolv_bind(const char *target, struct errbuf *err)
{
	int rc = -1;

	if (mount("airlock", SCRATCH, "tmpfs", RO_FLAGS,
		  "size=4k,nr_inodes=4,mode=0755") == -1) {
		errbuf_add(err, "resolv.conf: mount a tmpfs on %s: %m", SCRATCH);
		return -1;
	}
	if (write_text(err) == 0 && bind_over(target, err) == 0)
		rc = 0;
	/* Detached, the tmpfs lives on only through the bind mount. */
	if (umount2(SCRATCH, MNT_DETACH) == -1) {
		errbuf_add(err, "resolv.conf: unmount the tmpfs on %s: %m",
			   SCRATCH);
		rc = -1;
	}
	return rc;
}
