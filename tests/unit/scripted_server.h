/* SPDX-License-Identifier: MIT */
/*
 * A scripted HTTP/1.1 server on 127.0.0.1 for unit tests: it answers each
 * request with the next canned response, and records the requests.  A
 * response of SCRIPT_RESET closes the connection without answering; a
 * response may also lie about its length and close (a truncated body).
 */
#ifndef BFS_SCRIPTED_SERVER_H
#define BFS_SCRIPTED_SERVER_H

#include <glib.h>

#define SCRIPT_RESET "RESET"

struct scripted_server;

struct scripted_server *scripted_server_start(void);
/* Queue responses (raw HTTP, copied). */
void scripted_server_push(struct scripted_server *s, const char *raw);
void scripted_server_push_len(struct scripted_server *s, const char *raw, size_t len);
int scripted_server_port(struct scripted_server *s);
/* Requests seen so far (head only: request line and headers). */
guint scripted_server_count(struct scripted_server *s);
char *scripted_server_request(struct scripted_server *s, guint i); /* g_free */
void scripted_server_stop(struct scripted_server *s);

#endif
