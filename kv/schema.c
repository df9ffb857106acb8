/*
 * kv/schema.c - schemas: keeping their versions in the store, the
 * per-handle cache of current versions that writes consult, define, get,
 * list, and kv_schema_check over existing records.  Documents are parsed
 * in schema_doc.c.
 *
 * Layout in KV__NS_META:
 *   schema/<name>/<version as 10 digits>   normalised compact JSON document
 *   schemas/gen                            decimal counter, bumped by every
 *                                          define (from any process)
 * Zero-padded versions sort by number, so the last key under
 * "schema/<name>/" is the current version.  A name holds no '/', so the
 * keys under "schema/<name>/" belong to that name only.
 *
 * A document is stored normalised: keys in a fixed order (name, version,
 * prefix, allow_unknown, fields; a field's type, required, readonly,
 * deprecated, default), fields sorted by name, flags that are false left
 * out, so that two equal schemas have the same bytes.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemas.h"

#define NAME_MAX_BYTES 200
#define KEY_PREFIX "schema/"
#define KEY_PREFIX_LEN 7
#define GEN_KEY "schemas/gen"
#define GEN_KEY_LEN 11
#define VERSION_DIGITS 10
#define KEY_SIZE (KEY_PREFIX_LEN + NAME_MAX_BYTES + 1 + VERSION_DIGITS + 1)
#define MSG_SIZE 512

/* A growable array of parsed schemas, each OWNED. */
struct schema_set {
	kv__schema **v;
	size_t n, cap;
};

struct kv__schema_cache {
	unsigned long long gen;   /* "schemas/gen" when the set was loaded */
	struct schema_set set;    /* current version of every schema */
};

static kv_status no_memory(void)
{
	return kv__error(KV_ENOMEM, "out of memory");
}

/* ---- sets of schemas --------------------------------------------------- */

static void set_free(struct schema_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		kv__schema_free(set->v[i]);
	free(set->v);
	set->v = NULL;
	set->n = set->cap = 0;
}

/* Add s to set, which takes it over (it is freed on failure too). */
static kv_status set_add(struct schema_set *set, kv__schema *s)
{
	kv__schema **v;
	size_t cap;

	if (set->n == set->cap) {
		cap = set->cap ? 2 * set->cap : 8;
		v = realloc(set->v, cap * sizeof *v);
		if (!v) {
			kv__schema_free(s);
			return no_memory();
		}
		set->v = v;
		set->cap = cap;
	}
	set->v[set->n++] = s;
	return KV_OK;
}

/* The schema of set with this name (and version, unless 0), or NULL. */
static kv__schema *set_find(const struct schema_set *set, const char *name,
                            unsigned int version)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (!strcmp(set->v[i]->name, name) &&
		    (!version || set->v[i]->version == version))
			return set->v[i];
	return NULL;
}

/* The schema of set with the longest prefix that key starts with. */
static const kv__schema *set_govern(const struct schema_set *set,
                                    const void *key, size_t len)
{
	const kv__schema *best = NULL, *s;
	size_t i;

	for (i = 0; i < set->n; i++) {
		s = set->v[i];
		if (s->prefix_len <= len && !memcmp(key, s->prefix, s->prefix_len) &&
		    (!best || s->prefix_len > best->prefix_len))
			best = s;
	}
	return best;
}

static int schema_cmp(const void *a, const void *b)
{
	return strcmp((*(kv__schema *const *)a)->name,
	              (*(kv__schema *const *)b)->name);
}

/* ---- storage ----------------------------------------------------------- */

/* The META key of one version of name, or of all its versions when
 * version is 0 ("schema/<name>/"); its length, 0 when name is too long to
 * be a schema's. */
static size_t meta_key(char buf[KEY_SIZE], const char *name,
                       unsigned int version)
{
	if (strlen(name) > NAME_MAX_BYTES)
		return 0;
	if (!version)
		return (size_t)snprintf(buf, KEY_SIZE, KEY_PREFIX "%s/", name);
	return (size_t)snprintf(buf, KEY_SIZE, KEY_PREFIX "%s/%0*u", name,
	                        VERSION_DIGITS, version);
}

/* The version a key's last part (len bytes) names, 0 if malformed. */
static unsigned int key_version(const char *p, size_t len)
{
	unsigned long v = 0;
	size_t i;

	if (len != VERSION_DIGITS)
		return 0;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v <= UINT_MAX ? (unsigned int)v : 0;
}

static kv_status not_found(const char *name, unsigned int version)
{
	char shown[KV__SHOW_SIZE];

	if (!version)
		return kv__error(KV_NOTFOUND, "no schema named '%s'",
		                 kv__show_str(shown, name));
	return kv__error(KV_NOTFOUND, "schema '%s' has no version %u",
	                 kv__show_str(shown, name), version);
}

/* The highest stored version of name. */
static kv_status current_version(unsigned int *out, kv_txn *txn,
                                 const char *name)
{
	const kv__backend *be = txn->db->be;
	char pfx[KEY_SIZE];
	size_t plen = meta_key(pfx, name, 0), klen;
	unsigned int best = 0, v;
	const void *k;
	kv__bcur *cur;
	kv__bval bv;
	kv_status rc;

	if (!plen)
		return not_found(name, 0);
	if ((rc = be->cursor_open(&cur, txn->bt, KV__NS_META, pfx, plen)))
		return kv__wrap(rc, "read schemas of %s", txn->db->path);
	while ((rc = be->cursor_next(cur, &k, &klen, &bv)) == KV_OK) {
		if (klen < plen || memcmp(k, pfx, plen))
			break;
		if ((v = key_version((const char *)k + plen, klen - plen)))
			best = v;
	}
	be->cursor_close(cur);
	if (rc && rc != KV_NOTFOUND)
		return kv__wrap(rc, "read schemas of %s", txn->db->path);
	if (!best)
		return not_found(name, 0);
	*out = best;
	return KV_OK;
}

/* The stored text of name's version (0: current); BORROWED, as a get. */
static kv_status get_doc(kv__bval *out, unsigned int *out_version,
                         kv_txn *txn, const char *name, unsigned int version)
{
	char key[KEY_SIZE];
	size_t klen;
	kv_status rc;

	if (!version && (rc = current_version(&version, txn, name)))
		return rc;
	if (!(klen = meta_key(key, name, version)))
		return not_found(name, version);
	rc = txn->db->be->get(out, txn->bt, KV__NS_META, key, klen);
	if (rc == KV_NOTFOUND)
		return not_found(name, version);
	if (rc)
		return kv__wrap(rc, "read schema '%s' from %s", key,
		                txn->db->path);
	*out_version = version;
	return KV_OK;
}

kv_status kv__schema_load(kv__schema **out, kv_txn *txn, const char *name,
                          unsigned int version)
{
	char msg[MSG_SIZE], shown[KV__SHOW_SIZE];
	kv__schema *s = NULL;
	json_t *doc;
	kv__bval bv;
	kv_status rc;

	if ((rc = get_doc(&bv, &version, txn, name, version)))
		return rc;
	kv__show_str(shown, name);
	if (kv__json_parse_object(&doc, bv.val, bv.val_len, msg, sizeof msg))
		return kv__error(KV_ECORRUPT, "%s: stored schema '%s' version "
		                 "%u is damaged: %s", txn->db->path, shown,
		                 version, msg);
	rc = kv__schema_parse(&s, doc);
	json_decref(doc);
	if (rc == KV_ESCHEMA)
		return kv__wrap(KV_ECORRUPT, "%s: stored schema '%s' version %u "
		                "is damaged", txn->db->path, shown, version);
	if (rc)
		return rc;
	if (strcmp(s->name, name) || s->version != version) {
		kv__schema_free(s);
		return kv__error(KV_ECORRUPT, "%s: stored schema '%s' version "
		                 "%u is damaged: it holds another schema",
		                 txn->db->path, shown, version);
	}
	*out = s;
	return KV_OK;
}

/* Append the name of every stored schema to names (OWNED strings). */
static kv_status list_names(char ***out, size_t *out_n, kv_txn *txn)
{
	const kv__backend *be = txn->db->be;
	char **names = NULL, **grown, *name;
	size_t n = 0, klen, len;
	const char *k, *slash;
	const void *kp;
	kv__bcur *cur;
	kv__bval bv;
	kv_status rc;

	if ((rc = be->cursor_open(&cur, txn->bt, KV__NS_META, KEY_PREFIX,
	                          KEY_PREFIX_LEN)))
		return kv__wrap(rc, "read schemas of %s", txn->db->path);
	while ((rc = be->cursor_next(cur, &kp, &klen, &bv)) == KV_OK) {
		k = kp;
		if (klen < KEY_PREFIX_LEN || memcmp(k, KEY_PREFIX, KEY_PREFIX_LEN))
			break;
		k += KEY_PREFIX_LEN;
		klen -= KEY_PREFIX_LEN;
		if (!(slash = memchr(k, '/', klen)))
			continue;
		len = (size_t)(slash - k);
		/* A name's keys are adjacent: compare with the last one. */
		if (n && strlen(names[n - 1]) == len &&
		    !memcmp(names[n - 1], k, len))
			continue;
		grown = realloc(names, (n + 1) * sizeof *names);
		name = malloc(len + 1);
		if (grown)
			names = grown;
		if (!grown || !name) {
			free(name);
			rc = no_memory();
			break;
		}
		memcpy(name, k, len);
		name[len] = '\0';
		names[n++] = name;
	}
	be->cursor_close(cur);
	if (rc && rc != KV_NOTFOUND) {
		while (n)
			free(names[--n]);
		free(names);
		return rc == KV_ENOMEM ? rc
		                       : kv__wrap(rc, "read schemas of %s",
		                                  txn->db->path);
	}
	*out = names;
	*out_n = n;
	return KV_OK;
}

/* Load the current version of every schema into set, in name order. */
static kv_status load_all(struct schema_set *set, kv_txn *txn)
{
	kv__schema *s;
	char **names = NULL;
	size_t n = 0, i;
	kv_status rc;

	if ((rc = list_names(&names, &n, txn)))
		return rc;
	for (i = 0; i < n && rc == KV_OK; i++)
		if ((rc = kv__schema_load(&s, txn, names[i], 0)) == KV_OK)
			rc = set_add(set, s);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (rc) {
		set_free(set);
		return rc;
	}
	if (set->n)
		qsort(set->v, set->n, sizeof *set->v, schema_cmp);
	return KV_OK;
}

/* The schema generation counter; 0 before the first define. */
static kv_status read_gen(unsigned long long *out, kv_txn *txn)
{
	char buf[24];
	kv__bval bv;
	size_t i;
	kv_status rc;

	rc = txn->db->be->get(&bv, txn->bt, KV__NS_META, GEN_KEY, GEN_KEY_LEN);
	if (rc == KV_NOTFOUND) {
		*out = 0;
		return KV_OK;
	}
	if (rc)
		return kv__wrap(rc, "read the schema generation of %s",
		                txn->db->path);
	for (i = 0; i < bv.val_len && i < sizeof buf - 1 &&
	            ((const char *)bv.val)[i] >= '0' &&
	            ((const char *)bv.val)[i] <= '9'; i++)
		buf[i] = ((const char *)bv.val)[i];
	if (!bv.val_len || i != bv.val_len || i > 19)
		return kv__error(KV_ECORRUPT, "%s: the schema generation "
		                 "counter is damaged", txn->db->path);
	buf[i] = '\0';
	*out = strtoull(buf, NULL, 10);
	return KV_OK;
}

static kv_status meta_put(kv_txn *txn, const char *key, const char *text)
{
	kv__bval bv;
	kv_status rc;

	bv.val = text;
	bv.val_len = strlen(text);
	bv.tag = NULL;
	bv.tag_len = 0;
	rc = txn->db->be->put(txn->bt, KV__NS_META, key, strlen(key), &bv, 0,
	                      NULL);
	if (rc)
		return kv__wrap(rc, "write '%s' to %s", key, txn->db->path);
	return KV_OK;
}

/* Store s and bump the generation so every handle reloads its cache. */
static kv_status store_schema(kv_txn *txn, const kv__schema *s)
{
	unsigned long long gen;
	char key[KEY_SIZE], num[24], *text;
	kv_status rc;

	if (!(text = kv__json_dump(s->doc)))
		return no_memory();
	meta_key(key, s->name, s->version);
	rc = meta_put(txn, key, text);
	free(text);
	if (rc || (rc = read_gen(&gen, txn)))
		return rc;
	snprintf(num, sizeof num, "%llu", gen + 1);
	return meta_put(txn, GEN_KEY, num);
}

/* ---- the per-handle cache ----------------------------------------------- */

void kv__schemas_free(kv_db *db)
{
	if (db->schemas) {
		set_free(&db->schemas->set);
		free(db->schemas);
		db->schemas = NULL;
	}
}

kv_status kv__schema_for_key(const kv__schema **out, kv_txn *txn,
                             const void *key, size_t key_len)
{
	struct kv__schema_cache *c;
	unsigned long long gen;
	kv_db *db = txn->db;
	kv_status rc;

	/* The cache is guarded by the writer lock, held by write txns only. */
	if (!txn->write)
		return kv__error(KV_EINVAL, "internal error: schema lookup "
		                 "outside a write transaction");
	/* No other writer can define a schema while this one is open, so
	 * one look at the generation per transaction is enough. */
	if (txn->schemas_fresh && db->schemas)
		goto found;
	if ((rc = read_gen(&gen, txn)))
		return rc;
	if (!db->schemas || db->schemas->gen != gen) {
		if (!(c = calloc(1, sizeof *c)))
			return no_memory();
		if ((rc = load_all(&c->set, txn))) {
			free(c);
			return rc;
		}
		c->gen = gen;
		kv__schemas_free(db);
		db->schemas = c;
	}
	txn->schemas_fresh = 1;
found:
	*out = set_govern(&db->schemas->set, key, key_len);
	return KV_OK;
}

/* ---- define ------------------------------------------------------------- */

/* KV_EXISTS when s's version is stored already. */
static kv_status check_exists(kv_txn *txn, const kv__schema *s)
{
	char key[KEY_SIZE], *text;
	kv__bval bv;
	int same;
	kv_status rc;

	meta_key(key, s->name, s->version);
	rc = txn->db->be->get(&bv, txn->bt, KV__NS_META, key, strlen(key));
	if (rc == KV_NOTFOUND)
		return KV_OK;
	if (rc)
		return kv__wrap(rc, "read schema '%s' from %s", key,
		                txn->db->path);
	text = kv__json_dump(s->doc);
	same = text && strlen(text) == bv.val_len &&
	       !memcmp(text, bv.val, bv.val_len);
	free(text);
	return kv__error(KV_EXISTS, "kv_schema_define: schema '%s' version %u "
	                 "already exists%s", s->name, s->version,
	                 same ? " (with the same document)"
	                      : " with another document (define a higher "
	                        "version to change it)");
}

/* May s replace cur, the current version of the same schema? */
static kv_status check_evolution(const kv__schema *cur, const kv__schema *s)
{
	char a[KV__SHOW_SIZE], b[KV__SHOW_SIZE];
	const kv__field *f, *nf;
	size_t i;

	if (s->version < cur->version)
		return kv__error(KV_ESCHEMA, "kv_schema_define: schema '%s' "
		                 "version %u is older than the current version %u",
		                 s->name, s->version, cur->version);
	if (strcmp(s->prefix, cur->prefix))
		return kv__error(KV_ESCHEMA, "kv_schema_define: schema '%s' "
		                 "version %u moves the prefix from '%s' to '%s' "
		                 "(a schema's prefix cannot change)", s->name,
		                 s->version, kv__show_str(a, cur->prefix),
		                 kv__show_str(b, s->prefix));
	for (i = 0; i < cur->nfields; i++) {
		f = &cur->fields[i];
		nf = kv__schema_field(s, f->name);
		if (!nf)
			return kv__error(KV_ESCHEMA, "kv_schema_define: schema "
			                 "'%s' version %u drops field '%s' of "
			                 "version %u (deprecate it instead)",
			                 s->name, s->version, kv__show_str(a, f->name),
			                 cur->version);
		if (nf->type != f->type)
			return kv__error(KV_ESCHEMA, "kv_schema_define: schema "
			                 "'%s' version %u changes the type of field "
			                 "'%s' from %s to %s", s->name, s->version,
			                 kv__show_str(a, f->name), kv__ftype_name(f->type),
			                 kv__ftype_name(nf->type));
	}
	return KV_OK;
}

/* Evolution rules, and one schema per prefix. */
static kv_status check_define(kv_txn *txn, const kv__schema *s)
{
	struct schema_set all = { NULL, 0, 0 };
	char shown[KV__SHOW_SIZE];
	const kv__schema *cur, *o;
	kv_status rc;
	size_t i;

	if ((rc = check_exists(txn, s)) || (rc = load_all(&all, txn)))
		return rc;
	if ((cur = set_find(&all, s->name, 0)))
		rc = check_evolution(cur, s);
	for (i = 0; i < all.n && rc == KV_OK; i++) {
		o = all.v[i];
		if (strcmp(o->name, s->name) && !strcmp(o->prefix, s->prefix))
			rc = kv__error(KV_ESCHEMA, "kv_schema_define: prefix '%s' "
			               "is already governed by schema '%s'",
			               kv__show_str(shown, s->prefix), o->name);
	}
	set_free(&all);
	return rc;
}

kv_status kv_schema_define(kv_db *db, const char *json)
{
	kv__schema *s = NULL;
	json_t *doc = NULL;
	kv_txn *txn = NULL;
	kv_status rc;

	KV__ENTER(db, "kv_schema_define");
	if (!json)
		return kv__error(KV_EINVAL, "kv_schema_define: json is NULL");
	if ((rc = kv__json_object(&doc, json, strlen(json),
	                          "kv_schema_define: the schema document",
	                          NULL)))
		return rc;
	rc = kv__schema_parse(&s, doc);
	if (rc == KV_ESCHEMA)
		rc = kv__wrap(rc, "kv_schema_define");
	if (rc || (rc = kv__txn_begin(&txn, db, 1)))
		goto done;
	if ((rc = check_define(txn, s)) || (rc = store_schema(txn, s)))
		goto done;
	rc = kv__txn_commit(txn);
	txn = NULL;
done:
	if (txn)
		kv__txn_end(txn);
	kv__schema_free(s);
	json_decref(doc);
	return rc;
}

/* ---- get and list --------------------------------------------------------- */

kv_status kv_schema_get(char **out, kv_db *db, const char *name,
                        unsigned int version)
{
	kv_txn *txn;
	kv__bval bv;
	char *copy;
	kv_status rc;

	KV__ENTER(db, "kv_schema_get");
	if (!out || !name)
		return kv__error(KV_EINVAL, "kv_schema_get: %s is NULL",
		                 out ? "name" : "out");
	if ((rc = kv__txn_begin(&txn, db, 0)))
		return rc;
	if ((rc = get_doc(&bv, &version, txn, name, version)) == KV_OK) {
		if ((copy = malloc(bv.val_len + 1))) {
			memcpy(copy, bv.val, bv.val_len);
			copy[bv.val_len] = '\0';
			*out = copy;
		} else {
			rc = no_memory();
		}
	}
	kv__txn_end(txn);
	return rc;
}

kv_status kv_schema_list(kv_db *db, kv_schema_list_fn fn, void *payload)
{
	struct schema_set all = { NULL, 0, 0 };
	kv_txn *txn;
	kv_status rc;
	size_t i;

	KV__ENTER(db, "kv_schema_list");
	if (!fn)
		return kv__error(KV_EINVAL, "kv_schema_list: fn is NULL");
	if ((rc = kv__txn_begin(&txn, db, 0)))
		return rc;
	rc = load_all(&all, txn);
	kv__txn_end(txn);
	/* Called outside the snapshot, so fn may use the store freely. */
	for (i = 0; rc == KV_OK && i < all.n; i++)
		if (fn(all.v[i]->name, all.v[i]->version, all.v[i]->prefix,
		       payload))
			break;
	set_free(&all);
	return rc;
}

/* ---- check ---------------------------------------------------------------- */

/* State of one kv_schema_check run. */
struct check {
	kv_txn *txn;
	struct schema_set all;    /* current versions, by name */
	struct schema_set old;    /* older versions met so far */
	kv_schema_check_fn fn;
	void *payload;
	unsigned long bad;
	int stop;
	char *shown;              /* the key escaped for fn */
	size_t shown_size;
};

/* Version v of cur's schema, loaded once per check. */
static kv_status old_version(const kv__schema **out, struct check *c,
                             const kv__schema *cur, unsigned int v)
{
	kv__schema *s = set_find(&c->old, cur->name, v);
	kv_status rc;

	if (!s) {
		if ((rc = kv__schema_load(&s, c->txn, cur->name, v)) ||
		    (rc = set_add(&c->old, s)))
			return rc;
	}
	*out = s;
	return KV_OK;
}

/* Tell fn about a failed record: the whole key, escaped. */
static kv_status report(struct check *c, const kv__schema *cur,
                        const void *key, size_t klen, const char *msg)
{
	size_t need = 4 * klen + 9; /* every byte may become \xHH */
	char *p;

	c->bad++;
	if (!c->fn)
		return KV_OK;
	if (need > c->shown_size) {
		if (!(p = realloc(c->shown, need)))
			return no_memory();
		c->shown = p;
		c->shown_size = need;
	}
	kv__show(c->shown, c->shown_size, key, klen);
	if (c->fn(cur->name, c->shown, msg, c->payload))
		c->stop = 1;
	return KV_OK;
}

/* Validate one record governed by cur, under the version of its tag. */
static kv_status check_record(struct check *c, const kv__schema *cur,
                              const void *key, size_t klen,
                              const kv__bval *bv)
{
	unsigned int v = kv__tag_version(bv->tag, bv->tag_len);
	const kv__schema *s = cur;
	char msg[MSG_SIZE];
	size_t n;
	json_t *rec;
	kv_status rc;

	if (v && v != cur->version && (rc = old_version(&s, c, cur, v))) {
		if (rc != KV_NOTFOUND)
			return rc;
		snprintf(msg, sizeof msg, "tagged with schema version %u, "
		         "which is not stored", v);
		return report(c, cur, key, klen, msg);
	}
	memcpy(msg, "the value is ", 13);
	if (kv__json_parse_object(&rec, bv->val, bv->val_len, msg + 13,
	                 sizeof msg - 13) == 0) {
		rc = kv__validate_quiet(s, rec, msg, sizeof msg);
		json_decref(rec);
		if (rc == KV_OK)
			return KV_OK;
	}
	n = strlen(msg);
	if (s != cur && n < sizeof msg)
		snprintf(msg + n, sizeof msg - n, " (checked against version "
		         "%u, which the record was written under)", s->version);
	return report(c, cur, key, klen, msg);
}

/* Check every record under s's prefix that no longer prefix claims. */
static kv_status check_schema(struct check *c, const kv__schema *s)
{
	const kv__backend *be = c->txn->db->be;
	const void *k;
	size_t klen;
	kv__bcur *cur;
	kv__bval bv;
	kv_status rc;

	rc = be->cursor_open(&cur, c->txn->bt, KV__NS_DATA, s->prefix,
	                     s->prefix_len);
	if (rc)
		return kv__wrap(rc, "kv_schema_check: iterate %s",
		                c->txn->db->path);
	while (!c->stop && (rc = be->cursor_next(cur, &k, &klen, &bv)) == KV_OK) {
		if (klen < s->prefix_len || memcmp(k, s->prefix, s->prefix_len))
			break;
		if (set_govern(&c->all, k, klen) != s)
			continue;
		if ((rc = check_record(c, s, k, klen, &bv))) {
			be->cursor_close(cur);
			return rc; /* its message is set */
		}
	}
	be->cursor_close(cur);
	if (rc && rc != KV_NOTFOUND)
		return kv__wrap(rc, "kv_schema_check: iterate %s",
		                c->txn->db->path);
	return KV_OK;
}

kv_status kv_schema_check(unsigned long *out_bad, kv_db *db,
                          const char *name, kv_schema_check_fn fn,
                          void *payload)
{
	struct check c;
	const kv__schema *only = NULL;
	kv_status rc;
	size_t i;

	KV__ENTER(db, "kv_schema_check");
	memset(&c, 0, sizeof c);
	c.fn = fn;
	c.payload = payload;
	if ((rc = kv__txn_begin(&c.txn, db, 0)))
		return rc;
	if ((rc = load_all(&c.all, c.txn)))
		goto done;
	if (name && !(only = set_find(&c.all, name, 0))) {
		rc = not_found(name, 0);
		goto done;
	}
	for (i = 0; i < c.all.n && !c.stop && rc == KV_OK; i++)
		if (!only || c.all.v[i] == only)
			rc = check_schema(&c, c.all.v[i]);
	if (rc == KV_OK && out_bad)
		*out_bad = c.bad;
done:
	kv__txn_end(c.txn);
	set_free(&c.all);
	set_free(&c.old);
	free(c.shown);
	return rc;
}
