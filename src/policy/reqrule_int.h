/* reqrule_int.h — private to reqrule.c and reqrule_match.c: the query and
 * header checks over compiled constraints (semantics in reqrule.h). */
#ifndef AIRLOCK_REQRULE_INT_H
#define AIRLOCK_REQRULE_INT_H

#include "policy/reqrule.h"

/* Longest constrained name, and the longest decoded value a constraint
 * looks at (a longer one does not match: fail closed). */
#define REQRULE_NAME_MAX 256
#define REQRULE_VALUE_MAX 4096

/* `name = [values]`: values are matcher texts; n == 0 means "present". */
struct reqrule_param {
	char *name;
	char **values;
	size_t n;
};

/* Every constraint of p holds for the query (the bytes after `?`). */
bool reqrule_query_ok(struct slice query, const struct reqrule_param *p,
		      size_t n);
/* Every constraint of p holds for the headers. */
bool reqrule_headers_ok(const struct reqrule_hdr *h, size_t nh,
			const struct reqrule_param *p, size_t n);

#endif
