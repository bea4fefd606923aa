"""mvnetrpc: the network procedures of libvirt's REMOTE program as raw XDR,
for the netd tests that send what virsh and python3-libvirt never would
(read-only refusals checked at the daemon, truncated and oversized
arguments).  Built on mvrpc (struct, not the daemon's codec); the layouts
are those of wire-protocol.md sections 4 and 8.6.
"""
import struct
import uuid as uuidlib

import mvrpc

# procedure numbers (remote_protocol.x)
CREATE = 39
CREATE_XML = 40
DEFINE_XML = 41
DESTROY = 42
GET_XML_DESC = 43
GET_AUTOSTART = 44
GET_BRIDGE_NAME = 45
LOOKUP_BY_NAME = 46
LOOKUP_BY_UUID = 47
SET_AUTOSTART = 48
UNDEFINE = 49
NUM_OF_DEFINED = 50
NUM_OF = 52
LIST_DEFINED = 36
LIST = 38
IS_ACTIVE = 152
IS_PERSISTENT = 153
LIST_ALL = 283
UPDATE = 291
EVENT_REGISTER_ANY = 313
EVENT_DEREGISTER_ANY = 314
GET_DHCP_LEASES = 341
LIST_ALL_PORTS = 404
PORT_LOOKUP_BY_UUID = 405
PORT_CREATE_XML = 406
PORT_GET_PARAMETERS = 407
PORT_SET_PARAMETERS = 408
PORT_GET_XML_DESC = 409
PORT_DELETE = 410
DEFINE_XML_FLAGS = 432
CREATE_XML_FLAGS = 437

URI = "network:///system"
RO_FLAG = 1     # VIR_CONNECT_RO in CONNECT_OPEN's flags


def u32(v):
    return struct.pack(">I", v & 0xFFFFFFFF)


def i32(v):
    return struct.pack(">i", v)


def s(text):
    return mvrpc.xdr_string(text)


def net(name, uuid):
    """remote_nonnull_network: name and the 16 raw bytes of its UUID."""
    return s(name) + uuidlib.UUID(uuid).bytes


def port(name, uuid, port_uuid):
    return net(name, uuid) + uuidlib.UUID(port_uuid).bytes


def args_for(proc, name, uuid, port_uuid, xml="<network/>"):
    """Well-formed arguments for PROC on network NAME/UUID (and port PORT_UUID)."""
    n = net(name, uuid)
    p = port(name, uuid, port_uuid)
    return {
        DEFINE_XML: s(xml),
        DEFINE_XML_FLAGS: s(xml) + u32(0),
        CREATE_XML: s(xml),
        CREATE_XML_FLAGS: s(xml) + u32(0),
        CREATE: n,
        DESTROY: n,
        UNDEFINE: n,
        SET_AUTOSTART: n + i32(1),
        UPDATE: n + u32(3) + u32(4) + i32(-1) + s("<host mac='52:54:00:00:00:09' ip='10.0.0.9'/>") + u32(0),
        PORT_CREATE_XML: n + s(xml) + u32(0),
        PORT_DELETE: p + u32(0),
        PORT_SET_PARAMETERS: p + u32(0) + u32(0),
        LIST_ALL: i32(1) + u32(0),
        NUM_OF: b"",
        LIST: i32(16),
        NUM_OF_DEFINED: b"",
        LIST_DEFINED: i32(16),
        LOOKUP_BY_NAME: s(name),
        LOOKUP_BY_UUID: uuidlib.UUID(uuid).bytes,
        GET_XML_DESC: n + u32(0),
        GET_BRIDGE_NAME: n,
        GET_AUTOSTART: n,
        IS_ACTIVE: n,
        IS_PERSISTENT: n,
        GET_DHCP_LEASES: n + u32(0) + i32(1) + u32(0),
        EVENT_REGISTER_ANY: i32(0) + u32(0),
        LIST_ALL_PORTS: n + i32(1) + u32(0),
        PORT_LOOKUP_BY_UUID: n + uuidlib.UUID(port_uuid).bytes,
        PORT_GET_XML_DESC: p + u32(0),
        PORT_GET_PARAMETERS: p + i32(0) + u32(0),
    }[proc]


# what the daemon names each changing procedure in a read-only refusal
RW_APIS = {
    DEFINE_XML: "virNetworkDefineXML",
    DEFINE_XML_FLAGS: "virNetworkDefineXMLFlags",
    CREATE_XML: "virNetworkCreateXML",
    CREATE_XML_FLAGS: "virNetworkCreateXMLFlags",
    CREATE: "virNetworkCreate",
    DESTROY: "virNetworkDestroy",
    UNDEFINE: "virNetworkUndefine",
    SET_AUTOSTART: "virNetworkSetAutostart",
    UPDATE: "virNetworkUpdate",
    PORT_CREATE_XML: "virNetworkPortCreateXML",
    PORT_DELETE: "virNetworkPortDelete",
    PORT_SET_PARAMETERS: "virNetworkPortSetParameters",
}

RO_PROCS = (LIST_ALL, NUM_OF, LIST, NUM_OF_DEFINED, LIST_DEFINED, LOOKUP_BY_NAME, LOOKUP_BY_UUID,
            GET_XML_DESC, GET_BRIDGE_NAME, GET_AUTOSTART, IS_ACTIVE, IS_PERSISTENT, GET_DHCP_LEASES,
            EVENT_REGISTER_ANY, LIST_ALL_PORTS, PORT_LOOKUP_BY_UUID, PORT_GET_XML_DESC,
            PORT_GET_PARAMETERS)


def connect(path, readonly_flag=False, timeout=10.0):
    """A connection past AUTH_LIST and CONNECT_OPEN network:///system."""
    return mvrpc.Conn(path, timeout=timeout).handshake(open_uri=URI, flags=RO_FLAG if readonly_flag else 0)


def outcome(p):
    """'ok', or 'CODE DOMAIN MESSAGE' of an error reply."""
    if p.status == mvrpc.OK:
        return "ok"
    e = p.error()
    return "%d %d %s" % (e["code"], e["domain"], e["message"])
