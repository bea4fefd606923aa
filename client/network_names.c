/*
 * The words virsh net-update takes for its command and section arguments,
 * and the names virsh net-event gives lifecycle events (virsh-network.c of
 * libvirt 9.0), so that command lines and scripts written for virsh work
 * with modvirt unchanged.
 */
#include <string.h>

#include "cleanup.h"
#include "internal.h"

struct word {
    const char *name;
    int value;
};

static int find(const struct word *words, size_t n, const char *name)
{
    for (size_t i = 0; name && i < n; i++)
        if (strcmp(words[i].name, name) == 0)
            return words[i].value;
    return -1;
}

static const struct word commands[] = {
    /* virsh's "add" appends, as "add-last" does */
    { "add", MODVIRT_NETWORK_UPDATE_COMMAND_ADD_LAST },
    { "add-last", MODVIRT_NETWORK_UPDATE_COMMAND_ADD_LAST },
    { "add-first", MODVIRT_NETWORK_UPDATE_COMMAND_ADD_FIRST },
    { "delete", MODVIRT_NETWORK_UPDATE_COMMAND_DELETE },
    { "modify", MODVIRT_NETWORK_UPDATE_COMMAND_MODIFY },
};

static const struct word sections[] = {
    { "bridge", MODVIRT_NETWORK_SECTION_BRIDGE },
    { "domain", MODVIRT_NETWORK_SECTION_DOMAIN },
    { "ip", MODVIRT_NETWORK_SECTION_IP },
    { "ip-dhcp-host", MODVIRT_NETWORK_SECTION_IP_DHCP_HOST },
    { "ip-dhcp-range", MODVIRT_NETWORK_SECTION_IP_DHCP_RANGE },
    { "forward", MODVIRT_NETWORK_SECTION_FORWARD },
    { "forward-interface", MODVIRT_NETWORK_SECTION_FORWARD_INTERFACE },
    { "forward-pf", MODVIRT_NETWORK_SECTION_FORWARD_PF },
    { "portgroup", MODVIRT_NETWORK_SECTION_PORTGROUP },
    { "dns-host", MODVIRT_NETWORK_SECTION_DNS_HOST },
    { "dns-txt", MODVIRT_NETWORK_SECTION_DNS_TXT },
    { "dns-srv", MODVIRT_NETWORK_SECTION_DNS_SRV },
};

int modvirt_network_update_command_from_name(const char *name)
{
    return find(commands, MV_ARRAY_SIZE(commands), name);
}

int modvirt_network_update_section_from_name(const char *name)
{
    return find(sections, MV_ARRAY_SIZE(sections), name);
}

static const char *const event_types[] = { "Defined", "Undefined", "Started", "Stopped" };

const char *modvirt_network_event_type_name(int type)
{
    if (type < 0 || (size_t)type >= MV_ARRAY_SIZE(event_types))
        return "unknown";
    return event_types[type];
}
