// SPDX-License-Identifier: MIT
#include "scripted_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct scripted_server {
	int fd;
	int port;
	GThread *thread;
	GMutex lock;
	GQueue responses; /* GBytes * */
	GPtrArray *requests;
	volatile gint stop;
};

static GBytes *next_response(struct scripted_server *s)
{
	GBytes *b;

	g_mutex_lock(&s->lock);
	b = g_queue_pop_head(&s->responses);
	g_mutex_unlock(&s->lock);
	return b;
}

static void serve_conn(struct scripted_server *s, int c)
{
	GString *buf = g_string_new(NULL);
	char chunk[4096];

	while (!g_atomic_int_get(&s->stop)) {
		struct pollfd p = {c, POLLIN, 0};
		char *end;
		ssize_t n;
		GBytes *resp;
		gsize len;
		const char *data;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(c, chunk, sizeof(chunk));
		if (n <= 0)
			break;
		g_string_append_len(buf, chunk, n);
		end = strstr(buf->str, "\r\n\r\n");
		if (!end)
			continue;
		g_mutex_lock(&s->lock);
		g_ptr_array_add(s->requests, g_strndup(buf->str, (gsize)(end - buf->str)));
		g_mutex_unlock(&s->lock);
		g_string_erase(buf, 0, end - buf->str + 4);
		resp = next_response(s);
		if (!resp) {
			static const char none[] =
				"HTTP/1.1 599 No Script\r\nContent-Length: 0\r\n\r\n";
			resp = g_bytes_new_static(none, sizeof(none) - 1);
		}
		data = g_bytes_get_data(resp, &len);
		if (len == strlen(SCRIPT_RESET) && memcmp(data, SCRIPT_RESET, len) == 0) {
			g_bytes_unref(resp);
			break;
		}
		if (write(c, data, len) != (ssize_t)len) {
			g_bytes_unref(resp);
			break;
		}
		/* A response that says "Connection: close" ends the connection,
		 * which is how a truncated body is delivered. */
		if (g_strstr_len(data, (gssize)len, "Connection: close")) {
			g_bytes_unref(resp);
			break;
		}
		g_bytes_unref(resp);
	}
	g_string_free(buf, TRUE);
	close(c);
}

static gpointer run(gpointer data)
{
	struct scripted_server *s = data;

	while (!g_atomic_int_get(&s->stop)) {
		struct pollfd p = {s->fd, POLLIN, 0};
		int c;

		if (poll(&p, 1, 100) <= 0)
			continue;
		c = accept(s->fd, NULL, NULL);
		if (c >= 0)
			serve_conn(s, c);
	}
	return NULL;
}

struct scripted_server *scripted_server_start(void)
{
	struct scripted_server *s = g_new0(struct scripted_server, 1);
	struct sockaddr_in a = {0};
	socklen_t al = sizeof(a);
	int one = 1;

	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	g_assert(s->fd >= 0);
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	g_assert(bind(s->fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	g_assert(listen(s->fd, 8) == 0);
	g_assert(getsockname(s->fd, (struct sockaddr *)&a, &al) == 0);
	s->port = ntohs(a.sin_port);
	g_mutex_init(&s->lock);
	g_queue_init(&s->responses);
	s->requests = g_ptr_array_new_with_free_func(g_free);
	s->thread = g_thread_new("scripted", run, s);
	return s;
}

void scripted_server_push_len(struct scripted_server *s, const char *raw, size_t len)
{
	g_mutex_lock(&s->lock);
	g_queue_push_tail(&s->responses, g_bytes_new(raw, len));
	g_mutex_unlock(&s->lock);
}

void scripted_server_push(struct scripted_server *s, const char *raw)
{
	scripted_server_push_len(s, raw, strlen(raw));
}

int scripted_server_port(struct scripted_server *s)
{
	return s->port;
}

guint scripted_server_count(struct scripted_server *s)
{
	guint n;

	g_mutex_lock(&s->lock);
	n = s->requests->len;
	g_mutex_unlock(&s->lock);
	return n;
}

char *scripted_server_request(struct scripted_server *s, guint i)
{
	char *r = NULL;

	g_mutex_lock(&s->lock);
	if (i < s->requests->len)
		r = g_strdup(g_ptr_array_index(s->requests, i));
	g_mutex_unlock(&s->lock);
	return r;
}

void scripted_server_stop(struct scripted_server *s)
{
	g_atomic_int_set(&s->stop, 1);
	g_thread_join(s->thread);
	close(s->fd);
	g_queue_clear_full(&s->responses, (GDestroyNotify)g_bytes_unref);
	g_ptr_array_free(s->requests, TRUE);
	g_mutex_clear(&s->lock);
	g_free(s);
}
