/* Binary table -> CSV text the way the tool's to_csv writes it: header
 * comments, keyword names where it has them, hex offsets, K/M sizes. */
#include "parttable_internal.h"

webota_err_t webota_pt_to_csv(const webota_parttable_t *pt, char *out, size_t cap, size_t *len)
{
    if (pt == NULL || (out == NULL && cap != 0) || pt->count > WEBOTA_PT_MAX_ENTRIES) {
        return WEBOTA_ERR_ARG;
    }
    webota_sb_t sb = {out, cap, 0};
    if (cap != 0) {
        out[0] = 0;
    }
    webota_sb_s(&sb, "# ESP-IDF Partition Table\n# Name, Type, SubType, Offset, Size, Flags\n");
    for (unsigned i = 0; i < pt->count; i++) {
        const webota_partition_t *p = &pt->part[i];
        size_t ln = 0;
        while (ln < WEBOTA_PT_LABEL_MAX && p->label[ln] != 0) {
            ln++;
        }
        webota_sb_n(&sb, p->label, ln);
        webota_sb_s(&sb, ",");
        const char *t = webota_pt_type_name(p->type);
        if (t != NULL) {
            webota_sb_s(&sb, t);
        } else {
            webota_sb_u(&sb, p->type, 10);
        }
        webota_sb_s(&sb, ",");
        const char *st = webota_pt_subtype_name(p->type, p->subtype);
        if (st != NULL) {
            webota_sb_s(&sb, st);
        } else {
            webota_sb_u(&sb, p->subtype, 10);
        }
        webota_sb_s(&sb, ",");
        webota_sb_hex(&sb, p->offset);
        webota_sb_s(&sb, ",");
        if (p->size % 0x100000u == 0) {
            webota_sb_u(&sb, p->size / 0x100000u, 10);
            webota_sb_s(&sb, "M");
        } else if (p->size % 0x400u == 0) {
            webota_sb_u(&sb, p->size / 0x400u, 10);
            webota_sb_s(&sb, "K");
        } else {
            webota_sb_hex(&sb, p->size);
        }
        webota_sb_s(&sb, ",");
        if (p->flags & WEBOTA_PT_FLAG_ENCRYPTED) {
            webota_sb_s(&sb, "encrypted");
        }
        if (p->flags & WEBOTA_PT_FLAG_READONLY) {
            webota_sb_s(&sb, (p->flags & WEBOTA_PT_FLAG_ENCRYPTED) ? ":readonly" : "readonly");
        }
        webota_sb_s(&sb, "\n");
    }
    if (len != NULL) {
        *len = sb.len;
    }
    return sb.len < cap ? WEBOTA_OK : WEBOTA_ERR_NO_SPACE;
}
