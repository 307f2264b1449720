// SPDX-License-Identifier: MIT
/*
 * GMarkup-driven parsers.  The parser keeps a stack of element names only
 * as far as it needs: which element holds the text being read, and whether
 * we are inside <Contents> or <CommonPrefixes>.
 */
#include "bucketfs/s3xml.h"

#include <errno.h>
#include <string.h>

#define TEXT_CAP 8192 /* longest text value we accept (keys are <= 1024 bytes) */

struct list_ctx {
	struct bfs_list_page *page;
	struct bfs_list_item *cur; /* inside Contents or CommonPrefixes */
	GString *text;
	bool url_encoded;
	bool in_root;
	bool too_long;
	int depth;
};

static void list_start(GMarkupParseContext *c, const char *name, const char **an, const char **av,
		       gpointer ud, GError **error)
{
	struct list_ctx *x = ud;

	x->depth++;
	g_string_truncate(x->text, 0);
	if (x->depth == 1) {
		if (strcmp(name, "ListBucketResult") != 0) {
			g_set_error(error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
				    "not a ListBucketResult");
			return;
		}
		x->in_root = true;
		return;
	}
	if (x->depth == 2 &&
	    (strcmp(name, "Contents") == 0 || strcmp(name, "CommonPrefixes") == 0)) {
		x->cur = g_new0(struct bfs_list_item, 1);
		x->cur->is_prefix = strcmp(name, "CommonPrefixes") == 0;
	}
}

void bfs_xml_append_text(GString *buf, const char *text, gsize len, GError **error)
{
	if (buf->len + len > TEXT_CAP) {
		g_set_error(error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
			    "text value too long");
		return;
	}
	g_string_append_len(buf, text, (gssize)len);
}

static void list_text(GMarkupParseContext *c, const char *text, gsize len, gpointer ud,
		      GError **error)
{
	bfs_xml_append_text(((struct list_ctx *)ud)->text, text, len, error);
}

static int64_t parse_iso8601(const char *s)
{
	GDateTime *dt = g_date_time_new_from_iso8601(s, NULL);
	int64_t t = 0;

	if (dt) {
		t = g_date_time_to_unix(dt);
		g_date_time_unref(dt);
	}
	return t;
}

static void list_end(GMarkupParseContext *c, const char *name, gpointer ud, GError **error)
{
	struct list_ctx *x = ud;
	const char *t = x->text->str;

	if (x->depth == 3 && x->cur) {
		if (strcmp(name, "Key") == 0 || strcmp(name, "Prefix") == 0) {
			g_free(x->cur->key);
			x->cur->key = g_strdup(t);
		} else if (strcmp(name, "Size") == 0) {
			guint64 v;

			if (!g_ascii_string_to_unsigned(t, 10, 0, G_MAXINT64, &v, NULL)) {
				g_set_error(error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
					    "bad Size");
				return;
			}
			x->cur->size = v;
		} else if (strcmp(name, "LastModified") == 0) {
			x->cur->mtime = parse_iso8601(t);
		} else if (strcmp(name, "ETag") == 0) {
			g_free(x->cur->etag);
			x->cur->etag = g_strdup(t);
		} else if (strcmp(name, "Generation") == 0) {
			g_free(x->cur->generation);
			x->cur->generation = g_strdup(t);
		}
	} else if (x->depth == 2) {
		if (x->cur) {
			if (!x->cur->key) {
				g_set_error(error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
					    "entry without a key");
				return;
			}
			g_ptr_array_add(x->page->items, x->cur);
			x->cur = NULL;
		} else if (strcmp(name, "IsTruncated") == 0) {
			x->page->truncated = strcmp(t, "true") == 0;
		} else if (strcmp(name, "NextContinuationToken") == 0) {
			g_free(x->page->next_token);
			x->page->next_token = g_strdup(t);
		} else if (strcmp(name, "EncodingType") == 0) {
			x->url_encoded = g_ascii_strcasecmp(t, "url") == 0;
		}
	}
	g_string_truncate(x->text, 0);
	x->depth--;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)g_ascii_tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

char *bfs_percent_decode(const char *s, bool plus_is_space, bool *has_nul)
{
	GString *out = g_string_new(NULL);

	*has_nul = false;
	for (; *s; s++) {
		if (*s == '+' && plus_is_space) {
			g_string_append_c(out, ' ');
		} else if (*s == '%') {
			int hi = hexval(s[1]), lo = hi >= 0 ? hexval(s[2]) : -1;

			if (hi < 0 || lo < 0) {
				g_string_free(out, TRUE);
				return NULL;
			}
			if (hi == 0 && lo == 0)
				*has_nul = true;
			g_string_append_c(out, (char)(hi * 16 + lo));
			s += 2;
		} else {
			g_string_append_c(out, *s);
		}
	}
	return g_string_free(out, FALSE);
}

char *bfs_s3_url_decode(const char *s, bool *has_nul)
{
	return bfs_percent_decode(s, true, has_nul);
}

int bfs_s3xml_parse_list(const char *xml, size_t len, struct bfs_list_page *page)
{
	static const GMarkupParser parser = {list_start, list_end, list_text, NULL, NULL};
	struct list_ctx x = {.page = page, .text = g_string_new(NULL)};
	GMarkupParseContext *ctx = g_markup_parse_context_new(&parser, 0, &x, NULL);
	gboolean ok;
	int r = 0;

	ok = g_markup_parse_context_parse(ctx, xml, (gssize)len, NULL) &&
	     g_markup_parse_context_end_parse(ctx, NULL);
	if (!ok || !x.in_root) {
		r = EBADMSG;
		goto out;
	}
	if (page->truncated && (!page->next_token || !*page->next_token)) {
		r = EBADMSG; /* would loop forever, or stop early: neither is right */
		goto out;
	}
	if (x.url_encoded) {
		for (guint i = 0; i < page->items->len; i++) {
			struct bfs_list_item *it = g_ptr_array_index(page->items, i);
			char *dec = bfs_s3_url_decode(it->key, &it->has_nul);

			if (!dec) {
				r = EBADMSG;
				goto out;
			}
			g_free(it->key);
			it->key = dec;
		}
	}
out:
	bfs_list_item_free(x.cur);
	g_markup_parse_context_free(ctx);
	g_string_free(x.text, TRUE);
	return r;
}

struct err_ctx {
	struct bfs_s3_error *err;
	GString *text;
	int depth;
	bool in_root;
};

static void err_start(GMarkupParseContext *c, const char *name, const char **an, const char **av,
		      gpointer ud, GError **error)
{
	struct err_ctx *x = ud;

	x->depth++;
	g_string_truncate(x->text, 0);
	if (x->depth == 1)
		x->in_root = strcmp(name, "Error") == 0;
}

static void err_text(GMarkupParseContext *c, const char *text, gsize len, gpointer ud,
		     GError **error)
{
	struct err_ctx *x = ud;

	if (x->text->len + len <= TEXT_CAP)
		g_string_append_len(x->text, text, (gssize)len);
}

static void err_end(GMarkupParseContext *c, const char *name, gpointer ud, GError **error)
{
	struct err_ctx *x = ud;
	char **slot = NULL;

	if (x->in_root && x->depth == 2) {
		if (strcmp(name, "Code") == 0)
			slot = &x->err->code;
		else if (strcmp(name, "Message") == 0)
			slot = &x->err->message;
		else if (strcmp(name, "Region") == 0)
			slot = &x->err->region;
		else if (strcmp(name, "AuthenticationErrorDetail") == 0)
			slot = &x->err->detail;
	}
	if (slot) {
		g_free(*slot);
		*slot = g_strdup(x->text->str);
	}
	g_string_truncate(x->text, 0);
	x->depth--;
}

int bfs_s3xml_parse_error(const char *xml, size_t len, struct bfs_s3_error *out)
{
	static const GMarkupParser parser = {err_start, err_end, err_text, NULL, NULL};
	struct err_ctx x = {.err = out, .text = g_string_new(NULL)};
	GMarkupParseContext *ctx = g_markup_parse_context_new(&parser, 0, &x, NULL);
	gboolean ok;

	ok = g_markup_parse_context_parse(ctx, xml, (gssize)len, NULL) &&
	     g_markup_parse_context_end_parse(ctx, NULL);
	g_markup_parse_context_free(ctx);
	g_string_free(x.text, TRUE);
	return ok && x.in_root ? 0 : EBADMSG;
}

void bfs_s3_error_clear(struct bfs_s3_error *err)
{
	g_clear_pointer(&err->code, g_free);
	g_clear_pointer(&err->message, g_free);
	g_clear_pointer(&err->region, g_free);
	g_clear_pointer(&err->detail, g_free);
}
