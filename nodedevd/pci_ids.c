/*
 * Vendor and product names from pci.ids (pciutils/hwdata format), the
 * names libvirt gets from libpciaccess.
 *
 * The file is parsed once into two sorted arrays (vendors, vendor:device
 * products) whose names live in one string arena, then looked up by binary
 * search: about 20k entries, 0.7 MB, and no file access per device.
 *
 * The format: "VVVV  name" starts a vendor, "\tDDDD  name" is one of its
 * devices, "\t\tSSSS SSSS  name" a subsystem (not needed: libvirt asks with
 * any subsystem, which the device line answers).  Everything else is
 * skipped: comments, blank lines, the class section ("C 02  Network
 * controller" and its tab-indented subclasses) and malformed lines.  When a
 * vendor or a device appears twice the first wins, as in libpciaccess.
 * Names that are not UTF-8 are skipped: the device then has no name.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "file.h"
#include "hex.h"
#include "pci_ids.h"
#include "utf8.h"

/* pci.ids is 1.4 MB today; anything far larger is not a pci.ids */
#define PCI_IDS_FILE_MAX (64u << 20)
/* longest name kept; pci.ids names stay under 200 bytes */
#define PCI_IDS_NAME_MAX 512

struct ids_entry {
    uint32_t key;       /* vendor, or vendor << 16 | device */
    uint32_t name;      /* offset into the arena; grows with the line number */
};

struct ids_table {
    struct ids_entry *v;
    size_t n, cap;
};

struct nodedev_pci_ids {
    struct ids_table vendors, products;
    char *arena;
    size_t arena_len, arena_cap;
};

static int table_add(struct ids_table *t, uint32_t key, uint32_t name)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        struct ids_entry *v = reallocarray(t->v, cap, sizeof(*v));

        if (!v)
            return -ENOMEM;
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n++] = (struct ids_entry){ .key = key, .name = name };
    return 0;
}

/* Copies NAME (LEN bytes) into the arena; its offset in *OFF. */
static int arena_add(struct nodedev_pci_ids *ids, const char *name, size_t len, uint32_t *off)
{
    if (ids->arena_len + len + 1 > ids->arena_cap) {
        size_t cap = ids->arena_cap ? ids->arena_cap * 2 : 64 * 1024;
        char *a;

        while (cap < ids->arena_len + len + 1)
            cap *= 2;
        if (cap > UINT32_MAX)
            return -EFBIG;
        if (!(a = realloc(ids->arena, cap)))
            return -ENOMEM;
        ids->arena = a;
        ids->arena_cap = cap;
    }
    memcpy(ids->arena + ids->arena_len, name, len);
    ids->arena[ids->arena_len + len] = '\0';
    *off = (uint32_t)ids->arena_len;
    ids->arena_len += len + 1;
    return 0;
}

/* A name the XML writer takes: UTF-8 without control characters (one bad
 * line must not make every device of that vendor unformattable). */
static bool name_ok(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return mv_utf8_valid(s, len);
}

/* One parsed line: its indentation, the 4-digit id and the name after it. */
struct ids_line {
    int tabs;
    unsigned int id;
    const char *name;
    size_t name_len;
};

/* Parses LINE (LEN bytes, no newline) as "<tabs>XXXX<blanks>name".  False
 * for anything else, including an id that is not exactly 4 hex digits and
 * an empty or overlong name. */
static bool parse_line(const char *line, size_t len, struct ids_line *out)
{
    size_t i = 0;

    while (i < len && i < 3 && line[i] == '\t')
        i++;
    out->tabs = (int)i;
    if (len - i < 5)
        return false;
    out->id = 0;
    for (int k = 0; k < 4; k++) {
        int h = mv_hex_digit(line[i + k]);

        if (h < 0)
            return false;
        out->id = out->id << 4 | (unsigned int)h;
    }
    i += 4;
    if (line[i] != ' ' && line[i] != '\t')
        return false;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    while (len > i && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
        len--;
    if (len == i || len - i > PCI_IDS_NAME_MAX || !name_ok(line + i, len - i))
        return false;
    out->name = line + i;
    out->name_len = len - i;
    return true;
}

/* Adds the line at TEXT (LEN bytes) to IDS; *VENDOR is the vendor whose
 * device lines follow, -1 when none does (before the first vendor, in the
 * class section). */
static int add_line(struct nodedev_pci_ids *ids, const char *text, size_t len, long *vendor)
{
    struct ids_line l;
    uint32_t off;
    int r;

    if (len == 0 || text[0] == '#')
        return 0;
    if (!parse_line(text, len, &l)) {
        /* a top-level line that is no vendor ends the vendor's devices:
         * "C 03  Display controller" must not lend its subclasses to ffff */
        if (text[0] != '\t')
            *vendor = -1;
        return 0;
    }
    if (l.tabs == 0) {
        *vendor = l.id;
        if ((r = arena_add(ids, l.name, l.name_len, &off)) < 0)
            return r;
        return table_add(&ids->vendors, l.id, off);
    }
    if (l.tabs != 1 || *vendor < 0)
        return 0;
    if ((r = arena_add(ids, l.name, l.name_len, &off)) < 0)
        return r;
    return table_add(&ids->products, (uint32_t)*vendor << 16 | l.id, off);
}

static int entry_cmp(const void *a, const void *b)
{
    const struct ids_entry *x = a, *y = b;

    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    /* the earlier line first, so that dedup keeps it */
    return x->name < y->name ? -1 : x->name > y->name;
}

static void table_sort(struct ids_table *t)
{
    size_t out = 0;

    if (t->n == 0)
        return;
    qsort(t->v, t->n, sizeof(*t->v), entry_cmp);
    for (size_t i = 0; i < t->n; i++)
        if (out == 0 || t->v[out - 1].key != t->v[i].key)
            t->v[out++] = t->v[i];
    t->n = out;
}

static int parse(struct nodedev_pci_ids *ids, const char *text, size_t len)
{
    long vendor = -1;
    size_t pos = 0;
    int r;

    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;

        if ((r = add_line(ids, text + pos, end - pos, &vendor)) < 0)
            return r;
        pos = end + 1;
    }
    table_sort(&ids->vendors);
    table_sort(&ids->products);
    return 0;
}

int nodedev_pci_ids_load(const char *path, struct nodedev_pci_ids **out)
{
    _cleanup_free_ char *text = NULL;
    struct nodedev_pci_ids *ids;
    size_t len = 0;
    int r;

    if ((r = mv_file_read_all(path, PCI_IDS_FILE_MAX, &text, &len)) < 0)
        return r;
    if (!(ids = calloc(1, sizeof(*ids))))
        return -ENOMEM;
    if ((r = parse(ids, text, len)) < 0) {
        nodedev_pci_ids_free(ids);
        return r;
    }
    *out = ids;
    return 0;
}

void nodedev_pci_ids_free(struct nodedev_pci_ids *ids)
{
    if (!ids)
        return;
    free(ids->vendors.v);
    free(ids->products.v);
    free(ids->arena);
    free(ids);
}

static const char *lookup(const struct nodedev_pci_ids *ids, const struct ids_table *t, uint32_t key)
{
    size_t lo = 0, hi = t->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (t->v[mid].key == key)
            return ids->arena + t->v[mid].name;
        if (t->v[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const char *nodedev_pci_vendor_name(const struct nodedev_pci_ids *ids, unsigned int vendor)
{
    if (!ids || vendor > 0xffff)
        return NULL;
    return lookup(ids, &ids->vendors, vendor);
}

const char *nodedev_pci_product_name(const struct nodedev_pci_ids *ids, unsigned int vendor, unsigned int product)
{
    if (!ids || vendor > 0xffff || product > 0xffff)
        return NULL;
    return lookup(ids, &ids->products, vendor << 16 | product);
}
