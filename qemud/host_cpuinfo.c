#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host_cpuinfo.h"

int mv_host_cpuinfo_value(const char *cpuinfo, const char *key, char **value)
{
    size_t klen = strlen(key);

    for (const char *line = cpuinfo; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);

        if (len > klen && strncmp(line, key, klen) == 0) {
            const char *p = line + klen;
            const char *end = line + len;

            while (p < end && (*p == ' ' || *p == '\t'))
                p++;
            if (p < end && *p == ':') {
                char *v;

                p++;
                while (p < end && (*p == ' ' || *p == '\t'))
                    p++;
                while (end > p && isspace((unsigned char)end[-1]))
                    end--;
                v = strndup(p, (size_t)(end - p));
                if (!v)
                    return -ENOMEM;
                *value = v;
                return 0;
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    return -ENOENT;
}
