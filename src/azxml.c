// SPDX-License-Identifier: MIT
/*
 * GMarkup parser for List Blobs.  The shape is
 *   EnumerationResults / Blobs / Blob / Name, Properties / Content-Length ...
 *   EnumerationResults / Blobs / BlobPrefix / Name
 *   EnumerationResults / NextMarker
 * and only those paths are read; everything else is skipped.
 */
#include "bucketfs/azxml.h"

#include "bucketfs/s3xml.h"

#include <curl/curl.h>
#include <errno.h>
#include <string.h>

struct az_ctx {
	struct bfs_list_page *page;
	struct bfs_list_item *cur; /* inside Blob or BlobPrefix */
	GString *text;
	const char *path[6]; /* element names by depth, static strings or NULL */
	int depth;
	bool in_root;
	bool name_encoded;
	bool bad;
};

static const char *intern(const char *name)
{
	static const char *const known[] = {
		"EnumerationResults", "Blobs",		"Blob", "BlobPrefix",	 "Name",
		"Properties",	      "Content-Length", "Etag", "Last-Modified", "NextMarker"};

	for (size_t i = 0; i < G_N_ELEMENTS(known); i++)
		if (strcmp(name, known[i]) == 0)
			return known[i];
	return NULL;
}

/* Whether the element open at @depth is @name (callers check the depth). */
static bool at(const struct az_ctx *x, int depth, const char *name)
{
	return depth < (int)G_N_ELEMENTS(x->path) && x->path[depth] &&
	       strcmp(x->path[depth], name) == 0;
}

static void az_start(GMarkupParseContext *c, const char *name, const char **an, const char **av,
		     gpointer ud, GError **error)
{
	struct az_ctx *x = ud;

	x->depth++;
	g_string_truncate(x->text, 0);
	if (x->depth < (int)G_N_ELEMENTS(x->path))
		x->path[x->depth] = intern(name);
	if (x->depth == 1) {
		if (strcmp(name, "EnumerationResults") != 0) {
			g_set_error(error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
				    "not EnumerationResults");
			return;
		}
		x->in_root = true;
	} else if (x->depth == 3 && at(x, 2, "Blobs") &&
		   (at(x, 3, "Blob") || at(x, 3, "BlobPrefix"))) {
		x->cur = g_new0(struct bfs_list_item, 1);
		x->cur->is_prefix = at(x, 3, "BlobPrefix");
	} else if (x->depth == 4 && x->cur && at(x, 4, "Name")) {
		x->name_encoded = false;
		for (int i = 0; an[i]; i++)
			if (strcmp(an[i], "Encoded") == 0)
				x->name_encoded = strcmp(av[i], "true") == 0;
	}
}

static void az_text(GMarkupParseContext *c, const char *text, gsize len, gpointer ud,
		    GError **error)
{
	bfs_xml_append_text(((struct az_ctx *)ud)->text, text, len, error);
}

static void az_end(GMarkupParseContext *c, const char *name, gpointer ud, GError **error)
{
	struct az_ctx *x = ud;
	const char *t = x->text->str;

	if (x->cur && x->depth == 4 && at(x, 4, "Name")) {
		g_free(x->cur->key);
		x->cur->key = x->name_encoded ? bfs_percent_decode(t, false, &x->cur->has_nul)
					      : g_strdup(t);
		if (!x->cur->key)
			g_set_error(error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
				    "bad encoded name");
	} else if (x->cur && x->depth == 5 && at(x, 4, "Properties")) {
		if (at(x, 5, "Content-Length")) {
			guint64 v;

			if (!g_ascii_string_to_unsigned(t, 10, 0, G_MAXINT64, &v, NULL)) {
				g_set_error(error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
					    "bad Content-Length");
				return;
			}
			x->cur->size = v;
		} else if (at(x, 5, "Etag")) {
			g_free(x->cur->etag);
			x->cur->etag = g_strdup(t);
		} else if (at(x, 5, "Last-Modified")) {
			time_t m = curl_getdate(t, NULL);

			x->cur->mtime = m > 0 ? (int64_t)m : 0;
		}
	} else if (x->cur && x->depth == 3) {
		if (!x->cur->key) {
			g_set_error(error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
				    "entry without a name");
			return;
		}
		g_ptr_array_add(x->page->items, x->cur);
		x->cur = NULL;
	} else if (x->depth == 2 && at(x, 2, "NextMarker")) {
		g_free(x->page->next_token);
		x->page->next_token = *t ? g_strdup(t) : NULL;
		x->page->truncated = *t != '\0';
	}
	g_string_truncate(x->text, 0);
	if (x->depth < (int)G_N_ELEMENTS(x->path))
		x->path[x->depth] = NULL;
	x->depth--;
}

int bfs_azxml_parse_list(const char *xml, size_t len, struct bfs_list_page *page)
{
	static const GMarkupParser parser = {az_start, az_end, az_text, NULL, NULL};
	struct az_ctx x = {.page = page, .text = g_string_new(NULL)};
	GMarkupParseContext *ctx = g_markup_parse_context_new(&parser, 0, &x, NULL);
	gboolean ok;

	ok = g_markup_parse_context_parse(ctx, xml, (gssize)len, NULL) &&
	     g_markup_parse_context_end_parse(ctx, NULL);
	bfs_list_item_free(x.cur);
	g_markup_parse_context_free(ctx);
	g_string_free(x.text, TRUE);
	return ok && x.in_root ? 0 : EBADMSG;
}
