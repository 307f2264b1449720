// SPDX-License-Identifier: MIT
/*
 * Options through libfuse's fuse_opt, so that "-o a,b,c" from the command
 * line, mount(8) and fstab all parse the same way.  Every option is a KEY
 * template handled in opt_proc(), which validates its value.
 */
#include "bucketfs/opts.h"

#include "bucketfs/config.h"
#include "bucketfs/log.h"

#include <errno.h>
#include <fuse3/fuse_opt.h>
#include <glib.h>
#include <math.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	K_HELP,
	K_VERSION,
	K_FOREGROUND,
	K_DEBUG,
	K_SINGLE,
	K_ENDPOINT,
	K_REGION,
	K_PATH_STYLE,
	K_VHOST,
	K_PROFILE,
	K_PASSWD_FILE,
	K_ANONYMOUS,
	K_CA_FILE,
	K_INSECURE,
	K_RO,
	K_RW,
	K_UID,
	K_GID,
	K_UMASK,
	K_ALLOW_OTHER,
	K_STAT_TTL,
	K_NEGATIVE_TTL,
	K_CONNECT_TIMEOUT,
	K_REQUEST_TIMEOUT,
	K_RETRIES,
	K_LOG_LEVEL,
	K_CACHE_SIZE,
	K_PART_SIZE,
	K_MAX_RANGES,
	K_MAX_READAHEAD,
	K_BUFFER_POOL,
	K_BUFFER_POOL_FLAG,
	K_BUFFER_POOL_SIZE,
	K_POOL_IDLE_SHRINK,
	K_LOG_FILE,
	K_SAS_FILE,
	K_TOKEN_FILE,
	K_CREDENTIALS_FILE,
	K_CONFIG,
	K_SECRET,
	K_MOUNT_WORD,
	K_KERN_FLAG,
};

static const struct fuse_opt opt_spec[] = {
	FUSE_OPT_KEY("-h", K_HELP),
	FUSE_OPT_KEY("--help", K_HELP),
	FUSE_OPT_KEY("-V", K_VERSION),
	FUSE_OPT_KEY("--version", K_VERSION),
	FUSE_OPT_KEY("-f", K_FOREGROUND),
	FUSE_OPT_KEY("-d", K_DEBUG),
	FUSE_OPT_KEY("debug", K_DEBUG),
	FUSE_OPT_KEY("-s", K_SINGLE),
	FUSE_OPT_KEY("endpoint=", K_ENDPOINT),
	FUSE_OPT_KEY("region=", K_REGION),
	FUSE_OPT_KEY("path_style", K_PATH_STYLE),
	FUSE_OPT_KEY("virtual_host", K_VHOST),
	FUSE_OPT_KEY("profile=", K_PROFILE),
	FUSE_OPT_KEY("passwd_file=", K_PASSWD_FILE),
	FUSE_OPT_KEY("anonymous", K_ANONYMOUS),
	FUSE_OPT_KEY("ca_file=", K_CA_FILE),
	FUSE_OPT_KEY("insecure_skip_tls_verify", K_INSECURE),
	FUSE_OPT_KEY("ro", K_RO),
	FUSE_OPT_KEY("rw", K_RW),
	FUSE_OPT_KEY("uid=", K_UID),
	FUSE_OPT_KEY("gid=", K_GID),
	FUSE_OPT_KEY("umask=", K_UMASK),
	FUSE_OPT_KEY("allow_other", K_ALLOW_OTHER),
	FUSE_OPT_KEY("stat_ttl=", K_STAT_TTL),
	FUSE_OPT_KEY("negative_ttl=", K_NEGATIVE_TTL),
	FUSE_OPT_KEY("connect_timeout=", K_CONNECT_TIMEOUT),
	FUSE_OPT_KEY("request_timeout=", K_REQUEST_TIMEOUT),
	FUSE_OPT_KEY("retries=", K_RETRIES),
	FUSE_OPT_KEY("log_level=", K_LOG_LEVEL),
	FUSE_OPT_KEY("cache_size=", K_CACHE_SIZE),
	FUSE_OPT_KEY("part_size=", K_PART_SIZE),
	FUSE_OPT_KEY("max_ranges=", K_MAX_RANGES),
	FUSE_OPT_KEY("max_readahead=", K_MAX_READAHEAD),
	FUSE_OPT_KEY("buffer_pool=", K_BUFFER_POOL),
	FUSE_OPT_KEY("--buffer-pool", K_BUFFER_POOL_FLAG),
	FUSE_OPT_KEY("buffer_pool_size=", K_BUFFER_POOL_SIZE),
	FUSE_OPT_KEY("--buffer-pool-size=", K_BUFFER_POOL_SIZE),
	FUSE_OPT_KEY("--buffer-pool-size ", K_BUFFER_POOL_SIZE),
	FUSE_OPT_KEY("pool_idle_shrink=", K_POOL_IDLE_SHRINK),
	FUSE_OPT_KEY("log_file=", K_LOG_FILE),
	FUSE_OPT_KEY("config=", K_CONFIG),
	FUSE_OPT_KEY("access_key_id=", K_SECRET),
	FUSE_OPT_KEY("secret_access_key=", K_SECRET),
	FUSE_OPT_KEY("session_token=", K_SECRET),
	FUSE_OPT_KEY("account_key=", K_SECRET),
	FUSE_OPT_KEY("sas_token=", K_SECRET),
	FUSE_OPT_KEY("sas_file=", K_SAS_FILE),
	FUSE_OPT_KEY("token_file=", K_TOKEN_FILE),
	FUSE_OPT_KEY("credentials_file=", K_CREDENTIALS_FILE),
	/* mount(8)'s and fstab's own words: mount(8), systemd and libmount act
	 * on them; a helper is handed some of them and must accept them all. */
	FUSE_OPT_KEY("defaults", K_MOUNT_WORD),
	FUSE_OPT_KEY("auto", K_MOUNT_WORD),
	FUSE_OPT_KEY("noauto", K_MOUNT_WORD),
	FUSE_OPT_KEY("_netdev", K_MOUNT_WORD),
	FUSE_OPT_KEY("nofail", K_MOUNT_WORD),
	FUSE_OPT_KEY("user", K_MOUNT_WORD),
	FUSE_OPT_KEY("user=", K_MOUNT_WORD),
	FUSE_OPT_KEY("nouser", K_MOUNT_WORD),
	FUSE_OPT_KEY("users", K_MOUNT_WORD),
	FUSE_OPT_KEY("nousers", K_MOUNT_WORD),
	FUSE_OPT_KEY("owner", K_MOUNT_WORD),
	FUSE_OPT_KEY("noowner", K_MOUNT_WORD),
	FUSE_OPT_KEY("group", K_MOUNT_WORD),
	FUSE_OPT_KEY("nogroup", K_MOUNT_WORD),
	FUSE_OPT_KEY("comment=", K_MOUNT_WORD),
	FUSE_OPT_KEY("nonempty", K_MOUNT_WORD), /* FUSE 2's; FUSE 3 always allows it */
	/* Kernel mount flags, passed to the FUSE mount in order. */
	FUSE_OPT_KEY("suid", K_KERN_FLAG),
	FUSE_OPT_KEY("nosuid", K_KERN_FLAG),
	FUSE_OPT_KEY("dev", K_KERN_FLAG),
	FUSE_OPT_KEY("nodev", K_KERN_FLAG),
	FUSE_OPT_KEY("exec", K_KERN_FLAG),
	FUSE_OPT_KEY("noexec", K_KERN_FLAG),
	FUSE_OPT_KEY("atime", K_KERN_FLAG),
	FUSE_OPT_KEY("noatime", K_KERN_FLAG),
	FUSE_OPT_KEY("async", K_KERN_FLAG),
	FUSE_OPT_KEY("sync", K_KERN_FLAG),
	FUSE_OPT_KEY("dirsync", K_KERN_FLAG),
	FUSE_OPT_END,
};

struct parse_state {
	struct bfs_opts *o;
	char *msg;
	size_t msglen;
	int failed;
	const char *origin; /* the config file and section, or NULL for argv */
};

static int fail(struct parse_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct parse_state *st, const char *fmt, ...)
{
	va_list ap;

	if (!st->failed) {
		va_start(ap, fmt);
		vsnprintf(st->msg, st->msglen, fmt, ap);
		va_end(ap);
	}
	st->failed = 1;
	return -1;
}

static const char *value_of(const char *arg)
{
	const char *eq = strchr(arg, '=');

	if (!eq)
		eq = strchr(arg, ' '); /* "--buffer-pool-size N" */
	return eq ? eq + 1 : "";
}

/* A byte count with an optional K, M or G suffix (powers of 1024). */
static int set_bytes(struct parse_state *st, uint64_t *slot, const char *arg, uint64_t min,
		     uint64_t max)
{
	const char *v = value_of(arg);
	char *end = NULL;
	guint64 n;
	int shift = 0;

	errno = 0;
	n = g_ascii_strtoull(v, &end, 10);
	if (end && *end && !end[1]) {
		switch (g_ascii_toupper(*end)) {
		case 'K':
			shift = 10;
			end++;
			break;
		case 'M':
			shift = 20;
			end++;
			break;
		case 'G':
			shift = 30;
			end++;
			break;
		}
	}
	if (!*v || errno || !end || *end || end == v || n > (max >> shift) || (n << shift) < min)
		return fail(st,
			    "option '%s': expected a size between %" G_GUINT64_FORMAT
			    "K and %" G_GUINT64_FORMAT "M (suffix K, M or G)",
			    arg, min >> 10, max >> 20);
	*slot = n << shift;
	return 0;
}

/* Words for yes and no, in config files and on/off options. */
static bool is_true(const char *v)
{
	return !g_ascii_strcasecmp(v, "true") || !g_ascii_strcasecmp(v, "yes") ||
	       !g_ascii_strcasecmp(v, "on");
}

static bool is_false(const char *v)
{
	return !g_ascii_strcasecmp(v, "false") || !g_ascii_strcasecmp(v, "no") ||
	       !g_ascii_strcasecmp(v, "off");
}

static int set_string(struct parse_state *st, char **slot, const char *arg)
{
	const char *v = value_of(arg);

	if (!*v)
		return fail(st, "option '%s' needs a value", arg);
	g_free(*slot);
	*slot = g_strdup(v);
	return 0;
}

static int set_seconds(struct parse_state *st, double *slot, const char *arg, double max)
{
	const char *v = value_of(arg);
	char *end = NULL;
	double d;

	errno = 0;
	d = g_ascii_strtod(v, &end);
	if (!*v || errno || !end || *end || !isfinite(d) || d < 0 || d > max)
		return fail(st, "option '%s': expected a number of seconds", arg);
	*slot = d;
	return 0;
}

static int set_uint(struct parse_state *st, guint64 *slot, const char *arg, guint base, guint64 max)
{
	if (g_ascii_string_to_unsigned(value_of(arg), base, 0, max, slot, NULL))
		return 0;
	if (base == 8)
		return fail(st, "option '%s': expected an octal mode", arg);
	return fail(st, "option '%s': expected a non-negative whole number in range", arg);
}

/* Where a secret option ("name=value") is kept. */
static char **secret_slot(struct bfs_opts *o, const char *arg)
{
	if (g_str_has_prefix(arg, "access_key_id="))
		return &o->access_key_id;
	if (g_str_has_prefix(arg, "secret_access_key="))
		return &o->secret_access_key;
	if (g_str_has_prefix(arg, "session_token="))
		return &o->session_token;
	if (g_str_has_prefix(arg, "account_key="))
		return &o->account_key;
	return &o->sas_token;
}

static int opt_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	struct parse_state *st = data;
	struct bfs_opts *o = st->o;
	guint64 n;

	switch (key) {
	case FUSE_OPT_KEY_NONOPT:
		if (!o->source) {
			o->source = g_strdup(arg);
			return 0;
		}
		if (!o->mountpoint) {
			o->mountpoint = g_strdup(arg);
			return 0;
		}
		return fail(st, "unexpected argument '%s'", arg);
	case FUSE_OPT_KEY_OPT:
		/* x-systemd.*, x-gvfs-* and other comments for userspace tools */
		if (g_ascii_strncasecmp(arg, "x-", 2) == 0)
			return 0;
		if (st->origin) /* the value might be a misspelt secret: not shown */
			return fail(st, "unknown option '%.*s' (see --help)",
				    (int)strcspn(arg, "="), arg);
		return fail(st, "unknown option '%s' (see --help)", arg);
	case K_HELP:
		o->show_help = true;
		return 0;
	case K_VERSION:
		o->show_version = true;
		return 0;
	case K_FOREGROUND:
		o->foreground = true;
		return 0;
	case K_DEBUG:
		o->debug = true;
		o->foreground = true;
		o->log_level = BFS_LOG_DEBUG;
		return 0;
	case K_SINGLE:
		o->single_thread = true;
		return 0;
	case K_ENDPOINT:
		if (set_string(st, &o->endpoint, arg))
			return -1;
		if (!g_str_has_prefix(o->endpoint, "http://") &&
		    !g_str_has_prefix(o->endpoint, "https://"))
			return fail(st,
				    "option '%s': the endpoint must start with http:// or https://",
				    arg);
		return 0;
	case K_REGION:
		return set_string(st, &o->region, arg);
	case K_PATH_STYLE:
		o->addressing = BFS_ADDR_PATH;
		return 0;
	case K_VHOST:
		o->addressing = BFS_ADDR_VHOST;
		return 0;
	case K_PROFILE:
		return set_string(st, &o->profile, arg);
	case K_PASSWD_FILE:
		return set_string(st, &o->passwd_file, arg);
	case K_ANONYMOUS:
		o->anonymous = true;
		return 0;
	case K_CA_FILE:
		return set_string(st, &o->ca_file, arg);
	case K_INSECURE:
		o->insecure_tls = true;
		return 0;
	case K_RO:
		return 0;
	case K_RW:
		/* mount(8) may add "rw" on its own: no warning, just the truth. */
		bfs_log(BFS_LOG_INFO, "'rw' requested; bucketfs mounts read-only");
		return 0;
	case K_UID:
		if (set_uint(st, &n, arg, 10, G_MAXUINT32 - 1))
			return -1;
		o->uid = (uid_t)n;
		return 0;
	case K_GID:
		if (set_uint(st, &n, arg, 10, G_MAXUINT32 - 1))
			return -1;
		o->gid = (gid_t)n;
		return 0;
	case K_UMASK:
		if (set_uint(st, &n, arg, 8, 0777))
			return -1;
		o->umask = (mode_t)n;
		return 0;
	case K_ALLOW_OTHER:
		o->allow_other = true;
		return 0;
	case K_STAT_TTL:
		return set_seconds(st, &o->stat_ttl, arg, 86400.0 * 365);
	case K_NEGATIVE_TTL:
		return set_seconds(st, &o->negative_ttl, arg, 86400.0 * 365);
	case K_CONNECT_TIMEOUT:
		if (set_seconds(st, &o->connect_timeout, arg, 3600))
			return -1;
		if (o->connect_timeout < 0.001)
			return fail(st, "option '%s': the timeout must be positive", arg);
		return 0;
	case K_REQUEST_TIMEOUT:
		return set_seconds(st, &o->request_timeout, arg, 86400);
	case K_RETRIES:
		if (set_uint(st, &n, arg, 10, 100))
			return -1;
		o->retries = (unsigned)n;
		return 0;
	case K_LOG_LEVEL: {
		static const char *const levels[] = {"error", "warn", "info", "debug"};
		const char *v = value_of(arg);

		for (int i = 0; i < 4; i++) {
			if (strcmp(v, levels[i]) == 0) {
				o->log_level = i;
				return 0;
			}
		}
		return fail(st, "option '%s': expected error, warn, info or debug", arg);
	}
	case K_CACHE_SIZE:
		return set_bytes(st, &o->cache_size, arg, 16u << 20, (uint64_t)1 << 40);
	case K_PART_SIZE:
		return set_bytes(st, &o->part_size, arg, 64u << 10, 256u << 20);
	case K_MAX_READAHEAD:
		return set_bytes(st, &o->max_readahead, arg, 1u << 20, (uint64_t)4 << 30);
	case K_MAX_RANGES:
		if (set_uint(st, &n, arg, 10, 256))
			return -1;
		if (n == 0)
			return fail(st, "option '%s': at least 1", arg);
		o->max_ranges = (unsigned)n;
		return 0;
	case K_BUFFER_POOL: {
		const char *v = value_of(arg);

		if (is_true(v) || strcmp(v, "1") == 0)
			o->buffer_pool = true;
		else if (is_false(v) || strcmp(v, "0") == 0)
			o->buffer_pool = false;
		else
			return fail(st, "option '%s': expected on or off", arg);
		return 0;
	}
	case K_BUFFER_POOL_FLAG:
		o->buffer_pool = true;
		return 0;
	case K_BUFFER_POOL_SIZE:
		/* fuse_opt hands "--buffer-pool-size N" over as "--buffer-pool-sizeN". */
		if (g_str_has_prefix(arg, "--buffer-pool-size") && arg[18] != '=') {
			char *joined = g_strconcat("buffer_pool_size=", arg + 18, NULL);
			int bad = set_uint(st, &n, joined, 10, 4096);

			g_free(joined);
			if (bad)
				return -1;
		} else if (set_uint(st, &n, arg, 10, 4096)) {
			return -1;
		}
		o->buffer_pool_size = (unsigned)n;
		return 0;
	case K_POOL_IDLE_SHRINK:
		return set_seconds(st, &o->pool_idle_shrink, arg, 86400);
	case K_LOG_FILE:
		return set_string(st, &o->log_file, arg);
	case K_SAS_FILE:
		return set_string(st, &o->sas_file, arg);
	case K_TOKEN_FILE:
		return set_string(st, &o->token_file, arg);
	case K_CREDENTIALS_FILE:
		return set_string(st, &o->credentials_file, arg);
	case K_CONFIG:
		if (st->origin)
			return fail(st, "option '%s' cannot be used inside a config file", arg);
		return set_string(st, &o->config_file, arg);
	case K_SECRET: {
		char **slot = secret_slot(o, arg);
		size_t keylen = (size_t)(strchr(arg, '=') - arg);

		if (!st->origin)
			return fail(st,
				    "option '%.*s' is not accepted on the command line, where "
				    "other users can see it: put it in a config file of mode "
				    "0600, or use passwd_file=",
				    (int)keylen, arg);
		if (*slot)
			OPENSSL_cleanse(*slot, strlen(*slot));
		return set_string(st, slot, arg);
	}
	case K_MOUNT_WORD:
		return 0;
	case K_KERN_FLAG: {
		char *flags = o->mount_flags ? g_strconcat(o->mount_flags, ",", arg, NULL)
					     : g_strdup(arg);

		g_free(o->mount_flags);
		o->mount_flags = flags;
		return 0;
	}
	}
	return fail(st, "unhandled option '%s'", arg);
}

static bool bucket_name_ok(const char *b)
{
	size_t n = strlen(b);

	if (n < 1 || n > 255)
		return false;
	for (const char *p = b; *p; p++)
		if (!g_ascii_isalnum(*p) && *p != '.' && *p != '-' && *p != '_')
			return false;
	return true;
}

/* Azure: accounts are 3-24 lower-case letters and digits; containers 3-63
 * lower-case letters, digits and single inner hyphens ($root and $web too). */
static bool account_name_ok(const char *a)
{
	size_t n = strlen(a);

	if (n < 3 || n > 24)
		return false;
	for (const char *p = a; *p; p++)
		if (!g_ascii_islower(*p) && !g_ascii_isdigit(*p))
			return false;
	return true;
}

static bool container_name_ok(const char *c)
{
	size_t n = strlen(c);

	if (!strcmp(c, "$root") || !strcmp(c, "$web") || !strcmp(c, "$logs"))
		return true;
	if (n < 3 || n > 63 || c[0] == '-' || c[n - 1] == '-' || strstr(c, "--"))
		return false;
	for (const char *p = c; *p; p++)
		if (!g_ascii_islower(*p) && !g_ascii_isdigit(*p) && *p != '-')
			return false;
	return true;
}

void bfs_source_clear(struct bfs_source *s)
{
	g_free(s->account);
	g_free(s->bucket);
	g_free(s->prefix);
	g_free(s->endpoint);
	memset(s, 0, sizeof(*s));
}

/* "p/q" -> "p/q/"; "" stays "" */
static char *as_prefix(const char *p)
{
	while (*p == '/')
		p++;
	if (!*p)
		return g_strdup("");
	return g_str_has_suffix(p, "/") ? g_strdup(p) : g_strconcat(p, "/", NULL);
}

static int parse_azure(const char *source, const char *host_account, const char *rest,
		       struct bfs_source *out, char *msg, size_t msglen)
{
	const char *sep;
	char *account = NULL, *container;

	if (!host_account) { /* az://ACCOUNT/CONTAINER[/PREFIX] */
		sep = strchr(rest, '/');
		account = sep ? g_strndup(rest, (gsize)(sep - rest)) : g_strdup(rest);
		rest = sep ? sep + 1 : "";
	} else {
		account = g_strdup(host_account);
	}
	if (!account_name_ok(account)) {
		snprintf(msg, msglen,
			 "source '%s': '%s' is not a valid storage account name (3-24 lower-case "
			 "letters and digits)",
			 source, account);
		g_free(account);
		return EINVAL;
	}
	sep = strchr(rest, '/');
	container = sep ? g_strndup(rest, (gsize)(sep - rest)) : g_strdup(rest);
	if (!container_name_ok(container)) {
		snprintf(msg, msglen, "source '%s': '%s' is not a valid container name", source,
			 container);
		g_free(account);
		g_free(container);
		return EINVAL;
	}
	out->kind = BFS_STORE_AZURE;
	out->scheme = "az";
	out->account = account;
	out->bucket = container;
	out->prefix = as_prefix(sep ? sep + 1 : "");
	return 0;
}

int bfs_parse_source(const char *source, struct bfs_source *out, char *msg, size_t msglen)
{
	const char *rest = source, *sep;
	char *b;

	memset(out, 0, sizeof(*out));
	if (g_str_has_prefix(source, "az://"))
		return parse_azure(source, NULL, source + 5, out, msg, msglen);
	if (g_str_has_prefix(source, "https://") || g_str_has_prefix(source, "http://")) {
		/* https://ACCOUNT.blob.core.windows.net/CONTAINER[/PREFIX] */
		const char *host = strstr(source, "://") + 3;
		const char *slash = strchr(host, '/');
		char *h = slash ? g_strndup(host, (gsize)(slash - host)) : g_strdup(host);
		char *dot = strstr(h, ".blob.");
		int r;

		if (!dot || !slash) {
			snprintf(msg, msglen,
				 "source '%s': an https:// source must be "
				 "https://ACCOUNT.blob.core.windows.net/CONTAINER[/PREFIX]",
				 source);
			g_free(h);
			return EINVAL;
		}
		*dot = '\0';
		r = parse_azure(source, h, slash + 1, out, msg, msglen);
		if (!r)
			out->endpoint = g_strdup_printf("%.*s://%s.%s",
							(int)(strstr(source, "://") - source),
							source, h, dot + 1);
		g_free(h);
		return r;
	}
	if (g_str_has_prefix(source, "gs://")) {
		out->kind = BFS_STORE_GCS;
		out->scheme = "gs";
		rest = source + 5;
		sep = strchr(rest, '/');
	} else if (g_str_has_prefix(source, "s3://")) {
		out->scheme = "s3";
		rest = source + 5;
		sep = strchr(rest, '/');
	} else if (strstr(source, "://")) {
		snprintf(msg, msglen,
			 "source '%s': the schemes are s3://, gs://, az:// and https:// (Azure)",
			 source);
		return EINVAL;
	} else {
		out->scheme = "s3";
		sep = strchr(rest, ':');
		if (sep && sep[1] != '/' && sep[1] != '\0')
			sep = NULL;
		if (!sep)
			sep = strchr(rest, '/');
	}
	b = sep ? g_strndup(rest, (gsize)(sep - rest)) : g_strdup(rest);
	if (!bucket_name_ok(b)) {
		snprintf(msg, msglen, "source '%s': '%s' is not a valid bucket name", source, b);
		g_free(b);
		memset(out, 0, sizeof(*out));
		return EINVAL;
	}
	out->bucket = b;
	out->prefix = as_prefix(sep ? sep + 1 : "");
	return 0;
}

static void set_defaults(struct bfs_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->uid = getuid();
	o->gid = getgid();
	o->umask = 022;
	o->stat_ttl = 30;
	o->negative_ttl = 5;
	o->connect_timeout = 10;
	o->request_timeout = 60;
	o->retries = 5;
	o->log_level = BFS_LOG_WARN;
	o->buffer_pool = true;
	o->buffer_pool_size = 16;
	o->pool_idle_shrink = 10;
}

/* "name = false" for a flag: undo it (or, for a kernel flag, its opposite). */
static int unset_flag(struct parse_state *st, const char *key)
{
	static const char *const kern[] = {"suid", "dev", "exec", "atime"};
	struct bfs_opts *o = st->o;

	if (!strcmp(key, "anonymous"))
		o->anonymous = false;
	else if (!strcmp(key, "allow_other"))
		o->allow_other = false;
	else if (!strcmp(key, "insecure_skip_tls_verify"))
		o->insecure_tls = false;
	else if (!strcmp(key, "path_style") || !strcmp(key, "virtual_host"))
		o->addressing = BFS_ADDR_AUTO;
	else if (!strcmp(key, "ro") || !strcmp(key, "rw") || !strcmp(key, "debug"))
		; /* always read-only; debug is a command-line matter */
	else {
		for (size_t i = 0; i < G_N_ELEMENTS(kern); i++) {
			const char *flag = kern[i];
			char opposite[16];

			if (!strcmp(key, flag))
				snprintf(opposite, sizeof(opposite), "no%s", flag);
			else if (!strncmp(key, "no", 2) && !strcmp(key + 2, flag))
				snprintf(opposite, sizeof(opposite), "%s", flag);
			else
				continue;
			char *flags = o->mount_flags
					      ? g_strconcat(o->mount_flags, ",", opposite, NULL)
					      : g_strdup(opposite);

			g_free(o->mount_flags);
			o->mount_flags = flags;
			return 0;
		}
		return fail(st, "option '%s' is not a flag: it takes a value", key);
	}
	return 0;
}

/* One config entry, through the same parser as -o. */
static int apply_entry(struct parse_state *st, const struct bfs_config_entry *e)
{
	char *word, *argv[3];
	struct fuse_args args;
	GString *esc = g_string_new(NULL);
	int r;

	st->origin = e->origin;
	if (is_false(e->value) && strcmp(e->key, "buffer_pool") != 0) {
		r = unset_flag(st, e->key);
		goto out;
	}
	word = is_true(e->value) && strcmp(e->key, "buffer_pool") != 0
		       ? g_strdup(e->key)
		       : g_strconcat(e->key, "=", e->value, NULL);
	/* -o splits at commas; a value may hold one */
	for (const char *p = word; *p; p++) {
		if (*p == ',' || *p == '\\')
			g_string_append_c(esc, '\\');
		g_string_append_c(esc, *p);
	}
	if (bfs_config_is_secret(e->key))
		OPENSSL_cleanse(word, strlen(word));
	g_free(word);
	argv[0] = "bucketfs";
	argv[1] = "-o";
	argv[2] = esc->str;
	args = (struct fuse_args)FUSE_ARGS_INIT(3, argv);
	r = fuse_opt_parse(&args, st, opt_spec, opt_proc) != 0 || st->failed ? -1 : 0;
	fuse_opt_free_args(&args);
out:
	if (r) {
		size_t n = strlen(st->msg);

		if (!st->failed)
			snprintf(st->msg, st->msglen, "cannot parse option '%s'", e->key);
		snprintf(st->msg + n, st->msglen - n, " (in %s)", e->origin);
		st->failed = 1;
	}
	if (bfs_config_is_secret(e->key))
		OPENSSL_cleanse(esc->str, esc->len);
	g_string_free(esc, TRUE);
	st->origin = NULL;
	return r;
}

int bfs_opts_parse_layered(int argc, char **argv, const GPtrArray *config, struct bfs_opts *o,
			   char *msg, size_t msglen)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct parse_state st = {.o = o, .msg = msg, .msglen = msglen};
	int r = 0;

	set_defaults(o);
	for (guint i = 0; config && i < config->len; i++) {
		if (apply_entry(&st, g_ptr_array_index(config, i)) != 0) {
			r = EINVAL;
			goto out;
		}
	}
	if (fuse_opt_parse(&args, &st, opt_spec, opt_proc) != 0 || st.failed) {
		if (!st.failed)
			snprintf(msg, msglen, "cannot parse the command line");
		r = EINVAL;
		goto out;
	}
	if (o->show_help || o->show_version)
		goto out;
	if (!o->source) {
		snprintf(msg, msglen, "missing the bucket to mount (see --help)");
		r = EINVAL;
		goto out;
	}
	if (!o->mountpoint) {
		snprintf(msg, msglen, "missing the mountpoint (see --help)");
		r = EINVAL;
		goto out;
	}
	{
		struct bfs_source src;

		r = bfs_parse_source(o->source, &src, msg, msglen);
		if (r)
			goto out;
		o->kind = src.kind;
		o->account = src.account;
		o->bucket = src.bucket;
		o->prefix = src.prefix;
		o->source_endpoint = src.endpoint;
	}
	if (o->anonymous && (o->profile || o->passwd_file)) {
		snprintf(msg, msglen,
			 "'anonymous' cannot be combined with profile= or passwd_file=");
		r = EINVAL;
	}
out:
	fuse_opt_free_args(&args);
	return r;
}

int bfs_opts_parse(int argc, char **argv, struct bfs_opts *o, char *msg, size_t msglen)
{
	return bfs_opts_parse_layered(argc, argv, NULL, o, msg, msglen);
}

char **bfs_opts_config_sections(const struct bfs_opts *o)
{
	GPtrArray *a = g_ptr_array_new();
	char *prefix = g_strdup(o->prefix ? o->prefix : "");
	size_t n = strlen(prefix);

	while (n && prefix[n - 1] == '/')
		prefix[--n] = '\0';
	const char *scheme = o->kind == BFS_STORE_GCS	  ? "gs"
			     : o->kind == BFS_STORE_AZURE ? "az"
							  : "s3";
	char *root = o->kind == BFS_STORE_AZURE
			     ? g_strdup_printf("az://%s/%s", o->account, o->bucket)
			     : g_strdup_printf("%s://%s", scheme, o->bucket);

	g_ptr_array_add(a, g_strdup("default"));
	g_ptr_array_add(a, g_strdup(root));
	if (n)
		g_ptr_array_add(a, g_strdup_printf("%s/%s", root, prefix));
	g_free(root);
	g_ptr_array_add(a, NULL);
	g_free(prefix);
	return (char **)g_ptr_array_free(a, FALSE);
}

void bfs_opts_clear(struct bfs_opts *o)
{
	g_free(o->source);
	g_free(o->mountpoint);
	g_free(o->account);
	g_free(o->bucket);
	g_free(o->prefix);
	g_free(o->source_endpoint);
	g_free(o->sas_file);
	g_free(o->token_file);
	g_free(o->credentials_file);
	g_free(o->endpoint);
	g_free(o->region);
	g_free(o->profile);
	g_free(o->passwd_file);
	g_free(o->ca_file);
	g_free(o->log_file);
	g_free(o->config_file);
	g_free(o->mount_flags);
	{
		char *secrets[] = {o->access_key_id, o->secret_access_key, o->session_token,
				   o->account_key, o->sas_token};

		for (size_t i = 0; i < G_N_ELEMENTS(secrets); i++) {
			if (secrets[i])
				OPENSSL_cleanse(secrets[i], strlen(secrets[i]));
			g_free(secrets[i]);
		}
	}
	memset(o, 0, sizeof(*o));
}

void bfs_opts_print_help(FILE *out, const char *prog)
{
	fprintf(out,
		"usage: %s SOURCE MOUNTPOINT [-o OPTION[,OPTION...]] [-f] [-d] [-s]\n"
		"\n"
		"Mount an object-store bucket read-only.  SOURCE is\n"
		"  s3://BUCKET[/PREFIX], BUCKET:/PREFIX, BUCKET        S3 and S3-compatible\n"
		"  gs://BUCKET[/PREFIX]                                Google Cloud Storage\n"
		"  az://ACCOUNT/CONTAINER[/PREFIX], or\n"
		"  https://ACCOUNT.blob.core.windows.net/CONTAINER[/PREFIX]  Azure Blob Storage\n"
		"\n"
		"general:\n"
		"  -h, --help               show this help and exit\n"
		"  -V, --version            show the version and exit\n"
		"  -f                       stay in the foreground\n"
		"  -d, -o debug             debug output (implies -f)\n"
		"  -s                       single-threaded\n"
		"  -o config=FILE           read FILE instead of /etc/bucketfs.conf and\n"
		"                           ~/.config/bucketfs/config\n"
		"\n"
		"object store (-o):\n"
		"  endpoint=URL             the store's endpoint (default: AWS for the region,\n"
		"                           storage.googleapis.com, "
		"ACCOUNT.blob.core.windows.net)\n"
		"  region=NAME              region (default: AWS_REGION, AWS_DEFAULT_REGION,\n"
		"                           the profile's region, else us-east-1)\n"
		"  path_style               path-style URLs (default for endpoint= and dotted "
		"names)\n"
		"  virtual_host             virtual-hosted URLs (default on AWS when the name "
		"allows)\n"
		"  ca_file=FILE             CA certificates to trust (default: system store)\n"
		"  insecure_skip_tls_verify do not verify the server's TLS certificate (unsafe)\n"
		"  connect_timeout=SECS     connect timeout (default: 10)\n"
		"  request_timeout=SECS     whole-request timeout, 0 for none (default: 60)\n"
		"  retries=N                retries of a failed request (default: 5)\n"
		"\n"
		"credentials (-o; never put secrets on the command line):\n"
		"  profile=NAME             profile from ~/.aws/credentials and ~/.aws/config\n"
		"  passwd_file=FILE         file of ACCESS_KEY:SECRET_KEY, mode 0600 or stricter\n"
		"  anonymous                unsigned requests, for public buckets\n"
		"  credentials_file=FILE    GCS: a service-account or authorized-user JSON key\n"
		"  token_file=FILE          GCS, Azure: an OAuth2 bearer token (re-read on "
		"change)\n"
		"  sas_file=FILE            Azure: a SAS token, mode 0600 or stricter\n"
		"  access_key_id, secret_access_key, session_token, account_key, sas_token:\n"
		"                           only in a config file of mode 0600\n"
		"  (default: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY[/AWS_SESSION_TOKEN],\n"
		"   then AWS_PROFILE or the default profile)\n"
		"\n"
		"file system (-o):\n"
		"  ro                       read-only (always; rw is accepted, no effect)\n"
		"  uid=N, gid=N             owner of every file (default: the mounting user)\n"
		"  umask=OCTAL              permission bits to clear (default: 022)\n"
		"  allow_other              let other users access the mount\n"
		"  stat_ttl=SECS            how long attributes and listings are trusted (default: "
		"30)\n"
		"  negative_ttl=SECS        how long a missing name is trusted (default: 5)\n"
		"  log_level=LEVEL          error, warn, info or debug (default: warn)\n"
		"  log_file=FILE            log here once detached (default: syslog)\n"
		"  nosuid, nodev, noexec, noatime, sync, dirsync, suid, dev, exec, atime,\n"
		"  async                    kernel mount flags, passed on in order\n"
		"  defaults, auto, noauto, _netdev, nofail, user, users, nouser, nousers,\n"
		"  owner, noowner, group, nogroup, comment=, x-*\n"
		"                           fstab words: accepted, left to mount(8)\n"
		"  nonempty                 FUSE 2's; accepted (FUSE 3 always allows it)\n"
		"\n"
		"read path (-o; sizes take K, M or G):\n"
		"  cache_size=SIZE          memory for cached and in-flight data\n"
		"                           (default: 1/16 of RAM, within 64M..1G)\n"
		"  part_size=SIZE           largest single ranged GET (default: 8M)\n"
		"  max_ranges=N             ranged GETs at once (default: 4)\n"
		"  max_readahead=SIZE       largest read-ahead window (default: 64M)\n"
		"  buffer_pool=on|off       reuse data buffers (default: on); also --buffer-pool\n"
		"  buffer_pool_size=N       idle buffers kept per size class (default: 16);\n"
		"                           also --buffer-pool-size N\n"
		"  pool_idle_shrink=SECS    free a class's idle buffers after this long\n"
		"                           unused (default: 10)\n"
		"\n"
		"statistics of a mounted bucketfs:\n"
		"  %s stats MOUNTPOINT\n"
		"\n"
		"exit status: 0 ok, 1 bad invocation, 32 mount failed.  See bucketfs(1).\n",
		prog, prog);
}
