/* ca.h — the managed MITM certificate authority (reference §8.3, §8.4;
 * DESIGN §5).
 *
 * Files, all under one directory ($AIRLOCK_HOME/proxy):
 *   ca.pem         the CA certificate (0644)
 *   ca.key         its EC P-256 private key (0600)
 *   ca-bundle.pem  system roots + ca.pem, for sandboxed clients (0644)
 *
 * Invariants. The CA is created on first use, atomically (temporary file
 * created with O_EXCL and the final mode, fsync, hard link into place,
 * fsync of the directory) and is never overwritten: creating over an
 * existing file fails with "refusing to overwrite existing file". When
 * either file exists both must; the key must not be a symlink, must be a
 * regular file, and must have no group or other permission bits. These
 * refusals are errors, never repaired silently.
 *
 * Ownership. struct ca owns its certificate and key; ca_cert() and
 * ca_key() lend them for the life of the ca. Nothing here logs; problems go
 * to the errbuf as `path: problem`. */
#ifndef AIRLOCK_CA_H
#define AIRLOCK_CA_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "lib/errbuf.h"

#define CA_CERT_FILE "ca.pem"
#define CA_KEY_FILE "ca.key"
#define CA_BUNDLE_FILE "ca-bundle.pem"
#define CA_COMMON_NAME "airlock MITM CA"

/* The variables that point sandboxed clients at the trust bundle, NULL-
 * terminated: the ten of reference §8.4 (AIRLOCK_CA_CERTIFICATE for
 * CODEX_CA_CERTIFICATE), then [ours] five more that common tools read
 * (AWS CLI, gcloud, gRPC, httplib2, Nix), so none of them is left pointing
 * at a bundle without our CA. */
extern const char *const ca_env_keys[];

struct ca;

/* Loads the CA from dir, or creates dir (0700) and a new CA in it when
 * neither file exists. NULL with the reason in err. */
struct ca *ca_load_or_create(const char *dir, struct errbuf *err);
void ca_free(struct ca *ca);

X509 *ca_cert(const struct ca *ca);
EVP_PKEY *ca_key(const struct ca *ca);

/* `<home>/proxy`: the directory of the CA for an AIRLOCK_HOME (heap). */
char *ca_dir_for_home(const char *home);

/* Writes dir/ca-bundle.pem: the system trust store (the file OpenSSL
 * would load by default, SSL_CERT_FILE honoured) followed by the CA,
 * unless a file with exactly that content is already there. A symlink in
 * its place is refused. Returns the path (heap) or NULL with err. */
char *ca_write_bundle(const struct ca *ca, const char *dir,
		      struct errbuf *err);

/* The bundle path when dir's bundle is at least as new as the CA files
 * and the system trust store and the key passes its checks — so nothing
 * needs loading or writing (a sandbox start-up fast path). NULL when any
 * of that does not hold (a key refusal is added to err). */
char *ca_bundle_fast(const char *dir, struct errbuf *err);

/* Signs cert with the CA (SHA-256) after setting its issuer. 0 or -1. */
int ca_sign(const struct ca *ca, X509 *cert);

/* A fresh random positive 128-bit serial for cert; 0 or -1. */
int ca_random_serial(X509 *cert);
/* Adds the X.509v3 extension nid = value (config syntax) to cert, issued
 * by issuer (cert itself when self-signed). 0 or -1. */
int ca_add_ext(X509 *cert, X509 *issuer, int nid, const char *value);

#endif
