/* replay_main.c — runs a libFuzzer target over every file of a corpus
 * directory without libFuzzer, so `make check` can prove that inputs which
 * once crashed a parser still do not (sqlite's fuzzcheck idea). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fdutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
main(int argc, char **argv)
{
	struct dirent **names = NULL;
	int n, i, ran = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	n = scandir(argv[1], &names, NULL, alphasort);
	if (n < 0) {
		perror(argv[1]);
		return 1;
	}
	for (i = 0; i < n; i++) {
		char *path;
		char *data;
		size_t len = 0;

		if (names[i]->d_name[0] == '.') {
			free(names[i]);
			continue;
		}
		if (asprintf(&path, "%s/%s", argv[1], names[i]->d_name) < 0)
			return 1;
		data = read_file_capped(path, 1 << 20, &len, NULL);
		if (data != NULL) {
			LLVMFuzzerTestOneInput((const uint8_t *)data, len);
			ran++;
		}
		free(data);
		free(path);
		free(names[i]);
	}
	free(names);
	if (ran == 0) {
		fprintf(stderr, "%s: empty corpus\n", argv[1]);
		return 1;
	}
	printf("%s: %d inputs replayed\n", argv[1], ran);
	return 0;
}
