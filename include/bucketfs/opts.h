/* SPDX-License-Identifier: MIT */
/*
 * Command line and -o options.  Parsing validates everything (a bad value is
 * an error naming the option, never silently ignored) and does no I/O.
 */
#ifndef BUCKETFS_OPTS_H
#define BUCKETFS_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <glib.h>

enum bfs_addressing {
	BFS_ADDR_AUTO = 0, /* virtual-hosted on AWS for DNS-safe names, else path */
	BFS_ADDR_PATH,
	BFS_ADDR_VHOST,
};

enum bfs_store_kind {
	BFS_STORE_S3 = 0,
	BFS_STORE_GCS,
	BFS_STORE_AZURE,
};

/* A source, taken apart. */
struct bfs_source {
	enum bfs_store_kind kind;
	char *account;	    /* Azure only */
	char *bucket;	    /* the bucket, or Azure's container */
	char *prefix;	    /* "" or ending in '/' */
	char *endpoint;	    /* implied by an https:// source, else NULL */
	const char *scheme; /* "s3", "gs" or "az": config sections use it */
};

struct bfs_opts {
	char *source;
	char *mountpoint;
	enum bfs_store_kind kind;
	char *account; /* Azure's storage account */
	char *bucket;
	char *prefix;	       /* "" or ending in '/' */
	char *source_endpoint; /* implied by an https:// source */

	char *endpoint;
	char *region;
	enum bfs_addressing addressing;
	char *profile;
	char *passwd_file;
	char *sas_file;		/* Azure */
	char *token_file;	/* Azure, GCS: a bearer token */
	char *credentials_file; /* GCS: a service-account or authorized-user JSON key */
	bool anonymous;
	char *ca_file;
	bool insecure_tls;

	uid_t uid;
	gid_t gid;
	mode_t umask;
	bool allow_other;

	double stat_ttl;     /* seconds */
	double negative_ttl; /* seconds */
	double connect_timeout;
	double request_timeout;
	unsigned retries;
	int log_level;	   /* enum bfs_log_level */
	char *log_file;	   /* NULL: stderr in the foreground, syslog once detached */
	char *config_file; /* config=: read instead of the default files */
	char *mount_flags; /* kernel mount flags for FUSE ("nosuid,noexec"), or NULL */

	/* secrets: only from a config file (bfs_config_is_secret()) */
	char *access_key_id;
	char *secret_access_key;
	char *session_token;
	char *account_key; /* Azure */
	char *sas_token;   /* Azure */

	/* read path; 0 means "the default" where a default depends on the machine */
	uint64_t cache_size;
	uint64_t part_size;
	unsigned max_ranges;
	uint64_t max_readahead;
	bool buffer_pool;
	unsigned buffer_pool_size;
	double pool_idle_shrink;

	bool foreground;
	bool debug;
	bool single_thread;
	bool show_help;
	bool show_version;
};

/* Parse argv into @o (all fields set: defaults, then what argv says).
 * Returns 0, or EINVAL with one line naming the problem in @msg. */
int bfs_opts_parse(int argc, char **argv, struct bfs_opts *o, char *msg, size_t msglen);

/* As bfs_opts_parse(), with the entries of configuration files
 * (struct bfs_config_entry, from bfs_config_load()) between the defaults and
 * argv: the command line wins over every file.  A bad entry is an error
 * naming its file and section. */
int bfs_opts_parse_layered(int argc, char **argv, const GPtrArray *config, struct bfs_opts *o,
			   char *msg, size_t msglen);

/* The config sections that apply to @o's source, lowest precedence first:
 * "default", "s3://BUCKET", then "s3://BUCKET/PREFIX" if there is a prefix.
 * NULL-terminated, free with g_strfreev(). */
char **bfs_opts_config_sections(const struct bfs_opts *o);
void bfs_opts_clear(struct bfs_opts *o);
void bfs_opts_print_help(FILE *out, const char *prog);

/*
 * Split a source into its parts: s3://BUCKET[/PREFIX], BUCKET:/PREFIX,
 * BUCKET[/PREFIX] (S3); gs://BUCKET[/PREFIX]; az://ACCOUNT/CONTAINER[/PREFIX]
 * or https://ACCOUNT.blob.SUFFIX/CONTAINER[/PREFIX] (Azure).  Returns 0, or
 * EINVAL with one line in @msg.  Clear @out with bfs_source_clear().
 */
int bfs_parse_source(const char *source, struct bfs_source *out, char *msg, size_t msglen);
void bfs_source_clear(struct bfs_source *s);

#endif
