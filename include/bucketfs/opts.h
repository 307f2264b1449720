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

enum bfs_addressing {
	BFS_ADDR_AUTO = 0, /* virtual-hosted on AWS for DNS-safe names, else path */
	BFS_ADDR_PATH,
	BFS_ADDR_VHOST,
};

struct bfs_opts {
	char *source;
	char *mountpoint;
	char *bucket;
	char *prefix; /* "" or ending in '/' */

	char *endpoint;
	char *region;
	enum bfs_addressing addressing;
	char *profile;
	char *passwd_file;
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
	int log_level; /* enum bfs_log_level */

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
void bfs_opts_clear(struct bfs_opts *o);
void bfs_opts_print_help(FILE *out, const char *prog);

/* Split "s3://bucket/prefix", "bucket:/prefix" or "bucket" into its parts. */
int bfs_parse_source(const char *source, char **bucket, char **prefix, char *msg, size_t msglen);

#endif
