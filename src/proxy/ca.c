/* ca.c — the managed MITM CA: files, checks, creation, bundle (ca.h). */
#include "proxy/ca.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "lib/buf.h"
#include "lib/fdutil.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#define CA_FILE_MAX (64 * 1024)
#define CA_BUNDLE_MAX (16 * 1024 * 1024)
#define CA_VALID_DAYS 3650

const char *const ca_env_keys[] = {
	"AIRLOCK_CA_CERTIFICATE", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE",
	"CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "GIT_SSL_CAINFO", "PIP_CERT",
	"BUNDLE_SSL_CA_CERT", "npm_config_cafile", "NPM_CONFIG_CAFILE",
	"AWS_CA_BUNDLE", "CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE",
	"GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", "HTTPLIB2_CA_CERTS",
	"NIX_SSL_CERT_FILE", NULL,
};

struct ca {
	X509 *cert;
	EVP_PKEY *key;
};

X509 *
ca_cert(const struct ca *ca)
{
	return ca->cert;
}

EVP_PKEY *
ca_key(const struct ca *ca)
{
	return ca->key;
}

void
ca_free(struct ca *ca)
{
	if (ca == NULL)
		return;
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	free(ca);
}

char *
ca_dir_for_home(const char *home)
{
	return xasprintf("%s/proxy", home);
}

static const char *
ssl_error(void)
{
	unsigned long e = ERR_get_error();

	ERR_clear_error();
	return e == 0 ? "unknown error" : ERR_reason_error_string(e);
}

/* --- checks ---------------------------------------------------------------- */

/* The key file must be ours alone (reference §8.3). */
static int
check_key_stat(const char *path, const struct stat *st, struct errbuf *err)
{
	if (S_ISLNK(st->st_mode)) {
		errbuf_add(err, "%s: managed MITM CA key must not be a symlink",
			   path);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		errbuf_add(err, "%s: managed MITM CA key must be a regular file",
			   path);
		return -1;
	}
	if ((st->st_mode & 077) != 0) {
		errbuf_add(err,
			   "%s: managed MITM CA key must not be group/world "
			   "accessible (mode=%03o; expected <= 600)",
			   path, (unsigned)(st->st_mode & 0777));
		return -1;
	}
	return 0;
}

/* --- loading ----------------------------------------------------------------- */

static char *
read_key_file(const char *path, size_t *len, struct errbuf *err)
{
	struct stat st;
	char *text = NULL;
	int fd, too_big = 0;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ELOOP)
			errbuf_add(err, "%s: managed MITM CA key must not be a "
					"symlink", path);
		else
			errbuf_add(err, "%s: %s", path, strerror(errno));
		return NULL;
	}
	/* Checked again on the open file: no window between check and use. */
	if (fstat(fd, &st) == -1 || check_key_stat(path, &st, err) == -1)
		goto out;
	text = read_fd_capped(fd, CA_FILE_MAX, len, &too_big);
	if (text == NULL)
		errbuf_add(err, "%s: %s", path,
			   too_big ? "file too large" : strerror(errno));
out:
	close(fd);
	return text;
}

static struct ca *
ca_load(const char *cert_path, const char *key_path, struct errbuf *err)
{
	struct ca *ca = xcalloc(1, sizeof(*ca));
	char *ktext = NULL, *ctext = NULL;
	size_t klen = 0, clen = 0;
	BIO *b = NULL;

	ktext = read_key_file(key_path, &klen, err);
	if (ktext == NULL)
		goto fail;
	b = BIO_new_mem_buf(ktext, (int)klen);
	ca->key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	if (ca->key == NULL) {
		errbuf_add(err, "%s: not a PEM private key: %s", key_path,
			   ssl_error());
		goto fail;
	}
	ctext = read_file_capped(cert_path, CA_FILE_MAX, &clen, err);
	if (ctext == NULL)
		goto fail;
	b = BIO_new_mem_buf(ctext, (int)clen);
	ca->cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if (ca->cert == NULL) {
		errbuf_add(err, "%s: not a PEM certificate: %s", cert_path,
			   ssl_error());
		goto fail;
	}
	if (X509_check_private_key(ca->cert, ca->key) != 1) {
		errbuf_add(err, "%s: certificate does not match key %s",
			   cert_path, key_path);
		goto fail;
	}
	goto out;
fail:
	ca_free(ca);
	ca = NULL;
out:
	if (ktext != NULL) {
		explicit_bzero(ktext, klen);
		free(ktext);
	}
	free(ctext);
	return ca;
}

/* --- creation ------------------------------------------------------------------ */

int
ca_random_serial(X509 *cert)
{
	unsigned char r[16];
	BIGNUM *bn;
	int rc = -1;

	if (RAND_bytes(r, sizeof(r)) != 1)
		return -1;
	r[0] &= 0x7f; /* positive */
	r[0] |= 0x01; /* and never zero */
	bn = BN_bin2bn(r, sizeof(r), NULL);
	if (bn != NULL &&
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL)
		rc = 0;
	BN_free(bn);
	return rc;
}

int
ca_add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int rc;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return -1;
	rc = X509_add_ext(cert, ext, -1) == 1 ? 0 : -1;
	X509_EXTENSION_free(ext);
	return rc;
}

int
ca_sign(const struct ca *ca, X509 *cert)
{
	if (X509_set_issuer_name(cert, X509_get_subject_name(ca->cert)) != 1)
		return -1;
	if (ca_add_ext(cert, ca->cert, NID_authority_key_identifier,
		    "keyid:always") == -1)
		return -1;
	return X509_sign(cert, ca->key, EVP_sha256()) > 0 ? 0 : -1;
}

static struct ca *
ca_generate(struct errbuf *err)
{
	struct ca *ca = xcalloc(1, sizeof(*ca));
	X509_NAME *name;

	ca->key = EVP_EC_gen("P-256");
	ca->cert = X509_new();
	if (ca->key == NULL || ca->cert == NULL)
		goto fail;
	name = X509_get_subject_name(ca->cert);
	if (X509_set_version(ca->cert, 2) != 1 ||
	    ca_random_serial(ca->cert) == -1 ||
	    X509_gmtime_adj(X509_getm_notBefore(ca->cert), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(ca->cert),
			    (long)CA_VALID_DAYS * 86400) == NULL ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				       (const unsigned char *)CA_COMMON_NAME,
				       -1, -1, 0) != 1 ||
	    X509_set_issuer_name(ca->cert, name) != 1 ||
	    X509_set_pubkey(ca->cert, ca->key) != 1 ||
	    ca_add_ext(ca->cert, ca->cert, NID_basic_constraints,
		    "critical,CA:TRUE") == -1 ||
	    ca_add_ext(ca->cert, ca->cert, NID_key_usage,
		    "critical,keyCertSign,cRLSign,digitalSignature") == -1 ||
	    ca_add_ext(ca->cert, ca->cert, NID_subject_key_identifier, "hash") ==
		    -1 ||
	    X509_sign(ca->cert, ca->key, EVP_sha256()) <= 0)
		goto fail;
	return ca;
fail:
	errbuf_add(err, "creating the MITM CA: %s", ssl_error());
	ca_free(ca);
	return NULL;
}

static void
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd != -1) {
		fsync(fd);
		close(fd);
	}
}

/* Creates path with p[0..n) and mode, never replacing anything: a
 * temporary sibling made with O_EXCL, fsynced, then hard-linked into
 * place (link fails when the target exists). */
static int
write_new_file(const char *dir, const char *name, const void *p, size_t n,
	       mode_t mode, struct errbuf *err)
{
	struct timespec ts;
	char *tmp, *path;
	int fd, rc = -1;

	clock_gettime(CLOCK_REALTIME, &ts);
	tmp = xasprintf("%s/.%s.tmp.%ld.%ld", dir, name, (long)getpid(),
			(long)ts.tv_nsec);
	path = xasprintf("%s/%s", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  mode);
	if (fd == -1) {
		errbuf_add(err, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) == -1 || write_all(fd, p, n) == -1 ||
	    fsync(fd) == -1) {
		errbuf_add(err, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (link(tmp, path) == -1) {
		if (errno == EEXIST)
			errbuf_add(err, "%s: refusing to overwrite existing file",
				   path);
		else
			errbuf_add(err, "%s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	unlink(tmp);
	fsync_dir(dir);
	rc = 0;
out:
	free(tmp);
	free(path);
	return rc;
}

static int
pem_of(int (*w)(BIO *, const void *), const void *obj, struct buf *out)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;
	int rc = -1;

	if (b != NULL && w(b, obj) == 1) {
		n = BIO_get_mem_data(b, &p);
		rc = buf_add(out, p, (size_t)n);
	}
	BIO_free(b);
	return rc;
}

static int
write_key_pem(BIO *b, const void *k)
{
	return PEM_write_bio_PrivateKey(b, (EVP_PKEY *)k, NULL, NULL, 0, NULL,
					NULL);
}

static int
write_cert_pem(BIO *b, const void *c)
{
	return PEM_write_bio_X509(b, (X509 *)c);
}

static struct ca *
ca_create(const char *dir, const char *key_path, struct errbuf *err)
{
	struct ca *ca = ca_generate(err);
	struct buf kp, cp;
	int ok = 0;

	if (ca == NULL)
		return NULL;
	buf_init(&kp, CA_FILE_MAX);
	buf_init(&cp, CA_FILE_MAX);
	if (pem_of(write_key_pem, ca->key, &kp) == -1 ||
	    pem_of(write_cert_pem, ca->cert, &cp) == -1) {
		errbuf_add(err, "creating the MITM CA: %s", ssl_error());
	} else if (write_new_file(dir, CA_KEY_FILE, kp.p, kp.len, 0600, err) ==
		   0) {
		/* Key first; a key without its certificate is removed. */
		if (write_new_file(dir, CA_CERT_FILE, cp.p, cp.len, 0644, err) ==
		    0)
			ok = 1;
		else
			unlink(key_path);
	}
	if (kp.p != NULL)
		explicit_bzero(kp.p, kp.len);
	buf_release(&kp);
	buf_release(&cp);
	if (!ok) {
		ca_free(ca);
		return NULL;
	}
	return ca;
}

/* mkdir -p with mode 0700: a first run may find neither $AIRLOCK_HOME nor
 * its proxy directory. Existing directories are left as they are. */
static int
make_dirs(const char *dir)
{
	char *p = xstrdup(dir), *s;
	int rc = 0;

	for (s = p + 1; rc == 0 && (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST)
			rc = -1;
		*s = '/';
	}
	if (rc == 0 && mkdir(p, 0700) == -1 && errno != EEXIST)
		rc = -1;
	free(p);
	return rc;
}

struct ca *
ca_load_or_create(const char *dir, struct errbuf *err)
{
	char *cert_path = xasprintf("%s/%s", dir, CA_CERT_FILE);
	char *key_path = xasprintf("%s/%s", dir, CA_KEY_FILE);
	struct stat cst, kst;
	bool have_cert, have_key;
	struct ca *ca = NULL;

	have_cert = lstat(cert_path, &cst) == 0;
	have_key = lstat(key_path, &kst) == 0;
	if (have_cert != have_key) {
		errbuf_add(err,
			   "%s: both managed MITM CA files must exist (%s, %s)",
			   dir, CA_CERT_FILE, CA_KEY_FILE);
	} else if (have_key) {
		if (check_key_stat(key_path, &kst, err) == 0)
			ca = ca_load(cert_path, key_path, err);
	} else if (make_dirs(dir) == -1) {
		errbuf_add(err, "%s: %s", dir, strerror(errno));
	} else if ((ca = ca_create(dir, key_path, err)) != NULL) {
		/* Said once, when it appears; -v repeats where it is. */
		log_info("mitm: created the interception CA %s", cert_path);
	}
	free(cert_path);
	free(key_path);
	return ca;
}

/* --- trust bundle ------------------------------------------------------------- */

static const char *
system_roots_file(void)
{
	const char *env = getenv(X509_get_default_cert_file_env());

	if (env != NULL && *env != '\0')
		return env;
	return X509_get_default_cert_file();
}

char *
ca_write_bundle(const struct ca *ca, const char *dir, struct errbuf *err)
{
	char *path = xasprintf("%s/%s", dir, CA_BUNDLE_FILE);
	char *roots, *old = NULL;
	size_t nroots = 0, nold = 0;
	struct buf b;
	struct stat st;
	int ok = 0;

	buf_init(&b, CA_BUNDLE_MAX);
	roots = read_file_capped(system_roots_file(), CA_BUNDLE_MAX, &nroots,
				 NULL);
	if (roots != NULL) {
		buf_add(&b, roots, nroots);
		if (nroots > 0 && roots[nroots - 1] != '\n')
			buf_addch(&b, '\n');
	}
	buf_addstr(&b, "# " CA_COMMON_NAME "\n");
	if (pem_of(write_cert_pem, ca->cert, &b) == -1) {
		errbuf_add(err, "%s: bundle too large", path);
		goto out;
	}
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		errbuf_add(err, "%s: refusing a symlink as the CA bundle", path);
		goto out;
	}
	old = read_file_capped(path, CA_BUNDLE_MAX, &nold, NULL);
	if (old != NULL && nold == b.len && memcmp(old, b.p, b.len) == 0)
		ok = 1;
	else if (write_file_atomic(path, b.p, b.len, 0644, err) == 0)
		ok = 1;
out:
	free(roots);
	free(old);
	buf_release(&b);
	if (!ok) {
		free(path);
		return NULL;
	}
	return path;
}

/* Newer (or as new) than every file it is made from, and itself a plain
 * file: then it still holds the system roots and the CA as they are. */
static bool
bundle_fresh(const char *bundle, const char *cert, const char *key,
	     struct errbuf *err)
{
	struct stat b, c, k, r;

	if (lstat(bundle, &b) == -1 || !S_ISREG(b.st_mode) ||
	    stat(cert, &c) == -1 || lstat(key, &k) == -1)
		return false;
	if (check_key_stat(key, &k, err) == -1)
		return false;
	if (stat(system_roots_file(), &r) == 0 && r.st_mtime > b.st_mtime)
		return false;
	return c.st_mtime <= b.st_mtime && k.st_mtime <= b.st_mtime;
}

char *
ca_bundle_fast(const char *dir, struct errbuf *err)
{
	char *bundle = xasprintf("%s/%s", dir, CA_BUNDLE_FILE);
	char *cert = xasprintf("%s/%s", dir, CA_CERT_FILE);
	char *key = xasprintf("%s/%s", dir, CA_KEY_FILE);
	bool fresh = bundle_fresh(bundle, cert, key, err);

	free(cert);
	free(key);
	if (!fresh) {
		free(bundle);
		return NULL;
	}
	return bundle;
}
