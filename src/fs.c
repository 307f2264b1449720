// SPDX-License-Identifier: MIT
/*
 * FUSE low-level operations.
 *
 * Metadata: a lookup is answered from the parent's cached listing when it
 * is fresh, else by probing the store (a LIST of "name/" for a directory,
 * which wins, then a HEAD of "name").  Listings fill the attribute cache, and
 * readdirplus hands attributes to the kernel with the names, so `ls -l`
 * costs listing pages only.
 *
 * Data: open pins the object's ETag and size (from fresh attributes, or a
 * HEAD); reads go to the reader with that pin.  The kernel's page cache is
 * kept across opens while the ETag stays the same.
 *
 * Threads: any FUSE worker may run any operation; the fs itself holds no
 * lock (the inode table has its own), so no lock is held across I/O.
 */
#include "bucketfs/fs.h"

#include "bucketfs/dirlist.h"
#include "bucketfs/inode.h"
#include "bucketfs/keymap.h"
#include "bucketfs/log.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#define DIR_PROBE_KEYS 1
/* A lookup in a directory without a fresh listing lists it, when that is
 * cheap: one page if it was never listed (or forgotten), up to five if its
 * expired listing says it is that large.  One LIST then answers every
 * sibling, where probing costs two requests per name.  Larger directories
 * are probed name by name. */
#define RELIST_MAX_PAGES 5
#define LIST_PAGE_ENTRIES 1000
#define BLKSIZE (1u << 20)

struct bfs_fs {
	struct bfs_fs_conf conf;
	char *prefix;
	struct bfs_backend *be;
	struct bfs_reader *rd;
	struct bfs_inodes *inodes;
	time_t mount_time;
};

struct open_file {
	struct bfs_file_pin pin;
};

static struct bfs_fs *req_fs(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static gint64 expiry(double ttl)
{
	return g_get_monotonic_time() + (gint64)(ttl * G_USEC_PER_SEC);
}

static char *file_key(struct bfs_fs *fs, const char *path)
{
	return g_strconcat(fs->prefix, path, NULL);
}

static char *dir_prefix(struct bfs_fs *fs, const char *path)
{
	return *path ? g_strconcat(fs->prefix, path, "/", NULL) : g_strdup(fs->prefix);
}

static void fill_stat(struct bfs_fs *fs, fuse_ino_t ino, const struct bfs_dirent *a,
		      struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	if (a->is_dir) {
		st->st_mode = S_IFDIR | (0777 & ~fs->conf.umask);
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | (0666 & ~fs->conf.umask);
		st->st_nlink = 1;
		st->st_size = (off_t)a->size;
		st->st_blocks = (blkcnt_t)((a->size + 511) / 512);
	}
	st->st_uid = fs->conf.uid;
	st->st_gid = fs->conf.gid;
	st->st_blksize = BLKSIZE;
	/* Directories have no time of their own in a bucket: the mount's. */
	st->st_mtim.tv_sec = a->is_dir && !a->mtime ? fs->mount_time : a->mtime;
	st->st_ctim = st->st_mtim;
	st->st_atim = st->st_mtim;
}

/* Does @path name a directory or an object?  0 with @out filled, ENOENT, or
 * another errno.  A directory wins over an object of the same name. */
static int probe_path(struct bfs_fs *fs, const char *path, struct bfs_dirent *out)
{
	struct bfs_list_page page;
	struct bfs_object_info info = {0};
	char *prefix = dir_prefix(fs, path), *key;
	int r;

	memset(out, 0, sizeof(*out));
	/* No delimiter: any key below the prefix, however deep, makes it a
	 * directory (some servers drop deep-only prefixes from delimited lists). */
	r = fs->be->ops->list(fs->be, prefix, false, NULL, DIR_PROBE_KEYS, &page);
	g_free(prefix);
	if (r)
		return r;
	if (page.items->len > 0) {
		bfs_list_page_clear(&page);
		out->is_dir = true;
		return 0;
	}
	bfs_list_page_clear(&page);
	key = file_key(fs, path);
	r = fs->be->ops->head(fs->be, key, &info);
	g_free(key);
	if (r)
		return r;
	out->size = info.size;
	out->mtime = info.mtime;
	out->etag = info.etag;
	return 0;
}

static void reply_entry(fuse_req_t req, struct bfs_fs *fs, fuse_ino_t parent, const char *name,
			const struct bfs_dirent *attr)
{
	struct fuse_entry_param e = {0};

	e.ino = bfs_inodes_link(fs->inodes, parent, name, attr, expiry(fs->conf.stat_ttl));
	if (!e.ino) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	e.attr_timeout = fs->conf.stat_ttl;
	e.entry_timeout = fs->conf.stat_ttl;
	fill_stat(fs, e.ino, attr, &e.attr);
	if (fuse_reply_entry(req, &e) != 0)
		bfs_inodes_forget(fs->inodes, e.ino, 1);
}

static void reply_negative(fuse_req_t req, struct bfs_fs *fs)
{
	struct fuse_entry_param e = {0};

	/* ino 0 with a timeout: the kernel caches the miss itself. */
	e.entry_timeout = fs->conf.negative_ttl;
	fuse_reply_entry(req, &e);
}

/* List a modest directory for a lookup; 0 if it did. */
static int relist(struct bfs_fs *fs, fuse_ino_t ino, const char *path)
{
	int count = bfs_inodes_listing_count(fs->inodes, ino);
	unsigned pages = count < 0 ? 1 : (unsigned)count / LIST_PAGE_ENTRIES + 1;
	GPtrArray *entries;
	char *prefix;
	int r;

	if (pages > RELIST_MAX_PAGES)
		return E2BIG;
	prefix = dir_prefix(fs, path);
	r = bfs_dirlist_read_upto(fs->be, prefix, pages, &entries);
	g_free(prefix);
	if (!r)
		bfs_inodes_set_listing(fs->inodes, ino, entries, expiry(fs->conf.stat_ttl));
	return r;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct bfs_fs *fs = req_fs(req);
	struct bfs_node_info pinfo;
	struct bfs_dirent d;
	char *path;
	int r;

	if (strlen(name) > BFS_NAME_MAX) {
		fuse_reply_err(req, ENAMETOOLONG);
		return;
	}
	if (!bfs_inodes_get(fs->inodes, parent, &pinfo)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (!pinfo.attr.is_dir) {
		bfs_node_info_clear(&pinfo);
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	r = bfs_inodes_find_child(fs->inodes, parent, name, &d);
	if (r == 1) {
		reply_entry(req, fs, parent, name, &d);
		goto out_d;
	}
	if (bfs_inodes_is_negative(fs->inodes, parent, name)) {
		reply_negative(req, fs);
		goto out;
	}
	if (r < 0 && relist(fs, parent, pinfo.path) == 0) {
		r = bfs_inodes_find_child(fs->inodes, parent, name, &d);
		if (r == 1) {
			reply_entry(req, fs, parent, name, &d);
			goto out_d;
		}
	}
	/* Not in a fresh listing (or none): ask the store.  A listing can miss
	 * a directory (some servers omit deep-only prefixes), so probe anyway. */
	path = *pinfo.path ? g_strconcat(pinfo.path, "/", name, NULL) : g_strdup(name);
	r = probe_path(fs, path, &d);
	g_free(path);
	if (r == ENOENT) {
		bfs_inodes_set_negative(fs->inodes, parent, name, expiry(fs->conf.negative_ttl));
		reply_negative(req, fs);
		goto out;
	}
	if (r) {
		fuse_reply_err(req, r);
		goto out;
	}
	reply_entry(req, fs, parent, name, &d);
out_d:
	g_free(d.name);
	g_free(d.etag);
out:
	bfs_node_info_clear(&pinfo);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	bfs_inodes_forget(req_fs(req)->inodes, ino, nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	struct bfs_fs *fs = req_fs(req);

	for (size_t i = 0; i < count; i++)
		bfs_inodes_forget(fs->inodes, forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

/* Fresh attributes of @ino into @info, re-reading the object when stale. */
static int fresh_attr(struct bfs_fs *fs, fuse_ino_t ino, struct bfs_node_info *info)
{
	struct bfs_dirent d;
	int r;

	if (!bfs_inodes_get(fs->inodes, ino, info))
		return ENOENT;
	if (info->attr.is_dir || info->attr_expires > g_get_monotonic_time())
		return 0;
	r = probe_path(fs, info->path, &d);
	if (r)
		return r;
	bfs_inodes_set_attr(fs->inodes, ino, &d, expiry(fs->conf.stat_ttl));
	g_free(info->attr.etag);
	info->attr = d;
	info->attr.name = NULL;
	return 0;
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct bfs_fs *fs = req_fs(req);
	struct bfs_node_info info;
	struct stat st;
	int r = fresh_attr(fs, ino, &info);

	if (r) {
		fuse_reply_err(req, r);
		return;
	}
	fill_stat(fs, ino, &info.attr, &st);
	fuse_reply_attr(req, &st, fs->conf.stat_ttl);
	bfs_node_info_clear(&info);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct bfs_fs *fs = req_fs(req);
	struct bfs_node_info info;
	GPtrArray *entries;
	char *prefix;
	int r;

	if (!bfs_inodes_get(fs->inodes, ino, &info)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (!info.attr.is_dir) {
		bfs_node_info_clear(&info);
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	entries = bfs_inodes_get_listing(fs->inodes, ino);
	if (!entries) {
		prefix = dir_prefix(fs, info.path);
		r = bfs_dirlist_read(fs->be, prefix, &entries);
		g_free(prefix);
		if (r) {
			bfs_node_info_clear(&info);
			fuse_reply_err(req, r);
			return;
		}
		bfs_inodes_set_listing(fs->inodes, ino, g_ptr_array_ref(entries),
				       expiry(fs->conf.stat_ttl));
	}
	bfs_node_info_clear(&info);
	/* The handle holds the snapshot: a long readdir sees one listing. */
	fi->fh = (uint64_t)(uintptr_t)entries;
	fi->cache_readdir = 0;
	if (fuse_reply_open(req, fi) != 0)
		g_ptr_array_unref(entries);
}

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi, bool plus)
{
	struct bfs_fs *fs = req_fs(req);
	GPtrArray *entries = (GPtrArray *)(uintptr_t)fi->fh;
	char *buf = g_malloc(size);
	size_t used = 0;

	for (off_t i = off; i < (off_t)entries->len + 2; i++) {
		struct bfs_dirent dot = {.is_dir = true};
		const struct bfs_dirent *d = i < 2 ? &dot : g_ptr_array_index(entries, i - 2);
		const char *name = i == 0 ? "." : i == 1 ? ".." : d->name;
		struct fuse_entry_param e = {0};
		size_t n;

		if (plus) {
			if (i >= 2) {
				/* The kernel takes a lookup on every entry it is given. */
				e.ino = bfs_inodes_link(fs->inodes, ino, name, d,
							expiry(fs->conf.stat_ttl));
				e.attr_timeout = fs->conf.stat_ttl;
				e.entry_timeout = fs->conf.stat_ttl;
			}
			fill_stat(fs, e.ino, d, &e.attr);
			if (i < 2)
				e.attr.st_ino = i == 0 ? ino : BFS_ROOT_INO;
			n = fuse_add_direntry_plus(req, buf + used, size - used, name, &e, i + 1);
			if (n > size - used) {
				if (e.ino)
					bfs_inodes_forget(fs->inodes, e.ino, 1);
				break;
			}
		} else {
			struct stat st = {0};

			/* Not the real number (that comes with a lookup), but never 0,
			 * which some readers take for a deleted entry. */
			st.st_ino = (ino_t)(i + 1);
			st.st_mode = d->is_dir ? S_IFDIR : S_IFREG;
			n = fuse_add_direntry(req, buf + used, size - used, name, &st, i + 1);
			if (n > size - used)
				break;
		}
		used += n;
	}
	fuse_reply_buf(req, buf, used);
	g_free(buf);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, true);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	g_ptr_array_unref((GPtrArray *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void close_file(struct bfs_fs *fs, struct open_file *of)
{
	if (of->pin.stream && fs->rd->ops->close)
		fs->rd->ops->close(fs->rd, of->pin.stream);
	g_free(of->pin.key);
	g_free(of->pin.etag);
	g_free(of);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct bfs_fs *fs = req_fs(req);
	struct bfs_node_info info;
	struct open_file *of;
	int r;

	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
		fuse_reply_err(req, EROFS);
		return;
	}
	r = fresh_attr(fs, ino, &info);
	if (r) {
		fuse_reply_err(req, r);
		return;
	}
	if (info.attr.is_dir) {
		bfs_node_info_clear(&info);
		fuse_reply_err(req, EISDIR);
		return;
	}
	of = g_new0(struct open_file, 1);
	of->pin.key = file_key(fs, info.path);
	of->pin.etag = g_strdup(info.attr.etag);
	of->pin.size = info.attr.size;
	of->pin.stream = fs->rd->ops->open ? fs->rd->ops->open(fs->rd, &of->pin) : NULL;
	fi->keep_cache = bfs_inodes_note_open(fs->inodes, ino, info.attr.etag);
	fi->fh = (uint64_t)(uintptr_t)of;
	bfs_node_info_clear(&info);
	if (fuse_reply_open(req, fi) != 0)
		close_file(fs, of);
}

static void read_done(void *ctx, int err, const struct iovec *iov, int iovcnt)
{
	fuse_req_t req = ctx;

	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_iov(req, iov, iovcnt);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct bfs_fs *fs = req_fs(req);
	struct open_file *of = (struct open_file *)(uintptr_t)fi->fh;

	if (off < 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	fs->rd->ops->read(fs->rd, &of->pin, (uint64_t)off, size, read_done, req);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	close_file(req_fs(req), (struct open_file *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs st = {0};

	/* An object store has no fixed size: report a large, empty disk. */
	st.f_bsize = BLKSIZE;
	st.f_frsize = BLKSIZE;
	st.f_blocks = 1ull << 30; /* 1 PiB in 1 MiB blocks */
	st.f_bfree = st.f_blocks;
	st.f_bavail = st.f_blocks;
	st.f_files = 1ull << 32;
	st.f_ffree = st.f_files;
	st.f_favail = st.f_files;
	st.f_namemax = BFS_NAME_MAX;
	fuse_reply_statfs(req, &st);
}

/* Every operation that would change the bucket. */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	fuse_reply_err(req, EROFS);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	fuse_reply_err(req, EROFS);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	fuse_reply_err(req, EROFS);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, EROFS);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, EROFS);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	fuse_reply_err(req, EROFS);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	fuse_reply_err(req, EROFS);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	fuse_reply_err(req, EROFS);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	fuse_reply_err(req, EROFS);
}

static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
			size_t size, int flags)
{
	fuse_reply_err(req, EROFS);
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	fuse_reply_err(req, EROFS);
}

/* Statistics are read as an extended attribute of the root: no name in the
 * bucket's namespace is taken, and any tool (getfattr) can read them. */
static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct bfs_fs *fs = req_fs(req);
	GString *text;

	if (ino != BFS_ROOT_INO || strcmp(name, BFS_STATS_XATTR) != 0 || !fs->conf.stats) {
		fuse_reply_err(req, ENODATA);
		return;
	}
	text = g_string_new(NULL);
	fs->conf.stats(fs->conf.stats_ctx, text);
	if (size == 0)
		fuse_reply_xattr(req, text->len);
	else if (size < text->len)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, text->str, text->len);
	g_string_free(text, TRUE);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct bfs_fs *fs = req_fs(req);
	static const char names[] = BFS_STATS_XATTR;
	size_t len = ino == BFS_ROOT_INO && fs->conf.stats ? sizeof(names) : 0;

	if (size == 0)
		fuse_reply_xattr(req, len);
	else if (size < len)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, names, len);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	/* 1 MiB requests: libfuse derives max_pages from max_write. */
	conn->max_write = 1u << 20;
	conn->max_readahead = 1u << 20;
	if (conn->capable & FUSE_CAP_READDIRPLUS)
		conn->want |= FUSE_CAP_READDIRPLUS;
	/* Always plus: the attributes come with the listing for free. */
	conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
}

static const struct fuse_lowlevel_ops fs_ops = {
	.init = op_init,
	.lookup = op_lookup,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.mknod = op_mknod,
	.mkdir = op_mkdir,
	.unlink = op_unlink,
	.rmdir = op_unlink,
	.symlink = op_symlink,
	.rename = op_rename,
	.link = op_link,
	.create = op_create,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.release = op_release,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.readdirplus = op_readdirplus,
	.releasedir = op_releasedir,
	.statfs = op_statfs,
	.setxattr = op_setxattr,
	.getxattr = op_getxattr,
	.listxattr = op_listxattr,
	.removexattr = op_removexattr,
};

const struct fuse_lowlevel_ops *bfs_fs_ops(void)
{
	return &fs_ops;
}

int bfs_fs_create(const struct bfs_fs_conf *conf, struct bfs_backend *be, struct bfs_reader *rd,
		  struct bfs_fs **out)
{
	struct bfs_fs *fs = g_new0(struct bfs_fs, 1);

	fs->conf = *conf;
	fs->prefix = g_strdup(conf->prefix ? conf->prefix : "");
	fs->conf.prefix = fs->prefix;
	fs->be = be;
	fs->rd = rd;
	fs->mount_time = time(NULL);
	fs->inodes = bfs_inodes_new((int64_t)fs->mount_time);
	*out = fs;
	return 0;
}

void bfs_fs_set_reader(struct bfs_fs *fs, struct bfs_reader *rd)
{
	fs->rd = rd;
}

void bfs_fs_destroy(struct bfs_fs **fsp)
{
	struct bfs_fs *fs = *fsp;

	if (!fs)
		return;
	bfs_inodes_free(fs->inodes);
	g_free(fs->prefix);
	g_free(fs);
	*fsp = NULL;
}
