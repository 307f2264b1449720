/* SPDX-License-Identifier: MIT */
/*
 * One logging sink for the whole daemon.
 *
 * Before daemonizing, messages go to stderr; afterwards to syslog (see
 * bfs_log_use_syslog()) or to a file (bfs_log_use_file()).  The sink is process state by nature
 * (stderr and syslog are), but it holds no module state: every module logs through bfs_log() and
 * nothing else.  Never pass a secret to it.
 */
#ifndef BUCKETFS_LOG_H
#define BUCKETFS_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum bfs_log_level {
	BFS_LOG_ERROR = 0,
	BFS_LOG_WARN = 1,
	BFS_LOG_INFO = 2,
	BFS_LOG_DEBUG = 3,
};

/* Messages above @level are dropped.  Default: BFS_LOG_WARN. */
void bfs_log_set_level(enum bfs_log_level level);

/* From now on, write to syslog with @ident instead of stderr. */
void bfs_log_use_syslog(const char *ident);

/* Open @path for appending (created 0640) and, once bfs_log_to_file() is
 * called, write timestamped lines there.  Opening is separate from switching
 * so that a bad path is reported on the terminal before detaching.  Returns
 * 0, or an errno with one line in @msg. */
int bfs_log_open_file(const char *path, char *msg, size_t msglen);

/* From now on, write to the file opened by bfs_log_open_file(). */
void bfs_log_to_file(void);

/* Reopen the log file at its path (after logrotate moved it).  Only
 * async-signal-safe calls: meant for a SIGHUP handler.  No-op without one. */
void bfs_log_reopen(void);

/* Install bfs_log as libfuse's log function. */
void bfs_log_install_fuse(void);

void bfs_log(enum bfs_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
