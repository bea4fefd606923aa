/* USB names from usb.ids (usb_ids.h) */
#include "usb_ids.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "hex.h"
#include "utf8.h"

/* where Debian (usbutils), Fedora (hwdata) and others install it */
static const char *const usb_ids_paths[] = {
    "/usr/share/misc/usb.ids", "/usr/share/hwdata/usb.ids", "/usr/share/usb.ids",
};

/* "XXXX  Name": 4 hex digits, then the name after blanks.  The id in *ID,
 * the name returned; NULL if LINE is not such an entry. */
static const char *parse_entry(const char *line, unsigned int *id)
{
    unsigned int v = 0;
    for (int i = 0; i < 4; i++) {
        int x = mv_hex_digit(line[i]);
        if (x < 0)
            return NULL;
        v = v << 4 | (unsigned int)x;
    }
    if (line[4] != ' ')
        return NULL;
    *id = v;
    return line + 4 + strspn(line + 4, " ");
}

/* A copy of NAME without its line end; NULL (no name) if it is not UTF-8:
 * the XML must stay well formed whatever the file holds. */
static int copy_name(const char *name, char **out)
{
    size_t len = strcspn(name, "\r\n");
    if (len == 0 || !mv_utf8_valid(name, len))
        return 0;
    *out = strndup(name, len);
    return *out ? 0 : -ENOMEM;
}

static FILE *open_usb_ids(const char *path)
{
    if (path)
        return fopen(path, "re");
    for (size_t i = 0; i < MV_ARRAY_SIZE(usb_ids_paths); i++) {
        FILE *f = fopen(usb_ids_paths[i], "re");
        if (f)
            return f;
    }
    return NULL;
}

int nodedev_usb_ids_lookup(const char *path, unsigned int vendor, unsigned int product,
                           char **vendor_name, char **product_name)
{
    *vendor_name = *product_name = NULL;
    _cleanup_fclose_ FILE *f = open_usb_ids(path);
    if (!f)
        return 0;

    _cleanup_free_ char *line = NULL;
    size_t cap = 0;
    bool in_vendor = false;
    while (getline(&line, &cap, f) >= 0) {
        unsigned int id;
        const char *name;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (line[0] != '\t') {
            /* a vendor line ends the previous vendor; any other section
             * (C classes, AT, HID...) ends the vendor list */
            if (in_vendor || !(name = parse_entry(line, &id)))
                break;
            if (id == vendor) {
                in_vendor = true;
                if (copy_name(name, vendor_name) < 0)
                    return -ENOMEM;
            }
        } else if (in_vendor && line[1] != '\t' && (name = parse_entry(line + 1, &id)) &&
                   id == product) {
            if (copy_name(name, product_name) < 0) {
                free(*vendor_name);
                *vendor_name = NULL;
                return -ENOMEM;
            }
            break;
        }
    }
    return 0;
}
