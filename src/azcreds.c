// SPDX-License-Identifier: MIT
/*
 * Azure credential resolution (order in azure.h).  Reads files and the
 * environment once, at mount time.  Secrets are wiped before their memory
 * is freed and never appear in messages.
 */
#include "bucketfs/azure.h"

#include "bucketfs/creds.h"

#include <errno.h>
#include <glib.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Azurite's well-known development account (public, documented). */
#define DEV_ACCOUNT "devstoreaccount1"
#define DEV_KEY                                                                                    \
	"Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

void bfs_azure_creds_clear(struct bfs_azure_creds *c)
{
	if (c->key)
		OPENSSL_cleanse(c->key, c->key_len);
	g_free(c->key);
	bfs_secret_free(c->sas);
	bfs_secret_free(c->token);
	g_free(c->token_file);
	g_free(c->account);
	g_free(c->endpoint);
	g_free(c->source);
	memset(c, 0, sizeof(*c));
}

static const char *env_nonempty(const char *name)
{
	const char *v = g_getenv(name);

	return v && *v ? v : NULL;
}

/* A file holding one secret: private, non-empty; its contents stripped. */
static int read_secret_file(const char *what, const char *path, char **out, char *msg,
			    size_t msglen)
{
	struct stat st;
	char *text = NULL;

	if (stat(path, &st) != 0) {
		snprintf(msg, msglen, "%s %s: %s", what, path, g_strerror(errno));
		return ENOENT;
	}
	if (st.st_mode & 077) {
		snprintf(msg, msglen,
			 "%s %s is readable by group or others (mode %04o); run: chmod 600 %s",
			 what, path, (unsigned)(st.st_mode & 07777), path);
		return EPERM;
	}
	if (!g_file_get_contents(path, &text, NULL, NULL)) {
		snprintf(msg, msglen, "%s %s cannot be read", what, path);
		return EACCES;
	}
	g_strstrip(text);
	if (!*text) {
		snprintf(msg, msglen, "%s %s is empty", what, path);
		g_free(text);
		return EINVAL;
	}
	*out = text;
	return 0;
}

static int set_key(struct bfs_azure_creds *out, const char *b64, const char *from, char *msg,
		   size_t msglen)
{
	gsize n = 0;
	guchar *key;

	/* g_base64_decode() skips junk silently: check the alphabet first. */
	for (const char *p = b64; *p; p++) {
		if (!g_ascii_isalnum(*p) && *p != '+' && *p != '/' && *p != '=') {
			snprintf(msg, msglen, "the account key from %s is not valid base64", from);
			return EINVAL;
		}
	}
	key = g_base64_decode(b64, &n);
	if (n < 16) {
		snprintf(msg, msglen, "the account key from %s is not valid base64", from);
		if (key)
			OPENSSL_cleanse(key, n);
		g_free(key);
		return EINVAL;
	}
	out->auth = BFS_AZ_SHARED_KEY;
	out->key = key;
	out->key_len = n;
	return 0;
}

static void set_sas(struct bfs_azure_creds *out, const char *sas)
{
	out->auth = BFS_AZ_SAS;
	out->sas = g_strdup(sas[0] == '?' ? sas + 1 : sas);
}

/* AZURE_STORAGE_CONNECTION_STRING: "Name=value;..." (values may hold '='). */
static int from_connection_string(const struct bfs_azure_creds_conf *conf, const char *cs,
				  struct bfs_azure_creds *out, char *msg, size_t msglen)
{
	char **parts = g_strsplit(cs, ";", -1);
	char *account = NULL, *key = NULL, *endpoint = NULL, *sas = NULL, *suffix = NULL;
	char *proto = NULL;
	bool dev = false;
	int r = 0;

	for (char **p = parts; *p; p++) {
		char *eq = strchr(*p, '=');
		char **slot = NULL;

		if (!eq)
			continue;
		*eq = '\0';
		g_strstrip(*p);
		if (!g_ascii_strcasecmp(*p, "AccountName"))
			slot = &account;
		else if (!g_ascii_strcasecmp(*p, "AccountKey"))
			slot = &key;
		else if (!g_ascii_strcasecmp(*p, "BlobEndpoint"))
			slot = &endpoint;
		else if (!g_ascii_strcasecmp(*p, "SharedAccessSignature"))
			slot = &sas;
		else if (!g_ascii_strcasecmp(*p, "EndpointSuffix"))
			slot = &suffix;
		else if (!g_ascii_strcasecmp(*p, "DefaultEndpointsProtocol"))
			slot = &proto;
		else if (!g_ascii_strcasecmp(*p, "UseDevelopmentStorage"))
			dev = !g_ascii_strcasecmp(eq + 1, "true");
		if (slot) {
			g_free(*slot);
			*slot = g_strdup(g_strstrip(eq + 1));
		}
	}
	if (dev) {
		if (!account)
			account = g_strdup(DEV_ACCOUNT);
		if (!key && !sas)
			key = g_strdup(DEV_KEY);
		if (!endpoint)
			endpoint = g_strdup("http://127.0.0.1:10000/" DEV_ACCOUNT);
	}
	if (account && conf->account && strcmp(account, conf->account) != 0) {
		snprintf(msg, msglen,
			 "AZURE_STORAGE_CONNECTION_STRING is for account '%s', not '%s'", account,
			 conf->account);
		r = EINVAL;
		goto out;
	}
	if (key)
		r = set_key(out, key, "AZURE_STORAGE_CONNECTION_STRING", msg, msglen);
	else if (sas)
		set_sas(out, sas);
	else {
		snprintf(msg, msglen,
			 "AZURE_STORAGE_CONNECTION_STRING has neither AccountKey nor "
			 "SharedAccessSignature");
		r = EINVAL;
	}
	if (r)
		goto out;
	if (endpoint)
		out->endpoint = g_strdup(endpoint);
	else if (suffix)
		out->endpoint = g_strdup_printf("%s://%s.blob.%s", proto ? proto : "https",
						conf->account, suffix);
	out->source = g_strdup("AZURE_STORAGE_CONNECTION_STRING");
out:
	for (char **p = parts; *p; p++)
		OPENSSL_cleanse(*p, strlen(*p));
	g_strfreev(parts);
	bfs_secret_free(key);
	bfs_secret_free(sas);
	g_free(account);
	g_free(endpoint);
	g_free(suffix);
	g_free(proto);
	return r;
}

static int resolve(const struct bfs_azure_creds_conf *conf, struct bfs_azure_creds *out, char *msg,
		   size_t msglen)
{
	const char *v, *acct;
	char *text = NULL;
	int r;

	if (conf->anonymous) {
		out->auth = BFS_AZ_ANONYMOUS;
		out->source = g_strdup("anonymous");
		return 0;
	}
	if (conf->sas_file) {
		r = read_secret_file("sas_file", conf->sas_file, &text, msg, msglen);
		if (r)
			return r;
		set_sas(out, text);
		bfs_secret_free(text);
		out->source = g_strdup_printf("sas_file %s", conf->sas_file);
		return 0;
	}
	if (conf->token_file) {
		r = read_secret_file("token_file", conf->token_file, &text, msg, msglen);
		if (r)
			return r;
		out->auth = BFS_AZ_BEARER;
		out->token = text;
		out->token_file = g_strdup(conf->token_file);
		out->source = g_strdup_printf("token_file %s", conf->token_file);
		return 0;
	}
	if (conf->account_key) {
		r = set_key(out, conf->account_key, "the config file", msg, msglen);
		if (!r)
			out->source = g_strdup("config file");
		return r;
	}
	if (conf->sas_token) {
		set_sas(out, conf->sas_token);
		out->source = g_strdup("config file");
		return 0;
	}
	v = env_nonempty("AZURE_STORAGE_CONNECTION_STRING");
	if (v)
		return from_connection_string(conf, v, out, msg, msglen);
	acct = env_nonempty("AZURE_STORAGE_ACCOUNT");
	v = env_nonempty("AZURE_STORAGE_KEY");
	if (v) {
		if (acct && conf->account && strcmp(acct, conf->account) != 0) {
			snprintf(msg, msglen,
				 "AZURE_STORAGE_KEY is for account '%s' (AZURE_STORAGE_ACCOUNT), "
				 "not '%s'",
				 acct, conf->account);
			return EINVAL;
		}
		r = set_key(out, v, "AZURE_STORAGE_KEY", msg, msglen);
		if (!r)
			out->source = g_strdup("AZURE_STORAGE_KEY");
		return r;
	}
	v = env_nonempty("AZURE_STORAGE_SAS_TOKEN");
	if (v) {
		set_sas(out, v);
		out->source = g_strdup("AZURE_STORAGE_SAS_TOKEN");
		return 0;
	}
	v = env_nonempty("AZURE_STORAGE_TOKEN");
	if (v) {
		out->auth = BFS_AZ_BEARER;
		out->token = g_strdup(v);
		out->source = g_strdup("AZURE_STORAGE_TOKEN");
		return 0;
	}
	snprintf(msg, msglen,
		 "no Azure credentials found: set AZURE_STORAGE_KEY (or "
		 "AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_SAS_TOKEN, AZURE_STORAGE_TOKEN), "
		 "or use -o sas_file=FILE, -o token_file=FILE, or -o anonymous for a public "
		 "container");
	return ENOKEY;
}

int bfs_azure_creds_resolve(const struct bfs_azure_creds_conf *conf, struct bfs_azure_creds *out,
			    char *msg, size_t msglen)
{
	int r;

	memset(out, 0, sizeof(*out));
	r = resolve(conf, out, msg, msglen);
	if (r) {
		bfs_azure_creds_clear(out);
		return r;
	}
	out->account = g_strdup(conf->account);
	return 0;
}
