/* MAC address text: normalising, the unicast check, random QEMU-range addresses. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "net_mac.h"

static int hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

int mv_mac_normalize(const char *text, char out[MV_MAC_STRLEN])
{
    static const char digits[] = "0123456789abcdef";

    /* exactly two digits per octet: libvirt's schema pattern, and what
     * dnsmasq's leases file writes */
    if (!text || strlen(text) != MV_MAC_STRLEN - 1)
        return -EINVAL;
    for (size_t i = 0; i < MV_MAC_STRLEN - 1; i++) {
        int d = hex_digit(text[i]);

        if (i % 3 == 2) {
            if (text[i] != ':')
                return -EINVAL;
            out[i] = ':';
        } else if (d < 0) {
            return -EINVAL;
        } else {
            out[i] = digits[d];
        }
    }
    out[MV_MAC_STRLEN - 1] = '\0';
    return 0;
}

bool mv_mac_is_unicast(const char *mac)
{
    int d = hex_digit(mac[1]);

    return d >= 0 && (d & 1) == 0;
}

int mv_mac_generate(char out[MV_MAC_STRLEN])
{
    unsigned char b[3];

    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
        return errno ? -errno : -EIO;
    snprintf(out, MV_MAC_STRLEN, "52:54:00:%02x:%02x:%02x", b[0], b[1], b[2]);
    return 0;
}
