/* schema.c — the configuration key table and what is derived from it. */
#include "config/schema.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"

static const char *const sandbox_modes[] = {
	"read-only", "workspace-write", "danger-full-access", NULL};
static const char *const approval_policies[] = {
	"untrusted", "on-request", "never", NULL};
static const char *const web_search_modes[] = {
	"disabled", "cached", "live", NULL};
static const char *const network_modes[] = {"limited", "full", NULL};
static const char *const presets[] = {
	"none", "common-dependencies", "all", NULL};
static const char *const trust_levels[] = {"trusted", "untrusted", NULL};

const char *const schema_granular_flags[] = {
	"sandbox_approval", "rules", "skill_approval", "request_permissions",
	"mcp_elicitations", NULL};

#define PN "permissions.network."
#define SWW "sandbox_workspace_write."

/* Rows are grouped by table, in the order `config show` prints them. */
static const struct schema_key keys[] = {
	{"sandbox_mode", SCHEMA_ENUM, "workspace-write", sandbox_modes, 0, 0,
	 "how commands are sandboxed"},
	{"approval_policy", SCHEMA_APPROVAL, "on-request", approval_policies,
	 0, 0,
	 "who may be asked to approve: on-request and untrusted ask a person "
	 "about allowlist misses (and app-server escalations; untrusted also "
	 "about commands off the known-safe list), never denies without "
	 "asking; or { granular = { sandbox_approval, rules, skill_approval, "
	 "request_permissions, mcp_elicitations } }, where sandbox_approval = "
	 "false denies without asking. See doc/approvals.md"},
	{"approval_timeout_ms", SCHEMA_INT, "60000", NULL, 100, 3600000,
	 "how long a request waits for a person's answer before it is "
	 "denied"},
	{"web_search", SCHEMA_ENUM, "cached", web_search_modes, 0, 0,
	 "web search tool mode; `live` when not set and sandbox_mode is "
	 "danger-full-access (unless requirements forbid it). airlock has no "
	 "search tool: this is the policy a client reads (`config show`, "
	 "`config/read`) and enforces"},
	{SWW "network_access", SCHEMA_BOOL, "false", NULL, 0, 0,
	 "the sandbox's network switch"},
	{SWW "writable_roots", SCHEMA_PATHV, NULL, NULL, 0, 0,
	 "writable paths in addition to cwd, /tmp and $TMPDIR"},
	{SWW "exclude_tmpdir_env_var", SCHEMA_BOOL, "false", NULL, 0, 0,
	 "do not make $TMPDIR writable"},
	{SWW "exclude_slash_tmp", SCHEMA_BOOL, "false", NULL, 0, 0,
	 "do not make /tmp writable"},
	{"sandbox.hidden_paths", SCHEMA_PATHSET, NULL, NULL, 0, 0,
	 "files and directories the sandboxed command cannot read (a "
	 "directory shows as an empty one it may not open, a file as an "
	 "empty one), on top of the default credential locations; `~/` is "
	 "the caller's home; the lists of all layers and requirements.toml "
	 "are joined, so no layer removes what another hides"},
	{"sandbox.hidden_paths_defaults", SCHEMA_BOOL, "true", NULL, 0, 0,
	 "also hide the default credential locations under the caller's "
	 "home (~/.ssh, ~/.aws, ~/.netrc... see doc/sandbox.md); false drops "
	 "them unless requirements.toml pins it"},
	{PN "enabled", SCHEMA_BOOL, "true", NULL, 0, 0,
	 "run the managed proxy when the sandbox has network"},
	{PN "mode", SCHEMA_ENUM, "limited", network_modes, 0, 0,
	 "limited allows only GET, HEAD and OPTIONS; full allows all methods"},
	{PN "limited_allow_git_fetch", SCHEMA_BOOL, "true", NULL, 0, 0,
	 "limited mode also lets through the POST of a git smart-HTTP fetch "
	 "or clone (a path ending in /git-upload-pack with Content-Type "
	 "application/x-git-upload-pack-request) to an allowed host; "
	 "git-receive-pack (push) stays refused"},
	{PN "proxy_url", SCHEMA_LISTENER, "http://127.0.0.1:43128", NULL, 0, 0,
	 "HTTP proxy listener"},
	{PN "admin_url", SCHEMA_LISTENER, "http://127.0.0.1:43129", NULL, 0, 0,
	 "admin API listener"},
	{PN "preset", SCHEMA_ENUM, "none", presets, 0, 0,
	 "built-in allowlist added to allowed_domains"},
	{PN "allowed_domains", SCHEMA_PATTERNV, NULL, NULL, 0, 0,
	 "domain patterns that may be reached"},
	{PN "denied_domains", SCHEMA_PATTERNV, NULL, NULL, 0, 0,
	 "domain patterns that are always refused"},
	{PN "enable_socks5", SCHEMA_BOOL, "false", NULL, 0, 0,
	 "also serve SOCKS5"},
	{PN "socks_url", SCHEMA_LISTENER, "http://127.0.0.1:43130", NULL, 0, 0,
	 "SOCKS5 listener"},
	{PN "enable_socks5_udp", SCHEMA_BOOL, "false", NULL, 0, 0,
	 "allow SOCKS5 UDP ASSOCIATE"},
	{PN "allow_upstream_proxy", SCHEMA_BOOL, "true", NULL, 0, 0,
	 "chain the proxy's outbound hop through `[network] proxy`, or else "
	 "the proxy process's HTTPS_PROXY / HTTP_PROXY / ALL_PROXY; when false, "
	 "a configured upstream is not used and the proxy says so at start"},
	{PN "allow_local_binding", SCHEMA_BOOL, "false", NULL, 0, 0,
	 "allow destinations on local or private addresses"},
	{PN "require_sni_match", SCHEMA_BOOL, "true", NULL, 0, 0,
	 "full mode: close a tunnel whose TLS ClientHello names "
	 "another host (SNI) than the one it was allowed for"},
	{PN "dangerously_allow_non_loopback_proxy", SCHEMA_BOOL, "false", NULL,
	 0, 0, "allow proxy listeners on non-loopback addresses"},
	{PN "dangerously_allow_non_loopback_admin", SCHEMA_BOOL, "false", NULL,
	 0, 0, "allow the admin API on a non-loopback address"},
	{PN "unix_sockets", SCHEMA_SOCKMAP, NULL, NULL, 0, 0,
	 "unix sockets bound outside the sandbox that sandboxed commands "
	 "may connect (and send) to, as `{ \"/abs/path\" = \"allow\" }`; "
	 "resolved when a run starts (a socket made later at that path is "
	 "not the one listed); sockets the command binds itself need no "
	 "entry"},
	{PN "dangerously_allow_all_unix_sockets", SCHEMA_BOOL, "false", NULL,
	 0, 0, "let sandboxed commands connect to every unix socket bound "
	 "outside the sandbox (ssh-agent, the session bus, docker.sock...); "
	 "connections still go through airlock's supervisor, which refuses "
	 "magic links. Also forces every listener onto loopback (a "
	 "non-loopback proxy_url, socks_url or admin_url is refused even "
	 "with dangerously_allow_non_loopback_*)"},
	{PN "audit_log", SCHEMA_PATH, "", NULL, 0, 0,
	 "JSONL audit log of every decision; empty = off"},
	{PN "admin_token_file", SCHEMA_PATH, "", NULL, 0, 0,
	 "file holding the admin API bearer token; empty = no auth"},
	{PN "extra_ca_certificates", SCHEMA_PATHV, NULL, NULL, 0, 0,
	 "PEM files trusted for upstream TLS"},
	{PN "header_timeout_ms", SCHEMA_INT, "30000", NULL, 100, 3600000,
	 "a client must send a whole request head (or SOCKS5 "
	 "greeting and request) within this, counted from its first byte"},
	{PN "keepalive_timeout_ms", SCHEMA_INT, "60000", NULL, 100, 3600000,
	 "an idle keep-alive client connection is closed after this"},
	{PN "connect_timeout_ms", SCHEMA_INT, "10000", NULL, 100, 600000,
	 "deadline for connecting to a destination or upstream proxy"},
	{PN "idle_timeout_ms", SCHEMA_INT, "300000", NULL, 100, 86400000,
	 "a tunnel or exchange with no byte either way is closed after "
	 "this"},
	{PN "max_connections", SCHEMA_INT, "0", NULL, 0, 1000000,
	 "client connections served at once; 0 = derived from the "
	 "open-file limit"},
	{"setup.commands", SCHEMA_STRV, NULL, NULL, 0, 0,
	 "shell command lines (run with `sh -c`) that prepare the workspace "
	 "before the command of `airlock run` or `command/exec`, in order, "
	 "each in a sandbox of its own with the setup.* network policy; one "
	 "that fails stops the run. `airlock run --setup` replaces them"},
	{"setup.sandbox_mode", SCHEMA_ENUM, "workspace-write", sandbox_modes, 0,
	 0, "how setup commands are sandboxed (bounded by "
	 "allowed_sandbox_modes)"},
	{"setup.network_access", SCHEMA_BOOL, "true", NULL, 0, 0,
	 "setup commands reach the network through an embedded proxy of "
	 "their own"},
	{"setup.mode", SCHEMA_ENUM, "full", network_modes, 0, 0,
	 "the setup proxy's mode"},
	{"setup.preset", SCHEMA_ENUM, "common-dependencies", presets, 0, 0,
	 "built-in allowlist added to setup.allowed_domains"},
	{"setup.allowed_domains", SCHEMA_PATTERNV, NULL, NULL, 0, 0,
	 "domain patterns setup commands may reach (permissions.network."
	 "denied_domains apply too)"},
	{"network.proxy", SCHEMA_UPSTREAM, "", NULL, 0, 0,
	 "upstream proxy URL (http, socks5, socks5h); empty = direct"},
	{"network.no_proxy", SCHEMA_STRV, NULL, NULL, 0, 0,
	 "hosts reached without the upstream proxy"},
	{SCHEMA_PROJECTS_KEY, SCHEMA_ENUM, "untrusted", trust_levels, 0, 0,
	 "per project directory (absolute path); only the user layer grants "
	 "trust"},
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

#define RT SCHEMA_RULES_TABLE
#define AT SCHEMA_ACTIONS_TABLE

static const struct schema_subkey rule_keys[] = {
	{RT, "host", "string", "required; one exact host name or IP, no "
	 "wildcard and no port; HTTPS to it (port 443) is always intercepted"},
	{RT, "methods", "array of strings", "required, non-empty; HTTP "
	 "methods, upper-cased; allowed even in limited mode when the rule "
	 "matches"},
	{RT, "path_prefixes", "array of strings", "required, non-empty; "
	 "`/literal/prefix`, `pattern:<glob>` (`*` never crosses `/`) or "
	 "`literal:<s>`"},
	{RT, "query", "table of arrays", "optional; name = [values]: every "
	 "occurrence of the parameter must be one of the values, [] = must "
	 "be present"},
	{RT, "headers", "table of arrays", "optional; name = [values] "
	 "(exact, `pattern:` or `literal:`), [] = must be present"},
	{RT, "actions", "array of strings", "required, non-empty; names of "
	 "request_actions run when the rule matches"},
	{AT, "strip_request_headers", "array of strings", "header names "
	 "removed from the request"},
	{AT, "inject_request_headers", "array of tables", "headers added "
	 "after stripping: { name, prefix, secret_file or secret_env_var }"},
	{AT, "inject_request_headers[].name", "string", "required; the "
	 "header name"},
	{AT, "inject_request_headers[].prefix", "string", "text before the "
	 "secret, e.g. \"Bearer \""},
	{AT, "inject_request_headers[].secret_file", "absolute path",
	 "file holding the secret: owned by you, mode 600 or stricter, not a "
	 "symlink; trimmed"},
	{AT, "inject_request_headers[].secret_env_var", "string",
	 "variable of airlock's own environment holding the secret; removed "
	 "from the sandboxed command's environment"},
};

#define NRULE_KEYS (sizeof(rule_keys) / sizeof(rule_keys[0]))

const struct schema_subkey *
schema_rule_keys(size_t *n)
{
	*n = NRULE_KEYS;
	return rule_keys;
}

const struct schema_key *
schema_keys(size_t *n)
{
	*n = NKEYS;
	return keys;
}

const struct schema_key *
schema_find(const char *key)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].key, key) == 0)
			return &keys[i];
	return NULL;
}

size_t
schema_index(const struct schema_key *k)
{
	return (size_t)(k - keys);
}

int
schema_is_table(const char *prefix)
{
	size_t i, n = strlen(prefix);

	for (i = 0; i < NKEYS; i++)
		if (strncmp(keys[i].key, prefix, n) == 0 &&
		    keys[i].key[n] == '.')
			return 1;
	return 0;
}

/* Levenshtein distance, capped: keys are short, so a two-row table on the
 * stack is enough; longer inputs are simply "not close". */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t prev[128], cur[128];

	if (la >= 127 || lb >= 127)
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			size_t m = sub < del ? sub : del;
			cur[j] = m < ins ? m : ins;
		}
		memcpy(prev, cur, (lb + 1) * sizeof(prev[0]));
	}
	return prev[lb];
}

const char *
schema_suggest(const char *key)
{
	const char *best = NULL;
	size_t i, d, bestd = (size_t)-1, limit;

	for (i = 0; i < NKEYS; i++) {
		if (strchr(keys[i].key, '*') != NULL)
			continue;
		d = edit_distance(key, keys[i].key);
		if (d < bestd) {
			bestd = d;
			best = keys[i].key;
		}
	}
	for (i = 0; i < 2; i++) {
		d = edit_distance(key, i ? AT : RT);
		if (d < bestd) {
			bestd = d;
			best = i ? AT : RT;
		}
	}
	limit = strlen(key) / 3 + 1;
	if (limit > 6)
		limit = 6;
	return bestd <= limit ? best : NULL;
}

const char *
schema_type_name(enum schema_type t)
{
	switch (t) {
	case SCHEMA_BOOL: return "boolean";
	case SCHEMA_INT: return "integer";
	case SCHEMA_STRING: return "string";
	case SCHEMA_ENUM: return "string (enum)";
	case SCHEMA_LISTENER: return "listener URL";
	case SCHEMA_UPSTREAM: return "proxy URL";
	case SCHEMA_PATH: return "path";
	case SCHEMA_STRV: return "array of strings";
	case SCHEMA_PATTERNV: return "array of domain patterns";
	case SCHEMA_PATHV: return "array of paths";
	case SCHEMA_PATHSET: return "array of paths, joined across layers";
	case SCHEMA_APPROVAL: return "approval policy";
	case SCHEMA_SOCKMAP: return "table of absolute path = \"allow\"";
	}
	return "?";
}

/* --- the generated reference (doc/config.md) ----------------------------- */

static const char md_head[] =
	"# airlock configuration reference\n\n"
	"Generated by `airlock config schema --markdown` (`make doc`) from the\n"
	"schema table in `src/config/schema.c`; do not edit by hand.\n\n"
	"## Layers\n\n"
	"Highest precedence first. Tables merge recursively; scalars and "
	"arrays\nare replaced by the higher layer. `airlock config show "
	"--origins` prints\nwhere each effective value came from.\n\n"
	"1. managed preferences: `$AIRLOCK_SYSTEM_DIR/managed_preferences.toml`"
	"\n   with `config_toml_base64` (a config document) and\n"
	"   `requirements_toml_base64` (a requirements document), each the "
	"base64\n   of a TOML document; origin `managed-preferences`\n"
	"2. `$AIRLOCK_SYSTEM_DIR/managed_config.toml`\n"
	"3. approvals: `$AIRLOCK_HOME/approvals.toml`, the network approvals "
	"answered\n   \"always\" (doc/approvals.md); it holds only "
	"`permissions.network.allowed_domains`\n   and `denied_domains`, and "
	"adds them to the lists of the layers below\n   instead of replacing "
	"them\n"
	"4. `-c key.path=value` flags (TOML value syntax; a value that is not "
	"TOML\n   is taken as a plain string); origin `-c`\n"
	"5. user: `$AIRLOCK_HOME/config.toml`, or `--config FILE` instead\n"
	"6. project: `.airlock/config.toml` in the nearest ancestor of the "
	"working\n   directory, loaded only when the user layer marks that "
	"directory (or\n   its nearest listed ancestor) "
	"`[projects.\"/abs/path\"] trust_level = \"trusted\"`\n"
	"7. system: `$AIRLOCK_SYSTEM_DIR/config.toml`\n\n"
	"The managed layers (1 and 2) beat the developer on the command line "
	"too:\na flag or app-server parameter that would give a key a managed "
	"layer sets\nanother value (`airlock run --network`, `--no-network`, "
	"`-s`, `--mode`,\n`--allow`; `command/exec`'s `sandbox` and `network`) "
	"is refused with a\nmessage naming the managed file, line and key. Their "
	"`sandbox_mode = M`,\n`approval_policy = X` and `web_search = W` also "
	"act as requirements\n(`allowed_sandbox_modes = [\"read-only\", M]`, "
	"`allowed_approval_policies\n= [X]`, `allowed_web_search_modes = [W]`), "
	"narrowing `requirements.toml`,\nnever widening it.\n\n"
	"A project config that is not loaded because its project is not trusted "
	"is\nannounced once on stderr.\n\n"
	"`AIRLOCK_HOME` defaults to `~/.airlock`, `AIRLOCK_SYSTEM_DIR` to\n"
	"`/etc/airlock`. Relative paths in path-typed keys resolve against "
	"the\ndirectory of the file that set them (the working directory for "
	"`-c`).\n\n## Keys\n\n"
	"| key | type | default | description |\n|---|---|---|---|\n";

static const char md_req[] =
	"\n## Requirements\n\n"
	"`$AIRLOCK_SYSTEM_DIR/requirements.toml`, and the managed-preferences\n"
	"`requirements_toml_base64` payload, which wins key by key, bound the "
	"result\nof every layer. A disallowed value that was configured "
	"explicitly falls\nback to the required one with a warning naming the "
	"requirement file; a\ndefaulted one falls back silently. Unknown keys "
	"are errors.\n\n"
	"| key | type | meaning |\n|---|---|---|\n"
	"| `allowed_sandbox_modes` | array | must contain `read-only`; "
	"fallback `read-only` |\n"
	"| `allowed_approval_policies` | array | non-empty; the first entry "
	"is the fallback |\n"
	"| `allowed_web_search_modes` | array | `disabled` always allowed; "
	"fallback `cached` if allowed, else `live`, else `disabled` |\n"
	"| `allowed_workspace_roots` | array | absolute paths (airlock's own key); the "
	"workspace of `airlock run` and of the app-server's `command/exec` "
	"must be one of them or below one (refused otherwise, naming this "
	"file) |\n"
	"| `sandbox.hidden_paths` | array | absolute paths (or `~/...`, "
	"the caller's home) hidden from every sandboxed command, joined to "
	"what the config layers hide |\n"
	"| `sandbox.hidden_paths_defaults` | bool | `true` keeps the "
	"default credential locations hidden: a layer that sets `false` "
	"falls back |\n"
	"| `permissions.network.enabled` | bool | pins `enabled` |\n"
	"| `permissions.network.mode` | `limited`/`full` | the maximum: "
	"`limited` forbids `full` |\n"
	"| `permissions.network.allowed_domains` | array | managed "
	"allowlist; user entries must be covered by it unless "
	"`allowlist_expansion = true` |\n"
	"| `permissions.network.allowlist_expansion` | bool | allow user "
	"entries beyond the managed allowlist |\n"
	"| `permissions.network.denied_domains` | array | always in force |\n"
	"| `permissions.network.managed_allowed_domains_only` | bool | the "
	"managed allowlist is the whole allowlist |\n"
	"| `permissions.network.allow_local_binding` | bool | `false` pins "
	"it false |\n"
	"| `permissions.network.limited_allow_git_fetch` | bool | `false` "
	"pins it false |\n"
	"| `permissions.network.allow_upstream_proxy` | bool | `false` pins "
	"it false |\n"
	"| `permissions.network.dangerously_allow_non_loopback_proxy` | bool "
	"| `false` pins it false |\n"
	"| `permissions.network.dangerously_allow_non_loopback_admin` | bool "
	"| `false` pins it false |\n"
	"| `permissions.network.dangerously_allow_all_unix_sockets` | bool | "
	"`false` pins it false |\n"
	"| `permissions.network.request_rules_managed_only` | bool | `true`: "
	"request rules and actions from layers other than the managed ones "
	"are ignored, with a warning |\n"
	"| `setup.network_access` | bool | `false` pins the setup phase's "
	"network off |\n"
	"| `setup.mode` | `limited`/`full` | the setup proxy's maximum; "
	"when absent, `permissions.network.mode` bounds it |\n"
	"| `setup.allowed_domains` | array | the setup phase's managed "
	"allowlist: setup entries and preset must be covered by it; when "
	"absent, `permissions.network.allowed_domains` (with its "
	"`allowlist_expansion` and `managed_allowed_domains_only`) bounds "
	"the setup phase too |\n"
	"\n`allowed_sandbox_modes` bounds `setup.sandbox_mode`, and "
	"`permissions.network.denied_domains` applies to the setup phase as "
	"to every other request.\n";

static const char md_rules[] =
	"\n## Request rules\n\n"
	"`[permissions.network.request_rules.<name>]` lets chosen HTTPS "
	"requests to\none host through, and "
	"`[permissions.network.request_actions.<name>]`\nrewrites their "
	"headers (strip, then inject a secret); see `doc/secrets.md`.\n"
	"A host with rules only takes requests that match one of them. "
	"Rules are\naccepted in the user, system, `-c` and managed layers, "
	"not in a project's\nconfig. A rule or action is defined whole by "
	"one layer: a higher layer that\nnames it replaces it. When a "
	"managed layer defines any rule or action, the\nmanaged ones are "
	"the whole set.\n\n"
	"| table | key | type | description |\n|---|---|---|---|\n";

static void
md_rule_keys(struct buf *out)
{
	size_t i;

	buf_addstr(out, md_rules);
	for (i = 0; i < NRULE_KEYS; i++)
		buf_printf(out, "| `%s.<name>` | `%s` | %s | %s |\n",
			   rule_keys[i].table, rule_keys[i].key,
			   rule_keys[i].type, rule_keys[i].doc);
}

static void
md_type(struct buf *out, const struct schema_key *k)
{
	size_t i;

	if (k->values == NULL) {
		buf_addstr(out, schema_type_name(k->type));
		if (k->type == SCHEMA_INT)
			buf_printf(out, " %lld..%lld", (long long)k->min,
				   (long long)k->max);
		return;
	}
	for (i = 0; k->values[i] != NULL; i++)
		buf_printf(out, "%s`%s`", i ? " \\| " : "", k->values[i]);
	if (k->type == SCHEMA_APPROVAL)
		buf_addstr(out, " \\| `{ granular = {...} }`");
}

int
schema_markdown(struct buf *out)
{
	size_t i;

	buf_addstr(out, md_head);
	for (i = 0; i < NKEYS; i++) {
		const struct schema_key *k = &keys[i];

		if (strcmp(k->key, SCHEMA_PROJECTS_KEY) == 0)
			buf_addstr(out, "| `projects.\"<absolute path>\"."
				   "trust_level` | ");
		else
			buf_printf(out, "| `%s` | ", k->key);
		md_type(out, k);
		if (k->def == NULL && k->type == SCHEMA_SOCKMAP)
			buf_addstr(out, " | `{}` | ");
		else if (k->def == NULL)
			buf_addstr(out, " | `[]` | ");
		else if (k->type == SCHEMA_BOOL || k->type == SCHEMA_INT)
			buf_printf(out, " | `%s` | ", k->def);
		else
			buf_printf(out, " | `\"%s\"` | ", k->def);
		buf_printf(out, "%s |\n", k->doc);
	}
	md_rule_keys(out);
	return buf_addstr(out, md_req);
}
