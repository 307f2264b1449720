/* SPDX-License-Identifier: MIT */
/*
 * Parsers for S3's XML answers: ListObjectsV2 results and error documents.
 * Streaming (GMarkup); the caller caps the input size, and each text value is
 * capped here too.  Return 0 or EBADMSG for a document that is not what it
 * should be; never crash on any input.
 */
#ifndef BUCKETFS_S3XML_H
#define BUCKETFS_S3XML_H

#include "bucketfs/backend.h"

struct bfs_s3_error {
	char *code;
	char *message;
	char *region;
	char *detail; /* Azure's AuthenticationErrorDetail */
};

/* Parse a ListBucketResult into @page (initialised by the caller).  Keys and
 * prefixes are URL-decoded when the document says EncodingType=url. */
/* A GMarkup text callback's body for the parsers: append @text to @buf,
 * failing the parse when a value grows past 8 KiB (keys are <= 1 KiB). */
void bfs_xml_append_text(GString *buf, const char *text, gsize len, GError **error);

int bfs_s3xml_parse_list(const char *xml, size_t len, struct bfs_list_page *page);

/* Parse an <Error> document.  Fields absent from it stay NULL. */
int bfs_s3xml_parse_error(const char *xml, size_t len, struct bfs_s3_error *out);
void bfs_s3_error_clear(struct bfs_s3_error *err);

/* Decode S3's encoding-type=url form ('+' is a space, %XX a byte) of @s.
 * Returns a new string or NULL if @s is malformed; *@has_nul tells whether
 * a NUL byte was decoded (the result is then cut at it). */
char *bfs_s3_url_decode(const char *s, bool *has_nul);

/* Percent-decoding; '+' is a space only when @plus_is_space (form style).
 * NULL for a malformed escape; *has_nul tells whether a %00 was decoded. */
char *bfs_percent_decode(const char *s, bool plus_is_space, bool *has_nul);

#endif
