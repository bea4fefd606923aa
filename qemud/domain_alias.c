/*
 * Aliases: the QEMU id of every device, shown in the live XML as libvirt
 * shows its aliases, so that what virsh and QMP name is one thing.  A user
 * alias ("ua-...", kept in the definition) is the device's id; the others
 * are given at start by the kind table (domain_address_kinds.c).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domain_address.h"
#include "domain_address_priv.h"

/* Console 0 of target type serial beside a <serial>: not a device of its
 * own but serial 0 (the command line adds nothing for it), so libvirt shows
 * it with serial 0's alias, a user alias included. */
static bool console0_is_serial(const struct mv_dom_devices *d)
{
    const char *type = d->nconsoles ? d->consoles[0].target_type : NULL;

    return d->nconsoles && d->nserials && (!type || streq(type, "serial"));
}

static bool is_serial_console(const struct mv_dom_devices *d, const struct dev_kind *k, size_t i)
{
    return !k->single && k->array == offsetof(struct mv_dom_devices, consoles) && i == 0 && console0_is_serial(d);
}

static int serial_console_alias(struct mv_dom_devices *d)
{
    char *copy;

    if (!console0_is_serial(d) || !d->serials[0].alias)
        return 0;
    if (!(copy = strdup(d->serials[0].alias)))
        return -ENOMEM;
    free(d->consoles[0].alias);
    d->consoles[0].alias = copy;
    return 0;
}

int addr_assign_aliases(struct assign *a)
{
    struct mv_dom_devices *d = &a->def->devices;
    char id[64];

    for (size_t r = 0; r < addr_nkinds; r++) {
        const struct dev_kind *k = &addr_kinds[r];

        for (size_t i = 0; i < addr_kind_count(k, d); i++) {
            void *dev = addr_kind_elem(k, d, i);
            char **alias = addr_elem_alias(k, dev);

            if (*alias || !addr_kind_id(k, a, dev, i, id, sizeof(id)))
                continue;
            if (!(*alias = strdup(id)))
                return -ENOMEM;
        }
    }
    return serial_console_alias(d);
}

/* ---- user aliases unique ---- */

/* Calls FN on every device's alias slot but a serial console's, which is
 * its serial's (an element two rows share, the controllers, comes twice:
 * the same slot). */
static const char *find_alias(const struct mv_dom_def *def, const char *(*fn)(const char *alias, void *opaque),
                              void *opaque)
{
    struct mv_dom_devices *d = (struct mv_dom_devices *)&def->devices;     /* only read */
    const char *found = NULL;

    for (size_t r = 0; !found && r < addr_nkinds; r++)
        for (size_t i = 0; !found && i < addr_kind_count(&addr_kinds[r], d); i++)
            if (!is_serial_console(d, &addr_kinds[r], i))
                found = fn(*addr_elem_alias(&addr_kinds[r], addr_kind_elem(&addr_kinds[r], d, i)), opaque);
    return found;
}

/* X again, in another slot (another char *) */
static const char *same_user_alias(const char *alias, void *opaque)
{
    const char *x = opaque;

    return alias && alias != x && strcmp(alias, x) == 0 ? x : NULL;
}

static const char *user_alias_twice(const char *alias, void *opaque)
{
    if (!alias || strncmp(alias, "ua-", 3) != 0)
        return NULL;
    return find_alias(opaque, same_user_alias, (void *)alias);
}

const char *mv_dom_duplicate_user_alias(const struct mv_dom_def *def)
{
    return find_alias(def, user_alias_twice, (void *)def);
}
