/*
 * libvirt error numbers and error domains as they travel in mv_error
 * (wire-protocol.md 3.2-3.3).  Clients branch on (code, domain), so the
 * values are fixed by the protocol; the enums are append-only upstream.
 */
#pragma once

enum mv_error_code {
    MV_ERR_OK = 0,
    MV_ERR_INTERNAL_ERROR = 1,
    MV_ERR_NO_MEMORY = 2,
    MV_ERR_NO_SUPPORT = 3,
    MV_ERR_NO_CONNECT = 5,
    MV_ERR_INVALID_ARG = 8,
    MV_ERR_OPERATION_FAILED = 9,
    MV_ERR_XML_ERROR = 27,
    MV_ERR_DOM_EXIST = 28,
    MV_ERR_OPERATION_DENIED = 29,
    MV_ERR_XML_DETAIL = 35,
    MV_ERR_SYSTEM_ERROR = 38,
    MV_ERR_RPC = 39,
    MV_ERR_NO_DOMAIN = 42,
    MV_ERR_NO_NETWORK = 43,
    MV_ERR_AUTH_FAILED = 45,
    MV_ERR_NO_STORAGE_POOL = 49,
    MV_ERR_NO_STORAGE_VOL = 50,
    MV_ERR_NO_NODE_DEVICE = 53,
    MV_ERR_OPERATION_INVALID = 55,
    MV_ERR_INVALID_SECRET = 65,
    MV_ERR_NO_SECRET = 66,
    MV_ERR_CONFIG_UNSUPPORTED = 67,
    MV_ERR_OPERATION_TIMEOUT = 68,
    MV_ERR_NO_DOMAIN_SNAPSHOT = 72,
    MV_ERR_ARGUMENT_UNSUPPORTED = 74,
    MV_ERR_SNAPSHOT_REVERT_RISKY = 77,
    MV_ERR_OPERATION_ABORTED = 78,
    MV_ERR_AUTH_CANCELLED = 79,
    MV_ERR_OPERATION_UNSUPPORTED = 84,
    MV_ERR_AGENT_UNRESPONSIVE = 86,
    MV_ERR_RESOURCE_BUSY = 87,
    MV_ERR_ACCESS_DENIED = 88,
    MV_ERR_AUTH_UNAVAILABLE = 94,
    MV_ERR_DEVICE_MISSING = 99,
    MV_ERR_NETWORK_PORT_EXIST = 106,
    MV_ERR_NO_NETWORK_PORT = 107,
    MV_ERR_NO_HOSTNAME = 108,
};

enum mv_error_domain {
    MV_FROM_NONE = 0,
    MV_FROM_XML = 5,
    MV_FROM_RPC = 7,
    MV_FROM_QEMU = 10,
    MV_FROM_REMOTE = 13,
    MV_FROM_STORAGE = 18,
    MV_FROM_NETWORK = 19,
    MV_FROM_DOMAIN = 20,
    MV_FROM_NODEDEV = 22,
    MV_FROM_SECRET = 30,
    MV_FROM_DOMAIN_SNAPSHOT = 35,
    MV_FROM_STREAMS = 38,
    MV_FROM_ACCESS = 55,
    MV_FROM_POLKIT = 60,
};

/* virErrorLevel: libvirt always sends ERROR. */
#define MV_ERR_LEVEL_ERROR 2
