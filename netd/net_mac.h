/*
 * Ethernet MAC addresses as netd's XML carries them: text in the canonical
 * lower-case aa:bb:cc:dd:ee:ff form, so network XML, port XML, dnsmasq's
 * dhcp-host lines and lease lookups compare them with strcmp().
 */
#pragma once

#include <stdbool.h>

/* "aa:bb:cc:dd:ee:ff" and the NUL. */
#define MV_MAC_STRLEN 18

/* Parses TEXT (six pairs of hex digits, either case, separated by ':') into
 * OUT in lower case.  0 or -EINVAL. */
int mv_mac_normalize(const char *text, char out[MV_MAC_STRLEN]);
/* True for a unicast address (the group bit of the first octet clear). */
bool mv_mac_is_unicast(const char *mac);
/* A random address in QEMU's 52:54:00 range.  0 or -errno (no random bytes). */
int mv_mac_generate(char out[MV_MAC_STRLEN]);
