/* Kernel uevent messages: see uevent_msg.h. */
#include <errno.h>
#include <string.h>

#include "cleanup.h"
#include "uevent_msg.h"

static const char *const action_names[] = {
    [NODEDEV_UEVENT_ADD] = "add",         [NODEDEV_UEVENT_REMOVE] = "remove",
    [NODEDEV_UEVENT_CHANGE] = "change",   [NODEDEV_UEVENT_MOVE] = "move",
    [NODEDEV_UEVENT_ONLINE] = "online",   [NODEDEV_UEVENT_OFFLINE] = "offline",
    [NODEDEV_UEVENT_BIND] = "bind",       [NODEDEV_UEVENT_UNBIND] = "unbind",
};

const char *nodedev_uevent_action_name(enum nodedev_uevent_action a)
{
    return (unsigned int)a < MV_ARRAY_SIZE(action_names) ? action_names[a] : NULL;
}

/* The action named by the LEN bytes at P (not NUL-terminated), or -1. */
static int action_from(const char *p, size_t len)
{
    for (size_t i = 0; i < MV_ARRAY_SIZE(action_names); i++)
        if (strlen(action_names[i]) == len && memcmp(action_names[i], p, len) == 0)
            return (int)i;
    return -1;
}

bool nodedev_uevent_devpath_ok(const char *p, size_t len)
{
    size_t start;

    if (len < 2 || len > NODEDEV_UEVENT_DEVPATH_MAX || p[0] != '/')
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
            return false;
    /* every component between slashes: not empty, not "." or ".." (a
     * path that climbs out of /sys would make us read anything) */
    for (start = 1; start <= len; ) {
        const char *slash = memchr(p + start, '/', len - start);
        size_t end = slash ? (size_t)(slash - p) : len;
        size_t clen = end - start;

        if (clen == 0 || (clen == 1 && p[start] == '.') ||
            (clen == 2 && p[start] == '.' && p[start + 1] == '.'))
            return false;
        start = end + 1;
    }
    return true;
}

/* Decimal digits only, no sign, no overflow; at least one digit. */
static int parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;

    if (!*s)
        return -EBADMSG;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -EBADMSG;
        if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
            return -EBADMSG;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return 0;
}

/* The keys we read; each may appear once. */
enum key { K_ACTION, K_DEVPATH, K_DEVPATH_OLD, K_SUBSYSTEM, K_SEQNUM, K_LAST };
static const char *const key_names[K_LAST] = {
    [K_ACTION] = "ACTION", [K_DEVPATH] = "DEVPATH", [K_DEVPATH_OLD] = "DEVPATH_OLD",
    [K_SUBSYSTEM] = "SUBSYSTEM", [K_SEQNUM] = "SEQNUM",
};

/* Reads the "KEY=VALUE\0" fields in [P, END) into VALUES (by enum key);
 * keys we do not read are skipped, but every field must be well formed. */
static int parse_fields(const char *p, const char *end, const char *values[K_LAST])
{
    while (p < end) {
        const char *nul = memchr(p, '\0', (size_t)(end - p));
        const char *eq;
        size_t klen;

        if (!nul || nul == p)
            return -EBADMSG;            /* truncated, or an empty field */
        eq = memchr(p, '=', (size_t)(nul - p));
        if (!eq || eq == p)
            return -EBADMSG;
        klen = (size_t)(eq - p);
        for (int k = 0; k < K_LAST; k++) {
            if (strlen(key_names[k]) != klen || memcmp(key_names[k], p, klen) != 0)
                continue;
            if (values[k])
                return -EBADMSG;        /* which of the two would be true? */
            values[k] = eq + 1;
        }
        p = nul + 1;
    }
    return 0;
}

int nodedev_uevent_parse(const char *buf, size_t len, struct nodedev_uevent *out)
{
    static const char udev_magic[] = "libudev";    /* with its NUL */
    const char *values[K_LAST] = { 0 };
    struct nodedev_uevent ev = { 0 };
    const char *hdr_end, *at;
    size_t alen, plen;
    int action, r;

    if (len == 0 || len > NODEDEV_UEVENT_MSG_MAX)
        return -EBADMSG;
    if (len >= sizeof(udev_magic) && memcmp(buf, udev_magic, sizeof(udev_magic)) == 0)
        return -EPROTO;
    hdr_end = memchr(buf, '\0', len);
    if (!hdr_end)
        return -EBADMSG;
    at = memchr(buf, '@', (size_t)(hdr_end - buf));
    if (!at || at == buf)
        return -EBADMSG;
    alen = (size_t)(at - buf);
    plen = (size_t)(hdr_end - at - 1);
    if (!nodedev_uevent_devpath_ok(at + 1, plen))
        return -EBADMSG;
    r = parse_fields(hdr_end + 1, buf + len, values);
    if (r < 0)
        return r;
    /* the header and the fields say the same, or the message is not the
     * kernel's (which writes both from one kobject) */
    if (values[K_ACTION] && (strlen(values[K_ACTION]) != alen || memcmp(values[K_ACTION], buf, alen) != 0))
        return -EBADMSG;
    if (values[K_DEVPATH] && strcmp(values[K_DEVPATH], at + 1) != 0)
        return -EBADMSG;
    if (values[K_SEQNUM] && parse_u64(values[K_SEQNUM], &ev.seqnum) < 0)
        return -EBADMSG;
    action = action_from(buf, alen);
    if (action < 0)
        return -EOPNOTSUPP;
    ev.action = (enum nodedev_uevent_action)action;
    ev.devpath = at + 1;
    ev.subsystem = values[K_SUBSYSTEM] && *values[K_SUBSYSTEM] ? values[K_SUBSYSTEM] : NULL;
    if (ev.action == NODEDEV_UEVENT_MOVE) {
        if (!values[K_DEVPATH_OLD] || !nodedev_uevent_devpath_ok(values[K_DEVPATH_OLD], strlen(values[K_DEVPATH_OLD])))
            return -EBADMSG;
        ev.devpath_old = values[K_DEVPATH_OLD];
    }
    *out = ev;
    return 0;
}
