// SPDX-License-Identifier: MIT
/*
 * The logging sink.  Writes are single fprintf/vsyslog calls, which are
 * thread-safe; the level and destination are set once at start-up, before
 * any worker thread exists, and only read afterwards.
 */
#include "bucketfs/log.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse3/fuse_log.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static enum bfs_log_level log_level = BFS_LOG_WARN;
static bool log_syslog;
static int log_fd = -1;	     /* opened by bfs_log_open_file() */
static char log_path[4096];  /* for bfs_log_reopen() */
static bool log_file_active; /* and in use */

void bfs_log_set_level(enum bfs_log_level level)
{
	log_level = level;
}

void bfs_log_use_syslog(const char *ident)
{
	openlog(ident, LOG_PID, LOG_DAEMON);
	log_syslog = true;
}

int bfs_log_open_file(const char *path, char *msg, size_t msglen)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);

	if (fd < 0) {
		int e = errno;

		snprintf(msg, msglen, "log_file %s: %s", path, strerror(e));
		return e;
	}
	if (strlen(path) >= sizeof(log_path)) {
		close(fd);
		snprintf(msg, msglen, "log_file %s: path too long", path);
		return ENAMETOOLONG;
	}
	if (log_fd >= 0)
		close(log_fd);
	log_fd = fd;
	memcpy(log_path, path, strlen(path) + 1);
	return 0;
}

void bfs_log_reopen(void)
{
	int saved = errno, fd;

	if (log_fd < 0)
		return;
	fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd >= 0) {
		dup3(fd, log_fd, O_CLOEXEC); /* atomic: a writer sees one file or the other */
		close(fd);
	}
	errno = saved;
}

void bfs_log_to_file(void)
{
	if (log_fd >= 0)
		log_file_active = true;
}

/* One line, one write(2): with O_APPEND, lines from threads never interleave
 * and a logrotate copytruncate is safe. */
static void file_line(const char *level, const char *line)
{
	GDateTime *now = g_date_time_new_now_local();
	char *stamp = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S.%f%z");
	char *text = g_strdup_printf("%s bucketfs[%d] %s: %s\n", stamp, (int)getpid(), level, line);
	size_t len = strlen(text);
	ssize_t w = write(log_fd, text, len);

	(void)w; /* nowhere left to report a failing log */
	g_free(text);
	g_free(stamp);
	g_date_time_unref(now);
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
	if (log_file_active)
		file_line(names[level], line);
	else if (log_syslog)
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
