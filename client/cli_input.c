/*
 * How the modvirt tool reads what the user hands it: XML files for define
 * and net-update, bounded by what one protocol string may carry.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"

/* Largest XML file read: the protocol's string limit. */
#define XML_MAX (4 * 1024 * 1024)

char *cli_read_xml(const char *path)
{
    _cleanup_fclose_ FILE *f = strcmp(path, "-") == 0 ? NULL : fopen(path, "re");
    FILE *in = f ? f : stdin;
    _cleanup_free_ char *buf = malloc(XML_MAX + 1);
    size_t len;

    if (!f && strcmp(path, "-") != 0) {
        cli_error("cannot read '%s': %s", path, strerror(errno));
        return NULL;
    }
    if (!buf) {
        cli_error("out of memory");
        return NULL;
    }
    len = fread(buf, 1, XML_MAX + 1, in);
    if (ferror(in)) {
        cli_error("cannot read '%s': %s", path, strerror(errno));
        return NULL;
    }
    if (len > XML_MAX) {
        cli_error("'%s' is larger than %d bytes", path, XML_MAX);
        return NULL;
    }
    buf[len] = '\0';
    return TAKE_PTR(buf);
}
