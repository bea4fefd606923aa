#!/usr/bin/python3
"""SPICE's first exchange, as a client starts it: connect (TCP HOST PORT,
or a unix socket PATH), send a link message for the main channel, read the
server's link header and reply.  Prints "magic=REDQ major=2 error=0" (the
reply's values); exit status 1 if the server closed or did not answer
within 10 s.  With --ticket PASSWORD first, it then authenticates as a
client without capabilities does (the password, NUL-terminated, RSA-OAEP
(SHA-1) encrypted with the key the reply carries) and adds the server's
verdict: " link=0" (OK) or " link=7" (permission denied).

Wire facts (little-endian): SpiceLinkHeader = magic "REDQ", u32 major (2),
u32 minor (2), u32 size of what follows; the client's SpiceLinkMess =
u32 connection_id, u8 channel_type (1: main), u8 channel_id, u32
num_common_caps, u32 num_channel_caps, u32 caps_offset (from the start of
the message, so 18 without caps); the server's SpiceLinkReply starts with
u32 error (0: OK) and the 162-byte DER public key for the ticket; after the
128-byte encrypted ticket the server sends a u32 link result."""
import socket
import struct
import sys


def connect(args):
    if len(args) == 1:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(args[0])
    else:
        s = socket.create_connection((args[0], int(args[1])), timeout=10)
    return s


def read_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            sys.exit("server closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def ticket(s, pubkey_der, password):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    key = serialization.load_der_public_key(pubkey_der)
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    s.sendall(key.encrypt(password.encode() + b"\0", oaep))
    (result,) = struct.unpack("<I", read_exact(s, 4))
    return result


def main():
    args = sys.argv[1:]
    password = None
    if args and args[0] == "--ticket":
        password, args = args[1], args[2:]
    s = connect(args)
    mess = struct.pack("<IBBIII", 0, 1, 0, 0, 0, 18)
    s.sendall(b"REDQ" + struct.pack("<III", 2, 2, len(mess)) + mess)
    magic, major, _minor, size = struct.unpack("<4sIII", read_exact(s, 16))
    body = read_exact(s, size) if magic == b"REDQ" and 4 <= size <= 4096 else b"\xff\xff\xff\xff"
    (error,) = struct.unpack("<I", body[:4])
    line = "magic=%s major=%d error=%d" % (magic.decode("ascii", "replace"), major, error)
    if password is not None and error == 0 and len(body) >= 4 + 162:
        line += " link=%d" % ticket(s, body[4:4 + 162], password)
    print(line)


if __name__ == "__main__":
    main()
