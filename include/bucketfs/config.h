/* SPDX-License-Identifier: MIT */
/*
 * Configuration files (GLib key files).  A file has sections named by
 * source, each holding options as "name = value" (flags as "name = true" or
 * "false"):
 *
 *   [default]                  every mount
 *   [s3://bucket]              every mount of the bucket
 *   [s3://bucket/prefix]       this source exactly
 *
 * Loading does the file I/O and the safety checks; opts.c applies the
 * entries beneath the command line's options.
 */
#ifndef BUCKETFS_CONFIG_H
#define BUCKETFS_CONFIG_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

struct bfs_config_entry {
	char *key;
	char *value;
	char *origin; /* "FILE [section]", for messages */
};

struct bfs_config_file {
	const char *path;
	bool required; /* named by config=: a missing or unreadable file is an error */
};

/*
 * Read @files (lowest precedence first) and return in @entries (a new
 * GPtrArray of struct bfs_config_entry, freed with bfs_config_free()) the
 * entries of the sections named in @sections (NULL-terminated, lowest
 * precedence first), in the order they apply.  A file that holds a secret
 * (bfs_config_is_secret()) anywhere must not be readable or writable by group
 * or others.  A missing optional file is skipped; an unreadable one is skipped
 * with a warning.  Returns 0, or ENOENT / EACCES (required file), EINVAL
 * (malformed), EPERM (a secret in a loose file), with one line in @msg.
 */
int bfs_config_load(const struct bfs_config_file *files, size_t n_files,
		    const char *const *sections, GPtrArray **entries, char *msg, size_t msglen);
void bfs_config_free(GPtrArray *entries);

/* Whether an option name is a secret, accepted only from a config file. */
bool bfs_config_is_secret(const char *key);

/* The per-user file: $XDG_CONFIG_HOME/bucketfs/config (~/.config/...). */
char *bfs_config_user_path(void);

#define BFS_CONFIG_SYSTEM_PATH "/etc/bucketfs.conf"

#endif
