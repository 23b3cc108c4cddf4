/* fuzz_whois.c — the two text readers of sandbox/whois.h on arbitrary
 * bytes: a proxy client's `IP:PORT` and a /proc/PID/status text. Checks:
 * an accepted peer has an inet family and a port in 1..65535, and prints
 * back (inet_ntop) to the address it was read from; an NSpid read is a
 * pid in 1..4194304. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sandbox/whois.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_peer(const char *text)
{
	unsigned char a[16], again[16];
	char printed[INET6_ADDRSTRLEN];
	unsigned short port;
	int family;

	if (whois_peer_parse(text, &family, a, &port) == -1)
		return;
	if ((family != AF_INET && family != AF_INET6) || port == 0)
		abort();
	if (inet_ntop(family, a, printed, sizeof(printed)) == NULL ||
	    inet_pton(family, printed, again) != 1 ||
	    memcmp(a, again, family == AF_INET ? 4 : 16) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	pid_t pid;

	memcpy(text, data, size);
	text[size] = '\0';
	check_peer(text);
	pid = whois_nspid(text);
	if (pid != -1 && (pid < 1 || pid > (1 << 22)))
		abort();
	free(text);
	return 0;
}
