"""Helpers of nodedevd-events.sh: node device event clients and the
kernel-side pranks the test plays on modvirt-nodedevd.

  listen URI [NAME]   python3-libvirt: lifecycle and update registrations
                      (for device NAME only, if given), "READY" once both
                      are registered (with its pid), then one line per event:
                      "lifecycle NAME created|deleted|defined|undefined",
                      "update NAME"
  raw SOCKET          the wire, by hand (mvrpc): reads commands from stdin,
                      each "TAG register EVENTID [NAME]", "TAG deregister CB"
                      or "TAG register-many N EVENTID PREFIX" (N filtered
                      registrations, stops at the first refusal), answers
                      "TAG registered CB", "TAG registered-many K",
                      "TAG deregistered CB" or "TAG error CODE DOMAIN MESSAGE";
                      every event as "event CB lifecycle NAME EVENT" or
                      "event CB update NAME"; "READY PID" once connected.
                      Ends at EOF on stdin or when the daemon closes.
  forge               sends datagrams to the kernel's uevent group from
                      user space (as any CAP_NET_ADMIN process in the
                      network namespace could): a well-formed "remove" of
                      each DEVPATH given, then garbage; prints how many
  udevd               plays udevd without rules: each kernel uevent sent
                      again on udev's group 2 in libudev's format
  uevent-sockets PID  how many uevent sockets (group 1) PID holds
  shrink PID SIZE     sets SO_RCVBUF of PID's uevent socket (a duplicate
                      of its fd through pidfd_getfd(2)) to SIZE bytes, with
                      SO_RCVBUFFORCE; prints the size the kernel took

Every wait is bounded; output is line-buffered.
"""
import ctypes
import os
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

LIFECYCLE_NAMES = ["created", "deleted", "defined", "undefined"]
PROC_REGISTER, PROC_DEREGISTER, PROC_LIFECYCLE, PROC_UPDATE = 374, 375, 376, 377


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# ---- listen: python3-libvirt -------------------------------------------------

def listen(uri, name=None):
    import libvirt

    libvirt.virEventRegisterDefaultImpl()
    libvirt.registerErrorHandler(lambda *a: None, None)
    conn = libvirt.open(uri)
    dev = conn.nodeDeviceLookupByName(name) if name else None

    def lifecycle(conn, dev, event, detail, opaque):
        what = LIFECYCLE_NAMES[event] if 0 <= event < len(LIFECYCLE_NAMES) else "event%d" % event
        out("lifecycle %s %s" % (dev.name(), what))

    def update(conn, dev, opaque):
        out("update %s" % dev.name())

    conn.nodeDeviceEventRegisterAny(dev, libvirt.VIR_NODE_DEVICE_EVENT_ID_LIFECYCLE, lifecycle, None)
    conn.nodeDeviceEventRegisterAny(dev, libvirt.VIR_NODE_DEVICE_EVENT_ID_UPDATE, update, None)
    # the daemon gone, nothing more can come: end (no listener outlives it)
    conn.registerCloseCallback(lambda c, reason, opaque: os._exit(0), None)
    out("READY %d" % os.getpid())
    while True:
        libvirt.virEventRunDefaultImpl()


# ---- raw: the wire by hand ---------------------------------------------------

def xdr_str(b):
    import mvrpc
    return mvrpc.xdr_string(b)


def read_str(body, off):
    (n,) = struct.unpack(">I", body[off:off + 4])
    s = body[off + 4:off + 4 + n].decode(errors="replace")
    return s, off + 4 + n + (4 - n % 4) % 4


def event_line(p):
    import mvrpc
    if p.type != mvrpc.MESSAGE:
        return None
    if p.proc == PROC_LIFECYCLE:
        (cb,) = struct.unpack(">i", p.body[:4])
        name, off = read_str(p.body, 4)
        event, _detail = struct.unpack(">ii", p.body[off:off + 8])
        what = LIFECYCLE_NAMES[event] if 0 <= event < len(LIFECYCLE_NAMES) else "event%d" % event
        return "event %d lifecycle %s %s" % (cb, name, what)
    if p.proc == PROC_UPDATE:
        (cb,) = struct.unpack(">i", p.body[:4])
        name, _ = read_str(p.body, 4)
        return "event %d update %s" % (cb, name)
    return "message proc %d" % p.proc


def raw(sock_path):
    import mvrpc

    conn = mvrpc.Conn(sock_path, timeout=10.0)
    conn.handshake(open_uri="nodedev:///system")
    out("READY %d" % os.getpid())

    def on_other(p):
        line = event_line(p)
        if line:
            out(line)

    def register(event_id, name):
        body = struct.pack(">i", event_id)
        body += struct.pack(">I", 0) if name is None else struct.pack(">I", 1) + xdr_str(name)
        return conn.reply_to(conn.call_async(PROC_REGISTER, body), on_other=on_other)

    def error_words(p):
        e = p.error()
        return "error %d %d %s" % (e["code"], e["domain"], e["message"])

    stdin = sys.stdin.buffer.raw
    pending = b""
    while True:
        ready, _, _ = select.select([conn.sock, stdin], [], [], 30)
        if conn.sock in ready:
            on_other(conn.recv(timeout=5))
        if stdin not in ready:
            continue
        data = os.read(stdin.fileno(), 4096)
        if not data:
            return
        pending += data
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            words = line.decode().split()
            if not words:
                continue
            tag, cmd, args = words[0], words[1], words[2:]
            if cmd == "register":
                p = register(int(args[0]), args[1] if len(args) > 1 else None)
                out("%s %s" % (tag, error_words(p) if p.status != mvrpc.OK
                               else "registered %d" % struct.unpack(">i", p.body[:4])[0]))
            elif cmd == "register-many":
                n, event_id, prefix = int(args[0]), int(args[1]), args[2]
                k = 0
                for k in range(n):
                    p = register(event_id, "%s%d" % (prefix, k))
                    if p.status != mvrpc.OK:
                        out("%s registered-many %d" % (tag, k))
                        out("%s %s" % (tag, error_words(p)))
                        break
                else:
                    out("%s registered-many %d" % (tag, n))
            elif cmd == "deregister":
                p = conn.reply_to(conn.call_async(PROC_DEREGISTER, struct.pack(">i", int(args[0]))),
                                  on_other=on_other)
                out("%s %s" % (tag, error_words(p) if p.status != mvrpc.OK else "deregistered %s" % args[0]))
            else:
                out("%s error unknown command %s" % (tag, cmd))


# ---- forge: user space pretending to be the kernel ---------------------------

def forge(devpaths):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 15)    # NETLINK_KOBJECT_UEVENT
    s.bind((0, 0))
    msgs = []
    for dp in devpaths:
        msgs.append(b"remove@%s\0ACTION=remove\0DEVPATH=%s\0SUBSYSTEM=net\0SEQNUM=1\0" % (dp.encode(), dp.encode()))
    msgs += [
        b"", b"\0", b"add@", b"add@/devices/../../etc\0", b"x" * 60000, b"libudev\0\xfe\xed\xca\xfe" + b"\0" * 40,
        b"remove@/devices/virtual/net/lo\0ACTION=add\0", b"=" * 300 + b"\0", bytes(range(256)) * 8,
    ]
    sent = 0
    for m in msgs:
        try:
            s.sendto(m, (0, 1))     # port 0 (the kernel side), group 1: every listener
            sent += 1
        except OSError as e:
            out("send failed: %s" % e)
    out("forged %d" % sent)


# ---- udevd: what udevd sends its listeners, without its rules ---------------

def udev_message(props):
    """PROPS (b"KEY=VALUE\\0"...) in libudev's monitor format (systemd's
    sd-device/device-monitor.c: monitor_netlink_header, then the properties)."""
    header_size = 40
    header = b"libudev\0" + struct.pack(">I", 0xFEEDCAFE) + struct.pack(
        "=IIIIIII", header_size, header_size, len(props), 0, 0, 0, 0)
    return header + props


def udevd():
    """Reads the kernel's uevents (group 1) and sends each on udev's group 2,
    as udevd does once its rules ran; "READY" once listening."""
    k = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 15)
    k.bind((0, 1))
    u = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 15)
    u.bind((0, 0))
    out("READY %d" % os.getpid())
    while True:
        msg = k.recv(65536)
        fields = msg.split(b"\0")
        props = b"".join(f + b"\0" for f in fields[1:] if b"=" in f)
        u.sendto(udev_message(props), (0, 2))


# ---- shrink: the daemon's uevent socket, through pidfd_getfd -----------------

def netlink_inodes(pid):
    """Inodes of PID's NETLINK_KOBJECT_UEVENT sockets bound to group 1."""
    inodes = set()
    with open("/proc/%d/net/netlink" % pid) as f:
        next(f)
        for line in f:
            w = line.split()
            # sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
            if int(w[1]) == 15 and int(w[3], 16) & 1:
                inodes.add(w[9])
    return inodes


def uevent_fds(pid):
    """PID's file descriptors that are uevent sockets of group 1."""
    links = ["socket:[%s]" % i for i in netlink_inodes(pid)]
    fds = []
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)) in links:
                fds.append(int(fd))
        except OSError:
            pass            # closed meanwhile
    return fds


def shrink(pid, size):
    fds = uevent_fds(pid)
    if len(fds) != 1:
        out("error: %d uevent sockets in pid %d" % (len(fds), pid))
        sys.exit(1)
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    fd = libc.syscall(438, pidfd, fds[0], 0)        # SYS_pidfd_getfd
    if fd < 0:
        out("error: pidfd_getfd: %s" % os.strerror(ctypes.get_errno()))
        sys.exit(1)
    s = socket.socket(fileno=fd)
    s.setsockopt(socket.SOL_SOCKET, 33, size)       # SO_RCVBUFFORCE
    out("rcvbuf %d" % s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))


def main():
    cmd = sys.argv[1]
    if cmd == "listen":
        listen(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    elif cmd == "raw":
        raw(sys.argv[2])
    elif cmd == "forge":
        forge(sys.argv[2:])
    elif cmd == "udevd":
        udevd()
    elif cmd == "uevent-sockets":
        out("uevent sockets %d" % len(uevent_fds(int(sys.argv[2]))))
    elif cmd == "shrink":
        shrink(int(sys.argv[2]), int(sys.argv[3]))
    else:
        sys.exit("unknown command %s" % cmd)


if __name__ == "__main__":
    main()
