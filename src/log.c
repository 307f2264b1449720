// SPDX-License-Identifier: MIT
/*
 * The logging sink.  Writes are single fprintf/vsyslog calls, which are
 * thread-safe; the level and destination are set once at start-up, before
 * any worker thread exists, and only read afterwards.
 */
#include "bucketfs/log.h"

#include <fuse3/fuse_log.h>
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

static enum bfs_log_level log_level = BFS_LOG_WARN;
static bool log_syslog;

void bfs_log_set_level(enum bfs_log_level level)
{
	log_level = level;
}

void bfs_log_use_syslog(const char *ident)
{
	openlog(ident, LOG_PID, LOG_DAEMON);
	log_syslog = true;
}

static int syslog_priority(enum bfs_log_level level)
{
	switch (level) {
	case BFS_LOG_ERROR:
		return LOG_ERR;
	case BFS_LOG_WARN:
		return LOG_WARNING;
	case BFS_LOG_INFO:
		return LOG_INFO;
	default:
		return LOG_DEBUG;
	}
}

static void log_va(enum bfs_log_level level, const char *fmt, va_list ap)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	char line[1024];

	if (level > log_level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_syslog)
		syslog(syslog_priority(level), "%s", line);
	else
		fprintf(stderr, "bucketfs: %s%s%s\n", level == BFS_LOG_INFO ? "" : names[level],
			level == BFS_LOG_INFO ? "" : ": ", line);
}

void bfs_log(enum bfs_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_va(level, fmt, ap);
	va_end(ap);
}

static void fuse_log_sink(enum fuse_log_level level, const char *fmt, va_list ap)
{
	enum bfs_log_level l = BFS_LOG_DEBUG;
	char line[1024];
	size_t n;

	if (level <= FUSE_LOG_ERR)
		l = BFS_LOG_ERROR;
	else if (level == FUSE_LOG_WARNING)
		l = BFS_LOG_WARN;
	else if (level <= FUSE_LOG_INFO)
		l = BFS_LOG_INFO;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = 0;
	while (line[n])
		n++;
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	bfs_log(l, "fuse: %s", line);
}

void bfs_log_install_fuse(void)
{
	fuse_set_log_func(fuse_log_sink);
}
