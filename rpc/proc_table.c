#include <stddef.h>

#include "cleanup.h"
#include "error_codes.h"
#include "proc_table.h"
#include "remote_protocol.h"

#define RO MV_PROC_READONLY_OK
#define PRE_AUTH (MV_PROC_BEFORE_AUTH | MV_PROC_BEFORE_OPEN | MV_PROC_READONLY_OK)
#define PRE_OPEN (MV_PROC_BEFORE_OPEN | MV_PROC_READONLY_OK)

#define P(NAME, API, SUBSYS, FLAGS) \
    [MV_PROC_##NAME] = { MV_PROC_##NAME, #NAME, API, MV_SUBSYS_##SUBSYS, FLAGS }

/* Indexed by procedure number; later subsystems append their rows. */
static const struct mv_proc_info procs[] = {
    P(AUTH_LIST, "virConnectOpen", CONNECT, PRE_AUTH),
    P(AUTH_SASL_INIT, "virConnectOpen", CONNECT, PRE_AUTH),
    P(AUTH_SASL_START, "virConnectOpen", CONNECT, PRE_AUTH),
    P(AUTH_SASL_STEP, "virConnectOpen", CONNECT, PRE_AUTH),
    P(AUTH_POLKIT, "virConnectOpen", CONNECT, PRE_AUTH),
    P(CONNECT_SUPPORTS_FEATURE, "virConnectSupportsFeature", CONNECT, PRE_OPEN),
    P(CONNECT_OPEN, "virConnectOpen", CONNECT, PRE_OPEN),
    P(CONNECT_CLOSE, "virConnectClose", CONNECT, PRE_OPEN),
    P(CONNECT_GET_URI, "virConnectGetURI", CONNECT, RO),
    P(CONNECT_GET_TYPE, "virConnectGetType", CONNECT, RO),
    P(CONNECT_GET_LIB_VERSION, "virConnectGetLibVersion", CONNECT, RO),
    P(CONNECT_IS_SECURE, "virConnectIsSecure", CONNECT, RO),
    P(CONNECT_REGISTER_CLOSE_CALLBACK, "virConnectRegisterCloseCallback", CONNECT, RO),
    P(CONNECT_UNREGISTER_CLOSE_CALLBACK, "virConnectUnregisterCloseCallback", CONNECT, RO),
    P(CONNECT_SET_IDENTITY, "virConnectSetIdentity", CONNECT, 0),

    P(CONNECT_GET_VERSION, "virConnectGetVersion", QEMU, RO),
    P(CONNECT_GET_HOSTNAME, "virConnectGetHostname", QEMU, RO),
    P(CONNECT_GET_CAPABILITIES, "virConnectGetCapabilities", QEMU, RO),
    P(CONNECT_GET_SYSINFO, "virConnectGetSysinfo", QEMU, RO),
    P(CONNECT_GET_MAX_VCPUS, "virConnectGetMaxVcpus", QEMU, RO),
    P(NODE_GET_INFO, "virNodeGetInfo", QEMU, RO),
    P(NODE_GET_CPU_STATS, "virNodeGetCPUStats", QEMU, RO),
    P(NODE_GET_MEMORY_STATS, "virNodeGetMemoryStats", QEMU, RO),
    P(NODE_GET_FREE_MEMORY, "virNodeGetFreeMemory", QEMU, RO),
    P(NODE_GET_CELLS_FREE_MEMORY, "virNodeGetCellsFreeMemory", QEMU, RO),
    P(NODE_GET_SECURITY_MODEL, "virNodeGetSecurityModel", QEMU, RO),

    P(CONNECT_LIST_ALL_DOMAINS, "virConnectListAllDomains", QEMU, RO),
    P(CONNECT_NUM_OF_DOMAINS, "virConnectNumOfDomains", QEMU, RO),
    P(CONNECT_LIST_DOMAINS, "virConnectListDomains", QEMU, RO),
    P(CONNECT_NUM_OF_DEFINED_DOMAINS, "virConnectNumOfDefinedDomains", QEMU, RO),
    P(CONNECT_LIST_DEFINED_DOMAINS, "virConnectListDefinedDomains", QEMU, RO),
    P(DOMAIN_LOOKUP_BY_NAME, "virDomainLookupByName", QEMU, RO),
    P(DOMAIN_DEFINE_XML, "virDomainDefineXML", QEMU, 0),
    P(DOMAIN_DEFINE_XML_FLAGS, "virDomainDefineXMLFlags", QEMU, 0),
    P(DOMAIN_LOOKUP_BY_UUID, "virDomainLookupByUUID", QEMU, RO),
    P(DOMAIN_LOOKUP_BY_ID, "virDomainLookupByID", QEMU, RO),
    P(DOMAIN_UNDEFINE, "virDomainUndefine", QEMU, 0),
    P(DOMAIN_UNDEFINE_FLAGS, "virDomainUndefineFlags", QEMU, 0),
    P(DOMAIN_CREATE, "virDomainCreate", QEMU, 0),
    P(DOMAIN_CREATE_WITH_FLAGS, "virDomainCreateWithFlags", QEMU, 0),
    P(DOMAIN_CREATE_XML, "virDomainCreateXML", QEMU, 0),
    P(DOMAIN_DESTROY, "virDomainDestroy", QEMU, 0),
    P(DOMAIN_DESTROY_FLAGS, "virDomainDestroyFlags", QEMU, 0),
    P(DOMAIN_SHUTDOWN, "virDomainShutdown", QEMU, 0),
    P(DOMAIN_SHUTDOWN_FLAGS, "virDomainShutdownFlags", QEMU, 0),
    P(DOMAIN_REBOOT, "virDomainReboot", QEMU, 0),
    P(DOMAIN_RESET, "virDomainReset", QEMU, 0),
    P(DOMAIN_SUSPEND, "virDomainSuspend", QEMU, 0),
    P(DOMAIN_RESUME, "virDomainResume", QEMU, 0),
    P(DOMAIN_GET_STATE, "virDomainGetState", QEMU, RO),
    P(DOMAIN_GET_INFO, "virDomainGetInfo", QEMU, RO),
    P(DOMAIN_GET_CONTROL_INFO, "virDomainGetControlInfo", QEMU, RO),
    P(DOMAIN_GET_XML_DESC, "virDomainGetXMLDesc", QEMU, RO),
    P(DOMAIN_GET_OS_TYPE, "virDomainGetOSType", QEMU, RO),
    P(DOMAIN_GET_MAX_MEMORY, "virDomainGetMaxMemory", QEMU, RO),
    P(DOMAIN_GET_MAX_VCPUS, "virDomainGetMaxVcpus", QEMU, RO),
    P(DOMAIN_GET_VCPUS_FLAGS, "virDomainGetVcpusFlags", QEMU, RO),
    P(DOMAIN_IS_ACTIVE, "virDomainIsActive", QEMU, RO),
    P(DOMAIN_IS_PERSISTENT, "virDomainIsPersistent", QEMU, RO),
    P(DOMAIN_IS_UPDATED, "virDomainIsUpdated", QEMU, RO),
    P(DOMAIN_GET_AUTOSTART, "virDomainGetAutostart", QEMU, RO),
    P(DOMAIN_SET_AUTOSTART, "virDomainSetAutostart", QEMU, 0),
    P(DOMAIN_SET_MEMORY, "virDomainSetMemory", QEMU, 0),
    P(DOMAIN_SET_MEMORY_FLAGS, "virDomainSetMemoryFlags", QEMU, 0),
    P(DOMAIN_SET_MAX_MEMORY, "virDomainSetMaxMemory", QEMU, 0),
    P(DOMAIN_HAS_MANAGED_SAVE_IMAGE, "virDomainHasManagedSaveImage", QEMU, RO),
    P(DOMAIN_SNAPSHOT_NUM, "virDomainSnapshotNum", QEMU, RO),
    P(DOMAIN_GET_SECURITY_LABEL, "virDomainGetSecurityLabel", QEMU, RO),
    P(DOMAIN_GET_MESSAGES, "virDomainGetMessages", QEMU, RO),
    P(DOMAIN_OPEN_CONSOLE, "virDomainOpenConsole", QEMU, 0),
    P(CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, "virConnectDomainEventRegisterAny", QEMU, RO),
    P(CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY, "virConnectDomainEventDeregisterAny", QEMU, RO),
};

const struct mv_proc_info *mv_proc_lookup(int proc)
{
    if (proc <= 0 || (size_t)proc >= MV_ARRAY_SIZE(procs) || !procs[proc].name)
        return NULL;
    return &procs[proc];
}

const char *mv_subsystem_name(enum mv_subsystem s)
{
    static const char *const names[MV_SUBSYS_COUNT] = {
        [MV_SUBSYS_CONNECT] = "connect", [MV_SUBSYS_QEMU] = "qemu",
        [MV_SUBSYS_NETWORK] = "network", [MV_SUBSYS_STORAGE] = "storage",
        [MV_SUBSYS_NODEDEV] = "nodedev",
    };
    return (unsigned)s < MV_SUBSYS_COUNT ? names[s] : "unknown";
}

int mv_subsystem_error_domain(enum mv_subsystem s)
{
    switch (s) {
    case MV_SUBSYS_NETWORK: return MV_FROM_NETWORK;
    case MV_SUBSYS_STORAGE: return MV_FROM_STORAGE;
    case MV_SUBSYS_NODEDEV: return MV_FROM_NODEDEV;
    default: return MV_FROM_DOMAIN;
    }
}
