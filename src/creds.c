// SPDX-License-Identifier: MIT
/*
 * Credential and region resolution.  Reads files and the environment once,
 * at mount time, before any thread starts.  Secrets are wiped before their
 * memory is freed and never appear in messages.
 */
#include "bucketfs/creds.h"

#include <errno.h>
#include <glib.h>
#include <openssl/crypto.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void bfs_secret_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		g_free(s);
	}
}

void bfs_creds_clear(struct bfs_creds *c)
{
	bfs_secret_free(c->access_key);
	bfs_secret_free(c->secret_key);
	bfs_secret_free(c->session_token);
	g_free(c->source);
	memset(c, 0, sizeof(*c));
}

static const char *home_dir(void)
{
	const char *h = g_getenv("HOME");
	struct passwd *pw;

	if (h && *h)
		return h;
	pw = getpwuid(getuid());
	return pw ? pw->pw_dir : "/";
}

static char *aws_file(const char *env, const char *name)
{
	const char *f = g_getenv(env);

	if (f && *f)
		return g_strdup(f);
	return g_build_filename(home_dir(), ".aws", name, NULL);
}

/*
 * A tolerant reader of AWS's INI files: "[section]", "key = value", comments
 * starting with '#' or ';', and indented sub-settings (skipped).  GKeyFile
 * rejects the latter, which real files contain.  Returns the value of @key in
 * @section, or NULL.
 */
static char *ini_lookup(const char *path, const char *section, const char *key)
{
	char *text = NULL, *result = NULL, **lines;
	bool in_section = false;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return NULL;
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l && !result; l++) {
		char *line = *l, *eq;

		if (line[0] == ' ' || line[0] == '\t')
			continue; /* nested setting */
		g_strstrip(line);
		if (!line[0] || line[0] == '#' || line[0] == ';')
			continue;
		if (line[0] == '[') {
			char *end = strchr(line, ']');

			if (end) {
				*end = '\0';
				in_section = strcmp(g_strstrip(line + 1), section) == 0;
			}
			continue;
		}
		eq = strchr(line, '=');
		if (!in_section || !eq)
			continue;
		*eq = '\0';
		if (strcmp(g_strstrip(line), key) == 0)
			result = g_strdup(g_strstrip(eq + 1));
	}
	OPENSSL_cleanse(text, strlen(text));
	g_free(text);
	for (char **l = lines; *l; l++)
		OPENSSL_cleanse(*l, strlen(*l));
	g_strfreev(lines);
	if (result && !*result) {
		g_free(result);
		result = NULL;
	}
	return result;
}

/* A profile's setting: the credentials file's [NAME], then the config file's
 * [profile NAME] ([default] for the default profile). */
static char *profile_value(const char *profile, const char *key, bool credentials_too)
{
	char *cred = aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials");
	char *conf = aws_file("AWS_CONFIG_FILE", "config");
	char *section = strcmp(profile, "default") == 0 ? g_strdup("default")
							: g_strdup_printf("profile %s", profile);
	char *v = credentials_too ? ini_lookup(cred, profile, key) : NULL;

	if (!v)
		v = ini_lookup(conf, section, key);
	g_free(cred);
	g_free(conf);
	g_free(section);
	return v;
}

static const char *env_nonempty(const char *name)
{
	const char *v = g_getenv(name);

	return v && *v ? v : NULL;
}

static int from_profile(const char *profile, struct bfs_creds *out, bool must_exist, char *msg,
			size_t msglen)
{
	char *ak = profile_value(profile, "aws_access_key_id", true);
	char *sk = profile_value(profile, "aws_secret_access_key", true);

	if (!ak || !sk) {
		bfs_secret_free(ak);
		bfs_secret_free(sk);
		if (must_exist || ak || sk) {
			snprintf(msg, msglen,
				 "profile '%s' has no aws_access_key_id and aws_secret_access_key "
				 "in the AWS credentials or config file",
				 profile);
			return ak || sk ? EINVAL : ENOENT;
		}
		return ENOKEY;
	}
	out->access_key = ak;
	out->secret_key = sk;
	out->session_token = profile_value(profile, "aws_session_token", true);
	out->source = g_strdup_printf("profile %s", profile);
	return 0;
}

static int from_passwd_file(const char *path, const char *bucket, struct bfs_creds *out, char *msg,
			    size_t msglen)
{
	char *text = NULL, **lines = NULL;
	char *ak = NULL, *sk = NULL;
	struct stat st;
	int r = 0;

	if (stat(path, &st) != 0) {
		snprintf(msg, msglen, "passwd_file %s: %s", path, g_strerror(errno));
		return ENOENT;
	}
	if (st.st_mode & 077) {
		snprintf(msg, msglen,
			 "passwd_file %s is readable by group or others (mode %04o); run: chmod "
			 "600 %s",
			 path, (unsigned)(st.st_mode & 07777), path);
		return EPERM;
	}
	if (!g_file_get_contents(path, &text, NULL, NULL)) {
		snprintf(msg, msglen, "passwd_file %s cannot be read", path);
		return EACCES;
	}
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++) {
		char *line = g_strstrip(*l), **f;
		guint n;

		if (!line[0] || line[0] == '#')
			continue;
		f = g_strsplit(line, ":", 3);
		n = g_strv_length(f);
		if (n == 2 && !ak) {
			ak = g_strdup(f[0]);
			sk = g_strdup(f[1]);
		} else if (n == 3 && bucket && strcmp(f[0], bucket) == 0) {
			bfs_secret_free(ak);
			bfs_secret_free(sk);
			ak = g_strdup(f[1]);
			sk = g_strdup(f[2]);
			for (char **p = f; *p; p++)
				OPENSSL_cleanse(*p, strlen(*p));
			g_strfreev(f);
			break;
		}
		for (char **p = f; *p; p++)
			OPENSSL_cleanse(*p, strlen(*p));
		g_strfreev(f);
	}
	if (!ak || !*ak || !sk || !*sk) {
		snprintf(
			msg, msglen,
			"passwd_file %s has no ACCESS_KEY:SECRET_KEY line (or BUCKET:ACCESS:SECRET "
			"for this bucket)",
			path);
		r = EINVAL;
		bfs_secret_free(ak);
		bfs_secret_free(sk);
		goto out;
	}
	out->access_key = ak;
	out->secret_key = sk;
	out->source = g_strdup_printf("passwd_file %s", path);
out:
	for (char **l = lines; l && *l; l++)
		OPENSSL_cleanse(*l, strlen(*l));
	g_strfreev(lines);
	if (text) {
		OPENSSL_cleanse(text, strlen(text));
		g_free(text);
	}
	return r;
}

int bfs_creds_resolve(const struct bfs_creds_conf *conf, struct bfs_creds *out, char *msg,
		      size_t msglen)
{
	const char *ak, *sk, *profile;
	int r;

	memset(out, 0, sizeof(*out));
	if (conf->anonymous) {
		out->anonymous = true;
		out->source = g_strdup("anonymous");
		return 0;
	}
	if (conf->passwd_file)
		return from_passwd_file(conf->passwd_file, conf->bucket, out, msg, msglen);
	if (conf->profile)
		return from_profile(conf->profile, out, true, msg, msglen);
	if (conf->access_key_id || conf->secret_access_key) {
		if (!conf->access_key_id || !conf->secret_access_key) {
			snprintf(msg, msglen, "the config file sets %s but not %s",
				 conf->access_key_id ? "access_key_id" : "secret_access_key",
				 conf->access_key_id ? "secret_access_key" : "access_key_id");
			return EINVAL;
		}
		out->access_key = g_strdup(conf->access_key_id);
		out->secret_key = g_strdup(conf->secret_access_key);
		out->session_token = g_strdup(conf->session_token);
		out->source = g_strdup("config file");
		return 0;
	}

	ak = env_nonempty("AWS_ACCESS_KEY_ID");
	sk = env_nonempty("AWS_SECRET_ACCESS_KEY");
	if (ak && sk) {
		const char *tok = env_nonempty("AWS_SESSION_TOKEN");

		out->access_key = g_strdup(ak);
		out->secret_key = g_strdup(sk);
		out->session_token = g_strdup(tok);
		out->source = g_strdup("environment");
		return 0;
	}
	if (ak || sk) {
		snprintf(msg, msglen, "%s is set but %s is not",
			 ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
			 ak ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
		return EINVAL;
	}
	profile = env_nonempty("AWS_PROFILE");
	r = from_profile(profile ? profile : "default", out, profile != NULL, msg, msglen);
	if (r != ENOKEY)
		return r;
	snprintf(msg, msglen,
		 "no credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or use "
		 "-o profile=NAME, -o passwd_file=FILE, or -o anonymous for a public bucket");
	return ENOKEY;
}

char *bfs_region_resolve(const struct bfs_creds_conf *conf)
{
	const char *r, *profile;
	char *v;

	if (conf->region && *conf->region)
		return g_strdup(conf->region);
	r = env_nonempty("AWS_REGION");
	if (!r)
		r = env_nonempty("AWS_DEFAULT_REGION");
	if (r)
		return g_strdup(r);
	profile = conf->profile ? conf->profile : env_nonempty("AWS_PROFILE");
	v = profile_value(profile ? profile : "default", "region", false);
	return v ? v : g_strdup("us-east-1");
}
