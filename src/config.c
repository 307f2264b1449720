// SPDX-License-Identifier: MIT
/*
 * Configuration files: read each once, check it, and flatten the sections
 * that apply into an ordered list of option entries.
 */
#include "bucketfs/config.h"

#include "bucketfs/log.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Secrets: never on the command line (ps shows it), only in a private file. */
static const char *const secret_keys[] = {
	"access_key_id", "secret_access_key", "session_token", "account_key", "sas_token",
};

bool bfs_config_is_secret(const char *key)
{
	for (size_t i = 0; i < G_N_ELEMENTS(secret_keys); i++)
		if (strcmp(key, secret_keys[i]) == 0)
			return true;
	return false;
}

char *bfs_config_user_path(void)
{
	return g_build_filename(g_get_user_config_dir(), "bucketfs", "config", NULL);
}

static void entry_free(gpointer p)
{
	struct bfs_config_entry *e = p;

	if (e->value && bfs_config_is_secret(e->key))
		OPENSSL_cleanse(e->value, strlen(e->value));
	g_free(e->key);
	g_free(e->value);
	g_free(e->origin);
	g_free(e);
}

void bfs_config_free(GPtrArray *entries)
{
	if (entries)
		g_ptr_array_free(entries, TRUE);
}

/* The whole file, with its mode from the same open file. */
static int read_file(const char *path, char **text, mode_t *mode)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	GString *s;
	char buf[4096];
	ssize_t n;

	if (fd < 0)
		return errno;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		int e = S_ISREG(st.st_mode) ? errno : EINVAL;

		close(fd);
		return e;
	}
	if (st.st_size > (1 << 20)) {
		close(fd);
		return EFBIG;
	}
	s = g_string_new(NULL);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		g_string_append_len(s, buf, n);
	close(fd);
	if (n < 0) {
		int e = errno;

		g_string_free(s, TRUE);
		return e;
	}
	*mode = st.st_mode;
	*text = g_string_free(s, FALSE);
	return 0;
}

/* The first secret in any section of @kf, or NULL. */
static const char *find_secret(GKeyFile *kf, char **where)
{
	gchar **groups = g_key_file_get_groups(kf, NULL);
	const char *found = NULL;

	for (gchar **g = groups; *g && !found; g++) {
		gchar **keys = g_key_file_get_keys(kf, *g, NULL, NULL);

		for (gchar **k = keys; k && *k && !found; k++) {
			for (size_t i = 0; i < G_N_ELEMENTS(secret_keys); i++) {
				if (strcmp(*k, secret_keys[i]) == 0) {
					found = secret_keys[i];
					*where = g_strdup(*g);
				}
			}
		}
		g_strfreev(keys);
	}
	g_strfreev(groups);
	return found;
}

static int load_one(const struct bfs_config_file *f, const char *const *sections,
		    GPtrArray *entries, char *msg, size_t msglen)
{
	GKeyFile *kf = NULL;
	GError *err = NULL;
	char *text = NULL, *where = NULL;
	const char *secret;
	mode_t mode = 0;
	int r = read_file(f->path, &text, &mode);

	if (r == ENOENT && !f->required)
		return 0;
	if (r == EACCES && !f->required) {
		bfs_log(BFS_LOG_WARN, "config file %s is not readable: skipped", f->path);
		return 0;
	}
	if (r) {
		snprintf(msg, msglen, "config file %s: %s", f->path,
			 r == EFBIG ? "larger than 1 MiB" : g_strerror(r));
		return r == EFBIG ? EINVAL : r;
	}
	kf = g_key_file_new();
	if (!g_key_file_load_from_data(kf, text, (gsize)-1, G_KEY_FILE_NONE, &err)) {
		snprintf(msg, msglen, "config file %s: %s", f->path, err->message);
		r = EINVAL;
		goto out;
	}
	secret = find_secret(kf, &where);
	if (secret && (mode & 077)) {
		snprintf(msg, msglen,
			 "config file %s holds a secret (%s in [%s]) but its mode is %04o: "
			 "run chmod 600 %s",
			 f->path, secret, where, (unsigned)(mode & 07777), f->path);
		r = EPERM;
		goto out;
	}
	for (const char *const *sec = sections; *sec; sec++) {
		gchar **keys = g_key_file_get_keys(kf, *sec, NULL, NULL);

		for (gchar **k = keys; k && *k; k++) {
			struct bfs_config_entry *e = g_new0(struct bfs_config_entry, 1);

			e->key = g_strdup(*k);
			e->value = g_key_file_get_string(kf, *sec, *k, &err);
			e->origin = g_strdup_printf("%s [%s]", f->path, *sec);
			g_ptr_array_add(entries, e);
			if (!e->value) {
				snprintf(msg, msglen, "config file %s: %s", e->origin,
					 err->message);
				r = EINVAL;
				break;
			}
		}
		g_strfreev(keys);
		if (r)
			break;
	}
out:
	if (err)
		g_error_free(err);
	g_free(where);
	if (text) {
		OPENSSL_cleanse(text, strlen(text));
		g_free(text);
	}
	g_key_file_free(kf);
	return r;
}

int bfs_config_load(const struct bfs_config_file *files, size_t n_files,
		    const char *const *sections, GPtrArray **entries, char *msg, size_t msglen)
{
	GPtrArray *all = g_ptr_array_new_with_free_func(entry_free);

	for (size_t i = 0; i < n_files; i++) {
		int r = load_one(&files[i], sections, all, msg, msglen);

		if (r) {
			g_ptr_array_free(all, TRUE);
			*entries = NULL;
			return r;
		}
	}
	*entries = all;
	return 0;
}
