#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "cleanup.h"
#include "errmsg.h"
#include "utf8.h"
#include "validate.h"

static int name_error(const char *what, const char *name, size_t len, const char *why, char **errmsg)
{
    _cleanup_free_ char *q = mv_errmsg_quote(name, len, MV_ERRMSG_QUOTE_MAX);

    return mv_errmsg_set(errmsg, -EINVAL, "invalid %s name '%s': %s", what, q ? q : "?", why);
}

static bool is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp < 0xa0);
}

static int check_name(const char *what, const char *name, bool allow_dot, char **errmsg)
{
    size_t len;

    if (!what)
        what = "object";
    if (!name || !*name)
        return mv_errmsg_set(errmsg, -EINVAL, "invalid %s name: names must not be empty", what);
    /* bounded scan: the name may be a huge client-supplied string */
    len = strnlen(name, MV_NAME_MAX + 1);
    if (len > MV_NAME_MAX)
        return name_error(what, name, len, "names must be at most 255 bytes long", errmsg);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        int n = mv_utf8_decode(name + i, len - i, &cp);

        if (n < 0)
            return name_error(what, name, len, "names must be valid UTF-8", errmsg);
        if (cp == '/')
            return name_error(what, name, len, "names must not contain '/'", errmsg);
        if (is_control(cp))
            return name_error(what, name, len, "names must not contain control characters", errmsg);
        i += (size_t)n;
    }
    /* after the character checks, so that "../x" is reported for its '/' */
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return name_error(what, name, len, "names must not be '.' or '..'", errmsg);
    if (!allow_dot && name[0] == '.')
        return name_error(what, name, len, "names must not start with '.'", errmsg);
    return 0;
}

int mv_validate_name(const char *what, const char *name, char **errmsg)
{
    return check_name(what, name, false, errmsg);
}

int mv_validate_path_component(const char *what, const char *name, char **errmsg)
{
    return check_name(what, name, true, errmsg);
}

bool mv_path_is_absolute_clean(const char *path)
{
    const char *p;

    if (!path || path[0] != '/')
        return false;
    /* walk the components after each '/': "", "." and ".." are unclean,
     * except the empty one after a trailing '/' */
    for (p = path + 1;;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);

        if (len == 0 && slash)
            return false;
        if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        if (!slash)
            return true;
        p = slash + 1;
    }
}
