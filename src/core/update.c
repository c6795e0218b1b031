/* The update session: judges the stream with the image checker and the
 * policy, and opens the slot only once the first 0x120 bytes (header and app
 * descriptor) have passed, so that a wrong file never erases anything. */
#include <stdalign.h>
#include <string.h>

#include "webota/image.h"
#include "webota/sigblock.h"
#include "webota/update.h"

#include "textbuf.h"

#define HEAD_LEN (WEBOTA_APP_DESC_OFFSET + WEBOTA_APP_DESC_SIZE) /* 0x120 */

/* What a failure's message says besides the error's own sentence: the facts
 * are recorded where the failure is found, the text is written only by
 * format_message. */
typedef enum {
    FACT_NONE,
    FACT_PHRASE,        /* text: a fixed phrase */
    FACT_ERROR,         /* a: the webota_err_t behind it */
    FACT_CHIP,          /* the image's chip (checker) against the policy's */
    FACT_REV_MIN,       /* the image's minimum revision against the policy's */
    FACT_REV_MAX,       /* the image's maximum revision against the policy's */
    FACT_SLOT_SIZE,     /* the slot's label and size */
    FACT_ANNOUNCED,     /* a: announced bytes; the slot's label and size */
    FACT_OVER_ANNOUNCED,/* a: announced bytes */
    FACT_RECEIVED,      /* a: bytes received */
    FACT_RECEIVED_OF,   /* a of b bytes received */
    FACT_SECURE_VERSION,/* a: image's, b: running firmware's */
    FACT_SECURITY_VERSION,/* a: image's, b: the device's (eFuse) */
    FACT_PROJECT,       /* the descriptor's project against the policy's */
    FACT_SAME_VERSION,  /* the descriptor's version */
    FACT_OLDER_VERSION, /* the descriptor's version against the running one */
    FACT_EXPECT_VERSION,/* the descriptor's version against the expected one */
    FACT_NO_MARKER,     /* how to install it anyway */
    FACT_SLOT_OP,       /* text: what was done to the slot ("opening"), its label */
    FACT_SIGNATURE,     /* the verifier's result: the block it names, or what is missing */
} fact_t;

typedef struct session {
    webota_slot_t *slot_rules;
    webota_update_policy_t policy;
    webota_image_policy_t ipol;
    webota_image_checker_t checker;
    webota_slot_info_t slot;
    webota_app_desc_t desc;
    webota_update_state_t state;
    webota_err_t err;
    uint32_t err_offset;
    uint32_t total, received;
    bool force, slot_valid, slot_open, head_done, desc_seen, sig_on, sig_done;
    uint16_t head_len;
    uint8_t head[HEAD_LEN];
    /* the failure's facts (see fact_t); on_desc records its refusal's here */
    uint8_t fact;
    uint32_t fact_a, fact_b;
    const char *fact_text;
    char msg[WEBOTA_UPDATE_MESSAGE_MAX]; /* format_message's text of them */
    webota_sig_verifier_t sig; /* when the policy trusts keys */
} session_t;

_Static_assert(sizeof(session_t) <= WEBOTA_UPDATE_STORAGE_SIZE, "WEBOTA_UPDATE_STORAGE_SIZE too small");
_Static_assert(alignof(session_t) <= alignof(webota_update_t), "webota_update_t under-aligned");

static session_t *S(webota_update_t *u)
{
    return (session_t *)(void *)u->opaque.bytes;
}

static const session_t *CS(const webota_update_t *u)
{
    return (const session_t *)(const void *)u->opaque.bytes;
}

/* "v1.3" from major*100+minor */
static void sb_rev(webota_sb_t *b, uint32_t rev)
{
    webota_sb_s(b, "v");
    webota_sb_u(b, rev / 100, 10);
    webota_sb_s(b, ".");
    webota_sb_u(b, rev % 100, 10);
}

static void sb_quoted(webota_sb_t *b, const char *s)
{
    webota_sb_s(b, "\"");
    webota_sb_s(b, s);
    webota_sb_s(b, "\"");
}

static const char *chip_display(int chip)
{
    const webota_chip_info_t *ci = chip < 0 ? NULL : webota_chip_info((webota_chip_t)chip);
    return ci != NULL ? ci->display : "unknown chip";
}

static void sb_hex(webota_sb_t *b, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char two[3] = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        two[0] = digits[p[i] >> 4];
        two[1] = digits[p[i] & 15];
        webota_sb_s(b, two);
    }
}

/* "block 0: key not trusted, ecdsa256 key 8efe...": the block the signature
 * verdict names, or what is missing. */
static void sig_words(const webota_sig_result_t *r, webota_sb_t *b)
{
    if (r->block < 0) {
        if (r->err == WEBOTA_ERR_SIG_UNSIGNED)
            webota_sb_s(b, "no signature sector after the image");
        else if (r->err == WEBOTA_ERR_SIG_MALFORMED)
            webota_sb_s(b, "the signature sector is not 4096 bytes at the end of the file");
        return;
    }
    const webota_sig_block_t *bl = &r->block_info[r->block];
    webota_sb_s(b, "block ");
    webota_sb_u(b, (uint32_t)r->block, 10);
    webota_sb_s(b, ": ");
    webota_sb_s(b, webota_sig_block_state_text((webota_sig_block_state_t)bl->state));
    if (bl->scheme != WEBOTA_SIG_SCHEME_NONE) {
        webota_sb_s(b, ", ");
        webota_sb_s(b, webota_sig_scheme_name((webota_sig_scheme_t)bl->scheme));
        webota_sb_s(b, " key ");
        sb_hex(b, bl->key_digest, 32);
    }
}

/* The facts as words, without the error's own sentence. */
static void fact_words(const session_t *s, webota_sb_t *b)
{
    const webota_image_status_t *in = webota_image_status(&s->checker);
    const webota_chip_info_t *chip;
    switch ((fact_t)s->fact) {
    case FACT_NONE:
        break;
    case FACT_PHRASE:
        webota_sb_s(b, s->fact_text);
        break;
    case FACT_ERROR:
        webota_sb_s(b, webota_strerror((webota_err_t)s->fact_a));
        break;
    case FACT_CHIP:
        chip = webota_chip_by_id(in->chip_id);
        webota_sb_s(b, chip != NULL ? chip->display : "unknown chip id");
        webota_sb_s(b, ", this device is ");
        webota_sb_s(b, chip_display(s->policy.chip));
        break;
    case FACT_REV_MIN:
    case FACT_REV_MAX:
        webota_sb_s(b, s->fact == FACT_REV_MIN ? "image needs at least " : "image supports up to ");
        sb_rev(b, s->fact == FACT_REV_MIN ? in->min_rev_full : in->max_rev_full);
        webota_sb_s(b, ", this chip is ");
        sb_rev(b, (uint32_t)s->policy.chip_rev);
        break;
    case FACT_ANNOUNCED:
        webota_sb_s(b, "announced ");
        webota_sb_u(b, s->fact_a, 10);
        webota_sb_s(b, " bytes, slot ");
        webota_sb_s(b, s->slot.label);
        webota_sb_s(b, " holds ");
        webota_sb_u(b, s->slot.size, 10);
        break;
    case FACT_SLOT_SIZE:
        webota_sb_s(b, "slot ");
        webota_sb_s(b, s->slot.label);
        webota_sb_s(b, " holds ");
        webota_sb_u(b, s->slot.size, 10);
        webota_sb_s(b, " bytes");
        break;
    case FACT_OVER_ANNOUNCED:
        webota_sb_s(b, "more than the announced ");
        webota_sb_u(b, s->fact_a, 10);
        webota_sb_s(b, " bytes");
        break;
    case FACT_RECEIVED:
    case FACT_RECEIVED_OF:
        webota_sb_s(b, "received ");
        webota_sb_u(b, s->fact_a, 10);
        if (s->fact == FACT_RECEIVED_OF) {
            webota_sb_s(b, " of ");
            webota_sb_u(b, s->fact_b, 10);
        }
        webota_sb_s(b, " bytes");
        break;
    case FACT_SECURE_VERSION:
        webota_sb_s(b, "image ");
        webota_sb_u(b, s->fact_a, 10);
        webota_sb_s(b, ", running firmware ");
        webota_sb_u(b, s->fact_b, 10);
        break;
    case FACT_SECURITY_VERSION:
        webota_sb_s(b, "image ");
        webota_sb_u(b, s->fact_a, 10);
        webota_sb_s(b, ", device security version ");
        webota_sb_u(b, s->fact_b, 10);
        webota_sb_s(b, ": it would not boot");
        break;
    case FACT_PROJECT:
        webota_sb_s(b, "image is ");
        sb_quoted(b, s->desc.project_name);
        webota_sb_s(b, ", this device runs ");
        sb_quoted(b, s->policy.project);
        break;
    case FACT_SAME_VERSION:
        sb_quoted(b, s->desc.version);
        break;
    case FACT_OLDER_VERSION:
        webota_sb_s(b, "image ");
        sb_quoted(b, s->desc.version);
        webota_sb_s(b, ", running firmware ");
        sb_quoted(b, s->policy.running_version);
        break;
    case FACT_EXPECT_VERSION:
        webota_sb_s(b, "image ");
        sb_quoted(b, s->desc.version);
        webota_sb_s(b, ", expected ");
        sb_quoted(b, s->policy.expect_version);
        break;
    case FACT_NO_MARKER:
        /* the page's button is "Upload anyway" (web/index.html) */
        webota_sb_s(b, "to install it anyway: \"Upload anyway\" on the page or webota push --force");
        break;
    case FACT_SLOT_OP:
        webota_sb_s(b, s->fact_text);
        webota_sb_s(b, " slot ");
        webota_sb_s(b, s->slot.label);
        break;
    case FACT_SIGNATURE:
        sig_words(webota_sig_result(&s->sig), b);
        break;
    }
}

/* The one place a failure becomes text: "<reason> (<facts>) at offset <n>".
 * Facts that only repeat the reason are left out. */
static void format_message(session_t *s)
{
    char facts[WEBOTA_UPDATE_MESSAGE_MAX];
    webota_sb_t f;
    webota_sb_init(&f, facts, sizeof facts);
    fact_words(s, &f);
    webota_sb_t b;
    webota_sb_init(&b, s->msg, sizeof s->msg);
    webota_sb_s(&b, webota_strerror(s->err));
    if (facts[0] != '\0' && strcmp(facts, webota_strerror(s->err)) != 0) {
        webota_sb_s(&b, " (");
        webota_sb_s(&b, facts);
        webota_sb_s(&b, ")");
    }
    webota_sb_s(&b, " at offset ");
    webota_sb_u(&b, s->err_offset, 10);
}

static void set_fact(session_t *s, fact_t fact, uint32_t a, uint32_t b, const char *text)
{
    s->fact = (uint8_t)fact;
    s->fact_a = a;
    s->fact_b = b;
    s->fact_text = text;
}

/* Records the first error with its facts (set_fact before, or FACT_NONE),
 * closes the slot, and formats the message. */
static webota_err_t fail(session_t *s, webota_err_t err, uint32_t offset)
{
    if (s->state == WEBOTA_UPDATE_FAILED)
        return s->err;
    if (s->slot_open && s->slot_rules != NULL)
        webota_slot_abort(s->slot_rules);
    s->slot_open = false;
    webota_image_abort(&s->checker);
    if (s->sig_on)
        webota_sig_abort(&s->sig);
    s->state = WEBOTA_UPDATE_FAILED;
    s->err = err;
    s->err_offset = offset;
    format_message(s);
    return err;
}

static webota_err_t fail_with(session_t *s, webota_err_t err, uint32_t offset, fact_t fact, uint32_t a,
                              uint32_t b, const char *text)
{
    if (s->state != WEBOTA_UPDATE_FAILED)
        set_fact(s, fact, a, b, text);
    return fail(s, err, offset);
}

/* The checker's callback: the policy decisions that need the descriptor.
 * A refusal's facts are recorded here; write() fails with them. */
static webota_err_t on_desc(void *ctx, const webota_app_desc_t *d)
{
    session_t *s = ctx;
    s->desc = *d;
    s->desc_seen = true;
    const webota_update_policy_t *p = &s->policy;
    if (p->anti_rollback && d->secure_version < p->security_version) {
        set_fact(s, FACT_SECURITY_VERSION, d->secure_version, p->security_version, NULL);
        return WEBOTA_ERR_UPD_SECURE_VERSION;
    }
    if (!p->allow_secure_downgrade && d->secure_version < p->running_secure_version) {
        set_fact(s, FACT_SECURE_VERSION, d->secure_version, p->running_secure_version, NULL);
        return WEBOTA_ERR_UPD_SECURE_VERSION;
    }
    if (p->project != NULL && strcmp(p->project, d->project_name) != 0) {
        set_fact(s, FACT_PROJECT, 0, 0, NULL);
        return WEBOTA_ERR_UPD_PROJECT;
    }
    if (p->expect_version != NULL && strcmp(p->expect_version, d->version) != 0) {
        set_fact(s, FACT_EXPECT_VERSION, 0, 0, NULL);
        return WEBOTA_ERR_REL_VERSION;
    }
    if (p->refuse_same_version && p->running_version != NULL &&
        strcmp(p->running_version, d->version) == 0) {
        set_fact(s, FACT_SAME_VERSION, 0, 0, NULL);
        return WEBOTA_ERR_UPD_SAME_VERSION;
    }
    int cmp;
    if (p->refuse_older_version && webota_version_compare(d->version, p->running_version, &cmp) &&
        cmp < 0) {
        set_fact(s, FACT_OLDER_VERSION, 0, 0, NULL);
        return WEBOTA_ERR_UPD_OLDER_VERSION;
    }
    return WEBOTA_OK;
}

/* The facts of the checker's own verdicts, from what it has seen. */
static fact_t checker_fact(webota_err_t err)
{
    switch (err) {
    case WEBOTA_ERR_IMG_CHIP:
        return FACT_CHIP;
    case WEBOTA_ERR_IMG_CHIP_REV_MIN:
        return FACT_REV_MIN;
    case WEBOTA_ERR_IMG_CHIP_REV_MAX:
        return FACT_REV_MAX;
    case WEBOTA_ERR_IMG_TOO_BIG:
        return FACT_SLOT_SIZE;
    default:
        return FACT_NONE;
    }
}

void webota_update_policy_init(webota_update_policy_t *policy)
{
    memset(policy, 0, sizeof *policy); /* zero is the default */
}

webota_err_t webota_update_begin(webota_update_t *u, webota_slot_t *slot,
                                 const webota_update_policy_t *policy, uint32_t total, bool force)
{
    if (u == NULL)
        return WEBOTA_ERR_ARG;
    session_t *s = S(u);
    memset(s, 0, sizeof *s);
    s->state = WEBOTA_UPDATE_RECEIVING;
    webota_image_init(&s->checker, NULL, NULL); /* re-initialised with the policy below */
    if (slot == NULL || slot->ops == NULL)
        return fail_with(s, WEBOTA_ERR_ARG, 0, FACT_PHRASE, 0, 0, "no slot writer");
    s->slot_rules = slot;
    if (policy != NULL)
        s->policy = *policy;
    else
        webota_update_policy_init(&s->policy);
    s->total = total;
    s->force = force;
    if (webota_slot_busy(slot))
        return fail(s, WEBOTA_ERR_UPD_BUSY, 0); /* another session holds the slot */
    webota_err_t err = webota_slot_next(slot, &s->slot);
    if (err != WEBOTA_OK)
        return fail_with(s, WEBOTA_ERR_UPD_NO_SLOT, 0, FACT_ERROR, (uint32_t)err, 0, NULL);
    s->slot_valid = true;
    webota_image_policy_init(&s->ipol);
    s->ipol.check_chip = s->policy.check_chip;
    s->ipol.chip = s->policy.chip;
    s->ipol.check_chip_rev = s->policy.check_chip_rev;
    s->ipol.chip_rev = s->policy.chip_rev;
    s->ipol.max_size = s->slot.size;
    s->ipol.on_desc = on_desc;
    s->ipol.ctx = s;
    webota_image_abort(&s->checker);
    webota_image_init(&s->checker, &s->ipol, NULL);
    const webota_sig_config_t *sig = s->policy.signature;
    if (sig != NULL && sig->key_count > 0) {
        s->sig_on = true;
        err = webota_sig_init(&s->sig, sig, &s->checker); /* takes over the checker's SHA-256 */
        if (err != WEBOTA_OK)
            return fail_with(s, err, 0, FACT_PHRASE, 0, 0, "signature verifier");
    }
    if (total > s->slot.size)
        return fail_with(s, WEBOTA_ERR_IMG_TOO_BIG, 0, FACT_ANNOUNCED, total, 0, NULL);
    return WEBOTA_OK;
}

/* A slot error, named with the slot and where the stream was. */
static webota_err_t slot_fail(session_t *s, webota_err_t err, const char *what)
{
    return fail_with(s, err, s->received, FACT_SLOT_OP, 0, 0, what);
}

static webota_err_t slot_write(session_t *s, const uint8_t *data, size_t len)
{
    webota_err_t err = webota_slot_write(s->slot_rules, data, len);
    return err == WEBOTA_OK ? WEBOTA_OK : slot_fail(s, err, "writing");
}

/* The session of u while it receives the image; otherwise NULL with *err
 * saying why: ARG, the error it has failed with, or STATE. */
static session_t *receiving(webota_update_t *u, webota_err_t *err)
{
    if (u == NULL) {
        *err = WEBOTA_ERR_ARG;
        return NULL;
    }
    session_t *s = S(u);
    if (s->state == WEBOTA_UPDATE_FAILED) {
        *err = s->err;
        return NULL;
    }
    if (s->state != WEBOTA_UPDATE_RECEIVING) {
        *err = WEBOTA_ERR_STATE;
        return NULL;
    }
    return s;
}

webota_err_t webota_update_write(webota_update_t *u, const void *data, size_t len)
{
    webota_err_t err;
    session_t *s = receiving(u, &err);
    if (s == NULL)
        return err;
    if (len == 0)
        return WEBOTA_OK;
    if (data == NULL)
        return fail_with(s, WEBOTA_ERR_ARG, s->received, FACT_PHRASE, 0, 0, "no data");
    const uint8_t *d = data;
    if (s->total != 0 && len > s->total - s->received)
        return fail_with(s, WEBOTA_ERR_UPD_LENGTH, s->total, FACT_OVER_ANNOUNCED, s->total, 0, NULL);
    err = webota_image_feed(&s->checker, d, len);
    if (err != WEBOTA_OK) {
        /* on_desc recorded its refusal's facts; the checker's are named here */
        if (s->fact == FACT_NONE)
            set_fact(s, checker_fact(err), 0, 0, NULL);
        return fail(s, err, webota_image_status(&s->checker)->err_offset);
    }
    if (s->sig_on && (err = webota_sig_feed(&s->sig, d, len)) != WEBOTA_OK)
        return fail_with(s, err, s->received, FACT_PHRASE, 0, 0, "signature digest");
    /* The first HEAD_LEN bytes wait in the session until the descriptor has
     * passed the policy; then the slot is opened and they go first. */
    size_t used = 0;
    if (!s->head_done) {
        used = HEAD_LEN - s->head_len;
        if (used > len)
            used = len;
        memcpy(s->head + s->head_len, d, used);
        s->head_len = (uint16_t)(s->head_len + used);
        if (s->head_len == HEAD_LEN) {
            if (!s->desc_seen)
                return fail(s, WEBOTA_ERR_IMG_APPDESC, WEBOTA_APP_DESC_OFFSET);
            err = webota_slot_begin(s->slot_rules, s->total, NULL);
            if (err != WEBOTA_OK)
                return slot_fail(s, err, "opening");
            s->slot_open = true;
            s->head_done = true;
            err = slot_write(s, s->head, HEAD_LEN);
            if (err != WEBOTA_OK)
                return err;
        }
    }
    if (used < len) {
        err = slot_write(s, d + used, len - used);
        if (err != WEBOTA_OK)
            return err;
    }
    s->received += (uint32_t)len;
    return WEBOTA_OK;
}

webota_err_t webota_update_finish(webota_update_t *u)
{
    webota_err_t err;
    session_t *s = receiving(u, &err);
    if (s == NULL)
        return err;
    s->state = WEBOTA_UPDATE_VERIFYING;
    if (s->received == 0)
        return fail(s, WEBOTA_ERR_UPD_EMPTY, 0);
    err = webota_image_finish(&s->checker);
    if (err != WEBOTA_OK)
        return fail_with(s, err, webota_image_status(&s->checker)->err_offset,
                         err == WEBOTA_ERR_IMG_TRUNCATED ? FACT_RECEIVED : FACT_NONE, s->received, 0, NULL);
    if (s->total != 0 && s->received != s->total)
        return fail_with(s, WEBOTA_ERR_UPD_LENGTH, s->received, FACT_RECEIVED_OF, s->received, s->total, NULL);
    /* judged once the whole image has been seen: reported where it ended */
    const webota_image_status_t *st = webota_image_status(&s->checker);
    if (s->sig_on) {
        /* before the marker: forcing does not skip a signature */
        err = webota_sig_finish(&s->sig);
        s->sig_done = true;
        if (err != WEBOTA_OK)
            return fail_with(s, err, webota_sig_result(&s->sig)->err_offset, FACT_SIGNATURE, 0, 0, NULL);
    }
    if (!s->policy.allow_no_marker && !s->force && !st->marker)
        return fail_with(s, WEBOTA_ERR_UPD_NO_MARKER, st->length, FACT_NO_MARKER, 0, 0, NULL);
    err = webota_slot_finish(s->slot_rules);
    if (err != WEBOTA_OK)
        return slot_fail(s, err, "verifying");
    s->slot_open = false; /* finish closed it */
    err = webota_slot_activate(s->slot_rules);
    if (err != WEBOTA_OK)
        return slot_fail(s, err, "activating");
    s->slot_open = false;
    s->state = WEBOTA_UPDATE_DONE;
    return WEBOTA_OK;
}

void webota_update_abort(webota_update_t *u)
{
    if (u == NULL)
        return;
    session_t *s = S(u);
    if (s->state == WEBOTA_UPDATE_RECEIVING || s->state == WEBOTA_UPDATE_VERIFYING)
        (void)fail_with(s, WEBOTA_ERR_UPD_ABORTED, s->received, FACT_PHRASE, 0, 0, "the upload stopped");
}

const webota_sig_result_t *webota_update_signature(const webota_update_t *u)
{
    return CS(u)->sig_done ? webota_sig_result(&CS(u)->sig) : NULL;
}

webota_update_state_t webota_update_state(const webota_update_t *u)
{
    return CS(u)->state;
}

uint32_t webota_update_received(const webota_update_t *u)
{
    return CS(u)->received;
}

uint32_t webota_update_total(const webota_update_t *u)
{
    return CS(u)->total;
}

webota_err_t webota_update_error(const webota_update_t *u)
{
    return CS(u)->state == WEBOTA_UPDATE_FAILED ? CS(u)->err : WEBOTA_OK;
}

uint32_t webota_update_error_offset(const webota_update_t *u)
{
    return CS(u)->state == WEBOTA_UPDATE_FAILED ? CS(u)->err_offset : 0;
}

const char *webota_update_message(const webota_update_t *u)
{
    return CS(u)->state == WEBOTA_UPDATE_FAILED ? CS(u)->msg : "";
}

const webota_app_desc_t *webota_update_desc(const webota_update_t *u)
{
    return CS(u)->desc_seen ? &CS(u)->desc : NULL;
}

const webota_slot_info_t *webota_update_slot(const webota_update_t *u)
{
    return CS(u)->slot_valid ? &CS(u)->slot : NULL;
}

const char *webota_update_state_name(webota_update_state_t st)
{
    switch (st) {
    case WEBOTA_UPDATE_IDLE:
        return "idle";
    case WEBOTA_UPDATE_RECEIVING:
        return "receiving";
    case WEBOTA_UPDATE_VERIFYING:
        return "verifying";
    case WEBOTA_UPDATE_DONE:
        return "done";
    case WEBOTA_UPDATE_FAILED:
        return "failed";
    }
    return "unknown";
}
