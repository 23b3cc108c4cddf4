/* rpc.h — the app-server's JSON-RPC codec (reference §19.4–19.5).
 *
 * Messages are JSON-RPC 2.0 without the "jsonrpc" member. rpc_parse()
 * sorts one text into a request {id, method, params?}, a notification
 * {method, params?}, a response {id, result} / {id, error} or nothing
 * usable. Ids are integers or strings; integers are kept exact (jansson
 * json_int_t, 64 bits) and echoed back as they came. Duplicate keys are
 * refused (JSON_REJECT_DUPLICATES).
 *
 * The builders return heap strings (compact JSON, no trailing newline)
 * that the caller frees. Nothing here does I/O or logs.
 *
 * Ownership: a struct rpc_msg owns its json_t root; id and params point
 * into it and live until rpc_msg_release(). */
#ifndef AIRLOCK_RPC_H
#define AIRLOCK_RPC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define RPC_INVALID_REQUEST (-32600)
#define RPC_METHOD_NOT_FOUND (-32601)
#define RPC_INVALID_PARAMS (-32602)
#define RPC_INTERNAL_ERROR (-32603)
#define RPC_OVERLOADED (-32001)

#define RPC_MSG_OVERLOADED "Server overloaded; retry later."
#define RPC_MSG_NOT_INITIALIZED "Not initialized"
#define RPC_MSG_ALREADY_INITIALIZED "Already initialized"

enum rpc_kind {
	RPC_BAD,          /* not JSON, not an object, or no usable shape */
	RPC_REQUEST,
	RPC_NOTIFICATION,
	RPC_RESPONSE,
};

struct rpc_msg {
	enum rpc_kind kind;
	json_t *root;
	json_t *id;           /* REQUEST, RESPONSE */
	const char *method;   /* REQUEST, NOTIFICATION */
	json_t *params;       /* may be NULL */
};

/* Parses p[0..n). Always fills m (kind RPC_BAD when unusable; a request
 * whose id is neither an integer nor a string is RPC_BAD too). */
void rpc_parse(const char *p, size_t n, struct rpc_msg *m);
void rpc_msg_release(struct rpc_msg *m);

/* {"id":id,"result":result}; steals result. */
char *rpc_result(const json_t *id, json_t *result);
/* {"id":id,"error":{"code":code,"message":msg}}. */
char *rpc_error(const json_t *id, int code, const char *msg);
/* {"method":method,"params":params}; steals params (may be NULL). */
char *rpc_notification(const char *method, json_t *params);
/* {"id":id,"method":method,"params":params}: a request of the server's
 * own to a client; steals params (may be NULL). */
char *rpc_request(const json_t *id, const char *method, json_t *params);

/* True when s can be an HTTP header value (visible ASCII, SP and HT; no
 * leading or trailing whitespace; not empty), as clientInfo.name must. */
bool rpc_header_value_ok(const char *s);

/* The -32600 text for an initialize whose clientInfo.name is bad:
 * "Invalid clientInfo.name: '<name>'. Must be a valid HTTP header value."
 * (heap string). */
char *rpc_bad_client_name(const char *name);

/* Params helpers. Each returns 0, or -1 with `KEY must be ...` in
 * why[0..RPC_WHY_MAX) when the member has the wrong type or range. Absent
 * (or null) members leave *out alone. params may be NULL. */
#define RPC_WHY_MAX 160
int rpc_param_str(const json_t *params, const char *key, const char **out,
		  char *why);
int rpc_param_bool(const json_t *params, const char *key, bool *out,
		   char *why);
int rpc_param_int(const json_t *params, const char *key, json_int_t lo,
		  json_int_t hi, json_int_t *out, char *why);
/* An array of strings (each NUL-free); *out is the json array or left. */
int rpc_param_strv(const json_t *params, const char *key, json_t **out,
		   char *why);

#endif
