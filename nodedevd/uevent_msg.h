/*
 * The kernel's uevent messages as a NETLINK_KOBJECT_UEVENT socket receives
 * them: a header "ACTION@DEVPATH\0", then "KEY=VALUE\0" fields.  The parser
 * checks every length before it reads: uevent.c accepts messages from the
 * kernel only, but a parser that trusts its input is one bug away from a
 * crash.  No I/O, so the unit test feeds it anything.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kernel's messages are at most UEVENT_BUFFER_SIZE (2048) bytes of
 * fields plus the header; anything longer is not one of them. */
#define NODEDEV_UEVENT_MSG_MAX 8192
/* Longest DEVPATH: "/sys" + it must stay well inside PATH_MAX. */
#define NODEDEV_UEVENT_DEVPATH_MAX 2048

/* The kernel's kobject actions (lib/kobject_uevent.c). */
enum nodedev_uevent_action {
    NODEDEV_UEVENT_ADD, NODEDEV_UEVENT_REMOVE, NODEDEV_UEVENT_CHANGE, NODEDEV_UEVENT_MOVE,
    NODEDEV_UEVENT_ONLINE, NODEDEV_UEVENT_OFFLINE, NODEDEV_UEVENT_BIND, NODEDEV_UEVENT_UNBIND,
};

/* One parsed message; the strings point into the message's buffer. */
struct nodedev_uevent {
    enum nodedev_uevent_action action;
    const char *devpath;        /* "/devices/virtual/net/veth0" (safe: see devpath_ok) */
    const char *devpath_old;    /* "move": where the device was; else NULL */
    const char *subsystem;      /* NULL if the message has none */
    uint64_t seqnum;            /* 0 if the message has none */
};

/* Parses the LEN bytes at BUF into OUT (untouched on failure).  0;
 * -EBADMSG for a malformed message (an unterminated or empty field, no '@'
 * in the header, a field without '=', a repeated key, ACTION= or DEVPATH=
 * disagreeing with the header, a bad SEQNUM, an unsafe DEVPATH, a "move"
 * without DEVPATH_OLD); -EPROTO for udev's own format ("libudev" magic);
 * -EOPNOTSUPP for an action the kernel does not send. */
int nodedev_uevent_parse(const char *buf, size_t len, struct nodedev_uevent *out);

/* "add", "remove", ...; NULL if out of range. */
const char *nodedev_uevent_action_name(enum nodedev_uevent_action a);

/* Whether the LEN bytes at P are a path "/sys" may be put in front of:
 * absolute, at most NODEDEV_UEVENT_DEVPATH_MAX bytes, no empty, "." or
 * ".." component, no control characters. */
bool nodedev_uevent_devpath_ok(const char *p, size_t len);
