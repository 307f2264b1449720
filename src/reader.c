// SPDX-License-Identifier: MIT
/*
 * The direct reader: clamp, one ranged GET into a fresh buffer, answer,
 * free.  Stateless, so it needs no lock.
 */
#include "bucketfs/reader.h"

#include <errno.h>

struct direct_reader {
	struct bfs_reader base;
	struct bfs_backend *be;
};

static void direct_read(struct bfs_reader *rd, const struct bfs_file_pin *pin, uint64_t off,
			size_t len, bfs_read_done_fn done, void *ctx)
{
	struct direct_reader *dr = (struct direct_reader *)rd;
	struct iovec iov;
	void *buf;
	int r;

	if (off >= pin->size || len == 0) {
		done(ctx, 0, NULL, 0);
		return;
	}
	if (len > pin->size - off)
		len = (size_t)(pin->size - off);
	buf = g_try_malloc(len);
	if (!buf) {
		done(ctx, ENOMEM, NULL, 0);
		return;
	}
	r = dr->be->ops->get_range(dr->be, pin->key, pin->etag, pin->size, off, buf, len);
	iov.iov_base = buf;
	iov.iov_len = len;
	done(ctx, r, r ? NULL : &iov, r ? 0 : 1);
	g_free(buf);
}

static void direct_destroy(struct bfs_reader *rd)
{
	g_free(rd);
}

static const struct bfs_reader_ops direct_ops = {
	.name = "direct",
	.read = direct_read,
	.destroy = direct_destroy,
};

int bfs_direct_reader_create(struct bfs_backend *be, struct bfs_reader **out)
{
	struct direct_reader *dr = g_new0(struct direct_reader, 1);

	dr->base.ops = &direct_ops;
	dr->be = be;
	*out = &dr->base;
	return 0;
}
