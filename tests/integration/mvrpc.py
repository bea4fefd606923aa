"""mvrpc: a deliberately small, hand-rolled libvirt RPC peer for the
integration tests of the modvirt daemons.

It is independent of the daemon's own codec on purpose (struct, not rpcgen):
the tests use it to send what no libvirt client would send (truncated,
oversized, garbage frames, wrong programs) and to watch keepalive traffic.

Wire format (docs: wire-protocol.md section 1): u32 total length (counting
itself), header {u32 prog, u32 vers, i32 proc, i32 type, u32 serial,
i32 status}, then the XDR body.  Every wait is bounded.
"""
import socket
import struct
import time

REMOTE_PROG = 0x20008086
REMOTE_VERS = 1
KEEPALIVE_PROG = 0x6B656570
KEEPALIVE_VERS = 1
PING, PONG = 1, 2

CALL, REPLY, MESSAGE, STREAM = 0, 1, 2, 3
OK, ERROR, CONTINUE = 0, 1, 2

PROC_CONNECT_OPEN = 1
PROC_CONNECT_CLOSE = 2
PROC_CONNECT_GET_TYPE = 3
PROC_CONNECT_GET_HOSTNAME = 59
PROC_CONNECT_SUPPORTS_FEATURE = 60
PROC_AUTH_LIST = 66
PROC_CONNECT_SET_IDENTITY = 419
FEATURE_PROGRAM_KEEPALIVE = 10

HEADER = struct.Struct(">IIiiIi")


def xdr_string(b):
    if isinstance(b, str):
        b = b.encode()
    return struct.pack(">I", len(b)) + b + b"\0" * ((4 - len(b) % 4) % 4)


def xdr_opt_string(b):
    return struct.pack(">I", 0) if b is None else struct.pack(">I", 1) + xdr_string(b)


# VIR_TYPED_PARAM_* (wire-protocol.md 4.3)
TP_INT, TP_UINT, TP_LLONG, TP_ULLONG, TP_DOUBLE, TP_BOOLEAN, TP_STRING = range(1, 8)
_TP_PACK = {TP_INT: ">i", TP_UINT: ">I", TP_LLONG: ">q", TP_ULLONG: ">Q", TP_DOUBLE: ">d",
            TP_BOOLEAN: ">i"}


def xdr_typed_params(params):
    """[(name, TP_*, value)] as a remote_typed_param array."""
    out = struct.pack(">I", len(params))
    for name, typ, value in params:
        out += xdr_string(name) + struct.pack(">i", typ)
        out += xdr_string(value) if typ == TP_STRING else struct.pack(_TP_PACK[typ], value)
    return out


def identity_params(uid, gid, pid, start_time=None, user=None, group=None):
    """CONNECT_SET_IDENTITY's parameters as modvirt-proxyd sends them."""
    p = [("unix-user-id", TP_ULLONG, uid), ("unix-group-id", TP_ULLONG, gid),
         ("process-id", TP_LLONG, pid)]
    if start_time is not None:
        p.append(("process-time", TP_ULLONG, start_time))
    if user is not None:
        p.append(("user-name", TP_STRING, user))
    if group is not None:
        p.append(("group-name", TP_STRING, group))
    return p


def frame(prog, vers, proc, typ, serial, status, body=b""):
    pkt = HEADER.pack(prog, vers, proc, typ, serial, status) + body
    return struct.pack(">I", len(pkt) + 4) + pkt


class Packet:
    def __init__(self, length, raw):
        self.length = length
        (self.prog, self.vers, self.proc, self.type, self.serial,
         self.status) = HEADER.unpack(raw[:24])
        self.body = raw[24:]

    def is_ping(self):
        return (self.prog == KEEPALIVE_PROG and self.vers == KEEPALIVE_VERS and
                self.proc == PING and self.type == MESSAGE and self.status == OK and
                self.length == 28)

    def error(self):
        """The remote_error of an ERROR reply as a dict (code, domain, message, level)."""
        b = self.body
        code, domain, has_msg = struct.unpack(">iiI", b[:12])
        off = 12
        msg = None
        if has_msg:
            (n,) = struct.unpack(">I", b[off:off + 4])
            msg = b[off + 4:off + 4 + n].decode(errors="replace")
            off += 4 + n + (4 - n % 4) % 4
        (level,) = struct.unpack(">i", b[off:off + 4])
        return {"code": code, "domain": domain, "message": msg, "level": level}

    def string(self):
        """The body as one XDR string (e.g. CONNECT_GET_HOSTNAME's reply)."""
        (n,) = struct.unpack(">I", self.body[:4])
        return self.body[4:4 + n].decode(errors="replace")

    def __repr__(self):
        return ("Packet(len=%d prog=0x%08x vers=%d proc=%d type=%d serial=%d status=%d body=%d)"
                % (self.length, self.prog, self.vers, self.proc, self.type, self.serial,
                   self.status, len(self.body)))


class Closed(Exception):
    pass


class Conn:
    def __init__(self, path, timeout=10.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.timeout = timeout
        self.serial = 0

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send_raw(self, data):
        """Send bytes that may be refused: a daemon may close the connection
        before it has read them all (a bad length word is enough), which is
        what the caller then checks with wait_closed().  True if all went."""
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False

    def send(self, prog, vers, proc, typ, serial, status, body=b""):
        self.sock.sendall(frame(prog, vers, proc, typ, serial, status, body))

    def call_async(self, proc, body=b"", prog=REMOTE_PROG, vers=REMOTE_VERS):
        serial = self.serial
        self.serial += 1
        self.send(prog, vers, proc, CALL, serial, OK, body)
        return serial

    def _recv_exact(self, n, deadline):
        buf = b""
        while len(buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("timed out after %d of %d bytes" % (len(buf), n))
            self.sock.settimeout(left)
            try:
                d = self.sock.recv(n - len(buf))
            except ConnectionResetError:
                d = b""
            if not d:
                raise Closed("closed by the peer after %d of %d bytes" % (len(buf), n))
            buf += d
        return buf

    def recv(self, timeout=None):
        """The next packet; raises Closed at EOF and socket.timeout when none came."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        (length,) = struct.unpack(">I", self._recv_exact(4, deadline))
        if length < 28 or length > 0x02000004:
            raise ValueError("bad length word from the daemon: %d" % length)
        return Packet(length, self._recv_exact(length - 4, deadline))

    def reply_to(self, serial, timeout=None, on_other=None):
        """The REPLY for SERIAL; other packets (keepalive) go to on_other or are skipped."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            p = self.recv(max(0.01, deadline - time.monotonic()))
            if p.type == REPLY and p.serial == serial:
                return p
            if on_other:
                on_other(p)

    def call(self, proc, body=b"", prog=REMOTE_PROG, vers=REMOTE_VERS, timeout=None):
        return self.reply_to(self.call_async(proc, body, prog, vers), timeout)

    def wait_closed(self, timeout):
        """Seconds until the daemon closed the connection (data is discarded), or None."""
        t0 = time.monotonic()
        deadline = t0 + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                d = self.sock.recv(65536)
            except socket.timeout:
                return None
            except ConnectionResetError:
                d = b""
            if not d:
                return time.monotonic() - t0

    def handshake(self, keepalive=False, open_uri="qemu:///system", flags=0):
        """What a libvirt client sends first; raises if any step fails."""
        p = self.call(PROC_AUTH_LIST)
        if p.status != OK:
            raise RuntimeError("AUTH_LIST failed: %r" % (p.error(),))
        (n,) = struct.unpack(">I", p.body[:4])
        types = list(struct.unpack(">%di" % n, p.body[4:4 + 4 * n]))
        if types != [0]:
            raise RuntimeError("AUTH_LIST offered %r, expected [0] (none)" % types)
        if keepalive:
            p = self.call(PROC_CONNECT_SUPPORTS_FEATURE, struct.pack(">i", FEATURE_PROGRAM_KEEPALIVE))
            if p.status != OK or struct.unpack(">i", p.body)[0] != 1:
                raise RuntimeError("keepalive feature not supported: %r" % p)
        if open_uri is not None:
            p = self.call(PROC_CONNECT_OPEN, xdr_opt_string(open_uri) + struct.pack(">I", flags))
            if p.status != OK:
                raise RuntimeError("CONNECT_OPEN failed: %r" % (p.error(),))
        return self

    def set_identity(self, params, flags=0):
        """CONNECT_SET_IDENTITY; the reply packet (check .status)."""
        return self.call(PROC_CONNECT_SET_IDENTITY, xdr_typed_params(params) + struct.pack(">I", flags))

    def hostname(self, timeout=None):
        p = self.call(PROC_CONNECT_GET_HOSTNAME, timeout=timeout)
        if p.status != OK:
            raise RuntimeError("CONNECT_GET_HOSTNAME failed: %r" % (p.error(),))
        return p.string()
