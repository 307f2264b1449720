/* SPDX-License-Identifier: MIT */
/*
 * Azure Blob Storage's List Blobs answer (<EnumerationResults>) into a
 * struct bfs_list_page.  Error documents have S3's shape (<Error><Code>) and
 * go through bfs_s3xml_parse_error().
 */
#ifndef BUCKETFS_AZXML_H
#define BUCKETFS_AZXML_H

#include "bucketfs/backend.h"

#include <stddef.h>

/* Blobs become items with size, mtime and ETag; BlobPrefix elements become
 * prefixes; names marked Encoded="true" are percent-decoded.  A non-empty
 * NextMarker makes the page truncated, with the marker as next_token.
 * Returns 0 or EBADMSG. */
int bfs_azxml_parse_list(const char *xml, size_t len, struct bfs_list_page *page);

#endif
